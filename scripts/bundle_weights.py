"""Bundle a trained checkpoint into the package (fp16) and record it in weights_manifest.json.

    python scripts/bundle_weights.py runs/all/wls.safetensors [--version 1] [--minutes M] [--lossless | --conditioned]
                                     [--stage NAME] [--trained-on TEXT]

Writes restorable/weights/bundled/<op>-v<version>.safetensors (metadata kept in
its header, without the per-step history), makes that version the operator's
default (``--lossless``: its version for lossless outputs) in the manifest (weights_manifest.json and its packaged copy
restorable/weights/manifest.json), with its sha256, size, architecture and
training summary, and prints the entry. A published version is never
replaced by different bytes unless --force is given (files made with it
would no longer find their weights).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import tempfile

from restorable.atomic import atomic_write
from restorable.model.checkpoint import load_model, save_model
from restorable.train.lineage import crops_seen, devices, lineage_of
from restorable.weights import BUNDLED
from restorable.weights.manifest import PACKAGED, SCHEMA, parse_manifest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "weights_manifest.json"


def _unit(meta: dict) -> str:
    """What the training data counted: photos, or for the pack family groups (two per photo)."""
    return "groups: a shifted and an unrelated one per photo" if meta.get("family") == "pack" else "photos"


def training_summary(meta: dict, minutes: float | None, stage: str | None = None, trained_on: str | None = None) -> dict:
    train = meta.get("train", {})
    stage = stage or meta.get("stage")  # a GPU window's checkpoints name their script and stage themselves
    if stage and stage.startswith("scripts/"):
        command = f"bash {stage}"
    else:
        command = f"bash scripts/train_all.sh {meta['op']}" + (f"  # stage {stage}" if stage else "")
    lineage = lineage_of({**meta, "stage": stage} if stage else meta, None)
    if lineage[-1]["stage"] == "unnamed":
        raise SystemExit("the checkpoint does not name its stage: give --stage (the stage whose command made it)")
    return {
        "data": f"../shared/corpus/train ({meta.get('data_images')} {_unit(meta)}, fingerprint {meta.get('data_fingerprint', '')[:16]})",
        "command": command,
        "stage": lineage[-1]["stage"],
        "trained_on": ", ".join(devices(lineage)),
        **({"how": trained_on} if trained_on else {}),
        "steps": meta.get("steps"),
        "crops_seen": crops_seen(meta, lineage),
        "minutes": round(minutes if minutes is not None else meta.get("train_seconds", 0) / 60, 1),
        "settings": {
            k: train[k]
            for k in (
                "crop", "batch", "lr", "jpeg", "jpeg_range", "jpeg_share", "weight_restore", "weight_adv", "weight_ssim",
                "ssim_power", "weight_grid", "long_side",
            )
            if k in train
        },
        "started_from": (meta.get("init") or {}).get("sha256"),  # a warm start: sha256 of the finished run it began from
        "val_512px": {k: round(v, 2) for k, v in (meta.get("val") or {}).items()},
        "lineage": lineage,  # every run that made it, oldest first (restorable.train.lineage)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ckpt", type=Path)
    parser.add_argument("--version", default="1")
    parser.add_argument("--minutes", type=float, default=None, help="training minutes (default: from the checkpoint)")
    parser.add_argument("--force", action="store_true", help="replace a version already in the manifest")
    parser.add_argument("--lossless", action="store_true", help="make it the version for lossless outputs, not the default")
    parser.add_argument(
        "--conditioned", action="store_true",
        help="make it the conditioned version (for parameters away from their defaults), not the default",
    )
    parser.add_argument("--stage", default=None, help="the stage of scripts/train_all.sh that made it")
    parser.add_argument("--trained-on", default=None, help="how it was trained, in words (the devices are in its checkpoint)")
    args = parser.parse_args()
    model, meta = load_model(args.ckpt)
    op = meta["op"]
    out = BUNDLED / f"{op}-v{args.version}.safetensors"
    kept = {k: v for k, v in meta.items() if k not in ("history", "architecture")}
    if args.stage:  # the file names its stage too, for runs started from it
        kept["stage"] = args.stage
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / out.name
        save_model(staged, model, kept, half=True, sidecar=False)
        data = staged.read_bytes()
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"schema": SCHEMA, "base_url": "", "weights": {}}
    entry = {
        "file": out.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "urls": [],
        "bundled": True,
        "architecture": {**model.config.to_dict(), "parameters": sum(p.numel() for p in model.parameters()), "dtype": "float16"},
        "training": training_summary(meta, args.minutes, args.stage, args.trained_on),
        "licence": "MIT",
    }
    spec = manifest["weights"].setdefault(op, {"default": args.version, "versions": {}})
    old = spec["versions"].get(args.version)
    if old and old["sha256"] != entry["sha256"] and not args.force:
        raise SystemExit(f"{op} v{args.version} is already in the manifest with other bytes: use a new --version (or --force)")
    entry["urls"] = old["urls"] if old else []
    spec["versions"][args.version] = entry
    spec["lossless" if args.lossless else "conditioned" if args.conditioned else "default"] = args.version
    manifest["weights"] = dict(sorted(manifest["weights"].items()))
    parse_manifest(manifest, MANIFEST)  # never write an invalid manifest
    text = (json.dumps(manifest, indent=2) + "\n").encode()
    atomic_write(out, lambda handle: handle.write(data))
    for path in (MANIFEST, PACKAGED):
        atomic_write(path, lambda handle: handle.write(text))
    print(json.dumps({op: entry}, indent=2))


if __name__ == "__main__":
    main()
