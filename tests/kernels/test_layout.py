"""Memory orders of (N, C, H, W) arrays: detecting them, copying between them,
and layers giving the same numbers whatever order their input is stored in."""

import numpy as np
import pytest

from scratchgan.kernels import elementwise, layout, reference
from scratchgan.layers import BatchNorm, Dropout, LeakyReLU
from tests.conftest import kernel_threads


def channels_last(x):
    """x's values in a fresh array stored (N, H, W, C)."""
    out = layout.nhwc_empty(*x.shape, x.dtype)
    out[...] = x
    return out


def test_dense_flat_follows_memory_order(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    cl = channels_last(x)

    np.testing.assert_array_equal(layout.dense_flat(x), x.reshape(-1))
    np.testing.assert_array_equal(
        layout.dense_flat(cl), x.transpose(0, 2, 3, 1).reshape(-1)
    )
    assert layout.dense_flat(x[:, :, ::2]) is None  # gaps: not dense


def test_channel_rows_only_for_channels_last(rng):
    x = rng.standard_normal((2, 3, 4, 5))

    rows = layout.channel_rows(channels_last(x))

    np.testing.assert_array_equal(rows, x.transpose(0, 2, 3, 1).reshape(-1, 3))
    assert layout.channel_rows(x) is None


@pytest.mark.parametrize("threads", [1, 2])
def test_copies_between_orders_keep_every_value(rng, threads):
    x = rng.standard_normal((5, 3, 4, 6)).astype(np.float32)

    with kernel_threads(threads, split_small=True):
        to_last = layout.like(x, layout.nhwc_empty(*x.shape, x.dtype))
        back = layout.contiguous(to_last)

    assert layout.channel_rows(to_last) is not None
    assert back.flags.c_contiguous
    np.testing.assert_array_equal(to_last, x)
    np.testing.assert_array_equal(back, x)


def test_like_returns_the_array_itself_when_already_stored_so(rng):
    x = channels_last(rng.standard_normal((2, 3, 4, 5)))

    assert layout.like(x, np.empty_like(x)) is x


@pytest.mark.parametrize("Layer", [BatchNorm, LeakyReLU, Dropout])
def test_layers_agree_on_either_memory_order(rng, Layer):
    layer = {
        BatchNorm: lambda: BatchNorm(6),
        LeakyReLU: lambda: LeakyReLU(0.2),
        Dropout: lambda: Dropout(0.4, rng=np.random.default_rng(3)),
    }[Layer]()
    x = rng.standard_normal((4, 6, 5, 5)).astype(np.float32)
    dout = rng.standard_normal(x.shape).astype(np.float32)

    results = []
    for stored in (x, channels_last(x)):
        if Layer is Dropout:
            layer.rng = np.random.default_rng(3)  # the same seed both times
        out = layer.forward(stored)
        dx = layer.backward(dout)
        results.append((out, dx))

    # dropout draws unit i of memory order, so its mask differs between the
    # two orders; every other layer computes the same numbers
    (out_a, dx_a), (out_b, dx_b) = results
    if Layer is Dropout:
        np.testing.assert_array_equal(dx_a != 0, out_a != 0)
        np.testing.assert_array_equal(dx_b != 0, out_b != 0)
        assert layout.channel_rows(out_b) is not None
        return
    np.testing.assert_allclose(out_a, out_b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx_a, dx_b, rtol=1e-5, atol=1e-6)
    assert layout.channel_rows(out_b) is not None


def test_batchnorm_rows_match_reference_and_thread_counts(rng):
    # more rows than one chunk (ROWS), so the chunked sums are exercised
    M, C = 3 * elementwise.ROWS + 17, 24
    x = rng.normal(0.5, 2.0, size=(M, C, 1)).astype(np.float32)
    dout = rng.standard_normal((M, C, 1)).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, C).astype(np.float32)

    def run():
        mean, var = elementwise.batchnorm_stats(x, 16)
        inv_std = (1 / np.sqrt(var + 1e-3)).astype(np.float32)
        mean32 = mean.astype(np.float32)
        dx = np.empty_like(x)
        sums = elementwise.batchnorm_backward(
            dout, x, mean32, inv_std, gamma, True, 16, dx
        )
        return mean, var, dx, sums[0], sums[1], mean32, inv_std

    with kernel_threads(1):
        one = run()
    with kernel_threads(2, split_small=True):
        two = run()

    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    mean_ref, var_ref = reference.batchnorm_stats_ref(x)
    np.testing.assert_allclose(one[0], mean_ref, rtol=1e-10)
    np.testing.assert_allclose(one[1], var_ref, rtol=1e-5)
    dx_ref, dgamma_ref, dbeta_ref = reference.batchnorm_backward_ref(
        dout, x, one[5], one[6], gamma, True
    )
    np.testing.assert_allclose(one[2], dx_ref, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(one[3], dgamma_ref, rtol=2e-5, atol=1e-4)
    np.testing.assert_allclose(one[4], dbeta_ref, rtol=2e-5, atol=1e-4)
