"""BackpropExplorer: drag a weight, an input, a target or the learning rate; every number follows."""

from __future__ import annotations

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ..course.scenarios import SCENARIOS, get_scenario
from ..engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..engine.losses import LOSSES
from ..engine.network import Network, Record
from ..engine.session import TrainingSession
from ..views import explain_parameter, plot_neuron_graph, worked_derivation
from ..views.network import network_spec
from ._base import App, Coalescer, close_widget
from ._diagram import Diagram

MAX_NEURONS = 8  # the diagram reads well up to about 8 neurons a layer
MAX_LAYERS = 7
DIAGRAMS = ("network", "neuron")  # the whole network, or one neuron as a computational graph
# The browser snaps a slider's value to its step when it draws it and sends the snapped value back.
# Echoes within half a step of the engine's value are ignored, so a trained weight keeps all its digits
# in the engine and the diagram (w5 = 0.35891648, not 0.36), though the slider itself sits on its step.
# For the same reason a slider's own readout would print the snapped 0.3600: the parameter sliders hide
# it and an HTML readout beside each prints the engine's value instead.
PARAMETER_STEP = 0.01
LR_LOG_STEP = 1e-3


class BackpropExplorer(App):
    """Sliders for every weight, bias, input and target of a small network, live diagrams and maths.

    ``BackpropExplorer()`` starts on the classic 2-2-2 worked example. ``BackpropExplorer(net, X, y)``
    takes any small network (up to about 3-4-4-2) with its data; X (n_samples, n_features).

    ``app.network`` is the live Network, ``app.record`` the current Record, ``app.controls`` maps
    names (``"W1[0,0]"``, ``"b2[1]"``, ``"x[0]"``, ``"y[1]"``, ``"lr"``, ``"mode"``, ``"step"``…) to widgets.
    ``diagram="neuron"`` draws one neuron (``neuron=(layer, index)``) as a computational graph instead
    of the whole network: ``BackpropExplorer(scenario="single_neuron", diagram="neuron")``.
    """

    def __init__(
        self,
        network: Network | None = None,
        X=None,
        y=None,
        *,
        lr: float = 0.5,
        lecture: bool = False,
        theme: str = "light",
        scenario: str | None = None,
        diagram: str = "network",
        neuron: tuple[int, int] = (1, 0),
    ):
        super().__init__(lecture=lecture)
        if diagram not in DIAGRAMS:
            raise ValueError(f"diagram must be one of {', '.join(DIAGRAMS)}; got {diagram!r}")
        self.theme = theme
        self.diagram = diagram
        self.neuron = neuron
        if network is None and scenario is None:
            scenario = "worked_example"
        if scenario is not None:
            sc = get_scenario(scenario)
            network, X, y, lr = sc.network, sc.X, sc.y, sc.lr
        elif X is None or y is None:
            raise ValueError("X and y must be given with a network (or pass scenario=...)")
        self._coalescer = Coalescer(self._render)
        self.stage: int | None = None  # None: the whole backward pass; 0..L+1: one step of it
        self.selected: str | None = None
        self._build_static_controls(lr)
        self._diagram: Diagram | None = None  # drawn as SVG: see _diagram.py for why not a FigureWidget
        self._figure_box = W.Box()
        self.derivation = W.Output(layout=W.Layout(max_height="520px", overflow="auto", padding="0 8px"))
        # Closed at first. Typesetting the derivation's maths costs the browser ~140 ms, more than the
        # rest of an update together, so it is sent only while the learner has it open (and on opening).
        self._derivation_panel = W.Accordion(
            children=[self.derivation], titles=("The worked derivation, with these numbers",)
        )
        self._derivation_panel.observe(lambda _: self._guard(self._show_derivation), names="selected_index")
        self.chain = W.HTML()
        self.loss_label = W.HTML()
        self._readouts: dict[str, W.HTML] = {}  # name → the engine's value beside its slider
        self._load(network, X, y, lr, scenario=scenario)
        self.root = self._wrap(self._layout())

    # ------------------------------------------------------------------ building
    def _build_static_controls(self, lr: float) -> None:
        c = self.controls
        c["lr"] = W.FloatLogSlider(
            value=lr,
            base=10,
            min=-3,
            max=2,
            step=LR_LOG_STEP,  # fine enough in the exponent that 0.5 reads 0.5, not 10^-0.30 = 0.501
            description="η (learning rate)",
            continuous_update=True,
            readout_format=".3g",
            style={"description_width": "initial"},
        )
        c["activation"] = W.Dropdown(options=HIDDEN_ACTIVATIONS, description="hidden f")
        c["output_activation"] = W.Dropdown(options=OUTPUT_ACTIVATIONS, description="output f")
        c["loss"] = W.Dropdown(options=list(LOSSES), description="loss")
        c["mode"] = W.ToggleButtons(
            options=[("forward values", "values"), ("backward gradients", "gradients")], value="gradients"
        )
        c["preset"] = W.Dropdown(
            options=[("— preset —", "")] + [(get_scenario(n).title, n) for n in SCENARIOS],
            value="",
            description="preset",
        )
        c["sample"] = W.Dropdown(options=[0], value=0, description="sample")
        c["lecture"] = W.ToggleButton(value=self.lecture, description="lecture mode", icon="expand")
        c["back"] = W.Button(description="◀ back", tooltip="Show one layer less of the backward pass")
        c["step"] = W.Button(
            description="backward step ▶", tooltip="Light the δ of one more layer", button_style="info"
        )
        c["update"] = W.Button(description="apply one update", tooltip="w ← w − η·∂L/∂w", button_style="primary")
        c["train_steps"] = W.BoundedIntText(
            value=10, min=1, max=100000, description="N", layout=W.Layout(width="140px")
        )
        c["train"] = W.Button(description="train N steps")
        c["undo_to"] = W.Dropdown(options=[("step 0", 0)], value=0, description="go to")
        c["undo"] = W.Button(description="undo", tooltip="Back to the chosen earlier step")
        c["reset"] = W.Button(description="reset", tooltip="Back to the starting weights", button_style="warning")
        for name in ("activation", "output_activation", "loss"):
            c[name].observe(self._on_architecture_change, names="value")
        c["lr"].observe(self._on_lr_change, names="value")
        c["mode"].observe(self._on_mode_change, names="value")
        c["preset"].observe(self._on_preset_change, names="value")
        c["sample"].observe(self._on_sample_change, names="value")
        c["lecture"].observe(self._on_lecture_change, names="value")
        c["back"].on_click(lambda _: self._guard(lambda: self.step_backward(-1)))
        c["step"].on_click(lambda _: self._guard(lambda: self.step_backward(+1)))
        c["update"].on_click(lambda _: self._guard(lambda: self.train(1)))
        c["train"].on_click(lambda _: self._guard(lambda: self.train(c["train_steps"].value)))
        c["undo"].on_click(lambda _: self._guard(lambda: self.undo(c["undo_to"].value)))
        c["reset"].on_click(lambda _: self._guard(self.reset))

    def _load(self, network: Network, X, y, lr: float, scenario: str | None = None) -> None:
        """Take a new network and data: new sliders, a new session, a new record."""
        if not isinstance(network, Network):
            raise ValueError(f"network must be an explainer.Network; got {type(network).__name__}")
        if len(network.sizes) > MAX_LAYERS + 1 or max(network.sizes) > MAX_NEURONS:
            raise ValueError(
                f"network must have at most {MAX_LAYERS} weight layers and {MAX_NEURONS} neurons a layer "
                f"to be drawn readably; got sizes {list(network.sizes)}"
            )
        session = TrainingSession(network, X, y, lr=lr)
        old = [w for k, w in self.controls.items() if _is_data_control(k)] + list(self._readouts.values())
        self._readouts = {}
        self.network = network
        self.session = session
        self.scenario = scenario
        self._X = session.X.copy()
        self._Y = session.y.copy()
        c = self.controls
        for k in [k for k in c if _is_data_control(k)]:
            del c[k]
        for w in old:
            close_widget(w)
        for name in network.parameter_names:
            value = network.get(name)
            bound = max(3.0, float(np.ceil(abs(value) * 2)))
            s = W.FloatSlider(
                value=value,
                min=-bound,
                max=bound,
                step=PARAMETER_STEP,
                description=name,
                readout=False,
                continuous_update=True,
                style={"description_width": "70px"},
            )
            if name in network.frozen:
                s.description = f"{name} held"
                s.tooltip = "held fixed during training (frozen)"
            s.observe(lambda change, name=name: self._on_parameter_change(name, change), names="value")
            c[name] = s
            self._readouts[name] = W.HTML(layout=W.Layout(width="70px"))
        for i in range(network.sizes[0]):
            c[f"x[{i}]"] = W.FloatSlider(
                value=float(self._X[0, i]),
                min=-3,
                max=3,
                step=0.01,
                description=f"x[{i}]",
                readout_format=".3f",
                style={"description_width": "70px"},
            )
            c[f"x[{i}]"].observe(self._on_data_change, names="value")
        if network.loss == "cross_entropy":
            c["y"] = W.Dropdown(
                options=list(range(network.sizes[-1])), value=int(np.argmax(self._Y[0])), description="class y"
            )
            c["y"].observe(self._on_data_change, names="value")
        else:
            lo, hi = (0.0, 1.0) if network.output_activation == "sigmoid" else (-3.0, 3.0)
            for j in range(network.sizes[-1]):
                c[f"y[{j}]"] = W.FloatSlider(
                    value=float(self._Y[0, j]),
                    min=lo,
                    max=hi,
                    step=0.01,
                    description=f"y[{j}]",
                    readout_format=".3f",
                    style={"description_width": "70px"},
                )
                c[f"y[{j}]"].observe(self._on_data_change, names="value")
        self._silent += 1
        try:
            c["activation"].value = self._hidden_name(network)
            c["activation"].disabled = network.n_layers < 2  # no hidden layer to set
            c["output_activation"].value = network.output_activation
            c["loss"].value = network.loss
            c["lr"].value = lr
            c["sample"].options = list(range(self._X.shape[0]))
            c["sample"].value = 0
        finally:
            self._silent -= 1
        self.stage = None
        self.selected = None
        self._good = network.parameters
        self._record = None
        self._render()

    def _layout(self) -> W.Widget:
        c = self.controls
        return W.VBox(
            [
                W.HBox([c["preset"], c["mode"], c["lecture"]], layout=W.Layout(flex_flow="row wrap")),
                W.HBox(
                    [self._figure_box, W.VBox([self.loss_label, self.chain], layout=W.Layout(width="380px"))],
                    layout=W.Layout(flex_flow="row wrap"),
                ),
                W.HBox(
                    [
                        c["back"],
                        c["step"],
                        c["update"],
                        c["train_steps"],
                        c["train"],
                        c["undo_to"],
                        c["undo"],
                        c["reset"],
                    ],
                    layout=W.Layout(flex_flow="row wrap"),
                ),
                self._sliders_box,
                self._derivation_panel,
            ]
        )

    @property
    def _sliders_box(self) -> W.Widget:
        if getattr(self, "_sliders", None) is None:
            self._sliders = W.Tab()
        self._fill_sliders()
        return self._sliders

    def _fill_sliders(self) -> None:
        c = self.controls
        tabs, titles = [], []
        for layer in range(1, self.network.n_layers + 1):
            names = [n for n in self.network.parameter_names if n[1:].startswith(f"{layer}[")]
            pairs = [W.HBox([c[n], self._readouts[n]]) for n in names]
            tabs.append(W.GridBox(pairs, layout=W.Layout(grid_template_columns="repeat(auto-fill, 380px)")))
            titles.append(f"layer {layer}: W{layer}, b{layer}")
        data = [c[k] for k in c if k.startswith("x[")] + [c[k] for k in c if k.startswith("y")]
        tabs.append(
            W.VBox(
                [
                    W.HBox([c["sample"]]),
                    W.GridBox(data, layout=W.Layout(grid_template_columns="repeat(auto-fill, 300px)")),
                ]
            )
        )
        titles.append("inputs x and targets y")
        tabs.append(W.VBox([c["lr"], c["activation"], c["output_activation"], c["loss"]]))
        titles.append("η, activations, loss")
        old = self._sliders.children
        self._sliders.children = tabs
        self._sliders.titles = titles
        for box in old:
            _close_wrappers(box)

    # ------------------------------------------------------------------ public API
    def flush(self) -> None:
        """Apply pending (coalesced) updates now."""
        self._coalescer.flush()

    @property
    def record(self) -> Record:
        """The record of the current network and data (pending updates are applied first)."""
        self._coalescer.flush()
        return self._record

    @property
    def figure(self) -> go.Figure:
        """What the live diagram draws now, as a plotly Figure (the widget on screen is ``diagram_widget``)."""
        return self.diagram_widget.figure

    @property
    def diagram_widget(self) -> Diagram:
        """The live diagram widget (network or neuron), up to date with every pending change."""
        self._coalescer.flush()
        return self._diagram

    @property
    def lr(self) -> float:
        """The learning rate η the engine uses (the slider's value, without the browser's snapping)."""
        return float(self.session.lr)

    def step_backward(self, direction: int = 1) -> None:
        """Show one more (or one fewer) layer of the backward pass: stages 0 (∂L/∂a) to L+1 (update)."""
        last = self.network.n_layers + 1
        if self.stage is None:
            self.stage = 0 if direction > 0 else last
        else:
            self.stage = int(np.clip(self.stage + direction, 0, last))
        self._set_silently(self.controls["mode"], "gradients")
        self._render()

    def train(self, steps: int = 1) -> None:
        """Apply ``steps`` gradient-descent updates with the current η (frozen parameters stay)."""
        self._coalescer.flush()
        chunk = self.session.step(int(steps))
        self._after_parameters_changed()
        if chunk.diverged:
            self.show_message(
                f"The loss became NaN or ∞ at step {self.session.steps_done}: η = {self.lr:.3g} is too large. "
                "Undo to an earlier step or reset.",
                error=True,
            )

    def undo(self, to_step: int | None = None) -> None:
        """Back to an earlier training step (default: one step back)."""
        self._coalescer.flush()
        self.session.undo(to_step)
        self._after_parameters_changed()

    def reset(self) -> None:
        """Back to the starting weights; the training history is cleared."""
        self._coalescer.flush()
        self.session.reset()
        self.stage = None
        self._after_parameters_changed()

    def select(self, name: str) -> None:
        """Select a parameter: its slider is highlighted and its chain rule shown in full."""
        self.network.index_of(name)
        if self.selected in self.controls:
            self.controls[self.selected].remove_class("bpx-selected")
        self.selected = name
        self.controls[name].add_class("bpx-selected")
        layer = int(name[1 : name.index("[")])
        self._sliders.selected_index = layer - 1
        self.chain.value = explain_parameter(self.record, name, lr=self.lr, sample=self.controls["sample"].value)

    def load_preset(self, name: str) -> None:
        """Reset everything to a named scenario (worked_example, xor, vanishing_gradients, …)."""
        sc = get_scenario(name)
        self._load(sc.network, sc.X, sc.y, sc.lr, scenario=name)
        self._fill_sliders()
        self.show_message(f"Preset: {sc.title}. {sc.description}")

    def snapshot(self):
        """A plain plotly Figure of the current diagram (for exports and pages without a kernel)."""
        self.flush()
        return go.Figure(self._spec())

    def state(self) -> dict:
        return {
            "network": self.network.to_dict(),
            "X": self._X.tolist(),
            "y": self._Y.tolist(),
            "lr": self.lr,
            "mode": self.controls["mode"].value,
            "lecture": self.lecture,
        }

    def set_state(self, state: dict) -> None:
        try:
            net = Network.from_dict(state["network"])
            X, y, lr = np.array(state["X"]), np.array(state["y"]), float(state["lr"])
        except (KeyError, TypeError) as err:
            raise ValueError(f"state is missing or has a malformed entry: {err}") from None
        self._load(net, X, y, lr)
        self._fill_sliders()
        self._set_silently(self.controls["mode"], state.get("mode", "gradients"))
        self.set_lecture(bool(state.get("lecture", False)))

    def refresh(self) -> None:
        """Redraw from scratch (after a change of look such as lecture mode)."""
        self._coalescer.flush()
        self._render()

    # ------------------------------------------------------------------ callbacks
    def _on_parameter_change(self, name: str, change) -> None:
        if self._silent or abs(change["new"] - self.network.get(name)) <= PARAMETER_STEP / 2:
            return  # ours, or the browser snapping our own value to the slider's step

        def apply():
            self.network.set(name, change["new"])
            self._coalescer.request()

        self._guard(apply, restore=self._restore)

    def _on_data_change(self, change) -> None:
        if self._silent:
            return

        def apply():
            s = self.controls["sample"].value
            X, Y = self._X.copy(), self._Y.copy()
            for i in range(X.shape[1]):
                X[s, i] = self.controls[f"x[{i}]"].value
            if "y" in self.controls:
                Y[s] = np.eye(Y.shape[1])[self.controls["y"].value]
            else:
                for j in range(Y.shape[1]):
                    Y[s, j] = self.controls[f"y[{j}]"].value
            self.session.set_data(X, Y)
            self._X, self._Y = X, Y
            self._coalescer.request()

        self._guard(apply, restore=self._restore)

    def _on_lr_change(self, change) -> None:
        if self._silent:
            return

        if abs(np.log10(change["new"]) - np.log10(self.session.lr)) <= LR_LOG_STEP / 2:
            return  # the browser snapping our own value to the slider's step

        def apply():
            self.session.lr = change["new"]
            self._coalescer.request()

        self._guard(apply, restore=self._restore)

    def _on_mode_change(self, change) -> None:
        if self._silent:
            return
        self.stage = None
        self._guard(self._coalescer.request)

    def _on_sample_change(self, change) -> None:
        if self._silent:
            return

        def apply():
            s = change["new"]
            self._silent += 1
            try:
                for i in range(self._X.shape[1]):
                    self.controls[f"x[{i}]"].value = float(self._X[s, i])
                if "y" in self.controls:
                    self.controls["y"].value = int(np.argmax(self._Y[s]))
                else:
                    for j in range(self._Y.shape[1]):
                        self.controls[f"y[{j}]"].value = float(self._Y[s, j])
            finally:
                self._silent -= 1
            self._coalescer.request()

        self._guard(apply)

    def _on_architecture_change(self, change) -> None:
        if self._silent:
            return
        c = self.controls
        old_net = self.network

        def apply():
            n_hidden = len(old_net.sizes) - 2
            net = Network(
                old_net.sizes,
                activation=[c["activation"].value] * n_hidden if n_hidden else "sigmoid",
                output_activation=c["output_activation"].value,
                loss=c["loss"].value,
                seed=0,
            )
            net.set_parameters(old_net.parameters)
            if old_net.frozen:
                net.freeze(*old_net.frozen)
            y = self._Y
            if net.loss == "cross_entropy" and not np.allclose(y.sum(axis=1), 1):
                y = np.eye(y.shape[1])[np.argmax(y, axis=1)]
            self._load(net, self._X, y, self.lr)
            self._fill_sliders()

        def restore():
            self._silent += 1
            try:
                c["activation"].value = self._hidden_name(old_net)
                c["output_activation"].value = old_net.output_activation
                c["loss"].value = old_net.loss
            finally:
                self._silent -= 1

        if self._guard(apply, restore=restore):
            self.show_message("")

    @staticmethod
    def _hidden_name(net: Network) -> str:
        hidden = net.layer_activations[:-1]
        return hidden[0] if hidden else "sigmoid"

    def _on_preset_change(self, change) -> None:
        if self._silent or not change["new"]:
            return
        self._guard(lambda: self.load_preset(change["new"]))
        self._set_silently(self.controls["preset"], "")

    def _on_lecture_change(self, change) -> None:
        if self._silent:
            return
        self.set_lecture(change["new"])

    def _on_diagram_click(self, trace: str, point: int, customdata) -> None:
        """A click on a weight's or a bias's number selects that parameter."""

        def apply():
            if isinstance(customdata, str) and customdata[:1] in "Wb" and "[" in customdata:
                self.select(customdata)

        self._guard(apply)

    # ------------------------------------------------------------------ rendering
    def _spec(self) -> dict:
        if self.diagram == "neuron":
            layer, index = self.neuron
            fig = plot_neuron_graph(
                self._record, layer, index, sample=self.controls["sample"].value, theme=self.theme, lecture=self.lecture
            )
            return fig.to_plotly_json()
        mode = self.controls["mode"].value
        return network_spec(
            self._record,
            mode,
            stage=self.stage if mode == "gradients" else None,
            lr=self.lr,
            sample=self.controls["sample"].value,
            theme=self.theme,
            lecture=self.lecture,
        )

    def _render(self) -> None:
        """Recompute the record and bring every view up to date (the coalesced work of a burst)."""

        def work():
            rec = self.network.backprop(self._X, self._Y)
            self._record = rec
            fig = self._spec()
            if self._diagram is None:
                self._diagram = Diagram(fig)
                self._diagram.on_click(self._on_diagram_click)
                self._figure_box.children = (self._diagram,)
            else:
                self._diagram.update(fig)
            self.loss_label.value = (
                f'<div class="bpx-loss">L = {rec.loss:.6g}</div>'
                f"<div>step {self.session.steps_done} · η = {self.lr:.3g}"
                + (f" · backward stage {self.stage} of {rec.n_layers + 1}" if self.stage is not None else "")
                + "</div>"
            )
            for name, value in zip(self.network.parameter_names, self.network.parameters):
                self._readouts[name].value = f'<span class="bpx-readout">{value:.4f}</span>'
            self._show_derivation()
            if self.selected:
                self.chain.value = explain_parameter(
                    rec, self.selected, lr=self.lr, sample=self.controls["sample"].value
                )
            self._good = self.network.parameters
            if not rec.finite:
                self.show_message(
                    "The numbers overflowed (NaN or ∞): reset, undo, or choose smaller values.", error=True
                )

        self._guard(work, restore=self._restore)

    @property
    def derivation_text(self) -> str:
        """The worked derivation of the current record, as Markdown with LaTeX."""
        return worked_derivation(self.record, lr=self.lr, sample=self.controls["sample"].value)

    def _show_derivation(self) -> None:
        """Put the current derivation in its panel, if the panel is open (see ``_derivation_panel``)."""
        if self._derivation_panel.selected_index is None:
            return
        # One message, no clear_output flicker: the Output widget's outputs replaced as a whole.
        self.derivation.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/markdown": self.derivation_text, "text/plain": "worked derivation"},
                "metadata": {},
            },
        )

    def _restore(self) -> None:
        """Put the last good parameters back into the network and the sliders."""
        self.network.set_parameters(self._good)
        self._sync_parameter_sliders()

    def _after_parameters_changed(self) -> None:
        self._sync_parameter_sliders()
        steps = self.session.steps_done
        self._silent += 1
        try:
            self.controls["undo_to"].options = [(f"step {k}", k) for k in range(steps + 1)]
            self.controls["undo_to"].value = max(steps - 1, 0)
        finally:
            self._silent -= 1
        self._render()

    def _sync_parameter_sliders(self) -> None:
        self._silent += 1
        try:
            for name, value in zip(self.network.parameter_names, self.network.parameters):
                s = self.controls[name]
                if abs(value) > s.max:
                    s.max, s.min = float(np.ceil(abs(value) * 2)), -float(np.ceil(abs(value) * 2))
                s.value = float(value) if np.isfinite(value) else 0.0
        finally:
            self._silent -= 1

    def _all_widgets(self):
        extra = [
            *self._readouts.values(),
            self.derivation,
            self._derivation_panel,
            self.chain,
            self.loss_label,
            self._figure_box,
        ]
        if self._diagram is not None:
            extra.append(self._diagram)
        return super()._all_widgets() + extra


def _close_wrappers(widget: W.Widget) -> None:
    """Close a layout box and the boxes inside it, not the controls they hold (those are reused or closed apart)."""
    if isinstance(widget, W.Box):
        for child in widget.children:
            _close_wrappers(child)
        close_widget(widget)


def _is_data_control(key: str) -> bool:
    return key[:1] in "Wb" and "[" in key or key.startswith("x[") or key.startswith("y")
