"""``restorable ops``: list the operators."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from restorable.operators.registry import OPERATOR_TYPES, OPERATORS


def operators_as_dict() -> dict[str, dict]:
    """The registry as plain data (what ``--json`` prints)."""
    return {
        spec.name: {
            "type": spec.type,
            "type_name": OPERATOR_TYPES[spec.type],
            "description": spec.description,
            "params": {
                key: {"default": p.default, "min": p.low, "max": p.high, "help": p.help}
                for key, p in spec.params.items()
            },
        }
        for spec in OPERATORS.values()
    }


def ops(as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts.")) -> None:
    """List the operators, their paper type and default parameters."""
    data = operators_as_dict()
    if as_json:
        print(json.dumps(data, indent=2))
        return
    table = Table(title="restorable operators")
    table.add_column("name", style="bold")
    table.add_column("type")
    table.add_column("description")
    table.add_column("defaults")
    for name, entry in data.items():
        defaults = ", ".join(f"{k}={v['default']}" for k, v in entry["params"].items()) or "-"
        table.add_row(name, f"{entry['type']} ({entry['type_name']})", entry["description"], defaults)
    Console().print(table)
