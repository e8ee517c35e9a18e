"""Median apply and restore seconds for a 640x480 photo: torch and ONNX Runtime, beside the reference operator.

    python benchmarks/speed.py --op l0 [--weights runs/l0.safetensors] [--size 640 480] [--repeats 5]

Apply includes everything `restorable apply` does in memory (reference operator
when the network's auxiliary branch is the reference, network, 8-bit output);
file reading and writing are left out. Goal (issue 4): <= 0.5 s each with torch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from restorable.api import apply_photo, restore_photo
from restorable.operators import run_operator
from restorable.photo import Photo

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up: model load, ONNX export and session start are not counted
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", default="l0")
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--photo", type=Path, default=ROOT / "examples" / "photo.jpg")
    parser.add_argument("--size", type=int, nargs=2, default=[640, 480], metavar=("W", "H"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    width, height = args.size
    rgb = np.asarray(Image.open(args.photo).convert("RGB").resize((width, height), Image.LANCZOS))
    photo = Photo(rgb)
    print(f"| {args.op} at {width}x{height} | apply (s) | restore (s) |")
    print("|---|---|---|")
    print(f"| reference operator | {median_seconds(lambda: run_operator(args.op, rgb), args.repeats):.3f} | - |")
    for backend in ("torch", "onnx"):
        processed = apply_photo(photo, args.op, weights=args.weights, device="cpu", backend=backend)
        apply_s = median_seconds(lambda: apply_photo(photo, args.op, weights=args.weights, device="cpu", backend=backend), args.repeats)
        restore_s = median_seconds(lambda: restore_photo(processed, weights=args.weights, device="cpu", backend=backend), args.repeats)
        print(f"| {backend} ({processed.ran_on}) | {apply_s:.3f} | {restore_s:.3f} |")


if __name__ == "__main__":
    main()
