"""Check back-propagated gradients against central finite differences, parameter by parameter.

The numerical derivative uses the fourth-order central stencil

    ∂L/∂θᵢ ≈ [−L(θ + 2h eᵢ) + 8 L(θ + h eᵢ) − 8 L(θ − h eᵢ) + L(θ − 2h eᵢ)] / (12 h),

whose truncation error (∝ h⁴) and rounding error (∝ ε/h) are both near 1e-12 at h = 1e-3, so a
relative error of 1e-7 is a meaningful bar. ``order=2`` gives the textbook (L(θ+h) − L(θ−h)) / 2h.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .._validate import positive_float
from .network import Network

# Each parameter costs `order` forward passes over X, each about n·P multiply-adds: beyond these bounds a
# check takes minutes, not seconds.
MAX_CHECKED_PARAMETERS = 10_000
MAX_CHECK_WORK = 10**10  # P² × n_samples


@dataclass(frozen=True)
class GradcheckReport:
    """Analytic (backprop) and numerical gradients side by side, one entry per parameter.

    rel_error = |analytic − numeric| / max(|analytic|, |numeric|, floor): a relative error, with an
    absolute floor so that a gradient that is zero to rounding does not divide by zero.
    """

    names: list[str]
    analytic: np.ndarray  # (P,)
    numeric: np.ndarray  # (P,)
    rel_error: np.ndarray  # (P,)
    h: float
    order: int

    @property
    def max_rel_error(self) -> float:
        return float(self.rel_error.max())

    @property
    def worst(self) -> str:
        """The name of the parameter with the largest relative error."""
        return self.names[int(np.argmax(self.rel_error))]

    def ok(self, tol: float = 1e-7) -> bool:
        """True when every relative error is at most ``tol``."""
        return bool(np.all(self.rel_error <= tol))

    def table(self) -> str:
        """A fixed-width text table: parameter, backprop, finite differences, relative error."""
        width = max(len(n) for n in self.names)
        lines = [f"{'parameter':<{width}}  {'backprop':>15}  {'finite diff.':>15}  {'rel. error':>10}"]
        for name, a, n, e in zip(self.names, self.analytic, self.numeric, self.rel_error):
            lines.append(f"{name:<{width}}  {a:>15.8e}  {n:>15.8e}  {e:>10.2e}")
        lines.append(f"max relative error {self.max_rel_error:.2e} at {self.worst}")
        return "\n".join(lines)

    __str__ = table


def gradcheck(net: Network, X, y, *, h: float = 1e-3, order: int = 4, floor: float = 1e-4) -> GradcheckReport:
    """Compare ``net.backprop(X, y)`` gradients with finite differences of ``net.loss_value``.

    X, y: as for ``Network.backprop``. h: step (> 0). order: 2 or 4 (the stencil's accuracy).
    net: at most MAX_CHECKED_PARAMETERS (10,000) parameters, and P² × n_samples ≤ MAX_CHECK_WORK (10¹⁰):
        each parameter costs ``order`` forward passes over X.
    floor: the smallest denominator of the relative error, scaled by max(1, |L|): the stencil's
        rounding noise is about 3e-13·|L|, so smaller gradients are compared in absolute terms.
        The network is left unchanged.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an explainer.Network; got {type(net).__name__}")
    h = positive_float(h, "h")
    floor = positive_float(floor, "floor")
    if isinstance(order, bool) or not isinstance(order, Integral) or order not in (2, 4):
        raise ValueError(f"order must be 2 or 4; got {order!r}")
    Xa = net.check_X(X)
    Y = net.check_y(y, Xa.shape[0])
    P, n = net.n_parameters, Xa.shape[0]
    if P > MAX_CHECKED_PARAMETERS:
        raise ValueError(
            f"net has {P:,} parameters; gradcheck nudges each one {order} times and checks at most "
            f"{MAX_CHECKED_PARAMETERS:,} (use a smaller network)"
        )
    if P * P * n > MAX_CHECK_WORK:
        raise ValueError(
            f"X has {n:,} samples; with {P:,} parameters gradcheck would do about {order}·P²·n = "
            f"{order * P * P * n:.1e} multiply-adds (P² × n_samples ≤ {MAX_CHECK_WORK:.0e}): check on X[:k]"
        )
    rec = net.backprop(Xa, Y)
    analytic = rec.gradient_vector()
    floor = floor * max(1.0, abs(rec.loss)) if np.isfinite(rec.loss) else floor
    theta0 = net.parameters
    stencil = {2: ((1, 1 / 2), (-1, -1 / 2)), 4: ((2, -1 / 12), (1, 8 / 12), (-1, -8 / 12), (-2, 1 / 12))}[order]
    numeric = np.zeros_like(theta0)
    theta = net.theta  # the live parameters: nudging one entry moves that parameter
    try:
        with np.errstate(all="ignore"):
            for i in range(theta0.size):
                total = 0.0
                for k, weight in stencil:
                    theta[i] = theta0[i] + k * h
                    total += weight * net.mean_loss(Xa, Y)
                numeric[i] = total / h
                theta[i] = theta0[i]
    finally:
        theta[...] = theta0
    denom = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    rel = np.abs(analytic - numeric) / denom
    return GradcheckReport(net.parameter_names, analytic, numeric, rel, h, order)
