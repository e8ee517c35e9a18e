"""Atomic file writes and output claims that survive killed and concurrent runs.

A write goes to a hidden temporary file beside the target, named with the
writer's process id and host, then one rename. A run killed mid-write leaves that file
behind; the next write to the same target removes the leftovers of writers that
are no longer running. A claim (a hidden ``.NAME.claim`` file, created
exclusively, holding the same id) tells a concurrent batch that an output is already
being made. Another machine's processes cannot be asked from here (a shared disk):
its claims and temporary files count as live for ``FOREIGN_SECONDS``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# A claim file still empty after this many seconds was left by a run killed as it made it.
EMPTY_CLAIM_SECONDS = 5
# A claim or temporary file of another machine (a shared disk, a Ray cluster) is taken for that machine's
# live work until it is this old: its process cannot be asked from here.
FOREIGN_SECONDS = 3600


@functools.cache
def _host() -> str:
    """This machine, as claims and temporary names record it: 8 hex digits of its host name."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _me() -> str:
    """The writer's id: process id and host ("1234@0a1b2c3d")."""
    return f"{os.getpid()}@{_host()}"


def _gone(writer: str, age: float) -> bool:
    """Whether the writer ``writer`` ("pid@host", or a bare pid of older versions) is gone: a process of this
    machine that does not run, or another machine's after ``FOREIGN_SECONDS``."""
    pid, _, host = writer.partition("@")
    if host and host != _host():
        return age > FOREIGN_SECONDS
    return not pid.isdigit() or not _running(int(pid))


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has ended and only waits for its parent to collect it (Linux; elsewhere: False). A
    killed run stays so a moment, or for good under a parent that never waits: its claims are left over."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _writer(name: str, prefix: str) -> str | None:
    """The writer in a temporary name ``PREFIX<pid>@<host>.<random>.tmp`` (or ``PREFIX<pid>.<random>.tmp``), or None."""
    head = name[len(prefix):].split(".", 1)[0]
    return head if head.partition("@")[0].isdigit() else None


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove temporary files of ``path`` left by writers that are gone; returns what was removed.

    Names without a process id come from versions that did not write one: all gone by now.
    """
    prefix = f".{path.name}."
    removed = []
    for leftover in path.parent.glob(f".{_glob_escape(path.name)}.*.tmp"):
        writer = _writer(leftover.name, prefix)
        try:
            if writer is None or _gone(writer, time.time() - leftover.stat().st_mtime):  # None: an older version's
                leftover.unlink()
                removed.append(leftover)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(handle)`` on a temporary file next to ``path``, then rename it to ``path``.

    ``path`` is either untouched or the complete new file; the temporary file
    is removed on any error. The new file gets the usual permissions (umask).
    """
    path = Path(path)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_me()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stale(marker: Path) -> bool:
    """Whether the claim file ``marker`` was left by a process that is gone (or is an empty one left as it was made)."""
    try:
        holder = marker.read_text().strip()
        age = time.time() - marker.stat().st_mtime
    except OSError:
        holder, age = "", EMPTY_CLAIM_SECONDS
    return age >= EMPTY_CLAIM_SECONDS if not holder else _gone(holder, age)


def remove_stale_claim(path: Path) -> bool:
    """Remove the claim on ``path`` of a process that is gone (e.g. killed after writing it, before letting go);
    True when there was one. A batch that skips an existing output calls this, so nothing is left behind."""
    marker = path.with_name(f".{path.name}.claim")
    if not marker.exists() or not _stale(marker):
        return False
    marker.unlink(missing_ok=True)
    return True


@contextmanager
def claim(path: Path) -> Iterator[bool]:
    """Claim the making of ``path`` for this process: yields False when a running process holds it.

    A claim left by a process that is gone is taken over. The claim is released on exit.
    """
    marker = path.with_name(f".{path.name}.claim")
    for _ in range(2):
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if not _stale(marker):  # held, or just made
                yield False
                return
            marker.unlink(missing_ok=True)  # the claim of a run that was killed
            continue
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(_me())
        except OSError:  # e.g. a full disk: leave no empty claim behind
            marker.unlink(missing_ok=True)
            raise
        try:
            yield True
        finally:
            marker.unlink(missing_ok=True)
        return
    yield False
