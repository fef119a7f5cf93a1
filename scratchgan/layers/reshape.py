"""Flatten and Reshape: change the view, keep every value."""

import numpy as np

from ..kernels.layout import contiguous
from .base import Layer


class Flatten(Layer):
    """x: (N, d1, d2, ...) -> out: (N, d1 * d2 * ...)."""

    def forward(self, x, training=True):
        # values in (d1, d2, ...) order, whatever order x is stored in
        self.cache = x.shape
        return contiguous(x).reshape(x.shape[0], -1)

    def backward(self, dout):
        return contiguous(dout).reshape(self.cache)

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)


class Reshape(Layer):
    """x: (N, F) -> out: (N, *shape), F = prod(shape); e.g. (N, 12544) ->
    (N, 256, 7, 7)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(int(s) for s in shape)

    def forward(self, x, training=True):
        if int(np.prod(x.shape[1:])) != int(np.prod(self.shape)):
            raise ValueError(
                f"{self!r}: cannot reshape input {tuple(x.shape)} to "
                f"(N, {', '.join(map(str, self.shape))})"
            )
        self.cache = x.shape
        return contiguous(x).reshape((x.shape[0],) + self.shape)

    def backward(self, dout):
        return contiguous(dout).reshape(self.cache)

    def output_shape(self, input_shape):
        if int(np.prod(input_shape)) != int(np.prod(self.shape)):
            raise ValueError(
                f"{self!r}: cannot reshape {tuple(input_shape)} to {self.shape}"
            )
        return self.shape

    def extra_repr(self):
        return f"{self.shape}"
