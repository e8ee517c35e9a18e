"""Image smoothing via L0 gradient minimisation (Xu et al., SIGGRAPH Asia 2011).

The solver follows OpenCV's ``cv2.ximgproc.l0Smooth`` step for step (float32), with
reflecting edges where OpenCV wraps the photo around (its FFT solve joins the right
edge to the left and the bottom to the top: bright or tinted lines there on strongly
smoothed photos). The screened Poisson step is solved with cosine transforms
(restorable.operators._dct: scipy's on the CPU, torch's real FFTs on a GPU), close to
OpenCV's solve on the photo mirrored at its edges.
"""

from __future__ import annotations

import functools

import numpy as np

BETA_MAX = 1e5


def _gradient_spectrum(height: int, width: int, device: str = "cpu"):
    """Eigenvalues of D^T D for forward differences with reflecting (Neumann) edges, in the DCT-II basis:
    (2 - 2 cos(pi k / N)) summed over the two axes, (H, W) float32."""
    import torch

    ky = torch.arange(height, device=device, dtype=torch.float64)
    kx = torch.arange(width, device=device, dtype=torch.float64)
    down = 2.0 - 2.0 * torch.cos(torch.pi * ky / height)
    across = 2.0 - 2.0 * torch.cos(torch.pi * kx / width)
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
    """The half-quadratic splitting iterations on s (C, H, W) float32; the result clamped to [0, 1].

    Reflecting edges: no gradient leaves the photo, and the S sub-problem is solved with cosine transforms
    (the photo mirrored at its edges), so the right and bottom edges look like the interior. OpenCV solves
    on a circular domain, which wraps each edge onto the opposite one (bright or tinted edge lines).
    """
    import torch

    from restorable.operators._dct import dct2, idct2

    _, height, width = s.shape
    spectrum = _gradient_spectrum(height, width, s.device)
    source_freq = dct2(s)
    h, v, minus_div = torch.zeros_like(s), torch.zeros_like(s), torch.empty_like(s)
    beta = 2.0 * lam
    while beta < BETA_MAX:
        # h, v sub-problem: keep a pixel's gradient only where it pays for its L0 cost (none across an edge).
        torch.sub(s[:, :, 1:], s[:, :, :-1], out=h[:, :, :-1])
        torch.sub(s[:, 1:], s[:, :-1], out=v[:, :-1])
        keep = (h * h + v * v).sum(dim=0) > lam / beta
        h *= keep
        v *= keep
        # D^T (h, v): backward differences, nothing flowing in from outside the photo.
        torch.sub(h[:, :, :-1], h[:, :, 1:], out=minus_div[:, :, 1:])
        torch.neg(h[:, :, 0], out=minus_div[:, :, 0])
        minus_div[:, 1:] += v[:, :-1] - v[:, 1:]
        minus_div[:, 0] -= v[:, 0]
        # S sub-problem: a screened Poisson solve, diagonal in the cosine-transform domain.
        s = idct2((source_freq + beta * dct2(minus_div)) / (1.0 + beta * spectrum))
        beta *= kappa
    return s.clamp(0.0, 1.0)
