"""``restorable apply``: process photos so that they can be restored later."""

from __future__ import annotations

import typer

from restorable.cli import options as o
from restorable.cli.files import lossless_weights, run_files
from restorable.errors import RestorableError
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
    min_restore_db: float = typer.Option(
        None,
        "--min-restore-db",
        help="Restore each result as it will be saved and refuse to write it when it comes back below this PSNR"
        " (default: 28 dB, 24 for the generative operators, 24 / 20 for rescale-2x / 4x; 0: no check).",
    ),
) -> None:
    """Apply a restorable effect: OUT looks like the effect and still holds the original."""
    from restorable.operators import get_operator, parse_params, resolve_params
    from restorable.session import Session, check_mode
    from restorable.settings import RunSettings

    spec = get_operator(op)
    params = resolve_params(spec, parse_params(param))
    if min_restore_db is None:
        min_restore_db = spec.restore_floor
    check_mode(mode, payload, op)  # before any file is read
    session = Session(RunSettings(device, backend, tile, weights))
    png_only = "--mode exact" if mode == "exact" else "--payload" if payload else None

    def process(photo, src, dst):
        return session.apply(photo, op, params, mode, payload, lossless_weights(dst, robust))

    def verify(photo, result, stored, dst) -> str:
        from restorable.image_file import output_format
        from restorable.verify import restoration_db

        out_format = output_format(dst)
        db = restoration_db(photo, result, out_format, quality, lambda part: session.restore(part, op), stored)
        if db < min_restore_db:
            better = "; save it as PNG" if out_format in ("JPEG", "WEBP") else ""
            raise RestorableError(
                f"it would restore at only {db:.1f} dB as {out_format} (below --min-restore-db {min_restore_db:g}):"
                f" not written{better}"
            )
        return f"restores at {db:.1f} dB"

    run_files(
        paths, out_dir, fmt, quality, recursive, overwrite, process, f"apply {op}", png_only, max_pixels,
        verify if min_restore_db > 0 else None,
    )
