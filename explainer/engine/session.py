"""A training session: a network, its data and an optimiser, trained in chunks, with undo.

The apps keep no training logic of their own: they call a session. Changing the learning rate
between chunks keeps the optimiser's state and the history; ``undo(step)`` goes back to any kept
step (``checkpoints``: every step of a short run; a long one is thinned evenly, see History);
``reset()`` to the start. Divergence follows the engine's one rule over the whole session, measured
from the loss where the session started (or was last reset).
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_float, positive_int, rng_from
from .network import Network, Record
from .training import MAX_STEPS, History, Optimizer, check_test_data, make_optimizer, run_steps


class TrainingSession:
    """Train ``network`` on (X, y) step by step, keeping the whole history.

    X: (n_samples, n_features); y as for ``Network.backprop``. optimizer: a name (sgd, momentum,
    adam) or an Optimizer. batch_size: None for full batch. X_test, y_test: optional held-out data.
    seed: an int ≥ 0, a numpy Generator or None, for the mini-batches.
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
        **optimizer_options,
    ):
        if not isinstance(network, Network):
            raise ValueError(f"network must be an explainer.Network; got {type(network).__name__}")
        X = network.check_X(X)
        y = network.check_y(y, X.shape[0])
        X_test, y_test = check_test_data(network, X_test, y_test)
        if isinstance(optimizer, Optimizer):
            if optimizer_options:
                raise ValueError("optimizer options must be set on the Optimizer instance, not passed here")
            opt = optimizer
        else:
            opt = make_optimizer(optimizer, positive_float(lr, "lr"), **optimizer_options)
        rng = rng_from(seed)
        self.network = network
        self.X, self.y, self.X_test, self.y_test = X, y, X_test, y_test
        self.batch_size = batch_size
        self.optimizer = opt
        self._rng = rng
        self._start = network.parameters
        self._chunks: list[History] = []
        self._history: History | None = None

    # ------------------------------------------------------------------ settings
    @property
    def batch_size(self) -> int | None:
        """Samples per mini-batch (None: full batch); more than the samples means full batch."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int | None) -> None:
        self._batch_size = None if value is None else positive_int(value, "batch_size")

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
        X2 = self.network.check_X(X)
        self.y = self.network.check_y(y, X2.shape[0])
        self.X = X2

    # ------------------------------------------------------------------ stepping
    @property
    def steps_done(self) -> int:
        return 0 if self._history is None and not self._chunks else int(self.history.steps[-1])

    @property
    def diverged(self) -> bool:
        """True once the session's run has diverged (the engine's rule, from the session's starting loss)."""
        return any(chunk.diverged for chunk in self._chunks)

    @property
    def checkpoints(self) -> list[int]:
        """The steps ``undo`` can go back to: every step of a short run, evenly thinned ones of a long run."""
        return [int(s) for s in self.history.steps]

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
        return run_steps(self.network.copy(), self.X, self.y, make_optimizer("sgd", 1.0), 0,
                         X_test=self.X_test, Y_test=self.y_test)  # fmt: skip

    def step(self, n: int = 1) -> History:
        """Take ``n`` optimiser steps, 1 to MAX_STEPS (fewer if the run diverges); returns this chunk's history."""
        n = positive_int(n, "n", maximum=MAX_STEPS)
        if self.diverged:
            raise ValueError("the run has diverged: undo to an earlier step or reset before training on")
        start_loss = float(self._chunks[0].train_loss[0]) if self._chunks else None
        batch = None if self.batch_size is None else min(self.batch_size, self.X.shape[0])
        chunk = run_steps(
            self.network,
            self.X,
            self.y,
            self.optimizer,
            n,
            batch_size=batch,
            X_test=self.X_test,
            Y_test=self.y_test,
            rng=self._rng,
            start_loss=start_loss,
        )
        self._chunks.append(chunk)
        self._history = None
        return chunk

    def undo(self, to_step: int | None = None) -> None:
        """Go back to step ``to_step`` (default: the kept step before the last); later steps are forgotten.

        to_step must be one of ``checkpoints`` (every step, unless a long run was thinned).
        """
        h = self.history
        done = int(h.steps[-1])
        if to_step is None:
            if len(h) < 2:
                raise ValueError(f"to_step: there is no earlier step to go back to (at step {done})")
            index = len(h) - 2
        else:
            if isinstance(to_step, bool) or not isinstance(to_step, (int, np.integer)) or not 0 <= to_step <= done:
                raise ValueError(f"to_step must be an integer from 0 to {done}; got {to_step!r}")
            index = int(np.searchsorted(h.steps, to_step))
            if h.steps[index] != to_step:
                before, after = int(h.steps[index - 1]), int(h.steps[index])
                raise ValueError(
                    f"to_step {int(to_step)} is not kept (a long run keeps evenly spaced steps); the nearest kept "
                    f"steps are {before} and {after} (see checkpoints)"
                )
        self.network.set_parameters(h.parameters[index])
        if index == 0:
            self._chunks, self._history = [], None
        else:
            keep = h.diverged_at is not None and h.diverged_at <= index
            cut = History(
                steps=h.steps[: index + 1],
                train_loss=h.train_loss[: index + 1],
                test_loss=None if h.test_loss is None else h.test_loss[: index + 1],
                parameters=h.parameters[: index + 1],
                gradients=h.gradients[: index + 1],
                grad_norms=h.grad_norms[: index + 1],
                parameter_names=h.parameter_names,
                optimizer=h.optimizer,
                lr=h.lr,
                batch_size=h.batch_size,
                diverged=keep,
                diverged_at=h.diverged_at if keep else None,
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
