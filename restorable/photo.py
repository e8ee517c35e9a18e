"""Photos on the product path: pixels plus what must survive processing (alpha, ICC, EXIF, provenance)."""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from restorable.atomic import atomic_write
from restorable.errors import RestorableError
from restorable.image_file import BITS_KEY, DEFAULT_MAX_PIXELS, jpeg_subsampling, open_image, output_format, unreadable
from restorable.luma import with_channels
from restorable.provenance import Provenance, read_provenance, save_options

_ORIENTATION_TAG = 0x0112
LOSSLESS = ("PNG", "TIFF")  # formats whose pixels come back exactly as written
LOSSLESS_ONLY_KEY = "restorable.lossless_only"  # PIL ``info`` of a result: why a JPEG of it would restore poorly
log = logging.getLogger("restorable")


@dataclass
class Photo:
    """An 8-bit photo (RGB, or grey) with its alpha, colour profile, EXIF and provenance."""

    rgb: np.ndarray  # (H, W, 3) uint8, or (H, W) for a grey file (e.g. a restorable grey image)
    alpha: np.ndarray | None = None  # (H, W) uint8, kept untouched
    icc_profile: bytes | None = None
    exif: bytes | None = None
    provenance: Provenance | None = None
    notes: list[str] = field(default_factory=list)  # conversions the user should know about
    ran_on: str | None = None  # the device or ONNX Runtime provider that produced it
    method: str | None = None  # how it was produced, e.g. "exact payload", "learned reverse pass"
    lossless_only: str | None = None  # why a lossy (JPEG/WebP) copy would not restore well, if it would not
    record_error: str | None = None  # why the file's restorable record could not be read, if it is damaged
    orientation: int = 1  # the file's EXIF orientation, already applied to the pixels


def _is_16_bit(img: Image.Image) -> bool:
    """16-bit samples: by mode, or as :func:`open_image` found them in the file before decoding."""
    return img.mode in ("I;16", "I;16B", "I;16L", "I") or img.info.get(BITS_KEY) == 16


def photo_from_pil(img: Image.Image) -> Photo:
    """Convert any Pillow image to a :class:`Photo` (EXIF orientation applied)."""
    notes: list[str] = []
    if img.mode == "F" or (img.mode == "I" and img.info.get(BITS_KEY) != 16):
        kind = "32-bit float" if img.mode == "F" else "32-bit integer"
        raise RestorableError(f"{kind} images (Pillow mode {img.mode}) are not supported: convert to 'RGB', 'L' or 'I;16' first")
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise RestorableError(f"not a readable image ({unreadable(exc)})") from None
    sixteen = _is_16_bit(img)
    info = dict(img.info)
    try:
        provenance, record_error = read_provenance(img), None
    except RestorableError as exc:  # only restore needs the record: apply ignores a damaged one
        provenance, record_error = None, str(exc)
    exif = img.getexif()
    orientation = exif.get(_ORIENTATION_TAG, 1) if exif else 1
    orientation = orientation if orientation in range(1, 9) else 1
    img = ImageOps.exif_transpose(img)
    if exif and exif.get(_ORIENTATION_TAG, 1) != 1:
        exif[_ORIENTATION_TAG] = 1  # the pixels are upright now
    if sixteen:
        notes.append("16-bit image reduced to 8 bits")
        if img.mode.startswith("I"):
            grey = np.asarray(img, dtype=np.float64)
            img = Image.fromarray(np.clip(np.rint(grey / 257.0), 0, 255).astype(np.uint8), "L")
    alpha = None
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = np.asarray(img.getchannel("A")).copy()
    if img.mode == "CMYK":
        notes.append("CMYK converted to RGB")
    is_grey = img.mode in ("L", "LA", "La", "1")
    rgb = np.asarray(img.convert("L" if is_grey else "RGB")).copy()
    lossless_only = info.get(LOSSLESS_ONLY_KEY)  # set by like_input on a result (PIL keeps info on copies)
    return Photo(
        rgb=rgb,
        alpha=alpha,
        icc_profile=info.get("icc_profile") if img.mode != "CMYK" else None,
        exif=exif.tobytes() if exif else None,
        provenance=provenance,
        notes=notes,
        record_error=record_error,
        orientation=orientation,
        lossless_only=lossless_only if isinstance(lossless_only, str) else None,
    )


def as_photo(image: Photo | Image.Image | np.ndarray) -> Photo:
    """A :class:`Photo` of a PIL image or a uint8 array: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA.
    A :class:`Photo` is returned as it is."""
    if isinstance(image, Photo):
        return image
    if isinstance(image, Image.Image):
        return photo_from_pil(image)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            scale = " (floats in 0..1: (x * 255).round().astype(np.uint8))" if image.dtype.kind == "f" else ""
            raise RestorableError(f"expected a uint8 array, got {image.dtype}{scale}")
        if image.ndim == 2:  # grey: kept (a restorable grey image), or converted where an effect needs colour
            pixels, alpha = image, None
        elif image.ndim == 3 and image.shape[2] in (3, 4):
            pixels, alpha = image[..., :3], (image[..., 3].copy() if image.shape[2] == 4 else None)
        else:
            raise RestorableError(f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got shape {image.shape}")
        if min(image.shape[:2]) < 1:
            raise RestorableError(f"the image is empty ({image.shape[1]}x{image.shape[0]})")
        return Photo(rgb=np.ascontiguousarray(pixels), alpha=alpha)
    opened = (
        ": open a file with restorable.read_photo(path) or PIL.Image.open(path)"
        if isinstance(image, (str, bytes, os.PathLike)) or hasattr(image, "read") else ""
    )
    raise RestorableError(f"expected a PIL image, a numpy array or a Photo, got {type(image).__name__}{opened}")


def like_input(photo: Photo, image: Photo | Image.Image | np.ndarray) -> Photo | Image.Image | np.ndarray:
    """``photo`` as the kind ``image`` was: a :class:`Photo`, an array, or a PIL image that carries the record
    (``info["restorable"]``) and colour profile. For arrays and PIL images, ``photo``'s notes go to the
    ``restorable`` logger as warnings (a :class:`Photo` keeps them in ``notes``)."""
    if isinstance(image, Photo):
        return photo
    for note in photo.notes:
        log.warning("%s", note)
    if isinstance(image, np.ndarray):
        return np.ascontiguousarray(photo.rgb) if photo.alpha is None else np.dstack([photo.rgb, photo.alpha])
    img = photo_to_pil(photo)
    if photo.provenance is not None:
        img.info["restorable"] = photo.provenance.to_json()
    if photo.lossless_only:  # for :func:`restorable.save`'s note on a JPEG or WebP
        img.info[LOSSLESS_ONLY_KEY] = photo.lossless_only
    if photo.icc_profile:
        img.info["icc_profile"] = photo.icc_profile
    if photo.exif:
        img.info["exif"] = photo.exif
    return img


def in_colour(photo: Photo) -> Photo:
    """``photo`` with (H, W, 3) pixels: a grey one is converted, with a note."""
    if photo.rgb.ndim == 3:
        return photo
    return replace(photo, rgb=with_channels(photo.rgb, 3), notes=[*photo.notes, "greyscale converted to RGB"])


def read_photo(path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Photo:
    """Read a photo file; a clear :class:`RestorableError` for anything that is not one (or over ``max_pixels``)."""
    return photo_from_pil(open_image(path, max_pixels))


def photo_to_pil(photo: Photo, keep_alpha: bool = True) -> Image.Image:
    """The Pillow image of ``photo``: RGB or L (grey), with alpha (RGBA, LA) when it has one and ``keep_alpha``."""
    img = Image.fromarray(photo.rgb, "L" if photo.rgb.ndim == 2 else "RGB")
    if photo.alpha is not None and keep_alpha:
        img.putalpha(Image.fromarray(photo.alpha, "L"))
    return img


def write_photo(path: str | os.PathLike[str], photo: Photo, quality: int = 95, png: str = "small") -> list[str]:
    """Write ``photo`` atomically with its profile, EXIF and provenance; returns notes (e.g. alpha dropped).

    ``png``: see :func:`encode_photo`."""
    path = Path(path)
    data, notes = encode_photo(photo, output_format(path), quality, png)
    atomic_write(path, lambda handle: handle.write(data))
    return notes


# PNG compression: "small" is Pillow's default (zlib level 6, adaptive filters); "fast" is zlib's run-length
# strategy, for photographs (restored originals): on 3000x2000 and val/ photos within -1..+7 % of "small"'s
# size and 4-5x faster (0.43 s instead of 2.0 s); on smoothed effects it is 26 % larger, so processed files
# keep "small" (benchmarks/throughput.py --png).
PNG_COMPRESSION = {"small": {"compress_level": 6}, "fast": {"compress_level": 1, "compress_type": 3}}  # 3: Z_RLE


def encode_photo(photo: Photo, fmt: str, quality: int = 95, png: str = "small") -> tuple[bytes, list[str]]:
    """The file bytes of ``photo`` in ``fmt`` (PNG, JPEG, WEBP, TIFF) with its profile, EXIF and provenance,
    and notes (e.g. alpha dropped). ``png``: "small" or "fast" (:data:`PNG_COMPRESSION`)."""
    notes = []
    keep_alpha = fmt in ("PNG", "TIFF", "WEBP")
    if photo.alpha is not None and not keep_alpha:
        notes.append(f"{fmt} has no alpha channel: transparency dropped")
    record = photo.provenance
    if fmt not in LOSSLESS:  # what a lossy copy of this result loses
        if record is not None and record.mode == "exact":
            raise RestorableError(
                f"an exact-mode result must be kept losslessly (PNG or TIFF): as {fmt} its payload, and the original"
                " with it, would be lost"
            )
        if record is not None and record.payload:
            notes.append(f"its refinement payload does not survive {fmt}: it restores by the network alone; save as PNG to keep it")
        if photo.lossless_only:
            notes.append(f"{photo.lossless_only}: restoring from this {fmt} will be poor; save as PNG")
    img = photo_to_pil(photo, keep_alpha)
    options = save_options(fmt, photo.provenance)
    if fmt == "PNG":
        options.update(PNG_COMPRESSION[png])
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
    if fmt == "WEBP":
        options["exact"] = True  # keep the pixels under transparent ones (libwebp would rewrite them: the record's
        # fingerprint, taken on them, moved by 107 levels in a cell of a photo with a transparent corner)
    if fmt == "JPEG":
        options["subsampling"] = jpeg_subsampling(quality)
    if photo.icc_profile:
        options["icc_profile"] = photo.icc_profile
    if photo.exif:
        options["exif"] = photo.exif
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue(), notes


def decode_pixels(data: bytes, grey: bool = False) -> np.ndarray:
    """The (H, W, 3) uint8 pixels of an encoded image, or (H, W) with ``grey``."""
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("L" if grey else "RGB"))
