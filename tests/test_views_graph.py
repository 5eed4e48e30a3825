"""One neuron as a circuit (explainer.views.graph, with the data of views._layout.neuron_graph)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from explainer import Network
from explainer.views import plot_neuron_graph
from explainer.views._layout import neuron_graph
from explainer.views.style import fmt, fmt_plain, signed_color


def mazur_record():
    net = Network([2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[0.15, 0.25], [0.20, 0.30]]
    net.biases[0] = [0.35, 0.35]
    net.weights[1] = [[0.40, 0.50], [0.45, 0.55]]
    net.biases[1] = [0.60, 0.60]
    net.freeze("b1", "b2")
    return net.backprop([0.05, 0.10], [0.01, 0.99])


def make_record(name: str):
    rng = np.random.default_rng(0)
    if name == "2-2-2":
        return mazur_record()
    if name == "3-4-4-2":
        net = Network([3, 4, 4, 2], activation="relu", output_activation="softmax", loss="cross_entropy", seed=1)
        return net.backprop(rng.normal(size=3), [0, 1])
    if name == "2-8-8-1":
        net = Network([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=2)
        return net.backprop([0.3, -0.7], [1.0])
    if name == "1-1-1":
        net = Network([1, 1, 1], activation="leaky_relu", output_activation="identity", loss="mse", seed=3)
        return net.backprop([0.5], [0.2])
    net = Network([2, 3, 1], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=4)
    return net.backprop(rng.normal(size=(4, 2)), rng.uniform(size=(4, 1)))


@pytest.fixture(scope="module")
def rec222():
    return mazur_record()


@pytest.fixture(scope="module", params=["2-2-2", "3-4-4-2", "2-8-8-1", "1-1-1", "batch"])
def rec(request):
    return make_record(request.param)


def by_key(graph):
    return {n.key: n for n in graph.nodes}


def trace(fig, name):
    return [t for t in fig.data if t.name == name][0]


def hover(fig, key):
    nodes = trace(fig, "nodes")
    return nodes.hovertext[list(nodes.customdata).index(key)]


def all_numbers(obj, path="fig"):
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


# ----------------------------------------------------------------------------- the graph as data
def test_hidden_neuron_graph_values_and_gradients(rec222):
    g = by_key(neuron_graph(rec222, 1, 0))
    assert set(g) == {"a0", "w0", "mul0", "a1", "w1", "mul1", "b", "add", "act", "next"}
    d = rec222.deltas[0][0, 0]
    assert g["add"].value == rec222.preactivations[0][0, 0] and g["add"].grad == d
    assert g["act"].value == rec222.activations[1][0, 0] and g["act"].grad == rec222.grad_activations[0][0, 0]
    assert g["w0"].value == 0.15 and g["w0"].grad == rec222.grad_weights[0][0, 0]
    assert g["b"].grad == rec222.grad_biases[0][0]
    assert g["mul1"].grad == d  # an add node passes its gradient through unchanged
    assert g["mul1"].value == pytest.approx(0.20 * 0.10)  # a term of z: computed, the record has only the sum
    assert g["a0"].grad == pytest.approx(0.15 * d)  # this path's share of ∂L/∂x₁
    assert g["w0"].value_label == "+0.15" and g["w0"].grad_label == f"grad {fmt(rec222.grad_weights[0][0, 0])}"


def test_output_neuron_ends_in_the_loss(rec222):
    g = by_key(neuron_graph(rec222, 2, 0))
    assert "loss" in g and "next" not in g
    assert g["loss"].value == rec222.loss and g["loss"].grad == 1.0
    assert g["w0"].grad == rec222.grad_weights[1][0, 0]
    assert g["act"].grad == rec222.grad_activations[1][0, 0]


def test_hovers_show_local_derivative_and_chain_rule(rec222):
    fig = plot_neuron_graph(rec222, layer=2, neuron=0)
    w5 = hover(fig, "W2[0,0]")
    assert "local derivative ∂(w₅·a_h₁)/∂w₅ = a_h₁ = +0.5933" in w5
    assert "∂L/∂w₅ = a_h₁ · δ_o₁ = 0.5933 × 0.1385 = +0.08217" in w5
    act = hover(fig, "act")
    assert "∂L/∂a_o₁ = a − y = 0.7514 − 0.01 = +0.7414" in act
    assert fmt_plain(rec222.derivatives[1][0, 0]) in act
    add = hover(fig, "add")
    assert "δ_o₁ = f′(z_o₁) · ∂L/∂a_o₁ = 0.1868 × 0.7414 = +0.1385" in add
    assert "+1.106" in add
    assert "∂L/∂L = 1" in hover(fig, "loss")
    hidden = plot_neuron_graph(rec222, layer=1, neuron=0)
    assert "0.4·0.1385 + 0.5·(−0.0381) = +0.03635" in hover(hidden, "act")
    assert "held fixed (frozen)" in hover(hidden, "b1[0]")


def test_node_colours_follow_the_gradient_signs(rec):
    for layer in range(1, rec.n_layers + 1):
        graph = neuron_graph(rec, layer, 0)
        fig = plot_neuron_graph(rec, layer, 0)
        nodes = trace(fig, "nodes")
        for k, node in enumerate(graph.nodes):
            if node.kind in ("leaf", "op"):
                assert nodes.marker.color[k] == signed_color(node.grad, graph.vmax)
        leaves_and_ops = [n.grad for n in graph.nodes if n.kind in ("leaf", "op")]
        assert graph.vmax == pytest.approx(max(abs(v) for v in leaves_and_ops))


def test_every_neuron_renders_and_serialises(rec):
    for layer in range(1, rec.n_layers + 1):
        for neuron in range(min(rec.sizes[layer], 3)):
            fig = plot_neuron_graph(rec, layer, neuron)
            json.loads(fig.to_json())
            for where, number in all_numbers(fig.to_dict()):
                assert math.isfinite(number), where
            values = trace(fig, "values").text
            z = rec.preactivations[layer - 1][0, neuron]
            assert fmt(z) in values and fmt(rec.activations[layer][0, neuron]) in values
            assert not fig.layout.annotations


def test_customdata_names_parameters(rec):
    fig = plot_neuron_graph(rec, rec.n_layers, 0)
    data = set(trace(fig, "nodes").customdata)
    L = rec.n_layers
    assert {f"W{L}[{i},0]" for i in range(rec.sizes[-2])} | {f"b{L}[0]", "add", "act", "loss"} <= data


def test_batch_graph_shows_the_sample_share_and_the_batch_total():
    rec = make_record("batch")
    graph = neuron_graph(rec, 1, 2, sample=3)
    g = by_key(graph)
    share = rec.activations[0][3, 1] * rec.deltas[0][3, 2]
    assert g["w1"].grad == pytest.approx(share)
    assert any("sample 4 of a batch of 4" in note for note in graph.notes)
    fig = plot_neuron_graph(rec, 1, 2, sample=3)
    w = hover(fig, "W1[1,2]")
    assert "whole batch (recorded)" in w and fmt(rec.grad_weights[0][1, 2]) in w
    assert "sample 4 of a batch of 4" in fig.layout.title.text


def test_paired_and_softmax_outputs_explain_their_delta():
    rec = make_record("3-4-4-2")
    add = hover(plot_neuron_graph(rec, 3, 1), "add")
    assert "f′ cancels" in add and "cross_entropy" in add
    assert fmt(rec.deltas[-1][0, 1]) in add


def test_diverged_record_renders_with_the_banner():
    net = Network([1, 2, 1], activation="identity", output_activation="identity", loss="mse", seed=0)
    net.set_parameters([1e200, -1e200, 0.0, 0.0, 1e200, 1e200, 0.0])
    rec = net.backprop([1e200], [0.0])
    for layer in (1, 2):
        fig = plot_neuron_graph(rec, layer, 0)
        assert any("Diverged" in a.text for a in fig.layout.annotations)
        for where, number in all_numbers(fig.to_dict()):
            assert math.isfinite(number), where
        labels = " ".join(trace(fig, "values").text) + " ".join(trace(fig, "gradients").text)
        assert "∞" in labels or "NaN" in labels


def test_lecture_and_dark(rec222):
    plain, big = plot_neuron_graph(rec222), plot_neuron_graph(rec222, lecture=True, theme="dark")
    assert big.layout.width > plain.layout.width
    assert big.layout.paper_bgcolor != plain.layout.paper_bgcolor


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(layer=0), "layer"),
        (dict(layer=3), "layer"),
        (dict(layer="1"), "layer"),
        (dict(layer=True), "layer"),
        (dict(neuron=2), "neuron"),
        (dict(neuron=-1), "neuron"),
        (dict(sample=1), "sample"),
        (dict(theme="sepia"), "theme"),
        (dict(width=5), "width"),
    ],
)
def test_validation_names_the_argument(rec222, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        plot_neuron_graph(rec222, **kwargs)


def test_record_must_be_a_record():
    with pytest.raises(ValueError, match="record"):
        plot_neuron_graph({"loss": 1.0})
