"""Files made on the GPU restore on the CPU: restoration PSNR of each, and how far the outputs differ.

    python benchmarks/cross_device.py [--op l0 ...] [--photo examples/photo.jpg]

For each operator: apply on CUDA, restore on CUDA and on the CPU (goal, issue 16:
the two restorations within 0.05 dB), and the largest difference between the
processed images made on CUDA and on the CPU (in 8-bit levels).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from restorable.api import apply_photo, restore_photo
from restorable.photo import Photo
from restorable.metrics import psnr

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", nargs="+", default=["l0", "wls", "rtv", "exposure"])
    parser.add_argument("--photo", type=Path, default=ROOT / "examples" / "photo.jpg")
    args = parser.parse_args()
    with Image.open(args.photo) as img:
        original = np.asarray(img.convert("RGB"))
    print("| op | restored on cuda (dB) | restored on cpu (dB) | difference (dB) | processed cuda vs cpu (max levels) |")
    print("|---|---|---|---|---|")
    for op in args.op:
        made_on_gpu = apply_photo(Photo(original), op, device="cuda")
        made_on_cpu = apply_photo(Photo(original), op, device="cpu")
        on_gpu = psnr(restore_photo(made_on_gpu, device="cuda").rgb, original)
        on_cpu = psnr(restore_photo(made_on_gpu, device="cpu").rgb, original)
        levels = int(np.abs(made_on_gpu.rgb.astype(int) - made_on_cpu.rgb).max())
        print(f"| {op} | {on_gpu:.3f} | {on_cpu:.3f} | {abs(on_gpu - on_cpu):.3f} | {levels} |", flush=True)


if __name__ == "__main__":
    main()
