"""Training figures: the loss per step, per-layer gradient norms, and what the network predicts over the input plane.

Each function turns an engine object (a History from ``explainer.engine.training.train``, a DecisionGrid from
``explainer.engine.boundary.decision_grid``) into a ``go.Figure``. Nothing here trains or runs the network
except through ``decision_grid``.

A diverged run still draws: non-finite numbers are left out of every trace (a log axis also leaves
out numbers ≤ 0), and the figure carries a red banner and a marker at the step where it happened.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
import plotly.graph_objects as go

from ..engine.boundary import TASKS, DecisionGrid, decision_grid
from ..engine.history import divergence_message
from ..engine.network import Network
from ..engine.training import History
from .style import (
    DIVERGING,
    QUALITATIVE,
    Theme,
    apply_theme,
    colorbar,
    divergence_annotation,
    divergence_note,
    fmt,
    get_theme,
    muted_note,
    new_figure,
    ordered_colors,
)

# Marker shapes per class, so that classes read without colour (and in a black-and-white print).
CLASS_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon")
# Binary classes take the two dark ends of the diverging scale (purple 0, orange 1); the heat map uses
# only its paler middle (0.2 to 0.8), so that the points stand out on every part of it.
BINARY_COLORS = (DIVERGING[1][1], DIVERGING[9][1])
BINARY_MAP = [[round((pos - 0.2) / 0.6, 6), color] for pos, color in DIVERGING if 0.2 - 1e-9 <= pos <= 0.8 + 1e-9]
# Train points carry a white outline, test points a black one (the TensorFlow Playground's convention).
TRAIN_OUTLINE, TEST_OUTLINE = "#ffffff", "#000000"
DIVERGED_COLOR = "#d62728"


# ---------------------------------------------------------------------------------------------- shared checks
def check_figure_options(theme, lecture, width, height) -> Theme:
    """The Theme for ``theme``/``lecture``; ValueError naming the argument for a bad value."""
    if not isinstance(lecture, bool):
        raise ValueError(f"lecture must be True or False; got {lecture!r}")
    for name, value in (("width", width), ("height", height)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, Integral) or value < 100):
            raise ValueError(f"{name} must be None or an integer number of pixels ≥ 100; got {value!r}")
    return get_theme(theme, lecture)


def check_history(history, argument: str = "history") -> History:
    """``history`` if it is a History with at least one entry; ValueError otherwise."""
    if not isinstance(history, History):
        raise ValueError(
            f"{argument} must be a History from explainer.engine.training.train; got {type(history).__name__}"
        )
    if len(history) == 0:
        raise ValueError(f"{argument} must hold at least one step; it is empty")
    return history


def figure_size(theme: Theme, width: int | None, height: int | None, default: tuple[int, int]) -> dict:
    """Layout width and height: the caller's, else ``default`` in the theme's scale."""
    return {
        "width": width if width is not None else round(theme.size(default[0])),
        "height": height if height is not None else round(theme.size(default[1])),
    }


def finite_points(x: np.ndarray, y: np.ndarray, *, positive: bool = False) -> np.ndarray:
    """Boolean mask of the points a plot can draw: both coordinates finite (and y > 0 on a log axis)."""
    keep = np.isfinite(x) & np.isfinite(y)
    if positive:
        keep &= y > 0
    return keep


def divergence_text(history: History) -> str:
    """The banner text for a diverged history: the engine's one sentence (``divergence_message``), on two lines."""
    step = history.steps[-1] if history.diverged_at is None else history.steps[history.diverged_at]
    sentence = divergence_message(int(step), float(history.lr))
    head, _, rest = sentence.partition(": ")
    return f"{head}:<br>{rest}" if rest else sentence


def log_ticks(values: np.ndarray) -> dict:
    """A log axis's ticks at powers of ten, written 10⁻⁴ (never "100µ", never the digits 2…9 between): one per
    decade when the finite positive values span at least one, else plotly's own with its powers of ten."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    out = {"exponentformat": "power", "showexponent": "all", "minorloglabels": "none"}
    if v.size == 0:
        return out
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    if hi - lo < 1:
        return out
    step = max(1, math.ceil((hi - lo) / 8))
    powers = list(range(lo, hi + 1, step))
    return {**out, "tickvals": [10.0**p for p in powers], "ticktext": [_power(p) for p in powers]}


_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _power(p: int) -> str:
    if p == 0:
        return "1"
    if p == 1:
        return "10"
    return "10" + str(p).translate(_SUPER)


def pin_title(fig: go.Figure, th: Theme, title: str | None, extra_top: float) -> None:
    """Title at the very top, with ``extra_top`` px between it and the plot for a banner or notes."""
    height = fig.layout.height
    if title and height:
        fig.update_layout(
            title={"x": 0.0, "xref": "paper", "xanchor": "left", "y": 1 - th.size(14) / height, "yanchor": "top"}
        )
    if extra_top:
        fig.update_layout(margin={"t": th.size(60 if title else 24) + extra_top})


def zero_note(fig: go.Figure, th: Theme, text: str, row: int) -> None:
    """A muted note just above the plot (row 0 the lowest)."""
    fig.add_annotation(muted_note(th, text, th.size(4 + 22 * row)))


def _diverged_step(history: History) -> tuple[int, int] | None:
    """(entry index, step number) of the divergence, or None."""
    if not history.diverged:
        return None
    index = len(history) - 1 if history.diverged_at is None else int(history.diverged_at)
    return index, int(history.steps[index])


def _last_finite(values: np.ndarray, upto: int, positive: bool = False) -> float | None:
    finite = values[: upto + 1]
    finite = finite[np.isfinite(finite) & ((finite > 0) if positive else True)]
    return float(finite[-1]) if finite.size else None


# ---------------------------------------------------------------------------------------------- loss curve
def plot_loss_curve(
    history: History,
    *,
    log_y: bool = False,
    theme: str | Theme = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
    title: str | None = "Loss during training",
) -> go.Figure:
    """The mean training loss (and test loss when recorded) at every step, L(θₜ) for t = 0..T−1.

    history: a History; its ``train_loss`` (T,) and ``test_loss`` (T,) or None, indexed by ``steps``.
    log_y: a logarithmic loss axis (points with loss ≤ 0 are then left out).
    A diverged history gets a red banner, a dashed line and an ✕ at the step where the loss blew up.
    """
    history = check_history(history)
    th = check_figure_options(theme, lecture, width, height)
    if not isinstance(log_y, bool):
        raise ValueError(f"log_y must be True or False; got {log_y!r}")
    steps = np.asarray(history.steps, dtype=float)
    fig = go.Figure()
    series = [("train loss", history.train_loss, QUALITATIVE[0], "solid")]
    if history.test_loss is not None:
        series.append(("test loss", history.test_loss, QUALITATIVE[1], "dash"))
    for name, values, color, dash in series:
        values = np.asarray(values, dtype=float)
        keep = finite_points(steps, values, positive=log_y)
        fig.add_trace(
            go.Scatter(
                x=steps[keep],
                y=values[keep],
                mode="lines+markers" if keep.sum() <= 60 else "lines",
                name=name,
                line={"color": color, "width": th.size(2.5), "dash": dash},
                marker={"size": th.size(5), "color": color},
                hovertemplate=f"step %{{x}}<br>{name} = %{{y:.6g}}<extra></extra>",
            )
        )
    hit = _diverged_step(history)
    if hit is not None:
        index, step = hit
        y_at = _last_finite(np.asarray(history.train_loss, dtype=float), index, positive=log_y)
        if y_at is not None:
            bad = history.train_loss[index]
            fig.add_trace(
                go.Scatter(
                    x=[step],
                    y=[y_at],
                    mode="markers",
                    name=f"diverged at step {step}",
                    marker={"symbol": "x", "size": th.size(14), "color": DIVERGED_COLOR, "line": {"width": 1}},
                    hovertemplate=f"step {step}: loss = {fmt(float(bad))} — training diverged<extra></extra>",
                )
            )
        fig.add_vline(x=step, line={"color": DIVERGED_COLOR, "dash": "dash", "width": th.size(1.5)})
        divergence_annotation(fig, th, divergence_text(history))
    apply_theme(fig, th, title, **figure_size(th, width, height, (720, 420)))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="loss" + (" (log scale)" if log_y else ""), type="log" if log_y else "linear")
    pin_title(fig, th, title, th.size(48) if hit is not None else 0)
    return fig


# ---------------------------------------------------------------------------------------------- gradient norms
def layer_label(layer: int, n_layers: int) -> str:
    """'layer 1 (input side)', 'layer 2', ..., 'layer L (output side)'."""
    if n_layers == 1:
        return "layer 1"
    if layer == 1:
        return "layer 1 (input side)"
    if layer == n_layers:
        return f"layer {layer} (output side)"
    return f"layer {layer}"


def plot_gradient_norms(
    history: History,
    *,
    latest: bool = True,
    first: bool = False,
    log_y: bool = True,
    theme: str | Theme = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
    title: str | None = "Gradient size per layer: ‖∂L/∂Wˡ‖ during training",
) -> go.Figure:
    """Per-layer gradient norms ‖∂L/∂Wˡ‖_F over training: vanishing gradients sink, exploding ones climb.

    history: a History; ``grad_norms`` (T, L) holds the Frobenius norm of ∂L/∂Wˡ at each entry.
    latest: add a bar panel with the norms of the last finite step, one bar per layer.
    first: in that panel, beside each layer's latest bar, a pale bar of its norm at the first entry (step 0),
        so that how the gradients stood at the start stays in view while they change.
    log_y: a logarithmic norm axis (norms of 0, e.g. a frozen layer, are then not drawn).
    Layers are coloured in order from the input side (dark) to the output side (light).
    """
    history = check_history(history)
    th = check_figure_options(theme, lecture, width, height)
    for name, value in (("latest", latest), ("log_y", log_y)):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False; got {value!r}")
    norms = np.asarray(history.grad_norms, dtype=float)  # (T, L)
    steps = np.asarray(history.steps, dtype=float)
    n_layers = norms.shape[1]
    colors = ordered_colors(n_layers, th)
    # Built from plain dicts (no make_subplots): the Playground redraws it while it trains.
    data = []
    for layer in range(n_layers):
        label = layer_label(layer + 1, n_layers)
        keep = finite_points(steps, norms[:, layer], positive=log_y)
        data.append(dict(
            type="scatter", x=steps[keep], y=norms[keep, layer], mode="lines", name=label,
            legendgroup=f"layer{layer + 1}", line={"color": colors[layer], "width": th.size(2.5)},
            hovertemplate=f"step %{{x}}<br>‖∂L/∂W{layer + 1}‖ = %{{y:.4g}}<extra>{label}</extra>",
            xaxis="x", yaxis="y",
        ))  # fmt: skip
    axes = {}
    finite_rows = np.flatnonzero(np.all(np.isfinite(norms), axis=1))
    if latest:
        axes = {
            "xaxis": {"anchor": "y", "domain": [0.0, 0.7178]},
            "xaxis2": {"anchor": "y2", "domain": [0.7478, 1.0]},
            "yaxis": {"anchor": "x", "domain": [0.0, 1.0]},
            "yaxis2": {"anchor": "x2", "domain": [0.0, 1.0], "matches": "y", "showticklabels": False},
        }
        if finite_rows.size:
            row = int(finite_rows[-1])
            values = norms[row]
            shown = values > 0 if log_y else np.ones(n_layers, dtype=bool)
            data.append(dict(
                type="bar", x=[f"W{layer + 1}" for layer in range(n_layers) if shown[layer]], y=values[shown],
                marker={"color": [c for c, s in zip(colors, shown) if s], "line": {"color": th.text, "width": 0.5}},
                name=f"step {int(steps[row])}", showlegend=False,
                hovertemplate=f"step {int(steps[row])}<br>‖∂L/∂%{{x}}‖ = %{{y:.4g}}<extra></extra>",
                xaxis="x2", yaxis="y2",
            ))  # fmt: skip
            axes["xaxis2"]["title"] = {"text": f"latest (step {int(steps[row])})"}
            if first and row > 0:
                start = norms[0]
                at0 = (start > 0) & np.isfinite(start) if log_y else np.isfinite(start)
                data.insert(len(data) - 1, dict(
                    type="bar", x=[f"W{layer + 1}" for layer in range(n_layers) if at0[layer]], y=start[at0],
                    marker={"color": [c for c, s in zip(colors, at0) if s], "opacity": 0.35,
                            "line": {"color": th.text, "width": 0.5}},
                    name=f"step {int(steps[0])}", showlegend=False,
                    hovertemplate=f"step {int(steps[0])}<br>‖∂L/∂%{{x}}‖ = %{{y:.4g}}<extra></extra>",
                    xaxis="x2", yaxis="y2",
                ))  # fmt: skip
                axes["xaxis2"]["title"] = {"text": f"step {int(steps[0])} (pale), latest (step {int(steps[row])})"}
    hit = _diverged_step(history)
    notes = []
    if log_y:
        for layer in range(n_layers):
            zeros = np.flatnonzero(norms[:, layer] == 0)
            if zeros.size:
                notes.append(
                    f"‖∂L/∂W{layer + 1}‖ is exactly 0 at {zeros.size} step(s), from step {int(steps[zeros[0]])}: "
                    "a log axis cannot show 0 (the gradient has vanished)"
                )
    size = figure_size(th, width, height, (900 if latest else 720, 440))
    y_title = "‖∂L/∂Wˡ‖" + (" (log scale)" if log_y else "")
    axis_y = {"title": {"text": y_title}, "type": "log" if log_y else "linear"}
    if log_y:
        axis_y.update(log_ticks(norms))
    axes["xaxis"] = {**axes.get("xaxis", {}), "title": {"text": "step"}}
    axes["yaxis"] = {**axes.get("yaxis", {}), **axis_y}
    if "yaxis2" in axes:
        axes["yaxis2"]["type"] = axis_y["type"]
    annotations = [muted_note(th, text, th.size(4 + 22 * row)) for row, text in enumerate(notes)]
    shapes = []
    if hit is not None:
        index, step = hit
        shapes.append(dict(type="line", x0=step, x1=step, xref="x", y0=0, y1=1, yref="y domain",
                           line={"color": DIVERGED_COLOR, "dash": "dash", "width": th.size(1.5)}))  # fmt: skip
        banner = divergence_note(th, divergence_text(history))
        banner["yshift"] = th.size(22) * len(notes)
        annotations.append(banner)
    fig = new_figure(
        th, data, title=title, **size, **axes, annotations=annotations, shapes=shapes,
        legend={"title": {"text": "weights of"}, "traceorder": "normal"}, barmode="group",
    )  # fmt: skip
    pin_title(fig, th, title, th.size(22) * len(notes) + (th.size(48) if hit is not None else 0))
    return fig


# ---------------------------------------------------------------------------------------------- decision boundary
def _class_labels(y, n_classes: int, argument: str) -> np.ndarray:
    """Integer class labels (n,) from labels, (n, 1) 0/1 floats or one-hot rows (n, K)."""
    try:
        arr = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{argument} must be an array of class labels; got {type(y).__name__}") from None
    if arr.ndim == 2 and arr.shape[1] > 1:
        arr = np.argmax(arr, axis=1).astype(float)
    arr = arr.reshape(-1)
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any((arr < 0) | (arr >= n_classes)):
        raise ValueError(
            f"{argument} must be class labels 0 to {n_classes - 1} (or one-hot rows); got values {np.unique(arr)[:6]}"
        )
    return arr.astype(int)


def _data(X, y, argument_X: str, argument_y: str, n_features: int, task: str, n_classes: int) -> tuple:
    if X is None:
        return np.empty((0, n_features)), np.empty(0)
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim != 2 or Xa.shape[1] != n_features:
        raise ValueError(f"{argument_X} must be (n_samples, {n_features}) to match the grid; got shape {Xa.shape}")
    if Xa.shape[0] == 0:
        return Xa, np.empty(0)
    if not np.all(np.isfinite(Xa)):
        raise ValueError(f"{argument_X} must hold only finite numbers (no NaN or inf)")
    if y is None:
        raise ValueError(f"{argument_y} must be given with {argument_X}")
    if task == "regression":
        ya = np.asarray(y, dtype=float).reshape(-1)
    else:
        ya = _class_labels(y, n_classes, argument_y)
    if ya.shape[0] != Xa.shape[0]:
        raise ValueError(
            f"{argument_y} must have one target per row of {argument_X} ({Xa.shape[0]}); got {ya.shape[0]}"
        )
    return Xa, ya


def _blend(color: str, background: str, amount: float) -> str:
    """``amount`` of ``color`` over ``background`` (hex colours), as an rgb() string."""
    c = [int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    b = [int(background.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    r, g, bl = (round(bb + (cc - bb) * amount) for cc, bb in zip(c, b))
    return f"rgb({r},{g},{bl})"


def _grid_z(values: np.ndarray):
    """Heat-map z: the array itself when finite, else nested lists with None in the blank cells."""
    if np.all(np.isfinite(values)):
        return values
    return np.where(np.isfinite(values), values, None).tolist()


def plot_decision_boundary(
    source: DecisionGrid | Network,
    X=None,
    y=None,
    *,
    X_test=None,
    y_test=None,
    resolution: int = 100,
    margin: float = 0.1,
    task: str | None = None,
    feature_names: tuple[str, ...] | None = None,
    theme: str | Theme = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """What the network predicts everywhere on the input plane, with the data on top.

    binary: the heat map of P(class 1) = a(x) on the diverging scale centred on ½, and the contour
        a(x) = ½, the decision boundary. multiclass: each point coloured by its predicted class
        argmaxₖ aₖ(x), pale where the network is unsure and deep where it is confident.
        regression with one input: the curve y = a(x) through the data (two inputs: a heat map).

    Parameters
    ----------
    source: a DecisionGrid (from ``explainer.engine.boundary.decision_grid``), or a Network, for which the
        grid is computed here by ``decision_grid`` over X and X_test.
    X: (n_train, n_features) training inputs drawn as filled markers with a white outline.
    y: (n_train,) class labels (or one-hot rows, or (n, 1) 0/1) or regression targets.
    X_test, y_test: optional test data, drawn with a black outline.
    resolution, margin, task: passed to ``decision_grid`` when ``source`` is a Network.
    feature_names: axis titles (default x₁, x₂).
    """
    th = check_figure_options(theme, lecture, width, height)
    if isinstance(source, Network):
        if X is None:
            raise ValueError("X must be given with a Network (the grid covers the data)")
        Xa = np.asarray(X, dtype=float)
        if Xa.ndim != 2 or Xa.shape[1] not in (1, 2):
            raise ValueError(f"X must have 2 feature columns (or 1 for a regression curve); got shape {Xa.shape}")
        cover = Xa if X_test is None or np.size(X_test) == 0 else np.vstack([Xa, np.asarray(X_test, dtype=float)])
        grid = decision_grid(source, cover, resolution=resolution, margin=margin, task=task)
    elif isinstance(source, DecisionGrid):
        grid = source
        if task is not None and task != grid.task:
            raise ValueError(f"task must match the grid's task {grid.task!r} (or be None); got {task!r}")
    else:
        raise ValueError(f"source must be a DecisionGrid or an explainer Network; got {type(source).__name__}")
    if grid.task not in TASKS:
        raise ValueError(f"source has an unknown task {grid.task!r}; expected one of {', '.join(TASKS)}")
    n_features = grid.n_features
    if grid.task != "regression" and n_features != 2:
        raise ValueError(f"X must have 2 feature columns for a {grid.task} boundary; got {n_features}")
    n_classes = 2 if grid.task == "binary" else grid.n_outputs
    Xtr, ytr = _data(X, y, "X", "y", n_features, grid.task, n_classes)
    Xte, yte = _data(X_test, y_test, "X_test", "y_test", n_features, grid.task, n_classes)
    if feature_names is None:
        feature_names = ("x",) if n_features == 1 else ("x₁", "x₂")
    if len(feature_names) != n_features:
        raise ValueError(f"feature_names must hold {n_features} names; got {feature_names!r}")

    fig = go.Figure()
    diverged = not np.all(np.isfinite(grid.outputs))
    if n_features == 1:
        _regression_curve(fig, grid, Xtr, ytr, Xte, yte, th)
        default_title = "What the network predicts: y = a(x)"
    elif grid.task == "binary":
        _binary_map(fig, grid, th)
        default_title = "Decision boundary: where P(class 1) = ½"
    elif grid.task == "multiclass":
        _multiclass_map(fig, grid, th)
        default_title = "Predicted class over the input plane (shade = confidence)"
    else:
        _regression_map(fig, grid, th)
        default_title = "What the network predicts over the input plane"
    if n_features == 2:
        _points(fig, Xtr, ytr, Xte, yte, grid, th, feature_names)
    if diverged:
        divergence_annotation(
            fig, th, "The network's outputs are not finite in places (a diverged run); those cells are left blank"
        )
    size = figure_size(th, width, height, (680, 660) if n_features == 2 else (720, 480))
    apply_theme(fig, th, default_title if title is None else title, **size)
    fig.update_xaxes(
        title_text=feature_names[0], range=[float(grid.x[0]), float(grid.x[-1])], showgrid=False, zeroline=False
    )
    if n_features == 2:
        fig.update_yaxes(
            title_text=feature_names[1],
            range=[float(grid.y[0]), float(grid.y[-1])],
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
            showgrid=False,
            zeroline=False,
        )
        fig.update_xaxes(constrain="domain")
    else:
        fig.update_yaxes(title_text="y")
    # The legend below the plot: on the right it would collide with the colour bar.
    fig.update_layout(
        legend={"itemsizing": "constant", "orientation": "h", "x": 0.0, "y": -0.14, "yanchor": "top", "xanchor": "left"}
    )
    pin_title(fig, th, title if title is not None else default_title, th.size(48) if diverged else 0)
    return fig


def _binary_map(fig: go.Figure, grid: DecisionGrid, th: Theme) -> None:
    p = grid.outputs[..., 0]  # (R, R), rows follow y
    fig.add_trace(
        go.Heatmap(
            x=grid.x,
            y=grid.y,
            z=_grid_z(p),
            zmin=0.0,
            zmax=1.0,
            colorscale=BINARY_MAP,
            zsmooth="best",  # P is smooth; the multiclass map is not smoothed (it would blend the class bands)
            colorbar=colorbar(th, "P(class 1)"),
            name="P(class 1)",
            hovertemplate="x₁ = %{x:.3f}<br>x₂ = %{y:.3f}<br>P(class 1) = %{z:.3f}<extra></extra>",
        )
    )
    finite = p[np.isfinite(p)]
    if finite.size and finite.min() < 0.5 < finite.max():
        fig.add_trace(
            go.Contour(
                x=grid.x,
                y=grid.y,
                z=_grid_z(p),
                contours={"start": 0.5, "end": 0.5, "size": 1.0, "coloring": "lines"},
                line={"color": th.text, "width": th.size(2.5)},
                colorscale=[[0, th.text], [1, th.text]],
                showscale=False,
                name="boundary P = ½",
                showlegend=True,
                hoverinfo="skip",
            )
        )


def _multiclass_map(fig: go.Figure, grid: DecisionGrid, th: Theme) -> None:
    probs = grid.outputs  # (R, R, K)
    K = probs.shape[-1]
    with np.errstate(all="ignore"):
        top = np.max(np.where(np.isnan(probs), -np.inf, probs), axis=-1)  # (R, R)
        # 1/K is as unsure as K classes can be; 1 is certain. Scaled to [0, 1] within the class's band.
        confidence = np.clip((top - 1.0 / K) / (1.0 - 1.0 / K), 0.0, 0.999)
    z = grid.predicted + confidence
    z = np.where(np.isfinite(top), z, np.nan)
    colors = [QUALITATIVE[k % len(QUALITATIVE)] for k in range(K)]
    scale = []
    for k, c in enumerate(colors):
        scale.append([k / K, _blend(c, th.background, 0.10)])
        scale.append([(k + 1) / K, _blend(c, th.background, 0.6)])
    confidence_text = np.round(np.where(np.isfinite(top), top, 0.0), 3)
    fig.add_trace(
        go.Heatmap(
            x=grid.x,
            y=grid.y,
            z=_grid_z(z),
            zmin=0.0,
            zmax=float(K),
            colorscale=scale,
            showscale=False,
            customdata=np.stack([grid.predicted, confidence_text], axis=-1),
            name="predicted class",
            hovertemplate="x₁ = %{x:.3f}<br>x₂ = %{y:.3f}<br>class %{customdata[0]}, "
            "P = %{customdata[1]:.3f}<extra></extra>",
        )
    )


def _regression_map(fig: go.Figure, grid: DecisionGrid, th: Theme) -> None:
    fig.add_trace(
        go.Heatmap(
            x=grid.x,
            y=grid.y,
            z=_grid_z(grid.outputs[..., 0]),
            colorscale="Viridis",
            zsmooth="best",
            colorbar=colorbar(th, "a(x)"),
            name="prediction",
            hovertemplate="x₁ = %{x:.3f}<br>x₂ = %{y:.3f}<br>a = %{z:.4g}<extra></extra>",
        )
    )


def _regression_curve(fig: go.Figure, grid: DecisionGrid, Xtr, ytr, Xte, yte, th: Theme) -> None:
    curve = grid.outputs[:, 0]
    keep = np.isfinite(curve)
    fig.add_trace(
        go.Scatter(
            x=grid.x[keep],
            y=curve[keep],
            mode="lines",
            name="network a(x)",
            line={"color": QUALITATIVE[0], "width": th.size(3)},
            hovertemplate="x = %{x:.3f}<br>a(x) = %{y:.4g}<extra></extra>",
        )
    )
    for label, Xs, ys, outline, symbol in (
        ("train data", Xtr, ytr, TRAIN_OUTLINE, "circle"),
        ("test data", Xte, yte, TEST_OUTLINE, "diamond"),
    ):
        if Xs.shape[0] == 0:
            continue
        fig.add_trace(
            go.Scatter(
                x=Xs[:, 0],
                y=ys,
                mode="markers",
                name=label,
                marker={
                    "color": QUALITATIVE[1],
                    "symbol": symbol,
                    "size": th.size(8),
                    "line": {"color": th.text if outline == TEST_OUTLINE else outline, "width": th.size(1)},
                },
                hovertemplate="x = %{x:.3f}<br>y = %{y:.4g}<extra>" + label + "</extra>",
            )
        )


def _points(fig: go.Figure, Xtr, ytr, Xte, yte, grid: DecisionGrid, th: Theme, names) -> None:
    """Data points on the map: one trace per class and split, class = colour and shape."""
    hover = f"{names[0]} = %{{x:.3f}}<br>{names[1]} = %{{y:.3f}}"
    if grid.task == "regression":
        for label, Xs, ys, outline in (("train", Xtr, ytr, TRAIN_OUTLINE), ("test", Xte, yte, TEST_OUTLINE)):
            if Xs.shape[0] == 0:
                continue
            fig.add_trace(
                go.Scatter(
                    x=Xs[:, 0],
                    y=Xs[:, 1],
                    mode="markers",
                    name=f"{label} data",
                    marker={
                        "color": ys,
                        "colorscale": "Viridis",
                        "size": th.size(9),
                        "line": {"color": outline, "width": th.size(1.2)},
                    },
                    hovertemplate=hover + "<br>y = %{marker.color:.4g}<extra></extra>",
                )
            )
        return
    n_classes = 2 if grid.task == "binary" else grid.n_outputs
    colors = BINARY_COLORS if grid.task == "binary" else [QUALITATIVE[k % len(QUALITATIVE)] for k in range(n_classes)]
    for split, Xs, ys, outline, width in (
        ("train", Xtr, ytr, TRAIN_OUTLINE, 1.2),
        ("test", Xte, yte, TEST_OUTLINE, 2.0),
    ):
        for k in range(n_classes):
            rows = ys == k
            if not np.any(rows):
                continue
            fig.add_trace(
                go.Scatter(
                    x=Xs[rows, 0],
                    y=Xs[rows, 1],
                    mode="markers",
                    name=f"class {k} ({split})",
                    legendgroup=f"class{k}",
                    marker={
                        "color": colors[k],
                        "symbol": CLASS_SYMBOLS[k % len(CLASS_SYMBOLS)],
                        "size": th.size(9 if split == "train" else 10),
                        "line": {"color": outline, "width": th.size(width)},
                    },
                    hovertemplate=hover + f"<br>class {k} ({split})<extra></extra>",
                )
            )


__all__ = ["plot_loss_curve", "plot_gradient_norms", "plot_decision_boundary", "layer_label", "CLASS_SYMBOLS"]
