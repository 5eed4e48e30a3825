"""Tests for explainer.engine.conv (public door explainer.conv): convolution and max-pooling backward passes.

Two independent references: PyTorch float64 autograd over random shapes (strides 1-3, padding 0-2, channels
1-4, kernels 1-5, batches 1-8), and central finite differences of L = Σ δ ⊙ y, whose gradient is exactly what
the layer must return for the upstream gradient δ. Then the record's own identities and the checks at the door.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer.conv import conv2d_backprop, maxpool2d_backprop
from explainer.engine.conv import MAX_ELEMENTS, Conv2dRecord, MaxPool2dRecord

TOL = 1e-10


def assert_close(ours, reference, tol=TOL, scale=None):
    """max |ours − reference| ≤ tol · max |reference| (a relative error over the whole array)."""
    reference = np.asarray(reference)
    scale = max(np.abs(reference).max(initial=0.0), 1e-300) if scale is None else scale
    err = np.abs(np.asarray(ours) - reference).max(initial=0.0) / scale
    assert err <= tol, f"relative error {err:.2e} > {tol:.0e}"


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    padding = draw(st.integers(0, 2))
    h = max(1, kh - 2 * padding) + draw(st.integers(0, 7))
    w = max(1, kw - 2 * padding) + draw(st.integers(0, 7))
    return {
        "n": draw(st.integers(1, 8)),
        "c_in": draw(st.integers(1, 4)),
        "c_out": draw(st.integers(1, 4)),
        "kh": kh,
        "kw": kw,
        "h": h,
        "w": w,
        "stride": draw(st.integers(1, 3)),
        "padding": padding,
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def make_conv(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=(case["n"], case["c_in"], case["h"], case["w"]))
    kernel = rng.normal(size=(case["c_out"], case["c_in"], case["kh"], case["kw"]))
    bias = rng.normal(size=case["c_out"])
    h_out = (case["h"] + 2 * case["padding"] - case["kh"]) // case["stride"] + 1
    w_out = (case["w"] + 2 * case["padding"] - case["kw"]) // case["stride"] + 1
    grad_output = rng.normal(size=(case["n"], case["c_out"], h_out, w_out))
    return x, kernel, bias, grad_output


# ---------------------------------------------------------------------------------------------------------------
# Convolution against PyTorch.


@settings(max_examples=80, deadline=None)
@given(conv_cases())
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    x, kernel, bias, grad_output = make_conv(case)
    r = conv2d_backprop(x, kernel, bias, grad_output, stride=case["stride"], padding=case["padding"])
    xt, kt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, kernel, bias))
    yt = torch.nn.functional.conv2d(xt, kt, bt, stride=case["stride"], padding=case["padding"])
    yt.backward(torch.tensor(grad_output))
    assert r.output.shape == tuple(yt.shape)
    assert_close(r.output, yt.detach().numpy())
    assert_close(r.grad_input, xt.grad.numpy())
    assert_close(r.grad_kernel, kt.grad.numpy())
    assert_close(r.grad_bias, bt.grad.numpy())


def test_conv2d_matches_torch_on_the_benchmark_layer():
    # The layer of the issue: N=8, 3 → 8 channels, 16×16, 3×3, stride 1, padding 1.
    torch = pytest.importorskip("torch")
    case = {"n": 8, "c_in": 3, "c_out": 8, "kh": 3, "kw": 3, "h": 16, "w": 16, "stride": 1, "padding": 1, "seed": 0}
    x, kernel, bias, grad_output = make_conv(case)
    conv = torch.nn.Conv2d(3, 8, 3, padding=1, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(kernel))
        conv.bias.copy_(torch.tensor(bias))
    xt = torch.tensor(x, requires_grad=True)
    conv(xt).backward(torch.tensor(grad_output))
    r = conv2d_backprop(x, kernel, bias, grad_output, stride=1, padding=1)
    assert r.output.shape == (8, 8, 16, 16)
    assert_close(r.grad_input, xt.grad.numpy())
    assert_close(r.grad_kernel, conv.weight.grad.numpy())
    assert_close(r.grad_bias, conv.bias.grad.numpy())


# ---------------------------------------------------------------------------------------------------------------
# Convolution against finite differences (no torch).


def numeric_gradient(loss, arr, h=1e-5):
    """Central differences of loss() with respect to every entry of arr (changed in place, then restored)."""
    grad = np.zeros_like(arr)
    for index in np.ndindex(arr.shape):
        old = arr[index]
        arr[index] = old + h
        up = loss()
        arr[index] = old - h
        down = loss()
        arr[index] = old
        grad[index] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize(("stride", "padding", "kernel_hw"), [(1, 0, (3, 3)), (2, 1, (3, 2)), (3, 2, (2, 4))])
def test_conv2d_matches_finite_differences(stride, padding, kernel_hw):
    case = {"n": 2, "c_in": 2, "c_out": 3, "kh": kernel_hw[0], "kw": kernel_hw[1], "h": 5, "w": 6}
    x, kernel, bias, grad_output = make_conv({**case, "stride": stride, "padding": padding, "seed": 7})

    def loss():  # L = Σ δ ⊙ y, so ∂L/∂y = δ
        return float(np.sum(grad_output * conv2d_backprop(x, kernel, bias, grad_output, stride, padding).output))

    r = conv2d_backprop(x, kernel, bias, grad_output, stride, padding)
    assert_close(r.grad_input, numeric_gradient(loss, x), tol=1e-8)
    assert_close(r.grad_kernel, numeric_gradient(loss, kernel), tol=1e-8)
    assert_close(r.grad_bias, numeric_gradient(loss, bias), tol=1e-8)


def test_conv2d_forward_is_the_cross_correlation_of_the_docstring():
    # y[n,o,p,q] = b[o] + Σ_c Σ_i,j K[o,c,i,j] · x_pad[n,c,p·s+i, q·s+j], written as loops.
    x, kernel, bias, grad_output = make_conv(
        {"n": 2, "c_in": 2, "c_out": 2, "kh": 3, "kw": 2, "h": 6, "w": 5, "stride": 2, "padding": 1, "seed": 3}
    )
    r = conv2d_backprop(x, kernel, bias, grad_output, stride=2, padding=1)
    expected = np.zeros_like(r.output)
    for n, o, p, q in np.ndindex(expected.shape):
        window = r.x_padded[n, :, 2 * p : 2 * p + 3, 2 * q : 2 * q + 2]
        expected[n, o, p, q] = bias[o] + np.sum(kernel[o] * window)
    assert_close(r.output, expected, tol=1e-14)
    # ∂L/∂K[o,c,i,j] = Σ_n Σ_p,q δ[n,o,p,q] · x_pad[n,c,p·s+i, q·s+j]
    grad_kernel = np.zeros_like(kernel)
    for o, c, i, j in np.ndindex(kernel.shape):
        patch = r.x_padded[:, c, i : i + 2 * r.output.shape[2] - 1 : 2, j : j + 2 * r.output.shape[3] - 1 : 2]
        grad_kernel[o, c, i, j] = np.sum(grad_output[:, o] * patch)
    assert_close(r.grad_kernel, grad_kernel, tol=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# The conv record.


def test_conv2d_record_keeps_the_padded_input_and_the_full_delta():
    x, kernel, bias, grad_output = make_conv(
        {"n": 2, "c_in": 3, "c_out": 2, "kh": 3, "kw": 3, "h": 7, "w": 7, "stride": 2, "padding": 1, "seed": 1}
    )
    r = conv2d_backprop(x, kernel, bias, grad_output, stride=2, padding=1)
    assert isinstance(r, Conv2dRecord)
    assert r.x_padded.shape == (2, 3, 9, 9)
    np.testing.assert_array_equal(r.x_padded[:, :, 1:-1, 1:-1], x)
    assert np.all(r.x_padded[:, :, 0] == 0) and np.all(r.x_padded[:, :, :, -1] == 0)
    np.testing.assert_array_equal(r.grad_input, r.grad_input_padded[:, :, 1:-1, 1:-1])
    # δ_full: δ with stride − 1 zeros between entries and kh − 1 zeros around, (N, C_out, 9 + 2, 9 + 2).
    assert r.grad_output_full.shape == (2, 2, 11, 11)
    np.testing.assert_array_equal(r.grad_output_full[:, :, 2:-1:2, 2:-1:2], grad_output)
    assert np.count_nonzero(r.grad_output_full) == np.count_nonzero(grad_output)
    # ∂L/∂x_pad is the stride-1 correlation of δ_full with the flipped kernel.
    assert r.kernel_flipped.shape == (3, 2, 3, 3)
    again = np.zeros_like(r.grad_input_padded)
    for u, v in np.ndindex(9, 9):
        window = r.grad_output_full[:, :, u : u + 3, v : v + 3]  # (N, C_out, 3, 3)
        again[:, :, u, v] = np.einsum("nokl,cokl->nc", window, r.kernel_flipped)
    assert_close(r.grad_input_padded, again, tol=1e-14)


def test_conv2d_rows_no_window_reached_get_zero_gradient():
    # H = 6, kh = 3, stride 2: windows start at rows 0 and 2, so row 5 is never read.
    x, kernel, bias, grad_output = make_conv(
        {"n": 1, "c_in": 1, "c_out": 1, "kh": 3, "kw": 3, "h": 6, "w": 6, "stride": 2, "padding": 0, "seed": 2}
    )
    r = conv2d_backprop(x, kernel, bias, grad_output, stride=2)
    assert r.output.shape == (1, 1, 2, 2)
    assert np.all(r.grad_input[..., 5, :] == 0) and np.all(r.grad_input[..., :, 5] == 0)
    assert np.all(r.grad_input[..., 4, :4] != 0)


def test_conv2d_record_is_read_only_and_does_not_alias_its_inputs():
    x, kernel, bias, grad_output = make_conv(
        {"n": 1, "c_in": 1, "c_out": 1, "kh": 2, "kw": 2, "h": 3, "w": 3, "stride": 1, "padding": 0, "seed": 4}
    )
    r = conv2d_backprop(x, kernel, bias, grad_output)
    for name in Conv2dRecord.__dataclass_fields__:
        value = getattr(r, name)
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float64, name
            with pytest.raises(ValueError, match="read-only"):
                value[...] = 0
    before = r.output.copy()
    x[...] = 100.0
    np.testing.assert_array_equal(r.output, before)


# ---------------------------------------------------------------------------------------------------------------
# Max-pooling.


@st.composite
def pool_cases(draw):
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    return {
        "n": draw(st.integers(1, 8)),
        "c": draw(st.integers(1, 4)),
        "h": h,
        "w": w,
        "size": draw(st.integers(1, min(h, w, 4))),
        "stride": draw(st.integers(1, 3)),
        "ties": draw(st.booleans()),  # small integers: many windows with several equal maxima
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def make_pool(case):
    rng = np.random.default_rng(case["seed"])
    shape = (case["n"], case["c"], case["h"], case["w"])
    x = rng.integers(0, 3, size=shape).astype(np.float64) if case["ties"] else rng.normal(size=shape)
    h_out = (case["h"] - case["size"]) // case["stride"] + 1
    w_out = (case["w"] - case["size"]) // case["stride"] + 1
    return x, rng.normal(size=(case["n"], case["c"], h_out, w_out))


@settings(max_examples=80, deadline=None)
@given(pool_cases())
def test_maxpool2d_matches_torch_including_ties(case):
    torch = pytest.importorskip("torch")
    x, grad_output = make_pool(case)
    r = maxpool2d_backprop(x, grad_output, size=case["size"], stride=case["stride"])
    xt = torch.tensor(x, requires_grad=True)
    yt, indices = torch.nn.functional.max_pool2d(xt, case["size"], case["stride"], return_indices=True)
    yt.backward(torch.tensor(grad_output))
    np.testing.assert_array_equal(r.output, yt.detach().numpy())
    np.testing.assert_array_equal(r.indices, indices.numpy())  # the same winner, ties included
    assert_close(r.grad_input, xt.grad.numpy())


def test_maxpool2d_matches_finite_differences():
    x, grad_output = make_pool({"n": 2, "c": 2, "h": 5, "w": 6, "size": 2, "stride": 1, "ties": False, "seed": 5})

    def loss():
        return float(np.sum(grad_output * maxpool2d_backprop(x, grad_output, size=2, stride=1).output))

    r = maxpool2d_backprop(x, grad_output, size=2, stride=1)
    assert_close(r.grad_input, numeric_gradient(loss, x, h=1e-7), tol=1e-8)


def test_maxpool2d_routes_each_gradient_to_its_winner_the_first_on_a_tie():
    x = np.array([[[[1.0, 5.0, 2.0, 2.0], [3.0, 0.0, 2.0, 2.0]]]])  # right window: four equal maxima
    r = maxpool2d_backprop(x, np.array([[[[10.0, 20.0]]]]), size=2, stride=2)
    assert isinstance(r, MaxPool2dRecord)
    np.testing.assert_array_equal(r.output, [[[[5.0, 2.0]]]])
    np.testing.assert_array_equal(r.indices, [[[[1, 2]]]])  # row·W + col: (0, 1) and the first 2, at (0, 2)
    rows, cols = r.winners
    np.testing.assert_array_equal(rows, [[[[0, 0]]]])
    np.testing.assert_array_equal(cols, [[[[1, 2]]]])
    np.testing.assert_array_equal(r.grad_input, [[[[0.0, 10.0, 20.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_maxpool2d_overlapping_windows_add_up_at_a_shared_winner():
    x = np.array([[[[0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])  # 9 wins both 2×2 windows at stride 1
    r = maxpool2d_backprop(x, np.array([[[[1.5, 2.5]]]]), size=2, stride=1)
    np.testing.assert_array_equal(r.grad_input, [[[[0.0, 4.0, 0.0], [0.0, 0.0, 0.0]]]])


def test_maxpool2d_record_is_read_only():
    x, grad_output = make_pool({"n": 1, "c": 1, "h": 4, "w": 4, "size": 2, "stride": 2, "ties": False, "seed": 6})
    r = maxpool2d_backprop(x, grad_output)
    assert r.indices.dtype == np.int64
    for arr in (r.x, r.output, r.indices, r.grad_output, r.grad_input):
        with pytest.raises(ValueError, match="read-only"):
            arr[...] = 0


# ---------------------------------------------------------------------------------------------------------------
# Checks at the door.

X = np.zeros((1, 2, 5, 5))
K = np.zeros((3, 2, 3, 3))
B = np.zeros(3)
G = np.zeros((1, 3, 3, 3))


@pytest.mark.parametrize(
    ("change", "argument", "detail"),
    [
        ({"x": np.zeros((2, 5, 5))}, "x", r"\(N, C_in, H, W\)"),
        ({"x": np.full((1, 2, 5, 5), np.nan)}, "x", "finite"),
        ({"x": "image"}, "x", "numbers"),
        ({"kernel": np.zeros((3, 1, 3, 3))}, "kernel", r"C_in=2"),
        ({"kernel": np.zeros((3, 2, 6, 3))}, "kernel", r"\(5, 5\)"),
        ({"kernel": np.full((3, 2, 3, 3), np.inf)}, "kernel", "finite"),
        ({"bias": np.zeros(2)}, "bias", r"\(3,\)"),
        ({"grad_output": np.zeros((1, 3, 2, 2))}, "grad_output", r"\(1, 3, 3, 3\)"),
        ({"grad_output": np.zeros((1, 3, 3, 3, 1))}, "grad_output", r"\(N, C_out, H_out, W_out\)"),
        ({"stride": 0}, "stride", "1 to 32"),
        ({"stride": 33}, "stride", "1 to 32"),
        ({"stride": 1.5}, "stride", "integer"),
        ({"stride": True}, "stride", "integer"),
        ({"padding": -1}, "padding", "0 to 32"),
        ({"padding": 33}, "padding", "0 to 32"),
        ({"padding": 10**5000}, "padding", "more than 40 digits"),
    ],
)
def test_conv2d_rejects_a_bad_argument_by_name(change, argument, detail):
    args = {"x": X, "kernel": K, "bias": B, "grad_output": G, "stride": 1, "padding": 0, **change}
    with pytest.raises(ValueError, match=rf"^{argument} ") as err:
        conv2d_backprop(**args)
    assert re.search(detail, str(err.value)), str(err.value)


def test_conv2d_refuses_a_layer_too_large_for_memory_with_a_value_error():
    # The im2col matrix would hold 596² · 4 · 25 ≈ 3.6·10⁷ numbers: a ValueError, not a MemoryError.
    with pytest.raises(ValueError, match=r"x and kernel too large.*im2col.*10,000,000"):
        conv2d_backprop(np.zeros((1, 4, 600, 600)), np.zeros((1, 4, 5, 5)), np.zeros(1), np.zeros((1, 1, 596, 596)))
    assert MAX_ELEMENTS == 10_000_000


@pytest.mark.parametrize(
    ("change", "argument", "detail"),
    [
        ({"x": np.zeros((4, 4))}, "x", r"\(N, C, H, W\)"),
        ({"x": np.full((1, 1, 4, 4), np.nan)}, "x", "finite"),
        ({"grad_output": np.zeros((1, 1, 3, 3))}, "grad_output", r"\(1, 1, 2, 2\)"),
        ({"size": 0}, "size", "1 to 4"),
        ({"size": 5}, "size", "1 to 4"),
        ({"size": 2.0}, "size", "integer"),
        ({"stride": 0}, "stride", "1 to 32"),
        ({"stride": 40}, "stride", "1 to 32"),
    ],
)
def test_maxpool2d_rejects_a_bad_argument_by_name(change, argument, detail):
    args = {"x": np.zeros((1, 1, 4, 4)), "grad_output": np.zeros((1, 1, 2, 2)), "size": 2, "stride": 2, **change}
    with pytest.raises(ValueError, match=rf"^{argument} ") as err:
        maxpool2d_backprop(**args)
    assert re.search(detail, str(err.value)), str(err.value)


def test_maxpool2d_refuses_too_many_windows_with_a_value_error():
    with pytest.raises(ValueError, match=r"x and size too large.*10,000,000"):
        maxpool2d_backprop(np.zeros((1, 1, 1000, 1000)), np.zeros((1, 1, 997, 997)), size=4, stride=1)
