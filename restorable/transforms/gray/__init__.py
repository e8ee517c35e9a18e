"""Family ``gray``: a true one-channel grey image that restores the colour (as IRN's decolorisation,
on the effect family's quasi-invertible network with a one-channel carrier)."""

from restorable.transforms.protocol import ImageSpec, TransformSpec
from restorable.transforms.family import Family

FAMILY = Family(
    name="gray",
    description="a grey image (1 channel) that looks like the grey conversion and restores the colour",
    spec=TransformSpec(inputs=ImageSpec(3), carrier=ImageSpec(1)),
    build="restorable.transforms.effect.network:build",
    losses="restorable.transforms.effect.losses:quasi_invertible_losses",
)
