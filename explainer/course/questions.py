"""Multiple-choice questions on the key ideas, for the "check yourself" notebook (data only).

Every number in a prompt or an option comes from the engine: the worked-example questions use the
classic 2-2-2 network (``scenarios.worked_example``), and the tests recompute each right answer (and
each numeric distractor's mistake) with ``Network.backprop``. Options are plain Unicode text, since
radio buttons do not render LaTeX.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TOPICS = (
    "forward pass",
    "error",
    "gradient descent",
    "chain rule",
    "backward pass",
    "vanishing gradients",
    "efficiency",
    "frozen parameters",
)


@dataclass(frozen=True)
class Question:
    """One multiple-choice question: the prompt, its options, which one is right and why."""

    key: str  # a stable handle ("chain_rule")
    topic: str  # one of TOPICS
    prompt: str
    options: tuple[str, ...]
    answer: int  # index of the right option
    explanation: str  # shown after answering, right or wrong

    def __post_init__(self):
        if self.topic not in TOPICS:
            raise ValueError(f"topic must be one of {', '.join(TOPICS)}; got {self.topic!r}")
        if len(self.options) < 2 or len(set(self.options)) != len(self.options):
            raise ValueError(f"options of {self.key!r} must be at least two distinct texts")
        if (
            isinstance(self.answer, bool)
            or not isinstance(self.answer, int)
            or not 0 <= self.answer < len(self.options)
        ):
            raise ValueError(f"answer of {self.key!r} must index its options (0 to {len(self.options) - 1})")

    @property
    def correct_option(self) -> str:
        return self.options[self.answer]

    def is_correct(self, choice: int) -> bool:
        """Whether option number ``choice`` is the right one."""
        return choice == self.answer


_QUESTIONS = [
    Question(
        "forward_neuron",
        "forward pass",
        "In the forward pass, what does one neuron compute from its inputs x₁ … xₙ?",
        (
            "a = Σᵢ f(wᵢ) xᵢ + b",
            "a = f(Σᵢ wᵢ xᵢ + b): a weighted sum plus a bias, passed through the activation f",
            "a = f(Σᵢ xᵢ) · Σᵢ wᵢ",
            "a = Σᵢ wᵢ f′(xᵢ)",
        ),
        1,
        "The weighted sum z = Σᵢ wᵢ xᵢ + b is the pre-activation; the activation turns it into the output "
        "a = f(z), which is an input of every neuron in the next layer.",
    ),
    Question(
        "forward_numbers",
        "forward pass",
        "In the 2-2-2 worked example the inputs are x = (0.05, 0.10), the weights into the first hidden "
        "neuron are w₁ = 0.15 and w₂ = 0.20, and its bias is 0.35. What is its output a = σ(z)?",
        ("0.3775", "0.0275", "0.5933", "0.6682"),
        2,
        "z = 0.15·0.05 + 0.20·0.10 + 0.35 = 0.3775, and σ(0.3775) = 1 / (1 + e^−0.3775) = 0.5933. "
        "0.3775 is z before the activation; 0.6682 would be σ(w₁ + w₂ + b), forgetting the inputs.",
    ),
    Question(
        "squared_error_half",
        "error",
        "Why does the squared error carry a ½, E = ½ Σₖ (aₖ − yₖ)²?",
        (
            "To average the error over two outputs",
            "To keep the error between 0 and 1",
            "So that its derivative is simply ∂E/∂aₖ = aₖ − yₖ: the ½ cancels the 2 of the square",
            "Without it gradient descent would diverge",
        ),
        2,
        "The ½ only rescales E, so the minimum stays where it was; it is there for tidy algebra: "
        "d/da ½(a − y)² = a − y. (Averaging over the samples is a separate 1/n.)",
    ),
    Question(
        "output_gradient",
        "error",
        "In the worked example the first output is o₁ = 0.7514 and its target is y₁ = 0.01. "
        "With E = ½ Σₖ (oₖ − yₖ)², what is ∂E/∂o₁?",
        ("0.7414", "1.4827", "0.2748", "−0.7414"),
        0,
        "∂E/∂o₁ = o₁ − y₁ = 0.7514 − 0.01 = 0.7414. Without the ½ it would be 2(o₁ − y₁) = 1.4827; "
        "0.2748 is the error term ½(o₁ − y₁)² itself, not its derivative; and the sign is +: a larger "
        "output makes the error larger.",
    ),
    Question(
        "cross_entropy_delta",
        "error",
        "A softmax output layer is trained with the cross-entropy loss L = −Σₖ yₖ log aₖ "
        "(one sample, one-hot target y). What is δ = ∂L/∂z at the output?",
        ("−y / a", "(a − y) · a(1 − a)", "log a − y", "a − y"),
        3,
        "∂L/∂a = −y/a, and the softmax Jacobian turns it into exactly a − y: the 1/a of the log cancels "
        "the a of the softmax derivative. A sigmoid output with binary cross-entropy simplifies the same way.",
    ),
    Question(
        "learning_rate_large",
        "gradient descent",
        "You train with gradient descent; the loss jumps up and down, grows, and finally becomes NaN. "
        "What is the most likely cause?",
        (
            "The learning rate η is too large: each step overshoots the minimum, further every time",
            "The learning rate η is too small",
            "The network has too few hidden neurons",
            "The biases are frozen",
        ),
        0,
        "A step w ← w − η ∂L/∂w that is too long jumps across the valley to a steeper place, where the next "
        "step is longer still. Too small an η fails differently: the loss falls, but very slowly.",
    ),
    Question(
        "update_step",
        "gradient descent",
        "In the worked example w₅ = 0.40, ∂E/∂w₅ = 0.0822 and the learning rate is η = 0.5. "
        "What is w₅ after one step of gradient descent, w ← w − η ∂E/∂w?",
        ("0.4411", "0.3589", "0.3178", "0.0411"),
        1,
        "w₅ ← 0.40 − 0.5 · 0.0822 = 0.3589. The step goes against the gradient (0.4411 would climb the "
        "error), and η scales it (0.3178 forgets η; 0.0411 is the step itself, not the new weight).",
    ),
    Question(
        "chain_rule",
        "chain rule",
        "By the chain rule, ∂E/∂w₅ = ∂E/∂o₁ · ∂o₁/∂z · ∂z/∂w₅. In the worked example these three factors are "
        "0.7414, 0.1868 and 0.5933. What is ∂E/∂w₅?",
        ("0.1385", "0.4398", "1.5215", "0.0822"),
        3,
        "The chain rule multiplies the local derivatives along the path: 0.7414 · 0.1868 · 0.5933 = 0.0822. "
        "0.1385 stops after two factors (that is δ of the output neuron); 1.5215 adds instead of multiplying.",
    ),
    Question(
        "delta_recursion",
        "backward pass",
        "For a hidden neuron j, how is δⱼ = ∂L/∂zⱼ computed from the next layer's δₖ?",
        (
            "δⱼ = Σₖ wⱼₖ δₖ",
            "δⱼ = f′(zⱼ) · Σₖ wⱼₖ δₖ",
            "δⱼ = f′(zⱼ) · Σₖ δₖ",
            "δⱼ = f′(zⱼ) · Σₖ wⱼₖ aₖ",
        ),
        1,
        "Each δₖ reaches neuron j through the weight wⱼₖ (Σₖ wⱼₖ δₖ = ∂L/∂aⱼ), and f′(zⱼ) carries it from "
        "aⱼ back to zⱼ. One such step per layer, from the output back to the input, is the whole backward pass; "
        "then ∂L/∂wᵢⱼ = aᵢ δⱼ.",
    ),
    Question(
        "vanishing",
        "vanishing gradients",
        "In a deep network with sigmoid activations the first layers' gradients are often thousands of times "
        "smaller than the last layer's. Why?",
        (
            "The first layers have fewer parameters",
            "The learning rate is applied once per layer",
            "Every layer the gradient passes back through multiplies it by σ′(z) ≤ ¼, so it shrinks layer after layer",
            "The backward pass rounds small numbers to zero",
        ),
        2,
        "δ is multiplied by f′(z) (and the weights) once per layer on its way back, and σ′(z) is at most ¼. "
        "tanh′(0) = 1 and ReLU′ = 1 where the neuron is active, which is why they keep deep gradients alive.",
    ),
    Question(
        "efficiency",
        "efficiency",
        "A network has about 10,000 parameters. Central finite differences take two forward passes per "
        "parameter. How do they compare with backprop for all the gradients?",
        (
            "Both need about 20,000 forward passes",
            "Backprop needs one backward pass per parameter, 10,000 in all",
            "Finite differences need only 2 forward passes in total",
            "Finite differences need about 20,000 forward passes; backprop one forward and one backward pass, "
            "about 3 forward passes' worth of work",
        ),
        3,
        "Backprop reuses each δ for every weight that feeds into it, so one backward pass (about twice a "
        "forward pass's arithmetic) gives all 10,000 derivatives at once. Finite differences learn one "
        "derivative per pair of forward passes.",
    ),
    Question(
        "frozen",
        "frozen parameters",
        "In the worked example the biases are frozen. What happens to a frozen parameter during training?",
        (
            "Its gradient is still computed, but the update skips it, so its value never changes",
            "Its gradient is zero",
            "It is removed from the network",
            "It is updated with a smaller learning rate",
        ),
        0,
        "Freezing only excludes a parameter from w ← w − η ∂L/∂w. It still takes part in the forward pass, "
        "and the error still flows through it, so ∂L/∂b is computed (and shown) like any other gradient.",
    ),
]

QUESTIONS: dict[str, Question] = {q.key: q for q in _QUESTIONS}


def get_questions(keys: Iterable[str] | None = None, *, topics: Iterable[str] | None = None) -> list[Question]:
    """Questions by key (in the order given) or by topic (in registry order); all of them by default."""
    if keys is not None and topics is not None:
        raise ValueError("keys and topics cannot both be given")
    if keys is not None:
        if isinstance(keys, str):
            keys = [keys]
        chosen = []
        for key in keys:
            if key not in QUESTIONS:
                raise ValueError(f"keys must be among {', '.join(QUESTIONS)}; got {key!r}")
            chosen.append(QUESTIONS[key])
        return chosen
    if topics is not None:
        topics = [topics] if isinstance(topics, str) else list(topics)
        for topic in topics:
            if topic not in TOPICS:
                raise ValueError(f"topics must be among {', '.join(TOPICS)}; got {topic!r}")
        return [q for q in QUESTIONS.values() if q.topic in topics]
    return list(QUESTIONS.values())
