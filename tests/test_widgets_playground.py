"""Playground: training ticks, live figures equal to what the view functions draw, resets, CSV, errors, memory."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gc
import json

import numpy as np
import plotly.graph_objects as go
import psutil
import pytest
from ipywidgets.widgets import widget as widget_module
from jupyter_client.session import json_packer
from playground_script import change, tick

from explainer.course.datasets import EXAMPLE_CSV, make_dataset
from explainer.engine.boundary import decision_grid
from explainer.engine.training import History
from explainer.views.training import plot_decision_boundary, plot_gradient_norms
from explainer.widgets import Playground
from explainer.widgets import playground as pg

SEND = ("_send_update_msg", "_send_restyle_msg", "_send_relayout_msg", "_send_addTraces_msg", "_send_deleteTraces_msg")


# ---------------------------------------------------------------------------------------------- helpers
def upload(app, name: str, content: bytes) -> None:
    """Set the FileUpload value as ipywidgets 8 does after a file is chosen."""
    app.controls["csv"].value = (
        {
            "name": name,
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        },
    )


def traces(fig) -> list[dict]:
    return fig.to_plotly_json()["data"]


def decoded(v):
    """Plotly's typed-array spec ({"dtype", "bdata", "shape"}) as the numpy array it stands for."""
    if isinstance(v, dict) and "bdata" in v and "dtype" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(n) for n in shape.split(","))
        return arr.reshape(shape) if shape else arr
    return v


def assert_same(a, b, where: str) -> None:
    a, b = decoded(a), decoded(b)
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{where}: keys {sorted(set(a) ^ set(b))} differ"
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple, np.ndarray)) and not isinstance(a, str):
        aa, bb = np.asarray(a), np.asarray(b)
        assert aa.shape == bb.shape, f"{where}: shape {aa.shape} != {bb.shape}"
        if aa.dtype.kind in "fiu" and bb.dtype.kind in "fiu":
            np.testing.assert_array_equal(aa, bb, err_msg=where)
        else:
            assert aa.tolist() == bb.tolist(), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_widget_shows(widget, fig: go.Figure, skip=("uid",)) -> None:
    """Every property of every trace of the view's figure is on the live widget, with the same values."""
    live, drawn = traces(widget), traces(fig)
    assert [t.get("name") for t in live] == [t.get("name") for t in drawn]
    for i, (lt, dt_) in enumerate(zip(live, drawn)):
        lt = {k: v for k, v in lt.items() if k not in skip}
        dt_ = {k: v for k, v in dt_.items() if k not in skip}
        assert_same(lt, dt_, f"trace {i} ({dt_.get('name')})")


def view_figures(app) -> dict:
    """The three figures the view functions draw for the app's current state (the reference)."""
    h = pg.display_history(app.history)
    ds = app.dataset
    grid = decision_grid(app.network, ds.X, resolution=pg.GRID_RESOLUTION)
    return {"boundary": app._plot_boundary(grid, ds), "loss": app._plot_loss(h), "norms": app._plot_norms(h)}


def count_messages(app, monkeypatch) -> dict:
    """Count plotly messages per figure widget from now on."""
    counts = {}
    for name, widget in app.figures.items():
        counts[name] = 0
        for method in SEND:
            original = getattr(widget, method)

            def spy(*args, _original=original, _name=name, **kwargs):
                counts[_name] += 1
                return _original(*args, **kwargs)

            monkeypatch.setattr(widget, method, spy)
    return counts


@pytest.fixture(autouse=True)
def kernel_messages(monkeypatch):
    """Check every widget message as the kernel's messaging would: JSON without NaN, contiguous buffers.

    Without a kernel, ipywidgets hands its messages to a dummy comm that accepts anything; in a real
    kernel a strided numpy view or a NaN in the JSON raises when the message is sent. The app would
    catch that error and show it, so the test fails at teardown even when it did not look.
    """
    original = widget_module.Widget._send
    problems: list[str] = []

    def _send(widget, msg, buffers=None):
        try:
            json_packer(msg)
            for k, buf in enumerate(buffers or ()):
                if not memoryview(buf).contiguous:
                    raise ValueError(f"Buffer {k} is not contiguous")
        except (TypeError, ValueError) as err:
            problems.append(f"{type(widget).__name__}: {err}")
            raise
        return original(widget, msg, buffers)

    monkeypatch.setattr(widget_module.Widget, "_send", _send)
    yield problems
    assert not problems, "messages a kernel would refuse:\n" + "\n".join(problems)


@pytest.fixture
def app():
    a = Playground(hidden="8, 8", lr=0.3)
    yield a
    a.close()


# ---------------------------------------------------------------------------------------------- training
def test_default_app_is_2_8_8_1_on_circles_with_a_test_split(app):
    assert list(app.network.sizes) == [2, 8, 8, 1]
    assert app.network.output_activation == "sigmoid" and app.network.loss == "bce"
    assert app.dataset.name == "circles" and app.dataset.n_samples == 200
    assert len(app.dataset.y_train) == 100 and len(app.dataset.y_test) == 100
    assert len(app.history) == 1 and app.history.test_loss is not None
    for name in ("dataset", "noise", "test_fraction", "seed", "hidden", "activation", "optimizer", "lr",
                 "batch_size", "steps_per_update", "play", "step", "reset", "csv", "preset", "lecture"):  # fmt: skip
        assert name in app.controls
    assert app.controls["play"].interval == 100
    assert app.controls["hidden"].value == "8, 8"


def test_a_tick_trains_exactly_steps_per_update_steps(app):
    app.controls["steps_per_update"].value = 7
    start = app.network.parameters
    tick(app)
    assert len(app.history) == 8
    assert not np.allclose(app.network.parameters, start)
    app.controls["step"].click()
    assert len(app.history) == 15 and app.session.steps_done == 14
    # The network is the session's, trained on the training split only.
    np.testing.assert_array_equal(app.session.X, app.dataset.X_train)
    np.testing.assert_array_equal(app.history.parameters[-1], app.network.parameters)


def test_stopping_the_play_widget_is_not_a_tick(app):
    tick(app, 3)
    app.controls["play"].value = 0  # the stop button sets the value back to min
    assert len(app.history) == 31


def test_the_record_is_at_the_current_parameters_on_the_training_data(app):
    tick(app, 2)
    rec = app.record
    np.testing.assert_array_equal(rec.inputs, app.dataset.X_train)
    assert rec.loss == pytest.approx(app.history.train_loss[-1], rel=1e-12)
    np.testing.assert_array_equal(rec.weights[0], app.network.weights[0])


def test_changing_lr_mid_training_keeps_parameters_and_history(app):
    tick(app, 3)
    before = app.network.parameters
    history_before = app.history
    session = app.session
    app.controls["lr"].value = 0.05
    assert app.session is session and app.session.lr == pytest.approx(0.05)
    np.testing.assert_array_equal(app.network.parameters, before)
    assert len(app.history) == 31
    tick(app)
    assert len(app.history) == 41
    np.testing.assert_array_equal(app.history.train_loss[:31], history_before.train_loss)
    assert app.history.lr == pytest.approx(0.05)
    # The step just taken used the new η: θ₃₁ = θ₃₀ − 0.05 g₃₀ (plain SGD, full batch).
    h = app.history
    np.testing.assert_allclose(h.parameters[31], h.parameters[30] - 0.05 * h.gradients[30], rtol=1e-12)


def test_the_sliders_own_rounding_of_lr_is_not_a_change(app):
    """The browser snaps η to the slider's grid when it first draws it (0.3 → 0.302) and sends that back."""
    app.controls["lr"].value = 10 ** (round(np.log10(0.3) / pg.LR_STEP) * pg.LR_STEP)  # 0.302
    assert app.session.lr == 0.3 and app.settings.lr == 0.3
    app.controls["lr"].value = 0.3 * 10**pg.LR_STEP  # one notch: the user
    assert app.session.lr == pytest.approx(0.3 * 10**pg.LR_STEP)


def test_status_line_shows_step_losses_and_lr(app):
    tick(app)
    h = app.history
    text = app.status.value
    assert "step 10" in text and f"{h.train_loss[-1]:.4f}" in text and f"{h.test_loss[-1]:.4f}" in text
    assert "η = 0.3" in text
    assert pg._fmt_loss(1.3e153) == "1.3e+153" and pg._fmt_loss(float("inf")) == "∞"


def test_changing_optimizer_and_batch_size_keeps_parameters(app):
    tick(app, 2)
    before = app.network.parameters
    app.controls["optimizer"].value = "adam"
    assert app.session.optimizer.name == "adam"
    np.testing.assert_array_equal(app.network.parameters, before)
    app.controls["batch_size"].value = 10
    assert app.session.batch_size == 10
    tick(app)
    assert len(app.history) == 31 and app.history.optimizer == "adam"
    app.controls["batch_size"].value = 0
    assert app.session.batch_size is None


@pytest.mark.parametrize(
    ("control", "value"),
    [("noise", 0.2), ("test_fraction", 0.9), ("seed", 5), ("hidden", "4"), ("activation", "relu"), ("dataset", "xor")],
)
def test_data_and_architecture_changes_reset_with_a_message(app, control, value):
    tick(app, 2)
    app.controls[control].value = value
    assert len(app.history) == 1 and app.session.steps_done == 0
    assert "step 0" in app.message.value and "reset" in app.message.value
    assert getattr(app.settings, control) == (pg.parse_hidden(value) if control == "hidden" else value)


def test_hidden_text_builds_the_layers(app):
    app.controls["hidden"].value = "3, 5,2"
    assert list(app.network.sizes) == [2, 3, 5, 2, 1]
    app.controls["hidden"].value = "none"
    assert list(app.network.sizes) == [2, 1]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("8, x", "'x' is not"),
        ("0", "1 to 32 neurons"),
        ("", "empty"),
        (", ".join(["4"] * 200), "200 layers"),
        ("8, 100", "got 100"),
        ("-3", "'-3' is not"),
    ],  # fmt: skip
)
def test_invalid_hidden_text_shows_a_message_and_keeps_the_network(app, text, words):
    tick(app)
    net, history = app.network, app.history
    app.controls["hidden"].value = text
    assert words in app.errors[-1] and "hidden" in app.errors[-1]
    assert "bpx-error" in app.message.value
    assert app.network is net and app.history is history
    assert app.controls["hidden"].value == "8, 8"  # the control shows what runs
    app.controls["hidden"].value = "5"  # the next valid change works
    assert list(app.network.sizes) == [2, 5, 1]


@pytest.mark.parametrize("name", ["xor", "circles", "moons", "spiral", "blobs", "sine"])
def test_every_dataset_trains_and_draws(name):
    app = Playground(name, hidden="6", lr=0.3)
    ds = app.dataset
    expected = {"blobs": (3, "softmax", "cross_entropy"), "sine": (1, "identity", "mse")}.get(
        name, (1, "sigmoid", "bce")
    )
    assert app.network.sizes[-1] == expected[0]
    assert (app.network.output_activation, app.network.loss) == expected[1:]
    assert app.network.sizes[0] == ds.n_features
    tick(app, 5)
    assert app.history.train_loss[-1] < app.history.train_loss[0]
    ref = view_figures(app)
    assert_widget_shows(app.figures["boundary"], ref["boundary"])
    assert_widget_shows(app.figures["norms"], ref["norms"])
    app.close()


# ---------------------------------------------------------------------------------------------- figures
def test_loss_curve_holds_the_train_and_test_loss(app):
    tick(app, 4)
    h = app.history
    fig = app.figures["loss"]
    np.testing.assert_array_equal(fig.data[0].y, h.train_loss)
    np.testing.assert_array_equal(fig.data[0].x, h.steps)
    np.testing.assert_array_equal(fig.data[1].y, h.test_loss)
    assert fig.data[0].mode == "lines+markers"
    tick(app, 3)  # 71 points: lines only, as the view draws it
    assert fig.data[0].mode == "lines"
    assert_widget_shows(fig, view_figures(app)["loss"])


def test_a_long_loss_curve_is_thinned_for_display_with_the_last_point_exact(app):
    app.controls["steps_per_update"].value = 100
    tick(app, 8)
    h = app.history
    assert len(h) == 801
    fig = app.figures["loss"]
    assert len(fig.data[0].y) <= pg.DISPLAY_POINTS
    assert fig.data[0].y[-1] == h.train_loss[-1] and fig.data[0].x[-1] == 800
    assert fig.data[0].y[0] == h.train_loss[0]
    index = np.asarray(fig.data[0].x, dtype=int)
    np.testing.assert_array_equal(fig.data[0].y, h.train_loss[index])
    norms = app.figures["norms"]
    np.testing.assert_array_equal(norms.data[0].y, h.grad_norms[index, 0])


def test_gradient_norm_traces_are_the_history_columns(app):
    tick(app, 3)
    h = app.history
    fig = app.figures["norms"]
    for layer in range(h.n_layers):
        np.testing.assert_array_equal(fig.data[layer].y, h.grad_norms[:, layer])
        np.testing.assert_array_equal(fig.data[layer].x, h.steps)
    bar = fig.data[-1]
    assert list(bar.x) == ["W1", "W2", "W3"]
    np.testing.assert_array_equal(bar.y, h.grad_norms[-1])
    assert fig.layout.xaxis2.title.text == "latest (step 30)"


def test_boundary_heat_map_is_the_decision_grid(app):
    tick(app, 2)
    grid = decision_grid(app.network, app.dataset.X, resolution=pg.GRID_RESOLUTION)
    fig = app.figures["boundary"]
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), grid.outputs[..., 0])
    np.testing.assert_array_equal(fig.data[0].x, grid.x)
    assert fig.data[1].type == "contour"
    np.testing.assert_array_equal(np.asarray(fig.data[1].z), grid.outputs[..., 0])


@pytest.mark.parametrize("preset", ["circles", "blobs", "sine", "spiral"])
def test_live_widgets_hold_exactly_what_the_view_functions_draw(preset):
    """The fast path (numbers only) and the view functions agree on every trace property, tick after tick."""
    app = Playground(preset=preset)
    for _ in range(3):
        tick(app, 2)
        ref = view_figures(app)
        for name in ("boundary", "loss", "norms"):
            assert_widget_shows(app.figures[name], ref[name])
        assert app.figures["norms"].layout.xaxis2.title.text == f"latest (step {app.session.steps_done})"
    app.close()


def test_patches_match_the_view_functions_directly():
    ds = make_dataset("blobs", n_samples=60, seed=1, test_fraction=0.3)
    net = pg.network_for(ds, (5,), "tanh", 0)
    grid = decision_grid(net, ds.X, resolution=20)
    restyle, relayout, index = pg.boundary_patch(grid, ds, contour=False)
    fig = plot_decision_boundary(grid, ds.X_train, ds.y_train, X_test=ds.X_test, y_test=ds.y_test)
    assert index == list(range(len(fig.data))) == list(range(7))  # the map, 3 classes × (train, test)
    np.testing.assert_array_equal(restyle["z"][0], fig.data[0].z)
    np.testing.assert_array_equal(restyle["customdata"][0], fig.data[0].customdata)
    for i in index[1:]:
        np.testing.assert_array_equal(restyle["x"][i], fig.data[i].x)
        np.testing.assert_array_equal(restyle["y"][i], fig.data[i].y)
    assert relayout["xaxis.range"] == list(fig.layout.xaxis.range)
    assert relayout["yaxis.range"] == list(fig.layout.yaxis.range)
    from explainer.engine.training import train

    h = train(net, ds.X_train, ds.targets("train"), steps=5, lr=0.2)
    restyle, relayout, index = pg.norms_patch(h)
    fig = plot_gradient_norms(h)
    for k, i in enumerate(index):
        np.testing.assert_array_equal(restyle["y"][k], fig.data[i].y)
        assert restyle["hovertemplate"][k] == fig.data[i].hovertemplate
    assert relayout["xaxis2.title.text"] == fig.layout.xaxis2.title.text


@pytest.mark.parametrize("dataset", ["circles", "blobs", "sine"])
def test_new_data_of_the_same_shape_updates_the_boundary_in_place(dataset):
    app = Playground(dataset, hidden="4")
    widget = app.figures["boundary"]
    for control, value in (("noise", 0.3), ("seed", 3), ("test_fraction", 0.2)):
        app.controls[control].value = value
        tick(app)
        ref = view_figures(app)["boundary"]
        assert app.figures["boundary"] is widget
        assert_widget_shows(widget, ref)
        assert list(widget.layout.xaxis.range) == list(ref.layout.xaxis.range)
        if ref.layout.yaxis.range is not None:
            assert list(widget.layout.yaxis.range) == list(ref.layout.yaxis.range)
    app.close()


def test_one_plotly_message_per_figure_per_tick_and_no_new_traces(app, monkeypatch):
    tick(app)
    widgets = app.figures
    n_traces = {name: len(w.data) for name, w in widgets.items()}
    counts = count_messages(app, monkeypatch)
    tick(app)
    assert counts == {"boundary": 1, "loss": 1, "norms": 1}
    app.controls["lr"].value = 0.1  # no figure changes at all
    assert counts == {"boundary": 1, "loss": 1, "norms": 1}
    tick(app)
    assert counts == {"boundary": 2, "loss": 2, "norms": 2}
    assert {name: len(w.data) for name, w in app.figures.items()} == n_traces
    assert all(app.figures[name] is widgets[name] for name in widgets)


def test_a_burst_of_slider_changes_rebuilds_once_in_a_running_loop(app):
    async def drag():
        runs = app._coalescer.runs
        version = app._data_version
        for k in range(30):
            app.controls["noise"].value = round(0.01 * (k + 1), 2)
        assert app._data_version == version  # nothing rebuilt yet: the burst is pending
        await asyncio.sleep(0)
        return app._coalescer.runs - runs, app._data_version - version

    runs, rebuilds = asyncio.run(drag())
    assert (runs, rebuilds) == (1, 1)
    assert app.settings.noise == pytest.approx(0.30)
    assert app.dataset is not None and len(app.history) == 1


def test_readers_flush_pending_work_first(app):
    async def read():
        app.controls["hidden"].value = "3"
        return list(app.network.sizes)  # no await: the reader applies the pending rebuild itself

    assert asyncio.run(read()) == [2, 3, 1]


def test_task_change_rebuilds_the_boundary_widget_and_closes_the_old_one(app):
    old = app.figures["boundary"]
    app.controls["dataset"].value = "blobs"
    new = app.figures["boundary"]
    assert new is not old
    assert old.comm is None  # closed
    assert new in app._boxes["boundary"].children
    names = [t.name for t in new.data]
    assert names[0] == "predicted class" and "class 2 (train)" in names


# ---------------------------------------------------------------------------------------------- divergence, errors
def test_diverging_preset_gives_a_diverged_message_and_reset_recovers():
    app = Playground(preset="diverging")
    assert app.settings.lr == 5.0 and app.dataset.name == "sine"
    app.controls["play"].playing = True
    for _ in range(40):
        tick(app)
        if app.session.diverged:
            break
    assert app.session.diverged
    assert any("diverged" in e and "reset" in e for e in app.errors)
    assert app.controls["play"].playing is False  # paused
    loss = app.figures["loss"]
    assert any("diverged" in (a.text or "") for a in loss.layout.annotations)  # the view's banner
    tick(app)  # training on is refused with a message, not an exception
    assert "diverged" in app.errors[-1]
    assert any("diverged" in (a.text or "") for a in app.figures["norms"].layout.annotations)
    assert app.figures["norms"].layout.shapes  # the dashed line at the divergence
    app.controls["lr"].value = 0.05
    app.controls["reset"].click()
    assert not app.session.diverged and len(app.history) == 1
    assert "Reset" in app.message.value
    for name in ("loss", "norms"):  # banners and lines gone
        assert not app.figures[name].layout.annotations and not app.figures[name].layout.shapes
    assert len(app.figures["loss"].data) == 2  # train and test, no divergence marker
    tick(app, 3)
    assert np.isfinite(app.history.train_loss).all() and len(app.history) == 31
    app.close()


def test_an_exception_in_the_engine_shows_a_message_and_keeps_the_figures(app, monkeypatch):
    tick(app)
    before = {name: traces(w) for name, w in app.figures.items()}
    params = app.network.parameters

    def broken(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(pg, "decision_grid", broken)
    tick(app)
    assert "injected failure" in app.errors[-1] and "RuntimeError" in app.errors[-1]
    for name, w in app.figures.items():
        after = traces(w)
        for t0, t1 in zip(before[name], after):
            assert_same(t0, t1, name)
    monkeypatch.undo()
    # A failing training step: parameters restored, history unchanged.
    monkeypatch.setattr(type(app.session), "step", broken)
    length = len(app.history)
    params = app.network.parameters
    app.controls["step"].click()
    assert "injected failure" in app.errors[-1]
    np.testing.assert_array_equal(app.network.parameters, params)
    assert len(app.history) == length
    monkeypatch.undo()
    tick(app)  # the next valid change works and draws
    assert len(app.history) == length + 10
    np.testing.assert_array_equal(app.figures["loss"].data[0].y, app.history.train_loss)


def test_a_failing_rebuild_keeps_the_previous_network_and_controls(app, monkeypatch):
    net = app.network
    monkeypatch.setattr(pg, "make_dataset", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no data today")))
    app.controls["noise"].value = 0.3
    assert "no data today" in app.errors[-1]
    assert app.network is net and app.controls["noise"].value == pytest.approx(0.1)
    monkeypatch.undo()
    app.controls["noise"].value = 0.3
    assert app.network is not net and app.settings.noise == pytest.approx(0.3)


# ---------------------------------------------------------------------------------------------- CSV
def test_the_example_csv_uploads_and_trains(app):
    upload(app, "example.csv", EXAMPLE_CSV.read_bytes())
    ds = app.dataset
    assert ds.task == "binary" and ds.feature_names == ("hours_studied", "hours_slept")
    assert ds.n_samples == 40 and app.settings.dataset == "csv"
    assert app.controls["dataset"].value == "csv"
    assert "example.csv" in app.message.value and "40 rows" in app.message.value
    assert app.controls["csv"].value == ()  # cleared so the same file can be chosen again
    assert app.controls["noise"].disabled  # noise applies to the generated data sets only
    tick(app, 2)
    assert app.figures["boundary"].layout.xaxis.title.text == "hours_studied"
    grid = decision_grid(app.network, ds.X, resolution=pg.GRID_RESOLUTION)
    np.testing.assert_array_equal(np.asarray(app.figures["boundary"].data[0].z), grid.outputs[..., 0])
    # The split and seed controls reload the same file.
    app.controls["test_fraction"].value = 0.25
    assert len(app.dataset.y_test) == 10 and app.settings.dataset == "csv"


def test_a_multiclass_csv_gets_a_softmax_network(app):
    rng = np.random.default_rng(0)
    rows = [f"{x:.3f},{y:.3f},{'abc'[k % 3]}" for k, (x, y) in enumerate(rng.normal(size=(30, 2)))]
    upload(app, "three.csv", ("x,y,label\n" + "\n".join(rows)).encode())
    assert app.network.sizes[-1] == 3 and app.network.output_activation == "softmax"
    tick(app)
    assert app.figures["boundary"].data[0].name == "predicted class"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a,b,c\n1,2,x\n3,4\n", "row 3 has 2 columns"),
        ("a,b,c\n1,zz,x\n3,4,y\n", "'zz' is not a number"),
        ("a,b,c,label\n1,2,3,x\n4,5,6,y\n", "exactly 2 feature columns"),
        ("x,label\n1,a\n2,b\n", "1 feature column and class labels"),
        ("", "empty"),
    ],
)
def test_a_malformed_csv_names_the_problem_and_keeps_the_data(app, text, words):
    tick(app)
    ds, net = app.dataset, app.network
    upload(app, "bad.csv", text.encode())
    assert words in app.errors[-1], app.errors[-1]
    assert "'bad.csv'" in app.errors[-1] and "bpx-csv" not in app.errors[-1]  # the user's name, not a temp path
    assert app.dataset is ds and app.network is net and len(app.history) == 11
    assert app.controls["dataset"].value == "circles"


def test_binary_garbage_is_rejected(app):
    upload(app, "image.csv", b"\x89PNG\xff\xfe\x00")
    assert "not UTF-8" in app.errors[-1]


# ---------------------------------------------------------------------------------------------- presets, lecture, state
def test_vanishing_preset_first_layer_norm_far_below_the_last():
    app = Playground(preset="vanishing")
    assert list(app.network.sizes) == [2, 6, 6, 6, 6, 6, 6, 1]
    assert app.network.layer_activations[0] == "sigmoid"
    tick(app)
    norms = app.history.grad_norms
    assert norms[0, -1] / norms[0, 0] > 1000
    bar = app.figures["norms"].data[-1]
    assert bar.y[-1] / bar.y[0] > 1000  # the latest bars show it too
    assert app.figures["norms"].layout.yaxis.type == "log"
    app.close()


@pytest.mark.parametrize("name", list(pg.PRESETS))
def test_a_preset_resets_everything_to_a_known_state(app, name):
    app.controls["seed"].value = 9
    tick(app, 2)
    app.controls["preset"].value = name
    preset = pg.PRESETS[name]
    assert app.settings == preset.settings
    assert app.controls["preset"].value == ""  # ready for the next click
    assert app.controls["lr"].value == pytest.approx(preset.settings.lr)
    assert app.controls["hidden"].value == pg.hidden_text(preset.settings.hidden)
    assert len(app.history) == 1 and preset.title in app.message.value
    first = app.network.parameters
    app.controls["preset"].value = name  # the same click gives the same state
    np.testing.assert_array_equal(app.network.parameters, first)


def test_lecture_toggle_rebuilds_larger_figures(app):
    width = app.figures["boundary"].layout.width
    old = app.figures["loss"]
    app.controls["lecture"].value = True
    assert app.lecture and "bpx-lecture" in app.root._dom_classes
    assert app.figures["boundary"].layout.width > width
    assert app.figures["loss"] is not old and old not in app._boxes["loss"].children
    assert old.comm is not None  # closed at the next event, once the page has the new one
    tick(app)
    assert old.comm is None
    assert app.figures["loss"].layout.font.size > 13
    assert app.controls["lr"].layout.width == "480px" and app.controls["lr"].style.description_width == "192px"
    app.set_lecture(False)
    assert not app.controls["lecture"].value and app.figures["boundary"].layout.width == width
    assert app.controls["lr"].layout.width == "300px"


def test_lecture_option():
    app = Playground(lecture=True)
    assert app.controls["lecture"].value and "bpx-lecture" in app.root._dom_classes
    app.close()


def test_snapshot_is_a_plain_figure_of_the_boundary_with_data(app):
    tick(app)
    fig = app.snapshot()
    assert type(fig) is go.Figure
    assert fig.data[0].type == "heatmap" and np.asarray(fig.data[0].z).shape == (100, 100)
    assert any(t.name == "class 1 (train)" for t in fig.data)
    assert "step 10" in fig.layout.title.text


def test_save_and_load_state_round_trip(app, tmp_path):
    app.controls["dataset"].value = "moons"
    app.controls["hidden"].value = "5, 3"
    app.controls["optimizer"].value = "momentum"
    app.controls["lr"].value = 0.2
    tick(app, 2)
    path = tmp_path / "state.json"
    app.save_state(path)
    data = json.loads(path.read_text())
    assert data["app"] == "Playground" and data["settings"]["dataset"] == "moons" and data["csv"] is None
    assert "X" not in json.dumps(data["settings"]) and path.stat().st_size < 20_000  # generator settings, not data
    other = Playground()
    other.load_state(path)
    assert other.settings == app.settings
    np.testing.assert_array_equal(other.network.parameters, app.network.parameters)
    np.testing.assert_array_equal(other.dataset.X_train, app.dataset.X_train)
    assert other.session.optimizer.name == "momentum" and len(other.history) == 1
    other.close()


def test_state_with_a_small_csv_carries_its_text(app, tmp_path):
    upload(app, "example.csv", EXAMPLE_CSV.read_bytes())
    app.save_state(tmp_path / "s.json")
    other = Playground()
    other.load_state(tmp_path / "s.json")
    np.testing.assert_array_equal(other.dataset.X_train, app.dataset.X_train)
    assert other.controls["dataset"].value == "csv"
    other.close()


def test_load_state_rejects_other_files(app, tmp_path):
    (tmp_path / "x.json").write_text('{"app": "BackpropExplorer"}')
    with pytest.raises(ValueError, match="Playground"):
        app.load_state(tmp_path / "x.json")
    with pytest.raises(ValueError, match="state"):
        app.set_state({"settings": {"dataset": "xor"}})


# ---------------------------------------------------------------------------------------------- constructor
@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"dataset": "mnist"}, "dataset"),
        ({"noise": -1}, "noise"),
        ({"test_fraction": 1.0}, "test_fraction"),
        ({"seed": -2}, "seed"),
        ({"hidden": "8, x"}, "hidden"),
        ({"activation": "swish"}, "activation"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"lr": 0}, "lr"),
        ({"lr": 100.0}, "lr"),
        ({"batch_size": 7}, "batch_size"),
        ({"steps_per_update": 0}, "steps_per_update"),
        ({"preset": "nope"}, "preset"),
        ({"lecture": "yes"}, "lecture"),
        ({"theme": "pink"}, "theme"),
        ({"n_samples": 5}, "n_samples"),
        ({"max_steps": 0}, "max_steps"),
    ],
)
def test_bad_constructor_arguments_raise_value_error_naming_them(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        Playground(**kwargs)


def test_max_steps_pauses_with_a_message():
    app = Playground(max_steps=25)
    tick(app, 4)
    assert app.session.steps_done == 25
    assert "max_steps" in app.message.value
    app.close()


def test_display_history_keeps_short_histories_and_thins_long_ones():
    h = History(
        steps=np.arange(2001), train_loss=np.linspace(1, 0, 2001), test_loss=None, parameters=np.zeros((2001, 2)),
        gradients=np.zeros((2001, 2)), grad_norms=np.ones((2001, 1)), parameter_names=["a", "b"], optimizer="sgd",
        lr=0.1,
    )  # fmt: skip
    thin = pg.display_history(h, limit=100)
    assert len(thin) == 100 and thin.steps[0] == 0 and thin.steps[-1] == 2000
    assert np.all(np.diff(thin.steps) > 0)
    assert pg.display_history(thin, limit=100) is thin


# ---------------------------------------------------------------------------------------------- memory
def test_2000_control_changes_do_not_pile_up_memory_or_traces(app):
    for k in range(200):  # warm caches
        change(app, k)
    gc.collect()
    counts = {name: len(w.data) for name, w in app.figures.items()}
    n_widgets = len(widget_module._instances)  # open widgets: one not closed would stay here
    n_objects = len(gc.get_objects())
    rss = psutil.Process().memory_info().rss
    for k in range(200, 2200):
        change(app, k)
    gc.collect()
    grown = psutil.Process().memory_info().rss - rss
    assert grown < 5 * 2**20, f"resident memory grew by {grown / 2**20:.2f} MB"
    assert len(widget_module._instances) == n_widgets
    assert len(gc.get_objects()) - n_objects < 2_000  # no Python objects pile up (a trace or history per change would)
    assert {name: len(w.data) for name, w in app.figures.items()} == counts
