"""Batch normalisation's backward pass and its three gradient paths; the code lives in explainer.engine.batchnorm."""

from .engine.batchnorm import BatchNormRecord, batchnorm_backprop

__all__ = ["BatchNormRecord", "batchnorm_backprop"]
