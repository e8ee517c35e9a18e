"""Copy a trained checkpoint into the package as fp16 bundled weights.

    python scripts/bundle_weights.py runs/l0.safetensors

Writes restorable/weights/<op>.safetensors (+ .json metadata, without the
per-step history) and prints its sha256 and size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restorable.model.checkpoint import load_model, save_model
from restorable.weights import BUNDLED, file_sha256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ckpt", type=Path)
    args = parser.parse_args()
    model, meta = load_model(args.ckpt)
    meta = {k: v for k, v in meta.items() if k not in ("history", "architecture")}
    out = BUNDLED / f"{meta['op']}.safetensors"
    save_model(out, model, meta, half=True)
    print(f"{out}: {out.stat().st_size} bytes, sha256 {file_sha256(out)}")


if __name__ == "__main__":
    main()
