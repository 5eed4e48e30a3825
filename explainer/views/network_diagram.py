"""The network and one neuron drawn as SVG scenes: what the live diagram and its still picture show.

``network_diagram(record, mode, ...)`` draws the same ``NetworkLayout`` as ``plot_network`` (every number
and hover text comes from ``_layout.py``), but from its meaning: a neuron is a circle with its name inside
and its number under it, a weight an edge whose colour is its sign and whose width its size, with its
name and number written *along its own edge*, starting at its source, behind a halo of the background's
colour. Crossing edges therefore never share a label, and a label stays readable on a thick edge.

Sizes follow the architecture: the layer spacing shrinks so that the whole diagram fits a notebook's
output area (about 1,000 px, 1,600 px in lecture mode), and the widget scales it to its container.
Where a layer's labels would overlap each other or a neuron, the names go first, then the numbers
(a note says so; hover, or Tab to the edge, still gives each number).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..engine.network import Record
from ._layout import (
    STILL_TITLES,
    GraphLayout,
    Look,
    NetworkLayout,
    backward_looks,
    check_common,
    check_lr,
    network_layout,
    neuron_graph,
    result,
    still_look,
)
from .diagram import Part, Scene, circle, group, line, plain_text, rect, target, text, text_width, wrap
from .style import Theme, fmt, get_theme, scale_color, scale_stops

MODES = ("values", "gradients")
DEFAULT_LR = 0.5
WIDTH = 1000.0  # px the diagram is laid out for; the widget scales it to its container
LECTURE_WIDTH = 1700.0  # in lecture mode: the width of a 1920 px screen's output area
MIN_DX, MAX_DX = 100.0, 270.0  # px between layers
MIN_DY, MAX_DY = 62.0, 104.0  # px between the neurons of a layer
BACKWARD_TITLE = "The backward pass, step by step"
# In lecture mode a diagram gets the whole width of a 1920 px screen and its text is 2.2× (the smallest label
# 24 px, names 29 px; plotly's figures keep style.LECTURE_SCALE, 1.6, as they sit beside other panels).
LECTURE_SCALE = 2.2


def diagram_theme(theme: str, lecture: bool) -> Theme:
    """The theme a diagram is drawn in: ``theme``, enlarged ×2.2 in lecture mode."""
    return replace(get_theme(theme), scale=LECTURE_SCALE) if lecture else get_theme(theme)


# --------------------------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class _Geometry:
    """Pixel positions of one network diagram."""

    dx: float
    dy: float
    r: float  # neuron radius
    left: float
    top: float  # y of the highest neuron's centre
    width: float
    height: float
    caption_y: float
    font: float
    small: float  # node and bias labels
    edge_font: float

    def x(self, layer: float) -> float:
        return self.left + layer * self.dx

    def y(self, sizes: tuple[int, ...], layer: int, j: int) -> float:
        offset = (max(sizes) - sizes[layer]) / 2
        return self.top + (offset + j) * self.dy


def _geometry(lay: NetworkLayout, th: Theme, width: float | None, caption_lines: int, banner: bool) -> _Geometry:
    s = th.scale
    L, sizes = lay.n_layers, lay.sizes
    budget = width if width is not None else (LECTURE_WIDTH if s > 1 else WIDTH)
    right = 118 * s  # the loss node's label and the colour bar
    left = 34 * s
    # The loss node sits max(0.75·dx, 118 px) right of the outputs: solve for dx with either.
    dx = (budget - left - right) / (L + 0.75)
    if 0.75 * dx < 118 * s:
        dx = (budget - left - right - 118 * s) / L
    dx = float(np.clip(dx, MIN_DX * s, MAX_DX * s))
    rows = max(sizes) - 1
    dy = float(np.clip(420 * s / max(rows, 1), MIN_DY * s, MAX_DY * s))
    r = min(22 * s, dy * 0.3)
    font = th.size(th.font_size)
    small = th.size(th.font_size * 0.9)
    edge_font = th.size(th.font_size * 0.86)
    top = (64 + (24 if banner else 0)) * s + r
    net_bottom = top + rows * dy + r + 2.7 * small * 1.3
    caption_y = net_bottom + 14 * s
    height = caption_y + caption_lines * 1.35 * small + 12 * s
    w = left + L * dx + max(0.75 * dx, 118 * s) + right
    return _Geometry(dx, dy, r, left, top, w, height, caption_y, font, small, edge_font)


# --------------------------------------------------------------------------------------------- labels
@dataclass(frozen=True)
class _Label:
    """An edge label: text anchored at (x, y), running along its edge at ``angle`` degrees."""

    x: float
    y: float
    angle: float
    text: str
    size: float

    def corners(self) -> list[tuple[float, float]]:
        w, h = text_width(self.text, self.size), 0.8 * self.size
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        pts = [(0.0, -h / 2), (w, -h / 2), (w, h / 2), (0.0, h / 2)]
        return [(self.x + u * c - v * s, self.y + u * s + v * c) for u, v in pts]


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    """Two convex polygons overlap (the separating-axis test)."""
    for poly in (a, b):
        for k in range(len(poly)):
            x0, y0 = poly[k]
            x1, y1 = poly[(k + 1) % len(poly)]
            nx, ny = y0 - y1, x1 - x0
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            if max(pa) < min(pb) or max(pb) < min(pa):
                return False
    return True


def _box(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def labels_overlap(labels: list[_Label], obstacles: list[list[tuple[float, float]]]) -> bool:
    """True when two labels, or a label and an obstacle (a neuron with the labels under it), overlap."""
    boxes = [lab.corners() for lab in labels]
    for k, a in enumerate(boxes):
        if any(_overlap(a, b) for b in boxes[k + 1 :]) or any(_overlap(a, o) for o in obstacles):
            return True
    return False


# --------------------------------------------------------------------------------------------- drawing
def _width(value: float, vmax: float, th: Theme) -> float:
    lo, hi = th.size(th.edge_width_min), th.size(th.edge_width_max)
    if not np.isfinite(value):
        return hi
    return float(lo + (hi - lo) * min(abs(value) / vmax, 1.0)) if vmax > 0 else lo


def _label_start(source: tuple[float, float], angle: float, g: _Geometry, th: Theme) -> tuple[float, float]:
    """Where an edge's label starts: just clear of its source neuron, beside the edge on its upper side
    (so the text runs parallel to its own edge, never on top of a thick line)."""
    a = math.radians(angle)
    side = th.size(th.edge_width_max) / 2 + 0.55 * g.edge_font
    d = g.r + th.size(4) + side * abs(math.sin(a)) + 0.4 * g.edge_font
    return source[0] + math.cos(a) * d + math.sin(a) * side, source[1] + math.sin(a) * d - math.cos(a) * side


def _shorter(label: str, values: tuple[float, ...], digits: int) -> str:
    """``label`` with each of its numbers (written by ``_layout.result`` with 4 digits) to ``digits`` digits."""
    for v in values:
        label = label.replace(result(v), fmt(float(v) + 0.0, digits), 1)
    return label


def _column_labels(nodes, bias, state: str, b_state: str, room: float, size: float):
    """The labels under one layer's neurons and biases, with as many digits (4, 3 or 2) as the column's width
    allows; the bias labels are None when even 2 digits do not fit."""
    node_text = {"blank": lambda n: ("", ()), "value": lambda n: (n.value_label, (n.a,))}
    node_text["grad_a"] = lambda n: (n.grad_a_label, (n.grad_a,))
    node_text["delta"] = lambda n: (n.delta_label, (n.delta,))
    bias_text = {
        "dim": lambda b: ("", ()),
        "value": lambda b: (b.value_label, (b.value,)),
        "grad": lambda b: (b.grad_label, (b.grad,)),
        "update": lambda b: (b.update_label, (b.value, b.new_value)),
    }

    def widest(texts: list[str]) -> float:
        return max((text_width(s, size) for s in texts), default=0.0)

    for digits in (4, 3, 2):
        texts = [_shorter(*node_text[state](n), digits) for n in nodes]
        b_texts = [
            _shorter(*bias_text[b_state](bias[(n.layer, n.index)]), digits) if (n.layer, n.index) in bias else ""
            for n in nodes
        ]
        if widest(texts + b_texts) <= room:
            return texts, b_texts
    for digits in (4, 3, 2):  # the biases do not fit at all: the neurons' own numbers as long as they fit
        texts = [_shorter(*node_text[state](n), digits) for n in nodes]
        if widest(texts) <= room or digits == 2:
            return texts, None
    raise AssertionError("unreachable")


def _line_shape(a0: tuple[float, float], a1: tuple[float, float], width: float) -> str:
    """A hit area along an edge (for ``target``): a line wider than the edge itself."""
    return f'<line x1="{a0[0]:.2f}" y1="{a0[1]:.2f}" x2="{a1[0]:.2f}" y2="{a1[1]:.2f}" stroke-width="{width:.1f}"'


def _ink_on(fill_value: float, vmax: float, th: Theme) -> str:
    """White or the theme's ink, whichever reads on a node filled with ``scale_color(fill_value)``."""
    if not np.isfinite(fill_value):
        return "#ffffff"
    return "#ffffff" if vmax > 0 and abs(fill_value) / vmax > 0.55 else th.text


def _colorbar(x: float, y: float, h: float, vmax: float, title: str, th: Theme) -> str:
    w = th.size(12)
    # SVG wants its stops in increasing offset: from the top (+vmax, the scale's end) down to −vmax.
    stops = "".join(f'<stop offset="{1 - s:.2f}" stop-color="{c}"/>' for s, c in reversed(scale_stops(th)))
    gid = f"bpx-scale-{th.name}"
    out = [
        f'<defs><linearGradient id="{gid}" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient></defs>',
        f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="url(#{gid})" stroke="{th.muted}" '
        'stroke-width="0.6"/>',
        text(x + w / 2, y - th.size(12), title, size=th.size(th.font_size * 0.85), fill=th.text),
    ]
    for frac, value in ((0.0, vmax), (0.5, 0.0), (1.0, -vmax)):
        ty = y + frac * h
        out.append(line(x + w, ty, x + w + th.size(4), ty, stroke=th.muted, width=th.size(0.8)))
        label = "0" if value == 0 else fmt(value, 2)
        out.append(text(x + w + th.size(6), ty, label, size=th.size(th.font_size * 0.86), fill=th.text, anchor="start"))
    return "".join(out)


def _scene_title(main: str, lay: NetworkLayout, th: Theme) -> tuple[str, str]:
    sub = lay.description
    if lay.n_samples > 1:
        sub += f"; sample {lay.sample + 1} of a batch of {lay.n_samples} (gradients: the whole batch)"
    return main, sub


def _draw_network(
    lay: NetworkLayout,
    look: Look,
    th: Theme,
    *,
    title: str,
    gradients: bool,
    selected: str | None,
    width: float | None,
) -> Scene:
    L, sizes = lay.n_layers, lay.sizes
    g = _geometry(lay, th, width, 0, not lay.finite)
    caption_lines = wrap(plain_text(look.caption), g.small, g.width - th.size(40)) if look.caption else []
    if caption_lines:
        g = _geometry(lay, th, width, len(caption_lines), not lay.finite)
    main, sub = _scene_title(title, lay, th)
    vmax = lay.vmax_gradients if gradients else lay.vmax_values
    pos = {(n.layer, n.index): (g.x(n.layer), g.y(sizes, n.layer, n.index)) for n in lay.all_nodes}
    loss_x = g.x(L) + max(0.75 * g.dx, th.size(118))
    loss_y = g.top + (max(sizes) - 1) * g.dy / 2
    parts: list[Part] = []
    hovers: dict[str, str] = {}

    # ---- title (and the divergence banner)
    head = [
        text(th.size(16), th.size(22), main, size=th.size(th.title_size), fill=th.text, anchor="start", weight="600"),
        text(th.size(16), th.size(44), sub, size=th.size(th.font_size * 0.85), fill=th.muted, anchor="start"),
    ]
    if not lay.finite:
        head.append(
            text(
                th.size(16),
                th.size(68),
                "⚠ Diverged: the record holds NaN or ∞ (drawn in red, labelled NaN/∞)",
                size=th.size(th.font_size),
                fill=th.error,
                anchor="start",
                weight="600",
            )
        )
    parts.append(Part("title", group("".join(head))))

    # ---- the skeleton: every link, faint, so the structure stays visible where a weight is near zero
    skeleton = []
    for e in lay.all_edges:
        (x0, y0), (x1, y1) = pos[(e.layer - 1, e.i)], pos[(e.layer, e.j)]
        skeleton.append(line(x0, y0, x1, y1, stroke=th.muted, width=th.size(0.8), opacity=0.45))
    for e in lay.loss_edges:
        x0, y0 = pos[(L, e.j)]
        skeleton.append(line(x0, y0, loss_x, loss_y, stroke=th.muted, width=th.size(0.8), opacity=0.45))
    parts.append(Part("skeleton", group("".join(skeleton))))

    # ---- the edges, one part per weight layer, and their labels
    edge_labels: dict[int, list[tuple[object, str, str]]] = {}
    for layer_edges in lay.edges:
        layer = layer_edges[0].layer
        state = look.edges[layer]
        out = []
        for e in layer_edges:
            (x0, y0), (x1, y1) = pos[(layer - 1, e.i)], pos[(layer, e.j)]
            ang = math.atan2(y1 - y0, x1 - x0)
            ux, uy = math.cos(ang), math.sin(ang)
            a0 = (x0 + ux * g.r, y0 + uy * g.r)
            a1 = (x1 - ux * g.r, y1 - uy * g.r)
            if e.param == selected:
                out.append(line(*a0, *a1, stroke=th.accent, width=th.size(th.edge_width_max + 6), opacity=0.35))
            if state != "dim":
                v = e.value if state == "value" else e.grad
                out.append(
                    line(
                        *a0,
                        *a1,
                        stroke=scale_color(v, vmax, th),
                        width=_width(v, vmax, th),
                        dash=f"{th.size(6):.1f} {th.size(4):.1f}" if np.isfinite(v) and v < 0 else None,
                    )
                )
            hovers[e.param] = e.grad_hover if gradients else e.value_hover
            out.append(
                target(
                    _line_shape(a0, a1, th.size(14)),
                    key=e.param,
                    label=f"{e.symbol}, weight {e.param}, {e.grad_label if gradients else e.value_label}",
                    pressed=e.param == selected,
                )
            )
            if state != "dim":
                number = {"value": e.value_label, "grad": e.grad_label, "update": e.update_label}[state]
                edge_labels.setdefault(layer, []).append((e, number, math.degrees(ang)))
        parts.append(Part(f"edges:{layer}", group("".join(out))))

    # ---- obstacles for the labels: each neuron with the labels under it
    obstacles = []
    for x, y in pos.values():
        obstacles.append(_box(x - g.r, y - g.r, x + g.r, y + g.r + 2.6 * g.small * 1.3))
    obstacles.append(_box(loss_x - g.r, loss_y - g.r, loss_x + g.r, loss_y + g.r + 2.6 * g.small))
    notes = []
    for layer, items in edge_labels.items():
        placed = None
        for with_name in (True, False):
            labels = []
            for e, number, angle in items:
                start_x, start_y = _label_start(pos[(layer - 1, e.i)], angle, g, th)
                content = f"{e.symbol} {number}" if with_name else number
                labels.append(_Label(start_x, start_y, angle, content, g.edge_font))
            if not labels_overlap(labels, obstacles):
                placed = labels
                break
        if placed is None:
            notes.append(layer)
            placed = []
        out = []
        for lab, (e, _, _) in zip(placed, items):
            out.append(
                text(
                    lab.x,
                    lab.y,
                    lab.text,
                    size=lab.size,
                    fill=th.text,
                    anchor="start",
                    halo=th.paper,
                    rotate=lab.angle,
                    weight="700" if e.param == selected else None,
                )
            )
        parts.append(Part(f"edge_labels:{layer}", group("".join(out))))
    for layer in range(1, L + 1):
        if layer not in edge_labels:
            parts.append(Part(f"edge_labels:{layer}", group("")))

    # ---- links to the loss
    out = []
    for e in lay.loss_edges:
        x0, y0 = pos[(L, e.j)]
        ang = math.atan2(loss_y - y0, loss_x - x0)
        ux, uy = math.cos(ang), math.sin(ang)
        a0, a1 = (x0 + ux * g.r, y0 + uy * g.r), (loss_x - ux * g.r, loss_y - uy * g.r)
        if look.loss == "grad":
            out.append(
                line(
                    *a0,
                    *a1,
                    stroke=scale_color(e.grad, vmax, th),
                    width=_width(e.grad, vmax, th),
                    dash=f"{th.size(6):.1f} {th.size(4):.1f}" if np.isfinite(e.grad) and e.grad < 0 else None,
                )
            )
        elif look.loss == "value":
            out.append(line(*a0, *a1, stroke=th.muted, width=th.size(1.2), dash=f"{th.size(2):.1f} {th.size(3):.1f}"))
        label = {"grad": e.grad_label, "value": e.value_label}.get(look.loss, "")
        if label:
            lx, ly = _label_start((x0, y0), math.degrees(ang), g, th)
            out.append(
                text(
                    lx,
                    ly,
                    label,
                    size=g.edge_font,
                    fill=th.text,
                    anchor="start",
                    halo=th.paper,
                    rotate=math.degrees(ang),
                )
            )
        hovers[f"loss[{e.j}]"] = e.grad_hover if gradients else e.value_hover
        out.append(
            target(
                _line_shape(a0, a1, th.size(14)),
                key=f"loss[{e.j}]",
                label=f"link from output {e.j + 1} to the loss, {e.grad_label if gradients else e.value_label}",
            )
        )
    parts.append(Part("loss_edges", group("".join(out))))

    # ---- neurons, one part per layer (with the labels under them and their biases)
    bias = {(b.layer, b.j): b for b in lay.all_biases}
    room = g.dx - th.size(12)  # a column's labels must not reach the next column's
    hidden_biases = []
    for layer, nodes in enumerate(lay.nodes):
        out = []
        state = look.nodes[layer]
        if layer == L and look.output_nodes is not None:
            state = look.output_nodes
        if layer == 0 and state != "blank":
            state = "value"
        b_state = look.biases.get(layer, "dim")
        labels, b_labels = _column_labels(nodes, bias, state, b_state, room, g.small)
        if b_labels is None:
            hidden_biases.append(layer)
            b_labels = [""] * len(nodes)
        lit = look.current == layer
        for n in nodes:
            x, y = pos[(layer, n.index)]
            value = {"grad_a": n.grad_a, "delta": n.delta}.get(state)
            fill = th.node_fill if value is None else scale_color(value, lay.vmax_gradients, th)
            ink = th.text if value is None else _ink_on(value, lay.vmax_gradients, th)
            out.append(
                circle(
                    x,
                    y,
                    g.r,
                    fill=fill,
                    stroke=th.accent if lit else th.muted,
                    width=th.size(3.2 if lit else 1.2),
                )
            )
            out.append(text(x, y, n.name, size=g.font, fill=ink))
            label = labels[n.index]
            ly = y + g.r + 0.85 * g.small
            if label:
                out.append(text(x, ly, label, size=g.small, fill=th.text, halo=th.paper))
            b = bias.get((layer, n.index))
            if b is not None:
                b_text = b_labels[n.index]
                if b_text:
                    chosen = b.param == selected
                    out.append(
                        text(
                            x,
                            ly + 1.3 * g.small,
                            b_text,
                            size=g.small,
                            fill=th.accent if chosen else th.muted,
                            halo=th.paper,
                            weight="700" if chosen else None,
                        )
                    )
                hovers[b.param] = b.grad_hover if gradients else b.value_hover
                out.append(
                    target(
                        f'<rect x="{x - g.r * 1.6:.2f}" y="{ly + 0.6 * g.small:.2f}" width="{g.r * 3.2:.2f}" '
                        f'height="{1.3 * g.small:.2f}"',
                        key=b.param,
                        label=f"{plain_text(b.symbol)}, bias {b.param}, "
                        f"{plain_text(b.grad_label if gradients else b.value_label)}",
                        pressed=b.param == selected,
                    )
                )
            hovers[f"node:{layer}:{n.index}"] = n.grad_hover if gradients else n.value_hover
            out.append(
                target(
                    f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{g.r:.2f}"',
                    key=f"node:{layer}:{n.index}",
                    label=f"neuron {plain_text(n.name)}, {plain_text(label) or 'not reached yet'}",
                    pressed=selected == f"node:{layer}:{n.index}",
                )
            )
        parts.append(Part(f"nodes:{layer}", group("".join(out))))

    # ---- the loss node
    lit = look.current == "loss"
    loss_label = "" if look.loss == "dim" else f"L = {lay.loss.label}"
    side = g.r * 1.75
    out = [
        rect(
            loss_x - side / 2,
            loss_y - side / 2,
            side,
            side,
            fill=th.node_fill,
            stroke=th.accent if lit else th.muted,
            width=th.size(3.2 if lit else 1.2),
            rx=th.size(3),
        ),
        text(loss_x, loss_y, "L", size=g.font, fill=th.text, weight="600"),
    ]
    if loss_label:
        out.append(text(loss_x, loss_y + side / 2 + 0.9 * g.small, loss_label, size=g.small, fill=th.text))
        if lay.n_samples > 1:
            out.append(text(loss_x, loss_y + side / 2 + 2.2 * g.small, "batch mean", size=g.small * 0.9, fill=th.muted))
    hovers["loss"] = lay.loss.grad_hover if gradients else lay.loss.value_hover
    out.append(
        target(
            f'<rect x="{loss_x - side / 2:.2f}" y="{loss_y - side / 2:.2f}" width="{side:.2f}" height="{side:.2f}"',
            key="loss",
            label=f"the loss, {loss_label or 'not reached yet'}",
        )
    )
    parts.append(Part("loss", group("".join(out))))

    # ---- colour bar, notes and caption
    bar_h = max(th.size(90), min(th.size(200), (max(sizes) - 1) * g.dy + 2 * g.r))
    bar_x = loss_x + side / 2 + th.size(42)
    if vmax < 1e100:
        bar = _colorbar(bar_x, loss_y - bar_h / 2, bar_h, vmax, "δ, ∂L/∂w" if gradients else "w, b", th)
    else:
        bar = ""  # a diverged record can leave an absurd finite scale (10³⁰⁰): no bar then
    parts.append(Part("colorbar", group(bar)))
    foot = []
    if hidden_biases:
        notes = sorted(set(notes))
    left_out = []
    if notes:
        left_out.append("the numbers of " + ", ".join(f"W{k}" for k in notes))
    if hidden_biases:
        left_out.append(
            "the biases of layer" + ("s " if len(hidden_biases) > 1 else " ") + ", ".join(map(str, hidden_biases))
        )
    if left_out:
        foot.append(
            text(
                th.size(16),
                g.caption_y - th.size(4),
                f"{' and '.join(left_out)} are left out where they would overlap: hover, or Tab to them, for each one",
                size=g.small * 0.95,
                fill=th.muted,
                anchor="start",
            )
        )
    for k, line_text in enumerate(caption_lines):
        y = g.caption_y + (k + (1 if left_out else 0)) * 1.35 * g.small + 0.7 * g.small
        foot.append(text(th.size(16), y, line_text, size=g.small, fill=th.text, anchor="start"))
    parts.append(Part("caption", group("".join(foot))))
    height = g.height + (1.35 * g.small if left_out else 0)
    return Scene.in_theme(
        th,
        width=g.width,
        height=height,
        title=f"{main}. {sub}",
        parts=parts,
        font_size=g.font,
        hovers=hovers,
    )


# --------------------------------------------------------------------------------------------- public
def network_diagram(
    record: Record,
    mode: str = "gradients",
    *,
    stage: int | None = None,
    lr: float | None = None,
    sample: int = 0,
    theme: str = "light",
    lecture: bool = False,
    selected: str | None = None,
    width: float | None = None,
) -> Scene:
    """The network of ``record`` as an SVG scene: forward values or backward gradients, or one backward step.

    values:    node = aˡⱼ (the shown sample), edge = wˡᵢⱼ, label under a neuron = its bias bˡⱼ
    gradients: node = δˡⱼ = ∂L/∂zˡⱼ, edge = ∂L/∂wˡᵢⱼ = Σₛ aˡ⁻¹ᵢ δˡⱼ, bias label = ∂L/∂bˡⱼ,
               output → L links = ∂L/∂aᴸ; one scale centred on 0 for all of them.

    Parameters
    ----------
    record: a ``Record`` from ``Network.backprop(X, y)`` (up to 7 weight layers × 8 neurons fit).
    mode: "values" or "gradients".
    stage: gradients mode only: one step of the backward pass as ``animate_backward``'s frame ``stage``
        (0: ∂L/∂a at the outputs, k: δ of the last k layers, n_layers + 1: the update with η = lr, or
        0.5 if lr is None), with its caption. None shows every gradient at once.
    lr: with a learning rate, gradient hovers add the update w⁺ = w − η·∂L/∂w.
    sample: which sample's forward values (and δ) a batch record shows; gradients are the batch's.
    theme: "light" or "dark"; lecture: everything enlarged for a projector.
    selected: a parameter (``"W2[0,0]"``, ``"b1[0]"``) or neuron (``"node:1:0"``) to highlight.
    width: the px width to lay out for (default 1,000, × 1.6 in lecture mode).
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    check_common(record, sample=sample, theme=theme, lecture=lecture)
    if selected is not None and not isinstance(selected, str):
        raise ValueError(f"selected must be a parameter name such as 'W2[0,0]', or None; got {selected!r}")
    if width is not None and (
        isinstance(width, bool) or not isinstance(width, (int, float)) or not 300 <= width <= 4000
    ):
        raise ValueError(f"width must be a number of px from 300 to 4000, or None; got {width!r}")
    th = diagram_theme(theme, bool(lecture))
    if stage is not None:
        if mode != "gradients":
            raise ValueError(f"stage goes with mode='gradients'; got mode={mode!r}")
        n_stages = record.n_layers + 2
        if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not 0 <= stage < n_stages:
            raise ValueError(f"stage must be an integer from 0 to {n_stages - 1} (or None); got {stage!r}")
        lr_given = check_lr(lr)
        lay = network_layout(record, int(sample), DEFAULT_LR if lr_given is None else lr_given, lr_given is None)
        look = backward_looks(lay)[int(stage)]
        return _draw_network(lay, look, th, title=BACKWARD_TITLE, gradients=True, selected=selected, width=width)
    lay = network_layout(record, int(sample), check_lr(lr))
    return _draw_network(
        lay,
        still_look(lay, mode),
        th,
        title=STILL_TITLES[mode],
        gradients=mode == "gradients",
        selected=selected,
        width=width,
    )


# --------------------------------------------------------------------------------------------- one neuron
def neuron_diagram(
    record: Record,
    layer: int = 1,
    neuron: int = 0,
    *,
    sample: int = 0,
    theme: str = "light",
    lecture: bool = False,
    selected: str | None = None,
) -> Scene:
    """One neuron as a computational graph, forward value over gradient at every node, as an SVG scene.

        z = Σᵢ wᵢ·aᵢ + b,  a = f(z);   ∂L/∂wᵢ = aᵢ·δ,  ∂L/∂aᵢ (this path) = wᵢ·δ,  δ = f′(z)·∂L/∂a

    The numbers and hover texts are ``_layout.neuron_graph``'s (as ``plot_neuron_graph`` draws them).
    layer: 1..n_layers; neuron: 0-based within the layer; other parameters as in ``network_diagram``.
    """
    from .graph import check_neuron

    check_common(record, sample=sample, theme=theme, lecture=lecture)
    check_neuron(record, layer, neuron)
    graph = neuron_graph(record, int(layer), int(neuron), int(sample))
    return draw_graph(graph, diagram_theme(theme, bool(lecture)), selected=selected)


def draw_graph(graph: GraphLayout, th: Theme, *, selected: str | None = None) -> Scene:
    """A computational graph (nodes with kinds leaf/op/loss/next, edges between their keys) as a scene."""
    px_x, px_y = th.size(150), th.size(46)
    leaf, op = th.size(34), th.size(32)
    font, small = th.size(th.font_size), th.size(th.font_size * 0.9)
    left = th.size(130)  # room for the leaves' numbers on their left
    top = th.size(70)
    ys = [n.y for n in graph.nodes]
    y_top = max(ys)
    where = {n.key: (left + n.x * px_x, top + (y_top - n.y) * px_y) for n in graph.nodes}
    parts = [
        Part(
            "title",
            group(
                text(th.size(16), th.size(24), graph.title, size=th.size(th.title_size), fill=th.text, anchor="start")
                + "".join(
                    text(th.size(16), th.size(46 + 18 * k), note, size=small, fill=th.muted, anchor="start")
                    for k, note in enumerate(graph.notes)
                )
            ),
        )
    ]
    out = []
    for a, b in graph.edges:
        (x0, y0), (x1, y1) = where[a], where[b]
        out.append(line(x0, y0, x1, y1, stroke=th.muted, width=th.size(1.4)))
    parts.append(Part("edges", group("".join(out))))
    out, hovers = [], {}
    for n in graph.nodes:
        x, y = where[n.key]
        if n.kind in ("next", "loss"):
            fill, ink = th.node_fill, th.text
        else:
            fill, ink = scale_color(n.grad, graph.vmax, th), _ink_on(n.grad, graph.vmax, th)
        chosen = selected is not None and n.customdata == selected
        stroke, sw = (th.accent, th.size(3.2)) if chosen else (th.muted, th.size(1.2))
        if n.kind == "leaf":
            out.append(rect(x - leaf / 2, y - leaf / 2, leaf, leaf, fill=fill, stroke=stroke, width=sw, rx=th.size(4)))
            out.append(
                text(x - leaf / 2 - th.size(8), y - 0.55 * small, n.value_label, size=small, fill=th.text, anchor="end")
            )
            out.append(
                text(
                    x - leaf / 2 - th.size(8), y + 0.75 * small, n.grad_label, size=small, fill=th.accent, anchor="end"
                )
            )
        else:
            if n.kind == "loss":
                out.append(rect(x - op / 2, y - op / 2, op, op, fill=fill, stroke=stroke, width=sw, rx=th.size(3)))
            else:
                out.append(circle(x, y, op / 2, fill=fill, stroke=stroke, width=sw))
            out.append(text(x, y - op / 2 - 0.8 * small, n.value_label, size=small, fill=th.text, halo=th.paper))
            out.append(text(x, y + op / 2 + 0.8 * small, n.grad_label, size=small, fill=th.accent, halo=th.paper))
        out.append(text(x, y, n.symbol, size=font, fill=ink))
        half = (leaf if n.kind == "leaf" else op) / 2
        hovers[n.customdata] = n.hover
        out.append(
            target(
                f'<rect x="{x - half:.2f}" y="{y - half:.2f}" width="{2 * half:.2f}" height="{2 * half:.2f}"',
                key=n.customdata,
                label=f"{plain_text(n.symbol)}: value {n.value_label}, {n.grad_label}",
                pressed=chosen if n.customdata[:1] in "Wb" else None,
            )
        )
    parts.append(Part("nodes", group("".join(out))))
    xs = [p[0] for p in where.values()]
    yb = [p[1] for p in where.values()]
    width = max(xs) + th.size(140)
    height = max(yb) + th.size(60)
    return Scene.in_theme(
        th,
        width=width,
        height=height,
        title=graph.title,
        parts=parts,
        font_size=font,
        hovers=hovers,
    )


__all__ = ["network_diagram", "neuron_diagram", "draw_graph", "MODES"]
