"""One full training step (D on real + fake, then G through the frozen D) in
scratchgan and in the PyTorch rebuild of ``benchmarks/frameworks/torch_dcgan.py``
gives the same updated weights. Skipped where PyTorch is absent."""

import copy

import numpy as np
import pytest

from scratchgan.loop import draw_noise, train_step
from scratchgan.models.dcgan import build_discriminator, build_generator
from scratchgan.optimizers import Adam

torch = pytest.importorskip("torch")
T = pytest.importorskip("benchmarks.frameworks.torch_dcgan")

# Adam's first step moves every weight by about lr * sign(g) whatever |g| is, so
# the updated weights agree to far better than the gradients do; but where a
# gradient is ~0 (sign decided by rounding) a weight may move by up to lr in
# opposite directions. The two sides sum the same products in different orders
# (im2col + OpenBLAS vs oneDNN), a ~1e-6 relative difference in float32, which
# the BatchNorm of the generator can amplify. So: weights within 1e-5 relative +
# 1e-6 absolute, except at most 0.1% of a tensor, which must still be within
# 2 * lr (= 2e-4) of the other side.
RTOL = 1e-5
ATOL = 1e-6
LR = 1e-4
OUTLIER_FRACTION = 1e-3


def torch_params(model):
    """Parameters of a torch nn.Sequential in scratchgan's order, as NumPy."""
    out = []
    for m in model:
        if isinstance(m, T.TORCH_KINDS):
            out.append(m.weight.detach().numpy().copy())
            if m.bias is not None:
                out.append(m.bias.detach().numpy().copy())
    return out


def assert_weights_match(mine, theirs, what):
    for i, (a, b) in enumerate(zip(mine, theirs)):
        assert a.shape == b.shape, (what, i)
        close = np.isclose(a, b, rtol=RTOL, atol=ATOL)
        far = np.abs(a - b).max()
        assert (~close).mean() <= OUTLIER_FRACTION, (
            f"{what} param {i}: {(~close).sum()} of {a.size} differ, max {far:.3g}"
        )
        assert far <= 2 * LR, f"{what} param {i}: max difference {far:.3g}"


@pytest.mark.parametrize("width,batch", [(0.25, 8), (0.5, 16)])
def test_one_training_step_matches_torch(width, batch):
    rng = np.random.default_rng(7)
    G = build_generator(width=width, bn_momentum=0.01, bn_eps=1e-3, rng=rng)
    D = build_discriminator(width=width, dropout=0.0, rng=rng)
    tG = T.build_generator(width=width, bn_momentum=0.01, bn_eps=1e-3)
    tD = T.build_discriminator(width=width, dropout=0.0)
    T.copy_weights(G, tG)
    T.copy_weights(D, tD)
    opt_g = Adam(G.params, G.grads, lr=LR)
    opt_d = Adam(D.params, D.grads, lr=LR)
    topt_g, topt_d = T.make_optimizers(tG, tD, lr=LR)
    real = rng.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)

    # the same noise: train_step draws it first from rng, so draw from a copy
    z = draw_noise(copy.deepcopy(rng), batch, 100)

    train_step(G, D, opt_g, opt_d, [real], rng)
    T.train_step(tG, tD, topt_g, topt_d, torch.from_numpy(real), torch.from_numpy(z))

    assert_weights_match(list(D.params.values()), torch_params(tD), "D")
    assert_weights_match(list(G.params.values()), torch_params(tG), "G")
    bn_mine = [
        layer.running_mean for layer in G.layers if hasattr(layer, "running_mean")
    ]
    bn_theirs = [m.running_mean.numpy() for m in tG if hasattr(m, "running_mean")]
    for a, b in zip(bn_mine, bn_theirs):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
