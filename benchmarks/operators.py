"""Median seconds per reference operator at 512 and 1024 px on this machine.

    python benchmarks/operators.py [--sizes 512 1024] [--repeats 5] [--photo PATH] [--markdown]

The photo (default: examples/photo.jpg) is resized to a square of each size.
Targets (issue 2): every operator <= 5 s at 1024 px on 2 cores, wls and rtv <= 15 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from restorable.operators import OPERATORS, run_operator

ROOT = Path(__file__).resolve().parents[1]
LIMITS = {"wls": 15.0, "rtv": 15.0}  # seconds at 1024 px; others 5 s


def median_seconds(name: str, image: np.ndarray, repeats: int) -> float:
    run_operator(name, image[:64, :64])  # warm up lazy imports and sessions
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_operator(name, image)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--photo", type=Path, default=ROOT / "examples" / "photo.jpg")
    parser.add_argument("--ops", nargs="+", default=list(OPERATORS))
    args = parser.parse_args()

    source = Image.open(args.photo).convert("RGB")
    images = {s: np.asarray(source.resize((s, s), Image.LANCZOS)) for s in args.sizes}
    print("| operator | " + " | ".join(f"{s} px (s)" for s in args.sizes) + " | limit at 1024 px (s) |")
    print("|---|" + "---|" * len(args.sizes) + "---|")
    failed = []
    for name in args.ops:
        cells = []
        for size in args.sizes:
            seconds = median_seconds(name, images[size], args.repeats)
            cells.append(f"{seconds:.2f}")
            if size == 1024 and seconds > LIMITS.get(name, 5.0):
                failed.append(name)
        print(f"| {name} | " + " | ".join(cells) + f" | {LIMITS.get(name, 5.0):.0f} |", flush=True)
    if failed:
        raise SystemExit(f"over the limit at 1024 px: {', '.join(failed)}")


if __name__ == "__main__":
    main()
