"""One adversarial training step (Goodfellow et al., 2014), with no I/O.

The discriminator D maps an image to a logit; D(x) = sigmoid(logit) is its belief
that x is real. The generator G maps noise z to an image. Each step:

1. D learns: on a real batch with target 1 (or 1 - label_smoothing) and on a fake
   batch G(z) with target 0, the two gradients summed, then one Adam step. With
   ``d_steps`` K > 1 this repeats on K real batches, each with fresh noise.
2. G learns through D: the updated D scores the last fake batch again, and G's
   loss is backpropagated through D, whose parameters are frozen, to the fake
   images, then through G, then one Adam step.

``update="simultaneous"`` instead computes both updates from one forward pass of
one fake batch, as the TensorFlow tutorial does; D then sees the same fakes in its
loss as G does in its own.
"""

import numpy as np

from .layers.activations import sigmoid
from .losses import GENERATOR_LOSSES, bce_with_logits


class Divergence(ArithmeticError):
    """A loss or a weight stopped being finite."""


def draw_noise(rng, n, latent_dim):
    """z: (n, latent_dim), standard normal float32."""
    return rng.standard_normal((n, latent_dim), dtype=np.float32)


def generate_in_batches(G, z, batch_size=500):
    """G(z) in eval mode, batch_size latents at a time, so memory stays flat for
    any number of samples. z: (n, latent_dim) -> (n, 1, 28, 28) in [-1, 1].

    In eval mode BatchNorm uses its running statistics, so each image is the
    same whichever batch it is drawn in.
    """
    out = [
        G.forward(z[lo : lo + batch_size], training=False)
        for lo in range(0, len(z), batch_size)
    ]
    return np.concatenate(out)


def through_frozen(D, dlogits):
    """dloss/dimages through D, leaving D's parameter gradients untouched."""
    D.freeze(True)
    try:
        return D.backward(dlogits)
    finally:
        D.freeze(False)


def d_metrics(loss_real, loss_fake, logits_real, logits_fake):
    """The discriminator's side of a step's metrics."""
    return {
        "d_loss": loss_real + loss_fake,
        "d_loss_real": loss_real,
        "d_loss_fake": loss_fake,
        "d_real": float(sigmoid(logits_real).mean()),
        "d_fake": float(sigmoid(logits_fake).mean()),
    }


def d_update(G, D, opt_d, real, rng, latent_dim, real_target):
    """One discriminator step on one real batch.

    Returns (metrics, fake): the fake batch stays usable for the generator's step,
    because G's forward cache still belongs to it.
    """
    N = real.shape[0]

    # fake batch; G runs in training mode so its BatchNorm sees batch statistics
    fake = G.forward(draw_noise(rng, N, latent_dim), training=True)

    # forward and backward on the real batch, then on the fake one; grads add up.
    # Only D's parameters learn here, so no gradient w.r.t. the images is needed.
    D.zero_grad()
    logits_real = D.forward(real, training=True)
    loss_real, dlogits = bce_with_logits(logits_real, real_target)
    D.backward(dlogits, input_grad=False)
    logits_fake = D.forward(fake, training=True)
    loss_fake, dlogits = bce_with_logits(logits_fake, 0.0)
    D.backward(dlogits, input_grad=False)

    # update
    opt_d.step()
    return d_metrics(loss_real, loss_fake, logits_real, logits_fake), fake


def g_update(G, D, opt_g, fake, g_loss_fn):
    """One generator step on the fake batch G made last (its cache is still set).

    Reusing the discriminator step's fakes, as PyTorch's DCGAN example does, saves
    a generator forward pass; D is run again on them because it has just changed.
    """

    # forward through the updated D
    G.zero_grad()
    logits = D.forward(fake, training=True)
    g_loss, dlogits = g_loss_fn(logits)

    # backward through a frozen D to the images, then through G (to its
    # parameters only: the gradient w.r.t. z is not used)
    G.backward(through_frozen(D, dlogits), input_grad=False)

    # update
    opt_g.step()
    return {"g_loss": g_loss, "d_fake_g": float(sigmoid(logits).mean())}


def simultaneous_update(
    G, D, opt_g, opt_d, real, rng, latent_dim, g_loss_fn, real_target
):
    """Both updates from one fake batch and one forward pass of D on it."""
    N = real.shape[0]
    G.zero_grad()
    D.zero_grad()
    fake = G.forward(draw_noise(rng, N, latent_dim), training=True)

    # D on the real batch
    logits_real = D.forward(real, training=True)
    loss_real, dlogits = bce_with_logits(logits_real, real_target)
    D.backward(dlogits, input_grad=False)

    # D on the fake batch: one forward, two backwards. G's gradient goes first
    # through a frozen D; then D's own loss adds D's parameter gradients.
    logits_fake = D.forward(fake, training=True)
    g_loss, dlogits_g = g_loss_fn(logits_fake)
    dfake = through_frozen(D, dlogits_g)
    loss_fake, dlogits = bce_with_logits(logits_fake, 0.0)
    D.backward(dlogits, input_grad=False)
    G.backward(dfake, input_grad=False)

    # update both from gradients taken at the same point
    opt_d.step()
    opt_g.step()
    metrics = d_metrics(loss_real, loss_fake, logits_real, logits_fake)
    metrics.update(g_loss=g_loss, d_fake_g=metrics["d_fake"])
    return metrics


def train_step(
    G,
    D,
    opt_g,
    opt_d,
    reals,
    rng,
    latent_dim=100,
    g_loss="non-saturating",
    label_smoothing=0.0,
    update="alternating",
):
    """One training iteration: len(reals) discriminator steps, then one generator
    step. reals: list of real batches (N, 1, 28, 28) float32 in [-1, 1].

    Returns a dict of float metrics: d_loss (real + fake BCE), d_loss_real,
    d_loss_fake, g_loss, d_real (mean D(x)), d_fake (mean D(G(z)) in D's step),
    d_fake_g (mean D(G(z)) in G's step). Raises Divergence on a non-finite loss.
    """
    g_loss_fn = GENERATOR_LOSSES[g_loss]
    real_target = 1.0 - label_smoothing
    if update == "simultaneous":
        metrics = simultaneous_update(
            G, D, opt_g, opt_d, reals[0], rng, latent_dim, g_loss_fn, real_target
        )
    else:
        for real in reals:
            metrics, fake = d_update(G, D, opt_d, real, rng, latent_dim, real_target)
        metrics.update(g_update(G, D, opt_g, fake, g_loss_fn))
    for key, value in metrics.items():
        if not np.isfinite(value):
            raise Divergence(f"{key} became {value}")
    return metrics


def check_finite(model, what):
    """Raise Divergence naming the first parameter that holds a NaN or Inf."""
    for name, p in model.params.items():
        if not np.isfinite(p).all():
            raise Divergence(f"{what} weight {name} holds NaN or Inf")


def grad_norms(model):
    """L2 norm of each layer's parameter gradients, and of all of them.

    model: a Sequential. Returns ({layer name: norm}, total) as floats, from
    whatever ``model.grads`` holds now: after ``train_step``, G's gradients are
    from G's step and D's from D's last own step (D is frozen in G's step, so
    G's step adds nothing to them).
    """
    per_layer = {}
    for name, layer in zip(model.names, model.layers):
        if layer.grads:
            sq = sum(float(np.vdot(g, g)) for g in layer.grads.values())
            per_layer[name] = sq**0.5
    total = sum(v * v for v in per_layer.values()) ** 0.5
    return per_layer, total
