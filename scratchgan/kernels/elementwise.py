"""Numba kernels for the element-wise layers and BatchNorm, each one fused pass.

NumPy spends one pass over memory per operation (compare, select, multiply, ...)
and allocates a temporary for each; here each layer's forward or backward reads
its inputs once and writes its outputs once. Arrays are flat (any shape, seen
through ``reshape(-1)``) or (N, C, L) for BatchNorm, C-contiguous, of one float
dtype. Scalars must be given in that dtype (``x.dtype.type(slope)``) so float32
math stays float32.

Each call splits independent cells (element-wise) or independent channels
(BatchNorm) between threads (``threads.parallel``), so results do not depend on
the thread count.
"""

import numpy as np
from numba import njit

from .threads import parallel

# the fewest values one thread's piece may hold (see conv.MIN_VALUES)
MIN_VALUES = 1 << 16


def split_flat(kernel, size, *arrays_and_scalars):
    """Run ``kernel`` on matching slices of flat arrays, one slice per thread.

    Arguments that are arrays of length ``size`` are sliced; the rest (scalars)
    are passed as they are.
    """

    def piece(a, b):
        args = [
            v[a:b] if isinstance(v, np.ndarray) and v.shape == (size,) else v
            for v in arrays_and_scalars
        ]
        kernel(*args)

    parallel(piece, size, 64, MIN_VALUES)


@njit(nogil=True, cache=True)
def _leaky_relu_forward(x, slope, out):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v if v > 0 else v * slope


def leaky_relu_forward(x, slope, out):
    """out = x where x > 0, else slope * x. x, out: (M,)."""
    split_flat(_leaky_relu_forward, x.shape[0], x, slope, out)
    return out


@njit(nogil=True, cache=True)
def _leaky_relu_backward(dout, x, slope, dx):
    for i in range(x.shape[0]):
        g = dout[i]
        dx[i] = g if x[i] > 0 else g * slope


def leaky_relu_backward(dout, x, slope, dx):
    """dx = dout where x > 0, else slope * dout. dout, x, dx: (M,)."""
    split_flat(_leaky_relu_backward, x.shape[0], dout, x, slope, dx)
    return dx


@njit(nogil=True, cache=True)
def _dropout_forward(x, u, p, scale, out, mask):
    zero = scale * 0
    for i in range(x.shape[0]):
        m = scale if u[i] >= p else zero
        mask[i] = m
        out[i] = x[i] * m


def dropout_forward(x, u, p, scale, out, mask):
    """mask = scale where u >= p, else 0; out = x * mask. All arrays (M,).

    u holds uniform [0, 1) draws; ``mask`` may be ``u`` itself (overwritten).
    """
    split_flat(_dropout_forward, x.shape[0], x, u, p, scale, out, mask)
    return out


# BatchNorm kernels see their input as (N, C, L): L = H*W for images, 1 for
# features. Each thread takes a range of channels, in whole blocks of about
# BLOCK values per sample; inside it the loops run n, then channel, then j, so
# the innermost loop runs over contiguous memory even when L == 1.
BLOCK = 256


def channel_blocks(C, L):
    """Channels per block for the BatchNorm kernels (at least 1)."""
    return max(1, BLOCK // L) if L < BLOCK else 1


def split_channels(fn, x, per_block):
    """Run ``fn(c0, c1)`` over ranges of whole channel blocks, one per thread."""
    N, C, L = x.shape
    min_channels = -(-MIN_VALUES // max(1, N * L))
    parallel(fn, C, per_block, min_channels)


@njit(nogil=True, cache=True)
def _batchnorm_sums(x, c0, c1, total, total_sq):
    N, C, L = x.shape
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


def batchnorm_stats(x, per_block):
    """Per-channel mean and (biased) variance of x: (N, C, L), both (C,) float64.

    Sums run in float64, so E[x^2] - mean^2 keeps its precision for float32
    input; each channel is summed by one thread in a fixed order.
    """
    N, C, L = x.shape
    total = np.zeros(C)
    total_sq = np.zeros(C)
    split_channels(
        lambda c0, c1: _batchnorm_sums(x, c0, c1, total, total_sq), x, per_block
    )
    M = N * L
    mean = total / M
    var = np.maximum(total_sq / M - mean * mean, 0.0)
    return mean, var


@njit(nogil=True, cache=True)
def _batchnorm_apply(x, mean, inv_std, gamma, beta, c0, c1, out):
    N, C, L = x.shape
    for n in range(N):
        for c in range(c0, c1):
            m = mean[c]
            scale = gamma[c] * inv_std[c]
            shift = beta[c]
            for j in range(L):
                out[n, c, j] = (x[n, c, j] - m) * scale + shift


def batchnorm_apply(x, mean, inv_std, gamma, beta, per_block, out):
    """out = (x - mean) * (gamma * inv_std) + beta per channel.

    x, out: (N, C, L); mean, inv_std, gamma, beta: (C,) in x's dtype.
    """

    def piece(c0, c1):
        _batchnorm_apply(x, mean, inv_std, gamma, beta, c0, c1, out)

    split_channels(piece, x, per_block)
    return out


@njit(nogil=True, cache=True)
def _batchnorm_backward(
    dout, x, mean, inv_std, gamma, training, c0, c1, dgamma, dbeta, dx
):
    N, C, L = x.shape
    M = N * L

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


def batchnorm_backward(dout, x, mean, inv_std, gamma, training, per_block, dx):
    """Input gradient of BatchNorm, and the sums that give dgamma and dbeta.

    dout, x, dx: (N, C, L); mean, inv_std, gamma: (C,) in x's dtype. Returns
    (sum(dout * x_hat), sum(dout)) per channel as float64 (C,) arrays, which are
    dgamma and dbeta. With M = N * L and x_hat = (x - mean) * inv_std:
    training: dx = gamma * inv_std * (dout - sum(dout) / M
                                      - x_hat * sum(dout * x_hat) / M);
    eval (constant statistics): dx = gamma * inv_std * dout.
    """
    C = x.shape[1]
    dgamma = np.zeros(C)
    dbeta = np.zeros(C)

    def piece(c0, c1):
        _batchnorm_backward(
            dout, x, mean, inv_std, gamma, training, c0, c1, dgamma, dbeta, dx
        )

    split_channels(piece, x, per_block)
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
