"""The ``restorable`` command line: a thin root that registers one module per command.

Heavy libraries (torch, OpenCV, SciPy) are imported inside the commands, so
``restorable --help`` starts fast.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from restorable.cli import apply, evaluate, export_onnx, ops, pack, reference, restore, serve, train, train_together, weights
from restorable.cores import mark_start
from restorable.errors import RestorableError, one_line

app = typer.Typer(
    name="restorable",
    help="Photo effects that can be undone: the original is recoverable from the processed file alone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("apply")(apply.apply)
app.command("restore")(restore.restore)
app.command("pack")(pack.pack)
app.command("unpack")(pack.unpack)
app.command("ops")(ops.ops)
app.command("reference")(reference.reference)
app.command("train")(train.train)
app.command("train-together")(train_together.train_together)
app.command("eval")(evaluate.evaluate)
app.command("export-onnx")(export_onnx.export_onnx)
app.command("serve")(serve.serve)
app.add_typer(weights.app, name="weights")


class _LogFormat(logging.Formatter):
    """Library log lines on stderr: ``warning: ...`` for warnings and worse, plain text for progress."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        return f"{record.levelname.lower()}: {text}" if record.levelno >= logging.WARNING else text


def _show_library_log() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormat())
    logger = logging.getLogger("restorable")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


_VALUE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "int range": "INTEGER RANGE",
                "float range": "FLOAT RANGE"}


def _value_name(shown: str) -> str:
    """click's name for a value typer shows as a Python type: ``int`` -> INTEGER; a repeatable option's
    ``list[Path]`` names one value (PATH), as click names its ``multiple=True`` options."""
    shown = shown.lower()
    if shown.startswith("list[") and shown.endswith("]"):
        shown = shown[5:-1]
    return _VALUE_NAMES.get(shown, shown.upper())


def _plain_value_names(command) -> None:
    """Help that names option values as click does (``--quality INTEGER RANGE``, nothing after a flag or an
    argument's name) where typer would print Python types (``<int range>``, ``<bool>``, ``<list[str]>``: typer
    0.2x's options, which carry a ``type_descriptor``; others are left as they are)."""
    params = list(getattr(command, "params", []))
    if hasattr(command, "get_help_option") and hasattr(command, "context_class"):
        params.append(command.get_help_option(command.context_class(command)))  # made once, then reused
    for param in params:
        if param is None or not hasattr(param, "type_descriptor") or param.type_descriptor.is_choice:
            continue  # click's own options name their values already; choices list them
        if param.param_type_name == "argument":
            param.display_type_rich = lambda ctx: None  # its name (PATHS, OPS) says what it takes
        elif param.metavar is None:
            shown = param.display_type(None).strip("<>")
            param.metavar = "" if param.is_flag else _value_name(shown)
    for sub in getattr(command, "commands", {}).values():
        _plain_value_names(sub)


def _fail(message: str, code: int = 2) -> None:
    print(f"error: {one_line(message)}", file=sys.stderr)
    sys.exit(code)


def main() -> None:
    """Console entry point: every error is one line on stderr and a non-zero exit, never a traceback.

    User errors exit 2 (a batch with failed files exits 1). An unexpected error
    is reported in one line too; ``RESTORABLE_DEBUG=1`` shows its traceback.
    """
    try:
        from typer._click import exceptions as click_errors
    except ImportError:  # typer releases that use click itself
        from click import exceptions as click_errors  # type: ignore[no-redef]
    _show_library_log()
    mark_start()  # the commands that run networks use the cores other processes leave free (restorable.cores)
    try:
        command = typer.main.get_command(app)
        _plain_value_names(command)
        code = command(standalone_mode=False)
    except RestorableError as exc:
        _fail(exc.for_cli())
    except click_errors.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else exc.format_message())
        sys.exit(0)
    except click_errors.ClickException as exc:
        message = exc.format_message()
        if isinstance(exc, click_errors.NoSuchOption) and not exc.option_name.startswith("--"):
            message += " (put -- before a file name that starts with -)"
        _fail(message, exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _fail("interrupted", 130)
    except (OSError, MemoryError) as exc:  # a full disk, a read-only folder, ...
        from restorable.errors import failure_reason

        _fail(failure_reason(exc))
    except Exception as exc:
        if os.environ.get("RESTORABLE_DEBUG"):
            raise
        from restorable.errors import failure_reason

        _fail(f"{failure_reason(exc)} (RESTORABLE_DEBUG=1 shows where)")
    sys.exit(code or 0)
