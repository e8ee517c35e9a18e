"""Rolling guidance filter (Zhang, Shen, Xu, Jia, ECCV 2014), paper form.

Small structures are removed by a Gaussian blur, then large edges are
recovered iteratively: ``J_{t+1} = JointBilateral(guide=J_t, source=I)``.
(OpenCV's ``rollingGuidanceFilter`` starts from a bilateral instead.)
"""

from __future__ import annotations

import cv2
import numpy as np

from restorable.operators._cv import ximgproc


def rolling_guidance(image: np.ndarray, sigma_s: float = 3.0, sigma_r: float = 0.1, iterations: int = 4) -> np.ndarray:
    """Scale-aware smoothing of an (H, W, 3) float32 image in [0, 1].

    ``sigma_s`` is the spatial scale (structures smaller than it vanish),
    ``sigma_r`` the range sigma of the joint bilateral steps.
    """
    source = np.ascontiguousarray(image, dtype=np.float32)
    guide = cv2.GaussianBlur(source, (0, 0), sigma_s, borderType=cv2.BORDER_REFLECT)
    diameter = 2 * int(np.ceil(2.0 * sigma_s)) + 1
    for _ in range(int(iterations)):
        guide = ximgproc().jointBilateralFilter(guide, source, diameter, sigma_r, sigma_s, borderType=cv2.BORDER_REFLECT)
    return np.clip(guide, 0.0, 1.0)
