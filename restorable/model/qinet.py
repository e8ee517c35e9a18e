"""The quasi-invertible network: invertible branch + auxiliary branch, fused by an invertible block H.

Forward (x: (B, 3, H, W) in [0, 1], H and W even)::

    z      = Phi(Haar(x))                 invertible branch (coupling blocks, then a learnable scale)
    a      = A(x)                         auxiliary branch, Haar domain (learned, or the reference output)
    (y', d) = H(z, a)                     invertible fusion; y = Haar^-1(y') is the processed image,
                                          d = delta, trained towards 0
Reverse (restoration, from the stored 8-bit y and delta = 0)::

    (z, a^) = H^-1(Haar(y), 0);  x = Haar^-1(Phi^-1(z))

The auxiliary branch never runs in reverse, so restoring needs only y.

``carrier_channels`` is the processed image's channel count: 3 for a colour
effect, 1 for a grey image (then y' has 4 Haar channels and delta the other 12,
so the colour that the grey image lacks must be hidden in it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

from restorable.model.coupling import AffineCoupling, InvertibleScale
from restorable.model.haar import haar_squeeze, haar_unsqueeze
from restorable.model.invertible import InvertibleSequence
from restorable.model.subnets import ContextApproximator, conv_subnet
from restorable.transforms.protocol import ImageSpec, TransformSpec

AUX_KINDS = ("learned", "reference", "none")  # none: networks without one (rescaling)
# Largest accepted architecture values (checkpoints are checked against them when loaded).
LIMITS = {
    "inv_blocks": 64, "inv_width": 1024, "fusion_blocks": 16, "fusion_width": 1024, "aux_width": 1024,
    "code_scale": 100.0, "clamp": 100.0, "cond_channels": 64, "carrier_channels": 3, "downscale": 8, "inputs": 4,
}
MAY_BE_ZERO = ("cond_channels",)  # the others must be above 0


@dataclass(frozen=True)
class ModelConfig:
    """Architecture hyper-parameters (stored in every checkpoint)."""

    inv_blocks: int = 4
    inv_width: int = 32
    fusion_blocks: int = 1
    fusion_width: int = 32
    aux: str = "learned"
    aux_width: int = 32
    code_scale: float = 1.0 / 16.0
    clamp: float = 1.0
    cond_channels: int = 0  # length of the condition vector c (normalised operator parameters); 0: none
    carrier_channels: int = 3  # channels of the processed image: 3 (an effect) or 1 (a grey image)
    downscale: int = 1  # how many times smaller the carrier's sides are (2, 4, 8: rescaling networks)
    inputs: int = 1  # how many RGB images go in (2 to 4: packing networks)

    def __post_init__(self) -> None:
        if self.carrier_channels not in (1, 3):
            raise ValueError(f"carrier_channels must be 1 or 3, got {self.carrier_channels!r}")
        if self.downscale not in (1, 2, 4, 8):
            raise ValueError(f"downscale must be 1, 2, 4 or 8, got {self.downscale!r}")
        if self.aux not in AUX_KINDS:
            raise ValueError(f"aux must be one of {AUX_KINDS}, got {self.aux!r}")
        # bounds far beyond any useful network: a file cannot make us build a huge one
        for name, high in LIMITS.items():
            value, zero_ok = getattr(self, name), name in MAY_BE_ZERO
            if (
                isinstance(value, bool) or not isinstance(value, (int, float))
                or not (value >= 0 if zero_ok else value > 0) or value > high
            ):
                raise ValueError(f"{name} must be a number in {'[' if zero_ok else '('}0, {high}], got {value!r}")
            if isinstance(high, int) and not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number, got {value!r}")

    def to_dict(self) -> dict:
        """As stored in checkpoints; ``cond_channels``, ``carrier_channels``, ``downscale`` and ``inputs`` only when
        not their defaults (files of unconditioned colour effects stay as they were)."""
        values = asdict(self)
        if values["inputs"] == 1:
            del values["inputs"]
        if values["downscale"] == 1:
            del values["downscale"]
        if not values["cond_channels"]:
            del values["cond_channels"]
        if values["carrier_channels"] == 3:
            del values["carrier_channels"]
        return values


class QuasiInvertibleNet(nn.Module):
    """See the module docstring. ``stride`` is the size multiple the input needs (2)."""

    stride = 2

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        if config.downscale != 1 or config.aux == "none" or config.inputs != 1:
            raise ValueError("the quasi-invertible network keeps the size and has an auxiliary branch (downscale 1)")
        self.config = config
        self.carrier = 4 * config.carrier_channels  # Haar channels of the processed image
        code_dims, fused_dims = [(12, 0, 0)], [(12 + self.carrier, 0, 0)]
        cond = [(config.cond_channels,)] if config.cond_channels else []
        subnet = conv_subnet(config.inv_width)
        blocks = [AffineCoupling(code_dims, 3, subnet, config.clamp, dims_c=cond) for _ in range(config.inv_blocks)]
        self.invertible = InvertibleSequence(*blocks, InvertibleScale(code_dims, config.code_scale))
        fusion = conv_subnet(config.fusion_width)
        if self.carrier == 12:
            # H's first block starts at y = z + a (F = +identity, G = -identity), so delta = a - y; later ones as the identity
            steps = [
                AffineCoupling(fused_dims, 12, fusion, config.clamp, skip=(1.0, -1.0) if i == 0 else (0.0, 0.0), dims_c=cond)
                for i in range(config.fusion_blocks)
            ]
        else:  # H sees (a, z): y starts as a, delta as z (12 channels that y must come to carry)
            steps = [AffineCoupling(fused_dims, self.carrier, fusion, config.clamp, dims_c=cond) for _ in range(config.fusion_blocks)]
        self.fusion = InvertibleSequence(*steps)
        if config.aux == "learned":
            self.aux = ContextApproximator(config.aux_width, grey=config.carrier_channels == 1)
        else:
            self.aux = None

    def approximate(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """The auxiliary branch output in the Haar domain (B, 4 * carrier_channels, H/2, W/2)."""
        if self.aux is None:
            if reference is None:
                raise ValueError("this model's auxiliary branch is the reference operator: pass reference=")
            return haar_squeeze(reference)
        return self.aux(x, haar_squeeze(x))

    def forward(
        self, x: torch.Tensor, reference: torch.Tensor | None = None, c: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 3, H, W) -> (y: (B, carrier_channels, H, W) processed image, delta: (B, 12, H/2, W/2)).

        ``c``: (B, cond_channels) condition of a conditioned network (its subnets all see it).
        """
        cond = self._condition(c)
        (code,) = self.invertible([haar_squeeze(x)], cond)
        approx = self.approximate(x, reference)
        parts = [code, approx] if self.carrier == 12 else [approx, code]
        (fused,) = self.fusion([torch.cat(parts, dim=1)], cond)
        return haar_unsqueeze(fused[:, : self.carrier]), fused[:, self.carrier :]

    def reverse(self, y: torch.Tensor, delta: torch.Tensor | None = None, c: torch.Tensor | None = None) -> torch.Tensor:
        """Restore x (B, 3, H, W) from y (B, carrier_channels, H, W); ``delta`` defaults to 0; ``c``: as in ``forward``."""
        cond = self._condition(c)
        haar_y = haar_squeeze(y)
        if delta is None:
            delta = haar_y.new_zeros(haar_y.shape[0], 12, *haar_y.shape[2:])
        (fused,) = self.fusion([torch.cat([haar_y, delta], dim=1)], cond, rev=True)
        code = fused[:, :12] if self.carrier == 12 else fused[:, self.carrier :]
        (source,) = self.invertible([code], cond, rev=True)
        return haar_unsqueeze(source)

    @property
    def spec(self) -> TransformSpec:
        """The transform spec (restorable.transforms): one RGB photo in, one same-size carrier out."""
        return TransformSpec(inputs=ImageSpec(3), carrier=ImageSpec(self.config.carrier_channels), stride=self.stride)

    def encode(
        self, inputs: list[torch.Tensor], cond: torch.Tensor | None = None, reference: torch.Tensor | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The :class:`~restorable.transforms.RestorableTransform` form of :meth:`forward`."""
        y, delta = self(inputs[0], reference, cond)
        return [y], delta

    def decode(self, carrier: list[torch.Tensor], cond: torch.Tensor | None = None) -> list[torch.Tensor]:
        """The :class:`~restorable.transforms.RestorableTransform` form of :meth:`reverse`."""
        return [self.reverse(carrier[0], c=cond)]

    def _condition(self, c: torch.Tensor | None) -> list[torch.Tensor] | None:
        wanted = self.config.cond_channels
        if c is None and wanted:
            raise ValueError(f"this network takes a condition of {wanted} values: pass c=")
        if c is not None and not wanted:
            raise ValueError("this network takes no condition")
        return None if c is None else [c]

    def with_more_blocks(self, extra: int, branch: str = "invertible") -> QuasiInvertibleNet:
        """A copy with ``extra`` coupling blocks added to ``branch``: "invertible" (before its scale) or "fusion" (H, at its end).

        New blocks start as the identity (their subnets' last layers are zero), so the
        copy computes exactly what this network does; training then uses them.
        """
        if extra < 0:
            raise ValueError(f"extra must be >= 0, got {extra}")
        if branch not in ("invertible", "fusion"):
            raise ValueError(f"branch must be 'invertible' or 'fusion', got {branch!r}")
        if branch == "fusion" and self.carrier == 12:
            raise ValueError("H of a colour effect starts with skip connections: only a grey network's H can grow")
        key_name = "inv_blocks" if branch == "invertible" else "fusion_blocks"
        old = getattr(self.config, key_name)
        grown = QuasiInvertibleNet(replace(self.config, **{key_name: old + extra}))
        state = {}
        for key, value in self.state_dict().items():
            parts = key.split(".")
            if branch == "invertible" and parts[0] == "invertible" and int(parts[2]) == old:  # the scale moves back
                parts[2] = str(old + extra)
            state[".".join(parts)] = value
        missing, unexpected = grown.load_state_dict(state, strict=False)
        new_blocks = {f"{branch}.steps.{i}" for i in range(old, old + extra)}
        if unexpected or any(".".join(k.split(".")[:3]) not in new_blocks for k in missing):
            raise ValueError(f"cannot grow this network: unexpected {unexpected}, missing {missing}")
        return grown
