"""Learned, learned + payload, exact mode and the classical alternative side by side (``eval --compare``)."""

from __future__ import annotations

from statistics import mean

from restorable.engine import forward_image, reverse_image
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.payload.classical import classical_embed, classical_restore
from restorable.payload.exact import embed_exact, restore_exact
from restorable.payload.header import PayloadMissing
from restorable.payload.refine import embed_refinement, restore_refined
from restorable.train.data import Pair
from restorable.metrics import psnr

NO_SHA = "00" * 32  # the checkpoint evaluated has no file sha256 here; the payload only needs a match
MODES = ("learned", "learned+payload", "exact", "classical-1bit", "classical-2bit")


def _carriers(model, pair: Pair) -> dict:
    """Per mode: (stored image, how to restore a received image -> uint8 or None when it cannot)."""
    reference = pair.target if model.config.aux == "reference" else None
    processed = forward_image(model, pair.source, reference)

    def reverse(image):
        return reverse_image(model, image)

    def refined(image):
        try:
            return restore_refined(image, reverse, NO_SHA)
        except PayloadMissing:
            return reverse(image)  # the fallback restore takes

    def exact(image):
        try:
            return restore_exact(image)
        except PayloadMissing:
            return None

    return {
        "learned": (processed, reverse),
        "learned+payload": (embed_refinement(processed, pair.source, reverse, NO_SHA), refined),
        "exact": (embed_exact(pair.target, pair.source), exact),
        "classical-1bit": (classical_embed(pair.target, pair.source, 1), lambda im: classical_restore(im, 1)),
        "classical-2bit": (classical_embed(pair.target, pair.source, 2), lambda im: classical_restore(im, 2)),
    }


def compare_pair(model, pair: Pair, jpeg_qualities: list[int]) -> dict:
    """{mode: {approx_psnr, restore_png_psnr, restore_jpeg{q}_psnr (None: nothing restored)}}."""
    rows = {}
    for mode, (stored, restore) in _carriers(model, pair).items():
        row = {"approx_psnr": psnr(stored, pair.target)}
        for name, received in [("png", stored)] + [(f"jpeg{q}", jpeg_roundtrip_uint8(stored, q)) for q in jpeg_qualities]:
            restored = restore(received)
            row[f"restore_{name}_psnr"] = None if restored is None else psnr(restored, pair.source)
        rows[mode] = row
    return rows


def compare(model, pairs: list[Pair], jpeg_qualities: list[int]) -> dict:
    """Mean figures per mode over ``pairs`` (a restoration that failed on any photo is None)."""
    per_image = [compare_pair(model, pair, jpeg_qualities) for pair in pairs]
    out = {}
    for mode in MODES:
        keys = per_image[0][mode].keys()
        out[mode] = {
            k: None if any(r[mode][k] is None for r in per_image) else mean(r[mode][k] for r in per_image) for k in keys
        }
    return out
