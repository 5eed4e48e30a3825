"""Tests for explainer.engine.loss_surface: every grid value against the network's own loss at that point."""

from __future__ import annotations

import dataclasses
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import explainer.engine.loss_surface as surface_module
from explainer import Network
from explainer.engine.loss_surface import MAX_RESOLUTION, LossSurface, loss_surface


# ---------------------------------------------------------------------- helpers
def data(net: Network, n: int = 6, seed: int = 1):
    """Inputs and targets that suit the network's loss."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, net.sizes[0]))
    k = net.sizes[-1]
    if net.loss == "cross_entropy":
        y = rng.integers(0, k, size=n)
    elif net.loss == "bce":
        y = (rng.random((n, k)) > 0.5).astype(float)
    else:
        y = rng.normal(size=(n, k))
    return X, y


def reference(net: Network, X, y, surf: LossSurface, points=None) -> np.ndarray:
    """net.loss_value at θ = centre + u d_u + v d_v, one grid point at a time, on a copy of net."""
    probe = net.copy()
    if points is None:
        points = [(i, j) for i in range(surf.u.size) for j in range(surf.v.size)]
    out = []
    for i, j in points:
        probe.set_parameters(surf.center + surf.u[i] * surf.direction_u + surf.v[j] * surf.direction_v)
        out.append(probe.loss_value(X, y))
    return np.array(out)


def assert_grid_matches(net, X, y, surf, points=None):
    expected = reference(net, X, y, surf, points)
    if points is None:
        got = surf.losses.ravel()
    else:
        got = np.array([surf.losses[i, j] for i, j in points])
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)


NETWORKS = {
    "tanh-bce": lambda: Network([2, 8, 8, 1], "tanh", "sigmoid", "bce", seed=0),
    "relu-mse": lambda: Network([3, 4, 3, 2], "relu", "identity", "mse", seed=1),
    "sigmoid-mse": lambda: Network([2, 2, 2], "sigmoid", "sigmoid", "mse", seed=2),
    "softmax-ce": lambda: Network([2, 4, 3, 3], "tanh", "softmax", "cross_entropy", seed=3),
    "mixed-ce": lambda: Network([2, 4, 3, 5, 3], ["tanh", "relu", "leaky_relu"], "softmax", "cross_entropy", seed=4),
    "single-layer": lambda: Network([3, 2], output_activation="sigmoid", loss="bce", seed=5),
}

PAIRS = [
    ("tanh-bce", ("W1[0,0]", "W3[1,0]")),  # first and output layer (the benchmark's pair)
    ("tanh-bce", ("W3[1,0]", "W1[0,0]")),  # the same pair given deep-first: axes must follow the order given
    ("tanh-bce", ("W1[0,0]", "W1[1,0]")),  # same unit, first layer
    ("tanh-bce", ("W2[0,3]", "W2[5,1]")),  # same layer, different units
    ("tanh-bce", ("b1[2]", "W2[2,4]")),  # a bias upstream of the weight it feeds
    ("tanh-bce", ("b3[0]", "W3[7,0]")),  # both in the output layer, same unit
    ("relu-mse", ("W1[2,1]", "W2[1,0]")),
    ("relu-mse", ("W3[0,0]", "W3[2,1]")),  # output layer, different units
    ("relu-mse", ("b2[2]", "b2[0]")),
    ("sigmoid-mse", ("W1[0,0]", "W2[1,0]")),
    ("sigmoid-mse", ("b1[0]", "b1[1]")),
    ("softmax-ce", ("W3[0,1]", "b3[2]")),  # softmax: the whole output row changes
    ("softmax-ce", ("W3[0,1]", "W3[0,2]")),
    ("softmax-ce", ("b1[0]", "W2[2,1]")),
    ("softmax-ce", ("W2[0,1]", "W3[1,2]")),
    ("mixed-ce", ("W1[0,1]", "W3[1,2]")),  # two layers apart
    ("mixed-ce", ("W1[1,3]", "b4[1]")),  # first to output across every layer
    ("mixed-ce", ("W2[3,2]", "W2[0,2]")),  # same unit in a relu layer
    ("single-layer", ("W1[0,0]", "b1[1]")),
    ("single-layer", ("W1[2,1]", "W1[1,1]")),
]


# ---------------------------------------------------------------------- params mode: values
@pytest.mark.parametrize(("arch", "params"), PAIRS)
def test_params_grid_equals_the_networks_loss_at_every_point(arch, params):
    net = NETWORKS[arch]()
    X, y = data(net)
    before = net.parameters
    surf = loss_surface(net, X, y, params=params, span=2.5, resolution=7)
    assert surf.losses.shape == (7, 7)
    assert surf.labels == params and surf.params == params and surf.mode == "params"
    assert_grid_matches(net, X, y, surf)
    np.testing.assert_array_equal(net.parameters, before)  # nothing written into the network


def test_params_grid_full_size_sampled_points():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net, n=256, seed=7)
    surf = loss_surface(net, X, y, params=("W1[0,0]", "W3[1,0]"))
    assert surf.losses.shape == (101, 101)
    np.testing.assert_array_equal(surf.u, np.linspace(-3, 3, 101))
    np.testing.assert_array_equal(surf.v, surf.u)
    rng = np.random.default_rng(0)
    points = [tuple(p) for p in rng.integers(0, 101, size=(40, 2))] + [(0, 0), (100, 100), (0, 100), (50, 50)]
    assert_grid_matches(net, X, y, surf, points)
    assert surf.losses[50, 50] == pytest.approx(net.loss_value(X, y), rel=1e-13)
    assert surf.loss_at_center == pytest.approx(net.loss_value(X, y), rel=1e-13)
    # The surface is not flat: moving the weights changes the loss.
    assert np.ptp(surf.losses) > 0.1


def test_offsets_follow_the_order_of_the_names():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    a = loss_surface(net, X, y, params=("W1[0,0]", "W3[1,0]"), resolution=5)
    b = loss_surface(net, X, y, params=("W3[1,0]", "W1[0,0]"), resolution=5)
    np.testing.assert_allclose(b.losses, a.losses.T, rtol=1e-13)
    assert b.labels == ("W3[1,0]", "W1[0,0]")


def test_names_are_canonicalised():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, params=("W1[ 0, 1 ]", "b2[3]"), resolution=3)
    assert surf.labels == ("W1[0,1]", "b2[3]")
    assert surf.direction_u[net.index_of("W1[0,1]")] == 1.0
    assert surf.direction_v[net.index_of("b2[3]")] == 1.0
    assert surf.direction_u.sum() == 1.0 and surf.direction_v.sum() == 1.0


def test_frozen_parameters_can_still_be_plotted():
    net = NETWORKS["sigmoid-mse"]()
    net.freeze("b1", "b2")
    X, y = data(net)
    surf = loss_surface(net, X, y, params=("b1[0]", "W2[0,1]"), span=1.0, resolution=5)
    assert_grid_matches(net, X, y, surf)
    assert net.frozen == ["b1[0]", "b1[1]", "b2[0]", "b2[1]"]


def test_single_sample_input():
    net = NETWORKS["sigmoid-mse"]()
    surf = loss_surface(net, [0.05, 0.10], [0.01, 0.99], params=("W1[0,0]", "W2[0,0]"), resolution=5)
    assert_grid_matches(net, [[0.05, 0.10]], [[0.01, 0.99]], surf)


@pytest.mark.parametrize("block_bytes", [1, 200, 5000])
def test_blocking_over_rows_and_samples_gives_the_same_grid(monkeypatch, block_bytes):
    net = NETWORKS["mixed-ce"]()
    X, y = data(net, n=23)
    pairs = [("W1[0,1]", "W3[1,2]"), ("W2[3,2]", "W2[0,2]"), ("W4[0,0]", "b4[1]")]
    whole = [loss_surface(net, X, y, params=p, resolution=9).losses for p in pairs]
    whole.append(loss_surface(net, X, y, directions="random", resolution=9).losses)
    monkeypatch.setattr(surface_module, "_BLOCK_BYTES", block_bytes)  # forces many small blocks
    parts = [loss_surface(net, X, y, params=p, resolution=9).losses for p in pairs]
    parts.append(loss_surface(net, X, y, directions="random", resolution=9).losses)
    for w, p in zip(whole, parts):
        np.testing.assert_allclose(p, w, rtol=1e-12)


ACTIVATION_LOSS = [
    ("sigmoid", "sigmoid", "mse"),
    ("tanh", "identity", "mse"),
    ("relu", "sigmoid", "bce"),
    ("leaky_relu", "softmax", "cross_entropy"),
    ("identity", "tanh", "mse"),
    ("tanh", "relu", "mse"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hidden=st.lists(st.integers(1, 4), min_size=0, max_size=3),
    n_in=st.integers(1, 3),
    n_out=st.integers(2, 3),
    combo=st.sampled_from(ACTIVATION_LOSS),
    pick=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)),
    span=st.floats(0.01, 5.0),
    resolution=st.integers(2, 5),
    seed=st.integers(0, 1000),
)
def test_params_grid_property(hidden, n_in, n_out, combo, pick, span, resolution, seed):
    activation, output, loss = combo
    net = Network([n_in, *hidden, n_out], activation, output, loss, seed=seed)
    names = net.parameter_names
    i = pick[0] % len(names)
    j = pick[1] % (len(names) - 1)
    j = j + 1 if j >= i else j  # a different parameter
    X, y = data(net, n=4, seed=seed)
    surf = loss_surface(net, X, y, params=(names[i], names[j]), span=span, resolution=resolution)
    assert_grid_matches(net, X, y, surf)


# ---------------------------------------------------------------------- directions mode
def trajectory(net: Network, T: int = 12, seed: int = 0) -> np.ndarray:
    """A curved path of parameter vectors ending at the network's parameters, (T, P)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, net.n_parameters))
    t = np.linspace(1.0, 0.0, T)[:, None]
    return net.parameters + t * a + 0.5 * np.sin(3 * t) * b


@pytest.mark.parametrize("arch", ["tanh-bce", "relu-mse", "softmax-ce", "mixed-ce", "single-layer"])
@pytest.mark.parametrize("mode", ["random", "filter", "pca"])
def test_directions_grid_equals_the_networks_loss(arch, mode):
    net = NETWORKS[arch]()
    X, y = data(net)
    before = net.parameters
    history = SimpleNamespace(parameters=trajectory(net)) if mode == "pca" else None
    surf = loss_surface(net, X, y, directions=mode, history=history, resolution=6, seed=3)
    assert surf.mode == mode and surf.params is None
    assert surf.losses.shape == (6, 6)
    assert_grid_matches(net, X, y, surf)
    np.testing.assert_array_equal(net.parameters, before)
    np.testing.assert_array_equal(surf.center, before)


def test_directions_defaults():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, directions="random")
    assert surf.resolution == 51 and surf.span == 1.0
    assert surf.labels == ("random direction 1", "random direction 2")
    assert surf.losses[25, 25] == pytest.approx(net.loss_value(X, y), rel=1e-13)


def test_random_directions_are_orthonormal_seeded_and_skip_frozen():
    net = NETWORKS["tanh-bce"]()
    net.freeze("b1", "W2[0,0]")
    X, y = data(net)
    a = loss_surface(net, X, y, directions="random", resolution=2, seed=5)
    b = loss_surface(net, X, y, directions="random", resolution=2, seed=5)
    c = loss_surface(net, X, y, directions="random", resolution=2, seed=6)
    assert np.linalg.norm(a.direction_u) == pytest.approx(1.0)
    assert np.linalg.norm(a.direction_v) == pytest.approx(1.0)
    assert a.direction_u @ a.direction_v == pytest.approx(0.0, abs=1e-14)
    frozen = ~net.trainable_mask
    assert frozen.sum() == 9
    assert np.all(a.direction_u[frozen] == 0) and np.all(a.direction_v[frozen] == 0)
    assert np.all(a.direction_u[~frozen] != 0)
    np.testing.assert_array_equal(a.direction_u, b.direction_u)
    assert not np.allclose(a.direction_u, c.direction_u)
    gen = loss_surface(net, X, y, directions="random", resolution=2, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(gen.direction_v, a.direction_v)


def test_filter_directions_have_the_weight_column_norms():
    net = NETWORKS["mixed-ce"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, directions="filter", resolution=2, seed=1)
    assert surf.labels == ("filter-normalised direction 1", "filter-normalised direction 2")
    probe = net.copy()
    for d in (surf.direction_u, surf.direction_v):
        probe.set_parameters(d)
        for W, D, b in zip(net.weights, probe.weights, probe.biases):
            np.testing.assert_allclose(np.linalg.norm(D, axis=0), np.linalg.norm(W, axis=0), rtol=1e-9)
            assert np.all(b == 0)  # bias directions are zero, as in Li et al. 2018
    assert not np.allclose(surf.direction_u, surf.direction_v)


def test_filter_directions_leave_frozen_weights_alone():
    net = NETWORKS["tanh-bce"]()
    net.freeze("W1[0,0]", "W2")
    X, y = data(net)
    surf = loss_surface(net, X, y, directions="filter", resolution=3)
    probe = net.copy()
    probe.set_parameters(surf.direction_u)
    assert probe.get("W1[0,0]") == 0.0
    assert np.all(probe.weights[1] == 0)
    # A column with one entry frozen is still rescaled to the column's norm.
    np.testing.assert_allclose(np.linalg.norm(probe.weights[0][:, 0]), np.linalg.norm(net.weights[0][:, 0]))
    assert_grid_matches(net, X, y, surf)


def test_pca_directions_span_a_planar_trajectory():
    net = NETWORKS["softmax-ce"]()
    X, y = data(net)
    rng = np.random.default_rng(2)
    basis, _ = np.linalg.qr(rng.normal(size=(net.n_parameters, 2)))  # (P, 2) orthonormal
    coords = np.column_stack([np.linspace(-2, 0, 15), 0.3 * np.sin(np.linspace(0, 3, 15))])
    coords[-1] = 0.0  # the path ends at the centre
    params = net.parameters + coords @ basis.T
    surf = loss_surface(net, X, y, directions="pca", history=params, resolution=4)
    D = np.column_stack([surf.direction_u, surf.direction_v])
    np.testing.assert_allclose(D.T @ D, np.eye(2), atol=1e-12)
    # The two directions span the trajectory's plane, so the path projects back exactly.
    np.testing.assert_allclose(basis @ (basis.T @ D), D, atol=1e-10)
    proj = surf.project(params)
    np.testing.assert_allclose(surf.center + proj @ D.T, params, atol=1e-10)
    ev = surf.explained_variance
    assert ev.sum() == pytest.approx(1.0)
    assert 1 > ev[0] > ev[1] > 0
    assert surf.labels == (f"PC1 ({100 * ev[0]:.1f} %)", f"PC2 ({100 * ev[1]:.1f} %)")
    assert proj[0, 0] <= 0 and proj[0, 1] <= 0  # signs chosen so the path starts at u, v ≤ 0


def test_pca_explained_variance_of_a_noisy_trajectory():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    rng = np.random.default_rng(0)
    params = trajectory(net, T=40) + 1e-3 * rng.normal(size=(40, net.n_parameters))
    surf = loss_surface(net, X, y, directions="pca", history=SimpleNamespace(parameters=params), resolution=3)
    ev = surf.explained_variance
    centred = params - params.mean(axis=0)
    total = (centred**2).sum()
    for d, share in zip((surf.direction_u, surf.direction_v), ev):
        assert (centred @ d) @ (centred @ d) / total == pytest.approx(share, rel=1e-9)
    assert 0.9 < ev.sum() < 1.0 and ev[0] > ev[1]
    assert not surf.losses.flags.writeable


def test_pca_from_a_training_history():
    training = pytest.importorskip("explainer.engine.training")
    net = NETWORKS["tanh-bce"]()
    X, y = data(net, n=32)
    history = training.train(net, X, y, optimizer="sgd", lr=0.5, steps=30)
    surf = loss_surface(net, X, y, directions="pca", history=history, span=2.0, resolution=5)
    np.testing.assert_array_equal(surf.center, history.parameters[-1])
    assert_grid_matches(net, X, y, surf, [(0, 0), (2, 2), (4, 1), (3, 4)])
    coords = surf.project(history.parameters)
    assert coords.shape == (31, 2)
    np.testing.assert_allclose(coords[-1], 0.0, atol=1e-12)
    assert surf.explained_variance[0] > 0.5  # gradient descent mostly moves along one direction
    np.testing.assert_allclose(
        surf.project_gradients(history.gradients),
        history.gradients @ np.column_stack([surf.direction_u, surf.direction_v]),
    )


def test_pca_ignores_non_finite_rows():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    params = trajectory(net)
    with_nan = np.vstack([params, np.full((1, net.n_parameters), np.nan)])
    a = loss_surface(net, X, y, directions="pca", history=params, resolution=3)
    b = loss_surface(net, X, y, directions="pca", history=with_nan, resolution=3)
    np.testing.assert_allclose(b.direction_u, a.direction_u)
    assert np.all(np.isnan(b.project(with_nan)[-1]))


# ---------------------------------------------------------------------- project, gradient
def test_project_gives_the_exact_offsets_in_params_mode():
    net = NETWORKS["relu-mse"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, params=("W2[1,0]", "b1[3]"), resolution=3)
    rng = np.random.default_rng(0)
    thetas = net.parameters + rng.normal(size=(5, net.n_parameters))
    coords = surf.project(thetas)
    assert coords.shape == (5, 2)
    i, j = net.index_of("W2[1,0]"), net.index_of("b1[3]")
    np.testing.assert_array_equal(coords[:, 0], thetas[:, i] - net.parameters[i])
    np.testing.assert_array_equal(coords[:, 1], thetas[:, j] - net.parameters[j])
    np.testing.assert_array_equal(surf.project(thetas[0]), coords[0])  # (P,) gives (2,)
    grads = rng.normal(size=(5, net.n_parameters))
    np.testing.assert_array_equal(surf.project_gradients(grads), grads[:, [i, j]])


@pytest.mark.parametrize("mode", ["random", "filter"])
def test_project_recovers_points_in_the_plane(mode):
    net = NETWORKS["mixed-ce"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, directions=mode, resolution=3, seed=9)
    coords = np.array([[0.3, -1.2], [0.0, 0.0], [-2.0, 0.7]])
    thetas = surf.center + coords[:, :1] * surf.direction_u + coords[:, 1:] * surf.direction_v
    np.testing.assert_allclose(surf.project(thetas), coords, atol=1e-12)
    # A component orthogonal to the plane does not move the projection.
    D = np.column_stack([surf.direction_u, surf.direction_v])
    off = np.random.default_rng(0).normal(size=net.n_parameters)
    off -= D @ np.linalg.lstsq(D, off, rcond=None)[0]
    np.testing.assert_allclose(surf.project(thetas + off), coords, atol=1e-10)


@pytest.mark.parametrize(
    ("arch", "how"),
    [
        ("tanh-bce", {"params": ("W1[0,0]", "W3[1,0]")}),
        ("softmax-ce", {"params": ("b2[1]", "W2[0,1]")}),
        ("relu-mse", {"directions": "random"}),
        ("mixed-ce", {"directions": "filter"}),
    ],
)
def test_gradient_matches_finite_differences_of_the_surface(arch, how):
    net = NETWORKS[arch]()
    X, y = data(net)
    h = 1e-5
    surf = loss_surface(net, X, y, span=h, resolution=3, **how)
    fd = [(surf.losses[2, 1] - surf.losses[0, 1]) / (2 * h), (surf.losses[1, 2] - surf.losses[1, 0]) / (2 * h)]
    np.testing.assert_allclose(surf.gradient, fd, rtol=1e-5, atol=1e-9)
    assert np.any(np.abs(surf.gradient) > 1e-4)
    g = net.backprop(X, y).gradient_vector()
    np.testing.assert_allclose(surf.gradient, [g @ surf.direction_u, g @ surf.direction_v], rtol=1e-12)
    np.testing.assert_allclose(surf.project_gradients(g), surf.gradient, rtol=1e-12)


# ---------------------------------------------------------------------- the surface object
def test_surface_is_read_only():
    net = NETWORKS["sigmoid-mse"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, params=("W1[0,0]", "W1[0,1]"), resolution=3)
    for name in ("u", "v", "losses", "center", "direction_u", "direction_v", "gradient"):
        arr = getattr(surf, name)
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        surf.mode = "random"


def test_repr_is_short():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, params=("W1[0,0]", "W3[1,0]"), span=2.0, resolution=3)
    assert repr(surf) == (
        f"LossSurface(mode='params', labels=('W1[0,0]', 'W3[1,0]'), resolution=3, span=2, "
        f"loss_at_center={net.loss_value(X, y):.6g})"
    )


def test_odd_grid_contains_the_centre_exactly():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    surf = loss_surface(net, X, y, params=("W2[0,0]", "W2[1,0]"), span=0.7, resolution=31)
    assert surf.u[15] == 0.0 and surf.u[0] == -0.7 and surf.u[-1] == 0.7
    assert surf.losses[15, 15] == pytest.approx(surf.loss_at_center, rel=1e-14)
    even = loss_surface(net, X, y, params=("W2[0,0]", "W2[1,0]"), span=0.7, resolution=2)
    np.testing.assert_array_equal(even.u, [-0.7, 0.7])


def test_huge_offsets_give_non_finite_values_without_warnings():
    net = Network([2, 6, 1], "relu", "identity", "mse", seed=0)
    X, y = data(net, n=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        surf = loss_surface(net, X, y, params=("W1[0,0]", "W2[1,0]"), span=1e200, resolution=5)
        rand = loss_surface(net, X, y, directions="random", span=1e300, resolution=5)
        ce = Network([2, 3, 2], "relu", "softmax", "cross_entropy", seed=0)
        big = loss_surface(ce, X, [0, 1, 1, 0, 1], params=("W1[0,0]", "W2[0,1]"), span=1e300, resolution=5)
    assert not np.all(np.isfinite(surf.losses))
    assert np.isfinite(surf.losses[2, 2]) and np.isfinite(surf.loss_at_center)
    assert not np.all(np.isfinite(rand.losses))
    assert big.losses.shape == (5, 5)


# ---------------------------------------------------------------------- validation at the door
@pytest.fixture
def small():
    net = NETWORKS["tanh-bce"]()
    X, y = data(net)
    return net, X, y


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": ("W9[0,0]", "W1[0,0]")}, r"params: parameter name must be one of .*W1\[0,0\].*got 'W9\[0,0\]'"),
        ({"params": ("W1[0,0]", "W1")}, r"params: parameter name must be one of"),
        ({"params": ("W1[0,0]", 3)}, r"params: parameter name must be one of"),
        ({"params": ("W1[0,0]", "W1[ 0,0]")}, r"params must name two different parameters"),
        ({"params": ("W1[0,0]",)}, r"params must be two parameter names"),
        ({"params": "W1[0,0]"}, r"params must be two parameter names"),
        ({"params": ("W1[0,0]", "W1[0,1]", "W1[1,0]")}, r"params must be two parameter names"),
        ({}, r"give exactly one of params .* or directions"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "directions": "random"}, r"give exactly one of params"),
        ({"directions": "hessian"}, r"directions must be one of random, filter, pca; got 'hessian'"),
        ({"directions": "pca"}, r"directions='pca' needs history="),
        ({"directions": "random", "history": np.zeros((4, 105))}, r"history is only used with directions='pca'"),
        (
            {"params": ("W1[0,0]", "W1[0,1]"), "history": np.zeros((4, 105))},
            r"history is only used with directions='pca'; got directions=None",
        ),
        ({"params": ("W1[0,0]", "W1[0,1]"), "span": 0}, r"span must be a finite number > 0; got 0"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "span": -1.0}, r"span must be a finite number > 0"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "span": np.inf}, r"span must be a finite number > 0"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "span": np.nan}, r"span must be a finite number > 0"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "span": "big"}, r"span must be a finite number > 0"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "resolution": 1}, r"resolution must be an integer from 2 to 501; got 1"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "resolution": MAX_RESOLUTION + 1}, r"resolution must be an integer from 2"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "resolution": 10.5}, r"resolution must be an integer from 2"),
        ({"params": ("W1[0,0]", "W1[0,1]"), "resolution": True}, r"resolution must be an integer from 2"),
        ({"directions": "random", "seed": -1}, r"seed must be a non-negative integer"),
    ],
)
def test_validation_errors(small, kwargs, message):
    net, X, y = small
    with pytest.raises(ValueError, match=message):
        loss_surface(net, X, y, **kwargs)


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (np.zeros((5, 3)), r"history parameters must have shape \(T, 105\) for this network; got \(5, 3\)"),
        (np.zeros(105), r"history parameters must have shape \(T, 105\)"),
        (SimpleNamespace(parameters=[[1.0, 2.0]]), r"history parameters must have shape \(T, 105\)"),
        ("not a history", r"history must be a History or a \(T, P\) array"),
        (np.zeros((10, 105)), r"history must hold at least 3 distinct finite parameter vectors"),
        (np.vstack([np.zeros((3, 105)), np.ones((3, 105))]), r"at least 3 distinct"),
        (np.outer(np.arange(5.0), np.ones(105)), r"history must not lie on a single line"),
        (np.vstack([np.eye(105)[:2], np.full((4, 105), np.inf)]), r"at least 3 distinct finite"),
    ],
)
def test_pca_history_validation(small, history, message):
    net, X, y = small
    with pytest.raises(ValueError, match=message):
        loss_surface(net, X, y, directions="pca", history=history)


def test_data_and_net_validation(small):
    net, X, y = small
    params = ("W1[0,0]", "W1[0,1]")
    with pytest.raises(ValueError, match=r"X must have 2 feature columns"):
        loss_surface(net, np.zeros((6, 3)), y, params=params)
    with pytest.raises(ValueError, match=r"X must hold only finite numbers"):
        loss_surface(net, np.full((6, 2), np.nan), y, params=params)
    with pytest.raises(ValueError, match=r"y must have shape \(6, 1\)"):
        loss_surface(net, X, np.zeros((5, 1)), params=params)
    with pytest.raises(ValueError, match=r"net must be an explainer Network; got dict"):
        loss_surface({}, X, y, params=params)


def test_directions_need_trainable_parameters():
    net = NETWORKS["sigmoid-mse"]()
    X, y = data(net)
    net.freeze("W1", "W2", "b1", "b2[0]")
    with pytest.raises(ValueError, match=r"directions='random' needs at least 2 trainable parameters"):
        loss_surface(net, X, y, directions="random")
    net.unfreeze("b2")
    with pytest.raises(ValueError, match=r"directions='filter' needs non-zero, trainable weights"):
        loss_surface(net, X, y, directions="filter")
    net.unfreeze()
    zero = Network([2, 2, 2], init="zeros")
    with pytest.raises(ValueError, match=r"directions='filter' needs non-zero, trainable weights"):
        loss_surface(zero, X, y, directions="filter")


def test_project_validation(small):
    net, X, y = small
    surf = loss_surface(net, X, y, params=("W1[0,0]", "W1[0,1]"), resolution=2)
    with pytest.raises(ValueError, match=r"parameters must have shape \(T, 105\) or \(105,\); got \(3, 4\)"):
        surf.project(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"gradients must have shape \(T, 105\)"):
        surf.project_gradients(np.zeros(5))
    with pytest.raises(ValueError, match=r"parameters must be an array of numbers"):
        surf.project([["a"] * 105])


# ---------------------------------------------------------------------------------------------------------------
# Bounds at the door: the work and the samples


def test_work_beyond_the_bound_is_refused_naming_the_resolution(monkeypatch):
    net = Network([2, 8, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    X = np.random.default_rng(0).normal(size=(50, 2))
    y = np.zeros(50)
    monkeypatch.setattr(surface_module, "MAX_SURFACE_WORK", 10**6)
    loss_surface(net, X, y, directions="random", resolution=5)
    with pytest.raises(ValueError, match=r"resolution 101 over 50 samples would take about .* multiply-adds"):
        loss_surface(net, X, y, directions="random", resolution=101)
    with pytest.raises(ValueError, match="resolution"):
        loss_surface(net, X, y, params=("W1[0,0]", "b2[0]"), resolution=401)


def test_too_many_samples_for_the_centre_pass_are_refused(monkeypatch):
    import explainer.engine.network as network_module

    net = Network([2, 3, 1], seed=0)
    monkeypatch.setattr(surface_module, "MAX_RECORD_VALUES", 60)
    with pytest.raises(ValueError, match="X has 11 samples; a loss surface of this network takes at most 10"):
        loss_surface(net, np.ones((11, 2)), np.ones(11), directions="random", resolution=3)
    assert network_module.MAX_RECORD_VALUES > 60  # only the surface's bound was lowered


def test_default_surfaces_stay_well_inside_the_bound():
    net = Network([2, 8, 8, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    X = np.random.default_rng(0).normal(size=(256, 2))
    loss_surface(net, X, np.zeros(256), params=("W1[0,0]", "W3[1,0]"), resolution=MAX_RESOLUTION)
    loss_surface(net, X, np.zeros(256), directions="filter", resolution=101)


def test_a_network_with_batch_norm_is_refused_by_name():
    net = Network([2, 3, 1], batch_norm=True, seed=0)
    X = np.random.default_rng(0).normal(size=(4, 2))
    for kwargs in ({"params": ("W1[0,0]", "W1[0,1]")}, {"params": ("gamma1[0]", "W1[0,1]")}, {"directions": "random"}):
        with pytest.raises(ValueError, match="net has batch norm"):
            loss_surface(net, X, np.zeros(4), **kwargs)
