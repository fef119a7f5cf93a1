"""Numba kernels for the element-wise layers and BatchNorm, each one fused pass.

NumPy spends one pass over memory per operation (compare, select, multiply, ...)
and allocates a temporary for each; here each layer's forward or backward reads
its inputs once and writes its outputs once. Arrays are flat (any shape, seen
through ``reshape(-1)``) or (N, C, L) for BatchNorm, C-contiguous, of one float
dtype. Scalars must be given in that dtype (``x.dtype.type(slope)``) so float32
math stays float32.

Parallel loops split independent cells (element-wise) or independent channels
(BatchNorm), so results do not depend on the thread count.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def leaky_relu_forward(x, slope, out):
    """out = x where x > 0, else slope * x. x, out: (M,)."""
    for i in prange(x.shape[0]):
        v = x[i]
        out[i] = v if v > 0 else v * slope
    return out


@njit(parallel=True, cache=True)
def leaky_relu_backward(dout, x, slope, dx):
    """dx = dout where x > 0, else slope * dout. dout, x, dx: (M,)."""
    for i in prange(x.shape[0]):
        g = dout[i]
        dx[i] = g if x[i] > 0 else g * slope
    return dx


@njit(parallel=True, cache=True)
def dropout_forward(x, u, p, scale, out, mask):
    """mask = scale where u >= p, else 0; out = x * mask. All arrays (M,).

    u holds uniform [0, 1) draws; ``mask`` may be ``u`` itself (overwritten).
    """
    zero = scale * 0
    for i in prange(x.shape[0]):
        m = scale if u[i] >= p else zero
        mask[i] = m
        out[i] = x[i] * m
    return out


# BatchNorm kernels see their input as (N, C, L): L = H*W for images, 1 for
# features. Channels are split into blocks of about BLOCK values per sample, and
# each block loops n, then its channels, then j: the innermost loop then runs over
# contiguous memory even when L == 1, and each channel still belongs to one block.
BLOCK = 256


def channel_blocks(C, L):
    """Channels per block for the BatchNorm kernels (at least 1)."""
    return max(1, BLOCK // L) if L < BLOCK else 1


@njit(parallel=True, cache=True)
def batchnorm_stats(x, per_block):
    """Per-channel mean and (biased) variance of x: (N, C, L), both (C,) float64.

    Sums run in float64, so E[x^2] - mean^2 keeps its precision for float32
    input; each channel is summed by one thread in a fixed order.
    """
    N, C, L = x.shape
    total = np.zeros(C)
    total_sq = np.zeros(C)
    nblocks = (C + per_block - 1) // per_block
    for b in prange(nblocks):
        c0 = b * per_block
        c1 = min(C, c0 + per_block)
        for n in range(N):
            for c in range(c0, c1):
                s = 0.0
                sq = 0.0
                for j in range(L):
                    v = np.float64(x[n, c, j])
                    s += v
                    sq += v * v
                total[c] += s
                total_sq[c] += sq
    M = N * L
    mean = total / M
    var = np.maximum(total_sq / M - mean * mean, 0.0)
    return mean, var


@njit(parallel=True, cache=True)
def batchnorm_apply(x, mean, inv_std, gamma, beta, per_block, out):
    """out = (x - mean) * (gamma * inv_std) + beta per channel.

    x, out: (N, C, L); mean, inv_std, gamma, beta: (C,) in x's dtype.
    """
    N, C, L = x.shape
    nblocks = (C + per_block - 1) // per_block
    for b in prange(nblocks):
        c0 = b * per_block
        c1 = min(C, c0 + per_block)
        for n in range(N):
            for c in range(c0, c1):
                m = mean[c]
                scale = gamma[c] * inv_std[c]
                shift = beta[c]
                for j in range(L):
                    out[n, c, j] = (x[n, c, j] - m) * scale + shift
    return out


@njit(parallel=True, cache=True)
def batchnorm_backward(dout, x, mean, inv_std, gamma, training, per_block, dx):
    """Input gradient of BatchNorm, and the sums that give dgamma and dbeta.

    dout, x, dx: (N, C, L); mean, inv_std, gamma: (C,) in x's dtype. Returns
    (sum(dout * x_hat), sum(dout)) per channel as float64 (C,) arrays, which are
    dgamma and dbeta. With M = N * L and x_hat = (x - mean) * inv_std:
    training: dx = gamma * inv_std * (dout - sum(dout) / M
                                      - x_hat * sum(dout * x_hat) / M);
    eval (constant statistics): dx = gamma * inv_std * dout.
    """
    N, C, L = x.shape
    M = N * L
    dgamma = np.zeros(C)
    dbeta = np.zeros(C)
    nblocks = (C + per_block - 1) // per_block
    for b in prange(nblocks):
        c0 = b * per_block
        c1 = min(C, c0 + per_block)

        # pass 1: the two sums per channel
        for n in range(N):
            for c in range(c0, c1):
                m = mean[c]
                s = inv_std[c]
                sg = 0.0
                sgx = 0.0
                for j in range(L):
                    g = np.float64(dout[n, c, j])
                    sg += g
                    sgx += g * ((x[n, c, j] - m) * s)
                dbeta[c] += sg
                dgamma[c] += sgx

        # pass 2: dx, in float64, from one slope and two means per channel
        for n in range(N):
            for c in range(c0, c1):
                m = mean[c]
                s = inv_std[c]
                k = np.float64(gamma[c]) * s
                mean_g = 0.0
                mean_gx = 0.0
                if training:
                    mean_g = dbeta[c] / M
                    mean_gx = dgamma[c] / M
                for j in range(L):
                    x_hat = (x[n, c, j] - m) * s
                    dx[n, c, j] = k * (dout[n, c, j] - mean_g - x_hat * mean_gx)
    return dgamma, dbeta


def warmup():
    """Compile (or load from cache) these kernels for float32 and float64."""
    for dtype in (np.float32, np.float64):
        one = dtype(1.0)
        x = np.ones(4, dtype)
        leaky_relu_forward(x, one, np.empty_like(x))
        leaky_relu_backward(x, x, one, np.empty_like(x))
        dropout_forward(x, x.copy(), one, one, np.empty_like(x), np.empty_like(x))
        x3 = np.ones((2, 2, 2), dtype)
        c = np.ones(2, dtype)
        mean, var = batchnorm_stats(x3, 1)
        batchnorm_apply(x3, c, c, c, c, 1, np.empty_like(x3))
        batchnorm_backward(x3, x3, c, c, c, True, 1, np.empty_like(x3))
