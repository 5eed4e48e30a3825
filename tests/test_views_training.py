"""Training figures: loss curve, per-layer gradient norms, decision boundary — values, divergence, validation."""

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import Network
from explainer.course.datasets import make_dataset
from explainer.engine.boundary import decision_grid
from explainer.engine.training import train
from explainer.views.style import QUALITATIVE
from explainer.views.training import (
    BINARY_COLORS,
    CLASS_SYMBOLS,
    plot_decision_boundary,
    plot_gradient_norms,
    plot_loss_curve,
)


def assert_all_finite(fig: go.Figure) -> None:
    """Every number anywhere in the figure (data, layout, frames) is finite."""

    def walk(obj, where):
        if isinstance(obj, dict):
            if "bdata" in obj and "dtype" in obj:
                import base64

                arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
                assert np.all(np.isfinite(arr)), where
                return
            for k, v in obj.items():
                walk(v, f"{where}.{k}")
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                walk(v, f"{where}[{i}]")
        elif isinstance(obj, np.ndarray):
            if obj.dtype.kind in "fc":
                assert np.all(np.isfinite(obj)), where
            elif obj.dtype.kind == "O":
                walk(obj.tolist(), where)
        elif isinstance(obj, float):
            assert math.isfinite(obj), where

    walk(fig.to_dict(), "fig")
    json.loads(fig.to_json())  # and it serialises


@pytest.fixture(scope="module")
def moons():
    return make_dataset("moons", 120, noise=0.15, seed=0, test_fraction=0.25)


@pytest.fixture(scope="module")
def trained(moons):
    net = Network([2, 6, 6, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    history = train(
        net,
        moons.X_train,
        moons.targets("train"),
        optimizer="adam",
        lr=0.05,
        steps=60,
        X_test=moons.X_test,
        y_test=moons.targets("test"),
    )
    return net, history


@pytest.fixture(scope="module")
def diverged(moons):
    net = Network([2, 8, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    history = train(net, moons.X_train, moons.targets("train"), lr=5.0, steps=200)
    assert history.diverged
    return history


def _by_name(fig, name):
    return [t for t in fig.data if t.name == name]


# ---------------------------------------------------------------------------------------------- loss curve
def test_loss_curve_draws_the_engine_losses(trained):
    _, h = trained
    fig = plot_loss_curve(h)
    (train_trace,) = _by_name(fig, "train loss")
    (test_trace,) = _by_name(fig, "test loss")
    np.testing.assert_array_equal(train_trace.x, h.steps)
    np.testing.assert_array_equal(train_trace.y, h.train_loss)
    np.testing.assert_array_equal(test_trace.y, h.test_loss)
    assert fig.layout.yaxis.type == "linear"
    assert plot_loss_curve(h, log_y=True).layout.yaxis.type == "log"
    assert_all_finite(fig)


def test_loss_curve_without_test_loss(moons):
    net = Network([2, 3, 1], output_activation="sigmoid", loss="bce", seed=0)
    h = train(net, moons.X_train, moons.targets("train"), steps=5)
    fig = plot_loss_curve(h)
    assert [t.name for t in fig.data] == ["train loss"]


def test_loss_curve_of_a_diverged_run(diverged):
    h = diverged
    for log_y in (False, True):
        fig = plot_loss_curve(h, log_y=log_y, theme="dark", lecture=True)
        assert any(a.name == "divergence" for a in fig.layout.annotations)
        step = int(h.steps[h.diverged_at])
        (marker,) = [t for t in fig.data if t.name == f"diverged at step {step}"]
        assert list(marker.x) == [step]
        finite = h.train_loss[np.isfinite(h.train_loss)]
        assert marker.y[0] == finite[-1]
        (train_trace,) = _by_name(fig, "train loss")
        assert len(train_trace.y) == np.isfinite(h.train_loss).sum()
        assert any(s.x0 == step for s in fig.layout.shapes)  # the dashed line at the step
        assert_all_finite(fig)


# ---------------------------------------------------------------------------------------------- gradient norms
def test_gradient_norm_traces_are_the_history_columns(trained):
    _, h = trained
    fig = plot_gradient_norms(h)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert [t.name for t in lines] == ["layer 1 (input side)", "layer 2", "layer 3 (output side)"]
    for layer, trace in enumerate(lines):
        np.testing.assert_array_equal(trace.y, h.grad_norms[:, layer])
        np.testing.assert_array_equal(trace.x, h.steps)
    colors = [t.line.color for t in lines]
    assert len(set(colors)) == 3
    (bars,) = [t for t in fig.data if t.type == "bar"]
    np.testing.assert_array_equal(bars.y, h.grad_norms[-1])
    assert list(bars.x) == ["W1", "W2", "W3"]
    assert fig.layout.yaxis.type == "log"
    assert_all_finite(fig)


def test_gradient_norms_without_the_bar_panel(trained):
    _, h = trained
    fig = plot_gradient_norms(h, latest=False, log_y=False)
    assert all(t.type == "scatter" for t in fig.data)
    assert fig.layout.yaxis.type == "linear"


def test_gradient_norms_of_a_diverged_run_say_where_they_vanish(diverged):
    h = diverged
    fig = plot_gradient_norms(h)
    assert any(a.name == "divergence" for a in fig.layout.annotations)
    # In this run the saturated tanh layer's gradient becomes exactly 0: the figure says so.
    if np.any(h.grad_norms[:, 0] == 0):
        assert any("exactly 0" in (a.text or "") for a in fig.layout.annotations)
    for layer, trace in enumerate(t for t in fig.data if t.type == "scatter"):
        keep = np.isfinite(h.grad_norms[:, layer]) & (h.grad_norms[:, layer] > 0)
        np.testing.assert_array_equal(trace.y, h.grad_norms[keep, layer])
    assert_all_finite(fig)


# ---------------------------------------------------------------------------------------------- decision boundary
def test_binary_boundary_heat_map_is_the_grid(trained, moons):
    net, _ = trained
    grid = decision_grid(net, np.vstack([moons.X_train, moons.X_test]), resolution=40)
    fig = plot_decision_boundary(grid, moons.X_train, moons.y_train, X_test=moons.X_test, y_test=moons.y_test)
    (heat,) = [t for t in fig.data if t.type == "heatmap"]
    np.testing.assert_array_equal(heat.z, grid.outputs[..., 0])
    np.testing.assert_array_equal(heat.x, grid.x)
    np.testing.assert_array_equal(heat.y, grid.y)
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    (contour,) = [t for t in fig.data if t.type == "contour"]
    assert contour.contours.start == contour.contours.end == 0.5
    # Points: one trace per class and split; class by colour and shape, split by outline.
    for k in (0, 1):
        (tr,) = _by_name(fig, f"class {k} (train)")
        (te,) = _by_name(fig, f"class {k} (test)")
        np.testing.assert_array_equal(tr.x, moons.X_train[moons.y_train == k, 0])
        np.testing.assert_array_equal(te.y, moons.X_test[moons.y_test == k, 1])
        assert tr.marker.color == te.marker.color == BINARY_COLORS[k]
        assert tr.marker.symbol == te.marker.symbol == CLASS_SYMBOLS[k]
        assert tr.marker.line.color != te.marker.line.color
    assert_all_finite(fig)


def test_boundary_from_a_network_calls_the_engine(trained, moons):
    net, _ = trained
    fig = plot_decision_boundary(net, moons.X_train, moons.y_train, resolution=30, margin=0.2)
    grid = decision_grid(net, moons.X_train, resolution=30, margin=0.2)
    (heat,) = [t for t in fig.data if t.type == "heatmap"]
    np.testing.assert_allclose(heat.z, grid.outputs[..., 0])


def test_multiclass_boundary_colours_by_predicted_class():
    blobs = make_dataset("blobs", 90, seed=1)
    net = Network([2, 8, 3], activation="relu", output_activation="softmax", loss="cross_entropy", seed=0)
    train(net, blobs.X_train, blobs.targets("train"), optimizer="adam", lr=0.05, steps=40)
    grid = decision_grid(net, blobs.X_train, resolution=25)
    fig = plot_decision_boundary(grid, blobs.X_train, blobs.y_train)
    (heat,) = [t for t in fig.data if t.type == "heatmap"]
    np.testing.assert_array_equal(np.asarray(heat.customdata)[..., 0], grid.predicted)
    np.testing.assert_array_equal(np.floor(heat.z), grid.predicted)  # class k lives in the band [k, k+1)
    for k in range(3):
        (tr,) = _by_name(fig, f"class {k} (train)")
        assert tr.marker.color == QUALITATIVE[k]
        assert tr.marker.symbol == CLASS_SYMBOLS[k]
    assert_all_finite(fig)


def test_one_input_regression_draws_the_curve():
    sine = make_dataset("sine", 60, seed=0, test_fraction=0.2)
    net = Network([1, 8, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    train(net, sine.X_train, sine.targets("train"), optimizer="adam", lr=0.02, steps=30)
    fig = plot_decision_boundary(net, sine.X_train, sine.y_train, X_test=sine.X_test, y_test=sine.y_test)
    (curve,) = _by_name(fig, "network a(x)")
    grid = decision_grid(net, np.vstack([sine.X_train, sine.X_test]))
    np.testing.assert_allclose(curve.x, grid.x)
    np.testing.assert_allclose(curve.y, grid.outputs[:, 0])
    (points,) = _by_name(fig, "train data")
    np.testing.assert_array_equal(points.y, sine.y_train)
    assert _by_name(fig, "test data")


def test_non_finite_grid_cells_are_left_blank():
    net = Network([2, 1], output_activation="identity", seed=0)
    net.weights[0] = [[1e308], [-1e308]]
    X = np.array([[5.0, 5.0], [10.0, 10.0], [-10.0, 3.0]])
    fig = plot_decision_boundary(net, X, [0, 1, 1], task="binary", resolution=8)
    assert any(a.name == "divergence" for a in fig.layout.annotations)
    assert_all_finite(fig)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda net, X, y: plot_decision_boundary("grid", X, y), "source"),
        (lambda net, X, y: plot_decision_boundary(net, X, y, theme="sepia"), "theme"),
        (lambda net, X, y: plot_decision_boundary(net, X, y, lecture="yes"), "lecture"),
        (lambda net, X, y: plot_decision_boundary(net, X, y, width=20), "width"),
        (lambda net, X, y: plot_decision_boundary(net, X, y, resolution=1), "resolution"),
        (lambda net, X, y: plot_decision_boundary(net, np.ones((4, 3)), y[:4]), "X must have 2 feature columns"),
        (lambda net, X, y: plot_decision_boundary(net, X, y + 5), "y must be class labels"),
        (lambda net, X, y: plot_decision_boundary(net, X, y[:-1]), "y must have one target per row"),
        (lambda net, X, y: plot_decision_boundary(net, None, y), "X must be given"),
        (lambda net, X, y: plot_decision_boundary(net, X, y, X_test=X[:3]), "y_test"),
    ],
)
def test_decision_boundary_validation(trained, moons, call, match):
    net, _ = trained
    with pytest.raises(ValueError, match=match):
        call(net, moons.X_train, moons.y_train)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda h: plot_loss_curve("history"), "history"),
        (lambda h: plot_loss_curve(h, log_y=1), "log_y"),
        (lambda h: plot_loss_curve(h, theme="neon"), "theme"),
        (lambda h: plot_gradient_norms(h, latest="no"), "latest"),
        (lambda h: plot_gradient_norms([h]), "history"),
        (lambda h: plot_gradient_norms(h, height=10), "height"),
    ],
)
def test_history_figure_validation(trained, call, match):
    _, h = trained
    with pytest.raises(ValueError, match=match):
        call(h)
