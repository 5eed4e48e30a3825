"""Tests for explainer.engine.storage: a network as a dict and a file, every entry checked before a network
is built (the Network-facing cases are in test_network.py; atomic saves in test_files.py)."""

import json

import numpy as np
import pytest

from explainer import Network
from explainer.engine import storage
from explainer.engine.storage import FORMAT, load_network, network_from_dict, network_to_dict, save_network


def test_round_trip_through_dict_and_file(tmp_path):
    net = Network([3, 4, 2], activation="relu", output_activation="softmax", loss="cross_entropy", seed=2)
    net.freeze("b1", "W2[3,1]")
    d = network_to_dict(net)
    assert d["format"] == FORMAT and d["version"] == 1 and json.loads(json.dumps(d)) == d
    again = network_from_dict(Network, d)
    path = tmp_path / "n.json"
    save_network(net, path)
    loaded = load_network(Network, path)
    for other in (again, loaded):
        np.testing.assert_array_equal(other.parameters, net.parameters)
        assert other.frozen == net.frozen and other.layer_activations == net.layer_activations


def test_a_network_with_batch_norm_round_trips_and_one_without_has_no_key(tmp_path):
    net = Network([3, 4, 4, 2], activation="tanh", batch_norm=[False, True], seed=1)
    net.set("gamma2[3]", -0.5)
    net.freeze("beta2")
    d = network_to_dict(net)
    assert d["batch_norm"] == [False, True] and len(d["parameters"]) == net.n_parameters == 46 + 8
    save_network(net, tmp_path / "n.json")
    for other in (network_from_dict(Network, d), load_network(Network, tmp_path / "n.json")):
        assert other.batch_norm == (False, True) and other.frozen == net.frozen
        np.testing.assert_array_equal(other.parameters, net.parameters)
    assert "batch_norm" not in network_to_dict(Network([3, 4, 2]))
    older = network_to_dict(Network([3, 4, 2], seed=0))  # a file from before the option: no key, no batch norm
    assert network_from_dict(Network, older).batch_norm == (False,)
    d["parameters"] = d["parameters"][:46]
    with pytest.raises(ValueError, match=r"data\['parameters'\] must have length 54"):
        network_from_dict(Network, d)


def test_the_parameters_length_is_checked_before_any_conversion():
    d = network_to_dict(Network([2, 1], seed=0))
    d["parameters"] = [0.0] * 10**6  # the wrong length, found by len() before a float array is made
    with pytest.raises(ValueError, match=r"data\['parameters'\] must have length 3"):
        network_from_dict(Network, d)
    d["parameters"] = [1.0, "x", 2.0]
    with pytest.raises(ValueError, match=r"data\['parameters'\] must be a list of 3 numbers"):
        network_from_dict(Network, d)


def test_a_deeply_nested_file_is_a_value_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="not a readable network JSON file"):
        load_network(Network, path)


def test_file_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "n.json"
    save_network(Network([2, 3, 1]), path)
    monkeypatch.setattr(storage, "MAX_NETWORK_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(ValueError, match="a network JSON file may be at most"):
        load_network(Network, path)
