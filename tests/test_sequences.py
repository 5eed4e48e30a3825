"""explainer.course.sequences: the two tasks, seeded; W_hh = s·Q stretches every direction by exactly s; rnn_pass is
the engine's BPTT from the loss it says; the presets vanish, explode and clip as they say."""

from __future__ import annotations

import numpy as np
import pytest

from explainer.course.sequences import (
    OMEGA,
    RNN_PRESETS,
    TASKS,
    get_rnn_preset,
    make_sequence,
    rnn_pass,
    rnn_weights,
)
from explainer.rnn import rnn_backprop


def test_the_sine_task_predicts_the_next_value():
    s = make_sequence("sine", 10, amplitude=0.5, seed=3)
    assert s.xs.shape == s.targets.shape == (10, 1, 1) and s.counted.all()
    np.testing.assert_array_equal(s.targets[:-1], s.xs[1:])  # the target of yₜ is xₜ₊₁
    step = np.arccos(np.clip((s.xs[2, 0, 0] + s.xs[0, 0, 0]) / (2 * s.xs[1, 0, 0]), -1, 1))
    assert step == pytest.approx(OMEGA, abs=1e-9)  # sin(a − ω) + sin(a + ω) = 2 sin(a) cos(ω)
    assert np.abs(s.xs).max() <= 0.5
    for arr in (s.xs, s.targets, s.counted):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0


def test_the_remember_task_asks_for_the_cue_at_the_last_step():
    s = make_sequence("remember", 6, amplitude=2.0, seed=1)
    assert abs(s.xs[0, 0, 0]) == 2.0 and not s.xs[1:].any()
    assert s.counted.tolist() == [False] * 5 + [True]
    assert s.targets[-1, 0, 0] == s.xs[0, 0, 0] and not s.targets[:-1].any()
    assert {make_sequence("remember", 3, seed=k).xs[0, 0, 0] for k in range(8)} == {-1.0, 1.0}  # both signs


def test_a_seed_gives_the_same_numbers_every_time():
    a, b = make_sequence("sine", 8, seed=7), make_sequence("sine", 8, seed=7)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.array_equal(a.xs, make_sequence("sine", 8, seed=8).xs)
    np.testing.assert_array_equal(rnn_weights(1.5, seed=2).W_hh, rnn_weights(1.5, seed=2).W_hh)


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.0, 7.5])
def test_w_hh_stretches_every_direction_by_exactly_the_scale(scale):
    w = rnn_weights(scale, seed=0)
    np.testing.assert_allclose(np.linalg.svd(w.W_hh, compute_uv=False), scale, rtol=1e-12)
    assert w.W_xh.shape == (1, 3) and w.W_hy.shape == (3, 1) and not w.b_h.any() and not w.b_y.any()
    np.testing.assert_array_equal(w.W_hh, scale * rnn_weights(1.0, seed=0).W_hh)  # the same Q at every scale


def test_rnn_pass_is_the_engines_bptt_from_the_squared_error():
    p = rnn_pass("sine", 7, scale=1.3, amplitude=0.8, clip=2.0, seed=4)
    s, w = p.sequence, p.weights
    args = (s.xs, np.zeros((1, 3)), w.W_xh, w.W_hh, w.b_h, w.W_hy, w.b_y)
    y = rnn_backprop(*args, np.zeros((7, 1, 1))).outputs
    g = y - s.targets
    ref = rnn_backprop(*args, g, clip=2.0)
    np.testing.assert_array_equal(p.grad_outputs, g)
    np.testing.assert_array_equal(p.record.grad_hidden, ref.grad_hidden)
    np.testing.assert_array_equal(p.record.grad_W_hh, ref.grad_W_hh)
    assert p.loss_value == pytest.approx(0.5 * float(np.sum(g**2)), rel=1e-15)
    last = rnn_pass("remember", 5, seed=0)
    assert not last.grad_outputs[:-1].any() and last.grad_outputs[-1, 0, 0] != 0  # the loss counts the end only


def test_the_presets_vanish_explode_and_clip_as_they_say():
    assert set(RNN_PRESETS) == {"sine", "vanishing", "exploding", "clipped"}
    for name, p in RNN_PRESETS.items():
        assert p.task in TASKS and 1 <= p.n_steps <= 12 and p.title and p.description, name
    v = _run("vanishing").record.grad_hidden_norms
    assert np.all(v[:-1] <= 0.5 * v[1:] * (1 + 1e-12))  # ‖∂L/∂hₜ‖ ≤ s‖∂L/∂hₜ₊₁‖ with s = 0.5
    e = _run("exploding").record
    assert e.grad_hidden_norms[0] > 500 * e.grad_hidden_norms[-1]
    assert np.all(np.abs(e.hidden[:-3]) < 0.5)  # the state stays small (tanh′ ≈ 1) until the last steps
    c = _run("clipped").record
    assert c.any_clipped and c.clipped.sum() >= 10
    assert np.all(np.linalg.norm(c.grad_hidden[:, 0], axis=1) <= 1.0 + 1e-12)


def _run(name):
    p = get_rnn_preset(name)
    return rnn_pass(p.task, p.n_steps, scale=p.scale, amplitude=p.amplitude, clip=p.clip)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: make_sequence("copy"), "task"),
        (lambda: make_sequence("sine", 0), "n_steps"),
        (lambda: make_sequence("sine", 201), "n_steps"),
        (lambda: make_sequence("sine", 2.0), "n_steps"),
        (lambda: make_sequence("sine", 5, amplitude=0.0), "amplitude"),
        (lambda: make_sequence("sine", 5, amplitude=1e3), "amplitude"),
        (lambda: make_sequence("sine", 5, seed=-1), "seed"),
        (lambda: make_sequence("sine", 5, seed=None), "seed"),
        (lambda: rnn_weights(0.0), "scale"),
        (lambda: rnn_weights(11.0), "scale"),
        (lambda: rnn_weights(1.0, n_hidden=17), "n_hidden"),
        (lambda: rnn_pass(clip=0.0), "clip"),
        (lambda: rnn_pass(clip="1"), "clip"),
        (lambda: get_rnn_preset("chaos"), "name"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()
