"""Parsing and checking operator parameters (``key=value`` strings or dicts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from restorable.errors import RestorableError
from restorable.operators.registry import OperatorSpec


def parse_params(pairs: Iterable[str]) -> dict[str, str]:
    """Split ``["key=value", ...]`` into a dict of strings."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise RestorableError(
                f"bad parameter {pair!r}: use key=value (a file name that starts with - goes after --)"
            )
        if key.strip() in parsed:
            raise RestorableError(f"parameter {key.strip()} is given twice ({key.strip()}={parsed[key.strip()]}, {pair.strip()})")
        parsed[key.strip()] = value.strip()
    return parsed


def resolve_params(spec: OperatorSpec, given: Mapping[str, object] | None = None) -> dict[str, int | float]:
    """Defaults of ``spec`` updated by ``given``, each converted and range-checked."""
    if given is not None and not isinstance(given, Mapping):
        raise RestorableError(f"parameters of {spec.name!r} must be a dict of name: value, not {type(given).__name__}")
    params = dict(spec.defaults)
    for key, raw in (given or {}).items():
        if key not in spec.params:
            known = ", ".join(spec.params) or "none"
            raise RestorableError(f"operator {spec.name!r} has no parameter {key!r} (parameters: {known})")
        p = spec.params[key]
        try:
            value = p.kind(float(raw)) if p.kind is float else int(str(raw))
        except (TypeError, ValueError):
            expected = "an integer" if p.kind is int else "a number"
            raise RestorableError(f"parameter {key}={raw!r} of {spec.name!r} must be {expected}") from None
        if value != value or not p.low <= value <= p.high:  # value != value catches NaN
            raise RestorableError(f"parameter {key}={raw} of {spec.name!r} is outside [{p.low}, {p.high}]")
        params[key] = value
    return params
