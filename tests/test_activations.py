"""Tests for explainer.engine.activations: every registry entry's derivative against finite differences,
known values, and numerical stability for huge |z|.

The loops run over ``ACTIVATIONS`` itself, so a new entry is checked without touching this file.
"""

import math
import warnings

import numpy as np
import pytest

from explainer.engine.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation

H = 1e-6  # central-difference step: truncation ~h² f‴ ≈ 1e-12, rounding ~ε/h ≈ 1e-10
KINK_MARGIN = 1e-2  # relu and leaky_relu have a kink at 0; finite differences are meaningless there


def z_grid(seed=0, shape=(7, 4)):
    """Pre-activations in [-4, 4] kept away from the kink at 0, plus a few fixed values."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-4.0, 4.0, size=shape)
    z = np.where(np.abs(z) < KINK_MARGIN, z + np.sign(z + 0.5) * 3 * KINK_MARGIN, z)
    z[0, :] = [-2.0, -0.5, 0.25, 3.0][: shape[1]]
    return z


def numeric_jacobian(f, z_row, h=H):
    """J[j, k] = ∂f_j/∂z_k for one row, by central differences."""
    k = z_row.shape[0]
    J = np.empty((k, k))
    for col in range(k):
        e = np.zeros(k)
        e[col] = h
        J[:, col] = (f(z_row + e) - f(z_row - e)) / (2 * h)
    return J


# ---------------------------------------------------------------------------------------------
# Registry


def test_registry_entries_are_named_by_their_key_and_split_into_hidden_and_output():
    for name, act in ACTIVATIONS.items():
        assert act.name == name
        assert act.formula and act.derivative_formula
    assert set(HIDDEN_ACTIVATIONS) == {name for name, act in ACTIVATIONS.items() if act.hidden}
    assert tuple(OUTPUT_ACTIVATIONS) == tuple(ACTIVATIONS)
    assert "softmax" not in HIDDEN_ACTIVATIONS
    assert {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"} <= set(ACTIVATIONS)


def test_get_activation_lists_allowed_names():
    assert get_activation("tanh") is ACTIVATIONS["tanh"]
    assert get_activation("softmax", hidden=False) is ACTIVATIONS["softmax"]
    with pytest.raises(ValueError, match="activation must be one of") as err:
        get_activation("swish")
    for name in HIDDEN_ACTIVATIONS:
        assert name in str(err.value)
    with pytest.raises(ValueError, match="my_arg must be one of"):
        get_activation("softmax", argument="my_arg")  # softmax is output-only


# ---------------------------------------------------------------------------------------------
# Derivatives against finite differences, for every entry


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivative_matches_central_differences(name):
    act = ACTIVATIONS[name]
    z = z_grid()
    a = act.forward(z)
    assert a.shape == z.shape
    if act.elementwise:
        numeric = (act.forward(z + H) - act.forward(z - H)) / (2 * H)
        np.testing.assert_allclose(act.derivative(z, a), numeric, rtol=1e-8, atol=1e-9)
    else:
        # Not elementwise (softmax): the recorded derivative is the Jacobian's diagonal.
        for row in range(z.shape[0]):
            J = numeric_jacobian(act.forward, z[row])
            np.testing.assert_allclose(act.derivative(z, a)[row], np.diag(J), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_backward_is_the_jacobian_transpose_times_upstream_gradient(name):
    """δ = ∂L/∂z with δ_k = Σ_j g_j ∂a_j/∂z_k, the full Jacobian taken by finite differences."""
    act = ACTIVATIONS[name]
    z = z_grid(seed=1)
    a = act.forward(z)
    g = np.random.default_rng(2).normal(size=z.shape)  # an upstream ∂L/∂a
    delta = act.backward(z, a, g)
    assert delta.shape == z.shape
    for row in range(z.shape[0]):
        J = numeric_jacobian(act.forward, z[row])
        np.testing.assert_allclose(delta[row], g[row] @ J, rtol=1e-7, atol=1e-9)
    if act.elementwise:
        np.testing.assert_array_equal(delta, act.derivative(z, a) * g)


def test_softmax_backward_is_not_the_diagonal_alone():
    """The full Jacobian matters: using only its diagonal would give a different δ."""
    act = ACTIVATIONS["softmax"]
    z = np.array([[1.0, -0.5, 2.0]])
    a = act.forward(z)
    g = np.array([[0.3, -1.0, 0.7]])
    expected = a * (g - (a * g).sum())  # J = diag(a) − a aᵀ, symmetric
    np.testing.assert_allclose(act.backward(z, a, g), expected, rtol=1e-14)
    assert not np.allclose(act.backward(z, a, g), act.derivative(z, a) * g)


# ---------------------------------------------------------------------------------------------
# Known values


def test_known_values():
    z = np.array([-2.0, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].forward(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert ACTIVATIONS["sigmoid"].forward(np.array(0.0)) == 0.5
    np.testing.assert_allclose(ACTIVATIONS["tanh"].forward(z), [math.tanh(v) for v in z], rtol=1e-15)
    np.testing.assert_array_equal(ACTIVATIONS["relu"].forward(z), [0.0, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].forward(z), [-0.02, 0.0, 0.5, 3.0], rtol=1e-15)
    np.testing.assert_array_equal(ACTIVATIONS["identity"].forward(z), z)
    np.testing.assert_array_equal(ACTIVATIONS["relu"].derivative(z, None), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(ACTIVATIONS["leaky_relu"].derivative(z, None), [0.01, 0.01, 1.0, 1.0])
    # σ′(0) = ¼ and tanh′(0) = 1
    assert ACTIVATIONS["sigmoid"].derivative(0.0, 0.5) == 0.25
    assert ACTIVATIONS["tanh"].derivative(0.0, 0.0) == 1.0


def test_softmax_rows_sum_to_one_and_ignore_shifts():
    sm = ACTIVATIONS["softmax"].forward
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    a = sm(z)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(a[1], [1 / 3] * 3, rtol=1e-15)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(a[0], e / e.sum(), rtol=1e-15)
    np.testing.assert_allclose(sm(z + 100.0), a, rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# Stability: huge |z| gives finite values and no warnings


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("big", [1e3, 1e300])
def test_huge_inputs_give_finite_values_without_warnings(name, big):
    act = ACTIVATIONS[name]
    z = np.array([[big, -big, 0.0], [-big, -big, big], [1.0, 2.0, -big]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        a = act.forward(z)
        d = act.derivative(z, a)
        delta = act.backward(z, a, np.ones_like(z))
    for arr in (a, d, delta):
        assert np.all(np.isfinite(arr)), (name, arr)
    if name == "sigmoid":
        np.testing.assert_array_equal(a[0], [1.0, 0.0, 0.5])
        np.testing.assert_array_equal(d[0], [0.0, 0.0, 0.25])
    if name == "softmax":
        np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-15)
        np.testing.assert_array_equal(a[0], [1.0, 0.0, 0.0])
        np.testing.assert_array_equal(a[1], [0.0, 0.0, 1.0])


# ---------------------------------------------------------------------------------------------
# The sigmoid in its exp form: relative accuracy in both tails (½ + ½·tanh(z/2) is exactly 0 for z ≤ −38)


def test_sigmoid_keeps_relative_accuracy_far_into_both_tails():
    sigmoid = ACTIVATIONS["sigmoid"]
    z = np.array([-745.0, -700.0, -40.0, -38.0, 40.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        a = sigmoid.forward(z)
        d = sigmoid.derivative(z, a)
    exact = [math.exp(v) / (1 + math.exp(v)) if v < 0 else 1 / (1 + math.exp(-v)) for v in z]
    np.testing.assert_allclose(a[1:], exact[1:], rtol=1e-14)
    assert a[0] > 0.0  # e^−745 is the smallest float64 above 0
    assert a[2] == pytest.approx(4.248354255291589e-18, rel=1e-14, abs=0)
    # σ′ = σ(z)σ(−z), from z: at z = +40 a(1 − a) would be 0 because a rounds to 1.
    assert d[4] == pytest.approx(4.248354255291589e-18, rel=1e-12, abs=0)
    assert d[2] == pytest.approx(d[4], rel=1e-14, abs=0)
