"""Loading a network once per process, with what identifies it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from restorable.errors import RestorableError, WeightsError
from restorable.weights.download import stat_sha256
from restorable.weights.store import resolve_weights


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


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> LoadedModel:
    from restorable.model.checkpoint import load_model

    model, metadata = load_model(path)
    return LoadedModel(model, metadata, path, stat_sha256(path))


def load_weights(
    op: str, explicit: Path | None = None, version: str | None = None, sha256: str | None = None, lossless: bool = False,
    conditioned: bool = False,
) -> LoadedModel:
    """Load the network for ``op`` (see :func:`resolve_weights` for where it comes from)."""
    path = resolve_weights(op, explicit, version, sha256, lossless, conditioned).resolve()
    stat = path.stat()
    loaded = _load(path, stat.st_mtime_ns, stat.st_size)
    if loaded.metadata.get("op") not in (op, "custom"):
        raise WeightsError(f"{path}: these weights are for {loaded.metadata.get('op')!r}, not {op!r}")
    return loaded
