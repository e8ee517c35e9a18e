"""Family ``pack``: several images of one size in one ordinary image that looks like the first, from which
all come back (IICNet's many-to-one conversion, Cheng et al. 2021): a stereo pair as one photo, a burst,
a bracketed series, unrelated images hidden in a cover image."""

from restorable.transforms.family import Family
from restorable.transforms.protocol import ImageSpec, TransformSpec

FAMILY = Family(
    name="pack",
    description="2 to 4 images of one size in one image that looks like the first, all of them restorable",
    spec=TransformSpec(inputs=ImageSpec(3, count=2), carrier=ImageSpec(3)),  # pack-3, pack-4: count 3, 4
    build="restorable.transforms.pack.network:build",
    losses="restorable.transforms.pack.losses:pack_losses",
)
