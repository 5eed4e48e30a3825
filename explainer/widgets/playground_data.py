"""The Playground's data: a data set, less the points a learner removed, plus the points they drew, or their CSV.

``YourData`` is one part of ``Playground`` (explainer/widgets/playground.py), the one that owns the points:
the course's 2-D data sets in TF Playground's units (the ±1 box scaled by 5), an empty plane ("own") to draw
on, or an uploaded CSV (two feature columns and a label). A click on the map adds a training point of the
chosen class (Shift: the other class; in a regression the chosen value, Shift: minus it), Alt-click removes
the nearest point; the network trains on from where it is.
"""

from __future__ import annotations

import html
import math

import numpy as np

from ..course.datasets import Dataset, make_dataset, points_dataset, sample_csv_text
from ..course.playground_presets import SCALE
from .playground_setup import CSV, MAX_SAMPLES, OWN, check_setup, csv_dataset
from .sliders import number

DOMAIN = (-6.0, 6.0)  # TF Playground's plane; the course's ±1 data sets scaled by 5 fill ±5 of it
MAX_CSV_BYTES = 1_000_000
OWN_PRESET = ""  # the preset menu's "none": the learner's own setup


class YourData:
    """The data part of the Playground (its methods use the app's state: ``_setup``, ``_csv``, ``_added``,
    ``_removed``, the network and the session)."""

    def _base_dataset(self) -> Dataset:
        s = self._setup
        if s.dataset == CSV:
            name, text = self._csv
            return csv_dataset(name, text, s.test_fraction, s.seed)
        task = "regression" if s.problem == "regression" else "binary"
        if s.dataset == OWN:
            return points_dataset(None, None, task=task, name="your points")
        return make_dataset(s.dataset, n_samples=s.n_samples, noise=s.noise, seed=s.seed,
                            test_fraction=s.test_fraction).scaled(SCALE)  # fmt: skip

    def _build_data(self) -> None:
        """The data the network trains on: the data set, less the points removed, plus your own (to train on)."""
        base = self._base_dataset()
        n_train = len(base.y_train)
        keep_train = np.array([i not in self._removed for i in range(n_train)], dtype=bool)
        keep_test = np.array([n_train + i not in self._removed for i in range(len(base.y_test))], dtype=bool)
        X_train, y_train = base.X_train[keep_train], base.y_train[keep_train]
        if self._added:
            extra = np.array(self._added, dtype=np.float64)  # (m, 3)
            X_train = np.concatenate([X_train, extra[:, :2]])
            labels = extra[:, 2] if base.task == "regression" else extra[:, 2].astype(np.int64)
            y_train = np.concatenate([y_train, labels])
        self._base = base
        self._data = points_dataset(
            X_train, y_train, base.X_test[keep_test], base.y_test[keep_test], task=base.task,
            n_classes=base.n_classes, name=base.name, feature_names=base.feature_names, class_names=base.class_names,
        )  # fmt: skip
        self._data_version = getattr(self, "_data_version", 0) + 1

    @property
    def _task(self) -> str:
        return self._data.task

    @property
    def _domain(self) -> tuple[float, float, float, float]:
        if self._setup.dataset != CSV:
            return (*DOMAIN, *DOMAIN)
        X = self._base.X
        out = []
        for column in X.T:
            lo, hi = float(column.min()), float(column.max())
            pad = 0.1 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 0.5
            out += [lo - pad, hi + pad]
        return tuple(out)

    def _data_changed(self) -> None:
        """Your points changed: the same network trains on from where it is (a new history if the test split
        appeared or vanished)."""
        self._build_data()
        sess = self.session
        if len(self._data.y_train) == 0:
            self.session = None
            return
        X = self._features.apply(np.asarray(self._data.X_train, dtype=np.float64))
        y = self._data.targets("train")
        has_test = len(self._data.y_test) > 0
        if sess is None or (sess.X_test is not None) != has_test:
            self._new_session()
            return
        if has_test:
            sess.set_data(X, y, self._features.apply(np.asarray(self._data.X_test, dtype=np.float64)),
                          self._data.targets("test"))  # fmt: skip
        else:
            sess.set_data(X, y)
        sess.batch_size = self._batch(self._setup.batch_size)

    def _on_map(self, x, y, shift: bool, alt: bool, radius=None) -> None:
        x, y = number("x", x), number("y", y)
        if alt:
            self.remove_point(x, y, radius=radius)
        else:
            self.add_point(x, y, other=shift)

    def _on_csv_change(self, change) -> None:
        if self._drawing or not change["new"]:
            return
        entry = change["new"][0]

        def get(key, default=None):
            return entry.get(key, default) if isinstance(entry, dict) else getattr(entry, key, default)

        def apply():
            content = get("content")
            if content is None:
                raise ValueError("the upload holds no file content; try again")
            self.upload_csv(get("name", "upload.csv"), bytes(content))

        self._gesture(apply)
        self._drawing = True
        try:
            self.controls["csv"].value = ()  # the same file can be chosen again
        finally:
            self._drawing = False

    def add_point(self, x: float, y: float, label=None, *, other: bool = False) -> None:
        """Add a training point at (x, y): of class ``label`` (default: the class chosen to draw; ``other``: the
        other one), or in a regression of value ``label`` (default: the value chosen, ``other``: minus it)."""
        self._check_open()
        self.flush()
        x, y = number("x", x), number("y", y)
        x_lo, x_hi, y_lo, y_hi = self._domain
        if not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            raise ValueError(
                f"the point ({x:g}, {y:g}) is outside the map ({x_lo:g} to {x_hi:g}, {y_lo:g} to {y_hi:g})"
            )
        if len(self._added) + self._data.n_samples >= MAX_SAMPLES + 200:
            raise ValueError(f"the plane holds {self._data.n_samples:,} points; remove some before adding more")
        if self._task == "regression":
            value = self._draw_value if label is None else number("label", label)
            if not -10 <= value <= 10:
                raise ValueError(f"label must be a value from −10 to 10; got {value:g}")
            target = -value if other else value
        else:
            K = self._data.n_classes
            k = self._draw_class if label is None else label
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < K:
                raise ValueError(f"label must be a class from 0 to {K - 1}; got {k!r}")
            target = float(((int(k) + 1) % K) if other else int(k))
        self._added.append((x, y, target))
        self._explain = None
        self._data_changed()
        self._note = ""
        self._request()

    def remove_point(self, x: float, y: float, radius: float | None = None) -> None:
        """Remove the point nearest to (x, y) within ``radius`` (default: 3 % of the map's width)."""
        self._check_open()
        self.flush()
        x, y = number("x", x), number("y", y)
        span = self._domain[1] - self._domain[0]
        radius = 0.03 * span if radius is None else min(max(number("radius", radius), 0.0), span)
        candidates = []  # (distance, kind, index)
        for i, p in enumerate(self._base.X):
            if i not in self._removed:
                candidates.append((math.hypot(p[0] - x, p[1] - y), "base", i))
        for j, (px, py, _) in enumerate(self._added):
            candidates.append((math.hypot(px - x, py - y), "added", j))
        if not candidates or min(candidates)[0] > radius:
            raise ValueError(f"there is no point within {radius:.3g} of ({x:.3g}, {y:.3g}) to remove")
        _, kind, index = min(candidates)
        if kind == "base":
            self._removed = self._removed | {index}
        else:
            del self._added[index]
        self._explain = None
        self._data_changed()
        self._request()

    def clear_points(self) -> None:
        """Every point gone: an empty plane of the same problem to draw your own points on (TF's classify2d)."""
        self._check_open()
        self.flush()
        self._apply_setup(check_setup(self._setup, dataset=OWN))
        self._added, self._removed = [], frozenset()
        self._build_data()
        self._new_session()
        self._preset = OWN_PRESET
        self._note = "An empty plane: click to add a point, Shift-click for the other class, Alt-click to remove one."
        self._request()

    def upload_csv(self, name: str, content: bytes | str) -> None:
        """Train on your own CSV (as the upload button does): two feature columns and a label; ValueError naming
        the problem, with the data as it was."""
        self._check_open()
        if isinstance(content, (bytes, bytearray, memoryview)):
            raw = bytes(content)
            if len(raw) > MAX_CSV_BYTES:
                raise ValueError(
                    f"{name!r} is {len(raw):,} bytes; the Playground takes CSV files up to {MAX_CSV_BYTES:,}"
                )
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as err:
                raise ValueError(f"{name!r} is not UTF-8 text (a CSV saved as text): {err}") from None
        elif isinstance(content, str):
            text = content
        else:
            raise ValueError(f"content must be the file's bytes or text; got {type(content).__name__}")
        self.flush()
        s = self._setup
        ds = csv_dataset(str(name), text, s.test_fraction, s.seed)  # raises before anything changes
        self._csv = (str(name), text)
        problem = "regression" if ds.task == "regression" else "classification"
        self._setup = check_setup(s, dataset=CSV, problem=problem)
        self._added, self._removed = [], frozenset()
        self._build_data()
        self._new_network()
        self._pause()
        self._preset = OWN_PRESET
        kind = ds.task + ("" if ds.n_classes is None else f" ({ds.n_classes} classes)")
        self._note = (f"Loaded {name}: {ds.n_samples} rows, features {', '.join(ds.feature_names)}, {kind}. "
                      "The network starts from step 0.")  # fmt: skip
        self._request()

    @staticmethod
    def _data_help() -> str:
        lines = sample_csv_text().splitlines()[:3]
        return (
            "<details><summary>your own data</summary><div class='bpx-caption'>Click the map to add a point of the "
            "chosen class (Shift-click: the other class; in a regression the value, Shift: minus it); Alt-click a "
            f"point to remove it. A CSV needs two feature columns and the label last, at most {MAX_SAMPLES:,} rows:"
            f"<pre>{html.escape(chr(10).join(lines))}\n…</pre></div></details>"
        )
