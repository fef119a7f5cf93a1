"""Convolution kernels (Numba) and their plain NumPy references."""

import os

import numba

# NOTE: Numba's default OpenMP layer keeps its idle workers spinning after every
# parallel loop, and OpenBLAS keeps its own pool spinning after every GEMM; as
# the two alternate, each pool's spinners steal the cores the other one needs.
# The workqueue layer's workers sleep instead. On the 2-core benchmark machine
# under load this halved the time of a training step (2.1 s -> 1.15 s). It is
# chosen only when the user has not picked a layer; it must be set before the
# first parallel kernel runs. Workqueue does not allow parallel kernels to be
# launched from two Python threads at once, which scratchgan never does.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

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

__all__ = [
    "col2im",
    "conv2d_backward_input",
    "conv2d_backward_input_ref",
    "conv2d_backward_weight",
    "conv2d_backward_weight_ref",
    "conv2d_forward",
    "conv2d_forward_ref",
    "im2col",
    "nchw_to_rows",
    "rows_to_nchw",
    "warmup",
]
