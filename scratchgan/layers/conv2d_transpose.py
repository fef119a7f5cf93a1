"""2-D transposed convolution: the adjoint (the input gradient) of Conv2D."""

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
from ..kernels.layout import contiguous, nhwc_empty
from ..kernels.threads import matmul
from .base import Layer, check_rank
from .conv2d import check_padding, check_positive, choose_method


class Conv2DTranspose(Layer):
    """x: (N, C_in, H, W) -> out: (N, C_out, H_out, W_out).

    H_out = (H - 1) * S - 2 * P + K + output_padding for an int padding P, and
    H_out = H * S for "same" (TensorFlow's meaning). W: (C_in, C_out, K, K), b:
    (C_out,), PyTorch's layout.

    This layer is the exact adjoint of a Conv2D from C_out to C_in channels with the
    same weights, kernel and stride, whose input is H_out x W_out and output H x W.
    So its forward is that convolution's input gradient, its input gradient is
    that convolution's forward, and both layers share their kernels: the tap
    kernels or im2col, as ``method`` says (see ``Conv2D``).
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        bias=True,
        rng=None,
    ):
        super().__init__()
        name = "Conv2DTranspose"
        check_positive(
            name,
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
        )
        check_padding(name, padding)
        if padding == "valid":
            padding = 0
        if not isinstance(output_padding, (int, np.integer)) or output_padding < 0:
            raise ValueError(
                f"{name}: output_padding must be an int >= 0, got {output_padding!r}"
            )
        if output_padding >= stride:
            raise ValueError(
                f"{name}: output_padding ({output_padding}) must be smaller than "
                f"stride ({stride})"
            )
        if padding == "same" and output_padding:
            raise ValueError(f"{name}: output_padding needs an int padding")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.output_padding = output_padding
        shape = (in_channels, out_channels, kernel_size, kernel_size)
        self.params["W"] = init.glorot_uniform(shape, init.default_rng(rng))
        if bias:
            self.params["b"] = np.zeros(out_channels, dtype=np.float32)
        self.method = choose_method(in_channels, out_channels)
        self.zero_grad()

    def geometry(self, H, W):
        """(H_out, W_out, pad_top, pad_left) for an H x W input.

        The pads are those of the adjoint convolution. For "same" that is
        TensorFlow's split of max(K - S, 0) with the odd unit at the bottom/right.
        """
        K, S = self.kernel_size, self.stride
        if self.padding == "same":
            total = max(K - S, 0)
            H_out, W_out, pt = H * S, W * S, total // 2
        else:
            P, op = self.padding, self.output_padding
            H_out = (H - 1) * S - 2 * P + K + op
            W_out = (W - 1) * S - 2 * P + K + op
            pt = P
        if H_out <= 0 or W_out <= 0:
            raise ValueError(
                f"{self!r}: input (C, H, W) = ({self.in_channels}, {H}, {W}) gives "
                f"an empty output ({self.out_channels}, {H_out}, {W_out})"
            )
        return H_out, W_out, pt, pt

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
        Wt = self.params["W"]
        K, S = self.kernel_size, self.stride

        # multiply each input pixel by the kernel, then scatter-add the patches.
        # Wt is (C_in, C_out, K, K): as a Conv2D weight it maps C_out -> C_in
        x_rows = nhwc_rows(x)  # (N*H*W, C_in)
        cols = matmul(
            x_rows,
            weight_matrix(Wt).T,
            out=self.workspace(
                "cols", (N * H * W, K * K * self.out_channels), Wt.dtype
            ),
        )  # (N*H*W, K*K*C_out)
        out = np.empty((N, self.out_channels, H_out, W_out), dtype=Wt.dtype)
        col2im_into(cols, K, S, pt, pl, H, W, out)
        if "b" in self.params:
            out += self.params["b"].reshape(1, -1, 1, 1)
        self.cache = ("im2col", x_rows, pt, pl, H, W)
        return out

    def _forward_taps(self, x, geometry):
        N, H, W, H_out, W_out, pt, pl = geometry
        dtype = x.dtype
        C_out, S = self.out_channels, self.stride

        # the adjoint convolution's input gradient: x plays its output gradient,
        # (H, W, N, C_in) (already so if a tap kernel made x)
        xs = taps.hwnc_flat(x)
        if xs is None:
            xs = taps.to_phases(x, 1, self.workspace("x_rows", (x.size,), dtype))
        Wt = weight_matrix(self.params["W"]).reshape(-1)  # (K, K, C_out, C_in)
        self.cache = ("taps", xs, Wt, geometry)

        # the result, with the bias, comes split by stride phase like the adjoint
        # convolution's input: with stride 1 that is (H_out, W_out, N, C_out),
        # returned as it is stored; otherwise gathered into channels-last
        size = taps.phases_size(N, C_out, H_out, W_out, S)
        shape = self._shape(geometry)
        if S == 1:
            outs = np.empty(size, dtype=dtype)
            taps.backward_input(xs, Wt, outs, *shape, bias=self._bias(dtype))
            return taps.hwnc_view(outs, N, C_out, H_out, W_out)
        outs = self.workspace("out_phases", (size,), dtype)
        taps.backward_input(xs, Wt, outs, *shape)
        out = nhwc_empty(N, C_out, H_out, W_out, dtype)
        return taps.from_phases(outs, S, self._bias(dtype), out)

    def _shape(self, geometry):
        # the tap kernels' shape arguments for the adjoint convolution, whose
        # input is this layer's output and whose output is this layer's input
        N, H, W, H_out, W_out, pt, pl = geometry
        C_in, C_out, K, S = (
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            self.stride,
        )
        return N, C_out, C_in, H_out, W_out, H, W, K, S, pt, pl

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
        _, x_rows, pt, pl, H, W = self.cache
        Wt = self.params["W"]
        K, S = self.kernel_size, self.stride
        N = dout.shape[0]

        # dx is the adjoint convolution's forward: patches of dout times weights
        cols = self.workspace("cols", (N * H * W, K * K * self.out_channels), Wt.dtype)
        im2col_into(contiguous(dout), K, S, pt, pl, H, W, cols)
        dx = None
        if self.input_grad:
            # rows are pixels (n, h, w): dx stored channels-last
            dx_rows = matmul(cols, weight_matrix(Wt))  # (N*H*W, C_in)
            dx = dx_rows.reshape(N, H, W, -1).transpose(0, 3, 1, 2)

        # parameter gradients, from the same patch matrix
        if not self.frozen:
            dW = matmul(cols.T, x_rows)  # (K*K*C_out, C_in)
            add_weight_matrix(self.grads["W"], dW)
            if "b" in self.params:
                self.grads["b"] += dout.sum(axis=(0, 2, 3))
        return dx

    def _backward_taps(self, dout):
        _, xs, Wt, geometry = self.cache
        N, H, W = geometry[:3]
        C_in, C_out, K, S = (
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            self.stride,
        )
        shape = self._shape(geometry)
        douts = taps.hwnc_flat(dout) if S == 1 else None
        if douts is None:
            size = taps.phases_size(*dout.shape, S)
            douts = self.workspace("dout_phases", (size,), dout.dtype)
            taps.to_phases(dout, S, douts)

        # dx is the adjoint convolution's forward, on dout: (H, W, N, C_in),
        # returned as it is stored
        dx = None
        if self.input_grad:
            dxs = np.empty(xs.shape, dtype=dout.dtype)
            taps.forward(douts, Wt, dxs, *shape)
            dx = taps.hwnc_view(dxs, N, C_in, H, W)

        # parameter gradients: the adjoint convolution's, with dout as its input
        # and x as its output gradient
        if not self.frozen:
            dWt = self.workspace("dW_taps", (K * K * C_out * C_in,), dout.dtype)
            taps.backward_weight(douts, xs, dWt, *shape)
            add_weight_matrix(self.grads["W"], dWt.reshape(-1, C_in))
            if "b" in self.params:
                self.grads["b"] += dout.sum(axis=(0, 2, 3))
        return dx

    def output_shape(self, input_shape):
        _, H, W = input_shape
        H_out, W_out, _, _ = self.geometry(H, W)
        return (self.out_channels, H_out, W_out)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size="
            f"{self.kernel_size}, stride={self.stride}, padding={self.padding!r}, "
            f"output_padding={self.output_padding}"
        )
