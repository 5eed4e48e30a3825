"""explainer.course.questions: the registry is well formed, and every numeric answer is what the engine computes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from explainer import Network, get_scenario, train, worked_example
from explainer.course.efficiency import count_operations, gradient_norms_by_activation
from explainer.course.questions import QUESTIONS, TOPICS, Question, get_questions


def _number(text: str) -> float:
    """The one number in an option such as '0.5933' or '−0.7414'."""
    (match,) = re.findall(r"[−-]?\d+\.\d+", text)
    return float(match.replace("−", "-"))


def _options(key: str) -> list[float]:
    return [_number(o) for o in QUESTIONS[key].options]


def _right(key: str) -> float:
    return _number(QUESTIONS[key].correct_option)


@pytest.fixture(scope="module")
def worked():
    sc = worked_example()
    return sc, sc.network.backprop(sc.X, sc.y)


# ---------------------------------------------------------------------------------------------- the registry
def test_registry_size_and_topics():
    assert 8 <= len(QUESTIONS) <= 12
    assert {q.topic for q in QUESTIONS.values()} == set(TOPICS)  # every key idea is asked about
    assert all(q.key == key for key, q in QUESTIONS.items())


def test_answers_are_spread_over_positions():
    # A quiz whose answer is always the first option teaches the wrong lesson.
    positions = [q.answer for q in QUESTIONS.values()]
    assert len(set(positions)) == 4
    assert max(positions.count(p) for p in set(positions)) <= len(positions) // 2


def test_every_question_is_complete():
    for q in QUESTIONS.values():
        assert q.prompt.endswith("?") and len(q.options) == 4 and len(q.explanation) > 40
        assert q.is_correct(q.answer) and not any(q.is_correct(i) for i in range(4) if i != q.answer)


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"topic": "calculus"}, "topic"),
        ({"options": ("a",)}, "options"),
        ({"options": ("a", "a")}, "options"),
        ({"answer": 2}, "answer"),
        ({"answer": True}, "answer"),
    ],
)
def test_malformed_questions_are_refused(kwargs, text):
    base = dict(key="k", topic="error", prompt="p?", options=("a", "b"), answer=0, explanation="e")
    with pytest.raises(ValueError, match=text):
        Question(**{**base, **kwargs})


def test_get_questions():
    assert get_questions() == list(QUESTIONS.values())
    assert [q.key for q in get_questions(["chain_rule", "frozen"])] == ["chain_rule", "frozen"]
    assert [q.key for q in get_questions("vanishing")] == ["vanishing"]
    assert {q.topic for q in get_questions(topics="error")} == {"error"}
    assert len(get_questions(topics=["error", "efficiency"])) == 4
    with pytest.raises(ValueError, match="keys"):
        get_questions(["nope"])
    with pytest.raises(ValueError, match="topics"):
        get_questions(topics=["nope"])
    with pytest.raises(ValueError, match="both"):
        get_questions(["frozen"], topics=["error"])


# ---------------------------------------------------------------------------------------------- numbers from the engine
def test_forward_numbers(worked):
    _, rec = worked
    z, a = rec.preactivations[0][0, 0], rec.activations[1][0, 0]
    assert _right("forward_numbers") == pytest.approx(a, abs=5e-5)
    options = _options("forward_numbers")
    assert z == pytest.approx(options[0], abs=5e-5)  # the distractor "z before σ" really is z
    assert 1 / (1 + np.exp(-(0.15 + 0.20 + 0.35))) == pytest.approx(options[3], abs=5e-5)


def test_output_gradient(worked):
    _, rec = worked
    o1, y1 = rec.output[0, 0], rec.targets[0, 0]
    assert f"o₁ = {o1:.4f}" in QUESTIONS["output_gradient"].prompt and y1 == 0.01
    g = rec.grad_activations[-1][0, 0]
    assert _right("output_gradient") == pytest.approx(g, abs=5e-5)
    assert _options("output_gradient")[1:] == pytest.approx([2 * g, 0.5 * g**2, -g], abs=5e-5)


def test_cross_entropy_delta_is_a_minus_y():
    net = Network([3, 4], activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=1)
    rec = net.backprop([0.2, -0.4, 0.9], [0, 0, 1, 0])
    np.testing.assert_allclose(rec.deltas[-1], rec.output - rec.targets, atol=1e-15)
    assert QUESTIONS["cross_entropy_delta"].correct_option == "a − y"


def test_update_step(worked):
    sc, rec = worked
    new_w, _ = rec.updated_parameters(sc.lr)
    g = rec.grad_weights[1][0, 0]
    assert sc.lr == 0.5 and f"∂E/∂w₅ = {g:.4f}" in QUESTIONS["update_step"].prompt
    assert _right("update_step") == pytest.approx(new_w[1][0, 0], abs=5e-5)
    assert _options("update_step") == pytest.approx([0.4 + 0.5 * g, 0.4 - 0.5 * g, 0.4 - g, 0.5 * g], abs=5e-5)


def test_chain_rule(worked):
    _, rec = worked
    factors = (rec.grad_activations[-1][0, 0], rec.derivatives[-1][0, 0], rec.activations[1][0, 0])
    assert "0.7414, 0.1868 and 0.5933" in QUESTIONS["chain_rule"].prompt
    assert [round(f, 4) for f in factors] == [0.7414, 0.1868, 0.5933]
    assert _right("chain_rule") == pytest.approx(rec.grad_weights[1][0, 0], abs=5e-5)
    delta, product13, total, _ = _options("chain_rule")
    assert delta == pytest.approx(rec.deltas[-1][0, 0], abs=5e-5)
    assert product13 == pytest.approx(factors[0] * factors[2], abs=5e-5)
    assert total == pytest.approx(sum(factors), abs=5e-5)


def test_delta_recursion(worked):
    _, rec = worked
    W2, d2 = rec.weights[1], rec.deltas[1][0]
    f1 = rec.derivatives[0][0]
    assert QUESTIONS["delta_recursion"].correct_option == "δⱼ = f′(zⱼ) · Σₖ wⱼₖ δₖ"
    np.testing.assert_allclose(rec.deltas[0][0], f1 * (W2 @ d2), rtol=1e-12)  # δⱼ = f′(zⱼ) Σₖ wⱼₖ δₖ
    np.testing.assert_allclose(rec.grad_activations[0][0], W2 @ d2, rtol=1e-12)  # without f′ it is ∂L/∂aⱼ


def test_learning_rate_too_large_diverges():
    sc = get_scenario("diverging_learning_rate")
    big = train(sc.network.copy(), sc.X, sc.y, lr=sc.lr, steps=200)
    small = train(sc.network.copy(), sc.X, sc.y, lr=0.05, steps=200)
    assert big.diverged and not small.diverged
    assert small.train_loss[-1] < small.train_loss[0]


def test_vanishing_gradients():
    result = gradient_norms_by_activation(("sigmoid", "relu"))
    sigmoid, relu = result.first_to_last()
    assert sigmoid < 1e-3 < relu  # "thousands of times smaller" for sigmoid only
    z = np.linspace(-10, 10, 2001)
    s = 1 / (1 + np.exp(-z))
    assert np.max(s * (1 - s)) == pytest.approx(0.25)  # σ′(z) ≤ ¼


def test_efficiency_counts():
    ops = count_operations([98, 100, 1])
    assert ops.n_parameters == 10_001  # "about 10,000 parameters"
    assert ops.finite_difference_forward_passes == 20_002
    assert 2 < ops.backprop_forward_passes <= 3
    assert "about 20,000 forward passes" in QUESTIONS["efficiency"].correct_option


def test_frozen_parameters_have_gradients_but_do_not_move():
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    assert np.all(rec.grad_biases[0] != 0) and np.all(rec.frozen_biases[0])
    before = sc.network.biases[0].copy()
    train(sc.network, sc.X, sc.y, lr=sc.lr, steps=3)
    np.testing.assert_array_equal(sc.network.biases[0], before)
    assert QUESTIONS["frozen"].correct_option.startswith("Its gradient is still computed")
