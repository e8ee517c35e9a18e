"""apply's self-check (restorable.verify): what it measures is what `restore` will give."""

from __future__ import annotations

import numpy as np
import pytest

from restorable.metrics import psnr
from restorable.photo import read_photo


@pytest.mark.parametrize("op", ["exposure", "l0"])
def test_a_large_photo_checked_in_windows_measures_the_whole_restoration(op, odd_photo_path, monkeypatch):
    """A photo too large to restore whole is checked in windows: each must restore its pixels as the whole
    image does. 511x383 puts the windows' corners on odd pixels, which split the networks' 2x2 (Haar)
    blocks unlike the whole image (a 6028x3391 photo that restores at 37.3 dB was checked at 19.2 dB)."""
    from restorable import verify
    from restorable.session import Session
    from restorable.settings import RunSettings

    monkeypatch.setattr(verify, "WHOLE_PIXELS", 0)  # windows even for the small test photo
    monkeypatch.setattr(verify, "PROBE_WINDOW", 96)
    photo = read_photo(odd_photo_path)
    session = Session(RunSettings(device="cpu"))
    result = session.apply(photo, op, lossless=True)
    checked = verify.restoration_db(photo, result, "PNG", 95, lambda part: session.restore(part, op))
    whole = session.restore(result, op).rgb
    windows = verify.probe_windows(*result.rgb.shape[:2])
    kept = [(slice(w.start + i.start, w.start + i.stop), slice(v.start + j.start, v.start + j.stop))
            for (w, v), (i, j) in windows]
    assert len(kept) == 4 and any(rows.start % 2 or cols.start % 2 for rows, cols in kept)
    measured = psnr(np.concatenate([whole[k].reshape(-1) for k in kept]),
                    np.concatenate([photo.rgb[k].reshape(-1) for k in kept]))
    assert checked == pytest.approx(measured, abs=0.05)
    assert checked > psnr(result.rgb, photo.rgb) + 3  # and it does restore

