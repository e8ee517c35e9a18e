"""Several small networks trained in one process, their passes batched into one computation (issue 31).

One bundled network at its own batch of 8 crops leaves most of a GPU idle, and a larger batch costs
quality per crop seen (docs/device/curves-2026-12-04.md). Trained together, N runs of the same
architecture (e.g. the stages of a GPU window: other operators, other settings) step at once: their
weights are stacked and one forward and one reverse pass run over all of them with
``torch.func.vmap`` (each convolution becomes one grouped convolution), as the model-ensembling
recipe of torch.func does. Everything else stays each run's own: its photos and targets, batch plan,
learning rate and schedule, loss weights, JPEG settings, gradient clipping, optimiser, validation and
checkpoint. So each run trains the weights it trains alone, within float rounding (tests/test_together.py).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, vmap

from restorable.cores import cores
from restorable.errors import RestorableError, one_line
from restorable.train.data import Pair
from restorable.train.trainer import Trainer
from restorable.transforms.effect.losses import carrier_terms, stored_carrier

log = logging.getLogger(__name__)
ROUND_TRIP_LOSSES = "restorable.transforms.effect.losses:quasi_invertible_losses"


class _Passes(nn.Module):
    """A network's forward pass, or with ``rev`` its reverse pass, as one ``forward`` (what functional_call calls)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None, c: torch.Tensor | None, rev: bool = False):
        conditioned = {} if c is None else {"c": c}
        return self.net.reverse(x, **conditioned) if rev else self.net(x, reference, **conditioned)


def check_together(trainers: list[Trainer]) -> None:
    """A one-line error unless ``trainers`` can step as one batched computation."""
    if not trainers:
        raise RestorableError("train-together: give at least one run")
    first = trainers[0]
    for trainer in trainers:
        name = trainer.out.name
        if trainer.family.losses != ROUND_TRIP_LOSSES:
            raise RestorableError(f"{name}: the {trainer.family.name} family cannot train together yet (effect, gray, rescale can)")
        if trainer.adversary is not None or trainer.config.aux_warmup > trainer.step:
            raise RestorableError(f"{name}: adversarial training and --aux-warmup cannot train together")
        if trainer.ranks.world > 1:
            raise RestorableError("train-together runs in one process: not under torchrun")
        if trainer.device != first.device:
            raise RestorableError(f"{name}: trains on {trainer.device}, {first.out.name} on {first.device}: one device for all")
        if type(trainer.model) is not type(first.model) or trainer.model.config != first.model.config:
            raise RestorableError(
                f"{name}: another architecture than {first.out.name} ({trainer.model.config} vs {first.model.config}):"
                " runs trained together need the same network shape"
            )
        if (trainer.config.batch, trainer.config.crop, trainer.config.bf16) != (first.config.batch, first.config.crop, first.config.bf16):
            raise RestorableError(f"{name}: --batch, --crop and --bf16/--fp32 must be those of {first.out.name}")
    outs = [t.out.resolve() for t in trainers]
    if len(set(outs)) != len(outs):
        raise RestorableError("train-together: two runs write the same --out")


class Together:
    """One training step for all of ``trainers`` (see the module docstring); ``step`` returns each run's terms."""

    def __init__(self, trainers: list[Trainer]) -> None:
        check_together(trainers)
        self.trainers = trainers
        skeleton = _Passes(copy.deepcopy(trainers[0].model)).to("meta")  # the shape; the weights come stacked

        def call(params: dict, x: torch.Tensor, reference, c, rev: bool):
            return functional_call(skeleton, params, (x, reference, c), {"rev": rev})

        config = trainers[0].model.config
        reference = 0 if config.aux == "reference" else None  # the axis of each input that holds the runs
        cond = 0 if config.cond_channels else None
        self.eager_forward = vmap(lambda p, x, r, c: call(p, x, r, c, False), in_dims=(0, 0, reference, cond))
        self.eager_reverse = vmap(lambda p, y, c: call(p, y, None, c, True), in_dims=(0, 0, cond))
        self.forward, self.reverse = self.eager_forward, self.eager_reverse
        if trainers[0].compiled:
            mode = "reduce-overhead" if trainers[0].device != "cpu" else None
            self.forward, self.reverse = torch.compile(self.forward, mode=mode), torch.compile(self.reverse, mode=mode)

    def _passes(self, weights, sources, references, conds, batches):
        """(y, delta, restored) of every run; a compiled pass that fails to compile falls back to eager, said once."""
        try:
            return self._round_trip(self.forward, self.reverse, weights, sources, references, conds, batches)
        except Exception as error:  # torch.compile of vmap on a new torch/GPU: a window must not be lost to it
            if self.forward is self.eager_forward:
                raise
            log.warning("train-together: the compiled passes failed (%s); the step runs eagerly", one_line(str(error)))
            self.forward, self.reverse = self.eager_forward, self.eager_reverse
            return self._round_trip(self.forward, self.reverse, weights, sources, references, conds, batches)

    def _round_trip(self, forward, reverse, weights, sources, references, conds, batches):
        y, delta = forward(weights, sources, references, conds)
        y, delta = y.float(), delta.float()  # bf16 cannot hold all 8-bit levels near 1
        stored = torch.stack([stored_carrier(t, y[i], batches[i][3]) for i, t in enumerate(self.trainers)])
        return y, delta, reverse(weights, stored, conds)

    def stacked_weights(self) -> dict[str, torch.Tensor]:
        """Every run's parameters and buffers stacked on a new first axis; the gradients reach each run's own."""
        tensors = [{**dict(m.named_parameters()), **dict(m.named_buffers())} for m in (_Passes(t.model) for t in self.trainers)]
        return {name: torch.stack([t[name] for t in tensors]) for name in tensors[0]}

    def step(self) -> list[dict[str, torch.Tensor]]:
        """One optimisation step of every run; each run's loss terms (0-d tensors), in order."""
        first = self.trainers[0]
        if first.compiled and first.device != "cpu":
            torch.compiler.cudagraph_mark_step_begin()
        batches = [t.next_batch() for t in self.trainers]
        sources = torch.stack([b[0] for b in batches])
        references = torch.stack([b[1] for b in batches]) if first.model.config.aux == "reference" else None
        conds = torch.stack([b[2] for b in batches]) if batches[0][2] is not None else None
        weights = self.stacked_weights()
        with torch.autocast(torch.device(first.device).type, dtype=torch.bfloat16, enabled=first.config.bf16):
            y, delta, restored = self._passes(weights, sources, references, conds, batches)
            terms = [
                carrier_terms(t, batches[i][0], batches[i][1], y[i], delta[i], restored[i]) for i, t in enumerate(self.trainers)
            ]
        for trainer in self.trainers:
            trainer.optimizer.zero_grad(set_to_none=True)
        sum(t.weighted_loss(term) for t, term in zip(self.trainers, terms)).backward()
        return [t.finish_step(term) for t, term in zip(self.trainers, terms)]


@dataclass
class Run:
    """One run of a group: its trainer, where it stops, and how it is validated and saved."""

    trainer: Trainer
    steps: int | None = None  # the step it stops at (absolute)
    minutes: float | None = None  # or after this many minutes of this call
    val_pairs: list[Pair] | None = None
    val_every: int = 500
    save_minutes: float = 5.0
    jpeg_eval: list[int] | None = None
    val: dict | None = None  # its last validation figures

    def done(self, elapsed: float) -> bool:
        return (self.steps is not None and self.trainer.step >= self.steps) or (
            self.minutes is not None and elapsed >= self.minutes * 60
        )


def train_together(
    runs: list[Run], on_step: Callable[[Run, dict, dict | None], None] | None = None
) -> list[dict | None]:
    """Train ``runs`` side by side in this process until each reaches its steps or minutes; a run that ends is
    validated and saved and the others go on. Returns each run's last validation figures."""
    check_together([r.trainer for r in runs])
    torch.set_num_threads(cores())
    for run in runs:
        run.val = run.trainer.history[-1]["val"] if run.trainer.history else None
        others = [r.trainer.out.name for r in runs if r is not run]  # the metadata says how the run was trained
        run.trainer.trained_with += [name for name in others if name not in run.trainer.trained_with]
    started = last_save = time.monotonic()
    active = [r for r in runs if not r.done(0.0)]
    while active:
        group = Together([r.trainer for r in active])
        while not (ended := [r for r in active if r.done(time.monotonic() - started)]):
            begin = time.monotonic()
            terms = group.step()
            for run in active:
                if run.val_pairs and run.trainer.step % run.val_every == 0:
                    run.val = run.trainer.validate(run.val_pairs, run.jpeg_eval)
            for run, term in zip(active, terms):
                run.trainer.train_seconds += time.monotonic() - begin  # the group's wall time: they share the device
                if on_step:
                    on_step(run, term, run.val)
            if time.monotonic() - last_save > min(r.save_minutes for r in active) * 60:
                for run in active:
                    run.trainer.save(run.val)
                last_save = time.monotonic()
        for run in ended:  # validated at its last step, saved; the others go on without it
            history = run.trainer.history
            if run.val_pairs and (not history or history[-1]["step"] != run.trainer.step):
                run.val = run.trainer.validate(run.val_pairs, run.jpeg_eval)
        active = [r for r in active if r not in ended]
    for run in runs:
        run.trainer.save(run.val)
    return [r.val for r in runs]
