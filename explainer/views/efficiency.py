"""Figures for the deeper-networks notebook: backprop's cost against finite differences, gradient norms by activation.

Pure functions from the engine's results (``explainer.course.efficiency``) to ``go.Figure``; nothing here
measures, trains or runs a network.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..course.efficiency import CostComparison, GradientNorms
from .style import QUALITATIVE, Theme, fmt, muted_note, new_figure
from .training import check_figure_options, figure_size

BACKPROP_COLOR, FD_COLOR, FORWARD_COLOR = QUALITATIVE[0], QUALITATIVE[1], QUALITATIVE[2]


def _axis(th: Theme, title: str, **extra) -> dict:
    return dict(
        title=dict(text=title, font=dict(size=th.size(th.font_size))),
        tickfont=dict(size=th.size(th.font_size * 0.9)),
        **extra,
    )


def _check_bool(value, argument: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{argument} must be True or False; got {value!r}")
    return bool(value)


def plot_gradient_costs(
    comparison: CostComparison,
    *,
    show_forward: bool = True,
    show_theory: bool = True,
    theme: str | Theme = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
    title: str | None = "Time for all P gradients: backprop against finite differences",
) -> go.Figure:
    """Measured seconds for all P gradients against P, log-log: one backprop vs 2P forward passes.

    comparison: from ``compare_gradient_costs``; its ``n_parameters`` (K,) are x, ``backprop_seconds`` and
        ``finite_difference_seconds`` (K,) are y; each finite-difference point is labelled with the ratio.
    show_forward: also draw one forward pass (``forward_seconds``), the unit both costs are counted in.
    show_theory: also draw 2P × (one forward pass), what finite differences should cost (dotted).
    theme: "light" or "dark"; lecture: larger fonts and markers; width, height: pixels.
    """
    if not isinstance(comparison, CostComparison):
        raise ValueError(
            f"comparison must be a CostComparison from explainer.course.efficiency.compare_gradient_costs; "
            f"got {type(comparison).__name__}"
        )
    th = check_figure_options(theme, lecture, width, height)
    show_forward = _check_bool(show_forward, "show_forward")
    show_theory = _check_bool(show_theory, "show_theory")
    P = comparison.n_parameters.astype(float)
    hover_sizes = ["-".join(map(str, s)) for s in comparison.sizes]
    line, marker = dict(width=th.size(2.5)), dict(size=th.size(9))

    def series(name, seconds, color, **extra):
        return dict(
            type="scatter",
            x=P,
            y=np.asarray(seconds, dtype=float),
            name=name,
            mode=extra.pop("mode", "lines+markers"),
            line=dict(line, color=color, **extra.pop("line", {})),
            marker=dict(marker, color=color),
            customdata=hover_sizes,
            hovertemplate=f"network %{{customdata}}<br>P = %{{x}}<br>{name}: %{{y:.3s}}s<extra></extra>",
            **extra,
        )

    data = []
    if show_forward:
        data.append(series("one forward pass", comparison.forward_seconds, FORWARD_COLOR, line=dict(dash="dot")))
    if show_theory:
        theory = comparison.finite_difference_forward_passes * comparison.forward_seconds
        data.append(
            series(
                "2P forward passes (theory)",
                theory,
                FD_COLOR,
                mode="lines",
                line=dict(dash="dot", width=th.size(1.5)),
                opacity=0.6,
            )
        )
    data.append(series("backprop", comparison.backprop_seconds, BACKPROP_COLOR))
    data.append(
        series(
            "finite differences",
            comparison.finite_difference_seconds,
            FD_COLOR,
            mode="lines+markers+text",
            text=[f"{r:,.0f}×" for r in comparison.ratio],
            textposition="top left",
            textfont=dict(size=th.size(th.font_size * 0.9), color=FD_COLOR),
        )
    )
    fig = new_figure(
        th,
        data,
        title=title,
        xaxis=_axis(th, "number of parameters P (log scale)", type="log", dtick=1),
        yaxis=_axis(th, "seconds for all P gradients (log scale)", type="log", dtick=1, exponentformat="SI"),
        legend=dict(x=0.01, y=0.99, xanchor="left", yanchor="top", bgcolor="rgba(0,0,0,0)"),
        **figure_size(th, width, height, (760, 480)),
    )
    largest = int(np.argmax(P))
    fig.add_annotation(
        text=(
            f"P = {int(P[largest]):,}: finite differences take {comparison.ratio[largest]:,.0f}× as long as backprop"
            f" ({int(comparison.finite_difference_forward_passes[largest]):,} forward passes against one forward"
            " and one backward)"
        ),
        xref="paper",
        yref="paper",
        x=0.0,
        y=-0.02,
        xanchor="left",
        yanchor="top",
        yshift=-th.size(58),
        showarrow=False,
        font=dict(size=th.size(th.font_size * 0.85), color=th.muted),
        name="ratio",
    )
    fig.update_layout(margin=dict(b=th.size(100)))
    return fig


def plot_gradient_norms_by_activation(
    result: GradientNorms,
    *,
    quantity: str = "weights",
    after: bool | None = None,
    theme: str | Theme = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """Per-layer gradient norm at initialisation, log y, one line per activation; layer 1 is the input side.

    result: from ``gradient_norms_by_activation``; ``weight_norms`` or ``delta_norms`` (A, L) are drawn,
        row a as the line of ``activations[a]`` over layers 1..L.
    quantity: "weights" for ‖∂L/∂Wˡ‖ or "deltas" for ‖δˡ‖ = ‖∂L/∂zˡ‖.
    after: also draw the norms after the result's training steps (dashed); None: when the result has them.
    theme: "light" or "dark"; lecture: larger fonts and markers; width, height: pixels.
    """
    if not isinstance(result, GradientNorms):
        raise ValueError(
            f"result must be a GradientNorms from explainer.course.efficiency.gradient_norms_by_activation; "
            f"got {type(result).__name__}"
        )
    if quantity not in ("weights", "deltas"):
        raise ValueError(f"quantity must be one of weights, deltas; got {quantity!r}")
    th = check_figure_options(theme, lecture, width, height)
    has_after = result.weight_norms_after is not None
    if after is None:
        after = has_after
    after = _check_bool(after, "after")
    if after and not has_after:
        raise ValueError("after=True needs a result computed with steps > 0 (it holds no norms after training)")
    symbol = "‖∂L/∂Wˡ‖" if quantity == "weights" else "‖δˡ‖ = ‖∂L/∂zˡ‖"
    start = result.weight_norms if quantity == "weights" else result.delta_norms
    later = result.weight_norms_after if quantity == "weights" else result.delta_norms_after
    layers = result.layers
    data = []
    for a, name in enumerate(result.activations):
        color = QUALITATIVE[a % len(QUALITATIVE)]
        data.append(
            dict(
                type="scatter",
                x=layers,
                y=start[a],
                name=name,
                legendgroup=name,
                mode="lines+markers",
                line=dict(color=color, width=th.size(2.5)),
                marker=dict(color=color, size=th.size(9)),
                hovertemplate=f"{name}, layer %{{x}}<br>{symbol} = %{{y:.3e}}<extra></extra>",
            )
        )
        if after:
            data.append(
                dict(
                    type="scatter",
                    x=layers,
                    y=later[a],
                    name=f"{name} after {result.steps} steps",
                    legendgroup=name,
                    mode="lines+markers",
                    line=dict(color=color, width=th.size(1.8), dash="dash"),
                    marker=dict(color=color, size=th.size(7), symbol="circle-open"),
                    hovertemplate=(
                        f"{name} after {result.steps} steps, layer %{{x}}<br>{symbol} = %{{y:.3e}}<extra></extra>"
                    ),
                )
            )
    if title is None:
        title = f"Gradient size per layer: {symbol} in a {'-'.join(map(str, result.sizes))} network"
    ratios = start[:, 0] / start[:, -1]
    note = f"layer 1 ÷ layer {result.n_layers}: " + ", ".join(
        f"{name} {fmt(r, 2).lstrip('+')}" for name, r in zip(result.activations, ratios)
    )
    fig = new_figure(
        th,
        data,
        title=title,
        xaxis=_axis(th, "layer (1 = input side)", tickmode="array", tickvals=layers.tolist()),
        yaxis=_axis(th, f"{symbol} (log scale)", type="log", dtick=1, exponentformat="power"),
        **figure_size(th, width, height, (760, 460)),
    )
    fig.add_annotation(muted_note(th, note, th.size(4), name="ratio"))
    return fig
