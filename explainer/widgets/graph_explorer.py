"""GraphExplorer: type an expression, see its graph with every value and gradient, step the backward pass.

The state is an expression (the last one that could be read), a value for each of its variables, the stage of
the backward pass shown and the node selected. From it ``_render`` reads the expression into a graph of
``explainer.autograd`` Values (``parse_expression``), runs the backward pass one operation at a time
(``backward_steps``: the numbers every step shows), traces the graph (``trace``) and draws it
(``views.graph_diagram``); the number rows, the step panel and the node panel are drawn from the same state.
A typed expression that cannot be read keeps the last good graph and says why in the message area, with a
caret under the offending part; the text stays in the box, to be corrected.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path

import anywidget
import ipywidgets as W

from .._validate import one_of
from ..course.expressions import EXAMPLES, ExpressionError, neuron_expression, parse_expression
from ..engine.autograd import BackwardStep, Trace, Value, backward_steps, trace
from ..engine.record import Record
from ..views.diagram import plain_text
from ..views.graph_diagram import graph_diagram, node_key, step_lines
from ..views.style import fmt, fmt_plain, get_theme
from .app import App, check_bool, set_if_changed
from .diagram import Diagram
from .sliders import Row, Sliders, number, row, widened

_HERE = Path(__file__).parent
VALUE_RANGE = 3.0  # a variable's row spans ±3, widened to hold any value it has
NEW_VALUE = 1.0  # the value a variable gets when a typed expression brings it in
OWN = ""  # the example menu's entry for an expression of the learner's own
OWN_TITLE = "Your expression"
BUTTONS = ("expression", "example", "back", "step", "whole", "reset", "theme", "lecture")


class _Style(anywidget.AnyWidget):
    """Carries graph_explorer.css into the page (the caret under a bad expression needs a monospace line)."""

    _esm = "export default { render() {} };"
    _css = _HERE / "graph_explorer.css"


class GraphExplorer(App):
    """An expression's computational graph, with data and grad on every node, stepped node by node.

    ``GraphExplorer("tanh(w1*x1 + w2*x2 + b)", w1=0.5, x1=2.0, w2=-1.0, x2=0.0, b=0.1)`` (values as keywords or
    as a dict); ``GraphExplorer.from_example("gates")`` opens one of ``explainer.autograd.EXAMPLES``;
    ``GraphExplorer.from_record(record, layer, neuron, sample)`` one neuron of a network's record, with its
    numbers. A variable without a value starts at 1. The expression may hold what ``parse_expression`` reads.

    On screen: the expression in a text box (Enter reads it), the graph (root f on the right; on each node its
    value and grad = ∂f/∂node; on each edge the share it carries back), a number row per variable, and
    **backward step ▶** / **◀ back** / **all gradients**: the backward pass one operation at a time in
    topological order, each step's local derivative × upstream gradient written out. Click a node, or Tab to it
    and press Enter, for its numbers.

    Public: ``expression``, ``values``, ``output`` (the root Value f), ``leaves``, ``trace``, ``steps`` (the
    ``BackwardStep``s of one pass), ``stage`` (None: every gradient; k: after k steps), ``selected``, ``scene``,
    ``controls`` (``"expression"``, ``"example"``, ``"back"``, ``"step"``, ``"whole"``, ``"reset"``, ``"theme"``,
    ``"lecture"``, and each variable's number row by its name: setting ``.value`` is a learner's gesture),
    ``row(name)``, ``set_expression``, ``set_value``, ``step_backward``, ``set_stage``, ``show_all``,
    ``select``, ``load_example``, ``reset``, ``picture()``, ``state()``/``set_state()``, ``close()``.
    """

    def __init__(
        self,
        expression: str | None = None,
        values: Mapping[str, float] | None = None,
        /,
        *,
        title: str | None = None,
        lecture: bool = False,
        theme: str = "auto",
        **named: float,
    ):
        super().__init__(lecture=lecture, theme=theme)
        if expression is None:
            if values is not None or named:
                raise ValueError("values need an expression: GraphExplorer('x*y', x=2, y=3)")
            example = EXAMPLES["neuron"]
            expression, values, title = example.expression, example.values, title or example.title
        if title is not None and not isinstance(title, str):
            raise ValueError(f"title must be a string or None; got {type(title).__name__}")
        given = {**(dict(values) if values is not None else {}), **named}
        self._values: dict[str, float] = {}
        self._expression = ""
        self._cache: tuple | None = None
        self._origin: dict | None = None  # from_record: the record's numbers this graph started with
        added = self._take(expression, given)  # ValueError (an ExpressionError) at the door
        self._title = title or _title_of(self._expression, self._values) or OWN_TITLE
        self._stage: int | None = None
        self._selected: str | None = None
        self._typed = self._expression  # what the text box shows: a bad expression stays there to be corrected
        self._start = (self._expression, dict(self._values), self._title)
        self._build()
        self._note = _added_note(added)
        self._render_all()
        if self._good is None:  # the first drawing failed: the caller's error, said at the door
            raise ValueError(self._error)

    # ------------------------------------------------------------------ other doors
    @classmethod
    def from_example(cls, name: str, *, lecture: bool = False, theme: str = "auto") -> GraphExplorer:
        """One of ``explainer.autograd.EXAMPLES`` (neuron, add_multiply, gates, sigmoid_neuron, reuse)."""
        example = EXAMPLES[one_of(name, EXAMPLES, "name")]
        return cls(example.expression, example.values, title=example.title, lecture=lecture, theme=theme)

    @classmethod
    def from_record(
        cls, record: Record, layer: int, neuron: int, sample: int = 0, *, lecture: bool = False, theme: str = "auto"
    ) -> GraphExplorer:
        """One neuron of a network's record as its expression graph, a = f(Σᵢ wᵢ xᵢ + b), with the record's numbers.

        ``layer`` from 1 (as in the maths), ``neuron`` and ``sample`` from 0 (``neuron_expression``). The graph's
        root is the neuron's output a, so its grads are ∂a/∂·; a panel multiplies them by the record's ∂L/∂a to
        give this sample's share of the record's ∂L/∂w, ∂L/∂b and δ.
        """
        example, origin = _from_record(record, layer, neuron, sample)
        app = cls(example.expression, example.values, title=example.title, lecture=lecture, theme=theme)
        app._origin = origin
        app._request()
        return app

    def follow_record(self, record: Record, layer: int, neuron: int, sample: int = 0) -> None:
        """Show neuron ``neuron`` of ``layer`` of ``record`` again, with the record's numbers (as ``from_record``):
        the BackpropExplorer calls it after every change of its network, so the graph always shows the network's
        numbers. The backward step and the selection stay where the graph keeps its shape; reset returns here."""
        self._check_open()
        self.flush()
        example, origin = _from_record(record, layer, neuron, sample)
        same = example.expression == self._expression
        self._take(example.expression, example.values)
        self._values = dict(example.values)
        self._typed, self._title = example.expression, example.title
        self._start = (example.expression, dict(example.values), example.title)
        self._origin = origin
        if not same:
            self._stage, self._selected = None, None
        self._request()

    # ------------------------------------------------------------------ the state
    def _take(self, expression, values: Mapping[str, float]) -> list[str]:
        """Read ``expression`` with ``values`` (new variables get NEW_VALUE); keep it only if it can be read.
        Returns the names that got NEW_VALUE."""
        if not isinstance(expression, str):
            raise ValueError(f"expression must be a string; got {type(expression).__name__}")
        merged = {**self._values, **_checked_values(values)}
        added: list[str] = []
        for _ in range(64):  # at most one round per missing variable
            try:
                root, leaves = parse_expression(expression, merged)
            except ExpressionError as err:
                name = err.text
                if err.reason.startswith(f"{name} has no value") and name not in merged:
                    merged[name] = NEW_VALUE
                    added.append(name)
                    continue
                raise
            break
        else:  # pragma: no cover - parse_expression refuses more than 64 variables' worth of length first
            raise ValueError("expression has too many variables without a value")
        self._expression, self._values = expression, merged
        self._cache = None
        return added

    def _graph(self) -> tuple[Value, dict[str, Value], list[BackwardStep], Trace]:
        """The graph of the state: root, leaves, the steps of one backward pass, and its trace (cached)."""
        key = (self._expression, tuple(sorted(self._values.items())))
        if self._cache is None or self._cache[0] != key:
            root, leaves = parse_expression(self._expression, self._values)
            steps = list(backward_steps(root))  # afterwards every grad is the whole pass's
            self._cache = (key, root, leaves, steps, trace(root))
        return self._cache[1:]

    def _snapshot(self):
        return (self._expression, dict(self._values), self._title, self._stage, self._selected)

    def _restore(self, snapshot) -> None:
        self._expression, values, self._title, self._stage, self._selected = snapshot
        self._values = dict(values)
        self._cache = None

    # ------------------------------------------------------------------ building (once)
    def _build(self) -> None:
        c, own = self.controls, self._own

        button = self._button

        c["expression"] = own(
            W.Text(
                value=self._typed,
                description="f =",
                continuous_update=False,
                placeholder="an expression such as tanh(w1*x1 + w2*x2 + b), then Enter",
                style={"description_width": "initial"},
                layout=W.Layout(flex="1 1 28em", min_width="16em"),
            )
        )
        c["expression"].add_class("bpx-graph-expression")
        c["example"] = own(W.Dropdown(description="example", style={"description_width": "initial"}))
        c["back"] = button("◀ back", "One step back in the backward pass")
        c["step"] = button("backward step ▶", "The next operation hands its gradient back to its inputs", "info")
        c["whole"] = button("all gradients", "Every gradient of the backward pass at once")
        c["reset"] = button("reset", "Back to the expression and values this app started with", "warning")
        self._look_controls()
        self._sliders = own(Sliders(columns="repeat(auto-fill, minmax(17em, 1fr))"))
        self._sliders.layout.width = "100%"
        self._sliders.on_input(
            lambda key, value: self._gesture(lambda: self._on_number(_name_of(key), number(_name_of(key), value)))
        )
        self.step_panel = own(W.HTML())
        self.step_panel.add_class("bpx-panel")
        self.step_panel.add_class("bpx-graph-step")
        self.node_panel = own(W.HTML())
        self.node_panel.add_class("bpx-panel")
        self.node_panel.add_class("bpx-graph-node")
        self.context = own(W.HTML())
        self.context.add_class("bpx-panel")
        self.context.add_class("bpx-graph-context")
        _, _, _, tr = self._graph()
        self.diagram_widget = own(Diagram(graph_diagram(tr, title=self._title)))
        self.diagram_widget.layout.width = "100%"
        self.diagram_widget.on_select(lambda key: self._gesture(lambda: self.select(key)))

        c["expression"].observe(lambda ch: self._on_menu(lambda: self._on_typed(ch["new"])), "value")
        c["example"].observe(lambda ch: self._on_menu(lambda: self._on_example(ch["new"])), "value")
        c["back"].on_click(lambda _: self._gesture(lambda: self.step_backward(-1)))
        c["step"].on_click(lambda _: self._gesture(lambda: self.step_backward(+1)))
        c["whole"].on_click(lambda _: self._gesture(self.show_all))
        c["reset"].on_click(lambda _: self._gesture(self.reset))

        main = own(W.VBox([self.diagram_widget, self._sliders], layout=W.Layout(flex="1 1 36em", min_width="0")))
        main.add_class("bpx-main")
        side = own(
            W.VBox(
                [self.step_panel, self.node_panel, self.context],
                layout=W.Layout(flex="0 1 24em", min_width="16em", max_width="100%"),
            )
        )
        side.add_class("bpx-graph-side")
        bars = [
            own(W.HBox([c["expression"], c["example"]])),
            own(W.HBox([c["back"], c["step"], c["whole"], c["reset"], c["theme"], c["lecture"]])),
        ]
        for box in bars:
            box.add_class("bpx-bar")
        body = own(W.HBox([main, side], layout=W.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")))
        body.add_class("bpx-columns")
        style = own(_Style(layout=W.Layout(display="none")))
        self.root = self._wrap(own(W.VBox([style, *bars, body], layout=W.Layout(width="100%"))))
        self.root.add_class("bpx-graph-explorer")

    # ------------------------------------------------------------------ gestures
    def _on_typed(self, text: str) -> None:
        self._typed = text  # kept whether or not it can be read: the learner corrects it in place
        try:
            added = self._take(text, {})
        except ExpressionError as err:
            raise ValueError(f"{err}\nThe graph below is the last expression that could be read") from None
        self._title = _title_of(text, self._values) or OWN_TITLE
        self._stage, self._selected = None, None
        self._note = _added_note(added)

    def _on_example(self, name: str) -> None:
        if name:
            self.load_example(name)

    def _on_number(self, name: str, value: float) -> None:
        """A learner moved (or typed into) the number row of variable ``name``."""
        self._check_values_readable({**self._values, name: value})
        self._values[name] = value
        self._cache = None

    def _check_values_readable(self, values: dict[str, float]) -> None:
        """ValueError (saying where) if the expression cannot be computed with these values (log of a negative…)."""
        parse_expression(self._expression, values)

    # ------------------------------------------------------------------ public API
    @property
    def expression(self) -> str:
        """The expression drawn (the last one that could be read)."""
        return self._expression

    @property
    def values(self) -> dict[str, float]:
        """Each variable of the expression with its value (a copy)."""
        _, leaves, _, _ = self._graph()
        return {name: leaf.data for name, leaf in leaves.items()}

    @property
    def output(self) -> Value:
        """The root Value f: the expression's result (``output.data``), the graph's top."""
        return self._graph()[0]

    @property
    def leaves(self) -> dict[str, Value]:
        """Each variable's leaf Value (its ``grad`` is ∂f/∂variable after the whole backward pass)."""
        return self._graph()[1]

    @property
    def steps(self) -> list[BackwardStep]:
        """The steps of one backward pass (``backward_steps(root)``), the root's first."""
        return self._graph()[2]

    @property
    def trace(self) -> Trace:
        """``trace(root)`` after the whole backward pass."""
        return self._graph()[3]

    @property
    def stage(self) -> int | None:
        """None: every gradient; k (0 to len(steps)): the backward pass after its first k steps."""
        return self._stage

    @property
    def selected(self) -> str | None:
        return self._selected

    @property
    def title(self) -> str:
        return self._title

    @property
    def scene(self):
        """What the live diagram draws now (an ``explainer.views.diagram.Scene``)."""
        self.flush()
        return self.diagram_widget.scene

    def row(self, name: str) -> Row:
        """The number row of variable ``name`` (as ``controls[name]``, also when the name is a button's)."""
        if not isinstance(name, str) or name not in self.leaves:
            raise ValueError(f"name must be one of the variables {', '.join(self.leaves) or '(none)'}; got {name!r}")
        return Row(self._sliders, _row_key(name))

    def set_expression(self, expression: str, values: Mapping[str, float] | None = None, /, **named: float) -> None:
        """Draw another expression (ValueError, with a caret, if it cannot be read; nothing changes then)."""
        self._check_open()
        self.flush()
        added = self._take(expression, {**(dict(values) if values is not None else {}), **named})
        self._typed = expression
        self._title = _title_of(expression, self._values) or OWN_TITLE
        self._stage, self._selected = None, None
        self._note = _added_note(added)
        self._request()

    def set_value(self, name: str, value: float) -> None:
        """Give variable ``name`` a new value (every value and gradient follows)."""
        self._check_open()
        self.flush()
        if not isinstance(name, str) or name not in self.leaves:
            raise ValueError(f"name must be one of the variables {', '.join(self.leaves) or '(none)'}; got {name!r}")
        self._on_number(name, number(name, value))
        self._request()

    def step_backward(self, direction: int = 1) -> None:
        """One more (or one fewer) step of the backward pass; from every gradient, ▶ starts again at ∂f/∂f = 1."""
        self._check_open()
        if direction not in (-1, 1):
            raise ValueError(f"direction must be 1 (one step further) or -1 (one step back); got {direction!r}")
        n = len(self.steps)
        if self._stage is None:
            self._stage = 0 if direction > 0 else n
        else:
            self._stage = min(max(self._stage + direction, 0), n)
        self._request()

    def set_stage(self, stage: int | None) -> None:
        """Show the backward pass after ``stage`` steps (0 to len(steps)), or every gradient (None)."""
        self._check_open()
        n = len(self.steps)
        if stage is not None and (isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= n):
            raise ValueError(f"stage must be an integer from 0 to {n}, or None (every gradient); got {stage!r}")
        self._stage = stage
        self._request()

    def show_all(self) -> None:
        """Every gradient of the backward pass at once."""
        self.set_stage(None)

    def select(self, key: str | None) -> None:
        """Select a node (``"node:3"``, as the diagram's targets name them) for its numbers; None for none."""
        self._check_open()
        if key is not None and (not isinstance(key, str) or key not in {node_key(n.id) for n in self.trace.nodes}):
            raise ValueError(
                f"key must be a node of the graph, 'node:0' to 'node:{len(self.trace.nodes) - 1}'; got {key!r}"
            )
        self._selected = key
        self._request()

    def load_example(self, name: str) -> None:
        """Draw one of ``explainer.autograd.EXAMPLES`` with its values."""
        self._check_open()
        example = EXAMPLES[one_of(name, EXAMPLES, "name")]
        self._take(example.expression, example.values)
        self._typed, self._title = example.expression, example.title
        self._stage, self._selected = None, None
        self._note = example.description
        self._request()

    def reset(self) -> None:
        """Back to the expression, values and title the app started with."""
        self._check_open()
        expression, values, title = self._start
        self._take(expression, values)
        self._values = dict(values)
        self._typed, self._title, self._stage, self._selected = expression, title, None, None
        self._note = "Back to the start."
        self._request()

    def picture(self) -> str:
        """The graph as a standalone SVG, with what the stage does written under it (what GitHub shows of this
        app's cell, where no panel stands beside it)."""
        self.flush()
        _, _, steps, tr = self._graph()
        return self._scene(tr, None if self._stage is None else steps[: self._stage], caption=True).svg()

    def state(self) -> dict:
        self.flush()
        return {
            "expression": self._expression,
            "values": self.values,
            "title": self._title,
            "stage": self._stage,
            "lecture": self.lecture,
        }

    def set_state(self, state: dict) -> None:
        """Take a state from ``state()`` (or ``load_state``): all of it, or nothing if any part is bad."""
        self._check_open()
        if not isinstance(state, dict) or not isinstance(state.get("expression"), str):
            raise ValueError("state must be a dict from state() with an 'expression'")
        values = state.get("values", {})
        if not isinstance(values, dict):
            raise ValueError(f"state's values must be a dict of numbers; got {type(values).__name__}")
        title = state.get("title", OWN_TITLE)
        lecture = check_bool(state.get("lecture", self.lecture), "lecture")
        stage = state.get("stage")
        parse_expression(state["expression"], _checked_values(values))  # every check, before anything changes
        snapshot = self._snapshot()
        self._take(state["expression"], values)
        n = len(self.steps)
        if stage is not None and (isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= n):
            self._restore(snapshot)
            raise ValueError(f"state's stage must be an integer from 0 to {n}, or None; got {stage!r}")
        self._typed, self._title = state["expression"], str(title)
        self._stage, self._selected = stage, None
        if lecture != self.lecture:
            self.set_lecture(lecture)
        self._request()

    # ------------------------------------------------------------------ drawing: everything from the state
    def _render(self) -> None:
        root, leaves, steps, tr = self._graph()
        if self._stage is not None and self._stage > len(steps):
            self._stage = None
        if self._selected is not None and self._selected not in {node_key(n.id) for n in tr.nodes}:
            self._selected = None
        shown = None if self._stage is None else steps[: self._stage]
        scene = self._scene(tr, shown, caption=False)  # the step panel beside it says what the stage does
        lines = step_lines(tr, shown)
        self.diagram_widget.show(scene, accent=get_theme(self.drawing_theme).accent)
        announce = lines[0]
        if self._selected is not None:
            hover = scene.hovers[self._selected]
            self.node_panel.value = f"<p>{hover}</p>"
            announce = " ".join(plain_text(hover).split("\n")[:3])
        else:
            self.node_panel.value = (
                '<p class="bpx-caption">Click a node (or Tab to it and press Enter) for its value, its gradient and '
                "what it hands back to each input.</p>"
            )
        self.diagram_widget.announce = announce
        body = "".join(f"<p>{html.escape(line)}</p>" for line in lines[1:])
        self.step_panel.value = f"<p><b>{html.escape(lines[0])}</b></p>{body}"
        self.context.value = self._context_text(tr, leaves)
        self._show_numbers(leaves)
        self._drawing = True
        try:
            self._show_menus(steps)
        finally:
            self._drawing = False

    def _scene(self, tr: Trace, shown: list[BackwardStep] | None, *, caption: bool):
        return graph_diagram(
            tr,
            steps=shown,
            selected=self._selected,
            title=self._title,
            caption=caption,
            theme=self.drawing_theme,
            lecture=self.lecture,
        )

    def _context_text(self, tr: Trace, leaves: dict[str, Value]) -> str:
        """For a neuron of a record: its grads × the record's ∂L/∂a, this sample's share of the record's gradients."""
        o = self._origin
        if o is None:
            return ""
        if self._expression != o["expression"] or self.values != o["values"]:
            return (
                f'<p class="bpx-caption">Changed since it came from the network (layer {o["layer"]}, neuron '
                f"{o['neuron'] + 1}): reset to see the record's numbers again.</p>"
            )
        u = o["upstream"]
        dz = leaves["b"].grad  # ∂a/∂z, as ∂z/∂b = 1 (also where z appears twice, as in the leaky ReLU's max)
        share = "" if o["n_samples"] == 1 else f" (sample {o['sample'] + 1} of {o['n_samples']}: its share)"
        lines = [
            f"In the network, the loss's gradient arriving at this neuron is ∂L/∂a = {fmt(u)}{share}. The chain rule "
            f"multiplies every grad here (∂a/∂·) by it:",
            f"δ = ∂L/∂z = ∂a/∂z × ∂L/∂a = {fmt_plain(dz)} × {fmt_plain(u)} = {fmt(dz * u)} "
            f"(the record: {fmt(o['delta'])})",
        ]
        whose = "the record's" if o["n_samples"] == 1 else "the record's, summed over the samples,"
        for name, leaf in leaves.items():
            if name in o["record"]:
                line = f"∂L/∂{name} = {fmt_plain(leaf.grad)} × {fmt_plain(u)} = {fmt(leaf.grad * u)}"
                lines.append(f"{line} ({whose} {fmt(o['record'][name])})")
        for name, leaf in leaves.items():
            if name[0] == "x":
                lines.append(
                    f"∂L/∂{name} through this neuron = {fmt_plain(leaf.grad)} × {fmt_plain(u)} = {fmt(leaf.grad * u)}"
                )
        return "".join(f"<p>{html.escape(line)}</p>" for line in lines)

    def _show_numbers(self, leaves: dict[str, Value]) -> None:
        rows = []
        for name, leaf in leaves.items():
            value = leaf.data
            lo, hi = widened(value, -VALUE_RANGE, VALUE_RANGE)
            rows.append(row(_row_key(name), name, value, lo, hi, 0.01, group="the variables: nudge one"))
        self._sliders.set_rows(rows)
        keys = {r["key"] for r in rows}
        for key in keys - set(self.controls):
            self.controls[key] = Row(self._sliders, key)
        for key in [k for k, v in self.controls.items() if isinstance(v, Row) and k not in keys]:
            del self.controls[key]

    def _show_menus(self, steps: list[BackwardStep]) -> None:
        c = self.controls
        set_if_changed(c["expression"], "value", self._typed)
        examples = [(e.title, name) for name, e in EXAMPLES.items()]
        current = next(
            (n for n, e in EXAMPLES.items() if e.expression == self._expression and e.title == self._title), OWN
        )
        if current == OWN:
            examples = [("(your own expression)", OWN), *examples]
        set_if_changed(c["example"], "options", examples)
        set_if_changed(c["example"], "value", current)
        set_if_changed(c["lecture"], "value", self.lecture)
        set_if_changed(c["theme"], "value", self.theme)
        n = len(steps)
        c["step"].disabled = n == 0 or self._stage == n
        c["back"].disabled = n == 0 or self._stage == 0
        c["whole"].disabled = self._stage is None
        c["step"].description = "backward step ▶" if self._stage is None or self._stage < n else "backward pass done"


# ---------------------------------------------------------------------------------------------- helpers
def _from_record(record: Record, layer: int, neuron: int, sample: int):
    """The expression of one neuron of ``record`` and the record's numbers the graph's panel compares with."""
    if not isinstance(record, Record):
        raise ValueError(f"record must be a Record from Network.backprop(X, y); got {type(record).__name__}")
    example = neuron_expression(record, layer, neuron, sample)
    origin = {
        "expression": example.expression,
        "values": dict(example.values),
        "upstream": float(record.grad_activations[layer - 1][sample, neuron]),  # ∂L/∂a of this neuron
        "layer": layer,
        "neuron": neuron,
        "sample": sample,
        "n_samples": int(record.n_samples),
        "delta": float(record.deltas[layer - 1][sample, neuron]),
        "record": {f"w{i + 1}": float(g) for i, g in enumerate(record.grad_weights[layer - 1][:, neuron])}
        | {"b": float(record.grad_biases[layer - 1][neuron])},  # sums over the samples
    }
    return example, origin


def _row_key(name: str) -> str:
    """A variable's key among the controls: its name, unless a button has it."""
    return f"{name} (variable)" if name in BUTTONS else name


def _name_of(key: str) -> str:
    """The variable of a number row's key (``_row_key``'s inverse)."""
    return key.removesuffix(" (variable)")


def _checked_values(values: Mapping) -> dict[str, float]:
    if not isinstance(values, Mapping):
        raise ValueError(f"values must be a dict from variable names to numbers; got {type(values).__name__}")
    out = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"the value of {name} must be a finite number; got {value!r}")
        out[name] = float(value)
    return out


def _title_of(expression: str, values: dict[str, float]) -> str:
    """An example's title when the expression is one of EXAMPLES with its values, else ""."""
    for e in EXAMPLES.values():
        if e.expression == expression and all(values.get(k) == v for k, v in e.values.items()):
            return e.title
    return ""


def _added_note(added: list[str]) -> str:
    if not added:
        return ""
    names = ", ".join(added)
    return f"{names} had no value: {'they start' if len(added) > 1 else 'it starts'} at {NEW_VALUE:g}. Nudge below."
