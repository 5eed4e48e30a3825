"""The network's output over the input plane: the numbers a decision-boundary picture draws.

For a network with two inputs the plane around the data is cut into an R × R grid and every grid
point goes through the network in ONE batched forward pass::

    outputs[i, j] = f(x = x[j], y = y[i])          (image order: rows follow y, columns follow x)
    predicted[i, j] = [outputs[i, j, 0] ≥ ½]                      (binary, one sigmoid output)
                    = argmax_k outputs[i, j, k]                    (multiclass)

For a network with one input (1-D regression) the grid is the line x (R,) and ``outputs`` is
(R, n_out): the curve y = f(x).

``plane_maps`` is the TensorFlow Playground's picture: a network whose inputs are *features* of the plane
(``engine.features``: x₁, x₂, x₁², ..., sin x₂) drawn over the plane itself, every neuron of every layer as
its own map, from one batched forward pass over the grid's points::

    maps[l][k, i, j] = aˡₖ(F(x[j], y[i]))        x, y: pixel centres of an R × R grid over the ranges
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .._validate import as_finite_array, one_of, positive_float, short_repr
from .features import FeatureMap
from .network import Network

TASKS = ("binary", "multiclass", "regression")
MAX_RESOLUTION = 1000
# The grid's outputs, resolution² × n_out numbers, at most (80 MB); and resolution² × P multiply-adds.
MAX_GRID_VALUES = 10**7
MAX_GRID_WORK = 2 * 10**10
MAX_MARGIN = 10.0


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class DecisionGrid:
    """The network's outputs on a regular grid over the inputs; all arrays read-only.

    Attributes
    ----------
    x: (R,) grid coordinates along the first input feature.
    y: (R,) along the second feature; None for a one-input network.
    outputs: (R, R, n_out) network outputs, ``outputs[i, j]`` at the point (x[j], y[i]) (image
        order, as a heat map draws it); (R, n_out) for a one-input network, ``outputs[j]`` at x[j].
        May hold NaN or inf for a diverged network (views leave those cells blank).
    predicted: (R, R) (or (R,)) int class at each point for ``binary``/``multiclass``, −1 where the
        outputs are not finite; None for ``regression``.
    task: "binary", "multiclass" or "regression".
    """

    x: np.ndarray
    y: np.ndarray | None
    outputs: np.ndarray
    predicted: np.ndarray | None
    task: str

    @property
    def resolution(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        return 1 if self.y is None else 2

    @property
    def n_outputs(self) -> int:
        return int(self.outputs.shape[-1])

    @property
    def points(self) -> np.ndarray:
        """The grid points in the order of ``outputs.reshape(-1, n_out)``: (R·R, 2), or (R, 1)."""
        if self.y is None:
            return self.x[:, None]
        xx, yy = np.meshgrid(self.x, self.y)  # 'xy' indexing: xx[i, j] = x[j], yy[i, j] = y[i]
        return np.column_stack([xx.ravel(), yy.ravel()])


def _refuse_batch_norm(net: Network) -> None:
    if any(net.batch_norm):
        raise ValueError(
            "net has batch norm: over a grid of points its μ and σ² would be the grid's own, not the training "
            "data's; the plane is drawn for networks without it"
        )


def infer_task(net: Network) -> str:
    """The task a network's output layer implies: several outputs → multiclass; one sigmoid → binary."""
    n_out = net.sizes[-1]
    if net.output_activation == "softmax" or (n_out >= 2 and net.loss == "cross_entropy"):
        return "multiclass"
    if n_out == 1 and net.output_activation == "sigmoid" and net.sizes[0] == 2:
        return "binary"
    return "regression"


def grid_axes(X: np.ndarray, resolution: int, margin: float) -> list[np.ndarray]:
    """One evenly spaced axis per feature covering the data plus ``margin`` × its range each side."""
    axes = []
    for column in X.T:
        low, high = float(column.min()), float(column.max())
        pad = margin * (high - low) if high > low else max(abs(low), 1.0) * 0.5
        axes.append(np.linspace(low - pad, high + pad, resolution))
    return axes


def decision_grid(net: Network, X, resolution: int = 100, margin: float = 0.1, task: str | None = None) -> DecisionGrid:
    """The network's outputs on a resolution × resolution grid around the inputs X, in one batched call.

    Parameters
    ----------
    net: a Network with 2 inputs (a plane) or 1 input (a line, for regression curves).
    X: (n_samples, n_features) the data the grid must cover (train and test together, say).
    resolution: grid points per axis, 2 to 1000, with resolution² × n_out ≤ MAX_GRID_VALUES (10⁷) and
        resolution² × n_parameters ≤ MAX_GRID_WORK (2·10¹⁰); the pass goes in blocks of grid points.
    margin: extra room on each side as a fraction of the data's range, 0 to 10.
    task: "binary", "multiclass" or "regression"; None infers it from the output layer
        (softmax or several outputs → multiclass, one sigmoid output → binary, else regression).
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an explainer Network; got {type(net).__name__}")
    _refuse_batch_norm(net)
    Xa = as_finite_array(X, "X", ndim=(2,))
    if Xa.shape[1] not in (1, 2):
        raise ValueError(f"X must have 2 feature columns (or 1 for a regression curve); got shape {Xa.shape}")
    if Xa.shape[1] != net.sizes[0]:
        raise ValueError(
            f"X must have {net.sizes[0]} feature columns to match the network's inputs; got shape {Xa.shape}"
        )
    if isinstance(resolution, bool) or not isinstance(resolution, Integral) or not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be an integer from 2 to {MAX_RESOLUTION}; got {resolution!r}")
    margin = positive_float(margin, "margin", allow_zero=True)
    if margin > MAX_MARGIN:
        raise ValueError(f"margin must be a number from 0 to {MAX_MARGIN:g} (a share of the range); got {margin!r}")
    task = infer_task(net) if task is None else one_of(task, TASKS, "task")
    if task == "binary" and net.sizes[-1] != 1:
        raise ValueError(f"task='binary' needs a network with 1 output; this one has {net.sizes[-1]}")
    if task == "multiclass" and net.sizes[-1] < 2:
        raise ValueError("task='multiclass' needs a network with at least 2 outputs (one per class)")
    resolution = int(resolution)
    points_count = resolution ** Xa.shape[1]
    if points_count * net.sizes[-1] > MAX_GRID_VALUES or points_count * net.n_parameters > MAX_GRID_WORK:
        largest = int(min(MAX_GRID_VALUES // net.sizes[-1], MAX_GRID_WORK // net.n_parameters) ** (1 / Xa.shape[1]))
        raise ValueError(
            f"resolution must be at most {largest} for this network ({net.sizes[-1]} outputs, "
            f"{net.n_parameters:,} parameters); got {resolution}"
        )

    axes = grid_axes(Xa, resolution, float(margin))
    if Xa.shape[1] == 1:
        gx, gy = axes[0], None
        points = gx[:, None]  # (R, 1)
    else:
        gx, gy = axes
        xx, yy = np.meshgrid(gx, gy)  # (R, R) each, rows follow y
        points = np.column_stack([xx.ravel(), yy.ravel()])  # (R·R, 2)
    # One batched forward pass over every grid point; overflow shows up as inf/NaN, not as a warning.
    with np.errstate(all="ignore"):
        flat = net.forward(points)  # (R·R, n_out), in blocks of points
        outputs = flat.reshape((resolution,) * Xa.shape[1] + (flat.shape[1],))
        predicted = None
        if task != "regression":
            if task == "binary":
                predicted = (outputs[..., 0] >= 0.5).astype(np.int64)
            else:
                predicted = np.argmax(np.where(np.isnan(outputs), -np.inf, outputs), axis=-1)
            # A point whose outputs are not all finite has no honest class.
            predicted[~np.all(np.isfinite(outputs), axis=-1)] = -1
    return DecisionGrid(
        x=_readonly(gx),
        y=None if gy is None else _readonly(gy),
        outputs=_readonly(outputs),
        predicted=None if predicted is None else _readonly(predicted),
        task=task,
    )


def pixel_centres(low: float, high: float, resolution: int) -> np.ndarray:
    """The centres of ``resolution`` equal cells covering [low, high]: an image of R pixels spans the range."""
    return low + (np.arange(resolution) + 0.5) * ((high - low) / resolution)


@dataclass(frozen=True)
class PlaneMaps:
    """Every neuron's output over a grid of the plane; arrays read-only.

    x: (R,) pixel centres along x₁, ascending; y: (R,) along x₂, ascending.
    layers: one array per layer with weights, 1..L: (n_units, R, R), ``layers[l-1][k, i, j]`` = aˡₖ at the
        point (x[j], y[i]) (rows follow y, as ``DecisionGrid``); the last is the output layer.
    """

    x: np.ndarray
    y: np.ndarray
    layers: tuple[np.ndarray, ...]

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1]


MAX_MAP_RESOLUTION = 400


def plane_maps(net: Network, features: FeatureMap, x_range, y_range, resolution: int = 20) -> PlaneMaps:
    """Each neuron's activation over an R × R grid of the plane, through the feature map, in one batched pass.

    net: a Network whose inputs are ``features`` (net.sizes[0] == features.n_features).
    x_range, y_range: (low, high) of the plane, low < high, finite. resolution: 2 to 400 pixels a side, with
    R² × n_parameters ≤ MAX_GRID_WORK (2·10¹⁰). Non-finite outputs (a diverged network) stay NaN or ±∞.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an explainer Network; got {type(net).__name__}")
    _refuse_batch_norm(net)
    if not isinstance(features, FeatureMap):
        raise ValueError(f"features must be an explainer.engine.features.FeatureMap; got {short_repr(features)}")
    if net.sizes[0] != features.n_features:
        raise ValueError(
            f"features must be the network's inputs: it takes {net.sizes[0]}, the map makes {features.n_features}"
        )
    ranges = []
    for name, value in (("x_range", x_range), ("y_range", y_range)):
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{name} must be a pair (low, high) of numbers; got {short_repr(value)}") from None
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"{name} must be a pair (low, high) of finite numbers with low < high; got {value!r}")
        ranges.append((low, high))
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, Integral)
        or not 2 <= resolution <= MAX_MAP_RESOLUTION
    ):
        raise ValueError(f"resolution must be an integer from 2 to {MAX_MAP_RESOLUTION}; got {short_repr(resolution)}")
    R = int(resolution)
    if R * R * net.n_parameters > MAX_GRID_WORK:
        raise ValueError(
            f"resolution must be at most {int((MAX_GRID_WORK / net.n_parameters) ** 0.5)} for this network"
        )
    xs, ys = pixel_centres(*ranges[0], R), pixel_centres(*ranges[1], R)
    F = features.on_grid(xs, ys)  # (R·R, k)
    with np.errstate(all="ignore"):
        p = net.forward_pass(F)
    layers = tuple(_readonly(a.T.reshape(a.shape[1], R, R)) for a in p.a[1:])
    return PlaneMaps(x=_readonly(xs), y=_readonly(ys), layers=layers)


__all__ = [
    "DecisionGrid", "MAX_MAP_RESOLUTION", "PlaneMaps", "TASKS", "decision_grid", "infer_task", "pixel_centres",
    "plane_maps",
]  # fmt: skip
