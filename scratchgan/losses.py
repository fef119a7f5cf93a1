"""Losses. Each returns (loss, dinput): a Python float, and dloss/dinput with the
input's shape and dtype. Every loss is the MEAN over the batch."""

import numpy as np


def bce_with_logits(logits, targets):
    """Binary cross-entropy on logits: mean of -[t log s(z) + (1 - t) log(1 - s(z))].

    logits: (N, 1) or (N,), targets: the same shape (or a scalar), in [0, 1].

    The loss is rewritten as max(z, 0) - z * t + log(1 + exp(-|z|)), which takes
    exp only of non-positive numbers, so it stays finite in float32 for any finite
    logit (the log1p term underflows to 0, which is its true value to within
    float precision). dloss/dz = (sigmoid(z) - t) / N.
    """
    z = np.asarray(logits)
    t = np.broadcast_to(np.asarray(targets, dtype=z.dtype), z.shape)
    N = z.shape[0]
    e = np.exp(-np.abs(z))
    loss = np.maximum(z, 0) - z * t + np.log1p(e)

    # sigmoid from the same e: 1 / (1 + e) for z >= 0, e / (1 + e) for z < 0
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    dz = ((s - t) / N).astype(z.dtype, copy=False)
    return float(loss.sum(dtype=np.float64) / N), dz


# probabilities are clipped this far from 0 and 1 so that log never sees 0; with
# float32 inputs 1 - 1e-7 is the largest value below 1 that stays distinct from it
PROB_EPS = 1e-7


def bce(probs, targets):
    """Binary cross-entropy on probabilities: mean of -[t log p + (1 - t) log(1 - p)].

    probs: (N, 1) or (N,) in [0, 1], targets: the same shape (or a scalar).

    p is clipped to [PROB_EPS, 1 - PROB_EPS] first, so the loss is at most about
    16.1 per sample and the gradient (p - t) / (p (1 - p) N) stays finite; the
    gradient is zero where the clip is active. Prefer ``bce_with_logits``, which
    needs no clip.
    """
    p = np.asarray(probs)
    t = np.broadcast_to(np.asarray(targets, dtype=p.dtype), p.shape)
    N = p.shape[0]
    pc = np.clip(p, PROB_EPS, 1 - PROB_EPS)
    loss = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    inside = (p > PROB_EPS) & (p < 1 - PROB_EPS)
    dp = np.where(inside, (pc - t) / (pc * (1 - pc) * N), 0)
    return float(loss.sum(dtype=np.float64) / N), dp.astype(p.dtype, copy=False)


def generator_loss_non_saturating(fake_logits):
    """-mean log D(G(z)): G's loss that keeps a strong gradient when D wins.

    Goodfellow et al. (2014) suggest it in place of the minimax loss: early on D
    rejects fakes confidently, log(1 - D(G(z))) saturates, and its gradient
    vanishes; -log D(G(z)) has the same fixed point but a large gradient there.
    It equals BCE against target 1.
    """
    return bce_with_logits(fake_logits, 1.0)


def generator_loss_minimax(fake_logits):
    """mean log(1 - D(G(z))): the generator's side of the original minimax game.

    log(1 - sigmoid(z)) = -(max(z, 0) + log(1 + exp(-|z|))) = -BCE(z, target 0),
    so loss and gradient are those of BCE against 0, negated. Its gradient vanishes
    as D(G(z)) -> 0, the failure this loss is kept here to show.
    """
    loss, dz = bce_with_logits(fake_logits, 0.0)
    return -loss, -dz


def softmax_cross_entropy(logits, labels):
    """Softmax cross-entropy: mean over the batch of -log softmax(z)[label].

    logits: (N, C) float, labels: (N,) integers in [0, C).

    Shifting each row by its maximum before exp leaves softmax unchanged and keeps
    every exp in (0, 1], so no logit overflows; log-softmax is then
    z - max - log(sum exp(z - max)). dloss/dz = (softmax(z) - onehot(label)) / N.
    """
    z = np.asarray(logits)
    y = np.asarray(labels).astype(np.int64)
    if z.ndim != 2 or y.shape != (z.shape[0],):
        raise ValueError(
            f"softmax_cross_entropy: expected logits (N, C) and labels (N,), got "
            f"{tuple(z.shape)} and {tuple(y.shape)}"
        )
    N = z.shape[0]
    rows = np.arange(N)

    # stable log-softmax
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    log_probs = shifted - np.log(total)
    loss = -log_probs[rows, y].sum(dtype=np.float64) / N

    # gradient: softmax minus the one-hot target, averaged over the batch
    dz = e / total
    dz[rows, y] -= 1
    dz /= N
    return float(loss), dz.astype(z.dtype, copy=False)


GENERATOR_LOSSES = {
    "non-saturating": generator_loss_non_saturating,
    "minimax": generator_loss_minimax,
}
