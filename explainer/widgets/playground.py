"""Playground: TensorFlow Playground in a notebook, live at its speed, plus the backward pass it never shows.

The network as TF Playground draws it (``playground_diagram``): the input features on the left, every
neuron a small map of its own output over the plane, weights as links (colour: sign, width: size), the
output's map large on the right with the data. Training runs in the kernel's engine (``TrainingSession``)
and the page asks for the next tick when it has drawn the last, so a tick is::

    θ ← θ − η (∂L_data/∂θ + ∂Ω/∂θ)   (or momentum / Adam), steps_per_frame times, on the mini-batches
    every neuron's map aˡₖ(F(x₁, x₂)) on a 20 × 20 grid, the output's on 80 × 80: one batched pass each
    → bytes to the page (about 14 KB for a 2-8-8-1 network), not figure JSON

What TF Playground cannot do: **explain this step** pauses, picks the sample of the next batch with the
largest loss, and walks its backward pass on the same diagram, one layer per click (δ on each neuron,
∂L/∂w on each link, the chain rule with the numbers in the panel below), then applies that update and
plays on. The per-layer gradient norms ‖∂L/∂Wˡ‖ are drawn below (a LiveFigure), so vanishing and exploding
gradients are seen, not just told. Your own data: click the map to add a point, Shift-click for the
other class (or −value), Alt-click a point to remove it; "clear" empties the plane; a CSV can be uploaded.
``share()`` gives a text that recreates the exact setup and seed (``Playground.from_share(text)``).
"""

from __future__ import annotations

import math
import re
import time

import ipywidgets as W
import numpy as np

from .._validate import one_of
from ..course.datasets import Dataset
from ..course.playground_presets import PLAYGROUND_PRESETS, get_playground_preset
from ..engine.activations import HIDDEN_ACTIVATIONS
from ..engine.boundary import plane_maps
from ..engine.features import FEATURES, FeatureMap
from ..engine.history import divergence_message
from ..engine.network import Network, Record
from ..engine.session import TrainingSession
from ..engine.training import OPTIMIZERS, History
from ..views.playground_frame import (
    feature_grids,
    neuron_grids,
    point_arrays,
    status_texts,
    strongest_link,
    update_html,
    walk_panel,
    walk_styles,
)
from ..views.playground_scene import Frame, playground_layout, signed_indices, weight_styles
from ..views.training import plot_decision_boundary, plot_gradient_norms
from .app import App, set_if_changed
from .live_figure import LiveFigure
from .playground_data import OWN_PRESET, YourData
from .playground_diagram import PlaygroundDiagram
from .playground_setup import (
    CSV,
    LR_RANGE,
    MAX_HIDDEN_LAYERS,
    MAX_NEURONS,
    MAX_NOISE,
    MAX_SAMPLES,
    MAX_STEPS_PER_FRAME,
    MAX_TEST_FRACTION,
    MIN_SAMPLES,
    OWN,
    PLANE_SETS,
    REG_RATE_RANGE,
    Setup,
    check_setup,
    network_for,
)
from .playground_state import Sharing
from .sliders import Row, Sliders, number, row

NEURON_RESOLUTION = 20  # each neuron's map: 20 × 20
MAP_RESOLUTION = 80  # the output's map (fewer pixels for a large network: MAP_WORK multiply-adds at most)
MAP_WORK = 2.5e7
MAX_TRAIN_STEPS = 100_000  # per train() call
NORMS_EVERY = 1.0  # s between two redraws of the gradient-norm figure while playing (~30 ms here, more in the page)
NORMS_POINTS = 400  # entries of the history the norm figure draws
CHART_POINTS = 160  # entries the small loss chart draws
MAX_WEIGHT = 1000.0  # a typed weight beyond this saturates every neuron: refused
ACTIVATION_LABELS = {"tanh": "tanh", "sigmoid": "sigmoid σ", "relu": "ReLU", "leaky_relu": "leaky ReLU",
                     "identity": "linear (identity)"}  # fmt: skip
REGULARIZATION_LABELS = {"none": "none", "l1": "L1: λΣ|w|", "l2": "L2: λ·½Σw²"}
DATASET_LABELS = {
    "circles": "circles", "xor": "XOR", "gauss": "two Gaussians", "spiral": "spiral", "moons": "moons",
    "blobs": "three classes", "plane": "plane", "multi_gauss": "six Gaussians", OWN: "your own points (draw them)",
}  # fmt: skip


class Playground(YourData, Sharing, App):
    """TensorFlow Playground in a notebook: every neuron's map live, and the backward pass of any step.

    ``Playground("circles", features=("x1^2", "x2^2"), hidden=(), regularization="l2", reg_rate=0.001,
    n_samples=500, problem="classification")``. The first argument is a data set (circles, xor, gauss,
    spiral, moons, blobs; plane, multi_gauss for a regression; "own" for an empty plane to draw on) or a
    preset (``PLAYGROUND_PRESETS``: circles_squares, xor_product, xor, circles, spiral, spiral_sin,
    overfitting, blobs, regression, vanishing, diverging); ``preset=`` names a preset too.

    Settings (each also a control): features (of x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)), hidden
    (0 to 8 layers of 1 to 32 neurons), activation, optimizer (sgd, momentum, adam), lr (η, 1e-4 to 10),
    batch_size (None: the whole training set), regularization (none, l1, l2) and reg_rate (λ), n_samples
    (10 to 2,000), test_fraction (0 to 0.9), noise (0 to 0.5), seed, problem (classification or regression),
    steps_per_frame (1 to 100 while playing), show_test, discretize; lecture, theme ("auto", "light", "dark").

    For scripts and tests: ``train(steps)`` trains now; ``accuracy()`` → {"train", "test"} (R² for a
    regression); ``neuron_outputs()`` → {"x", "y", "layers"} (each hidden neuron's activation at the point
    (x[j], y[i])); ``step(ticks)``, ``play()``, ``pause()``, ``tick()``, ``reset()``, ``load_preset(name)``,
    ``explain()`` / ``explain_next()`` / ``explain_cancel()``, ``add_point``, ``remove_point``,
    ``clear_points``, ``set_weight``, ``toggle_feature``, ``add_layer``, ``remove_layer``, ``add_neuron``,
    ``remove_neuron``, ``upload_csv``, ``share()`` / ``Playground.from_share(text)``, ``state()`` /
    ``set_state()``, ``snapshot()``, ``picture()``. Read: ``network``, ``session``, ``history``, ``record``,
    ``dataset``, ``settings`` (the Setup), ``controls``, ``figures`` ({"norms": LiveFigure}), ``diagram``.
    """

    def __init__(
        self,
        dataset: str | None = None,
        *,
        preset: str | None = None,
        features=None,
        hidden=None,
        activation: str | None = None,
        optimizer: str | None = None,
        lr: float | None = None,
        batch_size: int | None | str = "default",
        regularization: str | None = None,
        reg_rate: float | None = None,
        n_samples: int | None = None,
        test_fraction: float | None = None,
        noise: float | None = None,
        seed: int | None = None,
        problem: str | None = None,
        steps_per_frame: int | None = None,
        show_test: bool | None = None,
        discretize: bool | None = None,
        lecture: bool = False,
        theme: str = "auto",
    ):
        super().__init__(lecture=lecture, theme=theme)
        try:
            self._start_up(dataset, preset, batch_size, dict(
                features=features, hidden=hidden, activation=activation, optimizer=optimizer, lr=lr,
                regularization=regularization, reg_rate=reg_rate, n_samples=n_samples, test_fraction=test_fraction,
                noise=noise, seed=seed, problem=problem, steps_per_frame=steps_per_frame, show_test=show_test,
                discretize=discretize))  # fmt: skip
        except BaseException:
            self.close()  # a bad argument leaves no widget open
            raise

    def _start_up(self, dataset, preset, batch_size, values: dict) -> None:
        given = {k: v for k, v in values.items() if v is not None}
        if batch_size != "default":
            given["batch_size"] = batch_size
        if dataset is not None and preset is not None:
            raise ValueError("give a data set or a preset, not both (the first argument may name either)")
        names = (*PLANE_SETS["classification"], *PLANE_SETS["regression"], OWN)
        if dataset is not None and dataset not in names:
            if dataset in PLAYGROUND_PRESETS:
                dataset, preset = None, dataset
            elif dataset == CSV:
                raise ValueError("dataset 'csv' means an uploaded file: use upload_csv(name, content)")
            else:
                raise ValueError(f"dataset must be one of {', '.join(names)} or a preset "
                                 f"({', '.join(PLAYGROUND_PRESETS)}); got {dataset!r}")  # fmt: skip
        self._preset = OWN_PRESET
        if preset is not None:
            p = get_playground_preset(preset)
            setup = check_setup(**{**p.settings, **given})
            self._preset = p.name
        else:
            setup = check_setup(**({"dataset": dataset} if dataset else {}), **given)
        self._csv: tuple[str, str] | None = None
        self._added: list[tuple[float, float, float]] = []  # your points: (x1, x2, label or value), trained on
        self._removed: frozenset[int] = frozenset()  # indices of the data set's points (train then test) removed
        self._setup = setup
        self._draw_class = 1
        self._draw_value = 0.5
        self._playing = False
        self._explain: dict | None = None
        self._norms_at = 0.0
        self._norms_key = None
        self._layout_cache: tuple | None = None
        self._feature_cache: tuple | None = None
        self._points_cache: tuple | None = None
        self.ticks = 0
        self._build_data()
        self._new_network()
        self._build()
        self._note = self._preset_note() if self._preset else ""
        self._render_all()
        if self._good is None:
            raise ValueError(self._error)

    # ------------------------------------------------------------------ the state: data, network, session
    def _new_network(self) -> None:
        """A network from the seed for the setup, and its session (step 0)."""
        s = self._setup
        self._features = FeatureMap(s.features)
        n_out = self._data.n_classes if self._task == "multiclass" else 1
        self.network = network_for(self._task, self._features.n_features, s.hidden, s.activation, n_out, s.seed)
        self._start = self.network.parameters
        self._new_session()

    def _new_session(self) -> None:
        """A session on the current network and data, from step 0 (None while there is nothing to train on)."""
        s, ds = self._setup, self._data
        self._explain = None
        if len(ds.y_train) == 0:
            self.session = None
            return
        has_test = len(ds.y_test) > 0
        self.session = TrainingSession(
            self.network, self._features.apply(np.asarray(ds.X_train, dtype=np.float64)), ds.targets("train"),
            X_test=self._features.apply(np.asarray(ds.X_test, dtype=np.float64)) if has_test else None,
            y_test=ds.targets("test") if has_test else None,
            optimizer=s.optimizer, lr=s.lr, batch_size=self._batch(s.batch_size), seed=s.seed,
            regularization=s.regularization, reg_rate=s.reg_rate,
        )  # fmt: skip

    def _batch(self, batch_size):
        return None if batch_size is None or batch_size >= max(1, len(self._data.y_train)) else batch_size

    def _apply_setup(self, setup: Setup) -> None:
        """Take ``setup``: a new network and run when data, features, layers or activation change; otherwise
        the training settings change from the next step on."""
        old = self._setup
        if setup.dataset == CSV and self._csv is None:
            raise ValueError("dataset 'csv' needs an uploaded file: use the 'your CSV' button (or upload_csv)")
        data_keys = ("dataset", "problem", "n_samples", "test_fraction", "noise", "seed")
        if any(getattr(setup, k) != getattr(old, k) for k in data_keys):
            if setup.dataset != old.dataset or setup.problem != old.problem:
                self._added, self._removed = [], frozenset()
            else:
                self._removed = frozenset()  # the indices were of the old points
            self._setup = setup
            self._build_data()
            self._new_network()
            self._pause()
            return
        self._setup = setup
        if setup.needs_new_network(old):
            self._new_network()
            self._pause()
            return
        sess = self.session
        if sess is not None:
            if setup.optimizer != old.optimizer:
                sess.set_optimizer(setup.optimizer, lr=setup.lr)
            sess.lr = setup.lr
            sess.batch_size = self._batch(setup.batch_size)
            sess.regularization = setup.regularization
            sess.reg_rate = setup.reg_rate

    def _snapshot(self):
        sess = self.session
        return dict(
            setup=self._setup, csv=self._csv, added=list(self._added), removed=self._removed, base=self._base,
            data=self._data, version=self._data_version, features=self._features, network=self.network,
            start=self._start, session=sess, params=self.network.parameters,
            steps=None if sess is None else sess.steps_done, explain=self._explain, playing=self._playing,
            session_data=None if sess is None else (sess.X, sess.y, sess.X_test, sess.y_test),
            preset=self._preset, draw=(self._draw_class, self._draw_value),
        )  # fmt: skip

    def _restore(self, snap) -> None:
        self._setup, self._csv, self._added, self._removed = snap["setup"], snap["csv"], snap["added"], snap["removed"]
        self._base, self._data, self._data_version = snap["base"], snap["data"], snap["version"]
        self._features, self.network, self._start = snap["features"], snap["network"], snap["start"]
        self.session, self._explain, self._preset = snap["session"], snap["explain"], snap["preset"]
        self._draw_class, self._draw_value = snap["draw"]
        sess = self.session
        if sess is not None and snap["steps"] is not None and sess.steps_done > snap["steps"]:
            if snap["steps"] in sess.checkpoints:
                sess.undo(snap["steps"])
        self.network.set_parameters(snap["params"])
        if sess is not None and snap["session_data"] is not None:
            X, y, X_test, y_test = snap["session_data"]
            if X is not sess.X or X_test is not sess.X_test:
                sess.set_data(X, y, X_test, y_test) if X_test is not None else sess.set_data(X, y)
        self._set_playing(snap["playing"] and not (sess is not None and sess.diverged))

    # ------------------------------------------------------------------ building (once)
    def _build(self) -> None:
        c, own = self.controls, self._own

        def dropdown(description, options=()):
            return own(W.Dropdown(options=list(options), description=description,
                                  style={"description_width": "initial"}))  # fmt: skip

        c["play"] = self._button("▶ play", "Train and redraw continuously (the page asks for the next tick when it has "
                           "drawn the last)", "success")  # fmt: skip
        c["step"] = self._button("step", "Train one tick (steps per frame steps) and redraw")
        c["reset"] = self._button("reset", "Back to step 0 with the starting weights (the seed's)", "warning")
        c["explain"] = self._button("explain this step", "Pause, pick a sample, and walk its backward pass on the "
                              "diagram, one layer per click; then apply the update", "info")  # fmt: skip
        c["explain_cancel"] = self._button("leave the walk", "Stop explaining without applying the update")
        c["preset"] = dropdown("preset")
        self._look_controls()  # controls["theme"] and controls["lecture"], wired (App)
        c["dataset"] = dropdown("data")
        problems = [("classification", "classification"), ("regression", "regression")]
        c["problem"] = own(W.ToggleButtons(options=problems, style={"button_width": "auto"}))
        c["activation"] = dropdown("activation", [(ACTIVATION_LABELS[a], a) for a in HIDDEN_ACTIVATIONS])
        c["regularization"] = dropdown("regularisation", [(REGULARIZATION_LABELS[r], r) for r in REGULARIZATION_LABELS])
        c["optimizer"] = dropdown("optimiser", [(o, o) for o in OPTIMIZERS])
        c["show_test"] = own(W.Checkbox(description="show test data", indent=False, layout=W.Layout(width="auto")))
        c["discretize"] = own(W.Checkbox(description="discretise output", indent=False, layout=W.Layout(width="auto")))
        c["csv"] = own(W.FileUpload(accept=".csv,text/csv", multiple=False, description="your CSV", icon="upload"))
        c["csv"].layout.width = "auto"
        c["clear"] = self._button("clear points", "Remove every point: an empty plane to draw your own on")
        c["draw_class"] = own(W.ToggleButtons(style={"button_width": "auto"}, tooltips=[]))
        c["share"] = self._button("share this setup", "A text that recreates this exact setup and seed: copy it")
        c["share_text"] = own(W.Text(placeholder="a share string: paste one here and press load",
                                     layout=W.Layout(flex="1 1 20em", min_width="12em")))  # fmt: skip
        c["load_share"] = self._button("load", "Recreate the setup of the share string in the box")
        self._data_rows = own(Sliders(columns="1fr"))
        self._train_rows = own(Sliders(columns="repeat(auto-fill, minmax(19em, 1fr))"))
        for rows in (self._data_rows, self._train_rows):
            rows.layout.width = "100%"
            rows.on_input(lambda key, value: self._gesture(lambda: self._on_number(key, value)))
        self.diagram = own(PlaygroundDiagram())
        self.diagram.layout.width = "100%"
        self.diagram.on("tick", self._on_page_tick)
        self.diagram.on("select", lambda key: self._gesture(lambda: self._on_select(key)))
        self.diagram.on("edit", lambda key, value: self._gesture(lambda: self._on_edit(key, value)))
        self.diagram.on("map", lambda x, y, shift, alt, radius: self._gesture(
            lambda: self._on_map(x, y, bool(shift), bool(alt), radius)))  # fmt: skip
        self.chain = own(W.HTML(layout=W.Layout(max_height="420px", overflow="auto")))
        self.chain.add_class("bpx-panel")
        self.chain.add_class("bpx-chain")
        self.caption = own(W.HTML())
        self.caption.add_class("bpx-caption")
        self.norms = own(LiveFigure(self._norms_figure(self._display_history())))
        self._norms_key = self._norms_signature()

        c["play"].on_click(lambda _: self._gesture(self._toggle_play))
        c["step"].on_click(lambda _: self._gesture(lambda: self.step(1)))
        c["reset"].on_click(lambda _: self._gesture(self.reset))
        c["explain"].on_click(lambda _: self._gesture(self._explain_click))
        c["explain_cancel"].on_click(lambda _: self._gesture(self.explain_cancel))
        c["clear"].on_click(lambda _: self._gesture(self.clear_points))
        c["share"].on_click(lambda _: self._gesture(self._show_share))
        c["load_share"].on_click(lambda _: self._gesture(lambda: self.load_share(c["share_text"].value)))
        c["preset"].observe(lambda ch: self._on_menu(lambda: self.load_preset(ch["new"]) if ch["new"] else None),
                            "value")  # fmt: skip
        for key in ("dataset", "problem", "activation", "regularization", "optimizer", "show_test", "discretize"):
            c[key].observe(lambda ch, key=key: self._on_menu(lambda: self._on_setting(key, ch["new"])), "value")
        c["draw_class"].observe(lambda ch: self._on_menu(lambda: self._set_draw_class(ch["new"])), "value")
        c["csv"].observe(self._on_csv_change, names="value")

        bar = own(W.HBox([c["play"], c["step"], c["reset"], c["explain"], c["explain_cancel"], c["preset"],
                          c["theme"], c["lecture"]]))  # fmt: skip
        data_box = own(W.VBox([c["dataset"], c["problem"], self._data_rows, own(W.HBox([c["csv"], c["clear"]])),
                               c["draw_class"], own(W.HTML(self._data_help()))],
                              layout=W.Layout(flex="0 1 19em", min_width="15em")))  # fmt: skip
        for box in (bar,):
            box.add_class("bpx-bar")
        data_box.add_class("bpx-side")
        main = own(W.VBox([self.caption, self.diagram], layout=W.Layout(flex="1 1 40em", min_width="0")))
        main.add_class("bpx-main")
        body = own(W.HBox([data_box, main], layout=W.Layout(flex_flow="row wrap", align_items="flex-start",
                                                             width="100%")))  # fmt: skip
        body.add_class("bpx-columns")
        menus = own(W.HBox([c["activation"], c["regularization"], c["optimizer"], c["show_test"], c["discretize"]]))
        menus.add_class("bpx-bar")
        share = own(W.HBox([c["share"], c["share_text"], c["load_share"]], layout=W.Layout(width="100%")))
        share.add_class("bpx-bar")
        rows = [bar, body, menus, self._train_rows, self.chain, self.norms, share]
        self.root = self._wrap(own(W.VBox(rows, layout=W.Layout(width="100%"))))

    # ------------------------------------------------------------------ gestures
    def _on_number(self, key: str, value) -> None:
        value = number(key, value)
        if key == "draw_value":
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"draw_value must be a number from −1 to 1 (the value a click adds); got {value:g}")
            self._draw_value = value
            return
        if key == "batch_size":
            n = len(self._data.y_train)
            value = None if n and value >= n else int(round(value))
        elif key in ("n_samples", "seed", "steps_per_frame"):
            value = int(round(value))
        self._on_setting(key, value)

    def _on_setting(self, key: str, value) -> None:
        if key == "problem" and value != self._setup.problem:
            if self._setup.dataset in (OWN, CSV):
                self._apply_setup(check_setup(self._setup, problem=value, dataset=OWN))
                self._note = f"An empty plane for a {value}: click the map to add points."
            else:
                self._apply_setup(check_setup(self._setup, problem=value, dataset=PLANE_SETS[value][0]))
            self._preset = OWN_PRESET
            return
        if key == "dataset" and value == CSV and self._csv is None:
            raise ValueError("upload a CSV first (the 'your CSV' button)")
        self._apply_setup(check_setup(self._setup, **{key: value}))
        if key not in ("show_test", "discretize"):
            self._preset = OWN_PRESET

    def _on_select(self, key: str) -> None:
        if not isinstance(key, str):
            raise ValueError(f"key must be a diagram target; got {key!r}")
        if key.startswith("feature:"):
            self.toggle_feature(key.split(":", 1)[1])
        elif key == "layers:+":
            self.add_layer()
        elif key == "layers:-":
            self.remove_layer()
        elif key.startswith("neurons:"):
            _, layer, sign = key.split(":")
            (self.add_neuron if sign == "+" else self.remove_neuron)(int(layer))
        elif self._explain is not None and (key[:1] in "Wb"):
            self.network.index_of(key)
            self._explain["selected"] = key
        elif key.startswith("node:"):
            layer, index = (int(v) for v in key.split(":")[1:])
            self._note = f"{self._unit_name(layer, index)}: its map is its output over the whole plane."
        else:
            raise ValueError(f"key must be a diagram target (a feature, a button, a weight); got {key!r}")

    def _on_edit(self, key: str, value) -> None:
        self.set_weight(key, number(key, value))

    def _set_draw_class(self, value) -> None:
        if value is not None:
            self._draw_class = int(value)

    def _toggle_play(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def _explain_click(self) -> None:
        if self._explain is None:
            self.explain()
        else:
            self.explain_next()

    # ------------------------------------------------------------------ ticks
    def _on_page_tick(self, revision) -> None:
        """The page received ``revision`` and asks for the next tick. Only the ``window`` newest revisions count:
        the page keeps that many ticks in flight (travelling, being trained, being drawn), never more."""
        current = self.diagram.revision
        oldest = current - self.diagram.window + 1
        if self._closed or not self._playing or not isinstance(revision, int) or not oldest <= revision <= current:
            return
        try:
            self._tick()
        except Exception as err:  # every failure reaches the learner, once: Play pauses, the last good state stays
            self._fail(err)  # back to the last good state, which was playing: pause it, and draw the pause
            self._set_playing(False)
            self._render_all()
            return
        # Drawn now, not coalesced: each tick the page asked for is one revision it receives (and asks again
        # for), so the ticks in flight stay ``window``.
        self._coalescer.pending = False
        self._render_all()

    def _tick(self) -> None:
        sess = self.session
        if sess is None:
            self._set_playing(False)
            self._note = "Nothing to train on: click the map to add points."
            return
        if sess.diverged:
            self._set_playing(False)
            return
        sess.step(self._setup.steps_per_frame)
        self.ticks += 1
        if sess.diverged:
            self._set_playing(False)

    def _set_playing(self, on: bool) -> None:
        self._playing = bool(on)
        if hasattr(self, "diagram"):
            self.diagram.playing = self._playing

    def _pause(self) -> None:
        self._set_playing(False)

    # ------------------------------------------------------------------ public API: training
    def train(self, steps: int) -> None:
        """Train ``steps`` optimiser steps now (1 to 100,000), without a front end; stops where a run diverges."""
        self._check_open()
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_TRAIN_STEPS:
            raise ValueError(f"steps must be an integer from 1 to {MAX_TRAIN_STEPS:,}; got {steps!r}")
        self.flush()
        sess = self._need_session()
        self._explain = None
        done = 0
        while done < steps and not sess.diverged:
            n = min(1000, int(steps) - done)
            sess.step(n)
            done += n
        self._request()

    def step(self, ticks: int = 1) -> None:
        """Train ``ticks`` ticks of ``steps_per_frame`` steps each, as the step button does (and pause)."""
        self._check_open()
        if isinstance(ticks, bool) or not isinstance(ticks, (int, np.integer)) or not 1 <= ticks <= 10_000:
            raise ValueError(f"ticks must be an integer from 1 to 10,000; got {ticks!r}")
        self.flush()
        self._pause()
        sess = self._need_session()
        if sess.diverged:
            raise ValueError(divergence_message(sess.history.diverged_step, sess.lr, undo=False))
        self._explain = None
        for _ in range(int(ticks)):
            if sess.diverged:
                break
            sess.step(self._setup.steps_per_frame)
            self.ticks += 1
        self._request()

    def tick(self) -> None:
        """What one animation frame of play does: one tick, then the redraw (as the page's request would)."""
        self._check_open()
        self.flush()
        if not self._playing:
            raise ValueError("tick() trains while playing: call play() first (or step() for one tick)")
        self._on_page_tick(self.diagram.revision)
        self.flush()

    def play(self) -> None:
        """Start training continuously: the page asks for a tick after drawing each one."""
        self._check_open()
        self.flush()
        sess = self._need_session()
        if sess.diverged:
            raise ValueError(divergence_message(sess.history.diverged_step, sess.lr, undo=False))
        if self._explain is not None:
            self._explain = None
        self._set_playing(True)
        self._request()

    def pause(self) -> None:
        """Stop playing (the network keeps its weights)."""
        self._check_open()
        self._set_playing(False)
        self._request()

    @property
    def playing(self) -> bool:
        return self._playing

    def reset(self) -> None:
        """Back to step 0: the seed's starting weights, the data as set up, and the first mini-batch order again."""
        self._check_open()
        self.flush()
        self._pause()
        self.network.set_parameters(self._start)
        self._new_session()
        self._note = f"Reset: step 0 with the seed's starting weights; η = {self._setup.lr:.4g}."
        self._request()

    def _need_session(self) -> TrainingSession:
        if self.session is None:
            raise ValueError("there are no training points: add some (click the map) or choose a data set")
        return self.session

    # ------------------------------------------------------------------ public API: the network
    def set_weight(self, name: str, value: float) -> None:
        """Set one weight or bias (``"W2[0,1]"``, ``"b1[3]"``) to ``value`` (|value| ≤ 1,000); training goes on
        from there."""
        self._check_open()
        self.flush()
        if not isinstance(name, str) or not re.fullmatch(r"[Wb]\d+\[\d+(,\d+)?\]", name.replace(" ", "")):
            raise ValueError(f"name must be a weight or bias of the network such as 'W1[0,0]' or 'b1[0]'; got {name!r}")
        name = name.replace(" ", "")
        self.network.index_of(name)  # ValueError naming it
        value = number(name, value)
        if abs(value) > MAX_WEIGHT:
            raise ValueError(f"{name} must be a number from −{MAX_WEIGHT:g} to {MAX_WEIGHT:g}; got {value:g}")
        self.network.set(name, value)
        self._explain = None
        self._note = f"{name} = {value:g}: training goes on from here."
        self._request()

    def toggle_feature(self, name: str) -> None:
        """Use or leave out an input feature (x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)): a new network."""
        self._check_open()
        one_of(name, FEATURES, "name")
        chosen = set(self._setup.features)
        if name in chosen:
            if len(chosen) == 1:
                raise ValueError(f"{name} is the only input left: choose another feature before leaving this one out")
            chosen.discard(name)
        else:
            chosen.add(name)
        self._apply_setup(check_setup(self._setup, features=tuple(chosen)))
        self._preset = OWN_PRESET
        self._request()

    def add_layer(self) -> None:
        """One more hidden layer (up to 8), of as many neurons as the last one (2 if there is none): a new network."""
        hidden = self._setup.hidden
        if len(hidden) >= MAX_HIDDEN_LAYERS:
            raise ValueError(f"the Playground draws at most {MAX_HIDDEN_LAYERS} hidden layers")
        self._set_hidden((*hidden, hidden[-1] if hidden else 2))

    def remove_layer(self) -> None:
        """One hidden layer less (the last): a new network."""
        if not self._setup.hidden:
            raise ValueError("there is no hidden layer to remove")
        self._set_hidden(self._setup.hidden[:-1])

    def add_neuron(self, layer: int) -> None:
        """One more neuron in hidden layer ``layer`` (1..L−1), up to 32: a new network."""
        i = self._hidden_index(layer)
        hidden = list(self._setup.hidden)
        if hidden[i] >= MAX_NEURONS:
            raise ValueError(f"layer {layer} has {MAX_NEURONS} neurons, the most the Playground draws")
        hidden[i] += 1
        self._set_hidden(tuple(hidden))

    def remove_neuron(self, layer: int) -> None:
        """One neuron less in hidden layer ``layer`` (at least 1 stays): a new network."""
        i = self._hidden_index(layer)
        hidden = list(self._setup.hidden)
        if hidden[i] <= 1:
            raise ValueError(f"layer {layer} has one neuron; remove the layer instead")
        hidden[i] -= 1
        self._set_hidden(tuple(hidden))

    def _hidden_index(self, layer) -> int:
        n = len(self._setup.hidden)
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 1 <= layer <= n:
            raise ValueError(f"layer must be a hidden layer from 1 to {n}; got {layer!r}")
        return int(layer) - 1

    def _set_hidden(self, hidden: tuple[int, ...]) -> None:
        self._check_open()
        self._apply_setup(check_setup(self._setup, hidden=hidden))
        self._preset = OWN_PRESET
        self._request()

    # ------------------------------------------------------------------ public API: data
    # ------------------------------------------------------------------ public API: presets, sharing, state
    def load_preset(self, name: str) -> None:
        """Every setting to the named preset (``PLAYGROUND_PRESETS``), from step 0."""
        self._check_open()
        p = get_playground_preset(name)
        self.flush()
        self._pause()
        setup = check_setup(**p.settings)
        self._added, self._removed = [], frozenset()
        self._setup = setup
        self._build_data()
        self._new_network()
        self._preset = p.name
        self._note = self._preset_note()
        self._request()

    def _preset_note(self) -> str:
        p = PLAYGROUND_PRESETS[self._preset]
        return f"Preset: {p.title}. {p.description} Press ▶ play."

    # ------------------------------------------------------------------ public API: explain this step
    def explain(self) -> None:
        """Pause and start walking the next step's backward pass: its batch, the sample with the largest loss,
        the output layer's δ and ∂L/∂w first (``explain_next`` for each layer further back, then the update)."""
        self._check_open()
        self.flush()
        sess = self._need_session()
        if sess.diverged:
            raise ValueError("the run has diverged: reset before explaining a step")
        was_playing = self._playing
        self._pause()
        batch = sess.next_batch()
        rec = self.network.backprop(sess.X[batch], sess.y[batch])
        sample = int(np.argmax(rec.sample_losses))
        self._explain = {"stage": 0, "record": rec, "batch": batch, "sample": sample, "resume": was_playing,
                         "selected": None}  # fmt: skip
        self._explain["selected"] = self._strongest_link(0)
        self._request()

    def explain_next(self) -> None:
        """One layer further back; after the first layer, the update; after the update, apply it (and play on if
        the walk began while playing)."""
        self._check_open()
        self.flush()
        ex = self._explain
        if ex is None:
            raise ValueError("no step is being explained: call explain() (the 'explain this step' button) first")
        L = self.network.n_layers
        if ex["stage"] < L:
            ex["stage"] += 1
            if ex["stage"] < L:
                ex["selected"] = self._strongest_link(ex["stage"])
            self._request()
            return
        self._explain = None
        self.session.step(1)
        self._note = f"Step {self.session.steps_done:,} applied: every weight moved as the walk showed."
        if ex["resume"] and not self.session.diverged:
            self._set_playing(True)
        self._request()

    def explain_cancel(self) -> None:
        """Leave the walk without applying its update."""
        self._check_open()
        self._explain = None
        self._request()

    @property
    def explain_stage(self) -> int | None:
        """None, or the walk's stage: 0 the output layer, k the layer k further back, L the update."""
        return None if self._explain is None else self._explain["stage"]

    def _strongest_link(self, stage: int) -> str:
        return strongest_link(self._explain["record"], self.network.n_layers - stage)

    # ------------------------------------------------------------------ public API: reading
    @property
    def history(self) -> History | None:
        """Everything trained since the last reset (entry 0 is the start); None without training points."""
        self.flush()
        return None if self.session is None else self.session.history

    @property
    def record(self) -> Record:
        """The recorded forward and backward pass at the current weights, on the training points."""
        self.flush()
        return self._need_session().record()

    @property
    def dataset(self) -> Dataset:
        """The points (in the plane's units): the data set less those removed, plus your own (in training)."""
        self.flush()
        return self._data

    @property
    def settings(self) -> Setup:
        self.flush()
        return self._setup

    @property
    def features(self) -> tuple[str, ...]:
        return self._setup.features

    @property
    def figures(self) -> dict:
        """name → the live figure: "norms", the per-layer gradient norms."""
        self.flush()
        return {"norms": self.norms}

    def accuracy(self) -> dict:
        """{"train", "test"}: the share of points classified right, or for a regression R² = 1 − SSres/SStot
        (None for a split without points)."""
        self._check_open()
        self.flush()
        ds, out = self._data, {}
        for split, X, y in (("train", ds.X_train, ds.y_train), ("test", ds.X_test, ds.y_test)):
            if len(y) == 0:
                out[split] = None
                continue
            with np.errstate(all="ignore"):
                a = self.network.forward(self._features.apply(np.asarray(X, dtype=np.float64)))
            if self._task == "regression":
                resid = float(np.sum((a[:, 0] - y) ** 2))
                total = float(np.sum((y - y.mean()) ** 2))
                out[split] = 1.0 - resid / total if total > 0 else (1.0 if resid == 0 else 0.0)
            elif self._task == "binary":
                out[split] = float(np.mean((a[:, 0] >= 0.5) == (y == 1)))
            else:
                out[split] = float(np.mean(np.argmax(a, axis=1) == y))
        return out

    def neuron_outputs(self, resolution: int = NEURON_RESOLUTION) -> dict:
        """Each hidden neuron's activation over the plane, as the diagram's small maps show it:
        {"x": xs (R,), "y": ys (R,), "layers": [(n_neurons, R, R) per hidden layer]}, layers[l][k, i, j] at the
        point (xs[j], ys[i]); xs and ys are the pixel centres of the map, ascending."""
        self._check_open()
        self.flush()
        maps = plane_maps(self.network, self._features, self._domain[:2], self._domain[2:], resolution)
        return {"x": np.array(maps.x), "y": np.array(maps.y), "layers": [np.array(m) for m in maps.layers[:-1]]}

    def snapshot(self):
        """A plain plotly Figure of the output's map with the data (for pages without a kernel)."""
        from ..engine.boundary import DecisionGrid

        self.flush()
        maps = plane_maps(self.network, self._features, self._domain[:2], self._domain[2:], 100)
        out = np.moveaxis(np.array(maps.output), 0, -1)  # (R, R, n_out)
        task = self._task
        if task == "binary":
            predicted = (out[..., 0] >= 0.5).astype(np.int64)
        elif task == "multiclass":
            predicted = np.argmax(out, axis=-1)
        else:
            predicted = None
        grid = DecisionGrid(x=maps.x, y=maps.y, outputs=out, predicted=predicted, task=task)
        ds = self._data
        has_test = len(ds.y_test) > 0
        return plot_decision_boundary(
            grid, np.asarray(ds.X_train), np.asarray(ds.y_train),
            X_test=np.asarray(ds.X_test) if has_test else None, y_test=np.asarray(ds.y_test) if has_test else None,
            theme=self.drawing_theme, lecture=self.lecture, title=f"The output (step {self._steps():,})",
        )  # fmt: skip

    def picture(self) -> str:
        """The diagram as a standalone SVG (what GitHub shows of this app's cell): the page's own drawing."""
        self.flush()
        return self.diagram.picture()

    def _steps(self) -> int:
        return 0 if self.session is None else self.session.steps_done

    # ------------------------------------------------------------------ drawing: everything from the state
    def _unit_name(self, layer: int, index: int) -> str:
        if layer == self.network.n_layers:
            return "the output" if self.network.sizes[-1] == 1 else f"output {index + 1}"
        return f"neuron {index + 1} of layer {layer}"

    @property
    def _map_resolution(self) -> int:
        """The output map's pixels a side: 80, fewer for a large network (its pass within MAP_WORK)."""
        return int(np.clip(np.sqrt(MAP_WORK / self.network.n_parameters), 40, MAP_RESOLUTION))

    def _layout(self) -> dict:
        s = self._setup
        sizes = tuple(self.network.sizes)
        feats = tuple((name, f.label, name in s.features) for name, f in FEATURES.items())
        key = (sizes, feats, self._task, self._domain, self.drawing_theme, self.lecture, self._data.class_names)
        if self._layout_cache is None or self._layout_cache[0] != key:
            layout = playground_layout(
                sizes, feats, task=self._task, domain=self._domain, theme=self.drawing_theme, lecture=self.lecture,
                max_layers=MAX_HIDDEN_LAYERS, max_neurons=MAX_NEURONS, neuron_resolution=NEURON_RESOLUTION,
                map_resolution=self._map_resolution, class_names=self._data.class_names,
            )  # fmt: skip
            self._layout_cache = (key, layout)
        return self._layout_cache[1]

    def _feature_grids(self) -> np.ndarray:
        if self._feature_cache is None or self._feature_cache[0] != self._domain:
            self._feature_cache = (self._domain, feature_grids(self._domain, NEURON_RESOLUTION))
        return self._feature_cache[1]

    def _points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (self._data_version, self._setup.show_test)
        if self._points_cache is None or self._points_cache[0] != key:
            self._points_cache = (key, point_arrays(self._data, self._setup.show_test))
        return self._points_cache[1]

    def _display_history(self) -> History:
        if self.session is None:
            return _empty_history(self.network)
        return self.session.display_history(NORMS_POINTS)

    def _norms_figure(self, h: History):
        return plot_gradient_norms(h, first=True, theme=self.drawing_theme, lecture=self.lecture,
                                   title="Gradient size per layer ‖∂L/∂Wˡ‖ (log scale)",
                                   height=round(320 * (1.6 if self.lecture else 1.0)))  # fmt: skip

    def _norms_signature(self):
        sess = self.session
        return (id(sess), None if sess is None else sess.steps_done, self.drawing_theme, self.lecture,
                tuple(self.network.sizes))  # fmt: skip

    def _render(self) -> None:
        layout = self._layout()
        frame, values = self._frame(layout)
        self.diagram.show(layout, frame, values)
        self.diagram.explaining = self._explain is not None
        now = time.monotonic()
        signature = self._norms_signature()
        if signature != self._norms_key and (not self._playing or now - self._norms_at >= NORMS_EVERY):
            self.norms.update(self._norms_figure(self._display_history()))
            self._norms_key, self._norms_at = signature, now
        self._drawing = True
        try:
            self._show_controls()
        finally:
            self._drawing = False
        self._show_explain()
        sess = self.session
        self._warning = ""
        if sess is not None and sess.diverged:
            h = sess.history
            self._warning = divergence_message(int(h.steps[h.diverged_at]), float(sess.lr), undo=False)

    def _frame(self, layout: dict) -> tuple[Frame, np.ndarray]:
        net, s, ex = self.network, self._setup, self._explain
        grids, big = neuron_grids(net, self._features, self._domain, self._task, s.discretize, NEURON_RESOLUTION,
                                  self._map_resolution)  # fmt: skip
        weights = np.concatenate([w.T.ravel() for w in net.weights])  # the layout's link order: layer, j, i
        biases = np.concatenate(list(net.biases))
        texts = status_texts(self.session, self._batch(s.batch_size) is None, layout["chart"])
        if ex is None:
            styles, marks = weight_styles(weights, layout["scale"]), np.zeros(len(layout["nodes"]), np.uint8)
        else:
            styles, marks = walk_styles(layout, ex["record"], ex["sample"], ex["stage"], texts)
            x, y = self._data.X_train[int(ex["batch"][ex["sample"]])]
            texts["pick"] = f"{float(x):.6g} {float(y):.6g}"  # the sample followed, ringed on the map
        xy, index, test = self._points()
        frame = Frame(
            grids=grids, features=self._feature_grids(), map=big, links=styles, biases=signed_indices(biases),
            node_marks=marks, texts=texts, points=xy, point_index=index, point_test=test,
        )  # fmt: skip
        g_w, g_b = self._gradient()
        values = np.concatenate([np.column_stack([weights, g_w]).ravel(), np.column_stack([biases, g_b]).ravel()])
        return frame, values.astype(np.float32)

    def _gradient(self) -> tuple[np.ndarray, np.ndarray]:
        """(∂L/∂w per link, ∂L/∂b per bias) in the layout's order, as the tooltips show them: the next step's,
        penalty included; in the walk, its batch's (zeros without training points)."""
        net = self.network
        if self._explain is not None:
            rec = self._explain["record"]
            ws, bs = list(rec.grad_weights), list(rec.grad_biases)
        elif self.session is None:
            ws, bs = [np.zeros_like(w) for w in net.weights], [np.zeros_like(b) for b in net.biases]
        else:
            grad = self.session.latest()["gradient"]
            ws, bs, offset = [], [], 0
            for w, b in zip(net.weights, net.biases):
                ws.append(grad[offset : offset + w.size].reshape(w.shape))
                offset += w.size
                bs.append(grad[offset : offset + b.size])
                offset += b.size
        return np.concatenate([g.T.ravel() for g in ws]), np.concatenate(bs)

    def _show_explain(self) -> None:
        ex = self._explain
        if ex is None:
            self.chain.value = ""
            self.chain.layout.display = "none"
            self.caption.value = (
                "Each small square is one neuron's output over the whole plane; the big map is the output. "
                "Hover a link for its weight and ∂L/∂w, click it to type a new value; click a feature to use it "
                "or not; <b>explain this step</b> walks one step's backward pass here."
            )
            self.diagram.announce = ""
            return
        rec, stage = ex["record"], ex["stage"]
        update = ""
        if stage >= self.network.n_layers:
            key = ex["selected"] or strongest_link(rec, self.network.n_layers)
            update = update_html(rec, self.network, self.session, key)
        whole = rec.n_samples == len(self._data.y_train)
        words = walk_panel(rec, ex["sample"], int(ex["batch"][ex["sample"]]), stage, ex["selected"], whole, update)
        self.chain.layout.display = None
        self.caption.value = words["caption"]
        self.chain.value = words["panel"]
        self.diagram.announce = words["announce"]
        self.controls["explain"].description = words["button"]

    def _show_controls(self) -> None:
        c, s, ds = self.controls, self._setup, self._data
        presets = [(p.title, p.name) for p in PLAYGROUND_PRESETS.values()]
        if not self._preset:
            presets = [("— preset —", "")] + presets
        set_if_changed(c["preset"], "options", presets)
        set_if_changed(c["preset"], "value", self._preset)
        sets = [(DATASET_LABELS[n], n) for n in PLANE_SETS[s.problem]] + [(DATASET_LABELS[OWN], OWN)]
        if self._csv is not None:
            sets.append((f"your CSV: {self._csv[0]}", CSV))
        set_if_changed(c["dataset"], "options", sets)
        set_if_changed(c["dataset"], "value", s.dataset)
        set_if_changed(c["problem"], "value", s.problem)
        set_if_changed(c["activation"], "value", s.activation)
        c["activation"].disabled = not s.hidden
        set_if_changed(c["regularization"], "value", s.regularization)
        set_if_changed(c["optimizer"], "value", s.optimizer)
        set_if_changed(c["show_test"], "value", s.show_test)
        set_if_changed(c["discretize"], "value", s.discretize)
        set_if_changed(c["lecture"], "value", self.lecture)
        set_if_changed(c["theme"], "value", self.theme)
        if self._task == "regression":
            c["draw_class"].layout.display = "none"
        else:
            K = ds.n_classes
            names = ds.class_names or tuple(str(k) for k in range(K))
            set_if_changed(c["draw_class"], "options", [(f"draw class {names[k]}", k) for k in range(K)])
            set_if_changed(c["draw_class"], "value", self._draw_class if self._draw_class < K else 1)
            c["draw_class"].layout.display = None
        c["play"].description = "❚❚ pause" if self._playing else "▶ play"
        c["play"].button_style = "" if self._playing else "success"
        diverged = self.session is not None and self.session.diverged
        nothing = self.session is None
        c["play"].disabled = (diverged or nothing) and not self._playing
        c["step"].disabled = diverged or nothing
        c["explain"].disabled = diverged or nothing
        if self._explain is None:
            c["explain"].description = "explain this step"
        c["explain_cancel"].layout.display = None if self._explain is not None else "none"
        generated = s.dataset not in (OWN, CSV)
        n_train = len(ds.y_train)
        batch = n_train if s.batch_size is None or s.batch_size >= n_train else s.batch_size
        data_rows = [
            row("n_samples", "points", s.n_samples, MIN_SAMPLES, MAX_SAMPLES, 10, integer=True, group="data",
                disabled=not generated, tooltip="points generated, train and test together"),
            row("test_fraction", "test share", s.test_fraction, 0.0, MAX_TEST_FRACTION, 0.05, group="data",
                disabled=s.dataset == OWN, tooltip="the share of the points the network never trains on"),
            row("noise", "noise", s.noise, 0.0, MAX_NOISE, 0.01, group="data", disabled=not generated),
            row("seed", "seed", s.seed, 0, 999, 1, integer=True, group="data",
                tooltip="the data, the starting weights and the mini-batch order"),
            row("batch_size", "batch size", max(batch, 1), 1, max(n_train, 1), 1, integer=True, group="data",
                tooltip="samples per step; all of them (the right end): the whole training set"),
        ]  # fmt: skip
        if self._task == "regression":
            data_rows.append(row("draw_value", "drawn value", self._draw_value, -1.0, 1.0, 0.05,
                                 group="data"))  # fmt: skip
        train_rows = [
            row("lr", "η (learning rate)", s.lr, math.log10(LR_RANGE[0]), math.log10(LR_RANGE[1]), 0.01, log=True,
                group="training"),
            row("reg_rate", "λ (reg. rate)", s.reg_rate, math.log10(REG_RATE_RANGE[0]),
                math.log10(REG_RATE_RANGE[1]), 0.01, log=True, group="training", disabled=s.regularization == "none"),
            row("steps_per_frame", "steps per frame", s.steps_per_frame, 1, MAX_STEPS_PER_FRAME, 1, integer=True,
                group="training", tooltip="optimiser steps between two drawn frames while playing"),
        ]  # fmt: skip
        self._data_rows.set_rows(data_rows)
        self._train_rows.set_rows(train_rows)
        keys = set()
        for sliders, rows in ((self._data_rows, data_rows), (self._train_rows, train_rows)):
            for r in rows:
                keys.add(r["key"])
                if r["key"] not in c:
                    c[r["key"]] = Row(sliders, r["key"])
        for key in [k for k, v in c.items() if isinstance(v, Row) and k not in keys]:
            del c[key]


def _empty_history(net: Network) -> History:
    P, L = net.n_parameters, net.n_layers
    return History(steps=np.zeros(1, np.int64), train_loss=np.full(1, np.nan), test_loss=None,
                   parameters=net.parameters[None], gradients=np.zeros((1, P)), grad_norms=np.full((1, L), np.nan),
                   parameter_names=net.parameter_names, optimizer="sgd", lr=1.0)  # fmt: skip


__all__ = ["Playground", "PLAYGROUND_PRESETS", "Setup", "check_setup", "network_for"]
