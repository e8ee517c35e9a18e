"""Progress of long work (tiles of a large photo), for whoever runs it: the web page's jobs.

The engine calls :func:`report` after each tile; a caller that wants to know sets a callback with
:func:`reporting` for the work it runs in this thread (a context variable: other threads see none).
The callback may raise (e.g. :class:`Cancelled`) to stop the work between two tiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Callback = Callable[[str, int, int], None]  # (what: "reference", "effect" or "restore"; tiles done; tiles in all)
_callback: ContextVar[Callback | None] = ContextVar("restorable_progress", default=None)


class Cancelled(Exception):
    """Raised by a progress callback to stop the work it follows."""


def report(what: str, done: int, total: int) -> None:
    """Tell the current callback, if any, that ``done`` of ``total`` parts of ``what`` are finished."""
    callback = _callback.get()
    if callback is not None:
        callback(what, done, total)


@contextmanager
def reporting(callback: Callback) -> Iterator[None]:
    """Send :func:`report` calls made inside the ``with`` block (this thread) to ``callback``."""
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)
