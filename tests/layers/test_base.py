"""The layer contract of scratchgan.layers.base, for every layer with parameters:
gradients accumulate, zero_grad clears in place, astype casts params and grads."""

import numpy as np
import pytest

from scratchgan.layers import BatchNorm, Conv2D, Conv2DTranspose, Dense


def make_dense(rng):
    return Dense(3, 2, rng=rng), rng.standard_normal((2, 3))


def make_conv(rng):
    return Conv2D(2, 3, 3, padding=1, rng=rng), rng.standard_normal((2, 2, 4, 4))


def make_convt(rng):
    layer = Conv2DTranspose(2, 3, 3, stride=2, rng=rng)
    return layer, rng.standard_normal((2, 2, 3, 3))


def make_batchnorm(rng):
    return BatchNorm(2), rng.standard_normal((3, 2, 2, 2))


MAKERS = [
    pytest.param(make_dense, id="Dense"),
    pytest.param(make_conv, id="Conv2D"),
    pytest.param(make_convt, id="Conv2DTranspose"),
    pytest.param(make_batchnorm, id="BatchNorm"),
]


@pytest.mark.parametrize("make", MAKERS)
def test_backward_adds_into_grads(rng, make):
    layer, x = make(rng)
    layer.astype(np.float64)
    out = layer(x)
    dout = rng.standard_normal(out.shape)

    # one backward
    layer.backward(dout)
    once = {k: g.copy() for k, g in layer.grads.items()}

    # a second one, from the same forward, must add the same amount again
    layer.backward(dout)
    for k, g in layer.grads.items():
        assert np.any(once[k] != 0), f"{k}: gradient is zero, the check is empty"
        np.testing.assert_allclose(g, 2 * once[k], rtol=1e-12, err_msg=k)


@pytest.mark.parametrize("make", MAKERS)
def test_zero_grad_clears_in_place(rng, make):
    layer, x = make(rng)
    before = dict(layer.grads)
    out = layer(x.astype(np.float32))
    layer.backward(np.ones_like(out))

    layer.zero_grad()

    for k, g in layer.grads.items():
        assert g is before[k], f"{k}: zero_grad rebound the array"
        assert not np.any(g), k


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_astype_casts_params_and_grads(rng, make, dtype):
    layer, x = make(rng)

    layer.astype(dtype)
    out = layer(x.astype(dtype))
    dx = layer.backward(np.ones_like(out))

    assert out.dtype == dtype
    assert dx.dtype == dtype
    for k in layer.params:
        assert layer.params[k].dtype == dtype, k
        assert layer.grads[k].dtype == dtype, k
