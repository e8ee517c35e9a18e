"""The Python API: apply a restorable effect, restore the original.

>>> import restorable
>>> processed = restorable.apply(Image.open("in.jpg"), op="l0")   # PIL in, PIL out
>>> restorable.save(processed, "out.jpg", quality=90)                # with its record (any format)
>>> original = restorable.restore(Image.open("out.png"))          # reads the provenance
>>> arr = restorable.apply(np_uint8_rgb, op="wls")                 # numpy (H, W, 3) uint8 in and out
>>> packed = restorable.pack([left, right], names=["left.jpg", "right.jpg"])  # looks like left, holds both
>>> [(name, image), ...] = restorable.unpack(packed)

Files written by the CLI or :func:`save` carry their record; for a bare array, ``restore`` needs ``op=``.
``device``, ``tile``, ``backend`` and ``weights`` are those of :class:`~restorable.settings.RunSettings`.
:class:`~restorable.session.Session` does the same with its networks loaded once, for many photos.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from restorable.errors import RestorableError
from restorable.limits import check_quality
from restorable.atomic import atomic_write
from restorable.photo import Photo, as_photo, encode_photo, read_photo
from restorable.provenance import Provenance
from restorable.session import ImageLike, Session, check_mode, untrained_params
from restorable.settings import RunSettings

__all__ = [
    "Photo", "RunSettings", "Session", "apply", "apply_photo", "check_mode", "ops", "pack", "pnginfo", "read_photo",
    "restore", "restore_photo", "save", "unpack", "untrained_params",
]


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
    """:meth:`Session.apply` for one call (see there); networks stay loaded between calls all the same."""
    return Session(RunSettings(device, backend, tile, weights)).apply(photo, op, params, mode, payload, lossless)


def restore_photo(
    photo: Photo,
    op: str | None = None,
    weights: Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    backend: str = "torch",
    force: bool = False,
    lossless: bool = False,
    params: dict | None = None,
    one_step: bool = False,
) -> Photo:
    """:meth:`Session.restore` for one call (see there)."""
    return Session(RunSettings(device, backend, tile, weights)).restore(photo, op, force, lossless, params, one_step)


def apply(
    image: ImageLike, op: str, params: dict | None = None, weights: Path | None = None, device: str = "auto",
    mode: str = "learned", payload: bool = False, lossless: bool = False, tile: int | None = None, backend: str = "torch",
) -> ImageLike:
    """Apply restorable ``op`` to a PIL image or uint8 numpy array ((H, W), (H, W, 3) or (H, W, 4)); returns the
    same kind (a PIL result carries the record: keep it with :func:`save` or :func:`pnginfo`).

    A result of ``mode="exact"``, ``payload=True`` or ``lossless=True`` (the operator's
    quieter weights for lossless files, where it has them) must be kept losslessly
    (PNG, or the array itself). Notes (e.g. weights trained for other parameters) go to the
    ``restorable`` logger as warnings.
    """
    return Session(RunSettings(device, backend, tile, weights)).apply(image, op, params, mode, payload, lossless)


def restore(
    image: ImageLike, op: str | None = None, weights: Path | None = None, device: str = "auto", lossless: bool = False,
    force: bool = False, params: dict | None = None, one_step: bool = False, tile: int | None = None, backend: str = "torch",
) -> ImageLike:
    """Restore the original of a processed PIL image or array (``op`` needed when it carries no record, and
    ``params`` when it was made at other than the defaults; ``lossless=True`` when it was applied with
    ``lossless=True``; ``force=True`` restores an image changed since it was processed, poorly, instead of
    raising :class:`~restorable.errors.ChangedImageError`). An image processed more than once comes back as the
    original; ``one_step=True`` undoes only its last effect.

    An array carries no record, so what a PIL image's record restores exactly comes back as the network
    gives it: a grey (H, W) array as (H, W, 3) (take one channel), and an odd-sized rescale-2x/4x original
    at the next multiple of 2/4 (crop it to its size)."""
    return Session(RunSettings(device, backend, tile, weights)).restore(image, op, force, lossless, params, one_step)


def pack(
    images: list[ImageLike], names: list[str] | None = None, weights: Path | None = None, device: str = "auto",
    lossless: bool = False, tile: int | None = None, backend: str = "torch",
) -> ImageLike:
    """Pack 2 to 4 PIL images or uint8 arrays of one size into one that looks like the first; returns the
    first's kind (a PIL result carries the record: keep it with :func:`save`). ``names``: the file names
    :func:`unpack` gives back (default ``image-1.png``, ...; without folders; a repeated one gets ``-2``);
    ``lossless=True``: the result will be kept losslessly (PNG, or the array itself), which the network's
    lossless weights need."""
    if not isinstance(images, (list, tuple)) or not images:
        raise RestorableError("pack takes a list of 2 to 4 images")
    names = list(names) if names is not None else [f"image-{i}.png" for i in range(1, len(images) + 1)]
    return Session(RunSettings(device, backend, tile, weights)).pack(list(images), names, lossless)


def unpack(
    image: ImageLike, op: str | None = None, weights: Path | None = None, device: str = "auto", force: bool = False,
    tile: int | None = None, backend: str = "torch",
) -> list[tuple[str, ImageLike]]:
    """The (name, image) pairs a packed PIL image or array holds, in the order they were packed, each of the
    packed image's kind. An array carries no record: ``op`` (``pack-2`` ... ``pack-4``) names the network.
    ``force=True`` unpacks an image changed since it was packed, poorly."""
    return Session(RunSettings(device, backend, tile, weights)).unpack(image, force, op)


def save(
    image: ImageLike, path: str | Path, quality: int = 95, original: ImageLike | None = None,
    min_restore_db: float | None = None, weights: Path | None = None,
) -> list[str]:
    """Write a result of :func:`apply` or :func:`pack` to ``path`` (PNG, JPEG, WebP or TIFF, by its extension)
    with its record, colour profile and EXIF, atomically; returns notes (e.g. transparency dropped for JPEG).
    ``quality``: for JPEG and WebP. A plain ``image.save("out.jpg")`` would drop the record. A bare array
    carries none (a note says so); a PIL result of ``mode="exact"`` is refused as JPEG or WebP (its payload
    would be lost).

    ``original``: the image given to :func:`apply`. The file's pixels, as this format and quality will hold
    them, are then restored first, as ``restorable apply`` does before it writes: the first note says the
    figure ("restores at 36.5 dB"), and below ``min_restore_db`` (default: the operator's floor, 28 dB for
    most) nothing is written and :class:`~restorable.errors.RestorableError` says so. Check before you delete
    an original. ``weights``: those given to :func:`apply`, if any."""
    from restorable.image_file import output_format

    if not isinstance(path, (str, os.PathLike)):
        raise RestorableError(f"save takes a file path (str or pathlib.Path), not {type(path).__name__}")
    check_quality(quality)
    fmt = output_format(path)  # a clear error for an unknown extension, before any work
    result = as_photo(image)
    data, notes = encode_photo(result, fmt, quality)  # what this format cannot hold (an exact payload) is refused here
    if original is not None:  # checked on the very bytes that are then written
        notes.insert(0, _restores_at(result, as_photo(original), fmt, quality, data, min_restore_db, weights))
    atomic_write(Path(path), lambda handle: handle.write(data))
    if isinstance(image, np.ndarray):
        notes.insert(0, "an array carries no record: restore needs op= for this file (save apply's PIL image to keep it)")
    return notes


def _restores_at(
    result: Photo, original: Photo, fmt: str, quality: int, data: bytes, floor: float | None, weights: Path | None
) -> str:
    """The note of :func:`save`'s check of how ``result`` restores from ``data``, its file in ``fmt``; raises below
    ``floor``."""
    from restorable.operators import get_operator
    from restorable.photo import LOSSLESS, decode_pixels
    from restorable.verify import refuse_below, restoration_db

    record = result.provenance
    if record is None:
        raise RestorableError("original= checks how the file restores, which needs the record of apply's PIL result")
    spec = get_operator(record.op)
    if spec.family == "pack":
        raise RestorableError("original= checks an apply result; pack checks that every image unpacks itself")
    stored = None if fmt in LOSSLESS else decode_pixels(data, grey=result.rgb.ndim == 2)  # a lossy file's pixels
    session = Session(RunSettings(weights=weights))
    undo = lambda part: session.restore(part, record.op, one_step=True)  # noqa: E731  (back to ``original``)
    db = restoration_db(original, result, fmt, quality, undo, stored)
    refuse_below(db, spec.restore_floor if floor is None else floor, fmt, "min_restore_db")
    return f"restores at {db:.1f} dB"


def ops() -> list[str]:
    """The names of the operators ``apply`` takes (``restorable ops`` describes them)."""
    from restorable.operators import OPERATORS

    return [name for name, spec in OPERATORS.items() if spec.inputs == 1]


def pnginfo(image: ImageLike) -> object:
    """A ``PngInfo`` carrying the record of a PIL image returned by :func:`apply`, for ``image.save(..., pnginfo=)``
    (:func:`save` does this for every format)."""
    from PIL import Image as PILImage

    from restorable.provenance import save_options

    if not isinstance(image, PILImage.Image):
        raise RestorableError(f"pnginfo takes a PIL image returned by apply, not {type(image).__name__}")
    record = image.info.get("restorable")
    return save_options("PNG", Provenance.from_json(record) if record else None).get("pnginfo")
