"""Inverted dropout."""

import numpy as np

from .. import init
from ..kernels.elementwise import dropout_forward
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
        # the draws come from the shared Generator, as before; comparing, scaling
        # and multiplying are one fused pass that turns the draws into the mask
        x = np.ascontiguousarray(x)
        mask = self.rng.random(x.shape, dtype=np.float32)
        if mask.dtype != x.dtype:
            mask = mask.astype(x.dtype)
        out = np.empty_like(x)
        p = x.dtype.type(self.p)
        scale = x.dtype.type(1.0 / (1.0 - self.p))
        flat = mask.reshape(-1)
        dropout_forward(x.reshape(-1), flat, p, scale, out.reshape(-1), flat)
        self.cache = mask
        return out

    def backward(self, dout):
        mask = self.cache
        if mask is None:
            return dout
        return np.multiply(dout, mask, dtype=mask.dtype)

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def extra_repr(self):
        return f"p={self.p}"
