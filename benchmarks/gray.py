"""The gray family's bars (issue 15), every photo: the grey image against the reference grey, the colour restored.

    python benchmarks/gray.py [--data ../shared/corpus/val] [--ops gray bwp] [--lossless] [--weights W] [--json out.json]

For each operator of the gray family, with the weights `apply` uses for JPEG files
(``--lossless``: for PNG files; ``--weights``: a checkpoint, one operator), on DATA at 512 px: the grey output's PSNR and SSIM (7x7 window)
against the reference grey (Rec. 601 luma for `gray`, the reference operator for `bwp`),
and the colour restored from the 8-bit grey PNG and from a grey JPEG at quality 90.
Bars: grey >= 35 dB and SSIM >= 0.95 on every photo; colour >= 38 dB after PNG and
>= 32 dB after JPEG-90 on average, >= 35 / 30 dB on the worst photo.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from restorable.model.checkpoint import load_model
from restorable.operators.registry import OPERATORS
from restorable.paths import cache_dir
from restorable.train.data import load_pairs
from restorable.train.evaluate import evaluate
from restorable.weights import resolve_weights

ROOT = Path(__file__).resolve().parents[1]
BARS = {"grey_psnr": 35.0, "grey_ssim": 0.95, "png_mean": 38.0, "jpeg_mean": 32.0, "png_worst": 35.0, "jpeg_worst": 30.0}


def missed_bars(rows: dict[str, dict], ssim_key: str = "approx_ssim7") -> list[str]:
    """Which of the bars the per-photo figures ``rows`` miss (empty: all held); ``ssim_key``: the 7x7 SSIM's key."""
    def mean(key: str) -> float:
        return sum(r[key] for r in rows.values()) / len(rows)

    def worst(key: str) -> float:
        return min(r[key] for r in rows.values())

    checks = {
        "grey PSNR": worst("approx_psnr") >= BARS["grey_psnr"],
        "grey SSIM": worst(ssim_key) >= BARS["grey_ssim"],
        "PNG mean": mean("restore_png_psnr") >= BARS["png_mean"],
        "JPEG-90 mean": mean("restore_jpeg90_psnr") >= BARS["jpeg_mean"],
        "PNG worst": worst("restore_png_psnr") >= BARS["png_worst"],
        "JPEG-90 worst": worst("restore_jpeg90_psnr") >= BARS["jpeg_worst"],
    }
    return [name for name, held in checks.items() if not held]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    parser.add_argument("--ops", nargs="+", default=[n for n, s in OPERATORS.items() if s.family == "gray"])
    parser.add_argument("--weights", type=Path, default=None, help="a checkpoint to judge instead (one operator)")
    parser.add_argument("--lossless", action="store_true", help="the weights apply uses for PNG files, where they differ")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.weights and len(args.ops) != 1:
        parser.error("--weights goes with one --ops name")
    report = {}
    for op in args.ops:
        path = args.weights or resolve_weights(op, lossless=args.lossless)
        model, meta = load_model(path)
        pairs = load_pairs(args.data, args.size, op, meta.get("params", {}), cache_dir() / "targets")
        rows = evaluate(model, pairs, [90])["images"]
        missed = missed_bars(rows)
        report[op] = {"weights": str(path), "images": rows, "missed_bars": missed}
        print(f"\n{op} ({path.name})\n")
        print("| photo | grey PSNR / SSIM | colour after PNG | after JPEG-90 |")
        print("|---|---|---|---|")
        for name, r in rows.items():
            print(
                f"| {name} | {r['approx_psnr']:.2f} / {r['approx_ssim7']:.3f} | {r['restore_png_psnr']:.2f} |"
                f" {r['restore_jpeg90_psnr']:.2f} |"
            )
        for label, pick in (("mean", lambda v: sum(v) / len(v)), ("worst", min)):
            cells = [pick([r[k] for r in rows.values()]) for k in ("approx_psnr", "approx_ssim7", "restore_png_psnr", "restore_jpeg90_psnr")]
            print(f"| **{label}** | {cells[0]:.2f} / {cells[1]:.3f} | {cells[2]:.2f} | {cells[3]:.2f} |")
        print(f"\nbars: {'ok' if not missed else 'MISSED ' + ', '.join(missed)}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
