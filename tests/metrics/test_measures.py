"""The sample-quality measures against closed forms."""

import math

import numpy as np
import pytest

from scratchgan import metrics


def test_frechet_distance_of_a_set_with_itself_is_zero(rng):
    f = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))  # correlated
    assert metrics.frechet_distance_of(f, f) == pytest.approx(0, abs=1e-9)


def test_frechet_distance_of_diagonal_gaussians(rng):
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    s1, s2 = rng.uniform(0.1, 3, size=6), rng.uniform(0.1, 3, size=6)

    d2 = metrics.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))

    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    np.testing.assert_allclose(d2, expected, rtol=1e-10)


def test_frechet_distance_is_rotation_invariant_and_symmetric(rng):
    # with full covariances S1 S2 is not symmetric, the case the R S2 R trick is for
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    s1, s2 = a @ a.T, b @ b.T
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))

    d = metrics.frechet_distance(mu1, s1, mu2, s2)

    assert d > 0
    np.testing.assert_allclose(metrics.frechet_distance(mu2, s2, mu1, s1), d)
    rotated = metrics.frechet_distance(q @ mu1, q @ s1 @ q.T, q @ mu2, q @ s2 @ q.T)
    np.testing.assert_allclose(rotated, d, rtol=1e-9)
    # 1-D check of the trace term: sqrt(s1 s2) for scalars
    assert metrics.frechet_distance([0], [[4.0]], [0], [[1.0]]) == pytest.approx(1)


def one_hot(labels, c=10):
    return np.eye(c)[labels]


def test_coverage_and_score_of_a_balanced_set():
    probs = one_hot(np.arange(1000) % 10)

    cov = metrics.class_coverage(probs)

    assert cov["covered"] == 10
    assert cov["kl_uniform"] == pytest.approx(0, abs=1e-12)
    assert cov["histogram"] == [0.1] * 10
    assert metrics.classifier_score(probs) == pytest.approx(10)


def test_coverage_and_score_of_a_collapsed_set():
    probs = one_hot(np.full(500, 3))

    cov = metrics.class_coverage(probs)

    assert cov["covered"] == 1
    assert cov["kl_uniform"] == pytest.approx(math.log(10))
    assert metrics.classifier_score(probs) == pytest.approx(1)


def test_coverage_share_threshold():
    # 2% threshold: 1 of 100 samples does not cover its digit, 2 of 100 do
    labels = np.array([0] * 97 + [1] * 2 + [2])
    assert metrics.class_coverage(labels)["covered"] == 2


def test_score_of_uncertain_predictions_is_one():
    # every sample says "could be anything": no information, score 1
    assert metrics.classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1)


def test_parzen_with_one_centre_is_the_gaussian_log_density(rng):
    centre = rng.uniform(size=(1, 784))
    x = rng.uniform(size=(7, 784))
    sigma = 0.2

    ll = metrics.parzen_log_likelihood(x, centre, sigma, chunk=3)

    d2 = np.sum((x - centre) ** 2, axis=1)
    expected = -d2 / (2 * sigma**2) - 784 / 2 * np.log(2 * np.pi * sigma**2)
    np.testing.assert_allclose(ll, expected, rtol=1e-10)


def test_parzen_mixture_of_two_centres(rng):
    c = rng.uniform(size=(2, 3))
    x = rng.uniform(size=(4, 3))
    s = 0.5

    ll = metrics.parzen_log_likelihood(x, c, [s, 2 * s])

    def density(v, sigma):
        g = [np.exp(-np.sum((v - ck) ** 2) / (2 * sigma**2)) for ck in c]
        return np.mean(g) / (2 * np.pi * sigma**2) ** 1.5

    assert ll.shape == (2, 4)
    for j, sigma in enumerate([s, 2 * s]):
        expected = [np.log(density(v, sigma)) for v in x]
        np.testing.assert_allclose(ll[j], expected, rtol=1e-10)


def test_parzen_evaluate_picks_the_sigma_that_fits_validation(rng):
    # samples and held-out points from one Gaussian of std 0.1 in 2-D: the best
    # window is narrower than the data's spread, and far from the grid's ends
    samples = rng.normal(0, 0.1, size=(2000, 2))
    valid = rng.normal(0, 0.1, size=(300, 2))
    test = rng.normal(0, 0.1, size=(300, 2))
    sigmas = np.logspace(-3, 0, 13)

    out = metrics.parzen_evaluate(samples, valid, test, sigmas)

    assert 0.01 < out["sigma"] < 0.1
    assert out["sem"] > 0 and np.isfinite(out["mean"])


def test_nearest_neighbours_finds_copies(rng):
    train = rng.uniform(size=(2500, 20))
    picks = np.array([5, 1999, 2400])
    samples = train[picks] + 1e-3

    idx, dist = metrics.nearest_neighbours(samples, train, chunk=1000)

    np.testing.assert_array_equal(idx, picks)
    np.testing.assert_allclose(dist, np.sqrt(20) * 1e-3, rtol=1e-6)


def test_mean_pairwise_distance():
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    # pairs: 5, 0, 5 -> mean 10 / 3
    assert metrics.mean_pairwise_distance(x) == pytest.approx(10 / 3)
    assert metrics.mean_pairwise_distance(np.ones((10, 4))) == pytest.approx(0)


def test_unit_pixels_maps_both_encodings_to_unit_interval():
    u8 = np.array([[[0, 255]]], dtype=np.uint8)
    f = np.array([[[[-1.0, 1.0]]]], dtype=np.float32)
    np.testing.assert_array_equal(metrics.unit_pixels(u8), [[0.0, 1.0]])
    np.testing.assert_array_equal(metrics.unit_pixels(f), [[0.0, 1.0]])
