"""Convolution kernels (Numba) and their plain NumPy references."""

from .conv import (
    col2im,
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    im2col,
    nchw_to_rows,
    rows_to_nchw,
    warmup,
)
from .reference import (
    conv2d_backward_input_ref,
    conv2d_backward_weight_ref,
    conv2d_forward_ref,
)
from .threads import get_num_threads, matmul, set_num_threads

__all__ = [
    "col2im",
    "conv2d_backward_input",
    "conv2d_backward_input_ref",
    "conv2d_backward_weight",
    "conv2d_backward_weight_ref",
    "conv2d_forward",
    "conv2d_forward_ref",
    "get_num_threads",
    "matmul",
    "im2col",
    "nchw_to_rows",
    "rows_to_nchw",
    "set_num_threads",
    "warmup",
]
