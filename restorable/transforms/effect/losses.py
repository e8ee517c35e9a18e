"""Training losses of the quasi-invertible network (Ouyang et al. 2022, section 3.3), for the effect and gray families,
and of the rescaling network (IRN's guidance, reconstruction and latent losses are the same three terms).

approximation (the carrier against the reference), restoration (the input back from the
8-bit carrier, straight-through quantisation; real JPEG for part of the batch with
``--jpeg``), delta towards 0; optional SSIM, grid and adversarial terms.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from restorable.model.haar import haar_unsqueeze
from restorable.model.quantize import jpeg_differentiable, jpeg_straight_through, quantize_8bit
from restorable.train.losses import dissimilarity, grid


def quasi_invertible_losses(
    trainer, source: torch.Tensor, target: torch.Tensor, qualities: tuple[int, ...] | None = None,
    cond: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Loss terms (MSE on the [0, 1] scale unless named otherwise) for one batch.

    ``source``: (B, 3, h, w) photos; ``target``: (B, C, h, w) reference results, C the carrier's
    channels; ``qualities``: the JPEG qualities of the batch's last images (drawn if None).
    ``cond``: (B, N) conditions of a conditioned network (each image's own parameters).
    ``trainer``: a :class:`restorable.train.trainer.Trainer` (its config, model, passes, adversary).
    """
    cfg, model = trainer.config, trainer.model
    if trainer.step < cfg.aux_warmup and getattr(model, "aux", None) is not None:
        approx = haar_unsqueeze(model.approximate(source)).float()
        return {"approx": F.mse_loss(approx, target)}
    y, delta, restored = round_trip(trainer, source, target, qualities, cond)
    return carrier_terms(trainer, source, target, y, delta, restored)


def round_trip(
    trainer, source: torch.Tensor, target: torch.Tensor, qualities: tuple[int, ...] | None = None,
    cond: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(carrier y, delta, input restored from y stored as 8 bits: PNG, or real JPEG for the batch's last images)."""
    model = trainer.model
    reference = target if model.config.aux == "reference" else None
    conditioned = {} if cond is None else {"c": cond}
    y, delta = trainer.forward_pass(source, reference, **conditioned)
    y, delta = y.float(), delta.float()  # bf16 cannot hold all 8-bit levels near 1
    return y, delta, trainer.reverse_pass(stored_carrier(trainer, y, qualities), **conditioned)


def stored_carrier(trainer, y: torch.Tensor, qualities: tuple[int, ...] | None = None) -> torch.Tensor:
    """The carrier y (B, C, h, w) as the file holds it: 8-bit levels (straight-through), and with ``--jpeg``
    real JPEG (or the differentiable codec) for the batch's last images, at ``qualities`` (drawn if None)."""
    from restorable.train.trainer import jpeg_count

    cfg = trainer.config
    stored = quantize_8bit(y)
    if not cfg.jpeg:
        return stored
    n_png = y.shape[0] - jpeg_count(y.shape[0], cfg.jpeg_share)  # the first images restore from PNG
    qualities = list(qualities or trainer.sampler.draw_qualities(y.shape[0] - n_png))
    if cfg.jpeg_mode == "real":
        jpeg = jpeg_straight_through(y[n_png:], qualities, cfg.jpeg_chroma == "apply")
    else:
        jpeg = jpeg_differentiable(y[n_png:], qualities)
    return torch.cat([stored[:n_png], jpeg], dim=0)


def carrier_terms(
    trainer, source: torch.Tensor, target: torch.Tensor, y: torch.Tensor, delta: torch.Tensor, restored: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The terms of one round trip: approximation, restoration, delta; SSIM, grid and adversarial where asked."""
    cfg = trainer.config
    terms = {
        "approx": F.mse_loss(y, target),
        "restore": F.mse_loss(restored, source),
        "delta": delta.pow(2).mean(),
    }
    if cfg.weight_ssim:
        terms["ssim"] = dissimilarity(y, target, cfg.ssim_power)
    if cfg.weight_grid:
        terms["grid"] = grid(y, target)
    if trainer.adversary is not None:
        terms["adv"] = trainer.adversary.generator_loss(y).float()
        trainer.adversary_batch = (target, y)
    return terms
