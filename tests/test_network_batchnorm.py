"""Tests for Network(..., batch_norm=...): batch norm between a hidden layer's zˡ and its activation.

Independent references: PyTorch float64 (``nn.Linear``, ``nn.BatchNorm1d`` in training mode, the activation)
over random sizes, batch sizes ≥ 2, activations, losses and per-layer flags; and central finite differences
of the mean loss (the engine's gradcheck, and a plain stencil written here). Then the record (μ, σ², x̂, the
output, ∂L/∂γ, ∂L/∂β and the three paths of ∂L/∂z), the names γ and β go by, training, files, the checks at
the door, and a network without batch norm left exactly as it was.

∂L/∂z through batch norm is a difference of terms that nearly cancel (its paths through x̂ and μ), so its
error, and that of what is computed from it (∂L/∂W and ∂L/∂b below it, ∂L/∂x), is measured relative to the
size of the numbers being subtracted: the largest |path| of the layer, carried down the network.
"""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer import Network, Record
from explainer.engine import network as network_module
from explainer.engine.batchnorm import BatchNormRecord
from explainer.engine.gradcheck import gradcheck
from explainer.engine.session import TrainingSession
from explainer.engine.training import train

TOL = 1e-10
HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")


@st.composite
def networks(draw, hidden=HIDDEN):
    """A random MLP with batch norm on at least one hidden layer, a batch of 2 to 40 samples and its data."""
    n_hidden = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 5))] + [draw(st.integers(1, 6)) for _ in range(n_hidden)]
    loss = draw(st.sampled_from(["mse", "bce", "cross_entropy"]))
    sizes.append(draw(st.integers(2, 4)) if loss == "cross_entropy" else draw(st.integers(1, 4)))
    flags = draw(st.lists(st.booleans(), min_size=n_hidden, max_size=n_hidden).filter(any))
    output = {"mse": draw(st.sampled_from(["sigmoid", "tanh", "identity"])), "bce": "sigmoid"}.get(loss, "softmax")
    return {
        "sizes": sizes,
        "activation": [draw(st.sampled_from(hidden)) for _ in range(n_hidden)],
        "output_activation": output,
        "loss": loss,
        "batch_norm": flags,
        "n": draw(st.integers(2, 40)),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


def build(case):
    """The network of ``case`` with random γ and β (not 1 and 0: a test of γ's place in the formulas), and data."""
    spec = {k: case[k] for k in ("sizes", "activation", "output_activation", "loss", "batch_norm")}
    net = Network(**spec, seed=case["seed"])
    rng = np.random.default_rng(case["seed"])
    for gamma, beta in zip(net.gammas, net.betas):
        if gamma is not None:
            gamma[...] = rng.uniform(0.5, 2.0, size=gamma.shape) * rng.choice([-1.0, 1.0], size=gamma.shape)
            beta[...] = rng.normal(size=beta.shape)
    n, n_out = case["n"], case["sizes"][-1]
    X = rng.normal(size=(n, case["sizes"][0])) * rng.choice([0.1, 1.0, 5.0])
    y = rng.integers(0, n_out, size=n) if case["loss"] == "cross_entropy" else rng.uniform(size=(n, n_out))
    return net, X, y


def err(ours, reference, scale=None) -> float:
    """max |ours − reference| / scale, scale = max |reference| unless given."""
    reference = np.asarray(reference, dtype=np.float64)
    scale = float(np.abs(reference).max(initial=0.0)) if scale is None else scale
    diff = float(np.abs(np.asarray(ours) - reference).max(initial=0.0))  # NaN if either holds one: it fails
    return 0.0 if diff == 0.0 else diff / max(scale, 1e-300)


# ---------------------------------------------------------------------------------------------------------------
# Against PyTorch: nn.Linear, nn.BatchNorm1d (training mode) and the activation, float64.

TORCH_ACTS = {
    "sigmoid": lambda t, z: t.sigmoid(z),
    "tanh": lambda t, z: t.tanh(z),
    "relu": lambda t, z: t.relu(z),
    "leaky_relu": lambda t, z: t.nn.functional.leaky_relu(z, 0.01),
    "identity": lambda t, z: z,
    "softmax": lambda t, z: t.softmax(z, dim=-1),
}


def torch_run(torch, net, X, Y):
    """The same network as torch modules; returns the loss, every tensor that had its gradient kept, the modules."""
    linears, norms = [], []
    for layer, (W, b) in enumerate(zip(net.weights, net.biases)):
        lin = torch.nn.Linear(W.shape[0], W.shape[1], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(np.array(W).T))  # torch keeps (out, in)
            lin.bias.copy_(torch.tensor(np.array(b)))
        linears.append(lin)
        norm = None
        if net.gammas[layer] is not None:
            norm = torch.nn.BatchNorm1d(W.shape[1], eps=1e-5, momentum=0.1, dtype=torch.float64)
            norm.train()
            with torch.no_grad():
                norm.weight.copy_(torch.tensor(np.array(net.gammas[layer])))
                norm.bias.copy_(torch.tensor(np.array(net.betas[layer])))
        norms.append(norm)
    x = torch.tensor(X, requires_grad=True)
    a, kept = x, {"z": [], "y": [], "a": []}
    for lin, norm, name in zip(linears, norms, net.layer_activations):
        z = lin(a)
        z.retain_grad()
        y = z if norm is None else norm(z)
        if norm is not None:
            y.retain_grad()
        a = TORCH_ACTS[name](torch, y)
        kept["z"].append(z)
        kept["y"].append(y)
        kept["a"].append(a)
    Yt = torch.tensor(Y)
    if net.loss == "mse":
        loss = 0.5 * ((a - Yt) ** 2).sum(dim=1).mean()
    elif net.loss == "bce":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, Yt, reduction="none").sum(dim=1).mean()
    else:
        loss = -(Yt * torch.log_softmax(z, dim=-1)).sum(dim=1).mean()
    loss.backward()
    return loss, x, kept, linears, norms


def compare_with_torch(case) -> dict[str, float]:
    """Every number of one record against torch: the relative errors by name (asserted by the callers)."""
    torch = pytest.importorskip("torch")
    net, X, y = build(case)
    rec = net.backprop(X, y)
    loss, x, kept, linears, norms = torch_run(torch, net, X, rec.targets)
    n = X.shape[0]
    errors = {"loss": err(rec.loss, loss.item()), "output": err(rec.output, kept["a"][-1].detach().numpy())}

    # The size of the terms each gradient is a sum of, carried down from the loss: a gradient that cancels to
    # about 0 (∂L/∂β under a second batch norm, δ of a batch of 2) is measured against them, not against 0.
    def biggest(*arrays):
        return max(max(float(np.abs(np.asarray(a)).max(initial=0.0)) for a in arrays), 1e-300)

    terms = biggest(kept["z"][-1].grad.numpy())  # δᴸ: no cancellation above it
    for layer in range(net.n_layers - 1, -1, -1):
        r, z_ref, lin = rec.batch_norms[layer], kept["z"][layer], linears[layer]
        if layer < net.n_layers - 1:  # ∂L/∂aˡ = δˡ⁺¹ (Wˡ⁺¹)ᵀ, then through f′ (and the batch norm)
            into_a = terms * biggest(net.weights[layer + 1]) * net.sizes[layer + 2]
            into_y = into_a * biggest(rec.derivatives[layer])
            terms = into_y if r is None else into_y * biggest(r.gamma) * biggest(r.inv_std) * 3
            terms = max(terms, biggest(z_ref.grad.numpy()))
        errors[f"delta{layer + 1}"] = err(rec.deltas[layer], z_ref.grad.numpy(), terms)
        errors[f"W{layer + 1}"] = err(
            rec.grad_weights[layer], lin.weight.grad.numpy().T, terms * n * max(biggest(rec.activations[layer]), 1.0)
        )
        errors[f"b{layer + 1}"] = err(rec.grad_biases[layer], lin.bias.grad.numpy(), terms * n)
        errors[f"z{layer + 1}"] = err(rec.preactivations[layer], z_ref.detach().numpy())
        errors[f"a{layer + 1}"] = err(rec.activations[layer + 1], kept["a"][layer].detach().numpy())
        if r is not None:
            norm, z = norms[layer], z_ref.detach()
            g_ref = kept["y"][layer].grad.numpy()
            g_terms = max(into_y, biggest(g_ref))
            errors[f"output{layer + 1}"] = err(r.output, kept["y"][layer].detach().numpy())
            errors[f"grad_output{layer + 1}"] = err(r.grad_output, g_ref, g_terms)
            errors[f"gamma{layer + 1}"] = err(r.grad_gamma, norm.weight.grad.numpy(), g_terms * n * biggest(r.x_hat))
            errors[f"beta{layer + 1}"] = err(r.grad_beta, norm.bias.grad.numpy(), g_terms * n)
            z_size = biggest(z.numpy())  # μ may be 0 to rounding: measured against |z|
            errors[f"mu{layer + 1}"] = err(r.mean, z.mean(dim=0).numpy(), z_size)
            var_ref = z.var(dim=0, unbiased=False).numpy()  # of nearly equal z: against |z|·|z − μ| too
            errors[f"var{layer + 1}"] = err(r.var, var_ref, max(biggest(var_ref), z_size * np.sqrt(biggest(var_ref))))
            # BatchNorm1d's own statistics: one step of its running averages from (0, 1), the variance unbiased.
            errors[f"running_mean{layer + 1}"] = err(0.1 * r.mean, norm.running_mean.numpy(), 0.1 * z_size)
            errors[f"running_var{layer + 1}"] = err(0.9 + 0.1 * r.var * n / (n - 1), norm.running_var.numpy())
            x_hat = (z - z.mean(dim=0)) / torch.sqrt(z.var(dim=0, unbiased=False) + 1e-5)
            # x − μ of nearly equal z cancels: against |z|/√(σ² + ε), the size of what is subtracted.
            errors[f"x_hat{layer + 1}"] = err(r.x_hat, x_hat.numpy(), max(biggest(x_hat), z_size * biggest(r.inv_std)))
    errors["grad_inputs"] = err(
        rec.grad_inputs, x.grad.numpy(), max(terms * biggest(net.weights[0]) * net.sizes[1], biggest(x.grad.numpy()))
    )
    return errors


@settings(max_examples=100, deadline=None)
@given(networks())
def test_the_record_matches_pytorch_batchnorm1d_in_training_mode(case):
    errors = compare_with_torch(case)
    worst = max(errors, key=lambda k: -1.0 if errors[k] <= TOL else np.inf)  # a NaN is not ≤ TOL either
    assert errors[worst] <= TOL, f"{worst}: relative error {errors[worst]:.2e} > {TOL:.0e} ({case})"


@pytest.mark.parametrize("n", [2, 3, 64])
def test_a_wide_network_against_pytorch_at_small_and_large_batches(n):
    case = dict(sizes=[4, 16, 16, 3], activation=["relu", "tanh"], output_activation="softmax",
                loss="cross_entropy", batch_norm=[True, True], n=n, seed=n)  # fmt: skip
    errors = compare_with_torch(case)
    assert all(e <= TOL for e in errors.values()), errors


def test_training_follows_pytorch_step_by_step():
    """20 SGD steps of the engine's train and of torch.optim.SGD on the same modules, full batch."""
    torch = pytest.importorskip("torch")
    case = dict(sizes=[3, 5, 4, 1], activation=["tanh", "sigmoid"], output_activation="sigmoid", loss="bce",
                batch_norm=[True, False], n=12, seed=7)  # fmt: skip
    net, X, y = build(case)
    Y = net.check_y(y, X.shape[0])
    twin = net.copy()
    history = train(net, X, y, lr=0.3, steps=20)
    _, _, _, linears, norms = torch_run(torch, twin, X, Y)
    params = [p for m in linears + [m for m in norms if m is not None] for p in m.parameters()]
    opt = torch.optim.SGD(params, lr=0.3)
    for _ in range(20):
        opt.zero_grad()
        a = torch.tensor(X)
        for lin, norm, name in zip(linears, norms, twin.layer_activations):
            z = lin(a)
            a = TORCH_ACTS[name](torch, z if norm is None else norm(z))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(Y), reduction="none").sum(1).mean()
        loss.backward()
        opt.step()
    assert err(np.array(net.weights[0]), linears[0].weight.detach().numpy().T) <= 1e-9
    assert err(np.array(net.gammas[0]), norms[0].weight.detach().numpy()) <= 1e-9
    assert err(np.array(net.betas[0]), norms[0].bias.detach().numpy()) <= 1e-9
    assert history.train_loss[-1] < history.train_loss[0]


# ---------------------------------------------------------------------------------------------------------------
# Against finite differences (no torch).


# Smooth activations only: a finite difference across a ReLU's kink (a z within 2h of 0) is not a derivative.
@settings(max_examples=40, deadline=None)
@given(networks(hidden=("sigmoid", "tanh", "identity")))
def test_gradients_match_finite_differences(case):
    net, X, y = build(case)
    # The loss bends on the scale of the smallest √(σ² + ε) over |x|: a batch of 2 can have σ² ≈ 10⁻⁵, where
    # h = 10⁻⁴ misses by 5 % and 3·10⁻⁶ hits to 10⁻⁷, while elsewhere the small steps are the ones whose
    # rounding shows (≈ 10⁻¹⁶·L/h). The step where the two balance is one of three decades: it must agree.
    reports = [gradcheck(net, X, y, h=h) for h in (1e-4, 1e-5, 1e-6)]
    best = min(reports, key=lambda r: r.max_rel_error)
    assert best.ok(1e-5), best.table()


def test_the_three_paths_and_the_gamma_beta_gradients_match_a_plain_stencil():
    """∂L/∂γ, ∂L/∂β by nudging γ and β; ∂L/∂x through a batch-norm layer by nudging each input."""
    case = dict(sizes=[3, 4, 2], activation=["tanh"], output_activation="identity", loss="mse",
                batch_norm=[True], n=5, seed=3)  # fmt: skip
    net, X, y = build(case)
    rec = net.backprop(X, y)
    r, h = rec.batch_norms[0], 1e-6

    def numeric(arr):
        grad = np.zeros_like(arr)
        for index in np.ndindex(arr.shape):
            old = arr[index]
            arr[index] = old + h
            up = net.loss_value(X, y)
            arr[index] = old - h
            down = net.loss_value(X, y)
            arr[index] = old
            grad[index] = (up - down) / (2 * h)
        return grad

    assert err(r.grad_gamma, numeric(net.gammas[0])) <= 1e-7
    assert err(r.grad_beta, numeric(net.betas[0])) <= 1e-7
    assert err(rec.grad_inputs, numeric(X)) <= 1e-7


# ---------------------------------------------------------------------------------------------------------------
# The record.


@pytest.fixture
def bn():
    net = Network([3, 4, 5, 2], activation=["tanh", "relu"], batch_norm=[True, False], seed=1)
    X = np.random.default_rng(1).normal(size=(6, 3))
    y = np.random.default_rng(2).uniform(size=(6, 2))
    return net, X, y


def test_the_record_keeps_each_batch_norm_step(bn):
    net, X, y = bn
    rec = net.backprop(X, y)
    assert rec.batch_norm == (True, False) == net.batch_norm
    assert len(rec.batch_norms) == rec.n_layers and rec.batch_norms[1] is None and rec.batch_norms[2] is None
    r = rec.batch_norms[0]
    assert isinstance(r, BatchNormRecord) and r.eps == 1e-5
    z = rec.preactivations[0]
    np.testing.assert_array_equal(r.x, z)
    np.testing.assert_allclose(r.mean, z.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(r.var, z.var(axis=0), rtol=1e-14)
    np.testing.assert_allclose(r.x_hat, (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5), rtol=1e-13)
    np.testing.assert_array_equal(r.output, r.gamma * r.x_hat + r.beta)
    np.testing.assert_array_equal(rec.activations[1], np.tanh(r.output))  # a¹ = f(y¹), not f(z¹)
    np.testing.assert_array_equal(rec.derivatives[0], 1 - np.tanh(r.output) ** 2)
    np.testing.assert_array_equal(r.grad_output, rec.derivatives[0] * rec.grad_activations[0])  # ∂L/∂y = f′ ⊙ ∂L/∂a
    # δ¹ = ∂L/∂z¹ is the sum of its three recorded paths, exactly; the path through μ is one row for all samples.
    np.testing.assert_array_equal(rec.deltas[0], r.grad_input_via_x_hat + r.grad_input_via_mean + r.grad_input_via_var)
    np.testing.assert_array_equal(r.grad_input, rec.deltas[0])
    assert np.all(r.grad_input_via_mean == r.grad_input_via_mean[0])
    np.testing.assert_allclose(r.grad_input_via_var, r.grad_var * 2 * r.centered / 6, rtol=1e-14)
    np.testing.assert_allclose(r.grad_gamma, (r.grad_output * r.x_hat).sum(0), rtol=1e-14)
    np.testing.assert_array_equal(r.grad_beta, r.grad_output.sum(0))
    # The mean subtracts b¹ out: its gradient is zero to rounding (Σ over samples of δ¹).
    assert np.abs(rec.grad_biases[0]).max() <= 1e-15 * np.abs(r.grad_input_via_x_hat).max() * 6
    # The layers without batch norm are as before: δ = f′ ⊙ ∂L/∂a.
    np.testing.assert_allclose(rec.deltas[1], rec.derivatives[1] * rec.grad_activations[1], rtol=1e-15)


def test_the_batch_norm_arrays_are_read_only_copies(bn):
    net, X, y = bn
    rec = net.backprop(X, y)
    r = rec.batch_norms[0]
    for key in BatchNormRecord.__dataclass_fields__:
        value = getattr(r, key)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, key
            with pytest.raises(ValueError):
                value[...] = 0.0
    gamma_then = r.gamma.copy()
    net.gammas[0][...] = 7.0  # the network moves on; the record does not
    np.testing.assert_array_equal(r.gamma, gamma_then)
    assert not np.shares_memory(r.x, rec.preactivations[0])


def test_gradient_vector_and_names_include_gamma_and_beta(bn):
    net, X, y = bn
    rec = net.backprop(X, y)
    names = net.parameter_names
    assert rec.parameter_names == names and len(names) == net.n_parameters == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2 + 8
    assert names[-8:] == [f"gamma1[{j}]" for j in range(4)] + [f"beta1[{j}]" for j in range(4)]
    vec = rec.gradient_vector()
    np.testing.assert_array_equal(vec[names.index("gamma1[2]")], rec.batch_norms[0].grad_gamma[2])
    np.testing.assert_array_equal(vec[names.index("beta1[3]")], rec.batch_norms[0].grad_beta[3])
    _, grad = net.gradient(net.check_X(X), net.check_y(y, 6))  # the hot path writes the same numbers
    np.testing.assert_array_equal(grad, vec)
    assert rec.finite


def test_exports_carry_the_batch_norm_steps(bn, tmp_path):
    net, X, y = bn
    rec = net.backprop(X, y)
    d = json.loads(rec.to_json(tmp_path / "r.json"))
    assert d["batch_norms"][1] is None and d["batch_norms"][0]["eps"] == 1e-5
    np.testing.assert_array_equal(
        np.array(d["batch_norms"][0]["grad_input_via_mean"]), rec.batch_norms[0].grad_input_via_mean
    )
    np.testing.assert_array_equal(np.array(d["batch_norms"][0]["mean"]), rec.batch_norms[0].mean)
    rows = [line.split(",") for line in rec.to_csv().splitlines()[1:]]
    got = {(q, layer, s, j): float(v) for q, layer, s, _, j, v in rows}
    assert got[("bn_x_hat", "1", "5", "3")] == rec.batch_norms[0].x_hat[5, 3]
    assert got[("bn_grad_input_via_var", "1", "0", "1")] == rec.batch_norms[0].grad_input_via_var[0, 1]
    assert got[("bn_var", "1", "", "2")] == rec.batch_norms[0].var[2]
    assert got[("bn_grad_gamma", "1", "", "0")] == rec.batch_norms[0].grad_gamma[0]
    assert not any(q.startswith("bn_") and layer != "1" for q, layer, *_ in got)
    # 17 arrays of the step are written (x and grad_input are z¹ and δ¹, written already): 8 (6, 4), 9 (4,).
    assert rec.n_values == Network([3, 4, 5, 2]).backprop(X, y).n_values + 8 * 24 + 9 * 4
    assert sum(1 for q, *_ in got if q.startswith("bn_")) == 8 * 24 + 9 * 4


# ---------------------------------------------------------------------------------------------------------------
# Names, freezing, training, copies and files.


def test_gamma_and_beta_by_name(bn):
    net, _, _ = bn
    assert net.get("gamma1[0]") == 1.0 and net.get("beta1[3]") == 0.0
    net.set("gamma1[2]", 1.5)
    net["beta1[0]"] = -0.25
    assert net.gammas[0][2] == 1.5 and net.betas[0][0] == -0.25
    assert net.theta[net.index_of("gamma1[2]")] == 1.5
    for bad in ("gamma2[0]", "gamma1[4]", "beta3[0]", "gamma1[0,0]", "gamma1"):
        with pytest.raises(ValueError, match="parameter name must be one of this network's parameters"):
            net.get(bad)
    with pytest.raises(ValueError, match=r"gammas\[1\]: layer 2 has no batch norm"):
        net.gammas[1] = [1.0] * 5
    net.gammas[0] = [2.0, 2.0, 2.0, 2.0]
    assert net.get("gamma1[3]") == 2.0


def test_freeze_gamma_and_beta_and_train_the_rest(bn):
    net, X, y = bn
    net.freeze("gamma1", "beta1[1]")
    assert net.frozen == [f"gamma1[{j}]" for j in range(4)] + ["beta1[1]"]
    before = net.parameters
    h = train(net, X, y, lr=0.5, steps=30)
    after = net.parameters
    moved = after != before
    names = np.array(net.parameter_names)
    assert not moved[[net.index_of(n) for n in net.frozen]].any()
    assert moved[net.index_of("beta1[0]")] and moved[net.index_of("W1[0,0]")]
    assert h.parameter_names == net.parameter_names and h.parameters.shape[1] == len(names)
    assert h.train_loss[-1] < h.train_loss[0]
    rec = net.backprop(X, y)
    assert rec.batch_norms[0].grad_gamma.any()  # frozen is not zero gradient: only held fixed
    with pytest.raises(
        ValueError, match=r"freeze: layer 2 in 'gamma2' has no batch norm \(layers with batch norm: 1\)"
    ):
        net.freeze("gamma2")


def test_mini_batches_and_a_session(bn):
    net, X, y = bn
    X, y = np.tile(X, (2, 1)), np.tile(y, (2, 1))  # 12 samples: batches of 4
    h = train(net.copy(), X, y, lr=0.2, steps=9, batch_size=4, seed=0)
    assert len(h) == 10 and np.all(np.isfinite(h.train_loss))
    session = TrainingSession(net, X, y, lr=0.2, batch_size=4)
    session.step(6)
    session.undo(3)
    np.testing.assert_array_equal(net.parameters, session.history.parameters[3])
    rec = session.record()
    assert rec.batch_norms[0] is not None


def test_copy_dict_file_and_repr_keep_the_batch_norm(bn, tmp_path):
    net, X, y = bn
    net.set("gamma1[1]", 0.75)
    net.freeze("beta1[2]")
    d = net.to_dict()
    assert d["batch_norm"] == [True, False] and len(d["parameters"]) == net.n_parameters
    assert json.loads(json.dumps(d)) == d
    net.save(tmp_path / "bn.json")
    for twin in (net.copy(), Network.from_dict(d), Network.load(tmp_path / "bn.json")):
        assert twin.batch_norm == (True, False) and twin.frozen == ["beta1[2]"]
        np.testing.assert_array_equal(twin.parameters, net.parameters)
        assert twin.backprop(X, y).to_dict() == net.backprop(X, y).to_dict()
    assert repr(net).endswith("loss='mse', batch_norm=[True, False])")
    assert repr(Network([2, 3, 3, 1], batch_norm=True)).endswith("batch_norm=True)")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"batch_norm": [True]}, r"data\['batch_norm'\] must be True, False or 2 flags"),
        ({"batch_norm": "yes"}, r"data\['batch_norm'\] must be True, False or one True/False per hidden layer"),
        ({"batch_norm": [True, 1]}, r"data\['batch_norm'\]\[1\] must be True or False"),
        ({"batch_norm": [False, False]}, r"data\['parameters'\] must have length 53"),
        ({"frozen": ["gamma2[0]"]}, r"data\['frozen'\]: freeze: parameter name must be one of"),
    ],
)
def test_from_dict_checks_the_batch_norm_entries(bn, change, match):
    d = {**bn[0].to_dict(), **change}
    with pytest.raises(ValueError, match=match):
        Network.from_dict(d)


# ---------------------------------------------------------------------------------------------------------------
# At the door.


def test_a_batch_of_one_is_refused_clearly(bn):
    net, X, y = bn
    message = "batch norm needs at least 2 samples in a batch"
    for call in (
        lambda: net.backprop(X[:1], y[:1]),
        lambda: net.backprop(X[0], y[0]),
        lambda: net.forward(X[:1]),
        lambda: net.loss_value(X[:1], y[:1]),
        lambda: net.gradient(X[:1], y[:1]),
        lambda: net.mean_loss(X[:1], y[:1]),
        lambda: train(net, X[:1], y[:1], steps=1),
        lambda: train(net, X, y, steps=3, batch_size=1),
        lambda: net.check_batches(6, 1),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=r"in a batch \(batch_size 5 over 6 samples leaves a batch of 1\); got 1"):
        net.check_batches(6, 5)
    net.check_batches(6, 4)  # batches of 4 and 2
    net.check_batches(6, 6)
    net.check_batches(2)
    Network([3, 4, 2]).check_batches(1, 1)  # no batch norm: nothing to refuse
    assert np.isfinite(Network([3, 4, 2]).backprop(X[:1], y[:1]).loss)


def test_a_batch_too_large_for_one_pass_is_refused(bn, monkeypatch):
    net, X, y = bn
    monkeypatch.setattr(network_module, "MAX_BATCH_NORM_VALUES", 5 * sum(net.sizes))
    with pytest.raises(ValueError, match="with batch norm a batch is one pass over all its samples.* at most 5"):
        net.forward(X)
    with pytest.raises(ValueError, match="at most 5"):
        net.gradient(X, net.check_y(y, 6))
    net.forward(X[:5])


@pytest.mark.parametrize(
    ("sizes", "value", "match"),
    [
        ([2, 3, 1], [True, True], r"batch_norm must be True, False or 1 flags \(one per hidden layer\)"),
        ([2, 3, 1], "all", "batch_norm must be True, False or one True/False per hidden layer; got 'all'"),
        ([2, 3, 1], 1, "batch_norm must be True, False or one True/False per hidden layer; got 1"),
        ([2, 3, 3, 1], [True, None], r"batch_norm\[1\] must be True or False; got None"),
        ([2, 1], True, r"batch_norm=True puts batch norm on the hidden layers, and sizes \[2, 1\] have none"),
        ([1, 998, 998, 1], True, "with batch norm make 1,003,989 parameters; a network may have at most 1,000,000"),
    ],
)
def test_the_batch_norm_argument_is_checked(sizes, value, match):
    with pytest.raises(ValueError, match=match):
        Network(sizes, batch_norm=value)


def test_the_flags_as_given():
    assert Network([2, 3, 1]).batch_norm == (False,)
    assert Network([2, 3, 1], batch_norm=True).batch_norm == (True,)
    assert Network([2, 3, 3, 1], batch_norm=(False, True)).batch_norm == (False, True)
    assert Network([2, 3, 3, 1], batch_norm=(b for b in (np.True_, False))).batch_norm == (True, False)
    assert Network([2, 1], batch_norm=False).batch_norm == () and Network([2, 1], batch_norm=[]).batch_norm == ()
    net = Network([2, 3, 3, 1], batch_norm=[False, True])
    assert net.gammas[0] is None and net.gammas[1].shape == (3,) and net.gammas[2] is None


def test_a_batch_is_normalised_by_its_own_statistics(bn):
    """Training mode: the output of a sample depends on the batch it is in (the halves differ from the whole)."""
    net, X, _ = bn
    whole = net.forward(X)
    halves = np.concatenate([net.forward(X[:3]), net.forward(X[3:])])
    assert np.abs(whole - halves).max() > 1e-3
    # Shifting every z¹ by the same amount (a bias) changes nothing: the mean takes it out.
    shifted = net.copy()
    shifted.biases[0] = shifted.biases[0] + 3.0
    np.testing.assert_allclose(shifted.forward(X), whole, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------------------------------
# Inference: fixed statistics (a decision boundary, a prediction for one sample).


def test_fixed_statistics_give_the_training_batch_its_own_outputs_and_any_sample_its_prediction(bn):
    net, X, _ = bn
    stats = net.batch_statistics(X)
    assert stats[1] is None and stats[2] is None and stats[0][0].shape == (4,)
    rec = net.backprop(X, np.zeros((6, 2)))
    np.testing.assert_array_equal(stats[0][0], rec.batch_norms[0].mean)
    np.testing.assert_array_equal(stats[0][1], rec.batch_norms[0].var)
    assert not stats[0][0].flags.writeable
    np.testing.assert_allclose(net.forward(X, statistics=stats), net.forward(X), rtol=1e-13, atol=1e-15)
    one = net.forward(X[2], statistics=stats)  # a single sample: its prediction, independent of the others
    np.testing.assert_allclose(one, net.forward(X, statistics=stats)[2:3], rtol=1e-15, atol=0)
    big = np.random.default_rng(5).normal(size=(3000, 3))
    np.testing.assert_allclose(
        net.forward(big, statistics=stats)[:4], net.forward(big[:4], statistics=stats), rtol=1e-15
    )


def test_fixed_statistics_match_pytorch_eval_mode(bn):
    torch = pytest.importorskip("torch")
    net, X, _ = bn
    stats = net.batch_statistics(X)
    X_new = np.random.default_rng(9).normal(size=(5, 3))
    _, _, _, linears, norms = torch_run(torch, net, X_new, np.zeros((5, 2)))
    with torch.no_grad():
        norms[0].running_mean.copy_(torch.tensor(stats[0][0]))
        norms[0].running_var.copy_(torch.tensor(stats[0][1]))
        norms[0].eval()
        a = torch.tensor(X_new)
        for lin, norm, name in zip(linears, norms, net.layer_activations):
            z = lin(a)
            a = TORCH_ACTS[name](torch, z if norm is None else norm(z))
    assert err(net.forward(X_new, statistics=stats), a.numpy()) <= TOL


def test_fixed_statistics_are_checked(bn):
    net, X, _ = bn
    stats = net.batch_statistics(X)
    mean, var = stats[0]
    for bad, match in (
        (stats[:2], r"one entry per layer, \(μ, σ²\) where it has batch norm, None where not \(3 entries\)"),
        ("stats", "3 entries"),
        ((stats[0], stats[0], None), r"statistics\[1\] must be None \(layer 2 has no batch norm\)"),
        ((None, None, None), r"statistics\[0\] must be a pair \(μ, σ²\) for layer 1"),
        (((mean[:3], var), None, None), r"statistics\[0\] must be μ and σ² ≥ 0 of shape \(4,\)"),
        (((mean, -var), None, None), r"statistics\[0\] must be μ and σ² ≥ 0"),
        (((mean, var * np.nan), None, None), r"statistics\[0\]\[1\] must hold only finite numbers"),
    ):
        with pytest.raises(ValueError, match=match):
            net.forward(X, statistics=bad)
    with pytest.raises(ValueError, match="batch norm needs at least 2 samples in a batch"):
        net.batch_statistics(X[:1])
    plain = Network([3, 4, 2])
    np.testing.assert_array_equal(plain.forward(X, statistics=plain.batch_statistics(X)), plain.forward(X))
    assert plain.batch_statistics(X) == (None, None)


# ---------------------------------------------------------------------------------------------------------------
# Without batch norm, everything as before.


def test_without_batch_norm_nothing_changes():
    X = np.random.default_rng(0).normal(size=(5, 3))
    y = np.random.default_rng(1).uniform(size=(5, 2))
    plain, off = Network([3, 4, 2], seed=3), Network([3, 4, 2], seed=3, batch_norm=False)
    a, b = plain.backprop(X, y), off.backprop(X, y)
    assert a.batch_norms == () and a.batch_norm == (False,)
    assert a.to_dict() == b.to_dict() and "batch_norms" not in a.to_dict()
    assert not any(line.startswith("bn_") for line in a.to_csv().splitlines())
    assert "batch_norm" not in plain.to_dict() and "batch_norm" not in repr(plain)
    assert plain.parameter_names == off.parameter_names and not any("gamma" in n for n in plain.parameter_names)
    assert plain.gammas == [None, None] and plain.betas == [None, None]
    assert isinstance(a, Record)


def test_training_doors_refuse_a_batch_of_one_before_any_step():
    from explainer import TrainingSession, train

    net = Network([2, 3, 1], batch_norm=True, seed=0)
    X = np.random.default_rng(0).normal(size=(5, 2))
    y = np.zeros(5)
    start = net.parameters.copy()
    with pytest.raises(ValueError, match="leaves a batch of 1"):
        train(net, X, y, steps=10, batch_size=2)  # 2 + 2 + 1
    with pytest.raises(ValueError, match="at least 2 samples"):
        train(net, X, y, steps=10, X_test=X[:1], y_test=y[:1])
    np.testing.assert_array_equal(net.parameters, start)  # not one step was taken
    with pytest.raises(ValueError, match="leaves a batch of 1"):
        TrainingSession(net, X, y, batch_size=4)
    session = TrainingSession(net, X, y, batch_size=5)
    with pytest.raises(ValueError, match="leaves a batch of 1"):
        session.batch_size = 2
    assert session.batch_size == 5
    with pytest.raises(ValueError, match="at least 2 samples"):
        session.set_data(X[:1], y[:1])
    session.step(3)
    assert session.steps_done == 3
