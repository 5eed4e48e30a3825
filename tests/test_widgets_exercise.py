"""ExerciseChecker driven from Python: verdicts in green or red, the solution toggle, errors kept in the app."""

from __future__ import annotations

import numpy as np
import pytest

from explainer.course.exercises import reference_backward, solution_code
from explainer.widgets.exercise import ExerciseChecker, check_exercise


def missing_fprime(a_prev, W, z, grad_a):
    delta = grad_a
    return delta, a_prev.T @ delta, delta.sum(axis=0), delta @ W.T


def test_right_solution_is_green():
    app = check_exercise(reference_backward)
    assert isinstance(app, ExerciseChecker) and app.ok and app.result.ok
    assert 'class="bpx-exercise-ok"' in app.verdict.value and "✓ Correct:" in app.verdict.value
    assert "a_prev (5, 4), W (4, 3), z (5, 3), grad_a (5, 3)" in app.signature.value


def test_wrong_solution_is_red_with_the_first_wrong_gradient():
    app = check_exercise(missing_fprime)
    assert not app.ok and app.result.mistake == "missing_fprime"
    assert 'class="bpx-exercise-wrong"' in app.verdict.value
    assert "✗ δ[0,0] is " in app.verdict.value and "σ′(z) = σ(z)(1 − σ(z)) is missing" in app.verdict.value


def test_exception_in_the_learners_code_is_a_red_message():
    def backward(a_prev, W, z, grad_a):
        return 1 / 0

    app = check_exercise(backward)
    assert not app.ok and "ZeroDivisionError" in app.verdict.value and "return 1 / 0" in app.verdict.value
    assert app.errors == []  # the learner's bug is the verdict, not an app error


def test_check_again_with_another_function():
    app = ExerciseChecker()
    assert app.result is None and "No function checked yet" in app.verdict.value
    assert not app.check(missing_fprime).ok
    assert app.check(reference_backward).ok and "bpx-exercise-ok" in app.verdict.value


def test_solution_toggle_reveals_the_reference_code():
    app = check_exercise(missing_fprime)
    assert app.solution.layout.display == "none" and app.solution.value == ""
    app.controls["solution"].value = True
    assert app.solution.layout.display is None
    assert "grad_W = a_prev.T @ delta" in app.solution.value
    assert app.solution.value.count("\n") == solution_code().count("\n")
    assert app.controls["solution"].description == "hide solution"
    app.controls["solution"].value = False
    assert app.solution.layout.display == "none" and app.controls["solution"].description == "show solution"


def test_error_in_the_solution_callback_is_shown(monkeypatch):
    import explainer.widgets.exercise as module

    app = check_exercise(reference_backward)
    monkeypatch.setattr(module, "solution_code", lambda: (_ for _ in ()).throw(OSError("source not found")))
    app.controls["solution"].value = True
    assert app.errors and "OSError: source not found" in app.errors[-1]


def test_message_is_escaped():
    def backward(a_prev, W, z, grad_a):
        raise ValueError("<script>")

    app = check_exercise(backward)
    assert "<script>" not in app.verdict.value and "&lt;script&gt;" in app.verdict.value


def test_seed_picks_another_layer_with_the_same_verdict():
    a, b = check_exercise(missing_fprime, seed=0), check_exercise(missing_fprime, seed=3)
    assert a.result.mistake == b.result.mistake == "missing_fprime"
    assert not np.isclose(a.result.got, b.result.got)


def test_lecture_and_close():
    app = check_exercise(reference_backward, lecture=True)
    assert "bpx-lecture" in app.root._dom_classes
    app.close()
    assert app.verdict.comm is None


def test_bad_arguments():
    with pytest.raises(ValueError, match="user_fn"):
        check_exercise("backward")
    with pytest.raises(ValueError, match="seed"):
        ExerciseChecker(reference_backward, seed=-2)
