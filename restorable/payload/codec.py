"""Coding an image into a byte budget with JPEG 2000 (Pillow's OpenJPEG).

Chosen by measurement (``benchmarks/payload_codecs.py``, val/ at 512 px): at
the rates a PNG's low bits hold, JPEG 2000 gives more dB in fewer bits than
JPEG (e.g. 47.2 dB at 4.9 bpp vs JPEG q98 46.8 dB at 5.1 bpp).
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from restorable.errors import RestorableError


def _require_jpeg2000() -> None:
    from PIL import features

    if not features.check("jpg_2000"):
        raise RestorableError("payloads need Pillow built with JPEG 2000 (OpenJPEG); reinstall Pillow from its wheels")


def _encode(image: np.ndarray, **options) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG2000", irreversible=True, **options)
    return buffer.getvalue()


def encode_psnr(image: np.ndarray, target_db: float) -> bytes:
    """``image`` (H, W, 3) uint8 coded to about ``target_db`` PSNR."""
    _require_jpeg2000()
    return _encode(image, quality_mode="dB", quality_layers=[float(target_db)])


def encode_fit(image: np.ndarray, budget: int) -> bytes:
    """``image`` coded as well as fits in ``budget`` bytes (rate control, shrunk until it fits)."""
    _require_jpeg2000()
    if budget < 256:
        raise RestorableError("the image is too small to carry a payload")
    raw = image.size
    target = budget
    for _ in range(8):
        data = _encode(image, quality_mode="rates", quality_layers=[max(1.0, raw / target)])
        if len(data) <= budget:
            return data
        target = int(target * 0.97 * budget / len(data))
    raise RestorableError("could not fit the payload into the image")


def decode(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """The (H, W, 3) uint8 image coded in ``data``, which must be ``size`` (H, W).

    Raises PayloadMissing when it does not decode or declares another size
    (checked before decoding: a forged header cannot make it decode a huge image).
    """
    from PIL import Image

    from restorable.payload.header import PayloadMissing

    _require_jpeg2000()
    try:
        with warnings.catch_warnings():  # a forged size is refused below, before decoding
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        with img:
            if (img.height, img.width) != tuple(size):
                raise PayloadMissing("a payload of another size")
            return np.asarray(img.convert("RGB"))
    except PayloadMissing:
        raise
    except Exception as exc:  # Pillow raises many types for undecodable data
        raise PayloadMissing(f"an undecodable payload ({type(exc).__name__})") from None
