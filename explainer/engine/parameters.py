"""The network's bookkeeping: its size limits, the flat parameter vector θ, and the names of its entries.

All parameters live in one flat float64 vector, laid out layer by layer, each weight matrix row by row::

    θ = [W¹[0,0], W¹[0,1], ..., W¹[n₀−1,n₁−1], b¹[0], ..., b¹[n₁−1], W²[0,0], ..., bᴸ[n_L−1]]

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

from .._validate import as_finite_array, positive_int, short_repr

MAX_WIDTH = 4096  # units in one layer (inputs and outputs included)
MAX_LAYERS = 100  # layers with weights, L
MAX_PARAMETERS = 1_000_000  # Σ (n_in + 1)·n_out: 8 MB of float64 for θ, as much again for ∂L/∂θ

_NAME = re.compile(r"^\s*([Wb])(\d+)(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*$")


def count_parameters(sizes: Sequence[int]) -> int:
    """P = Σₗ (nₗ₋₁ + 1)·nₗ: every weight and bias of a network with these layer widths."""
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


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


def parameter_names(sizes: Sequence[int]) -> list[str]:
    """Flat parameter names in storage order: W1 row by row, then b1, then W2, b2, ..."""
    names = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        names += [f"W{layer}[{i},{j}]" for i in range(n_in) for j in range(n_out)]
        names += [f"b{layer}[{j}]" for j in range(n_out)]
    return names


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


class LayerList(list):
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


class ParameterNames:
    """Names ↔ flat positions for a network of the given sizes, by arithmetic (no arrays, no string table)."""

    def __init__(self, sizes: tuple[int, ...]):
        self.sizes = sizes
        # Where each layer's block starts in θ: W first, then b.
        self._offsets = np.cumsum([0] + [(n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])])
        self.size = int(self._offsets[-1])
        self._list: list[str] | None = None

    def all(self) -> list[str]:
        """Every name in storage order, built on first use and shared (do not modify the list)."""
        if self._list is None:
            self._list = parameter_names(self.sizes)
        return self._list

    def name_of(self, index: int) -> str:
        """The name of flat entry ``index``, e.g. 4 → ``b1[0]`` in a 2-2-2 network."""
        layer = int(np.searchsorted(self._offsets, index, side="right")) - 1
        n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
        within = int(index) - int(self._offsets[layer])
        if within < n_in * n_out:
            return f"W{layer + 1}[{within // n_out},{within % n_out}]"
        return f"b{layer + 1}[{within - n_in * n_out}]"

    def _position(self, kind: str, layer: int, i: int, j: int | None) -> int | None:
        """Flat index of W{layer}[i,j] or b{layer}[i] (layer from 1), None if there is no such entry."""
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
        """Flat positions for entry names (``W1[0,1]``) or whole tensors (``W1``, ``b2``)."""
        idx: list[np.ndarray] = [np.zeros(0, dtype=int)]
        L = len(self.sizes) - 1
        for name in names:
            m = _NAME.match(name) if isinstance(name, str) else None
            if m and m.group(3) is None:
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

    theta (P,): the live parameters; weights[l] (n_in, n_out) and biases[l] (n_out,) are views into it.
    frozen (P,) bool: True where a parameter is held fixed. grad (P,): written by the backward pass.
    """

    def __init__(self, sizes: tuple[int, ...]):
        self.sizes = sizes
        self.names = ParameterNames(sizes)
        P = self.names.size
        self.theta = np.zeros(P)
        self.frozen = np.zeros(P, dtype=bool)
        self.grad = np.zeros(P)
        self.weights = LayerList(layer_views(self.theta, sizes, "W"), "weights")
        self.biases = LayerList(layer_views(self.theta, sizes, "b"), "biases")
        self.frozen_w, self.frozen_b = layer_views(self.frozen, sizes, "W"), layer_views(self.frozen, sizes, "b")
        self.grad_w, self.grad_b = layer_views(self.grad, sizes, "W"), layer_views(self.grad, sizes, "b")

    def frozen_names(self) -> list[str]:
        return [self.names.name_of(int(i)) for i in np.flatnonzero(self.frozen)]


__all__ = [
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "MAX_WIDTH",
    "LayerList",
    "ParameterNames",
    "Parameters",
    "check_sizes",
    "count_parameters",
    "layer_views",
    "parameter_names",
]
