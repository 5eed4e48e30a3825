"""decision_grid: the network's outputs on a grid over the input plane, in one batched forward pass."""

import numpy as np
import pytest

from explainer import Network
from explainer.engine.boundary import DecisionGrid, decision_grid, infer_task


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 2)) * [1.0, 3.0] + [0.5, -1.0]


def test_outputs_equal_forward_on_the_grid_points(X):
    net = Network([2, 5, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=1)
    grid = decision_grid(net, X, resolution=17)
    assert grid.outputs.shape == (17, 17, 1)
    # Image order: outputs[i, j] sits at (x[j], y[i]).
    i, j = 3, 11
    np.testing.assert_allclose(grid.outputs[i, j], net.forward(np.array([[grid.x[j], grid.y[i]]]))[0], rtol=1e-12)
    np.testing.assert_allclose(grid.outputs.reshape(-1, 1), net.forward(grid.points), rtol=1e-12)


def test_grid_covers_the_data_with_the_margin(X):
    net = Network([2, 3, 1], seed=0)
    grid = decision_grid(net, X, resolution=11, margin=0.25)
    for axis, column in ((grid.x, X[:, 0]), (grid.y, X[:, 1])):
        span = column.max() - column.min()
        assert axis[0] == pytest.approx(column.min() - 0.25 * span)
        assert axis[-1] == pytest.approx(column.max() + 0.25 * span)
        np.testing.assert_allclose(np.diff(axis), np.diff(axis)[0])


def test_binary_prediction_is_the_half_threshold(X):
    net = Network([2, 4, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=3)
    grid = decision_grid(net, X, resolution=25)
    assert grid.task == "binary"
    np.testing.assert_array_equal(grid.predicted, (grid.outputs[..., 0] >= 0.5).astype(int))
    assert set(np.unique(grid.predicted)) <= {0, 1}


def test_multiclass_prediction_is_the_argmax(X):
    net = Network([2, 6, 3], activation="relu", output_activation="softmax", loss="cross_entropy", seed=2)
    grid = decision_grid(net, X, resolution=20)
    assert grid.task == "multiclass"
    assert grid.outputs.shape == (20, 20, 3)
    np.testing.assert_allclose(grid.outputs.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(grid.predicted, grid.outputs.argmax(axis=-1))


def test_one_input_gives_a_curve():
    x = np.linspace(-3, 3, 30)[:, None]
    net = Network([1, 8, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    grid = decision_grid(net, x, resolution=50, margin=0.0)
    assert grid.task == "regression" and grid.y is None and grid.predicted is None
    assert grid.outputs.shape == (50, 1)
    assert grid.x[0] == pytest.approx(-3) and grid.x[-1] == pytest.approx(3)
    np.testing.assert_allclose(grid.outputs, net.forward(grid.x[:, None]), rtol=1e-12)
    np.testing.assert_array_equal(grid.points, grid.x[:, None])


def test_task_inference_and_override(X):
    assert infer_task(Network([2, 3], output_activation="softmax", loss="cross_entropy")) == "multiclass"
    assert infer_task(Network([2, 1], output_activation="sigmoid")) == "binary"
    assert infer_task(Network([2, 1], output_activation="identity")) == "regression"
    net = Network([2, 1], output_activation="sigmoid", seed=0)
    assert decision_grid(net, X, resolution=5, task="regression").predicted is None


def test_arrays_are_read_only(X):
    grid = decision_grid(Network([2, 1], seed=0), X, resolution=5)
    assert isinstance(grid, DecisionGrid)
    for arr in (grid.x, grid.y, grid.outputs, grid.predicted):
        assert not arr.flags.writeable


def test_non_finite_outputs_have_no_class():
    net = Network([2, 1], output_activation="identity", seed=0)
    net.weights[0] = [[1e308], [-1e308]]  # z = inf − inf = NaN where both inputs are large
    grid = decision_grid(net, np.array([[5.0, 5.0], [10.0, 10.0]]), resolution=4, margin=0.0, task="binary")
    bad = ~np.isfinite(grid.outputs[..., 0])
    assert bad.any()
    np.testing.assert_array_equal(grid.predicted[bad], -1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"resolution": 1}, "resolution"),
        ({"resolution": 2.5}, "resolution"),
        ({"margin": -0.1}, "margin"),
        ({"task": "ranking"}, "task"),
        ({"task": "multiclass"}, "task='multiclass'"),
    ],
)
def test_validation(X, kwargs, match):
    net = Network([2, 1], output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match=match):
        decision_grid(net, X, **kwargs)


def test_validation_of_net_and_X(X):
    with pytest.raises(ValueError, match="net"):
        decision_grid("not a network", X)
    with pytest.raises(ValueError, match="X must have 2 feature columns"):
        decision_grid(Network([3, 1]), np.ones((4, 3)))
    with pytest.raises(ValueError, match="X must have 1 feature columns"):
        decision_grid(Network([1, 1]), X)
    with pytest.raises(ValueError, match="X"):
        decision_grid(Network([2, 1]), np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="task='binary'"):
        decision_grid(Network([2, 2], output_activation="sigmoid"), X, task="binary")


def test_grid_bounds_are_value_errors_naming_the_argument():
    net = Network([2, 4, 3], output_activation="softmax", loss="cross_entropy", seed=0)
    X = np.random.default_rng(0).normal(size=(10, 2))
    decision_grid(net, X, resolution=1000)  # 10⁶ points × 3 outputs
    wide = Network([2, 8, 4000], seed=0)
    with pytest.raises(ValueError, match=r"resolution must be at most 50 for this network \(4000 outputs"):
        decision_grid(wide, X, resolution=51, task="multiclass")
    for margin in (-1.0, 11.0, float("nan"), 10**400, "0.1"):
        with pytest.raises(ValueError, match="margin"):
            decision_grid(net, X, margin=margin)


def test_the_grid_pass_goes_in_blocks_and_equals_one_pass(monkeypatch):
    import explainer.engine.network as network_module

    net = Network([2, 5, 1], activation="tanh", seed=0)
    X = np.random.default_rng(1).normal(size=(10, 2))
    whole = decision_grid(net, X, resolution=30)
    monkeypatch.setattr(network_module, "BLOCK_VALUES", 80)  # 10 points a block
    blocked = decision_grid(net, X, resolution=30)
    np.testing.assert_allclose(blocked.outputs, whole.outputs, rtol=1e-15)


def test_plane_maps_are_every_neuron_at_every_pixel_centre():
    from explainer.engine.boundary import pixel_centres, plane_maps
    from explainer.engine.features import FeatureMap

    fm = FeatureMap(("x1", "x2^2", "sin(x1)"))
    net = Network([3, 4, 2, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=2)
    maps = plane_maps(net, fm, (-6, 6), (-2, 4), resolution=7)
    np.testing.assert_allclose(maps.x, pixel_centres(-6, 6, 7))
    assert maps.x[0] == pytest.approx(-6 + 12 / 14) and maps.y[-1] == pytest.approx(4 - 6 / 14)
    assert [m.shape for m in maps.layers] == [(4, 7, 7), (2, 7, 7), (1, 7, 7)]
    i, j = 5, 2
    p = net.forward_pass(fm([[maps.x[j], maps.y[i]]]))
    for layer, m in enumerate(maps.layers):
        np.testing.assert_allclose(m[:, i, j], p.a[layer + 1][0], rtol=1e-13)
    assert not maps.output.flags.writeable
    for kwargs, match in (
        ({"x_range": (1, 1)}, "x_range must be a pair"),
        ({"y_range": "ab"}, "y_range must be a pair"),
        ({"resolution": 1}, "resolution must be an integer from 2 to 400"),
    ):
        args = {"x_range": (-1, 1), "y_range": (-1, 1), "resolution": 5, **kwargs}
        with pytest.raises(ValueError, match=match):
            plane_maps(net, fm, **args)
    with pytest.raises(ValueError, match="features must be the network's inputs"):
        plane_maps(net, FeatureMap(("x1",)), (-1, 1), (-1, 1))


def test_a_network_with_batch_norm_is_refused_by_name():
    from explainer.engine.boundary import decision_grid

    net = Network([2, 3, 1], batch_norm=True, seed=0)
    with pytest.raises(ValueError, match="net has batch norm"):
        decision_grid(net, np.random.default_rng(0).normal(size=(6, 2)))
