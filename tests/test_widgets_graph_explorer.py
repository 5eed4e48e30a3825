"""GraphExplorer driven from Python as a learner would: every panel equals what the state implies, the steps are
backward_steps', a nudge moves every value and gradient as the engine does, a bad expression keeps the last good
graph, a neuron of a record keeps the record's numbers, and close() leaves nothing open."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest

from explainer import get_scenario, worked_example
from explainer.autograd import EXAMPLES, backward_steps, parse_expression, trace
from explainer.views.diagram import plain_text
from explainer.views.graph_diagram import LECTURE_SCALE, graph_diagram, node_key, step_lines
from explainer.views.style import fmt
from explainer.widgets.graph_explorer import GraphExplorer


@pytest.fixture
def app():
    a = GraphExplorer()
    yield a
    a.close()


def open_widgets() -> set:
    return set(ipywidgets.widgets.widget._instances)


def engine(app):
    """The engine's own graph for the app's state: (steps, trace), computed afresh."""
    root, _ = parse_expression(app.expression, app.values)
    steps = list(backward_steps(root))
    return steps, trace(root)


def assert_panels_follow_the_state(app):
    steps, tr = engine(app)
    shown = None if app.stage is None else steps[: app.stage]
    scene = graph_diagram(
        tr,
        steps=shown,
        selected=app.selected,
        title=app.title,
        caption=False,
        theme=app.drawing_theme,
        lecture=app.lecture,
    )
    assert app.diagram_widget.parts == [[p.id, p.svg] for p in scene.parts]
    lines = step_lines(tr, shown)
    assert plain_text(app.step_panel.value.replace("</p>", "\n")).split("\n")[:-1] == lines
    for name, value in app.values.items():
        assert app.row(name).value == value  # every row shows the engine's own number
    assert app.controls["expression"].value == app.expression or app.errors


# ---------------------------------------------------------------------------------------------- the start
def test_starts_on_micrograds_neuron(app):
    assert app.expression == "tanh(w1*x1 + w2*x2 + b)" and app.title == "A tanh neuron"
    assert app.output.data == pytest.approx(0.7071067811865476, abs=1e-12)
    assert app.leaves["w1"].grad == pytest.approx(1.0) and app.leaves["x1"].grad == pytest.approx(-1.5)
    assert set(app.controls) >= {"expression", "example", "back", "step", "whole", "reset", "w1", "x1", "b"}
    assert app.controls["example"].value == "neuron" and app.stage is None
    assert_panels_follow_the_state(app)


def test_an_expression_with_keyword_values_and_its_examples():
    a = GraphExplorer("(x + y) * z", x=-2.0, y=5.0, z=-4.0)
    assert a.output.data == -12.0 and a.values == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert a.title == "Add, then multiply" and a.controls["example"].value == "add_multiply"
    b = GraphExplorer.from_example("gates")
    assert b.leaves["z"].grad == 2.0 and b.leaves["w"].grad == 0.0  # max routes
    assert_panels_follow_the_state(b)
    a.close()
    b.close()


# ---------------------------------------------------------------------------------------------- the steps
def test_the_steps_are_backward_steps_node_by_node_in_topological_order(app):
    steps, tr = engine(app)
    assert [s.node_id for s in app.steps] == list(tr.backward_order) == [s.node_id for s in steps]
    for mine, theirs in zip(app.steps, steps):
        assert mine.upstream == theirs.upstream
        assert [(c.child_id, c.local_grad, c.amount, c.after) for c in mine.contributions] == [
            (c.child_id, c.local_grad, c.amount, c.after) for c in theirs.contributions
        ]
    app.controls["step"].click()
    assert app.stage == 0 and "Start: ∂f/∂f = 1" in app.step_panel.value
    for k in range(1, len(steps) + 1):
        app.controls["step"].click()
        assert app.stage == k
        s = steps[k - 1]
        node = tr.nodes[s.node_id]
        assert f"Step {k} of {len(steps)}:" in app.step_panel.value
        for c in s.contributions:  # local derivative × upstream = share, with the numbers
            assert f"× {fmt(s.upstream).lstrip('+')} = {fmt(c.amount)}" in app.step_panel.value, node.label
        assert_panels_follow_the_state(app)
    assert app.controls["step"].disabled and app.controls["step"].description == "backward pass done"
    app.controls["back"].click()
    assert app.stage == len(steps) - 1
    app.controls["whole"].click()
    assert app.stage is None and app.controls["whole"].disabled
    assert_panels_follow_the_state(app)


def test_back_from_every_gradient_starts_at_the_last_step_and_stops_at_the_start(app):
    app.step_backward(-1)
    assert app.stage == len(app.steps)
    app.set_stage(0)
    assert app.controls["back"].disabled
    app.step_backward(-1)
    assert app.stage == 0


def test_a_reused_variable_shows_the_plus_equals_at_its_second_share():
    a = GraphExplorer.from_example("reuse")
    a.set_stage(2)
    assert "grad +1 += −2 → −1" in a.step_panel.value
    assert "+= −2" in a.scene.texts()  # beside x in the diagram
    assert "a reused value sums" in a.step_panel.value
    a.close()


# ---------------------------------------------------------------------------------------------- nudging
def test_a_nudge_changes_every_value_and_gradient_as_the_engine_does(app):
    before = {n.id: (n.data, n.grad) for n in app.trace.nodes}
    app.controls["x2"].value = 0.5  # a learner's gesture on the number row
    assert app.values["x2"] == 0.5 and app.errors == []
    root, leaves = parse_expression("tanh(w1*x1 + w2*x2 + b)", {**EXAMPLES["neuron"].values, "x2": 0.5})
    root.backward()
    expected = trace(root)
    for mine, theirs in zip(app.trace.nodes, expected.nodes):
        assert (mine.data, mine.grad) == (theirs.data, theirs.grad)
    changed = [n.id for n in expected.nodes if (n.data, n.grad) != before[n.id]]
    assert len(changed) >= 6  # the output, the sums, and the gradients of every input
    words = app.scene.texts()
    for n in expected.nodes:
        if n.kind != "constant":
            assert fmt(n.data) in words and f"grad {fmt(n.grad)}" in words
    assert_panels_follow_the_state(app)


def test_a_typed_number_and_set_value_do_the_same(app):
    app.controls["w2"].value = "−0.25"  # typed in the readout, with a real minus sign
    assert app.values["w2"] == -0.25
    app.set_value("w2", 1.5)
    assert app.values["w2"] == 1.5 and app.row("w2").value == 1.5
    app.controls["w2"].value = "0.1.2"
    assert "not a number" in app.errors[-1] and app.values["w2"] == 1.5


def test_a_value_the_expression_cannot_take_keeps_the_last_good_one():
    a = GraphExplorer("log(x) * y", x=2.0, y=3.0)
    parts = a.diagram_widget.parts
    a.controls["x"].value = -1.0
    assert a.values["x"] == 2.0 and a.diagram_widget.parts == parts
    assert "log needs a positive number" in a.message.value and "last good state is kept" in a.message.value
    a.controls["y"].value = 4.0  # the next success clears the message
    assert a.message.layout.display == "none" and a.values == {"x": 2.0, "y": 4.0}
    a.close()


# ---------------------------------------------------------------------------------------------- typing
def test_a_bad_expression_keeps_the_last_good_graph_and_shows_the_parsers_message(app):
    parts, expression = app.diagram_widget.parts, app.expression
    app.controls["expression"].value = "tanh(w1*x1 + )"
    assert app.expression == expression and app.diagram_widget.parts == parts
    message = plain_text(app.message.value)
    assert "cannot read the expression" in message and "\n    tanh(w1*x1 + )\n" in message
    caret = message.split("\n")[2]
    assert caret.strip().startswith("^") and caret.index("^") == len("    tanh(w1*x1 + ")
    assert "the last expression that could be read" in message
    assert app.controls["expression"].value == "tanh(w1*x1 + )"  # kept in the box, to be corrected
    app.controls["expression"].value = "__import__('os')"
    assert "__import__" in plain_text(app.message.value) and app.expression == expression
    app.controls["expression"].value = "tanh(w1*x1 + b)"
    assert app.expression == "tanh(w1*x1 + b)" and app.message.layout.display == "none"
    assert app.values == {"w1": -3.0, "x1": 2.0, "b": EXAMPLES["neuron"].values["b"]}  # the values are kept
    assert app.controls["example"].value == "" and app.title == "Your expression"
    assert_panels_follow_the_state(app)


def test_a_new_variable_starts_at_one_with_a_note(app):
    app.controls["expression"].value = "w1*x1 + z"
    assert app.values["z"] == 1.0 and "z had no value: it starts at 1" in app.message.value
    assert "z" in app.controls and app.controls["z"].value == 1.0
    assert "w2" not in app.controls  # rows only for the expression's variables


def test_set_expression_from_python_raises_and_changes_nothing(app):
    parts = app.diagram_widget.parts
    with pytest.raises(ValueError, match="cannot read the expression"):
        app.set_expression("x ^ 2", x=1.0)
    assert app.diagram_widget.parts == parts and app.errors == []
    app.set_expression("x**2 + y", x=3.0, y=1.0)
    assert app.output.data == 10.0 and app.leaves["x"].grad == 6.0


def test_the_example_menu_and_reset(app):
    app.controls["example"].value = "sigmoid_neuron"
    assert app.expression == EXAMPLES["sigmoid_neuron"].expression and app.title == "A sigmoid neuron, gate by gate"
    assert "0.73" in app.message.value  # the example's description as a note
    grads = {k: round(v.grad, 2) for k, v in app.leaves.items()}
    assert grads == {"w0": -0.2, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.2}  # CS231n's numbers
    app.controls["reset"].click()
    assert app.expression == "tanh(w1*x1 + w2*x2 + b)" and app.values == EXAMPLES["neuron"].values
    assert_panels_follow_the_state(app)


def test_a_variable_named_like_a_button_gets_its_own_row():
    a = GraphExplorer("step * 2 + reset", step=1.5, reset=0.5)
    assert a.row("step").value == 1.5 and a.controls["step (variable)"].value == 1.5
    a.row("step").value = 2.0
    assert a.output.data == 4.5 and isinstance(a.controls["step"], ipywidgets.Button)
    a.close()


# ---------------------------------------------------------------------------------------------- one neuron of a network
def test_from_record_gives_the_records_numbers_cs231n():
    sc = get_scenario("cs231n_neuron")
    rec = sc.network.backprop(sc.X, sc.y)
    a = GraphExplorer.from_record(rec, 1, 0)
    assert a.output.data == rec.activations[1][0, 0]
    u = rec.grad_activations[0][0, 0]  # ∂L/∂a = 1 in this scenario
    grads = np.array([a.leaves["w1"].grad, a.leaves["w2"].grad]) * u
    np.testing.assert_allclose(grads, rec.grad_weights[0][:, 0], rtol=1e-12)
    np.testing.assert_allclose([a.leaves["x1"].grad * u, a.leaves["x2"].grad * u], rec.grad_inputs[0], rtol=1e-12)
    assert a.leaves["b"].grad * u == pytest.approx(rec.grad_biases[0][0], rel=1e-12)
    text = plain_text(a.context.value)
    assert "∂L/∂w1 = −0.1966 × 1 = −0.1966 (the record's −0.1966)" in text
    assert "∂L/∂x2 through this neuron = −0.5898 × 1 = −0.5898" in text
    a.controls["w1"].value = 2.5
    assert "Changed since it came from the network" in a.context.value
    a.controls["reset"].click()
    assert "the record's −0.1966" in plain_text(a.context.value)
    a.close()


@pytest.mark.parametrize(("scenario", "layer", "neuron", "sample"), [("worked_example", 2, 1, 0), ("xor", 1, 1, 2)])
def test_from_record_any_neuron_any_sample(scenario, layer, neuron, sample):
    sc = get_scenario(scenario)
    rec = sc.network.backprop(sc.X, sc.y)
    a = GraphExplorer.from_record(rec, layer, neuron, sample)
    assert a.output.data == pytest.approx(rec.activations[layer][sample, neuron], rel=1e-14)
    W = rec.weights[layer - 1]
    for i in range(W.shape[0]):
        assert a.values[f"w{i + 1}"] == W[i, neuron]
        assert a.values[f"x{i + 1}"] == rec.activations[layer - 1][sample, i]
    u = rec.grad_activations[layer - 1][sample, neuron]
    # ∂a/∂z × ∂L/∂a is this sample's δ; ∂a/∂wᵢ × ∂L/∂a its share of ∂L/∂wᵢ = Σₛ xᵢ δ.
    assert a.leaves["b"].grad * u == pytest.approx(rec.deltas[layer - 1][sample, neuron], rel=1e-10)
    if rec.n_samples == 1:
        np.testing.assert_allclose(
            [a.leaves[f"w{i + 1}"].grad * u for i in range(W.shape[0])], rec.grad_weights[layer - 1][:, neuron]
        )
    else:
        assert f"sample {sample + 1} of {rec.n_samples}: its share" in a.context.value
    a.close()


def test_from_record_refuses_what_it_cannot_open():
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    with pytest.raises(ValueError, match="layer"):
        GraphExplorer.from_record(rec, 3, 0)
    with pytest.raises(ValueError, match="record"):
        GraphExplorer.from_record("record", 1, 0)


# ---------------------------------------------------------------------------------------------- the diagram
def test_a_node_chosen_in_the_diagram_shows_its_numbers(app):
    x1 = app.trace.by_label("x1").id
    app.diagram_widget.select(node_key(x1))  # what a click, or Tab and Enter, sends
    assert app.selected == node_key(x1)
    assert "grad = ∂f/∂(x1) = −1.5" in plain_text(app.node_panel.value)
    assert "x1" in app.diagram_widget.announce and 'aria-pressed="true"' in "".join(
        p for _, p in app.diagram_widget.parts
    )
    assert_panels_follow_the_state(app)
    app.set_expression("x + 1", x=2.0)
    assert app.selected is None  # a node of the old graph is not kept


def test_lecture_and_theme(app):
    small = app.scene.font_size
    app.controls["lecture"].value = True
    assert app.lecture and "bpx-lecture" in app.root._dom_classes
    assert app.scene.font_size == pytest.approx(LECTURE_SCALE * small)
    app.controls["theme"].value = "dark"
    assert app.scene.theme == "dark" and app.diagram_widget.background == "#111418"
    assert_panels_follow_the_state(app)


def test_one_diagram_message_per_gesture(app):
    app.diagram_widget.updates = 0
    app.controls["x1"].value = 1.0
    app.controls["step"].click()
    assert app.diagram_widget.updates == 2


def test_the_app_offers_a_still_picture_beside_the_widget(app):
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and bundle["image/svg+xml"] == app.picture()
    app.set_stage(1)
    steps, tr = engine(app)
    picture = graph_diagram(tr, steps=steps[:1], title=app.title, theme=app.drawing_theme)
    assert app.picture() == picture.svg()  # the live diagram, and under it what the step panel says
    assert "Step 1 of 5:" in app.picture() and "Step 1 of 5:" not in app.scene.svg()


# ---------------------------------------------------------------------------------------------- state, doors, close
def test_state_round_trip(app, tmp_path):
    app.controls["w1"].value = 0.75
    app.set_stage(3)
    path = tmp_path / "graph.json"
    app.save_state(path)
    other = GraphExplorer("x", x=1.0)
    other.load_state(path)
    assert other.values == app.values and other.stage == 3 and other.expression == app.expression
    with pytest.raises(ValueError, match="stage"):
        other.set_state({**app.state(), "stage": 99})
    assert other.stage == 3 and other.values == app.values  # nothing applied
    other.close()


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("x +",), {}, "cannot read the expression"),
        ((3,), {}, "expression must be a string"),
        (("x",), {"x": float("nan")}, "the value of x must be a finite number"),
        (("x",), {"lecture": "yes"}, "lecture"),
        (("x",), {"theme": "neon"}, "theme"),
        (("x",), {"title": 3}, "title"),
        ((), {"x": 1.0}, "values need an expression"),
    ],
)
def test_bad_arguments_are_refused_at_the_door(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        GraphExplorer(*args, **kwargs)


def test_bad_calls_are_named(app):
    with pytest.raises(ValueError, match="name must be one of"):
        GraphExplorer.from_example("nope")
    with pytest.raises(ValueError, match="key must be a node"):
        app.select("node:99")
    with pytest.raises(ValueError, match="stage must be an integer from 0 to 5"):
        app.set_stage(6)
    with pytest.raises(ValueError, match="direction"):
        app.step_backward(2)
    with pytest.raises(ValueError, match="name must be one of the variables"):
        app.set_value("q", 1.0)


def test_close_leaves_no_widget_open_and_a_closed_app_refuses():
    before = open_widgets()
    a = GraphExplorer.from_example("gates")
    a.controls["step"].click()
    a.controls["expression"].value = "x*y + z"
    assert open_widgets() - before
    a.close()
    assert open_widgets() - before == set()
    with pytest.raises(RuntimeError, match="closed"):
        a.step_backward()
    assert "closed" in a._repr_mimebundle_()["text/plain"]
