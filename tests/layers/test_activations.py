"""Element-wise activations: gradients away from kinks, closed forms, saturation."""

import numpy as np
import pytest

from scratchgan.layers import LeakyReLU, ReLU, Sigmoid, Tanh
from scratchgan.layers.activations import sigmoid
from tests.conftest import EXACT_RTOL, assert_gradients_match, away_from_kink

LAYERS = [
    pytest.param(lambda: LeakyReLU(), id="LeakyReLU-0.01"),
    pytest.param(lambda: LeakyReLU(0.2), id="LeakyReLU-0.2"),
    pytest.param(ReLU, id="ReLU"),
    pytest.param(Tanh, id="Tanh"),
    pytest.param(Sigmoid, id="Sigmoid"),
]

SHAPES = [
    pytest.param((1, 4), id="n1-f4"),
    pytest.param((3, 5), id="n3-f5"),
    pytest.param((2, 2, 3, 3), id="n2-c2-3x3"),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("make", LAYERS)
def test_gradients_match_central_differences(rng, make, shape):
    x = away_from_kink(rng, shape)

    assert_gradients_match(make(), x, rng)


@pytest.mark.parametrize(
    "layer, expected",
    [
        pytest.param(
            LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), id="LeakyReLU"
        ),
        pytest.param(ReLU(), lambda x: np.maximum(x, 0.0), id="ReLU"),
        pytest.param(Tanh(), np.tanh, id="Tanh"),
        pytest.param(Sigmoid(), lambda x: 1.0 / (1.0 + np.exp(-x)), id="Sigmoid"),
    ],
)
def test_forward_matches_closed_form(rng, layer, expected):
    x = rng.uniform(-5, 5, size=(4, 6))

    np.testing.assert_allclose(layer(x), expected(x), rtol=EXACT_RTOL)
    assert layer.output_shape((6,)) == (6,)


@pytest.mark.parametrize("make", LAYERS)
def test_float32_in_float32_out(rng, make):
    layer = make()
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)

    out = layer(x)
    dx = layer.backward(np.ones_like(out))

    assert out.dtype == np.float32
    assert dx.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_function_is_finite_at_extremes(dtype):
    x = np.array([-1000.0, -30.0, 0.0, 100.0, 1000.0], dtype=dtype)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(x)

    assert s.dtype == dtype
    np.testing.assert_array_equal(s[[0, 2, 3, 4]], np.array([0.0, 0.5, 1.0, 1.0]))
    # far left, sigmoid(x) = exp(x) / (1 + exp(x)) ~ exp(x), not rounded to 0
    np.testing.assert_allclose(s[1], np.exp(-30.0), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_layer_saturates_without_warnings(dtype):
    layer = Sigmoid()
    x = np.array([[-1000.0, 1000.0]], dtype=dtype)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = layer(x)
        dx = layer.backward(np.ones_like(out))

    np.testing.assert_array_equal(out, np.array([[0.0, 1.0]], dtype))
    np.testing.assert_array_equal(dx, np.zeros_like(x))


def test_tanh_saturates_without_warnings():
    layer = Tanh()
    x = np.array([[-1000.0, 1000.0]], dtype=np.float32)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = layer(x)
        dx = layer.backward(np.ones_like(out))

    np.testing.assert_array_equal(out, [[-1.0, 1.0]])
    np.testing.assert_array_equal(dx, [[0.0, 0.0]])


def test_sigmoid_is_symmetric(rng):
    x = rng.uniform(-30, 30, size=100)

    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=1e-15)


def test_leaky_relu_backward_uses_forward_sign(rng):
    layer = LeakyReLU(0.2)
    x = away_from_kink(rng, (3, 4))
    dout = rng.standard_normal((3, 4))

    layer(x)
    dx = layer.backward(dout)

    np.testing.assert_array_equal(dx, np.where(x > 0, dout, 0.2 * dout))
