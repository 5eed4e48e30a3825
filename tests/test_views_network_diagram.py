"""The network and neuron diagrams as SVG scenes: the record's numbers, every architecture fits, no label on another."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from explainer import Network, get_scenario, worked_example
from explainer.course.scenarios import SCENARIOS
from explainer.views.diagram import Scene, plain_text, text_width
from explainer.views.network_diagram import (
    LECTURE_SCALE,
    WIDTH,
    _Label,
    labels_overlap,
    network_diagram,
    neuron_diagram,
)
from explainer.views.style import fmt


@pytest.fixture
def rec():
    sc = worked_example()
    return sc.network.backprop(sc.X, sc.y)


def test_the_gradients_are_the_records(rec):
    scene = network_diagram(rec, "gradients", lr=0.5)
    words = scene.texts()
    assert "w₅ +0.08217" in words  # Mazur's ∂E/∂w5 = 0.082167041, named on its own edge
    assert f"δ {fmt(rec.deltas[1][0, 0])}" in words
    assert f"L = {fmt(rec.loss)}" in words
    for name in rec.parameter_names:
        assert name in scene.keys()
    assert "∂L/∂w₅ = a_h₁ · δ_o₁ = 0.5933 × 0.1385 = +0.08217" in plain_text(scene.hover("W2[0,0]"))


def test_values_mode_shows_weights_and_activations(rec):
    words = network_diagram(rec, "values").texts()
    assert "w₁ +0.15" in words and "+0.5933" in words and "b +0.35 (held)" in words


def test_the_still_picture_is_valid_svg_with_every_part(rec):
    scene = network_diagram(rec, "gradients")
    root = ET.fromstring(scene.svg())
    assert root.tag.endswith("svg") and root.get("viewBox").startswith("0 0 ")
    ids = [g.get("id") for g in root if g.get("id")]
    assert ids == list(scene.ids)
    assert scene._repr_svg_() == scene.svg()


def test_backward_stages_light_one_more_layer(rec):
    L = rec.n_layers
    lit = []
    for stage in range(L + 2):
        scene = network_diagram(rec, "gradients", stage=stage, lr=0.5)
        lit.append(sum(t.startswith("δ ") for t in scene.texts()))
        assert any(t.startswith(f"Step {stage + 1}:") for t in scene.texts())
    assert lit == [0, 2, 4, 4]
    with pytest.raises(ValueError, match="stage must be an integer from 0 to 3"):
        network_diagram(rec, "gradients", stage=4)
    with pytest.raises(ValueError, match="stage goes with mode='gradients'"):
        network_diagram(rec, "values", stage=1)


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("lecture", [False, True])
def test_every_preset_fits_its_width(name, lecture):
    sc = get_scenario(name)
    rec = sc.network.backprop(sc.X, sc.y)
    scene = network_diagram(rec, "gradients", lecture=lecture)
    assert scene.width <= WIDTH * (LECTURE_SCALE if lecture else 1.0) + 1


def test_the_widest_allowed_network_fits_too():
    net = Network([8] * 8, activation="tanh", seed=0)
    X = np.random.default_rng(0).normal(size=(3, 8))
    rec = net.backprop(X, np.random.default_rng(1).uniform(size=(3, 8)))
    scene = network_diagram(rec, "gradients")
    assert scene.width <= WIDTH + 1 and scene.height < 900


def _labels_of(scene: Scene, part: str) -> list[_Label]:
    svg = scene.part(part).svg
    root = ET.fromstring(f'<g xmlns="http://www.w3.org/2000/svg">{svg}</g>')
    out = []
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        transform = t.get("transform") or "rotate(0 0 0)"
        angle = float(transform.split("(")[1].split()[0])
        out.append(_Label(float(t.get("x")), float(t.get("y")), angle, t.text or "", float(t.get("font-size"))))
    return out


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("mode", ["values", "gradients"])
def test_no_edge_label_touches_another_or_a_neuron(name, mode):
    sc = get_scenario(name)
    rec = sc.network.backprop(sc.X, sc.y)
    scene = network_diagram(rec, mode, lr=sc.lr)
    for layer in range(1, rec.n_layers + 1):
        labels = _labels_of(scene, f"edge_labels:{layer}")
        assert not labels_overlap(labels, []), (name, layer, [lab.text for lab in labels])


def test_the_overlap_check_sees_crossing_labels():
    a = _Label(0, 0, 30, "w₃ +0.0004977", 11)
    b = _Label(0, 40, -30, "w₂ +0.0008771", 11)
    assert labels_overlap([a, b], [])
    assert not labels_overlap([a, _Label(0, 200, -30, "w₂ +0.0008771", 11)], [])
    assert text_width("w₃ +0.0004977", 11) > 60


def test_names_give_way_to_numbers_and_numbers_to_a_note_when_crowded():
    sc = get_scenario("vanishing_gradients")
    scene = network_diagram(sc.network.backprop(sc.X, sc.y), "gradients")
    assert any("left out where they would overlap" in t for t in scene.texts())
    assert any("×10⁻" in t for t in scene.texts()) and not any("^" in t for t in scene.texts())


def test_dark_theme_and_selection(rec):
    scene = network_diagram(rec, "gradients", theme="dark", selected="W2[0,0]")
    assert scene.background == "#111418" and scene.theme == "dark"
    assert 'aria-pressed="true"' in scene.part("edges:2").svg
    assert 'font-weight="700"' in scene.part("edge_labels:2").svg


def test_a_diverged_record_says_so_and_stays_drawable():
    sc = get_scenario("diverging_learning_rate")
    net = sc.network.copy()
    net.set_parameters(np.full(net.n_parameters, 1e200))
    rec = net.backprop(sc.X, sc.y)
    scene = network_diagram(rec, "gradients")
    assert any(t.startswith("⚠ Diverged") for t in scene.texts())
    ET.fromstring(scene.svg())


def test_near_zero_edges_are_grey_not_white(rec):
    from explainer.views.style import THEMES, scale_color

    assert scale_color(0.0, 1.0, THEMES["light"]) == THEMES["light"].zero
    assert scale_color(0.0, 1.0, THEMES["dark"]) == THEMES["dark"].zero
    assert scale_color(math.nan, 1.0, THEMES["light"]) == THEMES["light"].error


def test_the_neuron_diagram_is_the_circuit_with_its_numbers():
    sc = get_scenario("single_neuron")
    rec = sc.network.backprop(sc.X, sc.y)
    scene = neuron_diagram(rec)
    assert "W1[0,0]" in scene.keys() and "b1[0]" in scene.keys()
    assert fmt(rec.grad_weights[0][0, 0]).lstrip("+") in " ".join(scene.texts())
    with pytest.raises(ValueError, match="layer"):
        neuron_diagram(rec, 2, 0)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(mode="both"), "mode"),
        (dict(theme="neon"), "theme"),
        (dict(lecture="yes"), "lecture"),
        (dict(sample=3), "sample"),
        (dict(selected=3), "selected"),
        (dict(width=10), "width"),
        (dict(lr=-1), "lr"),
    ],
)
def test_bad_arguments_are_named(rec, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        network_diagram(rec, **kwargs)


# ---------------------------------------------------------------------------------------------- batch norm
def _batch_norm_record():
    from explainer import Network

    net = Network([2, 3, 1], activation="tanh", batch_norm=True, seed=3)
    X = np.random.default_rng(0).normal(size=(5, 2))
    return net.backprop(X, np.array([[0.0], [1.0], [1.0], [0.0], [1.0]]))


def test_a_batch_norm_neuron_says_its_three_paths_and_its_forward_steps_with_the_records_numbers():
    from explainer.views._layout import factor
    from explainer.views.diagram import plain_text

    rec = _batch_norm_record()
    bn = rec.batch_norms[0]
    for s in range(rec.n_samples):
        grad = plain_text(network_diagram(rec, "gradients", sample=s).hovers["node:1:2"])
        paths = [bn.grad_input_via_x_hat[s, 2], bn.grad_input_via_mean[s, 2], bn.grad_input_via_var[s, 2]]
        assert f"∂L/∂y_h₃ = f′(y_h₃) · Σₖ wₖ δₖ = {fmt(rec.derivatives[0][s, 2]).lstrip('+')}" in grad
        assert f"= {fmt(bn.grad_output[s, 2])}" in grad
        assert f"= {fmt(rec.deltas[0][s, 2])}" in grad and "via x̂ + via μ + via σ²" in grad
        assert sum(paths) == pytest.approx(rec.deltas[0][s, 2], rel=1e-12)
        assert f"= {' + '.join(factor(p) for p in paths)} = {fmt(rec.deltas[0][s, 2])}" in grad
        assert "f′(y_h₃) = 1 − a²" in grad  # f′ of y, the activation's input
        values = plain_text(network_diagram(rec, "values", sample=s).hovers["node:1:2"])
        assert "x̂_h₃ = (z − μ) / √(σ² + ε)" in values and f"= {fmt(bn.x_hat[s, 2])}" in values
        assert "y_h₃ = γ·x̂ + β = 1 × " in values and "a_h₃ = tanh(y_h₃)" in values
    caption = network_diagram(rec, "gradients", stage=2, lr=0.5).svg()
    assert "then δ through batch norm" in caption


def test_batch_norm_parameters_explain_their_sums_and_the_derivation_and_circuit_refuse_it():
    from explainer.views import explain_parameter, worked_derivation
    from explainer.views._layout import neuron_graph
    from explainer.views.diagram import plain_text

    rec = _batch_norm_record()
    bn = rec.batch_norms[0]
    text = plain_text(explain_parameter(rec, "gamma1[1]"))
    assert "∂L/∂γ = Σₛ x̂ₛ·∂L/∂yₛ over the batch" in text and f"= {fmt(bn.grad_gamma[1])}" in text
    text = plain_text(explain_parameter(rec, "beta1[1]"))
    assert "∂L/∂β = Σₛ ∂L/∂yₛ" in text and f"= {fmt(bn.grad_beta[1])}" in text
    with pytest.raises(ValueError, match="name must be a parameter"):
        explain_parameter(rec, "gamma2[0]")  # the output layer has no batch norm
    with pytest.raises(ValueError, match="record has batch norm"):
        worked_derivation(rec)
    with pytest.raises(ValueError, match="batchnorm_diagram"):
        neuron_graph(rec, 1, 0)
