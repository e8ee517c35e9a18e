"""Validation PSNR against wall-clock training minutes and crops seen, read from a checkpoint's metadata.

    python benchmarks/train_curve.py runs/l0.safetensors [--markdown]

`restorable train --val DIR --val-every N` records the val figures every N steps
(whole images, the same code as `restorable eval`); this prints them as a table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ckpt", type=Path)
    args = parser.parse_args()
    meta = json.loads(args.ckpt.with_name(args.ckpt.name + ".json").read_text())
    history = meta.get("history", [])
    if not history:
        raise SystemExit(f"{args.ckpt}: no validation history (train with --val)")
    keys = [k for k in history[0]["val"] if k.endswith("psnr")]
    print(f"{meta['op']}: {meta['steps']} steps, {meta['train_seconds'] / 60:.1f} min")
    batch = meta["train"]["batch"]
    print(f"batch {batch}, lr {meta['train']['lr']}, warm-up {meta['train'].get('warmup', 0)} steps")
    print("| minutes | step | crops seen | " + " | ".join(k.replace("_psnr", "") for k in keys) + " |")
    print("|---|---|---|" + "---|" * len(keys))
    for entry in history:
        cells = " | ".join(f"{entry['val'][k]:.2f}" for k in keys)
        crops = entry.get("crops_seen", entry["step"] * batch)  # older runs: steps x batch
        print(f"| {entry['train_seconds'] / 60:.2f} | {entry['step']} | {crops:,} | {cells} |")


if __name__ == "__main__":
    main()
