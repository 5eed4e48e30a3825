"""Loss-surface figures: the surface, the paths on it, the animation's frames, divergence and validation."""

import base64
import dataclasses
import json
import struct
import zlib

import numpy as np
import pytest

from explainer import Network
from explainer.course.datasets import make_dataset
from explainer.engine.loss_surface import loss_surface
from explainer.engine.training import train
from explainer.views.style import get_theme
from explainer.views.surface import (
    animate_descent,
    animate_descent_parts,
    contour_lines,
    decode_typed_array,
    frame_entries,
    nice_levels,
    path_colors,
    plot_loss_surface,
)

PARAMS = ("W1[0,0]", "W2[1,0]")


def assert_all_finite(fig) -> None:
    """Every number in the figure (data, layout, frames, typed arrays) is finite, and it serialises."""

    def walk(obj):
        if isinstance(obj, dict):
            if "bdata" in obj and "dtype" in obj:
                assert np.all(np.isfinite(decode_typed_array(obj)))
                return
            for v in obj.values():
                walk(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                walk(v)
        elif isinstance(obj, np.ndarray):
            if obj.dtype.kind in "fc":
                assert np.all(np.isfinite(obj))
            elif obj.dtype.kind == "O":
                walk(obj.tolist())
        elif isinstance(obj, float):
            assert np.isfinite(obj)

    walk(fig.to_dict())
    assert json.loads(fig.to_json())


@pytest.fixture(scope="module")
def data():
    ds = make_dataset("moons", 80, noise=0.15, seed=0)
    return ds.X_train, ds.targets("train")


@pytest.fixture(scope="module")
def start():
    return Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=3)


def _only_two(net):
    # Only the two plotted parameters train, so the paths lie exactly on the plotted surface.
    net.freeze(*[p for p in net.parameter_names if p not in PARAMS])
    return net


@pytest.fixture(scope="module")
def histories(data, start):
    X, y = data
    out = {}
    for name, lr in (("sgd", 0.5), ("momentum", 0.1), ("adam", 0.05)):
        out[name] = train(_only_two(start.copy()), X, y, optimizer=name, lr=lr, steps=150)
    return out


@pytest.fixture(scope="module")
def surface(data, start, histories):
    X, y = data
    centre = start.copy()
    centre.set_parameters(histories["adam"].parameters[-1])
    return loss_surface(centre, X, y, params=PARAMS, span=4.0, resolution=31)


def _path_traces(fig, name, kind):
    return [t for t in fig.data if t.name == name and t.type == kind]


# ---------------------------------------------------------------------------------------------- still figure
def test_surface_and_contour_show_the_engine_losses(surface):
    fig = plot_loss_surface(surface)
    (surf,) = [t for t in fig.data if t.type == "surface"]
    (cont,) = [t for t in fig.data if t.type == "contour"]
    # losses[i, j] sits at (u[i], v[j]); plotly's z rows follow y, hence the transpose.
    np.testing.assert_array_equal(surf.z, surface.losses.T)
    np.testing.assert_array_equal(cont.z, surface.losses.T)
    np.testing.assert_array_equal(surf.x, surface.u)
    np.testing.assert_array_equal(cont.y, surface.v)
    assert fig.layout.scene.xaxis.title.text == f"Δ{surface.labels[0]} (from the start)"  # offsets from θ₀
    assert fig.layout.xaxis.title.text == f"Δ{surface.labels[0]} (from the start)"
    assert fig.layout.yaxis.title.text == f"Δ{surface.labels[1]} (from the start)"
    assert_all_finite(fig)


def test_centre_and_its_descent_arrow(surface):
    fig = plot_loss_surface(surface, kind="contour")
    (centre,) = [t for t in fig.data if t.name == "centre θ₀"]
    assert (centre.x[0], centre.y[0]) == (0.0, 0.0)
    (arrow,) = [t for t in fig.data if t.name == "−∇L at θ₀ (scaled)"]
    direction = np.array([arrow.x[1] - arrow.x[0], arrow.y[1] - arrow.y[0]])
    g = np.asarray(surface.gradient)
    # The arrow points along −∇L (scaled for display).
    np.testing.assert_allclose(direction / np.linalg.norm(direction), -g / np.linalg.norm(g), atol=1e-9)
    fig3d = plot_loss_surface(surface, kind="surface")
    (centre3d,) = [t for t in fig3d.data if t.name == "centre θ₀"]
    assert centre3d.z[0] == surface.loss_at_center
    assert not [t for t in fig3d.data if t.type == "contour"]
    assert not [t for t in fig.data if t.type == "surface"]


def test_trajectories_are_the_projected_parameters(surface, histories):
    fig = plot_loss_surface(surface, history=histories)
    colors = set()
    for name, h in histories.items():
        (flat,) = _path_traces(fig, name, "scatter")
        (lifted,) = _path_traces(fig, name, "scatter3d")
        uv = surface.project(h.parameters)
        np.testing.assert_array_equal(flat.x, uv[:, 0])
        np.testing.assert_array_equal(flat.y, uv[:, 1])
        np.testing.assert_array_equal(lifted.z, h.train_loss)  # the engine's losses, not recomputed
        np.testing.assert_array_equal(flat.customdata, h.steps)
        colors.add(flat.line.color)
    assert len(colors) == 3
    # Only the two plotted parameters moved, so the path lies on the surface: the last point's loss
    # matches the grid's loss at the centre (adam ends there).
    assert histories["adam"].train_loss[-1] == pytest.approx(surface.loss_at_center, rel=1e-9)


def test_one_history_or_a_list(surface, histories):
    one = plot_loss_surface(surface, kind="contour", history=histories["sgd"])
    assert _path_traces(one, "sgd (η = 0.5)", "scatter")
    listed = plot_loss_surface(surface, kind="contour", history=[histories["sgd"], histories["sgd"]])
    assert _path_traces(listed, "sgd (η = 0.5)", "scatter") and _path_traces(listed, "sgd (η = 0.5) #2", "scatter")


def test_log_z_draws_log10_of_the_loss(surface, histories):
    fig = plot_loss_surface(surface, kind="surface", history={"sgd": histories["sgd"]}, log_z=True)
    (surf,) = [t for t in fig.data if t.type == "surface"]
    np.testing.assert_allclose(surf.z, np.log10(surface.losses.T))
    (lifted,) = _path_traces(fig, "sgd", "scatter3d")
    np.testing.assert_allclose(lifted.z, np.log10(histories["sgd"].train_loss))


# ---------------------------------------------------------------------------------------------- animation
def test_frames_carry_only_path_traces(surface, histories):
    fig = animate_descent(surface, histories)
    static = {i for i, t in enumerate(fig.data) if t.type in ("surface", "contour") or t.name.startswith("centre")}
    for frame in fig.frames:
        assert not set(frame.traces) & static
        assert {t.type for t in frame.data} <= {"scatter", "scatter3d"}
        assert all(t.type == "scatter3d" or "z" not in t.to_plotly_json() for t in frame.data)
        assert len(frame.traces) == len(frame.data)
        for i in frame.traces:
            assert fig.data[i].name.split(":")[0] in histories
    # The map under the paths is not a trace at all in an animation: an image and line shapes.
    assert not [t for t in fig.data if t.type == "contour"]
    assert fig.layout.images and fig.layout.shapes
    assert_all_finite(fig)


def test_parts_are_the_animation_with_its_frames_unvalidated(surface, histories):
    fig = animate_descent(surface, histories, max_frames=30)
    base, frames = animate_descent_parts(surface, histories, max_frames=30)
    assert not base.frames and all(isinstance(f, dict) for f in frames)
    base.frames = frames  # validated here, as animate_descent does
    assert base.to_json() == fig.to_json()


def test_frames_draw_the_path_progressively(surface, histories):
    fig = animate_descent(surface, histories, max_frames=40)
    T = len(histories["sgd"])
    entries = frame_entries([T], 40)
    assert len(fig.frames) == len(entries) <= 40
    assert fig.frames[-1].name == str(int(histories["sgd"].steps[-1]))
    assert fig.layout.sliders[0].active == len(fig.frames) - 1
    assert [s.label for s in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]
    for name, h in histories.items():
        (flat_i,) = [i for i, t in enumerate(fig.data) if t.name == name and t.type == "scatter"]
        (lifted_i,) = [i for i, t in enumerate(fig.data) if t.name == name and t.type == "scatter3d"]
        uv = surface.project(h.parameters)
        for k in (0, 7, len(entries) - 1):
            frame = fig.frames[k]
            flat = frame.data[list(frame.traces).index(flat_i)]
            lifted = frame.data[list(frame.traces).index(lifted_i)]
            shown = entries[: k + 1]
            np.testing.assert_array_equal(decode_typed_array(flat.x), uv[shown, 0])
            np.testing.assert_array_equal(decode_typed_array(flat.y), uv[shown, 1])
            np.testing.assert_array_equal(decode_typed_array(lifted.z), h.train_loss[shown])
        # The figure opens on the last frame: its own trace holds the whole sampled path.
        np.testing.assert_array_equal(fig.data[flat_i].x, uv[entries, 0])


def test_frames_are_downsampled_but_keep_the_last_step(surface, histories):
    fig = animate_descent(surface, histories["momentum"], kind="contour", max_frames=100)
    assert len(histories["momentum"]) == 151
    assert len(fig.frames) == 100
    assert fig.frames[0].name == "0" and fig.frames[-1].name == "150"
    entries = frame_entries([151], 100)
    assert entries[0] == 0 and entries[-1] == 150 and len(np.unique(entries)) == len(entries) == 100
    # A 2-D-only animation plays without a full redraw; with a 3-D scene it must redraw.
    assert fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["redraw"] is False
    assert (
        animate_descent(surface, histories["sgd"], max_frames=5)
        .layout.updatemenus[0]
        .buttons[0]
        .args[1]["frame"]["redraw"]
    )


def test_histories_of_different_lengths(surface, histories, data, start):
    X, y = data
    short = train(_only_two(start.copy()), X, y, lr=0.5, steps=20)
    fig = animate_descent(surface, {"long": histories["sgd"], "short": short}, kind="contour", max_frames=30)
    (short_i,) = [i for i, t in enumerate(fig.data) if t.name == "short"]
    last = fig.frames[-1]
    xs = decode_typed_array(last.data[list(last.traces).index(short_i)].x)
    # The short run's path ends at its own last step, even though that step is not a frame of the long one.
    assert xs[-1] == surface.project(short.parameters)[-1, 0]


def test_several_histories_get_distinct_colours_and_legend_entries(surface, histories):
    fig = animate_descent(surface, histories, kind="contour")
    legend = [t for t in fig.data if t.showlegend is not False and t.name in histories]
    assert [t.name for t in legend] == list(histories)
    assert len({t.line.color for t in legend}) == 3
    assert [t.line.color for t in legend] == path_colors(get_theme("light"))[:3]
    dark = animate_descent(surface, histories, kind="contour", theme="dark")
    assert [t.line.color for t in dark.data if t.name in histories][0] == "#56B4E9"


def test_a_path_leaving_the_span_still_draws(data, start, histories):
    X, y = data
    centre = start.copy()
    centre.set_parameters(histories["adam"].parameters[-1])
    small = loss_surface(centre, X, y, params=PARAMS, span=0.3, resolution=15)
    h = histories["sgd"]
    uv = small.project(h.parameters)
    assert np.abs(uv).max() > 0.3  # the path does leave the span
    fig = animate_descent(small, h, kind="contour", max_frames=20)
    (flat,) = [t for t in fig.data if t.type == "scatter" and t.name.startswith("sgd") and ":" not in t.name]
    entries = frame_entries([len(h)], 20)
    np.testing.assert_array_equal(flat.x, uv[entries, 0])
    assert fig.layout.xaxis.range[1] > 0.3 or fig.layout.xaxis.range[0] < -0.3
    assert any("outside the computed span" in (a.text or "") for a in fig.layout.annotations)
    assert_all_finite(fig)


def test_a_diverged_history_renders_finite(data):
    X, y = data
    net = Network([2, 8, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    surface = loss_surface(net, X, y, directions="random", span=1.0, resolution=21)
    h = train(net.copy(), X, y, lr=5.0, steps=200)
    # The engine stops at its divergence rule (non-finite, or 10⁴ × the start): the run diverged, finite or not.
    assert h.diverged and h.train_loss[-1] > 1e4 * h.train_loss[0] or not np.isfinite(h.train_loss[-1])
    for fig in (
        animate_descent(surface, h, max_frames=30),
        plot_loss_surface(surface, history=h),
        animate_descent(surface, {"calm": train(net.copy(), X, y, lr=0.01, steps=10), "wild": h}, max_frames=10),
    ):
        assert any(a.name == "divergence" for a in fig.layout.annotations)
        assert_all_finite(fig)


def test_overflowed_surface_losses_are_clipped_and_said_so(surface):
    losses = np.array(surface.losses)
    losses[:3, :3] = np.inf
    losses[-1, -1] = np.nan
    broken = dataclasses.replace(surface, losses=losses)
    fig = plot_loss_surface(broken)
    (surf,) = [t for t in fig.data if t.type == "surface"]
    cap = np.percentile(surface.losses[np.isfinite(losses)], 99)
    assert np.max(surf.z) == pytest.approx(cap)
    assert surf.z[0][0] == pytest.approx(cap)  # the inf corner is drawn at the cap
    assert any("clipped" in (a.text or "") for a in fig.layout.annotations)
    assert_all_finite(fig)
    assert_all_finite(plot_loss_surface(broken, kind="contour"))
    assert_all_finite(animate_descent(broken, _any_history(broken), max_frames=3))


# ---------------------------------------------------------------------------------------------- pieces
def test_contour_lines_lie_on_the_level_set():
    x = np.linspace(-2, 2, 41)
    Z = x[None, :] ** 2 + x[:, None] ** 2  # Z[i, j] at (x[j], y[i]): circles
    (segments,) = contour_lines(x, x, Z, np.array([1.0]))
    assert segments.shape[0] > 20
    radius = np.hypot(segments[:, [0, 2]], segments[:, [1, 3]])
    np.testing.assert_allclose(radius, 1.0, atol=0.01)  # linear interpolation on a 0.1 grid


def test_nice_levels():
    levels = nice_levels(0.43, 2.31, 20)
    assert 10 <= len(levels) <= 25
    assert levels[0] > 0.43 and levels[-1] < 2.31
    np.testing.assert_allclose(np.diff(levels), levels[1] - levels[0])
    assert nice_levels(1.0, 1.0).size == 0


def test_the_loss_map_image_is_a_png(surface):
    fig = animate_descent(surface, _any_history(surface), kind="contour")
    source = fig.layout.images[0].source
    png = base64.b64decode(source.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (surface.resolution, surface.resolution)
    idat = png.index(b"IDAT")
    length = struct.unpack(">I", png[idat - 4 : idat])[0]
    assert len(zlib.decompress(png[idat + 4 : idat + 4 + length])) == height * (1 + 3 * width)


def _any_history(surface):
    from explainer.engine.training import History

    P = surface.center.shape[0]
    params = surface.center[None, :] + np.zeros((3, P))
    return History(
        steps=np.arange(3),
        train_loss=np.full(3, surface.loss_at_center),
        test_loss=None,
        parameters=params,
        gradients=np.zeros((3, P)),
        grad_norms=np.zeros((3, 2)),
        parameter_names=[f"p{i}" for i in range(P)],
        optimizer="sgd",
        lr=0.1,
    )


# ---------------------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s, h: plot_loss_surface(s, kind="mesh"), "kind"),
        (lambda s, h: plot_loss_surface(s, theme="sepia"), "theme"),
        (lambda s, h: plot_loss_surface("surface"), "surface"),
        (lambda s, h: plot_loss_surface(s, history=[1, 2]), "history"),
        (lambda s, h: plot_loss_surface(s, log_z="yes"), "log_z"),
        (lambda s, h: animate_descent(s, []), "histories"),
        (lambda s, h: animate_descent(s, {}), "histories"),
        (lambda s, h: animate_descent(s, None), "histories"),
        (lambda s, h: animate_descent(s, "sgd"), "histories"),
        (lambda s, h: animate_descent(s, {1: h}), "histories keys"),
        (lambda s, h: animate_descent(s, h, max_frames=1), "max_frames"),
        (lambda s, h: animate_descent(s, h, max_frames=10.0), "max_frames"),
        (lambda s, h: animate_descent(s, h, frame_ms=0), "frame_ms"),
        (lambda s, h: animate_descent(s, h, kind="3d"), "kind"),
        (lambda s, h: animate_descent(s, h, width=5), "width"),
    ],
)
def test_validation(surface, histories, call, match):
    with pytest.raises(ValueError, match=match):
        call(surface, histories["sgd"])


def test_a_history_of_another_network_is_refused(surface, data):
    X, y = data
    other = train(Network([2, 5, 1], seed=0), X, y, steps=3)
    with pytest.raises(ValueError, match="histories: each History must come from the surface's network"):
        animate_descent(surface, other)


def test_paths_that_share_a_start_do_not_hide_each_other(surface, data, start):
    # Notebook 03's picture: runs from one start with different η; the first drawn lies underneath.
    X, y = data
    runs = {name: train(_only_two(start.copy()), X, y, lr=lr, steps=20) for name, lr in (("a", 0.05), ("b", 0.5))}
    fig = plot_loss_surface(surface, history=runs)
    lines = [t for t in fig.data if t.type == "scatter" and t.name in runs]
    assert lines[0].line.width > lines[1].line.width  # the first, underneath, is the wider
    assert lines[0].line.dash != lines[1].line.dash
