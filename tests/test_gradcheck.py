"""The gradient checker, checked on functions with known derivatives and on
deliberately broken layers it must catch."""

import numpy as np
import pytest

from scratchgan.gradcheck import check_layer, numerical_grad, rel_error
from scratchgan.layers import Dense, Layer
from tests.conftest import BROKEN_GRAD_MIN, GRAD_RTOL


def test_rel_error_values():
    assert rel_error(1.0, 1.1) == pytest.approx(0.1 / 2.1)
    assert rel_error([0.0, 2.0], [0.0, 2.0]) == 0.0
    # below the floor the denominator is 1e-8, not the tiny values themselves
    assert rel_error(1e-12, 3e-12) == pytest.approx(2e-12 / 1e-8)
    # the worst element counts
    assert rel_error([1.0, 1.0], [1.0, 3.0]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "f, derivative",
    [
        pytest.param(lambda x: x**2, lambda x: 2 * x, id="square"),
        pytest.param(np.sin, np.cos, id="sin"),
        pytest.param(np.exp, np.exp, id="exp"),
        pytest.param(lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2, id="cubic"),
    ],
)
def test_numerical_grad_of_elementwise_functions(rng, f, derivative):
    x = rng.uniform(-2, 2, size=(3, 4))
    dout = rng.standard_normal((3, 4))

    numeric = numerical_grad(f, x, dout)

    assert rel_error(numeric, derivative(x) * dout) <= GRAD_RTOL


def test_numerical_grad_of_matmul_and_sum(rng):
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal((3, 2))
    dout = rng.standard_normal((4, 2))

    # d sum((A @ x) * dout) / dx = A.T @ dout
    assert rel_error(numerical_grad(lambda v: A @ v, x, dout), A.T @ dout) <= GRAD_RTOL
    # d sum(x) / dx = 1, with a scalar upstream gradient
    ones = numerical_grad(lambda v: np.sum(v), x, np.float64(1.0))
    assert rel_error(ones, np.ones_like(x)) <= GRAD_RTOL


def test_numerical_grad_restores_its_input(rng):
    x = rng.standard_normal((2, 3))
    before = x.copy()

    numerical_grad(np.tanh, x, rng.standard_normal((2, 3)))

    np.testing.assert_array_equal(x, before)


class HalfInputGradDense(Dense):
    """Dense whose backward returns half the true dx."""

    def backward(self, dout):
        return 0.5 * super().backward(dout)


class DoubledWeightGradDense(Dense):
    """Dense that adds twice dW."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["W"] += dout.T @ self.cache
        return dx


@pytest.mark.parametrize(
    "layer_cls, broken",
    [(HalfInputGradDense, "x"), (DoubledWeightGradDense, "W")],
    ids=["half-dx", "double-dW"],
)
def test_broken_backward_is_caught(rng, layer_cls, broken):
    layer = layer_cls(3, 2, rng=rng).astype(np.float64)

    errors = check_layer(layer, rng.standard_normal((4, 3)), rng=rng)

    assert errors[broken] > BROKEN_GRAD_MIN
    # the other gradients are still right, so the checker pins down the culprit
    for name, error in errors.items():
        if name != broken:
            assert error <= GRAD_RTOL, name


class Center(Layer):
    """out = x - mean(x) per column: with a dout of ones the true dx is zero."""

    def __init__(self, broken):
        super().__init__()
        self.broken = broken

    def forward(self, x, training=True):
        return x - x.mean(axis=0)

    def backward(self, dout):
        if self.broken:
            return np.zeros_like(dout)
        return dout - dout.mean(axis=0)


def test_random_upstream_gradient_catches_a_zero_backward(rng):
    x = rng.standard_normal((4, 3))

    # with dout = 1 the broken backward would look right: the true dx is 0
    ones = np.ones((4, 3))
    true_dx_for_ones = numerical_grad(lambda v: Center(False)(v), x, ones)
    np.testing.assert_allclose(true_dx_for_ones, 0.0, atol=1e-9)

    # check_layer draws a random dout, so the zero backward is caught
    assert check_layer(Center(broken=True), x, rng=rng)["x"] > BROKEN_GRAD_MIN
    assert check_layer(Center(broken=False), x, rng=rng)["x"] <= GRAD_RTOL
