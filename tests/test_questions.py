"""explainer.course.questions: the bank is well formed, every numeric answer is what the engine computes, the
quiz cannot be gamed by option length or order, feedback speaks to the option chosen without giving the answer
away, and the notebooks ask only what they have taught."""

from __future__ import annotations

import ast
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from explainer import Network, get_scenario, train, worked_example
from explainer.course.efficiency import count_operations, gradient_norms_by_activation
from explainer.course.questions import (
    PROMPTS,
    QUESTIONS,
    TOPICS,
    Feedback,
    Prompt,
    Question,
    QuizSession,
    get_prompts,
    get_questions,
    topic_counts,
)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


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


# ---------------------------------------------------------------------------------------------- the bank
def test_bank_size_and_topics():
    assert 25 <= len(QUESTIONS) <= 40 and 3 <= len(PROMPTS) <= 10
    assert {q.topic for q in QUESTIONS.values()} == set(TOPICS)  # every topic of the picker has questions
    assert all(q.key == key for key, q in QUESTIONS.items()) and all(p.key == key for key, p in PROMPTS.items())
    assert sum(key.startswith("source_") for key in QUESTIONS) == 5  # the source quiz's five questions
    interview = {"reverse-mode autodiff", "memory", "exploding gradients", "training loop"}
    assert all(sum(q.topic == t for q in QUESTIONS.values()) >= 2 for t in interview)


def test_topic_counts_drive_a_topic_picker():
    counts = topic_counts()
    assert [t for t, _, _ in counts] == list(TOPICS)
    assert sum(n for _, n, _ in counts) == len(QUESTIONS) and sum(m for _, _, m in counts) == len(PROMPTS)
    assert all(n > 0 for _, n, _ in counts)


def test_answers_are_spread_over_positions():
    # Stored order matters where options are not shuffled: the answer is not always in one place.
    positions = [q.answer for q in QUESTIONS.values()]
    assert len(set(positions)) == 4
    assert max(positions.count(p) for p in set(positions)) <= len(positions) // 3


def test_every_question_is_complete():
    for q in QUESTIONS.values():
        assert q.prompt.endswith("?") and len(q.options) == 4 and len(q.reveal) > 40
        assert q.is_correct(q.answer) and not any(q.is_correct(i) for i in range(4) if i != q.answer)
        assert len(q.feedback) == 4 and all(len(f) > 20 for f in q.feedback)  # each option its own explanation
        assert len(set(q.feedback)) == 4
        assert [f.startswith("Right") for f in q.feedback] == [i == q.answer for i in range(4)]
        assert q.explanation == q.reveal  # the name the first quiz widget reads


def test_the_loss_is_written_L():
    texts = [t for q in QUESTIONS.values() for t in (q.prompt, q.reveal, *q.options, *q.feedback)]
    texts += [t for p in PROMPTS.values() for t in (p.prompt, p.model_answer, *p.points)]
    for text in texts:
        assert not re.search(r"∂E|\bE\s*=|E_total|ℓ", text), text


def _pick_by_length_rank(rank: int, bank=None) -> float:
    """The expected score of always choosing the option of this length rank (0: shortest), ties at random."""
    bank = list(QUESTIONS.values()) if bank is None else bank
    total = 0.0
    for q in bank:
        lengths = [len(o) for o in q.options]
        tie_breaks = list(itertools.permutations(range(len(lengths))))
        picks = [sorted(range(len(lengths)), key=lambda i, p=p: (lengths[i], p.index(i)))[rank] for p in tie_breaks]
        total += sum(pick == q.answer for pick in picks) / len(picks)
    return total / len(bank)


def test_the_gaming_score_is_computed_right():
    def q(options, answer):
        return Question("k", "error", "p?", options, answer, "why")

    assert _pick_by_length_rank(3, [q(("a", "bb", "ccc", "dddd"), 3)]) == 1.0  # the right one is the longest
    assert _pick_by_length_rank(3, [q(("aa", "bb", "cc", "dd"), 1)]) == pytest.approx(0.25)  # a four-way tie
    assert _pick_by_length_rank(0, [q(("a", "bb", "cc", "dd"), 0), q(("aaa", "b", "cc", "dd"), 0)]) == 0.5


def test_always_picking_the_longest_option_scores_at_most_40_percent():
    longest = _pick_by_length_rank(3)
    assert longest <= 0.40, f"always-longest scores {longest:.0%}"
    assert longest < 0.10  # the right option is the (or a) longest in very few questions


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_no_other_length_rank_gives_the_answer_away(rank):
    assert _pick_by_length_rank(rank) <= 0.40


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"topic": "calculus"}, "topic"),
        ({"options": ("a",)}, "options"),
        ({"options": ("a", "a")}, "options"),
        ({"answer": 2}, "answer"),
        ({"answer": True}, "answer"),
        ({"feedback": ("only one",)}, "one text per option"),
        ({"feedback": ("Right.", "It is not b but a")}, "gives the right option away"),
        ({"notebook": 9}, "notebook"),
        ({"notebook": "01"}, "notebook"),
    ],
)
def test_malformed_questions_are_refused(kwargs, text):
    base = dict(key="k", topic="error", prompt="p?", options=("a", "b"), answer=0, reveal="e")
    with pytest.raises(ValueError, match=text):
        Question(**{**base, **kwargs})


def test_malformed_prompts_are_refused():
    base = dict(key="k", topic="memory", prompt="Explain.", model_answer="m", points=("p",))
    for kwargs, text in [({"topic": "x"}, "topic"), ({"points": ()}, "points"), ({"notebook": 8}, "notebook")]:
        with pytest.raises(ValueError, match=text):
            Prompt(**{**base, **kwargs})


def test_get_questions():
    assert get_questions() == list(QUESTIONS.values())
    assert [q.key for q in get_questions(["chain_rule", "frozen"])] == ["chain_rule", "frozen"]
    assert [q.key for q in get_questions("vanishing")] == ["vanishing"]
    assert {q.topic for q in get_questions(topics="error")} == {"error"}
    assert len(get_questions(topics=["error", "efficiency"])) == 5
    assert {q.key for q in get_questions(notebook=1)} == {
        "forward_neuron",
        "squared_error_half",
        "chain_rule_neuron",
        "source_primary_function",
    }
    assert all(q.notebook <= 3 for q in get_questions(topics="gradient descent", notebook=3))
    assert len(get_questions(notebook=7)) == len(QUESTIONS)
    with pytest.raises(ValueError, match="keys"):
        get_questions(["nope"])
    with pytest.raises(ValueError, match="topics"):
        get_questions(topics=["nope"])
    with pytest.raises(ValueError, match="both"):
        get_questions(["frozen"], topics=["error"])
    with pytest.raises(ValueError, match="notebook must be"):
        get_questions(notebook=8)
    assert [p.key for p in get_prompts(topics="overview")] == ["analogy", "what_is_backprop"]
    assert [p.key for p in get_prompts(notebook=1)] == ["analogy"]


# ---------------------------------------------------------------------------------------------- the quiz session
def test_shuffling_is_per_learner_and_keeps_the_right_answer_mapped():
    ada, ada_again, bob = QuizSession(seed="ada"), QuizSession(seed="ada"), QuizSession(seed=7)
    assert ada.orders == ada_again.orders  # the same learner sees the same order every time
    assert ada.orders != bob.orders
    changed = sum(a != b for a, b in zip(ada.orders, bob.orders))
    assert changed >= len(QUESTIONS) // 2
    assert any(order != (0, 1, 2, 3) for order in ada.orders)
    for session in (ada, bob):
        for i, q in enumerate(session.questions):
            shown = session.options(i)
            assert sorted(shown) == sorted(q.options)
            right = shown.index(q.correct_option)
            assert session.answer(i, right).correct
            assert session.correct_choice(i) == right
            assert not any(session.answer(i, k).correct for k in range(4) if k != right)
    # a question keeps its order when other questions are added or left out
    small = QuizSession(["frozen", "chain_rule"], seed="ada")
    assert small.orders == [ada.orders[list(QUESTIONS).index(k)] for k in ("frozen", "chain_rule")]
    assert QuizSession(seed=3, shuffle=False).orders == [tuple(range(4))] * len(QUESTIONS)


def test_feedback_speaks_to_the_option_and_never_gives_the_answer_away():
    session = QuizSession(seed="learner")
    for i, q in enumerate(session.questions):
        for k, text in enumerate(session.options(i)):
            feedback = session.answer(i, k)
            assert isinstance(feedback, Feedback)
            assert feedback.text == q.feedback[q.options.index(text)]  # this option's own explanation
            if not feedback.correct:
                assert q.correct_option not in feedback.text
                assert q.reveal not in feedback.text
        with pytest.raises(ValueError, match="not revealed"):
            QuizSession([q.key]).correct_choice(0)
        revealed = session.reveal(i)
        assert q.correct_option in revealed and q.reveal in revealed  # only when asked


def test_score_first_try_and_reveal():
    session = QuizSession(["chain_rule", "frozen", "update_step"], seed=1)
    right = [session.options(i).index(q.correct_option) for i, q in enumerate(session.questions)]
    wrong = [(r + 1) % 4 for r in right]
    first = session.answer(0, right[0])
    assert first.correct and first.first_try and first.attempts == 1
    again = session.answer(1, wrong[1])
    assert not again.correct and not again.first_try
    assert session.answer(1, right[1]).correct and not session.answer(1, right[1]).first_try
    session.reveal(2)  # asked before answering: a right answer afterwards is no first try
    assert not session.answer(2, right[2]).first_try
    assert (session.score, session.first_try, session.answered) == (3, 1, 3)
    session.answer(0, wrong[0])  # the last choice counts for the score, the first for first_try
    assert (session.score, session.first_try) == (2, 1)
    assert session.choice(0) == wrong[0]
    session.reset()
    assert (session.score, session.first_try, session.answered) == (0, 0, 0) and session.choice(0) is None


def test_topics_and_notebooks_choose_the_questions():
    session = QuizSession(topics=["memory", "training loop"], seed="x")
    assert {q.topic for q in session.questions} == {"memory", "training loop"}
    assert len(session.questions) == 4
    assert all(q.notebook <= 2 for q in QuizSession(notebook=2).questions)
    with pytest.raises(ValueError, match="at least one question"):
        QuizSession(topics="reverse-mode autodiff", notebook=1)
    with pytest.raises(ValueError, match="questions and topics"):
        QuizSession(["frozen"], topics="memory")
    with pytest.raises(ValueError, match="questions\\[0\\]"):
        QuizSession(["nope"])
    with pytest.raises(ValueError, match="seed"):
        QuizSession(seed=-1)


def test_own_words_prompts_reveal_a_model_answer_afterwards():
    session = QuizSession(topics="overview", seed=0)
    assert [p.key for p in session.prompts] == ["analogy", "what_is_backprop"]
    assert "cake" in PROMPTS["analogy"].model_answer  # the source's analogy, in the course's words
    with pytest.raises(ValueError, match="not empty"):
        session.explain(0, "   ")
    assert session.written == [None, None] and session.shown == [False, False]
    model = session.explain(0, "Like tuning a recipe from the result backwards.")
    assert model.startswith(PROMPTS["analogy"].model_answer) and "A good answer mentions" in model
    assert session.written[0].startswith("Like tuning") and session.shown == [True, False]
    assert "chain rule" in session.model_answer(1)  # or see it without writing
    assert QuizSession(["frozen"]).prompts == []  # no prompt on that topic
    assert [p.key for p in QuizSession(["frozen"], prompts=["analogy"]).prompts] == ["analogy"]
    with pytest.raises(ValueError, match="prompt number"):
        session.explain(5, "text")


def test_state_round_trip_through_json():
    session = QuizSession(topics=["memory", "overview"], seed="ada")
    session.answer(0, 2)
    session.answer(0, 1)
    session.reveal(1)
    session.explain(0, "my words")
    state = json.loads(json.dumps(session.to_dict()))
    other = QuizSession.from_dict(state)
    assert other.to_dict() == session.to_dict()
    assert other.orders == session.orders and other.score == session.score and other.first_try == session.first_try
    with pytest.raises(ValueError, match="to_dict"):
        QuizSession.from_dict({"questions": ["frozen"]})
    with pytest.raises(ValueError, match="one entry per question"):
        QuizSession.from_dict({**state, "revealed": []})
    with pytest.raises(ValueError, match="option numbers"):
        QuizSession.from_dict({**state, "attempts": [[9]] + state["attempts"][1:]})


@pytest.mark.parametrize(
    "index, choice, text", [(99, 0, "index"), (True, 0, "index"), (0, 4, "choice"), (0, "a", "choice")]
)
def test_bad_answers(index, choice, text):
    with pytest.raises(ValueError, match=text):
        QuizSession(["frozen"]).answer(index, choice)


# ---------------------------------------------------------------------------------------------- the notebooks' order
def _asked_in(notebook: Path) -> list[str]:
    """The question keys a notebook's Quiz(...) cells ask (Quiz() asks them all)."""
    keys: list[str] = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(
            line for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(code)):  # IPython magics and shell lines left out
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Quiz", "QuizSession")):
                continue
            if not node.args and not node.keywords:
                keys += list(QUESTIONS)
                continue
            inner = node.args[0] if node.args else None
            if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) == "get_questions":
                args = [ast.literal_eval(a) for a in inner.args]
                kwargs = {k.arg: ast.literal_eval(k.value) for k in inner.keywords}
                keys += [q.key for q in get_questions(*args, **kwargs)]
            else:
                keys += list(ast.literal_eval(inner)) if inner is not None else []
    return keys


_QUIZ_NOTEBOOKS = sorted(p for p in NOTEBOOKS.glob("0*.ipynb") if _asked_in(p))


@pytest.mark.parametrize("path", _QUIZ_NOTEBOOKS, ids=[p.name[:2] for p in _QUIZ_NOTEBOOKS])
def test_a_notebook_asks_only_what_it_and_the_ones_before_have_taught(path):
    number = int(path.name[:2])
    too_early = [k for k in _asked_in(path) if QUESTIONS[k].notebook > number]
    assert not too_early, f"{path.name} asks {too_early} before the notebook that teaches them"


# ---------------------------------------------------------------------------------------------- numbers from the engine
def test_forward_numbers(worked):
    _, rec = worked
    z, a = rec.preactivations[0][0, 0], rec.activations[1][0, 0]
    assert _right("forward_numbers") == pytest.approx(a, abs=5e-5)
    options = _options("forward_numbers")
    assert z == pytest.approx(options[0], abs=5e-5)  # the distractor "z before σ" really is z
    assert 1 / (1 + np.exp(-(0.15 + 0.20 + 0.35))) == pytest.approx(options[3], abs=5e-5)
    assert z - 0.35 == pytest.approx(options[1], abs=5e-5)  # "without the bias"


def test_chain_rule_on_notebook_01s_neuron():
    sc = get_scenario("single_neuron")
    rec = sc.network.backprop(sc.X, sc.y)
    grad_a, fprime, x1 = rec.grad_activations[0][0, 0], rec.derivatives[0][0, 0], sc.X[0, 0]
    prompt = QUESTIONS["chain_rule_neuron"].prompt
    assert f"∂L/∂a = {grad_a:.4f}".replace("-", "−") in prompt and f"σ′(z) = {fprime:.4f}" in prompt
    assert x1 == -1.0 and "x₁ = −1" in prompt
    right, delta, total, other = _options("chain_rule_neuron")
    assert right == pytest.approx(rec.grad_weights[0][0, 0], abs=5e-5) == _right("chain_rule_neuron")
    assert delta == pytest.approx(rec.deltas[0][0, 0], abs=5e-5)
    assert total == pytest.approx(grad_a + fprime + x1, abs=5e-5)
    assert other == pytest.approx(rec.grad_weights[0][1, 0], abs=5e-5)  # ∂L/∂w₂ = x₂ δ


def test_a_reused_activation_sums_both_paths(worked):
    _, rec = worked
    W2, d2 = rec.weights[1], rec.deltas[1][0]
    assert rec.grad_activations[0][0, 0] == pytest.approx(W2[0, 0] * d2[0] + W2[0, 1] * d2[1], rel=1e-14)
    assert QUESTIONS["reuse_sums"].correct_option == "It adds them: w₅ δ_o₁ + w₇ δ_o₂"


def test_clipping_and_epoch_numbers():
    g = np.array([6.0, -8.0])  # ‖g‖ = 10
    clipped = g * min(1.0, 1.0 / np.linalg.norm(g))
    assert np.linalg.norm(clipped) == pytest.approx(1.0) and np.allclose(clipped, g / 10)
    assert "scaled by 1/10" in QUESTIONS["clip_by_norm"].correct_option
    assert QUESTIONS["epoch_steps"].correct_option == str(1000 // 50)


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
    assert sc.lr == 0.5 and f"∂L/∂w₅ = {g:.4f}" in QUESTIONS["update_step"].prompt
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
    assert "about 20,000 passes; backprop: about 3" in QUESTIONS["efficiency"].correct_option


def test_frozen_parameters_have_gradients_but_do_not_move():
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    assert np.all(rec.grad_biases[0] != 0) and np.all(rec.frozen_biases[0])
    before = sc.network.biases[0].copy()
    train(sc.network, sc.X, sc.y, lr=sc.lr, steps=3)
    np.testing.assert_array_equal(sc.network.biases[0], before)
    assert QUESTIONS["frozen"].correct_option.startswith("Its gradient is still computed")
