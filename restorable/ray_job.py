"""Photo libraries beyond one machine: the batch pipeline as a Ray Data job (``apply``/``restore`` ``--ray``).

The driver lists the inputs and names the outputs exactly as a local batch does; Ray Data hands the
(input, output) pairs in small batches to a pool of actors, each holding one
:class:`~restorable.session.Session` (networks loaded once; one GPU per actor where the cluster has GPUs,
one CPU otherwise), which runs :func:`restorable.pipeline.run_pipeline` on its batch: same reading, same
steps, same claims, temporary files and skip/overwrite rules, so the outputs are the plain CLI's, byte for
byte. Outputs go to the shared filesystem under the same names. A failed photo is an outcome like any
other and the job goes on; an actor that dies is restarted by Ray and its batch retried, and a photo
whose writer was killed is finished by running the command again (its claim and temporary file, left by
a process that is gone, are taken over).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path

from restorable.errors import RestorableError, failure_reason
from restorable.pipeline import Outcome

BATCH = 4  # photos an actor takes at a time: small, so that the pool stays balanced and a lost batch is cheap


class _Failure(RestorableError):
    """An input's failure as the actor reported it (one line), raised nowhere: kept in its Outcome."""


def run_on_ray(
    pairs: list[tuple[Path, Path]], job, overwrite: bool, address: str, on_outcome: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Run ``job`` (an ApplyJob or RestoreJob) on ``pairs`` as a Ray Data job; the outcomes in the order of ``pairs``.

    ``address``: "local" starts a cluster in this process's machine, "auto" joins the one ``ray start``
    runs here, "ray://HOST:PORT" a remote one.
    """
    try:
        import ray
        import ray.data
    except ImportError:
        raise RestorableError("--ray needs Ray: pip install 'restorable[ray]'") from None
    logging.getLogger("ray").setLevel(logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its progress lines: the CLI draws its own bar
    warnings.filterwarnings("ignore", module="ray")
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    connect = None if address == "local" else address
    ray.init(address=connect, include_dashboard=False, log_to_driver=False, configure_logging=False, ignore_reinit_error=True)
    try:
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), max(1, int(resources.get("CPU", 1)))
        on_gpu = gpus > 0 and job.settings.device in ("auto", "cuda")
        items = [{"index": i, "src": str(src), "dst": str(dst)} for i, (src, dst) in enumerate(pairs)]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items)))  # a block a photo: every actor gets work
        results = dataset.map_batches(
            _Worker,
            fn_constructor_kwargs={"job": job, "overwrite": overwrite},
            batch_size=BATCH,
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=min(gpus if on_gpu else cpus, len(items)) or 1),
            num_gpus=1 if on_gpu else 0,
            num_cpus=0 if on_gpu else 1,
        )  # Ray Data restarts a lost actor and retries its batch by itself
        outcomes: list[Outcome | None] = [None] * len(pairs)
        for row in results.iter_rows():
            outcome = _outcome(row)
            outcomes[int(row["index"])] = outcome
            if on_outcome is not None:
                on_outcome(outcome)
    finally:
        ray.shutdown()
    return [o for o in outcomes if o is not None]


class _Worker:
    """A Ray actor: one Session for the job's settings, the pipeline over each batch it is given."""

    def __init__(self, job, overwrite: bool) -> None:
        from restorable.memory import reuse_freed_memory
        from restorable.session import Session

        reuse_freed_memory()
        self.steps = job.steps(Session(job.settings))
        self.overwrite = overwrite

    def __call__(self, batch):
        from restorable.pipeline import run_pipeline

        pairs = [(Path(src), Path(dst)) for src, dst in zip(batch["src"], batch["dst"])]
        outcomes = run_pipeline(pairs, self.steps, self.overwrite, workers=1)
        batch = batch.copy()
        batch["state"] = [o.state for o in outcomes]
        batch["error"] = [failure_reason(o.error) if o.error is not None else "" for o in outcomes]
        batch["figure"] = [o.figure for o in outcomes]
        batch["notes"] = ["\n".join(o.notes) for o in outcomes]
        batch["ran_on"] = [f"{o.ran_on} (Ray, {os.uname().nodename})" if o.ran_on else "" for o in outcomes]
        batch["method"] = [o.method or "" for o in outcomes]
        return batch


def _outcome(row: dict) -> Outcome:
    """The Outcome of a row the actors returned."""
    error = _Failure(row["error"]) if row["error"] else None
    notes = row["notes"].split("\n") if row["notes"] else []
    return Outcome(Path(row["src"]), Path(row["dst"]), row["state"], error, row["figure"], notes,
                   row["ran_on"] or None, row["method"] or None)
