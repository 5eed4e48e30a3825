"""Gradient descent that keeps its history: SGD, SGD with momentum and Adam, full batch or mini-batches.

Every optimiser updates the flat parameter vector θ in place and leaves frozen entries alone::

    sgd       θ ← θ − η g
    momentum  v ← β v + g;            θ ← θ − η v
    adam      m ← β₁ m + (1 − β₁) g;  s ← β₂ s + (1 − β₂) g²
              θ ← θ − η m̂ / (√ŝ + ε),  m̂ = m / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ)

Regularisation (as TensorFlow Playground's) adds a penalty on the weights to the loss, and its gradient to
every step's gradient; biases (and batch norm's γ, β) are not penalised::

    none  Ω = 0
    l1    Ω = λ Σ |w|          ∂Ω/∂w = λ sign(w)   (0 at w = 0)
    l2    Ω = λ · ½ Σ w²       ∂Ω/∂w = λ w

    L_total = L_data + Ω       θ ← θ − η (∂L_data/∂θ + ∂Ω/∂θ)

A History's ``train_loss`` (and ``test_loss``) is the data loss alone; ``penalty_of(history, penalty)`` gives
Ω at each of its entries (Ω depends on θ only, and the History keeps θ), so the two are never mixed up.
Its ``gradients`` are the ones the update used, penalty included.

A run stops where it diverges, by the engine's one rule (``diverged_at``, in history.py: a loss or a
gradient not finite, or the loss above DIVERGENCE_FACTOR = 10⁴ × its start). One call trains at most
MAX_STEPS (10⁶) steps, and its History stays bounded in memory however long the run (thinned evenly).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._validate import fraction, one_of, positive_float, positive_int, rng_from, short_repr
from .history import (
    DIVERGENCE_FACTOR,
    DIVERGENCE_FLOOR,
    MAX_HISTORY_ENTRIES,
    History,
    diverged_at,
    divergence_limit,
    divergence_message,
    history_capacity,
)
from .network import Network

MAX_STEPS = 1_000_000  # steps in one call of train (or TrainingSession.step)


class Optimizer:
    """Base class: ``step(theta, grad, trainable)`` updates θ in place."""

    name = "optimizer"

    def __init__(self, lr: float):
        self.lr = positive_float(lr, "lr")

    def step(self, theta: np.ndarray, grad: np.ndarray, trainable: np.ndarray) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget accumulated state (velocity, moments)."""

    @property
    def options(self) -> dict:
        return {}

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}(lr={self.lr!r}{extra})"


class SGD(Optimizer):
    """Plain gradient descent, θ ← θ − η g."""

    name = "sgd"

    def step(self, theta, grad, trainable):
        theta -= self.lr * grad * trainable


class Momentum(Optimizer):
    """SGD with (heavy-ball) momentum: v ← β v + g, θ ← θ − η v."""

    name = "momentum"

    def __init__(self, lr: float, beta: float = 0.9):
        super().__init__(lr)
        self.beta = fraction(beta, "beta")
        self._v = None

    def reset(self):
        self._v = None

    @property
    def options(self):
        return {"beta": self.beta}

    def step(self, theta, grad, trainable):
        if self._v is None or self._v.shape != theta.shape:
            self._v = np.zeros_like(theta)
        self._v *= self.beta
        self._v += grad * trainable
        theta -= self.lr * self._v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction."""

    name = "adam"

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2 = fraction(beta1, "beta1"), fraction(beta2, "beta2")
        self.eps = positive_float(eps, "eps")
        self.reset()

    def reset(self):
        self._m = self._s = None
        self._t = 0

    @property
    def options(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def step(self, theta, grad, trainable):
        if self._m is None or self._m.shape != theta.shape:
            self._m, self._s, self._t = np.zeros_like(theta), np.zeros_like(theta), 0
        self._t += 1
        g = grad * trainable
        self._m = self.beta1 * self._m + (1 - self.beta1) * g
        self._s = self.beta2 * self._s + (1 - self.beta2) * g * g
        m_hat = self._m / (1 - self.beta1**self._t)
        s_hat = self._s / (1 - self.beta2**self._t)
        theta -= self.lr * m_hat / (np.sqrt(s_hat) + self.eps) * trainable


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, lr: float = 0.1, **options) -> Optimizer:
    """An optimiser by name (sgd, momentum, adam) with its options (beta; beta1, beta2, eps)."""
    cls = OPTIMIZERS[one_of(name, OPTIMIZERS, "optimizer")]
    allowed = {"sgd": (), "momentum": ("beta",), "adam": ("beta1", "beta2", "eps")}[name]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) or "no options"
        raise ValueError(f"optimizer {name!r} does not take {', '.join(unknown)} (it takes {takes})")
    return cls(lr, **options)


REGULARIZATIONS = ("none", "l1", "l2")
MAX_REG_RATE = 100.0  # λ: beyond it the penalty alone throws every weight across zero in one step of η ≥ 0.01


def weight_mask(net: Network) -> np.ndarray:
    """(P,) 1.0 on the entries of θ that are weights W, 0.0 on biases (and batch norm's γ, β)."""
    mask = np.zeros(net.n_parameters)
    offset = 0
    for n_in, n_out in zip(net.sizes[:-1], net.sizes[1:]):
        mask[offset : offset + n_in * n_out] = 1.0
        offset += (n_in + 1) * n_out
    return mask


class Penalty:
    """A penalty Ω(θ) on the weights: ``l1`` λ Σ|w|, ``l2`` λ·½ Σ w², ``none`` 0 (biases never penalised).

    kind: one of REGULARIZATIONS; rate: λ, from 0 to MAX_REG_RATE (100); mask: (P,) 1.0 on the weights
    (``weight_mask(net)``).
    """

    def __init__(self, kind: str, rate: float, mask: np.ndarray):
        self.kind = check_regularization(kind)
        self.rate = check_reg_rate(rate)
        self.mask = np.asarray(mask, dtype=np.float64)

    @classmethod
    def of(cls, net: Network, kind: str = "none", rate: float = 0.0) -> Penalty:
        return cls(kind, rate, weight_mask(net))

    @property
    def active(self) -> bool:
        return self.kind != "none" and self.rate > 0

    def value(self, theta: np.ndarray) -> float:
        """Ω(θ) (a float; 0 for none)."""
        if not self.active:
            return 0.0
        if self.kind == "l1":
            return self.rate * float(np.abs(theta) @ self.mask)
        return 0.5 * self.rate * float((theta * theta) @ self.mask)

    def values(self, parameters: np.ndarray) -> np.ndarray:
        """Ω at each row of ``parameters`` (T, P): (T,)."""
        if not self.active:
            return np.zeros(parameters.shape[0])
        with np.errstate(all="ignore"):
            if self.kind == "l1":
                return self.rate * (np.abs(parameters) @ self.mask)
            return 0.5 * self.rate * ((parameters * parameters) @ self.mask)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """∂Ω/∂θ: (P,), λ sign(w) or λ w on the weights, 0 elsewhere."""
        if not self.active:
            return np.zeros_like(theta)
        return self.rate * (np.sign(theta) if self.kind == "l1" else theta) * self.mask

    def add_gradient(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """grad += ∂Ω/∂θ, in place (the training hot path)."""
        if self.kind == "l1":
            grad += self.rate * np.sign(theta) * self.mask
        else:
            grad += self.rate * theta * self.mask

    def __repr__(self) -> str:
        return f"Penalty({self.kind!r}, rate={self.rate!r})"


def check_regularization(kind, argument: str = "regularization") -> str:
    """ "none", "l1" or "l2" (None reads as "none"; upper case as lower); ValueError naming ``argument``."""
    if kind is None:
        return "none"
    if isinstance(kind, str) and kind.strip().lower() in REGULARIZATIONS:
        return kind.strip().lower()
    raise ValueError(f"{argument} must be one of {', '.join(REGULARIZATIONS)}; got {short_repr(kind)}")


def check_reg_rate(rate, argument: str = "reg_rate") -> float:
    """λ, a finite number from 0 to MAX_REG_RATE; ValueError naming ``argument``."""
    value = positive_float(rate, argument, allow_zero=True)
    if value > MAX_REG_RATE:
        raise ValueError(f"{argument} must be a number from 0 to {MAX_REG_RATE:g}; got {short_repr(rate)}")
    return value


def penalty_of(history: History, penalty: Penalty) -> np.ndarray:
    """Ω at each entry of ``history`` (T,), from its parameters: the penalty part of the loss it trained on."""
    return penalty.values(history.parameters)


class BatchOrder:
    """Which samples the next mini-batch takes: a permutation per epoch from ``rng``, walked ``batch_size`` at a
    time (the last batch of an epoch holds the remainder), kept across calls so that training in chunks
    draws the same batches as one call. ``epochs``: passes over the data so far (a fraction mid-epoch).
    """

    def __init__(self, rng: np.random.Generator, n: int):
        self.rng, self.n = rng, int(n)
        self.order = np.arange(self.n)
        self.cursor = self.n  # forces a fresh permutation at the first mini-batch
        self.epochs = 0.0

    def peek(self, batch_size: int) -> np.ndarray:
        """The indices of the next batch (drawing the next epoch's permutation when one ends)."""
        if self.cursor >= self.n:
            self.order, self.cursor = self.rng.permutation(self.n), 0
        return self.order[self.cursor : self.cursor + batch_size]

    def advance(self, batch_size: int) -> None:
        """The batch ``peek`` gave was used for an update."""
        taken = min(batch_size, self.n - self.cursor)
        self.cursor += batch_size
        self.epochs += taken / self.n

    def restart(self, n: int | None = None, epochs: float = 0.0) -> None:
        """A fresh permutation at the next batch (new data, or after undo)."""
        if n is not None:
            self.n = int(n)
        self.order = np.arange(self.n)
        self.cursor = self.n
        self.epochs = float(epochs)


Callback = Callable[[int, float], "bool | None"]


def train(
    net: Network,
    X,
    y,
    *,
    optimizer: str | Optimizer = "sgd",
    lr: float | None = None,
    steps: int = 100,
    batch_size: int | None = None,
    X_test=None,
    y_test=None,
    seed: int | np.random.Generator | None = 0,
    callback: Callback | None = None,
    regularization: str = "none",
    reg_rate: float = 0.0,
    **optimizer_options,
) -> History:
    """Train ``net`` in place for ``steps`` updates and return the History.

    X: (n_samples, n_features); y as for ``Network.backprop``.
    optimizer: ``sgd``, ``momentum``, ``adam`` or an Optimizer instance (whose state carries over
        between calls, so training can continue where it stopped; a given ``lr`` replaces its lr).
    lr: learning rate η > 0 (default 0.1 for a named optimiser).
    steps: updates, 0 to MAX_STEPS (1,000,000). The History keeps every step up to
        ``history_capacity`` entries (10,001 for a small network), then thins evenly (every 2nd, 4th, ...
        step), always keeping the start and the last entry; its ``steps`` say which steps it holds.
    batch_size: None for full batch, else mini-batches drawn without replacement per epoch from ``seed``:
        each epoch covers every sample once, in ⌈n / batch_size⌉ steps, its last batch the remainder
        (smaller when batch_size does not divide n).
    callback: called as ``callback(step, loss)`` after each update, with the loss at which that
        update's gradient was taken; returning False stops training (``stopped_early``).
    regularization: "none", "l1" (λ Σ|w|) or "l2" (λ·½ Σ w²) on the weights, not the biases; reg_rate: λ, 0 to
        100. The penalty's gradient is added to every step's; the History's losses are the data loss alone
        (``penalty_of(history, Penalty.of(net, regularization, reg_rate))`` gives the penalty at each entry).
    A diverging run (by the rule of ``diverged_at``: a loss or gradient not finite, or the loss above
    10⁴ × its start) stops there, and is flagged in the history, with no warnings.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an explainer.Network; got {type(net).__name__}")
    Xa = net.check_X(X)
    Y = net.check_y(y, Xa.shape[0])
    if isinstance(optimizer, Optimizer):
        opt = optimizer
        if lr is not None:
            opt.lr = positive_float(lr, "lr")
        if optimizer_options:
            raise ValueError("optimizer options must be set on the Optimizer instance, not passed to train()")
    else:
        opt = make_optimizer(optimizer, positive_float(0.1 if lr is None else lr, "lr"), **optimizer_options)
    steps = positive_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
    if batch_size is not None:
        batch_size = min(positive_int(batch_size, "batch_size"), Xa.shape[0])
    Xt, Yt = check_test_data(net, X_test, y_test)
    net.check_batches(Xa.shape[0], batch_size)  # batch norm: every batch of at least 2 samples, before any step
    if Xt is not None:
        net.check_batches(Xt.shape[0])
    if callback is not None and not callable(callback):
        raise ValueError("callback must be callable as callback(step, loss)")
    penalty = Penalty.of(net, regularization, reg_rate)
    rng = rng_from(seed)
    return run_steps(
        net, Xa, Y, opt, steps, batch_size=batch_size, X_test=Xt, Y_test=Yt, rng=rng, callback=callback,
        penalty=penalty if penalty.active else None,
    )  # fmt: skip


def check_test_data(net: Network, X_test, y_test) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(X_test, Y_test) checked against the network, or (None, None); each error names X_test or y_test."""
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test must be given together")
    if X_test is None or np.size(X_test) == 0:
        return None, None
    Xt = net.check_X(X_test, "X_test")
    return Xt, net.check_y(y_test, Xt.shape[0], "y_test")


def run_steps(
    net: Network,
    X: np.ndarray,
    Y: np.ndarray,
    opt: Optimizer,
    steps: int,
    *,
    batch_size: int | None = None,
    X_test: np.ndarray | None = None,
    Y_test: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    start_loss: float | None = None,
    penalty: Penalty | None = None,
    batches: BatchOrder | None = None,
) -> History:
    """The training loop of ``train``, for arguments already checked (``TrainingSession`` calls it too).

    start_loss: the L₀ of the divergence rule (default: this run's first loss); a session passes the loss
    where it started, so that a run trained a few steps at a time is judged as one run.
    penalty: added to each step's gradient (None: no regularisation). batches: the mini-batch order to
    continue (a session's, so that chunks draw the batches one call would); None starts one from ``rng``.
    The last entry's gradient is taken on the batch the next update would use, which is not consumed.
    """
    P, L, n = net.n_parameters, net.n_layers, X.shape[0]
    theta = net.theta
    trainable = net.trainable_mask.astype(np.float64)
    keep = _Entries(history_capacity(P, L), steps + 1, P, X_test is not None)
    if batches is None:
        batches = BatchOrder(rng if rng is not None else np.random.default_rng(0), n)
    limit = None if start_loss is None else divergence_limit(start_loss)
    at, stopped, t = None, False, 0
    if penalty is not None and not penalty.active:
        penalty = None

    full_batch = batch_size is None or batch_size >= n
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            if full_batch:
                loss, grad = net.gradient(X, Y)
            else:
                idx = batches.peek(batch_size)  # the last batch of an epoch holds the remainder
                _, grad = net.gradient(X[idx], Y[idx])
                loss = net.mean_loss(X, Y)
            if penalty is not None:
                penalty.add_gradient(theta, grad)
            if limit is None:
                limit = divergence_limit(loss) if math.isfinite(loss) else -math.inf
            # One scalar check: NaN and inf survive a sum (inf − inf is NaN); non-finite parameters
            # show up as a non-finite loss at the next step.
            bad = not math.isfinite(loss + grad.sum()) or not loss <= limit
            last = bad or stopped or t == steps
            if last or t % keep.stride == 0:
                keep.add(t, loss, net.mean_loss(X_test, Y_test) if X_test is not None else None, theta, grad, last)
            if last:
                if bad:
                    at = len(keep) - 1
                break
            if full_batch:
                batches.epochs += 1.0
            else:
                batches.advance(batch_size)
            opt.step(theta, grad, trainable)
            if callback is not None and callback(t + 1, loss) is False:
                stopped = True
    return keep.history(net, opt, batch_size, at, stopped)


class _Entries:
    """The entries a run keeps: every step while they fit, then every 2nd, 4th, ... step, and always the last.

    Each time the buffer fills, every other entry goes and the stride doubles, so the kept steps stay
    evenly spaced (multiples of the stride) and a step costs O(1) however long the run.
    """

    def __init__(self, capacity: int, expected: int, P: int, has_test: bool):
        rows = min(capacity, expected)
        self.capacity, self.stride, self.n = capacity, 1, 0
        self.steps = np.empty(rows, dtype=np.int64)
        self.train_loss = np.empty(rows)
        self.test_loss = np.empty(rows) if has_test else None
        self.parameters = np.empty((rows, P))
        self.gradients = np.empty((rows, P))

    def __len__(self) -> int:
        return self.n

    def add(self, t: int, loss: float, test: float | None, theta: np.ndarray, grad: np.ndarray, last: bool) -> None:
        if self.n >= self.capacity - (0 if last else 1):  # keep one row for the last entry
            self._halve()
            if not last and t % self.stride:
                return
        i = self.n
        self.steps[i], self.train_loss[i] = t, loss
        if self.test_loss is not None:
            self.test_loss[i] = test
        self.parameters[i] = theta
        self.gradients[i] = grad
        self.n += 1

    def _halve(self) -> None:
        self.stride *= 2
        kept = np.flatnonzero(self.steps[: self.n] % self.stride == 0)
        for name in ("steps", "train_loss", "test_loss", "parameters", "gradients"):
            arr = getattr(self, name)
            if arr is not None:
                arr[: kept.shape[0]] = arr[kept]
        self.n = int(kept.shape[0])

    def history(self, net: Network, opt: Optimizer, batch_size, at, stopped) -> History:
        T = self.n
        grads = self.gradients[:T]
        # (L, P) selector of each layer's weight entries: the per-layer norms in one matrix product.
        weight_rows = np.zeros((net.n_layers, net.n_parameters))
        offset = 0
        for layer, (n_in, n_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:])):
            weight_rows[layer, offset : offset + n_in * n_out] = 1.0
            offset += (n_in + 1) * n_out
        with np.errstate(all="ignore"):  # a diverged run's gradients may overflow when squared
            norms = np.sqrt((grads * grads) @ weight_rows.T)
        return History(
            steps=self.steps[:T].copy(),
            train_loss=self.train_loss[:T].copy(),
            test_loss=None if self.test_loss is None else self.test_loss[:T].copy(),
            parameters=self.parameters[:T].copy() if T < self.parameters.shape[0] else self.parameters,
            gradients=grads.copy() if T < self.gradients.shape[0] else self.gradients,
            grad_norms=norms,
            parameter_names=net.parameter_names,
            optimizer=opt.name,
            lr=opt.lr,
            batch_size=batch_size,
            diverged=at is not None,
            diverged_at=at,
            stopped_early=stopped,
        )


__all__ = [
    "BatchOrder",
    "DIVERGENCE_FACTOR",
    "DIVERGENCE_FLOOR",
    "MAX_HISTORY_ENTRIES",
    "MAX_REG_RATE",
    "MAX_STEPS",
    "OPTIMIZERS",
    "Penalty",
    "REGULARIZATIONS",
    "SGD",
    "Adam",
    "History",
    "Momentum",
    "Optimizer",
    "diverged_at",
    "divergence_message",
    "check_reg_rate",
    "check_regularization",
    "make_optimizer",
    "penalty_of",
    "run_steps",
    "train",
    "weight_mask",
]
