"""LossSurfaceExplorer: gradient descent walking over the loss surface, several optimisers side by side.

The picture is L(u, v) = L(θ₀ + u·d_u + v·d_v) around the start θ₀ (``explainer.engine.loss_surface.loss_surface``)
with each optimiser's path θ_t projected on the plane, (u_t, v_t) = ``surface.project(history.parameters)``
(``explainer.views.surface.animate_descent``). The ▶ Play widget and the frame slider step through the
animation's frames; a click on the map (or on the 3-D surface) starts every optimiser again from there.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from numbers import Integral, Real

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import Undefined

from .._validate import one_of, positive_float
from ..course.scenarios import get_scenario
from ..engine.loss_surface import LossSurface, loss_surface
from ..engine.network import Network, Record
from ..engine.training import OPTIMIZERS, History, train
from ..views.style import get_theme
from ..views.surface import KINDS, animate_descent_parts, decode_typed_array
from ._base import App, Coalescer, FigureSync, _signature

# Display names of the optimisers: the legend's and the figure's trace names. They never contain the
# learning rate, so that changing η keeps the traces (an update in place, not a new widget).
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}
VIEW_LABELS = {"both": "surface and map", "contour": "map", "surface": "3-D surface"}  # keys: the view's kinds
DIRECTION_MODES = ("parameters", "random", "filter", "pca")
MAX_FRAMES = 101  # with up to 100 steps every frame is one step; beyond that the frames are spread evenly
MAX_STEPS = 1000
MIN_RESOLUTION, MAX_RESOLUTION = 5, 201
MAX_SPAN = 20.0
LR_RANGE = (1e-3, 10**1.5)  # the η slider's range (the constructor accepts any η > 0 and widens it)
PLAY_MS = 100
LECTURE_WIDTH = 1400  # px of the side-by-side figure in lecture mode
# A run whose loss grows past this multiple of its starting loss is called diverged even while its numbers
# are still finite (float64 reaches 1e300 long before it overflows: the engine flags only NaN/∞).
BLOWUP_FACTOR = 1e3

# Work levels of one coalesced update: the larger includes the smaller.
_FIGURE, _TRAIN, _SURFACE = 1, 2, 3


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

    ``LossSurfaceExplorer()`` starts on the 2-2-2 worked example in the plane of W2[0,0] and W2[0,1].
    ``LossSurfaceExplorer(net, X, y, params=("W1[0,0]", "W2[0,0]"))`` takes any network and data;
    X (n_samples, n_features).

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
    lecture: large fonts and figure; theme: "light" or "dark".

    Attributes: ``network`` (the live Network, holding the start θ₀), ``record`` (its Record on the
    app's data), ``surface`` (the LossSurface shown), ``histories`` (name → History of the paths
    shown), ``controls`` (name → widget), ``figure`` (the FigureWidget), ``message``/``errors``.
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
        theme: str = "light",
    ):
        if not isinstance(lecture, bool):
            raise ValueError(f"lecture must be True or False; got {lecture!r}")
        super().__init__(lecture=lecture)
        get_theme(theme)  # ValueError naming theme
        self.theme = theme
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
        Xa = network._check_X(X)
        Ya = network._check_y(y, Xa.shape[0])

        self.scenario = scenario
        self.network: Network = network
        self._X, self._Y = Xa.copy(), Ya.copy()
        self._surface: LossSurface | None = None
        self._histories: dict[str, History] = {}
        self._anim: go.Figure | None = None  # the animate_descent figure, without its frames
        self._frames: list[dict] = []  # its frames, plain dicts (unvalidated: validating them cost ~0.2 s)
        self._frame_updates: dict[int, tuple[dict, list[int]]] = {}  # frame index → (restyle data, traces)
        self._figure: _SurfaceFigure | None = None
        self._figure_box = W.Box(layout=W.Layout(width="100%"))
        self._pending = 0
        self._pending_frame: int | None = None
        self._coalescer = Coalescer(self._render)
        self._frame_coalescer = Coalescer(self._apply_pending_frame)
        self._note = ""  # a plain note (a preset's description) shown while nothing is wrong
        self._good: dict | None = None  # the last settings and start that gave a picture
        self._seed = settings.seed
        self.status = W.HTML(layout=W.Layout(min_height="1.6em"))
        self._build_controls(network, settings)
        self._compute(_SURFACE)  # the first picture: an exception here reaches the caller
        if scenario is not None:
            sc = get_scenario(scenario)
            self._note = f"{sc.title}. {sc.description}"
            self._after_render_message()
        self._initial = self.state()
        self.root = self._wrap(self._layout())

    # ------------------------------------------------------------------ building
    def _build_controls(self, network: Network, s: Settings) -> None:
        c = self.controls
        wide = {"description_width": "initial"}
        c["preset"] = W.Dropdown(
            options=[("— preset —", "")] + [(get_scenario(n).title, n) for n in PRESETS],
            value="",
            description="preset",
        )
        c["reset"] = W.Button(description="reset", tooltip="Back to the preset's start", button_style="warning")
        c["lecture"] = W.ToggleButton(
            value=self.lecture, description="lecture mode", icon="expand", layout=W.Layout(width="auto")
        )
        c["view"] = W.ToggleButtons(
            options=[(label, k) for k, label in VIEW_LABELS.items()],
            value=self.kind,
            tooltips=[
                "the 3-D surface and the map side by side",
                "the map alone: larger, and quicker to animate",
                "the 3-D surface alone",
            ],
            style={"button_width": "auto"},
        )
        c["directions"] = W.ToggleButtons(
            options=[
                ("two parameters", "parameters"),
                ("random", "random"),
                ("filter-normalised", "filter"),
                ("PCA of the path", "pca"),
            ],
            value=s.directions,
            tooltips=[
                "u and v are offsets of the two parameters chosen on the right",
                "two random directions through all trainable parameters",
                "random directions scaled like each neuron's weights (Li et al. 2018)",
                "the two directions along which the first optimiser's path varies most",
            ],
            style={"button_width": "auto"},
        )
        c["param_u"] = W.Dropdown(description="u:", style={"description_width": "20px"}, layout=W.Layout(width="160px"))
        c["param_v"] = W.Dropdown(description="v:", style={"description_width": "20px"}, layout=W.Layout(width="160px"))
        self._set_parameter_options(network, s.params)
        c["only_plane"] = W.ToggleButton(
            value=s.only_plane,
            description="train only u and v",
            icon="lock",
            tooltip="hold every other parameter fixed: the paths then walk on the drawn surface itself",
            layout=W.Layout(width="auto"),
        )
        c["span"] = W.FloatSlider(
            value=s.span,
            min=0.1,
            max=MAX_SPAN,
            step=0.1,
            description="span ±",
            continuous_update=False,
            readout_format=".1f",
            style=wide,
        )
        c["resolution"] = W.IntSlider(
            value=s.resolution,
            min=MIN_RESOLUTION,
            max=MAX_RESOLUTION,
            step=2,
            description="grid points",
            continuous_update=False,
            style=wide,
        )
        for name in OPTIMIZERS:
            c[name] = W.ToggleButton(
                value=name in s.optimizers,
                description=OPTIMIZER_LABELS[name],
                tooltip=f"show {OPTIMIZER_LABELS[name]}'s path",
                layout=W.Layout(width="auto", min_width="110px"),
            )
        c["optimizers"] = W.HBox([c[name] for name in OPTIMIZERS])
        lo, hi = min(LR_RANGE[0], s.lr), max(LR_RANGE[1], s.lr)
        c["lr"] = W.FloatLogSlider(
            value=s.lr,
            base=10,
            min=np.log10(lo),
            max=np.log10(hi),
            step=0.01,
            description="η (learning rate)",
            continuous_update=False,
            readout_format=".3g",
            style=wide,
        )
        c["steps"] = W.IntSlider(
            value=s.steps, min=1, max=MAX_STEPS, description="steps", continuous_update=False, style=wide
        )
        c["play"] = W.Play(value=0, min=0, max=1, step=1, interval=PLAY_MS, description="play", show_repeat=False)
        c["step"] = W.IntSlider(
            value=0,
            min=0,
            max=1,
            description="frame",
            continuous_update=True,
            readout=False,
            layout=W.Layout(width="420px"),
        )
        self._link = W.jslink((c["play"], "value"), (c["step"], "value"))

        for name in ("param_u", "param_v", "directions", "span", "resolution"):
            c[name].observe(lambda change: self._on_control_change(change, _SURFACE), names="value")
        for name in ("lr", "steps", "only_plane", *OPTIMIZERS):
            c[name].observe(lambda change: self._on_control_change(change, _TRAIN), names="value")
        c["step"].observe(self._on_step_change, names="value")
        c["preset"].observe(self._on_preset_change, names="value")
        c["lecture"].observe(self._on_lecture_change, names="value")
        c["view"].observe(self._on_view_change, names="value")
        c["reset"].on_click(lambda _: self._guard(self.reset))
        self._sync_enabled()

    def _set_parameter_options(self, network: Network, params: tuple[str, str]) -> None:
        options = [(f"{n} 🔒" if n in network.frozen else n, n) for n in network.parameter_names]
        self._silent += 1
        try:
            for key, value in zip(("param_u", "param_v"), params):
                self.controls[key].options = options
                self.controls[key].value = value
        finally:
            self._silent -= 1

    def _layout(self) -> W.Widget:
        c = self.controls
        row = W.Layout(flex_flow="row wrap", align_items="center")
        hint = W.HTML(
            "<i>Click a point of the map (or of the surface) to start every optimiser from there; "
            "▶ plays the descent.</i>"
        )
        return W.VBox(
            [
                W.HBox([c["preset"], c["reset"], c["lecture"], c["view"]], layout=row),
                W.HBox([c["directions"]], layout=row),
                W.HBox([c["param_u"], c["param_v"], c["only_plane"], c["span"], c["resolution"]], layout=row),
                W.HBox([c["optimizers"], c["lr"], c["steps"]], layout=row),
                hint,
                self._figure_box,
                W.HBox([c["play"], c["step"], self.status], layout=row),
            ]
        )

    # ------------------------------------------------------------------ public API
    @property
    def surface(self) -> LossSurface:
        """The LossSurface shown (pending updates are applied first)."""
        self._flush()
        return self._surface

    @property
    def histories(self) -> dict[str, History]:
        """Optimiser name (sgd, momentum, adam) → the History of its path shown."""
        self._flush()
        return dict(self._histories)

    @property
    def record(self) -> Record:
        """The Record of the network at the start θ₀ on the app's data."""
        self._flush()
        return self.network.backprop(self._X, self._Y)

    @property
    def figure(self) -> go.FigureWidget:
        """The live figure (a plotly FigureWidget; its frames are applied by the Play widget and slider)."""
        self._flush()
        return self._figure.widget

    @property
    def settings(self) -> Settings:
        """The settings the picture shows (the controls' values once they have been applied)."""
        self._flush()
        return self._applied

    @property
    def n_frames(self) -> int:
        """Frames of the animation (steps + 1 up to 101; beyond, spread evenly over the steps)."""
        self._flush()
        return len(self._frames)

    def start_from(self, u: float, v: float) -> None:
        """Start every optimiser from the point (u, v) of the plane: θ₀ = centre + u·d_u + v·d_v.

        The surface stays; only the plane's coordinates of the start change, and every chosen optimiser
        trains again from there.
        """
        for name, value in (("u", u), ("v", v)):
            if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number; got {value!r}")
        self._flush()
        s = self._surface
        theta = s.center + float(u) * s.direction_u + float(v) * s.direction_v
        good = self.network.parameters
        self.network.set_parameters(theta)
        try:
            self._compute(_TRAIN)
        except Exception:
            self.network.set_parameters(good)
            raise

    def show_frame(self, k: int) -> None:
        """Show frame ``k`` of the animation (0 = the start; the last = every step)."""
        self._flush()
        last = len(self._frames) - 1
        if isinstance(k, bool) or not isinstance(k, Integral) or not 0 <= k <= last:
            raise ValueError(f"k must be a frame index from 0 to {last}; got {k!r}")
        self._set_silently(self.controls["step"], int(k))
        self._apply_frame(int(k))

    def load_preset(self, name: str) -> None:
        """Reset everything to a named scenario (worked_example, xor, vanishing_gradients, diverging_learning_rate)."""
        one_of(name, PRESETS, "preset")
        sc = get_scenario(name)
        settings = _preset_settings(name, sc.lr)
        self._load(sc.network, sc.X, sc.y, settings, scenario=name)
        self._initial = self.state()
        self._note = f"Preset: {sc.title}. {sc.description}"
        self._after_render_message()

    def reset(self) -> None:
        """Back to the start of the preset (or of the network the app was made with), settings included."""
        self.set_state({**self._initial, "lecture": self.lecture, "kind": self.kind})  # the room's view stays
        self._note = "Back to the start."
        self._after_render_message()

    def snapshot(self) -> go.Figure:
        """A plain plotly Figure of the surface and the current paths, with plotly's own ▶ and slider (no kernel)."""
        self._flush()
        fig = copy.deepcopy(self._anim)
        fig.frames = self._frames
        return fig

    def refresh(self) -> None:
        self._request(_FIGURE)
        self._flush()

    def state(self) -> dict:
        self._flush()
        s = self._applied
        return {
            "scenario": self.scenario,
            "network": self.network.to_dict(),
            "center": self._surface.center.tolist(),
            "X": self._X.tolist(),
            "y": self._Y.tolist(),
            "settings": {**asdict(s), "params": list(s.params), "optimizers": list(s.optimizers)},
            "frame": int(self.controls["step"].value),
            "kind": self.kind,
            "lecture": self.lecture,
        }

    def set_state(self, state: dict) -> None:
        try:
            net = Network.from_dict(state["network"])
            X, y = np.array(state["X"], dtype=float), np.array(state["y"], dtype=float)
            raw = dict(state["settings"])
            raw["params"] = tuple(raw["params"])
            raw["optimizers"] = tuple(raw["optimizers"])
            settings = Settings(**raw)
            center = np.array(state.get("center", net.parameters), dtype=float)
            frame = int(state.get("frame", -1))
            kind = one_of(state.get("kind", self.kind), KINDS, "kind")
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"state is missing or has a malformed entry: {err}") from None
        settings = _check_settings(settings, net)
        start = net.parameters
        net.set_parameters(center)
        old_kind, self.kind = self.kind, kind
        self._set_silently(self.controls["view"], kind)
        try:
            self._load(net, X, y, settings, scenario=state.get("scenario"), start=start)
        except Exception:
            self.kind = old_kind
            self._set_silently(self.controls["view"], old_kind)
            raise
        if 0 <= frame < len(self._frames):
            self.show_frame(frame)
        lecture = bool(state.get("lecture", False))
        if lecture != self.lecture:
            self._set_silently(self.controls["lecture"], lecture)
            self.set_lecture(lecture)
        self._note = ""
        self._after_render_message()

    def close(self) -> None:
        self._link.close()
        super().close()

    # ------------------------------------------------------------------ callbacks
    def _on_control_change(self, change, level: int) -> None:
        if self._silent:
            return
        self._note = ""
        self._sync_enabled()
        self._guard(lambda: self._request(level))

    def _on_step_change(self, change) -> None:
        if self._silent:
            return
        self._pending_frame = int(change["new"])
        self._guard(self._frame_coalescer.request)

    def _on_preset_change(self, change) -> None:
        if self._silent or not change["new"]:
            return
        self._guard(lambda: self.load_preset(change["new"]), restore=self._restore)
        self._set_silently(self.controls["preset"], "")

    def _on_view_change(self, change) -> None:
        if self._silent:
            return
        old = self.kind

        def restore():
            self.kind = old
            self._set_silently(self.controls["view"], old)

        def apply():
            self.kind = change["new"]
            self._compute(_FIGURE)

        self._guard(apply, restore=restore)

    def _on_lecture_change(self, change) -> None:
        if self._silent:
            return
        self.set_lecture(bool(change["new"]))

    def _on_figure_click(self, trace, points, state) -> None:
        if not points.xs:
            return
        u, v = points.xs[0], points.ys[0]
        if not all(isinstance(t, Real) for t in (u, v)):
            return

        def apply():
            self.start_from(float(u), float(v))
            self.replay()

        self._guard(apply)

    def replay(self) -> None:
        """Back to frame 0 and ▶: the descent plays from its start (what a click on the map does)."""
        self.show_frame(0)
        self._silent += 1
        try:
            self.controls["play"].value = 0
            self.controls["play"].playing = True
        finally:
            self._silent -= 1

    # ------------------------------------------------------------------ the work
    def _request(self, level: int) -> None:
        self._pending = max(self._pending, level)
        self._coalescer.request()

    def _flush(self) -> bool:
        """Run pending work now; False if it failed (the message says why)."""
        before = len(self.errors)
        self._coalescer.flush()
        self._frame_coalescer.flush()
        return len(self.errors) == before

    def _read_settings(self) -> Settings:
        c = self.controls
        chosen = tuple(name for name in OPTIMIZERS if c[name].value)
        if not chosen:
            raise ValueError("optimizers: choose at least one of SGD, momentum, Adam")
        return Settings(
            params=(c["param_u"].value, c["param_v"].value),
            directions=c["directions"].value,
            optimizers=chosen,
            lr=float(c["lr"].value),
            steps=int(c["steps"].value),
            span=float(c["span"].value),
            resolution=int(c["resolution"].value),
            only_plane=bool(c["only_plane"].value),
            seed=self._seed,
        )

    def _render(self) -> None:
        """The coalesced work of a burst of changes: surface (if needed), training, figure, all or nothing."""
        level, self._pending = self._pending, 0
        if level == 0:
            return
        self._guard(lambda: self._compute(level), restore=self._restore)

    def _compute(self, level: int) -> None:
        """Surface (level _SURFACE), training (_TRAIN) and figure from the controls; the app's state changes
        only once everything is computed, so an exception leaves the last picture as it was."""
        self._pending = 0
        s = self._read_settings()
        surface, histories = self._surface, self._histories
        if level >= _SURFACE or surface is None:
            # A new surface is centred on the current start, so the paths begin at (0, 0).
            surface, histories = self._compute_surface(s)
        elif level >= _TRAIN:
            histories = self._train_all(s, surface)
        anim, frames = animate_descent_parts(
            surface,
            {OPTIMIZER_LABELS[name]: h for name, h in histories.items()},
            kind=self.kind,
            max_frames=MAX_FRAMES,
            frame_ms=PLAY_MS,
            theme=self.theme,
            lecture=self.lecture,
            # Side by side at lecture scale the default is wider than a notebook; fonts stay large.
            width=LECTURE_WIDTH if self.lecture and self.kind == "both" else None,
            title=_title(surface, s),
        )
        fig = _live_figure(anim, surface)
        # Everything computed: only now does the app take the new state (a failure above keeps the old one).
        self._surface, self._histories, self._anim, self._frames = surface, histories, anim, frames
        self._frame_updates = {}
        self._applied = s
        if self._figure is None:
            self._figure = _SurfaceFigure(fig)
            self._figure.on_rebuild = self._mount_figure
            self._mount_figure(self._figure.widget)
        else:
            self._figure.update(fig)
        last = len(frames) - 1
        self._silent += 1
        try:
            c = self.controls
            c["play"].playing = False  # a new picture opens on its full paths
            c["step"].max = max(last, 1)
            c["play"].max = max(last, 1)
            c["step"].value = last
            c["play"].value = last
        finally:
            self._silent -= 1
        self._status(last)
        self._good = self._snapshot_controls()
        self._after_render_message()

    def _compute_surface(self, s: Settings) -> tuple[LossSurface, dict[str, History]]:
        net, X, Y = self.network, self._X, self._Y
        if s.directions == "parameters":
            surface = loss_surface(net, X, Y, params=s.params, span=s.span, resolution=s.resolution)
            return surface, self._train_all(s, surface)
        if s.directions == "pca":
            # The plane comes from a trajectory: train the first optimiser from θ₀, then take the top two
            # principal directions of its path around θ₀.
            first = self._train_one(s, s.optimizers[0])
            surface = loss_surface(net, X, Y, directions="pca", history=first, span=s.span, resolution=s.resolution)
            histories = self._train_all(s, surface, known={s.optimizers[0]: first})
            return surface, histories
        surface = loss_surface(net, X, Y, directions=s.directions, span=s.span, resolution=s.resolution, seed=s.seed)
        return surface, self._train_all(s, surface)

    def _train_one(self, s: Settings, name: str) -> History:
        net = self.network.copy()
        if s.only_plane and s.directions == "parameters":
            others = [p for p in net.parameter_names if p not in s.params]
            if others:
                net.freeze(*others)
        return train(net, self._X, self._Y, optimizer=name, lr=s.lr, steps=s.steps)

    def _train_all(self, s: Settings, surface: LossSurface, known: dict | None = None) -> dict[str, History]:
        known = known or {}
        return {name: known[name] if name in known else self._train_one(s, name) for name in s.optimizers}

    def _mount_figure(self, widget: go.FigureWidget) -> None:
        for trace in widget.data:
            if trace.type in ("surface", "heatmap") or (trace.type == "scatter" and trace.hoverinfo != "skip"):
                trace.on_click(self._on_figure_click)
        self._figure_box.children = (widget,)

    # ------------------------------------------------------------------ frames
    def _apply_pending_frame(self) -> None:
        k, self._pending_frame = self._pending_frame, None
        if k is not None:
            self._guard(lambda: self._apply_frame(k))

    def _apply_frame(self, k: int) -> None:
        """Frame k of the animation in ONE plotly_update: the frame's trace data as restyle data."""
        k = int(np.clip(k, 0, len(self._frames) - 1))
        if k not in self._frame_updates:
            self._frame_updates[k] = _frame_restyle(self._frames[k])
        restyle, traces = self._frame_updates[k]
        self._figure.widget.plotly_update(restyle_data=restyle, trace_indexes=traces)
        self._status(k)

    def _status(self, k: int) -> None:
        step = int(self._frames[k]["name"])
        parts = []
        for name, h in self._histories.items():
            t = min(step, len(h) - 1)
            loss = float(h.train_loss[t])
            text = f"{loss:.4g}" if np.isfinite(loss) else "NaN/∞"
            parts.append(f"<b>{OPTIMIZER_LABELS[name]}</b> L = {text}")
        total = max(len(h) for h in self._histories.values()) - 1
        self.status.value = f"step {step} of {total} · " + " · ".join(parts)

    # ------------------------------------------------------------------ state and messages
    def _load(self, net: Network, X, y, settings: Settings, scenario: str | None, start=None) -> None:
        """A new network, data and settings: controls set, surface computed around ``net`` (then the paths
        from ``start`` if given); all or nothing."""
        self._flush()
        settings = _check_settings(settings, net)
        Xa = net._check_X(X)
        Ya = net._check_y(y, Xa.shape[0])
        old = (self.network, self._X, self._Y, self.scenario, self._seed, self._good)
        self.network, self._X, self._Y, self.scenario = net, Xa.copy(), Ya.copy(), scenario
        try:
            self._set_controls(settings, net)
            self._compute(_SURFACE)
            if start is not None and not np.array_equal(start, net.parameters):
                net.set_parameters(start)
                self._compute(_TRAIN)
        except Exception:
            self.network, self._X, self._Y, self.scenario, self._seed, self._good = old
            self._restore()
            raise

    def _set_controls(self, s: Settings, net: Network) -> None:
        c = self.controls
        self._set_parameter_options(net, s.params)
        self._silent += 1
        try:
            c["directions"].value = s.directions
            for name in OPTIMIZERS:
                c[name].value = name in s.optimizers
            lo, hi = min(LR_RANGE[0], s.lr), max(LR_RANGE[1], s.lr)
            c["lr"].min, c["lr"].max = np.log10(lo), np.log10(hi)
            c["lr"].value = s.lr
            c["steps"].value = s.steps
            c["span"].value = s.span
            c["resolution"].value = s.resolution
            c["only_plane"].value = s.only_plane
        finally:
            self._silent -= 1
        self._seed = s.seed
        self._sync_enabled()

    def _snapshot_controls(self) -> dict | None:
        if not hasattr(self, "_applied"):
            return None
        return {
            "settings": self._applied,
            "network": self.network.parameters,
            "names": tuple(self.network.parameter_names),
        }

    def _restore(self) -> None:
        """Controls and the start back to the last picture that worked."""
        self._pending = 0
        snap = self._good
        if snap is None:
            return
        self._set_controls(snap["settings"], self.network)
        if tuple(self.network.parameter_names) == snap["names"]:
            self.network.set_parameters(snap["network"])

    def _sync_enabled(self) -> None:
        c = self.controls
        planar = c["directions"].value == "parameters"
        for name in ("param_u", "param_v", "only_plane"):
            c[name].disabled = not planar

    def _after_render_message(self) -> None:
        """Say plainly when a run diverged or the loss rose; else the preset's note (or nothing)."""
        s, problems, notes = self._applied, [], []
        for name, h in self._histories.items():
            label = OPTIMIZER_LABELS[name]
            k = _blowup_step(h)
            if k is not None:
                loss = float(h.train_loss[k])
                size = "overflowed (NaN or ∞)" if not np.isfinite(loss) else f"grew to {loss:.3g}"
                problems.append(
                    f"{label} diverged at step {k}: its loss {size} from {float(h.train_loss[0]):.3g} — "
                    f"the learning rate η = {s.lr:.3g} is too large."
                )
            elif len(h) > 1 and h.train_loss[-1] > h.train_loss[0]:
                notes.append(
                    f"{label}'s loss rose from {h.train_loss[0]:.4g} to {h.train_loss[-1]:.4g}: "
                    f"η = {s.lr:.3g} may be too large."
                )
        if problems:
            self.show_message(" ".join(problems) + " Lower η, or press reset.", error=True)
        elif notes:
            self.show_message(" ".join(notes))
        else:
            self.show_message(self._note)

    def _all_widgets(self):
        extra = [self._figure_box, self.status]
        if self._figure is not None:
            extra.append(self._figure.widget)
        return super()._all_widgets() + extra


# ---------------------------------------------------------------------------------------------- helpers
class _SurfaceFigure(FigureSync):
    """FigureSync for figures mixing 2-D and 3-D traces, keeping the user's 3-D camera.

    ``update`` sends one plotly_update like FigureSync's, but a property a trace type does not have is
    left alone (Undefined) rather than reset (None: plotly.py rejects 'z' on a Scatter), and the scene's
    camera stays where the user turned it.
    """

    def update(self, spec: dict) -> None:
        traces = spec["data"]
        if _signature(spec) != self._signature:
            super().update(spec)  # a new widget (the old one closed)
            return
        old = self.widget._data
        keys = sorted({k for tr in traces for k in tr} - {"type", "uid"})
        restyle = {}
        for k in keys:
            values = []
            for tr, before in zip(traces, old):
                if k in tr:
                    # Unchanged values are not sent again (the surface's z when only η changed).
                    values.append(Undefined if k in before and _same(tr[k], before[k]) else tr[k])
                elif k in before:
                    values.append(None)  # the new figure no longer sets it: back to the default
                else:
                    values.append(Undefined)
            if any(v is not Undefined for v in values):
                restyle[k] = values
        layout = {k: v for k, v in spec["layout"].items() if k not in ("template", "updatemenus", "sliders")}
        if "scene" in layout:
            camera = self.widget.layout.scene.camera.to_plotly_json()
            if camera:
                layout["scene"] = {**layout["scene"], "camera": camera}
        for key in ("annotations", "shapes", "images"):
            layout.setdefault(key, [])
        current = self.widget._layout
        relayout = {k: v for k, v in layout.items() if not (k in current and _same(v, current[k]))}
        self.widget.plotly_update(restyle_data=restyle, relayout_data=relayout, trace_indexes=list(range(len(traces))))
        self.updates += 1


def _same(a, b) -> bool:
    """Equal values, comparing arrays by their numbers (a typed-array dict is read as its array)."""
    if isinstance(a, dict) and "bdata" in a:
        a = decode_typed_array(a)
    if isinstance(b, dict) and "bdata" in b:
        b = decode_typed_array(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple, np.ndarray)) and isinstance(b, (list, tuple, np.ndarray)):
        if len(a) != len(b):
            return False
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            try:
                return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
            except TypeError:
                return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))
        return all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list, tuple, np.ndarray)) or isinstance(b, (dict, list, tuple, np.ndarray)):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


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
    data = [_plain(tr.to_plotly_json()) for tr in anim.data]
    xy = next((tr for tr in data if tr.get("type") == "scatter"), None)
    if xy is not None:
        zt = np.ascontiguousarray(np.asarray(surface.losses, dtype=float).T)  # rows follow v
        finite = np.isfinite(zt)
        data.append(
            {
                "type": "heatmap",
                "x": _plain(np.asarray(surface.u)),
                "y": _plain(np.asarray(surface.v)),
                "z": _plain(np.where(finite, zt, np.nan)),
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
    return {"data": data, "layout": _plain(layout)}


def _plain(value):
    """``value`` with every array (numpy, or plotly's base64 typed-array dict) as nested lists, NaN/∞ as None."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            arr = decode_typed_array(value)
            shape = value.get("shape")
            if shape:
                arr = arr.reshape([int(n) for n in str(shape).split(",")])
            return _plain(arr)
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            out = value.astype(object)
            out[~np.isfinite(value)] = None
            return out.tolist()
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _frame_restyle(frame: dict) -> tuple[dict, list[int]]:
    """A frame (a plain dict) as restyle data: key → one value per trace (Undefined where a trace sets nothing).

    Nested properties (``marker``) become dotted keys, so that, as when plotly.js plays a frame, only the
    properties the frame gives change (a whole ``marker`` would reset its size and line).
    """
    traces = list(frame["traces"])
    flats = [_flatten(tr) for tr in frame["data"]]
    keys = sorted({k for f in flats for k in f} - {"type", "uid"})
    restyle = {k: [f.get(k, Undefined) for f in flats] for k in keys}
    return restyle, traces


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = prefix + k
        if isinstance(v, dict) and "bdata" not in v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = _plain(v)
    return out


def _blowup_step(h: History) -> int | None:
    """The step where a run diverged: its loss not finite, or above BLOWUP_FACTOR × its starting loss."""
    loss = np.asarray(h.train_loss, dtype=float)
    start = abs(float(loss[0])) if np.isfinite(loss[0]) else 0.0
    bad = ~np.isfinite(loss) | (loss > BLOWUP_FACTOR * max(start, 1e-12))
    if h.diverged and h.diverged_at is not None:
        bad[int(h.diverged_at)] = True
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


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
