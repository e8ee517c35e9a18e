"""Image smoothing via L0 gradient minimisation (Xu et al., SIGGRAPH Asia 2011).

The solver follows OpenCV's ``cv2.ximgproc.l0Smooth`` step for step (same
border conventions, float32) with torch's multi-threaded real FFTs: about 5x
faster on 2 cores (0.19 s vs 0.95 s at 640x480), within 0.02 of OpenCV's
result (max abs on [0, 1]; mean ~1e-4).
"""

from __future__ import annotations

import functools

import numpy as np

BETA_MAX = 1e5


def _gradient_spectrum(height: int, width: int, device: str = "cpu"):
    """|F(dx)|^2 + |F(dy)|^2 of the circular forward-difference filters, (H, W//2+1) float32.

    In closed form: |1 - exp(2 pi i k / N)|^2 = 2 - 2 cos(2 pi k / N) per axis.
    """
    import torch

    kx = torch.arange(width // 2 + 1, device=device, dtype=torch.float64)
    ky = torch.arange(height, device=device, dtype=torch.float64)
    across = 2.0 - 2.0 * torch.cos(2.0 * torch.pi * kx / width)
    down = 2.0 - 2.0 * torch.cos(2.0 * torch.pi * ky / height)
    return (down[:, None] + across[None, :]).float()


def l0_smooth(image: np.ndarray, lam: float = 0.02, kappa: float = 2.0, device: str | None = None) -> np.ndarray:
    """Flatten an (H, W, 3) float32 image in [0, 1] into piecewise-constant regions.

    ``lam`` weighs the count of non-zero gradients; ``kappa`` is the rate at
    which the half-quadratic splitting weight beta grows (paper section 3).
    ``device``: the torch device to solve on (None: the CPU).
    """
    import torch

    rows, cols = image.shape[:2]
    # The solver needs two pixels per side; a replicated edge adds no gradient.
    if rows < 2 or cols < 2:
        image = np.pad(image, ((0, max(0, 2 - rows)), (0, max(0, 2 - cols)), (0, 0)), mode="edge")
    device = device or "cpu"
    with torch.inference_mode():
        s = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).to(device).permute(2, 0, 1).contiguous()
        if s.is_cuda:  # launch-bound at photo sizes: replayed as one CUDA graph per size
            s = _graphs()(lambda x: _solve(x, lam, kappa), [s], key=(lam, kappa))
        else:
            s = _solve(s, lam, kappa)
        return s.permute(1, 2, 0)[:rows, :cols].cpu().numpy()


@functools.cache
def _graphs():
    """The CUDA-graph cache of the solver (made on first use: it imports torch)."""
    from restorable.cuda_graphs import GraphCache

    return GraphCache()


def _solve(s, lam: float, kappa: float):
    """The half-quadratic splitting iterations on s (C, H, W) float32; the result clamped to [0, 1]."""
    import torch

    _, height, width = s.shape
    spectrum = _gradient_spectrum(height, width, s.device)
    source_freq = torch.fft.rfft2(s)
    h, v, minus_div = torch.zeros_like(s), torch.zeros_like(s), torch.empty_like(s)
    beta = 2.0 * lam
    while beta < BETA_MAX:
        # h, v sub-problem: keep a pixel's gradient only where it pays for its L0 cost.
        torch.sub(s[:, :, 1:], s[:, :, :-1], out=h[:, :, :-1])
        torch.sub(s[:, 1:], s[:, :-1], out=v[:, :-1])
        keep = (h * h + v * v).sum(dim=0) > lam / beta
        h *= keep
        v *= keep
        # Backward differences; OpenCV's filter2D mirrors the first row/column.
        torch.sub(h[:, :, :-1], h[:, :, 1:], out=minus_div[:, :, 1:])
        torch.sub(h[:, :, 1], h[:, :, 0], out=minus_div[:, :, 0])
        minus_div[:, 1:] += v[:, :-1] - v[:, 1:]
        minus_div[:, 0] += v[:, 1] - v[:, 0]
        # S sub-problem: a screened Poisson solve, diagonal in the Fourier domain.
        numerator = source_freq + beta * torch.fft.rfft2(minus_div)
        s = torch.fft.irfft2(numerator / (1.0 + beta * spectrum), s=(height, width))
        beta *= kappa
    return s.clamp(0.0, 1.0)
