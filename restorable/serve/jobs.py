"""Jobs: long work run off the request threads, one at a time, with progress and cancel.

One worker thread runs the jobs in the order they came, so one :class:`~restorable.session.Session`
(one network copy per device) serves every tab and memory stays that of one photo at a time;
the page polls a job's state.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from restorable.errors import RestorableError, one_line
from restorable.progress import Cancelled, reporting

log = logging.getLogger("restorable")

# The share of a job's progress bar that each kind of reported work takes (the rest: reading, writing, measuring).
STAGES = {"reference": (0.05, 0.35), "effect": (0.35, 0.6), "restore": (0.6, 0.9)}
KEEP_FINISHED = 64  # finished jobs remembered for the page (oldest forgotten first, their files deleted)


class UnknownJob(RestorableError):
    """A job id the runner does not know (never made, or forgotten)."""


@dataclass
class Job:
    """One piece of work: its state, progress (0..1) and what it produced."""

    id: str
    kind: str  # "effect", "restore" or "batch"
    state: str = "queued"  # queued, running, done, failed, cancelled
    progress: float = 0.0
    stage: str = "waiting for the jobs before it"
    error: str | None = None
    result: dict = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # name the page may fetch -> file in the job's folder
    items: list[dict] = field(default_factory=list)  # batch: per file {name, state, message}
    cancel: threading.Event = field(default_factory=threading.Event)
    created: float = field(default_factory=time.monotonic)

    def public(self) -> dict:
        """What the page sees."""
        return {
            "id": self.id, "kind": self.kind, "state": self.state, "progress": round(self.progress, 4),
            "stage": self.stage, "error": self.error, "result": self.result, "items": self.items,
        }

    def step(self, stage: str, progress: float | None = None) -> None:
        """Enter ``stage`` (shown in the page); stops here if the job was cancelled."""
        if self.cancel.is_set():
            raise Cancelled
        self.stage = stage
        if progress is not None:
            self.progress = max(self.progress, progress)

    def tiles(self, span: tuple[float, float] | None = None) -> Callable[[str, int, int], None]:
        """A :mod:`restorable.progress` callback moving the bar within ``span`` (default: by stage)."""

        def callback(what: str, done: int, total: int) -> None:
            if self.cancel.is_set():
                raise Cancelled
            low, high = span or STAGES.get(what, (self.progress, self.progress))
            self.progress = max(self.progress, low + (high - low) * done / max(1, total))

        return callback


class JobRunner:
    """A queue of jobs and the one thread that runs them."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self._queue: queue.Queue[tuple[Job, Callable[[Job], None]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="restorable-jobs", daemon=True)
        self._thread.start()

    def submit(self, kind: str, body: Callable[[Job], None]) -> Job:
        """Queue ``body(job)``; returns the job at once."""
        job = Job(secrets.token_hex(8), kind)
        with self._lock:
            self.jobs[job.id] = job
            finished = [j for j in self.jobs.values() if j.state in ("done", "failed", "cancelled")]
            for old in sorted(finished, key=lambda j: j.created)[:-KEEP_FINISHED]:
                del self.jobs[old.id]
        self._queue.put((job, body))
        return job

    def get(self, job_id: str) -> Job:
        """The job ``job_id``; a one-line error if there is none."""
        job = self.jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise UnknownJob("unknown job (the server may have restarted, or it is one of the oldest, forgotten)")
        return job

    def close(self) -> None:
        """Cancel what is queued or running and stop the thread."""
        for job in list(self.jobs.values()):
            job.cancel.set()
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            job, body = item
            if job.cancel.is_set():
                job.state, job.stage = "cancelled", "cancelled"
                continue
            job.state, job.stage = "running", "starting"
            try:
                with reporting(job.tiles()):
                    body(job)
                job.state, job.stage, job.progress = "done", "done", 1.0
            except Cancelled:
                job.state, job.stage = "cancelled", "cancelled"
            except RestorableError as exc:  # the page has no options: the message without its API hint
                job.state, job.error = "failed", one_line(exc.message)
            except MemoryError:
                job.state, job.error = "failed", "out of memory: try a smaller photo"
            except Exception as exc:  # a bug: the page gets one line, the server log the traceback
                log.exception("job %s failed", job.id)
                job.state, job.error = "failed", f"internal error ({exc.__class__.__name__}: {one_line(str(exc))})"
