"""The Python API: apply a restorable effect, restore the original.

>>> import restorable
>>> processed = restorable.apply(Image.open("in.jpg"), op="l0")   # PIL in, PIL out
>>> processed.save("out.png", pnginfo=restorable.pnginfo(processed))
>>> original = restorable.restore(Image.open("out.png"))          # reads the provenance
>>> arr = restorable.apply(np_uint8_rgb, op="wls")                 # numpy (H, W, 3) uint8 in and out

Files processed through the CLI or :func:`apply_file` carry their provenance;
for a bare array, ``restore`` needs ``op=``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from restorable import __version__
from restorable.errors import RestorableError
from restorable.photo import Photo, photo_from_pil, photo_to_pil
from restorable.provenance import Provenance
from restorable.weights import LoadedModel, load_weights


def _as_photo(image) -> Photo:
    from PIL import Image

    if isinstance(image, Image.Image):
        return photo_from_pil(image)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise RestorableError(f"expected a uint8 array, got {image.dtype}")
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise RestorableError(f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got {image.shape}")
        alpha = image[..., 3].copy() if image.shape[2] == 4 else None
        return Photo(rgb=np.ascontiguousarray(image[..., :3]), alpha=alpha)
    raise RestorableError(f"expected a PIL image or a numpy array, got {type(image).__name__}")


def _like_input(photo: Photo, image):
    if isinstance(image, np.ndarray):
        return photo.rgb if photo.alpha is None else np.dstack([photo.rgb, photo.alpha])
    img = photo_to_pil(photo)
    if photo.provenance is not None:
        img.info["restorable"] = photo.provenance.to_json()
    if photo.icc_profile:
        img.info["icc_profile"] = photo.icc_profile
    return img


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RestorableError("--device cuda: no CUDA device is available to torch")
    if name not in ("cpu", "cuda"):
        raise RestorableError(f"unknown device {name!r} (use auto, cpu or cuda)")
    return name


def network(loaded: LoadedModel, backend: str, device: str):
    """The torch network of ``loaded``, or its ONNX Runtime stand-in (exported once into the cache)."""
    if backend == "torch":
        return loaded.model, _device(device)
    if backend != "onnx":
        raise RestorableError(f"unknown backend {backend!r} (use torch or onnx)")
    from restorable.onnx_backend import OnnxNetwork, export_onnx
    from restorable.paths import cache_dir

    folder = cache_dir() / "onnx" / loaded.sha256
    if not (folder / "reverse.onnx").exists():
        export_onnx(loaded.model, folder)
    return OnnxNetwork(folder, loaded.model.config, device), "cpu"


def _ran_on(net, device: str) -> str:
    provider = getattr(net, "provider", None)
    return f"onnxruntime {provider}" if provider else f"torch {device}"


def apply_photo(
    photo: Photo,
    op: str,
    params: dict | None = None,
    weights: Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    backend: str = "torch",
) -> Photo:
    """Process ``photo`` with the learned restorable ``op``; the result carries its provenance."""
    from restorable.engine import forward_image
    from restorable.operators import get_operator, resolve_params

    values = resolve_params(get_operator(op), params)
    loaded = load_weights(op, weights)
    reference = None
    if loaded.model.config.aux == "reference":
        from restorable.engine import reference_tiled
        from restorable.operators import run_operator

        reference = reference_tiled(lambda part: run_operator(op, part, values), photo.rgb, tile)
    net, run_device = network(loaded, backend, device)
    processed = forward_image(net, photo.rgb, reference, device=run_device, tile=tile)
    provenance = Provenance(op, values, loaded.model_id, loaded.sha256, __version__)
    return Photo(processed, photo.alpha, photo.icc_profile, photo.exif, provenance, list(photo.notes), _ran_on(net, run_device))


def model_for(photo: Photo, op: str | None, weights: Path | None) -> LoadedModel:
    """The network that can restore ``photo``: from its provenance, or ``op`` when that was stripped."""
    record = photo.provenance
    if record is None and op is None:
        raise RestorableError("no restorable record in this file (was it re-saved by another program?): pass --op NAME")
    # The exact weights that made the file (by sha256), even when a newer version is the default.
    made_with = record.model_sha256 if record is not None and weights is None and (op in (None, record.op)) else None
    loaded = load_weights(op or record.op, weights, sha256=made_with)
    if record is not None and weights is None and record.model_sha256 != loaded.sha256:
        raise RestorableError(
            f"made with model {record.model_id}, but the installed {loaded.model_id} differs: pass --weights with the original"
        )
    return loaded


def restore_photo(
    photo: Photo,
    op: str | None = None,
    weights: Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    backend: str = "torch",
) -> Photo:
    """Recover the original from a processed photo (its provenance names the model)."""
    from restorable.engine import reverse_image

    net, run_device = network(model_for(photo, op, weights), backend, device)
    restored = reverse_image(net, photo.rgb, device=run_device, tile=tile)
    return Photo(restored, photo.alpha, photo.icc_profile, photo.exif, None, list(photo.notes), _ran_on(net, run_device))


def apply(image, op: str, params: dict | None = None, weights: Path | None = None, device: str = "auto"):
    """Apply restorable ``op`` to a PIL image or uint8 numpy array; returns the same kind."""
    return _like_input(apply_photo(_as_photo(image), op, params, weights, device), image)


def restore(image, op: str | None = None, weights: Path | None = None, device: str = "auto"):
    """Restore the original of a processed PIL image or array (``op`` needed when it carries no provenance)."""
    return _like_input(restore_photo(_as_photo(image), op, weights, device), image)


def pnginfo(image):
    """A ``PngInfo`` carrying the provenance of an image returned by :func:`apply`, for ``image.save``."""
    from restorable.provenance import save_options

    record = image.info.get("restorable")
    return save_options("PNG", Provenance.from_json(record) if record else None).get("pnginfo")
