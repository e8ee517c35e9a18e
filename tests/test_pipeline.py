"""The batch pipeline (restorable.pipeline): order, threads, bounded memory, failures, checks from the written bytes,
cancelling and claims. Synthetic photos and plain functions: no network runs here."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorable.errors import RestorableError
from restorable.photo import Photo, decode_pixels, read_photo
from restorable.pipeline import Checked, Steps, run_pipeline
from restorable.progress import Cancelled


def _photos(folder: Path, count: int) -> list[Path]:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"p{index}.png"
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def _invert(photo: Photo, src: Path, dst: Path) -> Photo:
    return Photo(255 - photo.rgb, method="inverted")


def _pairs(paths: list[Path], out: Path, suffix: str = ".png") -> list[tuple[Path, Path]]:
    return [(p, out / f"{p.stem}{suffix}") for p in paths]


def test_outcomes_come_in_order_and_reading_and_writing_run_off_the_calling_thread(tmp_path):
    paths = _photos(tmp_path / "in", 7)
    threads: dict[str, set[str]] = {"read": set(), "process": set()}

    def read(src: Path) -> Photo:
        threads["read"].add(threading.current_thread().name)
        return read_photo(src)

    def process(photo, src, dst):
        threads["process"].add(threading.current_thread().name)
        return _invert(photo, src, dst)

    seen = []
    outcomes = run_pipeline(_pairs(paths, tmp_path / "out"), Steps(read, process), workers=2, on_outcome=seen.append)
    assert [o.src for o in outcomes] == paths and seen == outcomes
    assert {o.state for o in outcomes} == {"done"}
    assert threads["process"] == {threading.current_thread().name}
    assert threads["read"] and threading.current_thread().name not in threads["read"]
    for path in paths:
        written = np.asarray(Image.open(tmp_path / "out" / f"{path.stem}.png"))
        assert np.array_equal(written, 255 - np.asarray(Image.open(path)))


def test_prepare_runs_once_in_the_calling_thread_while_the_first_photo_is_read_and_not_when_all_are_skipped(tmp_path):
    paths = _photos(tmp_path / "in", 3)
    events, read_started = [], threading.Event()

    def read(src: Path) -> Photo:
        read_started.set()
        return read_photo(src)

    def prepare() -> None:
        assert read_started.wait(5)  # the first read was handed to a worker before
        events.append(("prepare", threading.current_thread().name))

    def process(photo, src, dst):
        events.append(("process", src.name))
        return _invert(photo, src, dst)

    outcomes = run_pipeline(_pairs(paths, tmp_path / "out"), Steps(read, process, prepare=prepare), workers=2)
    assert {o.state for o in outcomes} == {"done"}
    assert events == [("prepare", threading.current_thread().name)] + [("process", p.name) for p in paths]
    events.clear()
    again = run_pipeline(_pairs(paths, tmp_path / "out"), Steps(read, process, prepare=prepare), workers=2)
    assert {o.state for o in again} == {"skipped"} and events == []


def test_a_failing_prepare_stops_the_run_and_lets_go_of_every_claim(tmp_path):
    paths = _photos(tmp_path / "in", 3)

    def prepare() -> None:
        raise ImportError("no torch here")

    with pytest.raises(ImportError):
        run_pipeline(_pairs(paths, tmp_path / "out"), Steps(read_photo, _invert, prepare=prepare), workers=2)
    assert not any((tmp_path / "out").iterdir())  # no output, no claim, no temporary file
    outcomes = run_pipeline(_pairs(paths, tmp_path / "out"), Steps(read_photo, _invert), workers=2)
    assert {o.state for o in outcomes} == {"done"}


def test_memory_stays_bounded_photos_in_flight_at_most_twice_the_workers_plus_one(tmp_path):
    paths = _photos(tmp_path / "in", 20)
    in_flight, most = set(), [0]
    lock = threading.Lock()

    def read(src: Path) -> Photo:
        with lock:
            in_flight.add(src)
            most[0] = max(most[0], len(in_flight))
        return read_photo(src)

    def forget(outcome) -> None:  # reported once written
        with lock:
            in_flight.discard(outcome.src)

    run_pipeline(_pairs(paths, tmp_path / "out"), Steps(read, _invert), workers=2, on_outcome=forget)
    assert 2 <= most[0] <= 2 * 2 + 1


def test_a_bad_file_a_failing_step_and_a_refused_check_fail_alone_and_write_nothing(tmp_path):
    paths = _photos(tmp_path / "in", 5)
    paths[1].write_bytes(b"not an image")

    def process(photo, src, dst):
        if src == paths[2]:
            raise RestorableError("no luck with this one")
        return _invert(photo, src, dst)

    def check(photo, result, stored, dst) -> Checked:
        if dst.stem == "p3":
            raise RestorableError("it would restore at only 3.0 dB")
        return Checked("fine", 40.0)

    out = tmp_path / "out"
    outcomes = run_pipeline(_pairs(paths, out), Steps(read_photo, process, check))
    assert [o.state for o in outcomes] == ["done", "failed", "failed", "failed", "done"]
    assert "no luck" in str(outcomes[2].error) and "3.0 dB" in str(outcomes[3].error)
    assert outcomes[0].checked == Checked("fine", 40.0) and outcomes[1].checked is None
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p4.png"]  # no claim or temporary file left


def test_a_png_is_encoded_in_a_worker_while_its_check_runs(tmp_path, monkeypatch):
    import restorable.pipeline as pipeline

    paths = _photos(tmp_path / "in", 2)
    encoding = threading.Event()
    encode = pipeline.encode_photo

    def watched(*args, **kwargs):
        encoding.set()
        return encode(*args, **kwargs)

    monkeypatch.setattr(pipeline, "encode_photo", watched)
    seen = []

    def check(photo, result, stored, dst) -> Checked:
        seen.append(encoding.wait(5))  # the encoding started before the check ended
        encoding.clear()
        return Checked("", 0.0)

    outcomes = run_pipeline(_pairs(paths, tmp_path / "out"), Steps(read_photo, _invert, check), workers=1)
    assert {o.state for o in outcomes} == {"done"} and seen == [True, True]
    for path in paths:
        assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / f"{path.stem}.png")), 255 - np.asarray(Image.open(path)))


def test_a_jpeg_is_checked_on_the_pixels_of_the_very_bytes_written(tmp_path):
    (path,) = _photos(tmp_path / "in", 1)
    checked = {}

    def check(photo, result, stored, dst) -> Checked:
        checked["stored"] = stored.copy()
        return Checked("", 0.0)

    (outcome,) = run_pipeline([(path, tmp_path / "o.jpg")], Steps(read_photo, _invert, check, quality=80))
    assert outcome.state == "done"
    written = decode_pixels((tmp_path / "o.jpg").read_bytes())
    assert np.array_equal(checked["stored"], written)
    assert not np.array_equal(written, 255 - np.asarray(Image.open(path)))  # lossy: the check saw JPEG's pixels


def test_existing_outputs_are_skipped_and_claimed_ones_are_left_to_their_run(tmp_path):
    import os

    paths = _photos(tmp_path / "in", 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / "p0.png").write_bytes(b"kept")
    (out / ".p1.png.claim").write_text(str(os.getppid()))  # a running process (pytest's parent) makes p1
    outcomes = run_pipeline(_pairs(paths, out), Steps(read_photo, _invert))
    assert [o.state for o in outcomes] == ["skipped", "busy", "done"]
    assert (out / "p0.png").read_bytes() == b"kept" and not (out / "p1.png").exists()


def test_cancelling_finishes_what_was_made_and_starts_nothing_more(tmp_path):
    paths = _photos(tmp_path / "in", 6)

    def process(photo, src, dst):
        if src == paths[2]:
            raise Cancelled
        return _invert(photo, src, dst)

    seen = []
    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        run_pipeline(_pairs(paths, out), Steps(read_photo, process), workers=2, on_outcome=seen.append)
    assert [o.state for o in seen] == ["done", "done", "cancelled"]
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png"]  # no claims left for the rest


def test_a_write_that_fails_is_reported_and_leaves_no_file(tmp_path, monkeypatch):
    import restorable.pipeline as pipeline

    paths = _photos(tmp_path / "in", 3)

    def full_disk(photo, fmt, quality, png):
        if photo.rgb[0, 0, 0] == 255 - np.asarray(Image.open(paths[1]))[0, 0, 0]:
            raise OSError(28, "No space left on device")
        return real(photo, fmt, quality, png)

    real = pipeline.encode_photo
    monkeypatch.setattr(pipeline, "encode_photo", full_disk)
    out = tmp_path / "out"
    outcomes = run_pipeline(_pairs(paths, out), Steps(read_photo, _invert))
    assert [o.state for o in outcomes] == ["done", "failed", "done"]
    assert isinstance(outcomes[1].error, OSError)
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p2.png"]


def test_a_skipped_output_loses_the_claim_a_killed_run_left_on_it_but_not_a_live_ones(tmp_path):
    import os

    paths = _photos(tmp_path / "in", 2)
    out = tmp_path / "out"
    out.mkdir()
    for path in paths:
        (out / f"{path.stem}.png").write_bytes(b"made")
    dead = subprocess_pid_that_is_gone()
    (out / ".p0.png.claim").write_text(str(dead))  # killed after writing p0, before letting go
    (out / ".p1.png.claim").write_text(str(os.getppid()))  # a running process is overwriting p1
    outcomes = run_pipeline(_pairs(paths, out), Steps(read_photo, _invert))
    assert [o.state for o in outcomes] == ["skipped", "skipped"]
    assert sorted(p.name for p in out.iterdir()) == [".p1.png.claim", "p0.png", "p1.png"]


def subprocess_pid_that_is_gone() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_another_machines_claim_is_left_alone_until_it_is_an_hour_old(tmp_path):
    import os
    import time

    paths = _photos(tmp_path / "in", 2)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("p0", "p1"):  # a process id that may well run here, but on another host (a Ray node, a shared disk)
        (out / f".{name}.png.claim").write_text(f"{os.getpid()}@ffffffff")
    hour_ago = time.time() - 3601
    os.utime(out / ".p1.png.claim", (hour_ago, hour_ago))
    outcomes = run_pipeline(_pairs(paths, out), Steps(read_photo, _invert))
    assert [o.state for o in outcomes] == ["busy", "done"]
    assert sorted(p.name for p in out.iterdir()) == [".p0.png.claim", "p1.png"]
