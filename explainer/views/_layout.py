"""Plain data for the backpropagation figures: positions, labels, hover texts and colour values.

Extract, then draw (micrograd's ``trace`` before its ``draw_dot``): the functions here turn a
``Record`` into frozen dataclasses of numbers and strings; ``network.py`` and ``graph.py`` only turn
those into Plotly traces. Every number shown is read from the record and only *formatted* here:
a chain-rule product is written out with its factors and its recorded result, never re-evaluated.
The one exception is the neuron graph, whose multiply nodes show a term aᵢ·wᵢ (and its share
wᵢ·δ) that the record does not store; those few products are computed here and said to be.

Positions are in abstract units (one layer = 1 in x, one neuron = 1 in y); the figure modules
choose how many pixels a unit is.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from .._validate import one_of, positive_int
from ..engine.network import Record
from .style import THEMES, finite_max_abs, fmt, fmt_plain

# Where along an edge (from its source) its hover marker sits; its number starts there. Not 0.5: in a
# fully connected layer the crossing edges i→j and j→i share their midpoint, and one marker would hide
# the other; nearer the source the numbers of one source fan out instead of piling up at the crossing.
# With t = 0.33 two edges between layers of ≤ 8 evenly spaced neurons never share a point
# (it would need 67·Δsource = 33·Δdestination with both |Δ| ≤ 7).
EDGE_LABEL_T = 0.33
# The loss node sits this far to the right of the output layer.
LOSS_OFFSET = 0.8
# Beyond this many terms a written-out sum is cut with "+ …" (hover texts wrap instead).
CAPTION_TERMS = 3
HOVER_TERMS_PER_LINE = 4

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

ACTIVATION_SYMBOL = {
    "sigmoid": "σ",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "LReLU",
    "identity": "id",
    "softmax": "softmax",
}
# f′ written with a, z substituted: (symbolic, template). The template's {a}/{z} get the numbers.
DERIVATIVE_FORM = {
    "sigmoid": ("a(1 − a)", "{a} × (1 − {a})"),
    "tanh": ("1 − a²", "1 − {fa}²"),  # {fa}: a as a factor, so a negative a reads 1 − (−0.4621)²
    "relu": ("1 if z > 0 else 0", "z = {z}"),
    "leaky_relu": ("1 if z > 0 else 0.01", "z = {z}"),
    "identity": ("1", ""),
    "softmax": ("a(1 − a), the Jacobian's diagonal", "{a} × (1 − {a})"),
}
LOSS_FORM = {
    "mse": "½ Σₖ (aₖ − yₖ)²",
    "bce": "−Σₖ [yₖ log aₖ + (1 − yₖ) log(1 − aₖ)]",
    "cross_entropy": "−Σₖ yₖ log aₖ",
}
GRAD_A_FORM = {"mse": "a − y", "bce": "(a − y) / (a(1 − a))", "cross_entropy": "−y / a"}
PAIRED = {"bce": "sigmoid", "cross_entropy": "softmax"}


# --------------------------------------------------------------------------- validation at the door
def check_common(record, *, sample=0, theme="light", lecture=False, width=None, height=None) -> None:
    """The checks every backprop figure makes first; ValueError naming the argument."""
    if not isinstance(record, Record):
        raise ValueError(f"record must be a Record from Network.backprop(X, y); got {type(record).__name__}")
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < record.n_samples:
        raise ValueError(
            f"sample must be an integer from 0 to {record.n_samples - 1} (the record's samples); got {sample!r}"
        )
    if not isinstance(theme, str) or theme not in THEMES:
        one_of(theme, THEMES, "theme")
    if not isinstance(lecture, (bool, np.bool_)):
        raise ValueError(f"lecture must be True or False; got {lecture!r}")
    for name, value in (("width", width), ("height", height)):
        if value is not None:
            positive_int(value, name, minimum=100)


def check_lr(lr, *, allow_none: bool = True) -> float | None:
    """``lr`` as a float > 0 (or None when allowed)."""
    if lr is None and allow_none:
        return None
    if isinstance(lr, bool) or not isinstance(lr, Real) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0 (the learning rate η); got {lr!r}")
    return float(lr)


# --------------------------------------------------------------------------- names and numbers
def sub(n: int) -> str:
    """An integer in subscript digits: 12 → ₁₂."""
    return str(n).translate(_SUB)


def sup(n: int) -> str:
    """An integer in superscript digits."""
    return str(n).translate(_SUP)


def neuron_name(sizes: tuple[int, ...], layer: int, j: int) -> str:
    """x₁ for inputs, h₁ (one hidden layer) or h²₁ (layer 2 of several), o₁ for outputs."""
    n_layers = len(sizes) - 1
    if layer == 0:
        return f"x{sub(j + 1)}"
    if layer == n_layers:
        return f"o{sub(j + 1)}"
    if n_layers == 2:
        return f"h{sub(j + 1)}"
    return f"h{sup(layer)}{sub(j + 1)}"


def activation_symbol(sizes: tuple[int, ...], layer: int, j: int) -> str:
    """The symbol of a neuron's output: x₁ for an input, a_h₁ otherwise."""
    name = neuron_name(sizes, layer, j)
    return name if layer == 0 else f"a_{name}"


def weight_number(sizes: tuple[int, ...], layer: int, i: int, j: int) -> int:
    """The classic hand-worked numbering w₁, w₂, …: by layer, then destination neuron, then source.

    In the 2-2-2 example w₁ = W1[0,0] (x₁→h₁), w₂ = W1[1,0] (x₂→h₁), w₅ = W2[0,0] (h₁→o₁).
    """
    offset = sum(a * b for a, b in zip(sizes[: layer - 1], sizes[1:layer]))
    return offset + j * sizes[layer - 1] + i + 1


def weight_symbol(sizes: tuple[int, ...], layer: int, i: int, j: int) -> str:
    return f"w{sub(weight_number(sizes, layer, i, j))}"


# "+ 0.0" turns a negative zero (a dead ReLU times a negative number) into 0, which prints as +0, not −0.
def num(value: float) -> str:
    """A number inside an expression: no + sign (``fmt_plain``)."""
    return fmt_plain(float(value) + 0.0)


def factor(value: float) -> str:
    """A factor of a product: negative numbers in parentheses, so 0.5 × (−0.03810) reads right."""
    text = fmt_plain(float(value) + 0.0)
    return f"({text})" if text.startswith("−") else text


def result(value: float) -> str:
    """A result: explicit sign (``fmt``)."""
    return fmt(float(value) + 0.0)


def join_terms(terms: list[str], *, cap: int | None = None, per_line: int | None = None) -> str:
    """``a + b + c``; with ``cap`` cut to that many terms and ``+ …``; with ``per_line`` wrapped."""
    if cap is not None and len(terms) > cap:
        terms = terms[:cap] + ["…"]
    if per_line is None:
        return " + ".join(terms)
    lines = [" + ".join(terms[k : k + per_line]) for k in range(0, len(terms), per_line)]
    return " +<br>    ".join(lines)


def derivative_text(name: str, z: float, a: float) -> tuple[str, str]:
    """(symbolic, substituted) forms of f′(z) for one activation."""
    symbolic, template = DERIVATIVE_FORM[name]
    return symbolic, template.format(a=num(a), fa=factor(a), z=num(z))


def record_is_finite(rec: Record) -> bool:
    """True when every recorded number is finite (``Record.finite`` looks at loss and gradients only)."""
    groups = (rec.activations, rec.preactivations, rec.derivatives, rec.grad_activations, rec.deltas, rec.grad_weights)
    return bool(np.isfinite(rec.loss) and all(np.all(np.isfinite(a)) for g in groups for a in g))


def batch_note(rec: Record, sample: int) -> str:
    """'' for one sample, else 'sample 2 of a batch of 4'."""
    return "" if rec.n_samples == 1 else f"sample {sample + 1} of a batch of {rec.n_samples}"


# --------------------------------------------------------------------------- the network diagram
@dataclass(frozen=True)
class NodeData:
    """One neuron (or input) with what each figure mode shows of it, for one sample."""

    layer: int  # 0 = inputs, n_layers = outputs
    index: int
    x: float
    y: float
    name: str  # x₁, h₁, o₁
    a: float  # the activation (the input itself for layer 0)
    delta: float  # δ = ∂L/∂z (NaN for inputs: they have none)
    grad_a: float  # ∂L/∂a (NaN for inputs)
    value_label: str
    delta_label: str
    grad_a_label: str
    value_hover: str
    grad_hover: str


@dataclass(frozen=True)
class EdgeData:
    """One weight Wˡ[i, j]: from neuron i of layer l−1 to neuron j of layer l."""

    layer: int  # 1..n_layers
    i: int
    j: int
    x0: float
    y0: float
    x1: float
    y1: float
    xm: float  # where the hover marker and label sit (EDGE_LABEL_T along the edge)
    ym: float
    param: str  # W2[0,1]
    symbol: str  # w₅
    value: float
    grad: float
    new_value: float  # after one step (the value itself without an lr, or when frozen)
    frozen: bool
    value_label: str
    grad_label: str
    update_label: str
    value_hover: str
    grad_hover: str


@dataclass(frozen=True)
class BiasData:
    """One bias bˡ[j], shown as a label under its neuron."""

    layer: int
    j: int
    x: float
    y: float  # the neuron's y; the figure puts the label below it
    param: str  # b1[0]
    symbol: str  # b_h₁
    value: float
    grad: float
    new_value: float
    frozen: bool
    value_label: str
    grad_label: str
    update_label: str
    value_hover: str
    grad_hover: str


@dataclass(frozen=True)
class LossEdgeData:
    """The link from output j to the loss node; in gradients mode it carries ∂L/∂a_oj."""

    j: int
    x0: float
    y0: float
    x1: float
    y1: float
    xm: float
    ym: float
    grad: float  # ∂L/∂a for output j
    value_label: str  # the target, y +0.01
    grad_label: str
    value_hover: str
    grad_hover: str


@dataclass(frozen=True)
class LossData:
    x: float
    y: float
    loss: float  # the batch mean L
    sample_loss: float  # Lₛ, the loss of the shown sample
    label: str
    value_hover: str
    grad_hover: str


@dataclass(frozen=True)
class NetworkLayout:
    """Everything the network figures draw, as plain data."""

    sizes: tuple[int, ...]
    activation_names: tuple[str, ...]
    loss_name: str
    n_samples: int
    sample: int
    lr: float | None  # the learning rate of the update texts (None: no update shown)
    nodes: tuple[tuple[NodeData, ...], ...]  # per layer 0..L
    edges: tuple[tuple[EdgeData, ...], ...]  # per weight layer 1..L (index 0 = layer 1)
    biases: tuple[tuple[BiasData, ...], ...]  # per weight layer 1..L
    loss_edges: tuple[LossEdgeData, ...]
    loss: LossData
    vmax_values: float  # max |w| and |b|: the values-mode colour scale
    vmax_gradients: float  # max |δ|, |∂L/∂a_out|, |∂L/∂w|, |∂L/∂b|: the one gradients scale
    finite: bool
    description: str  # "2-2-2 network, σ hidden, σ output, mse loss"
    forward_captions: tuple[str, ...]  # n_layers + 2
    backward_captions: tuple[str, ...]  # n_layers + 2

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def all_edges(self) -> list[EdgeData]:
        return [e for layer in self.edges for e in layer]

    @property
    def all_nodes(self) -> list[NodeData]:
        return [n for layer in self.nodes for n in layer]

    @property
    def all_biases(self) -> list[BiasData]:
        return [b for layer in self.biases for b in layer]


def describe(rec: Record) -> str:
    """'2-2-2 network, σ hidden, σ output, mse loss'."""
    arch = "-".join(str(s) for s in rec.sizes)
    hidden = rec.activation_names[:-1]
    parts = [f"{arch} network"]
    if hidden:
        names = sorted(set(hidden), key=hidden.index)
        parts.append(", ".join(ACTIVATION_SYMBOL[h] for h in names) + " hidden")
    parts.append(f"{ACTIVATION_SYMBOL[rec.activation_names[-1]]} output")
    parts.append(f"{rec.loss_name} loss")
    return ", ".join(parts)


def _positions(sizes: tuple[int, ...]) -> list[np.ndarray]:
    """y of each neuron per layer: centred on 0, one unit apart, first neuron on top."""
    return [(n - 1) / 2 - np.arange(n, dtype=float) for n in sizes]


def batch_norm_of(rec: Record, layer: int):
    """The batch-norm record of ``layer`` (1..L), or None where the layer has no batch norm."""
    norms = getattr(rec, "batch_norms", ())
    return norms[layer - 1] if norms and 1 <= layer <= len(norms) else None


def _z_lines(rec: Record, layer: int, j: int, s: int, *, per_line: int | None, cap: int | None) -> tuple[str, str]:
    """The forward formula of one neuron, symbolic and with numbers: (z line, a line)."""
    sizes = rec.sizes
    name = neuron_name(sizes, layer, j)
    W, b = rec.weights[layer - 1], rec.biases[layer - 1]
    a_prev = rec.activations[layer - 1][s]
    n_in = sizes[layer - 1]
    if n_in <= 3:
        symbolic = " + ".join(
            f"{weight_symbol(sizes, layer, i, j)}·{activation_symbol(sizes, layer - 1, i)}" for i in range(n_in)
        )
        symbolic += f" + b_{name}"
    else:
        symbolic = f"Σᵢ wᵢ·aᵢ + b_{name}"
    terms = [f"{factor(W[i, j])}·{factor(a_prev[i])}" for i in range(n_in)] + [factor(b[j])]
    z = rec.preactivations[layer - 1][s, j]
    a = rec.activations[layer][s, j]
    z_line = f"z_{name} = {symbolic}<br>    = {join_terms(terms, cap=cap, per_line=per_line)} = {result(z)}"
    act = rec.activation_names[layer - 1]
    bn = batch_norm_of(rec, layer)
    if bn is not None:  # z → x̂ → y → a
        sym = ACTIVATION_SYMBOL[act]
        xh, y = bn.x_hat[s, j], bn.output[s, j]
        a_line = (
            f"x̂_{name} = (z − μ) / √(σ² + ε) = ({num(z)} − {factor(bn.mean[j])}) / {num(bn.std[j])} = {result(xh)}"
            f"  (μ, σ²: the batch's, {rec.n_samples} samples)<br>"
            f"y_{name} = γ·x̂ + β = {factor(bn.gamma[j])} × {factor(xh)} + {factor(bn.beta[j])} = {result(y)}<br>"
            f"a_{name} = {sym}(y_{name}) = {sym}({num(y)}) = {result(a)}"
        )
    elif act == "softmax":
        a_line = f"a_{name} = softmax(z)_{sub(j + 1)} = e^z_{name} / Σₖ e^zₖ = {result(a)}"
    else:
        sym = ACTIVATION_SYMBOL[act]
        a_line = f"a_{name} = {sym}(z_{name}) = {sym}({num(z)}) = {result(a)}"
    return z_line, a_line


def _grad_a_output_text(rec: Record, j: int, s: int) -> str:
    """∂L/∂a of output j written out: 'a − y = 0.7514 − 0.01 = +0.7414' (÷ n for a batch)."""
    a = rec.activations[-1][s, j]
    y = rec.targets[s, j]
    n = rec.n_samples
    g = rec.grad_activations[-1][s, j]
    form = GRAD_A_FORM[rec.loss_name]
    if rec.loss_name == "mse":
        numbers = f"{num(a)} − {factor(y)}"
    elif rec.loss_name == "bce":
        numbers = f"({num(a)} − {factor(y)}) / ({num(a)} × (1 − {num(a)}))"
    else:
        numbers = f"−{factor(y)} / {num(a)}"
    if n > 1:
        form, numbers = f"({form}) / n", f"({numbers}) / {n}"
    name = neuron_name(rec.sizes, rec.n_layers, j)
    return f"∂L/∂a_{name} = {form} = {numbers} = {result(g)}"


def _delta_output_text(rec: Record, j: int, s: int) -> str:
    """δ of output j with how it came about: chain rule, paired loss, or the softmax Jacobian."""
    L = rec.n_layers
    name = neuron_name(rec.sizes, L, j)
    act = rec.activation_names[-1]
    d = rec.deltas[-1][s, j]
    n = rec.n_samples
    a, y = rec.activations[-1][s, j], rec.targets[s, j]
    if PAIRED.get(rec.loss_name) == act:
        per_n = " / n" if n > 1 else ""
        numbers = f"({num(a)} − {factor(y)}) / {n}" if n > 1 else f"{num(a)} − {factor(y)}"
        return (
            f"δ_{name} = (a − y){per_n} = {numbers} = {result(d)}<br>"
            f"    ({act} output paired with {rec.loss_name}: f′ cancels against ∂L/∂a)"
        )
    if act == "softmax":
        g = rec.grad_activations[-1][s]
        a_all = rec.activations[-1][s]
        inner = join_terms([f"{factor(a_all[k])}·{factor(g[k])}" for k in range(len(g))], cap=CAPTION_TERMS)
        return (
            f"δ_{name} = a_{name}·(∂L/∂a_{name} − Σₖ aₖ·∂L/∂aₖ)  (softmax Jacobian)<br>"
            f"    = {factor(a)} × ({num(g[j])} − ({inner})) = {result(d)}"
        )
    fp = rec.derivatives[-1][s, j]
    g = rec.grad_activations[-1][s, j]
    return f"δ_{name} = f′(z_{name}) · ∂L/∂a_{name} = {factor(fp)} × {factor(g)} = {result(d)}"


def _delta_hidden_text(
    rec: Record, layer: int, j: int, s: int, *, cap: int | None, per_line: int | None
) -> tuple[str, str]:
    """(δ line, ∂L/∂a line) of hidden neuron j of ``layer``: f′(z)·Σₖ wₖδₖ with the numbers."""
    sizes = rec.sizes
    name = neuron_name(sizes, layer, j)
    W_next = rec.weights[layer]  # (n_this, n_next)
    d_next = rec.deltas[layer][s]
    n_next = sizes[layer + 1]
    fp = rec.derivatives[layer - 1][s, j]
    ga = rec.grad_activations[layer - 1][s, j]
    d = rec.deltas[layer - 1][s, j]
    terms = [f"{factor(W_next[j, k])}·{factor(d_next[k])}" for k in range(n_next)]
    summed = join_terms(terms, cap=cap, per_line=per_line)
    symbolic = join_terms(
        [f"{weight_symbol(sizes, layer + 1, j, k)}·δ_{neuron_name(sizes, layer + 1, k)}" for k in range(n_next)],
        cap=CAPTION_TERMS,
    )
    bn = batch_norm_of(rec, layer)
    if bn is None:
        delta_line = f"δ_{name} = f′(z_{name}) · Σₖ wₖ δₖ = {factor(fp)} × ({summed}) = {result(d)}"
    else:  # ∂L/∂y first, then batch norm's three paths back to z
        paths = (bn.grad_input_via_x_hat[s, j], bn.grad_input_via_mean[s, j], bn.grad_input_via_var[s, j])
        delta_line = (
            f"∂L/∂y_{name} = f′(y_{name}) · Σₖ wₖ δₖ = {factor(fp)} × ({summed}) = {result(bn.grad_output[s, j])}<br>"
            f"δ_{name} = ∂L/∂z_{name} through batch norm, via x̂ + via μ + via σ²<br>"
            f"    = {' + '.join(factor(p) for p in paths)} = {result(d)}  (one neuron's view draws the three paths)"
        )
    grad_a_line = f"∂L/∂a_{name} = Σₖ wₖ δₖ = {symbolic}<br>    = {summed} = {result(ga)}"
    return delta_line, grad_a_line


def _fprime_line(rec: Record, layer: int, j: int, s: int) -> str:
    name = neuron_name(rec.sizes, layer, j)
    act = rec.activation_names[layer - 1]
    z, a = rec.preactivations[layer - 1][s, j], rec.activations[layer][s, j]
    fp = rec.derivatives[layer - 1][s, j]
    bn = batch_norm_of(rec, layer)
    if bn is not None:  # the activation's input is y, not z
        symbolic, numbers = derivative_text(act, bn.output[s, j], a)
        symbolic, numbers = symbolic.replace("z", "y"), numbers.replace("z", "y")
        mid = f" = {numbers}" if numbers else ""
        return f"f′(y_{name}) = {symbolic}{mid} = {result(fp)}"
    symbolic, numbers = derivative_text(act, z, a)
    if numbers.startswith("z ="):  # a piecewise f′: say which piece, after the value
        return f"f′(z_{name}) = {symbolic} = {result(fp)}  ({numbers})"
    mid = f" = {numbers}" if numbers else ""
    return f"f′(z_{name}) = {symbolic}{mid} = {result(fp)}"


def _batch_sum_text(xs: np.ndarray, ds: np.ndarray, total: float, what: str) -> str:
    """Σₛ over the batch written out (first terms): '= 0.1×0.02 + … = total'."""
    shown = CAPTION_TERMS + 1  # only the terms that are written (one more says that there are more)
    if xs is not None:
        terms = [f"{factor(x)}×{factor(d)}" for x, d in zip(xs[:shown], ds[:shown])]
    else:
        terms = [factor(d) for d in ds[:shown]]
    return f"{what} = {join_terms(terms, cap=CAPTION_TERMS)} = {result(total)}"


def _update_line(symbol: str, value: float, grad: float, new: float, frozen: bool, lr: float | None) -> str:
    if lr is None:
        return ""
    if frozen:
        return f"<br>{symbol} is held fixed (frozen): stays {result(value)}"
    return (
        f"<br>update: {symbol}⁺ = {symbol} − η·∂L/∂{symbol} = {num(value)} − {num(lr)} × {factor(grad)} = {result(new)}"
    )


def _loss_text(rec: Record, s: int, *, cap: int | None) -> str:
    """The loss of sample s written out per output (L, or Lₛ of a batch), and the batch mean L."""
    a, y = rec.activations[-1][s], rec.targets[s]
    n_out = len(a)
    if rec.loss_name == "mse":
        terms = [f"({num(a[k])} − {factor(y[k])})²" for k in range(n_out)]
        body = f"½[{join_terms(terms, cap=cap)}]" if n_out > 1 else f"½{terms[0]}"
    elif rec.loss_name == "bce":
        terms = [f"{factor(y[k])}·log {num(a[k])} + {factor(1 - y[k])}·log(1 − {num(a[k])})" for k in range(n_out)]
        body = f"−[{join_terms(terms, cap=cap)}]"
    else:
        hot = [k for k in range(n_out) if y[k] != 0] or [0]
        terms = [f"{factor(y[k])}·log {num(a[k])}" for k in hot]
        body = f"−({join_terms(terms, cap=cap)})"
    # One notation: the loss is L; within a batch, Lₛ is sample s's share before the mean.
    name = "L" if rec.n_samples == 1 else "Lₛ"
    text = f"{name} = {LOSS_FORM[rec.loss_name]} = {body} = {result(rec.sample_losses[s])}"
    if rec.n_samples > 1:
        text += f"<br>L = mean of Lₛ over the batch of {rec.n_samples} = {result(rec.loss)}"
    return text


_LAST_LAYOUT: list = []  # (record, sample, lr, lr_is_default, layout) of the last call


def network_layout(rec: Record, sample: int = 0, lr: float | None = None, lr_is_default: bool = False) -> NetworkLayout:
    """The network diagram of ``rec`` as plain data (the last one is remembered: a record is immutable, so
    an app that draws the diagram and the chain-rule panel of one record builds it once).

    See ``_network_layout``.
    """
    key = (sample, lr, lr_is_default)
    if _LAST_LAYOUT and _LAST_LAYOUT[0][0] is rec and _LAST_LAYOUT[0][1] == key:
        return _LAST_LAYOUT[0][2]
    lay = _network_layout(rec, sample, lr, lr_is_default)
    _LAST_LAYOUT[:] = [(rec, key, lay)]
    return lay


def _network_layout(rec: Record, sample: int, lr: float | None, lr_is_default: bool) -> NetworkLayout:
    """The network diagram of ``rec`` as plain data, showing sample ``sample``'s forward values.

    ``lr`` adds the update w⁺ = w − η·∂L/∂w (from ``rec.updated_parameters(lr)``) to the gradient
    hover texts (``lr_is_default``: the caller chose it, the captions say so). Inputs are trusted
    (the public figure functions validate them).
    """
    s = sample
    sizes = rec.sizes
    L = rec.n_layers
    n = rec.n_samples
    ys = _positions(sizes)
    batch = batch_note(rec, s)
    head_note = f" ({batch})" if batch else ""
    if lr is not None:
        new_w, new_b = rec.updated_parameters(lr)
    else:
        new_w, new_b = rec.weights, rec.biases

    nodes = []
    for layer, n_units in enumerate(sizes):
        row = []
        for j in range(n_units):
            name = neuron_name(sizes, layer, j)
            a = float(rec.activations[layer][s, j])
            head = f"<b>{name}</b>{head_note}<br>"
            if layer == 0:
                value_hover = f"{head}input {name} = {result(a)}"
                grad_hover = f"{head}input {name} = {result(a)}<br>inputs have no δ: nothing here is learned"
                row.append(
                    NodeData(
                        layer,
                        j,
                        float(layer),
                        float(ys[layer][j]),
                        name,
                        a,
                        np.nan,
                        np.nan,
                        result(a),
                        result(a),
                        result(a),
                        value_hover,
                        grad_hover,
                    )
                )
                continue
            delta = float(rec.deltas[layer - 1][s, j])
            grad_a = float(rec.grad_activations[layer - 1][s, j])
            z_line, a_line = _z_lines(rec, layer, j, s, per_line=HOVER_TERMS_PER_LINE, cap=None)
            value_hover = f"{head}{z_line}<br>{a_line}"
            if layer == L:
                value_hover += f"<br>target y{sub(j + 1)} = {result(rec.targets[s, j])}"
                grad_hover = f"{head}{_grad_a_output_text(rec, j, s)}<br>{_delta_output_text(rec, j, s)}"
                if PAIRED.get(rec.loss_name) != rec.activation_names[-1] and rec.activation_names[-1] != "softmax":
                    grad_hover += f"<br>{_fprime_line(rec, layer, j, s)}"
            else:
                delta_line, grad_a_line = _delta_hidden_text(rec, layer, j, s, cap=None, per_line=HOVER_TERMS_PER_LINE)
                grad_hover = f"{head}{delta_line}<br>{_fprime_line(rec, layer, j, s)}<br>{grad_a_line}"
            grad_hover += "<br>(δ means ∂L/∂z" + (f"; it holds the 1/{n} of the batch mean)" if n > 1 else ")")
            row.append(
                NodeData(
                    layer,
                    j,
                    float(layer),
                    float(ys[layer][j]),
                    name,
                    a,
                    delta,
                    grad_a,
                    result(a),
                    f"δ {result(delta)}",
                    f"∂L/∂a {result(grad_a)}",
                    value_hover,
                    grad_hover,
                )
            )
        nodes.append(tuple(row))

    edges, biases = [], []
    for layer in range(1, L + 1):
        W, G, F = rec.weights[layer - 1], rec.grad_weights[layer - 1], rec.frozen_weights[layer - 1]
        row = []
        for j in range(sizes[layer]):
            dst = neuron_name(sizes, layer, j)
            d_all = rec.deltas[layer - 1][:, j]
            for i in range(sizes[layer - 1]):
                src = neuron_name(sizes, layer - 1, i)
                a_sym = activation_symbol(sizes, layer - 1, i)
                sym = weight_symbol(sizes, layer, i, j)
                param = f"W{layer}[{i},{j}]"
                w, g, frozen = float(W[i, j]), float(G[i, j]), bool(F[i, j])
                new = float(new_w[layer - 1][i, j])
                x0, y0, x1, y1 = float(layer - 1), float(ys[layer - 1][i]), float(layer), float(ys[layer][j])
                held = "<br>held fixed (frozen)" if frozen else ""
                head = f"<b>{sym}</b> = {param}: {src} → {dst}<br>"
                a_src = rec.activations[layer - 1][:, i]  # (n_samples,)
                adds = f"adds {sym}·{a_sym} = {factor(w)} × {factor(a_src[s])} to z_{dst}"
                value_hover = f"{head}{sym} = {result(w)}<br>{adds}{held}"
                if n == 1:
                    grad_line = f"∂L/∂{sym} = {a_sym} · δ_{dst} = {factor(a_src[0])} × {factor(d_all[0])} = {result(g)}"
                else:
                    grad_line = _batch_sum_text(
                        rec.activations[layer - 1][:, i],
                        d_all,
                        g,
                        f"∂L/∂{sym} = Σₛ {a_sym}·δ_{dst} over the batch of {n}",
                    )
                grad_hover = f"{head}{grad_line}{_update_line(sym, w, g, new, frozen, lr)}"
                if lr is None and frozen:
                    grad_hover += held
                update_label = f"{result(w)} held" if frozen else f"{result(w)} → {result(new)}"
                t = EDGE_LABEL_T
                row.append(
                    EdgeData(
                        layer,
                        i,
                        j,
                        x0,
                        y0,
                        x1,
                        y1,
                        x0 + t * (x1 - x0),
                        y0 + t * (y1 - y0),
                        param,
                        sym,
                        w,
                        g,
                        new,
                        frozen,
                        result(w),
                        result(g),
                        update_label,
                        value_hover,
                        grad_hover,
                    )
                )
        edges.append(tuple(row))

        brow = []
        for j in range(sizes[layer]):
            dst = neuron_name(sizes, layer, j)
            sym = f"b_{dst}"
            param = f"b{layer}[{j}]"
            b, g = float(rec.biases[layer - 1][j]), float(rec.grad_biases[layer - 1][j])
            frozen = bool(rec.frozen_biases[layer - 1][j])
            new = float(new_b[layer - 1][j])
            held = " (held)" if frozen else ""
            head = f"<b>{sym}</b> = {param}<br>"
            value_hover = f"{head}{sym} = {result(b)}, added to z_{dst}" + ("<br>held fixed (frozen)" if frozen else "")
            if n == 1:
                grad_line = (
                    f"∂L/∂{sym} = ∂z_{dst}/∂{sym} · δ_{dst} = 1 × {factor(rec.deltas[layer - 1][0, j])} = {result(g)}"
                )
            else:
                grad_line = _batch_sum_text(
                    None, rec.deltas[layer - 1][:, j], g, f"∂L/∂{sym} = Σₛ δ_{dst} over the batch of {n}"
                )
            grad_hover = f"{head}{grad_line}{_update_line(sym, b, g, new, frozen, lr)}"
            if lr is None and frozen:
                grad_hover += "<br>held fixed (frozen)"
            brow.append(
                BiasData(
                    layer,
                    j,
                    float(layer),
                    float(ys[layer][j]),
                    param,
                    sym,
                    b,
                    g,
                    new,
                    frozen,
                    f"b {result(b)}{held}",
                    f"∂L/∂b {result(g)}{held}",
                    f"b {result(b)} held" if frozen else f"b {result(b)} → {result(new)}",
                    value_hover,
                    grad_hover,
                )
            )
        biases.append(tuple(brow))

    xl = L + LOSS_OFFSET
    loss_edges = []
    for j in range(sizes[-1]):
        name = neuron_name(sizes, L, j)
        x0, y0 = float(L), float(ys[L][j])
        t = 0.35  # these edges all end at the loss node, so their points never coincide; t < 0.5 keeps labels off L's
        y = rec.targets[s, j]
        ga = float(rec.grad_activations[-1][s, j])
        loss_edges.append(
            LossEdgeData(
                j,
                x0,
                y0,
                xl,
                0.0,
                x0 + t * (xl - x0),
                y0 + t * (0.0 - y0),
                ga,
                f"y {result(y)}",
                result(ga),
                f"<b>{name} → L</b>{head_note}<br>a_{name} = {result(rec.activations[-1][s, j])} "
                f"is compared with its target y{sub(j + 1)} = {result(y)}",
                f"<b>{name} → L</b>{head_note}<br>the error flowing back into {name}:"
                f"<br>{_grad_a_output_text(rec, j, s)}",
            )
        )
    loss_line = _loss_text(rec, s, cap=None)
    loss = LossData(
        xl,
        0.0,
        float(rec.loss),
        float(rec.sample_losses[s]),
        result(rec.loss),
        f"<b>L</b> ({rec.loss_name}){head_note}<br>{loss_line}",
        f"<b>L</b> ({rec.loss_name}){head_note}<br>∂L/∂L = 1: the backward pass starts here<br>{loss_line}",
    )

    vmax_values = finite_max_abs(*rec.weights, *rec.biases)
    # ∂L/∂a of the outputs stays off the scale: with bce or cross-entropy it is (a − y)/(a(1 − a)) or −y/a,
    # often far larger than any δ, and would wash every other colour out. Beyond the scale colours clip.
    vmax_grad = finite_max_abs(*(d[s] for d in rec.deltas), *rec.grad_weights, *rec.grad_biases)
    layout = NetworkLayout(
        sizes=sizes,
        activation_names=rec.activation_names,
        loss_name=rec.loss_name,
        n_samples=n,
        sample=s,
        lr=lr,
        nodes=tuple(nodes),
        edges=tuple(edges),
        biases=tuple(biases),
        loss_edges=tuple(loss_edges),
        loss=loss,
        vmax_values=vmax_values,
        vmax_gradients=vmax_grad,
        finite=record_is_finite(rec),
        description=describe(rec),
        forward_captions=forward_captions(rec, s),
        backward_captions=backward_captions(rec, s, 0.5 if lr is None else lr, lr_is_default or lr is None),
    )
    return layout


def _largest(values: np.ndarray) -> int:
    """The example a caption writes out: the first entry, unless it is negligible (a dead ReLU, a
    frozen weight), then the one with the largest finite |value|. The first keeps the classic
    hand-worked path (δ_o₁, w₅, δ_h₁, w₁) on screen."""
    mags = np.where(np.isfinite(values), np.abs(values), -1.0)
    best = int(np.argmax(mags))
    return 0 if mags[0] >= 0.05 * mags[best] and mags[0] > 0 else best


def forward_captions(rec: Record, s: int) -> tuple[str, ...]:
    """One caption per forward frame: the inputs, each layer (its most active neuron as the example), the loss."""
    L = rec.n_layers
    batch = batch_note(rec, s)
    xs = ", ".join(num(v) for v in rec.activations[0][s][:8]) + (", …" if rec.sizes[0] > 8 else "")
    caps = [f"Step 0: the inputs x = ({xs})" + (f", {batch}" if batch else "")]
    for layer in range(1, L + 1):
        act = ACTIVATION_SYMBOL[rec.activation_names[layer - 1]]
        j = _largest(rec.preactivations[layer - 1][s])
        z_line, a_line = _z_lines(rec, layer, j, s, per_line=None, cap=CAPTION_TERMS)
        z_line = z_line.replace("<br>    ", " ")
        kind = "output layer" if layer == L else f"hidden layer {layer}" if L > 2 else "hidden layer"
        caps.append(f"Step {layer}: {kind}, z = a·W + b, a = {act}(z)<br>e.g. {z_line}<br>{a_line}")
    loss = _loss_text(rec, s, cap=CAPTION_TERMS).replace("<br>", " · ")
    caps.append(f"Step {L + 1}: the loss compares the outputs with the targets<br>{loss}")
    return tuple(caps)


def backward_captions(rec: Record, s: int, lr: float, lr_is_default: bool = False) -> tuple[str, ...]:
    """One caption per backward frame: output error, each layer's δ and ∂L/∂W, the update.

    Each writes out one example, the neuron with the largest |δ| and its largest gradient, so
    that the numbers on screen are the ones that matter.
    """
    sizes, L = rec.sizes, rec.n_layers
    j = _largest(rec.grad_activations[-1][s])
    caps = [
        f"Step 1: the output error ∂L/∂a = {GRAD_A_FORM[rec.loss_name]} ({rec.loss_name})"
        f"<br>e.g. {_grad_a_output_text(rec, j, s)}"
    ]
    step = 2
    for layer in range(L, 0, -1):
        j = _largest(rec.deltas[layer - 1][s])
        name = neuron_name(sizes, layer, j)
        if layer == L:
            delta = _delta_output_text(rec, j, s).replace("<br>    ", " ")
            rule = "δ = f′(z) ⊙ ∂L/∂a" if PAIRED.get(rec.loss_name) != rec.activation_names[-1] else "δ = a − y"
            head = f"Step {step}: output layer, {rule}; ∂L/∂W{layer} = aᵀ·δ"
        else:
            delta, _ = _delta_hidden_text(rec, layer, j, s, cap=CAPTION_TERMS, per_line=None)
            if batch_norm_of(rec, layer) is None:
                rule = "δ = f′(z) ⊙ (Σₖ wₖ δₖ)"
            else:
                rule = "∂L/∂y = f′(y) ⊙ (Σₖ wₖ δₖ), then δ through batch norm's three paths"
                delta = delta.replace("<br>    ", " ").replace("<br>", "; ")
            head = f"Step {step}: layer {layer}, {rule}, the error sent back through the weights; ∂L/∂W{layer} = aᵀ·δ"
        i = _largest(rec.grad_weights[layer - 1][:, j])
        sym = weight_symbol(sizes, layer, i, j)
        a_sym = activation_symbol(sizes, layer - 1, i)
        g = rec.grad_weights[layer - 1][i, j]
        if rec.n_samples == 1:
            a, d = rec.activations[layer - 1][0, i], rec.deltas[layer - 1][0, j]
            grad = f"∂L/∂{sym} = {a_sym} · δ_{name} = {factor(a)} × {factor(d)} = {result(g)}"
        else:
            grad = _batch_sum_text(
                rec.activations[layer - 1][:, i],
                rec.deltas[layer - 1][:, j],
                g,
                f"∂L/∂{sym} = Σₛ {a_sym}·δ_{name} (batch of {rec.n_samples})",
            )
        caps.append(f"{head}<br>e.g. {delta}<br>{grad}")
        step += 1
    default = " (the default: no lr given)" if lr_is_default else ""
    new_w, _ = rec.updated_parameters(lr)
    G = np.where(rec.frozen_weights[-1], np.nan, rec.grad_weights[-1])
    i, j = np.unravel_index(_largest(G.ravel()), G.shape)
    sym = weight_symbol(sizes, L, int(i), int(j))
    w, g = rec.weights[-1][i, j], rec.grad_weights[-1][i, j]
    if rec.frozen_weights[-1][i, j]:
        example = f"{sym} is held fixed (frozen): stays {result(w)}"
    else:
        example = f"{sym}⁺ = {num(w)} − {num(lr)} × {factor(g)} = {result(new_w[-1][i, j])}"
    frozen = _frozen_summary(rec)
    tail = f"; held fixed: {frozen}" if frozen else ""
    if any(batch_norm_of(rec, layer) is not None for layer in range(1, L)):
        tail += "; batch norm's γ and β too, γ ← γ − η·∂L/∂γ, β ← β − η·∂L/∂β"
    caps.append(
        f"Step {step}: update every weight, w ← w − η·∂L/∂w with η = {num(lr)}{default}<br>e.g. {example}{tail}"
    )
    return tuple(caps)


def _frozen_summary(rec: Record) -> str:
    """'b1, b2' (whole tensors) or a few names of the frozen parameters."""
    parts = []
    for layer, (fw, fb) in enumerate(zip(rec.frozen_weights, rec.frozen_biases), start=1):
        for kind, flags in (("W", fw), ("b", fb)):
            if flags.all():
                parts.append(f"{kind}{layer}")
            elif flags.any():
                idx = np.argwhere(flags)
                parts += [f"{kind}{layer}[{','.join(str(int(v)) for v in ix)}]" for ix in idx[:3]]
                if len(idx) > 3:
                    parts.append("…")
    return ", ".join(parts)


# --------------------------------------------------------------------------- what is lit, frame by frame
@dataclass
class Look:
    """What each element of a network diagram shows in one still or one frame (shared by every drawing).

    edges/biases: "dim" | "value" | "grad" | "update"; nodes: "blank" | "value" | "grad_a" | "delta";
    loss and loss edges: "dim" | "value" | "grad". ``current`` is the highlighted layer (or "loss").
    """

    edges: dict[int, str]  # per weight layer 1..L
    biases: dict[int, str]
    nodes: dict[int, str]  # per layer 0..L
    loss: str
    current: int | str | None = None
    caption: str = ""
    output_nodes: str | None = None  # overrides nodes[L] (frame 0 of the backward pass: ∂L/∂a)


def backward_looks(lay: NetworkLayout) -> list[Look]:
    """The n_layers + 2 looks of the backward pass: ∂L/∂a at the outputs, one more δ layer each, the update."""
    L = lay.n_layers
    weight_layers = range(1, L + 1)
    states = [
        Look(
            edges=dict.fromkeys(weight_layers, "dim"),
            biases=dict.fromkeys(weight_layers, "dim"),
            nodes={0: "value", **dict.fromkeys(weight_layers, "blank")},
            loss="grad",
            current=L,
            output_nodes="grad_a",
            caption=lay.backward_captions[0],
        )
    ]
    for k in range(1, L + 1):
        lit = L - k + 1  # the layer whose δ this frame shows
        states.append(
            Look(
                edges={layer: "grad" if layer >= lit else "dim" for layer in weight_layers},
                biases={layer: "grad" if layer >= lit else "dim" for layer in weight_layers},
                nodes={0: "value", **{layer: "delta" if layer >= lit else "blank" for layer in weight_layers}},
                loss="grad",
                current=lit,
                caption=lay.backward_captions[k],
            )
        )
    states.append(
        Look(
            edges=dict.fromkeys(weight_layers, "update"),
            biases=dict.fromkeys(weight_layers, "update"),
            nodes={0: "value", **dict.fromkeys(weight_layers, "delta")},
            loss="grad",
            current=None,
            caption=lay.backward_captions[L + 1],
        )
    )
    return states


def forward_looks(lay: NetworkLayout) -> list[Look]:
    """The n_layers + 2 looks of the forward pass: the inputs, one more layer each, the loss."""
    L = lay.n_layers
    looks = []
    for k in range(L + 2):
        lit = min(k, L)
        looks.append(
            Look(
                edges={layer: "value" if layer <= lit else "dim" for layer in range(1, L + 1)},
                biases={layer: "value" if layer <= lit else "dim" for layer in range(1, L + 1)},
                nodes={layer: "value" if layer <= lit else "blank" for layer in range(L + 1)},
                loss="value" if k == L + 1 else "dim",
                current="loss" if k == L + 1 else k,
                caption=lay.forward_captions[k],
            )
        )
    return looks


STILL_TITLES = {
    "values": "Forward pass: activations a on the neurons, weights w on the edges",
    "gradients": "Backward pass: δ = ∂L/∂z on the neurons, ∂L/∂w on the edges",
}


def still_look(lay: NetworkLayout, mode: str) -> Look:
    """Everything lit at once: the forward values (``values``) or every gradient (``gradients``)."""
    layers = range(1, lay.n_layers + 1)
    if mode == "gradients":
        return Look(
            edges=dict.fromkeys(layers, "grad"),
            biases=dict.fromkeys(layers, "grad"),
            nodes={0: "value", **dict.fromkeys(layers, "delta")},
            loss="grad",
        )
    return Look(
        edges=dict.fromkeys(layers, "value"),
        biases=dict.fromkeys(layers, "value"),
        nodes=dict.fromkeys(range(lay.n_layers + 1), "value"),
        loss="value",
    )


# --------------------------------------------------------------------------- one neuron as a circuit
@dataclass(frozen=True)
class GraphNode:
    """One node of the neuron's computational graph: a value (leaf) or an operation's output."""

    key: str  # "a0", "w0", "mul0", "b", "add", "act", "loss", "next"
    kind: str  # "leaf", "op", "loss", "next"
    x: float
    y: float
    symbol: str  # drawn inside: x₁, w₁, ×, +, σ, L
    value: float  # forward value (NaN for the "next layer" stub)
    grad: float  # ∂L/∂(this node) (NaN for the stub)
    value_label: str
    grad_label: str
    hover: str
    customdata: str  # the parameter name for weights and biases, else the key


@dataclass(frozen=True)
class GraphLayout:
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]  # (from key, to key), forward direction
    title: str
    notes: tuple[str, ...]  # what the figure should say once (batch, computed shares)
    vmax: float
    finite: bool
    rows: int  # leaf rows, for the figure's height


def neuron_graph(rec: Record, layer: int, neuron: int, sample: int = 0) -> GraphLayout:
    """The circuit of neuron ``neuron`` of ``layer`` (1..L): aᵢ, wᵢ → × → + (with b) → f → (L).

    Each node carries its forward value and ∂L/∂(node) for sample ``sample``. For a batch the
    weight and bias nodes show this sample's share aᵢ·δ and δ; the hover adds the batch total.
    """
    s, sizes, L = sample, rec.sizes, rec.n_layers
    if batch_norm_of(rec, layer) is not None:
        raise ValueError(
            f"layer {layer} has batch norm: batchnorm_diagram(record, {layer}, {neuron}) draws its neuron, the three "
            "paths back through x̂, μ and σ² included"
        )
    n = rec.n_samples
    j = neuron
    n_in = sizes[layer - 1]
    name = neuron_name(sizes, layer, j)
    act = rec.activation_names[layer - 1]
    W, b = rec.weights[layer - 1], rec.biases[layer - 1]
    a_prev = rec.activations[layer - 1][s]
    d = float(rec.deltas[layer - 1][s, j])
    z = float(rec.preactivations[layer - 1][s, j])
    a = float(rec.activations[layer][s, j])
    ga = float(rec.grad_activations[layer - 1][s, j])
    y_mid = -float(n_in)  # the centre of the 2·n_in + 1 leaf rows
    batch = batch_note(rec, s)
    dz = f"δ_{name}"

    nodes, edges = [], []
    with np.errstate(all="ignore"):
        products = [float(a_prev[i] * W[i, j]) for i in range(n_in)]  # not in the record: the terms of z
        shares = [float(W[i, j] * d) for i in range(n_in)]  # ∂L/∂aᵢ through this neuron only
        w_shares = [float(a_prev[i] * d) for i in range(n_in)]  # this sample's ∂L/∂wᵢ
    for i in range(n_in):
        a_sym = activation_symbol(sizes, layer - 1, i)
        w_sym = weight_symbol(sizes, layer, i, j)
        param = f"W{layer}[{i},{j}]"
        prev = neuron_name(sizes, layer - 1, i)
        all_paths = ""
        if layer > 1:
            all_paths = f"<br>over all paths (recorded): ∂L/∂a_{prev} = {result(rec.grad_activations[layer - 2][s, i])}"
        nodes.append(
            GraphNode(
                f"a{i}",
                "leaf",
                0.0,
                -2.0 * i,
                prev,
                float(a_prev[i]),
                shares[i],
                result(a_prev[i]),
                f"grad {result(shares[i])}",
                f"<b>{a_sym}</b> = {result(a_prev[i])}"
                + (" (input)" if layer == 1 else f" (output of {prev})")
                + f"<br>local derivative ∂({w_sym}·{a_sym})/∂{a_sym} = {w_sym} = {result(W[i, j])}"
                + f"<br>∂L/∂{a_sym} through {name} = {w_sym} · {dz} = {factor(W[i, j])} × {factor(d)} = "
                + result(shares[i])
                + f"<br>(the other neurons of layer {layer} add their own shares){all_paths}",
                f"a{i}",
            )
        )
        g_total = float(rec.grad_weights[layer - 1][i, j])  # the batch's, as recorded
        if n == 1:
            w_grad_text = f"∂L/∂{w_sym} = {a_sym} · {dz} = {factor(a_prev[i])} × {factor(d)} = {result(g_total)}"
            w_grad = g_total
        else:
            w_grad = w_shares[i]
            w_grad_text = (
                f"this sample: {a_sym} · {dz} = {factor(a_prev[i])} × {factor(d)} = {result(w_shares[i])}"
                f"<br>whole batch (recorded): ∂L/∂{w_sym} = Σₛ {a_sym}·{dz} = {result(g_total)}"
            )
        held = "<br>held fixed (frozen)" if rec.frozen_weights[layer - 1][i, j] else ""
        nodes.append(
            GraphNode(
                f"w{i}",
                "leaf",
                0.0,
                -2.0 * i - 1.0,
                w_sym,
                float(W[i, j]),
                w_grad,
                result(W[i, j]),
                f"grad {result(w_grad)}",
                f"<b>{w_sym}</b> = {param} = {result(W[i, j])}"
                f"<br>local derivative ∂({w_sym}·{a_sym})/∂{w_sym} = {a_sym} = {result(a_prev[i])}"
                f"<br>{w_grad_text}{held}",
                param,
            )
        )
        nodes.append(
            GraphNode(
                f"mul{i}",
                "op",
                1.0,
                -2.0 * i - 0.5,
                "×",
                products[i],
                d,
                result(products[i]),
                f"grad {result(d)}",
                f"<b>{w_sym}·{a_sym}</b> = {factor(W[i, j])} × {factor(a_prev[i])} = {result(products[i])}"
                f"<br>local derivative ∂z_{name}/∂({w_sym}·{a_sym}) = 1"
                f"<br>∂L/∂({w_sym}·{a_sym}) = 1 × {dz} = {result(d)}",
                f"mul{i}",
            )
        )
        edges += [(f"a{i}", f"mul{i}"), (f"w{i}", f"mul{i}"), (f"mul{i}", "add")]

    b_sym = f"b_{name}"
    if n == 1:
        b_grad, b_text = (
            float(rec.grad_biases[layer - 1][j]),
            f"∂L/∂{b_sym} = 1 × {dz} = {result(rec.grad_biases[layer - 1][j])}",
        )
    else:
        b_grad = d
        b_text = (
            f"this sample: 1 × {dz} = {result(d)}<br>whole batch (recorded): ∂L/∂{b_sym} = Σₛ {dz} = "
            f"{result(rec.grad_biases[layer - 1][j])}"
        )
    held = "<br>held fixed (frozen)" if rec.frozen_biases[layer - 1][j] else ""
    nodes.append(
        GraphNode(
            "b",
            "leaf",
            1.0,  # beside the × nodes, so its line to + does not cross their labels
            -2.0 * n_in,
            b_sym,
            float(b[j]),
            b_grad,
            result(b[j]),
            f"grad {result(b_grad)}",
            f"<b>{b_sym}</b> = b{layer}[{j}] = {result(b[j])}"
            f"<br>local derivative ∂z_{name}/∂{b_sym} = 1<br>{b_text}{held}",
            f"b{layer}[{j}]",
        )
    )
    edges.append(("b", "add"))

    z_terms = join_terms([factor(p) for p in products] + [factor(b[j])], per_line=HOVER_TERMS_PER_LINE)
    if layer == L:
        if PAIRED.get(rec.loss_name) == act:
            delta_text = _delta_output_text(rec, j, s)
        elif act == "softmax":
            delta_text = _delta_output_text(rec, j, s)
        else:
            delta_text = f"{_fprime_line(rec, layer, j, s)}<br>{_delta_output_text(rec, j, s)}"
    else:
        fp = rec.derivatives[layer - 1][s, j]
        delta_text = (
            f"{_fprime_line(rec, layer, j, s)}"
            f"<br>δ_{name} = f′(z_{name}) · ∂L/∂a_{name} = {factor(fp)} × {factor(ga)} = {result(d)}"
        )
    nodes.append(
        GraphNode(
            "add",
            "op",
            2.0,
            y_mid,
            "+",
            z,
            d,
            result(z),
            f"grad {result(d)}",
            f"<b>z_{name}</b> = Σᵢ wᵢ·aᵢ + b = {z_terms} = {result(z)}<br>{delta_text}",
            "add",
        )
    )
    edges.append(("add", "act"))

    sym = ACTIVATION_SYMBOL[act]
    if layer == L:
        grad_a_text = _grad_a_output_text(rec, j, s)
    else:
        _, grad_a_text = _delta_hidden_text(rec, layer, j, s, cap=None, per_line=HOVER_TERMS_PER_LINE)
    a_value = f"σ({num(z)})" if act == "sigmoid" else f"{sym}({num(z)})"
    nodes.append(
        GraphNode(
            "act",
            "op",
            3.0,
            y_mid,
            sym,
            a,
            ga,
            result(a),
            f"grad {result(ga)}",
            f"<b>a_{name}</b> = {a_value} = {result(a)}"
            f"<br>local derivative {_fprime_line(rec, layer, j, s)}<br>{grad_a_text}",
            "act",
        )
    )

    notes = []
    if layer == L:
        loss_hover = (
            f"<b>L</b> ({rec.loss_name})<br>{_loss_text(rec, s, cap=None)}<br>∂L/∂L = 1: the backward pass starts here"
        )
        if sizes[-1] > 1:
            loss_hover += f"<br>(the other outputs feed L too; only {name} is drawn)"
        shown_loss = float(rec.sample_losses[s]) if n > 1 else float(rec.loss)
        nodes.append(
            GraphNode(
                "loss", "loss", 4.0, y_mid, "L", shown_loss, 1.0, result(shown_loss), "grad +1", loss_hover, "loss"
            )
        )
        edges.append(("act", "loss"))
    else:
        nxt = ", ".join(neuron_name(sizes, layer + 1, k) for k in range(min(sizes[layer + 1], 3)))
        if sizes[layer + 1] > 3:
            nxt += ", …"
        nodes.append(
            GraphNode(
                "next",
                "next",
                4.0,
                y_mid,
                "⋯",
                np.nan,
                np.nan,
                f"to {nxt}",
                "Σ w·δ",
                f"<b>layer {layer + 1}</b>: a_{name} feeds {nxt}<br>their δ come back as ∂L/∂a_{name} = Σₖ wₖ δₖ",
                "next",
            )
        )
        edges.append(("act", "next"))
    if n > 1:
        notes.append(f"{batch}: weights and biases show this sample's share; hover for the batch total")

    grads = [nd.grad for nd in nodes if nd.kind in ("leaf", "op")]  # ∂L/∂L = 1 would set the scale alone
    vmax = finite_max_abs(np.array(grads, dtype=float))
    finite = bool(np.all(np.isfinite([v for nd in nodes if nd.kind != "next" for v in (nd.value, nd.grad)])))
    kind = "output" if layer == L else "hidden"
    title = f"One {kind} neuron as a circuit: {name} (layer {layer}, neuron {j + 1})" + (f", {batch}" if batch else "")
    return GraphLayout(tuple(nodes), tuple(edges), title, tuple(notes), vmax, finite, 2 * n_in + 1)
