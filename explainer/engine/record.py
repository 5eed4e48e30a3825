"""The record of one forward and backward pass: every intermediate, per layer, read-only, and its exports.

``Network.backprop`` returns a ``Record``; the views draw from it and nothing else. Layers are counted
from 1 as in the maths, Python tuples from 0: ``deltas[0]`` is δ¹, while ``activations[0]`` is a⁰ = X.
A network with batch norm adds ``batch_norms``: per layer the batch-norm step's own record (batchnorm.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import write_text_atomic
from .._validate import positive_float
from .batchnorm import BatchNormRecord
from .parameters import parameter_names

# A record's to_json/to_csv write at most this many numbers (about 30 MB of CSV): beyond that a file is no
# longer something to open and read, and building its text would take several times its size in memory.
MAX_EXPORT_VALUES = 1_000_000


def readonly(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself, flagged read-only."""
    arr.flags.writeable = False
    return arr


def nan_to_none(obj):
    """A copy of nested lists and dicts with every non-finite float replaced by None (JSON's null)."""
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, list):
        return [nan_to_none(v) for v in obj]
    if isinstance(obj, dict):
        return {k: nan_to_none(v) for k, v in obj.items()}
    return obj


@dataclass(frozen=True)
class Record:
    """Everything one forward and backward pass computed, per layer, read-only.

    Indexing: ``activations[l]`` is aˡ with a⁰ = X; every other per-layer tuple has one entry per
    layer with weights, so ``preactivations[0]`` is z¹, ``deltas[0]`` is δ¹, ``grad_weights[0]`` is
    ∂L/∂W¹. Arrays are 2-D ``(n_samples, width)`` even for a single sample. The loss is the mean over
    samples, so δ, ∂L/∂a, ∂L/∂x and the gradients include the 1/n_samples factor.

    Batch norm: ``batch_norms`` is () for a network without it, else one entry per layer with weights,
    None where a layer has none, and for a layer l with it a read-only ``BatchNormRecord`` whose x is zˡ:
    ``mean`` μ, ``var`` σ², ``x_hat`` x̂, ``output`` yˡ = γ x̂ + β (what fˡ takes), ``grad_output`` ∂L/∂yˡ,
    ``grad_gamma``, ``grad_beta``, and ∂L/∂zˡ's three paths ``grad_input_via_x_hat``, ``grad_input_via_mean``,
    ``grad_input_via_var``, whose sum ``grad_input`` is ``deltas[l]``. There ``preactivations`` is still zˡ
    (before the batch norm), ``derivatives`` is fˡ′(yˡ) and δˡ = ∂L/∂zˡ is not fˡ′ ⊙ ∂L/∂aˡ (that is ∂L/∂yˡ).
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
    grad_inputs: np.ndarray  # ∂L/∂x = δ¹ (W¹)ᵀ, (n_samples, n_features): how the loss moves with each input
    sample_losses: np.ndarray  # ℓ per sample, (n_samples,)
    loss: float  # mean of sample_losses
    batch_norms: tuple[BatchNormRecord | None, ...] = ()  # per layer, None without batch norm; () with none at all

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
        grads = self.grad_weights + self.grad_biases + self._norm_grads()
        return bool(np.isfinite(self.loss) and all(np.all(np.isfinite(g)) for g in grads))

    @property
    def batch_norm(self) -> tuple[bool, ...]:
        """One flag per hidden layer, as ``Network.batch_norm``: True where it has batch norm."""
        return (
            tuple(r is not None for r in self.batch_norms[:-1]) if self.batch_norms else (False,) * (self.n_layers - 1)
        )

    @property
    def parameter_names(self) -> list[str]:
        return parameter_names(self.sizes, self.batch_norm)

    def _norm_grads(self) -> tuple[np.ndarray, ...]:
        """∂L/∂γ, ∂L/∂β of each layer with batch norm, in θ's order (after every weight and bias)."""
        return tuple(g for r in self.batch_norms if r is not None for g in (r.grad_gamma, r.grad_beta))

    def gradient_vector(self) -> np.ndarray:
        """∂L/∂θ as one flat vector, in the order of ``parameter_names``."""
        return np.concatenate(
            [p for pair in zip(self.grad_weights, self.grad_biases) for p in (pair[0].ravel(), pair[1])]
            + list(self._norm_grads())
        )

    def updated_parameters(self, lr: float) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """One step of gradient descent, w ← w − η·∂L/∂w, frozen parameters left as they are.

        Returns new (weights, biases) tuples; the record itself is not changed. (Batch norm's γ and β are
        not among them: γ − η·∂L/∂γ from ``batch_norms[l]``.)
        """
        lr = positive_float(lr, "lr")
        new_w = tuple(
            np.where(f, w, w - lr * g) for w, g, f in zip(self.weights, self.grad_weights, self.frozen_weights)
        )
        new_b = tuple(np.where(f, b, b - lr * g) for b, g, f in zip(self.biases, self.grad_biases, self.frozen_biases))
        return new_w, new_b

    # ------------------------------------------------------------------ exports
    @property
    def n_values(self) -> int:
        """How many numbers the record holds (what to_json and to_csv would write)."""
        total = 0
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            arrays = value if isinstance(value, tuple) else (value,)
            total += sum(a.size for a in arrays if isinstance(a, np.ndarray))
        for r in self.batch_norms:
            if r is not None:
                total += sum(a.size for a in _norm_arrays(r).values())
        return total

    def _check_exportable(self) -> None:
        if self.n_values > MAX_EXPORT_VALUES:
            raise ValueError(
                f"the record holds {self.n_values:,} numbers; to_json and to_csv write at most "
                f"{MAX_EXPORT_VALUES:,} (record fewer samples: net.backprop(X[:k], y[:k]))"
            )

    def to_dict(self) -> dict:
        """Plain lists and numbers, for JSON; non-finite numbers become None."""
        self._check_exportable()

        def conv(value):
            if isinstance(value, np.ndarray):
                return (
                    np.where(np.isfinite(value), value, np.nan).tolist() if value.dtype.kind == "f" else value.tolist()
                )
            if isinstance(value, tuple):
                return [conv(v) for v in value]
            return value

        out = {key: conv(getattr(self, key)) for key in self.__dataclass_fields__ if key != "batch_norms"}
        out["loss"] = self.loss if np.isfinite(self.loss) else None
        if self.batch_norms:  # only a network with batch norm has the key
            out["batch_norms"] = [
                None if r is None else {"eps": r.eps, **{k: conv(v) for k, v in _norm_arrays(r).items()}}
                for r in self.batch_norms
            ]
        return nan_to_none(out)

    def to_json(self, path: str | Path | None = None) -> str:
        """The record as JSON text; written to ``path`` (atomically: all or nothing) when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            write_text_atomic(path, text)
        return text

    def to_csv(self, path: str | Path | None = None) -> str:
        """One row per quantity and entry: ``quantity,layer,sample,row,column,value`` (layer from 1).

        ∂L/∂x is the quantity ``dL_dx`` at layer 0 (the inputs, a⁰). With batch norm each such layer adds the
        quantities ``bn_`` + the names of its BatchNormRecord (``bn_x_hat``, ``bn_grad_input_via_mean``, ...;
        per sample, or per unit for μ, σ², γ, β and their gradients). Written to ``path`` atomically when given.
        """
        self._check_exportable()
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
        for s, j in np.ndindex(self.grad_inputs.shape):
            rows.append(f"dL_dx,0,{s},,{j},{float(self.grad_inputs[s, j])!r}")
        for name, arrays in {"W": self.weights, "dL_dW": self.grad_weights}.items():
            for layer, arr in enumerate(arrays, start=1):
                for i, j in np.ndindex(arr.shape):
                    rows.append(f"{name},{layer},,{i},{j},{float(arr[i, j])!r}")
        for name, arrays in {"b": self.biases, "dL_db": self.grad_biases}.items():
            for layer, arr in enumerate(arrays, start=1):
                for j in range(arr.shape[0]):
                    rows.append(f"{name},{layer},,,{j},{float(arr[j])!r}")
        for layer, r in enumerate(self.batch_norms, start=1):
            for name, arr in ({} if r is None else _norm_arrays(r)).items():
                if arr.ndim == 2:
                    for s, j in np.ndindex(arr.shape):
                        rows.append(f"bn_{name},{layer},{s},,{j},{float(arr[s, j])!r}")
                else:
                    for j in range(arr.shape[0]):
                        rows.append(f"bn_{name},{layer},,,{j},{float(arr[j])!r}")
        rows.append(f"loss,,,,,{self.loss!r}")
        text = "\n".join(rows) + "\n"
        if path is not None:
            write_text_atomic(path, text)
        return text


def _norm_arrays(r: BatchNormRecord) -> dict[str, np.ndarray]:
    """The arrays of one layer's batch-norm record that an export writes (x is zˡ and grad_input δˡ: the
    record has them already as ``preactivations`` and ``deltas``)."""
    return {k: getattr(r, k) for k in BatchNormRecord.__dataclass_fields__ if k not in ("x", "eps", "grad_input")}


__all__ = ["MAX_EXPORT_VALUES", "Record", "nan_to_none", "readonly"]
