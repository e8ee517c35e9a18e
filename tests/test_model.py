"""The invertible parts and the quasi-invertible network: exact round trips, shapes, padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restorable.engine import forward_image, reverse_image
from restorable.model import ModelConfig, QuasiInvertibleNet
from restorable.model.coupling import AffineCoupling, CouplingBlock, InvertibleScale
from restorable.model.haar import HaarSqueeze, haar_squeeze, haar_unsqueeze
from restorable.model.invertible import InvertibleSequence
from restorable.model.quantize import jpeg_straight_through, quantize_8bit
from restorable.model.subnets import conv_subnet


def randomise(module: torch.nn.Module, scale: float = 0.05) -> torch.nn.Module:
    """Move every weight off its (often zero) initial value so the test sees a non-trivial map."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * scale)
    return module


def test_haar_is_orthonormal_and_invertible():
    x = torch.rand(2, 3, 8, 6)
    haar = HaarSqueeze([(3, 8, 6)])
    (y,) = haar([x])
    assert y.shape == (2, 12, 4, 3) and haar.output_dims([(3, 8, 6)]) == [(12, 4, 3)]
    assert torch.allclose(y.pow(2).sum(), x.pow(2).sum(), rtol=1e-5)
    assert torch.allclose(haar([y], rev=True)[0], x, atol=1e-6)
    assert torch.equal(haar_squeeze(x), y) and torch.equal(haar_unsqueeze(y), haar([y], rev=True)[0])
    # the first channels are the (scaled) 2x2 mean
    assert torch.allclose(y[:, :3], 2 * torch.nn.functional.avg_pool2d(x, 2), atol=1e-6)


def test_haar_rejects_odd_sizes():
    with pytest.raises(ValueError, match="even"):
        haar_squeeze(torch.rand(1, 3, 5, 4))


def test_coupling_round_trip_and_not_identity():
    block = randomise(AffineCoupling([(12, 0, 0)], 3, conv_subnet(8)))
    x = torch.randn(2, 12, 9, 7)
    (y,) = block([x])
    assert not torch.allclose(y, x, atol=1e-3)
    assert torch.allclose(block([y], rev=True)[0], x, atol=1e-5)


def test_sequence_reverses_in_reverse_order():
    dims = [(12, 0, 0)]
    seq = InvertibleSequence(
        randomise(AffineCoupling(dims, 3, conv_subnet(8))), InvertibleScale(dims, 0.25), randomise(AffineCoupling(dims, 6, conv_subnet(8)))
    )
    x = torch.randn(1, 12, 6, 6)
    assert torch.allclose(seq(seq([x]), rev=True)[0], x, atol=1e-5)


@pytest.mark.parametrize("aux, fusion_blocks", [("learned", 1), ("reference", 1), ("reference", 2)])
def test_network_round_trip_with_delta_kept(aux, fusion_blocks):
    config = ModelConfig(inv_blocks=2, inv_width=8, fusion_blocks=fusion_blocks, fusion_width=8, aux=aux, aux_width=8)
    model = randomise(QuasiInvertibleNet(config))
    x = torch.rand(2, 3, 32, 24)
    ref = torch.rand(2, 3, 32, 24) if aux == "reference" else None
    y, delta = model(x, ref)
    assert y.shape == x.shape and delta.shape == (2, 12, 16, 12)
    assert (model.reverse(y, delta) - x).abs().max() < 1e-4
    # without delta the reverse is only approximate: delta carries information until trained away
    assert (model.reverse(y) - x).abs().max() > 1e-3


def test_reference_aux_needs_the_reference():
    model = QuasiInvertibleNet(ModelConfig(aux="reference", inv_blocks=1, inv_width=4, fusion_width=4))
    with pytest.raises(ValueError, match="reference"):
        model(torch.rand(1, 3, 8, 8))


@pytest.mark.parametrize("fusion_blocks", [1, 2])
def test_initial_output_is_approximation_plus_small_code(fusion_blocks):
    model = QuasiInvertibleNet(ModelConfig(aux="reference", inv_blocks=1, inv_width=4, fusion_blocks=fusion_blocks, fusion_width=4))
    x, ref = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    y, _ = model(x, ref)
    assert torch.allclose(y, ref + x / 16, atol=1e-5)


@pytest.mark.parametrize("size", [(33, 47), (64, 50), (17, 2)])
def test_engine_pads_odd_sizes(size):
    model = randomise(QuasiInvertibleNet(ModelConfig(inv_blocks=1, inv_width=4, fusion_width=4, aux_width=4))).eval()
    image = np.random.default_rng(0).integers(0, 256, (*size, 3), dtype=np.uint8)
    processed = forward_image(model, image)
    assert processed.shape == image.shape and processed.dtype == np.uint8
    assert reverse_image(model, processed).shape == image.shape


def test_quantize_is_straight_through():
    x = torch.tensor([0.1, 0.50001, 0.9], requires_grad=True)
    q = quantize_8bit(x)
    assert torch.allclose(q * 255, torch.round(q * 255))
    q.sum().backward()
    assert torch.equal(x.grad, torch.ones(3))


def test_real_jpeg_changes_pixels_and_passes_gradient():
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    j = jpeg_straight_through(x, [50, 90])
    assert (j - x).abs().mean() > 0.01
    assert (j[1] - x[1]).abs().mean() < (j[0] - x[0]).abs().mean()  # q90 is closer than q50
    j.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))


@pytest.mark.parametrize("damage", ["metadata", "architecture", "shapes"])
def test_damaged_checkpoint_is_a_one_line_error(tmp_path, damage):
    import json

    import torch
    from safetensors.torch import save_file

    from restorable.errors import RestorableError
    from restorable.model.checkpoint import META_KEY, load_model, save_model
    from restorable.model.qinet import ModelConfig, QuasiInvertibleNet

    path = tmp_path / "w.safetensors"
    save_model(path, QuasiInvertibleNet(ModelConfig(aux="reference")), {"op": "l0"})
    model_meta = json.loads(path.with_name(path.name + ".json").read_text())
    tensors = {"x": torch.zeros(2)}
    if damage == "metadata":
        save_file(tensors, str(path), metadata={META_KEY: "{not json"})
    elif damage == "architecture":
        save_file(tensors, str(path), metadata={META_KEY: json.dumps({"op": "l0", "architecture": {"nope": 1}})})
    else:
        big = QuasiInvertibleNet(ModelConfig(aux="reference", inv_width=48)).state_dict()
        save_file({k: v.contiguous() for k, v in big.items()}, str(path), metadata={META_KEY: json.dumps(model_meta)})
    with pytest.raises(RestorableError, match=str(path.name)):
        load_model(path)


@pytest.mark.parametrize(("branch", "carrier"), [("invertible", 3), ("fusion", 1)])
def test_a_grown_network_computes_the_same_and_still_inverts(branch, carrier):
    """--grow-blocks / --grow-fusion (a grey network's H): appended blocks start as the identity, so training
    resumes from the same function."""
    torch.manual_seed(0)
    net = QuasiInvertibleNet(ModelConfig(aux="reference", code_scale=0.25, carrier_channels=carrier))
    with torch.no_grad():  # make every block non-trivial, as after training
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    grown = net.with_more_blocks(2, branch=branch)
    if branch == "invertible":
        assert grown.config.inv_blocks == 6 and len(grown.invertible.steps) == 7
    else:
        assert grown.config.fusion_blocks == 3 and len(grown.fusion.steps) == 3
    x, ref = torch.rand(2, 3, 32, 32), torch.rand(2, carrier, 32, 32)
    with torch.no_grad():
        y, delta = net(x, ref)
        y2, delta2 = grown(x, ref)
        assert torch.allclose(y, y2, atol=1e-6) and torch.allclose(delta, delta2, atol=1e-6)
        assert torch.allclose(grown.reverse(y2, delta2), x, atol=1e-4)


def test_a_colour_effects_h_cannot_grow():
    """Its first block starts with skip connections (y = z + a), which appended blocks could not keep."""
    with pytest.raises(ValueError, match="grey network"):
        QuasiInvertibleNet(ModelConfig(aux="reference")).with_more_blocks(1, branch="fusion")


def test_a_condition_changes_the_output_and_the_inverse_needs_the_same_one():
    dims, cond = [(12, 0, 0)], [(2,)]
    block = randomise(AffineCoupling(dims, 3, conv_subnet(8), dims_c=cond), scale=0.2)
    x = torch.randn(2, 12, 6, 5)
    c_a, c_b = [torch.tensor([[0.0, 1.0], [0.5, 0.5]])], [torch.tensor([[1.0, 0.0], [0.5, 0.2]])]
    (y_a,) = block([x], c_a)
    (y_b,) = block([x], c_b)
    assert not torch.allclose(y_a, y_b, atol=1e-3)
    assert torch.allclose(block([y_a], c_a, rev=True)[0], x, atol=1e-5)
    assert not torch.allclose(block([y_a], c_b, rev=True)[0], x, atol=1e-3)
    with pytest.raises(ValueError, match="condition"):
        block([x])  # a conditioned block without its condition
    with pytest.raises(ValueError, match="condition"):
        block([x], [torch.zeros(2, 3)])


def test_a_sequence_checks_declared_shapes_and_passes_the_condition_on():
    with pytest.raises(ValueError, match="takes"):
        InvertibleSequence(HaarSqueeze([(3, 0, 0)]), AffineCoupling([(3, 0, 0)], 1, conv_subnet(4)))
    seq = InvertibleSequence(
        HaarSqueeze([(3, 0, 0)]),
        randomise(AffineCoupling([(12, 0, 0)], 3, conv_subnet(4), dims_c=[(1,)])),
        InvertibleScale([(12, 0, 0)], 0.5),
    )
    assert seq.dims_out == [(12, 0, 0)] and seq.output_dims([(3, 16, 8)]) == [(12, 8, 4)]
    x, c = torch.rand(1, 3, 16, 8), [torch.tensor([[0.3]])]
    (y,) = seq([x], c)
    assert y.shape == (1, 12, 8, 4)
    assert torch.allclose(seq([y], c, rev=True)[0], x, atol=1e-5)


def test_a_coupling_subclass_writes_only_its_two_halves():
    class Additive(CouplingBlock):
        def __init__(self, dims_in, split):
            super().__init__(dims_in, split)
            n1, n2 = self.sizes
            self.f, self.g = conv_subnet(4)(n2, n1), conv_subnet(4)(n1, n2)

        def _coupling1(self, x1, u2, rev):
            return x1 - self.f(u2) if rev else x1 + self.f(u2)

        def _coupling2(self, x2, u1, rev):
            return x2 - self.g(u1) if rev else x2 + self.g(u1)

    block = randomise(Additive([(6, 0, 0)], 2), scale=0.2)
    x = torch.randn(1, 6, 5, 5)
    (y,) = block([x])
    assert not torch.allclose(y, x, atol=1e-3) and torch.allclose(block([y], rev=True)[0], x, atol=1e-5)


def test_the_fusion_block_starts_at_code_plus_approximation_without_counting_calls():
    # built twice in one process: the first block starts as y = z + a each time (was a call counter)
    for _ in range(2):
        block = AffineCoupling([(24, 0, 0)], 12, conv_subnet(4), skip=(1.0, -1.0))
        z, a = torch.randn(1, 12, 4, 4), torch.randn(1, 12, 4, 4)
        (out,) = block([torch.cat([z, a], dim=1)])
        assert torch.allclose(out[:, :12], z + a, atol=1e-6)


def test_a_conditioned_network_inverts_with_its_condition_and_needs_it():
    config = ModelConfig(inv_blocks=2, inv_width=8, fusion_width=8, aux="reference", cond_channels=2)
    model = randomise(QuasiInvertibleNet(config), scale=0.1)
    x, ref = torch.rand(2, 3, 16, 12), torch.rand(2, 3, 16, 12)
    c = torch.tensor([[0.0, 1.0], [1.0, 0.25]])
    y, delta = model(x, ref, c)
    y_other, _ = model(x, ref, c.flip(0))
    assert not torch.allclose(y, y_other, atol=1e-4)
    assert (model.reverse(y, delta, c) - x).abs().max() < 1e-4
    with pytest.raises(ValueError, match="condition"):
        model(x, ref)
    with pytest.raises(ValueError, match="no condition"):
        QuasiInvertibleNet(ModelConfig(inv_blocks=1, inv_width=4, fusion_width=4, aux="reference"))(x, ref, c)
    assert config.to_dict()["cond_channels"] == 2 and "cond_channels" not in ModelConfig().to_dict()


def test_a_conditioned_checkpoint_loads_as_conditioned(tmp_path):
    from restorable.model.checkpoint import load_model, save_model

    model = randomise(QuasiInvertibleNet(ModelConfig(inv_blocks=1, inv_width=4, fusion_width=4, aux="reference", cond_channels=3)))
    save_model(tmp_path / "m.safetensors", model, {"op": "l0"})
    loaded, _ = load_model(tmp_path / "m.safetensors")
    x, ref, c = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), torch.rand(1, 3)
    assert loaded.config.cond_channels == 3
    assert torch.allclose(loaded(x, ref, c)[0], model(x, ref, c)[0], atol=1e-6)
