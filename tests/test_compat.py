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
