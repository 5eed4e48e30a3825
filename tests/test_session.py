"""Tests for explainer.engine.session: training in chunks equals one run, undo and reset, the divergence rule
over the whole session, bounded memory on long sessions, and ValueErrors naming the argument at the door.
"""

import numpy as np
import pytest

from explainer import Network, TrainingSession, train
from explainer.engine import history as history_module
from explainer.engine.training import SGD, Momentum


def data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    return X, np.sin(X[:, :1]) + X[:, 1:]


def net(seed=0):
    return Network([2, 4, 1], activation="tanh", output_activation="identity", loss="mse", seed=seed)


def test_chunks_join_into_the_same_run_as_one_call():
    X, y = data()
    reference = train(net(), X, y, optimizer=Momentum(0.1), steps=12)
    session = TrainingSession(net(), X, y, optimizer="momentum", lr=0.1)
    for n in (1, 5, 6):
        session.step(n)
    h = session.history
    assert session.steps_done == 12 and len(h) == 13
    np.testing.assert_allclose(h.parameters, reference.parameters, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(h.train_loss, reference.train_loss, rtol=1e-14)
    assert session.checkpoints == list(range(13))


def test_undo_and_reset():
    X, y = data()
    session = TrainingSession(net(), X, y, lr=0.1)
    start = session.network.parameters
    session.step(5)
    after3 = session.history.parameters[3]
    session.undo(3)
    assert session.steps_done == 3
    np.testing.assert_array_equal(session.network.parameters, after3)
    session.undo()
    assert session.steps_done == 2
    session.reset()
    assert session.steps_done == 0
    np.testing.assert_array_equal(session.network.parameters, start)
    with pytest.raises(ValueError, match="to_step: there is no earlier step"):
        session.undo()
    session.step(2)
    for bad in (-1, 3, 1.5, "1", True):
        with pytest.raises(ValueError, match="to_step must be an integer from 0 to 2"):
            session.undo(bad)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": "x"}, "seed must be a non-negative integer"),  # before: TypeError
        ({"seed": -1}, "seed"),
        ({"lr": 0}, "lr must be a finite number > 0"),
        ({"lr": "0.1"}, "lr"),
        ({"batch_size": 0}, "batch_size must be an integer ≥ 1"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam"),
        ({"optimizer": "sgd", "beta": 0.9}, "optimizer 'sgd' does not take beta"),
        ({"optimizer": SGD(0.1), "beta": 0.9}, "optimizer options must be set on the Optimizer"),
        ({"X_test": np.ones((2, 3)), "y_test": np.ones(2)}, "X_test must have 2 feature columns"),
        ({"X_test": np.ones((2, 2)), "y_test": np.ones(3)}, r"y_test must have shape \(2, 1\)"),
        ({"X_test": np.ones((2, 2))}, "X_test and y_test must be given together"),
    ],
)
def test_bad_arguments_are_value_errors_naming_them(kwargs, match):
    X, y = data()
    with pytest.raises(ValueError, match=match):
        TrainingSession(net(), X, y, **kwargs)


def test_bad_network_and_data():
    X, y = data()
    with pytest.raises(ValueError, match="network must be an explainer.Network"):
        TrainingSession("net", X, y)
    with pytest.raises(ValueError, match="X must have 2 feature columns"):
        TrainingSession(net(), np.ones((3, 3)), y)
    session = TrainingSession(net(), X, y)
    with pytest.raises(ValueError, match="batch_size"):
        session.batch_size = -3
    with pytest.raises(ValueError, match=r"y must have shape \(3, 1\)"):
        session.set_data(np.ones((3, 2)), np.ones(4))


@pytest.mark.parametrize("n", [0, -1, 1.0, 2**40, 10**6 + 1])
def test_steps_per_call_are_capped(n):
    session = TrainingSession(net(), *data())
    with pytest.raises(ValueError, match="n must be an integer from 1 to 1,000,000"):
        session.step(n)


def test_a_loss_creeping_up_one_step_at_a_time_is_diverged_over_the_session():
    """Each chunk grows the loss only 4-fold, never 10⁴-fold on its own: the session judges the whole run."""
    net1 = Network([1, 1], output_activation="identity", loss="mse", init="zeros")
    session = TrainingSession(net1, [[1.0]], [1.0], lr=1.5)
    for _ in range(6):
        session.step(1)
    assert not session.diverged
    session.step(1)
    assert session.diverged and session.history.diverged_at == 7
    assert session.history.diverged_step == 7
    with pytest.raises(ValueError, match="the run has diverged"):
        session.step(1)
    session.undo(6)
    assert not session.diverged
    session.lr = 0.1
    session.step(10)
    assert not session.diverged


def test_a_long_session_keeps_a_bounded_evenly_thinned_history(monkeypatch):
    X, y = data()
    reference = train(net(), X, y, lr=0.05, steps=2100)  # every step kept
    monkeypatch.setattr(history_module, "MAX_HISTORY_ENTRIES", 64)
    session = TrainingSession(net(), X, y, lr=0.05)
    for _ in range(300):
        session.step(7)
        assert len(session.history) <= 64
    h = session.history
    assert h.steps[0] == 0 and h.steps[-1] == 2100 == session.steps_done
    gaps = np.diff(h.steps)
    assert gaps.max() <= 2 * np.median(gaps)  # evenly spread, not the first steps and a tail
    np.testing.assert_allclose(h.parameters, reference.parameters[h.steps], rtol=1e-10, atol=1e-13)
    kept = session.checkpoints
    session.undo(kept[-3])
    assert session.steps_done == kept[-3]
    missing = next(s for s in range(1, kept[-1]) if s not in kept)
    with pytest.raises(ValueError, match=f"to_step {missing} is not kept.*nearest kept steps"):
        session.undo(missing)


def test_mini_batches_over_the_session_use_every_sample():
    X, y = data(5)
    session = TrainingSession(net(), X, y, lr=0.01, batch_size=2, seed=3)
    seen = []
    original = session.network.gradient
    session.network.gradient = lambda Xb, Yb: (seen.append(len(Xb)), original(Xb, Yb))[1]
    session.step(6)
    assert seen[:6] == [2, 2, 1, 2, 2, 1]
    session.batch_size = 50  # more than the samples: full batch
    session.step(1)
    assert seen[-1] == 5


def test_seed_may_be_a_generator_or_none():
    X, y = data()
    TrainingSession(net(), X, y, seed=np.random.default_rng(1)).step(1)
    TrainingSession(net(), X, y, seed=None).step(1)


def test_mini_batch_chunks_draw_the_batches_of_one_call():
    X, y = data(11)
    reference = train(net(), X, y, lr=0.05, steps=17, batch_size=3, seed=5)
    session = TrainingSession(net(), X, y, lr=0.05, batch_size=3, seed=5)
    for n in (1, 4, 2, 10):
        session.step(n)
    h = session.history
    np.testing.assert_allclose(h.parameters, reference.parameters, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(h.gradients, reference.gradients, rtol=1e-14, atol=1e-16)
    # 17 steps of ⌈11/3⌉ = 4 a pass: 4 full passes and one batch of 3 of the 11 samples.
    assert session.epochs == pytest.approx(4 + 3 / 11)
    assert session.next_batch().shape == (3,)


def test_a_reset_run_repeats_the_first_exactly():
    X, y = data(9)
    session = TrainingSession(net(), X, y, lr=0.05, batch_size=2, seed=1, optimizer="adam")
    session.step(13)
    first = session.history.parameters.copy()
    session.reset()
    assert session.steps_done == 0 and session.epochs == 0
    session.step(13)
    np.testing.assert_array_equal(session.history.parameters, first)


def test_the_session_keeps_the_data_loss_and_the_penalty_apart():
    from explainer.engine.training import Penalty

    X, y = data()
    session = TrainingSession(net(), X, y, lr=0.1, regularization="l2", reg_rate=0.01)
    session.step(4)
    session.regularization = "l1"
    session.reg_rate = 0.02
    session.step(3)
    parts = session.losses()
    h = session.history
    np.testing.assert_array_equal(parts["data"], h.train_loss)
    l2, l1 = Penalty.of(session.network, "l2", 0.01), Penalty.of(session.network, "l1", 0.02)
    np.testing.assert_allclose(parts["penalty"][:5], l2.values(h.parameters[:5]))
    np.testing.assert_allclose(parts["penalty"][5:], l1.values(h.parameters[5:]))
    np.testing.assert_allclose(parts["total"], parts["data"] + parts["penalty"])
    latest = session.latest()
    assert latest["step"] == 7 and latest["penalty"] == parts["penalty"][-1]
    np.testing.assert_array_equal(latest["gradient"], h.gradients[-1])
    with pytest.raises(ValueError, match="regularization must be one of none, l1, l2"):
        session.regularization = "l0"
    with pytest.raises(ValueError, match="reg_rate"):
        session.reg_rate = -1


def test_display_history_thins_without_the_rest():
    X, y = data()
    session = TrainingSession(net(), X, y, lr=0.05)
    for _ in range(60):
        session.step(10)
    shown = session.display_history(50)
    assert len(shown) <= 50 and shown.steps[0] == 0 and shown.steps[-1] == 600
    full = session.history
    index = np.searchsorted(full.steps, shown.steps)
    np.testing.assert_array_equal(shown.parameters, full.parameters[index])
    np.testing.assert_array_equal(shown.grad_norms, full.grad_norms[index])


def test_new_data_keeps_the_run_and_restarts_the_batches():
    X, y = data(8)
    session = TrainingSession(net(), X, y, lr=0.05, batch_size=3, seed=0)
    session.step(5)
    X2, y2 = data(12, seed=1)
    session.set_data(X2, y2)
    session.step(2)
    assert session.steps_done == 7 and session.X.shape == (12, 2)
    assert max(session.next_batch()) < 12
