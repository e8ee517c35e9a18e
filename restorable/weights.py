"""Finding and loading the network for an operator.

Order: an explicit ``--weights PATH``; then the weights bundled in the
package (``restorable/weights/<op>.safetensors``). (The user cache and
downloads from the manifest come with the weights manager.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from restorable.errors import RestorableError

BUNDLED = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class LoadedModel:
    """A network ready to run, with what identifies it."""

    model: object  # QuasiInvertibleNet (torch is imported lazily)
    metadata: dict
    path: Path
    sha256: str

    @property
    def model_id(self) -> str:
        return f"{self.metadata['op']}@{self.sha256[:12]}"


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def candidate_paths(op: str) -> list[Path]:
    """Where weights for ``op`` may be, in the order they are tried."""
    return [BUNDLED / f"{op}.safetensors"]


def resolve_weights(op: str, explicit: Path | None = None) -> Path:
    """The weights file to use for ``op``."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise RestorableError(f"{explicit}: no such weights file")
        return Path(explicit)
    for path in candidate_paths(op):
        if path.is_file():
            return path
    raise RestorableError(f"no weights for operator {op!r}: train some with `restorable train --op {op}` and pass --weights")


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> LoadedModel:
    from restorable.model.checkpoint import load_model

    model, metadata = load_model(path)
    return LoadedModel(model, metadata, path, file_sha256(path))


def load_weights(op: str, explicit: Path | None = None) -> LoadedModel:
    """Load (once per process) the network for ``op``; checks it was trained for ``op``."""
    path = resolve_weights(op, explicit).resolve()
    loaded = _load(path, path.stat().st_mtime)
    if loaded.metadata.get("op") not in (op, "custom"):
        raise RestorableError(f"{path}: these weights are for {loaded.metadata.get('op')!r}, not {op!r}")
    return loaded
