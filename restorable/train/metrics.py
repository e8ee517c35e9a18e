"""Image quality metrics on 8-bit images: PSNR and SSIM (kornia)."""

from __future__ import annotations

import math

import numpy as np
import torch


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 images of the same shape (inf when equal, capped at 100)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0 else min(100.0, 10.0 * math.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (11x11 Gaussian window) between two (H, W, 3) uint8 images."""
    from kornia.metrics import ssim as kornia_ssim

    ta = torch.from_numpy(np.array(a)).permute(2, 0, 1)[None].float() / 255.0
    tb = torch.from_numpy(np.array(b)).permute(2, 0, 1)[None].float() / 255.0
    return float(kornia_ssim(ta, tb, window_size=11).mean())
