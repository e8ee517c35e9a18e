"""``restorable apply``: process photos so that they can be restored later."""

from __future__ import annotations

from pathlib import Path

import typer

from restorable.cli.files import run_files


def apply(
    paths: list[str] = typer.Argument(..., help="IN OUT, or several files/folders/globs with -o OUTDIR."),
    op: str = typer.Option(..., "--op", help="Operator (see `restorable ops`)."),
    param: list[str] = typer.Option([], "--param", "-p", help="Operator parameter key=value (repeatable)."),
    out_dir: Path = typer.Option(None, "--output-dir", "-o", help="Batch mode: write outputs here."),
    fmt: str = typer.Option("png", "--format", help="Batch output format: png (best restoration) or jpg."),
    quality: int = typer.Option(95, "--quality", min=1, max=100, help="JPEG quality."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include images in sub-folders."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo outputs that already exist."),
    weights: Path = typer.Option(None, "--weights", help="Network weights to use instead of the installed ones."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    backend: str = typer.Option("torch", "--backend", help="torch | onnx (ONNX Runtime)."),
    tile: int = typer.Option(None, "--tile", help="Tile size in pixels (0: never tile; default: automatic)."),
) -> None:
    """Apply a restorable effect: OUT looks like the effect and still holds the original."""
    from restorable.api import apply_photo
    from restorable.operators import get_operator, parse_params, resolve_params

    params = resolve_params(get_operator(op), parse_params(param))

    def process(photo):
        return apply_photo(photo, op, params, weights, device, tile, backend)

    run_files(paths, out_dir, fmt, quality, recursive, overwrite, process, f"apply {op}")
