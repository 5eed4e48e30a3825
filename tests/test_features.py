"""Tests for explainer.engine.features: each feature's values, the registry's order, names checked at the door,
the grid the decision maps use, and the TF Playground fact that a model linear in x₁², x₂² separates circles."""

import numpy as np
import pytest

from explainer import Network, train
from explainer.engine.features import ALIASES, FEATURES, FeatureMap, check_features


def test_every_feature_is_its_formula():
    X = np.array([[0.5, -2.0], [3.0, 0.25], [-1.0, 1.0]])
    x1, x2 = X[:, 0], X[:, 1]
    expected = {
        "x1": x1, "x2": x2, "x1^2": x1**2, "x2^2": x2**2, "x1*x2": x1 * x2,
        "sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2),
    }  # fmt: skip
    fm = FeatureMap(tuple(FEATURES))
    F = fm(X)
    assert F.shape == (3, 7)
    for k, name in enumerate(fm.names):
        np.testing.assert_array_equal(F[:, k], expected[name])
    assert fm.labels == ("x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂")


def test_names_come_in_the_registry_order_once_and_aliases_are_read():
    assert FeatureMap(("sin(x2)", "x1", "x1", "x2^2")).names == ("x1", "x2^2", "sin(x2)")
    assert FeatureMap(("x1²", "x1x2", "sin x1")).names == ("x1^2", "x1*x2", "sin(x1)")
    assert all(ALIASES[a] in FEATURES for a in ALIASES)
    assert FeatureMap(("x1", "x2")) == FeatureMap(["x2", "x1"])


@pytest.mark.parametrize(
    ("names", "match"),
    [
        ((), "features must hold at least one feature"),
        ("x1", "features must be a list of feature names"),
        (("x3",), r"features\[0\] must be one of x1, x2, x1\^2"),
        (("x1", 2), r"features\[1\] must be a feature name"),
        (None, "features must be a list"),
    ],
)
def test_bad_names_are_value_errors(names, match):
    with pytest.raises(ValueError, match=match):
        check_features(names)


def test_points_are_checked():
    fm = FeatureMap(("x1",))
    with pytest.raises(ValueError, match=r"X must hold points of the plane, \(n_samples, 2\)"):
        fm(np.ones((3, 3)))
    with pytest.raises(ValueError, match="X must hold only finite numbers"):
        fm([[np.nan, 1.0]])
    np.testing.assert_array_equal(fm([1.5, 2.0]), [[1.5]])


def test_the_grid_is_row_by_row_along_y():
    fm = FeatureMap(("x1", "x1*x2"))
    xs, ys = np.array([0.0, 1.0, 2.0]), np.array([-1.0, 3.0])
    G = fm.on_grid(xs, ys).reshape(2, 3, 2)
    np.testing.assert_array_equal(G[1, 2], [2.0, 6.0])  # the point (xs[2], ys[1])
    np.testing.assert_array_equal(G[0, :, 0], xs)


def test_circles_with_squares_and_no_hidden_layer_separate_exactly():
    """TF Playground's first exercise: σ(w₁x₁² + w₂x₂² + b) is a circle in the plane, linear in the features."""
    from explainer.course.datasets import make_dataset

    ds = make_dataset("circles", n_samples=300, noise=0.0, seed=0)
    fm = FeatureMap(("x1^2", "x2^2"))
    net = Network([2, 1], output_activation="sigmoid", loss="bce", seed=0)
    train(net, fm(ds.X_train), ds.targets("train"), lr=3.0, steps=2000)
    right = (net.forward(fm(ds.X_train))[:, 0] > 0.5) == ds.y_train
    assert right.mean() == 1.0
    # On x₁, x₂ themselves the same model is a straight line: it cannot.
    line = Network([2, 1], output_activation="sigmoid", loss="bce", seed=0)
    train(line, ds.X_train, ds.targets("train"), lr=3.0, steps=2000)
    assert ((line.forward(ds.X_train)[:, 0] > 0.5) == ds.y_train).mean() < 0.75
