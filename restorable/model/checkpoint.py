"""Checkpoints as safetensors (never pickle) with JSON metadata in the header and beside the file."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save

from restorable.atomic import atomic_write
from restorable.errors import RestorableError, WeightsError
from restorable.model.qinet import ModelConfig, QuasiInvertibleNet

META_KEY = "restorable"
# Metadata is a few kilobytes (the training history included); a header beyond this is not ours.
MAX_METADATA_BYTES = 4_000_000


def _atomic_save(tensors: dict[str, torch.Tensor], path: Path, metadata: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata={META_KEY: json.dumps(metadata)})
    atomic_write(path, lambda handle: handle.write(data))


def save_model(path: Path, model: QuasiInvertibleNet, metadata: dict, half: bool = False, sidecar: bool = True) -> None:
    """Write weights to ``path`` and the metadata (with the architecture) also to ``path`` + ``.json`` (``sidecar``)."""
    metadata = {**metadata, "architecture": model.config.to_dict()}
    tensors = {k: (v.half() if half and v.is_floating_point() else v) for k, v in model.state_dict().items()}
    _atomic_save(tensors, path, metadata)
    if not sidecar:
        return
    text = (json.dumps(metadata, indent=2) + "\n").encode()
    atomic_write(path.with_name(path.name + ".json"), lambda handle: handle.write(text))


def read_metadata(path: Path) -> dict:
    """The metadata stored in a checkpoint's header."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get(META_KEY)
    except FileNotFoundError:
        raise WeightsError(f"{path}: no such checkpoint") from None
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise WeightsError(f"{path}: not a readable safetensors checkpoint ({exc})") from None
    if raw is None:
        raise WeightsError(f"{path}: not a restorable checkpoint (no metadata)")
    if len(raw) > MAX_METADATA_BYTES:
        raise WeightsError(f"{path}: damaged checkpoint metadata (over {MAX_METADATA_BYTES:,} bytes)")
    try:
        metadata = json.loads(raw)
    except (ValueError, RecursionError):
        raise WeightsError(f"{path}: damaged checkpoint metadata (not JSON)") from None
    if not isinstance(metadata, dict):
        raise WeightsError(f"{path}: damaged checkpoint metadata")
    return metadata


def load_model(path: Path) -> tuple[QuasiInvertibleNet, dict]:
    """Rebuild the network of its family from a checkpoint; returns (model in eval mode, metadata)."""
    from restorable.transforms import checkpoint_family, get_family

    metadata = read_metadata(path)
    try:
        config = ModelConfig(**metadata["architecture"])
        family = get_family(checkpoint_family(metadata, config.carrier_channels))
        model = family.builder()(config, family.spec)
    except ValueError as exc:
        raise WeightsError(f"{path}: checkpoint with an unusable architecture ({exc})") from None
    except (KeyError, TypeError) as exc:
        raise WeightsError(f"{path}: checkpoint without a usable architecture ({type(exc).__name__})") from None
    tensors = {}
    with safe_open(str(path), framework="pt") as handle:
        for key in handle.keys():
            tensors[key] = handle.get_tensor(key).float()
            if not bool(torch.isfinite(tensors[key]).all()):
                raise WeightsError(f"{path}: damaged checkpoint (NaN or infinite values in {key})")
    try:
        missing, unexpected = model.load_state_dict(tensors, strict=False)
    except RuntimeError:  # tensor shapes that do not fit the architecture
        raise WeightsError(f"{path}: checkpoint does not match its architecture (tensor shapes)") from None
    if missing or unexpected:
        raise WeightsError(f"{path}: checkpoint does not match its architecture ({len(missing)} missing tensors)")
    if config.cond_channels and "condition" in metadata:  # evaluated without a stated condition: at the run's defaults
        from restorable.operators.condition import checkpoint_condition

        try:
            model.default_condition = checkpoint_condition(metadata)
        except RestorableError as exc:
            raise WeightsError(f"{path}: {exc}") from None
    return model.eval(), metadata


def save_training_state(
    path: Path,
    optimizers: dict[str, torch.optim.Optimizer],
    generator: torch.Generator,
    step: int,
    modules: dict[str, torch.nn.Module] | None = None,
) -> None:
    """Optimizer moments, extra modules (e.g. a discriminator), RNG state and step, for an exact ``--resume``."""
    tensors: dict[str, torch.Tensor] = {"rng": generator.get_state()}
    groups = {}
    for name, optimizer in optimizers.items():
        state = optimizer.state_dict()
        for index, values in state["state"].items():
            for key, value in values.items():
                tensors[f"opt.{name}.{index}.{key}"] = torch.as_tensor(value)
        groups[name] = [{k: v for k, v in g.items() if k != "params"} for g in state["param_groups"]]
    for name, module in (modules or {}).items():
        for key, value in module.state_dict().items():
            tensors[f"mod.{name}.{key}"] = value
    _atomic_save(tensors, path, {"step": step, "param_groups": groups})


def _match_parameter_layout(optimizer: torch.optim.Optimizer) -> None:
    """Give each parameter-shaped state tensor (Adam's moments) its parameter's memory layout.

    Checkpoints store contiguous tensors; a channels-last network's fused optimizer
    on a GPU needs moments with the same strides as the parameters.
    """
    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param, {})
            for key, value in state.items():
                if torch.is_tensor(value) and value.shape == param.shape and value.stride() != param.stride():
                    state[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


def load_training_state(
    path: Path,
    optimizers: dict[str, torch.optim.Optimizer],
    generator: torch.Generator,
    modules: dict[str, torch.nn.Module] | None = None,
) -> int:
    """Restore what :func:`save_training_state` wrote; returns the step."""
    metadata = read_metadata(path)
    states: dict[str, dict[int, dict[str, torch.Tensor]]] = {name: {} for name in optimizers}
    module_states: dict[str, dict[str, torch.Tensor]] = {name: {} for name in modules or {}}
    with safe_open(str(path), framework="pt") as handle:
        generator.set_state(handle.get_tensor("rng"))
        for key in handle.keys():
            kind, _, rest = key.partition(".")
            if kind == "opt":
                name, index, field = rest.split(".", 2)
                if name in states:
                    states[name].setdefault(int(index), {})[field] = handle.get_tensor(key)
            elif kind == "mod":
                name, field = rest.split(".", 1)
                if name in module_states:
                    module_states[name][field] = handle.get_tensor(key)
    for name, optimizer in optimizers.items():
        if name not in metadata["param_groups"]:
            raise RestorableError(f"{path}: training state has no optimizer {name!r}")
        current = optimizer.state_dict()
        groups = [{**g, **saved} for g, saved in zip(current["param_groups"], metadata["param_groups"][name])]
        optimizer.load_state_dict({"state": states[name], "param_groups": groups})
        _match_parameter_layout(optimizer)
    for name, module in (modules or {}).items():
        module.load_state_dict(module_states[name])
    return int(metadata["step"])
