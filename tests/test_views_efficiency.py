"""explainer.views.efficiency: the cost comparison and the gradient norms by activation, as figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from explainer.course.efficiency import CostComparison, gradient_norms_by_activation
from explainer.views.efficiency import plot_gradient_costs, plot_gradient_norms_by_activation
from explainer.views.style import THEMES


@pytest.fixture(scope="module")
def comparison() -> CostComparison:
    # Fixed numbers, not a measurement: the figure must show exactly these.
    return CostComparison(
        widths=(2, 8, 32),
        depth=2,
        n_samples=32,
        sizes=((2, 2, 2, 1), (2, 8, 8, 1), (2, 32, 32, 1)),
        n_parameters=np.array([15, 105, 1185]),
        backprop_seconds=np.array([3e-5, 4e-5, 7e-5]),
        finite_difference_seconds=np.array([4e-4, 9e-3, 0.16]),
        forward_seconds=np.array([1.2e-5, 1.5e-5, 3e-5]),
        max_abs_difference=np.array([1e-11, 2e-11, 3e-11]),
        repeats=3,
    )


@pytest.fixture(scope="module")
def norms():
    return gradient_norms_by_activation(("sigmoid", "relu"), depth=5, width=4, steps=5)


def _trace(fig: go.Figure, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, [t.name for t in fig.data]
    return matches[0]


# ---------------------------------------------------------------------------------------------- costs
def test_cost_traces_are_the_comparisons_numbers(comparison):
    fig = plot_gradient_costs(comparison)
    assert [t.name for t in fig.data] == [
        "one forward pass",
        "2P forward passes (theory)",
        "backprop",
        "finite differences",
    ]
    bp, fd = _trace(fig, "backprop"), _trace(fig, "finite differences")
    for trace in fig.data:
        np.testing.assert_array_equal(trace.x, [15, 105, 1185])
    np.testing.assert_array_equal(bp.y, comparison.backprop_seconds)
    np.testing.assert_array_equal(fd.y, comparison.finite_difference_seconds)
    np.testing.assert_array_equal(_trace(fig, "one forward pass").y, comparison.forward_seconds)
    np.testing.assert_allclose(_trace(fig, "2P forward passes (theory)").y, [30 * 1.2e-5, 210 * 1.5e-5, 2370 * 3e-5])
    # each finite-difference point carries its ratio to backprop
    assert list(fd.text) == ["13×", "225×", "2,286×"]
    assert list(bp.customdata) == ["2-2-2-1", "2-8-8-1", "2-32-32-1"]


def test_cost_axes_are_log_log_and_the_ratio_is_stated(comparison):
    fig = plot_gradient_costs(comparison)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    (note,) = [a for a in fig.layout.annotations if a.name == "ratio"]
    assert "P = 1,185" in note.text and "2,286×" in note.text and "2,370 forward passes" in note.text


def test_cost_options(comparison):
    fig = plot_gradient_costs(comparison, show_forward=False, show_theory=False, title=None, width=500, height=300)
    assert [t.name for t in fig.data] == ["backprop", "finite differences"]
    assert (fig.layout.width, fig.layout.height) == (500, 300)
    assert fig.layout.title.text is None
    dark = plot_gradient_costs(comparison, theme="dark", lecture=True)
    assert dark.layout.paper_bgcolor == THEMES["dark"].paper
    assert dark.layout.width > plot_gradient_costs(comparison).layout.width
    assert dark.layout.font.size > plot_gradient_costs(comparison).layout.font.size


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"theme": "neon"}, "theme"),
        ({"lecture": "yes"}, "lecture"),
        ({"width": 50}, "width"),
        ({"height": 2.5}, "height"),
        ({"show_forward": 1}, "show_forward"),
        ({"show_theory": None}, "show_theory"),
    ],
)
def test_cost_validation(comparison, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        plot_gradient_costs(comparison, **kwargs)


def test_cost_needs_a_comparison(norms):
    with pytest.raises(ValueError, match="comparison must be a CostComparison"):
        plot_gradient_costs(norms)


# ---------------------------------------------------------------------------------------------- norms
def test_norm_traces_are_the_results_numbers(norms):
    fig = plot_gradient_norms_by_activation(norms)
    names = [t.name for t in fig.data]
    assert names == ["sigmoid", "sigmoid after 5 steps", "relu", "relu after 5 steps"]
    for a, name in enumerate(norms.activations):
        start, after = _trace(fig, name), _trace(fig, f"{name} after 5 steps")
        np.testing.assert_array_equal(start.x, [1, 2, 3, 4, 5, 6])  # layer 1 = the input side
        np.testing.assert_array_equal(start.y, norms.weight_norms[a])
        np.testing.assert_array_equal(after.y, norms.weight_norms_after[a])
        assert after.line.dash == "dash" and start.line.color == after.line.color
    assert fig.layout.yaxis.type == "log"
    assert "input side" in fig.layout.xaxis.title.text


def test_norms_of_deltas_and_without_after(norms):
    fig = plot_gradient_norms_by_activation(norms, quantity="deltas", after=False)
    assert [t.name for t in fig.data] == ["sigmoid", "relu"]
    np.testing.assert_array_equal(fig.data[1].y, norms.delta_norms[1])
    assert "δ" in fig.layout.title.text and "δ" in fig.layout.yaxis.title.text


def test_norms_note_gives_first_to_last_ratios(norms):
    fig = plot_gradient_norms_by_activation(norms)
    (note,) = [a for a in fig.layout.annotations if a.name == "ratio"]
    assert note.text.startswith("layer 1 ÷ layer 6: sigmoid ")
    sigmoid, relu = norms.first_to_last()
    mantissa, exponent = f"{sigmoid:.1e}".split("e")
    power = str(int(exponent)).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    assert f"{mantissa}×10{power}" in note.text  # superscript digits: ×10⁻⁵, never ×10^−5
    assert f"relu {relu:.2g}" in note.text


def test_norms_after_is_drawn_only_when_computed():
    plain = gradient_norms_by_activation(("tanh",), depth=2, width=3)
    assert [t.name for t in plot_gradient_norms_by_activation(plain).data] == ["tanh"]
    with pytest.raises(ValueError, match="after=True needs a result computed with steps > 0"):
        plot_gradient_norms_by_activation(plain, after=True)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"quantity": "z"}, "quantity"),
        ({"after": "yes"}, "after"),
        ({"theme": 3}, "theme"),
        ({"lecture": None}, "lecture"),
        ({"width": 99}, "width"),
    ],
)
def test_norms_validation(norms, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        plot_gradient_norms_by_activation(norms, **kwargs)


def test_norms_need_a_result(comparison):
    with pytest.raises(ValueError, match="result must be a GradientNorms"):
        plot_gradient_norms_by_activation(comparison)
