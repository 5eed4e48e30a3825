"""The loss map as a still picture (explainer.views.surface_picture): the engine's numbers, placed on a grid."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from explainer.course.scenarios import get_scenario
from explainer.engine.loss_surface import loss_surface
from explainer.engine.training import train
from explainer.views.style import fmt_plain
from explainer.views.surface_picture import surface_picture

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def worked():
    sc = get_scenario("worked_example")
    net, X, y = sc.network, sc.X, sc.y
    surface = loss_surface(net, X, y, params=("W2[0,0]", "W2[0,1]"), span=10.0, resolution=41)
    plane = net.copy()
    plane.freeze(*[p for p in plane.parameter_names if p not in ("W2[0,0]", "W2[0,1]")])
    histories = {name: train(plane.copy(), X, y, lr=0.5, steps=30, optimizer=name) for name in ("sgd", "adam")}
    return surface, histories


def test_the_legend_gives_each_paths_last_loss_and_the_title_the_start(worked):
    surface, histories = worked
    scene = surface_picture(surface, histories, title="two paths")
    texts = scene.texts()
    assert texts[0] == "two paths"
    assert f"L at the start θ₀ (★) = {fmt_plain(surface.loss_at_center)}" in texts[1]
    for h in histories.values():
        assert f"L = {fmt_plain(float(h.train_loss[-1]))} after 30 steps" in texts
    assert "ΔW2[0,0] (from the start)" in texts and "ΔW2[0,1] (from the start)" in texts


def test_each_path_is_drawn_where_the_engine_projects_it(worked):
    surface, histories = worked
    svg = surface_picture(surface, histories).svg()
    root = ET.fromstring(svg)
    lines = list(root.iter(SVG + "polyline"))
    assert len(lines) == 2
    # The map is 440 px for u, v in [−10, 10]: pixel x = 86 + (u + 10) / 20 · 440.
    for line, h in zip(lines, histories.values()):
        pts = np.array([[float(v) for v in p.split(",")] for p in line.get("points").split()])
        uv = surface.project(h.parameters)
        assert np.allclose(pts[:, 0], 86 + (uv[:, 0] + 10) / 20 * 440, atol=0.01)
        assert np.allclose(pts[:, 1], 78 + (10 - uv[:, 1]) / 20 * 440, atol=0.01)
    assert re.search(r'<image href="data:image/png;base64,', svg)


def test_a_diverging_path_is_marked_and_its_far_points_left_out():
    sc = get_scenario("diverging_learning_rate")
    net, X, y = sc.network, sc.X, sc.y
    surface = loss_surface(net, X, y, params=("W2[0,0]", "W2[2,0]"), span=4.0, resolution=21)
    h = train(net.copy(), X, y, lr=sc.lr, steps=200, optimizer="sgd")
    assert h.diverged
    scene = surface_picture(surface, {"SGD": h})
    assert any(t.startswith("diverged at step") for t in scene.texts()) and "✕" in scene.texts()
    ET.fromstring(scene.svg())  # finite coordinates only: it parses


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError):
        surface_picture("a surface")
