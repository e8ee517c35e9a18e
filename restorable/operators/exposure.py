"""Exposure increase in linear light that clips highlights (the paper's exposure application)."""

from __future__ import annotations

import numpy as np


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB decoding, float32 in [0, 1]."""
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB encoding, float32 in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(np.float32)


def _exposure_torch(image: np.ndarray, ev: float, device: str) -> np.ndarray:
    """:func:`exposure` in torch on ``device`` (same formulas, float32)."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).to(device)
    linear = torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4) * (2.0**ev)
    linear = linear.clamp(0.0, 1.0)
    out = torch.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return out.cpu().numpy()


def exposure(image: np.ndarray, ev: float = 1.0, device: str | None = None) -> np.ndarray:
    """Multiply linear light by ``2**ev`` and clip: what the highlights lose is gone.

    ``device``: a torch device to compute on (None: NumPy on the CPU).
    """
    if device is not None:
        return _exposure_torch(image, ev, device)
    return linear_to_srgb(srgb_to_linear(image.astype(np.float32)) * np.float32(2.0**ev))
