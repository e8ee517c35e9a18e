"""Edge-aware skin smoothing for the paper's restorable face-retouching application.

A soft skin mask from chroma (YCrCb skin cluster) selects where a guided
filter (He et al. 2013) smooths; edges such as eyes and lips stay sharp.
"""

from __future__ import annotations

import cv2
import numpy as np

from restorable.operators._cv import ximgproc

# Centre and spread of the skin chroma cluster in YCrCb (0..1 scale).
_SKIN_CR, _SKIN_CB = 153.0 / 255.0, 102.0 / 255.0
_SKIN_SPREAD = 14.0 / 255.0


def skin_mask(image: np.ndarray) -> np.ndarray:
    """Soft (H, W) skin probability in [0, 1] of an (H, W, 3) float32 RGB image."""
    ycrcb = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2YCrCb)
    dist2 = (ycrcb[..., 1] - _SKIN_CR) ** 2 + (ycrcb[..., 2] - _SKIN_CB) ** 2
    mask = np.exp(-dist2 / (2 * _SKIN_SPREAD**2))
    mask *= np.clip((ycrcb[..., 0] - 0.15) / 0.1, 0.0, 1.0)  # not in deep shadow
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2.0)


def retouch(image: np.ndarray, radius: int = 8, eps: float = 0.004, amount: float = 0.8) -> np.ndarray:
    """Smooth skin in an (H, W, 3) float32 image in [0, 1].

    ``radius`` and ``eps`` (a variance on the [0, 1] scale) set the guided
    filter; ``amount`` blends the smoothed skin over the original.
    """
    source = np.ascontiguousarray(image, dtype=np.float32)
    smooth = ximgproc().guidedFilter(source, source, int(radius), float(eps))
    weight = (amount * skin_mask(source))[..., None]
    return np.clip(source + weight * (smooth - source), 0.0, 1.0)
