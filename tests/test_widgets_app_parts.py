"""The parts every app is made of: the SVG Diagram, the number rows, the live figure and the app model itself."""

from __future__ import annotations

import json

import ipywidgets
import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import worked_example
from explainer.views.network_diagram import network_diagram
from explainer.widgets.app import App, Coalescer, check_theme
from explainer.widgets.diagram import Diagram
from explainer.widgets.live_figure import LiveFigure, PlotlyLibrary, plain, plotly_library
from explainer.widgets.sliders import Row, Sliders, number, readout, row, widened
from explainer.widgets.theme import resolve


@pytest.fixture
def scene():
    sc = worked_example()
    return network_diagram(sc.network.backprop(sc.X, sc.y), "gradients")


# ---------------------------------------------------------------------------------------------- Diagram
def test_the_diagram_holds_the_scene_and_sends_one_message_per_change(scene):
    d = Diagram(scene)
    assert d.parts == [[p.id, p.svg] for p in scene.parts] and d.updates == 0
    sc = worked_example()
    sc.network.set("W1[0,0]", 0.3)
    other = network_diagram(sc.network.backprop(sc.X, sc.y), "gradients")
    d.show(other)
    assert d.updates == 1 and d.scene is other
    d.show(other)  # nothing changed: nothing sent
    assert d.updates == 1
    with pytest.raises(ValueError, match="scene must be"):
        d.show({"data": []})
    d.close()


def test_a_click_or_enter_selects_and_a_hover_is_answered(scene):
    d = Diagram(scene)
    chosen, sent = [], []
    d.on_select(chosen.append)
    d.send = sent.append
    d._on_message(None, {"event": "select", "key": "W2[0,0]"}, [])
    d._on_message(None, {"event": "hover", "key": "W2[0,0]", "seq": 7}, [])
    assert chosen == ["W2[0,0]"] and sent[0]["seq"] == 7 and "∂L/∂w₅" in sent[0]["html"]
    with pytest.raises(ValueError, match="key must be one of the diagram's targets"):
        d.select("W9[0,0]")
    with pytest.raises(ValueError, match="callback must be callable"):
        d.on_select("no")
    d.close()


def test_the_diagram_offers_its_still_picture(scene):
    d = Diagram(scene)
    data = d._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert data["image/svg+xml"] == scene.svg() and "application/vnd.jupyter.widget-view+json" in data
    d.close()


# ---------------------------------------------------------------------------------------------- number rows
def test_a_row_prints_the_value_and_shows_a_value_beyond_its_range_as_beyond():
    r = row("W", "W", -3.064098, -3.0, 3.0, 0.01)
    assert r["value"] == -3.064098 and r["text"] == "−3.064098" and r["beyond"] == "below" and r["position"] == -3.0
    r = row("lr", "η", 0.5, -3.0, 2.0, 0.001, log=True)
    assert r["position"] == pytest.approx(np.log10(0.5)) and r["text"] == "0.5"
    assert readout(0.35891648) == "0.3589165" and readout(float("nan")) == "NaN"
    assert widened(-3.064, -3.0, 3.0) == (-7.0, 7.0) and widened(1.0, -3.0, 3.0) == (-3.0, 3.0)


def test_a_gesture_reaches_the_callbacks_and_a_bad_text_is_a_named_error():
    s = Sliders([row("x[0]", "x[0]", 0.05, -3, 3, 0.01)])
    got = []
    s.on_input(lambda key, value: got.append((key, number(key, value))))
    s._on_message(None, {"event": "input", "key": "x[0]", "value": 0.06}, [])
    s._on_message(None, {"event": "input", "key": "x[0]", "value": "−0.25"}, [])
    assert got == [("x[0]", 0.06), ("x[0]", -0.25)]
    with pytest.raises(ValueError, match=r"x\[0\]: '0\.1\.2' is not a number"):
        number("x[0]", "0.1.2")
    with pytest.raises(ValueError, match="finite"):
        number("x[0]", float("inf"))
    proxy = Row(s, "x[0]")
    assert proxy.value == 0.05 and proxy.min == -3 and proxy.max == 3
    with pytest.raises(ValueError, match="key must be one of x"):
        s.input("y", 1.0)
    s.close()


# ---------------------------------------------------------------------------------------------- live figure
def test_the_live_figure_sends_only_what_changed():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 2], name="a"), layout=dict(title="t"))
    live = LiveFigure(fig)
    sent = []
    live.send = sent.append
    live.update(go.Figure(go.Scatter(x=[0, 1], y=[1, 3], name="a"), layout=dict(title="t")))
    assert sent[-1]["event"] == "patch" and sent[-1]["traces"] == {"0": {"y": [1, 3]}} and sent[-1]["layout"] == {}
    live.update(go.Figure(go.Scatter(x=[0, 1], y=[1, 3], name="a"), layout=dict(title="t")))
    assert len(sent) == 1  # nothing changed: nothing sent
    live.update(go.Figure([go.Scatter(y=[1]), go.Bar(y=[2])]))
    assert sent[-1]["event"] == "full" and live.updates == 2
    assert [t.type for t in live.figure.data] == ["scatter", "bar"]
    live.close()


def test_a_view_that_missed_patches_gets_the_whole_figure():
    live = LiveFigure({"data": [{"type": "scatter", "y": [1]}], "layout": {}})
    sent = []
    live.send = sent.append
    live.update({"data": [{"type": "scatter", "y": [2]}], "layout": {}})
    live._on_message(None, {"event": "hello", "revision": 0}, [])
    assert sent[-1]["event"] == "full" and sent[-1]["figure"]["data"][0]["y"] == [2]
    live._on_message(None, {"event": "hello", "revision": live.revision}, [])
    assert len(sent) == 2  # an up-to-date view is left alone
    live.close()


def test_frames_play_in_the_page_and_frame_figure_is_what_it_shows():
    live = LiveFigure({"data": [{"type": "scatter", "x": [0], "y": [0], "marker": {"size": 4}}], "layout": {}})
    frames = [
        {"name": str(k), "traces": [0], "data": [{"x": list(range(k + 1)), "marker": {"color": "red"}}]}
        for k in range(3)
    ]
    live.set_frames(frames, ["a", "b", "c"])
    assert live.frame == 2 and not live.playing
    shown = live.frame_figure(1).data[0]
    assert list(shown.x) == [0, 1] and shown.marker.size == 4 and shown.marker.color == "red"
    with pytest.raises(ValueError, match="status must hold one line per frame"):
        live.set_frames(frames, ["a"])
    with pytest.raises(ValueError, match="k must be a frame index"):
        live.frame_figure(3)
    live.close()


def test_plotly_js_travels_once_per_kernel():
    a = LiveFigure({"data": [], "layout": {}})
    b = LiveFigure({"data": [], "layout": {}})
    assert a.library is b.library is plotly_library()
    assert isinstance(a.library, PlotlyLibrary) and a.library.source.startswith("/**") and a.library.version
    state_a = a.get_state()
    # A figure's own state refers to the library, it does not carry it: only its own module (~12 KB) and CSS.
    assert len(json.dumps(state_a)) < 50_000 < len(a.library.source)
    assert a.library.source[:2000] not in json.dumps(state_a)
    a.close()
    b.close()


def test_plain_is_strict_json():
    value = plain(
        {
            "a": np.array([1.0, np.nan]),
            "b": np.float64(2.5),
            "c": [np.inf],
            "d": {"bdata": "AAAAAAAA8D8=", "dtype": "f8"},
        }
    )
    assert value == {"a": [1.0, None], "b": 2.5, "c": [None], "d": [1.0]}
    json.dumps(value, allow_nan=False)


# ---------------------------------------------------------------------------------------------- app model
class Counter(App):
    """The smallest app: one number, a render that can fail."""

    def __init__(self):
        super().__init__()
        self.value = 0
        self.shown = self._own(ipywidgets.HTML())
        self.root = self._wrap(self.shown)
        self.fail_above = 10
        self._render_all()

    def _snapshot(self):
        return self.value

    def _restore(self, snapshot):
        self.value = snapshot

    def _render(self):
        if self.value > self.fail_above:
            raise RuntimeError("too big to draw")
        self.shown.value = str(self.value)

    def set(self, value):
        self.value = value
        self._request()


def test_a_gesture_that_fails_to_draw_keeps_the_last_good_state():
    app = Counter()
    app._gesture(lambda: setattr(app, "value", 5))
    assert app.shown.value == "5" and app.message.value == ""
    app._gesture(lambda: setattr(app, "value", 50))
    assert app.value == 5 and app.shown.value == "5"
    assert "too big to draw" in app.message.value and "last good state is kept" in app.errors[-1]
    app._gesture(lambda: setattr(app, "value", 6))
    assert app.message.value == "" and app.shown.value == "6"
    with pytest.raises(RuntimeError, match="too big"):
        app.set(99)  # from a script the failure reaches the caller, after the state was put back
    assert app.value == 6
    app.close()
    with pytest.raises(RuntimeError, match="was closed"):
        app.set(1)


def test_theme_auto_resolves_to_the_page_and_bad_themes_are_named():
    assert resolve("auto", "") == "light" and resolve("auto", "dark") == "dark" and resolve("light", "dark") == "light"
    with pytest.raises(ValueError, match="theme must be one of auto, light, dark"):
        check_theme("neon")


def test_the_coalescer_runs_at_once_without_a_loop():
    runs = []
    c = Coalescer(lambda: runs.append(1))
    c.request()
    c.request()
    assert runs == [1, 1] and c.runs == 2
