"""How to code a payload: JPEG 2000 vs JPEG, original vs its difference from the effect (bits per pixel, PSNR).

    python benchmarks/payload_codecs.py [--data ../shared/corpus/val] [--op l0]

The measurement behind restorable/payload/codec.py (val/ at 512 px).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image

from restorable.operators.registry import OPERATORS
from restorable.paths import cache_dir
from restorable.train.data import load_pairs
from restorable.metrics import psnr

ROOT = Path(__file__).resolve().parents[1]


def coded(image: np.ndarray, fmt: str, **options) -> tuple[int, np.ndarray]:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt, **options)
    return len(buffer.getvalue()), np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    parser.add_argument("--op", default="l0")
    args = parser.parse_args()
    defaults = {k: p.default for k, p in OPERATORS[args.op].params.items()}
    print("| photo | coding | bpp | PSNR (dB) |\n|---|---|---|---|")
    for pair in load_pairs(args.data, 512, args.op, defaults, cache_dir() / "targets"):
        original, effect = pair.source, pair.target
        pixels = original.shape[0] * original.shape[1]
        difference = np.clip(original.astype(int) - effect.astype(int) + 128, 0, 255).astype(np.uint8)
        trials = [(f"JPEG 2000 original, {db} dB target", original, "JPEG2000",
                   dict(quality_mode="dB", quality_layers=[db], irreversible=True)) for db in (44, 46, 48, 50)]
        trials += [(f"JPEG original q{q} 4:4:4", original, "JPEG", dict(quality=q, subsampling=0)) for q in (90, 95, 98)]
        trials += [(f"JPEG 2000 difference, {db} dB target", difference, "JPEG2000",
                    dict(quality_mode="dB", quality_layers=[db], irreversible=True)) for db in (44, 46, 48)]
        for label, image, fmt, options in trials:
            size, decoded = coded(image, fmt, **options)
            if image is difference:
                decoded = np.clip(decoded.astype(int) - 128 + effect.astype(int), 0, 255).astype(np.uint8)
            print(f"| {pair.name} | {label} | {8 * size / pixels:.2f} | {psnr(decoded, original):.2f} |")


if __name__ == "__main__":
    main()
