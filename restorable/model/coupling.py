"""Coupling blocks (a base class whose subclasses write their two halves) and a learnable scale."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from restorable.model.invertible import Dims, InvertibleModule
from restorable.model.subnets import SkipSubnet

SubnetConstructor = Callable[[int, int], nn.Module]


class CouplingBlock(InvertibleModule):
    """Split one (B, C, H, W) input into (x1, x2) along channels and couple the halves.

    Forward: ``y1 = coupling1(x1 | x2)``, then ``y2 = coupling2(x2 | y1)``; reverse undoes
    them in the other order. Subclasses write ``_coupling1`` and ``_coupling2``; the
    subnets they build see the other half with the condition appended as constant
    channels (``dims_c``: one (N,) vector, e.g. operator parameters in [0, 1]).

    Args:
        dims_in: ``[(C, H, W)]``, one input.
        split: channels in x1; x2 has ``C - split``.
        dims_c: ``[(N,)]`` for a conditioned block, ``[]`` for none.
    """

    def __init__(self, dims_in: list[Dims], split: int, dims_c: list[Dims] = ()) -> None:
        super().__init__(dims_in, dims_c)
        if len(self.dims_in) != 1:
            raise ValueError(f"a coupling block takes one input, got {len(self.dims_in)}")
        channels = self.dims_in[0][0]
        if not 0 < split < channels:
            raise ValueError(f"split must be in (0, {channels}), got {split}")
        if len(self.dims_c) > 1:
            raise ValueError("a coupling block takes at most one condition vector")
        self.split = split
        self.cond_channels = self.dims_c[0][0] if self.dims_c else 0
        self.sizes = (split, channels - split)

    def _with_condition(self, x: torch.Tensor, c: list[torch.Tensor]) -> torch.Tensor:
        if not c:
            return x
        maps = c[0].to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[-2:])
        return torch.cat([x, maps], dim=1)

    def _coupling1(self, x1: torch.Tensor, u2: torch.Tensor, rev: bool) -> torch.Tensor:
        raise NotImplementedError

    def _coupling2(self, x2: torch.Tensor, u1: torch.Tensor, rev: bool) -> torch.Tensor:
        raise NotImplementedError

    def forward(
        self, xs: list[torch.Tensor], c: list[torch.Tensor] | None = None, rev: bool = False
    ) -> list[torch.Tensor]:
        c = self.check_condition(c)
        x = xs[0]
        a, b = x[:, : self.split], x[:, self.split :]
        if not rev:
            a = self._coupling1(a, self._with_condition(b, c), rev=False)
            b = self._coupling2(b, self._with_condition(a, c), rev=False)
        else:
            b = self._coupling2(b, self._with_condition(a, c), rev=True)
            a = self._coupling1(a, self._with_condition(b, c), rev=True)
        return [torch.cat([a, b], dim=1)]


class AffineCoupling(CouplingBlock):
    """IRN's coupling, as in the authors' IVOP code, with a clamped scale::

        y1 = x1 + F(x2)
        s  = clamp * (2 * sigmoid(S(y1)) - 1)
        y2 = x2 * exp(s) + G(y1)

    Args:
        subnet: constructor ``(c_in, c_out) -> nn.Module`` for F, S and G.
        clamp: bound on |s|.
        skip: ``(a, b)``: F and G start as ``a * identity`` and ``b * identity`` plus their
            subnet (both halves the same size); (0, 0): plain subnets.
    """

    def __init__(
        self,
        dims_in: list[Dims],
        split: int,
        subnet: SubnetConstructor,
        clamp: float = 1.0,
        skip: tuple[float, float] = (0.0, 0.0),
        dims_c: list[Dims] = (),
    ) -> None:
        super().__init__(dims_in, split, dims_c)
        n1, n2 = self.sizes
        if any(skip) and n1 != n2:
            raise ValueError("skip connections need halves of the same size")
        self.clamp = clamp
        self.f = _skipped(subnet(n2 + self.cond_channels, n1), skip[0])
        self.s = subnet(n1 + self.cond_channels, n2)
        self.g = _skipped(subnet(n1 + self.cond_channels, n2), skip[1])

    def _coupling1(self, x1: torch.Tensor, u2: torch.Tensor, rev: bool) -> torch.Tensor:
        return x1 - self.f(u2) if rev else x1 + self.f(u2)

    def _coupling2(self, x2: torch.Tensor, u1: torch.Tensor, rev: bool) -> torch.Tensor:
        scale = self.clamp * (2.0 * torch.sigmoid(self.s(u1)) - 1.0)
        if rev:
            return (x2 - self.g(u1)) * torch.exp(-scale)
        return x2 * torch.exp(scale) + self.g(u1)


def _skipped(body: nn.Module, sign: float) -> nn.Module:
    return SkipSubnet(body, sign) if sign else body


class InvertibleScale(InvertibleModule):
    """Per-channel learnable scale ``y = x * exp(log_scale)`` (ActNorm without the shift)."""

    def __init__(self, dims_in: list[Dims], init_scale: float = 1.0) -> None:
        super().__init__(dims_in)
        channels = self.dims_in[0][0]
        self.log_scale = nn.Parameter(torch.full((1, channels, 1, 1), float(torch.tensor(init_scale).log())))

    def forward(
        self, xs: list[torch.Tensor], c: list[torch.Tensor] | None = None, rev: bool = False
    ) -> list[torch.Tensor]:
        return [xs[0] * torch.exp(-self.log_scale if rev else self.log_scale)]
