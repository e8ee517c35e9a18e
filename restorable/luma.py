"""Rec. 601 luma, the grey of the YUV/YCbCr papers: one definition for operators, networks and metrics."""

from __future__ import annotations

import numpy as np

LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def luma(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) float image -> (H, W) float32 ``0.299 R + 0.587 G + 0.114 B`` (same scale)."""
    return (rgb.astype(np.float32) @ np.array(LUMA_WEIGHTS, dtype=np.float32)).astype(np.float32)


def with_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """A grey (H, W) image as (H, W, 3) when ``channels`` is 3 (the grey in every channel); otherwise as it is."""
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 and channels == 3 else image


def grey_uint8(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> its (H, W) uint8 luma, rounded (a grey image of 3 equal channels gives itself back)."""
    return np.clip(np.rint(luma(rgb)), 0, 255).astype(np.uint8)
