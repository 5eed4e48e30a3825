"""One neuron as a computational graph (the CS231n circuit, micrograd's ``draw_dot``).

    aᵢ, wᵢ → [×] → [+ b] → z → [f] → a → (L for an output neuron)

Every node shows its forward value and its gradient ∂L/∂(node); hovering a node shows the local
derivative and the chain-rule product that gave its gradient. The graph is plain data first
(``_layout.neuron_graph``); this module only draws it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._layout import GraphLayout, check_common, neuron_graph
from .style import (
    DIVERGING,
    Theme,
    colorbar,
    divergence_annotation,
    get_theme,
    new_figure,
    signed_color,
    text_color_on,
)

PX_X = 150.0  # pixels per column
PX_Y = 46.0  # pixels per leaf row
_SYMBOL = {"leaf": "square", "op": "circle", "loss": "diamond", "next": "circle"}


def check_neuron(record, layer, neuron) -> None:
    L = record.n_layers
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 1 <= layer <= L:
        raise ValueError(
            f"layer must be an integer from 1 to {L} (1 = first hidden layer, {L} = output layer); got {layer!r}"
        )
    width = record.sizes[layer]
    if isinstance(neuron, bool) or not isinstance(neuron, (int, np.integer)) or not 0 <= neuron < width:
        raise ValueError(
            f"neuron must be an integer from 0 to {width - 1} (layer {layer} has {width} neurons); got {neuron!r}"
        )


def plot_neuron_graph(
    record,
    layer: int = 1,
    neuron: int = 0,
    *,
    sample: int = 0,
    theme: str = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """The computational graph of one neuron, forward value over gradient at every node.

        z = Σᵢ wᵢ·aᵢ + b,  a = f(z);   ∂L/∂wᵢ = aᵢ·δ,  ∂L/∂aᵢ (this path) = wᵢ·δ,  δ = f′(z)·∂L/∂a

    Parameters
    ----------
    record: a ``Record`` from ``Network.backprop(X, y)``.
    layer: 1..n_layers (n_layers = the output layer, whose graph ends in the loss L).
    neuron: 0-based index within the layer.
    sample: which sample of a batch record (weights and biases then show this sample's share;
        hover gives the batch total).
    theme, lecture, width, height: as in ``plot_network``.
    """
    check_common(record, sample=sample, theme=theme, lecture=lecture, width=width, height=height)
    check_neuron(record, layer, neuron)
    graph = neuron_graph(record, int(layer), int(neuron), int(sample))
    return _draw(graph, get_theme(theme, lecture=bool(lecture)), width, height)


def _draw(graph: GraphLayout, th: Theme, width: int | None, height: int | None) -> go.Figure:
    px_x, px_y = th.size(PX_X), th.size(PX_Y)
    leaf_px, op_px = th.size(36), th.size(34)
    font = th.size(th.font_size)
    label_font = th.size(th.font_size * 0.9)
    nodes = graph.nodes
    where = {n.key: n for n in nodes}
    sizes = [leaf_px if n.kind == "leaf" else op_px * (1.15 if n.kind == "loss" else 1.0) for n in nodes]

    xs, ys = [], []
    for a, b in graph.edges:
        xs += [where[a].x, where[b].x, None]
        ys += [where[a].y, where[b].y, None]
    data = [
        dict(
            type="scatter",
            name="edges",
            mode="lines",
            x=xs,
            y=ys,
            hoverinfo="skip",
            line=dict(color=th.muted, width=th.size(1.4)),
        )
    ]

    fills, name_colors = [], []
    for n in nodes:
        if n.kind in ("next", "loss"):
            fills.append(th.node_fill)
            name_colors.append(th.text)
        else:
            fills.append(signed_color(n.grad, graph.vmax))
            name_colors.append(text_color_on(n.grad, graph.vmax, th))
    data.append(
        dict(
            type="scatter",
            name="nodes",
            mode="markers+text",
            x=[n.x for n in nodes],
            y=[n.y for n in nodes],
            text=[n.symbol for n in nodes],
            textposition="middle center",
            textfont=dict(size=font, color=name_colors),
            marker=dict(
                size=sizes,
                symbol=[_SYMBOL[n.kind] for n in nodes],
                color=fills,
                opacity=1,
                line=dict(color=th.muted, width=th.size(1.2)),
            ),
            hovertext=[n.hover for n in nodes],
            hovertemplate="%{hovertext}<extra></extra>",
            hoverlabel=dict(align="left"),  # equations read left to right
            customdata=[n.customdata for n in nodes],
        )
    )

    # Leaves (the first column) carry value over gradient on their left; operations above and below.
    grad_style = f"color:{th.accent}"
    top_text, top_pos = [], []
    for n in nodes:
        if n.kind == "leaf":
            top_text.append(f"{n.value_label}<br><span style='{grad_style}'>{n.grad_label}</span>")
            top_pos.append("middle left")
        else:
            top_text.append(n.value_label)
            top_pos.append("top center")
    data.append(
        dict(
            type="scatter",
            name="values",
            mode="markers+text",
            x=[n.x for n in nodes],
            y=[n.y for n in nodes],
            text=top_text,
            textposition=top_pos,
            textfont=dict(size=label_font, color=th.text),
            # No outline: with an array of sizes plotly takes a bubble chart and rings each point in the paper colour.
            marker=dict(size=[s + th.size(6) for s in sizes], color="rgba(0,0,0,0)", opacity=1, line=dict(width=0)),
            hoverinfo="skip",
        )
    )
    ops = [n for n in nodes if n.kind != "leaf"]
    data.append(
        dict(
            type="scatter",
            name="gradients",
            mode="markers+text",
            x=[n.x for n in ops],
            y=[n.y for n in ops],
            text=[n.grad_label for n in ops],
            textposition="bottom center",
            textfont=dict(size=label_font, color=th.accent),
            marker=dict(size=op_px + th.size(6), color="rgba(0,0,0,0)"),
            hoverinfo="skip",
        )
    )
    vmax = graph.vmax
    data.append(
        dict(
            type="scatter",
            name="colorbar",
            mode="markers",
            x=[nodes[0].x] * 2,
            y=[nodes[0].y] * 2,
            hoverinfo="skip",
            marker=dict(
                size=0.001,
                color=[-vmax, vmax],
                cmin=-vmax,
                cmax=vmax,
                colorscale=DIVERGING,
                showscale=vmax < 1e100,
                colorbar=dict(colorbar(th, "∂L/∂(node)"), x=1.0, xanchor="left", xpad=th.size(10)),
            ),
        )
    )

    x_min = -(leaf_px / 2 + th.size(130)) / px_x
    x_max = max(n.x for n in nodes) + th.size(70) / px_x
    y_max = th.size(40) / px_y
    y_min = -(graph.rows - 1) - th.size(40) / px_y
    top = th.size(100 if graph.finite else 125)
    bottom = th.size(25)
    width = width or int(round((x_max - x_min) * px_x + th.size(20 + 120)))
    height = height or int(round((y_max - y_min) * px_y + top + bottom))

    sub = (
        "forward value on top, gradient ∂L/∂(node) below (in blue: it flows right to left); "
        "hover a node for the chain rule"
    )
    for note in graph.notes:
        sub += f"<br>{note}"
    small = f"font-size:{th.size(th.font_size * 0.85):.0f}px"
    title = f"{graph.title}<br><span style='{small}'>{sub}</span>"
    fig = new_figure(
        th,
        data,
        title=title,
        width=width,
        height=height,
        hovermode="closest",
        showlegend=False,
        margin=dict(l=th.size(20), r=th.size(110), t=top, b=bottom),
        xaxis=dict(visible=False, range=[x_min, x_max], fixedrange=True),
        yaxis=dict(visible=False, range=[y_min, y_max], fixedrange=True),
    )
    if not graph.finite:
        divergence_annotation(fig, th, "Diverged: the record holds NaN or ∞ (nodes in red, labels say NaN/∞)")
    return fig


__all__ = ["plot_neuron_graph"]
