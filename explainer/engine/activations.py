"""Activation functions, each defined next to its derivative.

One registry, ``ACTIVATIONS``, drives the engine, the validation messages, the widgets'
dropdowns and the notebooks' tables, so they cannot drift apart. Every function works on
arrays of any shape; ``softmax`` normalises over the last axis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An activation f, its elementwise derivative f′, and how it back-propagates.

    ``derivative(z, a)`` returns f′(z) elementwise (given a = f(z), which is often cheaper).
    ``backward(z, a, grad_a)`` returns δ = ∂L/∂z from ∂L/∂a; for elementwise activations that is
    f′(z)·∂L/∂a, for softmax it is the Jacobian-vector product.
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]
    formula: str  # LaTeX, f(z)
    derivative_formula: str  # LaTeX, f'(z)
    hidden: bool = True  # usable in a hidden layer
    elementwise: bool = True

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """δ = ∂L/∂z = f′(z) ⊙ ∂L/∂a (elementwise activations)."""
        return self.derivative(z, a) * grad_a


def _sigmoid(z: Array) -> Array:
    # σ(z) = 1/(1 + e^{−z}) = exp(−log(1 + e^{−z})), with numpy's overflow-free logaddexp for the log: a
    # relative error below 4e-15 from z = −745 to 745 and four array operations (the one-sample steps a
    # slider triggers are dominated by such calls). ½ + ½·tanh(z/2) is exactly 0 for z ≤ −38, which turned
    # bce's ∂L/∂a into 1/0.
    return np.exp(-np.logaddexp(0.0, -z))


def _sigmoid_derivative(z: Array, a: Array) -> Array:
    # σ′(z) = σ(z)·σ(−z), the second factor from z: a(1 − a) loses σ′ for z ≳ 37, where a rounds to 1.
    return a * np.exp(-np.logaddexp(0.0, z))


def _softmax(z: Array) -> Array:
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


_LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class _Softmax(Activation):
    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """δ_j = a_j (g_j − Σ_k a_k g_k): the softmax Jacobian times g = ∂L/∂a."""
        return a * (grad_a - (grad_a * a).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid",
        _sigmoid,
        _sigmoid_derivative,
        r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
    ),
    "tanh": Activation(
        "tanh",
        np.tanh,
        lambda z, a: 1.0 - a * a,
        r"\tanh(z)",
        r"\tanh'(z) = 1 - \tanh^2(z)",
    ),
    "relu": Activation(
        "relu",
        lambda z: np.maximum(z, 0.0),
        lambda z, a: (z > 0).astype(np.float64),
        r"\max(0, z)",
        r"1 \text{ if } z > 0 \text{ else } 0",
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        lambda z: np.where(z > 0, z, _LEAKY_SLOPE * z),
        lambda z, a: np.where(z > 0, 1.0, _LEAKY_SLOPE),
        r"z \text{ if } z > 0 \text{ else } 0.01\,z",
        r"1 \text{ if } z > 0 \text{ else } 0.01",
    ),
    "identity": Activation(
        "identity",
        lambda z: z,
        lambda z, a: np.ones_like(z),
        r"z",
        r"1",
    ),
    "softmax": _Softmax(
        "softmax",
        _softmax,
        # The diagonal of the Jacobian, ∂a_j/∂z_j; backward() uses the full Jacobian.
        lambda z, a: a * (1.0 - a),
        r"\frac{e^{z_j}}{\sum_k e^{z_k}}",
        r"\frac{\partial a_j}{\partial z_k} = a_j(\delta_{jk} - a_k)",
        hidden=False,
        elementwise=False,
    ),
}

HIDDEN_ACTIVATIONS = tuple(name for name, act in ACTIVATIONS.items() if act.hidden)
OUTPUT_ACTIVATIONS = tuple(ACTIVATIONS)


def get_activation(name: str, *, argument: str = "activation", hidden: bool = True) -> Activation:
    """Look an activation up by name, with a ValueError listing the allowed names."""
    allowed = HIDDEN_ACTIVATIONS if hidden else OUTPUT_ACTIVATIONS
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"{argument} must be one of {', '.join(allowed)}; got {name!r}")
    return ACTIVATIONS[name]
