"""Median apply and restore seconds per photo size: torch (CPU or CUDA) and ONNX Runtime, beside the reference operator.

    python benchmarks/speed.py --op l0 [--weights runs/l0.safetensors] [--size 640x480 ...] [--repeats 5]
                               [--device cpu|cuda] [--backends torch onnx]

Apply includes everything `restorable apply` does in memory (reference operator
when the network's auxiliary branch is the reference, network, 8-bit output);
file reading and writing are left out. Goals: <= 0.5 s each with torch on 2 CPU
cores at 640x480 (issue 4); on one H100/H200 (issue 16) 640x480 apply <= 0.020 s
and restore <= 0.010 s, 6000x4000 apply <= 1.5 s.
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
    fn()  # warm-up: model load, ONNX export, session start and CUDA kernels' first launch are not counted
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", default="l0")
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--photo", type=Path, default=ROOT / "examples" / "photo.jpg")
    parser.add_argument("--size", type=parse_size, action="append", metavar="WxH", help="repeatable (default 640x480)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--backends", nargs="+", default=["torch", "onnx"], choices=["torch", "onnx"])
    args = parser.parse_args()
    with Image.open(args.photo) as img:
        source = img.convert("RGB")
    print(f"| {args.op} | size | apply (s) | restore (s) |")
    print("|---|---|---|---|")
    for width, height in args.size or [(640, 480)]:
        rgb = np.asarray(source.resize((width, height), Image.LANCZOS))
        photo = Photo(rgb)
        repeats = args.repeats if width * height <= 4e6 else max(1, args.repeats // 2)
        reference = median_seconds(lambda: run_operator(args.op, rgb, device=args.device), repeats)
        print(f"| reference operator ({args.device}) | {width}x{height} | {reference:.3f} | - |", flush=True)
        for backend in args.backends:
            processed = apply_photo(photo, args.op, weights=args.weights, device=args.device, backend=backend)
            apply_s = median_seconds(
                lambda: apply_photo(photo, args.op, weights=args.weights, device=args.device, backend=backend), repeats
            )
            restore_s = median_seconds(
                lambda: restore_photo(processed, weights=args.weights, device=args.device, backend=backend), repeats
            )
            print(f"| {backend} ({processed.ran_on}) | {width}x{height} | {apply_s:.3f} | {restore_s:.3f} |", flush=True)


if __name__ == "__main__":
    main()
