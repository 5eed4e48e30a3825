"""A fully connected network whose forward and backward passes record every step.

Notation, as in the notebooks (layers counted from 1, as in the maths)::

    a⁰ = X                         (n_samples, n_features)
    zˡ = aˡ⁻¹ Wˡ + bˡ              Wˡ: (n_in, n_out), bˡ: (n_out,)
    aˡ = fˡ(zˡ)
    L  = mean over samples of ℓ(aᴸ, y)
    δᴸ = ∂L/∂zᴸ                    = fᴸ′(zᴸ) ⊙ ∂L/∂aᴸ   (= (aᴸ − y)/n for sigmoid+bce, softmax+ce)
    ∂L/∂aˡ = δˡ⁺¹ (Wˡ⁺¹)ᵀ          i.e. Σ_k w_jk δ_k;   ∂L/∂x = ∂L/∂a⁰ = δ¹ (W¹)ᵀ
    δˡ = fˡ′(zˡ) ⊙ ∂L/∂aˡ
    ∂L/∂Wˡ = (aˡ⁻¹)ᵀ δˡ,   ∂L/∂bˡ = Σ_samples δˡ

Batch norm on hidden layer l (``batch_norm=``, training mode: the batch's own μˡ, σ²ˡ; batchnorm.py both ways)::

    aˡ = fˡ(γˡ ⊙ x̂ˡ + βˡ),  x̂ˡ = (zˡ − μˡ)/√(σ²ˡ + ε);  δˡ = ∂L/∂zˡ = its paths through x̂ˡ, μˡ and σ²ˡ, summed

The two passes come first, as plain functions; the Network class holds the parameters and checks what
it is given. The bookkeeping lives elsewhere: the flat parameter vector and its names in parameters.py,
the Record in record.py, dicts and files in storage.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .._validate import as_finite_array, one_of, rng_from
from .activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, Activation, get_activation
from .batchnorm import BatchNormRecord, batchnorm_backward, batchnorm_forward
from .losses import LOSSES, Loss, get_loss
from .parameters import (
    MAX_LAYERS,
    MAX_PARAMETERS,
    MAX_WIDTH,
    Parameters,
    check_batch_norm,
    check_sizes,
    parameter_names,
)
from .record import Record, readonly

BATCH_NORM_EPS = 1e-5  # ε added to σ² before the square root: PyTorch's default (nn.BatchNorm1d)


class Pass:
    """The raw arrays of one forward (and backward) pass, per layer (internal: no copies, not read-only)."""

    __slots__ = ("a", "z", "norm", "fprime", "grad_a", "grad_x", "delta", "norm_grad", "sample_losses")

    def __init__(self, a: list[np.ndarray], z: list[np.ndarray], norm: list[dict | None] | None = None):
        self.a, self.z = a, z  # a⁰..aᴸ and z¹..zᴸ
        self.norm = norm  # per layer batchnorm_forward's arrays (μ, σ², x̂, output...) or None; None: no batch norm
        self.fprime = self.grad_a = self.grad_x = self.delta = self.norm_grad = self.sample_losses = None

    def f_input(self, layer: int) -> np.ndarray:
        """What fˡ was applied to (layer from 0): zˡ, or with batch norm yˡ = γˡ x̂ˡ + βˡ."""
        step = None if self.norm is None else self.norm[layer]
        return self.z[layer] if step is None else step["output"]


def forward_pass(
    X: np.ndarray, weights: Sequence, biases: Sequence, functions: Sequence[Activation], norms: Sequence | None = None
) -> Pass:
    """a⁰ = X, then zˡ = aˡ⁻¹ Wˡ + bˡ and aˡ = fˡ(zˡ) for l = 1..L; with batch norm (norms: per layer (γˡ, βˡ) or
    None) aˡ = fˡ(γˡ x̂ˡ + βˡ), x̂ˡ = (zˡ − μˡ)/√(σ²ˡ + ε) over the batch (``batchnorm_forward``, kept in p.norm)."""
    if norms is None:
        a, z = [X], []
        for W, b, f in zip(weights, biases, functions):
            z.append(a[-1] @ W + b)  # (n, n_out)
            a.append(f.forward(z[-1]))
        return Pass(a, z)
    p = Pass([X], [], [])
    for W, b, f, norm in zip(weights, biases, functions, norms):
        p.z.append(p.a[-1] @ W + b)  # (n, n_out)
        p.norm.append(None if norm is None else batchnorm_forward(p.z[-1], *norm, BATCH_NORM_EPS))
        p.a.append(f.forward(p.f_input(len(p.z) - 1)))  # fˡ(zˡ), or fˡ(γˡ x̂ˡ + βˡ)
    return p


def backward_pass(
    p: Pass, Y: np.ndarray, weights: Sequence, functions: Sequence[Activation], loss: Loss,
    grad_w: Sequence[np.ndarray], grad_b: Sequence[np.ndarray], keep: bool = True,
    norms: Sequence | None = None, grad_norms: Sequence | None = None,
) -> Pass:  # fmt: skip
    """The chain rule from the loss back to the inputs, one layer at a time; fills the rest of ``p``.

    δᴸ = ∂L/∂zᴸ from the loss, then for l = L..1: ∂L/∂Wˡ = (aˡ⁻¹)ᵀ δˡ, ∂L/∂bˡ = Σ δˡ, ∂L/∂aˡ⁻¹ = δˡ (Wˡ)ᵀ and
    δˡ⁻¹ = fˡ⁻¹.backward(zˡ⁻¹, aˡ⁻¹, ∂L/∂aˡ⁻¹): every layer, the output one included, goes through
    ``Activation.backward``. The gradients are written into ``grad_w`` and ``grad_b``. With keep=False
    only the gradients are computed (the training hot path); keep=True also fills f′, ∂L/∂a and ∂L/∂x.

    A layer with batch norm (``p.norm``; norms and grad_norms: per layer (γ, β) and their gradient buffers)
    gives fˡ⁻¹.backward's ∂L/∂yˡ⁻¹ to ``batchnorm_backward``: ∂L/∂γ and ∂L/∂β go into grad_norms, and δˡ⁻¹ is
    the sum of its three paths (kept, with the rest of that backward pass, in ``p.norm_grad``).
    """
    n, L = Y.shape[0], len(weights)
    zL, aL = p.z[-1], p.a[-1]
    p.sample_losses = loss.per_sample(zL, aL, Y)  # ℓ per sample, (n,)
    delta = loss.delta(zL, aL, Y, functions[-1])  # ∂ℓ/∂zᴸ per sample: fᴸ.backward, or a − y when paired
    if n != 1:
        delta /= n  # the loss is a mean over samples
    p.delta = [None] * L
    if p.norm is not None:
        p.norm_grad = [None] * L
    if keep:
        p.fprime = [f.derivative(p.f_input(k), al) for k, (f, al) in enumerate(zip(functions, p.a[1:]))]
        p.grad_a = [None] * (L - 1) + [loss.grad_a(zL, aL, Y) / n]
    for layer in range(L - 1, -1, -1):
        p.delta[layer] = delta
        np.matmul(p.a[layer].T, delta, out=grad_w[layer])  # ∂L/∂Wˡ = (aˡ⁻¹)ᵀ δˡ, (n_in, n_out)
        np.add.reduce(delta, axis=0, out=grad_b[layer])  # ∂L/∂bˡ = Σ_samples δˡ, (n_out,)
        if layer or keep:
            grad_a = delta @ weights[layer].T  # ∂L/∂aˡ⁻¹ = δˡ (Wˡ)ᵀ, i.e. Σ_k w_jk δ_k, (n, n_in)
        if layer:
            if keep:
                p.grad_a[layer - 1] = grad_a
            if p.norm is None or p.norm[layer - 1] is None:
                delta = functions[layer - 1].backward(p.z[layer - 1], p.a[layer], grad_a)  # δˡ⁻¹
            else:  # δˡ⁻¹ through fˡ⁻¹ and then the batch norm's three paths
                delta = _back_through_batch_norm(p, layer - 1, functions[layer - 1], grad_a, norms, grad_norms)
        elif keep:
            p.grad_x = grad_a  # ∂L/∂x = δ¹ (W¹)ᵀ, (n, n_features)
    return p


def _back_through_batch_norm(p: Pass, k: int, f: Activation, grad_a: np.ndarray, norms, grad_norms) -> np.ndarray:
    """δ = ∂L/∂z of layer index k with batch norm: ∂L/∂y through f, then back through the batch norm to z along
    its three paths (``batchnorm_backward``); ∂L/∂γ and ∂L/∂β go into grad_norms[k], the rest into p.norm_grad."""
    step = p.norm[k]
    grad_y = f.backward(step["output"], p.a[k + 1], grad_a)  # ∂L/∂y = f′(y) ⊙ ∂L/∂a
    back = batchnorm_backward(grad_y, norms[k][0], step)
    grad_norms[k][0][...] = back["grad_gamma"]  # ∂L/∂γ = Σ_samples ∂L/∂y ⊙ x̂
    grad_norms[k][1][...] = back["grad_beta"]  # ∂L/∂β = Σ_samples ∂L/∂y
    p.norm_grad[k] = {"grad_output": grad_y, **back}
    return back["grad_input"]  # via x̂ + via μ + via σ²


# A pass over more than this many numbers per array, n_samples × Σ widths, is done in blocks of samples
# (forward, per_sample_losses, mean_loss, gradient), so memory does not grow with the data (16 MB an array).
BLOCK_VALUES = 2**21
# backprop keeps every intermediate of every sample: at most this many n_samples × Σ widths (about 30 MB
# per kind of array, some 200 MB for a whole Record with its copies).
MAX_RECORD_VALUES = 4_000_000
# With batch norm a batch is normalised by its own μ and σ², so it is one pass, never blocks: at most this
# many n_samples × Σ widths (some 150 MB for the pass's arrays), for training as for a record.
MAX_BATCH_NORM_VALUES = 4_000_000
INITS = ("auto", "xavier", "he", "normal", "zeros")


class Network:
    """A fully connected network: any depth and width within the limits, float64, seeded initialisation.

    ``Network([2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)``

    Parameters
    ----------
    sizes: layer widths from inputs to outputs, at least two entries, each from 1 to MAX_WIDTH (4,096);
        at most MAX_LAYERS (100) layers with weights and MAX_PARAMETERS (1,000,000) parameters in all.
    activation: hidden activation, one name for all hidden layers or one per hidden layer
        (sigmoid, tanh, relu, leaky_relu, identity).
    output_activation: sigmoid, tanh, relu, leaky_relu, identity or softmax.
    loss: ``mse`` (½Σ(a−y)², mean over samples), ``bce`` (with a sigmoid output) or
        ``cross_entropy`` (with a softmax output; one-hot or integer labels).
    seed: int or ``np.random.Generator`` for the initial weights.
    init: ``auto`` (Xavier for sigmoid/tanh/identity, He for relu-like), ``xavier``, ``he``,
        ``normal`` (σ = 1) or ``zeros``; biases start at zero.
    batch_norm: False (the default), True for batch norm on every hidden layer, or one True/False per hidden
        layer. It normalises zˡ over the batch before the activation, aˡ = fˡ(γˡ x̂ˡ + βˡ) (training mode: each
        batch by its own μ and σ², ε = 1e-5), with parameters ``gamma{l}[j]`` (γ, starting at 1) and
        ``beta{l}[j]`` (β, starting at 0) after all the weights and biases in θ. A batch then needs at least 2
        samples, ``forward`` of a batch depends on the whole batch, and ∂L/∂bˡ of such a layer is 0 (the
        mean subtracts bˡ out).

    ``backprop`` records at most MAX_RECORD_VALUES (4,000,000) numbers per kind of array, n_samples × Σ
    widths; ``forward``, ``loss_value`` and training work in blocks of samples and take any number (with
    batch norm, one pass of at most MAX_BATCH_NORM_VALUES, 4,000,000).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        output_activation: str = "sigmoid",
        loss: str = "mse",
        seed: int | np.random.Generator | None = 0,
        init: str = "auto",
        batch_norm: bool | Sequence[bool] = False,
    ):
        self.sizes = check_sizes(sizes)
        self.layer_activations = _check_activations(self.sizes, activation, output_activation)
        self._loss = _check_loss(loss, output_activation, self.sizes)
        self.loss = loss
        self.init = one_of(init, INITS, "init")
        self.batch_norm = check_batch_norm(batch_norm, self.sizes)  # one flag per hidden layer
        rng = rng_from(seed)
        self._acts = [ACTIVATIONS[name] for name in self.layer_activations]
        self._units = sum(self.sizes)  # numbers a sample takes in one pass, a⁰ to aᴸ
        # One flat buffer θ; weights, biases (and γ, β) are views into it, so flat and per-layer access agree.
        self._p = Parameters(self.sizes, self.batch_norm)
        self.weights, self.biases = self._p.weights, self._p.biases
        self.gammas, self.betas = self._p.gammas, self._p.betas  # per layer; None where there is no batch norm
        # What the passes take: per layer (γ, β) or None, and their gradient buffers; None without batch norm.
        self._norms = self._grad_norms = None
        if any(self.batch_norm):
            self._norms = [None if g is None else (g, b) for g, b in zip(self.gammas, self.betas)]
            self._grad_norms = [None if g is None else (g, b) for g, b in zip(self._p.grad_gammas, self._p.grad_betas)]
        self.reinitialize(rng)

    # ------------------------------------------------------------------ computing
    def forward(self, X, statistics=None) -> np.ndarray:
        """The output aᴸ for inputs X, as (n_samples, n_out).

        With batch norm X is one batch (≥ 2 samples) normalised by its own μ and σ² (training mode), unless
        ``statistics`` gives the (μ, σ²) of each layer to normalise by instead: ``batch_statistics(X_train)``,
        as PyTorch's eval() does with its running statistics. Then X may be any number of samples, one
        included, and a sample's output no longer depends on the others (a decision boundary, a prediction).
        """
        Xa = self.check_X(X)
        if statistics is not None:
            stats = self._check_statistics(statistics)
            with np.errstate(all="ignore"):
                blocks = [self._inference_pass(Xa[s], stats) for s in self._blocks(Xa.shape[0], whole=False)]
            return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
        with np.errstate(all="ignore"):
            blocks = [self.forward_pass(Xa[s]).a[-1] for s in self._blocks(Xa.shape[0])]
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def batch_statistics(self, X) -> tuple[tuple[np.ndarray, np.ndarray] | None, ...]:
        """Per layer the batch's (μ, σ²) of zˡ, (n_out,) each and read-only, None where a layer has no batch norm:
        what ``forward(X_new, statistics=...)`` normalises by. X: one batch (≥ 2 samples), e.g. the training data."""
        Xa = self.check_X(X)
        self.check_batches(Xa.shape[0])
        with np.errstate(all="ignore"):
            p = self.forward_pass(Xa)
        norm = p.norm or [None] * self.n_layers
        return tuple(None if step is None else (readonly(step["mean"]), readonly(step["var"])) for step in norm)

    predict = forward

    def backprop(self, X, y) -> Record:
        """Forward and backward pass on (X, y), every intermediate kept in a read-only Record.

        X: (n_samples, n_features) or one sample (n_features,); n_samples × (n_features + Σ widths) at most
           MAX_RECORD_VALUES (4,000,000).
        y: (n_samples, n_out), or (n_out,) for one sample, or (n_samples,) with one output;
           integer class labels with ``cross_entropy``.
        """
        Xa = self.check_X(X)
        self.check_batches(Xa.shape[0])
        units = sum(self.sizes)
        if Xa.shape[0] * units > MAX_RECORD_VALUES:
            raise ValueError(
                f"X has {Xa.shape[0]:,} samples; a record of this network ({units:,} units a sample) keeps at most "
                f"{max(1, MAX_RECORD_VALUES // units):,} (n_samples × units ≤ {MAX_RECORD_VALUES:,}): record a few "
                "samples, X[:k]; loss_value and train take them all"
            )
        Y = self.check_y(y, Xa.shape[0])
        with np.errstate(all="ignore"):
            p = backward_pass(
                self.forward_pass(Xa), Y, self.weights, self._acts, self._loss, self._p.grad_w, self._p.grad_b,
                norms=self._norms, grad_norms=self._grad_norms,
            )  # fmt: skip
        return self._record(p, Y)

    def loss_value(self, X, y) -> float:
        """The mean loss over the samples of (X, y), without a backward pass."""
        Xa = self.check_X(X)
        Y = self.check_y(y, Xa.shape[0])
        with np.errstate(all="ignore"):
            return self.mean_loss(Xa, Y)

    def check_batches(self, n_samples: int, batch_size: int | None = None) -> None:
        """With batch norm, refuse data whose batches it cannot normalise; without it, do nothing.

        n_samples: the samples of a full batch; batch_size: mini-batches of that many, each epoch's last one
        the remainder (as ``train`` draws them). Every batch needs at least 2 samples (the variance of one
        sample is 0) and, being one pass, n_samples × Σ widths ≤ MAX_BATCH_NORM_VALUES (4,000,000).
        """
        if self._norms is None:
            return
        if n_samples * self._units > MAX_BATCH_NORM_VALUES:
            raise ValueError(
                f"X has {n_samples:,} samples; with batch norm a batch is one pass over all its samples, and this "
                f"network ({self._units:,} units a sample) takes at most {MAX_BATCH_NORM_VALUES // self._units:,}"
            )
        sizes = {n_samples} if batch_size is None or batch_size >= n_samples else {batch_size, n_samples % batch_size}
        smallest = min(sizes - {0})
        if smallest < 2:
            where = "a batch" if batch_size is None or batch_size >= n_samples else (
                f"a batch (batch_size {batch_size} over {n_samples} samples leaves a batch of {smallest})"
            )  # fmt: skip
            raise ValueError(f"batch norm needs at least 2 samples in {where}; got {smallest}")

    # ------------------------------------------------------------------ the engine's own API (checked arrays)
    # These trust their inputs: X and Y as returned by check_X and check_y. Other engine and course modules
    # use them instead of reaching into the network's private members.
    def forward_pass(self, X: np.ndarray) -> Pass:
        """The raw forward pass (a⁰..aᴸ, z¹..zᴸ, and the batch norms' arrays) for checked inputs, all at once."""
        return forward_pass(X, self.weights, self.biases, self._acts, self._norms)

    def per_sample_losses(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """ℓ(aᴸ, y) per sample, (n_samples,), for checked arrays; computed in blocks of samples (with batch
        norm in one pass: X is one batch, and ℓ of each sample depends on the whole batch)."""
        parts = []
        for s in self._blocks(X.shape[0]):
            p = self.forward_pass(X[s])
            parts.append(self._loss.per_sample(p.z[-1], p.a[-1], Y[s]))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def mean_loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """L = the mean over samples of ℓ, for checked arrays."""
        losses = self.per_sample_losses(X, Y)
        return float(np.add.reduce(losses)) / losses.shape[0]

    def gradient(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """(L, ∂L/∂θ) for checked arrays: the training hot path, no record kept.

        ∂L/∂θ is the network's reused flat buffer, laid out like ``parameters``: copy it to keep it.
        Large batches go in blocks of samples, each block's gradient weighted by its share of the samples.
        Like the other methods of this section it sets no ``np.errstate``: a caller that may overflow
        (a diverging run) wraps its loop in one, as ``train`` does.
        """
        n, grad = X.shape[0], self._p.grad
        if self._norms is not None:  # batch norm: the batch is one pass, normalised by its own μ and σ²
            self.check_batches(n)
            p = backward_pass(
                self.forward_pass(X), Y, self.weights, self._acts, self._loss, self._p.grad_w, self._p.grad_b,
                keep=False, norms=self._norms, grad_norms=self._grad_norms,
            )  # fmt: skip
            return float(np.add.reduce(p.sample_losses)) / n, grad
        if n * self._units <= BLOCK_VALUES:  # one block: the common case, kept lean
            p = backward_pass(
                forward_pass(X, self.weights, self.biases, self._acts), Y, self.weights, self._acts, self._loss,
                self._p.grad_w, self._p.grad_b, keep=False,
            )  # fmt: skip
            return float(np.add.reduce(p.sample_losses)) / n, grad
        total, summed = 0.0, np.zeros_like(grad)
        for s in self._blocks(n):
            p = backward_pass(
                self.forward_pass(X[s]), Y[s], self.weights, self._acts, self._loss,
                self._p.grad_w, self._p.grad_b, keep=False,
            )  # fmt: skip
            total += float(np.add.reduce(p.sample_losses))
            summed += grad * ((s.stop - s.start) / n)
        grad[...] = summed
        return total / n, grad

    def check_X(self, X, argument: str = "X") -> np.ndarray:
        """X as a float64 (n_samples, n_features) array; ValueError naming ``argument`` otherwise."""
        arr = as_finite_array(X, argument)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{argument} must have {self.sizes[0]} feature columns (n_samples, {self.sizes[0]}); "
                f"got shape {np.shape(X)}"
            )
        return arr

    def check_y(self, y, n_samples: int, argument: str = "y") -> np.ndarray:
        """Targets as (n_samples, n_out) floats (integer labels one-hot); ValueError naming ``argument``."""
        n_out = self.sizes[-1]
        arr = as_finite_array(y, argument, ndim=(0, 1, 2))
        if self.loss == "cross_entropy":
            # Integer class labels: a scalar, or one label per sample (for a single sample a 1-D y
            # of length n_out is a one-hot row instead).
            is_label_vector = (
                arr.ndim == 1
                and arr.shape[0] == n_samples
                and not (n_samples == 1 and n_out > 1 and arr.shape[0] == n_out)
            )
            if arr.ndim == 0 or is_label_vector:
                labels = arr.reshape(-1)
                if labels.shape[0] != n_samples or not _is_labels(labels, n_out):
                    raise ValueError(
                        f"{argument} must be class labels 0 to {n_out - 1} (one per sample) or one-hot rows of "
                        f"length {n_out}"
                    )
                return np.eye(n_out)[labels.astype(int)]
        if arr.ndim == 0 or (arr.ndim == 1 and n_out == 1 and arr.shape[0] == n_samples):
            arr = arr.reshape(-1, 1)
        elif arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape != (n_samples, n_out):
            raise ValueError(
                f"{argument} must have shape ({n_samples}, {n_out}) to match the {n_samples} samples and the "
                f"{n_out} outputs; got {np.shape(y)}"
            )
        return arr

    # Old private names, kept while the apps switch to check_X / check_y.
    _check_X = check_X
    _check_y = check_y

    @property
    def theta(self) -> np.ndarray:
        """The live flat parameter vector θ (P,), a view: writing into it moves the parameters.

        What an optimiser updates in place and a finite-difference check nudges; ``parameters`` is a copy.
        """
        return self._p.theta

    @property
    def layer_functions(self) -> tuple[Activation, ...]:
        """The activation of each layer 1..L, as registry entries (forward, derivative, backward)."""
        return tuple(self._acts)

    @property
    def loss_function(self) -> Loss:
        """The loss as its registry entry (per_sample, grad_a, delta)."""
        return self._loss

    def _check_statistics(self, statistics) -> list:
        """``statistics`` as batch_statistics returns them, checked: per layer None or (μ, σ²), (n_out,), σ² ≥ 0."""
        what = "statistics must be net.batch_statistics(X): one entry per layer, (μ, σ²) where it has batch norm"
        if not isinstance(statistics, (tuple, list)) or len(statistics) != self.n_layers:
            raise ValueError(f"{what}, None where not ({self.n_layers} entries)")
        out = []
        for layer, (stat, gamma) in enumerate(zip(statistics, self.gammas)):
            if gamma is None:
                if stat is not None:
                    raise ValueError(f"{what}; statistics[{layer}] must be None (layer {layer + 1} has no batch norm)")
                out.append(None)
                continue
            if not isinstance(stat, (tuple, list)) or len(stat) != 2:
                raise ValueError(f"{what}; statistics[{layer}] must be a pair (μ, σ²) for layer {layer + 1}")
            mean = as_finite_array(stat[0], f"statistics[{layer}][0]", ndim=(1,))
            var = as_finite_array(stat[1], f"statistics[{layer}][1]", ndim=(1,))
            if mean.shape != gamma.shape or var.shape != gamma.shape or np.any(var < 0):
                raise ValueError(f"statistics[{layer}] must be μ and σ² ≥ 0 of shape {gamma.shape} (layer {layer + 1})")
            out.append((mean, var))
        return out

    def _inference_pass(self, X: np.ndarray, stats: list) -> np.ndarray:
        """aᴸ with each batch norm's μ and σ² fixed (``forward(X, statistics=...)``): y = γ (z − μ)/√(σ² + ε) + β."""
        a = X
        for W, b, f, gamma, beta, stat in zip(self.weights, self.biases, self._acts, self.gammas, self.betas, stats):
            z = a @ W + b  # (n, n_out)
            if stat is not None:
                z = gamma * ((z - stat[0]) / np.sqrt(stat[1] + BATCH_NORM_EPS)) + beta
            a = f.forward(z)
        return a

    def _blocks(self, n: int, whole: bool = True) -> list[slice]:
        """Slices of n samples, each at most BLOCK_VALUES numbers an array; with batch norm (unless whole=False,
        for fixed statistics) the one batch, refused if it cannot be normalised."""
        if self._norms is not None and whole:
            self.check_batches(n)
            return [slice(0, n)]
        rows = max(1, BLOCK_VALUES // self._units)
        return [slice(0, n)] if n <= rows else [slice(s, min(s + rows, n)) for s in range(0, n, rows)]

    def _record(self, p: Pass, Y: np.ndarray) -> Record:
        def ro(arrays):
            return tuple(readonly(np.array(x)) for x in arrays)

        with np.errstate(all="ignore"):
            loss = float(np.add.reduce(p.sample_losses)) / p.sample_losses.shape[0]
        return Record(
            sizes=self.sizes,
            activation_names=self.layer_activations,
            loss_name=self.loss,
            weights=ro(self.weights),
            biases=ro(self.biases),
            frozen_weights=ro(self._p.frozen_w),
            frozen_biases=ro(self._p.frozen_b),
            targets=readonly(np.array(Y)),
            activations=ro(p.a),
            preactivations=ro(p.z),
            derivatives=ro(p.fprime),
            grad_activations=ro(p.grad_a),
            deltas=ro(p.delta),
            grad_weights=ro(self._p.grad_w),
            grad_biases=ro(self._p.grad_b),
            grad_inputs=readonly(np.array(p.grad_x)),
            sample_losses=readonly(np.array(p.sample_losses)),
            loss=loss,
            batch_norms=self._batch_norm_records(p),
        )

    def _batch_norm_records(self, p: Pass) -> tuple[BatchNormRecord | None, ...]:
        """Per layer the batch-norm step's read-only record (None where the layer has none); () without batch norm."""
        if p.norm is None:
            return ()
        out = []
        for layer, (step, back) in enumerate(zip(p.norm, p.norm_grad)):
            if step is None:
                out.append(None)
                continue
            arrays = {"x": p.z[layer], "gamma": self.gammas[layer], "beta": self.betas[layer], **step, **back}
            out.append(BatchNormRecord(eps=BATCH_NORM_EPS, **{k: readonly(np.array(v)) for k, v in arrays.items()}))
        return tuple(out)

    # ------------------------------------------------------------------ set-up
    def reinitialize(self, seed: int | np.random.Generator | None = 0) -> None:
        """Draw fresh initial weights (biases zero, γ one, β zero) from ``seed``; frozen flags are kept."""
        rng = rng_from(seed)
        for layer, w in enumerate(self.weights):
            n_in, n_out = w.shape
            kind = self.init
            if kind == "auto":
                kind = "he" if self.layer_activations[layer] in ("relu", "leaky_relu") else "xavier"
            scale = {"xavier": np.sqrt(2.0 / (n_in + n_out)), "he": np.sqrt(2.0 / n_in), "normal": 1.0, "zeros": 0.0}
            w[...] = rng.normal(0.0, 1.0, size=w.shape) * scale[kind]
            self.biases[layer][...] = 0.0
            if self.gammas[layer] is not None:  # batch norm starts as the plain normalisation, as in PyTorch
                self.gammas[layer][...] = 1.0
                self.betas[layer][...] = 0.0

    @property
    def n_layers(self) -> int:
        """Number of layers with weights (L)."""
        return len(self.sizes) - 1

    @property
    def activation(self) -> str | tuple[str, ...]:
        """The hidden activation: one name if all hidden layers share it, else one per layer."""
        hidden = self.layer_activations[:-1]
        return hidden[0] if len(set(hidden)) == 1 else hidden

    @property
    def output_activation(self) -> str:
        return self.layer_activations[-1]

    # ------------------------------------------------------------------ parameters by name
    @property
    def parameter_names(self) -> list[str]:
        """``W1[0,0]``, ..., ``b1[0]``, ..., (with batch norm then ``gamma1[0]``, ..., ``beta1[0]``, ...) in the
        order of the flat vector."""
        return list(self._p.names.all())

    @property
    def n_parameters(self) -> int:
        return self._p.names.size

    @property
    def parameters(self) -> np.ndarray:
        """A copy of all parameters as one flat vector (see ``parameter_names``)."""
        return self._p.theta.copy()

    @parameters.setter
    def parameters(self, values) -> None:
        self.set_parameters(values)

    def set_parameters(self, values) -> None:
        """Set all parameters from a flat vector of length ``n_parameters``."""
        arr = as_finite_array(values, "parameters", ndim=(1,))
        if arr.shape != self._p.theta.shape:
            raise ValueError(f"parameters must have length {self._p.theta.size}; got {arr.size}")
        self._p.theta[...] = arr

    def index_of(self, name: str) -> int:
        """Position of a parameter such as ``W1[0,1]`` in the flat vector."""
        return self._p.names.index_of(name)

    def get(self, name: str) -> float:
        """The value of one parameter, e.g. ``net.get("W1[0,1]")``."""
        return float(self._p.theta[self.index_of(name)])

    def set(self, name: str, value: float) -> None:
        """Set one parameter, e.g. ``net.set("b2[0]", 0.6)``."""
        v = as_finite_array(value, "value", ndim=(0,))
        self._p.theta[self.index_of(name)] = float(v)

    __getitem__ = get
    __setitem__ = set

    def freeze(self, *names: str) -> None:
        """Hold parameters fixed during training: entries (``b1[0]``) or whole tensors (``b1``)."""
        self._p.frozen[self._p.names.indices(names, "freeze")] = True

    def unfreeze(self, *names: str) -> None:
        """Let parameters train again; with no names, all of them."""
        if names:
            self._p.frozen[self._p.names.indices(names, "unfreeze")] = False
        else:
            self._p.frozen[:] = False

    @property
    def frozen(self) -> list[str]:
        """Names of the frozen parameters."""
        return self._p.frozen_names()

    @property
    def trainable_mask(self) -> np.ndarray:
        """Boolean flat vector, True where a parameter trains (read-only copy)."""
        return readonly(~self._p.frozen)

    # ------------------------------------------------------------------ copies and files (storage.py)
    def copy(self) -> Network:
        """An independent copy: same architecture, parameters and frozen flags."""
        twin = Network(
            self.sizes,
            activation=list(self.layer_activations[:-1]) or "sigmoid",
            output_activation=self.output_activation,
            loss=self.loss,
            init=self.init,
            batch_norm=self.batch_norm or False,
        )
        twin._p.theta[...] = self._p.theta
        twin._p.frozen[...] = self._p.frozen
        return twin

    def to_dict(self) -> dict:
        """Architecture, parameters and frozen flags as plain JSON-ready values."""
        from .storage import network_to_dict

        return network_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Network:
        """Rebuild a network from ``to_dict()`` output; every entry is checked (sizes within the limits,
        parameters, frozen names) before anything is built, and any problem is a ValueError naming it."""
        from .storage import network_from_dict

        return network_from_dict(cls, data)

    def save(self, path: str | Path) -> None:
        """Write the network to a JSON file, atomically: a failed save leaves any previous file intact."""
        from .storage import save_network

        save_network(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a network written by ``save`` (files up to storage.MAX_NETWORK_FILE_BYTES, 64 MB)."""
        from .storage import load_network

        return load_network(cls, path)

    def __repr__(self) -> str:
        norm = ""
        if any(self.batch_norm):
            norm = f", batch_norm={True if all(self.batch_norm) else list(self.batch_norm)!r}"
        return (
            f"Network({list(self.sizes)}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, loss={self.loss!r}{norm})"
        )


def _check_activations(sizes: tuple[int, ...], activation, output_activation) -> tuple[str, ...]:
    """(hidden activation per hidden layer..., output activation), or ValueError naming the argument."""
    n_hidden = len(sizes) - 2
    if isinstance(activation, str):
        get_activation(activation, argument="activation")
        hidden = [activation] * n_hidden
    elif isinstance(activation, Iterable) and not isinstance(activation, bytes):
        hidden = list(itertools.islice(activation, n_hidden + 1))  # a generator may never end
        if len(hidden) != n_hidden:
            raise ValueError(
                f"activation must be one name or {n_hidden} names (one per hidden layer); got {activation!r}"
            )
        for i, name in enumerate(hidden):
            get_activation(name, argument=f"activation[{i}]")
    else:
        raise ValueError(f"activation must be a name or a list of names (one per hidden layer); got {activation!r}")
    get_activation(output_activation, argument="output_activation", hidden=False)
    if output_activation == "softmax" and sizes[-1] < 2:
        raise ValueError("output_activation='softmax' needs at least 2 outputs (sizes[-1] ≥ 2)")
    return tuple(hidden) + (output_activation,)


def _check_loss(loss, output_activation: str, sizes: tuple[int, ...]) -> Loss:
    loss_fn = get_loss(loss)
    if loss_fn.output_activation not in (None, output_activation):
        raise ValueError(
            f"loss={loss!r} pairs with output_activation={loss_fn.output_activation!r}; "
            f"got output_activation={output_activation!r}"
        )
    return loss_fn


def _is_labels(labels: np.ndarray, n_out: int) -> bool:
    return bool(np.all(labels == np.round(labels)) and np.all((labels >= 0) & (labels < n_out)))


__all__ = [
    "BATCH_NORM_EPS",
    "BLOCK_VALUES",
    "HIDDEN_ACTIVATIONS",
    "INITS",
    "LOSSES",
    "MAX_BATCH_NORM_VALUES",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "MAX_RECORD_VALUES",
    "MAX_WIDTH",
    "Network",
    "Pass",
    "Record",
    "backward_pass",
    "forward_pass",
    "parameter_names",
]
