"""Limits on what the tool accepts, checked before any work (no heavy imports here: the CLI reads them)."""

from __future__ import annotations

from restorable.errors import RestorableError

# Images larger than this are refused before decoding (``--max-pixels`` raises it): 64 MP
# covers today's cameras; a forged header cannot make the tool decode gigabytes.
DEFAULT_MAX_PIXELS = 64_000_000
# ``apply`` refuses a result that would restore below this PSNR (dB) for its photo, by the
# operator's paper type. On the 33 corpus photos at 512 px the worst photo restores at 30.4 dB
# or more for types I and II and at 26.7 dB for cpd (type III, generative);
# 1-bit art (7-13 dB) and text pages (18-22 dB) fall far below (benchmarks/restore_floor.py).
MIN_RESTORE_DB = {"I": 28.0, "II": 28.0, "III": 24.0}
# The smallest ``--tile`` (0 turns tiling off): smaller tiles are mostly margin and take minutes.
MIN_TILE = 64


def check_tile(tile: int | None) -> None:
    """A one-line error for a tile size that would be mostly margin (or negative)."""
    if tile is not None and tile != 0 and tile < MIN_TILE:
        raise RestorableError(f"the tile side must be 0 (no tiles) or at least {MIN_TILE} pixels, not {tile}")


def check_quality(quality: object) -> int:
    """``quality`` when it is a JPEG/WebP quality (a whole number from 1 to 100), else a one-line error."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise RestorableError(f"JPEG quality must be a whole number from 1 to 100, not {quality!r}")
    return quality
