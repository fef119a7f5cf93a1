"""The MNIST DCGAN of the TensorFlow tutorial, channels-first, with a width knob.

Generator, for width multiplier w (channel counts are rounded, at least 1):

    layer                                  output (C, H, W)
    z                                      (100,)
    Dense(100 -> 7*7*256w, no bias)        (12544w,)
    BatchNorm, LeakyReLU
    Reshape                                (256w, 7, 7)
    Conv2DTranspose k5 s1 same, no bias    (128w, 7, 7)
    BatchNorm, LeakyReLU
    Conv2DTranspose k5 s2 same, no bias    (64w, 14, 14)
    BatchNorm, LeakyReLU
    Conv2DTranspose k5 s2 same, no bias    (1, 28, 28)
    Tanh                                   (1, 28, 28), in [-1, 1]

Discriminator:

    image                                  (1, 28, 28)
    Conv2D k5 s2 same                      (64w, 14, 14)
    LeakyReLU, Dropout(0.3)
    Conv2D k5 s2 same                      (128w, 7, 7)
    LeakyReLU, Dropout(0.3)
    Flatten                                (6272w,)
    Dense(6272w -> 1)                      (1,): the logit

The discriminator stops at the logit: the loss works on it (stable, see
``scratchgan.losses``) and D(x) = sigmoid(logit) is computed only for reporting.
"""

import numpy as np

from .. import init
from ..layers import (
    BatchNorm,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    Reshape,
    Sequential,
    Tanh,
)

IMAGE_SHAPE = (1, 28, 28)


def channels(base, width):
    """base * width rounded, but never below 1."""
    return max(1, int(round(base * width)))


def check_shapes(model, input_shape, expected, what):
    """Walk ``input_shape`` through the model; each layer's output must match."""
    shape = tuple(input_shape)
    for name, layer, want in zip(model.names, model.layers, expected):
        shape = tuple(layer.output_shape(shape))
        if shape != want:
            raise ValueError(f"{what} {name}: built output {shape}, expected {want}")
    return shape


def build_generator(
    latent_dim=100,
    width=1.0,
    negative_slope=0.3,
    bn_momentum=0.1,
    bn_eps=1e-5,
    init_scheme="glorot",
    rng=None,
):
    """z: (N, latent_dim) -> image: (N, 1, 28, 28) in [-1, 1]."""
    rng = init.default_rng(rng)
    c1, c2, c3 = channels(256, width), channels(128, width), channels(64, width)
    model = Sequential(
        [
            Dense(latent_dim, 7 * 7 * c1, bias=False),
            BatchNorm(7 * 7 * c1, bn_momentum, bn_eps),
            LeakyReLU(negative_slope),
            Reshape((c1, 7, 7)),
            Conv2DTranspose(c1, c2, 5, stride=1, padding="same", bias=False),
            BatchNorm(c2, bn_momentum, bn_eps),
            LeakyReLU(negative_slope),
            Conv2DTranspose(c2, c3, 5, stride=2, padding="same", bias=False),
            BatchNorm(c3, bn_momentum, bn_eps),
            LeakyReLU(negative_slope),
            Conv2DTranspose(c3, 1, 5, stride=2, padding="same", bias=False),
            Tanh(),
        ]
    )
    flat = (7 * 7 * c1,)
    expected = [flat, flat, flat, (c1, 7, 7)]
    expected += [(c2, 7, 7)] * 3 + [(c3, 14, 14)] * 3 + [IMAGE_SHAPE] * 2
    check_shapes(model, (latent_dim,), expected, "generator")
    init.apply_init(model, init_scheme, rng)
    return model


def build_discriminator(
    width=1.0, negative_slope=0.3, dropout=0.3, init_scheme="glorot", rng=None
):
    """image: (N, 1, 28, 28) -> logit: (N, 1).

    Dropout layers keep a reference to ``rng`` and draw their masks from it.
    """
    rng = init.default_rng(rng)
    c1, c2 = channels(64, width), channels(128, width)
    model = Sequential(
        [
            Conv2D(1, c1, 5, stride=2, padding="same"),
            LeakyReLU(negative_slope),
            Dropout(dropout, rng),
            Conv2D(c1, c2, 5, stride=2, padding="same"),
            LeakyReLU(negative_slope),
            Dropout(dropout, rng),
            Flatten(),
            Dense(7 * 7 * c2, 1),
        ]
    )
    expected = [(c1, 14, 14)] * 3 + [(c2, 7, 7)] * 3 + [(7 * 7 * c2,), (1,)]
    check_shapes(model, IMAGE_SHAPE, expected, "discriminator")
    init.apply_init(model, init_scheme, rng)
    return model


def count_params(model):
    return int(sum(np.prod(p.shape) for p in model.params.values()))
