"""How much flipping the lowest bit of a random eighth of the values moves the learned restoration after JPEG.

    python benchmarks/lsb_noise.py --op llf [--quality 90] [--data ../shared/corpus/val]

The refinement payload flips 1 value in 8 by 1 level; this measures the same
amount of random flips, per photo (the noise floor for comparing the learned
mode with and without payload after re-encoding).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from restorable.engine import forward_image, reverse_image
from restorable.model.checkpoint import load_model
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.paths import cache_dir
from restorable.train.data import load_pairs
from restorable.metrics import psnr
from restorable.weights import resolve_weights

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", default="llf")
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    args = parser.parse_args()
    model, meta = load_model(resolve_weights(args.op))
    rng = np.random.default_rng(0)
    print(f"| {args.op} photo | JPEG-{args.quality} restore (dB) | with 1/8 lowest bits flipped | change |")
    print("|---|---|---|---|")
    for pair in load_pairs(args.data, 512, args.op, meta.get("params", {}), cache_dir() / "targets"):
        processed = forward_image(model, pair.source, pair.target if model.config.aux == "reference" else None)
        flips = (rng.random(processed.shape) < 1 / 8).astype(np.uint8)
        plain, flipped = (
            psnr(reverse_image(model, jpeg_roundtrip_uint8(image, args.quality)), pair.source)
            for image in (processed, processed ^ flips)
        )
        print(f"| {pair.name} | {plain:.3f} | {flipped:.3f} | {flipped - plain:+.3f} |")


if __name__ == "__main__":
    main()
