"""Running a reference operator on any 8-bit or float image."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

import numpy as np

from restorable.errors import RestorableError
from restorable.luma import luma, with_channels
from restorable.operators.params import resolve_params
from restorable.operators.registry import OPERATORS, OperatorSpec


def get_operator(name: str) -> OperatorSpec:
    """The registry entry of ``name``, or a clear error listing the known names."""
    try:
        return OPERATORS[name]
    except (KeyError, TypeError):
        import difflib

        close = difflib.get_close_matches(str(name).lower(), OPERATORS, n=1, cutoff=0.6)
        guess = f"did you mean {close[0]!r}? " if close else ""
        effects = [key for key, spec in OPERATORS.items() if spec.inputs == 1]
        packers = [key for key, spec in OPERATORS.items() if spec.inputs > 1]
        known = f"known: {', '.join(effects)}" + (f"; {', '.join(packers)} for pack/unpack" if packers else "")
        raise RestorableError(f"unknown operator {name!r} ({guess}{known})") from None


def _implementation(spec: OperatorSpec) -> Callable[..., np.ndarray]:
    module_name, func_name = spec.entry.split(":")
    try:
        module = importlib.import_module(f"restorable.operators.{module_name}")
    except ImportError as exc:
        raise RestorableError(
            f"operator {spec.name!r} needs the 'train' extra ({exc.name} is missing): "
            "pip install 'restorable[train]'"
        ) from None
    return getattr(module, func_name)


def run_operator(
    name: str, image: np.ndarray, params: Mapping[str, object] | None = None, device: str = "cpu"
) -> np.ndarray:
    """Apply reference operator ``name`` to ``image``.

    Args:
        image: (H, W) grey or (H, W, 3) RGB, uint8 in 0..255 or float32 in [0, 1].
        params: overrides of the operator's default parameters.
        device: ``"cuda"`` runs operators with ``on_device`` in torch on the GPU (the same
            result within ~1e-3 on [0, 1]); the others, and ``"cpu"``, run the reference code.

    Returns:
        An array of the input's dtype: (H, W, 3) for colour effects, (H, W) for
        grey ones (``output_channels == 1``). Grey input is processed as RGB
        and returned as its luma.
    """
    spec = get_operator(name)
    values = resolve_params(spec, params)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise RestorableError(f"expected an (H, W) or (H, W, 3) image, got shape {image.shape}")
    if image.dtype not in (np.uint8, np.float32):
        raise RestorableError(f"expected uint8 or float32 pixels, got {image.dtype}")
    if min(image.shape[:2]) < 1:
        raise RestorableError("the image is empty")
    rgb = with_channels(image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image.astype(np.float32), 3)
    on_device = {"device": device} if spec.on_device and device != "cpu" else {}
    out = _implementation(spec)(np.ascontiguousarray(rgb), **values, **spec.fixed, **on_device)
    out = np.clip(out.astype(np.float32), 0.0, 1.0)
    if image.ndim == 2 and out.ndim == 3:
        out = luma(out)
    if image.dtype == np.uint8:
        return np.rint(out * 255.0).astype(np.uint8)
    return out
