"""Contract every reference operator keeps: shape, dtype, sizes, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from restorable.errors import RestorableError
from restorable.operators import OPERATORS, run_operator

NAMES = sorted(OPERATORS)


def result_shape(name: str, image: np.ndarray) -> tuple[int, ...]:
    """(H, W, 3) for colour effects, (H, W) for the grey family's operators; the rescale family's
    divide H and W by their factor, rounded up."""
    factor = OPERATORS[name].downscale
    size = tuple(-(-side // factor) for side in image.shape[:2])
    return (*size, *image.shape[2:]) if OPERATORS[name].output_channels == 3 else size


@pytest.mark.parametrize("name", NAMES)
def test_uint8_in_uint8_out_and_changes_the_photo(name, photo):
    out = run_operator(name, photo)
    assert out.shape == result_shape(name, photo) and out.dtype == np.uint8
    # retouch: no skin in it (see test_retouch_*); rescaling: test_rescale; a packed image looks like its first image
    if name != "retouch" and OPERATORS[name].downscale == 1 and OPERATORS[name].family != "pack":
        compared = photo if out.ndim == 3 else photo.mean(axis=2)  # a grey result: against the plain average
        assert np.abs(out.astype(int) - compared).mean() > 0.5, "the operator left the photo unchanged"


@pytest.mark.parametrize("name", NAMES)
def test_float_in_float_out(name, photo):
    image = photo.astype(np.float32) / 255.0
    out = run_operator(name, image)
    assert out.shape == result_shape(name, image) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_grey_input_gives_grey_output(name, photo):
    grey = photo.mean(axis=2).astype(np.uint8)
    out = run_operator(name, grey)
    assert out.shape == result_shape(name, grey) and out.dtype == np.uint8


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 7, 3), (5, 1, 3), (3, 2, 3)])
def test_tiny_inputs(name, shape):
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    out = run_operator(name, image)
    assert out.shape == result_shape(name, image) and out.dtype == np.uint8


@pytest.mark.parametrize("name", NAMES)
def test_two_runs_are_bit_identical(name, photo):
    assert np.array_equal(run_operator(name, photo), run_operator(name, photo))


def test_parameters_change_the_result(photo):
    weak = run_operator("l0", photo, {"lam": 0.002})
    strong = run_operator("l0", photo, {"lam": 0.1})
    assert not np.array_equal(weak, strong)


@pytest.mark.parametrize("shape", [(4, 4, 4), (4,), (4, 4, 1)])
def test_bad_shapes_are_refused(shape):
    with pytest.raises(RestorableError, match="expected"):
        run_operator("l0", np.zeros(shape, np.uint8))


def test_bad_dtype_is_refused():
    with pytest.raises(RestorableError, match="uint8 or float32"):
        run_operator("l0", np.zeros((4, 4, 3), np.float64))


@pytest.mark.parametrize("op", ["wmf", "rgf", "bwp", "retouch"])
def test_plain_opencv_without_contrib_is_a_one_line_error(op, monkeypatch):
    """Seen on a GPU image with opencv-python (no contrib): say which package, not an AttributeError."""
    import cv2

    monkeypatch.delattr(cv2, "ximgproc")
    image = np.full((40, 48, 3), 128, np.uint8)
    image[:, 24:] = 60
    with pytest.raises(RestorableError, match=r"pip install opencv-contrib-python-headless"):
        run_operator(op, image)
