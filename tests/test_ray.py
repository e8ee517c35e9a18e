"""`apply`/`restore` `--ray`: the batch pipeline as a Ray Data job on a local cluster started by the command.

Each test runs whole commands in subprocesses (Ray starts its own processes); the outputs must be the plain
CLI's, byte for byte, a bad file is reported and the job goes on, and a worker killed mid-job loses no photo
once the command is run again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("ray")

DATA = Path(__file__).parent / "data"
COMMAND = "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()"


def restorable(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "RESTORABLE_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", COMMAND, *args], env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr[-2000:]
    return done


def photos(folder: Path, count: int, size: tuple[int, int] = (160, 120)) -> list[Path]:
    """``count`` different photos (crops of the test photo)."""
    folder.mkdir(parents=True)
    with Image.open(DATA / "cups_511x383.jpg") as img:
        source = img.convert("RGB")
    rng = np.random.default_rng(1)
    paths = []
    for index in range(count):
        x, y = int(rng.integers(0, 200)), int(rng.integers(0, 120))
        path = folder / f"p{index:02d}.jpg"
        source.crop((x, y, x + 300, y + 225)).resize(size, Image.LANCZOS).save(path, quality=92)
        paths.append(path)
    return paths


def _processes_with(tag: str, title: str) -> list[int]:
    """Ids of the processes whose command line holds ``title`` and whose environment holds ``tag``."""
    found = []
    for pid in subprocess.run(["pgrep", "-f", title], capture_output=True, text=True).stdout.split():
        try:
            if tag.encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                found.append(int(pid))
        except OSError:
            continue
    return found


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_ray_job_writes_the_plain_clis_bytes_and_goes_on_past_a_bad_file(tmp_path):
    inputs = photos(tmp_path / "in", 5)
    (tmp_path / "in" / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    plain = restorable("apply", "--op", "l0", str(tmp_path / "in"), "-o", str(tmp_path / "plain"), check=False)
    on_ray = restorable("apply", "--op", "l0", str(tmp_path / "in"), "-o", str(tmp_path / "ray"), "--ray", "local", check=False)
    assert plain.returncode == on_ray.returncode == 1  # the broken file failed, the others were written
    assert "broken.jpg" in on_ray.stderr and "5 done" in on_ray.stderr
    assert files(tmp_path / "ray") == files(tmp_path / "plain")
    assert sorted(files(tmp_path / "ray")) == sorted(f"{p.stem}.png" for p in inputs)
    restorable("restore", str(tmp_path / "plain"), "-o", str(tmp_path / "back-plain"))
    restorable("restore", str(tmp_path / "plain"), "-o", str(tmp_path / "back-ray"), "--ray", "local")
    assert files(tmp_path / "back-ray") == files(tmp_path / "back-plain")


def test_a_worker_killed_mid_job_loses_no_photo_once_the_command_runs_again(tmp_path):
    photos(tmp_path / "in", 12, (320, 240))
    restorable("apply", "--op", "l0", str(tmp_path / "in"), "-o", str(tmp_path / "plain"))
    out = tmp_path / "ray"
    args = [sys.executable, "-c", COMMAND, "apply", "--op", "l0", str(tmp_path / "in"), "-o", str(out), "--ray", "local"]
    tag = f"RESTORABLE_TEST_JOB={uuid.uuid4().hex}"  # marks this job's Ray processes (their environment is the driver's)
    env = {**os.environ, "RESTORABLE_OFFLINE": "1", tag.split("=")[0]: tag.split("=")[1]}
    job = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed = False
    try:
        deadline = time.monotonic() + 300
        while job.poll() is None and time.monotonic() < deadline and not killed:
            if out.is_dir() and any(p.suffix == ".png" for p in out.iterdir()):  # mid-job: some photos are written
                for pid in _processes_with(tag, "ray::MapWorker"):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        killed = True
                    except ProcessLookupError:
                        pass
            time.sleep(0.05)
        job.wait(timeout=300)
    finally:
        job.kill()
    assert killed, "the job ended before a worker could be killed"
    restorable("apply", "--op", "l0", str(tmp_path / "in"), "-o", str(out), "--ray", "local", check=False)
    assert files(out) == files(tmp_path / "plain")  # every photo, no claim or temporary file left


def test_a_job_runs_on_a_two_node_cluster_on_this_machine(tmp_path):
    from ray.cluster_utils import Cluster

    photos(tmp_path / "in", 4)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        restorable("apply", "--op", "l0", str(tmp_path / "in"), "-o", str(tmp_path / "ray"), "--ray", cluster.address)
    finally:
        cluster.shutdown()
    restorable("apply", "--op", "l0", str(tmp_path / "in"), "-o", str(tmp_path / "plain"))
    assert files(tmp_path / "ray") == files(tmp_path / "plain")
