"""A session: networks loaded once, then apply and restore many photos with the same :class:`RunSettings`.

The CLI, the web page and the Ray job sit on this; :mod:`restorable.api` wraps it for single calls.
Each method takes a :class:`Photo` (``read_photo(path)``), a PIL image or a uint8 array, and returns the
same kind (a PIL result carries the record; notes of arrays and PIL images go to the ``restorable`` logger).

>>> session = Session(RunSettings(device="cpu"))
>>> processed = session.apply(read_photo("in.jpg"), "l0")
>>> original = session.restore(processed)
>>> arr = session.apply(np.asarray(Image.open("in.jpg")), "wls")
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Union

import numpy as np
import PIL.Image  # loaded with restorable.photo all the same; a real name, so that type hints resolve

from restorable import __version__
from restorable.device import resolve_device
from restorable.errors import ChangedImageError, Hint, RecordError, RestorableError
from restorable.luma import grey_uint8, with_channels
from restorable.networks import describe, model_for, model_on, network_for, ran_on  # noqa: F401  (model_on: tests)
from restorable.photo import Photo, as_photo, in_colour, like_input
from restorable.provenance import Original, Provenance
from restorable.settings import RunSettings
from restorable.transforms import checkpoint_family
from restorable.weights import LoadedModel, load_weights

# What the methods take and give back: a Photo, a PIL image or a uint8 array (the same kind back).
ImageLike = Union[Photo, PIL.Image.Image, np.ndarray]


class Session:
    """Apply and restore with one :class:`RunSettings`; networks are loaded once and kept per device."""

    def __init__(self, settings: RunSettings | None = None) -> None:
        if settings is not None and not isinstance(settings, RunSettings):
            raise RestorableError(
                f"Session takes a RunSettings, not {type(settings).__name__} (e.g. Session(RunSettings(device='cpu')))"
            )
        self.settings = settings or RunSettings()

    def network(self, loaded: LoadedModel):
        """(network, device it runs on): this device's torch copy, or the ONNX Runtime stand-in
        (exported once into the cache)."""
        return network_for(loaded, self.settings)

    def apply(
        self, photo: ImageLike, op: str, params: dict | None = None, mode: str = "learned", payload: bool = False,
        lossless: bool = False,
    ) -> ImageLike:
        """Process ``photo`` with restorable ``op``; the result carries its provenance.

        ``mode="learned"``: the network's output (``payload=True`` adds a refinement
        payload in the lowest bits, for PNG). ``mode="exact"``: the reference
        operator's exact result with the original coded in its 2 lowest bits (PNG only).
        ``lossless=True``: the result will be stored losslessly (PNG, TIFF): use the
        operator's lossless weights where it has them (a quieter hidden code that does
        not survive JPEG); by default the weights are the JPEG-robust ones.
        """
        from restorable.operators import get_operator, resolve_params

        if not isinstance(photo, Photo):
            return like_input(self.apply(as_photo(photo), op, params, mode, payload, lossless), photo)
        check_mode(mode, payload, op)
        spec = get_operator(op)
        if spec.inputs > 1:
            raise RestorableError(f"{op} packs {spec.inputs} images into one: use restorable pack (Session.pack)")
        values = resolve_params(spec, params)
        original = Original((photo.rgb.shape[1], photo.rgb.shape[0]), 1 if photo.rgb.ndim == 2 else 3, photo.orientation)
        ignored = [f"ignored its {photo.record_error}"] if photo.record_error else []
        before, kept = kept_record(photo)
        colour = in_colour(photo)
        photo = replace(colour, notes=[*colour.notes, *ignored, *kept])  # a copy: the caller's photo stays as it was
        record = {
            "op": op, "params": values, "tool_version": __version__, "family": spec.family, "original": original,
            "before": before,
        }
        if mode == "exact":
            return self._apply_exact(photo, record)
        return self._apply_learned(photo, record, payload, lossless)

    def _reference(self, photo: Photo, op: str, values: dict, run_device: str) -> np.ndarray:
        """The reference operator's result on the whole photo (in tiles when large), computed on ``run_device``."""
        from restorable.engine import reference_tiled
        from restorable.operators import run_operator

        run = lambda part: run_operator(op, part, values, run_device)  # noqa: E731
        return reference_tiled(run, photo.rgb, self.settings.tile, device=run_device)

    def _apply_exact(self, photo: Photo, record: dict) -> Photo:
        from restorable.payload.exact import embed_exact

        run_device = resolve_device(self.settings.device) if self.settings.backend == "torch" else "cpu"
        effect = self._reference(photo, record["op"], record["params"], run_device)
        carrier = embed_exact(effect, photo.rgb)
        provenance = Provenance(**record, model_id="", model_sha256="", mode="exact", payload=True, **describe(carrier))
        return Photo(carrier, photo.alpha, photo.icc_profile, photo.exif, provenance, photo.notes, "cpu", "exact effect + payload")

    def _apply_learned(self, photo: Photo, record: dict, payload: bool, lossless: bool) -> Photo:
        from restorable.engine import forward_image
        from restorable.weights.manifest import load_manifest

        op, tile, weights = record["op"], self.settings.tile, self.settings.weights
        # a conditioned network for a conditioned parameter off its default, where the manifest has one
        slider = moved_off_defaults(op, record["params"])
        loaded = load_weights(op, weights, lossless=lossless, conditioned=slider)
        net, run_device = self.network(loaded)
        net = bind_condition(net, loaded, record["params"])
        config = loaded.model.config
        record["family"] = checkpoint_family(loaded.metadata, config.carrier_channels)
        reference = None
        if config.aux == "reference":  # a colour network of a grey operator (bwp before 0.2) sees the grey in 3 channels
            reference = with_channels(self._reference(photo, op, record["params"], run_device), config.carrier_channels)
        processed = forward_image(net, photo.rgb, reference, device=run_device, tile=tile, graphs=True)
        method = "learned forward pass"
        if lossless and weights is None and op in load_manifest().lossless:
            method += " (invisible weights, for lossless files)"
        notes = photo.notes + untrained_params(loaded, record["params"])
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
        provenance = Provenance(**record, model_id=loaded.model_id, model_sha256=loaded.sha256, payload=payload, **describe(processed))
        alpha = resized_alpha(photo.alpha, processed, notes, "downscaled")
        result = Photo(processed, alpha, photo.icc_profile, photo.exif, provenance, notes, ran_on(net, run_device), method)
        if not loaded.metadata.get("train", {}).get("jpeg", True):
            result.lossless_only = f"the {op} weights ({loaded.model_id}) were trained without JPEG"
        return result

    def restore(
        self, photo: ImageLike, op: str | None = None, force: bool = False, lossless: bool = False, params: dict | None = None,
        one_step: bool = False,
    ) -> ImageLike:
        """Recover the original from a processed photo (its provenance names the model, mode and parameters).

        A photo processed more than once (its record holds the records it was made from) is restored through
        each effect back to the original; ``one_step=True`` undoes only the last one and gives the photo it
        was made from, with its record.

        Without a record (``op`` given), ``lossless=True`` restores with the weights
        `apply` uses for lossless files (a stripped PNG), else with the default ones;
        ``params`` are the operator parameters it was made with (default: the operator's defaults).
        With a record, ``params`` must agree with it.

        A photo whose pixels are not those its record was made for (resized, cropped,
        rotated, edited) is refused; ``force=True`` restores it with a note instead.

        Exact-mode files decode their payload; learned-mode files use their
        refinement payload when it is intact (and made for these weights) and the
        learned reverse pass otherwise. ``Photo.method`` of the result says which.
        A photo that was grey before processing comes back grey.
        """
        if not isinstance(photo, Photo):
            try:
                return like_input(self.restore(as_photo(photo), op, force, lossless, params, one_step), photo)
            except RecordError:  # an array has no record to be wrong (an exact-mode one restores without op=)
                if isinstance(photo, np.ndarray) and op is None:
                    raise RecordError(
                        "an array carries no record", Hint("--op NAME", "op=NAME", "names the operator that made it")
                    ) from None
                raise
        restored = self._restore_once(photo, op, force, lossless, params)
        effects = [photo.provenance.op if photo.provenance is not None else op]
        while not one_step and restored.provenance is not None and restored.provenance.family != "pack":
            effects.append(restored.provenance.op)
            restored = self._restore_once(restored, None, False, False, None, pinned=True)
        earlier = restored.provenance
        if earlier is not None:
            then = "restorable unpack gives its images" if earlier.family == "pack" else "restore it for the original"
            restored.notes.append(f"this gives back the {earlier.op} file it was made from: {then}")
        if len(effects) > 1:
            restored.notes.append(f"restored through the {len(effects)} effects it was made with ({', then '.join(reversed(effects))})")
        return restored

    def _restore_once(
        self, photo: Photo, op: str | None, force: bool, lossless: bool, params: dict | None, pinned: bool = False
    ) -> Photo:
        """Undo the last effect of ``photo`` (see :meth:`restore`); a result made from a processed file comes back
        as that file, with its record. ``pinned``: the record was just pinned to these pixels (not checked again)."""
        if op is not None:
            from restorable.operators import get_operator

            if get_operator(op).inputs > 1:
                raise RestorableError(f"{op} packs several images into one: restorable unpack (Session.unpack) gives them back")
        if photo.record_error and op is None:
            raise RecordError(photo.record_error, Hint("--op NAME", "op=NAME", "restores it without the record"))
        record = photo.provenance
        if record is not None and record.family == "pack":
            raise RecordError(f"a packed file of {record.inputs} images: restorable unpack (Session.unpack) gives them back")
        values = made_at(record, op, params)
        changed = record.check_pixels(photo.rgb) if record is not None and not pinned else None
        if changed and not force:
            raise ChangedImageError(
                f"not the image that was processed: {changed}", Hint("--force", "force=True", "restores it anyway, poorly")
            )
        notes = list(photo.notes) + ([f"restored anyway: {changed}"] if changed else [])
        restored = None
        if (record is None and photo.rgb.ndim == 3) or (record is not None and record.mode == "exact"):
            restored = _restore_exact(photo, recorded=record is not None)
        if restored is None:
            restored = self._restore_learned(photo, op, lossless, values, notes)
        if record is not None and record.original is not None:  # a rescaled photo comes back at its exact size
            width, height = record.original.size
            restored.rgb = restored.rgb[:height, :width]
        restored.alpha = resized_alpha(restored.alpha, restored.rgb, notes, "upscaled (it is not restored)")
        restored.notes = notes + restored.notes
        if record is not None and record.original is not None and record.original.channels == 1:
            restored.rgb = grey_uint8(restored.rgb)  # the original was a grey photo
        if record is not None and record.before is not None:  # it was made from a processed file: that one comes back
            # with its record, pinned to these pixels (a restoration, not the very ones it was made for)
            restored.provenance = replace(record.before, **describe(restored.rgb))
        return restored

    def _restore_learned(
        self, photo: Photo, op: str | None, lossless: bool, params: dict, notes: list[str]
    ) -> Photo:
        """The learned reverse pass (with the refinement payload when the file carries one) of a photo made at
        ``params``; adds to ``notes``."""
        from restorable.engine import reverse_image

        record = photo.provenance
        # without a record, the weights apply takes for these parameters (a conditioned network off the defaults)
        slider = record is None and op is not None and moved_off_defaults(op, params)
        loaded = model_for(photo, op, self.settings.weights, lossless, conditioned=slider)
        if record is None:
            notes.append(_without_record(op, params, loaded, lossless, self.settings.weights is None))
            notes += untrained_params(loaded, params)
        photo, converted = carrier_channels(photo, loaded.model.config.carrier_channels)
        notes += converted
        net, run_device = self.network(loaded)
        net = bind_condition(net, loaded, params)

        def reverse(image):
            return reverse_image(net, image, device=run_device, tile=self.settings.tile, graphs=True)

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
        return Photo(restored, photo.alpha, photo.icc_profile, photo.exif, None, [], ran_on(net, run_device), method)


    def pack(self, photos: list[ImageLike], names: list[str], lossless: bool = False) -> ImageLike:
        """One photo that looks like ``photos[0]`` and holds all of them (2 to 4, one size); ``names`` are their
        file names, which :meth:`unpack` gives back; ``lossless=True`` when it will be stored losslessly (PNG,
        TIFF): the network's lossless weights where it has them. See :mod:`restorable.packing`."""
        from restorable.packing import pack_photos

        if not isinstance(photos, (list, tuple)) or not photos:
            raise RestorableError("pack takes a list of 2 to 4 images")
        if not all(isinstance(p, Photo) for p in photos):
            return like_input(self.pack([as_photo(p) for p in photos], names, lossless), photos[0])
        return pack_photos(self.settings, list(photos), names, lossless)

    def unpack(self, photo: ImageLike, force: bool = False, op: str | None = None) -> list[tuple[str, ImageLike]]:
        """The (file name, photo) pairs a packed photo holds, in the order they were packed; ``op`` (pack-N) for
        one without a record (its images come back as image-1.png, ...)."""
        from restorable.packing import unpack_photo

        if isinstance(photo, np.ndarray) and op is None:
            raise RecordError("an array carries no record: op='pack-2' (or 'pack-3', 'pack-4') names the network that packed it")
        if not isinstance(photo, Photo):
            return [(name, like_input(part, photo)) for name, part in self.unpack(as_photo(photo), force, op)]
        return unpack_photo(self.settings, photo, force, op)


def resized_alpha(alpha: np.ndarray | None, image: np.ndarray, notes: list[str], how: str) -> np.ndarray | None:
    """``alpha`` (H, W) resized (Lanczos) to ``image``'s size when a rescaling changed it; says so in ``notes``."""
    if alpha is None or alpha.shape == image.shape[:2]:
        return alpha
    notes.append(f"transparency {how}")
    resized = PIL.Image.fromarray(alpha).resize((image.shape[1], image.shape[0]), PIL.Image.LANCZOS)
    return np.asarray(resized)


MODES = ("learned", "exact")


def check_mode(mode: str, payload: bool, op: str | None = None) -> None:
    """Raise the one-line error for an unknown ``mode``, a payload asked of exact mode, or a payload
    asked of operator ``op`` whose family carries none (payloads live in colour effects)."""
    from restorable.operators import get_operator

    if mode not in MODES:
        raise RestorableError(f"unknown mode {mode!r} (use learned or exact)")
    if mode == "exact" and payload:
        raise RestorableError("a refinement payload is for the learned mode (exact mode always carries its payload)")
    family = get_operator(op).family if op is not None else "effect"
    if family != "effect" and (mode == "exact" or payload):
        raise RestorableError(f"{op} makes a {family} image: exact mode and refinement payloads are for colour effects")


def untrained_params(loaded: LoadedModel, values: dict) -> list[str]:
    """A note when ``values`` are not the operator parameters the weights were trained for (a conditioned
    network's conditioned parameters may take any value of their range)."""
    trained = loaded.metadata.get("params") or {}
    free = {str(axis.get("name")) for axis in loaded.metadata.get("condition") or [] if isinstance(axis, dict)}
    differ = {
        k: v for k, v in values.items() if k in trained and k not in free and not math.isclose(float(v), float(trained[k]))
    }
    if not differ:
        return []
    asked = _listed(differ)
    learned = _listed({k: trained[k] for k in differ})
    if free:
        return [f"the {loaded.model_id} weights follow {', '.join(sorted(free))} but were trained for {learned},"
                f" not {asked}: effect and restoration may be poorer"]
    return [f"the {loaded.model_id} weights were trained for {learned}, not {asked}: effect and restoration may be poorer"]


SPOKEN_WITH_A_VOWEL = ("l0", "llf", "rgf", "rtv")  # "an l0 result"


def _without_record(op: str, params: dict, loaded: LoadedModel, lossless: bool, installed: bool) -> str:
    """The note of a restore without a record: as what it was restored, and what else it could have been."""
    from restorable.operators import get_operator
    from restorable.weights.manifest import load_manifest

    spec = get_operator(op)
    made = f"{'an' if op[0] in 'aeiou' or op in SPOKEN_WITH_A_VOWEL else 'a'} {op} result"
    if params:
        made += f" made at {'the defaults ' if params == spec.defaults else ''}{_listed(params)}"
    others = ["--param / params= if it was made at others"] if spec.params else []
    if installed and op in load_manifest().lossless:
        others.append("--robust / lossless=False if it was made for JPEG" if lossless else "--invisible / lossless=True if it was made for PNG")
    tail = f"; {', '.join(others)}" if others else ""
    return f"no restorable record: restored as {made} (weights {loaded.model_id}), which nothing can check{tail}"


def kept_record(photo: Photo) -> tuple[Provenance | None, list[str]]:
    """The record of ``photo``, which a result made from it keeps (restore gives the photo back with it), and a
    note when it is not kept: the pixels were changed since it was made, or it holds as many as it may."""
    from restorable.provenance import MAX_BEFORE, MAX_RECORD_BYTES

    record = photo.provenance
    if record is None:
        return None, []
    changed = record.check_pixels(photo.rgb)
    if changed:
        return None, [f"its record ({record.op}) was not kept: {changed}"]
    if record.depth > MAX_BEFORE:  # the new record would hold more records than a file may
        return None, [f"its record ({record.op}) was not kept: it was processed {record.depth} times already"]
    if len(record.to_json()) > MAX_RECORD_BYTES // 2:  # a packed file's, with its images' metadata
        return None, [f"its record ({record.op}) was not kept: too large to hold inside another"]
    if record.family == "pack":  # an effect over the packed file wipes most of what hides the others
        return record, ["a packed file: its other images come back poorly through an effect (unpack it first)"]
    return record, []


def made_at(record: Provenance | None, op: str | None, params: dict | None) -> dict:
    """The operator parameters a photo was made at: its record's (``params``, when given, must agree), else
    ``params`` over ``op``'s defaults."""
    from restorable.operators import get_operator, resolve_params

    if record is None:
        return resolve_params(get_operator(op), params) if op is not None else {}
    if params:
        asked = resolve_params(get_operator(record.op), params)
        differ = {k: v for k, v in asked.items() if k in params and not math.isclose(float(v), float(record.params.get(k, v)))}
        if differ:
            made = _listed({k: record.params[k] for k in differ})
            raise RecordError(
                f"this file was made at {made}, not {_listed(differ)}",
                Hint("leaving out --param", "params=None", "uses its record"),
            )
    return dict(record.params)


def _listed(params: dict) -> str:
    return ", ".join(f"{k}={float(v):g}" for k, v in params.items())


def moved_off_defaults(op: str, params: dict) -> bool:
    """Whether a conditioned parameter of ``op`` is set away from its default (then `apply` takes the
    operator's conditioned network, where the manifest names one)."""
    from restorable.operators import get_operator

    spec = get_operator(op)
    return any(not math.isclose(float(params[k]), float(spec.defaults[k])) for k in spec.conditioned if k in params)


def bind_condition(net, loaded: LoadedModel, params: dict):
    """``net`` (this device's copy of ``loaded``) with the condition of ``params`` bound when ``loaded`` is a
    conditioned network; the network itself otherwise."""
    if not loaded.model.config.cond_channels:
        return net
    from restorable.model.condition import BoundCondition
    from restorable.operators.condition import checkpoint_condition

    c = checkpoint_condition(loaded.metadata, params)
    return net.bound(c) if hasattr(net, "bound") else BoundCondition(net, c)


def _restore_exact(photo: Photo, recorded: bool) -> Photo | None:
    """The original from an exact-mode payload. ``recorded``: the provenance says exact mode;
    without provenance, None when the pixels carry no exact payload at all."""
    from restorable.payload.exact import restore_exact
    from restorable.payload.header import PayloadMissing

    try:
        original = restore_exact(photo.rgb)
    except PayloadMissing as exc:
        if recorded:
            raise RecordError(
                f"exact-mode file without an intact payload ({exc}): it cannot be restored "
                "(exact mode survives only lossless copies; use the learned mode for files that get re-encoded)"
            ) from None
        if str(exc) == "no payload":
            return None
        raise RestorableError(f"this file carries {exc}: it cannot be restored") from None
    return Photo(original, photo.alpha, photo.icc_profile, photo.exif, None, [], "cpu", "exact payload")


def carrier_channels(photo: Photo, channels: int) -> tuple[Photo, list[str]]:
    """``photo`` with the ``channels`` (3 or 1) a network restores from, and a note when it had to be converted.

    A grey image saved again in colour (3 equal channels) gives back its grey, a
    colour effect saved as grey is restored from its 3 equal channels (poorly).
    """
    if channels == 1 and photo.rgb.ndim == 3:
        return replace(photo, rgb=grey_uint8(photo.rgb)), ["a grey image stored in colour: restored from its grey"]
    if channels == 3 and photo.rgb.ndim == 2:
        return replace(in_colour(photo), notes=list(photo.notes)), ["a colour effect stored as grey: its colour is lost"]
    return photo, []


