"""Flatten and Reshape: values kept in order, backward restores the shape."""

import numpy as np
import pytest

from scratchgan.layers import Flatten, Reshape
from tests.conftest import assert_gradients_match


@pytest.mark.parametrize(
    "shape", [(1, 2, 3, 3), (2, 3, 1, 5), (3, 4)], ids=["n1-2x3x3", "n2-3x1x5", "n3-4"]
)
def test_flatten_round_trip(rng, shape):
    layer = Flatten()
    x = rng.standard_normal(shape)

    out = layer(x)
    dx = layer.backward(out * 2)

    assert out.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(out, x.reshape(shape[0], -1))
    np.testing.assert_array_equal(dx, 2 * x)
    assert layer.output_shape(shape[1:]) == out.shape[1:]


@pytest.mark.parametrize(
    "N, target",
    [(1, (3, 2, 2)), (2, (12,)), (3, (2, 6))],
    ids=["n1-3x2x2", "n2-12", "n3-2x6"],
)
def test_reshape_round_trip(rng, N, target):
    layer = Reshape(target)
    x = rng.standard_normal((N, 12))

    out = layer(x)
    dx = layer.backward(out * 3)

    assert out.shape == (N, *target)
    np.testing.assert_array_equal(out.reshape(N, -1), x)
    np.testing.assert_array_equal(dx, 3 * x)
    assert layer.output_shape((12,)) == target


@pytest.mark.parametrize(
    "make, shape",
    [(Flatten, (2, 2, 3, 3)), (lambda: Reshape((2, 3, 2)), (2, 12))],
    ids=["Flatten", "Reshape"],
)
def test_gradients_match_central_differences(rng, make, shape):
    assert_gradients_match(make(), rng.standard_normal(shape), rng)


def test_reshape_wrong_size_names_layer_and_both_shapes():
    layer = Reshape((4, 7, 7))
    with pytest.raises(
        ValueError, match=r"Reshape\(\(4, 7, 7\)\).*\(2, 100\).*\(N, 4, 7, 7\)"
    ):
        layer(np.zeros((2, 100), np.float32))
    with pytest.raises(
        ValueError, match=r"Reshape\(\(4, 7, 7\)\).*\(100,\).*\(4, 7, 7\)"
    ):
        layer.output_shape((100,))
