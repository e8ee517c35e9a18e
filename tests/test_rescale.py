"""The rescale family: a smaller image that restores the full-size photo (IRN's design; a tiny network trained once)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import restorable
from restorable.cli import app
from restorable.engine import forward_image, reverse_image
from restorable.model import ModelConfig
from restorable.operators import run_operator
from restorable.operators.rescale import pillow_resize
from restorable.metrics import psnr
from restorable.transforms import RestorableTransform, get_family


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def rgb_of(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def randomised(downscale: int):
    family = get_family("rescale")
    net = family.builder()(ModelConfig(inv_blocks=2, inv_width=8, downscale=downscale), family.spec)
    gen = torch.Generator().manual_seed(downscale)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=gen))
    return net.eval()


@pytest.mark.parametrize("downscale", [2, 4])
def test_the_network_is_invertible_given_its_latent_and_declares_its_scale(downscale):
    net = randomised(downscale)
    assert isinstance(net, RestorableTransform) and net.spec.carrier.scale == 1 / downscale
    x = torch.rand(2, 3, 32, 48)
    with torch.no_grad():
        (y,), z = net.encode([x])
        assert y.shape == (2, 3, 32 // downscale, 48 // downscale)
        assert z.shape == (2, 3 * (downscale**2 - 1), 32 // downscale, 48 // downscale)
        assert torch.allclose(net.reverse(y, z), x, atol=1e-5)
        assert net.decode([y])[0].shape == x.shape  # with z = 0


def test_an_untrained_network_downscales_like_a_box_filter():
    """Its couplings start as the identity: the small image is the 2x2 mean, so training starts from a downscale."""
    net = get_family("rescale").builder()(ModelConfig(downscale=2), get_family("rescale").spec)
    x = torch.rand(1, 3, 8, 6)
    with torch.no_grad():
        y, _ = net(x)
    assert torch.allclose(y, torch.nn.functional.avg_pool2d(x, 2), atol=1e-6)


@pytest.mark.parametrize(("size", "downscale"), [((383, 511), 2), ((383, 511), 4), ((1, 7), 4), ((7, 1), 2)])
def test_the_reference_is_a_lanczos_downscale_of_the_mirrored_photo(size, downscale):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    small = run_operator(f"rescale-{downscale}x", image)
    assert small.shape == (-(-size[0] // downscale), -(-size[1] // downscale), 3)
    if size[0] % downscale == 0 and size[1] % downscale == 0:
        pillow = pillow_resize(image, size[1] // downscale, size[0] // downscale, Image.LANCZOS)
        assert np.abs(small.astype(int) - pillow).max() <= 1


@pytest.mark.parametrize(("size", "downscale"), [((37, 51), 2), ((37, 51), 4), ((1, 7), 4), ((7, 1), 2)])
def test_odd_sizes_give_a_rounded_up_small_image_and_restore_the_padded_size(size, downscale):
    net = randomised(downscale)
    image = np.random.default_rng(1).integers(0, 256, (*size, 3), dtype=np.uint8)
    small = forward_image(net, image)
    assert small.shape == (-(-size[0] // downscale), -(-size[1] // downscale), 3)
    back = reverse_image(net, small)
    assert back.shape == (small.shape[0] * downscale, small.shape[1] * downscale, 3)


def test_tiles_join_without_seams(rescale_weights, photo_path):
    from restorable.weights import load_weights

    model = load_weights("rescale-2x", rescale_weights).model
    original = rgb_of(photo_path)
    whole = forward_image(model, original)
    assert whole.shape == (48, 64, 3)
    assert np.abs(whole.astype(int) - forward_image(model, original, tile=32)).max() <= 1
    assert np.abs(reverse_image(model, whole).astype(int) - reverse_image(model, whole, tile=16)).max() <= 1


def test_crops_of_a_smaller_target_start_on_its_pixels():
    """Training crops: the target's crop is the photo crop's own downscale, through flips and turns too."""
    from restorable.train.data import CropSampler, Pair

    rng = np.random.default_rng(2)
    source = rng.integers(0, 256, (41, 60, 3), dtype=np.uint8)
    pair = Pair("a", source, source[::2, ::2].copy())  # a "downscale" whose alignment is easy to check
    plain = CropSampler([pair], 16, 6, False, torch.Generator().manual_seed(0))
    sources, targets, _ = plain.cut(plain.plan())
    assert targets.shape == (6, 8, 8, 3) and torch.equal(sources[:, ::2, ::2], targets)
    turned = CropSampler([pair], 16, 32, True, torch.Generator().manual_seed(0))
    plan = turned.plan()
    sources, targets, _ = turned.cut(plan)
    for (_, _, _, k, flip), s, t in zip(plan.crops, sources, targets):
        s = torch.rot90(s.flip(1) if flip else s, -k)  # undo the augmentation: the target's pixels still match
        t = torch.rot90(t.flip(1) if flip else t, -k)
        assert torch.equal(s[::2, ::2], t)


def test_apply_writes_a_smaller_file_and_restore_gives_the_exact_size_back(rescale_weights, odd_photo_path, tmp_path):
    source = tmp_path / "odd.png"
    with Image.open(odd_photo_path) as img:
        img.crop((0, 0, 101, 77)).save(source)  # odd sides
    out = tmp_path / "small.png"
    result = invoke("apply", "--op", "rescale-2x", "--weights", rescale_weights, "--min-restore-db", 20, source, out)
    assert result.exit_code == 0, result.output
    with Image.open(out) as img:
        assert img.size == (51, 39) and img.mode == "RGB"
        record = json.loads(img.info["restorable"])
    assert record["family"] == "rescale" and record["original"]["size"] == [101, 77]

    result = invoke("restore", out, "--weights", rescale_weights)
    assert result.exit_code == 0, result.output
    original, back = rgb_of(source), rgb_of(tmp_path / "small.restored.png")
    assert back.shape == original.shape
    # better than the plain upscale of the small image (a tiny network, 300 steps)
    upscaled = pillow_resize(rgb_of(out), 102, 78)[:77, :101]
    assert psnr(back, original) > psnr(upscaled, original) + 1


def test_transparency_is_resized_with_the_photo(rescale_weights, photo_path):
    original = rgb_of(photo_path)
    alpha = np.full(original.shape[:2], 200, dtype=np.uint8)
    small = restorable.apply(Image.fromarray(np.dstack([original, alpha]), "RGBA"), op="rescale-2x", weights=rescale_weights)
    assert small.mode == "RGBA" and small.size == (64, 48)
    back = restorable.restore(small, weights=rescale_weights)
    assert back.mode == "RGBA" and back.size == (128, 96)
    assert np.abs(np.asarray(back.getchannel("A")).astype(int) - 200).max() <= 1


def test_onnx_matches_torch(tmp_path):
    pytest.importorskip("onnxruntime")
    from restorable.onnx_backend import OnnxNetwork, export_onnx

    net = randomised(4)
    export_onnx(net, tmp_path)
    onnx = OnnxNetwork(tmp_path, net.config, net.spec, device="cpu")
    image = np.random.default_rng(3).integers(0, 256, (37, 51, 3), dtype=np.uint8)
    a, b = forward_image(net, image), forward_image(onnx, image)
    assert a.shape == b.shape == (10, 13, 3) and np.abs(a.astype(int) - b).max() <= 1
    assert np.abs(reverse_image(net, a).astype(int) - reverse_image(onnx, a)).max() <= 1


def test_a_small_image_is_restored_in_tiles_when_the_restored_photo_is_large(monkeypatch):
    """Memory follows the restored size: tiling is decided on it, and --tile counts its pixels."""
    import restorable.engine as engine

    net = randomised(4)
    seen = []
    real = engine.run_tiled
    monkeypatch.setattr(engine, "run_tiled", lambda fn, inputs, tile, *rest: seen.append(tile) or real(fn, inputs, tile, *rest))
    monkeypatch.setattr(engine, "AUTO_TILE_PIXELS", 64 * 64)  # restored 96x128 is "large"; its small 24x32 is not
    small = np.random.default_rng(4).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    tiled = reverse_image(net, small)
    reverse_image(net, small, tile=64)
    assert seen == [engine.DEFAULT_TILE // 4, 16]
    assert np.abs(tiled.astype(int) - reverse_image(net, small, tile=0)).max() <= 1


def test_apply_checks_a_large_small_image_in_windows_sized_by_what_they_restore():
    from restorable.verify import PROBE_WINDOW, probe_windows

    same = probe_windows(4000, 6000)
    small = probe_windows(1000, 1500, factor=4)  # a 24 MP photo's quarter-size result
    assert len(same) == len(small) == 4
    inner_side = [w[1][0].stop - w[1][0].start for w in small]
    assert inner_side == [PROBE_WINDOW // 4] * 4 and probe_windows(300, 400, factor=4)[0][0] == (slice(0, 300), slice(0, 400))
