"""Straight-through quantisation: 8-bit rounding (PNG) and real JPEG in the forward pass."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image


class _StraightThrough(torch.autograd.Function):
    """Forward: a non-differentiable function of x; backward: identity gradient."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, replacement: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return replacement

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return grad, None


def quantize_8bit(x: torch.Tensor) -> torch.Tensor:
    """Round to 8-bit levels in [0, 1] (what a PNG stores), straight-through gradient."""
    q = torch.round(x.detach().clamp(0.0, 1.0) * 255.0) / 255.0
    return _StraightThrough.apply(x, q)


def jpeg_roundtrip_uint8(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode an (H, W, 3) uint8 image as JPEG (4:2:0, like most encoders) and decode it.

    Grey images, (H, W) or (H, W, 1), go through a one-channel JPEG and come back in their shape.
    """
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image).save(
        buffer, format="JPEG", quality=int(quality)
    )
    buffer.seek(0)
    with Image.open(buffer) as img:
        if image.ndim == 2 or image.shape[2] == 1:
            return np.asarray(img.convert("L")).reshape(image.shape)
        return np.asarray(img.convert("RGB"))


def jpeg_straight_through(x: torch.Tensor, qualities: list[int]) -> torch.Tensor:
    """Real JPEG of each image of x (B, C, H, W), C = 3 or 1, at ``qualities[b]``, straight-through gradient."""
    images = (x.detach().clamp(0, 1) * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    decoded = np.stack([jpeg_roundtrip_uint8(img, q) for img, q in zip(images, qualities)])
    replacement = torch.from_numpy(decoded).permute(0, 3, 1, 2).to(x.dtype) / 255.0
    return _StraightThrough.apply(x, replacement.to(x.device))


def jpeg_differentiable(x: torch.Tensor, qualities: list[int]) -> torch.Tensor:
    """kornia's differentiable JPEG (Reich et al. 2024) of x (B, 3, H, W) at ``qualities[b]``."""
    from kornia.enhance import jpeg_codec_differentiable

    quality = torch.tensor(qualities, dtype=torch.float32, device=x.device)
    return jpeg_codec_differentiable(x.clamp(0, 1).float(), quality)
