"""Training data: photos at a fixed size, their reference targets (cached on disk), random crops."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from restorable.errors import RestorableError
from restorable.image_file import images_in, open_image, write_image


@dataclass
class Pair:
    """One photo (H, W, 3) uint8 and the operator's output on it ((H, W, 3), or (H, W) for a grey operator;
    smaller for rescaling: (ceil(H / s), ceil(W / s), 3))."""

    name: str
    source: np.ndarray
    target: np.ndarray
    cond: np.ndarray | None = None  # a conditioned network's condition for this target: (N,) in [0, 1]
    params: dict | None = None  # the operator parameters of this target (conditioned training)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name."""
    if not folder.is_dir():
        raise RestorableError(f"{folder}: not a folder")
    files = images_in(folder)
    if not files:
        raise RestorableError(f"{folder}: no images found")
    return files


def load_photo(path: Path, long_side: int | None) -> np.ndarray:
    """RGB uint8 photo, EXIF-rotated, resized (Lanczos) so its long side is ``long_side``."""
    img = ImageOps.exif_transpose(open_image(path)).convert("RGB")  # size-checked before decoding
    if long_side and max(img.size) != long_side:
        scale = long_side / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    return np.asarray(img)


def target_key(op: str, params: dict, source: np.ndarray) -> str:
    """Cache key of a reference target: operator (and its revision), parameters and the exact input pixels."""
    from restorable.operators import OPERATORS

    described: dict = {"op": op, "params": params}
    if op in OPERATORS and OPERATORS[op].revision > 1:  # revision 1's keys are those of older caches
        described["revision"] = OPERATORS[op].revision
    digest = hashlib.sha256()
    digest.update(json.dumps(described, sort_keys=True).encode())
    digest.update(str(source.shape).encode())
    digest.update(np.ascontiguousarray(source).tobytes())
    return digest.hexdigest()[:32]


def reference_target(op: str, params: dict, source: np.ndarray, cache: Path | None) -> np.ndarray:
    """The reference operator's output on ``source``, read from / written to ``cache``."""
    from restorable.operators import run_operator

    from restorable.operators import get_operator

    path = cache / f"{op}-{target_key(op, params, source)}.png" if cache else None
    if path is not None and path.exists():
        with Image.open(path) as img:
            return np.asarray(img.convert("L" if get_operator(op).output_channels == 1 else "RGB"))
    target = run_operator(op, source, params)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_image(path, target)
    return target


def load_pairs(
    folder: Path, long_side: int | None, op: str | None, params: dict, cache: Path | None, pairs_dir: Path | None = None
) -> list[Pair]:
    """Photos of ``folder`` with their targets: the reference ``op`` or files of ``pairs_dir`` with the same stem."""
    pairs = []
    outputs = {p.stem: p for p in list_images(pairs_dir)} if pairs_dir else {}
    for path in list_images(folder):
        source = load_photo(path, long_side)
        if pairs_dir is not None:
            if path.stem not in outputs:
                raise RestorableError(f"{pairs_dir}: no output for {path.name}")
            target = load_photo(outputs[path.stem], None)
            if target.shape != source.shape:
                target = np.asarray(Image.fromarray(target).resize(source.shape[1::-1], Image.LANCZOS))
        else:
            target = reference_target(op, params, source, cache)
        pairs.append(Pair(path.stem, source, target))
    return pairs


def load_conditioned_pairs(
    folder: Path, long_side: int | None, op: str, draws: int, cache: Path | None, seed: int = 0
) -> list[Pair]:
    """Photos of ``folder``, each with ``draws`` + 1 targets: at the operator's defaults and at ``draws``
    settings drawn over the conditioned parameters' ranges (:func:`~restorable.operators.condition.draw_settings`,
    from ``seed``, per photo), each pair carrying its condition vector. Targets are cached by their parameters."""
    from restorable.operators import get_operator
    from restorable.operators.condition import axes_of, condition_vector, draw_settings

    spec = get_operator(op)
    axes = axes_of(spec)
    if not axes:
        raise RestorableError(f"operator {op!r} has no conditioned parameters")
    rng = np.random.default_rng(seed)
    pairs = []
    for path in list_images(folder):
        source = load_photo(path, long_side)
        for params in [dict(spec.defaults), *draw_settings(spec, draws, rng)]:
            target = reference_target(op, params, source, cache)
            pairs.append(Pair(path.stem, source, target, condition_vector(axes, params), params))
    return pairs


def judged_pairs(pairs: list[Pair], op: str, settings: list[tuple[str, dict]], cache: Path | None = None) -> list[Pair]:
    """Each photo of ``pairs`` at each of ``settings`` ((label, parameters)): pairs named "photo @ label",
    with their targets (``op``'s reference, through ``cache``) and condition vectors."""
    from restorable.operators import get_operator
    from restorable.operators.condition import axes_of, condition_vector

    axes = axes_of(get_operator(op))
    return [
        Pair(f"{p.name} @ {label}", p.source, reference_target(op, params, p.source, cache), condition_vector(axes, params), params)
        for label, params in settings for p in pairs
    ]


@dataclass(frozen=True)
class BatchPlan:
    """Where one training batch comes from, drawn in the main process from the run's generator.

    ``crops``: (pair index, top, left, quarter turns, flip) per image; ``qualities``: the JPEG
    qualities of the batch's JPEG half (empty without ``--jpeg``); ``rng_after``: the
    generator's state right after drawing this plan, which a checkpoint taken after this
    step saves so that a resumed run draws the same next plan.
    """

    crops: tuple[tuple[int, int, int, int, int], ...]
    qualities: tuple[int, ...]
    rng_after: torch.Tensor


class CropSampler:
    """Random crops (and flips/rotations when the operator allows) from a list of pairs; ``batch`` is the global
    batch of all ranks (``shard``: this rank's share, see :mod:`restorable.train.distributed`).

    All randomness comes from one ``torch.Generator`` (crops, then the batch's JPEG
    qualities), so a resumed run continues exactly, whichever device or worker count.
    """

    def __init__(
        self,
        pairs: list[Pair],
        crop: int,
        batch: int,
        augment: bool,
        generator: torch.Generator,
        jpeg_count: int = 0,
        jpeg_range: tuple[int, int] = (70, 95),
        shard: tuple[int, int] = (0, 1),
    ) -> None:
        self.shard = shard  # (rank, ranks): plans hold every ranks-th crop and quality of the global batch, from rank
        self.pairs = [p for p in pairs if min(p.source.shape[:2]) >= crop]
        if not self.pairs:
            raise RestorableError(f"no training image is at least {crop}x{crop} px")
        # a target smaller than its photo (rescaling): crops start on whole target pixels
        factors = {round(p.source.shape[0] / p.target.shape[0]) for p in self.pairs}
        if len(factors) != 1 or crop % next(iter(factors)):
            raise RestorableError(f"targets of one size ratio to their photos, dividing the crop ({crop}), expected")
        self.factor = factors.pop()
        self.crop, self.batch, self.augment, self.generator = crop, batch, augment, generator
        self.jpeg_count, self.jpeg_range = jpeg_count, jpeg_range

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (1,), generator=self.generator))

    def plan(self) -> BatchPlan:
        """Draw the next batch's crops and JPEG qualities."""
        crops = []
        for _ in range(self.batch):
            index = self._randint(len(self.pairs))
            h, w = self.pairs[index].source.shape[:2]
            f = self.factor
            top, left = f * self._randint((h - self.crop) // f + 1), f * self._randint((w - self.crop) // f + 1)
            k, flip = (self._randint(4), self._randint(2)) if self.augment else (0, 0)
            crops.append((index, top, left, k, flip))
        qualities = self.draw_qualities(self.jpeg_count)
        rank, ranks = self.shard
        return BatchPlan(tuple(crops[rank::ranks]), qualities[rank::ranks], self.generator.get_state())

    def draw_qualities(self, count: int) -> tuple[int, ...]:
        """``count`` JPEG qualities drawn from ``jpeg_range`` with the run's generator."""
        low, high = self.jpeg_range
        return tuple(int(q) for q in torch.randint(low, high + 1, (count,), generator=self.generator)) if count else ()

    def cut(self, plan: BatchPlan) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(source, target) uint8 tensors (B, crop, crop, C) of ``plan`` (runs in a worker process; grey targets: C = 1)
        and the pairs' conditions, float32 (B, N) (N = 0 for unconditioned pairs)."""
        sources, targets, conds = [], [], []
        for index, top, left, k, flip in plan.crops:
            pair = self.pairs[index]
            window = (slice(top, top + self.crop), slice(left, left + self.crop))
            f, small = self.factor, self.crop // self.factor
            target = pair.target if pair.target.ndim == 3 else pair.target[..., None]
            target_window = (slice(top // f, top // f + small), slice(left // f, left // f + small))
            s, t = np.rot90(pair.source[window], k), np.rot90(target[target_window], k)
            if flip:
                s, t = s[:, ::-1], t[:, ::-1]
            sources.append(s)
            targets.append(t)
            conds.append(pair.cond if pair.cond is not None else np.zeros(0, np.float32))
        return torch.from_numpy(np.stack(sources)), torch.from_numpy(np.stack(targets)), torch.from_numpy(np.stack(conds))

    def sample(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(source, target) float32 tensors (B, C, crop, crop) in [0, 1] of the next plan, and its conditions (B, N)."""
        source, target, cond = self.cut(self.plan())
        return to_float(source), to_float(target), cond


def to_float(batch: torch.Tensor) -> torch.Tensor:
    """(B, H, W, C) uint8 -> (B, C, H, W) float32 in [0, 1], channels-last in memory."""
    return batch.permute(0, 3, 1, 2).float().div_(255.0)


def load_pack_groups(folder: Path, long_side: int | None, count: int, seed: int = 0, max_shift: int = 24) -> list[Pair]:
    """Groups of ``count`` images of one size for the pack family, two per photo of ``folder``: a stereo-like
    group (the photo seen from shifted viewpoints: crops moved by a few pixels, as a stereo pair or a burst)
    and an unrelated one (the photo and ``count - 1`` other photos). Every photo is centre-cropped to the
    square of the smallest side in the folder (minus ``max_shift``, even). Pairs: source (S, S, 3 count),
    the images' channels one after another; target: the first image (what the packed image should look like)."""
    if count < 2:
        raise RestorableError(f"a pack group has 2 or more images, not {count}")
    photos = [(path.stem, load_photo(path, long_side)) for path in list_images(folder)]
    if len(photos) < count:
        raise RestorableError(f"{folder}: {len(photos)} photos, fewer than the {count} of an unrelated group")
    side = min(min(p.shape[:2]) for _, p in photos) - max_shift
    side -= side % 2
    if side < 16:
        raise RestorableError(f"{folder}: photos too small for pack groups")

    def square(photo: np.ndarray, dy: int = 0, dx: int = 0) -> np.ndarray:
        top, left = (photo.shape[0] - side - max_shift) // 2 + dy, (photo.shape[1] - side - max_shift) // 2 + dx
        return photo[top : top + side, left : left + side]

    rng = np.random.default_rng(seed)
    groups = []
    for index, (name, photo) in enumerate(photos):
        step_x, step_y = int(rng.integers(2, max(3, max_shift // count))), int(rng.integers(0, 2))
        views = [square(photo, k * step_y, k * step_x) for k in range(count)]
        others = rng.choice([i for i in range(len(photos)) if i != index], size=count - 1, replace=False)
        unrelated = [square(photo, max_shift // 2, max_shift // 2)] + [square(photos[i][1], max_shift // 2, max_shift // 2) for i in others]
        for kind, images in (("shifted", views), ("unrelated", unrelated)):
            source = np.ascontiguousarray(np.concatenate(images, axis=2))
            groups.append(Pair(f"{name} {kind}", source, np.ascontiguousarray(images[0])))
    return groups


def load_val_pairs(folder: Path, long_side: int | None, op: str, params: dict, cache: Path | None) -> list[Pair]:
    """Whole-photo validation data of ``op``: its reference targets, or for the pack family its groups."""
    from restorable.operators import get_operator

    inputs = get_operator(op).inputs
    if inputs > 1:
        return load_pack_groups(folder, long_side, inputs)
    return load_pairs(folder, long_side, op, params, cache)
