"""A convolution's forward and backward pass as an SVG scene: grids of cells, the backward pass step by step.

``conv_diagram(lesson, stage=...)`` draws a ``ConvPass`` (``explainer.course.patterns.conv_pass``): the forward
row x ∗ K + b = y (→ max-pool → p), and under each array its gradient: ∂L/∂x, ∂L/∂K and ∂L/∂b, δ = ∂L/∂y
(and ∂L/∂p). Every cell is a rect coloured on the signed scale (its grid's own: orange +, purple −, grey 0),
its number printed where it fits, and a focusable target whose hover text writes the cell as the sum it is.

The backward pass in steps (``conv_stages``): δ from the loss; the max-pool routing it to its winners; each
∂L/∂K[i,j] = Σ_p,q δ[p,q]·x[p+i, q+j] (δ laid over the image shifted by (i, j)); ∂L/∂b = Σ δ; then each
∂L/∂x[u,v], the kernel flipped and slid over δ (with its border of zeros) in reverse.

Every value shown is the record's (``conv.output``, ``grad_kernel``, ``grad_input``, …), only formatted here.
The products a sum is made of are not in the record: they are computed here from the recorded x_pad, K and δ,
and the hover texts say so.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

import numpy as np

from .._validate import one_of
from ..course.patterns import CONV_LOSSES, KERNELS, ConvPass
from .diagram import Part, Scene, group, line, rect, target, text, text_width, wrap
from .style import THEMES, Theme, finite_max_abs, fmt, fmt_plain, get_theme, scale_color

WIDTH = 1000.0  # px the scene is laid out for (× 1.7 in lecture mode)
# Lecture mode: the layout ×1.7 (it fits the ~1,740 px of a notebook's output area on a 1920 px screen, so it is
# drawn at its own size) and the fonts a little more, so that the smallest text is 24 px for the back row.
LECTURE_SCALE = 1.7
LECTURE_FONT = 16.7  # the theme's base font size in lecture mode (13 otherwise); the smallest text is 0.85 of it
MIN_CELL, MAX_CELL = 24.0, 36.0
HOVER_TERMS = 18  # products listed in a hover; the step panel lists them all
STAGE_KINDS = ("loss", "pool", "kernel", "bias", "input")
KEY_PREFIXES = ("x", "K", "b", "y", "p", "dx", "dK", "db", "d", "dp")


def lecture_theme(theme: str, lecture: bool) -> Theme:
    """The theme a scene is drawn in: ``theme``, or in lecture mode ×1.7 with a larger base font."""
    base = get_theme(theme)
    return replace(base, scale=LECTURE_SCALE, font_size=LECTURE_FONT) if lecture else base


# --------------------------------------------------------------------------------------------- the steps
@dataclass(frozen=True)
class ConvStage:
    """One step of the backward pass: what it computes (``kind``) and where (``at``: a cell, or None)."""

    kind: str  # one of STAGE_KINDS
    at: tuple[int, int] | None


def conv_stages(lesson: ConvPass) -> tuple[ConvStage, ...]:
    """The backward pass's steps, in order: loss, (pool), ∂L/∂K entry by entry, ∂L/∂b, ∂L/∂x cell by cell."""
    _check_lesson(lesson)
    kh, kw = lesson.kernel.shape
    h, w = lesson.image.shape
    out = [ConvStage("loss", None)]
    if lesson.pool:
        out.append(ConvStage("pool", None))
    out += [ConvStage("kernel", (i, j)) for i in range(kh) for j in range(kw)]
    out.append(ConvStage("bias", None))
    out += [ConvStage("input", (u, v)) for u in range(h) for v in range(w)]
    return tuple(out)


def next_part(lesson: ConvPass, stage: int | None) -> int | None:
    """The first step of the part after the one ``stage`` is in (None after the last part: the whole pass)."""
    stages = conv_stages(lesson)
    if stage is None:
        return 0
    kind = stages[stage].kind
    for k in range(stage + 1, len(stages)):
        if stages[k].kind != kind:
            return k
    return None


def _check_stage(lesson: ConvPass, stage) -> int | None:
    if stage is None:
        return None
    n = len(conv_stages(lesson))
    if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not 0 <= stage < n:
        raise ValueError(f"stage must be an integer from 0 to {n - 1} (or None for the whole pass); got {stage!r}")
    return int(stage)


def _check_lesson(lesson) -> None:
    if not isinstance(lesson, ConvPass):
        raise ValueError(
            f"lesson must be a ConvPass from explainer.course.patterns.conv_pass; got {type(lesson).__name__}"
        )


# --------------------------------------------------------------------------------------------- numbers
def _factor(v: float) -> str:
    """A number as a factor of a product: 4 digits, a negative one in parentheses."""
    t = fmt_plain(float(v) + 0.0)
    return f"({t})" if t.startswith("−") else t


def _cell_text(v: float, digits: int) -> str:
    """A cell's number: an integer as it is, else ``digits`` significant digits; a real minus sign, no plus."""
    v = float(v) + 0.0
    if not np.isfinite(v):
        return "NaN" if np.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 10**digits:
        return str(int(v)).replace("-", "−")
    t = f"{v:.{digits}g}"
    if "e" in t:
        return fmt_plain(v, digits)
    return t.replace("-", "−")


def _idx(r: int, s: int) -> str:
    return f"[{r},{s}]"


@dataclass(frozen=True)
class _Grids:
    """The arrays drawn, (rows, cols) each, read from the lesson's records."""

    x: np.ndarray
    K: np.ndarray
    y: np.ndarray
    p: np.ndarray | None
    dx: np.ndarray
    dK: np.ndarray
    d: np.ndarray
    dp: np.ndarray | None
    b: float
    db: float


def _grids(lesson: ConvPass) -> _Grids:
    r = lesson.conv
    pool = lesson.pool_record
    return _Grids(
        x=r.x[0, 0],
        K=r.kernel[0, 0],
        y=r.output[0, 0],
        p=None if pool is None else pool.output[0, 0],
        dx=r.grad_input[0, 0],
        dK=r.grad_kernel[0, 0],
        d=r.grad_output[0, 0],
        dp=None if pool is None else pool.grad_output[0, 0],
        b=float(r.bias[0]),
        db=float(r.grad_bias[0]),
    )


# --------------------------------------------------------------------------------------------- hover texts
def _loss_words(lesson: ConvPass, out: str) -> str:
    if lesson.loss == "sum":
        return f"L = Σ {out}"
    return f"L = ½ Σ ({out} − T)²"


def _target_title(lesson: ConvPass) -> str:
    return KERNELS[lesson.target_kernel].title if lesson.target_kernel else ""


def _terms(lines: list[str], zeros: int, full: bool, what: str) -> list[str]:
    """Product lines, cut to HOVER_TERMS unless ``full``, and how many were 0."""
    shown = lines if full or len(lines) <= HOVER_TERMS else lines[:HOVER_TERMS]
    out = [f"  {t}" for t in shown]
    if len(shown) < len(lines):
        out.append(f"  … {len(lines) - len(shown)} more (select the cell to see every one)")
    if zeros:
        out.append(f"  + {zeros} product{'s' if zeros != 1 else ''} of 0 ({what})")
    return out


def cell_text(lesson: ConvPass, key: str, *, full: bool = False) -> str:
    """The hover text (HTML, lines joined by <br>) of the cell ``key``: ``"x[0,1]"``, ``"K[1,1]"``, ``"b"``,
    ``"y[2,3]"``, ``"p[0,0]"``, ``"dx[…]"``, ``"dK[…]"``, ``"db"``, ``"d[…]"`` (δ) or ``"dp[…]"``.

    ``full``: every product of a sum (a hover lists at most 18).
    """
    _check_lesson(lesson)
    name, at = _parse_key(lesson, key)
    g = _grids(lesson)
    kh, kw = g.K.shape
    ho, wo = g.y.shape
    lines: list[str] = []
    computed = "products computed here from the recorded x, K and δ; the sum is the record's"
    if name == "x":
        u, v = at
        readers = [
            (p, q) for p in range(max(0, u - kh + 1), min(ho, u + 1)) for q in range(max(0, v - kw + 1), min(wo, v + 1))
        ]
        lines = [f"x{_idx(u, v)} = {fmt(g.x[u, v])}  (a pixel of the image)"]
        lines.append(
            f"read by {len(readers)} output{'s' if len(readers) != 1 else ''} y[p,q], each through K[{u}−p,{v}−q]"
        )
    elif name == "K":
        i, j = at
        lines = [
            f"K{_idx(i, j)} = {fmt(g.K[i, j])}",
            f"multiplies x[p+{i},q+{j}] at every one of the {ho * wo} outputs y[p,q]:",
        ]
        lines.append("one weight shared by every window, so ∂L/∂K sums over all of them")
    elif name == "b":
        lines = [f"b = {fmt(g.b)}, added to every output y[p,q]"]
    elif name == "y":
        p, q = at
        lines = [f"y{_idx(p, q)} = b + Σ_i,j K[i,j] · x[{p}+i,{q}+j]"]
        terms = [f"K{_idx(i, j)} · x{_idx(p + i, q + j)} = {_factor(g.K[i, j])} × {_factor(g.x[p + i, q + j])} = "
                 f"{fmt(g.K[i, j] * g.x[p + i, q + j])}" for i in range(kh) for j in range(kw)]  # fmt: skip
        lines += [f"  {t}" for t in terms] + [f"  + b = {fmt(g.b)}"]
        lines.append(f"= {fmt(g.y[p, q])}  (the record's output; the products computed here)")
    elif name == "p":
        lines = _pool_lines(lesson, g, at)
    elif name == "dp":
        p, q = at
        lines = [f"∂L/∂p{_idx(p, q)}, from the loss {_loss_words(lesson, 'p')}:"]
        lines += _loss_delta_lines(lesson, "p", at, g.p, g.dp)
    elif name == "d":
        lines = _delta_lines(lesson, g, at)
    elif name == "dK":
        i, j = at
        lines = [f"∂L/∂K{_idx(i, j)} = Σ_p,q δ[p,q] · x[p+{i},q+{j}]  (δ over the image shifted by ({i}, {j}))"]
        terms, zeros = [], 0
        for p in range(ho):
            for q in range(wo):
                a, xv = g.d[p, q], g.x[p + i, q + j]
                if a * xv == 0:
                    zeros += 1
                    continue
                terms.append(f"δ{_idx(p, q)} · x{_idx(p + i, q + j)} = {_factor(a)} × {_factor(xv)} = {fmt(a * xv)}")
        lines += _terms(terms, zeros, full, "δ = 0 or x = 0")
        lines.append(f"= {fmt(g.dK[i, j])}  ({computed})")
    elif name == "db":
        lines = [
            f"∂L/∂b = Σ_p,q δ[p,q] over the {ho * wo} outputs = {fmt(g.db)}",
            "(b is added to every output: each δ counts once)",
        ]
    elif name == "dx":
        u, v = at
        lines = [f"∂L/∂x{_idx(u, v)} = Σ_i,j δ[{u}−i,{v}−j] · K[i,j]: K flipped, slid over δ",
                 "(the outputs that read this pixel hand their δ back through the weight they used)"]  # fmt: skip
        terms, zeros, border = [], 0, 0
        for i in range(kh):
            for j in range(kw):
                p, q = u - i, v - j
                if not (0 <= p < ho and 0 <= q < wo):
                    border += 1
                    continue
                a = g.d[p, q]
                if a * g.K[i, j] == 0:
                    zeros += 1
                    continue
                terms.append(
                    f"δ{_idx(p, q)} · K{_idx(i, j)} = {_factor(a)} × {_factor(g.K[i, j])} = {fmt(a * g.K[i, j])}"
                )
        lines += _terms(terms, zeros, full, "δ = 0 or K = 0")
        if border:
            lines.append(f"  + {border} window cell{'s' if border != 1 else ''} on the zero border around δ")
        lines.append(f"= {fmt(g.dx[u, v])}  ({computed})")
    return "<br>".join(html.escape(t, quote=False) for t in lines)


def _loss_delta_lines(lesson: ConvPass, out: str, at, values: np.ndarray, grads: np.ndarray) -> list[str]:
    p, q = at
    if lesson.loss == "sum":
        return [
            f"  ∂L/∂{out}{_idx(p, q)} = 1: the output itself is the loss",
            f"= {fmt(grads[p, q])}  (given to the backward pass)",
        ]
    T = lesson.target[p, q]
    return [
        f"  {out} − T = {_factor(values[p, q])} − {_factor(T)}  (T: what “{_target_title(lesson)}” gives)",
        f"= {fmt(grads[p, q])}  (given to the backward pass)",
    ]


def _window(g: _Grids, at) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """The y cells of pool window ``at`` and its winner (the first maximum, row-major, as the engine takes)."""
    p, q = at
    cells = [(2 * p + a, 2 * q + c) for a in range(2) for c in range(2)]
    return cells, cells[int(np.argmax([g.y[r, s] for r, s in cells]))]


def _pool_lines(lesson: ConvPass, g: _Grids, at) -> list[str]:
    cells, (wr, ws) = _window(g, at)
    rows, cols = lesson.pool_record.winners
    assert (int(rows[0, 0][at]), int(cols[0, 0][at])) == (wr, ws)  # the record's winner
    values = ", ".join(f"y{_idx(r, s)} = {fmt(g.y[r, s])}" for r, s in cells)
    tie = sum(g.y[r, s] == g.y[wr, ws] for r, s in cells) > 1
    return [
        f"p{_idx(*at)} = max of its 2×2 window: {values}",
        f"= {fmt(g.p[at])}, won by y{_idx(wr, ws)}" + ("  (a tie: the first in reading order wins)" if tie else ""),
    ]


def _delta_lines(lesson: ConvPass, g: _Grids, at) -> list[str]:
    p, q = at
    head = f"δ{_idx(p, q)} = ∂L/∂y{_idx(p, q)}"
    if not lesson.pool:
        return [f"{head}, from the loss {_loss_words(lesson, 'y')}:"] + _loss_delta_lines(lesson, "y", at, g.y, g.d)
    pr, pc = p // 2, q // 2
    hp, wp = g.p.shape
    if pr >= hp or pc >= wp:
        return [f"{head} = {fmt(g.d[p, q])}: no pool window holds y{_idx(p, q)} (2×2 windows, stride 2)"]
    _, winner = _window(g, (pr, pc))
    if winner == (p, q):
        return [
            f"{head}: y{_idx(p, q)} wins its pool window p{_idx(pr, pc)},",
            f"so it gets the window's whole gradient ∂L/∂p{_idx(pr, pc)} = {fmt(g.dp[pr, pc])}",
            f"= {fmt(g.d[p, q])}  (the record's ∂L/∂y)",
        ]
    return [
        f"{head} = {fmt(g.d[p, q])}: y{_idx(p, q)} does not win its pool window p{_idx(pr, pc)}",
        f"(y{_idx(*winner)} = {fmt(g.y[winner])} does), and only the winner changes the max",
    ]


def _parse_key(lesson: ConvPass, key) -> tuple[str, tuple[int, int] | None]:
    keys = _all_keys(lesson)
    if not isinstance(key, str) or key not in keys:
        raise ValueError(
            f"key must be a cell of the diagram such as 'dK[0,1]', 'x[2,3]', 'b' (one of {len(keys)}); got {key!r}"
        )
    if "[" not in key:
        return key, None
    name, rest = key.split("[", 1)
    r, s = (int(t) for t in rest[:-1].split(","))
    return name, (r, s)


def cell_keys(lesson: ConvPass) -> set[str]:
    """Every cell key of the lesson's diagram (what ``cell_text`` and ``selected`` take)."""
    _check_lesson(lesson)
    return _all_keys(lesson)


def _all_keys(lesson: ConvPass) -> set[str]:
    g = _grids(lesson)
    keys = {"b", "db"}
    arrays = {"x": g.x, "K": g.K, "y": g.y, "dx": g.dx, "dK": g.dK, "d": g.d}
    if g.p is not None:
        arrays.update(p=g.p, dp=g.dp)
    for name, arr in arrays.items():
        keys |= {f"{name}{_idx(r, s)}" for r in range(arr.shape[0]) for s in range(arr.shape[1])}
    return keys


# --------------------------------------------------------------------------------------------- captions
def stage_caption(lesson: ConvPass, stage: int | None) -> str:
    """What step ``stage`` does, in one or two sentences (None: the whole pass at once)."""
    _check_lesson(lesson)
    stage = _check_stage(lesson, stage)
    stages = conv_stages(lesson)
    out = "p" if lesson.pool else "y"
    if stage is None:
        return (
            "The whole backward pass at once: δ from the loss, then ∂L/∂K (δ against the image), ∂L/∂b (Σ δ) and "
            "∂L/∂x (the flipped kernel over δ). backward step ▶ walks it one number at a time."
        )
    st = stages[stage]
    head = f"Step {stage + 1} of {len(stages)}: "
    if st.kind == "loss":
        if lesson.loss == "sum":
            return head + f"L = Σ {out}, so every output's gradient is 1: the output itself is what is minimised."
        return head + (
            f"the loss ½ Σ ({out} − T)² hands every output its gradient {out} − T "
            f"(T: what “{_target_title(lesson)}” gives on this image)."
        )
    if st.kind == "pool":
        return head + (
            "the max-pool routes each window's gradient to its winner, the largest y of the window; the other "
            "three get 0, since nudging them does not change the max."
        )
    if st.kind == "kernel":
        i, j = st.at
        return head + (
            f"∂L/∂K[{i},{j}] = Σ δ[p,q] · x[p+{i},q+{j}]: δ laid over the outlined block of the image, cell by cell, "
            f"summed. K[{i},{j}] is used at every output, so its gradient collects all of them."
        )
    if st.kind == "bias":
        return head + "∂L/∂b = Σ δ: the bias is added to every output, so each δ counts once."
    u, v = st.at
    return head + (
        f"∂L/∂x[{u},{v}]: the kernel flipped and slid over δ (outlined, zeros beyond its edge), products summed: "
        f"each output that read x[{u},{v}] hands back its δ times the weight it used."
    )


def stage_key(lesson: ConvPass, stage: int | None) -> str | None:
    """The cell step ``stage`` computes (``"dK[0,1]"``, ``"db"``, ``"dx[2,3]"``), or None for loss, pool, whole."""
    stage = _check_stage(lesson, stage)
    if stage is None:
        return None
    st = conv_stages(lesson)[stage]
    if st.kind == "kernel":
        return f"dK{_idx(*st.at)}"
    if st.kind == "bias":
        return "db"
    if st.kind == "input":
        return f"dx{_idx(*st.at)}"
    return None


# --------------------------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class _Geometry:
    c: float  # a cell's side
    gap: float  # between panels (holds the ring of zeros around δ)
    x0: dict  # panel → left x
    top_f: float  # forward grids' top
    top_b: float  # backward grids' top
    width: float
    height_grids: float
    font: float
    small: float
    cell_font: float


def _subtitle(lesson: ConvPass, th: Theme, width: float) -> tuple[list[str], float, str]:
    """The lines under the title (what is computed, the loss, how to read the colours), wrapped to ``width``,
    their font size, and what is computed and the loss in one line (for the scene's title)."""
    out_name = "p" if lesson.pool else "y"
    chain = "x ∗ K + b = y → max-pool 2×2 → p" if lesson.pool else "x ∗ K + b = y"
    if lesson.loss == "sum":
        loss_line = f"L = Σ {out_name} = {fmt_plain(lesson.loss_value)}: the output itself (δ = 1 at every output)"
    else:
        loss_line = (
            f"L = ½ Σ ({out_name} − T)² = {fmt_plain(lesson.loss_value)}, T = what “{_target_title(lesson)}” gives"
        )
    size = th.size(th.font_size * 0.9)
    colours = "each grid has its own colour scale: orange +, purple −, grey 0; hover or Tab to a cell for its sum"
    room = width - th.size(32)
    return wrap(f"{chain};  {loss_line}", size, room) + wrap(colours, size, room), size, f"{chain}. {loss_line}"


def _geometry(lesson: ConvPass, th: Theme, extra_top: float = 0.0) -> _Geometry:
    """The grids' places; ``extra_top`` px more above them for a subtitle of more than two lines."""
    s = th.scale
    h, w = lesson.image.shape
    kh, kw = lesson.kernel.shape
    wo = w - kw + 1
    panels = [("x", w), ("K", kw), ("y", wo)]
    if lesson.pool:
        panels.append(("p", (wo - 2) // 2 + 1))
    n_cells = sum(n for _, n in panels)
    n_gaps = len(panels) - 1
    ring = max(kh, kw) - 1
    pad = 20 * s
    # The gaps hold the ring of zeros around δ (ring cells) and an operator; solve WIDTH for the cell side.
    extra = 0 if lesson.pool else ring  # without a pool δ is the last panel: its ring needs room on the right
    c = (WIDTH * s - 2 * pad - n_gaps * 18 * s) / (n_cells + n_gaps * ring + extra)
    c = float(np.clip(c, MIN_CELL * s, MAX_CELL * s))
    gap = max(ring * c + 18 * s, 54 * s)
    x0, x = {}, pad
    for name, n in panels:
        x0[name] = x
        x += n * c + gap
    width = max(x - gap + pad, x0["y"] + (wo + ring) * c + pad)  # δ's ring of zeros, when δ is the last panel
    font = th.size(th.font_size)
    small = th.size(th.font_size * 0.9)
    top_f = 112 * s + extra_top
    rows_f = max(h, kh + 1.6)  # the kernel panel holds b under K
    ring_v = ring * c
    # Under the forward row: the backward row's header, the ring of zeros above δ (with δ's title over it while
    # the ring is drawn), then the titles right above the backward grids.
    top_b = top_f + rows_f * c + 34 * s + 1.3 * font + 1.4 * font + ring_v
    height_grids = top_b + max(h, kh + 1.6) * c + ring_v
    cell_font = min(th.size(th.font_size), 0.41 * c)
    return _Geometry(c, gap, x0, top_f, top_b, width, height_grids, font, small, cell_font)


# --------------------------------------------------------------------------------------------- drawing
def _ink(v: float, vmax: float, th: Theme) -> str:
    if not np.isfinite(v):
        return "#ffffff"
    return "#ffffff" if vmax > 0 and abs(v) / vmax > 0.55 else th.text


def _digits_that_fit(arr: np.ndarray, size: float, room: float) -> int | None:
    for digits in (3, 2):
        if all(text_width(_cell_text(v, digits), size) <= room for v in arr.ravel()):
            return digits
    return None


def _draw_grid(
    name: str,
    arr: np.ndarray,
    left: float,
    top: float,
    g: _Geometry,
    th: Theme,
    *,
    shown,
    hovers: dict,
    texts: dict,
    label: str,
) -> tuple[str, bool]:
    """One grid: a rect per cell (coloured where ``shown(r, s)``), its number where it fits, a target per cell.

    Returns the SVG and whether numbers were left out (too wide for the cells)."""
    c = g.c
    vmax = finite_max_abs(arr)
    room = c - th.size(5)
    digits = _digits_that_fit(arr, g.cell_font, room)
    left_out = False
    out = []
    for r in range(arr.shape[0]):
        for s_ in range(arr.shape[1]):
            x, y = left + s_ * c, top + r * c
            v = float(arr[r, s_])
            lit = shown(r, s_)
            fill = scale_color(v, vmax, th) if lit else th.node_fill
            out.append(rect(x, y, c, c, fill=fill, stroke=th.paper, width=th.size(1.2)))
            if lit:
                t = _cell_text(v, digits or 2)
                if digits is None and text_width(t, g.cell_font) > room:
                    left_out = True
                else:
                    out.append(text(x + c / 2, y + c / 2, t, size=g.cell_font, fill=_ink(v, vmax, th)))
            key = f"{name}{_idx(r, s_)}"
            hovers[key] = texts[key]
            out.append(
                target(
                    f'<rect x="{x:.2f}" y="{y:.2f}" width="{c:.2f}" height="{c:.2f}"',
                    key=key,
                    label=f"{label} {key}: {fmt(v) if lit else 'not computed yet'}",
                )
            )
    out.append(rect(left, top, arr.shape[1] * c, arr.shape[0] * c, fill="none", stroke=th.muted, width=th.size(1)))
    return "".join(out), left_out


def _outline(x: float, y: float, w: float, h: float, th: Theme, *, dash: bool = False, width: float = 3.0) -> str:
    a = f'x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="none" stroke="{th.accent}" '
    a += f'stroke-width="{th.size(width):.2f}"'
    if dash:
        a += f' stroke-dasharray="{th.size(6):.1f} {th.size(4):.1f}"'
    return f"<rect {a}/>"


def conv_diagram(
    lesson: ConvPass,
    *,
    stage: int | None = None,
    selected: str | None = None,
    theme: str = "light",
    lecture: bool = False,
) -> Scene:
    """The convolution of ``lesson`` forward and backward as an SVG scene, the whole backward pass or one step.

    Forward row:  x ∗ K + b = y (→ 2×2 max-pool → p).   Backward row, under each: ∂L/∂x, ∂L/∂K and ∂L/∂b,
    δ = ∂L/∂y (and ∂L/∂p). Cells keyed ``"x[u,v]"``, ``"K[i,j]"``, ``"b"``, ``"y[p,q]"``, ``"p[·,·]"``, ``"dx[·,·]"``,
    ``"dK[·,·]"``, ``"db"``, ``"d[·,·]"``, ``"dp[·,·]"``; ``scene.hovers`` holds each one's sum (``cell_text``).

    Parameters
    ----------
    lesson: a ``ConvPass`` (``explainer.course.patterns.conv_pass``).
    stage: None (every gradient at once) or a step of ``conv_stages(lesson)``: the gradients up to that step.
    selected: a cell key to outline (the one whose sum the app shows), or None.
    theme: "light" or "dark"; lecture: everything ×1.9 for a projector.
    """
    _check_lesson(lesson)
    stage = _check_stage(lesson, stage)
    one_of(theme, THEMES, "theme")
    if not isinstance(lecture, (bool, np.bool_)):
        raise ValueError(f"lecture must be True or False; got {lecture!r}")
    keys = _all_keys(lesson)
    if selected is not None and (not isinstance(selected, str) or selected not in keys):
        raise ValueError(f"selected must be a cell of the diagram such as 'dK[0,1]', or None; got {selected!r}")
    th = lecture_theme(theme, bool(lecture))
    g = _geometry(lesson, th)
    sub, sub_size, summary = _subtitle(lesson, th, g.width)
    if len(sub) > 2:  # a long target name at the lecture size: the grids move down, under the subtitle
        g = _geometry(lesson, th, extra_top=(len(sub) - 2) * 1.3 * sub_size)
        sub, sub_size, summary = _subtitle(lesson, th, g.width)
    gr = _grids(lesson)
    stages = conv_stages(lesson)
    st = stages[stage] if stage is not None else None
    kinds_reached = {s.kind for s in stages[: stage + 1]} if stage is not None else set(STAGE_KINDS)
    c = g.c
    kh, kw = gr.K.shape
    ho, wo = gr.y.shape
    texts = {k: cell_text(lesson, k) for k in keys}
    hovers: dict[str, str] = {}
    parts: list[Part] = []
    notes: list[str] = []

    # ---- title
    head = [text(th.size(16), th.size(22), "A convolution, forward and backward", size=th.size(th.title_size),
                 fill=th.text, anchor="start", weight="600")]  # fmt: skip
    for k, ln in enumerate(sub):
        head.append(
            text(th.size(16), th.size(46) + k * 1.3 * sub_size, ln, size=sub_size, fill=th.muted, anchor="start")
        )
    parts.append(Part("title", group("".join(head))))

    # ---- what each grid shows at this step
    def everything(r, s_):
        return True

    def nothing(r, s_):
        return False

    kernel_order = [(i, j) for i in range(kh) for j in range(kw)]
    input_order = [(u, v) for u in range(gr.x.shape[0]) for v in range(gr.x.shape[1])]

    def upto(order, kind):
        if st is None or (kind in kinds_reached and st.kind != kind):
            return everything
        if st.kind != kind:
            return nothing
        last = order.index(st.at)
        chosen = set(order[: last + 1])
        return lambda r, s_: (r, s_) in chosen

    show_dp = everything if st is None or "loss" in kinds_reached else nothing
    show_d = (
        everything if (st is None or ("pool" in kinds_reached if lesson.pool else "loss" in kinds_reached)) else nothing
    )
    show_dK = upto(kernel_order, "kernel")
    show_dx = upto(input_order, "input")
    show_db = st is None or "bias" in kinds_reached

    # ---- panel titles
    labels = []
    titles_f = {"x": "image x", "K": "kernel K", "y": "feature map y", "p": "pooled p"}
    titles_b = {"x": "∂L/∂x", "K": "∂L/∂K", "y": "δ = ∂L/∂y", "p": "∂L/∂p"}
    ty_f = g.top_f - 0.75 * g.font
    ring = max(kh, kw) - 1
    ty_b = g.top_b - 0.75 * g.font
    sliding = st is not None and st.kind == "input"
    for name, left in g.x0.items():
        labels.append(text(left, ty_f, titles_f[name], size=g.font, fill=th.text, anchor="start", weight="600"))
        yb = ty_b - ring * c if name == "y" and sliding else ty_b  # above the ring of zeros while it is drawn
        labels.append(text(left, yb, titles_b[name], size=g.font, fill=th.text, anchor="start", weight="600"))
    band = g.top_b - ring * c - 2.1 * g.font
    labels.append(line(th.size(16), band - 0.9 * g.font, g.width - th.size(16), band - 0.9 * g.font,
                       stroke=th.grid, width=th.size(1)))  # fmt: skip
    labels.append(text(th.size(16), band, "backward pass: each gradient under the array it belongs to",
                       size=g.small, fill=th.muted, anchor="start"))  # fmt: skip
    # operators between the forward panels
    ops = [("x", "K", "∗"), ("K", "y", "=")] + ([("y", "p", "max")] if lesson.pool else [])
    widths = {"x": gr.x.shape[1], "K": kw, "y": wo, "p": 0 if gr.p is None else gr.p.shape[1]}
    for a, b_, sym in ops:
        xa = g.x0[a] + widths[a] * c
        xm = (xa + g.x0[b_]) / 2
        ym = g.top_f + min(gr.x.shape[0], kh) * c / 2 if a == "x" else g.top_f + kh * c / 2
        if sym == "max":
            ym = g.top_f + ho * c / 2
            labels.append(text(xm, ym - 0.7 * g.font, "max-pool", size=g.small, fill=th.muted))
            labels.append(text(xm, ym + 0.7 * g.font, "2×2 →", size=g.small, fill=th.muted))
        else:
            labels.append(text(xm, ym, sym, size=th.size(th.font_size * 1.6), fill=th.muted))
    parts.append(Part("labels", group("".join(labels))))

    # ---- forward grids
    left_out = []
    svg, lo = _draw_grid(
        "x", gr.x, g.x0["x"], g.top_f, g, th, shown=everything, hovers=hovers, texts=texts, label="image"
    )
    parts.append(Part("grid:x", group(svg)))
    svg, lo2 = _draw_grid(
        "K", gr.K, g.x0["K"], g.top_f, g, th, shown=everything, hovers=hovers, texts=texts, label="kernel"
    )
    parts.append(Part("grid:K", group(svg)))
    svg, lo3 = _draw_grid(
        "y", gr.y, g.x0["y"], g.top_f, g, th, shown=everything, hovers=hovers, texts=texts, label="feature map"
    )
    parts.append(Part("grid:y", group(svg)))
    left_out += [lo, lo2, lo3]
    if gr.p is not None:
        svg, lo4 = _draw_grid(
            "p", gr.p, g.x0["p"], g.top_f, g, th, shown=everything, hovers=hovers, texts=texts, label="pooled"
        )
        parts.append(Part("grid:p", group(svg)))
        left_out.append(lo4)
    parts.append(
        Part("bias", group(_bias_cell("b", gr.b, g.x0["K"], g.top_f + (kh + 0.6) * c, g, th, True, hovers, texts)))
    )

    # ---- backward grids
    svg, lo = _draw_grid(
        "dx", gr.dx, g.x0["x"], g.top_b, g, th, shown=show_dx, hovers=hovers, texts=texts, label="gradient"
    )
    parts.append(Part("grid:dx", group(svg)))
    svg, lo2 = _draw_grid(
        "dK", gr.dK, g.x0["K"], g.top_b, g, th, shown=show_dK, hovers=hovers, texts=texts, label="gradient"
    )
    parts.append(Part("grid:dK", group(svg)))
    left_out += [lo, lo2]
    # the ring of zeros around δ, drawn while the flipped kernel slides over it
    ring_svg = []
    if st is not None and st.kind == "input":
        for a in range(-(kh - 1), ho + kh - 1):
            for b_ in range(-(kw - 1), wo + kw - 1):
                if 0 <= a < ho and 0 <= b_ < wo:
                    continue
                x, y = g.x0["y"] + b_ * c, g.top_b + a * c
                ring_svg.append(rect(x + th.size(1), y + th.size(1), c - th.size(2), c - th.size(2), fill="none",
                                     stroke=th.muted, width=th.size(0.8), rx=th.size(2)))  # fmt: skip
                ring_svg.append(text(x + c / 2, y + c / 2, "0", size=g.cell_font, fill=th.muted))
    parts.append(Part("ring", group("".join(ring_svg))))
    svg, lo3 = _draw_grid("d", gr.d, g.x0["y"], g.top_b, g, th, shown=show_d, hovers=hovers, texts=texts, label="δ")
    parts.append(Part("grid:d", group(svg)))
    left_out.append(lo3)
    if gr.dp is not None:
        svg, lo4 = _draw_grid(
            "dp", gr.dp, g.x0["p"], g.top_b, g, th, shown=show_dp, hovers=hovers, texts=texts, label="gradient"
        )
        parts.append(Part("grid:dp", group(svg)))
        left_out.append(lo4)
    parts.append(
        Part(
            "grad_bias",
            group(_bias_cell("db", gr.db, g.x0["K"], g.top_b + (kh + 0.6) * c, g, th, show_db, hovers, texts)),
        )
    )

    # ---- what this step reads and writes, outlined
    hl = []
    if st is not None:
        if st.kind == "loss":
            name = "p" if lesson.pool else "y"
            arr = gr.dp if lesson.pool else gr.d
            hl.append(_outline(g.x0[name], g.top_b, arr.shape[1] * c, arr.shape[0] * c, th))
        elif st.kind == "pool":
            hp, wp = gr.p.shape
            for pr in range(hp):
                for pc in range(wp):
                    _, (wr, ws) = _window(gr, (pr, pc))
                    hl.append(_outline(g.x0["y"] + 2 * pc * c, g.top_f + 2 * pr * c, 2 * c, 2 * c, th, width=1.6))
                    hl.append(_outline(g.x0["y"] + ws * c + th.size(3), g.top_f + wr * c + th.size(3),
                                       c - th.size(6), c - th.size(6), th, width=2.4))  # fmt: skip
                    hl.append(_outline(g.x0["y"] + ws * c + th.size(3), g.top_b + wr * c + th.size(3),
                                       c - th.size(6), c - th.size(6), th, width=2.4))  # fmt: skip
        elif st.kind == "kernel":
            i, j = st.at
            hl.append(_outline(g.x0["x"] + j * c, g.top_f + i * c, wo * c, ho * c, th))
            hl.append(_outline(g.x0["K"] + j * c, g.top_f + i * c, c, c, th, width=2.4))
            hl.append(_outline(g.x0["y"], g.top_b, wo * c, ho * c, th, dash=True))
            hl.append(_outline(g.x0["K"] + j * c, g.top_b + i * c, c, c, th))
        elif st.kind == "bias":
            hl.append(_outline(g.x0["y"], g.top_b, wo * c, ho * c, th, dash=True))
            hl.append(_outline(g.x0["K"], g.top_b + (kh + 0.6) * c, c, c, th))
        else:
            u, v = st.at
            hl.append(_outline(g.x0["y"] + (v - kw + 1) * c, g.top_b + (u - kh + 1) * c, kw * c, kh * c, th))
            hl.append(_outline(g.x0["x"] + v * c, g.top_b + u * c, c, c, th))
            # the kernel is read flipped: mark K's corner that lands on the window's top left
            hl.append(_outline(g.x0["K"] + (kw - 1) * c, g.top_f + (kh - 1) * c, c, c, th, dash=True, width=2.0))
    if selected is not None:
        name, at = _parse_key(lesson, selected)
        hl.append(_cell_box(name, at, g, th, lesson))
    parts.append(Part("highlight", group("".join(hl))))

    # ---- caption
    cap_size = th.size(th.font_size * 0.95)
    caption = wrap(stage_caption(lesson, stage), cap_size, g.width - th.size(32))
    if any(left_out):
        notes.append("Some numbers are too wide for their cells: hover, or Tab to a cell, for each one.")
    y0 = g.height_grids + th.size(22)
    foot = [text(th.size(16), y0 + k * 1.35 * cap_size, ln, size=cap_size, fill=th.text, anchor="start")
            for k, ln in enumerate(caption)]  # fmt: skip
    for k, note in enumerate(notes):
        foot.append(text(th.size(16), y0 + (len(caption) + k) * 1.35 * cap_size, note, size=cap_size * 0.9,
                         fill=th.muted, anchor="start"))  # fmt: skip
    parts.append(Part("caption", group("".join(foot))))
    height = y0 + (len(caption) + len(notes)) * 1.35 * cap_size + th.size(10)
    title = f"A convolution, forward and backward. {summary}"
    return Scene.in_theme(
        th,
        width=g.width,
        height=height,
        title=title,
        parts=parts,
        font_size=g.font,
        hovers=hovers,
    )


def _bias_cell(
    key: str, value: float, left: float, top: float, g: _Geometry, th: Theme, lit: bool, hovers, texts
) -> str:
    """The bias (or its gradient) as one cell under the kernel, labelled on its right."""
    c = g.c
    vmax = abs(value) if value else 1.0
    fill = scale_color(value, vmax, th) if lit else th.node_fill
    out = [rect(left, top, c, c, fill=fill, stroke=th.muted, width=th.size(1))]
    if lit:
        t = _cell_text(value, 3)
        if text_width(t, g.cell_font) > c - th.size(5):
            t = _cell_text(value, 2)
        if text_width(t, g.cell_font) <= c - th.size(5):
            out.append(text(left + c / 2, top + c / 2, t, size=g.cell_font, fill=_ink(value, vmax, th)))
    label = "bias b" if key == "b" else "∂L/∂b"
    out.append(text(left + c + th.size(6), top + c / 2, label, size=g.small, fill=th.text, anchor="start"))
    hovers[key] = texts[key]
    out.append(target(f'<rect x="{left:.2f}" y="{top:.2f}" width="{c:.2f}" height="{c:.2f}"', key=key,
                      label=f"{label}: {fmt(value) if lit else 'not computed yet'}"))  # fmt: skip
    return "".join(out)


def _cell_box(name: str, at, g: _Geometry, th: Theme, lesson: ConvPass) -> str:
    """The outline of the selected cell (a dashed ring just outside it)."""
    kh = lesson.kernel.shape[0]
    c = g.c
    if at is None:
        top = (g.top_f if name == "b" else g.top_b) + (kh + 0.6) * c
        left = g.x0["K"]
    else:
        panel = {"x": "x", "dx": "x", "K": "K", "dK": "K", "y": "y", "d": "y", "p": "p", "dp": "p"}[name]
        top = (g.top_f if name in ("x", "K", "y", "p") else g.top_b) + at[0] * c
        left = g.x0[panel] + at[1] * c
    o = th.size(3)
    return _outline(left - o, top - o, c + 2 * o, c + 2 * o, th, dash=True, width=2.2)


# --------------------------------------------------------------------------------------------- the step panel
def step_panel(lesson: ConvPass, stage: int | None, selected: str | None = None) -> str:
    """HTML for the app's side panel: the step's caption, the sum it computes with every product, the selected
    cell's (when another), and the loss."""
    _check_lesson(lesson)
    stage = _check_stage(lesson, stage)
    parts = [f"<p><b>{html.escape(stage_caption(lesson, stage))}</b></p>"]
    key = stage_key(lesson, stage)
    if key is not None:
        parts.append(f"<p>{cell_text(lesson, key, full=True)}</p>")
    if selected is not None and selected != key:
        parts.append(
            f"<p><b>The cell you chose, {html.escape(selected)}:</b><br>{cell_text(lesson, selected, full=True)}</p>"
        )
    out = "p" if lesson.pool else "y"
    loss = "½ Σ (" + out + " − T)²" if lesson.loss == "target" else "Σ " + out
    parts.append(f"<p>L = {html.escape(loss)} = {html.escape(fmt_plain(lesson.loss_value))}</p>")
    return "".join(parts)


__all__ = [
    "CONV_LOSSES",
    "ConvStage",
    "LECTURE_SCALE",
    "WIDTH",
    "cell_keys",
    "cell_text",
    "conv_diagram",
    "conv_stages",
    "next_part",
    "stage_caption",
    "stage_key",
    "step_panel",
]
