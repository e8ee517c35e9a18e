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
) -> None:
    """Read each input photo, ``process(photo, src, dst)`` it, write it with its metadata; exit 1 if any failed in a batch.

    ``png_only`` names the option that needs PNG outputs (a payload does not survive JPEG);
    inputs over ``max_pixels`` are refused before decoding.
    ``verify(photo, result, fmt, quality) -> str`` checks a result before it is written
    (it raises to refuse it) and returns a short figure for the report.
    """
    from rich.console import Console

    from restorable.cli.batch import expand_inputs, output_paths, run_batch
    from restorable.image_file import output_format
    from restorable.photo import read_photo, write_photo

    console = Console(stderr=True, soft_wrap=True)
    notes_seen: list[str] = []
    ran_on: set[str] = set()
    methods: set[str] = set()

    figures: list[str] = []

    def one(src: Path, dst: Path) -> None:
        photo = read_photo(src, max_pixels)
        result = process(photo, src, dst)
        if verify is not None:
            figures.append(verify(photo, result, output_format(dst), quality))
        ran_on.add(result.ran_on or "?")
        if result.method:
            methods.add(result.method)
        for note in result.notes + write_photo(dst, result, quality):
            notes_seen.append(f"{src.name}: {note}")

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
        one(src, dst)
        for note in notes_seen:
            console.print(f"warning: {note}", markup=False)
        via = f", {', '.join(sorted(methods))}" if methods else ""
        via += f", {figures[0]}" if figures else ""
        console.print(f"{src} -> {dst} ({label}, ran on {', '.join(sorted(ran_on))}{via})", markup=False)
        return
    if png_only and fmt.lstrip(".").lower() not in ("png", "tif", "tiff"):
        raise RestorableError(f"{png_only} needs PNG outputs (JPEG would destroy the payload): use --format png")
    inputs = expand_inputs(paths, recursive)
    if not inputs:
        raise RestorableError("no input images found")
    outputs = output_paths(inputs, out_dir, "." + fmt.lstrip(".").lower())
    report = run_batch(list(zip(inputs, outputs)), one, overwrite, label)
    for note in notes_seen:
        console.print(f"warning: {note}", markup=False)
    if ran_on:
        console.print(f"ran on {', '.join(sorted(ran_on))}", markup=False)
    for method in sorted(methods):
        console.print(f"via {method}", markup=False)
    if report.failed:
        raise typer.Exit(1)

