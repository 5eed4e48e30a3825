"""Tests for explainer.engine.network: the Record of one forward/backward pass (values, indexing, read-only,
exports) and the Network's parameter storage, naming, freezing, copies, files and initialisation.

The gradients themselves are checked against finite differences in test_gradcheck.py and against
PyTorch in test_reference_torch.py; here the Record's own identities are checked.
"""

import csv
import io
import json
import warnings

import numpy as np
import pytest

from explainer import Network, parameter_names
from explainer.engine.activations import ACTIVATIONS


def mixed_net(seed=0):
    """Three weight layers with different hidden activations and an mse loss."""
    return Network([3, 4, 5, 2], activation=["tanh", "leaky_relu"], output_activation="sigmoid", loss="mse", seed=seed)


def data(n=6, n_in=3, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(n, n_in)), rng.uniform(0, 1, size=(n, n_out))


NETS = {
    "mse-mixed": (mixed_net, lambda n: data(n)),
    "bce": (
        lambda: Network([3, 4, 2], activation="relu", output_activation="sigmoid", loss="bce", seed=1),
        lambda n: data(n, seed=1),
    ),
    "ce": (
        lambda: Network([3, 5, 3], activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=2),
        lambda n: (data(n, seed=2)[0], np.arange(n) % 3),
    ),
    "mse-softmax": (
        lambda: Network([3, 3], output_activation="softmax", loss="mse", seed=3),
        lambda n: (data(n, seed=3)[0], np.eye(3)[np.arange(n) % 3]),
    ),
}


# ---------------------------------------------------------------------------------------------
# Record: indexing and identities


@pytest.mark.parametrize("key", list(NETS))
def test_record_indexing_and_shapes(key):
    make, get_data = NETS[key]
    net = make()
    X, y = get_data(6)
    rec = net.backprop(X, y)
    L = net.n_layers
    assert rec.n_layers == L and rec.n_samples == 6 and rec.sizes == net.sizes
    assert len(rec.activations) == L + 1
    for seq in (rec.preactivations, rec.derivatives, rec.grad_activations, rec.deltas, rec.grad_weights):
        assert len(seq) == L
    np.testing.assert_array_equal(rec.activations[0], X)  # a⁰ = X
    np.testing.assert_array_equal(rec.inputs, X)
    np.testing.assert_array_equal(rec.output, net.forward(X))
    for layer in range(L):
        width = net.sizes[layer + 1]
        for arr in (
            rec.activations[layer + 1],
            rec.preactivations[layer],
            rec.deltas[layer],
            rec.grad_activations[layer],
        ):
            assert arr.shape == (6, width)
        assert rec.grad_weights[layer].shape == net.weights[layer].shape
        assert rec.grad_biases[layer].shape == net.biases[layer].shape
        np.testing.assert_array_equal(rec.weights[layer], net.weights[layer])
    assert rec.activation_names == net.layer_activations and rec.loss_name == net.loss
    assert rec.parameter_names == net.parameter_names
    assert rec.finite


@pytest.mark.parametrize("key", list(NETS))
def test_record_forward_identities(key):
    """zˡ = aˡ⁻¹ Wˡ + bˡ, aˡ = f(zˡ), loss = mean of sample losses."""
    make, get_data = NETS[key]
    net = make()
    X, y = get_data(5)
    rec = net.backprop(X, y)
    for layer, name in enumerate(net.layer_activations):
        z = rec.activations[layer] @ rec.weights[layer] + rec.biases[layer]
        np.testing.assert_allclose(rec.preactivations[layer], z, rtol=1e-15, atol=1e-15)
        np.testing.assert_array_equal(rec.activations[layer + 1], ACTIVATIONS[name].forward(rec.preactivations[layer]))
        np.testing.assert_array_equal(
            rec.derivatives[layer], ACTIVATIONS[name].derivative(rec.preactivations[layer], rec.activations[layer + 1])
        )
    assert rec.sample_losses.shape == (5,)
    assert rec.loss == pytest.approx(rec.sample_losses.mean(), rel=1e-15)
    assert rec.loss == pytest.approx(net.loss_value(X, y), rel=1e-14)


@pytest.mark.parametrize("key", list(NETS))
def test_record_backward_identities(key):
    """∂L/∂aˡ = δˡ⁺¹ (Wˡ⁺¹)ᵀ, ∂L/∂Wˡ = (aˡ⁻¹)ᵀ δˡ, ∂L/∂bˡ = Σ δˡ, δˡ = f′ ⊙ ∂L/∂aˡ (elementwise f)."""
    make, get_data = NETS[key]
    net = make()
    X, y = get_data(6)
    rec = net.backprop(X, y)
    L = rec.n_layers
    for layer in range(L - 1):
        np.testing.assert_allclose(
            rec.grad_activations[layer], rec.deltas[layer + 1] @ rec.weights[layer + 1].T, rtol=1e-14, atol=1e-17
        )
    for layer in range(L):
        np.testing.assert_allclose(
            rec.grad_weights[layer], rec.activations[layer].T @ rec.deltas[layer], rtol=1e-13, atol=1e-17
        )
        np.testing.assert_allclose(rec.grad_biases[layer], rec.deltas[layer].sum(axis=0), rtol=1e-13, atol=1e-17)
        if ACTIVATIONS[rec.activation_names[layer]].elementwise:
            # At the output of bce this is (a − y)/(a(1−a)) · a(1−a): equal up to rounding.
            np.testing.assert_allclose(
                rec.deltas[layer], rec.derivatives[layer] * rec.grad_activations[layer], rtol=1e-10, atol=1e-17
            )
    # The output layer's ∂L/∂a is the loss gradient divided by n (the loss is a mean).
    loss = net.loss_function
    zL, aL = rec.preactivations[-1], rec.output
    np.testing.assert_allclose(rec.grad_activations[-1], loss.grad_a(zL, aL, rec.targets) / 6, rtol=1e-15)
    np.testing.assert_allclose(
        rec.gradient_vector(),
        np.concatenate([p for w, b in zip(rec.grad_weights, rec.grad_biases) for p in (w.ravel(), b)]),
    )


def test_softmax_record_derivative_is_the_jacobian_diagonal_and_delta_uses_the_full_jacobian():
    make, get_data = NETS["mse-softmax"]
    net = make()
    X, y = get_data(4)
    rec = net.backprop(X, y)
    a = rec.output
    np.testing.assert_allclose(rec.derivatives[-1], a * (1 - a), rtol=1e-15)
    g = rec.grad_activations[-1]
    np.testing.assert_allclose(rec.deltas[-1], a * (g - (a * g).sum(axis=1, keepdims=True)), rtol=1e-13, atol=1e-17)
    assert not np.allclose(rec.deltas[-1], rec.derivatives[-1] * g)


def test_record_arrays_are_read_only_and_copies():
    net = mixed_net()
    X, y = data(4)
    rec = net.backprop(X, y)
    arrays = [rec.targets, rec.sample_losses]
    for seq in (
        rec.weights,
        rec.biases,
        rec.frozen_weights,
        rec.frozen_biases,
        rec.activations,
        rec.preactivations,
        rec.derivatives,
        rec.grad_activations,
        rec.deltas,
        rec.grad_weights,
        rec.grad_biases,
    ):
        arrays += list(seq)
    for arr in arrays:
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[(0,) * arr.ndim] = 1
    with pytest.raises(AttributeError):
        rec.loss = 0.0  # frozen dataclass
    # Nothing is overwritten: z and a are different arrays with different values.
    for z, a in zip(rec.preactivations, rec.activations[1:]):
        assert not np.shares_memory(z, a)
        assert not np.allclose(z, a)
    # The record keeps the values it used, whatever happens to the network afterwards.
    w_before = rec.weights[0].copy()
    g_before = rec.grad_weights[0].copy()
    net.weights[0][0, 0] += 1.0
    net.backprop(X[:2], y[:2])  # reuses the network's gradient buffer
    np.testing.assert_array_equal(rec.weights[0], w_before)
    np.testing.assert_array_equal(rec.grad_weights[0], g_before)


def test_identity_layer_keeps_z_and_a_as_separate_arrays():
    net = Network([2, 3, 1], activation="identity", output_activation="identity", seed=0)
    rec = net.backprop([[0.5, -1.0]], [0.2])
    np.testing.assert_array_equal(rec.preactivations[0], rec.activations[1])
    assert not np.shares_memory(rec.preactivations[0], rec.activations[1])


def test_one_sample_1d_input_gives_2d_arrays():
    net = mixed_net()
    x = np.array([0.1, -0.2, 0.3])
    rec = net.backprop(x, [0.2, 0.9])
    assert rec.n_samples == 1
    assert rec.activations[0].shape == (1, 3)
    for arr in rec.preactivations + rec.activations[1:] + rec.deltas + rec.grad_activations + rec.derivatives:
        assert arr.ndim == 2 and arr.shape[0] == 1
    assert rec.targets.shape == (1, 2)
    same = net.backprop(x[None, :], [[0.2, 0.9]])
    np.testing.assert_array_equal(rec.gradient_vector(), same.gradient_vector())
    assert net.forward(x).shape == (1, 2)


@pytest.mark.parametrize("key", list(NETS))
def test_batch_gradient_is_the_mean_of_per_sample_gradients(key):
    make, get_data = NETS[key]
    net = make()
    X, y = get_data(5)
    batch = net.backprop(X, y)
    Y = batch.targets
    per_sample = [net.backprop(X[i], Y[i]) for i in range(5)]
    np.testing.assert_allclose(
        batch.gradient_vector(), np.mean([r.gradient_vector() for r in per_sample], axis=0), rtol=1e-12, atol=1e-16
    )
    assert batch.loss == pytest.approx(np.mean([r.loss for r in per_sample]), rel=1e-14)
    np.testing.assert_allclose(batch.sample_losses, [r.loss for r in per_sample], rtol=1e-14)
    # δ carries the 1/n factor: the batch δ row is the single-sample δ divided by n.
    np.testing.assert_allclose(batch.deltas[0][2], per_sample[2].deltas[0][0] / 5, rtol=1e-12, atol=1e-17)


def test_cross_entropy_accepts_integer_labels_and_one_hot():
    make, get_data = NETS["ce"]
    net = make()
    X, labels = get_data(6)
    by_label = net.backprop(X, labels)
    by_onehot = net.backprop(X, np.eye(3)[labels])
    np.testing.assert_array_equal(by_label.targets, np.eye(3)[labels])
    assert by_label.loss == by_onehot.loss
    np.testing.assert_array_equal(by_label.gradient_vector(), by_onehot.gradient_vector())
    # ℓ = −log a_label
    np.testing.assert_allclose(by_label.sample_losses, -np.log(by_label.output[np.arange(6), labels]), rtol=1e-13)
    # A single sample: a scalar label, or a one-hot row
    one = net.backprop(X[0], 1)
    np.testing.assert_array_equal(one.targets, [[0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(net.backprop(X[0], [0, 1, 0]).targets, [[0.0, 1.0, 0.0]])


def test_updated_parameters_is_one_gradient_step_leaving_frozen_entries():
    net = mixed_net()
    net.freeze("b1", "W2[0,1]")
    X, y = data(4)
    rec = net.backprop(X, y)
    new_w, new_b = rec.updated_parameters(0.3)
    for layer in range(3):
        expected = rec.weights[layer] - 0.3 * rec.grad_weights[layer]
        expected = np.where(rec.frozen_weights[layer], rec.weights[layer], expected)
        np.testing.assert_array_equal(new_w[layer], expected)
    np.testing.assert_array_equal(new_b[0], rec.biases[0])  # frozen
    assert new_w[1][0, 1] == rec.weights[1][0, 1]
    assert rec.grad_weights[1][0, 1] != 0  # so the frozen entry would have moved
    np.testing.assert_array_equal(new_b[2], rec.biases[2] - 0.3 * rec.grad_biases[2])
    np.testing.assert_array_equal(rec.frozen_biases[0], [True] * 4)


def test_record_finite_flag_false_for_an_overflowing_network_without_warnings():
    net = Network([1, 1], output_activation="identity", loss="mse", seed=0)
    net.weights[0] = [[1e200]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = net.backprop([[1e200]], [0.0])
    assert not rec.finite
    assert not np.isfinite(rec.loss)
    assert json.loads(rec.to_json())["loss"] is None  # non-finite → null


# ---------------------------------------------------------------------------------------------
# Record exports


def test_record_to_json_round_trips_values(tmp_path):
    net = mixed_net()
    net.freeze("b2")
    X, y = data(3)
    rec = net.backprop(X, y)
    path = tmp_path / "rec.json"
    text = rec.to_json(path)
    assert path.read_text() == text
    d = json.loads(text)
    assert d["loss"] == rec.loss
    assert d["sizes"] == [3, 4, 5, 2]
    assert d["activation_names"] == ["tanh", "leaky_relu", "sigmoid"]
    assert d["loss_name"] == "mse"
    for key in (
        "activations",
        "preactivations",
        "derivatives",
        "grad_activations",
        "deltas",
        "grad_weights",
        "grad_biases",
    ):
        for got, want in zip(d[key], getattr(rec, key)):
            np.testing.assert_array_equal(np.array(got), want)  # floats survive JSON exactly
    assert d["frozen_biases"][1] == [True] * 5
    np.testing.assert_array_equal(d["targets"], y)


def parse_record_csv(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    return rows


def test_record_to_csv_layout(tmp_path):
    net = Network([2, 3, 1], seed=0)
    rec = net.backprop([[0.1, 0.2], [0.3, 0.4]], [0.5, 0.6])
    text = rec.to_csv(tmp_path / "rec.csv")
    assert (tmp_path / "rec.csv").read_text() == text
    rows = parse_record_csv(text)
    assert text.splitlines()[0] == "quantity,layer,sample,row,column,value"
    counts = {}
    for r in rows:
        counts[r["quantity"]] = counts.get(r["quantity"], 0) + 1
    # per-sample quantities: 2 samples × (3 + 1) units; W and dL_dW: 2·3 + 3·1; b and dL_db: 3 + 1;
    # dL_dx: 2 samples × 2 inputs
    assert counts == {
        "dL_dx": 4,
        "a": 8,
        "z": 8,
        "f_prime": 8,
        "dL_da": 8,
        "delta": 8,
        "W": 9,
        "dL_dW": 9,
        "b": 4,
        "dL_db": 4,
        "loss": 1,
    }


def test_record_to_csv_round_trips_values():
    net = Network([2, 3, 1], seed=0)
    rec = net.backprop([[0.1, 0.2], [0.3, 0.4]], [0.5, 0.6])
    rows = parse_record_csv(rec.to_csv())
    lookup = {(r["quantity"], r["layer"], r["sample"], r["row"], r["column"]): float(r["value"]) for r in rows}
    assert lookup[("loss", "", "", "", "")] == rec.loss
    for layer in (1, 2):
        a = rec.activations[layer]
        for s, j in np.ndindex(a.shape):
            assert lookup[("a", str(layer), str(s), "", str(j))] == a[s, j]
            assert lookup[("delta", str(layer), str(s), "", str(j))] == rec.deltas[layer - 1][s, j]
        w = rec.grad_weights[layer - 1]
        for i, j in np.ndindex(w.shape):
            assert lookup[("dL_dW", str(layer), "", str(i), str(j))] == w[i, j]


# ---------------------------------------------------------------------------------------------
# Network: parameter storage and names


def test_parameter_names_order_and_count():
    assert parameter_names([2, 2, 1]) == [
        "W1[0,0]",
        "W1[0,1]",
        "W1[1,0]",
        "W1[1,1]",
        "b1[0]",
        "b1[1]",
        "W2[0,0]",
        "W2[1,0]",
        "b2[0]",
    ]
    net = Network([3, 4, 2], seed=0)
    assert net.n_parameters == 3 * 4 + 4 + 4 * 2 + 2 == len(net.parameter_names) == net.parameters.size
    flat = np.concatenate([p for w, b in zip(net.weights, net.biases) for p in (w.ravel(), b)])
    np.testing.assert_array_equal(net.parameters, flat)


def test_weights_are_writeable_views_into_the_flat_vector():
    net = Network([2, 3, 2], seed=0)
    net.weights[0][0, 1] = 0.5
    assert net.get("W1[0,1]") == 0.5
    assert net["W1[0,1]"] == 0.5
    assert net.parameters[net.index_of("W1[0,1]")] == 0.5
    net.biases[1][1] = -0.25
    assert net.get("b2[1]") == -0.25
    net.set("W2[2,0]", 1.5)
    assert net.weights[1][2, 0] == 1.5
    net["b1[2]"] = 0.125
    assert net.biases[0][2] == 0.125
    # set_parameters writes through to the views
    vec = np.arange(net.n_parameters, dtype=float)
    net.set_parameters(vec)
    assert net.weights[0][1, 2] == net.index_of("W1[1,2]") == 5
    np.testing.assert_array_equal(net.biases[0], [6, 7, 8])
    net.parameters = vec * 2
    np.testing.assert_array_equal(net.parameters, vec * 2)
    # the flat parameters property is a copy
    p = net.parameters
    p[0] = 99.0
    assert net.get("W1[0,0]") == 0.0
    # forward uses the views
    net.set_parameters(np.zeros(net.n_parameters))
    net.biases[1][...] = [2.0, -2.0]
    np.testing.assert_allclose(net.forward([[1.0, 1.0]]), [[1 / (1 + np.exp(-2)), 1 / (1 + np.exp(2))]], rtol=1e-15)


def test_assigning_a_whole_layer_copies_with_shape_check():
    net = Network([2, 3, 2], seed=0)
    M = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    view = net.weights[0]
    net.weights[0] = M
    assert net.weights[0] is view  # still the view, not a new array
    np.testing.assert_array_equal(net.weights[0], M)
    M[0, 0] = -1.0
    assert net.get("W1[0,0]") == 1.0  # copied, not aliased
    net.biases[0] = [0.1, 0.2, 0.3]
    assert net.get("b1[2]") == 0.3
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(2, 3\)"):
        net.weights[0] = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"biases\[1\]"):
        net.biases[1] = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(net.weights[0], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_index_of_accepts_spacing_and_rejects_unknown_names():
    net = Network([2, 3, 2], seed=0)
    assert net.index_of("W1[0,1]") == 1
    assert net.index_of(" W1[ 0 , 1 ] ") == 1
    assert net.index_of("b1[0]") == 6
    assert net.index_of("W2[0,0]") == 9
    for bad in ("W3[0,0]", "W1[2,0]", "b1[3]", "w1[0,0]", "W1", "W1[0]", "", 5):
        with pytest.raises(ValueError, match="parameter name must be one of"):
            net.index_of(bad)


def test_index_of_rejects_two_indices_on_a_bias():
    net = Network([2, 3, 2], seed=0)
    with pytest.raises(ValueError):
        net.index_of("b1[0,5]")


# ---------------------------------------------------------------------------------------------
# Freezing


def test_freeze_and_unfreeze_by_entry_and_by_tensor():
    net = Network([2, 2, 1], seed=0)
    net.freeze("W1[0,1]")
    assert net.frozen == ["W1[0,1]"]
    net.freeze("b1", "b2")
    assert net.frozen == ["W1[0,1]", "b1[0]", "b1[1]", "b2[0]"]
    mask = net.trainable_mask
    assert mask.dtype == bool and not mask.flags.writeable
    np.testing.assert_array_equal(mask, [n not in net.frozen for n in net.parameter_names])
    net.unfreeze("b1[1]")
    assert net.frozen == ["W1[0,1]", "b1[0]", "b2[0]"]
    net.unfreeze("W1")
    assert net.frozen == ["b1[0]", "b2[0]"]
    net.freeze("W2")
    assert "W2[0,0]" in net.frozen and "W2[1,0]" in net.frozen
    net.unfreeze()
    assert net.frozen == []
    rec = net.backprop([0.1, 0.2], [0.3])
    assert not any(f.any() for f in rec.frozen_weights + rec.frozen_biases)


def test_record_reports_frozen_flags_and_reinitialize_keeps_them():
    net = Network([2, 2, 1], seed=0)
    net.freeze("W1[1,0]", "b2")
    net.reinitialize(5)
    assert net.frozen == ["W1[1,0]", "b2[0]"]
    rec = net.backprop([0.1, 0.2], [0.3])
    np.testing.assert_array_equal(rec.frozen_weights[0], [[False, False], [True, False]])
    np.testing.assert_array_equal(rec.frozen_biases[1], [True])
    # frozen parameters still get their gradient computed and shown
    assert rec.grad_weights[0][1, 0] != 0


# ---------------------------------------------------------------------------------------------
# Copies, dicts and files


def test_copy_is_independent():
    net = mixed_net()
    net.freeze("W1[0,0]")
    twin = net.copy()
    np.testing.assert_array_equal(twin.parameters, net.parameters)
    assert twin.frozen == net.frozen and twin.sizes == net.sizes
    assert twin.layer_activations == net.layer_activations and twin.loss == net.loss
    twin.weights[0][0, 0] = 42.0
    twin.freeze("b3")
    assert net.get("W1[0,0]") != 42.0
    assert net.frozen == ["W1[0,0]"]
    X, y = data(3)
    assert net.copy().backprop(X, y).loss == net.backprop(X, y).loss


def test_to_dict_save_and_load_round_trip(tmp_path):
    net = Network([2, 3, 4, 2], activation=["relu", "tanh"], output_activation="softmax", loss="cross_entropy", seed=4)
    net.freeze("W2[1,2]", "b3")
    d = net.to_dict()
    json.dumps(d)  # JSON-ready
    assert d["sizes"] == [2, 3, 4, 2] and d["activation"] == ["relu", "tanh"]
    rebuilt = Network.from_dict(d)
    path = tmp_path / "net.json"
    net.save(path)
    loaded = Network.load(path)
    for other in (rebuilt, loaded):
        np.testing.assert_array_equal(other.parameters, net.parameters)
        assert other.frozen == net.frozen
        assert other.layer_activations == ("relu", "tanh", "softmax")
        assert other.loss == "cross_entropy" and other.output_activation == "softmax"
        X = np.array([[0.3, -0.7], [1.0, 0.5]])
        np.testing.assert_array_equal(other.forward(X), net.forward(X))


def test_from_dict_two_layer_network_without_hidden_activations():
    net = Network([3, 2], output_activation="tanh", seed=1)
    again = Network.from_dict(net.to_dict())
    assert again.layer_activations == ("tanh",)
    np.testing.assert_array_equal(again.parameters, net.parameters)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(format="something else"), "data must be a dict made by Network.to_dict"),
        (lambda d: d.pop("sizes"), "missing the key 'sizes'"),
        (lambda d: d.pop("loss"), "missing the key 'loss'"),
        (lambda d: d.update(sizes=[2, 0, 1]), r"data\['sizes'\]\[1\]"),
        (lambda d: d.update(parameters=[1.0, 2.0]), r"data\['parameters'\] must have length 13"),
        (lambda d: d.update(parameters="abc"), r"data\['parameters'\] must be a list of 13 numbers"),
        (lambda d: d.pop("parameters"), "missing the key 'parameters'"),
        (lambda d: d.update(parameters=[None] * 13), r"data\['parameters'\] must hold only finite numbers"),
        (lambda d: d.update(parameters=[[1.0]] * 13), r"data\['parameters'\] must be a flat list"),
        (lambda d: d.update(sizes=[2, 10**8, 2]), r"data\['sizes'\]\[1\] must be an integer from 1 to 4,096"),
        (lambda d: d.update(sizes="2,3,1"), r"data\['sizes'\] must be a list of layer widths"),
        (lambda d: d.update(version=2), r"data\['version'\] must be 1"),
        (lambda d: d.update(activation="swish"), "data: activation must be one of"),
        (lambda d: d.update(frozen=[3]), r"data\['frozen'\] must be a list of parameter names"),
        (lambda d: d.update(loss="hinge"), "loss must be one of"),
        (lambda d: d.update(frozen=["Q1[0]"]), "freeze"),
    ],
)
def test_from_dict_malformed_raises_value_error(change, match):
    d = json.loads(json.dumps(Network([2, 3, 1], seed=0).to_dict()))
    change(d)
    with pytest.raises(ValueError, match=match):
        Network.from_dict(d)


def test_from_dict_rejects_non_dicts_and_load_rejects_bad_files(tmp_path):
    for bad in ([1, 2], None, "net"):
        with pytest.raises(ValueError, match="data must be a dict"):
            Network.from_dict(bad)
    missing = tmp_path / "missing.json"
    with pytest.raises(ValueError, match="not a readable network JSON file"):
        Network.load(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable network JSON file"):
        Network.load(broken)


def test_from_dict_non_list_frozen_raises_value_error():
    d = Network([2, 3, 1], seed=0).to_dict()
    d["frozen"] = 5
    with pytest.raises(ValueError):
        Network.from_dict(d)


# ---------------------------------------------------------------------------------------------
# Initialisation and per-layer activations


def test_init_is_seeded_and_deterministic():
    a = Network([4, 6, 3], seed=11)
    b = Network([4, 6, 3], seed=11)
    c = Network([4, 6, 3], seed=12)
    np.testing.assert_array_equal(a.parameters, b.parameters)
    assert not np.array_equal(a.parameters, c.parameters)
    g1 = Network([4, 6, 3], seed=np.random.default_rng(5))
    g2 = Network([4, 6, 3], seed=np.random.default_rng(5))
    np.testing.assert_array_equal(g1.parameters, g2.parameters)
    for bias in a.biases:
        np.testing.assert_array_equal(bias, 0.0)
    a.reinitialize(12)
    np.testing.assert_array_equal(a.parameters, c.parameters)
    # seed=None draws fresh entropy (two draws of 24+ normals colliding is impossible in practice)
    assert not np.array_equal(Network([4, 6, 3], seed=None).parameters, Network([4, 6, 3], seed=None).parameters)


@pytest.mark.parametrize(
    ("init", "activation", "expected_std"),
    [
        ("xavier", "tanh", np.sqrt(2 / (300 + 200))),
        ("he", "tanh", np.sqrt(2 / 300)),
        ("normal", "tanh", 1.0),
        ("auto", "tanh", np.sqrt(2 / (300 + 200))),
        ("auto", "relu", np.sqrt(2 / 300)),
        ("auto", "leaky_relu", np.sqrt(2 / 300)),
    ],
)
def test_init_scales(init, activation, expected_std):
    net = Network([300, 200, 1], activation=activation, init=init, seed=0)
    w = net.weights[0]
    # 60 000 draws: the sample std is within ~0.3% of σ; 2% leaves a wide margin.
    assert w.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(w.mean()) < 0.02 * expected_std * 3


def test_zeros_init():
    net = Network([3, 4, 2], init="zeros", seed=0)
    np.testing.assert_array_equal(net.parameters, 0.0)


def test_per_layer_activation_lists():
    net = Network([2, 3, 3, 3, 1], activation=["relu", "tanh", "identity"], output_activation="sigmoid", seed=0)
    assert net.layer_activations == ("relu", "tanh", "identity", "sigmoid")
    assert net.activation == ("relu", "tanh", "identity")
    assert net.output_activation == "sigmoid"
    assert net.n_layers == 4
    rec = net.backprop([[0.5, -0.5]], [1.0])
    z = rec.preactivations
    np.testing.assert_array_equal(rec.activations[1], np.maximum(z[0], 0))
    np.testing.assert_array_equal(rec.activations[2], np.tanh(z[1]))
    np.testing.assert_array_equal(rec.activations[3], z[2])
    same = Network([2, 3, 3, 1], activation="tanh", seed=0)
    assert same.activation == "tanh" and same.layer_activations == ("tanh", "tanh", "sigmoid")
    assert "relu" in repr(net) and "sigmoid" in repr(net)


# ---------------------------------------------------------------------------------------------
# A published example: CS231n's sigmoid-neuron circuit


def test_cs231n_sigmoid_circuit():
    """CS231n "Backpropagation, Intuitions": f(w, x) = 1/(1 + e^-(w0·x0 + w1·x1 + w2)) with
    w = [2, −3, −3], x = [−1, −2] gives f = 0.73 and gradients w: [−0.20, −0.39, 0.20], x: [0.39, −0.59]
    (https://cs231n.github.io/optimization-2/, printed to two decimals).

    As a network: one sigmoid unit, W = [[w0], [w1]], b = [w2]. Those are ∂f/∂·, not ∂L/∂·: choose the
    mse target y = f − 1 so that ∂L/∂a = a − y = 1 and the chain rule leaves exactly ∂f/∂·.
    """
    net = Network([2, 1], output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[2.0], [-3.0]]
    net.biases[0] = [-3.0]
    x = np.array([[-1.0, -2.0]])
    f = net.forward(x)[0, 0]
    assert round(f, 2) == 0.73
    assert f == pytest.approx(1 / (1 + np.exp(-1.0)), rel=1e-15)  # w·x + b = 2 + 6 − 3 = 1
    rec = net.backprop(x, [f - 1.0])
    assert rec.grad_activations[-1][0, 0] == pytest.approx(1.0, rel=1e-15)
    grad_w = [rec.grad_weights[0][0, 0], rec.grad_weights[0][1, 0], rec.grad_biases[0][0]]
    assert [round(g, 2) for g in grad_w] == [-0.20, -0.39, 0.20]
    # ∂f/∂x is δ Wᵀ: the same product the record uses for ∂L/∂a of a hidden layer
    grad_x = (rec.deltas[0] @ rec.weights[0].T)[0]
    assert [round(g, 2) for g in grad_x] == [0.39, -0.59]
    # Exact values: σ′(1) = σ(1)(1 − σ(1)) times the other factor of each product
    s = f * (1 - f)
    np.testing.assert_allclose(grad_w, [-s, -2 * s, s], rtol=1e-14)
    # The circuit is symmetric in w and x: a network with the roles swapped gives ∂f/∂x as its ∂/∂W.
    swapped = Network([2, 1], output_activation="sigmoid", loss="mse", seed=0)
    swapped.weights[0] = [[-1.0], [-2.0]]
    swapped.biases[0] = [-3.0]
    rec_x = swapped.backprop([[2.0, -3.0]], [f - 1.0])
    np.testing.assert_allclose(rec_x.grad_weights[0][:, 0], grad_x, rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# Limits at the door: checked before anything is allocated


@pytest.mark.parametrize(
    ("sizes", "match"),
    [
        ([2, 4097, 1], r"sizes\[1\] must be an integer from 1 to 4,096; got 4097"),
        ([2, 10**8, 2], r"sizes\[1\] must be an integer from 1 to 4,096"),
        ([2, 2**62, 2], r"sizes\[1\] must be an integer from 1 to 4,096"),
        ([2, 10**5000, 2], r"sizes\[1\] .*an integer of about 5000 digits"),
        ([1000, 1000, 2], r"make 1,003,002 parameters; a network may have at most 1,000,000"),
        ([2] + [1] * 101, "at most 101 entries"),
    ],
)
def test_network_size_limits_are_value_errors_before_any_allocation(sizes, match):
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        Network(sizes)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 2**20, (elapsed, peak)  # before: 8-20 s and 3-4 GB for [2, 10**8, 2]


def test_an_endless_generator_of_sizes_is_refused():
    import itertools

    with pytest.raises(ValueError, match="at most 101 entries"):
        Network(itertools.repeat(2))
    with pytest.raises(ValueError, match="activation must be one name or 1 names"):
        Network([2, 2, 1], activation=itertools.repeat("tanh"))


def test_the_largest_allowed_network_builds_and_runs():
    net = Network([2, 4096, 240, 1], seed=0)
    assert net.n_parameters <= 1_000_000
    rec = net.backprop(np.ones((3, 2)), [0.0, 1.0, 0.5])
    assert rec.finite


def test_from_dict_checks_everything_before_building_a_network(monkeypatch):
    good = Network([2, 3, 1], seed=0).to_dict()
    built = []
    original = Network.__init__

    def counting_init(self, *args, **kwargs):
        built.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Network, "__init__", counting_init)
    for change in (
        {"frozen": ["W1[0,0]", "W9[0,0]"]},
        {"parameters": good["parameters"][:-1]},
        {"parameters": good["parameters"][:-1] + [float("nan")]},
        {"sizes": [2, 10**9, 1]},
    ):
        with pytest.raises(ValueError, match="data"):
            Network.from_dict({**good, **change})
    assert built == [], "a malformed dict must not get as far as building a network"
    Network.from_dict(good)
    assert len(built) == 1


def test_load_of_a_shared_file_with_a_huge_layer_is_refused_fast(tmp_path):
    import time

    d = Network([2, 3, 1], seed=0).to_dict()
    d["sizes"] = [2, 2**62, 2]
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(d))
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"data\['sizes'\]\[1\]"):
        Network.load(path)
    assert time.perf_counter() - start < 0.5


def test_backprop_refuses_a_record_too_large_to_keep(monkeypatch):
    from explainer.engine import network as network_module

    net = Network([2, 3, 1], seed=0)  # 6 numbers a sample
    monkeypatch.setattr(network_module, "MAX_RECORD_VALUES", 60)
    net.backprop(np.ones((10, 2)), np.ones(10))
    with pytest.raises(ValueError, match=r"X has 11 samples; a record of this network .* keeps at most 10"):
        net.backprop(np.ones((11, 2)), np.ones(11))
    assert np.isfinite(net.loss_value(np.ones((1000, 2)), np.ones(1000)))  # losses and training take them all


def test_blocked_passes_equal_the_single_pass(monkeypatch):
    """Large batches go in blocks of samples; the loss, gradient and outputs do not change (to rounding)."""
    from explainer.engine import network as network_module

    net, (X, y) = mixed_net(), data(50)
    Y = net.check_y(y, 50)
    rec = net.backprop(X, y)
    out = net.forward(X)
    monkeypatch.setattr(network_module, "BLOCK_VALUES", 7 * 14)  # 7 samples a block (14 units a sample)
    assert len(net._blocks(50)) == 8
    loss, grad = net.gradient(X, Y)
    assert loss == pytest.approx(rec.loss, rel=1e-14)
    np.testing.assert_allclose(grad, rec.gradient_vector(), rtol=1e-12, atol=1e-17)
    np.testing.assert_allclose(net.forward(X), out, rtol=1e-15)
    np.testing.assert_allclose(net.per_sample_losses(X, Y), rec.sample_losses, rtol=1e-15)
    assert net.mean_loss(X, Y) == pytest.approx(rec.loss, rel=1e-14)


# ---------------------------------------------------------------------------------------------
# The engine's own API: no private members needed


def test_named_internal_api():
    net, (X, y) = mixed_net(), data(4)
    Xa, Y = net.check_X(X), net.check_y(y, 4)
    rec = net.backprop(X, y)
    p = net.forward_pass(Xa)
    np.testing.assert_array_equal(p.a[-1], rec.output)
    assert net.layer_functions == tuple(ACTIVATIONS[n] for n in net.layer_activations)
    assert net.loss_function.name == "mse"
    loss, grad = net.gradient(Xa, Y)
    assert loss == rec.loss and grad.shape == (net.n_parameters,)
    np.testing.assert_array_equal(net.per_sample_losses(Xa, Y), rec.sample_losses)
    assert net.mean_loss(Xa, Y) == net.loss_value(X, y) == rec.loss
    net.theta[0] = 0.25  # a live view
    assert net.get("W1[0,0]") == 0.25 and net.parameters[0] == 0.25
    with pytest.raises(ValueError, match="X_test must have 3 feature columns"):
        net.check_X(np.ones((2, 5)), "X_test")
    with pytest.raises(ValueError, match=r"y_test must have shape \(2, 2\)"):
        net.check_y(np.ones(3), 2, "y_test")
    assert net._check_X is not None and net._check_y is not None  # old names, kept for the apps


def test_every_layer_back_propagates_through_activation_backward():
    """One way through an activation: the hidden layers and the output layer both call Activation.backward."""
    import dataclasses

    calls = []

    @dataclasses.dataclass(frozen=True)
    class Spy(type(ACTIVATIONS["tanh"])):
        def backward(self, z, a, grad_a):
            calls.append(self.name)
            return super().backward(z, a, grad_a)

    net = Network([2, 3, 3, 1], activation="tanh", output_activation="tanh", loss="mse", seed=0)
    before = net.backprop([[0.1, 0.2]], [0.3])
    spy = Spy(**{f.name: getattr(ACTIVATIONS["tanh"], f.name) for f in dataclasses.fields(Spy)})
    net._acts[:] = [spy, spy, spy]
    after = net.backprop([[0.1, 0.2]], [0.3])
    assert calls == ["tanh", "tanh", "tanh"]  # output layer (via the loss), then hidden layers 2 and 1
    np.testing.assert_array_equal(after.gradient_vector(), before.gradient_vector())


def test_copy_keeps_parameters_and_frozen_flags_and_is_independent_of_from_dict():
    net = mixed_net()
    net.freeze("W2", "b3[1]")
    twin = net.copy()
    assert twin.frozen == net.frozen and twin.layer_activations == net.layer_activations
    np.testing.assert_array_equal(twin.parameters, net.parameters)
    twin.theta[:] = 0.0
    assert not np.all(net.parameters == 0.0)


def test_parameter_names_are_computed_without_a_table():
    net = Network([2, 4096, 240, 1], seed=0)
    assert net.index_of("W2[4095,239]") == 3 * 4096 + 4095 * 240 + 239
    assert net.index_of(" b3[ 0 ] ") == net.n_parameters - 1
    assert net._p.names._list is None, "no list of a million names unless someone asks for it"
    assert net.frozen == []
    net.freeze("b2")
    assert net.frozen == [f"b2[{j}]" for j in range(240)]


# ---------------------------------------------------------------------------------------------
# ∂L/∂x: the record keeps the gradient with respect to the inputs


@pytest.mark.parametrize("key", list(NETS))
def test_grad_inputs_is_delta1_times_W1_transposed_and_matches_finite_differences(key):
    make, get_data = NETS[key]
    net = make()
    X, y = get_data(4)
    rec = net.backprop(X, y)
    assert rec.grad_inputs.shape == X.shape and not rec.grad_inputs.flags.writeable
    np.testing.assert_allclose(rec.grad_inputs, rec.deltas[0] @ rec.weights[0].T, rtol=1e-14, atol=1e-17)
    h = 1e-5
    numeric = np.zeros_like(X)
    for s, j in np.ndindex(X.shape):
        e = np.zeros_like(X)
        e[s, j] = h
        numeric[s, j] = (net.loss_value(X + e, y) - net.loss_value(X - e, y)) / (2 * h)
    np.testing.assert_allclose(rec.grad_inputs, numeric, rtol=1e-6, atol=1e-10)


def test_grad_inputs_in_the_exports(tmp_path):
    net, (X, y) = mixed_net(), data(2)
    rec = net.backprop(X, y)
    d = json.loads(rec.to_json())
    np.testing.assert_array_equal(np.array(d["grad_inputs"]), rec.grad_inputs)
    rows = parse_record_csv(rec.to_csv())
    got = {(r["sample"], r["column"]): float(r["value"]) for r in rows if r["quantity"] == "dL_dx"}
    assert all(r["layer"] == "0" for r in rows if r["quantity"] == "dL_dx")
    for s, j in np.ndindex(X.shape):
        assert got[(str(s), str(j))] == rec.grad_inputs[s, j]


@pytest.mark.parametrize("key", list(NETS))
def test_grad_inputs_matches_pytorch(key):
    torch = pytest.importorskip("torch")
    make, get_data = NETS[key]
    net = make()
    X, y = get_data(5)
    rec = net.backprop(X, y)
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    a = x
    fns = {
        "tanh": torch.tanh,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "softmax": lambda z: torch.softmax(z, dim=-1),
    }
    for W, b, name in zip(net.weights, net.biases, net.layer_activations):
        z = a @ torch.tensor(np.array(W)) + torch.tensor(np.array(b))
        a = fns[name](z)
    Y = torch.tensor(rec.targets)
    if net.loss == "mse":
        loss = 0.5 * ((a - Y) ** 2).sum(dim=-1).mean()
    elif net.loss == "bce":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, Y, reduction="none").sum(dim=-1).mean()
    else:
        loss = -(Y * torch.log_softmax(z, dim=-1)).sum(dim=-1).mean()
    loss.backward()
    np.testing.assert_allclose(rec.grad_inputs, x.grad.numpy(), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# A saturated sigmoid: σ(−40) is not 0, and bce's ∂L/∂a is the true −2.354e17, not −1e300


def test_saturated_sigmoid_bce_record_has_the_true_gradient():
    net = Network([1, 1], output_activation="sigmoid", loss="bce", init="zeros")
    net.weights[0] = [[1.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = net.backprop([[-40.0]], [1.0])  # z = −40, y = 1
    a = rec.output[0, 0]
    assert a == pytest.approx(4.248354255291589e-18, rel=1e-14, abs=0)  # before: exactly 0.0
    assert rec.grad_activations[-1][0, 0] == pytest.approx(-(2 + 2 * np.cosh(40.0)), rel=1e-14)  # −2.354e17
    assert rec.derivatives[-1][0, 0] == pytest.approx(4.248354255291589e-18, rel=1e-12, abs=0)
    assert rec.deltas[-1][0, 0] == pytest.approx(a - 1.0, rel=1e-15)
    assert rec.loss == pytest.approx(40.0, rel=1e-15)
