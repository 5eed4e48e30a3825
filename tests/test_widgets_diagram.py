"""Diagram, the SVG widget of the live diagrams, from Python: what it accepts, sends and reports.

How it draws is checked in a browser (tests/browser/test_browser_diagram.py) against plotly.js.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from explainer.course import scenarios
from explainer.views import plot_neuron_graph
from explainer.views.network import network_spec
from explainer.widgets._diagram import Diagram, check_spec


@pytest.fixture
def record():
    sc = scenarios.get_scenario("worked_example")
    return sc.network.backprop(sc.X, sc.y)


def _figures(record):
    yield network_spec(record, "values")
    yield network_spec(record, "gradients", lr=0.5)
    for stage in range(record.n_layers + 2):
        yield network_spec(record, "gradients", stage=stage, lr=0.5)
    yield network_spec(record, "gradients", theme="dark", lecture=True)
    for layer in range(1, record.n_layers + 1):
        yield plot_neuron_graph(record, layer, 0).to_plotly_json()


def test_every_diagram_the_explorer_shows_is_drawable(record):
    for fig in _figures(record):
        spec = check_spec(fig)
        assert "frames" not in spec
        json.dumps(spec)  # plain JSON: no numpy arrays left


@pytest.mark.parametrize("name", sorted(scenarios.SCENARIOS))
def test_every_scenario_is_drawable_in_both_modes(name):
    sc = scenarios.get_scenario(name)
    rec = sc.network.backprop(sc.X, sc.y)
    for mode in ("values", "gradients"):
        check_spec(network_spec(rec, mode))


def _spec(**trace):
    return {"data": [{"type": "scatter", "x": [0, 1], "y": [0, 1], **trace}], "layout": {"width": 300}}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"data": [{"type": "heatmap", "z": [[1]]}]}, r"type must be 'scatter'; got 'heatmap'"),
        (_spec(mode="lines+bars"), r"mode must combine lines, markers, text with '\+'; got 'lines\+bars'"),
        (_spec(marker={"symbol": ["circle", "star"]}), r"marker.symbol must be one of circle, diamond, square"),
        (_spec(fill="tozeroy"), r"trace 0 \(None\) may hold .*; got also fill"),
        ({"data": [], "layout": {"shapes": [{"type": "line"}]}}, r"spec's layout may hold .*; got also shapes"),
        ({"layout": {}}, r"spec must be a plotly figure dict with a 'data' list"),
        ("figure", r"spec must be a plotly figure dict with a 'data' list; got str"),
    ],
)
def test_what_it_cannot_draw_is_refused_with_a_clear_error(spec, message):
    with pytest.raises(ValueError, match=message):
        check_spec(spec)
    with pytest.raises(ValueError, match=message):
        Diagram(spec)


def test_a_figure_object_and_its_dict_give_the_same_drawing(record):
    fig = plot_neuron_graph(record, 1, 0)
    assert Diagram(fig).spec == Diagram(fig.to_plotly_json()).spec


@pytest.fixture
def sent(monkeypatch):
    """The messages each Diagram built in the test sends to its front end, once built."""
    messages = []
    init = Diagram.__init__

    def spying_init(self, spec):
        init(self, spec)
        monkeypatch.setattr(self.comm, "send", lambda data=None, **kw: messages.append(data))

    monkeypatch.setattr(Diagram, "__init__", spying_init)
    return messages


def test_an_update_is_one_message_with_the_whole_figure_and_none_when_nothing_changed(record, sent):
    diagram = Diagram(network_spec(record, "gradients", stage=0))
    stage1 = network_spec(record, "gradients", stage=1)
    diagram.update(stage1)
    assert len(sent) == 1 and sent[0]["method"] == "update"
    assert sent[0]["state"] == {"spec": check_spec(stage1)}
    diagram.update(network_spec(record, "gradients", stage=1))  # built again: equal, so nothing is sent
    assert len(sent) == 1 and diagram.updates == 1


def test_a_bad_update_keeps_the_last_drawing(record):
    diagram = Diagram(network_spec(record, "values"))
    before = diagram.spec
    with pytest.raises(ValueError, match="type must be 'scatter'"):
        diagram.update({"data": [{"type": "surface", "z": [[0]]}]})
    assert diagram.spec == before and diagram.updates == 0


def _front_end_click(diagram, trace, point):
    """The comm message diagram.js sends when a point is clicked."""
    data = {"method": "custom", "content": {"event": "click", "trace": trace, "point": point}}
    diagram._handle_msg({"content": {"data": data}, "buffers": []})


def test_a_click_reports_the_trace_point_and_customdata(record):
    spec = network_spec(record, "gradients")
    diagram = Diagram(spec)
    clicks = []
    diagram.on_click(lambda *args: clicks.append(args))
    k = [t["name"] for t in spec["data"]].index("edge_labels")
    _front_end_click(diagram, k, 4)
    k_nodes = [t["name"] for t in spec["data"]].index("nodes")
    _front_end_click(diagram, k_nodes, 2)
    assert clicks == [("edge_labels", 4, "W2[0,0]"), ("nodes", 2, [1, 0])]


def test_a_click_on_no_such_point_is_an_error_naming_it(record):
    diagram = Diagram(network_spec(record, "values"))
    with pytest.raises(ValueError, match=r"trace must be an index from 0 to \d+; got 99"):
        diagram.click(99, 0)
    with pytest.raises(ValueError, match=r"point must be an index from 0 to 9 of trace 'edge_labels'; got 10"):
        diagram.click([t["name"] for t in diagram.spec["data"]].index("edge_labels"), 10)
    callable_error = r"callback must be callable as callback\(trace_name, point, customdata\); got 3"
    with pytest.raises(ValueError, match=callable_error):
        diagram.on_click(3)


def test_figure_is_the_drawing_as_a_plotly_figure(record):
    spec = network_spec(record, "gradients")
    diagram = Diagram(spec)
    assert isinstance(diagram.figure, go.Figure)
    assert diagram.figure.to_plotly_json() == go.Figure(spec).to_plotly_json()
