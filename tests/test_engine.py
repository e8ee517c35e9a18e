"""The engine's tiling maps input tiles to output tiles by the transform's scale and channel count."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

from restorable.engine import run_tiled


def image(h: int = 96, w: int = 80) -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 256, (1, 3, h, w), dtype=torch.uint8)


def to_grey_half(x: torch.Tensor) -> torch.Tensor:
    """A local transform that halves the size and keeps one channel (like a small grey carrier)."""
    return F.avg_pool2d(x.mean(dim=1, keepdim=True), 2)


def to_double(x: torch.Tensor) -> torch.Tensor:
    """A local transform that doubles the size (like decoding a rescaled carrier), with a 3x3 blur for context."""
    return F.interpolate(F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False), scale_factor=2, mode="nearest")


@pytest.mark.parametrize(("fn", "scale", "channels"), [(to_grey_half, Fraction(1, 2), 1), (to_double, Fraction(2), 3)])
def test_tiles_map_through_the_scale_and_channels(fn, scale, channels):
    x = image()
    whole = run_tiled(fn, [x], None, 2, "cpu", scale=scale)
    tiled = run_tiled(fn, [x], 32, 2, "cpu", scale=scale)
    assert whole.shape == (1, channels, int(96 * scale), int(80 * scale)) == tiled.shape
    assert (whole.int() - tiled.int()).abs().max() <= 1  # float sums in another order may round differently


def test_a_tile_is_a_multiple_of_the_scale_so_corners_land_on_output_pixels():
    x = image(90, 66)
    whole = run_tiled(to_grey_half, [x], None, 1, "cpu", scale=Fraction(1, 2))
    tiled = run_tiled(to_grey_half, [x], 33, 1, "cpu", scale=Fraction(1, 2))  # 33 becomes 32
    assert torch.equal(whole, tiled)


class _Reach(torch.nn.Module):
    """A stand-in network whose reverse pass adds the image shifted ``reach`` pixels down and right (one pixel
    reaches exactly ``reach`` pixels), or adds 100x each image's mean (``global_mean``: every pixel reaches everywhere)."""

    stride = 4

    def __init__(self, reach: int, global_mean: bool = False) -> None:
        super().__init__()
        self.reach, self.global_mean = reach, global_mean

    def reverse(self, y: torch.Tensor) -> torch.Tensor:
        k = self.reach
        shifted = F.pad(y, (k, 0, k, 0))[..., : y.shape[-2], : y.shape[-1]]
        return y + shifted + (100 * y.mean(dim=(1, 2, 3), keepdim=True) if self.global_mean else 0)


def test_the_reverse_margin_is_the_probed_reach_and_falls_back_for_global_networks():
    from restorable.engine import TILE_MARGIN, reverse_margin

    assert reverse_margin(_Reach(5), "cpu") == 5 + 8
    assert reverse_margin(_Reach(40), "cpu") == 40 + 8
    assert reverse_margin(_Reach(1, global_mean=True), "cpu") == TILE_MARGIN


def test_bundled_l0_restores_in_tiles_with_its_small_margin_exactly_as_whole(odd_photo_path):
    import numpy as np
    from PIL import Image

    from restorable.engine import TILE_MARGIN, forward_image, reverse_image, reverse_margin
    from restorable.operators import run_operator
    from restorable.weights import load_weights

    net = load_weights("l0").model.eval()
    photo = np.asarray(Image.open(odd_photo_path).convert("RGB"))
    processed = forward_image(net, photo, run_operator("l0", photo), tile=0)
    margin = reverse_margin(net, "cpu")
    assert 8 < margin < TILE_MARGIN / 2
    whole, tiled = reverse_image(net, processed, tile=0), reverse_image(net, processed, tile=96)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
    assert np.mean(whole == tiled) > 0.9999
