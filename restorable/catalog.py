"""The registry as plain data: what ``restorable ops --json`` prints and the web page's operator list."""

from __future__ import annotations

from restorable.operators.registry import OPERATOR_TYPES, OPERATORS
from restorable.transforms import FAMILIES


def operators_as_dict() -> dict[str, dict]:
    """Per operator: paper type, description, family and its parameters (default, range, help, whether a
    conditioned network follows it, integer or not, and "log" where the range spans two decades or more)."""
    from restorable.operators.condition import log_scaled  # numpy: not at CLI start-up

    return {
        spec.name: {
            "type": spec.type,
            "type_name": OPERATOR_TYPES[spec.type],
            "description": spec.description,
            "family": spec.family,
            "output_channels": spec.output_channels,
            "inputs": spec.inputs,
            "params": {
                key: {
                    "default": p.default, "min": p.low, "max": p.high, "help": p.help,
                    "conditioned": key in spec.conditioned, "integer": p.kind is int,
                    "scale": "log" if log_scaled(p.low, p.high) else "linear",
                }
                for key, p in spec.params.items()
            },
        }
        for spec in OPERATORS.values()
    }


def families_as_dict() -> dict[str, dict]:
    """The transform families: description, inputs and carrier image specs, their operators."""
    return {
        family.name: {
            "description": family.description,
            "inputs": vars(family.spec.inputs),
            "carrier": vars(family.spec.carrier),
            "operators": [name for name, spec in OPERATORS.items() if spec.family == family.name],
        }
        for family in FAMILIES.values()
    }
