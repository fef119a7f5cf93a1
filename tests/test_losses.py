"""Losses: values against closed forms, gradients against central differences,
and finiteness at extreme inputs."""

import math

import numpy as np
import pytest

from scratchgan.gradcheck import numerical_grad, rel_error
from scratchgan.losses import (
    GENERATOR_LOSSES,
    PROB_EPS,
    bce,
    bce_with_logits,
    generator_loss_minimax,
    generator_loss_non_saturating,
)
from tests.conftest import EXACT_RTOL, GRAD_RTOL


def py_sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def py_bce(p, t):
    """-[t log p + (1 - t) log(1 - p)] in plain Python floats."""
    return -(t * math.log(p) + (1 - t) * math.log(1 - p))


def mean_of(values):
    return sum(values) / len(values)


SHAPES = [
    pytest.param((1,), id="n1"),
    pytest.param((5,), id="n5"),
    pytest.param((4, 1), id="n4x1"),
]
TARGETS = [pytest.param("hard", id="hard"), pytest.param("soft", id="soft")]


def make_targets(rng, shape, kind):
    if kind == "hard":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    return rng.uniform(0.05, 0.95, size=shape)


def check_loss_gradient(loss_fn, x, *args):
    """rel_error between a loss's analytic gradient and central differences."""
    _, analytic = loss_fn(x, *args)
    numeric = numerical_grad(lambda v: loss_fn(v, *args)[0], x, np.float64(1.0))
    return rel_error(analytic, numeric)


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_with_logits_value_and_gradient(rng, shape, kind):
    z = rng.uniform(-4, 4, size=shape)
    t = make_targets(rng, shape, kind)

    loss, dz = bce_with_logits(z, t)

    zs, ts = z.ravel().tolist(), t.ravel().tolist()
    expected = mean_of([py_bce(py_sigmoid(a), b) for a, b in zip(zs, ts)])
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, expected, rtol=EXACT_RTOL)
    expected_dz = [(py_sigmoid(a) - b) / len(zs) for a, b in zip(zs, ts)]
    np.testing.assert_allclose(dz.ravel(), expected_dz, rtol=EXACT_RTOL)
    assert dz.shape == z.shape
    assert check_loss_gradient(bce_with_logits, z, t) <= GRAD_RTOL


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_value_and_gradient(rng, shape, kind):
    p = rng.uniform(0.05, 0.95, size=shape)
    t = make_targets(rng, shape, kind)

    loss, dp = bce(p, t)

    ps, ts = p.ravel().tolist(), t.ravel().tolist()
    expected = mean_of([py_bce(a, b) for a, b in zip(ps, ts)])
    np.testing.assert_allclose(loss, expected, rtol=EXACT_RTOL)
    expected_dp = [(a - b) / (a * (1 - a) * len(ps)) for a, b in zip(ps, ts)]
    np.testing.assert_allclose(dp.ravel(), expected_dp, rtol=EXACT_RTOL)
    assert check_loss_gradient(bce, p, t) <= GRAD_RTOL


@pytest.mark.parametrize("shape", SHAPES)
def test_non_saturating_generator_loss(rng, shape):
    z = rng.uniform(-4, 4, size=shape)

    loss, dz = generator_loss_non_saturating(z)

    # -mean log D(G(z)), with D = sigmoid of the logit
    zs = z.ravel().tolist()
    expected = mean_of([-math.log(py_sigmoid(a)) for a in zs])
    np.testing.assert_allclose(loss, expected, rtol=EXACT_RTOL)
    expected_dz = [(py_sigmoid(a) - 1) / len(zs) for a in zs]
    np.testing.assert_allclose(dz.ravel(), expected_dz, rtol=EXACT_RTOL)
    assert check_loss_gradient(generator_loss_non_saturating, z) <= GRAD_RTOL


@pytest.mark.parametrize("shape", SHAPES)
def test_minimax_generator_loss(rng, shape):
    z = rng.uniform(-4, 4, size=shape)

    loss, dz = generator_loss_minimax(z)

    # mean log(1 - D(G(z))): negative, and G descends it by pushing D(G(z)) up
    zs = z.ravel().tolist()
    expected = mean_of([math.log(1 - py_sigmoid(a)) for a in zs])
    np.testing.assert_allclose(loss, expected, rtol=EXACT_RTOL)
    expected_dz = [-py_sigmoid(a) / len(zs) for a in zs]
    np.testing.assert_allclose(dz.ravel(), expected_dz, rtol=EXACT_RTOL)
    assert check_loss_gradient(generator_loss_minimax, z) <= GRAD_RTOL


def test_generator_losses_by_name():
    assert GENERATOR_LOSSES["non-saturating"] is generator_loss_non_saturating
    assert GENERATOR_LOSSES["minimax"] is generator_loss_minimax


def test_minimax_gradient_vanishes_where_non_saturating_does_not():
    # D confidently rejects the fakes: logit -10
    z = np.full((4, 1), -10.0)

    _, d_minimax = generator_loss_minimax(z)
    _, d_non_saturating = generator_loss_non_saturating(z)

    assert np.max(np.abs(d_minimax)) < 1e-4 / 4
    assert np.min(np.abs(d_non_saturating)) > 0.99 / 4


def test_bce_with_logits_finite_at_extreme_float32_logits():
    z = np.array([1e4, 1e4, -1e4, -1e4], dtype=np.float32)
    t = np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dz = bce_with_logits(z, t)
        per_sample = [bce_with_logits(z[i : i + 1], t[i : i + 1])[0] for i in range(4)]

    # right and confident costs 0; wrong and confident costs |z|
    assert per_sample == [0.0, 1e4, 1e4, 0.0]
    assert loss == pytest.approx(2e4 / 4)
    assert dz.dtype == np.float32
    np.testing.assert_array_equal(dz, np.array([0.0, 1.0, -1.0, 0.0], np.float32) / 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_finite_at_probabilities_zero_and_one(dtype):
    p = np.array([0.0, 0.0, 1.0, 1.0], dtype=dtype)
    t = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        per_sample = [bce(p[i : i + 1], t[i : i + 1])[0] for i in range(4)]
        _, dp = bce(p, t)

    # the clip caps a confident mistake near -log(PROB_EPS) = 16.1; in float32 the
    # upper bound 1 - PROB_EPS rounds to 1 - 1.19e-7, so that cap is 15.9
    lo, hi = float(dtype(PROB_EPS)), float(dtype(1 - PROB_EPS))
    expected = [-math.log(1 - lo), -math.log(lo), -math.log(1 - hi), -math.log(hi)]
    # atol: a correct confident answer costs -log(1 - PROB_EPS), 1e-7 (1.2e-7 in f32)
    np.testing.assert_allclose(per_sample, expected, rtol=1e-5, atol=1e-6)
    assert min(per_sample[1], per_sample[2]) > 15.9
    assert dp.dtype == dtype
    np.testing.assert_array_equal(dp, np.zeros(4))
