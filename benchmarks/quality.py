"""The quality table: every operator's installed weights on val/ at 512 px, beside the paper's figures.

    python benchmarks/quality.py [--data ../shared/corpus/val] [--ops l0 wls ...] [--lossless] [--json out.json]

Runs what `restorable eval --ckpt W --data DATA --jpeg 90 --jpeg 80 --jpeg 70`
runs, for the default (JPEG-robust) weights of each operator in the manifest
(bundled or cached; ``--lossless``: those `apply` picks for PNG files), plus the
median `apply` time on one photo of DATA at 512 px. Prints a markdown table and
checks the bars of issue 6 (a "bar" column says which fail). Where an operator
has two networks, each is judged for the files `apply` uses it for: the default
for JPEG (no PNG bar), the lossless one for PNG (no JPEG bar).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from restorable.api import apply_photo
from restorable.model.checkpoint import load_model
from restorable.operators.registry import OPERATORS
from restorable.paths import cache_dir
from restorable.photo import Photo
from restorable.train.data import load_pairs
from restorable.train.evaluate import evaluate
from restorable.transforms import checkpoint_family
from restorable.weights import resolve_weights
from restorable.weights.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]
JPEG = [90, 80, 70]
# The paper's Table 1 (approximation / restoration PSNR, dB). Only the l0 figures are known
# here (quoted in issue 7); the table itself could not be retrieved offline.
PAPER = {"l0": (32.5, 36.5)}


def judged_formats(op: str, lossless: bool) -> frozenset[str]:
    """The files these weights are for: both formats, or one where the operator has two networks."""
    if op not in load_manifest().lossless:
        return frozenset({"png", "jpeg"})
    return frozenset({"png"}) if lossless else frozenset({"jpeg"})


def bars(
    op_type: str, mean: dict, formats: frozenset[str] = frozenset({"png", "jpeg"}), family: str = "effect", factor: int = 1
) -> list[str]:
    """Which of issue 6's bars ``mean`` misses (empty: all held), for weights meant for ``formats``.

    Grey operators (the gray family; their identity is the grey itself) have issue 15's mean bars:
    grey >= 35 dB, colour >= 38 dB after PNG and >= 32 dB after JPEG-90 (per photo: benchmarks/gray.py).
    Rescaling (``factor`` 2 or 4) has issue 17's: gains over the bicubic baseline (``mean`` holds its
    ``bicubic_psnr`` and ``bicubic_jpeg90_psnr``) and the small image >= 38 dB (per photo: benchmarks/rescale.py).
    """
    if family == "rescale":
        from rescale import GAINS, SMALL_BARS

        limits = {
            "approx": (mean["approx_psnr"], SMALL_BARS["psnr"]),
            "png": (mean["restore_png_psnr"] - mean["bicubic_psnr"], GAINS[factor]["png"]),
            "jpeg90": (mean["restore_jpeg90_psnr"] - mean["bicubic_jpeg90_psnr"], GAINS[factor]["jpeg"]),
        }
        return [name for name, (value, low) in limits.items() if value < low]
    if family == "gray":
        from gray import BARS as GRAY_BARS

        limits = {
            "approx": ("approx_psnr", GRAY_BARS["grey_psnr"], True),
            "png": ("restore_png_psnr", GRAY_BARS["png_mean"], "png" in formats),
            "jpeg90": ("restore_jpeg90_psnr", GRAY_BARS["jpeg_mean"], "jpeg" in formats),
        }
        return [name for name, (key, low, judged) in limits.items() if judged and mean[key] < low]
    missed = []
    if mean["approx_psnr"] < 30 or mean["approx_psnr"] < mean["identity_psnr"] + 3:
        missed.append("approx")
    if "png" in formats and mean["restore_png_psnr"] < (30 if op_type == "III" else 35):
        missed.append("png")
    if "jpeg" in formats and op_type != "III" and mean["restore_jpeg90_psnr"] < 28:
        missed.append("jpeg90")
    return missed


def apply_seconds(op: str, photo: Photo, lossless: bool, repeats: int = 3) -> float:
    apply_photo(photo, op, device="cpu", lossless=lossless)  # warm-up: model load
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        apply_photo(photo, op, device="cpu", lossless=lossless)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    parser.add_argument("--ops", nargs="+", default=list(OPERATORS))
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--json", type=Path, default=None, help="also write all figures here")
    parser.add_argument("--lossless", action="store_true", help="the weights for lossless outputs, where an operator has them")
    args = parser.parse_args()
    rows = {}
    print("| op | type | approx PSNR / SSIM | identity PSNR / SSIM | restore PNG | JPEG-90 | JPEG-80 | JPEG-70 | apply (s) | paper approx / restore | bars |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for op in args.ops:
        path = resolve_weights(op, lossless=args.lossless)
        model, meta = load_model(path)
        pairs = load_pairs(args.data, args.size, op, meta.get("params", {}), cache_dir() / "targets")
        mean = evaluate(model, pairs, JPEG)["mean"]
        family, factor = checkpoint_family(meta, model.config.carrier_channels), OPERATORS[op].downscale
        if family == "rescale":  # its baseline: a plain bicubic down and up
            from rescale import baselines

            per_photo = list(baselines(pairs, factor).values())
            mean.update({key: statistics.mean(row[key] for row in per_photo) for key in per_photo[0]})
        seconds = apply_seconds(op, Photo(pairs[0].source), args.lossless)
        op_type = OPERATORS[op].type
        formats = judged_formats(op, args.lossless)
        missed = bars(op_type, mean, formats, family, factor)
        rows[op] = {"weights": str(path), "mean": mean, "apply_seconds": seconds, "missed_bars": missed, "formats": sorted(formats)}
        paper = PAPER.get(op)
        cells = [
            f"{mean['approx_psnr']:.2f} / {mean['approx_ssim']:.3f}",
            f"{mean['identity_psnr']:.2f} / {mean['identity_ssim']:.3f}",
            f"{mean['restore_png_psnr']:.2f} / {mean['restore_png_ssim']:.3f}",
            *[f"{mean[f'restore_jpeg{q}_psnr']:.2f} / {mean[f'restore_jpeg{q}_ssim']:.3f}" for q in JPEG],
            f"{seconds:.2f}",
            f"{paper[0]} / {paper[1]}" if paper else "n/a",
            ("ok" if not missed else "MISSED " + ",".join(missed)) + ("" if len(formats) == 2 else f" ({next(iter(formats)).upper()} files)"),
        ]
        print(f"| {op} | {op_type} | " + " | ".join(cells) + " |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
