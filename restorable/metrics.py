"""Image quality metrics on 8-bit images: PSNR, SSIM (kornia's 11x11 Gaussian, and the common 7x7
uniform one), and the grid: how much 2x2 checkerboard pattern one image has that another lacks."""

from __future__ import annotations

import math

import numpy as np
import torch


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 images of the same shape (inf when equal, capped at 100)."""
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0 else min(100.0, 10.0 * math.log10(255.0**2 / mse))


def _channels(image: np.ndarray) -> np.ndarray:
    """(H, W, C) as it is, grey (H, W) as (H, W, 1)."""
    return image if image.ndim == 3 else image[..., None]


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (11x11 Gaussian window) between two (H, W, 3) or grey (H, W) uint8 images."""
    from kornia.metrics import ssim as kornia_ssim

    ta = torch.from_numpy(np.array(_channels(a))).permute(2, 0, 1)[None].float() / 255.0
    tb = torch.from_numpy(np.array(_channels(b))).permute(2, 0, 1)[None].float() / 255.0
    return float(kornia_ssim(ta, tb, window_size=11).mean())


def ssim7(a: np.ndarray, b: np.ndarray, rows: int = 512) -> float:
    """Mean SSIM with a 7x7 uniform window on 8-bit (H, W, 3) or grey (H, W) images, channels averaged.

    The definition of ``skimage.metrics.structural_similarity(a, b, channel_axis=2,
    data_range=255)`` (sample covariance, borders of 3 px left out), in NumPy/SciPy, computed in
    strips of ``rows`` rows (with 3 rows of context each side) so that memory stays small on large photos.
    """
    from scipy.ndimage import uniform_filter

    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    a, b = _channels(a), _channels(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    covariance = 49 / 48
    h = a.shape[0]
    total = np.zeros(a.shape[2])
    for top in range(3, h - 3, rows):  # the kept rows top .. bottom, computed with 3 rows around them
        bottom = min(h - 3, top + rows)
        for channel in range(a.shape[2]):
            x = a[top - 3 : bottom + 3, :, channel].astype(np.float64)
            y = b[top - 3 : bottom + 3, :, channel].astype(np.float64)
            ux, uy = uniform_filter(x, 7), uniform_filter(y, 7)
            vx = covariance * (uniform_filter(x * x, 7) - ux * ux)
            vy = covariance * (uniform_filter(y * y, 7) - uy * uy)
            vxy = covariance * (uniform_filter(x * y, 7) - ux * uy)
            s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
            total[channel] += s[3:-3, 3:-3].sum()
    return float(np.mean(total / ((h - 6) * (a.shape[1] - 6))))


def grid_rms(a: np.ndarray, b: np.ndarray) -> float:
    """RMS (8-bit levels) of the finest Haar diagonal band of ``a - b``: (p - q - r + s) / 2 per 2x2 block.

    A hidden code that shows as a fine checker grid over a flat effect scores high;
    smooth differences score 0.
    """
    d = a.astype(np.float64) - b.astype(np.float64)
    h, w = (d.shape[0] // 2) * 2, (d.shape[1] // 2) * 2
    d = d[:h, :w]
    band = (d[0::2, 0::2] - d[0::2, 1::2] - d[1::2, 0::2] + d[1::2, 1::2]) / 2
    return float(np.sqrt(np.mean(band**2)))
