"""2-D convolution (cross-correlation, as in PyTorch and TensorFlow)."""

import numpy as np

from .. import init
from ..kernels.conv import (
    col2im_into,
    im2col_into,
    nchw_to_rows,
    rows_to_nchw_into,
    weight_from_matrix,
    weight_matrix,
)
from ..kernels.threads import matmul
from .base import Layer, check_rank


def conv_padding(padding, H, W, K, S):
    """Resolve ``padding`` to (pad_top, pad_bottom, pad_left, pad_right).

    An int pads every side by that much (PyTorch). "valid" pads nothing. "same"
    follows TensorFlow: the output is ceil(H / S) and the total padding that needs,
    max((ceil(H / S) - 1) * S + K - H, 0), is split with the odd unit at the
    bottom/right.
    """
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        pads = []
        for size in (H, W):
            total = max((-(-size // S) - 1) * S + K - size, 0)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    return padding, padding, padding, padding


def check_padding(name, padding):
    """Raise ValueError unless ``padding`` is a non-negative int, "same" or "valid"."""
    if padding in ("same", "valid"):
        return
    if not isinstance(padding, (int, np.integer)) or isinstance(padding, bool):
        raise ValueError(
            f"{name}: padding must be an int, 'same' or 'valid', got {padding!r}"
        )
    if padding < 0:
        raise ValueError(f"{name}: padding must be >= 0, got {padding}")


def check_positive(name, **values):
    """Raise ValueError naming the first argument that is not a positive int."""
    for key, v in values.items():
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{name}: {key} must be a positive int, got {v!r}")


class Conv2D(Layer):
    """x: (N, C_in, H, W) -> out: (N, C_out, H_out, W_out).

    H_out = (H + P_top + P_bottom - K) // S + 1 (likewise W_out); an int padding P
    gives P_top = P_bottom = P. W: (C_out, C_in, K, K), b: (C_out,).

    Forward gathers the input patches into a matrix (im2col) and multiplies it by
    the flattened weights; backward multiplies dout by the weights and scatters the
    patches back (col2im) for dx, and by the patch matrix for dW. See
    ``scratchgan.kernels.conv``.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        bias=True,
        rng=None,
    ):
        super().__init__()
        check_positive(
            "Conv2D",
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
        )
        check_padding("Conv2D", padding)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.params["W"] = init.glorot_uniform(shape, init.default_rng(rng))
        if bias:
            self.params["b"] = np.zeros(out_channels, dtype=np.float32)
        self.zero_grad()

    def geometry(self, H, W):
        """(H_out, W_out, pad_top, pad_left) for an H x W input."""
        K, S = self.kernel_size, self.stride
        pt, pb, pl, pr = conv_padding(self.padding, H, W, K, S)
        if H + pt + pb < K or W + pl + pr < K:
            raise ValueError(
                f"{self!r}: kernel ({K}, {K}) is larger than the padded input "
                f"({H + pt + pb}, {W + pl + pr}) of input (C, H, W) = "
                f"({self.in_channels}, {H}, {W})"
            )
        H_out = (H + pt + pb - K) // S + 1
        W_out = (W + pl + pr - K) // S + 1
        return H_out, W_out, pt, pl

    def forward(self, x, training=True):
        check_rank(self, x, 4)
        N, C, H, W = x.shape
        if C != self.in_channels:
            raise ValueError(
                f"{self!r}: expected input (N, {self.in_channels}, H, W), "
                f"got {tuple(x.shape)}"
            )
        H_out, W_out, pt, pl = self.geometry(H, W)

        # kernels need C-contiguous input of the weights' dtype
        dtype = self.params["W"].dtype
        x = np.ascontiguousarray(x, dtype=dtype)
        K, S = self.kernel_size, self.stride
        M = N * H_out * W_out

        # patches as rows, times the weights: one (M, K*K*C_in) @ (., C_out) GEMM
        cols = self.workspace("cols", (M, K * K * C), dtype)
        im2col_into(x, K, S, pt, pl, H_out, W_out, cols)
        out_rows = matmul(
            cols,
            weight_matrix(self.params["W"]),
            out=self.workspace("out_rows", (M, self.out_channels), dtype),
        )

        # back to NCHW with the bias added on the way
        out = np.empty((N, self.out_channels, H_out, W_out), dtype=dtype)
        rows_to_nchw_into(out_rows, self._bias(dtype), out)
        self.cache = (cols, N, H, W, pt, pl)
        return out

    def _bias(self, dtype):
        if "b" in self.params:
            return self.params["b"]
        return np.zeros(self.out_channels, dtype=dtype)

    def backward(self, dout):
        cols, N, H, W, pt, pl = self.cache
        Wt = self.params["W"]
        K, S = self.kernel_size, self.stride
        dout_rows = nchw_to_rows(np.ascontiguousarray(dout, dtype=Wt.dtype))
        _, _, H_out, W_out = dout.shape

        # parameter gradients (a frozen layer only passes the gradient on)
        if not self.frozen:
            dW = matmul(cols.T, dout_rows)  # (K*K*C_in, C_out)
            self.grads["W"] += weight_from_matrix(dW, self.in_channels, K)
            if "b" in self.params:
                self.grads["b"] += dout_rows.sum(axis=0)

        # input gradient, unless the input is data
        if not self.input_grad:
            return None
        dcols = matmul(
            dout_rows,
            weight_matrix(Wt).T,
            out=self.workspace("dcols", cols.shape, Wt.dtype),
        )  # (N*H_out*W_out, K*K*C_in)
        dx = np.empty((N, self.in_channels, H, W), dtype=Wt.dtype)
        return col2im_into(dcols, K, S, pt, pl, H_out, W_out, dx)

    def output_shape(self, input_shape):
        _, H, W = input_shape
        H_out, W_out, _, _ = self.geometry(H, W)
        return (self.out_channels, H_out, W_out)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size="
            f"{self.kernel_size}, stride={self.stride}, padding={self.padding!r}"
        )
