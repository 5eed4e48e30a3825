"""The exercise checkers as apps: a learner's backward pass checked against the engine, the verdict in green or red,
and a "show solution" toggle.

- ``ExerciseChecker`` / ``check_exercise``: one layer's backward pass (``explainer.course.exercises``).
- ``GraphChecker`` / ``check_graph``: the whole graph of a two-layer network, every intermediate from z¹ to ∂L/∂b¹
  (``explainer.course.graph_check``), in a table: exact / close / max difference / shape, the first wrong one
  marked with its likely mistake.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as W

from ..course import graph_check
from ..course.exercises import ExerciseResult, check_layer_backward, exercise_case, solution_code
from ..course.graph_check import MISTAKES, GraphCheckResult, check_graph_backward, graph_case
from ..views.text_picture import Block, Table, text_picture
from .app import App

# How a table row's verdict reads, and its colour (the course's: right in green, wrong in the warning orange).
VERDICTS = {
    "exact": ("exact", "ok"),
    "close": ("close", "ok"),
    "follows": ("follows from yours", "follows"),
    "wrong": ("wrong", "wrong"),
    "shape": ("wrong shape", "wrong"),
    "missing": ("not written yet", "missing"),
    "not_array": ("not an array", "wrong"),
    "not_finite": ("NaN or ∞", "wrong"),
}
_INK = {
    "ok": "var(--jp-success-color0, #0b5d1e)",
    "follows": "var(--jp-ui-font-color2, #555)",
    "wrong": "var(--jp-warn-color0, #7a1c00)",
    "missing": "var(--jp-ui-font-color2, #555)",
}


NOT_YET = "No function checked yet: app.check(backward)."

# Outcomes the verdict itself explains (not written yet, the call failed): no "likely mistake" line under it.
_SAID_BY_THE_VERDICT = ("missing", "exception", "timeout", "return")


class _Checker(App):
    """What both checkers share: a signature line, the verdict, and the solution behind a toggle."""

    _solution_tooltip = "Reveal a correct backward function"

    def __init__(self, signature: str, *, lecture: bool, theme: str):
        super().__init__(lecture=lecture, theme=theme)
        self._shown = False  # the solution
        self._signature = signature
        self.signature = self._own(W.HTML(f'<div class="bpx-exercise-signature">{html.escape(signature)}</div>'))
        self.verdict = self._own(W.HTML())
        self.solution = self._own(W.HTML(layout=W.Layout(display="none")))
        self.controls["solution"] = self._own(
            W.ToggleButton(value=False, description="show solution", icon="eye", tooltip=self._solution_tooltip)
        )
        self.controls["solution"].layout.width = "auto"
        self.controls["solution"].observe(lambda ch: self._gesture(lambda: self._show_solution(ch["new"])), "value")

    def _solution_source(self) -> str:  # pragma: no cover - each checker has its own
        raise NotImplementedError

    def _show_solution(self, shown: bool) -> None:
        self._shown = bool(shown)

    def _verdict_html(self, result, empty: str) -> str:
        if result is None:
            return f'<div class="bpx-exercise-wrong">{html.escape(empty)}</div>'
        css, mark = ("bpx-exercise-ok", "✓") if result.ok else ("bpx-exercise-wrong", "✗")
        return f'<div class="{css}">{mark} {html.escape(result.message)}</div>'

    def _render_solution(self) -> None:
        if self._shown and not self.solution.value:
            self.solution.value = f'<div class="bpx-exercise-code">{html.escape(self._solution_source())}</div>'
        self.solution.layout.display = None if self._shown else "none"
        self.controls["solution"].description = "hide solution" if self._shown else "show solution"
        if self.controls["solution"].value != self._shown:
            self.controls["solution"].value = self._shown

    def _verdict_blocks(self, result, empty: str) -> list[Block]:
        if result is None:
            return [Block(empty, "wrong")]
        return [Block(f"{'✓' if result.ok else '✗'} {result.message}", "ok" if result.ok else "wrong")]

    def _picture_blocks(self) -> list[Block | Table]:  # pragma: no cover - each checker has its own
        raise NotImplementedError

    def picture(self) -> str:
        """The signature, the verdict (and the solution when shown) as a standalone SVG (what GitHub shows of
        this app's cell)."""
        self.flush()
        blocks = [Block(self._signature, "code"), *self._picture_blocks()]
        if self._shown:
            blocks.append(Block(self._solution_source(), "code"))
        return text_picture(blocks, title=type(self).__name__, theme=self.drawing_theme).svg()

    def _snapshot(self):
        return (self.result, self._shown)

    def _restore(self, snapshot) -> None:
        self.result, self._shown = snapshot

    def state(self) -> dict:
        return {"seed": self.seed, "solution": self._shown}

    def set_state(self, state: dict) -> None:
        self._check_open()
        self._shown = bool(state.get("solution", False))
        self._request()

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    def refresh(self) -> None:
        self._request()


class ExerciseChecker(_Checker):
    """Check ``backward(a_prev, W, z, grad_a) -> (delta, grad_W, grad_b, grad_a_prev)`` and show the verdict.

    ``ExerciseChecker(backward)`` runs ``explainer.course.exercises.check_layer_backward`` at once (with its
    time limit: a function that does not return says so instead of freezing the kernel); ``app.check(fn)``
    checks another function. ``app.result`` is the ExerciseResult, ``app.verdict`` the HTML widget showing
    it (green when right, red with the first wrong gradient otherwise). ``app.controls["solution"]``
    toggles the reference solution's code (``app.solution``).
    """

    def __init__(self, user_fn: Callable | None = None, *, seed: int = 0, lecture: bool = False, theme: str = "auto"):
        case = exercise_case(seed)  # validates the seed, and gives the shapes to show
        shapes = (
            f"backward(a_prev {case.a_prev.shape}, W {case.W.shape}, z {case.z.shape}, grad_a {case.grad_a.shape})"
            " → delta, grad_W, grad_b, grad_a_prev"
        )
        super().__init__(shapes, lecture=lecture, theme=theme)
        self.seed = seed
        self.result: ExerciseResult | None = None
        body = self._own(W.VBox([self.signature, self.verdict, self.controls["solution"], self.solution]))
        self.root = self._wrap(body)
        if user_fn is not None:
            self.check(user_fn)
        else:
            self._render_all()

    def check(self, user_fn: Callable) -> ExerciseResult:
        """Run the checker on ``user_fn`` and show the verdict (ValueError if it is not a function)."""
        self._check_open()
        self.result = check_layer_backward(user_fn, seed=self.seed)
        self._request()
        return self.result

    def _solution_source(self) -> str:
        return solution_code()

    def _render(self) -> None:
        self.verdict.value = self._verdict_html(self.result, NOT_YET)
        self._render_solution()

    def _picture_blocks(self) -> list[Block | Table]:
        return self._verdict_blocks(self.result, NOT_YET)


def check_exercise(user_fn: Callable, *, seed: int = 0, lecture: bool = False) -> ExerciseChecker:
    """Check a learner's layer backward function and return the app that shows the verdict (display it)."""
    return ExerciseChecker(user_fn, seed=seed, lecture=lecture)


# ---------------------------------------------------------------------------------------------- the whole graph
class GraphChecker(_Checker):
    """Check ``backward(X, Y, W1, b1, W2, b2) -> dict`` of a two-layer network's twelve intermediates.

    ``GraphChecker(backward)`` runs ``explainer.course.graph_check.check_graph_backward`` at once (a 4-5-3
    sigmoid-softmax network, six samples, with a time limit) and shows the verdict, then a table with one row per
    intermediate in the order the passes compute them (z¹, a¹, z², p, L, then ∂L/∂z² … ∂L/∂b¹): your shape and
    the engine's, exact / close / wrong, the largest difference, and a note; the first wrong row is marked and
    its likely mistake named above the table. A row that is wrong only because an earlier one is reads
    "follows from yours". ``app.check(fn)`` checks another function; ``app.result`` is the GraphCheckResult,
    ``app.table`` the table's HTML widget, ``app.mistake`` the line naming the mistake;
    ``app.controls["solution"]`` toggles the reference solution (``app.solution``).
    """

    _solution_tooltip = "Reveal a correct backward function, every intermediate written out"

    def __init__(
        self,
        user_fn: Callable | None = None,
        *,
        seed: int = 0,
        time_limit: float = graph_check.TIME_LIMIT,
        lecture: bool = False,
        theme: str = "auto",
    ):
        case = graph_case(seed)  # validates the seed, and gives the shapes to show
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit <= 60:
            raise ValueError(f"time_limit must be a number of seconds from 0 to 60; got {time_limit!r}")
        args = ", ".join(f"{k} {getattr(case, k).shape}" for k in ("X", "Y", "W1", "b1", "W2", "b2"))
        super().__init__(
            f"backward({args}) → {{z1, a1, z2, p, loss, grad_z2, …, grad_b1}}", lecture=lecture, theme=theme
        )
        self.seed, self.time_limit = seed, float(time_limit)
        self.result: GraphCheckResult | None = None
        self.mistake = self._own(W.HTML())
        self.table = self._own(W.HTML(layout=W.Layout(overflow="auto", max_width="100%")))
        body = [self.signature, self.verdict, self.mistake, self.table, self.controls["solution"], self.solution]
        self.root = self._wrap(self._own(W.VBox(body)))
        self.root.add_class("bpx-graph-checker")
        if user_fn is not None:
            self.check(user_fn)
        else:
            self._render_all()

    def check(self, user_fn: Callable) -> GraphCheckResult:
        """Run the checker on ``user_fn`` and show its verdict and table (ValueError if it is not a function)."""
        self._check_open()
        self.result = check_graph_backward(user_fn, seed=self.seed, time_limit=self.time_limit)
        self._request()
        return self.result

    def _solution_source(self) -> str:
        return graph_check.solution_code()

    def _render(self) -> None:
        r = self.result
        self.verdict.value = self._verdict_html(r, NOT_YET)
        mistake = _mistake(r)
        if mistake:
            lead, what = mistake
            self.mistake.value = f'<div class="bpx-caption"><b>{html.escape(lead)}</b> {html.escape(what)}</div>'
        else:
            self.mistake.value = ""
        self.table.value = "" if r is None or not r.items else _table(r)
        self._render_solution()

    def _picture_blocks(self) -> list[Block | Table]:
        r = self.result
        blocks: list[Block | Table] = self._verdict_blocks(r, NOT_YET)
        mistake = _mistake(r)
        if mistake:
            blocks.append(Block(" ".join(mistake), "body"))
        if r is not None and r.items:
            header, rows, kinds, marked = _table_rows(r)
            blocks.append(Table(header, rows, kinds, coloured=(0, 4), marked=marked))
        return blocks


def _mistake(r: GraphCheckResult | None) -> tuple[str, str] | None:
    """("Likely mistake in ∂L/∂z²:", what it is) when the first wrong intermediate has a known likely mistake."""
    if r is None or r.ok or r.mistake not in MISTAKES or r.mistake in _SAID_BY_THE_VERDICT:
        return None
    where = f" in {graph_check.SYMBOL[r.first_wrong]}" if r.first_wrong else ""
    return f"Likely mistake{where}:", MISTAKES[r.mistake]


HEADER = ("", "intermediate", "yours", "engine", "verdict", "max |diff|", "note")


def _table_rows(r: GraphCheckResult) -> tuple[tuple[str, ...], tuple, tuple[str, ...], int | None]:
    """The table as text: the header, one row per intermediate, each row's colour kind, the marked row."""
    rows, kinds, marked = [], [], None
    for n, c in enumerate(r.items):
        status = "follows" if c.follows is True and c.status == "wrong" else c.status
        words, kind = VERDICTS[status]
        first = c.name == r.first_wrong
        marked = n if first else marked
        shape = "—" if c.shape is None else str(c.shape)
        diff = "—" if c.max_abs_diff is None else f"{c.max_abs_diff:.1e}"
        rows.append(("▶" if first else "", c.symbol, shape, str(c.expected_shape), words, diff, c.note))
        kinds.append(kind)
    return HEADER, tuple(rows), tuple(kinds), marked


def _table(r: GraphCheckResult) -> str:
    """The per-intermediate table: one row each, the first wrong one marked (▶) and set off by a border."""
    cell = 'style="padding:2px 10px 2px 0;text-align:{align};vertical-align:top;{more}"'
    aligns = ("left", "left", "right", "right", "left", "right", "left")
    line = "border-bottom:1px solid var(--jp-border-color1, #bbb)"
    head = "".join(f"<th {cell.format(align=a, more=line)}>{t}</th>" for t, a in zip(HEADER, aligns))
    header, rows, kinds, marked = _table_rows(r)
    out = []
    for n, (row, kind, c) in enumerate(zip(rows, kinds, r.items)):
        more = "font-weight:600;" if n == marked else ""
        ink = f"color:{_INK[kind]};"
        mono = "font-family:monospace;"
        styles = (ink, more, mono, mono, ink + more, mono, "white-space:normal;")
        tds = "".join(
            f"<td {cell.format(align=a, more=m)}>{html.escape(v)}</td>" for v, a, m in zip(row, aligns, styles)
        )
        style = ' style="outline:2px solid var(--jp-warn-color1, #d55e00)"' if n == marked else ""
        out.append(f'<tr data-name="{c.name}"{style}>{tds}</tr>')
    return (
        '<table class="bpx-graph-table" style="border-collapse:collapse;line-height:1.35">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(out)}</tbody></table>"
    )


def check_graph(
    user_fn: Callable, *, seed: int = 0, time_limit: float = graph_check.TIME_LIMIT, lecture: bool = False
) -> GraphChecker:
    """Check a learner's whole-graph backward function and return the app showing the table (display it)."""
    return GraphChecker(user_fn, seed=seed, time_limit=time_limit, lecture=lecture)
