"""Speed with a busy core: `restorable apply --op l0` on a 1024x1024 photo, idle vs one other process spinning.

    python benchmarks/busy.py [--size 1024] [--repeats 3]

Goal (issue 13): with one busy process at most 2x the idle time. Each figure is
the median wall time of the whole command (start-up and the restore check
included). "as shipped": restorable's default ``OMP_WAIT_POLICY=PASSIVE``;
"spinning": ``OMP_WAIT_POLICY=ACTIVE``, OpenMP threads spin-waiting for a core
that the other process holds (what the default guards against).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()"


def seconds(photo: Path, out: Path, policy: str | None, repeats: int) -> float:
    env = {**os.environ, "RESTORABLE_OFFLINE": "1"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", COMMAND, "apply", "--op", "l0", str(photo), str(out), "--overwrite"],
            env=env, check=True, capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        photo, out = Path(folder) / "photo.png", Path(folder) / "out.png"
        with Image.open(ROOT / "examples" / "photo.jpg") as img:
            img.convert("RGB").resize((args.size, args.size), Image.LANCZOS).save(photo)
        print(f"| apply l0 at {args.size}x{args.size} | idle (s) | one busy process (s) | ratio |")
        print("|---|---|---|---|")
        for policy, label in ((None, "as shipped (PASSIVE)"), ("ACTIVE", "spinning (ACTIVE)")):
            idle = seconds(photo, out, policy, args.repeats)
            burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                busy = seconds(photo, out, policy, args.repeats)
            finally:
                burner.kill()
                burner.wait()
            print(f"| {label} | {idle:.2f} | {busy:.2f} | {busy / idle:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
