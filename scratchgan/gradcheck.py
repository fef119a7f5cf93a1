"""Numerical gradient checking by central differences, for tests and for learners.

The idea: for a scalar loss L(x) = sum(f(x) * dout) with a fixed random ``dout``,
dL/dx is exactly what ``backward(dout)`` must return, and each of its entries can
be estimated as (L(x + h e_i) - L(x - h e_i)) / (2 h). A random ``dout`` matters:
with all ones, training-mode BatchNorm's true input gradient is zero, and a broken
backward that returns zeros would pass.

Run checks in float64 (``layer.astype(np.float64)``): in float32 the rounding error
of the difference quotient, about 1e-7 / h, swamps the comparison.
"""

import numpy as np


def rel_error(a, b, floor=1e-8):
    """max |a - b| / max(|a| + |b|, floor), elementwise; 0 when both are zero."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


def numerical_grad(f, x, dout, h=1e-5):
    """Central-difference estimate of d sum(f(x) * dout) / dx.

    f: a function of x alone (x is perturbed in place and restored).
    x: float64 array; dout: float64 array shaped like f(x). Returns an array
    shaped like x.
    """
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    g = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.sum(f(x) * dout)
        flat[i] = old - h
        minus = np.sum(f(x) * dout)
        flat[i] = old
        g[i] = (plus - minus) / (2 * h)
    return grad


def check_layer(layer, x, training=True, rng=None, h=1e-5):
    """Compare a layer's analytic gradients with central differences.

    layer: any scratchgan layer, cast to float64 first. x: a float64 input batch.
    Returns {"x": rel_error, "W": rel_error, ...}, one entry for the input and
    one per parameter. A correct layer gives about 1e-8 or less for smooth
    functions; near a kink (LeakyReLU at 0) the estimate itself is wrong.

    A layer that draws randomness in forward (Dropout) must be checked with a
    fixed mask; see the tests for how.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    x = np.array(x, dtype=np.float64)

    # analytic: one forward, one backward with a random upstream gradient
    out = layer.forward(x, training)
    dout = rng.standard_normal(out.shape)
    layer.zero_grad()
    dx = layer.backward(dout)
    analytic = {"x": dx}
    analytic.update({k: g.copy() for k, g in layer.grads.items()})

    # numerical: perturb the input, then each parameter in place
    errors = {}
    errors["x"] = rel_error(
        dx, numerical_grad(lambda v: layer.forward(v, training), x, dout, h)
    )
    for name, p in layer.params.items():
        num = numerical_grad(lambda _: layer.forward(x, training), p, dout, h)
        errors[name] = rel_error(analytic[name], num)
    return errors
