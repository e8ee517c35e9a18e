"""Running a network on whole images: padding to the network's stride, 8-bit in and out."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from restorable.model.qinet import QuasiInvertibleNet


def _to_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(image, dtype=np.float32)).permute(2, 0, 1)[None] / 255.0


def _to_uint8(tensor: torch.Tensor) -> np.ndarray:
    return (tensor[0].clamp(0, 1) * 255.0).round().to(torch.uint8).permute(1, 2, 0).numpy()


def pad_to_multiple(x: torch.Tensor, stride: int) -> torch.Tensor:
    """Replicate-pad (B, C, H, W) at the bottom/right so H and W are multiples of ``stride``."""
    h, w = x.shape[-2:]
    pad_h, pad_w = (-h) % stride, (-w) % stride
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    return x


@torch.inference_mode()
def forward_image(model: QuasiInvertibleNet, image: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """The processed 8-bit image (H, W, 3) for an (H, W, 3) uint8 photo."""
    h, w = image.shape[:2]
    x = pad_to_multiple(_to_tensor(image), model.stride)
    ref = pad_to_multiple(_to_tensor(reference), model.stride) if reference is not None else None
    y, _ = model(x, ref)
    return _to_uint8(y[..., :h, :w])


@torch.inference_mode()
def reverse_image(model: QuasiInvertibleNet, processed: np.ndarray) -> np.ndarray:
    """The restored 8-bit photo (H, W, 3) from a processed (H, W, 3) uint8 image, delta = 0."""
    h, w = processed.shape[:2]
    y = pad_to_multiple(_to_tensor(processed), model.stride)
    return _to_uint8(model.reverse(y)[..., :h, :w])
