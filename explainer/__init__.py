"""backprop-explainer: see how a neural network learns, every number of backpropagation on screen.

The package is a house of four floors, each importing only the ones below it:

- ``explainer.engine``: the maths, NumPy only (activations, losses, the network and its records,
  training, gradient checks, loss surfaces);
- ``explainer.course``: what the lessons are made of (scenarios, data sets, questions, exercises);
- ``explainer.views``: pure functions from records to figures and diagrams;
- ``explainer.widgets``: the interactive apps.

The engine and the course are importable from here.
"""

from .course.datasets import DATASETS, Dataset, load_csv, make_dataset
from .course.scenarios import SCENARIOS, Scenario, get_scenario, worked_example
from .engine.activations import ACTIVATIONS
from .engine.gradcheck import GradcheckReport, gradcheck
from .engine.loss_surface import LossSurface, loss_surface
from .engine.losses import LOSSES
from .engine.network import Network, Record, parameter_names
from .engine.session import TrainingSession
from .engine.training import (
    DIVERGENCE_FACTOR,
    OPTIMIZERS,
    SGD,
    Adam,
    History,
    Momentum,
    diverged_at,
    divergence_message,
    make_optimizer,
    train,
)

__all__ = [
    "ACTIVATIONS",
    "DIVERGENCE_FACTOR",
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
    "diverged_at",
    "divergence_message",
    "gradcheck",
    "get_scenario",
    "make_optimizer",
    "parameter_names",
    "train",
    "worked_example",
]
__version__ = "0.1.0"
