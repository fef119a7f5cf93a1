"""Weight initialisers: shapes, dtype, bounds and moments, determinism."""

import math

import numpy as np
import pytest

from scratchgan import init
from scratchgan.layers import (
    BatchNorm,
    Conv2D,
    Conv2DTranspose,
    Dense,
    LeakyReLU,
    Sequential,
)


@pytest.mark.parametrize(
    "shape, fan_in, fan_out",
    [((3, 5), 5, 3), ((4, 2, 3, 3), 18, 36), ((2, 4, 5, 5), 100, 50)],
    ids=["dense", "conv", "conv-transpose"],
)
def test_fans(shape, fan_in, fan_out):
    assert init.fans(shape) == (fan_in, fan_out)


@pytest.mark.parametrize(
    "shape", [(300, 200), (64, 32, 5, 5)], ids=["dense-300x200", "conv-64x32x5x5"]
)
def test_glorot_uniform_bound_and_moments(rng, shape):
    fan_in, fan_out = init.fans(shape)
    bound = math.sqrt(6.0 / (fan_in + fan_out))

    w = init.glorot_uniform(shape, rng)

    assert w.shape == shape
    assert w.dtype == np.float32
    assert np.max(np.abs(w)) <= bound
    # with >= 5e4 draws the extremes come within 1% of the bound
    assert np.max(w) > 0.99 * bound and np.min(w) < -0.99 * bound
    # U(-a, a) has variance a**2 / 3; 5 standard errors of the sample moments
    n = w.size
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * n)
    assert abs(w.var() / (bound**2 / 3) - 1) < 5 * math.sqrt(0.8 / n)


@pytest.mark.parametrize("mean", [0.0, 1.0], ids=["weights", "gamma"])
def test_dcgan_normal_moments(rng, mean):
    w = init.dcgan_normal((200, 500), rng, mean=mean)

    assert w.dtype == np.float32
    assert w.shape == (200, 500)
    # 1e5 draws: standard errors 0.02 / 316 for the mean, about 0.2% for the std
    assert abs(w.mean() - mean) < 5 * 0.02 / math.sqrt(w.size)
    assert abs(w.std() / 0.02 - 1) < 0.01


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: init.glorot_uniform((4, 3), rng),
        lambda rng: init.dcgan_normal((4, 3), rng),
        lambda rng: Conv2D(2, 3, 3, rng=rng).params["W"],
        lambda rng: Conv2DTranspose(2, 3, 3, rng=rng).params["W"],
        lambda rng: Dense(3, 2, rng=rng).params["W"],
    ],
    ids=["glorot", "dcgan", "Conv2D", "Conv2DTranspose", "Dense"],
)
def test_deterministic_given_a_seed(make):
    first = make(np.random.default_rng(5))
    again = make(np.random.default_rng(5))
    other = make(np.random.default_rng(6))

    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_default_rng_is_seeded_when_none():
    a = init.default_rng(None).standard_normal(3)
    b = init.default_rng(None).standard_normal(3)
    given = np.random.default_rng(3)

    np.testing.assert_array_equal(a, b)
    assert init.default_rng(given) is given


def small_model(rng):
    return Sequential(
        [
            Dense(40, 50, rng=rng),
            BatchNorm(50),
            LeakyReLU(0.2),
            Conv2DTranspose(2, 3, 3, rng=rng),
        ]
    )


def test_apply_init_dcgan(rng):
    model = small_model(rng)
    arrays = dict(model.params)
    for p in model.params.values():
        p[...] = 7.0

    init.apply_init(model, "dcgan", rng)

    for name, p in model.params.items():
        assert p is arrays[name], f"{name}: re-bound instead of filled in place"
    W = model.params["dense1.W"]
    assert abs(W.std() / 0.02 - 1) < 0.1  # 2000 draws: std error ~1.6%
    gamma = model.params["bn1.gamma"]
    assert abs(gamma.mean() - 1) < 0.02 and 0.005 < gamma.std() < 0.04
    for name in ("dense1.b", "bn1.beta", "convt1.b"):
        np.testing.assert_array_equal(model.params[name], 0.0, err_msg=name)


def test_apply_init_glorot(rng):
    model = small_model(rng)
    for p in model.params.values():
        p[...] = 7.0

    init.apply_init(model, "glorot", rng)

    bound = math.sqrt(6.0 / (40 + 50))
    W = model.params["dense1.W"]
    assert np.max(np.abs(W)) <= bound and np.max(np.abs(W)) > 0.9 * bound
    np.testing.assert_array_equal(model.params["bn1.gamma"], 1.0)
    np.testing.assert_array_equal(model.params["bn1.beta"], 0.0)


def test_apply_init_unknown_scheme_refused(rng):
    with pytest.raises(ValueError, match="unknown init scheme 'he'"):
        init.apply_init(small_model(rng), "he", rng)
