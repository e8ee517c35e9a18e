"""Shared by ``apply`` and ``restore``: expanding inputs, naming outputs, the batch loop and its summary."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from restorable.errors import RestorableError, failure_reason, named
from restorable.image_file import FORMATS, IMAGE_SUFFIXES
from restorable.pipeline import Outcome, Steps


class Inputs(NamedTuple):
    """What the inputs name: the image files, and the other files of the folders scanned (not read)."""

    images: list[Path]
    others: list[Path]


def expand_inputs(items: list[str], recursive: bool, out_dir: Path | None = None) -> Inputs:
    """Files, folders (their images; nested ones with ``recursive``, through symlinks) and globs -> unique files
    in order. Hidden files and folders are left out, and so is ``out_dir`` inside a folder scanned (a rerun
    would process its own outputs)."""
    skip = os.path.realpath(out_dir) if out_dir is not None else None
    found: list[Path] = []
    others: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            images, rest = _folder_files(path, recursive, skip if skip != os.path.realpath(path) else None)
            found += images
            others += rest
        elif path.exists():
            found.append(path)
        elif glob.has_magic(item):
            found += [
                Path(p) for p in sorted(glob.glob(item, recursive=recursive))
                if Path(p).is_file() and not (skip and _under(os.path.realpath(p), skip))
            ]
        else:
            found.append(path)  # reported as missing by the batch loop
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return Inputs(list(unique.values()), others)


def _folder_files(folder: Path, recursive: bool, skip: str | None) -> tuple[list[Path], list[Path]]:
    """(images, other files) in ``folder``, sorted; with ``recursive`` in its sub-folders too (symlinked ones
    followed once each), except hidden ones and ``skip`` (a real path)."""
    images: list[Path] = []
    others: list[Path] = []
    seen: set[str] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen or (skip is not None and _under(real, skip)):
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        for name in sorted(files):
            path = Path(root, name)
            if name.startswith(".") or not path.is_file():
                continue
            (images if path.suffix.lower() in IMAGE_SUFFIXES else others).append(path)
    return images, others


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def not_read(others: list[Path]) -> str:
    """The line telling what a folder scan left out ("" when nothing): files of types it does not read."""
    if not others:
        return ""
    kinds = sorted({p.suffix.lower() or "(no extension)" for p in others})
    names = ", ".join(p.name for p in others[:3]) + (", ..." if len(others) > 3 else "")
    files = "file" if len(others) == 1 else "files"
    return f"left out {len(others)} {files} it does not read ({', '.join(kinds)}): {names}"


def output_paths(inputs: list[Path], out_dir: Path, suffix: str) -> list[Path]:
    """Mirror each input's path relative to the inputs' common folder under ``out_dir``, with ``suffix``.

    Inputs that would share an output (``photo.png`` and ``photo.jpg``) keep their own
    extension in the name (``photo.png.png``, ``photo.jpg.png``); a clash left after
    that is refused before anything runs.
    """
    if suffix.lower() not in FORMATS:
        raise RestorableError(f"unknown output format {suffix!r} (use one of {', '.join(sorted(FORMATS))})")
    resolved = [Path(os.path.abspath(p)) for p in inputs]  # a symlink keeps its own name and place
    parents = [p.parent for p in resolved]
    common = Path(os.path.commonpath(parents)) if parents else Path.cwd()
    relative = [p.relative_to(common) for p in resolved]
    plain = [r.with_suffix(suffix) for r in relative]
    shared = {key for key in plain if plain.count(key) > 1}
    outputs = [out_dir / (r.with_name(r.name + suffix) if key in shared else key) for r, key in zip(relative, plain)]
    by_output: dict[Path, list[Path]] = {}
    for src, dst in zip(inputs, outputs):
        by_output.setdefault(dst, []).append(src)
    clashes = [f"{', '.join(map(str, srcs))} -> {dst}" for dst, srcs in by_output.items() if len(srcs) > 1]
    if clashes:
        raise RestorableError(f"inputs would share an output: {'; '.join(clashes)} (rename them or run them apart)")
    return outputs


def run_batch(
    pairs: list[tuple[Path, Path]], steps: Steps | None, overwrite: bool, label: str, runner: Callable | None = None
) -> list[Outcome]:
    """Run :func:`restorable.pipeline.run_pipeline` over all pairs with one progress bar and a summary;
    goes on past failures. ``runner(on_outcome) -> outcomes`` runs them elsewhere instead (a Ray job)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from restorable.pipeline import run_pipeline

    console = Console(stderr=True, soft_wrap=True)
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[name]}")]
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(label, total=len(pairs), name="")
        def advance(outcome: Outcome) -> None:
            progress.update(task, advance=1, name=outcome.src.name)

        outcomes = runner(advance) if runner is not None else run_pipeline(pairs, steps, overwrite, on_outcome=advance)
    count = {state: sum(o.state == state for o in outcomes) for state in ("done", "skipped", "busy", "failed")}
    busy = f", {count['busy']} being made by another run (not written here)" if count["busy"] else ""
    console.print(
        f"{count['done']} done, {count['skipped']} skipped (exist; --overwrite to redo){busy}, {count['failed']} failed",
        markup=False,
    )
    lowest = lowest_checked(outcomes)
    if lowest:
        console.print(lowest, markup=False)
    for outcome in outcomes:
        if outcome.state == "failed":
            console.print(f"failed: {named(failure_reason(outcome.error), outcome.src)}", markup=False)
    return outcomes


def lowest_checked(outcomes: list[Outcome]) -> str:
    """The line naming the output of this run that restores least, with the median of those checked
    ("" when none was): the photo to look at before deleting originals."""
    from statistics import median

    checked = [o for o in outcomes if o.state == "done" and o.checked is not None]
    if not checked:
        return ""
    lowest = min(checked, key=lambda o: o.checked.db)
    middle = median(o.checked.db for o in checked)
    return f"lowest of {len(checked)} checked: {lowest.src} {lowest.checked.text} (median {middle:.1f} dB)"
