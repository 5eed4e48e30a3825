"""The expression graph as an SVG scene: trace's numbers on every node and edge, each backward step from
backward_steps, reused nodes' +=, the patterns named where they occur, every graph fits, no text on another."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pytest

from explainer import Network, get_scenario
from explainer.autograd import (
    EXAMPLES,
    Value,
    backward_steps,
    neuron_expression,
    parse_example,
    parse_expression,
    trace,
)
from explainer.views.diagram import Part, plain_text, text_width
from explainer.views.graph_diagram import LECTURE_SCALE, WIDTH, graph_diagram, node_key, step_lines
from explainer.views.style import fmt

SVG = "{http://www.w3.org/2000/svg}"
MORE = [
    "x*x + 2*x",
    "max(x, y) * relu(z - w)",
    "log(exp(x) + exp(y))",
    "x**2 + y**-1 + z**0.5",
    "tanh(x) * sigmoid(y) / (1 + x*x)",
    "-x + x - (x*y*z*w)",
    "x",
]


def graph(name_or_expression: str):
    """(root, steps, trace) of an example or an expression, after one whole backward pass."""
    if name_or_expression in EXAMPLES:
        root, _ = parse_example(name_or_expression)
    else:
        root, _ = parse_expression(name_or_expression, x=1.5, y=-2.0, z=0.7, w=0.3)
    steps = list(backward_steps(root))
    return root, steps, trace(root)


def neuron_graphs():
    out = []
    for scenario, layer, neuron in [("worked_example", 1, 0), ("worked_example", 2, 1), ("cs231n_neuron", 1, 0)]:
        sc = get_scenario(scenario)
        ex = neuron_expression(sc.network.backprop(sc.X, sc.y), layer, neuron)
        root, _ = parse_expression(ex.expression, ex.values)
        out.append((f"{scenario}:{layer}:{neuron}", root, list(backward_steps(root)), trace(root)))
    return out


def text_boxes(scene) -> list[tuple[str, float, float, float, float]]:
    """(text, x0, y0, x1, y1) of every text of the nodes and the edge numbers, as laid out for DejaVu Sans."""
    out = []
    for part in scene.parts:
        if not (part.id.startswith("nodes:") or part.id == "edge_labels"):
            continue
        for t in ET.fromstring(f'<g xmlns="http://www.w3.org/2000/svg">{part.svg}</g>').iter(SVG + "text"):
            x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
            w = text_width(t.text or "", size)
            x0 = {"start": x, "middle": x - w / 2, "end": x - w}[t.get("text-anchor", "middle")]
            out.append((t.text, x0, y - 0.45 * size, x0 + w, y + 0.45 * size))
    return out


def overlapping(scene) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for a, b in itertools.combinations(text_boxes(scene), 2)
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


def node_texts(scene, node_id: int) -> list[str]:
    """The texts drawn with one node: its core, and the lines beside it (those nearest its centre)."""
    key = node_key(node_id)
    for part in scene.parts:
        if f'data-key="{key}"' in part.svg:
            children = list(ET.fromstring(f'<g xmlns="http://www.w3.org/2000/svg">{part.svg}</g>').iter())
            at = next(k for k, c in enumerate(children) if c.get("data-key") == key)
            start = max((k for k, c in enumerate(children[:at]) if c.get("data-key")), default=-1) + 1
            return [c.text for c in children[start:at] if c.tag == SVG + "text"]
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------- the numbers
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_node_and_edge_shows_the_traces_numbers(name):
    _, _, tr = graph(name)
    scene = graph_diagram(tr)
    for n in tr.nodes:
        words = node_texts(scene, n.id)
        if n.kind == "constant":
            assert words == [n.label]
            continue
        assert fmt(n.data) in words and f"grad {fmt(n.grad)}" in words, (n, words)
        assert fmt(n.grad) in plain_text(scene.hover(node_key(n.id)))
    edge_words = scene.part("edge_labels").svg
    for e in tr.edges:
        assert f">{fmt(e.grad)}<" in edge_words.replace("&#x27;", "'"), e
    assert not any("left out" in t for t in scene.texts())


def test_micrograds_neuron_reads_as_the_lecture_does():
    _, _, tr = graph("neuron")  # tanh(w1*x1 + w2*x2 + b): o = 0.7071, ∂o/∂w1 = 1, ∂o/∂x1 = −1.5
    scene = graph_diagram(tr, title="A tanh neuron")
    assert node_texts(scene, tr.root) == ["tanh", "+0.7071", "grad +1"]
    assert node_texts(scene, tr.by_label("x1").id) == ["x1", "+2", "grad −1.5"]
    assert node_texts(scene, tr.by_label("w1").id) == ["w1", "−3", "grad +1"]
    assert scene.texts()[:2] == ["A tanh neuron", "f = tanh(w1*x1 + w2*x2 + b) = +0.7071"]


def test_the_still_picture_is_valid_svg_with_a_target_and_a_hover_per_node():
    _, _, tr = graph("sigmoid_neuron")
    scene = graph_diagram(tr)
    root = ET.fromstring(scene.svg())
    assert root.tag == SVG + "svg" and [g.get("id") for g in root if g.get("id")] == list(scene.ids)
    keys = scene.keys()
    assert sorted(keys) == sorted(node_key(n.id) for n in tr.nodes)
    assert set(scene.hovers) == set(keys)
    # Tab goes column by column from the leaves to the root.
    assert keys[-1] == node_key(tr.root) and keys[0] == node_key(tr.by_label("w0").id)


# ---------------------------------------------------------------------------------------------- the steps
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_stage_shows_backward_steps_numbers(name):
    _, steps, tr = graph(name)
    for k in range(len(steps) + 1):
        scene = graph_diagram(tr, steps=steps[:k])
        reached = {tr.root} | {c.child_id for s in steps[:k] for c in s.contributions}
        for n in tr.nodes:
            if n.kind == "constant":
                continue
            words = node_texts(scene, n.id)
            if n.id not in reached:
                assert "grad ?" in words
            else:
                latest = [c.after for s in steps[:k] for c in s.contributions if c.child_id == n.id]
                grad = latest[-1] if latest else 1.0
                assert any(w.startswith(f"grad {fmt(grad)}") for w in words), (k, n.label, words)
        caption = " ".join(scene.texts())
        if k:
            s = steps[k - 1]
            assert f"Step {k} of {len(steps)}:" in caption
            for c in s.contributions:
                assert f"= {fmt(c.amount)}" in caption  # local × upstream = share, with the numbers
        else:
            assert "Start: ∂f/∂f = 1" in caption


def test_the_last_stage_is_the_whole_pass():
    _, steps, tr = graph("sigmoid_neuron")
    last = graph_diagram(tr, steps=steps)
    whole = graph_diagram(tr)
    for n in tr.nodes:
        assert [w for w in node_texts(last, n.id) if w.startswith("grad")] == [
            w for w in node_texts(whole, n.id) if w.startswith("grad")
        ]


def test_the_step_writes_local_times_upstream_on_its_edges():
    _, steps, tr = graph("add_multiply")  # (x + y) * z: step 1 is the product, ∂f/∂(x+y) = z = −4, ∂f/∂z = 3
    lines = step_lines(tr, steps[:1])
    assert lines[0].startswith("Step 1 of 2: (x + y) * z (a product) has its complete gradient")
    assert "→ x + y: z = −4 × 1 = −4" in lines and "→ z: x + y = +3 × 1 = +3" in lines
    assert any(line.startswith("× swaps:") for line in lines)
    labels = plain_text(graph_diagram(tr, steps=steps[:1]).part("edge_labels").svg)
    assert "−4 × 1 = −4" in labels and "3 × 1 = +3" in labels


# ---------------------------------------------------------------------------------------------- reuse, patterns
def test_a_reused_node_shows_its_sum_and_the_plus_equals():
    _, steps, tr = graph("reuse")  # x*y + x: x gets y from the product and 1 from the sum
    x = tr.by_label("x")
    assert "sums 2 uses (+=)" in node_texts(graph_diagram(tr), x.id)
    hover = plain_text(graph_diagram(tr).hover(node_key(x.id)))
    assert "used 2 times: its grad sums (+=) −2 from x*y and +1 from x*y + x" in hover
    # Step 1 (the sum) gives x its first share; step 2 (the product) adds the second: +=.
    first = graph_diagram(tr, steps=steps[:1])
    assert "grad +1 …" in node_texts(first, x.id)  # a partial sum: one of its two shares
    second = graph_diagram(tr, steps=steps[:2])
    assert "+= −2" in node_texts(second, x.id) and "grad −1" in node_texts(second, x.id)
    assert "→ x: y = −2 × 1 = −2; grad +1 += −2 → −1" in step_lines(tr, steps[:2])


@pytest.mark.parametrize(
    ("name", "op", "tag"), [("gates", "max", "routes"), ("gates", "*", "swaps"), ("add_multiply", "+", "distributes")]
)
def test_the_patterns_are_named_where_they_occur(name, op, tag):
    _, _, tr = graph(name)
    scene = graph_diagram(tr)
    for n in tr.nodes:
        assert (tag in node_texts(scene, n.id)) == (n.op == op or (tag == "distributes" and n.op == "-")), n
    legend = {"routes": "max routes (1×):", "swaps": "× swaps", "distributes": "+ distributes"}[tag]
    assert any(t.startswith(legend) for t in scene.texts())


def test_relu_routes_too_and_a_graph_without_patterns_names_none():
    _, _, tr = graph("log(exp(x) + exp(y))")
    assert [t for t in graph_diagram(tr).texts() if t in ("swaps", "routes")] == []
    _, _, tr = graph("relu(x) * 2")
    assert "routes" in node_texts(graph_diagram(tr), tr.nodes[tr.root].children[0])


# ---------------------------------------------------------------------------------------------- it fits
CASES = list(EXAMPLES) + MORE


@pytest.mark.parametrize("lecture", [False, True])
@pytest.mark.parametrize("name", CASES)
def test_fits_its_width_and_no_text_touches_another(name, lecture):
    _, steps, tr = graph(name)
    limit = WIDTH * (LECTURE_SCALE if lecture else 1.0) + 1
    for k in [None, *range(len(steps) + 1)]:
        scene = graph_diagram(tr, steps=None if k is None else steps[:k], lecture=lecture)
        assert scene.width <= limit, (k, scene.width)
        assert overlapping(scene) == [], (k, overlapping(scene))


@pytest.mark.parametrize("lecture", [False, True])
def test_a_networks_neurons_fit_too(lecture):
    for name, _, steps, tr in neuron_graphs():
        for k in (None, 1, len(steps)):
            scene = graph_diagram(tr, steps=None if k is None else steps[:k], lecture=lecture)
            assert scene.width <= WIDTH * (LECTURE_SCALE if lecture else 1.0) + 1, name
            assert overlapping(scene) == [], (name, k)


def test_the_overlap_check_sees_overlapping_texts():
    _, _, tr = graph("neuron")
    scene = graph_diagram(tr)
    labels = scene.part("edge_labels")
    twice = Part(labels.id, labels.svg + labels.svg)  # every edge number drawn a second time on itself
    crowded = replace(scene, parts=tuple(twice if p.id == labels.id else p for p in scene.parts))
    assert overlapping(scene) == [] and len(overlapping(crowded)) >= len(tr.edges)


def test_an_eight_input_neuron_is_drawn_wider_than_the_width_and_still_clear():
    net = Network([8, 1], seed=0)
    rec = net.backprop(np.random.default_rng(0).normal(size=(1, 8)), [[0.5]])
    ex = neuron_expression(rec, 1, 0)
    root, _ = parse_expression(ex.expression, ex.values)
    root.backward()
    scene = graph_diagram(trace(root))
    assert overlapping(scene) == [] and scene.width < 1.5 * WIDTH


def test_a_value_used_twice_by_one_operation_gets_two_edges():
    _, _, tr = graph("x*x")
    assert graph_diagram(tr).part("edges").svg.count("<path") == 2
    d = [p.split('d="')[1].split('"')[0] for p in graph_diagram(tr).part("edges").svg.split("<path")[1:]]
    assert d[0] != d[1]  # bent apart, not drawn on top of each other


def test_a_single_variable_and_a_deep_expression_are_drawn():
    _, steps, tr = graph("x")
    assert steps == [] and "f = x is a single value" in " ".join(graph_diagram(tr).texts())
    deep = "x" + " + x" * 40
    root, _ = parse_expression(deep, x=0.5)
    root.backward()
    scene = graph_diagram(trace(root))
    ET.fromstring(scene.svg())
    assert scene.width > WIDTH  # 41 columns cannot fit: drawn wider, the widget scales it down


# ---------------------------------------------------------------------------------------------- looks, doors
def test_dark_theme_lecture_and_selection():
    _, _, tr = graph("gates")
    scene = graph_diagram(tr, theme="dark", lecture=True, selected="node:0")
    assert scene.background == "#111418" and scene.theme == "dark"
    assert 'aria-pressed="true"' in "".join(p.svg for p in scene.parts)
    small = graph_diagram(tr)
    assert scene.font_size == pytest.approx(LECTURE_SCALE * small.font_size)
    sizes = [float(t.split('font-size="')[1].split('"')[0]) for t in scene.svg().split("<text ")[1:]]
    assert min(sizes) >= 24  # every text, at the scene's natural size


def test_hover_texts_escape_what_a_label_holds():
    a = Value(2.0, label="<b>")
    b = a * 3
    b.backward()
    scene = graph_diagram(trace(b))
    assert "<b>&lt;b&gt;</b>" in scene.hover("node:0") and "<b><b></b>" not in scene.hover("node:0")
    ET.fromstring(scene.svg())


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(theme="neon"), "theme"),
        (dict(lecture="yes"), "lecture"),
        (dict(selected="node:99"), "selected"),
        (dict(selected=0), "selected"),
        (dict(width=10), "width"),
        (dict(title=3), "title"),
        (dict(steps="all"), "steps"),
    ],
)
def test_bad_arguments_are_named(kwargs, argument):
    _, _, tr = graph("neuron")
    with pytest.raises(ValueError, match=argument):
        graph_diagram(tr, **kwargs)


def test_steps_of_another_graph_are_refused():
    _, steps, tr = graph("neuron")
    _, other, _ = graph("reuse")
    with pytest.raises(ValueError, match="steps must be the first steps of backward_steps"):
        graph_diagram(tr, steps=other[1:])
    with pytest.raises(ValueError, match="steps must be a list of at most 5"):
        graph_diagram(tr, steps=steps + steps)
    with pytest.raises(ValueError, match="tr must be a Trace"):
        graph_diagram("tanh(x)")
