"""Evaluation of a checkpoint on whole images: approximation (PSNR, SSIM, grid), restoration (PNG and JPEG), identity baseline."""

from __future__ import annotations

from statistics import mean


from restorable.engine import forward_image, reverse_image
from restorable.image_file import jpeg_subsampling
from restorable.luma import with_channels
from restorable.model.qinet import QuasiInvertibleNet
from restorable.operators import run_operator
from restorable.operators.rescale import pillow_resize
from restorable.model.quantize import jpeg_roundtrip_uint8
from restorable.train.data import Pair
from restorable.metrics import grid_rms, psnr, ssim, ssim7


def evaluate_pair(
    model: QuasiInvertibleNet, pair: Pair, jpeg_qualities: list[int], with_ssim: bool = True, device: str = "cpu",
    jpeg_as_apply: bool = False,
) -> dict:
    """Figures for one photo. Keys: approx_*, restore_png_*, restore_jpeg{q}_*, identity_*.
    JPEGs are 4:2:0 (like most encoders), or with ``jpeg_as_apply`` subsampled as `apply` writes them
    (4:4:4 from quality 90).
    A conditioned ``model`` runs with the pair's condition (``pair.cond``), or else with its checkpoint's
    default one (``model.default_condition``, set by ``load_model``)."""
    if model.config.cond_channels:
        from restorable.model.condition import BoundCondition

        cond = pair.cond if pair.cond is not None else getattr(model, "default_condition", None)
        if cond is None:
            raise ValueError(f"{pair.name}: a conditioned network needs the pair's condition")
        model = BoundCondition(model, cond)
    target = with_channels(pair.target, model.config.carrier_channels)  # a colour network of a grey operator: 3 channels
    reference = target if model.config.aux == "reference" else None
    processed = forward_image(model, pair.source, reference, device=device)
    h, w = pair.source.shape[:2]
    restored = reverse_image(model, processed, device=device)[:h, :w]  # a rescaled photo: its padding cut off
    # the identity baseline: the photo itself (for a grey network, its plain Rec. 601 grey; for a smaller carrier,
    # the photo's plain bicubic downscale)
    identity = pair.source[..., :3] if target.ndim == 3 else run_operator("gray", pair.source)  # pack: the first image
    if target.shape[:2] != pair.source.shape[:2]:
        identity = pillow_resize(pair.source, target.shape[1], target.shape[0])
    row = {
        "approx_psnr": psnr(processed, target),
        "restore_png_psnr": psnr(restored, pair.source),
        "identity_psnr": psnr(identity, target),
    }
    if with_ssim:
        row["approx_ssim"] = ssim(processed, target)
        row["approx_ssim7"] = ssim7(processed, target)  # 7x7 uniform window (skimage's default)
        row["approx_grid"] = grid_rms(processed, target)  # visible checker grid, 8-bit levels
        row["restore_png_ssim"] = ssim(restored, pair.source)
        row["identity_ssim"] = ssim(identity, target)
    for quality in jpeg_qualities:
        received = jpeg_roundtrip_uint8(processed, quality, jpeg_subsampling(quality, jpeg_as_apply))
        restored_jpeg = reverse_image(model, received, device=device)[:h, :w]
        row[f"restore_jpeg{quality}_psnr"] = psnr(restored_jpeg, pair.source)
        if with_ssim:
            row[f"restore_jpeg{quality}_ssim"] = ssim(restored_jpeg, pair.source)
    return row


def evaluate(
    model: QuasiInvertibleNet, pairs: list[Pair], jpeg_qualities: list[int], with_ssim: bool = True, device: str = "cpu",
    jpeg_as_apply: bool = False,
) -> dict:
    """{"images": {name: figures}, "mean": figures averaged over images} (``jpeg_as_apply``: see :func:`evaluate_pair`)."""
    rows = {pair.name: evaluate_pair(model, pair, jpeg_qualities, with_ssim, device, jpeg_as_apply) for pair in pairs}
    keys = next(iter(rows.values())).keys()
    return {"images": rows, "mean": {k: mean(r[k] for r in rows.values()) for k in keys}}


def summary_line(figures: dict) -> str:
    """Short text of the mean figures for progress output."""
    parts = [f"approx {figures['approx_psnr']:.2f}", f"restore {figures['restore_png_psnr']:.2f}"]
    parts += [f"jpeg{k[12:-5]} {v:.2f}" for k, v in figures.items() if k.startswith("restore_jpeg") and k.endswith("psnr")]
    return " / ".join(parts) + " dB"
