"""Conv2DTranspose: gradients, the adjoint identity with Conv2D, output sizes."""

import numpy as np
import pytest

from scratchgan.layers import Conv2D, Conv2DTranspose
from tests.conftest import EXACT_RTOL, assert_gradients_match, randomize_params


def case(N, C_in, C_out, H, W, K, S, P, op=0):
    """A pytest.param with an id such as n2-c2to3-3x4-k3-s2-p1-op1."""
    name = f"n{N}-c{C_in}to{C_out}-{H}x{W}-k{K}-s{S}-p{P}-op{op}"
    return pytest.param(N, C_in, C_out, H, W, K, S, P, op, id=name)


CASES = [
    case(1, 1, 1, 3, 3, 1, 1, 0),
    case(2, 2, 3, 3, 3, 3, 1, 1),
    case(1, 2, 2, 3, 4, 3, 2, 0),
    case(2, 2, 1, 3, 3, 3, 2, 1, op=1),
    case(1, 1, 2, 3, 3, 5, 2, 2, op=1),
    case(2, 2, 2, 2, 3, 5, 1, 2),
    case(1, 2, 2, 3, 3, 4, 3, 1, op=2),
    case(1, 2, 3, 3, 3, 3, 1, "same"),
    case(2, 2, 2, 3, 2, 3, 2, "same"),
    case(1, 1, 2, 3, 3, 5, 2, "same"),
    case(2, 2, 2, 3, 3, 4, 2, "same"),
    case(1, 2, 2, 3, 3, 1, 2, "same"),
    case(2, 2, 2, 3, 3, 3, 2, "valid"),
]


@pytest.mark.parametrize("method", ["im2col", "taps"])
@pytest.mark.parametrize("N, C_in, C_out, H, W, K, S, P, op", CASES)
def test_gradients_match_central_differences(
    rng, method, N, C_in, C_out, H, W, K, S, P, op
):
    layer = Conv2DTranspose(
        C_in, C_out, K, stride=S, padding=P, output_padding=op, rng=rng
    )
    layer.astype(np.float64)
    layer.method = method  # both kernels, whatever the widths would pick
    randomize_params(layer, rng)
    x = rng.standard_normal((N, C_in, H, W))

    assert_gradients_match(layer, x, rng)


@pytest.mark.parametrize("N, C_in, C_out, H, W, K, S, P, op", CASES)
def test_adjoint_of_conv2d_with_the_same_weights(
    rng, N, C_in, C_out, H, W, K, S, P, op
):
    # Conv2DTranspose(A -> B) with W is the adjoint of Conv2D(B -> A) with W
    convt = Conv2DTranspose(
        C_in, C_out, K, stride=S, padding=P, output_padding=op, bias=False
    )
    conv = Conv2D(C_out, C_in, K, stride=S, padding=P, bias=False)
    convt.astype(np.float64)
    conv.astype(np.float64)
    convt.params["W"][...] = rng.standard_normal(convt.params["W"].shape)
    conv.params["W"][...] = convt.params["W"]

    # x lives in the transpose's input space, y in its output space
    x = rng.standard_normal((N, C_in, H, W))
    convt_x = convt(x)
    y = rng.standard_normal(convt_x.shape)
    conv_y = conv(y)

    assert conv_y.shape == x.shape
    lhs = np.sum(convt_x * y)
    rhs = np.sum(x * conv_y)
    np.testing.assert_allclose(lhs, rhs, rtol=EXACT_RTOL)


@pytest.mark.parametrize(
    "H, K, S, P, op",
    [
        (3, 3, 1, 0, 0),
        (3, 3, 2, 1, 1),
        (7, 5, 2, 2, 1),
        (7, 4, 2, 1, 0),
        (4, 3, 3, 0, 2),
    ],
    ids=["h3k3s1p0", "h3k3s2p1op1", "h7k5s2p2op1", "h7k4s2p1", "h4k3s3op2"],
)
def test_int_padding_output_size(H, K, S, P, op):
    layer = Conv2DTranspose(2, 3, K, stride=S, padding=P, output_padding=op)
    size = (H - 1) * S - 2 * P + K + op

    assert layer.output_shape((2, H, H)) == (3, size, size)
    out = layer(np.zeros((1, 2, H, H), np.float32))
    assert out.shape == (1, 3, size, size)


@pytest.mark.parametrize("H", [1, 3, 7], ids="h{}".format)
@pytest.mark.parametrize("S", [1, 2, 3], ids="s{}".format)
@pytest.mark.parametrize("K", [1, 2, 3, 5], ids="k{}".format)
def test_same_padding_output_is_size_times_stride(H, S, K):
    layer = Conv2DTranspose(1, 2, K, stride=S, padding="same")
    W = H + 1

    assert layer.output_shape((1, H, W)) == (2, H * S, W * S)
    assert layer(np.zeros((1, 1, H, W), np.float32)).shape == (1, 2, H * S, W * S)


@pytest.mark.parametrize(
    "op, S", [(1, 1), (2, 2), (3, 2)], ids=["op1s1", "op2s2", "op3s2"]
)
def test_output_padding_not_below_stride_refused(op, S):
    with pytest.raises(ValueError, match=r"Conv2DTranspose: output_padding .*stride"):
        Conv2DTranspose(2, 3, 3, stride=S, output_padding=op)


def test_output_padding_with_same_refused():
    with pytest.raises(ValueError, match="Conv2DTranspose: output_padding needs"):
        Conv2DTranspose(2, 3, 3, stride=2, padding="same", output_padding=1)


def test_negative_output_padding_refused():
    with pytest.raises(ValueError, match="Conv2DTranspose: output_padding must be"):
        Conv2DTranspose(2, 3, 3, stride=2, output_padding=-1)


def test_empty_output_names_layer_and_both_shapes():
    layer = Conv2DTranspose(2, 3, 1, padding=1)
    with pytest.raises(
        ValueError, match=r"Conv2DTranspose\(2, 3.*\(2, 1, 1\).*\(3, -1, -1\)"
    ):
        layer(np.zeros((1, 2, 1, 1), np.float32))


def test_wrong_rank_names_layer_and_shape():
    layer = Conv2DTranspose(2, 3, 3)
    with pytest.raises(ValueError, match=r"Conv2DTranspose\(2, 3.*rank-4.*\(2, 4\)"):
        layer(np.zeros((2, 4), np.float32))


def test_wrong_channel_count_names_layer_and_both_shapes():
    layer = Conv2DTranspose(2, 3, 3)
    pattern = r"Conv2DTranspose\(2, 3.*\(N, 2, H, W\).*\(1, 3, 4, 4\)"
    with pytest.raises(ValueError, match=pattern):
        layer(np.zeros((1, 3, 4, 4), np.float32))


@pytest.mark.parametrize("stride", [0, -2], ids=["zero", "negative"])
def test_non_positive_stride_refused(stride):
    with pytest.raises(ValueError, match="Conv2DTranspose: stride must be a positive"):
        Conv2DTranspose(2, 3, 3, stride=stride)


@pytest.mark.parametrize("padding", ["full", -1, 0.5], ids=repr)
def test_bad_padding_refused(padding):
    with pytest.raises(ValueError, match="Conv2DTranspose: padding must be"):
        Conv2DTranspose(2, 3, 3, padding=padding)
