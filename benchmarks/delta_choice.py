"""Restoration with delta = 0 (ours) versus delta drawn as Gaussian noise (the IVOP code's choice).

    python benchmarks/delta_choice.py runs/l0.safetensors ../shared/corpus/val [--jpeg 90]

The noise has the RMS of the delta the network actually produces on each photo,
so both choices get the same scale of what the network saw in training.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from statistics import mean

import torch

from restorable.engine import forward_image, pad_to_multiple, to_tensor
from restorable.model.checkpoint import load_model
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.paths import cache_dir
from restorable.train.data import load_pairs
from restorable.metrics import psnr


@torch.inference_mode()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ckpt", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--jpeg", type=int, default=None, help="restore after JPEG at this quality")
    args = parser.parse_args()
    model, meta = load_model(args.ckpt)
    pairs = load_pairs(args.data, meta["train"]["long_side"], meta["op"], meta["params"], cache_dir() / "targets")
    generator = torch.Generator().manual_seed(0)
    zero, noise = [], []
    for pair in pairs:
        reference = pair.target if model.config.aux == "reference" else None
        processed = forward_image(model, pair.source, reference)
        x = pad_to_multiple(to_tensor(pair.source), model.stride)
        ref = pad_to_multiple(to_tensor(reference), model.stride) if reference is not None else None
        rms = float(model(x, ref)[1].pow(2).mean().sqrt())
        stored = jpeg_roundtrip_uint8(processed, args.jpeg) if args.jpeg else processed
        y = pad_to_multiple(to_tensor(stored), model.stride)
        h, w = pair.source.shape[:2]
        for delta, scores in [(None, zero), (rms * torch.randn(y.shape[0], 12, y.shape[2] // 2, y.shape[3] // 2, generator=generator), noise)]:
            restored = (model.reverse(y, delta)[0, :, :h, :w].clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
            scores.append(psnr(restored, pair.source))
        print(f"{pair.name}: delta rms {rms:.2e}, zero {zero[-1]:.2f} dB, noise {noise[-1]:.2f} dB")
    print(f"mean restoration PSNR: delta = 0: {mean(zero):.2f} dB, delta ~ noise: {mean(noise):.2f} dB")


if __name__ == "__main__":
    main()
