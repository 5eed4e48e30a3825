"""Tests for explainer.course.patterns: the small images and 3×3 kernels, and what the kernels do to them."""

import numpy as np
import pytest

from explainer.conv import conv2d_backprop
from explainer.course.patterns import KERNELS, PATTERNS, Kernel, Pattern, get_kernel, get_pattern


def convolve(image, kernel, padding=0):
    """One image, one channel, no bias: the feature map (H_out, W_out)."""
    out_side = image.shape[0] + 2 * padding - 2, image.shape[1] + 2 * padding - 2
    r = conv2d_backprop(image[None, None], kernel[None, None], [0.0], np.zeros((1, 1, *out_side)), padding=padding)
    return r.output[0, 0]


def test_the_registry_holds_the_patterns_the_explorer_needs():
    assert {"vertical_edge", "horizontal_edge", "diagonal", "cross", "seven", "one", "checkerboard"} <= set(PATTERNS)
    assert {"identity", "sobel_vertical", "sobel_horizontal", "blur", "sharpen"} <= set(KERNELS)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_is_a_small_read_only_image_of_zeros_and_ones(name):
    pattern = PATTERNS[name]
    assert isinstance(pattern, Pattern) and pattern.name == name and pattern.title
    arr = pattern.array
    assert arr.dtype == np.float64 and arr.ndim == 2
    assert 6 <= arr.shape[0] <= 8 and 6 <= arr.shape[1] <= 8
    assert set(np.unique(arr)) == {0.0, 1.0}
    with pytest.raises(ValueError, match="read-only"):
        arr[0, 0] = 0.5


def test_the_patterns_are_different_images():
    flat = {name: p.array.tobytes() + bytes(p.array.shape) for name, p in PATTERNS.items()}
    assert len(set(flat.values())) == len(flat)


def test_the_patterns_look_like_their_names():
    np.testing.assert_array_equal(get_pattern("diagonal").array, np.eye(6))
    np.testing.assert_array_equal(get_pattern("horizontal_edge").array, get_pattern("vertical_edge").array.T)
    cross = get_pattern("cross").array
    np.testing.assert_array_equal(cross, cross.T)
    np.testing.assert_array_equal(cross, cross[::-1])
    board = get_pattern("checkerboard").array
    assert np.all(board[:, 1:] != board[:, :-1]) and np.all(board[1:] != board[:-1])
    seven = get_pattern("seven").array
    assert seven[1, 1:7].all() and seven[6, 3] == 1  # the bar on top, the stroke ends lower left


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_every_kernel_is_a_read_only_3x3(name):
    kernel = KERNELS[name]
    assert isinstance(kernel, Kernel) and kernel.name == name and kernel.title
    assert kernel.array.shape == (3, 3) and kernel.array.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        kernel.array[1, 1] = 0.0


def test_get_pattern_and_get_kernel_return_the_entry_and_name_the_choices_otherwise():
    assert get_pattern("seven") is PATTERNS["seven"]
    assert get_kernel("blur") is KERNELS["blur"]
    with pytest.raises(ValueError, match=r"^name must be one of vertical_edge, .*checkerboard; got 'eight'"):
        get_pattern("eight")
    with pytest.raises(ValueError, match=r"^name must be one of identity, .*sharpen; got 'sobel'"):
        get_kernel("sobel")
    with pytest.raises(ValueError, match="^name must be one of"):
        get_pattern(None)


def test_the_identity_kernel_copies_the_image():
    for pattern in PATTERNS.values():
        np.testing.assert_array_equal(convolve(pattern.array, get_kernel("identity").array, padding=1), pattern.array)


def test_each_sobel_kernel_sees_its_own_edge_and_not_the_other():
    vertical, horizontal = get_pattern("vertical_edge").array, get_pattern("horizontal_edge").array
    sobel_v, sobel_h = get_kernel("sobel_vertical").array, get_kernel("sobel_horizontal").array
    # Dark to bright from left to right: +4 on the two columns that straddle the edge, 0 elsewhere.
    np.testing.assert_array_equal(convolve(vertical, sobel_v), np.tile([0.0, 4.0, 4.0, 0.0], (4, 1)))
    np.testing.assert_array_equal(convolve(vertical, sobel_h), np.zeros((4, 4)))
    np.testing.assert_array_equal(convolve(horizontal, sobel_h), np.tile([0.0, 4.0, 4.0, 0.0], (4, 1)).T)
    np.testing.assert_array_equal(convolve(horizontal, sobel_v), np.zeros((4, 4)))


def test_blur_and_sharpen_keep_a_flat_image_flat():
    flat = np.ones((6, 6))
    for name in ("blur", "sharpen"):
        assert get_kernel(name).array.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(convolve(flat, get_kernel(name).array), np.ones((4, 4)), rtol=1e-15)
    # Blur averages a checkerboard towards ½; sharpen pushes it further from ½.
    board = get_pattern("checkerboard").array
    assert np.abs(convolve(board, get_kernel("blur").array) - 0.5).max() < 0.5
    assert np.abs(convolve(board, get_kernel("sharpen").array) - 0.5).max() > 0.5
