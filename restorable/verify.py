"""``apply`` checks its own output: what it is about to write must restore (``--min-restore-db``); ``pack``
checks that every image unpacks (:func:`unpacking_db`).

The result is passed through the output format in memory (JPEG/WebP at the
chosen quality; PNG and TIFF are lossless) and restored the way ``restore``
would. Learned-mode results of large photos are restored in a few windows
(the network sees ~120 px around each pixel, so a window with a margin gives
the same pixels as the whole image); payload and exact-mode results, whose
payload spans the whole image, are restored whole.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from restorable.photo import Photo, decode_pixels, encode_photo

# Up to this many pixels the whole image is restored; above it, PROBE_WINDOWS windows.
WHOLE_PIXELS = 2_000_000
PROBE_WINDOW = 768
PROBE_MARGIN = 64
# Windows start at multiples of this many carrier pixels: a multiple of every network's stride (its Haar
# squeezes group 2x2 or 4x4 pixels; tests/test_bundled.py checks the bundled ones), so that a window's
# blocks are the whole image's. A window starting on an odd pixel restored a 6028x3391 photo at 19 dB
# where the whole image gives 37 dB.
PROBE_ALIGN = 64


def stored_pixels(rgb: np.ndarray, fmt: str, quality: int) -> np.ndarray:
    """``rgb`` ((H, W, 3), or (H, W) grey) as a file of format ``fmt`` would give it back (lossy formats are round-tripped
    through the encoder that writes them)."""
    if fmt not in ("JPEG", "WEBP"):
        return rgb
    return decode_pixels(encode_photo(Photo(rgb), fmt, quality)[0], grey=rgb.ndim == 2)


def refuse_below(db: float, floor: float, fmt: str, option: str) -> None:
    """Raise the one-line refusal of a result that would restore at ``db`` below ``floor`` as ``fmt`` (``option``:
    the setting's name for the caller, ``--min-restore-db`` or ``min_restore_db``)."""
    if db < floor:
        from restorable.errors import RestorableError

        better = "; save it as PNG" if fmt in ("JPEG", "WEBP") else ""
        raise RestorableError(f"it would restore at only {db:.1f} dB as {fmt} (below {option} {floor:g}): not written{better}")


def probe_windows(height: int, width: int, factor: int = 1) -> list[tuple[tuple[slice, slice], tuple[slice, slice]]]:
    """(window with margin, interior within it) pairs: the whole image, or one window per quadrant, its
    corner at a multiple of ``PROBE_ALIGN``.

    ``factor``: how many times larger the restored image's sides are (a rescaled result): the
    windows are sized so that what they restore stays as large as for a same-size result.
    """
    if height * width * factor**2 <= WHOLE_PIXELS:
        whole = (slice(0, height), slice(0, width))
        return [(whole, whole)]
    windows, side = [], PROBE_WINDOW // factor
    for cy in (height // 4, 3 * height // 4):
        for cx in (width // 4, 3 * width // 4):
            top, left = max(0, cy - side // 2), max(0, cx - side // 2)
            bottom, right = min(height, top + side), min(width, left + side)
            y0, x0 = (max(0, start - PROBE_MARGIN) // PROBE_ALIGN * PROBE_ALIGN for start in (top, left))
            y1, x1 = min(height, bottom + PROBE_MARGIN), min(width, right + PROBE_MARGIN)
            inner = (slice(top - y0, bottom - y0), slice(left - x0, right - x0))
            windows.append(((slice(y0, y1), slice(x0, x1)), inner))
    return windows


def restoration_db(
    original: Photo, result: Photo, fmt: str, quality: int, restore, stored: np.ndarray | None = None
) -> float:
    """PSNR (dB) against ``original`` of restoring ``result`` as saved in ``fmt``.

    ``restore(photo) -> Photo`` restores like ``restore_photo`` with the same weights and device.
    ``stored``: the pixels the saved file gives back, when they are known (e.g. decoded from the bytes about
    to be written); by default ``result`` is passed through ``fmt`` in memory.
    """
    from restorable.metrics import psnr

    if stored is None:
        stored = stored_pixels(result.rgb, fmt, quality)
    record = result.provenance
    if record is not None and (record.payload or record.mode == "exact"):
        return psnr(restore(Photo(stored, provenance=record)).rgb, original.rgb)
    height, width = stored.shape[:2]
    # A window keeps the record's weights (restore finds them by sha256), not its whole-image pixel pins.
    window_record = replace(record, size=None, thumb=None, before=None) if record is not None else None
    factor = _downscale(record)  # a rescaled result's window restores factor times larger
    restored, wanted = [], []
    for window, inner in probe_windows(height, width, factor):
        part = Photo(np.ascontiguousarray(stored[window]), provenance=window_record)
        back = restore(part).rgb[tuple(slice(s.start * factor, s.stop * factor) for s in inner)]
        top, left = ((w.start + i.start) * factor for w, i in zip(window, inner))
        want = original.rgb[top : top + back.shape[0], left : left + back.shape[1]]  # the padding is cut off
        restored.append(back[: want.shape[0], : want.shape[1]].reshape(-1))
        wanted.append(want.reshape(-1))
    return psnr(np.concatenate(restored), np.concatenate(wanted))


def unpacking_db(
    originals: list[Photo], packed: Photo, fmt: str, quality: int, unpack, stored: np.ndarray | None = None
) -> list[float]:
    """PSNR (dB) of each of ``originals`` unpacked from ``packed`` as saved in ``fmt`` (whole, in memory).

    ``unpack(photo) -> [(name, Photo), ...]`` unpacks like ``Session.unpack`` with the same weights and device.
    ``stored``: the pixels the saved file gives back, when known (as for :func:`restoration_db`).
    """
    from restorable.metrics import psnr
    from restorable.photo import in_colour

    pixels = stored_pixels(packed.rgb, fmt, quality) if stored is None else stored
    stored = Photo(pixels, provenance=replace(packed.provenance, size=None, thumb=None))
    return [psnr(in_colour(back).rgb, in_colour(original).rgb) for (_, back), original in zip(unpack(stored), originals)]


def _downscale(record) -> int:
    """How many times smaller than the original a result with ``record`` is (1 unless it was rescaled)."""
    from restorable.operators import OPERATORS

    spec = OPERATORS.get(record.op) if record is not None else None
    return spec.downscale if spec is not None else 1
