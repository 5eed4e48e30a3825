"""Backpropagation through time in a tanh RNN; the code lives in explainer.engine.rnn."""

from .engine.rnn import RNNRecord, rnn_backprop

__all__ = ["RNNRecord", "rnn_backprop"]
