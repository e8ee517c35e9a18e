"""Issue 20: the pack family on val/ groups at 512 px, per group: the packed image against the first image
(PSNR, SSIM, checker grid) and every image unpacked after PNG and after JPEG-90.

    python benchmarks/pack.py [--counts 2 4] [--weights-dir DIR] [--sheet docs/pack] [--json out.json]

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
from restorable.train.metrics import grid_rms, psnr, ssim7
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
    args = parser.parse_args()
    report = {}
    for count in args.counts:
        weights = args.weights_dir / f"pack-{count}.safetensors" if args.weights_dir else resolve_weights(f"pack-{count}")
        model, _ = load_model(weights)
        rows, sheets = {}, []
        for group in load_pack_groups(args.data, args.size, count):
            rows[group.name], packed, unpacked = judge_group(model, group.source, count)
            sheets.append((group.name, group.source, packed, unpacked))
        keys = next(iter(rows.values())).keys()
        mean = {k: float(np.mean([r[k] for r in rows.values()])) for k in keys}
        worst = {k: (max if k == "packed_grid" else min)(r[k] for r in rows.values()) for k in keys}
        report[count] = {"weights": str(weights), "groups": rows, "mean": mean, "worst": worst,
                         "missed_mean": missed(mean, count), "missed_worst": missed(worst, count)}
        print(f"\npack-{count} ({weights.name}; {len(rows)} groups of val/ at {args.size} px; mean / worst)")
        for k in keys:
            print(f"  {k:14s} {mean[k]:8.3f} / {worst[k]:8.3f}")
        print(f"  bars missed: means {report[count]['missed_mean'] or 'none'}; worst {report[count]['missed_worst'] or 'none'}")
        if args.sheet:
            write_sheet(sheets, count, args.sheet / f"pack-{count}.jpg")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def write_sheet(sheets: list, count: int, path: Path) -> None:
    """Per group: the images, the packed image, the unpacked images; a row at 1x (halved) and a 3x crop."""
    from PIL import Image

    rows = []
    for name, source, packed, unpacked in sheets:
        tiles = [source[..., :3], packed] + [unpacked[..., 3 * k : 3 * k + 3] for k in range(count)] + [
            source[..., 3 * k : 3 * k + 3] for k in range(1, count)]
        half = [np.asarray(Image.fromarray(t).resize((t.shape[1] // 2, t.shape[0] // 2), Image.BOX)) for t in tiles]
        h, w = tiles[0].shape[:2]
        crop = (slice(h // 2 - 32, h // 2 + 32), slice(w // 2 - 32, w // 2 + 32))
        zoom = [np.kron(t[crop], np.ones((3, 3, 1), np.uint8))[: half[0].shape[0]] for t in tiles]
        rows.append(np.concatenate([np.concatenate(half, 1), np.concatenate(zoom, 1)[:, : sum(x.shape[1] for x in half)]], 0))
    width = max(r.shape[1] for r in rows)
    stack = np.concatenate([np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0))) for r in rows], 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(stack).save(path, quality=92)


if __name__ == "__main__":
    main()
