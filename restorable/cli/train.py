"""``restorable train``: train a quasi-invertible network for one operator."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import typer

from restorable.errors import RestorableError


def parse_quality_range(text: str) -> tuple[int, int]:
    """``"85-95"`` -> (85, 95); a one-line error for anything else."""
    low, sep, high = text.partition("-")
    try:
        bounds = (int(low), int(high if sep else low))
    except ValueError:
        raise RestorableError(f"--jpeg-quality must look like 85-95, not {text!r}") from None
    if not 1 <= bounds[0] <= bounds[1] <= 100:
        raise RestorableError(f"--jpeg-quality needs 1 <= LOW <= HIGH <= 100, not {text!r}")
    return bounds


@dataclass
class PreparedRun:
    """A run ready to train: its trainer (a restorable.train.trainer.Trainer), where it stops, how it is validated."""

    trainer: object
    name: str
    steps: int | None  # the schedule's end (--steps)
    last: int | None  # the step it stops at (--stop-at, else --steps)
    minutes: float | None
    val_pairs: list | None
    val_every: int
    save_minutes: float
    jpeg_eval: list[int] | None
    ranks: object


def prepare(
    op: str = typer.Option(None, "--op", help="Reference operator to learn (see `restorable ops`)."),
    data: Path = typer.Option(..., "--data", help="Folder of training photos."),
    out: Path = typer.Option(..., "--out", help="Checkpoint to write (.safetensors; metadata goes to OUT.json)."),
    val: Path = typer.Option(None, "--val", help="Folder of validation photos (whole images)."),
    pairs: Path = typer.Option(None, "--pairs", help="Learn a black-box operator: its outputs, same file stems as --data."),
    param: list[str] = typer.Option([], "--param", "-p", help="Operator parameter key=value (repeatable)."),
    minutes: float = typer.Option(None, "--minutes", min=0.05, help="Train for this many minutes (this run)."),
    steps: int = typer.Option(None, "--steps", min=1, help="Train until this many steps in total."),
    stop_at: int = typer.Option(
        None, "--stop-at", min=1, help="Stop at this step; the learning-rate schedule still runs to --steps (a stage cut short)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue OUT exactly where it stopped."),
    init: Path = typer.Option(
        None,
        "--init",
        help="Start from the weights (and architecture) of this checkpoint of the same operator,"
        " with this command's training settings.",
    ),
    jpeg: bool = typer.Option(False, "--jpeg", help="Compression-aware: restore from real JPEG in half the batch."),
    jpeg_share: float = typer.Option(
        0.5, "--jpeg-share", min=0.0, max=1.0,
        help="With --jpeg: the part of each batch restored from JPEG (1: all, for weights meant for JPEG files).",
    ),
    jpeg_mode: str = typer.Option("real", "--jpeg-mode", help="real (PIL, straight-through) | differentiable (kornia)."),
    jpeg_quality: str = typer.Option("70-95", "--jpeg-quality", help="JPEG qualities drawn in training, LOW-HIGH."),
    jpeg_chroma: str = typer.Option(
        "420", "--jpeg-chroma",
        help="With real JPEG: 420 (colour subsampled 4:2:0, like most encoders) | apply (4:4:4 from quality 90, as `apply` writes).",
    ),
    seed: int = typer.Option(0, "--seed"),
    size: int = typer.Option(512, "--size", min=64, help="Photos are resized to this long side."),
    crop: int = typer.Option(128, "--crop", min=16),
    batch: int = typer.Option(8, "--batch", min=1),
    lr: float = typer.Option(5e-4, "--lr"),
    warmup: int = typer.Option(
        0, "--warmup", min=0,
        help="Steps of linear learning-rate warm-up (for large batches, with --lr scaled by sqrt(batch / 8)).",
    ),
    aux: str = typer.Option("learned", "--aux", help="Auxiliary branch: learned | reference."),
    aux_warmup: int = typer.Option(0, "--aux-warmup", help="First steps train the auxiliary branch alone."),
    inv_blocks: int = typer.Option(4, "--inv-blocks", min=1, help="Coupling blocks of the invertible branch."),
    grow_blocks: int = typer.Option(
        0, "--grow-blocks", min=0, max=16,
        help="With --init: append this many coupling blocks (starting as the identity) to its invertible branch.",
    ),
    grow_fusion: int = typer.Option(
        0, "--grow-fusion", min=0, max=8,
        help="With --init, for a grey network: append this many coupling blocks (starting as the identity) to H.",
    ),
    fusion_blocks: int = typer.Option(1, "--fusion-blocks", min=1, help="Coupling blocks of the fusion block H."),
    width: int = typer.Option(32, "--width", min=4, help="Channels of the subnets."),
    code_scale: float = typer.Option(1 / 16, "--code-scale", help="Initial scale of the hidden code in the output."),
    weight_approx: float = typer.Option(1.0, "--w-approx"),
    weight_restore: float = typer.Option(1.0, "--w-restore"),
    weight_delta: float = typer.Option(0.1, "--w-delta"),
    weight_adv: float = typer.Option(None, "--w-adv", help="Adversarial weight (default: 0.01 for Type III, else 0)."),
    weight_ssim: float = typer.Option(0.0, "--w-ssim", min=0.0, help="Weight of 1 - SSIM(processed, effect), 7x7 window."),
    ssim_power: float = typer.Option(
        1.0, "--ssim-power", min=1.0,
        help="The SSIM term is the power mean of each crop's 1 - SSIM: above 1 weighs the crops least like the effect more.",
    ),
    weight_freq: float = typer.Option(
        0.0, "--w-freq", min=0.0, help="Pack family: weight of the 4x4 block means of packed - first image (a visible ghost)."
    ),
    weight_grid: float = typer.Option(
        0.0, "--w-grid", min=0.0, help="Weight of the finest diagonal Haar band of processed - effect (checker grid)."
    ),
    bf16: bool = typer.Option(
        None,
        "--bf16/--fp32",
        help="bfloat16 autocast for training (default: on a GPU, and on CPUs with native bfloat16).",
    ),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda: where the network trains."),
    workers: int = typer.Option(
        None, "--workers", min=0, help="Processes that cut training batches (default: 0 on the CPU, up to 4 for a GPU)."
    ),
    compile_passes: bool = typer.Option(
        None,
        "--compile/--no-compile",
        help="torch.compile the training passes, with CUDA graphs on a GPU (default: on a GPU only;"
        " the first steps then take a minute).",
    ),
    conditioned: bool = typer.Option(
        False, "--conditioned",
        help="One network for the ranges of the operator's conditioned parameters (`restorable ops`): each photo"
        " also at --draws settings drawn over them; --init may be an unconditioned network of the operator.",
    ),
    draws: int = typer.Option(12, "--draws", min=1, help="With --conditioned: settings drawn per photo."),
    val_every: int = typer.Option(250, "--val-every", min=1),
    save_minutes: float = typer.Option(5.0, "--save-minutes"),
    stage: str = typer.Option(
        None, "--stage", help="What made this run (a script and stage name), kept in the checkpoint's metadata."
    ),
    cache: Path = typer.Option(None, "--cache", help="Target cache folder (default: user cache/targets)."),
) -> PreparedRun:
    """The run these options describe: data and targets loaded, the network built (or resumed), nothing trained."""
    from dataclasses import replace

    from rich.console import Console

    from restorable.device import resolve_device
    from restorable.model.qinet import ModelConfig
    from restorable.operators import get_operator, parse_params, resolve_params
    from restorable.paths import cache_dir
    from restorable.operators.condition import axes_of, condition_vector
    from restorable.train.data import load_conditioned_pairs, load_pack_groups, load_pairs, load_val_pairs
    from restorable.train.distributed import start as start_ranks
    from restorable.train.trainer import Trainer, TrainConfig, bf16_is_fast

    console = Console(stderr=True, soft_wrap=True)
    if steps is None and minutes is None:
        raise RestorableError("give --steps N or --minutes M")
    run_device = resolve_device(device)
    ranks, run_device = start_ranks(run_device)  # under torchrun: this rank's device, and its place
    console.quiet = not ranks.leader
    if pairs is None and op is None:
        raise RestorableError("give --op NAME (or --pairs DIR for a black-box operator)")
    if out.suffix != ".safetensors":
        raise RestorableError(f"{out}: the checkpoint name must end in .safetensors")
    if jpeg_mode not in ("real", "differentiable"):
        raise RestorableError(f"--jpeg-mode must be real or differentiable, not {jpeg_mode!r}")
    if jpeg_chroma not in ("420", "apply"):
        raise RestorableError(f"--jpeg-chroma must be 420 or apply, not {jpeg_chroma!r}")
    if jpeg_chroma != "420" and jpeg_mode != "real":
        raise RestorableError("--jpeg-chroma apply needs --jpeg-mode real (the differentiable codec subsamples 4:2:0)")
    jpeg_range = parse_quality_range(jpeg_quality)
    if pairs is not None and aux == "reference":
        raise RestorableError("--aux reference needs a reference operator, not --pairs")
    params: dict = {}
    if pairs is None:
        params = resolve_params(get_operator(op), parse_params(param))
    name = op or "custom"
    if weight_adv is None:
        weight_adv = 0.01 if op is not None and get_operator(op).type == "III" else 0.0
    target_cache = cache or cache_dir() / "targets"
    console.print(f"preparing data ({'targets from ' + str(pairs) if pairs else 'reference ' + name} ...)", markup=False)
    if resume and out.exists():  # a resumed run keeps its own conditioning
        from restorable.model.checkpoint import load_model

        stored = load_model(out)[1].get("train", {})
        conditioned, draws = bool(stored.get("conditioned", False)), int(stored.get("draws", draws))
    if conditioned and (pairs is not None or param):
        raise RestorableError("--conditioned draws the parameters itself: leave out --pairs and --param")
    inputs = get_operator(op).inputs if op else 1
    if inputs > 1 and (conditioned or pairs is not None or param):
        raise RestorableError(f"{op} trains on groups of {inputs} images it makes itself: leave out --conditioned, --pairs and --param")
    if inputs > 1:  # the pack family: shifted views of each photo, and unrelated photos
        train_pairs = load_pack_groups(data, size, inputs, seed)
    elif conditioned:
        train_pairs = load_conditioned_pairs(data, size, op, draws, target_cache, seed)
    else:
        train_pairs = load_pairs(data, size, op, params, target_cache, pairs)
    val_pairs = load_val_pairs(val, size, op, params, target_cache) if val and pairs is None else None
    if val_pairs and conditioned:  # validated at the defaults
        val_pairs = [replace(p, cond=condition_vector(axes_of(get_operator(op)), params), params=params) for p in val_pairs]
    config = TrainConfig(
        op=name, params=params, seed=seed, crop=crop, batch=batch, lr=lr, jpeg=jpeg, jpeg_range=jpeg_range, jpeg_mode=jpeg_mode,
        jpeg_share=jpeg_share, jpeg_chroma=jpeg_chroma,
        aux_warmup=aux_warmup,
        weight_approx=weight_approx, weight_restore=weight_restore, weight_delta=weight_delta, weight_adv=weight_adv,
        weight_ssim=weight_ssim, ssim_power=ssim_power, weight_grid=weight_grid, weight_freq=weight_freq,
        long_side=size, bf16=(run_device != "cpu" or bf16_is_fast()) if bf16 is None else bf16, total_steps=steps,
        conditioned=conditioned, draws=draws, warmup=warmup,
    )
    model_config = ModelConfig(
        inv_blocks=inv_blocks, inv_width=width, fusion_blocks=fusion_blocks, fusion_width=width,
        aux=aux, aux_width=width, code_scale=code_scale, downscale=get_operator(op).downscale if op else 1,
        inputs=inputs,
    )
    trainer = Trainer(
        config, model_config, train_pairs, out, resume=resume, init=init, device=run_device, workers=workers,
        grow_blocks=grow_blocks, grow_fusion=grow_fusion,
        compile=compile_passes, ranks=ranks, stage=stage,
    )
    params_count = sum(p.numel() for p in trainer.model.parameters())
    precision = "bfloat16 autocast" if trainer.config.bf16 else "float32"
    console.print(
        f"{name}: {len(train_pairs)} {'photo settings' if conditioned else 'photos'}, {params_count:,} parameters, starting at step {trainer.step}"
        f" on {run_device} ({precision}, {'crops cut on the device' if trainer.data_on_device else f'{trainer.workers} batch workers'}"
        f"{', compiled' if trainer.compiled else ''})",
        markup=False,
    )
    last = min(stop_at, steps) if stop_at and steps else stop_at or steps
    return PreparedRun(
        trainer, name, steps, last, minutes, val_pairs, val_every, save_minutes, [90] if jpeg else None, ranks
    )


def step_info(terms: dict, rate: float, val_figures: dict | None) -> str:
    """A progress line's figures: the loss terms, steps per second, the last validation."""
    info = " ".join(f"{k} {float(v):.2e}" for k, v in terms.items()) + f" | {rate:.2f} step/s"
    if val_figures:
        info += f" | val {val_figures['approx_psnr']:.2f}/{val_figures['restore_png_psnr']:.2f} dB"
    return info


@functools.wraps(prepare)
def train(**options) -> None:
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    run = prepare(**options)
    trainer, ranks, val_every, steps = run.trainer, run.ranks, run.val_every, run.steps
    console = Console(stderr=True, soft_wrap=True, quiet=not ranks.leader)
    columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("train", total=run.last, completed=trainer.step, info="")
        first = trainer.step
        started = time.monotonic()

        def on_step(step: int, terms: dict, val_figures: dict | None) -> None:
            if step % 10 and step % val_every and step != steps:  # reading the terms waits for the device
                progress.update(task, completed=step)
                return
            info = step_info(terms, (step - first) / max(1e-9, time.monotonic() - started), val_figures)
            progress.update(task, completed=step, info=info)
            if step % val_every == 0 and not console.is_terminal:  # a plain log line for files and CI
                console.print(f"step {step} {info}", markup=False)

        figures = trainer.run(run.last, run.minutes, run.val_pairs, val_every, run.save_minutes, run.jpeg_eval, on_step)
    if ranks.world > 1:
        import torch.distributed as dist

        dist.barrier()  # the checkpoint is written before any rank leaves
        dist.destroy_process_group()
    console.print(f"saved {trainer.out} at step {trainer.step}" + (f" ({ranks.world} ranks)" if ranks.world > 1 else ""), markup=False)
    if figures:
        from restorable.train.evaluate import summary_line

        console.print(f"val: {summary_line(figures)}", markup=False)


train.__doc__ = """Train OUT to imitate --op (or the --pairs outputs) and to restore its input."""
