"""Coloured pencil drawing (Lu, Xu, Jia, NPAR 2012: combining sketch and tone).

* Strokes: gradient magnitude classified by the strongest of 8 line
  directions, each class convolved with its line kernel (section 3.1).
* Tone: the grey image is histogram-matched to the paper's three-part tone
  model (bright Laplacian, mid uniform, dark Gaussian; section 3.2).
* Texture: a pencil texture H (synthesised here: directional hatching noise)
  is repeated ``beta`` times, ``beta`` solving
  ``min ||beta ln H - ln J||^2 + lambda ||grad beta||^2`` (eq. 10).
* Colour: the drawing replaces the luma; chroma comes from the photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from restorable.errors import RestorableError
from restorable.luma import luma
from restorable.operators._sparse import solve_weighted_laplacian

_DIRECTIONS = 8


def _line_kernels(length: int) -> list[np.ndarray]:
    kernels = []
    centre = length // 2
    for k in range(_DIRECTIONS):
        kernel = np.zeros((length, length), np.float32)
        angle = np.pi * k / _DIRECTIONS
        dx, dy = np.cos(angle), np.sin(angle)
        for t in np.linspace(-centre, centre, 2 * length):
            kernel[int(round(centre + t * dy)), int(round(centre + t * dx))] = 1.0
        kernels.append(kernel / kernel.sum())
    return kernels


def stroke_map(grey: np.ndarray, length: int, width: float = 1.0) -> np.ndarray:
    """Pencil strokes (H, W) in [0, 1], 1 = white paper."""
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    gx[:, :-1] = np.diff(grey, axis=1)
    gy[:-1] = np.diff(grey, axis=0)
    grad = np.sqrt(gx**2 + gy**2)
    kernels = _line_kernels(length)
    responses = np.stack([cv2.filter2D(grad, -1, k, borderType=cv2.BORDER_REFLECT) for k in kernels])
    best = np.argmax(responses, axis=0)
    strokes = np.zeros_like(grey)
    for k, kernel in enumerate(kernels):
        strokes += cv2.filter2D(np.where(best == k, grad, 0.0).astype(np.float32), -1, kernel * length * width)
    strokes /= max(float(strokes.max()), 1e-6)
    return (1.0 - np.clip(strokes, 0.0, 1.0)).astype(np.float32)


def _tone_quantiles(bright: float, mid: float, dark: float) -> tuple[np.ndarray, np.ndarray]:
    """Tone values v and the CDF of the paper's tone model (eq. 4-7, 0..1 scale)."""
    v = np.linspace(0.0, 1.0, 256)
    p_bright = np.exp(-(1.0 - v) / (9.0 / 255.0)) / (9.0 / 255.0)
    p_mid = ((v >= 105 / 255) & (v <= 225 / 255)) / (120.0 / 255.0)
    p_dark = np.exp(-((v - 90 / 255) ** 2) / (2 * (11 / 255) ** 2)) / np.sqrt(2 * np.pi * (11 / 255) ** 2)
    p = bright * p_bright + mid * p_mid + dark * p_dark
    cdf = np.cumsum(p)
    return v, cdf / cdf[-1]


def tone_map(grey: np.ndarray, bright: float, mid: float, dark: float) -> np.ndarray:
    """Histogram-match ``grey`` to the tone model, then a light box blur as in the paper."""
    v, cdf = _tone_quantiles(bright, mid, dark)
    hist, edges = np.histogram(grey, bins=256, range=(0.0, 1.0))
    src_cdf = np.cumsum(hist) / grey.size
    mapped = np.interp(grey, edges[1:], np.interp(src_cdf, cdf, v))
    return cv2.blur(mapped.astype(np.float32), (3, 3))


def _filter_tileable(tile: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve with periodic borders, so the filtered tile repeats seamlessly."""
    pad = kernel.shape[0] // 2
    padded = np.pad(tile, pad, mode="wrap")
    return cv2.filter2D(padded, -1, kernel)[pad:-pad, pad:-pad]


def pencil_texture(shape: tuple[int, int], seed: int = 2012) -> np.ndarray:
    """A synthetic pencil texture (H, W) in [0.55, 0.98]: diagonal hatching on paper grain."""
    rng = np.random.default_rng(seed)
    tile = 256
    noise = rng.random((tile, tile)).astype(np.float32)
    kernel = np.eye(15, dtype=np.float32)[::-1] / 15.0  # strokes along the diagonal
    hatch = _filter_tileable(noise, kernel)
    blur = cv2.getGaussianKernel(5, 0.7).astype(np.float32)
    grain = _filter_tileable(rng.random((tile, tile)).astype(np.float32), blur @ blur.T)
    texture = 0.7 * hatch + 0.3 * grain
    texture = (texture - texture.min()) / (texture.max() - texture.min())
    texture = 0.55 + 0.43 * texture
    reps = (-(-shape[0] // tile), -(-shape[1] // tile))
    return np.tile(texture, reps)[: shape[0], : shape[1]]


def render_texture(tone: np.ndarray, lam: float = 0.2) -> np.ndarray:
    """Draw ``tone`` with the pencil texture: ``H ** beta`` with smooth ``beta`` (eq. 10)."""
    texture = pencil_texture(tone.shape)
    log_h = np.log(texture)
    log_j = np.log(np.clip(tone, 0.02, 1.0))
    ones = np.full(tone.shape, lam, np.float32)
    beta = solve_weighted_laplacian(log_h**2, ones, ones, log_h * log_j, x0=log_j / log_h)
    return np.clip(texture ** np.maximum(beta, 0.0), 0.0, 1.0).astype(np.float32)


def coloured_pencil(
    image: np.ndarray, stroke_length: float = 0.02, bright: float = 52.0, mid: float = 37.0, dark: float = 11.0
) -> np.ndarray:
    """Coloured pencil drawing of an (H, W, 3) float32 image in [0, 1].

    ``stroke_length`` is the line kernel length as a fraction of the image's
    short side; ``bright``, ``mid``, ``dark`` weigh the tone model's parts.
    """
    if bright + mid + dark <= 0:
        raise RestorableError("cpd: bright, mid and dark cannot all be 0")
    rgb = np.ascontiguousarray(image, dtype=np.float32)
    grey = luma(rgb)
    length = max(3, int(round(stroke_length * min(grey.shape))) | 1)
    drawing = stroke_map(grey, length) * render_texture(tone_map(grey, bright, mid, dark))
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    ycrcb[..., 0] = drawing
    return np.clip(cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB), 0.0, 1.0)
