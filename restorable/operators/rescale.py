"""Downscaling: Pillow's Lanczos filter, the reference look of the rescale family's small images."""

from __future__ import annotations

import numpy as np
from PIL import Image


def padded_to_multiple(image: np.ndarray, factor: int) -> np.ndarray:
    """(H, W, ...) mirrored at the bottom and right to multiples of ``factor`` (the way the network pads)."""
    h, w = image.shape[:2]
    pad = ((0, (-h) % factor), (0, (-w) % factor)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, pad, mode="symmetric") if any(p[1] for p in pad) else image


def lanczos_downscale(image: np.ndarray, factor: int) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] -> (ceil(H / factor), ceil(W / factor), 3): Pillow LANCZOS per channel,
    after mirroring the sides up to multiples of ``factor``."""
    padded = padded_to_multiple(image, factor)
    size = (padded.shape[1] // factor, padded.shape[0] // factor)
    channels = [np.asarray(Image.fromarray(padded[..., i], mode="F").resize(size, Image.LANCZOS)) for i in range(3)]
    return np.stack(channels, axis=-1)


def pillow_resize(image: np.ndarray, width: int, height: int, resample: int = Image.BICUBIC) -> np.ndarray:
    """(H, W, 3) uint8 resized with Pillow (bicubic by default): the plain rescaling the family is measured against."""
    return np.asarray(Image.fromarray(image).resize((width, height), resample))
