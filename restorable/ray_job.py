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

from restorable.errors import RestorableError, failure_reason, one_line
from restorable.pipeline import Checked, Outcome

BATCH = 4  # photos an actor takes at a time: small, so that the pool stays balanced and a lost batch is cheap
RETRIES = 2  # restarts of a lost actor, and retries of its batch


class _Failure(RestorableError):
    """An input's failure as the actor reported it (one line), raised nowhere: kept in its Outcome."""


def run_on_ray(
    pairs: list[tuple[Path, Path]], job, overwrite: bool, address: str, on_outcome: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Run ``job`` (an ApplyJob or RestoreJob) on ``pairs`` as a Ray Data job; the outcomes in the order of ``pairs``.

    ``address``: "local" starts a new cluster on this machine, "auto" joins the one ``ray start`` runs
    here, "HOST:PORT" or "ray://HOST:PORT" another one. Claims and temporary files name the host that
    made them, so runs on several machines sharing a disk keep out of each other's way.
    """
    try:
        import ray
        import ray.data
    except ImportError:
        raise RestorableError("--ray needs Ray: pip install 'restorable[ray]'") from None
    logging.getLogger("ray").setLevel(logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its progress lines: the CLI draws its own bar
    warnings.filterwarnings("ignore", module="ray")
    warnings.filterwarnings("ignore", message=".*ray_remote_args.*")  # max_restarts has no named parameter yet
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False, ignore_reinit_error=True)
    inputs = {src.resolve() for src, _ in pairs}
    outcomes: list[Outcome | None] = [None] * len(pairs)

    def settle(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    items = []
    for index, (src, dst) in enumerate(pairs):
        if dst.resolve() in inputs:  # checked here against all inputs: an actor sees only its own few
            settle(index, Outcome(src, dst, "failed", RestorableError(f"output {dst} would overwrite an input")))
        else:  # absolute paths: the actors' working folders are their own
            items.append({"index": index, "src": str(src.resolve()), "dst": str(dst.resolve())})
    try:
        if items:
            for row in _results(ray, items, job, overwrite).iter_rows():
                index = int(row["index"])
                settle(index, _outcome(row, *pairs[index]))
    except Exception as exc:  # the job itself failed (a photo that keeps killing its worker, a lost cluster)
        cause = one_line(str(exc)).split(" Traceback")[0][:300]
        for index, (src, dst) in enumerate(pairs):
            if outcomes[index] is None:
                settle(index, Outcome(src, dst, "failed", _Failure(f"the Ray job stopped before it: {cause}")))
    finally:
        ray.shutdown()
    for index, (src, dst) in enumerate(pairs):  # never silently missing
        if outcomes[index] is None:
            settle(index, Outcome(src, dst, "failed", _Failure("the Ray job gave no result for it")))
    return outcomes


def _results(ray, items: list[dict], job, overwrite: bool):
    """The Ray Data dataset of the actors' outcome rows for ``items``."""
    resources = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), max(1, int(resources.get("CPU", 1)))
    on_gpu = gpus > 0 and job.settings.device in ("auto", "cuda")
    dataset = ray.data.from_items(items, override_num_blocks=len(items))  # a block a photo: every actor gets work
    return dataset.map_batches(
        _Worker,
        fn_constructor_kwargs={"job": job, "overwrite": overwrite},
        batch_size=BATCH,
        batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=min(gpus if on_gpu else cpus, len(items))),
        num_gpus=1 if on_gpu else 0,
        num_cpus=0 if on_gpu else 1,
        # a lost actor is restarted and its batch retried, twice: a photo that keeps killing its worker fails the job
        max_restarts=RETRIES,
        max_task_retries=RETRIES,
    )


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
        batch["checked"] = [o.checked.text if o.checked else "" for o in outcomes]
        batch["checked_db"] = [o.checked.db if o.checked else 0.0 for o in outcomes]
        batch["notes"] = ["\n".join(o.notes) for o in outcomes]
        batch["ran_on"] = [f"{o.ran_on} (Ray, {os.uname().nodename})" if o.ran_on else "" for o in outcomes]
        batch["method"] = [o.method or "" for o in outcomes]
        return batch


def _outcome(row: dict, src: Path, dst: Path) -> Outcome:
    """The Outcome of a row the actors returned, for the input ``src`` and output ``dst`` as the user named them."""
    error = _Failure(row["error"]) if row["error"] else None
    notes = row["notes"].split("\n") if row["notes"] else []
    checked = Checked(row["checked"], float(row["checked_db"])) if row["checked"] else None
    return Outcome(src, dst, row["state"], error, checked, notes, row["ran_on"] or None, row["method"] or None)
