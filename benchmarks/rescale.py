"""The rescale family's bars (issue 17), every photo, beside the plain-resize baseline.

    python benchmarks/rescale.py [--data ../shared/corpus/val] [--ops rescale-2x rescale-4x] [--weights W] [--json out.json]
    python benchmarks/rescale.py --big [--ops rescale-2x]     # a 6000x4000 photo through apply and restore

For each operator, with the weights `apply` uses (``--weights``: a checkpoint, one
operator), on DATA at 512 px long side: the small image against a Pillow LANCZOS
downscale (PSNR, SSIM with a 7x7 window), and the photo restored from the 8-bit small
PNG and from a JPEG at quality 90, each beside the baseline: Pillow bicubic down, then
bicubic up (for JPEG-90: the bicubic small image through JPEG-90 first).
Bars: restored >= baseline + 8 dB (x2) / + 4 dB (x4) after PNG and + 3 / + 1.5 dB after
JPEG-90 (means); the small image >= 38 dB and SSIM >= 0.97 on every photo.
``--big``: `restorable apply` and `restore` of a 24 MP photo in a child process on
this machine; peak memory (bar: under 3 GB) and seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from restorable.model.checkpoint import load_model
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.operators.registry import OPERATORS
from restorable.operators.rescale import pillow_resize
from restorable.paths import cache_dir
from restorable.train.data import load_pairs
from restorable.train.evaluate import evaluate
from restorable.train.metrics import psnr
from restorable.weights import resolve_weights

ROOT = Path(__file__).resolve().parents[1]
GAINS = {2: {"png": 8.0, "jpeg": 3.0}, 4: {"png": 4.0, "jpeg": 1.5}}  # dB over the bicubic baseline
SMALL_BARS = {"psnr": 38.0, "ssim": 0.97}
BIG_SIZE = (6000, 4000)
BIG_PEAK_BYTES = 3 * 1024**3


def bicubic_baseline(photo: np.ndarray, factor: int, quality: int | None = None) -> np.ndarray:
    """``photo`` bicubic-downscaled by ``factor`` (through JPEG at ``quality`` if given), then bicubic-upscaled back."""
    h, w = photo.shape[:2]
    small = pillow_resize(photo, -(-w // factor), -(-h // factor))
    if quality is not None:
        small = jpeg_roundtrip_uint8(small, quality)
    return pillow_resize(small, small.shape[1] * factor, small.shape[0] * factor)[:h, :w]


def missed_bars(rows: dict[str, dict], factor: int) -> list[str]:
    """Which bars the per-photo ``rows`` miss (empty: all held)."""
    def mean(key: str) -> float:
        return sum(r[key] for r in rows.values()) / len(rows)

    gains = GAINS[factor]
    checks = {
        "PNG gain": mean("restore_png_psnr") - mean("bicubic_psnr") >= gains["png"],
        "JPEG-90 gain": mean("restore_jpeg90_psnr") - mean("bicubic_jpeg90_psnr") >= gains["jpeg"],
        "small PSNR": min(r["approx_psnr"] for r in rows.values()) >= SMALL_BARS["psnr"],
        "small SSIM": min(r["approx_ssim7"] for r in rows.values()) >= SMALL_BARS["ssim"],
    }
    return [name for name, held in checks.items() if not held]


def quality(args: argparse.Namespace) -> dict:
    report = {}
    for op in args.ops:
        factor = OPERATORS[op].downscale
        path = args.weights or resolve_weights(op)
        model, _ = load_model(path)
        pairs = load_pairs(args.data, args.size, op, {}, cache_dir() / "targets")
        rows = evaluate(model, pairs, [90])["images"]
        for pair in pairs:
            rows[pair.name]["bicubic_psnr"] = psnr(bicubic_baseline(pair.source, factor), pair.source)
            rows[pair.name]["bicubic_jpeg90_psnr"] = psnr(bicubic_baseline(pair.source, factor, 90), pair.source)
        missed = missed_bars(rows, factor)
        report[op] = {"weights": str(path), "images": rows, "missed_bars": missed}
        print(f"\n{op} ({path.name})\n")
        print("| photo | small vs Lanczos PSNR / SSIM | restored PNG (bicubic) | restored JPEG-90 (bicubic) |")
        print("|---|---|---|---|")
        keys = ("approx_psnr", "approx_ssim7", "restore_png_psnr", "bicubic_psnr", "restore_jpeg90_psnr", "bicubic_jpeg90_psnr")
        for name, r in rows.items():
            print(f"| {name} | {r[keys[0]]:.2f} / {r[keys[1]]:.3f} | {r[keys[2]]:.2f} ({r[keys[3]]:.2f}) |"
                  f" {r[keys[4]]:.2f} ({r[keys[5]]:.2f}) |")
        for label, pick in (("mean", lambda v: sum(v) / len(v)), ("worst", min)):
            c = [pick([r[k] for r in rows.values()]) for k in keys]
            print(f"| **{label}** | {c[0]:.2f} / {c[1]:.3f} | {c[2]:.2f} ({c[3]:.2f}) | {c[4]:.2f} ({c[5]:.2f}) |")
        print(f"\nbars: {'ok' if not missed else 'MISSED ' + ', '.join(missed)}", flush=True)
    return report


def big(args: argparse.Namespace) -> dict:
    """apply + restore of a 24 MP photo in child processes: peak memory and seconds of each."""
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "big.jpg"
        with Image.open(ROOT / "examples" / "photo.jpg") as img:
            img.convert("RGB").resize(BIG_SIZE, Image.BICUBIC).save(source, quality=95)
        for op in args.ops:
            weights = ["--weights", str(args.weights)] if args.weights else []
            out = folder / f"{op}.png"
            figures = {}
            for step, command in (
                ("apply", ["apply", "--op", op, *weights, str(source), str(out), "--overwrite"]),
                ("restore", ["restore", *weights, str(out), "--overwrite"]),
            ):
                start = time.perf_counter()
                code = "from restorable.cli import main; main()"  # the `restorable` command, in this interpreter
                done = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True)
                seconds = time.perf_counter() - start
                if done.returncode:
                    raise SystemExit(f"{op} {step} failed: {done.stderr.strip()}")
                # peak of the largest child so far (Linux: kilobytes); each step runs in a fresh child
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
                figures[step] = {"seconds": round(seconds, 1), "peak_bytes_so_far": peak}
                print(f"{op} {step}: {seconds:.1f} s, peak memory of the children so far {peak / 1024**3:.2f} GB", flush=True)
            with Image.open(folder / f"{op}.restored.png") as img:
                figures["restored_size"] = img.size
            figures["held"] = figures["restored_size"] == BIG_SIZE and all(
                figures[s]["peak_bytes_so_far"] < BIG_PEAK_BYTES for s in ("apply", "restore")
            )
            report[op] = figures
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    parser.add_argument("--ops", nargs="+", default=[n for n, s in OPERATORS.items() if s.family == "rescale"])
    parser.add_argument("--weights", type=Path, default=None, help="a checkpoint to judge instead (one operator)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--big", action="store_true", help="a 24 MP photo through apply and restore instead")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.weights and len(args.ops) != 1:
        parser.error("--weights goes with one --ops name")
    report = big(args) if args.big else quality(args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
