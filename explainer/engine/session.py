"""A training session: a network, its data and an optimiser, trained in chunks, with undo.

The apps keep no training logic of their own: they call a session. Changing the learning rate
between chunks keeps the optimiser's state and the history; ``undo(step)`` goes back to any earlier
step; ``reset()`` to the start.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_float, positive_int
from .network import Network, Record
from .training import History, Optimizer, make_optimizer, train


class TrainingSession:
    """Train ``network`` on (X, y) step by step, keeping the whole history.

    X: (n_samples, n_features); y as for ``Network.backprop``. optimizer: a name (sgd, momentum,
    adam) or an Optimizer. batch_size: None for full batch. X_test, y_test: optional held-out data.
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
        seed: int = 0,
        **optimizer_options,
    ):
        if not isinstance(network, Network):
            raise ValueError(f"network must be an explainer.Network; got {type(network).__name__}")
        self.network = network
        self.X = network._check_X(X)
        self.y = network._check_y(y, self.X.shape[0])
        self.X_test = self.y_test = None
        if X_test is not None and np.size(X_test) > 0:
            self.X_test = network._check_X(X_test)
            self.y_test = network._check_y(y_test, self.X_test.shape[0])
        if batch_size is not None:
            batch_size = positive_int(batch_size, "batch_size")
        self.batch_size = batch_size
        self.optimizer = (
            optimizer if isinstance(optimizer, Optimizer) else make_optimizer(optimizer, lr, **optimizer_options)
        )
        self._rng = np.random.default_rng(seed)
        self._start = network.parameters
        self._chunks: list[History] = []
        self._history: History | None = None

    # ------------------------------------------------------------------ settings
    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        """A new learning rate for the next steps; the history and optimiser state carry on."""
        self.optimizer.lr = positive_float(value, "lr")

    def set_optimizer(self, name: str, lr: float | None = None, **options) -> None:
        """Switch optimiser (its state starts fresh); the parameters and history carry on."""
        self.optimizer = make_optimizer(name, self.lr if lr is None else lr, **options)

    def set_data(self, X, y) -> None:
        """New training data (same shapes of features and targets); parameters and history carry on."""
        X2 = self.network._check_X(X)
        self.y = self.network._check_y(y, X2.shape[0])
        self.X = X2

    # ------------------------------------------------------------------ stepping
    @property
    def steps_done(self) -> int:
        return 0 if self._history is None and not self._chunks else int(self.history.steps[-1])

    @property
    def diverged(self) -> bool:
        return any(chunk.diverged for chunk in self._chunks)

    @property
    def history(self) -> History:
        """Everything so far as one History (entry 0 is the start)."""
        if self._history is None:
            if not self._chunks:
                self._history = self._empty_history()
            else:
                joined = self._chunks[0]
                for chunk in self._chunks[1:]:
                    joined = joined.then(chunk)
                self._chunks = [joined]
                self._history = joined
        return self._history

    def _empty_history(self) -> History:
        return train(
            self.network.copy(),
            self.X,
            self.y,
            optimizer="sgd",
            lr=1.0,
            steps=0,
            X_test=self.X_test,
            y_test=self.y_test,
        )

    def step(self, n: int = 1) -> History:
        """Take ``n`` optimiser steps (fewer if the run diverges); returns this chunk's history."""
        n = positive_int(n, "n")
        if self.diverged:
            raise ValueError("the run has diverged: undo to an earlier step or reset before training on")
        chunk = train(
            self.network,
            self.X,
            self.y,
            optimizer=self.optimizer,
            steps=n,
            batch_size=self.batch_size,
            X_test=self.X_test,
            y_test=self.y_test,
            seed=self._rng,
        )
        self._chunks.append(chunk)
        self._history = None
        return chunk

    def undo(self, to_step: int | None = None) -> None:
        """Go back to step ``to_step`` (default: one step back); later steps are forgotten."""
        done = self.steps_done
        target = done - 1 if to_step is None else to_step
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target <= done:
            raise ValueError(f"to_step must be an integer from 0 to {done}; got {to_step!r}")
        h = self.history
        self.network.set_parameters(h.parameters[target])
        if target == 0:
            self._chunks, self._history = [], None
        else:
            cut = History(
                steps=h.steps[: target + 1],
                train_loss=h.train_loss[: target + 1],
                test_loss=None if h.test_loss is None else h.test_loss[: target + 1],
                parameters=h.parameters[: target + 1],
                gradients=h.gradients[: target + 1],
                grad_norms=h.grad_norms[: target + 1],
                parameter_names=h.parameter_names,
                optimizer=h.optimizer,
                lr=h.lr,
                batch_size=h.batch_size,
            )
            self._chunks, self._history = [cut], None
        self.optimizer.reset()

    def reset(self) -> None:
        """Back to the starting parameters; the history is cleared and the optimiser starts fresh."""
        self.network.set_parameters(self._start)
        self._chunks, self._history = [], None
        self.optimizer.reset()

    def restart_from_here(self) -> None:
        """Make the current parameters the new start (after the user edited them by hand)."""
        self._start = self.network.parameters
        self._chunks, self._history = [], None
        self.optimizer.reset()

    def record(self) -> Record:
        """The recorded forward and backward pass at the current parameters, on the training data."""
        return self.network.backprop(self.X, self.y)
