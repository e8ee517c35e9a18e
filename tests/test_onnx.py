"""ONNX export: forward and reverse graphs with dynamic sizes agree with torch on CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")

from restorable.engine import forward_image, reverse_image  # noqa: E402
from restorable.model import ModelConfig, QuasiInvertibleNet  # noqa: E402
from restorable.onnx_backend import OnnxNetwork, export_onnx  # noqa: E402


def randomised(aux: str, carrier: int = 3) -> QuasiInvertibleNet:
    model = QuasiInvertibleNet(
        ModelConfig(
            inv_blocks=2, inv_width=8, fusion_width=8, aux=aux, aux_width=8, code_scale=0.25, carrier_channels=carrier
        )
    )
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.05)
    return model.eval()


@pytest.mark.parametrize(("aux", "carrier"), [("learned", 3), ("reference", 3), ("reference", 1), ("learned", 1)])
def test_onnx_matches_torch_on_cpu(tmp_path, aux, carrier):
    model = randomised(aux, carrier)
    export_onnx(model, tmp_path)
    onnx = OnnxNetwork(tmp_path, model.config, model.spec, device="cpu")
    assert onnx.provider == "CPUExecutionProvider"
    for h, w in [(40, 56), (66, 34)]:  # sizes other than the export sample: dynamic axes
        x = torch.rand(1, 3, h, w)
        ref = torch.rand(1, carrier, h, w) if aux == "reference" else None
        with torch.no_grad():
            y_torch = model(x, ref)[0]
            x_torch = model.reverse(y_torch)
        y_onnx = onnx(x, ref)[0]
        assert y_onnx.shape == (1, carrier, h, w) and (y_onnx - y_torch).abs().max() < 1e-3
        assert (onnx.reverse(y_torch) - x_torch).abs().max() < 1e-3


def test_engine_runs_onnx_with_padding(tmp_path):
    model = randomised("learned")
    export_onnx(model, tmp_path)
    onnx = OnnxNetwork(tmp_path, model.config, model.spec, device="cpu")
    image = np.random.default_rng(0).integers(0, 256, (37, 51, 3), dtype=np.uint8)
    a, b = forward_image(model, image), forward_image(onnx, image)
    assert a.shape == b.shape == image.shape and np.abs(a.astype(int) - b).max() <= 1
    assert np.abs(reverse_image(model, a).astype(int) - reverse_image(onnx, a)).max() <= 1
