"""Photo files on the product path: orientation, alpha, ICC, EXIF, bit depth, provenance."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageCms

from restorable.errors import RestorableError
from restorable.photo import Photo, in_colour, read_photo, write_photo
from restorable.provenance import Provenance

RECORD = Provenance("l0", {"lam": 0.02, "kappa": 2.0}, "l0@abc", "ab" * 32, "0.1.0")


def rgb(h=24, w=32, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_provenance_survives_the_file(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    write_photo(path, Photo(rgb(), provenance=RECORD))
    assert read_photo(path).provenance == RECORD


def test_file_without_record_has_none(tmp_path):
    path = tmp_path / "plain.png"
    Image.fromarray(rgb()).save(path)
    assert read_photo(path).provenance is None


@pytest.mark.parametrize(
    "record, reason",
    [
        ("{not json", "not JSON"),
        ('{"op": ["l0"], "params": {}, "model_id": "", "model_sha256": "", "tool_version": ""}', "op is not text"),
        ('{"op": {"a": 1}, "params": {}, "model_id": "", "model_sha256": "", "tool_version": ""}', "op is not text"),
        ('{"op": "l0", "params": {}, "model_id": "", "model_sha256": 7, "tool_version": ""}', "model_sha256 is not text"),
        ('{"op": "l0", "params": {}, "model_id": "", "model_sha256": "zz", "tool_version": ""}', "model_sha256 is not a sha256"),
        ('{"op": "l0", "params": {"lam": "x"}, "model_id": "", "model_sha256": "", "tool_version": ""}', "params"),
        ("[" * 100_000 + "]" * 100_000, "too long"),
        ("[" * 5_000 + "]" * 5_000, "not JSON"),  # nesting deep enough for a RecursionError
        ('{"op": "l0", "params": {}, "model_id": "", "model_sha256": "", "tool_version": "", "version": "2"}', "unknown version"),
        ('{"op": "l0", "params": {}, "model_id": "", "model_sha256": "", "tool_version": "", "family": 3}', "family is not text"),
        ('{"op": "l0", "params": {}, "model_id": "", "model_sha256": "", "tool_version": "", "inputs": 0}', "inputs is not a count"),
        (
            '{"op": "l0", "params": {}, "model_id": "", "model_sha256": "", "tool_version": "", "original": {"size": [4], "channels": 3}}',
            "original size",
        ),
        (
            '{"op": "l0", "params": {}, "model_id": "", "model_sha256": "", "tool_version": "",'
            ' "original": {"size": [4, 4], "channels": 2}}',
            "original channels",
        ),
    ],
)
def test_damaged_record_is_a_clear_error_for_restore_only(tmp_path, record, reason):
    from PIL.PngImagePlugin import PngInfo

    from restorable.api import apply_photo, restore_photo

    info = PngInfo()
    info.add_itxt("restorable", record)
    path = tmp_path / "bad.png"
    Image.fromarray(rgb()).save(path, pnginfo=info)
    photo = read_photo(path)
    assert photo.provenance is None and f"damaged restorable record ({reason}" in photo.record_error
    with pytest.raises(RestorableError, match=r"damaged restorable record.*\(op=NAME restores it without the record\)"):
        restore_photo(photo)
    processed = apply_photo(photo, "exposure")  # the input's own record plays no part in apply
    assert processed.provenance.op == "exposure" and any("ignored its damaged" in n for n in processed.notes)


def test_record_version_2_round_trips_and_version_1_reads_as_an_effect():
    from restorable.provenance import Original

    record = Provenance("gray", {}, "gray@abc", "ab" * 32, "0.2.0", size=(4, 3), family="gray", original=Original((4, 3), 3, 6))
    again = Provenance.from_json(record.to_json())
    assert again == record and again.version == 2 and again.original.orientation == 6
    old = Provenance.from_json('{"op": "l0", "params": {}, "model_id": "", "model_sha256": "", "tool_version": "0.1.0"}')
    assert old.version == 1 and old.family == "effect" and old.original is None and old.inputs == 1


def test_a_record_keeps_the_records_it_was_made_from_up_to_a_depth():
    from dataclasses import replace

    from restorable.provenance import MAX_BEFORE

    record = Provenance("wls", {"lam": 1.0}, "wls@abc", "ab" * 32, "0.2.0", size=(4, 3))
    for op in ("l0", "rtv"):
        record = Provenance(op, {}, f"{op}@abc", "cd" * 32, "0.2.0", size=(4, 3), before=record)
    again = Provenance.from_json(record.to_json())
    assert again == record and again.before.op == "l0" and again.before.before.op == "wls"
    assert again.before.before.before is None and again.depth == 3 and again.before.depth == 2
    deep = record
    for _ in range(MAX_BEFORE):
        deep = replace(record, before=deep)
    with pytest.raises(RestorableError, match=f"damaged restorable record \\(more than {MAX_BEFORE} records"):
        Provenance.from_json(deep.to_json())


def test_a_record_from_a_newer_restorable_says_to_upgrade():
    newer = '{"op": "l0", "params": {}, "model_id": "", "model_sha256": "", "tool_version": "9.0", "version": 3}'
    with pytest.raises(RestorableError, match="newer restorable.*upgrade"):
        Provenance.from_json(newer)


def test_exif_orientation_is_applied_and_reset(tmp_path):
    image = Image.fromarray(rgb(20, 40))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "TestCam"
    src = tmp_path / "rot.jpg"
    image.save(src, exif=exif.tobytes(), quality=95)
    photo = read_photo(src)
    assert photo.rgb.shape == (40, 20, 3) and photo.orientation == 6  # the record keeps what the original had
    out = tmp_path / "out.png"
    write_photo(out, photo)
    with Image.open(out) as img:
        assert img.getexif().get(0x0112, 1) == 1 and img.getexif().get(0x010F) == "TestCam"


def test_icc_profile_is_carried(tmp_path):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = tmp_path / "icc.png"
    Image.fromarray(rgb()).save(src, icc_profile=profile)
    photo = read_photo(src)
    for name in ["out.png", "out.jpg"]:
        write_photo(tmp_path / name, photo)
        with Image.open(tmp_path / name) as img:
            assert img.info.get("icc_profile") == profile


def test_rgba_alpha_is_kept_untouched(tmp_path):
    alpha = np.tile(np.arange(32, dtype=np.uint8) * 8, (24, 1))
    src = tmp_path / "a.png"
    Image.fromarray(np.dstack([rgb(), alpha]), "RGBA").save(src)
    photo = read_photo(src)
    assert np.array_equal(photo.alpha, alpha)
    write_photo(tmp_path / "o.png", photo)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "o.png"))[..., 3], alpha)
    notes = write_photo(tmp_path / "o.jpg", photo)
    assert any("alpha" in n or "transparency" in n for n in notes)


def test_sixteen_bit_grey_is_reduced_with_a_note(tmp_path):
    grey16 = (np.linspace(0, 65535, 24 * 32).reshape(24, 32)).astype(np.uint16)
    src = tmp_path / "g16.png"
    Image.fromarray(grey16).save(src)
    photo = read_photo(src)
    assert photo.rgb.dtype == np.uint8 and photo.rgb.shape == (24, 32)
    assert abs(int(photo.rgb[-1, -1]) - 255) <= 1 and photo.rgb[0, 0] == 0
    assert any("16-bit" in n for n in photo.notes)


@pytest.mark.parametrize("mode", ["P", "CMYK"])
def test_other_modes_become_rgb(tmp_path, mode):
    src = tmp_path / ("m.jpg" if mode == "CMYK" else "m.png")
    Image.fromarray(rgb()).convert(mode).save(src)
    photo = read_photo(src)
    assert photo.rgb.shape == (24, 32, 3) and photo.rgb.dtype == np.uint8


@pytest.mark.parametrize("mode", ["L", "1", "LA"])
def test_grey_files_stay_grey_until_an_effect_needs_colour(tmp_path, mode):
    src = tmp_path / "m.png"
    Image.fromarray(rgb()).convert(mode).save(src)
    photo = read_photo(src)
    assert photo.rgb.shape == (24, 32) and photo.rgb.dtype == np.uint8
    assert (photo.alpha is not None) == (mode == "LA")
    colour = in_colour(photo)
    assert colour.rgb.shape == (24, 32, 3) and np.array_equal(colour.rgb[..., 1], photo.rgb)
    assert "greyscale converted to RGB" in colour.notes and in_colour(colour) is colour
    write_photo(tmp_path / "back.png", photo)
    with Image.open(tmp_path / "back.png") as back:
        assert back.mode == ("LA" if mode == "LA" else "L")
        assert np.array_equal(np.asarray(back.convert("L")), photo.rgb)


def test_palette_transparency_becomes_alpha(tmp_path):
    img = Image.fromarray(rgb()).convert("P")
    src = tmp_path / "p.png"
    img.save(src, transparency=0)
    assert read_photo(src).alpha is not None


@pytest.mark.parametrize("quality", [85, 90, 95])
def test_jpeg_as_apply_writes_it_is_what_eval_measures(photo, quality):
    """`eval --jpeg-as-apply` round-trips through the very JPEG that `apply` writes (4:4:4 from quality 90)."""
    import io

    from restorable.image_file import jpeg_subsampling
    from restorable.model.quantize import jpeg_roundtrip_uint8
    from restorable.photo import encode_photo

    data, _ = encode_photo(Photo(photo), "JPEG", quality)
    with Image.open(io.BytesIO(data)) as img:
        written = np.asarray(img.convert("RGB"))
    assert np.array_equal(written, jpeg_roundtrip_uint8(photo, quality, jpeg_subsampling(quality)))
    other = jpeg_roundtrip_uint8(photo, quality, 2 - jpeg_subsampling(quality))  # the other subsampling
    assert not np.array_equal(written, other)
