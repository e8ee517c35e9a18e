"""Black-and-white photographic look by two-scale tone management (Bae, Paris, Durand, SIGGRAPH 2006).

The grey image is split by a bilateral filter into a base (large-scale tones)
and a detail layer. The base is histogram-matched to the model's base
histogram and the detail is scaled so that the local *textureness* (the
edge-aware average of the high-pass amplitude) matches the model's.

Bae et al. take both statistics from a model photograph. We ship no photo:
the model here is one we made, described by the two distributions a
model photo would give: a high-contrast base histogram (deep blacks,
bright whites, a thin midtone band, after Ansel Adams' prints the paper
imitates) and a textureness distribution ``texture`` times the input's.
"""

from __future__ import annotations

import cv2
import numpy as np

from restorable.luma import luma
from restorable.operators._cv import ximgproc


def _model_base_quantiles(q: np.ndarray, contrast: float) -> np.ndarray:
    """Inverse CDF of the model's base histogram: an S-shaped tone curve of strength ``contrast``."""
    centred = 2.0 * q - 1.0
    curve = np.tanh(contrast * centred) / np.tanh(contrast)
    return (0.5 + 0.5 * curve).astype(np.float32)


def _match_histogram(values: np.ndarray, target_quantiles) -> np.ndarray:
    """Map ``values`` so that their empirical CDF follows ``target_quantiles(q)`` (ties stay ties)."""
    flat = values.ravel()
    order = np.argsort(flat, kind="stable")
    ranks = np.empty(flat.size, dtype=np.float64)
    ranks[order] = np.arange(flat.size)
    # give equal values the mean rank, so flat areas stay flat
    uniq, inverse = np.unique(flat, return_inverse=True)
    mean_rank = np.bincount(inverse, weights=ranks) / np.bincount(inverse)
    q = (mean_rank[inverse] + 0.5) / flat.size
    return target_quantiles(q).reshape(values.shape).astype(np.float32)


def _textureness(detail: np.ndarray, guide: np.ndarray, sigma_s: float) -> np.ndarray:
    """Edge-aware local average of |detail| (Bae et al. section 5.2)."""
    amplitude = np.abs(detail).astype(np.float32)
    return ximgproc().jointBilateralFilter(guide, amplitude, -1, 0.1, sigma_s, borderType=cv2.BORDER_REFLECT)


def bw_photographic(
    image: np.ndarray, contrast: float = 2.0, strength: float = 0.6, texture: float = 1.6, sigma_s: float = 8.0
) -> np.ndarray:
    """Turn an (H, W, 3) float32 image in [0, 1] into a black-and-white print, (H, W) grey.

    ``strength`` blends the model-matched base with the photo's own base.
    """
    grey = np.ascontiguousarray(luma(image))
    # a bilateral filter on a half-resolution copy keeps the cost independent of sigma_s
    small = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA) if min(grey.shape) >= 16 else grey
    scale = grey.shape[1] / small.shape[1]
    base_small = cv2.bilateralFilter(small, -1, 0.1, sigma_s / scale, borderType=cv2.BORDER_REFLECT)
    base = cv2.resize(base_small, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    detail = grey - base

    matched = _match_histogram(base, lambda q: _model_base_quantiles(q, contrast))
    new_base = strength * matched + (1.0 - strength) * base
    textureness = _textureness(detail, grey, sigma_s / 2)
    # less boost where the detail is already strong, so edges do not ring
    gain = texture / (1.0 + np.maximum(textureness - 0.08, 0.0) * 10.0)
    return np.clip(new_base + gain * detail, 0.0, 1.0)
