"""The fused Numba kernels vs their NumPy references in scratchgan.kernels.reference,
in float32 and float64, and the same bits with 1 or 2 threads."""

import numpy as np
import pytest

from scratchgan.kernels import conv, elementwise, reference
from tests.conftest import kernel_threads

# float32: the same sums taken in another order (or in float64 here, in float32
# there); a few units of 6e-8 relative per term, atol for entries that cancel
F32 = {"rtol": 2e-5, "atol": 2e-6}
# float64: as above with eps 1.1e-16
F64 = {"rtol": 1e-11, "atol": 1e-12}
TOL = {np.float32: F32, np.float64: F64}
DTYPES = [pytest.param(np.float32, id="f32"), pytest.param(np.float64, id="f64")]

# (N, C, H, W, K, S, pt, pl, OH, OW): the DCGAN's layers, small, and odd corners
GEOMETRIES = [
    pytest.param((2, 3, 28, 28, 5, 2, 1, 1, 14, 14), id="same-k5s2-28"),
    pytest.param((2, 4, 7, 7, 5, 1, 2, 2, 7, 7), id="same-k5s1-7"),
    pytest.param((3, 2, 14, 14, 5, 2, 1, 1, 7, 7), id="same-k5s2-14"),
    pytest.param((1, 1, 5, 4, 3, 1, 0, 0, 3, 2), id="valid-k3"),
    pytest.param((2, 2, 6, 5, 4, 3, 2, 1, 2, 2), id="k4s3-uneven"),
    pytest.param((1, 3, 3, 3, 1, 1, 0, 0, 3, 3), id="k1"),
]


@pytest.fixture
def rng():
    return np.random.default_rng(20260601)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_im2col_matches_reference_exactly(rng, geometry, dtype):
    N, C, H, W, K, S, pt, pl, OH, OW = geometry
    x = rng.standard_normal((N, C, H, W)).astype(dtype)

    cols = conv.im2col(x, K, S, pt, pl, OH, OW)

    np.testing.assert_array_equal(cols, reference.im2col_ref(x, K, S, pt, pl, OH, OW))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_col2im_is_adjoint_of_im2col(rng, geometry, dtype):
    N, C, H, W, K, S, pt, pl, OH, OW = geometry
    x = rng.standard_normal((N, C, H, W))
    dcols = rng.standard_normal((N * OH * OW, K * K * C))

    lhs = np.sum(conv.im2col(x, K, S, pt, pl, OH, OW) * dcols)
    rhs = np.sum(x * conv.col2im(dcols, N, C, H, W, K, S, pt, pl, OH, OW))

    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv_wrappers_match_reference(rng, geometry, dtype):
    N, C, H, W, K, S, pt, pl, OH, OW = geometry
    C_out = 3
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    weight = rng.standard_normal((C_out, C, K, K)).astype(dtype)
    dout = rng.standard_normal((N, C_out, OH, OW)).astype(dtype)

    out, cols = conv.conv2d_forward(x, weight, S, pt, pl, OH, OW)
    dx = conv.conv2d_backward_input(dout, weight, H, W, S, pt, pl)
    dW = conv.conv2d_backward_weight(dout, cols, K)

    for mine, theirs, name in [
        (out, reference.conv2d_forward_ref(x, weight, S, pt, pl, OH, OW), "out"),
        (dx, reference.conv2d_backward_input_ref(dout, weight, H, W, S, pt, pl), "dx"),
        (dW, reference.conv2d_backward_weight_ref(dout, x, K, S, pt, pl), "dW"),
    ]:
        assert mine.dtype == dtype, name
        np.testing.assert_allclose(mine, theirs, **TOL[dtype], err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rows_to_nchw_adds_bias(rng, dtype):
    rows = rng.standard_normal((2 * 3 * 4, 5)).astype(dtype)
    bias = rng.standard_normal(5).astype(dtype)
    out = np.empty((2, 5, 3, 4), dtype)

    conv.rows_to_nchw_into(rows, bias, out)

    expected = rows.reshape(2, 3, 4, 5).transpose(0, 3, 1, 2) + bias[:, None, None]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("M", [1, 7, 25088])
def test_sum_rows_matches_float64_sum(rng, dtype, M):
    rows = rng.standard_normal((M, 64)).astype(dtype)

    total = elementwise.sum_rows(rows)

    assert total.shape == (64,) and total.dtype == dtype
    expected = rows.astype(np.float64).sum(axis=0)
    # a float32 sum of 25,088 unit terms is off by about 1e-3 (NumPy's own
    # rows.sum(axis=0) by 2e-3 on these rows)
    atol = 4e-3 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(total, expected, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_leaky_relu_matches_reference(rng, dtype):
    x = rng.standard_normal(1000).astype(dtype)
    dout = rng.standard_normal(1000).astype(dtype)
    slope = dtype(0.3)

    out = elementwise.leaky_relu_forward(x, slope, np.empty_like(x))
    dx = elementwise.leaky_relu_backward(dout, x, slope, np.empty_like(x))

    # the same single multiply per value: bitwise
    np.testing.assert_array_equal(out, reference.leaky_relu_forward_ref(x, slope))
    np.testing.assert_array_equal(dx, reference.leaky_relu_backward_ref(dout, x, slope))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_matches_reference(dtype):
    x = np.random.default_rng(5).standard_normal(70000).astype(dtype)
    seed, p, scale = 2**63 + 12345, 0.3, dtype(1 / 0.7)
    out_ref, mask_ref = reference.dropout_forward_ref(x, seed, p, scale)

    # two threads, each drawing its own slice of the one stream; applied to
    # ones, the same call gives the mask itself
    with kernel_threads(2, split_small=True):
        out = elementwise.dropout_apply(x, seed, p, scale, np.empty_like(x))
        mask = elementwise.dropout_apply(np.ones_like(x), seed, p, scale, x.copy())

    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(mask, mask_ref)
    assert abs(np.mean(mask > 0) - 0.7) < 0.01


def test_splitmix64_reference_matches_published_outputs():
    # the first outputs of splitmix64 seeded with 1234567, as printed by the
    # authors' C reference implementation (and Java's SplittableRandom)
    got = reference.splitmix64_ref(1234567, 3)
    expected = [6457827717110365317, 3203168211198807973, 9817491932198370423]
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.uint64))


BN_SHAPES = [
    pytest.param((8, 3, 20), id="images"),
    pytest.param((16, 300, 1), id="features"),
    pytest.param((2, 1, 1), id="tiny"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm_matches_reference(rng, shape, dtype, training):
    C = shape[1]
    x = rng.normal(0.5, 2.0, size=shape).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    gamma = rng.uniform(0.5, 1.5, C).astype(dtype)
    beta = rng.standard_normal(C).astype(dtype)
    per_block = elementwise.channel_blocks(C, shape[2])

    # statistics
    mean, var = elementwise.batchnorm_stats(x, per_block)
    mean_ref, var_ref = reference.batchnorm_stats_ref(x)
    np.testing.assert_allclose(mean, mean_ref, **F64, err_msg="mean")
    np.testing.assert_allclose(var, var_ref, **TOL[dtype], err_msg="var")

    # normalise
    mean = mean.astype(dtype)
    inv_std = (1 / np.sqrt(var + 1e-3)).astype(dtype)
    out = elementwise.batchnorm_apply(
        x, mean, inv_std, gamma, beta, per_block, np.empty_like(x)
    )
    expected = reference.batchnorm_apply_ref(x, mean, inv_std, gamma, beta)
    np.testing.assert_allclose(out, expected, **TOL[dtype], err_msg="apply")

    # backward
    dx = np.empty_like(x)
    dgamma, dbeta = elementwise.batchnorm_backward(
        dout, x, mean, inv_std, gamma, training, per_block, dx
    )
    dx_ref, dgamma_ref, dbeta_ref = reference.batchnorm_backward_ref(
        dout, x, mean, inv_std, gamma, training
    )
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, dx_ref, **TOL[dtype], err_msg="dx")
    np.testing.assert_allclose(dgamma, dgamma_ref, **TOL[dtype], err_msg="dgamma")
    np.testing.assert_allclose(dbeta, dbeta_ref, **TOL[dtype], err_msg="dbeta")


# results of run_everything that go through a matrix product
PRODUCTS = ("out", "dx", "dW")


def run_everything(threads, arrays):
    """Every kernel once on ``threads`` threads, splitting even small arrays."""
    x, weight, dout, h, dh = arrays
    with kernel_threads(threads, split_small=True):
        out, cols = conv.conv2d_forward(x, weight, 2, 1, 1, 8, 8)
        dx = conv.conv2d_backward_input(dout, weight, 16, 16, 2, 1, 1)
        dW = conv.conv2d_backward_weight(dout, cols, 5)
        slope = x.dtype.type(0.3)
        flat, dflat = h.reshape(-1), dh.reshape(-1)
        lrelu = elementwise.leaky_relu_forward(flat, slope, np.empty_like(flat))
        dlrelu = elementwise.leaky_relu_backward(dflat, flat, slope, dflat.copy())
        cols = conv.im2col(x, 5, 2, 1, 1, 8, 8)
        col2im = conv.col2im(cols, *x.shape, 5, 2, 1, 1, 8, 8)
        mean, var = elementwise.batchnorm_stats(h, 4)
        c = np.ones(h.shape[1], h.dtype)
        bn = elementwise.batchnorm_apply(h, c, c, c, c, 4, np.empty_like(h))
        dbn = np.empty_like(h)
        sums = elementwise.batchnorm_backward(dh, h, c, c, c, True, 4, dbn)
    return {
        "out": out,
        "dx": dx,
        "dW": dW,
        "im2col": cols,
        "col2im": col2im,
        "lrelu": lrelu,
        "dlrelu": dlrelu,
        "mean": mean,
        "var": var,
        "bn": bn,
        "dbn": dbn,
        "dgamma": sums[0],
        "dbeta": sums[1],
    }


@pytest.mark.parametrize("dtype", DTYPES)
def test_results_do_not_depend_on_thread_count(rng, dtype):
    arrays = (
        rng.standard_normal((8, 8, 16, 16)).astype(dtype),
        rng.standard_normal((16, 8, 5, 5)).astype(dtype),
        rng.standard_normal((8, 16, 8, 8)).astype(dtype),
        rng.standard_normal((16, 64, 9)).astype(dtype),
        rng.standard_normal((16, 64, 9)).astype(dtype),
    )

    one = run_everything(1, arrays)
    two = run_everything(2, arrays)

    # loops split only independent images, values or channels: bitwise equal.
    # Products split into smaller BLAS calls, and BLAS may sum a small product
    # in another order than a large one: equal to rounding, which for sums of
    # hundreds of terms that cancel scales with the largest entry
    for name in one:
        if name in PRODUCTS:
            rtol = TOL[dtype]["rtol"]
            atol = rtol * np.abs(two[name]).max()
            np.testing.assert_allclose(one[name], two[name], rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(one[name], two[name], err_msg=name)
