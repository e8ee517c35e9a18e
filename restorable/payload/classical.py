"""The classical alternative the payload modes compete with (for `restorable eval --compare` only).

Apply the exact operator, then hide a JPEG of the original in the ``bits``
least significant bits of every RGB value (plain bit replacement, a 4-byte
length first), at the highest JPEG quality that fits.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image

from restorable.payload import carrier


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def classical_embed(effect: np.ndarray, original: np.ndarray, bits: int) -> np.ndarray:
    """``effect`` with the best JPEG of ``original`` that fits in its ``bits`` low bits."""
    budget = carrier.capacity_bits(effect.shape, bits) // 8 - 4
    low, high, best = 1, 100, None
    while low <= high:  # binary search on quality: size grows with it
        quality = (low + high) // 2
        data = _jpeg(original, quality)
        if len(data) <= budget:
            best, low = data, quality + 1
        else:
            high = quality - 1
    if best is None:
        from restorable.errors import RestorableError

        raise RestorableError("the image is too small for the classical payload")
    return carrier.write(effect, struct.pack(">I", len(best)) + best, bits, "replace")


def classical_restore(image: np.ndarray, bits: int) -> np.ndarray | None:
    """The hidden JPEG decoded, or None when what the low bits hold is no longer a readable JPEG."""
    (length,) = struct.unpack(">I", carrier.read(image, 4, bits))
    if length <= 0 or length > carrier.capacity_bits(image.shape, bits) // 8 - 4:
        return None
    try:
        with Image.open(io.BytesIO(carrier.read(image, length, bits, skip_bytes=4))) as img:
            decoded = np.asarray(img.convert("RGB"))
    except Exception:  # any decoding failure means the payload is gone
        return None
    return decoded if decoded.shape == image.shape else None
