"""Loss functions, each defined next to its gradient.

Conventions (the ones the classic hand-worked examples use, and the ones the UI shows):

- ``mse``: the mean over samples of ½·Σ_k (a_k − y_k)². The ½ cancels the 2 of the derivative.
- ``bce``: binary cross-entropy, −Σ_k [y_k log a_k + (1 − y_k) log(1 − a_k)], mean over samples;
  it pairs with a sigmoid output and is computed from z, so it stays finite when a saturates.
- ``cross_entropy``: −Σ_k y_k log a_k, mean over samples; it pairs with a softmax output and takes
  one-hot or integer labels.

All functions take arrays shaped ``(..., n_samples, n_out)`` and reduce over the last axis only;
the network takes the mean over samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import Activation

Array = np.ndarray

# Smallest value a probability is allowed to take in a displayed ∂L/∂a, so that a saturated
# output shows a huge but finite number instead of inf.
_TINY = 1e-300
# e^690 ≈ 1e299.7: the largest exponential a displayed ∂L/∂a is allowed, for the same reason.
_MAX_EXP = 690.0


def softplus(z: Array) -> Array:
    """log(1 + e^z), without overflow for large z."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _bce_grad_a(z: Array, a: Array, y: Array) -> Array:
    """∂ℓ/∂a = (a − y) / (a(1 − a)), with 1/(a(1 − a)) = 1/(σ(z)σ(−z)) = 2 + 2 cosh z computed from z.

    a(1 − a) itself underflows to 0 for |z| ≳ 37 (a rounds to 0 or 1): at z = −40 the true value for
    y = 1 is −(2 + 2 cosh 40) ≈ −2.354e17, not −1/1e-300. Beyond |z| = 690 it stays huge but finite.
    """
    return (a - y) * (2.0 + 2.0 * np.cosh(np.clip(z, -_MAX_EXP, _MAX_EXP)))


def _cross_entropy_grad_a(z: Array, a: Array, y: Array) -> Array:
    """∂ℓ/∂a = −y / a; where a underflowed, 1/a = e^{−log softmax(z)} from z (capped at e^690)."""
    tiny = a <= _TINY
    if not np.any(tiny):
        return -y / a
    return np.where(tiny, -y * np.exp(np.minimum(-log_softmax(z), _MAX_EXP)), -y / np.maximum(a, _TINY))


def log_softmax(z: Array) -> Array:
    """log softmax(z) over the last axis, stable for large |z|."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class Loss:
    """A per-sample loss ℓ(z, a, y) with its gradient ∂ℓ/∂a and output error δ = ∂ℓ/∂z.

    ``output_activation`` names the only output activation the loss is defined with (``None``: any).
    """

    name: str
    per_sample: Callable[[Array, Array, Array], Array]  # (..., n, k) -> (..., n)
    grad_a: Callable[[Array, Array, Array], Array]  # (..., n, k) -> (..., n, k)
    formula: str  # LaTeX, per sample
    output_activation: str | None = None
    # δ = ∂ℓ/∂z when the loss and its paired activation simplify (a − y); None: use the chain rule.
    paired_delta: Callable[[Array, Array, Array], Array] | None = None

    def delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        """δ_L = ∂ℓ/∂z_L per sample."""
        if self.paired_delta is not None:
            return self.paired_delta(z, a, y)
        return activation.backward(z, a, self.grad_a(z, a, y))


LOSSES: dict[str, Loss] = {
    "mse": Loss(
        "mse",
        lambda z, a, y: 0.5 * ((a - y) ** 2).sum(axis=-1),
        lambda z, a, y: a - y,
        r"\tfrac{1}{2}\sum_k (a_k - y_k)^2",
    ),
    "bce": Loss(
        "bce",
        # −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z
        lambda z, a, y: (softplus(z) - y * z).sum(axis=-1),
        _bce_grad_a,
        r"-\sum_k \left[y_k \log a_k + (1 - y_k)\log(1 - a_k)\right]",
        output_activation="sigmoid",
        paired_delta=lambda z, a, y: a - y,
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        lambda z, a, y: -(y * log_softmax(z)).sum(axis=-1),
        _cross_entropy_grad_a,
        r"-\sum_k y_k \log a_k",
        output_activation="softmax",
        paired_delta=lambda z, a, y: a - y,
    ),
}


def get_loss(name: str, *, argument: str = "loss") -> Loss:
    """Look a loss up by name, with a ValueError listing the allowed names."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"{argument} must be one of {', '.join(LOSSES)}; got {name!r}")
    return LOSSES[name]
