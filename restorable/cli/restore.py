"""``restorable restore``: recover the original photos from processed files."""

from __future__ import annotations

from pathlib import Path

import typer

from restorable.cli.files import run_files


def restore(
    paths: list[str] = typer.Argument(..., help="IN [OUT], or several files/folders/globs with -o OUTDIR."),
    op: str = typer.Option(None, "--op", help="Operator, only for files whose restorable record was stripped."),
    out_dir: Path = typer.Option(None, "--output-dir", "-o", help="Batch mode: write outputs here."),
    fmt: str = typer.Option("png", "--format", help="Output format in batch mode or without OUT."),
    quality: int = typer.Option(95, "--quality", min=1, max=100, help="JPEG quality."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include images in sub-folders."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo outputs that already exist."),
    weights: Path = typer.Option(None, "--weights", help="Network weights to use instead of the installed ones."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    backend: str = typer.Option("torch", "--backend", help="torch | onnx (ONNX Runtime)."),
    tile: int = typer.Option(None, "--tile", help="Tile size in pixels (0: never tile; default: automatic)."),
) -> None:
    """Restore the original of processed files (OUT defaults to NAME.restored.png)."""
    from restorable.api import restore_photo

    def process(photo):
        return restore_photo(photo, op, weights, device, tile, backend)

    if len(paths) == 1 and out_dir is None:
        src = Path(paths[0])
        paths = [paths[0], str(src.with_name(f"{src.stem}.restored.{fmt.lstrip('.')}"))]
    run_files(paths, out_dir, fmt, quality, recursive, overwrite, process, "restore")
