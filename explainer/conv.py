"""Convolution and max-pooling backward passes; the code lives in explainer.engine.conv."""

from .engine.conv import Conv2dRecord, MaxPool2dRecord, conv2d_backprop, maxpool2d_backprop

__all__ = ["Conv2dRecord", "MaxPool2dRecord", "conv2d_backprop", "maxpool2d_backprop"]
