"""A recurrent network unrolled over T steps as an SVG scene, backpropagation through time step by step, and the
norm of ∂L/∂hₜ per step as a figure.

``rnn_diagram(lesson, stage=...)`` draws an ``RNNPass`` (``explainer.course.sequences.rnn_pass``): x_t below,
h_t in a row (a column of n_h cells), y_t above, W_hh links from h_{t−1} to h_t. The backward pass in steps
(``rnn_stages``): ∂L/∂h_T first, then one step back per click to ∂L/∂h_1, each lit with its two roads,

    ∂L/∂h_t = g_t W_hyᵀ  (from y_t)  +  ∂L/∂a_{t+1} W_hhᵀ  (from h_{t+1}),

its cells coloured by ∂L/∂h_t and its norm written under it (with its clipping, when the record clipped it);
the last step sums every weight's gradient over the steps. ``norm_figure`` is ‖∂L/∂h_t‖ for t = 1..T on a log
axis, the steps reached so far in the theme's accent, the clipped ones marked.

Every number is the record's (``explainer.rnn.RNNRecord``: both roads, the norms before clipping, the clipped
steps, every gradient), only formatted here.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, replace

import numpy as np

from .._validate import one_of
from ..course.sequences import TASKS, RNNPass
from .diagram import Part, Scene, circle, group, line, rect, target, text, text_width, wrap
from .style import THEMES, Theme, figure_spec, finite_max_abs, fmt, fmt_plain, get_theme, scale_color

WIDTH = 1000.0  # px the scene is laid out for (× 1.7 in lecture mode)
# Lecture mode: the layout ×1.7 (it fits the ~1,740 px of a notebook's output area on a 1920 px screen, so it is
# drawn at its own size) and the fonts a little more, so that the smallest text is 24 px for the back row.
LECTURE_SCALE = 1.7
LECTURE_FONT = 16.7  # the theme's base font size in lecture mode (13 otherwise); the smallest text is 0.85 of it
MAX_DRAWN_STEPS = 12  # T the diagram draws readably at 1,000 px
MIN_DX, MAX_DX = 64.0, 130.0
_SUB = str.maketrans("0123456789+−-", "₀₁₂₃₄₅₆₇₈₉₊₋₋")


def _sub(t) -> str:
    return str(t).translate(_SUB)


def lecture_theme(theme: str, lecture: bool) -> Theme:
    """The theme a scene is drawn in: ``theme``, or in lecture mode ×1.7 with a larger base font."""
    base = get_theme(theme)
    return replace(base, scale=LECTURE_SCALE, font_size=LECTURE_FONT) if lecture else base


# --------------------------------------------------------------------------------------------- the steps
@dataclass(frozen=True)
class RNNStage:
    """One step of backpropagation through time: ∂L/∂h_t at ``t`` (T down to 1), or the sums (``t`` None)."""

    t: int | None


def rnn_stages(lesson: RNNPass) -> tuple[RNNStage, ...]:
    """∂L/∂h_T, ∂L/∂h_{T−1}, …, ∂L/∂h_1, then the weight gradients summed over the steps: T + 1 steps."""
    _check_lesson(lesson)
    T = lesson.record.n_steps
    return tuple(RNNStage(t) for t in range(T, 0, -1)) + (RNNStage(None),)


def _check_lesson(lesson) -> None:
    if not isinstance(lesson, RNNPass):
        raise ValueError(
            f"lesson must be an RNNPass from explainer.course.sequences.rnn_pass; got {type(lesson).__name__}"
        )
    T = lesson.record.n_steps
    if T > MAX_DRAWN_STEPS:
        raise ValueError(f"lesson must have at most {MAX_DRAWN_STEPS} steps to be drawn readably; it has T = {T}")


def _check_stage(lesson: RNNPass, stage) -> int | None:
    if stage is None:
        return None
    n = lesson.record.n_steps + 1
    if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not 0 <= stage < n:
        raise ValueError(f"stage must be an integer from 0 to {n - 1} (or None for the whole pass); got {stage!r}")
    return int(stage)


def _check_look(theme, lecture) -> None:
    one_of(theme, THEMES, "theme")
    if not isinstance(lecture, (bool, np.bool_)):
        raise ValueError(f"lecture must be True or False; got {lecture!r}")


def lit_steps(lesson: RNNPass, stage: int | None) -> tuple[set[int], int | None]:
    """The steps t whose ∂L/∂h_t is known at ``stage``, and the one computed at that step (None: none or all)."""
    T = lesson.record.n_steps
    if stage is None or stage == T:
        return set(range(1, T + 1)), None
    t = T - stage
    return set(range(t, T + 1)), t


# --------------------------------------------------------------------------------------------- numbers
def _vec(v) -> str:
    return "[" + ", ".join(fmt(float(a), 3) for a in np.ravel(v)) + "]"


def _norm_text(v: float) -> str:
    return fmt_plain(float(v), 2)


def _mat(m) -> str:
    return "[" + "; ".join(", ".join(fmt(float(a), 3) for a in r) for r in np.atleast_2d(m)) + "]"


def node_text(lesson: RNNPass, key: str) -> str:
    """The hover text (HTML, lines joined by <br>) of ``"x:t"``, ``"h:t"`` (t = 0..T), ``"y:t"`` or ``"link:t"``
    (the W_hh link from h_{t−1} to h_t)."""
    _check_lesson(lesson)
    kind, t = _parse_key(lesson, key)
    r = lesson.record
    s = lesson.sequence
    i = t - 1  # record index of step t
    lines: list[str] = []
    if kind == "x":
        lines = [f"x{_sub(t)} = {fmt(r.xs[i, 0, 0])}  (the input at step {t})",
                 f"∂L/∂x{_sub(t)} = ∂L/∂a{_sub(t)} W_xhᵀ = {fmt(r.grad_inputs[i, 0, 0])}  (recorded)"]  # fmt: skip
    elif kind == "y":
        lines = [f"y{_sub(t)} = h{_sub(t)} W_hy + b_y = {fmt(r.outputs[i, 0, 0])}"]
        if s.counted[i]:
            lines.append(f"target {fmt(s.targets[i, 0, 0])}: the loss counts ½ (y{_sub(t)} − target)²")
            lines.append(
                f"g{_sub(t)} = ∂L/∂y{_sub(t)} = y{_sub(t)} − target = {fmt(r.grad_outputs[i, 0, 0])}  (given to BPTT)"
            )
        else:
            lines.append(f"not counted by the loss: g{_sub(t)} = ∂L/∂y{_sub(t)} = 0")
    elif kind == "h" and t == 0:
        lines = ["h₀ = 0: the state before the first step", f"∂L/∂h₀ = ∂L/∂a₁ W_hhᵀ = {_vec(r.grad_h0[0])}  (recorded)"]
    elif kind == "h":
        lines = [
            f"h{_sub(t)} = tanh(x{_sub(t)} W_xh + h{_sub(t - 1)} W_hh + b_h) = {_vec(r.hidden[i, 0])}",
            f"∂L/∂h{_sub(t)} = {_vec(r.grad_hidden[i, 0])}, norm {_norm_text(np.linalg.norm(r.grad_hidden[i, 0]))}",
            f"  from y{_sub(t)}:   g{_sub(t)} W_hyᵀ = {_vec(r.grad_hidden_from_output[i, 0])}",
            f"  from h{_sub(t + 1)}: ∂L/∂a{_sub(t + 1)} W_hhᵀ = {_vec(r.grad_hidden_from_next[i, 0])}"
            + ("  (0: the last step)" if t == r.n_steps else ""),
        ]
        if r.clipped[i]:
            lines.append(
                f"  clipped: the sum's norm {_norm_text(r.grad_hidden_norms[i])} > {_norm_text(r.clip)}, "
                f"scaled down to {_norm_text(r.clip)}"
            )
        lines.append(f"∂L/∂a{_sub(t)} = (1 − h{_sub(t)}²) ⊙ ∂L/∂h{_sub(t)} = {_vec(r.grad_preactivations[i, 0])}")
    else:  # the W_hh link from h_{t−1} to h_t
        lines = [
            f"W_hh carries h{_sub(t - 1)} into a{_sub(t)} (the same W_hh at every step)",
            f"back: ∂L/∂a{_sub(t)} W_hhᵀ = {_vec(_from_next_into(lesson, t - 1))} reaches h{_sub(t - 1)}",
            f"‖W_hh v‖ = {fmt_plain(lesson.weights.scale, 4)} ‖v‖ for every v (W_hh = s·Q, Q orthogonal)",
        ]
    return "<br>".join(html.escape(x, quote=False) for x in lines)


def _from_next_into(lesson: RNNPass, t: int) -> np.ndarray:
    """∂L/∂a_{t+1} W_hhᵀ, the road into h_t from h_{t+1} (t = 0: ∂L/∂h₀)."""
    r = lesson.record
    return r.grad_h0[0] if t == 0 else r.grad_hidden_from_next[t - 1, 0]


def _parse_key(lesson: RNNPass, key) -> tuple[str, int]:
    T = lesson.record.n_steps
    kind, _, t = key.partition(":") if isinstance(key, str) else ("", "", "")
    ok = kind in ("x", "y", "h", "link") and t.isdigit()
    if ok:
        t = int(t)
        ok = (0 <= t <= T) if kind == "h" else (1 <= t <= T)
    if not ok:
        raise ValueError(f"key must be one of x:1…x:{T}, h:0…h:{T}, y:1…y:{T}, link:1…link:{T}; got {key!r}")
    return kind, t


def node_keys(lesson: RNNPass) -> list[str]:
    """Every target key of the lesson's diagram, in drawing order."""
    _check_lesson(lesson)
    T = lesson.record.n_steps
    return (
        ["h:0"]
        + [f"link:{t}" for t in range(1, T + 1)]
        + [f"{k}:{t}" for t in range(1, T + 1) for k in ("x", "h", "y")]
    )


# --------------------------------------------------------------------------------------------- captions
def stage_caption(lesson: RNNPass, stage: int | None) -> str:
    """What step ``stage`` of BPTT does, in a sentence or two (None: the whole pass)."""
    _check_lesson(lesson)
    stage = _check_stage(lesson, stage)
    r = lesson.record
    T = r.n_steps
    if stage is None:
        return (
            f"Every ∂L/∂hₜ at once, t = {T} back to 1. backward step ▶ walks back through time one step per click: "
            "each hₜ gets a share from its own output yₜ and one from the step after it, hₜ₊₁."
        )
    head = f"Step {stage + 1} of {T + 1}: "
    if stage == T:
        return head + (
            "the same W_xh, W_hh and W_hy are used at every step, so each one's gradient is a sum over the steps: "
            "∂L/∂W_hh = Σₜ hₜ₋₁ᵀ ∂L/∂aₜ, ∂L/∂W_xh = Σₜ xₜᵀ ∂L/∂aₜ, ∂L/∂W_hy = Σₜ hₜᵀ gₜ."
        )
    t = T - stage
    i = t - 1
    norm = _norm_text(r.grad_hidden_norms[i])
    if t == T:
        road = f"∂L/∂h{_sub(t)} comes from y{_sub(t)} alone (no step after it): g{_sub(t)} W_hyᵀ, norm {norm}."
    else:
        a = _norm_text(np.linalg.norm(r.grad_hidden_from_output[i, 0]))
        b = _norm_text(np.linalg.norm(r.grad_hidden_from_next[i, 0]))
        road = (
            f"∂L/∂h{_sub(t)} = (from y{_sub(t)}, norm {a}) + (from h{_sub(t + 1)} through W_hhᵀ and tanh′, "
            f"norm {b}): norm {norm}."
        )
    if r.clipped[i]:
        road += f" Above the cap {_norm_text(r.clip)}: clipped to {_norm_text(r.clip)} before it flows on."
    return head + road


def step_panel(lesson: RNNPass, stage: int | None, selected: str | None = None) -> str:
    """HTML for the app's side panel: the step's caption, its vectors, the selected node's (when another), the loss."""
    _check_lesson(lesson)
    stage = _check_stage(lesson, stage)
    r = lesson.record
    T = r.n_steps
    out = [f"<p><b>{html.escape(stage_caption(lesson, stage))}</b></p>"]
    key = f"h:{T - stage}" if stage is not None and stage < T else None
    if key is not None:
        out.append(f"<p>{node_text(lesson, key)}</p>")
    elif stage == T:
        sums = [
            f"∂L/∂W_hh = {_mat(r.grad_W_hh)}",
            f"∂L/∂W_xh = {_mat(r.grad_W_xh)}",
            f"∂L/∂W_hy = {_mat(r.grad_W_hy.T)}ᵀ",
            f"∂L/∂b_h = {_vec(r.grad_b_h)},  ∂L/∂b_y = {_vec(r.grad_b_y)}",
        ]
        out.append("<p>" + "<br>".join(html.escape(x) for x in sums) + "</p>")
    if selected is not None and selected != key:
        name = html.escape(selected)
        out.append(f"<p><b>What you chose, {name}:</b><br>{node_text(lesson, selected)}</p>")
    out.append(f"<p>L = {html.escape(fmt_plain(lesson.loss_value, 4))}</p>")
    return "".join(out)


# --------------------------------------------------------------------------------------------- the diagram
def rnn_diagram(
    lesson: RNNPass,
    *,
    stage: int | None = None,
    selected: str | None = None,
    theme: str = "light",
    lecture: bool = False,
) -> Scene:
    """The network of ``lesson`` unrolled over its T steps (1 to 12) as an SVG scene, with BPTT up to ``stage``.

    x_t (circles, their values under them), h_t (n_h cells, coloured by ∂L/∂h_t once the backward pass has
    reached it, its norm under it), y_t (circles, coloured by g_t = ∂L/∂y_t), W_hh links h_{t−1} → h_t.
    Targets ``"x:t"``, ``"h:t"`` (t = 0..T), ``"y:t"``, ``"link:t"``; ``scene.hovers`` holds each one's numbers.

    Parameters
    ----------
    lesson: an ``RNNPass`` (``explainer.course.sequences.rnn_pass``), T ≤ 12.
    stage: None (the whole pass) or a step of ``rnn_stages(lesson)``: 0 lights ∂L/∂h_T, T − 1 lights ∂L/∂h_1,
        T the sums over the steps.
    selected: a target key to outline, or None.
    theme: "light" or "dark"; lecture: everything ×1.9 for a projector.
    """
    _check_lesson(lesson)
    stage = _check_stage(lesson, stage)
    _check_look(theme, lecture)
    keys = node_keys(lesson)
    if selected is not None and selected not in keys:
        raise ValueError(f"selected must be one of the diagram's targets such as 'h:3', or None; got {selected!r}")
    th = lecture_theme(theme, bool(lecture))
    r, seq = lesson.record, lesson.sequence
    T, n_h = r.n_steps, r.hidden.shape[2]
    lit, current = lit_steps(lesson, stage)
    sums = stage is not None and stage == T
    s = th.scale
    font, small = th.size(th.font_size), th.size(th.font_size * 0.85)
    # h₀ sits right of the row names, with room for half its norm label (the widest row name is ‖∂L/∂hₜ‖).
    h0_label = text_width(_norm_text(np.linalg.norm(r.grad_h0[0])), small)
    left = th.size(16) + text_width("‖∂L/∂hₜ‖", small) + th.size(10) + max(h0_label / 2, th.size(14))
    right = th.size(30)
    dx = float(np.clip((WIDTH * s - left - right) / (T + 0.6), MIN_DX * s, MAX_DX * s))
    cw = min(th.size(24), 0.34 * dx)  # an h cell's side
    node_h = n_h * cw
    r_xy = th.size(13)
    y_title = th.size(22)
    title = f"Backpropagation through time: a tanh RNN unrolled over T = {T} step{'s' if T != 1 else ''}"
    # A short sequence is narrow: the title sets the width then (and the caption wraps to it).
    width = max(left + T * dx + dx * 0.6 + right, text_width(title, th.size(th.title_size)) + th.size(40))
    sub = (
        f"task: {TASKS[seq.task]};  L = {fmt_plain(lesson.loss_value, 4)};  "
        f"W_hh = s·Q with s = {fmt_plain(lesson.weights.scale, 4)}"
        + (f";  clipping ‖∂L/∂hₜ‖ at {_norm_text(r.clip)}" if r.clip is not None else ";  no clipping")
    )
    sub_lines = wrap(sub, small, width - th.size(32))[:2]
    # Under the subtitle: a target's line and a value's line above each yₜ, then yₜ, hₜ, the norms and xₜ.
    y_y = y_title + th.size(24) + (len(sub_lines) - 1) * 1.3 * small + th.size(28) + 2.1 * small + r_xy
    y_h = y_y + th.size(92)  # the top of the h cells
    y_norm = y_h + node_h + 0.95 * small
    y_x = y_norm + th.size(58)
    hovers = {k: node_text(lesson, k) for k in keys}
    vmax_g = finite_max_abs(*[r.grad_hidden[t - 1] for t in lit]) if lit else 1.0
    vmax_y = finite_max_abs(r.grad_outputs)
    vmax_x = finite_max_abs(r.xs)

    def cx(t: int) -> float:
        return left + t * dx

    parts: list[Part] = []
    head = [text(th.size(16), y_title, title, size=th.size(th.title_size), fill=th.text, anchor="start", weight="600")]
    for k, ln in enumerate(sub_lines):
        head.append(
            text(th.size(16), y_title + th.size(24) + k * 1.3 * small, ln, size=small, fill=th.muted, anchor="start")
        )
    parts.append(Part("title", group("".join(head))))

    # ---- row names at the left
    names = [
        (y_y, "yₜ"),
        (y_h + node_h / 2, "hₜ"),
        (y_norm, "‖∂L/∂hₜ‖"),
        (y_x, "xₜ"),
    ]
    parts.append(
        Part(
            "rows",
            group("".join(text(th.size(14), yy, n, size=small, fill=th.muted, anchor="start") for yy, n in names)),
        )
    )

    # ---- links: W_hh between h's, W_xh from x, W_hy to y (the skeleton), then the lit roads of the current step
    skel = []
    mid = y_h + node_h / 2
    for t in range(1, T + 1):
        skel.append(line(cx(t - 1) + cw / 2, mid, cx(t) - cw / 2, mid, stroke=th.muted, width=th.size(1.4)))
        skel.append(line(cx(t), y_x - r_xy, cx(t), y_h + node_h, stroke=th.muted, width=th.size(1.2), opacity=0.7))
        skel.append(line(cx(t), y_y + r_xy, cx(t), y_h, stroke=th.muted, width=th.size(1.2), opacity=0.7))
    parts.append(Part("skeleton", group("".join(skel))))

    roads = []
    for t in sorted(lit):
        i = t - 1
        if t < T and (t + 1) in lit:
            v = float(np.linalg.norm(r.grad_hidden_from_next[i, 0]))
            w = _road_width(v, r, th)
            roads.append(line(cx(t + 1) - cw / 2, mid, cx(t) + cw / 2, mid, stroke=th.accent, width=w, opacity=0.75))
        v = float(np.linalg.norm(r.grad_hidden_from_output[i, 0]))
        if v > 0:
            roads.append(
                line(cx(t), y_y + r_xy, cx(t), y_h, stroke=th.accent, width=_road_width(v, r, th), opacity=0.75)
            )
    if sums or stage is None:
        v = float(np.linalg.norm(r.grad_h0[0]))
        roads.append(
            line(cx(1) - cw / 2, mid, cx(0) + cw / 2, mid, stroke=th.accent, width=_road_width(v, r, th), opacity=0.75)
        )
    link_targets = []
    for t in range(1, T + 1):
        x0, x1 = cx(t - 1) + cw / 2, cx(t) - cw / 2
        link_targets.append(
            target(
                f'<rect x="{x0:.2f}" y="{mid - th.size(8):.2f}" width="{x1 - x0:.2f}" height="{th.size(16):.2f}"',
                key=f"link:{t}",
                label=f"W_hh link from h{_sub(t - 1)} to h{_sub(t)}",
            )
        )
    parts.append(Part("roads", group("".join(roads) + "".join(link_targets))))

    # ---- the road labels of the step just computed
    labels = []
    if current is not None:
        # Both roads into h_t, written beside its vertical road: on its right in the left half, else on its left.
        i = current - 1
        a = float(np.linalg.norm(r.grad_hidden_from_output[i, 0]))
        words = [f"from y{_sub(current)}: {_norm_text(a)}"]
        if current < T:
            words.append(
                f"from h{_sub(current + 1)}: {_norm_text(float(np.linalg.norm(r.grad_hidden_from_next[i, 0])))}"
            )
        right_side = current <= T / 2
        lx = cx(current) + (th.size(7) if right_side else -th.size(7))
        ly = (y_y + r_xy + y_h) / 2 - (len(words) - 1) * 0.65 * small
        for k, w in enumerate(words):
            labels.append(text(lx, ly + k * 1.3 * small, w, size=small, fill=th.accent,
                               anchor="start" if right_side else "end", halo=th.paper, weight="600"))  # fmt: skip
    parts.append(Part("road_labels", group("".join(labels))))

    # ---- y nodes (and the targets the loss counts)
    out = []
    for t in range(1, T + 1):
        i = t - 1
        g = float(r.grad_outputs[i, 0, 0])
        reached = t in lit
        fill = scale_color(g, vmax_y, th) if reached and seq.counted[i] else th.node_fill
        out.append(circle(cx(t), y_y, r_xy, fill=fill, stroke=th.muted, width=th.size(1.2)))
        out.append(text(cx(t), y_y - r_xy - 0.8 * small, fmt(float(r.outputs[i, 0, 0]), 2), size=small, fill=th.text))
        if seq.counted[i]:
            out.append(
                text(
                    cx(t),
                    y_y - r_xy - 2.1 * small,
                    f"→ {fmt(float(seq.targets[i, 0, 0]), 2)}",
                    size=small,
                    fill=th.muted,
                )
            )
        out.append(target(f'<circle cx="{cx(t):.2f}" cy="{y_y:.2f}" r="{r_xy:.2f}"', key=f"y:{t}",
                          label=f"output y{_sub(t)} = {fmt(float(r.outputs[i, 0, 0]))}"))  # fmt: skip
    parts.append(Part("outputs", group("".join(out))))

    # ---- h nodes: n_h cells each, coloured by ∂L/∂h_t once reached; the norm under them
    out = []
    for t in range(0, T + 1):
        x = cx(t) - cw / 2
        reached = (t in lit) or (t == 0 and (sums or stage is None))
        grad = r.grad_h0[0] if t == 0 else r.grad_hidden[t - 1, 0]
        for k in range(n_h):
            fill = scale_color(float(grad[k]), vmax_g, th) if reached else th.node_fill
            out.append(rect(x, y_h + k * cw, cw, cw, fill=fill, stroke=th.paper, width=th.size(1)))
        is_current = t == current
        clipped = t >= 1 and bool(r.clipped[t - 1])
        stroke = th.error if clipped and reached else (th.accent if is_current else th.muted)
        out.append(
            rect(
                x,
                y_h,
                cw,
                node_h,
                fill="none",
                stroke=stroke,
                width=th.size(3 if is_current or clipped and reached else 1.2),
            )
        )
        out.append(text(cx(t), y_h - 0.75 * small, f"h{_sub(t)}", size=small, fill=th.text, halo=th.paper))
        if reached and t >= 1:
            label = _norm_text(r.grad_hidden_norms[t - 1])
            if clipped:
                label += f"→{_norm_text(r.clip)}"
            out.append(text(cx(t), y_norm, label, size=small, fill=th.error if clipped else th.text,
                            weight="600" if is_current else None))  # fmt: skip
            if clipped:
                out.append(text(cx(t), y_norm + 1.25 * small, "clipped", size=small, fill=th.error))
        elif reached:
            out.append(text(cx(t), y_norm, _norm_text(np.linalg.norm(grad)), size=small, fill=th.text))
        state = "not reached yet" if not reached else f"norm of ∂L/∂h {_norm_text(np.linalg.norm(grad))}"
        out.append(target(f'<rect x="{x:.2f}" y="{y_h:.2f}" width="{cw:.2f}" height="{node_h:.2f}"', key=f"h:{t}",
                          label=f"hidden state h{_sub(t)}, {state}"))  # fmt: skip
    parts.append(Part("hidden", group("".join(out))))

    # ---- x nodes with their values
    out = []
    for t in range(1, T + 1):
        v = float(r.xs[t - 1, 0, 0])
        out.append(circle(cx(t), y_x, r_xy, fill=scale_color(v, vmax_x, th), stroke=th.muted, width=th.size(1.2)))
        out.append(text(cx(t), y_x + r_xy + 0.85 * small, _short(v), size=small, fill=th.text))
        out.append(text(cx(t), y_x + r_xy + 2.1 * small, f"t={t}", size=small, fill=th.muted))
        out.append(target(f'<circle cx="{cx(t):.2f}" cy="{y_x:.2f}" r="{r_xy:.2f}"', key=f"x:{t}",
                          label=f"input x{_sub(t)} = {fmt(v)}"))  # fmt: skip
    parts.append(Part("inputs", group("".join(out))))

    # ---- selection
    sel = ""
    if selected is not None:
        kind, t = _parse_key(lesson, selected)
        o = th.size(4)
        if kind == "h":
            sel = _dashed(cx(t) - cw / 2 - o, y_h - o, cw + 2 * o, node_h + 2 * o, th)
        elif kind in ("x", "y"):
            yy = y_x if kind == "x" else y_y
            sel = _dashed(cx(t) - r_xy - o, yy - r_xy - o, 2 * (r_xy + o), 2 * (r_xy + o), th)
        else:
            sel = _dashed(cx(t - 1) + cw / 2, mid - th.size(8), dx - cw, th.size(16), th)
    parts.append(Part("selection", group(sel)))

    # ---- caption
    cap = wrap(stage_caption(lesson, stage), th.size(th.font_size * 0.95), width - th.size(32))
    y0 = y_x + r_xy + 3.4 * small
    cap_size = th.size(th.font_size * 0.95)
    foot = [text(th.size(16), y0 + k * 1.35 * cap_size, ln, size=cap_size, fill=th.text, anchor="start")
            for k, ln in enumerate(cap)]  # fmt: skip
    parts.append(Part("caption", group("".join(foot))))
    height = y0 + len(cap) * 1.35 * cap_size + th.size(8)
    return Scene.in_theme(
        th,
        width=width,
        height=height,
        title=f"{title}. {sub}",
        parts=parts,
        font_size=font,
        hovers=hovers,
    )


def _short(v: float) -> str:
    """An input's value under its node: 2 significant digits, no + sign."""
    return "0" if v == 0 else fmt_plain(v, 2)


def _dashed(x: float, y: float, w: float, h: float, th: Theme) -> str:
    a = f'x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="none" stroke="{th.accent}" '
    return f'<rect {a}stroke-width="{th.size(2.2):.2f}" stroke-dasharray="{th.size(5):.1f} {th.size(3):.1f}"/>'


def _road_width(norm: float, r, th: Theme) -> float:
    """A road's width from its norm on a log scale: the widest road of the record is 9 px, 1/10⁶ of it 1.5 px."""
    top = float(np.max(r.grad_hidden_norms)) if np.max(r.grad_hidden_norms) > 0 else 1.0
    if not np.isfinite(norm) or norm <= 0:
        return th.size(1.5)
    frac = 1.0 + math.log10(min(norm / top, 1.0)) / 6.0
    return th.size(1.5 + 7.5 * max(frac, 0.0))


# --------------------------------------------------------------------------------------------- the norm figure
def norm_figure(lesson: RNNPass, *, stage: int | None = None, theme: str = "light", lecture: bool = False) -> dict:
    """‖∂L/∂h_t‖ for t = 1..T (before clipping) as bars on a log axis: a plotly figure as a plain dict.

    The steps the backward pass has reached at ``stage`` are in the accent colour, the others empty slots; clipped
    steps are red, with a marker at the norm they kept; with clipping a dashed line marks the cap.
    """
    _check_lesson(lesson)
    stage = _check_stage(lesson, stage)
    _check_look(theme, lecture)
    th = lecture_theme(theme, bool(lecture))
    r = lesson.record
    T = r.n_steps
    lit, current = lit_steps(lesson, stage)
    ts = list(range(1, T + 1))
    norms = [float(n) for n in r.grad_hidden_norms]
    colors = []
    for t in ts:
        if t not in lit:
            colors.append("rgba(0,0,0,0)")  # not reached yet: an empty slot (the axis stays put as bars appear)
        elif r.clipped[t - 1]:
            colors.append(th.error)
        else:
            colors.append(th.accent)
    lines = [2.0 if t == current else (0.0 if t in lit else 1.0) for t in ts]
    outline = [th.text if t == current else th.muted for t in ts]
    hover = []
    for t, n in zip(ts, norms):
        words = f"t = {t}: ‖∂L/∂h{_sub(t)}‖ = {fmt_plain(n, 4)}"
        if r.clipped[t - 1]:
            words += f", clipped to {fmt_plain(r.clip, 4)}"
        hover.append(words + ("" if t in lit else " (not reached yet)"))
    positive = [n for n in norms if n > 0]
    low = math.floor(math.log10(min(positive))) if positive else -1
    high = math.ceil(math.log10(max(positive))) if positive else 1
    if r.clip is not None:
        low, high = min(low, math.floor(math.log10(r.clip))), max(high, math.ceil(math.log10(r.clip)))
    if high - low < 1:
        high += 1
    data = [
        dict(
            type="bar",
            x=ts,
            y=[n if n > 0 else None for n in norms],
            marker=dict(color=colors, line=dict(color=outline, width=lines)),
            hovertext=hover,
            hoverinfo="text",
            name="‖∂L/∂hₜ‖ (before clipping)",
        )
    ]
    clipped_t = [t for t in ts if r.clipped[t - 1] and t in lit]
    data.append(
        dict(
            type="scatter",
            mode="markers",
            x=clipped_t,
            y=[float(r.clip or 0.0)] * len(clipped_t),
            marker=dict(symbol="line-ew-open", size=th.size(22), color=th.text, line=dict(width=th.size(3))),
            name="as used (clipped)",
            hoverinfo="skip",
        )
    )
    shapes = []
    if r.clip is not None:
        shapes.append(dict(type="line", xref="paper", x0=0, x1=1, y0=r.clip, y1=r.clip,
                           line=dict(color=th.error, width=th.size(1.5), dash="dash")))  # fmt: skip
    return figure_spec(
        th,
        data,
        title="‖∂L/∂hₜ‖ per step, log scale" + ("" if r.clip is None else f" (dashed: the cap {fmt_plain(r.clip, 3)})"),
        height=th.size(250),
        showlegend=False,
        bargap=0.25,
        margin=dict(l=th.size(56), r=th.size(12), t=th.size(44), b=th.size(40)),
        xaxis=dict(title=dict(text="step t"), tickmode="array", tickvals=ts, range=[0.4, T + 0.6]),
        yaxis=dict(type="log", range=[low - 0.2, high + 0.2], exponentformat="power"),
        shapes=shapes,
    )


__all__ = [
    "LECTURE_SCALE",
    "MAX_DRAWN_STEPS",
    "RNNStage",
    "WIDTH",
    "lit_steps",
    "node_keys",
    "node_text",
    "norm_figure",
    "rnn_diagram",
    "rnn_stages",
    "stage_caption",
    "step_panel",
]
