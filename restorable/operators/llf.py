"""Local Laplacian filter (Paris, Hasinoff, Kautz 2011), fast discretised form (Aubry et al. 2014).

The lightness range is sampled at ``levels`` reference values g; for each,
the image is remapped by ``r_g(i) = i + amount * (i - g) * exp(-(i - g)^2 / 2 sigma^2)``
(detail around g boosted, edges larger than sigma left alone) and its
Laplacian pyramid built. Each output Laplacian coefficient is the linear
interpolation, at the input's Gaussian-pyramid value, between the two
nearest reference levels; the top residual is the input's.
"""

from __future__ import annotations

import cv2
import numpy as np

from restorable.operators._color import replace_lightness, rgb_to_lab


def _gaussian_pyramid(image: np.ndarray, depth: int) -> list[np.ndarray]:
    pyramid = [image]
    for _ in range(depth - 1):
        pyramid.append(cv2.pyrDown(pyramid[-1]))
    return pyramid


def _laplacian_pyramid(image: np.ndarray, depth: int) -> list[np.ndarray]:
    gauss = _gaussian_pyramid(image, depth)
    lap = [
        fine - cv2.pyrUp(coarse, dstsize=(fine.shape[1], fine.shape[0]))
        for fine, coarse in zip(gauss[:-1], gauss[1:])
    ]
    return lap + [gauss[-1]]


def _collapse(pyramid: list[np.ndarray]) -> np.ndarray:
    image = pyramid[-1]
    for lap in reversed(pyramid[:-1]):
        image = lap + cv2.pyrUp(image, dstsize=(lap.shape[1], lap.shape[0]))
    return image


def local_laplacian_gray(lightness: np.ndarray, sigma: float, amount: float, levels: int) -> np.ndarray:
    """Fast local Laplacian filter of an (H, W) float32 image in [0, 1]."""
    depth = max(1, int(np.log2(min(lightness.shape))) - 2)
    gauss = _gaussian_pyramid(lightness, depth)
    out = [np.zeros_like(g) for g in gauss]
    out[-1] = gauss[-1]
    refs = np.linspace(0.0, 1.0, levels, dtype=np.float32)
    step = refs[1] - refs[0]
    for ref in refs:
        diff = lightness - ref
        remapped = lightness + amount * diff * np.exp(-(diff**2) / (2 * sigma**2))
        lap = _laplacian_pyramid(remapped.astype(np.float32), depth)
        for level in range(depth - 1):
            weight = np.maximum(0.0, 1.0 - np.abs(gauss[level] - ref) / step)
            out[level] += weight * lap[level]
    return _collapse(out)


def local_laplacian(image: np.ndarray, sigma: float = 0.1, amount: float = 2.0, levels: int = 10) -> np.ndarray:
    """Edge-aware detail enhancement of an (H, W, 3) float32 image in [0, 1] (on CIELAB lightness)."""
    lightness = rgb_to_lab(image)[..., 0]
    return replace_lightness(image, local_laplacian_gray(lightness, sigma, amount, int(levels)))
