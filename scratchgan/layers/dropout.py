"""Inverted dropout."""

import numpy as np

from .. import init
from ..kernels.elementwise import dropout_apply
from ..kernels.layout import contiguous, dense_flat, like
from .base import Layer


class Dropout(Layer):
    """x: any shape -> out of the same shape.

    In training each unit is kept with probability 1 - p and scaled by 1 / (1 - p),
    so the expected activation is unchanged and eval is the identity. Each
    training forward draws one seed from ``rng`` and the mask from that seed
    (unit i in x's memory order gets draw i); share the training loop's
    Generator so that a checkpoint of its state reproduces every later mask.
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
        # one seed from the shared Generator; the mask is drawn from it inside
        # the fused kernel, on every thread at once (see kernels.elementwise)
        if dense_flat(x) is None:
            x = contiguous(x)
        seed = self.rng.integers(0, 2**63, dtype=np.uint64)
        out = np.empty_like(x)  # stored like x (see kernels.layout)
        scale = x.dtype.type(1.0 / (1.0 - self.p))
        dropout_apply(dense_flat(x), seed, self.p, scale, dense_flat(out))

        # the mask is drawn again from the seed in backward, not stored; x is
        # kept for its memory order, which the draws follow
        self.cache = (seed, x)
        return out

    def backward(self, dout):
        if self.cache is None:
            return dout
        seed, x = self.cache
        dout = like(dout, x)
        dx = np.empty_like(x)
        scale = x.dtype.type(1.0 / (1.0 - self.p))
        dropout_apply(dense_flat(dout), seed, self.p, scale, dense_flat(dx))
        return dx

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def extra_repr(self):
        return f"p={self.p}"
