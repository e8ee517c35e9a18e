"""Operator parameters as a network's condition: each conditioned parameter scaled to [0, 1].

A parameter whose range spans two decades or more (``high / low >= 100``, e.g. l0's ``lam``) is
scaled logarithmically, so that training draws as many weak as strong settings; the others linearly.
A conditioned checkpoint stores its axes (:func:`axes_metadata`), so files made with it restore
with the same scaling whatever later versions of the registry say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from restorable.errors import RestorableError
from restorable.operators.registry import OperatorSpec

LOG_RATIO = 100.0  # high / low from which a range is scaled logarithmically
POINTS = (("min", 0.0), ("25%", 0.25), ("default", None), ("75%", 0.75), ("max", 1.0))  # where a range is judged


@dataclass(frozen=True)
class Axis:
    """One conditioned parameter: its name, range and scaling."""

    name: str
    low: float
    high: float
    log: bool
    integer: bool = False

    def to_unit(self, value: float) -> float:
        """``value`` as a fraction of the range, in [0, 1] (clipped)."""
        if self.log:
            u = (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        else:
            u = (value - self.low) / (self.high - self.low)
        return min(1.0, max(0.0, u))

    def from_unit(self, u: float) -> float | int:
        """The parameter value at fraction ``u`` of the range (rounded for an integer parameter), kept inside
        the range (exp(log(high)) may round a hair past ``high``)."""
        if self.log:
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        value = min(self.high, max(self.low, value))
        return int(round(value)) if self.integer else float(value)


def log_scaled(low: float, high: float) -> bool:
    """Whether a range spans two decades or more (then it is scaled logarithmically)."""
    return low > 0 and high / low >= LOG_RATIO


def axes_of(spec: OperatorSpec) -> list[Axis]:
    """The condition axes of an operator (empty: its networks take no condition)."""
    axes = []
    for name in spec.conditioned:
        p = spec.params[name]
        axes.append(Axis(name, float(p.low), float(p.high), log_scaled(p.low, p.high), p.kind is int))
    return axes


def axes_metadata(axes: Sequence[Axis]) -> list[dict]:
    """The axes as stored in a checkpoint's metadata."""
    return [asdict(axis) for axis in axes]


def axes_from_metadata(entries: object) -> list[Axis]:
    """The axes a checkpoint stores; a one-line error when they are malformed."""
    try:
        return [Axis(str(e["name"]), float(e["low"]), float(e["high"]), bool(e["log"]), bool(e.get("integer", False)))
                for e in entries]  # type: ignore[union-attr]
    except (TypeError, KeyError, ValueError):
        raise RestorableError("the checkpoint's condition axes are malformed") from None


def condition_vector(axes: Sequence[Axis], params: Mapping[str, float]) -> np.ndarray:
    """(len(axes),) float32: ``params`` of each axis scaled to [0, 1]."""
    return np.array([axis.to_unit(float(params[axis.name])) for axis in axes], dtype=np.float32)


def checkpoint_condition(metadata: Mapping, params: Mapping[str, float] | None = None) -> np.ndarray:
    """The condition of a conditioned checkpoint (its ``metadata``) at ``params``, the others at the parameters
    it was trained with (its operator's defaults); a one-line error when the metadata lacks either."""
    try:
        return condition_vector(axes_from_metadata(metadata["condition"]), {**metadata["params"], **(params or {})})
    except KeyError:
        raise RestorableError("a conditioned checkpoint without its condition axes or parameters") from None


def draw_settings(spec: OperatorSpec, count: int, rng: np.random.Generator) -> list[dict]:
    """``count`` parameter settings of ``spec``: each conditioned parameter drawn uniformly over its scaled
    range (log-uniform for a logarithmic one), the others at their defaults."""
    axes = axes_of(spec)
    return [{**spec.defaults, **{a.name: a.from_unit(float(rng.random())) for a in axes}} for _ in range(count)]


def judged_settings(spec: OperatorSpec) -> list[tuple[str, dict]]:
    """(label, parameters) where a conditioned network is judged: each conditioned parameter at the
    min, 25 %, default, 75 % and max of its scaled range, the others at their defaults (the all-default
    setting once)."""
    settings = [("default", dict(spec.defaults))]
    for axis in axes_of(spec):
        for label, u in POINTS:
            if u is not None:
                settings.append((f"{axis.name} {label}", {**spec.defaults, axis.name: axis.from_unit(u)}))
    return settings
