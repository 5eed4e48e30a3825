"""Tests for explainer.engine.gradcheck: backprop agrees with finite differences on random architectures,
activations and losses (hypothesis), and gradcheck does flag a wrong derivative.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from explainer import GradcheckReport, Network, gradcheck
from explainer.engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from explainer.engine.losses import LOSSES

KINKED = ("relu", "leaky_relu")
KINK_MARGIN = 1e-2  # the stencil moves a weight by at most 2h = 2e-3; keep every relu input farther than that
TOL = 1e-7
# See test_default_floor_flags_correct_tiny_gradients: with the default floor (1e-6) finite-difference
# rounding noise alone can exceed TOL for gradients near 1e-6, so the property test uses 1e-4.
FLOOR = 1e-4


def make_targets(loss, n, n_out, rng):
    if loss == "cross_entropy":
        return rng.integers(0, n_out, size=n)
    if loss == "bce":
        return rng.uniform(0.0, 1.0, size=(n, n_out))
    return rng.uniform(-1.0, 1.0, size=(n, n_out))


@st.composite
def problems(draw):
    """A random network (1–4 weight layers, widths 1–5), loss, batch (1–6) and seed."""
    depth = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1))
    hidden = draw(st.lists(st.sampled_from(HIDDEN_ACTIVATIONS), min_size=depth - 1, max_size=depth - 1))
    loss = draw(st.sampled_from(list(LOSSES)))
    output = LOSSES[loss].output_activation or draw(st.sampled_from(OUTPUT_ACTIVATIONS))
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    n = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    return sizes, hidden, output, loss, n, seed


def build(sizes, hidden, output, loss, n, seed):
    rng = np.random.default_rng(seed)
    net = Network(sizes, activation=hidden, output_activation=output, loss=loss, seed=rng)
    X = rng.uniform(-1.0, 1.0, size=(n, sizes[0]))
    y = make_targets(loss, n, sizes[-1], rng)
    return net, X, y


def away_from_kinks(net, X):
    """True when no relu-like layer has a pre-activation within KINK_MARGIN of 0."""
    p = net.forward_pass(net.check_X(X))
    return all(np.min(np.abs(z)) > KINK_MARGIN for name, z in zip(net.layer_activations, p.z) if name in KINKED)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(problems())
def test_backprop_matches_finite_differences_on_random_networks(problem):
    net, X, y = build(*problem)
    assume(away_from_kinks(net, X))
    theta0 = net.parameters
    report = gradcheck(net, X, y, floor=FLOOR)
    assert report.ok(TOL), f"{net!r}\n{report.table()}"
    assert report.names == net.parameter_names
    np.testing.assert_array_equal(report.analytic, net.backprop(X, y).gradient_vector())
    np.testing.assert_array_equal(net.parameters, theta0)  # left unchanged


def test_report_fields_and_table():
    net = Network([2, 3, 1], activation="tanh", seed=0)
    X = np.array([[0.1, -0.4], [0.7, 0.2]])
    y = np.array([0.3, 0.9])
    report = gradcheck(net, X, y, floor=1e-6)
    assert isinstance(report, GradcheckReport)
    assert report.h == 1e-3 and report.order == 4
    P = net.n_parameters
    assert report.analytic.shape == report.numeric.shape == report.rel_error.shape == (P,)
    denom = np.maximum(np.maximum(np.abs(report.analytic), np.abs(report.numeric)), 1e-6)
    np.testing.assert_allclose(report.rel_error, np.abs(report.analytic - report.numeric) / denom, rtol=1e-15)
    assert report.max_rel_error == report.rel_error.max()
    assert report.worst == report.names[int(np.argmax(report.rel_error))]
    assert report.ok(1e-7) and report.max_rel_error > 0
    assert report.ok(report.max_rel_error) and not report.ok(report.max_rel_error / 2)
    lines = report.table().splitlines()
    assert len(lines) == P + 2
    assert lines[0].split()[:2] == ["parameter", "backprop"]
    for name, line in zip(report.names, lines[1:-1]):
        assert line.split()[0] == name
        assert float(line.split()[1]) == pytest.approx(report.analytic[report.names.index(name)], rel=1e-8, abs=1e-300)
    assert lines[-1].startswith("max relative error") and lines[-1].endswith(report.worst)
    assert str(report) == report.table()


def test_fourth_order_stencil_beats_the_second_order_one():
    net = Network([2, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1, init="normal")
    X = np.array([[0.5, -1.0], [1.5, 0.25]])
    y = np.array([[0.2, 0.8], [0.9, 0.1]])
    second = gradcheck(net, X, y, order=2, floor=FLOOR)
    fourth = gradcheck(net, X, y, order=4, floor=FLOOR)
    # truncation error ∝ h² for the textbook stencil, ∝ h⁴ for the fourth-order one (h = 1e-3)
    assert 1e-10 < second.max_rel_error < 1e-5
    assert fourth.max_rel_error < 1e-3 * second.max_rel_error
    np.testing.assert_array_equal(second.analytic, fourth.analytic)


def test_frozen_parameters_are_checked_too():
    net = Network([2, 2, 1], seed=0)
    net.freeze("W1")
    report = gradcheck(net, [[0.3, 0.6]], [0.5])
    assert report.names == net.parameter_names
    assert report.ok(TOL)
    assert net.frozen == ["W1[0,0]", "W1[0,1]", "W1[1,0]", "W1[1,1]"]


# ---------------------------------------------------------------------------------------------
# gradcheck can fail


def wrong_derivative(act, factor=1.01):
    """A copy of a registry entry whose derivative is off by ``factor``."""
    original = act.derivative
    return dataclasses.replace(act, derivative=lambda z, a: factor * original(z, a))


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_gradcheck_flags_a_wrong_hidden_derivative(hidden):
    rng = np.random.default_rng(3)
    net = Network([3, 4, 2], activation=hidden, output_activation="sigmoid", loss="mse", seed=rng)
    X = rng.uniform(-1, 1, size=(5, 3))
    y = rng.uniform(0, 1, size=(5, 2))
    assert away_from_kinks(net, X)
    assert gradcheck(net, X, y).ok(TOL)  # before the sabotage
    net._acts[0] = wrong_derivative(net._acts[0])
    report = gradcheck(net, X, y)
    assert not report.ok(TOL)
    failing = {name for name, e in zip(report.names, report.rel_error) if e > TOL}
    first_layer = {name for name in report.names if name.startswith(("W1[", "b1["))}
    assert failing and failing <= first_layer  # only the layer whose δ went through the wrong f′
    assert report.worst in first_layer
    # Every gradient of layer 1 that is not zero (a dead relu unit gives 0 either way) is off by 1 %.
    live = [i for i, name in enumerate(report.names) if name in first_layer and abs(report.numeric[i]) > 1e-8]
    np.testing.assert_allclose(report.analytic[live], 1.01 * report.numeric[live], rtol=1e-8)


def test_gradcheck_flags_a_wrong_output_derivative_everywhere():
    rng = np.random.default_rng(4)
    net = Network([2, 3, 2], activation="tanh", output_activation="tanh", loss="mse", seed=rng)
    X = rng.uniform(-1, 1, size=(4, 2))
    y = rng.uniform(-1, 1, size=(4, 2))
    net._acts[-1] = wrong_derivative(net._acts[-1], 0.98)
    report = gradcheck(net, X, y)
    assert not report.ok(TOL)
    assert np.all(report.rel_error > 1e-3)  # δ of the output feeds every gradient
    np.testing.assert_allclose(report.analytic, 0.98 * report.numeric, rtol=1e-8)


def test_gradcheck_flags_a_relu_kink():
    """At a kink the one-sided derivative backprop uses is not what finite differences see."""
    net = Network([1, 1, 1], activation="relu", output_activation="identity", loss="mse", seed=0)
    net.weights[0] = [[1.0]]
    net.biases[0] = [-0.5]  # z¹ = x − 0.5 = 0 exactly at x = 0.5
    net.weights[1] = [[1.0]]
    report = gradcheck(net, [[0.5]], [1.0])
    assert not report.ok(TOL)
    assert report.worst in ("W1[0,0]", "b1[0]")


# ---------------------------------------------------------------------------------------------
# The relative-error floor


def test_default_floor_accepts_correct_tiny_gradients():
    # One identity layer, zero weights: ∂L/∂W1[0,1] = a − y = −2e-6 exactly, while L = ½(10² + …) = 50.
    net = Network([1, 2], output_activation="identity", loss="mse", init="zeros")
    report = gradcheck(net, [[1.0]], [[10.0, 2e-6]])
    assert report.analytic[1] == -2e-6
    assert report.ok(TOL), report.table()
