"""Learned mode's refinement payload: the residual between the original and the learned restoration.

The residual is JPEG 2000 coded into the lowest bits as Hamming syndromes (3
bits per 7 values, one value in 8 changed by 1: a re-encoded file restores
within 0.01 dB of one without payload). The learned reverse pass then runs on
the image with that bit set to its mean, which the decoder can rebuild
exactly, so encoder and decoder agree on the restoration the residual corrects. Without an intact payload
(JPEG re-encoding, edits) ``restore`` falls back to the plain reverse pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from restorable.payload import carrier, codec
from restorable.payload.header import Payload, PayloadMissing, capacity, find, pack

BITS = 1
Reverse = Callable[[np.ndarray], np.ndarray]  # (H, W, 3) float32 in 0..255 -> restored uint8


def _residual_image(original: np.ndarray, restored: np.ndarray) -> np.ndarray:
    return np.clip(original.astype(np.int16) - restored.astype(np.int16) + 128, 0, 255).astype(np.uint8)


def embed_refinement(processed: np.ndarray, original: np.ndarray, reverse: Reverse, model_sha256: str) -> np.ndarray:
    """``processed`` (H, W, 3) uint8 carrying what corrects its learned restoration towards ``original``.

    ``model_sha256`` (of the weights behind ``reverse``) enters the checksum: other weights reject it.
    """
    height, width = processed.shape[:2]
    restored = reverse(carrier.clear_low_bits(processed, BITS))
    body = codec.encode_fit(_residual_image(original, restored), capacity("hamming", processed.shape))
    packed = pack(Payload("refine", "hamming", body), height, width, _context(model_sha256))
    return carrier.write_hamming(processed, packed)


def _context(model_sha256: str) -> bytes:
    return bytes.fromhex(model_sha256)


def restore_refined(image: np.ndarray, reverse: Reverse, model_sha256: str) -> np.ndarray:
    """The refined restoration; raises PayloadMissing when the image carries no intact refinement for these weights."""
    payload = find(image, ("hamming",), _context(model_sha256))
    if payload.kind != "refine":
        raise PayloadMissing("an exact-mode payload, not a refinement")
    residual = codec.decode(payload.body, image.shape[:2])
    restored = reverse(carrier.clear_low_bits(image, BITS))
    return np.clip(restored.astype(np.int16) + residual.astype(np.int16) - 128, 0, 255).astype(np.uint8)
