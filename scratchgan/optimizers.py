"""Optimizers over dicts of named arrays, updating them in place.

Both take ``params`` and ``grads``: dicts with the same keys whose arrays are the
model's own (``Sequential.params`` / ``Sequential.grads``), so ``step()`` changes
the model directly.
"""

import numpy as np

from .kernels.elementwise import adam_update


class Optimizer:
    def __init__(self, params, grads):
        if set(params) != set(grads):
            raise ValueError("optimizer: params and grads must have the same keys")
        self.params = params
        self.grads = grads

    def state_dict(self):
        """Every array and counter the optimizer needs to resume exactly."""
        raise NotImplementedError

    def load_state_dict(self, state):
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * v, with v = momentum * v + g (PyTorch's form; momentum 0 is plain
    gradient descent)."""

    def __init__(self, params, grads, lr=0.01, momentum=0.0):
        super().__init__(params, grads)
        if lr <= 0:
            raise ValueError(f"SGD: lr must be positive, got {lr}")
        self.lr = lr
        self.momentum = momentum
        self.velocity = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self):
        for k, p in self.params.items():
            v = self.velocity[k]
            v *= self.momentum
            v += self.grads[k]
            p -= self.lr * v

    def state_dict(self):
        return {f"velocity.{k}": v for k, v in self.velocity.items()}

    def load_state_dict(self, state):
        for k, v in self.velocity.items():
            v[...] = state[f"velocity.{k}"]


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias correction.

    With one step counter t for the whole optimizer:
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p -= lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)
    eps is added after the square root, as in the paper and PyTorch.
    """

    def __init__(self, params, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, grads)
        if lr <= 0:
            raise ValueError(f"Adam: lr must be positive, got {lr}")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self):
        self.t += 1
        b1, b2 = self.beta1, self.beta2

        # the bias corrections fold into one step size per update
        c1 = 1 - b1**self.t
        c2 = 1 - b2**self.t
        step_size = self.lr / c1
        for k, p in self.params.items():
            g, m, v = self.grads[k], self.m[k], self.v[k]
            if not (p.flags.c_contiguous and g.flags.c_contiguous):
                raise ValueError(f"Adam: {k} and its gradient must be contiguous")

            # one fused pass per parameter, every scalar in the parameter's dtype
            f = p.dtype.type
            adam_update(
                p.reshape(-1),
                g.reshape(-1).astype(p.dtype, copy=False),
                m.reshape(-1),
                v.reshape(-1),
                f(b1),
                f(b2),
                f(step_size),
                f(c2),
                f(self.eps),
            )

    def state_dict(self):
        state = {"t": np.array(self.t, dtype=np.int64)}
        for k in self.params:
            state[f"m.{k}"] = self.m[k]
            state[f"v.{k}"] = self.v[k]
        return state

    def load_state_dict(self, state):
        t = int(state["t"])
        if t < 0:
            raise ValueError(f"step count t is {t}, expected >= 0")
        for k in self.params:
            for name, value in (("m", state[f"m.{k}"]), ("v", state[f"v.{k}"])):
                if value.shape != self.params[k].shape:
                    raise ValueError(
                        f"{name}.{k} has shape {value.shape}, expected "
                        f"{self.params[k].shape}"
                    )
            if (state[f"v.{k}"] < 0).any():
                raise ValueError(f"v.{k} holds negative values")
        self.t = t
        for k in self.params:
            self.m[k][...] = state[f"m.{k}"]
            self.v[k][...] = state[f"v.{k}"]
