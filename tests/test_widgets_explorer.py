"""BackpropExplorer driven from Python as a learner would: every panel equals what the state implies, on every path.

Each test named after a defect of the app-model issue covers it from the kernel's side; tests/browser/
test_journeys.py covers the same paths in a real page.
"""

from __future__ import annotations

import asyncio
import gc
import html

import ipywidgets
import numpy as np
import psutil
import pytest

import explainer.widgets.explorer as explorer_module
from explainer import Network, get_scenario, train, worked_example
from explainer.engine.history import DIVERGENCE_FACTOR
from explainer.views.diagram import plain_text
from explainer.views.network_diagram import network_diagram
from explainer.views.style import fmt
from explainer.widgets import BackpropExplorer


@pytest.fixture
def app():
    a = BackpropExplorer()
    yield a
    a.close()


def texts(app) -> list[str]:
    return app.scene.texts()


def open_widgets() -> set:
    return set(ipywidgets.widgets.widget._instances)


def expected_panels(app) -> dict:
    """What every panel must show for the app's state, computed from the state alone (the contract)."""
    rec = app.network.backprop(app._X, app._Y)
    st = app.state_
    scene = network_diagram(
        rec,
        st.mode,
        stage=st.stage if st.mode == "gradients" else None,
        lr=app.lr,
        sample=st.sample,
        theme=app.drawing_theme,
        lecture=app.lecture,
        selected=st.selected,
    )
    return {"loss": rec.loss, "parts": [[p.id, p.svg] for p in scene.parts]}


def assert_panels_follow_the_state(app):
    want = expected_panels(app)
    assert app.record.loss == want["loss"]
    assert app.diagram_widget.parts == want["parts"]
    assert fmt(want["loss"], 6).lstrip("+") in app.loss_label.value
    for name in app.network.parameter_names:
        assert app.controls[name].value == app.network.get(name)  # every row shows the engine's own number


# ---------------------------------------------------------------------------------------------- the start
def test_starts_on_the_worked_example(app):
    assert app.network.sizes == (2, 2, 2)
    assert app.record.loss == pytest.approx(0.298371109, abs=1e-9)
    assert set(app.controls) >= {"W1[0,0]", "b2[1]", "x[0]", "y[1]", "lr", "mode", "step", "update", "reset"}
    assert app.controls["lr"].value == 0.5
    assert app.controls["preset"].value == "worked_example"  # the menu says which preset is on
    assert_panels_follow_the_state(app)


def test_moving_a_weight_gives_exactly_the_engines_numbers(app):
    app.controls["W1[0,0]"].value = 0.42
    net = worked_example().network
    net.set("W1[0,0]", 0.42)
    expected = net.backprop([0.05, 0.10], [0.01, 0.99])
    assert app.network.get("W1[0,0]") == 0.42
    assert app.record.loss == expected.loss
    np.testing.assert_array_equal(app.record.grad_weights[0], expected.grad_weights[0])
    assert fmt(expected.grad_weights[0][0, 0]) in app.scene.hover("W1[0,0]")
    assert fmt(expected.loss, 6).lstrip("+") in app.loss_label.value
    assert_panels_follow_the_state(app)


# ---------------------------------------------------------------------------------------------- defect 1
def test_1_showing_a_preset_keeps_its_data_to_the_last_digit(app):
    app.load_preset("diverging_learning_rate")
    sc = get_scenario("diverging_learning_rate")
    np.testing.assert_array_equal(app._Y, sc.network.check_y(sc.y, len(sc.X)))
    assert app.record.loss == sc.network.backprop(sc.X, sc.y).loss
    app.load_preset("vanishing_gradients")
    x = app.controls["x[0]"].value, app.controls["x[1]"].value
    assert x == (pytest.approx(0.25019093, abs=1e-8), pytest.approx(0.7944276, abs=1e-7))
    sc = get_scenario("vanishing_gradients")
    assert x == tuple(sc.X[0])  # exactly, not the slider's 0.25 and 0.79
    # Choosing another sample shows that sample's exact numbers, and the record keeps every digit.
    app.controls["sample"].value = 5
    assert (app.controls["x[0]"].value, app.controls["x[1]"].value) == tuple(sc.X[5])
    np.testing.assert_array_equal(app.record.inputs, sc.X)
    # A row prints 7 significant digits of the state; its thumb position is only where it is drawn.
    rows = {r["key"]: r for r in app._sliders.rows}
    assert rows["x[0]"]["value"] == sc.X[5, 0] and rows["x[0]"]["text"] == f"{sc.X[5, 0]:.7g}".replace("-", "−")


# ---------------------------------------------------------------------------------------------- defect 2
def test_2_training_past_the_range_widens_it_and_never_clamps(app):
    app.load_preset("xor")
    app.train(3000)
    big = [n for n in app.network.parameter_names if abs(app.network.get(n)) > 3]
    assert big, "XOR trains some weight beyond ±3"
    for name in big:
        row = app.controls[name]
        assert row.value == app.network.get(name)
        assert row.min <= row.value <= row.max  # the range widened to hold it


def test_2_ten_thousand_steps_give_the_engines_own_training(app):
    for _ in range(10):
        app.train(1000)
    sc = worked_example()
    history = train(sc.network.copy(), sc.X, sc.y, lr=sc.lr, steps=10_000)
    assert app.record.loss == pytest.approx(history.train_loss[-1], rel=1e-12)
    assert app.record.loss == pytest.approx(0.000035102, abs=5e-10)
    assert "3.51019×10⁻⁵" in app.loss_label.value


# ---------------------------------------------------------------------------------------------- defect 3
def test_3_the_chain_rule_panel_follows_a_change_of_loss(app):
    app.select("W2[0,0]")
    assert "+0.08217" in app.chain.value
    app.controls["output_activation"].value = "softmax"
    app.controls["loss"].value = "cross_entropy"
    g = app.record.grad_weights[1][0, 0]
    assert fmt(g) == "+0.2731"
    assert "+0.2731" in app.chain.value and "+0.08217" not in app.chain.value
    assert "+0.2731" in app.diagram_widget.announce
    app.load_preset("xor")  # a new network: no panel keeps the old one's text
    assert app.selected is None and "W2[0,0]" not in app.chain.value
    assert_panels_follow_the_state(app)


# ---------------------------------------------------------------------------------------------- defect 4
def test_4_after_a_preset_the_go_to_list_is_the_new_runs(app):
    app.train(41)
    assert app.controls["undo_to"].options[-1] == ("step 41", 41)
    app.load_preset("xor")
    assert list(app.controls["undo_to"].options) == [("step 0", 0)]
    assert app.controls["undo"].disabled
    app.controls["undo"].click()  # disabled in the page; from Python it says why, in words
    assert not app.errors or "no earlier step" in app.errors[-1]


def test_4_the_go_to_menu_lists_a_few_checkpoints(app):
    app.train(5000)
    options = app.controls["undo_to"].options
    assert len(options) <= explorer_module.GO_TO_ENTRIES
    assert options[0] == ("step 0", 0) and options[-1] == ("step 5,000", 5000)
    app.undo(options[-3][1])
    assert app.session.steps_done == options[-3][1]
    assert_panels_follow_the_state(app)


def test_4_cross_entropy_with_a_sigmoid_output_brings_its_softmax(app):
    app.controls["loss"].value = "cross_entropy"
    assert app.network.output_activation == "softmax" and app.network.loss == "cross_entropy"
    assert "softmax" in app.message.value and "bpx-msg-error" not in app.message.value
    assert app.controls["output_activation"].value == "softmax"
    one = BackpropExplorer(scenario="single_neuron")
    one.controls["loss"].value = "cross_entropy"
    assert "one output" in one.errors[-1] and "ValueError" not in one.errors[-1]
    assert one.network.loss == "mse" and one.controls["loss"].value == "mse"  # nothing changed
    one.close()


# ---------------------------------------------------------------------------------------------- defect 5
def test_5_a_failing_view_keeps_the_last_good_state_and_the_message_goes(app, monkeypatch):
    real = explorer_module.network_diagram

    def fragile(rec, *args, **kwargs):
        if rec.weights[0][0, 0] > 1.0:
            raise RuntimeError("the view broke")
        return real(rec, *args, **kwargs)

    monkeypatch.setattr(explorer_module, "network_diagram", fragile)
    loss = app.record.loss
    app.controls["W1[0,0]"].value = 1.5
    assert "the view broke" in app.message.value and "last good state is kept" in app.message.value
    assert app.network.get("W1[0,0]") == 0.15 and app.controls["W1[0,0]"].value == 0.15
    assert app.record.loss == loss
    app.controls["W1[0,0]"].value = 0.2  # the next success clears the message
    assert app.message.value == "" and app.network.get("W1[0,0]") == 0.2
    assert_panels_follow_the_state(app)


# ---------------------------------------------------------------------------------------------- defect 6
@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(theme="neon"), "theme"),
        (dict(neuron=(9, 9)), "layer"),
        (dict(neuron=(1, 5)), "neuron"),
        (dict(diagram="tree"), "diagram"),
        (dict(lecture="yes"), "lecture"),
        (dict(scenario="nope"), "scenario"),
        (dict(lr=-1.0), "lr"),
        (dict(network="net", X=[[0.0]], y=[[0.0]]), "network"),
        (dict(network=Network([2, 9, 2], seed=0), X=[[0.0, 0.0]], y=[[0.0, 0.0]]), "network"),
        (dict(network=Network([1, 1], seed=0)), "X and y"),
    ],
)
def test_6_bad_arguments_are_refused_at_the_door(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        BackpropExplorer(**kwargs)


def test_6_the_neuron_diagram_survives_a_preset_without_that_neuron():
    app = BackpropExplorer(scenario="vanishing_gradients", diagram="neuron", neuron=(5, 3))
    app.load_preset("single_neuron")
    assert app.neuron == (1, 0)
    app.controls["W1[0,0]"].value = 1.0  # the sliders still move it
    assert app.record.weights[0][0, 0] == 1.0 and not app.errors
    assert "w₁" in texts(app)
    app.close()


# ---------------------------------------------------------------------------------------------- defect 7
def test_7_close_leaves_no_widget_open_and_a_closed_app_refuses():
    before = open_widgets()
    app = BackpropExplorer()
    app.select("W2[0,0]")
    app.load_preset("xor")
    app.train(20)
    app.close()
    left = [type(ipywidgets.widgets.widget._instances[k]).__name__ for k in open_widgets() - before]
    assert left == [], left
    with pytest.raises(RuntimeError, match="was closed"):
        app.train(1)
    assert "closed" in app._repr_mimebundle_()["text/plain"]


def test_7_two_apps_given_one_network_do_not_share_it():
    sc = worked_example()
    a = BackpropExplorer(sc.network, sc.X, sc.y)
    b = BackpropExplorer(sc.network, sc.X, sc.y)
    a.controls["W1[0,0]"].value = 2.0
    b.reset()
    assert a.network.get("W1[0,0]") == 2.0 and sc.network.get("W1[0,0]") == 0.15
    assert a.network is not sc.network and a.network is not b.network
    a.close()
    b.close()


# ---------------------------------------------------------------------------------------------- defect 10
def test_10_auto_theme_follows_the_page(app):
    assert app.theme == "auto" and app.scene.background == "#ffffff"
    app._probe.detected = "dark"  # what the page reports when JupyterLab switches to Dark
    assert app.scene.background != "#ffffff" and app.scene.theme == "dark"
    app.set_theme("light")
    assert app.scene.theme == "light"
    assert_panels_follow_the_state(app)


# ---------------------------------------------------------------------------------------------- defect 11
def test_11_the_diagram_names_w1_to_w8_and_writes_powers_and_parentheses(app):
    words = " ".join(texts(app))
    for k in "₁₂₃₄₅₆₇₈":
        assert f"w{k} " in words
    app.load_preset("xor")
    app.controls["activation"].value = "tanh"
    hover = plain_text(app.scene.hover("node:1:0"))
    a = app.record.activations[1][0, 0]
    if a < 0:
        assert "1 − (−" in hover
    app.load_preset("vanishing_gradients")
    assert any("×10⁻" in t for t in texts(app)) and not any("^" in t for t in texts(app))
    assert "+0" not in texts(app)


def test_11_readouts_do_not_overflow_after_divergence(app):
    app.load_preset("diverging_learning_rate")
    app.train(200)
    loss_line = app.loss_label.value.split("</div>")[0]
    assert len(plain_text(loss_line)) < 24, loss_line  # "L = 904.093", not "658940.39(" cut in the panel


# ---------------------------------------------------------------------------------------------- defect 12
def test_12_divergence_is_said_once_with_one_step_and_the_curve_marks_it(app):
    app.load_preset("diverging_learning_rate")
    app.train(200)
    h = app.session.history
    assert h.diverged
    step = int(h.steps[h.diverged_at])
    assert h.train_loss[h.diverged_at] > DIVERGENCE_FACTOR * h.train_loss[0] or not np.isfinite(
        h.train_loss[h.diverged_at]
    )
    assert f"diverged at step {step}" in app.message.value
    assert f"diverged at {step:,}" in app.curve.value
    assert app.controls["train"].disabled and app.controls["update"].disabled
    app.undo(0)
    assert "diverged" not in app.message.value and not app.controls["train"].disabled


# ---------------------------------------------------------------------------------------------- defect 13
def test_13_every_weight_and_neuron_is_a_target_in_tab_order(app):
    keys = app.scene.keys()
    for name in app.network.parameter_names:
        assert name in keys
    for layer, n in enumerate(app.network.sizes):
        for j in range(n):
            assert f"node:{layer}:{j}" in keys
    assert keys.index("W1[0,0]") < keys.index("W2[0,0]")  # Tab moves through the layers in order
    app.diagram_widget.select("W2[0,0]")  # Enter on w5
    assert app.selected == "W2[0,0]" and "∂L/∂W2[0,0] = +0.08217" in app.diagram_widget.announce
    app.diagram_widget.select("node:2:0")
    assert "δ_o₁" in app.chain.value


def test_13_the_page_gets_the_hover_text_it_asks_for(app):
    sent = []
    app.diagram_widget.send = sent.append
    app.diagram_widget._on_message(None, {"event": "hover", "key": "W2[0,0]", "seq": 3}, [])
    assert sent[-1]["seq"] == 3 and "∂L/∂w₅ = a_h₁ · δ_o₁" in html.unescape(sent[-1]["html"])


# ---------------------------------------------------------------------------------------------- defect 14
def test_14_the_stepper_numbers_its_steps_as_the_caption_does_and_stops_at_the_end(app):
    app.step_backward()
    assert app.stage == 0
    assert "backward step 1 of 4" in app.loss_label.value
    assert any(t.startswith("Step 1:") for t in texts(app))
    for _ in range(3):
        app.step_backward()
    assert app.stage == 3 and app.controls["step"].disabled
    app.step_backward()
    assert app.stage == 3
    assert "backward step 4 of 4" in app.loss_label.value


def test_14_options_read_as_words_and_reset_restores_data_and_eta(app):
    labels = [label for label, _ in app.controls["loss"].options]
    assert "mse" not in labels and any("squared error" in label for label in labels)
    assert all("_" not in label for label, _ in app.controls["activation"].options)
    app.controls["x[0]"].value = 0.0
    app.controls["lr"].value = 2.0
    app.train(3)
    app.reset()
    assert app.controls["x[0]"].value == 0.05 and app.lr == 0.5 and app.session.steps_done == 0


def test_14_the_derivation_is_sent_only_while_its_panel_is_open(app):
    app.controls["W1[0,0]"].value = 0.2
    assert app.derivation.outputs == ()
    app._derivation_panel.selected_index = 0
    text = app.derivation.outputs[0]["data"]["text/markdown"]
    assert "0.2" in text
    app.controls["W1[0,0]"].value = 0.3
    assert app.derivation.outputs[0]["data"]["text/markdown"] != text


# ---------------------------------------------------------------------------------------------- the rest
def test_one_message_per_slider_event(app):
    widget = app.diagram_widget
    sent = widget.updates
    app.controls["W1[0,0]"].value = 0.2
    app.controls["W1[0,0]"].value = 0.25
    assert widget.updates == sent + 2
    app.controls["W1[0,0]"].value = 0.25  # the same value: nothing to send
    assert widget.updates == sent + 2


def test_apply_update_is_gradient_descent_with_frozen_biases(app):
    rec = app.record
    new_w, new_b = rec.updated_parameters(0.5)
    app.controls["update"].click()
    np.testing.assert_array_equal(app.network.weights[0], new_w[0])
    assert app.network.get("W2[0,0]") == pytest.approx(0.35891648, abs=1e-8)
    np.testing.assert_array_equal(app.network.biases[0], [0.35, 0.35])
    assert app.controls["W2[0,0]"].value == app.network.get("W2[0,0]")  # 0.3589165, not the step's 0.36


def test_bursts_are_coalesced_and_readers_flush(app, monkeypatch):
    queued = []

    class Loop:
        def call_soon(self, callback):
            queued.append(callback)

    monkeypatch.setattr(asyncio, "get_running_loop", Loop)
    runs = app._coalescer.runs
    for v in np.linspace(0.1, 0.9, 30):
        app._sliders.input("W1[0,0]", float(v))
    assert len(queued) == 1 and app._coalescer.runs == runs
    assert app.record.weights[0][0, 0] == 0.9  # a reader flushes: the last value wins
    assert app._coalescer.runs == runs + 1


def test_memory_stays_flat_over_many_changes(app):
    for k in range(200):
        app.controls["W1[0,0]"].value = 0.1 + 0.001 * k
    gc.collect()
    before = psutil.Process().memory_info().rss
    for k in range(2000):
        app.controls["W1[0,0]"].value = 0.1 + 0.0001 * k
    gc.collect()
    assert psutil.Process().memory_info().rss - before < 5 * 2**20


def test_state_round_trip_is_all_or_nothing(app, tmp_path):
    app.controls["W1[0,0]"].value = 0.33
    app.controls["mode"].value = "values"
    path = tmp_path / "explorer.json"
    app.save_state(path)
    other = BackpropExplorer(scenario="xor")
    other.load_state(path)
    assert other.network.get("W1[0,0]") == 0.33 and other.state_.mode == "values"
    bad = tmp_path / "bad.json"
    bad.write_text('{"app": "BackpropExplorer", "network": {"sizes": [2, 2, 2]}, "X": [[1]], "y": [[1]], "lr": 0.5}')
    with pytest.raises(ValueError):
        other.load_state(bad)
    assert other.network.get("W1[0,0]") == 0.33  # nothing of the bad file was applied
    other.close()


def test_a_state_file_too_large_or_not_text_is_refused_before_it_is_read(app, tmp_path, monkeypatch):
    import explainer.widgets.app as app_module

    big = tmp_path / "big.json"
    big.write_text(" " * 2000)
    monkeypatch.setattr(app_module, "MAX_STATE_BYTES", 1000)
    with pytest.raises(ValueError, match=r"path .*big.json.* is 2,000 bytes; a state file may be at most 1,000"):
        app.load_state(big)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not a readable state file"):
        app.load_state(binary)
    with pytest.raises(ValueError, match="not a file"):
        app.load_state(tmp_path)


def test_any_small_network_can_be_passed():
    net = Network([3, 4, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=1)
    X = np.random.default_rng(0).normal(size=(5, 3))
    app = BackpropExplorer(net, X, [0, 1, 1, 0, 1])
    assert app.controls["preset"].value == "own"
    assert app.record.n_samples == 5
    assert "y[0]" not in app.controls  # a class label, not a slider
    app.close()


def test_the_app_offers_a_still_picture_beside_the_widget(app):
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/svg+xml"].startswith("<svg") and "w₅" in bundle["image/svg+xml"]


def test_snapshot_is_a_plotly_figure_of_the_same_record(app):
    fig = app.snapshot()
    assert type(fig).__name__ == "Figure"
    assert any("0.08217" in str(t.text) for t in fig.data if t.text is not None)


# ---------------------------------------------------------------------------------------------- a neuron as a graph
def graph_agrees_with_the_record(app):
    """The GraphExplorer under the diagram shows the chosen neuron with the record's numbers."""
    rec, (layer, j), s = app.record, app.neuron, app.state_.sample
    g = app.graph
    assert g.output.data == pytest.approx(rec.activations[layer][s, j], rel=1e-12)
    W, x = rec.weights[layer - 1], rec.activations[layer - 1]
    for i in range(W.shape[0]):
        assert g.values[f"w{i + 1}"] == W[i, j] and g.values[f"x{i + 1}"] == x[s, i]
    upstream = rec.grad_activations[layer - 1][s, j]
    for i in range(W.shape[0]):  # grad × ∂L/∂a is the record's ∂L/∂w (one sample)
        assert g.leaves[f"w{i + 1}"].grad * upstream == pytest.approx(rec.grad_weights[layer - 1][i, j], rel=1e-9)


def test_the_chosen_neuron_opens_as_a_graph_that_follows_every_change(app):
    app.controls["diagram"].value = "neuron"
    app.controls["neuron"].value = (2, 0)
    app.controls["as_graph"].value = True  # the learner's click
    assert app.graph is not None and app.graph.root in app._graph_slot.children
    graph_agrees_with_the_record(app)
    app.graph.step_backward(+1)  # ∂a/∂a = 1
    app.graph.step_backward(+1)  # the first step
    app.controls["W2[0,0]"].value = 0.61  # the network changes: the graph follows, its step kept
    graph_agrees_with_the_record(app)
    assert app.graph.stage == 1
    app.train(3)
    graph_agrees_with_the_record(app)
    app.undo(1)
    graph_agrees_with_the_record(app)
    app.controls["neuron"].value = (1, 1)
    graph_agrees_with_the_record(app)
    app.controls["lecture"].value = True
    assert app.graph.lecture
    app.controls["diagram"].value = "network"  # the whole network: the graph closes
    assert app.graph is None and app._graph_slot.children == ()
    assert not app.controls["as_graph"].value


def test_a_neuron_that_is_no_expression_of_its_own_is_refused_beside_the_button():
    net = Network([2, 2, 2], output_activation="softmax", loss="cross_entropy", seed=0)
    app = BackpropExplorer(net, [[0.1, 0.2]], [1])
    app.controls["diagram"].value = "neuron"
    app.controls["neuron"].value = (2, 0)
    app.controls["as_graph"].value = True
    assert app.graph is None and not app.controls["as_graph"].value
    assert "softmax activation, which couples the whole layer" in app.message.value
    app.controls["neuron"].value = (1, 0)
    app.controls["as_graph"].value = True
    assert app.graph is not None
    app.controls["neuron"].value = (2, 1)  # onto the softmax: the graph closes and says why
    assert app.graph is None and "The graph closed" in app.message.value
    app.close()


def test_closing_the_explorer_closes_its_graph():
    before = open_widgets()
    app = BackpropExplorer()
    app.show_graph(True)
    assert app.graph is not None and app.diagram == "neuron"
    app.close()
    left = [type(ipywidgets.widgets.widget._instances[k]).__name__ for k in open_widgets() - before]
    assert left == [], left


# ---------------------------------------------------------------------------------------------- batch norm
def test_batch_norm_keeps_every_weight_and_shows_gamma_and_beta_and_its_three_paths():
    from explainer.views import explain_parameter
    from explainer.views.batchnorm_diagram import batchnorm_diagram

    app = BackpropExplorer(scenario="xor")
    before = app.network.parameters.copy()
    app.controls["batch_norm"].value = True  # the learner's click
    net = app.network
    assert net.batch_norm == (True,) and np.array_equal(net.parameters[: before.size], before)
    rows = [k for k in app.controls if k.startswith(("gamma", "beta"))]
    assert rows == [f"gamma1[{j}]" for j in range(3)] + [f"beta1[{j}]" for j in range(3)]
    app.controls["gamma1[0]"].value = 1.37
    assert net.get("gamma1[0]") == 1.37 and app.record.batch_norms[0].gamma[0] == 1.37
    assert_panels_follow_the_state(app)
    app.select("gamma1[0]")
    rec = app.record
    assert app.chain.value == explain_parameter(rec, "gamma1[0]", lr=app.lr, sample=0)
    assert fmt(rec.batch_norms[0].grad_gamma[0]) in plain_text(app.chain.value)
    app.controls["diagram"].value = "neuron"
    want = batchnorm_diagram(rec, 1, 0, sample=0, theme=app.drawing_theme, selected="gamma1[0]")
    assert [p.svg for p in app.scene.parts] == [p.svg for p in want.parts]
    app.train(20)  # the engine's training of the same network
    ref = get_scenario("xor")
    ref_net = Network(ref.network.sizes, activation="tanh", output_activation=ref.network.output_activation,
                      loss=ref.network.loss, batch_norm=True, seed=0)  # fmt: skip
    theta = ref_net.parameters.copy()
    theta[: before.size] = before
    theta[ref_net.index_of("gamma1[0]")] = 1.37
    ref_net.set_parameters(theta)
    train(ref_net, ref.X, ref.y, lr=app.lr, steps=20)
    np.testing.assert_array_equal(app.network.parameters, ref_net.parameters)
    app.controls["batch_norm"].value = False
    assert app.network.batch_norm == (False,) and not any(k.startswith("gamma") for k in app.controls)
    np.testing.assert_array_equal(app.network.parameters, ref_net.parameters[: app.network.n_parameters])
    app.close()


def test_batch_norm_on_one_sample_is_refused_beside_the_button_and_the_derivation_says_why_not():
    app = BackpropExplorer()  # the worked example: one sample
    assert app.controls["batch_norm"].disabled
    with pytest.raises(ValueError, match="batch norm needs at least 2 samples"):
        app.set_batch_norm(True)
    app.controls["batch_norm"].value = True  # a click that reaches the kernel anyway
    assert "at least 2 samples" in app.message.value and not app.controls["batch_norm"].value
    assert app.network.batch_norm == (False,)
    app.close()
    app = BackpropExplorer(scenario="xor")
    app.set_batch_norm(True)
    app._derivation_panel.selected_index = 0
    app.flush()
    assert "without batch norm" in app.derivation.outputs[0]["data"]["text/markdown"]
    with pytest.raises(ValueError, match="batch norm"):
        app.show_graph(True)  # one neuron of a batch-norm layer is no expression of its own
    app.close()


def test_a_batch_norm_state_round_trips(tmp_path):
    app = BackpropExplorer(scenario="xor")
    app.set_batch_norm(True)
    app.controls["beta1[2]"].value = -0.4
    path = tmp_path / "bn.json"
    app.save_state(path)
    other = BackpropExplorer()
    other.load_state(path)
    assert other.network.batch_norm == (True,) and other.network.get("beta1[2]") == -0.4
    assert other.record.loss == app.record.loss
    app.close()
    other.close()
