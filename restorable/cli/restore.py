"""``restorable restore``: recover the original photos from processed files."""

from __future__ import annotations

from pathlib import Path

import typer

from restorable.cli import options as o
from restorable.cli.files import lossless_weights, run_files
from restorable.limits import DEFAULT_MAX_PIXELS


def restore(
    paths: o.Paths,
    op: str = typer.Option(None, "--op", help="Operator, only for files whose restorable record was stripped."),
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
    force: bool = typer.Option(
        False, "--force", help="Restore files changed since they were processed (resized, cropped, rotated), with a warning."
    ),
    robust: bool = typer.Option(
        None,
        "--robust/--invisible",
        help="Only with --op, for files without a record: the weights apply used (default: --invisible for PNG/TIFF"
        " inputs, as apply picks them).",
    ),
) -> None:
    """Restore the original of processed files (IN alone writes IN-STEM.restored.png)."""
    from restorable.session import Session
    from restorable.settings import RunSettings

    session = Session(RunSettings(device, backend, tile, weights))

    def process(photo, src, dst):
        return session.restore(photo, op, force, lossless_weights(src, robust))

    if len(paths) == 1 and out_dir is None:
        src = Path(paths[0])
        paths = [paths[0], str(src.with_name(f"{src.stem}.restored.{fmt.lstrip('.')}"))]
    # restored originals are photographs: run-length PNG compression is as small as the default and 4-5x faster
    run_files(paths, out_dir, fmt, quality, recursive, overwrite, process, "restore", max_pixels=max_pixels, png="fast")
