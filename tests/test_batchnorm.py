"""Tests for explainer.engine.batchnorm (public door explainer.batchnorm): batch norm's backward pass.

Independent references: PyTorch float64 autograd (``F.batch_norm`` in training mode, and ``nn.BatchNorm1d``)
over random batches, and central finite differences of L = Σ g ⊙ y. Then the three gradient paths of ∂L/∂x
(through x̂, μ and σ²): they sum to ∂L/∂x, each is what the docstring says, and the checks at the door.

∂L/∂x is a difference of terms that nearly cancel (for N = 2 the true gradient is O(ε)), so its error is
measured relative to the largest of the three paths, the size of the numbers being subtracted.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer.batchnorm import batchnorm_backprop
from explainer.engine.batchnorm import MAX_ELEMENTS, BatchNormRecord

TOL = 1e-10


def assert_close(ours, reference, tol=TOL, scale=None):
    """max |ours − reference| ≤ tol · scale, scale = max |reference| unless given."""
    reference = np.asarray(reference)
    scale = max(np.abs(reference).max(), 1e-300) if scale is None else scale
    err = np.abs(np.asarray(ours) - reference).max() / scale
    assert err <= tol, f"relative error {err:.2e} > {tol:.0e}"


def make_batch(n, d, seed, scale=1.0, offset=0.0):
    rng = np.random.default_rng(seed)
    return {
        "x": offset + scale * rng.normal(size=(n, d)),
        "gamma": rng.normal(size=d),
        "beta": rng.normal(size=d),
        "grad_output": rng.normal(size=(n, d)),
    }


@st.composite
def batches(draw):
    return {
        "n": draw(st.integers(2, 64)),
        "d": draw(st.integers(1, 8)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "scale": draw(st.sampled_from([0.01, 1.0, 30.0])),
        "offset": draw(st.sampled_from([0.0, -3.0, 100.0])),
    }


# ---------------------------------------------------------------------------------------------------------------
# Against PyTorch.


@settings(max_examples=80, deadline=None)
@given(batches(), st.sampled_from([1e-5, 1e-3, 0.1]))
def test_batchnorm_matches_torch(case, eps):
    torch = pytest.importorskip("torch")
    args = make_batch(**case)
    r = batchnorm_backprop(**args, eps=eps)
    x, gamma, beta = (torch.tensor(args[k], requires_grad=True) for k in ("x", "gamma", "beta"))
    y = torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    y.backward(torch.tensor(args["grad_output"]))
    assert_close(r.output, y.detach().numpy())
    assert_close(r.grad_input, x.grad.numpy(), scale=np.abs(r.grad_input_via_x_hat).max())
    assert_close(r.grad_gamma, gamma.grad.numpy())
    assert_close(r.grad_beta, beta.grad.numpy())
    xd = x.detach()
    assert_close(r.mean, xd.mean(dim=0).numpy())
    assert_close(r.var, xd.var(dim=0, unbiased=False).numpy())
    assert_close(r.x_hat, ((xd - xd.mean(0)) / torch.sqrt(xd.var(0, unbiased=False) + eps)).numpy())


def test_batchnorm_matches_torch_nn_batchnorm1d_in_training_mode():
    torch = pytest.importorskip("torch")
    args = make_batch(256, 64, seed=0, scale=2.0, offset=1.0)
    layer = torch.nn.BatchNorm1d(64, eps=1e-5, dtype=torch.float64)
    layer.train()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(args["gamma"]))
        layer.bias.copy_(torch.tensor(args["beta"]))
    x = torch.tensor(args["x"], requires_grad=True)
    layer(x).backward(torch.tensor(args["grad_output"]))
    r = batchnorm_backprop(**args)
    assert_close(r.grad_input, x.grad.numpy(), scale=np.abs(r.grad_input_via_x_hat).max())
    assert_close(r.grad_gamma, layer.weight.grad.numpy())
    assert_close(r.grad_beta, layer.bias.grad.numpy())
    # Its running variance is updated with the unbiased variance; the normalisation used the biased one.
    unbiased = r.var * 256 / 255
    assert_close(layer.running_var.numpy(), 0.9 + 0.1 * unbiased)


# ---------------------------------------------------------------------------------------------------------------
# Against finite differences (no torch).


def numeric_gradient(loss, arr, h=1e-6):
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


@pytest.mark.parametrize(("n", "d"), [(3, 2), (5, 4), (8, 1)])
def test_batchnorm_matches_finite_differences(n, d):
    args = make_batch(n, d, seed=n + d)

    def loss():  # L = Σ g ⊙ y, so ∂L/∂y = g
        return float(np.sum(args["grad_output"] * batchnorm_backprop(**args).output))

    r = batchnorm_backprop(**args)
    assert_close(r.grad_input, numeric_gradient(loss, args["x"]), tol=1e-7)
    assert_close(r.grad_gamma, numeric_gradient(loss, args["gamma"]), tol=1e-7)
    assert_close(r.grad_beta, numeric_gradient(loss, args["beta"]), tol=1e-7)


# ---------------------------------------------------------------------------------------------------------------
# The three paths and the record.


def test_the_three_paths_sum_to_grad_input_and_are_what_the_docstring_says():
    args = make_batch(10, 3, seed=1, scale=2.0, offset=0.5)
    eps = 1e-5
    r = batchnorm_backprop(**args, eps=eps)
    assert isinstance(r, BatchNormRecord)
    n = 10
    np.testing.assert_array_equal(r.grad_input, r.grad_input_via_x_hat + r.grad_input_via_mean + r.grad_input_via_var)
    std = np.sqrt(r.var + eps)
    assert_close(r.std, std, tol=1e-15)
    grad_x_hat = args["grad_output"] * args["gamma"]
    assert_close(r.grad_x_hat, grad_x_hat, tol=1e-15)
    assert_close(r.grad_input_via_x_hat, grad_x_hat / std, tol=1e-14)
    # through μ: ∂L/∂μ / N, the same row for every sample, and it cancels the direct path's sum over the batch
    assert_close(r.grad_mean, -grad_x_hat.sum(axis=0) / std, tol=1e-14)
    assert np.all(r.grad_input_via_mean == r.grad_input_via_mean[0])
    assert_close(r.grad_input_via_mean.sum(axis=0), -r.grad_input_via_x_hat.sum(axis=0), tol=1e-13)
    # through σ²: ∂L/∂σ² · 2(x − μ)/N, which sums to 0 over the batch
    assert_close(r.grad_var, np.sum(grad_x_hat * (args["x"] - r.mean), axis=0) * -0.5 * std**-3, tol=1e-13)
    assert_close(r.grad_input_via_var, r.grad_var * 2 * (args["x"] - r.mean) / n, tol=1e-14)
    assert np.abs(r.grad_input_via_var.sum(axis=0)).max() < 1e-13 * np.abs(r.grad_input_via_var).max()
    # the compact form: (γ / (N σ)) ⊙ (N g − Σ g − x̂ ⊙ Σ g ⊙ x̂)
    g = args["grad_output"]
    compact = args["gamma"] / (n * std) * (n * g - g.sum(axis=0) - r.x_hat * np.sum(g * r.x_hat, axis=0))
    assert_close(r.grad_input, compact, scale=np.abs(r.grad_input_via_x_hat).max())
    # the forward's intermediates
    assert_close(r.mean, args["x"].mean(axis=0), tol=1e-15)
    assert_close(r.var, args["x"].var(axis=0), tol=1e-14)
    assert_close(r.centered, args["x"] - r.mean, tol=0)
    assert_close(r.output, args["gamma"] * r.x_hat + args["beta"], tol=0)
    assert r.eps == eps


def test_the_record_is_read_only_and_does_not_alias_its_inputs():
    args = make_batch(4, 2, seed=2)
    r = batchnorm_backprop(**args)
    for name in BatchNormRecord.__dataclass_fields__:
        value = getattr(r, name)
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float64, name
            with pytest.raises(ValueError, match="read-only"):
                value[...] = 0
    before = r.output.copy()
    args["x"][...] = 7.0
    np.testing.assert_array_equal(r.output, before)


def test_a_constant_feature_normalises_to_zero_and_its_gradient_is_scaled_by_one_over_root_eps():
    args = make_batch(6, 2, seed=3)
    args["x"][:, 1] = 4.0  # σ² = 0: x̂ = 0 / √ε = 0, y = β
    r = batchnorm_backprop(**args, eps=1e-4)
    assert np.all(r.x_hat[:, 1] == 0) and np.all(r.output[:, 1] == args["beta"][1])
    assert np.all(r.grad_input_via_var[:, 1] == 0)  # x − μ = 0: no road through σ²
    g = args["grad_output"][:, 1]
    assert_close(r.grad_input[:, 1], args["gamma"][1] / np.sqrt(1e-4) * (g - g.mean()), tol=1e-13)


# ---------------------------------------------------------------------------------------------------------------
# Checks at the door.

GOOD = make_batch(4, 3, seed=0)


@pytest.mark.parametrize(
    ("argument", "value", "detail"),
    [
        ("x", np.zeros((4, 3, 1)), r"\(N, D\)"),
        ("x", np.zeros((1, 3)), "at least 2 samples"),
        ("x", np.full((4, 3), np.nan), "finite"),
        ("x", [["a"]], "numbers"),
        ("gamma", np.zeros(2), r"\(D,\) = \(3,\)"),
        ("gamma", np.zeros((3, 1)), r"\(D,\) = \(3,\)"),
        ("beta", np.full(3, np.inf), "finite"),
        ("grad_output", np.zeros((3, 3)), r"\(N, D\) = \(4, 3\)"),
        ("eps", 0.0, "> 0"),
        ("eps", -1e-5, "> 0"),
        ("eps", "small", "> 0"),
    ],
)
def test_a_bad_argument_is_a_value_error_naming_it(argument, value, detail):
    args = {**GOOD, argument: value}
    with pytest.raises(ValueError, match=rf"^{argument} ") as err:
        batchnorm_backprop(**args)
    assert re.search(detail, str(err.value)), str(err.value)


def test_a_batch_too_large_is_a_value_error():
    assert MAX_ELEMENTS == 10_000_000
    x = np.broadcast_to(np.float64(1.0), (10_001, 1000))  # 10⁷ + 1000 numbers, no memory until copied
    with pytest.raises(ValueError, match=r"^x too large.*10,000,000"):
        batchnorm_backprop(x, np.ones(1000), np.zeros(1000), x)
