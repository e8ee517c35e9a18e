"""Payloads in the low bits: carrier, header checks, exact mode, the refinement payload, the classical alternative."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorable.errors import RestorableError
from restorable.image_file import read_image
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.operators import run_operator
from restorable.payload import carrier
from restorable.payload.classical import classical_embed, classical_restore
from restorable.payload.exact import embed_exact, restore_exact
from restorable.payload.header import Payload, PayloadMissing, find, pack
from restorable.payload.refine import embed_refinement, restore_refined
from restorable.metrics import psnr

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return read_image(DATA / "cups_511x383.jpg")


@pytest.mark.parametrize("n", [1, 2, 3, 12, 97, 1024, 511 * 383 * 3])
def test_scatter_visits_every_position_once(n):
    step = carrier.scatter_step(n)
    assert math.gcd(step, n) == 1
    if n <= 1024:
        assert sorted((np.arange(n) * step) % n) == list(range(n))


@pytest.mark.parametrize("bits", [1, 2])
@pytest.mark.parametrize("how", ["nearest", "replace"])
def test_carrier_round_trip_and_distortion(photo, bits, how):
    data = np.random.default_rng(bits).integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    out = carrier.write(photo, data, bits, how)
    assert carrier.read(out, len(data), bits) == data
    changed = out.astype(int) - photo.astype(int)
    used = len(data) * 8 // bits
    mse_used = (changed**2).sum() / used
    if how == "replace":
        assert np.array_equal(out >> bits, photo >> bits)  # high bits untouched
        assert mse_used == pytest.approx({1: 0.5, 2: 2.5}[bits], rel=0.15)
    else:
        assert np.abs(changed).max() <= 3  # 3 only where 0 or 255 clips
        assert mse_used == pytest.approx({1: 0.5, 2: 1.5}[bits], rel=0.15)


def test_hamming_layout_round_trip_flips_one_value_in_eight(photo):
    data = np.random.default_rng(7).integers(0, 256, 30_000, dtype=np.uint8).tobytes()
    out = carrier.write_hamming(photo, data)
    assert carrier.read_hamming(out, len(data)) == data
    changed = out != photo
    assert np.array_equal(out >> 1, photo >> 1)  # only lowest bits
    groups = len(data) * 8 / 3
    assert changed.sum() / (groups * 7) == pytest.approx(1 / 8, rel=0.1)


def test_header_rejects_what_was_changed(photo):
    h, w = photo.shape[:2]
    body = bytes(range(256)) * 40
    stored = carrier.write_hamming(photo, pack(Payload("refine", "hamming", body), h, w))
    assert find(stored).body == body
    with pytest.raises(PayloadMissing, match="no payload"):
        find(photo)
    with pytest.raises(PayloadMissing):
        find(jpeg_roundtrip_uint8(stored, 95))
    edited = stored.copy()
    flat = edited.reshape(-1)
    flat[(5000 * carrier.scatter_step(flat.size)) % flat.size] ^= 1  # one bit inside the body
    with pytest.raises(PayloadMissing, match="checksum"):
        find(edited)
    with pytest.raises(PayloadMissing):
        find(stored[:, :-1].copy())


@pytest.mark.parametrize("op", ["l0", "wls"])
def test_exact_mode_is_near_the_effect_and_restores(photo, op):
    effect = run_operator(op, photo)
    stored = embed_exact(effect, photo)
    assert psnr(stored, effect) > 45
    assert psnr(restore_exact(stored), photo) > 45
    with pytest.raises(PayloadMissing):
        restore_exact(jpeg_roundtrip_uint8(stored, 98))


def test_refinement_corrects_a_weak_reverse_pass(photo):
    blurred = np.asarray(Image.fromarray(photo).resize((128, 96)).resize(photo.shape[1::-1]))

    def reverse(image: np.ndarray) -> np.ndarray:  # a stand-in "network": returns its input
        return np.clip(np.rint(image), 0, 255).astype(np.uint8)

    sha = "ab" * 32
    stored = embed_refinement(blurred, photo, reverse, sha)
    assert psnr(stored, blurred) > 55  # one value in 8 moved, by 1
    assert psnr(restore_refined(stored, reverse, sha), photo) > psnr(reverse(stored), photo) + 10
    with pytest.raises(PayloadMissing):
        restore_refined(jpeg_roundtrip_uint8(stored, 95), reverse, sha)
    with pytest.raises(PayloadMissing, match="other weights"):  # made for another network's restoration
        restore_refined(stored, reverse, "cd" * 32)


def test_classical_alternative_restores_only_from_png(photo):
    effect = run_operator("l0", photo)
    stored = classical_embed(effect, photo, 2)
    assert psnr(classical_restore(stored, 2), photo) > 35
    assert classical_restore(jpeg_roundtrip_uint8(stored, 90), 2) is None


def test_api_modes_report_their_path(photo):
    from restorable.api import apply_photo, restore_photo
    from restorable.photo import Photo

    small = photo[:160, :200].copy()
    exact = apply_photo(Photo(small), "l0", mode="exact")
    assert exact.provenance.mode == "exact" and exact.provenance.payload
    back = restore_photo(exact)
    assert back.method == "exact payload" and psnr(back.rgb, small) > 40
    stripped = Photo(exact.rgb)  # provenance lost: the payload still says what it is
    assert restore_photo(stripped).method == "exact payload"
    assert restore_photo(stripped, op="l0").method == "exact payload"  # even when the user names the op
    edited = exact.rgb.copy()
    edited[80:90, 100:110] //= 2
    with pytest.raises(RestorableError, match="checksum"):
        restore_photo(Photo(edited))
    damaged = Photo(jpeg_roundtrip_uint8(exact.rgb, 95), provenance=exact.provenance)
    with pytest.raises(RestorableError, match="exact-mode file without an intact payload"):
        restore_photo(damaged)

    learned = apply_photo(Photo(small), "l0", payload=True, device="cpu")
    plain = restore_photo(Photo(learned.rgb, provenance=replace(learned.provenance, payload=False)), device="cpu")
    refined = restore_photo(learned, device="cpu")
    assert refined.method == "learned reverse pass + refinement payload"
    assert psnr(refined.rgb, small) > psnr(plain.rgb, small) + 3
    reencoded = restore_photo(Photo(jpeg_roundtrip_uint8(learned.rgb, 95), provenance=learned.provenance), device="cpu")
    assert reencoded.method.startswith("learned reverse pass (the refinement payload is unusable")
    with pytest.raises(RestorableError, match="unknown mode"):
        apply_photo(Photo(small), "l0", mode="magic")
    with pytest.raises(RestorableError, match="learned mode"):
        apply_photo(Photo(small), "l0", mode="exact", payload=True)
    tiny = apply_photo(Photo(small[:20, :20].copy()), "l0", payload=True, device="cpu")
    assert not tiny.provenance.payload and any("no refinement payload" in note for note in tiny.notes)


def test_cli_refuses_payload_into_jpeg(tmp_path):
    import subprocess
    import sys

    src = DATA / "cups_96x72.png"
    for args in (["--mode", "exact"], ["--payload"]):
        out = subprocess.run(
            [sys.executable, "-c", "from restorable.cli import main; main()", "apply", "--op", "l0", *args, str(src), str(tmp_path / "o.jpg")],
            capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 2 and out.stderr.startswith("error:") and "PNG" in out.stderr
        assert not (tmp_path / "o.jpg").exists()


@pytest.mark.parametrize("layout", ["nearest", "hamming"])
def test_payload_larger_than_one_chunk(layout):
    """24 MP photos write their payload in several chunks: the chunk boundaries must not show."""
    image = np.random.default_rng(3).integers(0, 256, (1500, 1500, 3), dtype=np.uint8)
    data = np.random.default_rng(4).integers(0, 256, 1_100_000 if layout == "nearest" else 300_000, dtype=np.uint8).tobytes()
    if layout == "nearest":
        assert len(data) * 8 // 2 > carrier.CHUNK
        assert carrier.read(carrier.write(image, data, 2, "nearest"), len(data), 2) == data
    else:
        assert len(data) * 8 // 3 * 7 > carrier.CHUNK
        assert carrier.read_hamming(carrier.write_hamming(image, data), len(data)) == data


def test_a_payload_declaring_a_huge_image_is_refused_before_decoding():
    import time

    from restorable.payload import codec
    from restorable.payload.header import PayloadMissing

    data = bytearray(codec.encode_psnr(np.zeros((16, 16, 3), np.uint8), 40.0))
    siz = data.index(b"\xff\x51")  # the size marker: Xsiz and Ysiz follow Lsiz and Rsiz
    data[siz + 6 : siz + 14] = (13000).to_bytes(4, "big") * 2
    if b"ihdr" in data:  # a JP2 container states the size again: height, width
        box = data.index(b"ihdr") + 4
        data[box : box + 8] = (13000).to_bytes(4, "big") * 2
    start = time.perf_counter()
    with pytest.raises(PayloadMissing, match="another size"):
        codec.decode(bytes(data), (16, 16))
    assert time.perf_counter() - start < 1.0  # 13000x13000 would take seconds and 500 MB to decode
