"""The summary of one GPU window (scripts/gpu_window.sh): per stage, crops seen, minutes, val/ figures, curve.

    python scripts/window_report.py OUT_DIR      (prints markdown)

Reads OUT_DIR/stages.txt (NAME OP new|--resume per line), each stage's checkpoint metadata (NAME.safetensors.json),
its evaluation (NAME.eval.json from `restorable eval --json`) and its log (the step it started at).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def started_at(log: Path) -> int:
    """The step a stage's run began at (its log's "starting at step N"; 0 when the log has none)."""
    found = re.search(r"starting at step (\d+)", log.read_text(errors="replace")) if log.exists() else None
    return int(found.group(1)) if found else 0


def figures(evaluation: dict, key: str) -> str:
    """Mean / worst photo of one evaluation figure, or '-' where it was not measured."""
    values = [row[key] for row in evaluation.get("images", {}).values() if key in row]
    if not values:
        return "-"
    if key.endswith("ssim"):
        return f"{evaluation['mean'][key]:.4f} / {min(values):.4f}"
    return f"{evaluation['mean'][key]:.2f} / {min(values):.2f}"


def stage_row(out: Path, name: str, op: str, how: str) -> tuple[str, list[str]]:
    """One table row and the stage's validation curve during this window."""
    meta_file, eval_file = out / f"{name}.safetensors.json", out / f"{name}.eval.json"
    if not meta_file.exists():
        return f"| {name} | {op} | {how} | no checkpoint (see {name}.log) |" + " |" * 6, []
    meta = json.loads(meta_file.read_text())
    evaluation = json.loads(eval_file.read_text()) if eval_file.exists() and eval_file.stat().st_size else {}
    first, steps, batch = started_at(out / f"{name}.log"), meta["steps"], meta["train"]["batch"]
    crops = meta.get("crops_seen", steps * batch)
    window_crops = (steps - first) * batch
    jpeg = next((k for k in evaluation.get("mean", {}) if re.fullmatch(r"restore_jpeg\d+_psnr", k)), None)
    row = (
        f"| {name} | {op} | {how} | {first} -> {steps} | {window_crops:,} | {crops:,} | {meta['train_seconds'] / 60:.1f} "
        f"| {figures(evaluation, 'approx_psnr')} | {figures(evaluation, 'approx_ssim')} "
        f"| {figures(evaluation, 'restore_png_psnr')} | {figures(evaluation, jpeg) if jpeg else '-'} |"
    )
    curve = [
        f"{entry.get('crops_seen', entry['step'] * batch):,} crops: {entry['val']['approx_psnr']:.2f} / "
        f"{entry['val']['restore_png_psnr']:.2f} dB"
        for entry in meta.get("history", [])
        if entry["step"] > first
    ]
    return row, curve


def main() -> None:
    out = Path(sys.argv[1])
    machine = (out / "machine.txt").read_text().splitlines() if (out / "machine.txt").exists() else []
    print(f"# GPU window: {', '.join(machine[:2])}\n")
    print(
        "| stage | op | start | steps | crops this window | crops in all | train minutes in all "
        "| val approx dB (mean / worst) | approx SSIM | restore PNG dB | restore JPEG dB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    curves = {}
    for line in (out / "stages.txt").read_text().splitlines():
        name, op, how = line.split(maxsplit=2)
        row, curves[name] = stage_row(out, name, op, how)
        print(row)
    print("\nVal/ during the window (approx / restore after PNG, mean):\n")
    for name, curve in curves.items():
        print(f"- {name}: " + ("; ".join(curve) if curve else "no validation during this window"))


if __name__ == "__main__":
    main()
