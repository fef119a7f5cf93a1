"""Dropout: gradients with a fixed mask, inverted scaling, eval identity."""

import numpy as np
import pytest

from scratchgan.layers import Dropout
from tests.conftest import assert_gradients_match


class FixedMaskDropout(Dropout):
    """Dropout that reseeds its Generator before every forward, so every call of
    a gradient check draws the same mask."""

    def __init__(self, p, seed):
        super().__init__(p)
        self.seed = seed

    def forward(self, x, training=True):
        self.rng = np.random.default_rng(self.seed)
        return super().forward(x, training)


@pytest.mark.parametrize("p", [0.2, 0.5])
@pytest.mark.parametrize(
    "shape", [(1, 6), (3, 4), (2, 2, 3, 3)], ids=["n1-f6", "n3-f4", "n2-c2-3x3"]
)
def test_gradients_match_central_differences(rng, shape, p):
    layer = FixedMaskDropout(p, seed=7)
    x = rng.standard_normal(shape)

    assert_gradients_match(layer, x, rng)


def test_backward_multiplies_by_the_forward_mask(rng):
    layer = Dropout(0.5, rng=np.random.default_rng(3))
    x = rng.uniform(1.0, 2.0, size=(8, 16))
    dout = rng.standard_normal((8, 16))

    out = layer(x)
    dx = layer.backward(dout)

    mask = out / x
    assert 0 < np.count_nonzero(mask) < mask.size, "the mask must drop some units"
    np.testing.assert_allclose(dx, dout * mask, rtol=1e-15)


def test_kept_units_are_scaled_by_inverse_keep_probability(rng):
    p = 0.3
    layer = Dropout(p, rng=rng)
    x = np.ones((200, 500), np.float32)

    out = layer(x)

    # every unit is either dropped or scaled so that the mean is unchanged
    values = np.unique(out)
    np.testing.assert_allclose(values, [0.0, 1.0 / (1.0 - p)], rtol=1e-6)
    kept = np.mean(out > 0)
    # 1e5 Bernoulli(0.7) draws: std of the mean is 1.4e-3, so 0.01 is 7 sigma
    assert abs(kept - (1 - p)) < 0.01
    assert out.dtype == np.float32


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_eval_and_p0_are_identity(rng, p):
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    layer = Dropout(p, rng=rng)

    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(dout), dout)
    if p == 0:
        np.testing.assert_array_equal(layer(x, training=True), x)


def test_mask_is_reproducible_from_the_generator_seed(rng):
    x = rng.standard_normal((4, 10))

    first = Dropout(0.5, rng=np.random.default_rng(11))(x)
    second = Dropout(0.5, rng=np.random.default_rng(11))(x)
    other = Dropout(0.5, rng=np.random.default_rng(12))(x)

    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_bad_probability_refused(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\)"):
        Dropout(p)
