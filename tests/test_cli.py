"""The command line: `restorable ops` and `restorable reference`, including bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorable.operators import OPERATORS


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the real console entry point in a fresh interpreter."""
    code = "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def test_ops_json_lists_every_operator_with_type_and_defaults():
    result = run_cli("ops", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == set(OPERATORS) and len(data) == 18  # the paper's twelve, gray, rescale-2x and -4x, pack-2 to -4
    for name, entry in data.items():
        assert entry["type"] in {"I", "II", "III"}
        assert entry["family"] == OPERATORS[name].family and entry["output_channels"] in (1, 3)
        for key, param in entry["params"].items():
            assert param["default"] == OPERATORS[name].params[key].default
            assert param["min"] <= param["default"] <= param["max"]


def test_ops_lists_the_transform_families():
    from restorable.transforms import FAMILIES

    data = json.loads(run_cli("ops", "--json", "--families").stdout)
    assert set(data) == set(FAMILIES) >= {"effect", "gray"}
    assert data["gray"]["carrier"]["channels"] == 1 and data["effect"]["carrier"]["channels"] == 3
    assert sorted(data["gray"]["operators"]) == ["bwp", "gray"]
    table = run_cli("ops").stdout
    assert "transform families" in table and "1 grey" in table and "2-4 RGB" in table  # pack: its operators take 2 to 4


def test_ops_table_names_every_operator():
    result = run_cli("ops")
    assert result.returncode == 0
    for name in OPERATORS:
        assert name in result.stdout


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_reference_on_odd_sized_photo_is_valid_and_repeatable(name, odd_photo_path, tmp_path):
    from typer.testing import CliRunner

    from restorable.cli import app

    runner = CliRunner()
    outputs = []
    for run in range(2):
        out = tmp_path / f"{name}-{run}.png"
        result = runner.invoke(app, ["reference", "--op", name, str(odd_photo_path), str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(out)
    with Image.open(outputs[0]) as img:
        img.verify()
    factor = OPERATORS[name].downscale  # rescaling: the sides divided, rounded up
    with Image.open(outputs[0]) as img, Image.open(odd_photo_path) as src:
        assert src.size == (511, 383) and img.size == (-(-511 // factor), -(-383 // factor))
    assert outputs[0].read_bytes() == outputs[1].read_bytes()


def test_reference_writes_jpeg_and_param(tmp_path, odd_photo_path):
    out = tmp_path / "out.jpg"
    result = run_cli("reference", "--op", "exposure", "--param", "ev=0.5", str(odd_photo_path), str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as img:
        assert img.format == "JPEG" and img.size == (511, 383)


def _not_an_image(tmp_path: Path) -> Path:
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture")
    return path


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "no such file"),
        ("not-image", "not a readable image"),
        ("unknown-op", "unknown operator"),
        ("bad-param", "must be a number"),
        ("unknown-param", "has no parameter"),
        ("out-of-range", "outside"),
        ("malformed-param", "use key=value"),
        ("twice-param", "parameter lam is given twice (lam=0.05, lam=0.02)"),
        ("capital-op", "unknown operator 'L0' (did you mean 'l0'?"),
        ("bad-extension", "unknown output format"),
        ("missing-folder", "output folder does not exist"),
        ("same-file", "refusing to write over the input"),
    ],
)
def test_bad_input_gives_one_line_error(case, message, tmp_path, odd_photo_path):
    src, op, params = str(odd_photo_path), "l0", []
    dst = str(tmp_path / "out.png")
    if case == "missing":
        src = str(tmp_path / "nothing.png")
    elif case == "not-image":
        src = str(_not_an_image(tmp_path))
    elif case == "unknown-op":
        op = "blur9000"
    elif case == "bad-param":
        params = ["--param", "lam=abc"]
    elif case == "unknown-param":
        params = ["--param", "radius=3"]
    elif case == "out-of-range":
        params = ["--param", "lam=9"]
    elif case == "malformed-param":
        params = ["--param", "lam"]
    elif case == "twice-param":
        params = ["-p", "lam=0.05", "-p", "lam=0.02"]
    elif case == "capital-op":
        op = "L0"
    elif case == "bad-extension":
        dst = str(tmp_path / "out.xyz")
    elif case == "missing-folder":
        dst = str(tmp_path / "no" / "out.png")
    elif case == "same-file":
        copy = tmp_path / "in.png"
        copy.write_bytes(Path(odd_photo_path).read_bytes())
        src = dst = str(copy)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("reference", "--op", op, *params, src, dst)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a failed run must leave no file behind"


def test_output_is_replaced_atomically(tmp_path, odd_photo_path):
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    result = run_cli("reference", "--op", "exposure", str(odd_photo_path), str(out))
    assert result.returncode == 0
    assert np.asarray(Image.open(out)).shape == (383, 511, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_cli_start_up_imports_no_heavy_library():
    code = (
        "import sys; import restorable.cli; from restorable.cli import ops; "
        "heavy = {'torch', 'cv2', 'scipy', 'onnxruntime'} & set(sys.modules); print(sorted(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_errors_name_the_flag_that_fixes_them_and_the_api_its_argument(tmp_path):
    """Structured errors: the library says ``op=NAME``, the command line ``--op NAME``, each in one line."""
    import restorable
    from restorable.errors import RecordError

    plain = tmp_path / "plain.png"
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(plain)
    result = run_cli("restore", str(plain))
    assert result.returncode == 2 and "--op NAME" in result.stderr and "op=NAME" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(RecordError) as caught:
        restorable.restore(Image.open(plain))
    assert caught.value.kind == "record" and "op=NAME" in str(caught.value) and "--op" not in str(caught.value)


def test_library_warnings_reach_the_terminal_as_warning_lines(tmp_path):
    """The library logs (never prints); the CLI shows warnings as ``warning: ...``."""
    from restorable.weights.manifest import load_manifest

    entry = load_manifest().entry("l0", None)
    cache = tmp_path / "cache"
    env = {**os.environ, "RESTORABLE_CACHE": str(cache), "RESTORABLE_OFFLINE": "1"}
    code = (
        "import sys; from restorable.weights.store import cached_path; from restorable.weights.manifest import load_manifest;"
        f"p = cached_path(load_manifest().entry('l0', None)); p.parent.mkdir(parents=True); p.write_bytes(b'x');"
        "sys.argv = ['restorable', 'weights', 'path', 'l0']; from restorable.cli import main; main()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: ") and "damaged" in result.stderr and entry.file in result.stderr


@pytest.mark.parametrize("command", [["apply"], ["restore"], ["weights", "fetch"], ["eval"], ["serve"]])
def test_help_names_values_as_a_shell_user_reads_them_not_python_types(command):
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()", *command, "--help"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "150"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for python_type in ("<bool>", "<str>", "<list[str]>", "<path>", "<int", "LIST[", "PATH]"):
        assert python_type not in result.stdout, python_type  # `--overwrite <bool>` reads as if it took a value
    if command == ["eval"]:  # a repeatable option names one value, as click's multiple=True options do
        assert any("--jpeg" in line and "INTEGER" in line for line in lines)
    if command == ["serve"]:
        assert any("--folder" in line and "PATH" in line for line in lines)
    if command == ["apply"]:
        assert any("--quality" in line and "INTEGER" in line for line in lines)
        assert any("--overwrite" in line for line in lines) and any("--output-dir" in line and "PATH" in line for line in lines)
