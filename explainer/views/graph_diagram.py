"""An expression graph drawn as an SVG scene: every node's value and gradient, every edge the share it carries.

``graph_diagram(trace(root))`` draws a graph of ``explainer.autograd`` Values the way the network diagram draws a
network (the same ``Scene`` of parts, the same live widget, its lecture scale, the dark theme): leaves on the left,
each operation one column right of its deepest input, the root on the right. Each node shows its operation,
its value above and its gradient ``grad = ∂f/∂node`` below (f is the root); each edge is coloured by the
gradient it carries back (local derivative × the gradient of the node it feeds) and labelled with it. Where a
pattern of backward flow occurs the node names it: + and − *distribute*, × *swaps*, max and relu *route*, and
a value used more than once *sums* what its uses hand back (``+=``).

``steps``, the first k steps of ``backward_steps(root)``, draws the backward pass as it stands after them:
gradients not reached yet are blank, the step just taken is lit (its node, the edges it passed, and on each
edge *local × upstream = share*), and an input that had already received a share shows the ``+=``.

Layout from the trace alone: columns by depth, the order within a column by the barycentre of the nodes it is
joined to (fewer crossings), and each column's positions as close to its neighbours' as the spacing allows
(an isotonic regression, so nothing overlaps). Edge numbers go where they touch no node and no other number;
where none fits, fewer digits, and then a note (the node's hover text still has every number).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.autograd import PATTERNS, BackwardStep, Trace, TraceNode
from .diagram import Part, Scene, circle, group, rect, target, text, text_width, wrap
from .network_diagram import LECTURE_SCALE, diagram_theme
from .style import THEMES, Theme, finite_max_abs, fmt, fmt_plain, scale_color

WIDTH = 1000.0  # px the diagram is laid out for
LECTURE_WIDTH = 1700.0  # in lecture mode (as the network diagram): the output area of a 1920 px screen
MIN_DX, MAX_DX = 96.0, 180.0  # px between columns (× the lecture scale)
ROOT = "f"  # how the texts name the root: grad = ∂f/∂node
NAME_CHARS = 24  # an operation's source text is shortened to this many characters in texts
LECTURE_TEXT = 24.0  # px: the smallest text in lecture mode, at the scene's natural size
__all__ = ["graph_diagram", "step_lines", "node_key", "op_symbol", "node_name", "LECTURE_SCALE", "WIDTH"]

_OP_SYMBOL = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−x", "sigmoid": "σ"}
_OP_WORD = {
    "+": "a sum",
    "-": "a difference",
    "*": "a product",
    "/": "a quotient",
    "neg": "a negation",
    "exp": "exp",
    "log": "log",
    "tanh": "tanh",
    "sigmoid": "σ",
    "relu": "relu",
    "max": "max",
}
TAGS = {"add_distributes": "distributes", "multiply_swaps": "swaps", "max_routes": "routes", "reuse_sums": "sums"}
PATTERN_NAMES = {
    "add_distributes": "+ distributes",
    "multiply_swaps": "× swaps",
    "max_routes": "max routes",
    "reuse_sums": "a reused value sums",
}
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _pattern(key: str) -> str:
    """A pattern's sentence as plain text (the engine's marks *emphasis* with stars)."""
    return PATTERNS[key].replace("*", "")


def node_key(node_id: int) -> str:
    """The diagram key of a node (what a click or Enter selects): ``"node:3"``."""
    return f"node:{node_id}"


def op_symbol(op: str) -> str:
    """How a node's operation is written inside it: + − × ÷ x² σ tanh exp …"""
    if op.startswith("**"):
        k = op[2:]
        return f"x{k.translate(_SUP)}" if re.fullmatch(r"-?\d+", k) else f"x^{k}"
    return _OP_SYMBOL.get(op, op)


def node_name(node: TraceNode) -> str:
    """A node as the texts name it: its variable, its number, or its operation's source text (shortened)."""
    label = node.label or (f"#{node.id}" if node.kind != "op" else f"#{node.id} ({op_symbol(node.op)})")
    return label if len(label) <= NAME_CHARS else label[: NAME_CHARS - 1] + "…"


# --------------------------------------------------------------------------------------------- the gradients
@dataclass(frozen=True)
class _Grads:
    """The gradients as they stand after some steps of the backward pass (all of them when ``steps`` is None)."""

    grad: tuple[float | None, ...]  # per node; None: no share has reached it yet
    received: tuple[int, ...]  # shares received so far, per node
    edge_grad: tuple[float | None, ...]  # per edge: the share it carried (None: not passed yet)
    current: BackwardStep | None  # the step just taken
    current_edges: frozenset[int]
    stage: int | None  # how many steps were taken (None: the whole pass)


def _edge_index(tr: Trace) -> dict[tuple[int, int], int]:
    return {(e.target, e.position): k for k, e in enumerate(tr.edges)}


def _grads(tr: Trace, steps: Sequence[BackwardStep] | None) -> _Grads:
    if steps is None:
        return _Grads(
            tuple(n.grad for n in tr.nodes),
            tuple(len(n.users) for n in tr.nodes),
            tuple(e.grad for e in tr.edges),
            None,
            frozenset(),
            None,
        )
    grad: list[float | None] = [None] * len(tr.nodes)
    grad[tr.root] = 1.0  # ∂f/∂f
    received = [0] * len(tr.nodes)
    edge_grad: list[float | None] = [None] * len(tr.edges)
    where = _edge_index(tr)
    for s in steps:
        for c in s.contributions:
            grad[c.child_id] = c.after
            received[c.child_id] += 1
            edge_grad[where[(s.node_id, c.position)]] = c.amount
    current = steps[-1] if steps else None
    lit = frozenset(where[(current.node_id, c.position)] for c in current.contributions) if current else frozenset()
    return _Grads(tuple(grad), tuple(received), tuple(edge_grad), current, lit, len(steps))


def _check_steps(tr: Trace, steps) -> None:
    if steps is None:
        return
    order = tr.backward_order
    if not isinstance(steps, Sequence) or len(steps) > len(order):
        raise ValueError(f"steps must be a list of at most {len(order)} steps of backward_steps(root), or None")
    for k, s in enumerate(steps):
        if not isinstance(s, BackwardStep) or s.node_id != order[k]:
            raise ValueError(
                "steps must be the first steps of backward_steps(root) for the root this trace was made from, "
                f"in order (step {k} treats node {order[k]})"
            )


# --------------------------------------------------------------------------------------------- texts
def _local_why(tr: Trace, node: TraceNode, position: int) -> str:
    """Where an operation's local derivative for one input comes from, with the numbers."""
    op, local = node.op, node.local_grads[position]
    kids = [tr.nodes[c] for c in node.children]
    if op in ("+", "-", "neg"):
        return fmt(local)
    if op == "*":
        other = kids[1 - position]
        return f"{node_name(other)} = {fmt(local)}"
    if op == "/":
        return f"1/b = {fmt(local)}" if position == 0 else f"−a/b² = {fmt(local)}"
    if op.startswith("**"):
        return f"{op[2:]}·a^({op[2:]} − 1) = {fmt(local)}"
    if op == "exp":
        return f"e^a = {fmt(local)}"
    if op == "log":
        return f"1/a = {fmt(local)}"
    if op == "tanh":
        t = node.data
        return f"1 − tanh² = 1 − ({fmt_plain(t)})² = {fmt(local)}" if t < 0 else f"1 − {fmt_plain(t)}² = {fmt(local)}"
    if op == "sigmoid":
        return f"σ(1 − σ) = {fmt_plain(node.data)} × {fmt_plain(1 - node.data)} = {fmt(local)}"
    if op == "relu":
        return f"{fmt(local)} (the input is {'> 0' if local else '≤ 0'})"
    if op == "max":
        won = {1.0: "the larger", 0.0: "the smaller", 0.5: "a tie"}.get(local, "")
        return f"{fmt(local)} ({won})"
    return fmt(local)


def step_lines(tr: Trace, steps: Sequence[BackwardStep] | None) -> list[str]:
    """What one stage of the backward pass does, in plain lines (the app's step panel, the scene's caption).

    ``steps`` None: the whole pass and the patterns it shows; [] the start (∂f/∂f = 1); k steps: the k-th step's
    node, its complete gradient, and for each input local derivative × upstream = share (and the ``+=``).
    """
    _check_steps(tr, steps)
    root = tr.nodes[tr.root]
    order = tr.backward_order
    n = len(order)
    if steps is None:
        if not n:
            return [
                f"{ROOT} = {node_name(root)} is a single value: ∂{ROOT}/∂{ROOT} = 1, and there is nothing to pass on."
            ]
        ops = ", ".join(op_symbol(tr.nodes[i].op) for i in order[:12]) + (", …" if n > 12 else "")
        out = [
            f"Every gradient of one backward pass: on each node grad = ∂{ROOT}/∂node, on each edge the share it "
            f"carries back. backward step ▶ walks it in topological order, {n} operation{'s' * (n > 1)}: {ops}."
        ]
        seen: dict[str, int] = {}
        for key, _ in tr.patterns:
            seen[key] = seen.get(key, 0) + 1
        for key in PATTERNS:
            if key in seen:
                out.append(f"{PATTERN_NAMES[key]} ({seen[key]}×): {_pattern(key)}.")
        return out
    if not steps:
        return [
            f"Start: ∂{ROOT}/∂{ROOT} = 1 at the root, {ROOT} = {node_name(root)} = {fmt(root.data)}.",
            f"Each step takes the next operation in topological order ({n} in all): its gradient is complete by "
            "then, and it hands each input local derivative × its own gradient (the chain rule).",
        ]
    s = steps[-1]
    node = tr.nodes[s.node_id]
    name = node_name(node)
    out = [
        f"Step {len(steps)} of {n}: {name} ({_OP_WORD.get(node.op, op_symbol(node.op))}) has its complete "
        f"gradient ∂{ROOT}/∂({name}) = {fmt(s.upstream)}. It hands each input local × upstream:"
    ]
    for c in s.contributions:
        child = tr.nodes[c.child_id]
        line = f"→ {node_name(child)}: {_local_why(tr, node, c.position)} × {fmt_plain(s.upstream)} = {fmt(c.amount)}"
        if c.accumulates:
            line += f"; grad {fmt(c.before)} += {fmt(c.amount)} → {fmt(c.after)}"
        elif c.reused:
            line += f" (its first share of {len(child.users)})"
        out.append(line)
    out.append(f"The rule: {node.rule}.")
    if s.pattern:
        out.append(f"{PATTERN_NAMES[s.pattern]}: {_pattern(s.pattern)}.")
    if any(c.accumulates for c in s.contributions):
        out.append(f"{PATTERN_NAMES['reuse_sums']}: {_pattern('reuse_sums')}.")
    return out


def _hover(tr: Trace, node: TraceNode, g: _Grads) -> str:
    """A node's tooltip (HTML; every text from the expression is escaped)."""
    e = html.escape
    name = node_name(node)
    kind = {"input": "an input", "constant": "a constant"}.get(node.kind, _OP_WORD.get(node.op, node.op))
    lines = [f"<b>{e(node.label or name)}</b>: {e(kind)}" + (", the root f" if node.id == tr.root else "")]
    lines.append(f"value {e(fmt(node.data))}")
    grad = g.grad[node.id]
    if grad is None:
        lines.append("grad: not reached yet")
    else:
        partial = g.received[node.id] < len(node.users)
        so_far = f" so far ({g.received[node.id]} of {len(node.users)} shares)" if partial else ""
        lines.append(f"grad = ∂{ROOT}/∂({e(name)}) = {e(fmt(grad))}{so_far}")
    if node.reused:
        where = _edge_index(tr)
        shares = []
        for e_ in tr.edges:
            if e_.source == node.id:
                amount = g.edge_grad[where[(e_.target, e_.position)]]
                if amount is not None:
                    shares.append(f"{fmt(amount)} from {node_name(tr.nodes[e_.target])}")
        lines.append(f"used {len(node.users)} times: its grad sums (+=) {e(' and '.join(shares) or 'their shares')}")
    if node.kind == "op":
        lines.append(f"rule: {e(node.rule)}")
        for position, child in enumerate(node.children):
            lines.append(f"to {e(node_name(tr.nodes[child]))}: local {e(_local_why(tr, node, position))}")
        if node.pattern:
            lines.append(e(f"{PATTERN_NAMES[node.pattern]}: {_pattern(node.pattern)}"))
    return "<br>".join(lines)


# --------------------------------------------------------------------------------------------- layout
@dataclass
class _Node:
    """A node's drawing: its core shape's size, the lines beside it, and its extents around its centre."""

    id: int
    kind: str
    col: int
    core: str  # what is written inside
    w: float  # core width (2r for an operation)
    h: float
    above: list[tuple[str, str]]  # (text, role) lines above an operation; role: value, grad, tag, plus
    below: list[tuple[str, str]]
    left: list[tuple[str, str]]  # an input's lines, on its left
    up: float = 0.0  # extents around the centre, px
    down: float = 0.0
    left_extent: float = 0.0
    right_extent: float = 0.0
    x: float = 0.0
    y: float = 0.0


def _columns(tr: Trace) -> list[int]:
    """Leaves in column 0, each operation one right of its deepest input, a constant just left of its first use."""
    col = [0] * len(tr.nodes)
    for n in tr.nodes:  # topological order: inputs first
        if n.kind == "op":
            col[n.id] = 1 + max((col[c] for c in n.children), default=0)
    for n in tr.nodes:
        if n.kind == "constant" and n.users:
            col[n.id] = max(0, min(col[u] for u in n.users) - 1)
    return col


def _isotonic(values: list[float]) -> list[float]:
    """The nondecreasing sequence closest to ``values`` in least squares (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return [s / c for s, c in blocks for _ in range(int(c))]


def _place_column(nodes: list[_Node], desired: dict[int, float], gap: float) -> None:
    """Order a column by desired y and put each node as near it as the spacing allows (no two overlap)."""
    nodes.sort(key=lambda n: (desired[n.id], n.y, n.id))
    offsets = [0.0]
    for a, b in zip(nodes, nodes[1:]):
        offsets.append(offsets[-1] + a.down + b.up + gap)
    fitted = _isotonic([desired[n.id] - o for n, o in zip(nodes, offsets)])
    for n, z, o in zip(nodes, fitted, offsets):
        n.y = z + o


def _layout(tr: Trace, nodes: list[_Node], gap: float, lane: float) -> tuple[list[list[_Node]], list[list[int]]]:
    """Every node's column and y; and per edge its chain of node ids, with a waypoint in each column it crosses
    (so that a long edge gets a lane of its own and runs past the nodes between, never through their texts)."""
    by_id = {n.id: n for n in nodes}
    chains: list[list[int]] = []
    for e in tr.edges:
        chain = [e.source]
        for c in range(by_id[e.source].col + 1, by_id[e.target].col):
            way = _Node(len(by_id), "way", c, "", 0.0, 0.0, [], [], [], up=lane, down=lane)
            by_id[way.id] = way
            nodes.append(way)
            chain.append(way.id)
        chain.append(e.target)
        chains.append(chain)
    users: dict[int, list[int]] = {i: [] for i in by_id}
    inputs: dict[int, list[int]] = {i: [] for i in by_id}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            users[a].append(b)
            inputs[b].append(a)
    n_cols = max(n.col for n in nodes) + 1
    columns: list[list[_Node]] = [[] for _ in range(n_cols)]
    for n in nodes:
        columns[n.col].append(n)
    for col in columns:  # a first guess: the topological (argument) order, centred
        y = 0.0
        for a in col:
            a.y = y + a.up
            y = a.y + a.down + gap
        for a in col:
            a.y -= y / 2

    def mean(ids, fallback: float) -> float:
        ys = [by_id[i].y for i in ids]
        return sum(ys) / len(ys) if ys else fallback

    for _ in range(6):
        for col in reversed(columns[:-1]):  # from the root back: each node near the nodes that use it
            _place_column(col, {n.id: mean(users[n.id], n.y) for n in col}, gap)
        for col in columns[1:]:  # and forward: each operation near its inputs
            _place_column(col, {n.id: mean(inputs[n.id], n.y) for n in col}, gap)
    return columns, chains


# --------------------------------------------------------------------------------------------- drawing helpers
@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def hits(self, other: _Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


def _text_box(x: float, y: float, content: str, size: float, anchor: str = "middle") -> _Box:
    w = text_width(content, size)
    x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return _Box(x0, y - 0.5 * size, x0 + w, y + 0.5 * size)


def _spline(points: list[tuple[float, float]], bend: float):
    """An edge through its waypoints: one cubic per stretch, horizontal at every point (so it runs smoothly
    through the columns it crosses); ``bend`` px up or down for parallel edges (the two inputs of x*x).
    Returns the SVG path and ``at(t)``, the point a fraction t along it."""
    pieces = []
    for (x0, y0), (x3, y3) in zip(points, points[1:]):
        xm = (x0 + x3) / 2
        pieces.append(((x0, y0), (xm, y0 + bend), (xm, y3 + bend), (x3, y3)))
    d = f"M{points[0][0]:.2f},{points[0][1]:.2f} " + " ".join(
        f"C{p1[0]:.2f},{p1[1]:.2f} {p2[0]:.2f},{p2[1]:.2f} {p3[0]:.2f},{p3[1]:.2f}" for _, p1, p2, p3 in pieces
    )

    def at(t: float) -> tuple[float, float]:
        k = min(int(t * len(pieces)), len(pieces) - 1)
        u = t * len(pieces) - k
        p0, p1, p2, p3 = pieces[k]
        v = 1 - u
        return tuple(v**3 * a + 3 * v * v * u * b + 3 * v * u * u * c + u**3 * e for a, b, c, e in zip(p0, p1, p2, p3))

    return d, at


def _ink_on(value: float | None, vmax: float, th: Theme) -> str:
    if value is None:
        return th.text
    if not math.isfinite(value):
        return "#ffffff"
    return "#ffffff" if vmax > 0 and abs(value) / vmax > 0.55 else th.text


def _fit(content: str, size: float, room: float) -> str:
    """``content`` cut with … to fit ``room`` px."""
    if text_width(content, size) <= room:
        return content
    while content and text_width(content + "…", size) > room:
        content = content[:-1]
    return content + "…"


# --------------------------------------------------------------------------------------------- the scene
def graph_diagram(
    tr: Trace,
    *,
    steps: Sequence[BackwardStep] | None = None,
    selected: str | None = None,
    title: str = "An expression graph",
    caption: bool = True,
    theme: str = "light",
    lecture: bool = False,
    width: float | None = None,
) -> Scene:
    """The graph of ``tr`` (``trace(root)`` after ``root.backward()``) as an SVG scene.

    Node: its operation (or name, or number) inside; value above, grad = ∂f/∂node below (f the root); an input's
    lines on its left. Edge: the share of the gradient it carries back, local derivative × upstream.

    Parameters
    ----------
    tr: the trace (its gradients are the whole pass's, shown when ``steps`` is None).
    steps: the first k steps of ``backward_steps(root)`` (k from 0 to the number of operations): the backward pass
        as it stands after them, the k-th lit. None: every gradient at once.
    selected: a node key (``node_key(id)``, "node:3") to ring, or None.
    title: the scene's title; the line under it is ``f = <the expression> = <its value>``.
    caption: write what the stage does under the graph (``step_lines``); False where a panel beside it does.
    theme: "light" or "dark"; lecture: everything × LECTURE_SCALE for a projector, every text ≥ 24 px; width: px
        to lay out for (300 to 4000; default 1,000, in lecture mode 1,700); a deep expression gets more columns than
        fit and is drawn wider (the live widget scales it to its container).
    """
    if not isinstance(tr, Trace):
        raise ValueError(f"tr must be a Trace from explainer.autograd.trace(root); got {type(tr).__name__}")
    _check_steps(tr, steps)
    if not isinstance(theme, str) or theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}; got {theme!r}")
    if not isinstance(lecture, bool):
        raise ValueError(f"lecture must be True or False; got {lecture!r}")
    keys = {node_key(n.id) for n in tr.nodes}
    if selected is not None and selected not in keys:
        raise ValueError(
            f"selected must be a node key such as 'node:0' (0 to {len(tr.nodes) - 1}), or None; got {selected!r}"
        )
    if not isinstance(title, str):
        raise ValueError(f"title must be a string; got {type(title).__name__}")
    if width is not None and (
        isinstance(width, bool) or not isinstance(width, (int, float)) or not 300 <= width <= 4000
    ):
        raise ValueError(f"width must be a number of px from 300 to 4000, or None; got {width!r}")
    if not isinstance(caption, bool):
        raise ValueError(f"caption must be True or False; got {caption!r}")
    th = diagram_theme(theme, lecture)
    return _draw(tr, _grads(tr, steps), steps, th, selected=selected, title=title, caption=caption, width=width)


def _node_drawing(tr: Trace, n: TraceNode, g: _Grads, col: int, th: Theme, font: float, small: float) -> _Node:
    grad = g.grad[n.id]
    partial = grad is not None and g.received[n.id] < len(n.users)
    grad_line = ("grad ?", "unknown") if grad is None else (f"grad {fmt(grad)}" + (" …" if partial else ""), "grad")
    tags = []
    if n.pattern:
        tags.append((TAGS[n.pattern], "tag"))
    if n.reused:
        tags.append((f"sums {len(n.users)} uses (+=)", "tag"))
    if g.current is not None:
        for c in g.current.contributions:
            if c.child_id == n.id and c.accumulates:
                tags.append((f"+= {fmt(c.amount)}", "plus"))
    if n.kind == "op":
        r = th.size(21)
        node = _Node(n.id, n.kind, col, op_symbol(n.op), 2 * r, 2 * r, [(fmt(n.data), "value")],
                     [grad_line, *tags], [])  # fmt: skip
        node.up = r + 1.4 * small
        node.down = r + 0.4 * small + 1.3 * small * len(node.below)
        widest = max(text_width(t, small) for t, _ in node.above + node.below)
        node.left_extent = node.right_extent = max(r, widest / 2)
        return node
    if n.kind == "constant":
        core = n.label or fmt_plain(n.data)
        w, h = max(th.size(26), text_width(core, small) + th.size(10)), th.size(22)
        node = _Node(n.id, n.kind, col, core, w, h, [], [], [])
        node.up = node.down = h / 2
        node.left_extent = node.right_extent = w / 2
        return node
    core = n.label or f"#{n.id}"
    w, h = max(th.size(34), text_width(core, font) + th.size(12)), th.size(28)
    node = _Node(n.id, n.kind, col, core, w, h, [], [], [(fmt(n.data), "value"), grad_line, *tags])
    block = 1.3 * small * len(node.left)
    node.up = node.down = max(h / 2, block / 2)
    node.left_extent = w / 2 + th.size(7) + max(text_width(t, small) for t, _ in node.left)
    node.right_extent = w / 2
    return node


def _draw(
    tr: Trace, g: _Grads, steps, th: Theme, *, selected: str | None, title: str, caption: bool, width: float | None
) -> Scene:
    font, small = th.size(th.font_size), th.size(th.font_size * 0.9)
    edge_font = th.size(th.font_size * 0.86)
    if th.scale > 1:  # lecture mode: every text at least LECTURE_TEXT px, for the back row
        font, small, edge_font = (max(size, LECTURE_TEXT) for size in (font, small, edge_font))
    cols = _columns(tr)
    nodes = [_node_drawing(tr, n, g, cols[n.id], th, font, small) for n in tr.nodes]
    columns, chains = _layout(tr, nodes, gap=th.size(14), lane=th.size(7))
    n_cols = len(columns)

    # ---- x: columns far enough apart that neighbours' texts never meet, spread to the width when there is room
    need = max(
        (
            max(a.right_extent for a in columns[c]) + max(b.left_extent for b in columns[c + 1])
            for c in range(n_cols - 1)
        ),
        default=0.0,
    ) + th.size(28)
    margin = th.size(16)
    left = margin + max(n.left_extent for n in columns[0])
    right_room = max(n.right_extent for n in columns[-1]) + margin
    budget = width if width is not None else (LECTURE_WIDTH if th.scale > 1 else WIDTH)
    dx = (budget - left - right_room) / max(n_cols - 1, 1)
    dx = max(need, min(max(dx, MIN_DX * th.scale), MAX_DX * th.scale))
    for n in nodes:
        n.x = left + n.col * dx

    # ---- y: below the title, every node's extent inside the scene
    head = th.size(62)
    top = min(n.y - n.up for n in nodes)
    for n in nodes:
        n.y += head - top
    bottom = max(n.y + n.down for n in nodes)
    scene_w = max(left + (n_cols - 1) * dx + right_room, th.size(420))

    vmax = finite_max_abs([v for v in g.grad if v is not None] + [v for v in g.edge_grad if v is not None])
    by_id = {n.id: n for n in nodes}
    obstacles: list[_Box] = []
    parts_nodes: dict[int, list[str]] = {c: [] for c in range(n_cols)}
    hovers: dict[str, str] = {}
    lit_node = g.current.node_id if g.current is not None else (tr.root if g.stage == 0 else None)
    receivers = {c.child_id for c in g.current.contributions} if g.current is not None else set()

    # ---- nodes, column by column, top to bottom (the Tab order)
    role_fill = {"value": th.text, "grad": th.accent, "unknown": th.muted, "tag": th.muted, "plus": th.accent}
    for c, col in enumerate(columns):
        for n in sorted((a for a in col if a.kind != "way"), key=lambda a: a.y):
            t = tr.nodes[n.id]
            out = parts_nodes[c]
            grad = g.grad[n.id]
            fill = th.node_fill if grad is None or t.kind == "constant" else scale_color(grad, vmax, th)
            ink = th.muted if t.kind == "constant" else _ink_on(None if grad is None else grad, vmax, th)
            lit = n.id == lit_node or n.id in receivers
            stroke, sw = (th.accent, th.size(3.2)) if lit else (th.muted, th.size(1.2))
            key = node_key(n.id)
            if key == selected:
                ring = th.size(7)
                out.append(
                    rect(
                        n.x - n.w / 2 - ring,
                        n.y - n.h / 2 - ring,
                        n.w + 2 * ring,
                        n.h + 2 * ring,
                        fill="none",
                        stroke=th.accent,
                        width=th.size(2.4),
                        rx=th.size(8),
                    )  # fmt: skip
                )
            if t.kind == "op":
                out.append(circle(n.x, n.y, n.w / 2, fill=fill, stroke=stroke, width=sw))
                size = font if 1.08 * text_width(n.core, font) <= n.w - th.size(8) else max(small * 0.85, min(font, 24))
                out.append(text(n.x, n.y, n.core, size=size, fill=ink, weight="600"))
                for k, (line_, role) in enumerate(reversed(n.above)):
                    y = n.y - n.w / 2 - (0.85 + 1.3 * k) * small
                    out.append(text(n.x, y, line_, size=small, fill=role_fill[role], halo=th.paper))
                    obstacles.append(_text_box(n.x, y, line_, small))
                for k, (line_, role) in enumerate(n.below):
                    y = n.y + n.w / 2 + (0.85 + 1.3 * k) * small
                    weight = "700" if role == "plus" else None
                    out.append(text(n.x, y, line_, size=small, fill=role_fill[role], halo=th.paper, weight=weight))
                    obstacles.append(_text_box(n.x, y, line_, small))
            else:
                dash = t.kind == "constant"
                box = rect(n.x - n.w / 2, n.y - n.h / 2, n.w, n.h, fill=fill, stroke=stroke, width=sw, rx=th.size(4))
                out.append(
                    box.replace("/>", f' stroke-dasharray="{th.size(3):.1f} {th.size(2):.1f}"/>') if dash else box
                )
                out.append(
                    text(n.x, n.y, n.core, size=small if dash else font, fill=ink, weight=None if dash else "600")
                )
                x_text = n.x - n.w / 2 - th.size(7)
                y0 = n.y - 1.3 * small * (len(n.left) - 1) / 2
                for k, (line_, role) in enumerate(n.left):
                    y = y0 + 1.3 * small * k
                    weight = "700" if role == "plus" else None
                    out.append(
                        text(
                            x_text,
                            y,
                            line_,
                            size=small,
                            fill=role_fill[role],
                            anchor="end",
                            halo=th.paper,
                            weight=weight,
                        )  # fmt: skip
                    )
                    obstacles.append(_text_box(x_text, y, line_, small, "end"))
            obstacles.append(_Box(n.x - n.w / 2, n.y - n.h / 2, n.x + n.w / 2, n.y + n.h / 2))
            hovers[key] = _hover(tr, t, g)
            grad_words = "not reached yet" if grad is None else f"grad {fmt(grad)}"
            out.append(
                target(
                    f'<rect x="{n.x - n.w / 2:.2f}" y="{n.y - n.h / 2:.2f}" width="{n.w:.2f}" height="{n.h:.2f}"',
                    key=key,
                    label=f"{node_name(t)}: value {fmt(t.data)}, {grad_words}",
                    pressed=key == selected,
                )
            )

    # ---- edges, then their numbers where they touch nothing
    edge_svg, label_svg, dropped = [], [], 0
    pairs: dict[tuple[int, int], list[int]] = {}
    for k, e in enumerate(tr.edges):
        pairs.setdefault((e.source, e.target), []).append(k)
    curves, widths = {}, {}
    for k, e in enumerate(tr.edges):
        points = [(by_id[i].x, by_id[i].y) for i in chains[k]]
        s, t = by_id[e.source], by_id[e.target]
        points[0] = (s.x + s.w / 2, s.y)
        points[-1] = (t.x - t.w / 2, t.y)
        same = pairs[(e.source, e.target)]
        bend = (same.index(k) - (len(same) - 1) / 2) * th.size(22)
        d, at = _spline(points, bend)
        curves[k] = at
        amount = g.edge_grad[k]

        if k in g.current_edges:
            stroke, w, opacity = th.accent, th.size(th.edge_width_max * 0.6), None
        elif amount is None:
            stroke, w, opacity = th.muted, th.size(1.0), 0.55
        else:
            stroke = scale_color(amount, vmax / 0.8, th)  # the scale's darkest ends vanish on a dark paper
            lo, hi = th.size(th.edge_width_min), th.size(th.edge_width_max * 0.7)
            w = hi if not math.isfinite(amount) else lo + (hi - lo) * min(abs(amount) / vmax, 1.0)
            opacity = None
        widths[k] = w
        dash = f"{th.size(6):.1f} {th.size(4):.1f}" if amount is not None and amount < 0 else None
        edge_svg.append(
            f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{w:.2f}"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + (f' stroke-opacity="{opacity}"' if opacity else "")
            + "/>"
        )
    lines = np.array([(*curves[k](i / 48), widths[k] / 2 + th.size(1)) for k in curves for i in range(49)])
    placed: list[_Box] = []
    order = sorted(range(len(tr.edges)), key=lambda k: (k not in g.current_edges, k))
    for k in order:
        amount = g.edge_grad[k]
        if amount is None:
            continue
        e = tr.edges[k]
        texts = [fmt(amount), fmt(amount, 3), fmt(amount, 2)]
        if k in g.current_edges:
            up = g.current.upstream
            texts = [f"{fmt_plain(e.local_grad)} × {fmt_plain(up)} = {fmt(amount)}", *texts]
        spot = _free_spot(
            curves[k],
            texts,
            edge_font,
            0.5 * edge_font + widths[k] / 2 + th.size(2),
            obstacles + placed,
            lines,
            scene_w,
        )
        if spot is None:
            dropped += 1
            continue
        x, y, content = spot
        placed.append(_text_box(x, y, content, edge_font))
        lit = k in g.current_edges
        label_svg.append(
            text(
                x,
                y,
                content,
                size=edge_font,
                fill=th.accent if lit else th.text,
                halo=th.paper,
                weight="700" if lit else None,
            )  # fmt: skip
        )

    # ---- title, caption
    root = tr.nodes[tr.root]
    sub = f"{ROOT} = {root.label or node_name(root)} = {fmt(root.data)}"
    room = scene_w - th.size(32)
    head_svg = text(th.size(16), th.size(22), _fit(title, th.size(th.title_size), room), size=th.size(th.title_size),
                    fill=th.text, anchor="start", weight="600")  # fmt: skip
    head_svg += text(th.size(16), th.size(44), _fit(sub, small, room), size=small, fill=th.muted, anchor="start")
    lines = step_lines(tr, steps) if caption else []
    if dropped:
        lines.append(
            f"{dropped} edge number{'s are' if dropped > 1 else ' is'} left out where it would overlap: hover a node, "
            "or Tab to it, for each one."
        )
    wrapped = [w for line_ in lines for w in wrap(line_, small, room)]
    cap_y = bottom + th.size(18 if wrapped else 0)
    foot = "".join(
        text(th.size(16), cap_y + k * 1.35 * small, w, size=small, fill=th.text, anchor="start")
        for k, w in enumerate(wrapped)
    )
    height = cap_y + len(wrapped) * 1.35 * small + th.size(8)
    parts = [
        Part("title", group(head_svg)),
        Part("edges", group("".join(edge_svg))),
        *(Part(f"nodes:{c}", group("".join(parts_nodes[c]))) for c in range(n_cols)),
        Part("edge_labels", group("".join(label_svg))),
        Part("caption", group(foot)),
    ]
    return Scene.in_theme(
        th,
        width=scene_w,
        height=height,
        title=f"{title}. {sub}",
        parts=parts,
        font_size=font,
        hovers=hovers,
    )


_SPOTS = (0.3, 0.42, 0.2, 0.55, 0.66, 0.77, 0.88, 0.12)  # from the source: edges into one node meet at its end


def _free_spot(at, texts: list[str], size: float, clear: float, taken: list[_Box], lines: np.ndarray, scene_w: float):
    """The first (x, y, text) along an edge where the text touches no box of ``taken`` and crosses no edge (the
    rows of ``lines``: x, y and half-width of points along every edge); failing that, one that only crosses an
    edge (its halo keeps it readable); None if there is none."""
    boxes = np.array([(b.x0, b.y0, b.x1, b.y1) for b in taken]).reshape(-1, 4)
    px, py, r = lines.T if lines.size else (np.empty(0),) * 3
    for content in texts:  # all its digits, crossing an edge if need be, before fewer digits
        for strict in (True, False):
            offsets = (-clear, clear, -1.8 * clear, 1.8 * clear) if strict else (-clear, clear, 0.0)
            for t in _SPOTS:
                x, y = at(t)
                for dy in offsets:  # beside the line, where the number and the line are both read
                    b = _text_box(x, y + dy, content, size)
                    x0, y0, x1, y1 = b.x0 - 2, b.y0 - 1, b.x1 + 2, b.y1 + 1
                    if x0 < 0 or x1 > scene_w:
                        continue
                    if np.any((x0 < boxes[:, 2]) & (boxes[:, 0] < x1) & (y0 < boxes[:, 3]) & (boxes[:, 1] < y1)):
                        continue
                    if strict and np.any((x0 - r < px) & (px < x1 + r) & (y0 - r < py) & (py < y1 + r)):
                        continue
                    return x, y + dy, content
    return None
