"""What a training run saw, bounded in memory, and the one rule that says when a run diverged.

Divergence (one rule for the engine and every app)::

    diverged at the first entry t where  Lₜ is NaN or ±∞ (or a gradient is),
                                     or  Lₜ > DIVERGENCE_FACTOR · max(L₀, DIVERGENCE_FLOOR)

with L₀ the training loss at the start of the run. Why 10⁴: a run that converges keeps its training loss
within a small multiple of where it started, while a step size past the stability limit multiplies the
loss by a roughly constant factor > 1 each step, so it crosses 10⁴ within a few dozen steps, long before it
overflows. Measured over the course's six data sets, tanh/relu/sigmoid 2-8-8 networks, SGD, momentum and
Adam, η from 0.01 to 30 and 500 steps: the runs that ended below L₀ peaked at ≤ 35 × L₀ with plain SGD and
≤ 101 × L₀ for any optimiser with η ≤ 1, so 10⁴ leaves a factor 100 of room. Only Adam or momentum at
η ≥ 3 went through 10⁴–10⁷ × L₀ and came back; the rule calls those diverged, which is the lesson. The floor
keeps a run that starts at a nearly perfect fit (L₀ ≈ 0) from being called diverged when its loss merely
wobbles; 10⁴ · 10⁻³ = 10 is a bad loss for every data set here.

Bounded memory: a History keeps at most ``history_capacity(P, L)`` entries, at most MAX_HISTORY_ENTRIES
(10,001: every step of a 10,000-step run) and at most HISTORY_BYTES (64 MB) of parameters and gradients.
A longer run is thinned evenly as it goes: every step while the entries fit, then every 2nd step, every
4th, ... (the stride doubles each time the buffer fills), and the last entry is always kept, as is the
entry where a run diverged. ``steps`` says which steps the entries are; ``diverged_at`` is an entry index.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path

import numpy as np

from .._files import as_path, read_text_limited, write_text_atomic
from .._validate import positive_float, positive_int, short_repr
from .record import nan_to_none

DIVERGENCE_FACTOR = 1e4
DIVERGENCE_FLOOR = 1e-3
MAX_HISTORY_ENTRIES = 10_001
HISTORY_BYTES = 64 * 2**20
# What History.from_json reads at most: a history within HISTORY_BYTES written as JSON (~23 characters a number).
MAX_HISTORY_FILE_BYTES = 256 * 2**20

FORMAT = "backprop-explainer history"


# ---------------------------------------------------------------------------------------------- divergence
def divergence_limit(start_loss: float) -> float:
    """The loss above which a run that started at ``start_loss`` has diverged: 10⁴ · max(L₀, 10⁻³)."""
    return DIVERGENCE_FACTOR * max(float(start_loss), DIVERGENCE_FLOOR)


def diverged_at(losses, start_loss: float | None = None) -> int | None:
    """The first index where the loss is not finite or exceeds ``divergence_limit(start_loss)``; else None.

    losses: (T,) training losses, entry 0 the start. start_loss: L₀ (default ``losses[0]``); a run that
    continues an earlier one passes the earlier start so the rule sees the whole run.
    """
    try:
        arr = np.array(losses, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"losses must be a 1-D list of numbers; got {type(losses).__name__}") from None
    if arr.ndim != 1:
        raise ValueError(f"losses must be a 1-D list of numbers; got shape {arr.shape}")
    if start_loss is not None and (isinstance(start_loss, bool) or not isinstance(start_loss, Real)):
        raise ValueError(f"start_loss must be a number or None; got {short_repr(start_loss)}")
    if arr.size == 0:
        return None
    try:
        start = float(arr[0]) if start_loss is None else float(start_loss)
    except OverflowError:
        start = math.inf
    if not math.isfinite(start):
        return 0
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (arr > divergence_limit(start))
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


def divergence_message(step: int, lr: float, *, undo: bool = True) -> str:
    """The one sentence every app shows when a run diverges, naming the step and the learning rate (``undo``:
    whether the app can go back to an earlier step, so the sentence offers it)."""
    step = positive_int(step, "step", minimum=0)
    lr = positive_float(lr, "lr")
    if not isinstance(undo, bool):
        raise ValueError(f"undo must be True or False; got {undo!r}")
    again = "reset (or undo)" if undo else "reset"
    return (
        f"The loss diverged at step {int(step):,}: it became NaN or ∞ or grew past {DIVERGENCE_FACTOR:,.0f} times "
        f"its starting value, so η = {float(lr):.3g} is too large; lower η and {again} to train on."
    )


def history_capacity(n_parameters: int, n_layers: int) -> int:
    """How many entries a History of this network keeps: ≤ MAX_HISTORY_ENTRIES and ≤ HISTORY_BYTES, ≥ 2."""
    per_entry = 8 * (2 * n_parameters + n_layers + 3)  # θ, ∂L/∂θ, the norms, step and losses
    return int(max(2, min(MAX_HISTORY_ENTRIES, HISTORY_BYTES // per_entry)))


def thin_indices(steps: np.ndarray, target: int, keep: tuple[int, ...] = ()) -> np.ndarray:
    """Indices of at most about ``target`` entries evenly spread over the steps: the first, the last, ``keep``.

    The entries nearest to every multiple of a power-of-two stride of steps are chosen, so thinning an
    already thinned history again keeps the same grid (only every other point of it).
    """
    T = steps.shape[0]
    if T <= target:
        return np.arange(T)
    first, last = int(steps[0]), int(steps[-1])
    room = max(1, target - 2 - len(keep))
    stride = 1
    while (last - first) // stride + 1 > room:
        stride *= 2
    grid = np.arange(-(-first // stride) * stride, last + 1, stride)
    right = np.clip(np.searchsorted(steps, grid), 0, T - 1)
    left = np.clip(right - 1, 0, T - 1)
    nearest = np.where(np.abs(steps[left] - grid) <= np.abs(steps[right] - grid), left, right)
    return np.unique(np.concatenate([nearest, [0, T - 1], np.asarray(keep, dtype=int)]))


# ---------------------------------------------------------------------------------------------- History
@dataclass
class History:
    """What ``train`` saw, entry by entry. Entry 0 is the start; ``steps[i]`` is the step entry i shows.

    steps (T,): the step of each entry (0, 1, 2, ... unless a long run was thinned; see the module).
    parameters (T, P): θ at each entry, columns named by ``parameter_names``.
    gradients (T, P): the gradient used for the update from that entry (mini-batch gradient when
        training on mini-batches; the last entry's gradient is computed but not applied).
    train_loss (T,): the loss over the whole training set at θ_t. test_loss (T,) or None.
    grad_norms (T, L): ‖∂L/∂Wˡ‖ (Frobenius) per layer, from ``gradients``.
    diverged: the run diverged by the engine's rule (``diverged_at`` in explainer.engine.history: a loss or
        gradient not finite, or the loss above 10⁴ × its start); training stopped there, and
        ``diverged_at`` is that entry's index (the last one), ``diverged_step`` its step.
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

    @property
    def diverged_step(self) -> int | None:
        """The step (not the entry index) where the run diverged, or None."""
        return None if self.diverged_at is None else int(self.steps[self.diverged_at])

    @property
    def divergence_message(self) -> str | None:
        """``divergence_message(step, lr)`` for a diverged run, else None."""
        return None if self.diverged_at is None else divergence_message(self.diverged_step, self.lr)

    def thin(self, max_entries: int) -> History:
        """This history with at most about ``max_entries`` entries, evenly spread (first, last, divergence kept)."""
        max_entries = positive_int(max_entries, "max_entries", minimum=2)
        keep = () if self.diverged_at is None else (int(self.diverged_at),)
        return self._take(thin_indices(self.steps, max_entries, keep))

    def _take(self, index: np.ndarray) -> History:
        if index.shape[0] == len(self):
            return self
        at = None if self.diverged_at is None else int(np.searchsorted(index, self.diverged_at))
        return replace(
            self,
            steps=self.steps[index],
            train_loss=self.train_loss[index],
            test_loss=None if self.test_loss is None else self.test_loss[index],
            parameters=self.parameters[index],
            gradients=self.gradients[index],
            grad_norms=self.grad_norms[index],
            diverged_at=at,
        )

    def then(self, later: History) -> History:
        """This history followed by ``later`` (which started where this one ended), thinned if it gets long.

        Divergence follows the rule over the joined run, from this history's starting loss.
        """
        if not isinstance(later, History):
            raise ValueError(f"later must be a History; got {type(later).__name__}")
        if later.parameter_names != self.parameter_names:
            raise ValueError("later must be a history of the same network (parameter names differ)")
        offset = int(self.steps[-1])

        def cat(a, b):
            return None if a is None or b is None else np.concatenate([a, b[1:]])

        train_loss = cat(self.train_loss, later.train_loss)
        hits = [i for i in (self.diverged_at, diverged_at(train_loss)) if i is not None]
        if later.diverged_at is not None:
            hits.append(later.diverged_at + len(self) - 1)
        at = min(hits) if hits else None
        joined = History(
            steps=np.concatenate([self.steps, later.steps[1:] + offset]),
            train_loss=train_loss,
            test_loss=cat(self.test_loss, later.test_loss),
            parameters=cat(self.parameters, later.parameters),
            gradients=np.concatenate([self.gradients[:-1], later.gradients]),
            grad_norms=np.concatenate([self.grad_norms[:-1], later.grad_norms]),
            parameter_names=self.parameter_names,
            optimizer=later.optimizer,
            lr=later.lr,
            batch_size=later.batch_size,
            diverged=at is not None,
            diverged_at=at,
            stopped_early=later.stopped_early,
        )
        capacity = history_capacity(joined.parameters.shape[1], joined.n_layers)
        if len(joined) > capacity:
            # Down to half the capacity, so that a session adding a few steps at a time thins rarely.
            joined = joined.thin(max(2, capacity // 2))
        return joined

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict:
        def arr(a):
            return None if a is None else np.where(np.isfinite(a), a, np.nan).tolist()

        return nan_to_none(
            {
                "format": FORMAT,
                "version": 1,
                "steps": np.asarray(self.steps).tolist(),
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
        """JSON text (non-finite numbers as null); written to ``path`` (atomically) when given."""
        text = json.dumps(self.to_dict())
        if path is not None:
            write_text_atomic(path, text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> History:
        """Read ``to_json`` output (text or a file path, at most 256 MB); every entry is checked first.

        ValueError naming the entry (``text_or_path['train_loss']``, ...) when one is missing, of the wrong
        kind or of a shape that does not match the others.
        """
        if isinstance(text_or_path, str) and text_or_path.lstrip().startswith("{"):
            if len(text_or_path) > MAX_HISTORY_FILE_BYTES:
                raise ValueError(f"text_or_path holds more than {MAX_HISTORY_FILE_BYTES:,} characters of JSON")
            text = text_or_path
        else:
            as_path(text_or_path, "text_or_path")
            text = read_text_limited(text_or_path, MAX_HISTORY_FILE_BYTES, argument="text_or_path", what="history")
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as err:
            raise ValueError(f"text_or_path is not valid JSON: {err}") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError("text_or_path must hold JSON written by History.to_json()")
        return cls(**_checked_fields(d))

    def to_csv(self, path: str | Path | None = None) -> str:
        """One row per entry: step, train_loss, test_loss, grad_norm_W1.., then every parameter."""
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
            write_text_atomic(path, text)
        return text


def _checked_fields(d: dict) -> dict:
    """History's constructor arguments from a to_dict() dict, all checked before any is used."""
    where = "text_or_path"

    def need(key):
        if key not in d:
            raise ValueError(f"{where} is missing the entry {key!r} (a History JSON has steps, train_loss, ...)")
        return d[key]

    def floats(key, ndim, optional=False):
        value = d.get(key) if optional else need(key)
        if value is None and optional:
            return None
        try:
            arr = np.array(value, dtype=np.float64)  # null (a non-finite number) becomes NaN
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{where}[{key!r}] must be a {ndim}-D list of numbers") from None
        if arr.ndim != ndim:
            raise ValueError(f"{where}[{key!r}] must be a {ndim}-D list of numbers; got shape {arr.shape}")
        return arr

    steps = floats("steps", 1)
    T = steps.shape[0]
    if T == 0 or not np.all(np.isfinite(steps)) or np.any(steps != np.round(steps)) or np.any(np.diff(steps) <= 0):
        raise ValueError(f"{where}['steps'] must be a non-empty increasing list of whole numbers")
    names = need("parameter_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{where}['parameter_names'] must be a non-empty list of names")
    P = len(names)
    fields = {
        "steps": steps.astype(np.int64),
        "train_loss": floats("train_loss", 1),
        "test_loss": floats("test_loss", 1, optional=True),
        "parameters": floats("parameters", 2),
        "gradients": floats("gradients", 2),
        "grad_norms": floats("grad_norms", 2),
    }
    for key, shape in (
        ("train_loss", (T,)),
        ("test_loss", (T,)),
        ("parameters", (T, P)),
        ("gradients", (T, P)),
    ):
        if fields[key] is not None and fields[key].shape != shape:
            raise ValueError(f"{where}[{key!r}] must have shape {shape} (one entry per step); got {fields[key].shape}")
    if fields["grad_norms"].shape[0] != T or fields["grad_norms"].shape[1] < 1:
        raise ValueError(f"{where}['grad_norms'] must have shape ({T}, n_layers); got {fields['grad_norms'].shape}")
    optimizer = need("optimizer")
    if not isinstance(optimizer, str):
        raise ValueError(f"{where}['optimizer'] must be a name; got {short_repr(optimizer)}")
    lr = need("lr")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{where}['lr'] must be a finite number > 0; got {short_repr(lr)}")
    batch = d.get("batch_size")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        raise ValueError(f"{where}['batch_size'] must be null or an integer ≥ 1; got {short_repr(batch)}")
    flags = {}
    for key, default in (("diverged", None), ("stopped_early", False)):
        value = d.get(key, default) if default is not None else need(key)
        if not isinstance(value, bool):
            raise ValueError(f"{where}[{key!r}] must be true or false; got {short_repr(value)}")
        flags[key] = value
    at = need("diverged_at")
    if at is not None and (isinstance(at, bool) or not isinstance(at, int) or not 0 <= at < T):
        raise ValueError(f"{where}['diverged_at'] must be null or an entry index 0 to {T - 1}; got {short_repr(at)}")
    if (at is not None) != flags["diverged"]:
        raise ValueError(f"{where}['diverged_at'] must be given exactly when {where}['diverged'] is true")
    return {
        **fields,
        "parameter_names": names,
        "optimizer": optimizer,
        "lr": float(lr),
        "batch_size": batch,
        "diverged": flags["diverged"],
        "diverged_at": at,
        "stopped_early": flags["stopped_early"],
    }


__all__ = [
    "DIVERGENCE_FACTOR",
    "DIVERGENCE_FLOOR",
    "HISTORY_BYTES",
    "MAX_HISTORY_ENTRIES",
    "History",
    "diverged_at",
    "divergence_limit",
    "divergence_message",
    "history_capacity",
    "thin_indices",
]
