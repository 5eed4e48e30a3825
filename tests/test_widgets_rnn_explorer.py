"""RNNExplorer driven from Python as a learner would: after every gesture each panel (diagram, norm figure, side
panel, rows, menus) equals what the state implies, each backward step lights the hₜ the record says, bad input is
refused by name, close() leaves no widget open."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest

import explainer.widgets.rnn_explorer as rnn_module
from explainer.course.sequences import get_rnn_preset, rnn_pass
from explainer.views.rnn_diagram import norm_figure, rnn_diagram, rnn_stages, step_panel
from explainer.views.style import fmt, fmt_plain
from explainer.widgets.live_figure import as_spec
from explainer.widgets.rnn_explorer import RNNExplorer


@pytest.fixture
def app():
    a = RNNExplorer()
    yield a
    a.close()


def open_widgets() -> set:
    return set(ipywidgets.widgets.widget._instances)


def expected(app):
    st = app.state_
    lesson = rnn_pass(
        st.task, st.n_steps, scale=st.scale, amplitude=st.amplitude, clip=st.clip if st.clip_on else None, seed=st.seed
    )
    stages = rnn_stages(lesson)
    k = stages.index(st.stage) if st.stage is not None else None
    th, lec = app.drawing_theme, app.lecture
    scene = rnn_diagram(lesson, stage=k, selected=st.selected, theme=th, lecture=lec)
    return lesson, k, scene, norm_figure(lesson, stage=k, theme=th, lecture=lec), step_panel(lesson, k, st.selected)


def assert_panels_follow_the_state(app):
    lesson, k, scene, fig, panel = expected(app)
    assert app.stage == k
    assert app.diagram_widget.parts == [[p.id, p.svg] for p in scene.parts]
    assert app.figure_widget.current == as_spec(fig)
    assert app.panel == panel
    np.testing.assert_array_equal(app.record.grad_hidden, lesson.record.grad_hidden)
    st, c = app.state_, app.controls
    assert (c["T"].value, c["s"].value, c["c"].value, c["A"].value) == (st.n_steps, st.scale, st.clip, st.amplitude)
    assert c["c"].disabled == (not st.clip_on)
    assert (c["task"].value, c["clip_on"].value, c["preset"].value) == (st.task, st.clip_on, st.preset)
    assert fmt_plain(lesson.loss_value, 6) in app.status.value
    n = lesson.record.n_steps + 1
    assert c["back"].disabled == (k is None or k == 0) and c["step"].disabled == (k == n - 1)


def test_starts_on_the_sine(app):
    p = get_rnn_preset("sine")
    ref = rnn_pass(p.task, p.n_steps, scale=p.scale, amplitude=p.amplitude)
    assert app.lesson.loss_value == ref.loss_value and app.stage is None
    np.testing.assert_array_equal(app.record.grad_hidden_norms, ref.record.grad_hidden_norms)
    assert app.controls["preset"].value == "sine" and not app.errors
    assert_panels_follow_the_state(app)


GESTURES = [
    ("T typed", lambda a: setattr(a.controls["T"], "value", "7")),
    ("T dragged", lambda a: setattr(a.controls["T"], "value", 12.0)),
    ("s dragged", lambda a: setattr(a.controls["s"], "value", 0.45)),
    ("s typed beyond the range", lambda a: setattr(a.controls["s"], "value", "4.5")),
    ("A typed", lambda a: setattr(a.controls["A"], "value", "1e-3")),
    ("clipping on", lambda a: setattr(a.controls["clip_on"], "value", True)),
    (
        "clipping on, the cap typed",
        lambda a: [setattr(a.controls["clip_on"], "value", True), setattr(a.controls["c"], "value", "0.5")],
    ),  # fmt: skip
    ("the remember task", lambda a: setattr(a.controls["task"], "value", "remember")),
    ("the vanishing preset", lambda a: setattr(a.controls["preset"], "value", "vanishing")),
    ("the clipped preset", lambda a: setattr(a.controls["preset"], "value", "clipped")),
    ("a step", lambda a: a.controls["step"].click()),
    (
        "three steps and one back",
        lambda a: [a.controls["step"].click() for _ in range(3)] + [a.controls["back"].click()],
    ),
    ("the whole pass", lambda a: [a.controls["step"].click(), a.controls["whole"].click()]),
    ("a node clicked", lambda a: a.diagram_widget.select("h:4")),
    ("a link clicked", lambda a: a.diagram_widget.select("link:3")),
    ("the dark theme", lambda a: setattr(a.controls["theme"], "value", "dark")),
    ("lecture mode", lambda a: setattr(a.controls["lecture"], "value", True)),
]


@pytest.mark.parametrize(("what", "gesture"), GESTURES, ids=[g[0] for g in GESTURES])
def test_every_panel_follows_the_state_after_each_gesture(app, what, gesture):
    gesture(app)
    assert not app.errors, app.errors
    assert_panels_follow_the_state(app)


def test_a_walk_through_every_gesture_in_turn_keeps_every_panel_in_step(app):
    for _, gesture in GESTURES:
        gesture(app)
        assert_panels_follow_the_state(app)
    assert not app.errors


def test_each_backward_step_lights_the_next_state_back_in_time(app):
    app.load_preset("exploding")
    r = app.record
    T = r.n_steps
    for k in range(T):
        app.controls["step"].click()
        t = T - k
        assert app.stage == k
        assert f"Step {k + 1} of {T + 1}: ∂L/∂h" in app.panel
        assert fmt(float(r.grad_hidden[t - 1, 0, 0]), 3) in app.panel  # ∂L/∂hₜ's own numbers
        bars = app.figure_widget.current["data"][0]
        assert bars["y"] == [float(n) for n in r.grad_hidden_norms]
        lit = [c != "rgba(0,0,0,0)" for c in bars["marker"]["color"]]
        assert lit == [s >= t for s in range(1, T + 1)]
    app.controls["step"].click()  # the sums over the steps
    assert app.stage == T and "∂L/∂W_hh = [" in app.panel and app.controls["step"].disabled
    assert_panels_follow_the_state(app)


def test_clipping_marks_the_clipped_steps_and_caps_what_flows_on(app):
    app.load_preset("exploding")
    app.set_clip(True)
    r = app.record
    assert app.controls["preset"].value == "clipped" and r.clipped.sum() == 11
    assert "clipped at 11 steps" in app.status.value
    assert app.scene.part("hidden").svg.count(">clipped<") == 11
    assert np.all(np.linalg.norm(r.grad_hidden[:, 0], axis=1) <= 1 + 1e-12)
    app.controls["c"].value = "100"
    assert app.record.clipped.sum() == 5 and app.controls["preset"].value == "own"  # 1931 … 120 > 100
    assert_panels_follow_the_state(app)


def test_vanishing_and_exploding_are_the_scale(app):
    app.load_preset("vanishing")
    v = app.record.grad_hidden_norms
    assert v[0] < 1e-2 * v[-1]
    app.controls["s"].value = 2.0
    app.controls["A"].value = 1e-3
    assert app.controls["preset"].value == "exploding"  # the settings are the preset's again
    e = app.record.grad_hidden_norms
    assert e[0] > 1e2 * e[-1]


def test_a_step_the_shorter_sequence_lacks_falls_back_to_the_whole_pass(app):
    app.controls["step"].click()
    app.controls["step"].click()
    assert app.stage == 1 and app.stages[1].t == 9
    app.controls["T"].value = 12  # ∂L/∂h₉ is still a step, later in the list
    assert app.stages[app.stage].t == 9 and app.stage == 3
    app.controls["T"].value = 5
    assert app.stage is None and not app.errors
    assert_panels_follow_the_state(app)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("T", "13", "T must be a whole number from 1 to 12"),
        ("T", "2.5", "T must be a whole number"),
        ("s", "0", "s must be a number > 0 and ≤ 10"),
        ("s", "11", "s must be a number > 0 and ≤ 10"),
        ("A", "abc", "A: 'abc' is not a number"),
        ("A", "1e3", "A must be a number from 10⁻⁸ to 100"),
        ("c", "-1", "c must be a number > 0"),
    ],
)
def test_a_bad_number_is_refused_by_name_and_the_last_good_state_kept(app, key, value, words):
    before = app.record.grad_hidden_norms.copy(), app.state()
    app.controls[key].value = value
    assert words in app.errors[-1], app.errors
    assert "last good state is kept" in app.message.value
    np.testing.assert_array_equal(app.record.grad_hidden_norms, before[0])
    assert app.state() == before[1]
    app.controls["s"].value = 0.9
    assert app.message.value == ""
    assert_panels_follow_the_state(app)


def test_a_failing_view_keeps_the_last_good_state(app, monkeypatch):
    real = rnn_module.norm_figure

    def fragile(lesson, **kwargs):
        if lesson.weights.scale > 2:
            raise RuntimeError("the figure broke")
        return real(lesson, **kwargs)

    monkeypatch.setattr(rnn_module, "norm_figure", fragile)
    app.controls["s"].value = 2.5
    assert "the figure broke" in app.message.value and app.state_.scale == 1.0
    app.controls["s"].value = 1.5
    assert app.message.value == "" and app.state_.scale == 1.5
    assert_panels_follow_the_state(app)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(preset="chaos"), "name"),
        (dict(task="copy"), "task"),
        (dict(n_steps=13), "T"),
        (dict(n_steps=0), "T"),
        (dict(scale=-1.0), "s must be"),
        (dict(amplitude=0.0), "A must be"),
        (dict(clip=0.0), "c must be"),
        (dict(seed=-1), "seed"),
        (dict(theme="neon"), "theme"),
        (dict(lecture="yes"), "lecture"),
    ],
)
def test_bad_arguments_are_refused_at_the_door(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        RNNExplorer(**kwargs)


def test_bad_calls_are_refused_by_name(app):
    with pytest.raises(ValueError, match="direction"):
        app.step_backward(0)
    with pytest.raises(ValueError, match="key"):
        app.select("h:11")
    with pytest.raises(ValueError, match="name"):
        app.load_preset("chaos")
    with pytest.raises(ValueError, match="on"):
        app.set_clip("yes")
    with pytest.raises(ValueError, match="state"):
        app.set_state({"n_steps": 40})
    assert app.state_.n_steps == 10


def test_state_round_trips_and_reset_goes_back(app, tmp_path):
    app.load_preset("clipped")
    app.controls["T"].value = 8
    path = tmp_path / "rnn.json"
    app.save_state(path)
    other = RNNExplorer()
    other.load_state(path)
    np.testing.assert_array_equal(other.record.grad_hidden, app.record.grad_hidden)
    other.close()
    app.step_backward()
    app.reset()
    assert app.state_.preset == "sine" and app.stage is None and "Back to the start." in app.message.value
    assert_panels_follow_the_state(app)


def test_close_leaves_no_widget_open_and_a_closed_app_refuses():
    before = open_widgets()
    app = RNNExplorer("clipped")
    app.step_backward()
    app.select("h:3")
    app.controls["s"].value = 1.2
    app.close()
    left = [type(ipywidgets.widgets.widget._instances[k]).__name__ for k in open_widgets() - before]
    assert left == [], left
    with pytest.raises(RuntimeError, match="was closed"):
        app.whole_pass()
