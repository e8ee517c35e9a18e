"""``restorable apply``: process photos so that they can be restored later."""

from __future__ import annotations

import typer

from restorable.cli import options as o
from restorable.cli.files import beside, run_files
from restorable.limits import DEFAULT_MAX_PIXELS


def apply(
    paths: o.Paths,
    op: str = typer.Option(..., "--op", help="Operator (see `restorable ops`)."),
    param: list[str] = typer.Option([], "--param", "-p", help="Operator parameter key=value (repeatable)."),
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
    mode: str = typer.Option("learned", "--mode", help="learned (the network) | exact (the operator's exact result + payload; PNG only)."),
    payload: bool = typer.Option(False, "--payload", help="Learned mode: add a refinement payload in the lowest bits (PNG only)."),
    robust: o.Robust = None,
    ray: o.Ray = None,
    min_restore_db: float = typer.Option(
        None,
        "--min-restore-db",
        help="Restore each result as it will be saved and refuse to write it when it comes back below this PSNR"
        " (default: 28 dB, 24 for the generative operators, 24 / 20 for rescale-2x / 4x; 0: no check).",
    ),
) -> None:
    """Apply a restorable effect: OUT looks like the effect and still holds the original (IN alone writes
    STEM.OP.png beside it)."""
    from restorable.operators import get_operator, parse_params, resolve_params
    from restorable.photo_jobs import ApplyJob
    from restorable.session import check_mode
    from restorable.settings import RunSettings

    spec = get_operator(op)
    params = resolve_params(spec, parse_params(param))
    if min_restore_db is None:
        min_restore_db = spec.restore_floor
    check_mode(mode, payload, op)  # before any file is read
    settings = RunSettings(device, backend, tile, weights)
    job = ApplyJob(op, params, mode, payload, robust, min_restore_db, quality, max_pixels, settings)
    run_files(beside(paths, out_dir, f".{op}.{fmt.lstrip('.')}"), out_dir, fmt, recursive, overwrite, job, ray)
