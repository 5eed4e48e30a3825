"""One step of backpropagation written out like a textbook worked example, as Markdown + LaTeX.

``worked_derivation(rec)`` returns Markdown whose ``$...$`` and ``$$...$$`` JupyterLab's MathJax
renders (``IPython.display.Markdown(text)``): the forward pass with the numbers substituted, the
error, the output δ, each hidden δ term by term, each gradient and each update. Every number is
read from the record; the only ones computed here are the per-output terms of the loss (the
record stores each sample's total) and the update's new values come from
``rec.updated_parameters(lr)``.
"""

from __future__ import annotations

import re

import numpy as np

from .._validate import positive_int
from ..engine.network import Record
from ._layout import PAIRED, batch_norm_of, check_common, check_lr, weight_number
from .style import fmt_plain, split_power

_ACT_TEX = {
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\mathrm{ReLU}",
    "leaky_relu": r"\mathrm{LReLU}",
    "identity": r"\mathrm{id}",
    "softmax": r"\mathrm{softmax}",
}
_ACT_WORD = {
    "sigmoid": "sigmoid σ",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "identity": "identity",
    "softmax": "softmax",
}
_LOSS_TEX = {
    "mse": r"\tfrac{1}{2}\sum_k (a_{o_k} - y_k)^2",
    "bce": r"-\sum_k \left[y_k \log a_{o_k} + (1 - y_k)\log(1 - a_{o_k})\right]",
    "cross_entropy": r"-\sum_k y_k \log a_{o_k}",
}


class _Tex:
    """Names and numbers in LaTeX for one record (``digits`` significant digits)."""

    def __init__(self, rec: Record, digits: int):
        self.rec = rec
        self.digits = digits
        self.L = rec.n_layers

    def n(self, value: float) -> str:
        """A number: 0.5933, -0.0381, 1.2 \\times 10^{-5}, \\text{NaN}, \\infty."""
        text = fmt_plain(float(value) + 0.0, self.digits)  # + 0.0: a negative zero prints as 0
        if text in ("NaN",):
            return r"\text{NaN}"
        text = text.replace("+∞", r"\infty").replace("∞", r"\infty").replace("−", "-")
        mantissa, power = split_power(text)
        if power is not None:
            text = rf"{mantissa} \times 10^{{{power}}}"
        return text

    def f(self, value: float) -> str:
        """A factor: negative numbers in parentheses."""
        text = self.n(value)
        return f"({text})" if text.startswith("-") else text

    def neuron(self, layer: int, j: int) -> str:
        if layer == 0:
            return f"x_{{{j + 1}}}"
        if layer == self.L:
            return f"o_{{{j + 1}}}"
        if self.L == 2:
            return f"h_{{{j + 1}}}"
        return f"h^{{({layer})}}_{{{j + 1}}}"

    def a(self, layer: int, j: int) -> str:
        return self.neuron(0, j) if layer == 0 else f"a_{{{self.neuron(layer, j)}}}"

    def z(self, layer: int, j: int) -> str:
        return f"z_{{{self.neuron(layer, j)}}}"

    def d(self, layer: int, j: int) -> str:
        return rf"\delta_{{{self.neuron(layer, j)}}}"

    def w(self, layer: int, i: int, j: int) -> str:
        return f"w_{{{weight_number(self.rec.sizes, layer, i, j)}}}"

    def b(self, layer: int, j: int) -> str:
        return f"b_{{{self.neuron(layer, j)}}}"

    @staticmethod
    def partial(of: str) -> str:
        return rf"\frac{{\partial L}}{{\partial {of}}}"


def _block(lines: list[str]) -> str:
    """A display-math block of aligned equations (blank lines around it, as Markdown needs)."""
    body = " \\\\\n".join(lines)
    return f"\n$$\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}\n$$\n"


def _sum(terms: list[str], cap: int) -> str:
    if len(terms) > cap:
        terms = terms[:cap] + [r"\dots"]
    return " + ".join(terms)


def _derivative(t: _Tex, name: str, z: float, a: float) -> tuple[str, str]:
    """(symbolic, substituted) f′ in LaTeX."""
    if name in ("sigmoid", "softmax"):
        return "a(1 - a)", rf"{t.f(a)}\,(1 - {t.f(a)})"
    if name == "tanh":
        return "1 - a^2", f"1 - {t.f(a)}^2"
    if name == "relu":
        return r"1 \text{ if } z > 0 \text{ else } 0", rf"\quad (z = {t.n(z)})"
    if name == "leaky_relu":
        return r"1 \text{ if } z > 0 \text{ else } 0.01", rf"\quad (z = {t.n(z)})"
    return "1", ""


def _split(substituted: str) -> tuple[str, str]:
    """(' = numbers' before the value, a note after it): a piecewise f′ names its piece after the value."""
    if substituted.startswith(r"\quad"):
        return "", substituted
    return (f" = {substituted}" if substituted else ""), ""


def _shown(width: int, cap: int) -> range:
    return range(min(width, cap))


def _more(width: int, cap: int, what: str) -> str:
    if width <= cap:
        return ""
    return (
        f"\n*{what} has {width} neurons; the first {cap} are written out, the others follow the same pattern "
        f"(all numbers are in the record).*\n"
    )


def worked_derivation(
    record,
    lr: float = 0.5,
    *,
    sample: int = 0,
    max_neurons: int = 4,
    digits: int = 4,
    sections: tuple[int, ...] | None = None,
) -> str:
    """The record as a worked example: forward, error, δ, gradients, update, numbers substituted.

        zˡ = aˡ⁻¹Wˡ + bˡ, aˡ = f(zˡ);  δᴸ = f′(zᴸ) ⊙ ∂L/∂aᴸ;  δˡ = f′(zˡ) ⊙ (Wˡ⁺¹ δˡ⁺¹);
        ∂L/∂wˡᵢⱼ = aˡ⁻¹ᵢ δˡⱼ;  w⁺ = w − η ∂L/∂w

    Parameters
    ----------
    record: a ``Record`` from ``Network.backprop(X, y)``.
    lr: the learning rate η of the update (> 0).
    sample: which sample of a batch record the forward pass and δ are written for (the gradients
        are the batch's).
    max_neurons: at most this many neurons (and terms of a sum) per layer are written out.
    digits: significant digits of every number.
    sections: only these numbered sections (1 the forward pass … the update last), for a slide each;
        the heading comes with section 1. None: the whole derivation.

    Returns Markdown with LaTeX (``$...$``, ``$$...$$``) for ``IPython.display.Markdown``.
    """
    check_common(record, sample=sample)
    if any(batch_norm_of(record, layer) is not None for layer in range(1, record.n_layers + 1)):
        raise ValueError(
            "record has batch norm, and the worked derivation is written for a network without it: the diagram's "
            "hovers and one neuron's batch-norm view (batchnorm_diagram) write its numbers"
        )
    lr = check_lr(lr, allow_none=False)
    max_neurons = positive_int(max_neurons, "max_neurons")
    digits = positive_int(digits, "digits")
    if digits > 12:
        raise ValueError(f"digits must be an integer from 1 to 12; got {digits!r}")
    if sections is not None and (
        not isinstance(sections, tuple) or not sections or not all(isinstance(k, int) and 1 <= k <= 6 for k in sections)
    ):
        raise ValueError(f"sections must be a tuple of section numbers from 1 to 6, or None; got {sections!r}")
    rec, s, cap = record, int(sample), max_neurons
    t = _Tex(rec, digits)
    L, sizes, n = rec.n_layers, rec.sizes, rec.n_samples
    out: list[str] = []

    # ------------------------------------------------------------------ heading and conventions
    arch = "-".join(str(v) for v in sizes)
    hidden = sorted(set(rec.activation_names[:-1]), key=rec.activation_names.index)
    acts = ", ".join(_ACT_WORD[h] for h in hidden) + " hidden, " if hidden else ""
    out.append(
        f"### One step of backpropagation, worked by hand\n\n*A {arch} network: {acts}"
        f"{_ACT_WORD[rec.activation_names[-1]]} output, {rec.loss_name} loss.*"
    )
    x = ", ".join(t.n(v) for v in rec.inputs[s])
    y = ", ".join(t.n(v) for v in rec.targets[s])
    who = f"sample {s + 1} of a batch of {n}" if n > 1 else "one sample"
    out.append(f"\nInput $x = ({x})$, target $y = ({y})$ ({who}).")
    conv = [
        r"$z$ is a neuron's weighted input, $a = f(z)$ its output, and $\delta = \partial L / \partial z$ "
        "(δ is the error signal of a neuron).",
        "Weights are numbered as in the classic hand-worked example: by layer, then by the neuron they feed, then "
        f"by the neuron they come from; so ${t.w(L, 0, 0)}$ is `W{L}[0,0]`, from "
        f"${t.neuron(L - 1, 0)}$ to ${t.neuron(L, 0)}$.",
    ]
    if rec.loss_name == "mse":
        conv.append(r"The mse loss carries a $\tfrac12$, so that its derivative is simply $a - y$.")
    if n > 1:
        conv.append(
            f"The loss is the **mean** over the {n} samples, so every δ and every gradient below carries a "
            f"factor $1/{n}$; the gradients add up the samples."
        )
    if PAIRED.get(rec.loss_name) == rec.activation_names[-1]:
        conv.append(
            f"With a {rec.activation_names[-1]} output and {rec.loss_name} loss the derivative of the output "
            r"cancels: $\delta_{o} = a - y$" + (f" (÷ {n})" if n > 1 else "") + "."
        )
    out.append("\n**Conventions.** " + " ".join(conv))

    # ------------------------------------------------------------------ 1. forward pass
    out.append("\n#### 1. Forward pass: $z = \\sum_i w_i a_i + b$, $a = f(z)$")
    for layer in range(1, L + 1):
        act = rec.activation_names[layer - 1]
        kind = "output layer" if layer == L else f"hidden layer {layer}"
        out.append(f"\n**Layer {layer}** ({kind}, {_ACT_WORD[act]}):")
        W, b = rec.weights[layer - 1], rec.biases[layer - 1]
        a_prev = rec.activations[layer - 1][s]
        lines = []
        for j in _shown(sizes[layer], cap):
            n_in = sizes[layer - 1]
            sym = _sum([f"{t.w(layer, i, j)}\\,{t.a(layer - 1, i)}" for i in range(n_in)], cap) + f" + {t.b(layer, j)}"
            num = _sum([rf"{t.f(W[i, j])} \cdot {t.f(a_prev[i])}" for i in range(n_in)], cap) + f" + {t.f(b[j])}"
            z = rec.preactivations[layer - 1][s, j]
            a = rec.activations[layer][s, j]
            lines.append(f"{t.z(layer, j)} &= {sym} = {num} = {t.n(z)}")
            if act == "softmax":
                lines.append(rf"{t.a(layer, j)} &= \frac{{e^{{{t.z(layer, j)}}}}}{{\sum_k e^{{z_{{o_k}}}}}} = {t.n(a)}")
            else:
                lines.append(
                    rf"{t.a(layer, j)} &= {_ACT_TEX[act]}({t.z(layer, j)}) = {_ACT_TEX[act]}({t.n(z)}) = {t.n(a)}"
                )
        out.append(_block(lines))
        out.append(_more(sizes[layer], cap, f"Layer {layer}"))

    # ------------------------------------------------------------------ 2. the error
    loss = "L" if n == 1 else "L_s"  # one notation: the loss is L; in a batch, L_s is sample s's
    out.append(f"\n#### 2. The error: ${loss} = {_LOSS_TEX[rec.loss_name]}$")
    a_out, y_out = rec.activations[-1][s], rec.targets[s]
    lines = []
    with np.errstate(all="ignore"):
        # Per-output terms of the loss: the record keeps only each sample's sum, so they are computed here.
        if rec.loss_name == "mse":
            terms = 0.5 * (a_out - y_out) ** 2
            texts = [rf"\tfrac12 ({t.n(a_out[k])} - {t.f(y_out[k])})^2" for k in range(len(a_out))]
        elif rec.loss_name == "bce":
            terms = -(y_out * np.log(a_out) + (1 - y_out) * np.log(1 - a_out))
            texts = [
                rf"-[{t.f(y_out[k])} \log {t.n(a_out[k])} + {t.f(1 - y_out[k])} \log(1 - {t.n(a_out[k])})]"
                for k in range(len(a_out))
            ]
        else:
            terms = -(np.where(y_out != 0, y_out * np.log(a_out), 0.0))
            texts = [rf"-{t.f(y_out[k])} \log {t.n(a_out[k])}" for k in range(len(a_out))]
    shown = [k for k in range(len(a_out)) if rec.loss_name != "cross_entropy" or y_out[k] != 0][:cap]
    for k in shown:
        lines.append(f"L_{{{t.neuron(L, k)}}} &= {texts[k]} = {t.n(terms[k])}")
    if len(shown) == 1:  # one term: the sum line would only repeat it
        lines[-1] = ("L = " if n == 1 else "") + lines[-1]
    total = (
        _sum([t.n(terms[k]) for k in shown], cap)
        if len(shown) < len(a_out) and rec.loss_name != "cross_entropy"
        else " + ".join(t.n(terms[k]) for k in shown)
    )
    if len(shown) > 1:
        lines.append(f"{loss} &= {total} = {t.n(rec.sample_losses[s])}")
    if n > 1:
        lines.append(
            rf"L &= \tfrac{{1}}{{{n}}} \sum_s L_s = \tfrac{{1}}{{{n}}}("
            + _sum([t.n(v) for v in rec.sample_losses], cap)
            + f") = {t.n(rec.loss)}"
        )
    out.append(_block(lines))
    if rec.loss_name == "cross_entropy":
        out.append("\n*Only the target class has $y_k \\ne 0$, so only its term is written.*\n")
    else:
        out.append(_more(sizes[-1], cap, "The output layer"))

    # ------------------------------------------------------------------ 3. output δ
    act = rec.activation_names[-1]
    out.append(r"#### 3. The output error: $\delta_o = \partial L/\partial z_o$")
    lines = []
    per_n = f"/{n}" if n > 1 else ""

    def paren(text: str) -> str:  # (a − y)/n needs its parentheses, a − y alone does not
        return f"({text}){per_n}" if n > 1 else text

    for j in _shown(sizes[-1], cap):
        a, yv = rec.activations[-1][s, j], rec.targets[s, j]
        ga, d = rec.grad_activations[-1][s, j], rec.deltas[-1][s, j]
        o = t.a(L, j)
        if PAIRED.get(rec.loss_name) == act:
            lines.append(
                rf"{t.d(L, j)} &= {paren(f'{o} - y_{{{j + 1}}}')} = {paren(f'{t.n(a)} - {t.f(yv)}')} = {t.n(d)}"
            )
            continue
        if rec.loss_name == "mse":
            lines.append(
                rf"{t.partial(o)} &= {paren(f'{o} - y_{{{j + 1}}}')} = {paren(f'{t.n(a)} - {t.f(yv)}')} = {t.n(ga)}"
            )
        elif rec.loss_name == "bce":
            lines.append(rf"{t.partial(o)} &= \frac{{{o} - y}}{{{o}(1 - {o})}}{per_n} = {t.n(ga)}")
        else:
            lines.append(rf"{t.partial(o)} &= -\frac{{y}}{{{o}}}{per_n} = {t.n(ga)}")
        if act == "softmax":
            g = rec.grad_activations[-1][s]
            a_all = rec.activations[-1][s]
            inner = _sum([rf"{t.f(a_all[k])} \cdot {t.f(g[k])}" for k in range(len(g))], cap)
            lines.append(
                rf"{t.d(L, j)} &= {o}\Big({t.partial(o)} - \sum_k a_{{o_k}} {t.partial('a_{o_k}')}\Big)"
                rf" = {t.f(a)}\,({t.n(ga)} - ({inner})) = {t.n(d)}"
            )
        else:
            sym, num = _derivative(t, act, rec.preactivations[-1][s, j], a)
            fp = rec.derivatives[-1][s, j]
            mid, after = _split(num)
            lines.append(rf"{_ACT_TEX[act]}'({t.z(L, j)}) &= {sym}{mid} = {t.n(fp)}{after}")
            lines.append(
                rf"{t.d(L, j)} &= {_ACT_TEX[act]}'({t.z(L, j)})\,{t.partial(o)} = {t.f(fp)} \times {t.f(ga)} = {t.n(d)}"
            )
    out.append(_block(lines))
    out.append(_more(sizes[-1], cap, "The output layer"))

    # ------------------------------------------------------------------ 4. hidden δ
    if L > 1:
        out.append(r"#### 4. Back through the hidden layers: $\delta_j = f'(z_j) \sum_k w_{jk}\,\delta_k$")
    for layer in range(L - 1, 0, -1):
        act = rec.activation_names[layer - 1]
        out.append(f"\n**Layer {layer}** ({_ACT_WORD[act]}): the δ of layer {layer + 1} flow back through the weights.")
        lines = []
        W_next = rec.weights[layer]
        for j in _shown(sizes[layer], cap):
            d_next = rec.deltas[layer][s]
            ks = range(sizes[layer + 1])
            sym = _sum([f"{t.w(layer + 1, j, k)}\\,{t.d(layer + 1, k)}" for k in ks], cap)
            num = _sum([rf"{t.f(W_next[j, k])} \cdot {t.f(d_next[k])}" for k in ks], cap)
            ga = rec.grad_activations[layer - 1][s, j]
            fp = rec.derivatives[layer - 1][s, j]
            d = rec.deltas[layer - 1][s, j]
            fsym, fnum = _derivative(t, act, rec.preactivations[layer - 1][s, j], rec.activations[layer][s, j])
            mid, after = _split(fnum)
            lines.append(f"{t.partial(t.a(layer, j))} &= {sym} = {num} = {t.n(ga)}")
            lines.append(rf"{_ACT_TEX[act]}'({t.z(layer, j)}) &= {fsym}{mid} = {t.n(fp)}{after}")
            lines.append(
                rf"{t.d(layer, j)} &= {_ACT_TEX[act]}'({t.z(layer, j)})\,{t.partial(t.a(layer, j))} = "
                rf"{t.f(fp)} \times {t.f(ga)} = {t.n(d)}"
            )
        out.append(_block(lines))
        out.append(_more(sizes[layer], cap, f"Layer {layer}"))

    # ------------------------------------------------------------------ 5. gradients
    section = 5 if L > 1 else 4
    batch = r"\sum_s" if n > 1 else ""
    out.append(
        f"#### {section}. The gradients: $\\partial L/\\partial w_{{ij}} = {batch} a_i\\,\\delta_j$, "
        f"$\\partial L/\\partial b_j = {batch} \\delta_j$"
    )
    if n > 1:
        out.append(f"\n*These add up the {n} samples (each δ already holds the $1/{n}$).*")
    for layer in range(L, 0, -1):
        lines = []
        G, GB = rec.grad_weights[layer - 1], rec.grad_biases[layer - 1]
        for j in _shown(sizes[layer], cap):
            for i in _shown(sizes[layer - 1], cap):
                lhs = f"{t.partial(t.w(layer, i, j))}"
                if n == 1:
                    rhs = (
                        rf"{t.a(layer - 1, i)}\,{t.d(layer, j)} = {t.f(rec.activations[layer - 1][0, i])} \times "
                        rf"{t.f(rec.deltas[layer - 1][0, j])}"
                    )
                else:
                    rhs = rf"\sum_s {t.a(layer - 1, i)}\,{t.d(layer, j)} = " + _sum(
                        [
                            rf"{t.f(av)} \times {t.f(dv)}"
                            for av, dv in zip(rec.activations[layer - 1][:, i], rec.deltas[layer - 1][:, j])
                        ],
                        3,
                    )
                lines.append(rf"{lhs} &= {rhs} = {t.n(G[i, j])} &&\text{{W{layer}[{i},{j}]}}")
            if n == 1:
                rhs = f"{t.d(layer, j)}"
            else:
                rhs = rf"\sum_s {t.d(layer, j)} = " + _sum([t.f(v) for v in rec.deltas[layer - 1][:, j]], 3)
            lines.append(rf"{t.partial(t.b(layer, j))} &= {rhs} = {t.n(GB[j])} &&\text{{b{layer}[{j}]}}")
        out.append(f"\n**Layer {layer}:**")
        out.append(_block(lines))
        if sizes[layer] > cap or sizes[layer - 1] > cap:
            out.append(
                f"\n*W{layer} has {sizes[layer - 1]}×{sizes[layer]} weights; those between the first {cap} neurons "
                "are written out, the rest follow the same pattern.*\n"
            )

    # ------------------------------------------------------------------ 6. update
    new_w, new_b = rec.updated_parameters(lr)
    out.append(
        f"#### {section + 1}. The update: $w^{{+}} = w - \\eta\\,\\partial L/\\partial w$ with $\\eta = {t.n(lr)}$"
    )
    for layer in range(L, 0, -1):
        lines = []
        W, G, F = rec.weights[layer - 1], rec.grad_weights[layer - 1], rec.frozen_weights[layer - 1]
        B, GB, FB = rec.biases[layer - 1], rec.grad_biases[layer - 1], rec.frozen_biases[layer - 1]
        for j in _shown(sizes[layer], cap):
            for i in _shown(sizes[layer - 1], cap):
                w = t.w(layer, i, j)
                if F[i, j]:
                    lines.append(rf"{w} &= {t.n(W[i, j])} &&\text{{held fixed (frozen)}}")
                else:
                    lines.append(
                        rf"{w}^{{+}} &= {w} - \eta\,{t.partial(w)} = {t.n(W[i, j])} - {t.n(lr)} \times {t.f(G[i, j])}"
                        rf" = {t.n(new_w[layer - 1][i, j])}"
                    )
            bsym = t.b(layer, j)
            if FB[j]:
                lines.append(rf"{bsym} &= {t.n(B[j])} &&\text{{held fixed (frozen)}}")
            else:
                lines.append(
                    rf"{bsym}^{{+}} &= {bsym} - \eta\,{t.partial(bsym)} = {t.n(B[j])} - {t.n(lr)} \times {t.f(GB[j])}"
                    rf" = {t.n(new_b[layer - 1][j])}"
                )
        out.append(f"\n**Layer {layer}:**")
        out.append(_block(lines))
    if not np.isfinite(rec.loss) or not rec.finite:
        out.insert(1, "\n> **⚠ Diverged:** this record holds NaN or ∞; those numbers are written as NaN and ∞.\n")
    text = "\n".join(part for part in out if part) + "\n"
    if sections is None:
        return text
    # The numbered "#### k." headings split the text: part 0 is the heading, part k section k.
    parts = re.split(r"\n(?=#### \d+\. )", text)
    chosen = ([parts[0]] if 1 in sections else []) + [parts[k] for k in sections if k < len(parts)]
    return "\n".join(chosen).rstrip("\n") + "\n"


__all__ = ["worked_derivation"]
