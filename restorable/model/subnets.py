"""Subnetworks: coupling subnets and the auxiliary (non-invertible) approximation branch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from restorable.luma import LUMA_WEIGHTS


def conv_subnet(width: int):
    """Constructor of a 3-layer conv subnet whose last layer starts at zero (block starts as identity)."""

    def make(c_in: int, c_out: int) -> nn.Module:
        body = nn.Sequential(
            nn.Conv2d(c_in, width, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, width, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, c_out, 3, padding=1),
        )
        nn.init.zeros_(body[-1].weight)
        nn.init.zeros_(body[-1].bias)
        return body

    return make


class SkipSubnet(nn.Module):
    """``sign * x + body(x)``: a subnet that starts as (minus) the identity.

    Only the first ``c_out`` channels of ``x`` are added (the rest, e.g. a condition, are the body's alone).
    """

    def __init__(self, body: nn.Module, sign: float) -> None:
        super().__init__()
        self.body = body
        self.sign = sign

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return self.sign * x[:, : out.shape[1]] + out


class ContextApproximator(nn.Module):
    """Learned approximation of the operator, output in the Haar domain (B, 12, H/2, W/2), or (B, 4, ...) ``grey``.

    A dilated context network runs at 1/4 resolution (global context at low
    cost, as in Deep Guided Filter), is upsampled to half resolution and
    fused with the Haar coefficients of the input, predicting their change
    (for ``grey``: the change of their luma).
    """

    def __init__(self, width: int = 32, dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1), grey: bool = False) -> None:
        super().__init__()
        self.grey = grey
        out = 4 if grey else 12
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1, padding_mode="replicate"), nn.LeakyReLU(0.2, inplace=True)]
        for d in dilations:
            layers += [nn.Conv2d(width, width, 3, padding=d, dilation=d, padding_mode="replicate"), nn.LeakyReLU(0.2, inplace=True)]
        self.context = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Conv2d(12 + width, width, 3, padding=1, padding_mode="replicate"),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, width, 3, padding=1, padding_mode="replicate"),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, out, 3, padding=1, padding_mode="replicate"),
        )
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, image: torch.Tensor, haar: torch.Tensor) -> torch.Tensor:
        """image: (B, 3, H, W) in [0, 1]; haar: its Haar coefficients (B, 12, H/2, W/2)."""
        h, w = image.shape[-2:]
        low = F.avg_pool2d(F.pad(image, (0, (-w) % 4, 0, (-h) % 4), mode="replicate"), 4)
        feat = F.interpolate(self.context(low), size=haar.shape[-2:], mode="bilinear", align_corners=False)
        base = haar
        if self.grey:  # Haar bands are [LL(3), LH(3), HL(3), HH(3)]; luma is linear, so per band
            weights = haar.new_tensor(LUMA_WEIGHTS)[None, None, :, None, None]
            base = (haar.unflatten(1, (4, 3)) * weights).sum(dim=2)
        return base + self.head(torch.cat([haar, feat], dim=1))
