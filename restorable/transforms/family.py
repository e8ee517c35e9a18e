"""A family entry: its transform spec, and where its network builder and training losses live."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from restorable.transforms.protocol import TransformSpec


@dataclass(frozen=True)
class Family:
    """A kind of restorable transform: its spec, and where its network builder and training losses live."""

    name: str
    description: str
    spec: TransformSpec
    build: str  # "module:function": (ModelConfig) -> RestorableTransform
    losses: str  # "module:function": (trainer, source, target, qualities) -> {term: 0-d tensor}

    def builder(self) -> Callable:
        return _load(self.build)

    def loss_function(self) -> Callable:
        return _load(self.losses)


def _load(entry: str) -> Callable:
    module, function = entry.split(":")
    return getattr(importlib.import_module(module), function)
