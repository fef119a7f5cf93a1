"""Conv2D: gradients over a sweep of geometries, output sizes, padding, errors."""

import math

import numpy as np
import pytest

from scratchgan.layers import Conv2D
from scratchgan.layers.conv2d import conv_padding
from tests.conftest import assert_gradients_match, randomize_params


def case(N, C_in, C_out, H, W, K, S, P):
    """A pytest.param with an id such as n2-c2to3-5x7-k3-s2-psame."""
    return pytest.param(
        N,
        C_in,
        C_out,
        H,
        W,
        K,
        S,
        P,
        id=f"n{N}-c{C_in}to{C_out}-{H}x{W}-k{K}-s{S}-p{P}",
    )


CASES = [
    case(1, 1, 1, 3, 3, 1, 1, 0),
    case(2, 2, 3, 5, 5, 3, 1, 1),
    case(1, 2, 2, 5, 7, 3, 2, 1),
    case(2, 1, 2, 6, 5, 3, 2, 0),
    case(2, 2, 2, 5, 5, 5, 1, 2),
    case(1, 2, 1, 7, 7, 5, 2, 2),
    case(2, 2, 2, 4, 4, 3, 1, 3),
    case(1, 2, 3, 5, 5, 3, 1, "same"),
    case(2, 2, 2, 5, 6, 3, 2, "same"),
    case(1, 1, 2, 7, 7, 5, 2, "same"),
    case(2, 2, 2, 6, 6, 4, 2, "same"),
    case(1, 2, 2, 5, 5, 1, 2, "same"),
    case(2, 2, 2, 5, 5, 3, 1, "valid"),
    case(1, 1, 2, 7, 5, 3, 2, "valid"),
]


@pytest.mark.parametrize("method", ["im2col", "taps"])
@pytest.mark.parametrize("N, C_in, C_out, H, W, K, S, P", CASES)
def test_gradients_match_central_differences(
    rng, method, N, C_in, C_out, H, W, K, S, P
):
    layer = Conv2D(C_in, C_out, K, stride=S, padding=P, rng=rng)
    layer.astype(np.float64)
    layer.method = method  # both kernels, whatever the widths would pick
    randomize_params(layer, rng)
    x = rng.standard_normal((N, C_in, H, W))

    assert_gradients_match(layer, x, rng)


@pytest.mark.parametrize("H", [1, 4, 5, 7, 28], ids="h{}".format)
@pytest.mark.parametrize("S", [1, 2, 3], ids="s{}".format)
@pytest.mark.parametrize("K", [1, 2, 3, 5], ids="k{}".format)
def test_same_padding_gives_ceil_of_size_over_stride(H, S, K):
    layer = Conv2D(1, 1, K, stride=S, padding="same")
    W = H + 2

    assert layer.output_shape((1, H, W)) == (1, math.ceil(H / S), math.ceil(W / S))
    out = layer(np.zeros((1, 1, H, W), np.float32))
    assert out.shape == (1, 1, math.ceil(H / S), math.ceil(W / S))


@pytest.mark.parametrize(
    "H, K, S, P, expected",
    [
        (5, 3, 1, 0, 3),
        (5, 3, 1, 1, 5),
        (7, 3, 2, 1, 4),
        (6, 3, 2, 0, 2),
        (4, 5, 1, 2, 4),
    ],
    ids=["h5k3s1p0", "h5k3s1p1", "h7k3s2p1", "h6k3s2p0", "h4k5s1p2"],
)
def test_int_padding_output_size(H, K, S, P, expected):
    layer = Conv2D(2, 3, K, stride=S, padding=P)

    assert layer.output_shape((2, H, H)) == (3, expected, expected)
    assert layer(np.zeros((1, 2, H, H), np.float32)).shape == (1, 3, expected, expected)


@pytest.mark.parametrize(
    "H, K, S, expected",
    [
        (5, 3, 1, (1, 1)),  # total 2: even split
        (5, 4, 1, (1, 2)),  # total 3: the odd unit at the bottom
        (6, 3, 2, (0, 1)),  # out 3 needs (3 - 1) * 2 + 3 - 6 = 1
        (5, 3, 2, (1, 1)),  # out 3 needs (3 - 1) * 2 + 3 - 5 = 2
        (4, 1, 2, (0, 0)),  # a 1x1 kernel never needs padding
    ],
    ids=["h5k3s1", "h5k4s1", "h6k3s2", "h5k3s2", "h4k1s2"],
)
def test_same_padding_split_follows_tensorflow(H, K, S, expected):
    top, bottom, left, right = conv_padding("same", H, H, K, S)

    assert (top, bottom) == expected
    assert (left, right) == expected


def test_valid_is_zero_padding(rng):
    x = rng.standard_normal((2, 2, 6, 5)).astype(np.float32)
    valid = Conv2D(2, 3, 3, stride=2, padding="valid", rng=np.random.default_rng(1))
    zero = Conv2D(2, 3, 3, stride=2, padding=0, rng=np.random.default_rng(1))

    np.testing.assert_array_equal(valid(x), zero(x))


def test_wrong_rank_names_layer_and_shape():
    layer = Conv2D(2, 3, 3)
    with pytest.raises(ValueError, match=r"Conv2D\(2, 3.*rank-4.*\(2, 5, 5\)"):
        layer(np.zeros((2, 5, 5), np.float32))


def test_wrong_channel_count_names_layer_and_both_shapes():
    layer = Conv2D(2, 3, 3)
    with pytest.raises(
        ValueError, match=r"Conv2D\(2, 3.*\(N, 2, H, W\).*\(1, 3, 5, 5\)"
    ):
        layer(np.zeros((1, 3, 5, 5), np.float32))


def test_kernel_larger_than_padded_input_names_both_shapes():
    layer = Conv2D(2, 3, 5, padding=1)
    pattern = r"Conv2D\(2, 3.*kernel \(5, 5\).*padded input \(4, 6\).*\(2, 2, 4\)"
    with pytest.raises(ValueError, match=pattern):
        layer(np.zeros((1, 2, 2, 4), np.float32))
    with pytest.raises(ValueError, match=pattern):
        layer.output_shape((2, 2, 4))


@pytest.mark.parametrize("stride", [0, -1, 1.5], ids=["zero", "negative", "float"])
def test_non_positive_or_non_int_stride_refused(stride):
    with pytest.raises(ValueError, match=r"Conv2D: stride must be a positive int"):
        Conv2D(2, 3, 3, stride=stride)


@pytest.mark.parametrize("padding", ["full", "SAME", -1, 1.0, True], ids=repr)
def test_bad_padding_refused(padding):
    with pytest.raises(ValueError, match=r"Conv2D: padding must be"):
        Conv2D(2, 3, 3, padding=padding)


@pytest.mark.parametrize("name", ["in_channels", "out_channels", "kernel_size"])
def test_non_positive_sizes_refused(name):
    sizes = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, name: 0}
    with pytest.raises(ValueError, match=f"Conv2D: {name} must be a positive int"):
        Conv2D(**sizes)
