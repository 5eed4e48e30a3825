"""Gradient descent that keeps its history: SGD, SGD with momentum and Adam, full batch or mini-batches.

Every optimiser updates the flat parameter vector θ in place and leaves frozen entries alone::

    sgd       θ ← θ − η g
    momentum  v ← β v + g;            θ ← θ − η v
    adam      m ← β₁ m + (1 − β₁) g;  s ← β₂ s + (1 − β₂) g²
              θ ← θ − η m̂ / (√ŝ + ε),  m̂ = m / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validate import fraction, one_of, positive_float, positive_int, rng_from
from .network import Network, _nan_to_none


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
    try:
        return cls(lr, **options)
    except TypeError as err:
        raise ValueError(f"optimizer {name!r} does not take these options: {err}") from None


@dataclass
class History:
    """What ``train`` saw at every step. Entry t is the state after t updates (entry 0: the start).

    parameters (T, P): θ at each entry, columns named by ``parameter_names``.
    gradients (T, P): the gradient used for the update from that entry (mini-batch gradient when
        training on mini-batches; the last entry's gradient is computed but not applied).
    train_loss (T,): the loss over the whole training set at θ_t. test_loss (T,) or None.
    grad_norms (T, L): ‖∂L/∂Wˡ‖ (Frobenius) per layer, from ``gradients``.
    diverged: the loss or a gradient became NaN or infinite; training stopped at ``diverged_at``
        and the last entry holds the non-finite values.
    """

    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray | None
    parameters: np.ndarray
    gradients: np.ndarray
    grad_norms: np.ndarray
    parameter_names: list[str]
    optimizer: str
    lr: float
    batch_size: int | None = None
    diverged: bool = False
    diverged_at: int | None = None
    stopped_early: bool = False
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def n_layers(self) -> int:
        return self.grad_norms.shape[1]

    @property
    def final_loss(self) -> float:
        return float(self.train_loss[-1])

    def then(self, later: History) -> History:
        """This history followed by ``later`` (which started where this one ended)."""
        if later.parameter_names != self.parameter_names:
            raise ValueError("later must be a history of the same network (parameter names differ)")
        offset = self.steps[-1]

        def cat(a, b):
            return None if a is None or b is None else np.concatenate([a, b[1:]])

        return History(
            steps=np.concatenate([self.steps, later.steps[1:] + offset]),
            train_loss=cat(self.train_loss, later.train_loss),
            test_loss=cat(self.test_loss, later.test_loss),
            parameters=cat(self.parameters, later.parameters),
            gradients=np.concatenate([self.gradients[:-1], later.gradients]),
            grad_norms=np.concatenate([self.grad_norms[:-1], later.grad_norms]),
            parameter_names=self.parameter_names,
            optimizer=later.optimizer,
            lr=later.lr,
            batch_size=later.batch_size,
            diverged=self.diverged or later.diverged,
            diverged_at=self.diverged_at
            if self.diverged
            else (None if later.diverged_at is None else later.diverged_at + offset),
            stopped_early=later.stopped_early,
        )

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict:
        def arr(a):
            return None if a is None else np.where(np.isfinite(a), a, np.nan).tolist()

        return _nan_to_none(
            {
                "format": "backprop-explainer history",
                "version": 1,
                "steps": self.steps.tolist(),
                "train_loss": arr(self.train_loss),
                "test_loss": arr(self.test_loss),
                "parameters": arr(self.parameters),
                "gradients": arr(self.gradients),
                "grad_norms": arr(self.grad_norms),
                "parameter_names": list(self.parameter_names),
                "optimizer": self.optimizer,
                "lr": self.lr,
                "batch_size": self.batch_size,
                "diverged": self.diverged,
                "diverged_at": self.diverged_at,
                "stopped_early": self.stopped_early,
            }
        )

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text (non-finite numbers as null); written to ``path`` when given."""
        text = json.dumps(self.to_dict())
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> History:
        """Read ``to_json`` output (text or a file path)."""
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            try:
                text = Path(text_or_path).read_text()
            except OSError as err:
                raise ValueError(f"text_or_path is neither history JSON nor a readable file: {err}") from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"text_or_path is not valid JSON: {err}") from None
        if not isinstance(d, dict) or d.get("format") != "backprop-explainer history":
            raise ValueError("text_or_path must hold JSON written by History.to_json()")

        def arr(key):
            v = d.get(key)
            return None if v is None else np.array(v, dtype=float)

        return cls(
            steps=np.array(d["steps"], dtype=int),
            train_loss=arr("train_loss"),
            test_loss=arr("test_loss"),
            parameters=arr("parameters"),
            gradients=arr("gradients"),
            grad_norms=arr("grad_norms"),
            parameter_names=list(d["parameter_names"]),
            optimizer=d["optimizer"],
            lr=d["lr"],
            batch_size=d.get("batch_size"),
            diverged=d["diverged"],
            diverged_at=d["diverged_at"],
            stopped_early=d.get("stopped_early", False),
        )

    def to_csv(self, path: str | Path | None = None) -> str:
        """One row per step: step, train_loss, test_loss, grad_norm_W1.., then every parameter."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        norms = [f"grad_norm_W{layer}" for layer in range(1, self.n_layers + 1)]
        writer.writerow(["step", "train_loss", "test_loss", *norms, *self.parameter_names])
        for t in range(len(self)):
            test = "" if self.test_loss is None else repr(float(self.test_loss[t]))
            writer.writerow(
                [int(self.steps[t]), repr(float(self.train_loss[t])), test]
                + [repr(float(v)) for v in self.grad_norms[t]]
                + [repr(float(v)) for v in self.parameters[t]]
            )
        text = out.getvalue()
        if path is not None:
            Path(path).write_text(text)
        return text


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
    **optimizer_options,
) -> History:
    """Train ``net`` in place for ``steps`` updates and return the History.

    X: (n_samples, n_features); y as for ``Network.backprop``.
    optimizer: ``sgd``, ``momentum``, ``adam`` or an Optimizer instance (whose state carries over
        between calls, so training can continue where it stopped; a given ``lr`` replaces its lr).
    lr: learning rate η > 0 (default 0.1 for a named optimiser).
    batch_size: None for full batch, else mini-batches drawn without replacement per epoch from ``seed``.
    callback: called as ``callback(step, loss)`` after each update, with the loss at which that
        update's gradient was taken; returning False stops training (``stopped_early``).
    A diverging run (loss or gradient NaN/inf) stops, and is flagged in the history, with no warnings.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an explainer.Network; got {type(net).__name__}")
    Xa = net._check_X(X)
    Y = net._check_y(y, Xa.shape[0])
    if isinstance(optimizer, Optimizer):
        opt = optimizer
        if lr is not None:
            opt.lr = positive_float(lr, "lr")
        if optimizer_options:
            raise ValueError("optimizer options must be set on the Optimizer instance, not passed to train()")
    else:
        opt = make_optimizer(optimizer, positive_float(0.1 if lr is None else lr, "lr"), **optimizer_options)
    steps = positive_int(steps, "steps", minimum=0)
    n = Xa.shape[0]
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
        batch_size = min(batch_size, n)
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test must be given together")
    Xt = Yt = None
    if X_test is not None and np.size(X_test) > 0:
        Xt = net._check_X(X_test)
        Yt = net._check_y(y_test, Xt.shape[0])
    if callback is not None and not callable(callback):
        raise ValueError("callback must be callable as callback(step, loss)")
    rng = rng_from(seed)

    P, L = net.n_parameters, net.n_layers
    params = np.empty((steps + 1, P))
    grads = np.empty((steps + 1, P))
    train_loss = np.empty(steps + 1)
    test_loss = np.empty(steps + 1) if Xt is not None else None
    # (L, P) selector of each layer's weight entries: the per-layer norms in one matrix product.
    weight_rows = np.zeros((L, P))
    offset = 0
    for layer, (n_in, n_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:])):
        weight_rows[layer, offset : offset + n_in * n_out] = 1.0
        offset += (n_in + 1) * n_out
    theta = net._theta
    trainable = (~net._frozen).astype(np.float64)
    order = np.arange(n)
    cursor = n  # forces a fresh permutation at the first mini-batch
    diverged_at = None
    stopped = False
    last = steps

    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            if batch_size is None or batch_size == n:
                loss, grad, _ = net._gradient(Xa, Y)
            else:
                if cursor + batch_size > n:
                    order = rng.permutation(n)
                    cursor = 0
                idx = order[cursor : cursor + batch_size]
                cursor += batch_size
                _, grad, _ = net._gradient(Xa[idx], Y[idx])
                full = net._forward(Xa)
                loss = float(net._loss.per_sample(full.z[-1], full.a[-1], Y).mean())
            params[t] = theta
            grads[t] = grad
            train_loss[t] = loss
            if test_loss is not None:
                pt = net._forward(Xt)
                test_loss[t] = net._loss.per_sample(pt.z[-1], pt.a[-1], Yt).mean()
            # One scalar check: NaN and inf survive a sum (inf − inf is NaN); non-finite parameters
            # show up as a non-finite loss at the next step.
            if not np.isfinite(loss + grad.sum()):
                diverged_at, last = t, t
                break
            if t == steps or stopped:
                last = t
                break
            opt.step(theta, grad, trainable)
            if callback is not None and callback(t + 1, loss) is False:
                stopped = True

    T = last + 1
    with np.errstate(all="ignore"):  # a diverged run's gradients may overflow when squared
        norms = np.sqrt((grads[:T] * grads[:T]) @ weight_rows.T)
    return History(
        steps=np.arange(T),
        train_loss=train_loss[:T],
        test_loss=None if test_loss is None else test_loss[:T],
        parameters=params[:T],
        gradients=grads[:T],
        grad_norms=norms,
        parameter_names=net.parameter_names,
        optimizer=opt.name,
        lr=opt.lr,
        batch_size=batch_size,
        diverged=diverged_at is not None,
        diverged_at=diverged_at,
        stopped_early=stopped,
    )
