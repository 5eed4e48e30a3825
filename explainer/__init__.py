"""backprop-explainer: see how a neural network learns, every number of backpropagation on screen."""

from .network import Network, Record, parameter_names

__all__ = ["Network", "Record", "parameter_names"]
__version__ = "0.1.0"
