"""The network's bookkeeping: its size limits, the flat parameter vector θ, and the names of its entries.

All parameters live in one flat float64 vector, laid out layer by layer, each weight matrix row by row::

    θ = [W¹[0,0], W¹[0,1], ..., W¹[n₀−1,n₁−1], b¹[0], ..., b¹[n₁−1], W²[0,0], ..., bᴸ[n_L−1]]

A network with batch norm on some hidden layers appends, after bᴸ, each such layer's scale γˡ and shift βˡ
(named ``gamma1[0]``, ..., ``beta1[0]``, ...): the weights and biases keep the positions they have without
batch norm, so everything that walks θ layer by layer (the per-layer gradient norms of a History, the
loss surface's filter directions) reads the same blocks either way::

    θ = [W¹, b¹, ..., Wᴸ, bᴸ, γˡ¹[0], ..., γˡ¹[n−1], βˡ¹[0], ..., βˡ¹[n−1], γˡ², βˡ², ...]   (l¹ < l² < ...)

``weights[l]`` and ``biases[l]`` are views into θ (so flat and per-layer access always agree), and a
parameter's flat position is computed from its name (``W2[1,0]``) with arithmetic, not a table: a network
of a million parameters does not carry a million strings unless someone asks for the list.

Limits, checked before anything is allocated (a student's typo must not take the kernel down):
``MAX_WIDTH`` units per layer, ``MAX_LAYERS`` layers with weights, ``MAX_PARAMETERS`` parameters in all.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

import numpy as np

from .._validate import as_finite_array, boolean, positive_int, short_repr

MAX_WIDTH = 4096  # units in one layer (inputs and outputs included)
MAX_LAYERS = 100  # layers with weights, L
MAX_PARAMETERS = 1_000_000  # Σ (n_in + 1)·n_out (+ 2·nₗ per batch-norm layer): 8 MB of float64 for θ, as much for ∂L/∂θ

# W and b, then batch norm's gamma (γ) and beta (β): one index for all but W. "beta" before "b", so that
# the regex never tries b with "eta1" left over (it would backtrack anyway; this reads plainer).
_NAME = re.compile(r"^\s*(W|gamma|beta|b)(\d+)(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*$")
NORM_KINDS = ("gamma", "beta")


def count_parameters(sizes: Sequence[int], batch_norm: Sequence[bool] = ()) -> int:
    """P = Σₗ (nₗ₋₁ + 1)·nₗ + Σ 2·nₗ over the hidden layers with batch norm (one γ and one β per unit).

    batch_norm: one flag per hidden layer (layers 1..L−1), or () for none.
    """
    P = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return P + sum(2 * n for n, on in zip(sizes[1:-1], batch_norm) if on)


def check_sizes(sizes, argument: str = "sizes") -> tuple[int, ...]:
    """Layer widths as a tuple, within the limits; ValueError naming ``argument`` (or ``sizes[i]``) otherwise.

    At least 2 entries (inputs and outputs) and at most MAX_LAYERS + 1; each an integer from 1 to MAX_WIDTH;
    at most MAX_PARAMETERS parameters in all. Nothing is allocated before the count is known.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise ValueError(f"{argument} must be a list of layer widths such as [2, 2, 2]; got {short_repr(sizes)}")
    widths = list(itertools.islice(sizes, MAX_LAYERS + 2))  # a generator may never end
    if len(widths) < 2:
        raise ValueError(f"{argument} must have at least 2 entries (inputs and outputs); got {short_repr(widths)}")
    if len(widths) > MAX_LAYERS + 1:
        raise ValueError(
            f"{argument} must have at most {MAX_LAYERS + 1} entries ({MAX_LAYERS} layers with weights); got more"
        )
    checked = tuple(positive_int(s, f"{argument}[{i}]", maximum=MAX_WIDTH) for i, s in enumerate(widths))
    P = count_parameters(checked)
    if P > MAX_PARAMETERS:
        raise ValueError(
            f"{argument} {list(checked)} make {P:,} parameters; a network may have at most {MAX_PARAMETERS:,} "
            "(Σ (n_in + 1)·n_out over the layers)"
        )
    return checked


def check_batch_norm(batch_norm, sizes: tuple[int, ...], argument: str = "batch_norm") -> tuple[bool, ...]:
    """One flag per hidden layer (layers 1..L−1): True puts batch norm between that layer's zˡ and its activation.

    ``False`` (none), ``True`` (every hidden layer) or one True/False per hidden layer; True for a network
    without hidden layers is refused (batch norm goes on hidden layers only). The parameter count with the
    γ and β is checked against MAX_PARAMETERS. ValueError naming ``argument`` otherwise.
    """
    n_hidden = len(sizes) - 2
    if isinstance(batch_norm, (bool, np.bool_)):
        if batch_norm and n_hidden == 0:
            raise ValueError(f"{argument}=True puts batch norm on the hidden layers, and sizes {list(sizes)} have none")
        flags = (bool(batch_norm),) * n_hidden
    elif isinstance(batch_norm, Iterable) and not isinstance(batch_norm, (str, bytes, dict)):
        items = list(itertools.islice(batch_norm, n_hidden + 1))  # a generator may never end
        if len(items) != n_hidden:
            raise ValueError(
                f"{argument} must be True, False or {n_hidden} flags (one per hidden layer); "
                f"got {short_repr(batch_norm)}"
            )
        flags = tuple(boolean(v, f"{argument}[{i}]") for i, v in enumerate(items))
    else:
        raise ValueError(
            f"{argument} must be True, False or one True/False per hidden layer; got {short_repr(batch_norm)}"
        )
    P = count_parameters(sizes, flags)
    if P > MAX_PARAMETERS:
        raise ValueError(
            f"sizes {list(sizes)} with batch norm make {P:,} parameters; a network may have at most {MAX_PARAMETERS:,}"
        )
    return flags


def parameter_names(sizes: Sequence[int], batch_norm: Sequence[bool] = ()) -> list[str]:
    """Flat parameter names in storage order: W1 row by row, then b1, then W2, b2, ..., then per layer l with
    batch norm its gammal[0..] and betal[0..] (batch_norm: one flag per hidden layer, or () for none)."""
    names = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        names += [f"W{layer}[{i},{j}]" for i in range(n_in) for j in range(n_out)]
        names += [f"b{layer}[{j}]" for j in range(n_out)]
    for layer, n in _norm_layers(sizes, batch_norm):
        names += [f"{kind}{layer}[{j}]" for kind in NORM_KINDS for j in range(n)]
    return names


def _norm_layers(sizes: Sequence[int], batch_norm: Sequence[bool]) -> list[tuple[int, int]]:
    """(layer from 1, width) of each hidden layer with batch norm, in order."""
    return [(layer, n) for layer, (n, on) in enumerate(zip(sizes[1:-1], batch_norm), start=1) if on]


def layer_views(flat: np.ndarray, sizes: Sequence[int], kind: str) -> list[np.ndarray]:
    """Per-layer views of a flat vector: the (n_in, n_out) weight blocks (kind "W") or the bias blocks ("b")."""
    views, offset = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if kind == "W":
            views.append(flat[offset : offset + n_in * n_out].reshape(n_in, n_out))
        else:
            views.append(flat[offset + n_in * n_out : offset + (n_in + 1) * n_out])
        offset += (n_in + 1) * n_out
    return views


def norm_views(flat: np.ndarray, sizes: Sequence[int], batch_norm: Sequence[bool], kind: str) -> list:
    """Per-layer views of a flat vector's γ blocks (kind "gamma") or β blocks ("beta"): one entry per layer
    with weights, None where the layer has no batch norm (the output layer never has)."""
    views: list = [None] * (len(sizes) - 1)
    offset = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    for layer, n in _norm_layers(sizes, batch_norm):
        start = offset + (0 if kind == "gamma" else n)
        views[layer - 1] = flat[start : start + n]
        offset += 2 * n
    return views


class LayerList(list):
    """A list of parameter views; assigning ``net.weights[0] = M`` copies M into the view.

    An entry may be None (``net.gammas[l]`` of a layer without batch norm): assigning to it is refused.
    """

    def __init__(self, views: list[np.ndarray | None], kind: str):
        super().__init__(views)
        self._kind = kind

    def __setitem__(self, index, value):
        view = self[index]
        if view is None:
            raise ValueError(f"{self._kind}[{index}]: layer {index + 1} has no batch norm")
        arr = as_finite_array(value, f"{self._kind}[{index}]", ndim=(view.ndim,))
        if arr.shape != view.shape:
            raise ValueError(f"{self._kind}[{index}] must have shape {view.shape}; got {arr.shape}")
        view[...] = arr


class ParameterNames:
    """Names ↔ flat positions for a network of the given sizes, by arithmetic (no arrays, no string table).

    batch_norm: one flag per hidden layer (or () for none); each such layer's ``gammal[j]`` and ``betal[j]``
    come after all weights and biases (see the module docstring).
    """

    def __init__(self, sizes: tuple[int, ...], batch_norm: Sequence[bool] = ()):
        self.sizes = sizes
        self.batch_norm = tuple(batch_norm)
        # Where each layer's block starts in θ: W first, then b.
        self._offsets = np.cumsum([0] + [(n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])])
        # Then the batch-norm blocks: layer l → where its γ starts (its β follows, n later).
        self._norms: dict[int, tuple[int, int]] = {}
        start = int(self._offsets[-1])
        for layer, n in _norm_layers(sizes, self.batch_norm):
            self._norms[layer] = (start, n)
            start += 2 * n
        self.size = start
        self._list: list[str] | None = None

    def all(self) -> list[str]:
        """Every name in storage order, built on first use and shared (do not modify the list)."""
        if self._list is None:
            self._list = parameter_names(self.sizes, self.batch_norm)
        return self._list

    def name_of(self, index: int) -> str:
        """The name of flat entry ``index``, e.g. 4 → ``b1[0]`` in a 2-2-2 network."""
        if index >= self._offsets[-1]:
            for layer, (start, n) in self._norms.items():
                if index < start + 2 * n:
                    within = int(index) - start
                    return f"{NORM_KINDS[within // n]}{layer}[{within % n}]"
        layer = int(np.searchsorted(self._offsets, index, side="right")) - 1
        n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
        within = int(index) - int(self._offsets[layer])
        if within < n_in * n_out:
            return f"W{layer + 1}[{within // n_out},{within % n_out}]"
        return f"b{layer + 1}[{within - n_in * n_out}]"

    def _position(self, kind: str, layer: int, i: int, j: int | None) -> int | None:
        """Flat index of W{layer}[i,j], b{layer}[i], gamma{layer}[i] or beta{layer}[i] (layer from 1), None if
        there is no such entry."""
        if kind in NORM_KINDS:
            if layer not in self._norms:
                return None
            start, n = self._norms[layer]
            return start + (0 if kind == "gamma" else n) + i if i < n else None
        if not 1 <= layer <= len(self.sizes) - 1:
            return None
        n_in, n_out = self.sizes[layer - 1], self.sizes[layer]
        start = int(self._offsets[layer - 1])
        if kind == "W":
            return start + i * n_out + j if i < n_in and j < n_out else None
        return start + n_in * n_out + i if i < n_out else None

    def index_of(self, name: str) -> int:
        """Position of a parameter such as ``W1[0,1]`` in the flat vector; ValueError for any other name."""
        m = _NAME.match(name) if isinstance(name, str) else None
        if m and m.group(3) is not None and (m.group(1) == "W") == (m.group(4) is not None):
            kind, layer, i = m.group(1), int(m.group(2)), int(m.group(3))
            j = int(m.group(4)) if m.group(4) is not None else None
            index = self._position(kind, layer, i, j)
            if index is not None:
                return index
        example = ", ".join([self.name_of(k) for k in range(min(3, self.size))] + ["…", self.name_of(self.size - 1)])
        raise ValueError(f"parameter name must be one of this network's parameters ({example}); got {short_repr(name)}")

    def indices(self, names: Iterable[str], argument: str) -> np.ndarray:
        """Flat positions for entry names (``W1[0,1]``) or whole tensors (``W1``, ``b2``, ``gamma1``)."""
        idx: list[np.ndarray] = [np.zeros(0, dtype=int)]
        L = len(self.sizes) - 1
        for name in names:
            m = _NAME.match(name) if isinstance(name, str) else None
            if m and m.group(3) is None and m.group(1) in NORM_KINDS:
                kind, layer = m.group(1), int(m.group(2))
                if layer not in self._norms:
                    with_norm = ", ".join(map(str, self._norms)) or "none"
                    raise ValueError(
                        f"{argument}: layer {layer} in {name!r} has no batch norm (layers with batch norm: {with_norm})"
                    )
                start, n = self._norms[layer]
                start += 0 if kind == "gamma" else n
                idx.append(np.arange(start, start + n))
            elif m and m.group(3) is None:
                kind, layer = m.group(1), int(m.group(2))
                if not 1 <= layer <= L:
                    raise ValueError(f"{argument}: layer in {name!r} must be 1 to {L}")
                n_in, n_out = self.sizes[layer - 1], self.sizes[layer]
                start = int(self._offsets[layer - 1]) + (0 if kind == "W" else n_in * n_out)
                idx.append(np.arange(start, start + (n_in * n_out if kind == "W" else n_out)))
            else:
                try:
                    idx.append(np.array([self.index_of(name)]))
                except ValueError as err:
                    raise ValueError(f"{argument}: {err}") from None
        return np.concatenate(idx)


class Parameters:
    """θ, its frozen flags and the gradient buffer ∂L/∂θ, each flat, with per-layer views and names.

    theta (P,): the live parameters; weights[l] (n_in, n_out) and biases[l] (n_out,) are views into it, and
    with batch norm gammas[l] and betas[l] (n_out,), None for a layer without it.
    frozen (P,) bool: True where a parameter is held fixed. grad (P,): written by the backward pass.
    """

    def __init__(self, sizes: tuple[int, ...], batch_norm: Sequence[bool] = ()):
        self.sizes = sizes
        self.names = ParameterNames(sizes, batch_norm)
        P = self.names.size
        self.theta = np.zeros(P)
        self.frozen = np.zeros(P, dtype=bool)
        self.grad = np.zeros(P)
        self.weights = LayerList(layer_views(self.theta, sizes, "W"), "weights")
        self.biases = LayerList(layer_views(self.theta, sizes, "b"), "biases")
        self.frozen_w, self.frozen_b = layer_views(self.frozen, sizes, "W"), layer_views(self.frozen, sizes, "b")
        self.grad_w, self.grad_b = layer_views(self.grad, sizes, "W"), layer_views(self.grad, sizes, "b")
        bn = self.names.batch_norm
        self.gammas = LayerList(norm_views(self.theta, sizes, bn, "gamma"), "gammas")
        self.betas = LayerList(norm_views(self.theta, sizes, bn, "beta"), "betas")
        self.grad_gammas, self.grad_betas = (
            norm_views(self.grad, sizes, bn, "gamma"),
            norm_views(self.grad, sizes, bn, "beta"),
        )
        self.frozen_gammas = norm_views(self.frozen, sizes, bn, "gamma")
        self.frozen_betas = norm_views(self.frozen, sizes, bn, "beta")

    def frozen_names(self) -> list[str]:
        return [self.names.name_of(int(i)) for i in np.flatnonzero(self.frozen)]


__all__ = [
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "MAX_WIDTH",
    "LayerList",
    "ParameterNames",
    "Parameters",
    "NORM_KINDS",
    "check_batch_norm",
    "check_sizes",
    "count_parameters",
    "layer_views",
    "norm_views",
    "parameter_names",
]
