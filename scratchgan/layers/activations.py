"""Element-wise activations: out has the shape of x, any rank."""

import numpy as np

from ..kernels.elementwise import leaky_relu_backward, leaky_relu_forward
from ..kernels.layout import contiguous, dense_flat, like
from .base import Layer


class LeakyReLU(Layer):
    """out = x if x > 0 else negative_slope * x; dx = dout * (1 or slope)."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x, training=True):
        # one fused pass over x's memory, in whatever order x is stored (see
        # kernels.layout); out is stored the same way. Keeping x (not a mask)
        # costs no extra memory
        if dense_flat(x) is None:
            x = contiguous(x)
        out = np.empty_like(x)
        slope = x.dtype.type(self.negative_slope)
        leaky_relu_forward(dense_flat(x), slope, dense_flat(out))
        self.cache = x
        return out

    def backward(self, dout):
        x = self.cache
        dout = like(dout, x)
        dx = np.empty_like(x)
        slope = x.dtype.type(self.negative_slope)
        leaky_relu_backward(dense_flat(dout), dense_flat(x), slope, dense_flat(dx))
        return dx

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ReLU(Layer):
    """out = max(x, 0); dx = dout where x > 0, else 0."""

    def forward(self, x, training=True):
        positive = x > 0
        self.cache = positive
        return np.where(positive, x, 0).astype(x.dtype, copy=False)

    def backward(self, dout):
        return np.where(self.cache, dout, 0).astype(dout.dtype, copy=False)

    def output_shape(self, input_shape):
        return tuple(input_shape)


class Tanh(Layer):
    """out = tanh(x); dx = dout * (1 - out**2), so only out is kept."""

    def forward(self, x, training=True):
        out = np.tanh(x)
        self.cache = out
        return out

    def backward(self, dout):
        out = self.cache
        return dout * (1 - out * out)

    def output_shape(self, input_shape):
        return tuple(input_shape)


def sigmoid(x):
    """1 / (1 + exp(-x)) for any x without overflow.

    exp is only ever taken of -|x| <= 0, so it cannot overflow; for x < 0 the
    equivalent form exp(x) / (1 + exp(x)) is used.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Layer):
    """out = sigmoid(x); dx = dout * out * (1 - out)."""

    def forward(self, x, training=True):
        out = sigmoid(x)
        self.cache = out
        return out

    def backward(self, dout):
        out = self.cache
        return dout * out * (1 - out)

    def output_shape(self, input_shape):
        return tuple(input_shape)
