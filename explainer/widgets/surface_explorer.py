"""LossSurfaceExplorer: gradient descent walking over the loss surface, several optimisers side by side.

The picture is L(u, v) = L(θ₀ + u·d_u + v·d_v) around the start θ₀ (``explainer.engine.loss_surface.loss_surface``)
with each optimiser's path θ_t projected on the plane, (u_t, v_t) = ``surface.project(history.parameters)``
(``explainer.views.surface.animate_descent``). The ▶ Play widget and the frame slider step through the
animation's frames; a click on the map (or on the 3-D surface) starts every optimiser again from there.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from numbers import Integral, Real

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from .._validate import one_of, positive_float
from ..course.scenarios import get_scenario
from ..engine.history import diverged_at, divergence_message
from ..engine.loss_surface import LossSurface, loss_surface
from ..engine.network import Network, Record
from ..engine.training import OPTIMIZERS, History, train
from ..views.style import fmt
from ..views.surface import KINDS, animate_descent_parts
from ..views.surface_picture import surface_picture
from .app import App, set_if_changed
from .live_figure import LiveFigure, plain
from .sliders import Row, Sliders, number, row

# Display names of the optimisers: the legend's and the figure's trace names. They never contain the
# learning rate, so that changing η keeps the traces (an update in place, not a new widget).
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}
VIEW_LABELS = {"both": "surface and map", "contour": "map", "surface": "3-D surface"}  # keys: the view's kinds
DIRECTION_MODES = ("parameters", "random", "filter", "pca")
MAX_FRAMES = 101  # with up to 100 steps every frame is one step; beyond that the frames are spread evenly
MAX_STEPS = 1000
MIN_RESOLUTION, MAX_RESOLUTION = 5, 201
MAX_SPAN = 20.0
LR_EXPONENTS = (-3.0, 1.5)  # the η slider's range, log10 (a value beyond it is shown as beyond, never clamped)
PLAY_MS = 40  # 25 frames a second, played in the page
FIGURE_HEIGHT = 660  # px with plotly's player block (~100 px), which the live figure cuts off


@dataclass(frozen=True)
class Settings:
    """Everything the picture depends on besides the network and the data (JSON-ready)."""

    params: tuple[str, str]  # the two parameters of the plane in "parameters" mode
    directions: str = "parameters"  # "parameters", "random", "filter" or "pca"
    optimizers: tuple[str, ...] = ("sgd",)
    lr: float = 0.5
    steps: int = 100
    span: float = 3.0
    resolution: int = 81
    only_plane: bool = False  # train only the two parameters of the plane (the path then lies on the surface)
    seed: int = 0  # of the random and filter-normalised directions


# Presets: one click's worth of known state per classic scenario (the scenario gives network, data, η).
PRESETS: dict[str, dict] = {
    # Mazur's 2-2-2 network; w5 = W2[0,0] and w7 = W2[0,1], the weights from hidden neuron 1 to both outputs. Only
    # these two train, so every path walks exactly on the drawn surface.
    "worked_example": dict(
        params=("W2[0,0]", "W2[0,1]"),
        optimizers=("sgd", "momentum", "adam"),
        steps=100,
        span=10.0,
        only_plane=True,
    ),
    # XOR's 2-3-1 network: the plane of the two principal directions of SGD's path over all 13 parameters.
    "xor": dict(params=("W2[1,0]", "W2[2,0]"), directions="pca", optimizers=("sgd", "momentum"), steps=100, span=12.0),
    # A first-layer and a last-layer weight of a 7-layer sigmoid network: flat along the first.
    "vanishing_gradients": dict(params=("W1[0,0]", "W7[0,0]"), optimizers=("sgd",), steps=100, span=3.0),
    # η = 2.5 on a 1-4-1 tanh network: SGD overshoots, the loss explodes and at last overflows.
    "diverging_learning_rate": dict(params=("W2[0,0]", "W2[2,0]"), optimizers=("sgd", "adam"), steps=200, span=4.0),
}


class LossSurfaceExplorer(App):
    """The loss surface around a start point, and SGD, momentum and Adam descending over it, frame by frame.

    The surface is L(u, v) = L(θ₀ + u·d_u + v·d_v), u, v ∈ [−span, span], around the start θ₀ (the
    network's parameters). ``directions="parameters"``: d_u, d_v are the unit vectors of two named
    parameters (``params``), so u and v are plain offsets of those two numbers. ``"random"`` and
    ``"filter"``: two random directions through all trainable parameters (seeded). ``"pca"``: the first
    chosen optimiser is trained from θ₀ first, then the surface is computed around θ₀ along the two
    principal directions of that trajectory (Li et al. 2018), so its path lies as flat in the plane as
    any plane allows.

    Each chosen optimiser trains a copy of the network from θ₀ with the same η and number of steps
    (``explainer.engine.training.train``); the paths are drawn by ``explainer.views.surface.animate_descent``.
    With ``only_plane`` (parameters mode) every other parameter is held fixed, so the paths walk on the
    drawn surface itself; otherwise the others train too and a path shows the projection of the walk.
    The descent plays in the page (▶ under the figure, about 10 frames a second); a click on the map (or
    on the 3-D surface) starts every optimiser again from there.

    ``LossSurfaceExplorer()`` starts on the 2-2-2 worked example in the plane of W2[0,0] and W2[0,1].
    ``LossSurfaceExplorer(net, X, y, params=("W1[0,0]", "W2[0,0]"))`` takes any network and data;
    X (n_samples, n_features). The app works on its own copy of ``net``.

    Parameters
    ----------
    network, X, y: a Network and its data, X (n_samples, n_features), y as ``Network.backprop`` takes
        it; or none of them and ``scenario`` (default "worked_example"), which also sets the preset's
        settings below (any of them given here wins).
    params: the two parameter names of the plane, e.g. ("W2[0,0]", "W2[0,1]").
    directions: "parameters", "random", "filter" or "pca".
    optimizers: one or several of "sgd", "momentum", "adam".
    lr: the learning rate η > 0; steps: 1 to 1000 updates per optimiser.
    span: the surface covers u, v ∈ [−span, span] (0 < span ≤ 20); resolution: grid points per axis, 5 to 201.
    only_plane: train only the two parameters of the plane (parameters mode).
    seed: of the random and filter-normalised directions.
    kind: "both" (3-D surface and map side by side), "contour" (the map) or "surface".
    lecture: large fonts and figure; theme: "auto" (follow JupyterLab), "light" or "dark".

    Attributes: ``network`` (the app's Network, holding the start θ₀), ``record`` (its Record on the
    app's data), ``surface`` (the LossSurface shown), ``histories`` (name → History of the paths
    shown), ``settings``, ``controls`` (name → control), ``figure`` (what the live figure draws),
    ``figure_widget``, ``status`` (the line under the figure), ``message``/``errors``.
    Every ValueError names the argument at fault.
    """

    def __init__(
        self,
        network: Network | None = None,
        X=None,
        y=None,
        *,
        params: Sequence[str] | None = None,
        directions: str | None = None,
        optimizers: Iterable[str] | str | None = None,
        lr: float | None = None,
        steps: int | None = None,
        span: float | None = None,
        resolution: int | None = None,
        only_plane: bool | None = None,
        seed: int | None = None,
        scenario: str | None = None,
        kind: str = "both",
        lecture: bool = False,
        theme: str = "auto",
    ):
        super().__init__(lecture=lecture, theme=theme)
        self.kind = one_of(kind, KINDS, "kind")
        if network is None and scenario is None:
            scenario = "worked_example"
        if scenario is not None:
            if network is not None:
                raise ValueError("give either network (with X and y) or scenario, not both")
            one_of(scenario, PRESETS, "scenario")
            sc = get_scenario(scenario)
            network, X, y = sc.network, sc.X, sc.y
            base = _preset_settings(scenario, sc.lr)
        else:
            if not isinstance(network, Network):
                raise ValueError(f"network must be an explainer.Network; got {type(network).__name__}")
            if X is None or y is None:
                raise ValueError("X and y must be given with a network (or pass scenario=...)")
            base = Settings(params=_default_params(network), lr=0.1)
        given = dict(
            params=params,
            directions=directions,
            optimizers=optimizers,
            lr=lr,
            steps=steps,
            span=span,
            resolution=resolution,
            only_plane=only_plane,
            seed=seed,
        )
        settings = _check_settings(replace(base, **{k: v for k, v in given.items() if v is not None}), network)
        self._take(network, X, y, settings, scenario)
        self._computed: dict = {}  # what _compute built last, by its inputs (so a frame or a theme recomputes nothing)
        self._build()
        self._render_all()
        if self._good is None:
            raise ValueError(self._error)
        self._initial = self.state()

    # ------------------------------------------------------------------ the state
    def _take(self, network: Network, X, y, settings: Settings, scenario: str | None, center=None) -> None:
        net = network.copy()
        Xa = net.check_X(X)
        self._Y = net.check_y(y, Xa.shape[0]).copy()
        self._X = Xa.copy()
        self.network = net
        self.scenario = scenario
        self._settings = _check_settings(settings, net)
        # The surface is computed around ``center``; the paths start from the network's parameters.
        self._center = net.parameters if center is None else np.array(center, dtype=float)
        if self._center.shape != net.parameters.shape:
            raise ValueError(f"center must hold {net.n_parameters} parameters; got {self._center.shape}")

    def _snapshot(self):
        return dict(
            network=self.network,
            params=self.network.parameters,
            X=self._X,
            Y=self._Y,
            settings=self._settings,
            center=self._center,
            kind=self.kind,
            scenario=self.scenario,
        )

    def _restore(self, snap) -> None:
        self.network = snap["network"]
        self.network.set_parameters(snap["params"])
        self._X, self._Y = snap["X"], snap["Y"]
        self._settings, self._center, self.kind = snap["settings"], snap["center"], snap["kind"]
        self.scenario = snap["scenario"]

    # ------------------------------------------------------------------ building (once)
    def _build(self) -> None:
        c, own = self.controls, self._own
        c["preset"] = own(W.Dropdown(description="preset", style={"description_width": "initial"}))
        c["reset"] = own(W.Button(description="reset", tooltip="Back to the start", button_style="warning"))
        c["lecture"] = own(W.ToggleButton(description="lecture mode", icon="expand"))
        c["theme"] = own(
            W.Dropdown(
                options=[("theme: follow JupyterLab", "auto"), ("theme: light", "light"), ("theme: dark", "dark")]
            )
        )
        c["view"] = own(
            W.ToggleButtons(
                options=[(label, k) for k, label in VIEW_LABELS.items()],
                tooltips=[
                    "the 3-D surface and the map side by side",
                    "the map alone: larger, and quicker to animate",
                    "the 3-D surface alone",
                ],
                style={"button_width": "auto"},
            )
        )
        c["directions"] = own(
            W.ToggleButtons(
                options=[
                    ("two parameters", "parameters"),
                    ("random", "random"),
                    ("filter-normalised", "filter"),
                    ("PCA of the path", "pca"),
                ],
                tooltips=[
                    "u and v are offsets of the two parameters chosen beside",
                    "two random directions through all trainable parameters",
                    "random directions scaled like each neuron's weights (Li et al. 2018)",
                    "the two directions along which the first optimiser's path varies most",
                ],
                style={"button_width": "auto"},
            )
        )
        c["param_u"] = own(W.Dropdown(description="u", style={"description_width": "initial"}))
        c["param_v"] = own(W.Dropdown(description="v", style={"description_width": "initial"}))
        c["only_plane"] = own(
            W.ToggleButton(
                description="train only u and v",
                icon="lock",
                tooltip="hold every other parameter fixed: the paths then walk on the drawn surface itself",
            )
        )
        for name in OPTIMIZERS:
            c[name] = own(
                W.ToggleButton(description=OPTIMIZER_LABELS[name], tooltip=f"show {OPTIMIZER_LABELS[name]}'s path")
            )
        for widget in c.values():
            if isinstance(widget, (W.Button, W.ToggleButton)):
                widget.layout.width = "auto"
        self._numbers = own(Sliders(columns="repeat(auto-fill, minmax(21em, 1fr))"))
        self._numbers.layout.width = "100%"
        self._numbers.on_input(lambda key, value: self._gesture(lambda: self._on_number(key, number(key, value))))
        self.figure_widget = own(LiveFigure(self._figure_spec()[0], frame_ms=PLAY_MS))
        self.figure_widget.layout.width = "100%"
        self.figure_widget.hint = "Click a point of the map (or of the surface) to start every optimiser from there."
        self.figure_widget.on_click(lambda trace, point, data: self._gesture(lambda: self._on_click(trace, data)))
        self.figure_widget.observe(self._on_frame_reported, names="frame")

        c["preset"].observe(lambda ch: self._on_menu(lambda: self._choose_preset(ch["new"])), "value")
        c["reset"].on_click(lambda _: self._gesture(self.reset))
        c["lecture"].observe(lambda ch: self._on_menu(lambda: self.set_lecture(ch["new"])), "value")
        c["theme"].observe(lambda ch: self._on_menu(lambda: self.set_theme(ch["new"])), "value")
        c["view"].observe(lambda ch: self._on_menu(lambda: self._set_kind(ch["new"])), "value")
        c["directions"].observe(lambda ch: self._on_menu(lambda: self._change(directions=ch["new"])), "value")
        c["param_u"].observe(lambda ch: self._on_menu(lambda: self._change_param(0, ch["new"])), "value")
        c["param_v"].observe(lambda ch: self._on_menu(lambda: self._change_param(1, ch["new"])), "value")
        c["only_plane"].observe(lambda ch: self._on_menu(lambda: self._change(only_plane=bool(ch["new"]))), "value")
        for name in OPTIMIZERS:
            c[name].observe(lambda ch: self._on_menu(self._change_optimizers), "value")

        bars = [
            own(W.HBox([c["preset"], c["reset"], c["view"], c["theme"], c["lecture"]])),
            own(W.HBox([c["directions"], c["param_u"], c["param_v"], c["only_plane"]])),
            own(W.HBox([c[name] for name in OPTIMIZERS])),
        ]
        for box in bars:
            box.add_class("bpx-bar")
        body = own(W.VBox([*bars, self._numbers, self.figure_widget], layout=W.Layout(width="100%")))
        self.root = self._wrap(body)

    # ------------------------------------------------------------------ public API
    @property
    def surface(self) -> LossSurface:
        """The LossSurface shown (pending updates are applied first)."""
        self.flush()
        return self._computed["surface"]

    @property
    def histories(self) -> dict[str, History]:
        """Optimiser name (sgd, momentum, adam) → the History of its path shown."""
        self.flush()
        return dict(self._computed["histories"])

    @property
    def record(self) -> Record:
        """The Record of the network at the start θ₀ on the app's data."""
        self.flush()
        return self.network.backprop(self._X, self._Y)

    @property
    def figure(self) -> go.Figure:
        """What the live figure draws now (a plotly Figure; its frames play in the page)."""
        self.flush()
        return self.figure_widget.figure

    @property
    def settings(self) -> Settings:
        """The settings the picture shows."""
        self.flush()
        return self._settings

    @property
    def n_frames(self) -> int:
        """Frames of the animation (steps + 1 up to 101; beyond, spread evenly over the steps)."""
        self.flush()
        return len(self._computed["frames"])

    @property
    def frame(self) -> int:
        """The frame shown (0 = the start; the last = every step)."""
        return int(self.figure_widget.frame)

    @property
    def status(self) -> str:
        """The line under the figure for the frame shown: the step and each optimiser's loss there."""
        self.flush()
        status = self._computed["status"]
        return status[min(self.frame, len(status) - 1)]

    def start_from(self, u: float, v: float) -> None:
        """Start every optimiser from the point (u, v) of the plane: θ₀ = centre + u·d_u + v·d_v.

        The surface stays; only the plane's coordinates of the start change, and every chosen optimiser
        trains again from there.
        """
        self._check_open()
        for name, value in (("u", u), ("v", v)):
            if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number; got {value!r}")
        self.flush()
        s = self._computed["surface"]
        self.network.set_parameters(s.center + float(u) * s.direction_u + float(v) * s.direction_v)
        self._request()

    def show_frame(self, k: int) -> None:
        """Show frame ``k`` of the animation (0 = the start; the last = every step)."""
        self._check_open()
        self.flush()
        last = len(self._computed["frames"]) - 1
        if isinstance(k, bool) or not isinstance(k, Integral) or not 0 <= k <= last:
            raise ValueError(f"k must be a frame index from 0 to {last}; got {k!r}")
        self.figure_widget.playing = False
        self.figure_widget.frame = int(k)

    def replay(self) -> None:
        """Back to frame 0 and ▶: the descent plays from its start (what a click on the map does)."""
        self.show_frame(0)
        self.figure_widget.playing = True

    def load_preset(self, name: str) -> None:
        """Reset everything to a named scenario (worked_example, xor, vanishing_gradients, diverging_learning_rate)."""
        self._check_open()
        one_of(name, PRESETS, "preset")
        sc = get_scenario(name)
        self._take(sc.network, sc.X, sc.y, _preset_settings(name, sc.lr), name)
        self._note = f"Preset: {sc.title}. {sc.description}"
        self._request()
        self.flush()
        self._initial = self.state()

    def reset(self) -> None:
        """Back to the start of the preset (or of the network the app was made with), settings included."""
        self._check_open()
        self.set_state({**self._initial, "lecture": self.lecture, "kind": self.kind})  # the room's view stays
        self._note = "Back to the start."

    def picture(self) -> str:
        """The map seen from above with every path, as a standalone SVG (what GitHub shows of this app's cell)."""
        self.flush()
        c = self._computed
        title = _title(c["surface"], self._settings)
        return surface_picture(c["surface"], _named(c["histories"]), title=title, theme=self.drawing_theme).svg()

    def snapshot(self) -> go.Figure:
        """A plain plotly Figure of the surface and the current paths, with plotly's own ▶ and slider (no kernel)."""
        self.flush()
        fig = copy.deepcopy(self._computed["anim"])
        fig.frames = self._computed["frames"]
        return fig

    def state(self) -> dict:
        self.flush()
        s = self._settings
        return {
            "scenario": self.scenario,
            "network": self.network.to_dict(),
            "center": self._center.tolist(),
            "X": self._X.tolist(),
            "y": self._Y.tolist(),
            "settings": {**asdict(s), "params": list(s.params), "optimizers": list(s.optimizers)},
            "frame": self.frame,
            "kind": self.kind,
            "lecture": self.lecture,
        }

    def set_state(self, state: dict) -> None:
        """Take a state from ``state()``: all of it, or nothing if any part is bad."""
        self._check_state(state)
        try:
            net = Network.from_dict(state["network"])
            X, y = np.array(state["X"], dtype=float), np.array(state["y"], dtype=float)
            raw = dict(state["settings"])
            raw["params"] = tuple(raw["params"])
            raw["optimizers"] = tuple(raw["optimizers"])
            settings = _check_settings(Settings(**raw), net)
            center = np.array(state.get("center", net.parameters), dtype=float)
            frame = int(state.get("frame", -1))
            kind = one_of(state.get("kind", self.kind), KINDS, "kind")
            lecture = bool(state.get("lecture", False))
        except (KeyError, TypeError) as err:
            raise ValueError(f"state is missing or has a malformed entry: {err}") from None
        scenario = state.get("scenario")
        self._take(net, X, y, settings, scenario if scenario in PRESETS else None, center=center)
        self.kind = kind
        if lecture != self.lecture:
            self.set_lecture(lecture)
        self._request()
        self.flush()
        if 0 <= frame < len(self._computed["frames"]):
            self.show_frame(frame)

    # ------------------------------------------------------------------ gestures
    def _on_number(self, key: str, value: float) -> None:
        if key in ("steps", "resolution"):
            if value != round(value):
                raise ValueError(f"{key} must be a whole number; got {value!r}")
            value = int(round(value))
            if key == "resolution" and value % 2 == 0:
                value += 1  # an odd grid has the start itself at its centre
        self._change(**{key: value})

    def _change(self, **changes) -> None:
        self._settings = _check_settings(replace(self._settings, **changes), self.network)

    def _change_param(self, which: int, name: str) -> None:
        params = list(self._settings.params)
        params[which] = name
        self._change(params=tuple(params))

    def _change_optimizers(self) -> None:
        chosen = tuple(name for name in OPTIMIZERS if self.controls[name].value)
        if not chosen:
            raise ValueError("optimizers: choose at least one of SGD, momentum, Adam")
        self._change(optimizers=chosen)

    def _set_kind(self, kind: str) -> None:
        self.kind = one_of(kind, KINDS, "kind")

    def _choose_preset(self, name: str) -> None:
        if name and name != self.scenario:
            self.load_preset(name)

    def _on_click(self, trace: int, data: dict) -> None:
        u, v = data.get("x"), data.get("y")
        if not all(isinstance(t, Real) and not isinstance(t, bool) for t in (u, v)):
            return
        self.start_from(float(u), float(v))
        self.flush()
        self.replay()

    def _on_frame_reported(self, _change) -> None:
        pass  # the page plays and reports the frame; ``status`` reads it

    # ------------------------------------------------------------------ drawing: everything from the state
    def _compute(self) -> dict:
        """Surface, paths, figure and frames for the state, each rebuilt only when its inputs changed."""
        s, net = self._settings, self.network
        surface_key = (id(net), s.params, s.directions, s.span, s.resolution, s.seed, self._center.tobytes(),
                       s.optimizers[0] if s.directions == "pca" else None,
                       (s.lr, s.steps, s.only_plane) if s.directions == "pca" else None)  # fmt: skip
        start = net.parameters.tobytes()
        train_key = (surface_key, start, s.optimizers, s.lr, s.steps, s.only_plane)
        c = self._computed
        if c.get("surface_key") == surface_key:
            surface = c["surface"]
        else:
            surface, first = self._compute_surface(s)
            c = {"surface_key": surface_key, "surface": surface, "first": first}
        if c.get("train_key") == train_key:
            histories = c["histories"]
        else:
            known = c.get("first") or {}
            histories = {name: known[name] if name in known else self._train_one(s, name) for name in s.optimizers}
            c.update(train_key=train_key, histories=histories)
        figure_key = (train_key, self.kind, self.drawing_theme, self.lecture)
        if c.get("figure_key") != figure_key:
            anim, frames = animate_descent_parts(
                surface,
                _named(histories),
                kind=self.kind,
                max_frames=MAX_FRAMES,
                frame_ms=PLAY_MS,
                theme=self.drawing_theme,
                lecture=self.lecture,
                # 560 px once plotly's own player is cut off (the page plays the frames): the controls and the
                # figure fit a 1440×900 screen. In lecture mode the view's own, larger size.
                height=None if self.lecture else FIGURE_HEIGHT,
                title=_title(surface, s),
            )
            spec = _live_figure(anim, surface)
            c.update(
                figure_key=figure_key, anim=anim, frames=frames, spec=spec, status=self._status_lines(frames, histories)
            )
        return c

    def _figure_spec(self) -> tuple[dict, list, list]:
        c = self._compute()
        self._computed = c
        return c["spec"], c["frames"], c["status"]

    def _render(self) -> None:
        before = self._computed.get("figure_key")
        c = self._compute()
        self._computed = c
        if c["figure_key"] != before or not self.figure_widget.frames:
            self.figure_widget.update(c["spec"])
            self.figure_widget.set_frames(c["frames"], c["status"])
        self._drawing = True
        try:
            self._show_controls()
        finally:
            self._drawing = False
        self._warning = self._divergence(c["histories"])

    def _status_lines(self, frames: list[dict], histories: dict[str, History]) -> list[str]:
        total = max(len(h) for h in histories.values()) - 1
        lines = []
        for frame in frames:
            step = int(frame["name"])
            parts = []
            for name, h in histories.items():
                loss = float(h.train_loss[min(step, len(h) - 1)])
                text = fmt(loss, 4).lstrip("+") if np.isfinite(loss) else "NaN/∞"  # 7.803×10⁻⁶, not 7.803e-06
                parts.append(f"<b>{OPTIMIZER_LABELS[name]}</b> L = {text}")
            lines.append(f"step {step} of {total} · " + " · ".join(parts))
        return lines

    def _show_controls(self) -> None:
        c, s, net = self.controls, self._settings, self.network
        presets = list(_titles(tuple(PRESETS)))
        if self.scenario not in PRESETS:
            presets = [("(your own network)", ""), *presets]
        set_if_changed(c["preset"], "options", presets)
        set_if_changed(c["preset"], "value", self.scenario if self.scenario in PRESETS else "")
        set_if_changed(c["view"], "value", self.kind)
        set_if_changed(c["lecture"], "value", self.lecture)
        set_if_changed(c["theme"], "value", self.theme)
        set_if_changed(c["directions"], "value", s.directions)
        options = [(f"{n} 🔒" if n in net.frozen else n, n) for n in net.parameter_names]
        for key, value in zip(("param_u", "param_v"), s.params):
            set_if_changed(c[key], "options", options)
            set_if_changed(c[key], "value", value)
        set_if_changed(c["only_plane"], "value", s.only_plane)
        planar = s.directions == "parameters"
        for name in ("param_u", "param_v", "only_plane"):
            c[name].disabled = not planar
        for name in OPTIMIZERS:
            set_if_changed(c[name], "value", name in s.optimizers)
        self._numbers.set_rows(
            [
                row("lr", "η (learning rate)", s.lr, *LR_EXPONENTS, 0.01, log=True, group="training"),
                row("steps", "steps", s.steps, 1, MAX_STEPS, 1, integer=True, group="training"),
                row("span", "span ±", s.span, 0.1, MAX_SPAN, 0.1, group="the plane"),
                row(
                    "resolution",
                    "grid points",
                    s.resolution,
                    MIN_RESOLUTION,
                    MAX_RESOLUTION,
                    2,
                    integer=True,
                    group="the plane",
                ),  # fmt: skip
            ]
        )
        for key in ("lr", "steps", "span", "resolution"):
            c.setdefault(key, Row(self._numbers, key))

    def _divergence(self, histories: dict[str, History]) -> str:
        """Say plainly when a run diverged (the engine's rule, one step number) or when the loss rose."""
        s, problems, notes = self._settings, [], []
        for name, h in histories.items():
            label = OPTIMIZER_LABELS[name]
            k = diverged_at(h.train_loss)
            if k is not None:
                problems.append(f"{label}: " + divergence_message(int(h.steps[k]), s.lr, undo=False))
            elif len(h) > 1 and h.train_loss[-1] > h.train_loss[0]:
                notes.append(
                    f"{label}'s loss rose from {h.train_loss[0]:.4g} to {h.train_loss[-1]:.4g}: "
                    f"η = {s.lr:.3g} may be too large."
                )
        return " ".join(problems or notes)

    def _compute_surface(self, s: Settings) -> tuple[LossSurface, dict[str, History]]:
        net, X, Y = self.network, self._X, self._Y
        start = net.parameters
        net.set_parameters(self._center)  # the surface is centred on the start θ₀ the app was given
        try:
            if s.directions == "parameters":
                return loss_surface(net, X, Y, params=s.params, span=s.span, resolution=s.resolution), {}
            if s.directions == "pca":
                # The plane comes from a trajectory: train the first optimiser from θ₀, then take the top two
                # principal directions of its path around θ₀.
                first = self._train_one(s, s.optimizers[0])
                surface = loss_surface(net, X, Y, directions="pca", history=first, span=s.span, resolution=s.resolution)
                return surface, {s.optimizers[0]: first}
            surface = loss_surface(
                net, X, Y, directions=s.directions, span=s.span, resolution=s.resolution, seed=s.seed
            )
            return surface, {}
        finally:
            net.set_parameters(start)

    def _train_one(self, s: Settings, name: str) -> History:
        net = self.network.copy()
        if s.only_plane and s.directions == "parameters":
            others = [p for p in net.parameter_names if p not in s.params]
            if others:
                net.freeze(*others)
        return train(net, self._X, self._Y, optimizer=name, lr=s.lr, steps=s.steps)


# ---------------------------------------------------------------------------------------------- helpers
@functools.cache
def _titles(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(title, name) of each scenario, for the preset menu (built once: a scenario builds its network)."""
    return tuple((get_scenario(n).title, n) for n in names)


def _live_figure(anim: go.Figure, surface: LossSurface) -> dict:
    """The animation's figure without frames and player (a FigureWidget refuses frames), plus a click target.

    Plain JSON values only (lists, numbers, None for non-finite): a FigureWidget holding numpy arrays or
    base64 typed-array dicts fails when plotly.js reports the traces' defaults back after an update
    (AssertionError or "truth value of an array is ambiguous" in plotly's ``_remove_overlapping_props``),
    and then misses later events.

    The player block at the bottom (plotly's ▶ and slider, replaced by ipywidgets) is cut off and the
    legend moved down by as much. The map of the contour view is a layout image, which takes no clicks, so
    an invisible heat map of the same losses lies over it: a click on it gives (u, v), and its hover the loss.
    """
    layout = anim.layout.to_plotly_json()
    sliders = layout.pop("sliders", None)
    layout.pop("updatemenus", None)
    H = float(layout.get("height") or 0)
    margin = dict(layout.get("margin", {}))
    if sliders and H and "b" in margin and "t" in margin:
        plot_h = H - margin["t"] - margin["b"]
        block = margin["b"] + sliders[0].get("y", 0.0) * plot_h  # px from the bottom to the slider's top
        if 0 < block < margin["b"]:
            legend = dict(layout.get("legend", {}))
            if legend.get("yref") == "container" and "y" in legend:
                legend["y"] = (legend["y"] * H - block) / (H - block)
                layout["legend"] = legend
            margin["b"] -= block
            layout["margin"] = margin
            layout["height"] = H - block
    data = [plain(tr.to_plotly_json()) for tr in anim.data]
    xy = next((tr for tr in data if tr.get("type") == "scatter"), None)
    if xy is not None:
        zt = np.ascontiguousarray(np.asarray(surface.losses, dtype=float).T)  # rows follow v
        finite = np.isfinite(zt)
        data.append(
            {
                "type": "heatmap",
                "x": plain(np.asarray(surface.u)),
                "y": plain(np.asarray(surface.v)),
                "z": plain(np.where(finite, zt, np.nan)),
                "opacity": 0,
                # One image pixel per cell, stretched: plotly.js redraws every trace at each frame, and a
                # heat map drawn at screen resolution cost it about 100 ms a frame.
                "zsmooth": "fast",
                "showscale": False,
                "name": "click to start here",
                "xaxis": xy.get("xaxis", "x"),
                "yaxis": xy.get("yaxis", "y"),
                "hovertemplate": (
                    f"{surface.labels[0]} offset = %{{x:.3f}}<br>{surface.labels[1]} offset = %{{y:.3f}}"
                    "<br>loss = %{z:.4g}<br><i>click: start here</i><extra></extra>"
                ),
            }
        )
    return {"data": data, "layout": plain(layout)}


def _named(histories: dict[str, History]) -> dict[str, History]:
    """The histories under the optimisers' display names (the legend's and the traces' names)."""
    return {OPTIMIZER_LABELS[name]: h for name, h in histories.items()}


def _title(surface: LossSurface, s: Settings) -> str:
    names = ", ".join(OPTIMIZER_LABELS[n] for n in s.optimizers)
    return f"{names} from the same start, η = {s.lr:.3g}, {s.steps} steps"


def _default_params(net: Network) -> tuple[str, str]:
    """The first two trainable weights of the last layer (or any two trainable parameters)."""
    names = [n for n in net.parameter_names if n not in net.frozen]
    last = [n for n in names if n.startswith(f"W{net.n_layers}[")]
    pick = (last + [n for n in names if n not in last])[:2]
    if len(pick) < 2:
        pick = net.parameter_names[:2]
    return pick[0], pick[1]


def _preset_settings(name: str, lr: float) -> Settings:
    return Settings(**{"lr": lr, **PRESETS[name]})


def _check_settings(s: Settings, net: Network) -> Settings:
    """Validated settings (ValueError naming the argument and the allowed values)."""
    params = s.params
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or len(params) != 2:
        raise ValueError(f"params must be two parameter names such as ('W1[0,0]', 'W2[0,0]'); got {params!r}")
    names = []
    for p in params:
        try:
            names.append(net.parameter_names[net.index_of(p)])
        except (ValueError, TypeError) as err:
            raise ValueError(f"params: {err}") from None
    if names[0] == names[1]:
        raise ValueError(f"params must name two different parameters; got {params!r}")
    one_of(s.directions, DIRECTION_MODES, "directions")
    opts = (s.optimizers,) if isinstance(s.optimizers, str) else s.optimizers
    try:
        opts = tuple(opts)
    except TypeError:
        raise ValueError(f"optimizers must be names among {', '.join(OPTIMIZERS)}; got {s.optimizers!r}") from None
    if not opts:
        raise ValueError(f"optimizers must name at least one of {', '.join(OPTIMIZERS)}")
    for o in opts:
        one_of(o, OPTIMIZERS, "optimizers")
    opts = tuple(o for o in OPTIMIZERS if o in opts)  # registry order, no repeats
    lr = positive_float(s.lr, "lr")
    if isinstance(s.steps, bool) or not isinstance(s.steps, Integral) or not 1 <= s.steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer from 1 to {MAX_STEPS}; got {s.steps!r}")
    span = positive_float(s.span, "span")
    if span > MAX_SPAN:
        raise ValueError(f"span must be a number in (0, {MAX_SPAN:g}]; got {s.span!r}")
    r = s.resolution
    if isinstance(r, bool) or not isinstance(r, Integral) or not MIN_RESOLUTION <= r <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be an integer from {MIN_RESOLUTION} to {MAX_RESOLUTION}; got {r!r}")
    if not isinstance(s.only_plane, bool):
        raise ValueError(f"only_plane must be True or False; got {s.only_plane!r}")
    if isinstance(s.seed, bool) or not isinstance(s.seed, Integral) or s.seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {s.seed!r}")
    return Settings(
        params=(names[0], names[1]),
        directions=s.directions,
        optimizers=opts,
        lr=lr,
        steps=int(s.steps),
        span=span,
        resolution=int(r),
        only_plane=s.only_plane,
        seed=int(s.seed),
    )


__all__ = ["LossSurfaceExplorer", "PRESETS", "Settings"]
