"""Small data sets to train on: the TensorFlow Playground's shapes, a 1-D regression, and your own CSV.

Every generator is numpy only and takes an explicit seed: the same seed gives identical arrays.
Classification features live in the box [-1, 1]² (the Playground's ±5, scaled down; Gaussian blobs
have tails, so a few of their points stray past the edge);
``noise`` is the standard deviation of Gaussian noise added to each feature, in those units
(for ``sine``, the regression, it is added to the target instead).

Targets, and the form a Network needs (``Dataset.targets()``):

- ``binary``      y: int labels (n,) in {0, 1};   targets(): (n, 1) floats, for a sigmoid output (bce or mse).
- ``multiclass``  y: int labels (n,) in 0..k-1;   targets(): the same labels (n,), which a softmax +
  cross_entropy network accepts directly; ``one_hot()`` gives the (n, k) rows.
- ``regression``  y: floats (n,);                  targets(): (n, 1) floats, for a linear output + mse.
"""

from __future__ import annotations

import array
import csv
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from numbers import Integral
from pathlib import Path

import numpy as np

from .._validate import fraction, one_of, positive_float, positive_int, rng_from, short_repr
from ..engine.parameters import MAX_WIDTH

Array = np.ndarray
TASKS = ("binary", "multiclass", "regression")
SPLITS = ("all", "train", "test")
EXAMPLE_CSV = Path(__file__).parent / "data" / "example.csv"

MAX_SAMPLES = 100_000  # samples in a data set, generated or read (train + test)
MAX_NOISE = 10.0  # ten times the box the features live in
MAX_CSV_BYTES = 64 * 2**20  # a CSV file's size; read row by row, into float64 (at most ~4× the text)
MAX_CSV_COLUMNS = MAX_WIDTH + 1  # features (a network's input layer) and the label


# ---------------------------------------------------------------------------------------------
# Generators: (n_samples, rng, **options) -> noiseless X (n, d) float64, y (n,) int labels or floats.
# Classes are drawn in blocks of equal size (so binary sets are balanced to within one sample);
# make_dataset adds the noise and shuffles the rows.


def _half(n: int) -> Array:
    """Labels 0 for the first ⌊n/2⌋ samples, 1 for the rest."""
    return (np.arange(n) >= n // 2).astype(np.int64)


def _xor(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    # Points in the four quadrants, kept 0.06 away from the axes (the Playground's padding),
    # label 1 where x0·x1 > 0. The label comes from the noiseless point.
    y = _half(n)
    magnitude = rng.uniform(0.06, 1.0, size=(n, 2))
    sign0 = rng.choice([-1.0, 1.0], size=n)
    sign1 = np.where(y == 1, sign0, -sign0)
    X = magnitude * np.column_stack([sign0, sign1])
    return X, y


def _circles(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    # Class 1 inside radius 0.5, class 0 in the ring 0.7..1 (the Playground's proportions).
    y = _half(n)
    radius = np.where(y == 1, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), y


def _moons(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    # Two interleaved half circles (as scikit-learn's make_moons), x0 ∈ [-1, 2], x1 ∈ [-0.5, 1],
    # then centred and scaled by 1/1.5 into [-1, 1] × [-0.5, 0.5].
    y = _half(n)
    t = rng.uniform(0.0, np.pi, n)
    x0 = np.where(y == 0, np.cos(t), 1.0 - np.cos(t))
    x1 = np.where(y == 0, np.sin(t), 0.5 - np.sin(t))
    return np.column_stack([(x0 - 0.5) / 1.5, (x1 - 0.25) / 1.5]), y


def _spiral(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    # Two arms turning 1.75 times, the second rotated by π; radius grows from 0 to 1 along an arm.
    y = _half(n)
    r = rng.uniform(0.0, 1.0, n)
    t = 1.75 * 2 * np.pi * r + np.pi * y
    return np.column_stack([r * np.sin(t), r * np.cos(t)]), y


_BLOB_SPREAD = 0.15  # standard deviation of each blob before noise; blobs centred on a circle of radius 0.6


def _blobs(n: int, rng: np.random.Generator, n_classes: int = 3) -> tuple[Array, Array]:
    y = np.arange(n) % n_classes  # every class present as soon as n ≥ n_classes
    angle = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 2
    centres = 0.6 * np.column_stack([np.cos(angle), np.sin(angle)])  # (n_classes, 2)
    return centres[y] + rng.normal(0.0, _BLOB_SPREAD, size=(n, 2)), y.astype(np.int64)


def _sine(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    x = rng.uniform(-np.pi, np.pi, n)
    return x[:, None], np.sin(x)


def _gauss(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    # TF Playground's "Gaussian": class 1 around (0.4, 0.4), class 0 around (−0.4, −0.4), spread 0.14
    # (its √0.5 at noise 0, in its ±5 scaled to ±1). A straight line separates them.
    y = _half(n)
    centre = np.where(y[:, None] == 1, 0.4, -0.4)
    return centre + rng.normal(0.0, 0.14, size=(n, 2)), y


def _plane(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    # TF Playground's regression "plane": y = (x₁ + x₂) / 2 over [−1.2, 1.2]² (its ±6 scaled by 1/5).
    X = rng.uniform(-1.2, 1.2, size=(n, 2))
    return X, (X[:, 0] + X[:, 1]) / 2


# TF Playground's six signed Gaussians (its (±4, ±2.5) and (0, ±2.5), scaled by 1/5): centre x, y, sign.
_BUMPS = np.array([[-0.8, 0.5, 1], [0, 0.5, -1], [0.8, 0.5, 1], [-0.8, -0.5, -1], [0, -0.5, 1], [0.8, -0.5, -1]])


def _multi_gauss(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    # y = the bump of largest |value|, each sign · max(0, 1 − distance / 0.4): a hill or a hole at every centre.
    X = rng.uniform(-1.2, 1.2, size=(n, 2))
    distance = np.hypot(X[:, None, 0] - _BUMPS[:, 0], X[:, None, 1] - _BUMPS[:, 1])  # (n, 6)
    values = _BUMPS[:, 2] * np.clip(1.0 - distance / 0.4, 0.0, 1.0)
    pick = np.argmax(np.abs(values), axis=1)
    return X, values[np.arange(n), pick]


@dataclass(frozen=True)
class DatasetSpec:
    """A registry entry: the generator and what a UI needs to offer it."""

    name: str
    generate: Callable[..., tuple[Array, Array]]
    task: str  # "binary" | "multiclass" | "regression"
    n_features: int
    description: str  # one line, for dropdowns
    # Integer options: name → (default, lowest, highest), e.g. a slider's range.
    options: dict[str, tuple[int, int, int]] = field(default_factory=dict)


DATASETS: dict[str, DatasetSpec] = {
    "xor": DatasetSpec("xor", _xor, "binary", 2, "XOR: opposite quadrants share a class"),
    "circles": DatasetSpec("circles", _circles, "binary", 2, "Circles: a disc inside a ring"),
    "moons": DatasetSpec("moons", _moons, "binary", 2, "Moons: two interleaved half circles"),
    "spiral": DatasetSpec("spiral", _spiral, "binary", 2, "Spiral: two arms wound around each other"),
    "blobs": DatasetSpec(
        "blobs", _blobs, "multiclass", 2, "Blobs: Gaussian clusters, one per class", {"n_classes": (3, 2, 6)}
    ),
    "sine": DatasetSpec("sine", _sine, "regression", 1, "Sine: 1-D regression, y = sin(x) + noise"),
    "gauss": DatasetSpec("gauss", _gauss, "binary", 2, "Gaussians: two clusters a straight line separates"),
    "plane": DatasetSpec("plane", _plane, "regression", 2, "Plane: 2-D regression, y = (x₁ + x₂)/2 + noise"),
    "multi_gauss": DatasetSpec(
        "multi_gauss", _multi_gauss, "regression", 2, "Six Gaussians: 2-D regression, hills and holes"
    ),
}


# ---------------------------------------------------------------------------------------------
# The Dataset


def _readonly(a: Array) -> Array:
    a = np.array(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features and targets, split into train and test; all arrays read-only.

    X_train (n_train, n_features), y_train (n_train,): int labels (classification) or floats (regression).
    X_test (n_test, n_features), y_test (n_test,): empty (0, n_features) and (0,) when there is no test split.
    n_classes: 2 for binary, k for multiclass, None for regression.
    class_names: the label each class index stands for (None for regression).
    header: for a CSV, whether its first row was read as column names (None for a generated set);
    note: how that was decided, in one sentence (empty for a generated set).
    """

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    name: str
    task: str
    n_classes: int | None
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] | None = None
    header: bool | None = None
    note: str = ""

    @property
    def X(self) -> Array:
        """All features, train rows then test rows: (n_samples, n_features)."""
        return np.concatenate([self.X_train, self.X_test])

    @property
    def y(self) -> Array:
        """All targets in the order of ``X``: (n_samples,)."""
        return np.concatenate([self.y_train, self.y_test])

    @property
    def n_samples(self) -> int:
        return len(self.y_train) + len(self.y_test)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """Output units a Network needs: 1 for binary and regression, k for multiclass."""
        return self.n_classes if self.task == "multiclass" else 1

    def _split(self, split: str) -> Array:
        one_of(split, SPLITS, "split")
        return {"all": self.y, "train": self.y_train, "test": self.y_test}[split]

    def targets(self, split: str = "all") -> Array:
        """Targets shaped for ``Network.backprop``/``train``.

        binary: (n, 1) floats in {0, 1}; multiclass: int labels (n,); regression: (n, 1) floats.
        split: "all" (train then test, as ``X``), "train" or "test".
        """
        y = self._split(split)
        if self.task == "multiclass":
            return y.copy()
        return y.astype(np.float64).reshape(-1, 1)

    def scaled(self, factor: float) -> Dataset:
        """The same data with every feature multiplied by ``factor`` (> 0, at most 10⁶): e.g. 5 for the ±5 box
        of TensorFlow Playground, whose units its sin features are made for."""
        factor = positive_float(factor, "factor")
        if factor > 1e6:
            raise ValueError(f"factor must be a number > 0 and at most 10⁶; got {short_repr(factor)}")
        return replace(self, X_train=_readonly(self.X_train * factor), X_test=_readonly(self.X_test * factor))

    def one_hot(self, split: str = "all") -> Array:
        """Classification labels as one-hot rows (n, n_classes): row i has a 1 in column y_i."""
        if self.task == "regression":
            raise ValueError(f"one_hot needs a classification data set; {self.name!r} is a regression")
        return np.eye(self.n_classes)[self._split(split)]


# ---------------------------------------------------------------------------------------------
# Splitting and generating


def _n_test(n: int, test_fraction: float) -> int:
    """n_test = min(round(test_fraction · n), n − 1), so at least one sample is left to train on."""
    return min(math.floor(test_fraction * n + 0.5), n - 1)


def train_test_split(X, y, test_fraction: float, seed=0) -> tuple[Array, Array, Array, Array]:
    """Shuffle the rows of (X, y) and split off a test set: (X_train, X_test, y_train, y_test).

    n_test = min(round(test_fraction · n), n − 1), so at least one sample is left to train on;
    the same seed gives the same split. X: (n, ...), y: (n, ...); row order is shuffled in both parts.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"X must hold at least one sample; got shape {X.shape}")
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"y must have one row per sample of X ({len(X)}); got shape {y.shape}")
    test_fraction = fraction(test_fraction, "test_fraction")
    rng = rng_from(seed)
    return _split(X, y, test_fraction, rng)


def _split(X: Array, y: Array, test_fraction: float, rng: np.random.Generator) -> tuple[Array, Array, Array, Array]:
    order = rng.permutation(len(X))
    n_train = len(X) - _n_test(len(X), test_fraction)
    train, test = order[:n_train], order[n_train:]
    return X[train], X[test], y[train], y[test]


def _check_options(spec: DatasetSpec, options: dict) -> dict[str, int]:
    unknown = set(options) - set(spec.options)
    if unknown:
        allowed = ", ".join(spec.options) or "none"
        raise ValueError(f"{min(unknown)} is not an option of {spec.name!r}; its options: {allowed}")
    checked = {}
    for option, (default, low, high) in spec.options.items():
        value = options.get(option, default)
        if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
            raise ValueError(f"{option} must be an integer from {low} to {high}; got {value!r}")
        checked[option] = int(value)
    return checked


def make_dataset(
    name: str, n_samples: int = 200, noise: float = 0.1, seed=0, test_fraction: float = 0.0, **options
) -> Dataset:
    """Generate the data set ``name`` from ``DATASETS``: X = shape(seed) + noise · N(0, 1).

    name: one of DATASETS ("xor", "circles", "moons", "spiral", "blobs", "sine", "gauss", "plane", "multi_gauss").
    n_samples: total samples, train + test, at most MAX_SAMPLES (100,000) (≥ 2 for binary, ≥ n_classes for blobs).
    noise: standard deviation of the Gaussian noise on each feature (on y for regression), 0 to 10.
    seed: int ≥ 0, a numpy Generator, or None; the same int seed gives identical arrays.
    test_fraction: share of samples held out as a test set, in [0, 1).
    options: per data set, see ``DATASETS[name].options`` (blobs: n_classes, 2 to 6, default 3).
    """
    spec = DATASETS[one_of(name, DATASETS, "name")]
    opts = _check_options(spec, options)
    n_classes = {"binary": 2, "multiclass": opts.get("n_classes"), "regression": None}[spec.task]
    n_samples = positive_int(n_samples, "n_samples", minimum=n_classes or 1, maximum=MAX_SAMPLES)
    noise = positive_float(noise, "noise", allow_zero=True)
    if noise > MAX_NOISE:
        raise ValueError(f"noise must be a number from 0 to {MAX_NOISE:g}; got {short_repr(noise)}")
    test_fraction = fraction(test_fraction, "test_fraction")
    rng = rng_from(seed)

    X, y = spec.generate(n_samples, rng, **opts)
    if spec.task == "regression":
        y = y + noise * rng.normal(size=y.shape)
    else:
        X = X + noise * rng.normal(size=X.shape)
    # _split shuffles every row (the classes were generated in blocks), even with no test set.
    X_train, X_test, y_train, y_test = _split(X, y, test_fraction, rng)
    names = ("x",) if spec.n_features == 1 else tuple(f"x{i}" for i in range(spec.n_features))
    return Dataset(
        X_train=_readonly(X_train),
        y_train=_readonly(y_train),
        X_test=_readonly(X_test),
        y_test=_readonly(y_test),
        name=name,
        task=spec.task,
        n_classes=n_classes,
        feature_names=names,
        class_names=None if n_classes is None else tuple(str(k) for k in range(n_classes)),
    )


# ---------------------------------------------------------------------------------------------
# Your own points


def _points(X, y, n_features: int, task: str, n_classes: int | None, where: str) -> tuple[Array, Array]:
    if X is None:
        X = np.zeros((0, n_features))
    if not _numeric(X) or np.ndim(X) != 2 or np.shape(X)[1] != n_features:
        raise ValueError(f"X_{where} must be an array of points (n, {n_features}); got {short_repr(X)}")
    X = np.asarray(X, dtype=np.float64)
    if X.shape[0] > MAX_SAMPLES:
        raise ValueError(f"X_{where} holds {X.shape[0]:,} points; a data set may hold at most {MAX_SAMPLES:,}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"X_{where} must hold only finite numbers (no NaN or inf)")
    y = np.zeros(0) if y is None and X.shape[0] == 0 else y
    if not _numeric(y) or np.ndim(y) != 1 or len(y) != X.shape[0]:
        raise ValueError(f"y_{where} must hold one number per point of X_{where} ({X.shape[0]}); got {short_repr(y)}")
    y = np.asarray(y, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"y_{where} must hold only finite numbers (no NaN or inf)")
    if task == "regression":
        return X, y
    if not np.all((y == np.round(y)) & (y >= 0) & (y < n_classes)):
        raise ValueError(f"y_{where} must hold class labels 0 to {n_classes - 1}")
    return X, y.astype(np.int64)


def _numeric(value) -> bool:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return False
    return arr.dtype == np.float64


def points_dataset(
    X_train,
    y_train,
    X_test=None,
    y_test=None,
    *,
    task: str = "binary",
    n_classes: int | None = None,
    name: str = "your points",
    feature_names: tuple[str, ...] = ("x1", "x2"),
    class_names: tuple[str, ...] | None = None,
) -> Dataset:
    """A Dataset of points you give (drawn on a map, say): X (n, d) and y (n,), the test part optional.

    task: "binary", "multiclass" or "regression"; n_classes: for classification (default 2 for binary);
    labels must be 0..n_classes−1. The training part may be empty (no points drawn yet). At most
    MAX_SAMPLES points in each part.
    """
    task = one_of(task, TASKS, "task")
    if task == "regression":
        n_classes = None
    else:
        default = 2 if task == "binary" else None
        n_classes = positive_int(default if n_classes is None else n_classes, "n_classes", minimum=2, maximum=MAX_WIDTH)
        if task == "binary" and n_classes != 2:
            raise ValueError(f"n_classes must be 2 for task 'binary'; got {n_classes}")
    if not isinstance(name, str):
        raise ValueError(f"name must be text; got {short_repr(name)}")
    if not isinstance(feature_names, tuple) or not feature_names or not all(isinstance(f, str) for f in feature_names):
        raise ValueError(f"feature_names must be a tuple of names; got {short_repr(feature_names)}")
    d = len(feature_names)
    Xtr, ytr = _points(X_train, y_train, d, task, n_classes, "train")
    Xte, yte = _points(X_test, y_test, d, task, n_classes, "test")
    if class_names is None and n_classes is not None:
        class_names = tuple(str(k) for k in range(n_classes))
    return Dataset(
        X_train=_readonly(Xtr), y_train=_readonly(ytr), X_test=_readonly(Xte), y_test=_readonly(yte),
        name=name, task=task, n_classes=n_classes, feature_names=feature_names, class_names=class_names,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Your own CSV

# Numeric labels count as classes ("auto") when they are whole numbers with at most this many values.
MAX_AUTO_CLASSES = 10


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _classes(labels: list[str], numbers: list[float | None]) -> tuple[list, list, tuple[str, ...]]:
    """(label per row, sorted class keys, display names): numeric keys if every label is a number, else text."""
    if all(v is not None for v in numbers):
        keys = sorted(set(numbers))
        return numbers, keys, tuple(f"{k:g}" for k in keys)
    keys = sorted(set(labels))
    return labels, keys, tuple(keys)


def _kind(cell: str) -> str:
    """What a cell holds: "number" (anything float() reads, nan and inf too), "text" or "empty"."""
    if not cell:
        return "empty"
    return "text" if _number(cell) is None else "number"


class _CsvRows:
    """The rows of a CSV, read one at a time: features into one float64 buffer, labels as text.

    Row 0 is the first row, kept apart in every count until the header is decided. Memory stays near 8
    bytes a feature cell plus the label strings, whatever the file (which load_csv bounds): no list of
    every row's cells is ever built, and the buffer becomes the Dataset's X without a copy. A bad feature
    cell is remembered, not raised at once, because its message names the column, and the names depend
    on the header decision.
    """

    def __init__(self, features: list[int], label: int):
        self.features, self.label = features, label
        self.values = array.array("d")  # row-major (1 + n_rows, n_features)
        self.labels: list[str] = []
        self.lines: list[int] = []
        self.label_kinds: set[str] = set()  # of the rows after the first
        self.first_problem: tuple[int, int, str, str] | None = None  # (line, column, cell, what is wrong)
        self.problem: tuple[int, int, str, str] | None = None

    def add(self, line: int, row: list[str]) -> None:
        first = not self.lines
        for c in self.features:
            value = _number(row[c])
            if value is None or not math.isfinite(value):
                if (self.first_problem if first else self.problem) is None:
                    found = (line, c, row[c], "not a number" if value is None else "not finite (NaN or inf)")
                    if first:
                        self.first_problem = found
                    else:
                        self.problem = found
                value = math.nan
            self.values.append(value)
        text = row[self.label]
        self.labels.append(text)
        self.lines.append(line)
        if not first:
            self.label_kinds.add(_kind(text))

    def __len__(self) -> int:
        """Rows after the first."""
        return len(self.labels) - 1


def _decide_header(first: list[str], rows: _CsvRows, features: list[int], label: int) -> tuple[bool, str]:
    """(is the first row a header?, why), by comparing its cells' kinds with the kinds of the rows below."""
    for c in features:
        if _kind(first[c]) != "number":
            return True, (
                f"the first row was read as column names: its cell {first[c]!r} in feature column {c + 1} is not "
                "a number"
            )
    # The label column speaks only when at least two rows below agree on one kind, number or text (an
    # empty label is a mistake in the data, not a kind), and the first row's label is the other kind.
    kind, below = _kind(first[label]), rows.label_kinds - {"empty"}
    if len(rows) >= 2 and len(below) == 1 and kind != "empty" and kind not in below:
        return True, (
            f"the first row was read as column names: its label cell {first[label]!r} is {kind}, while every "
            f"label below it is {next(iter(below))}"
        )
    note = (
        "the first row was read as data: its cells are of the same kinds as the rows below (numbers in the "
        "feature columns); pass has_header=True if it names the columns"
    )
    if kind == "text" and first[label] not in rows.labels[1:] and len(rows):
        note += f" (its label {first[label]!r} appears in no other row)"
    return False, note


def load_csv(
    path,
    label_column: int | str = -1,
    has_header: bool | None = None,
    task: str = "auto",
    test_fraction: float = 0.0,
    seed=0,
) -> Dataset:
    """Load your own data: numeric feature columns and one label column.

    path: a CSV file (comma separated, UTF-8) of at most MAX_CSV_BYTES (64 MB), MAX_SAMPLES (100,000)
        data rows and MAX_CSV_COLUMNS (4,097) columns; blank lines are skipped. It is read row by row,
        so memory stays near 8 bytes a feature cell.
    label_column: index of the label column (negative counts from the end), or its header name.
    has_header: whether the first row holds column names; None decides from its content: the first
        row is a header when one of its feature cells is not a number, or when its label cell is a number
        and the labels below are all text, or the other way round (at least two rows below; so
        ``2019,2020,label`` above numeric labels is a header, and ``1,2,0`` above numbers is data).
        The Dataset's ``header`` says what was decided and ``note`` why.
    task: "auto", "binary", "multiclass" or "regression". "auto" makes classes of labels that are
        text, or whole numbers with at most MAX_AUTO_CLASSES distinct values; otherwise regression.
        Classes are numbered 0..k-1 in sorted order (numerically if all labels are numbers);
        ``class_names[i]`` is the label of class i. Two classes make a binary task.
    test_fraction, seed: as in ``make_dataset``; with test_fraction 0 the rows keep the file's order.
    Features are used as they are (not rescaled). Row numbers in error messages are file lines.
    Example: ``load_csv(EXAMPLE_CSV)`` (hours studied and slept → "fail"/"pass"; see ``sample_csv_text()``).
    """
    try:
        path = os.fsdecode(path)
    except TypeError:
        raise ValueError(f"path must be a file path (str or Path); got {type(path).__name__}") from None
    where = f"path {str(path)!r}"
    task = one_of(task, ("auto", *TASKS), "task")
    test_fraction = fraction(test_fraction, "test_fraction")
    rng = rng_from(seed)
    if has_header is not None and not isinstance(has_header, bool):
        raise ValueError(f"has_header must be True, False or None; got {short_repr(has_header)}")
    if not isinstance(label_column, str) and (isinstance(label_column, bool) or not isinstance(label_column, Integral)):
        raise ValueError(f"label_column must be a column index or a name; got {short_repr(label_column)}")
    if "\x00" in path or not os.path.isfile(path):
        raise ValueError(f"{where}: {'not a file' if os.path.exists(path) else 'no such file'}")
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise ValueError(f"{where}: cannot read the file ({error})") from None
    if size > MAX_CSV_BYTES:
        raise ValueError(f"{where}: the file is {size:,} bytes; a CSV may be at most {MAX_CSV_BYTES:,} bytes")

    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # utf-8-sig: drop a BOM left by Excel
            first, first_line, rows, label = _read_csv(f, where, label_column, has_header)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{where}: cannot read the file ({error})") from None
    n_columns = len(first)
    features = [c for c in range(n_columns) if c != label]

    if isinstance(label_column, str):
        has_header, note = True, f"the first row was read as column names: label_column {label_column!r} is one"
    elif has_header is None:
        has_header, note = _decide_header(first, rows, features, label)
    else:
        note = f"has_header={has_header}: the first row was read as {'column names' if has_header else 'data'}"
    if has_header:
        names = first
    else:
        names = ["label" if c == label else f"x{features.index(c)}" for c in range(n_columns)]
    n = len(rows) + (0 if has_header else 1)
    if n == 0:
        raise ValueError(f"{where}: no data rows after the header")
    if n > MAX_SAMPLES:
        raise ValueError(f"{where}: more than {MAX_SAMPLES:,} data rows (the most a data set may hold)")

    X = np.frombuffer(rows.values, dtype=np.float64).reshape(len(rows) + 1, len(features))  # (1 + n_rest, d)
    skip = 1 if has_header else 0
    X, labels, lines = X[skip:], rows.labels[skip:], rows.lines[skip:]
    problem = rows.problem if has_header else (rows.first_problem or rows.problem)
    if problem is not None:
        line, c, text, what = problem
        raise ValueError(f"{where}: row {line}, column {c + 1} ({names[c]!r}): {text!r} is {what}")

    numbers = [_number(text) for text in labels]
    numeric = all(v is not None for v in numbers)  # otherwise the labels are text: class names
    for line, text, v in zip(lines, labels, numbers):
        if not text:
            bad = "empty"
        elif numeric and not math.isfinite(v):
            bad = "not finite (NaN or inf)"
        elif task == "regression" and v is None:
            bad = "not a number, which a regression needs"
        else:
            continue
        raise ValueError(f"{where}: row {line}, column {label + 1} ({names[label]!r}): the label {text!r} is {bad}")
    if task == "auto":
        whole = numeric and all(v.is_integer() for v in numbers)
        task = "classes" if not numeric or (whole and len(set(numbers)) <= MAX_AUTO_CLASSES) else "regression"

    if task == "regression":
        y, n_classes, class_names = np.array(numbers, dtype=np.float64), None, None
    else:
        values, keys, class_names = _classes(labels, numbers)
        n_classes = len(keys)
        if n_classes < 2:
            raise ValueError(f"{where}: the labels hold a single class ({class_names[0]!r}); need at least 2")
        if task == "binary" and n_classes != 2:
            raise ValueError(f"{where}: task 'binary' needs exactly 2 classes; the labels hold {n_classes}")
        if task == "classes":
            task = "binary" if n_classes == 2 else "multiclass"
        index = {k: i for i, k in enumerate(keys)}
        y = np.array([index[v] for v in values], dtype=np.int64)

    if test_fraction:
        X_train, X_test, y_train, y_test = (_readonly(a) for a in _split(X, y, test_fraction, rng))
    else:  # the buffer itself, flagged read-only: no copy of the largest array
        X.flags.writeable = False
        X_train, X_test, y_train, y_test = X, _readonly(X[:0]), _readonly(y), _readonly(y[:0])
    return Dataset(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        name=Path(path).stem,
        task=task,
        n_classes=n_classes,
        feature_names=tuple(names[c] for c in features),
        class_names=class_names,
        header=has_header,
        note=note,
    )


def _read_csv(f, where: str, label_column, has_header) -> tuple[list[str], int, _CsvRows, int]:
    """(first row, its line, the other rows, the label's column index), read in one pass."""
    reader = csv.reader(f)
    first = None
    for row in reader:
        cells = [cell.strip() for cell in row]
        if any(cells):
            first, first_line = cells, reader.line_num
            break
    if first is None:
        raise ValueError(f"{where}: the file is empty")
    n_columns = len(first)
    if n_columns < 2:
        raise ValueError(f"{where}: needs at least 2 columns (features and a label); got {n_columns}")
    if n_columns > MAX_CSV_COLUMNS:
        raise ValueError(f"{where}: has {n_columns:,} columns; at most {MAX_CSV_COLUMNS:,} (features and a label)")
    if isinstance(label_column, str):
        if has_header is False or label_column not in first:
            raise ValueError(f"label_column {label_column!r} is not a column name in the header of {where}")
        label = first.index(label_column)
    elif not -n_columns <= label_column < n_columns:
        raise ValueError(
            f"label_column must be a column index from {-n_columns} to {n_columns - 1} or a name; got {label_column!r}"
        )
    else:
        label = label_column % n_columns
    rows = _CsvRows([c for c in range(n_columns) if c != label], label)
    rows.add(first_line, first)
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) != n_columns:
            raise ValueError(
                f"{where}: row {reader.line_num} has {len(cells)} columns, expected {n_columns} (ragged rows)"
            )
        if len(rows) >= MAX_SAMPLES:
            raise ValueError(f"{where}: more than {MAX_SAMPLES:,} data rows (the most a data set may hold)")
        rows.add(reader.line_num, cells)
    return first, first_line, rows, label


def sample_csv_text() -> str:
    """The text of the example CSV shipped with the package (``EXAMPLE_CSV``), for showing the format."""
    return EXAMPLE_CSV.read_text(encoding="utf-8")
