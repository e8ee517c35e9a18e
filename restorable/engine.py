"""Running a network on whole images of any size: stride padding, tiling, device, 8-bit in and out.

Images travel to and from the device as 8-bit (4x less to move than float)
and are converted and rounded there.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

from restorable.cuda_graphs import GraphCache
from restorable.model.qinet import QuasiInvertibleNet
from restorable.progress import report

# Above this many pixels an image goes through in tiles (memory stays bounded).
AUTO_TILE_PIXELS = 2048 * 2048
DEFAULT_TILE = 1024
# On a GPU whole photos up to this many pixels go through at once (a 24 MP photo
# needs ~6 GB there), larger ones in tiles of GPU_TILE: fewer, larger launches.
GPU_AUTO_TILE_PIXELS = 8192 * 8192
GPU_TILE = 4096
# Context around each tile: covers the receptive field of the invertible parts (~120 px).
TILE_MARGIN = 128


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """(H, W, 3) or (B, H, W, 3) uint8 -> (B, 3, H, W) float32 in [0, 1] (a copy)."""
    batch = np.array(images, dtype=np.float32, ndmin=4)
    return torch.from_numpy(batch).permute(0, 3, 1, 2) / 255.0


def _prepare(model, device: str):
    """``model`` on ``device``; torch networks in channels-last layout (~2x faster convolutions on CPU).

    Called outside inference mode: ``Module.to`` replaces the parameters in place, and
    parameters made in inference mode could not be trained further (validation mid-training).
    """
    if isinstance(model, torch.nn.Module):
        kind = torch.device(device).type
        if all(p.device.type == kind and (p.dim() != 4 or p.is_contiguous(memory_format=torch.channels_last))
               for p in model.parameters()):
            return model  # already there: walking every module again costs ~2 ms a call
        return model.to(device, memory_format=torch.channels_last)
    return model.to(device)


def _float(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) uint8 -> float32 in [0, 1] on the same device, channels-last."""
    return x.float().div_(255.0).contiguous(memory_format=torch.channels_last)


def _on(x: torch.Tensor, device: str) -> torch.Tensor:
    """(B, 3, H, W) uint8 -> float32 in [0, 1] on ``device``, channels-last."""
    return _float(x.to(device))


def _graphs_of(model) -> GraphCache:
    """The CUDA-graph cache of ``model`` (forward and reverse passes at repeated sizes)."""
    cache = _GRAPH_CACHES.get(model)
    if cache is None:
        cache = _GRAPH_CACHES[model] = GraphCache()
    return cache


_GRAPH_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _quantize(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) float in [0, 1] -> uint8 levels, on the tensor's device."""
    return (x.float().clamp(0, 1) * 255.0).round().to(torch.uint8)


def _uint8_input(image: np.ndarray, stride: int, mode: str = "edge") -> torch.Tensor:
    """(H, W, C) or grey (H, W) uint8 -> (1, C, H', W') uint8, padded at the bottom/right to multiples of ``stride``
    (``mode``: as numpy's pad: "edge" repeats the last row and column, "symmetric" mirrors)."""
    if image.ndim == 2:
        image = image[..., None]
    h, w = image.shape[:2]
    if h % stride or w % stride:
        image = np.pad(image, ((0, (-h) % stride), (0, (-w) % stride), (0, 0)), mode=mode)
    with warnings.catch_warnings():  # a read-only array (from PIL) is only ever read here
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]


def pad_to_multiple(x: torch.Tensor, stride: int) -> torch.Tensor:
    """Replicate-pad (B, C, H, W) at the bottom/right so H and W are multiples of ``stride``."""
    h, w = x.shape[-2:]
    pad_h, pad_w = (-h) % stride, (-w) % stride
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    return x


def choose_tile(height: int, width: int, tile: int | None, device: str = "cpu") -> int | None:
    """Tile size to use: ``tile`` if given (0 = never tile), else automatic by image size and device."""
    if tile is not None:
        return tile or None
    if device != "cpu":
        return GPU_TILE if height * width > GPU_AUTO_TILE_PIXELS else None
    return DEFAULT_TILE if height * width > AUTO_TILE_PIXELS else None


def tile_count(height: int, width: int, size: int) -> int:
    """How many windows :func:`tile_windows` gives for tiles of ``size``."""
    return math.ceil(height / size) * math.ceil(width / size)


def tile_windows(height: int, width: int, size: int, margin: int):
    """Yield ``(crop, keep, inner)`` per tile: the context window to compute, where its result
    goes in the output, and which part of the result to keep (all as (rows, cols) slice pairs)."""
    for top in range(0, height, size):
        for left in range(0, width, size):
            y0, x0 = max(0, top - margin), max(0, left - margin)
            y1, x1 = min(height, top + size + margin), min(width, left + size + margin)
            bottom, right = min(height, top + size), min(width, left + size)
            crop = (slice(y0, y1), slice(x0, x1))
            keep = (slice(top, bottom), slice(left, right))
            inner = (slice(top - y0, bottom - y0), slice(left - x0, right - x0))
            yield crop, keep, inner


def run_tiled(
    fn: Callable[..., torch.Tensor],
    inputs: list[torch.Tensor],
    tile: int | None,
    stride: int,
    device: str,
    graphs: tuple[GraphCache, str] | None = None,
    scale: Fraction = Fraction(1),
    what: str = "effect",
    margin: int = TILE_MARGIN,
) -> torch.Tensor:
    """Apply ``fn`` to (B, C, H, W) uint8 ``inputs`` whole or tile by tile (uint8 CPU result).

    The result has ``fn``'s channels and ``scale`` times the inputs' height and width
    (a transform spec's carrier scale, e.g. 1/2; or its inverse when decoding).
    ``fn`` gets float32 tensors in [0, 1] on ``device``. Each tile is computed with
    ``margin`` pixels of real context on every side (default ``TILE_MARGIN``) and only its centre is
    kept, so tiles join without seams. ``graphs``: (cache, key) to replay whole
    images on a GPU as CUDA graphs (8-bit in and out included). Each finished
    tile is reported as ``what`` (:func:`restorable.progress.report`).
    """
    h, w = inputs[0].shape[-2:]
    if tile is None or (h <= tile and w <= tile):
        if graphs is None or device == "cpu":
            out = _quantize(fn(*[_on(x, device) for x in inputs])).cpu()
        else:
            cache, key = graphs
            out = cache(lambda *xs: _quantize(fn(*map(_float, xs))), [x.to(device) for x in inputs], key=key).cpu()
        report(what, 1, 1)
        return out
    # tile corners must land on whole output pixels: a multiple of the stride and of 1/scale
    step = math.lcm(stride, scale.denominator)
    tile = max(step, tile - tile % step)
    margin = math.ceil(margin / step) * step
    out = None
    total = tile_count(h, w, tile)
    for done, (crop, keep, inner) in enumerate(tile_windows(h, w, tile, margin), 1):
        result = _quantize(fn(*[_on(x[(..., *crop)], device) for x in inputs])).cpu()
        if out is None:
            out = torch.empty(result.shape[0], result.shape[1], int(h * scale), int(w * scale), dtype=torch.uint8)
        out[(..., *_scaled(keep, scale))] = result[(..., *_scaled(inner, scale))]
        report(what, done, total)
    return out


def _scaled(window: tuple[slice, slice], scale: Fraction) -> tuple[slice, ...]:
    """A (rows, cols) window in input pixels as the same window in output pixels."""
    return tuple(slice(int(part.start * scale), int(part.stop * scale)) for part in window)


# Reference operators on large photos run tile by tile with this much context, so that
# memory stays bounded (L0 on a whole 24 MP photo needs ~6 GB); only centres are kept.
# 2048: l0 on a 3000x2000 photo takes 4.3 s on 2 cores instead of 6.6 s with 1536 (fewer
# margins, and transform lengths without large prime factors; 1536 + margins gave 1464 = 8 x 183).
REFERENCE_TILE = 2048
REFERENCE_MARGIN = 128


def reference_tiled(
    run: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    tile: int | None,
    size: int | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """Run a reference operator on ``image`` (H, W, 3) uint8 whole, or in overlapping tiles when large.

    The result has the operator's channels ((H, W, 3), or (H, W) grey).
    ``size``: the tile side (default: ``REFERENCE_TILE`` on the CPU, ``GPU_TILE`` on a GPU).
    """
    h, w = image.shape[:2]
    if choose_tile(h, w, tile, device) is None:
        out = run(image)
        report("reference", 1, 1)
        return out
    size = size or (REFERENCE_TILE if device == "cpu" else GPU_TILE)
    out = None
    total = tile_count(h, w, size)
    for done, (crop, keep, inner) in enumerate(tile_windows(h, w, size, REFERENCE_MARGIN), 1):
        part = run(image[crop])
        if out is None:
            out = np.empty((h, w, *part.shape[2:]), dtype=part.dtype)
        out[keep] = part[inner]
        report("reference", done, total)
    return out


def forward_image(
    model: QuasiInvertibleNet,
    image: np.ndarray,
    reference: np.ndarray | None = None,
    device: str = "cpu",
    tile: int | None = None,
    graphs: bool = False,
) -> np.ndarray:
    """The processed 8-bit image for an (H, W, 3) uint8 photo: (H, W, 3), or (H, W) from a grey network;
    a smaller carrier (rescaling, scale s < 1) is (ceil(H s), ceil(W s), 3), of the photo mirrored at its
    bottom and right up to multiples of the stride.

    ``graphs``: on a GPU, replay repeated sizes as CUDA graphs (see ``restorable.cuda_graphs``).
    """
    h, w = image.shape[:2]
    scale = _carrier_scale(model)
    mode = "edge" if scale == 1 else "symmetric"  # a smaller carrier keeps the padding: mirrored, it looks like the photo
    inputs = [_uint8_input(image, model.stride, mode)]
    if reference is not None:
        inputs.append(_uint8_input(reference, model.stride, mode))
    model = _prepare(model, device)
    with torch.inference_mode():
        y = run_tiled(
            lambda *xs: model(*xs)[0], inputs, choose_tile(h, w, tile, device), model.stride, device,
            (_graphs_of(model), "forward") if graphs and device != "cpu" else None, scale,
        )
    return _image(y, math.ceil(h * scale), math.ceil(w * scale))


def _carrier_scale(model) -> Fraction:
    """How much larger the carrier's sides are than the input's (the transform spec's scale)."""
    return Fraction(model.spec.carrier.scale).limit_denominator(64)


def _image(batch: torch.Tensor, h: int, w: int) -> np.ndarray:
    """The first image of a (B, C, H', W') uint8 batch, cut to (h, w): (h, w, C), or (h, w) when C is 1."""
    image = batch[0, :, :h, :w].permute(1, 2, 0).numpy()
    return image[..., 0] if image.shape[2] == 1 else image


def reverse_image(
    model: QuasiInvertibleNet, processed: np.ndarray, device: str = "cpu", tile: int | None = None, graphs: bool = False
) -> np.ndarray:
    """The restored 8-bit photo from a processed uint8 image ((H, W, 3), or (H, W) for a grey network),
    delta = 0: the same size, or (H / s, W / s, 3) from a rescaling network's small image (``graphs``: as above).

    Tiling is decided on the restored size, and ``tile`` counts restored pixels (a small image's tiles are
    ``tile * s`` of its pixels), so memory stays bounded by the large image.
    """
    h, w = processed.shape[:2]
    scale = 1 / _carrier_scale(model)
    stride = max(1, int(model.stride / scale))  # the carrier's own size multiple (1 for a small image)
    y = _uint8_input(processed, stride)
    model = _prepare(model, device)
    out_tile = choose_tile(int(h * scale), int(w * scale), tile, device)
    with torch.inference_mode():
        margin = TILE_MARGIN if out_tile is None else reverse_margin(model, device, scale)
        x = run_tiled(
            model.reverse, [y], None if out_tile is None else max(1, int(out_tile / scale)), stride, device,
            (_graphs_of(model), "reverse") if graphs and device != "cpu" else None, scale, "restore", margin,
        )
    return _image(x, int(h * scale), int(w * scale))


# A reverse-pass probe: one carrier pixel changed in the middle of a PROBE_SIDE square; it reaches as far as
# the restored image changes by more than REACH_FLOOR (1/400 of an 8-bit level: farther, float32 rounding).
# 192: reaches up to 88 px are measured (the bundled effect and pack networks: 24-34 px); farther, TILE_MARGIN.
PROBE_SIDE = 192
REACH_FLOOR = 1e-5


def reverse_margin(model, device: str, scale: Fraction = Fraction(1)) -> int:
    """Context (carrier pixels) a tile of the reverse pass needs on each side: how far one carrier pixel
    reaches in the restored image, probed once per network, plus 8 pixels; ``TILE_MARGIN`` at most.

    Convolutions have a finite reach, so a tile with this much context restores the pixels of the whole
    image to within one level, nearly all of them exactly (the bundled l0 networks reach 20-22 px: tiles
    overlap 4x less than with ``TILE_MARGIN``).
    Not a torch network (ONNX Runtime): ``TILE_MARGIN``.
    """
    if not isinstance(model, torch.nn.Module):
        return TILE_MARGIN
    key = getattr(model, "net", model)  # a conditioned network's condition (bound per photo) does not change its reach
    margin = _REVERSE_MARGINS.get(key)
    if margin is None:
        side = max(model.stride, int(PROBE_SIDE / scale) // model.stride * model.stride)  # the restored side stays ~PROBE_SIDE
        channels = model.config.carrier_channels if hasattr(model, "config") else 3
        pair = torch.rand(1, channels, side, side, generator=torch.Generator().manual_seed(0)).repeat(2, 1, 1, 1)
        pair[1, :, side // 2, side // 2] = (pair[1, :, side // 2, side // 2] + 0.5) % 1.0  # one pixel changed
        with torch.inference_mode():
            outputs = model.reverse(_on((pair * 255).round().to(torch.uint8), device)).float().cpu()
        rows, cols = torch.nonzero((outputs[1] - outputs[0]).abs().amax(dim=0) > REACH_FLOOR, as_tuple=True)
        centre = int(side // 2 * scale)
        reach = 0 if rows.numel() == 0 else int(max((rows - centre).abs().max(), (cols - centre).abs().max()))
        margin = math.ceil(reach / scale) + 8
        margin = TILE_MARGIN if margin >= min(TILE_MARGIN, side // 2 - 8) else margin
        _REVERSE_MARGINS[key] = margin
    return margin


_REVERSE_MARGINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
