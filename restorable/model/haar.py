"""Invertible Haar wavelet squeeze: (B, C, H, W) <-> (B, 4C, H/2, W/2)."""

from __future__ import annotations

import torch
from torch import nn


class HaarSqueeze(nn.Module):
    """Orthonormal 2x2 Haar transform. Output channels: [LL(C), LH(C), HL(C), HH(C)].

    Orthonormal, so it keeps energy: quantisation noise is neither amplified nor shrunk.
    """

    def forward(self, x: torch.Tensor, rev: bool = False) -> torch.Tensor:
        if not rev:
            if x.shape[-1] % 2 or x.shape[-2] % 2:
                raise ValueError(f"Haar squeeze needs even height and width, got {tuple(x.shape[-2:])}")
            a, b = x[..., 0::2, 0::2], x[..., 0::2, 1::2]
            c, d = x[..., 1::2, 0::2], x[..., 1::2, 1::2]
            return 0.5 * torch.cat([a + b + c + d, a - b + c - d, a + b - c - d, a - b - c + d], dim=1)
        ll, lh, hl, hh = torch.chunk(x, 4, dim=1)
        a = 0.5 * (ll + lh + hl + hh)
        b = 0.5 * (ll - lh + hl - hh)
        c = 0.5 * (ll + lh - hl - hh)
        d = 0.5 * (ll - lh - hl + hh)
        n, ch, h, w = a.shape
        out = a.new_empty(n, ch, 2 * h, 2 * w)
        out[..., 0::2, 0::2], out[..., 0::2, 1::2] = a, b
        out[..., 1::2, 0::2], out[..., 1::2, 1::2] = c, d
        return out
