"""The Playground's picture of the network, as TensorFlow Playground draws it, from compact data.

The input features on the left (all seven, the chosen ones in colour), every neuron a small heat map of
its own output over the input plane, the weights as links whose colour is the sign and whose width the
size, and the output's map large on the right with the data points. The picture is split so that a
training tick moves bytes, not figures:

- ``playground_layout(...)``: the geometry (plain JSON: where every node, link, bias, button and text
  goes, the palettes). It changes only with the architecture, the features, the theme or lecture mode.
- ``Frame``: what one tick changes: per node a grid of palette indices (uint8), per link its colour, width
  and look, per bias its colour, the texts (status lines, the loss chart's paths, δ labels), the points.

The live widget (``explainer.widgets.playground_diagram``) draws a layout and frames in the page (SVG and
``<canvas>``); ``playground_svg(layout, frame)`` draws the same into one standalone SVG, each heat map a PNG
data URI of the same palette indices (made here with zlib, deterministic), so the still picture and the
page cannot differ. Colours follow the project's signed scale (purple below zero, grey at zero, orange
above: ``style.scale_color``), with negative weights dashed, so the sign reads without colour too.

Maps: a value v ∈ [−1, 1] is palette index round((v + 1)·127.5) (hidden neurons: their activation, clipped;
the output: 2p − 1 for a probability p, the value itself for a regression; features: scaled by their
largest |value| on the plane). Several classes: class k at confidence c is index k·32 + c.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from .diagram import SVG_NS, _n, attrs, png_uri, text, text_width
from .style import QUALITATIVE, _hex_to_rgb, get_theme, scale_color

LEVELS = 256
CLASS_LEVELS = 32  # confidence levels per class in a several-class map (8 classes × 32 = 256 indices)
MAX_CLASSES = 8
# Weights as links: colour of w clipped to ±1, width 1 px at 0 to 8 px at |w| ≥ 5 (TF Playground's: 1 to 10).
LINK_COLOR_RANGE = 1.0
LINK_WIDTH = (1.0, 8.0, 5.0)  # (at 0, at the top, |w| where the top is reached)
WIDTH_STEPS = 8  # a link's width travels as round(width · 8) in one byte
# Look flags of a link (its third byte).
DASHED, FADED, LIT = 1, 2, 4
# Node frames (one byte each): plain, lit (this step of the backward pass), walked (an earlier step).
PLAIN, NODE_LIT, NODE_WALKED = 0, 1, 2
LECTURE = 1.5  # every length in lecture mode (text: 26 and 24 px), so that the diagram fits a 1920 × 1080 screen


def _heat_colors(theme) -> list[str]:
    """The maps' palette: the signed scale kept to its paler 60 %, so that the data points read on it."""
    return [scale_color(0.62 * (2 * i / (LEVELS - 1) - 1), 1.0, theme) for i in range(LEVELS)]


def _link_colors(theme) -> list[str]:
    """Links and biases: the signed scale to 85 % of its ends (the darkest ends would read as black)."""
    return [scale_color(0.85 * (2 * i / (LEVELS - 1) - 1), 1.0, theme) for i in range(LEVELS)]


def _blend(color: str, background: str, amount: float) -> str:
    c, b = np.array(_hex_to_rgb(color), float), np.array(_hex_to_rgb(background), float)
    r, g, bl = np.round(b + (c - b) * amount).astype(int)
    return f"#{r:02x}{g:02x}{bl:02x}"


def _class_colors(theme, n_classes: int) -> list[str]:
    """Class k at confidence level c (0..31): index k·32 + c, from the background (unsure) to the class colour."""
    out = []
    for k in range(MAX_CLASSES):
        base = QUALITATIVE[k % len(QUALITATIVE)]
        out += [_blend(base, theme.background, 0.15 + 0.55 * c / (CLASS_LEVELS - 1)) for c in range(CLASS_LEVELS)]
    return out


def signed_indices(values: np.ndarray) -> np.ndarray:
    """Palette indices (uint8) of values in [−1, 1] (clipped; NaN → the middle)."""
    v = np.clip(np.asarray(values, dtype=np.float64), -1.0, 1.0)  # ±∞ to ±1; NaN stays NaN
    v = (v + 1.0) * ((LEVELS - 1) / 2) + 0.5
    v[np.isnan(v)] = (LEVELS - 1) / 2 + 0.5
    return v.astype(np.uint8)  # floor(x + ½): round half up


def class_indices(probabilities: np.ndarray) -> np.ndarray:
    """Palette indices (uint8) of class probabilities (..., K): k·32 + the confidence of the top class."""
    p = np.nan_to_num(np.asarray(probabilities, dtype=np.float64), nan=0.0)
    K = p.shape[-1]
    top = p.argmax(axis=-1)
    best = p.max(axis=-1)
    confidence = np.clip((best - 1.0 / K) / (1.0 - 1.0 / K), 0.0, 1.0)
    return (top * CLASS_LEVELS + np.round(confidence * (CLASS_LEVELS - 1))).astype(np.uint8)


def link_width(w: np.ndarray, scale: float = 1.0) -> np.ndarray:
    lo, hi, at = LINK_WIDTH
    return scale * (lo + (hi - lo) * np.clip(np.abs(np.nan_to_num(w, nan=0.0)) / at, 0.0, 1.0))


# ---------------------------------------------------------------------------------------------- the layout
def playground_layout(
    sizes: tuple[int, ...],
    features: tuple[tuple[str, str, bool], ...],
    *,
    task: str,
    domain: tuple[float, float, float, float],
    theme: str = "light",
    lecture: bool = False,
    max_layers: int = 8,
    max_neurons: int = 32,
    neuron_resolution: int = 20,
    map_resolution: int = 80,
    class_names: tuple[str, ...] | None = None,
    editable: bool = True,
) -> dict:
    """Where everything goes, as plain JSON data (the widget's ``layout`` and the picture's skeleton).

    sizes: the network's widths, inputs (the chosen features) to outputs. features: every feature as
    (name, label, chosen), in the network's input order among the chosen. task: binary, multiclass or
    regression. domain: (x_low, x_high, y_low, y_high) of the plane the maps cover.
    """
    th = get_theme(theme)
    k = LECTURE if lecture else 1.0
    font, small = (26.0, 24.0) if lecture else (13.0, 11.0)  # lecture: no text below 24 px
    node, pitch_max, gap = 34 * k, 48 * k, (118 if len(sizes) <= 5 else 96) * k
    pad = 10 * k
    label_w = max(70 * k, max(text_width(label, font) for _, label, _ in features) + 16 * k)
    n_hidden = len(sizes) - 2
    header = pad + 30 * k + 46 * k  # the layer buttons, then per column its buttons and neuron count
    column_max = max(7 * pitch_max, 12 * pitch_max if n_hidden else 0)

    def column(n):  # (pitch, node size) of a column of n nodes
        pitch = min(pitch_max, column_max / max(n, 1))
        return pitch, min(node, pitch - 5 * k)

    feat_cx = pad + label_w + node / 2
    nodes, links, biases, feats, buttons, texts = [], [], [], [], [], []
    # Feature column: all seven; a chosen one feeds input i of the network.
    chosen_index, positions = 0, {}
    for r, (name, label, chosen) in enumerate(features):
        cy = header + r * pitch_max + node / 2
        key = f"feature:{name}"
        feats.append({"key": key, "name": name, "label": label, "x": feat_cx, "y": cy, "size": node, "chosen": chosen})
        if chosen:
            positions[(0, chosen_index)] = (feat_cx, cy, node)
            chosen_index += 1
    # Hidden and output columns.
    node_index = 0
    for layer in range(1, len(sizes)):
        n = sizes[layer]
        cx = feat_cx + layer * gap
        pitch, size = column(n)
        for j in range(n):
            cy = header + j * pitch + size / 2
            positions[(layer, j)] = (cx, cy, size)
            out = layer == len(sizes) - 1
            name = _unit_name(sizes, layer, j, features)
            # Where its δ label goes in the backward walk: above right (between the columns), or under an output.
            note = ({"x": cx, "y": cy + size / 2 + small * 0.8, "anchor": "middle"} if out else
                    {"x": cx + size / 2 + 4 * k, "y": cy - size / 2 - 2 * k, "anchor": "start"})  # fmt: skip
            nodes.append({"key": f"node:{layer}:{j}", "layer": layer, "index": j, "x": cx, "y": cy, "size": size,
                          "output": out, "name": name, "slot": node_index, "note": note})  # fmt: skip
            node_index += 1
            b = max(4 * k, min(8 * k, size * 0.22))
            biases.append({"key": f"b{layer}[{j}]", "x": cx - size / 2 - b - 2 * k, "y": cy + size / 2 - b, "size": b,
                           "name": f"b{layer}[{j}]", "of": name})  # fmt: skip
        if layer < len(sizes) - 1 and editable:
            y = pad + 30 * k
            buttons.append(
                _button(f"neurons:{layer}:+", "+", cx - 13 * k, y, 22 * k, n < max_neurons, "one more neuron")
            )
            buttons.append(_button(f"neurons:{layer}:-", "−", cx + 13 * k, y, 22 * k, n > 1, "one neuron less"))
            texts.append({"x": cx, "y": y + 27 * k, "text": f"{n} neuron{'s' if n != 1 else ''}", "size": small,
                          "fill": th.muted})  # fmt: skip
    _clear_output_notes(nodes, small)
    out_cx = feat_cx + (len(sizes) - 1) * gap
    # Links: into each node from every node of the layer before, spread on its left edge (as TF does).
    for layer in range(1, len(sizes)):
        n_in = sizes[layer - 1]
        for j in range(sizes[layer]):
            x1, y1, s1 = positions[(layer, j)]
            for i in range(n_in):
                x0, y0, s0 = positions[(layer - 1, i)]
                a = (x0 + s0 / 2 + 2 * k, y0)
                b = (x1 - s1 / 2, y1 + ((i - (n_in - 1) / 2) / n_in) * min(12 * k, s1 * 0.5))
                mid = (a[0] + b[0]) / 2
                d = f"M{_n(a[0])},{_n(a[1])}C{_n(mid)},{_n(a[1])} {_n(mid)},{_n(b[1])} {_n(b[0])},{_n(b[1])}"
                links.append({"key": f"W{layer}[{i},{j}]", "layer": layer, "i": i, "j": j, "d": d,
                              "from": _unit_name(sizes, layer - 1, i, features),
                              "to": _unit_name(sizes, layer, j, features)})  # fmt: skip
    if editable:
        y = pad
        left = feat_cx + gap * 0.6
        buttons.append(
            _button("layers:+", "+", left, y + 11 * k, 22 * k, n_hidden < max_layers, "one more hidden layer")
        )
        buttons.append(
            _button("layers:-", "−", left + 26 * k, y + 11 * k, 22 * k, n_hidden > 0, "one hidden layer less")
        )
        label = f"{n_hidden} hidden layer{'s' if n_hidden != 1 else ''}"
        texts.append({"x": left + 44 * k, "y": y + 11 * k, "text": label, "size": font, "fill": th.text,
                      "anchor": "start", "weight": "bold"})  # fmt: skip
    texts.append({"x": feat_cx, "y": pad + 11 * k, "text": "features", "size": font, "fill": th.text,
                  "weight": "bold"})  # fmt: skip
    texts.append({"x": out_cx, "y": header - 18 * k, "text": "output", "size": font, "fill": th.text, "weight": "bold"})
    # The map, with the status lines and the loss chart above it.
    map_size = 300 * k
    map_x = out_cx + node / 2 + 48 * k
    status_y = header - 4 * k
    line_h = font * 1.45
    chart = {"x": map_x, "y": status_y + 2.6 * line_h, "w": map_size, "h": 48 * k}
    map_y = chart["y"] + chart["h"] + 24 * k
    x_lo, x_hi, y_lo, y_hi = (float(v) for v in domain)
    ticks = []
    for value in (x_lo, (x_lo + x_hi) / 2, x_hi):
        px = map_x + (value - x_lo) / (x_hi - x_lo) * map_size
        ticks.append({"x": px, "y": map_y + map_size + 13 * k, "text": _tick(value), "anchor": "middle"})
    for value in (y_lo, (y_lo + y_hi) / 2, y_hi):
        py = map_y + (y_hi - value) / (y_hi - y_lo) * map_size
        ticks.append({"x": map_x + map_size + 5 * k, "y": py, "text": _tick(value), "anchor": "start"})
    width = map_x + map_size + 40 * k
    column_bottom = max(header + 7 * pitch_max, *(p[1] + p[2] / 2 for p in positions.values()))
    legend_y = map_y + map_size + 34 * k
    height = max(column_bottom + 10 * k, legend_y + 16 * k)
    legend = _legend_items(th, task, sizes[-1], class_names, map_x, small, k)
    return {
        "width": float(width),
        "height": float(height),
        "font": th.font_family,
        "font_size": font,
        "small": small,
        "scale": k,
        "theme": th.name,
        "background": th.background,
        "ink": th.text,
        "muted": th.muted,
        "accent": th.accent,
        "frame": th.muted,
        "features": feats,
        "nodes": nodes,
        "links": links,
        "biases": biases,
        "buttons": buttons,
        "texts": texts,
        "status": [{"x": map_x, "y": status_y + r * line_h, "slot": f"status{r}"} for r in range(3)],
        "chart": chart,
        "map": {
            "x": map_x,
            "y": map_y,
            "size": map_size,
            "domain": [x_lo, x_hi, y_lo, y_hi],
            "ticks": ticks,
            "legend": legend,
            "legend_y": legend_y,
            "point_r": 3.5 * k,
        },  # fmt: skip
        "task": task,
        "neuron_resolution": int(neuron_resolution),
        "map_resolution": int(map_resolution),
        "heat": _heat_colors(th),
        "classes": _class_colors(th, sizes[-1]) if task == "multiclass" else None,
        "link_colors": _link_colors(th),
        "point_colors": _point_colors(th, task, sizes[-1]),
        "title": f"The network {'-'.join(map(str, sizes))}: each neuron's output over the plane, and the output map",
    }


def _legend_items(th, task, n_out, class_names, x, small, k) -> list[dict]:
    """The map's legend, each item placed (dot and label) so that the page and the picture agree."""
    if task == "multiclass":
        names = class_names or tuple(str(c) for c in range(n_out))
        items = [(f"class {n}", QUALITATIVE[c % len(QUALITATIVE)]) for c, n in enumerate(names)]
    elif task == "binary":
        names = class_names or ("0", "1")
        items = [(f"class {names[0]}", scale_color(-0.8, 1, th)), (f"class {names[1]}", scale_color(0.8, 1, th))]
    else:
        items = [("−1", scale_color(-0.8, 1, th)), ("0", th.zero), ("+1", scale_color(0.8, 1, th))]
    out, r = [], 3.5 * k * 1.4
    for label, color in items:
        out.append({"label": label, "color": color, "cx": x + r, "tx": x + 2 * r + 4 * k})
        x += 2 * r + 14 * k + text_width(label, small)
    return out


def _button(key, label, x, y, size, enabled, tip) -> dict:
    return {"key": key, "label": label, "x": x, "y": y, "size": size, "enabled": bool(enabled), "tip": tip}


def _tick(value: float) -> str:
    text_ = f"{value:.3g}"
    return "0" if text_ in ("-0", "0") else text_.replace("-", "−")


NOTE_SAMPLE = "δ = −0.00000"  # as wide as a δ label gets (fmt with 3 digits)


def _clear_output_notes(nodes: list[dict], small: float) -> None:
    """Move an output's δ label down, a line at a time, until it clears the last hidden layer's labels (above
    right of their neurons, they reach into the output's column when the columns are close)."""
    width = text_width(NOTE_SAMPLE, small)

    def box(note: dict) -> tuple[float, float, float, float]:
        x0 = note["x"] - width / 2 if note["anchor"] == "middle" else note["x"]
        return x0, note["y"] - 0.65 * small, x0 + width, note["y"] + 0.65 * small

    hidden = [box(n["note"]) for n in nodes if not n["output"]]
    for n in nodes:
        if not n["output"]:
            continue
        for _ in range(4):
            x0, y0, x1, y1 = box(n["note"])
            if not any(a0 < x1 and x0 < a1 and b0 < y1 and y0 < b1 for a0, b0, a1, b1 in hidden):
                break
            n["note"]["y"] += 1.3 * small


def _unit_name(sizes, layer: int, j: int, features) -> str:
    """How a tooltip names a unit: the feature's label, a hidden neuron by layer, or the output."""
    if layer == 0:
        chosen = [label for _, label, on in features if on]
        return chosen[j] if j < len(chosen) else f"input {j + 1}"
    if layer == len(sizes) - 1:
        return "the output" if sizes[-1] == 1 else f"output {j + 1}"
    return f"neuron {j + 1} of layer {layer}"


def _point_colors(th, task: str, n_out: int) -> list[str]:
    """A point's fill by its palette index: binary 0/1 and classes in their colours, a regression's value
    v ∈ [−1, 1] as the signed scale's index (full strength, so the points read on the paler map)."""
    if task == "multiclass":
        return [QUALITATIVE[c % len(QUALITATIVE)] for c in range(MAX_CLASSES)]
    return [scale_color(2 * i / (LEVELS - 1) - 1, 1.0, th) for i in range(LEVELS)]


# ---------------------------------------------------------------------------------------------- a frame
@dataclass
class Frame:
    """What one tick changes. grids: per node of the layout (in its ``slot`` order) a (R, R) uint8 array,
    rows from the top of the plane down; features: per feature (layout order) the same; map: (M, M) uint8.
    links: (n_links, 3) uint8 (colour index, round(width·8), look flags); biases: (n_biases,) uint8;
    node_marks: (n_nodes,) uint8 frames; texts: slot → text; points: (n, 2) float32 plane coordinates with
    point_index (n,) uint8 (the point palette) and point_test (n,) bool (test points, drawn with a dark ring).
    """

    grids: list[np.ndarray]
    features: list[np.ndarray]
    map: np.ndarray
    links: np.ndarray
    biases: np.ndarray
    node_marks: np.ndarray
    texts: dict = field(default_factory=dict)
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    point_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    point_test: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def weight_styles(weights: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """(n, 3) uint8 link styles of weights: colour (w clipped to ±1), width (1 to 8 px at |w| ≥ 5), dashed < 0."""
    w = np.asarray(weights, dtype=np.float64)
    out = np.zeros((w.shape[0], 3), np.uint8)
    out[:, 0] = signed_indices(w / LINK_COLOR_RANGE)
    out[:, 1] = np.clip(np.round(link_width(w, scale) * WIDTH_STEPS), 1, 255)
    out[:, 2] = np.where(w < 0, DASHED, 0)
    return out


def gradient_styles(grads: np.ndarray, lit: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """(n, 3) uint8 link styles of the backward pass: lit links coloured and sized by ∂L/∂w relative to the
    largest |∂L/∂w| among them (1 to 8 px), the others faded."""
    g = np.nan_to_num(np.asarray(grads, dtype=np.float64))
    lit = np.asarray(lit, dtype=bool)
    top = float(np.abs(g[lit]).max()) if lit.any() else 0.0
    rel = g / top if top > 0 else g * 0.0
    out = np.zeros((g.shape[0], 3), np.uint8)
    out[:, 0] = np.where(lit, signed_indices(rel), (LEVELS - 1) // 2 + 1)
    widths = scale * (1.0 + 7.0 * np.abs(rel))
    out[:, 1] = np.where(lit, np.clip(np.round(widths * WIDTH_STEPS), 1, 255), round(scale * WIDTH_STEPS))
    out[:, 2] = np.where(lit, LIT | np.where(g < 0, DASHED, 0), FADED)
    return out


def chart_paths(steps, train, test, box: dict, log: bool) -> dict:
    """The loss chart's two polylines as SVG path data inside ``box`` (x, y, w, h) and its axis texts.

    Non-finite losses are left out; ``log``: a log₁₀ axis (when the losses span more than 100 ×, or a run
    diverged), else linear from 0.
    """
    steps = np.asarray(steps, dtype=float)
    series = [np.asarray(train, dtype=float)] + ([np.asarray(test, dtype=float)] if test is not None else [])
    ok = [np.isfinite(s) & ((s > 0) if log else True) for s in series]
    values = np.concatenate([s[m] for s, m in zip(series, ok)]) if any(m.any() for m in ok) else np.zeros(0)
    out = {"chart_train": "", "chart_test": "", "chart_top": "", "chart_bottom": "", "chart_right": ""}
    if steps.size < 2 or values.size == 0:
        return out
    if log:
        lv = np.log10(values)
        lo, hi = float(np.floor(lv.min())), float(np.ceil(lv.max()))
        if hi - lo < 1:
            hi = lo + 1
    else:
        lo, hi = 0.0, float(values.max()) * 1.05 or 1.0
    x0, x1 = float(steps[0]), float(steps[-1])
    span = max(x1 - x0, 1.0)
    for key, s, m in zip(("chart_train", "chart_test"), series, ok):
        if not m.any():
            continue
        v = np.log10(s[m]) if log else s[m]
        px = box["x"] + (steps[m] - x0) / span * box["w"]
        py = box["y"] + box["h"] - (np.clip(v, lo, hi) - lo) / (hi - lo) * box["h"]
        out[key] = "M" + " L".join(map("{:.0f},{:.0f}".format, px.tolist(), py.tolist()))  # whole px: small
    out["chart_top"] = (f"10{_sup(int(hi))}" if log else f"{hi:.3g}").replace("-", "−")
    out["chart_bottom"] = (f"10{_sup(int(lo))}" if log else "0").replace("-", "−")
    out["chart_right"] = f"step {int(x1):,}"
    return out


_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _sup(n: int) -> str:
    return str(n).translate(_SUP)


def thin_series(n: int, limit: int = 160) -> np.ndarray:
    """Indices of at most ``limit`` entries of a series of ``n``, evenly spread, the first and last kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(int))


# ---------------------------------------------------------------------------------------------- the picture
def png_data_uri(indices: np.ndarray, colors: list[str]) -> str:
    """A (R, C) uint8 palette image as a PNG data URI (RGB; the same bytes every time: ``diagram.png_uri``)."""
    rgb = np.array([_hex_to_rgb(c) for c in colors], dtype=np.uint8)  # (256, 3)
    return png_uri(np.ascontiguousarray(rgb[np.asarray(indices, dtype=np.uint8)]))


def link_color(layout: dict, style) -> tuple[str, float, str | None, float]:
    """(stroke, width, dash, opacity) of a link style row, as the page sets it."""
    color, width, flags = int(style[0]), int(style[1]) / WIDTH_STEPS, int(style[2])
    dash = f"{_n(3 * layout['scale'])} {_n(2 * layout['scale'])}" if flags & DASHED else None
    return layout["link_colors"][color], width, dash, (0.25 if flags & FADED else 1.0)


def playground_svg(layout: dict, frame: Frame, *, standalone: bool = True) -> str:
    """The whole picture as one SVG document: what the live widget draws, for GitHub, nbviewer and exports."""
    L, k = layout, layout["scale"]
    out = []
    heat = L["heat"]
    for f, grid in zip(L["features"], frame.features):
        s = f["size"]
        op = None if f["chosen"] else 0.3
        out.append(_image(f["x"] - s / 2, f["y"] - s / 2, s, grid, heat, op))
    for node, grid in zip(L["nodes"], frame.grids):
        s = node["size"]
        out.append(_image(node["x"] - s / 2, node["y"] - s / 2, s, grid, heat, None))
    m = L["map"]
    map_colors = L["classes"] if L["task"] == "multiclass" else heat
    out.append(_image(m["x"], m["y"], m["size"], frame.map, map_colors, None))
    for link, style in zip(L["links"], frame.links):
        stroke, width, dash, opacity = link_color(L, style)
        a = attrs(d=link["d"], fill="none", stroke=stroke, stroke_width=float(width), stroke_dasharray=dash,
                  stroke_opacity=opacity if opacity < 1 else None)  # fmt: skip
        out.append(f"<path {a}/>")
    for f in L["features"]:
        s = f["size"]
        out.append(_frame_rect(f["x"] - s / 2, f["y"] - s / 2, s, L["muted"], k, dashed=not f["chosen"]))
        out.append(text(f["x"] - s / 2 - 8 * k, f["y"], f["label"], size=L["font_size"],
                        fill=L["ink"] if f["chosen"] else L["muted"], anchor="end"))  # fmt: skip
    for node, mark in zip(L["nodes"], frame.node_marks):
        s = node["size"]
        color = L["accent"] if mark else L["muted"]
        out.append(_frame_rect(node["x"] - s / 2, node["y"] - s / 2, s, color, k * (2.5 if mark == NODE_LIT else 1)))
        note = frame.texts.get(f"note:{node['layer']}:{node['index']}", "")
        if note:
            where = node["note"]
            out.append(text(where["x"], where["y"], note, size=L["small"], fill=L["ink"], anchor=where["anchor"],
                            halo=L["background"]))  # fmt: skip
    for b, color in zip(L["biases"], frame.biases):
        a = attrs(x=float(b["x"]), y=float(b["y"]), width=float(b["size"]), height=float(b["size"]),
                  fill=L["link_colors"][int(color)], stroke=L["muted"], stroke_width=float(0.6 * k))  # fmt: skip
        out.append(f"<rect {a}/>")
    out.append(_frame_rect(m["x"], m["y"], m["size"], L["muted"], k))
    out.append(_points(L, frame))
    out.append(_pick(L, frame.texts.get("pick", "")))
    for t in m["ticks"]:
        out.append(text(t["x"], t["y"], t["text"], size=L["small"], fill=L["muted"], anchor=t["anchor"]))
    out.append(_legend(L))
    for t in L["texts"]:
        out.append(text(t["x"], t["y"], t["text"], size=t["size"], fill=t["fill"], anchor=t.get("anchor", "middle"),
                        weight=t.get("weight")))  # fmt: skip
    for b in L["buttons"]:
        out.append(_button_svg(L, b))
    for s in L["status"]:
        out.append(text(s["x"], s["y"], frame.texts.get(s["slot"], ""), size=L["font_size"], fill=L["ink"],
                        anchor="start"))  # fmt: skip
    out.append(_chart(L, frame.texts))
    body = "".join(out)
    head = attrs(
        xmlns=SVG_NS if standalone else None,
        viewBox=f"0 0 {_n(L['width'])} {_n(L['height'])}",
        width=float(L["width"]),
        height=float(L["height"]),
        role="img",
        font_family=L["font"],
        font_size=float(L["font_size"]),
    )
    back = f"<rect {attrs(x=0.0, y=0.0, width=float(L['width']), height=float(L['height']), fill=L['background'])}/>"
    return f"<svg {head}><title>{html.escape(L['title'], quote=False)}</title>{back}{body}</svg>"


def _image(x, y, size, grid, colors, opacity) -> str:
    a = attrs(x=float(x), y=float(y), width=float(size), height=float(size), href=png_data_uri(grid, colors),
              preserveAspectRatio="none", opacity=opacity)  # fmt: skip
    return f"<image {a}/>"


def _frame_rect(x, y, s, color, width, dashed=False) -> str:
    a = attrs(x=float(x), y=float(y), width=float(s), height=float(s), fill="none", stroke=color,
              stroke_width=float(width), stroke_dasharray="3 2" if dashed else None)  # fmt: skip
    return f"<rect {a}/>"


def _points(L: dict, frame: Frame) -> str:
    m = L["map"]
    x_lo, x_hi, y_lo, y_hi = m["domain"]
    out = []
    r = m["point_r"]
    for (x, y), idx, test in zip(frame.points, frame.point_index, frame.point_test):
        px = m["x"] + (float(x) - x_lo) / (x_hi - x_lo) * m["size"]
        py = m["y"] + (y_hi - float(y)) / (y_hi - y_lo) * m["size"]
        if not (m["x"] <= px <= m["x"] + m["size"] and m["y"] <= py <= m["y"] + m["size"]):
            continue
        ring = "#000000" if test else "#ffffff"
        a = attrs(cx=float(px), cy=float(py), r=float(r), fill=L["point_colors"][int(idx)], stroke=ring,
                  stroke_width=float(r * 0.28))  # fmt: skip
        out.append(f"<circle {a}/>")
    return "<g>" + "".join(out) + "</g>"


def pick_position(L: dict, pick: str) -> tuple[float, float] | None:
    """Where the sample a backward walk follows sits on the map (``texts["pick"]``: "x y" in the plane's units)."""
    if not pick:
        return None
    m = L["map"]
    x, y = (float(v) for v in pick.split())
    x_lo, x_hi, y_lo, y_hi = m["domain"]
    return m["x"] + (x - x_lo) / (x_hi - x_lo) * m["size"], m["y"] + (y_hi - y) / (y_hi - y_lo) * m["size"]


def _pick(L: dict, pick: str) -> str:
    at = pick_position(L, pick)
    if at is None:
        return ""
    r = L["map"]["point_r"]
    a = attrs(
        cx=float(at[0]), cy=float(at[1]), r=float(3 * r), fill="none", stroke=L["accent"], stroke_width=float(r * 0.8)
    )
    return f"<circle {a}/>"


def _legend(L: dict) -> str:
    m = L["map"]
    y, r = m["legend_y"], m["point_r"] * 1.4
    out = []
    for item in m["legend"]:
        out.append(f"<circle {attrs(cx=float(item['cx']), cy=float(y), r=float(r), fill=item['color'])}/>")
        out.append(text(item["tx"], y, item["label"], size=L["small"], fill=L["ink"], anchor="start"))
    return "".join(out)


def _button_svg(L: dict, b: dict) -> str:
    s = b["size"]
    color = L["ink"] if b["enabled"] else L["muted"]
    a = attrs(x=float(b["x"] - s / 2), y=float(b["y"] - s / 2), width=float(s), height=float(s), rx=float(s / 2),
              fill="none", stroke=color, stroke_width=float(L["scale"]))  # fmt: skip
    return f"<rect {a}/>" + text(b["x"], b["y"], b["label"], size=L["font_size"] * 1.1, fill=color, weight="bold")


def _chart(L: dict, texts: dict) -> str:
    c, k = L["chart"], L["scale"]
    box = attrs(x=float(c["x"]), y=float(c["y"]), width=float(c["w"]), height=float(c["h"]), fill="none",
                stroke=L["muted"], stroke_width=float(0.6 * k))  # fmt: skip
    out = [f"<rect {box}/>"]
    for key, color, dash in (("chart_test", L["ink"], f"{_n(4 * k)} {_n(3 * k)}"), ("chart_train", L["muted"], None)):
        d = texts.get(key, "")
        if d:
            a = attrs(d=d, fill="none", stroke=color, stroke_width=float(1.6 * k), stroke_dasharray=dash)
            out.append(f"<path {a}/>")
    small = L["small"]
    for key, x, y, anchor in (("chart_top", c["x"] - 4 * k, c["y"] + small * 0.4, "end"),
                              ("chart_bottom", c["x"] - 4 * k, c["y"] + c["h"] - small * 0.4, "end"),
                              ("chart_right", c["x"] + c["w"], c["y"] + c["h"] + small * 0.9, "end")):  # fmt: skip
        if texts.get(key):
            out.append(text(x, y, texts[key], size=small, fill=L["muted"], anchor=anchor))
    return "".join(out)


__all__ = [
    "Frame",
    "chart_paths",
    "class_indices",
    "gradient_styles",
    "link_color",
    "playground_layout",
    "playground_svg",
    "png_data_uri",
    "signed_indices",
    "thin_series",
    "weight_styles",
]
