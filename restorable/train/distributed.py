"""Training on several processes with torch.distributed: one rank per GPU (NCCL) or per CPU process (gloo).

``torchrun`` starts the ranks and sets RANK, WORLD_SIZE and LOCAL_RANK; each rank draws the same
global batch plan from the run's generator and cuts its own share of the crops (every
``world``-th one), DistributedDataParallel averages the gradients, and rank 0 alone validates
and writes the checkpoint. The batch size is the global one, so a run resumes on any number of
ranks that divides it, and one process with the same batch and seed trains the same weights.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from restorable.errors import RestorableError


@dataclass(frozen=True)
class Ranks:
    """Where this process stands among the run's ranks (0 of 1 without torchrun)."""

    rank: int = 0
    world: int = 1
    local: int = 0

    @property
    def leader(self) -> bool:
        """Whether this rank writes checkpoints and reports."""
        return self.rank == 0


def start(device: str) -> tuple[Ranks, str]:
    """Join the process group torchrun set up (a no-op without it); the ranks and this rank's device
    (``cuda`` becomes ``cuda:LOCAL_RANK``)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Ranks(), device
    import torch.distributed as dist

    ranks = Ranks(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if device.startswith("cuda"):
        device = f"cuda:{ranks.local}"
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return ranks, device


def check_batch(ranks: Ranks, batch: int) -> int:
    """This rank's share of a global batch of ``batch`` crops."""
    if batch % ranks.world:
        raise RestorableError(f"--batch {batch} must be a multiple of the {ranks.world} ranks")
    return batch // ranks.world


def all_agree(flag: bool, ranks: Ranks, device: str) -> bool:
    """True on every rank when ``flag`` is true on any (so that all ranks stop at the same step)."""
    if ranks.world == 1:
        return flag
    import torch.distributed as dist

    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())
