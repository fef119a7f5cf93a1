"""Numba conv kernels vs the NumPy references, and independence of thread count."""

import numpy as np
import pytest

from scratchgan.kernels import (
    col2im,
    conv2d_backward_input,
    conv2d_backward_input_ref,
    conv2d_backward_weight,
    conv2d_backward_weight_ref,
    conv2d_forward,
    conv2d_forward_ref,
    im2col,
    nchw_to_rows,
    rows_to_nchw,
)
from tests.conftest import (
    EXACT_RTOL,
    F32_ATOL,
    F32_RTOL,
    F64_ATOL,
    F64_RTOL,
    kernel_threads,
)

TOLERANCES = {
    np.float32: {"rtol": F32_RTOL, "atol": F32_ATOL},
    np.float64: {"rtol": F64_RTOL, "atol": F64_ATOL},
}


def sweep(count, seed=20240601):
    """Seeded random geometries (N, C_in, C_out, H, W, K, S, pt, pl, OH, OW).

    The bottom/right padding is random too, so OH and OW are not always the
    largest output that fits: the kernels must treat the rest as unread.
    """
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        N, C_in, C_out = rng.integers(1, 4, size=3)
        H, W = rng.integers(1, 9, size=2)
        K = int(rng.integers(1, 6))
        S = int(rng.integers(1, 4))
        pt, pl, pb, pr = rng.integers(0, K, size=4)
        OH = (H + pt + pb - K) // S + 1
        OW = (W + pl + pr - K) // S + 1
        if OH < 1 or OW < 1:
            continue
        geometry = tuple(int(v) for v in (N, C_in, C_out, H, W, K, S, pt, pl, OH, OW))
        name = "n{}-c{}to{}-{}x{}-k{}-s{}-pt{}-pl{}-out{}x{}".format(*geometry)
        cases.append(pytest.param(geometry, id=name))
    return cases


CASES = sweep(24)
DTYPES = [pytest.param(np.float32, id="f32"), pytest.param(np.float64, id="f64")]


def make_arrays(rng, geometry, dtype):
    N, C_in, C_out, H, W, K, S, pt, pl, OH, OW = geometry
    x = rng.standard_normal((N, C_in, H, W)).astype(dtype)
    weight = rng.standard_normal((C_out, C_in, K, K)).astype(dtype)
    dout = rng.standard_normal((N, C_out, OH, OW)).astype(dtype)
    return x, weight, dout


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", CASES)
def test_kernels_match_reference(rng, geometry, dtype):
    N, C_in, C_out, H, W, K, S, pt, pl, OH, OW = geometry
    x, weight, dout = make_arrays(rng, geometry, dtype)
    tol = TOLERANCES[dtype]

    # forward
    out, cols = conv2d_forward(x, weight, S, pt, pl, OH, OW)
    expected = conv2d_forward_ref(x, weight, S, pt, pl, OH, OW)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **tol, err_msg="forward")

    # input gradient
    dx = conv2d_backward_input(dout, weight, H, W, S, pt, pl)
    expected = conv2d_backward_input_ref(dout, weight, H, W, S, pt, pl)
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, expected, **tol, err_msg="backward_input")

    # weight gradient
    dW = conv2d_backward_weight(dout, cols, K)
    expected = conv2d_backward_weight_ref(dout, x, K, S, pt, pl)
    assert dW.dtype == dtype
    np.testing.assert_allclose(dW, expected, **tol, err_msg="backward_weight")


def direct_conv(x, weight, S, pt, pl, OH, OW):
    """The definition, one output value at a time: the oracle for the oracle."""
    N, C_in, H, W = x.shape
    C_out, _, K, _ = weight.shape
    out = np.zeros((N, C_out, OH, OW))
    for n in range(N):
        for o in range(C_out):
            for oh in range(OH):
                for ow in range(OW):
                    total = 0.0
                    for c in range(C_in):
                        for kh in range(K):
                            for kw in range(K):
                                ih, iw = oh * S - pt + kh, ow * S - pl + kw
                                if 0 <= ih < H and 0 <= iw < W:
                                    total += x[n, c, ih, iw] * weight[o, c, kh, kw]
                    out[n, o, oh, ow] = total
    return out


@pytest.mark.parametrize("geometry", CASES[:6])
def test_reference_forward_matches_definition(rng, geometry):
    N, C_in, C_out, H, W, K, S, pt, pl, OH, OW = geometry
    x, weight, _ = make_arrays(rng, geometry, np.float64)

    np.testing.assert_allclose(
        conv2d_forward_ref(x, weight, S, pt, pl, OH, OW),
        direct_conv(x, weight, S, pt, pl, OH, OW),
        rtol=F64_RTOL,
        atol=F64_ATOL,
    )


@pytest.mark.parametrize("geometry", CASES[:8])
def test_col2im_is_adjoint_of_im2col(rng, geometry):
    N, C_in, C_out, H, W, K, S, pt, pl, OH, OW = geometry
    x = rng.standard_normal((N, C_in, H, W))
    dcols = rng.standard_normal((N * OH * OW, C_in * K * K))

    lhs = np.sum(im2col(x, K, S, pt, pl, OH, OW) * dcols)
    rhs = np.sum(x * col2im(dcols, N, C_in, H, W, K, S, pt, pl, OH, OW))

    np.testing.assert_allclose(lhs, rhs, rtol=EXACT_RTOL)


def test_rows_round_trip(rng):
    x = rng.standard_normal((2, 3, 4, 5))

    rows = nchw_to_rows(x)

    np.testing.assert_array_equal(rows, x.transpose(0, 2, 3, 1).reshape(-1, 3))
    np.testing.assert_array_equal(rows_to_nchw(rows, 2, 4, 5), x)


def run_all(x, weight, dout, threads):
    """All three kernels on ``threads`` threads, splitting even small arrays."""
    with kernel_threads(threads, split_small=True):
        out, cols = conv2d_forward(x, weight, 2, 1, 1, 8, 8)
        dx = conv2d_backward_input(dout, weight, 16, 16, 2, 1, 1)
        dW = conv2d_backward_weight(dout, cols, 3)
    return {"forward": out, "backward_input": dx, "backward_weight": dW}


@pytest.mark.parametrize("dtype", DTYPES)
def test_result_agrees_across_thread_counts(rng, dtype):
    x = rng.standard_normal((8, 8, 16, 16)).astype(dtype)
    weight = rng.standard_normal((16, 8, 3, 3)).astype(dtype)
    dout = rng.standard_normal((8, 16, 8, 8)).astype(dtype)

    one = run_all(x, weight, dout, threads=1)
    two = run_all(x, weight, dout, threads=2)

    # the loops split the batch, bitwise (tests/kernels/test_fast_kernels.py);
    # the products split into smaller BLAS calls, which may sum in another
    # order: equal to rounding
    for name in one:
        np.testing.assert_allclose(
            one[name], two[name], err_msg=name, **TOLERANCES[dtype]
        )
