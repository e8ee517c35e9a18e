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

import math
from pathlib import Path

import numpy as np

from restorable import __version__
from restorable.device import resolve_device
from restorable.errors import RestorableError
from restorable.limits import check_tile
from restorable.photo import Photo, in_colour, photo_from_pil, photo_to_pil
from restorable.provenance import Original, Provenance
from restorable.weights import LoadedModel, load_weights


def _as_photo(image) -> Photo:
    from PIL import Image

    if isinstance(image, Image.Image):
        return photo_from_pil(image)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise RestorableError(f"expected a uint8 array, got {image.dtype}")
        if image.ndim == 2:  # grey: kept (a restorable grey image), or converted where an effect needs colour
            return Photo(rgb=np.ascontiguousarray(image))
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


def network(loaded: LoadedModel, backend: str, device: str):
    """The torch network of ``loaded``, or its ONNX Runtime stand-in (exported once into the cache)."""
    if backend == "torch":
        return loaded.model, resolve_device(device)
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


MODES = ("learned", "exact")


def check_mode(mode: str, payload: bool) -> None:
    """Raise the one-line error for an unknown ``mode`` or a payload asked of exact mode."""
    if mode not in MODES:
        raise RestorableError(f"unknown mode {mode!r} (use learned or exact)")
    if mode == "exact" and payload:
        raise RestorableError("--payload is for the learned mode (exact mode always carries its payload)")


def apply_photo(
    photo: Photo,
    op: str,
    params: dict | None = None,
    weights: Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    backend: str = "torch",
    mode: str = "learned",
    payload: bool = False,
    lossless: bool = False,
) -> Photo:
    """Process ``photo`` with restorable ``op``; the result carries its provenance.

    ``mode="learned"``: the network's output (``payload=True`` adds a refinement
    payload in the lowest bits, for PNG). ``mode="exact"``: the reference
    operator's exact result with the original coded in its 2 lowest bits (PNG only).
    ``lossless=True``: the result will be stored losslessly (PNG, TIFF): use the
    operator's lossless weights where it has them (a quieter hidden code that does
    not survive JPEG); by default the weights are the JPEG-robust ones.
    """
    from restorable.engine import reference_tiled
    from restorable.operators import get_operator, resolve_params, run_operator

    check_mode(mode, payload)
    check_tile(tile)
    spec = get_operator(op)
    values = resolve_params(spec, params)
    if spec.family != "effect" and (mode == "exact" or payload):
        raise RestorableError(f"{op} makes a {spec.family} image: --mode exact and --payload are for colour effects")
    original = Original((photo.rgb.shape[1], photo.rgb.shape[0]), 1 if photo.rgb.ndim == 2 else 3, photo.orientation)
    photo = in_colour(photo)
    notes = list(photo.notes) + ([f"ignored its {photo.record_error}"] if photo.record_error else [])
    record = {"family": spec.family, "original": original}

    def reference_on(run_device: str):
        """The reference operator's result on the whole photo, computed on ``run_device``."""
        return reference_tiled(lambda part: run_operator(op, part, values, run_device), photo.rgb, tile, device=run_device)

    if mode == "exact":
        from restorable.payload.exact import embed_exact

        effect = reference_on(resolve_device(device) if backend == "torch" else "cpu")
        carrier = embed_exact(effect, photo.rgb)
        provenance = Provenance(op, values, "", "", __version__, mode="exact", payload=True, **describe(carrier), **record)
        return Photo(carrier, photo.alpha, photo.icc_profile, photo.exif, provenance, notes, "cpu", "exact effect + payload")
    from restorable.engine import forward_image

    loaded = load_weights(op, weights, lossless=lossless)
    net, run_device = network(loaded, backend, device)
    record["family"] = weights_family(loaded)
    reference = reference_on(run_device) if loaded.model.config.aux == "reference" else None
    if reference is not None and reference.ndim == 2 and loaded.model.config.carrier_channels == 3:
        reference = np.repeat(reference[..., None], 3, axis=2)  # a colour network of a grey operator (bwp before 0.2)
    processed = forward_image(net, photo.rgb, reference, device=run_device, tile=tile, graphs=True)
    method = "learned forward pass"
    from restorable.weights.manifest import load_manifest

    if lossless and weights is None and op in load_manifest().lossless:
        method += " (invisible weights, for lossless files)"
    notes += untrained_params(loaded, values)
    if payload:
        from restorable.engine import reverse_image
        from restorable.payload.refine import embed_refinement

        try:
            processed = embed_refinement(
                processed, photo.rgb, lambda img: reverse_image(net, img, run_device, tile, graphs=True), loaded.sha256
            )
            method += " + refinement payload"
        except RestorableError as exc:  # e.g. too small to carry one: the payload is optional
            payload = False
            notes.append(f"no refinement payload ({exc})")
    provenance = Provenance(
        op, values, loaded.model_id, loaded.sha256, __version__, payload=payload, **describe(processed), **record
    )
    ran_on = _ran_on(net, run_device)
    result = Photo(processed, photo.alpha, photo.icc_profile, photo.exif, provenance, notes, ran_on, method)
    if not loaded.metadata.get("train", {}).get("jpeg", True):
        result.lossless_only = f"the {op} weights ({loaded.model_id}) were trained without JPEG"
    return result


def weights_family(loaded: LoadedModel) -> str:
    """The transform family of a network: as its checkpoint says (those before families were effects)."""
    return loaded.metadata.get("family", "effect")


def untrained_params(loaded: LoadedModel, values: dict) -> list[str]:
    """A note when ``values`` are not the operator parameters the weights were trained for."""
    trained = loaded.metadata.get("params") or {}
    differ = {k: v for k, v in values.items() if k in trained and not math.isclose(float(v), float(trained[k]))}
    if not differ:
        return []
    asked = ", ".join(f"{k}={v:g}" for k, v in differ.items())
    learned = ", ".join(f"{k}={trained[k]:g}" for k in differ)
    return [f"the {loaded.model_id} weights were trained for {learned}, not {asked}: effect and restoration may be poorer"]


def describe(rgb: np.ndarray) -> dict:
    """The record fields that pin down the processed pixels ((H, W, 3) or grey (H, W)): their size and fingerprint."""
    from restorable.provenance import fingerprint

    return {"size": (rgb.shape[1], rgb.shape[0]), "thumb": fingerprint(rgb)}


def model_for(photo: Photo, op: str | None, weights: Path | None, lossless: bool = False) -> LoadedModel:
    """The network that can restore ``photo``: from its provenance, or ``op`` when that was stripped
    (then ``lossless`` picks the weights apply uses for lossless files, as for a PNG)."""
    record = photo.provenance
    if record is None and op is None:
        raise RestorableError("no restorable record in this file (was it re-saved by another program?): pass --op NAME")
    if record is not None and op is not None and op != record.op:
        raise RestorableError(f"this file was made with {record.op}, not {op}: leave out --op")
    # The exact weights that made the file (by sha256), even when a newer version is the default.
    made_with = record.model_sha256 if record is not None and weights is None else None
    loaded = load_weights(op or record.op, weights, sha256=made_with, lossless=lossless)
    if record is not None and weights is None and record.model_sha256 != loaded.sha256:
        raise RestorableError(
            f"made with model {record.model_id}, but the installed {loaded.model_id} differs: pass --weights with the original"
        )
    return loaded


def _restore_exact(photo: Photo, recorded: bool) -> Photo | None:
    """The original from an exact-mode payload. ``recorded``: the provenance says exact mode;
    without provenance, None when the pixels carry no exact payload at all."""
    from restorable.payload.exact import restore_exact
    from restorable.payload.header import PayloadMissing

    try:
        original = restore_exact(photo.rgb)
    except PayloadMissing as exc:
        if recorded:
            raise RestorableError(
                f"exact-mode file without an intact payload ({exc}): it cannot be restored "
                "(exact mode survives only lossless copies; use the learned mode for files that get re-encoded)"
            ) from None
        if str(exc) == "no payload":
            return None
        raise RestorableError(f"this file carries {exc}: it cannot be restored") from None
    return Photo(original, photo.alpha, photo.icc_profile, photo.exif, None, list(photo.notes), "cpu", "exact payload")


def restore_photo(
    photo: Photo,
    op: str | None = None,
    weights: Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    backend: str = "torch",
    force: bool = False,
    lossless: bool = False,
) -> Photo:
    """Recover the original from a processed photo (its provenance names the model and mode).

    Without a record (``op`` given), ``lossless=True`` restores with the weights
    `apply` uses for lossless files (a stripped PNG), else with the default ones.

    A photo whose pixels are not those its record was made for (resized, cropped,
    rotated, edited) is refused; ``force=True`` restores it with a note instead.

    Exact-mode files decode their payload; learned-mode files use their
    refinement payload when it is intact (and made for these weights) and the
    learned reverse pass otherwise. ``Photo.method`` of the result says which.
    """
    from restorable.engine import reverse_image

    check_tile(tile)
    if photo.record_error and op is None:
        raise RestorableError(f"{photo.record_error}: pass --op NAME to restore it without the record")
    record = photo.provenance
    changed = record.check_pixels(photo.rgb) if record is not None else None
    if changed and not force:
        raise RestorableError(f"not the image that was processed: {changed} (--force restores it anyway, poorly)")
    notes = list(photo.notes) + ([f"restored anyway: {changed}"] if changed else [])
    if (record is None and photo.rgb.ndim == 3) or (record is not None and record.mode == "exact"):
        exact = _restore_exact(photo, recorded=record is not None)
        if exact is not None:
            exact.notes = notes
            return exact
    loaded = model_for(photo, op, weights, lossless)
    if record is None:
        notes.append(f"no restorable record: restored as a {op} result (weights {loaded.model_id}), which nothing can check")
    photo, converted = carrier_channels(photo, loaded.model.config.carrier_channels)
    notes += converted
    net, run_device = network(loaded, backend, device)

    def reverse(image):
        return reverse_image(net, image, device=run_device, tile=tile, graphs=True)

    method = "learned reverse pass"
    restored = None
    if (record is None and photo.rgb.ndim == 3) or (record is not None and record.payload):
        from restorable.payload.header import PayloadMissing
        from restorable.payload.refine import restore_refined

        try:
            restored = restore_refined(photo.rgb, reverse, loaded.sha256)
            method = "learned reverse pass + refinement payload"
        except PayloadMissing as exc:
            if record is not None or str(exc) != "no payload":
                method = f"learned reverse pass (the refinement payload is unusable: {exc})"
    if restored is None:
        restored = reverse(photo.rgb)
    if record is not None and record.original is not None and record.original.channels == 1:
        from restorable.luma import luma

        restored = np.clip(np.rint(luma(restored)), 0, 255).astype(np.uint8)  # the original was a grey photo
    return Photo(restored, photo.alpha, photo.icc_profile, photo.exif, None, notes, _ran_on(net, run_device), method)


def carrier_channels(photo: Photo, channels: int) -> tuple[Photo, list[str]]:
    """``photo`` with the ``channels`` (3 or 1) a network restores from, and a note when it had to be converted.

    A grey image saved again in colour (3 equal channels) gives back its grey, a
    colour effect saved as grey is restored from its 3 equal channels (poorly).
    """
    from dataclasses import replace

    if channels == 1 and photo.rgb.ndim == 3:
        from restorable.luma import luma

        grey = np.clip(np.rint(luma(photo.rgb)), 0, 255).astype(np.uint8)
        return replace(photo, rgb=grey), ["a grey image stored in colour: restored from its grey"]
    if channels == 3 and photo.rgb.ndim == 2:
        return replace(in_colour(photo), notes=list(photo.notes)), ["a colour effect stored as grey: its colour is lost"]
    return photo, []


def apply(
    image, op: str, params: dict | None = None, weights: Path | None = None, device: str = "auto",
    mode: str = "learned", payload: bool = False, lossless: bool = False,
):
    """Apply restorable ``op`` to a PIL image or uint8 numpy array; returns the same kind.

    A result of ``mode="exact"``, ``payload=True`` or ``lossless=True`` (the operator's
    quieter weights for lossless files, where it has them) must be kept losslessly
    (PNG, or the array itself).
    """
    return _like_input(
        apply_photo(_as_photo(image), op, params, weights, device, mode=mode, payload=payload, lossless=lossless), image
    )


def restore(image, op: str | None = None, weights: Path | None = None, device: str = "auto", lossless: bool = False):
    """Restore the original of a processed PIL image or array (``op`` needed when it carries no provenance;
    ``lossless=True`` when it was applied with ``lossless=True``)."""
    return _like_input(restore_photo(_as_photo(image), op, weights, device, lossless=lossless), image)


def pnginfo(image):
    """A ``PngInfo`` carrying the provenance of an image returned by :func:`apply`, for ``image.save``."""
    from restorable.provenance import save_options

    record = image.info.get("restorable")
    return save_options("PNG", Provenance.from_json(record) if record else None).get("pnginfo")
