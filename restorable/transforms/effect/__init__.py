"""Family ``effect``: a same-size colour image that looks like a photo effect and holds the original
(Ouyang et al. 2022's quasi-invertible network)."""

from restorable.transforms.protocol import ImageSpec, TransformSpec
from restorable.transforms.family import Family

FAMILY = Family(
    name="effect",
    description="a same-size colour image that looks like the effect and restores the photo",
    spec=TransformSpec(inputs=ImageSpec(3), carrier=ImageSpec(3)),
    build="restorable.transforms.effect.network:build",
    losses="restorable.transforms.effect.losses:quasi_invertible_losses",
)
