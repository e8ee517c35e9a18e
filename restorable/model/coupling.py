"""Affine coupling block with a clamped scale (as in IRN and the authors' IVOP code)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

SubnetConstructor = Callable[[int, int], nn.Module]


class AffineCoupling(nn.Module):
    """Split channels into (x1, x2) and couple them invertibly.

    Forward::

        y1 = x1 + F(x2)
        s  = clamp * (2 * sigmoid(S(y1)) - 1)
        y2 = x2 * exp(s) + G(y1)

    Args:
        channels: total channels C.
        split: channels in x1; x2 has ``C - split``.
        subnet: constructor ``(c_in, c_out) -> nn.Module`` for F, S and G.
        clamp: bound on |s|.
    """

    def __init__(self, channels: int, split: int, subnet: SubnetConstructor, clamp: float = 1.0) -> None:
        super().__init__()
        if not 0 < split < channels:
            raise ValueError(f"split must be in (0, {channels}), got {split}")
        self.split = split
        self.clamp = clamp
        rest = channels - split
        self.f = subnet(rest, split)
        self.s = subnet(split, rest)
        self.g = subnet(split, rest)

    def _scale(self, y1: torch.Tensor) -> torch.Tensor:
        return self.clamp * (2.0 * torch.sigmoid(self.s(y1)) - 1.0)

    def forward(self, x: torch.Tensor, rev: bool = False) -> torch.Tensor:
        x1, x2 = x[:, : self.split], x[:, self.split :]
        if not rev:
            y1 = x1 + self.f(x2)
            y2 = x2 * torch.exp(self._scale(y1)) + self.g(y1)
            return torch.cat([y1, y2], dim=1)
        y1, y2 = x1, x2
        x2 = (y2 - self.g(y1)) * torch.exp(-self._scale(y1))
        x1 = y1 - self.f(x2)
        return torch.cat([x1, x2], dim=1)


class InvertibleScale(nn.Module):
    """Per-channel learnable scale ``y = x * exp(log_scale)`` (ActNorm without the shift)."""

    def __init__(self, channels: int, init_scale: float = 1.0) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.full((1, channels, 1, 1), float(torch.tensor(init_scale).log())))

    def forward(self, x: torch.Tensor, rev: bool = False) -> torch.Tensor:
        return x * torch.exp(-self.log_scale if rev else self.log_scale)


class InvertibleSequence(nn.Module):
    """Invertible modules applied in order (reverse order when ``rev``)."""

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__()
        self.steps = nn.ModuleList(modules)

    def forward(self, x: torch.Tensor, rev: bool = False) -> torch.Tensor:
        for step in reversed(self.steps) if rev else self.steps:
            x = step(x, rev=rev)
        return x
