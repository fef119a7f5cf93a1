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

A layer whose ``input_grad`` flag is False may skip the input gradient and return
None from ``backward`` (its input is data, not the output of a trained layer);
``Sequential.backward(dout, input_grad=False)`` sets it for its first layer.

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
        self.input_grad = True
        self._work = {}

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

    def workspace(self, name, shape, dtype):
        """A scratch array kept on the layer and reused by later calls.

        Its contents are undefined. Reusing one buffer per use spares the OS work
        of mapping (and zeroing) fresh pages for every large temporary, every
        step. Never return a workspace to the caller: the next call overwrites it.
        """
        buf = self._work.get(name)
        if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
            buf = np.empty(shape, dtype=dtype)
            self._work[name] = buf
        return buf

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
