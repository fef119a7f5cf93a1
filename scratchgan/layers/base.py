"""The contract every layer follows.

Shape letters used throughout scratchgan: N batch, C channels, H/W height and width,
K kernel size, S stride, P padding, F features.

A layer maps an input batch to an output batch and back:

- ``forward(x, training=True) -> out`` keeps in ``self.cache`` only what backward
  needs, named after the math (``x_hat``, ``inv_std``, ``cols``).
- ``backward(dout) -> dx`` takes dloss/dout, returns dloss/dx, and ADDS the gradient
  of each parameter into ``self.grads[name]``. Adding, not assigning, lets a GAN step
  run backward through the discriminator twice (real batch, fake batch) and sum.
- ``zero_grad()`` clears ``self.grads`` before the next accumulation.

``self.params`` and ``self.grads`` are dicts of arrays with the same keys (``W``,
``b``, ``gamma``, ``beta``). An optimizer updates ``params`` in place, so a layer must
never rebind a parameter array after construction.
"""

import numpy as np


class Layer:
    """Base class: holds params, grads and the backward cache."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.cache = None
        self.frozen = False

    def forward(self, x, training=True):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def __call__(self, x, training=True):
        return self.forward(x, training)

    def zero_grad(self):
        """Set every parameter gradient to zero, in place once allocated.

        In place, because an optimizer holds references to these arrays.
        """
        for name, p in self.params.items():
            g = self.grads.get(name)
            if g is None or g.shape != p.shape or g.dtype != p.dtype:
                self.grads[name] = np.zeros_like(p)
            else:
                g.fill(0)

    def astype(self, dtype):
        """Cast parameters (and any state) to ``dtype`` in place; returns self.

        Gradient checks run layers in float64; training runs them in float32.
        """
        for name in self.params:
            self.params[name] = self.params[name].astype(dtype)
        self.zero_grad()
        return self

    def state(self):
        """Non-parameter arrays that a checkpoint must keep (e.g. running stats)."""
        return {}

    def load_state(self, state):
        """Restore what ``state()`` returned."""

    def output_shape(self, input_shape):
        """Shape of ``forward``'s output for an input of ``input_shape`` (no N)."""
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


def check_rank(layer, x, rank, what="input"):
    """Raise ValueError naming ``layer`` unless ``x`` has ``rank`` dimensions."""
    if x.ndim != rank:
        raise ValueError(
            f"{layer!r}: expected a rank-{rank} {what}, got shape {tuple(x.shape)}"
        )
