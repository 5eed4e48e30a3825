"""The chain rule for one parameter, in full, with the record's numbers (HTML for an app's side panel)."""

from __future__ import annotations

import re

from ..engine.network import Record
from ._layout import _batch_sum_text, batch_norm_of, check_common, check_lr, network_layout, neuron_name, num

MAX_UNITS = 4  # δ terms shown per layer above the parameter; wider layers say how many were left out
BATCH_NORM_PARAMETER = re.compile(r"(gamma|beta)(\d+)\[(\d+)\]")


def explain_parameter(record: Record, name: str, *, lr: float | None = None, sample: int = 0) -> str:
    """How ∂L/∂θ of one parameter comes about: its own formula, then each δ it depends on, up to the loss.

    ∂L/∂Wˡᵢⱼ = aˡ⁻¹ᵢ · δˡⱼ  and  ∂L/∂bˡⱼ = δˡⱼ,  with  δˡⱼ = f′(zˡⱼ) · Σₖ Wˡ⁺¹ⱼₖ δˡ⁺¹ₖ  down from
    δᴸ = f′(zᴸ) · ∂L/∂aᴸ at the output. Every number comes from ``record`` (formatted, not recomputed).

    Returns HTML: one paragraph per step, the same texts the diagram shows on hover.
    record: a Record; name: a parameter such as ``W2[0,1]`` or ``b1[0]``; lr: with a learning rate the
    update w⁺ = w − η·∂L/∂w is added; sample: which sample's values a batch record shows.
    """
    check_common(record, sample=sample)
    lr = check_lr(lr)
    lay = network_layout(record, int(sample), lr)
    params = {e.param: e for e in lay.all_edges} | {b.param: b for b in lay.all_biases}
    match = BATCH_NORM_PARAMETER.fullmatch(name) if isinstance(name, str) else None
    if match and batch_norm_of(record, int(match[2])) is not None and int(match[3]) < record.sizes[int(match[2])]:
        layer, j = int(match[2]), int(match[3])
        parts = [_batch_norm_parameter_text(record, match[1], layer, j)]
        chain = [[n for n in lay.nodes[layer] if n.index == j]]
        return _with_chain(parts, chain, lay, layer)
    if not isinstance(name, str) or name not in params:
        examples = ", ".join(list(params)[:3])
        raise ValueError(f"name must be a parameter of the record's network (e.g. {examples}); got {name!r}")
    item = params[name]
    layer, j = item.layer, item.j
    parts = [f"<b>{name}</b> ({item.symbol})", item.grad_hover]
    # The δ this gradient uses, then each layer above it, back to the loss.
    return _with_chain(parts, [[n for n in lay.nodes[layer] if n.index == j]], lay, layer)


def _with_chain(parts: list[str], chain: list, lay, layer: int) -> str:
    for above in range(layer + 1, lay.n_layers + 1):
        chain.append(list(lay.nodes[above]))
    for nodes in chain:
        for node in nodes[:MAX_UNITS]:
            parts.append(node.grad_hover)
        if len(nodes) > MAX_UNITS:
            parts.append(f"… and {len(nodes) - MAX_UNITS} more neurons in this layer")
    return "\n".join(f"<p>{p}</p>" for p in parts)


def _batch_norm_parameter_text(record: Record, which: str, layer: int, j: int) -> str:
    """∂L/∂γ = Σₛ ∂L/∂yₛ · x̂ₛ or ∂L/∂β = Σₛ ∂L/∂yₛ of one batch-norm neuron, from its record."""
    bn = batch_norm_of(record, layer)
    name = neuron_name(record.sizes, layer, j)
    g = bn.grad_output[:, j]
    if which == "gamma":
        head = f"<b>gamma{layer}[{j}]</b> (γ of {name}'s batch norm, y = γ·x̂ + β) = {num(bn.gamma[j])}"
        text = _batch_sum_text(bn.x_hat[:, j], g, bn.grad_gamma[j], "∂L/∂γ = Σₛ x̂ₛ·∂L/∂yₛ over the batch")
    else:
        head = f"<b>beta{layer}[{j}]</b> (β of {name}'s batch norm, y = γ·x̂ + β) = {num(bn.beta[j])}"
        text = _batch_sum_text(None, g, bn.grad_beta[j], "∂L/∂β = Σₛ ∂L/∂yₛ over the batch")
    return f"{head}<br>{text}"
