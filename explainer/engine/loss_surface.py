"""The loss as a surface over two directions in parameter space.

Every point of the surface is the network's mean loss with its parameters moved from the centre θ₀
(the network's current parameters) along two directions::

    L(u, v) = L(θ₀ + u·d_u + v·d_v)

Two kinds of direction:

- ``params=("W1[0,0]", "W3[1,0]")``: the unit vectors of two named parameters, so u and v are
  plain offsets of those two numbers and every other parameter stays where it is.
- ``directions="random" | "filter" | "pca"``: directions through all the trainable parameters at
  once (random Gaussian; filter-normalised as in Li et al. 2018; or the two principal directions
  of a training trajectory).

The grid is computed without a Python loop over its points. With two named parameters only the
units downstream of them change, so everything upstream is computed once and reused; one changed
column of zˡ turns into a rank-1 update of zˡ⁺¹. Nothing is written into the network.

Large offsets can overflow (a relu network with a huge span, say): such grid points hold inf or
nan, no warning is raised, and the views clip them when they draw.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .._validate import positive_float, rng_from
from .network import MAX_RECORD_VALUES, Network
from .parameters import layer_views

Array = np.ndarray

DIRECTIONS = ("random", "filter", "pca")
MAX_RESOLUTION = 501
DEFAULT_SPAN = {"params": 3.0, "directions": 1.0}
DEFAULT_RESOLUTION = {"params": 101, "directions": 51}
# resolution² × n_samples × (multiply-adds per sample and grid point) at most: about ten seconds of numpy.
MAX_SURFACE_WORK = 2 * 10**10

# Bytes of one (u rows, v, samples, width) array per block: about one core's L2 cache, so the several
# passes numpy makes over a block mostly hit the cache (measured: 4 MB blocks were up to 3× slower for
# the widest grids), while blocks stay large enough that numpy's per-call overhead does not dominate.
_BLOCK_BYTES = 2**20

_PARAM = re.compile(r"^([Wb])(\d+)\[(\d+)(?:,(\d+))?\]$")


def _readonly(arr: Array) -> Array:
    arr = np.array(arr, dtype=np.float64)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class LossSurface:
    """A loss surface L(u, v) = L(center + u·direction_u + v·direction_v) on a square grid.

    ``losses[i, j]`` is the mean loss at offsets (u[i], v[j]); it may hold inf or nan where the
    network overflows (views clip those). All arrays are read-only.

    Attributes
    ----------
    u, v: (R,) offsets along direction_u and direction_v, from −span to +span.
    losses: (R, R) mean loss, ``losses[i, j]`` at (u[i], v[j]).
    center: (P,) flat parameters at the centre (the network's parameters when it was computed).
    direction_u, direction_v: (P,) the two directions (unit vectors e_i in ``params`` mode).
    labels: axis titles, e.g. ("W1[0,0]", "W3[1,0]") or ("PC1 (83.1 %)", "PC2 (12.0 %)").
    mode: "params", "random", "filter" or "pca".
    loss_at_center: L(center).
    gradient: (2,) (∂L/∂u, ∂L/∂v) at the centre = (g·d_u, g·d_v) with g = ∂L/∂θ from backprop.
    params: the two parameter names in ``params`` mode, else None.
    explained_variance: (2,) share of the trajectory's variance along each direction in ``pca``
        mode, else None.
    """

    u: Array
    v: Array
    losses: Array
    center: Array
    direction_u: Array
    direction_v: Array
    labels: tuple[str, str]
    mode: str
    loss_at_center: float
    gradient: Array
    params: tuple[str, str] | None = None
    explained_variance: Array | None = None

    def __repr__(self) -> str:
        return (
            f"LossSurface(mode={self.mode!r}, labels={self.labels!r}, resolution={self.resolution}, "
            f"span={self.span:g}, loss_at_center={self.loss_at_center:.6g})"
        )

    @property
    def resolution(self) -> int:
        return int(self.u.shape[0])

    @property
    def span(self) -> float:
        return float(self.u[-1])

    def _basis(self) -> Array:
        return np.stack([self.direction_u, self.direction_v], axis=1)  # (P, 2)

    def _check_vectors(self, values, argument: str) -> Array:
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{argument} must be an array of numbers; got {type(values).__name__}") from None
        P = self.center.shape[0]
        if arr.ndim not in (1, 2) or arr.shape[-1] != P:
            raise ValueError(f"{argument} must have shape (T, {P}) or ({P},); got {arr.shape}")
        return arr

    def project(self, parameters) -> Array:
        """Coordinates (u, v) of parameter vectors in the surface's plane, by least squares.

        (u, v) = argmin ‖θ − center − u·d_u − v·d_v‖; in ``params`` mode that is exactly
        (θ_i − center_i, θ_j − center_j). Non-finite rows (a diverged run) give non-finite coordinates.

        parameters: (T, P) or (P,). Returns (T, 2) or (2,).
        """
        arr = self._check_vectors(parameters, "parameters")
        D = self._basis()
        gram = D.T @ D  # (2, 2); the identity for orthonormal directions
        with np.errstate(all="ignore"):
            return np.linalg.solve(gram, D.T @ (arr - self.center).T).T

    def project_gradients(self, gradients) -> Array:
        """Directional derivatives (∂L/∂u, ∂L/∂v) = (g·d_u, g·d_v) for gradients g.

        gradients: (T, P) or (P,). Returns (T, 2) or (2,).
        """
        arr = self._check_vectors(gradients, "gradients")
        with np.errstate(all="ignore"):
            return arr @ self._basis()


# ---------------------------------------------------------------------- public entry point
def loss_surface(
    net: Network,
    X,
    y,
    params: Sequence[str] | None = None,
    *,
    directions: str | None = None,
    history=None,
    span: float | None = None,
    resolution: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> LossSurface:
    """The mean loss on a grid of points L(θ₀ + u·d_u + v·d_v), u, v ∈ [−span, span].

    Give exactly one of ``params`` or ``directions``.

    Parameters
    ----------
    net: the network; its current parameters θ₀ are the centre. It is not modified.
    X: (n_samples, n_features) inputs; y: targets as ``net.backprop`` takes them.
    params: two parameter names, e.g. ("W1[0,0]", "W3[1,0]"): d_u, d_v are their unit vectors.
        Default span 3.0, resolution 101.
    directions: "random" (two orthonormal Gaussian directions over the trainable parameters),
        "filter" (Gaussian, each weight column W[:, j] rescaled to the norm of the current column,
        biases zero: Li et al. 2018) or "pca" (the top two principal directions of a training
        trajectory; needs ``history``). Default span 1.0, resolution 51.
    history: for "pca", a History from ``explainer.engine.training.train`` (its ``parameters``, (T, P)) or a
        (T, P) array of parameter vectors; non-finite rows are ignored.
    span: > 0, the largest offset along each direction.
    resolution: grid points per axis, 2 to 501, and resolution² × n_samples × (the multiply-adds of one
        sample's pass through the layers that move) at most MAX_SURFACE_WORK (2·10¹⁰, about ten seconds).
    seed: int or numpy Generator for the random directions.
    X: at most MAX_RECORD_VALUES (4,000,000) numbers n_samples × Σ widths (the centre's pass is kept).

    Cost: resolution² · n_samples evaluations of the units downstream of the deeper parameter (of every
    unit for directions); memory stays bounded (blocks of about 1 MB). 101 × 101 over two weights of a
    2-8-8-1 network with 256 samples takes a few tens of ms (benchmarks/bench_engine.py).
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an explainer Network; got {type(net).__name__}")
    if any(net.batch_norm):
        raise ValueError(
            "net has batch norm, whose loss depends on each batch's own μ and σ²: the loss surface is drawn for "
            "networks without it"
        )
    if (params is None) == (directions is None):
        raise ValueError("give exactly one of params (two parameter names) or directions (random, filter, pca)")
    if history is not None and directions != "pca":
        raise ValueError(f"history is only used with directions='pca'; got directions={directions!r}")
    kind = "params" if params is not None else "directions"
    span = DEFAULT_SPAN[kind] if span is None else positive_float(span, "span")
    if resolution is None:
        resolution = DEFAULT_RESOLUTION[kind]
    if isinstance(resolution, bool) or not isinstance(resolution, Integral) or not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be an integer from 2 to {MAX_RESOLUTION}; got {resolution!r}")
    resolution = int(resolution)
    Xa = net.check_X(X)
    Y = net.check_y(y, Xa.shape[0])
    n = Xa.shape[0]
    if n * sum(net.sizes) > MAX_RECORD_VALUES:
        raise ValueError(
            f"X has {n:,} samples; a loss surface of this network takes at most "
            f"{MAX_RECORD_VALUES // sum(net.sizes):,} (n_samples × units ≤ {MAX_RECORD_VALUES:,}): pass a subset"
        )

    center = net.parameters
    P = center.shape[0]
    explained = None
    names = None
    if params is not None:
        names, idx = _check_params(net, params)
        d_u, d_v = np.zeros(P), np.zeros(P)
        d_u[idx[0]], d_v[idx[1]] = 1.0, 1.0
        labels, mode = names, "params"
    else:
        if not isinstance(directions, str) or directions not in DIRECTIONS:
            raise ValueError(f"directions must be one of {', '.join(DIRECTIONS)}; got {directions!r}")
        mode = directions
        if mode == "random":
            d_u, d_v = _random_directions(net, rng_from(seed))
            labels = ("random direction 1", "random direction 2")
        elif mode == "filter":
            d_u, d_v = _filter_directions(net, rng_from(seed))
            labels = ("filter-normalised direction 1", "filter-normalised direction 2")
        else:
            d_u, d_v, explained = _pca_directions(history, center)
            labels = (f"PC1 ({100 * explained[0]:.1f} %)", f"PC2 ({100 * explained[1]:.1f} %)")

    if mode == "params":  # the grid (R², n, width) from the deeper parameter on, (R, n, width) before it
        works = sorted(_moving_work(net, _locate(name)) for name in names)
        work = resolution * n * (resolution * works[0] + works[1])
    else:
        work = resolution * resolution * n * _moving_work(net, None)
    if work > MAX_SURFACE_WORK:
        raise ValueError(
            f"resolution {resolution} over {n:,} samples would take about {work:.1e} multiply-adds (at most "
            f"{MAX_SURFACE_WORK:.0e}): lower the resolution or pass fewer samples"
        )
    u = _axis(span, resolution)
    v = u.copy()
    with np.errstate(all="ignore"):
        loss0, grad = net.gradient(Xa, Y)
        if mode == "params":
            losses = _params_grid(net, Xa, Y, _locate(names[0]), _locate(names[1]), u, v)
        else:
            losses = _directions_grid(net, Xa, Y, d_u, d_v, u, v)
        gradient = np.array([grad @ d_u, grad @ d_v])
    return LossSurface(
        u=_readonly(u),
        v=_readonly(v),
        losses=_readonly(losses),
        center=_readonly(center),
        direction_u=_readonly(d_u),
        direction_v=_readonly(d_v),
        labels=tuple(labels),
        mode=mode,
        loss_at_center=float(loss0),
        gradient=_readonly(gradient),
        params=names,
        explained_variance=None if explained is None else _readonly(explained),
    )


def _moving_work(net: Network, where: tuple | None) -> int:
    """Multiply-adds per sample and grid point: every layer (directions), or those after a parameter's layer."""
    first = 0 if where is None else where[1] + 1
    products = [a * b for a, b in zip(net.sizes[:-1], net.sizes[1:])]
    return max(1, 3 * sum(products[first:]) + (net.sizes[first] if where is not None else 0))


def _axis(span: float, resolution: int) -> Array:
    axis = np.linspace(-span, span, resolution)
    if resolution % 2:
        axis[resolution // 2] = 0.0  # the centre itself, exactly
    return axis


def _check_params(net: Network, params) -> tuple[tuple[str, str], tuple[int, int]]:
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or len(params) != 2:
        raise ValueError(f"params must be two parameter names such as ('W1[0,0]', 'W2[1,0]'); got {params!r}")
    idx = []
    for name in params:
        try:
            idx.append(net.index_of(name))
        except ValueError as err:
            raise ValueError(f"params: {err}") from None
    if idx[0] == idx[1]:
        raise ValueError(f"params must name two different parameters; got {params!r}")
    names = net.parameter_names
    return (names[idx[0]], names[idx[1]]), (idx[0], idx[1])


def _locate(name: str) -> tuple[str, int, int, int]:
    """("W", layer index k from 0, row i, column j) for "W{k+1}[i,j]"; a bias b{k+1}[j] gives ("b", k, -1, j)."""
    kind, layer, first, second = _PARAM.match(name).groups()
    if kind == "W":
        return kind, int(layer) - 1, int(first), int(second)
    return kind, int(layer) - 1, -1, int(first)


# ---------------------------------------------------------------------- directions
def _unit(vec: Array) -> Array:
    return vec / np.linalg.norm(vec)


def _random_directions(net: Network, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two orthonormal Gaussian directions; frozen entries are zero so they stay put."""
    mask = net.trainable_mask
    if mask.sum() < 2:
        raise ValueError("directions='random' needs at least 2 trainable parameters; unfreeze some (net.unfreeze())")
    d1 = np.where(mask, rng.standard_normal(mask.shape[0]), 0.0)
    d2 = np.where(mask, rng.standard_normal(mask.shape[0]), 0.0)
    d1 = _unit(d1)
    d2 = _unit(d2 - (d2 @ d1) * d1)  # Gram–Schmidt: the second orthogonal to the first
    return d1, d2


def _filter_directions(net: Network, rng: np.random.Generator) -> tuple[Array, Array]:
    """Filter-normalised Gaussian directions (Li et al. 2018, ``normalize_directions_for_weights``).

    For a dense layer a filter is one output unit's incoming weights, the column W[:, j]; each
    direction column is rescaled to ‖W[:, j]‖ so that the plot's scale matches the weights' scale.
    Bias directions are zero (the paper's default, "ignore biasbn"), and so are frozen entries.
    """
    out = []
    for _ in range(2):
        d = np.zeros(net.n_parameters)
        views, offset = [], 0
        for n_in, n_out in zip(net.sizes[:-1], net.sizes[1:]):
            views.append(d[offset : offset + n_in * n_out].reshape(n_in, n_out))
            offset += n_in * n_out + n_out  # the bias block stays zero
        frozen_w = layer_views(~net.trainable_mask, net.sizes, "W")
        for W, frozen, dW in zip(net.weights, frozen_w, views):
            g = np.where(frozen, 0.0, rng.standard_normal(W.shape))
            norms = np.linalg.norm(g, axis=0)  # (n_out,)
            # The 1e-10 keeps an all-frozen column (g = 0) at zero instead of 0/0.
            dW[...] = g * (np.linalg.norm(W, axis=0) / (norms + 1e-10))
        if not np.any(d):
            raise ValueError(
                "directions='filter' needs non-zero, trainable weights; all weight columns are zero or frozen"
            )
        out.append(d)
    return out[0], out[1]


def _pca_directions(history, center: Array) -> tuple[Array, Array, Array]:
    """The top two principal directions of the trajectory θ_t − θ₀ (Li et al. 2018, section 7).

    As in the paper the differences are centred on their mean before the SVD; the signs are chosen
    so that the trajectory's start has coordinates ≤ 0 (the path runs towards the centre).
    """
    if history is None:
        raise ValueError(
            "directions='pca' needs history= (a History from explainer.engine.training.train, or a (T, P) array)"
        )
    raw = getattr(history, "parameters", history)
    try:
        traj = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"history must be a History or a (T, P) array of parameters; got {type(history).__name__}"
        ) from None
    P = center.shape[0]
    if traj.ndim != 2 or traj.shape[1] != P:
        raise ValueError(f"history parameters must have shape (T, {P}) for this network; got {traj.shape}")
    traj = traj[np.all(np.isfinite(traj), axis=1)]
    if np.unique(traj, axis=0).shape[0] < 3:
        raise ValueError("history must hold at least 3 distinct finite parameter vectors for directions='pca'")
    M = traj - center
    M = M - M.mean(axis=0)
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    var = s**2
    # Relative to the first: a straight path leaves rounding noise as its second singular value.
    if var.shape[0] < 2 or s[1] <= 1e-12 * s[0]:
        raise ValueError(
            "history must not lie on a single line for directions='pca' (its second principal variance is zero)"
        )
    explained = var[:2] / var.sum()
    d1, d2 = vt[0].copy(), vt[1].copy()
    start = traj[0] - center
    for d in (d1, d2):
        c = start @ d
        if c > 0 or (c == 0 and d[np.argmax(np.abs(d))] < 0):
            d *= -1.0
    return d1, d2, explained


# ---------------------------------------------------------------------- the grid, two named parameters
def _blocks(total: int, per_item_bytes: int) -> list[slice]:
    """Slices of range(total) with at most _BLOCK_BYTES of work each (at least one item each)."""
    step = max(1, _BLOCK_BYTES // max(per_item_bytes, 1))
    return [slice(s, min(s + step, total)) for s in range(0, total, step)]


def _sample_blocks(n: int, per_sample_bytes: int) -> list[slice]:
    """All samples at once unless one grid row over all of them exceeds the block budget."""
    if n * per_sample_bytes <= _BLOCK_BYTES:
        return [slice(0, n)]
    return _blocks(n, per_sample_bytes)


class _Tail:
    """Forward from a layer to the mean loss, on arrays with any leading (grid) dimensions."""

    def __init__(self, net: Network, Y: Array):
        self.acts, self.W, self.b = net.layer_functions, list(net.weights), list(net.biases)
        self.loss, self.Y, self.L = net.loss_function, Y, net.n_layers

    def matmul(self, a: Array, k: int) -> Array:
        """a @ W[k] + b[k] for a of shape (..., n, w): one BLAS call on the flattened leading dims."""
        W = self.W[k]
        return (a.reshape(-1, W.shape[0]) @ W).reshape(a.shape[:-1] + (W.shape[1],)) + self.b[k]

    def from_z(self, z: Array, k: int) -> Array:
        """Sum over samples of the loss, given z at layer index k, (..., n, w) → (...)."""
        for m in range(k, self.L - 1):
            z = self.matmul(self.acts[m].forward(z), m + 1)
        return self.loss_sum(z)

    def loss_sum(self, z: Array) -> Array:
        """Sum over samples of ℓ(z, a, y) for output pre-activations z, (..., n, k) → (...)."""
        # A loss paired with its output activation (bce, cross_entropy) is computed from z alone, which is
        # what keeps it finite when a saturates; skipping a = f(z) then saves a pass over the largest arrays.
        a = None if self.loss.output_activation is not None else self.acts[-1].forward(z)
        return self.loss.per_sample(z, a, self.Y).sum(axis=-1)

    def with_columns(self, k: int, z_base: Array, a_base: Array | None, zn_base: Array | None, cols) -> Array:
        """Sum of losses when columns ``j`` of z at layer k are replaced by ``zcol`` (grid-shaped).

        z_base, a_base (= f(z_base)), zn_base (= a_base @ W[k+1] + b) broadcast against the grid;
        a hidden layer is elementwise, so only the changed columns pass through f, and the next z
        is a rank-1 update per changed column: zⁿ = zⁿ_base + (f(zcol) − a_base[:, j]) ⊗ W[k+1][j, :].
        """
        if k == self.L - 1:
            # Output layer: the loss needs whole rows (softmax), so build the full z.
            if z_base.shape[-1] == 1:  # one output unit: its column is all of z
                return self.loss_sum(cols[0][1][..., None])
            shape = np.broadcast_shapes(z_base.shape, *(c.shape + (1,) for _, c in cols))
            z = np.array(np.broadcast_to(z_base, shape))
            for j, zcol in cols:
                z[..., j] = zcol
            return self.loss_sum(z)
        f, Wn = self.acts[k].forward, self.W[k + 1]
        zn = zn_base
        for j, zcol in cols:
            delta = f(zcol) - a_base[..., j]  # (..., n)
            zn = zn + delta[..., None] * Wn[j]
        return self.from_z(zn, k + 1)


def _params_grid(net: Network, X: Array, Y: Array, p: tuple, q: tuple, u: Array, v: Array) -> Array:
    """losses[i, j] = L with parameter p moved by u[i] and q by v[j]; only downstream units recomputed.

    A weight Wˡ[i, j] (bias bˡ[j]) changes only column j of zˡ: zˡ[:, j] + u·aˡ⁻¹[:, i] (+ u). The
    shallower parameter's axis needs arrays (R, n, width) up to the deeper one's layer; from there on
    (R, R, n, width), computed in blocks of u rows and samples to bound memory.
    """
    swapped = q[1] < p[1]
    if swapped:
        p, q, u, v = q, p, v, u
    base = net.forward_pass(X)
    tail = _Tail(net, Y)
    n, R, Rv = X.shape[0], u.shape[0], v.shape[0]
    (_, k1, _, j1), (_, k2, _, j2) = p, q
    # Per sample and u row, the bytes of one of the widest (Ru, Rv, n, width) arrays: those after layer k2.
    row_bytes = Rv * max(net.sizes[k2 + 1 :]) * 8
    total = np.zeros((R, Rv))

    def source(param, a_prev):  # what the offset multiplies: aˡ⁻¹[..., i] for a weight, 1 for a bias
        return a_prev[..., param[2]] if param[0] == "W" else 1.0

    for s in _sample_blocks(n, row_bytes):
        a_s, z_s = [a[s] for a in base.a], [z[s] for z in base.z]
        tail.Y = Y[s]
        ns = a_s[0].shape[0]
        for r in _blocks(R, row_bytes * ns):
            ub = u[r]
            if k1 == k2:
                zn_base = z_s[k1 + 1] if k1 < tail.L - 1 else None
                zc1 = z_s[k1][:, j1] + ub[:, None, None] * source(p, a_s[k1])  # (Ru, 1, n)
                zc2 = z_s[k1][:, j2] + v[None, :, None] * source(q, a_s[k1])  # (1, Rv, n)
                if j1 == j2:
                    # The same unit: its pre-activation moves with both offsets.
                    cols = [(j1, zc1 + (zc2 - z_s[k1][:, j2]))]
                else:
                    cols = [(j1, zc1), (j2, zc2)]
                total[r] += tail.with_columns(k1, z_s[k1], a_s[k1 + 1], zn_base, cols)
                continue
            # Layers k1 < k2. The u axis alone, (Ru, n, width), from layer k1 up to layer k2.
            zc1 = z_s[k1][:, j1] + ub[:, None] * source(p, a_s[k1])  # (Ru, n)
            a_prev = np.array(np.broadcast_to(a_s[k1 + 1], (ub.shape[0],) + a_s[k1 + 1].shape))
            a_prev[..., j1] = tail.acts[k1].forward(zc1)
            z = z_s[k1 + 1] + (a_prev[..., j1] - a_s[k1 + 1][:, j1])[..., None] * tail.W[k1 + 1][j1]
            for m in range(k1 + 1, k2):
                a_prev = tail.acts[m].forward(z)
                z = tail.matmul(a_prev, m + 1)
            # Layer k2: column j2 of z(u) moves with v, (Ru, Rv, n).
            s2 = source(q, a_prev)
            zc2 = z[:, None, :, j2] + v[None, :, None] * (s2[:, None, :] if q[0] == "W" else s2)
            z_base = z[:, None]  # (Ru, 1, n, width)
            if k2 < tail.L - 1:
                a_base = tail.acts[k2].forward(z_base)
                zn_base = tail.matmul(a_base, k2 + 1)
            else:
                a_base = zn_base = None
            total[r] += tail.with_columns(k2, z_base, a_base, zn_base, [(j2, zc2)])
    losses = total / n
    return losses.T if swapped else losses


# ---------------------------------------------------------------------- the grid, two directions
def _directions_grid(net: Network, X: Array, Y: Array, d_u: Array, d_v: Array, u: Array, v: Array) -> Array:
    """losses[i, j] = L(θ₀ + u[i]·d_u + v[j]·d_v), every parameter moving.

    Linear in the offsets layer by layer: zˡ = aˡ⁻¹(Wˡ + u·Dᵤˡ + v·Dᵥˡ) + bˡ + u·dᵤˡ + v·dᵥˡ, i.e. three
    matrix products per layer on (R, R, n, width) arrays, in blocks of u rows and samples. For the
    first layer a⁰ = X does not depend on the grid, so its products are computed once.
    """
    tail = _Tail(net, Y)
    shapes = [(W.shape, b.shape) for W, b in zip(tail.W, tail.b)]

    def split(d):
        parts, offset = [], 0
        for wshape, bshape in shapes:
            size = wshape[0] * wshape[1]
            parts.append((d[offset : offset + size].reshape(wshape), d[offset + size : offset + size + bshape[0]]))
            offset += size + bshape[0]
        return parts

    Du, Dv = split(d_u), split(d_v)
    n, R, Rv = X.shape[0], u.shape[0], v.shape[0]
    widest = max(net.sizes[1:])
    total = np.zeros((R, Rv))
    row_bytes = Rv * widest * 8  # per sample and u row, the bytes of one (Ru, Rv, n, width) array
    for s in _sample_blocks(n, row_bytes):
        Xs = X[s]
        tail.Y = Y[s]
        ns = Xs.shape[0]
        base1 = Xs @ tail.W[0] + tail.b[0]  # (n, w1)
        du1 = Xs @ Du[0][0] + Du[0][1]
        dv1 = Xs @ Dv[0][0] + Dv[0][1]
        for r in _blocks(R, row_bytes * ns):
            ub = u[r][:, None, None, None]
            vb = v[None, :, None, None]
            z = base1 + ub * du1 + vb * dv1  # (Ru, Rv, n, w1)
            for k in range(1, tail.L):
                a = tail.acts[k - 1].forward(z)
                flat = a.reshape(-1, a.shape[-1])
                out_shape = a.shape[:-1] + (tail.W[k].shape[1],)
                z = (flat @ tail.W[k]).reshape(out_shape) + tail.b[k]
                z += ub * ((flat @ Du[k][0]).reshape(out_shape) + Du[k][1])
                z += vb * ((flat @ Dv[k][0]).reshape(out_shape) + Dv[k][1])
            total[r] += tail.loss_sum(z)
    return total / n


__all__ = ["DIRECTIONS", "MAX_RESOLUTION", "LossSurface", "loss_surface"]
