"""The look of a packed image: the first image itself (the pack family hides the others in it)."""

from __future__ import annotations

import numpy as np


def first_image(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] -> the same image: what a packed image should look like is its first image
    (for ``restorable reference``; training builds its groups itself, :func:`restorable.train.data.load_pack_groups`)."""
    return image
