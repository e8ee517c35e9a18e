"""The packing network: N images -> one image that looks like the first, and back (IICNet's design, made
exactly invertible).

Forward (x: (B, 3N, H, W) in [0, 1], the N images' channels one after another; H, W even)::

    u     = Haar(x_1) | Haar(x_2) | ... | Haar(x_N)        (B, 12N, H/2, W/2), image by image
    u     = Phi(u)                                          inv_blocks couplings, split 12 | 12 (N - 1):
                                                            each subnet sees every image (the relation)
    y     = Haar^-1(u[:, :12])                              the packed image (B, 3, H, W), trained to look like x_1
    delta = u[:, 12:]                                       what y does not hold, trained towards 0
Reverse (unpacking, from the stored 8-bit y)::

    x = Haar^-1 per image (Phi^-1([Haar(y), 0]))

IICNet relates the inputs with a residual module whose inverse is a second, separately learned module,
and squeezes the channels by averaging the images' channel groups; here the couplings relate the images
and the split squeezes the channels, so the whole map is invertible and only delta = 0 is an approximation.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from restorable.model.coupling import AffineCoupling
from restorable.model.haar import haar_squeeze, haar_unsqueeze
from restorable.model.invertible import InvertibleSequence
from restorable.model.qinet import ModelConfig
from restorable.model.subnets import conv_subnet
from restorable.transforms.protocol import ImageSpec, TransformSpec


class PackNet(nn.Module):
    """See the module docstring. Uses ``inputs`` (N, 2 to 4), ``inv_blocks``, ``inv_width`` and ``clamp`` of the config."""

    stride = 2

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if not 2 <= config.inputs <= 4 or config.cond_channels or config.carrier_channels != 3 or config.downscale != 1:
            raise ValueError(f"a packing network takes 2 to 4 RGB images, no condition, same size out; got {config}")
        self.config = config
        channels = 12 * config.inputs
        self.flow = InvertibleSequence(
            *[AffineCoupling([(channels, 0, 0)], 12, conv_subnet(config.inv_width), config.clamp) for _ in range(config.inv_blocks)]
        )

    @property
    def spec(self) -> TransformSpec:
        """N RGB images in, one RGB image of the same size out."""
        return TransformSpec(ImageSpec(3, count=self.config.inputs), ImageSpec(3), stride=self.stride)

    def forward(
        self, x: torch.Tensor, reference: torch.Tensor | None = None, c: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 3N, H, W) -> (y: (B, 3, H, W) packed image, delta: (B, 12 (N - 1), H/2, W/2)); ``reference`` is unused."""
        if x.shape[1] != 3 * self.config.inputs:
            raise ValueError(f"expected {self.config.inputs} RGB images ({3 * self.config.inputs} channels), got {x.shape[1]}")
        u = torch.cat([haar_squeeze(image) for image in x.split(3, dim=1)], dim=1)
        (u,) = self.flow([u])
        return haar_unsqueeze(u[:, :12]), u[:, 12:]

    def reverse(self, y: torch.Tensor, delta: torch.Tensor | None = None, c: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, 3N, H, W) from the packed image y (B, 3, H, W); ``delta`` defaults to 0."""
        top = haar_squeeze(y)
        if delta is None:
            delta = top.new_zeros(top.shape[0], 12 * (self.config.inputs - 1), *top.shape[2:])
        (u,) = self.flow([torch.cat([top, delta], dim=1)], rev=True)
        return torch.cat([haar_unsqueeze(part) for part in u.split(12, dim=1)], dim=1)

    def encode(
        self, inputs: list[torch.Tensor], cond: torch.Tensor | None = None, reference: torch.Tensor | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The :class:`~restorable.transforms.RestorableTransform` form of :meth:`forward`: N (B, 3, H, W) images."""
        y, delta = self(torch.cat(inputs, dim=1))
        return [y], delta

    def decode(self, carrier: list[torch.Tensor], cond: torch.Tensor | None = None) -> list[torch.Tensor]:
        """The :class:`~restorable.transforms.RestorableTransform` form of :meth:`reverse`: N (B, 3, H, W) images."""
        return list(self.reverse(carrier[0]).split(3, dim=1))


def build(config: ModelConfig, spec: TransformSpec) -> PackNet:
    """A new packing network: ``config.inputs`` RGB images (default: the spec's count) into one."""
    if spec.inputs.channels != 3 or spec.carrier != ImageSpec(3):
        raise ValueError(f"the packing network maps RGB images to one RGB image, not {spec}")
    if config.inputs == 1:
        config = replace(config, inputs=spec.inputs.count)
    return PackNet(replace(config, aux="none"))
