"""The unrolled RNN as an SVG scene and the norm figure: the record's numbers (both roads, the norms, the clipped
steps), each step of BPTT lighting one more hₜ, fits 1,000 px, no label on another."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_views_conv_diagram import overlapping, text_boxes

from explainer.course.sequences import RNN_PRESETS, get_rnn_preset, rnn_pass
from explainer.views.diagram import plain_text
from explainer.views.rnn_diagram import (
    LECTURE_SCALE,
    MAX_DRAWN_STEPS,
    WIDTH,
    RNNStage,
    lit_steps,
    node_keys,
    node_text,
    norm_figure,
    rnn_diagram,
    rnn_stages,
    stage_caption,
    step_panel,
)
from explainer.views.style import fmt, fmt_plain


def preset(name: str, **changes):
    p = get_rnn_preset(name)
    args = dict(task=p.task, n_steps=p.n_steps, scale=p.scale, amplitude=p.amplitude, clip=p.clip)
    args.update(changes)
    return rnn_pass(args.pop("task"), args.pop("n_steps"), **args)


@pytest.fixture
def sine():
    return preset("sine")


@pytest.fixture
def clipped():
    return preset("clipped")


def vec(v) -> str:
    return "[" + ", ".join(fmt(float(a), 3) for a in np.ravel(v)) + "]"


def norm_labels(scene) -> list[str]:
    """The norms written under the hidden states, in step order (with their clipping, 'a→c')."""
    texts = scene.part("hidden").svg
    return [t for t in re.findall(r"<text [^>]*>([^<]*)</text>", texts) if not t.startswith("h") and t != "clipped"]


# ---------------------------------------------------------------------------------------------- the numbers
def test_each_hidden_state_hover_holds_both_roads_from_the_record(sine):
    r = sine.record
    for t in range(1, r.n_steps + 1):
        text = plain_text(node_text(sine, f"h:{t}"))
        assert vec(r.hidden[t - 1, 0]) in text
        assert f"∂L/∂h{t}" not in text  # subscripts, as the notebooks write them
        assert vec(r.grad_hidden[t - 1, 0]) in text
        assert vec(r.grad_hidden_from_output[t - 1, 0]) in text
        assert vec(r.grad_hidden_from_next[t - 1, 0]) in text
        assert vec(r.grad_preactivations[t - 1, 0]) in text
    # without clipping, the two roads add up to ∂L/∂hₜ (the record's own identity)
    np.testing.assert_allclose(r.grad_hidden, r.grad_hidden_from_output + r.grad_hidden_from_next, rtol=0, atol=0)
    assert "(0: the last step)" in plain_text(node_text(sine, f"h:{r.n_steps}"))
    assert vec(r.grad_h0[0]) in plain_text(node_text(sine, "h:0"))


def test_outputs_inputs_and_links_say_their_numbers(sine, clipped):
    r = sine.record
    assert fmt(r.grad_outputs[2, 0, 0]) in plain_text(node_text(sine, "y:3"))
    assert fmt(r.grad_inputs[2, 0, 0]) in plain_text(node_text(sine, "x:3"))
    assert "not counted by the loss" in plain_text(node_text(clipped, "y:3"))
    assert vec(clipped.record.grad_hidden_from_next[3, 0]) in plain_text(node_text(clipped, "link:5"))
    assert vec(clipped.record.grad_h0[0]) in plain_text(node_text(clipped, "link:1"))


def test_the_norms_under_the_states_are_the_records_and_clipping_is_marked(clipped):
    r = clipped.record
    scene = rnn_diagram(clipped)
    want = [fmt_plain(n, 2) + (f"→{fmt_plain(r.clip, 2)}" if c else "") for n, c in zip(r.grad_hidden_norms, r.clipped)]
    assert norm_labels(scene)[1:] == want  # the first is ∂L/∂h₀'s
    assert scene.part("hidden").svg.count(">clipped<") == int(r.clipped.sum()) == 11
    assert "clipped: the sum's norm" in plain_text(node_text(clipped, "h:5"))
    assert np.all(np.linalg.norm(r.grad_hidden[:, 0], axis=1) <= r.clip * (1 + 1e-12))


def test_bptt_lights_one_more_state_per_step_from_T_back_to_1(sine):
    r = sine.record
    T = r.n_steps
    stages = rnn_stages(sine)
    assert stages == tuple(RNNStage(t) for t in range(T, 0, -1)) + (RNNStage(None),)
    for k in range(T + 1):
        scene = rnn_diagram(sine, stage=k)
        lit, current = lit_steps(sine, k)
        assert len(norm_labels(scene)) == len(lit) + (1 if k == T else 0)
        if k < T:
            assert current == T - k and lit == set(range(T - k, T + 1))
            i = current - 1
            roads = scene.part("road_labels").svg
            assert f"{fmt_plain(np.linalg.norm(r.grad_hidden_from_output[i, 0]), 2)}<" in roads
            if current < T:
                assert f"{fmt_plain(np.linalg.norm(r.grad_hidden_from_next[i, 0]), 2)}<" in roads
        caption = " ".join(re.findall(r"<text [^>]*>([^<]*)</text>", scene.part("caption").svg))
        assert caption.replace("&#x27;", "'") == stage_caption(sine, k)
    assert "Σₜ hₜ₋₁ᵀ ∂L/∂aₜ" in stage_caption(sine, T)
    assert fmt(float(r.grad_W_hh[0, 0]), 3) in step_panel(sine, T)


def test_the_norm_figure_is_the_records_norms_on_a_log_axis(clipped):
    r = clipped.record
    fig = norm_figure(clipped, stage=4)
    bars, marks = fig["data"]
    assert bars["y"] == [float(n) for n in r.grad_hidden_norms]
    assert fig["layout"]["yaxis"]["type"] == "log"
    colors = bars["marker"]["color"]
    lit, current = lit_steps(clipped, 4)
    for t, color in zip(range(1, 13), colors):
        if t not in lit:
            assert color == "rgba(0,0,0,0)"
        else:
            assert (color == "#d62728") == bool(r.clipped[t - 1])
    assert marks["x"] == [t for t in sorted(lit) if r.clipped[t - 1]] and set(marks["y"]) == {1.0}
    assert fig["layout"]["shapes"][0]["y0"] == 1.0  # the cap
    assert norm_figure(preset("sine"))["layout"]["shapes"] == []


def test_vanishing_and_exploding_show_in_the_norms():
    v = preset("vanishing").record.grad_hidden_norms
    e = preset("exploding").record.grad_hidden_norms
    assert v[0] / v[-1] < 1e-2 and np.all(np.diff(v) > 0)  # shrinks going back in time
    assert e[0] / e[-1] > 1e2  # grows going back in time


# ---------------------------------------------------------------------------------------------- layout
@pytest.mark.parametrize("name", list(RNN_PRESETS))
@pytest.mark.parametrize("T", [1, 2, 7, MAX_DRAWN_STEPS])
@pytest.mark.parametrize("lecture", [False, True])
def test_every_preset_and_length_fits_and_no_label_touches_another(name, T, lecture):
    lesson = preset(name, n_steps=T)
    for stage in (None, 0, T // 2, T):
        scene = rnn_diagram(lesson, stage=stage, lecture=lecture, selected="h:1")
        assert scene.width <= WIDTH * (LECTURE_SCALE if lecture else 1.0) + 1
        boxes = text_boxes(scene)
        assert not overlapping(boxes), overlapping(boxes)[:5]
        for t, x0, y0, x1, y1 in boxes:
            assert 0 <= x0 and x1 <= scene.width and 0 <= y0 and y1 <= scene.height, t


def test_every_node_is_a_target_with_its_hover(clipped):
    scene = rnn_diagram(clipped, theme="dark")
    assert scene.keys() == node_keys(clipped) or set(scene.keys()) == set(node_keys(clipped))
    for key in scene.keys():
        assert scene.hover(key) == node_text(clipped, key)
    assert scene.theme == "dark"


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(stage=11), "stage"),
        (dict(stage=-1), "stage"),
        (dict(theme="neon"), "theme"),
        (dict(lecture=1), "lecture"),
        (dict(selected="h:11"), "selected"),
    ],
)
def test_bad_arguments_are_named(sine, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        rnn_diagram(sine, **kwargs)


def test_too_long_a_lesson_and_bad_keys_are_refused():
    with pytest.raises(ValueError, match="at most 12 steps"):
        rnn_diagram(rnn_pass("sine", 13))
    with pytest.raises(ValueError, match="key"):
        node_text(rnn_pass("sine", 3), "h:4")
    with pytest.raises(ValueError, match="lesson"):
        norm_figure("lesson")


def test_lecture_mode_draws_every_text_at_24_px_at_least_within_a_1920_screens_output_area(clipped):
    from test_views_conv_diagram import font_sizes

    for stage in (None, 0, 5, 12):
        scene = rnn_diagram(clipped, stage=stage, lecture=True)
        assert min(font_sizes(scene)) >= 24 and scene.width <= 1700 + 1
