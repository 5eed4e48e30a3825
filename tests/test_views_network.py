"""The network diagram and its animations (explainer.views.network, with the data of views._layout).

Every number a figure prints must be the record's, formatted by style.fmt; colours follow the signs
of the record's values on the one diverging scale; frames restyle only what changes.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import Network
from explainer.views import animate_backward, animate_forward, plot_network
from explainer.views._layout import EDGE_LABEL_T, network_layout, neuron_name, weight_number
from explainer.views.network import network_spec
from explainer.views.style import LECTURE_SCALE, THEMES, fmt, fmt_plain, signed_color


# ----------------------------------------------------------------------------- records
def mazur_record(X=(0.05, 0.10), y=(0.01, 0.99)):
    """Mazur's 2-2-2 worked example, biases frozen."""
    net = Network([2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[0.15, 0.25], [0.20, 0.30]]
    net.biases[0] = [0.35, 0.35]
    net.weights[1] = [[0.40, 0.50], [0.45, 0.55]]
    net.biases[1] = [0.60, 0.60]
    net.freeze("b1", "b2")
    return net.backprop(list(X), list(y))


def make_record(name: str):
    rng = np.random.default_rng(0)
    if name == "2-2-2":
        return mazur_record()
    if name == "3-4-4-2":
        net = Network([3, 4, 4, 2], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=1)
        return net.backprop(rng.normal(size=3), [0, 1])
    if name == "2-8-8-1":
        net = Network([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=2)
        return net.backprop([0.3, -0.7], [1.0])
    if name == "1-1-1":
        net = Network([1, 1, 1], activation="sigmoid", output_activation="identity", loss="mse", seed=3)
        return net.backprop([0.5], [0.2])
    if name == "batch":
        net = Network([2, 3, 1], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=4)
        return net.backprop(rng.normal(size=(4, 2)), rng.uniform(size=(4, 1)))
    raise KeyError(name)


ARCHS = ["2-2-2", "3-4-4-2", "2-8-8-1", "1-1-1", "batch"]


@pytest.fixture(scope="module")
def rec222():
    return mazur_record()


@pytest.fixture(scope="module", params=ARCHS)
def rec(request):
    return make_record(request.param)


def diverged_inf():
    """Huge weights, identity activations, a huge target: the loss and the gradients overflow to ±inf."""
    net = Network([2, 2, 1], activation="identity", output_activation="identity", loss="mse", seed=0)
    net.set_parameters(net.parameters * 1e6)
    return net.backprop([1e200, 1e200], [1e300])


def diverged_nan():
    """inf − inf in the output layer: the record holds NaN."""
    net = Network([1, 2, 1], activation="identity", output_activation="identity", loss="mse", seed=0)
    net.set_parameters([1e200, -1e200, 0.0, 0.0, 1e200, 1e200, 0.0])
    return net.backprop([1e200], [0.0])


# ----------------------------------------------------------------------------- helpers
def trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"no single trace named {name!r}"
    return matches[0]


def index_of(fig, name):
    return [t.name for t in fig.data].index(name)


def point(tr, key):
    """Index of the point whose customdata is ``key``."""
    data = [tuple(c) if isinstance(c, (list, tuple)) else c for c in tr.customdata]
    return data.index(tuple(key) if isinstance(key, list) else key)


def rgb(color: str) -> tuple[int, int, int]:
    """The r, g, b of an rgb()/rgba() colour string."""
    m = re.match(r"rgba?\((\d+),(\d+),(\d+)", color.replace(" ", ""))
    assert m, color
    return tuple(int(v) for v in m.groups())


def gradient_vmax(rec, s=0):
    """The one gradients scale, computed here independently: |δ| of the sample, |∂L/∂W|, |∂L/∂b|."""
    values = np.concatenate(
        [d[s] for d in rec.deltas] + [g.ravel() for g in rec.grad_weights] + [g.ravel() for g in rec.grad_biases]
    )
    values = values[np.isfinite(values)]
    return float(np.abs(values).max())


def all_numbers(obj, path="fig"):
    """Every number in a nested dict/list, with where it is."""
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from all_numbers(value, f"{path}.{key}")
    elif isinstance(obj, (list, tuple)):
        for k, value in enumerate(obj):
            yield from all_numbers(value, f"{path}[{k}]")


# ----------------------------------------------------------------------------- layout data
def test_weight_numbering_is_mazurs():
    sizes = (2, 2, 2)
    assert [weight_number(sizes, 1, i, j) for j in range(2) for i in range(2)] == [1, 2, 3, 4]
    assert weight_number(sizes, 2, 0, 0) == 5  # h1 → o1
    assert weight_number(sizes, 2, 1, 0) == 6  # h2 → o1
    assert weight_number(sizes, 2, 0, 1) == 7  # h1 → o2
    assert weight_number((3, 4, 4, 2), 3, 3, 1) == 12 + 16 + 4 + 3 + 1


def test_neuron_names():
    assert [neuron_name((2, 2, 2), layer, 0) for layer in range(3)] == ["x₁", "h₁", "o₁"]
    assert neuron_name((3, 4, 4, 2), 2, 3) == "h²₄"
    assert neuron_name((1, 1), 1, 0) == "o₁"


@pytest.mark.parametrize("n_in", range(1, 9))
@pytest.mark.parametrize("n_out", range(1, 9))
def test_edge_hover_markers_never_coincide(n_in, n_out):
    """At EDGE_LABEL_T no two edges of a fully connected layer share their hover point."""
    ys_in = (n_in - 1) / 2 - np.arange(n_in)
    ys_out = (n_out - 1) / 2 - np.arange(n_out)
    points = {round(float(a + EDGE_LABEL_T * (b - a)), 9) for a in ys_in for b in ys_out}
    assert len(points) == n_in * n_out


def test_layout_reads_the_record(rec222):
    lay = network_layout(rec222, 0, lr=0.5)
    assert lay.nodes[1][0].a == rec222.activations[1][0, 0]
    assert lay.nodes[2][1].delta == rec222.deltas[1][0, 1]
    edge = [e for e in lay.all_edges if e.param == "W2[0,0]"][0]
    assert (edge.symbol, edge.value, edge.grad) == ("w₅", 0.40, rec222.grad_weights[1][0, 0])
    assert edge.new_value == pytest.approx(0.35891648, abs=1e-8)
    assert [b.frozen for b in lay.all_biases] == [True] * 4
    assert len(lay.forward_captions) == len(lay.backward_captions) == rec222.n_layers + 2


# ----------------------------------------------------------------------------- the Mazur numbers in the hovers
def test_w5_hover_has_the_chain_rule_numbers(rec222):
    fig = plot_network(rec222, "gradients")
    labels = trace(fig, "edge_labels")
    hover = labels.hovertext[point(labels, "W2[0,0]")]
    assert "∂L/∂w₅ = a_h₁ · δ_o₁ = 0.5933 × 0.1385 = +0.08217" in hover
    for value in (rec222.activations[1][0, 0], rec222.deltas[1][0, 0]):
        assert fmt_plain(value) in hover
    assert fmt(rec222.grad_weights[1][0, 0]) in hover


def test_delta_h1_hover_writes_out_the_sum(rec222):
    fig = plot_network(rec222, "gradients")
    nodes = trace(fig, "nodes")
    hover = nodes.hovertext[point(nodes, [1, 0])]
    assert "δ_h₁ = f′(z_h₁) · Σₖ wₖ δₖ = 0.2413 × (0.4·0.1385 + 0.5·(−0.0381)) = +0.008771" in hover
    assert fmt_plain(rec222.derivatives[0][0, 0]) in hover
    assert fmt(rec222.deltas[0][0, 0]) in hover
    assert "w₅·δ_o₁ + w₇·δ_o₂" in hover  # which weights carry which δ back
    assert fmt(rec222.grad_activations[0][0, 0]) in hover


def test_output_node_hover_has_dL_da_and_delta(rec222):
    nodes = trace(plot_network(rec222, "gradients"), "nodes")
    hover = nodes.hovertext[point(nodes, [2, 1])]
    assert "∂L/∂a_o₂ = a − y = 0.7729 − 0.99 = −0.2171" in hover
    assert "δ_o₂ = f′(z_o₂) · ∂L/∂a_o₂ = 0.1755 × (−0.2171) = −0.0381" in hover


def test_values_mode_hovers_write_out_the_forward_pass(rec222):
    fig = plot_network(rec222, "values")
    nodes = trace(fig, "nodes")
    hover = nodes.hovertext[point(nodes, [1, 0])]
    assert "0.15·0.05 + 0.2·0.1 + 0.35 = +0.3775" in hover
    assert "a_h₁ = σ(z_h₁) = σ(0.3775) = +0.5933" in hover
    loss_hover = nodes.hovertext[point(nodes, [3, 0])]
    assert "½[(0.7514 − 0.01)² + (0.7729 − 0.99)²] = +0.2984" in loss_hover
    labels = trace(fig, "labels")
    assert "b +0.35 (held)" in labels.text[point(labels, "b1[0]")]
    assert "held fixed (frozen)" in labels.hovertext[point(labels, "b1[0]")]


def test_lr_adds_the_update_to_gradient_hovers(rec222):
    labels = trace(plot_network(rec222, "gradients", lr=0.5), "edge_labels")
    assert "w₅⁺ = w₅ − η·∂L/∂w₅ = 0.4 − 0.5 × 0.08217 = +0.3589" in labels.hovertext[point(labels, "W2[0,0]")]
    plain = trace(plot_network(rec222, "gradients"), "edge_labels")
    assert "update" not in plain.hovertext[point(plain, "W2[0,0]")]


def test_batch_record_says_batch_and_shows_the_sample():
    rec = make_record("batch")
    fig = plot_network(rec, "values", sample=2)
    assert "sample 3 of a batch of 4" in fig.layout.title.text
    labels = trace(fig, "labels")
    assert labels.text[point(labels, "b1[0]")].startswith(fmt(rec.activations[1][2, 0]))
    grad = plot_network(rec, "gradients", sample=2)
    hover = trace(grad, "edge_labels").hovertext[0]
    assert "over the batch of 4" in hover
    assert fmt(rec.grad_weights[0][0, 0]) in hover
    nodes = trace(grad, "nodes")
    assert "1/4" in nodes.hovertext[point(nodes, [2, 0])]


def test_paired_output_hover_says_the_derivative_cancels():
    rec = make_record("2-8-8-1")
    nodes = trace(plot_network(rec, "gradients"), "nodes")
    hover = nodes.hovertext[point(nodes, [3, 0])]
    assert "f′ cancels" in hover and "bce" in hover
    assert fmt(rec.deltas[-1][0, 0]) in hover


# ----------------------------------------------------------------------------- every architecture
def test_every_hover_holds_the_records_numbers(rec):
    values, grads = plot_network(rec, "values"), plot_network(rec, "gradients")
    s = 0
    for mode_fig, pick in ((values, "value"), (grads, "grad")):
        labels = trace(mode_fig, "edge_labels")
        for k, param in enumerate(labels.customdata):
            if not param.startswith("W"):
                continue
            layer, i, j = (int(v) for v in re.findall(r"\d+", param))
            number = rec.weights[layer - 1][i, j] if pick == "value" else rec.grad_weights[layer - 1][i, j]
            assert fmt(number) in labels.hovertext[k], (param, labels.hovertext[k])
        nodes = trace(mode_fig, "nodes")
        for k, (layer, j) in enumerate(nodes.customdata):
            if layer == 0 or layer > rec.n_layers:
                continue
            number = rec.activations[layer][s, j] if pick == "value" else rec.deltas[layer - 1][s, j]
            assert fmt(number) in nodes.hovertext[k]


def test_edges_are_coloured_by_the_sign_of_the_gradient(rec):
    fig = plot_network(rec, "gradients")
    vmax = gradient_vmax(rec)
    for layer, G in enumerate(rec.grad_weights, start=1):
        for (i, j), g in np.ndenumerate(G):
            line = trace(fig, f"edge:W{layer}[{i},{j}]").line
            assert rgb(line.color) == rgb(signed_color(g, vmax))
            assert line.dash == ("dash" if g < 0 else "solid")
    nodes = trace(fig, "nodes")
    for k, (layer, j) in enumerate(nodes.customdata):
        if 1 <= layer <= rec.n_layers:
            assert rgb(nodes.marker.color[k]) == rgb(signed_color(rec.deltas[layer - 1][0, j], vmax))


def test_values_mode_colours_follow_the_weights(rec):
    fig = plot_network(rec, "values")
    vmax = max(float(np.abs(p).max()) for p in (*rec.weights, *rec.biases))
    widths = {}
    for layer, W in enumerate(rec.weights, start=1):
        for (i, j), w in np.ndenumerate(W):
            line = trace(fig, f"edge:W{layer}[{i},{j}]").line
            assert rgb(line.color) == rgb(signed_color(w, vmax))
            assert line.dash == ("dash" if w < 0 else "solid")
            widths[abs(w)] = line.width
    ordered = [widths[k] for k in sorted(widths)]
    assert ordered == sorted(ordered)  # width grows with |w|


def test_customdata_maps_markers_to_parameters(rec):
    fig = plot_network(rec, "values")
    weights = {n for n in rec.parameter_names if n.startswith("W")}
    biases = {n for n in rec.parameter_names if n.startswith("b")}
    edge_data = set(trace(fig, "edge_labels").customdata)
    assert weights <= edge_data and len(edge_data - weights) == rec.sizes[-1]  # + one per output → L link
    assert biases <= set(trace(fig, "labels").customdata)
    nodes = [tuple(c) for c in trace(fig, "nodes").customdata]
    expected = [(layer, j) for layer, n in enumerate(rec.sizes) for j in range(n)] + [(rec.n_layers + 1, 0)]
    assert nodes == expected


def test_backward_animation_has_one_frame_per_layer_plus_two(rec):
    fig = animate_backward(rec)
    assert len(fig.frames) == rec.n_layers + 2
    assert len(animate_forward(rec).frames) == rec.n_layers + 2
    steps = fig.layout.sliders[0].steps
    assert [s.args[0][0] for s in steps] == [f.name for f in fig.frames]
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]


def test_frames_carry_only_what_changes(rec):
    for fig in (animate_backward(rec), animate_forward(rec)):
        names = [t.name for t in fig.data]
        dynamic_allowed = {"edge_labels", "nodes", "labels", "caption"} | {n for n in names if n.startswith("edge:W")}
        dynamic_allowed |= {n for n in names if n.startswith("loss_edge:")}
        first = fig.frames[0].traces
        for frame in fig.frames:
            assert frame.traces == first  # the same traces in every frame, so the slider can jump anywhere
            assert {names[k] for k in frame.traces} <= dynamic_allowed
            for tr in frame.data:
                as_dict = tr.to_plotly_json()
                assert not {"x", "y", "hovertext", "customdata"} & set(as_dict)  # geometry stays in fig.data
        assert "skeleton" not in {names[k] for k in first} and "colorbar" not in {names[k] for k in first}


def test_backward_frames_light_one_layer_each(rec222):
    fig = animate_backward(rec222, lr=0.5)
    names = [t.name for t in fig.data]

    def frame_trace(frame, name):
        return frame.data[list(frame.traces).index(names.index(name))]

    labels0 = frame_trace(fig.frames[0], "labels").text
    assert labels0[4] == "∂L/∂a +0.7414" and labels0[2] == ""  # outputs show ∂L/∂a, hidden still blank
    assert frame_trace(fig.frames[0], "edge:W2[0,0]").line.color == "rgba(0,0,0,0)"
    f1 = fig.frames[1]
    assert frame_trace(f1, "labels").text[4].startswith("δ +0.1385")
    assert frame_trace(f1, "edge:W2[0,0]").line.color != "rgba(0,0,0,0)"
    assert frame_trace(f1, "edge:W1[0,0]").line.color == "rgba(0,0,0,0)"
    f2 = fig.frames[2]
    assert frame_trace(f2, "labels").text[2].startswith("δ +0.008771")
    assert "0.2413 × (0.4·0.1385 + 0.5·(−0.0381)) = +0.008771" in frame_trace(f2, "caption").text[0]
    last = fig.frames[-1]
    edge_text = frame_trace(last, "edge_labels").text
    assert "+0.4 → +0.3589" in edge_text and "+0.15 → +0.1498" in edge_text
    assert "b +0.35 held" in frame_trace(last, "labels").text[2]
    assert "η = 0.5" in frame_trace(last, "caption").text[0]
    assert "default" not in frame_trace(last, "caption").text[0]


def test_backward_default_lr_is_said(rec222):
    fig = animate_backward(rec222)
    caption = fig.frames[-1].data[-1].text[0]
    assert "η = 0.5 (the default: no lr given)" in caption
    fig = animate_backward(rec222, lr=0.1)
    labels = fig.frames[-1].data[list(fig.frames[-1].traces).index(index_of(fig, "edge_labels"))].text
    new = rec222.updated_parameters(0.1)[0][1][0, 0]
    assert f"+0.4 → {fmt(new)}" in labels


def test_forward_frames_reveal_layer_by_layer(rec222):
    fig = animate_forward(rec222)
    names = [t.name for t in fig.data]
    k_labels = list(fig.frames[0].traces).index(names.index("labels"))
    for k, frame in enumerate(fig.frames):
        text = frame.data[k_labels].text
        for n, (layer, _) in enumerate(trace(fig, "nodes").customdata):
            if layer <= rec222.n_layers:
                assert (text[n] != "") == (layer <= k)
        assert (text[-1] != "") == (k == rec222.n_layers + 1)  # the loss comes last
    assert "+0.3775" in fig.frames[1].data[-1].text[0]


def test_themes_and_lecture_scale(rec222):
    light, dark = plot_network(rec222), plot_network(rec222, theme="dark")
    assert dark.layout.paper_bgcolor == THEMES["dark"].paper != light.layout.paper_bgcolor
    big = plot_network(rec222, lecture=True)
    assert big.layout.font.size == pytest.approx(light.layout.font.size * LECTURE_SCALE)
    assert trace(big, "nodes").marker.size[0] == pytest.approx(trace(light, "nodes").marker.size[0] * LECTURE_SCALE)
    assert big.layout.width > light.layout.width and big.layout.height > light.layout.height
    assert plot_network(rec222, width=500, height=300).layout.width == 500


def test_figures_serialise_to_json_offline(rec):
    for fig in (plot_network(rec), plot_network(rec, "gradients"), animate_forward(rec), animate_backward(rec)):
        text = fig.to_json()
        json.loads(text)
        assert "http" not in text.replace("http://www.w3.org", "")  # nothing to fetch
        for where, number in all_numbers(fig.to_dict()):
            assert math.isfinite(number), where


# ----------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("make", [diverged_inf, diverged_nan])
def test_diverged_record_still_renders(make):
    rec = make()
    assert not rec.finite
    for fig in (plot_network(rec), plot_network(rec, "gradients"), animate_forward(rec), animate_backward(rec)):
        notes = [a.text for a in fig.layout.annotations]
        assert any("Diverged" in t for t in notes)
        as_dict = fig.to_dict()
        for where, number in all_numbers(as_dict):
            assert math.isfinite(number), where
        json.loads(fig.to_json())
    hovers = " ".join(trace(plot_network(rec, "gradients"), "edge_labels").hovertext)
    assert "∞" in hovers or "NaN" in hovers
    colours = [trace(plot_network(rec, "gradients"), f"edge:W{layer}[0,0]").line.color for layer in (1, 2)]
    assert "#d62728" in colours  # the alarm colour, outside the scale


def test_finite_record_has_no_divergence_banner(rec):
    assert not plot_network(rec).layout.annotations


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda r: plot_network("not a record"), "record"),
        (lambda r: plot_network(r, mode="delta"), "mode"),
        (lambda r: plot_network(r, sample=1), "sample"),
        (lambda r: plot_network(r, sample=-1), "sample"),
        (lambda r: plot_network(r, sample=0.0), "sample"),
        (lambda r: plot_network(r, theme="blue"), "theme"),
        (lambda r: plot_network(r, lecture="yes"), "lecture"),
        (lambda r: plot_network(r, width=10), "width"),
        (lambda r: plot_network(r, "gradients", lr=0), "lr"),
        (lambda r: animate_backward(r, lr=-0.5), "lr"),
        (lambda r: animate_backward(r, lr=float("nan")), "lr"),
        (lambda r: animate_backward(r, sample=3), "sample"),
        (lambda r: animate_forward(r, theme=None), "theme"),
        (lambda r: animate_forward(r, height=0), "height"),
    ],
)
def test_validation_names_the_argument(rec222, call, argument):
    with pytest.raises(ValueError, match=argument):
        call(rec222)


def test_edge_numbers_are_printed_per_layer_or_not_at_all(rec):
    """A crowded layer prints no numbers (its hovers still hold them); a clear one prints all."""
    fig = plot_network(rec, "gradients")
    labels = trace(fig, "edge_labels")
    by_layer: dict[str, list[str]] = {}
    for param, text in zip(labels.customdata, labels.text):
        if param.startswith("W"):
            by_layer.setdefault(param.split("[")[0], []).append(text)
    for texts in by_layer.values():
        assert all(texts) or not any(texts)
    if rec.sizes == (2, 2, 2):
        assert all(all(texts) for texts in by_layer.values())
    if rec.sizes == (2, 8, 8, 1):
        assert not any(by_layer["W2"])  # 64 weights between two columns of 8: no room for numbers
        assert all(labels.hovertext)


def test_a_backward_stage_is_the_matching_animation_frame(rec):
    """plot_network(stage=k) (for an app stepping through the pass) looks like animate_backward's frame k."""
    anim = animate_backward(rec, lr=0.3)
    names = [t.name for t in anim.data]
    for k, frame in enumerate(anim.frames):
        still = plot_network(rec, "gradients", stage=k, lr=0.3)
        for index, tr in zip(frame.traces, frame.data):
            shown = trace(still, names[index])
            if tr.text is not None:
                assert tuple(shown.text) == tuple(tr.text)
            if tr.line.color is not None:
                assert shown.line.color == tr.line.color and shown.line.dash == tr.line.dash
            if tr.marker.color is not None:
                assert tuple(shown.marker.color) == tuple(tr.marker.color)


def test_network_spec_is_the_figure_as_a_dict(rec222):
    spec = network_spec(rec222, "gradients", lr=0.5)
    assert isinstance(spec, dict) and {"data", "layout"} <= set(spec)
    fig = plot_network(rec222, "gradients", lr=0.5)
    assert [t["name"] for t in spec["data"]] == [t.name for t in fig.data]
    assert go.Figure(spec).to_plotly_json() == fig.to_plotly_json()


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(mode="values", stage=0), "stage"),
        (dict(mode="gradients", stage=4), "stage"),
        (dict(mode="gradients", stage=True), "stage"),
        (dict(mode="gradients", stage=-1), "stage"),
    ],
)
def test_stage_validation(rec222, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        plot_network(rec222, **kwargs)
