"""``restorable train-together``: several ``restorable train`` runs in one process, their passes batched (issue 31)."""

from __future__ import annotations

import shlex

import typer

from restorable.errors import RestorableError


def parse_run(text: str):
    """One RUN (the options of ``restorable train``, as one string) -> its PreparedRun; a one-line error for bad options."""
    from restorable.cli.train import prepare

    app = typer.Typer(add_completion=False)
    app.command()(prepare)
    command = typer.main.get_command(app)
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise RestorableError(f"run {text!r}: {error}") from None
    try:
        from typer._click import exceptions as click_errors
    except ImportError:  # typer releases that use click itself
        from click import exceptions as click_errors  # type: ignore[no-redef]
    try:
        with command.make_context("train", words) as context:
            return command.invoke(context)
    except click_errors.ClickException as error:
        raise RestorableError(f"run {text!r}: {error.format_message()}") from None


def train_together(
    runs: list[str] = typer.Option(
        ..., "--run", metavar="OPTIONS",
        help="The options of one `restorable train` run, quoted as one value (e.g. --run \"--op l0 --data D --out a.safetensors"
        " --steps 2000\"); repeat for each run. Runs of one network shape, --batch, --crop and device step as one.",
    ),
) -> None:
    """Train several networks in one process: each run as `restorable train` trains it, their passes batched into one.

    For a GPU that one small network leaves idle: N runs of batch B keep their own data, settings, schedule and checkpoint, and fill the chip as one run of batch N x B would. Runs of other shapes form groups that take turns; a run that ends is saved and the others go on.
    """
    import time

    from rich.console import Console

    from restorable.cli.train import step_info
    from restorable.train.evaluate import summary_line
    from restorable.train.together import Run, check_runs
    from restorable.train.together import train_together as run_all

    console = Console(stderr=True, soft_wrap=True)
    prepared = [parse_run(text) for text in runs]
    group = [
        Run(p.trainer, p.last, p.minutes, p.val_pairs, p.val_every, p.save_minutes, p.jpeg_eval) for p in prepared
    ]
    check_runs([r.trainer for r in group])  # before any line says the runs start
    for run in group:
        console.print(f"{run.trainer.out.stem}: {run.trainer.config.op}, starting at step {run.trainer.step}", markup=False)
    first = {id(r): r.trainer.step for r in group}
    started = time.monotonic()

    def on_step(run: Run, terms: dict, val: dict | None) -> None:
        step = run.trainer.step
        if step % run.val_every and step != run.steps:  # reading the terms waits for the device
            return
        rate = (step - first[id(run)]) / max(1e-9, time.monotonic() - started)
        console.print(f"{run.trainer.out.stem}: step {step} {step_info(terms, rate, val)}", markup=False)

    for run, val in zip(group, run_all(group, on_step)):
        line = f"{run.trainer.out.stem}: saved {run.trainer.out} at step {run.trainer.step}"
        console.print(line + (f"; val: {summary_line(val)}" if val else ""), markup=False)
