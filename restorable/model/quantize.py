"""Straight-through quantisation: 8-bit rounding (PNG) and real JPEG in the forward pass."""

from __future__ import annotations

import functools
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


def jpeg_roundtrip_uint8(image: np.ndarray, quality: int, subsampling: int = 2) -> np.ndarray:
    """Encode an (H, W, 3) uint8 image as JPEG and decode it; ``subsampling``: Pillow's chroma subsampling,
    2 (4:2:0, like most encoders: the default) or 0 (4:4:4, as `apply` writes from quality 90).

    Grey images, (H, W) or (H, W, 1), go through a one-channel JPEG and come back in their shape.
    """
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image).save(
        buffer, format="JPEG", quality=int(quality), subsampling=subsampling
    )
    buffer.seek(0)
    with Image.open(buffer) as img:
        if image.ndim == 2 or image.shape[2] == 1:
            return np.asarray(img.convert("L")).reshape(image.shape)
        return np.asarray(img.convert("RGB"))


def gpu_jpeg_available(x: torch.Tensor) -> bool:
    """Whether ``x``'s JPEG round trip runs on its GPU: only when asked (RESTORABLE_GPU_JPEG=1) and torchvision is there.

    Off by default: at the same quality nvJPEG distorts less than libjpeg (measured on an H200, a 256x256 photo
    crop: 36.7 vs 34.8 dB at quality 70, 44.3 vs 41.6 dB at 90), so weights trained on it would meet milder JPEG
    than users' files carry."""
    import os

    return x.is_cuda and x.shape[1] == 3 and os.environ.get("RESTORABLE_GPU_JPEG") == "1" and _has_torchvision()


@functools.cache
def _has_torchvision() -> bool:
    """Looked up once per process (the JPEG round trip runs every training step)."""
    import importlib.util

    return importlib.util.find_spec("torchvision") is not None


def jpeg_roundtrip_gpu(images: torch.Tensor, qualities: list[int]) -> torch.Tensor:
    """nvJPEG encode and decode of (B, 3, H, W) uint8 CUDA images, one batched call per quality (4:2:0, the
    standard quantisation tables scaled by quality, as libjpeg does); the same shape back."""
    from torchvision.io import decode_jpeg, encode_jpeg

    decoded = torch.empty_like(images)
    for quality in sorted(set(qualities)):
        chosen = [b for b, q in enumerate(qualities) if q == quality]
        encoded = encode_jpeg([images[b].contiguous() for b in chosen], quality=int(quality))
        encoded = [e.cpu() for e in encoded]  # the decoder reads its bytes from host memory (a few KB each)
        for b, image in zip(chosen, decode_jpeg(encoded, device=images.device)):
            decoded[b] = image
    return decoded


def jpeg_straight_through(x: torch.Tensor, qualities: list[int], as_apply: bool = False) -> torch.Tensor:
    """Real JPEG of each image of x (B, C, H, W), C = 3 or 1, at ``qualities[b]``, straight-through gradient;
    colour subsampled 4:2:0, or with ``as_apply`` as `apply` writes it (4:4:4 from quality 90).

    PIL (libjpeg), one image after another on the CPU: the cap of a large GPU step. RESTORABLE_GPU_JPEG=1
    codes 4:2:0 colour batches on the GPU with nvJPEG instead (milder at the same quality: :func:`gpu_jpeg_available`)."""
    from restorable.image_file import jpeg_subsampling

    images = (x.detach().clamp(0, 1) * 255.0).round().to(torch.uint8)
    chroma = [jpeg_subsampling(q, as_apply) for q in qualities]
    if gpu_jpeg_available(x) and all(c == 2 for c in chroma):
        replacement = jpeg_roundtrip_gpu(images, qualities).to(x.dtype) / 255.0
        return _StraightThrough.apply(x, replacement)
    on_cpu = images.permute(0, 2, 3, 1).cpu().numpy()
    decoded = np.stack([jpeg_roundtrip_uint8(img, q, c) for img, q, c in zip(on_cpu, qualities, chroma)])
    replacement = torch.from_numpy(decoded).permute(0, 3, 1, 2).to(x.dtype) / 255.0
    return _StraightThrough.apply(x, replacement.to(x.device))


def jpeg_differentiable(x: torch.Tensor, qualities: list[int]) -> torch.Tensor:
    """kornia's differentiable JPEG (Reich et al. 2024) of x (B, 3, H, W) at ``qualities[b]``."""
    from kornia.enhance import jpeg_codec_differentiable

    quality = torch.tensor(qualities, dtype=torch.float32, device=x.device)
    return jpeg_codec_differentiable(x.clamp(0, 1).float(), quality)
