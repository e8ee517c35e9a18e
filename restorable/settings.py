"""How networks run: one value instead of the same four options on every call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from restorable.device import DEVICES
from restorable.errors import Hint, RestorableError
from restorable.limits import check_tile

BACKENDS = ("torch", "onnx")


@dataclass(frozen=True)
class RunSettings:
    """Where and how networks run.

    Args:
        device: ``auto`` | ``cpu`` | ``cuda`` (torch; ONNX Runtime picks its provider from it).
        backend: ``torch`` | ``onnx``.
        tile: tile side in pixels (0: never tile; None: by image size and device).
        weights: a checkpoint to use instead of the installed weights.
    """

    device: str = "auto"
    backend: str = "torch"
    tile: int | None = None
    weights: Path | None = None

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise RestorableError(f"unknown device {self.device!r} (use auto, cpu or cuda)")
        if isinstance(self.tile, bool) or not (self.tile is None or isinstance(self.tile, int)):
            raise RestorableError(f"tile must be a whole number of pixels or None, not {self.tile!r}")
        if isinstance(self.weights, str):
            object.__setattr__(self, "weights", Path(self.weights))
        if self.weights is not None and not isinstance(self.weights, Path):
            raise RestorableError(f"weights must be a path to a checkpoint or None, not {type(self.weights).__name__}")
        if self.weights is not None:
            from restorable.weights.store import check_weights_file

            check_weights_file(self.weights)
        if self.backend not in BACKENDS:
            raise RestorableError(
                f"unknown backend {self.backend!r}", Hint("--backend torch|onnx", "backend='torch'|'onnx'", "picks one")
            )
        check_tile(self.tile)
