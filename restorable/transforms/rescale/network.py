"""The rescaling network (IRN's design, Xiao et al. 2022): per 2x level a Haar squeeze and affine coupling
blocks; the low band becomes the small image, the rest is the latent z, set to 0 to restore.

Forward (x: (B, 3, H, W) in [0, 1], H and W multiples of the downscale factor s = 2^L)::

    u      = Phi(x)                       L times: Haar squeeze, then inv_blocks couplings (split 3 | rest)
    y      = u[:, :3] / s                 the small image (B, 3, H/s, W/s): the Haar low band is s x the mean
    z      = u[:, 3:]                     the high frequencies y does not hold (delta), trained towards 0
Reverse (restoration, from the stored 8-bit y)::

    x = Phi^-1([s * y, 0])
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from restorable.model.coupling import AffineCoupling
from restorable.model.haar import HaarSqueeze
from restorable.model.invertible import InvertibleSequence
from restorable.model.qinet import ModelConfig
from restorable.model.subnets import conv_subnet
from restorable.transforms.protocol import ImageSpec, TransformSpec


class RescaleNet(nn.Module):
    """See the module docstring. Uses ``inv_blocks`` (per level), ``inv_width``, ``clamp`` and ``downscale`` of the config."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.downscale < 2 or config.cond_channels or config.carrier_channels != 3 or config.aux != "none" or config.inputs != 1:
            raise ValueError(f"a rescaling network needs downscale 2, 4 or 8, no condition and RGB, got {config}")
        self.config = config
        self.stride = config.downscale
        steps, channels = [], 3
        for _ in range(config.downscale.bit_length() - 1):  # one level per factor 2
            steps.append(HaarSqueeze([(channels, 0, 0)]))
            channels *= 4
            steps += [
                AffineCoupling([(channels, 0, 0)], 3, conv_subnet(config.inv_width), config.clamp)
                for _ in range(config.inv_blocks)
            ]
        self.flow = InvertibleSequence(*steps)
        self.latent_channels = channels - 3

    @property
    def spec(self) -> TransformSpec:
        """One RGB photo in, one RGB image of 1/downscale its sides out; sizes a multiple of the downscale."""
        return TransformSpec(ImageSpec(3), ImageSpec(3, scale=1 / self.config.downscale), stride=self.stride)

    def forward(
        self, x: torch.Tensor, reference: torch.Tensor | None = None, c: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 3, H, W) -> (y: (B, 3, H/s, W/s) small image, z: (B, 3 (4^L - 1), H/s, W/s)); ``reference`` is unused."""
        if x.shape[-1] % self.stride or x.shape[-2] % self.stride:
            raise ValueError(f"height and width must be multiples of {self.stride}, got {tuple(x.shape[-2:])}")
        (u,) = self.flow([x])
        return u[:, :3] / self.stride, u[:, 3:]

    def reverse(self, y: torch.Tensor, delta: torch.Tensor | None = None, c: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, 3, H, W) from the small image y (B, 3, H/s, W/s); ``delta`` (z) defaults to 0."""
        if delta is None:
            delta = y.new_zeros(y.shape[0], self.latent_channels, *y.shape[2:])
        (x,) = self.flow([torch.cat([y * self.stride, delta], dim=1)], rev=True)
        return x

    def encode(
        self, inputs: list[torch.Tensor], cond: torch.Tensor | None = None, reference: torch.Tensor | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The :class:`~restorable.transforms.RestorableTransform` form of :meth:`forward`."""
        y, z = self(inputs[0])
        return [y], z

    def decode(self, carrier: list[torch.Tensor], cond: torch.Tensor | None = None) -> list[torch.Tensor]:
        """The :class:`~restorable.transforms.RestorableTransform` form of :meth:`reverse`."""
        return [self.reverse(carrier[0])]


def build(config: ModelConfig, spec: TransformSpec) -> RescaleNet:
    """A new rescaling network: one RGB photo in, ``config.downscale`` times smaller (default: the spec's scale)."""
    if spec.inputs != ImageSpec(3) or spec.carrier.channels != 3 or spec.carrier.count != 1:
        raise ValueError(f"the rescaling network maps one RGB photo to one smaller RGB image, not {spec}")
    if config.downscale == 1:
        config = replace(config, downscale=round(1 / spec.carrier.scale))
    return RescaleNet(replace(config, aux="none"))
