"""Checks made once, at the door of every public function. Inner functions trust their inputs.

Every check raises ValueError naming the argument and the values it may take, whatever it is given
(a string for a number, a 10,000-digit integer, a Fraction, an object that refuses conversion).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np


def as_finite_array(value, argument: str, *, ndim: Iterable[int] = (1, 2)) -> np.ndarray:
    """A float64 copy of ``value``; ValueError naming ``argument`` if it is not numeric and finite."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
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


def short_repr(value) -> str:
    """repr(value), cut to 60 characters (a student may type a 10,000-digit number or paste a huge list)."""
    if isinstance(value, Integral) and not isinstance(value, bool) and abs(int(value)) >= 10**40:
        return f"an integer of about {int(abs(int(value)).bit_length() * math.log10(2))} digits"
    try:
        text = repr(value)
    except Exception:  # a repr that fails is still a bad argument, not a crash
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def positive_int(value, argument: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An int ≥ ``minimum`` (and ≤ ``maximum`` when given); ValueError naming ``argument`` otherwise."""
    bad = isinstance(value, bool) or not isinstance(value, Integral) or value < minimum
    if maximum is None:
        if bad:
            raise ValueError(f"{argument} must be an integer ≥ {minimum}; got {short_repr(value)}")
    elif bad or value > maximum:
        raise ValueError(f"{argument} must be an integer from {minimum} to {maximum:,}; got {short_repr(value)}")
    return int(value)


def _finite_real(value) -> float | None:
    """float(value) for a finite real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        return None
    return number if math.isfinite(number) else None


def positive_float(value, argument: str, *, allow_zero: bool = False) -> float:
    """A finite float > 0 (or ≥ 0); ValueError naming ``argument`` otherwise."""
    bound = "≥ 0" if allow_zero else "> 0"
    number = _finite_real(value)
    if number is None or number < 0 or (number == 0 and not allow_zero):
        raise ValueError(f"{argument} must be a finite number {bound}; got {short_repr(value)}")
    return number


def fraction(value, argument: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """A float in [low, high); ValueError naming ``argument`` otherwise."""
    number = _finite_real(value)
    if number is None or not (low <= number < high):
        raise ValueError(f"{argument} must be a number in [{low}, {high}); got {short_repr(value)}")
    return number


def one_of(value, allowed: Iterable[str], argument: str) -> str:
    """``value`` if it is one of ``allowed``; ValueError listing them otherwise."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{argument} must be one of {', '.join(allowed)}; got {short_repr(value)}")
    return value


def rng_from(seed, argument: str = "seed") -> np.random.Generator:
    """A Generator from an int seed, a Generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(
            f"{argument} must be a non-negative integer, a numpy Generator or None; got {short_repr(seed)}"
        )
    return np.random.default_rng(int(seed))


def boolean(value, argument: str) -> bool:
    """True or False (numpy's bools too); ValueError naming ``argument`` otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{argument} must be True or False; got {short_repr(value)}")
    return bool(value)
