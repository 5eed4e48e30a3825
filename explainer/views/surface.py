"""Loss-surface figures: the landscape L(u, v) and gradient descent walking over it.

The numbers come from the engine: ``surface.losses`` (a LossSurface from ````explainer.loss_surface``),
the path ``surface.project(history.parameters)``, the loss along it ``history.train_loss`` and the
arrow −``surface.project_gradients(history.gradients)``. Nothing is recomputed here.

Axes: ``losses[i, j]`` sits at (u[i], v[j]), so the figure's z (rows follow the y axis, v) is
``losses.T``. A path is the projection of a walk through all P parameters onto the (u, v) plane, so
in the 3-D view its height — the real loss at that step — need not touch the drawn surface, except
when only the two plotted parameters train.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..engine.loss_surface import LossSurface
from ..engine.training import History
from .diagram import png_uri
from .style import Theme, apply_theme, divergence_annotation, fmt, fmt_plain, magnitude_scale, muted_note
from .training import DIVERGED_COLOR, check_figure_options

KINDS = ("surface", "contour", "both")
# The longest gradient arrow is this share of the surface's span; arrows are for direction and
# relative size, not for their length in parameter units (the legend gives the scale).
ARROW_SHARE = 0.25
# Path losses above this multiple of the surface's highest drawn loss are clipped (a diverging run
# would otherwise stretch the loss axis until the surface is a flat sheet).
PATH_CEILING_FACTOR = 10.0
# A path that leaves the surface's span widens the view by at most this many spans on each side.
VIEW_LIMIT = 1.0
# Path points further than this many spans from the centre are not drawn at all (like NaN points).
FAR_LIMIT = 100.0
CLIP_PERCENTILE = 99.0


# ---------------------------------------------------------------------------------------------- inputs
def _check_surface(surface) -> LossSurface:
    if not isinstance(surface, LossSurface):
        raise ValueError(
            f"surface must be a LossSurface from explainer.loss_surface(...); got {type(surface).__name__}"
        )
    return surface


def _check_kind(kind) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    return kind


def _check_histories(histories, surface: LossSurface, argument: str, allow_none: bool) -> dict[str, History]:
    """Name → History from one History, a list of them, or a dict; ValueError naming ``argument``."""
    allowed = "a History, a list of Histories or a dict name → History"
    if histories is None:
        if allow_none:
            return {}
        raise ValueError(f"{argument} must be {allowed}; got None")
    if isinstance(histories, History):
        items = [(None, histories)]
    elif isinstance(histories, Mapping):
        items = list(histories.items())
        for key, _ in items:
            if not isinstance(key, str):
                raise ValueError(f"{argument} keys must be names (str); got {key!r}")
    elif isinstance(histories, Sequence) and not isinstance(histories, (str, bytes)):
        items = [(None, h) for h in histories]
    else:
        raise ValueError(f"{argument} must be {allowed}; got {type(histories).__name__}")
    if not items:
        raise ValueError(f"{argument} must hold at least one History; it is empty")
    out: dict[str, History] = {}
    P = surface.center.shape[0]
    for key, h in items:
        if not isinstance(h, History):
            raise ValueError(f"{argument} must be {allowed}; found a {type(h).__name__}")
        if len(h) == 0:
            raise ValueError(f"{argument}: a History must hold at least one step; one is empty")
        if h.parameters.ndim != 2 or h.parameters.shape[1] != P:
            raise ValueError(
                f"{argument}: each History must come from the surface's network ({P} parameters); "
                f"got parameters of shape {h.parameters.shape}"
            )
        name = key if key is not None else f"{h.optimizer} (η = {h.lr:g})"
        base, n = name, 2
        while name in out:
            name, n = f"{base} #{n}", n + 1
        out[name] = h
    return out


def _check_bool(value, argument: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{argument} must be True or False; got {value!r}")
    return value


# ---------------------------------------------------------------------------------------------- display data
@dataclass(frozen=True)
class _Display:
    """How the losses are drawn: clipped where they overflowed, optionally on a log₁₀ scale."""

    z: np.ndarray  # (R, R) drawn values, rows follow v (the transpose of surface.losses)
    ceiling: float | None  # the clip for non-finite surface values, if any
    path_ceiling: float  # path losses above this are clipped for display
    floor: float  # smallest positive loss, for log₁₀
    log: bool
    notes: tuple[str, ...]

    def map(self, values: np.ndarray) -> np.ndarray:
        """Drawn heights for losses along a path (non-finite stay non-finite and are dropped later)."""
        out = np.array(values, dtype=float)
        finite = np.isfinite(out)
        out[finite] = np.minimum(out[finite], self.path_ceiling)
        if self.log:
            out[finite] = np.log10(np.maximum(out[finite], self.floor))
        return out


def display_of(surface: LossSurface, log_z: bool) -> _Display:
    losses = np.asarray(surface.losses, dtype=float)
    finite = np.isfinite(losses)
    notes = []
    ceiling = None
    if not finite.all():
        ceiling = float(np.percentile(losses[finite], CLIP_PERCENTILE)) if finite.any() else 1.0
        losses = np.where(finite, np.minimum(losses, ceiling), ceiling)
        notes.append(
            f"{int((~finite).sum())} of {losses.size} grid losses overflowed (inf/NaN): the surface is clipped at "
            f"{fmt_plain(ceiling)} (the {CLIP_PERCENTILE:g}th percentile of the finite ones)"
        )
    top = float(losses.max())
    positive = losses[losses > 0]
    floor = float(positive.min()) if positive.size else 1e-12
    z = np.log10(np.maximum(losses, floor)) if log_z else losses
    return _Display(
        z=np.ascontiguousarray(z.T),
        ceiling=ceiling,
        path_ceiling=PATH_CEILING_FACTOR * max(top, 1e-12),
        floor=floor,
        log=log_z,
        notes=tuple(notes),
    )


@dataclass
class _Path:
    """One history on the surface: its (u, v) coordinates, drawn loss and scaled −gradient per step."""

    name: str
    color: str
    history: History
    uv: np.ndarray  # (T, 2) = surface.project(history.parameters)
    height: np.ndarray  # (T,) drawn loss (history.train_loss, clipped/log as the surface)
    descent: np.ndarray  # (T, 2) = −surface.project_gradients(history.gradients)
    ok: np.ndarray  # (T,) bool: uv and height finite, the point can be drawn
    # Paths that share their start would hide one another: the first drawn (underneath) is the widest,
    # each later one narrower and dashed differently, so every path shows beside the ones on top of it.
    under: int = 0  # how many paths are drawn on top of this one
    dash: str = "solid"

    @property
    def diverged_index(self) -> int | None:
        h = self.history
        if not h.diverged:
            return None
        return len(h) - 1 if h.diverged_at is None else int(h.diverged_at)


def path_colors(th: Theme) -> list[str]:
    """Okabe–Ito for the paths, without black (it would vanish on the surface's darkest part); on a
    dark background the light sky blue comes first instead of the dark blue."""
    if th.name == "dark":
        order = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#F0E442", "#0072B2"]
    else:
        order = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"]
    return order


def paths_of(surface: LossSurface, histories: dict[str, History], display: _Display, th: Theme) -> list[_Path]:
    colors = path_colors(th)
    paths = []
    for k, (name, h) in enumerate(histories.items()):
        uv = surface.project(h.parameters)  # (T, 2)
        height = display.map(h.train_loss)
        with np.errstate(all="ignore"):
            descent = -surface.project_gradients(h.gradients)  # (T, 2)
        # Drawable: finite, and not absurdly far out (a diverging run reaches 1e150, which no SVG can hold).
        far = FAR_LIMIT * 2 * surface.span
        ok = np.all(np.isfinite(uv), axis=1) & np.isfinite(height)
        ok[ok] &= np.all(np.abs(uv[ok]) <= far, axis=1)
        paths.append(_Path(name, colors[k % len(colors)], h, uv, height, descent, ok))
    dashes = ("solid", "dash", "dot", "dashdot")
    for k, path in enumerate(paths):
        path.under = len(paths) - 1 - k
        path.dash = dashes[k % len(dashes)]
    return paths


def axis_title(surface: LossSurface, k: int) -> str:
    """The title of the map's axis k: in the plane of two parameters the axes are their offsets from the
    start θ₀ (0 is the start), and the title says so; random and principal directions are named as they are."""
    label = surface.labels[k]
    return f"Δ{label} (from the start)" if surface.mode == "params" else label


@dataclass(frozen=True)
class _Arrows:
    """How −∇L is drawn: multiplied by ``factor``, and never longer than ``cap`` (parameter units)."""

    factor: float
    cap: float

    def xy(self, start: np.ndarray, vector: np.ndarray) -> tuple[list[float], list[float]]:
        """x, y of the arrow from ``start``; empty when anything is not finite or arrows are off."""
        if self.factor <= 0 or not (np.all(np.isfinite(start)) and np.all(np.isfinite(vector))):
            return [], []
        d = self.factor * np.asarray(vector, dtype=float)
        length = float(np.hypot(d[0], d[1]))
        if length > self.cap:
            d *= self.cap / length
        end = start + d
        return [float(start[0]), float(end[0])], [float(start[1]), float(end[1])]


def _arrow_scale(surface: LossSurface, vectors: list[np.ndarray], on: bool) -> _Arrows:
    """The longest finite arrow drawn is ARROW_SHARE of the span; none longer than twice that."""
    cap = 2 * ARROW_SHARE * surface.span
    if not on:
        return _Arrows(0.0, cap)
    norms = [np.linalg.norm(v, axis=-1) for v in vectors if v.size]
    norms = np.concatenate([n[np.isfinite(n)] for n in norms]) if norms else np.empty(0)
    top = float(norms.max()) if norms.size else 0.0
    return _Arrows(ARROW_SHARE * surface.span / top if top > 0 else 0.0, cap)


# ---------------------------------------------------------------------------------------------- contour pieces
def nice_levels(zmin: float, zmax: float, n: int = 20) -> np.ndarray:
    """About ``n`` evenly spaced round contour levels strictly inside (zmin, zmax): steps of 1, 2, 2.5 or 5 × 10ᵏ."""
    if not (np.isfinite(zmin) and np.isfinite(zmax)) or zmax <= zmin:
        return np.empty(0)
    raw = (zmax - zmin) / n
    power = 10.0 ** np.floor(np.log10(raw))
    step = power * min((m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw), default=10.0)
    first = np.ceil(zmin / step) * step
    levels = np.arange(first, zmax, step)
    return levels[(levels > zmin) & (levels < zmax)]


def contour_lines(x: np.ndarray, y: np.ndarray, Z: np.ndarray, levels: np.ndarray) -> list[np.ndarray]:
    """Level sets Z = c by marching squares: per level an array (n, 4) of segments x0, y0, x1, y1.

    Z[i, j] is the value at (x[j], y[i]). Along each cell edge whose ends lie on opposite sides of c
    the crossing is interpolated linearly; a cell with two crossings gives one segment, a saddle
    (four) gives two, paired by the value at the cell's centre.
    """
    out = []
    a, b = Z[:-1, :-1], Z[:-1, 1:]  # corners (i, j), (i, j+1)
    d, e = Z[1:, :-1], Z[1:, 1:]  # (i+1, j), (i+1, j+1)
    x0, x1 = x[None, :-1], x[None, 1:]
    y0, y1 = y[:-1, None], y[1:, None]
    centre = (a + b + d + e) / 4
    shape = a.shape
    with np.errstate(all="ignore"):
        for c in levels:
            # Edges in order bottom (a→b), right (b→e), top (d→e), left (a→d).
            hits, px, py = [], [], []
            for p, q, ex0, ex1, ey0, ey1 in (
                (a, b, x0, x1, y0, y0),
                (b, e, x1, x1, y0, y1),
                (d, e, x0, x1, y1, y1),
                (a, d, x0, x0, y0, y1),
            ):
                t = (c - p) / (q - p)
                hits.append((p >= c) != (q >= c))
                px.append(np.broadcast_to(ex0 + t * (ex1 - ex0), shape))
                py.append(np.broadcast_to(ey0 + t * (ey1 - ey0), shape))
            hits, px, py = np.stack(hits), np.stack(px), np.stack(py)  # (4, R-1, R-1)
            count = hits.sum(axis=0)
            segments = []
            two = count == 2
            if np.any(two):
                first = np.argmax(hits[:, two], axis=0)  # the lower-numbered crossed edge
                second = 3 - np.argmax(hits[::-1, two], axis=0)  # the higher-numbered one
                cols = np.arange(first.shape[0])
                fx, fy = px[:, two], py[:, two]
                segments.append(np.column_stack([fx[first, cols], fy[first, cols], fx[second, cols], fy[second, cols]]))
            four = count == 4
            if np.any(four):
                # Saddle: pair bottom–left and top–right when the centre is on a's side, else bottom–right, top–left.
                same = (centre[four] >= c) == (a[four] >= c)
                fx, fy = px[:, four], py[:, four]
                left, right = np.where(same, 3, 1), np.where(same, 1, 3)
                cols = np.arange(fx.shape[1])
                segments.append(np.column_stack([fx[0], fy[0], fx[left, cols], fy[left, cols]]))
                segments.append(np.column_stack([fx[2], fy[2], fx[right, cols], fy[right, cols]]))
            out.append(np.concatenate(segments) if segments else np.empty((0, 4)))
    return out


def _svg_path(segments: np.ndarray) -> str:
    """An SVG path 'M x0,y0L x1,y1…' in data coordinates: a layout shape, untouched by animation frames."""
    return "".join(f"M{x0:.6g},{y0:.6g}L{x1:.6g},{y1:.6g}" for x0, y0, x1, y1 in segments.tolist())


def _colormap(values: np.ndarray, scale: list) -> np.ndarray:
    """RGB uint8 (..., 3) of values in [0, 1] on a colour scale [[position, '#rrggbb'], ...]."""
    positions = np.array([float(pos) for pos, _ in scale])
    rgb = np.array([[int(col.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)] for _, col in scale], dtype=float)
    out = np.stack([np.interp(values, positions, rgb[:, k]) for k in range(3)], axis=-1)
    return np.round(out).astype(np.uint8)


def map_image(z: np.ndarray, zmin: float, zmax: float, scale: list) -> str:
    """The loss map as a data-URI PNG: a layout image is not a trace, so animation frames never touch it."""
    t = (z - zmin) / (zmax - zmin) if zmax > zmin else np.zeros_like(z)
    rgb = _colormap(np.clip(t, 0.0, 1.0), scale)[::-1]  # PNG rows run top-down, z rows bottom-up (v)
    return png_uri(np.ascontiguousarray(rgb))


# ---------------------------------------------------------------------------------------------- figure skeleton
def _skeleton(surface: LossSurface, kind: str, display: _Display, th: Theme, animated: bool) -> tuple[go.Figure, dict]:
    """The figure with the static surface and/or contour map; returns it and the subplot placement.

    In an animation the contour map is a layout image plus contour lines drawn as a line trace,
    because plotly.js drops heatmap and contour traces from the plot while frames play (plotly.js
    issue 4491); a still figure uses a real Contour trace, which also shows the loss on hover.
    """
    u, v = np.asarray(surface.u), np.asarray(surface.v)
    z = display.z
    zlabel = "log₁₀ loss" if display.log else "loss"
    scale = magnitude_scale(th)
    zmin, zmax = float(z.min()), float(z.max())
    levels = nice_levels(zmin, zmax)
    if kind == "both":
        fig = make_subplots(
            rows=1,
            cols=2,
            specs=[[{"type": "scene"}, {"type": "xy"}]],
            column_widths=[0.5, 0.5],
            horizontal_spacing=0.1,
            subplot_titles=("the loss surface", "seen from above: lines of equal loss"),
        )
        place = {"surface": {"row": 1, "col": 1}, "contour": {"row": 1, "col": 2}}
    else:
        fig = go.Figure()
        place = {kind: {}}
    hover = (
        f"{surface.labels[0]} offset = %{{x:.3f}}<br>{surface.labels[1]} offset = %{{y:.3f}}"
        f"<br>{zlabel} = %{{z:.4g}}<extra></extra>"
    )
    bar = {
        "title": {"text": zlabel, "font": {"size": th.size(th.font_size)}},
        "tickfont": {"size": th.size(th.font_size * 0.9)},
        "thickness": th.size(14),
        "len": 0.8,
    }
    step = float(levels[1] - levels[0]) if levels.size > 1 else max(zmax - zmin, 1e-12)
    lines = (
        {"start": float(levels[0]), "end": float(levels[-1]), "size": step}
        if levels.size
        else {"start": zmin, "end": zmax, "size": max(zmax - zmin, 1e-12)}
    )
    if "surface" in place:
        fig.add_trace(
            go.Surface(
                x=u,
                y=v,
                z=z,
                colorscale=scale,
                cmin=zmin,
                cmax=zmax,
                showscale=kind == "surface",
                colorbar=bar,
                opacity=0.95,
                name="loss surface",
                hovertemplate=hover,
                contours={"z": {"show": True, "usecolormap": False, "color": th.muted, "width": 1, **lines}},
            ),
            **place["surface"],
        )
    if "contour" in place and not animated:
        fig.add_trace(
            go.Contour(
                x=u,
                y=v,
                z=z,
                zmin=zmin,
                zmax=zmax,
                colorscale=scale,
                autocontour=False,
                contours={"coloring": "heatmap", "showlines": True, **lines},
                line={"color": th.muted, "width": 0.6},
                colorbar=bar,
                name="loss",
                showlegend=False,
                hovertemplate=hover,
            ),
            **place["contour"],
        )
    elif "contour" in place:
        du = (u[-1] - u[0]) / max(len(u) - 1, 1)
        dv = (v[-1] - v[0]) / max(len(v) - 1, 1)
        xref, yref = ("x", "y")
        fig.add_layout_image(
            source=map_image(z, zmin, zmax, scale),
            xref=xref,
            yref=yref,
            x=float(u[0] - du / 2),
            y=float(v[-1] + dv / 2),
            sizex=float(u[-1] - u[0] + du),
            sizey=float(v[-1] - v[0] + dv),
            sizing="stretch",
            xanchor="left",
            yanchor="top",
            layer="below",
            name="loss map",
        )
        # Lines of equal loss as layout shapes (SVG paths): like the image, frames never touch them.
        for segments in contour_lines(u, v, z, levels):
            if segments.shape[0]:
                fig.add_shape(
                    type="path",
                    path=_svg_path(segments),
                    xref="x",
                    yref="y",
                    line={"color": th.muted, "width": 0.6},
                    layer="between",  # above the image (and grid), below the paths
                    name="line of equal loss",
                )
        # The colour bar of the image: one invisible marker carrying the scale.
        fig.add_trace(
            go.Scatter(
                x=[float(u[0])],
                y=[float(v[0])],
                mode="markers",
                marker={
                    "size": 0.1,
                    "opacity": 0,
                    "color": [zmin],
                    "cmin": zmin,
                    "cmax": zmax,
                    "colorscale": scale,
                    "showscale": True,
                    "colorbar": bar,
                },
                name="loss colour scale",
                showlegend=False,
                hoverinfo="skip",
            ),
            **place["contour"],
        )
    return fig, place


def view_ranges(surface: LossSurface, extra: list[np.ndarray]) -> tuple[list[float], list[float], bool]:
    """Axis ranges covering the surface and the drawn points; True when a point lies outside the span.

    The view grows to show a path that leaves the span, but by at most VIEW_LIMIT spans on each
    side: a diverging run's points far beyond are left out of view rather than shrinking the surface
    to a dot.
    """
    lo = np.array([surface.u[0], surface.v[0]], dtype=float)
    hi = np.array([surface.u[-1], surface.v[-1]], dtype=float)
    width = hi - lo
    pts = [p[np.all(np.isfinite(p), axis=1)] for p in extra if p.size]
    pts = np.concatenate(pts) if pts else np.empty((0, 2))
    outside = False
    if pts.shape[0]:
        plo, phi = pts.min(axis=0), pts.max(axis=0)
        outside = bool(np.any(plo < lo - 1e-12) or np.any(phi > hi + 1e-12))
        plo = np.maximum(plo, lo - VIEW_LIMIT * width)
        phi = np.minimum(phi, hi + VIEW_LIMIT * width)
        pad = 0.03 * width
        lo = np.where(plo < lo, plo - pad, lo)
        hi = np.where(phi > hi, phi + pad, hi)
    return [float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])], outside


def _in_view(points: np.ndarray, xr: list[float], yr: list[float]) -> np.ndarray:
    return (points[:, 0] >= xr[0]) & (points[:, 0] <= xr[1]) & (points[:, 1] >= yr[0]) & (points[:, 1] <= yr[1])


@dataclass(frozen=True)
class _Frame:
    """Pixel budget of the figure, so that legend, slider and notes never overlap the plots."""

    width: int
    height: int
    top: float  # margin above the plots (title, notes, banner)
    bottom: float  # margin below the plots (axis title, legend, slider)
    legend_bottom: float  # the legend's top edge, in px above the figure's bottom
    controls: float  # height of the play/slider block at the very bottom (0 for a still)
    stack: float  # px above the plots taken by subplot titles, notes and the banner


def _legend_rows(names: list[str], width: float, th: Theme) -> int:
    """Rows a horizontal legend needs (a rough text-width estimate: 0.6 em per character)."""
    item = [th.size(40 + 0.6 * th.font_size * len(n)) for n in names]
    rows, used = 1, 0.0
    for w in item:
        if used + w > width * 0.95 and used > 0:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _finish(
    fig: go.Figure,
    surface: LossSurface,
    kind: str,
    place: dict,
    display: _Display,
    th: Theme,
    title: str | None,
    width,
    height,
    xr: list[float],
    yr: list[float],
    zr: list[float],
    notes: list[str],
    banner: str | None,
    controls: bool,
) -> _Frame:
    zlabel = "log₁₀ loss" if display.log else "loss"
    W = width if width is not None else round(th.size(1120 if kind == "both" else 720))
    legend_names = [t.name for t in fig.data if t.showlegend is not False and t.name]
    rows = _legend_rows(legend_names, W, th)
    line = th.size(th.font_size * 1.7)
    stack = (th.size(28) if kind == "both" else 0) + len(notes) * line + (th.size(32) if banner else 0)
    top = th.size(60 if title else 24) + stack
    control_block = th.size(100) if controls else 0.0
    axis_block = th.size(58) if "contour" in place else th.size(10)
    legend_block = rows * th.size(26) + th.size(8)
    bottom = axis_block + legend_block + control_block
    plot_h = th.size(470)
    H = height if height is not None else round(plot_h + top + bottom)
    apply_theme(fig, th, title, width=W, height=H)
    if title:
        # Pinned to the top: the margin also holds notes and a banner, and an auto title would sit among them.
        fig.update_layout(
            title={"x": 0.0, "xref": "paper", "xanchor": "left", "y": 1 - th.size(14) / H, "yanchor": "top"}
        )
    # Subplot titles are annotations made before the theme was known: bring them to its size.
    for ann in fig.layout.annotations:
        ann.font = {"size": th.size(th.font_size), "color": th.text}
    # Explicit margins, not auto-expanded: the legend and the controls are placed in pixels from the bottom.
    fig.update_layout(margin={"t": top, "b": bottom, "l": th.size(60), "r": th.size(110), "autoexpand": False})
    if "surface" in place:
        axis = {
            "showbackground": False,
            "gridcolor": th.muted,
            "color": th.text,
            # 3-D tick labels crowd each other sooner than flat ones.
            "tickfont": {"size": th.size(th.font_size * 0.75)},
        }
        fig.update_scenes(
            xaxis={**axis, "title": {"text": axis_title(surface, 0)}, "range": xr},
            yaxis={**axis, "title": {"text": axis_title(surface, 1)}, "range": yr},
            zaxis={**axis, "title": {"text": zlabel}, "range": zr},
            aspectmode="manual",
            aspectratio={"x": 1, "y": 1, "z": 0.7},
            camera={"eye": {"x": 1.75, "y": -1.85, "z": 1.25}},
        )
    if "contour" in place:
        fig.update_xaxes(
            title_text=axis_title(surface, 0),
            range=xr,
            showgrid=False,
            zeroline=False,
            constrain="domain",
            **place["contour"],
        )
        fig.update_yaxes(
            title_text=axis_title(surface, 1),
            range=yr,
            showgrid=False,
            zeroline=False,
            # Equal units on both axes: only then is −∇L drawn at right angles to the lines of equal loss.
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
            **place["contour"],
        )
    fig.update_layout(
        legend={
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            "yref": "container",
            "y": (control_block + legend_block) / H,
            "yanchor": "top",
            "itemsizing": "constant",
            "bgcolor": "rgba(0,0,0,0)",
        },
        uirevision="surface",
    )
    base = th.size(28) if kind == "both" else th.size(4)
    for k, note in enumerate(notes):
        fig.add_annotation(muted_note(th, note, base + k * line))
    if banner:
        divergence_annotation(fig, th, banner)
        fig.layout.annotations[-1].update(yshift=base + len(notes) * line)
    return _Frame(W, H, top, bottom, control_block + legend_block, control_block, stack)


# ---------------------------------------------------------------------------------------------- trace makers
def _arrow_2d(name: str, color: str, th: Theme, showlegend: bool, group: str | None, hover: str) -> go.Scatter:
    return go.Scatter(
        x=[],
        y=[],
        mode="lines+markers",
        name=name,
        legendgroup=group,
        showlegend=showlegend,
        line={"color": color, "width": th.size(2.5)},
        # The arrow head turns with the segment it ends (angleref 'previous'); the start has none.
        marker={"symbol": "arrow", "size": [0, th.size(15)], "color": color},
        hovertemplate=hover + "<extra></extra>",
    )


def _arrow_3d(name: str, color: str, th: Theme, group: str | None, hover: str) -> go.Scatter3d:
    return go.Scatter3d(
        x=[],
        y=[],
        z=[],
        mode="lines+markers",
        name=name,
        legendgroup=group,
        showlegend=False,
        line={"color": color, "width": th.size(6)},
        marker={"symbol": "diamond", "size": [0.1, th.size(6)], "color": color},
        hovertemplate=hover + "<extra></extra>",
    )


def _centre_traces(
    fig: go.Figure, surface: LossSurface, place: dict, display: _Display, th: Theme, arrows: _Arrows
) -> None:
    """The centre θ₀ and −∇L there (static)."""
    height = float(display.map(np.array([surface.loss_at_center]))[0])
    g = np.asarray(surface.gradient, dtype=float)
    gnorm = float(np.linalg.norm(g)) if np.all(np.isfinite(g)) else float("nan")
    hover = (
        f"centre θ₀ (the network's parameters)<br>loss = {fmt(surface.loss_at_center)}"
        f"<br>∂L/∂u = {fmt(g[0])}, ∂L/∂v = {fmt(g[1])}"
    )
    arrow_hover = f"−∇L at θ₀ in this plane, |∇L| = {fmt_plain(gnorm)}<br>drawn × {arrows.factor:.3g} for display"
    ax, ay = arrows.xy(np.zeros(2), -g)
    name = "−∇L at θ₀ (scaled)"
    if "contour" in place:
        fig.add_trace(
            go.Scatter(
                x=[0.0],
                y=[0.0],
                mode="markers",
                name="centre θ₀",
                legendgroup="centre",
                marker={
                    "symbol": "star",
                    "size": th.size(16),
                    "color": th.text,
                    "line": {"color": th.paper, "width": 1},
                },
                hovertemplate=hover + "<extra></extra>",
            ),
            **place["contour"],
        )
        arrow = _arrow_2d(name, th.text, th, True, "centre arrow", arrow_hover)
        arrow.update(x=ax, y=ay, marker_angle=[0.0, arrow_angle(ax, ay)])
        fig.add_trace(arrow, **place["contour"])
    if "surface" in place and np.isfinite(height):
        fig.add_trace(
            go.Scatter3d(
                x=[0.0],
                y=[0.0],
                z=[height],
                mode="markers",
                name="centre θ₀",
                legendgroup="centre",
                showlegend="contour" not in place,
                marker={"symbol": "diamond", "size": th.size(7), "color": th.text},
                hovertemplate=hover + "<extra></extra>",
            ),
            **place["surface"],
        )
        arrow = _arrow_3d(name, th.text, th, "centre arrow", arrow_hover)
        arrow.update(x=ax, y=ay, z=[height] * len(ax), showlegend="contour" not in place)
        fig.add_trace(arrow, **place["surface"])


def _path_traces(path: _Path, place: dict, th: Theme, samples: np.ndarray) -> list[tuple[go.BaseTraceType, dict]]:
    """Two traces per view for one history: the path so far, and the current point with −∇L as an arrow.

    Two, not more, because every frame re-sends its traces and plotly's per-trace cost dominates a
    100-frame animation. Hover text and step numbers are set once here for the full sample list: a
    frame's path is a prefix of it, so point i always carries the right label.
    """
    group = f"path:{path.name}"
    c = path.color
    h = path.history
    idx = samples[path.ok[samples]]
    steps = np.asarray(h.steps)[idx]
    losses = [fmt(float(h.train_loss[i])) for i in idx]
    hover = f"{path.name}<br>step %{{customdata}}<br>loss = %{{text}}<extra></extra>"
    out = []
    for view in ("contour", "surface"):
        if view not in place:
            continue
        if view == "contour":
            line = go.Scatter(
                mode="lines+markers",
                line={"color": c, "width": th.size(2.5 + 2.0 * path.under), "dash": path.dash},
                marker={"size": th.size(4 + 2.5 * path.under), "color": c},
            )
            # The first point is the current position (a ring), the second the arrow head, turned along
            # the segment it ends (angleref 'previous').
            head = go.Scatter(
                mode="lines+markers",
                line={"color": c, "width": th.size(2.5)},
                marker={
                    "symbol": ["circle", "arrow"],
                    "size": [th.size(13), th.size(15)],
                    "color": c,
                    "line": {"color": th.paper, "width": [th.size(2), 0]},
                },
            )
        else:
            line = go.Scatter3d(
                mode="lines+markers",
                line={"color": c, "width": th.size(5 + 3.0 * path.under)},
                marker={"size": th.size(2.5 + 1.5 * path.under), "color": c},
            )
            head = go.Scatter3d(
                mode="lines+markers",
                line={"color": c, "width": th.size(6)},
                marker={"symbol": ["circle", "diamond"], "size": [th.size(7), th.size(5)], "color": c},
            )
        line.update(
            name=path.name,
            legendgroup=group,
            showlegend=view == "contour" or "contour" not in place,  # one legend entry per history
            customdata=steps,
            text=losses,
            hovertemplate=hover,
        )
        head.update(name=f"{path.name}: now", legendgroup=group, showlegend=False, hoverinfo="skip")
        out.append((line, {"view": view, "role": "line"}))
        out.append((head, {"view": view, "role": "head"}))
    return out


def typed_array(values: np.ndarray) -> dict:
    """A float64 array in plotly's typed-array form {dtype, bdata}: what ``fig.to_json`` writes for numpy
    arrays anyway, and it passes plotly.py's validation without a per-element check (a 100-frame
    animation spends most of its build time there otherwise). ``decode_typed_array`` reads it back.
    """
    data = np.ascontiguousarray(values, dtype="<f8")
    return {"dtype": "f8", "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_typed_array(value) -> np.ndarray:
    """The numbers of a typed-array dict (or of any array-like) as a float64 array."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
    return np.asarray(value, dtype=float)


def _state(path: _Path, samples: np.ndarray, arrows: _Arrows, view: str, role: str, typed: bool = False) -> dict:
    """Trace data of one role once the path has reached the entries ``samples`` (sorted): plain lists.

    ``head`` is the current point followed by the tip of −∇L there (no tip when the gradient is not
    finite); a diverged run's last drawable point turns into a red ✕ once the frame reaches the step
    where it diverged.
    """
    is3d = view == "surface"
    idx = samples[path.ok[samples]]
    if role == "line":
        pack = typed_array if typed else np.array  # frames: typed arrays; the figure's own traces: numpy
        out = {"x": pack(path.uv[idx, 0]), "y": pack(path.uv[idx, 1])}
        if is3d:
            out["z"] = pack(path.height[idx])
        return out
    d = path.diverged_index
    diverged = d is not None and samples.size > 0 and samples[-1] >= d
    if idx.size == 0:
        out = {"x": [], "y": []} | ({"z": []} if is3d else {})
    else:
        i = int(idx[-1])
        ax, ay = arrows.xy(path.uv[i], path.descent[i])
        if diverged or not ax:
            ax, ay = [float(path.uv[i, 0])], [float(path.uv[i, 1])]
        out = {"x": ax, "y": ay}
        if is3d:
            out["z"] = [float(path.height[i])] * len(ax)
        else:
            out["marker"] = {"angle": [0.0, arrow_angle(ax, ay)]}
    if d is not None:
        # Set in every frame (not only the diverged ones), so that scrubbing back restores the ring.
        marker = out.setdefault("marker", {})
        if diverged:
            marker.update(symbol=["x", "x"], color=DIVERGED_COLOR)
        else:
            marker.update(symbol=["circle", "diamond"] if is3d else ["circle", "arrow"], color=path.color)
    return out


def arrow_angle(x: list[float], y: list[float]) -> float:
    """Degrees clockwise from 'up' of the segment (x0, y0) → (x1, y1), for plotly's arrow marker.

    Exact on screen because the map's axes have equal units (scaleanchor); plotly's own
    angleref='previous' leaves the first marker of the trace undrawn, and that marker is the current point.
    """
    if len(x) < 2:
        return 0.0
    return float(np.degrees(np.arctan2(x[1] - x[0], y[1] - y[0])))


def _notes(display: _Display, outside: bool, surface: LossSurface, paths: list[_Path], kind: str) -> list[str]:
    notes = list(display.notes)
    for p in paths if kind != "contour" else []:  # path heights are drawn in 3-D only
        finite = np.asarray(p.history.train_loss, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size and finite.max() > display.path_ceiling:
            notes.append(f"losses along {p.name} above {fmt_plain(display.path_ceiling)} are drawn at that height")
    for p in paths:
        finite = np.all(np.isfinite(p.uv), axis=1)
        if np.any(finite & ~p.ok):
            notes.append(f"points of {p.name} more than {FAR_LIMIT * 2 * surface.span:g} from the centre are not drawn")
    if outside:
        notes.append(
            f"part of a path lies outside the computed span (±{surface.span:g}); the surface is drawn only inside it"
        )
    return notes


def _z_range(display: _Display, paths: list[_Path]) -> list[float]:
    values = [display.z.ravel()] + [p.height[p.ok] for p in paths]
    values = np.concatenate(values)
    values = values[np.isfinite(values)]
    lo, hi = float(values.min()), float(values.max())
    pad = 0.03 * (hi - lo) if hi > lo else 1.0
    return [lo - pad, hi + pad]


def _banner(paths: list[_Path]) -> str | None:
    hit = [p for p in paths if p.diverged_index is not None]
    if not hit:
        return None
    text = "; ".join(f"{p.name} diverged at step {int(p.history.steps[p.diverged_index])}" for p in hit)
    return text + " (non-finite points are not drawn)"


def _build(surface, kind, histories, log_z, th, title, width, height, show_gradient, sample_sets, animated):
    """Shared by the still and the animated figure: traces, ranges, notes. ``sample_sets``: entries drawn per path."""
    display = display_of(surface, log_z)
    paths = paths_of(surface, histories, display, th)
    fig, place = _skeleton(surface, kind, display, th, animated)
    xr, yr, outside = view_ranges(surface, [p.uv[p.ok] for p in paths])
    # Arrows are scaled by the gradients at points in view (a diverging run's last huge ones would
    # otherwise shrink every other arrow to nothing).
    vectors = [np.asarray(surface.gradient, dtype=float)[None, :]]
    vectors += [p.descent[p.ok & _in_view(p.uv, xr, yr)] for p in paths]
    arrows = _arrow_scale(surface, vectors, show_gradient)
    roles = []  # (path index, view, role, trace index)
    for k, path in enumerate(paths):
        for trace, meta in _path_traces(path, place, th, sample_sets[k]):
            trace.update(_state(path, sample_sets[k], arrows, meta["view"], meta["role"]))
            fig.add_trace(trace, **place[meta["view"]])
            roles.append((k, meta["view"], meta["role"], len(fig.data) - 1))
    # The centre last, so that it stays visible on top of the paths that end there.
    _centre_traces(fig, surface, place, display, th, arrows)
    zr = _z_range(display, paths)
    notes = _notes(display, outside, surface, paths, kind)
    if arrows.factor > 0:
        notes.append(
            f"arrows: −∇L in the plane of the picture, drawn × {arrows.factor:.3g} (at most {arrows.cap:.3g} long)"
        )
    frame = _finish(
        fig, surface, kind, place, display, th, title, width, height, xr, yr, zr, notes, _banner(paths), animated
    )
    return fig, paths, roles, arrows, frame


# ---------------------------------------------------------------------------------------------- public
def plot_loss_surface(
    surface: LossSurface,
    kind: str = "both",
    history=None,
    *,
    log_z: bool = False,
    show_gradient: bool = True,
    theme: str | Theme = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
    title: str | None = "The loss around the current parameters",
) -> go.Figure:
    """The loss surface L(u, v) = L(θ₀ + u·d_u + v·d_v) as a 3-D surface, a contour map, or both side by side.

    The centre θ₀ is marked, with −∇L there (projected on the plane: −(∂L/∂u, ∂L/∂v)) as an arrow.

    Parameters
    ----------
    surface: a LossSurface; ``losses`` (R, R) with ``losses[i, j]`` at (u[i], v[j]).
    kind: "surface" (3-D), "contour" (seen from above) or "both".
    history: None, a History, a list of Histories or a dict name → History: trajectories drawn over
        the surface at ``surface.project(history.parameters)`` (every step), at height
        ``history.train_loss`` in 3-D, each in its own colour.
    log_z: draw log₁₀ of the loss (a steep valley then shows its floor).
    show_gradient: draw −∇L arrows (at the centre, and at each path's last point), scaled for display.
    Overflowed (inf/NaN) surface losses are clipped to the 99th percentile of the finite ones, and the
    figure says so.
    """
    surface = _check_surface(surface)
    kind = _check_kind(kind)
    histories = _check_histories(history, surface, "history", allow_none=True)
    log_z = _check_bool(log_z, "log_z")
    show_gradient = _check_bool(show_gradient, "show_gradient")
    th = check_figure_options(theme, lecture, width, height)
    samples = [np.arange(len(h)) for h in histories.values()]
    fig, *_ = _build(surface, kind, histories, log_z, th, title, width, height, show_gradient, samples, False)
    return fig


def frame_entries(lengths: Sequence[int], max_frames: int) -> np.ndarray:
    """Entry indices shown as frames: at most ``max_frames``, evenly spread, always the first and last."""
    total = max(lengths)
    n = min(max_frames, total)
    return np.unique(np.round(np.linspace(0, total - 1, n)).astype(int))


def animate_descent(surface: LossSurface, histories, **options) -> go.Figure:
    """Gradient descent drawn step by step over the loss surface, one path per optimiser, with ▶ and a slider.

    Each frame shows θₜ projected on the plane, (uₜ, vₜ) = ``surface.project(history.parameters)[t]``,
    at height Lₜ = ``history.train_loss[t]``, and −∇L(θₜ) projected, −``surface.project_gradients``,
    scaled for display (the legend gives the factor). The surface is one static trace: frames carry
    only the path traces. The figure opens on the last frame, so it reads as a still picture too.

    Options (keyword only): kind, max_frames, frame_ms, log_z, show_gradient, theme, lecture, width,
    height, title — see ``animate_descent_parts``.
    """
    fig, frames = animate_descent_parts(surface, histories, **options)
    # Plain dicts, validated once on assignment: building go.Scatter objects per frame costs more than
    # everything else in this function together.
    fig.frames = frames
    return fig


def animate_descent_parts(
    surface: LossSurface,
    histories,
    *,
    kind: str = "both",
    max_frames: int = 100,
    frame_ms: int = 80,
    log_z: bool = False,
    show_gradient: bool = True,
    theme: str | Theme = "light",
    lecture: bool = False,
    width: int | None = None,
    height: int | None = None,
    title: str | None = "Gradient descent on the loss surface",
) -> tuple[go.Figure, list[dict]]:
    """``animate_descent`` with its frames not validated: the figure (player included, no frames) and the
    frames as plain dicts (``name``, ``data``, ``traces``). Plotly's validation of ~100 frames costs far
    more than computing them; an app that plays the frames itself (``LossSurfaceExplorer``) takes these.

    Parameters
    ----------
    surface: a LossSurface.
    histories: a History, a list of Histories or a dict name → History (several optimisers on one
        surface, each in its own colour).
    kind: "surface", "contour" or "both".
    max_frames: at most this many frames (≥ 2), spread evenly over the steps, the last step always
        included; with more steps than frames, the path joins the sampled steps.
    frame_ms: milliseconds per frame when playing.
    """
    surface = _check_surface(surface)
    histories = _check_histories(histories, surface, "histories", allow_none=False)
    kind = _check_kind(kind)
    if isinstance(max_frames, bool) or not isinstance(max_frames, Integral) or max_frames < 2:
        raise ValueError(f"max_frames must be an integer ≥ 2; got {max_frames!r}")
    if isinstance(frame_ms, bool) or not isinstance(frame_ms, Integral) or frame_ms < 1:
        raise ValueError(f"frame_ms must be an integer number of milliseconds ≥ 1; got {frame_ms!r}")
    log_z = _check_bool(log_z, "log_z")
    show_gradient = _check_bool(show_gradient, "show_gradient")
    th = check_figure_options(theme, lecture, width, height)

    lengths = [len(h) for h in histories.values()]
    entries = frame_entries(lengths, int(max_frames))  # (F,) entry indices into the longest history

    def samples_at(T: int, upto: int) -> np.ndarray:
        # This history's sampled entries up to frame entry ``upto``, plus its own last entry once reached.
        own = entries[entries < T]
        if upto >= T - 1:
            own = np.append(own[own < T - 1], T - 1)
        return own[own <= upto]

    final = [samples_at(T, int(entries[-1])) for T in lengths]
    fig, paths, roles, arrows, frame = _build(
        surface, kind, histories, log_z, th, title, width, height, show_gradient, final, True
    )

    longest = paths[int(np.argmax(lengths))].history
    trace_ids = [r[3] for r in roles]
    frames = []
    for entry in entries:
        data = []
        for k, view, role, _ in roles:
            state = _state(paths[k], samples_at(lengths[k], int(entry)), arrows, view, role, typed=True)
            data.append({"type": "scatter3d" if view == "surface" else "scatter", **state})
        frames.append({"name": str(int(longest.steps[entry])), "data": data, "traces": trace_ids})
    # WebGL scenes must redraw on every frame; a 2-D-only figure animates its lines without a full redraw.
    redraw = kind != "contour"
    play = {"frame": {"duration": int(frame_ms), "redraw": redraw}, "fromcurrent": True, "transition": {"duration": 0}}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    jump = {"mode": "immediate", "frame": {"duration": 0, "redraw": redraw}, "transition": {"duration": 0}}
    font = {"size": th.size(th.font_size)}
    # Paper coordinates of the control block (its top edge ``controls`` px above the figure's bottom).
    plot_h = max(frame.height - frame.top - frame.bottom, 1.0)
    plot_w = max(frame.width - th.size(170), 1.0)  # minus the left and right margins
    y_controls = (frame.controls - frame.bottom) / plot_h
    buttons_w = th.size(170)
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "showactive": False,
                "x": 0.0,
                "y": y_controls,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": th.size(38), "r": th.size(10)},
                "font": font,
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
                ],
            }
        ],
        sliders=[
            {
                "active": len(frames) - 1,
                "x": buttons_w / plot_w,
                "y": y_controls,
                "len": 1.0 - buttons_w / plot_w,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": th.size(10), "b": th.size(10)},
                "font": font,
                "currentvalue": {"prefix": "step ", "visible": True, "font": font, "xanchor": "left"},
                "transition": {"duration": 0},
                "steps": [{"label": f["name"], "method": "animate", "args": [[f["name"]], jump]} for f in frames],
            }
        ],
    )
    return fig, frames


__all__ = [
    "plot_loss_surface",
    "animate_descent",
    "animate_descent_parts",
    "frame_entries",
    "decode_typed_array",
    "KINDS",
]
