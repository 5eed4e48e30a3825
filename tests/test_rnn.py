"""Tests for explainer.engine.rnn (public door explainer.rnn): backpropagation through time.

Independent references: PyTorch float64 autograd over random shapes (sequence lengths 1-30, batches 1-8),
torch.nn.RNN itself once, torch with a per-step clipping hook for ``clip``, and central finite differences of
L = Σ_t Σ g_t ⊙ y_t (whose ∂L/∂y_t is g_t). Then the record's identities, vanishing and exploding gradients,
and the checks at the door.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer.engine.rnn import MAX_STEPS, RNNRecord
from explainer.rnn import rnn_backprop

TOL = 1e-10
NAMES = ("xs", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y")


def assert_close(ours, reference, tol=TOL):
    """max |ours − reference| ≤ tol · max |reference| (a relative error over the whole array)."""
    reference = np.asarray(reference)
    err = np.abs(np.asarray(ours) - reference).max() / max(np.abs(reference).max(), 1e-300)
    assert err <= tol, f"relative error {err:.2e} > {tol:.0e}"


def make_rnn(T, n, n_in, n_h, n_out, seed, w_hh_scale=1.0, x_scale=1.0):
    """Arguments of rnn_backprop as a dict; W_hh has spectral scale about w_hh_scale."""
    rng = np.random.default_rng(seed)
    return {
        "xs": x_scale * rng.normal(size=(T, n, n_in)),
        "h0": rng.normal(size=(n, n_h)) * 0.5,
        "W_xh": rng.normal(size=(n_in, n_h)) / np.sqrt(n_in),
        "W_hh": rng.normal(size=(n_h, n_h)) * w_hh_scale / np.sqrt(n_h),
        "b_h": rng.normal(size=n_h) * 0.1,
        "W_hy": rng.normal(size=(n_h, n_out)),
        "b_y": rng.normal(size=n_out),
        "grad_outputs": rng.normal(size=(T, n, n_out)),
    }


def torch_bptt(args, clip=None):
    """The same network in torch autograd. With ``clip``, a hook on each h_t rescales its gradient (the sum of
    both roads) to norm ``clip``, as the engine does. Returns leaves, hidden states, outputs, the gradient each
    h_t had (after clipping) and its norm before."""
    torch = pytest.importorskip("torch")
    leaves = {k: torch.tensor(args[k], dtype=torch.float64, requires_grad=True) for k in NAMES}
    T = args["xs"].shape[0]
    seen = [None] * T
    norms = np.zeros(T)
    h, hidden = leaves["h0"], []
    for t in range(T):
        h = torch.tanh(leaves["xs"][t] @ leaves["W_xh"] + h @ leaves["W_hh"] + leaves["b_h"])

        def hook(grad, t=t):
            norms[t] = float(grad.norm())
            if clip is not None and norms[t] > clip:
                grad = grad * (clip / norms[t])
            seen[t] = grad.detach().numpy().copy()
            return grad

        h.register_hook(hook)
        hidden.append(h)
    outputs = torch.stack([hh @ leaves["W_hy"] + leaves["b_y"] for hh in hidden])
    outputs.backward(torch.tensor(args["grad_outputs"]))
    return leaves, torch.stack(hidden).detach().numpy(), outputs.detach().numpy(), np.stack(seen), norms


def assert_matches_torch(r, args, clip=None):
    leaves, hidden, outputs, grad_hidden, norms = torch_bptt(args, clip)
    assert_close(r.hidden, hidden)
    assert_close(r.outputs, outputs)
    assert_close(r.grad_hidden, grad_hidden)
    assert_close(r.grad_hidden_norms, norms)
    for ours, theirs in [
        ("grad_inputs", "xs"),
        ("grad_h0", "h0"),
        ("grad_W_xh", "W_xh"),
        ("grad_W_hh", "W_hh"),
        ("grad_b_h", "b_h"),
        ("grad_W_hy", "W_hy"),
        ("grad_b_y", "b_y"),
    ]:
        assert_close(getattr(r, ours), leaves[theirs].grad.numpy())


@st.composite
def rnn_cases(draw):
    return {
        "T": draw(st.integers(1, 30)),
        "n": draw(st.integers(1, 8)),
        "n_in": draw(st.integers(1, 5)),
        "n_h": draw(st.integers(1, 6)),
        "n_out": draw(st.integers(1, 4)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "w_hh_scale": draw(st.sampled_from([0.3, 1.0, 2.5])),
    }


# ---------------------------------------------------------------------------------------------------------------
# Against PyTorch.


@settings(max_examples=60, deadline=None)
@given(rnn_cases())
def test_rnn_matches_torch(case):
    args = make_rnn(**case)
    assert_matches_torch(rnn_backprop(**args), args)


@settings(max_examples=40, deadline=None)
@given(rnn_cases(), st.sampled_from([0.05, 0.5, 2.0]))
def test_rnn_with_clipping_matches_torch_with_a_clipping_hook(case, clip):
    args = make_rnn(**case)
    r = rnn_backprop(**args, clip=clip)
    assert_matches_torch(r, args, clip)
    np.testing.assert_array_equal(r.clipped, r.grad_hidden_norms > clip)
    assert np.all(np.sqrt(np.sum(r.grad_hidden**2, axis=(1, 2))) <= clip * (1 + 1e-12))


def test_rnn_matches_torch_nn_rnn_over_20_steps():
    # The benchmark's network: T = 20, N = 8, n_in = 8, n_h = 32, n_out = 4; torch.nn.RNN's weights are the
    # transposes (W_ih = W_xhᵀ, W_hh = W_hhᵀ) and it has two biases that add up to b_h.
    torch = pytest.importorskip("torch")
    args = make_rnn(20, 8, 8, 32, 4, seed=0)
    rnn = torch.nn.RNN(8, 32, nonlinearity="tanh", dtype=torch.float64)
    linear = torch.nn.Linear(32, 4, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(args["W_xh"].T))
        rnn.weight_hh_l0.copy_(torch.tensor(args["W_hh"].T))
        rnn.bias_ih_l0.copy_(torch.tensor(args["b_h"] * 0.25))
        rnn.bias_hh_l0.copy_(torch.tensor(args["b_h"] * 0.75))
        linear.weight.copy_(torch.tensor(args["W_hy"].T))
        linear.bias.copy_(torch.tensor(args["b_y"]))
    xs = torch.tensor(args["xs"], requires_grad=True)
    h0 = torch.tensor(args["h0"][None], requires_grad=True)
    hidden, _ = rnn(xs, h0)
    linear(hidden).backward(torch.tensor(args["grad_outputs"]))
    r = rnn_backprop(**args)
    assert_close(r.hidden, hidden.detach().numpy())
    assert_close(r.grad_inputs, xs.grad.numpy())
    assert_close(r.grad_h0, h0.grad.numpy()[0])
    assert_close(r.grad_W_xh, rnn.weight_ih_l0.grad.numpy().T)
    assert_close(r.grad_W_hh, rnn.weight_hh_l0.grad.numpy().T)
    assert_close(r.grad_b_h, rnn.bias_ih_l0.grad.numpy())
    assert_close(r.grad_b_h, rnn.bias_hh_l0.grad.numpy())
    assert_close(r.grad_W_hy, linear.weight.grad.numpy().T)
    assert_close(r.grad_b_y, linear.bias.grad.numpy())


# ---------------------------------------------------------------------------------------------------------------
# Against finite differences (no torch).


def numeric_gradient(loss, arr, h=1e-5):
    """Central differences of loss() with respect to every entry of arr (changed in place, then restored)."""
    grad = np.zeros_like(arr)
    for index in np.ndindex(arr.shape):
        old = arr[index]
        arr[index] = old + h
        up = loss()
        arr[index] = old - h
        down = loss()
        arr[index] = old
        grad[index] = (up - down) / (2 * h)
    return grad


def test_rnn_matches_finite_differences():
    args = make_rnn(T=5, n=2, n_in=3, n_h=4, n_out=2, seed=11, w_hh_scale=1.5)

    def loss():  # L = Σ_t Σ g_t ⊙ y_t, so ∂L/∂y_t = g_t
        return float(np.sum(args["grad_outputs"] * rnn_backprop(**args).outputs))

    r = rnn_backprop(**args)
    for ours, name in [
        ("grad_inputs", "xs"),
        ("grad_h0", "h0"),
        ("grad_W_xh", "W_xh"),
        ("grad_W_hh", "W_hh"),
        ("grad_b_h", "b_h"),
        ("grad_W_hy", "W_hy"),
        ("grad_b_y", "b_y"),
    ]:
        assert_close(getattr(r, ours), numeric_gradient(loss, args[name]), tol=1e-8)


def test_grad_hidden_matches_finite_differences_of_each_hidden_state():
    # ∂L/∂h_t through time: nudge h_t (by nudging a_t's bias only at step t, through an extra input channel
    # that is 1 at step t and 0 elsewhere) and watch L. An input weight row w adds w to a_t, so
    # ∂L/∂w = ∂L/∂a_t = (1 − h_t²) ⊙ ∂L/∂h_t.
    T, n_h = 6, 3
    args = make_rnn(T=T, n=1, n_in=2, n_h=n_h, n_out=2, seed=12, w_hh_scale=1.2)
    r = rnn_backprop(**args)
    for t in range(T):
        pulse = np.zeros((T, 1, 1))
        pulse[t] = 1.0
        nudged = {**args, "xs": np.concatenate([args["xs"], pulse], axis=2)}
        row = np.zeros((1, n_h))
        nudged["W_xh"] = np.concatenate([args["W_xh"], row])

        def loss(nudged=nudged):
            return float(np.sum(args["grad_outputs"] * rnn_backprop(**nudged).outputs))

        w = nudged["W_xh"][-1:]  # a view of the extra row
        grad_pre = numeric_gradient(loss, w)[0]
        assert_close(r.grad_preactivations[t, 0], grad_pre, tol=1e-8)
        assert_close(r.grad_hidden[t, 0], grad_pre / (1 - r.hidden[t, 0] ** 2), tol=1e-8)


# ---------------------------------------------------------------------------------------------------------------
# The record.


def test_grad_hidden_is_the_sum_of_both_roads():
    args = make_rnn(T=7, n=3, n_in=2, n_h=4, n_out=3, seed=1)
    r = rnn_backprop(**args)
    assert isinstance(r, RNNRecord) and r.n_steps == 7
    assert_close(r.grad_hidden, r.grad_hidden_from_output + r.grad_hidden_from_next, tol=0)
    assert np.all(r.grad_hidden_from_next[-1] == 0)  # nothing comes back from after the last step
    assert_close(r.grad_hidden_from_output, args["grad_outputs"] @ args["W_hy"].T, tol=1e-14)
    assert_close(r.grad_hidden_from_next[:-1], r.grad_preactivations[1:] @ args["W_hh"].T, tol=1e-14)
    assert_close(r.grad_preactivations, (1 - r.hidden**2) * r.grad_hidden, tol=0)
    assert_close(r.preactivations[1:] - r.hidden[:-1] @ args["W_hh"], args["xs"][1:] @ args["W_xh"] + args["b_h"])
    assert_close(r.grad_hidden_norms, np.sqrt(np.sum(r.grad_hidden**2, axis=(1, 2))), tol=1e-14)
    assert not r.any_clipped and r.clip is None
    assert r.hidden_with_h0.shape == (8, 3, 4)
    np.testing.assert_array_equal(r.hidden_with_h0[0], args["h0"])


def test_a_clip_no_step_reaches_changes_nothing():
    args = make_rnn(T=10, n=2, n_in=2, n_h=3, n_out=2, seed=2)
    free = rnn_backprop(**args)
    capped = rnn_backprop(**args, clip=1e6)
    assert capped.clip == 1e6 and not capped.any_clipped
    for name in ("grad_hidden", "grad_W_hh", "grad_W_xh", "grad_h0", "grad_inputs"):
        np.testing.assert_array_equal(getattr(capped, name), getattr(free, name))


def test_the_record_is_read_only_and_does_not_alias_its_inputs():
    args = make_rnn(T=3, n=2, n_in=2, n_h=3, n_out=2, seed=3)
    r = rnn_backprop(**args, clip=0.1)
    for name in RNNRecord.__dataclass_fields__:
        value = getattr(r, name)
        if isinstance(value, np.ndarray):
            with pytest.raises(ValueError, match="read-only"):
                value[...] = 0
    before = r.hidden.copy()
    args["W_hh"][...] = 5.0
    np.testing.assert_array_equal(r.hidden, before)


def test_gradients_vanish_back_in_time_with_a_small_w_hh_and_explode_with_a_large_one():
    # Only the last output has a gradient, so ∂L/∂h_t comes back through W_hhᵀ and tanh′ alone.
    for scale, shrinking in [(0.5, True), (3.0, False)]:
        args = make_rnn(T=20, n=1, n_in=1, n_h=4, n_out=1, seed=4, x_scale=0.0)
        args["W_hh"] = scale * np.eye(4)
        args["h0"] = np.zeros((1, 4))  # with no input and no bias h_t stays 0, where tanh′ = 1: W_hh sets the rate
        args["b_h"] = np.zeros(4)
        args["grad_outputs"] = np.zeros((20, 1, 1))
        args["grad_outputs"][-1] = 1.0
        norms = rnn_backprop(**args).grad_hidden_norms
        ratios = norms[:-1] / norms[1:]  # ‖∂L/∂h_t‖ / ‖∂L/∂h_{t+1}‖
        if shrinking:
            assert_close(ratios, np.full(19, 0.5), tol=1e-14)
            assert norms[0] < 1e-5 * norms[-1]
        else:
            assert_close(ratios, np.full(19, 3.0), tol=1e-14)
            assert norms[0] > 1e8 * norms[-1]
            capped = rnn_backprop(**args, clip=1.0)  # each step hands back at most 3 × 1
            assert capped.any_clipped and np.all(capped.grad_hidden_norms[:-1] <= 3.0 * (1 + 1e-12))


# ---------------------------------------------------------------------------------------------------------------
# Checks at the door.

GOOD = make_rnn(T=4, n=2, n_in=3, n_h=5, n_out=2, seed=0)


@pytest.mark.parametrize(
    ("argument", "value", "detail"),
    [
        ("xs", np.zeros((4, 3)), r"\(T, N, n_in\)"),
        ("xs", np.full((4, 2, 3), np.nan), "finite"),
        ("xs", np.zeros((MAX_STEPS + 1, 2, 3)), "at most 1000 time steps"),
        ("h0", np.zeros((2, 4)), r"\(N=2, n_h=5\)"),
        ("h0", np.zeros(5), r"\(N=2, n_h=5\)"),
        ("W_xh", np.zeros((2, 5)), r"\(n_in=3, n_h=5\)"),
        ("W_hh", np.zeros((5, 4)), "square"),
        ("W_hh", np.full((5, 5), np.inf), "finite"),
        ("b_h", np.zeros(4), r"\(n_h=5,\)"),
        ("W_hy", np.zeros((4, 2)), r"\(n_h=5, n_out\)"),
        ("b_y", np.zeros(3), r"\(n_out=2,\)"),
        ("grad_outputs", np.zeros((3, 2, 2)), r"\(T=4, N=2, n_out=2\)"),
        ("grad_outputs", "gradients", "numbers"),
        ("clip", 0.0, "> 0"),
        ("clip", -1.0, "> 0"),
        ("clip", float("nan"), "> 0"),
        ("clip", "1", "> 0"),
    ],
)
def test_a_bad_argument_is_a_value_error_naming_it(argument, value, detail):
    args = {**GOOD, argument: value}
    with pytest.raises(ValueError, match=rf"^{argument} ") as err:
        rnn_backprop(**args)
    assert re.search(detail, str(err.value)), str(err.value)


def test_a_network_too_large_for_memory_is_a_value_error():
    # T·N·n_h = 1000 · 200 · 60 = 1.2·10⁷ numbers per array: refused before anything is built.
    args = make_rnn(T=1000, n=200, n_in=1, n_h=60, n_out=1, seed=0)
    with pytest.raises(ValueError, match=r"xs and W_hh too large.*10,000,000"):
        rnn_backprop(**args)
