"""Each reference operator does what its paper says (tests that a wrong filter would fail)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import step_with_texture

from restorable.image_file import read_image
from restorable.operators import run_operator
from restorable.operators.exposure import linear_to_srgb, srgb_to_linear


def high_pass_energy(image: np.ndarray) -> float:
    grey = image.astype(np.float64).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def nonzero_gradients(image: np.ndarray, tol: int = 2) -> int:
    """Neighbour pairs whose colours differ by more than ``tol`` levels (ignores rounding flicker)."""
    img = image.astype(int)
    vertical = np.abs(np.diff(img, axis=0)).sum(axis=2) > tol
    horizontal = np.abs(np.diff(img, axis=1)).sum(axis=2) > tol
    return int(vertical.sum() + horizontal.sum())


@pytest.fixture(scope="module")
def odd_photo(odd_photo_path):
    return read_image(odd_photo_path)


def test_l0_leaves_far_fewer_nonzero_gradients(odd_photo):
    out = run_operator("l0", odd_photo)
    assert nonzero_gradients(out) < 0.5 * nonzero_gradients(odd_photo)
    # a plain blur of similar strength does not: gradients shrink but stay non-zero
    blurred = run_operator("rgf", odd_photo, {"sigma_r": 1.0, "iterations": 1})
    assert nonzero_gradients(blurred) > 0.5 * nonzero_gradients(odd_photo)
    # and L0 keeps the picture: the mean colour is preserved
    assert np.abs(out.mean(axis=(0, 1)) - odd_photo.mean(axis=(0, 1))).max() < 6


def mirrored(image: np.ndarray) -> np.ndarray:
    """The image and its mirror images at the right and bottom edges, (2H, 2W, C)."""
    wide = np.concatenate([image, image[:, ::-1]], axis=1)
    return np.ascontiguousarray(np.concatenate([wide, wide[::-1]], axis=0))


@pytest.mark.parametrize("shape", [(383, 511), (1, 7), (6, 1)])
def test_l0_solver_is_opencvs_on_the_mirrored_photo(odd_photo, shape):
    """Our solver is OpenCV's l0Smooth with reflecting edges: OpenCV's (circular) solve on the photo mirrored
    at its edges, cropped. L0's keep-or-drop decisions amplify float differences, so the mean is compared."""
    import cv2

    from restorable.operators.l0 import l0_smooth

    image = odd_photo[: shape[0], : shape[1]].astype(np.float32) / 255.0
    padded = np.pad(image, ((0, max(0, 2 - shape[0])), (0, max(0, 2 - shape[1])), (0, 0)), mode="edge")
    expected = np.clip(cv2.ximgproc.l0Smooth(mirrored(padded), None, 0.02, 2.0), 0, 1)[: shape[0], : shape[1]]
    diff = np.abs(l0_smooth(image) - expected)
    assert diff.mean() < 0.012 and np.median(diff) < 0.006  # seen 0.0070 / 0.0034 (the circular solve of 0.2.0: 0.0154 / 0.0047)


@pytest.mark.parametrize("lam", [0.02, 0.2])
def test_l0_edges_look_like_the_interior(odd_photo, lam):
    """The last columns and rows of a smoothed photo are those of the same photo smoothed with its mirror
    image beside it (where that edge is inside the picture): no wrapped-around lines (issue 32)."""
    from restorable.operators.l0 import l0_smooth

    image = odd_photo.astype(np.float32) / 255.0
    alone = l0_smooth(image, lam)
    wide = l0_smooth(np.ascontiguousarray(np.concatenate([image, image[:, ::-1]], axis=1)), lam)[:, : image.shape[1]]
    tall = l0_smooth(np.ascontiguousarray(np.concatenate([image, image[::-1]], axis=0)), lam)[: image.shape[0]]
    # seen 0.005-0.013; OpenCV's circular solve (0.2.0): 0.077-0.41
    assert np.abs(alone[:, -8:] - wide[:, -8:]).mean() < 0.03
    assert np.abs(alone[-8:] - tall[-8:]).mean() < 0.03


def test_cosine_transforms_are_scipys_on_every_device_path():
    """The torch DCT (GPU path, run here on the CPU) equals scipy's (CPU path), and both invert."""
    import scipy.fft
    import torch

    from restorable.operators._dct import _dct, _idct, dct2, idct2

    for n in (1, 2, 7, 8, 31):
        x = torch.rand(3, 5, n, dtype=torch.float32)
        expected = scipy.fft.dct(x.double().numpy(), type=2, axis=-1)
        assert np.allclose(_dct(x).numpy(), expected, atol=1e-4 * n)
        assert torch.allclose(_idct(_dct(x)), x, atol=1e-5)
    x = torch.rand(2, 13, 10)
    assert np.allclose(dct2(x).numpy(), scipy.fft.dctn(x.double().numpy(), type=2, axes=(-2, -1)), atol=1e-3)
    assert torch.allclose(idct2(dct2(x)), x, atol=1e-5)


@pytest.mark.parametrize("name", ["rgf", "rtv"])
def test_texture_removed_large_edge_kept(name):
    textured, step = step_with_texture()
    out = run_operator(name, textured)
    inner = (slice(8, -8), slice(4, 24))  # inside the dark half, away from the edge
    assert out[inner].std() < 0.25 * textured[inner].std()
    edge_contrast = out[:, 40:60].mean() - out[:, 4:24].mean()
    assert edge_contrast > 0.8 * (step[:, 40:60].mean() - step[:, 4:24].mean())


def test_wmf_outputs_values_from_the_neighbourhood(photo):
    radius = 3
    out = run_operator("wmf", photo, {"radius": radius})
    h, w, _ = photo.shape
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, h, 200), rng.integers(0, w, 200)):
        window = photo[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1]
        for c in range(3):
            assert out[y, x, c] in window[..., c]
    assert not np.array_equal(out, photo)


def test_wmf_flattens_small_variations_keeps_edges():
    _, step = step_with_texture(amplitude=0.0)
    noise = np.random.default_rng(5).normal(0.0, 0.03, step.shape[:2]).astype(np.float32)
    textured = np.clip(step + noise[..., None], 0.0, 1.0)
    out = run_operator("wmf", textured, {"radius": 4})
    inner = (slice(8, -8), slice(4, 24))
    assert out[inner].std() < 0.5 * textured[inner].std()
    assert abs(out[:, 40:60].mean() - out[:, 4:24].mean() - 0.5) < 0.02


def test_exposure_doubles_linear_light_and_clips():
    values = np.linspace(0.0, 1.0, 256, dtype=np.float32)
    image = np.repeat(values[None, :, None], 3, axis=2)
    out = run_operator("exposure", image, {"ev": 1.0})[0, :, 0]
    lin_in, lin_out = srgb_to_linear(values), srgb_to_linear(out)
    dark = lin_in < 0.45
    np.testing.assert_allclose(lin_out[dark], 2 * lin_in[dark], atol=1e-4)
    assert (out[lin_in >= 0.5] >= 1.0 - 1e-6).all(), "highlights must clip"
    # clipping destroys information: many inputs map to one output
    assert len(np.unique(np.rint(out * 255))) < 0.8 * 256


def test_srgb_round_trip():
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-5)


@pytest.mark.parametrize("name", ["wls", "llf"])
def test_detail_enhancement_boosts_detail_keeps_tone(name, odd_photo):
    out = run_operator(name, odd_photo)
    assert high_pass_energy(out) > 1.25 * high_pass_energy(odd_photo)
    assert abs(out.mean() - odd_photo.mean()) < 6
    # a flat image stays flat (no halos from nothing)
    flat = np.full((40, 40, 3), 120, np.uint8)
    assert np.abs(run_operator(name, flat).astype(int) - 120).max() <= 1


def test_llf_keeps_a_large_step_without_halo():
    _, step = step_with_texture(amplitude=0.0)
    out = run_operator("llf", step)
    # far from the edge both halves keep their value: edges above sigma are not amplified
    assert abs(out[:, 4:20].mean() - 0.25) < 0.03 and abs(out[:, 44:60].mean() - 0.75) < 0.03


def test_bwp_is_one_grey_channel_with_more_contrast(photo):
    out = run_operator("bwp", photo)
    assert out.shape == photo.shape[:2]
    grey = photo.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert out.std() > 1.1 * grey.std()


def test_gray_is_rec601_luma(photo):
    out = run_operator("gray", photo)
    expected = photo.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert out.shape == photo.shape[:2] and np.abs(out - expected).max() <= 0.5 + 1e-6
    # a grey photo stays as it is
    flat = np.repeat(out[..., None], 3, axis=2)
    assert np.array_equal(run_operator("gray", flat), out)


def test_cpd_draws_strokes_on_edges_and_texture_on_flat_areas():
    _, step = step_with_texture(amplitude=0.0)
    out = run_operator("cpd", step)
    grey = out.mean(axis=2)
    # pencil texture: a flat region is not flat any more
    assert grey[8:-8, 4:24].std() > 0.01
    # a stroke follows the edge: darker at the edge than beside it in the bright half
    assert grey[:, 31:34].mean() < grey[:, 44:60].mean() - 0.05


def test_neural_styles_differ(photo):
    a, b = run_operator("style-a", photo), run_operator("style-b", photo)
    assert np.abs(a.astype(int) - b).mean() > 10


def _skin_and_sky_patches() -> np.ndarray:
    rng = np.random.default_rng(7)
    image = np.zeros((48, 96, 3), np.float32)
    image[:, :48] = (0.85, 0.62, 0.50)  # skin tone
    image[:, 48:] = (0.25, 0.45, 0.85)  # sky blue
    return np.clip(image + rng.normal(0, 0.04, image.shape).astype(np.float32), 0, 1)


def test_retouch_smooths_skin_only():
    image = _skin_and_sky_patches()
    out = run_operator("retouch", image)
    skin, sky = (slice(8, -8), slice(8, 40)), (slice(8, -8), slice(56, 88))
    assert out[skin].std(axis=(0, 1)).mean() < 0.6 * image[skin].std(axis=(0, 1)).mean()
    assert np.abs(out[sky] - image[sky]).mean() < 0.005
