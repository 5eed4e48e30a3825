"""Tests for explainer.engine.parameters: the size limits, the flat layout θ and its names, computed by
arithmetic and checked here against the plain list of names."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer.engine.parameters import (
    MAX_LAYERS,
    MAX_PARAMETERS,
    MAX_WIDTH,
    LayerList,
    ParameterNames,
    Parameters,
    check_batch_norm,
    check_sizes,
    count_parameters,
    layer_views,
    norm_views,
    parameter_names,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=5))
def test_names_by_arithmetic_match_the_list(sizes):
    names = parameter_names(sizes)
    table = ParameterNames(tuple(sizes))
    assert table.size == len(names) == count_parameters(sizes)
    assert table.all() == names
    for i, name in enumerate(names):
        assert table.name_of(i) == name
        assert table.index_of(name) == i
    for layer in range(1, len(sizes)):
        for kind in "Wb":
            expected = [i for i, n in enumerate(names) if n.startswith(f"{kind}{layer}[")]
            np.testing.assert_array_equal(table.indices([f"{kind}{layer}"], "freeze"), expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=3, max_size=6).flatmap(
    lambda sizes: st.tuples(st.just(sizes), st.lists(st.booleans(), min_size=len(sizes) - 2, max_size=len(sizes) - 2))
))  # fmt: skip
def test_names_with_batch_norm_by_arithmetic_match_the_list(case):
    sizes, flags = case
    names = parameter_names(sizes, flags)
    table = ParameterNames(tuple(sizes), flags)
    assert table.size == len(names) == count_parameters(sizes, flags)
    assert table.all() == names
    assert names[: count_parameters(sizes)] == parameter_names(sizes)  # W and b keep their places
    for i, name in enumerate(names):
        assert table.name_of(i) == name
        assert table.index_of(name) == i
    for layer in range(1, len(sizes) - 1):
        for kind in ("gamma", "beta"):
            expected = [i for i, n in enumerate(names) if n.startswith(f"{kind}{layer}[")]
            if flags[layer - 1]:
                assert len(expected) == sizes[layer]
                np.testing.assert_array_equal(table.indices([f"{kind}{layer}"], "freeze"), expected)
            else:
                assert expected == []
                with pytest.raises(ValueError, match=f"freeze: layer {layer} in '{kind}{layer}' has no batch norm"):
                    table.indices([f"{kind}{layer}"], "freeze")


def test_batch_norm_views_follow_the_weights_and_biases():
    p = Parameters((2, 3, 2, 1), (True, True))
    p.theta[:] = np.arange(p.theta.size)
    assert p.theta.size == 9 + 8 + 3 + 6 + 4
    np.testing.assert_array_equal(p.gammas[0], [20, 21, 22])
    np.testing.assert_array_equal(p.betas[0], [23, 24, 25])
    np.testing.assert_array_equal(p.gammas[1], [26, 27])
    np.testing.assert_array_equal(p.betas[1], [28, 29])
    assert p.gammas[2] is None and p.betas[2] is None
    p.frozen[[21, 29]] = True
    assert p.frozen_names() == ["gamma1[1]", "beta2[1]"]
    assert p.frozen_gammas[0][1] and p.frozen_betas[1][1]
    p.grad_betas[0][...] = 5.0
    np.testing.assert_array_equal(p.grad[23:26], 5.0)
    assert norm_views(p.theta, (2, 3, 2, 1), (False, True), "gamma")[0] is None
    p.gammas[1] = [1.0, 2.0]
    np.testing.assert_array_equal(p.theta[26:28], [1, 2])
    with pytest.raises(ValueError, match=r"gammas\[2\]: layer 3 has no batch norm"):
        p.gammas[2] = [1.0]


def test_check_batch_norm():
    assert check_batch_norm(True, (2, 3, 3, 1)) == (True, True)
    assert check_batch_norm(False, (2, 1)) == ()
    assert check_batch_norm([False, np.True_], (2, 3, 3, 1)) == (False, True)
    for value, match in (
        ([True], "must be True, False or 2 flags"),
        ({"a": 1}, "must be True, False or one True/False per hidden layer"),
        ([1, 0], r"batch_norm\[0\] must be True or False; got 1"),
    ):
        with pytest.raises(ValueError, match=match):
            check_batch_norm(value, (2, 3, 3, 1))
    with pytest.raises(ValueError, match=r"data\['batch_norm'\]=True puts batch norm on the hidden layers"):
        check_batch_norm(True, (2, 1), "data['batch_norm']")


def test_unknown_names_are_value_errors_listing_examples():
    table = ParameterNames((2, 3, 1))
    for bad in ("W3[0,0]", "W1[2,0]", "W1[0,3]", "b1[3]", "b1[0,0]", "W1[0]", "x", 5, None, "W0[0,0]"):
        with pytest.raises(ValueError, match=r"parameter name must be one of .*W1\[0,0\].*b2\[0\]"):
            table.index_of(bad)
    with pytest.raises(ValueError, match="freeze: layer in 'W3' must be 1 to 2"):
        table.indices(["W3"], "freeze")
    assert table.indices([], "freeze").shape == (0,)
    for bad in ("gamma1[0]", "beta1[0]", "gamma1[0,0]"):  # no batch norm here
        with pytest.raises(ValueError, match=r"parameter name must be one of .*W1\[0,0\].*b2\[0\]"):
            table.index_of(bad)
    with_norm = ParameterNames((2, 3, 1), (True,))
    for bad in ("gamma1[3]", "gamma2[0]", "beta1", "gamma1[0,0]", "gama1[0]"):
        with pytest.raises(ValueError, match=r"parameter name must be one of .*W1\[0,0\].*beta1\[2\]"):
            with_norm.index_of(bad)
    assert with_norm.index_of(" gamma1[ 2 ] ") == 15


@pytest.mark.parametrize(
    ("sizes", "match"),
    [
        ([2], "at least 2 entries"),
        ("22", "list of layer widths"),
        (5, "list of layer widths"),
        ([2, 0], r"sizes\[1\] must be an integer from 1 to 4,096"),
        ([2, MAX_WIDTH + 1], r"sizes\[1\]"),
        ([2, 2.0], r"sizes\[1\]"),
        ([1] * (MAX_LAYERS + 2), f"at most {MAX_LAYERS + 1} entries"),
        ([1001, 1000], f"at most {MAX_PARAMETERS:,}"),
    ],
)
def test_check_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        check_sizes(sizes)


def test_the_limits_themselves_are_allowed():
    assert check_sizes([1] * (MAX_LAYERS + 1)) == (1,) * (MAX_LAYERS + 1)
    assert check_sizes([MAX_WIDTH, 243]) == (MAX_WIDTH, 243) and count_parameters([MAX_WIDTH, 243]) <= MAX_PARAMETERS
    assert check_sizes((n for n in (2, 3, 1)), "data['sizes']") == (2, 3, 1)


def test_views_share_the_flat_buffer():
    p = Parameters((2, 3, 1))
    p.theta[:] = np.arange(p.theta.size)
    np.testing.assert_array_equal(p.weights[0], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(p.biases[0], [6, 7, 8])
    np.testing.assert_array_equal(p.weights[1], [[9], [10], [11]])
    np.testing.assert_array_equal(p.biases[1], [12])
    p.frozen[[1, 12]] = True
    assert p.frozen_names() == ["W1[0,1]", "b2[0]"]
    assert p.frozen_w[0][0, 1] and p.frozen_b[1][0]
    grads = layer_views(p.grad, (2, 3, 1), "W")
    grads[1][...] = 7.0
    np.testing.assert_array_equal(p.grad[9:12], 7.0)


def test_layer_list_assignment_copies_with_checks():
    p = Parameters((2, 2))
    assert isinstance(p.weights, LayerList)
    p.weights[0] = [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(p.theta[:4], [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(2, 2\)"):
        p.weights[0] = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"biases\[0\] must hold only finite numbers"):
        p.biases[0] = [np.nan, 0.0]
