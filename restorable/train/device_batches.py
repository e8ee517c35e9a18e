"""Training crops cut on the device from photos held there (issue 31).

With hundreds of crops a step, cutting them on the CPU and copying them over caps a GPU
far below what the network can take. Here the photos and their reference results are
copied to the device once (uint8, padded to one size), and each batch is one gather:
the same :class:`~restorable.train.data.BatchPlan` (drawn from the run's generator, so
the batches are those of the CPU path, crop for crop) turned into index grids.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from restorable.train.data import BatchPlan, CropSampler, to_float


def _stack(images: list[np.ndarray], device: str | torch.device) -> torch.Tensor:
    """(N, Hmax, Wmax, C) uint8 on ``device``: the images, zero-padded at the bottom and right."""
    height = max(i.shape[0] for i in images)
    width = max(i.shape[1] for i in images)
    channels = images[0].shape[2] if images[0].ndim == 3 else 1
    stack = torch.zeros((len(images), height, width, channels), dtype=torch.uint8, device=device)
    for n, image in enumerate(images):
        stack[n, : image.shape[0], : image.shape[1]] = torch.from_numpy(
            np.array(image.reshape(image.shape[0], image.shape[1], channels))  # a writable copy
        ).to(device)
    return stack


def _windows(size: int, turns: torch.Tensor, flips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows, cols), each (B, size, size): where output pixel (i, j) of each crop comes from inside its window,
    after ``np.rot90(window, k)`` and then a left-right flip, as :meth:`CropSampler.cut` does."""
    device = turns.device
    i = torch.arange(size, device=device).view(1, size, 1).expand(len(turns), size, size)
    j = torch.arange(size, device=device).view(1, 1, size).expand(len(turns), size, size)
    last = size - 1
    j = torch.where(flips.view(-1, 1, 1).bool(), last - j, j)  # the flip comes after the rotation
    k = turns.view(-1, 1, 1)
    rows = torch.where(k == 0, i, torch.where(k == 1, j, torch.where(k == 2, last - i, last - j)))
    cols = torch.where(k == 0, j, torch.where(k == 1, last - i, torch.where(k == 2, last - j, i)))
    return rows, cols


class DeviceCutter:
    """Cuts the crops of a :class:`CropSampler`'s plans from photos held on ``device``."""

    def __init__(self, sampler: CropSampler, device: str | torch.device) -> None:
        pairs = sampler.pairs
        self.sampler, self.device = sampler, torch.device(device)
        self.sources = _stack([p.source for p in pairs], self.device)
        self.targets = _stack([p.target for p in pairs], self.device)
        self.conds = torch.from_numpy(
            np.stack([p.cond if p.cond is not None else np.zeros(0, np.float32) for p in pairs])
        ).to(self.device)

    def cut(self, plan: BatchPlan) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(source, target) uint8 (B, crop, crop, C) on the device, equal to ``sampler.cut(plan)``, and conds (B, N)."""
        crops = torch.tensor(plan.crops, dtype=torch.long).to(self.device, non_blocking=True)
        index, top, left, turns, flips = crops.unbind(1)
        size, factor = self.sampler.crop, self.sampler.factor
        rows, cols = _windows(size, turns, flips)
        source = self.sources[index.view(-1, 1, 1), top.view(-1, 1, 1) + rows, left.view(-1, 1, 1) + cols]
        if factor > 1:  # a smaller target (rescaling): its own, smaller windows
            rows, cols = _windows(size // factor, turns, flips)
        target = self.targets[
            index.view(-1, 1, 1), (top // factor).view(-1, 1, 1) + rows, (left // factor).view(-1, 1, 1) + cols
        ]
        return source, target, self.conds[index]


def device_batch_stream(
    sampler: CropSampler, device: str | torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, BatchPlan]]:
    """Endless (source, target, cond, plan) as :func:`restorable.train.batches.batch_stream` gives them, cut on
    ``device``: float32 (B, C, crop, crop) channels-last tensors in [0, 1]."""
    cutter = DeviceCutter(sampler, device)
    while True:
        plan = sampler.plan()
        source, target, cond = cutter.cut(plan)
        yield (
            to_float(source).contiguous(memory_format=torch.channels_last),
            to_float(target).contiguous(memory_format=torch.channels_last),
            cond,
            plan,
        )
