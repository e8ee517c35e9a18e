"""``restorable restore``: recover the original photos from processed files."""

from __future__ import annotations

import typer

from restorable.cli import options as o
from restorable.cli.files import beside, run_files
from restorable.limits import DEFAULT_MAX_PIXELS


def restore(
    paths: o.Paths,
    op: str = typer.Option(None, "--op", help="Operator, only for files whose restorable record was stripped."),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="Operator parameter key=value a file without a record was made with (repeatable; a record must agree)."
    ),
    out_dir: o.OutDir = None,
    fmt: o.Format = "png",
    quality: o.Quality = 95,
    recursive: o.Recursive = False,
    overwrite: o.Overwrite = False,
    weights: o.Weights = None,
    device: o.Device = "auto",
    backend: o.Backend = "torch",
    tile: o.Tile = None,
    max_pixels: o.MaxPixels = DEFAULT_MAX_PIXELS,
    ray: o.Ray = None,
    force: bool = typer.Option(
        False, "--force", help="Restore files changed since they were processed (resized, cropped, rotated), with a warning."
    ),
    one_step: bool = typer.Option(
        False, "--one-step", help="A file processed more than once: undo only its last effect (gives the file it was"
        " made from, with its record; by default restore goes back to the original)."
    ),
    robust: bool = typer.Option(
        None,
        "--robust/--invisible",
        help="Only with --op, for files without a record: the weights apply used (default: --invisible for PNG/TIFF"
        " inputs, as apply picks them).",
    ),
) -> None:
    """Restore the original of processed files (IN alone writes STEM.restored.png beside it)."""
    from restorable.operators import get_operator, parse_params, resolve_params
    from restorable.photo_jobs import RestoreJob
    from restorable.settings import RunSettings

    params = parse_params(param)
    if op is not None:
        resolve_params(get_operator(op), params)  # a bad name or value fails before any file is read
    job = RestoreJob(op, params, force, robust, quality, max_pixels, RunSettings(device, backend, tile, weights), one_step)
    run_files(beside(paths, out_dir, f".restored.{fmt.lstrip('.')}"), out_dir, fmt, recursive, overwrite, job, ray)
