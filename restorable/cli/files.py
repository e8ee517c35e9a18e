"""The file side of ``apply``/``restore``: one IN OUT pair, or a batch into -o OUTDIR."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from restorable.errors import RestorableError
from restorable.limits import DEFAULT_MAX_PIXELS

LOSSLESS = ("PNG", "TIFF")  # output formats that keep a payload in the lowest bits


def lossless_weights(path: Path, robust: bool | None) -> bool:
    """Whether a file at ``path`` goes with an operator's lossless weights: PNG/TIFF do,
    unless ``--robust`` / ``--invisible`` (``robust``) says which."""
    from restorable.image_file import FORMATS

    return FORMATS.get(Path(path).suffix.lower()) in LOSSLESS if robust is None else not robust


def run_files(
    paths: list[str],
    out_dir: Path | None,
    fmt: str,
    quality: int,
    recursive: bool,
    overwrite: bool,
    process: Callable,
    label: str,
    png_only: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    verify: Callable | None = None,
    png: str = "small",
) -> None:
    """Read each input photo, ``process(photo, src, dst)`` it, write it with its metadata; exit 1 if any failed in a batch.

    ``png_only`` names the option that needs PNG outputs (a payload does not survive JPEG);
    inputs over ``max_pixels`` are refused before decoding.
    ``verify(photo, result, stored, dst) -> str`` checks a result before it is written, on the pixels the
    file will give back (it raises to refuse it), and returns a short figure for the report.
    ``png``: PNG compression (:func:`restorable.photo.encode_photo`).
    """
    from rich.console import Console

    from restorable.cli.batch import expand_inputs, output_paths, run_batch
    from restorable.image_file import output_format
    from restorable.memory import reuse_freed_memory
    from restorable.photo import read_photo
    from restorable.pipeline import Steps, run_pipeline

    reuse_freed_memory()  # a command that ends with its photos: large tensors reuse freed pages
    console = Console(stderr=True, soft_wrap=True)
    steps = Steps(lambda src: read_photo(src, max_pixels), process, verify, quality, png)

    def notes_of(outcomes) -> list[str]:
        return [f"{o.src.name}: {note}" for o in outcomes for note in o.notes]

    if out_dir is None:
        if len(paths) != 2:
            raise RestorableError("give IN OUT, or inputs with -o OUTDIR")
        src, dst = Path(paths[0]), Path(paths[1])
        if dst.is_dir():
            raise RestorableError(f"{dst} is a folder: use -o {dst} for batch mode")
        if output_format(dst) not in LOSSLESS and png_only:
            raise RestorableError(f"{png_only} needs a PNG (or TIFF) output: JPEG and WebP would destroy the payload: {dst}")
        if dst.resolve() == src.resolve():
            raise RestorableError(f"{dst}: refusing to write over the input")
        if dst.exists() and not overwrite:
            raise RestorableError(f"{dst} exists: --overwrite replaces it")
        (outcome,) = run_pipeline([(src, dst)], steps, overwrite=True, workers=1)
        if outcome.state == "busy":
            raise RestorableError(f"{dst} is being made by another run")
        if outcome.error is not None:
            raise outcome.error
        for note in notes_of([outcome]):
            console.print(f"warning: {note}", markup=False)
        via = f", {outcome.method}" if outcome.method else ""
        via += f", {outcome.figure}" if outcome.figure else ""
        console.print(f"{src} -> {dst} ({label}, ran on {outcome.ran_on}{via})", markup=False)
        return
    if png_only and fmt.lstrip(".").lower() not in ("png", "tif", "tiff"):
        raise RestorableError(f"{png_only} needs PNG outputs (JPEG would destroy the payload): use --format png")
    inputs = expand_inputs(paths, recursive)
    if not inputs:
        raise RestorableError("no input images found")
    outputs = output_paths(inputs, out_dir, "." + fmt.lstrip(".").lower())
    outcomes = run_batch(list(zip(inputs, outputs)), steps, overwrite, label)
    for note in notes_of(outcomes):
        console.print(f"warning: {note}", markup=False)
    ran_on = {o.ran_on for o in outcomes if o.ran_on}
    if ran_on:
        console.print(f"ran on {', '.join(sorted(ran_on))}", markup=False)
    for method in sorted({o.method for o in outcomes if o.method}):
        console.print(f"via {method}", markup=False)
    if any(o.state == "failed" for o in outcomes):
        raise typer.Exit(1)
