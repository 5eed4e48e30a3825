"""Tests for explainer.engine.history: the divergence rule's parts, the capacity of a History and the even
thinning (training with them is tested in test_training.py and test_session.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer.engine.history import (
    DIVERGENCE_FACTOR,
    DIVERGENCE_FLOOR,
    HISTORY_BYTES,
    MAX_HISTORY_ENTRIES,
    diverged_at,
    divergence_limit,
    history_capacity,
    thin_indices,
)


def test_the_limit_is_the_factor_times_the_start_with_a_floor():
    assert DIVERGENCE_FACTOR == 1e4 and DIVERGENCE_FLOOR == 1e-3
    assert divergence_limit(0.5) == 5000.0
    assert divergence_limit(0.0) == divergence_limit(1e-9) == 10.0


def test_capacity_is_bounded_by_entries_and_bytes():
    assert history_capacity(9, 2) == MAX_HISTORY_ENTRIES
    big = history_capacity(1_000_000, 3)
    assert 2 <= big and big * 2 * 8 * 1_000_000 <= HISTORY_BYTES
    assert history_capacity(10**9, 1) == 2


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.integers(3, 300), st.data())
def test_thinning_keeps_first_last_and_kept_and_spreads_evenly(T, target, data):
    steps = np.sort(np.random.default_rng(T).choice(10 * T, size=T, replace=False))
    keep = tuple(data.draw(st.lists(st.integers(0, T - 1), max_size=2)))
    index = thin_indices(steps, target, keep)
    assert index[0] == 0 and index[-1] == T - 1 and set(keep) <= set(index.tolist())
    assert np.all(np.diff(index) > 0)
    if T <= target:
        assert index.shape[0] == T
    else:
        assert index.shape[0] <= target + len(keep)


def test_thinning_an_evenly_spaced_run_gives_a_power_of_two_grid():
    index = thin_indices(np.arange(1001), 40)
    kept = index[:-1]
    stride = int(kept[1])
    assert stride & (stride - 1) == 0 and np.all(kept % stride == 0) and index[-1] == 1000
    again = thin_indices(np.arange(1001)[index], 20)
    assert set(np.arange(1001)[index][again].tolist()) <= set(index.tolist())


@pytest.mark.parametrize("bad", ["abc", [[1.0, 2.0]], {"a": 1}, [1.0, "x"]])
def test_diverged_at_checks_its_arguments(bad):
    with pytest.raises(ValueError, match="losses must be a 1-D list of numbers"):
        diverged_at(bad)
    with pytest.raises(ValueError, match="start_loss must be a number or None"):
        diverged_at([1.0], "1")
