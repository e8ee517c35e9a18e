"""Grey conversion: Rec. 601 luma, the reference grey of the invertible-greyscale papers."""

from __future__ import annotations

import numpy as np

from restorable.luma import luma


def bt601_grey(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 RGB in [0, 1] -> (H, W) float32 luma ``0.299 R + 0.587 G + 0.114 B``."""
    return luma(image)
