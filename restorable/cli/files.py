"""The file side of ``apply``/``restore``: one IN OUT pair, or a batch into -o OUTDIR (here, or on Ray)."""

from __future__ import annotations

from pathlib import Path

import typer

from restorable.errors import RestorableError, named

def run_files(
    paths: list[str], out_dir: Path | None, fmt: str, recursive: bool, overwrite: bool, job, ray: str | None = None
) -> None:
    """Run ``job`` (:class:`~restorable.photo_jobs.ApplyJob` or ``RestoreJob``) on IN OUT, or on a batch into
    ``out_dir`` (locally, or as a Ray Data job at address ``ray``); exit 1 if any file of a batch failed."""
    from rich.console import Console

    from restorable.cli.batch import expand_inputs, not_read, output_paths, run_batch
    from restorable.image_file import output_format
    from restorable.pipeline import LOSSLESS, run_one

    console = Console(stderr=True, soft_wrap=True)

    def notes_of(outcomes) -> list[str]:
        return [f"{o.src.name}: {note}" for o in outcomes for note in o.notes]

    if out_dir is None:
        if ray is not None:
            raise RestorableError("--ray runs batches: give inputs with -o OUTDIR")
        if len(paths) != 2:
            raise RestorableError("give IN OUT, or inputs with -o OUTDIR")
        src, dst = Path(paths[0]), Path(paths[1])
        if dst.is_dir():
            raise RestorableError(f"{dst} is a folder: use -o {dst} for batch mode")
        if output_format(dst) not in LOSSLESS and job.png_only:
            raise RestorableError(f"{job.png_only} needs a PNG (or TIFF) output: JPEG and WebP would destroy the payload: {dst}")
        if dst.resolve() == src.resolve():
            raise RestorableError(f"{dst}: refusing to write over the input")
        if dst.exists() and not overwrite:
            raise RestorableError(f"{dst} exists: --overwrite replaces it")
        try:
            outcome = run_one(src, dst, command_steps(job))
        except RestorableError as exc:  # named by its file, as a batch names it
            message = named(exc.message, src)
            if message == exc.message or exc.message.startswith(str(dst)):  # it names its file already
                raise
            raise type(exc)(message, exc.hint) from None
        for note in notes_of([outcome]):
            console.print(f"warning: {note}", markup=False)
        via = f", {outcome.method}" if outcome.method else ""
        via += f", {outcome.checked.text}" if outcome.checked else ""
        console.print(f"{src} -> {dst} ({job.label}, ran on {outcome.ran_on}{via})", markup=False)
        return
    check_out_dir(out_dir)
    if job.png_only and fmt.lstrip(".").lower() not in ("png", "tif", "tiff"):
        raise RestorableError(f"{job.png_only} needs PNG outputs (JPEG would destroy the payload): use --format png")
    inputs, others = expand_inputs(paths, recursive, out_dir)
    if others:
        console.print(f"note: {not_read(others)}", markup=False)
    if not inputs:
        raise RestorableError("no input images found")
    pairs = list(zip(inputs, output_paths(inputs, out_dir, "." + fmt.lstrip(".").lower())))
    if ray is not None:
        from restorable.ray_job import run_on_ray

        outcomes = run_batch(pairs, None, overwrite, job.label, lambda on_outcome: run_on_ray(pairs, job, overwrite, ray, on_outcome))
    else:
        outcomes = run_batch(pairs, command_steps(job), overwrite, job.label)
    for note in notes_of(outcomes):
        console.print(f"warning: {note}", markup=False)
    ran_on = {o.ran_on for o in outcomes if o.ran_on}
    if ran_on:
        console.print(f"ran on {', '.join(sorted(ran_on))}", markup=False)
    for method in sorted({o.method for o in outcomes if o.method}):
        console.print(f"via {method}", markup=False)
    if any(o.state == "failed" for o in outcomes):
        raise typer.Exit(1)


def beside(paths: list[str], out_dir: Path | None, ending: str) -> list[str]:
    """``paths``, or for IN alone (no -o) IN and its output beside it: IN's stem + ``ending``."""
    if len(paths) != 1 or out_dir is not None:
        return paths
    src = Path(paths[0])
    if src.is_dir():
        raise RestorableError(f"{src} is a folder: -o OUTDIR names the folder for its outputs")
    return [paths[0], str(src.with_name(src.stem + ending))]


def check_out_dir(out_dir: Path) -> None:
    """Refuse an -o that is a file, or that names one that is not there yet (an image file name)."""
    from restorable.image_file import IMAGE_SUFFIXES

    if out_dir.exists() and not out_dir.is_dir():
        raise RestorableError(f"{out_dir} is a file: -o names the folder for the outputs")
    if not out_dir.exists() and out_dir.suffix.lower() in IMAGE_SUFFIXES:
        raise RestorableError(f"-o names a folder, not a file like {out_dir}: give IN OUT for one photo")


def command_steps(job):
    """``job``'s steps on a :func:`command_session`, with :func:`warm_up` as their ``prepare``."""
    from dataclasses import replace

    return replace(job.steps(command_session(job.settings)), prepare=warm_up)


def command_session(settings):
    """A Session for a command that ends with its photos: freed memory is kept for reuse (large tensors do
    not fault in fresh pages). torch is not imported yet: :func:`warm_up` does it."""
    from restorable.memory import reuse_freed_memory
    from restorable.session import Session

    reuse_freed_memory()
    return Session(settings)


def warm_up() -> None:
    """Import torch and take the cores other processes leave free (:mod:`restorable.cores`): a pipeline's
    ``prepare``, run while the first photos decode in its threads. The objects made so far are frozen,
    so that garbage collections skip torch's hundreds of thousands of them: the interpreter's last ones
    took ~0.3 s of every command's exit (2 cores). Only these: what is made later is collected as usual
    (a DistributedDataParallel run frozen at its exit aborted in its C++ destructors)."""
    import gc

    import torch  # noqa: F401  (about 1 s: the reason to run this while photos decode)

    from restorable.cores import use_free_cores

    use_free_cores()
    gc.freeze()
