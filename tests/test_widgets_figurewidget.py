"""The FigureWidget that loads plotly.js once per page: a go.FigureWidget in Python, a small ESM in the browser.

What the browser does with it is checked in tests/browser/test_browser_voila.py (under Voilà on a busy
machine); here: the traits its ESM reads are there and hold plotly's own bundle and message names.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import plotly.graph_objects as go

from explainer.widgets import Playground
from explainer.widgets._figurewidget import FigureWidget

SHIM = Path(__file__).resolve().parents[1] / "explainer" / "widgets" / "figurewidget.js"


def _scatter() -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[3.0, 1.0, 2.0], name="a"))


def test_it_is_a_plotly_figurewidget_with_the_same_figure():
    w = FigureWidget(_scatter())
    assert isinstance(w, go.FigureWidget)
    (trace,) = w.to_dict()["data"]
    assert {k: v for k, v in trace.items() if k != "uid"} == {
        "type": "scatter",
        "name": "a",
        "x": [0, 1, 2],
        "y": [3.0, 1.0, 2.0],
    }


def test_the_esm_is_small_and_plotlys_bundle_travels_in_a_trait():
    state = FigureWidget(_scatter()).get_state()
    bundle = str(go.FigureWidget._esm)
    assert len(bundle) > 1_000_000  # plotly.js itself
    assert len(state["_esm"]) < 10_000
    assert state["_esm"] == SHIM.read_text(encoding="utf-8")
    assert state["_plotly_bundle"] == bundle
    assert state["_plotly_bundle_id"] == hashlib.sha256(bundle.encode("utf-8")).hexdigest()[:16]


def test_every_plotly_message_trait_is_queued_until_plotly_has_loaded():
    messages = FigureWidget().get_state()["_plotly_messages"]
    expected = {name for name in go.FigureWidget.class_trait_names() if name.startswith("_py2js_")}
    assert set(messages) == expected
    assert {"_py2js_restyle", "_py2js_relayout", "_py2js_update"} <= expected


def test_the_esm_reads_exactly_the_traits_the_widget_syncs():
    read = set(re.findall(r'model\.get\("(\w+)"\)', SHIM.read_text(encoding="utf-8")))
    synced = set(FigureWidget().get_state())
    assert read == {"_plotly_bundle", "_plotly_bundle_id", "_plotly_messages"}
    assert read <= synced


def test_an_update_still_reaches_the_figure():
    w = FigureWidget(_scatter())
    w.plotly_update(restyle_data={"y": [[5.0, 6.0, 7.0]]}, trace_indexes=[0])
    assert list(w.data[0].y) == [5.0, 6.0, 7.0]


def test_the_playground_figures_are_these_widgets():
    app = Playground()
    try:
        assert set(app.figures) == {"boundary", "loss", "norms"}
        assert all(isinstance(fig, FigureWidget) for fig in app.figures.values())
    finally:
        app.close()
