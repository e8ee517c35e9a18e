"""Training losses that see what PSNR misses: structure (SSIM) and the hidden code's checker grid."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ssim7(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, per_image: bool = False) -> torch.Tensor:
    """Mean SSIM of (B, C, H, W) images with a 7x7 uniform window (the benchmark's definition), differentiable.

    ``per_image``: one value per image, shape (B,), instead of the batch's mean.
    Sample covariance; only windows inside the image count (as skimage leaves out 3 px borders).
    """
    x, y = x.float(), y.float()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def mean(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, 7, stride=1)

    ux, uy = mean(x), mean(y)
    covariance = 49 / 48
    vx = covariance * (mean(x * x) - ux * ux)
    vy = covariance * (mean(y * y) - uy * uy)
    vxy = covariance * (mean(x * y) - ux * uy)
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return s.mean(dim=(1, 2, 3)) if per_image else s.mean()


def dissimilarity(x: torch.Tensor, y: torch.Tensor, power: float = 1.0) -> torch.Tensor:
    """The power mean over the batch of each image's 1 - SSIM (``ssim7``); 1: the plain mean.

    A power above 1 weighs the images that look least like the effect more (the worst
    photo is what a person notices), on the same scale as the mean.
    """
    if power < 1:
        raise ValueError(f"power must be >= 1, got {power}")
    d = (1.0 - ssim7(x, y, per_image=True)).clamp_min(1e-6)
    return d.pow(power).mean().pow(1.0 / power)


def grid(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute finest Haar diagonal band of ``x - y`` (B, C, H, W), H and W even: the checker grid."""
    d = (x - y).float()
    return ((d[..., 0::2, 0::2] - d[..., 0::2, 1::2] - d[..., 1::2, 0::2] + d[..., 1::2, 1::2]) / 2).abs().mean()
