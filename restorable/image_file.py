"""Reading and writing image files: EXIF orientation on read, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from restorable.atomic import atomic_write
from restorable.errors import RestorableError

# Files we read as photos (folders, training data).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}
# Output formats by file extension.
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}


def open_image(path: str | os.PathLike[str]) -> Image.Image:
    """Open and fully load an image file, or raise a one-line :class:`RestorableError`."""
    path = Path(path)
    if not path.exists():
        raise RestorableError(f"{path}: no such file")
    if path.is_dir():
        raise RestorableError(f"{path}: is a folder, not an image")
    try:
        with Image.open(path) as img:
            img.load()
            return img
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RestorableError(f"{path}: not a readable image ({exc.__class__.__name__})") from None


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read ``path`` as uint8: (H, W) for grey files, (H, W, 3) RGB otherwise.

    EXIF orientation is applied. Alpha is dropped here (the product path keeps it).
    """
    img = ImageOps.exif_transpose(open_image(path))
    if img.mode in ("L", "I;16", "I;16B", "I", "F"):
        grey = np.asarray(img)
        if grey.dtype != np.uint8:  # 16-bit or float grey: scale to 8 bits
            grey = np.asarray(img.convert("F"), dtype=np.float32)
            top = 65535.0 if grey.max() > 255 else 255.0
            grey = np.clip(np.rint(grey / top * 255.0), 0, 255).astype(np.uint8)
        return grey
    return np.asarray(img.convert("RGB"))


def output_format(path: str | os.PathLike[str]) -> str:
    """The Pillow format for output ``path``; raises if the extension or folder is wrong."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RestorableError(f"{path}: unknown output format (use one of {', '.join(sorted(FORMATS))})")
    if not path.parent.is_dir():
        raise RestorableError(f"{path.parent}: output folder does not exist")
    return fmt


def write_image(path: str | os.PathLike[str], pixels: np.ndarray, quality: int = 95) -> None:
    """Write uint8 ``pixels`` ((H, W) or (H, W, 3)) to ``path``, format by extension.

    The file is written to a temporary name beside ``path`` and renamed, so
    ``path`` is either the old file or the complete new one, never half-written.
    """
    path = Path(path)
    fmt = output_format(path)
    image = Image.fromarray(np.ascontiguousarray(pixels))
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    atomic_write(path, lambda handle: image.save(handle, format=fmt, **options))
