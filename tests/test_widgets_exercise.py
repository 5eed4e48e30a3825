"""ExerciseChecker and GraphChecker driven from Python: verdicts in green or red, the whole graph's table (exact /
close / max difference / shape, the first wrong one and its likely mistake), the solution toggle, errors kept in
the app, nothing left open."""

from __future__ import annotations

import html

import ipywidgets
import numpy as np
import pytest

from explainer.course.exercises import reference_backward, solution_code
from explainer.course.graph_check import MISTAKES, QUANTITIES
from explainer.course.graph_check import reference_backward as graph_reference
from explainer.course.graph_check import starter_code as graph_starter
from explainer.widgets.exercise import ExerciseChecker, GraphChecker, check_exercise, check_graph


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


# ---------------------------------------------------------------------------------------------- the whole graph
def graph_slip(change):
    """The reference backward pass with one intermediate replaced (and what follows from it recomputed)."""

    def backward(X, Y, W1, b1, W2, b2):
        d = graph_reference(X, Y, W1, b1, W2, b2)
        change(d, X, W2)
        return d

    return backward


def _missing_fprime(d, X, W2):
    d["grad_z1"] = d["grad_a1"]  # σ′(z¹) left out
    d["grad_W1"], d["grad_b1"] = X.T @ d["grad_z1"], d["grad_z1"].sum(axis=0)


def rows(app) -> dict[str, list[str]]:
    """The table as the page shows it: intermediate name → its cells' texts."""
    import re

    out = {}
    for name, body in re.findall(r'<tr data-name="([^"]+)"[^>]*>(.*?)</tr>', app.table.value):
        out[name] = [html.unescape(t) for t in re.findall(r"<td[^>]*>(.*?)</td>", body)]
    return out


def test_a_right_graph_is_green_with_every_intermediate_exact_or_close():
    app = check_graph(graph_reference)
    assert isinstance(app, GraphChecker) and app.ok and "✓ Correct: all twelve intermediates" in app.verdict.value
    table = rows(app)
    assert list(table) == list(QUANTITIES)
    for name, cells in table.items():
        mark, symbol, yours, engine, verdict, diff, note = cells
        assert mark == "" and verdict in ("exact", "close") and yours == engine
        assert float(diff) < 1e-12 and symbol == app.result.item(name).symbol
    assert (
        app.mistake.value == "" and "X (6, 4), Y (6, 3), W1 (4, 5), b1 (5,), W2 (5, 3), b2 (3,)" in app.signature.value
    )


def test_the_first_wrong_intermediate_is_marked_with_its_likely_mistake():
    app = check_graph(graph_slip(_missing_fprime))
    assert not app.ok and app.result.first_wrong == "grad_z1" and app.result.mistake == "missing_fprime"
    assert "✗ ∂L/∂z¹[0,0] is " in app.verdict.value
    assert f"Likely mistake in ∂L/∂z¹:</b> {html.escape(MISTAKES['missing_fprime'])}" in app.mistake.value
    table = rows(app)
    assert table["grad_z1"][0] == "▶" and table["grad_z1"][4] == "wrong" and "σ′(z¹)" in table["grad_z1"][6]
    assert 'data-name="grad_z1" style="outline' in app.table.value  # the row is set off
    assert table["grad_W1"][4] == table["grad_b1"][4] == "follows from yours"  # right given the learner's ∂L/∂z¹
    assert all(table[k][4] in ("exact", "close") for k in QUANTITIES[:9])
    assert float(table["grad_z1"][5]) == pytest.approx(app.result.item("grad_z1").max_abs_diff, rel=1e-2)


def test_a_transposed_gradient_is_a_wrong_shape():
    def transposed(d, X, W2):
        d["grad_W2"] = d["grad_W2"].T

    app = check_graph(graph_slip(transposed))
    cells = rows(app)["grad_W2"]
    assert cells[0] == "▶" and cells[2:5] == ["(3, 5)", "(5, 3)", "wrong shape"] and cells[5] == "—"
    assert app.result.mistake == "transpose" and "transposed" in app.mistake.value


def test_the_starter_code_reads_not_written_yet_and_names_no_mistake():
    scope = {}
    exec(graph_starter(), {"np": np}, scope)
    app = check_graph(scope["backward"])
    assert "not written yet" in app.verdict.value and app.mistake.value == ""
    assert {cells[4] for cells in rows(app).values()} == {"not written yet"}


def test_an_exception_or_an_endless_loop_is_the_verdict_not_an_app_error():
    def raises(X, Y, W1, b1, W2, b2):
        return X @ W2

    app = check_graph(raises)
    assert "ValueError" in app.verdict.value and "matmul" in app.verdict.value and app.table.value == ""
    assert app.result.mistake == "transpose" and "transposed" in app.mistake.value  # a diagnosis: named

    def not_yet(X, Y, W1, b1, W2, b2):
        raise NotImplementedError("not yet written")

    app = check_graph(not_yet)
    assert "NotImplementedError" in app.verdict.value and app.mistake.value == ""  # the verdict says it all
    assert app.errors == []

    def endless(X, Y, W1, b1, W2, b2):
        while True:
            pass

    app = check_graph(endless, time_limit=0.3)
    assert "did not return within 0.3 s" in app.verdict.value and app.result.mistake == "timeout"
    assert app.check(graph_reference).ok  # the kernel and the app are still usable


def test_the_graph_solution_toggle_reveals_every_intermediate():
    app = GraphChecker()
    assert app.result is None and "No function checked yet" in app.verdict.value and app.table.value == ""
    app.controls["solution"].value = True
    assert "grad_z1 = grad_a1 * a1 * (1 - a1)" in html.unescape(app.solution.value)
    assert app.solution.layout.display is None and app.controls["solution"].description == "hide solution"
    app.controls["solution"].value = False
    assert app.solution.layout.display == "none"


def test_the_graph_checker_escapes_and_closes_everything():
    def backward(X, Y, W1, b1, W2, b2):
        raise ValueError("<script>")

    before = set(ipywidgets.widgets.widget._instances)
    app = check_graph(backward, lecture=True)
    assert "<script>" not in app.verdict.value and "&lt;script&gt;" in app.verdict.value
    assert "bpx-lecture" in app.root._dom_classes
    app.close()
    assert set(ipywidgets.widgets.widget._instances) - before == set()
    with pytest.raises(RuntimeError, match="closed"):
        app.check(graph_reference)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [(dict(user_fn="backward"), "user_fn"), (dict(seed=-2), "seed"), (dict(time_limit=0), "time")],
)
def test_the_graph_checkers_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        GraphChecker(**{"user_fn": graph_reference, **kwargs})


def test_the_pictures_show_the_verdict_and_the_table_as_the_page_does():
    """What GitHub shows of a checker's cell: the signature, the verdict in its colour, the table's rows."""
    import re

    def drawn(svg: str) -> list[str]:
        return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]

    layer = check_exercise(missing_fprime)
    texts = " ".join(drawn(layer.picture()))
    assert "✗ δ[0,0] is " in texts and 'fill="#7a1c00"' in layer.picture()
    assert "a_prev (5, 4), W (4, 3)" in texts
    app = check_graph(graph_slip(_missing_fprime))
    table = rows(app)
    lines = drawn(app.picture())
    for cells in table.values():
        assert cells[1] in lines and cells[4] in lines  # the symbol and the verdict of every row
    assert "▶" in lines and any(t.startswith("Likely mistake in ∂L/∂z¹:") for t in lines)
    app.controls["solution"].value = True
    assert "def reference_backward(X, Y, W1, b1, W2, b2):" in drawn(app.picture())
    layer.close()
    app.close()
