"""Crops cut on the device (issue 31) are the crops the CPU path cuts, pixel for pixel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from restorable.train.data import CropSampler, Pair
from restorable.train.device_batches import DeviceCutter, device_batch_stream
from restorable.train.batches import batch_stream


def pairs(factor: int, grey: bool, conditioned: bool) -> list[Pair]:
    rng = np.random.default_rng(7)
    found = []
    for n, (h, w) in enumerate([(40, 56), (64, 48), (48, 48)]):  # different sizes: padded on the device
        source = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        shape = (h // factor, w // factor) + (() if grey else (3,))
        target = rng.integers(0, 256, shape, dtype=np.uint8)
        cond = np.array([n / 4, 1 - n / 4], np.float32) if conditioned else None
        found.append(Pair(f"p{n}", source, target, cond))
    return found


@pytest.mark.parametrize("factor, grey, conditioned", [(1, False, False), (1, True, True), (2, False, False), (4, False, False)])
def test_the_device_cut_equals_the_cpu_cut(factor, grey, conditioned):
    sampler = CropSampler(pairs(factor, grey, conditioned), 32, 16, True, torch.Generator().manual_seed(3))
    cutter = DeviceCutter(sampler, "cpu")
    turns_and_flips = set()
    for _ in range(8):
        plan = sampler.plan()
        turns_and_flips |= {(k, flip) for _, _, _, k, flip in plan.crops}
        for on_cpu, on_device in zip(sampler.cut(plan), cutter.cut(plan)):
            assert on_cpu.shape == on_device.shape and torch.equal(on_cpu, on_device)
    assert len(turns_and_flips) == 8  # every rotation with and without the flip was compared


def test_the_device_stream_gives_the_batches_of_the_plain_stream():
    plain = CropSampler(pairs(1, False, False), 32, 4, True, torch.Generator().manual_seed(5), jpeg_count=2)
    on_device = CropSampler(pairs(1, False, False), 32, 4, True, torch.Generator().manual_seed(5), jpeg_count=2)
    for a, b, _ in zip(batch_stream(plain, "cpu", 0), device_batch_stream(on_device, "cpu"), range(3)):
        assert all(torch.equal(x, y) for x, y in zip(a[:3], b[:3]))
        assert a[3].qualities == b[3].qualities and a[3].crops == b[3].crops
        assert b[0].is_contiguous(memory_format=torch.channels_last)


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
@pytest.mark.cuda
def test_the_cut_on_a_gpu_equals_the_cpu_cut():
    sampler = CropSampler(pairs(2, False, True), 32, 64, True, torch.Generator().manual_seed(11))
    cutter = DeviceCutter(sampler, "cuda")
    for _ in range(4):
        plan = sampler.plan()
        for on_cpu, on_gpu in zip(sampler.cut(plan), cutter.cut(plan)):
            assert on_gpu.is_cuda and torch.equal(on_cpu, on_gpu.cpu())


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("quality", [70, 90])
def test_nvjpeg_in_the_loop_is_a_lossy_jpeg_and_off_unless_asked(quality, monkeypatch):
    """The GPU round trip (nvJPEG, RESTORABLE_GPU_JPEG=1) is a real lossy JPEG; it is milder than libjpeg at the
    same quality (seen on an H200: 36.7 vs 34.8 dB at 70, 44.3 vs 41.6 at 90), hence off by default."""
    pytest.importorskip("torchvision")
    from PIL import Image

    from restorable.model.quantize import gpu_jpeg_available, jpeg_roundtrip_gpu, jpeg_roundtrip_uint8
    from restorable.metrics import psnr

    with Image.open(Path(__file__).parent / "data" / "cups_511x383.jpg") as img:
        photo = np.asarray(img.convert("RGB"))[:256, :256].copy()
    on_gpu = jpeg_roundtrip_gpu(torch.from_numpy(photo).permute(2, 0, 1)[None].cuda(), [quality])[0]
    on_gpu = on_gpu.permute(1, 2, 0).cpu().numpy()
    with_pil = jpeg_roundtrip_uint8(photo, quality)
    print(f"q{quality}: nvJPEG {psnr(on_gpu, photo):.2f} dB, PIL {psnr(with_pil, photo):.2f} dB, between {psnr(on_gpu, with_pil):.2f} dB")
    assert 30 < psnr(on_gpu, photo) < 50 and on_gpu.shape == photo.shape
    batch = torch.zeros((2, 3, 16, 16), device="cuda")
    monkeypatch.delenv("RESTORABLE_GPU_JPEG", raising=False)
    assert not gpu_jpeg_available(batch)
    monkeypatch.setenv("RESTORABLE_GPU_JPEG", "1")
    assert gpu_jpeg_available(batch)


def test_a_trainer_cutting_on_the_device_trains_as_the_plain_one(tmp_path):
    """Same batches, same steps: the weights after a few steps agree (the CPU stands in for the device)."""
    from restorable.model import ModelConfig
    from restorable.model.checkpoint import load_model
    from restorable.train.trainer import Trainer, TrainConfig

    model = ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux_width=8)
    config = TrainConfig(op="exposure", params={"ev": 1.0}, crop=32, batch=4, bf16=False, warmup=2)
    start = {}
    for name, on_device in (("plain", False), ("device", True)):
        trainer = Trainer(config, model, pairs(1, False, False), tmp_path / f"{name}.safetensors", data_on_device=on_device)
        start = {k: v.clone() for k, v in trainer.model.state_dict().items()}
        trainer.run(steps=3, minutes=None)
    plain, device = (load_model(tmp_path / f"{n}.safetensors")[0].state_dict() for n in ("plain", "device"))
    assert all(torch.allclose(plain[k], device[k], atol=1e-6) for k in plain)
    assert not all(torch.allclose(plain[k], start[k]) for k in plain)  # the steps moved the weights


def test_the_learning_rate_warms_up_linearly_then_decays():
    from restorable.model import ModelConfig
    from restorable.train.trainer import Trainer, TrainConfig

    config = TrainConfig(op="exposure", params={"ev": 1.0}, crop=32, batch=2, lr=1e-3, warmup=4, total_steps=100)
    trainer = Trainer(config, ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux_width=8),
                      pairs(1, False, False), Path("unused.safetensors"))
    rates = []
    for step in (0, 1, 3, 50, 99):
        trainer.step = step
        rates.append(trainer.learning_rate())
    ramp = pytest.approx  # the cosine decay has barely begun in the first steps
    assert rates[0] == ramp(2.5e-4, rel=5e-3) and rates[1] == ramp(5e-4, rel=5e-3) and rates[2] == ramp(1e-3, rel=5e-3)
    assert rates[2] > rates[3] > rates[4] >= 0.05e-3
