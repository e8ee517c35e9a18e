"""The invertible-module contract (as in FrEIA): lists of tensors in and out, an optional condition.

Every invertible part of a network (Haar squeeze, coupling blocks, scales,
sequences of them) is an :class:`InvertibleModule`::

    ys = module(xs, c=None)            # forward
    xs = module(ys, c=None, rev=True)  # exact inverse

``xs`` is a list of (B, C, H, W) tensors; ``c`` an optional list of (B, N)
condition vectors (e.g. operator parameters scaled to [0, 1]) that every
subnet sees and that the inverse needs again. ``output_dims`` declares the
output shapes (without the batch axis) for given input shapes, so a sequence
checks that its parts fit together when it is built.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

Dims = tuple[int, ...]  # (C, H, W) without the batch axis; H, W may be 0 for "any"


class InvertibleModule(nn.Module):
    """Base class: ``forward(xs, c=None, rev=False) -> list of tensors`` and ``output_dims``.

    Args:
        dims_in: shapes of the inputs, (C, H, W) each (H, W: 0 for any size).
        dims_c: shapes of the condition inputs, (N,) each; empty without a condition.
    """

    def __init__(self, dims_in: Sequence[Dims], dims_c: Sequence[Dims] = ()) -> None:
        super().__init__()
        self.dims_in = [tuple(d) for d in dims_in]
        self.dims_c = [tuple(d) for d in dims_c]

    def output_dims(self, input_dims: Sequence[Dims]) -> list[Dims]:
        """Output shapes for ``input_dims`` (default: the same)."""
        return [tuple(d) for d in input_dims]

    def forward(
        self, xs: list[torch.Tensor], c: list[torch.Tensor] | None = None, rev: bool = False
    ) -> list[torch.Tensor]:
        raise NotImplementedError

    def check_condition(self, c: list[torch.Tensor] | None) -> list[torch.Tensor]:
        """``c`` as a list that matches ``dims_c``, or a ValueError saying what is wrong."""
        c = list(c or [])
        if len(c) != len(self.dims_c):
            raise ValueError(f"{type(self).__name__} takes {len(self.dims_c)} condition input(s), got {len(c)}")
        for tensor, dims in zip(c, self.dims_c):
            if tensor.dim() != 2 or tuple(tensor.shape[1:]) != dims:
                raise ValueError(f"condition of shape (B, {dims[0]}) expected, got {tuple(tensor.shape)}")
        return c


class InvertibleSequence(InvertibleModule):
    """Invertible modules applied in order (in reverse order when ``rev``); the condition reaches each.

    The parts' declared shapes are checked against each other when the sequence is built.
    """

    def __init__(self, *modules: InvertibleModule) -> None:
        if not modules:
            raise ValueError("an invertible sequence needs at least one module")
        conditioned = [m.dims_c for m in modules if m.dims_c]
        if any(d != conditioned[0] for d in conditioned):
            raise ValueError("the modules of a sequence share one condition: their dims_c differ")
        super().__init__(modules[0].dims_in, conditioned[0] if conditioned else ())
        dims = modules[0].dims_in
        for module in modules:
            if not _fits(module.dims_in, dims):
                raise ValueError(f"{type(module).__name__} takes {module.dims_in}, but gets {dims}")
            dims = module.output_dims(dims)
        self.dims_out = dims
        self.steps = nn.ModuleList(modules)

    def output_dims(self, input_dims: Sequence[Dims]) -> list[Dims]:
        for module in self.steps:
            input_dims = module.output_dims(input_dims)
        return list(input_dims)

    def forward(
        self, xs: list[torch.Tensor], c: list[torch.Tensor] | None = None, rev: bool = False
    ) -> list[torch.Tensor]:
        for step in reversed(self.steps) if rev else self.steps:
            xs = step(xs, c if step.dims_c else None, rev=rev)
        return xs


def _fits(expected: Sequence[Dims], given: Sequence[Dims]) -> bool:
    """Whether shapes ``given`` fit ``expected`` (0 matches any size)."""
    if len(expected) != len(given):
        return False
    return all(
        len(e) == len(g) and all(a == 0 or b == 0 or a == b for a, b in zip(e, g)) for e, g in zip(expected, given)
    )
