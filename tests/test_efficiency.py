"""explainer.course.efficiency: backprop's cost against finite differences, gradient norms by activation."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import Network
from explainer.course.datasets import make_dataset
from explainer.course.efficiency import (
    CostComparison,
    GradientNorms,
    compare_gradient_costs,
    count_operations,
    finite_difference_gradient,
    gradient_norms_by_activation,
)


# ---------------------------------------------------------------------------------------------- operation counts
def test_count_operations_2_2_2_by_hand():
    ops = count_operations([2, 2, 2], n_samples=3)
    # forward: 3·(2·2 + 2·2) = 24; backward: ∂L/∂W of both layers (24) + δ² W²ᵀ only (12)
    assert (ops.forward, ops.backward, ops.backprop) == (24, 36, 60)
    assert ops.n_parameters == 12
    assert ops.finite_difference_forward_passes == 24
    assert ops.finite_differences == 24 * 24
    assert ops.backprop_forward_passes == pytest.approx(2.5)
    assert ops.ratio == pytest.approx(24 / 2.5)


def test_backprop_costs_at_most_three_forward_passes_while_fd_grows_with_p():
    for w in (2, 8, 32, 128):
        ops = count_operations([2, w, w, w, 1], n_samples=16)
        assert 2.0 <= ops.backprop_forward_passes < 3.0
        assert ops.finite_difference_forward_passes == 2 * ops.n_parameters
    small, big = count_operations([2, 4, 1]), count_operations([2, 64, 64, 1])
    assert big.ratio > 100 * small.ratio


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"sizes": "2,2"}, "sizes"),
        ({"sizes": [2]}, "sizes"),
        ({"sizes": [2, 0, 1]}, "sizes\\[1\\]"),
        ({"sizes": [2, 2], "n_samples": 0}, "n_samples"),
    ],
)
def test_count_operations_validation(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        count_operations(**kwargs)


# ---------------------------------------------------------------------------------------------- timings
@pytest.fixture(scope="module")
def comparison() -> CostComparison:
    return compare_gradient_costs(widths=(2, 8, 24), depth=2, n_samples=16, repeats=2, seed=0)


def test_comparison_structure(comparison):
    assert comparison.widths == (2, 8, 24)
    assert comparison.sizes == ((2, 2, 2, 1), (2, 8, 8, 1), (2, 24, 24, 1))
    expected_p = [4 * w + 1 + (w * w + w) for w in (2, 8, 24)]
    assert comparison.n_parameters.tolist() == expected_p
    assert np.all(np.diff(comparison.n_parameters) > 0)
    assert comparison.finite_difference_forward_passes.tolist() == [2 * p for p in expected_p]
    np.testing.assert_allclose(
        comparison.backprop_forward_passes, [count_operations(s, 16).backprop_forward_passes for s in comparison.sizes]
    )
    for arr in (comparison.backprop_seconds, comparison.finite_difference_seconds, comparison.forward_seconds):
        assert arr.shape == (3,) and np.all(arr > 0)
    np.testing.assert_allclose(comparison.ratio, comparison.finite_difference_seconds / comparison.backprop_seconds)
    np.testing.assert_allclose(
        comparison.measured_backprop_forward_passes, comparison.backprop_seconds / comparison.forward_seconds
    )


def test_finite_differences_and_backprop_agree(comparison):
    # The two methods compute the same P numbers: a comparison of costs, not of answers.
    assert np.all(comparison.max_abs_difference < 1e-8)


def test_finite_differences_are_much_slower_for_larger_nets(comparison):
    # 2P forward passes against ~3 forward passes' worth: for P = 697 the theory says ~450×; a factor 10
    # leaves room for a loaded machine.
    big = comparison.n_parameters >= 300
    assert big.any()
    assert np.all(comparison.finite_difference_seconds[big] > 10 * comparison.backprop_seconds[big])
    # and FD needs more time than one forward pass times the number of passes it makes, roughly
    assert np.all(comparison.finite_difference_seconds[big] > comparison.forward_seconds[big])


def test_comparison_is_deterministic_except_for_times():
    a = compare_gradient_costs(widths=(3, 5), n_samples=4, repeats=1, seed=1)
    b = compare_gradient_costs(widths=(3, 5), n_samples=4, repeats=1, seed=1)
    assert a.sizes == b.sizes
    np.testing.assert_array_equal(a.n_parameters, b.n_parameters)
    np.testing.assert_array_equal(a.max_abs_difference, b.max_abs_difference)


def test_table_lists_every_network(comparison):
    text = comparison.table()
    assert str(comparison) == text
    lines = text.splitlines()
    assert len(lines) == 1 + 3
    assert lines[3].startswith("2-24-24-1") and " 697 " in lines[3] and "1394" in lines[3]


def test_finite_difference_gradient_matches_backprop_and_restores_parameters():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net = Network([3, 4, 2], activation="tanh", output_activation="identity", loss="mse", seed=3)
    before = net.parameters
    numeric = finite_difference_gradient(net, net.check_X(X), net.check_y(y, 5))
    np.testing.assert_array_equal(net.parameters, before)
    np.testing.assert_allclose(numeric, net.backprop(X, y).gradient_vector(), atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"widths": "248"}, "widths"),
        ({"widths": ()}, "widths"),
        ({"widths": (4, 2)}, "widths"),
        ({"widths": (2, 2)}, "widths"),
        ({"widths": (2, 0)}, "widths\\[1\\]"),
        ({"depth": 0}, "depth"),
        ({"n_samples": 0}, "n_samples"),
        ({"repeats": 0}, "repeats"),
        ({"repeats": 1.5}, "repeats"),
        ({"seed": -1}, "seed"),
    ],
)
def test_compare_gradient_costs_validation(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        compare_gradient_costs(**{"widths": (2,), **kwargs})


# ---------------------------------------------------------------------------------------------- vanishing gradients
@pytest.fixture(scope="module")
def norms() -> GradientNorms:
    return gradient_norms_by_activation()


def test_norms_shapes_and_labels(norms):
    assert norms.activations == ("sigmoid", "tanh", "relu")
    assert norms.sizes == (2, 8, 8, 8, 8, 8, 8, 1)
    assert norms.weight_norms.shape == norms.delta_norms.shape == (3, 7)
    assert norms.layers.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert norms.steps == 0 and norms.weight_norms_after is None and norms.losses_after is None


def test_sigmoid_gradients_vanish_relu_gradients_do_not(norms):
    sigmoid, tanh, relu = norms.first_to_last()
    assert sigmoid < 1e-3  # orders of magnitude: each layer back multiplies by σ′ ≤ ¼
    assert 0.1 < relu < 10  # He initialisation keeps ReLU's gradient about level
    assert 0.05 < tanh < 10
    assert relu > 100 * sigmoid and tanh > 100 * sigmoid
    # For sigmoid every step back towards the input shrinks the gradient.
    assert np.all(np.diff(norms.weight_norms[0]) > 0)
    assert np.all(np.diff(norms.delta_norms[0]) > 0)


def test_norms_are_the_engine_records_norms(norms):
    data = make_dataset("circles", n_samples=64, noise=0.05, seed=0)
    for a, name in enumerate(norms.activations):
        net = Network(list(norms.sizes), activation=name, output_activation="sigmoid", loss="bce", seed=0)
        rec = net.backprop(data.X_train, data.y_train)
        for layer in range(7):
            assert norms.weight_norms[a, layer] == pytest.approx(np.sqrt(np.sum(rec.grad_weights[layer] ** 2)))
            assert norms.delta_norms[a, layer] == pytest.approx(np.sqrt(np.sum(rec.deltas[layer] ** 2)))
        assert norms.losses[a] == pytest.approx(rec.loss)


def test_norms_are_deterministic(norms):
    again = gradient_norms_by_activation()
    np.testing.assert_array_equal(again.weight_norms, norms.weight_norms)
    np.testing.assert_array_equal(again.delta_norms, norms.delta_norms)


def test_norms_after_training():
    result = gradient_norms_by_activation(("tanh", "relu"), depth=3, width=6, steps=40, lr=0.5)
    assert result.weight_norms_after.shape == result.delta_norms_after.shape == (2, 4)
    assert np.all(result.losses_after < result.losses)  # both networks learned something
    assert not np.allclose(result.weight_norms_after, result.weight_norms)
    np.testing.assert_allclose(
        result.first_to_last(after=True), result.weight_norms_after[:, 0] / result.weight_norms_after[:, -1]
    )


def test_first_to_last_after_needs_steps(norms):
    with pytest.raises(ValueError, match="steps > 0"):
        norms.first_to_last(after=True)


def test_norms_table(norms):
    lines = norms.table().splitlines()
    assert lines[0].split()[:3] == ["activation", "layer", "1"]
    assert lines[1].startswith("sigmoid") and f"{norms.weight_norms[0, 0]:.2e}" in lines[1]
    assert len(lines) == 4


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"activations": "sigmoid"}, "activations"),
        ({"activations": ()}, "activations"),
        ({"activations": ("sigmoid", "swish")}, "activations\\[1\\]"),
        ({"activations": ("softmax",)}, "activations\\[0\\]"),
        ({"activations": ("relu", "relu")}, "activations"),
        ({"depth": 0}, "depth"),
        ({"width": 0}, "width"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"steps": -1}, "steps"),
        ({"lr": 0}, "lr"),
        ({"init": "glorot"}, "init"),
        ({"dataset": "sine"}, "dataset"),
        ({"n_samples": 1}, "n_samples"),
    ],
)
def test_gradient_norms_validation(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        gradient_norms_by_activation(**kwargs)


# ---------------------------------------------------------------------------------------------- bounds
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"widths": [10**5]}, r"widths\[0\] must be an integer from 1 to 4,096"),  # before: 3 GB
        ({"widths": [200]}, "the widest network, .* has 41,001 parameters; at most 10,000"),
        ({"widths": list(range(1, 12))}, "at most 10 widths"),
        ({"depth": 11}, "depth must be an integer from 1 to 10"),
        ({"n_samples": 1001}, "n_samples must be an integer from 1 to 1,000"),
        ({"repeats": 11}, "repeats must be an integer from 1 to 10"),
        ({"widths": [60, 64], "n_samples": 1000, "repeats": 10}, "ask for .* multiply-adds of finite differences"),
    ],
)
def test_compare_gradient_costs_is_bounded_before_building_anything(kwargs, match):
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        compare_gradient_costs(**{"widths": (2,), **kwargs})
    assert time.perf_counter() - start < 0.1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"width": 5000}, "width must be an integer from 1 to 4,096"),
        ({"depth": 100}, "depth must be an integer from 1 to 99"),
        ({"width": 4096, "depth": 3}, "depth and width: sizes .* at most 1,000,000"),
        ({"steps": 10_001}, "steps must be an integer from 0 to 10,000"),
        ({"n_samples": 10**6}, "n_samples must be an integer from 2 to 100,000"),
        ({"steps": 10_000, "n_samples": 100_000}, "ask for about .* multiply-adds"),
    ],
)
def test_gradient_norms_are_bounded(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gradient_norms_by_activation(**kwargs)


def test_count_operations_refuses_an_endless_generator():
    import itertools

    with pytest.raises(ValueError, match="at most 1001 entries"):
        count_operations(itertools.repeat(3))
