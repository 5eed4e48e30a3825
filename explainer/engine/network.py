"""A fully connected network whose forward and backward passes record every step.

Notation, as in the notebooks (layers counted from 1, as in the maths)::

    a⁰ = X                         (n_samples, n_features)
    zˡ = aˡ⁻¹ Wˡ + bˡ              Wˡ: (n_in, n_out), bˡ: (n_out,)
    aˡ = fˡ(zˡ)
    L  = mean over samples of ℓ(aᴸ, y)
    δᴸ = ∂L/∂zᴸ                    = fᴸ′(zᴸ) ⊙ ∂L/∂aᴸ   (= (aᴸ − y)/n for sigmoid+bce, softmax+ce)
    ∂L/∂aˡ = δˡ⁺¹ (Wˡ⁺¹)ᵀ          i.e. Σ_k w_jk δ_k
    δˡ = fˡ′(zˡ) ⊙ ∂L/∂aˡ
    ∂L/∂Wˡ = (aˡ⁻¹)ᵀ δˡ,   ∂L/∂bˡ = Σ_samples δˡ

Python lists are 0-based, so ``net.weights[0]`` is W¹ and ``rec.deltas[0]`` is δ¹, while
``rec.activations[0]`` is a⁰ = X. Flat parameter names use the maths' numbering: ``W1[0,1]``, ``b2[0]``.
All parameters live in one flat float64 vector; ``weights`` and ``biases`` are views into it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import as_finite_array, one_of, positive_float, positive_int, rng_from
from .activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, get_activation
from .losses import LOSSES, get_loss

_NAME = re.compile(r"^\s*([Wb])(\d+)(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*$")
INITS = ("auto", "xavier", "he", "normal", "zeros")


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


class _LayerList(list):
    """A list of parameter views; assigning ``net.weights[0] = M`` copies M into the view."""

    def __init__(self, views: list[np.ndarray], kind: str):
        super().__init__(views)
        self._kind = kind

    def __setitem__(self, index, value):
        view = self[index]
        arr = as_finite_array(value, f"{self._kind}[{index}]", ndim=(view.ndim,))
        if arr.shape != view.shape:
            raise ValueError(f"{self._kind}[{index}] must have shape {view.shape}; got {arr.shape}")
        view[...] = arr


@dataclass(frozen=True)
class Record:
    """Everything one forward and backward pass computed, per layer, read-only.

    Indexing: ``activations[l]`` is aˡ with a⁰ = X; every other per-layer tuple has one entry per
    layer with weights, so ``preactivations[0]`` is z¹, ``deltas[0]`` is δ¹, ``grad_weights[0]`` is
    ∂L/∂W¹. Arrays are 2-D ``(n_samples, width)`` even for a single sample. The loss is the mean over
    samples, so δ, ∂L/∂a and the gradients include the 1/n_samples factor.
    """

    sizes: tuple[int, ...]
    activation_names: tuple[str, ...]  # per layer 1..L; the last is the output activation
    loss_name: str
    weights: tuple[np.ndarray, ...]  # the Wˡ used, (n_in, n_out)
    biases: tuple[np.ndarray, ...]  # the bˡ used, (n_out,)
    frozen_weights: tuple[np.ndarray, ...]  # bool, True where a weight is held fixed
    frozen_biases: tuple[np.ndarray, ...]
    targets: np.ndarray  # y as (n_samples, n_out); integer labels become one-hot
    activations: tuple[np.ndarray, ...]  # a⁰ = X, a¹, ..., aᴸ
    preactivations: tuple[np.ndarray, ...]  # z¹ ... zᴸ
    derivatives: tuple[np.ndarray, ...]  # f′(zˡ); for softmax the Jacobian's diagonal
    grad_activations: tuple[np.ndarray, ...]  # ∂L/∂aˡ, l = 1..L
    deltas: tuple[np.ndarray, ...]  # δˡ = ∂L/∂zˡ
    grad_weights: tuple[np.ndarray, ...]  # ∂L/∂Wˡ, shaped like Wˡ
    grad_biases: tuple[np.ndarray, ...]  # ∂L/∂bˡ
    sample_losses: np.ndarray  # ℓ per sample, (n_samples,)
    loss: float  # mean of sample_losses

    @property
    def inputs(self) -> np.ndarray:
        """X, (n_samples, n_features)."""
        return self.activations[0]

    @property
    def output(self) -> np.ndarray:
        """aᴸ, (n_samples, n_out)."""
        return self.activations[-1]

    @property
    def n_layers(self) -> int:
        """Number of layers with weights (L)."""
        return len(self.weights)

    @property
    def n_samples(self) -> int:
        return self.activations[0].shape[0]

    @property
    def finite(self) -> bool:
        """False when the loss or any gradient is NaN or infinite (a diverged network)."""
        return bool(
            np.isfinite(self.loss) and all(np.all(np.isfinite(g)) for g in self.grad_weights + self.grad_biases)
        )

    @property
    def parameter_names(self) -> list[str]:
        return parameter_names(self.sizes)

    def gradient_vector(self) -> np.ndarray:
        """∂L/∂θ as one flat vector, in the order of ``parameter_names``."""
        return np.concatenate(
            [p for pair in zip(self.grad_weights, self.grad_biases) for p in (pair[0].ravel(), pair[1])]
        )

    def updated_parameters(self, lr: float) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """One step of gradient descent, w ← w − η·∂L/∂w, frozen parameters left as they are.

        Returns new (weights, biases) tuples; the record itself is not changed.
        """
        lr = positive_float(lr, "lr")
        new_w = tuple(
            np.where(f, w, w - lr * g) for w, g, f in zip(self.weights, self.grad_weights, self.frozen_weights)
        )
        new_b = tuple(np.where(f, b, b - lr * g) for b, g, f in zip(self.biases, self.grad_biases, self.frozen_biases))
        return new_w, new_b

    def to_dict(self) -> dict:
        """Plain lists and numbers, for JSON; non-finite numbers become None."""

        def conv(value):
            if isinstance(value, np.ndarray):
                return (
                    np.where(np.isfinite(value), value, np.nan).tolist() if value.dtype.kind == "f" else value.tolist()
                )
            if isinstance(value, tuple):
                return [conv(v) for v in value]
            return value

        out = {}
        for key in self.__dataclass_fields__:
            out[key] = conv(getattr(self, key))
        out["loss"] = self.loss if np.isfinite(self.loss) else None
        return _nan_to_none(out)

    def to_json(self, path: str | Path | None = None) -> str:
        """The record as JSON text; written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            Path(path).write_text(text)
        return text

    def to_csv(self, path: str | Path | None = None) -> str:
        """One row per quantity and entry: ``quantity,layer,sample,row,column,value`` (layer from 1)."""
        rows = ["quantity,layer,sample,row,column,value"]
        per_sample = {
            "a": self.activations[1:],
            "z": self.preactivations,
            "f_prime": self.derivatives,
            "dL_da": self.grad_activations,
            "delta": self.deltas,
        }
        for name, arrays in per_sample.items():
            for layer, arr in enumerate(arrays, start=1):
                for s, j in np.ndindex(arr.shape):
                    rows.append(f"{name},{layer},{s},,{j},{float(arr[s, j])!r}")
        for name, arrays in {"W": self.weights, "dL_dW": self.grad_weights}.items():
            for layer, arr in enumerate(arrays, start=1):
                for i, j in np.ndindex(arr.shape):
                    rows.append(f"{name},{layer},,{i},{j},{float(arr[i, j])!r}")
        for name, arrays in {"b": self.biases, "dL_db": self.grad_biases}.items():
            for layer, arr in enumerate(arrays, start=1):
                for j in range(arr.shape[0]):
                    rows.append(f"{name},{layer},,,{j},{float(arr[j])!r}")
        rows.append(f"loss,,,,,{self.loss!r}")
        text = "\n".join(rows) + "\n"
        if path is not None:
            Path(path).write_text(text)
        return text


def _nan_to_none(obj):
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, list):
        return [_nan_to_none(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    return obj


def parameter_names(sizes: Sequence[int]) -> list[str]:
    """Flat parameter names in storage order: W1 row by row, then b1, then W2, b2, ..."""
    names = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        names += [f"W{layer}[{i},{j}]" for i in range(n_in) for j in range(n_out)]
        names += [f"b{layer}[{j}]" for j in range(n_out)]
    return names


class _Pass:
    """The raw arrays of one forward/backward pass (internal: no copies, not read-only)."""

    __slots__ = ("a", "z", "fprime", "grad_a", "delta", "grad_w", "grad_b", "sample_losses")

    def __init__(self, a: list[np.ndarray], z: list[np.ndarray]):
        self.a, self.z = a, z
        self.fprime = self.grad_a = self.delta = self.grad_w = self.grad_b = self.sample_losses = None


class Network:
    """A fully connected network: any depth and width, float64, seeded initialisation.

    ``Network([2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)``

    Parameters
    ----------
    sizes: layer widths from inputs to outputs, at least two entries, each ≥ 1.
    activation: hidden activation, one name for all hidden layers or one per hidden layer
        (sigmoid, tanh, relu, leaky_relu, identity).
    output_activation: sigmoid, tanh, relu, leaky_relu, identity or softmax.
    loss: ``mse`` (½Σ(a−y)², mean over samples), ``bce`` (with a sigmoid output) or
        ``cross_entropy`` (with a softmax output; one-hot or integer labels).
    seed: int or ``np.random.Generator`` for the initial weights.
    init: ``auto`` (Xavier for sigmoid/tanh/identity, He for relu-like), ``xavier``, ``he``,
        ``normal`` (σ = 1) or ``zeros``; biases start at zero.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        output_activation: str = "sigmoid",
        loss: str = "mse",
        seed: int | np.random.Generator | None = 0,
        init: str = "auto",
    ):
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
            raise ValueError(f"sizes must be a list of layer widths such as [2, 2, 2]; got {sizes!r}")
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must have at least 2 entries (inputs and outputs); got {sizes!r}")
        self.sizes = tuple(positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes))
        n_hidden = len(self.sizes) - 2
        if not isinstance(activation, (str, Iterable)) or isinstance(activation, bytes):
            raise ValueError(f"activation must be a name or a list of names (one per hidden layer); got {activation!r}")
        if isinstance(activation, str):
            hidden = [activation] * n_hidden
            get_activation(activation, argument="activation")
        else:
            hidden = list(activation)
            if len(hidden) != n_hidden:
                raise ValueError(
                    f"activation must be one name or {n_hidden} names (one per hidden layer); got {activation!r}"
                )
        for i, name in enumerate(hidden):
            get_activation(name, argument=f"activation[{i}]" if not isinstance(activation, str) else "activation")
        get_activation(output_activation, argument="output_activation", hidden=False)
        loss_fn = get_loss(loss)
        if loss_fn.output_activation not in (None, output_activation):
            raise ValueError(
                f"loss={loss!r} pairs with output_activation={loss_fn.output_activation!r}; "
                f"got output_activation={output_activation!r}"
            )
        if output_activation == "softmax" and self.sizes[-1] < 2:
            raise ValueError("output_activation='softmax' needs at least 2 outputs (sizes[-1] ≥ 2)")
        one_of(init, INITS, "init")
        self.layer_activations = tuple(hidden) + (output_activation,)
        self.loss = loss
        self.init = init
        self._acts = [ACTIVATIONS[name] for name in self.layer_activations]
        self._loss = loss_fn

        # One flat buffer; weights and biases are views into it, so flat and per-layer access agree.
        self._names = parameter_names(self.sizes)
        self._index = {name: i for i, name in enumerate(self._names)}
        self._theta = np.zeros(len(self._names))
        self._frozen = np.zeros(len(self._names), dtype=bool)
        self._grad = np.zeros(len(self._names))  # ∂L/∂θ, written by the backward pass
        self.weights = _LayerList(self._layer_views(self._theta, "W"), "weights")
        self.biases = _LayerList(self._layer_views(self._theta, "b"), "biases")
        self._frozen_w, self._frozen_b = self._layer_views(self._frozen, "W"), self._layer_views(self._frozen, "b")
        self._grad_w, self._grad_b = self._layer_views(self._grad, "W"), self._layer_views(self._grad, "b")
        self.reinitialize(seed)

    # ------------------------------------------------------------------ set-up and naming
    def _layer_views(self, flat: np.ndarray, kind: str) -> list[np.ndarray]:
        """Per-layer views of a flat vector: the (n_in, n_out) weight blocks or the bias blocks."""
        views, offset = [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            if kind == "W":
                views.append(flat[offset : offset + n_in * n_out].reshape(n_in, n_out))
            else:
                views.append(flat[offset + n_in * n_out : offset + (n_in + 1) * n_out])
            offset += (n_in + 1) * n_out
        return views

    def reinitialize(self, seed: int | np.random.Generator | None = 0) -> None:
        """Draw fresh initial weights (biases zero) from ``seed``; frozen flags are kept."""
        rng = rng_from(seed)
        for layer, w in enumerate(self.weights):
            n_in, n_out = w.shape
            kind = self.init
            if kind == "auto":
                kind = "he" if self.layer_activations[layer] in ("relu", "leaky_relu") else "xavier"
            scale = {"xavier": np.sqrt(2.0 / (n_in + n_out)), "he": np.sqrt(2.0 / n_in), "normal": 1.0, "zeros": 0.0}[
                kind
            ]
            w[...] = rng.normal(0.0, 1.0, size=w.shape) * scale
            self.biases[layer][...] = 0.0

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

    @property
    def parameter_names(self) -> list[str]:
        """``W1[0,0]``, ..., ``b1[0]``, ..., in the order of the flat vector."""
        return list(self._names)

    @property
    def n_parameters(self) -> int:
        return len(self._names)

    @property
    def parameters(self) -> np.ndarray:
        """A copy of all parameters as one flat vector (see ``parameter_names``)."""
        return self._theta.copy()

    @parameters.setter
    def parameters(self, values) -> None:
        self.set_parameters(values)

    def set_parameters(self, values) -> None:
        """Set all parameters from a flat vector of length ``n_parameters``."""
        arr = as_finite_array(values, "parameters", ndim=(1,))
        if arr.shape != self._theta.shape:
            raise ValueError(f"parameters must have length {self._theta.size}; got {arr.size}")
        self._theta[...] = arr

    def index_of(self, name: str) -> int:
        """Position of a parameter such as ``W1[0,1]`` in the flat vector."""
        if isinstance(name, str):
            m = _NAME.match(name)
            if m and m.group(3) is not None and (m.group(1) == "W") == (m.group(4) is not None):
                kind, layer, i, j = m.group(1), m.group(2), m.group(3), m.group(4)
                canonical = f"W{layer}[{i},{j}]" if kind == "W" else f"b{layer}[{i}]"
                if canonical in self._index:
                    return self._index[canonical]
        example = ", ".join(self._names[:3] + ["…", self._names[-1]])
        raise ValueError(f"parameter name must be one of this network's parameters ({example}); got {name!r}")

    def _indices(self, names: Iterable[str], argument: str) -> np.ndarray:
        """Flat positions for entry names (``W1[0,1]``) or whole tensors (``W1``, ``b2``)."""
        idx = []
        for name in names:
            m = _NAME.match(name) if isinstance(name, str) else None
            if m and m.group(3) is None:
                kind, layer = m.group(1), int(m.group(2))
                if not 1 <= layer <= self.n_layers:
                    raise ValueError(f"{argument}: layer in {name!r} must be 1 to {self.n_layers}")
                prefix = f"{kind}{layer}["
                idx += [i for i, n in enumerate(self._names) if n.startswith(prefix)]
            else:
                try:
                    idx.append(self.index_of(name))
                except ValueError as err:
                    raise ValueError(f"{argument}: {err}") from None
        return np.array(idx, dtype=int)

    def get(self, name: str) -> float:
        """The value of one parameter, e.g. ``net.get("W1[0,1]")``."""
        return float(self._theta[self.index_of(name)])

    def set(self, name: str, value: float) -> None:
        """Set one parameter, e.g. ``net.set("b2[0]", 0.6)``."""
        v = as_finite_array(value, "value", ndim=(0,))
        self._theta[self.index_of(name)] = float(v)

    __getitem__ = get
    __setitem__ = set

    def freeze(self, *names: str) -> None:
        """Hold parameters fixed during training: entries (``b1[0]``) or whole tensors (``b1``)."""
        self._frozen[self._indices(names, "freeze")] = True

    def unfreeze(self, *names: str) -> None:
        """Let parameters train again; with no names, all of them."""
        if names:
            self._frozen[self._indices(names, "unfreeze")] = False
        else:
            self._frozen[:] = False

    @property
    def frozen(self) -> list[str]:
        """Names of the frozen parameters."""
        return [n for n, f in zip(self._names, self._frozen) if f]

    @property
    def trainable_mask(self) -> np.ndarray:
        """Boolean flat vector, True where a parameter trains (read-only copy)."""
        return _readonly(~self._frozen)

    # ------------------------------------------------------------------ computing
    def _check_X(self, X) -> np.ndarray:
        arr = as_finite_array(X, "X")
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape[1] != self.sizes[0]:
            raise ValueError(
                f"X must have {self.sizes[0]} feature columns (n_samples, {self.sizes[0]}); got shape {np.shape(X)}"
            )
        return arr

    def _check_y(self, y, n_samples: int) -> np.ndarray:
        n_out = self.sizes[-1]
        arr = as_finite_array(y, "y", ndim=(0, 1, 2))
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
                        f"y must be class labels 0 to {n_out - 1} (one per sample) or one-hot rows of length {n_out}"
                    )
                return np.eye(n_out)[labels.astype(int)]
        if arr.ndim == 0 or (arr.ndim == 1 and n_out == 1 and arr.shape[0] == n_samples):
            arr = arr.reshape(-1, 1)
        elif arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape != (n_samples, n_out):
            raise ValueError(
                f"y must have shape ({n_samples}, {n_out}) to match X and the {n_out} outputs; got {np.shape(y)}"
            )
        return arr

    def _forward(self, X: np.ndarray) -> _Pass:
        a, z = [X], []
        for act, W, b in zip(self._acts, self.weights, self.biases):
            zl = a[-1] @ W + b
            z.append(zl)
            a.append(act.forward(zl))
        return _Pass(a, z)

    def _backward(self, p: _Pass, Y: np.ndarray, keep: bool = True) -> _Pass:
        """Fill the backward half of ``p``; with keep=False skip what only a record shows.

        The gradients are written into ``self._grad``, one flat buffer laid out like the parameters
        (so the flat gradient needs no concatenation); a caller that keeps them must copy.
        """
        n = Y.shape[0]
        zL, aL = p.z[-1], p.a[-1]
        p.sample_losses = self._loss.per_sample(zL, aL, Y)
        L = self.n_layers
        p.delta = [None] * L
        p.grad_w, p.grad_b = self._grad_w, self._grad_b
        if keep:
            p.fprime = [act.derivative(zl, al) for act, zl, al in zip(self._acts, p.z, p.a[1:])]
            p.grad_a = [None] * L
            p.grad_a[-1] = self._loss.grad_a(zL, aL, Y) / n
        delta = self._loss.delta(zL, aL, Y, self._acts[-1])
        if n != 1:
            delta /= n  # the loss is a mean over samples
        for layer in range(L - 1, -1, -1):
            p.delta[layer] = delta
            np.matmul(p.a[layer].T, delta, out=self._grad_w[layer])
            np.add.reduce(delta, axis=0, out=self._grad_b[layer])
            if layer:
                grad_a = delta @ self.weights[layer].T  # Σ_k w_jk δ_k, (n, width)
                if keep:
                    p.grad_a[layer - 1] = grad_a
                delta = self._acts[layer - 1].derivative(p.z[layer - 1], p.a[layer]) * grad_a
        return p

    def forward(self, X) -> np.ndarray:
        """The output aᴸ for inputs X, as (n_samples, n_out)."""
        Xa = self._check_X(X)
        with np.errstate(all="ignore"):
            return self._forward(Xa).a[-1]

    predict = forward

    def loss_value(self, X, y) -> float:
        """The mean loss over the samples of (X, y), without a backward pass."""
        Xa = self._check_X(X)
        Y = self._check_y(y, Xa.shape[0])
        p = self._forward(Xa)
        with np.errstate(all="ignore"):
            return float(self._loss.per_sample(p.z[-1], p.a[-1], Y).mean())

    def backprop(self, X, y) -> Record:
        """Forward and backward pass on (X, y), every intermediate kept in a read-only Record.

        X: (n_samples, n_features) or one sample (n_features,).
        y: (n_samples, n_out), or (n_out,) for one sample, or (n_samples,) with one output;
           integer class labels with ``cross_entropy``.
        """
        Xa = self._check_X(X)
        Y = self._check_y(y, Xa.shape[0])
        with np.errstate(all="ignore"):
            p = self._backward(self._forward(Xa), Y)
        return self._record(p, Y)

    def _record(self, p: _Pass, Y: np.ndarray) -> Record:
        def ro(arrays):
            return tuple(_readonly(np.array(x)) for x in arrays)

        with np.errstate(all="ignore"):
            loss = float(np.add.reduce(p.sample_losses)) / p.sample_losses.shape[0]
        return Record(
            sizes=self.sizes,
            activation_names=self.layer_activations,
            loss_name=self.loss,
            weights=ro(self.weights),
            biases=ro(self.biases),
            frozen_weights=ro(self._frozen_w),
            frozen_biases=ro(self._frozen_b),
            targets=_readonly(np.array(Y)),
            activations=ro(p.a),
            preactivations=ro(p.z),
            derivatives=ro(p.fprime),
            grad_activations=ro(p.grad_a),
            deltas=ro(p.delta),
            grad_weights=ro(p.grad_w),
            grad_biases=ro(p.grad_b),
            sample_losses=_readonly(np.array(p.sample_losses)),
            loss=loss,
        )

    def _gradient(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray, _Pass]:
        """Mean loss and flat gradient for validated arrays (the training hot path).

        The gradient returned is the network's reused buffer: copy it to keep it.
        """
        p = self._backward(self._forward(X), Y, keep=False)
        return float(np.add.reduce(p.sample_losses)) / Y.shape[0], self._grad, p

    # ------------------------------------------------------------------ copies and files
    def copy(self) -> Network:
        """An independent copy: same architecture, parameters and frozen flags."""
        return Network.from_dict(self.to_dict())

    def to_dict(self) -> dict:
        """Architecture, parameters and frozen flags as plain JSON-ready values."""
        return {
            "format": "backprop-explainer network",
            "version": 1,
            "sizes": list(self.sizes),
            "activation": list(self.layer_activations[:-1]),
            "output_activation": self.output_activation,
            "loss": self.loss,
            "init": self.init,
            "parameters": self._theta.tolist(),
            "frozen": self.frozen,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Network:
        """Rebuild a network from ``to_dict()`` output; ValueError if it is malformed."""
        if not isinstance(data, dict) or data.get("format") != "backprop-explainer network":
            raise ValueError("data must be a dict made by Network.to_dict() (format 'backprop-explainer network')")
        try:
            hidden = data["activation"]
            net = cls(
                data["sizes"],
                activation=hidden if hidden else "sigmoid",
                output_activation=data["output_activation"],
                loss=data["loss"],
                init=data.get("init", "auto"),
                seed=0,
            )
        except KeyError as err:
            raise ValueError(f"data is missing the key {err}") from None
        net.set_parameters(data.get("parameters"))
        frozen = data.get("frozen") or []
        if not isinstance(frozen, list) or not all(isinstance(f, str) for f in frozen):
            raise ValueError(f"data['frozen'] must be a list of parameter names; got {frozen!r}")
        if frozen:
            net.freeze(*frozen)
        return net

    def save(self, path: str | Path) -> None:
        """Write the network to a JSON file."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a network written by ``save``."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"path {str(path)!r} is not a readable network JSON file: {err}") from None
        return cls.from_dict(data)

    def __repr__(self) -> str:
        return (
            f"Network({list(self.sizes)}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, loss={self.loss!r})"
        )


def _is_labels(labels: np.ndarray, n_out: int) -> bool:
    return bool(np.all(labels == np.round(labels)) and np.all((labels >= 0) & (labels < n_out)))


__all__ = ["Network", "Record", "parameter_names", "HIDDEN_ACTIVATIONS", "LOSSES"]
