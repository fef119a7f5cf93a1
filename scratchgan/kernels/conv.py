"""Numba kernels for 2-D convolution, as im2col / col2im around one matrix product.

A convolution with kernel K, stride S and top/left padding (pt, pl) reads, for each
output pixel (n, oh, ow), the patch x[n, :, oh*S - pt + kh, ow*S - pl + kw] over
kh, kw in [0, K). Laying those patches out as rows turns the convolution into one
matrix product that BLAS runs near the machine's peak:

    cols   = im2col(x)                      # (N*OH*OW, K*K*C_in)
    out    = cols @ weight_matrix(W)        # (N*OH*OW, C_out), then NCHW
    dcols  = dout_rows @ weight_matrix(W).T # gradient w.r.t. cols
    dx     = col2im(dcols)                  # scatter-add the patches back
    dW     = dout_rows.T @ cols             # gradient w.r.t. the weights

The columns are ordered tap-major, (kh*K + kw)*C + c, so that one tap of one
output pixel is C neighbouring values. Each kernel first turns one image into
channels-last (H, W, C) in a small private buffer, after which every tap is a copy
(or an add) of C contiguous values instead of C scattered ones; that is what makes
these loops memory-bound rather than latency-bound.

Bottom/right padding is implicit: a tap that falls outside the input reads zero
(im2col) or is dropped (col2im). The loop kernels split the batch between threads
(``threads.parallel``) and the products split their rows (``threads.matmul``), so
no two threads ever write the same cell and every sum runs in a fixed order:
results do not depend on the thread count. Arrays must be C-contiguous; any float
dtype works (float32 for training, float64 for gradient checks).

The ``*_into`` kernels write into a caller's buffer, so that a layer can reuse one
buffer from step to step instead of asking the OS for fresh pages every call.
Conv2D and Conv2DTranspose compose them that way, keeping their buffers between
steps. ``conv2d_forward``, ``conv2d_backward_input`` and ``conv2d_backward_weight``
below are the same composition with fresh arrays: the plain entry points that
the tests hold against ``reference.py`` and that ``warmup`` compiles through.
"""

import numpy as np
from numba import njit

from .jit import KERNEL
from .threads import matmul, parallel

# a piece of a loop kernel moves at least this many values (smaller calls stay
# on one thread); gradient checks call these kernels thousands of times on tiny
# arrays, where handing work to another thread would cost more than it saves
MIN_VALUES = 1 << 16


def images_per_piece(values_per_image):
    """The fewest images a piece may hold for kernels that move this much."""
    return -(-MIN_VALUES // max(1, values_per_image))


@njit(**KERNEL)
def _im2col(x, K, S, pt, pl, OH, OW, cols):
    N, C, H, W = x.shape
    xn = np.empty((H, W, C), dtype=x.dtype)
    for n in range(N):
        # this image channels-last, so each tap below is C contiguous values
        for c in range(C):
            for h in range(H):
                for w in range(W):
                    xn[h, w, c] = x[n, c, h, w]

        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                for kh in range(K):
                    ih = oh * S - pt + kh
                    for kw in range(K):
                        iw = ow * S - pl + kw
                        base = (kh * K + kw) * C
                        if ih >= 0 and ih < H and iw >= 0 and iw < W:
                            for c in range(C):
                                cols[row, base + c] = xn[ih, iw, c]
                        else:
                            for c in range(C):
                                cols[row, base + c] = 0


def im2col_into(x, K, S, pt, pl, OH, OW, cols):
    """Gather convolution patches into rows, writing every cell of ``cols``.

    x: (N, C, H, W), cols: (N*OH*OW, K*K*C) with column index (kh*K + kw)*C + c.
    Each thread takes a slice of the batch.
    """
    rows = OH * OW

    def piece(a, b):
        _im2col(x[a:b], K, S, pt, pl, OH, OW, cols[a * rows : b * rows])

    parallel(piece, x.shape[0], min_items=images_per_piece(cols[:rows].size))
    return cols


@njit(**KERNEL)
def _col2im(dcols, K, S, pt, pl, OH, OW, dx):
    N, C, H, W = dx.shape
    acc = np.empty((H, W, C), dtype=dx.dtype)
    for n in range(N):
        # sum this image channels-last, then transpose it out once
        acc[:] = 0
        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                for kh in range(K):
                    ih = oh * S - pt + kh
                    if ih < 0 or ih >= H:
                        continue
                    for kw in range(K):
                        iw = ow * S - pl + kw
                        if iw < 0 or iw >= W:
                            continue
                        base = (kh * K + kw) * C
                        for c in range(C):
                            acc[ih, iw, c] += dcols[row, base + c]

        for c in range(C):
            for h in range(H):
                for w in range(W):
                    dx[n, c, h, w] = acc[h, w, c]


def col2im_into(dcols, K, S, pt, pl, OH, OW, dx):
    """Scatter-add patch rows back into an image: the adjoint of ``im2col_into``.

    dcols: (N*OH*OW, K*K*C) -> dx: (N, C, H, W), overwritten. Each thread takes a
    slice of the batch, so no two threads add into the same image.
    """
    rows = OH * OW

    def piece(a, b):
        _col2im(dcols[a * rows : b * rows], K, S, pt, pl, OH, OW, dx[a:b])

    parallel(piece, dx.shape[0], min_items=images_per_piece(dcols[:rows].size))
    return dx


@njit(**KERNEL)
def _nchw_to_rows(x, rows):
    N, C, H, W = x.shape
    for n in range(N):
        for c in range(C):
            for h in range(H):
                for w in range(W):
                    rows[(n * H + h) * W + w, c] = x[n, c, h, w]


def nchw_to_rows(x):
    """x: (N, C, H, W) -> rows: (N*H*W, C), one row per pixel."""
    N, C, H, W = x.shape
    rows = np.empty((N * H * W, C), dtype=x.dtype)
    pixels = H * W

    def piece(a, b):
        _nchw_to_rows(x[a:b], rows[a * pixels : b * pixels])

    parallel(piece, N, min_items=images_per_piece(x[:1].size))
    return rows


@njit(**KERNEL)
def _rows_to_nchw(rows, bias, out):
    N, C, H, W = out.shape
    for n in range(N):
        for c in range(C):
            b = bias[c]
            for h in range(H):
                for w in range(W):
                    out[n, c, h, w] = rows[(n * H + h) * W + w, c] + b


def rows_to_nchw_into(rows, bias, out):
    """out[n, c, h, w] = rows[(n*H + h)*W + w, c] + bias[c].

    rows: (N*H*W, C), bias: (C,) -> out: (N, C, H, W). Adding the bias here
    saves a separate pass over the output; pass zeros for none.
    """
    N, C, H, W = out.shape
    pixels = H * W

    def piece(a, b):
        _rows_to_nchw(rows[a * pixels : b * pixels], bias, out[a:b])

    parallel(piece, N, min_items=images_per_piece(out[:1].size))
    return out


@njit(**KERNEL)
def _weight_matrix(W, t0, t1, out):
    C_out, C_in, K, _ = W.shape
    for t in range(t0, t1):
        kh = t // K
        kw = t % K
        for c in range(C_in):
            row = t * C_in + c
            for co in range(C_out):
                out[row, co] = W[co, c, kh, kw]


def weight_matrix(W):
    """W: (C_out, C_in, K, K) -> (K*K*C_in, C_out), rows in im2col's column order.

    Tap-major, (kh*K + kw)*C_in + c, like the patch columns: one tap's weights
    are one (C_in, C_out) block. Each thread takes a range of taps.
    """
    C_out, C_in, K, _ = W.shape
    W = np.ascontiguousarray(W)
    out = np.empty((K * K * C_in, C_out), dtype=W.dtype)
    min_taps = -(-MIN_VALUES // max(1, C_in * C_out))
    parallel(lambda a, b: _weight_matrix(W, a, b, out), K * K, min_items=min_taps)
    return out


def weight_from_matrix(Wm, C_in, K):
    """The inverse of ``weight_matrix``: (K*K*C_in, C_out) -> (C_out, C_in, K, K).

    A view, not a copy. Weight gradients are computed as cols.T @ dout_rows, which
    comes out in this layout; on this machine's OpenBLAS that product runs 1.25x
    faster than the equivalent dout_rows.T @ cols for the DCGAN's shapes.
    """
    C_out = Wm.shape[1]
    return Wm.reshape(K, K, C_in, C_out).transpose(3, 2, 0, 1)


@njit(**KERNEL)
def _add_weight_matrix(grad, Wm, co0, co1):
    _, C_in, K, _ = grad.shape
    for co in range(co0, co1):
        for c in range(C_in):
            for kh in range(K):
                for kw in range(K):
                    grad[co, c, kh, kw] += Wm[(kh * K + kw) * C_in + c, co]


def add_weight_matrix(grad, Wm):
    """grad += weight_from_matrix(Wm), in place.

    grad: (C_out, C_in, K, K) C-contiguous, Wm: (K*K*C_in, C_out). Each thread
    takes a range of output channels, so it writes contiguous memory.
    """
    C_out = grad.shape[0]
    min_rows = -(-MIN_VALUES // max(1, grad[:1].size))
    parallel(lambda a, b: _add_weight_matrix(grad, Wm, a, b), C_out, min_items=min_rows)
    return grad


def im2col(x, K, S, pt, pl, OH, OW):
    """x: (N, C, H, W) -> cols: (N*OH*OW, K*K*C), allocated here."""
    N, C = x.shape[:2]
    cols = np.empty((N * OH * OW, K * K * C), dtype=x.dtype)
    return im2col_into(x, K, S, pt, pl, OH, OW, cols)


def col2im(dcols, N, C, H, W, K, S, pt, pl, OH, OW):
    """dcols: (N*OH*OW, K*K*C) -> dx: (N, C, H, W), allocated here."""
    dx = np.empty((N, C, H, W), dtype=dcols.dtype)
    return col2im_into(dcols, K, S, pt, pl, OH, OW, dx)


def nhwc_rows(x):
    """x: (N, C, H, W) -> (N*H*W, C) rows: a view when x is stored channels-last
    (N, H, W, C), else a copy (``nchw_to_rows``)."""
    t = x.transpose(0, 2, 3, 1)
    if t.flags.c_contiguous:
        return t.reshape(-1, x.shape[1])
    return nchw_to_rows(np.ascontiguousarray(x))


def rows_to_nchw(rows, N, H, W):
    """rows: (N*H*W, C) -> x: (N, C, H, W); the inverse of ``nchw_to_rows``."""
    out = np.empty((N, rows.shape[1], H, W), dtype=rows.dtype)
    return rows_to_nchw_into(rows, np.zeros(rows.shape[1], rows.dtype), out)


def conv2d_forward(x, W, S, pt, pl, OH, OW):
    """Cross-correlation without bias.

    x: (N, C_in, H, W), W: (C_out, C_in, K, K) -> out: (N, C_out, OH, OW), and the
    patch matrix cols: (N*OH*OW, K*K*C_in) that ``conv2d_backward_weight`` needs.
    """
    N = x.shape[0]
    K = W.shape[2]
    cols = im2col(x, K, S, pt, pl, OH, OW)
    out_rows = matmul(cols, weight_matrix(W))  # (N*OH*OW, C_out)
    return rows_to_nchw(out_rows, N, OH, OW), cols


def conv2d_backward_input(dout, W, H, W_in, S, pt, pl):
    """Gradient w.r.t. the input of ``conv2d_forward``.

    dout: (N, C_out, OH, OW), W: (C_out, C_in, K, K) -> dx: (N, C_in, H, W_in)
    """
    N, C_out, OH, OW = dout.shape
    _, C_in, K, _ = W.shape
    dcols = matmul(nchw_to_rows(dout), weight_matrix(W).T)  # (N*OH*OW, K*K*C_in)
    return col2im(dcols, N, C_in, H, W_in, K, S, pt, pl, OH, OW)


def conv2d_backward_weight(dout, cols, K):
    """Gradient w.r.t. the weights of ``conv2d_forward``.

    dout: (N, C_out, OH, OW), cols: (N*OH*OW, K*K*C_in) -> dW: (C_out, C_in, K, K)
    """
    C_in = cols.shape[1] // (K * K)
    dW = matmul(cols.T, nchw_to_rows(dout))  # (K*K*C_in, C_out)
    return np.ascontiguousarray(weight_from_matrix(dW, C_in, K))


def warmup():
    """Compile (or load from Numba's cache) every kernel for float32 and float64.

    Returns the seconds it took: tens of seconds on a first run, well under one
    once the cache under ``__pycache__`` is warm.
    """
    import time

    from .elementwise import warmup as warmup_elementwise
    from .taps import warmup as warmup_taps

    start = time.perf_counter()
    for dtype in (np.float32, np.float64):
        x = np.zeros((2, 2, 5, 5), dtype=dtype)
        W = np.zeros((3, 2, 3, 3), dtype=dtype)
        out, cols = conv2d_forward(x, W, 2, 1, 1, 3, 3)
        conv2d_backward_input(out, W, 5, 5, 2, 1, 1)
        conv2d_backward_weight(out, cols, 3)
        add_weight_matrix(np.zeros_like(W), weight_matrix(W))
        rows_to_nchw_into(nchw_to_rows(out), np.zeros(3, dtype), out)
    warmup_elementwise()
    warmup_taps()
    return time.perf_counter() - start
