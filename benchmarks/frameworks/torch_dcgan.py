"""The scratchgan DCGAN rebuilt in PyTorch (channels-first), for benchmarks and
parity tests only. scratchgan itself never imports torch.

TensorFlow's "same" padding is reproduced exactly:

- Conv2D k5 s2 on 28 x 28 pads 1 top/left and 2 bottom/right. PyTorch's
  ``padding=`` is symmetric, so the input goes through ``F.pad`` first.
- Conv2DTranspose "same" is the adjoint of that convolution. PyTorch's
  ConvTranspose2d with ``padding=p`` is the adjoint of a convolution padded p on
  the top/left, so it takes p = pad_top and its output, (H - 1) * S - 2p + K rows,
  is cut to the first H * S. No ``output_padding`` can do this on its own: for
  K=5, S=2 a size of exactly 2H needs p = 2, which shifts the alignment by one.
  For K=5, S=1 the pad is 2 on both sides and nothing is cut.

Layer order, shapes and defaults follow ``scratchgan.models.dcgan``.
"""

import torch
import torch.nn.functional as F
from torch import nn

from scratchgan.layers import BatchNorm, Conv2D, Conv2DTranspose, Dense
from scratchgan.layers.conv2d import conv_padding
from scratchgan.models.dcgan import channels

TORCH_KINDS = (
    nn.Linear,
    nn.Conv2d,
    nn.ConvTranspose2d,
    nn.modules.batchnorm._BatchNorm,
)


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding (odd unit at the bottom/right)."""

    def __init__(self, c_in, c_out, k, stride, bias=True):
        super().__init__(c_in, c_out, k, stride=stride, padding=0, bias=bias)

    def forward(self, x):
        H, W = x.shape[2:]
        K, S = self.kernel_size[0], self.stride[0]
        pt, pb, pl, pr = conv_padding("same", H, W, K, S)
        if pt == pb and pl == pr:
            return F.conv2d(x, self.weight, self.bias, S, (pt, pl))
        return super().forward(F.pad(x, (pl, pr, pt, pb)))


class SameConvTranspose2d(nn.ConvTranspose2d):
    """ConvTranspose2d with output H * S, the exact adjoint of ``SameConv2d``."""

    def __init__(self, c_in, c_out, k, stride, bias=True):
        pt = max(k - stride, 0) // 2
        super().__init__(c_in, c_out, k, stride=stride, padding=pt, bias=bias)

    def forward(self, x):
        H, W = x.shape[2:]
        S = self.stride[0]
        out = super().forward(x)
        return out[:, :, : H * S, : W * S]


class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.shape)


def build_generator(
    latent_dim=100, width=1.0, negative_slope=0.3, bn_momentum=0.1, bn_eps=1e-5
):
    """z: (N, latent_dim) -> image (N, 1, 28, 28); mirrors scratchgan's."""
    c1, c2, c3 = channels(256, width), channels(128, width), channels(64, width)
    return nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * c1, bias=False),
        nn.BatchNorm1d(7 * 7 * c1, eps=bn_eps, momentum=bn_momentum),
        nn.LeakyReLU(negative_slope),
        Reshape((c1, 7, 7)),
        SameConvTranspose2d(c1, c2, 5, 1, bias=False),
        nn.BatchNorm2d(c2, eps=bn_eps, momentum=bn_momentum),
        nn.LeakyReLU(negative_slope),
        SameConvTranspose2d(c2, c3, 5, 2, bias=False),
        nn.BatchNorm2d(c3, eps=bn_eps, momentum=bn_momentum),
        nn.LeakyReLU(negative_slope),
        SameConvTranspose2d(c3, 1, 5, 2, bias=False),
        nn.Tanh(),
    )


def build_discriminator(width=1.0, negative_slope=0.3, dropout=0.3):
    """image (N, 1, 28, 28) -> logit (N, 1); mirrors scratchgan's."""
    c1, c2 = channels(64, width), channels(128, width)
    return nn.Sequential(
        SameConv2d(1, c1, 5, 2),
        nn.LeakyReLU(negative_slope),
        nn.Dropout(dropout),
        SameConv2d(c1, c2, 5, 2),
        nn.LeakyReLU(negative_slope),
        nn.Dropout(dropout),
        nn.Flatten(),
        nn.Linear(7 * 7 * c2, 1),
    )


@torch.no_grad()
def copy_weights(src, dst):
    """Copy a scratchgan Sequential's parameters (and BatchNorm running stats)
    into the matching torch nn.Sequential, layer by layer, in place.

    The weight layouts already agree: Dense (out, in), Conv2D (C_out, C_in, K, K),
    Conv2DTranspose (C_in, C_out, K, K).
    """
    kinds = (Dense, Conv2D, Conv2DTranspose, BatchNorm)
    ours = [layer for layer in src.layers if isinstance(layer, kinds)]
    theirs = [m for m in dst if isinstance(m, TORCH_KINDS)]
    if len(ours) != len(theirs):
        raise ValueError(f"{len(ours)} scratchgan layers vs {len(theirs)} torch")
    for a, b in zip(ours, theirs):
        if isinstance(a, BatchNorm):
            b.weight.copy_(torch.from_numpy(a.params["gamma"]))
            b.bias.copy_(torch.from_numpy(a.params["beta"]))
            b.running_mean.copy_(torch.from_numpy(a.running_mean))
            b.running_var.copy_(torch.from_numpy(a.running_var))
            continue
        b.weight.copy_(torch.from_numpy(a.params["W"]))
        if "b" in a.params:
            b.bias.copy_(torch.from_numpy(a.params["b"]))


def make_optimizers(G, D, lr=1e-4, betas=(0.9, 0.999)):
    """Adam for each network, with scratchgan's defaults (eps 1e-8)."""
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas, eps=1e-8)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas, eps=1e-8)
    return opt_g, opt_d


def train_step(G, D, opt_g, opt_d, real, z):
    """One step as ``scratchgan.loop.train_step`` (alternating, non-saturating):
    D on the real batch (target 1) and the fake batch (target 0), one Adam step;
    then G through the updated D on the same fake batch, D's parameters frozen,
    one Adam step. Returns (d_loss, g_loss) as tensors.
    """
    bce = F.binary_cross_entropy_with_logits

    # fake batch, kept with its graph for G's step
    fake = G(z)

    # (1) D: real then fake, the gradients summed
    opt_d.zero_grad(set_to_none=False)
    logits_real = D(real)
    loss_real = bce(logits_real, torch.ones_like(logits_real))
    loss_real.backward()
    logits_fake = D(fake.detach())
    loss_fake = bce(logits_fake, torch.zeros_like(logits_fake))
    loss_fake.backward()
    opt_d.step()

    # (2) G: through the updated, frozen D (no dW is computed for D)
    opt_g.zero_grad(set_to_none=False)
    for p in D.parameters():
        p.requires_grad_(False)
    logits = D(fake)
    g_loss = bce(logits, torch.ones_like(logits))
    g_loss.backward()
    for p in D.parameters():
        p.requires_grad_(True)
    opt_g.step()
    return loss_real + loss_fake, g_loss
