"""Parameter control (issue 18): a conditioned network judged over its parameters' ranges, every photo.

    python benchmarks/params.py [--data ../shared/corpus/val] [--ops exposure ...] [--weights W] [--versus V]
                                [--json out.json] [--sheet docs/params]

For each operator (default: those with a conditioned version in the manifest, which is judged; ``--weights``:
a checkpoint, one operator), on DATA at 512 px: at the defaults and at each conditioned parameter's min, 25 %,
75 % and max of its scaled range (the others at their defaults), per photo: approximation PSNR against the
reference operator at that setting, the identity (the photo itself) against it, the restoration after PNG
and after JPEG-90. Bars (issue 18), on every photo and setting: approximation >= 30 dB and >= identity + 3
dB; restoration >= 35 dB after PNG (type III: 30); >= 30 dB after JPEG-90 (types I and II). At the defaults
the conditioned network is compared with an unconditioned one (``--versus``: a manifest version; default:
the newest unconditioned version): it may lose at most 0.5 dB in approximation or restoration (means).
``--sheet DIR``: DIR/OP.jpg, per setting the photo that restores worst there (input / reference / processed /
restored, 1x and 3x). Prints a markdown table per operator, "mean / worst photo" in each cell, and which bars the means and
the worst photo miss (the identity cell: mean / highest; identity + 3 dB: judged on the means, and on
the photo with the smallest margin).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from restorable.model.checkpoint import load_model
from restorable.operators.condition import judged_settings
from restorable.operators.registry import OPERATORS
from restorable.paths import cache_dir
from restorable.train.data import judged_pairs, load_pairs
from restorable.train.evaluate import evaluate
from restorable.weights import resolve_weights
from restorable.weights.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]
APPROX_BAR, IDENTITY_MARGIN, JPEG_BAR, DEFAULT_LOSS = 30.0, 3.0, 30.0, 0.5
PNG_BAR = {"I": 35.0, "II": 35.0, "III": 30.0}
KEYS = ("approx_psnr", "identity_psnr", "restore_png_psnr", "restore_jpeg90_psnr")


def conditioned_ops() -> list[str]:
    """Operators with a conditioned version in the manifest."""
    return [op for op in OPERATORS if op in load_manifest().conditioned]


def unconditioned_version(op: str) -> str | None:
    """The newest manifest version of ``op`` that takes no condition."""
    versions = load_manifest().versions.get(op, {}).values()
    plain = [v for v in versions if not v.architecture.get("cond_channels")]
    return max(plain, key=lambda v: int(v.version)).version if plain else None


def missed(figures: dict[str, float], kind: str) -> list[str]:
    """The bars that one setting's figures (its means, or its worst photo's) miss."""
    checks = {
        "approx": figures["approx_psnr"] >= APPROX_BAR,
        "identity+3": figures["identity_margin"] >= IDENTITY_MARGIN,
        "PNG": figures["restore_png_psnr"] >= PNG_BAR[kind],
    }
    if kind != "III":
        checks["JPEG-90"] = figures["restore_jpeg90_psnr"] >= JPEG_BAR
    return [name for name, held in checks.items() if not held]


def aggregate(rows: dict[str, dict]) -> tuple[dict[str, float], dict[str, float]]:
    """(means, worst photo) of one setting's per-photo figures: for the identity the highest, and
    ``identity_margin`` (approximation minus identity) of the means / the smallest of a photo."""
    mean = {k: sum(r[k] for r in rows.values()) / len(rows) for k in KEYS}
    mean["identity_margin"] = mean["approx_psnr"] - mean["identity_psnr"]
    worst = {k: min(r[k] for r in rows.values()) for k in KEYS}
    worst["identity_psnr"] = max(r["identity_psnr"] for r in rows.values())
    worst["identity_margin"] = min(r["approx_psnr"] - r["identity_psnr"] for r in rows.values())
    return mean, worst


def judge(op: str, weights: Path, data: Path, size: int) -> dict:
    """Per setting: per-photo figures, means, worst and missed bars."""
    model, meta = load_model(weights)
    photos = load_pairs(data, size, op, meta.get("params") or {}, cache_dir() / "targets")
    report = {}
    for label, params in judged_settings(OPERATORS[op]):
        pairs = judged_pairs(photos, op, [(label, params)], cache_dir() / "targets")
        rows = evaluate(model, pairs, [90], with_ssim=False)["images"]
        mean, worst = aggregate(rows)
        kind = OPERATORS[op].type
        report[label] = {"params": params, "images": rows, "mean": mean, "worst": worst,
                         "missed_mean": missed(mean, kind), "missed_worst": missed(worst, kind)}
    return report


def sheet(op: str, weights: Path, settings: dict, data: Path, size: int, path: Path) -> None:
    """Contact sheet: per setting, the photo that restores worst there: input / reference / processed / restored,
    1x and 3x (benchmarks/perceptual.py's rows)."""
    from perceptual import save_stack, sheet_row

    from restorable.engine import forward_image, reverse_image
    from restorable.model.condition import BoundCondition

    model, _ = load_model(weights)
    photos = {p.name: p for p in load_pairs(data, size, op, {}, cache_dir() / "targets")}
    rows = []
    for label, row in settings.items():
        name = min(row["images"], key=lambda n: row["images"][n]["restore_png_psnr"]).split(" @ ")[0]
        (pair,) = judged_pairs([photos[name]], op, [(label, row["params"])], cache_dir() / "targets")
        net = BoundCondition(model, pair.cond) if model.config.cond_channels else model
        reference = pair.target if model.config.aux == "reference" else None
        processed = forward_image(net, pair.source, reference)
        rows.append(sheet_row([pair.source, pair.target, processed, reverse_image(net, processed)], f"{label}: {name}"))
    save_stack(rows, path)


def versus_default(op: str, weights: Path, version: str, data: Path, size: int, at_default: dict) -> dict:
    """The unconditioned ``version`` at the defaults, and what the conditioned network loses against it."""
    plain, meta = load_model(resolve_weights(op, version=version))
    pairs = load_pairs(data, size, op, meta.get("params") or {}, cache_dir() / "targets")
    means = evaluate(plain, pairs, [90], with_ssim=False)["mean"]
    loss = {k: means[k] - at_default["mean"][k] for k in ("approx_psnr", "restore_png_psnr", "restore_jpeg90_psnr")}
    return {"version": version, "mean": {k: means[k] for k in KEYS}, "loss": loss,
            "held": all(v <= DEFAULT_LOSS for v in loss.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    parser.add_argument("--ops", nargs="+", default=None)
    parser.add_argument("--weights", type=Path, default=None, help="a conditioned checkpoint to judge (one operator)")
    parser.add_argument("--versus", default=None, help="the unconditioned manifest version to compare at the defaults")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--sheet", type=Path, default=None, help="write contact sheets DIR/OP.jpg")
    args = parser.parse_args()
    ops = args.ops or conditioned_ops()
    if args.weights and len(ops) != 1:
        parser.error("--weights goes with one --ops name")
    report = {}
    for op in ops:
        weights = args.weights or resolve_weights(op, conditioned=True)
        settings = judge(op, weights, args.data, args.size)
        print(f"\n{op} ({weights.name}; val/ at {args.size} px, mean / worst photo, dB)\n")
        print("| setting | approximation | identity | restored after PNG | after JPEG-90 | bars (means) | bars (worst photo) |")
        print("|---|---|---|---|---|---|---|")
        for label, row in settings.items():
            shown = ", ".join(f"{k}={v:g}" for k, v in row["params"].items() if k in OPERATORS[op].conditioned)
            cells = " | ".join(f"{row['mean'][k]:.2f} / {row['worst'][k]:.2f}" for k in KEYS)
            verdicts = " | ".join("ok" if not m else "MISSED " + ", ".join(m) for m in (row["missed_mean"], row["missed_worst"]))
            print(f"| {label} ({shown}) | {cells} | {verdicts} |")
        entry = {"weights": str(weights), "settings": settings}
        if args.sheet:
            sheet(op, weights, settings, args.data, args.size, args.sheet / f"{op}.jpg")
        version = args.versus or unconditioned_version(op)
        if version is not None:
            entry["versus"] = versus_default(op, weights, version, args.data, args.size, settings["default"])
            v = entry["versus"]
            losses = ", ".join(f"{k.split('_')[0] if k == 'approx_psnr' else k[8:-5]} {d:+.2f}" for k, d in v["loss"].items())
            print(f"\nat the defaults against unconditioned v{version} (its means {v['mean']['approx_psnr']:.2f} /"
                  f" {v['mean']['restore_png_psnr']:.2f} / {v['mean']['restore_jpeg90_psnr']:.2f} dB): loses {losses} dB:"
                  f" {'ok' if v['held'] else 'MISSED'} (at most {DEFAULT_LOSS})", flush=True)
        report[op] = entry
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
