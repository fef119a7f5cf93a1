"""Hand-written layers, each with an explicit forward and backward pass.

Every layer follows the contract documented in ``scratchgan.layers.base``:
``forward(x, training=True) -> out``, ``backward(dout) -> dx`` (adding parameter
gradients into ``grads``), ``zero_grad()``; ``params`` and ``grads`` share keys.
Images are NCHW.
"""

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .base import Layer
from .batchnorm import BatchNorm
from .conv2d import Conv2D
from .conv2d_transpose import Conv2DTranspose
from .dense import Dense
from .dropout import Dropout
from .reshape import Flatten, Reshape
from .sequential import Sequential

__all__ = [
    "BatchNorm",
    "Conv2D",
    "Conv2DTranspose",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "Reshape",
    "Sequential",
    "Sigmoid",
    "Tanh",
]
