"""``restorable reference``: run the true (classical) operator on one image."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from restorable.cli import options as o
from restorable.errors import RestorableError
from restorable.limits import DEFAULT_MAX_PIXELS


def reference(
    op: str = typer.Option(..., "--op", help="Operator name (see `restorable ops`)."),
    param: list[str] = typer.Option([], "--param", "-p", help="Parameter override key=value (repeatable)."),
    src: Path = typer.Argument(..., help="Input image."),
    dst: Path = typer.Argument(..., help="Output image (.png, .jpg, .tif, .webp)."),
    quality: int = typer.Option(95, "--quality", min=1, max=100, help="JPEG/WebP quality."),
    max_pixels: o.MaxPixels = DEFAULT_MAX_PIXELS,
) -> None:
    """Apply the reference operator OP to SRC and write DST (not restorable: the ground truth)."""
    from restorable.image_file import output_format, read_image, write_image
    from restorable.operators import get_operator, parse_params, resolve_params, run_operator

    spec = get_operator(op)
    params = resolve_params(spec, parse_params(param))
    output_format(dst)
    if src.resolve() == dst.resolve():
        raise RestorableError(f"{dst}: refusing to write over the input")
    image = read_image(src, max_pixels)
    start = time.perf_counter()
    out = run_operator(op, image, params)
    seconds = time.perf_counter() - start
    write_image(dst, out, quality=quality)
    Console(stderr=True, soft_wrap=True).print(f"{src} -> {dst} ({op}, {image.shape[1]}x{image.shape[0]}, {seconds:.2f} s)", markup=False)
