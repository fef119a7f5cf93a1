"""Plain NumPy versions of the convolution kernels: slow, obvious, the test oracle.

Each loops over the K*K kernel taps only; for one tap (kh, kw) the input pixels it
reads form a strided slice of the padded input, so the whole batch is handled by one
tensor contraction per tap.
"""

import numpy as np


def _padded(x, K, S, pt, pl, OH, OW):
    # pad bottom/right just enough for the last window; a negative amount means the
    # convolution never reads those rows, so they are cut off instead
    N, C, H, W = x.shape
    pb = (OH - 1) * S + K - H - pt
    pr = (OW - 1) * S + K - W - pl
    xp = np.pad(x, ((0, 0), (0, 0), (pt, max(pb, 0)), (pl, max(pr, 0))))
    return xp[:, :, : H + pt + pb, : W + pl + pr]


def conv2d_forward_ref(x, W, S, pt, pl, OH, OW):
    """x: (N, C_in, H, W), W: (C_out, C_in, K, K) -> out: (N, C_out, OH, OW)."""
    K = W.shape[2]
    xp = _padded(x, K, S, pt, pl, OH, OW)
    out = np.zeros((x.shape[0], W.shape[0], OH, OW), dtype=x.dtype)
    for kh in range(K):
        for kw in range(K):
            tap = xp[:, :, kh : kh + S * OH : S, kw : kw + S * OW : S]
            out += np.einsum("nchw,oc->nohw", tap, W[:, :, kh, kw])
    return out


def conv2d_backward_input_ref(dout, W, H, W_in, S, pt, pl):
    """dout: (N, C_out, OH, OW), W: (C_out, C_in, K, K) -> dx: (N, C_in, H, W_in)."""
    N, _, OH, OW = dout.shape
    K = W.shape[2]
    shape = (N, W.shape[1], H, W_in)
    dxp = np.zeros_like(_padded(np.zeros(shape, dout.dtype), K, S, pt, pl, OH, OW))
    for kh in range(K):
        for kw in range(K):
            tap = np.einsum("nohw,oc->nchw", dout, W[:, :, kh, kw])
            dxp[:, :, kh : kh + S * OH : S, kw : kw + S * OW : S] += tap
    dx = np.zeros(shape, dtype=dout.dtype)
    h = min(H, dxp.shape[2] - pt)
    w = min(W_in, dxp.shape[3] - pl)
    dx[:, :, :h, :w] = dxp[:, :, pt : pt + h, pl : pl + w]
    return dx


def conv2d_backward_weight_ref(dout, x, K, S, pt, pl):
    """dout: (N, C_out, OH, OW), x: (N, C_in, H, W) -> dW: (C_out, C_in, K, K)."""
    OH, OW = dout.shape[2:]
    xp = _padded(x, K, S, pt, pl, OH, OW)
    dW = np.zeros((dout.shape[1], x.shape[1], K, K), dtype=x.dtype)
    for kh in range(K):
        for kw in range(K):
            tap = xp[:, :, kh : kh + S * OH : S, kw : kw + S * OW : S]
            dW[:, :, kh, kw] = np.einsum("nohw,nchw->oc", dout, tap)
    return dW
