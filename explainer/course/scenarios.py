"""Named starting points shared by the apps' presets, the notebooks and the tests.

Each scenario returns fresh objects, so a reset really resets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._validate import one_of
from ..engine.network import Network


@dataclass(frozen=True)
class Scenario:
    """A network, its data and a learning rate: one click's worth of known state."""

    name: str
    title: str
    description: str
    network: Network
    X: np.ndarray  # (n_samples, n_features)
    y: np.ndarray  # targets as Network.backprop takes them
    lr: float
    optimizer: str = "sgd"
    settings: dict = field(default_factory=dict)  # extra hints for an app (dataset name, steps)


def worked_example() -> Scenario:
    """The classic 2-2-2 hand-worked example (Matt Mazur, "A Step by Step Backpropagation Example").

    Inputs 0.05, 0.10; targets 0.01, 0.99; sigmoid everywhere; loss ½Σ(a − y)²; η = 0.5; the
    biases 0.35 and 0.60 are held fixed, as in the original. Its w1…w8 are, in our naming,
    w1 = W1[0,0], w2 = W1[1,0], w3 = W1[0,1], w4 = W1[1,1], w5 = W2[0,0], w6 = W2[1,0],
    w7 = W2[0,1], w8 = W2[1,1].
    """
    net = Network([2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[0.15, 0.25], [0.20, 0.30]]
    net.biases[0] = [0.35, 0.35]
    net.weights[1] = [[0.40, 0.50], [0.45, 0.55]]
    net.biases[1] = [0.60, 0.60]
    net.freeze("b1", "b2")
    return Scenario(
        "worked_example",
        "The 2-2-2 worked example",
        "Mazur's classic: two inputs, two sigmoid hidden neurons, two sigmoid outputs, squared error.",
        net,
        np.array([[0.05, 0.10]]),
        np.array([[0.01, 0.99]]),
        0.5,
    )


def single_neuron() -> Scenario:
    """One sigmoid neuron, the CS231n circuit: w = (2, −3), b = −3, x = (−1, −2); target 1, squared error."""
    net = Network([2, 1], output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[2.0], [-3.0]]
    net.biases[0] = [-3.0]
    return Scenario(
        "single_neuron",
        "One neuron",
        "z = w₁x₁ + w₂x₂ + b, a = σ(z), L = ½(a − y)²: the chain rule on the smallest network there is.",
        net,
        np.array([[-1.0, -2.0]]),
        np.array([[1.0]]),
        0.5,
    )


def xor() -> Scenario:
    """XOR, the four corners: not linearly separable, solved by a 2-3-1 tanh network."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    net = Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=3)
    return Scenario("xor", "XOR", "Four points no straight line can separate; one hidden layer can.", net, X, y, 0.5)


def vanishing_gradients() -> Scenario:
    """A deep, narrow sigmoid network: the gradient shrinks by f′ ≤ ¼ at every layer going back."""
    rng = np.random.default_rng(7)
    X = rng.uniform(-1.0, 1.0, size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float).reshape(-1, 1)
    net = Network([2, 6, 6, 6, 6, 6, 6, 1], activation="sigmoid", output_activation="sigmoid", loss="bce", seed=7)
    return Scenario(
        "vanishing_gradients",
        "Vanishing gradients",
        "Seven sigmoid layers: compare the gradient norms of the first and last layers.",
        net,
        X,
        y,
        0.5,
    )


def diverging_learning_rate() -> Scenario:
    """Fitting a sine with η = 2.5: each step overshoots further and the loss explodes."""
    X = np.linspace(-3.0, 3.0, 40).reshape(-1, 1)
    y = np.sin(X)
    net = Network([1, 4, 1], activation="tanh", output_activation="identity", loss="mse", seed=0)
    return Scenario(
        "diverging_learning_rate",
        "A learning rate that is too large",
        "A 1-4-1 network fitting a sine with η = 2.5: each step overshoots further and the loss explodes.",
        net,
        X,
        y,
        2.5,
    )


def cs231n_neuron() -> Scenario:
    """CS231n's sigmoid neuron with an upstream gradient of exactly 1, so its gradients are CS231n's circuit numbers.

    w = (2, −3), b = −3, x = (−1, −2): z = 1 and a = σ(1) = 0.7311. CS231n backpropagates from the output
    itself (∂f/∂f = 1) and gets ∂f/∂x = (0.39, −0.59), ∂f/∂w = (−0.20, −0.39), ∂f/∂b = 0.20. Here the loss is
    the squared error, ∂L/∂a = a − y, and the target y = σ(1) − 1 makes ∂L/∂a = 1 at these weights, so every
    gradient in the record is CS231n's number (once a weight moves, ∂L/∂a moves away from 1).
    """
    net = Network([2, 1], output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[2.0], [-3.0]]
    net.biases[0] = [-3.0]
    a = 1.0 / (1.0 + np.exp(-1.0))  # σ(z) at z = 2·(−1) + (−3)·(−2) − 3 = 1
    return Scenario(
        "cs231n_neuron",
        "CS231n's neuron circuit",
        "The one-neuron circuit of CS231n's notes with upstream gradient 1: ∂L/∂x = (0.39, −0.59), "
        "∂L/∂w = (−0.20, −0.39), ∂L/∂b = 0.20.",
        net,
        np.array([[-1.0, -2.0]]),
        np.array([[a - 1.0]]),  # the target that makes ∂L/∂a = a − y = 1
        0.5,
    )


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "worked_example": worked_example,
    "single_neuron": single_neuron,
    "xor": xor,
    "vanishing_gradients": vanishing_gradients,
    "diverging_learning_rate": diverging_learning_rate,
    "cs231n_neuron": cs231n_neuron,
}


def get_scenario(name: str) -> Scenario:
    """A fresh copy of the named scenario."""
    return SCENARIOS[one_of(name, SCENARIOS, "scenario")]()
