"""The family registry: one line per family; the CLI, the API, training and ``restorable ops`` read it.

Light on purpose (no torch): a family names its builder and losses as
``module:function`` strings (:class:`~restorable.transforms.family.Family`),
imported only when a network is built or trained.
"""

from __future__ import annotations

from restorable.errors import RestorableError
from restorable.transforms.family import Family


def _families() -> dict[str, Family]:
    from restorable.transforms import effect, gray, pack, rescale

    return {family.name: family for family in (effect.FAMILY, gray.FAMILY, rescale.FAMILY, pack.FAMILY)}


FAMILIES: dict[str, Family] = _families()


def checkpoint_family(metadata: dict, carrier_channels: int) -> str:
    """The family of a checkpoint's network: as its metadata says; else by its carrier's channels
    (checkpoints from before families were colour effects)."""
    return metadata.get("family") or ("gray" if carrier_channels == 1 else "effect")


def get_family(name: str) -> Family:
    """The registered family ``name``, or a one-line error naming the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise RestorableError(f"unknown transform family {name!r} (known: {', '.join(FAMILIES)})") from None
