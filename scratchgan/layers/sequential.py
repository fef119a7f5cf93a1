"""Sequential: a stack of layers run in order, with named parameters."""

import numpy as np

from .base import Layer

# short names for parameter keys: "conv1.W", "bn2.gamma", ...
PREFIXES = {
    "Dense": "dense",
    "Conv2D": "conv",
    "Conv2DTranspose": "convt",
    "BatchNorm": "bn",
}


class Sequential(Layer):
    """x -> layers[0] -> layers[1] -> ... -> out; backward runs in reverse.

    Each layer gets a name from its type and its rank among layers of that type
    (``conv1``, ``conv2``, ``bn1``, ``leakyrelu1``), so parameters are addressed as
    ``"conv1.W"``. ``params`` and ``grads`` are flat dicts under those names that
    share memory with the layers' own arrays, so an optimizer that updates
    ``params`` in place updates the layers.
    """

    def __init__(self, layers):
        super().__init__()
        self.layers = list(layers)
        self.names = []
        counts = {}
        for layer in self.layers:
            kind = type(layer).__name__
            prefix = PREFIXES.get(kind, kind.lower())
            counts[prefix] = counts.get(prefix, 0) + 1
            self.names.append(f"{prefix}{counts[prefix]}")
        self._collect()

    def _collect(self):
        # rebuilt after anything that rebinds a layer's arrays (astype)
        self.params = {}
        self.grads = {}
        for name, layer in zip(self.names, self.layers):
            for key in layer.params:
                self.params[f"{name}.{key}"] = layer.params[key]
                self.grads[f"{name}.{key}"] = layer.grads[key]

    def forward(self, x, training=True):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout, input_grad=True):
        """Backpropagate ``dout`` through every layer; returns dloss/dx.

        With ``input_grad=False`` the first layer may skip its input gradient and
        None is returned: for a network whose input is data (the discriminator's
        own step), that gradient would be thrown away.
        """
        first = self.layers[0]
        first.input_grad = input_grad
        try:
            for layer in reversed(self.layers):
                dout = layer.backward(dout)
        finally:
            first.input_grad = True
        return dout

    def zero_grad(self):
        for layer in self.layers:
            layer.zero_grad()

    def freeze(self, frozen=True):
        """Set every layer's ``frozen`` flag (see ``scratchgan.layers.base``)."""
        self.frozen = frozen
        for layer in self.layers:
            layer.frozen = frozen

    def astype(self, dtype):
        for layer in self.layers:
            layer.astype(dtype)
        self._collect()
        return self

    def state(self):
        out = {}
        for name, layer in zip(self.names, self.layers):
            for key, value in layer.state().items():
                out[f"{name}.{key}"] = value
        return out

    def load_state(self, state):
        for name, layer in zip(self.names, self.layers):
            prefix = f"{name}."
            own = {
                key[len(prefix) :]: value
                for key, value in state.items()
                if key.startswith(prefix)
            }
            if own:
                layer.load_state(own)

    def output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return tuple(input_shape)

    def summary(self, input_shape):
        """Rows of (name, layer, output shape without N, parameter count)."""
        rows = []
        shape = tuple(input_shape)
        for name, layer in zip(self.names, self.layers):
            shape = tuple(layer.output_shape(shape))
            count = sum(int(np.prod(p.shape)) for p in layer.params.values())
            rows.append((name, repr(layer), shape, count))
        return rows

    def num_params(self):
        return sum(int(p.size) for p in self.params.values())

    def __repr__(self):
        pairs = zip(self.names, self.layers)
        inner = "\n".join(f"  ({name}) {layer!r}" for name, layer in pairs)
        return f"Sequential(\n{inner}\n)"
