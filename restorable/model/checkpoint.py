"""Checkpoints as safetensors (never pickle) with JSON metadata in the header and beside the file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from restorable.errors import RestorableError
from restorable.model.qinet import ModelConfig, QuasiInvertibleNet

META_KEY = "restorable"


def _atomic_save(tensors: dict[str, torch.Tensor], path: Path, metadata: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, tmp, metadata={META_KEY: json.dumps(metadata)})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(path: Path, model: QuasiInvertibleNet, metadata: dict, half: bool = False) -> None:
    """Write weights to ``path`` and the metadata (with the architecture) also to ``path`` + ``.json``."""
    metadata = {**metadata, "architecture": model.config.to_dict()}
    tensors = {k: (v.half() if half and v.is_floating_point() else v) for k, v in model.state_dict().items()}
    _atomic_save(tensors, path, metadata)
    meta_path = path.with_name(path.name + ".json")
    tmp = meta_path.with_name(f".{meta_path.name}.tmp")
    tmp.write_text(json.dumps(metadata, indent=2) + "\n")
    os.replace(tmp, meta_path)


def read_metadata(path: Path) -> dict:
    """The metadata stored in a checkpoint's header."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get(META_KEY)
    except FileNotFoundError:
        raise RestorableError(f"{path}: no such checkpoint") from None
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise RestorableError(f"{path}: not a readable safetensors checkpoint ({exc})") from None
    if raw is None:
        raise RestorableError(f"{path}: not a restorable checkpoint (no metadata)")
    return json.loads(raw)


def load_model(path: Path) -> tuple[QuasiInvertibleNet, dict]:
    """Rebuild the network from a checkpoint; returns (model in eval mode, metadata)."""
    metadata = read_metadata(path)
    model = QuasiInvertibleNet(ModelConfig(**metadata["architecture"]))
    tensors = {}
    with safe_open(str(path), framework="pt") as handle:
        for key in handle.keys():
            tensors[key] = handle.get_tensor(key).float()
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        raise RestorableError(f"{path}: checkpoint does not match its architecture ({len(missing)} missing tensors)")
    return model.eval(), metadata


def save_training_state(path: Path, optimizer: torch.optim.Optimizer, generator: torch.Generator, step: int) -> None:
    """Optimizer moments, RNG state and step, so that ``--resume`` continues exactly."""
    tensors: dict[str, torch.Tensor] = {"rng": generator.get_state()}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"opt.{index}.{key}"] = torch.as_tensor(value)
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.state_dict()["param_groups"]]
    _atomic_save(tensors, path, {"step": step, "param_groups": groups})


def load_training_state(path: Path, optimizer: torch.optim.Optimizer, generator: torch.Generator) -> int:
    """Restore what :func:`save_training_state` wrote; returns the step."""
    metadata = read_metadata(path)
    state: dict[int, dict[str, torch.Tensor]] = {}
    with safe_open(str(path), framework="pt") as handle:
        generator.set_state(handle.get_tensor("rng"))
        for key in handle.keys():
            if key.startswith("opt."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = handle.get_tensor(key)
    current = optimizer.state_dict()
    groups = [{**g, **saved} for g, saved in zip(current["param_groups"], metadata["param_groups"])]
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return int(metadata["step"])
