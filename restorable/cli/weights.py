"""``restorable weights list | fetch | verify | path | clear``: the weights manager."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from restorable.errors import RestorableError
from restorable.weights.manifest import WeightsVersion, load_manifest
from restorable.weights.store import (
    bundled_path,
    cached_path,
    check_file,
    fetch,
    local_copy,
    resolve_weights,
    weights_cache,
)

app = typer.Typer(help="Manage network weights: the manifest, the user cache, downloads.", no_args_is_help=True)
Ops = Annotated[Optional[list[str]], typer.Argument(help="Operators (default: all in the manifest).")]


def _entries(ops: list[str] | None, every_version: bool = False) -> list[WeightsVersion]:
    manifest = load_manifest()
    if not ops:
        entries = manifest.all_entries()
        return entries if every_version else [e for e in entries if _role(manifest, e)]
    for op in ops:
        manifest.entry(op)  # a clear error for an unknown operator
    return [e for op in ops for e in manifest.versions[op].values() if every_version or _role(manifest, e)]


def _role(manifest, entry: WeightsVersion) -> str:
    """"default", "lossless", "conditioned", several joined by "+", or "" for a version that apply does not pick."""
    chosen_by = (("default", manifest.default), ("lossless", manifest.lossless), ("conditioned", manifest.conditioned))
    roles = [name for name, chosen in chosen_by if chosen.get(entry.op) == entry.version]
    return "+".join(roles)


def _where(entry: WeightsVersion) -> str:
    found = [name for name, path in (("cache", cached_path(entry)), ("bundled", bundled_path(entry))) if path.is_file()]
    return "+".join(found) or "remote"


@app.command("list")
def list_weights(as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts.")) -> None:
    """Every operator and version in the manifest, and where its file is (cache, bundled or remote)."""
    manifest = load_manifest()
    rows = [
        {"op": e.op, "version": e.version, "default": e.version == manifest.default[e.op],
         "lossless": e.version == manifest.lossless.get(e.op), "conditioned": e.version == manifest.conditioned.get(e.op),
         "file": e.file,
         "size": e.size, "sha256": e.sha256, "where": _where(e), "licence": e.licence,
         "val_512px": e.training.get("val_512px", {}),
         "stage": e.training.get("stage"), "crops_seen": e.training.get("crops_seen"),
         "trained_on": e.training.get("trained_on")}
        for e in manifest.all_entries()
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"weights ({manifest.path})")
    for column in ("op", "version", "size", "where", "sha256", "val approx / restore (dB)"):
        table.add_column(column)
    for row in rows:
        val = row["val_512px"] if isinstance(row["val_512px"], dict) else {}
        figures = f"{val.get('approx_psnr', '-')} / {val.get('restore_png_psnr', '-')}" if val else "-"
        roles = [name for name in ("default", "lossless", "conditioned") if row[name]]
        version = row["version"] + (f" ({', '.join(roles)})" if roles else "")
        table.add_row(row["op"], version, f"{row['size'] / 1e6:.2f} MB", row["where"], row["sha256"][:12], figures)
    Console().print(table)


@app.command("fetch")
def fetch_weights(ops: Ops = None, all_versions: bool = typer.Option(False, "--all-versions", help="Every version, not only those apply picks (default, lossless, conditioned).")) -> None:
    """Download weights into the user cache (skips files already cached or bundled intact)."""
    console = Console(stderr=True, soft_wrap=True)  # one line per message, whatever the terminal width
    failed = 0
    for entry in _entries(ops, all_versions):
        path = local_copy(entry)
        if path is not None:
            console.print(f"{entry.op} v{entry.version}: already at {path}", markup=False)
            continue
        try:
            path = fetch(entry)
        except RestorableError as exc:  # go on with the others, report each failure in one line
            failed += 1
            console.print(f"error: {entry.op} v{entry.version}: {exc}", markup=False)
            continue
        console.print(f"{entry.op} v{entry.version}: fetched {path}", markup=False)
    if failed:
        raise typer.Exit(1)


@app.command("verify")
def verify_weights() -> None:
    """Check every bundled and cached file against the manifest's sha256 (exit status 1 on a mismatch)."""
    console = Console()
    bad = 0
    for entry in load_manifest().all_entries():
        for place, path in (("bundled", bundled_path(entry)), ("cache", cached_path(entry))):
            state = check_file(path, entry)
            if state is None:
                if place == "bundled" and entry.bundled:
                    bad += 1
                    console.print(f"[red]MISSING[/] {entry.op} v{entry.version} {place}: {path}")
                continue
            bad += not state
            mark = "[green]ok[/]" if state else "[red]MISMATCH[/]"
            console.print(f"{mark} {entry.op} v{entry.version} {place}: {path}")
    if bad:
        raise typer.Exit(1)
    console.print("all weights match the manifest")


@app.command("path")
def weights_path(op: Annotated[Optional[str], typer.Argument(help="Operator (default: print the cache folder).")] = None) -> None:
    """The cache folder, or the file an operator's weights are loaded from (fetched if needed)."""
    print(weights_cache() if op is None else resolve_weights(op))


@app.command("clear")
def clear_weights(ops: Ops = None) -> None:
    """Delete downloaded weights (and partial downloads) from the user cache; bundled ones stay."""
    folder = weights_cache()
    if ops:
        manifest = load_manifest()
        unknown = [op for op in ops if op not in manifest.versions]
        if unknown:
            raise RestorableError(f"no weights for {', '.join(unknown)} in the manifest")
        names = {cached_path(e).name for op in ops for e in manifest.versions[op].values()}
        files = [p for p in folder.iterdir() if p.name.removesuffix(".part") in names] if folder.is_dir() else []
    else:
        files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    for path in files:
        path.unlink(missing_ok=True)
    print(f"removed {len(files)} file(s) from {folder}")
