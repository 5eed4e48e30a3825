"""The chain rule for one parameter, in full, with the record's numbers (HTML for an app's side panel)."""

from __future__ import annotations

from ..engine.network import Record
from ._layout import check_common, check_lr, network_layout

MAX_UNITS = 4  # δ terms shown per layer above the parameter; wider layers say how many were left out


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
    if not isinstance(name, str) or name not in params:
        examples = ", ".join(list(params)[:3])
        raise ValueError(f"name must be a parameter of the record's network (e.g. {examples}); got {name!r}")
    item = params[name]
    layer, j = item.layer, item.j
    parts = [f"<b>{name}</b> ({item.symbol})", item.grad_hover]
    # The δ this gradient uses, then each layer above it, back to the loss.
    chain = [[n for n in lay.nodes[layer] if n.index == j]]
    for above in range(layer + 1, lay.n_layers + 1):
        chain.append(list(lay.nodes[above]))
    for nodes in chain:
        for node in nodes[:MAX_UNITS]:
            parts.append(node.grad_hover)
        if len(nodes) > MAX_UNITS:
            parts.append(f"… and {len(nodes) - MAX_UNITS} more neurons in this layer")
    return "\n".join(f"<p>{p}</p>" for p in parts)
