"""Replaying CUDA graphs of repeated inference calls (issue 16: small photos are launch-bound on a GPU).

A 640x480 l0 apply launches ~400 small kernels; on an H200 launching them took
longer than running them. A :class:`GraphCache` runs a tensor function eagerly
the first time it sees an input signature (shapes, dtypes, strides, key) and,
from the second time on, captures it once as a CUDA graph and replays it: one
launch per call. Photos of one size processed one after another (a batch from
one camera, a server) take that path; one-off sizes never pay for a capture.

``RESTORABLE_CUDA_GRAPHS=0`` turns it off. CPU tensors always run eagerly.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable

import torch

log = logging.getLogger(__name__)

MAX_GRAPHS = 4  # per cache; each graph keeps its own memory pool
MAX_PIXELS = 1 << 22  # larger inputs run eagerly: launches no longer dominate, and a pool would hold GBs
MAX_SEEN = 256


def enabled() -> bool:
    """False when ``RESTORABLE_CUDA_GRAPHS=0``."""
    return os.environ.get("RESTORABLE_CUDA_GRAPHS", "1") != "0"


class GraphCache:
    """Runs ``fn(*inputs) -> tensor`` eagerly on a signature's first use and from a CUDA graph after.

    The result of a replay is a fresh tensor (a copy of the graph's static output).
    A capture that fails is logged once and that signature runs eagerly from then on.
    """

    def __init__(self, max_graphs: int = MAX_GRAPHS) -> None:
        self.max_graphs = max_graphs
        self.graphs: OrderedDict[Hashable, tuple[list[torch.Tensor], torch.Tensor, torch.cuda.CUDAGraph]] = OrderedDict()
        self.seen: set[Hashable] = set()
        self.failed: set[Hashable] = set()
        self.replays = 0  # for tests and benchmarks: how many calls a graph served

    def __call__(self, fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor], key: Hashable = ()) -> torch.Tensor:
        if not (inputs and enabled() and all(t.is_cuda for t in inputs)) or inputs[0].shape[-2:].numel() > MAX_PIXELS:
            return fn(*inputs)
        signature = (key, tuple((tuple(t.shape), t.dtype, t.stride()) for t in inputs))
        entry = self.graphs.get(signature)
        if entry is None:
            if signature in self.failed or signature not in self.seen:
                if len(self.seen) >= MAX_SEEN:
                    self.seen.clear()
                self.seen.add(signature)
                return fn(*inputs)
            entry = self._capture(fn, inputs, signature)
            if entry is None:
                return fn(*inputs)
        self.graphs.move_to_end(signature)
        static_inputs, static_output, graph = entry
        for static, value in zip(static_inputs, inputs):
            static.copy_(value)
        graph.replay()
        self.replays += 1
        return static_output.clone()

    def _capture(self, fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor], signature: Hashable):
        """Capture ``fn`` on static copies of ``inputs``; None (and a log line) when it cannot be captured."""
        static_inputs = [t.clone() for t in inputs]
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm-up off the capture: lazy init, cuDNN/cuFFT plans
                fn(*static_inputs)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_output = fn(*static_inputs)
        except RuntimeError as exc:
            self.failed.add(signature)
            log.warning("CUDA graph capture failed, running without it: %s", str(exc).splitlines()[0])
            return None
        self.graphs[signature] = (static_inputs, static_output, graph)
        while len(self.graphs) > self.max_graphs:
            self.graphs.popitem(last=False)
        return self.graphs[signature]
