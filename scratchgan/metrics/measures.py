"""How good are a generator's digits? Sample-quality measures, in NumPy only.

Each measure looks at generated images through the MNIST classifier of
``scratchgan.classifier`` (its 128 penultimate features and its 10 class
probabilities), or directly at the pixels:

- ``frechet_distance``: FID (Heusel et al., 2017) with this classifier in place of
  Inception-v3: Gaussians fitted to the features of generated and of real images,
  d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)). 0 for identical moments;
  real training images against the test set give the floor a perfect generator
  would reach with this many samples.
- ``class_coverage``: the histogram of predicted digits, how many digits get at
  least 2% of the samples, and KL(p || uniform), 0 when balanced, ln 10 when
  every sample is one digit. Mode collapse shows here first.
- ``classifier_score``: the Inception score (Salimans et al., 2016) with this
  classifier, exp(E_x KL(p(y|x) || p(y))), between 1 and 10: high when each sample
  is one clear digit and all digits appear.
- ``parzen_log_likelihood``: the Gaussian Parzen-window estimate of the test log
  likelihood used by Goodfellow et al. (2014), who report 225 +- 2 nats for their
  MNIST GAN. Theis et al. (2016) show why it is a weak measure: in 784 dimensions
  the estimate is far from the true likelihood even with 10^7 samples, and it can
  rank a k-means model, or a blurry mean image, above real generators. It is here
  to compare with the paper, not to trust.
- ``nearest_neighbours``: the training images closest in pixel L2 to some samples,
  to see whether the generator copies its training set.
"""

import numpy as np

# a digit counts as covered when at least this share of samples is predicted as it
COVERAGE_SHARE = 0.02

# the Parzen widths Goodfellow et al.'s code searched, widened a little both sides
PARZEN_SIGMAS = np.logspace(-1.3, -0.3, 21)


def gaussian_stats(features):
    """(mean (F,), covariance (F, F)) of features (N, F), in float64."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"gaussian_stats: need (N >= 2, F) features, got {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def sqrtm_psd(a):
    """The symmetric square root of a symmetric positive semi-definite matrix.

    a = V diag(w) V^T, so a^(1/2) = V diag(sqrt(w)) V^T; tiny negative eigenvalues
    from rounding are set to 0 first.
    """
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Squared Frechet (2-Wasserstein) distance between N(mu1, S1) and N(mu2, S2).

    tr (S1 S2)^(1/2) is computed as tr (S1^(1/2) S2 S1^(1/2))^(1/2): S1 S2 is not
    symmetric, but R S2 R with R = S1^(1/2) is, has the same eigenvalues, and so
    needs only symmetric eigen-decompositions (scipy's sqrtm is not needed).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    r = sqrtm_psd(s1)
    m = r @ s2 @ r
    m = (m + m.T) / 2  # symmetric up to rounding; make it exactly so for eigvalsh
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(m), 0, None)).sum()
    d2 = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    return float(max(d2, 0.0))


def frechet_distance_of(features1, features2):
    """Frechet distance between Gaussians fitted to two feature sets (N, F)."""
    return frechet_distance(*gaussian_stats(features1), *gaussian_stats(features2))


def class_coverage(probs, n_classes=10, share=COVERAGE_SHARE):
    """What the predicted digits of the samples cover.

    probs: (N, C) class probabilities (or (N,) predicted labels). Returns a dict:
    ``histogram`` (fraction of samples predicted as each digit), ``covered``
    (digits with at least ``share`` of samples), ``kl_uniform`` (KL(p || uniform)
    in nats: 0 balanced, ln C all one digit).
    """
    p = np.asarray(probs)
    labels = p.argmax(axis=1) if p.ndim == 2 else p.astype(np.int64)
    hist = np.bincount(labels, minlength=n_classes)[:n_classes] / max(len(labels), 1)
    nz = hist[hist > 0]
    kl = float(np.sum(nz * np.log(nz * n_classes)))
    return {
        "histogram": [round(float(h), 6) for h in hist],
        "covered": int(np.sum(hist >= share)),
        "kl_uniform": kl,
    }


def classifier_score(probs, eps=1e-12):
    """exp(mean over samples of KL(p(y|x) || p(y))), between 1 and C.

    probs: (N, C). p(y) is the mean of the rows. ``eps`` keeps log away from 0;
    a zero probability contributes 0 to the KL, its true limit.
    """
    p = np.asarray(probs, dtype=np.float64)
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def squared_distances(a, b):
    """|a_i - b_j|^2 for rows of a (M, D) and b (K, D), as float64 (M, K).

    Uses |a|^2 - 2 a.b + |b|^2 (one matrix product); rounding can make it
    slightly negative, so it is clipped at 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d2 = (a * a).sum(1)[:, None] - 2 * (a @ b.T) + (b * b).sum(1)[None, :]
    return np.maximum(d2, 0)


def logsumexp(x, axis):
    """log(sum(exp(x))) along ``axis``, shifted by the maximum so exp cannot
    overflow."""
    m = x.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.exp(x - m).sum(axis=axis))


def parzen_log_likelihood(x, centres, sigmas, chunk=500):
    """Log density of each row of x under Gaussian Parzen windows, per sigma.

    x: (M, D), centres: (K, D), both pixels in [0, 1]; sigmas: one width or a
    sequence. Returns (M,) for one sigma, else (len(sigmas), M), float64:

        log p(x) = logsumexp_k(-|x - c_k|^2 / (2 s^2)) - log K - D/2 log(2 pi s^2)

    The distances are computed once per chunk of ``chunk`` rows and reused for
    every sigma, which is what makes a grid search over sigma cheap.
    """
    one = np.ndim(sigmas) == 0
    sig = np.atleast_1d(np.asarray(sigmas, dtype=np.float64))
    centres = np.asarray(centres, dtype=np.float64)
    K, D = centres.shape
    out = np.empty((len(sig), len(x)))
    for lo in range(0, len(x), chunk):
        d2 = squared_distances(x[lo : lo + chunk], centres)  # (m, K)
        for i, s in enumerate(sig):
            lse = logsumexp(-d2 / (2 * s * s), axis=1)
            out[i, lo : lo + chunk] = (
                lse - np.log(K) - D / 2 * np.log(2 * np.pi * s * s)
            )
    return out[0] if one else out


def parzen_evaluate(samples, valid, test, sigmas=PARZEN_SIGMAS, chunk=500):
    """Goodfellow et al.'s protocol: pick sigma by mean log likelihood of
    ``valid``, then report the mean and standard error over ``test``.

    All three are (N, D) pixels in [0, 1]. Returns a dict with ``sigma``,
    ``mean``, ``sem`` (standard error of the mean), ``valid_mean`` per sigma.
    """
    on_valid = parzen_log_likelihood(valid, samples, sigmas, chunk).mean(axis=1)
    best = float(np.asarray(sigmas)[int(np.argmax(on_valid))])
    ll = parzen_log_likelihood(test, samples, best, chunk)
    return {
        "sigma": best,
        "mean": float(ll.mean()),
        "sem": float(ll.std(ddof=1) / np.sqrt(len(ll))) if len(ll) > 1 else 0.0,
        "valid_mean": [float(v) for v in on_valid],
        "sigmas": [float(s) for s in np.asarray(sigmas)],
    }


def nearest_neighbours(samples, train, chunk=1000):
    """Index and L2 distance, in pixel space, of each sample's nearest training
    image. samples (M, ...), train (K, ...), any pixel scale, flattened here."""
    a = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    b = np.asarray(train, dtype=np.float64).reshape(len(train), -1)
    best = np.full(len(a), np.inf)
    idx = np.zeros(len(a), dtype=np.int64)
    for lo in range(0, len(b), chunk):
        d2 = squared_distances(a, b[lo : lo + chunk])
        j = d2.argmin(axis=1)
        d = d2[np.arange(len(a)), j]
        better = d < best
        best[better] = d[better]
        idx[better] = j[better] + lo
    return idx, np.sqrt(best)


def mean_pairwise_distance(images):
    """Mean L2 distance between distinct pairs of images (N, ...), any scale.

    A cheap diversity measure: a collapsed generator's samples are near-copies,
    so theirs falls far below that of real digits."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    n = len(x)
    if n < 2:
        return 0.0
    d = np.sqrt(squared_distances(x, x))
    return float(d.sum() / (n * (n - 1)))


def unit_pixels(images):
    """[-1, 1] floats (N, 1, 28, 28) or uint8 (N, 28, 28) -> float64 (N, 784) in
    [0, 1], the scale Parzen windows were fitted on in the paper."""
    x = np.asarray(images)
    if x.dtype == np.uint8:
        flat = x.reshape(len(x), -1).astype(np.float64) / 255
    else:
        flat = (np.clip(x.reshape(len(x), -1).astype(np.float64), -1, 1) + 1) / 2
    return flat


def sample_quality(classifier, images, reference_stats):
    """FD, coverage and score of ``images`` through ``classifier``.

    images: generated (N, 1, 28, 28) in [-1, 1]; reference_stats: (mu, sigma)
    of the reference images' features from ``gaussian_stats``. Returns a flat
    dict: ``fd``, ``covered``, ``kl_uniform``, ``score``, ``histogram``.
    """
    features, probs = classifier.run(images)
    coverage = class_coverage(probs)
    return {
        "fd": frechet_distance(*gaussian_stats(features), *reference_stats),
        "covered": coverage["covered"],
        "kl_uniform": coverage["kl_uniform"],
        "score": classifier_score(probs),
        "histogram": coverage["histogram"],
    }
