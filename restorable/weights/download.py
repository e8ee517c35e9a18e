"""Fetching one weights file over HTTP: streamed, resumable, retried, checked, then renamed into place."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from restorable.errors import RestorableError
from restorable.weights.lock import file_lock

CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchPolicy:
    """How hard to try: attempts per URL, first back-off (doubling), (connect, read) timeouts in seconds."""

    attempts: int = 4
    backoff: float = 1.0
    timeout: tuple[float, float] = (10.0, 60.0)
    progress: bool = True


class _WrongFile(Exception):
    """The server's bytes are complete but are not the file the manifest describes."""


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_file(
    urls: list[str], dest: Path, sha256: str, size: int, lock: Path, policy: FetchPolicy = FetchPolicy()
) -> Path:
    """Download ``dest`` from the first of ``urls`` that serves the right bytes.

    A partial download is kept as ``dest.part`` and resumed with an HTTP Range
    request (on a later attempt or a later run). The sha256 is checked before
    ``dest`` appears, by one atomic rename; a wrong file is deleted, never kept.
    ``lock`` serialises processes fetching the same file: a second one waits,
    then finds ``dest`` in place.
    """
    if not urls:
        raise RestorableError(f"{dest.name}: the manifest gives no URL to fetch it from")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    with file_lock(lock):
        if dest.is_file() and file_sha256(dest) == sha256:
            return dest  # another process fetched it while we waited
        errors = []
        for url in urls:
            try:
                _fetch_from(url, part, sha256, size, policy)
            except _WrongFile as exc:
                part.unlink(missing_ok=True)
                errors.append(f"{url}: {exc}")
                continue
            except RestorableError as exc:
                errors.append(str(exc))
                continue
            os.replace(part, dest)
            return dest
    raise RestorableError(f"could not fetch {dest.name}: " + "; ".join(errors))


def _fetch_from(url: str, part: Path, sha256: str, size: int, policy: FetchPolicy) -> None:
    """Complete ``part`` from ``url`` with retries and back-off; raises _WrongFile on a bad checksum."""
    import requests

    last = ""
    for attempt in range(policy.attempts):
        if attempt:
            time.sleep(policy.backoff * 2 ** (attempt - 1))
        try:
            _transfer(requests, url, part, size, policy)
        except _PermanentHttpError as exc:
            raise RestorableError(f"{url}: {exc}") from None
        except (requests.RequestException, OSError, _Incomplete) as exc:
            last = f"{type(exc).__name__}: {exc}"
            continue
        if part.stat().st_size != size or file_sha256(part) != sha256:
            raise _WrongFile(f"sha256 or size differs from the manifest ({part.stat().st_size} bytes, expected {size})")
        return
    raise RestorableError(f"{url}: gave up after {policy.attempts} attempts ({last})")


class _Incomplete(Exception):
    """The connection ended before the whole file arrived (worth another attempt)."""


class _PermanentHttpError(Exception):
    """An HTTP status that another attempt will not change (404, 403, ...)."""


def _transfer(requests, url: str, part: Path, size: int, policy: FetchPolicy) -> None:
    """One request: append to ``part`` from where it stops (Range), or start over when the server ignores Range."""
    have = part.stat().st_size if part.exists() else 0
    if have > size:
        part.unlink()
        have = 0
    if have == size:
        return  # complete from an earlier run; the caller checks it
    headers = {"Range": f"bytes={have}-"} if have else {}
    with requests.get(url, headers=headers, stream=True, timeout=policy.timeout) as response:
        if response.status_code == 416:  # nothing past `have`: start over
            part.unlink(missing_ok=True)
            raise _Incomplete("range not satisfiable; restarting")
        if response.status_code >= 500 or response.status_code == 429:
            raise _Incomplete(f"HTTP {response.status_code}")
        if response.status_code not in (200, 206):
            raise _PermanentHttpError(f"HTTP {response.status_code}")
        if response.status_code == 200:
            have = 0  # the server sent the whole file
        with open(part, "ab" if have else "wb") as handle, _progress(part.name.removesuffix(".part"), size, have, policy.progress) as advance:
            for chunk in response.iter_content(CHUNK):
                handle.write(chunk)
                advance(len(chunk))
    if part.stat().st_size < size:
        raise _Incomplete(f"connection ended at {part.stat().st_size} of {size} bytes")


class _progress:
    """A rich progress bar on stderr (only on a terminal); usable as ``with _progress(...) as advance``."""

    def __init__(self, name: str, total: int, done: int, enabled: bool) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

            self.bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                                TransferSpeedColumn(), console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task(name, total=total, completed=done)

    def __enter__(self):
        if self.bar is None:
            return lambda n: None
        self.bar.start()
        return lambda n: self.bar.advance(self.task, n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
