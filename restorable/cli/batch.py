"""Shared by ``apply`` and ``restore``: expanding inputs, naming outputs, the batch loop and its summary."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from pathlib import Path

from restorable.errors import RestorableError, failure_reason
from restorable.image_file import FORMATS, IMAGE_SUFFIXES
from restorable.pipeline import Outcome, Steps


def expand_inputs(items: list[str], recursive: bool) -> list[Path]:
    """Files, folders (their images; nested ones with ``recursive``) and globs -> sorted unique files."""
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found += [p for p in sorted(path.glob(pattern)) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        elif path.exists():
            found.append(path)
        elif glob.has_magic(item):
            found += [Path(p) for p in sorted(glob.glob(item, recursive=recursive)) if Path(p).is_file()]
        else:
            found.append(path)  # reported as missing by the batch loop
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def output_paths(inputs: list[Path], out_dir: Path, suffix: str) -> list[Path]:
    """Mirror each input's path relative to the inputs' common folder under ``out_dir``, with ``suffix``.

    Inputs that would share an output (``photo.png`` and ``photo.jpg``) keep their own
    extension in the name (``photo.png.png``, ``photo.jpg.png``); a clash left after
    that is refused before anything runs.
    """
    if suffix.lower() not in FORMATS:
        raise RestorableError(f"unknown output format {suffix!r} (use one of {', '.join(sorted(FORMATS))})")
    resolved = [p.resolve() for p in inputs]
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
    busy = f", {count['busy']} made by another run" if count["busy"] else ""
    console.print(
        f"{count['done']} done, {count['skipped']} skipped (exist; --overwrite to redo){busy}, {count['failed']} failed",
        markup=False,
    )
    lowest = lowest_checked(outcomes)
    if lowest:
        console.print(lowest, markup=False)
    for outcome in outcomes:
        if outcome.state == "failed":
            reason, src = failure_reason(outcome.error), str(outcome.src)
            console.print(f"failed: {reason if reason.startswith(src) else f'{src}: {reason}'}", markup=False)
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
