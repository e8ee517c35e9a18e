"""ONNX export of the network and an ONNX Runtime stand-in for it.

``export_onnx`` writes ``forward.onnx`` (inputs ``x`` and, for a reference
auxiliary branch, ``reference``; output ``y``) and ``reverse.onnx`` (input ``y``,
output ``x``), both with dynamic height and width (even numbers); a conditioned
network's graphs take the condition ``c`` (batch, N) as one more input.
:class:`OnnxNetwork` runs them with the same interface as the torch network,
so the engine's padding and tiling serve both backends (:meth:`OnnxNetwork.bound`:
with a condition fixed, as :class:`~restorable.model.condition.BoundCondition`).
"""

from __future__ import annotations

import copy
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

    def forward(self, x: torch.Tensor, *more: torch.Tensor) -> torch.Tensor:
        reference = more[0] if self.model.config.aux == "reference" else None
        c = more[-1] if self.model.config.cond_channels else None
        return self.model(x, reference, c)[0]


class _Reverse(torch.nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, y: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.model.reverse(y, c=c)


def export_onnx(model, out_dir: Path) -> tuple[Path, Path]:
    """Write forward.onnx and reverse.onnx for ``model`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.float().eval().to(memory_format=torch.contiguous_format)
    sample = torch.rand(1, 3 * model.spec.inputs.count, 64, 48)  # a packing network takes its N images stacked
    scale = model.spec.carrier.scale  # the processed image (and the reference): same size, or smaller (rescaling)
    carrier = torch.rand(1, model.config.carrier_channels, round(64 * scale), round(48 * scale))
    dims = {0: "batch", 2: "height", 3: "width"}
    forward_path, reverse_path = out_dir / "forward.onnx", out_dir / "reverse.onnx"
    args, names = (sample, carrier), ["x", "reference"]
    if model.config.aux != "reference":
        args, names = (sample,), ["x"]
    reverse_args, reverse_names, condition = (carrier,), ["y"], {}
    if model.config.cond_channels:
        c = torch.rand(1, model.config.cond_channels)
        args, names, condition = (*args, c), [*names, "c"], {"c": {0: "batch"}}
        reverse_args, reverse_names = (carrier, c), ["y", "c"]
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shape checks that are constant per graph
        torch.onnx.export(
            _Forward(model), args, str(forward_path), input_names=names, output_names=["y"],
            dynamic_axes={**{n: dims for n in names if n != "c"}, **condition, "y": dims}, opset_version=OPSET, dynamo=False,
        )
        torch.onnx.export(
            _Reverse(model), reverse_args, str(reverse_path), input_names=reverse_names, output_names=["x"],
            dynamic_axes={"y": dims, **condition, "x": dims}, opset_version=OPSET, dynamo=False,
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
        self.c: np.ndarray | None = None  # a conditioned network's bound condition, (1, N)

    @property
    def provider(self) -> str:
        """The execution provider that actually runs (ONNX Runtime may fall back to CPU)."""
        return self.forward_session.get_providers()[0]

    def to(self, device: str) -> OnnxNetwork:
        return self

    def bound(self, c: np.ndarray) -> OnnxNetwork:
        """A stand-in sharing these sessions with the condition ``c`` (N,) fixed (a conditioned network)."""
        if len(c) != self.config.cond_channels:
            raise ValueError(f"this network takes a condition of {self.config.cond_channels} values, got {len(c)}")
        bound = copy.copy(self)
        bound.c = np.asarray(c, dtype=np.float32)[None]
        return bound

    def _condition(self, batch: int) -> dict[str, np.ndarray]:
        if not self.config.cond_channels:
            return {}
        if self.c is None:
            raise ValueError("a conditioned network: bind its condition first (bound(c))")
        return {"c": np.ascontiguousarray(np.repeat(self.c, batch, axis=0))}

    def __call__(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> tuple[torch.Tensor, None]:
        feeds = {"x": _numpy(x), **self._condition(x.shape[0])}
        if reference is not None:
            feeds["reference"] = _numpy(reference)
        return torch.from_numpy(self.forward_session.run(None, feeds)[0]), None

    def reverse(self, y: torch.Tensor) -> torch.Tensor:
        feeds = {"y": _numpy(y), **self._condition(y.shape[0])}
        return torch.from_numpy(self.reverse_session.run(None, feeds)[0])
