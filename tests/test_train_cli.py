"""`restorable train` and `restorable eval` end to end on two tiny photos."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from typer.testing import CliRunner

from restorable.cli import app
from restorable.errors import RestorableError


@pytest.fixture()
def folders(tmp_path, odd_photo_path, monkeypatch):
    monkeypatch.setenv("RESTORABLE_CACHE", str(tmp_path / "cache"))
    data, outputs = tmp_path / "data", tmp_path / "outputs"
    data.mkdir()
    outputs.mkdir()
    with Image.open(odd_photo_path) as img:
        for i, box in enumerate([(0, 0, 70, 66), (300, 200, 370, 266)]):
            crop = img.crop(box)
            crop.save(data / f"p{i}.png")
            crop.transpose(Image.FLIP_LEFT_RIGHT).save(outputs / f"p{i}.png")  # a black-box "operator"
    return data, outputs


def train(args: list[str]):
    return CliRunner().invoke(app, ["train", "--size", "66", "--crop", "32", "--batch", "2", "--width", "8", *args])


def test_train_then_eval_json(folders, tmp_path):
    data, _ = folders
    ckpt = tmp_path / "m.safetensors"
    result = train(["--op", "exposure", "--data", str(data), "--val", str(data), "--out", str(ckpt), "--steps", "4", "--val-every", "2"])
    assert result.exit_code == 0, result.output
    meta = json.loads(ckpt.with_name(ckpt.name + ".json").read_text())
    assert meta["steps"] == 4 and [h["step"] for h in meta["history"]] == [2, 4]

    result = CliRunner().invoke(app, ["eval", "--ckpt", str(ckpt), "--data", str(data), "--jpeg", "90", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["images"]) == {"p0", "p1"}
    for key in ["approx_psnr", "approx_ssim", "restore_png_psnr", "restore_jpeg90_psnr", "identity_psnr"]:
        assert key in report["mean"]


def test_resume_extends_a_run(folders, tmp_path):
    data, _ = folders
    ckpt = tmp_path / "m.safetensors"
    assert train(["--op", "exposure", "--data", str(data), "--out", str(ckpt), "--steps", "2"]).exit_code == 0
    result = train(["--op", "exposure", "--data", str(data), "--out", str(ckpt), "--steps", "5", "--resume"])
    assert result.exit_code == 0, result.output
    assert json.loads(ckpt.with_name(ckpt.name + ".json").read_text())["steps"] == 5


def test_stop_at_cuts_a_stage_short_of_its_schedule(folders, tmp_path):
    data, _ = folders
    ckpt = tmp_path / "s.safetensors"
    assert train(["--op", "exposure", "--data", str(data), "--out", str(ckpt), "--steps", "6", "--stop-at", "2"]).exit_code == 0
    meta = json.loads(ckpt.with_name(ckpt.name + ".json").read_text())
    assert meta["steps"] == 2 and meta["train"]["total_steps"] == 6  # the learning rate decayed over 6 steps, not 2


def test_init_starts_a_new_run_from_finished_weights(folders, tmp_path):
    from safetensors.torch import load_file

    data, _ = folders
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert train(["--op", "exposure", "--data", str(data), "--out", str(first), "--steps", "3"]).exit_code == 0
    result = train(
        ["--op", "exposure", "--data", str(data), "--out", str(second), "--steps", "2", "--init", str(first),
         "--w-restore", "4", "--jpeg", "--jpeg-quality", "85-95", "--lr", "0"]
    )
    assert result.exit_code == 0, result.output
    meta = json.loads(second.with_name(second.name + ".json").read_text())
    assert meta["steps"] == 2 and meta["init"]["steps"] == 3 and meta["init"]["file"] == "a.safetensors"
    assert meta["train"]["weight_restore"] == 4 and meta["train"]["jpeg_range"] == [85, 95]
    before, after = load_file(first), load_file(second)
    assert before.keys() == after.keys()
    assert all(before[k].equal(after[k]) for k in before)  # lr 0: the weights are the starting ones
    result = train(["--op", "llf", "--data", str(data), "--out", str(tmp_path / "c.safetensors"), "--steps", "1", "--init", str(first)])
    assert result.exit_code != 0 and "not 'llf'" in str(result.exception)


def test_pairs_trains_a_black_box_operator(folders, tmp_path):
    data, outputs = folders
    ckpt = tmp_path / "m.safetensors"
    result = train(["--pairs", str(outputs), "--data", str(data), "--out", str(ckpt), "--steps", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(ckpt.with_name(ckpt.name + ".json").read_text())["op"] == "custom"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--op", "exposure"], "give --steps"),
        (["--steps", "2"], "give --op"),
        (["--op", "exposure", "--steps", "2", "--resume"], "nothing to resume"),
        (["--op", "exposure", "--steps", "2", "--jpeg-mode", "fast"], "--jpeg-mode"),
        (["--op", "exposure", "--steps", "2", "--jpeg-quality", "95-85"], "--jpeg-quality"),
        (["--op", "exposure", "--steps", "2", "--jpeg-quality", "high"], "--jpeg-quality"),
        (["--op", "exposure", "--steps", "2", "--init", "missing.safetensors"], "no such checkpoint"),
    ],
)
def test_train_refuses_bad_options(folders, tmp_path, args, message):
    data, _ = folders
    result = train(["--data", str(data), "--out", str(tmp_path / "m.safetensors"), *args])
    assert result.exit_code != 0
    assert message in str(result.exception)


def test_a_conditioned_run_resumes_conditioned_and_refuses_fixed_parameters(folders, tmp_path):
    data, outputs = folders
    ckpt = tmp_path / "c.safetensors"
    common = ["--op", "exposure", "--data", str(data), "--out", str(ckpt), "--aux", "reference"]
    result = train([*common, "--conditioned", "--draws", "2", "--steps", "2"])
    assert result.exit_code == 0, result.output
    assert "6 photo settings" in result.output  # two photos, at the defaults and two draws each
    result = train([*common, "--resume", "--steps", "3"])  # without --conditioned: the run keeps its own
    assert result.exit_code == 0, result.output
    meta = json.loads(ckpt.with_name(ckpt.name + ".json").read_text())
    assert meta["steps"] == 3 and meta["train"]["conditioned"] and meta["condition"][0]["name"] == "ev"
    result = train([*common[:-2], "--out", str(tmp_path / "d.safetensors"), "--conditioned", "-p", "ev=2", "--steps", "2"])
    assert result.exit_code == 1 and "leave out --pairs and --param" in str(result.exception)


def test_eval_can_measure_the_jpeg_apply_writes(folders):
    """`--jpeg-as-apply` restores from 4:4:4 JPEGs (what `apply` writes at quality 90), not 4:2:0, and the report
    says which (on val/ at 512 px, l0 v4 restores 0.1-0.4 dB better from them)."""
    from pathlib import Path

    import restorable

    data, _ = folders
    ckpt = Path(restorable.__file__).parent / "weights" / "bundled" / "exposure-v5.safetensors"
    reports = {}
    for flag in ([], ["--jpeg-as-apply"]):
        result = CliRunner().invoke(app, ["eval", "--ckpt", str(ckpt), "--data", str(data), "--jpeg", "90", "--json", *flag])
        assert result.exit_code == 0, result.output
        reports[bool(flag)] = json.loads(result.stdout)
    assert reports[False]["jpeg_chroma"] == {"90": "4:2:0"} and reports[True]["jpeg_chroma"] == {"90": "4:4:4"}
    assert abs(reports[True]["mean"]["restore_jpeg90_psnr"] - reports[False]["mean"]["restore_jpeg90_psnr"]) > 0.05
    assert reports[True]["mean"]["approx_psnr"] == reports[False]["mean"]["approx_psnr"]


@pytest.mark.parametrize(("args", "message"), [
    (["--jpeg-chroma", "422"], "--jpeg-chroma must be 420 or apply"),
    (["--jpeg-chroma", "apply", "--jpeg-mode", "differentiable"], "needs --jpeg-mode real"),
])
def test_jpeg_chroma_is_checked_before_any_work(folders, tmp_path, args, message):
    data, _ = folders
    result = train(["--op", "exposure", "--data", str(data), "--out", str(tmp_path / "m.safetensors"), "--steps", "2", "--jpeg", *args])
    assert isinstance(result.exception, RestorableError) and message in str(result.exception)  # main() prints it on one line
    assert not (tmp_path / "m.safetensors").exists()
