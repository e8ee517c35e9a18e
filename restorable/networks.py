"""Which network a photo needs, and a copy of it ready on the device (torch) or in ONNX Runtime.

Shared by :mod:`restorable.session` (apply, restore) and :mod:`restorable.packing` (pack, unpack).
"""

from __future__ import annotations

import copy
import weakref
from pathlib import Path

import numpy as np

from restorable.device import resolve_device
from restorable.errors import Hint, RecordError, WeightsError
from restorable.photo import Photo
from restorable.settings import RunSettings
from restorable.weights import LoadedModel, load_weights

# Each loaded network's copies, one per device (the cached original is never moved or changed).
_COPIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def model_on(loaded: LoadedModel, device: str):
    """A copy of ``loaded``'s torch network on ``device`` (channels-last), made once per network and device."""
    import torch

    copies = _COPIES.setdefault(loaded.model, {})
    if device not in copies:
        copies[device] = copy.deepcopy(loaded.model).to(device, memory_format=torch.channels_last).eval()
    return copies[device]


def network_for(loaded: LoadedModel, settings: RunSettings):
    """(network, device it runs on) for ``settings``: this device's torch copy, or the ONNX Runtime stand-in
    (exported once into the cache)."""
    device, backend = settings.device, settings.backend
    if backend == "torch":
        run_device = resolve_device(device)
        return model_on(loaded, run_device), run_device
    from restorable.onnx_backend import OnnxNetwork, export_onnx
    from restorable.paths import cache_dir

    folder = cache_dir() / "onnx" / loaded.sha256
    if not (folder / "reverse.onnx").exists():
        export_onnx(loaded.model, folder)
    return OnnxNetwork(folder, loaded.model.config, loaded.model.spec, device), "cpu"


def ran_on(net, device: str) -> str:
    """Where a network ran, for the photo's notes: ``torch DEVICE`` or ``onnxruntime PROVIDER``."""
    provider = getattr(net, "provider", None)
    return f"onnxruntime {provider}" if provider else f"torch {device}"


def describe(rgb: np.ndarray) -> dict:
    """The record fields that pin down the processed pixels ((H, W, 3) or grey (H, W)): their size and fingerprint."""
    from restorable.provenance import fingerprint

    return {"size": (rgb.shape[1], rgb.shape[0]), "thumb": fingerprint(rgb)}


def model_for(
    photo: Photo, op: str | None, weights: Path | None, lossless: bool = False, conditioned: bool = False
) -> LoadedModel:
    """The network that can restore ``photo``: from its provenance, or ``op`` when that was stripped
    (then ``lossless`` and ``conditioned`` pick the weights apply uses for lossless files and for
    parameters off the defaults)."""
    record = photo.provenance
    if record is None and op is None:
        raise RecordError(
            "no restorable record in this file (was it re-saved by another program?)",
            Hint("--op NAME", "op=NAME", "restores it as that operator's result"),
        )
    if record is not None and op is not None and op != record.op:
        raise RecordError(f"this file was made with {record.op}, not {op}", Hint("leaving out --op", "op=None", "uses its record"))
    # The exact weights that made the file (by sha256), even when a newer version is the default.
    made_with = record.model_sha256 if record is not None and weights is None else None
    loaded = load_weights(op or record.op, weights, sha256=made_with, lossless=lossless, conditioned=conditioned)
    if record is not None and weights is None and record.model_sha256 != loaded.sha256:
        raise WeightsError(
            f"made with model {record.model_id}, but the installed {loaded.model_id} differs",
            Hint("--weights FILE", "weights=FILE", "with the original weights restores it"),
        )
    return loaded
