"""BackpropExplorer: drag a weight, an input, a target or the learning rate; every number follows.

The app's state (``ExplorerState`` plus the network, its data and its training session) is the one
source of truth; the sliders, menus, diagram, loss line, loss curve, chain-rule panel and derivation are
all drawn from it by ``_render``. A slider only *asks* for a value; what it can display (its step, its
range) never reaches the engine.
"""

from __future__ import annotations

import asyncio
import functools
import html

import ipywidgets as W
import numpy as np
import traitlets

from .._validate import one_of
from ..course.expressions import neuron_expression
from ..course.scenarios import SCENARIOS, get_scenario
from ..engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..engine.history import divergence_message
from ..engine.losses import LOSSES
from ..engine.network import Network, Record
from ..engine.session import TrainingSession
from ..views import explain_parameter, worked_derivation
from ..views.batchnorm_diagram import batchnorm_diagram
from ..views.diagram import plain_text
from ..views.graph import check_neuron
from ..views.network_diagram import network_diagram, neuron_diagram
from ..views.sparkline import loss_sparkline
from ..views.style import fmt, get_theme
from .app import App, check_bool, set_if_changed, set_traits, trait_values
from .diagram import Diagram
from .graph_explorer import GraphExplorer
from .sliders import Row, Sliders, number, row, widened

MAX_NEURONS = 8  # the diagram reads well up to 8 neurons a layer
MAX_LAYERS = 7
MAX_TRAIN_STEPS = 10_000  # per click of "train N": a few seconds at most, and a short "go to" menu
CHUNK = 1_000  # steps between two updates of the progress bar
GO_TO_ENTRIES = 12
GAMMA_RANGE = (-1.0, 3.0)  # batch norm's γ on its number row (it starts at 1)
DIAGRAMS = ("network", "neuron")
MODES = (("forward values", "values"), ("backward gradients", "gradients"))
PARAMETER_RANGE = 3.0  # a weight slider spans ±3, widened to hold any value the state has
DATA_RANGE = 3.0
LR_RANGE = (-3.0, 2.0)  # log10 of η
ACTIVATION_LABELS = {
    "sigmoid": "sigmoid σ",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "identity": "identity (no activation)",
    "softmax": "softmax",
}
LOSS_LABELS = {
    "mse": "squared error ½Σ(a − y)²",
    "bce": "binary cross-entropy",
    "cross_entropy": "cross-entropy (softmax)",
}
OWN = "own"  # the preset menu's entry for a network the learner passed or built


class ExplorerState(traitlets.HasTraits):
    """What the explorer shows besides the network and its data: validated on every change."""

    lr = traitlets.Float(0.5)
    sample = traitlets.Int(0)
    mode = traitlets.Unicode("gradients")
    stage = traitlets.Int(None, allow_none=True)  # None: the whole backward pass; 0..L+1: one step of it
    selected = traitlets.Unicode(None, allow_none=True)  # a parameter "W2[0,0]" or a neuron "node:1:0"
    diagram = traitlets.Unicode("network")
    neuron = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(1, 0))
    preset = traitlets.Unicode(OWN)
    graph = traitlets.Bool(False)  # the neuron shown as an expression graph (a GraphExplorer) under the diagram

    @traitlets.validate("lr")
    def _check_lr(self, proposal):
        value = proposal["value"]
        if not np.isfinite(value) or value <= 0 or value > 1e6:
            raise ValueError(f"lr must be a number > 0 and ≤ 10⁶ (the learning rate η); got {value!r}")
        return value

    @traitlets.validate("mode")
    def _check_mode(self, proposal):
        return one_of(proposal["value"], dict(MODES).values(), "mode")

    @traitlets.validate("diagram")
    def _check_diagram(self, proposal):
        return one_of(proposal["value"], DIAGRAMS, "diagram")


class BackpropExplorer(App):
    """Every weight, bias, input and target of a small network on a slider; live diagram, chain rule, loss.

    ``BackpropExplorer()`` starts on the classic 2-2-2 worked example; ``scenario=`` picks another preset
    (worked_example, single_neuron, xor, vanishing_gradients, diverging_learning_rate).
    ``BackpropExplorer(net, X, y)`` takes any network of up to 7 weight layers and 8 neurons a layer with
    its data, X (n_samples, n_features). The app works on its own copy of ``net``: the Network you pass
    is never changed (``app.network`` is the app's copy).

    ``diagram="neuron"`` draws one neuron (``neuron=(layer, index)``, layer 1..L) as a computational graph
    instead of the whole network. ``theme``: "auto" (follow JupyterLab), "light" or "dark".

    Public: ``network``, ``record``, ``lr``, ``controls`` (``"W1[0,0]"``, ``"b2[1]"``, ``"x[0]"``, ``"y[1]"``,
    ``"lr"``: number rows whose ``.value`` you may set as a learner would; menus and buttons by name),
    ``select(name)``, ``step_backward()``, ``train(steps)``, ``undo(to_step)``, ``reset()``,
    ``load_preset(name)``, ``chain`` (the chain-rule panel), ``figure``/``scene`` (what the diagram
    draws), ``snapshot()``, ``picture()``, ``state()``/``set_state()``, ``close()``.
    """

    def __init__(
        self,
        network: Network | None = None,
        X=None,
        y=None,
        *,
        lr: float | None = None,
        lecture: bool = False,
        theme: str = "auto",
        scenario: str | None = None,
        diagram: str = "network",
        neuron: tuple[int, int] = (1, 0),
    ):
        super().__init__(lecture=lecture, theme=theme)
        self.state_ = ExplorerState()
        one_of(diagram, DIAGRAMS, "diagram")
        if network is not None and scenario is not None:
            raise ValueError("give either network (with X and y) or scenario, not both")
        if network is None:
            sc = get_scenario(scenario or "worked_example")
            network, X, y, start_lr, preset = sc.network, sc.X, sc.y, sc.lr, sc.name
        else:
            if X is None or y is None:
                raise ValueError("X and y must be given with a network (or pass scenario=...)")
            start_lr, preset = 0.5, OWN
        self._take(network, X, y, start_lr if lr is None else lr, preset)
        self.state_.diagram = diagram
        self.state_.neuron = self._checked_neuron(neuron)
        self._record: Record | None = None
        self._busy = None  # a progress bar while "train N" runs
        self._build()
        self._render_all()
        if self._good is None:  # the first drawing failed: that is the caller's error, said at the door
            raise ValueError(self._error)

    # ------------------------------------------------------------------ the state
    def _take(self, network: Network, X, y, lr: float, preset: str) -> None:
        """A new network and data (checked and copied: the caller's objects are never changed)."""
        if not isinstance(network, Network):
            raise ValueError(f"network must be an explainer.Network; got {type(network).__name__}")
        if network.n_layers > MAX_LAYERS or max(network.sizes) > MAX_NEURONS:
            raise ValueError(
                f"network must have at most {MAX_LAYERS} weight layers and {MAX_NEURONS} neurons a layer to be "
                f"drawn readably; got sizes {list(network.sizes)}"
            )
        net = network.copy()
        session = TrainingSession(net, X, y, lr=lr)
        self.network, self.session = net, session
        self._X, self._Y = session.X.copy(), session.y.copy()
        self._start = (net.parameters, self._X.copy(), self._Y.copy(), float(lr))
        self.state_.lr = float(lr)
        self.state_.preset = preset
        self.state_.sample = 0
        self.state_.stage = None
        self.state_.selected = None

    def _checked_neuron(self, neuron) -> tuple[int, int]:
        if not (isinstance(neuron, tuple) and len(neuron) == 2):
            raise ValueError(f"neuron must be a pair (layer, index), layer 1..{self.network.n_layers}; got {neuron!r}")
        layer, index = neuron
        rec_like = type("R", (), {"n_layers": self.network.n_layers, "sizes": self.network.sizes})
        check_neuron(rec_like, layer, index)
        return int(layer), int(index)

    def _snapshot(self):
        return dict(
            traits=trait_values(self.state_),
            network=self.network,
            session=self.session,
            params=self.network.parameters,
            X=self._X,
            Y=self._Y,
            start=self._start,
            steps=self.session.steps_done,
        )

    def _restore(self, snap) -> None:
        self.network, self.session = snap["network"], snap["session"]
        if self.session.steps_done > snap["steps"] and snap["steps"] in self.session.checkpoints:
            self.session.undo(snap["steps"])
        self.network.set_parameters(snap["params"])
        self._X, self._Y, self._start = snap["X"], snap["Y"], snap["start"]
        self.session.set_data(self._X, self._Y)
        self.session.lr = snap["traits"]["lr"]
        set_traits(self.state_, snap["traits"])

    # ------------------------------------------------------------------ building (once)
    def _build(self) -> None:
        c = self.controls
        own = self._own

        button = self._button

        c["preset"] = own(W.Dropdown(description="preset", style={"description_width": "initial"}))
        c["mode"] = own(W.ToggleButtons(options=MODES, style={"button_width": "auto"}))
        c["diagram"] = own(
            W.ToggleButtons(
                options=[("whole network", "network"), ("one neuron", "neuron")], style={"button_width": "auto"}
            )
        )
        c["neuron"] = own(W.Dropdown(description="neuron", style={"description_width": "initial"}))
        c["as_graph"] = own(
            W.ToggleButton(
                description="as a graph",
                icon="sitemap",
                tooltip="This neuron as an expression graph under the diagram, its backward pass stepped node by node",
                layout=W.Layout(width="auto"),
            )
        )
        self._look_controls()
        c["back"] = button("◀ back", "Show one layer less of the backward pass")
        c["step"] = button("backward step ▶", "Light the δ of one more layer", "info")
        c["update"] = button("apply one update", "w ← w − η·∂L/∂w, once", "primary")
        c["train_steps"] = own(
            W.BoundedIntText(
                value=100,
                min=1,
                max=MAX_TRAIN_STEPS,
                description="N",
                style={"description_width": "initial"},
                layout=W.Layout(width="9em"),
            )
        )
        c["train"] = button("train N steps", f"N gradient-descent steps (N up to {MAX_TRAIN_STEPS:,})")
        c["undo_to"] = own(W.Dropdown(description="go to", style={"description_width": "initial"}))
        c["undo"] = button("undo", "Back to the step chosen in “go to”")
        c["reset"] = button("reset", "Back to the start: weights, inputs, targets and η", "warning")
        c["activation"] = own(W.Dropdown(description="hidden f", style={"description_width": "initial"}))
        c["output_activation"] = own(W.Dropdown(description="output f", style={"description_width": "initial"}))
        c["loss"] = own(
            W.Dropdown(
                options=[(LOSS_LABELS[k], k) for k in LOSSES],
                description="loss",
                style={"description_width": "initial"},
            )
        )
        c["sample"] = own(W.Dropdown(description="sample", style={"description_width": "initial"}))
        c["batch_norm"] = own(
            W.ToggleButton(
                description="batch norm",
                tooltip="x̂ = (z − μ)/√(σ² + ε), y = γ·x̂ + β between each hidden layer's z and its activation "
                "(μ, σ² the batch's: needs at least 2 samples)",
                layout=W.Layout(width="auto"),
            )
        )
        self._sliders = own(Sliders(columns="repeat(auto-fill, minmax(19em, 1fr))"))
        self._sliders.layout.width = "100%"
        self._sliders.on_input(lambda key, value: self._gesture(lambda: self._on_number(key, number(key, value))))
        self.loss_label = own(W.HTML())
        self.loss_label.add_class("bpx-panel")
        self.loss_label.add_class("bpx-status")
        self.curve = own(W.HTML())
        self.curve.add_class("bpx-curve")
        self.chain = own(W.HTML(layout=W.Layout(max_height="380px", overflow="auto")))
        self.chain.add_class("bpx-panel")
        self.chain.add_class("bpx-chain")
        self.caption = own(W.HTML())
        self.caption.add_class("bpx-caption")
        self._progress = own(W.IntProgress(min=0, max=1, layout=W.Layout(display="none", width="14em")))
        self.derivation = own(W.Output(layout=W.Layout(max_height="520px", overflow="auto", padding="0 8px")))
        self._derivation_panel = own(
            W.Accordion(children=[self.derivation], titles=("The worked derivation, with these numbers",))
        )
        self._derivation_panel.observe(lambda _: self._gesture(lambda: None), names="selected_index")
        self.diagram_widget = own(Diagram(self._scene(self.network.backprop(self._X, self._Y))))
        self.diagram_widget.layout.width = "100%"
        self.diagram_widget.on_select(lambda key: self._gesture(lambda: self.select(key)))

        for name in ("activation", "output_activation", "loss"):
            c[name].observe(
                lambda ch, name=name: self._on_menu(lambda: self._change_architecture(name, ch["new"])), "value"
            )
        c["preset"].observe(
            lambda ch: self._on_menu(lambda: self.load_preset(ch["new"]) if ch["new"] != OWN else None), "value"
        )
        c["mode"].observe(lambda ch: self._on_menu(lambda: self._set_mode(ch["new"])), "value")
        c["diagram"].observe(lambda ch: self._on_menu(lambda: self._set_diagram(ch["new"])), "value")
        c["neuron"].observe(lambda ch: self._on_menu(lambda: self._set_neuron(ch["new"])), "value")
        c["as_graph"].observe(lambda ch: self._on_menu(lambda: self.show_graph(ch["new"])), "value")
        c["sample"].observe(lambda ch: self._on_menu(lambda: self._set_sample(ch["new"])), "value")
        c["batch_norm"].observe(lambda ch: self._on_menu(lambda: self.set_batch_norm(ch["new"])), "value")
        c["back"].on_click(lambda _: self._gesture(lambda: self.step_backward(-1)))
        c["step"].on_click(lambda _: self._gesture(lambda: self.step_backward(+1)))
        c["update"].on_click(lambda _: self._gesture(lambda: self.train(1)))
        c["train"].on_click(lambda _: self._gesture(lambda: self.train(c["train_steps"].value)))
        c["undo"].on_click(lambda _: self._gesture(lambda: self.undo(c["undo_to"].value)))
        c["reset"].on_click(lambda _: self._gesture(self.reset))

        # At 1440×900 the diagram and the sliders that move it fit one screen on the left; the loss, its curve
        # and the chain rule of the selection stand beside them, and wrap below on a narrow screen.
        main = own(
            W.VBox(
                [self.caption, self.diagram_widget, self._sliders],
                layout=W.Layout(flex="1 1 34em", min_width="0"),
            )
        )
        side = own(
            W.VBox(
                [self.loss_label, self.curve, self.chain],
                layout=W.Layout(flex="0 1 24em", min_width="16em", max_width="100%"),
            )
        )
        bars = [
            own(W.HBox([c["preset"], c["mode"], c["diagram"], c["neuron"], c["as_graph"], c["theme"], c["lecture"]])),
            own(
                W.HBox(
                    [
                        c["back"],
                        c["step"],
                        c["update"],
                        c["train_steps"],
                        c["train"],
                        self._progress,
                        c["undo_to"],
                        c["undo"],
                        c["reset"],
                    ]
                )
            ),  # fmt: skip
            own(W.HBox([c["activation"], c["output_activation"], c["loss"], c["batch_norm"], c["sample"]])),
        ]
        for box in bars:
            box.add_class("bpx-bar")
        main.add_class("bpx-main")
        body = own(W.HBox([main, side], layout=W.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")))
        body.add_class("bpx-columns")
        self._graph_slot = own(W.Box(layout=W.Layout(width="100%")))
        rows = [bars[0], bars[1], body, self._graph_slot, bars[2], self._derivation_panel]
        self.root = self._wrap(own(W.VBox(rows, layout=W.Layout(width="100%"))))

    # ------------------------------------------------------------------ public API
    @property
    def record(self) -> Record:
        """The record of the current network and data (pending updates are applied first)."""
        self.flush()
        return self._record

    @property
    def lr(self) -> float:
        """The learning rate η the engine uses."""
        return float(self.session.lr)

    @property
    def stage(self) -> int | None:
        return self.state_.stage

    @property
    def selected(self) -> str | None:
        return self.state_.selected

    @property
    def diagram(self) -> str:
        return self.state_.diagram

    @property
    def neuron(self) -> tuple[int, int]:
        return self.state_.neuron

    @property
    def scene(self):
        """What the live diagram draws now (an ``explainer.views.diagram.Scene``)."""
        self.flush()
        return self.diagram_widget.scene

    figure = scene

    def step_backward(self, direction: int = 1) -> None:
        """Show one more (or one fewer) step of the backward pass: stages 0 (∂L/∂a) to L+1 (the update)."""
        self._check_open()
        if direction not in (-1, 1):
            raise ValueError(f"direction must be 1 (forward through the backward pass) or -1; got {direction!r}")
        last = self.network.n_layers + 1
        stage = self.state_.stage
        if stage is None:
            stage = 0 if direction > 0 else last
        else:
            stage = int(np.clip(stage + direction, 0, last))
        self.state_.mode = "gradients"
        self.state_.stage = stage
        self._request()

    def train(self, steps: int = 1) -> None:
        """Apply ``steps`` gradient-descent updates with the current η (1 to 10,000; frozen parameters stay)."""
        self._check_open()
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_TRAIN_STEPS:
            raise ValueError(f"steps must be an integer from 1 to {MAX_TRAIN_STEPS:,}; got {steps!r}")
        self.flush()
        steps = int(steps)
        show = steps > CHUNK
        if show:
            self._progress.max, self._progress.value = steps, 0
            self._progress.layout.display = None
        try:
            done = 0
            while done < steps and not self.session.diverged:
                n = min(CHUNK, steps - done)
                self.session.step(n)
                done += n
                if show:
                    self._progress.value = done
        finally:
            self._progress.layout.display = "none"
        self.state_.stage = None if self.state_.stage is None else self.state_.stage
        self._request()

    def undo(self, to_step: int | None = None) -> None:
        """Back to an earlier training step (default: one step back); one of ``session.checkpoints``."""
        self._check_open()
        self.flush()
        self.session.undo(to_step)
        self._request()

    def reset(self) -> None:
        """Back to the start: the starting weights, inputs, targets and η; the training history is cleared."""
        self._check_open()
        self.flush()
        params, X, Y, lr = self._start
        self.session.reset()
        self.network.set_parameters(params)
        self._X, self._Y = X.copy(), Y.copy()
        self.session.set_data(self._X, self._Y)
        self.session.lr = lr
        self.state_.lr = lr
        self.state_.stage = None
        self._note = "Back to the start."
        self._request()

    def select(self, name: str) -> None:
        """Select a parameter (``"W2[0,0]"``, ``"b1[0]"``) or a neuron (``"node:1:0"``): its chain rule is shown."""
        self._check_open()
        if isinstance(name, str) and name.startswith("node:"):
            try:
                _, layer, index = name.split(":")
                self._checked_neuron((int(layer), int(index))) if int(layer) > 0 else None
            except (ValueError, TypeError):
                raise ValueError(
                    f"name must be a parameter such as 'W2[0,0]' or a neuron such as 'node:1:0'; got {name!r}"
                ) from None
            self.state_.selected = name
        elif isinstance(name, str) and name.startswith("loss"):
            self.state_.selected = None  # the loss and its links have hover texts, no chain rule of their own
        else:
            if not isinstance(name, str):
                raise ValueError(f"name must be a parameter name such as 'W2[0,0]'; got {name!r}")
            self.network.index_of(name)  # ValueError naming it
            self.state_.selected = name
        self._request()

    def load_preset(self, name: str) -> None:
        """Reset everything to a named scenario (worked_example, single_neuron, xor, vanishing_gradients, …)."""
        self._check_open()
        sc = get_scenario(name)
        self._take(sc.network, sc.X, sc.y, sc.lr, sc.name)
        if self.state_.diagram == "neuron":
            layer, index = self.state_.neuron
            if not (1 <= layer <= self.network.n_layers and 0 <= index < self.network.sizes[layer]):
                self.state_.neuron = (1, 0)
        self._note = f"Preset: {sc.title}. {sc.description}"
        self._request()

    def snapshot(self):
        """A plain plotly Figure of the network as the diagram shows it (for exports without a kernel)."""
        import plotly.graph_objects as go

        from ..views.network import network_spec

        self.flush()
        st = self.state_
        stage = st.stage if st.mode == "gradients" else None
        spec = network_spec(self._record, st.mode, stage=stage, lr=self.lr, sample=st.sample,
                            theme=self.drawing_theme, lecture=self.lecture)  # fmt: skip
        return go.Figure(spec)

    def picture(self) -> str:
        """The diagram as a standalone SVG (what GitHub shows of this app's cell)."""
        self.flush()
        return self.diagram_widget.scene.svg()

    @property
    def derivation_text(self) -> str:
        """The worked derivation of the current record, as Markdown with LaTeX."""
        return worked_derivation(self.record, lr=self.lr, sample=self.state_.sample)

    def state(self) -> dict:
        self.flush()
        st = self.state_
        return {
            "network": self.network.to_dict(),
            "X": self._X.tolist(),
            "y": self._Y.tolist(),
            "lr": self.lr,
            "mode": st.mode,
            "sample": st.sample,
            "preset": st.preset,
            "lecture": self.lecture,
        }

    def set_state(self, state: dict) -> None:
        """Take a state from ``state()`` (or a file from ``save_state``): all of it, or nothing if any part is bad."""
        self._check_state(state)
        try:
            net = Network.from_dict(state["network"])
            X, y, lr = np.array(state["X"], dtype=float), np.array(state["y"], dtype=float), float(state["lr"])
            mode = state.get("mode", "gradients")
            sample = int(state.get("sample", 0))
            lecture = check_bool(state.get("lecture", False), "lecture")
        except (KeyError, TypeError) as err:
            raise ValueError(f"state is missing or has a malformed entry: {err}") from None
        if mode not in dict(MODES).values():
            raise ValueError(f"state's mode must be values or gradients; got {mode!r}")
        TrainingSession(net.copy(), X, y, lr=lr)  # every check the engine makes, before anything changes
        if not 0 <= sample < X.shape[0]:
            raise ValueError(f"state's sample must be from 0 to {X.shape[0] - 1}; got {sample}")
        preset = state.get("preset", OWN)
        self._take(net, X, y, lr, preset if preset in SCENARIOS else OWN)
        self.state_.mode = mode
        self.state_.sample = sample
        if lecture != self.lecture:
            self.set_lecture(lecture)
        self._request()

    # ------------------------------------------------------------------ gestures
    def _on_number(self, key: str, value: float) -> None:
        """A learner moved (or typed into) the number row ``key``."""
        s = self.state_.sample
        if key == "lr":
            self.session.lr = value
            self.state_.lr = value
        elif key.startswith("x["):
            i = int(key[2:-1])
            X = self._X.copy()
            X[s, i] = value
            self.session.set_data(X, self._Y)
            self._X = X
        elif key.startswith("y["):
            j = int(key[2:-1])
            Y = self._Y.copy()
            Y[s, j] = value
            self.session.set_data(self._X, Y)
            self._Y = Y
        else:
            self.network.set(key, value)

    @property
    def graph(self) -> GraphExplorer | None:
        """The GraphExplorer showing the chosen neuron under the diagram (``show_graph``), or None."""
        self.flush()
        return self._graph

    def show_graph(self, on: bool = True) -> None:
        """Show the chosen neuron (``neuron``) as an expression graph under the diagram, a GraphExplorer with the
        record's numbers: it follows every change of the network, its data and its sample. ValueError for a
        neuron that is not one expression of its own (a softmax output, a layer with batch norm)."""
        self._check_open()
        on = check_bool(on, "on")
        if on:
            self.flush()
            layer, index = self.state_.neuron
            neuron_expression(self._record, layer, index, self.state_.sample)  # ValueError saying why not
            self.state_.diagram = "neuron"
        self.state_.graph = on
        self._request()

    def close(self) -> None:
        if getattr(self, "_graph", None) is not None:
            self._graph.close()
            self._graph = None
        super().close()

    _graph: GraphExplorer | None = None
    _graph_shows: tuple | None = None  # the neuron and numbers the graph was last given

    def _show_graph(self, rec: Record) -> None:
        """Open, follow or close the GraphExplorer under the diagram, as the state says."""
        st = self.state_
        if st.graph and st.diagram == "neuron":
            layer, index = st.neuron
            try:
                example = neuron_expression(rec, layer, index, st.sample)
                shows = (layer, index, st.sample, example.expression, tuple(example.values.items()),
                         float(rec.grad_activations[layer - 1][st.sample, index]))  # fmt: skip
                if self._graph is None:
                    self._graph = GraphExplorer.from_record(
                        rec, layer, index, st.sample, lecture=self.lecture, theme=self.theme
                    )
                    for name in ("theme", "lecture"):  # the explorer's own menus set them
                        self._graph.controls[name].layout.display = "none"
                    self._graph_slot.children = (self._graph.root,)
                else:
                    if self._graph.lecture != self.lecture:
                        self._graph.set_lecture(self.lecture)
                    if self._graph.theme != self.theme:
                        self._graph.set_theme(self.theme)
                    if shows != self._graph_shows:
                        self._graph.follow_record(rec, layer, index, st.sample)
                self._graph_shows = shows
                return
            except ValueError as err:  # the neuron is no longer one expression, or its numbers overflow
                st.graph = False
                self._note = f"The graph closed: {err}."
        if self._graph is not None:
            self._graph_slot.children = ()
            self._graph.close()
            self._graph, self._graph_shows = None, None

    def set_batch_norm(self, on: bool = True) -> None:
        """Batch norm on every hidden layer (or off), keeping every weight and bias: x̂ = (z − μ)/√(σ² + ε) over
        the batch, then y = γ·x̂ + β (γ from 1, β from 0) goes into the activation. ValueError for a network
        without a hidden layer, or data of one sample (a batch's μ and σ² need two)."""
        self._check_open()
        self._change_architecture("batch_norm", check_bool(on, "on"))
        self._request()

    def _set_mode(self, mode: str) -> None:
        self.state_.mode = mode
        self.state_.stage = None

    def _set_diagram(self, diagram: str) -> None:
        self.state_.diagram = diagram

    def _set_neuron(self, neuron) -> None:
        if neuron is not None:
            self.state_.neuron = self._checked_neuron(tuple(neuron))

    def _set_sample(self, sample: int) -> None:
        if sample is not None:
            self.state_.sample = int(sample)

    def _change_architecture(self, which: str, value: str) -> None:
        """A new hidden activation, output activation or loss, keeping every weight; a loss that needs its own
        output (bce: sigmoid, cross-entropy: softmax) brings it along, or says in words why it cannot."""
        old = self.network
        hidden = value if which == "activation" else _hidden_name(old)
        output = value if which == "output_activation" else old.output_activation
        loss = value if which == "loss" else old.loss
        batch_norm = (value,) * (old.n_layers - 1) if which == "batch_norm" else old.batch_norm
        if which == "batch_norm" and value:
            if old.n_layers < 2:
                raise ValueError("batch norm sits between a hidden layer's z and its activation: this network has none")
            old.check_batches(self._X.shape[0], None)  # at least 2 samples, said in words
        notes = []
        pair = LOSSES[loss].output_activation
        if which == "loss" and pair is not None and output != pair:
            if pair == "softmax" and old.sizes[-1] < 2:
                raise ValueError(
                    "cross-entropy shares a softmax over at least two outputs, and this network has one output: "
                    "choose binary cross-entropy (bce) for a single output"
                )
            output = pair
            notes.append(f"{LOSS_LABELS[loss]} goes with a {ACTIVATION_LABELS[pair]} output: output f is now {pair}.")
        elif which == "output_activation" and LOSSES[loss].output_activation not in (None, output):
            loss = "mse"
            notes.append(
                f"{LOSS_LABELS[old.loss]} needs a {LOSSES[old.loss].output_activation} output: "
                "the loss is now squared error."
            )
        if output == "softmax" and old.sizes[-1] < 2:
            raise ValueError("a softmax output needs at least two output neurons; this network has one")
        n_hidden = old.n_layers - 1
        net = Network(
            old.sizes,
            activation=[hidden] * n_hidden if n_hidden else "sigmoid",
            output_activation=output,
            loss=loss,
            batch_norm=batch_norm or False,
            seed=0,
        )
        theta = net.parameters.copy()  # W and b come first in θ, batch norm's γ and β after them
        shared = min(theta.size, old.n_parameters)
        theta[:shared] = old.parameters[:shared]
        net.set_parameters(theta)
        kept = [name for name in old.frozen if name in set(net.parameter_names)]
        if kept:
            net.freeze(*kept)
        Y = self._Y
        if loss == "cross_entropy" and not np.allclose(Y.sum(axis=1), 1):
            Y = np.eye(Y.shape[1])[np.argmax(Y, axis=1)]
            notes.append("Cross-entropy compares with a class: each target is now the one-hot of its largest entry.")
        if loss == "bce" and (Y.min() < 0 or Y.max() > 1):
            raise ValueError("binary cross-entropy needs targets from 0 to 1; these targets lie outside")
        session = TrainingSession(net, self._X, Y, lr=self.lr)
        self.network, self.session, self._Y = net, session, Y.copy()
        self._start = (net.parameters, self._X.copy(), self._Y.copy(), self.lr)
        self._note = " ".join(notes)

    # ------------------------------------------------------------------ drawing: everything from the state
    def _scene(self, rec: Record):
        st = self.state_
        if st.diagram == "neuron":
            layer, index = st.neuron
            if layer < rec.n_layers and self.network.batch_norm[layer - 1]:
                return batchnorm_diagram(
                    rec, layer, index, sample=st.sample, theme=self.drawing_theme, lecture=self.lecture,
                    selected=st.selected,
                )  # fmt: skip
            return neuron_diagram(
                rec,
                layer,
                index,
                sample=st.sample,
                theme=self.drawing_theme,
                lecture=self.lecture,
                selected=st.selected,
            )
        return network_diagram(
            rec,
            st.mode,
            stage=st.stage if st.mode == "gradients" else None,
            lr=self.lr,
            sample=st.sample,
            theme=self.drawing_theme,
            lecture=self.lecture,
            selected=st.selected,
        )

    def _render(self) -> None:
        st, net = self.state_, self.network
        if st.selected and not st.selected.startswith("node:"):
            try:
                net.index_of(st.selected)
            except ValueError:
                st.selected = None  # a parameter of the network before a preset
        if st.stage is not None and st.stage > net.n_layers + 1:
            st.stage = None
        rec = net.backprop(self._X, self._Y)
        scene = self._scene(rec)
        chain, announce = self._chain_text(rec, scene)
        self._record = rec
        th = get_theme(self.drawing_theme)
        self.diagram_widget.show(scene, accent=th.accent)
        self.diagram_widget.announce = announce
        self.chain.value = chain
        self._show_loss(rec)
        self._show_numbers(rec)
        self._show_graph(rec)
        self._drawing = True
        try:
            self._show_menus()
        finally:
            self._drawing = False
        self._show_derivation()
        self._warning = self._divergence(rec)

    def _chain_text(self, rec: Record, scene) -> tuple[str, str]:
        """The chain-rule panel for the selection, and the line a screen reader hears (aria-live)."""
        key = self.state_.selected
        if not key:
            return (
                '<p class="bpx-caption">Click a weight, a bias or a neuron (or Tab to it and press Enter) '
                "to see its chain rule with these numbers.</p>",
                "",
            )
        if key.startswith("node:"):
            hover = scene.hovers.get(key, "")
            lines = plain_text(hover).split("\n")
            return f"<p>{hover}</p>", " ".join(lines[:2])
        text = explain_parameter(rec, key, lr=self.lr, sample=self.state_.sample)
        grad = float(rec.gradient_vector()[self.network.index_of(key)])
        return text, f"{key}: ∂L/∂{key} = {fmt(grad)}"

    def _show_loss(self, rec: Record) -> None:
        st = self.state_
        h = self.session.history
        stage = ""
        if st.stage is not None:
            stage = f" · backward step {st.stage + 1} of {rec.n_layers + 2}"
        self.loss_label.value = (
            f'<div class="bpx-loss">L = {_loss_text(rec.loss)}</div>'
            f"<div>step {self.session.steps_done:,} · η = {self.lr:.4g}{stage}</div>"
        )
        self.curve.value = loss_sparkline(
            h.steps, h.train_loss, diverged_at=h.diverged_at if h.diverged else None, theme=self.drawing_theme
        )
        L = rec.n_layers
        if st.stage is not None:
            self.caption.value = ""  # the diagram carries the step's caption
        elif st.mode == "gradients":
            self.caption.value = (
                f"Every gradient at once. <b>backward step ▶</b> walks it layer by layer: ∂L/∂a at the outputs, "
                f"then δ of each of the {L} layers, then the update."
            )
        else:
            self.caption.value = "The forward pass: each neuron's activation a, each weight w on its edge."

    def _show_numbers(self, rec: Record) -> None:
        net, st = self.network, self.state_
        rows = []
        frozen = set(net.frozen)
        for layer in range(1, net.n_layers + 1):
            group = f"layer {layer}: W{layer}, b{layer}"
            for name in net.parameter_names:
                if not name[1:].startswith(f"{layer}["):
                    continue
                value = net.get(name)
                lo, hi = widened(value, -PARAMETER_RANGE, PARAMETER_RANGE)
                label = name + (f" {_symbol(net, name)}" if name[0] == "W" else "")
                rows.append(
                    row(
                        name, label, value, lo, hi, 0.01, group=group, held=name in frozen, selected=name == st.selected
                    )  # fmt: skip
                )
            if layer < net.n_layers and net.batch_norm[layer - 1]:
                bn_group = f"layer {layer}: batch norm γ{layer}, β{layer}"
                for name, (low, high) in [(f"gamma{layer}[{j}]", GAMMA_RANGE) for j in range(net.sizes[layer])] + [
                    (f"beta{layer}[{j}]", (-PARAMETER_RANGE, PARAMETER_RANGE)) for j in range(net.sizes[layer])
                ]:
                    value = net.get(name)
                    rows.append(
                        row(name, name, value, *widened(value, low, high), 0.01, group=bn_group,
                            held=name in frozen, selected=name == st.selected)
                    )  # fmt: skip
        s = st.sample
        data_group = "inputs x and targets y" + (
            f" (sample {s + 1} of {self._X.shape[0]})" if self._X.shape[0] > 1 else ""
        )
        for i in range(net.sizes[0]):
            v = float(self._X[s, i])
            rows.append(row(f"x[{i}]", f"x[{i}]", v, *widened(v, -DATA_RANGE, DATA_RANGE), 0.01, group=data_group))
        if net.loss != "cross_entropy":
            lo, hi = (0.0, 1.0) if net.output_activation == "sigmoid" else (-DATA_RANGE, DATA_RANGE)
            for j in range(net.sizes[-1]):
                v = float(self._Y[s, j])
                rows.append(row(f"y[{j}]", f"y[{j}]", v, *widened(v, lo, hi), 0.01, group=data_group))
        rows.append(row("lr", "η", self.lr, *LR_RANGE, 0.001, group="learning rate", log=True))
        self._sliders.set_rows(rows)
        for r in rows:
            if r["key"] not in self.controls:
                self.controls[r["key"]] = Row(self._sliders, r["key"])
        for key in [k for k, v in self.controls.items() if isinstance(v, Row) and k not in {r["key"] for r in rows}]:
            del self.controls[key]

    def _show_menus(self) -> None:
        c, net, st = self.controls, self.network, self.state_
        presets = list(_titles(tuple(SCENARIOS)))
        if st.preset == OWN:
            presets = [("(your own network)", OWN), *presets]
        set_if_changed(c["preset"], "options", presets)
        set_if_changed(c["preset"], "value", st.preset)
        set_if_changed(c["mode"], "value", st.mode)
        set_if_changed(c["diagram"], "value", st.diagram)
        neurons = [
            (f"layer {layer}, neuron {j + 1}", (layer, j))
            for layer in range(1, net.n_layers + 1)
            for j in range(net.sizes[layer])
        ]
        set_if_changed(c["neuron"], "options", neurons)
        set_if_changed(c["neuron"], "value", st.neuron)
        c["neuron"].layout.display = None if st.diagram == "neuron" else "none"
        c["as_graph"].layout.display = c["neuron"].layout.display
        set_if_changed(c["as_graph"], "value", st.graph and st.diagram == "neuron")
        set_if_changed(c["lecture"], "value", self.lecture)
        set_if_changed(c["theme"], "value", self.theme)
        set_if_changed(c["activation"], "options", [(ACTIVATION_LABELS[a], a) for a in HIDDEN_ACTIVATIONS])
        set_if_changed(c["activation"], "value", _hidden_name(net))
        c["activation"].disabled = net.n_layers < 2
        set_if_changed(c["output_activation"], "options", [(ACTIVATION_LABELS[a], a) for a in OUTPUT_ACTIVATIONS])
        set_if_changed(c["output_activation"], "value", net.output_activation)
        set_if_changed(c["loss"], "value", net.loss)
        set_if_changed(c["batch_norm"], "value", any(net.batch_norm))
        c["batch_norm"].disabled = net.n_layers < 2 or (self._X.shape[0] < 2 and not any(net.batch_norm))
        set_if_changed(
            c["sample"], "options", [(f"sample {k + 1} of {self._X.shape[0]}", k) for k in range(self._X.shape[0])]
        )
        set_if_changed(c["sample"], "value", st.sample)
        c["sample"].disabled = self._X.shape[0] < 2
        steps = self.session.checkpoints
        shown = _spread(steps, GO_TO_ENTRIES)
        set_if_changed(c["undo_to"], "options", [(f"step {k:,}", k) for k in shown])
        set_if_changed(c["undo_to"], "value", shown[-2] if len(shown) > 1 else shown[-1])
        c["undo"].disabled = len(shown) < 2
        c["undo_to"].disabled = len(shown) < 2
        last = net.n_layers + 1
        c["step"].disabled = st.stage == last and st.mode == "gradients"
        c["back"].disabled = st.stage == 0 or st.stage is None
        diverged = self.session.diverged
        c["update"].disabled = diverged
        c["train"].disabled = diverged

    DERIVATION_QUIET_S = 0.25  # the derivation follows this long after the last of a burst of changes

    def _show_derivation(self) -> None:
        """The derivation is sent only while its panel is open: typesetting it costs the page 100-500 ms, so in
        a kernel it follows a quarter of a second after a burst of slider steps (the diagram follows each step);
        without an event loop (a script, the tests) at once."""
        if self._derivation_panel.selected_index is None:
            return
        record, lr, sample = self._record, self.lr, self.state_.sample

        def send():
            self._derivation_timer = None
            if self._closed or self._record is not record:
                return  # a later render scheduled its own
            if any(record.batch_norm):
                text = (
                    "*The worked derivation is written for a network without batch norm. With it, hover a neuron "
                    "for its x̂, y = γ·x̂ + β and δ's three paths, or choose **one neuron** to see them drawn.*"
                )
            else:
                text = worked_derivation(record, lr=lr, sample=sample)
            data = {"text/markdown": text, "text/plain": "worked derivation"}
            outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
            if self.derivation.outputs != outputs:
                self.derivation.outputs = outputs

        timer = getattr(self, "_derivation_timer", None)
        if timer is not None:
            timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            send()
        else:
            self._derivation_timer = loop.call_later(self.DERIVATION_QUIET_S, send)

    def _divergence(self, rec: Record) -> str:
        h = self.session.history
        if self.session.diverged and h.diverged_at is not None:
            return divergence_message(int(h.steps[h.diverged_at]), float(h.lr if np.isscalar(h.lr) else self.lr))
        if not rec.finite:
            return "The numbers overflowed (NaN or ∞): reset, undo, or choose smaller values."
        return ""


# ---------------------------------------------------------------------------------------------- helpers
@functools.cache
def _titles(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(title, name) of each scenario, for the preset menu (built once: a scenario builds its network)."""
    return tuple((get_scenario(n).title, n) for n in names)


def _hidden_name(net: Network) -> str:
    hidden = net.layer_activations[:-1]
    return hidden[0] if hidden else "sigmoid"


def _symbol(net: Network, name: str) -> str:
    from ..views._layout import weight_symbol

    layer = int(name[1 : name.index("[")])
    i, j = (int(v) for v in name[name.index("[") + 1 : -1].split(","))
    return f"({weight_symbol(net.sizes, layer, i, j)})"


def _spread(steps: list[int], n: int) -> list[int]:
    """At most ``n`` of ``steps``, evenly spread, the first and the last always among them."""
    if len(steps) <= n:
        return list(steps)
    picks = np.unique(np.round(np.linspace(0, len(steps) - 1, n)).astype(int))
    return [steps[k] for k in picks]


def _loss_text(loss: float) -> str:
    """The loss with 6 significant digits, a power of ten in superscript (3.51019×10⁻⁵; ∞ when it overflowed)."""
    if not np.isfinite(loss):
        return "NaN" if np.isnan(loss) else "∞"
    return html.escape(fmt(float(loss), 6).lstrip("+"))
