"""Files written by 0.1.0 (provenance version 1) restore offline, to the figures they restored to then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from restorable.cli import app
from restorable.photo import read_photo
from restorable.metrics import psnr

DATA = Path(__file__).parent / "data"
FIXTURES = DATA / "v1"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED["restore_psnr"]))
def test_a_file_written_by_0_1_0_restores_offline_as_then(name, tmp_path, monkeypatch):
    monkeypatch.setenv("RESTORABLE_OFFLINE", "1")  # its weights must be at hand, not downloaded
    monkeypatch.setenv("RESTORABLE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "restored.png"
    result = CliRunner().invoke(app, ["restore", str(FIXTURES / name), str(out)])
    assert result.exit_code == 0, result.output
    original = read_photo(DATA / EXPECTED["source"]).rgb
    restored = read_photo(out).rgb
    assert restored.shape == original.shape
    assert psnr(restored, original) == pytest.approx(EXPECTED["restore_psnr"][name], abs=0.05)


V020 = DATA / "v020"
EXPECTED_V020 = json.loads((V020 / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED_V020["restored"]))
def test_a_file_written_by_0_2_0_restores_to_the_very_pixels_0_2_0_gave(name, tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setenv("RESTORABLE_OFFLINE", "1")
    monkeypatch.setenv("RESTORABLE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "back"
    packed = EXPECTED_V020["restored"][name][0]["original"] != "cups_96x72.png" or len(EXPECTED_V020["restored"][name]) > 1
    args = ["unpack", str(V020 / name), "-o", str(out)] if packed else ["restore", str(V020 / name), str(out / "r.png")]
    out.mkdir()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for expected in EXPECTED_V020["restored"][name]:
        restored = read_photo(out / (expected["original"] if packed else "r.png")).rgb
        assert hashlib.sha256(restored.tobytes()).hexdigest() == expected["sha256"], expected["original"]
