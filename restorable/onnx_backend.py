"""ONNX export of the network and an ONNX Runtime stand-in for it.

``export_onnx`` writes ``forward.onnx`` (inputs ``x`` and, for a reference
auxiliary branch, ``reference``; output ``y``) and ``reverse.onnx`` (input ``y``,
output ``x``), both with dynamic height and width (even numbers).
:class:`OnnxNetwork` runs them with the same interface as the torch network,
so the engine's padding and tiling serve both backends.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from restorable.errors import RestorableError

OPSET = 17


class _Forward(torch.nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(x, reference)[0]


class _Reverse(torch.nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.model.reverse(y)


def export_onnx(model, out_dir: Path) -> tuple[Path, Path]:
    """Write forward.onnx and reverse.onnx for ``model`` into ``out_dir`` (not for a conditioned network)."""
    if model.config.cond_channels:
        raise RestorableError("conditioned networks run with --backend torch only: no ONNX export yet")
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.float().eval().to(memory_format=torch.contiguous_format)
    sample = torch.rand(1, 3, 64, 48)
    scale = model.spec.carrier.scale  # the processed image (and the reference): same size, or smaller (rescaling)
    carrier = torch.rand(1, model.config.carrier_channels, round(64 * scale), round(48 * scale))
    dims = {0: "batch", 2: "height", 3: "width"}
    forward_path, reverse_path = out_dir / "forward.onnx", out_dir / "reverse.onnx"
    if model.config.aux == "reference":
        args, names = (sample, carrier), ["x", "reference"]
    else:
        args, names = (sample,), ["x"]
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shape checks that are constant per graph
        torch.onnx.export(
            _Forward(model), args, str(forward_path), input_names=names, output_names=["y"],
            dynamic_axes={**{n: dims for n in names}, "y": dims}, opset_version=OPSET, dynamo=False,
        )
        torch.onnx.export(
            _Reverse(model), (carrier,), str(reverse_path), input_names=["y"], output_names=["x"],
            dynamic_axes={"y": dims, "x": dims}, opset_version=OPSET, dynamo=False,
        )
    return forward_path, reverse_path


def _providers(device: str) -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "cuda":
        raise RestorableError("--device cuda: this onnxruntime has no CUDA provider (pip install 'restorable[gpu]')")
    return ["CPUExecutionProvider"]


def _numpy(t: torch.Tensor) -> np.ndarray:
    """A C-contiguous array for ONNX Runtime (the engine hands over channels-last tensors)."""
    return np.ascontiguousarray(t.cpu().numpy())


class OnnxNetwork:
    """ONNX Runtime sessions that look like the exported network (``spec``: its transform spec) to the engine."""

    def __init__(self, folder: Path, config, spec, device: str = "auto") -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise RestorableError("--backend onnx needs onnxruntime: pip install 'restorable[onnx]'") from None
        options = ort.SessionOptions()
        options.log_severity_level = 3
        providers = _providers(device)
        self.config, self.spec, self.stride = config, spec, spec.stride
        self.forward_session = ort.InferenceSession(str(folder / "forward.onnx"), options, providers=providers)
        self.reverse_session = ort.InferenceSession(str(folder / "reverse.onnx"), options, providers=providers)

    @property
    def provider(self) -> str:
        """The execution provider that actually runs (ONNX Runtime may fall back to CPU)."""
        return self.forward_session.get_providers()[0]

    def to(self, device: str) -> OnnxNetwork:
        return self

    def __call__(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> tuple[torch.Tensor, None]:
        feeds = {"x": _numpy(x)}
        if reference is not None:
            feeds["reference"] = _numpy(reference)
        return torch.from_numpy(self.forward_session.run(None, feeds)[0]), None

    def reverse(self, y: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.reverse_session.run(None, {"y": _numpy(y)})[0])
