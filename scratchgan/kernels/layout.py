"""Where the values of an (N, C, H, W) array lie in memory.

Every layer takes and returns arrays of the shapes its docstring gives; only the
order of the values in memory may differ. The convolution kernels work on rows
of channels (one pixel's C values next to each other), so a convolution returns
its output as an (N, C, H, W) view of such rows instead of copying it into NCHW
order, and the layers after it (activations, dropout, BatchNorm, the next
convolution) work on it in that order. This is PyTorch's "channels last"
memory format; it spares a transposing copy of every feature map, twice per
layer and step.

An array is "dense" when its values fill one block of memory with no gaps, in
some order of its axes; element-wise kernels then run over that block, whatever
the order.
"""

import numpy as np
from numba import njit

from .jit import KERNEL
from .threads import parallel

MIN_VALUES = 1 << 16


def dense_flat(x):
    """A 1-D view of x's values in memory order, or None when x is not dense.

    Two dense arrays with equal strides give their values in the same order.
    """
    if x.flags.c_contiguous:
        return x.reshape(-1)
    order = np.argsort([-s for s in x.strides], kind="stable")
    y = x.transpose(order)
    if y.flags.c_contiguous:
        return y.reshape(-1)
    return None


def channel_rows(x):
    """The (P, C) view of a dense channels-last (N, C, H, W) array, P = N*H*W
    pixels in memory order; None when x is not stored that way."""
    if x.ndim != 4 or x.strides[1] != x.itemsize:
        return None
    flat = dense_flat(x)
    if flat is None:
        return None
    return flat.reshape(-1, x.shape[1])


def nhwc_empty(N, C, H, W, dtype):
    """A fresh (N, C, H, W) array stored channels-last: (N, H, W, C) in memory."""
    return np.empty((N, H, W, C), dtype=dtype).transpose(0, 3, 1, 2)


@njit(**KERNEL)
def _copy_pixels(src, dst):
    # channel loop innermost: contiguous when either side is channels-last
    N, C, H, W = dst.shape
    for n in range(N):
        for h in range(H):
            for w in range(W):
                for c in range(C):
                    dst[n, c, h, w] = src[n, c, h, w]


@njit(**KERNEL)
def _copy_planes(src, dst):
    # width loop innermost: contiguous when either side is NCHW
    N, C, H, W = dst.shape
    for n in range(N):
        for c in range(C):
            for h in range(H):
                for w in range(W):
                    dst[n, c, h, w] = src[n, c, h, w]


def copy_into(src, dst):
    """dst[...] = src for (N, C, H, W) arrays of any strides; each thread takes
    a slice of the batch."""
    kernel = _copy_pixels if dst.strides[1] == dst.itemsize else _copy_planes
    if src.strides[1] == src.itemsize and kernel is _copy_planes:
        kernel = _copy_pixels
    per_image = max(1, dst[:1].size)
    parallel(
        lambda a, b: kernel(src[a:b], dst[a:b]),
        dst.shape[0],
        min_items=-(-MIN_VALUES // per_image),
    )
    return dst


def like(a, template):
    """``a``'s values stored like ``template`` (``a`` itself when it already is).

    a, template: arrays of one shape; element-wise kernels need both operands in
    one memory order.
    """
    if a.strides == template.strides and a.dtype == template.dtype:
        if dense_flat(a) is not None:
            return a
    out = np.empty_like(template)
    if a.ndim == 4:
        return copy_into(a, out)
    np.copyto(out, a)
    return out


def contiguous(x, dtype=None):
    """x as a C-contiguous array of ``dtype`` (x itself when it already is);
    the copy of a 4-D array runs on every thread."""
    dtype = x.dtype if dtype is None else np.dtype(dtype)
    if x.flags.c_contiguous and x.dtype == dtype:
        return x
    if x.ndim == 4 and x.dtype == dtype:
        return copy_into(x, np.empty(x.shape, dtype=dtype))
    return np.ascontiguousarray(x, dtype=dtype)
