"""Input features: the point (x₁, x₂) of the plane as the numbers a network takes, as in TensorFlow Playground.

A feature map turns each point of the plane into the values of the chosen features, one column each::

    x1 → x₁     x2 → x₂     x1^2 → x₁²     x2^2 → x₂²     x1*x2 → x₁x₂     sin(x1) → sin x₁     sin(x2) → sin x₂

    F(X) = [f₁(X), …, f_k(X)]          X: (n, 2) points,  F(X): (n, k) features

The network sees only F(X). With no hidden layer its output is σ(F(X) w + b): linear in the features, so a
boundary that is a circle in the plane (x₁² + x₂² = r²) is a straight line for it once x₁² and x₂² are
among them, and a network with no hidden layer separates the circles data exactly. The same map is applied
to the training points and to every point of the grid a decision map is drawn on, so the two cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .._validate import as_finite_array, short_repr


@dataclass(frozen=True)
class Feature:
    """One input feature: its name (as the API takes it), its label (as the diagram writes it), its function."""

    name: str
    label: str
    function: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (x₁, x₂) columns → the feature's column


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("x1", "x₁", lambda x1, x2: x1),
        Feature("x2", "x₂", lambda x1, x2: x2),
        Feature("x1^2", "x₁²", lambda x1, x2: x1 * x1),
        Feature("x2^2", "x₂²", lambda x1, x2: x2 * x2),
        Feature("x1*x2", "x₁x₂", lambda x1, x2: x1 * x2),
        Feature("sin(x1)", "sin x₁", lambda x1, x2: np.sin(x1)),
        Feature("sin(x2)", "sin x₂", lambda x1, x2: np.sin(x2)),
    )
}
DEFAULT_FEATURES = ("x1", "x2")
# Other spellings a learner may type, read as the names above.
ALIASES = {
    "x1²": "x1^2", "x2²": "x2^2", "x1**2": "x1^2", "x2**2": "x2^2", "x1x2": "x1*x2", "x1·x2": "x1*x2",
    "x1 x2": "x1*x2", "sin x1": "sin(x1)", "sin x2": "sin(x2)", "sinx1": "sin(x1)", "sinx2": "sin(x2)",
}  # fmt: skip


def check_features(names, argument: str = "features") -> tuple[str, ...]:
    """The feature names, in the registry's order (each once); ValueError naming ``argument`` otherwise.

    names: a sequence of names from FEATURES (``"x1"``, ``"x1^2"``, ``"x1*x2"``, ``"sin(x1)"``, …; the
    spellings in ALIASES too), at least one.
    """
    allowed = ", ".join(FEATURES)
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise ValueError(f"{argument} must be a list of feature names from {allowed}; got {short_repr(names)}")
    chosen = set()
    for i, name in enumerate(list(names)[: len(FEATURES) * 4 + 1]):
        if not isinstance(name, str):
            raise ValueError(f"{argument}[{i}] must be a feature name, one of {allowed}; got {short_repr(name)}")
        key = ALIASES.get(name.strip(), name.strip())
        if key not in FEATURES:
            raise ValueError(f"{argument}[{i}] must be one of {allowed}; got {short_repr(name)}")
        chosen.add(key)
    if not chosen:
        raise ValueError(
            f"{argument} must hold at least one feature (the network needs an input); choose from {allowed}"
        )
    return tuple(name for name in FEATURES if name in chosen)


class FeatureMap:
    """The map from points of the plane to the chosen features: ``FeatureMap(("x1^2", "x2^2"))(X)``.

    ``names`` are kept in the registry's order (x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)), which is
    also the order of the network's inputs; ``labels`` are how the diagram writes them.
    """

    def __init__(self, names=DEFAULT_FEATURES):
        self.names = check_features(names)
        self._functions = [FEATURES[n].function for n in self.names]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(FEATURES[n].label for n in self.names)

    @property
    def n_features(self) -> int:
        return len(self.names)

    def __call__(self, X) -> np.ndarray:
        """F(X): (n, k) features of the points X (n, 2); ValueError naming X for anything else."""
        Xa = as_finite_array(X, "X", ndim=(1, 2))
        if Xa.ndim == 1:
            Xa = Xa[None, :]
        if Xa.shape[1] != 2:
            raise ValueError(f"X must hold points of the plane, (n_samples, 2); got shape {np.shape(X)}")
        return self.apply(Xa)

    def apply(self, X: np.ndarray) -> np.ndarray:
        """F(X) for checked points (n, 2) float64 (the engine's own path: no checks)."""
        x1, x2 = X[:, 0], X[:, 1]
        out = np.empty((X.shape[0], len(self._functions)))
        for k, f in enumerate(self._functions):
            out[:, k] = f(x1, x2)
        return out

    def on_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """F at every point of the grid (xs[j], ys[i]), row by row: (len(ys)·len(xs), k), rows follow ys."""
        xx, yy = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
        return self.apply(np.column_stack([xx.ravel(), yy.ravel()]))

    def __eq__(self, other) -> bool:
        return isinstance(other, FeatureMap) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)

    def __repr__(self) -> str:
        return f"FeatureMap({self.names!r})"


__all__ = ["ALIASES", "DEFAULT_FEATURES", "FEATURES", "Feature", "FeatureMap", "check_features"]
