"""backprop-explainer: see how a neural network learns, every number of backpropagation on screen.

The engine (numpy only) is importable from here; figures live in ``explainer.views`` and the
interactive apps in ``explainer.widgets``.
"""

from .activations import ACTIVATIONS
from .gradcheck import GradcheckReport, gradcheck
from .losses import LOSSES
from .network import Network, Record, parameter_names
from .scenarios import SCENARIOS, Scenario, get_scenario, worked_example
from .training import OPTIMIZERS, SGD, Adam, History, Momentum, make_optimizer, train

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "OPTIMIZERS",
    "SCENARIOS",
    "SGD",
    "Adam",
    "GradcheckReport",
    "History",
    "Momentum",
    "Network",
    "Record",
    "Scenario",
    "gradcheck",
    "get_scenario",
    "make_optimizer",
    "parameter_names",
    "train",
    "worked_example",
]
__version__ = "0.1.0"
