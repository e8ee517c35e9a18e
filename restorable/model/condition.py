"""Conditioned networks: adding a condition input to a trained network, and binding a condition value.

A conditioned :class:`~restorable.model.qinet.QuasiInvertibleNet` takes ``c`` (B, N), the operator's
conditioned parameters scaled to [0, 1] (:mod:`restorable.operators.condition`); every coupling subnet
of the invertible branch and of H sees it as N constant input maps.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    from restorable.model.qinet import QuasiInvertibleNet


def add_condition(model: QuasiInvertibleNet, channels: int) -> QuasiInvertibleNet:
    """A copy of the unconditioned ``model`` that takes a condition of ``channels`` values and at first
    computes exactly what ``model`` does: the new input channels of its subnets' first layers start at 0
    (the condition maps are appended last to each subnet's input)."""
    from restorable.model.qinet import QuasiInvertibleNet

    if model.config.cond_channels:
        raise ValueError("this network is conditioned already")
    if channels < 1:
        raise ValueError(f"a condition has at least one value, got {channels}")
    grown = QuasiInvertibleNet(replace(model.config, cond_channels=channels))
    old = model.state_dict()
    state = {}
    for key, value in grown.state_dict().items():
        before = old[key]
        if value.shape != before.shape:  # a first layer: (out, in + channels, k, k)
            if value.dim() != 4 or value.shape[1] != before.shape[1] + channels or value.shape[0] != before.shape[0]:
                raise ValueError(f"cannot add a condition to {key}: {tuple(before.shape)} -> {tuple(value.shape)}")
            before = torch.cat([before, before.new_zeros(before.shape[0], channels, *before.shape[2:])], dim=1)
        state[key] = before
    grown.load_state_dict(state)
    return grown


class BoundCondition(nn.Module):
    """A conditioned network with its condition fixed: ``forward(x, reference)`` and ``reverse(y)`` as an
    unconditioned network's (what the engine runs), ``c`` repeated for every image of a batch."""

    def __init__(self, net: QuasiInvertibleNet, c: np.ndarray) -> None:
        super().__init__()
        if len(c) != net.config.cond_channels:
            raise ValueError(f"this network takes a condition of {net.config.cond_channels} values, got {len(c)}")
        self.net = net
        device = next(net.parameters()).device
        self.register_buffer("c", torch.as_tensor(np.asarray(c, dtype=np.float32), device=device)[None])

    @property
    def config(self):
        return self.net.config

    @property
    def stride(self) -> int:
        return self.net.stride

    @property
    def spec(self):
        return self.net.spec

    def _c(self, x: torch.Tensor) -> torch.Tensor:
        return self.c.expand(x.shape[0], -1)

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(x, reference, self._c(x))

    def reverse(self, y: torch.Tensor, delta: torch.Tensor | None = None) -> torch.Tensor:
        return self.net.reverse(y, delta, self._c(y))

