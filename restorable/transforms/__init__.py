"""Restorable transforms: one protocol (:mod:`.protocol`), families as folders, one registry (:mod:`.registry`).

Adding a family is one folder (its ``FAMILY`` entry, its network and losses)
plus one line in :func:`restorable.transforms.registry._families`.
"""

from restorable.transforms.protocol import ImageSpec, RestorableTransform, TransformSpec
from restorable.transforms.registry import FAMILIES, Family, checkpoint_family, get_family

__all__ = ["FAMILIES", "Family", "ImageSpec", "RestorableTransform", "TransformSpec", "checkpoint_family", "get_family"]
