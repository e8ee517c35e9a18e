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
