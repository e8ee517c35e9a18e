"""Image smoothing via L0 gradient minimisation (Xu et al., SIGGRAPH Asia 2011)."""

from __future__ import annotations

import cv2
import numpy as np


def l0_smooth(image: np.ndarray, lam: float = 0.02, kappa: float = 2.0) -> np.ndarray:
    """Flatten an (H, W, 3) float32 image in [0, 1] into piecewise-constant regions.

    ``lam`` weighs the count of non-zero gradients; ``kappa`` is the rate at
    which the half-quadratic splitting weight beta grows (paper section 3).
    """
    h, w = image.shape[:2]
    # OpenCV's solver needs two pixels per side; a replicated edge changes no gradient.
    padded = np.pad(image, ((0, max(0, 2 - h)), (0, max(0, 2 - w)), (0, 0)), mode="edge")
    # l0Smooth writes into a float input in place: hand it a copy.
    out = cv2.ximgproc.l0Smooth(np.array(padded, dtype=np.float32, copy=True), None, lam, kappa)
    return np.clip(out[:h, :w], 0.0, 1.0)
