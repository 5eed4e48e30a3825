"""ConvExplorer driven from Python as a learner would: after every gesture each panel equals what the state implies,
the backward steps light what the record says, bad input is refused by name, close() leaves no widget open."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest

import explainer.widgets.conv_explorer as conv_module
from explainer.course.patterns import KERNELS, conv_pass, get_kernel, get_pattern
from explainer.views.conv_diagram import _cell_text, conv_diagram, conv_stages, step_panel
from explainer.views.style import fmt, fmt_plain
from explainer.widgets.conv_explorer import ConvExplorer


@pytest.fixture
def app():
    a = ConvExplorer()
    yield a
    a.close()


def open_widgets() -> set:
    return set(ipywidgets.widgets.widget._instances)


def expected(app):
    """The lesson, the scene and the side panel the state implies, computed from the state alone (the contract)."""
    st = app.state_
    lesson = conv_pass(
        get_pattern(st.pattern).array, app.kernel, st.bias, loss=st.loss, target_kernel=st.target, pool=st.pool
    )
    stages = conv_stages(lesson)
    k = stages.index(st.stage) if st.stage is not None else None
    scene = conv_diagram(lesson, stage=k, selected=st.selected, theme=app.drawing_theme, lecture=app.lecture)
    return lesson, k, scene, step_panel(lesson, k, st.selected)


def assert_panels_follow_the_state(app):
    lesson, k, scene, panel = expected(app)
    assert app.stage == k
    assert app.diagram_widget.parts == [[p.id, p.svg] for p in scene.parts]
    assert app.panel == panel
    assert app.lesson.loss_value == lesson.loss_value
    np.testing.assert_array_equal(app.record.grad_kernel, lesson.conv.grad_kernel)
    for i in range(3):
        for j in range(3):
            assert app.controls[f"K[{i},{j}]"].value == app.kernel[i, j]  # every row shows the state's own number
    assert app.controls["b"].value == app.state_.bias
    assert f"L = {fmt_plain(lesson.loss_value, 6)}<" in app.status.value
    c = app.controls
    assert (c["pattern"].value, c["loss"].value, c["target"].value, c["pool"].value) == (
        app.state_.pattern, app.state_.loss, app.state_.target, app.state_.pool
    )  # fmt: skip
    assert c["kernel"].value == app.state_.kernel_name
    assert c["back"].disabled == (k is None or k == 0) and c["step"].disabled == (k == len(conv_stages(lesson)) - 1)


# ---------------------------------------------------------------------------------------------- the start
def test_starts_on_the_edge_the_identity_and_the_sobel_target(app):
    assert app.lesson.loss_value == 52.0 and app.stage is None
    np.testing.assert_array_equal(app.record.grad_kernel[0, 0], [[4, -8, -24]] * 3)
    assert set(app.controls) >= {"K[0,0]", "K[2,2]", "b", "pattern", "kernel", "loss", "pool", "step", "next"}
    assert not app.errors
    assert_panels_follow_the_state(app)


# ---------------------------------------------------------------------------------------------- every gesture
GESTURES = [
    ("a kernel cell dragged", lambda a: setattr(a.controls["K[0,1]"], "value", 0.5)),
    ("a kernel cell typed", lambda a: setattr(a.controls["K[2,0]"], "value", "−1.25")),
    ("the bias typed", lambda a: setattr(a.controls["b"], "value", "0.5")),
    ("another image", lambda a: setattr(a.controls["pattern"], "value", "seven")),
    ("another kernel", lambda a: setattr(a.controls["kernel"], "value", "sobel_horizontal")),
    ("the sum loss", lambda a: setattr(a.controls["loss"], "value", "sum")),
    ("another target", lambda a: setattr(a.controls["target"], "value", "blur")),
    ("the pool on", lambda a: setattr(a.controls["pool"], "value", True)),
    ("a step", lambda a: a.controls["step"].click()),
    ("two steps", lambda a: [a.controls["step"].click() for _ in range(2)]),
    ("a step back", lambda a: [a.controls["step"].click(), a.controls["step"].click(), a.controls["back"].click()]),
    ("the next part", lambda a: [a.controls["next"].click(), a.controls["next"].click()]),
    ("the whole pass", lambda a: [a.controls["step"].click(), a.controls["whole"].click()]),
    ("a cell clicked", lambda a: a.diagram_widget.select("dK[1,2]")),
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


def test_a_typed_kernel_cell_is_exactly_the_engines_number(app):
    app.controls["K[1,1]"].value = "0.1"
    kernel = get_kernel("identity").array.copy()
    kernel[1, 1] = 0.1
    ref = conv_pass(get_pattern("vertical_edge").array, kernel)
    assert app.kernel[1, 1] == 0.1
    np.testing.assert_array_equal(app.record.grad_kernel, ref.conv.grad_kernel)
    assert app.controls["kernel"].value == "own" and app.controls["kernel"].options[0][0] == "(your own numbers)"
    app.controls["kernel"].value = "blur"  # a preset sets all nine cells
    np.testing.assert_array_equal(app.kernel, KERNELS["blur"].array)
    assert [app.controls[f"K[{i},{j}]"].value for i in range(3) for j in range(3)] == list(
        KERNELS["blur"].array.ravel()
    )
    assert ("(your own numbers)", "own") not in app.controls["kernel"].options


# ---------------------------------------------------------------------------------------------- the steps
def test_the_backward_steps_light_what_the_record_says(app):
    r = app.record
    app.controls["step"].click()  # δ from the loss
    assert app.stage == 0
    assert _cells(app, "grid:d") == [_cell_text(v, 3) for v in r.grad_output.ravel()]
    assert _cells(app, "grid:dK") == []
    for n in range(1, 10):  # ∂L/∂K entry by entry
        app.controls["step"].click()
        assert _cells(app, "grid:dK") == [_cell_text(v, 3) for v in r.grad_kernel.ravel()[:n]]
        i, j = divmod(n - 1, 3)
        assert f"∂L/∂K[{i},{j}] = Σ_p,q δ[p,q]" in app.panel and fmt(r.grad_kernel[0, 0, i, j]) in app.panel
    app.controls["step"].click()  # ∂L/∂b
    assert fmt(r.grad_bias[0]) in app.panel
    app.controls["step"].click()  # ∂L/∂x[0,0], the flipped kernel over δ
    assert _cells(app, "grid:dx") == [_cell_text(r.grad_input[0, 0, 0, 0], 3)]
    assert "ring" in [p[0] for p in app.diagram_widget.parts] and "<rect" in _part(app, "ring")
    app.controls["next"].click()  # after the last part: the whole pass
    assert app.stage is None and app.controls["whole"].disabled
    assert_panels_follow_the_state(app)


def test_a_step_is_kept_through_a_kernel_edit_and_a_pool_toggle(app):
    for _ in range(4):
        app.step_backward()
    assert app.stages[app.stage].kind == "kernel" and app.stages[app.stage].at == (0, 2)
    app.controls["K[0,0]"].value = 2.0
    assert app.stages[app.stage].at == (0, 2)
    app.controls["pool"].value = True  # the same step, one later in the list (the pool's step comes first)
    assert app.stage == 4 and app.stages[4].at == (0, 2)
    app.controls["pattern"].value = "seven"
    assert app.stages[app.stage].at == (0, 2)
    app.step_backward(-1)
    assert app.stages[app.stage].at == (0, 1)
    assert_panels_follow_the_state(app)


def test_a_step_the_new_image_lacks_falls_back_to_the_whole_pass():
    app = ConvExplorer("seven")
    app.next_part(), app.next_part(), app.next_part()
    for _ in range(64):
        app.step_backward()
    assert app.stages[app.stage].at == (7, 7)
    app.controls["pattern"].value = "vertical_edge"  # 6×6: there is no x[7,7]
    assert app.stage is None and not app.errors
    assert_panels_follow_the_state(app)
    app.close()


def test_selecting_a_cell_writes_its_sum_and_marks_its_row(app):
    app.select("dK[2,1]")
    rows = {r["key"]: r for r in app._sliders.rows}
    assert rows["K[2,1]"]["selected"] and not rows["K[0,0]"]["selected"]
    assert "∂L/∂K[2,1] = Σ_p,q δ[p,q] · x[p+2,q+1]" in app.panel
    assert "∂L/∂K[2,1]" in app.diagram_widget.announce
    app.controls["pattern"].value = "diagonal"  # the same cell exists: still selected
    assert app.selected == "dK[2,1]"


# ---------------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("K[0,0]", "abc", "K[0,0]: 'abc' is not a number"),
        ("K[1,2]", "1e7", "K[1,2] must be a number between −10⁶ and 10⁶"),
        ("K[2,2]", float("nan"), "K[2,2] must be a finite number"),
        ("b", "0.1.2", "b: '0.1.2' is not a number"),
    ],
)
def test_a_bad_number_is_refused_by_name_and_the_last_good_state_kept(app, key, value, words):
    before = app.kernel, app.lesson.loss_value
    app.controls[key].value = value
    assert words in app.errors[-1] and "last good state is kept" in app.message.value
    np.testing.assert_array_equal(app.kernel, before[0])
    assert app.lesson.loss_value == before[1]
    app.controls["K[0,0]"].value = 0.0  # the next success clears the message
    assert app.message.value == ""
    assert_panels_follow_the_state(app)


def test_a_failing_view_keeps_the_last_good_state(app, monkeypatch):
    real = conv_module.conv_diagram

    def fragile(lesson, **kwargs):
        if lesson.kernel[0, 0] > 1:
            raise RuntimeError("the view broke")
        return real(lesson, **kwargs)

    monkeypatch.setattr(conv_module, "conv_diagram", fragile)
    app.controls["K[0,0]"].value = 2.0
    assert "the view broke" in app.message.value and app.kernel[0, 0] == 0.0
    assert app.controls["K[0,0]"].value == 0.0
    app.controls["K[0,0]"].value = 0.5
    assert app.message.value == "" and app.kernel[0, 0] == 0.5


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(pattern="zebra"), "name"),
        (dict(kernel="gabor"), "name"),
        (dict(kernel=[[1, 2], [3, 4]]), "kernel"),
        (dict(kernel=[[0, 0, 0], [0, np.inf, 0], [0, 0, 0]]), "kernel"),
        (dict(bias=np.nan), "bias"),
        (dict(loss="l1"), "loss"),
        (dict(target="gabor"), "name"),
        (dict(pool="yes"), "pool"),
        (dict(theme="neon"), "theme"),
        (dict(lecture=1), "lecture"),
    ],
)
def test_bad_arguments_are_refused_at_the_door(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        ConvExplorer(**kwargs)


def test_bad_calls_are_refused_by_name(app):
    with pytest.raises(ValueError, match="direction"):
        app.step_backward(2)
    with pytest.raises(ValueError, match="key"):
        app.select("dK[3,3]")
    with pytest.raises(ValueError, match="state"):
        app.set_state({"pattern": "zebra", "kernel": np.eye(3).tolist()})
    assert app.state_.pattern == "vertical_edge"  # nothing taken


# ---------------------------------------------------------------------------------------------- state, picture, close
def test_state_round_trips_and_reset_goes_back_to_the_start(app, tmp_path):
    app.controls["K[0,0]"].value = 0.25
    app.controls["pool"].value = True
    app.controls["loss"].value = "sum"
    path = tmp_path / "conv.json"
    app.save_state(path)
    other = ConvExplorer("cross")
    other.load_state(path)
    np.testing.assert_array_equal(other.kernel, app.kernel)
    assert other.lesson.loss_value == app.lesson.loss_value and other.state_.pool
    other.close()
    app.step_backward()
    app.reset()
    assert app.lesson.loss_value == 52.0 and app.stage is None and not app.state_.pool
    assert "Back to the start." in app.message.value
    assert_panels_follow_the_state(app)


def test_the_picture_is_the_diagram(app):
    app.step_backward()
    assert app.picture() == app.scene.svg()
    assert app._repr_mimebundle_()["image/svg+xml"] == app.scene.svg()


def test_close_leaves_no_widget_open_and_a_closed_app_refuses():
    before = open_widgets()
    app = ConvExplorer("one", "blur", pool=True)
    app.step_backward()
    app.select("dx[1,1]")
    app.controls["K[0,0]"].value = 1.0
    app.close()
    left = [type(ipywidgets.widgets.widget._instances[k]).__name__ for k in open_widgets() - before]
    assert left == [], left
    with pytest.raises(RuntimeError, match="was closed"):
        app.step_backward()
    assert "closed" in app._repr_mimebundle_()["text/plain"]


# ---------------------------------------------------------------------------------------------- helpers
def _part(app, part: str) -> str:
    return dict(app.diagram_widget.parts)[part]


def _cells(app, part: str) -> list[str]:
    import html
    import re

    return [html.unescape(t) for t in re.findall(r"<text [^>]*>([^<]*)</text>", _part(app, part))]
