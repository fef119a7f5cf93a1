"""Every layer, the losses and Adam against PyTorch in float32.

Skipped as a whole when PyTorch is not installed (the ``torch`` fixture). Weights
are copied into the torch module; forward outputs, dx and every parameter gradient
must agree within TORCH_RTOL / TORCH_ATOL.
"""

import numpy as np
import pytest

from scratchgan.layers import (
    BatchNorm,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Tanh,
)
from scratchgan.losses import bce, bce_with_logits
from scratchgan.optimizers import Adam
from tests.conftest import TORCH_ATOL, TORCH_RTOL


def assert_close(mine, theirs, what):
    np.testing.assert_allclose(
        mine, theirs, rtol=TORCH_RTOL, atol=TORCH_ATOL, err_msg=f"{what}: mine vs torch"
    )


def run_mine(layer, x, dout, training=True):
    """out, dx and a copy of every parameter gradient of a scratchgan layer."""
    out = layer(x, training)
    layer.zero_grad()
    dx = layer.backward(dout)
    return out, dx, {k: g.copy() for k, g in layer.grads.items()}


def run_torch(torch, fn, x, dout, params):
    """out, dx and the gradients of ``params`` (name -> torch Parameter)."""
    xt = torch.tensor(x, requires_grad=True)
    out = fn(xt)
    out.backward(torch.tensor(dout))
    grads = {k: p.grad.numpy() for k, p in params.items()}
    return out.detach().numpy(), xt.grad.numpy(), grads


def copy_into(torch, params, values):
    """Copy numpy ``values`` into torch ``params`` under the same names."""
    with torch.no_grad():
        for k, p in params.items():
            p.copy_(torch.from_numpy(values[k]))


def compare(torch, layer, fn, params, x, dout, training=True):
    """Copy the layer's parameters into ``params``, run both sides, compare."""
    copy_into(torch, params, layer.params)
    mine_out, mine_dx, mine_grads = run_mine(layer, x, dout, training)
    out, dx, grads = run_torch(torch, fn, x, dout, params)

    assert_close(mine_out, out, "forward")
    assert_close(mine_dx, dx, "dx")
    assert set(mine_grads) == set(grads)
    for k in grads:
        assert_close(mine_grads[k], grads[k], f"d{k}")


def random_params(layer, rng):
    for k, p in layer.params.items():
        if k == "gamma":
            p[...] = rng.uniform(0.5, 1.5, p.shape)
        else:
            p[...] = rng.standard_normal(p.shape) * 0.5


def f32(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("N, F_in, F_out", [(1, 3, 2), (5, 7, 4)], ids=["n1", "n5"])
def test_dense_vs_linear(rng, torch, N, F_in, F_out):
    layer = Dense(F_in, F_out, rng=rng)
    random_params(layer, rng)
    linear = torch.nn.Linear(F_in, F_out)
    params = {"W": linear.weight, "b": linear.bias}

    x, dout = f32(rng, (N, F_in)), f32(rng, (N, F_out))
    compare(torch, layer, linear, params, x, dout)


CONV_CASES = [
    pytest.param(1, 3, 1, 0, 5, id="k1-s1-p0"),
    pytest.param(2, 3, 1, 1, 7, id="k3-s1-p1"),
    pytest.param(2, 3, 2, 1, 7, id="k3-s2-p1"),
    pytest.param(1, 5, 2, 2, 9, id="k5-s2-p2"),
    pytest.param(2, 4, 2, 1, 8, id="k4-s2-p1"),
    pytest.param(2, 3, 2, "valid", 6, id="k3-s2-valid"),
]


@pytest.mark.parametrize("N, K, S, P, H", CONV_CASES)
def test_conv2d_vs_torch_conv2d(rng, torch, N, K, S, P, H):
    layer = Conv2D(2, 3, K, stride=S, padding=P, rng=rng)
    random_params(layer, rng)
    conv = torch.nn.Conv2d(2, 3, K, stride=S, padding=P)
    params = {"W": conv.weight, "b": conv.bias}

    x = f32(rng, (N, 2, H, H + 1))
    dout = f32(rng, (N, 3, *layer.output_shape(x.shape[1:])[1:]))
    compare(torch, layer, conv, params, x, dout)


def tf_same_pads(size, K, S):
    """TensorFlow's "same": output ceil(size / S), odd pad unit at the end."""
    out = -(-size // S)
    total = max((out - 1) * S + K - size, 0)
    return total // 2, total - total // 2


@pytest.mark.parametrize(
    "K, S, H, W",
    [
        (3, 1, 5, 6),
        (4, 1, 5, 5),
        (3, 2, 7, 8),
        (5, 2, 6, 7),
        (4, 2, 8, 5),
        (1, 2, 5, 5),
    ],
    ids=["k3-s1-5x6", "k4-s1-5x5", "k3-s2-7x8", "k5-s2-6x7", "k4-s2-8x5", "k1-s2-5x5"],
)
def test_conv2d_same_vs_asymmetric_pad_then_conv(rng, torch, K, S, H, W):
    F = torch.nn.functional
    layer = Conv2D(2, 3, K, stride=S, padding="same", rng=rng)
    random_params(layer, rng)
    conv = torch.nn.Conv2d(2, 3, K, stride=S, padding=0)
    params = {"W": conv.weight, "b": conv.bias}
    top, bottom = tf_same_pads(H, K, S)
    left, right = tf_same_pads(W, K, S)

    def same_conv(xt):
        return conv(F.pad(xt, (left, right, top, bottom)))

    x = f32(rng, (2, 2, H, W))
    dout = f32(rng, (2, 3, -(-H // S), -(-W // S)))
    compare(torch, layer, same_conv, params, x, dout)


CONVT_CASES = [
    pytest.param(1, 1, 1, 0, 0, id="k1-s1-p0"),
    pytest.param(2, 3, 1, 1, 0, id="k3-s1-p1"),
    pytest.param(2, 3, 2, 0, 0, id="k3-s2-p0"),
    pytest.param(2, 3, 2, 1, 1, id="k3-s2-p1-op1"),
    pytest.param(1, 5, 2, 2, 1, id="k5-s2-p2-op1"),
    pytest.param(2, 4, 2, 1, 0, id="k4-s2-p1"),
    pytest.param(2, 4, 3, 1, 2, id="k4-s3-p1-op2"),
    pytest.param(1, 3, 2, 2, 1, id="k3-s2-p2-op1"),
]


@pytest.mark.parametrize("N, K, S, P, op", CONVT_CASES)
def test_conv2d_transpose_vs_torch(rng, torch, N, K, S, P, op):
    layer = Conv2DTranspose(3, 2, K, stride=S, padding=P, output_padding=op, rng=rng)
    random_params(layer, rng)
    convt = torch.nn.ConvTranspose2d(3, 2, K, stride=S, padding=P, output_padding=op)
    params = {"W": convt.weight, "b": convt.bias}

    x = f32(rng, (N, 3, 4, 5))
    dout = f32(rng, (N, *layer.output_shape(x.shape[1:])))
    compare(torch, layer, convt, params, x, dout)


@pytest.mark.parametrize(
    "K, S",
    [(3, 1), (4, 1), (3, 2), (4, 2), (5, 2), (1, 2), (2, 3)],
    ids=["k3-s1", "k4-s1", "k3-s2", "k4-s2", "k5-s2", "k1-s2", "k2-s3"],
)
def test_conv2d_transpose_same_vs_torch_then_crop(rng, torch, K, S):
    # torch's full transpose is (H - 1) * S + K tall; "same" keeps H * S of it,
    # cropping TensorFlow's max(K - S, 0) with the odd row at the bottom, or
    # (K < S) padding the bottom with output_padding = S - K
    layer = Conv2DTranspose(3, 2, K, stride=S, padding="same", rng=rng)
    random_params(layer, rng)
    convt = torch.nn.ConvTranspose2d(3, 2, K, stride=S, output_padding=max(S - K, 0))
    params = {"W": convt.weight, "b": convt.bias}
    H, W = 3, 4
    top = max(K - S, 0) // 2

    def same_convt(xt):
        return convt(xt)[:, :, top : top + H * S, top : top + W * S]

    x = f32(rng, (2, 3, H, W))
    dout = f32(rng, (2, 2, H * S, W * S))
    compare(torch, layer, same_convt, params, x, dout)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 3, 5)], ids=["1d", "2d"])
def test_batchnorm_vs_torch(rng, torch, shape, training):
    C = shape[1]
    layer = BatchNorm(C, momentum=0.1, eps=1e-5)
    random_params(layer, rng)
    module_cls = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    module = module_cls(C, momentum=0.1, eps=1e-5)
    module.train(training)
    params = {"gamma": module.weight, "beta": module.bias}

    # the same non-trivial running statistics on both sides
    layer.running_mean[...] = rng.standard_normal(C)
    layer.running_var[...] = rng.uniform(0.5, 2.0, C)
    with torch.no_grad():
        module.running_mean.copy_(torch.from_numpy(layer.running_mean))
        module.running_var.copy_(torch.from_numpy(layer.running_var))

    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    dout = f32(rng, shape)
    compare(torch, layer, module, params, x, dout, training=training)

    # one step moved (train) or kept (eval) the running statistics alike
    assert_close(layer.running_mean, module.running_mean.numpy(), "running_mean")
    assert_close(layer.running_var, module.running_var.numpy(), "running_var")


@pytest.mark.parametrize(
    "layer, make_module",
    [
        pytest.param(LeakyReLU(0.2), lambda nn: nn.LeakyReLU(0.2), id="LeakyReLU"),
        pytest.param(ReLU(), lambda nn: nn.ReLU(), id="ReLU"),
        pytest.param(Tanh(), lambda nn: nn.Tanh(), id="Tanh"),
        pytest.param(Sigmoid(), lambda nn: nn.Sigmoid(), id="Sigmoid"),
    ],
)
def test_activations_vs_torch(rng, torch, layer, make_module):
    x = (rng.standard_normal((3, 2, 4, 4)) * 3).astype(np.float32)
    dout = f32(rng, x.shape)

    compare(torch, layer, make_module(torch.nn), {}, x, dout)


def test_dropout_eval_is_identity_like_torch(rng, torch):
    x, dout = f32(rng, (4, 6)), f32(rng, (4, 6))
    module = torch.nn.Dropout(0.5).eval()

    compare(torch, Dropout(0.5), module, {}, x, dout, training=False)


def test_bce_losses_vs_torch(rng, torch):
    F = torch.nn.functional
    logits = (rng.standard_normal((8, 1)) * 4).astype(np.float32)
    targets = rng.uniform(0, 1, (8, 1)).astype(np.float32)

    for name, mine_fn, torch_fn, x in [
        (
            "bce_with_logits",
            bce_with_logits,
            F.binary_cross_entropy_with_logits,
            logits,
        ),
        ("bce", bce, F.binary_cross_entropy, 1 / (1 + np.exp(-logits))),
    ]:
        loss, dx = mine_fn(x, targets)
        xt = torch.tensor(x, requires_grad=True)
        expected = torch_fn(xt, torch.tensor(targets))
        expected.backward()
        assert_close(loss, expected.item(), f"{name} loss")
        assert_close(dx, xt.grad.numpy(), f"{name} dx")


def test_adam_vs_torch(rng, torch):
    start = {"a": f32(rng, (3, 2)), "b": f32(rng, (4,))}
    steps = [{k: f32(rng, p.shape) for k, p in start.items()} for _ in range(4)]

    params = {k: p.copy() for k, p in start.items()}
    grads = {k: np.zeros_like(p) for k, p in params.items()}
    opt = Adam(params, grads, lr=2e-3, betas=(0.5, 0.999))
    tparams = {k: torch.nn.Parameter(torch.tensor(p)) for k, p in start.items()}
    topt = torch.optim.Adam(tparams.values(), lr=2e-3, betas=(0.5, 0.999))

    for step in steps:
        for k, g in step.items():
            grads[k][...] = g
            tparams[k].grad = torch.tensor(g)
        opt.step()
        topt.step()

    for k in start:
        assert_close(params[k], tparams[k].detach().numpy(), k)
