"""One batch pipeline for the CLI (apply, restore, pack of folders), the web page's folder jobs and the Ray job.

Each input is read and decoded ahead by worker threads, processed in the calling thread (which owns the
device and the networks), checked, then encoded and written behind by the same workers while the next one
is processed (a lossless output's encoding starts beside its check, which needs only its pixels). Pillow and zlib release the GIL, so the threads run in parallel (two threads encode a
3000x2000 PNG pair in half the time of one, measured) without copying photos between processes. At most
``workers`` inputs wait on each side (one thread per core, at most 16), so memory stays bounded on a
folder of any size.

Every output is claimed before its input is read (:func:`restorable.atomic.claim`: a concurrent run skips
it) and written to a temporary file that is renamed when complete. A failed input is reported in its
:class:`Outcome` and the others go on.

>>> steps = Steps(read=read_photo, process=lambda photo, src, dst: session.apply(photo, "l0"))
>>> outcomes = run_pipeline([(Path("in.jpg"), Path("out/in.png"))], steps)
"""

from __future__ import annotations

import traceback
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from restorable.atomic import atomic_write, claim, remove_stale_claim
from restorable.cores import cores
from restorable.errors import RestorableError
from restorable.image_file import output_format
from restorable.photo import LOSSLESS, Photo, decode_pixels, encode_photo
from restorable.progress import Cancelled



@dataclass(frozen=True)
class Checked:
    """What a check measured of one output: ``text`` for people ("restores at 43.1 dB") and ``db``, the lowest
    restoration in it, which a batch compares (the photo that restores least is named at its end)."""

    text: str
    db: float


@dataclass
class Outcome:
    """What became of one input: ``state`` is done, skipped (the output exists), busy (another run is making
    it), failed (``error`` says why) or cancelled."""

    src: Path
    dst: Path
    state: str
    error: BaseException | None = None
    checked: Checked | None = None  # what the check measured (None: not checked)
    notes: list[str] = field(default_factory=list)
    ran_on: str | None = None
    method: str | None = None


@dataclass
class Steps:
    """What happens to one input.

    Args:
        read: ``src -> input`` (a :class:`Photo`, or what ``process`` takes), in a worker thread.
        process: ``(input, src, dst) -> Photo``, in the calling thread.
        check: ``(input, result, stored, dst) -> Checked``, in the calling thread, where ``stored`` are the
            pixels (H, W, 3) or (H, W) uint8 as the output file will give them back (a JPEG's decoded
            from the very bytes that are written); it raises to refuse the result (nothing is written).
        quality: JPEG/WebP quality of the outputs.
        png: PNG compression, "small" (zlib level 6) or "fast" (run-length, for photographs: within
            -1..+7 % of "small" on photos, 4-5x faster; see :func:`restorable.photo.encode_photo`).
        prepare: run once in the calling thread before the first ``process``, while the first inputs are
            read (the CLI imports torch there: the first photo decodes meanwhile); not run when no input is
            processed. Its error stops the run.
    """

    read: Callable[[Path], object]
    process: Callable[[object, Path, Path], Photo]
    check: Callable[[object, Photo, np.ndarray, Path], Checked] | None = None
    quality: int = 95
    png: str = "small"
    prepare: Callable[[], None] | None = None


# Each worker holds up to two photos (read ahead, written behind): memory stays bounded. On a GPU the workers
# are the limit: a processed 640x480 photo takes 105 ms to encode as a PNG on one core (measured on 2 cores),
# so 4 workers would write at most ~38 photos/s; 16 (the H200 machine's cores) ~150/s.
MAX_WORKERS = 16


def default_workers() -> int:
    """Reader/writer threads: one per core this process may use, at most ``MAX_WORKERS``."""
    return min(cores(), MAX_WORKERS)


def run_pipeline(
    pairs: Iterable[tuple[Path, Path]],
    steps: Steps,
    overwrite: bool = False,
    workers: int | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run ``steps`` over (input, output) ``pairs``; the outcomes in the order of ``pairs``.

    ``on_outcome`` is called in the calling thread as each outcome is known (in order). A
    :class:`~restorable.progress.Cancelled` raised by ``process`` (e.g. a progress callback) stops the
    run: that input is reported cancelled, the outputs already made are finished, the rest are not
    started, and ``Cancelled`` is raised again.
    """
    pairs = list(pairs)
    workers = workers or default_workers()
    inputs = {src.resolve() for src, _ in pairs}
    outcomes: list[Outcome] = []
    # outcomes in input order, each with its write (None: nothing to write) and the claim it holds
    pending: deque[tuple[Outcome, Future | None, ExitStack]] = deque()
    reading: deque[tuple[Path, Path, Future | Outcome, ExitStack]] = deque()
    todo = iter(pairs)
    current = None  # the input being processed, until its outcome is pending
    prepare = steps.prepare

    def report(keep: int) -> None:
        """Report finished outcomes in order, waiting for the oldest writes until at most ``keep`` are pending."""
        while pending and (len(pending) > keep or pending[0][1] is None or pending[0][1].done()):
            outcome, write, held = pending.popleft()
            try:
                outcome.notes += write.result() if write is not None else []
            except Exception as exc:
                outcome.state, outcome.error = "failed", _kept(exc)
            finally:
                held.close()
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)

    def read_ahead(pool: ThreadPoolExecutor) -> None:
        while len(reading) < workers:
            pair = next(todo, None)
            if pair is None:
                return
            src, dst = pair
            held = ExitStack()
            ready = _claim(src, dst, inputs, overwrite, held)
            reading.append((src, dst, ready if ready is not None else pool.submit(steps.read, src), held))

    with ThreadPoolExecutor(workers, thread_name_prefix="restorable-io") as pool:
        try:
            read_ahead(pool)
            while reading:
                src, dst, ready, held = current = reading.popleft()
                if prepare is not None and not isinstance(ready, Outcome):  # the first input to process
                    prepare, run_first = None, prepare
                    run_first()  # its failure ends the run (it is no one input's)
                write = None
                if isinstance(ready, Outcome):  # skipped, busy, or refused before reading
                    outcome = ready
                else:
                    outcome = Outcome(src, dst, "done")
                    try:
                        source = ready.result()
                        result = steps.process(source, src, dst)
                        encoded = _early_encoding(pool, steps, result, dst)
                        encoded = _check(steps, source, result, dst, outcome) or encoded
                        outcome.ran_on, outcome.method = result.ran_on or "?", result.method
                        outcome.notes += result.notes
                        report(workers - 1)
                        write = pool.submit(_write, dst, result, steps, encoded)
                    except Cancelled:
                        outcome.state = "cancelled"
                        pending.append((outcome, None, held))
                        raise
                    except Exception as exc:  # any failure of one input: report it and go on with the others
                        outcome.state, outcome.error = "failed", _kept(exc)
                pending.append((outcome, write, held))
                current = None
                report(workers)
                read_ahead(pool)
            report(0)
        except BaseException:
            if current is not None and not any(held is current[3] for _, _, held in pending):
                current[3].close()  # interrupted while processing it (Ctrl-C)
            for _, _, ready, held in reading:  # not started: release their claims
                if isinstance(ready, Future):
                    ready.cancel()
                held.close()
            report(0)
            raise
    return outcomes


def run_one(src: Path, dst: Path, steps: Steps) -> Outcome:
    """One input into one output (written over if it exists): its outcome, or the error that stopped it."""
    (outcome,) = run_pipeline([(src, dst)], steps, overwrite=True, workers=1)
    if outcome.state == "busy":
        raise RestorableError(f"{dst} is being made by another run")
    if outcome.error is not None:
        raise outcome.error
    return outcome


def _kept(exc: Exception) -> Exception:
    """``exc`` without the local variables of the frames it passed (photos, results, device tensors): a
    batch keeps its errors until it ends. Message and line numbers stay."""
    traceback.clear_frames(exc.__traceback__)
    return exc


def _claim(src: Path, dst: Path, inputs: set[Path], overwrite: bool, held: ExitStack) -> Outcome | None:
    """Claim ``dst`` into ``held``; an Outcome instead when ``src`` is not to be processed."""
    if dst.resolve() in inputs:
        return Outcome(src, dst, "failed", RestorableError(f"output {dst} would overwrite an input"))
    if dst.exists() and not overwrite:
        remove_stale_claim(dst)  # a run killed after writing it, before letting go of it
        return Outcome(src, dst, "skipped")
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        mine = held.enter_context(claim(dst))
    except OSError as exc:
        return Outcome(src, dst, "failed", exc)
    if not mine or (dst.exists() and not overwrite):
        held.close()
        return Outcome(src, dst, "busy")  # another run is making it, or has just made it
    return None


def _check(steps: Steps, source: object, result: Photo, dst: Path, outcome: Outcome) -> tuple[bytes, list[str]] | None:
    """Run ``steps.check`` on the pixels the file will hold; the encoded file when it had to be made for that."""
    if steps.check is None:
        return None
    encoded, stored, fmt = None, result.rgb, output_format(dst)
    if fmt not in LOSSLESS:  # a lossy file: check the pixels of the very bytes that will be written
        encoded = encode_photo(result, fmt, steps.quality, steps.png)
        stored = decode_pixels(encoded[0], grey=result.rgb.ndim == 2)
    outcome.checked = steps.check(source, result, stored, dst)
    return encoded


def _early_encoding(pool: ThreadPoolExecutor, steps: Steps, result: Photo, dst: Path) -> Future | None:
    """A lossless file's encoding, started in a worker while the check runs (the check needs only its pixels)."""
    if steps.check is None or output_format(dst) not in LOSSLESS:
        return None
    return pool.submit(encode_photo, result, output_format(dst), steps.quality, steps.png)


def _write(dst: Path, result: Photo, steps: Steps, encoded: Future | tuple[bytes, list[str]] | None) -> list[str]:
    """Encode (unless done or under way) and write ``result`` atomically; the notes the format adds."""
    if isinstance(encoded, Future):
        encoded = encoded.result()
    data, notes = encoded or encode_photo(result, output_format(dst), steps.quality, steps.png)
    atomic_write(dst, lambda handle: handle.write(data))
    return notes
