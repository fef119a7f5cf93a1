"""The tap kernels (one product per kernel tap, padding skipped) vs the NumPy
references, the phase layout, and the same bits on 1 or 2 threads."""

import numpy as np
import pytest

from scratchgan.kernels import reference, taps
from scratchgan.kernels.conv import weight_from_matrix, weight_matrix
from scratchgan.layers import Conv2D, Conv2DTranspose
from tests.conftest import F32_ATOL, F32_RTOL, F64_ATOL, F64_RTOL, kernel_threads

TOL = {
    np.float32: {"rtol": F32_RTOL, "atol": F32_ATOL},
    np.float64: {"rtol": F64_RTOL, "atol": F64_ATOL},
}
DTYPES = [pytest.param(np.float32, id="f32"), pytest.param(np.float64, id="f64")]

# (N, C, C_out, H, W, K, S, pt, pl, OH, OW): the DCGAN's wide layers, small, and
# strides that do not divide the input, uneven padding, taps that reach nothing
GEOMETRIES = [
    pytest.param((2, 3, 4, 7, 7, 5, 1, 2, 2, 7, 7), id="k5s1-same-7"),
    pytest.param((2, 3, 4, 14, 14, 5, 2, 1, 1, 7, 7), id="k5s2-same-14"),
    pytest.param((3, 2, 5, 13, 11, 5, 2, 1, 2, 7, 6), id="k5s2-odd"),
    pytest.param((1, 2, 2, 9, 8, 4, 3, 2, 1, 3, 3), id="k4s3"),
    pytest.param((2, 2, 3, 5, 4, 3, 1, 0, 0, 3, 2), id="valid"),
    pytest.param((1, 2, 2, 3, 3, 5, 1, 4, 4, 3, 3), id="taps-outside"),
]


def run_taps(x, weight, dout, S, pt, pl):
    """Forward, input gradient and weight gradient through the tap kernels, in
    and out of NCHW. Every buffer starts as NaN: a cell left unwritten shows."""
    N, C, H, W = x.shape
    C_out, _, K, _ = weight.shape
    OH, OW = dout.shape[2:]
    dtype = x.dtype
    shape = (N, C, C_out, H, W, OH, OW, K, S, pt, pl)

    xs = np.full(taps.phases_size(N, C, H, W, S), np.nan, dtype)
    taps.to_phases(x, S, xs)
    Wt = weight_matrix(weight).reshape(-1)
    ys = np.full(OH * OW * N * C_out, np.nan, dtype)
    taps.forward(xs, Wt, ys, *shape)
    out = taps.from_phases(ys, 1, np.zeros(C_out, dtype), np.empty(dout.shape, dtype))

    dys = np.full(dout.size, np.nan, dtype)
    taps.to_phases(dout, 1, dys)
    dxs = np.full(xs.size, np.nan, dtype)
    taps.backward_input(dys, Wt, dxs, *shape)
    dx = taps.from_phases(dxs, S, np.zeros(C, dtype), np.empty_like(x))

    dWt = np.full(Wt.size, np.nan, dtype)
    taps.backward_weight(xs, dys, dWt, *shape)
    dW = weight_from_matrix(dWt.reshape(-1, C_out), C, K)
    return {"forward": out, "dx": dx, "dW": np.ascontiguousarray(dW)}


def arrays(rng, geometry, dtype):
    N, C, C_out, H, W, K, S, pt, pl, OH, OW = geometry
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    weight = rng.standard_normal((C_out, C, K, K)).astype(dtype)
    dout = rng.standard_normal((N, C_out, OH, OW)).astype(dtype)
    return x, weight, dout


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_tap_kernels_match_reference(rng, geometry, dtype):
    N, C, C_out, H, W, K, S, pt, pl, OH, OW = geometry
    x, weight, dout = arrays(rng, geometry, dtype)

    got = run_taps(x, weight, dout, S, pt, pl)

    expected = {
        "forward": reference.conv2d_forward_ref(x, weight, S, pt, pl, OH, OW),
        "dx": reference.conv2d_backward_input_ref(dout, weight, H, W, S, pt, pl),
        "dW": reference.conv2d_backward_weight_ref(dout, x, K, S, pt, pl),
    }
    # sums of up to N*OH*OW products, taken in another order: rounding grows
    # with the largest entry where terms cancel
    for name, value in expected.items():
        rtol = TOL[dtype]["rtol"]
        atol = max(TOL[dtype]["atol"], rtol * np.abs(value).max())
        np.testing.assert_allclose(got[name], value, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("geometry", GEOMETRIES[:3])
def test_tap_kernels_give_the_same_bits_on_any_thread_count(rng, geometry):
    x, weight, dout = arrays(rng, geometry, np.float32)
    S, pt, pl = geometry[6:9]

    with kernel_threads(1):
        one = run_taps(x, weight, dout, S, pt, pl)
    with kernel_threads(2, split_small=True):
        two = run_taps(x, weight, dout, S, pt, pl)

    # each output row (or tap) is one thread's, computed by the same calls
    for name in one:
        np.testing.assert_array_equal(one[name], two[name], err_msg=name)


@pytest.mark.parametrize("S", [1, 2, 3])
def test_phases_round_trip(rng, S):
    x = rng.standard_normal((3, 4, 7, 5)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    xs = np.zeros(taps.phases_size(3, 4, 7, 5, S), np.float32)

    taps.to_phases(x, S, xs)
    back = taps.from_phases(xs, S, bias, np.empty_like(x))

    np.testing.assert_array_equal(back, x + bias[:, None, None])
    # phase (p, q) holds x[:, :, S*i + p, S*j + q] at (i, j), channels last
    Hp, Wp = -(-7 // S), -(-5 // S)
    view = xs.reshape(S, S, Hp, Wp, 3, 4)
    np.testing.assert_array_equal(view[S - 1, 0, 1, 0], x[:, :, S + S - 1, 0])


def test_balance_evens_out_the_costs():
    parts = taps.balance(np.array([5, 1, 4, 4, 3, 3, 5]), 2)

    costs = [int(np.array([5, 1, 4, 4, 3, 3, 5])[p].sum()) for p in parts]
    assert sorted(np.concatenate(parts).tolist()) == list(range(7))
    assert abs(costs[0] - costs[1]) <= 1


@pytest.mark.parametrize("Layer", [Conv2D, Conv2DTranspose])
def test_wide_layers_use_taps_and_thin_ones_im2col(Layer):
    assert Layer(64, 128, 5).method == "taps"
    assert Layer(1, 64, 5).method == "im2col"
    assert Layer(64, 1, 5).method == "im2col"


@pytest.mark.parametrize("Layer", [Conv2D, Conv2DTranspose])
def test_both_methods_compute_the_same_layer(rng, Layer):
    layer = Layer(8, 12, 5, stride=2, padding="same", rng=rng).astype(np.float64)
    x = rng.standard_normal((3, 8, 7, 7))

    results = {}
    for method in ("im2col", "taps"):
        layer.method = method
        layer.zero_grad()
        out = layer.forward(x)
        dx = layer.backward(np.cos(out))
        results[method] = (out, dx, layer.grads["W"].copy(), layer.grads["b"].copy())

    for a, b in zip(results["im2col"], results["taps"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
