"""The gray family end to end: a one-channel PNG/JPEG that restores the colour (a small network trained once)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import restorable
from restorable.cli import app
from restorable.metrics import psnr


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def rgb_of(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


# The session's gray network is tiny and trained for 300 steps: its figures move with the training seed and the CPU's
# float kernels (conftest.gray_weights). The tests check that the colour comes back, with bars well clear of every
# figure seen (5 seeds, torch 2.13 and 2.14); the bundled gray weights carry the quality claims (test_bundled.py).
COLOUR_BACK = 0.5  # the restore's chroma error / the grey's: seen 0.23-0.28
MORE_THAN_GREY_DB = 3  # the restore's PSNR above the grey shown in colour: seen 7.9-9.2 dB
LIKE_REC601_DB = 22  # the grey from the Rec. 601 grey: seen 25.7-28.7 dB


def colour_error(image: np.ndarray, original: np.ndarray) -> float:
    """RMS error of the Rec. 601 chroma (Cb, Cr), in 8-bit levels; a grey image scores the photo's own chroma."""
    to_cbcr = np.array([[-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
    diff = (image.astype(np.float64) - original.astype(np.float64)) @ to_cbcr.T
    return float(np.sqrt(np.mean(diff**2)))


def assert_colour_came_back(back: np.ndarray, grey: np.ndarray, original: np.ndarray) -> None:
    grey_rgb = np.repeat(grey[..., None], 3, axis=2)
    assert colour_error(back, original) < COLOUR_BACK * colour_error(grey_rgb, original)
    assert psnr(back, original) > psnr(grey_rgb, original) + MORE_THAN_GREY_DB


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_apply_writes_one_channel_and_restore_brings_colour_back(gray_weights, photo_path, tmp_path, suffix):
    out = tmp_path / f"grey{suffix}"
    result = invoke("apply", "--op", "gray", "--weights", gray_weights, "--min-restore-db", 0, photo_path, out)
    assert result.exit_code == 0, result.output
    with Image.open(out) as img:
        assert img.mode == "L" and len(img.getbands()) == 1
        grey = np.asarray(img)
        record = json.loads(img.info["restorable"] if suffix == ".png" else img.info["comment"][len(b"restorable:") :])
    assert record["family"] == "gray" and record["version"] == 2
    assert record["original"] == {"size": [128, 96], "channels": 3, "orientation": 1}
    original = rgb_of(photo_path)
    luma = original.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert psnr(grey, np.rint(luma).astype(np.uint8)) > LIKE_REC601_DB  # it looks like the grey conversion

    result = invoke("restore", out, "--weights", gray_weights)
    assert result.exit_code == 0, result.output
    back = rgb_of(tmp_path / "grey.restored.png")
    assert back.shape == original.shape
    assert_colour_came_back(back, grey, original)


def test_a_grey_image_saved_again_in_colour_still_restores(gray_weights, photo_path, tmp_path):
    out = tmp_path / "grey.png"
    assert invoke("apply", "--op", "gray", "--weights", gray_weights, "--min-restore-db", 0, photo_path, out).exit_code == 0
    with Image.open(out) as img:
        colour = img.convert("RGB")
        colour.save(tmp_path / "rgb.png", pnginfo=_same_record(img))
    direct = restorable.restore(Image.open(out), weights=gray_weights)
    again = restorable.restore(Image.open(tmp_path / "rgb.png"), weights=gray_weights)
    assert np.array_equal(np.asarray(direct), np.asarray(again))


def _same_record(img):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("restorable", img.info["restorable"])
    return info


def test_the_api_gives_a_grey_array_and_takes_it_back(gray_weights, photo_path):
    original = rgb_of(photo_path)
    grey = restorable.apply(original, op="gray", weights=gray_weights)
    assert grey.shape == original.shape[:2] and grey.dtype == np.uint8
    back = restorable.restore(grey, op="gray", weights=gray_weights)
    assert back.shape == original.shape
    assert_colour_came_back(back, grey, original)


def test_tiles_join_without_seams_on_a_grey_network(gray_weights, photo_path):
    from restorable.engine import forward_image, reverse_image
    from restorable.weights import load_weights

    model = load_weights("gray", gray_weights).model
    original = rgb_of(photo_path)
    reference = restorable.operators.run_operator("gray", original)
    whole = forward_image(model, original, reference)
    tiled = forward_image(model, original, reference, tile=32)
    assert whole.shape == original.shape[:2] and np.abs(whole.astype(int) - tiled).max() <= 1
    assert np.abs(reverse_image(model, whole).astype(int) - reverse_image(model, whole, tile=32)).max() <= 1


@pytest.mark.parametrize("flag", [("--mode", "exact"), ("--payload",)])
def test_payload_modes_are_refused_in_one_line(photo_path, tmp_path, flag):
    from tests.test_cli import run_cli

    result = run_cli("apply", "--op", "gray", *flag, str(photo_path), str(tmp_path / "o.png"))
    assert result.returncode != 0 and "for colour effects" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.png").exists()


def test_apply_checks_the_grey_file_restores_before_writing_it(gray_weights, photo_path, tmp_path):
    """--min-restore-db restores the one-channel result as it will be saved (here a grey JPEG)."""
    out = tmp_path / "grey.jpg"
    ok = invoke("apply", "--op", "gray", "--weights", gray_weights, "--min-restore-db", 10, photo_path, out)
    assert ok.exit_code == 0 and "restores at" in ok.output
    refused = invoke("apply", "--op", "gray", "--weights", gray_weights, "--min-restore-db", 99, photo_path, tmp_path / "no.jpg")
    assert refused.exit_code != 0 and "below --min-restore-db 99" in str(refused.exception)
    assert not (tmp_path / "no.jpg").exists()


def test_a_grey_photo_through_a_colour_effect_comes_back_grey(weights, tmp_path, photo_path):
    grey_in = tmp_path / "grey-in.png"
    with Image.open(photo_path) as img:
        img.convert("L").save(grey_in)
    out = tmp_path / "exposed.png"
    assert invoke("apply", "--op", "exposure", "--weights", weights, "--min-restore-db", 0, grey_in, out).exit_code == 0
    with Image.open(out) as img:
        assert img.mode == "RGB"  # the effect is in colour
        assert json.loads(img.info["restorable"])["original"]["channels"] == 1
    assert invoke("restore", out, "--weights", weights).exit_code == 0
    with Image.open(tmp_path / "exposed.restored.png") as back, Image.open(grey_in) as want:
        assert back.mode == "L" and psnr(np.asarray(back), np.asarray(want)) > 25
