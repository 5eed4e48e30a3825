"""Questions on the key ideas and an interview rehearsal: the question bank, and the quiz as a pure model.

The bank holds multiple-choice ``QUESTIONS`` and "explain it in your own words" ``PROMPTS``. Each question
says why each of its options is right or wrong (``feedback``, one text per option; a wrong option's text
never names the right one) and, separately, what the right answer is and why (``reveal``, shown only when
the learner asks). ``QuizSession`` is one learner's pass through a quiz: the questions of the chosen topics,
every question's options in an order seeded per learner, feedback for the option chosen, the answer when
asked, the score; a widget only displays it.

Every number in a prompt or an option comes from the engine: the worked-example questions use the classic
2-2-2 network (``scenarios.worked_example``), the one-neuron ones notebook 01's neuron, and the tests
recompute each right answer (and each numeric distractor's mistake) with ``Network.backprop``. The loss is
written L throughout. Options are plain Unicode text, since radio buttons do not render LaTeX.

Five questions follow the source quiz of the course (``seeds/002``); where its marked answer is not right as
stated (backprop *computes* the gradients, the optimiser adjusts the weights; training never minimises the
error on unseen data), the question is rephrased and the reveal says what is right instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

TOPICS = (
    "overview",
    "forward pass",
    "error",
    "gradient descent",
    "chain rule",
    "backward pass",
    "reverse-mode autodiff",
    "vanishing gradients",
    "exploding gradients",
    "memory",
    "efficiency",
    "training loop",
    "generalisation",
    "frozen parameters",
)
NOTEBOOKS = range(0, 8)  # 00_start_here … 07_implement_it_from_scratch


@dataclass(frozen=True)
class Question:
    """One multiple-choice question: the prompt, its options, which one is right, and what to say about each."""

    key: str  # a stable handle ("chain_rule")
    topic: str  # one of TOPICS
    prompt: str
    options: tuple[str, ...]
    answer: int  # index of the right option
    reveal: str  # the right answer and why: shown when the learner asks for it (or has answered right)
    feedback: tuple[str, ...] = ()  # one per option: why it is right or wrong; a wrong one's never names the answer
    notebook: int = 6  # the first notebook after which a learner can answer it

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
        if self.feedback and len(self.feedback) != len(self.options):
            raise ValueError(f"feedback of {self.key!r} must hold one text per option ({len(self.options)})")
        for i, text in enumerate(self.feedback):
            if i != self.answer and self.correct_option in text:
                raise ValueError(
                    f"feedback[{i}] of {self.key!r} gives the right option away; say why option {i} is wrong"
                )
        if self.notebook not in NOTEBOOKS:
            raise ValueError(f"notebook of {self.key!r} must be a notebook number from 0 to 7; got {self.notebook!r}")

    @property
    def correct_option(self) -> str:
        return self.options[self.answer]

    @property
    def explanation(self) -> str:
        """The reveal text, under the name the first quiz widget reads."""
        return self.reveal

    def is_correct(self, choice: int) -> bool:
        """Whether option number ``choice`` is the right one."""
        return choice == self.answer

    def feedback_for(self, choice: int) -> str:
        """Why option ``choice`` is right or wrong (a plain "right"/"not quite" when no feedback was written)."""
        if self.feedback:
            return self.feedback[choice]
        return "Right." if self.is_correct(choice) else "Not quite: think again, or ask for the answer."


@dataclass(frozen=True)
class Prompt:
    """An "explain it in your own words" task: the learner writes first, then sees a model answer."""

    key: str
    topic: str  # one of TOPICS
    prompt: str
    model_answer: str
    points: tuple[str, ...]  # what a good answer mentions, to compare one's own against
    notebook: int = 6

    def __post_init__(self):
        if self.topic not in TOPICS:
            raise ValueError(f"topic must be one of {', '.join(TOPICS)}; got {self.topic!r}")
        if not self.points:
            raise ValueError(f"points of {self.key!r} must list what a good answer mentions")
        if self.notebook not in NOTEBOOKS:
            raise ValueError(f"notebook of {self.key!r} must be a notebook number from 0 to 7; got {self.notebook!r}")


# -------------------------------------------------------------------------------------------------------------
# The questions, roughly in the order of the notebooks.

_QUESTIONS = [
    Question(
        "forward_neuron",
        "forward pass",
        "In the forward pass, what does one neuron compute from its inputs x₁ … xₙ?",
        ("a = Σᵢ f(wᵢ) xᵢ + b", "a = f(Σᵢ wᵢ xᵢ + b)", "a = f(Σᵢ xᵢ) · Σᵢ wᵢ + b", "a = Σᵢ wᵢ f′(xᵢ)"),
        1,
        "a = f(Σᵢ wᵢ xᵢ + b). The weighted sum z = Σᵢ wᵢ xᵢ + b is the pre-activation; the activation turns it "
        "into the output a = f(z), which is an input of every neuron in the next layer.",
        (
            "This puts the activation on each weight. The activation acts once, on the whole weighted sum.",
            "Right: first the weighted sum plus the bias, z = Σᵢ wᵢ xᵢ + b, then the activation, a = f(z).",
            "This sums the inputs and the weights separately, so no weight ever meets its own input: each xᵢ "
            "is multiplied by its own wᵢ.",
            "f′, the slope of the activation, belongs to the backward pass; the forward pass uses f itself.",
        ),
        notebook=1,
    ),
    Question(
        "squared_error_half",
        "error",
        "Why does the squared error carry a ½, L = ½ Σₖ (aₖ − yₖ)²?",
        (
            "To average the loss over the outputs",
            "To keep the loss between 0 and 1, so it reads as a probability",
            "So that ∂L/∂aₖ = aₖ − yₖ, with no factor 2",
            "Without the ½, gradient descent would diverge on every problem",
        ),
        2,
        "So that ∂L/∂aₖ = aₖ − yₖ: the ½ cancels the 2 that comes down from the square. It only rescales L, so "
        "the minimum stays where it was; it is there for tidy algebra. (Averaging over the samples is a separate "
        "1/n.)",
        (
            "An average divides by the number of outputs (or of samples); the ½ stays ½ whatever that number is.",
            "½(a − y)² can be any size: with a = 3 and y = 0 it is 4.5. The ½ does not bound it.",
            "Right: d/da ½(a − y)² = a − y; the ½ cancels the 2 of the square's derivative.",
            "Without the ½ every gradient doubles, as if η were twice as large. That can diverge with a large η, "
            "but a smaller η undoes it, so it is not why the ½ is there.",
        ),
        notebook=1,
    ),
    Question(
        "chain_rule_neuron",
        "chain rule",
        "In notebook 01's neuron ∂L/∂a = −0.2689, σ′(z) = 0.1966 and the input x₁ = −1. By the chain rule, "
        "what is ∂L/∂w₁ = ∂L/∂a · σ′(z) · ∂z/∂w₁?",
        ("0.0529", "−0.0529", "−1.0723", "0.1058"),
        0,
        "∂z/∂w₁ = x₁ = −1, so ∂L/∂w₁ = (−0.2689) · 0.1966 · (−1) = +0.0529: the loss rises with w₁, and "
        "gradient descent lowers w₁.",
        (
            "Right: (−0.2689) · 0.1966 · (−1) = +0.0529; the input's minus sign makes it positive.",
            "That is δ = ∂L/∂a · σ′(z), one factor short: ∂z/∂w₁ is the input x₁, and its sign matters.",
            "That adds the three factors (−0.2689 + 0.1966 − 1); the chain rule multiplies them.",
            "That multiplies δ by x₂ = −2, which belongs to ∂L/∂w₂; w₁ multiplies x₁.",
        ),
        notebook=1,
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
        (
            "That is z, the weighted sum plus the bias, before the sigmoid; the question asks for a = σ(z).",
            "That is the weighted sum without the bias 0.35; the bias is added before the activation.",
            "Right: z = 0.15·0.05 + 0.20·0.10 + 0.35 = 0.3775, and σ(0.3775) = 0.5933.",
            "That is σ(w₁ + w₂ + b): the weights were added without multiplying them by their inputs.",
        ),
        notebook=2,
    ),
    Question(
        "output_gradient",
        "error",
        "In the worked example the first output is o₁ = 0.7514 and its target is y₁ = 0.01. "
        "With L = ½ Σₖ (oₖ − yₖ)², what is ∂L/∂o₁?",
        ("0.7414", "1.4827", "0.2748", "−0.7414"),
        0,
        "∂L/∂o₁ = o₁ − y₁ = 0.7514 − 0.01 = 0.7414. Without the ½ it would be 2(o₁ − y₁) = 1.4827; 0.2748 is "
        "the loss term ½(o₁ − y₁)² itself, not its derivative; and the sign is +: a larger output makes the "
        "loss larger.",
        (
            "Right: ∂L/∂o₁ = o₁ − y₁ = 0.7514 − 0.01 = 0.7414.",
            "That is 2(o₁ − y₁), the derivative of the square without the ½; with the ½ in L, the 2 cancels.",
            "That is the loss term ½(o₁ − y₁)² itself, not its slope.",
            "The sign is off: o₁ is above its target, so a larger o₁ makes the loss larger and the slope is positive.",
        ),
        notebook=2,
    ),
    Question(
        "cross_entropy_delta",
        "error",
        "A softmax output layer is trained with the cross-entropy loss L = −Σₖ yₖ log aₖ "
        "(one sample, one-hot target y). What is δ = ∂L/∂z at the output?",
        ("−y/a", "(a − y) · a(1 − a)", "log a − y", "a − y"),
        3,
        "δ = a − y. ∂L/∂a = −y/a, and the softmax Jacobian turns it into exactly a − y: the 1/a of the log "
        "cancels the a of the softmax derivative. A sigmoid output with binary cross-entropy simplifies the "
        "same way.",
        (
            "That is ∂L/∂a, the gradient at the output a; δ is ∂L/∂z, one step further back, through the softmax.",
            "This carries the sigmoid's slope a(1 − a), which a sigmoid with squared error has; with a softmax "
            "and cross-entropy that factor cancels against the log.",
            "The log belongs to the loss itself; its derivative has no log left in it.",
            "Right: the 1/a from the log cancels the a of the softmax's derivative, leaving output minus target.",
        ),
        notebook=2,
    ),
    Question(
        "chain_rule",
        "chain rule",
        "By the chain rule, ∂L/∂w₅ = ∂L/∂o₁ · ∂o₁/∂z · ∂z/∂w₅. In the worked example these three factors are "
        "0.7414, 0.1868 and 0.5933. What is ∂L/∂w₅?",
        ("0.1385", "0.4398", "1.5215", "0.0822"),
        3,
        "The chain rule multiplies the local derivatives along the path: 0.7414 · 0.1868 · 0.5933 = 0.0822. "
        "0.1385 stops after two factors (that is δ of the output neuron); 1.5215 adds instead of multiplying.",
        (
            "That stops after two factors (0.7414 · 0.1868): it is δ of the output neuron, ∂L/∂z; the third "
            "factor, ∂z/∂w₅ = a_h₁, takes it to the weight.",
            "That multiplies the first and the last factor and leaves out the middle one, σ′(z).",
            "That adds the three factors; the chain rule multiplies them.",
            "Right: 0.7414 · 0.1868 · 0.5933 = 0.0822, the product of the local derivatives along the path.",
        ),
        notebook=2,
    ),
    Question(
        "delta_recursion",
        "backward pass",
        "For a hidden neuron j, how is δⱼ = ∂L/∂zⱼ computed from the next layer's δₖ?",
        (
            "δⱼ = Σₖ wⱼₖ δₖ",
            "δⱼ = f′(zⱼ) · Σₖ wⱼₖ δₖ",
            "δⱼ = f′(zⱼ) · Σₖ δₖ",
            "δⱼ = f′(zⱼ) · Σₖ wⱼₖ (aₖ − yₖ)",
        ),
        1,
        "Each δₖ reaches neuron j through the weight wⱼₖ (Σₖ wⱼₖ δₖ = ∂L/∂aⱼ), and f′(zⱼ) carries it from "
        "aⱼ back to zⱼ. One such step per layer, from the output back to the input, is the whole backward pass; "
        "then ∂L/∂wᵢⱼ = aᵢ δⱼ.",
        (
            "That is ∂L/∂aⱼ, the gradient at the neuron's output; one more factor carries it back through the "
            "activation to zⱼ.",
            "Right: the next layer's δₖ, each through its weight wⱼₖ, summed; then f′(zⱼ) carries the sum from "
            "aⱼ to zⱼ.",
            "This adds the next layer's δ without their weights, so a weight of 0 would pass back as much as a "
            "large one.",
            "aₖ − yₖ is the error at the output layer only; a hidden neuron collects the δ of the layer after "
            "it, whichever layer that is.",
        ),
        notebook=2,
    ),
    Question(
        "reuse_sums",
        "backward pass",
        "In the 2-2-2 network h₁ feeds both outputs, o₁ through w₅ and o₂ through w₇. How does the backward "
        "pass get ∂L/∂a_h₁?",
        (
            "It keeps only the path with the larger gradient, w₅ δ_o₁ or w₇ δ_o₂",
            "Only the path through o₁ counts",
            "It averages them: h₁ feeds two neurons",
            "It adds them: w₅ δ_o₁ + w₇ δ_o₂",
        ),
        3,
        "∂L/∂a_h₁ = w₅ δ_o₁ + w₇ δ_o₂. A value used in several places gets the sum of what every use hands back "
        "(the multivariable chain rule); in code it is the += on a node that is reused.",
        (
            "Keeping one path would ignore how a_h₁ moves the other output's loss: a change in a_h₁ changes both "
            "outputs.",
            "A change in a_h₁ changes o₂ as well, so the path through o₂ counts too.",
            "An average would halve each path's effect, but each path's effect on the loss counts in full.",
            "Right: a change in a_h₁ moves the loss through both outputs, so both paths' shares add up.",
        ),
        notebook=2,
    ),
    Question(
        "update_step",
        "gradient descent",
        "In the worked example w₅ = 0.40, ∂L/∂w₅ = 0.0822 and the learning rate is η = 0.5. "
        "What is w₅ after one step of gradient descent, w ← w − η ∂L/∂w?",
        ("0.4411", "0.3589", "0.3178", "0.0411"),
        1,
        "w₅ ← 0.40 − 0.5 · 0.0822 = 0.3589. The step goes against the gradient (0.4411 would climb the "
        "loss), and η scales it (0.3178 forgets η; 0.0411 is the step itself, not the new weight).",
        (
            "This adds η ∂L/∂w₅, which climbs the loss; gradient descent steps against the gradient.",
            "Right: w₅ ← 0.40 − 0.5 · 0.0822 = 0.3589.",
            "This subtracts the whole gradient; the step is η times the gradient.",
            "That is the step η ∂L/∂w₅ itself; the new weight is the old one minus the step.",
        ),
        notebook=2,
    ),
    Question(
        "gradient_check",
        "efficiency",
        "Backprop is far cheaper than finite differences. What are finite differences still good for?",
        (
            "Checking a backward pass on a small network",
            "Training large networks on GPUs, where they parallelise better",
            "Exact gradients, where backprop can only approximate them",
            "Replacing backprop wherever ReLU has its kink at zero",
        ),
        0,
        "A gradient check: compare backprop's gradient with central differences on a small network, entry by "
        "entry. It catches a wrong backward pass, at a cost that is fine once but far too high for training. "
        "Notebook 02 runs one.",
        (
            "Right: central differences are an independent check; once, on a small network, their cost is fine.",
            "Finite differences cost two forward passes per parameter; with millions of parameters no parallel "
            "hardware makes that competitive.",
            "It is the other way round: backprop's gradient is exact up to round-off, while a finite difference "
            "is an approximation with its own truncation error.",
            "Frameworks pick a slope at the kink (ReLU′(0) = 0) and backprop goes on; a finite difference across "
            "the kink is no better.",
        ),
        notebook=2,
    ),
    Question(
        "frozen",
        "frozen parameters",
        "In the worked example the biases are frozen. What happens to a frozen parameter during training?",
        (
            "Its gradient is still computed; the update skips it",
            "Its gradient is zero",
            "It is removed from the network",
            "It is updated with a smaller learning rate than the others",
        ),
        0,
        "Freezing only excludes a parameter from w ← w − η ∂L/∂w. It still takes part in the forward pass, "
        "and the error still flows through it, so ∂L/∂b is computed (and shown) like any other gradient; its "
        "value never changes.",
        (
            "Right: it takes part in the forward and the backward pass as before; only the update leaves it alone.",
            "It still takes part in the forward pass, so the loss does depend on it, and its gradient is "
            "generally not zero.",
            "It stays in the network and takes part in every forward pass; only its value is held fixed.",
            "Freezing is all or nothing: a frozen parameter is not updated at all.",
        ),
        notebook=2,
    ),
    Question(
        "learning_rate_large",
        "gradient descent",
        "You train with gradient descent; the loss jumps up and down, grows, and finally becomes NaN. "
        "What is the most likely cause?",
        (
            "The learning rate η is too large",
            "η is too small",
            "Too few hidden neurons",
            "The biases are frozen, so the loss has nowhere to go but up",
        ),
        0,
        "η is too large. A step w ← w − η ∂L/∂w that is too long jumps across the valley to a steeper place, "
        "where the next step is longer still. Too small an η fails differently: the loss falls, but very slowly.",
        (
            "Right: each step overshoots the minimum and lands on a steeper slope, so the next one is longer still.",
            "Too small an η fails differently: the loss falls at every step, only slowly.",
            "Too few neurons makes the loss stop falling at a high value; it does not make it grow to NaN.",
            "Frozen biases only limit which parameters move; the loss still falls, if less far.",
        ),
        notebook=3,
    ),
    Question(
        "epoch_steps",
        "training loop",
        "A training set has 1,000 examples and every mini-batch holds 50. How many gradient steps make one epoch?",
        ("20", "50", "1", "1,000"),
        0,
        "An epoch is one pass through all the training data: 1,000 / 50 = 20 steps, each a forward and a "
        "backward pass over a batch of 50 and one update.",
        (
            "Right: 1,000 / 50 = 20 batches, one step each.",
            "50 is the batch size, the number of examples in each step.",
            "One step per epoch is full-batch gradient descent: all 1,000 examples in one batch.",
            "One step per example would be a batch size of 1.",
        ),
    ),
    Question(
        "epoch_vs_step",
        "training loop",
        "What is the difference between a training step and an epoch?",
        (
            "None: both mean one pass over the data",
            "A step: one batch, one update. An epoch: all the data, once",
            "An epoch is one layer's backward pass; a step is the whole network's",
            "A step is one example; an epoch one mini-batch",
        ),
        1,
        "A step (an iteration) is one mini-batch: one forward and backward pass and one update of the weights. "
        "An epoch is as many steps as it takes to go through every training example once (n / batch size). "
        "Learning-rate schedules and test-set checks are often counted in epochs.",
        (
            "They coincide only for full-batch gradient descent; with mini-batches one pass over the data takes "
            "many updates.",
            "Right: a step is one update from one mini-batch; an epoch is one pass through all the training data.",
            "Both words count progress through the data, not through the layers; every step runs the backward "
            "pass through all the layers.",
            "A step handles a whole mini-batch (one example only when the batch size is 1); an epoch covers all "
            "the training data.",
        ),
    ),
    Question(
        "vanishing",
        "vanishing gradients",
        "In a deep network with sigmoid activations the first layers' gradients are often thousands of times "
        "smaller than the last layer's. Why?",
        (
            "The first layers have fewer parameters, so each gets a smaller share",
            "η is applied once per layer",
            "Each layer on the way back multiplies it by σ′(z) ≤ ¼",
            "Small numbers are rounded to zero",
        ),
        2,
        "δ is multiplied by f′(z) (and the weights) once per layer on its way back, and σ′(z) is at most ¼, so "
        "it shrinks layer after layer. tanh′(0) = 1 and ReLU′ = 1 where the neuron is active, which is why they "
        "keep deep gradients alive.",
        (
            "The number of parameters in a layer does not split the gradient: each weight gets its own ∂L/∂w.",
            "η is applied once, in the update, the same for every layer; the gradients differ before η is applied.",
            "Right: σ′(z) is at most ¼, and the backward pass multiplies by it once per layer.",
            "Floating-point numbers hold values far smaller than these; the gradients really are that small.",
        ),
        notebook=5,
    ),
    Question(
        "vanishing_fix",
        "vanishing gradients",
        "A 20-layer sigmoid network trains its last layers while its first layers barely move. Which change "
        "helps most directly?",
        (
            "A smaller learning rate, so that the first layers are not overshot",
            "Training twice as long with the same network and learning rate",
            "Ten more sigmoid layers",
            "ReLU hidden layers, with He-scaled initial weights",
        ),
        3,
        "ReLU's slope is 1 wherever the neuron is active, so the backward pass no longer shrinks by ¼ or more "
        "per layer, and He initialisation keeps the weights' factor near 1. Normalisation layers and skip "
        "(residual) connections help for the same reason.",
        (
            "A smaller η shrinks every step, the first layers' tiny ones included: it makes the problem worse.",
            "The first layers' steps stay thousands of times smaller than the last layers', so they would still "
            "barely move.",
            "Each extra sigmoid layer multiplies the gradient by another σ′ ≤ ¼ on its way back.",
            "Right: a slope of 1 where active, and weights scaled to the layer, keep δ from shrinking layer by layer.",
        ),
        notebook=5,
    ),
    Question(
        "efficiency",
        "efficiency",
        "A network has about 10,000 parameters. Central finite differences take two forward passes per "
        "parameter. How do they compare with backprop, for all the gradients?",
        (
            "Both need about 20,000 forward passes' worth of work",
            "Backprop needs one backward pass per parameter, 10,000 in all",
            "Finite differences: about 20,000 passes; backprop: about 3",
            "Finite differences need only 2 forward passes in total, for all of them",
        ),
        2,
        "Finite differences need about 20,000 forward passes; backprop one forward and one backward pass, about "
        "3 forward passes' worth of work. It reuses each δ for every weight that feeds into it, so one backward "
        "pass (about twice a forward pass's arithmetic) gives all 10,000 derivatives at once. Finite differences "
        "learn one derivative per pair of forward passes.",
        (
            "Backprop's cost does not grow with the number of parameters: one backward pass gives every derivative.",
            "One backward pass gives all the derivatives at once: each δ is reused by every weight that feeds it.",
            "Right: 2 × 10,000 forward passes against one forward and one backward pass (about three forward "
            "passes' worth).",
            "Two forward passes give one central difference: the derivative for one parameter.",
        ),
        notebook=5,
    ),
    # ----------------------------------------------------------------------------- the source quiz (seeds/002)
    Question(
        "source_primary_function",
        "overview",
        "What is the primary function of backpropagation in deep learning?",
        (
            "To clean and analyse the data before it is fed to the network",
            "To compute the gradient of the loss for every weight",
            "To choose the network's architecture",
            "To generate new training data",
        ),
        1,
        "Backpropagation computes ∂L/∂w for every weight and bias, by the chain rule, from the loss back to the "
        'input. The source quiz marks "to adjust the weights of the network based on its errors"; strictly that '
        "is two steps: backprop computes the gradients, and an optimiser such as gradient descent uses them to "
        "adjust the weights.",
        (
            "Preparing the data happens before training and involves no gradients; backprop works on the "
            "network, after the data has gone through it.",
            "Right: ∂L/∂w for every weight and bias, by the chain rule. Adjusting the weights with them is the "
            "optimiser's step.",
            "The architecture is chosen (by people or a search) before training; backprop works inside a fixed "
            "architecture.",
            "Backprop creates no data; for the data there is, it works out how each weight affected the loss.",
        ),
        notebook=1,
    ),
    Question(
        "source_process",
        "overview",
        "Which of these describes one training step with backpropagation?",
        (
            "Forward pass, loss, backward pass for the gradients, update",
            "Compute the error, pass it forward through the network again, then adjust the weights",
            "Evaluate the network on unseen data and keep the weights of the best epoch so far",
            "Adding neurons where the error is largest",
        ),
        0,
        "A forward pass computes the output and the loss L; the backward pass applies the chain rule from L back "
        "through the layers, giving ∂L/∂w for every weight; the update moves each weight against its gradient, "
        "w ← w − η ∂L/∂w. The source quiz's answer (\"calculating the error, propagating it backward through the "
        'network, and adjusting weights") says the same, leaving out the forward pass that comes first.',
        (
            "Right: the forward pass gives the loss, the backward pass every gradient, and the update uses them.",
            "The error travels backward, from the output towards the input: each layer's gradient needs the one "
            "after it.",
            "That is model selection (early stopping) on held-out data; it uses training's results but is not a "
            "training step.",
            "Growing the network changes its architecture; backprop trains the weights of a network whose shape "
            "is fixed.",
        ),
        notebook=2,
    ),
    Question(
        "source_significance",
        "overview",
        "Why does backpropagation matter so much for deep learning?",
        (
            "It prevents overfitting by keeping the network's weights small",
            "It removes the need for labelled training data altogether",
            "It lets a neural network learn from very small data sets only",
            "It gets every gradient for the cost of a few forward passes",
        ),
        3,
        "Efficiency: one forward and one backward pass (a few forward passes' worth of work) give ∂L/∂w for all "
        "the weights, however many there are. By finite differences, a network with millions of weights would "
        'need millions of forward passes per step. That is what the source means by "efficient and effective '
        'training of complex networks".',
        (
            "Keeping weights small is regularisation (weight decay); backprop computes the gradient of whatever "
            "loss it is given, regularised or not.",
            "Backprop differentiates a loss, and for supervised learning that loss needs the labels.",
            "Backprop works on data sets of any size; large data sets are where deep learning does best.",
            "Right: one backward pass yields all of ∂L/∂w, so networks with millions of weights can be trained.",
        ),
        notebook=5,
    ),
    Question(
        "source_generalisation",
        "generalisation",
        "How does backpropagation relate to how well a model does on data it has never seen?",
        (
            "It adjusts the weights to minimise the error on the unseen data directly",
            "Only indirectly: it lowers the training loss",
            "It makes the network attend only to the features that matter most",
            "It adds layers until the model is complex enough for any data set",
        ),
        1,
        "Backprop computes gradients of the training loss, and training lowers that loss. Whether the fit "
        "carries over to unseen data depends on the data, the model's size, regularisation and when training "
        "stops, and it is measured on a held-out test set (notebook 04's test loss). The source quiz marks \"by "
        'adjusting weights to minimize the error on unseen data"; that is not right as stated: unseen data is '
        "never used to adjust the weights (if it were, it would no longer be unseen).",
        (
            "Backprop never sees the unseen data: it differentiates the loss on the training data. (The source "
            "quiz marks this option, which is not right as stated.)",
            "Right: backprop only ever sees the training loss; held-out data shows whether the fit carries over.",
            "Backprop has no notion of relevance; which features a network ends up using follows from the data, "
            "the architecture and the loss.",
            "Backprop changes weights, never the architecture.",
        ),
        notebook=4,
    ),
    Question(
        "source_not_a_benefit",
        "generalisation",
        "Which of these does backpropagation NOT give you by itself?",
        (
            "Every weight's gradient from one backward pass",
            "One algorithm that trains networks of any depth, layer after layer",
            "A guarantee that the model does well on data it has never seen",
            "Gradients for the inputs, for saliency maps",
        ),
        2,
        "No gradient method guarantees good results on unseen data: that depends on the data, the model and "
        'regularisation, and is checked on held-out data. The source quiz lists "generalisation to unseen data" '
        'among backprop\'s benefits and marks "ability to analyse the internal workings of the neural network" '
        "as the one that is not; but the gradients with respect to the inputs, which the backward pass gives, "
        "are a standard way of looking inside a network (saliency maps), while generalisation is not something "
        "backprop provides by itself.",
        (
            "This it does give: one backward pass yields ∂L/∂w for all the weights at once.",
            "This it does give: the same chain-rule recursion works for any number of layers (how well very deep "
            "networks then train is another matter).",
            "Right: how well a model generalises depends on the data, the model and regularisation, not on how "
            "its gradients are computed.",
            "This it does give: the backward pass can go one step further, to ∂L/∂x, and a saliency map shows "
            "|∂(class score)/∂x| for each pixel.",
        ),
    ),
    # ----------------------------------------------------------------------------- what interviewers ask next
    Question(
        "reverse_mode",
        "reverse-mode autodiff",
        "Backpropagation is reverse-mode automatic differentiation. Why reverse mode rather than forward mode "
        "for training a network?",
        (
            "Reverse mode stores no intermediate values, so it needs less memory",
            "Forward mode only approximates derivatives, by finite differences",
            "One output, many inputs: one reverse pass gives all of ∂L/∂w",
            "Forward mode cannot differentiate σ",
        ),
        2,
        "A loss is one number computed from millions of weights. Forward mode carries the derivative with respect "
        "to one input through the whole graph per pass, so it would need one pass per weight; reverse mode "
        "carries the derivative of one output back to all the inputs in a single pass. (For few inputs and many "
        "outputs forward mode wins instead.) Reverse mode's price is memory: it stores the forward values it "
        "needs.",
        (
            "It is the other way round: reverse mode must keep the forward pass's values until the backward pass "
            "uses them, and forward mode does not.",
            "Forward mode is exact too (dual numbers carry each value's derivative along); it is not a finite "
            "difference.",
            "Right: the loss is one number and the weights are many, which is the case reverse mode is made for.",
            "Forward mode handles any function whose derivative is known, σ included.",
        ),
    ),
    Question(
        "topological_order",
        "reverse-mode autodiff",
        "In which order does reverse-mode autodiff visit the nodes of a computation graph?",
        (
            "Reverse topological: a node after every node using it",
            "Any order at all, since each node's gradient needs only its own inputs",
            "The order of the forward pass, starting again from the inputs",
            "Leaves first, so that the weights' gradients are ready soonest",
        ),
        0,
        "Reverse topological order: start at the loss (∂L/∂L = 1) and treat a node only when every node that "
        "uses it has handed back its share; then its gradient is complete and it passes local derivative × "
        "gradient to its own inputs. micrograd's backward() (and explainer.autograd's) builds that order with a "
        "depth-first walk.",
        (
            "Right: a node's gradient is complete only once every node that uses it has handed back its share.",
            "A node's gradient needs the gradients of the nodes that use it (its upstream gradient), so those "
            "must be complete first.",
            "In forward order a node would pass its gradient on before the nodes that use it had handed theirs back.",
            "A leaf's gradient is the last to be complete: it sums every path from the loss down to it.",
        ),
    ),
    Question(
        "memory_activations",
        "memory",
        "Training a network on a batch takes far more memory than running it on that batch. Why?",
        (
            "The optimiser keeps every earlier batch in memory for the next steps",
            "Gradients are kept in double precision",
            "Backprop copies the network once per layer",
            "The backward pass needs every layer's activations, so all are kept",
        ),
        3,
        "∂L/∂W = aᵀδ needs each layer's input a, and f′(z) needs each layer's z or a: the forward pass's "
        "activations are kept until the backward pass reaches their layer. That memory grows with the batch "
        "size and the depth; running the network alone can drop each layer's activations as soon as the next "
        "layer has them.",
        (
            "Optimisers keep a few numbers per weight (momentum, Adam's averages), never the batches themselves.",
            "Gradients are normally stored in the same precision as the weights; the extra memory goes elsewhere.",
            "There is one set of weights throughout; what grows with depth and batch size is something else.",
            "Right: ∂L/∂W = aᵀδ and f′(z) need the forward pass's values, layer by layer, so they are all kept.",
        ),
    ),
    Question(
        "checkpointing",
        "memory",
        "What does gradient checkpointing (recomputing activations) trade?",
        (
            "Compute for memory: keep some activations, recompute the rest",
            "It saves the weights to disk every few steps, so training can resume",
            "It skips the backward pass for layers whose gradients changed little",
            "It stores the gradients in half precision, to halve their memory",
        ),
        0,
        "It keeps only some layers' activations (the checkpoints) in the forward pass and, during the backward "
        "pass, recomputes the missing ones from the nearest checkpoint. The memory for activations falls (to "
        "about √L layers' worth for L layers, with evenly spaced checkpoints) at the price of about one more "
        "forward pass.",
        (
            "Right: fewer stored activations, at the price of recomputing them during the backward pass.",
            "That is a model checkpoint, a different thing with a similar name: it guards against crashes and "
            "saves no memory within a step.",
            "Every layer's gradient is still computed exactly; nothing is skipped.",
            "Lower precision is another way to save memory (mixed precision); it changes the number format, not "
            "what is stored or recomputed.",
        ),
    ),
    Question(
        "exploding_clipping",
        "exploding gradients",
        "Training a deep or recurrent network, the gradient norm suddenly reaches 10⁶ and the loss turns NaN. "
        "Which fix targets exactly this?",
        (
            "A larger learning rate",
            "Clipping the gradient's norm to a threshold before each update",
            "Sigmoid instead of ReLU everywhere, to keep every value bounded",
            "Training for more epochs, so that the spikes average out in time",
        ),
        1,
        "Gradient clipping by norm: if ‖g‖ exceeds a threshold c, step with g · c/‖g‖ instead. The step keeps "
        "its direction but cannot be huge; it is standard for RNNs and Transformers. Better-scaled initial "
        "weights, normalisation and a smaller η attack the causes; clipping bounds the damage of a spike.",
        (
            "A larger η makes each step even longer: with an exploding gradient it throws the weights further away.",
            "Right: the step keeps its direction, but its length is capped, so one spike cannot wreck the weights.",
            "Bounded activations do not bound the gradient, which the weights multiply layer after layer; and "
            "sigmoids bring back vanishing gradients.",
            "One huge step can already wreck the weights (NaN); more epochs do not undo it.",
        ),
    ),
    Question(
        "clip_by_norm",
        "exploding gradients",
        "A gradient g has norm ‖g‖ = 10, and it is clipped by norm with threshold 1. What is done to g?",
        (
            "Every component above 1 is set to 1",
            "g is scaled by 1/10: same direction, norm 1",
            "g is set to zero",
            "The learning rate is divided by 10 for the rest of training",
        ),
        1,
        "g ← g · (threshold/‖g‖) = g/10 when ‖g‖ > threshold: the same direction, with norm 1. PyTorch's "
        "torch.nn.utils.clip_grad_norm_ does this over all the parameters together.",
        (
            "That is clipping by value, which changes the gradient's direction; clipping by norm treats the "
            "gradient as one vector.",
            "Right: g · (1/‖g‖) keeps the direction and makes the norm exactly the threshold.",
            "Clipping keeps the step and only limits its length; skipping an update is a different safeguard.",
            "Clipping acts on this step's gradient only; the learning rate is untouched.",
        ),
    ),
]

QUESTIONS: dict[str, Question] = {q.key: q for q in _QUESTIONS}


_PROMPTS = [
    Prompt(
        "analogy",
        "overview",
        "Explain in your own words, with an everyday analogy, how backpropagation works.",
        "A baker follows a recipe and the cake comes out flat and dry. Comparing it with the cake they wanted "
        "gives the error (the loss). Then they work back through the recipe, from the oven to the mixing bowl, "
        "and ask of every ingredient how much the cake would have changed with a little more of it: that is "
        "each weight's gradient. Working backwards pays off, because what they found out about the baking tells "
        "them how to judge the mixing before it (the chain rule). Then they change every amount a little, most "
        "for the ingredients that mattered most (the update, gradient descent), bake again and repeat. Where the "
        "analogy is thin: a network's recipe has millions of amounts, all changed at once by small steps, and "
        "the gradient is computed exactly, not guessed.",
        (
            "compare the output with the target: the loss",
            "work backwards, step by step from the output: the chain rule",
            "how much each weight contributed: its gradient",
            "change every weight a little against its gradient, then repeat",
        ),
        notebook=1,
    ),
    Prompt(
        "what_is_backprop",
        "overview",
        'An interviewer asks: "What is backpropagation, and why is it important?" Answer in three or four sentences.',
        "Backpropagation computes the gradient of the loss with respect to every weight of a network, by "
        "applying the chain rule backwards through the network's computation graph: a forward pass computes and "
        "stores every intermediate value, and a backward pass, from the loss back to the inputs, combines each "
        "node's local derivative with the gradient arriving from above. It gives all the gradients for about "
        "the cost of two or three forward passes, however many weights there are, which is what makes training "
        "large networks with gradient descent possible. It computes gradients only; the optimiser uses them to "
        "change the weights.",
        (
            "gradient of the loss with respect to every weight",
            "the chain rule, applied backwards through the graph",
            "a forward pass first, whose values the backward pass reuses",
            "cost of a few forward passes, independent of the number of weights",
            "it computes gradients; the optimiser updates the weights",
        ),
        notebook=2,
    ),
    Prompt(
        "chain_rule_words",
        "chain rule",
        "Explain to someone who knows derivatives why ∂L/∂w for a weight in the first layer is a product of "
        "many local derivatives.",
        "The weight affects the loss only through a chain of intermediate values: its neuron's sum z, that "
        "neuron's activation a, the next layer's sums, and so on up to the output and the loss. Each link of the "
        "chain depends only on the one before it, and the chain rule says the derivative of a chain is the "
        "product of the links' derivatives. Where a value feeds several later values, the paths' products add "
        "up. Backprop computes these products from the loss downwards, so each shared part of a path is "
        "computed once.",
        (
            "the weight reaches the loss only through a chain of intermediate values",
            "each link has its own local derivative",
            "the chain rule multiplies them along a path",
            "several paths add up",
        ),
        notebook=2,
    ),
    Prompt(
        "one_backward_pass",
        "reverse-mode autodiff",
        "Explain why one backward pass is enough for all the weights, while finite differences need two forward "
        "passes per weight.",
        "A finite difference asks one question per pass: how does the loss change if this one weight moves? "
        "Backprop asks the opposite question once for every value in the network: how does the loss change if "
        "this value moves? It answers it from the top down, and each answer (a δ, ∂L/∂z of a neuron) is reused "
        "by every weight feeding that neuron, ∂L/∂w = a · δ, and by every neuron below it. So one sweep from "
        "the loss to the inputs answers the question for all the weights at once, for about twice the work of a "
        "forward pass. This is reverse-mode automatic differentiation; it pays in memory, since the forward "
        "values must be kept.",
        (
            "finite differences: one weight per pair of forward passes",
            "backprop computes ∂L/∂(every value) from the loss down",
            "each δ is reused by every weight that feeds it",
            "about the cost of two forward passes, paid in stored activations",
        ),
    ),
]

PROMPTS: dict[str, Prompt] = {p.key: p for p in _PROMPTS}


def _pick(registry: dict, keys, topics, notebook) -> list:
    """Entries of ``registry`` by key (in the order given), or by topic and notebook (in registry order)."""
    if keys is not None and (topics is not None or notebook is not None):
        raise ValueError("keys and topics (or notebook) cannot both be given")
    if keys is not None:
        keys = [keys] if isinstance(keys, str) else list(keys)
        for key in keys:
            if key not in registry:
                raise ValueError(f"keys must be among {', '.join(registry)}; got {key!r}")
        return [registry[key] for key in keys]
    chosen = list(registry.values())
    if topics is not None:
        topics = [topics] if isinstance(topics, str) else list(topics)
        for topic in topics:
            if topic not in TOPICS:
                raise ValueError(f"topics must be among {', '.join(TOPICS)}; got {topic!r}")
        chosen = [q for q in chosen if q.topic in topics]
    if notebook is not None:
        if isinstance(notebook, bool) or notebook not in NOTEBOOKS:
            raise ValueError(f"notebook must be a notebook number from 0 to 7; got {notebook!r}")
        chosen = [q for q in chosen if q.notebook <= notebook]
    return chosen


def get_questions(
    keys: Iterable[str] | None = None, *, topics: Iterable[str] | None = None, notebook: int | None = None
) -> list[Question]:
    """Questions by key (in the order given), or by topic and notebook (in registry order); all by default.

    ``notebook=3`` keeps only what a learner can answer after notebooks 01 to 03.
    """
    return _pick(QUESTIONS, keys, topics, notebook)


def get_prompts(
    keys: Iterable[str] | None = None, *, topics: Iterable[str] | None = None, notebook: int | None = None
) -> list[Prompt]:
    """The "explain it in your own words" prompts, chosen as ``get_questions`` chooses questions."""
    return _pick(PROMPTS, keys, topics, notebook)


def topic_counts() -> list[tuple[str, int, int]]:
    """(topic, number of questions, number of prompts) for every topic, in TOPICS order: a topic picker's menu."""
    return [
        (t, sum(q.topic == t for q in QUESTIONS.values()), sum(p.topic == t for p in PROMPTS.values())) for t in TOPICS
    ]


# -------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Feedback:
    """What the learner sees after choosing an option."""

    correct: bool
    text: str  # why the chosen option is right or wrong; for a wrong option it never names the right one
    first_try: bool  # right at the first attempt, without having asked for the answer
    attempts: int  # options tried so far on this question


def _seed_number(seed: int | str) -> int:
    """A learner's seed as a number: an int as it is, a name (or id) by its CRC-32, the same on every machine."""
    if isinstance(seed, str):
        return zlib.crc32(seed.encode("utf-8"))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or a learner's name; got {seed!r}")
    return seed


class QuizSession:
    """One learner's quiz: chosen questions, options in a seeded order, feedback for the option chosen, a score.

    ``QuizSession(topics=["memory"], seed="ada")`` asks the memory questions with options in Ada's order;
    ``QuizSession(["chain_rule", "frozen"])`` asks those two; ``QuizSession(notebook=3)`` what notebooks 01–03
    cover. Option numbers given to and returned by the session are positions *as displayed*
    (``options(i)``). A wrong option's feedback never names the right one; ``reveal(i)`` does, when asked.
    The prompts default to the "own words" prompts of the questions' topics (``prompts=()`` for none).
    """

    def __init__(
        self,
        questions: Iterable[Question | str] | None = None,
        *,
        topics: Iterable[str] | None = None,
        notebook: int | None = None,
        prompts: Iterable[Prompt | str] | None = None,
        seed: int | str = 0,
        shuffle: bool = True,
    ):
        if questions is None:
            chosen = get_questions(topics=topics, notebook=notebook)
        elif topics is not None or notebook is not None:
            raise ValueError("questions and topics (or notebook) cannot both be given")
        else:
            chosen = _resolve(questions, QUESTIONS, Question, "questions")
        if not chosen:
            raise ValueError("the quiz must hold at least one question; these topics have none")
        if prompts is None:
            asked = {q.topic for q in chosen}
            upto = max(NOTEBOOKS) if notebook is None else notebook
            prompts = [p for p in PROMPTS.values() if p.topic in asked and p.notebook <= upto]
        self.questions: list[Question] = chosen
        self.prompts: list[Prompt] = _resolve(prompts, PROMPTS, Prompt, "prompts", allow_empty=True)
        self.seed, self.shuffle = seed, bool(shuffle)
        number = _seed_number(seed)
        # per question: displayed position → index in q.options
        self.orders: list[tuple[int, ...]] = [self._order(q, number) for q in self.questions]
        self.reset()

    def _order(self, q: Question, number: int) -> tuple[int, ...]:
        if not self.shuffle:
            return tuple(range(len(q.options)))
        rng = np.random.default_rng([number, zlib.crc32(q.key.encode("utf-8"))])  # per learner and question
        return tuple(int(i) for i in rng.permutation(len(q.options)))

    def reset(self) -> None:
        """Forget every answer, reveal and written explanation (the option order stays the learner's)."""
        self.attempts: list[list[int]] = [[] for _ in self.questions]  # options tried, as indices in q.options
        self.revealed: list[bool] = [False] * len(self.questions)
        self.revealed_early: list[bool] = [False] * len(self.questions)  # revealed before the first attempt
        self.written: list[str | None] = [None] * len(self.prompts)  # the learner's own answers
        self.shown: list[bool] = [False] * len(self.prompts)  # model answers shown

    # ------------------------------------------------------------------------------------------ reading
    def options(self, index: int) -> tuple[str, ...]:
        """Question ``index``'s options in this learner's order."""
        q = self.questions[self._index(index)]
        return tuple(q.options[k] for k in self.orders[index])

    def choice(self, index: int) -> int | None:
        """The option last chosen for question ``index`` (a displayed position), None if none yet."""
        tried = self.attempts[self._index(index)]
        return self.orders[index].index(tried[-1]) if tried else None

    @property
    def score(self) -> int:
        """How many questions have their right option chosen (the last choice counts)."""
        return sum(bool(t) and q.is_correct(t[-1]) for q, t in zip(self.questions, self.attempts))

    @property
    def first_try(self) -> int:
        """How many questions were answered right at the first attempt, before asking for the answer."""
        return sum(self._first_try(i) for i in range(len(self.questions)))

    @property
    def answered(self) -> int:
        return sum(bool(t) for t in self.attempts)

    def _first_try(self, i: int) -> bool:
        tried = self.attempts[i]
        return bool(tried) and self.questions[i].is_correct(tried[0]) and not self.revealed_early[i]

    # ------------------------------------------------------------------------------------------ acting
    def answer(self, index: int, choice: int) -> Feedback:
        """Choose option ``choice`` (a displayed position) of question ``index``; the feedback for that option."""
        i = self._index(index)
        q = self.questions[i]
        n = len(q.options)
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < n:
            raise ValueError(f"choice must be an option number from 0 to {n - 1}; got {choice!r}")
        original = self.orders[i][choice]
        self.attempts[i].append(original)
        return Feedback(q.is_correct(original), q.feedback_for(original), self._first_try(i), len(self.attempts[i]))

    def reveal(self, index: int) -> str:
        """The right answer and why, for question ``index`` (the learner asked)."""
        i = self._index(index)
        if not self.attempts[i]:
            self.revealed_early[i] = True  # answering afterwards is no first try
        self.revealed[i] = True
        q = self.questions[i]
        return f"The answer: {q.correct_option}. {q.reveal}"

    def correct_choice(self, index: int) -> int:
        """The displayed position of the right option, once revealed or answered right (to mark it)."""
        i = self._index(index)
        q = self.questions[i]
        if not (self.revealed[i] or any(q.is_correct(t) for t in self.attempts[i])):
            raise ValueError(f"question {index} is not revealed yet: answer it right or call reveal({index})")
        return self.orders[i].index(q.answer)

    def explain(self, index: int, text: str) -> str:
        """Keep the learner's own answer to prompt ``index``; return the model answer to compare it with."""
        j = self._prompt_index(index)
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text must be the learner's own answer, not empty (model_answer shows it without one)")
        self.written[j] = text
        return self.model_answer(j)

    def model_answer(self, index: int) -> str:
        """Prompt ``index``'s model answer and what a good answer mentions."""
        j = self._prompt_index(index)
        self.shown[j] = True
        p = self.prompts[j]
        return p.model_answer + "\n\nA good answer mentions: " + "; ".join(p.points) + "."

    # ------------------------------------------------------------------------------------------ state
    def to_dict(self) -> dict:
        """Plain data for JSON: which questions, the seed, what was tried, revealed and written."""
        return {
            "questions": [q.key for q in self.questions],
            "prompts": [p.key for p in self.prompts],
            "seed": self.seed,
            "shuffle": self.shuffle,
            "attempts": [list(t) for t in self.attempts],
            "revealed": list(self.revealed),
            "revealed_early": list(self.revealed_early),
            "written": list(self.written),
            "shown": list(self.shown),
        }

    @classmethod
    def from_dict(cls, state: dict) -> QuizSession:
        """The session ``to_dict`` described (questions and prompts by their keys in the bank)."""
        try:
            session = cls(state["questions"], prompts=state["prompts"], seed=state["seed"], shuffle=state["shuffle"])
            attempts, revealed, early = state["attempts"], state["revealed"], state["revealed_early"]
            written, shown = state["written"], state["shown"]
        except (KeyError, TypeError) as err:
            raise ValueError(f"state must be what QuizSession.to_dict returns; {err} is missing or wrong") from None
        n, m = len(session.questions), len(session.prompts)
        if not (len(attempts) == len(revealed) == len(early) == n and len(written) == len(shown) == m):
            raise ValueError("state must hold one entry per question and per prompt")
        for q, tried in zip(session.questions, attempts):
            if not all(isinstance(t, int) and not isinstance(t, bool) and 0 <= t < len(q.options) for t in tried):
                raise ValueError(f"state's attempts for {q.key!r} must be option numbers of that question")
        session.attempts = [list(t) for t in attempts]
        session.revealed, session.revealed_early = [bool(r) for r in revealed], [bool(r) for r in early]
        session.written, session.shown = list(written), [bool(s) for s in shown]
        return session

    # ------------------------------------------------------------------------------------------ checks
    def _index(self, index: int) -> int:
        n = len(self.questions)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise ValueError(f"index must be a question number from 0 to {n - 1}; got {index!r}")
        return index

    def _prompt_index(self, index: int) -> int:
        m = len(self.prompts)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < m:
            raise ValueError(f"index must be a prompt number from 0 to {m - 1}; got {index!r}")
        return index


def _resolve(items, registry: dict, kind: type, argument: str, *, allow_empty: bool = False) -> list:
    """Entries given as objects or as keys of ``registry``."""
    if isinstance(items, (str, kind)) or not isinstance(items, Iterable):
        items = [items]
    chosen = []
    for i, item in enumerate(items):
        if isinstance(item, kind):
            chosen.append(item)
        elif isinstance(item, str) and item in registry:
            chosen.append(registry[item])
        else:
            names = ", ".join(registry)
            raise ValueError(f"{argument}[{i}] must be a {kind.__name__} or one of the keys {names}; got {item!r}")
    if not chosen and not allow_empty:
        raise ValueError(f"{argument} must hold at least one {kind.__name__}")
    return chosen
