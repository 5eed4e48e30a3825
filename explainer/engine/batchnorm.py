"""Batch normalisation in training mode: forward and backward side by side, its three gradient paths recorded.

For a batch x (N, D), each feature (column) d is normalised over the N samples, then scaled and shifted::

    μ   = (1/N) Σ_n x_n                          (D,)   the batch mean
    σ²  = (1/N) Σ_n (x_n − μ)²                   (D,)   the batch variance (biased, as PyTorch normalises)
    x̂   = (x − μ) / √(σ² + ε)                    (N, D)
    y   = γ ⊙ x̂ + β                              (N, D)  γ, β: (D,)

Backward, from the upstream gradient g = ∂L/∂y (N, D)::

    ∂L/∂β  = Σ_n g_n                  ∂L/∂γ = Σ_n g_n ⊙ x̂_n                 ∂L/∂x̂ = g ⊙ γ
    ∂L/∂σ² = Σ_n ∂L/∂x̂_n ⊙ (x_n − μ) · (−½)(σ² + ε)^(−3/2)
    ∂L/∂μ  = Σ_n ∂L/∂x̂_n ⊙ (−1/√(σ² + ε))

(∂L/∂μ has a second term, ∂L/∂σ² · (−2/N) Σ_n (x_n − μ), which is 0 because the deviations from the mean
sum to 0.) Each x_n reaches the loss along three paths, directly through its own x̂_n, through μ and
through σ², and ∂L/∂x is their sum::

    ∂L/∂x = ∂L/∂x̂ / √(σ² + ε)            through x̂ directly
          + ∂L/∂μ / N                    through μ      (the same for every sample)
          + ∂L/∂σ² · 2(x − μ) / N        through σ²

which simplifies to (γ / (N √(σ² + ε))) ⊙ (N g − Σ_n g_n − x̂ ⊙ Σ_n g_n ⊙ x̂_n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_finite_array, positive_float

MAX_ELEMENTS = 10_000_000  # N·D: the largest batch a call accepts (80 MB of float64)


# ---------------------------------------------------------------------------------------------------------------
# Forward and backward: for checked arrays (x (N, D) with N ≥ 2, γ and β (D,)); Network's batch-norm layers
# call them too, so that there is one way to back-propagate through batch norm.


def batchnorm_forward(x, gamma, beta, eps) -> dict[str, np.ndarray]:
    """μ, σ², 1/√(σ² + ε), x − μ, x̂ and y (equations in the module docstring)."""
    mean = x.mean(axis=0)  # μ, (D,)
    centered = x - mean  # x − μ, (N, D)
    var = np.mean(centered**2, axis=0)  # σ², (D,)
    inv_std = 1.0 / np.sqrt(var + eps)  # 1/√(σ² + ε), (D,)
    x_hat = centered * inv_std
    return {
        "mean": mean,
        "var": var,
        "inv_std": inv_std,
        "centered": centered,
        "x_hat": x_hat,
        "output": gamma * x_hat + beta,
    }


def batchnorm_backward(grad_output, gamma, forward) -> dict[str, np.ndarray]:
    """∂L/∂β, ∂L/∂γ, ∂L/∂x̂, ∂L/∂σ², ∂L/∂μ and the three paths of ∂L/∂x from g = ∂L/∂y."""
    n = grad_output.shape[0]
    inv_std, centered, x_hat = forward["inv_std"], forward["centered"], forward["x_hat"]
    grad_x_hat = grad_output * gamma  # ∂L/∂x̂ = g ⊙ γ
    grad_var = np.sum(grad_x_hat * centered, axis=0) * (-0.5 * inv_std**3)  # ∂L/∂σ², (D,)
    grad_mean = -np.sum(grad_x_hat, axis=0) * inv_std  # ∂L/∂μ, (D,)
    via_x_hat = grad_x_hat * inv_std  # ∂x̂/∂x: each sample's own path
    via_mean = np.broadcast_to(grad_mean / n, grad_output.shape).copy()  # ∂μ/∂x_n = 1/N
    via_var = (grad_var * (2.0 / n)) * centered  # ∂σ²/∂x_n = 2(x_n − μ)/N
    return {
        "grad_beta": grad_output.sum(axis=0),
        "grad_gamma": np.sum(grad_output * x_hat, axis=0),
        "grad_x_hat": grad_x_hat,
        "grad_var": grad_var,
        "grad_mean": grad_mean,
        "grad_input_via_x_hat": via_x_hat,
        "grad_input_via_mean": via_mean,
        "grad_input_via_var": via_var,
        "grad_input": via_x_hat + via_mean + via_var,
    }


# ---------------------------------------------------------------------------------------------------------------
# The record and the public door.


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class BatchNormRecord:
    """One batch-norm forward and backward pass in training mode, read-only (equations in the module docstring).

    ``grad_input == grad_input_via_x_hat + grad_input_via_mean + grad_input_via_var``.
    """

    x: np.ndarray  # (N, D)
    gamma: np.ndarray  # γ, (D,)
    beta: np.ndarray  # β, (D,)
    eps: float  # ε
    mean: np.ndarray  # μ, (D,)
    var: np.ndarray  # σ², biased (divided by N), (D,)
    inv_std: np.ndarray  # 1/√(σ² + ε), (D,)
    centered: np.ndarray  # x − μ, (N, D)
    x_hat: np.ndarray  # x̂, (N, D)
    output: np.ndarray  # y = γ ⊙ x̂ + β, (N, D)
    grad_output: np.ndarray  # g = ∂L/∂y as given, (N, D)
    grad_x_hat: np.ndarray  # ∂L/∂x̂, (N, D)
    grad_var: np.ndarray  # ∂L/∂σ², (D,)
    grad_mean: np.ndarray  # ∂L/∂μ, (D,)
    grad_input_via_x_hat: np.ndarray  # ∂L/∂x̂ / √(σ² + ε), (N, D)
    grad_input_via_mean: np.ndarray  # ∂L/∂μ / N, the same row for every sample, (N, D)
    grad_input_via_var: np.ndarray  # ∂L/∂σ² · 2(x − μ)/N, (N, D)
    grad_input: np.ndarray  # ∂L/∂x, the sum of the three paths, (N, D)
    grad_gamma: np.ndarray  # ∂L/∂γ, (D,)
    grad_beta: np.ndarray  # ∂L/∂β, (D,)

    @property
    def std(self) -> np.ndarray:
        """√(σ² + ε), (D,): what each feature is divided by."""
        return 1.0 / self.inv_std


def batchnorm_backprop(x, gamma, beta, grad_output, eps: float = 1e-5) -> BatchNormRecord:
    """Batch normalisation's forward pass (training mode, batch statistics) and its backward pass from g = ∂L/∂y.

    y = γ ⊙ (x − μ)/√(σ² + ε) + β with μ and σ² the mean and biased variance over the batch, as
    ``torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)``; the gradients
    and the three paths of ∂L/∂x are in the module docstring.

    Parameters
    ----------
    x: (N, D), N ≥ 2 samples (the variance of a single sample is 0: PyTorch refuses such a batch too).
    gamma: γ, (D,).   beta: β, (D,).
    grad_output: g = ∂L/∂y, (N, D).
    eps: ε > 0, added to σ² before the square root.

    N·D must be at most 10⁷. Returns a read-only :class:`BatchNormRecord`.
    """
    if isinstance(x, np.ndarray):  # refuse a huge array before copying it
        _check_size(x.size)
    x = _array(x, "x", "(N, D)", 2)
    _check_size(x.size)
    n, d = x.shape
    if n < 2:
        raise ValueError(
            f"x must hold at least 2 samples (N, the first axis), since the variance of one sample is 0; got N = {n}"
        )
    gamma = _shaped(gamma, "gamma", f"(D,) = ({d},)", (d,))
    beta = _shaped(beta, "beta", f"(D,) = ({d},)", (d,))
    grad_output = _shaped(grad_output, "grad_output", f"(N, D) = ({n}, {d})", (n, d))
    eps = positive_float(eps, "eps")

    forward = batchnorm_forward(x, gamma, beta, eps)
    backward = batchnorm_backward(grad_output, gamma, forward)
    ro = _readonly
    return BatchNormRecord(
        x=ro(x),
        gamma=ro(gamma),
        beta=ro(beta),
        eps=eps,
        grad_output=ro(grad_output),
        **{name: ro(arr) for name, arr in forward.items()},
        **{name: ro(arr) for name, arr in backward.items()},
    )


# ---------------------------------------------------------------------------------------------------------------
# Checks at the door.


def _array(value, argument: str, shape: str, ndim: int) -> np.ndarray:
    """A finite float64 copy with ``ndim`` axes; the ValueError names the argument and its expected shape."""
    try:
        return as_finite_array(value, argument, ndim=(ndim,))
    except ValueError as err:
        raise ValueError(f"{err} (expected {shape})") from None


def _check_size(size: int) -> None:
    if size > MAX_ELEMENTS:
        raise ValueError(f"x too large: N·D = {size:,} numbers, more than the limit of {MAX_ELEMENTS:,}")


def _shaped(value, argument: str, expected: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = _array(value, argument, expected, len(shape))
    if arr.shape != shape:
        raise ValueError(f"{argument} must have shape {expected} to match x; got {arr.shape}")
    return arr


__all__ = ["BatchNormRecord", "batchnorm_backprop", "batchnorm_backward", "batchnorm_forward", "MAX_ELEMENTS"]
