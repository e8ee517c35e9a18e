"""Shared fixtures: small real photos kept under tests/data (see tests/data/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A 96x72 RGB uint8 photo."""
    return np.asarray(Image.open(DATA / "cups_96x72.png").convert("RGB"))


@pytest.fixture()
def photo_dir(tmp_path, odd_photo_path) -> Path:
    """A folder of two small crops (96x80 and 90x90) of the odd-sized test photo."""
    folder = tmp_path / "photos"
    folder.mkdir()
    with Image.open(odd_photo_path) as img:
        img.crop((0, 0, 96, 80)).save(folder / "a.png")
        img.crop((200, 100, 290, 190)).save(folder / "b.png")
    return folder


@pytest.fixture(scope="session")
def odd_photo_path() -> Path:
    """A 511x383 JPEG photo (sizes not divisible by 2)."""
    return DATA / "cups_511x383.jpg"


def step_with_texture(size: int = 64, period: int = 4, amplitude: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """A dark/bright vertical step edge with fine checkerboard texture on top.

    Returns the textured float32 (H, W, 3) image and the clean step.
    """
    yy, xx = np.mgrid[:size, :size]
    step = np.where(xx < size // 2, 0.25, 0.75).astype(np.float32)
    checker = (((yy // (period // 2)) + (xx // (period // 2))) % 2).astype(np.float32) * 2 - 1
    textured = step + amplitude * checker
    return np.repeat(textured[..., None], 3, axis=2), np.repeat(step[..., None], 3, axis=2)


@pytest.fixture()
def photo_path(tmp_path, odd_photo_path) -> Path:
    """A 128x96 JPEG crop of the odd-sized photo (quality 95), in this test's folder."""
    path = tmp_path / "in.jpg"
    with Image.open(odd_photo_path) as img:
        img.crop((100, 50, 228, 146)).save(path, quality=95)
    return path


def _tiny_network(root: Path, odd_photo_path: Path, op: str, params: dict, weight_restore: float = 4.0) -> Path:
    """A small network for ``op`` (reference auxiliary branch) trained for 300 steps on one 256x192 crop."""
    from restorable.model import ModelConfig
    from restorable.train.data import load_pairs
    from restorable.train.trainer import Trainer, TrainConfig

    data = root / "data"
    data.mkdir()
    with Image.open(odd_photo_path) as img:
        img.crop((0, 0, 256, 192)).save(data / "a.png")
    pairs = load_pairs(data, None, op, params, root / "cache")
    config = TrainConfig(op=op, params=params, crop=48, batch=4, lr=2e-3, weight_restore=weight_restore, total_steps=300)
    from restorable.operators import get_operator

    downscale = get_operator(op).downscale  # a rescaling network (its family's builder ignores the rest)
    model = ModelConfig(inv_blocks=2, inv_width=16, fusion_width=16, aux="reference", code_scale=0.25, downscale=downscale)
    Trainer(config, model, pairs, root / f"{op}.safetensors").run(steps=300, minutes=None)
    return root / f"{op}.safetensors"


@pytest.fixture(scope="session")
def weights(tmp_path_factory, odd_photo_path) -> Path:
    """A tiny exposure network, trained once per test session."""
    return _tiny_network(tmp_path_factory.mktemp("weights"), odd_photo_path, "exposure", {"ev": 1.0})


@pytest.fixture(scope="session")
def rescale_weights(tmp_path_factory, odd_photo_path) -> Path:
    """A tiny rescale-2x network, trained once per test session."""
    return _tiny_network(tmp_path_factory.mktemp("rescale"), odd_photo_path, "rescale-2x", {})


@pytest.fixture(scope="session")
def gray_weights(tmp_path_factory, odd_photo_path) -> Path:
    """A tiny gray network (its reference branch is the Rec. 601 grey), trained once per test session.

    Restore weight 16: at 4 the 300 steps end, by the training seed or the CPU's float kernels, either with the
    colour back (chroma error 0.25-0.45 of the grey's) or with a near-perfect grey and little colour (0.73-0.74);
    at 16 every seed tried gave 0.23-0.28, the grey 25.7-28.7 dB from the Rec. 601 grey."""
    return _tiny_network(tmp_path_factory.mktemp("gray"), odd_photo_path, "gray", {}, weight_restore=16.0)
