"""``restorable eval``: measure a checkpoint on whole photos."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def evaluate(
    ckpt: Path = typer.Option(..., "--ckpt", help="Checkpoint (.safetensors)."),
    data: Path = typer.Option(..., "--data", help="Folder of photos."),
    jpeg: list[int] = typer.Option([], "--jpeg", help="Also restore after JPEG at these qualities (repeatable)."),
    jpeg_as_apply: bool = typer.Option(
        False, "--jpeg-as-apply", help="Subsample the JPEGs' colour as `apply` writes them (4:4:4 from quality 90; default 4:2:0)."
    ),
    size: int = typer.Option(None, "--size", help="Long side to resize photos to (default: the training size)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    device: str = typer.Option("cpu", "--device", help="auto | cpu | cuda: where the network runs."),
    cache: Path = typer.Option(None, "--cache", help="Target cache folder (default: user cache/targets)."),
    compare_modes: bool = typer.Option(
        False, "--compare", help="Also compare learned, learned + payload, exact mode and the classical LSB alternative."
    ),
) -> None:
    """Approximation (vs the reference operator) and restoration (vs the input) PSNR/SSIM per photo and mean."""
    from rich.console import Console
    from rich.table import Table

    from restorable.device import resolve_device
    from restorable.image_file import jpeg_subsampling
    from restorable.model.checkpoint import load_model
    from restorable.paths import cache_dir
    from restorable.train.data import load_val_pairs
    from restorable.train.evaluate import evaluate as run_evaluation

    run_device = resolve_device(device)
    model, meta = load_model(ckpt)
    long_side = size or meta.get("train", {}).get("long_side", 512)
    pairs = load_val_pairs(data, long_side, meta["op"], meta.get("params", {}), cache or cache_dir() / "targets")
    qualities = sorted(set(jpeg), reverse=True)
    result = run_evaluation(model.to(run_device), pairs, qualities, device=run_device, jpeg_as_apply=jpeg_as_apply)
    chroma = {q: "4:2:0" if jpeg_subsampling(q, jpeg_as_apply) else "4:4:4" for q in sorted(qualities)}
    result.update({"ckpt": str(ckpt), "op": meta["op"], "long_side": long_side, "steps": meta.get("steps"), "jpeg_chroma": chroma})
    if compare_modes:
        qualities = qualities or [90, 80, 70]
        from restorable.train.compare import compare

        result["modes"] = compare(model.cpu(), pairs, qualities)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    keys = list(result["mean"])
    table = Table(title=f"{meta['op']} at {long_side} px ({meta.get('steps')} steps)")
    table.add_column("photo")
    for key in keys:
        table.add_column(key.replace("_", " "), justify="right")
    for name, row in [*result["images"].items(), ("mean", result["mean"])]:
        table.add_row(name, *[f"{row[k]:.4f}" if k.endswith("ssim") else f"{row[k]:.2f}" for k in keys])
    Console().print(table)
    if compare_modes:
        Console().print(_modes_table(result["modes"], f"{meta['op']}: modes (PSNR dB; '-' = nothing restored)"))


def _modes_table(modes: dict, title: str):
    from rich.table import Table

    keys = list(next(iter(modes.values())))
    table = Table(title=title)
    table.add_column("mode")
    for key in keys:
        table.add_column(key.removesuffix("_psnr").replace("_", " "), justify="right")
    for mode, row in modes.items():
        table.add_row(mode, *["-" if row[k] is None else f"{row[k]:.2f}" for k in keys])
    return table
