"""The training loop behind ``restorable train``: resumable, time- or step-bounded, on the CPU or a GPU."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from restorable import __version__
from restorable.cores import cores
from restorable.errors import RestorableError
from restorable.luma import with_channels
from restorable.model.checkpoint import load_model, load_training_state, save_model, save_training_state
from restorable.model.qinet import ModelConfig, QuasiInvertibleNet
from restorable.train.adversarial import Adversary
from restorable.train.batches import batch_stream, default_workers
from restorable.train.data import CropSampler, Pair
from restorable.train.distributed import Ranks, all_agree, check_batch
from restorable.train.evaluate import evaluate
from restorable.train.lineage import crops_seen, devices, lineage_of
from restorable.transforms import Family, checkpoint_family, get_family
from restorable.weights.download import file_sha256


def bf16_is_fast() -> bool:
    """Whether this CPU runs bfloat16 natively (AVX-512 BF16 or AMX).

    Elsewhere autocast emulates bfloat16 and a training step is several times
    slower than in float32 (7x on a 2-core AVX2 machine).
    """
    probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(probe is not None and probe())


@dataclass
class TrainConfig:
    """Everything that decides a training run (stored in the checkpoint metadata)."""

    op: str
    params: dict = field(default_factory=dict)
    seed: int = 0
    crop: int = 128
    batch: int = 8
    lr: float = 5e-4
    jpeg: bool = False
    jpeg_range: tuple[int, int] = (70, 95)
    jpeg_mode: str = "real"  # real: PIL JPEG, straight-through gradient; differentiable: kornia's codec
    jpeg_share: float = 0.5  # with jpeg: the part of each batch restored from JPEG (the rest from PNG)
    jpeg_chroma: str = "420"  # with real jpeg: 420 (all 4:2:0, like most encoders) | apply (4:4:4 from quality 90, as apply writes)
    weight_approx: float = 1.0
    weight_restore: float = 1.0
    weight_delta: float = 0.1
    weight_adv: float = 0.0
    weight_ssim: float = 0.0  # w * (1 - SSIM(processed, effect)), 7x7 window: structure the effect lacks
    ssim_power: float = 1.0  # the ssim term is the power mean of each crop's 1 - SSIM: > 1 weighs the worst crops more
    weight_grid: float = 0.0  # w * |finest diagonal band of processed - effect|: the hidden code's checker grid
    weight_freq: float = 0.0  # packing: w * MSE of 4x4 block means (a visible ghost of the other images)
    aux_warmup: int = 0
    long_side: int = 512
    grad_clip: float = 10.0
    total_steps: int | None = None  # with --steps: cosine learning-rate decay to 5% over the run
    warmup: int = 0  # steps of linear learning-rate warm-up (large batches: lr scaled up, then warmed up)
    bf16: bool = field(default_factory=bf16_is_fast)  # bfloat16 autocast: ~2.6x faster steps on AVX-512 BF16 CPUs
    conditioned: bool = False  # one network for the ranges of the operator's conditioned parameters
    draws: int = 12  # conditioned: parameter settings drawn per photo (besides the defaults)


def jpeg_count(batch: int, share: float) -> int:
    """How many of a batch's ``batch`` images restore from JPEG at ``share``; at least one from PNG below 1."""
    if not 0.0 <= share <= 1.0:
        raise RestorableError(f"the JPEG share must be in [0, 1], got {share}")
    return batch if share >= 1.0 else batch - max(1, int(batch * (1.0 - share)))


def family_of(op: str) -> Family:
    """The transform family an operator's networks belong to (``effect`` for a --pairs black box)."""
    from restorable.operators import OPERATORS

    return get_family(OPERATORS[op].family if op in OPERATORS else "effect")


def state_path(out: Path) -> Path:
    """Where the optimizer/RNG state of checkpoint ``out`` lives."""
    return out.with_name(out.name + ".state")


def data_fingerprint(pairs: list[Pair]) -> str:
    """sha256 over the training photos' names and pixels."""
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(pair.name.encode())
        digest.update(pair.source.tobytes())
    return digest.hexdigest()


def load_run(path: Path, op: str) -> tuple[QuasiInvertibleNet, dict]:
    """A training checkpoint of operator ``op`` (model, metadata); a one-line error for another operator's."""
    model, meta = load_model(path)
    if meta.get("op") != op:
        raise RestorableError(f"{path}: was trained for {meta.get('op')!r}, not {op!r}")
    return model, meta


class Trainer:
    """Holds model, optimizer and sampler; ``run`` trains until a step or time budget.

    ``device``: ``"cpu"`` or ``"cuda"`` (bfloat16 autocast there when ``config.bf16``);
    ``workers``: processes that cut the batches (None: none on the CPU, up to 4 for a GPU).
    ``compile``: run the training forward and reverse passes through ``torch.compile`` with
    CUDA graphs (None: on a GPU only, where a step is otherwise bound by kernel launches).
    ``data_on_device``: hold the photos and targets on the device and cut the crops there
    (None: on a GPU only; the batches are the same either way).
    ``ranks``: this process's place under torchrun (:mod:`restorable.train.distributed`): ``config.batch``
    is the global batch, each rank cuts its share, DistributedDataParallel averages the gradients,
    and rank 0 alone validates and saves.
    ``stage``: the recipe that made the run (e.g. ``scripts/gpu_window.sh l0-b256``), kept in its metadata
    with ``crops_seen`` and ``trained_on`` (the devices).
    Checkpoints hold CPU tensors, so a run started on one device resumes on the other.
    """

    def __init__(
        self,
        config: TrainConfig,
        model_config: ModelConfig,
        train_pairs: list[Pair],
        out: Path,
        resume: bool = False,
        init: Path | None = None,
        device: str = "cpu",
        workers: int | None = None,
        compile: bool | None = None,
        grow_blocks: int = 0,
        grow_fusion: int = 0,
        data_on_device: bool | None = None,
        ranks: Ranks | None = None,
        stage: str | None = None,
    ) -> None:
        self.ranks = ranks or Ranks()
        self.stage = stage
        self.config, self.out = config, out
        self.device = device
        self.data_on_device = device != "cpu" if data_on_device is None else data_on_device
        self.workers = default_workers(device) if workers is None else workers
        self.compiled = device != "cpu" if compile is None else compile
        self.train_pairs = train_pairs
        self.family = family_of(config.op)
        self.family_losses = self.family.loss_function()  # imported once, called every step
        # the family of the network itself, which its checkpoint records: the operator's, or for a network
        # continued from one (bwp's colour versions 1-3 of the gray family), that one's
        self.network_family = self.family.name
        torch.manual_seed(config.seed)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.train_seconds = 0.0
        self.history: list[dict] = []
        self.init: dict | None = None  # the checkpoint a warm-started run began from
        self.crops_seen = 0  # training crops of every step, the runs it continues or started from included
        self.trained_on: list[str] = []  # the devices of those runs and of this one
        self.ancestry: list[dict] = []  # the runs it started from, oldest first (restorable.train.lineage)
        self.run_on: list[str] = []  # the devices of this run alone
        self.trained_with: list[str] = []  # the runs it trained beside in one process (restorable train-together)
        if resume and init is not None:
            raise RestorableError("give --resume or --init, not both")
        if (grow_blocks or grow_fusion) and init is None:
            raise RestorableError("--grow-blocks and --grow-fusion add blocks to the network of --init: give --init")
        if resume:
            if not out.exists() or not state_path(out).exists():
                raise RestorableError(f"{out}: nothing to resume (checkpoint or its .state file is missing)")
            self.model, meta = load_run(out, config.op)
            self.network_family = checkpoint_family(meta, self.model.config.carrier_channels)
            # the run's own settings win over the command line, so a resumed run is the same run
            stored = dict(meta["train"])
            stored["jpeg_range"] = tuple(stored["jpeg_range"])
            stored["total_steps"] = config.total_steps or stored.get("total_steps")
            stored["bf16"] = config.bf16  # a speed setting of this machine, not of the run
            self.config = config = TrainConfig(**stored)
            self.train_seconds = float(meta.get("train_seconds", 0.0))
            self.history = list(meta.get("history", []))
            self.init = meta.get("init")
            self.stage = stage or meta.get("stage")
            self._continue_run(meta)
        elif init is not None:
            self.model, meta = self._warm_start(init, config.op)
            if grow_blocks:
                self.model = self.model.with_more_blocks(grow_blocks)
                self.init["grown_blocks"] = grow_blocks
            if grow_fusion:
                try:
                    self.model = self.model.with_more_blocks(grow_fusion, branch="fusion")
                except ValueError as error:
                    raise RestorableError(f"--grow-fusion: {error}") from error
                self.init["grown_fusion"] = grow_fusion
        else:
            self.model = self.family.builder()(model_config, self.family.spec)
        self.condition = self._condition_axes()
        # this run's device, once: the GPU's name, or cpu; "xN ranks" under torchrun
        here = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else "cpu"
        here += f" x{self.ranks.world} ranks" if self.ranks.world > 1 else ""
        if here not in self.trained_on:
            self.trained_on.append(here)
        if here not in self.run_on:
            self.run_on.append(here)
        self.model.train()
        self.model = self.model.to(device, memory_format=torch.channels_last)  # 13% faster steps in float32 too
        # one fused kernel for the whole update on a GPU (the step is launch-bound at this size)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, fused=device != "cpu")
        self.adversary = Adversary() if config.weight_adv > 0 else None
        if self.adversary is not None:
            self.adversary.net.to(device)
        if resume:
            self.step = load_training_state(state_path(out), *self._training_state())
        from restorable.operators import OPERATORS

        augment = OPERATORS[config.op].equivariant if config.op in OPERATORS else False
        # each rank restores its own share of the batch from JPEG, in the same proportion
        n_jpeg = jpeg_count(check_batch(self.ranks, config.batch), config.jpeg_share) * self.ranks.world if config.jpeg else 0
        if self.model.config.carrier_channels == 3 and any(p.target.ndim == 2 for p in train_pairs):
            # a colour network of a grey operator (bwp before 0.2) learns the grey in 3 channels, as it is applied
            train_pairs = [replace(p, target=with_channels(p.target, 3)) for p in train_pairs]
        self.sampler = CropSampler(
            train_pairs, config.crop, config.batch, augment, self.generator, n_jpeg, config.jpeg_range,
            shard=(self.ranks.rank, self.ranks.world),
        )
        self.rng_state = self.generator.get_state()  # as of the last step taken (batches are drawn ahead)
        self._batches = None
        self.adversary_batch = None  # (target, processed) of the last step, for the discriminator
        # the training passes the family's losses call (compiled, or the plain network)
        self.forward_pass, self.reverse_pass = self.model, self.model.reverse
        if self.ranks.world > 1:
            self._distribute()
        elif self.compiled:  # the training passes only; validation runs the plain network on whole images
            mode = "reduce-overhead" if device != "cpu" else None
            self.forward_pass = torch.compile(self.model, mode=mode)
            self.reverse_pass = torch.compile(self.model.reverse, mode=mode)

    def _distribute(self) -> None:
        """Wrap the network in DistributedDataParallel (static graph: the reverse pass uses the parameters outside
        ``forward``); the passes run eagerly."""
        from torch.nn.parallel import DistributedDataParallel

        if self.adversary is not None or self.config.aux_warmup:
            raise RestorableError("torchrun: adversarial training and --aux-warmup are not supported on several ranks yet")
        device = torch.device(self.device)
        self.compiled = False
        self.forward_pass = DistributedDataParallel(
            self.model, device_ids=[device] if device.type == "cuda" else None, static_graph=True
        )

    def _warm_start(self, init: Path, op: str) -> tuple[QuasiInvertibleNet, dict]:
        """Weights (and architecture) of a finished run of ``op``, or of another operator of its family
        (e.g. bwp from gray: the colour is hidden the same way); this run's own settings and step count."""
        from restorable.operators import OPERATORS

        if not init.exists():
            raise RestorableError(f"{init}: no such checkpoint to start from")
        model, meta = load_model(init)
        self.network_family = checkpoint_family(meta, model.config.carrier_channels)
        other = meta.get("op")
        # colour effects differ too much for one to start another; the gray family's all hide colour alike
        shared = (
            other is not None and family_of(other).name == self.family.name != "effect"
            and OPERATORS[other].downscale == OPERATORS[op].downscale
        )
        if other != op and not shared:
            raise RestorableError(
                f"{init}: was trained for {other!r}, not {op!r} (a warm start takes the same operator,"
                " or one of the same grey family)"
            )
        self.train_seconds = float(meta.get("train_seconds", 0.0))  # minutes in the manifest cover both runs
        self.init = {"file": init.name, "sha256": file_sha256(init), "steps": meta.get("steps"), "train": meta.get("train")}
        self.ancestry = lineage_of(meta, self.init["sha256"])
        self.crops_seen = crops_seen(meta, self.ancestry)
        self.trained_on = devices(self.ancestry)
        self.trained_with = list(meta.get("trained_with", []))
        if other != op:
            self.init["op"] = other
        return model, meta

    def _continue_run(self, meta: dict) -> None:
        """Crops seen, devices and ancestry of the run this one resumes (an older run's from what it names)."""
        self.trained_with = list(meta.get("trained_with", []))
        if "ancestry" in meta:
            self.crops_seen = int(meta["crops_seen"])
            self.trained_on = list(meta.get("trained_on", []))
            self.run_on = list(meta.get("run_on", []))
            self.ancestry = list(meta["ancestry"])
            return
        lineage = lineage_of(meta, None)
        self.ancestry = lineage[:-1]
        self.crops_seen = crops_seen(meta, lineage)
        self.trained_on = devices(lineage)

    def _condition_axes(self) -> list[dict] | None:
        """The condition axes of a conditioned run (stored in its checkpoints); an unconditioned network of
        ``--init`` gains the condition input here (starting as the network it was)."""
        if not self.config.conditioned:
            if self.model.config.cond_channels:
                raise RestorableError("this network is conditioned: train it with --conditioned")
            return None
        from restorable.model.condition import add_condition
        from restorable.operators import get_operator
        from restorable.operators.condition import axes_metadata, axes_of

        axes = axes_of(get_operator(self.config.op))
        if not axes:
            raise RestorableError(f"--conditioned: operator {self.config.op!r} has no conditioned parameters")
        if not isinstance(self.model, QuasiInvertibleNet):
            raise RestorableError(f"--conditioned: {self.family.name} networks take no condition")
        if self.model.config.aux == "learned":
            raise RestorableError("--conditioned: use --aux reference (the reference operator runs with the parameters)")
        if not self.model.config.cond_channels:
            self.model = add_condition(self.model, len(axes))
        elif self.model.config.cond_channels != len(axes):
            raise RestorableError(f"this network takes {self.model.config.cond_channels} condition values, {self.config.op} has {len(axes)}")
        return axes_metadata(axes)

    def _training_state(self) -> tuple[dict, torch.Generator, dict]:
        optimizers: dict = {"model": self.optimizer}
        modules: dict = {}
        if self.adversary is not None:
            optimizers["adversary"] = self.adversary.optimizer
            modules["adversary"] = self.adversary.net
        return optimizers, self.generator, modules

    # -- one step ---------------------------------------------------------------------------

    def losses(
        self, source: torch.Tensor, target: torch.Tensor, qualities: tuple[int, ...] | None = None,
        cond: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Loss terms for one batch, by the family's losses; ``qualities``: its JPEG images' (drawn if None);
        ``cond``: (B, N) conditions of a conditioned run."""
        return self.family_losses(self, source, target, qualities, cond)

    def learning_rate(self) -> float:
        """Linear warm-up over ``warmup`` steps, then cosine decay from ``lr`` to 5% of it over ``total_steps``
        (constant without a step budget)."""
        cfg = self.config
        ramp = min(1.0, (self.step + 1) / cfg.warmup) if cfg.warmup else 1.0
        if not cfg.total_steps:
            return cfg.lr * ramp
        progress = min(1.0, self.step / cfg.total_steps)
        return cfg.lr * ramp * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress)))

    def train_step(self) -> dict[str, torch.Tensor]:
        """One optimisation step; the loss terms as 0-d tensors on the device.

        Nothing here waits for the device after the step, so a GPU runs it while the
        next batch is being prepared; reading a term (``float(t)``) waits for it.
        """
        if self.compiled and self.device != "cpu":
            torch.compiler.cudagraph_mark_step_begin()  # last step's graph outputs are no longer needed
        source, target, cond, qualities = self.next_batch()
        with torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16, enabled=self.config.bf16):
            terms = self.losses(source, target, qualities, cond)
        self.optimizer.zero_grad(set_to_none=True)
        self.weighted_loss(terms).backward()
        return self.finish_step(terms)

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, tuple[int, ...]]:
        """The next batch (source, target, cond or None, JPEG qualities), with this step's learning rate set."""
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate()
        if self._batches is None:
            if self.data_on_device:
                from restorable.train.device_batches import device_batch_stream

                self._batches = device_batch_stream(self.sampler, self.device)
            else:
                self._batches = batch_stream(self.sampler, self.device, self.workers)
        source, target, cond, plan = next(self._batches)
        self.rng_state = plan.rng_after
        return source, target, cond if cond.shape[1] else None, plan.qualities

    def weighted_loss(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The loss the step minimises: the terms with this run's weights."""
        cfg = self.config
        weights = {
            "approx": cfg.weight_approx, "restore": cfg.weight_restore, "delta": cfg.weight_delta, "adv": cfg.weight_adv,
            "ssim": cfg.weight_ssim, "grid": cfg.weight_grid, "freq": cfg.weight_freq,
        }
        return sum(weights[k] * v for k, v in terms.items())

    def finish_step(self, terms: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Clip the gradients the loss left, update the weights (and the adversary), count the step."""
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        if "adv" in terms:
            terms["disc"] = torch.tensor(self.adversary.discriminator_step(*self.adversary_batch))
        self.step += 1
        self.crops_seen += self.config.batch  # the global batch: every rank's crops
        return {k: v.detach().float() for k, v in terms.items()}

    # -- saving -----------------------------------------------------------------------------

    def metadata(self, val: dict | None) -> dict:
        return {
            "op": self.config.op,
            "family": self.network_family,
            "params": self.config.params,
            "steps": self.step,
            "train_seconds": round(self.train_seconds, 1),
            "train": asdict(self.config),
            "data_fingerprint": data_fingerprint(self.train_pairs),
            "data_images": len(self.train_pairs),
            "val": val,
            "history": self.history,
            "init": self.init,
            "crops_seen": self.crops_seen,
            "trained_on": self.trained_on,
            "ancestry": self.ancestry,
            "run_on": self.run_on,
            **({"stage": self.stage} if self.stage else {}),
            **({"trained_with": self.trained_with} if self.trained_with else {}),
            **({"condition": self.condition} if self.condition else {}),
            "tool_version": __version__,
        }

    def save(self, val: dict | None = None) -> None:
        if not self.ranks.leader:  # the ranks hold the same weights and state: one writes them
            return
        save_model(self.out, self.model, self.metadata(val))
        optimizers, _, modules = self._training_state()
        taken = torch.Generator()
        taken.set_state(self.rng_state)  # the generator as of this step, not of the batches drawn ahead
        save_training_state(state_path(self.out), optimizers, taken, self.step, modules)

    # -- the loop ---------------------------------------------------------------------------

    def validate(self, val_pairs: list[Pair] | None, jpeg_eval: list[int] | None = None) -> dict | None:
        """Mean figures on ``val_pairs`` (None without them, or off the leading rank), kept in the history."""
        if not val_pairs or not self.ranks.leader:
            return None
        self.model.eval()
        figures = evaluate(self.model, val_pairs, jpeg_eval or [], with_ssim=False, device=self.device)["mean"]
        self.model.train()
        self.history.append(
            {"step": self.step, "crops_seen": self.crops_seen, "train_seconds": round(self.train_seconds, 1), "val": figures}
        )
        return figures

    def run(
        self,
        steps: int | None,
        minutes: float | None,
        val_pairs: list[Pair] | None = None,
        val_every: int = 500,
        save_minutes: float = 5.0,
        jpeg_eval: list[int] | None = None,
        on_step: Callable[[int, dict, dict | None], None] | None = None,
    ) -> dict | None:
        """Train until ``steps`` (absolute) or ``minutes`` (this call) run out; returns the last val figures."""
        torch.set_num_threads(cores())  # the cores this process may use (taskset)
        deadline = time.monotonic() + minutes * 60 if minutes else math.inf
        last_save = time.monotonic()
        val = self.history[-1]["val"] if self.history else None

        while (steps is None or self.step < steps) and not all_agree(time.monotonic() >= deadline, self.ranks, self.device):
            start = time.monotonic()
            terms = self.train_step()
            if val_pairs and self.step % val_every == 0:
                val = self.validate(val_pairs, jpeg_eval)
            self.train_seconds += time.monotonic() - start  # wall time of steps and validation
            if on_step and self.ranks.leader:
                on_step(self.step, terms, val)
            if time.monotonic() - last_save > save_minutes * 60:
                self.save(val)
                last_save = time.monotonic()
        return self.finish(val, val_pairs, jpeg_eval)

    def finish(self, val: dict | None, val_pairs: list[Pair] | None, jpeg_eval: list[int] | None = None) -> dict | None:
        """End the run: validated at its last step (unless it just was), saved; its last validation figures."""
        if val_pairs and (not self.history or self.history[-1]["step"] != self.step):
            val = self.validate(val_pairs, jpeg_eval)
        self.save(val)
        return val
