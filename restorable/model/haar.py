"""Invertible Haar wavelet squeeze: (B, C, H, W) <-> (B, 4C, H/2, W/2)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from restorable.model.invertible import Dims, InvertibleModule


def haar_squeeze(x: torch.Tensor) -> torch.Tensor:
    """Orthonormal 2x2 Haar transform of (B, C, H, W), H and W even -> (B, 4C, H/2, W/2).

    Output channels: [LL(C), LH(C), HL(C), HH(C)]. Orthonormal, so it keeps energy:
    quantisation noise is neither amplified nor shrunk. Built on pixel (un)shuffle
    so that it exports to ONNX with dynamic sizes.
    """
    if x.shape[-1] % 2 or x.shape[-2] % 2:
        raise ValueError(f"Haar squeeze needs even height and width, got {tuple(x.shape[-2:])}")
    n, c = x.shape[:2]
    blocks = F.pixel_unshuffle(x, 2).reshape(n, c, 4, x.shape[-2] // 2, x.shape[-1] // 2)
    a, b, cc, d = blocks.unbind(dim=2)  # top-left, top-right, bottom-left, bottom-right
    return 0.5 * torch.cat([a + b + cc + d, a - b + cc - d, a + b - cc - d, a - b - cc + d], dim=1)


def haar_unsqueeze(x: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`haar_squeeze`: (B, 4C, H/2, W/2) -> (B, C, H, W)."""
    ll, lh, hl, hh = torch.chunk(x, 4, dim=1)
    a = ll + lh + hl + hh
    b = ll - lh + hl - hh
    c = ll + lh - hl - hh
    d = ll - lh - hl + hh
    n, ch, h, w = a.shape
    blocks = 0.5 * torch.stack([a, b, c, d], dim=2).reshape(n, ch * 4, h, w)
    return F.pixel_shuffle(blocks, 2)


class HaarSqueeze(InvertibleModule):
    """:func:`haar_squeeze` as an invertible module (one input, no condition)."""

    def __init__(self, dims_in: Sequence[Dims] = ((3, 0, 0),)) -> None:
        super().__init__(dims_in)

    def output_dims(self, input_dims: Sequence[Dims]) -> list[Dims]:
        c, h, w = input_dims[0]
        return [(4 * c, h // 2, w // 2)]

    def forward(
        self, xs: list[torch.Tensor], c: list[torch.Tensor] | None = None, rev: bool = False
    ) -> list[torch.Tensor]:
        return [haar_unsqueeze(xs[0]) if rev else haar_squeeze(xs[0])]
