"""BackpropExplorer driven from Python: set controls, click buttons, assert on the engine and the figure."""

from __future__ import annotations

import asyncio
import gc
import re

import numpy as np
import plotly.graph_objects as go
import psutil
import pytest

from explainer import Network, worked_example
from explainer.views.network import network_spec
from explainer.views.style import fmt
from explainer.widgets import BackpropExplorer
from explainer.widgets._base import Coalescer
from explainer.widgets._diagram import check_spec


def trace(app, name):
    return next(t for t in app.figure.data if t.name == name)


def node_labels(app):
    return list(trace(app, "labels").text)


@pytest.fixture
def app():
    a = BackpropExplorer()
    yield a
    a.close()


def test_starts_on_the_worked_example(app):
    assert app.network.sizes == (2, 2, 2)
    assert app.record.loss == pytest.approx(0.298371109, abs=1e-9)
    assert set(app.controls) >= {"W1[0,0]", "b2[1]", "x[0]", "y[1]", "lr", "mode", "step", "update", "reset"}
    assert app.controls["lr"].value == pytest.approx(0.5)


def test_moving_a_weight_gives_exactly_the_engines_loss(app):
    app.controls["W1[0,0]"].value = 0.42
    net = worked_example().network
    net.set("W1[0,0]", 0.42)
    expected = net.backprop([0.05, 0.10], [0.01, 0.99])
    assert app.network.get("W1[0,0]") == 0.42
    assert app.record.loss == expected.loss
    np.testing.assert_array_equal(app.record.grad_weights[0], expected.grad_weights[0])
    # The figure shows the new numbers: the W1[0,0] edge hover holds its new gradient.
    hover = list(trace(app, "edge_labels").hovertext)
    index = list(trace(app, "edge_labels").customdata).index("W1[0,0]")
    assert (
        fmt(expected.grad_weights[0][0, 0]) in hover[index] or f"{expected.grad_weights[0][0, 0]:.4g}" in hover[index]
    )
    assert f"{expected.loss:.6g}" in app.loss_label.value


def test_inputs_and_targets_move_the_record(app):
    app.controls["x[1]"].value = 0.7
    app.controls["y[0]"].value = 0.5
    np.testing.assert_array_equal(app.record.inputs, [[0.05, 0.7]])
    np.testing.assert_array_equal(app.record.targets, [[0.5, 0.99]])
    assert app.record.loss == worked_example().network.backprop([0.05, 0.7], [0.5, 0.99]).loss


def test_one_message_per_slider_event(app, monkeypatch):
    diagram = app.diagram_widget
    sent = []
    monkeypatch.setattr(diagram.comm, "send", lambda data=None, **kw: sent.append(data))
    for v in (0.2, 0.3, 0.4):
        app.controls["W2[1,1]"].value = v
    app.flush()
    assert [sorted(m["state"]) for m in sent] == [["spec"]] * 3
    assert diagram.updates == 3
    assert sent[-1]["state"]["spec"] == diagram.spec  # the last message is what the diagram shows


def test_the_derivation_is_sent_only_while_its_panel_is_open(app):
    def shown():
        return [o["data"]["text/markdown"] for o in app.derivation.outputs]

    app.flush()
    assert app._derivation_panel.selected_index is None and shown() == []  # closed: nothing typeset
    app.controls["W2[0,0]"].value = 0.9
    app.flush()
    assert shown() == []
    app._derivation_panel.selected_index = 0  # the learner opens it: the current numbers at once
    assert shown() == [app.derivation_text] and "0.9" in app.derivation_text
    app.controls["W2[0,0]"].value = 0.7  # open: every change follows
    app.flush()
    assert shown() == [app.derivation_text] and "0.7 \\cdot" in app.derivation_text
    app._derivation_panel.selected_index = None
    app.controls["W2[0,0]"].value = 0.6
    app.flush()
    assert "0.6 \\cdot" in app.derivation_text and shown() != [app.derivation_text]  # closed again: not sent


def test_backward_steps_light_one_more_layer_each_click(app):
    app.controls["mode"].value = "gradients"
    lit = []
    for _ in range(app.network.n_layers + 2):
        app.controls["step"].click()
        labels = node_labels(app)[2:]  # hidden and output neurons (inputs always show x)
        lit.append(sum(1 for t in labels[:-1] if t.strip()))
    assert app.stage == app.network.n_layers + 1
    # stage 0: the two outputs show ∂L/∂a; stage 1: output δ; stage 2: hidden δ too; stage 3: update.
    assert lit[0] == 2 and lit[1] == 2 and lit[2] == 4
    captions = [a.text for a in app.figure.layout.annotations] + [str(trace(app, "caption").text)]
    assert any("update" in c or "w⁺" in c or "←" in c for c in captions)
    app.controls["back"].click()
    assert app.stage == app.network.n_layers


def test_the_diagram_shows_the_view_of_each_backward_stage(app):
    # The diagram draws exactly the view's figure: numbers not yet reached are empty, then arrive.
    app.controls["step"].click()  # stage 0: only the output links and output neurons carry numbers
    view = network_spec(app.record, "gradients", stage=0, lr=app.lr)
    assert app.diagram_widget.spec == check_spec(view)
    assert sum(not t for t in trace(app, "edge_labels").text) == 8  # every weight waits for its layer's δ
    app.controls["step"].click()  # stage 1: the W2 numbers arrive in the same points
    assert app.diagram_widget.spec == check_spec(network_spec(app.record, "gradients", stage=1, lr=app.lr))
    assert sum(bool(t) for t in trace(app, "edge_labels").text) == 4 + 2


def test_apply_update_is_gradient_descent_with_frozen_biases(app):
    rec = app.record
    new_w, new_b = rec.updated_parameters(0.5)
    app.controls["update"].click()
    np.testing.assert_allclose(app.network.weights[1], new_w[1], rtol=0, atol=0)
    np.testing.assert_array_equal(app.network.biases[0], [0.35, 0.35])
    assert app.network.get("W2[0,0]") == pytest.approx(0.35891648, abs=1e-8)
    assert app.controls["W2[0,0]"].value == pytest.approx(0.35891648, abs=1e-8)
    assert app.session.steps_done == 1


def test_each_weight_prints_the_engines_value_not_the_sliders_step(app):
    def readout(name):
        return re.sub(r"<[^>]+>", "", app._readouts[name].value)

    assert not app.controls["W2[0,0]"].readout  # the slider's own readout would print its snapped step
    assert readout("W2[0,0]") == "0.4000"
    app.controls["update"].click()  # Mazur: w5 = 0.35891648 after one update, between two steps of 0.01
    assert app.network.get("W2[0,0]") == pytest.approx(0.35891648, abs=1e-8)
    assert readout("W2[0,0]") == "0.3589"
    app.controls["W2[0,0]"].value = 0.36  # the browser's snapped echo: ignored, the engine keeps its digits
    app.flush()
    assert readout("W2[0,0]") == "0.3589"
    app.controls["W1[0,0]"].value = 0.42  # a learner's move
    app.flush()
    assert readout("W1[0,0]") == "0.4200"


def test_train_undo_reset(app):
    app.controls["train_steps"].value = 5
    app.controls["train"].click()
    assert app.session.steps_done == 5
    losses = app.session.history.train_loss
    assert np.all(np.diff(losses) < 0)
    app.controls["undo_to"].value = 2
    app.controls["undo"].click()
    assert app.session.steps_done == 2
    np.testing.assert_array_equal(app.network.parameters, app.session.history.parameters[2])
    assert app.record.loss == pytest.approx(losses[2], rel=1e-12)
    app.controls["reset"].click()
    np.testing.assert_array_equal(app.network.parameters, worked_example().network.parameters)
    assert app.controls["W1[0,0]"].value == pytest.approx(0.15)


def test_learning_rate_slider_drives_the_update(app):
    app.controls["lr"].value = 0.1
    rec = app.record
    app.controls["update"].click()
    assert app.network.get("W2[0,0]") == pytest.approx(0.4 - 0.1 * rec.grad_weights[1][0, 0], abs=1e-15)


def test_an_engine_exception_is_shown_and_the_figure_kept(app, monkeypatch):
    before = [list(t.hovertext) if t.hovertext is not None else None for t in app.figure.data]
    loss_before = app.record.loss

    def boom(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(app.network, "backprop", boom)
    app.controls["W1[0,1]"].value = 1.5
    assert "engine exploded" in app.message.value and "bpx-error" in app.message.value
    assert app.errors and "engine exploded" in app.errors[-1]
    after = [list(t.hovertext) if t.hovertext is not None else None for t in app.figure.data]
    assert after == before
    assert app.network.get("W1[0,1]") == pytest.approx(0.25)  # the last good state
    assert app.controls["W1[0,1]"].value == pytest.approx(0.25)
    monkeypatch.undo()
    app.controls["W1[0,1]"].value = 0.3
    assert app.record.loss != loss_before
    assert app.network.get("W1[0,1]") == 0.3


def test_an_invalid_architecture_choice_shows_a_message_and_reverts(app):
    app.controls["loss"].value = "bce"  # bce needs a sigmoid output: fine here
    assert app.network.loss == "bce"
    app.controls["output_activation"].value = "identity"  # bce with identity: invalid
    assert "pairs with output_activation" in app.message.value
    assert app.controls["output_activation"].value == "sigmoid"
    assert app.network.output_activation == "sigmoid"


def test_changing_the_activation_keeps_the_weights(app):
    app.controls["activation"].value = "tanh"
    assert app.network.layer_activations == ("tanh", "sigmoid")
    np.testing.assert_array_equal(app.network.parameters, worked_example().network.parameters)
    assert app.record.activations[1] == pytest.approx(np.tanh(app.record.preactivations[0]))


def test_presets_reset_to_a_known_state(app):
    app.controls["W1[0,0]"].value = 2.0
    app.controls["preset"].value = "xor"
    assert app.network.sizes == (2, 3, 1)
    assert app.record.n_samples == 4
    assert app.controls["preset"].value == ""
    app.controls["preset"].value = "worked_example"
    assert app.record.loss == pytest.approx(0.298371109, abs=1e-9)


def test_switching_presets_leaves_no_widgets_behind(app):
    from ipywidgets.widgets.widget import _instances  # every open widget model, layouts and styles included

    def open_widgets():
        return len(_instances)

    for name in ("xor", "worked_example"):  # once round, so every kind of widget exists
        app.load_preset(name)
    before = open_widgets()
    for _ in range(3):
        for name in ("xor", "worked_example"):
            app.load_preset(name)
    assert open_widgets() == before
    slider = app.controls["W1[0,0]"]
    app.close()  # closing the app closes its controls' layout and style models too
    assert slider.comm is None and slider.layout.comm is None and slider.style.comm is None


def test_a_diverging_learning_rate_is_a_lesson(app):
    app.load_preset("diverging_learning_rate")
    app.controls["train_steps"].value = 400
    app.controls["train"].click()
    assert app.session.diverged
    assert "too large" in app.message.value
    fig = app.figure.to_plotly_json()
    assert all(np.isfinite(v) for tr in fig["data"] for v in np.ravel(tr.get("x", [])) if v is not None)
    app.controls["reset"].click()
    assert not app.session.diverged
    assert np.isfinite(app.record.loss)


def test_click_on_a_weight_selects_its_slider_and_explains_it(app):
    edge = trace(app, "edge_labels")
    index = list(edge.customdata).index("W2[0,0]")
    k = [t.name for t in app.figure.data].index("edge_labels")
    # What the front end sends when the learner clicks the number of w5.
    click = {"method": "custom", "content": {"event": "click", "trace": k, "point": index}}
    app.diagram_widget._handle_msg({"content": {"data": click}, "buffers": []})
    assert app.selected == "W2[0,0]"
    assert "bpx-selected" in app.controls["W2[0,0]"]._dom_classes
    assert "0.5933" in app.chain.value and "0.1385" in app.chain.value and "0.08217" in app.chain.value


def test_burst_of_slider_changes_is_coalesced_and_ends_on_the_last_value(app):
    async def burst():
        for v in np.linspace(-1, 1, 200):
            app.controls["W1[1,1]"].value = float(v)
        await asyncio.sleep(0)

    runs = app._coalescer.runs
    asyncio.run(burst())
    assert app._coalescer.runs - runs == 1
    assert app.network.get("W1[1,1]") == 1.0
    net = worked_example().network
    net.set("W1[1,1]", 1.0)
    assert app.record.loss == net.backprop([0.05, 0.10], [0.01, 0.99]).loss


def test_coalescer_without_a_loop_runs_at_once():
    calls = []
    c = Coalescer(lambda: calls.append(1))
    c.request()
    c.request()
    assert calls == [1, 1]


def test_memory_and_traces_stay_flat_over_many_changes(app):
    # RSS, not tracemalloc: tracing every allocation makes each change ~10× slower. The benchmark
    # (benchmarks/bench_widgets.py) runs the full 10,000 changes.
    process = psutil.Process()
    n_traces = len(app.figure.data)
    slider = app.controls["W1[0,0]"]
    for v in np.linspace(-1, 1, 200):  # warm up caches and the allocator
        slider.value = float(v)
    gc.collect()
    start = process.memory_info().rss
    for v in np.linspace(-2, 2, 1000):
        slider.value = float(v)
    app.flush()
    gc.collect()
    growth = process.memory_info().rss - start
    assert growth < 5 * 2**20, f"grew {growth / 2**20:.1f} MB"
    assert len(app.figure.data) == n_traces


def test_lecture_mode_enlarges_the_app_and_the_figure(app):
    size = app.figure.layout.font.size
    app.controls["lecture"].value = True
    assert "bpx-lecture" in app.root._dom_classes
    assert app.figure.layout.font.size > size


def test_state_round_trip(app, tmp_path):
    app.controls["W1[0,0]"].value = 0.77
    app.controls["lr"].value = 0.2
    path = tmp_path / "scenario.json"
    app.save_state(path)
    other = BackpropExplorer(scenario="xor")
    other.load_state(path)
    assert other.network.get("W1[0,0]") == 0.77
    assert other.lr == pytest.approx(0.2)
    assert other.record.loss == app.record.loss
    with pytest.raises(ValueError, match="path"):
        other.load_state(tmp_path / "missing.json")
    other.close()


def test_snapshot_is_a_plain_figure(app):
    fig = app.snapshot()
    assert isinstance(fig, go.Figure) and not isinstance(fig, go.FigureWidget)
    assert [t.name for t in fig.data] == [t.name for t in app.figure.data]


def test_any_small_network_can_be_passed(app):
    net = Network([3, 4, 4, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=1)
    X = np.array([[0.1, -0.2, 0.3]])
    other = BackpropExplorer(net, X, [1])
    assert "y" in other.controls and other.controls["y"].value == 1
    assert other.record.loss == net.backprop(X, [1]).loss
    other.controls["y"].value = 0
    assert other.record.loss == net.backprop(X, [0]).loss
    other.close()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="network"):
        BackpropExplorer("not a network", [[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="X and y"):
        BackpropExplorer(Network([2, 2]))
    with pytest.raises(ValueError, match="scenario"):
        BackpropExplorer(scenario="mnist")
    with pytest.raises(ValueError, match="network must have at most"):
        BackpropExplorer(Network([2, 20, 1]), np.zeros((1, 2)), [[0.0]])
