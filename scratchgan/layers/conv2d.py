"""2-D convolution (cross-correlation, as in PyTorch and TensorFlow)."""

import numpy as np

from .. import init
from ..kernels import taps
from ..kernels.conv import (
    add_weight_matrix,
    col2im_into,
    im2col_into,
    nhwc_rows,
    weight_matrix,
)
from ..kernels.elementwise import add_bias_rows, sum_rows
from ..kernels.layout import contiguous, nhwc_empty
from ..kernels.threads import matmul
from .base import Layer, check_rank

# layers with at least this many channels on both sides use the tap kernels
# (kernels/taps.py); thinner ones gather patches with im2col, because a tap's
# product with one or two channels is too small for BLAS to run well
TAPS_MIN_CHANNELS = 8


def choose_method(in_channels, out_channels):
    """ "taps" or "im2col": how a convolution layer with these widths computes."""
    if min(in_channels, out_channels) >= TAPS_MIN_CHANNELS:
        return "taps"
    return "im2col"


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

    ``method`` (chosen from the widths, see ``choose_method``) picks the kernels:
    "taps" multiplies each kernel tap's weights by the pixels it reaches and
    skips the padding (``scratchgan.kernels.taps``); "im2col" gathers the input
    patches into a matrix and multiplies it by the flattened weights, and its
    backward scatters the patches back (col2im) for dx
    (``scratchgan.kernels.conv``). Both compute the same numbers.
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
        self.method = choose_method(in_channels, out_channels)
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

        # the kernels compute in the weights' dtype; x may be stored in any
        # order (see kernels.layout)
        dtype = self.params["W"].dtype
        x = x if x.dtype == dtype else x.astype(dtype)
        geometry = (N, H, W, H_out, W_out, pt, pl)
        if self.method == "taps":
            return self._forward_taps(x, geometry)
        return self._forward_im2col(x, geometry)

    def _forward_im2col(self, x, geometry):
        N, H, W, H_out, W_out, pt, pl = geometry
        dtype = x.dtype
        K, S = self.kernel_size, self.stride
        M = N * H_out * W_out

        # patches as rows, times the weights: one (M, K*K*C_in) @ (., C_out) GEMM
        cols = self.workspace("cols", (M, K * K * self.in_channels), dtype)
        im2col_into(contiguous(x), K, S, pt, pl, H_out, W_out, cols)
        out_rows = matmul(cols, weight_matrix(self.params["W"]))
        add_bias_rows(out_rows, self._bias(dtype))

        # the rows are pixels (n, oh, ow): the output stored channels-last
        self.cache = ("im2col", cols, geometry)
        return out_rows.reshape(N, H_out, W_out, -1).transpose(0, 3, 1, 2)

    def _forward_taps(self, x, geometry):
        N, H, W, H_out, W_out, pt, pl = geometry
        dtype = x.dtype
        C, Co, S = self.in_channels, self.out_channels, self.stride

        # input split by stride phase, channels last (already so when stride 1
        # and x came from a tap kernel)
        xs = taps.hwnc_flat(x) if S == 1 else None
        if xs is None:
            size = taps.phases_size(N, C, H, W, S)
            xs = taps.to_phases(x, S, self.workspace("x_phases", (size,), dtype))

        # output (H_out, W_out, N, Co) with the bias, returned as it is stored
        Wt = weight_matrix(self.params["W"]).reshape(-1)  # (K, K, C_in, C_out)
        ys = np.empty(H_out * W_out * N * Co, dtype=dtype)
        taps.forward(xs, Wt, ys, *self._shape(geometry), bias=self._bias(dtype))
        self.cache = ("taps", xs, Wt, geometry)
        return taps.hwnc_view(ys, N, Co, H_out, W_out)

    def _shape(self, geometry):
        # the tap kernels' shape arguments, in their order
        N, H, W, H_out, W_out, pt, pl = geometry
        C, Co, K, S = self.in_channels, self.out_channels, self.kernel_size, self.stride
        return N, C, Co, H, W, H_out, W_out, K, S, pt, pl

    def _bias(self, dtype):
        if "b" in self.params:
            return self.params["b"]
        return np.zeros(self.out_channels, dtype=dtype)

    def backward(self, dout):
        dtype = self.params["W"].dtype
        dout = dout if dout.dtype == dtype else dout.astype(dtype)
        if self.cache[0] == "taps":
            return self._backward_taps(dout)
        return self._backward_im2col(dout)

    def _backward_im2col(self, dout):
        _, cols, (N, H, W, H_out, W_out, pt, pl) = self.cache
        Wt = self.params["W"]
        K, S = self.kernel_size, self.stride
        dout_rows = nhwc_rows(dout)

        # parameter gradients (a frozen layer only passes the gradient on)
        if not self.frozen:
            dW = matmul(cols.T, dout_rows)  # (K*K*C_in, C_out)
            add_weight_matrix(self.grads["W"], dW)
            if "b" in self.params:
                self.grads["b"] += sum_rows(dout_rows)

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

    def _backward_taps(self, dout):
        _, xs, Wt, geometry = self.cache
        N, H, W = geometry[:3]
        C, Co, K, S = self.in_channels, self.out_channels, self.kernel_size, self.stride
        shape = self._shape(geometry)
        dys = taps.hwnc_flat(dout)
        if dys is None:
            dys = self.workspace("dout_rows", (dout.size,), dout.dtype)
            taps.to_phases(dout, 1, dys)

        # parameter gradients (a frozen layer only passes the gradient on)
        if not self.frozen:
            dWt = self.workspace("dW_taps", (K * K * C * Co,), dout.dtype)
            taps.backward_weight(xs, dys, dWt, *shape)
            add_weight_matrix(self.grads["W"], dWt.reshape(-1, Co))
            if "b" in self.params:
                self.grads["b"] += sum_rows(dys.reshape(-1, Co))

        # input gradient, unless the input is data
        if not self.input_grad:
            return None
        if S == 1:
            # (H, W, N, C): returned as it is stored
            dxs = np.empty(xs.shape, dtype=dout.dtype)
            taps.backward_input(dys, Wt, dxs, *shape)
            return taps.hwnc_view(dxs, N, C, H, W)
        dxs = self.workspace("dx_phases", xs.shape, dout.dtype)
        taps.backward_input(dys, Wt, dxs, *shape)
        dx = nhwc_empty(N, C, H, W, dout.dtype)
        return taps.from_phases(dxs, S, np.zeros(C, dout.dtype), dx)

    def output_shape(self, input_shape):
        _, H, W = input_shape
        H_out, W_out, _, _ = self.geometry(H, W)
        return (self.out_channels, H_out, W_out)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size="
            f"{self.kernel_size}, stride={self.stride}, padding={self.padding!r}"
        )
