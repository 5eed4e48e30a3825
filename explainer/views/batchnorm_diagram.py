"""One neuron's batch-norm step over its batch, as an SVG scene: the forward numbers and ∂L/∂z's three paths.

For neuron j of a hidden layer l with batch norm (``Network(..., batch_norm=True)``), over the N samples s::

    μ = (1/N) Σₛ zₛ,   σ² = (1/N) Σₛ (zₛ − μ)²,   x̂ₛ = (zₛ − μ) / √(σ² + ε),   yₛ = γ x̂ₛ + β,   aₛ = f(yₛ)

and back from ∂L/∂yₛ = f′(yₛ) · ∂L/∂aₛ, what the activation hands down::

    ∂L/∂γ = Σₛ ∂L/∂yₛ x̂ₛ,   ∂L/∂β = Σₛ ∂L/∂yₛ,   ∂L/∂x̂ₛ = ∂L/∂yₛ γ
    ∂L/∂σ² = Σₛ ∂L/∂x̂ₛ (zₛ − μ) · (−½)(σ² + ε)^(−3/2),   ∂L/∂μ = −Σₛ ∂L/∂x̂ₛ / √(σ² + ε)
    ∂L/∂zₛ = ∂L/∂x̂ₛ / √(σ² + ε)  +  ∂L/∂μ / N  +  ∂L/∂σ² · 2(zₛ − μ) / N
             (through x̂ₛ)           (through μ)    (through σ²)

The picture: one row per sample (zₛ → x̂ₛ → yₛ, left to right), the batch's μ and σ² above the rows (every
zₛ feeds them, and they feed every x̂ₛ), γ and β above the outputs. The three edges out of each zₛ are its
three paths back, each in its own colour (Okabe–Ito, so colour-blind readers tell them apart), as wide as
its share, dashed when negative; left of zₛ the three numbers are written as the sum they make. Every
number is the record's (``Record.batch_norms``), only formatted here; hovering a node or a path gives its
formula with the numbers put in. At most 8 samples are drawn (the selected one always); μ, σ² and the
sums are over the whole batch, and the caption says so.

Keys (the ``data-key`` of each target, and of ``Scene.hovers``), s the sample's index in the record:
``bn:z:s``, ``bn:x_hat:s``, ``bn:y:s``, ``bn:mean``, ``bn:var``, ``bn:path:x_hat:s``, ``bn:path:mean:s``,
``bn:path:var:s``, and the parameters by their names, ``gamma{l}[j]`` and ``beta{l}[j]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.batchnorm import BatchNormRecord
from ..engine.network import Record
from ._layout import ACTIVATION_SYMBOL, check_common, factor, join_terms, neuron_name, num, result, sub
from .diagram import Part, Scene, circle, group, line, plain_text, target, text, text_width, wrap
from .network_diagram import LECTURE_WIDTH, WIDTH, diagram_theme
from .style import Theme, fmt

MAX_ROWS = 8  # samples drawn; the statistics and sums are always over the whole batch
HOVER_TERMS = 8  # terms of a written-out sum over the batch before "+ …"

# The three paths of ∂L/∂z, one colour each: Okabe–Ito's bluish green, vermilion and reddish purple, darkened
# on white and lightened on the dark background so that their text reads at 5:1 or better (5.3-5.8 and
# 7.6-8.6). Not its blue: that is the theme's accent, which marks the selection and the gradients.
PATH_COLORS = {
    "light": {"x_hat": "#007A5A", "mean": "#B34700", "var": "#A63D80"},
    "dark": {"x_hat": "#2BC79B", "mean": "#FF8A4C", "var": "#E08BC4"},
}
PATHS = ("x_hat", "mean", "var")
PATH_NAMES = {"x_hat": "through x̂", "mean": "through μ", "var": "through σ²"}


@dataclass(frozen=True)
class _Step:
    """The numbers of one neuron's batch-norm step, as floats and (n,) arrays, read from the record."""

    layer: int
    j: int
    n: int
    name: str  # the neuron: h₁, h²₃
    act: str
    z: np.ndarray
    centered: np.ndarray  # z − μ
    x_hat: np.ndarray
    y: np.ndarray
    a: np.ndarray
    grad_y: np.ndarray  # ∂L/∂y = f′(y) ∂L/∂a
    grad_a: np.ndarray
    fprime: np.ndarray
    grad_x_hat: np.ndarray
    delta: np.ndarray  # ∂L/∂z, the sum of the three paths
    paths: dict[str, np.ndarray]  # x_hat, mean, var: (n,) each
    mean: float
    var: float
    std: float
    inv_std: float
    gamma: float
    beta: float
    eps: float
    grad_mean: float
    grad_var: float
    grad_gamma: float
    grad_beta: float
    grad_b: float

    @classmethod
    def of(cls, rec: Record, r: BatchNormRecord, layer: int, j: int) -> _Step:
        col = (slice(None), j)
        return cls(
            layer=layer,
            j=j,
            n=rec.n_samples,
            name=neuron_name(rec.sizes, layer, j),
            act=rec.activation_names[layer - 1],
            z=r.x[col],
            centered=r.centered[col],
            x_hat=r.x_hat[col],
            y=r.output[col],
            a=rec.activations[layer][col],
            grad_y=r.grad_output[col],
            grad_a=rec.grad_activations[layer - 1][col],
            fprime=rec.derivatives[layer - 1][col],
            grad_x_hat=r.grad_x_hat[col],
            delta=rec.deltas[layer - 1][col],
            paths={
                "x_hat": r.grad_input_via_x_hat[col],
                "mean": r.grad_input_via_mean[col],
                "var": r.grad_input_via_var[col],
            },
            mean=float(r.mean[j]),
            var=float(r.var[j]),
            std=float(r.std[j]),
            inv_std=float(r.inv_std[j]),
            gamma=float(r.gamma[j]),
            beta=float(r.beta[j]),
            eps=r.eps,
            grad_mean=float(r.grad_mean[j]),
            grad_var=float(r.grad_var[j]),
            grad_gamma=float(r.grad_gamma[j]),
            grad_beta=float(r.grad_beta[j]),
            grad_b=float(rec.grad_biases[layer - 1][j]),
        )


# --------------------------------------------------------------------------------------------- hover texts
def _sum(values, *, cap: int = HOVER_TERMS) -> str:
    return join_terms([factor(v) for v in values], cap=cap, per_line=4)


def _products(left, right, *, cap: int = HOVER_TERMS) -> str:
    return join_terms([f"{factor(u)}×{factor(v)}" for u, v in zip(left, right)], cap=cap, per_line=4)


def _hovers(st: _Step, shown: list[int]) -> dict[str, str]:
    n, sym = st.n, ACTIVATION_SYMBOL.get(st.act, st.act)
    out = {}
    out["bn:mean"] = (
        f"<b>μ</b>, the batch mean of z over its {n} samples"
        f"<br>μ = (1/N) Σₛ zₛ = ({_sum(st.z)}) / {n} = {result(st.mean)}"
        f"<br>∂L/∂μ = −Σₛ ∂L/∂x̂ₛ / √(σ² + ε) = −({_sum(st.grad_x_hat)}) / {num(st.std)} = {result(st.grad_mean)}"
        "<br>(μ reaches L through σ² too, with ∂L/∂σ² · (−2/N) Σₛ (zₛ − μ) = 0: the deviations sum to 0)"
        f"<br>each zₛ gets ∂L/∂μ · ∂μ/∂zₛ = ∂L/∂μ / N = {factor(st.grad_mean)} / {n} = {result(st.paths['mean'][0])}"
    )
    out["bn:var"] = (
        f"<b>σ²</b>, the batch variance of z (divided by N = {n}, as PyTorch normalises)"
        f"<br>σ² = (1/N) Σₛ (zₛ − μ)² = ({_sum(st.centered**2)}) / {n} = {result(st.var)}"
        f"<br>√(σ² + ε) = √({num(st.var)} + {num(st.eps)}) = {num(st.std)}"
        f"<br>∂L/∂σ² = Σₛ ∂L/∂x̂ₛ (zₛ − μ) · (−½)(σ² + ε)^(−3/2)"
        f"<br>= ({_products(st.grad_x_hat, st.centered)}) × (−½) × {num(st.inv_std**3)} = {result(st.grad_var)}"
    )
    g_name, b_name = f"gamma{st.layer}[{st.j}]", f"beta{st.layer}[{st.j}]"
    out[g_name] = (
        f"<b>γ</b> = {g_name} = {result(st.gamma)}, the scale of x̂ (starts at 1)"
        f"<br>∂L/∂γ = Σₛ ∂L/∂yₛ x̂ₛ = {_products(st.grad_y, st.x_hat)} = {result(st.grad_gamma)}"
    )
    out[b_name] = (
        f"<b>β</b> = {b_name} = {result(st.beta)}, the shift of x̂ (starts at 0)"
        f"<br>∂L/∂β = Σₛ ∂L/∂yₛ = {_sum(st.grad_y)} = {result(st.grad_beta)}"
        f"<br>(the bias before the batch norm has ∂L/∂b = Σₛ ∂L/∂zₛ = {result(st.grad_b)}: μ takes b out)"
    )
    for s in shown:
        k, zs, d = sub(s + 1), st.z[s], st.delta[s]
        p = {name: st.paths[name][s] for name in PATHS}
        out[f"bn:z:{s}"] = (
            f"<b>z{k}</b> = {result(zs)}, neuron {st.name} for sample {s + 1} (before the batch norm)"
            f"<br>∂L/∂z{k} = through x̂{k} + through μ + through σ²"
            f"<br>= {factor(p['x_hat'])} + {factor(p['mean'])} + {factor(p['var'])} = {result(d)}"
        )
        out[f"bn:path:x_hat:{s}"] = (
            f"<b>through x̂{k}</b> (μ and σ² held): ∂L/∂x̂{k} · ∂x̂{k}/∂z{k} = ∂L/∂x̂{k} / √(σ² + ε)"
            f"<br>= {factor(st.grad_x_hat[s])} / {num(st.std)} = {result(p['x_hat'])}"
        )
        out[f"bn:path:mean:{s}"] = (
            f"<b>through μ</b>: ∂L/∂μ · ∂μ/∂z{k} = ∂L/∂μ / N = {factor(st.grad_mean)} / {n} = {result(p['mean'])}"
            "<br>(the same for every sample of the batch)"
        )
        out[f"bn:path:var:{s}"] = (
            f"<b>through σ²</b>: ∂L/∂σ² · ∂σ²/∂z{k} = ∂L/∂σ² · 2(z{k} − μ) / N"
            f"<br>= {factor(st.grad_var)} × 2 × ({num(zs)} − {factor(st.mean)}) / {n} = {result(p['var'])}"
        )
        out[f"bn:x_hat:{s}"] = (
            f"<b>x̂{k}</b> = (z{k} − μ) / √(σ² + ε) = ({num(zs)} − {factor(st.mean)}) / {num(st.std)}"
            f" = {result(st.x_hat[s])}"
            f"<br>∂L/∂x̂{k} = ∂L/∂y{k} · γ = {factor(st.grad_y[s])} × {factor(st.gamma)} = {result(st.grad_x_hat[s])}"
        )
        out[f"bn:y:{s}"] = (
            f"<b>y{k}</b> = γ x̂{k} + β = {factor(st.gamma)} × {factor(st.x_hat[s])} + {factor(st.beta)}"
            f" = {result(st.y[s])}"
            f"<br>a{k} = {sym}(y{k}) = {result(st.a[s])}, the neuron's output"
            f"<br>∂L/∂y{k} = f′(y{k}) · ∂L/∂a{k} = {factor(st.fprime[s])} × {factor(st.grad_a[s])}"
            f" = {result(st.grad_y[s])}"
        )
    return out


# --------------------------------------------------------------------------------------------- layout
def _rows(n: int, sample: int) -> list[int]:
    """The samples drawn: all up to MAX_ROWS, else the first ones with ``sample`` among them."""
    if n <= MAX_ROWS:
        return list(range(n))
    rows = list(range(MAX_ROWS))
    if sample >= MAX_ROWS:
        rows[-1] = sample
    return rows


def _panel_lines(st: _Step, s: int, digits: int) -> list[tuple[str, str | None]]:
    """Left of zₛ: its three paths and their sum, as (text, path or None)."""
    lines = [(f"{PATH_NAMES[p]} {fmt(float(st.paths[p][s]) + 0.0, digits)}", p) for p in PATHS]
    lines.append((f"∂L/∂z{sub(s + 1)} = {fmt(float(st.delta[s]) + 0.0, digits)}", None))
    return lines


@dataclass(frozen=True)
class _Columns:
    panel: float  # right edge of the sums left of zₛ
    z: float
    mean: float
    var: float
    x_hat: float
    y: float
    gamma: float
    beta: float
    right: float  # where the text right of yₛ ends
    width: float


# px at scale 1 between the columns z → μ → σ² → x̂ → y; they shrink (to 60 % at most) to fit the width.
GAPS = (150.0, 140.0, 120.0, 150.0)


def _columns(st: _Step, rows: list[int], th: Theme, small: float, r: float, digits: int, budget: float) -> _Columns:
    left = th.size(16)
    panel_w = max(text_width(t, small) for s in rows for t, _ in _panel_lines(st, s, digits))
    panel = left + panel_w
    # zₛ's value above it and its gradient below are centred on it: the sums end left of the wider of them.
    z_labels = [fmt(float(v) + 0.0, digits) for s in rows for v in (st.z[s], st.delta[s])]
    z = panel + th.size(10) + max(r, max(text_width(t, small) for t in z_labels) / 2)
    out_w = max(text_width(f"→ a{sub(s + 1)} = {fmt(float(st.a[s]) + 0.0, digits)}", small) for s in rows)
    fixed = z + r + th.size(8) + out_w + th.size(16)  # all but the gaps
    gaps = [th.size(g) for g in GAPS]
    k = float(np.clip((budget - fixed) / sum(gaps), 0.6, 1.0))
    # μ and σ² (and γ and β) side by side: at least as far apart as their widest labels.
    stats = max(text_width(fmt(float(v) + 0.0, digits), small) for v in (st.mean, st.var, st.grad_mean, st.grad_var))
    params = max(
        text_width(fmt(float(v) + 0.0, digits), small) for v in (st.gamma, st.beta, st.grad_gamma, st.grad_beta)
    )
    mean = z + k * gaps[0]
    var = mean + max(k * gaps[1], stats + th.size(12))
    x_hat = var + k * gaps[2]
    y = x_hat + k * gaps[3]
    half = max(0.5 * k * gaps[3], 0.5 * params + th.size(6))  # γ and β above the outputs
    right = y + r + th.size(8) + out_w
    return _Columns(panel, z, mean, var, x_hat, y, y - half, y + half, right, right + th.size(16))


def _path_width(value: float, vmax: float, th: Theme) -> float:
    lo, hi = th.size(th.edge_width_min), th.size(th.edge_width_max * 0.8)
    if not np.isfinite(value):
        return hi
    return float(lo + (hi - lo) * min(abs(value) / vmax, 1.0)) if vmax > 0 else lo


def _node(x, y, r, symbol, above, below, th, font, small, *, stroke, width, key, label, pressed=None) -> str:
    """A circle with its symbol inside, its value above and its gradient below (in the accent colour)."""
    return "".join(
        [
            circle(x, y, r, fill=th.node_fill, stroke=stroke, width=width),
            text(x, y, symbol, size=font, fill=th.text),
            text(x, y - r - 0.8 * small, above, size=small, fill=th.text, halo=th.paper),
            text(x, y + r + 0.8 * small, below, size=small, fill=th.accent, halo=th.paper),
            target(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{r:.2f}"', key=key, label=label, pressed=pressed),
        ]
    )


def _line_shape(x0: float, y0: float, x1: float, y1: float, width: float) -> str:
    return f'<line x1="{x0:.2f}" y1="{y0:.2f}" x2="{x1:.2f}" y2="{y1:.2f}" stroke-width="{width:.1f}"'


def _toward(x0: float, y0: float, x1: float, y1: float, r: float) -> tuple[float, float, float, float]:
    """The segment between two circles of radius r centred at (x0, y0) and (x1, y1)."""
    d = max(float(np.hypot(x1 - x0, y1 - y0)), 1e-9)
    ux, uy = (x1 - x0) / d, (y1 - y0) / d
    return x0 + ux * r, y0 + uy * r, x1 - ux * r, y1 - uy * r


# --------------------------------------------------------------------------------------------- public
def batchnorm_diagram(
    record: Record,
    layer: int,
    neuron: int = 0,
    *,
    sample: int = 0,
    theme: str = "light",
    lecture: bool = False,
    selected: str | None = None,
) -> Scene:
    """The batch-norm step of one neuron over the record's batch, with ∂L/∂zₛ as the sum of its three paths.

    Parameters
    ----------
    record: a ``Record`` from ``Network(..., batch_norm=...).backprop(X, y)``, X a batch of ≥ 2 samples.
    layer: a hidden layer with batch norm, 1..n_layers − 1 (``record.batch_norm[layer − 1]`` is True).
    neuron: 0-based within the layer.
    sample: the sample whose row is highlighted (and always drawn when the batch has more than 8).
    theme: "light" or "dark"; lecture: for a projector, as the network diagram (its text ×2.2, laid out for 1,700 px).
    selected: a key to highlight (``bn:z:0``, ``gamma1[0]``, ... as in the module docstring), or None.

    Fits 1,000 px (1,700 px in lecture mode). The equations, the layout and the keys are in the module docstring.
    """
    check_common(record, sample=sample, theme=theme, lecture=lecture)
    _check_layer(record, layer, neuron)
    if selected is not None and not isinstance(selected, str):
        raise ValueError(f"selected must be a key such as 'bn:z:0' or 'gamma1[0]', or None; got {selected!r}")
    th = diagram_theme(theme, bool(lecture))
    with np.errstate(all="ignore"):  # a diverged record (σ² = ∞, 1/√(σ² + ε) = 0) is drawn with its ∞ and NaN
        st = _Step.of(record, record.batch_norms[layer - 1], int(layer), int(neuron))
        return _draw(st, _rows(st.n, int(sample)), int(sample), th, selected)


def _check_layer(record: Record, layer, neuron) -> None:
    with_norm = [k + 1 for k, on in enumerate(record.batch_norm) if on]
    if not with_norm:
        raise ValueError(
            "record has no batch norm: make it with Network(..., batch_norm=True).backprop(X, y) to draw one"
        )
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or int(layer) not in with_norm:
        raise ValueError(f"layer must be a layer with batch norm ({', '.join(map(str, with_norm))}); got {layer!r}")
    width = record.sizes[int(layer)]
    if isinstance(neuron, bool) or not isinstance(neuron, (int, np.integer)) or not 0 <= neuron < width:
        raise ValueError(
            f"neuron must be an integer from 0 to {width - 1} (layer {layer} has {width} neurons); got {neuron!r}"
        )


def _draw(st: _Step, rows: list[int], sample: int, th: Theme, selected: str | None) -> Scene:
    colors = PATH_COLORS["dark" if th.name == "dark" else "light"]
    font, small = th.size(th.font_size), th.size(th.font_size * 0.85)
    r = th.size(17)
    budget = LECTURE_WIDTH if th.scale > 1 else WIDTH  # as network_diagram lays out: 1,000 px, 1,700 px
    for digits in (4, 3, 2):  # as many digits as the width allows
        cols = _columns(st, rows, th, small, r, digits, budget)
        if cols.width <= budget:
            break
    line_h = 1.3 * small
    dy = max(th.size(76), 4 * line_h + th.size(12))
    stats_y = th.size(150)
    top = stats_y + th.size(112)
    ys = {s: top + k * dy for k, s in enumerate(rows)}
    bottom = top + (len(rows) - 1) * dy + r + 2 * small
    hovers = _hovers(st, rows)
    parts: list[Part] = []

    def d(value: float) -> str:
        return fmt(float(value) + 0.0, digits)

    # ---- title, the batch it is over, and the colours of the three paths
    title = f"Batch norm of {st.name}: three paths back to each z"
    sub_title = (
        f"layer {st.layer}, over all {st.n} samples of the batch: x̂ = (z − μ)/√(σ² + ε), y = γ x̂ + β, "
        f"ε = {fmt(st.eps, 2).lstrip('+')}, a = {ACTIVATION_SYMBOL.get(st.act, st.act)}(y)"
    )
    head = [
        text(th.size(16), th.size(22), title, size=th.size(th.title_size), fill=th.text, anchor="start", weight="600"),
        text(th.size(16), th.size(44), sub_title, size=small, fill=th.muted, anchor="start"),
    ]
    x = th.size(16)
    for p in PATHS:
        head.append(line(x, th.size(66), x + th.size(26), th.size(66), stroke=colors[p], width=th.size(4)))
        label = f"{PATH_NAMES[p]}ₛ" if p == "x_hat" else PATH_NAMES[p]
        head.append(text(x + th.size(32), th.size(66), label, size=small, fill=colors[p], anchor="start"))
        x += th.size(40) + text_width(label, small) + th.size(18)
    head.append(text(x, th.size(66), "(dashed: negative)", size=small, fill=th.muted, anchor="start"))
    head.append(
        text(th.size(16), th.size(88), "Above each node its value, below it its gradient ∂L/∂(node)", size=small,
             fill=th.accent, anchor="start")
    )  # fmt: skip
    numbers = (st.z, st.x_hat, st.y, st.grad_y, st.delta, *st.paths.values())
    scalars = (st.mean, st.var, st.grad_mean, st.grad_var, st.grad_gamma, st.grad_beta)
    finite = all(np.all(np.isfinite(v)) for v in numbers) and bool(np.all(np.isfinite(scalars)))
    if not finite:
        head.append(
            text(th.size(16), th.size(108), "⚠ Diverged: the record holds NaN or ∞", size=font, fill=th.error,
                 anchor="start", weight="600")
        )  # fmt: skip
    parts.append(Part("title", group("".join(head))))

    # ---- the forward dependencies, faint: μ → σ², μ and σ² → every x̂ₛ, x̂ₛ, γ, β → yₛ
    faint = []
    for s in rows:
        for x0, y0, x1, y1 in (
            (cols.mean, stats_y, cols.x_hat, ys[s]),
            (cols.var, stats_y, cols.x_hat, ys[s]),
            (cols.x_hat, ys[s], cols.y, ys[s]),
            (cols.gamma, stats_y, cols.y, ys[s]),
            (cols.beta, stats_y, cols.y, ys[s]),
        ):
            faint.append(line(*_toward(x0, y0, x1, y1, r), stroke=th.muted, width=th.size(0.8), opacity=0.45))
    faint.append(line(*_toward(cols.mean, stats_y, cols.var, stats_y, r), stroke=th.muted, width=th.size(0.8),
                      opacity=0.45))  # fmt: skip
    parts.append(Part("forward", group("".join(faint))))

    # ---- each zₛ's three paths back: its edges to x̂ₛ, μ and σ², coloured by path, as wide as their share
    vmax = max((abs(float(st.paths[p][s])) for p in PATHS for s in rows if np.isfinite(st.paths[p][s])), default=0)
    ends = {"x_hat": lambda s: (cols.x_hat, ys[s]), "mean": lambda s: (cols.mean, stats_y),
            "var": lambda s: (cols.var, stats_y)}  # fmt: skip
    for s in rows:
        out = []
        for p in PATHS:
            value = float(st.paths[p][s])
            seg = _toward(cols.z, ys[s], *ends[p](s), r)
            key = f"bn:path:{p}:{s}"
            if key == selected:
                out.append(line(*seg, stroke=th.accent, width=th.size(th.edge_width_max + 6), opacity=0.35))
            w = _path_width(value, vmax, th)
            dash = f"{max(th.size(6), 2.5 * w):.1f} {max(th.size(4), 1.5 * w):.1f}"  # still dashes when thick
            out.append(line(*seg, stroke=colors[p], width=w, dash=dash if np.isfinite(value) and value < 0 else None))
            out.append(
                target(
                    _line_shape(*seg, th.size(12)),
                    key=key,
                    label=f"sample {s + 1}, {PATH_NAMES[p]}: {result(value)}",
                    pressed=key == selected,
                )
            )
        parts.append(Part(f"paths:{s}", group("".join(out))))

    def stroke_of(key: str, lit: bool = False) -> tuple[str, float]:
        return (th.accent, th.size(3.2)) if key == selected or lit else (th.muted, th.size(1.2))

    # ---- the batch's statistics
    out = []
    for key, x, symbol, value, grad, what in (
        ("bn:mean", cols.mean, "μ", st.mean, st.grad_mean, "the batch mean"),
        ("bn:var", cols.var, "σ²", st.var, st.grad_var, "the batch variance"),
    ):
        stroke, width = stroke_of(key)
        out.append(
            _node(x, stats_y, r, symbol, d(value), d(grad), th, font, small, stroke=stroke,
                  width=width, key=key, label=f"{symbol}, {what}: {result(value)}; ∂L/∂{symbol} {result(grad)}")
        )  # fmt: skip
    parts.append(Part("statistics", group("".join(out))))

    # ---- γ and β, the layer's parameters (selectable by their names, as the weights are)
    out = []
    for kind, x, symbol, value, grad in (
        ("gamma", cols.gamma, "γ", st.gamma, st.grad_gamma),
        ("beta", cols.beta, "β", st.beta, st.grad_beta),
    ):
        key = f"{kind}{st.layer}[{st.j}]"
        stroke, width = stroke_of(key)
        out.append(
            _node(x, stats_y, r, symbol, d(value), d(grad), th, font, small, stroke=stroke,
                  width=width, key=key, label=f"{symbol} = {key} = {result(value)}; ∂L/∂{symbol} {result(grad)}",
                  pressed=key == selected)
        )  # fmt: skip
    parts.append(Part("parameters", group("".join(out))))

    # ---- one row per sample: the sum of its paths, zₛ, x̂ₛ, yₛ and what yₛ becomes
    for s in rows:
        y, k, lit = ys[s], sub(s + 1), s == sample
        out = []
        lines = _panel_lines(st, s, digits)
        for m, (content, p) in enumerate(lines):
            ly = y + (m - 1.5) * line_h
            out.append(
                text(cols.panel, ly, content, size=small, fill=th.text if p is None else colors[p], anchor="end",
                     weight="600" if p is None else None)
            )  # fmt: skip
        rule_y = y + 1.0 * line_h  # the line under the three terms, as under a written sum
        out.append(line(cols.panel - th.size(70), rule_y, cols.panel, rule_y, stroke=th.muted, width=th.size(0.8)))
        for key, x, symbol, value, grad, label in (
            (f"bn:z:{s}", cols.z, f"z{k}", st.z[s], st.delta[s], "∂L/∂z"),
            (f"bn:x_hat:{s}", cols.x_hat, f"x̂{k}", st.x_hat[s], st.grad_x_hat[s], "∂L/∂x̂"),
            (f"bn:y:{s}", cols.y, f"y{k}", st.y[s], st.grad_y[s], "∂L/∂y"),
        ):
            stroke, width = stroke_of(key, lit)
            out.append(
                _node(x, y, r, symbol, d(value), d(grad), th, font, small, stroke=stroke, width=width, key=key,
                      label=f"{symbol}, sample {s + 1}: {result(value)}; {label} {result(grad)}")
            )  # fmt: skip
        out.append(
            text(cols.y + r + th.size(8), y, f"→ a{k} = {d(st.a[s])}", size=small, fill=th.muted, anchor="start")
        )
        parts.append(Part(f"row:{s}", group("".join(out))))

    # ---- what the picture leaves out, and what the mean does to the bias
    notes = []
    if st.n > len(rows):
        notes.append(
            f"{len(rows)} of the batch's {st.n} samples are drawn; μ, σ², ∂L/∂μ, ∂L/∂σ², ∂L/∂γ and ∂L/∂β are over all "
            f"{st.n} (hover them for every term)"
        )
    notes.append(
        f"∂L/∂zₛ's three paths sum to ∂L/∂zₛ, and over the batch the ∂L/∂zₛ sum to 0: the bias before the batch "
        f"norm gets ∂L/∂b = {result(st.grad_b)} (μ takes it out)"
    )
    width = max(cols.width, min(budget, text_width(title, th.size(th.title_size)) + th.size(32)))
    caption = [piece for note in notes for piece in wrap(note, small, width - th.size(32))]
    foot = [
        text(th.size(16), bottom + (m + 0.6) * 1.35 * small, piece, size=small, fill=th.muted, anchor="start")
        for m, piece in enumerate(caption)
    ]
    parts.append(Part("caption", group("".join(foot))))
    height = bottom + (len(caption) + 0.6) * 1.35 * small + th.size(12)
    return Scene.in_theme(
        th,
        width=width,
        height=height,
        title=f"{title}. {plain_text(sub_title)}",
        parts=parts,
        font_size=font,
        hovers=hovers,
    )


__all__ = ["MAX_ROWS", "PATH_COLORS", "batchnorm_diagram"]
