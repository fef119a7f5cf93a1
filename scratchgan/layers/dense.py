"""Dense (fully connected) layer."""

import numpy as np

from .. import init
from ..kernels.elementwise import sum_rows
from ..kernels.threads import matmul
from .base import Layer, check_rank


class Dense(Layer):
    """x: (N, F_in) -> out: (N, F_out), out = x @ W.T + b.

    W has PyTorch's layout (out_features, in_features). Backward:
    dx = dout @ W, dW = dout.T @ x, db = sum of dout over the batch.
    """

    def __init__(self, in_features, out_features, bias=True, rng=None):
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(
                f"Dense: in_features and out_features must be positive, got "
                f"{in_features} and {out_features}"
            )
        self.in_features = in_features
        self.out_features = out_features
        shape = (out_features, in_features)
        self.params["W"] = init.glorot_uniform(shape, init.default_rng(rng))
        if bias:
            self.params["b"] = np.zeros(out_features, dtype=np.float32)
        self.zero_grad()

    def forward(self, x, training=True):
        check_rank(self, x, 2)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input (N, {self.in_features}), "
                f"got {tuple(x.shape)}"
            )
        self.cache = x
        out = matmul(x, self.params["W"].T)
        if "b" in self.params:
            out += self.params["b"]
        return out

    def backward(self, dout):
        x = self.cache
        if not self.frozen:
            self.grads["W"] += matmul(dout.T, x)
            if "b" in self.params:
                self.grads["b"] += sum_rows(dout)

        # input gradient, unless the input is data (the generator's noise)
        if not self.input_grad:
            return None
        return matmul(dout, self.params["W"])

    def output_shape(self, input_shape):
        return (self.out_features,)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={'b' in self.params}"
