"""`restorable apply` / `restore` and the Python API, with a small network trained once for the session."""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import restorable
from restorable.cli import app
from restorable.metrics import psnr


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".webp"])
def test_cli_round_trip_restore_needs_no_flags(weights, photo_path, tmp_path, suffix):
    from restorable.photo import read_photo

    out = tmp_path / f"out{suffix}"
    result = invoke("apply", "--op", "exposure", "-p", "ev=1", "--weights", weights, photo_path, out)
    assert result.exit_code == 0, result.output
    record = read_photo(out).provenance  # every output format carries the record (TIFF and WebP did not)
    assert record is not None and record.op == "exposure" and record.params["ev"] == 1.0
    result = invoke("restore", out, "--weights", weights)
    assert result.exit_code == 0, result.output
    restored = tmp_path / "out.restored.png"
    original = np.asarray(Image.open(photo_path).convert("RGB"))
    processed = np.asarray(Image.open(out).convert("RGB"))
    back = np.asarray(Image.open(restored).convert("RGB"))
    assert psnr(back, original) > psnr(processed, original) + 3


def test_apply_and_restore_of_one_file_alone_write_beside_it(weights, photo_path):
    """`apply IN` writes STEM.OP.png beside IN, as `restore IN` writes STEM.restored.png."""
    result = invoke("apply", "--op", "exposure", "--weights", weights, "--min-restore-db", "0", photo_path)
    processed = photo_path.with_name(f"{photo_path.stem}.exposure.png")
    assert result.exit_code == 0 and processed.exists(), result.output
    assert invoke("restore", processed, "--weights", weights).exit_code == 0
    assert processed.with_name(f"{photo_path.stem}.exposure.restored.png").exists()


def test_jpeg_output_warns_when_weights_were_trained_without_jpeg(weights, photo_path, tmp_path, monkeypatch):
    monkeypatch.setenv("RESTORABLE_OFFLINE", "1")
    without_jpeg = invoke("apply", "--op", "exposure", "--weights", weights, photo_path, tmp_path / "a.jpg")
    as_png = invoke("apply", "--op", "exposure", "--weights", weights, photo_path, tmp_path / "a.png")
    with_jpeg = invoke("apply", "--op", "l0", photo_path, tmp_path / "b.jpg")  # bundled l0: trained with JPEG
    for result in (without_jpeg, as_png, with_jpeg):
        assert result.exit_code == 0, result.output
    assert "trained without JPEG" in without_jpeg.output and "save as PNG" in without_jpeg.output
    assert "trained without JPEG" not in as_png.output
    assert "trained without JPEG" not in with_jpeg.output


def test_stripped_record_needs_op(weights, photo_path, tmp_path):
    out = tmp_path / "out.png"
    assert invoke("apply", "--op", "exposure", "--weights", weights, photo_path, out).exit_code == 0
    stripped = tmp_path / "stripped.png"
    Image.open(out).convert("RGB").save(stripped)  # another program re-saved it
    result = invoke("restore", stripped, "--weights", weights)
    assert result.exit_code != 0 and "--op NAME" in result.exception.for_cli()
    assert isinstance(result.exception, restorable.errors.RecordError)
    assert invoke("restore", stripped, "--op", "exposure", "--weights", weights).exit_code == 0


def test_python_api_on_pil_and_numpy(weights, photo_path):
    image = Image.open(photo_path)
    processed = restorable.apply(image, op="exposure", weights=weights)
    assert isinstance(processed, Image.Image) and "restorable" in processed.info
    back = restorable.restore(processed, weights=weights)
    assert back.size == image.size
    array = np.asarray(image.convert("RGB"))
    out = restorable.apply(array, op="exposure", weights=weights)
    assert isinstance(out, np.ndarray) and out.shape == array.shape and out.dtype == np.uint8
    with pytest.raises(restorable.errors.RecordError, match="op=NAME"):  # the API names its argument, not the flag
        restorable.restore(out, weights=weights)
    assert restorable.restore(out, op="exposure", weights=weights).shape == array.shape


def test_rgba_keeps_alpha(weights, photo_path, tmp_path):
    rgba = tmp_path / "a.png"
    img = Image.open(photo_path).convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, img.width).astype(np.uint8), (img.height, 1))
    img.putalpha(Image.fromarray(alpha))
    img.save(rgba)
    assert invoke("apply", "--op", "exposure", "--weights", weights, rgba, tmp_path / "o.png").exit_code == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "o.png"))[..., 3], alpha)


def test_tiled_and_untiled_agree(weights, odd_photo_path):
    from restorable.engine import forward_image, reverse_image
    from restorable.model.checkpoint import load_model
    from restorable.operators import run_operator

    model, _ = load_model(weights)
    image = np.asarray(Image.open(odd_photo_path).convert("RGB"))
    reference = run_operator("exposure", image)
    whole = forward_image(model, image, reference, tile=0)
    tiled = forward_image(model, image, reference, tile=128)
    assert psnr(whole, tiled) > 50
    assert psnr(reverse_image(model, whole, tile=0), reverse_image(model, whole, tile=96)) > 50


def test_batch_goes_on_past_corrupt_files(weights, tmp_path, odd_photo_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    with Image.open(odd_photo_path) as img:
        for i in range(18):
            folder = src / "sub" if i % 3 == 0 else src
            img.crop((i * 20, i * 10, i * 20 + 48, i * 10 + 40)).save(folder / f"p{i:02d}.png")
    (src / "broken1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (src / "sub" / "broken2.jpg").write_bytes(b"not a jpeg at all")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", "from restorable.cli import main; main()", "apply", "--op", "exposure", "--weights", str(weights),
         "-r", str(src), "-o", str(out), "--min-restore-db", "0"],  # the tiny test network restores at ~27 dB
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1, result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert len(written) == 18 and "sub/p00.png" in written, result.stderr
    assert "18 done, 0 skipped" in result.stderr and "2 failed" in result.stderr
    assert "broken1.png" in result.stderr and "broken2.jpg" in result.stderr
    assert "Traceback" not in result.stderr
    # a second run skips what exists, and never writes temporary files
    again = invoke("apply", "--op", "exposure", "--weights", weights, "-r", src, "-o", out, "--min-restore-db", "0")
    assert again.exit_code == 1
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_a_folder_batch_skips_its_own_output_folder_hidden_files_and_follows_symlinks(weights, tmp_path, odd_photo_path):
    """-o inside the folder: a rerun does not process its outputs; AppleDouble ``._`` files are not photos; a
    symlinked file keeps its own name and a symlinked folder is walked where it is linked; other types are named."""
    photos, elsewhere = tmp_path / "photos", tmp_path / "elsewhere"
    (photos / "sub").mkdir(parents=True)
    (elsewhere / "deep").mkdir(parents=True)
    with Image.open(odd_photo_path) as img:
        crop = img.crop((0, 0, 48, 40))
    for path in (photos / "a.png", photos / "sub" / "b.png", elsewhere / "target.png", elsewhere / "deep" / "d.png"):
        crop.save(path)
    (photos / "._a.png").write_bytes(b"\x00\x05\x16\x07 resource fork")  # what macOS leaves on other disks
    (photos / "clip.gif").write_bytes(b"GIF89a")
    (photos / "link.png").symlink_to(elsewhere / "target.png")
    (photos / "sub" / "linked").symlink_to(elsewhere / "deep", target_is_directory=True)
    out = photos / "processed"
    args = ("apply", "--op", "exposure", "--weights", weights, "-r", photos, "-o", out, "--min-restore-db", "0")
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["a.png", "link.png", "sub/b.png", "sub/linked/d.png"], first.output
    assert "4 done" in first.output and "left out 1 file it does not read (.gif): clip.gif" in first.output
    again = invoke(*args)
    assert again.exit_code == 0 and "0 done, 4 skipped" in again.output, again.output
    assert not (out / "processed").exists() and len(list(out.rglob("*.png"))) == 4


def test_a_batch_names_the_photo_that_restores_least(weights, tmp_path, odd_photo_path):
    """The summary names the output whose restoration is lowest, as `restore` then gives it."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    with Image.open(odd_photo_path) as img:
        for i, box in enumerate([(0, 0, 96, 80), (200, 100, 296, 180), (380, 250, 476, 330)]):
            img.crop(box).save(src / f"p{i}.png")
    result = invoke("apply", "--op", "exposure", "--weights", weights, src, "-o", out, "--min-restore-db", "1")
    assert result.exit_code == 0, result.output
    assert invoke("restore", out, "-o", tmp_path / "back", "--weights", weights).exit_code == 0
    restored = {p.stem: psnr(np.asarray(Image.open(tmp_path / "back" / p.name)), np.asarray(Image.open(p)))
                for p in sorted(src.iterdir())}
    assert max(restored.values()) - min(restored.values()) > 0.2  # the photos differ enough to tell
    worst = min(restored, key=restored.get)
    line = next(line for line in result.output.splitlines() if line.startswith("lowest of 3 checked: "))
    assert line.startswith(f"lowest of 3 checked: {src / worst}.png restores at {restored[worst]:.1f} dB")
    assert f"(median {sorted(restored.values())[1]:.1f} dB)" in line


@pytest.mark.parametrize("op", ["exposure", "rgf"])
def test_reference_in_tiles_matches_whole_for_local_operators(op, odd_photo_path):
    from restorable.engine import reference_tiled
    from restorable.operators import run_operator

    image = np.asarray(Image.open(odd_photo_path).convert("RGB"))
    whole = run_operator(op, image)
    tiled = reference_tiled(lambda part: run_operator(op, part), image, tile=64, size=100)
    assert psnr(whole, tiled) > 50


def test_each_device_gets_its_own_copy_of_a_cached_network(weights, photo_path):
    """A session runs a per-device copy; the cached network is never moved or made channels-last in place."""
    from restorable.photo import read_photo
    from restorable.session import Session, model_on
    from restorable.settings import RunSettings
    from restorable.weights import load_weights

    loaded = load_weights("exposure", weights)
    session = Session(RunSettings(device="cpu", weights=weights))
    session.restore(session.apply(read_photo(photo_path), "exposure"))
    net, device = session.network(loaded)
    assert device == "cpu" and net is not loaded.model and net is model_on(loaded, "cpu")  # made once, kept
    convs = [p for p in loaded.model.parameters() if p.dim() == 4]
    assert convs and all(p.is_contiguous() for p in convs)  # the cached original as loaded


def test_run_settings_check_their_values_once(tmp_path):
    from restorable.errors import RestorableError
    from restorable.settings import RunSettings

    with pytest.raises(RestorableError, match="unknown backend"):
        RunSettings(backend="tensorflow")
    with pytest.raises(RestorableError, match="tile side"):
        RunSettings(tile=3)
    with pytest.raises(RestorableError, match="unknown device"):
        RunSettings(device="gpu0")
    (tmp_path / "w.safetensors").write_bytes(b"")
    assert RunSettings(weights=str(tmp_path / "w.safetensors")).weights == tmp_path / "w.safetensors"
    with pytest.raises(RestorableError, match="no such weights file"):
        RunSettings(weights="missing.safetensors")
    assert RunSettings(tile=0).tile == 0
