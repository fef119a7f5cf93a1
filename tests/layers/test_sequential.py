"""Sequential: an end-to-end gradient check and the named, shared parameters."""

import numpy as np
import pytest

from scratchgan.layers import (
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    LeakyReLU,
    Sequential,
)
from tests.conftest import assert_gradients_match, randomize_params


def tiny_discriminator(rng):
    """Conv2D -> BatchNorm -> LeakyReLU -> Flatten -> Dense on (N, 1, 5, 5)."""
    return Sequential(
        [
            Conv2D(1, 2, 3, stride=2, padding="same", rng=rng),  # (N, 2, 3, 3)
            BatchNorm(2),
            LeakyReLU(0.2),
            Flatten(),  # (N, 18)
            Dense(18, 1, rng=rng),
        ]
    )


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("N", [1, 3], ids=["n1", "n3"])
def test_gradients_match_central_differences(rng, N, training):
    model = tiny_discriminator(rng).astype(np.float64)
    randomize_params(model, rng)
    bn = model.layers[1]
    bn.running_mean[...] = rng.standard_normal(2)
    bn.running_var[...] = rng.uniform(0.5, 2.0, 2)
    x = rng.standard_normal((N, 1, 5, 5))

    # a step of h = 1e-5 moves the LeakyReLU input by ~1e-5; it must not cross 0
    pre_activation = bn(model.layers[0](x), training)
    assert np.min(np.abs(pre_activation)) > 1e-3

    errors = assert_gradients_match(model, x, rng, training=training)

    expected = {"x", "conv1.W", "conv1.b", "bn1.gamma", "bn1.beta"}
    assert set(errors) == expected | {"dense1.W", "dense1.b"}


def test_names_and_params_share_memory_with_layers(rng):
    model = tiny_discriminator(rng)
    names = ["conv1", "bn1", "leakyrelu1", "flatten1", "dense1"]

    assert model.names == names
    for name, layer in zip(model.names, model.layers):
        for key in layer.params:
            assert model.params[f"{name}.{key}"] is layer.params[key]
            assert model.grads[f"{name}.{key}"] is layer.grads[key]

    # astype rebinds the layers' arrays; the flat dicts must follow
    model.astype(np.float64)
    assert model.params["conv1.W"] is model.layers[0].params["W"]
    assert model.grads["dense1.b"] is model.layers[4].grads["b"]
    assert model.params["conv1.W"].dtype == np.float64


def test_repeated_layer_types_are_numbered(rng):
    model = Sequential([Dense(3, 4, rng=rng), LeakyReLU(), Dense(4, 2, rng=rng)])

    assert model.names == ["dense1", "leakyrelu1", "dense2"]
    assert model.num_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_output_shape_and_summary_match_forward(rng):
    model = tiny_discriminator(rng)
    x = rng.standard_normal((2, 1, 5, 5)).astype(np.float32)

    out = model(x)

    assert model.output_shape((1, 5, 5)) == out.shape[1:] == (1,)
    shapes = [row[2] for row in model.summary((1, 5, 5))]
    assert shapes == [(2, 3, 3), (2, 3, 3), (2, 3, 3), (18,), (1,)]


def test_zero_grad_and_state_round_trip(rng):
    model = tiny_discriminator(rng)
    x = rng.standard_normal((2, 1, 5, 5)).astype(np.float32)
    out = model(x)
    model.backward(np.ones_like(out))

    model.zero_grad()
    assert all(not np.any(g) for g in model.grads.values())

    other = tiny_discriminator(np.random.default_rng(99))
    other.load_state({k: v.copy() for k, v in model.state().items()})
    assert set(model.state()) == {"bn1.running_mean", "bn1.running_var"}
    for key, value in model.state().items():
        np.testing.assert_array_equal(other.state()[key], value)
    assert np.any(model.state()["bn1.running_mean"] != 0), "stats never moved"
