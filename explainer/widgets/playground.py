"""Playground: train a small network on 2-D data and watch the boundary, the loss and every layer's gradient.

In the spirit of the TensorFlow Playground, with what it never shows: the size of ∂L/∂Wˡ per layer,
so vanishing and exploding gradients are seen, not just told. One Play tick trains
``steps_per_update`` steps of the engine's TrainingSession and updates three figures::

    θ ← θ − η ∇L(θ)   (or momentum / Adam), steps_per_update times per tick, on the training split
    decision boundary: a(x) on a 50 × 50 grid over the data (one batched forward pass)
    loss curve: L(θₜ) on the train (and test) split; gradient norms: ‖∂L/∂Wˡ‖_F per layer

Speed: the pure figure functions of ``explainer.views.training`` build each figure in 60–100 ms
(Plotly object validation), too slow for 10 updates a second. So each figure is built once by its
view function, and a training tick sends only the numbers that training changed (the same arrays
the view would draw, computed here from the History and the DecisionGrid) in one ``plotly_update``
message per figure. Whenever the picture changes shape (a banner after divergence, a contour that
appears, new data, lecture mode) the view function draws it again and ``FigureSync`` brings the
widget up to date. The tests check that the live widgets hold exactly what the view functions draw.
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import ipywidgets as W
import numpy as np
from plotly.basedatatypes import Undefined  # the sentinel batch_update uses for "no change"

from .._validate import fraction, one_of, positive_float, positive_int
from ..course.datasets import DATASETS, Dataset, load_csv, make_dataset, sample_csv_text
from ..engine.activations import HIDDEN_ACTIVATIONS
from ..engine.boundary import DecisionGrid, decision_grid
from ..engine.network import Network, Record
from ..engine.session import TrainingSession
from ..engine.training import OPTIMIZERS, History
from ..views.training import layer_label, plot_decision_boundary, plot_gradient_norms, plot_loss_curve
from ._base import App, Coalescer, FigureSync
from ._figurewidget import FigureWidget

GRID_RESOLUTION = 50  # 2,500 grid points: one forward pass well under a millisecond for a 2-8-8-1 net
SNAPSHOT_RESOLUTION = 100
DISPLAY_POINTS = 500  # a long loss curve is thinned to about this many points for display (last point kept)
MAX_HIDDEN_LAYERS = 8
MAX_NEURONS = 32
MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 2_000  # training and redrawing stay within a tick's 100 ms
MAX_CSV_CLASSES = 8  # one distinct colour per class
STATE_CSV_BYTES = 64_000  # an uploaded CSV up to this size travels inside a saved state
LR_RANGE = (1e-4, 10.0)  # the learning-rate slider's ends (log scale)
LR_STEP = 0.01  # slider step in log10(η): one notch is ×1.023
MAX_STEPS_PER_UPDATE = 100
BATCH_SIZES = (0, 1, 4, 10, 32, 100)  # 0: the full training set (full-batch gradient descent)
CSV = "csv"  # the dataset name that stands for the uploaded file
# Control name → (width, description width) in px; lecture mode multiplies both.
CONTROL_WIDTHS = {
    **dict.fromkeys(("dataset", "noise", "test_fraction", "hidden", "activation", "optimizer"), (300, 120)),
    **dict.fromkeys(("lr", "batch_size", "steps_per_update"), (300, 120)),
    "seed": (200, 120),
    "preset": (250, 50),
    "csv": (150, 0),
    "play": (120, 0),
    "step": (90, 0),
    "reset": (90, 0),
    "lecture": (140, 0),
}
COLUMN_WIDTH = 310
LECTURE_CONTROL_SCALE = 1.6  # the lecture CSS sets 22 px text (from 14)


# ---------------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Every choice on the control panel; the whole state of a run together with the network's weights."""

    dataset: str = "circles"  # a DATASETS name, or "csv" for the uploaded file
    noise: float = 0.1  # std of the Gaussian noise on the features (on y for sine)
    test_fraction: float = 0.5  # held out, drawn with a black outline; its loss is the dashed curve
    seed: int = 0  # one seed for the data, the initial weights and the mini-batch order
    hidden: tuple[int, ...] = (8, 8)  # neurons per hidden layer
    activation: str = "tanh"  # hidden activation
    optimizer: str = "sgd"
    lr: float = 0.3
    batch_size: int = 0  # 0: full batch
    steps_per_update: int = 10  # optimiser steps per Play tick

    def needs_reset(self, other: Settings) -> bool:
        """Whether going from ``other`` to these settings needs a new network (a reset)."""
        keys = ("dataset", "noise", "test_fraction", "seed", "hidden", "activation")
        return any(getattr(self, k) != getattr(other, k) for k in keys)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


def parse_hidden(text) -> tuple[int, ...]:
    """Hidden layer sizes from text such as ``"8, 8"`` (or a sequence of ints); ``"none"`` for no hidden layer.

    ValueError naming ``hidden`` for anything else: empty text, a non-integer, a layer of 0 neurons,
    more than MAX_HIDDEN_LAYERS layers or more than MAX_NEURONS neurons in a layer.
    """
    example = f'e.g. "8, 8" (1 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_NEURONS} neurons), or "none"'
    if isinstance(text, str):
        stripped = text.strip()
        if stripped.lower() in ("none", "-"):
            return ()
        if not stripped:
            raise ValueError(f"hidden is empty: type the neurons of each hidden layer, {example}")
        parts = [p.strip() for p in re.split(r"[,;\s]+", stripped) if p.strip()]
        sizes = []
        for part in parts:
            if not re.fullmatch(r"\d+", part):
                raise ValueError(f"hidden must be whole numbers separated by commas; {part!r} is not, {example}")
            sizes.append(int(part))
    elif isinstance(text, (list, tuple)) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in text
    ):
        sizes = [int(v) for v in text]
    else:
        raise ValueError(f"hidden must be text or a list of integers, {example}; got {text!r}")
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"hidden has {len(sizes)} layers; the playground draws at most {MAX_HIDDEN_LAYERS}")
    for size in sizes:
        if not 1 <= size <= MAX_NEURONS:
            raise ValueError(f"hidden layers need 1 to {MAX_NEURONS} neurons each; got {size}, {example}")
    return tuple(sizes)


def hidden_text(hidden: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in hidden) if hidden else "none"


def check_settings(**values) -> Settings:
    """Settings from keyword values, each checked at the door (ValueError naming the argument)."""
    s = Settings()
    changes = {}
    for key, value in values.items():
        if key == "dataset":
            value = one_of(value, (*DATASETS, CSV), "dataset")
        elif key == "noise":
            value = positive_float(value, "noise", allow_zero=True)
            if value > 1:
                raise ValueError(f"noise must be a number from 0 to 1; got {value!r}")
        elif key == "test_fraction":
            value = fraction(value, "test_fraction", high=0.95)
        elif key == "seed":
            value = positive_int(value, "seed", minimum=0)
        elif key == "hidden":
            value = parse_hidden(value)
        elif key == "activation":
            value = one_of(value, HIDDEN_ACTIVATIONS, "activation")
        elif key == "optimizer":
            value = one_of(value, OPTIMIZERS, "optimizer")
        elif key == "lr":
            value = positive_float(value, "lr")
            if not LR_RANGE[0] <= value <= LR_RANGE[1]:
                raise ValueError(f"lr must be from {LR_RANGE[0]:g} to {LR_RANGE[1]:g}; got {value!r}")
        elif key == "batch_size":
            if value is None:
                value = 0
            value = positive_int(value, "batch_size", minimum=0)
            if value not in BATCH_SIZES:
                raise ValueError(f"batch_size must be one of {', '.join(map(str, BATCH_SIZES))} (0: full batch)")
        elif key == "steps_per_update":
            value = positive_int(value, "steps_per_update")
            if value > MAX_STEPS_PER_UPDATE:
                raise ValueError(f"steps_per_update must be from 1 to {MAX_STEPS_PER_UPDATE}; got {value}")
        else:
            raise ValueError(f"{key} is not a setting; the settings are {', '.join(Settings.__dataclass_fields__)}")
        changes[key] = value
    return replace(s, **changes)


@dataclass(frozen=True)
class Preset:
    """A classic scenario: one click resets every control to these settings."""

    name: str
    title: str
    description: str  # what to look at, one or two sentences
    settings: Settings


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "xor",
            "XOR",
            "Opposite quadrants share a class: no straight line separates them, one hidden layer of 4 tanh "
            "neurons bends the boundary around.",
            check_settings(dataset="xor", noise=0.05, hidden=(4,), activation="tanh", lr=0.3),
        ),
        Preset(
            "circles",
            "Circles",
            "A disc inside a ring: the network closes a curved boundary around the inner class.",
            check_settings(dataset="circles", noise=0.1, hidden=(8, 8), activation="tanh", lr=0.3),
        ),
        Preset(
            "spiral",
            "Spiral",
            "Two arms wound around each other: a deeper network and Adam; watch the test loss part from "
            "the train loss as the network starts to memorise.",
            check_settings(
                dataset="spiral", noise=0.05, hidden=(8, 8, 8), activation="tanh", optimizer="adam", lr=0.03
            ),
        ),
        Preset(
            "blobs",
            "Three classes",
            "Gaussian blobs, one per class: a softmax output with cross-entropy paints each region in its "
            "class colour, pale where the network is unsure.",
            check_settings(dataset="blobs", noise=0.1, hidden=(6,), activation="tanh", lr=0.3),
        ),
        Preset(
            "sine",
            "Regression: a sine",
            "One input, one output, squared error: the network's curve a(x) bends to follow y = sin(x).",
            check_settings(dataset="sine", noise=0.1, test_fraction=0.3, hidden=(8, 8), activation="tanh", lr=0.1),
        ),
        Preset(
            "vanishing",
            "Vanishing gradients",
            "Six sigmoid hidden layers: going back, every layer multiplies the gradient by f′ ≤ ¼, so "
            "‖∂L/∂W¹‖ starts about 10,000 times below the last layer's (log axis) and the loss stalls near ln 2.",
            check_settings(
                dataset="xor", noise=0.05, hidden=(6, 6, 6, 6, 6, 6), activation="sigmoid", lr=0.1, steps_per_update=2
            ),
        ),
        Preset(
            "diverging",
            "A learning rate that is too large",
            "η = 5 on a sine: each step overshoots further, the loss climbs and then becomes ∞. Lower η and "
            "press reset.",
            check_settings(dataset="sine", noise=0.1, test_fraction=0.3, hidden=(4,), activation="tanh", lr=5.0),
        ),
    )
}


# ---------------------------------------------------------------------------------------------- the engine side
def network_for(ds: Dataset, hidden: tuple[int, ...], activation: str, seed: int) -> Network:
    """The network a task needs: binary → 1 sigmoid output + bce; multiclass → k softmax outputs +
    cross-entropy; regression → 1 identity output + mse."""
    output, loss = {"binary": ("sigmoid", "bce"), "multiclass": ("softmax", "cross_entropy")}.get(
        ds.task, ("identity", "mse")
    )
    sizes = [ds.n_features, *hidden, ds.n_outputs]
    return Network(sizes, activation=activation, output_activation=output, loss=loss, seed=seed)


def csv_dataset(name: str, text: str, test_fraction: float, seed: int) -> Dataset:
    """An uploaded CSV as a Dataset the playground can draw; ValueError saying what is wrong with it.

    The boundary is drawn over the input plane, so the file needs exactly 2 feature columns (any
    labels), or 1 feature column with numeric labels (a regression curve).
    """
    stem = re.sub(r"[^\w.-]+", "_", Path(name or "upload.csv").stem).strip("._") or "upload"
    with tempfile.TemporaryDirectory(prefix="bpx-csv-") as folder:
        path = Path(folder) / f"{stem}.csv"
        path.write_text(text, encoding="utf-8")
        try:
            ds = load_csv(path, test_fraction=test_fraction, seed=seed)
        except ValueError as err:  # name the user's file, not the temporary copy
            raise ValueError(str(err).replace(f"path {str(path)!r}", repr(name))) from None
    where = f"{name!r}"
    if ds.n_samples > MAX_CSV_ROWS:
        raise ValueError(
            f"{where} has {ds.n_samples} data rows; the playground trains and redraws live 10 times a second "
            f"and takes at most {MAX_CSV_ROWS}"
        )
    if ds.n_features not in (1, 2):
        raise ValueError(
            f"{where} has {ds.n_features} feature columns ({', '.join(ds.feature_names)}); the decision "
            "boundary is drawn over the plane of the inputs, so the file needs exactly 2 feature columns "
            "(or 1 with numeric labels, for a regression curve) plus the label column last. "
            "Keep two features and the label."
        )
    if ds.n_features == 1 and ds.task != "regression":
        raise ValueError(
            f"{where} has 1 feature column and class labels: a boundary needs 2 feature columns "
            "(with 1 feature, the labels must be numbers to fit a curve)"
        )
    if ds.n_classes is not None and ds.n_classes > MAX_CSV_CLASSES:
        raise ValueError(f"{where} has {ds.n_classes} classes; the playground colours at most {MAX_CSV_CLASSES}")
    return ds


def display_history(history: History, limit: int = DISPLAY_POINTS) -> History:
    """``history`` thinned to about ``limit`` evenly spaced entries for drawing; the first and last are kept."""
    T = len(history)
    if T <= limit:
        return history
    index = np.unique(np.linspace(0, T - 1, limit).round().astype(int))  # (≤ limit,), includes 0 and T − 1
    return replace(
        history,
        steps=history.steps[index],
        train_loss=history.train_loss[index],
        test_loss=None if history.test_loss is None else history.test_loss[index],
        parameters=history.parameters[index],
        gradients=history.gradients[index],
        grad_norms=history.grad_norms[index],
        diverged_at=None if history.diverged_at is None else len(index) - 1,
    )


# ---------------------------------------------------------------------------------------------- live updates
# The numbers each view function puts in the traces that training changes, computed without building
# a figure. Each returns (restyle, relayout, trace indexes) for one plotly_update, or None when the
# figure has changed shape and must be drawn again by its view function. tests/test_widgets_playground.py
# checks them against the view functions.
Patch = tuple[dict, dict, list[int]]
_UNCHANGED = Undefined  # in a restyle list: leave this trace's property as it is


def loss_patch(history: History) -> Patch | None:
    """The loss curve's train (and test) line: finite (step, loss) points, markers up to 60 points."""
    if history.diverged:
        return None
    steps = history.steps.astype(float)
    series = [history.train_loss] if history.test_loss is None else [history.train_loss, history.test_loss]
    restyle = {"x": [], "y": [], "mode": []}
    for values in series:
        keep = np.isfinite(steps) & np.isfinite(values)
        restyle["x"].append(_c(steps[keep]))
        restyle["y"].append(_c(values[keep]))
        restyle["mode"].append("lines+markers" if keep.sum() <= 60 else "lines")
    return restyle, {}, list(range(len(series)))


def norms_patch(history: History) -> Patch | None:
    """Per-layer lines of ‖∂L/∂Wˡ‖ (log axis: positive finite points) and the bar panel of the last step."""
    norms = history.grad_norms  # (T, L)
    if history.diverged or not np.all(np.isfinite(norms)) or np.any(norms == 0):
        return None  # banners, notes or missing bars: the view draws those
    steps = history.steps.astype(float)
    n_layers = norms.shape[1]
    step = int(steps[-1])
    # A restyle sets a property on every listed trace (None would clear it), so the lines get their
    # unchanged hover templates along with the bar's new one.
    hover = [
        f"step %{{x}}<br>‖∂L/∂W{layer + 1}‖ = %{{y:.4g}}<extra>{layer_label(layer + 1, n_layers)}</extra>"
        for layer in range(n_layers)
    ]
    restyle = {
        "x": [_c(steps)] * n_layers + [[f"W{layer + 1}" for layer in range(n_layers)]],
        "y": [_c(norms[:, layer]) for layer in range(n_layers)] + [_c(norms[-1])],
        "hovertemplate": hover + [f"step {step}<br>‖∂L/∂%{{x}}‖ = %{{y:.4g}}<extra></extra>"],
    }
    return restyle, {"xaxis2.title.text": f"latest (step {step})"}, list(range(n_layers + 1))


def boundary_patch(grid: DecisionGrid, ds: Dataset, contour: bool) -> Patch | None:
    """The decision-boundary figure's numbers for a grid of finite outputs: map (or curve) and data points.

    Trace order as the view draws it: the heat map (and the a(x) = ½ contour when ``contour``), then
    one point trace per split (train, test) and class present; or, for one input, the curve a(x)
    and the train and test points. The data points and the axes' ranges are included so that new data
    of the same shape (noise, seed, split) needs no new figure.
    """
    if not np.all(np.isfinite(grid.outputs)):
        return None
    splits = [(ds.X_train, ds.y_train), (ds.X_test, ds.y_test)]
    if grid.y is None:  # one input: the curve a(x), then the data as (x, y) points
        restyle = {"x": [_c(grid.x)], "y": [_c(grid.outputs[:, 0])]}
        for X, y in splits:
            if len(y):
                restyle["x"].append(_c(X[:, 0]))
                restyle["y"].append(_c(y))
        return restyle, {"xaxis.range": [float(grid.x[0]), float(grid.x[-1])]}, list(range(len(restyle["x"])))
    maps = {"x": [_c(grid.x)], "y": [_c(grid.y)]}
    if grid.task == "binary":
        p = _rows(grid.outputs[..., 0])  # (R, R)
        if _has_contour(grid.outputs[..., 0]) != contour:
            return None
        maps["z"] = [p, p] if contour else [p]
    elif grid.task == "multiclass":
        probs = grid.outputs  # (R, R, K)
        K = probs.shape[-1]
        top = probs.max(axis=-1)
        confidence = np.clip((top - 1.0 / K) / (1.0 - 1.0 / K), 0.0, 0.999)
        maps["z"] = [_rows(grid.predicted + confidence)]
        maps["customdata"] = [np.stack([grid.predicted, np.round(top, 3)], axis=-1)]
    else:
        maps["z"] = [_rows(grid.outputs[..., 0])]
    n_maps = len(maps["z"])
    maps["x"], maps["y"] = maps["x"] * n_maps, maps["y"] * n_maps
    points = {"x": [], "y": []}
    colors = []
    for X, y in splits:
        if grid.task == "regression":
            if len(y):
                points["x"].append(_c(X[:, 0]))
                points["y"].append(_c(X[:, 1]))
                colors.append(_c(y))
            continue
        for k in range(2 if grid.task == "binary" else grid.n_outputs):
            rows = y == k
            if np.any(rows):
                points["x"].append(_c(X[rows, 0]))
                points["y"].append(_c(X[rows, 1]))
    n_points = len(points["x"])
    restyle = {key: maps[key] + points.get(key, []) for key in maps}
    if colors:
        restyle["marker.color"] = [_UNCHANGED] * n_maps + colors
    for key in restyle:  # keys only the maps have leave the points as they are
        restyle[key] = restyle[key] + [_UNCHANGED] * (n_maps + n_points - len(restyle[key]))
    relayout = {
        "xaxis.range": [float(grid.x[0]), float(grid.x[-1])],
        "yaxis.range": [float(grid.y[0]), float(grid.y[-1])],
    }
    return restyle, relayout, list(range(n_maps + n_points))


def _c(a: np.ndarray) -> np.ndarray:
    """A contiguous float64 array: the widget sends 1-D arrays as binary buffers, and the kernel's
    messaging refuses a strided view (a column of a matrix) with "Buffer … is not contiguous"."""
    return np.ascontiguousarray(a, dtype=np.float64)


def _rows(z: np.ndarray) -> list[np.ndarray]:
    """A 2-D array as a list of its rows: the widget sends 1-D float arrays as binary buffers but 2-D
    arrays as JSON text (a 50 × 50 heat map: 20 KB instead of about 50 KB per trace)."""
    return list(np.ascontiguousarray(z, dtype=np.float64))


def boundary_shape(grid: DecisionGrid, ds: Dataset) -> tuple | None:
    """What fixes the boundary figure's traces and layout (None: not drawable by a patch)."""
    if not np.all(np.isfinite(grid.outputs)):
        return None
    contour = grid.task == "binary" and grid.y is not None and _has_contour(grid.outputs[..., 0])
    if grid.task == "regression":
        present = (len(ds.y_train) > 0, len(ds.y_test) > 0)
    else:
        present = (tuple(np.unique(ds.y_train)), tuple(np.unique(ds.y_test)))
    return (grid.task, grid.n_features, grid.n_outputs, contour, present, ds.feature_names, ds.name in DATASETS)


def _has_contour(p: np.ndarray) -> bool:
    """Whether the binary view draws the a(x) = ½ line: the finite outputs reach both sides of ½."""
    finite = p[np.isfinite(p)]
    return bool(finite.size and finite.min() < 0.5 < finite.max())


class _FigureSync(FigureSync):
    """FigureSync for go.Figure input, with two fixes found in the browser.

    - The widget is built from the go.Figure itself, so numpy arrays stay arrays. Built from
      ``fig.to_plotly_json()`` (as FigureSync does) they become ``{"dtype", "bdata"}`` dicts, and when
      the browser reports its trace defaults Plotly's ``_remove_overlapping_props`` fails with an
      AssertionError in the kernel.
    - An in-place update sends each trace only its own properties: FigureSync sends every property
      name to every trace (None where a trace lacks it), which Plotly rejects for a heat map under
      scatter points ("Invalid property path 'colorbar' for trace class Scatter"). All in one
      ``batch_update``: still one message.
    """

    def __init__(self, fig, layout_keys: tuple[str, ...]):
        self.layout_keys = tuple(layout_keys)
        self.widget = FigureWidget(fig)
        self._signature = _trace_signature(fig)
        self.on_rebuild = None
        self.updates = 0

    def update(self, fig) -> None:
        if _trace_signature(fig) != self._signature:  # a new trace structure: a new widget, the old one closed
            old = self.widget
            self.widget = FigureWidget(fig)
            self._signature = _trace_signature(fig)
            if self.on_rebuild is not None:
                self.on_rebuild(self.widget)
            old.close()
            return
        layout = fig.layout
        widget = self.widget
        with widget.batch_update():
            for trace, new in zip(widget.data, fig.data):
                trace.update({k: v for k, v in new._props.items() if k not in ("type", "uid")})
            for key in self.layout_keys:
                widget.layout[key] = layout[key]
        self.updates += 1


def _trace_signature(fig) -> tuple:
    """(type, name) of every trace: what FigureSync compares to decide between an update and a rebuild."""
    return tuple((t.type, t.name) for t in fig.data)


class _LiveFigure:
    """One figure of the app: a FigureSync built once, then patched (fast) or redrawn (when its shape changes)."""

    def __init__(self, box: W.Box, layout_keys: tuple[str, ...]):
        self.box = box
        self.layout_keys = layout_keys
        self.sync: _FigureSync | None = None
        self.shape = None  # what the last full drawing looked like; a patch applies only while it holds

    @property
    def widget(self):
        return None if self.sync is None else self.sync.widget

    def plan(self, shape, patch, draw):
        """What to send, decided before anything is sent (so a failure leaves the figure as it was)."""
        if self.sync is not None and shape is not None and shape == self.shape:
            p = patch()
            if p is not None:
                return ("patch", p, shape)
        return ("draw", draw(), shape)

    def apply(self, plan) -> None:
        kind, payload, shape = plan
        if kind == "patch":
            restyle, relayout, indexes = payload
            self.sync.widget.plotly_update(restyle_data=restyle, relayout_data=relayout, trace_indexes=indexes)
        elif self.sync is None:
            self.sync = _FigureSync(payload, layout_keys=self.layout_keys)
            self.sync.on_rebuild = self._mount
            self._mount(self.sync.widget)
        else:
            self.sync.update(payload)
        self.shape = shape

    def _mount(self, widget) -> None:
        self.box.children = (widget,)

    def close(self) -> None:
        if self.sync is not None:
            self.sync.close()
            self.sync = None
        self.box.children = ()
        self.shape = None

    def retire(self):
        """Forget the widget so the next drawing builds a new one; returns the old one for closing later."""
        old = self.widget
        self.sync = None
        self.shape = None
        return old


# ---------------------------------------------------------------------------------------------- the app
class Playground(App):
    """Train a small network live: data set, noise, split, layers, activation, optimiser, η, batch size.

    ``Playground()`` starts on circles with a 2-8-8-1 tanh network; ``Playground(preset="spiral")``
    on a named scenario (see ``PRESETS``). Press ▶ (or ``app.controls["step"].click()``).

    Parameters (each also a control): dataset (a name of ``explainer.course.datasets.DATASETS``), noise,
    test_fraction, seed, hidden ("8, 8" or a list of ints), activation, optimizer, lr, batch_size
    (0 or None: full batch), steps_per_update; n_samples (generated data sets); max_steps (training
    stops there: the session keeps every step's parameters in memory); lecture, theme. A ``preset``
    (a name of ``PRESETS``) sets every training setting and overrides those arguments.

    ``app.network`` the live Network, ``app.session`` its TrainingSession, ``app.history`` the History
    so far, ``app.record`` the Record at the current parameters on the training data,
    ``app.dataset`` the Dataset, ``app.controls`` name → widget, ``app.figures`` name → FigureWidget.
    """

    def __init__(
        self,
        dataset: str = Settings.dataset,
        *,
        noise: float = Settings.noise,
        test_fraction: float = Settings.test_fraction,
        seed: int = Settings.seed,
        hidden: str | tuple[int, ...] = Settings.hidden,
        activation: str = Settings.activation,
        optimizer: str = Settings.optimizer,
        lr: float = Settings.lr,
        batch_size: int | None = None,
        steps_per_update: int = Settings.steps_per_update,
        n_samples: int = 200,
        max_steps: int = 20_000,
        preset: str | None = None,
        lecture: bool = False,
        theme: str = "light",
    ):
        if not isinstance(lecture, bool):
            raise ValueError(f"lecture must be True or False; got {lecture!r}")
        super().__init__(lecture=lecture)
        self.theme = one_of(theme, ("light", "dark"), "theme")
        self.n_samples = positive_int(n_samples, "n_samples", minimum=10)
        if self.n_samples > MAX_CSV_ROWS:
            raise ValueError(f"n_samples must be from 10 to {MAX_CSV_ROWS}; got {n_samples}")
        self.max_steps = positive_int(max_steps, "max_steps")
        if preset is not None:
            settings = PRESETS[one_of(preset, PRESETS, "preset")].settings
        else:
            if dataset == CSV:
                raise ValueError("dataset 'csv' means an uploaded file: upload it in the app (controls['csv'])")
            settings = check_settings(
                dataset=dataset,
                noise=noise,
                test_fraction=test_fraction,
                seed=seed,
                hidden=hidden,
                activation=activation,
                optimizer=optimizer,
                lr=lr,
                batch_size=batch_size,
                steps_per_update=steps_per_update,
            )
        self._csv: tuple[str, str] | None = None  # (file name, text) of the uploaded CSV
        self._settings = settings  # what the network and session were built from (the last good state)
        self._dataset: Dataset | None = None
        self._session: TrainingSession | None = None
        self._data_version = 0  # data, network and session built so far
        self._good_parameters = None
        self._needs_rebuild = False
        self._coalescer = Coalescer(self._sync)
        self.updates = 0  # drawings so far (each one message per figure)
        self._retired: list[tuple[int, W.Widget]] = []  # (updates when replaced, widget) awaiting close
        self._build_controls(settings)
        self.status = W.HTML(layout=W.Layout(min_width="260px"))
        self._boxes = {name: W.Box() for name in ("boundary", "loss", "norms")}
        self._figures = {
            "boundary": _LiveFigure(
                self._boxes["boundary"], ("annotations", "shapes", "title", "margin", "xaxis", "yaxis")
            ),
            "loss": _LiveFigure(self._boxes["loss"], ("annotations", "shapes", "title", "margin")),
            "norms": _LiveFigure(self._boxes["norms"], ("annotations", "shapes", "title", "margin", "xaxis2")),
        }
        self._rebuild(settings)
        self._render()
        self.root = self._wrap(self._layout())
        if preset is not None:
            self.show_message(f"Preset: {PRESETS[preset].title}. {PRESETS[preset].description}")

    # ------------------------------------------------------------------ controls
    def _build_controls(self, s: Settings) -> None:
        c = self.controls
        wide = {"description_width": "120px"}  # widths are set by _fit_controls
        c["preset"] = W.Dropdown(
            options=[("— preset —", "")] + [(p.title, p.name) for p in PRESETS.values()],
            value="",
            description="preset",
            style={"description_width": "50px"},
        )
        c["dataset"] = W.Dropdown(options=self._dataset_options(), value=s.dataset, description="data set", style=wide)
        c["noise"] = W.FloatSlider(
            value=s.noise, min=0.0, max=0.5, step=0.01, description="noise", style=wide,
            continuous_update=True, readout_format=".2f",
        )  # fmt: skip
        c["test_fraction"] = W.FloatSlider(
            value=s.test_fraction, min=0.0, max=0.9, step=0.05, description="test share", style=wide,
             readout_format=".0%",
        )  # fmt: skip
        c["seed"] = W.BoundedIntText(value=s.seed, min=0, max=2**31 - 1, description="seed", style=wide)
        c["csv"] = W.FileUpload(accept=".csv,text/csv", multiple=False, description="your CSV", icon="upload")
        c["hidden"] = W.Text(
            value=hidden_text(s.hidden), description="hidden layers", placeholder="e.g. 8, 8",
            continuous_update=False, style=wide,
        )  # fmt: skip
        c["activation"] = W.Dropdown(
            options=list(HIDDEN_ACTIVATIONS), value=s.activation, description="activation", style=wide
        )
        c["optimizer"] = W.Dropdown(options=list(OPTIMIZERS), value=s.optimizer, description="optimiser", style=wide)
        c["lr"] = W.FloatLogSlider(
            value=s.lr, base=10, min=math.log10(LR_RANGE[0]), max=math.log10(LR_RANGE[1]), step=LR_STEP,
            description="η (learning rate)", readout_format=".2g", continuous_update=True, style=wide,
        )  # fmt: skip
        c["batch_size"] = W.Dropdown(
            options=[("full batch", 0)] + [(str(b), b) for b in BATCH_SIZES if b],
            value=s.batch_size, description="batch size", style=wide,
        )  # fmt: skip
        c["steps_per_update"] = W.IntSlider(
            value=s.steps_per_update, min=1, max=MAX_STEPS_PER_UPDATE, description="steps per tick",
            style=wide,
        )  # fmt: skip
        c["play"] = W.Play(
            value=0, min=0, max=2**31 - 1, step=1, interval=100, show_repeat=False,
            tooltip="Train continuously: one tick (steps per tick steps) every 100 ms",
        )  # fmt: skip
        c["step"] = W.Button(
            description="step",
            icon="step-forward",
            tooltip="Train one tick (steps per tick steps)",
        )
        c["reset"] = W.Button(
            description="reset",
            icon="undo",
            button_style="warning",
            tooltip="Back to step 0 with the starting weights",
        )
        c["lecture"] = W.ToggleButton(value=self.lecture, description="lecture mode", icon="expand")
        for name in ("dataset", "noise", "test_fraction", "seed", "hidden", "activation"):
            c[name].observe(self._on_reset_setting_change, names="value")
        c["lr"].observe(self._on_lr_change, names="value")
        c["optimizer"].observe(self._on_optimizer_change, names="value")
        c["batch_size"].observe(self._on_batch_size_change, names="value")
        c["steps_per_update"].observe(self._on_steps_per_update_change, names="value")
        c["play"].observe(self._on_play_change, names="value")
        c["step"].on_click(lambda _: self._guard(self._tick, restore=self._restore_parameters))
        c["reset"].on_click(lambda _: self._guard(self.reset))
        c["csv"].observe(self._on_csv_change, names="value")
        c["preset"].observe(self._on_preset_change, names="value")
        c["lecture"].observe(self._on_lecture_change, names="value")
        self._csv_help = W.HTML(self._csv_help_text())
        self._columns = [W.VBox(), W.VBox()]  # data, network and training (filled by _layout)
        self._fit_controls()

    def _fit_controls(self) -> None:
        """Widths of the controls, larger in lecture mode (the lecture CSS enlarges their text)."""
        k = LECTURE_CONTROL_SCALE if self.lecture else 1.0
        for name, (width, label) in CONTROL_WIDTHS.items():
            widget = self.controls[name]
            widget.layout.width = f"{round(width * k)}px"
            if label:
                widget.style.description_width = f"{round(label * k)}px"
        for column in self._columns:
            column.layout.width = f"{round(COLUMN_WIDTH * k)}px"

    def _dataset_options(self) -> list[tuple[str, str]]:
        options = [(spec.description.split(":")[0], name) for name, spec in DATASETS.items()]
        if self._csv is not None:
            options.append((f"your CSV: {self._csv[0]}", CSV))
        return options

    @staticmethod
    def _csv_help_text() -> str:
        import html

        lines = sample_csv_text().splitlines()[:4]
        return (
            "<details><summary>CSV format</summary><div style='font-size:0.9em'>Two numeric feature columns and "
            "the label last (text or whole numbers: classes; other numbers: regression); one feature column "
            f"with numeric labels fits a curve. At most {MAX_CSV_ROWS} rows. Example:"
            f"<pre>{html.escape(chr(10).join(lines))}\n…</pre></div></details>"
        )

    def _layout(self) -> W.Widget:
        c = self.controls
        data, training = self._columns
        data.children = [W.HTML("<b>Data</b>"), c["dataset"], c["noise"], c["test_fraction"], c["seed"], c["csv"]]
        data.children += (self._csv_help,)
        training.children = [
            W.HTML("<b>Network and training</b>"),
            *(c[name] for name in ("hidden", "activation", "optimizer", "lr", "batch_size", "steps_per_update")),
        ]
        toolbar = W.HBox(
            [c["play"], c["step"], c["reset"], self.status, c["preset"], c["lecture"]],
            layout=W.Layout(flex_flow="row wrap", align_items="center"),
        )
        controls = W.VBox([data, training])
        top = W.HBox([controls, self._boxes["boundary"]], layout=W.Layout(flex_flow="row wrap"))
        bottom = W.HBox([self._boxes["loss"], self._boxes["norms"]], layout=W.Layout(flex_flow="row wrap"))
        body = W.VBox([toolbar, top, bottom])
        # Closed with the app (App.close closes what _all_widgets lists).
        self._containers = [data.children[0], training.children[0], toolbar, controls, top, bottom, body]
        return body

    # ------------------------------------------------------------------ public API
    @property
    def session(self) -> TrainingSession:
        """The TrainingSession (pending control changes are applied first)."""
        self._coalescer.flush()
        return self._session

    @property
    def network(self) -> Network:
        """The live Network being trained."""
        return self.session.network

    @property
    def history(self) -> History:
        """Everything trained so far since the last reset (entry 0 is the start)."""
        return self.session.history

    @property
    def record(self) -> Record:
        """The recorded forward and backward pass at the current parameters, on the training data."""
        return self.session.record()

    @property
    def dataset(self) -> Dataset:
        self._coalescer.flush()
        return self._dataset

    @property
    def settings(self) -> Settings:
        self._coalescer.flush()
        return self._settings

    @property
    def figures(self) -> dict:
        """name ("boundary", "loss", "norms") → the live plotly FigureWidget."""
        self._coalescer.flush()
        return {name: fig.widget for name, fig in self._figures.items()}

    def step(self, ticks: int = 1) -> None:
        """Train ``ticks`` ticks of ``steps_per_update`` steps each, as the step button does."""
        for _ in range(positive_int(ticks, "ticks")):
            if not self._guard(self._tick, restore=self._restore_parameters):
                break

    def reset(self) -> None:
        """Back to step 0 with the starting weights; the history is cleared (also after divergence)."""
        self._coalescer.flush()
        self._session.reset()
        self._good_parameters = self._session.network.parameters
        self._render()
        self.show_message("Reset: back to step 0 with the same starting weights (change the seed for new ones).")

    def load_preset(self, name: str) -> None:
        """Reset every control to the named preset (see ``PRESETS``) and start again from step 0."""
        preset = PRESETS[one_of(name, PRESETS, "name")]
        self._pause()
        self._coalescer.flush()
        self._apply_settings(preset.settings)
        self.show_message(f"Preset: {preset.title}. {preset.description}")

    def upload_csv(self, name: str, content: bytes | str) -> None:
        """Train on your own CSV (as the upload button does); ValueError naming the problem, data kept."""
        if isinstance(content, (bytes, bytearray, memoryview)):
            raw = bytes(content)
            if len(raw) > MAX_CSV_BYTES:
                raise ValueError(
                    f"{name!r} is {len(raw):,} bytes; the playground takes CSV files up to {MAX_CSV_BYTES:,}"
                )
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as err:
                raise ValueError(f"{name!r} is not UTF-8 text (a CSV saved as text): {err}") from None
        elif isinstance(content, str):
            text = content
        else:
            raise ValueError(f"content must be the file's bytes or text; got {type(content).__name__}")
        self._coalescer.flush()
        s = self._settings
        ds = csv_dataset(name, text, s.test_fraction, s.seed)  # raises before anything changes
        self._pause()
        self._csv = (str(name), text)
        self._set_silently(self.controls["dataset"], s.dataset)  # options change below; keep the value valid
        self._silent += 1
        try:
            self.controls["dataset"].options = self._dataset_options()
        finally:
            self._silent -= 1
        self._apply_settings(replace(s, dataset=CSV), dataset=ds)
        self.show_message(
            f"Loaded {name}: {ds.n_samples} rows, features {', '.join(ds.feature_names)}, "
            f"{ds.task}{'' if ds.n_classes is None else f' ({ds.n_classes} classes)'}. The network starts from step 0."
        )

    def snapshot(self):
        """A plain plotly Figure of the decision boundary with the data (for pages without a kernel)."""
        ds = self.dataset
        grid = decision_grid(self.network, ds.X, resolution=SNAPSHOT_RESOLUTION)
        return self._plot_boundary(grid, ds, step=self._session.steps_done)

    def state(self) -> dict:
        """The settings, the network (architecture and current weights) and the data's source, as JSON-ready data."""
        self._coalescer.flush()
        csv = None
        if self._settings.dataset == CSV:
            name, text = self._csv
            csv = {"name": name, "text": text if len(text.encode()) <= STATE_CSV_BYTES else None}
        return {
            "settings": self._settings.to_dict(),
            "n_samples": self.n_samples,
            "network": self._session.network.to_dict(),
            "steps": self._session.steps_done,
            "csv": csv,
            "lecture": self.lecture,
        }

    def set_state(self, state: dict) -> None:
        """Restore ``state()``: settings, data, and the saved weights as the new start (step 0)."""
        try:
            settings = check_settings(**state["settings"])
            net = Network.from_dict(state["network"])
            n_samples = positive_int(state.get("n_samples", self.n_samples), "n_samples", minimum=10)
            csv = state.get("csv")
        except (KeyError, TypeError) as err:
            raise ValueError(f"state is missing or has a malformed entry: {err}") from None
        ds = None
        if settings.dataset == CSV:
            if not isinstance(csv, dict) or not isinstance(csv.get("text"), str):
                raise ValueError("state was saved with an uploaded CSV too large to store in it; upload the file again")
            ds = csv_dataset(csv.get("name", "upload.csv"), csv["text"], settings.test_fraction, settings.seed)
        else:
            ds = make_dataset(
                settings.dataset,
                n_samples=n_samples,
                noise=settings.noise,
                seed=settings.seed,
                test_fraction=settings.test_fraction,
            )
        expected = network_for(ds, settings.hidden, settings.activation, settings.seed)
        if list(net.sizes) != list(expected.sizes) or net.loss != expected.loss:
            raise ValueError(
                f"state's network {list(net.sizes)} ({net.loss}) does not fit its settings, which need "
                f"{list(expected.sizes)} ({expected.loss})"
            )
        self._pause()
        self._coalescer.flush()
        if settings.dataset == CSV:
            self._csv = (csv.get("name", "upload.csv"), csv["text"])
            self._silent += 1
            try:
                self.controls["dataset"].options = self._dataset_options()
            finally:
                self._silent -= 1
        self.n_samples = n_samples
        self._apply_settings(settings, dataset=ds, network=net)
        self.set_lecture(bool(state.get("lecture", False)))

    def set_lecture(self, on: bool) -> None:
        """Large fonts and figures for a lecture hall."""
        self._set_silently(self.controls["lecture"], bool(on))
        if bool(on) != self.lecture:
            # Every size in every layout changes: new widgets. The old ones are closed at the next event,
            # not now: the page reflows with the lecture CSS and their views, still on the page until
            # the new ones replace them, would send a resize to a closed model ("no comm channel defined").
            old = [fig.retire() for fig in self._figures.values()]
            self._retired += [(self.updates, w) for w in old if w is not None]
        super().set_lecture(on)
        self._fit_controls()

    def _close_retired(self, everything: bool = True) -> None:
        """Close replaced widgets: all of them, or those replaced before the last drawing (whose views are gone)."""
        keep = []
        for drawn_before, widget in self._retired:
            if everything or drawn_before < self.updates:
                widget.close()
            else:
                keep.append((drawn_before, widget))
        self._retired = keep

    def refresh(self) -> None:
        self._render()

    def close(self) -> None:
        self._close_retired()
        for fig in self._figures.values():
            fig.close()
        super().close()

    # ------------------------------------------------------------------ callbacks
    def _on_play_change(self, change) -> None:
        # The Play widget counts up while playing; its stop button sets the value back (not a tick).
        if self._silent or change["new"] <= change["old"]:
            return
        self._guard(self._tick, restore=self._restore_parameters)

    def _on_lr_change(self, change) -> None:
        if self._silent:
            return

        new = float(change["new"])
        # The browser's slider snaps η to its grid of 10^(k·LR_STEP) when it first draws (0.3 → 0.302)
        # and sends that back; a change within half a notch is that rounding, not the user: keep η exact.
        if abs(math.log10(new / self._settings.lr)) < LR_STEP / 2 + 1e-9:
            return

        def apply():
            self._session.lr = new  # no reset: history and optimiser state carry on
            self._settings = replace(self._settings, lr=new)
            self._update_status()

        self._guard(apply, restore=self._restore_controls)

    def _on_optimizer_change(self, change) -> None:
        if self._silent:
            return

        def apply():
            self._coalescer.flush()
            self._session.set_optimizer(change["new"])  # parameters and history carry on; its state starts fresh
            self._settings = replace(self._settings, optimizer=change["new"])
            self._update_status()
            self.show_message(f"Optimiser {change['new']}: training continues from step {self._session.steps_done}.")

        self._guard(apply, restore=self._restore_controls)

    def _on_batch_size_change(self, change) -> None:
        if self._silent:
            return

        def apply():
            value = check_settings(batch_size=change["new"]).batch_size
            self._session.batch_size = value or None
            self._settings = replace(self._settings, batch_size=value)

        self._guard(apply, restore=self._restore_controls)

    def _on_steps_per_update_change(self, change) -> None:
        if self._silent:
            return

        def apply():
            self._settings = replace(
                self._settings, steps_per_update=check_settings(steps_per_update=change["new"]).steps_per_update
            )

        self._guard(apply, restore=self._restore_controls)

    def _on_reset_setting_change(self, change) -> None:
        # Data, split, seed, layers and activation need a new network: coalesced, so a slider drag
        # rebuilds once for the burst.
        if self._silent:
            return
        self._needs_rebuild = True
        self._guard(self._coalescer.request)

    def _on_csv_change(self, change) -> None:
        if self._silent or not change["new"]:
            return
        entry = change["new"][0]

        def get(key, default=None):
            return entry.get(key, default) if isinstance(entry, dict) else getattr(entry, key, default)

        def apply():
            content = get("content")
            if content is None:
                raise ValueError("the upload holds no file content; try again")
            self.upload_csv(get("name", "upload.csv"), content)

        self._guard(apply)
        self._set_silently(self.controls["csv"], ())  # the same file can be chosen again

    def _on_preset_change(self, change) -> None:
        if self._silent or not change["new"]:
            return
        self._guard(lambda: self.load_preset(change["new"]), restore=self._restore_controls)
        self._set_silently(self.controls["preset"], "")

    def _on_lecture_change(self, change) -> None:
        if self._silent:
            return
        self.set_lecture(change["new"])

    # ------------------------------------------------------------------ training
    def _tick(self) -> None:
        """One Play tick or step click: steps_per_update optimiser steps, then the figures."""
        self._coalescer.flush()  # a pending rebuild first: train what the controls show
        session = self._session
        if session.diverged:
            self._pause()
            self.show_message("The run has diverged: lower η and press reset to start again.", error=True)
            return
        if session.steps_done >= self.max_steps:
            self._pause()
            self.show_message(
                f"Paused at step {session.steps_done:,} (max_steps): every step's weights are kept in memory "
                "for the figures. Press reset to train again."
            )
            return
        self._good_parameters = session.network.parameters
        n = min(self._settings.steps_per_update, self.max_steps - session.steps_done)
        chunk = session.step(n)
        self._coalescer.request()  # draw once for a burst of ticks
        if chunk.diverged:
            self._pause()
            self.show_message(
                f"Training diverged at step {session.steps_done}: the loss became NaN or ∞ because "
                f"η = {session.lr:.3g} is too large for this network. Lower η and press reset.",
                error=True,
            )

    def _pause(self) -> None:
        self.controls["play"].playing = False

    def _restore_parameters(self) -> None:
        if self._good_parameters is not None:
            self._session.network.set_parameters(self._good_parameters)

    # ------------------------------------------------------------------ rebuilding
    def _controls_settings(self) -> Settings:
        c = self.controls
        return check_settings(
            dataset=c["dataset"].value,
            noise=float(c["noise"].value),
            test_fraction=float(c["test_fraction"].value),
            seed=int(c["seed"].value),
            hidden=c["hidden"].value,
            activation=c["activation"].value,
            optimizer=c["optimizer"].value,
            lr=float(c["lr"].value),
            batch_size=c["batch_size"].value,
            steps_per_update=int(c["steps_per_update"].value),
        )

    def _sync(self) -> None:
        """The coalesced work of a burst: rebuild if a reset setting changed, then draw (both guarded:
        in a kernel this runs from the event loop, where an exception would otherwise be lost)."""
        if self._needs_rebuild:
            self._needs_rebuild = False

            def rebuild():
                settings = self._controls_settings()
                if settings.needs_reset(self._settings):
                    self._pause()
                    self._apply_settings(settings)
                    self.show_message(
                        "New settings: a new network, trained from step 0 (changing the data, the split, the seed, "
                        "the layers or the activation is a reset)."
                    )

            if not self._guard(rebuild, restore=self._restore_controls):
                return
        self._guard(self._render)

    def _apply_settings(self, settings: Settings, dataset: Dataset | None = None, network: Network | None = None):
        """Build data, network and session for ``settings`` and draw them; on failure the previous ones stay."""
        previous = (self._dataset, self._session, self._settings, self._data_version, self._good_parameters)
        try:
            self._rebuild(settings, dataset, network)
            self._render()
        except Exception:
            self._dataset, self._session, self._settings, self._data_version, self._good_parameters = previous
            raise
        finally:
            self._restore_controls()  # the controls show what the app runs

    def _rebuild(self, settings: Settings, dataset: Dataset | None = None, network: Network | None = None) -> None:
        if dataset is None:
            if settings.dataset == CSV:
                if self._csv is None:
                    raise ValueError("dataset 'csv' needs an uploaded file: use the 'your CSV' button")
                dataset = csv_dataset(self._csv[0], self._csv[1], settings.test_fraction, settings.seed)
            else:
                dataset = make_dataset(
                    settings.dataset,
                    n_samples=self.n_samples,
                    noise=settings.noise,
                    seed=settings.seed,
                    test_fraction=settings.test_fraction,
                )
        net = (
            network
            if network is not None
            else network_for(dataset, settings.hidden, settings.activation, settings.seed)
        )
        has_test = len(dataset.y_test) > 0
        session = TrainingSession(
            net,
            dataset.X_train,
            dataset.targets("train"),
            X_test=dataset.X_test if has_test else None,
            y_test=dataset.targets("test") if has_test else None,
            optimizer=settings.optimizer,
            lr=settings.lr,
            batch_size=settings.batch_size or None,
            seed=settings.seed,
        )
        self._dataset, self._session, self._settings = dataset, session, settings
        self._good_parameters = net.parameters
        self._data_version += 1

    def _restore_controls(self) -> None:
        """Put the last good settings back on every control (after a rejected change)."""
        s = self._settings
        c = self.controls
        values = {
            "dataset": s.dataset,
            "noise": s.noise,
            "test_fraction": s.test_fraction,
            "seed": s.seed,
            "hidden": hidden_text(s.hidden),
            "activation": s.activation,
            "optimizer": s.optimizer,
            "lr": s.lr,
            "batch_size": s.batch_size,
            "steps_per_update": s.steps_per_update,
        }
        for name, value in values.items():
            if c[name].value != value:
                self._set_silently(c[name], value)
        c["noise"].disabled = s.dataset == CSV  # your own data has the noise it has
        self._needs_rebuild = False

    # ------------------------------------------------------------------ drawing
    def _size(self, name: str) -> dict:
        # The boundary's legend sits below the plot at a fraction of its height: below ~560 px tall it
        # runs into the x-axis title.
        sizes = {"boundary": (560, 600), "loss": (520, 320), "norms": (660, 320)}
        w, h = sizes[name]
        k = 1.45 if self.lecture else 1.0
        return {"width": round(w * k), "height": round(h * k)}

    def _plot_boundary(self, grid: DecisionGrid, ds: Dataset, step: int | None = None):
        names = None if ds.name in DATASETS else ds.feature_names
        if grid.y is None and names is None:
            names = ("x",)
        title = {
            "binary": "P(class 1) over the inputs; the line is the boundary",
            "multiclass": "Predicted class (pale = unsure)",
            "regression": "The network's a(x) and the data" if grid.y is None else "The network's a(x)",
        }[grid.task]
        return plot_decision_boundary(
            grid,
            ds.X_train,
            ds.y_train,
            X_test=ds.X_test if len(ds.y_test) else None,
            y_test=ds.y_test if len(ds.y_test) else None,
            feature_names=names,
            theme=self.theme,
            lecture=self.lecture,
            title=title if step is None else f"{title} (step {step})",
            **self._size("boundary"),
        )

    def _render(self) -> None:
        """Bring the three figures and the status line up to date: one message per figure."""
        session, ds = self._session, self._dataset
        if self._retired:
            self._close_retired(everything=False)
        full = session.history
        history = display_history(full)
        grid = decision_grid(session.network, ds.X, resolution=GRID_RESOLUTION)
        figs = self._figures
        b = figs["boundary"]
        shape = boundary_shape(grid, ds)
        norms = history.grad_norms
        plain_norms = not history.diverged and np.all(np.isfinite(norms)) and not np.any(norms == 0)
        plans = [
            (
                b,
                b.plan(
                    shape,
                    lambda: boundary_patch(grid, ds, contour=shape[3]),
                    lambda: self._plot_boundary(grid, ds),
                ),
            ),
            (
                figs["loss"],
                figs["loss"].plan(
                    (history.test_loss is not None,) if not history.diverged else None,
                    lambda: loss_patch(history),
                    lambda: self._plot_loss(history),
                ),
            ),
            (
                figs["norms"],
                figs["norms"].plan(
                    (norms.shape[1],) if plain_norms else None,
                    lambda: norms_patch(history),
                    lambda: self._plot_norms(history),
                ),
            ),
        ]
        for fig, plan in plans:  # everything computed: now send
            fig.apply(plan)
        self.updates += 1
        self._good_parameters = session.network.parameters
        self._update_status()

    def _plot_loss(self, history: History):
        return plot_loss_curve(
            history,
            theme=self.theme,
            lecture=self.lecture,
            title="Loss (train solid, test dashed)" if history.test_loss is not None else "Loss",
            **self._size("loss"),
        )

    def _plot_norms(self, history: History):
        fig = plot_gradient_norms(
            history,
            theme=self.theme,
            lecture=self.lecture,
            title="Gradient size per layer ‖∂L/∂Wˡ‖ (log scale)",
            **self._size("norms"),
        )
        # The bar panel is named after its step ("step 120"); a stable name keeps the trace structure
        # the same from tick to tick (FigureSync redraws from scratch when names change).
        for trace in fig.data:
            if trace.type == "bar":
                trace.name = "latest"
        return fig

    def _update_status(self) -> None:
        session = self._session
        h = session.history
        test = "" if h.test_loss is None else f" · test {_fmt_loss(h.test_loss[-1])}"
        self.status.value = (
            f'<span class="bpx-loss">step {session.steps_done:,}</span>'
            f" &nbsp;train loss {_fmt_loss(h.train_loss[-1])}{test} · η = {session.lr:.3g}"
        )

    def _all_widgets(self):
        extra = [self.status, self._csv_help, *self._boxes.values(), *self._columns, *self._containers]
        extra += [fig.widget for fig in self._figures.values() if fig.widget is not None]
        return super()._all_widgets() + extra


def _fmt_loss(value: float) -> str:
    """A loss for the status line: 4 decimals, or 4 significant digits when it has blown up."""
    if not np.isfinite(value):
        return "NaN" if np.isnan(value) else "∞"
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"


__all__ = ["Playground", "PRESETS", "Preset", "Settings", "parse_hidden", "check_settings", "display_history"]
