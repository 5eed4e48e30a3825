"""The Playground's picture as data (views/playground_scene.py, views/playground_frame.py): palette indices, link
styles by sign and size, the layout's order and limits, the loss chart, the PNGs of the still picture, and the
frames a network implies."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import numpy as np
import pytest

from explainer import Network
from explainer.engine.boundary import plane_maps
from explainer.engine.features import FEATURES, FeatureMap
from explainer.views import playground_scene as ps
from explainer.views.playground_frame import feature_grids, lit_layers, neuron_grids, output_value, walk_styles

FEATS = tuple((name, f.label, name in ("x1", "x2")) for name, f in FEATURES.items())


def layout(sizes=(2, 4, 2, 1), **kwargs):
    return ps.playground_layout(sizes, FEATS, task="binary", domain=(-6, 6, -6, 6), **kwargs)


def test_values_become_palette_indices_with_the_middle_at_zero():
    np.testing.assert_array_equal(ps.signed_indices([-1, -0.5, 0, 0.5, 1, 7, -7, np.nan]),
                                  [0, 64, 128, 191, 255, 255, 0, 128])  # fmt: skip
    p = np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0]])
    idx = ps.class_indices(p)
    assert idx[0] // ps.CLASS_LEVELS == 0 and idx[2] == 2 * ps.CLASS_LEVELS + ps.CLASS_LEVELS - 1
    assert idx[1] % ps.CLASS_LEVELS == 0  # no confidence at all


def test_a_links_colour_is_its_sign_its_width_its_size_and_dashes_mark_negative():
    s = ps.weight_styles(np.array([-5.0, -0.5, 0.0, 0.5, 2.5, 9.0]))
    np.testing.assert_array_equal(s[:, 0], ps.signed_indices([-1, -0.5, 0, 0.5, 1, 1]))
    np.testing.assert_allclose(s[:, 1] / ps.WIDTH_STEPS, [8, 1.7, 1, 1.7, 4.5, 8], atol=0.07)
    np.testing.assert_array_equal(s[:, 2], [ps.DASHED, ps.DASHED, 0, 0, 0, 0])
    lit = np.array([True, True, False, False, True, True])
    g = ps.gradient_styles(np.array([-4.0, 2.0, 9.0, 1.0, 0.0, 1.0]), lit)
    assert g[0, 2] == ps.LIT | ps.DASHED and g[1, 2] == ps.LIT and g[2, 2] == ps.FADED
    assert g[0, 1] == 8 * ps.WIDTH_STEPS  # the lit link of largest |∂L/∂w|, 8 px


def test_the_layout_in_the_networks_order_with_its_limits():
    L = layout()
    assert [f["name"] for f in L["features"]] == list(FEATURES)
    assert [n["key"] for n in L["nodes"]] == [f"node:1:{j}" for j in range(4)] + ["node:2:0", "node:2:1", "node:3:0"]
    assert L["links"][0]["key"] == "W1[0,0]" and L["links"][1]["key"] == "W1[1,0]" and len(L["links"]) == 8 + 8 + 2
    assert L["links"][0]["from"] == "x₁" and L["links"][-1]["to"] == "the output"
    enabled = {b["key"]: b["enabled"] for b in L["buttons"]}
    assert enabled["layers:+"] and enabled["neurons:2:-"] and set(enabled) >= {"neurons:1:+", "layers:-"}
    full = ps.playground_layout((2, *(32,) * 8, 1), FEATS, task="binary", domain=(-6, 6, -6, 6))
    buttons = {b["key"]: b["enabled"] for b in full["buttons"]}
    assert not buttons["layers:+"] and not buttons["neurons:1:+"]
    big = layout(lecture=True)
    assert big["font_size"] >= 24 and big["small"] >= 24 and min(t["size"] for t in big["texts"]) >= 24


def test_the_loss_chart_stays_in_its_box_and_goes_log_when_asked():
    box = {"x": 10, "y": 20, "w": 100, "h": 40}
    steps = np.arange(5)
    lin = ps.chart_paths(steps, [1.0, 0.5, 0.25, 0.2, 0.1], [1.0, 0.7, 0.8, np.nan, 0.9], box, log=False)
    points = [tuple(map(float, p.split(","))) for p in lin["chart_train"][1:].split(" L")]
    assert points[0] == (10, round(20 + 40 - 40 / 1.05)) and points[-1][0] == 110  # whole px
    assert lin["chart_test"].count("L") == 3  # the NaN is left out
    log = ps.chart_paths(steps, [1e-3, 1e-2, 1.0, 1e2, 1e4], None, box, log=True)
    assert log["chart_top"] == "10⁴" and log["chart_bottom"] == "10⁻³" and log["chart_test"] == ""


def test_pngs_hold_the_palette_indices_exactly():
    grid = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    colors = [f"#{i:02x}{255 - i:02x}{i // 2:02x}" for i in range(256)]
    data = base64.b64decode(ps.png_data_uri(grid, colors).split(",")[1])
    assert struct.unpack(">II", data[16:24]) == (4, 3)
    start = data.index(b"IDAT") + 4
    (length,) = struct.unpack(">I", data[start - 8 : start - 4])
    rows = np.frombuffer(zlib.decompress(data[start : start + length]), np.uint8).reshape(3, 13)[:, 1:]
    np.testing.assert_array_equal(rows.reshape(3, 4, 3)[..., 0], grid)
    assert ps.png_data_uri(grid, colors) == ps.png_data_uri(grid.copy(), colors)  # deterministic


def test_a_frame_is_the_networks_maps():
    fm = FeatureMap(("x1", "x2"))
    net = Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=1)
    grids, big = neuron_grids(net, fm, (-6, 6, -6, 6), "binary", False, 10, 30)
    maps = plane_maps(net, fm, (-6, 6), (-6, 6), 10)
    np.testing.assert_array_equal(grids[:3], ps.signed_indices(maps.layers[0][:, ::-1]))
    np.testing.assert_array_equal(grids[3], ps.signed_indices(2 * maps.output[0, ::-1] - 1))
    assert big.shape == (30, 30)
    _, sharp = neuron_grids(net, fm, (-6, 6, -6, 6), "binary", True, 10, 30)
    assert set(np.unique(sharp)) <= {0, 255}
    np.testing.assert_array_equal(output_value(np.array([0.0, 0.5, 1.0]), "binary", False), [-1, 0, 1])
    feats = feature_grids((-6, 6, -6, 6), 10)
    assert feats.shape == (7, 10, 10) and feats[0, 0, 0] < 128 < feats[0, 0, -1]  # x₁ grows to the right


def test_the_walk_lights_one_layer_at_a_time():
    net = Network([2, 3, 2, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    rec = net.backprop(np.array([[1.0, -2.0], [0.5, 0.5]]), np.array([[1.0], [0.0]]))
    L = ps.playground_layout(net.sizes, FEATS, task="binary", domain=(-6, 6, -6, 6))
    assert [lit_layers(s, 3) for s in range(4)] == [(3,), (3, 2), (3, 2, 1), (3, 2, 1)]
    texts = {}
    styles, marks = walk_styles(L, rec, 1, 1, texts)
    layers = np.array([n["layer"] for n in L["nodes"]])
    np.testing.assert_array_equal(marks, np.where(layers == 2, ps.NODE_LIT, np.where(layers == 3, ps.NODE_WALKED, 0)))
    link_layers = np.array([link["layer"] for link in L["links"]])
    assert np.all((styles[:, 2] & ps.LIT > 0) == (link_layers == 2))
    assert set(texts) == {"note:2:0", "note:2:1", "note:3:0"}
    assert re.fullmatch(r"δ = [+−]\S+", texts["note:2:1"])


def test_the_picture_draws_every_map_and_link():
    L = layout()
    n = len(L["nodes"])
    frame = ps.Frame(
        grids=np.zeros((n, 20, 20), np.uint8), features=np.zeros((7, 20, 20), np.uint8),
        map=np.full((80, 80), 200, np.uint8), links=ps.weight_styles(np.linspace(-2, 2, len(L["links"]))),
        biases=np.zeros(len(L["biases"]), np.uint8), node_marks=np.zeros(n, np.uint8),
        texts={"status0": "epoch 3", "pick": "1 2"},
        points=np.array([[0.0, 0.0], [50.0, 0.0]], np.float32), point_index=np.array([0, 255], np.uint8),
        point_test=np.array([False, True]),
    )  # fmt: skip
    svg = ps.playground_svg(L, frame)
    assert svg.count("<image ") == 7 + n + 1 and svg.count('stroke-dasharray="3 2"') >= 5
    assert "epoch 3" in svg and svg.count('stroke="#ffffff"') == 1  # the point outside the map is not drawn
    assert ps.pick_position(L, "1 2") is not None and svg == ps.playground_svg(L, frame)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_task_has_a_legend_and_palettes(task):
    L = ps.playground_layout((2, 3, 3 if task == "multiclass" else 1), FEATS, task=task, domain=(-1, 1, -2, 2))
    assert len(L["heat"]) == len(L["link_colors"]) == 256
    assert (L["classes"] is not None) == (task == "multiclass")
    assert len(L["map"]["legend"]) == {"binary": 2, "multiclass": 3, "regression": 3}[task]
    assert [t["text"] for t in L["map"]["ticks"]] == ["−1", "0", "1", "−2", "0", "2"]


@pytest.mark.parametrize("lecture", [False, True])
@pytest.mark.parametrize("hidden", [(4, 2), (8, 8), (2,), (6, 3, 1), (1,)])
def test_the_outputs_delta_label_clears_the_last_hidden_layers(hidden, lecture):
    """The walk's δ labels: a hidden neuron's above right of it, an output's under it, never on each other."""
    from explainer.views.diagram import text_width

    L = ps.playground_layout((2, *hidden, 1), FEATS, task="binary", domain=(-6, 6, -6, 6), lecture=lecture)
    small, width = L["small"], text_width(ps.NOTE_SAMPLE, L["small"])

    def box(n):
        note = n["note"]
        x0 = note["x"] - width / 2 if note["anchor"] == "middle" else note["x"]
        return x0, note["y"] - 0.6 * small, x0 + width, note["y"] + 0.6 * small

    outputs = [box(n) for n in L["nodes"] if n["output"]]
    hidden_boxes = [box(n) for n in L["nodes"] if not n["output"]]
    for x0, y0, x1, y1 in outputs:
        assert not any(a0 < x1 and x0 < a1 and b0 < y1 and y0 < b1 for a0, b0, a1, b1 in hidden_boxes)
