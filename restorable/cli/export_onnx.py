"""``restorable export-onnx``: write the forward and reverse graphs for ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import typer


def export_onnx(
    op: str = typer.Option(..., "--op", help="Operator whose installed network to export."),
    out_dir: Path = typer.Argument(..., help="Folder for forward.onnx and reverse.onnx."),
    weights: Path = typer.Option(None, "--weights", help="Export these weights instead of the installed ones."),
) -> None:
    """Export OP's network as forward.onnx and reverse.onnx (dynamic height and width)."""
    from rich.console import Console

    from restorable.onnx_backend import export_onnx as export
    from restorable.weights import load_weights

    loaded = load_weights(op, weights)
    forward, reverse = export(loaded.model, out_dir)
    Console(stderr=True, soft_wrap=True).print(f"wrote {forward} and {reverse} ({loaded.model_id})", markup=False)
