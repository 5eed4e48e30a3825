"""The Playground's presets: TensorFlow Playground's classic exercises and the lessons it cannot show.

Each preset is a complete setup (data, features, network, training) and the sentence a learner reads when
it loads. Every claim in a description is checked by tests/test_widgets_playground.py against what the
Playground then does (accuracy reached, loss curves, gradient sizes), so the words and the screen agree.

Data sets live in TensorFlow Playground's units: the course's ±1 box scaled by ``SCALE`` = 5 (the map
spans ±6), the units its sin x₁ and sin x₂ features are made for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._validate import one_of

SCALE = 5.0  # the course's data sets, ±1, in TF Playground's ±5


@dataclass(frozen=True)
class PlaygroundPreset:
    """A name, a title for the menu, what the learner will see (the claims are tested), and the settings
    (keyword arguments of ``Playground``: any it takes, the rest stay at their defaults)."""

    name: str
    title: str
    description: str
    settings: dict = field(default_factory=dict)


PLAYGROUND_PRESETS: dict[str, PlaygroundPreset] = {
    p.name: p
    for p in (
        PlaygroundPreset(
            "circles_squares",
            "Circles: x₁², x₂², no hidden layer",
            "TF Playground's first exercise. With x₁² and x₂² as the inputs and no hidden layer the output is "
            "σ(w₁x₁² + w₂x₂² + b), a circle in the plane: it separates the two classes exactly (100 % right "
            "within 1,000 steps).",
            dict(dataset="circles", features=("x1^2", "x2^2"), hidden=(), optimizer="sgd", lr=0.03, batch_size=None),
        ),
        PlaygroundPreset(
            "xor_product",
            "XOR: x₁x₂, no hidden layer",
            "One feature, x₁x₂, is positive in two opposite quadrants and negative in the others: no hidden layer "
            "is needed, and the network is right on every point within 1,000 steps.",
            dict(dataset="xor", features=("x1*x2",), hidden=(), optimizer="sgd", lr=0.03, batch_size=None),
        ),
        PlaygroundPreset(
            "xor",
            "XOR: one hidden layer",
            "Opposite quadrants share a class: no straight line separates them, one hidden layer of 4 tanh "
            "neurons bends the boundary around them (over 95 % of the test points right within 1,000 steps). "
            "Each neuron's small map is one straight cut; the output combines them.",
            dict(dataset="xor", features=("x1", "x2"), hidden=(4,), optimizer="adam", lr=0.03, batch_size=None),
        ),
        PlaygroundPreset(
            "circles",
            "Circles: a curved boundary",
            "A disc inside a ring, from x₁ and x₂ alone: the first layer's neurons each cut the plane along a "
            "line, and the next layer closes them into a ring (every test point right within 1,000 steps).",
            dict(dataset="circles", features=("x1", "x2"), hidden=(4, 2), optimizer="adam", lr=0.03, batch_size=None),
        ),
        PlaygroundPreset(
            "spiral",
            "Spiral: a deeper network",
            "Two arms wound around each other, 500 points, half held out: a 2-8-8-1 tanh network trained with "
            "Adam (η = 0.03) learns them, over 90 % of the test points right within 1,000 steps. Watch the "
            "second layer's maps: they are curved, made of the first layer's straight cuts.",
            dict(
                dataset="spiral",
                features=("x1", "x2"),
                hidden=(8, 8),
                optimizer="adam",
                lr=0.03,
                batch_size=None,
                n_samples=500,
            ),  # fmt: skip
        ),
        PlaygroundPreset(
            "spiral_sin",
            "Spiral: sin features",
            "The same spiral with sin x₁ and sin x₂ among the inputs: waves that already follow the arms, so a "
            "small network is right on over 95 % of the test points within 1,000 steps.",
            dict(
                dataset="spiral",
                features=("x1", "x2", "sin(x1)", "sin(x2)"),
                hidden=(6,),
                optimizer="adam",
                lr=0.03,
                batch_size=None,
                n_samples=500,
            ),  # fmt: skip
        ),
        PlaygroundPreset(
            "overfitting",
            "Overfitting",
            "100 noisy points, half held out, and a 2-16-16-1 network: the training loss falls towards 0 while "
            "the test loss falls only for the first steps and then climbs to above its start: the network learns "
            "the noise of its 50 training points by heart. Switch regularisation to L2 with rate 0.03 and "
            "reset: the test loss then stays low.",
            dict(
                dataset="circles",
                noise=0.15,
                n_samples=100,
                features=("x1", "x2"),
                hidden=(16, 16),
                optimizer="adam",
                lr=0.01,
                batch_size=None,
            ),  # fmt: skip
        ),
        PlaygroundPreset(
            "blobs",
            "Three classes",
            "Gaussian blobs, one per class: a softmax output with cross-entropy paints each region in its "
            "class colour, pale where the network is unsure (over 95 % of the test points right within 500 "
            "steps).",
            dict(dataset="blobs", features=("x1", "x2"), hidden=(6,), optimizer="adam", lr=0.03, batch_size=None),
        ),
        PlaygroundPreset(
            "regression",
            "Regression: six Gaussians",
            "A value at every point, not a class: hills (orange) and holes (purple). The output is linear, "
            "the loss squared error, and the map's colour is the network's value; the test loss falls below "
            "0.02 within 2,000 steps.",
            dict(
                dataset="multi_gauss",
                problem="regression",
                features=("x1", "x2"),
                hidden=(8, 8),
                optimizer="adam",
                lr=0.03,
                batch_size=None,
            ),  # fmt: skip
        ),
        PlaygroundPreset(
            "vanishing",
            "Vanishing gradients",
            "Six sigmoid hidden layers on XOR: going back, every layer multiplies the gradient by f′ ≤ ¼, so at "
            "step 0 (the pale bars) ‖∂L/∂W¹‖ is over 1,000 times smaller than the last layer's (log axis). The "
            "output soon learns only the average, p = ½: the loss stays at ln 2 ≈ 0.693, a coin toss, and within "
            "about 150 steps every layer's gradient has sunk to the first one's size. Choose tanh or ReLU as the "
            "activation: the network starts again and learns XOR within 1,000 steps.",
            dict(
                dataset="xor",
                features=("x1", "x2"),
                hidden=(6, 6, 6, 6, 6, 6),
                activation="sigmoid",
                optimizer="sgd",
                lr=0.1,
                batch_size=None,
                n_samples=200,
            ),  # fmt: skip
        ),
        PlaygroundPreset(
            "diverging",
            "A learning rate that is too large",
            "η = 3 on the plane (a regression): every step overshoots the minimum further than the last, the "
            "loss grows tenfold a step, and within a few steps the run passes 10⁴ times its starting loss and "
            "stops. Lower η to 0.03 and reset: the same network then fits the plane.",
            dict(
                dataset="plane",
                problem="regression",
                features=("x1", "x2"),
                hidden=(4,),
                optimizer="sgd",
                lr=3.0,
                batch_size=None,
                n_samples=200,
            ),  # fmt: skip
        ),
    )
}


def get_playground_preset(name: str) -> PlaygroundPreset:
    """The preset named ``name`` (one of PLAYGROUND_PRESETS)."""
    return PLAYGROUND_PRESETS[one_of(name, PLAYGROUND_PRESETS, "preset")]


__all__ = ["PLAYGROUND_PRESETS", "SCALE", "PlaygroundPreset", "get_playground_preset"]
