"""The Python API as a developer meets it: kinds in and out, force, save, warnings, clear errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

import restorable
from restorable.metrics import psnr


@pytest.fixture()
def image(photo_path) -> Image.Image:
    with Image.open(photo_path) as img:
        return img.convert("RGB")


def test_the_top_level_names_what_it_offers():
    names = dir(restorable)
    for name in ("apply", "restore", "pack", "unpack", "save", "ops", "Session", "RunSettings", "RestorableError",
                 "ChangedImageError"):
        assert name in names
    from restorable import errors

    assert restorable.RestorableError is errors.RestorableError and restorable.WeightsError is errors.WeightsError
    assert "l0" in restorable.ops() and "pack-2" not in restorable.ops()


def test_save_keeps_the_record_in_a_jpeg_too(weights, image, tmp_path):
    processed = restorable.apply(image, op="exposure", weights=weights)
    assert restorable.save(processed, tmp_path / "out.png") == []
    notes = restorable.save(processed, tmp_path / "out.jpg", quality=92)  # the tiny network never saw JPEG
    assert len(notes) == 1 and "trained without JPEG" in notes[0] and "save as PNG" in notes[0]
    with Image.open(tmp_path / "out.jpg") as img:
        back = restorable.restore(img, weights=weights)  # no op=: the record came along
    assert psnr(np.asarray(back), np.asarray(image)) > 20
    with pytest.raises(restorable.RestorableError, match="unknown output format"):
        restorable.save(processed, tmp_path / "out.gif")
    with pytest.raises(restorable.RestorableError, match="quality"):
        restorable.save(processed, tmp_path / "out.jpg", quality=0)
    assert not (tmp_path / "out.gif").exists()


def test_force_restores_an_edited_image_as_the_error_says(weights, image):
    processed = restorable.apply(image, op="exposure", weights=weights)
    edited = processed.copy()
    edited.paste((255, 0, 0), (0, 0, edited.width, edited.height // 2))
    edited.info = dict(processed.info)
    with pytest.raises(restorable.ChangedImageError, match="force=True"):
        restorable.restore(edited, weights=weights)
    back = restorable.restore(edited, weights=weights, force=True)
    assert back.size == image.size


def test_a_small_local_edit_is_refused_as_a_change_and_jpeg_is_not(weights, image):
    import io

    processed = restorable.apply(image, op="exposure", weights=weights)
    edited = processed.copy()
    edited.paste((255, 0, 0), (40, 30, 60, 50))  # 20x20 of 128x96: the mean over the photo moves by ~1 level
    edited.info = dict(processed.info)
    with pytest.raises(restorable.ChangedImageError, match="a part of it differs from what was made"):
        restorable.restore(edited, weights=weights)
    buffer = io.BytesIO()
    processed.save(buffer, "JPEG", quality=30)
    with Image.open(buffer) as jpeg:
        jpeg.load()
        jpeg.info["restorable"] = processed.info["restorable"]
        assert restorable.restore(jpeg, weights=weights).size == image.size  # quality 30 is no edit


def test_a_webp_with_a_transparent_corner_restores_unrefused(weights, image, tmp_path):
    rgba = image.convert("RGBA")
    rgba.paste((0, 0, 0, 0), (0, 0, 40, 40))  # libwebp rewrote the colour under such pixels (exact=False)
    processed = restorable.apply(rgba, op="exposure", weights=weights)
    restorable.save(processed, tmp_path / "out.webp", quality=95)
    with Image.open(tmp_path / "out.webp") as img:
        back = restorable.restore(img, weights=weights)  # not refused as "a part of it differs"
    assert back.mode == "RGBA" and back.size == image.size


def test_a_session_takes_pil_images_and_arrays_and_gives_the_same_kind(weights, image, caplog):
    session = restorable.Session(restorable.RunSettings(device="cpu", weights=weights))
    processed = session.apply(image, "exposure")
    assert isinstance(processed, Image.Image) and "restorable" in processed.info
    assert psnr(np.asarray(session.restore(processed)), np.asarray(image)) > 25
    array = np.asarray(image)
    out = session.apply(array, "exposure")
    assert isinstance(out, np.ndarray) and out.shape == array.shape
    with caplog.at_level(logging.WARNING, logger="restorable"):
        back = session.restore(out, op="exposure")
    assert isinstance(back, np.ndarray) and psnr(back, array) > 25
    assert any("no restorable record" in r.getMessage() for r in caplog.records)  # the note is not lost


def test_notes_reach_the_restorable_logger(weights, image, caplog):
    with caplog.at_level(logging.WARNING, logger="restorable"):
        restorable.apply(image, op="exposure", params={"ev": 1.5}, weights=weights)
    assert any("trained for ev=1" in r.getMessage() for r in caplog.records)


def test_save_refuses_a_jpeg_of_an_exact_result_and_says_a_payload_is_lost(weights, image, tmp_path):
    exact = restorable.apply(image, op="exposure", mode="exact")
    for name in ("exact.jpg", "exact.webp"):
        with pytest.raises(restorable.RestorableError, match="must be kept losslessly"):
            restorable.save(exact, tmp_path / name)
        assert not (tmp_path / name).exists()
    assert restorable.save(exact, tmp_path / "exact.png") == []
    with_payload = restorable.apply(image, op="exposure", weights=weights, payload=True)
    notes = restorable.save(with_payload, tmp_path / "payload.webp")
    assert any("refinement payload does not survive WEBP" in note for note in notes), notes


def test_save_with_the_original_checks_how_the_file_restores_before_writing_it(image, tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    # as `restorable apply` does: the API's apply wrote whatever it got, so a developer could delete originals
    # kept only in a file that restores poorly
    processed = restorable.apply(image, op="l0")
    notes = restorable.save(processed, folder / "out.png", original=image)
    said = float(notes[0].removeprefix("restores at ").removesuffix(" dB"))
    with Image.open(folder / "out.png") as img:
        back = restorable.restore(img)
    assert said == pytest.approx(psnr(np.asarray(back), np.asarray(image)), abs=0.05) and said > 30
    with pytest.raises(restorable.RestorableError, match=r"would restore at only .* as JPEG .*save it as PNG"):
        restorable.save(processed, folder / "low.jpg", quality=5, original=image)
    with pytest.raises(restorable.RestorableError, match="below min_restore_db 80"):
        restorable.save(processed, folder / "high.png", original=image, min_restore_db=80)
    other = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # not the photo it was made from
    with pytest.raises(restorable.RestorableError, match="would restore at only"):
        restorable.save(processed, folder / "other.png", original=other)
    assert sorted(p.name for p in folder.iterdir()) == ["out.png"]  # nothing else written, no temporary left
    with pytest.raises(restorable.RestorableError, match="needs the record of apply's PIL result"):
        restorable.save(np.asarray(processed), folder / "array.png", original=image)


def test_save_with_the_original_takes_the_weights_apply_took(weights, image, tmp_path):
    processed = restorable.apply(image, op="exposure", weights=weights)
    notes = restorable.save(processed, tmp_path / "out.png", original=image, weights=weights, min_restore_db=20)
    assert notes[0].startswith("restores at ")
    packed = restorable.pack([image, image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)])
    with pytest.raises(restorable.RestorableError, match="pack checks that every image unpacks"):
        restorable.save(packed, tmp_path / "packed.png", original=image)


def test_an_array_result_is_contiguous_and_says_it_carries_no_record(weights, image, tmp_path):
    out = restorable.apply(np.asarray(image), op="exposure", weights=weights)
    assert out.flags.c_contiguous
    notes = restorable.save(out, tmp_path / "array.png")
    assert any("an array carries no record" in note for note in notes), notes
    with pytest.raises(restorable.RecordError, match=r"an array carries no record \(op=NAME"):
        restorable.restore(out, weights=weights)
    with pytest.raises(restorable.RecordError, match="op='pack-2'"):
        restorable.unpack(out)
    exact = restorable.apply(np.asarray(image), op="exposure", mode="exact")  # its payload needs no record
    assert psnr(restorable.restore(exact), np.asarray(image)) > 30  # the payload's own figure on this small photo


def test_missing_or_damaged_weights_are_a_weights_error(image, tmp_path):
    with pytest.raises(restorable.WeightsError, match="no such weights file"):
        restorable.apply(image, op="l0", weights=tmp_path / "nope.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not weights")
    with pytest.raises(restorable.WeightsError, match="not a readable safetensors checkpoint"):
        restorable.apply(image, op="l0", weights=tmp_path / "junk.safetensors")


def test_type_hints_resolve_and_the_package_says_it_is_typed():
    import typing
    from importlib.resources import files

    for function in (restorable.apply, restorable.restore, restorable.pack, restorable.unpack, restorable.save,
                     restorable.pnginfo, restorable.Session.apply, restorable.Session.restore):
        hints = typing.get_type_hints(function)
        assert "return" in hints
    assert Image.Image in typing.get_args(typing.get_type_hints(restorable.apply)["image"])
    assert files("restorable").joinpath("py.typed").is_file()


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda x: restorable.Session("cpu"), "takes a RunSettings"),
        (lambda x: restorable.RunSettings(device="xx"), "unknown device"),
        (lambda x: restorable.apply(Image.fromarray(x).convert("I"), op="l0"), "32-bit integer"),
        (lambda x: restorable.apply(Image.fromarray(x[..., 0].astype(np.float32)), op="l0"), "32-bit float"),
        (lambda x: restorable.restore(np.zeros((0, 5, 3), np.uint8), op="l0"), "empty"),
        (lambda x: restorable.apply(x, op="l0", params=[1, 2]), "must be a dict"),
        (lambda x: restorable.pnginfo(x), "takes a PIL image"),
        (lambda x: restorable.restore(x, op="pack-2"), "unpack"),
        (lambda x: restorable.restore(x, op="blur"), "unknown operator"),
        (lambda x: restorable.restore("out.png"), r"got str: open a file with restorable.read_photo\(path\)"),
        (lambda x: restorable.apply(x / 255.0, op="l0"), r"got float64 \(floats in 0..1: \(x \* 255\)"),
        (lambda x: restorable.save(Image.fromarray(x), object()), "save takes a file path"),
    ],
)
def test_wrong_input_is_a_clear_restorable_error(image, call, words):
    with pytest.raises(restorable.RestorableError, match=words):
        call(np.asarray(image))


def test_a_truncated_file_opened_by_pil_is_a_clear_error(photo_path, tmp_path):
    cut = tmp_path / "cut.jpg"
    data = photo_path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the header is whole: Image.open works, decoding fails
    with Image.open(cut) as img, pytest.raises(restorable.RestorableError, match="cut short|not a readable image"):
        restorable.apply(img, op="l0")
