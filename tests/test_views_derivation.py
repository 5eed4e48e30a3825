"""The worked derivation in Markdown + LaTeX (explainer.views.derivation)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from explainer import Network, worked_example
from explainer.views import worked_derivation


def mazur_record():
    net = Network([2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[0.15, 0.25], [0.20, 0.30]]
    net.biases[0] = [0.35, 0.35]
    net.weights[1] = [[0.40, 0.50], [0.45, 0.55]]
    net.biases[1] = [0.60, 0.60]
    net.freeze("b1", "b2")
    return net.backprop([0.05, 0.10], [0.01, 0.99])


@pytest.fixture(scope="module")
def rec222():
    return mazur_record()


def math_blocks(text: str) -> list[str]:
    return re.findall(r"\$\$(.*?)\$\$", text, flags=re.S)


def assert_well_formed(text: str) -> None:
    """Balanced $$, aligned environments and braces: what MathJax needs to render at all."""
    assert text.count("$$") % 2 == 0
    for block in math_blocks(text):
        assert block.count(r"\begin{aligned}") == block.count(r"\end{aligned}") == 1
        depth = 0
        for ch in block.replace(r"\{", "").replace(r"\}", ""):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0
        assert depth == 0
        assert "$" not in block  # no inline math nested in display math
    inline = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    assert inline.count("$") % 2 == 0
    assert "×10^" not in text and "−" not in "".join(math_blocks(text))  # LaTeX numbers, ASCII minus


def test_mazur_numbers_step_by_step(rec222):
    text = worked_derivation(rec222, lr=0.5)
    assert_well_formed(text)
    expected = [
        r"0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 = 0.3775",  # z_h1
        r"\sigma(0.3775) = 0.5933",  # a_h1 (0.593269992)
        r"\sigma(1.106) = 0.7514",  # a_o1 (0.75136507)
        r"\tfrac12 (0.7514 - 0.01)^2 = 0.2748",  # E_o1 (0.274811083)
        r"L &= 0.2748 + 0.02356 = 0.2984",  # Mazur's E_total (0.298371109): the loss is L throughout
        r"a_{o_{1}} - y_{1} = 0.7514 - 0.01 = 0.7414",  # ∂E/∂out_o1
        r"0.7514\,(1 - 0.7514) = 0.1868",  # σ′(z_o1)
        r"0.1868 \times 0.7414 = 0.1385",  # δ_o1 (0.138498562)
        r"0.5933 \times 0.1385 = 0.08217",  # ∂E/∂w5 (0.082167041)
        r"0.4 - 0.5 \times 0.08217 = 0.3589",  # w5⁺ (0.35891648)
        r"0.4 \cdot 0.1385 + 0.5 \cdot (-0.0381) = 0.03635",  # ∂E/∂out_h1 (0.036350306)
        r"0.2413 \times 0.03635 = 0.008771",  # δ_h1
        r"0.05 \times 0.008771 = 0.0004386",  # ∂E/∂w1 (0.000438568)
        r"0.15 - 0.5 \times 0.0004386 = 0.1498",  # w1⁺ (0.149780716)
    ]
    for piece in expected:
        assert piece in text, piece
    assert text.count(r"\text{held fixed (frozen)}") == 4  # the four biases
    assert r"\text{W2[0,0]}" in text and "`W2[0,0]`" in text
    for convention in (r"\tfrac12", r"\delta = \partial L / \partial z", "numbered"):
        assert convention in text


def test_more_digits_give_the_textbook_numbers(rec222):
    text = worked_derivation(rec222, digits=9)
    textbook = ("0.298371109", "0.593269992", "0.75136507", "0.138498562", "0.08216704", "0.35891648", "0.149780716")
    for number in textbook:
        assert number in text, number


def test_learning_rate_changes_only_the_update(rec222):
    text = worked_derivation(rec222, lr=0.1)
    new = rec222.updated_parameters(0.1)[0][1][0, 0]
    assert rf"0.4 - 0.1 \times 0.08217 = {new:.4g}" in text
    assert r"\eta = 0.1" in text
    head = text.split("The update")[0]
    assert head == worked_derivation(rec222, lr=0.5).split("The update")[0]


def test_batch_record_says_mean_and_sums(rec222):
    rng = np.random.default_rng(0)
    net = Network([2, 3, 1], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=4)
    rec = net.backprop(rng.normal(size=(4, 2)), rng.uniform(size=(4, 1)))
    text = worked_derivation(rec, sample=1)
    assert_well_formed(text)
    assert "sample 2 of a batch of 4" in text and "**mean**" in text
    assert r"\tfrac{1}{4} \sum_s L_s" in text and r"\ell" not in text and f"= {rec.loss:.4g}" in text
    assert r"\sum_s a_{h_{1}}\,\delta_{o_{1}}" in text
    assert f"{rec.grad_weights[1][0, 0]:.4g}" in text
    assert f"{rec.activations[1][1, 0]:.4g}" in text  # the forward pass is sample 2's


@pytest.mark.parametrize(
    ("sizes", "activation", "output", "loss", "y", "phrase"),
    [
        ([3, 4, 4, 2], "relu", "softmax", "cross_entropy", [0, 1], "cancels"),
        ([2, 8, 8, 1], "tanh", "sigmoid", "bce", [1.0], "cancels"),
        ([1, 1, 1], "leaky_relu", "identity", "mse", [0.2], r"\text{ if } z > 0"),
        ([2, 3, 2], "sigmoid", "softmax", "mse", [0.2, 0.8], "softmax"),
    ],
)
def test_other_architectures(sizes, activation, output, loss, y, phrase):
    net = Network(sizes, activation=activation, output_activation=output, loss=loss, seed=1)
    rec = net.backprop(np.linspace(-0.5, 0.5, sizes[0]), y)
    text = worked_derivation(rec)
    assert_well_formed(text)
    assert phrase in text
    assert f"{rec.loss:.4g}" in text
    for layer in range(1, rec.n_layers + 1):
        assert f"**Layer {layer}" in text


def test_wide_layers_are_capped_with_a_note():
    net = Network([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=2)
    rec = net.backprop([0.3, -0.7], [1.0])
    text = worked_derivation(rec, max_neurons=3)
    assert "the first 3 are written out" in text
    assert r"\dots" in text
    assert len(text) < 25_000
    assert len(worked_derivation(rec, max_neurons=8)) > len(text)


def test_diverged_record_is_written_out():
    net = Network([2, 2, 1], activation="identity", output_activation="identity", loss="mse", seed=0)
    net.set_parameters(net.parameters * 1e6)
    rec = net.backprop([1e200, 1e200], [1e300])
    text = worked_derivation(rec)
    assert "Diverged" in text and r"\infty" in text
    assert_well_formed(text)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(lr=0), "lr"),
        (dict(lr=None), "lr"),
        (dict(lr=float("inf")), "lr"),
        (dict(sample=1), "sample"),
        (dict(max_neurons=0), "max_neurons"),
        (dict(digits=0), "digits"),
        (dict(digits=30), "digits"),
    ],
)
def test_validation_names_the_argument(rec222, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        worked_derivation(rec222, **kwargs)


def test_record_must_be_a_record():
    with pytest.raises(ValueError, match="record"):
        worked_derivation([1, 2, 3])


def test_sections_split_the_derivation_for_slides():
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    full = worked_derivation(rec, lr=0.5)
    first = worked_derivation(rec, lr=0.5, sections=(1, 2))
    assert first.startswith("### One step of backpropagation") and "#### 2. The error" in first
    assert "#### 3." not in first
    later = worked_derivation(rec, lr=0.5, sections=(5, 6))
    assert later.startswith("#### 5. The gradients") and "#### 6. The update" in later
    for k in range(1, 7):  # every section is in the whole derivation, word for word
        part = worked_derivation(rec, lr=0.5, sections=(k,))
        body = part.split("\n", 2)[-1] if k == 1 else part
        assert body.strip() in full
    with pytest.raises(ValueError, match="sections must be a tuple"):
        worked_derivation(rec, lr=0.5, sections=[1])
