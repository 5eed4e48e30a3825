"""The network diagram: forward values, backward gradients, and both as animations.

A neuron is a node, a weight an edge: colour = sign on the diverging scale, width = |value|,
negative edges dashed so the sign reads without colour. In gradients mode neurons show
δ = ∂L/∂z and edges ∂L/∂w on one scale centred on zero. Every node and edge hover writes its
formula with the record's numbers substituted (see ``_layout.py``, where all text is made).

Trace layout (the same in every figure, so a widget can rely on it): one line trace per edge
(Plotly lines have no per-segment colour), then one trace per group of labels, nodes and hover
markers; plotly has no hover on lines, so each edge has an invisible marker near its middle that
carries the hover text and ``customdata`` = the parameter name (``"W2[0,1]"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from ..engine.network import Record
from ._layout import (
    STILL_TITLES,
    Look,
    NetworkLayout,
    backward_looks,
    check_common,
    check_lr,
    forward_looks,
    network_layout,
    still_look,
)
from .style import (
    DIVERGING,
    Theme,
    colorbar,
    divergence_note,
    figure_spec,
    get_theme,
    signed_color,
    text_color_on,
)

MODES = ("values", "gradients")
DEFAULT_LR = 0.5
FRAME_MS = 1400

# Pixels per layout unit (one layer apart in x, one neuron apart in y), before the lecture scale.
PX_X = 195.0
PX_Y = 100.0


# Advance widths in em (Arial/Helvetica) of the characters labels use; anything else counts 0.6 em.
_EM = {
    **dict.fromkeys("0123456789abdeghnopqu", 0.556),
    **dict.fromkeys("cksvxyz∂δ", 0.5),
    **dict.fromkeys("ijl", 0.222),
    **dict.fromkeys("ft./ ,:·", 0.278),
    **dict.fromkeys("r()", 0.333),
    **dict.fromkeys("+−=×", 0.584),
    **dict.fromkeys("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹", 0.4),
    "m": 0.833,
    "w": 0.722,
    "L": 0.556,
    "→": 1.0,
}


def _rgba(color: str, alpha: float) -> str:
    """A #rrggbb colour with transparency."""
    color = color.lstrip("#")
    r, g, b = (int(color[k : k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _width(value: float, vmax: float, theme: Theme) -> float:
    """Edge width ∝ |value| on [min, max] of the theme; non-finite values get the maximum (clipped)."""
    lo, hi = theme.size(theme.edge_width_min), theme.size(theme.edge_width_max)
    if not np.isfinite(value):
        return hi
    return float(lo + (hi - lo) * min(abs(value) / vmax, 1.0)) if vmax > 0 else lo


def _edge_color(value: float, vmax: float) -> str:
    """The signed colour, more transparent towards zero: a near-zero weight fades into either background.

    (The scale's middle is near-white, which would glare on the dark theme.)
    """
    color = signed_color(value, vmax)
    if not np.isfinite(value) or not color.startswith("rgb("):
        return color
    alpha = 0.35 + 0.65 * min(abs(value) / vmax, 1.0) if vmax > 0 else 0.35
    return f"rgba({color[4:-1]},{alpha:.3f})"


def _dash(value: float) -> str:
    return "dash" if np.isfinite(value) and value < 0 else "solid"


@dataclass
class _Diagram:
    """The static geometry of one network figure and the function from a state to trace styles."""

    lay: NetworkLayout
    theme: Theme
    gradients: bool  # hover texts of the backward pass (else of the forward pass)
    caption: bool
    traces: list[dict] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ geometry
    def __post_init__(self):
        lay, th = self.lay, self.theme
        self.px_x, self.px_y = th.size(PX_X), th.size(PX_Y)
        self.node_px = th.size(th.node_size)
        self.font_px = th.size(th.font_size)
        self.label_font = th.size(th.font_size * 0.92)
        self.edge_font = th.size(th.font_size * 0.86)
        self.edge_marker = th.size(8)
        # The label lines under each node (number, bias) hang from a point at the node's lower edge;
        # its transparent marker (the bias's hover target) pushes the text just below the node.
        self.label_marker = th.size(10)
        self.dy_labels = (self.node_px / 2) / self.px_y
        top = (max(lay.sizes) - 1) / 2
        self.y_max = top + (self.node_px / 2 + 14) / self.px_y
        self.y_min = -top - (self.node_px / 2 + self.label_marker / 2 + 2.6 * self.label_font + 8) / self.px_y
        self.caption_y = self.y_min
        if self.caption:
            self.y_min -= (4.4 * self.font_px) / self.px_y
        self.x_min, self.x_max = -0.42, lay.loss.x + 0.42

        # A faint skeleton of every link, so the structure stays visible where a colour is near zero (white).
        xs, ys = [], []
        for e in [*lay.all_edges, *lay.loss_edges]:
            xs += [e.x0, e.x1, None]
            ys += [e.y0, e.y1, None]
        self._add(
            "skeleton",
            dict(
                type="scatter",
                mode="lines",
                x=xs,
                y=ys,
                hoverinfo="skip",
                line=dict(color=_rgba(th.muted, 0.35), width=th.size(1.0)),
            ),
        )
        for edge in lay.all_edges:
            self._add(
                f"edge:{edge.param}",
                dict(type="scatter", mode="lines", x=[edge.x0, edge.x1], y=[edge.y0, edge.y1], hoverinfo="skip"),
            )
        for e in lay.loss_edges:
            self._add(
                f"loss_edge:{e.j}", dict(type="scatter", mode="lines", x=[e.x0, e.x1], y=[e.y0, e.y1], hoverinfo="skip")
            )
        # Hover markers (and printed numbers) of the weights, then of the output → L links.
        edges, loss_edges = lay.all_edges, lay.loss_edges
        hover = [e.grad_hover if self.gradients else e.value_hover for e in edges]
        hover += [e.grad_hover if self.gradients else e.value_hover for e in loss_edges]
        self._add(
            "edge_labels",
            dict(
                type="scatter",
                mode="markers+text",
                x=[e.xm for e in edges] + [e.xm for e in loss_edges],
                y=[e.ym for e in edges] + [e.ym for e in loss_edges],
                marker=dict(size=self.edge_marker, color="rgba(0,0,0,0)"),
                textfont=dict(size=self.edge_font, color=th.text, shadow=f"0 0 3px {th.paper}"),
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                hoverlabel=dict(align="left"),  # equations read left to right
                customdata=[e.param for e in edges] + [f"loss[{e.j}]" for e in loss_edges],
                # A weight's number starts at its marker (clear of the source node's labels, short of the
                # destination even as "old → new"); an output → L link's sits beside its line, away from it.
                textposition=["middle right"] * len(edges)
                + [
                    "top right" if e.y0 > 1e-9 else "bottom right" if e.y0 < -1e-9 else "top center" for e in loss_edges
                ],
            ),
        )
        # Neurons and the loss node in one trace (customdata: layer, index; the loss node is layer L+1).
        nodes, loss = lay.all_nodes, lay.loss
        L = lay.n_layers
        self._add(
            "nodes",
            dict(
                type="scatter",
                mode="markers+text",
                x=[n.x for n in nodes] + [loss.x],
                y=[n.y for n in nodes] + [loss.y],
                text=[n.name for n in nodes] + ["L"],
                textposition="middle center",
                textfont=dict(size=self.font_px),
                # opacity explicit: with an array of sizes Plotly takes the trace for a bubble chart (default 0.7).
                marker=dict(
                    size=[self.node_px] * len(nodes) + [self.node_px * 0.9],
                    symbol=["circle"] * len(nodes) + ["square"],
                    opacity=1,
                ),
                hovertext=[n.grad_hover if self.gradients else n.value_hover for n in nodes]
                + [loss.grad_hover if self.gradients else loss.value_hover],
                hovertemplate="%{hovertext}<extra></extra>",
                hoverlabel=dict(align="left"),  # equations read left to right
                customdata=[[n.layer, n.index] for n in nodes] + [[L + 1, 0]],
            ),
        )
        # Under each node: its number, and under a neuron its bias (the hover marker is the bias's).
        bias = {(b.layer, b.j): b for b in lay.all_biases}
        label_hover, label_data = [], []
        for n in nodes:
            b = bias.get((n.layer, n.index))
            if b is None:
                label_hover.append(n.grad_hover if self.gradients else n.value_hover)
                label_data.append(f"x[{n.index}]")
            else:
                label_hover.append(b.grad_hover if self.gradients else b.value_hover)
                label_data.append(b.param)
        self._add(
            "labels",
            dict(
                type="scatter",
                mode="markers+text",
                x=[n.x for n in nodes] + [loss.x],
                y=[n.y - self.dy_labels for n in nodes] + [loss.y - self.dy_labels * 0.9],
                textposition="bottom center",
                textfont=dict(size=self.label_font, color=th.text),
                marker=dict(size=self.label_marker, color="rgba(0,0,0,0)"),
                hovertext=label_hover + [loss.grad_hover if self.gradients else loss.value_hover],
                hovertemplate="%{hovertext}<extra></extra>",
                hoverlabel=dict(align="left"),  # equations read left to right
                customdata=label_data + ["loss"],
            ),
        )
        if self.caption:
            self._add(
                "caption",
                dict(
                    type="scatter",
                    mode="text",
                    x=[(self.x_min + self.x_max) / 2],
                    y=[self.caption_y],
                    textposition="bottom center",
                    textfont=dict(size=self.label_font, color=th.text),
                    hoverinfo="skip",
                ),
            )
        vmax = lay.vmax_gradients if self.gradients else lay.vmax_values
        title = "δ, ∂L/∂w" if self.gradients else "w, b"
        self._add(
            "colorbar",
            dict(
                type="scatter",
                mode="markers",
                x=[loss.x, loss.x],
                y=[loss.y, loss.y],
                hoverinfo="skip",
                # A diverged record can leave a finite but absurd scale (10³⁰⁰) that Plotly cannot draw: no bar then.
                marker=dict(
                    size=0.001,
                    color=[-vmax, vmax],
                    cmin=-vmax,
                    cmax=vmax,
                    colorscale=DIVERGING,
                    showscale=vmax < 1e100,
                    colorbar=dict(colorbar(th, title), x=1.0, xanchor="left", xpad=th.size(10)),
                ),
            ),
        )

    @staticmethod
    def _text_width(text: str, font: float) -> float:
        """Estimated pixel width of the longest line of ``text`` (tags stripped), from Arial's advance widths."""
        lines = re.sub(r"<(?!br)[^>]*>", "", text).split("<br>")
        return font * max(sum(_EM.get(ch, 0.6) for ch in line) for line in lines)

    def _labels_fit(self, edges, texts: list[str], node_labels: dict) -> bool:
        """True when a layer's edge numbers neither touch each other nor the labels under its destinations.

        Each number starts at its edge's marker and runs right; all of a layer's markers share one x,
        so two numbers clash when their rows are less than a line apart, and a number clashes with a
        destination when its box meets the node or the label block under it (in pixels, y down).
        """
        shown = [(e, t) for e, t in zip(edges, texts) if t]
        if not shown:
            return True
        rows = np.sort([e.ym for e, _ in shown]) * self.px_y
        if len(rows) > 1 and np.diff(rows).min() < 1.3 * self.edge_font:
            return False
        r = self.node_px / 2
        obstacles = []
        for j in {e.j for e in edges}:
            e = next(e for e in edges if e.j == j)
            x, y = e.x1 * self.px_x, -e.y1 * self.px_y
            label = node_labels.get((e.layer, j), "")
            half = max(r, self._text_width(label, self.label_font) / 2) if label else r
            lines = label.count("<br>") + 1 if label else 0
            obstacles.append((x - r, x + r, y - r, y + r))
            obstacles.append((x - half, x + half, y + r, y + r + self.label_marker / 2 + lines * 1.3 * self.label_font))
        for e, text in shown:
            x0 = e.xm * self.px_x + self.edge_marker / 2
            x1 = x0 + self._text_width(text, self.edge_font)
            y = -e.ym * self.px_y
            y0, y1 = y - 0.65 * self.edge_font, y + 0.65 * self.edge_font
            for ox0, ox1, oy0, oy1 in obstacles:
                if x0 < ox1 and ox0 < x1 and y0 < oy1 and oy0 < y1:
                    return False
        return True

    def _add(self, key: str, trace: dict) -> None:
        trace["name"] = key  # a stable handle for widgets and tests ("edge:W2[0,1]", "nodes", "caption", …)
        self.index[key] = len(self.traces)
        self.traces.append(trace)

    # ------------------------------------------------------------------ styles of a state
    def styles(self, st: Look) -> dict[int, dict]:
        """The dynamic attributes of every trace in state ``st``: {trace index: partial trace}."""
        lay, th = self.lay, self.theme
        L = lay.n_layers
        dim_color, dim_width = "rgba(0,0,0,0)", th.size(th.edge_width_min)  # unlit: only the skeleton shows
        out: dict[int, dict] = {}

        fills, borders, border_widths, name_colors, labels = [], [], [], [], []
        bias = {(b.layer, b.j): b for b in lay.all_biases}
        muted = th.muted
        for n in lay.all_nodes:
            look = st.nodes[n.layer]
            if n.layer == L and st.output_nodes is not None:
                look = st.output_nodes
            if n.layer == 0 and look != "blank":
                look = "value"
            value = {"grad_a": n.grad_a, "delta": n.delta}.get(look)
            if value is None:
                fills.append(th.node_fill)
                name_colors.append(th.text)
            else:
                fills.append(signed_color(value, lay.vmax_gradients))
                name_colors.append(text_color_on(value, lay.vmax_gradients, th))
            label = {"blank": "", "value": n.value_label, "grad_a": n.grad_a_label, "delta": n.delta_label}[look]
            b = bias.get((n.layer, n.index))
            if b is not None:
                b_look = st.biases[n.layer]
                b_text = {"dim": "", "value": b.value_label, "grad": b.grad_label, "update": b.update_label}[b_look]
                if b_text:
                    label += f"<br><span style='color:{muted}'>{b_text}</span>"
            labels.append(label)
            lit = st.current == n.layer
            borders.append(th.accent if lit else muted)
            border_widths.append(th.size(3.5 if lit else 1.2))
        lit = st.current == "loss"
        fills.append(th.node_fill)
        name_colors.append(th.text)
        borders.append(th.accent if lit else muted)
        border_widths.append(th.size(3.5 if lit else 1.2))
        loss_label = "" if st.loss == "dim" else f"L = {lay.loss.label}"
        if lay.n_samples > 1 and st.loss != "dim":
            loss_label += f"<br><span style='color:{muted}'>batch mean</span>"
        labels.append(loss_label)
        out[self.index["nodes"]] = dict(
            type="scatter",
            marker=dict(color=fills, line=dict(color=borders, width=border_widths)),
            textfont=dict(color=name_colors),
        )
        out[self.index["labels"]] = dict(type="scatter", text=labels)
        edge_text = []
        node_labels = {(n.layer, n.index): text for n, text in zip(lay.all_nodes, labels)}
        for layer_edges in lay.edges:
            look = st.edges[layer_edges[0].layer]
            texts = []
            for e in layer_edges:
                if look == "dim":
                    line = dict(color=dim_color, width=dim_width, dash="solid")
                    texts.append("")
                else:
                    v, vmax = (e.value, lay.vmax_values) if look == "value" else (e.grad, lay.vmax_gradients)
                    line = dict(color=_edge_color(v, vmax), width=_width(v, vmax, th), dash=_dash(v))
                    texts.append({"value": e.value_label, "grad": e.grad_label, "update": e.update_label}[look])
                out[self.index[f"edge:{e.param}"]] = dict(type="scatter", line=line)
            # All of a layer's numbers or none: a few printed and others not would look like missing data.
            show = self._labels_fit(layer_edges, texts, node_labels)
            edge_text += texts if show else [""] * len(texts)
        for e in lay.loss_edges:
            if st.loss == "grad":
                vmax = lay.vmax_gradients
                line = dict(color=_edge_color(e.grad, vmax), width=_width(e.grad, vmax, th), dash=_dash(e.grad))
                edge_text.append(e.grad_label)
            elif st.loss == "value":
                line = dict(color=_rgba(th.muted, 0.8), width=th.size(th.edge_width_min), dash="dot")
                edge_text.append(e.value_label)
            else:
                line = dict(color=dim_color, width=dim_width, dash="dot")
                edge_text.append("")
            out[self.index[f"loss_edge:{e.j}"]] = dict(type="scatter", line=line)
        out[self.index["edge_labels"]] = dict(type="scatter", text=edge_text)
        if self.caption:
            out[self.index["caption"]] = dict(type="scatter", text=[st.caption])
        return out

    # ------------------------------------------------------------------ figures
    def figure(
        self, states: list[Look], title: str, *, width, height, frame_names: list[str] | None = None
    ) -> go.Figure:
        """A still figure (one state) or an animation (one frame per state, first shown at start)."""
        return go.Figure(self.spec(states, title, width=width, height=height, frame_names=frame_names))

    def spec(self, states: list[Look], title: str, *, width, height, frame_names: list[str] | None = None) -> dict:
        """``figure`` as a plain dict (no Plotly validation)."""
        th = self.theme
        styles = [self.styles(st) for st in states]
        data = [_merge(trace, styles[0].get(k, {})) for k, trace in enumerate(self.traces)]
        frames = []
        if len(states) > 1:
            # Only traces whose look changes between frames go into the frames; geometry stays in fig.data.
            dynamic = sorted(k for k in styles[0] if any(s[k] != styles[0][k] for s in styles[1:]))
            frames = [
                dict(name=name, data=[s[k] for k in dynamic], traces=dynamic) for name, s in zip(frame_names, styles)
            ]
        width = width or int(round((self.x_max - self.x_min) * self.px_x + th.size(40 + 150)))
        bottom = th.size(85 if frames else 30)
        top = th.size(75 if self.lay.finite else 105)
        height = height or int(round((self.y_max - self.y_min) * self.px_y + top + bottom))
        extra = _player_layout(th, frame_names) if frames else {}
        notes = [] if self.lay.finite else [divergence_note(th, DIVERGED_NOTE)]
        return figure_spec(
            th,
            data,
            title=title,
            frames=frames,
            annotations=notes,
            width=width,
            height=height,
            hovermode="closest",
            showlegend=False,
            margin=dict(l=th.size(20), r=th.size(110), t=top, b=bottom),
            xaxis=dict(visible=False, range=[self.x_min, self.x_max], fixedrange=True),
            yaxis=dict(visible=False, range=[self.y_min, self.y_max], fixedrange=True),
            **extra,
        )


DIVERGED_NOTE = "Diverged: the record holds NaN or ∞ (drawn in red, labelled NaN/∞, widths clipped)"


def _merge(base: dict, update: dict) -> dict:
    """``base`` with ``update`` merged in, one level of nested dicts deep (marker, line, textfont)."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            inner = dict(out[key])
            for k2, v2 in value.items():
                inner[k2] = {**inner[k2], **v2} if isinstance(v2, dict) and isinstance(inner.get(k2), dict) else v2
            out[key] = inner
        else:
            out[key] = value
    return out


def _player_layout(theme: Theme, names: list[str]) -> dict:
    """Play/pause buttons and a frame slider under the plot, in the theme's colours."""
    play = dict(
        frame=dict(duration=FRAME_MS, redraw=True), transition=dict(duration=0), fromcurrent=True, mode="immediate"
    )
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    jump = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    font = dict(size=theme.size(theme.font_size * 0.9), color=theme.text)
    return dict(
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0.0,
                y=0.0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=theme.size(38), r=10),
                showactive=False,
                font=font,
                bgcolor=theme.node_fill,
                bordercolor=theme.muted,
                buttons=[
                    dict(label="▶ Play", method="animate", args=[None, play]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], pause]),
                ],
            )
        ],
        sliders=[
            dict(
                active=0,
                x=0.2,
                y=0.0,
                len=0.8,
                xanchor="left",
                yanchor="top",
                pad=dict(t=theme.size(30)),
                font=font,
                bgcolor=theme.node_fill,
                activebgcolor=theme.accent,
                bordercolor=theme.muted,
                tickcolor=theme.muted,
                currentvalue=dict(visible=False),
                steps=[dict(label=name, method="animate", args=[[name], jump]) for name in names],
            )
        ],
    )


# ---------------------------------------------------------------------------- public figures
def _title(main: str, lay: NetworkLayout, theme: Theme) -> str:
    sub = lay.description
    if lay.n_samples > 1:
        sub += f"; sample {lay.sample + 1} of a batch of {lay.n_samples} (gradients: the whole batch)"
    return f"{main}<br><span style='font-size:{theme.size(theme.font_size * 0.85):.0f}px'>{sub}</span>"


def _prepare(record, sample, theme, lecture, width, height, lr=None) -> tuple[NetworkLayout, Theme]:
    check_common(record, sample=sample, theme=theme, lecture=lecture, width=width, height=height)
    return network_layout(record, int(sample), lr), get_theme(theme, lecture=bool(lecture))


def plot_network(record, mode: str = "values", **options) -> go.Figure:
    """The network of ``record`` as nodes and edges, showing forward values or backward gradients.

    values:    node = aˡⱼ (the shown sample), edge = wˡᵢⱼ, label under a neuron = its bias bˡⱼ
    gradients: node = δˡⱼ = ∂L/∂zˡⱼ, edge = ∂L/∂wˡᵢⱼ = Σₛ aˡ⁻¹ᵢ δˡⱼ, bias label = ∂L/∂bˡⱼ,
               output → L links = ∂L/∂aᴸ; one diverging scale centred on 0 for all of them.

    Options (keyword only): sample, lr, stage, theme, lecture, width, height — see ``network_spec``.
    """
    return go.Figure(network_spec(record, mode, **options))


def network_spec(
    record,
    mode: str = "values",
    *,
    sample: int = 0,
    lr: float | None = None,
    stage: int | None = None,
    theme: str = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
) -> dict:
    """``plot_network`` as a plain figure dict (for apps that update a live figure without re-validating).

    values:    node = aˡⱼ (the shown sample), edge = wˡᵢⱼ, label under a neuron = its bias bˡⱼ
    gradients: node = δˡⱼ = ∂L/∂zˡⱼ, edge = ∂L/∂wˡᵢⱼ = Σₛ aˡ⁻¹ᵢ δˡⱼ, bias label = ∂L/∂bˡⱼ,
               output → L links = ∂L/∂aᴸ; one diverging scale centred on 0 for all of them.

    Parameters
    ----------
    record: a ``Record`` from ``Network.backprop(X, y)``; up to about 6 layers × 8 neurons read well.
    mode: "values" or "gradients".
    sample: which sample's forward values (and δ) a batch record shows; gradients are the batch's.
    lr: with a learning rate, gradient hovers add the update w⁺ = w − η·∂L/∂w.
    stage: gradients mode only: show one step of the backward pass as ``animate_backward``'s frame
        ``stage`` does (0: ∂L/∂a at the outputs, k: δ of the last k layers, n_layers + 1: the update
        with η = lr, or 0.5 if lr is None), with its caption. None shows every gradient at once.
    theme: "light" or "dark"; lecture: enlarge everything for a projector.
    width, height: pixels (default: sized to the network).
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if stage is not None:
        if mode != "gradients":
            raise ValueError(f"stage goes with mode='gradients'; got mode={mode!r}")
        n_stages = len(record.weights) + 2 if isinstance(record, Record) else 0
        if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not 0 <= stage < max(n_stages, 1):
            raise ValueError(f"stage must be an integer from 0 to {n_stages - 1} (or None); got {stage!r}")
        lr_given = check_lr(lr)
        check_common(record, sample=sample, theme=theme, lecture=lecture, width=width, height=height)
        lay = network_layout(
            record, int(sample), DEFAULT_LR if lr_given is None else lr_given, lr_is_default=lr_given is None
        )
        th = get_theme(theme, lecture=bool(lecture))
        diagram = _Diagram(lay, th, gradients=True, caption=True)
        title = _title("The backward pass, step by step", lay, th)
        return diagram.spec([backward_looks(lay)[int(stage)]], title, width=width, height=height)
    lr = check_lr(lr)
    lay, th = _prepare(record, sample, theme, lecture, width, height, lr)
    diagram = _Diagram(lay, th, gradients=mode == "gradients", caption=False)
    state = still_look(lay, mode)
    title = _title(STILL_TITLES[mode], lay, th)
    return diagram.spec([state], title, width=width, height=height)


def animate_forward(
    record,
    *,
    sample: int = 0,
    theme: str = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """The forward pass layer by layer: frame k lights layer k, zˡ = aˡ⁻¹Wˡ + bˡ, aˡ = f(zˡ); the last frame the loss.

    n_layers + 2 frames (inputs, each layer, the loss). Parameters as in ``plot_network``.
    """
    lay, th = _prepare(record, sample, theme, lecture, width, height)
    L = lay.n_layers
    diagram = _Diagram(lay, th, gradients=False, caption=True)
    states = forward_looks(lay)
    names = ["inputs"] + [f"layer {k}" for k in range(1, L + 1)] + ["loss"]
    return diagram.figure(
        states, _title("The forward pass, layer by layer", lay, th), width=width, height=height, frame_names=names
    )


def animate_backward(
    record,
    lr: float | None = None,
    *,
    sample: int = 0,
    theme: str = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """The backward pass, one layer per frame, then the update.

    Frame 0: the output error ∂L/∂aᴸ. Frame k (1..L): δ of layer L−k+1 = f′(z) ⊙ (W δ of the layer
    above) and ∂L/∂W of the weights into it. Last frame: w ← w − η·∂L/∂w (``rec.updated_parameters``),
    old → new on each edge, frozen parameters marked as held. n_layers + 2 frames.

    lr: the η of the update frame; None uses 0.5 and the caption says so. Other parameters as in
    ``plot_network``.
    """
    lr_given = check_lr(lr)
    check_common(record, sample=sample, theme=theme, lecture=lecture, width=width, height=height)
    lay = network_layout(
        record, int(sample), DEFAULT_LR if lr_given is None else lr_given, lr_is_default=lr_given is None
    )
    th = get_theme(theme, lecture=bool(lecture))
    L = lay.n_layers
    diagram = _Diagram(lay, th, gradients=True, caption=True)
    states = backward_looks(lay)
    names = ["∂L/∂a"] + [f"layer {L - k + 1}" for k in range(1, L + 1)] + ["update"]
    return diagram.figure(
        states,
        _title("The backward pass: the error flows from the loss to the inputs", lay, th),
        width=width,
        height=height,
        frame_names=names,
    )


__all__ = ["plot_network", "network_spec", "animate_forward", "animate_backward", "MODES", "DEFAULT_LR"]
