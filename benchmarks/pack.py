"""Issue 20: the pack family on val/ groups at 512 px, per group: the packed image against the first image
(PSNR, SSIM, checker grid) and every image unpacked after PNG and after JPEG-90.

    python benchmarks/pack.py [--counts 2 4] [--lossless] [--weights-dir DIR] [--sheet docs/pack] [--json out.json]
    python benchmarks/pack.py --files left.png right.png [--sheet DIR]   # one group of your own (e.g. a stereo pair)

Groups (restorable.train.data.load_pack_groups): per val photo a shifted group (the photo seen from viewpoints
a few pixels apart, as a stereo pair or a burst) and an unrelated one (the photo and the next ones). Weights:
the installed pack-N (or DIR/pack-N.safetensors). Bars (issue 20), on the means and the worst group:
2 images: packed >= 38 dB and SSIM >= 0.95, unpacked first >= 40 dB and second >= 36 dB after PNG, both >= 30
after JPEG-90; 4 images: packed >= 34 dB, every unpacked image >= 32 dB after PNG.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from restorable.engine import forward_image, reverse_image
from restorable.model.checkpoint import load_model
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.train.data import load_pack_groups
from restorable.metrics import grid_rms, psnr, ssim7
from restorable.weights import resolve_weights

ROOT = Path(__file__).resolve().parents[1]
BARS = {
    2: {"packed_psnr": 38.0, "packed_ssim": 0.95, "png_1": 40.0, "png_2": 36.0, "jpeg90_1": 30.0, "jpeg90_2": 30.0},
    4: {"packed_psnr": 34.0, "png_1": 32.0, "png_2": 32.0, "png_3": 32.0, "png_4": 32.0},
}


def judge_group(model, source: np.ndarray, count: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """Figures of one group; also the packed image and the images unpacked after PNG."""
    first = source[..., :3]
    packed = forward_image(model, source)
    unpacked = reverse_image(model, packed)
    from_jpeg = reverse_image(model, jpeg_roundtrip_uint8(packed, 90))
    row = {"packed_psnr": psnr(packed, first), "packed_ssim": ssim7(packed, first), "packed_grid": grid_rms(packed, first)}
    for k in range(count):
        part = slice(3 * k, 3 * k + 3)
        row[f"png_{k + 1}"] = psnr(unpacked[..., part], source[..., part])
        row[f"jpeg90_{k + 1}"] = psnr(from_jpeg[..., part], source[..., part])
    return row, packed, unpacked


def missed(figures: dict, count: int) -> list[str]:
    return [k for k, bar in BARS.get(count, {}).items() if figures[k] < bar]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "corpus" / "val")
    parser.add_argument("--counts", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--weights-dir", type=Path, default=None)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--sheet", type=Path, default=None, help="write DIR/pack-N.jpg: per group first / packed / unpacked, 1x and 3x")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--files", type=Path, nargs="+", default=None, help="judge one group: these images (of one size)")
    parser.add_argument("--sheet-rows", type=int, default=3, help="groups on the sheet: those of the lowest packed PSNR")
    parser.add_argument("--lossless", action="store_true", help="the weights for lossless files (PNG), where there are such")
    args = parser.parse_args()
    if args.files:
        args.counts = [len(args.files)]
    report = {}
    for count in args.counts:
        weights = args.weights_dir / f"pack-{count}.safetensors" if args.weights_dir else resolve_weights(f"pack-{count}", lossless=args.lossless)
        model, _ = load_model(weights)
        rows, sheets = {}, []
        for group in _files_group(args.files) if args.files else load_pack_groups(args.data, args.size, count):
            rows[group.name], packed, unpacked = judge_group(model, group.source, count)
            sheets.append((group.name, group.source, packed, unpacked))
        keys = next(iter(rows.values())).keys()
        mean = {k: float(np.mean([r[k] for r in rows.values()])) for k in keys}
        worst = {k: (max if k == "packed_grid" else min)(r[k] for r in rows.values()) for k in keys}
        report[count] = {"weights": str(weights), "groups": rows, "mean": mean, "worst": worst,
                         "missed_mean": missed(mean, count), "missed_worst": missed(worst, count)}
        source = "your files, whole" if args.files else f"{args.data.name}/ at {args.size} px"
        print(f"\npack-{count} ({weights.name}; {len(rows)} groups of {source}; mean / worst)")
        for k in keys:
            print(f"  {k:14s} {mean[k]:8.3f} / {worst[k]:8.3f}")
        print(f"  bars missed: means {report[count]['missed_mean'] or 'none'}; worst {report[count]['missed_worst'] or 'none'}")
        if args.sheet:
            sheets = sorted(sheets, key=lambda sheet: rows[sheet[0]]["packed_psnr"])[: args.sheet_rows]
            write_sheet(sheets, count, args.sheet / f"pack-{count}{'-png' if args.lossless else ''}.jpg")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def _files_group(files: list[Path]) -> list:
    """The one group made of ``files`` (their full size), as load_pack_groups gives them."""
    from restorable.image_file import read_image
    from restorable.train.data import Pair

    images = [read_image(f) for f in files]
    source = np.ascontiguousarray(np.concatenate(images, axis=2))
    return [Pair(" + ".join(f.stem for f in files), source, images[0])]


def write_sheet(sheets: list, count: int, path: Path) -> None:
    """Per group (worst first) a band of columns: first image, packed image, the unpacked images (after PNG), the other
    originals; each column the whole image (288 px wide) over a 96 px crop at 3x (the first image's busiest)."""
    from PIL import Image

    side, zoom = 288, 3
    bands = []
    for _, source, packed, unpacked in sheets:
        tiles = [source[..., :3], packed] + [unpacked[..., 3 * k : 3 * k + 3] for k in range(count)] + [
            source[..., 3 * k : 3 * k + 3] for k in range(1, count)]
        top, left = _busiest(source[..., :3], side // zoom)
        columns = []
        for t in tiles:
            whole = Image.fromarray(t).resize((side, round(t.shape[0] * side / t.shape[1])), Image.BOX)
            crop = t[top : top + side // zoom, left : left + side // zoom]
            columns.append(np.concatenate([np.asarray(whole), np.kron(crop, np.ones((zoom, zoom, 1), np.uint8))], 0))
        band = np.concatenate([np.pad(c, ((0, 0), (0, 4), (0, 0))) for c in columns], 1)
        bands.append(np.pad(band, ((0, 4), (0, 0), (0, 0))))
    width = max(b.shape[1] for b in bands)
    stack = np.concatenate([np.pad(b, ((0, 0), (0, width - b.shape[1]), (0, 0))) for b in bands], 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(stack).save(path, quality=88)


def _busiest(image: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left corner of the size x size window (on a size/2 grid) with the most gradient energy."""
    grey = image.astype(np.float32).mean(axis=2)
    energy = np.abs(np.diff(grey, axis=0))[:, :-1] + np.abs(np.diff(grey, axis=1))[:-1]
    step = max(1, size // 2)
    corners = [(y, x) for y in range(0, energy.shape[0] - size + 1, step) for x in range(0, energy.shape[1] - size + 1, step)]
    return max(corners, key=lambda c: energy[c[0] : c[0] + size, c[1] : c[1] + size].sum()) if corners else (0, 0)

if __name__ == "__main__":
    main()
