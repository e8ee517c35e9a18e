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
from dataclasses import dataclass, replace

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


def check_runs(trainers: list[Trainer]) -> None:
    """A one-line error unless each of ``trainers`` can train in a group (and none writes another's checkpoint)."""
    if not trainers:
        raise RestorableError("train-together: give at least one run")
    for trainer in trainers:
        name = trainer.out.name
        if trainer.family.losses != ROUND_TRIP_LOSSES:
            raise RestorableError(f"{name}: the {trainer.family.name} family cannot train together yet (effect, gray, rescale can)")
        if trainer.adversary is not None or trainer.config.aux_warmup > trainer.step:
            raise RestorableError(f"{name}: adversarial training and --aux-warmup cannot train together")
        if trainer.ranks.world > 1:
            raise RestorableError("train-together runs in one process: not under torchrun")
    outs = [t.out.resolve() for t in trainers]
    if len(set(outs)) != len(outs):
        raise RestorableError("train-together: two runs write the same --out")


def shape_of(trainer: Trainer) -> tuple:
    """What runs stepped as one computation share: the network's class and architecture, batch, crop, precision, device.

    The architecture leaves out ``code_scale``: it only sets where a new network's learned output scale starts.
    """
    cfg = trainer.config
    return type(trainer.model), replace(trainer.model.config, code_scale=1.0), cfg.batch, cfg.crop, cfg.bf16, trainer.device


def check_together(trainers: list[Trainer]) -> None:
    """A one-line error unless ``trainers`` can step as one batched computation."""
    check_runs(trainers)
    first = trainers[0]
    for trainer in trainers:
        if shape_of(trainer)[:2] != shape_of(first)[:2]:
            raise RestorableError(
                f"{trainer.out.name}: another architecture than {first.out.name} ({trainer.model.config} vs"
                f" {first.model.config}): runs stepped as one need the same network shape"
            )
        if shape_of(trainer) != shape_of(first):
            raise RestorableError(f"{trainer.out.name}: --batch, --crop, --bf16/--fp32 and the device must be those of {first.out.name}")


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
        tensors = [{**dict(t.model.named_parameters()), **dict(t.model.named_buffers())} for t in self.trainers]
        return {f"net.{name}": torch.stack([t[name] for t in tensors]) for name in tensors[0]}  # named as in _Passes

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
    """Train ``runs`` in this process until each reaches its steps or minutes. Runs of one shape (:func:`shape_of`)
    step as one batched computation; groups of other shapes take turns. A run that ends is validated and saved
    and the others go on. Returns each run's last validation figures."""
    check_runs([r.trainer for r in runs])
    torch.set_num_threads(cores())
    for run in runs:
        run.val = run.trainer.history[-1]["val"] if run.trainer.history else None
        others = [r.trainer.out.name for r in runs if r is not run]  # the metadata says how the run was trained
        run.trainer.trained_with += [name for name in others if name not in run.trainer.trained_with]
    started = last_save = time.monotonic()
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        if run.done(0.0):  # nothing left to train: its checkpoint as it is
            run.trainer.save(run.val)
        else:
            groups.setdefault(shape_of(run.trainer), []).append(run)
    steppers = {key: Together([r.trainer for r in members]) for key, members in groups.items()}
    while groups:
        begin = time.monotonic()
        stepped = [(run, term) for key, members in groups.items() for run, term in zip(members, steppers[key].step())]
        for run, _ in stepped:
            if run.val_pairs and run.trainer.step % run.val_every == 0:
                run.val = run.trainer.validate(run.val_pairs, run.jpeg_eval)
        for run, term in stepped:
            run.trainer.train_seconds += time.monotonic() - begin  # the round's wall time: the runs share the device
            if on_step:
                on_step(run, term, run.val)
        if time.monotonic() - last_save > min(r.save_minutes for r, _ in stepped) * 60:
            for run, _ in stepped:
                run.trainer.save(run.val)
            last_save = time.monotonic()
        for key in list(groups):
            ended = [r for r in groups[key] if r.done(time.monotonic() - started)]
            for run in ended:  # validated at its last step and saved; the others go on without it
                run.val = run.trainer.finish(run.val, run.val_pairs, run.jpeg_eval)
            if ended:
                groups[key] = [r for r in groups[key] if r not in ended]
                if groups[key]:
                    steppers[key] = Together([r.trainer for r in groups[key]])
                else:
                    del groups[key], steppers[key]
    return [r.val for r in runs]
