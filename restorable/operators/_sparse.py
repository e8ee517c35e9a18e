"""Weighted-Laplacian linear systems shared by the optimisation-based operators.

WLS, RTV and the pencil texture step of CPD all solve, per channel,
``(diag(d) + L_w) x = b`` where ``L_w`` is the 4-neighbour graph Laplacian
with horizontal weights ``wx`` and vertical weights ``wy``. The matrix is
symmetric positive definite, so a Jacobi-preconditioned conjugate gradient
at ``rtol=1e-3`` is as good as a direct solve and needs far less memory.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from restorable.errors import RestorableError


def weighted_laplacian_system(diag: np.ndarray, wx: np.ndarray, wy: np.ndarray) -> sp.csr_matrix:
    """Build ``diag(d) + L_w`` for an H x W grid.

    Args:
        diag: (H, W) non-negative diagonal term.
        wx: (H, W) weight between pixel (i, j) and (i, j + 1); the last column is ignored.
        wy: (H, W) weight between pixel (i, j) and (i + 1, j); the last row is ignored.
    """
    h, w = diag.shape
    wx = wx.astype(np.float64).copy()
    wy = wy.astype(np.float64).copy()
    wx[:, -1] = 0.0
    wy[-1, :] = 0.0
    east = wx.ravel()
    south = wy.ravel()
    n = h * w
    centre = diag.astype(np.float64).ravel() + east + south
    centre[1:] += east[:-1]  # weight to the left neighbour
    centre[w:] += south[:-w]  # weight to the upper neighbour
    upper = sp.diags([east[: n - 1]], [1], shape=(n, n), format="csr")
    if h > 1:
        upper = upper + sp.diags([south[: n - w]], [w], shape=(n, n), format="csr")
    return (sp.diags(centre, format="csr") - upper - upper.T).tocsr()


def solve_weighted_laplacian(
    diag: np.ndarray,
    wx: np.ndarray,
    wy: np.ndarray,
    rhs: np.ndarray,
    x0: np.ndarray | None = None,
    rtol: float = 1e-3,
    device: str | None = None,
) -> np.ndarray:
    """Solve ``(diag(d) + L_w) x = rhs`` channel by channel (SciPy), or on a torch ``device``.

    Args:
        diag, wx, wy: (H, W) arrays, see :func:`weighted_laplacian_system`.
        rhs: (H, W) or (H, W, C) right-hand side.
        x0: initial guess with the shape of ``rhs`` (defaults to ``rhs``).

    Returns:
        float32 array with the shape of ``rhs``.
    """
    if device is not None:
        from restorable.operators._sparse_torch import solve_weighted_laplacian_torch

        return solve_weighted_laplacian_torch(diag, wx, wy, rhs, x0, rtol, device)
    h, w = diag.shape
    if rhs.shape[:2] != (h, w):
        raise ValueError(f"rhs shape {rhs.shape} does not match the grid {h}x{w}")
    a = weighted_laplacian_system(diag, wx, wy).astype(np.float32)
    inv_diag = (1.0 / a.diagonal()).astype(np.float32)
    precond = spla.LinearOperator(a.shape, matvec=lambda v: inv_diag * v, dtype=np.float32)
    b = rhs.reshape(h * w, -1).astype(np.float32)
    guess = (x0 if x0 is not None else rhs).reshape(h * w, -1).astype(np.float32)
    out = np.empty_like(b)
    for c in range(b.shape[1]):
        x, info = spla.cg(a, b[:, c], x0=guess[:, c], rtol=rtol, maxiter=2000, M=precond)
        if info < 0:
            raise RestorableError("the sparse solver broke down (illegal input)")
        out[:, c] = x
    return out.reshape(rhs.shape)
