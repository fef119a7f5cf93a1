"""softmax_cross_entropy: value against the plain-Python formula, gradient against
central differences, finiteness at huge logits."""

import math

import numpy as np
import pytest

from scratchgan.gradcheck import numerical_grad, rel_error
from scratchgan.losses import softmax_cross_entropy
from tests.conftest import EXACT_RTOL, GRAD_RTOL


def py_cross_entropy(row, label):
    """-log softmax(row)[label] in plain Python floats."""
    total = sum(math.exp(v) for v in row)
    return -(row[label] - math.log(total))


@pytest.mark.parametrize("n, c", [(1, 2), (5, 10), (3, 4)])
def test_value_and_gradient(rng, n, c):
    # scale 1 keeps every softmax entry well above the rounding floor of the
    # difference quotient (about 1e-11), which rel_error would otherwise magnify
    z = rng.normal(0, 1, size=(n, c))
    y = rng.integers(0, c, size=n)

    loss, dz = softmax_cross_entropy(z, y)

    expected = sum(py_cross_entropy(z[i].tolist(), y[i]) for i in range(n)) / n
    np.testing.assert_allclose(loss, expected, rtol=EXACT_RTOL)
    numeric = numerical_grad(
        lambda v: softmax_cross_entropy(v, y)[0], z, np.float64(1.0)
    )
    assert rel_error(dz, numeric) <= GRAD_RTOL
    # each row of the gradient sums to zero: softmax sums to 1, the one-hot too
    np.testing.assert_allclose(dz.sum(axis=1), 0, atol=1e-15)


def test_finite_at_huge_float32_logits():
    z = np.array([[1e30, -1e30, 0.0], [0.0, 0.0, 3e38]], dtype=np.float32)
    loss, dz = softmax_cross_entropy(z, np.array([1, 2]))
    # row 0 puts all mass on class 0 but the label is 1: loss 2e30 / 2
    assert np.isfinite(loss) and np.isfinite(dz).all() and dz.dtype == np.float32
    np.testing.assert_allclose(loss, 1e30, rtol=1e-6)


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="labels"):
        softmax_cross_entropy(np.zeros((3, 10)), np.zeros(4, dtype=int))
