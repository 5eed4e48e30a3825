"""A small loss curve as SVG: the loss over the steps an app has trained, on a log scale, divergence marked.

``loss_sparkline(steps, losses)`` returns an SVG string sized for a side panel. The numbers are the
engine's (a History's ``steps`` and ``train_loss``); non-finite losses are not drawn, and the step where
the run diverged (``diverged_at``, an index into the arrays) gets a red mark and a label.
"""

from __future__ import annotations

import numpy as np

from .diagram import attrs, circle, line, polyline, text
from .style import fmt, get_theme


def loss_sparkline(
    steps,
    losses,
    *,
    diverged_at: int | None = None,
    theme: str = "light",
    lecture: bool = False,
    width: float = 320.0,
    height: float = 110.0,
) -> str:
    """The training loss against the step, log scale; ``diverged_at``: the index where the run diverged."""
    th = get_theme(theme, lecture=lecture)
    steps = np.asarray(steps, dtype=float).reshape(-1)
    losses = np.asarray(losses, dtype=float).reshape(-1)
    if steps.shape != losses.shape:
        raise ValueError(f"steps and losses must have the same length; got {steps.size} and {losses.size}")
    w, h = th.size(width), th.size(height)
    font = th.size(th.font_size * 0.8)
    left, right, top, bottom = th.size(52), th.size(10), th.size(10), th.size(20)
    head = attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {w:.1f} {h:.1f}",
        width=float(w),
        height=float(h),
        role="img",
        aria_label="the training loss over the steps trained",
        font_family=th.font_family,
    )
    out = [f"<svg {head}>"]
    ok = np.isfinite(losses) & (losses > 0)
    if steps.size < 2 or ok.sum() < 1:
        out.append(text(w / 2, h / 2, "train to see the loss curve", size=font, fill=th.muted))
        return "".join(out) + "</svg>"
    logs = np.log10(losses[ok])
    lo, hi = float(logs.min()), float(logs.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    x0, x1 = float(steps[0]), float(steps[-1])
    span = max(x1 - x0, 1.0)

    def px(s: float, log_loss: float) -> tuple[float, float]:
        return (left + (s - x0) / span * (w - left - right), top + (hi - log_loss) / (hi - lo) * (h - top - bottom))

    out.append(line(left, top, left, h - bottom, stroke=th.muted, width=th.size(0.8)))
    out.append(line(left, h - bottom, w - right, h - bottom, stroke=th.muted, width=th.size(0.8)))
    for value in (hi, lo):
        y = px(x0, value)[1]
        out.append(text(left - th.size(4), y, fmt(10**value, 2).lstrip("+"), size=font, fill=th.muted, anchor="end"))
    out.append(text(left, h - bottom + th.size(11), f"step {int(x0):,}", size=font, fill=th.muted, anchor="start"))
    out.append(text(w - right, h - bottom + th.size(11), f"{int(x1):,}", size=font, fill=th.muted, anchor="end"))
    points = [px(s, np.log10(v)) for s, v in zip(steps[ok], losses[ok])]
    out.append(polyline(points, stroke=th.accent, width=th.size(1.6)))
    out.append(circle(*points[-1], th.size(2.6), fill=th.accent))
    if diverged_at is not None and 0 <= diverged_at < steps.size:
        s = float(steps[diverged_at])
        x = px(s, hi)[0]
        out.append(line(x, top, x, h - bottom, stroke=th.error, width=th.size(1.2)))
        out.append(
            text(
                min(x + th.size(4), w - th.size(60)),
                top + th.size(6),
                f"diverged at {int(s):,}",
                size=font,
                fill=th.error,
                anchor="start",
            )
        )
    return "".join(out) + "</svg>"
