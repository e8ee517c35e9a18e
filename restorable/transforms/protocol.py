"""The restorable-transform protocol: encode inputs into a carrier image, decode them back from it.

Every family (``effect``, ``gray``, later ``rescale`` and ``pack``) declares
what it takes and what it writes as a :class:`TransformSpec`; its network
implements :class:`RestorableTransform`. The engine tiles by the spec (channels,
scale), the file layer writes the carrier's channels, and the trainer calls
the family's losses: none of them look inside a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # torch is imported only where a network runs
    import torch


@dataclass(frozen=True)
class ImageSpec:
    """One side of a transform: ``count`` images of ``channels`` channels (3: RGB, 1: grey), each
    ``scale`` times the original's side (1: same size; 0.5: half the width and height)."""

    channels: int
    count: int = 1
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.count < 1 or self.scale <= 0:
            raise ValueError(f"count must be >= 1 and scale > 0, got {self.count}, {self.scale}")


@dataclass(frozen=True)
class TransformSpec:
    """What a family's transform takes (``inputs``) and writes (``carrier``); sizes must be multiples of ``stride``."""

    inputs: ImageSpec
    carrier: ImageSpec
    stride: int = 2


@runtime_checkable
class RestorableTransform(Protocol):
    """A network that hides its inputs in a carrier image and gets them back from the stored carrier.

    Shapes: inputs are ``spec.inputs.count`` tensors (B, spec.inputs.channels, H, W) in [0, 1];
    the carrier is ``spec.carrier.count`` tensors (B, spec.carrier.channels, H * scale, W * scale).
    ``cond``: (B, N) normalised parameters of a conditioned network, else None.
    """

    spec: TransformSpec

    def encode(
        self, inputs: list[torch.Tensor], cond: torch.Tensor | None = None, reference: torch.Tensor | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """(carrier images, delta): delta is what the carrier could not hold, trained towards 0.
        ``reference``: the reference operator's result, for networks whose auxiliary branch is it."""
        ...

    def decode(self, carrier: list[torch.Tensor], cond: torch.Tensor | None = None) -> list[torch.Tensor]:
        """The inputs restored from the (stored, 8-bit) carrier, with delta = 0."""
        ...
