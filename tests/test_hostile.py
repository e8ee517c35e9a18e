"""Hostile inputs beyond the fuzz corpus (issue 13): a full disk, claims and leftovers, and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorable.atomic import atomic_write, claim, remove_stale_temporaries
from restorable.errors import RestorableError
from restorable.weights import load_weights
from restorable.weights.manifest import PACKAGED, load_manifest


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    code = "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()"
    env = {**os.environ, "RESTORABLE_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


@pytest.fixture()
def photos(tmp_path, odd_photo_path):
    folder = tmp_path / "in"
    folder.mkdir()
    with Image.open(odd_photo_path) as img:
        for i in range(3):
            img.crop((i * 100, 50, i * 100 + 160, 170)).save(folder / f"p{i}.png")
    return folder


@pytest.fixture()
def full_disk(tmp_path):
    """A 64 KiB filesystem (tmpfs; needs root), unmounted afterwards."""
    mount = tmp_path / "full"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)])


def test_full_disk_is_one_line_and_leaves_nothing(tmp_path, full_disk):
    photos = tmp_path / "noisy"
    photos.mkdir()
    for i in range(3):  # ~270 KB each as PNG: none fits in 64 KiB
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (300, 300, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    result = run_cli("apply", "--op", "exposure", photos / "p0.png", full_disk / "out.png", "--min-restore-db", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "No space left on device" in result.stderr
    batch = run_cli("apply", "--op", "exposure", "-o", full_disk / "batch", photos, "--min-restore-db", "0")
    assert batch.returncode == 1 and "Traceback" not in batch.stderr and "No space left on device" in batch.stderr
    assert "0 done, 0 skipped (exist; --overwrite to redo), 3 failed" in batch.stderr  # went on past each failure
    assert not [p for p in full_disk.rglob("*") if p.name.endswith(".tmp") or p.name.endswith(".claim")]


def test_a_claim_held_by_a_running_process_is_respected_and_a_dead_ones_taken_over(tmp_path):
    target = tmp_path / "out.png"
    with claim(target) as mine:
        assert mine
        with claim(target) as again:  # this process holds it: a second claim is refused
            assert not again
    assert not (tmp_path / ".out.png.claim").exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / ".out.png.claim").write_text(dead.stdout.strip())
    with claim(target) as mine:
        assert mine  # the run that left it is gone


def test_a_claim_of_a_killed_run_its_parent_has_not_collected_is_taken_over(tmp_path):
    """A run killed with -9 lingers as a zombie until its parent waits for it (for good under one that never
    does): its claim is a dead one's, not a running batch's ("made by another run", no output)."""
    import time

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{child.pid}/stat")
    if not stat.exists():
        pytest.skip("needs /proc (Linux)")
    deadline = time.monotonic() + 30
    while stat.read_text().rpartition(")")[2].split()[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)  # ended, not yet collected (no wait() below this point)
    assert stat.read_text().rpartition(")")[2].split()[0] == "Z"
    target = tmp_path / "out.png"
    (tmp_path / ".out.png.claim").write_text(str(child.pid))
    with claim(target) as mine:
        assert mine
    child.wait()


def test_leftovers_of_killed_writers_are_removed_and_live_ones_kept(tmp_path):
    target = tmp_path / "out.png"
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout)
    gone = tmp_path / f".out.png.{dead}.abcd1234.tmp"
    legacy = tmp_path / ".out.png.k3j9x2ab.tmp"  # written before temporary names carried a process id
    live = tmp_path / f".out.png.{os.getppid()}.abcd1234.tmp"
    other = tmp_path / f".other.png.{dead}.abcd1234.tmp"
    for path in (gone, legacy, live, other):
        path.write_bytes(b"half")
    atomic_write(target, lambda handle: handle.write(b"whole"))
    assert target.read_bytes() == b"whole"
    assert not gone.exists() and not legacy.exists() and live.exists() and other.exists()
    assert remove_stale_temporaries(tmp_path / "other.png") == [other]


def test_restore_with_another_operator_names_the_one_that_made_it(photos, tmp_path):
    made = tmp_path / "made.png"
    assert run_cli("apply", "--op", "l0", photos / "p0.png", made).returncode == 0
    result = run_cli("restore", "--op", "wls", made, tmp_path / "back.png")
    assert result.returncode == 2 and result.stderr.strip() == f"error: {made}: this file was made with l0, not wls (leaving out --op uses its record)"


@pytest.mark.parametrize("command", ["apply", "restore", "unpack"])
def test_an_output_folder_that_is_a_file_or_a_file_name_is_refused(command, tmp_path, photos):
    """-o names a folder: `restore out.png -o back.png` made a folder back.png/, and an existing file gave
    "File exists" from the operating system."""
    op = ["--op", "l0"] if command == "apply" else []
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    for out, message in ((tmp_path / "back.png", "-o names a folder, not a file like"), (existing, "is a file: -o names")):
        result = run_cli(command, *op, photos / "p0.png", "-o", out)
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "back.png").exists() and existing.read_text() == "mine"


@pytest.mark.parametrize("command", ["apply", "restore"])
def test_a_folder_alone_asks_for_an_output_folder(command, photos):
    op = ["--op", "l0"] if command == "apply" else []
    result = run_cli(command, *op, photos)
    assert result.returncode == 2 and result.stderr == f"error: {photos} is a folder: -o OUTDIR names the folder for its outputs\n"


def test_a_weights_folder_is_named_as_a_folder(tmp_path, photos):
    result = run_cli("apply", "--op", "l0", "--weights", tmp_path, photos / "p0.png", tmp_path / "o.png")
    assert result.stderr.strip() == f"error: {tmp_path}: is a folder, not a weights file"


@pytest.mark.parametrize("command", ["apply", "restore"])
def test_missing_weights_stop_a_batch_before_its_first_photo_in_one_line(tmp_path, photos, command):
    op = ["--op", "l0"] if command == "apply" else []
    missing = tmp_path / "l0-v9.safetensors"
    result = run_cli(command, *op, "--weights", missing, photos, "-o", tmp_path / "out")
    assert result.returncode == 2 and result.stderr == f"error: {missing}: no such weights file\n", result.stderr
    assert not (tmp_path / "out").exists()


def test_a_single_file_error_is_named_by_its_file_as_a_batch_names_it(tmp_path, photos):
    single = run_cli("apply", "--op", "l0", "--max-pixels", 1000, photos / "p1.png", tmp_path / "o.png")
    batch = run_cli("apply", "--op", "l0", "--max-pixels", 1000, photos, "-o", tmp_path / "out")
    reason = single.stderr.removeprefix("error: ").strip()
    assert single.returncode == 2 and "over the limit" in reason and reason.startswith(f"{photos / 'p1.png'}: ") and reason.count(str(photos)) == 1
    assert f"failed: {reason}" in batch.stderr.splitlines(), batch.stderr


def test_damaged_cache_warning_says_what_is_used_instead(tmp_path, caplog, monkeypatch):
    from restorable.weights.manifest import load_manifest
    from restorable.weights.store import cached_path, local_copy

    monkeypatch.setenv("RESTORABLE_CACHE", str(tmp_path / "cache"))
    entry = load_manifest().entry("l0", None)
    cached_path(entry).parent.mkdir(parents=True)
    cached_path(entry).write_bytes(b"damaged")
    used = local_copy(entry)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert used is not None and used != cached_path(entry)  # the intact bundled copy
    assert len(warnings) == 1 and f"using {used} instead" in warnings[0] and "fetching" not in warnings[0]


def test_pixel_limit_is_checked_before_decoding(tmp_path):
    from restorable.image_file import open_image

    path = tmp_path / "wide.png"
    Image.fromarray(np.zeros((10, 4000, 3), np.uint8)).save(path)
    with pytest.raises(RestorableError, match=r"4000x10 is 40,000 pixels, over the limit of 30,000 pixels \(max_pixels=N raises"):
        open_image(path, max_pixels=30_000)
    assert open_image(path, max_pixels=40_000).size == (4000, 10)


def test_a_batch_killed_mid_write_leaves_nothing_after_a_rerun(tmp_path):
    import signal
    import time

    photos = tmp_path / "big"
    photos.mkdir()
    for i in range(4):  # slow enough to write that the kill lands during a run
        noise = np.random.default_rng(i).integers(0, 256, (700, 900, 3), dtype=np.uint8)
        Image.fromarray(noise).save(photos / f"p{i}.png")
    out = tmp_path / "out"
    code = "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()"
    args = [sys.executable, "-c", code, "apply", "--op", "exposure", "-o", str(out), str(photos), "--min-restore-db", "0"]
    env = {**os.environ, "RESTORABLE_OFFLINE": "1"}
    run = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None and not list(out.glob(".*.tmp")):
        time.sleep(0.005)
    run.send_signal(signal.SIGKILL)
    run.wait()
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"p{i}.png" for i in range(4)]  # no .tmp, no .claim
    for path in out.iterdir():
        with Image.open(path) as img:
            img.load()


def test_apply_warns_when_parameters_differ_from_the_trained_ones(photos, tmp_path):
    other = run_cli("apply", "--op", "l0", "-p", "kappa=4", photos / "p0.png", tmp_path / "a.png", "--min-restore-db", "0")
    assert other.returncode == 0, other.stderr
    assert "were trained for kappa=2, not kappa=4" in other.stderr
    default = run_cli("apply", "--op", "l0", photos / "p0.png", tmp_path / "b.png")
    assert default.returncode == 0 and "trained for" not in default.stderr
    # lam is conditioned: off its default apply takes l0's conditioned network, which follows it
    slider = run_cli("apply", "--op", "l0", "-p", "lam=0.1", photos / "p0.png", tmp_path / "c.png", "--min-restore-db", "0")
    assert slider.returncode == 0 and "trained for" not in slider.stderr, slider.stderr
    from restorable.photo import read_photo

    conditioned = load_manifest(PACKAGED).entry("l0", conditioned=True)
    assert conditioned.architecture.get("cond_channels") == 1
    assert read_photo(tmp_path / "c.png").provenance.model_sha256 == conditioned.sha256


@pytest.mark.parametrize("op", sorted(load_manifest(PACKAGED).default))
@pytest.mark.parametrize("lossless", [False, True])
def test_every_shipped_network_notes_parameters_at_their_range_ends(op, lossless):
    """At each parameter's min and max the weights `apply` picks either were trained there or say they were not."""
    from restorable.api import untrained_params
    from restorable.operators import get_operator, resolve_params

    loaded = load_weights(op, lossless=lossless)
    followed = {axis["name"] for axis in loaded.metadata.get("condition") or []}  # a conditioned default (rgf v4)
    spec = get_operator(op)
    for key, param in spec.params.items():
        for value in (param.low, param.high):
            values = resolve_params(spec, {key: value})
            trained = loaded.metadata["params"][key]
            notes = untrained_params(loaded, values)
            assert bool(notes) == (value != trained and key not in followed), (key, value, notes)
            if notes:
                assert len(notes) == 1 and "\n" not in notes[0] and f"not {key}={value:g}" in notes[0]


@pytest.mark.parametrize("name, flags", [("out.png", []), ("out.jpg", []), ("inv.png", ["--robust"])])
def test_apply_reports_what_restore_then_gives(photos, tmp_path, name, flags):
    """The self-check restores with the weights that made the file (l0: other weights for PNG than for JPEG)."""
    import re

    from restorable.image_file import read_image
    from restorable.metrics import psnr

    out = tmp_path / name
    applied = run_cli("apply", "--op", "l0", *flags, photos / "p0.png", out)
    assert applied.returncode == 0, applied.stderr
    reported = float(re.search(r"restores at ([\d.]+) dB", applied.stderr).group(1))
    restored = run_cli("restore", out, tmp_path / "back.png")
    assert restored.returncode == 0, restored.stderr
    actual = psnr(read_image(tmp_path / "back.png"), read_image(photos / "p0.png"))
    assert abs(reported - actual) < 0.1, (reported, actual)


def test_a_system_error_on_a_hidden_claim_or_temporary_file_names_its_folder(tmp_path):
    """A read-only output folder failed with "Permission denied (/photos/out/.a.png.claim)": a name the user
    never gave. The folder is named instead; a file the user named stays named."""
    from restorable.errors import failure_reason

    claim_error = PermissionError(13, "Permission denied", str(tmp_path / "out" / ".a.png.claim"))
    assert failure_reason(claim_error) == f"Permission denied (writing in {tmp_path / 'out'})"
    temporary = PermissionError(13, "Permission denied", str(tmp_path / ".a.png.123@ab.x1.tmp"))
    assert failure_reason(temporary) == f"Permission denied (writing in {tmp_path})"
    named = PermissionError(13, "Permission denied", str(tmp_path / "a.png"))
    assert failure_reason(named) == f"Permission denied ({tmp_path / 'a.png'})"
