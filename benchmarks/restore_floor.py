"""How often `apply`'s restore check (``--min-restore-db``) would refuse ordinary photos, per operator.

    python benchmarks/restore_floor.py [--data ../shared/corpus/train ../shared/corpus/val] [--size 512] [--ops l0 ...]

For every photo (long side ``--size``) and operator: apply with the default
weights and restore what would be written as PNG, exactly as the CLI checks it.
Prints the worst photo, the mean, and how many photos fall below the default
threshold (they would be refused). The threshold must sit under ordinary photos
and above the failures of issue 13 (1-bit art 12.6 dB, text 22-27 dB, 64 px 22 dB).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from restorable.api import apply_photo, restore_photo
from restorable.limits import MIN_RESTORE_DB
from restorable.operators.registry import OPERATORS
from restorable.photo import Photo
from restorable.train.data import list_images, load_photo
from restorable.verify import restoration_db

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=[ROOT.parent / "shared/corpus/train", ROOT.parent / "shared/corpus/val"])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--ops", nargs="+", default=list(OPERATORS))
    args = parser.parse_args()
    photos = [(path.name, Photo(load_photo(path, args.size))) for folder in args.data for path in list_images(folder)]
    print(f"{len(photos)} photos at {args.size} px; thresholds {MIN_RESTORE_DB} dB by operator type (PNG),"
          " or the operator's own (rescaling)")
    print("| op | worst photo (dB) | which | mean (dB) | below the threshold |")
    print("|---|---|---|---|---|")
    for op in args.ops:
        figures = []
        for name, photo in photos:
            result = apply_photo(photo, op, device="cpu")
            figures.append((restoration_db(photo, result, "PNG", 95, lambda p: restore_photo(p, op, device="cpu")), name))
        worst = min(figures)
        below = sum(db < OPERATORS[op].restore_floor for db, _ in figures)
        mean = statistics.mean(db for db, _ in figures)
        print(f"| {op} | {worst[0]:.2f} | {worst[1]} | {mean:.2f} | {below} of {len(figures)} |", flush=True)


if __name__ == "__main__":
    main()
