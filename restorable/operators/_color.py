"""Colour helpers for operators that work on lightness and keep colour."""

from __future__ import annotations

import cv2
import numpy as np


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 sRGB in [0, 1] -> CIELAB with L in [0, 1] (a, b unscaled)."""
    lab = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2Lab)
    lab[..., 0] /= 100.0
    return lab


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_lab`, clipped to [0, 1]."""
    lab = lab.astype(np.float32, copy=True)
    lab[..., 0] = np.clip(lab[..., 0], 0.0, 1.0) * 100.0
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0.0, 1.0)


def replace_lightness(rgb: np.ndarray, lightness: np.ndarray) -> np.ndarray:
    """Give ``rgb`` the lightness ``lightness`` (H, W) in [0, 1], keeping its chroma."""
    lab = rgb_to_lab(rgb)
    lab[..., 0] = lightness
    return lab_to_rgb(lab)
