"""Does ``torch.compile`` make the CPU reverse pass worth its compile time? (issue 33: "torch.compile on CPU or
ONNX Runtime ... measure both").

    python benchmarks/compile_cpu.py [--size 640x480] [--repeats 7]

Times the bundled l0 network's reverse pass (the lossless weights) eagerly, compiled by inductor, and compiled
with inductor's freezing (weights folded in, convolutions fused with their activations): the first call (compile
time included; inductor keeps a cache on disk, so a second process compiles faster) and the median of the next
calls. Also counts the restored 8-bit levels that differ from the eager pass's. Each setting runs in its own
process, so one compile's cache in memory does not help the next.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys, time
import torch
from restorable.engine import _quantize  # the 8-bit levels `restore` writes
from restorable.weights import load_weights

mode, width, height, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
net = load_weights("l0", lossless=True).model.to(memory_format=torch.channels_last).eval()
y = ((torch.rand(1, 3, height, width) * 255).round() / 255).contiguous(memory_format=torch.channels_last)
with torch.inference_mode():
    eager = net.reverse(y)
if mode != "eager":
    import torch._inductor.config as inductor
    inductor.freezing = mode == "freezing"
    run = torch.compile(net.reverse)
else:
    run = net.reverse
with torch.inference_mode():
    start = time.perf_counter(); out = run(y); first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); run(y); times.append(time.perf_counter() - start)
print(json.dumps({"first": first, "median": sorted(times)[len(times) // 2],
                  "levels_differ": int((_quantize(out) != _quantize(eager)).sum()), "pixels": height * width * 3}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x480", help="WIDTHxHEIGHT of the processed image")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    print(f"l0 reverse pass, {width}x{height}, torch on the CPU; seconds")
    print("| setting | first call | median of the next | restored levels unlike eager |")
    print("|---|---|---|---|")
    for mode in ("eager", "compiled", "freezing"):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, mode, str(width), str(height), str(args.repeats)],
            check=True, capture_output=True, text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| {mode} | {r['first']:.2f} | {r['median']:.3f} | {r['levels_differ']} of {r['pixels']} |", flush=True)


if __name__ == "__main__":
    main()
