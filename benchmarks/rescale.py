"""The rescale family's bars (issue 17), every photo, beside the plain-resize baseline.

    python benchmarks/rescale.py [--data ../shared/corpus/val] [--ops rescale-2x rescale-4x] [--weights W] [--json out.json]
    python benchmarks/rescale.py --big [--ops rescale-2x]     # a 6000x4000 photo through apply and restore
    python benchmarks/rescale.py --sheet docs/rescale          # contact sheets DIR/OP.jpg too

For each operator, with the weights `apply` uses for each file kind (its lossless weights for a PNG,
its default ones for a JPEG; ``--weights``: one checkpoint for both, one operator), on DATA at 512 px
long side: the small image against a Pillow LANCZOS downscale (PSNR, SSIM with a 7x7 window; both
weights' small images), and the photo restored from the 8-bit small PNG and from a JPEG at quality 90,
each beside the baseline: Pillow bicubic down, then
bicubic up (for JPEG-90: the bicubic small image through JPEG-90 first).
Bars: restored >= baseline + 8 dB (x2) / + 4 dB (x4) after PNG and + 3 / + 1.5 dB after
JPEG-90 (means); the small image >= 38 dB and SSIM >= 0.97 on every photo.
``--big``: `restorable apply` and `restore` of a 24 MP photo in a child process on
this machine; peak memory (bar: under 3 GB) and seconds. ``--sheet DIR``: per photo, where
the small image differs most from the Lanczos one in its finest diagonal band (a grid would
show there): both at 3x and the network's at 1x, then the original, restored and bicubic-upscaled photo
there at 1x, and the original and restored at 3x: DIR/OP.jpg with the lossless weights (a PNG's small
image), DIR/OP-jpeg.jpg with the default ones (a JPEG's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from restorable.engine import forward_image, reverse_image
from restorable.model.checkpoint import load_model
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.operators.registry import OPERATORS
from restorable.operators.rescale import pillow_resize
from restorable.paths import cache_dir
from restorable.train.data import load_pairs
from restorable.train.evaluate import evaluate
from restorable.metrics import psnr
from restorable.weights import resolve_weights

ROOT = Path(__file__).resolve().parents[1]
GAINS = {2: {"png": 8.0, "jpeg": 3.0}, 4: {"png": 4.0, "jpeg": 1.5}}  # dB over the bicubic baseline
SMALL_BARS = {"psnr": 38.0, "ssim": 0.97}
BIG_SIZE = (6000, 4000)
BIG_PEAK_BYTES = 3 * 1024**3
# The `restorable` command in a child process, which reports its own peak memory (ru_maxrss) last on stderr.
CHILD = """import resource, sys
from restorable.cli import main
try:
    main()
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def bicubic_baseline(photo: np.ndarray, factor: int, quality: int | None = None) -> np.ndarray:
    """``photo`` bicubic-downscaled by ``factor`` (through JPEG at ``quality`` if given), then bicubic-upscaled back."""
    h, w = photo.shape[:2]
    small = pillow_resize(photo, -(-w // factor), -(-h // factor))
    if quality is not None:
        small = jpeg_roundtrip_uint8(small, quality)
    return pillow_resize(small, small.shape[1] * factor, small.shape[0] * factor)[:h, :w]


def baselines(pairs, factor: int) -> dict[str, dict[str, float]]:
    """Per photo (name): PSNR of the bicubic baseline, ``bicubic_psnr``, and through JPEG-90, ``bicubic_jpeg90_psnr``."""
    return {
        p.name: {
            "bicubic_psnr": psnr(bicubic_baseline(p.source, factor), p.source),
            "bicubic_jpeg90_psnr": psnr(bicubic_baseline(p.source, factor, 90), p.source),
        }
        for p in pairs
    }


SMALL_CROP, FULL_CROP = 96, 288  # sides of the small image's crop (shown at 3x) and of the photo's (1x)


def sheet_row(model, source: np.ndarray, target: np.ndarray, factor: int, name: str) -> Image.Image:
    """One photo, where the small image differs most from the Lanczos one: Lanczos and network small image
    at 3x, the network's at 1x; the original, restored and bicubic-upscaled photo there at 1x; the middle
    third of the original and restored crops at 3x."""
    from perceptual import worst_window
    from PIL import ImageDraw

    small = forward_image(model, source)
    restored = reverse_image(model, small)[: source.shape[0], : source.shape[1]]
    side = min(SMALL_CROP, *small.shape[:2])
    top, left = worst_window(small, target, side)
    top, left = min(top, small.shape[0] - side), min(left, small.shape[1] - side)

    def crop(im: np.ndarray, y: int, x: int, size: int, zoom: int = 1) -> Image.Image:
        tile = Image.fromarray(np.ascontiguousarray(im[y : y + size, x : x + size]))
        return tile.resize((tile.width * zoom, tile.height * zoom), Image.NEAREST) if zoom > 1 else tile

    y0, x0 = min(top * factor, max(0, source.shape[0] - FULL_CROP)), min(left * factor, max(0, source.shape[1] - FULL_CROP))
    third = FULL_CROP // 3
    tiles = [crop(target, top, left, side, 3), crop(small, top, left, side, 3), crop(small, top, left, side)]
    tiles += [crop(im, y0, x0, FULL_CROP) for im in (source, restored, bicubic_baseline(source, factor))]
    tiles += [crop(im, y0 + third, x0 + third, third, 3) for im in (source, restored)]
    labels = ["Lanczos 3x", "network 3x", "network 1x", "original 1x", "restored 1x", "bicubic up 1x",
              "original 3x", "restored 3x"]
    width = 3 * SMALL_CROP
    row = Image.new("RGB", (len(tiles) * (width + 4), width + 16), "white")
    draw = ImageDraw.Draw(row)
    for i, (tile, label) in enumerate(zip(tiles, labels)):
        row.paste(tile, (i * (width + 4), 16))
        draw.text((i * (width + 4) + 2, 2), label + (f": {name[:24]}" if i == 0 else ""), fill="black")
    return row


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
    if "jpeg_approx_psnr" in next(iter(rows.values())):  # the default (JPEG) weights make their own small image
        checks["small PSNR (JPEG weights)"] = min(r["jpeg_approx_psnr"] for r in rows.values()) >= SMALL_BARS["psnr"]
        checks["small SSIM (JPEG weights)"] = min(r["jpeg_approx_ssim7"] for r in rows.values()) >= SMALL_BARS["ssim"]
    return [name for name, held in checks.items() if not held]


def judged_rows(op: str, pairs, weights: Path | None) -> tuple[dict[str, dict], dict[str, Path]]:
    """Per photo, each file kind judged with the weights `apply` picks for it: the small image and the
    restoration after PNG with the lossless weights, after JPEG-90 with the default ones (whose small image
    is ``jpeg_approx_*``). ``weights``: one checkpoint for both."""
    paths = {"png": weights or resolve_weights(op, lossless=True), "jpeg": weights or resolve_weights(op)}
    rows = evaluate(load_model(paths["png"])[0], pairs, [] if paths["jpeg"] != paths["png"] else [90])["images"]
    if paths["jpeg"] != paths["png"]:
        for name, r in evaluate(load_model(paths["jpeg"])[0], pairs, [90])["images"].items():
            rows[name].update(restore_jpeg90_psnr=r["restore_jpeg90_psnr"], jpeg_approx_psnr=r["approx_psnr"],
                              jpeg_approx_ssim7=r["approx_ssim7"])
    return rows, paths


def quality(args: argparse.Namespace) -> dict:
    report = {}
    for op in args.ops:
        factor = OPERATORS[op].downscale
        pairs = load_pairs(args.data, args.size, op, {}, cache_dir() / "targets")
        rows, paths = judged_rows(op, pairs, args.weights)
        for name, figures in baselines(pairs, factor).items():
            rows[name].update(figures)
        missed = missed_bars(rows, factor)
        if args.sheet:
            from perceptual import save_stack

            for kind, path in paths.items():  # OP.jpg: the lossless weights; OP-jpeg.jpg: the default ones
                if kind == "png" or path != paths["png"]:
                    model = load_model(path)[0]
                    name = op if kind == "png" else f"{op}-jpeg"
                    save_stack([sheet_row(model, p.source, p.target, factor, p.name) for p in pairs], args.sheet / f"{name}.jpg")
        report[op] = {"weights": {kind: str(path) for kind, path in paths.items()}, "images": rows, "missed_bars": missed}
        print(f"\n{op} (PNG: {paths['png'].name}, JPEG: {paths['jpeg'].name})\n")
        keys = ["approx_psnr", "approx_ssim7", "restore_png_psnr", "bicubic_psnr", "restore_jpeg90_psnr", "bicubic_jpeg90_psnr"]
        jpeg_small = "jpeg_approx_psnr" in next(iter(rows.values()))
        head = "| photo | small vs Lanczos PSNR / SSIM | restored PNG (bicubic) | restored JPEG-90 (bicubic) |"
        if jpeg_small:
            keys += ["jpeg_approx_psnr", "jpeg_approx_ssim7"]
            head += " small of the JPEG weights |"
        print(head)
        print("|---" * (head.count("|") - 1) + "|")

        def line(label: str, c: list[float]) -> str:
            text = f"| {label} | {c[0]:.2f} / {c[1]:.3f} | {c[2]:.2f} ({c[3]:.2f}) | {c[4]:.2f} ({c[5]:.2f}) |"
            return text + (f" {c[6]:.2f} / {c[7]:.3f} |" if jpeg_small else "")

        for name, r in rows.items():
            print(line(name, [r[k] for k in keys]))
        for label, pick in (("mean", lambda v: sum(v) / len(v)), ("worst", min)):
            print(line(f"**{label}**", [pick([r[k] for r in rows.values()]) for k in keys]))
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
                done = subprocess.run([sys.executable, "-c", CHILD, *command], capture_output=True, text=True)
                seconds = time.perf_counter() - start
                if done.returncode:
                    raise SystemExit(f"{op} {step} failed: {done.stderr.strip()}")
                peak = int(done.stderr.strip().splitlines()[-1]) * 1024  # the child's own peak (Linux: kilobytes)
                figures[step] = {"seconds": round(seconds, 1), "peak_bytes": peak}
                print(f"{op} {step}: {seconds:.1f} s, peak memory {peak / 1024**3:.2f} GB", flush=True)
            with Image.open(folder / f"{op}.restored.png") as img:
                figures["restored_size"] = img.size
            figures["held"] = figures["restored_size"] == BIG_SIZE and all(
                figures[s]["peak_bytes"] < BIG_PEAK_BYTES for s in ("apply", "restore")
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
    parser.add_argument("--sheet", type=Path, default=None, help="write contact sheets DIR/OP.jpg")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.weights and len(args.ops) != 1:
        parser.error("--weights goes with one --ops name")
    report = big(args) if args.big else quality(args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
