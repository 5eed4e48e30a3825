"""explainer.course.exercises: the learner's layer backward pass, checked against the engine with helpful messages."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import Network
from explainer.course.exercises import (
    EXERCISE_SIZES,
    MISTAKES,
    ExerciseResult,
    check_layer_backward,
    exercise_case,
    reference_backward,
    solution_code,
)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture(scope="module")
def case():
    return exercise_case(0)


# ------------------------------------------------------------------------------------ the case and the solution
def test_case_is_layer_2_of_a_real_network(case):
    assert case.layer == 2 and case.sizes == EXERCISE_SIZES == (3, 4, 3, 2)
    assert case.a_prev.shape == (5, 4) and case.W.shape == (4, 3) and case.z.shape == (5, 3)
    assert case.grad_a.shape == (5, 3)
    shapes = {k: v.shape for k, v in case.expected.items()}
    assert shapes == {"delta": (5, 3), "grad_W": (4, 3), "grad_b": (3,), "grad_a_prev": (5, 4)}
    # z really is a_prev W + b of that layer, with b = 0 at initialisation
    np.testing.assert_allclose(case.z, case.a_prev @ case.W, atol=1e-15)


def test_reference_matches_the_engine(case):
    for got, name in zip(reference_backward(*case.inputs()), ("delta", "grad_W", "grad_b", "grad_a_prev")):
        np.testing.assert_allclose(got, case.expected[name], rtol=1e-12, atol=1e-18)


def test_expected_gradient_agrees_with_finite_differences():
    # An independent reference for ∂L/∂W² of the exercise's network: central differences of the loss.
    rng = np.random.default_rng(0)
    net = Network(EXERCISE_SIZES, activation="sigmoid", output_activation="sigmoid", loss="mse", seed=rng)
    X = rng.normal(0.0, 1.0, size=(5, 3))
    y = rng.uniform(0.0, 1.0, size=(5, 2))
    grad_W = exercise_case(0).expected["grad_W"]
    h = 1e-6
    for i, j in [(0, 0), (1, 2), (3, 1)]:
        w = net.weights[1][i, j]
        net.weights[1][i, j] = w + h
        up = net.loss_value(X, y)
        net.weights[1][i, j] = w - h
        down = net.loss_value(X, y)
        net.weights[1][i, j] = w
        assert grad_W[i, j] == pytest.approx((up - down) / (2 * h), rel=1e-6)


def test_reference_passes_for_several_seeds():
    for seed in (0, 1, 7):
        result = check_layer_backward(reference_backward, seed=seed)
        assert result.ok, result.message
        assert result.mistake is None and result.quantity is None
        assert result.max_abs_error < 1e-15
        assert result.message.startswith("Correct:")
        assert str(result) == result.message


def test_inputs_are_fresh_copies(case):
    a_prev, W, z, grad_a = case.inputs()
    z *= 0.0  # a learner may change arrays in place; the case must not change
    assert np.any(case.z != 0) and z.flags.writeable


def test_a_function_that_changes_its_inputs_in_place_is_still_checked_fairly():
    def backward(a_prev, W, z, grad_a):
        z *= -1  # clobbers z, then uses it: wrong values, no crash, and the engine's arrays stay intact
        a = sigmoid(-z)
        delta = grad_a * a * (1 - a)
        return delta, a_prev.T @ delta, delta.sum(axis=0), delta @ W.T

    assert check_layer_backward(backward).ok
    assert check_layer_backward(reference_backward).ok


def test_solution_code_is_the_reference_source():
    code = solution_code()
    assert code.startswith("def reference_backward(a_prev, W, z, grad_a):")
    for line in ("delta = grad_a * a * (1 - a)", "grad_W = a_prev.T @ delta", "grad_b = delta.sum(axis=0)"):
        assert line in code
    namespace = {"np": np}
    exec(code, namespace)  # the text shown to learners is itself a correct solution
    assert check_layer_backward(namespace["reference_backward"]).ok


# ---------------------------------------------------------------------------------------------- common mistakes
def _layer(delta_fn=None, grad_W_fn=None, grad_b_fn=None, grad_a_prev_fn=None):
    """A backward function with the reference formulas, one of them swapped for a mistaken one."""

    def backward(a_prev, W, z, grad_a):
        a = sigmoid(z)
        delta = delta_fn(a_prev, W, z, grad_a) if delta_fn else grad_a * a * (1 - a)
        grad_W = grad_W_fn(a_prev, delta, grad_a) if grad_W_fn else a_prev.T @ delta
        grad_b = grad_b_fn(delta, grad_a) if grad_b_fn else delta.sum(axis=0)
        grad_a_prev = grad_a_prev_fn(a_prev, W, delta, grad_a) if grad_a_prev_fn else delta @ W.T
        return delta, grad_W, grad_b, grad_a_prev

    return backward


def test_factor_2_is_caught_at_the_first_entry(case):
    result = check_layer_backward(_layer(delta_fn=lambda a_prev, W, z, g: 2 * g * sigmoid(z) * (1 - sigmoid(z))))
    assert not result.ok
    assert (result.quantity, result.index, result.mistake) == ("delta", (0, 0), "factor_2")
    assert result.expected == pytest.approx(case.expected["delta"][0, 0])
    assert result.got == pytest.approx(2 * case.expected["delta"][0, 0])
    assert result.message.startswith(
        f"δ[0,0] is {result.got:.4g} but should be {result.expected:.4g} — off by a factor 2"
    )
    # the rest were computed correctly from the learner's δ, and the message says so
    assert "follow correctly from your δ" in result.message


def test_missing_one_over_n_in_grad_b_is_caught(case):
    result = check_layer_backward(_layer(grad_b_fn=lambda d, g: d.mean(axis=0)))
    assert (result.quantity, result.index, result.mistake) == ("grad_b", (0,), "factor_n")
    assert "too small by a factor n = 5" in result.message and "do not divide by n again" in result.message
    assert result.got == pytest.approx(case.expected["grad_b"][0] / 5)


def test_dividing_grad_W_by_n_is_caught():
    result = check_layer_backward(_layer(grad_W_fn=lambda a_prev, d, g: a_prev.T @ d / len(a_prev)))
    assert (result.quantity, result.mistake) == ("grad_W", "factor_n")
    assert result.message.startswith("∂L/∂W[0,0] is ")


def test_transposed_grad_W_is_a_shape_error_named_as_a_transpose():
    result = check_layer_backward(_layer(grad_W_fn=lambda a_prev, d, g: d.T @ a_prev))
    assert (result.quantity, result.mistake) == ("grad_W", "transpose")
    assert "∂L/∂W has shape (3, 4) but should be (4, 3), the shape of W — transposed?" in result.message


def test_untransposed_W_when_passing_back_is_reported_from_the_exception():
    def backward(a_prev, W, z, grad_a):
        a = sigmoid(z)
        delta = grad_a * a * (1 - a)
        grad_W = a_prev.T @ delta
        grad_b = delta.sum(axis=0)
        grad_a_prev = delta @ W  # forgot .T
        return delta, grad_W, grad_b, grad_a_prev

    result = check_layer_backward(backward)
    assert not result.ok and result.mistake == "exception" and result.quantity is None
    assert result.message.startswith("Your function raised ValueError: matmul")
    assert "grad_a_prev = delta @ W  # forgot .T" in result.message
    assert "of backward" in result.message
    assert "delta (5, 3) @ W.T (3, 4) gives (5, 4)" in result.message


def test_missing_fprime_is_caught(case):
    result = check_layer_backward(_layer(delta_fn=lambda a_prev, W, z, g: g))
    assert (result.quantity, result.index, result.mistake) == ("delta", (0, 0), "missing_fprime")
    assert "the factor σ′(z) = σ(z)(1 − σ(z)) is missing" in result.message
    assert result.got == pytest.approx(case.grad_a[0, 0])


def test_fprime_of_z_instead_of_a_is_caught():
    result = check_layer_backward(_layer(delta_fn=lambda a_prev, W, z, g: g * z * (1 - z)))
    assert result.mistake == "fprime_of_z" and "a(1 − a) with a = σ(z)" in result.message


def test_sigma_instead_of_its_derivative_is_caught():
    result = check_layer_backward(_layer(delta_fn=lambda a_prev, W, z, g: g * sigmoid(z)))
    assert result.mistake == "sigma_not_derivative"


def test_fprime_without_grad_a_is_caught():
    result = check_layer_backward(_layer(delta_fn=lambda a_prev, W, z, g: sigmoid(z) * (1 - sigmoid(z))))
    assert result.mistake == "missing_grad_a"


def test_sign_error_is_caught():
    result = check_layer_backward(_layer(grad_a_prev_fn=lambda a_prev, W, d, g: -(d @ W.T)))
    assert (result.quantity, result.index, result.mistake) == ("grad_a_prev", (0, 0), "sign")
    assert result.got == pytest.approx(-result.expected)
    assert "wrong sign" in result.message


def test_grad_a_used_instead_of_delta_is_caught():
    for kwargs, quantity in (
        ({"grad_W_fn": lambda a_prev, d, g: a_prev.T @ g}, "grad_W"),
        ({"grad_b_fn": lambda d, g: g.sum(axis=0)}, "grad_b"),
        ({"grad_a_prev_fn": lambda a_prev, W, d, g: g @ W.T}, "grad_a_prev"),
    ):
        result = check_layer_backward(_layer(**kwargs))
        assert (result.quantity, result.mistake) == (quantity, "grad_a_for_delta"), result.message


def test_previous_layers_fprime_is_caught():
    result = check_layer_backward(_layer(grad_a_prev_fn=lambda a_prev, W, d, g: (d @ W.T) * a_prev * (1 - a_prev)))
    assert result.mistake == "previous_fprime" and "previous layer's δ" in result.message


def test_other_constant_factor_and_plain_wrong_values():
    result = check_layer_backward(_layer(grad_W_fn=lambda a_prev, d, g: 3.0 * (a_prev.T @ d)))
    assert result.mistake == "factor" and "constant factor 3" in result.message
    result = check_layer_backward(_layer(grad_W_fn=lambda a_prev, d, g: a_prev.T @ d + 0.01))
    assert result.mistake == "value" and "∂L/∂W = a_prevᵀ δ" in result.message


@pytest.mark.parametrize(
    "grad_b_fn, hint",
    [
        (lambda d, g: d.sum(axis=0, keepdims=True), "drop keepdims"),
        (lambda d, g: d.sum(axis=1), "summed over the wrong axis"),
        (lambda d, g: d.sum(), "summed over everything"),
        (lambda d, g: d, "∂L/∂b = Σ over samples of δ"),
    ],
)
def test_wrong_shapes_of_grad_b_name_the_expected_shape(grad_b_fn, hint):
    result = check_layer_backward(_layer(grad_b_fn=grad_b_fn))
    assert (result.quantity, result.mistake) == ("grad_b", "shape")
    assert "but should be (3,), the shape of b" in result.message and hint in result.message


def test_exception_becomes_a_message_not_a_crash():
    def backward(a_prev, W, z, grad_a):
        raise ZeroDivisionError("oops")

    result = check_layer_backward(backward)
    assert not result.ok and result.mistake == "exception"
    assert result.message.startswith("Your function raised ZeroDivisionError: oops — at line")
    assert 'raise ZeroDivisionError("oops")' in result.message
    assert "a_prev (5, 4), W (4, 3), z (5, 3), grad_a (5, 3)" in result.message


@pytest.mark.parametrize(
    "returned, mistake, quantity, text",
    [
        (lambda r: r[:3], "return", None, "returned 3 values"),
        (lambda r: None, "return", None, "returned a NoneType"),
        (lambda r: (...,) * 4, "not_array", "delta", "δ is still ... (Ellipsis)"),
        (lambda r: (r[0], None, r[2], r[3]), "not_array", "grad_W", "∂L/∂W is None"),
        (lambda r: (r[0], r[1], "b", r[3]), "not_array", "grad_b", "∂L/∂b is a str"),
        (lambda r: (r[0], r[1], r[2] / 0.0, r[3]), "not_finite", "grad_b", "∂L/∂b[0] is"),
    ],
)
def test_malformed_returns(returned, mistake, quantity, text):
    result = check_layer_backward(lambda *args: returned(reference_backward(*args)))
    assert not result.ok
    assert (result.mistake, result.quantity) == (mistake, quantity)
    assert text in result.message


def test_every_mistake_code_is_documented():
    assert {"factor_2", "factor_n", "transpose", "missing_fprime", "sign", "shape", "exception"} <= set(MISTAKES)


def test_lists_are_accepted_like_arrays():
    result = check_layer_backward(lambda *args: [np.asarray(r).tolist() for r in reference_backward(*args)])
    assert result.ok


def test_result_is_frozen():
    result = check_layer_backward(reference_backward)
    assert isinstance(result, ExerciseResult)
    with pytest.raises(AttributeError):
        result.ok = False


def test_not_a_function_is_a_value_error():
    with pytest.raises(ValueError, match="user_fn must be a function backward"):
        check_layer_backward(reference_backward(*exercise_case().inputs()))
    with pytest.raises(ValueError, match="seed"):
        check_layer_backward(reference_backward, seed=-1)


# ---------------------------------------------------------------------------------------------
# A time limit: an endless loop is a mistake to report, not a frozen kernel


def test_an_endless_loop_is_stopped_and_reported():
    import time

    def backward(a_prev, W, z, grad_a):
        while True:
            pass

    start = time.perf_counter()
    result = check_layer_backward(backward, time_limit=0.5)
    assert time.perf_counter() - start < 3
    assert not result.ok and result.mistake == "timeout"
    assert result.message.startswith("Your function did not return within 0.5 s")
    assert "timeout" in MISTAKES
    assert check_layer_backward(reference_backward).ok  # the kernel is usable afterwards


def test_a_loop_that_swallows_exceptions_is_stopped_too():
    def backward(a_prev, W, z, grad_a):
        while True:
            try:
                while True:
                    pass
            except Exception:
                continue

    assert check_layer_backward(backward, time_limit=0.3).mistake == "timeout"


def test_the_time_limit_holds_in_a_worker_thread():
    import threading

    results = {}

    def backward(a_prev, W, z, grad_a):
        while True:
            pass

    def run():
        results["loop"] = check_layer_backward(backward, time_limit=0.5)
        results["good"] = check_layer_backward(reference_backward)
        results["wrong"] = check_layer_backward(lambda *args: [2 * r for r in reference_backward(*args)])

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    assert results["loop"].mistake == "timeout"
    assert results["good"].ok
    assert results["wrong"].mistake == "factor_2"


def test_an_exception_in_a_worker_thread_still_points_at_the_learners_line():
    import threading

    out = {}

    def backward(a_prev, W, z, grad_a):
        return a_prev @ W.T  # the usual slip: W is (4, 3)

    worker = threading.Thread(target=lambda: out.update(r=check_layer_backward(backward)))
    worker.start()
    worker.join(30)
    result = out["r"]
    assert result.mistake == "exception" and "ValueError" in result.message
    assert "return a_prev @ W.T" in result.message and "transpose W" in result.message


@pytest.mark.parametrize("limit", [0, -1, 61, "5", True])
def test_time_limit_is_checked(limit):
    with pytest.raises(ValueError, match="time_limit must be a number of seconds from 0 to 60"):
        check_layer_backward(reference_backward, time_limit=limit)
