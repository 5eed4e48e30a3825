"""Tests for explainer.engine.losses: values against textbook formulas, ∂ℓ/∂a and δ = ∂ℓ/∂z against
finite differences for every loss and every output activation it allows, and saturation safety.

The reference formulas below are written in terms of the output a, independently of the registry
(which computes bce and cross-entropy from z for stability). A new loss must add its reference here.
"""

import math
import warnings

import numpy as np
import pytest

from explainer.engine.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from explainer.engine.losses import LOSSES, get_loss, log_softmax, softplus

H = 1e-6
KINK_MARGIN = 1e-2

# ℓ(a, y) per sample, in terms of the activation output a (textbook forms)
REFERENCE = {
    "mse": lambda a, y: 0.5 * ((a - y) ** 2).sum(axis=-1),
    "bce": lambda a, y: -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=-1),
    "cross_entropy": lambda a, y: -(y * np.log(a)).sum(axis=-1),
}


def pairs():
    """Every (loss, output activation) combination the registry allows."""
    out = []
    for loss_name, loss in LOSSES.items():
        for act_name in OUTPUT_ACTIVATIONS:
            if loss.output_activation in (None, act_name):
                out.append((loss_name, act_name))
    return out


def sample(loss_name, act_name, seed=0, n=5, k=3):
    """(z, a, y): pre-activations away from relu kinks and targets valid for the loss."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-2.5, 2.5, size=(n, k))
    z = np.where(np.abs(z) < KINK_MARGIN, z + 0.1, z)
    if loss_name == "cross_entropy":
        y = np.eye(k)[rng.integers(0, k, size=n)]
    elif loss_name == "bce":
        y = rng.uniform(0.0, 1.0, size=(n, k))  # soft targets are allowed too
    else:
        y = rng.normal(size=(n, k))
    return z, ACTIVATIONS[act_name].forward(z), y


def test_every_loss_has_a_reference_and_a_known_pairing():
    assert set(LOSSES) == set(REFERENCE), "add a textbook reference for the new loss"
    assert LOSSES["mse"].output_activation is None
    assert LOSSES["bce"].output_activation == "sigmoid"
    assert LOSSES["cross_entropy"].output_activation == "softmax"
    for name, loss in LOSSES.items():
        assert loss.name == name and loss.formula


def test_get_loss_lists_allowed_names():
    assert get_loss("bce") is LOSSES["bce"]
    with pytest.raises(ValueError, match="loss must be one of") as err:
        get_loss("hinge")
    for name in LOSSES:
        assert name in str(err.value)


@pytest.mark.parametrize(("loss_name", "act_name"), pairs())
def test_per_sample_value_matches_textbook_formula(loss_name, act_name):
    z, a, y = sample(loss_name, act_name)
    got = LOSSES[loss_name].per_sample(z, a, y)
    assert got.shape == (z.shape[0],)
    np.testing.assert_allclose(got, REFERENCE[loss_name](a, y), rtol=1e-12, atol=1e-14)


def test_known_loss_values():
    z = np.zeros((1, 4))
    half = np.full((1, 4), 0.5)
    # mse: ½ Σ (a − y)²
    assert LOSSES["mse"].per_sample(z, np.array([[1.0, 2.0, 0, 0]]), np.array([[0.0, 0.0, 0, 1]]))[0] == 3.0
    # bce at z = 0 (a = ½): log 2 per output
    np.testing.assert_allclose(LOSSES["bce"].per_sample(z, half, np.array([[0.0, 1, 1, 0]])), [4 * math.log(2)])
    # cross-entropy with a uniform softmax over 4 classes: log 4
    np.testing.assert_allclose(
        LOSSES["cross_entropy"].per_sample(z, np.full((1, 4), 0.25), np.eye(4)[[2]]), [math.log(4)], rtol=1e-15
    )


@pytest.mark.parametrize(("loss_name", "act_name"), pairs())
def test_grad_a_matches_finite_differences_of_the_formula(loss_name, act_name):
    """∂ℓ/∂a_k, perturbing one output at a time in the textbook formula."""
    z, a, y = sample(loss_name, act_name, seed=3)
    if loss_name == "mse":
        pass
    elif loss_name == "bce":
        assert np.all((a > 0.05) & (a < 0.95))  # a ± h inside (0, 1); bce's ∂ℓ/∂a is computed from z = σ⁻¹(a)
    else:
        a = np.clip(a, 0.05, None)
    ref = REFERENCE[loss_name]
    numeric = np.empty_like(a)
    for k in range(a.shape[1]):
        e = np.zeros_like(a)
        e[:, k] = H
        numeric[:, k] = (ref(a + e, y) - ref(a - e, y)) / (2 * H)
    np.testing.assert_allclose(LOSSES[loss_name].grad_a(z, a, y), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("loss_name", "act_name"), pairs())
def test_delta_matches_finite_differences_through_the_activation(loss_name, act_name):
    """δ = ∂ℓ/∂z, perturbing z and recomputing a = f(z) and the registry's loss."""
    loss, act = LOSSES[loss_name], ACTIVATIONS[act_name]
    z, a, y = sample(loss_name, act_name, seed=4)
    delta = loss.delta(z, a, y, act)

    def ell(zz):
        return loss.per_sample(zz, act.forward(zz), y)

    numeric = np.empty_like(z)
    for k in range(z.shape[1]):
        e = np.zeros_like(z)
        e[:, k] = H
        numeric[:, k] = (ell(z + e) - ell(z - e)) / (2 * H)
    np.testing.assert_allclose(delta, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("loss_name", [name for name, loss in LOSSES.items() if loss.paired_delta is not None])
def test_paired_shortcut_agrees_with_the_chain_rule(loss_name):
    """a − y (the simplification) equals f′ applied to ∂ℓ/∂a (the long way round)."""
    loss = LOSSES[loss_name]
    act = ACTIVATIONS[loss.output_activation]
    z, a, y = sample(loss_name, loss.output_activation, seed=5)
    np.testing.assert_allclose(loss.paired_delta(z, a, y), a - y, rtol=0, atol=0)
    np.testing.assert_allclose(
        loss.delta(z, a, y, act), act.backward(z, a, loss.grad_a(z, a, y)), rtol=1e-12, atol=1e-15
    )


# ---------------------------------------------------------------------------------------------
# Saturation: z = ±1000 keeps bce and cross-entropy finite, with the exact large values


def test_bce_finite_for_saturated_outputs():
    z = np.array([[1000.0, -1000.0, 1000.0, -1000.0]])
    y = np.array([[0.0, 1.0, 1.0, 0.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        a = ACTIVATIONS["sigmoid"].forward(z)
        loss = LOSSES["bce"].per_sample(z, a, y)
        delta = LOSSES["bce"].delta(z, a, y, ACTIVATIONS["sigmoid"])
        grad_a = LOSSES["bce"].grad_a(z, a, y)
    # Confidently wrong on two outputs (1000 each), confidently right on two (≈ e^-1000 = 0).
    np.testing.assert_allclose(loss, [2000.0], rtol=1e-15)
    np.testing.assert_array_equal(delta, [[1.0, -1.0, 0.0, 0.0]])
    assert np.all(np.isfinite(grad_a))
    assert grad_a[0, 0] > 1e250 and grad_a[0, 1] < -1e250  # huge but finite where a saturated wrongly


def test_cross_entropy_finite_for_saturated_outputs():
    z = np.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        a = ACTIVATIONS["softmax"].forward(z)
        loss = LOSSES["cross_entropy"].per_sample(z, a, y)
        delta = LOSSES["cross_entropy"].delta(z, a, y, ACTIVATIONS["softmax"])
        grad_a = LOSSES["cross_entropy"].grad_a(z, a, y)
    np.testing.assert_allclose(loss, [2000.0, 0.0], rtol=1e-15, atol=1e-300)
    np.testing.assert_array_equal(delta, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    assert np.all(np.isfinite(grad_a))


def test_stable_helpers():
    z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        sp = softplus(z)
        ls = log_softmax(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(sp[1:4], np.log1p(np.exp(z[1:4])), rtol=1e-15)
    assert sp[0] == 0.0 or sp[0] < 1e-300
    assert sp[-1] == 1000.0
    np.testing.assert_allclose(ls, [[0.0, -1000.0, -2000.0]], rtol=1e-15, atol=1e-300)
    row = np.array([[0.3, -1.2, 2.0]])
    np.testing.assert_allclose(np.exp(log_softmax(row)), ACTIVATIONS["softmax"].forward(row), rtol=1e-15)


def test_bce_grad_a_is_exact_where_the_sigmoid_saturates():
    """At z = −40 with y = 1: ∂ℓ/∂a = −1/a = −(1 + e⁴⁰) ≈ −2.354e17 (the tanh form gave a = 0 and −1e300)."""
    z = np.array([[-40.0, 40.0, -40.0]])
    y = np.array([[1.0, 0.0, 0.0]])
    a = ACTIVATIONS["sigmoid"].forward(z)
    grad_a = LOSSES["bce"].grad_a(z, a, y)
    np.testing.assert_allclose(grad_a[0], [-(1 + math.exp(40.0)), 1 + math.exp(40.0), 1.0], rtol=1e-13)
    assert grad_a[0, 0] == pytest.approx(-2.3538526683702e17, rel=1e-12, abs=0)


def test_cross_entropy_grad_a_from_z_where_a_underflows():
    z = np.array([[0.0, -800.0], [0.0, -40.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = ACTIVATIONS["softmax"].forward(z)
        grad_a = LOSSES["cross_entropy"].grad_a(z, a, y)
    assert a[0, 1] == 0.0 and np.isfinite(grad_a[0, 1]) and grad_a[0, 1] < -1e299  # huge, finite
    assert grad_a[1, 1] == pytest.approx(-(1 + math.exp(40.0)), rel=1e-13)
    assert grad_a[0, 0] == 0.0
