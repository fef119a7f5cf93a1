"""Weight initialisers. Each takes an explicit ``np.random.Generator``.

- ``glorot_uniform``: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), Keras's default
  and so the TensorFlow DCGAN tutorial's (Glorot and Bengio, 2010).
- ``dcgan_normal``: N(0, 0.02) for weights and N(1, 0.02) for BatchNorm's gamma, as
  in Radford et al. (2015).
"""

import numpy as np


def default_rng(rng):
    """Return ``rng``, or a Generator seeded with 0 so that layers built without one
    are still reproducible."""
    if rng is None:
        return np.random.default_rng(0)
    return rng


def fans(shape):
    """(fan_in, fan_out) of a weight of ``shape``.

    Dense (F_out, F_in); Conv2D (C_out, C_in, K, K). For Conv2DTranspose
    (C_in, C_out, K, K) the two come out swapped, which Glorot's sum ignores.
    """
    if len(shape) == 2:
        return shape[1], shape[0]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def glorot_uniform(shape, rng):
    """U(-a, a), a = sqrt(6 / (fan_in + fan_out)), as float32."""
    fan_in, fan_out = fans(shape)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape).astype(np.float32)


def dcgan_normal(shape, rng, mean=0.0, std=0.02):
    """N(mean, std) as float32; use mean=1 for BatchNorm's gamma."""
    return rng.normal(mean, std, size=shape).astype(np.float32)


def apply_init(model, scheme, rng):
    """Re-initialise every layer of ``model`` in place with ``scheme``.

    scheme: "glorot" (Glorot-uniform weights, gamma 1) or "dcgan" (N(0, 0.02)
    weights, gamma N(1, 0.02)). Biases and beta start at zero either way.
    """
    if scheme not in ("glorot", "dcgan"):
        raise ValueError(f"unknown init scheme {scheme!r}: use 'glorot' or 'dcgan'")
    for layer in model.layers:
        for name, p in layer.params.items():
            if name == "W":
                if scheme == "glorot":
                    new = glorot_uniform(p.shape, rng)
                else:
                    new = dcgan_normal(p.shape, rng)
            elif name == "gamma":
                if scheme == "glorot":
                    new = np.ones(p.shape, np.float32)
                else:
                    new = dcgan_normal(p.shape, rng, mean=1.0)
            else:
                new = np.zeros(p.shape, np.float32)
            p[...] = new.astype(p.dtype)
