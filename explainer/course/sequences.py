"""Short sequences for a recurrent network, and one lesson's pass through time: the RNNExplorer's and notebook 09's.

Two tasks, one sequence each (N = 1), x_t and y_t single numbers, seeded:

    "sine"      x_t = A·sin(ω·t + φ), t = 1..T; the target of y_t is the next value x_{t+1}. The loss counts
                every step: L = ½ Σ_t (y_t − x_{t+1})².
    "remember"  x_1 = ±A (the cue), then x_t = 0; the target of the last output y_T is the cue. The loss
                counts the last step only: L = ½ (y_T − x_1)². To lower it, the gradient must reach h_1
                through every step in between.

The network (``explainer.rnn``) has n_h = 3 hidden units and W_hh = s·Q with Q a seeded orthogonal matrix, so s
is exactly how much W_hh stretches every direction: a step back multiplies ∂L/∂h by W_hhᵀ (norm s) and by
tanh′ ≤ 1, so from a single loss at the end

    ‖∂L/∂h_t‖ ≤ s · ‖∂L/∂h_{t+1}‖,

which shrinks like s^(T−t) for s < 1 (vanishing) and can grow like it for s > 1 while the hidden state stays
small and tanh′ ≈ 1 (exploding). A saturated tanh (|h| near 1, tanh′ near 0) stops the growth: that is why
the exploding preset gives a tiny cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from .._validate import one_of, positive_float, positive_int
from ..engine.rnn import RNNRecord, rnn_backprop

TASKS = {
    "sine": "predict the next value of a sine",
    "remember": "remember the first input until the last step",
}
OMEGA = 0.6  # radians per step: about 10 steps a period, so 12 steps show most of one
N_HIDDEN = 3
MAX_STEPS = 200  # T; the explorer draws up to 12
MAX_SCALE = 10.0  # s: beyond, every tanh saturates at the first step and nothing new is seen
MAX_AMPLITUDE = 100.0
MIN_AMPLITUDE = 1e-8


@dataclass(frozen=True)
class Sequence:
    """One sequence of a task: inputs, targets, and which steps the loss counts."""

    task: str
    xs: np.ndarray  # x_1..x_T, (T, 1, 1)
    targets: np.ndarray  # the target of y_t, (T, 1, 1); 0 where the loss does not count
    counted: np.ndarray  # bool (T,): the steps whose output the loss compares with its target

    @property
    def n_steps(self) -> int:
        return self.xs.shape[0]


@dataclass(frozen=True)
class RNNWeights:
    """The network's weights; W_hh = scale · Q with Q orthogonal."""

    W_xh: np.ndarray  # (1, n_h)
    W_hh: np.ndarray  # (n_h, n_h)
    b_h: np.ndarray  # (n_h,)
    W_hy: np.ndarray  # (n_h, 1)
    b_y: np.ndarray  # (1,)
    scale: float  # s, ‖W_hh v‖ = s‖v‖ for every v


@dataclass(frozen=True)
class RNNPass:
    """A sequence through the network, its loss, and backpropagation through time from that loss."""

    sequence: Sequence
    weights: RNNWeights
    record: RNNRecord  # the engine's record: every h_t, y_t, both roads to ∂L/∂h_t, the clipping
    loss_value: float  # L

    @property
    def grad_outputs(self) -> np.ndarray:
        """g_t = ∂L/∂y_t = (y_t − target_t) where the loss counts, else 0, (T, 1, 1)."""
        return self.record.grad_outputs


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def make_sequence(task: str = "sine", n_steps: int = 10, *, amplitude: float = 1.0, seed: int = 0) -> Sequence:
    """A sequence of ``task`` ("sine" or "remember"), T = ``n_steps`` (1 to 200), inputs of size ``amplitude``.

    sine: x_t = A·sin(ω t + φ) with ω = 0.6 and the phase φ drawn from ``seed``; targets x_{t+1}.
    remember: x_1 = ±A (the sign drawn from ``seed``), x_t = 0 after; the last step's target is x_1.
    amplitude: A, from 10⁻⁸ to 100.
    """
    one_of(task, TASKS, "task")
    T = positive_int(n_steps, "n_steps", maximum=MAX_STEPS)
    A = _amplitude(amplitude)
    rng = _rng(seed)
    counted = np.zeros(T, dtype=bool)
    if task == "sine":
        phase = rng.uniform(0.0, 2 * np.pi)
        t = np.arange(1, T + 2)
        wave = A * np.sin(OMEGA * t + phase)  # x_1..x_{T+1}
        xs, targets = wave[:T], wave[1:]
        counted[:] = True
    else:
        cue = A * (1.0 if rng.random() < 0.5 else -1.0)
        xs = np.zeros(T)
        xs[0] = cue
        targets = np.zeros(T)
        targets[-1] = cue
        counted[-1] = True
    return Sequence(
        task=task,
        xs=_readonly(xs.reshape(T, 1, 1)),
        targets=_readonly(targets.reshape(T, 1, 1)),
        counted=_readonly(counted),
    )


def rnn_weights(scale: float = 1.0, *, n_hidden: int = N_HIDDEN, seed: int = 0) -> RNNWeights:
    """Seeded weights of a 1-input, ``n_hidden``-unit, 1-output tanh RNN, with W_hh = scale · Q (Q orthogonal).

    W_xh and W_hy are drawn from N(0, 1) (W_hy divided by √n_h), the biases are 0. scale: s, > 0 and ≤ 10;
    n_hidden: 1 to 16.
    """
    s = _scale(scale)
    n_h = positive_int(n_hidden, "n_hidden", maximum=16)
    rng = _rng(seed)
    Q, R = np.linalg.qr(rng.normal(size=(n_h, n_h)))
    Q = Q * np.sign(np.diag(R))  # a unique Q for the seed (QR's signs fixed)
    W_xh = rng.normal(size=(1, n_h))
    W_hy = rng.normal(size=(n_h, 1)) / np.sqrt(n_h)
    return RNNWeights(
        W_xh=_readonly(W_xh),
        W_hh=_readonly(s * Q),
        b_h=_readonly(np.zeros(n_h)),
        W_hy=_readonly(W_hy),
        b_y=_readonly(np.zeros(1)),
        scale=s,
    )


def rnn_pass(
    task: str = "sine",
    n_steps: int = 10,
    *,
    scale: float = 1.0,
    amplitude: float = 1.0,
    clip: float | None = None,
    seed: int = 0,
) -> RNNPass:
    """A sequence of ``task`` through the seeded network, L = ½ Σ_counted (y_t − target_t)², and BPTT from it.

    g_t = ∂L/∂y_t = y_t − target_t on the counted steps, 0 elsewhere; ``explainer.rnn.rnn_backprop`` walks back
    from t = T with ``clip`` (None, or the largest norm ∂L/∂h_t may keep at each step, > 0). The sequence and
    the weights share ``seed``; other parameters as in ``make_sequence`` and ``rnn_weights``.
    """
    seq = make_sequence(task, n_steps, amplitude=amplitude, seed=seed)
    w = rnn_weights(scale, seed=seed)
    if clip is not None:
        clip = positive_float(clip, "clip")
    h0 = np.zeros((1, w.W_hh.shape[0]))
    args = (seq.xs, h0, w.W_xh, w.W_hh, w.b_h, w.W_hy, w.b_y)
    forward = rnn_backprop(*args, np.zeros_like(seq.xs))
    error = np.where(seq.counted[:, None, None], forward.outputs - seq.targets, 0.0)  # (T, 1, 1)
    record = rnn_backprop(*args, error, clip=clip)
    return RNNPass(sequence=seq, weights=w, record=record, loss_value=0.5 * float(np.sum(error * error)))


@dataclass(frozen=True)
class RNNPreset:
    """A known state of the RNN lesson: what the explorer's preset menu and notebook 09 start from."""

    name: str
    title: str
    description: str
    task: str
    n_steps: int
    scale: float
    amplitude: float
    clip: float | None


RNN_PRESETS: dict[str, RNNPreset] = {
    p.name: p
    for p in (
        RNNPreset(
            "sine",
            "Predict a sine",
            "A loss at every step: ∂L/∂hₜ gets a share from its own output and one from the step after.",
            "sine",
            10,
            1.0,
            1.0,
            None,
        ),
        RNNPreset(
            "vanishing",
            "Vanishing (s = 0.5)",
            "One loss at the last step, W_hh = 0.5·Q: each step back at least halves ‖∂L/∂hₜ‖.",
            "remember",
            12,
            0.5,
            1.0,
            None,
        ),
        RNNPreset(
            "exploding",
            "Exploding (s = 2)",
            "W_hh = 2·Q and a tiny cue, so the hidden state stays small and tanh′ ≈ 1: each step back nearly "
            "doubles ‖∂L/∂hₜ‖.",
            "remember",
            12,
            2.0,
            1e-3,
            None,
        ),
        RNNPreset(
            "clipped",
            "Exploding, clipped at 1",
            "The exploding network with clipping: wherever ‖∂L/∂hₜ‖ > 1 it is scaled down to 1 before it flows on.",
            "remember",
            12,
            2.0,
            1e-3,
            1.0,
        ),
    )
}


def get_rnn_preset(name: str) -> RNNPreset:
    """The preset called ``name``; ValueError listing the names in RNN_PRESETS otherwise."""
    return RNN_PRESETS[one_of(name, RNN_PRESETS, "name")]


def _rng(seed) -> np.random.Generator:
    """A Generator from a seed 0 to 2³² − 1 (a seed, never fresh entropy: a re-run shows the same numbers)."""
    return np.random.default_rng(positive_int(seed, "seed", minimum=0, maximum=2**32 - 1))


def _scale(value) -> float:
    s = positive_float(value, "scale")
    if s > MAX_SCALE:
        raise ValueError(f"scale must be a finite number > 0 and ≤ {MAX_SCALE:g}; got {value!r}")
    return s


def _amplitude(value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not MIN_AMPLITUDE <= value <= MAX_AMPLITUDE:
        raise ValueError(f"amplitude must be a number from 10⁻⁸ to {MAX_AMPLITUDE:g}; got {value!r}")
    return float(value)


def check_clip(value) -> float | None:
    """None, or a finite number > 0 (the largest norm ∂L/∂h_t may keep)."""
    return None if value is None else positive_float(value, "clip")


__all__ = [
    "N_HIDDEN",
    "RNN_PRESETS",
    "TASKS",
    "RNNPass",
    "RNNPreset",
    "RNNWeights",
    "Sequence",
    "check_clip",
    "get_rnn_preset",
    "make_sequence",
    "rnn_pass",
    "rnn_weights",
]
