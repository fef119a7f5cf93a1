"""Dense: gradients, closed-form forward, shape errors."""

import numpy as np
import pytest

from scratchgan.layers import Dense
from tests.conftest import EXACT_RTOL, assert_gradients_match, randomize_params

CASES = [
    pytest.param(1, 3, 2, True, id="n1-3to2"),
    pytest.param(4, 5, 3, True, id="n4-5to3"),
    pytest.param(3, 1, 4, True, id="n3-1to4"),
    pytest.param(2, 4, 3, False, id="n2-4to3-nobias"),
]


@pytest.mark.parametrize("N, F_in, F_out, bias", CASES)
def test_gradients_match_central_differences(rng, N, F_in, F_out, bias):
    layer = Dense(F_in, F_out, bias=bias, rng=rng).astype(np.float64)
    randomize_params(layer, rng)
    x = rng.standard_normal((N, F_in))

    errors = assert_gradients_match(layer, x, rng)

    expected_keys = {"x", "W", "b"} if bias else {"x", "W"}
    assert set(errors) == expected_keys


def test_forward_is_affine_map(rng):
    layer = Dense(3, 2, rng=rng).astype(np.float64)
    randomize_params(layer, rng)
    x = rng.standard_normal((4, 3))
    W, b = layer.params["W"], layer.params["b"]

    expected = np.array(
        [
            [sum(W[o, i] * row[i] for i in range(3)) + b[o] for o in range(2)]
            for row in x
        ]
    )

    np.testing.assert_allclose(layer(x), expected, rtol=EXACT_RTOL)
    assert layer.output_shape((3,)) == (2,)


def test_float32_in_float32_out(rng):
    layer = Dense(3, 2, rng=rng)
    out = layer(rng.standard_normal((2, 3)).astype(np.float32))
    dx = layer.backward(np.ones_like(out))

    assert out.dtype == np.float32
    assert dx.dtype == np.float32
    assert layer.grads["W"].dtype == np.float32


def test_wrong_feature_count_names_layer_and_both_shapes():
    layer = Dense(4, 2)
    with pytest.raises(ValueError, match=r"Dense\(4, 2.*\(N, 4\).*\(3, 5\)"):
        layer(np.zeros((3, 5), np.float32))


def test_wrong_rank_names_layer_and_shape():
    layer = Dense(4, 2)
    with pytest.raises(ValueError, match=r"Dense\(4, 2.*rank-2.*\(3, 4, 1\)"):
        layer(np.zeros((3, 4, 1), np.float32))


@pytest.mark.parametrize("F_in, F_out", [(0, 2), (3, -1)], ids=["in0", "out-1"])
def test_non_positive_sizes_refused(F_in, F_out):
    with pytest.raises(ValueError, match="Dense"):
        Dense(F_in, F_out)
