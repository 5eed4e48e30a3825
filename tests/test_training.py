"""Tests for explainer.engine.training: each optimiser's update rule re-derived independently here, frozen
parameters, the History's contents and exports, mini-batches, callbacks and divergence.

The PyTorch trajectories (SGD, momentum, Adam) are compared in test_reference_torch.py.
"""

import csv
import io
import itertools
import json
import warnings

import numpy as np
import pytest

from explainer import (
    DIVERGENCE_FACTOR,
    OPTIMIZERS,
    SGD,
    Adam,
    History,
    Momentum,
    Network,
    diverged_at,
    divergence_message,
    get_scenario,
    make_optimizer,
    train,
)
from explainer.engine import history as history_module
from explainer.engine.training import MAX_STEPS


def regression(n=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.column_stack([np.sin(X[:, 0]) + X[:, 1], X[:, 0] * X[:, 1]])
    return X, y


def small_net(seed=0):
    return Network([2, 4, 2], activation="tanh", output_activation="identity", loss="mse", seed=seed)


def gradient_at(net, theta, X, y):
    probe = net.copy()
    probe.set_parameters(theta)
    rec = probe.backprop(X, y)
    return rec.loss, rec.gradient_vector()


# ---------------------------------------------------------------------------------------------
# Update rules


def test_sgd_step_is_w_minus_lr_times_gradient():
    net = small_net()
    X, y = regression()
    theta0 = net.parameters
    history = train(net, X, y, optimizer="sgd", lr=0.2, steps=6)
    np.testing.assert_array_equal(history.parameters[0], theta0)
    for t in range(7):
        loss, grad = gradient_at(net, history.parameters[t], X, y)
        np.testing.assert_allclose(history.gradients[t], grad, rtol=1e-13, atol=1e-16)
        assert history.train_loss[t] == pytest.approx(loss, rel=1e-13)
    for t in range(6):
        np.testing.assert_allclose(
            history.parameters[t + 1], history.parameters[t] - 0.2 * history.gradients[t], rtol=1e-15, atol=1e-16
        )
    np.testing.assert_array_equal(net.parameters, history.parameters[-1])  # trained in place
    assert history.optimizer == "sgd" and history.lr == 0.2


def test_momentum_matches_heavy_ball_rule():
    """v ← β v + g, θ ← θ − η v, v₀ = 0."""
    net = small_net()
    X, y = regression()
    history = train(net, X, y, optimizer="momentum", lr=0.1, beta=0.8, steps=8)
    theta = history.parameters[0].copy()
    v = np.zeros_like(theta)
    for t in range(8):
        _, g = gradient_at(net, theta, X, y)
        v = 0.8 * v + g
        theta = theta - 0.1 * v
        np.testing.assert_allclose(history.parameters[t + 1], theta, rtol=1e-13, atol=1e-15)
    assert history.optimizer == "momentum"


def test_adam_matches_kingma_and_ba():
    """m ← β₁m + (1−β₁)g, s ← β₂s + (1−β₂)g², θ ← θ − η m̂/(√ŝ + ε) with bias correction."""
    net = small_net()
    X, y = regression()
    b1, b2, eps, lr = 0.85, 0.99, 1e-7, 0.05
    history = train(net, X, y, optimizer="adam", lr=lr, beta1=b1, beta2=b2, eps=eps, steps=10)
    theta = history.parameters[0].copy()
    m = np.zeros_like(theta)
    s = np.zeros_like(theta)
    for t in range(1, 11):
        _, g = gradient_at(net, theta, X, y)
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        np.testing.assert_allclose(history.parameters[t], theta, rtol=1e-12, atol=1e-14)
    # Adam's first step moves every parameter with a nonzero gradient by about η (m̂/√ŝ = ±1).
    first = history.parameters[1] - history.parameters[0]
    moved = np.abs(history.gradients[0]) > 1e-6
    np.testing.assert_allclose(np.abs(first[moved]), lr, rtol=1e-4)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_frozen_parameters_never_move(optimizer):
    net = small_net()
    net.freeze("W1[0,1]", "b2", "W2[3,0]")
    X, y = regression()
    history = train(net, X, y, optimizer=optimizer, lr=0.1, steps=15)
    frozen = np.isin(history.parameter_names, net.frozen)
    assert frozen.sum() == 4
    for t in range(16):
        np.testing.assert_array_equal(history.parameters[t][frozen], history.parameters[0][frozen])
    # their gradients are nonzero (they would have moved) and everything else did move
    assert np.all(np.abs(history.gradients[0][frozen]) > 0)
    assert np.all(history.parameters[-1][~frozen] != history.parameters[0][~frozen])


def test_optimizer_registry_and_factory():
    assert OPTIMIZERS == {"sgd": SGD, "momentum": Momentum, "adam": Adam}
    opt = make_optimizer("adam", 0.01, beta1=0.8)
    assert isinstance(opt, Adam) and opt.lr == 0.01 and opt.beta1 == 0.8 and opt.beta2 == 0.999
    assert opt.options == {"beta1": 0.8, "beta2": 0.999, "eps": 1e-8}
    assert "beta1=0.8" in repr(opt)
    assert make_optimizer("momentum", 0.5).beta == 0.9
    assert make_optimizer("sgd").lr == 0.1


def test_sgd_optimizer_step_in_place():
    theta = np.array([1.0, 2.0, 3.0])
    SGD(0.5).step(theta, np.array([2.0, -2.0, 4.0]), np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(theta, [0.0, 2.0, 1.0])


# ---------------------------------------------------------------------------------------------
# History contents


def test_history_shapes_and_entry_zero():
    net = Network([2, 3, 3, 2], activation="tanh", output_activation="identity", seed=1)
    X, y = regression()
    theta0 = net.parameters
    history = train(net, X, y, lr=0.05, steps=12)
    T, P = 13, net.n_parameters
    assert len(history) == T
    np.testing.assert_array_equal(history.steps, np.arange(T))
    assert history.train_loss.shape == (T,)
    assert history.parameters.shape == history.gradients.shape == (T, P)
    assert history.grad_norms.shape == (T, 3) and history.n_layers == 3
    assert history.test_loss is None
    assert history.parameter_names == net.parameter_names
    np.testing.assert_array_equal(history.parameters[0], theta0)
    assert history.final_loss == history.train_loss[-1]
    assert not history.diverged and history.diverged_at is None and not history.stopped_early
    assert history.batch_size is None


def test_zero_steps_records_only_the_start():
    net = small_net()
    X, y = regression()
    theta0 = net.parameters
    history = train(net, X, y, steps=0)
    assert len(history) == 1
    np.testing.assert_array_equal(net.parameters, theta0)
    assert history.train_loss[0] == pytest.approx(net.loss_value(X, y), rel=1e-14)


def test_train_loss_is_the_full_batch_loss_at_each_entry_and_test_loss_too():
    net = small_net()
    X, y = regression(10)
    Xt, yt = regression(5, seed=9)
    history = train(net, X, y, lr=0.1, steps=10, X_test=Xt, y_test=yt)
    probe = net.copy()
    assert history.test_loss.shape == (11,)
    for t in range(11):
        probe.set_parameters(history.parameters[t])
        assert history.train_loss[t] == pytest.approx(probe.loss_value(X, y), rel=1e-13)
        assert history.test_loss[t] == pytest.approx(probe.loss_value(Xt, yt), rel=1e-13)
    assert history.test_loss[-1] != history.test_loss[0]


def test_grad_norms_are_frobenius_norms_of_each_weight_block():
    net = Network([2, 3, 2, 2], activation="tanh", output_activation="identity", seed=2)
    X, y = regression()
    history = train(net, X, y, lr=0.1, steps=5)
    names = history.parameter_names
    for layer in range(3):
        cols = [i for i, n in enumerate(names) if n.startswith(f"W{layer + 1}[")]
        expected = np.sqrt((history.gradients[:, cols] ** 2).sum(axis=1))
        np.testing.assert_allclose(history.grad_norms[:, layer], expected, rtol=1e-13)
    # biases are not part of the norm
    cols_b = [i for i, n in enumerate(names) if n.startswith("b")]
    assert np.any(history.gradients[:, cols_b] != 0)


# ---------------------------------------------------------------------------------------------
# Mini-batches


def batch_used(net, theta, X, y, grad, batch_size):
    """The subsets of samples whose mean gradient at θ equals ``grad``."""
    found = []
    for subset in itertools.combinations(range(len(X)), batch_size):
        idx = list(subset)
        _, g = gradient_at(net, theta, X[idx], y[idx])
        if np.allclose(g, grad, rtol=1e-12, atol=1e-15):
            found.append(set(subset))
    return found


def test_mini_batches_cover_each_sample_once_per_epoch():
    net = small_net()
    X, y = regression(6)
    history = train(net, X, y, lr=0.1, steps=9, batch_size=2, seed=4)
    assert history.batch_size == 2
    batches = []
    for t in range(9):
        found = batch_used(net, history.parameters[t], X, y, history.gradients[t], 2)
        assert len(found) == 1, f"step {t}: the gradient matches {len(found)} batches"
        batches.append(found[0])
        # the update used the mini-batch gradient; the loss recorded is over all the data
        np.testing.assert_allclose(
            history.parameters[t + 1], history.parameters[t] - 0.1 * history.gradients[t], rtol=1e-15, atol=1e-16
        )
        probe = net.copy()
        probe.set_parameters(history.parameters[t])
        assert history.train_loss[t] == pytest.approx(probe.loss_value(X, y), rel=1e-13)
    for epoch in range(3):
        chunk = batches[3 * epoch : 3 * epoch + 3]
        assert set.union(*chunk) == set(range(6)), f"epoch {epoch}: {chunk}"
    assert batches[:3] != batches[3:6] or batches[3:6] != batches[6:9]  # reshuffled between epochs


def test_mini_batches_are_seeded():
    X, y = regression(6)
    runs = [train(small_net(), X, y, lr=0.1, steps=6, batch_size=2, seed=s).parameters for s in (3, 3, 4)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_batch_size_at_least_n_is_full_batch():
    X, y = regression(5)
    full = train(small_net(), X, y, lr=0.1, steps=4)
    big = train(small_net(), X, y, lr=0.1, steps=4, batch_size=50)
    np.testing.assert_array_equal(full.parameters, big.parameters)
    assert big.batch_size == 5


def test_uneven_batches_never_repeat_a_sample_within_a_batch():
    net = small_net()
    X, y = regression(5)
    history = train(net, X, y, lr=0.1, steps=6, batch_size=2, seed=0)
    batches = []
    for t in range(6):
        found = batch_used(net, history.parameters[t], X, y, history.gradients[t], len_of_batch(t))
        assert len(found) == 1
        batches.append(found[0])
    # 5 samples make batches of 2, 2 and the remainder 1 per epoch: every sample once an epoch, none dropped
    assert [len(b) for b in batches] == [2, 2, 1, 2, 2, 1]
    assert set.union(*batches[:3]) == set(range(5)) and set.union(*batches[3:]) == set(range(5))


def len_of_batch(t, n=5, batch=2):
    return [2, 2, 1][t % 3]


def test_the_last_partial_batch_of_each_epoch_is_used(monkeypatch):
    """Seen from the network: ⌈n / batch_size⌉ gradient calls an epoch, the last one on the remainder."""
    net = small_net()
    X, y = regression(7)
    seen = []
    original = net.gradient

    def spy(Xb, Yb):
        seen.append(tuple(sorted(map(tuple, np.round(Xb, 12).tolist()))))
        return original(Xb, Yb)

    monkeypatch.setattr(net, "gradient", spy)
    train(net, X, y, lr=0.01, steps=8, batch_size=3, seed=1)
    sizes = [len(b) for b in seen[:8]]
    assert sizes == [3, 3, 1, 3, 3, 1, 3, 3]  # before: 3, 3, 3, 3, ... and one sample a round left out
    rows = set(map(tuple, np.round(X, 12).tolist()))
    assert set().union(*seen[:3]) == rows and set().union(*seen[3:6]) == rows


# ---------------------------------------------------------------------------------------------
# Callbacks and stopping


def test_callback_gets_step_and_loss():
    net = small_net()
    X, y = regression()
    calls = []
    history = train(net, X, y, lr=0.1, steps=5, callback=lambda step, loss: calls.append((step, loss)))
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal([c[1] for c in calls], history.train_loss[:5])
    assert not history.stopped_early


def test_callback_returning_false_stops_training():
    net = small_net()
    X, y = regression()
    history = train(net, X, y, lr=0.1, steps=50, callback=lambda step, loss: step < 3)
    assert history.stopped_early
    assert len(history) == 4  # the start and three updates
    np.testing.assert_array_equal(net.parameters, history.parameters[-1])
    reference = train(small_net(), X, y, lr=0.1, steps=3)
    np.testing.assert_array_equal(history.parameters, reference.parameters)


# ---------------------------------------------------------------------------------------------
# Divergence


def check_diverged(history):
    """Stopped at the first entry the rule flags: a loss or gradient not finite, or the loss above 10⁴ × L₀."""
    assert history.diverged
    assert history.diverged_at == len(history) - 1
    last = history.train_loss[-1]
    blew_up = not np.isfinite(last) or not np.all(np.isfinite(history.gradients[-1]))
    assert blew_up or last > DIVERGENCE_FACTOR * max(history.train_loss[0], 1e-3)
    assert diverged_at(history.train_loss[:-1]) is None
    assert np.all(np.isfinite(history.gradients[:-1]))


def test_diverging_scenario_is_flagged_without_warnings():
    s = get_scenario("diverging_learning_rate")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train(s.network, s.X, s.y, lr=s.lr, steps=1000)
        text = history.to_json()
    check_diverged(history)
    assert len(history) < 1001
    assert history.train_loss[-1] > 1e4 * history.train_loss[0]  # flagged while still finite
    assert np.isfinite(history.train_loss[-1])
    assert "NaN" not in text and "Infinity" not in text
    back = History.from_json(text)
    assert back.diverged and back.diverged_at == history.diverged_at


def test_huge_learning_rate_diverges_and_is_flagged():
    net = small_net()
    X, y = regression()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = train(net, X, y, lr=1e6, steps=200)
    check_diverged(history)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_huge_learning_rate_diverges_without_warnings(optimizer):
    net = small_net()
    X, y = regression()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train(net, X, y, optimizer=optimizer, lr=1e6, steps=200)
    check_diverged(history)


def test_a_loss_that_grows_a_million_fold_while_finite_is_diverged():
    """The issue's case: η = 1e6 took the loss to 5.8e5 with no message; NaN was the only rule."""
    net = Network([1, 1], output_activation="identity", loss="mse", init="zeros")
    X, y = np.array([[1.0]]), np.array([1.0])
    history = train(net, X, y, lr=1.5, steps=100)  # w and b both move: the error × (1 − 2η) = −2, the loss × 4
    assert history.diverged and np.all(np.isfinite(history.train_loss))
    k = history.diverged_at
    assert history.train_loss[k] > 1e4 * history.train_loss[0] >= history.train_loss[k - 1]
    assert history.diverged_step == k == 7  # 0.5 · 4⁷ = 8192 > 5000
    assert history.divergence_message == divergence_message(7, 1.5)


@pytest.mark.parametrize(
    ("losses", "start", "expected"),
    [
        ([1.0, 2.0, 5.0], None, None),
        ([1.0, 2.0, 1e4], None, None),  # exactly 10⁴ × L₀ is still allowed
        ([1.0, 2.0, 1.0001e4, np.nan], None, 2),
        ([1.0, np.nan, 1e9], None, 1),
        ([1.0, np.inf], None, 1),
        ([np.nan, 1.0], None, 0),
        ([1e-9, 5.0], None, None),  # the floor: 10⁴ · max(L₀, 10⁻³) = 10
        ([1e-9, 11.0], None, 1),
        ([3.0, 4.0], 1e-4, None),
        ([3.0, 11.0], 1e-4, 1),  # the session's start, not this chunk's
        ([], None, None),
    ],
)
def test_the_divergence_rule(losses, start, expected):
    assert diverged_at(losses, start) == expected


def test_divergence_message_is_one_sentence_with_one_step():
    text = divergence_message(12, 3.0)
    assert text.startswith("The loss diverged at step 12: ") and "η = 3 is too large" in text
    assert text.count(".") == 1 and text.endswith(".")
    assert "10,000" in text and str(DIVERGENCE_FACTOR) not in text
    assert divergence_message(1234567, 0.5).startswith("The loss diverged at step 1,234,567:")
    assert text.endswith("lower η and reset (or undo) to train on.")
    assert divergence_message(12, 3.0, undo=False).endswith("lower η and reset to train on.")  # an app with no undo
    with pytest.raises(ValueError, match="undo must be True or False"):
        divergence_message(12, 3.0, undo="no")


def test_then_follows_the_rule_over_the_joined_run():
    X, y = np.array([[1.0]]), np.array([1.0])
    net = Network([1, 1], output_activation="identity", loss="mse", init="zeros")
    opt = SGD(1.5)
    chunks = [train(net, X, y, optimizer=opt, steps=1) for _ in range(10)]
    assert not any(c.diverged for c in chunks[:6])  # each chunk only grows 4-fold on its own
    joined = chunks[0]
    for c in chunks[1:]:
        joined = joined.then(c)
        if joined.diverged:
            break
    assert joined.diverged and joined.diverged_at == 7


# ---------------------------------------------------------------------------------------------
# Continuing: optimiser state and History.then


def test_optimizer_instance_keeps_state_and_then_joins_runs():
    X, y = regression()
    reference_net = small_net()
    reference = train(reference_net, X, y, optimizer=Momentum(0.1, beta=0.9), steps=10)

    net = small_net()
    opt = Momentum(0.1, beta=0.9)
    first = train(net, X, y, optimizer=opt, steps=4)
    second = train(net, X, y, optimizer=opt, steps=6)
    joined = first.then(second)
    assert len(joined) == 11
    np.testing.assert_array_equal(joined.steps, np.arange(11))
    np.testing.assert_allclose(joined.parameters, reference.parameters, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(joined.train_loss, reference.train_loss, rtol=1e-14)
    np.testing.assert_allclose(joined.gradients, reference.gradients, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(joined.grad_norms, reference.grad_norms, rtol=1e-13)
    np.testing.assert_array_equal(net.parameters, reference_net.parameters)

    # A fresh optimiser by name forgets the velocity, so the same split gives a different path.
    net = small_net()
    restarted = train(net, X, y, optimizer="momentum", lr=0.1, steps=4).then(
        train(net, X, y, optimizer="momentum", lr=0.1, steps=6)
    )
    assert not np.allclose(restarted.parameters[-1], reference.parameters[-1])


def test_adam_instance_keeps_its_step_count():
    X, y = regression()
    reference = train(small_net(), X, y, optimizer=Adam(0.05), steps=6)
    net = small_net()
    opt = Adam(0.05)
    train(net, X, y, optimizer=opt, steps=2)
    train(net, X, y, optimizer=opt, steps=4)
    np.testing.assert_allclose(net.parameters, reference.parameters[-1], rtol=1e-14, atol=1e-16)
    opt.reset()
    assert opt._t == 0


def test_given_lr_replaces_the_instance_lr():
    X, y = regression()
    opt = SGD(0.1)
    history = train(small_net(), X, y, optimizer=opt, lr=0.3, steps=1)
    assert opt.lr == 0.3 and history.lr == 0.3
    np.testing.assert_allclose(history.parameters[1], history.parameters[0] - 0.3 * history.gradients[0], rtol=1e-15)


def test_then_rejects_a_different_network():
    X, y = regression()
    a = train(small_net(), X, y, steps=1)
    b = train(Network([2, 3, 2], seed=0), X, y, steps=1)
    with pytest.raises(ValueError, match="same network"):
        a.then(b)


# ---------------------------------------------------------------------------------------------
# Exports


def test_history_json_round_trip(tmp_path):
    net = small_net()
    X, y = regression()
    history = train(net, X, y, lr=0.1, steps=5, X_test=X[:3], y_test=y[:3], batch_size=4)
    path = tmp_path / "h.json"
    text = history.to_json(path)
    for back in (History.from_json(text), History.from_json(path), History.from_json(str(path))):
        np.testing.assert_array_equal(back.steps, history.steps)
        for key in ("train_loss", "test_loss", "parameters", "gradients", "grad_norms"):
            np.testing.assert_array_equal(getattr(back, key), getattr(history, key))
        assert back.parameter_names == history.parameter_names
        assert (back.optimizer, back.lr, back.batch_size) == ("sgd", 0.1, 4)
        assert (back.diverged, back.diverged_at, back.stopped_early) == (False, None, False)
    d = json.loads(text)
    assert d["format"] == "backprop-explainer history"


def test_history_json_writes_non_finite_as_null():
    h = History(
        steps=np.arange(2),
        train_loss=np.array([1.0, np.inf]),
        test_loss=None,
        parameters=np.array([[0.5], [np.nan]]),
        gradients=np.array([[1.0], [-np.inf]]),
        grad_norms=np.array([[1.0], [np.nan]]),
        parameter_names=["W1[0,0]"],
        optimizer="sgd",
        lr=0.1,
        diverged=True,
        diverged_at=1,
    )
    text = h.to_json()
    d = json.loads(text)
    assert d["train_loss"] == [1.0, None]
    assert d["parameters"] == [[0.5], [None]]
    assert d["gradients"] == [[1.0], [None]]
    assert d["test_loss"] is None
    back = History.from_json(text)
    assert back.train_loss[0] == 1.0 and np.isnan(back.train_loss[1])
    assert back.diverged_at == 1


def test_history_to_csv_round_trip(tmp_path):
    net = Network([2, 2, 1], activation="tanh", output_activation="identity", seed=0)
    X, y = regression()
    history = train(net, X, y[:, 0], lr=0.1, steps=3, X_test=X[:2], y_test=y[:2, 0])
    text = history.to_csv(tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text() == text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["step", "train_loss", "test_loss", "grad_norm_W1", "grad_norm_W2", *history.parameter_names]
    assert len(rows) == 5
    for t, row in enumerate(rows[1:]):
        assert int(row[0]) == t
        assert float(row[1]) == history.train_loss[t]
        assert float(row[2]) == history.test_loss[t]
        np.testing.assert_array_equal([float(v) for v in row[3:5]], history.grad_norms[t])
        np.testing.assert_array_equal([float(v) for v in row[5:]], history.parameters[t])
    no_test = train(net, X, y[:, 0], steps=1).to_csv()
    assert list(csv.reader(io.StringIO(no_test)))[1][2] == ""


# ---------------------------------------------------------------------------------------------
# Learning


def test_loss_decreases_on_xor():
    s = get_scenario("xor")
    history = train(s.network, s.X, s.y, lr=s.lr, steps=500)
    assert history.train_loss[0] > 0.5  # about log 2 per sample at the start
    assert history.train_loss[-1] < 0.05  # measured 0.012
    assert history.train_loss[-1] < history.train_loss[250] < history.train_loss[0]
    predictions = s.network.forward(s.X).ravel()
    np.testing.assert_array_equal(predictions > 0.5, [False, True, True, False])


# ---------------------------------------------------------------------------------------------
# Limits: steps per call, and a History bounded in memory


@pytest.mark.parametrize("steps", [2**40, MAX_STEPS + 1, 10**100])
def test_steps_are_capped_before_anything_is_allocated(steps):
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match="steps must be an integer from 0 to 1,000,000"):
        train(small_net(), *regression(), steps=steps)  # before: MemoryError "96 TiB" for 2**40
    assert time.perf_counter() - start < 0.5


def test_a_long_run_is_thinned_evenly_and_keeps_the_last_step(monkeypatch):
    X, y = regression()
    full = train(small_net(), X, y, lr=0.05, steps=1000)
    assert len(full) == 1001 and np.array_equal(full.steps, np.arange(1001))
    monkeypatch.setattr(history_module, "MAX_HISTORY_ENTRIES", 40)
    net = small_net()
    thin = train(net, X, y, lr=0.05, steps=1000)
    assert len(thin) <= 40
    steps = thin.steps
    assert steps[0] == 0 and steps[-1] == 1000
    stride = int(steps[1])
    assert stride & (stride - 1) == 0 and np.all(steps[:-1] % stride == 0)  # every stride-th step...
    assert np.array_equal(np.diff(steps[:-1]), np.full(len(steps) - 2, stride))  # ...evenly spaced
    for key in ("parameters", "gradients", "train_loss", "grad_norms"):
        np.testing.assert_array_equal(getattr(thin, key), getattr(full, key)[steps])
    np.testing.assert_array_equal(net.parameters, full.parameters[-1])


def test_history_memory_stays_bounded_for_a_wide_network():
    net = Network([200, 1000, 200, 1], seed=0)  # about 400,000 parameters
    X = np.random.default_rng(0).normal(size=(4, 200))
    h = train(net, X, np.zeros(4), lr=1e-3, steps=60)
    assert len(h) <= history_module.history_capacity(net.n_parameters, net.n_layers) < 20
    assert h.parameters.nbytes + h.gradients.nbytes <= history_module.HISTORY_BYTES
    assert h.steps[0] == 0 and h.steps[-1] == 60


def test_a_million_step_run_on_a_tiny_network_stays_bounded():
    net = Network([1, 1], output_activation="identity", loss="mse", seed=0)
    h = train(net, [[1.0]], [0.5], lr=1e-3, steps=200_000)
    assert len(h) <= history_module.MAX_HISTORY_ENTRIES
    assert h.steps[-1] == 200_000 and h.steps[0] == 0


def test_thin_keeps_the_first_the_last_and_the_divergence():
    X, y = np.array([[1.0]]), np.array([1.0])
    h = train(Network([1, 1], output_activation="identity", init="zeros"), X, y, lr=0.9, steps=2000)
    assert not h.diverged
    small = h.thin(50)
    assert len(small) <= 50 and small.steps[0] == 0 and small.steps[-1] == 2000
    boom = train(Network([1, 1], output_activation="identity", init="zeros"), X, y, lr=1.5, steps=100)
    kept = boom.thin(3)
    assert kept.diverged_at == len(kept) - 1 and kept.diverged_step == boom.diverged_step
    with pytest.raises(ValueError, match="max_entries"):
        h.thin(1)


def test_test_data_errors_name_x_test_and_y_test():
    X, y = regression()
    with pytest.raises(ValueError, match="X_test must have 2 feature columns"):
        train(small_net(), X, y, X_test=np.ones((3, 5)), y_test=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"y_test must have shape \(3, 2\)"):
        train(small_net(), X, y, X_test=np.ones((3, 2)), y_test=np.ones(4))
    with pytest.raises(ValueError, match="X_test must hold only finite numbers"):
        train(small_net(), X, y, X_test=[[np.nan, 0.0]], y_test=[[0.0, 0.0]])


# ---------------------------------------------------------------------------------------------
# Loading a History: everything checked, a ValueError naming the entry


def good_history_dict():
    return json.loads(train(small_net(), *regression(), steps=3).to_json())


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("steps"), "missing the entry 'steps'"),
        (lambda d: d.pop("parameter_names"), "missing the entry 'parameter_names'"),
        (lambda d: d.update(steps=[0, 2, 1, 3]), r"\['steps'\] must be a non-empty increasing list"),
        (lambda d: d.update(steps="abc"), r"\['steps'\] must be a 1-D list of numbers"),
        (lambda d: d.update(train_loss=[1.0]), r"\['train_loss'\] must have shape \(4,\)"),
        (lambda d: d.update(parameters=[[1.0]] * 4), r"\['parameters'\] must have shape \(4, 22\)"),
        (lambda d: d.update(gradients={"a": 1}), r"\['gradients'\] must be a 2-D list"),
        (lambda d: d.update(grad_norms=[[1.0]] * 3), r"\['grad_norms'\] must have shape \(4, n_layers\)"),
        (lambda d: d.update(lr=-1), r"\['lr'\] must be a finite number > 0"),
        (lambda d: d.update(lr="0.1"), r"\['lr'\]"),
        (lambda d: d.update(optimizer=3), r"\['optimizer'\] must be a name"),
        (lambda d: d.update(batch_size=0), r"\['batch_size'\]"),
        (lambda d: d.update(diverged="no"), r"\['diverged'\] must be true or false"),
        (lambda d: d.update(diverged_at=7), r"\['diverged_at'\] must be null or an entry index 0 to 3"),
        (lambda d: d.update(diverged_at=2), r"\['diverged_at'\] must be given exactly when"),
        (lambda d: d.update(parameter_names=[1, 2]), r"\['parameter_names'\] must be a non-empty list"),
    ],
)
def test_from_json_checks_every_entry(change, match):
    d = good_history_dict()
    change(d)
    with pytest.raises(ValueError, match=match):
        History.from_json(json.dumps(d))


@pytest.mark.parametrize("text", ["{}", '{"format": "backprop-explainer history"}', "[1, 2]", "{not json", "null"])
def test_from_json_of_non_histories_is_a_value_error(text, tmp_path):
    with pytest.raises(ValueError, match="text_or_path"):  # before: KeyError for "{}"
        History.from_json(text)


def test_from_json_refuses_huge_files_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "h.json"
    train(small_net(), *regression(), steps=3).to_json(path)
    monkeypatch.setattr(history_module, "MAX_HISTORY_FILE_BYTES", 100)
    with pytest.raises(ValueError, match="a history may be at most 100 bytes"):
        History.from_json(path)
    with pytest.raises(ValueError, match="text_or_path"):
        History.from_json(path.read_text())
    with pytest.raises(ValueError, match="text_or_path must be a file path"):
        History.from_json(3.5)


# ---------------------------------------------------------------------------------------------
# Regularisation: L_total = L_data + Ω(w) on the weights, its gradient in every step (as TF Playground)


def _total_loss(net, theta, X, y, penalty):
    probe = net.copy()
    probe.set_parameters(theta)
    return probe.loss_value(X, y) + penalty.value(theta)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_the_penalty_and_its_gradient_against_finite_differences(kind):
    from explainer.engine.training import Penalty

    X, y = regression()
    net = small_net(seed=3)
    penalty = Penalty.of(net, kind, 0.03)
    theta = net.parameters
    _, data_grad = gradient_at(net, theta, X, y)
    total_grad = data_grad + penalty.gradient(theta)
    h = 1e-6
    fd = np.array([
        (_total_loss(net, theta + h * e, X, y, penalty) - _total_loss(net, theta - h * e, X, y, penalty)) / (2 * h)
        for e in np.eye(net.n_parameters)
    ])  # fmt: skip
    np.testing.assert_allclose(total_grad, fd, rtol=1e-6, atol=1e-9)
    # Biases carry no penalty: their gradient is the data gradient's.
    biases = np.array([name.startswith("b") for name in net.parameter_names])
    np.testing.assert_array_equal(penalty.gradient(theta)[biases], 0.0)
    weights = net.parameters[~biases]
    expected = 0.03 * (np.abs(weights).sum() if kind == "l1" else 0.5 * (weights**2).sum())
    assert penalty.value(theta) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_a_regularised_run_takes_the_penalised_gradient_each_step(kind):
    from explainer.engine.training import Penalty, penalty_of

    X, y = regression()
    net = small_net(seed=1)
    h = train(net, X, y, lr=0.1, steps=5, regularization=kind, reg_rate=0.05)
    penalty = Penalty.of(net, kind, 0.05)
    ref = small_net(seed=1)
    theta = ref.parameters
    for t in range(5):
        loss, g = gradient_at(ref, theta, X, y)
        assert h.train_loss[t] == pytest.approx(loss, rel=1e-13)  # the data loss alone
        np.testing.assert_allclose(h.gradients[t], g + penalty.gradient(theta), rtol=1e-12, atol=1e-15)
        theta = theta - 0.1 * (g + penalty.gradient(theta))
    np.testing.assert_allclose(net.parameters, theta, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(penalty_of(h, penalty), penalty.values(h.parameters))
    assert penalty_of(h, penalty)[0] > 0


def test_regularisation_against_pytorch():
    torch = pytest.importorskip("torch")
    X, y = regression(n=10, seed=2)
    for kind, rate in (("l1", 0.02), ("l2", 0.1)):
        net = Network([2, 5, 3, 2], activation="tanh", output_activation="identity", loss="mse", seed=4)
        start = [(torch.tensor(np.array(w), requires_grad=True), torch.tensor(np.array(b), requires_grad=True))
                 for w, b in zip(net.weights, net.biases)]  # fmt: skip
        h = train(net, X, y, optimizer="sgd", lr=0.05, steps=20, regularization=kind, reg_rate=rate)
        params = [p for pair in start for p in pair]
        opt = torch.optim.SGD(params, lr=0.05)
        Xt, Yt = torch.tensor(X), torch.tensor(y)
        for step in range(20):
            opt.zero_grad()
            a = Xt
            for layer, (w, b) in enumerate(start):
                a = a @ w + b
                if layer < len(start) - 1:
                    a = torch.tanh(a)
            data = 0.5 * ((a - Yt) ** 2).sum(dim=1).mean()
            ws = [w for w, _ in start]
            if kind == "l1":
                omega = rate * sum(w.abs().sum() for w in ws)
            else:
                omega = rate * 0.5 * sum((w**2).sum() for w in ws)
            assert h.train_loss[step] == pytest.approx(data.item(), rel=1e-12)
            (data + omega).backward()
            opt.step()
        ours = np.concatenate([np.concatenate([np.ravel(w), np.ravel(b)]) for w, b in zip(net.weights, net.biases)])
        theirs = np.concatenate([torch.cat([w.detach().ravel(), b.detach().ravel()]).numpy() for w, b in start])
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


def test_regularisation_is_checked_at_the_door():
    X, y = regression()
    for kwargs, match in (
        ({"regularization": "l3"}, "regularization must be one of none, l1, l2"),
        ({"regularization": 2}, "regularization must be one of"),
        ({"reg_rate": -0.1}, "reg_rate must be a finite number ≥ 0"),
        ({"reg_rate": float("nan")}, "reg_rate"),
        ({"reg_rate": 1e3}, "reg_rate must be a number from 0 to 100"),
    ):
        with pytest.raises(ValueError, match=match):
            train(small_net(), X, y, steps=1, **kwargs)
    # None and upper case are "none" and "l2"; a rate of 0 is no penalty at all.
    a = train(small_net(), X, y, steps=3, regularization=None)
    b = train(small_net(), X, y, steps=3, regularization="L2", reg_rate=0.0)
    np.testing.assert_array_equal(a.parameters, b.parameters)


def test_l1_at_zero_has_no_push():
    from explainer.engine.training import Penalty

    net = Network([2, 1], output_activation="identity", loss="mse", init="zeros")
    penalty = Penalty.of(net, "l1", 0.5)
    np.testing.assert_array_equal(penalty.gradient(net.parameters), 0.0)
    assert penalty.value(net.parameters) == 0.0
