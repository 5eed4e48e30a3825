"""explainer.course.graph_check: the whole-graph checker accepts a right solution, names the first wrong
intermediate and its mistake for each typical slip, and tells which later arrays follow from the learner's own."""

from __future__ import annotations

import numpy as np
import pytest

from explainer.course.graph_check import (
    FORWARD,
    GRAPH_SIZES,
    MISTAKES,
    N_SAMPLES,
    QUANTITIES,
    check_graph_backward,
    graph_case,
    reference_backward,
    solution_code,
    starter_code,
)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def learner(slip: str | None = None):
    """A learner's backward pass written step by step, with one typical slip (its effects flow downstream)."""

    def backward(X, Y, W1, b1, W2, b2):
        n = X.shape[0]
        z1 = X @ W1 if slip == "missing_bias" else X @ W1 + b1
        a1 = z1 if slip == "missing_activation" else _sigmoid(z1)
        z2 = a1 @ W2 + b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        if slip == "softmax_axis":
            p = np.exp(z2) / np.exp(z2).sum(axis=0, keepdims=True)
        elif slip == "broadcast":
            p = e / e.sum(axis=1)  # (n, k) / (n,): NumPy refuses, or stretches when n == k
        else:
            p = e / e.sum(axis=1, keepdims=True)
        loss = -np.sum(Y * np.log(p)) / n
        if slip == "loss_sum":
            loss = -np.sum(Y * np.log(p))
        if slip == "loss_per_sample":
            loss = -np.sum(Y * np.log(p), axis=1) / n
        grad_z2 = {
            "missing_n": p - Y,
            "sign": (Y - p) / n,
            "missing_one_hot": p / n,
            "extra_fprime": (p - Y) / n * p * (1 - p),
        }.get(slip, (p - Y) / n)
        grad_W2 = {
            "stray_n": a1.T @ grad_z2 / n,
            "transpose": grad_z2.T @ a1,
            "z_for_a": z1.T @ grad_z2,
        }.get(slip, a1.T @ grad_z2)
        grad_b2 = {
            "bias_axis": grad_z2.sum(axis=1),
            "keepdims": grad_z2.sum(axis=0, keepdims=True),
        }.get(slip, grad_z2.sum(axis=0))
        if slip == "transposed_W":
            grad_a1 = grad_z2 @ W2  # (n, n_out) @ (n_hidden, n_out): the shapes do not fit
        elif slip == "previous_fprime":
            grad_a1 = grad_z2 @ W2.T * a1 * (1 - a1)
        else:
            grad_a1 = grad_z2 @ W2.T
        s = _sigmoid(a1)
        grad_z1 = {
            "missing_fprime": grad_a1,
            "fprime_of_a": grad_a1 * s * (1 - s),
            "fprime_of_z": grad_a1 * z1 * (1 - z1),
            "sigma_not_derivative": grad_a1 * a1,
            "previous_fprime": grad_a1,
        }.get(slip, grad_a1 * a1 * (1 - a1))
        grad_W1 = {
            "grad_a_for_delta": X.T @ grad_a1,
            "forward_W": W1,
        }.get(slip, X.T @ grad_z1)
        grad_b1 = grad_z1.mean(axis=0) if slip == "bias_mean" else grad_z1.sum(axis=0)
        return dict(
            z1=z1,
            a1=a1,
            z2=z2,
            p=p,
            loss=loss,
            grad_z2=grad_z2,
            grad_W2=grad_W2,
            grad_b2=grad_b2,
            grad_a1=grad_a1,
            grad_z1=grad_z1,
            grad_W1=grad_W1,
            grad_b1=grad_b1,
        )

    return backward


# ---------------------------------------------------------------------------------------------- right solutions
def test_the_reference_solution_is_accepted():
    result = check_graph_backward(reference_backward)
    assert result.ok and result.first_wrong is None and result.mistake is None
    assert result.message.startswith("Correct: all twelve intermediates")
    assert [c.name for c in result.items] == list(QUANTITIES)
    assert all(c.ok and c.shape == c.expected_shape for c in result.items)
    assert result.max_abs_error < 1e-12
    assert result.item("z1").status == "exact"  # the same products in the same order as the engine
    assert {c.status for c in result.items} <= {"exact", "close"}


def test_a_step_by_step_learner_without_slips_is_accepted_for_any_seed():
    for seed in range(5):
        assert check_graph_backward(learner(), seed=seed).ok


def test_the_revealed_solution_and_the_starter_code():
    namespace = {"np": np}
    exec(solution_code(), namespace)  # the text a learner reveals is a working solution
    assert check_graph_backward(namespace["reference_backward"]).ok
    starter = {"np": np}
    exec(starter_code(), starter)
    result = check_graph_backward(starter["backward"])
    assert not result.ok and result.first_wrong == "z1" and result.mistake == "missing"
    assert "not written yet" in result.message and "X @ W1 + b1" in result.message
    assert all(c.status == "missing" for c in result.items)


def test_the_case_is_the_engines_record():
    case = graph_case(0)
    assert case.X.shape == (N_SAMPLES, GRAPH_SIZES[0]) and case.Y.shape == (N_SAMPLES, GRAPH_SIZES[-1])
    assert set(np.argmax(case.Y, axis=1)) == set(range(GRAPH_SIZES[-1]))  # every class present
    rec = case.record
    assert rec.loss_name == "cross_entropy" and rec.activation_names == ("sigmoid", "softmax")
    np.testing.assert_allclose(case.expected["grad_z2"], (case.expected["p"] - case.Y) / N_SAMPLES, atol=1e-16)
    shapes = {case.expected[q].shape for q in QUANTITIES}
    assert len(shapes) == 7  # (6,5) (6,3) () (5,3) (3,) (4,5) (5,): a transposed array never fits by luck
    assert all(not case.expected[q].flags.writeable for q in QUANTITIES)
    X, *_ = case.inputs()
    X[...] = 0.0  # the learner's copies are theirs
    assert np.any(case.X != 0.0)


# ---------------------------------------------------------------------------------------------- typical mistakes
SLIPS = {
    # slip: (first wrong intermediate, mistake code)
    "missing_bias": ("z1", "missing_bias"),
    "missing_activation": ("a1", "missing_activation"),
    "softmax_axis": ("p", "softmax_axis"),
    "loss_sum": ("loss", "factor_n"),
    "loss_per_sample": ("loss", "shape"),
    "missing_n": ("grad_z2", "factor_n"),
    "sign": ("grad_z2", "sign"),
    "missing_one_hot": ("grad_z2", "missing_one_hot"),
    "extra_fprime": ("grad_z2", "extra_fprime"),
    "stray_n": ("grad_W2", "factor_n"),
    "transpose": ("grad_W2", "transpose"),
    "z_for_a": ("grad_W2", "z_for_a"),
    "bias_axis": ("grad_b2", "bias_axis"),
    "keepdims": ("grad_b2", "keepdims"),
    "previous_fprime": ("grad_a1", "previous_fprime"),
    "missing_fprime": ("grad_z1", "missing_fprime"),
    "fprime_of_a": ("grad_z1", "fprime_of_a"),
    "fprime_of_z": ("grad_z1", "fprime_of_z"),
    "sigma_not_derivative": ("grad_z1", "sigma_not_derivative"),
    "grad_a_for_delta": ("grad_W1", "grad_a_for_delta"),
    "forward_W": ("grad_W1", "forward_not_gradient"),
    "bias_mean": ("grad_b1", "factor_n"),
    "transposed_W": (None, "transpose"),  # NumPy refuses the product; the checker reads the exception
    "broadcast": (None, "broadcast"),
}


@pytest.mark.parametrize("slip", SLIPS)
def test_each_typical_mistake_is_named(slip):
    first, code = SLIPS[slip]
    result = check_graph_backward(learner(slip))
    assert not result.ok
    assert (result.first_wrong, result.mistake) == (first, code), result.message
    assert code in MISTAKES
    if first is not None:
        assert result.item(first).mistake == code and not result.item(first).ok
        before = QUANTITIES[: QUANTITIES.index(first)]
        assert all(result.item(q).ok for q in before)  # everything before the first wrong one is right


def test_at_least_eight_distinct_mistakes_are_named():
    named = {check_graph_backward(learner(slip)).mistake for slip in SLIPS}
    assert len(named) >= 8
    assert {"transpose", "missing_fprime", "factor_n", "sign", "missing_one_hot", "bias_axis", "fprime_of_a"} <= named
    assert {"broadcast", "forward_not_gradient"} <= named


def test_messages_point_at_an_entry_and_say_what_to_do():
    result = check_graph_backward(learner("missing_fprime"))
    assert result.index is not None and result.got != result.expected
    assert result.message.startswith(f"∂L/∂z¹[{result.index[0]},{result.index[1]}] is ")
    assert "σ′(z¹) = a¹(1 − a¹) is missing" in result.message
    assert "[9 of 12 intermediates match.]" in result.message  # ∂L/∂W¹ and ∂L/∂b¹ follow, but are wrong too
    assert "∂L/∂W¹, ∂L/∂b¹ follow correctly from your arrays" in result.message
    one_hot = check_graph_backward(learner("missing_one_hot"))
    assert "(p − Y)/n" in one_hot.message
    shape = check_graph_backward(learner("transpose"))
    assert "∂L/∂W² has shape (3, 5) but should be (5, 3)" in shape.message and "transposed?" in shape.message
    axis = check_graph_backward(learner("bias_axis"))
    assert "sum over the samples only, axis=0" in axis.message
    stray = check_graph_backward(learner("stray_n"))
    assert "too small by a factor n = 6: a stray 1/n" in stray.message
    missing = check_graph_backward(learner("missing_n"))
    assert "too large by a factor n = 6: a missing 1/n" in missing.message
    exception = check_graph_backward(learner("transposed_W"))
    assert "grad_a1 = grad_z2 @ W2" in exception.message and "W2.T" in exception.message
    assert "Your function raised ValueError" in exception.message


def test_later_arrays_that_follow_from_the_learners_own_are_marked():
    result = check_graph_backward(learner("missing_n"))  # ∂L/∂z² six times too large, the rest built on it
    later = [c for c in result.items if QUANTITIES.index(c.name) > QUANTITIES.index("grad_z2")]
    assert all(not c.ok and c.follows for c in later)
    assert all(c.mistake is None and c.note.startswith("follows correctly from your") for c in later)
    assert "follow correctly from your arrays, so fixing ∂L/∂z² fixes them too" in result.message
    assert "follows" in result.table()
    # a slip at the front: everything after is wrong, and the message says to fix it first
    early = check_graph_backward(learner("missing_bias"))
    assert all(c.follows for c in early.items[1:]) and "fix" in early.message
    # two independent slips: the second is judged on its own, given the first
    both = learner("missing_n")

    def two_slips(*args):
        out = both(*args)
        out["grad_z1"] = out["grad_a1"]  # and no σ′
        out["grad_W1"] = args[0].T @ out["grad_z1"]
        out["grad_b1"] = out["grad_z1"].sum(axis=0)
        return out

    result = check_graph_backward(two_slips)
    assert result.first_wrong == "grad_z2" and result.mistake == "factor_n"
    z1 = result.item("grad_z1")
    assert z1.follows is False and z1.mistake == "missing_fprime"
    assert result.item("grad_W1").follows  # built correctly from their ∂L/∂z¹


# ---------------------------------------------------------------------------------------------- unfinished work
def test_a_function_written_half_way_reports_its_progress():
    def forward_only(X, Y, W1, b1, W2, b2):
        out = reference_backward(X, Y, W1, b1, W2, b2)
        return {k: out[k] for k in FORWARD} | {"grad_z2": ...}

    result = check_graph_backward(forward_only)
    assert result.first_wrong == "grad_z2" and result.mistake == "missing"
    assert "∂L/∂z² is not written yet" in result.message and "[5 of 12 intermediates match.]" in result.message
    assert [c.status for c in result.items[5:]] == ["missing"] * 7


def test_a_misspelt_key_is_pointed_out():
    def typo(*args):
        out = reference_backward(*args)
        out["grad_w1"] = out.pop("grad_W1")
        return out

    result = check_graph_backward(typo)
    assert result.first_wrong == "grad_W1" and result.mistake == "missing"
    assert "missing from the returned dict" in result.message and "'grad_w1': a typo for 'grad_W1'?" in result.message


def _replace(key, value):
    def fn(*args):
        return reference_backward(*args) | {key: value(reference_backward(*args)) if callable(value) else value}

    return fn


@pytest.mark.parametrize(
    "fn, code, text",
    [
        (lambda *a: (1, 2), "return", "must return a dict"),
        (_replace("a1", "sigmoid"), "not_array", "a¹ is a str, not an array of numbers"),
        (_replace("a1", None), "not_array", "a¹ is a NoneType"),
        (_replace("grad_b2", lambda o: o["grad_b2"] * np.nan), "not_finite", "∂L/∂b² holds NaN"),
        (_replace("z2", lambda o: o["z2"][:, :2]), "shape", "z² has shape (6, 2) but should be (6, 3)"),
        (_replace("grad_a1", lambda o: o["grad_a1"][:, None, :] * np.ones((6, 1))), "broadcast", "broadcasting"),
        (_replace("grad_z1", lambda o: o["z1"]), "forward_not_gradient", "it equals z¹, the forward value"),
        (_replace("grad_b1", lambda o: 2 * o["grad_b1"]), "factor_2", "off by a factor 2"),
        (_replace("grad_b1", lambda o: 3 * o["grad_b1"]), "factor", "constant factor 3"),
        (_replace("grad_W1", lambda o: o["grad_W1"] + 1.0), "value", "the formula is ∂L/∂W¹ = Xᵀ ∂L/∂z¹"),
        (lambda *a: 1 / 0, "exception", "Your function raised ZeroDivisionError: division by zero — at line"),
    ],
)
def test_other_problems_are_named(fn, code, text):
    result = check_graph_backward(fn)
    assert not result.ok and result.mistake == code
    assert text in result.message, result.message


def test_a_loss_as_a_plain_number_or_a_one_element_array_is_fine():
    for wrap in (float, lambda v: np.array([v]), lambda v: np.array([[v]])):
        assert check_graph_backward(_replace("loss", lambda o, wrap=wrap: wrap(o["loss"]))).ok


def test_an_endless_loop_is_stopped():
    def endless(*args):
        while True:
            pass

    result = check_graph_backward(endless, time_limit=0.3)
    assert not result.ok and result.mistake == "timeout"
    assert "did not return within 0.3 s" in result.message


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"user_fn": 3}, "user_fn must be a function backward"),
        ({"time_limit": 0}, "time_limit must be a number of seconds"),
        ({"time_limit": True}, "time_limit must be a number of seconds"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments(kwargs, text):
    with pytest.raises(ValueError, match=text):
        check_graph_backward(**{"user_fn": reference_backward, **kwargs})


def test_the_table_shows_every_intermediate():
    table = check_graph_backward(learner("bias_axis")).table()
    lines = table.splitlines()
    assert len(lines) == 1 + len(QUANTITIES)
    assert "∂L/∂b²" in lines[8] and "(6,)" in lines[8] and "(3,)" in lines[8] and "shape" in lines[8]
    assert "exact" in lines[1]
    with pytest.raises(ValueError, match="name must be one of z1"):
        check_graph_backward(reference_backward).item("delta")
