"""Training: checkpoints without pickle, exact resume, target cache, eval figures."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors import safe_open

from restorable.errors import RestorableError
from restorable.model import ModelConfig
from restorable.model.checkpoint import load_model
from restorable.train.data import load_pairs
from restorable.train.evaluate import evaluate
from restorable.train.trainer import Trainer, TrainConfig, state_path

SMALL = ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux_width=8)


def make_trainer(photo_dir, tmp_path, out, resume=False, **config):
    pairs = load_pairs(photo_dir, None, "exposure", {"ev": 1.0}, tmp_path / "cache")
    cfg = TrainConfig(op="exposure", params={"ev": 1.0}, crop=32, batch=2, **config)
    return Trainer(cfg, SMALL, pairs, out, resume=resume), pairs


def test_targets_are_cached_by_content(photo_dir, tmp_path):
    cache = tmp_path / "cache"
    first = load_pairs(photo_dir, None, "l0", {"lam": 0.02, "kappa": 2.0}, cache)
    files = sorted(cache.iterdir())
    assert len(files) == 2
    for f in files:  # a cached target is what is read back: damage one and see it used
        arr = np.asarray(Image.open(f)).copy()
        arr[0, 0] = 7
        Image.fromarray(arr).save(f)
    second = load_pairs(photo_dir, None, "l0", {"lam": 0.02, "kappa": 2.0}, cache)
    assert all(p.target[0, 0, 0] == 7 for p in second)
    assert all(a.target.shape == b.target.shape for a, b in zip(first, second))
    other = load_pairs(photo_dir, None, "l0", {"lam": 0.05, "kappa": 2.0}, cache)
    assert len(list(cache.iterdir())) == 4 and not np.array_equal(other[0].target, second[0].target)


def test_training_lowers_the_loss_and_saves_safetensors(photo_dir, tmp_path):
    out = tmp_path / "m.safetensors"
    trainer, pairs = make_trainer(photo_dir, tmp_path, out, lr=2e-3)
    torch.manual_seed(0)
    first = sum(trainer.train_step().values())
    trainer.run(steps=60, minutes=None)
    src, tgt, _ = trainer.sampler.sample()
    last = sum(float(v.detach()) for v in trainer.losses(src, tgt).values())
    assert last < first
    with safe_open(str(out), framework="pt") as handle:
        meta = json.loads(handle.metadata()["restorable"])
    assert meta["op"] == "exposure" and meta["steps"] == 60 and meta["architecture"]["inv_blocks"] == 1
    assert json.loads(out.with_name(out.name + ".json").read_text())["steps"] == 60
    assert state_path(out).exists()


@pytest.mark.parametrize("bf16", [False, True])
def test_training_goes_on_after_validation(photo_dir, tmp_path, bf16):
    # validation runs the inference engine on the model being trained; training must go on after it
    trainer, pairs = make_trainer(photo_dir, tmp_path, tmp_path / "m.safetensors", bf16=bf16)
    seen = []
    trainer.run(steps=4, minutes=None, val_pairs=pairs[:1], val_every=2, on_step=lambda s, t, v: seen.append((s, v)))
    assert trainer.step == 4
    assert [h["step"] for h in trainer.history] == [2, 4] and seen[-1][1] is not None


def test_resume_continues_exactly(photo_dir, tmp_path):
    straight = tmp_path / "straight.safetensors"
    trainer, _ = make_trainer(photo_dir, tmp_path, straight)
    trainer.run(steps=6, minutes=None)

    split = tmp_path / "split.safetensors"
    trainer, _ = make_trainer(photo_dir, tmp_path, split)
    trainer.run(steps=3, minutes=None)
    resumed, _ = make_trainer(photo_dir, tmp_path, split, resume=True)
    assert resumed.step == 3
    resumed.run(steps=6, minutes=None)

    a, _ = load_model(straight)
    b, _ = load_model(split)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(p, q, atol=1e-6), name


def test_resume_without_checkpoint_is_an_error(photo_dir, tmp_path):
    with pytest.raises(RestorableError, match="nothing to resume"):
        make_trainer(photo_dir, tmp_path, tmp_path / "none.safetensors", resume=True)


def test_resumed_checkpoint_restores_odd_sizes(photo_dir, tmp_path):
    out = tmp_path / "m.safetensors"
    trainer, pairs = make_trainer(photo_dir, tmp_path, out, lr=2e-3)
    trainer.run(steps=20, minutes=None)
    shutil.copy(out, tmp_path / "copy.safetensors")
    model, _ = load_model(out)
    figures = evaluate(model, pairs, [90])
    row = figures["images"]["a"]
    assert set(row) >= {"approx_psnr", "restore_png_psnr", "restore_jpeg90_psnr", "identity_psnr", "approx_ssim"}
    # odd 90x90 and 96x80 crops come back closer than the effect is to the photo (15.5 dB); 20 steps: 18.4-21.5 dB
    # over training seeds 0-4 (float kernels move it as much), untrained 4.7 dB
    assert figures["mean"]["restore_png_psnr"] > figures["mean"]["identity_psnr"]


def test_adversarial_term_trains_and_resumes(photo_dir, tmp_path):
    out = tmp_path / "adv.safetensors"
    trainer, _ = make_trainer(photo_dir, tmp_path, out, weight_adv=0.01)
    before = [p.detach().clone() for p in trainer.adversary.net.parameters()]
    trainer.run(steps=3, minutes=None)
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.adversary.net.parameters()))
    resumed, _ = make_trainer(photo_dir, tmp_path, out, resume=True, weight_adv=0.01)
    for a, b in zip(trainer.adversary.net.parameters(), resumed.adversary.net.parameters()):
        assert torch.equal(a, b)
    assert resumed.adversary.optimizer.state_dict()["state"]


def test_ssim7_and_grid_see_a_hidden_checker_grid():
    from restorable.metrics import grid_rms, ssim7

    rng = np.random.default_rng(0)
    flat = np.full((64, 64, 3), 120, np.uint8)
    checker = (np.indices((64, 64)).sum(axis=0) % 2 * 8 - 4)[..., None]  # +-4 levels, a 2x2 grid
    gridded = (flat + checker).astype(np.uint8)
    smooth = (flat + np.linspace(-4, 4, 64)[None, :, None]).astype(np.uint8)  # as far in PSNR, no grid
    assert grid_rms(gridded, flat) == pytest.approx(8.0) and grid_rms(smooth, flat) < 0.6  # (4 + 4 + 4 + 4) / 2
    assert ssim7(flat, flat) == pytest.approx(1.0) and ssim7(gridded, flat) < ssim7(smooth, flat)
    noisy = np.clip(flat + rng.integers(-30, 30, flat.shape), 0, 255).astype(np.uint8)
    assert ssim7(noisy, flat) < 0.5


def test_ssim7_in_strips_is_the_whole_image_figure():
    from restorable.metrics import ssim7

    rng = np.random.default_rng(2)
    base = rng.integers(0, 256, (101, 37, 3), dtype=np.uint8)
    other = np.clip(base.astype(int) + rng.integers(-40, 40, base.shape), 0, 255).astype(np.uint8)
    whole = ssim7(base, other, rows=1000)
    assert 0.1 < whole < 0.99
    for rows in (1, 7, 50):  # strips of any height, the last one shorter
        assert ssim7(base, other, rows=rows) == pytest.approx(whole, abs=1e-12)
    assert ssim7(base[..., 0], other[..., 0], rows=9) == pytest.approx(ssim7(base[..., 0], other[..., 0], rows=1000), abs=1e-12)


def test_ssim_and_grid_terms_train_and_match_the_metrics(photo_dir, tmp_path):
    from restorable.train.losses import grid, ssim7
    from restorable.metrics import grid_rms
    from restorable.metrics import ssim7 as ssim7_metric

    trainer, _ = make_trainer(photo_dir, tmp_path, tmp_path / "m.safetensors", weight_ssim=0.5, weight_grid=0.5)
    terms = trainer.train_step()
    assert {"ssim", "grid"} <= set(terms) and all(torch.isfinite(v) for v in terms.values())
    rng = np.random.default_rng(1)
    a, b = (rng.integers(0, 256, (40, 48, 3), dtype=np.uint8) for _ in range(2))
    ta, tb = (torch.from_numpy(x).permute(2, 0, 1)[None].float() / 255 for x in (a, b))
    assert float(ssim7(ta, tb)) == pytest.approx(ssim7_metric(a, b), abs=1e-4)  # the loss is the benchmark's SSIM
    checker = torch.zeros(1, 3, 8, 8)
    checker[..., 0::2, 0::2] = checker[..., 1::2, 1::2] = 4 / 255
    assert float(grid(checker, torch.zeros_like(checker))) * 255 == pytest.approx(4.0)
    assert grid_rms((checker[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), np.zeros((8, 8, 3), np.uint8)) == 4.0


@pytest.mark.parametrize(("share", "expected"), [(0.5, 1), (1.0, 2)])
def test_jpeg_share_decides_how_many_images_restore_from_jpeg(photo_dir, tmp_path, monkeypatch, share, expected):
    import restorable.transforms.effect.losses as losses_module

    seen = []
    real = losses_module.jpeg_straight_through

    def recording(x, qualities, as_apply=False):
        seen.append((x.shape[0], len(qualities)))
        return real(x, qualities, as_apply)

    monkeypatch.setattr(losses_module, "jpeg_straight_through", recording)
    trainer, _ = make_trainer(photo_dir, tmp_path, tmp_path / "m.safetensors", jpeg=True, jpeg_share=share)
    terms = trainer.train_step()
    assert seen == [(expected, expected)] and torch.isfinite(terms["restore"])


@pytest.mark.parametrize(("chroma", "expected"), [("420", [2, 2, 2]), ("apply", [2, 0, 0])])
def test_jpeg_chroma_apply_trains_on_the_jpegs_apply_writes(photo_dir, tmp_path, monkeypatch, chroma, expected):
    """``--jpeg-chroma apply``: crops drawn at quality 90 and up are coded 4:4:4, as `apply` writes them."""
    import restorable.model.quantize as quantize

    seen = []
    real = quantize.jpeg_roundtrip_uint8

    def recording(image, quality, subsampling=2):
        seen.append((quality, subsampling))
        return real(image, quality, subsampling)

    monkeypatch.setattr(quantize, "jpeg_roundtrip_uint8", recording)
    trainer, pairs = make_trainer(photo_dir, tmp_path, tmp_path / "m.safetensors", jpeg=True, jpeg_share=1.0, jpeg_chroma=chroma)

    def batch_of_3(image: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(image[:32, :32])).permute(2, 0, 1)[None].float().repeat(3, 1, 1, 1) / 255

    terms = trainer.losses(batch_of_3(pairs[0].source), batch_of_3(pairs[0].target), (85, 90, 95))
    assert [s for _, s in seen] == expected and torch.isfinite(terms["restore"])


def test_jpeg_count_keeps_one_png_image_below_a_share_of_one():
    from restorable.train.trainer import jpeg_count

    assert [jpeg_count(8, s) for s in (0.0, 0.5, 0.75, 0.99, 1.0)] == [0, 4, 6, 7, 8]
    assert jpeg_count(1, 0.5) == 0 and jpeg_count(3, 0.5) == 2
    with pytest.raises(RestorableError):
        jpeg_count(8, 1.5)


def test_ssim_power_weighs_the_image_least_like_the_effect_more():
    from restorable.train.losses import dissimilarity, ssim7

    torch.manual_seed(0)
    effect = torch.rand(2, 3, 32, 32) * 0.2 + 0.4
    processed = effect.clone()
    processed[0] += 0.05 * torch.randn(3, 32, 32)  # one image far from the effect, one close
    processed[1] += 0.005 * torch.randn(3, 32, 32)
    per_image = 1 - ssim7(processed, effect, per_image=True)
    assert per_image[0] > 5 * per_image[1]
    assert float(dissimilarity(processed, effect)) == pytest.approx(float(1 - ssim7(processed, effect)), abs=1e-6)
    squared = dissimilarity(processed, effect, power=2.0)
    assert per_image.mean() < squared < per_image.max()
    grads = []
    for power in (1.0, 2.0):
        x = processed.clone().requires_grad_(True)
        dissimilarity(x, effect, power).backward()
        grads.append(x.grad.abs().sum(dim=(1, 2, 3)))
    assert grads[1][0] / grads[1][1] > grads[0][0] / grads[0][1]  # the far image gets a larger share


def test_a_grey_operator_trains_a_one_channel_network(photo_dir, tmp_path):
    """The gray family: 1-channel targets (cached as grey PNGs), a 1-channel carrier, JPEG of a grey image."""
    pairs = load_pairs(photo_dir, None, "gray", {}, tmp_path / "cache")
    assert all(p.target.shape == p.source.shape[:2] for p in pairs)
    again = load_pairs(photo_dir, None, "gray", {}, tmp_path / "cache")  # read back from the cache
    assert all(np.array_equal(a.target, b.target) for a, b in zip(pairs, again))
    cfg = TrainConfig(op="gray", crop=32, batch=2, jpeg=True, jpeg_share=0.5, lr=2e-3)
    out = tmp_path / "g.safetensors"
    trainer = Trainer(cfg, ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux="reference"), pairs, out)
    assert trainer.model.config.carrier_channels == 1
    first = {k: float(v) for k, v in trainer.train_step().items()}
    trainer.run(steps=30, minutes=None)
    src, tgt, _ = trainer.sampler.sample()
    last = {k: float(v.detach()) for k, v in trainer.losses(src, tgt).items()}
    assert last["restore"] < first["restore"]
    model, meta = load_model(out)
    assert meta["family"] == "gray" and model.config.carrier_channels == 1
    figures = evaluate(model, pairs, [90])["mean"]
    assert figures["identity_psnr"] == 100.0  # the plain grey is the gray operator's result
    assert 20 < figures["approx_psnr"] < 100 and figures["restore_jpeg90_psnr"] > 10


def test_bwp_may_start_from_a_gray_network(photo_dir, tmp_path):
    """A warm start across operators of the gray family (both hide the colour in a grey image)."""
    gray = tmp_path / "gray.safetensors"
    model = ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux="reference")
    pairs = load_pairs(photo_dir, None, "gray", {}, tmp_path / "cache")
    Trainer(TrainConfig(op="gray", crop=32, batch=2), model, pairs, gray).run(steps=2, minutes=None)
    bwp_pairs = load_pairs(photo_dir, None, "bwp", {}, tmp_path / "cache")
    trainer = Trainer(TrainConfig(op="bwp", crop=32, batch=2), model, bwp_pairs, tmp_path / "bwp.safetensors", init=gray)
    assert trainer.init["op"] == "gray" and trainer.model.config.carrier_channels == 1
    with pytest.raises(RestorableError, match="same operator"):
        Trainer(TrainConfig(op="exposure", crop=32, batch=2), model, pairs, tmp_path / "e.safetensors", init=gray)


def test_a_colour_network_of_a_grey_operator_trains_on_the_grey_in_three_channels(photo_dir, tmp_path):
    # bwp's bundled versions 1-3 are colour networks, the operator returns a grey image since 0.2:
    # continuing one (as stage bwp-c1 does) once failed on the channel count at the first step
    from restorable.train.data import load_conditioned_pairs
    from restorable.weights import resolve_weights

    pairs = load_conditioned_pairs(photo_dir, None, "bwp", 1, tmp_path / "cache")
    assert pairs[0].target.ndim == 2
    cfg = TrainConfig(op="bwp", crop=32, batch=2, conditioned=True)
    init = resolve_weights("bwp", version="3")
    trainer = Trainer(cfg, SMALL, pairs, tmp_path / "bwp.safetensors", init=init)
    terms = trainer.train_step()
    assert trainer.model.config.carrier_channels == 3 and all(torch.isfinite(v) for v in terms.values())


def test_a_colour_network_of_a_grey_operator_saves_as_one_and_resumes(photo_dir, tmp_path):
    # stage bwp-jpeg-a's checkpoint (from bwp v3) once recorded the gray family: it did not load
    from restorable.weights import resolve_weights

    pairs = load_pairs(photo_dir, None, "bwp", {}, tmp_path / "cache")
    out = tmp_path / "bwp.safetensors"
    cfg = TrainConfig(op="bwp", crop=32, batch=2, jpeg=True)
    Trainer(cfg, SMALL, pairs, out, init=resolve_weights("bwp", version="3")).run(steps=2, minutes=None)
    model, meta = load_model(out)
    assert model.config.carrier_channels == 3 and meta["family"] == "effect"
    Trainer(cfg, SMALL, pairs, out, resume=True).run(steps=3, minutes=None)
    model, meta = load_model(out)
    assert model.config.carrier_channels == 3 and meta["steps"] == 3
