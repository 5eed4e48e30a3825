"""The visual language every figure speaks: themes, sizes, the signed colour scale.

- Sign is colour *and* text: a diverging purple–orange scale (PuOr, safe for the common forms of
  colour blindness) centred on zero, orange for positive, purple for negative, and every number
  printed with an explicit + or − sign. Negative weights are also drawn dashed.
- Magnitude is width (edges) or colour depth (nodes).
- ``lecture=True`` enlarges every font, node and line so the back row can read it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from .._validate import one_of

# PuOr reversed so that negative is purple and positive orange; the middle is a neutral grey-white.
DIVERGING = [
    [0.0, "#2d004b"],
    [0.1, "#542788"],
    [0.2, "#8073ac"],
    [0.3, "#b2abd2"],
    [0.4, "#d8daeb"],
    [0.5, "#f7f7f7"],
    [0.6, "#fee0b6"],
    [0.7, "#fdb863"],
    [0.8, "#e08214"],
    [0.9, "#b35806"],
    [1.0, "#7f3b08"],
]

# Distinct colours for several optimisers' paths or classes (Okabe–Ito, colour-blind safe).
QUALITATIVE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

# A magnitude that is never negative (a loss): lightness only, low = the background, high = ink, so
# coloured paths and markers drawn on top keep their contrast everywhere on the surface.
MAGNITUDE = {
    "light": [[0.0, "#ffffff"], [0.15, "#e6e9ed"], [0.35, "#c3c8cf"], [0.6, "#8e959f"], [1.0, "#2f343b"]],
    "dark": [[0.0, "#111418"], [0.15, "#232830"], [0.35, "#3d444e"], [0.6, "#6c7480"], [1.0, "#d0d5dc"]],
}


@dataclass(frozen=True)
class Theme:
    """Colours and sizes for one look; ``scale`` multiplies every size."""

    name: str
    background: str
    paper: str
    text: str
    muted: str  # secondary text, grid lines
    node_fill: str  # a node that holds no value yet
    accent: str  # the highlighted layer / current point
    font_family: str = "Helvetica Neue, Arial, sans-serif"
    font_size: float = 13
    title_size: float = 17
    node_size: float = 46
    edge_width_max: float = 9
    edge_width_min: float = 1.2
    scale: float = 1.0
    grid: str = "#e5e5e5"  # grid and zero lines
    zero: str = "#cfcfcf"  # the signed scale's middle in diagrams: a value near 0 is grey, never white
    error: str = "#d62728"  # non-finite values and the divergence banner

    def size(self, value: float) -> float:
        """A size in this theme's scale."""
        return value * self.scale


THEMES: dict[str, Theme] = {
    "light": Theme(
        name="light",
        background="#ffffff",
        paper="#ffffff",
        text="#1a1a1a",
        muted="#8c8c8c",
        node_fill="#eeeeee",
        accent="#0072B2",
        grid="#e5e5e5",
    ),
    "dark": Theme(
        name="dark",
        background="#111418",
        paper="#111418",
        text="#f0f0f0",
        muted="#8a8f98",
        node_fill="#2a2f36",
        accent="#56B4E9",
        grid="#2f353d",
        zero="#59606b",
        error="#ff6b6b",
    ),
}

LECTURE_SCALE = 1.6


def get_theme(theme: str | Theme = "light", lecture: bool = False) -> Theme:
    """The named theme (``light`` or ``dark``), enlarged for a lecture hall when ``lecture``."""
    if isinstance(theme, Theme):
        base = theme
    else:
        base = THEMES[one_of(theme, THEMES, "theme")]
    if lecture and base.scale == 1.0:
        return replace(base, scale=LECTURE_SCALE)
    return base


def magnitude_scale(theme: Theme) -> list:
    """The colour scale for a non-negative magnitude (a loss) in ``theme``: background → ink."""
    return MAGNITUDE["dark" if theme.name == "dark" else "light"]


def ordered_colors(n: int, theme: Theme) -> list[str]:
    """``n`` colours in a perceptual order (viridis), for things that have an order such as layers 1..L.

    The dark end is skipped on a dark background so that every colour stays visible.
    """
    from plotly.colors import sample_colorscale

    low, high = (0.35, 1.0) if theme.name == "dark" else (0.0, 0.85)
    if n == 1:
        return sample_colorscale("Viridis", [low])
    return sample_colorscale("Viridis", list(np.linspace(low, high, n)))


def signed_color(value: float, vmax: float) -> str:
    """The diverging colour of ``value`` on a scale from −vmax (purple) to +vmax (orange)."""
    if not np.isfinite(value):
        return "#d62728"  # non-finite: an alarm red, outside the scale on purpose
    t = 0.5 if vmax <= 0 else float(np.clip(0.5 + 0.5 * value / vmax, 0.0, 1.0))
    for (t0, c0), (t1, c1) in zip(DIVERGING[:-1], DIVERGING[1:]):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb0, rgb1 = _hex_to_rgb(c0), _hex_to_rgb(c1)
            r, g, b = (round(a + (b_ - a) * f) for a, b_ in zip(rgb0, rgb1))
            return f"rgb({r},{g},{b})"
    return DIVERGING[-1][1]


def scale_color(value: float, vmax: float, theme: Theme) -> str:
    """The diverging colour of ``value`` with the theme's grey (``theme.zero``) in the middle.

    The diagrams use it for nodes, edges and their colour bar alike: near zero a value is grey on either
    background, purple below and orange above, deeper with its size; non-finite values are the alarm red.
    """
    if not np.isfinite(value):
        return theme.error
    t = 0.5 if vmax <= 0 else float(np.clip(0.5 + 0.5 * value / vmax, 0.0, 1.0))
    stops = scale_stops(theme)
    for (t0, c0), (t1, c1) in zip(stops[:-1], stops[1:]):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb0, rgb1 = _hex_to_rgb(c0), _hex_to_rgb(c1)
            r, g, b = (round(a + (b_ - a) * f) for a, b_ in zip(rgb0, rgb1))
            return f"#{r:02x}{g:02x}{b:02x}"
    return stops[-1][1]


def scale_stops(theme: Theme) -> list[tuple[float, str]]:
    """The stops of ``scale_color``'s scale, for a colour bar: PuOr with the theme's grey in the middle
    (the near-white stops beside the middle are left out, so that no value glares on a dark background)."""
    return [(s, theme.zero if s == 0.5 else c) for s, c in DIVERGING if s not in (0.4, 0.6)]


def text_color_on(value: float, vmax: float, theme: Theme) -> str:
    """Black or white, whichever reads on the node colour of ``value``."""
    if not np.isfinite(value) or vmax <= 0:
        return theme.text
    return "#ffffff" if abs(value) / vmax > 0.6 else "#1a1a1a"


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def split_power(text: str) -> tuple[str, int | None]:
    """'+1.2×10⁻⁷' → ('+1.2', -7); a number without a power of ten → (text, None)."""
    if "×10" not in text:
        return text, None
    mantissa, power = text.split("×10", 1)
    return mantissa, int(power.translate(_FROM_SUPERSCRIPT))


def fmt(value: float, digits: int = 4) -> str:
    """A number with an explicit sign and ``digits`` significant digits: +0.5933, −0.03810, +1.2×10⁻⁷, NaN."""
    if value is None or not np.isfinite(value):
        return "NaN" if value is None or np.isnan(value) else ("+∞" if value > 0 else "−∞")
    if value == 0:
        return "0"  # zero has no sign (an input of 0 reads 0, not +0)
    text = f"{value:+.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"  # +1.2×10⁻⁷, not ×10^−7
    return text.replace("-", "−")


def fmt_plain(value: float, digits: int = 4) -> str:
    """Like ``fmt`` but without the + sign on positive numbers (for products written inline)."""
    text = fmt(value, digits)
    return text[1:] if text.startswith("+") else text


def finite_max_abs(*arrays, default: float = 1.0) -> float:
    """The largest finite |value| across arrays (the half-width of a symmetric colour scale)."""
    best = 0.0
    for arr in arrays:
        arr = np.asarray(arr, dtype=float)
        finite = arr[np.isfinite(arr)]
        if finite.size:
            best = max(best, float(np.abs(finite).max()))
    return best if best > 0 else default


def theme_template(theme: Theme) -> dict:
    """A small Plotly template of the theme's own.

    Plotly's named templates (``plotly_white``…) are deep-copied and validated on every figure,
    which made a network diagram take ~50 ms to build; this one costs well under a millisecond.
    """
    axis = dict(gridcolor=theme.grid, zerolinecolor=theme.grid, linecolor=theme.muted)
    wall = dict(axis, backgroundcolor=theme.background, showbackground=True)
    return dict(
        layout=dict(
            colorway=QUALITATIVE,
            xaxis=dict(axis, automargin=True),
            yaxis=dict(axis, automargin=True),
            scene=dict(xaxis=wall, yaxis=wall, zaxis=wall),
            polar=dict(bgcolor=theme.background),
        )
    )


def theme_layout(theme: Theme, title: str | None = None, **layout) -> dict:
    """The layout dict of ``theme`` (fonts, colours, margins), with ``layout`` on top."""
    base = dict(
        template=theme_template(theme),
        paper_bgcolor=theme.paper,
        plot_bgcolor=theme.background,
        font=dict(family=theme.font_family, size=theme.size(theme.font_size), color=theme.text),
        title=dict(text=title, font=dict(size=theme.size(theme.title_size))) if title else None,
        margin=dict(l=theme.size(40), r=theme.size(40), t=theme.size(60 if title else 30), b=theme.size(40)),
        hoverlabel=dict(font=dict(size=theme.size(theme.font_size), family="Menlo, Consolas, monospace")),
    )
    base.update(layout)
    return base


def figure_spec(
    theme: Theme, data: list | None = None, *, title: str | None = None, frames: list | None = None, **layout
) -> dict:
    """A figure as a plain dict (data, layout with the theme, frames): what ``new_figure`` wraps.

    Apps that update a live figure in place send such dicts without building (and validating) a
    ``go.Figure`` per event.
    """
    spec = dict(data=data or [], layout=theme_layout(theme, title, **layout))
    if frames:
        spec["frames"] = frames
    return spec


def new_figure(
    theme: Theme, data: list | None = None, *, title: str | None = None, frames: list | None = None, **layout
) -> go.Figure:
    """A Figure built in one go from plain trace dicts, with the theme's layout (the fast way)."""
    return go.Figure(figure_spec(theme, data, title=title, frames=frames, **layout))


def apply_theme(fig: go.Figure, theme: Theme, title: str | None = None, **layout) -> go.Figure:
    """Fonts, colours and margins of ``theme`` on an existing ``fig`` (in place; returns it).

    Prefer ``new_figure``: a figure constructed without a template first gets Plotly's default one.
    """
    spec = theme_layout(theme, title, **layout)
    fig.layout.template = spec.pop("template")  # assigned, not merged into the default template
    fig.update_layout(**spec)
    return fig


def colorbar(theme: Theme, title: str) -> dict:
    """A colour bar spec for the diverging scale."""
    return dict(
        title=dict(text=title, font=dict(size=theme.size(theme.font_size))),
        tickfont=dict(size=theme.size(theme.font_size * 0.9)),
        thickness=theme.size(14),
        len=0.8,
    )


def muted_note(theme: Theme, text: str, yshift: float, name: str = "note") -> dict:
    """A layout annotation: a small muted line at the plot's top left, ``yshift`` px above its top edge."""
    return dict(
        text=text,
        xref="paper",
        yref="paper",
        x=0.0,
        y=1.0,
        xanchor="left",
        yanchor="bottom",
        yshift=yshift,
        showarrow=False,
        font=dict(size=theme.size(theme.font_size * 0.85), color=theme.muted),
        name=name,
    )


def divergence_note(theme: Theme, text: str) -> dict:
    """The layout annotation of ``divergence_annotation``, as a plain dict."""
    return dict(
        text=f"⚠ {text}",
        xref="paper",
        yref="paper",
        x=0.5,
        y=1.0,
        yanchor="bottom",
        showarrow=False,
        font=dict(color="#d62728", size=theme.size(theme.font_size * 1.1)),
        bgcolor="rgba(214,39,40,0.08)",
        bordercolor="#d62728",
        borderwidth=1,
        name="divergence",
    )


def divergence_annotation(fig: go.Figure, theme: Theme, text: str) -> go.Figure:
    """A red banner saying the run diverged (its data are clipped or left out so the plot renders)."""
    fig.add_annotation(**divergence_note(theme, text))
    return fig
