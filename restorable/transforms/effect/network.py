"""The network of the effect and gray families: the quasi-invertible network, with the family's carrier channels."""

from __future__ import annotations

from dataclasses import replace

from restorable.model.qinet import ModelConfig, QuasiInvertibleNet
from restorable.transforms.protocol import ImageSpec, TransformSpec


def build(config: ModelConfig, spec: TransformSpec) -> QuasiInvertibleNet:
    """A new network for ``spec``: one RGB photo in, one same-size carrier of 3 or 1 channels out."""
    if spec.inputs != ImageSpec(3) or spec.carrier.count != 1 or spec.carrier.scale != 1:
        raise ValueError(f"the quasi-invertible network maps one RGB photo to one same-size image, not {spec}")
    return QuasiInvertibleNet(replace(config, carrier_channels=spec.carrier.channels))
