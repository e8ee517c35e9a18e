"""Devices: GPU-capable operator code against the reference code, batches that do not depend on
workers or device, the one-line error without CUDA, and (marker ``cuda``) the GPU itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from restorable.model.checkpoint import load_model
from restorable.operators import OPERATORS, run_operator
from restorable.operators.exposure import exposure
from restorable.operators.rtv import rtv_smooth
from restorable.operators.wls import wls_enhance
from restorable.train.data import load_pairs
from restorable.train.trainer import Trainer, TrainConfig
from test_cli import run_cli
from test_training import SMALL

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.fixture(scope="module")
def rgb(odd_photo_path) -> np.ndarray:
    with Image.open(odd_photo_path) as img:
        return np.asarray(img.convert("RGB").crop((100, 80, 260, 200)), dtype=np.float32) / 255.0


# The torch code paths run on the CPU here, and on the GPU in the cuda tests below.
@pytest.mark.parametrize(
    "func, params",
    [
        (wls_enhance, {}),
        (wls_enhance, {"lambda_fine": 1.5, "lambda_coarse": 6.0}),
        (rtv_smooth, {}),
        (exposure, {"ev": 2.5}),
    ],
)
def test_torch_path_matches_the_reference_code(rgb, func, params):
    reference = func(rgb, **params)
    torch_path = func(rgb, **params, device="cpu")
    assert torch_path.shape == reference.shape and torch_path.dtype == np.float32
    diff = np.abs(torch_path - reference)
    assert diff.max() < 5e-3 and diff.mean() < 5e-4, (diff.max(), diff.mean())


def test_run_operator_on_cpu_uses_the_reference_code(monkeypatch):
    import restorable.operators.wls as wls

    seen = []
    monkeypatch.setattr(wls, "wls_enhance", lambda image, **kw: seen.append(kw) or image)
    run_operator("wls", np.zeros((8, 8, 3), np.uint8))
    assert "device" not in seen[0]


def make_trainer(photo_dir, tmp_path, out, device="cpu", workers=0, resume=False):
    pairs = load_pairs(photo_dir, None, "exposure", {"ev": 1.0}, tmp_path / "cache")
    config = TrainConfig(op="exposure", params={"ev": 1.0}, crop=32, batch=4, jpeg=True, bf16=False)
    return Trainer(config, SMALL, pairs, out, resume=resume, device=device, workers=workers)


def assert_same_weights(a_path, b_path, atol=1e-6):
    a, _ = load_model(a_path)
    b, _ = load_model(b_path)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(p, q, atol=atol), name


def test_worker_processes_give_the_same_run_and_resume_exactly(photo_dir, tmp_path):
    # workers draw batches ahead; the checkpoint must still hold the generator as of its own step
    plain = tmp_path / "plain.safetensors"
    make_trainer(photo_dir, tmp_path, plain).run(steps=6, minutes=None)
    split = tmp_path / "split.safetensors"
    make_trainer(photo_dir, tmp_path, split, workers=2).run(steps=3, minutes=None)
    resumed = make_trainer(photo_dir, tmp_path, split, workers=2, resume=True)
    assert resumed.step == 3
    resumed.run(steps=6, minutes=None)
    assert_same_weights(plain, split)


def test_train_device_cuda_without_a_gpu_is_one_line(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run_cli("train", "--op", "l0", "--data", str(tmp_path), "--out", str(tmp_path / "m.safetensors"),
                     "--steps", "1", "--device", "cuda")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no CUDA device is available to torch (--device cpu runs on the CPU)"


# -- on a GPU (skipped elsewhere; run by benchmarks/gpu_check.sh) --------------------------------


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("op", sorted(name for name, spec in OPERATORS.items() if spec.on_device))
def test_operator_on_the_gpu_matches_the_cpu(op, odd_photo_path):
    with Image.open(odd_photo_path) as img:
        image = np.asarray(img.convert("RGB"))
    cpu = run_operator(op, image).astype(int)
    gpu = run_operator(op, image, device="cuda").astype(int)
    diff = np.abs(cpu - gpu)
    assert diff.max() <= 3 and diff.mean() < 0.1, (diff.max(), diff.mean())


@needs_cuda
@pytest.mark.cuda
def test_training_moves_between_gpu_and_cpu(photo_dir, tmp_path):
    gpu_run = tmp_path / "gpu.safetensors"
    trainer = make_trainer(photo_dir, tmp_path, gpu_run, device="cuda", workers=2)
    trainer.run(steps=3, minutes=None)
    assert next(trainer.model.parameters()).is_cuda
    resumed = make_trainer(photo_dir, tmp_path, gpu_run, device="cpu", resume=True)
    resumed.run(steps=5, minutes=None)
    back = make_trainer(photo_dir, tmp_path, gpu_run, device="cuda", resume=True)
    assert back.step == 5
    back.run(steps=6, minutes=None)
    cpu_run = tmp_path / "cpu.safetensors"
    make_trainer(photo_dir, tmp_path, cpu_run).run(steps=6, minutes=None)
    assert_same_weights(cpu_run, gpu_run, atol=5e-3)  # the same batches; float differences only


@needs_cuda
@pytest.mark.cuda
def test_a_file_made_on_the_gpu_restores_on_the_cpu(odd_photo_path):
    from restorable.api import apply_photo, restore_photo
    from restorable.photo import Photo
    from restorable.metrics import psnr

    with Image.open(odd_photo_path) as img:
        original = np.asarray(img.convert("RGB"))
    processed = apply_photo(Photo(original), "l0", device="cuda")
    assert processed.ran_on == "torch cuda"
    on_gpu = restore_photo(processed, device="cuda").rgb
    on_cpu = restore_photo(processed, device="cpu").rgb
    assert abs(psnr(on_gpu, original) - psnr(on_cpu, original)) < 0.05


def test_graph_cache_runs_cpu_tensors_eagerly():
    from restorable.cuda_graphs import GraphCache

    cache, calls = GraphCache(), []
    x = torch.arange(12.0).reshape(1, 3, 2, 2)
    for _ in range(3):
        out = cache(lambda t: calls.append(1) or t * 2, [x], key="double")
    assert torch.equal(out, x * 2) and len(calls) == 3 and cache.replays == 0 and not cache.graphs


@needs_cuda
@pytest.mark.cuda
def test_repeated_sizes_replay_cuda_graphs_with_the_eager_result(odd_photo_path, monkeypatch):
    from restorable.api import apply_photo, restore_photo
    from restorable.engine import _GRAPH_CACHES
    from restorable.operators import l0 as l0_module
    from restorable.photo import Photo

    with Image.open(odd_photo_path) as img:
        first = np.asarray(img.convert("RGB"))
    second = np.ascontiguousarray(first[::-1])  # same size, other pixels: the graph must read its input
    monkeypatch.setenv("RESTORABLE_CUDA_GRAPHS", "0")
    eager = [apply_photo(Photo(rgb), "l0", device="cuda") for rgb in (first, second)]
    eager_restored = [restore_photo(p, device="cuda").rgb for p in eager]
    monkeypatch.setenv("RESTORABLE_CUDA_GRAPHS", "1")
    for _ in range(2):  # first use runs eagerly, the second captures and replays
        graphed = [apply_photo(Photo(rgb), "l0", device="cuda") for rgb in (first, second)]
        restored = [restore_photo(p, device="cuda").rgb for p in graphed]
    assert l0_module._graphs().replays >= 3
    for e, g, er, r in zip(eager, graphed, eager_restored, restored):
        assert np.abs(e.rgb.astype(int) - g.rgb).max() <= 1
        assert np.abs(er.astype(int) - r).max() <= 1
    assert any(cache.replays > 0 for cache in _GRAPH_CACHES.values())  # the network's passes too
