"""Training losses of the packing network: the quasi-invertible terms (the packed image against the first
image, every image back from the 8-bit packed image, delta towards 0) and a low-frequency term."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from restorable.transforms.effect.losses import carrier_terms, round_trip

LOW_PASS = 4  # the low-frequency term compares 4 x 4 block means


def low_frequency(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE of the (B, C, H, W) images' 4 x 4 block means: what of the other images shows in the packed image
    as a visible ghost (a shape, a tone), as against the fine pattern the code may leave. IICNet's frequency
    loss compares Fourier coefficients, all weighted alike; this one keeps the frequencies an eye sees first."""
    return F.mse_loss(F.avg_pool2d(y, LOW_PASS, ceil_mode=True), F.avg_pool2d(target, LOW_PASS, ceil_mode=True))


def pack_losses(
    trainer, source: torch.Tensor, target: torch.Tensor, qualities: tuple[int, ...] | None = None,
    cond: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Loss terms for one batch: ``source`` (B, 3N, h, w) image groups, ``target`` (B, 3, h, w) their first images."""
    y, delta, restored = round_trip(trainer, source, target, qualities, cond)
    terms = carrier_terms(trainer, source, target, y, delta, restored)
    if trainer.config.weight_freq:
        terms["freq"] = low_frequency(y, target)
    return terms
