"""Checks made once, at the door of every public function. Inner functions trust their inputs."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np


def as_finite_array(value, argument: str, *, ndim: Iterable[int] = (1, 2)) -> np.ndarray:
    """A float64 copy of ``value``; ValueError naming ``argument`` if it is not numeric and finite."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{argument} must be an array of numbers; got {type(value).__name__}") from None
    ndim = tuple(ndim)
    if arr.ndim not in ndim:
        dims = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{argument} must be {dims}; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{argument} must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{argument} must hold only finite numbers (no NaN or inf)")
    return arr


def positive_int(value, argument: str, *, minimum: int = 1) -> int:
    """An int ≥ ``minimum``; ValueError naming ``argument`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{argument} must be an integer ≥ {minimum}; got {value!r}")
    return int(value)


def positive_float(value, argument: str, *, allow_zero: bool = False) -> float:
    """A finite float > 0 (or ≥ 0); ValueError naming ``argument`` otherwise."""
    bound = "≥ 0" if allow_zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise ValueError(f"{argument} must be a finite number {bound}; got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{argument} must be a finite number {bound}; got {value!r}")
    return float(value)


def fraction(value, argument: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """A float in [low, high); ValueError naming ``argument`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real) or not (low <= value < high):
        raise ValueError(f"{argument} must be a number in [{low}, {high}); got {value!r}")
    return float(value)


def one_of(value, allowed: Iterable[str], argument: str) -> str:
    """``value`` if it is one of ``allowed``; ValueError listing them otherwise."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{argument} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def rng_from(seed, argument: str = "seed") -> np.random.Generator:
    """A Generator from an int seed, a Generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"{argument} must be a non-negative integer, a numpy Generator or None; got {seed!r}")
    return np.random.default_rng(int(seed))
