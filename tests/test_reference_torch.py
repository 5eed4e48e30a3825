"""An independent reference: the same networks in PyTorch autograd (float64).

Forward values, losses, every intermediate gradient and 20-step training trajectories (SGD, SGD with
momentum, Adam) must agree. Each loss convention is matched explicitly:

- mse: ½ Σ_k (a_k − y_k)² per sample, mean over samples (torch's MSELoss is the mean over all entries
  without the ½, so it is built from ``(a - y) ** 2`` here);
- bce: ``binary_cross_entropy_with_logits`` on z, summed over outputs, mean over samples;
- cross_entropy: ``cross_entropy`` on z with integer labels (mean over samples), and with one-hot
  probability targets.

Skipped when torch is not installed (it is a dev-only dependency).
"""

import numpy as np
import pytest

from explainer import SGD, Adam, Momentum, Network, train

torch = pytest.importorskip("torch")
F = torch.nn.functional

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "identity": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=-1),
}


def torch_params(net):
    """Leaf tensors [W1, b1, W2, b2, ...] holding copies of the network's parameters."""
    out = []
    for w, b in zip(net.weights, net.biases):
        out += [torch.tensor(np.array(w), dtype=torch.float64, requires_grad=True)]
        out += [torch.tensor(np.array(b), dtype=torch.float64, requires_grad=True)]
    return out


def torch_forward(net, params, X):
    """(zs, as_) with every tensor retaining its gradient."""
    a = torch.tensor(X, dtype=torch.float64)
    zs, acts = [], []
    for layer, name in enumerate(net.layer_activations):
        z = a @ params[2 * layer] + params[2 * layer + 1]
        z.retain_grad()
        a = TORCH_ACTIVATIONS[name](z)
        if a is not z:
            a.retain_grad()
        zs.append(z)
        acts.append(a)
    return zs, acts


def torch_loss(net, z, a, Y, labels=None):
    """The mean over samples of the per-sample loss, and the per-sample losses."""
    Yt = torch.tensor(Y, dtype=torch.float64)
    if net.loss == "mse":
        per_sample = 0.5 * ((a - Yt) ** 2).sum(dim=1)
    elif net.loss == "bce":
        per_sample = F.binary_cross_entropy_with_logits(z, Yt, reduction="none").sum(dim=1)
    else:
        target = torch.tensor(labels) if labels is not None else Yt
        per_sample = F.cross_entropy(z, target, reduction="none")
    return per_sample.mean(), per_sample


def flat_grad(params):
    return np.concatenate([p.grad.numpy().ravel() for p in params])


CASES = {
    "sigmoid-mse (Mazur's shape)": dict(sizes=[2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse"),
    "tanh-relu-identity-mse": dict(
        sizes=[3, 5, 4, 2], activation=["tanh", "relu"], output_activation="identity", loss="mse"
    ),
    "leaky-bce": dict(sizes=[4, 6, 3], activation="leaky_relu", output_activation="sigmoid", loss="bce"),
    "deep-sigmoid-bce": dict(sizes=[2, 3, 3, 3, 1], activation="sigmoid", output_activation="sigmoid", loss="bce"),
    "softmax-ce": dict(sizes=[3, 5, 4], activation="tanh", output_activation="softmax", loss="cross_entropy"),
    "softmax-mse": dict(sizes=[2, 4, 3], activation="identity", output_activation="softmax", loss="mse"),
    "tanh-output-mse": dict(sizes=[2, 3, 2], activation="relu", output_activation="tanh", loss="mse"),
}


def case(name, n=7, seed=0):
    spec = dict(CASES[name])
    sizes = spec.pop("sizes")
    rng = np.random.default_rng(seed)
    net = Network(sizes, seed=rng, **spec)
    # Non-zero biases, so their gradients are exercised from the first step.
    for b in net.biases:
        b[...] = rng.normal(0.0, 0.3, size=b.shape)
    X = rng.uniform(-1.5, 1.5, size=(n, sizes[0]))
    n_out = sizes[-1]
    if spec["loss"] == "cross_entropy":
        labels = rng.integers(0, n_out, size=n)
        return net, X, labels, labels
    if spec["loss"] == "bce":
        return net, X, (rng.uniform(size=(n, n_out)) > 0.5).astype(float), None
    return net, X, rng.uniform(-1, 1, size=(n, n_out)), None


@pytest.mark.parametrize("name", list(CASES))
def test_forward_loss_and_every_gradient_match_torch(name):
    net, X, y, labels = case(name)
    rec = net.backprop(X, y)
    params = torch_params(net)
    zs, acts = torch_forward(net, params, X)
    loss, per_sample = torch_loss(net, zs[-1], acts[-1], rec.targets, labels)
    loss.backward()

    assert rec.loss == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(rec.sample_losses, per_sample.detach().numpy(), rtol=1e-13)
    for layer in range(net.n_layers):
        np.testing.assert_allclose(rec.preactivations[layer], zs[layer].detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(rec.activations[layer + 1], acts[layer].detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(rec.deltas[layer], zs[layer].grad.numpy(), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(rec.grad_weights[layer], params[2 * layer].grad.numpy(), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(rec.grad_biases[layer], params[2 * layer + 1].grad.numpy(), rtol=1e-10, atol=1e-15)
    # ∂L/∂a of every hidden layer; of the output too when torch's loss is built from a (mse)
    for layer in range(net.n_layers - 1):
        np.testing.assert_allclose(rec.grad_activations[layer], acts[layer].grad.numpy(), rtol=1e-10, atol=1e-15)
    if net.loss == "mse" and net.output_activation != "identity":
        np.testing.assert_allclose(rec.grad_activations[-1], acts[-1].grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rec.gradient_vector(), flat_grad(params), rtol=1e-10, atol=1e-15)


def test_cross_entropy_one_hot_targets_match_torch_probability_targets():
    net, X, labels, _ = case("softmax-ce", seed=1)
    one_hot = np.eye(4)[labels]
    rec = net.backprop(X, one_hot)
    params = torch_params(net)
    zs, acts = torch_forward(net, params, X)
    loss = F.cross_entropy(zs[-1], torch.tensor(one_hot))  # class-probability targets, mean over samples
    loss.backward()
    assert rec.loss == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(rec.gradient_vector(), flat_grad(params), rtol=1e-10, atol=1e-15)
    # and integer labels give the same numbers in both libraries
    assert net.backprop(X, labels).loss == pytest.approx(
        F.cross_entropy(zs[-1], torch.tensor(labels)).item(), rel=1e-13
    )


def test_one_sample_matches_torch():
    net, X, y, _ = case("tanh-relu-identity-mse", n=1, seed=2)
    rec = net.backprop(X[0], y[0])
    params = torch_params(net)
    zs, acts = torch_forward(net, params, X)
    loss, _ = torch_loss(net, zs[-1], acts[-1], y)
    loss.backward()
    np.testing.assert_allclose(rec.gradient_vector(), flat_grad(params), rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# Training trajectories


def torch_trajectory(net, X, y, labels, make_opt, steps, frozen_mask):
    """θ and loss at every step of a torch run, with frozen entries' gradients zeroed."""
    params = torch_params(net)
    opt = make_opt(params)
    masks = []
    offset = 0
    for p in params:
        size = p.numel()
        masks.append(torch.tensor(~frozen_mask[offset : offset + size].reshape(p.shape), dtype=torch.float64))
        offset += size
    Y = net.backprop(X, y).targets
    thetas, losses = [], []
    for _ in range(steps + 1):
        opt.zero_grad()
        zs, acts = torch_forward(net, params, X)
        loss, _ = torch_loss(net, zs[-1], acts[-1], Y, labels)
        loss.backward()
        thetas.append(np.concatenate([p.detach().numpy().ravel().copy() for p in params]))
        losses.append(loss.item())
        for p, m in zip(params, masks):
            p.grad.mul_(m)
        opt.step()
    return np.array(thetas), np.array(losses)


OPTIMIZER_PAIRS = {
    "sgd": (lambda: SGD(0.3), lambda ps: torch.optim.SGD(ps, lr=0.3)),
    # torch: buf ← β buf + (1 − dampening) g, θ ← θ − η buf; with dampening 0 that is v ← βv + g
    "momentum": (lambda: Momentum(0.1, beta=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0)),
    "adam": (
        lambda: Adam(0.02, beta1=0.9, beta2=0.999, eps=1e-8),
        lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.9, 0.999), eps=1e-8),
    ),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZER_PAIRS))
@pytest.mark.parametrize("name", ["tanh-relu-identity-mse", "leaky-bce", "softmax-ce"])
def test_training_trajectory_matches_torch(optimizer, name):
    net, X, y, labels = case(name, seed=3)
    net.freeze("b1", "W2[0,0]")
    frozen_mask = ~net.trainable_mask
    ours, theirs = OPTIMIZER_PAIRS[optimizer]
    expected_theta, expected_loss = torch_trajectory(net, X, y, labels, theirs, 20, frozen_mask)
    history = train(net, X, y, optimizer=ours(), steps=20)
    assert len(history) == 21
    np.testing.assert_allclose(history.parameters, expected_theta, rtol=0, atol=1e-10)
    np.testing.assert_allclose(history.train_loss, expected_loss, rtol=1e-10, atol=1e-12)
    # frozen entries stayed where they were in both
    np.testing.assert_array_equal(expected_theta[:, frozen_mask], expected_theta[:1, frozen_mask].repeat(21, axis=0))
    assert np.abs(expected_theta[-1] - expected_theta[0]).max() > 1e-2  # the runs really moved
