"""A recurrent network unrolled over T steps, and backpropagation through time, every step recorded.

The network (an Elman RNN with a tanh hidden layer and a linear read-out), for t = 1..T::

    a_t = x_t W_xh + h_{t−1} W_hh + b_h        pre-activation       (N, n_h)
    h_t = tanh(a_t)                            hidden state         (N, n_h)
    y_t = h_t W_hy + b_y                       output               (N, n_out)

    xs (T, N, n_in), h0 (N, n_h), W_xh (n_in, n_h), W_hh (n_h, n_h), b_h (n_h,), W_hy (n_h, n_out), b_y (n_out,)

The caller gives the upstream gradients g_t = ∂L/∂y_t. Backpropagation through time walks back from t = T.
h_t reaches the loss along two roads, through its own output y_t and through the next hidden state h_{t+1},
so its gradient is the sum of both::

    ∂L/∂h_t = g_t W_hyᵀ  +  ∂L/∂a_{t+1} W_hhᵀ     (the second term is 0 at t = T)
    ∂L/∂a_t = (1 − h_t²) ⊙ ∂L/∂h_t               tanh′(a) = 1 − tanh(a)²

and every weight, used at every step, sums its gradient over the steps::

    ∂L/∂W_xh = Σ_t x_tᵀ ∂L/∂a_t        ∂L/∂W_hh = Σ_t h_{t−1}ᵀ ∂L/∂a_t      ∂L/∂b_h = Σ_t Σ_n ∂L/∂a_t
    ∂L/∂W_hy = Σ_t h_tᵀ g_t            ∂L/∂b_y  = Σ_t Σ_n g_t
    ∂L/∂x_t  = ∂L/∂a_t W_xhᵀ           ∂L/∂h_0  = ∂L/∂a_1 W_hhᵀ

Each step back multiplies by W_hhᵀ and by tanh′ ≤ 1, so ‖∂L/∂h_t‖ tends to shrink going back in time
(vanishing gradients) or, with a large W_hh, to grow (exploding gradients). Gradient clipping caps it: with
``clip=c``, whenever ‖∂L/∂h_t‖ > c (the Frobenius norm over the batch and the hidden units of step t) it is
rescaled to norm c *before* it is used, so the clipped value flows on to ∂L/∂a_t, to every weight gradient
and to the steps further back. This is per-step clipping of the gradient through time; it is not the
same as clipping the total parameter gradient (``torch.nn.utils.clip_grad_norm_``).

Arrays are indexed from 0: ``hidden[t]`` is h_{t+1}, ``outputs[t]`` is y_{t+1}, ``grad_hidden[t]`` is
∂L/∂h_{t+1}; h_0 is ``h0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_finite_array, positive_float

MAX_STEPS = 1_000  # T: longer sequences only repeat the same picture, slower
MAX_ELEMENTS = 10_000_000  # the largest array a call may build (80 MB of float64)


# ---------------------------------------------------------------------------------------------------------------
# Forward through time, then backward through time.


def _rnn_forward(xs, h0, W_xh, W_hh, b_h, W_hy, b_y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre-activations a_t, hidden states h_t and outputs y_t for t = 1..T, each (T, N, ·)."""
    T, n = xs.shape[:2]
    pre = np.empty((T, n, W_hh.shape[0]))
    hidden = np.empty_like(pre)
    h = h0
    for t in range(T):
        pre[t] = xs[t] @ W_xh + h @ W_hh + b_h  # a_t = x_t W_xh + h_{t−1} W_hh + b_h
        h = hidden[t] = np.tanh(pre[t])  # h_t = tanh(a_t)
    outputs = hidden @ W_hy + b_y  # y_t = h_t W_hy + b_y, all steps at once
    return pre, hidden, outputs


def _rnn_backward(xs, h0, hidden, W_xh, W_hh, W_hy, grad_outputs, clip):
    """Backpropagation through time: ∂L/∂h_t from both roads, clipped per step if asked, then the sums over t.

    Returns a dict of the arrays the record keeps (names as in :class:`RNNRecord`).
    """
    T = xs.shape[0]
    from_output = grad_outputs @ W_hy.T  # g_t W_hyᵀ for every t, (T, N, n_h)
    from_next = np.zeros_like(from_output)  # ∂L/∂a_{t+1} W_hhᵀ; stays 0 at t = T
    grad_hidden = np.empty_like(from_output)
    grad_pre = np.empty_like(from_output)
    norms = np.empty(T)
    clipped = np.zeros(T, dtype=bool)
    for t in reversed(range(T)):
        if t + 1 < T:
            from_next[t] = grad_pre[t + 1] @ W_hh.T
        g = from_output[t] + from_next[t]  # ∂L/∂h_t: through y_t plus through h_{t+1}
        norms[t] = np.sqrt(np.sum(g * g))
        if clip is not None and norms[t] > clip:
            g = g * (clip / norms[t])
            clipped[t] = True
        grad_hidden[t] = g
        grad_pre[t] = (1.0 - hidden[t] ** 2) * g  # ∂L/∂a_t = tanh′(a_t) ⊙ ∂L/∂h_t
    previous = np.concatenate([h0[None], hidden[:-1]])  # h_{t−1} for t = 1..T
    return {
        "grad_hidden_from_output": from_output,
        "grad_hidden_from_next": from_next,
        "grad_hidden_norms": norms,
        "clipped": clipped,
        "grad_hidden": grad_hidden,
        "grad_preactivations": grad_pre,
        "grad_W_xh": np.einsum("tni,tnh->ih", xs, grad_pre),  # Σ_t x_tᵀ ∂L/∂a_t
        "grad_W_hh": np.einsum("tnk,tnh->kh", previous, grad_pre),  # Σ_t h_{t−1}ᵀ ∂L/∂a_t
        "grad_b_h": grad_pre.sum(axis=(0, 1)),
        "grad_W_hy": np.einsum("tnh,tno->ho", hidden, grad_outputs),  # Σ_t h_tᵀ g_t
        "grad_b_y": grad_outputs.sum(axis=(0, 1)),
        "grad_inputs": grad_pre @ W_xh.T,  # ∂L/∂x_t = ∂L/∂a_t W_xhᵀ
        "grad_h0": grad_pre[0] @ W_hh.T,  # ∂L/∂h_0 = ∂L/∂a_1 W_hhᵀ
    }


# ---------------------------------------------------------------------------------------------------------------
# The record and the public door.


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class RNNRecord:
    """One forward pass through time and backpropagation through time, read-only.

    Index t of a (T, ...) array is step t + 1 (equations in the module docstring). With clipping off,
    ``grad_hidden[t] == grad_hidden_from_output[t] + grad_hidden_from_next[t]``; with it on, that sum is
    rescaled where ``clipped[t]``.
    """

    xs: np.ndarray  # x_1..x_T, (T, N, n_in)
    h0: np.ndarray  # (N, n_h)
    W_xh: np.ndarray  # (n_in, n_h)
    W_hh: np.ndarray  # (n_h, n_h)
    b_h: np.ndarray  # (n_h,)
    W_hy: np.ndarray  # (n_h, n_out)
    b_y: np.ndarray  # (n_out,)
    clip: float | None  # the per-step cap on ‖∂L/∂h_t‖, or None for no clipping
    preactivations: np.ndarray  # a_1..a_T, (T, N, n_h)
    hidden: np.ndarray  # h_1..h_T, (T, N, n_h)
    outputs: np.ndarray  # y_1..y_T, (T, N, n_out)
    grad_outputs: np.ndarray  # g_t = ∂L/∂y_t as given, (T, N, n_out)
    grad_hidden_from_output: np.ndarray  # g_t W_hyᵀ, (T, N, n_h)
    grad_hidden_from_next: np.ndarray  # ∂L/∂a_{t+1} W_hhᵀ, 0 at the last step, (T, N, n_h)
    grad_hidden_norms: np.ndarray  # ‖∂L/∂h_t‖ before clipping, (T,)
    clipped: np.ndarray  # bool (T,): True where ∂L/∂h_t was rescaled to norm ``clip``
    grad_hidden: np.ndarray  # ∂L/∂h_t through time, as used (after clipping), (T, N, n_h)
    grad_preactivations: np.ndarray  # ∂L/∂a_t = (1 − h_t²) ⊙ ∂L/∂h_t, (T, N, n_h)
    grad_W_xh: np.ndarray
    grad_W_hh: np.ndarray
    grad_b_h: np.ndarray
    grad_W_hy: np.ndarray
    grad_b_y: np.ndarray
    grad_h0: np.ndarray  # (N, n_h)
    grad_inputs: np.ndarray  # ∂L/∂x_t, (T, N, n_in)

    @property
    def n_steps(self) -> int:
        """T."""
        return self.xs.shape[0]

    @property
    def any_clipped(self) -> bool:
        """True when clipping changed the gradient at one step or more."""
        return bool(self.clipped.any())

    @property
    def hidden_with_h0(self) -> np.ndarray:
        """h_0..h_T, (T + 1, N, n_h): index t is h_t."""
        return np.concatenate([self.h0[None], self.hidden])


def rnn_backprop(xs, h0, W_xh, W_hh, b_h, W_hy, b_y, grad_outputs, clip: float | None = None) -> RNNRecord:
    """A tanh RNN's forward pass over T steps and backpropagation through time from g_t = ∂L/∂y_t.

    a_t = x_t W_xh + h_{t−1} W_hh + b_h,  h_t = tanh(a_t),  y_t = h_t W_hy + b_y  (t = 1..T), then the
    gradients of the module docstring. Matches ``torch.nn.RNN(nonlinearity="tanh")`` with W_xh = W_ihᵀ,
    W_hh = W_hhᵀ and b_h = b_ih + b_hh, followed by a linear layer.

    Parameters
    ----------
    xs: (T, N, n_in), 1 ≤ T ≤ 1000.
    h0: (N, n_h), the hidden state before the first step.
    W_xh: (n_in, n_h).  W_hh: (n_h, n_h).  b_h: (n_h,).
    W_hy: (n_h, n_out). b_y: (n_out,).
    grad_outputs: ∂L/∂y_t for every step, (T, N, n_out).
    clip: None (no clipping) or a number > 0: the largest norm ∂L/∂h_t may keep at each step.

    Every array the call builds must hold at most 10⁷ numbers. Returns a read-only :class:`RNNRecord`.
    """
    xs = _array(xs, "xs", "(T, N, n_in)", 3)
    T, n, n_in = xs.shape
    if T > MAX_STEPS:
        raise ValueError(f"xs must have at most {MAX_STEPS} time steps (T, the first axis); got T = {T}")
    W_hh = _shaped(W_hh, "W_hh", ("n_h", "n_h"), (None, None))
    n_h = W_hh.shape[0]
    if W_hh.shape != (n_h, n_h):
        raise ValueError(f"W_hh must be square, (n_h, n_h); got {W_hh.shape}")
    W_hy = _shaped(W_hy, "W_hy", ("n_h", "n_out"), (n_h, None))
    n_out = W_hy.shape[1]
    h0 = _shaped(h0, "h0", ("N", "n_h"), (n, n_h))
    W_xh = _shaped(W_xh, "W_xh", ("n_in", "n_h"), (n_in, n_h))
    b_h = _shaped(b_h, "b_h", ("n_h",), (n_h,))
    b_y = _shaped(b_y, "b_y", ("n_out",), (n_out,))
    largest = T * n * max(n_in, n_h, n_out)
    if largest > MAX_ELEMENTS or n_h * max(n_in, n_h, n_out) > MAX_ELEMENTS:
        raise ValueError(
            f"xs and W_hh too large: T·N·max(n_in, n_h, n_out) = {largest:,} numbers per array, more than the "
            f"limit of {MAX_ELEMENTS:,}; use a shorter sequence, a smaller batch or fewer hidden units"
        )
    grad_outputs = _shaped(grad_outputs, "grad_outputs", ("T", "N", "n_out"), (T, n, n_out))
    if clip is not None:
        clip = positive_float(clip, "clip")

    pre, hidden, outputs = _rnn_forward(xs, h0, W_xh, W_hh, b_h, W_hy, b_y)
    grads = _rnn_backward(xs, h0, hidden, W_xh, W_hh, W_hy, grad_outputs, clip)
    ro = _readonly
    return RNNRecord(
        xs=ro(xs),
        h0=ro(h0),
        W_xh=ro(W_xh),
        W_hh=ro(W_hh),
        b_h=ro(b_h),
        W_hy=ro(W_hy),
        b_y=ro(b_y),
        clip=clip,
        preactivations=ro(pre),
        hidden=ro(hidden),
        outputs=ro(outputs),
        grad_outputs=ro(grad_outputs),
        **{name: ro(arr) for name, arr in grads.items()},
    )


# ---------------------------------------------------------------------------------------------------------------
# Checks at the door.


def _array(value, argument: str, shape: str, ndim: int) -> np.ndarray:
    """A finite float64 copy with ``ndim`` axes; the ValueError names the argument and its expected shape."""
    try:
        return as_finite_array(value, argument, ndim=(ndim,))
    except ValueError as err:
        raise ValueError(f"{err} (expected {shape})") from None


def _shaped(value, argument: str, names: tuple[str, ...], shape: tuple[int | None, ...]) -> np.ndarray:
    """A finite float64 copy of ``shape`` (None: any size); the ValueError spells the shape with names and sizes."""
    parts = [name if size is None else f"{name}={size}" for name, size in zip(names, shape)]
    expected = "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")
    arr = _array(value, argument, expected, len(shape))
    if any(size is not None and size != got for size, got in zip(shape, arr.shape)):
        raise ValueError(f"{argument} must have shape {expected}; got {arr.shape}")
    return arr


__all__ = ["RNNRecord", "rnn_backprop", "MAX_STEPS", "MAX_ELEMENTS"]
