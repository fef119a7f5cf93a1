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

from .jit import KERNEL
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


@njit(**KERNEL)
def _leaky_relu_forward(x, slope, out):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v if v > 0 else v * slope


def leaky_relu_forward(x, slope, out):
    """out = x where x > 0, else slope * x. x, out: (M,)."""
    split_flat(_leaky_relu_forward, x.shape[0], x, slope, out)
    return out


@njit(**KERNEL)
def _leaky_relu_backward(dout, x, slope, dx):
    for i in range(x.shape[0]):
        g = dout[i]
        dx[i] = g if x[i] > 0 else g * slope


def leaky_relu_backward(dout, x, slope, dx):
    """dx = dout where x > 0, else slope * dout. dout, x, dx: (M,)."""
    split_flat(_leaky_relu_backward, x.shape[0], dout, x, slope, dx)
    return dx


# splitmix64 (Steele, Lea and Flood, 2014): its i-th output is a hash of
# seed + (i + 1) * GOLDEN, so any thread can draw any slice of one stream and
# the mask does not depend on how the work is split. Constants are uint64 so
# that Numba keeps every step in wrapping 64-bit integer arithmetic.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
S27, S30, S31 = np.uint64(27), np.uint64(30), np.uint64(31)
# a draw keeps its top 24 bits: a uniform integer in [0, 2**24)
UNIFORM_BITS = 24
S40 = np.uint64(64 - UNIFORM_BITS)


@njit(**KERNEL, inline="always")
def splitmix64(seed, i):
    """The i-th 64-bit output of splitmix64 seeded with ``seed`` (both uint64)."""
    z = seed + (i + np.uint64(1)) * GOLDEN
    z = (z ^ (z >> S30)) * MIX1
    z = (z ^ (z >> S27)) * MIX2
    return z ^ (z >> S31)


@njit(**KERNEL)
def _dropout_apply(x, seed, start, threshold, scale, out):
    zero = scale * 0
    first = np.uint64(start)
    for i in range(x.shape[0]):
        u = splitmix64(seed, first + np.uint64(i)) >> S40
        out[i] = x[i] * (scale if u >= threshold else zero)


def dropout_threshold(p):
    """The integer a 24-bit draw must reach for its unit to be kept.

    A unit is kept with probability 1 - round(p * 2**24) / 2**24, within 3e-8
    of 1 - p.
    """
    return np.uint64(round(p * 2**UNIFORM_BITS))


def dropout_apply(x, seed, p, scale, out):
    """out = x * mask, the mask drawn from ``seed``, in one pass.

    x, out: (M,); seed: uint64; p: the drop probability (a float); scale:
    1 / (1 - p) in x's dtype. mask[i] = scale (unit i kept) when the top 24
    bits of splitmix64(seed, i) reach ``dropout_threshold(p)``, else 0. The
    mask is never stored: the same call on the upstream gradient, with the same
    seed, is dropout's backward pass.
    """
    seed = np.uint64(seed)
    threshold = dropout_threshold(p)

    def piece(a, b):
        _dropout_apply(x[a:b], seed, a, threshold, scale, out[a:b])

    parallel(piece, x.shape[0], 64, MIN_VALUES)
    return out


@njit(**KERNEL)
def _adam_update(p, g, m, v, beta1, beta2, step_size, c2, eps):
    one = beta1 * 0 + 1
    for i in range(p.shape[0]):
        gi = g[i]
        mi = m[i] * beta1 + (one - beta1) * gi
        vi = v[i] * beta2 + (one - beta2) * (gi * gi)
        m[i] = mi
        v[i] = vi
        p[i] -= step_size * mi / (np.sqrt(vi / c2) + eps)


def adam_update(p, g, m, v, beta1, beta2, step_size, c2, eps):
    """One Adam step in place, reading and writing each array once.

    p, g, m, v: (M,) of one dtype; the scalars in that dtype:
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2;
    p -= step_size * m / (sqrt(v / c2) + eps).
    """
    split_flat(_adam_update, p.shape[0], p, g, m, v, beta1, beta2, step_size, c2, eps)


@njit(**KERNEL)
def _add_bias_rows(rows, bias):
    for r in range(rows.shape[0]):
        for c in range(rows.shape[1]):
            rows[r, c] += bias[c]


def add_bias_rows(rows, bias):
    """rows += bias in place. rows: (M, C), bias: (C,)."""
    min_rows = -(-MIN_VALUES // max(1, rows.shape[1]))
    parallel(lambda a, b: _add_bias_rows(rows[a:b], bias), rows.shape[0], 1, min_rows)
    return rows


def sum_rows(rows):
    """The sum of the rows of rows: (M, C) -> (C,), in rows' dtype.

    A bias gradient. One BLAS product with a vector of ones: NumPy's
    ``rows.sum(axis=0)`` adds one row at a time and took five times as long over
    the 25,088 pixel rows of a batch of 128 discriminator feature maps.
    """
    return np.ones(rows.shape[0], dtype=rows.dtype) @ rows


# BatchNorm kernels see their input as (N, C, L): L = H*W for NCHW images, 1 for
# features and for channels-last images (then N counts pixels: one row of C
# values per pixel). Two families of kernels:
# - L > 1: each thread takes a range of channels, in whole blocks of about BLOCK
#   values per sample; loops run n, then channel, then j over contiguous memory.
# - L == 1: rows of C values. Wide rows (C >= WIDE) are split by channels; short
#   ones by fixed chunks of ROWS rows, each chunk with its own partial sums,
#   added in chunk order, so totals do not depend on which thread took which
#   chunk. The channel loop is innermost and sums go to local arrays, which the
#   compiler vectorises (five times faster than summing into the caller's).
BLOCK = 256
ROWS = 256
WIDE = 1024


def channel_blocks(C, L):
    """Channels per block for the L > 1 kernels (at least 1)."""
    return max(1, BLOCK // L) if L < BLOCK else 1


def split_channels(fn, x, per_block):
    """Run ``fn(c0, c1)`` over ranges of whole channel blocks, one per thread."""
    N, C, L = x.shape
    min_channels = -(-MIN_VALUES // max(1, N * L))
    parallel(fn, C, per_block, min_channels)


def split_rows(x, by_chunk, by_channels):
    """Run an L == 1 kernel on x: (M, C, 1) seen as (M, C) rows.

    ``by_chunk(k, r0, r1)`` once per chunk of rows, or, for wide rows,
    ``by_channels(c0, c1)`` once per range of channels. Returns the number of
    chunks (0 when split by channels).
    """
    M, C, _ = x.shape
    if C >= WIDE:
        parallel(by_channels, C, 16, -(-MIN_VALUES // max(1, M)))
        return 0
    chunks = [(r, min(M, r + ROWS)) for r in range(0, M, ROWS)]

    def piece(a, b):
        for k in range(a, b):
            by_chunk(k, *chunks[k])

    parallel(piece, len(chunks), 1, -(-MIN_VALUES // (ROWS * C)))
    return len(chunks)


@njit(**KERNEL)
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


@njit(**KERNEL)
def _rows_sums(x, c0, c1, total, total_sq):
    s = np.zeros(c1 - c0)
    sq = np.zeros(c1 - c0)
    for n in range(x.shape[0]):
        row = x[n, c0:c1]
        for c in range(c1 - c0):
            v = np.float64(row[c])
            s[c] += v
            sq[c] += v * v
    total[c0:c1] += s
    total_sq[c0:c1] += sq


def batchnorm_stats(x, per_block):
    """Per-channel mean and (biased) variance of x: (N, C, L), both (C,) float64.

    Sums run in float64, so E[x^2] - mean^2 keeps its precision for float32
    input; every sum runs in an order fixed by the shapes alone.
    """
    N, C, L = x.shape
    if L > 1:
        total = np.zeros(C)
        total_sq = np.zeros(C)
        split_channels(
            lambda c0, c1: _batchnorm_sums(x, c0, c1, total, total_sq), x, per_block
        )
    else:
        x2 = x.reshape(N, C)
        part = np.zeros((2, -(-N // ROWS), C))
        chunks = split_rows(
            x,
            lambda k, r0, r1: _rows_sums(x2[r0:r1], 0, C, part[0, k], part[1, k]),
            lambda c0, c1: _rows_sums(x2, c0, c1, part[0, 0], part[1, 0]),
        )
        total, total_sq = part[:, : max(chunks, 1)].sum(axis=1)
    M = N * L
    mean = total / M
    var = np.maximum(total_sq / M - mean * mean, 0.0)
    return mean, var


@njit(**KERNEL)
def _batchnorm_apply(x, mean, inv_std, gamma, beta, c0, c1, out):
    N, C, L = x.shape
    for n in range(N):
        for c in range(c0, c1):
            m = mean[c]
            scale = gamma[c] * inv_std[c]
            shift = beta[c]
            for j in range(L):
                out[n, c, j] = (x[n, c, j] - m) * scale + shift


@njit(**KERNEL)
def _rows_apply(x, mean, inv_std, gamma, beta, c0, c1, out):
    m = mean[c0:c1].copy()
    scale = gamma[c0:c1] * inv_std[c0:c1]
    shift = beta[c0:c1].copy()
    for n in range(x.shape[0]):
        row = x[n, c0:c1]
        dst = out[n, c0:c1]
        for c in range(c1 - c0):
            dst[c] = (row[c] - m[c]) * scale[c] + shift[c]


def batchnorm_apply(x, mean, inv_std, gamma, beta, per_block, out):
    """out = (x - mean) * (gamma * inv_std) + beta per channel.

    x, out: (N, C, L); mean, inv_std, gamma, beta: (C,) in x's dtype.
    """
    N, C, L = x.shape
    if L > 1:

        def piece(c0, c1):
            _batchnorm_apply(x, mean, inv_std, gamma, beta, c0, c1, out)

        split_channels(piece, x, per_block)
        return out
    x2, out2 = x.reshape(N, C), out.reshape(N, C)
    args = (mean, inv_std, gamma, beta)
    split_rows(
        x,
        lambda k, r0, r1: _rows_apply(x2[r0:r1], *args, 0, C, out2[r0:r1]),
        lambda c0, c1: _rows_apply(x2, *args, c0, c1, out2),
    )
    return out


@njit(**KERNEL)
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


@njit(**KERNEL)
def _rows_grad_sums(dout, x, mean, inv_std, c0, c1, dgamma, dbeta):
    m = mean[c0:c1].copy()
    s = inv_std[c0:c1].copy()
    sg = np.zeros(c1 - c0)
    sgx = np.zeros(c1 - c0)
    for n in range(x.shape[0]):
        g_row = dout[n, c0:c1]
        x_row = x[n, c0:c1]
        for c in range(c1 - c0):
            g = np.float64(g_row[c])
            sg[c] += g
            sgx[c] += g * ((x_row[c] - m[c]) * s[c])
    dbeta[c0:c1] += sg
    dgamma[c0:c1] += sgx


@njit(**KERNEL)
def _rows_dx(dout, x, mean, inv_std, gamma, training, M, c0, c1, dgamma, dbeta, dx):
    # M: rows in the whole batch (x may be a chunk of them)
    m = mean[c0:c1].copy()
    s = inv_std[c0:c1].copy()
    k = np.empty(c1 - c0)
    mean_g = np.zeros(c1 - c0)
    mean_gx = np.zeros(c1 - c0)
    for c in range(c1 - c0):
        k[c] = np.float64(gamma[c0 + c]) * s[c]
        if training:
            mean_g[c] = dbeta[c0 + c] / M
            mean_gx[c] = dgamma[c0 + c] / M
    for n in range(x.shape[0]):
        g_row = dout[n, c0:c1]
        x_row = x[n, c0:c1]
        dst = dx[n, c0:c1]
        for c in range(c1 - c0):
            x_hat = (x_row[c] - m[c]) * s[c]
            dst[c] = k[c] * (g_row[c] - mean_g[c] - x_hat * mean_gx[c])


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
    if L > 1:
        dgamma = np.zeros(C)
        dbeta = np.zeros(C)

        def piece(c0, c1):
            _batchnorm_backward(
                dout, x, mean, inv_std, gamma, training, c0, c1, dgamma, dbeta, dx
            )

        split_channels(piece, x, per_block)
        return dgamma, dbeta

    # the sums (by chunks of rows, added in chunk order), then dx
    g2, x2, dx2 = dout.reshape(N, C), x.reshape(N, C), dx.reshape(N, C)
    part = np.zeros((2, -(-N // ROWS), C))
    chunks = split_rows(
        x,
        lambda k, r0, r1: _rows_grad_sums(
            g2[r0:r1], x2[r0:r1], mean, inv_std, 0, C, part[0, k], part[1, k]
        ),
        lambda c0, c1: _rows_grad_sums(
            g2, x2, mean, inv_std, c0, c1, part[0, 0], part[1, 0]
        ),
    )
    dgamma, dbeta = part[:, : max(chunks, 1)].sum(axis=1)
    args = (mean, inv_std, gamma, training, N)
    split_rows(
        x,
        lambda k, r0, r1: _rows_dx(
            g2[r0:r1], x2[r0:r1], *args, 0, C, dgamma, dbeta, dx2[r0:r1]
        ),
        lambda c0, c1: _rows_dx(g2, x2, *args, c0, c1, dgamma, dbeta, dx2),
    )
    return dgamma, dbeta


def warmup():
    """Compile (or load from cache) these kernels for float32 and float64."""
    for dtype in (np.float32, np.float64):
        one = dtype(1.0)
        x = np.ones(4, dtype)
        leaky_relu_forward(x, one, np.empty_like(x))
        leaky_relu_backward(x, x, one, np.empty_like(x))
        dropout_apply(x, 1, 0.5, one, np.empty_like(x))
        add_bias_rows(x.reshape(2, 2), x[:2])
        adam_update(x.copy(), x, x.copy(), x.copy(), one, one, one, one, one)
        x3 = np.ones((2, 2, 2), dtype)
        c = np.ones(2, dtype)
        mean, var = batchnorm_stats(x3, 1)
        batchnorm_apply(x3, c, c, c, c, 1, np.empty_like(x3))
        batchnorm_backward(x3, x3, c, c, c, True, 1, np.empty_like(x3))
