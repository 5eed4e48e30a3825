"""The loss map as a still SVG picture: what GitHub and nbviewer show of a LossSurfaceExplorer's cell.

The same numbers as the live figure (``explainer.views.surface``): the map is ``surface.losses`` on the
view's colour scale, the level lines are its marching-squares contours, each path is
``surface.project(history.parameters)`` and its last loss is ``history.train_loss[-1]``. Nothing is
recomputed; the picture only places them on a fixed pixel grid (a ``Scene``, like the network diagrams).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..engine.loss_surface import LossSurface
from ..engine.training import History
from .diagram import Part, Scene, circle, group, line, path, polyline, rect, text
from .style import Theme, fmt_plain, get_theme, magnitude_scale
from .surface import (
    _check_histories,
    _check_surface,
    axis_title,
    contour_lines,
    display_of,
    map_image,
    nice_levels,
    paths_of,
    view_ranges,
)

# The picture's grid in px (before the theme's scale): the square map, the legend and colour bar to its right.
MAP = 440
LEFT, TOP = 86, 78
SIDE = 300  # the legend column
BOTTOM = 96  # under the map: tick labels, the axis title, the notes


def surface_picture(
    surface: LossSurface,
    histories: Mapping[str, History] | None = None,
    *,
    title: str = "",
    theme: str | Theme = "light",
) -> Scene:
    """The map seen from above with every path on it, the start θ₀ (★), a legend with each path's last loss
    and a colour bar: a ``Scene`` (``.svg()`` is the standalone picture).

    ``histories``: name → History, as ``explainer.views.surface.loss_surface_figure`` takes them.
    """
    surface = _check_surface(surface)
    histories = _check_histories(histories, surface, "histories", allow_none=True) or {}
    th = get_theme(theme)
    k = th.scale
    display = display_of(surface, log_z=False)
    paths = paths_of(surface, histories, display, th)
    xr, yr, outside = view_ranges(surface, [p.uv[p.ok] for p in paths])
    size, small = th.font_size * k, th.font_size * 0.9 * k
    left, top, side = LEFT * k, TOP * k, MAP * k

    def px(u, v):
        """Data (u, v) → pixel (x, y) on the map."""
        x = left + (np.asarray(u, dtype=float) - xr[0]) / (xr[1] - xr[0]) * side
        y = top + (yr[1] - np.asarray(v, dtype=float)) / (yr[1] - yr[0]) * side
        return x, y

    parts = [Part("title", _title(title, surface, paths, th, left))]
    parts.append(Part("map", _map(surface, display, th, px, xr, yr)))
    parts.append(Part("axes", _axes(surface, xr, yr, th, px, left, top, side, size, small)))
    parts.append(Part("paths", "".join(_path(p, th, px, xr, yr) for p in paths) + _centre(th, px)))
    legend_x = left + side + 28 * k
    legend, bottom = _legend(paths, th, legend_x, top, size, small)
    parts.append(Part("legend", legend + _colour_bar(display, th, legend_x, bottom + 18 * k, small)))
    notes = list(display.notes)
    if outside:
        notes.append("a path leaves the surface's span: the view grows to show it (beyond the span no map is drawn)")
    y = top + side + 66 * k
    notes_svg = "".join(
        text(left - 60 * k, y + n * 1.4 * small, note, size=small, fill=th.muted, anchor="start")
        for n, note in enumerate(notes)
    )
    parts.append(Part("notes", notes_svg))
    width = left + side + 28 * k + SIDE * k
    height = top + side + BOTTOM * k + len(notes) * 1.4 * small
    return Scene.in_theme(
        th,
        width=float(np.ceil(width)),
        height=float(np.ceil(height)),
        title=title or "the loss surface seen from above",
        parts=parts,
        font_size=size,
    )


def _title(title: str, surface: LossSurface, paths: list, th: Theme, left: float) -> str:
    k = th.scale
    out = text(left - 60 * k, 26 * k, title or "the loss surface", size=th.title_size * k, fill=th.text, anchor="start")
    steps = max((int(p.history.steps[-1]) for p in paths), default=0)
    sub = f"seen from above: lines of equal loss; L at the start θ₀ (★) = {fmt_plain(surface.loss_at_center)}"
    if paths:
        sub += f"; the paths after {steps} steps"
    return out + text(left - 60 * k, 52 * k, sub, size=th.font_size * k, fill=th.muted, anchor="start")


def _map(surface: LossSurface, display, th: Theme, px, xr, yr) -> str:
    u, v, z = np.asarray(surface.u), np.asarray(surface.v), display.z
    zmin, zmax = float(z.min()), float(z.max())
    du = (u[-1] - u[0]) / max(len(u) - 1, 1)
    dv = (v[-1] - v[0]) / max(len(v) - 1, 1)
    x0, y0 = px(u[0] - du / 2, v[-1] + dv / 2)
    x1, y1 = px(u[-1] + du / 2, v[0] - dv / 2)
    (bx0, by0), (bx1, by1) = px(xr[0], yr[1]), px(xr[1], yr[0])  # the map's box: the image never spills out of it
    x0, y0, x1, y1 = max(x0, bx0), max(y0, by0), min(x1, bx1), min(y1, by1)
    image = (
        f'<image href="{map_image(z, zmin, zmax, magnitude_scale(th))}" x="{float(x0):.2f}" y="{float(y0):.2f}" '
        f'width="{float(x1 - x0):.2f}" height="{float(y1 - y0):.2f}" preserveAspectRatio="none" '
        'style="image-rendering:pixelated"/>'
    )
    segments = contour_lines(u, v, z, nice_levels(zmin, zmax))
    d = []
    for seg in segments:
        if seg.size:
            xa, ya = px(seg[:, 0], seg[:, 1])
            xb, yb = px(seg[:, 2], seg[:, 3])
            d.append("".join(f"M{a:.1f},{b:.1f}L{c:.1f},{e:.1f}" for a, b, c, e in zip(xa, ya, xb, yb)))
    return image + (path("".join(d), stroke=th.muted, width=0.6 * th.scale) if d else "")


def _ticks(lo: float, hi: float) -> np.ndarray:
    """About five round ticks from lo to hi, the ends included when they are round."""
    eps = 1e-9 * (hi - lo)
    ticks = nice_levels(lo - eps, hi + eps, 5)
    ticks = np.where(np.abs(ticks) < eps, 0.0, ticks)  # 0, never −0
    return ticks if ticks.size else np.array([0.5 * (lo + hi)])


def _axes(surface, xr, yr, th: Theme, px, left, top, side, size, small) -> str:
    k = th.scale
    out = [rect(left, top, side, side, fill="none", stroke=th.muted, width=1.0)]
    for t in _ticks(*xr):
        x, _ = px(t, yr[0])
        out.append(line(x, top + side, x, top + side + 5 * k, stroke=th.muted, width=1.0))
        out.append(text(x, top + side + 16 * k, fmt_plain(t, 3), size=small, fill=th.text))
    for t in _ticks(*yr):
        _, y = px(xr[0], t)
        out.append(line(left - 5 * k, y, left, y, stroke=th.muted, width=1.0))
        out.append(text(left - 9 * k, y, fmt_plain(t, 3), size=small, fill=th.text, anchor="end"))
    out.append(text(left + side / 2, top + side + 40 * k, axis_title(surface, 0), size=size, fill=th.text))
    out.append(text(left - 56 * k, top + side / 2, axis_title(surface, 1), size=size, fill=th.text, rotate=-90))
    return "".join(out)


def _runs(ok: np.ndarray) -> list[tuple[int, int]]:
    """The [start, stop) index ranges of consecutive True values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _path(p, th: Theme, px, xr, yr) -> str:
    k = th.scale
    inside = (p.uv[:, 0] >= xr[0]) & (p.uv[:, 0] <= xr[1]) & (p.uv[:, 1] >= yr[0]) & (p.uv[:, 1] <= yr[1])
    shown = p.ok & inside
    width = (2.2 + 1.4 * p.under) * k
    out = []
    for a, b in _runs(shown):
        x, y = px(p.uv[a:b, 0], p.uv[a:b, 1])
        out.append(polyline(zip(x.tolist(), y.tolist()), stroke=p.color, width=width))
    if shown.any():
        first, last = np.flatnonzero(shown)[[0, -1]]
        x, y = px(p.uv[[first, last], 0], p.uv[[first, last], 1])
        out.append(circle(x[0], y[0], 5 * k, fill=p.color, stroke=th.paper, width=1.2))
        out.append(circle(x[1], y[1], 6 * k, fill=th.paper, stroke=p.color, width=2.5 * k))
    d = p.diverged_index
    if d is not None and shown[: d + 1].any():
        j = np.flatnonzero(shown[: d + 1])[-1]
        x, y = px(p.uv[j, 0], p.uv[j, 1])
        out.append(text(x, y, "✕", size=18 * k, fill=th.error, weight="bold", halo=th.paper))
    return group("".join(out))


def _centre(th: Theme, px) -> str:
    x, y = px(0.0, 0.0)
    return text(float(x), float(y), "★", size=22 * th.scale, fill=th.text, halo=th.paper)


def _legend(paths: list, th: Theme, x: float, y: float, size: float, small: float) -> tuple[str, float]:
    """One entry per path (colour, name, its last loss or where it diverged); returns the SVG and its bottom."""
    k = th.scale
    out = []
    for p in paths:
        h = p.history
        last = float(h.train_loss[-1])
        if p.diverged_index is not None:
            what = f"diverged at step {int(h.steps[p.diverged_index])}"
        else:
            what = f"L = {fmt_plain(last)} after {int(h.steps[-1])} steps"
        out.append(line(x, y, x + 28 * k, y, stroke=p.color, width=4 * k))
        out.append(text(x + 36 * k, y, p.name, size=size, fill=th.text, anchor="start", weight="bold"))
        out.append(text(x + 36 * k, y + 1.3 * size, what, size=small, fill=th.text, anchor="start"))
        y += 3.0 * size
    out.append(text(x + 14 * k, y, "★", size=18 * k, fill=th.text))
    out.append(text(x + 36 * k, y, "the start θ₀", size=size, fill=th.text, anchor="start"))
    return "".join(out), y + size


def _colour_bar(display, th: Theme, x: float, y: float, small: float) -> str:
    """The colour scale, high at the top, with the lowest and highest loss drawn."""
    k = th.scale
    z = display.z
    zmin, zmax = float(z.min()), float(z.max())
    height, width = 160 * k, 16 * k
    ramp = np.linspace(zmax, zmin, 64)[:, None]
    image = map_image(ramp[::-1], zmin, zmax, magnitude_scale(th))  # map_image draws its rows bottom-up
    label = "log₁₀ loss" if display.log else "loss"
    out = [
        text(x, y, label, size=small, fill=th.text, anchor="start"),
        f'<image href="{image}" x="{x:.2f}" y="{y + 12 * k:.2f}" width="{width:.2f}" height="{height:.2f}" '
        'preserveAspectRatio="none"/>',
        rect(x, y + 12 * k, width, height, fill="none", stroke=th.muted, width=1.0),
        text(x + width + 8 * k, y + 12 * k, fmt_plain(zmax), size=small, fill=th.text, anchor="start"),
        text(x + width + 8 * k, y + 12 * k + height, fmt_plain(zmin), size=small, fill=th.text, anchor="start"),
    ]
    return "".join(out)
