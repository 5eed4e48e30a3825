"""Tests for explainer.engine.record: read-only arrays, the number count, the export bound and the JSON
helpers. (A record's values and identities are tested in test_network.py, where records are made.)"""

import json

import numpy as np
import pytest

from explainer import Network, Record
from explainer.engine import record as record_module
from explainer.engine.record import MAX_EXPORT_VALUES, nan_to_none, readonly


def rec(n=3):
    X = np.random.default_rng(0).normal(size=(n, 2))
    return Network([2, 3, 1], seed=0).backprop(X, np.zeros(n))


def test_every_array_is_read_only():
    X = np.random.default_rng(0).normal(size=(3, 2))
    for r in (rec(), Network([2, 3, 1], seed=0, batch_norm=True).backprop(X, np.zeros(3))):
        for key in Record.__dataclass_fields__:
            value = getattr(r, key)
            for arr in value if isinstance(value, tuple) else (value,):
                if isinstance(arr, np.ndarray):
                    assert not arr.flags.writeable, key
        for step in r.batch_norms:
            for key in () if step is None else step.__dataclass_fields__:
                value = getattr(step, key)
                assert not isinstance(value, np.ndarray) or not value.flags.writeable, key


def test_a_record_without_batch_norm_has_none():
    r = rec()
    assert r.batch_norms == () and r.batch_norm == (False,)
    assert "batch_norms" not in r.to_dict()
    assert Record.__dataclass_fields__["batch_norms"].default == ()  # records built without it stay valid


def test_n_values_counts_what_the_exports_write():
    r = rec(3)
    # weights 9 + biases 4 + frozen 13 + targets 3 + a 3·(2+3+1) + z, f′, ∂L/∂a, δ 4·3·4 + grads 13 + ∂L/∂x 6 + ℓ 3
    assert r.n_values == 9 + 4 + 13 + 3 + 18 + 48 + 13 + 6 + 3


def test_exports_refuse_a_record_with_too_many_numbers(monkeypatch):
    r = rec(3)
    monkeypatch.setattr(record_module, "MAX_EXPORT_VALUES", r.n_values - 1)
    for export in (r.to_json, r.to_csv, r.to_dict):
        with pytest.raises(ValueError, match="the record holds 117 numbers; to_json and to_csv write at most 116"):
            export()
    assert MAX_EXPORT_VALUES == 1_000_000


def test_nan_to_none_and_readonly():
    assert nan_to_none({"a": [1.0, float("nan"), [float("inf")]], "b": 2}) == {"a": [1.0, None, [None]], "b": 2}
    arr = readonly(np.zeros(2))
    with pytest.raises(ValueError):
        arr[0] = 1.0
    assert json.loads(json.dumps(nan_to_none([float("-inf")]))) == [None]
