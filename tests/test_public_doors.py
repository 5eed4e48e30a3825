"""Every public door of the engine and the course, knocked on with random arguments: the answer is a valid
result or a ValueError naming what was wrong, never another exception (issue 16).

Arguments are drawn from a mix of good values and junk: None, bools, huge and negative integers, NaN and
inf, strings, nested lists, dicts, arrays of the wrong shape. Integers that are valid but slow (a million
steps) are kept out of the draws; the limits themselves are tested beside each module.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explainer import (
    SGD,
    Adam,
    History,
    Momentum,
    Network,
    TrainingSession,
    diverged_at,
    divergence_message,
    get_scenario,
    gradcheck,
    load_csv,
    loss_surface,
    make_dataset,
    make_optimizer,
    train,
)
from explainer.course.datasets import train_test_split
from explainer.course.efficiency import compare_gradient_costs, count_operations, gradient_norms_by_activation
from explainer.course.exercises import check_layer_backward, exercise_case, reference_backward
from explainer.engine.boundary import decision_grid

# DOORS_EXAMPLES=2000 for a longer hunt; the suite runs 60 a door.
DOORS = settings(
    max_examples=int(os.environ.get("DOORS_EXAMPLES", "60")), deadline=None, suppress_health_check=list(HealthCheck)
)

# ------------------------------------------------------------------------------------------- the draws
small_ints = st.integers(-3, 12)
huge_ints = st.one_of(st.integers(10**7, 10**30), st.just(2**62), st.just(10**400), st.integers(-(10**9), -1))
numbers = st.one_of(
    small_ints, st.floats(allow_nan=True, allow_infinity=True), st.just(1e300), st.just(-0.0), st.just(0.5)
)
scalars = st.one_of(st.none(), st.booleans(), small_ints, huge_ints, numbers, st.text(max_size=8))
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=10,
)
arrays = st.one_of(
    st.builds(lambda shape, v: np.full(shape, v), st.tuples(st.integers(0, 4), st.integers(0, 4)), numbers),
    st.builds(lambda n, seed: np.random.default_rng(seed).normal(size=(n, 2)), st.integers(1, 6), st.integers(0, 9)),
    st.builds(lambda n: np.ones((n, 2, 2)), st.integers(0, 3)),
)
anything = st.one_of(junk, arrays, st.just(np.random.default_rng(0)), st.just(object()))


def maybe(good):
    """A good value most of the time, anything some of the time."""
    return st.one_of(good, good, anything)


def door(call):
    """Run ``call``: a return or a ValueError is fine; any other exception fails the test with its traceback."""
    try:
        with np.errstate(all="ignore"):
            return call()
    except ValueError as err:
        assert str(err), "a ValueError must say what was wrong"
        return None


sizes = st.lists(st.integers(1, 6), min_size=2, max_size=4)
activations = st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax", "swish"])
losses = st.sampled_from(["mse", "bce", "cross_entropy", "hinge"])
inits = st.sampled_from(["auto", "xavier", "he", "normal", "zeros", "lecun"])


def inside(folder, name):
    """A drawn file name, kept inside ``folder`` (no separators, no "..": never a stray file elsewhere)."""
    if not isinstance(name, str):
        return name
    return os.path.join(folder, "f_" + name.replace("/", "_").replace("\\", "_"))


def small_net():
    return Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="mse", seed=0)


X4 = np.array([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6], [-0.7, 0.8]])
Y4 = np.array([0.0, 1.0, 1.0, 0.0])


# ------------------------------------------------------------------------------------------- the network
@DOORS
@given(maybe(sizes), maybe(activations), maybe(activations), maybe(losses), maybe(small_ints), maybe(inits))
def test_network_constructor(sizes, activation, output_activation, loss, seed, init):
    net = door(lambda: Network(sizes, activation, output_activation, loss, seed, init))
    if net is not None:
        assert net.n_parameters == sum((a + 1) * b for a, b in zip(net.sizes[:-1], net.sizes[1:]))


@DOORS
@given(maybe(arrays), maybe(arrays), anything, anything, anything)
def test_network_methods(X, y, name, value, lr):
    net = small_net()
    door(lambda: net.forward(X))
    rec = door(lambda: net.backprop(X, y))
    door(lambda: net.loss_value(X, y))
    door(lambda: net.get(name))
    door(lambda: net.set(name, value))
    door(lambda: net.freeze(name))
    door(lambda: net.unfreeze(name))
    door(lambda: net.set_parameters(value))
    door(lambda: net.reinitialize(value))
    door(lambda: net.index_of(name))
    door(lambda: setattr(net, "parameters", value))
    door(lambda: net.weights.__setitem__(0, value))
    if rec is not None:
        door(lambda: rec.updated_parameters(lr))
        with tempfile.TemporaryDirectory() as folder:  # never a stray file in the working tree
            door(lambda: rec.to_json(inside(folder, value)))


@DOORS
@given(st.sampled_from(["format", "version", "sizes", "activation", "output_activation", "loss", "init",
                        "parameters", "frozen", "extra"]), anything)  # fmt: skip
def test_network_from_dict(key, value):
    d = small_net().to_dict()
    d[key] = value
    net = door(lambda: Network.from_dict(d))
    if net is not None:
        assert net.forward(X4).shape == (4, net.sizes[-1]) or net.sizes[0] != 2
    door(lambda: Network.from_dict(value))


@DOORS
@given(anything, st.text(max_size=40))
def test_network_save_and_load(path, text):
    net = small_net()
    with tempfile.TemporaryDirectory() as folder:
        door(lambda: net.save(inside(folder, path)))
        target = os.path.join(folder, "net.json")
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        door(lambda: Network.load(target))
        door(lambda: Network.load(path))


# ------------------------------------------------------------------------------------------- training
optimizers = st.sampled_from(["sgd", "momentum", "adam", "rmsprop"])
options = st.dictionaries(
    st.sampled_from(["beta", "beta1", "beta2", "eps", "gamma"]), maybe(st.floats(0, 1)), max_size=2
)


@DOORS
@given(
    maybe(arrays), maybe(arrays), maybe(optimizers), maybe(st.floats(1e-3, 2.0)), maybe(st.integers(0, 30)),
    maybe(st.integers(1, 5)), anything, anything, maybe(small_ints), options,
)  # fmt: skip
def test_train(X, y, optimizer, lr, steps, batch_size, X_test, y_test, seed, opts):
    h = door(lambda: train(small_net(), X, y, optimizer=optimizer, lr=lr, steps=steps, batch_size=batch_size,
                           X_test=X_test, y_test=y_test, seed=seed, **opts))  # fmt: skip
    if h is not None:
        assert len(h) >= 1 and h.parameters.shape[0] == len(h)
        assert h.diverged == (diverged_at(h.train_loss) is not None) or h.diverged


@DOORS
@given(maybe(optimizers), anything, options)
def test_optimizers(name, lr, opts):
    door(lambda: make_optimizer(name, lr, **opts))
    door(lambda: SGD(lr))
    door(lambda: Momentum(lr, beta=opts.get("beta", 0.9)))
    door(lambda: Adam(lr, eps=opts.get("eps", 1e-8)))


@DOORS
@given(
    maybe(arrays), maybe(arrays), maybe(optimizers), maybe(st.floats(1e-3, 1.0)), maybe(st.integers(1, 4)),
    maybe(small_ints), maybe(st.integers(1, 20)), anything, anything,
)  # fmt: skip
def test_training_session(X, y, optimizer, lr, batch_size, seed, n, to_step, value):
    session = door(lambda: TrainingSession(small_net(), X, y, optimizer=optimizer, lr=lr, batch_size=batch_size,
                                           seed=seed))  # fmt: skip
    if session is None:
        session = TrainingSession(small_net(), X4, Y4)
    door(lambda: session.step(n))
    door(lambda: session.undo(to_step))
    door(lambda: setattr(session, "lr", value))
    door(lambda: setattr(session, "batch_size", value))
    door(lambda: session.set_optimizer(optimizer, value))
    door(lambda: session.set_data(X, value))
    door(lambda: session.step(1))
    assert session.steps_done == session.checkpoints[-1]


@DOORS
@given(
    st.sampled_from(["steps", "train_loss", "test_loss", "parameters", "gradients", "grad_norms", "parameter_names",
                     "optimizer", "lr", "batch_size", "diverged", "diverged_at", "stopped_early", "format"]),
    anything, st.text(max_size=30),
)  # fmt: skip
def test_history_from_json(key, value, text):
    d = json.loads(train(small_net(), X4, Y4, steps=3).to_json())
    d[key] = value.tolist() if isinstance(value, np.ndarray) else value
    try:
        encoded = json.dumps(d)
    except (TypeError, ValueError):
        encoded = text
    h = door(lambda: History.from_json(encoded))
    if h is not None:
        assert len(h) == h.parameters.shape[0]
    door(lambda: History.from_json(text))
    door(lambda: History.from_json(value))


@DOORS
@given(anything, anything, anything)
def test_history_methods_and_the_rule(k, losses, start):
    h = train(small_net(), X4, Y4, steps=5)
    door(lambda: h.thin(k))
    door(lambda: h.then(k))
    door(lambda: diverged_at(losses, start))
    door(lambda: divergence_message(k, start))


# ------------------------------------------------------------------------------------------- checks and surfaces
@DOORS
@given(maybe(arrays), maybe(arrays), anything, anything, anything)
def test_gradcheck(X, y, h, order, floor):
    door(lambda: gradcheck(small_net(), X, y))
    door(lambda: gradcheck(small_net(), X4, Y4, h=h, order=order, floor=floor))


@DOORS
@given(
    maybe(arrays), maybe(arrays),
    maybe(st.sampled_from([("W1[0,0]", "b2[0]"), ("W1[0,0]", "W1[0,0]"), ("W9[0,0]", "b1[0]")])),
    maybe(st.sampled_from(["random", "filter", "pca", "spiral"])), anything,
    maybe(st.floats(0.01, 5.0)), maybe(st.integers(2, 41)), maybe(small_ints),
)  # fmt: skip
def test_loss_surface(X, y, params, directions, history, span, resolution, seed):
    door(lambda: loss_surface(small_net(), X, y, params, directions=directions, history=history, span=span,
                              resolution=resolution, seed=seed))  # fmt: skip
    door(lambda: loss_surface(small_net(), X4, Y4, params, span=span, resolution=resolution))
    door(lambda: loss_surface(small_net(), X4, Y4, directions=directions, resolution=resolution, seed=seed))


@DOORS
@given(maybe(arrays), maybe(st.integers(2, 60)), maybe(st.floats(0, 2)), maybe(st.sampled_from(["binary", "x"])))
def test_decision_grid(X, resolution, margin, task):
    door(lambda: decision_grid(small_net(), X, resolution=resolution, margin=margin, task=task))


# ------------------------------------------------------------------------------------------- the course
datasets = st.sampled_from(["xor", "circles", "moons", "spiral", "blobs", "sine", "mnist"])


@DOORS
@given(
    maybe(datasets), maybe(st.integers(1, 300)), maybe(st.floats(0, 1)), maybe(small_ints),
    maybe(st.floats(0, 0.9)), st.dictionaries(st.sampled_from(["n_classes", "classes"]), maybe(small_ints), max_size=1),
    anything,
)  # fmt: skip
def test_make_dataset_and_its_methods(name, n_samples, noise, seed, test_fraction, opts, split):
    d = door(lambda: make_dataset(name, n_samples, noise, seed, test_fraction, **opts))
    if d is not None:
        assert d.X.shape == (d.n_samples, d.n_features)
        door(lambda: d.targets(split))
        door(lambda: d.one_hot(split))
    door(lambda: train_test_split(split, n_samples, test_fraction, seed))


cells = st.one_of(
    st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
    st.sampled_from(["", "nan", "inf", "cat", "dog", "label", "1e400", '"a,b"', " 2 ", "\ufeff1"]),
)
csv_texts = st.lists(st.lists(cells, min_size=1, max_size=4).map(",".join), max_size=8).map("\n".join)


@DOORS
@given(
    st.one_of(csv_texts, st.text(max_size=60)), maybe(st.sampled_from([-1, 0, 1, 5, "label", "x"])),
    maybe(st.sampled_from([None, True, False])), maybe(st.sampled_from(["auto", "binary", "multiclass",
                                                                       "regression", "cluster"])),
    maybe(st.floats(0, 0.9)), maybe(small_ints),
)  # fmt: skip
def test_load_csv(text, label_column, has_header, task, test_fraction, seed):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        d = door(lambda: load_csv(path, label_column, has_header, task, test_fraction, seed))
        if d is not None:
            assert d.X.shape[0] == d.n_samples and isinstance(d.header, bool) and d.note
        door(lambda: load_csv(label_column))


@DOORS
@given(maybe(sizes), anything, maybe(st.lists(st.integers(1, 8), min_size=1, max_size=3)), maybe(st.integers(1, 2)),
       maybe(st.integers(1, 8)), maybe(st.integers(1, 2)))  # fmt: skip
def test_efficiency(sizes, n, widths, depth, n_samples, repeats):
    door(lambda: count_operations(sizes, n))
    door(lambda: count_operations(n, 1))
    door(lambda: compare_gradient_costs(widths, depth, n_samples, repeats, seed=0))


@DOORS
@given(
    maybe(st.sampled_from([("sigmoid",), ("tanh", "relu"), ("relu", "relu"), ("softmax",)])),
    maybe(st.integers(1, 3)), maybe(st.integers(1, 4)), maybe(st.integers(0, 5)), maybe(st.integers(0, 3)),
    maybe(st.floats(0.01, 1)), maybe(inits), maybe(datasets), maybe(st.integers(2, 40)),
)  # fmt: skip
def test_gradient_norms(activations, depth, width, seed, steps, lr, init, dataset, n_samples):
    door(lambda: gradient_norms_by_activation(activations, depth, width, seed, steps=steps, lr=lr, init=init,
                                              dataset=dataset, n_samples=n_samples))  # fmt: skip


def returns(value):
    return lambda *args: value


@DOORS
@given(
    st.one_of(
        anything.map(returns),
        st.just(reference_backward),
        st.just(lambda *args: 1 / 0),
        st.just(lambda a, b: a),
        anything,
    ),
    maybe(small_ints),
    maybe(st.floats(0.5, 2.0)),
)
def test_exercise_checker(user_fn, seed, time_limit):
    result = door(lambda: check_layer_backward(user_fn, seed=seed, time_limit=time_limit))
    if result is not None:
        assert isinstance(result.ok, bool) and result.message
    door(lambda: exercise_case(seed))


@DOORS
@given(anything)
def test_scenarios(name):
    door(lambda: get_scenario(name))
    door(lambda: get_scenario("xor"))


@pytest.mark.parametrize("seed", ["x", 1.5, -1, [1], {"a": 1}, -(10**400)])
def test_the_issues_wrong_types_are_value_errors(seed):
    with pytest.raises(ValueError, match="seed"):
        TrainingSession(small_net(), X4, Y4, seed=seed)
    with pytest.raises(ValueError, match="text_or_path"):
        History.from_json("{}")
    with pytest.raises(ValueError, match="X_test"):
        train(small_net(), X4, Y4, X_test=np.ones((2, 3)), y_test=np.ones(2))
    with pytest.raises(ValueError, match="steps"):
        train(small_net(), X4, Y4, steps=2**40)
