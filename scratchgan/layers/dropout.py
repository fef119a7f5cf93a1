"""Inverted dropout."""

import numpy as np

from .. import init
from .base import Layer


class Dropout(Layer):
    """x: any shape -> out of the same shape.

    In training each unit is kept with probability 1 - p and scaled by 1 / (1 - p),
    so the expected activation is unchanged and eval is the identity. The mask is
    drawn from ``rng``; share the training loop's Generator so that a checkpoint of
    its state reproduces every later mask.
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p
        self.rng = init.default_rng(rng)

    def forward(self, x, training=True):
        if not training or self.p == 0:
            self.cache = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
        mask = keep * x.dtype.type(1.0 / (1.0 - self.p))
        self.cache = mask
        return x * mask

    def backward(self, dout):
        mask = self.cache
        if mask is None:
            return dout
        return dout * mask

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def extra_repr(self):
        return f"p={self.p}"
