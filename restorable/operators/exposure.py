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


def exposure(image: np.ndarray, ev: float = 1.0) -> np.ndarray:
    """Multiply linear light by ``2**ev`` and clip: what the highlights lose is gone."""
    return linear_to_srgb(srgb_to_linear(image.astype(np.float32)) * np.float32(2.0**ev))
