"""Whole commands and folders: seconds, photos/s, peak memory and restored PSNR, this checkout beside another one.

    python benchmarks/throughput.py [--baseline DIR] [--size 3000x2000] [--folder 32] [--folder-size 640x480]
                                    [--repeats 1] [--busy] [--device cpu] [--png]

Each figure is a whole process (`restorable apply --op l0` / `restore`, start-up, the self-check and the
PNG writing included), the median of ``--repeats`` runs; peak memory is the process's maximum resident
size. ``--baseline DIR`` runs the same commands with another checkout's code (e.g. a worktree of 0.2.0:
``git worktree add /tmp/v020 394fe5d``) in this environment, taking turns with this one at every run so that
both see the same machine (the processes start outside both checkouts: Python puts the current folder first). ``--busy`` keeps one other process spinning meanwhile. ``--png`` prints PNG sizes and seconds
of the two compressions (restorable.photo.PNG_COMPRESSION) on the photos written.

Goals (issue 33), 2 CPU cores, against 0.2.0: 3000x2000 restore >= 2x faster, apply --op l0 >= 1.5x, a folder
of 32 photos of 640x480 >= 2x; restored PSNR unchanged (+-0.05 dB). On an H200: a folder of 256 at >= 100
photos/s for apply and >= 150 for restore, 6000x4000 apply <= 4 s and restore <= 3 s.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()"


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def sources() -> list[Path]:
    """Photos to size the test images from: the corpus's val/ beside the checkout, else the bundled example."""
    val = ROOT.parent / "shared" / "corpus" / "val"
    found = sorted(val.glob("*.png")) if val.is_dir() else []
    return found or [ROOT / "examples" / "photo.jpg"]


def make_photos(folder: Path, count: int, size: tuple[int, int]) -> list[Path]:
    """``count`` different JPEG photos (quality 92) of ``size``: crops of the source photos, resized."""
    folder.mkdir(parents=True, exist_ok=True)
    photos, origins = [], sources()
    rng = np.random.default_rng(0)
    for index in range(count):
        with Image.open(origins[index % len(origins)]) as img:
            img = img.convert("RGB")
        w, h = img.size
        cw, ch = int(w * rng.uniform(0.7, 1.0)), int(h * rng.uniform(0.7, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        path = folder / f"photo-{index:03d}.jpg"
        img.crop((x, y, x + cw, y + ch)).resize(size, Image.LANCZOS).save(path, quality=92)
        photos.append(path)
    return photos


def run(code: Path, args: list[str], device: str) -> tuple[float, float]:
    """(seconds, peak MB) of one ``restorable ARGS`` process running ``code``'s package."""
    env = {**os.environ, "PYTHONPATH": str(code), "RESTORABLE_OFFLINE": "1"}
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", COMMAND, *args, "--device", device], env=env,
                                 stdout=subprocess.DEVNULL, stderr=errors, cwd=tempfile.gettempdir())  # not a checkout
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            errors.seek(0)
            raise SystemExit(f"{code}: restorable {' '.join(args)} failed: {errors.read().decode()[-400:]}")
    return seconds, usage.ru_maxrss / 1024  # KB on Linux


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse) if mse else float("inf")


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def measure(codes: list[Path], work: Path, big: Path, folder: list[Path], repeats: int, device: str) -> dict:
    """{checkout: {task: (seconds, peak MB, photos, restored PSNRs or None)}}; the checkouts take turns at
    every run, so that both see the machine alike."""
    outs = {code: work / f"out-{index}" for index, code in enumerate(codes)}
    for out in outs.values():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
    n = len(folder)
    tasks = [
        ("apply --op l0, one photo", lambda o: ["apply", "--op", "l0", str(big), str(o / "big.png"), "--overwrite"], 1,
         lambda o: None),
        ("restore, one photo", lambda o: ["restore", str(o / "big.png"), str(o / "big.restored.png"), "--overwrite"], 1,
         lambda o: [psnr(pixels(o / "big.restored.png"), pixels(big))]),
        (f"apply --op l0, folder of {n}", lambda o: ["apply", "--op", "l0", *map(str, folder), "-o", str(o / "applied"),
         "--overwrite"], n, lambda o: None),
        (f"restore, folder of {n}", lambda o: ["restore", str(o / "applied"), "-o", str(o / "restored"), "--overwrite"], n,
         lambda o: [psnr(pixels(o / "restored" / f"{p.stem}.png"), pixels(p)) for p in folder]),
    ]
    figures: dict = {code: {} for code in codes}
    for name, args, photos, check in tasks if folder else tasks[:2]:  # --folder 0: the one photo alone
        runs: dict = {code: [] for code in codes}
        for _ in range(repeats):
            for code in codes:
                runs[code].append(run(code, args(outs[code]), device))
        for code in codes:
            seconds = statistics.median(r[0] for r in runs[code])
            figures[code][name] = (seconds, max(r[1] for r in runs[code]), photos, check(outs[code]))
    return figures


def spin() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def png_table(paths: list[Path]) -> None:
    from restorable.photo import PNG_COMPRESSION

    print("\n| file | size | " + " | ".join(f"{name} (s / MB)" for name in PNG_COMPRESSION) + " |")
    print("|---|---|" + "---|" * len(PNG_COMPRESSION))
    for path in paths:
        with Image.open(path) as img:
            img = img.convert("RGB")
        row = []
        for options in PNG_COMPRESSION.values():
            buffer = io.BytesIO()
            start = time.perf_counter()
            img.save(buffer, "PNG", **options)
            row.append(f"{time.perf_counter() - start:.2f} / {len(buffer.getvalue()) / 1e6:.2f}")
        print(f"| {path.name} | {img.size[0]}x{img.size[1]} | " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout (its root folder) to run beside this one")
    parser.add_argument("--size", type=parse_size, default=(3000, 2000))
    parser.add_argument("--folder", type=int, default=32, help="photos in the folder (0: no folder tasks)")
    parser.add_argument("--folder-size", type=parse_size, default=(640, 480))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--busy", action="store_true", help="one other process spins on a core meanwhile")
    parser.add_argument("--png", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="restorable-throughput-"))
    try:
        (big,) = make_photos(work / "big", 1, args.size)
        folder = make_photos(work / "folder", args.folder, args.folder_size)
        codes = [ROOT] + ([args.baseline.resolve()] if args.baseline else [])
        spinner = spin() if args.busy else None
        try:
            results = measure(codes, work, big, folder, args.repeats, args.device)
        finally:
            if spinner is not None:
                spinner.kill()
        busy = ", one other process spinning" if args.busy else ""
        print(f"{args.size[0]}x{args.size[1]} photo, folder of {args.folder} x {args.folder_size[0]}x{args.folder_size[1]},"
              f" --device {args.device}, {os.cpu_count()} CPUs{busy}")
        names = {code: ("this checkout" if code == ROOT else code.name) for code in codes}
        print("\n| task | " + " | ".join(f"{names[c]}: s (photos/s), peak MB" for c in codes)
              + (" | speed-up |" if len(codes) > 1 else " |") + " restored dB (mean / worst) |")
        print("|---|" + "---|" * len(codes) + ("---|" if len(codes) > 1 else "") + "---|")
        for task in results[ROOT]:
            cells = []
            for code in codes:
                seconds, peak, photos, _ = results[code][task]
                cells.append(f"{seconds:.2f} ({photos / seconds:.2f}), {peak:.0f}")
            speedup = f" {results[codes[1]][task][0] / results[ROOT][task][0]:.2f}x |" if len(codes) > 1 else ""
            quality = " / ".join(
                "-" if results[c][task][3] is None else f"{np.mean(results[c][task][3]):.2f} / {min(results[c][task][3]):.2f}"
                for c in codes
            )
            print(f"| {task} | " + " | ".join(cells) + f" |{speedup} {quality} |")
        if args.baseline:  # the same file restored by both: restoring must not have changed
            theirs = work / "out-1" / "big.png"
            run(ROOT, ["restore", str(theirs), str(work / "cross.png"), "--overwrite"], args.device)
            print(f"\n{args.baseline.name}'s processed photo restored by this checkout: {psnr(pixels(work / 'cross.png'), pixels(big)):.3f} dB,"
                  f" by {args.baseline.name}: {psnr(pixels(work / 'out-1' / 'big.restored.png'), pixels(big)):.3f} dB")
        if args.png:
            png_table([work / "out-0" / "big.png", work / "out-0" / "big.restored.png"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
