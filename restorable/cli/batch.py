"""Shared by ``apply`` and ``restore``: expanding inputs, naming outputs, the batch loop and its summary."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from restorable.errors import RestorableError
from restorable.image_file import FORMATS, IMAGE_SUFFIXES


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
    """Mirror each input's path relative to the inputs' common folder under ``out_dir``, with ``suffix``."""
    if suffix.lower() not in FORMATS:
        raise RestorableError(f"unknown output format {suffix!r} (use one of {', '.join(sorted(FORMATS))})")
    resolved = [p.resolve() for p in inputs]
    parents = [p.parent for p in resolved]
    common = Path(os.path.commonpath(parents)) if parents else Path.cwd()
    return [out_dir / p.relative_to(common).with_suffix(suffix) for p in resolved]


@dataclass
class BatchReport:
    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def run_batch(
    pairs: list[tuple[Path, Path]], process: Callable[[Path, Path], None], overwrite: bool, label: str
) -> BatchReport:
    """Run ``process(src, dst)`` over all pairs with one progress bar; goes on past failures."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    report = BatchReport()
    inputs = {src.resolve() for src, _ in pairs}
    console = Console(stderr=True, soft_wrap=True)
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[name]}")]
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(label, total=len(pairs), name="")
        for src, dst in pairs:
            progress.update(task, name=src.name)
            if dst.resolve() in inputs:
                report.failed.append((src, f"output {dst} would overwrite an input"))
            elif dst.exists() and not overwrite:
                report.skipped.append(src)
            else:
                try:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    process(src, dst)
                    report.done.append(src)
                except RestorableError as exc:
                    report.failed.append((src, str(exc)))
                except OSError as exc:
                    report.failed.append((src, f"{exc.__class__.__name__}: {exc}"))
            progress.advance(task)
    console.print(f"{len(report.done)} done, {len(report.skipped)} skipped (exist; --overwrite to redo), {len(report.failed)} failed", markup=False)
    for src, reason in report.failed:
        console.print(f"failed: {reason if reason.startswith(str(src)) else f'{src}: {reason}'}", markup=False)
    return report
