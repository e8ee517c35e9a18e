"""The ``restorable`` command line: a thin root that registers one module per command.

Heavy libraries (torch, OpenCV, SciPy) are imported inside the commands, so
``restorable --help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

from restorable.cli import apply, evaluate, export_onnx, ops, reference, restore, train, weights
from restorable.errors import RestorableError

app = typer.Typer(
    name="restorable",
    help="Photo effects that can be undone: the original is recoverable from the processed file alone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("apply")(apply.apply)
app.command("restore")(restore.restore)
app.command("ops")(ops.ops)
app.command("reference")(reference.reference)
app.command("train")(train.train)
app.command("eval")(evaluate.evaluate)
app.command("export-onnx")(export_onnx.export_onnx)
app.add_typer(weights.app, name="weights")


def main() -> None:
    """Console entry point: a user error becomes one line on stderr and exit status 2."""
    try:
        app()
    except RestorableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
