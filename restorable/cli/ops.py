"""``restorable ops``: list the transform families and the operators."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from restorable.catalog import families_as_dict, operators_as_dict
from restorable.operators import OPERATORS
from restorable.transforms import FAMILIES, ImageSpec


def _side(spec: ImageSpec, counts: list[int] | None = None) -> str:
    """E.g. "1 RGB", "1 grey", "1 RGB at 0.5x", "2-4 RGB" (``counts``: its operators' input counts)."""
    kind = "RGB" if spec.channels == 3 else "grey"
    scale = "" if spec.scale == 1 else f" at {spec.scale:g}x"
    count = f"{min(counts)}-{max(counts)}" if counts and min(counts) != max(counts) else spec.count
    return f"{count} {kind}{scale}"


def ops(
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts (the operators; with --families, those)."),
    families: bool = typer.Option(False, "--families", help="With --json: print the transform families instead."),
) -> None:
    """List the transform families, then the operators: paper type, family and default parameters."""
    if as_json:
        print(json.dumps(families_as_dict() if families else operators_as_dict(), indent=2))
        return
    console = Console()
    kinds = Table(title="transform families")
    for column in ("family", "takes", "writes", "description"):
        kinds.add_column(column, style="bold" if column == "family" else None)
    for family in FAMILIES.values():
        counts = [op.inputs for op in OPERATORS.values() if op.family == family.name]
        kinds.add_row(family.name, _side(family.spec.inputs, counts), _side(family.spec.carrier), family.description)
    console.print(kinds)
    table = Table(title="restorable operators")
    table.add_column("name", style="bold")
    table.add_column("type")
    table.add_column("family")
    table.add_column("description")
    table.add_column("defaults")
    for name, entry in operators_as_dict().items():
        defaults = ", ".join(f"{k}={v['default']}{'*' if v['conditioned'] else ''}" for k, v in entry["params"].items()) or "-"
        table.add_row(name, f"{entry['type']} ({entry['type_name']})", entry["family"], entry["description"], defaults)
    console.print(table)
    console.print("* a conditioned parameter: a conditioned network (issue 18) follows it over its whole range")
