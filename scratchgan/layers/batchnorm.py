"""Batch normalisation (Ioffe and Szegedy, 2015)."""

import numpy as np

from .base import Layer


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
        axes, shape = self._axes(x)
        gamma = self.params["gamma"].reshape(shape)
        beta = self.params["beta"].reshape(shape)

        # statistics: the batch's in training, the running ones in eval
        if training:
            M = x.size // self.num_features
            if M < 2:
                raise ValueError(
                    f"{self!r}: training needs more than one value per feature, "
                    f"got input {tuple(x.shape)}"
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = self.momentum
            self.running_mean *= 1 - m
            self.running_mean += m * mean
            self.running_var *= 1 - m
            self.running_var += m * var * (M / (M - 1))
        else:
            mean, var = self.running_mean, self.running_var

        # normalise, then scale and shift; eps keeps a constant channel finite
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        x_hat = (x - mean.reshape(shape).astype(x.dtype)) * inv_std.reshape(shape)
        self.cache = (x_hat, inv_std, training, axes, shape)
        return gamma * x_hat + beta

    def backward(self, dout):
        x_hat, inv_std, training, axes, shape = self.cache

        # parameter gradients
        if not self.frozen:
            self.grads["gamma"] += (dout * x_hat).sum(axis=axes)
            self.grads["beta"] += dout.sum(axis=axes)

        # input gradient; in eval the statistics are constants
        dx_hat = dout * self.params["gamma"].reshape(shape)
        if not training:
            return dx_hat * inv_std.reshape(shape)
        M = dout.size // self.num_features
        sum_dx_hat = dx_hat.sum(axis=axes).reshape(shape)
        sum_dx_hat_x_hat = (dx_hat * x_hat).sum(axis=axes).reshape(shape)
        return (inv_std.reshape(shape) / M) * (
            M * dx_hat - sum_dx_hat - x_hat * sum_dx_hat_x_hat
        )

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
