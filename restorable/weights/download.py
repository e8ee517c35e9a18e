"""Fetching one weights file over HTTP: streamed, resumable, retried, checked, then renamed into place."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from restorable.errors import RestorableError, WeightsError
from restorable.weights.lock import file_lock

log = logging.getLogger(__name__)

CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchPolicy:
    """How hard to try: attempts per URL, first back-off (doubling), (connect, read) timeouts in seconds,
    an overall ``deadline`` in seconds for one file (every mirror and attempt together), and the
    slowest transfer accepted (``min_rate`` bytes/s, averaged once an attempt is ``rate_grace`` s old:
    a slower one is cut and resumed, perhaps from the next mirror)."""

    attempts: int = 4
    backoff: float = 1.0
    timeout: tuple[float, float] = (10.0, 30.0)
    progress: bool = True
    deadline: float = 300.0
    min_rate: float = 16_384.0
    rate_grace: float = 20.0


class _OutOfTime(RestorableError):
    """The overall deadline for one file has passed."""


class _WrongFile(Exception):
    """The server's bytes are complete but are not the file the manifest describes."""


class _Incomplete(Exception):
    """The connection ended before the whole file arrived (worth another attempt)."""


class _PermanentHttpError(Exception):
    """An HTTP status that another attempt will not change (404, 403, ...)."""


def stat_sha256(path: Path) -> str:
    """sha256 of a file, hashed once per (path, size, modification time) in this process: a batch
    resolves its weights for every photo, and a file that changes gets a new size or time."""
    stat = Path(path).stat()
    return _sha256_of(Path(path).resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


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
    ``dest`` appears, by one atomic rename (over a damaged old copy, if any); a
    wrong file is deleted, never kept. ``lock`` serialises processes fetching
    the same file: a second one waits, then finds ``dest`` in place.
    """
    if not urls:
        raise WeightsError(
            f"{dest.name}: no URL to fetch it from (the manifest has none): set RESTORABLE_WEIGHTS_URL to a mirror"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(lock, on_wait=lambda: log.info("waiting for another process fetching %s ...", dest.name)):
            if dest.is_file() and dest.stat().st_size == size and file_sha256(dest) == sha256:
                return dest  # another process fetched it while we waited
            return _fetch_locked(urls, dest, sha256, size, policy, time.monotonic() + policy.deadline)
    except OSError as exc:
        raise WeightsError(f"cannot write the weights cache {dest.parent}: {exc.strerror or exc}") from None


def _fetch_locked(urls: list[str], dest: Path, sha256: str, size: int, policy: FetchPolicy, deadline: float) -> Path:
    part = dest.with_name(dest.name + ".part")
    errors = []
    for url in urls:
        try:
            try:
                _fetch_from(url, part, sha256, size, policy, deadline)
            except _WrongFile:
                if not part.exists():
                    raise
                # The bytes kept from an earlier transfer may be what is wrong: once more from zero.
                part.unlink()
                _fetch_from(url, part, sha256, size, policy, deadline)
        except _WrongFile as exc:
            part.unlink(missing_ok=True)
            errors.append(f"{url}: {exc}")
            continue
        except _OutOfTime as exc:
            errors.append(str(exc))
            break
        except RestorableError as exc:
            errors.append(str(exc))
            continue
        os.replace(part, dest)
        return dest
    raise WeightsError(f"could not fetch {dest.name}: " + "; ".join(errors))


def _fetch_from(url: str, part: Path, sha256: str, size: int, policy: FetchPolicy, deadline: float) -> None:
    """Complete ``part`` from ``url`` with retries and back-off until ``deadline`` (monotonic seconds);
    raises _WrongFile on a bad checksum (``part`` is then left for the caller to delete or retry)."""
    import requests
    from urllib3.exceptions import HTTPError as TransportError  # raised by reads of the raw stream

    last = ""
    for attempt in range(policy.attempts):
        if attempt:
            time.sleep(max(0.0, min(policy.backoff * 2 ** (attempt - 1), deadline - time.monotonic())))
        if time.monotonic() >= deadline:
            raise _OutOfTime(f"{url}: gave up after {policy.deadline:g} s ({last or 'no answer in time'})")
        try:
            _transfer(requests, url, part, size, policy, deadline)
        except _PermanentHttpError as exc:
            raise WeightsError(f"{url}: {exc}") from None
        except (requests.RequestException, TransportError, _Incomplete) as exc:
            last = f"{type(exc).__name__}: {exc}"
            continue
        got = part.stat().st_size
        if got != size:
            raise _WrongFile(f"the file has {got} bytes, the manifest says {size}")
        if file_sha256(part) != sha256:
            raise _WrongFile("the file's sha256 differs from the manifest's")
        return
    raise WeightsError(f"{url}: gave up after {policy.attempts} attempts ({last})")


def _resume_start(response) -> int | None:
    """Where a 206 reply's bytes start (Content-Range), or None when it cannot be read."""
    match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", "").strip())
    return int(match.group(1)) if match else None


def _chunks(response):
    """The body as it arrives: each piece is what one socket read gave (so slow servers are noticed)."""
    raw = response.raw
    if hasattr(raw, "read1"):  # urllib3 2
        while chunk := raw.read1(CHUNK):
            yield chunk
    else:
        yield from response.iter_content(4096)


def _transfer(requests, url: str, part: Path, size: int, policy: FetchPolicy, deadline: float) -> None:
    """One request: append to ``part`` from where it stops (Range), or start over when the server ignores Range.

    Past ``deadline`` it raises _OutOfTime; slower than ``policy.min_rate`` it cuts the transfer (_Incomplete).
    """
    have = part.stat().st_size if part.exists() else 0
    if have >= size:
        if have == size:
            return  # complete from an earlier run; the caller checks it
        part.unlink()
        have = 0
    headers = {"Accept-Encoding": "identity"}  # Range offsets count raw bytes
    if have:
        headers["Range"] = f"bytes={have}-"
    with requests.get(url, headers=headers, stream=True, timeout=policy.timeout) as response:
        status = response.status_code
        if status == 416:  # nothing past `have`: the kept bytes are not a prefix of this file
            part.unlink(missing_ok=True)
            raise _Incomplete("range not satisfiable; starting over")
        if status >= 500 or status == 429:
            raise _Incomplete(f"HTTP {status}")
        if status not in (200, 206):
            raise _PermanentHttpError(f"HTTP {status}")
        if status == 206 and _resume_start(response) != have:
            part.unlink(missing_ok=True)
            raise _Incomplete("the server answered another range than asked; starting over")
        if status == 200:
            have = 0  # the server ignored Range and sends the whole file
        expected = response.headers.get("Content-Length")
        received = 0
        name = part.name.removesuffix(".part")
        started = time.monotonic()
        with open(part, "ab" if have else "wb") as handle, _progress(name, size, have, policy.progress) as advance:
            for chunk in _chunks(response):
                now = time.monotonic()
                if now >= deadline:
                    raise _OutOfTime(f"{url}: gave up after {policy.deadline:g} s ({have + received} of {size} bytes)")
                if now - started > policy.rate_grace and received / (now - started) < policy.min_rate:
                    raise _Incomplete(f"too slow ({received / (now - started):,.0f} bytes/s)")
                received += len(chunk)
                if have + received > size:
                    raise _WrongFile(f"the server sends more than the manifest's {size} bytes")
                handle.write(chunk)
                advance(len(chunk))
    if have + received < size:
        if expected is not None and int(expected) == received:
            raise _WrongFile(f"the server's file has {have + received} bytes, the manifest says {size}")
        raise _Incomplete(f"connection ended at {have + received} of {size} bytes")


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
