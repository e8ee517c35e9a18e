"""Invertible Haar wavelet squeeze: (B, C, H, W) <-> (B, 4C, H/2, W/2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class HaarSqueeze(nn.Module):
    """Orthonormal 2x2 Haar transform. Output channels: [LL(C), LH(C), HL(C), HH(C)].

    Orthonormal, so it keeps energy: quantisation noise is neither amplified nor shrunk.
    Built on pixel (un)shuffle so that it exports to ONNX with dynamic sizes.
    """

    def forward(self, x: torch.Tensor, rev: bool = False) -> torch.Tensor:
        if not rev:
            if x.shape[-1] % 2 or x.shape[-2] % 2:
                raise ValueError(f"Haar squeeze needs even height and width, got {tuple(x.shape[-2:])}")
            n, c = x.shape[:2]
            blocks = F.pixel_unshuffle(x, 2).reshape(n, c, 4, x.shape[-2] // 2, x.shape[-1] // 2)
            a, b, cc, d = blocks.unbind(dim=2)  # top-left, top-right, bottom-left, bottom-right
            return 0.5 * torch.cat([a + b + cc + d, a - b + cc - d, a + b - cc - d, a - b - cc + d], dim=1)
        ll, lh, hl, hh = torch.chunk(x, 4, dim=1)
        a = ll + lh + hl + hh
        b = ll - lh + hl - hh
        c = ll + lh - hl - hh
        d = ll - lh - hl + hh
        n, ch, h, w = a.shape
        blocks = 0.5 * torch.stack([a, b, c, d], dim=2).reshape(n, ch * 4, h, w)
        return F.pixel_shuffle(blocks, 2)
