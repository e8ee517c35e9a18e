"""Reading and writing image files: EXIF orientation on read, atomic writes."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from restorable.atomic import atomic_write
from restorable.errors import Hint, RestorableError
from restorable.limits import DEFAULT_MAX_PIXELS

# Files we read as photos (folders, training data).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}
# Output formats by file extension.
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
# Pillow modes whose samples are not 8 or 16 bits: 32-bit integer and float images.
_UNSUPPORTED_MODES = {"I": "32-bit integer", "F": "32-bit float"}
# Set in ``Image.info`` by :func:`open_image` for files whose samples were 16-bit.
BITS_KEY = "restorable.bits"
# JPEGs that `apply` writes at this quality or above keep full colour resolution (4:4:4); below it, 4:2:0.
FULL_CHROMA_QUALITY = 90


def jpeg_subsampling(quality: int, as_apply: bool = True) -> int:
    """Pillow's ``subsampling`` for a JPEG that `apply` writes at ``quality``: 0 (4:4:4) from
    :data:`FULL_CHROMA_QUALITY` up (keeps colour detail, and the hidden code in it), else 2 (4:2:0).
    ``as_apply=False``: 2 at every quality, as most other encoders write."""
    return 0 if as_apply and quality >= FULL_CHROMA_QUALITY else 2



def images_in(folder: Path) -> list[Path]:
    """Image files (by extension, not hidden ones) directly in ``folder``, sorted by name; none: an empty list."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )

def _sixteen_bit(img: Image.Image) -> bool:
    """Whether an opened, not yet loaded image stores 16-bit samples (Pillow's raw modes say so)."""
    if img.mode.startswith("I;16"):
        return True
    return any(";16" in str(tile[3]) for tile in (img.tile or []) if len(tile) > 3)


def open_image(path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open and fully load a single-frame image file, or raise a one-line :class:`RestorableError`.

    The size is checked against ``max_pixels`` (None: no limit) from the header,
    before any pixel is decoded. Animations and multi-page files are refused, as
    are 32-bit integer or float images.
    """
    path = Path(path)
    if not path.exists():
        raise RestorableError(f"{path}: no such file")
    if path.is_dir():
        raise RestorableError(f"{path}: is a folder, not an image")
    limit = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = None  # our own check below, with the size in its message
            with Image.open(path) as img:
                check_pixels(path, img.width, img.height, max_pixels)
                frames = getattr(img, "n_frames", 1)
                if frames > 1:
                    raise RestorableError(f"{path}: has {frames} frames (an animation or several pages): save one frame first")
                if img.mode in _UNSUPPORTED_MODES:
                    raise RestorableError(
                        f"{path}: {_UNSUPPORTED_MODES[img.mode]} samples are not supported: save it as 8- or 16-bit first"
                    )
                sixteen = _sixteen_bit(img)
                img.load()
                if sixteen:
                    img.info[BITS_KEY] = 16
                return img
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise RestorableError(f"{path}: not a readable image ({unreadable(exc)})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def unreadable(exc: BaseException) -> str:
    """Why Pillow could not read an image, in a few words: "the file is cut short", or the error's kind."""
    if isinstance(exc, UnidentifiedImageError):
        return "not PNG, JPEG, TIFF, WebP or BMP data"
    return "the file is cut short" if "truncated" in str(exc) else exc.__class__.__name__


def check_pixels(path: str | os.PathLike[str], width: int, height: int, max_pixels: int | None) -> None:
    """A one-line error when a ``width`` x ``height`` image is over ``max_pixels`` or empty."""
    if width < 1 or height < 1:
        raise RestorableError(f"{path}: the image is empty ({width}x{height})")
    if max_pixels is not None and width * height > max_pixels:
        raise RestorableError(
            f"{path}: {width}x{height} is {_pixels(width * height)}, over the limit of {_pixels(max_pixels)}",
            Hint("--max-pixels N", "max_pixels=N", "raises it"),
        )


def _pixels(count: int) -> str:
    """A pixel count as people read it: "24.2 MP", or "196,000 pixels" under one megapixel."""
    return f"{count / 1e6:.3g} MP" if count >= 1_000_000 else f"{count:,} pixels"


def read_image(path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read ``path`` as uint8: (H, W) for grey files, (H, W, 3) RGB otherwise.

    EXIF orientation is applied. Alpha is dropped here (the product path keeps it).
    """
    img = ImageOps.exif_transpose(open_image(path, max_pixels))
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
