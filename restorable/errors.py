"""The project's exceptions: anything the user can fix, with its kind and, where one helps, a hint.

The library raises these and never prints (warnings go to the ``restorable``
logger). A hint names the option that fixes the problem in both forms, so that
``str(error)`` reads right for Python callers (``force=True``) and
:meth:`RestorableError.for_cli` for the command line (``--force``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """What fixes an error: the option as a CLI flag and as an API argument, and what it does."""

    flag: str  # e.g. "--force", "--op NAME"
    argument: str  # e.g. "force=True", "op=NAME"
    effect: str  # e.g. "restores it anyway, poorly"


class RestorableError(Exception):
    """Bad input or a missing resource; the CLI prints it as one line (with its hint's flag)."""

    kind = "error"

    def __init__(self, message: str, hint: Hint | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint.argument} {self.hint.effect})"

    def for_cli(self) -> str:
        """The message with the hint's CLI flag."""
        return self.message if self.hint is None else f"{self.message} ({self.hint.flag} {self.hint.effect})"


class RecordError(RestorableError):
    """The file's restorable record is missing, damaged, or does not fit the pixels or the request."""

    kind = "record"


class ChangedImageError(RecordError):
    """The pixels are not those the record was made for (resized, cropped, rotated, edited)."""

    kind = "changed"


class WeightsError(RestorableError):
    """The network weights are missing, damaged, or not the ones a file was made with."""

    kind = "weights"


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded into single spaces."""
    return " ".join(str(text).split())


def failure_reason(exc: BaseException) -> str:
    """One line saying why a file (or a whole command) failed: our own errors' message, the kind and text of others."""
    if isinstance(exc, RestorableError):
        text = exc.for_cli()
    elif isinstance(exc, OSError):
        text = f"{exc.strerror or exc.__class__.__name__}" + (f" ({_shown(exc.filename)})" if exc.filename else "")
    elif isinstance(exc, MemoryError):
        text = "out of memory: try a smaller image, --tile 512, or --device cpu"
    else:
        text = f"unexpected {exc.__class__.__name__}: {exc}"
    return one_line(text)


def named(reason: str, path: object) -> str:
    """``reason`` as the line about the file at ``path``: prefixed with the path unless it begins with it."""
    name = str(path)
    return reason if reason == name or reason.startswith(name + ":") or reason.startswith(name + " ") else f"{name}: {reason}"


def _shown(filename: object) -> str:
    """A file name as an error shows it: the folder of a hidden temporary or claim file of ours (which the
    user never named), the name itself otherwise."""
    import os

    name = os.path.basename(str(filename))
    if name.startswith(".") and name.endswith((".tmp", ".claim")):
        return f"writing in {os.path.dirname(str(filename)) or '.'}"
    return str(filename)
