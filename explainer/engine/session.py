"""A training session: a network, its data and an optimiser, trained in chunks, with undo.

The apps keep no training logic of their own: they call a session. Changing the learning rate, the optimiser,
the batch size or the regularisation between chunks keeps the history; ``undo(step)`` goes back to any kept
step (``checkpoints``: every step of a short run; a long one is thinned evenly, see History); ``reset()`` to
the start, with the mini-batch order of the start too, so a run after a reset repeats the first one exactly.
Divergence follows the engine's one rule over the whole session, measured from the loss where the session
started (or was last reset).

Chunks are one run: the mini-batch order carries over from one ``step(n)`` to the next, so ``step(5)`` twice
draws the batches ``step(10)`` would. The session keeps what it saw in one bounded log (appending a chunk
costs the chunk's size, not the whole history's: an app can train ten steps at a time, thirty times a second,
for hours), with per entry the data loss and the penalty apart (``losses()``), and the epochs done.
"""

from __future__ import annotations

import copy

import numpy as np

from .._validate import positive_float, positive_int, rng_from
from .history import History, history_capacity, thin_indices
from .network import Network, Record
from .training import (
    MAX_STEPS,
    BatchOrder,
    Optimizer,
    Penalty,
    check_reg_rate,
    check_regularization,
    check_test_data,
    make_optimizer,
    run_steps,
)


class _Log:
    """The session's entries, kept in place and thinned like ``History.then``: when they pass the capacity,
    down to half of it, evenly (the first, the last and the divergence kept)."""

    COLUMNS = ("steps", "train_loss", "test_loss", "penalty", "epochs", "parameters", "gradients", "grad_norms")

    def __init__(self, P: int, L: int, has_test: bool):
        self.P, self.L, self.has_test = P, L, has_test
        self.n = 0
        self.diverged_at: int | None = None
        self._alloc(16)

    def _alloc(self, rows: int) -> None:
        old = {k: getattr(self, k, None) for k in self.COLUMNS}
        self.steps = np.empty(rows, dtype=np.int64)
        self.train_loss = np.empty(rows)
        self.test_loss = np.empty(rows) if self.has_test else None
        self.penalty = np.empty(rows)
        self.epochs = np.empty(rows)
        self.parameters = np.empty((rows, self.P))
        self.gradients = np.empty((rows, self.P))
        self.grad_norms = np.empty((rows, self.L))
        if self.n:
            for k in self.COLUMNS:
                if getattr(self, k) is not None:
                    getattr(self, k)[: self.n] = old[k][: self.n]

    @property
    def capacity(self) -> int:
        return history_capacity(self.P, self.L)

    def append(self, chunk: History, penalties: np.ndarray, epochs: np.ndarray) -> None:
        """The chunk's entries; its first entry is where the log ended (its gradient replaces the last one's)."""
        first = 1 if self.n else 0
        rows = len(chunk) - first
        need = self.n + rows
        if need > self.steps.shape[0]:
            self._alloc(max(need, min(2 * self.steps.shape[0], self.capacity + rows)))
        if self.n:
            self.gradients[self.n - 1] = chunk.gradients[0]
            self.grad_norms[self.n - 1] = chunk.grad_norms[0]
        offset = int(self.steps[self.n - 1]) if self.n else 0
        part = slice(self.n, need)
        self.steps[part] = chunk.steps[first:] + offset
        self.train_loss[part] = chunk.train_loss[first:]
        if self.test_loss is not None:
            self.test_loss[part] = chunk.test_loss[first:]
        self.penalty[part] = penalties[first:]
        self.epochs[part] = epochs[first:]
        self.parameters[part] = chunk.parameters[first:]
        self.gradients[part] = chunk.gradients[first:]
        self.grad_norms[part] = chunk.grad_norms[first:]
        if chunk.diverged_at is not None and self.diverged_at is None:
            self.diverged_at = self.n + chunk.diverged_at - first
        self.n = need
        capacity = self.capacity
        if self.n > capacity:
            keep = () if self.diverged_at is None else (self.diverged_at,)
            self._keep(thin_indices(self.steps[: self.n], max(2, capacity // 2), keep))
            if self.steps.shape[0] > 2 * capacity:
                self._alloc(capacity)

    def _keep(self, index: np.ndarray) -> None:
        for k in self.COLUMNS:
            arr = getattr(self, k)
            if arr is not None:
                arr[: index.shape[0]] = arr[index]
        if self.diverged_at is not None:
            self.diverged_at = int(np.searchsorted(index, self.diverged_at))
        self.n = int(index.shape[0])

    def truncate(self, index: int) -> None:
        """Keep entries 0..index."""
        self.n = index + 1
        if self.diverged_at is not None and self.diverged_at > index:
            self.diverged_at = None

    def history(self, names: list[str], opt: Optimizer, batch_size, index: np.ndarray | None = None) -> History:
        """The entries (or those at ``index``) as a History of copies."""
        take = np.arange(self.n) if index is None else index
        at = self.diverged_at
        if at is not None and index is not None:
            at = int(np.searchsorted(index, at)) if at in set(index.tolist()) else None
        return History(
            steps=self.steps[take].copy(),
            train_loss=self.train_loss[take].copy(),
            test_loss=None if self.test_loss is None else self.test_loss[take].copy(),
            parameters=self.parameters[take].copy(),
            gradients=self.gradients[take].copy(),
            grad_norms=self.grad_norms[take].copy(),
            parameter_names=names,
            optimizer=opt.name,
            lr=opt.lr,
            batch_size=batch_size,
            diverged=at is not None,
            diverged_at=at,
        )


class TrainingSession:
    """Train ``network`` on (X, y) step by step, keeping the whole history.

    X: (n_samples, n_features); y as for ``Network.backprop``. optimizer: a name (sgd, momentum,
    adam) or an Optimizer. batch_size: None for full batch. X_test, y_test: optional held-out data.
    seed: an int ≥ 0, a numpy Generator or None, for the mini-batches. regularization: "none", "l1" or
    "l2" on the weights (biases are not penalised), reg_rate: λ from 0 to 100 (see ``training.Penalty``).
    """

    def __init__(
        self,
        network: Network,
        X,
        y,
        *,
        optimizer: str | Optimizer = "sgd",
        lr: float = 0.1,
        batch_size: int | None = None,
        X_test=None,
        y_test=None,
        seed: int | np.random.Generator | None = 0,
        regularization: str = "none",
        reg_rate: float = 0.0,
        **optimizer_options,
    ):
        if not isinstance(network, Network):
            raise ValueError(f"network must be an explainer.Network; got {type(network).__name__}")
        X = network.check_X(X)
        y = network.check_y(y, X.shape[0])
        X_test, y_test = check_test_data(network, X_test, y_test)
        network.check_batches(X.shape[0], None if batch_size is None else positive_int(batch_size, "batch_size"))
        if X_test is not None:
            network.check_batches(X_test.shape[0])
        if isinstance(optimizer, Optimizer):
            if optimizer_options:
                raise ValueError("optimizer options must be set on the Optimizer instance, not passed here")
            opt = optimizer
        else:
            opt = make_optimizer(optimizer, positive_float(lr, "lr"), **optimizer_options)
        penalty = Penalty.of(network, regularization, reg_rate)
        rng = rng_from(seed)
        self.network = network
        self.X, self.y, self.X_test, self.y_test = X, y, X_test, y_test
        self.batch_size = batch_size
        self.optimizer = opt
        self._penalty = penalty
        self._rng = rng
        self._rng_start = copy.deepcopy(rng.bit_generator.state)
        self._batches = BatchOrder(rng, X.shape[0])
        self._start = network.parameters
        self._log = self._new_log()
        self._history: History | None = None

    def _new_log(self) -> _Log:
        return _Log(self.network.n_parameters, self.network.n_layers, self.X_test is not None)

    # ------------------------------------------------------------------ settings
    @property
    def batch_size(self) -> int | None:
        """Samples per mini-batch (None: full batch); more than the samples means full batch."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int | None) -> None:
        value = None if value is None else positive_int(value, "batch_size")
        if hasattr(self, "X"):  # batch norm: every batch of at least 2 samples
            self.network.check_batches(self.X.shape[0], value)
        self._batch_size = value

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        """A new learning rate for the next steps; the history and optimiser state carry on."""
        self.optimizer.lr = positive_float(value, "lr")

    @property
    def regularization(self) -> str:
        """ "none", "l1" or "l2": the penalty on the weights from the next step on (the history carries on)."""
        return self._penalty.kind

    @regularization.setter
    def regularization(self, kind: str) -> None:
        self._penalty = Penalty(check_regularization(kind), self._penalty.rate, self._penalty.mask)
        self._history = None

    @property
    def reg_rate(self) -> float:
        """λ, the regularisation rate (0 to 100)."""
        return self._penalty.rate

    @reg_rate.setter
    def reg_rate(self, rate: float) -> None:
        self._penalty = Penalty(self._penalty.kind, check_reg_rate(rate), self._penalty.mask)

    @property
    def penalty(self) -> Penalty:
        """The penalty in force (Ω(θ) and its gradient)."""
        return self._penalty

    def set_optimizer(self, name: str, lr: float | None = None, **options) -> None:
        """Switch optimiser (its state starts fresh); the parameters and history carry on."""
        self.optimizer = make_optimizer(name, self.lr if lr is None else lr, **options)

    def set_data(self, X, y, X_test=None, y_test=None) -> None:
        """New training data (same features and targets); parameters and history carry on. With X_test and
        y_test, new test data too (a session with test data keeps having some)."""
        X2 = self.network.check_X(X)
        y2 = self.network.check_y(y, X2.shape[0])
        self.network.check_batches(X2.shape[0], self.batch_size)
        if X_test is not None or y_test is not None:
            Xt, yt = check_test_data(self.network, X_test, y_test)
            if (Xt is None) != (self.X_test is None):
                raise ValueError("X_test: a session keeps test data if it started with some, and none if it did not")
            if Xt is not None:
                self.network.check_batches(Xt.shape[0])
            self.X_test, self.y_test = Xt, yt
        self.X, self.y = X2, y2
        self._batches.restart(X2.shape[0], self._batches.epochs)

    # ------------------------------------------------------------------ stepping
    @property
    def steps_done(self) -> int:
        return int(self._log.steps[self._log.n - 1]) if self._log.n else 0

    @property
    def epochs(self) -> float:
        """Passes over the training data so far (each step of full-batch training is one)."""
        return float(self._batches.epochs)

    @property
    def diverged(self) -> bool:
        """True once the session's run has diverged (the engine's rule, from the session's starting loss)."""
        return self._log.diverged_at is not None

    @property
    def checkpoints(self) -> list[int]:
        """The steps ``undo`` can go back to: every step of a short run, evenly thinned ones of a long run."""
        return [int(s) for s in self.history.steps]

    @property
    def history(self) -> History:
        """Everything so far as one History (entry 0 is the start): copies, made when asked for."""
        if self._history is None:
            if not self._log.n:
                self._history = self._empty_history()
            else:
                self._history = self._log.history(self.network.parameter_names, self.optimizer, self.batch_size)
        return self._history

    def display_history(self, limit: int = 500) -> History:
        """At most about ``limit`` entries of the history, evenly spread (first, last and divergence kept):
        what a figure draws, copied from the log without copying the rest."""
        limit = positive_int(limit, "limit", minimum=2)
        if not self._log.n:
            return self.history
        keep = () if self._log.diverged_at is None else (self._log.diverged_at,)
        index = thin_indices(self._log.steps[: self._log.n], limit, keep)
        return self._log.history(self.network.parameter_names, self.optimizer, self.batch_size, index)

    def losses(self) -> dict:
        """Per entry of ``history``: steps, the data loss (train and test), the penalty and their sum."""
        if not self._log.n:
            h = self.history
            pen = self._penalty.values(h.parameters)
            test = h.test_loss
            return {"steps": h.steps, "data": h.train_loss, "test": test, "penalty": pen, "total": h.train_loss + pen}
        n = self._log.n
        data = self._log.train_loss[:n].copy()
        pen = self._log.penalty[:n].copy()
        test = None if self._log.test_loss is None else self._log.test_loss[:n].copy()
        return {"steps": self._log.steps[:n].copy(), "data": data, "test": test, "penalty": pen, "total": data + pen}

    def latest(self) -> dict:
        """The last entry: step, epochs, data loss (train, test), penalty, parameters and the gradient the next
        update would use (penalty included), ‖∂L/∂Wˡ‖ per layer. Cheap: no history is built."""
        if not self._log.n:
            h = self.history
            return {
                "step": 0, "epochs": 0.0, "train_loss": float(h.train_loss[0]),
                "test_loss": None if h.test_loss is None else float(h.test_loss[0]),
                "penalty": self._penalty.value(h.parameters[0]), "parameters": h.parameters[0].copy(),
                "gradient": h.gradients[0].copy(), "grad_norms": h.grad_norms[0].copy(),
            }  # fmt: skip
        i = self._log.n - 1
        log = self._log
        return {
            "step": int(log.steps[i]), "epochs": float(log.epochs[i]), "train_loss": float(log.train_loss[i]),
            "test_loss": None if log.test_loss is None else float(log.test_loss[i]),
            "penalty": float(log.penalty[i]), "parameters": log.parameters[i].copy(),
            "gradient": log.gradients[i].copy(), "grad_norms": log.grad_norms[i].copy(),
        }  # fmt: skip

    def _empty_history(self) -> History:
        pen = self._penalty if self._penalty.active else None
        return run_steps(self.network.copy(), self.X, self.y, make_optimizer("sgd", 1.0), 0,
                         X_test=self.X_test, Y_test=self.y_test, penalty=pen,
                         batches=copy.deepcopy(self._batches), batch_size=self._batch())  # fmt: skip

    def _batch(self) -> int | None:
        return None if self.batch_size is None else min(self.batch_size, self.X.shape[0])

    def next_batch(self) -> np.ndarray:
        """The indices (into X) of the samples the next step trains on: all of them in full-batch training."""
        batch = self._batch()
        if batch is None or batch >= self.X.shape[0]:
            return np.arange(self.X.shape[0])
        return self._batches.peek(batch).copy()

    def step(self, n: int = 1) -> History:
        """Take ``n`` optimiser steps, 1 to MAX_STEPS (fewer if the run diverges); returns this chunk's history."""
        n = positive_int(n, "n", maximum=MAX_STEPS)
        if self.diverged:
            raise ValueError("the run has diverged: undo to an earlier step or reset before training on")
        start_loss = float(self._log.train_loss[0]) if self._log.n else None
        epochs0 = self._batches.epochs
        chunk = run_steps(
            self.network,
            self.X,
            self.y,
            self.optimizer,
            n,
            batch_size=self._batch(),
            X_test=self.X_test,
            Y_test=self.y_test,
            rng=self._rng,
            start_loss=start_loss,
            penalty=self._penalty if self._penalty.active else None,
            batches=self._batches,
        )
        # Epochs at each entry: steps are evenly spread within a chunk, so is the work of its batches.
        done = int(chunk.steps[-1])
        epochs = epochs0 + (self._batches.epochs - epochs0) * (chunk.steps / done if done else chunk.steps * 0.0)
        self._log.append(chunk, self._penalty.values(chunk.parameters), epochs)
        self._history = None
        return chunk

    def undo(self, to_step: int | None = None) -> None:
        """Go back to step ``to_step`` (default: the kept step before the last); later steps are forgotten.

        to_step must be one of ``checkpoints`` (every step, unless a long run was thinned).
        """
        log = self._log
        h_steps = log.steps[: log.n] if log.n else np.array([0])
        done = int(h_steps[-1])
        if to_step is None:
            if len(h_steps) < 2:
                raise ValueError(f"to_step: there is no earlier step to go back to (at step {done})")
            index = len(h_steps) - 2
        else:
            if isinstance(to_step, bool) or not isinstance(to_step, (int, np.integer)) or not 0 <= to_step <= done:
                raise ValueError(f"to_step must be an integer from 0 to {done}; got {to_step!r}")
            index = int(np.searchsorted(h_steps, to_step))
            if h_steps[index] != to_step:
                before, after = int(h_steps[index - 1]), int(h_steps[index])
                raise ValueError(
                    f"to_step {int(to_step)} is not kept (a long run keeps evenly spaced steps); the nearest kept "
                    f"steps are {before} and {after} (see checkpoints)"
                )
        if index == 0:
            self.network.set_parameters(log.parameters[0] if log.n else self._start)
            self._log = self._new_log()
            self._batches.restart(epochs=0.0)
        else:
            self.network.set_parameters(log.parameters[index])
            log.truncate(index)
            self._batches.restart(epochs=float(log.epochs[index]))
        self._history = None
        self.optimizer.reset()

    def reset(self) -> None:
        """Back to the starting parameters and the starting mini-batch order; the history is cleared and the
        optimiser starts fresh."""
        self.network.set_parameters(self._start)
        self._log = self._new_log()
        self._history = None
        self._rng.bit_generator.state = copy.deepcopy(self._rng_start)
        self._batches.restart(self.X.shape[0])
        self.optimizer.reset()

    def restart_from_here(self) -> None:
        """Make the current parameters the new start (after the user edited them by hand)."""
        self._start = self.network.parameters
        self._log = self._new_log()
        self._history = None
        self._batches.restart(self.X.shape[0])
        self.optimizer.reset()

    def record(self) -> Record:
        """The recorded forward and backward pass at the current parameters, on the training data."""
        return self.network.backprop(self.X, self.y)
