"""The batch-norm diagram of one neuron: the record's numbers, ∂L/∂zₛ as the sum of its three paths, the hover
formulas with their numbers, the keys the explorer selects by, the checks at the door, and every batch fitting
1,000 px (1,700 in lecture mode, as the network diagram) with no text on another."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from explainer import Network
from explainer.views.batchnorm_diagram import MAX_ROWS, PATH_COLORS, batchnorm_diagram
from explainer.views.diagram import plain_text, text_width
from explainer.views.network_diagram import LECTURE_WIDTH, WIDTH
from explainer.views.style import fmt


def record(n=5, sizes=(2, 3, 2), batch_norm=True, seed=0, scale=1.0, activation="tanh"):
    net = Network(list(sizes), activation=activation, batch_norm=batch_norm, seed=seed)
    rng = np.random.default_rng(seed)
    for gamma, beta in zip(net.gammas, net.betas):
        if gamma is not None:
            gamma[...] = rng.uniform(0.5, 2.0, size=gamma.shape)
            beta[...] = rng.normal(size=beta.shape)
    X = rng.normal(size=(n, sizes[0])) * scale
    return net, net.backprop(X, rng.uniform(size=(n, sizes[-1])))


@pytest.fixture
def rec():
    return record()[1]


def test_each_sum_of_three_paths_is_the_records(rec):
    scene = batchnorm_diagram(rec, 1, 0)
    words = scene.texts()
    r = rec.batch_norms[0]
    for s in range(rec.n_samples):
        k = "₁₂₃₄₅"[s]
        for name, path in (
            ("through x̂", r.grad_input_via_x_hat),
            ("through μ", r.grad_input_via_mean),
            ("through σ²", r.grad_input_via_var),
        ):
            assert f"{name} {fmt(path[s, 0])}" in words
        assert f"∂L/∂z{k} = {fmt(rec.deltas[0][s, 0])}" in words
        # z, x̂, y with their values above and gradients below
        for value in (r.x[s, 0], r.x_hat[s, 0], r.output[s, 0], r.grad_x_hat[s, 0], r.grad_output[s, 0]):
            assert fmt(value) in words
    for value in (r.mean[0], r.var[0], r.gamma[0], r.beta[0]):
        assert fmt(value) in words
    for grad in (r.grad_mean[0], r.grad_var[0], r.grad_gamma[0], r.grad_beta[0]):  # under μ, σ², γ, β
        assert fmt(grad) in words
    np.testing.assert_array_equal(
        r.grad_input_via_x_hat + r.grad_input_via_mean + r.grad_input_via_var, rec.deltas[0]
    )  # what the sums say, exactly


def test_hovers_write_each_formula_with_the_records_numbers(rec):
    scene = batchnorm_diagram(rec, 1, 2, sample=1)
    r, j, s = rec.batch_norms[0], 2, 1
    text = plain_text(scene.hover("bn:path:var:1"))
    assert "∂L/∂σ² · 2(z₂ − μ) / N" in text and text.endswith(fmt(r.grad_input_via_var[s, j]))
    assert fmt(r.grad_var[j]).lstrip("+") in text and fmt(r.x[s, j]).lstrip("+") in text
    text = plain_text(scene.hover("bn:path:mean:1"))
    assert "∂L/∂μ / N" in text and f"/ 5 = {fmt(r.grad_input_via_mean[s, j])}" in text
    text = plain_text(scene.hover("bn:path:x_hat:1"))
    assert "∂L/∂x̂₂ / √(σ² + ε)" in text and f"/ {fmt(r.std[j]).lstrip('+')} = " in text
    text = plain_text(scene.hover("bn:z:1"))
    assert text.endswith(fmt(rec.deltas[0][s, j])) and "through x̂₂ + through μ + through σ²" in text
    text = plain_text(scene.hover("bn:mean"))
    assert f"/ 5 = {fmt(r.mean[j])}" in text and f"= {fmt(r.grad_mean[j])}" in text and "sum to 0" in text
    text = plain_text(scene.hover("bn:var"))
    assert f"= {fmt(r.var[j])}" in text and text.endswith(fmt(r.grad_var[j]))
    assert plain_text(scene.hover("gamma1[2]")).endswith(fmt(r.grad_gamma[j]))
    text = plain_text(scene.hover("beta1[2]"))
    assert "Σₛ ∂L/∂yₛ = " in text and fmt(r.grad_beta[j]) in text and fmt(rec.grad_biases[0][j]) in text
    text = plain_text(scene.hover("bn:y:1"))
    assert f"= {fmt(r.output[s, j])}" in text and text.endswith(fmt(r.grad_output[s, j]))
    assert fmt(rec.activations[1][s, j]) in text
    assert plain_text(scene.hover("bn:x_hat:1")).endswith(fmt(r.grad_x_hat[s, j]))


def test_the_keys_the_explorer_selects_by(rec):
    net, rec = record()
    scene = batchnorm_diagram(rec, 1, 1)
    keys = scene.keys()
    assert len(keys) == len(set(keys)) == 3 * 5 + 2 + 2 + 3 * 5
    for s in range(5):
        for k in (f"bn:z:{s}", f"bn:x_hat:{s}", f"bn:y:{s}", f"bn:path:x_hat:{s}", f"bn:path:mean:{s}"):
            assert k in keys
    assert "bn:mean" in keys and "bn:var" in keys
    assert "gamma1[1]" in keys and "beta1[1]" in keys
    assert {"gamma1[1]", "beta1[1]"} <= set(net.parameter_names)  # the same names as net.get / net.set
    assert set(scene.hovers) == set(keys)
    chosen = batchnorm_diagram(rec, 1, 1, selected="gamma1[1]")
    assert 'aria-pressed="true"' in chosen.part("parameters").svg
    assert 'aria-pressed="true"' not in scene.part("parameters").svg


def test_a_still_picture_with_every_part(rec):
    scene = batchnorm_diagram(rec, 1, 0)
    root = ET.fromstring(scene.svg())
    ids = [g.get("id") for g in root if g.get("id")]
    assert ids == list(scene.ids) and len(ids) == len(set(ids))
    assert ids[:5] == ["title", "forward", "paths:0", "paths:1", "paths:2"]
    assert {"statistics", "parameters", "row:0", "row:4", "caption"} <= set(ids)
    assert scene._repr_svg_() == scene.svg()


@pytest.mark.parametrize("n", [2, 3, 8, 9, 40])
@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e3])
@pytest.mark.parametrize("lecture", [False, True])
def test_every_batch_fits_its_width_and_the_sums_clear_the_z_column(n, scale, lecture):
    _, rec = record(n=n, sizes=(3, 4, 4, 2), batch_norm=[False, True], seed=n, scale=scale)
    scene = batchnorm_diagram(rec, 2, 3, sample=n - 1, lecture=lecture)
    assert scene.width <= (LECTURE_WIDTH if lecture else WIDTH) + 1 and (WIDTH, LECTURE_WIDTH) == (1000, 1700)
    for s in range(min(n, MAX_ROWS)):  # every text of a row starts right of the row's sums, or ends before z
        svg = scene.part(f"row:{[*range(MAX_ROWS - 1), n - 1][s] if n > MAX_ROWS else s}").svg
        root = ET.fromstring(f'<g xmlns="http://www.w3.org/2000/svg">{svg}</g>')
        ends = [
            float(t.get("x")) for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("text-anchor") == "end"
        ]
        circles = [float(c.get("cx")) - float(c.get("r")) for c in root.iter("{http://www.w3.org/2000/svg}circle")]
        assert max(ends) < min(circles)
    # the title and every caption line inside the width
    sizes = {t: float(e.get("font-size")) for e in ET.fromstring(scene.svg()).iter("{http://www.w3.org/2000/svg}text")
             for t in [e.text or ""]}  # fmt: skip
    assert all(text_width(t, size) < scene.width for t, size in sizes.items())


def _text_boxes(scene):
    """(x0, y0, x1, y1, text) of every text drawn, from its anchor, its font size and its estimated width."""
    boxes = []
    for t in ET.fromstring(scene.svg()).iter("{http://www.w3.org/2000/svg}text"):
        size, x, y, content = float(t.get("font-size")), float(t.get("x")), float(t.get("y")), t.text or ""
        w = text_width(content, size)
        x0 = {"start": x, "middle": x - w / 2, "end": x - w}[t.get("text-anchor")]
        boxes.append((x0, y - 0.4 * size, x0 + w, y + 0.4 * size, content))
    return boxes


@pytest.mark.parametrize("n", [2, 5, 8, 12])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 100.0])
@pytest.mark.parametrize(("theme", "lecture"), [("light", False), ("dark", True)])
def test_no_text_lies_on_another(n, scale, theme, lecture):
    _, rec = record(n=n, sizes=(3, 5, 2), seed=n, scale=scale)
    scene = batchnorm_diagram(rec, 1, 4, sample=n - 1, theme=theme, lecture=lecture)
    boxes = [b for b in _text_boxes(scene) if b[4]]
    for k, a in enumerate(boxes):
        for b in boxes[k + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)
        assert 0 <= a[0] and a[2] <= scene.width, a


def test_a_large_batch_draws_eight_rows_with_the_selected_sample():
    _, rec = record(n=20)
    scene = batchnorm_diagram(rec, 1, 0, sample=13)
    rows = [i for i in scene.ids if i.startswith("row:")]
    assert rows == [f"row:{s}" for s in range(7)] + ["row:13"]
    words = " ".join(scene.texts())
    assert "8 of the batch's 20 samples are drawn" in words
    assert "z₁₄" in words and 'stroke-width="3.2"' in scene.part("row:13").svg  # the selected row, lit
    assert plain_text(scene.hover("bn:mean")).count("…") == 2  # its two sums over 20, each cut in the hover


def test_dark_theme_lecture_and_the_path_colours(rec):
    scene = batchnorm_diagram(rec, 1, 0, theme="dark", lecture=True)
    assert scene.theme == "dark" and scene.background == "#111418"
    for color in PATH_COLORS["dark"].values():
        assert color in scene.part("paths:0").svg
    light = batchnorm_diagram(rec, 1, 0)
    assert scene.width > 1.6 * light.width
    sizes = [float(t.get("font-size")) for t in ET.fromstring(scene.svg()).iter("{http://www.w3.org/2000/svg}text")]
    assert min(sizes) >= 24  # lecture mode: every text 24 px or more as drawn at its width (≤ 1,700 px)
    assert all(
        c not in ("#0072B2", "#56B4E9") for theme in PATH_COLORS.values() for c in theme.values()
    )  # not the accent


def test_negative_paths_are_dashed(rec):
    scene = batchnorm_diagram(rec, 1, 0)
    r = rec.batch_norms[0]
    for s in range(rec.n_samples):
        svg = scene.part(f"paths:{s}").svg
        lines = [e for e in ET.fromstring(f"<g>{svg}</g>").iter("line") if e.get("stroke") != "transparent"]
        values = [r.grad_input_via_x_hat[s, 0], r.grad_input_via_mean[s, 0], r.grad_input_via_var[s, 0]]
        assert [e.get("stroke-dasharray") is not None for e in lines] == [v < 0 for v in values]


def test_the_door_refuses_what_it_cannot_draw(rec):
    _, plain = record(batch_norm=False)
    with pytest.raises(ValueError, match=r"record has no batch norm: make it with Network\(\.\.\., batch_norm=True\)"):
        batchnorm_diagram(plain, 1, 0)
    _, partial = record(sizes=(2, 3, 3, 1), batch_norm=[False, True])
    for layer in (1, 3, 0, True, "1"):
        with pytest.raises(ValueError, match="layer must be a layer with batch norm \\(2\\)"):
            batchnorm_diagram(partial, layer, 0)
    for neuron in (3, -1, 1.0, None):
        with pytest.raises(ValueError, match="neuron must be an integer from 0 to 2"):
            batchnorm_diagram(rec, 1, neuron)
    for kwargs, match in (
        ({"sample": 5}, "sample must be an integer from 0 to 4"),
        ({"theme": "blue"}, "theme"),
        ({"lecture": "yes"}, "lecture must be True or False"),
        ({"selected": 3}, "selected must be a key such as 'bn:z:0'"),
    ):
        with pytest.raises(ValueError, match=match):
            batchnorm_diagram(rec, 1, 0, **kwargs)
    with pytest.raises(ValueError, match="record must be a Record"):
        batchnorm_diagram("record", 1, 0)


def test_a_diverged_record_says_so_and_stays_drawable():
    net, _ = record()
    net.set_parameters(np.full(net.n_parameters, 1e200))
    rec = net.backprop(np.ones((3, 2)) * np.arange(3)[:, None], np.zeros((3, 2)))
    scene = batchnorm_diagram(rec, 1, 0)
    assert any(t.startswith("⚠ Diverged") for t in scene.texts())
    ET.fromstring(scene.svg())


def test_the_bias_before_the_batch_norm_gets_no_gradient(rec):
    words = " ".join(batchnorm_diagram(rec, 1, 0).texts())
    assert f"∂L/∂b = {fmt(rec.grad_biases[0][0])}" in words and abs(rec.grad_biases[0][0]) < 1e-15
