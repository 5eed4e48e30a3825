"""The convolution diagram as an SVG scene: the record's numbers in every cell and hover, every step of the
backward pass lighting what the record holds, fits 1,000 px, no label on another. Also conv_pass, the lesson."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from explainer.conv import conv2d_backprop, maxpool2d_backprop
from explainer.course.patterns import KERNELS, PATTERNS, ConvPass, conv_pass, get_kernel, get_pattern
from explainer.views.conv_diagram import (
    LECTURE_SCALE,
    WIDTH,
    _cell_text,
    cell_keys,
    cell_text,
    conv_diagram,
    conv_stages,
    next_part,
    stage_caption,
    stage_key,
    step_panel,
)
from explainer.views.diagram import Scene, plain_text, text_width
from explainer.views.style import fmt


def lesson_of(pattern="vertical_edge", kernel="identity", **kwargs) -> ConvPass:
    k = get_kernel(kernel).array if isinstance(kernel, str) else np.asarray(kernel, dtype=float)
    return conv_pass(get_pattern(pattern).array, k, **kwargs)


@pytest.fixture
def edge():
    return lesson_of()


@pytest.fixture
def pooled():
    return lesson_of("seven", "sobel_horizontal", pool=True)


# ---------------------------------------------------------------------------------------------- reading a scene
_TEXT = re.compile(r"<text ([^>]*)>([^<]*)</text>")


def _attr(attrs: str, name: str, default=None):
    m = re.search(rf'\b{name}="([^"]*)"', attrs)
    return m.group(1) if m else default


def text_boxes(scene: Scene, part: str | None = None) -> list[tuple[str, float, float, float, float]]:
    """(text, x0, y0, x1, y1) of every text drawn (of one part, or of all)."""
    svg = scene.part(part).svg if part else "".join(p.svg for p in scene.parts)
    out = []
    for attrs, content in _TEXT.findall(svg):
        content = html.unescape(content)
        if not content.strip():
            continue
        x, y, size = float(_attr(attrs, "x")), float(_attr(attrs, "y")), float(_attr(attrs, "font-size"))
        w, h = text_width(content, size), 0.8 * size
        anchor = _attr(attrs, "text-anchor", "start")
        x0 = x - w / 2 if anchor == "middle" else (x - w if anchor == "end" else x)
        out.append((content, x0, y - h / 2, x0 + w, y + h / 2))
    return out


def overlapping(boxes) -> list[tuple[str, str]]:
    bad = []
    for k, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[k + 1 :]:
            if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
                bad.append((a, b))
    return bad


def cell_numbers(scene: Scene, part: str) -> list[str]:
    """The numbers printed in one grid's cells, row by row."""
    return [html.unescape(t) for t in re.findall(r"<text [^>]*>([^<]*)</text>", scene.part(part).svg)]


# ---------------------------------------------------------------------------------------------- the lesson
def test_conv_pass_is_the_engines_layers_with_the_loss_given_as_delta(edge):
    x, K = get_pattern("vertical_edge").array, get_kernel("identity").array
    y = conv2d_backprop(x[None, None], K[None, None], [0.0], np.zeros((1, 1, 4, 4))).output
    T = conv2d_backprop(x[None, None], get_kernel("sobel_vertical").array[None, None], [0.0], np.zeros((1, 1, 4, 4)))
    np.testing.assert_array_equal(edge.target, T.output[0, 0])
    np.testing.assert_array_equal(edge.delta, (y - T.output)[0, 0])  # δ = y − T, given to the backward pass
    ref = conv2d_backprop(x[None, None], K[None, None], [0.0], y - T.output)
    np.testing.assert_array_equal(edge.conv.grad_kernel, ref.grad_kernel)
    np.testing.assert_array_equal(edge.conv.grad_input, ref.grad_input)
    assert edge.loss_value == 0.5 * float(np.sum((y - T.output) ** 2)) == 52.0
    s = lesson_of(loss="sum")
    np.testing.assert_array_equal(s.delta, np.ones((4, 4)))
    assert s.loss_value == float(s.feature_map.sum()) and s.target is None


def test_conv_pass_with_a_pool_routes_the_loss_to_the_winners(pooled):
    y = pooled.conv.output
    pool = maxpool2d_backprop(y, pooled.grad_output[None, None])
    np.testing.assert_array_equal(pooled.delta, pool.grad_input[0, 0])
    assert pooled.output.shape == (3, 3) and pooled.feature_map.shape == (6, 6)
    assert np.count_nonzero(pooled.delta) <= np.count_nonzero(pooled.grad_output)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(image=np.zeros((2, 2))), "image"),
        (dict(image=np.zeros((13, 6))), "image"),
        (dict(kernel=np.zeros((6, 6))), "kernel"),
        (dict(kernel=[[np.nan, 0, 0]] * 3), "kernel"),
        (dict(kernel=np.full((3, 3), 1e7)), "kernel"),
        (dict(bias="0"), "bias"),
        (dict(bias=float("inf")), "bias"),
        (dict(loss="l1"), "loss"),
        (dict(target_kernel="gabor"), "name"),
        (dict(pool="yes"), "pool"),
        (dict(image=np.zeros((3, 3)), pool=True), "pool"),
    ],
)
def test_conv_pass_refuses_bad_arguments_by_name(kwargs, argument):
    args = dict(image=get_pattern("cross").array, kernel=get_kernel("blur").array)
    args.update(kwargs)
    with pytest.raises(ValueError, match=argument):
        conv_pass(args.pop("image"), args.pop("kernel"), **args)


# ---------------------------------------------------------------------------------------------- the numbers
def test_every_grid_prints_the_records_numbers(pooled):
    scene = conv_diagram(pooled)
    r, p = pooled.conv, pooled.pool_record
    grids = {
        "grid:x": r.x[0, 0],
        "grid:K": r.kernel[0, 0],
        "grid:y": r.output[0, 0],
        "grid:p": p.output[0, 0],
        "grid:dx": r.grad_input[0, 0],
        "grid:dK": r.grad_kernel[0, 0],
        "grid:d": r.grad_output[0, 0],
        "grid:dp": p.grad_output[0, 0],
    }
    for part, arr in grids.items():
        assert cell_numbers(scene, part) == [_cell_text(v, 3) for v in arr.ravel()], part
    assert _cell_text(float(r.grad_bias[0]), 3) in cell_numbers(scene, "grad_bias")


def test_a_kernel_gradient_is_written_as_its_sum_with_the_products(edge):
    r = edge.conv
    text = plain_text(cell_text(edge, "dK[0,1]", full=True))
    assert text.splitlines()[0].startswith("∂L/∂K[0,1] = Σ_p,q δ[p,q] · x[p+0,q+1]")
    # every nonzero product δ[p,q]·x[p,q+1], with its numbers, then the record's sum
    d, x = r.grad_output[0, 0], r.x_padded[0, 0]
    products = [(p, q) for p in range(4) for q in range(4) if d[p, q] * x[p, q + 1] != 0]
    for p, q in products:
        assert f"δ[{p},{q}] · x[{p},{q + 1}]" in text
    assert f"+ {16 - len(products)} products of 0" in text
    said = "(products computed here from the recorded x, K and δ; the sum is the record's)"
    assert text.splitlines()[-1] == f"= {fmt(r.grad_kernel[0, 0, 0, 1])}  {said}"
    assert sum(d[p, q] * x[p, q + 1] for p, q in products) == r.grad_kernel[0, 0, 0, 1]
    assert fmt(r.grad_kernel[0, 0, 0, 1]) == "−8"


def test_an_input_gradient_is_the_flipped_kernel_over_delta(pooled):
    r = pooled.conv
    text = plain_text(cell_text(pooled, "dx[0,0]", full=True))
    # x[0,0] is read only by y[0,0], through K[0,0]: one term; the other 8 window cells lie on the zero border
    assert "+ 8 window cells on the zero border around δ" in text
    assert text.splitlines()[-1].startswith(f"= {fmt(r.grad_input[0, 0, 0, 0])}")
    inner = plain_text(cell_text(pooled, "dx[2,2]", full=True))
    full, Kf = r.grad_output_full[0, 0], r.kernel_flipped[0, 0]
    assert np.sum(full[2:5, 2:5] * Kf) == r.grad_input[0, 0, 2, 2]  # the window of δ_full at (2, 2)
    assert inner.splitlines()[-1].startswith(f"= {fmt(r.grad_input[0, 0, 2, 2])}")


def test_the_pool_hover_names_the_records_winner(pooled):
    rows, cols = pooled.pool_record.winners
    text = plain_text(cell_text(pooled, "p[0,0]"))
    assert f"won by y[{rows[0, 0, 0, 0]},{cols[0, 0, 0, 0]}]" in text
    assert "a tie: the first in reading order wins" in text  # y[0,0] = y[0,1] = 0 here
    loser = plain_text(cell_text(pooled, "d[1,1]"))
    assert "does not win its pool window" in loser


def test_a_hover_cut_says_so_and_the_step_panel_lists_every_product():
    lesson = conv_pass(np.ones((8, 8)), get_kernel("blur").array, loss="sum")  # 36 products, none of them 0
    short, full = cell_text(lesson, "dK[1,1]"), cell_text(lesson, "dK[1,1]", full=True)
    assert "more (select the cell to see every one)" in plain_text(short)
    assert "more (select" not in plain_text(full)
    assert full in step_panel(lesson, None, "dK[1,1]")


# ---------------------------------------------------------------------------------------------- the steps
def test_the_steps_are_delta_pool_kernel_bias_input(edge, pooled):
    kinds = [s.kind for s in conv_stages(edge)]
    assert kinds == ["loss"] + ["kernel"] * 9 + ["bias"] + ["input"] * 36
    kinds = [s.kind for s in conv_stages(pooled)]
    assert kinds == ["loss", "pool"] + ["kernel"] * 9 + ["bias"] + ["input"] * 64
    assert [next_part(edge, k) for k in (None, 0, 1, 9, 10, 11, 46)] == [0, 1, 10, 10, 11, None, None]


def test_each_step_lights_what_the_record_holds_up_to_it(pooled):
    r = pooled.conv
    stages = conv_stages(pooled)
    for k in (0, 1, 2, 5, 10, 11, 12, 40, len(stages) - 1):
        scene = conv_diagram(pooled, stage=k)
        st = stages[k]
        dk = cell_numbers(scene, "grid:dK")
        dx = cell_numbers(scene, "grid:dx")
        d = cell_numbers(scene, "grid:d")
        assert cell_numbers(scene, "grid:dp") == [_cell_text(v, 3) for v in pooled.grad_output.ravel()]
        assert len(d) == (0 if st.kind == "loss" else 36)
        n_k = {"loss": 0, "pool": 0, "kernel": None, "bias": 9, "input": 9}[st.kind]
        if n_k is None:
            n_k = 3 * st.at[0] + st.at[1] + 1
        assert dk == [_cell_text(v, 3) for v in r.grad_kernel.ravel()[:n_k]]
        n_x = 8 * st.at[0] + st.at[1] + 1 if st.kind == "input" else 0
        assert dx == [_cell_text(v, 3) for v in r.grad_input.ravel()[:n_x]]
        assert (st.kind in ("bias", "input")) == (cell_numbers(scene, "grad_bias") != ["∂L/∂b"])
        assert stage_caption(pooled, k).startswith(f"Step {k + 1} of {len(stages)}: ")
        assert " ".join(cell_numbers(scene, "caption")) == stage_caption(pooled, k)  # the caption says this step
    assert stage_key(pooled, 2) == "dK[0,0]" and stage_key(pooled, 11) == "db" and stage_key(pooled, 12) == "dx[0,0]"


def test_the_ring_of_zeros_is_drawn_only_while_the_kernel_slides_over_delta(edge):
    assert conv_diagram(edge, stage=5).part("ring").svg == "<g></g>"
    ring = conv_diagram(edge, stage=20).part("ring").svg
    assert ring.count("<rect") == (4 + 4) ** 2 - 16  # δ is 4×4, the ring 2 cells wide all round


# ---------------------------------------------------------------------------------------------- layout
ALL = [(p, pool) for p in PATTERNS for pool in (False, True)]


@pytest.mark.parametrize(("pattern", "pool"), ALL)
@pytest.mark.parametrize("lecture", [False, True])
def test_every_pattern_fits_its_width_and_no_label_touches_another(pattern, pool, lecture):
    lesson = lesson_of(pattern, "sobel_vertical", pool=pool)
    n = len(conv_stages(lesson))
    for stage in (None, 0, n - 1):
        scene = conv_diagram(lesson, stage=stage, lecture=lecture, selected="dK[1,1]")
        assert scene.width <= WIDTH * (LECTURE_SCALE if lecture else 1.0) + 1
        boxes = text_boxes(scene)
        assert not overlapping(boxes), overlapping(boxes)[:5]
        for t, x0, y0, x1, y1 in boxes:
            assert 0 <= x0 and x1 <= scene.width and 0 <= y0 and y1 <= scene.height, t


@pytest.mark.parametrize("lecture", [False, True])
def test_a_long_target_name_pushes_the_grids_down_instead_of_running_into_them(lecture):
    """The app's first view: the identity kernel against the Sobel target, whose name wraps at lecture size."""
    for target in ("sobel_vertical", "sobel_horizontal", "blur"):
        scene = conv_diagram(lesson_of(target_kernel=target, loss="target"), lecture=lecture)
        # With room between lines: a text box is 0.8 of its size tall, a line of text needs its full size.
        boxes = [(t, x0, y0 - 0.15 * (y1 - y0), x1, y1 + 0.15 * (y1 - y0)) for t, x0, y0, x1, y1 in text_boxes(scene)]
        assert not overlapping(boxes), overlapping(boxes)[:5]


def test_the_overlap_check_sees_overlapping_labels(edge):
    scene = conv_diagram(edge)
    boxes = text_boxes(scene)
    assert overlapping(boxes + [boxes[0]])


def test_numbers_too_wide_for_a_cell_are_left_out_and_said():
    lesson = lesson_of("seven", [[1e5 / 3, 0, 0], [0, 0, 0], [0, 0, -2e-7]], pool=True)
    scene = conv_diagram(lesson)
    assert any("too wide for their cells" in t for t in scene.texts())
    assert not overlapping(text_boxes(scene))


def test_every_cell_is_a_focusable_target_with_its_hover(pooled):
    scene = conv_diagram(pooled)
    assert set(scene.keys()) == cell_keys(pooled) and len(scene.keys()) == len(set(scene.keys()))
    for key in scene.keys():
        assert scene.hover(key) == cell_text(pooled, key)
    root = ET.fromstring(scene.svg())
    assert [g.get("id") for g in root if g.get("id")] == list(scene.ids)


def test_dark_theme_and_a_selection():
    lesson = lesson_of("cross", "sharpen")
    light, dark = conv_diagram(lesson), conv_diagram(lesson, theme="dark", selected="dx[3,3]")
    assert light.background != dark.background and dark.theme == "dark"
    assert "stroke-dasharray" in dark.part("highlight").svg


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(stage=47), "stage"),
        (dict(stage=-1), "stage"),
        (dict(stage=True), "stage"),
        (dict(theme="neon"), "theme"),
        (dict(lecture="yes"), "lecture"),
        (dict(selected="dK[3,3]"), "selected"),
    ],
)
def test_bad_arguments_are_named(edge, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        conv_diagram(edge, **kwargs)


def test_a_lesson_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="lesson"):
        conv_diagram("lesson")
    with pytest.raises(ValueError, match="key"):
        cell_text(lesson_of(), "z[0,0]")


def test_every_kernel_preset_draws():
    for name in KERNELS:
        assert conv_diagram(lesson_of("one", name)).texts()


def font_sizes(scene: Scene) -> list[float]:
    return [float(s) for s in re.findall(r'<text [^>]*font-size="([\d.]+)"', "".join(p.svg for p in scene.parts))]


def test_lecture_mode_draws_every_text_at_24_px_at_least_within_a_1920_screens_output_area():
    lesson = lesson_of("seven", "sobel_horizontal", pool=True)
    for stage in (None, 0, 1, 30):
        scene = conv_diagram(lesson, stage=stage, lecture=True)
        assert min(font_sizes(scene)) >= 24 and scene.width <= 1700 + 1  # drawn at its own size, not shrunk
    assert min(font_sizes(conv_diagram(lesson))) < 24  # a notebook's own size otherwise


@pytest.mark.parametrize(
    ("pattern", "kernel", "pool"), [("seven", "sobel_horizontal", True), ("cross", "sharpen", False)]
)
def test_the_products_in_every_hover_add_up_to_the_records_sum(pattern, kernel, pool):
    """Integer images, kernels and δ: every product is printed exactly, so their sum must be the record's."""
    lesson = lesson_of(pattern, kernel, pool=pool)
    r = lesson.conv
    for key in sorted(k for k in cell_keys(lesson) if k.startswith(("dK[", "dx["))):
        lines = plain_text(cell_text(lesson, key, full=True)).splitlines()
        products = [float(line.rsplit("= ", 1)[1].replace("−", "-")) for line in lines if " · " in line and "×" in line]
        name, at = key.split("[")
        i, j = (int(t) for t in at[:-1].split(","))
        recorded = (r.grad_kernel if name == "dK" else r.grad_input)[0, 0, i, j]
        assert sum(products) == recorded, (key, products, recorded)
        assert lines[-1].startswith(f"= {fmt(recorded)}"), key
