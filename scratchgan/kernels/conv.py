"""Numba kernels for 2-D convolution, as im2col / col2im around one matrix product.

A convolution with kernel K, stride S and top/left padding (pt, pl) reads, for each
output pixel (n, oh, ow), the patch x[n, :, oh*S - pt + kh, ow*S - pl + kw] over
kh, kw in [0, K). Laying those patches out as rows turns the convolution into one
matrix product that BLAS runs near the machine's peak:

    cols   = im2col(x)                      # (N*OH*OW, C_in*K*K)
    out    = cols @ W.reshape(C_out, -1).T  # (N*OH*OW, C_out), then NCHW
    dcols  = dout_rows @ W2d                # gradient w.r.t. cols
    dx     = col2im(dcols)                  # scatter-add the patches back
    dW     = dout_rows.T @ cols             # gradient w.r.t. the weights

Bottom/right padding is implicit: a tap that falls outside the input reads zero
(im2col) or is dropped (col2im). The loop kernels are parallel over the batch axis
only, so no two threads ever write the same cell and every sum runs in a fixed order:
results do not depend on the thread count. Arrays must be C-contiguous; any float
dtype works (float32 for training, float64 for gradient checks).
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def im2col(x, K, S, pt, pl, OH, OW):
    """Gather convolution patches into rows.

    x: (N, C, H, W) -> cols: (N*OH*OW, C*K*K), column index (c*K + kh)*K + kw.
    """
    N, C, H, W = x.shape
    cols = np.empty((N * OH * OW, C * K * K), dtype=x.dtype)
    for n in prange(N):
        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                for c in range(C):
                    for kh in range(K):
                        ih = oh * S - pt + kh
                        base = (c * K + kh) * K
                        inside = ih >= 0 and ih < H
                        for kw in range(K):
                            iw = ow * S - pl + kw
                            if inside and iw >= 0 and iw < W:
                                cols[row, base + kw] = x[n, c, ih, iw]
                            else:
                                cols[row, base + kw] = 0
    return cols


@njit(parallel=True, cache=True)
def col2im(dcols, N, C, H, W, K, S, pt, pl, OH, OW):
    """Scatter-add patch rows back into an image: the adjoint of ``im2col``.

    dcols: (N*OH*OW, C*K*K) -> dx: (N, C, H, W)
    """
    dx = np.zeros((N, C, H, W), dtype=dcols.dtype)
    for n in prange(N):
        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                for c in range(C):
                    for kh in range(K):
                        ih = oh * S - pt + kh
                        if ih < 0 or ih >= H:
                            continue
                        base = (c * K + kh) * K
                        for kw in range(K):
                            iw = ow * S - pl + kw
                            if iw >= 0 and iw < W:
                                dx[n, c, ih, iw] += dcols[row, base + kw]
    return dx


@njit(parallel=True, cache=True)
def nchw_to_rows(x):
    """x: (N, C, H, W) -> rows: (N*H*W, C), one row per pixel."""
    N, C, H, W = x.shape
    rows = np.empty((N * H * W, C), dtype=x.dtype)
    for n in prange(N):
        for c in range(C):
            for h in range(H):
                for w in range(W):
                    rows[(n * H + h) * W + w, c] = x[n, c, h, w]
    return rows


@njit(parallel=True, cache=True)
def rows_to_nchw(rows, N, H, W):
    """rows: (N*H*W, C) -> x: (N, C, H, W); the inverse of ``nchw_to_rows``."""
    C = rows.shape[1]
    x = np.empty((N, C, H, W), dtype=rows.dtype)
    for n in prange(N):
        for h in range(H):
            for w in range(W):
                r = (n * H + h) * W + w
                for c in range(C):
                    x[n, c, h, w] = rows[r, c]
    return x


def conv2d_forward(x, W, S, pt, pl, OH, OW):
    """Cross-correlation without bias.

    x: (N, C_in, H, W), W: (C_out, C_in, K, K) -> out: (N, C_out, OH, OW), and the
    patch matrix cols: (N*OH*OW, C_in*K*K) that ``conv2d_backward_weight`` needs.
    """
    N = x.shape[0]
    C_out, _, K, _ = W.shape
    cols = im2col(x, K, S, pt, pl, OH, OW)
    out_rows = cols @ W.reshape(C_out, -1).T  # (N*OH*OW, C_out)
    return rows_to_nchw(out_rows, N, OH, OW), cols


def conv2d_backward_input(dout, W, H, W_in, S, pt, pl):
    """Gradient w.r.t. the input of ``conv2d_forward``.

    dout: (N, C_out, OH, OW), W: (C_out, C_in, K, K) -> dx: (N, C_in, H, W_in)
    """
    N, C_out, OH, OW = dout.shape
    _, C_in, K, _ = W.shape
    dcols = nchw_to_rows(dout) @ W.reshape(C_out, -1)  # (N*OH*OW, C_in*K*K)
    return col2im(dcols, N, C_in, H, W_in, K, S, pt, pl, OH, OW)


def conv2d_backward_weight(dout, cols, K):
    """Gradient w.r.t. the weights of ``conv2d_forward``.

    dout: (N, C_out, OH, OW), cols: (N*OH*OW, C_in*K*K) -> dW: (C_out, C_in, K, K)
    """
    C_out = dout.shape[1]
    C_in = cols.shape[1] // (K * K)
    dW = nchw_to_rows(dout).T @ cols  # (C_out, C_in*K*K)
    return dW.reshape(C_out, C_in, K, K)


def warmup():
    """Compile (or load from Numba's cache) every kernel for float32 and float64.

    Returns the seconds it took: a few seconds on a first run, well under one
    once the cache under ``__pycache__`` is warm.
    """
    import time

    start = time.perf_counter()
    for dtype in (np.float32, np.float64):
        x = np.zeros((2, 2, 5, 5), dtype=dtype)
        W = np.zeros((3, 2, 3, 3), dtype=dtype)
        out, cols = conv2d_forward(x, W, 2, 1, 1, 3, 3)
        conv2d_backward_input(out, W, 5, 5, 2, 1, 1)
        conv2d_backward_weight(out, cols, 3)
    return time.perf_counter() - start
