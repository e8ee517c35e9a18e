"""The Python API: apply a restorable effect, restore the original.

>>> import restorable
>>> processed = restorable.apply(Image.open("in.jpg"), op="l0")   # PIL in, PIL out
>>> processed.save("out.png", pnginfo=restorable.pnginfo(processed))
>>> original = restorable.restore(Image.open("out.png"))          # reads the provenance
>>> arr = restorable.apply(np_uint8_rgb, op="wls")                 # numpy (H, W, 3) uint8 in and out
>>> packed = restorable.pack([left, right], names=["left.jpg", "right.jpg"])  # looks like left, holds both
>>> [(name, image), ...] = restorable.unpack(packed)

Files processed through the CLI or :func:`apply_file` carry their provenance;
for a bare array, ``restore`` needs ``op=``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from restorable.errors import RestorableError
from restorable.photo import Photo, photo_from_pil, photo_to_pil
from restorable.provenance import Provenance
from restorable.session import Session, check_mode, untrained_params
from restorable.settings import RunSettings

__all__ = [
    "RunSettings", "Session", "apply", "apply_photo", "check_mode", "pack", "pnginfo", "restore", "restore_photo", "unpack",
    "untrained_params",
]


def _as_photo(image) -> Photo:
    from PIL import Image

    if isinstance(image, Image.Image):
        return photo_from_pil(image)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise RestorableError(f"expected a uint8 array, got {image.dtype}")
        if image.ndim == 2:  # grey: kept (a restorable grey image), or converted where an effect needs colour
            return Photo(rgb=np.ascontiguousarray(image))
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise RestorableError(f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got {image.shape}")
        alpha = image[..., 3].copy() if image.shape[2] == 4 else None
        return Photo(rgb=np.ascontiguousarray(image[..., :3]), alpha=alpha)
    raise RestorableError(f"expected a PIL image or a numpy array, got {type(image).__name__}")


def _like_input(photo: Photo, image):
    if isinstance(image, np.ndarray):
        return photo.rgb if photo.alpha is None else np.dstack([photo.rgb, photo.alpha])
    img = photo_to_pil(photo)
    if photo.provenance is not None:
        img.info["restorable"] = photo.provenance.to_json()
    if photo.icc_profile:
        img.info["icc_profile"] = photo.icc_profile
    return img


def apply_photo(
    photo: Photo,
    op: str,
    params: dict | None = None,
    weights: Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    backend: str = "torch",
    mode: str = "learned",
    payload: bool = False,
    lossless: bool = False,
) -> Photo:
    """:meth:`Session.apply` for one call (see there); networks stay loaded between calls all the same."""
    return Session(RunSettings(device, backend, tile, weights)).apply(photo, op, params, mode, payload, lossless)


def restore_photo(
    photo: Photo,
    op: str | None = None,
    weights: Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    backend: str = "torch",
    force: bool = False,
    lossless: bool = False,
) -> Photo:
    """:meth:`Session.restore` for one call (see there)."""
    return Session(RunSettings(device, backend, tile, weights)).restore(photo, op, force, lossless)


def apply(
    image, op: str, params: dict | None = None, weights: Path | None = None, device: str = "auto",
    mode: str = "learned", payload: bool = False, lossless: bool = False,
):
    """Apply restorable ``op`` to a PIL image or uint8 numpy array; returns the same kind.

    A result of ``mode="exact"``, ``payload=True`` or ``lossless=True`` (the operator's
    quieter weights for lossless files, where it has them) must be kept losslessly
    (PNG, or the array itself).
    """
    return _like_input(
        apply_photo(_as_photo(image), op, params, weights, device, mode=mode, payload=payload, lossless=lossless), image
    )


def restore(image, op: str | None = None, weights: Path | None = None, device: str = "auto", lossless: bool = False):
    """Restore the original of a processed PIL image or array (``op`` needed when it carries no provenance;
    ``lossless=True`` when it was applied with ``lossless=True``)."""
    return _like_input(restore_photo(_as_photo(image), op, weights, device, lossless=lossless), image)


def pack(
    images: list, names: list[str] | None = None, weights: Path | None = None, device: str = "auto", lossless: bool = False
):
    """Pack 2 to 4 PIL images or uint8 arrays of one size into one that looks like the first; returns the
    first's kind (a PIL result carries the record: save it with :func:`pnginfo`). ``names``: the file names
    :func:`unpack` gives back (default ``image-1.png``, ...); ``lossless=True``: the result will be kept
    losslessly (PNG, or the array itself), which the network's lossless weights need."""
    if not isinstance(images, (list, tuple)) or not images:
        raise RestorableError("pack takes a list of 2 to 4 images")
    names = list(names) if names is not None else [f"image-{i}.png" for i in range(1, len(images) + 1)]
    session = Session(RunSettings(device, weights=weights))
    return _like_input(session.pack([_as_photo(i) for i in images], names, lossless), images[0])


def unpack(image, op: str | None = None, weights: Path | None = None, device: str = "auto") -> list[tuple[str, object]]:
    """The (name, image) pairs a packed PIL image or array holds, in the order they were packed, each of the
    packed image's kind. An array carries no record: ``op`` (``pack-2`` ... ``pack-4``) names the network."""
    session = Session(RunSettings(device, weights=weights))
    return [(name, _like_input(photo, image)) for name, photo in session.unpack(_as_photo(image), op=op)]


def pnginfo(image):
    """A ``PngInfo`` carrying the provenance of an image returned by :func:`apply`, for ``image.save``."""
    from restorable.provenance import save_options

    record = image.info.get("restorable")
    return save_options("PNG", Provenance.from_json(record) if record else None).get("pnginfo")
