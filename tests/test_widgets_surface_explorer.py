"""LossSurfaceExplorer driven from Python: controls set, buttons clicked, engine state and figure data checked."""

from __future__ import annotations

import asyncio
import gc
import json
import re

import numpy as np
import plotly.graph_objects as go
import psutil
import pytest

import explainer.widgets.surface_explorer as surface_module
from explainer import Network
from explainer.course.scenarios import get_scenario
from explainer.engine.history import diverged_at
from explainer.engine.loss_surface import loss_surface
from explainer.engine.training import train
from explainer.views.style import fmt_plain
from explainer.views.surface import decode_typed_array
from explainer.widgets import LossSurfaceExplorer
from explainer.widgets.surface_explorer import OPTIMIZER_LABELS, PRESETS

SMALL = dict(steps=20, resolution=21)  # quick apps: 21 frames, a 21 × 21 grid


def small(**kwargs) -> LossSurfaceExplorer:
    return LossSurfaceExplorer(**{**SMALL, **kwargs})


def trace(app, name: str, kind: str = "scatter", frame: int | None = None):
    """The figure's trace ``name`` of type ``kind`` (scatter: the contour view; scatter3d: the 3-D view), as the
    page draws it (at ``frame``, or the frame shown)."""
    fig = app.figure_widget.frame_figure(app.frame if frame is None else frame)
    hits = [t for t in fig.data if t.name == name and t.type == kind]
    assert len(hits) == 1, [(t.type, t.name) for t in app.figure.data]
    return hits[0]


def nums(values) -> np.ndarray:
    """A trace property's numbers (plotly may hold them as a typed-array dict)."""
    if isinstance(values, dict):
        arr = decode_typed_array(values)
        shape = values.get("shape")
        return arr.reshape([int(n) for n in str(shape).split(",")]) if shape else arr
    return np.asarray(values, dtype=float)


def finite_numbers(values) -> bool:
    return bool(np.all(np.isfinite(nums(values))))


# ---------------------------------------------------------------------------------------------- the default app
def test_default_app_is_the_worked_example_in_the_w2_plane():
    app = LossSurfaceExplorer()
    sc = get_scenario("worked_example")
    np.testing.assert_array_equal(app.network.parameters, sc.network.parameters)
    assert app.surface.labels == ("W2[0,0]", "W2[0,1]")
    assert app.surface.mode == "params"
    assert set(app.histories) == set(PRESETS["worked_example"]["optimizers"])
    assert all(h.lr == 0.5 for h in app.histories.values())
    # The record is the network's at the start, on the scenario's data: Mazur's printed loss.
    assert app.record.loss == pytest.approx(0.298371109, abs=1e-9)
    # Displaying the app shows its widget tree.
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_surface_z_in_the_figure_is_the_engines_losses():
    app = small()
    z = nums(trace(app, "loss surface", "surface").z)
    np.testing.assert_allclose(z, np.asarray(app.surface.losses).T)
    # The invisible click target carries the same losses (rows follow v).
    hm = trace(app, "click to start here", "heatmap")
    np.testing.assert_allclose(nums(hm.z), np.asarray(app.surface.losses).T)
    np.testing.assert_allclose(nums(hm.x), app.surface.u)


def test_choosing_parameters_changes_labels_axis_titles_and_the_surface():
    app = small()
    before = np.array(app.surface.losses)
    app.controls["param_u"].value = "W1[0,0]"
    assert app.surface.labels == ("W1[0,0]", "W2[0,1]")
    fig = app.figure
    assert fig.layout.xaxis.title.text == "ΔW1[0,0] (from the start)"  # the axes are offsets from θ₀
    assert fig.layout.yaxis.title.text == "ΔW2[0,1] (from the start)"
    assert fig.layout.scene.xaxis.title.text == "ΔW1[0,0] (from the start)"
    assert not np.allclose(before, app.surface.losses)
    # The new surface is the engine's for that plane.
    ref = loss_surface(
        app.network, app._X, app._Y, params=("W1[0,0]", "W2[0,1]"), span=app.settings.span, resolution=21
    )
    np.testing.assert_allclose(app.surface.losses, ref.losses)
    np.testing.assert_allclose(nums(trace(app, "loss surface", "surface").z), ref.losses.T)


def test_paths_are_the_projected_histories():
    app = small()
    assert app.n_frames == 21
    for name, h in app.histories.items():
        uv = app.surface.project(h.parameters)
        label = OPTIMIZER_LABELS[name]
        flat, solid = trace(app, label, "scatter"), trace(app, label, "scatter3d")
        np.testing.assert_allclose(nums(flat.x), uv[:, 0])
        np.testing.assert_allclose(nums(flat.y), uv[:, 1])
        np.testing.assert_allclose(nums(solid.x), uv[:, 0])
        np.testing.assert_allclose(nums(solid.z), h.train_loss)
        # Each history is the engine's own run from the start with that optimiser.
        net = app.network.copy()
        net.freeze(*[p for p in net.parameter_names if p not in ("W2[0,0]", "W2[0,1]")])
        ref = train(net, app._X, app._Y, optimizer=name, lr=0.5, steps=20)
        np.testing.assert_allclose(h.parameters, ref.parameters)


def test_frame_slider_shows_the_first_k_plus_one_points():
    app = small()
    h = app.histories["sgd"]
    uv = app.surface.project(h.parameters)
    for k in (0, 1, 7, 20, 3):
        app.show_frame(k)
        assert app.frame == k and app.figure_widget.frame == k
        flat = trace(app, "SGD", "scatter")
        assert len(flat.x) == k + 1
        np.testing.assert_allclose(nums(flat.x), uv[: k + 1, 0])
        np.testing.assert_allclose(nums(flat.y), uv[: k + 1, 1])
        assert len(trace(app, "Adam", "scatter3d").x) == k + 1
        # The current point is step k.
        head = trace(app, "SGD: now", "scatter")
        assert head.x[0] == pytest.approx(uv[k, 0])
        assert f"step {k} of 20" in app.status
        assert app.figure_widget.frame_status[k] == app.status  # the line the page shows under frame k
    app.show_frame(20)
    assert len(trace(app, "SGD", "scatter").x) == 21
    with pytest.raises(ValueError, match="k must be a frame index"):
        app.show_frame(21)


def _arrays_in(value, path=""):
    """Paths of numpy arrays and base64 typed-array dicts inside a trace's properties."""
    if isinstance(value, np.ndarray):
        return [path]
    if isinstance(value, dict):
        if "bdata" in value:
            return [path]
        return [p for k, v in value.items() for p in _arrays_in(v, f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [p for k, v in enumerate(value) for p in _arrays_in(v, f"{path}[{k}]")]
    return []


def test_the_widget_holds_plain_json_values_only():
    # What travels to the page is strict JSON: no numpy arrays, no NaN (JSON.parse refuses it).
    app = small()
    assert not [p for tr in app.figure_widget.current["data"] for p in _arrays_in(tr)]
    app.show_frame(3)
    app.controls["lr"].value = 0.7
    app.controls["adam"].value = False  # another number of traces: sent whole
    app.show_frame(5)
    json.dumps(app.figure_widget.current, allow_nan=False)
    json.dumps(app.figure_widget.frames, allow_nan=False)
    assert not _arrays_in(app.figure_widget.current["layout"])


def test_one_message_per_event():
    app = small()
    widget = app.figure_widget
    sent = widget.updates
    app.show_frame(4)  # a frame is drawn by the page from the frames it holds: no figure message
    assert widget.updates == sent
    app.controls["lr"].value = 0.8
    assert widget.updates == sent + 1
    assert app.figure_widget is widget  # updated in place, not rebuilt
    app.controls["span"].value = 2.0
    assert widget.updates == sent + 2
    assert app.surface.span == pytest.approx(2.0)
    app.set_theme("dark")
    assert widget.updates == sent + 3
    app.set_theme("dark")  # nothing changed: nothing sent
    assert widget.updates == sent + 3


def test_several_optimisers_one_path_trace_each_and_the_play_widget_drives_the_slider():
    app = small(optimizers=("sgd",))
    assert [t.name for t in app.figure.data if t.type == "scatter" and t.name in OPTIMIZER_LABELS.values()] == ["SGD"]
    app.controls["momentum"].value = True
    app.controls["adam"].value = True
    names = [t.name for t in app.figure.data if t.type == "scatter" and t.name in OPTIMIZER_LABELS.values()]
    assert names == ["SGD", "momentum", "Adam"]
    assert set(app.histories) == {"sgd", "momentum", "adam"}
    # Same start for all, different walks.
    starts = [h.parameters[0] for h in app.histories.values()]
    assert all(np.array_equal(starts[0], s) for s in starts)
    assert not np.allclose(app.histories["sgd"].parameters[-1], app.histories["adam"].parameters[-1])
    # The page plays the frames it holds: one per frame of the animation, each with its status line.
    assert len(app.figure_widget.frames) == len(app.figure_widget.frame_status) == app.n_frames
    # Leaving none chosen is refused and the last choice is put back.
    app.controls["sgd"].value = False
    app.controls["momentum"].value = False
    app.controls["adam"].value = False
    assert "at least one" in app.errors[-1]
    app.flush()
    assert app.controls["adam"].value is True  # the control shows the state again
    assert set(app.histories) == {"adam"}


def test_start_from_moves_the_start_of_every_path():
    app = small()
    surface = app.surface
    app.start_from(1.2, -0.8)
    assert app.surface is surface  # the surface stays
    expected = surface.center + 1.2 * surface.direction_u - 0.8 * surface.direction_v
    np.testing.assert_allclose(app.network.parameters, expected)
    assert app.network.get("W2[0,0]") == pytest.approx(0.40 + 1.2)
    assert app.network.get("W2[0,1]") == pytest.approx(0.50 - 0.8)
    for h in app.histories.values():
        np.testing.assert_allclose(surface.project(h.parameters[0]), [1.2, -0.8], atol=1e-12)
    flat = trace(app, "SGD", "scatter")
    assert (flat.x[0], flat.y[0]) == pytest.approx((1.2, -0.8))
    with pytest.raises(ValueError, match="u must be a finite number"):
        app.start_from(float("nan"), 0.0)


def test_a_click_on_the_map_starts_from_there():
    app = small()
    index = [t.name for t in app.figure.data].index("click to start here")
    app.figure_widget.click(index, 17, {"x": -1.5, "y": 0.6})
    for h in app.histories.values():
        np.testing.assert_allclose(app.surface.project(h.parameters[0]), [-1.5, 0.6], atol=1e-12)
    # The new descent plays from its start.
    assert app.figure_widget.playing and app.frame == 0
    assert len(trace(app, "SGD", "scatter").x) == 1
    app.controls["lr"].value = 0.6  # any new picture stops the player and shows the full paths
    assert not app.figure_widget.playing and app.frame == app.n_frames - 1
    # A click on the 3-D surface does the same; a click without coordinates does nothing.
    surf = [t.name for t in app.figure.data].index("loss surface")
    app.figure_widget.click(surf, 0, {})
    np.testing.assert_allclose(app.surface.project(app.network.parameters), [-1.5, 0.6], atol=1e-12)
    app.figure_widget.click(surf, 0, {"x": 0.3, "y": 0.3, "z": 0.2})
    np.testing.assert_allclose(app.surface.project(app.network.parameters), [0.3, 0.3], atol=1e-12)


def test_learning_rate_change_retrains():
    app = small()
    before = app.histories["sgd"].parameters.copy()
    app.controls["lr"].value = 2.0
    h = app.histories["sgd"]
    assert h.lr == 2.0
    assert not np.allclose(before, h.parameters)
    uv = app.surface.project(h.parameters)
    np.testing.assert_allclose(nums(trace(app, "SGD", "scatter").x), uv[:, 0])
    assert "η = 2" in app.figure.layout.title.text
    app.controls["steps"].value = 10
    assert len(app.histories["sgd"]) == 11 and app.n_frames == 11


def test_huge_learning_rate_says_diverged_keeps_finite_data_and_reset_restores_the_preset():
    app = LossSurfaceExplorer(scenario="diverging_learning_rate", steps=40, resolution=21)
    start = app.network.parameters
    app.controls["lr"].value = 30.0
    assert "diverg" in app.message.value
    assert "too large" in app.message.value
    assert "bpx-msg-warning" in app.message.value  # a lesson, not an error: app.errors stays empty
    assert not app.errors
    for t in app.figure.data:
        for key in ("x", "y", "z"):
            values = getattr(t, key, None)
            if values is not None and len(values):
                assert finite_numbers(values), (t.name, key)
    app.controls["reset"].click()
    assert app.controls["lr"].value == pytest.approx(2.5)
    assert app.settings.steps == 40
    np.testing.assert_array_equal(app.network.parameters, start)
    assert "Back to the start" in app.message.value or "diverg" in app.message.value


def test_diverging_preset_diverges_plainly_and_the_figure_shows_the_banner():
    app = LossSurfaceExplorer(scenario="diverging_learning_rate", resolution=21)
    h = app.histories["sgd"]
    k = diverged_at(h.train_loss)  # the engine's one rule: non-finite, or 10⁴ × the starting loss
    assert k is not None and 0 < k
    # One step number, said once, in the engine's words.
    assert f"SGD: The loss diverged at step {int(h.steps[k])}" in app.message.value
    assert app.message.value.count("diverged at step") == 1
    assert "Adam: The loss diverged" not in app.message.value
    texts = [a.text for a in app.figure.layout.annotations]
    assert any("diverged" in (t or "") for t in texts), texts


def test_engine_exception_is_shown_and_the_last_picture_kept(monkeypatch):
    app = small()
    x_before = nums(trace(app, "SGD", "scatter").x)
    z_before = nums(trace(app, "loss surface", "surface").z)
    lr_before, span_before = app.controls["lr"].value, app.controls["span"].value

    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(surface_module, "train", broken)
    app.controls["lr"].value = 0.9
    assert "engine exploded" in app.message.value and "RuntimeError" in app.errors[-1]
    assert app.controls["lr"].value == lr_before  # the control shows the state, which is put back
    np.testing.assert_array_equal(nums(trace(app, "SGD", "scatter").x), x_before)
    with pytest.raises(RuntimeError):
        app.start_from(0.5, 0.5)  # from Python the exception reaches the caller, and the start stays
    assert app.surface.project(app.network.parameters) == pytest.approx([0.0, 0.0])

    monkeypatch.setattr(surface_module, "train", train)
    monkeypatch.setattr(surface_module, "loss_surface", broken)
    app.controls["span"].value = 1.5
    assert "engine exploded" in app.errors[-1]
    assert app.controls["span"].value == span_before
    np.testing.assert_array_equal(nums(trace(app, "loss surface", "surface").z), z_before)

    # The next valid change works, and the red message goes.
    monkeypatch.setattr(surface_module, "loss_surface", loss_surface)
    app.controls["span"].value = 1.5
    assert app.surface.span == pytest.approx(1.5)
    assert "bpx-msg-error" not in app.message.value
    assert not np.allclose(nums(trace(app, "loss surface", "surface").z), z_before)


def test_same_parameter_twice_is_refused_and_put_back():
    app = small()
    app.controls["param_v"].value = "W2[0,0]"
    assert "two different parameters" in app.errors[-1]
    app.flush()
    assert app.controls["param_v"].value == "W2[0,1]"
    assert app.surface.labels == ("W2[0,0]", "W2[0,1]")


def test_directions_random_filter_pca():
    app = small(optimizers=("sgd", "momentum"))
    app.controls["directions"].value = "random"
    assert app.surface.mode == "random"
    assert app.controls["param_u"].disabled and app.controls["only_plane"].disabled
    assert app.figure.layout.xaxis.title.text == "random direction 1"
    app.controls["directions"].value = "filter"
    assert app.surface.mode == "filter"
    app.controls["directions"].value = "pca"
    s = app.surface
    assert s.mode == "pca" and s.labels[0].startswith("PC1")
    # PCA of the first optimiser's path around the start: its path spans the plane, and starts at (0, 0).
    uv = s.project(app.histories["sgd"].parameters)
    np.testing.assert_allclose(uv[0], [0.0, 0.0], atol=1e-12)
    ref = loss_surface(
        app.network,
        app._X,
        app._Y,
        directions="pca",
        history=app.histories["sgd"],
        span=app.settings.span,
        resolution=21,
    )
    np.testing.assert_allclose(s.direction_u, ref.direction_u)
    app.controls["directions"].value = "parameters"
    assert not app.controls["param_u"].disabled
    assert app.surface.labels == ("W2[0,0]", "W2[0,1]")


def test_only_plane_trains_the_two_parameters_alone():
    app = small(optimizers=("sgd",), only_plane=False)
    moved = np.abs(app.histories["sgd"].parameters[-1] - app.histories["sgd"].parameters[0]) > 0
    assert moved.sum() > 2  # every unfrozen weight trains
    app.controls["only_plane"].value = True
    h = app.histories["sgd"]
    moved = np.abs(h.parameters[-1] - h.parameters[0]) > 0
    assert [n for n, m in zip(h.parameter_names, moved) if m] == ["W2[0,0]", "W2[0,1]"]


def test_presets_reset_everything_in_one_click():
    app = small()
    app.controls["lr"].value = 3.0
    app.controls["preset"].value = "xor"
    assert app.controls["preset"].value == "xor"  # the menu says which preset is on
    assert app.network.sizes == (2, 3, 1) or list(app.network.sizes) == [2, 3, 1]
    assert app.surface.mode == "pca"
    assert app.controls["lr"].value == pytest.approx(0.5)
    assert "XOR" in app.message.value
    app.controls["preset"].value = "worked_example"
    assert app.surface.labels == ("W2[0,0]", "W2[0,1]")
    assert app.settings.steps == PRESETS["worked_example"]["steps"]
    app.controls["preset"].value = "diverging_learning_rate"
    assert "diverg" in app.message.value
    app.controls["preset"].value = "vanishing_gradients"
    assert app.surface.labels == ("W1[0,0]", "W7[0,0]")
    # The first layer's weight hardly moves the loss, the last layer's does: vanishing gradients.
    g = np.abs(app.surface.gradient)
    assert g[0] < 0.01 * g[1]


def test_save_and_load_state_round_trip(tmp_path):
    app = small(optimizers=("sgd", "adam"))
    app.controls["lr"].value = 0.9
    app.controls["param_u"].value = "W1[1,1]"
    app.start_from(0.4, -0.3)
    app.show_frame(5)
    path = tmp_path / "surface.json"
    app.save_state(path)
    data = json.loads(path.read_text())
    assert data["app"] == "LossSurfaceExplorer" and path.stat().st_size < 20_000

    other = LossSurfaceExplorer(steps=5, resolution=11)
    other.load_state(path)
    assert other.settings == app.settings
    np.testing.assert_allclose(other.network.parameters, app.network.parameters)
    np.testing.assert_allclose(other.surface.losses, app.surface.losses)
    np.testing.assert_allclose(other.surface.center, app.surface.center)
    for name in app.histories:
        np.testing.assert_allclose(other.histories[name].parameters, app.histories[name].parameters)
    assert other.frame == 5
    assert len(trace(other, "SGD", "scatter").x) == 6

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"app": "BackpropExplorer"}))
    with pytest.raises(ValueError, match="does not hold a LossSurfaceExplorer state"):
        other.load_state(bad)
    bad.write_text(json.dumps({"app": "LossSurfaceExplorer", "network": {}}))
    with pytest.raises(ValueError):
        other.load_state(bad)
    assert other.settings == app.settings  # a bad file changes nothing


def test_snapshot_is_a_plain_figure_with_the_surface_and_the_paths():
    app = small()
    fig = app.snapshot()
    assert type(fig) is go.Figure
    assert [t.type for t in fig.data].count("surface") == 1
    assert len(fig.frames) == app.n_frames
    sgd = [t for t in fig.data if t.name == "SGD" and t.type == "scatter"][0]
    np.testing.assert_allclose(nums(sgd.x), app.surface.project(app.histories["sgd"].parameters)[:, 0])
    fig.layout.title.text = "changed"  # a copy: the app's own figure is untouched
    assert app.snapshot().layout.title.text != "changed"


def test_lecture_toggle_enlarges_the_app_and_the_figure():
    app = small()
    size = app.figure.layout.font.size
    app.controls["lecture"].value = True
    assert "bpx-lecture" in app.root._dom_classes
    assert app.figure.layout.font.size > size
    app.controls["lecture"].value = False
    assert "bpx-lecture" not in app.root._dom_classes
    assert app.figure.layout.font.size == size
    big = small(lecture=True)
    assert big.figure.layout.font.size > size and "bpx-lecture" in big.root._dom_classes


def test_view_choice_map_alone_or_surface_alone():
    app = small()
    app.controls["view"].value = "contour"
    types = {t.type for t in app.figure.data}
    assert "surface" not in types and "scatter3d" not in types and "heatmap" in types
    assert len(trace(app, "SGD", "scatter").x) == app.n_frames  # on the last frame
    app.show_frame(2)
    assert len(trace(app, "SGD", "scatter").x) == 3
    app.controls["view"].value = "surface"
    types = {t.type for t in app.figure.data}
    assert "surface" in types and "heatmap" not in types
    assert app.snapshot().data[0].type == "surface"
    # The view and lecture mode survive a reset (the room keeps its screen); a saved state carries the view.
    app.controls["lecture"].value = True
    app.controls["reset"].click()
    assert app.kind == "surface" and app.lecture and app.controls["view"].value == "surface"
    assert app.state()["kind"] == "surface"


def test_a_custom_network_and_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    net = Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=1)
    app = LossSurfaceExplorer(net, X, y, params=("W1[0,0]", "b2[0]"), lr=0.3, steps=15, resolution=15)
    assert app.network is not net  # the app works on its own copy
    np.testing.assert_array_equal(app.network.parameters, net.parameters)
    assert app.surface.labels == ("W1[0,0]", "b2[0]")
    assert app.histories["sgd"].lr == 0.3
    assert app.record.n_samples == 30
    default = LossSurfaceExplorer(net, X, y, steps=5, resolution=11)
    assert default.surface.labels == ("W2[0,0]", "W2[1,0]")  # the last layer's first two weights


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(params=("W2[0,0]", "W2[0,0]")), "params"),
        (dict(params=("W9[0,0]", "W2[0,0]")), "params"),
        (dict(params="W2[0,0]"), "params"),
        (dict(optimizers=("rmsprop",)), "optimizers"),
        (dict(optimizers=()), "optimizers"),
        (dict(lr=-1.0), "lr"),
        (dict(lr="fast"), "lr"),
        (dict(steps=0), "steps"),
        (dict(steps=2.5), "steps"),
        (dict(span=0.0), "span"),
        (dict(span=1e6), "span"),
        (dict(resolution=1000), "resolution"),
        (dict(directions="diagonal"), "directions"),
        (dict(scenario="nope"), "scenario"),
        (dict(kind="3d"), "kind"),
        (dict(lecture="yes"), "lecture"),
        (dict(theme="pink"), "theme"),
        (dict(only_plane="yes"), "only_plane"),
        (dict(seed=-1), "seed"),
        (dict(network="net", X=[[0.0]], y=[[0.0]]), "network"),
        (dict(network=Network([1, 1], seed=0)), "X and y"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        LossSurfaceExplorer(**kwargs)


def test_bursts_are_coalesced_and_readers_flush(monkeypatch):
    app = small()
    queued = []

    class Loop:  # as in a kernel: the work is scheduled, and runs later, once
        def call_soon(self, callback):
            queued.append(callback)

    monkeypatch.setattr(asyncio, "get_running_loop", Loop)
    runs = app._coalescer.runs
    for lr in np.geomspace(0.1, 2.0, 50):
        app.controls["lr"].value = float(lr)
    assert len(queued) == 1 and app._coalescer.runs == runs
    h = app.histories["sgd"]  # a reader flushes the pending work first
    assert app._coalescer.runs == runs + 1
    assert h.lr == pytest.approx(2.0)


def test_many_control_changes_do_not_grow_memory_or_traces():
    app = small()
    widget = app.figure_widget
    n_traces = len(widget.current["data"])
    lr = app.controls["lr"]
    for k in range(300):  # warm-up
        app.show_frame(k % 21)
    lr.value = 0.6
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss
    for k in range(2000):
        app.show_frame((k * 7) % 21)
        if k % 400 == 0:
            lr.value = 0.5 if lr.value != 0.5 else 0.6
    gc.collect()
    grown = process.memory_info().rss - before
    assert grown < 5 * 2**20, f"RSS grew by {grown / 2**20:.2f} MB"
    assert app.figure_widget is widget and len(widget.current["data"]) == n_traces


def test_close_closes_every_widget():
    import ipywidgets

    before = set(ipywidgets.widgets.widget._instances)
    app = small()
    widget = app.figure_widget
    app.close()
    assert widget.comm is None and app.controls["preset"].comm is None
    left = [type(w).__name__ for k, w in ipywidgets.widgets.widget._instances.items() if k not in before]
    assert left in ([], ["PlotlyLibrary"]), left  # plotly.js itself stays, shared by every figure of the kernel
    with pytest.raises(RuntimeError, match="was closed"):
        app.show_frame(0)
    assert "closed" in app._repr_mimebundle_()["text/plain"]


def test_the_picture_is_the_map_with_the_apps_paths_and_their_last_losses():
    """What GitHub shows of the cell: the title of the live figure, each optimiser's last loss from its History."""
    app = small(optimizers=("sgd", "adam"))
    svg = app.picture()
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts[0] == app.figure.layout.title.text
    for name, h in app.histories.items():
        assert OPTIMIZER_LABELS[name] in texts
        assert any(t.startswith(f"L = {fmt_plain(float(h.train_loss[-1]))} after") for t in texts)
    app.set_theme("dark")
    assert "#111418" in app.picture()
    app.close()
