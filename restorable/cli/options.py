"""Options shared by the commands (``apply``, ``restore``, ``pack``, ...), declared once as Annotated types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from restorable.limits import MIN_TILE

Paths = Annotated[list[str], typer.Argument(metavar="PATHS", help="IN OUT, or several files/folders/globs with -o OUTDIR.")]
OutDir = Annotated[Optional[Path], typer.Option("--output-dir", "-o", help="Batch mode: write outputs here.")]
Format = Annotated[str, typer.Option("--format", help="Output format in batch mode: png (best restoration) or jpg.")]
Quality = Annotated[int, typer.Option("--quality", min=1, max=100, help="JPEG quality.")]
Recursive = Annotated[bool, typer.Option("--recursive", "-r", help="Include images in sub-folders (following symlinks; not hidden ones, nor the output folder).")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace outputs that already exist (by default they are kept: batches skip them).")]
Weights = Annotated[Optional[Path], typer.Option("--weights", help="Network weights to use instead of the installed ones.")]
Device = Annotated[str, typer.Option("--device", help="auto | cpu | cuda (torch).")]
Backend = Annotated[str, typer.Option("--backend", help="torch | onnx (ONNX Runtime).")]
Tile = Annotated[
    Optional[int], typer.Option("--tile", help=f"Tile size in pixels, at least {MIN_TILE} (0: never tile; default: automatic).")
]
MaxPixels = Annotated[
    int,
    typer.Option("--max-pixels", min=1, help="Refuse larger images, before decoding them (default: 64 MP)."),
]
Robust = Annotated[
    Optional[bool],
    typer.Option(
        "--robust/--invisible",
        help="Weights: --robust keeps what is hidden through JPEG, --invisible hides it better but needs a lossless"
        " file (default: by the output format, --invisible for PNG/TIFF where the network has such weights).",
    ),
]
Ray = Annotated[
    Optional[str],
    typer.Option(
        "--ray",
        metavar="ADDRESS",
        help="Batch mode as a Ray Data job (needs the ray extra): local (a cluster on this machine), auto (the one `ray start`"
        " runs here), or ray://HOST:PORT.",
    ),
]
