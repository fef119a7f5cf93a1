"""Batch normalisation (Ioffe and Szegedy, 2015)."""

import numpy as np

from ..kernels.elementwise import (
    batchnorm_apply,
    batchnorm_backward,
    batchnorm_stats,
    channel_blocks,
)
from ..kernels.layout import channel_rows, contiguous, like
from .base import Layer


def as_channels(x):
    """A view of x as (M, C, L), channel c being [:, c, :]: (N, C, H*W) for a
    C-contiguous x, (N*H*W, C, 1) for a channels-last one (kernels.layout)."""
    if x.ndim == 4:
        rows = channel_rows(x)
        if rows is not None:
            return rows.reshape(rows.shape[0], rows.shape[1], 1)
    return x.reshape(x.shape[0], x.shape[1], -1)


class BatchNorm(Layer):
    """x: (N, F) or (N, C, H, W) -> out of the same shape.

    Normalises each feature (each channel, for 4-D input) over the batch (and the
    spatial axes): x_hat = (x - mean) * inv_std with inv_std = 1 / sqrt(var + eps),
    then out = gamma * x_hat + beta. Training uses the batch's statistics; eval
    uses ``running_mean`` and ``running_var`` (shape (C,)).

    Momentum follows PyTorch's convention: running = (1 - momentum) * running +
    momentum * batch, with the batch variance unbiased (divided by M - 1, M being
    the number of values per channel) in the running estimate only. Keras's
    momentum m is PyTorch's 1 - m.

    Backward in training (M values per channel, sums over them):
    dx = inv_std / M * (M * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)),
    where dx_hat = dout * gamma; dgamma = sum(dout * x_hat); dbeta = sum(dout).
    """

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(
                f"BatchNorm: num_features must be a positive int, got {num_features!r}"
            )
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {momentum}")
        if eps <= 0:
            raise ValueError(f"BatchNorm: eps must be positive, got {eps}")
        self.num_features = num_features
        self.momentum = momentum
        self.eps = eps
        self.params["gamma"] = np.ones(num_features, dtype=np.float32)
        self.params["beta"] = np.zeros(num_features, dtype=np.float32)
        self.running_mean = np.zeros(num_features, dtype=np.float32)
        self.running_var = np.ones(num_features, dtype=np.float32)
        self.zero_grad()

    def _axes(self, x):
        if x.ndim not in (2, 4) or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: expected input (N, {self.num_features}) or "
                f"(N, {self.num_features}, H, W), got {tuple(x.shape)}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
        return axes, shape

    def forward(self, x, training=True):
        self._axes(x)
        if not x.flags.c_contiguous and (x.ndim != 4 or channel_rows(x) is None):
            x = contiguous(x)
        x3 = as_channels(x)
        N, C, L = x3.shape
        per_block = channel_blocks(C, L)

        # statistics: the batch's in training, the running ones in eval
        if training:
            M = N * L
            if M < 2:
                raise ValueError(
                    f"{self!r}: training needs more than one value per feature, "
                    f"got input {tuple(x.shape)}"
                )
            mean, var = batchnorm_stats(x3, per_block)
            m = self.momentum
            self.running_mean *= 1 - m
            self.running_mean += m * mean
            self.running_var *= 1 - m
            self.running_var += m * var * (M / (M - 1))
        else:
            mean, var = self.running_mean, self.running_var

        # normalise, then scale and shift; eps keeps a constant channel finite
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        mean = mean.astype(x.dtype)
        gamma = self.params["gamma"].astype(x.dtype, copy=False)
        beta = self.params["beta"].astype(x.dtype, copy=False)
        out = np.empty_like(x)  # stored like x
        batchnorm_apply(x3, mean, inv_std, gamma, beta, per_block, as_channels(out))
        self.cache = (x, x3, mean, inv_std, training)
        return out

    def backward(self, dout):
        x, x3, mean, inv_std, training = self.cache
        gamma = self.params["gamma"].astype(x3.dtype, copy=False)
        dout3 = as_channels(like(dout, x))
        dx = np.empty_like(x)
        per_block = channel_blocks(x3.shape[1], x3.shape[2])

        # one pass for the sums (which are dgamma and dbeta), one for dx;
        # x_hat is recomputed from x rather than stored
        dgamma, dbeta = batchnorm_backward(
            dout3, x3, mean, inv_std, gamma, training, per_block, as_channels(dx)
        )

        # parameter gradients
        if not self.frozen:
            self.grads["gamma"] += dgamma
            self.grads["beta"] += dbeta
        return dx

    def astype(self, dtype):
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return super().astype(dtype)

    def state(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def load_state(self, state):
        self.running_mean[...] = state["running_mean"]
        self.running_var[...] = state["running_var"]

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def extra_repr(self):
        return f"{self.num_features}, momentum={self.momentum}, eps={self.eps}"
