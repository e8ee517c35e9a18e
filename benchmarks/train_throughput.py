"""Training throughput in crop-pixels per second and achieved TFLOP/s, by configuration, batch size and JPEG path.

    python benchmarks/train_throughput.py --device cuda --configs bundled irn --batches 64 256 1024 \\
        --jpeg none real --seconds 8 [--passes compiled eager] [--together 1 8 32] [--out FILE.md]

Issue 31's measure. Each row builds a :class:`Trainer` (bf16 autocast, channels-last, crops cut on the
device from photos held there, learning rate scaled by sqrt(batch / 8) with a warm-up), takes a few
untimed steps (compiling), then times whole optimisation steps for ``--seconds``. FLOPs are counted,
not guessed: torch's ``FlopCounterMode`` over one eager step of the same network (forward, reverse,
backward; the codec's work is not counted), per crop; TFLOP/s = counted FLOPs x crops/s. Configurations: ``bundled`` = the bundled l0
network (201,540 parameters, 4 coupling blocks of width 32, reference auxiliary branch), ``irn`` = an
IRN-size one (8 blocks of width 96: 2.56 M parameters). JPEG: ``none`` (PNG rounding only), ``real``
(real JPEG for half the batch: PIL on the CPU), ``nvjpeg`` (the same on the GPU: RESTORABLE_GPU_JPEG=1).
``--together N``: N networks of the configuration, each at the row's batch, trained in one process as one
batched computation (restorable.train.together: ``restorable train-together``); crops/s counts all N.
The photos are the two bundled test photos, turned (throughput does not depend on what they show).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from train_speed import pairs  # the same photos, turned four ways, their own stand-in targets

from restorable.model.qinet import ModelConfig
from restorable.train.together import Together
from restorable.train.trainer import Trainer, TrainConfig

CONFIGS = {
    "bundled": ModelConfig(aux="reference", code_scale=0.25),
    "irn": ModelConfig(aux="reference", code_scale=0.25, inv_blocks=8, inv_width=96, fusion_width=96),
}


def make_trainer(name: str, batch: int, jpeg: str, device: str, compiled: bool, folder: Path, seed: int = 0) -> Trainer:
    config = TrainConfig(
        op="l0", jpeg=jpeg != "none", weight_restore=2.0, bf16=device != "cpu", batch=batch, crop=128,
        lr=5e-4 * (batch / 8) ** 0.5, warmup=50, seed=seed,
    )
    return Trainer(config, CONFIGS[name], pairs(), folder / f"m{seed}.safetensors", device=device, compile=compiled,
                   data_on_device=True)


def flops_per_crop(name: str, jpeg: str, device: str, folder: Path, batch: int = 8) -> float:
    """FLOPs of one eager training step of configuration ``name``, per crop (torch's FlopCounterMode)."""
    from torch.utils.flop_counter import FlopCounterMode

    trainer = make_trainer(name, batch, jpeg, device, False, folder)
    trainer.train_step()
    with FlopCounterMode(display=False) as counter:
        trainer.train_step()
    return counter.get_total_flops() / batch


def measure(
    name: str, batch: int, jpeg: str, device: str, compiled: bool, seconds: float, folder: Path, together: int = 1
) -> dict:
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    trainers = [make_trainer(name, batch, jpeg, device, compiled, folder, seed) for seed in range(together)]
    if together == 1:
        step = trainers[0].train_step
    else:
        group = Together(trainers)
        step = lambda: group.step()[0]  # noqa: E731
    started = time.perf_counter()
    for _ in range(5):  # compiling, CUDA graphs recorded, workers started
        step()
    sync()
    warm = time.perf_counter() - started
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        terms = step()
        steps += 1
        if steps % 20 == 0:
            sync()
    float(terms["restore"])  # waits for the last step
    elapsed = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
    return {"steps_s": steps / elapsed, "crops_s": steps * batch * together / elapsed, "warm_s": warm, "peak_gib": peak,
            "params": sum(p.numel() for p in trainers[0].model.parameters())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--configs", nargs="+", default=["bundled", "irn"], choices=sorted(CONFIGS))
    parser.add_argument("--batches", nargs="+", type=int, default=[64, 256, 1024])
    parser.add_argument("--jpeg", nargs="+", default=["none", "real"], choices=["none", "real", "nvjpeg"])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--passes", nargs="+", default=["compiled"], choices=["compiled", "eager"])
    parser.add_argument("--together", nargs="+", type=int, default=[1], help="networks trained in one process")
    parser.add_argument("--out", type=Path, help="append the table to this file")
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = True
    rows = ["| config | parameters | networks | batch of 128x128 each | JPEG | passes | steps/s | crops/s | M crop-pixels/s | "
            "GFLOP/crop | TFLOP/s | peak GiB | warm-up s |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(rows), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.configs:
            per_crop = flops_per_crop(name, "none", args.device, folder)
            for jpeg in args.jpeg:
                os.environ["RESTORABLE_GPU_JPEG"] = "1" if jpeg == "nvjpeg" else "0"
                for batch in args.batches:
                    for together in args.together:
                        for compiled in [p == "compiled" for p in args.passes]:
                            passes = "compiled" if compiled else "eager"
                            try:
                                m = measure(name, batch, jpeg, args.device, compiled, args.seconds, folder, together)
                            except torch.OutOfMemoryError:
                                print(f"| {name} | | {together} | {batch} | {jpeg} | {passes} | out of memory |")
                                torch.cuda.empty_cache()
                                continue
                            row = (
                                f"| {name} | {m['params']:,} | {together} | {batch} | {jpeg} | {passes} | "
                                f"{m['steps_s']:.2f} | {m['crops_s']:,.0f} | {m['crops_s'] * 128 * 128 / 1e6:,.1f} | "
                                f"{per_crop / 1e9:.2f} | {per_crop * m['crops_s'] / 1e12:.1f} | {m['peak_gib']:.1f} | {m['warm_s']:.0f} |"
                            )
                            rows.append(row)
                            print(row, flush=True)
    if args.out:
        with args.out.open("a") as handle:
            handle.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
