"""Training batches in step order, cut out in worker processes and handed to the device.

The main process draws each batch's plan from the run's generator (a few
integers), so the sequence of batches is the same with or without workers and
on every device; workers only cut crops out of the photos (uint8, 4x smaller
to move than float) and the batch is converted to float on the device.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import torch

from restorable.train.data import BatchPlan, CropSampler, to_float


def default_workers(device: str) -> int:
    """Worker processes for ``device``: none on the CPU (they would take its cores), up to 4 for a GPU."""
    if device == "cpu":
        return 0
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class _Plans(torch.utils.data.Sampler):
    """An endless stream of batch plans from the sampler's generator (iterated in the main process)."""

    def __init__(self, sampler: CropSampler) -> None:
        self.sampler = sampler

    def __iter__(self) -> Iterator[BatchPlan]:
        while True:
            yield self.sampler.plan()


class _Cutter(torch.utils.data.Dataset):
    def __init__(self, sampler: CropSampler) -> None:
        self.sampler = sampler

    def __getitem__(self, plan: BatchPlan):  # type: ignore[override]
        source, target, cond = self.sampler.cut(plan)
        return source, target, cond, plan


def batch_stream(
    sampler: CropSampler, device: str, workers: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, BatchPlan]]:
    """Endless (source, target, cond, plan): float32 (B, 3, crop, crop) tensors on ``device``, channels-last;
    cond (B, N), N = 0 for an unconditioned run."""
    if workers == 0:
        cutter = _Cutter(sampler)
        source_target_plan = (cutter[plan] for plan in _Plans(sampler))
    else:
        source_target_plan = iter(
            torch.utils.data.DataLoader(
                _Cutter(sampler),
                batch_size=None,
                sampler=_Plans(sampler),
                num_workers=workers,
                pin_memory=device != "cpu",
                prefetch_factor=4,
                persistent_workers=True,
                # workers only cut numpy arrays; fork shares the photos without copying them
                multiprocessing_context="fork" if sys.platform.startswith("linux") else None,
            )
        )
    for source, target, cond, plan in source_target_plan:
        yield (
            to_float(source.to(device, non_blocking=True)).contiguous(memory_format=torch.channels_last),
            to_float(target.to(device, non_blocking=True)).contiguous(memory_format=torch.channels_last),
            cond.to(device, non_blocking=True),
            plan,
        )
