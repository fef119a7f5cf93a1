"""Convolution as one small matrix product per kernel tap, skipping the padding.

im2col (``conv.py``) copies every input patch into a matrix, zeros included, and
multiplies once. For the DCGAN's wide layers that matrix is large (80 MB for the
generator's first layer at batch 128) and a third of its products land in the
padding. Here each kernel tap (kh, kw) multiplies the input pixels it actually
reaches, in place, by that tap's (C_in, C_out) weight slice and adds the result
into the output rows it feeds:

    out[oh, ow] += x[oh*S - pt + kh, ow*S - pl + kw] @ W[kh, kw]

Layouts make those pixel sets plain matrix blocks. Outputs and gradients are
stored (H, W, N, C): one row of C values per pixel of each image, the images of
one pixel next to each other. Then, for one tap and one output row oh, the
valid ow form one run, and their N images one block of rows. The input of a
strided convolution is split by phase first: x[S*i + p, S*j + q] goes to phase
(p, q) at (i, j), stored (S, S, Hp, Wp, N, C) with Hp = ceil(H / S). A tap with
kh - pt = S*dh + p then reads phase p at row oh + dh: stride 1 within the phase,
so its inputs are one block of rows too. (S = 1 is the plain (H, W, N, C).)

The three kernels, for a convolution with input (H, W), output (OH, OW), kernel
K, stride S and top/left padding (pt, pl); weights tap-major as a flat
(K, K, C_in, C_out) array (``conv.weight_matrix``):

    forward   y  = sum over taps of  x_tap @ W_tap     (threads split rows oh)
    dx        dx = sum over taps of  dy_tap @ W_tap.T  (split input rows)
    dW        dW_tap = sum over rows of  x_tap.T @ dy  (split taps)

A transposed convolution is the adjoint of a convolution, so its forward is dx
here, its input gradient is forward and its weight gradient is dW with the roles
of x and dy swapped (see ``Conv2DTranspose``). Each thread owns the output rows
(or taps) it writes, so no two threads add into the same cell; which thread gets
which row depends only on the shapes and the thread count.
"""

import numpy as np
from numba import njit

from .blas import gemm
from .jit import KERNEL
from .threads import get_num_threads, parallel


def phase_rows(size, S, p):
    """How many of rows p, p + S, p + 2S, ... lie inside ``size`` rows."""
    return max(0, (size - p + S - 1) // S)


@njit(**KERNEL)
def _split_tap(k, pad, S):
    # offset k - pad of a tap = S * d + phase, with 0 <= phase < S
    e = k - pad
    phase = e % S
    return phase, (e - phase) // S


@njit(**KERNEL)
def _ow_range(dw, q, W, OW, S):
    # output columns whose input column (phase q, index ow + dw) exists
    Wq = (W - q + S - 1) // S
    return max(0, -dw), min(OW, Wq - dw)


@njit(**KERNEL, inline="always")
def _x_row(p, q, i, j, S, Hp, Wp, N):
    # first row of pixel (i, j) of phase (p, q) in (S, S, Hp, Wp, N, C)
    return (((p * S + q) * Hp + i) * Wp + j) * N


@njit(**KERNEL, inline="always")
def _half(h, size):
    # the columns of half h (0 or 1) of ``size`` columns
    mid = (size + 1) // 2
    return (0, mid) if h == 0 else (mid, size)


@njit(**KERNEL)
def _forward(x, Wt, y, N, C, Co, H, W, OH, OW, K, S, pt, pl, bias, items):
    Hp = (H + S - 1) // S
    Wp = (W + S - 1) // S
    for r in range(items.shape[0]):
        # one half of output row oh: its (ow, n) rows, all taps
        oh = items[r] // 2
        c0, c1 = _half(items[r] % 2, OW)
        for row in range((oh * OW + c0) * N, (oh * OW + c1) * N):
            y[row * Co : (row + 1) * Co] = bias
        for kh in range(K):
            p, dh = _split_tap(kh, pt, S)
            i = oh + dh
            if i < 0 or i >= (H - p + S - 1) // S:
                continue
            for kw in range(K):
                q, dw = _split_tap(kw, pl, S)
                ow0, ow1 = _ow_range(dw, q, W, OW, S)
                ow0, ow1 = max(ow0, c0), min(ow1, c1)
                if ow1 <= ow0:
                    continue
                xo = _x_row(p, q, i, ow0 + dw, S, Hp, Wp, N) * C
                yo = (oh * OW + ow0) * N * Co
                wo = (kh * K + kw) * C * Co
                M = (ow1 - ow0) * N
                gemm(False, False, M, Co, C, x, xo, C, Wt, wo, Co, 1.0, y, yo, Co)


@njit(**KERNEL)
def _backward_input(dy, Wt, dx, N, C, Co, H, W, OH, OW, K, S, pt, pl, bias, items):
    Hp = (H + S - 1) // S
    Wp = (W + S - 1) // S
    for r in range(items.shape[0]):
        # one half of input row i of row phase p, in every column phase q
        p = items[r] // 2 // Hp
        i = items[r] // 2 % Hp
        c0, c1 = _half(items[r] % 2, Wp)
        for q in range(S):
            for row in range(
                _x_row(p, q, i, c0, S, Hp, Wp, N), _x_row(p, q, i, c1, S, Hp, Wp, N)
            ):
                dx[row * C : (row + 1) * C] = bias
        for kh in range(K):
            pk, dh = _split_tap(kh, pt, S)
            oh = i - dh
            if pk != p or oh < 0 or oh >= OH:
                continue
            for kw in range(K):
                q, dw = _split_tap(kw, pl, S)
                ow0, ow1 = _ow_range(dw, q, W, OW, S)
                ow0, ow1 = max(ow0, c0 - dw), min(ow1, c1 - dw)
                if ow1 <= ow0:
                    continue
                xo = _x_row(p, q, i, ow0 + dw, S, Hp, Wp, N) * C
                yo = (oh * OW + ow0) * N * Co
                wo = (kh * K + kw) * C * Co
                M = (ow1 - ow0) * N
                gemm(False, True, M, C, Co, dy, yo, Co, Wt, wo, Co, 1.0, dx, xo, C)


@njit(**KERNEL)
def _backward_weight(x, dy, dWt, N, C, Co, H, W, OH, OW, K, S, pt, pl, items):
    Hp = (H + S - 1) // S
    Wp = (W + S - 1) // S
    dWt[:] = 0
    for r in range(items.shape[0]):
        # one half of output row oh, all taps: the row's dy block and the few
        # x row blocks it meets stay in cache from tap to tap
        oh = items[r] // 2
        c0, c1 = _half(items[r] % 2, OW)
        for kh in range(K):
            p, dh = _split_tap(kh, pt, S)
            i = oh + dh
            if i < 0 or i >= (H - p + S - 1) // S:
                continue
            for kw in range(K):
                q, dw = _split_tap(kw, pl, S)
                ow0, ow1 = _ow_range(dw, q, W, OW, S)
                ow0, ow1 = max(ow0, c0), min(ow1, c1)
                if ow1 <= ow0:
                    continue
                xo = _x_row(p, q, i, ow0 + dw, S, Hp, Wp, N) * C
                yo = (oh * OW + ow0) * N * Co
                wo = (kh * K + kw) * C * Co
                M = (ow1 - ow0) * N
                gemm(True, False, C, Co, M, x, xo, C, dy, yo, Co, 1.0, dWt, wo, Co)


def balance(costs, parts):
    """Deal items to ``parts`` threads so that their total costs come out even.

    costs: (n,) -> a list of int64 arrays of item indices, one per thread, each
    sorted. Largest first, each to the least-loaded thread (ties to the lowest).
    """
    loads = [0] * parts
    owned = [[] for _ in range(parts)]
    for item in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        t = loads.index(min(loads))
        loads[t] += costs[item]
        owned[t].append(item)
    return [np.array(sorted(items), dtype=np.int64) for items in owned if items]


def _run(kernel, costs, args):
    """Run ``kernel(*args, items)`` once per thread, the items dealt out by cost."""
    parts = balance(costs, max(1, min(get_num_threads(), len(costs))))

    def piece(a, b):
        for items in parts[a:b]:
            kernel(*args, items)

    parallel(piece, len(parts))


def _taps_of(k, pad, S, limit):
    """For each tap of one axis: (phase, shift), and how many input rows its
    phase has."""
    out = []
    for tap in range(k):
        e = tap - pad
        phase = e % S
        out.append((phase, (e - phase) // S, phase_rows(limit, S, phase)))
    return out


def _half_py(h, size):
    mid = (size + 1) // 2
    return (0, mid) if h == 0 else (mid, size)


def _output_half_row_costs(H, W, OH, OW, K, S, pt, pl):
    """(2 * OH,) int64: pixel products in each half output row (border rows
    reach fewer taps)."""
    rows, cols = _taps_of(K, pt, S, H), _taps_of(K, pl, S, W)
    cost = np.zeros(2 * OH, dtype=np.int64)
    for item in range(2 * OH):
        oh, (c0, c1) = item // 2, _half_py(item % 2, OW)
        kh_valid = sum(1 for _, d, n in rows if 0 <= oh + d < n)
        width = sum(max(0, min(c1, n - d) - max(c0, -d)) for _, d, n in cols)
        cost[item] = kh_valid * width
    return cost


def forward(x, Wt, y, N, C, Co, H, W, OH, OW, K, S, pt, pl, bias=None):
    """y (OH, OW, N, Co) = the convolution of x (S, S, Hp, Wp, N, C), all flat,
    plus ``bias`` (Co,) if given.

    Each thread takes a set of half output rows, dealt out by how many pixel
    products each holds (rows near the border reach fewer taps).
    """
    cost = _output_half_row_costs(H, W, OH, OW, K, S, pt, pl)
    bias = np.zeros(Co, x.dtype) if bias is None else bias
    args = (x, Wt, y, N, C, Co, H, W, OH, OW, K, S, pt, pl, bias)
    _run(_forward, cost, args)
    return y


def backward_input(dy, Wt, dx, N, C, Co, H, W, OH, OW, K, S, pt, pl, bias=None):
    """dx (S, S, Hp, Wp, N, C) from dy (OH, OW, N, Co), all flat, plus ``bias``
    (C,) if given (a transposed convolution's forward adds its bias here).

    Each thread takes a set of half input rows (of one row phase, all column
    phases), so no two threads write one cell. Phase cells beyond the input
    (when S does not divide H or W) hold the bias or are left as they were;
    nothing reads them.
    """
    Hp, Wp = -(-H // S), -(-W // S)
    rows, cols = _taps_of(K, pt, S, H), _taps_of(K, pl, S, W)
    cost = np.zeros(2 * S * Hp, dtype=np.int64)
    for item in range(2 * S * Hp):
        p, i, (c0, c1) = item // 2 // Hp, item // 2 % Hp, _half_py(item % 2, Wp)
        kh_valid = sum(1 for ph, d, n in rows if ph == p and i < n and 0 <= i - d < OH)
        width = sum(
            max(0, min(OW, n - d, c1 - d) - max(0, -d, c0 - d)) for _, d, n in cols
        )
        cost[item] = kh_valid * width
    bias = np.zeros(C, dy.dtype) if bias is None else bias
    args = (dy, Wt, dx, N, C, Co, H, W, OH, OW, K, S, pt, pl, bias)
    _run(_backward_input, cost, args)
    return dx


def backward_weight(x, dy, dWt, N, C, Co, H, W, OH, OW, K, S, pt, pl):
    """dWt (K, K, C, Co) = sum over pixels of x_tap.T @ dy, overwritten.

    The output's half rows are dealt into two fixed parts by cost, as in
    ``forward``; each part sums every tap over its rows into its own buffer
    (on its own thread when there are two), and the second is added to the
    first. Two parts whatever the thread count, so the sums are the same.
    """
    cost = _output_half_row_costs(H, W, OH, OW, K, S, pt, pl)
    parts = balance(cost, 2)
    buffers = [dWt] + [np.empty_like(dWt) for _ in parts[1:]]
    args = (x, dy)
    shape = (N, C, Co, H, W, OH, OW, K, S, pt, pl)

    def piece(a, b):
        for k in range(a, b):
            _backward_weight(*args, buffers[k], *shape, parts[k])

    parallel(piece, len(parts))
    for extra in buffers[1:]:
        dWt += extra
    if not parts:
        dWt[:] = 0
    return dWt


@njit(**KERNEL)
def _to_phases(x, S, Hp, Wp, N_total, n0, out):
    n_here, C, H, W = x.shape
    for n in range(n_here):
        for h in range(H):
            p = h % S
            i = h // S
            for w in range(W):
                q = w % S
                j = w // S
                base = ((((p * S + q) * Hp + i) * Wp + j) * N_total + n0 + n) * C
                for c in range(C):
                    out[base + c] = x[n, c, h, w]


def to_phases(x, S, out):
    """x: (N, C, H, W) -> out: flat (S, S, Hp, Wp, N, C), Hp = ceil(H / S).

    S = 1 gives (H, W, N, C). Each thread takes a slice of the batch.
    """
    N, C, H, W = x.shape
    Hp, Wp = -(-H // S), -(-W // S)

    def piece(a, b):
        _to_phases(x[a:b], S, Hp, Wp, N, a, out)

    parallel(piece, N, min_items=-(-(1 << 16) // max(1, x[:1].size)))
    return out


@njit(**KERNEL)
def _from_phases(src, S, Hp, Wp, N_total, n0, bias, out):
    n_here, C, H, W = out.shape
    for n in range(n_here):
        # read each pixel's C values in a run; the writes stay inside one image
        for h in range(H):
            p = h % S
            i = h // S
            for w in range(W):
                q = w % S
                j = w // S
                base = ((((p * S + q) * Hp + i) * Wp + j) * N_total + n0 + n) * C
                for c in range(C):
                    out[n, c, h, w] = src[base + c] + bias[c]


def from_phases(src, S, bias, out):
    """The inverse of ``to_phases``, adding ``bias`` (C,) on the way.

    src: flat (S, S, Hp, Wp, N, C) -> out: (N, C, H, W), overwritten.
    """
    N, C, H, W = out.shape
    Hp, Wp = -(-H // S), -(-W // S)

    def piece(a, b):
        _from_phases(src, S, Hp, Wp, N, a, bias, out[a:b])

    parallel(piece, N, min_items=-(-(1 << 16) // max(1, out[:1].size)))
    return out


def hwnc_flat(a):
    """The memory of an (N, C, H, W) array stored (H, W, N, C) (as the tap
    kernels write their outputs), as a flat view; None when stored otherwise."""
    t = a.transpose(2, 3, 0, 1)
    return t.reshape(-1) if t.flags.c_contiguous else None


def hwnc_view(flat, N, C, H, W):
    """A flat (H, W, N, C) buffer seen as the (N, C, H, W) array it holds."""
    return flat.reshape(H, W, N, C).transpose(2, 3, 0, 1)


def phases_size(N, C, H, W, S):
    """Values in the (S, S, Hp, Wp, N, C) layout of an (N, C, H, W) array."""
    return S * S * -(-H // S) * -(-W // S) * N * C


def warmup():
    """Compile (or load from cache) these kernels for float32 and float64."""
    for dtype in (np.float32, np.float64):
        x = np.zeros((2, 2, 5, 5), dtype)
        shape = (2, 2, 3, 5, 5, 3, 3, 3, 2, 1, 1)
        xs = np.zeros(phases_size(2, 2, 5, 5, 2), dtype)
        to_phases(x, 2, xs)
        Wt = np.zeros(3 * 3 * 2 * 3, dtype)
        ys = np.zeros(3 * 3 * 2 * 3, dtype)
        forward(xs, Wt, ys, *shape)
        backward_input(ys, Wt, xs, *shape)
        backward_weight(xs, ys, Wt, *shape)
        from_phases(ys, 1, np.zeros(3, dtype), np.zeros((2, 3, 3, 3), dtype))
