"""BatchNorm: gradients in training and eval, running statistics, errors."""

import numpy as np
import pytest

from scratchgan.layers import BatchNorm
from tests.conftest import EXACT_RTOL, assert_gradients_match, randomize_params

SHAPES = [
    pytest.param((4, 3), id="2d-n4-f3"),
    # N=2 is avoided in 2-D: both x_hat are then +-1 whatever x is, so the true dx
    # is ~eps-sized and the check would compare rounding noise
    pytest.param((3, 1), id="2d-n3-f1"),
    pytest.param((2, 2, 3, 3), id="4d-n2-c2-3x3"),
    pytest.param((1, 3, 3, 2), id="4d-n1-c3-3x2"),
]


def make_layer(rng, num_features):
    """A float64 BatchNorm with gamma != 1, beta != 0 and non-trivial running stats."""
    layer = BatchNorm(num_features).astype(np.float64)
    randomize_params(layer, rng)
    layer.running_mean[...] = rng.standard_normal(num_features)
    layer.running_var[...] = rng.uniform(0.5, 2.0, num_features)
    return layer


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gradients_match_central_differences(rng, shape, training):
    layer = make_layer(rng, shape[1])
    x = rng.normal(0.5, 2.0, size=shape)

    assert_gradients_match(layer, x, rng, training=training)


@pytest.mark.parametrize("shape", SHAPES)
def test_training_output_has_batch_statistics_gamma_beta(rng, shape):
    layer = make_layer(rng, shape[1])
    x = rng.normal(3.0, 2.0, size=shape)
    axes = (0,) if len(shape) == 2 else (0, 2, 3)

    out = layer(x)

    # per feature, the output mean is beta and its (biased) std is gamma
    var = x.var(axis=axes)
    scale = np.sqrt(var / (var + layer.eps))
    np.testing.assert_allclose(out.mean(axis=axes), layer.params["beta"], atol=1e-12)
    np.testing.assert_allclose(
        out.std(axis=axes), np.abs(layer.params["gamma"]) * scale, rtol=1e-10
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_eval_uses_running_statistics(rng, shape):
    layer = make_layer(rng, shape[1])
    x = rng.standard_normal(shape)
    view = (1, -1) if len(shape) == 2 else (1, -1, 1, 1)
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()
    gamma, beta = layer.params["gamma"], layer.params["beta"]

    out = layer(x, training=False)

    x_hat = (x - rm.reshape(view)) / np.sqrt(rv.reshape(view) + layer.eps)
    expected = gamma.reshape(view) * x_hat + beta.reshape(view)
    np.testing.assert_allclose(out, expected, rtol=EXACT_RTOL)
    np.testing.assert_array_equal(layer.running_mean, rm)
    np.testing.assert_array_equal(layer.running_var, rv)


@pytest.mark.parametrize("shape", SHAPES)
def test_running_statistics_follow_pytorch_momentum(rng, shape):
    layer = BatchNorm(shape[1], momentum=0.25).astype(np.float64)
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    x1 = rng.normal(1.0, 2.0, size=shape)
    x2 = rng.normal(-1.0, 0.5, size=shape)

    layer(x1)
    layer(x2)

    # running = 0.75 * running + 0.25 * batch, from (0, 1), unbiased variance
    mean, var = np.zeros(shape[1]), np.ones(shape[1])
    for x in (x1, x2):
        mean = 0.75 * mean + 0.25 * x.mean(axis=axes)
        var = 0.75 * var + 0.25 * x.var(axis=axes, ddof=1)
    np.testing.assert_allclose(layer.running_mean, mean, rtol=EXACT_RTOL)
    np.testing.assert_allclose(layer.running_var, var, rtol=EXACT_RTOL)


def test_float32_stays_float32(rng):
    layer = BatchNorm(2)
    x = rng.standard_normal((3, 2, 2, 2)).astype(np.float32)

    out = layer(x)
    dx = layer.backward(np.ones_like(out))

    for name, array in [("out", out), ("dx", dx), ("running_var", layer.running_var)]:
        assert array.dtype == np.float32, name


def test_state_round_trip(rng):
    source = make_layer(rng, 3)
    target = BatchNorm(3).astype(np.float64)
    x = rng.standard_normal((4, 3))

    target.load_state({k: v.copy() for k, v in source.state().items()})

    np.testing.assert_array_equal(target.running_mean, source.running_mean)
    np.testing.assert_array_equal(target.running_var, source.running_var)
    target.params["gamma"][...] = source.params["gamma"]
    target.params["beta"][...] = source.params["beta"]
    np.testing.assert_array_equal(target(x, False), source(x, False))


def test_one_value_per_feature_refused_in_training():
    layer = BatchNorm(3)
    with pytest.raises(ValueError, match=r"BatchNorm\(3.*\(1, 3\)"):
        layer(np.zeros((1, 3), np.float32))


@pytest.mark.parametrize(
    "shape", [(2, 4), (2, 4, 3, 3), (2, 3, 3), (2, 3, 1, 1, 1)], ids=str
)
def test_wrong_shape_names_layer_and_both_shapes(shape):
    layer = BatchNorm(3)
    shape_text = str(shape).replace("(", r"\(").replace(")", r"\)")
    pattern = rf"BatchNorm\(3.*\(N, 3\).*\(N, 3, H, W\).*{shape_text}"
    with pytest.raises(ValueError, match=pattern):
        layer(np.zeros(shape, np.float32))


@pytest.mark.parametrize(
    "kwargs",
    [{"num_features": 0}, {"momentum": 1.5}, {"momentum": -0.1}, {"eps": 0.0}],
    ids=["features0", "momentum1.5", "momentum-0.1", "eps0"],
)
def test_bad_configuration_refused(kwargs):
    with pytest.raises(ValueError, match="BatchNorm"):
        BatchNorm(**{"num_features": 3, **kwargs})
