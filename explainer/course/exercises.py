"""The "write it yourself" exercise: the backward pass of one dense sigmoid layer, checked against the engine.

The learner writes a function with exactly this signature (n samples, n_in inputs, n_out neurons)::

    def backward(a_prev, W, z, grad_a):
        # a_prev  aˡ⁻¹ = the layer's input                      (n, n_in)
        # W       Wˡ, the layer's weights                       (n_in, n_out)
        # z       zˡ = aˡ⁻¹ Wˡ + bˡ, the pre-activation          (n, n_out)
        # grad_a  ∂L/∂aˡ, the gradient arriving from above      (n, n_out)
        ...
        return delta, grad_W, grad_b, grad_a_prev

and returns, for aˡ = σ(zˡ) and L the mean loss over the n samples (∂L/∂aˡ already carries its 1/n):

    δ          = ∂L/∂zˡ   = σ′(zˡ) ⊙ ∂L/∂aˡ,  σ′(z) = σ(z)(1 − σ(z))     (n, n_out)
    grad_W     = ∂L/∂Wˡ   = (aˡ⁻¹)ᵀ δ                                     (n_in, n_out)
    grad_b     = ∂L/∂bˡ   = Σ over samples of δ                           (n_out,)
    grad_a_prev = ∂L/∂aˡ⁻¹ = δ (Wˡ)ᵀ                                     (n, n_in)

``check_layer_backward`` calls it on a real layer of a small network and compares each array with the
engine's record: shape first, then values; the message points at the first wrong quantity and entry and
names the likely mistake (a transposed W, a missing f′(z), a stray 1/n, a flipped sign, a wrong shape).
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import rng_from
from ..engine.network import Network
from ._time_limit import Frame, run_with_time_limit

# The learner's function gets this long (seconds); the reference takes microseconds.
TIME_LIMIT = 5.0

# A layer whose four arrays all have different shapes (n = 5, n_in = 4, n_out = 3), so a transposed or
# mis-summed result always shows as a wrong shape, never as a lucky match.
EXERCISE_SIZES = (3, 4, 3, 2)
EXERCISE_LAYER = 2  # in the maths' numbering: W², the hidden-to-hidden layer
N_SAMPLES = 5

QUANTITIES = ("delta", "grad_W", "grad_b", "grad_a_prev")
SYMBOL = {"delta": "δ", "grad_W": "∂L/∂W", "grad_b": "∂L/∂b", "grad_a_prev": "∂L/∂a_prev"}
FORMULA = {
    "delta": "δ = σ′(z) ⊙ ∂L/∂a with σ′(z) = σ(z)(1 − σ(z)), entry by entry",
    "grad_W": "∂L/∂W = a_prevᵀ δ, i.e. entry [i, j] = Σ over samples s of a_prev[s, i]·δ[s, j]",
    "grad_b": "∂L/∂b = Σ over samples of δ, i.e. delta.sum(axis=0)",
    "grad_a_prev": "∂L/∂a_prev = δ Wᵀ, i.e. entry [s, i] = Σ_j δ[s, j]·W[i, j]",
}
LIKE = {"delta": "z", "grad_W": "W", "grad_b": "b", "grad_a_prev": "a_prev"}

# The mistakes the checker names (the codes ExerciseResult.mistake takes).
MISTAKES = {
    "timeout": "the function did not return within the time limit (an endless loop?)",
    "exception": "the function raised an exception",
    "return": "the function did not return four arrays",
    "not_array": "a returned value is not an array of numbers",
    "not_finite": "a returned array holds NaN or infinity",
    "shape": "a returned array has the wrong shape",
    "transpose": "a returned array is transposed",
    "sign": "a returned array has the wrong sign",
    "factor_n": "a returned array is off by a factor n (the number of samples)",
    "factor_2": "a returned array is off by a factor 2",
    "factor": "a returned array is off by a constant factor",
    "missing_fprime": "δ lacks the factor f′(z)",
    "fprime_of_z": "σ′ was computed as z(1 − z) instead of a(1 − a)",
    "missing_grad_a": "δ lacks the factor ∂L/∂a",
    "sigma_not_derivative": "δ was multiplied by σ(z) instead of σ′(z)",
    "grad_a_for_delta": "∂L/∂a was used where δ belongs",
    "previous_fprime": "∂L/∂a_prev was multiplied by the previous layer's f′",
    "value": "a returned array has wrong values",
}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def reference_backward(a_prev, W, z, grad_a):
    """The backward pass of one dense sigmoid layer: the exercise's solution.

    a_prev (n, n_in), W (n_in, n_out), z (n, n_out), grad_a = ∂L/∂a (n, n_out).
    Returns delta (n, n_out), grad_W (n_in, n_out), grad_b (n_out,), grad_a_prev (n, n_in).
    """
    a = 1 / (1 + np.exp(-z))  # the layer's output, a = σ(z)
    delta = grad_a * a * (1 - a)  # δ = ∂L/∂z = σ′(z) ⊙ ∂L/∂a, with σ′(z) = a(1 − a)
    grad_W = a_prev.T @ delta  # ∂L/∂W = a_prevᵀ δ: one term per sample, summed
    grad_b = delta.sum(axis=0)  # ∂L/∂b = Σ over samples of δ (∂L/∂a already holds the 1/n)
    grad_a_prev = delta @ W.T  # ∂L/∂a_prev = δ Wᵀ: what the layer below receives
    return delta, grad_W, grad_b, grad_a_prev


def solution_code() -> str:
    """The source of ``reference_backward``, for a "show solution" button."""
    return inspect.getsource(reference_backward)


@dataclass(frozen=True)
class ExerciseCase:
    """One real layer's inputs and the engine's answers for it (arrays read-only)."""

    a_prev: np.ndarray  # (n, n_in) aˡ⁻¹
    W: np.ndarray  # (n_in, n_out)
    z: np.ndarray  # (n, n_out)
    grad_a: np.ndarray  # (n, n_out) ∂L/∂aˡ, including the 1/n of the mean loss
    expected: dict[str, np.ndarray]  # QUANTITIES → the engine's δ, ∂L/∂W, ∂L/∂b, ∂L/∂aˡ⁻¹
    layer: int
    sizes: tuple[int, ...]

    @property
    def n_samples(self) -> int:
        return self.a_prev.shape[0]

    def inputs(self) -> tuple[np.ndarray, ...]:
        """Fresh writable copies of (a_prev, W, z, grad_a), so the learner's code may change them freely."""
        return tuple(np.array(x) for x in (self.a_prev, self.W, self.z, self.grad_a))


def exercise_case(seed: int | np.random.Generator | None = 0) -> ExerciseCase:
    """Layer 2 of a 3-4-3-2 sigmoid network (squared error, 5 samples) and the engine's record of its backward pass."""
    rng = rng_from(seed)
    net = Network(EXERCISE_SIZES, activation="sigmoid", output_activation="sigmoid", loss="mse", seed=rng)
    X = rng.normal(0.0, 1.0, size=(N_SAMPLES, EXERCISE_SIZES[0]))
    y = rng.uniform(0.0, 1.0, size=(N_SAMPLES, EXERCISE_SIZES[-1]))
    rec = net.backprop(X, y)
    i = EXERCISE_LAYER - 1  # Python index of the layer
    expected = {
        "delta": rec.deltas[i],
        "grad_W": rec.grad_weights[i],
        "grad_b": rec.grad_biases[i],
        "grad_a_prev": rec.grad_activations[i - 1],
    }
    return ExerciseCase(
        a_prev=rec.activations[i],
        W=rec.weights[i],
        z=rec.preactivations[i],
        grad_a=rec.grad_activations[i],
        expected=expected,
        layer=EXERCISE_LAYER,
        sizes=EXERCISE_SIZES,
    )


@dataclass(frozen=True)
class ExerciseResult:
    """The verdict on a learner's backward function.

    ok: all four arrays match the engine. message: what to tell the learner. quantity: the first wrong
    one (``delta``, ``grad_W``, ``grad_b``, ``grad_a_prev``; None when the call itself failed or all is
    well). index: the first wrong entry; got/expected: its two values. mistake: a code from MISTAKES.
    """

    ok: bool
    message: str
    quantity: str | None = None
    index: tuple[int, ...] | None = None
    got: float | None = None
    expected: float | None = None
    mistake: str | None = None
    max_abs_error: float | None = None  # when ok: the largest difference from the engine

    def __str__(self) -> str:
        return self.message


def _entry(name: str, index: tuple[int, ...]) -> str:
    return f"{SYMBOL[name]}[{','.join(map(str, index))}]"


def _close(u: np.ndarray, e: np.ndarray) -> np.ndarray:
    scale = max(float(np.abs(e).max()), 1e-300)
    return np.isclose(u, e, rtol=1e-6, atol=1e-9 * scale)


def _same(u: np.ndarray, e: np.ndarray) -> bool:
    return u.shape == e.shape and bool(np.all(_close(u, e)))


def _factor_message(c: float, n: int, name: str) -> tuple[str, str]:
    """(mistake code, explanation) for a result that is c times the right one."""
    if np.isclose(c, 1.0 / n):
        text = (
            f"too small by a factor n = {n} (the number of samples): ∂L/∂a already includes the 1/n of the "
            "mean loss, so do not divide by n again"
        )
        if name in ("grad_W", "grad_b"):
            text += " (the samples' terms are summed: .sum(axis=0) or a_prev.T @ delta, not a mean)"
        return "factor_n", text
    if np.isclose(c, n):
        return "factor_n", (
            f"too large by a factor n = {n} (the number of samples): the loss is a mean over samples, so "
            "its gradients carry 1/n exactly once, and ∂L/∂a already holds it; did you multiply by n?"
        )
    if np.isclose(c, 2.0) or np.isclose(c, 0.5):
        return "factor_2", (
            f"off by a factor 2 ({'twice' if c > 1 else 'half'} as large as it should be): a stray 2 or ½ "
            "(the ½ of ½(a − y)² cancels the 2 of its derivative, and nothing in this layer needs a 2 or a ½)"
        )
    return "factor", f"off by a constant factor {c:.4g}: every entry is scaled the same way"


def _likely_mistakes(name: str, case: ExerciseCase) -> list[tuple[str, np.ndarray, str]]:
    """(code, what the array would be with that mistake, explanation) for the usual slips in ``name``."""
    a_prev, W, z, grad_a = case.a_prev, case.W, case.z, case.grad_a
    a = _sigmoid(z)
    if name == "delta":
        return [
            ("missing_fprime", grad_a, "it equals ∂L/∂a: the factor σ′(z) = σ(z)(1 − σ(z)) is missing"),
            ("fprime_of_z", grad_a * z * (1 - z), "σ′ was computed from z as z(1 − z); it is a(1 − a) with a = σ(z)"),
            ("missing_grad_a", a * (1 - a), "it equals σ′(z) alone: multiply by ∂L/∂a, the gradient from above"),
            ("sigma_not_derivative", grad_a * a, "it is ∂L/∂a · σ(z): use the derivative σ′(z) = σ(z)(1 − σ(z))"),
        ]
    if name == "grad_W":
        return [("grad_a_for_delta", a_prev.T @ grad_a, "it was built from ∂L/∂a; use δ: ∂L/∂W = a_prevᵀ δ")]
    if name == "grad_b":
        return [("grad_a_for_delta", grad_a.sum(axis=0), "it was built from ∂L/∂a; use δ: ∂L/∂b = Σ δ")]
    right = case.expected["grad_a_prev"]
    return [
        ("grad_a_for_delta", grad_a @ W.T, "it was built from ∂L/∂a; use δ: ∂L/∂a_prev = δ Wᵀ"),
        (
            "previous_fprime",
            right * a_prev * (1 - a_prev),  # a_prev = σ(z_prev), so this is σ′(z_prev) ⊙ δ Wᵀ
            "it was multiplied by the previous layer's σ′: that factor belongs to the previous layer's δ, "
            "not to ∂L/∂a_prev = δ Wᵀ",
        ),
    ]


def _diagnose(name: str, u: np.ndarray, case: ExerciseCase) -> tuple[str, str]:
    """(mistake code, explanation) for an array of the right shape and wrong values."""
    e = case.expected[name]
    n = case.n_samples
    if _same(u, -e):
        return "sign", "every entry has the wrong sign: check for a minus sign (the gradient itself has none)"
    for code, candidate, text in _likely_mistakes(name, case):
        if candidate.shape == u.shape and _same(u, candidate):
            return code, text
    denom = float(np.sum(e * e))
    if denom > 0:
        c = float(np.sum(u * e)) / denom  # the least-squares scale of u against e
        if np.isfinite(c) and c != 0 and _same(u, c * e):
            return _factor_message(c, n, name)
    return "value", f"the formula is {FORMULA[name]}"


def _shape_message(name: str, u: np.ndarray, e: np.ndarray, case: ExerciseCase) -> tuple[str, str]:
    sym, like = SYMBOL[name], LIKE[name]
    head = f"{sym} has shape {u.shape} but should be {e.shape}, the shape of {like}"
    if e.ndim == 2 and u.shape == e.shape[::-1]:
        hint = {
            "delta": "δ is laid out like z: one row per sample",
            "grad_W": "∂L/∂W = a_prevᵀ δ (not δᵀ a_prev): (n_in, n) @ (n, n_out)",
            "grad_a_prev": "∂L/∂a_prev = δ Wᵀ: (n, n_out) @ (n_out, n_in)",
        }[name]
        return "transpose", f"{head} — transposed? {hint}"
    if name == "grad_b":
        if u.shape == (1,) + e.shape:
            return "shape", f"{head} — drop keepdims: delta.sum(axis=0) gives one number per neuron"
        if u.shape == (case.n_samples,):
            return "shape", f"{head} — summed over the wrong axis: sum over the samples, axis=0"
        if u.ndim == 0:
            return "shape", f"{head} — summed over everything: sum over the samples only, axis=0"
    return "shape", f"{head} ({FORMULA[name]})"


def _as_array(value, name: str) -> tuple[np.ndarray | None, str | None]:
    if value is None or value is Ellipsis:
        what = "None" if value is None else "still ... (Ellipsis)"
        return None, f"{SYMBOL[name]} is {what}: replace it with your computation ({FORMULA[name]})"
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"{SYMBOL[name]} is a {type(value).__name__}, not an array of numbers"
    return arr, None


def _exception_message(err: BaseException, case: ExerciseCase, frames: tuple[Frame, ...] | None = None) -> str:
    text = f"Your function raised {type(err).__name__}: {err}"
    ours = {Path(__file__).resolve(), (Path(__file__).parent / "_time_limit.py").resolve()}
    numpy_dir = Path(np.__file__).resolve().parent
    if frames is None:
        frames = tuple((f.filename, f.lineno, f.name, f.line or "") for f in traceback.extract_tb(err.__traceback__))
    frames = [f for f in frames if Path(f[0]).resolve() not in ours and numpy_dir not in Path(f[0]).resolve().parents]
    if frames:
        _, lineno, name, line = frames[-1]
        where = f"line {lineno} of {name}"
        text += f" — at {where}: {line.strip()}" if line else f" — at {where}"
    shapes = f"a_prev {case.a_prev.shape}, W {case.W.shape}, z {case.z.shape}, grad_a {case.grad_a.shape}"
    if isinstance(err, ValueError) and ("matmul" in str(err) or "broadcast" in str(err) or "shape" in str(err)):
        text += (
            f". The shapes you receive: {shapes}; @ needs (p, q) @ (q, r). To pass δ back, transpose W: "
            f"delta {case.z.shape} @ W.T {case.W.shape[::-1]} gives {case.a_prev.shape}, the shape of a_prev."
        )
    else:
        text += f". (The shapes you receive: {shapes}.)"
    return text


def _call_quietly(user_fn: Callable, *args):
    with np.errstate(all="ignore"):
        return user_fn(*args)


def check_layer_backward(
    user_fn: Callable, *, seed: int | np.random.Generator | None = 0, time_limit: float = TIME_LIMIT
) -> ExerciseResult:
    """Check a learner's ``backward(a_prev, W, z, grad_a) -> (delta, grad_W, grad_b, grad_a_prev)``.

    The function is called once on layer 2 of a small sigmoid network (``exercise_case(seed)``: n = 5
    samples, n_in = 4, n_out = 3) and each returned array is compared with the engine's record, in the
    order δ, ∂L/∂W, ∂L/∂b, ∂L/∂a_prev: its shape first, then its values (relative tolerance 1e-6).
    Never raises for the learner's mistakes: an exception inside ``user_fn`` becomes the message, and a
    function still running after ``time_limit`` seconds (0 to 60, default 5) is stopped and reported
    (mistake "timeout"), leaving the kernel usable (``explainer.course._time_limit``).
    """
    if not callable(user_fn):
        raise ValueError(f"user_fn must be a function backward(a_prev, W, z, grad_a); got {type(user_fn).__name__}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit <= 60:
        raise ValueError(f"time_limit must be a number of seconds from 0 to 60; got {time_limit!r}")
    case = exercise_case(seed)
    outcome = run_with_time_limit(_call_quietly, (user_fn, *case.inputs()), seconds=float(time_limit))
    if outcome.timed_out:
        return ExerciseResult(
            False,
            f"Your function did not return within {time_limit:g} s: is there a loop that never ends? "
            "(The reference takes well under a millisecond; no loop over samples is needed.)",
            mistake="timeout",
        )
    if outcome.error is not None:  # the learner's bug is the lesson, not a crash
        return ExerciseResult(False, _exception_message(outcome.error, case, outcome.frames), mistake="exception")
    returned = outcome.value
    if not isinstance(returned, (tuple, list)) or len(returned) != 4:
        got = f"{len(returned)} values" if isinstance(returned, (tuple, list)) else f"a {type(returned).__name__}"
        return ExerciseResult(
            False,
            "Your function must return four arrays, delta, grad_W, grad_b, grad_a_prev (in that order); "
            f"it returned {got}.",
            mistake="return",
        )
    arrays: dict[str, np.ndarray] = {}
    for name, value in zip(QUANTITIES, returned):
        arr, problem = _as_array(value, name)
        if problem:
            return ExerciseResult(False, problem, quantity=name, mistake="not_array")
        arrays[name] = arr
    for name in QUANTITIES:
        u, e = arrays[name], case.expected[name]
        if u.shape != e.shape:
            code, text = _shape_message(name, u, e, case)
            return ExerciseResult(False, text + ".", quantity=name, mistake=code)
        if not np.all(np.isfinite(u)):
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(u))[0])
            return ExerciseResult(
                False,
                f"{_entry(name, index)} is {u[index]}: NaN or infinity (an overflow or 0/0 in your formula?).",
                quantity=name,
                index=index,
                mistake="not_finite",
            )
        wrong = ~_close(u, e)
        if wrong.any():
            index = tuple(int(i) for i in np.argwhere(wrong)[0])
            code, text = _diagnose(name, u, case)
            message = f"{_entry(name, index)} is {u[index]:.4g} but should be {e[index]:.4g} — {text}."
            if name == "delta":
                follow = _follows_from(arrays, case)
                if follow:
                    message += f" ({follow} follow correctly from your δ, so fixing δ fixes them too.)"
                else:
                    message += " (∂L/∂W, ∂L/∂b and ∂L/∂a_prev are all built from δ: fix δ first.)"
            return ExerciseResult(
                False, message, quantity=name, index=index, got=float(u[index]), expected=float(e[index]), mistake=code
            )
    error = max(float(np.max(np.abs(arrays[n] - case.expected[n]))) for n in QUANTITIES)
    return ExerciseResult(
        True,
        f"Correct: δ, ∂L/∂W, ∂L/∂b and ∂L/∂a_prev all match the engine (largest difference {error:.1e}).",
        max_abs_error=error,
    )


def _follows_from(arrays: dict[str, np.ndarray], case: ExerciseCase) -> str:
    """Which of the later three are right *given the learner's δ* (so only δ needs fixing)."""
    d = arrays["delta"]
    own = {"grad_W": case.a_prev.T @ d, "grad_b": d.sum(axis=0), "grad_a_prev": d @ case.W.T}
    ok = [SYMBOL[n] for n in own if arrays[n].shape == own[n].shape and _same(arrays[n], own[n])]
    if len(ok) == 3:
        return "∂L/∂W, ∂L/∂b and ∂L/∂a_prev"
    return ""
