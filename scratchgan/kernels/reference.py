"""Plain NumPy versions of every kernel: slow, obvious, the test oracle.

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


def im2col_ref(x, K, S, pt, pl, OH, OW):
    """x: (N, C, H, W) -> cols: (N*OH*OW, K*K*C), column (kh*K + kw)*C + c."""
    N, C = x.shape[:2]
    xp = _padded(x, K, S, pt, pl, OH, OW)
    taps = [
        xp[:, :, kh : kh + S * OH : S, kw : kw + S * OW : S]
        for kh in range(K)
        for kw in range(K)
    ]
    cols = np.stack(taps, axis=1)  # (N, K*K, C, OH, OW)
    return cols.transpose(0, 3, 4, 1, 2).reshape(N * OH * OW, K * K * C)


def leaky_relu_forward_ref(x, slope):
    """x where x > 0, else slope * x."""
    return np.where(x > 0, x, x * slope)


def leaky_relu_backward_ref(dout, x, slope):
    """dout where x > 0, else slope * dout."""
    return np.where(x > 0, dout, dout * slope)


def splitmix64_ref(seed, n):
    """The first n outputs of splitmix64 seeded with ``seed``, as uint64 (n,).

    NumPy's uint64 arrays wrap on overflow, as the generator needs.
    """
    golden = np.uint64(0x9E3779B97F4A7C15)
    z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * golden
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def dropout_forward_ref(x, seed, p, scale):
    """(out, mask) for flat x: unit i is kept (mask = scale, else 0) when the top
    24 bits of splitmix64 output i reach round(p * 2**24)."""
    u = splitmix64_ref(seed, x.size) >> np.uint64(40)
    mask = np.where(u >= np.uint64(round(p * 2**24)), scale, 0).astype(x.dtype)
    return x * mask, mask


def batchnorm_stats_ref(x):
    """x: (N, C, L) -> per-channel mean and biased variance, (C,) each."""
    return x.mean(axis=(0, 2), dtype=np.float64), x.var(axis=(0, 2), dtype=np.float64)


def batchnorm_apply_ref(x, mean, inv_std, gamma, beta):
    """out = gamma * (x - mean) * inv_std + beta for x: (N, C, L), the rest (C,)."""
    c = (1, -1, 1)
    x_hat = (x - mean.reshape(c)) * inv_std.reshape(c)
    return gamma.reshape(c) * x_hat + beta.reshape(c)


def batchnorm_backward_ref(dout, x, mean, inv_std, gamma, training):
    """(dx, dgamma, dbeta) for x, dout: (N, C, L), the staged textbook form."""
    c = (1, -1, 1)
    x_hat = (x - mean.reshape(c)) * inv_std.reshape(c)
    dgamma = (dout * x_hat).sum(axis=(0, 2))
    dbeta = dout.sum(axis=(0, 2))
    dx_hat = dout * gamma.reshape(c)
    if not training:
        return dx_hat * inv_std.reshape(c), dgamma, dbeta
    M = x.shape[0] * x.shape[2]
    sum_dx_hat = dx_hat.sum(axis=(0, 2)).reshape(c)
    sum_dx_hat_x_hat = (dx_hat * x_hat).sum(axis=(0, 2)).reshape(c)
    dx = (inv_std.reshape(c) / M) * (M * dx_hat - sum_dx_hat - x_hat * sum_dx_hat_x_hat)
    return dx, dgamma, dbeta
