"""scripts/gpu_window.sh, dry run on the CPU (DEVICE=cpu): two windows, the second resuming the first's tarball."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TINY = "--size 66 --crop 32 --batch 2 --width 8 --steps 100000"


@pytest.fixture()
def window(tmp_path, odd_photo_path):
    """Runs the window script on two small photos with a stage file of tiny stages; returns (run, tmp_path)."""
    data = tmp_path / "data"
    data.mkdir()
    with Image.open(odd_photo_path) as img:
        for i, box in enumerate([(0, 0, 70, 66), (300, 200, 370, 266)]):
            img.crop(box).save(data / f"p{i}.png")
    stages = tmp_path / "stages.sh"
    stages.write_text(
        "TINY_STAGES=(\n"
        f'  "tiny-a exposure {TINY}"\n'
        f'  "tiny-c exposure --init $RUNS/tiny-a.safetensors {TINY}"\n'
        f'  "tiny-w wls --seed 1 {TINY}"\n'
        ")\n"
    )

    def run(out: str, *names: str, **env: str) -> subprocess.CompletedProcess:
        settings = {
            **os.environ, "DEVICE": "cpu", "STAGE_FILES": str(stages), "DATA": str(data), "VAL": str(data),
            "CACHE": str(tmp_path / "cache"), "OUT": str(tmp_path / out), "MINUTES": "0.05", **env,
        }
        return subprocess.run(
            ["bash", str(ROOT / "scripts/gpu_window.sh"), *names], env=settings, capture_output=True, text=True, timeout=300
        )

    return run, tmp_path


def unpack(out: Path, into: Path) -> list[str]:
    """The window's tarball (whole or in parts) unpacked into ``into``; the names it held."""
    parts = sorted(out.glob("window.tar.gz.part-*")) or [out / "window.tar.gz"]
    whole = into.with_suffix(".tar.gz")
    whole.write_bytes(b"".join(p.read_bytes() for p in parts))
    with tarfile.open(whole) as tar:
        tar.extractall(into, filter="data")
        return tar.getnames()


def test_a_window_trains_evaluates_packs_and_the_next_resumes_it(window):
    run, tmp = window
    first = run("w1", "tiny-a", PART_MB="0.1")  # parts of 100 KiB: the split path too
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(list((tmp / "w1").glob("window.tar.gz.part-*"))) > 1 and not (tmp / "w1/window.tar.gz").exists()
    names = unpack(tmp / "w1", tmp / "w1-unpacked")
    for kept in ["tiny-a.safetensors", "tiny-a.safetensors.state", "tiny-a.safetensors.json", "tiny-a.eval.json",
                 "tiny-a.log", "summary.md", "machine.txt"]:
        assert kept in names
    meta = json.loads((tmp / "w1-unpacked/tiny-a.safetensors.json").read_text())
    assert meta["steps"] > 0 and meta["crops_seen"] == 2 * meta["steps"]
    assert meta["stage"] == "scripts/gpu_window.sh tiny-a" and meta["trained_on"] == ["cpu"]
    evaluation = json.loads((tmp / "w1-unpacked/tiny-a.eval.json").read_text())
    assert set(evaluation["images"]) == {"p0", "p1"} and "restore_jpeg90_psnr" in evaluation["mean"]
    assert f"| tiny-a | exposure | new | 0 -> {meta['steps']} |" in (tmp / "w1-unpacked/summary.md").read_text()

    second = run("w2", "tiny-a", "tiny-c", PREV=str(tmp / "w1/window.tar.gz"))
    assert second.returncode == 0, second.stdout + second.stderr
    log = (tmp / "w2/tiny-a.log").read_text()
    assert re.search(rf"starting at step {meta['steps']}\b", log), log  # the optimiser state came along too
    resumed = json.loads((tmp / "w2/tiny-a.safetensors.json").read_text())
    assert resumed["steps"] > meta["steps"] and resumed["crops_seen"] == 2 * resumed["steps"]
    warm = json.loads((tmp / "w2/tiny-c.safetensors.json").read_text())  # started from $RUNS: the previous window
    assert warm["init"]["sha256"] == hashlib.sha256((tmp / "w1-unpacked/tiny-a.safetensors").read_bytes()).hexdigest()
    assert warm["crops_seen"] == meta["crops_seen"] + 2 * warm["steps"]  # the crops of the run it started from count
    summary = (tmp / "w2/summary.md").read_text()
    assert f"| tiny-a | exposure | --resume | {meta['steps']} -> {resumed['steps']} |" in summary
    assert "| tiny-c | exposure | new | 0 -> " in summary


def test_an_unknown_stage_is_refused_before_any_work(window):
    run, tmp = window
    result = run("w", "tiny-a", "no-such-stage")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: no stage no-such-stage in {tmp / 'stages.sh'}"]
    assert not (tmp / "w/tiny-a.log").exists()


def test_together_trains_the_stages_in_one_process_and_resumes_them(window):
    run, tmp = window
    first = run("w1", "tiny-a", "tiny-w", TOGETHER="1")
    assert first.returncode == 0, first.stdout + first.stderr
    group_log = (tmp / "w1/together.log").read_text()
    for name, op in [("tiny-a", "exposure"), ("tiny-w", "wls")]:
        meta = json.loads((tmp / f"w1/{name}.safetensors.json").read_text())
        assert meta["op"] == op and meta["steps"] > 0 and meta["stage"] == f"scripts/gpu_window.sh {name}"
        assert meta["trained_with"] == [f"{other}.safetensors" for other in ("tiny-a", "tiny-w") if other != name]
        assert f"{name}: {op}, starting at step 0" in (tmp / f"w1/{name}.log").read_text()
        assert f"{name}: saved" in group_log
    assert "| tiny-w | wls | new | 0 -> " in (tmp / "w1/summary.md").read_text()
    second = run("w2", "tiny-a", "tiny-w", TOGETHER="1", PREV=str(tmp / "w1/window.tar.gz"))
    assert second.returncode == 0, second.stdout + second.stderr
    steps = json.loads((tmp / "w1/tiny-w.safetensors.json").read_text())["steps"]
    assert f"tiny-w: wls, starting at step {steps}" in (tmp / "w2/tiny-w.log").read_text()
