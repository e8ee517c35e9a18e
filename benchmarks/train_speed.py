"""Training steps per second of the bundled l0 configuration, on the CPU or a GPU, in a few variants.

    python benchmarks/train_speed.py [--device cuda] [--seconds 15] [--variant default fp32 workers0]

The bundled configuration (scripts/train_all.sh, version 1): batch 8 of 128 px
crops, ``--aux reference --jpeg --w-restore 2 --code-scale 0.25``, 4 coupling
blocks of width 32. The photos are crops of the two bundled test photos
(throughput does not depend on what they show). The first 10 steps are not timed.
Goal (issue 16): on one H100/H200 >= 10x the steps/s of 2 CPU cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from restorable.model.qinet import ModelConfig
from restorable.train.data import Pair, load_photo
from restorable.train.trainer import Trainer, TrainConfig, bf16_is_fast

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = [ROOT / "examples" / "photo.jpg", ROOT / "tests" / "data" / "cups_511x383.jpg"]
VARIANTS = {
    "default": {},
    "fp32": {"bf16": False},
    "workers0": {"workers": 0},
    "eager": {"compile": False},
}


def pairs() -> list[Pair]:
    """Photos at 512 px with a stand-in target (the photo itself: the step costs the same)."""
    found = []
    for path in PHOTOS:
        photo = load_photo(path, 512)
        for k in range(4):
            turned = np.ascontiguousarray(np.rot90(photo, k))
            found.append(Pair(f"{path.stem}-{k}", turned, turned))
    return found


def steps_per_second(device: str, seconds: float, bf16: bool, workers: int | None, compile: bool | None = None) -> float:
    config = TrainConfig(
        op="l0", params={}, jpeg=True, weight_restore=2.0, bf16=bf16, batch=8, crop=128, long_side=512
    )
    model = ModelConfig(aux="reference", code_scale=0.25)
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(
            config, model, pairs(), Path(folder) / "m.safetensors", device=device, workers=workers, compile=compile
        )
        for _ in range(10):  # and compiling, where the passes are compiled
            trainer.train_step()
        start, steps = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            terms = trainer.train_step()
            steps += 1
        float(terms["approx"])  # wait for the device to finish the last step
        return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--variant", nargs="+", default=["default"], choices=list(VARIANTS))
    args = parser.parse_args()
    print(f"| l0 training on {args.device} | steps/s |")
    print("|---|---|")
    for name in args.variant:
        options = {"bf16": args.device != "cpu" or bf16_is_fast(), "workers": None, "compile": None, **VARIANTS[name]}
        rate = steps_per_second(args.device, args.seconds, **options)
        settings = ", ".join(f"{k} {v}" for k, v in options.items())
        print(f"| {name} ({settings}; None: the device's default) | {rate:.2f} |", flush=True)


if __name__ == "__main__":
    main()
