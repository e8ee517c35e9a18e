"""Learned, learned + payload, exact mode and the classical LSB alternative, per operator (val/ at 512 px).

    python benchmarks/modes.py [--ops l0 wls llf] [--data ../shared/corpus/val]

Runs what `restorable eval --ckpt W --data DATA --compare` runs for the
installed default weights of each operator, and prints one markdown table
(PSNR in dB; approximation against the exact operator; "-": nothing restored).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restorable.model.checkpoint import load_model
from restorable.paths import cache_dir
from restorable.train.compare import compare
from restorable.train.data import load_pairs
from restorable.weights import resolve_weights

ROOT = Path(__file__).resolve().parents[1]
JPEG = [90, 80, 70]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", nargs="+", default=["l0", "wls", "llf"])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    args = parser.parse_args()
    cell = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    print("| op | mode | approx | restore PNG | JPEG-90 | JPEG-80 | JPEG-70 |")
    print("|---|---|---|---|---|---|---|")
    for op in args.ops:
        model, meta = load_model(resolve_weights(op))
        pairs = load_pairs(args.data, 512, op, meta.get("params", {}), cache_dir() / "targets")
        for mode, row in compare(model, pairs, JPEG).items():
            figures = [row["approx_psnr"], row["restore_png_psnr"], *[row[f"restore_jpeg{q}_psnr"] for q in JPEG]]
            print(f"| {op} | {mode} | " + " | ".join(cell(v) for v in figures) + " |", flush=True)


if __name__ == "__main__":
    main()
