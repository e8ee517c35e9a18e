"""Multi-scale detail enhancement with the WLS filter (Farbman et al., SIGGRAPH 2008).

The lightness is decomposed into a base and two detail layers by two WLS
smoothings of increasing ``lambda``; the details are boosted with a soft
(sigmoid-like) gain so that strong edges do not clip, and the image is
rebuilt in CIELAB so colour is kept.
"""

from __future__ import annotations

import numpy as np

from restorable.operators._color import replace_lightness, rgb_to_lab
from restorable.operators._sparse import solve_weighted_laplacian


def wls_smooth(
    lightness: np.ndarray, lam: float, alpha: float = 1.2, eps: float = 1e-4, device: str | None = None
) -> np.ndarray:
    """WLS edge-preserving smoothing of an (H, W) image in [0, 1] (Farbman et al. eq. 2-3).

    Smoothness weights are ``lam / (|d log l|^alpha + eps)`` along x and y.
    """
    log_l = np.log(lightness.astype(np.float64) + 1e-4)
    gx = np.zeros_like(log_l)
    gy = np.zeros_like(log_l)
    gx[:, :-1] = np.diff(log_l, axis=1)
    gy[:-1, :] = np.diff(log_l, axis=0)
    wx = lam / (np.abs(gx) ** alpha + eps)
    wy = lam / (np.abs(gy) ** alpha + eps)
    return solve_weighted_laplacian(np.ones_like(log_l), wx, wy, lightness, x0=lightness, device=device)


def _soft_gain(detail: np.ndarray, gain: float, knee: float = 0.15) -> np.ndarray:
    """Boost ``detail`` by ``gain`` while compressing it smoothly towards +-knee * gain."""
    return (knee * gain * np.tanh(detail / knee)).astype(np.float32)


def wls_enhance(
    image: np.ndarray,
    fine: float = 2.5,
    medium: float = 1.5,
    lambda_fine: float = 0.125,
    lambda_coarse: float = 1.0,
    device: str | None = None,
) -> np.ndarray:
    """Enhance fine and medium details of an (H, W, 3) float32 image in [0, 1].

    ``device``: a torch device for the two sparse solves (None: SciPy on the CPU).
    """
    lightness = rgb_to_lab(image)[..., 0]
    smooth_fine = wls_smooth(lightness, lambda_fine, device=device)
    smooth_coarse = wls_smooth(lightness, lambda_coarse, device=device)
    enhanced = (
        smooth_coarse
        + _soft_gain(smooth_fine - smooth_coarse, medium)
        + _soft_gain(lightness - smooth_fine, fine)
    )
    return replace_lightness(image, enhanced)
