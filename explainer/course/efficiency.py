"""Why backpropagation matters: what it costs next to finite differences, and how gradients fade with depth.

Two measurements for the "deeper networks" notebook:

- ``compare_gradient_costs`` times one backward pass against central finite differences of every
  parameter, for networks of growing size. Central differences need two forward passes per parameter,

      ∂L/∂θᵢ ≈ [L(θ + h eᵢ) − L(θ − h eᵢ)] / 2h,   i = 1..P   →   2P forward passes,

  while backprop gets all P derivatives from one forward and one backward pass, which costs about as
  much as two to three forward passes (``count_operations`` counts the multiply-adds). The gap grows
  linearly with P.
- ``gradient_norms_by_activation`` records ‖∂L/∂Wˡ‖ per layer for sigmoid, tanh and ReLU networks of the
  same shape on the same data: the vanishing-gradient comparison.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .._validate import one_of, positive_float, positive_int, rng_from
from ..engine.activations import HIDDEN_ACTIVATIONS
from ..engine.network import INITS, Network
from ..engine.parameters import MAX_LAYERS, MAX_WIDTH, check_sizes, count_parameters
from ..engine.training import train
from .datasets import MAX_SAMPLES, make_dataset

# The step of the central differences: near the cube root of machine ε, where truncation (∝ h²) and
# rounding (∝ ε/h) errors balance for a loss of order one.
FD_STEP = 1e-5
# Each backprop timing runs the pass this many times in a row and divides: a single pass of a small
# network takes tens of microseconds, close to the timer's own overhead.
_MIN_TIMED_SECONDS = 5e-3

# compare_gradient_costs' bounds: finite differences cost 2P forward passes of n·P multiply-adds each, so the
# time grows as P²; these keep one call to about ten seconds at most.
MAX_COMPARED_NETWORKS = 10  # widths
MAX_COMPARED_DEPTH = 10  # hidden layers
MAX_COMPARED_PARAMETERS = 10_000  # P of each network
MAX_COMPARED_SAMPLES = 1_000
MAX_REPEATS = 10
MAX_COMPARE_WORK = 2 * 10**10  # repeats × Σ over the networks of 2P · n · P multiply-adds
MAX_NORM_STEPS = 10_000  # gradient_norms_by_activation's training steps
MAX_NORM_WORK = 2 * 10**10  # activations × (1 + steps) × 3 n·P multiply-adds


@dataclass(frozen=True)
class OperationCount:
    """Multiply-adds of the matrix products for one batch (biases and activations are lower order).

    forward = n Σₗ nₗ₋₁ nₗ;  backward = n Σₗ nₗ₋₁ nₗ (for ∂L/∂Wˡ = (aˡ⁻¹)ᵀ δˡ) + n Σₗ₌₂ nₗ₋₁ nₗ (for δˡ Wˡᵀ);
    backprop = forward + backward ≤ 3 × forward;  finite differences = 2P × forward.
    """

    sizes: tuple[int, ...]
    n_samples: int
    n_parameters: int
    forward: int  # one forward pass
    backward: int  # the backward half of backprop
    finite_differences: int  # 2P forward passes

    @property
    def backprop(self) -> int:
        """One forward plus one backward pass."""
        return self.forward + self.backward

    @property
    def backprop_forward_passes(self) -> float:
        """Backprop's cost in forward passes (between 2 and 3)."""
        return self.backprop / self.forward

    @property
    def finite_difference_forward_passes(self) -> int:
        """2P: two forward passes per parameter."""
        return 2 * self.n_parameters

    @property
    def ratio(self) -> float:
        """How many times more work finite differences do than backprop."""
        return self.finite_differences / self.backprop


def count_operations(sizes: Sequence[int], n_samples: int = 1) -> OperationCount:
    """The multiply-adds of one forward pass, one backprop and central finite differences of all parameters.

    sizes: layer widths n₀..n_L (inputs to outputs). n_samples: the batch size n.
    forward = n Σ nₗ₋₁ nₗ; backprop adds n Σ nₗ₋₁ nₗ for the weight gradients and n Σ_{l≥2} nₗ₋₁ nₗ
    for passing δ back (no ∂L/∂X is needed), so backprop ≈ 3 forward passes; finite differences
    cost 2P forward passes with P = Σ (nₗ₋₁ + 1) nₗ parameters.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise ValueError(f"sizes must be a list of layer widths such as [2, 8, 1]; got {sizes!r}")
    sizes = list(itertools.islice(sizes, 1002))  # a generator may never end
    if len(sizes) > 1001:
        raise ValueError("sizes must have at most 1001 entries (1000 layers)")
    sizes = tuple(positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes))
    if len(sizes) < 2:
        raise ValueError(f"sizes must have at least 2 entries (inputs and outputs); got {list(sizes)!r}")
    n = positive_int(n_samples, "n_samples")
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    forward = n * sum(products)
    backward = n * sum(products) + n * sum(products[1:])
    P = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    return OperationCount(sizes, n, P, forward, backward, 2 * P * forward)


@dataclass(frozen=True)
class CostComparison:
    """Measured time of all P gradients by backprop and by central finite differences, per network.

    Every array has one entry per network, in the order of ``widths`` (K,).
    Every time is the fastest of ``repeats`` runs, in seconds (as ``timeit`` advises: slower runs measure
    other processes sharing the machine, not the algorithm). Times vary from machine to machine; the
    structure does not.
    """

    widths: tuple[int, ...]
    depth: int  # hidden layers
    n_samples: int
    sizes: tuple[tuple[int, ...], ...]  # the layer widths of each network
    n_parameters: np.ndarray  # (K,) P
    backprop_seconds: np.ndarray  # (K,) one forward + backward pass
    finite_difference_seconds: np.ndarray  # (K,) 2P forward passes
    forward_seconds: np.ndarray  # (K,) one forward pass with the loss, the unit of cost
    max_abs_difference: np.ndarray  # (K,) max |backprop − finite differences| over the P gradients
    repeats: int

    @property
    def ratio(self) -> np.ndarray:
        """Finite differences' time over backprop's, (K,)."""
        return self.finite_difference_seconds / self.backprop_seconds

    @property
    def finite_difference_forward_passes(self) -> np.ndarray:
        """The theory: 2P forward passes, (K,)."""
        return 2 * self.n_parameters

    @property
    def backprop_forward_passes(self) -> np.ndarray:
        """The theory: backprop's multiply-adds in forward passes (≈ 3), (K,)."""
        return np.array([count_operations(s, self.n_samples).backprop_forward_passes for s in self.sizes])

    @property
    def measured_backprop_forward_passes(self) -> np.ndarray:
        """Backprop's measured time in forward passes, (K,) (small networks: dominated by Python overhead)."""
        return self.backprop_seconds / self.forward_seconds

    def table(self) -> str:
        """A fixed-width text table, one row per network."""
        lines = [
            f"{'sizes':<22} {'P':>6} {'backprop':>11} {'finite diff.':>13} {'ratio':>8} {'2P':>7} {'max |diff|':>11}"
        ]
        for k, sizes in enumerate(self.sizes):
            lines.append(
                f"{'-'.join(map(str, sizes)):<22} {int(self.n_parameters[k]):>6} "
                f"{_ms(self.backprop_seconds[k]):>11} {_ms(self.finite_difference_seconds[k]):>13} "
                f"{self.ratio[k]:>7.0f}× {int(self.finite_difference_forward_passes[k]):>7} "
                f"{self.max_abs_difference[k]:>11.1e}"
            )
        return "\n".join(lines)

    __str__ = table


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def finite_difference_gradient(net: Network, X: np.ndarray, Y: np.ndarray, h: float = FD_STEP) -> np.ndarray:
    """∂L/∂θ by central differences, [L(θ + h eᵢ) − L(θ − h eᵢ)] / 2h for every i: 2P forward passes.

    X (n_samples, n_features) and Y (n_samples, n_out) must be checked arrays (``net.check_X/check_y``).
    The network's parameters are restored afterwards.
    """
    theta = net.theta  # the live flat buffer: perturbing one entry moves that parameter
    grad = np.empty(theta.size)
    for i in range(theta.size):
        old = theta[i]
        theta[i] = old + h
        plus = net.mean_loss(X, Y)
        theta[i] = old - h
        minus = net.mean_loss(X, Y)
        theta[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def _time_per_call(fn, repeats: int) -> float:
    """Seconds per call of ``fn``: the fastest of ``repeats`` timings, each of enough calls to last ~5 ms."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    number = max(1, int(_MIN_TIMED_SECONDS / max(once, 1e-7)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def compare_gradient_costs(
    widths: Sequence[int] = (2, 4, 8, 16, 32),
    depth: int = 2,
    n_samples: int = 32,
    repeats: int = 3,
    seed: int | np.random.Generator | None = 0,
) -> CostComparison:
    """Time all P gradients by one backprop and by central finite differences (2P forward passes).

    For each width w the network is ``[2] + [w] * depth + [1]`` (tanh hidden layers, identity output,
    squared error) on ``n_samples`` random inputs with a smooth target, so P = 4w + 1 + (depth − 1)(w² + w)
    grows about as w². Backprop costs about 3 forward passes' worth of arithmetic whatever P is;
    finite differences cost 2P forward passes, so their ratio grows linearly with P.

    widths: hidden widths, each ≥ 1, increasing, at most MAX_COMPARED_NETWORKS (10) of them, each network
        with at most MAX_COMPARED_PARAMETERS (10,000) parameters. depth: hidden layers, 1 to 10.
    n_samples: batch size, 1 to 1,000. repeats: timings per method and network (the fastest is kept), 1 to 10.
    The finite differences' work, repeats × Σ 2P·n·P multiply-adds, is at most MAX_COMPARE_WORK (2·10¹⁰,
    some ten seconds); everything is checked before a network is built.
    seed: the data and the initial weights. With the defaults the whole run takes well under 3 s.
    """
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Iterable):
        raise ValueError(f"widths must be a list of hidden-layer widths such as (2, 4, 8); got {widths!r}")
    widths = list(itertools.islice(widths, MAX_COMPARED_NETWORKS + 1))
    if len(widths) > MAX_COMPARED_NETWORKS:
        raise ValueError(f"widths must hold at most {MAX_COMPARED_NETWORKS} widths")
    widths = tuple(positive_int(w, f"widths[{i}]", maximum=MAX_WIDTH) for i, w in enumerate(widths))
    if not widths:
        raise ValueError("widths must hold at least one width")
    if any(b <= a for a, b in zip(widths[:-1], widths[1:])):
        raise ValueError(f"widths must increase strictly; got {widths!r}")
    depth = positive_int(depth, "depth", maximum=MAX_COMPARED_DEPTH)
    n_samples = positive_int(n_samples, "n_samples", maximum=MAX_COMPARED_SAMPLES)
    repeats = positive_int(repeats, "repeats", maximum=MAX_REPEATS)
    counts = [count_parameters([2] + [w] * depth + [1]) for w in widths]
    if counts[-1] > MAX_COMPARED_PARAMETERS:
        raise ValueError(
            f"widths: the widest network, [2] + [{widths[-1]}] * {depth} + [1], has {counts[-1]:,} parameters; "
            f"at most {MAX_COMPARED_PARAMETERS:,} (finite differences cost 2P forward passes)"
        )
    work = repeats * sum(2 * P * n_samples * P for P in counts)
    if work > MAX_COMPARE_WORK:
        raise ValueError(
            f"n_samples, repeats and widths ask for {work:.1e} multiply-adds of finite differences; at most "
            f"{MAX_COMPARE_WORK:.0e} (about ten seconds): fewer samples, repeats or smaller widths"
        )
    rng = rng_from(seed)
    X = rng.uniform(-2.0, 2.0, size=(n_samples, 2))  # (n_samples, 2)
    Y = np.sin(X[:, :1]) * np.cos(X[:, 1:])  # (n_samples, 1)

    sizes, P, bp, fd, fw, diff = [], [], [], [], [], []
    for w in widths:
        net = Network([2] + [w] * depth + [1], activation="tanh", output_activation="identity", loss="mse", seed=rng)
        sizes.append(net.sizes)
        P.append(net.n_parameters)
        with np.errstate(all="ignore"):
            bp.append(_time_per_call(lambda net=net: net.gradient(X, Y), repeats))
            fw.append(_time_per_call(lambda net=net: net.mean_loss(X, Y), repeats))
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                numeric = finite_difference_gradient(net, X, Y)
                times.append(time.perf_counter() - start)
            fd.append(min(times))
            _, analytic = net.gradient(X, Y)
        diff.append(float(np.max(np.abs(analytic - numeric))))
    return CostComparison(
        widths=widths,
        depth=depth,
        n_samples=n_samples,
        sizes=tuple(sizes),
        n_parameters=np.array(P),
        backprop_seconds=np.array(bp),
        finite_difference_seconds=np.array(fd),
        forward_seconds=np.array(fw),
        max_abs_difference=np.array(diff),
        repeats=repeats,
    )


# ---------------------------------------------------------------------------------------------- vanishing gradients
@dataclass(frozen=True)
class GradientNorms:
    """Per-layer gradient norms for networks that differ only in their hidden activation.

    Row a is ``activations[a]``, column l is layer l + 1 (layer 1 at the input side, layer L the output).
    ``*_after`` hold the same after ``steps`` steps of gradient descent (None when steps = 0).
    """

    activations: tuple[str, ...]
    sizes: tuple[int, ...]
    init: str
    dataset: str
    weight_norms: np.ndarray  # (A, L) ‖∂L/∂Wˡ‖ (Frobenius) at initialisation
    delta_norms: np.ndarray  # (A, L) ‖δˡ‖ = ‖∂L/∂zˡ‖ over samples and units, at initialisation
    losses: np.ndarray  # (A,) loss at initialisation
    steps: int
    lr: float
    weight_norms_after: np.ndarray | None  # (A, L)
    delta_norms_after: np.ndarray | None  # (A, L)
    losses_after: np.ndarray | None  # (A,)

    @property
    def n_layers(self) -> int:
        return self.weight_norms.shape[1]

    @property
    def layers(self) -> np.ndarray:
        """Layer numbers 1..L, (L,)."""
        return np.arange(1, self.n_layers + 1)

    def first_to_last(self, after: bool = False) -> np.ndarray:
        """‖∂L/∂W¹‖ / ‖∂L/∂Wᴸ‖ per activation, (A,): ≪ 1 means the first layer barely learns."""
        norms = self.weight_norms_after if after else self.weight_norms
        if norms is None:
            raise ValueError("after=True needs a result computed with steps > 0")
        return norms[:, 0] / norms[:, -1]

    def table(self) -> str:
        """Norms per layer (columns) and activation (rows), at initialisation."""
        head = f"{'activation':<12}" + "".join(f"{'layer ' + str(layer):>11}" for layer in self.layers)
        lines = [head + f"{'first/last':>12}"]
        for a, name in enumerate(self.activations):
            row = "".join(f"{v:>11.2e}" for v in self.weight_norms[a])
            lines.append(f"{name:<12}{row}{self.first_to_last()[a]:>12.2e}")
        return "\n".join(lines)

    __str__ = table


def gradient_norms_by_activation(
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    depth: int = 6,
    width: int = 8,
    seed: int = 0,
    *,
    steps: int = 0,
    lr: float = 0.5,
    init: str = "auto",
    dataset: str = "circles",
    n_samples: int = 64,
) -> GradientNorms:
    """‖∂L/∂Wˡ‖ and ‖δˡ‖ per layer l = 1..L for one network shape with different hidden activations.

    Each network is ``[2] + [width] * depth + [1]`` with a sigmoid output and binary cross-entropy, on
    the same data set and drawn from the same seed (``init="auto"``: Xavier for sigmoid/tanh, He for ReLU).
    Going back one layer multiplies δ by Wᵀ and by f′(z); σ′ ≤ ¼, so a sigmoid network's first layers
    get gradients orders of magnitude smaller than its last; tanh′(0) = 1 and ReLU′ = 1 where active.

    activations: hidden activations to compare (from HIDDEN_ACTIVATIONS, no repeats).
    depth: hidden layers, 1 to 99 (L = depth + 1 weight layers). width: neurons per hidden layer, 1 to 4,096
        (the network within the Network's limits). n_samples: 2 to 100,000.
    steps: also record the norms after this many full-batch gradient descent steps with ``lr`` (≤ 10,000;
        activations × (1 + steps) × 3·n_samples·P multiply-adds at most MAX_NORM_WORK, 2·10¹⁰).
    init: the initialisation (auto, xavier, he, normal, zeros). dataset: a binary data set name.
    """
    if isinstance(activations, str) or not isinstance(activations, Iterable):
        raise ValueError(f"activations must be a list of names such as ('sigmoid', 'relu'); got {activations!r}")
    activations = tuple(activations)
    if not activations:
        raise ValueError("activations must name at least one activation")
    for i, name in enumerate(activations):
        one_of(name, HIDDEN_ACTIVATIONS, f"activations[{i}]")
    if len(set(activations)) != len(activations):
        raise ValueError(f"activations must not repeat a name; got {activations!r}")
    depth = positive_int(depth, "depth", maximum=MAX_LAYERS - 1)
    width = positive_int(width, "width", maximum=MAX_WIDTH)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (every network starts from it); got {seed!r}")
    steps = positive_int(steps, "steps", minimum=0, maximum=MAX_NORM_STEPS)
    lr = positive_float(lr, "lr")
    one_of(init, INITS, "init")
    one_of(dataset, ("xor", "circles", "moons", "spiral"), "dataset")
    n_samples = positive_int(n_samples, "n_samples", minimum=2, maximum=MAX_SAMPLES)
    try:
        sizes = check_sizes([2] + [width] * depth + [1])  # the Network's limits, before anything is made
    except ValueError as err:
        raise ValueError(f"depth and width: {err}") from None
    work = len(activations) * (1 + steps) * 3 * n_samples * count_parameters(sizes)
    if work > MAX_NORM_WORK:
        raise ValueError(
            f"steps, n_samples, depth and width ask for about {work:.1e} multiply-adds; at most {MAX_NORM_WORK:.0e} "
            "(about ten seconds): fewer steps or samples, or a smaller network"
        )
    data = make_dataset(dataset, n_samples=n_samples, noise=0.05, seed=seed)
    X, y = data.X_train, data.y_train

    sizes = list(sizes)
    w_norms, d_norms, losses, w_after, d_after, losses_after = [], [], [], [], [], []
    for name in activations:
        net = Network(sizes, activation=name, output_activation="sigmoid", loss="bce", seed=int(seed), init=init)
        rec = net.backprop(X, y)
        w_norms.append([np.linalg.norm(g) for g in rec.grad_weights])
        d_norms.append([np.linalg.norm(d) for d in rec.deltas])
        losses.append(rec.loss)
        if steps:
            train(net, X, y, lr=lr, steps=steps)
            rec = net.backprop(X, y)
            w_after.append([np.linalg.norm(g) for g in rec.grad_weights])
            d_after.append([np.linalg.norm(d) for d in rec.deltas])
            losses_after.append(rec.loss)
    return GradientNorms(
        activations=activations,
        sizes=tuple(sizes),
        init=init,
        dataset=dataset,
        weight_norms=np.array(w_norms),
        delta_norms=np.array(d_norms),
        losses=np.array(losses),
        steps=steps,
        lr=lr,
        weight_norms_after=np.array(w_after) if steps else None,
        delta_norms_after=np.array(d_after) if steps else None,
        losses_after=np.array(losses_after) if steps else None,
    )
