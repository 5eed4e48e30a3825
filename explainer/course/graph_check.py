"""The whole-graph exercise: a two-layer network's forward and backward pass, written step by step, every
intermediate checked against the engine.

The learner writes a function with exactly this signature (n samples, n_in inputs, n_hidden sigmoid
neurons, n_out softmax outputs)::

    def backward(X, Y, W1, b1, W2, b2):
        # X   the inputs                 (n, n_in)
        # Y   the one-hot targets        (n, n_out)
        # W1  W¹ (n_in, n_hidden)   b1  b¹ (n_hidden,)
        # W2  W² (n_hidden, n_out)  b2  b² (n_out,)
        ...
        return {"z1": z1, "a1": a1, "z2": z2, "p": p, "loss": loss,
                "grad_z2": grad_z2, "grad_W2": grad_W2, "grad_b2": grad_b2,
                "grad_a1": grad_a1, "grad_z1": grad_z1, "grad_W1": grad_W1, "grad_b1": grad_b1}

and returns a dict with these twelve arrays, for L the mean cross-entropy over the n samples (the forward
ones first, then the backward ones in the order the backward pass computes them; a key left out counts as
"not written yet", so the function can grow one step at a time)::

    z1       z¹ = X W¹ + b¹                                   (n, n_hidden)
    a1       a¹ = σ(z¹) = 1 / (1 + e^(−z¹))                   (n, n_hidden)
    z2       z² = a¹ W² + b²                                  (n, n_out)
    p        p = softmax(z²), each row: e^(z²) / Σₖ e^(z²ₖ)   (n, n_out)
    loss     L = −(1/n) Σₛ Σₖ Y[s,k] log p[s,k]               one number
    grad_z2  ∂L/∂z² = (p − Y) / n                             (n, n_out)
    grad_W2  ∂L/∂W² = (a¹)ᵀ ∂L/∂z²                            (n_hidden, n_out)
    grad_b2  ∂L/∂b² = Σ over samples of ∂L/∂z²                (n_out,)
    grad_a1  ∂L/∂a¹ = ∂L/∂z² (W²)ᵀ                            (n, n_hidden)
    grad_z1  ∂L/∂z¹ = ∂L/∂a¹ ⊙ σ′(z¹),  σ′(z¹) = a¹(1 − a¹)   (n, n_hidden)
    grad_W1  ∂L/∂W¹ = Xᵀ ∂L/∂z¹                               (n_in, n_hidden)
    grad_b1  ∂L/∂b¹ = Σ over samples of ∂L/∂z¹                (n_hidden,)

``check_graph_backward`` calls it on a real 4-5-3 network and six samples (every array a different shape,
so a transposed or mis-summed one shows as a wrong shape) and compares each array with the engine's record
(``Network.backprop``): per intermediate exact / close / its largest difference / its shape, the first wrong
one named with its likely mistake (the vocabulary of ``exercises.py``'s one-layer checker, and more), and for
each later one whether it follows correctly from the learner's own earlier arrays.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import rng_from
from ..engine.network import Network, Record
from ._time_limit import Frame, run_with_time_limit

TIME_LIMIT = 5.0  # seconds the learner's function gets; the reference takes well under a millisecond
GRAPH_SIZES = (4, 5, 3)  # n_in, n_hidden, n_out
N_SAMPLES = 6  # so n, n_in, n_hidden, n_out all differ

QUANTITIES = (
    "z1",
    "a1",
    "z2",
    "p",
    "loss",
    "grad_z2",
    "grad_W2",
    "grad_b2",
    "grad_a1",
    "grad_z1",
    "grad_W1",
    "grad_b1",
)
FORWARD = QUANTITIES[:5]
SYMBOL = {
    "z1": "z¹",
    "a1": "a¹",
    "z2": "z²",
    "p": "p",
    "loss": "L",
    "grad_z2": "∂L/∂z²",
    "grad_W2": "∂L/∂W²",
    "grad_b2": "∂L/∂b²",
    "grad_a1": "∂L/∂a¹",
    "grad_z1": "∂L/∂z¹",
    "grad_W1": "∂L/∂W¹",
    "grad_b1": "∂L/∂b¹",
}
FORMULA = {
    "z1": "z¹ = X W¹ + b¹: X @ W1 + b1",
    "a1": "a¹ = σ(z¹) = 1 / (1 + e^(−z¹)), entry by entry",
    "z2": "z² = a¹ W² + b²: a1 @ W2 + b2",
    "p": "p = softmax(z²) row by row: e = np.exp(z2 - z2.max(axis=1, keepdims=True)); p = e / e.sum(axis=1, "
    "keepdims=True)",
    "loss": "L = −(1/n) Σ Y log p: -np.sum(Y * np.log(p)) / n",
    "grad_z2": "∂L/∂z² = (p − Y)/n: softmax and cross-entropy together",
    "grad_W2": "∂L/∂W² = (a¹)ᵀ ∂L/∂z²: a1.T @ grad_z2",
    "grad_b2": "∂L/∂b² = Σ over samples of ∂L/∂z²: grad_z2.sum(axis=0)",
    "grad_a1": "∂L/∂a¹ = ∂L/∂z² (W²)ᵀ: grad_z2 @ W2.T",
    "grad_z1": "∂L/∂z¹ = ∂L/∂a¹ ⊙ σ′(z¹) with σ′(z¹) = a¹(1 − a¹): grad_a1 * a1 * (1 - a1)",
    "grad_W1": "∂L/∂W¹ = Xᵀ ∂L/∂z¹: X.T @ grad_z1",
    "grad_b1": "∂L/∂b¹ = Σ over samples of ∂L/∂z¹: grad_z1.sum(axis=0)",
}
LIKE = {"z1": "(n, n_hidden)", "a1": "z¹", "z2": "(n, n_out)", "p": "z²", "loss": "one number", "grad_z2": "z²"}
LIKE |= {"grad_W2": "W²", "grad_b2": "b²", "grad_a1": "a¹", "grad_z1": "z¹", "grad_W1": "W¹", "grad_b1": "b¹"}
# What each quantity is computed from (besides X, Y and the parameters): its inputs in the graph.
NEEDS = {
    "z1": (),
    "a1": ("z1",),
    "z2": ("a1",),
    "p": ("z2",),
    "loss": ("p",),
    "grad_z2": ("p",),
    "grad_W2": ("a1", "grad_z2"),
    "grad_b2": ("grad_z2",),
    "grad_a1": ("grad_z2",),
    "grad_z1": ("a1", "grad_a1"),
    "grad_W1": ("grad_z1",),
    "grad_b1": ("grad_z1",),
}
# The forward value a gradient can be mistaken for (returning the forward instead of the gradient).
FORWARD_OF = {"grad_z2": "z2", "grad_W2": "W2", "grad_b2": "b2", "grad_a1": "a1", "grad_z1": "z1"}
FORWARD_OF |= {"grad_W1": "W1", "grad_b1": "b1"}
_FORWARD_SYMBOL = {"z2": "z²", "W2": "W²", "b2": "b²", "a1": "a¹", "z1": "z¹", "W1": "W¹", "b1": "b¹"}

# The mistakes the checker names (the codes GraphCheckResult.mistake and Comparison.mistake take); the codes
# shared with exercises.MISTAKES mean the same there.
MISTAKES = {
    "timeout": "the function did not return within the time limit (an endless loop?)",
    "exception": "the function raised an exception",
    "return": "the function did not return a dict of arrays",
    "missing": "an intermediate is not in the returned dict yet",
    "not_array": "a returned value is not an array of numbers",
    "not_finite": "a returned array holds NaN or infinity",
    "shape": "a returned array has the wrong shape",
    "transpose": "a returned array (or a W in a product) is transposed",
    "bias_axis": "a bias gradient was summed over the wrong axis, or not summed over the samples",
    "keepdims": "a bias gradient kept a dimension of length 1 (keepdims)",
    "broadcast": "broadcasting stretched an array to a wrong shape",
    "sign": "a returned array has the wrong sign",
    "factor_n": "a returned array is off by a factor n: a stray or a missing 1/n",
    "factor_2": "a returned array is off by a factor 2",
    "factor": "a returned array is off by a constant factor",
    "missing_bias": "the bias was left out of z",
    "missing_activation": "the activation was left out: a = z",
    "wrong_activation": "the wrong activation function (σ for softmax, tanh for σ)",
    "softmax_axis": "the softmax was normalised over the samples (axis 0) instead of each row",
    "z_for_a": "z was used where the activation a belongs",
    "missing_one_hot": "the one-hot target Y was not subtracted (or not used) in softmax + cross-entropy",
    "extra_fprime": "∂L/∂z² was multiplied by a softmax slope p(1 − p), which cancels with cross-entropy",
    "missing_fprime": "∂L/∂z¹ lacks the factor σ′(z¹)",
    "fprime_of_z": "σ′ was computed as z(1 − z) instead of a(1 − a)",
    "fprime_of_a": "σ′ was evaluated at a instead of z: σ(a)(1 − σ(a))",
    "sigma_not_derivative": "∂L/∂z¹ was multiplied by σ(z¹) instead of σ′(z¹)",
    "grad_a_for_delta": "∂L/∂a¹ was used where ∂L/∂z¹ belongs",
    "previous_fprime": "∂L/∂a¹ was already multiplied by σ′(z¹), which belongs to the next step",
    "forward_not_gradient": "the forward value was returned instead of its gradient",
    "value": "a returned array has wrong values",
}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def reference_backward(X, Y, W1, b1, W2, b2):
    """The forward and backward pass of a sigmoid-softmax two-layer network: the exercise's solution.

    X (n, n_in), Y one-hot (n, n_out), W1 (n_in, n_hidden), b1 (n_hidden,), W2 (n_hidden, n_out), b2 (n_out,).
    Returns the dict of twelve arrays described in the module docstring.
    """
    n = X.shape[0]
    # forward
    z1 = X @ W1 + b1  # (n, n_hidden)
    a1 = 1 / (1 + np.exp(-z1))  # σ(z¹)
    z2 = a1 @ W2 + b2  # (n, n_out)
    e = np.exp(z2 - z2.max(axis=1, keepdims=True))  # shifting each row leaves the softmax unchanged
    p = e / e.sum(axis=1, keepdims=True)  # each row sums to 1
    loss = -np.sum(Y * np.log(p)) / n  # the mean cross-entropy
    # backward, from the loss to the inputs
    grad_z2 = (p - Y) / n  # softmax + cross-entropy: the 1/p of the log cancels the softmax's slope
    grad_W2 = a1.T @ grad_z2  # (n_hidden, n_out): one term per sample, summed
    grad_b2 = grad_z2.sum(axis=0)  # (n_out,)
    grad_a1 = grad_z2 @ W2.T  # (n, n_hidden): each hidden neuron collects from every output
    grad_z1 = grad_a1 * a1 * (1 - a1)  # σ′(z¹) = a¹(1 − a¹), from the stored a¹
    grad_W1 = X.T @ grad_z1  # (n_in, n_hidden)
    grad_b1 = grad_z1.sum(axis=0)  # (n_hidden,)
    return {
        "z1": z1,
        "a1": a1,
        "z2": z2,
        "p": p,
        "loss": loss,
        "grad_z2": grad_z2,
        "grad_W2": grad_W2,
        "grad_b2": grad_b2,
        "grad_a1": grad_a1,
        "grad_z1": grad_z1,
        "grad_W1": grad_W1,
        "grad_b1": grad_b1,
    }


def solution_code() -> str:
    """The source of ``reference_backward``, for a "show solution" button."""
    return inspect.getsource(reference_backward)


def starter_code() -> str:
    """The function to fill in, one line per intermediate, each ``...`` until written."""
    lines = ["def backward(X, Y, W1, b1, W2, b2):", "    n = X.shape[0]"]
    for name in QUANTITIES:
        if name == "grad_z2":
            lines.append("    # the backward pass, from the loss to the inputs")
        lines.append(f"    {name} = ...  # {FORMULA[name].split(':')[0]}")
    lines.append("    return {" + ", ".join(f'"{q}": {q}' for q in QUANTITIES) + "}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class GraphCase:
    """A real network's parameters, a batch, and the engine's record of its forward and backward pass."""

    X: np.ndarray  # (n, n_in)
    Y: np.ndarray  # (n, n_out) one-hot
    W1: np.ndarray  # (n_in, n_hidden)
    b1: np.ndarray  # (n_hidden,)
    W2: np.ndarray  # (n_hidden, n_out)
    b2: np.ndarray  # (n_out,)
    expected: dict[str, np.ndarray]  # QUANTITIES → the engine's arrays (read-only)
    record: Record

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def inputs(self) -> tuple[np.ndarray, ...]:
        """Fresh writable copies of (X, Y, W1, b1, W2, b2), so the learner's code may change them freely."""
        return tuple(np.array(x) for x in (self.X, self.Y, self.W1, self.b1, self.W2, self.b2))


def graph_case(seed: int | np.random.Generator | None = 0) -> GraphCase:
    """A 4-5-3 network (sigmoid hidden layer, softmax output, cross-entropy, non-zero biases), six samples, a record."""
    rng = rng_from(seed)
    net = Network(GRAPH_SIZES, activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=rng)
    for layer, width in enumerate(GRAPH_SIZES[1:]):
        net.biases[layer] = rng.normal(0.0, 0.5, size=width)  # not the zeros of a fresh network: a left-out b shows
    X = rng.normal(0.0, 1.0, size=(N_SAMPLES, GRAPH_SIZES[0]))
    labels = np.arange(N_SAMPLES) % GRAPH_SIZES[-1]  # every class present
    rng.shuffle(labels)
    Y = np.eye(GRAPH_SIZES[-1])[labels]
    rec = net.backprop(X, Y)
    expected = {
        "z1": rec.preactivations[0],
        "a1": rec.activations[1],
        "z2": rec.preactivations[1],
        "p": rec.activations[2],
        "loss": _readonly(np.array(rec.loss)),
        "grad_z2": rec.deltas[1],
        "grad_W2": rec.grad_weights[1],
        "grad_b2": rec.grad_biases[1],
        "grad_a1": rec.grad_activations[0],
        "grad_z1": rec.deltas[0],
        "grad_W1": rec.grad_weights[0],
        "grad_b1": rec.grad_biases[0],
    }
    W1, W2 = rec.weights
    b1, b2 = rec.biases
    return GraphCase(_readonly(X), _readonly(Y), W1, b1, W2, b2, expected, rec)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# -------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """One intermediate: the learner's array beside the engine's."""

    name: str  # a key of QUANTITIES
    symbol: str  # "∂L/∂W¹"
    expected_shape: tuple[int, ...]
    shape: tuple[int, ...] | None  # the learner's (None: missing or not an array)
    status: str  # "exact", "close", "wrong", "shape", "missing", "not_array" or "not_finite"
    max_abs_diff: float | None  # largest |learner − engine| when the shapes agree
    follows: bool | None  # for a wrong one: right given the learner's own earlier arrays? (None: not judged)
    mistake: str | None  # a key of MISTAKES for a wrong one that does not follow from earlier arrays
    note: str  # what to say about it

    @property
    def ok(self) -> bool:
        return self.status in ("exact", "close")


@dataclass(frozen=True)
class GraphCheckResult:
    """The verdict on a learner's whole-graph function.

    ok: every intermediate matches the engine. message: what to tell the learner. items: one Comparison per
    intermediate, in QUANTITIES order. first_wrong: the first one that does not match (None when ok or when
    the call itself failed); mistake: a code from MISTAKES; index/got/expected: its first wrong entry.
    """

    ok: bool
    message: str
    items: tuple[Comparison, ...] = ()
    first_wrong: str | None = None
    mistake: str | None = None
    index: tuple[int, ...] | None = None
    got: float | None = None
    expected: float | None = None
    max_abs_error: float | None = None  # when ok: the largest difference from the engine

    def __str__(self) -> str:
        return self.message

    def item(self, name: str) -> Comparison:
        """The Comparison for one intermediate ("grad_W1")."""
        for c in self.items:
            if c.name == name:
                return c
        raise ValueError(f"name must be one of {', '.join(QUANTITIES)}; got {name!r}")

    def table(self) -> str:
        """One line per intermediate: its shape and the engine's, the verdict, the largest difference."""
        head = f"{'':9} {'yours':>10} {'engine':>10}  {'verdict':<10} {'max |diff|':>10}  note"
        rows = [head]
        for c in self.items:
            shape = "—" if c.shape is None else str(c.shape)
            diff = "—" if c.max_abs_diff is None else f"{c.max_abs_diff:.1e}"
            verdict = c.status if c.follows is not True else "follows"
            rows.append(f"{c.symbol:9} {shape:>10} {str(c.expected_shape):>10}  {verdict:<10} {diff:>10}  {c.note}")
        return "\n".join(rows)


def _close(u: np.ndarray, e: np.ndarray) -> np.ndarray:
    scale = max(float(np.abs(e).max()), 1e-300)
    return np.isclose(u, e, rtol=1e-6, atol=1e-9 * scale)


def _same(u: np.ndarray, e: np.ndarray) -> bool:
    return u.shape == e.shape and bool(np.all(_close(u, e)))


def _local(name: str, v: dict[str, np.ndarray], case: GraphCase) -> np.ndarray:
    """What ``name`` should be, computed from the arrays in ``v`` (the learner's own where they are usable)."""
    n = case.n_samples
    X, Y, W1, b1, W2, b2 = case.X, case.Y, case.W1, case.b1, case.W2, case.b2
    if name == "z1":
        return X @ W1 + b1
    if name == "a1":
        return _sigmoid(v["z1"])
    if name == "z2":
        return v["a1"] @ W2 + b2
    if name == "p":
        return _softmax(v["z2"])
    if name == "loss":
        return np.array(-np.sum(Y * np.log(np.maximum(v["p"], 1e-300))) / n)
    if name == "grad_z2":
        return (v["p"] - Y) / n
    if name == "grad_W2":
        return v["a1"].T @ v["grad_z2"]
    if name in ("grad_b2", "grad_b1"):
        return v["grad_z2" if name == "grad_b2" else "grad_z1"].sum(axis=0)
    if name == "grad_a1":
        return v["grad_z2"] @ W2.T
    if name == "grad_z1":
        return v["grad_a1"] * v["a1"] * (1 - v["a1"])
    return X.T @ v["grad_z1"]  # grad_W1


def _likely_mistakes(name: str, v: dict[str, np.ndarray], case: GraphCase) -> list[tuple[str, np.ndarray, str]]:
    """(code, what the array would be with that mistake, explanation) for the usual slips in ``name``."""
    n = case.n_samples
    X, Y, W1, W2, b2 = case.X, case.Y, case.W1, case.W2, case.b2
    if name == "z1":
        return [("missing_bias", X @ W1, "the bias is missing: z¹ = X W¹ + b¹")]
    if name == "a1":
        z1 = v["z1"]
        return [
            ("missing_activation", z1, "it equals z¹: pass z¹ through the sigmoid, a¹ = σ(z¹)"),
            ("wrong_activation", np.tanh(z1), "that is tanh(z¹); the hidden layer uses σ(z) = 1 / (1 + e^(−z))"),
        ]
    if name == "z2":
        return [
            ("missing_bias", v["a1"] @ W2, "the bias is missing: z² = a¹ W² + b²"),
            ("z_for_a", v["z1"] @ W2 + b2, "it was built from z¹; the second layer's input is a¹ = σ(z¹)"),
        ]
    if name == "p":
        z2 = v["z2"]
        return [
            (
                "softmax_axis",
                _softmax(z2, axis=0),
                "it was normalised over the samples (axis=0); each row, one "
                "sample, must sum to 1: sum over axis=1 with keepdims=True",
            ),
            (
                "wrong_activation",
                _sigmoid(z2),
                "that is σ(z²); the output layer is a softmax, e^(z²) / Σₖ e^(z²ₖ) per row",
            ),
            ("missing_activation", z2, "it equals z²: the softmax is missing"),
        ]
    if name == "loss":
        p = v["p"]
        return [
            (
                "missing_one_hot",
                np.array(-np.sum(np.log(p)) / n),
                "it sums log p over every class; only "
                "the target class counts: multiply by the one-hot Y before summing",
            )
        ]
    if name == "grad_z2":
        p = v["p"]
        return [
            ("forward_not_gradient", p, "it equals p, the forward value; the gradient is (p − Y)/n"),
            ("missing_one_hot", p / n, "the one-hot target was not subtracted: ∂L/∂z² = (p − Y)/n"),
            (
                "extra_fprime",
                (p - Y) / n * p * (1 - p),
                "it was multiplied by p(1 − p) as well: with softmax and "
                "cross-entropy that slope cancels against the log, leaving (p − Y)/n",
            ),
        ]
    if name == "grad_W2":
        return [
            (
                "z_for_a",
                v["z1"].T @ v["grad_z2"],
                "it was built from z¹; ∂L/∂W² = (a¹)ᵀ ∂L/∂z² uses the layer's input a¹",
            )
        ]
    if name == "grad_a1":
        right = _local("grad_a1", v, case)
        return [
            (
                "previous_fprime",
                right * v["a1"] * (1 - v["a1"]),
                "it was already multiplied by σ′(z¹): that factor turns ∂L/∂a¹ into ∂L/∂z¹, the next step",
            ),
        ]
    if name == "grad_z1":
        g, a1, z1 = v["grad_a1"], v["a1"], v["z1"]
        sa = _sigmoid(a1)
        return [
            ("missing_fprime", g, "it equals ∂L/∂a¹: the factor σ′(z¹) = a¹(1 − a¹) is missing"),
            ("fprime_of_z", g * z1 * (1 - z1), "σ′ was computed from z as z(1 − z); it is a(1 − a) with a = σ(z)"),
            ("fprime_of_a", g * sa * (1 - sa), "σ′ was evaluated at a¹: σ(a¹)(1 − σ(a¹)); it is σ′(z¹) = a¹(1 − a¹)"),
            ("sigma_not_derivative", g * a1, "it is ∂L/∂a¹ · σ(z¹): use the derivative σ′(z¹) = a¹(1 − a¹)"),
        ]
    if name == "grad_W1":
        return [("grad_a_for_delta", X.T @ v["grad_a1"], "it was built from ∂L/∂a¹; use ∂L/∂z¹: Xᵀ ∂L/∂z¹")]
    if name == "grad_b1":
        return [("grad_a_for_delta", v["grad_a1"].sum(axis=0), "it was built from ∂L/∂a¹; use ∂L/∂z¹")]
    return []


def _factor_message(c: float, n: int) -> tuple[str, str]:
    """(mistake code, explanation) for an array that is c times the right one."""
    if np.isclose(c, 1.0 / n):
        return "factor_n", (
            f"too small by a factor n = {n}: a stray 1/n. The loss is a mean, so its gradients carry 1/n exactly "
            "once, in ∂L/∂z² = (p − Y)/n; everything after it already holds it (sum over samples, do not average)"
        )
    if np.isclose(c, n):
        return "factor_n", (
            f"too large by a factor n = {n}: a missing 1/n. The loss is the mean over the samples, so "
            "∂L/∂z² = (p − Y)/n (or a sum where a mean belongs)"
        )
    if np.isclose(c, 2.0) or np.isclose(c, 0.5):
        return "factor_2", f"off by a factor 2 ({'twice' if c > 1 else 'half'} the right size): a stray 2 or ½"
    return "factor", f"off by a constant factor {c:.4g}: every entry is scaled the same way"


def _diagnose(name: str, u: np.ndarray, v: dict[str, np.ndarray], case: GraphCase) -> tuple[str, str]:
    """(mistake code, explanation) for an array of the right shape and values that do not follow from ``v``."""
    e = _local(name, v, case)
    if _same(u, -e):
        return "sign", "every entry has the wrong sign: check for a minus sign"
    forward = FORWARD_OF.get(name)
    if forward:
        value = v.get(forward, getattr(case, forward, None))
        if value is not None and value.shape == u.shape and _same(u, value):
            return "forward_not_gradient", f"it equals {_FORWARD_SYMBOL[forward]}, the forward value, not its gradient"
    for code, candidate, text in _likely_mistakes(name, v, case):
        if candidate.shape == u.shape and _same(u, candidate):
            return code, text
    denom = float(np.sum(e * e))
    if denom > 0:
        c = float(np.sum(u * e)) / denom  # the least-squares scale of u against e
        if np.isfinite(c) and c != 0 and _same(u, c * e):
            return _factor_message(c, case.n_samples)
    return "value", f"the formula is {FORMULA[name]}"


def _shape_message(name: str, u: np.ndarray, e: np.ndarray, case: GraphCase) -> tuple[str, str]:
    head = f"{SYMBOL[name]} has shape {u.shape} but should be {e.shape}, the shape of {LIKE[name]}"
    if e.ndim == 2 and u.shape == e.shape[::-1]:
        return "transpose", f"{head} — transposed? ({FORMULA[name]})"
    if name in ("grad_b1", "grad_b2"):
        n = case.n_samples
        if u.shape == (1,) + e.shape:
            return "keepdims", f"{head} — drop keepdims: .sum(axis=0) gives one number per neuron"
        if u.shape in ((n,), (n,) + e.shape) or u.ndim == 0:
            return "bias_axis", f"{head} — one number per neuron: sum over the samples only, axis=0"
    if name == "loss":
        return "shape", f"{head} — the loss is one number: sum over the classes and average over the samples"
    if u.size > e.size and u.ndim >= e.ndim:
        return "broadcast", (
            f"{head} — broadcasting stretched it: an (n,) array met an (n, 1) one (or a row met a column) and "
            "NumPy made a table. Check each operand's shape; keepdims=True keeps a row sum as (n, 1)"
        )
    return "shape", f"{head} ({FORMULA[name]})"


def _as_array(value) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _entry(name: str, index: tuple[int, ...]) -> str:
    return SYMBOL[name] if not index else f"{SYMBOL[name]}[{','.join(map(str, index))}]"


def _call_quietly(user_fn: Callable, *args):
    with np.errstate(all="ignore"):
        return user_fn(*args)


def _exception_message(err: BaseException, case: GraphCase, frames: tuple[Frame, ...]) -> tuple[str, str]:
    text = f"Your function raised {type(err).__name__}: {err}"
    ours = {Path(__file__).resolve(), (Path(__file__).parent / "_time_limit.py").resolve()}
    numpy_dir = Path(np.__file__).resolve().parent
    mine = [f for f in frames if Path(f[0]).resolve() not in ours and numpy_dir not in Path(f[0]).resolve().parents]
    if mine:
        _, lineno, function, line = mine[-1]
        text += f" — at line {lineno} of {function}: {line.strip()}" if line else f" — at line {lineno} of {function}"
    shapes = ", ".join(f"{k} {getattr(case, k).shape}" for k in ("X", "Y", "W1", "b1", "W2", "b2"))
    message = str(err)
    if isinstance(err, ValueError) and "matmul" in message:
        return "transpose", (
            f"{text}. The shapes of a matrix product do not fit, (p, q) @ (q, r): a W the wrong way round? "
            f"Passing a gradient back uses the transpose, grad_z2 @ W2.T; the shapes you receive: {shapes}."
        )
    if isinstance(err, ValueError) and "broadcast" in message:
        return "broadcast", (
            f"{text}. Two arrays' shapes cannot be broadcast together: a row sum needs keepdims=True to divide "
            f"each row, (n, k) / (n, 1); the shapes you receive: {shapes}."
        )
    return "exception", f"{text}. (The shapes you receive: {shapes}.)"


def check_graph_backward(
    user_fn: Callable, *, seed: int | np.random.Generator | None = 0, time_limit: float = TIME_LIMIT
) -> GraphCheckResult:
    """Check a learner's ``backward(X, Y, W1, b1, W2, b2) -> dict`` of the twelve intermediates (module docstring).

    The function is called once on ``graph_case(seed)`` (a 4-5-3 sigmoid-softmax network, six samples) and
    each returned array is compared with the engine's record, forward ones first: its shape, then its values
    (exact, or close within a relative 1e-6). The first that does not match is named with its likely mistake;
    each later wrong one is marked as following from the learner's earlier arrays or not. Never raises for
    the learner's mistakes: an exception becomes the message, and a function still running after
    ``time_limit`` seconds (0 to 60) is stopped and reported (``explainer.course._time_limit``).
    """
    if not callable(user_fn):
        raise ValueError(f"user_fn must be a function backward(X, Y, W1, b1, W2, b2); got {type(user_fn).__name__}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit <= 60:
        raise ValueError(f"time_limit must be a number of seconds from 0 to 60; got {time_limit!r}")
    case = graph_case(seed)
    outcome = run_with_time_limit(_call_quietly, (user_fn, *case.inputs()), seconds=float(time_limit))
    if outcome.timed_out:
        return GraphCheckResult(
            False,
            f"Your function did not return within {time_limit:g} s: is there a loop that never ends? "
            "(The reference takes well under a millisecond; no loop over samples is needed.)",
            mistake="timeout",
        )
    if outcome.error is not None:  # the learner's bug is the lesson, not a crash
        code, text = _exception_message(outcome.error, case, outcome.frames)
        return GraphCheckResult(False, text, mistake=code)
    returned = outcome.value
    if not isinstance(returned, Mapping):
        return GraphCheckResult(
            False,
            f"Your function must return a dict from the names {', '.join(QUANTITIES)} to arrays; it returned a "
            f"{type(returned).__name__}.",
            mistake="return",
        )
    return _compare(returned, case)


def _compare(returned: Mapping, case: GraphCase) -> GraphCheckResult:
    """Judge every intermediate in order; name the first one that does not match the engine."""
    usable: dict[str, np.ndarray] = {}  # the learner's arrays where they have the right shape and are finite
    items: list[Comparison] = []
    first: tuple[Comparison, np.ndarray | None, np.ndarray] | None = None
    for name in QUANTITIES:
        e = case.expected[name]
        view = {**case.expected, **usable}  # the learner's own earlier arrays where usable, else the engine's
        item, u = _judge(name, returned, e, view, case)
        if u is not None and u.shape == e.shape and item.status != "not_finite":
            usable[name] = u
        items.append(item)
        if not item.ok and first is None:
            first = (item, u, e)
    if first is None:
        error = max(c.max_abs_diff for c in items)
        exact = sum(c.status == "exact" for c in items)
        return GraphCheckResult(
            True,
            f"Correct: all twelve intermediates, z¹ to ∂L/∂b¹, match the engine ({exact} exactly; largest "
            f"difference {error:.1e}).",
            tuple(items),
            max_abs_error=error,
        )
    item, u, e = first
    index = got = expected = None
    message = item.note
    if item.status == "wrong":
        wrong = ~_close(u, e)
        index = tuple(int(i) for i in np.argwhere(wrong)[0]) if wrong.ndim else ()
        got, expected = float(u[index]), float(e[index])
        message = f"{_entry(item.name, index)} is {got:.4g} but should be {expected:.4g} — {item.note}."
    elif item.status == "missing":
        extra = [k for k in returned if k not in QUANTITIES]
        near = difflib.get_close_matches(item.name, [str(k) for k in extra], n=1)
        message = item.note + (f" (You returned {near[0]!r}: a typo for {item.name!r}?)" if near else "")
    later = [c for c in items[QUANTITIES.index(item.name) + 1 :] if not c.ok]
    follow = [c.symbol for c in later if c.follows]
    if item.status != "missing" and later:
        if follow and len(follow) == len(later):
            which = ", ".join(follow) if len(follow) <= 4 else f"all {len(follow)} later intermediates"
            message += f" ({which} follow correctly from your arrays, so fixing {item.symbol} fixes them too.)"
        elif item.name in FORWARD or item.name == "grad_z2":
            message += f" (Everything after {item.symbol} is built on it: fix it first.)"
    done = sum(c.ok for c in items)
    message += f" [{done} of {len(QUANTITIES)} intermediates match.]"
    return GraphCheckResult(False, message, tuple(items), item.name, item.mistake, index, got, expected)


def _judge(
    name: str, returned: Mapping, e: np.ndarray, v: dict, case: GraphCase
) -> tuple[Comparison, np.ndarray | None]:
    """One intermediate against the engine's ``e`` (and, if wrong, against ``v``: the learner's own inputs)."""
    symbol = SYMBOL[name]

    def verdict(status, note, *, shape=None, diff=None, follows=None, mistake=None):
        return Comparison(name, symbol, e.shape, shape, status, diff, follows, mistake, note)

    if name not in returned or returned[name] is Ellipsis:
        what = "not written yet" if name in returned else "missing from the returned dict"
        return verdict("missing", f"{symbol} is {what}: {FORMULA[name]}", mistake="missing"), None
    u = None if returned[name] is None else _as_array(returned[name])
    if u is None:
        kind = type(returned[name]).__name__
        return verdict("not_array", f"{symbol} is a {kind}, not an array of numbers", mistake="not_array"), None
    if name == "loss" and u.size == 1:
        u = u.reshape(())  # a loss as float, (1,) or (1, 1) is one number
    if u.shape != e.shape:
        code, text = _shape_message(name, u, e, case)
        return verdict("shape", text + ".", shape=u.shape, mistake=code), u
    if not np.all(np.isfinite(u)):
        return verdict(
            "not_finite", f"{symbol} holds NaN or infinity (an overflow or 0/0?)", shape=u.shape, mistake="not_finite"
        ), u
    diff = float(np.max(np.abs(u - e))) if u.size else 0.0
    if np.array_equal(u, e):
        return verdict("exact", "", shape=u.shape, diff=diff), u
    if np.all(_close(u, e)):
        return verdict("close", "", shape=u.shape, diff=diff), u
    follows = None
    if any(not np.array_equal(v[k], case.expected[k]) for k in NEEDS[name]):  # an earlier array of theirs differs
        own = _local(name, v, case)
        follows = _same(u, own)
    if follows:
        needs = " and ".join(SYMBOL[k] for k in NEEDS[name])
        return verdict("wrong", f"follows correctly from your {needs}", shape=u.shape, diff=diff, follows=True), u
    code, text = _diagnose(name, u, v, case)
    return verdict("wrong", text, shape=u.shape, diff=diff, follows=follows, mistake=code), u
