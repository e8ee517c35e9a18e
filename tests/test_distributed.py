"""`restorable train` under torchrun (issue 31): two gloo ranks on the CPU train the weights one process trains."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from restorable.model.checkpoint import load_model
from restorable.train.data import CropSampler, Pair

DATA = Path(__file__).parent / "data"
TRAIN = "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train(args: list[str], ranks: int = 1) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    if ranks == 1:
        command = [sys.executable, "-c", TRAIN, "train", *args]
    else:  # torchrun as a module, its rendezvous on loopback; each rank runs the real CLI
        command = [
            sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", str(ranks),
            "--master-addr", "127.0.0.1", "--master-port", str(free_port()), "--no-python",
            sys.executable, "-c", TRAIN, "train", *args,
        ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture()
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    with Image.open(DATA / "cups_511x383.jpg") as img:
        img.crop((0, 0, 128, 96)).save(folder / "a.png")
        img.crop((200, 100, 328, 196)).save(folder / "b.png")
    return folder


def common(photos: Path, tmp_path: Path, out: Path, steps: int) -> list[str]:
    return [
        "--op", "exposure", "--data", str(photos), "--cache", str(tmp_path / "cache"), "--out", str(out),
        "--steps", str(steps), "--batch", "4", "--crop", "32", "--size", "128", "--width", "8", "--inv-blocks", "1",
        "--fp32", "--device", "cpu", "--lr", "2e-3",
    ]


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_model(path)[0].state_dict()


def test_two_gloo_ranks_train_the_weights_of_one_process(photos, tmp_path):
    one, two = tmp_path / "one.safetensors", tmp_path / "two.safetensors"
    single = train(common(photos, tmp_path, one, 4))  # first: it also fills the target cache the ranks read
    assert single.returncode == 0, single.stderr
    pair = train(common(photos, tmp_path, two, 4), ranks=2)
    assert pair.returncode == 0, pair.stdout + pair.stderr
    assert "(2 ranks)" in pair.stderr
    a, b = weights(one), weights(two)
    assert a.keys() == b.keys()
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-5), name
    early = train(common(photos, tmp_path, tmp_path / "early.safetensors", 1))
    assert early.returncode == 0
    assert any(not torch.allclose(a[k], v, atol=1e-5) for k, v in weights(tmp_path / "early.safetensors").items())


def test_a_run_of_two_ranks_resumes_on_one(photos, tmp_path):
    """The batch is global and the checkpoint holds the run's generator: 2 ranks for 2 steps, then 1 process
    for 2 more, trains what 1 process trains in 4."""
    straight, split = tmp_path / "straight.safetensors", tmp_path / "split.safetensors"
    assert train(common(photos, tmp_path, straight, 4)).returncode == 0
    first = train([*common(photos, tmp_path, split, 4), "--stop-at", "2"], ranks=2)  # a 4-step run, stopped
    assert first.returncode == 0, first.stderr
    resumed = train([*common(photos, tmp_path, split, 4), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    a, b = weights(straight), weights(split)
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def test_each_rank_cuts_its_share_of_the_global_batch():
    pairs = [Pair("p", torch.randint(0, 255, (64, 64, 3), dtype=torch.uint8).numpy(),
                  torch.randint(0, 255, (64, 64, 3), dtype=torch.uint8).numpy())]
    whole = CropSampler(pairs, 16, 8, True, torch.Generator().manual_seed(1), jpeg_count=4).plan()
    shares = [CropSampler(pairs, 16, 8, True, torch.Generator().manual_seed(1), 4, shard=(r, 2)).plan() for r in (0, 1)]
    assert sorted(shares[0].crops + shares[1].crops) == sorted(whole.crops)
    assert shares[0].crops == whole.crops[0::2] and shares[1].qualities == whole.qualities[1::2]
    assert all(torch.equal(s.rng_after, whole.rng_after) for s in shares)  # every rank's generator moves alike


def test_a_batch_the_ranks_cannot_share_is_refused_in_one_line():
    from restorable.errors import RestorableError
    from restorable.train.distributed import Ranks, check_batch

    assert check_batch(Ranks(1, 4, 1), 32) == 8
    with pytest.raises(RestorableError, match="--batch 6 must be a multiple of the 4 ranks"):
        check_batch(Ranks(0, 4, 0), 6)
