"""Family ``rescale``: a 2x or 4x smaller image that looks like an anti-aliased downscale and restores
the full-size photo (Xiao et al.'s invertible rescaling network, IRN)."""

from restorable.transforms.family import Family
from restorable.transforms.protocol import ImageSpec, TransformSpec

FAMILY = Family(
    name="rescale",
    description="a smaller image (1/2 or 1/4 the sides) that looks like a downscale and restores the full size",
    spec=TransformSpec(inputs=ImageSpec(3), carrier=ImageSpec(3, scale=0.5)),  # rescale-4x: scale 0.25, stride 4
    build="restorable.transforms.rescale.network:build",
    losses="restorable.transforms.effect.losses:quasi_invertible_losses"  # guidance, restoration, z -> 0,
)
