"""backprop-explainer: see how a neural network learns, every number of backpropagation on screen.

The engine (numpy only) is importable from here; figures live in ``explainer.views`` and the
interactive apps in ``explainer.widgets``.
"""

from .activations import ACTIVATIONS
from .datasets import DATASETS, Dataset, load_csv, make_dataset
from .gradcheck import GradcheckReport, gradcheck
from .losses import LOSSES
from .network import Network, Record, parameter_names
from .scenarios import SCENARIOS, Scenario, get_scenario, worked_example
from .session import TrainingSession
from .surface import LossSurface, loss_surface
from .training import OPTIMIZERS, SGD, Adam, History, Momentum, make_optimizer, train

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "Dataset",
    "LossSurface",
    "TrainingSession",
    "load_csv",
    "loss_surface",
    "make_dataset",
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
