"""Measuring a generator: sample-quality measures, training alarms, their curves.

- ``measures``: FD, class coverage, classifier score, Parzen windows, nearest
  neighbours, diversity (all NumPy; see that module's docstring);
- ``alarms``: the checks that flag mode collapse, a vanishing generator gradient
  and divergence during training;
- ``curves``: the training-curves figure with gradient norms and quality.

The measures are re-exported here: ``from scratchgan import metrics;
metrics.frechet_distance(...)``.
"""

from .measures import (
    COVERAGE_SHARE,
    PARZEN_SIGMAS,
    class_coverage,
    classifier_score,
    frechet_distance,
    frechet_distance_of,
    gaussian_stats,
    logsumexp,
    mean_pairwise_distance,
    nearest_neighbours,
    parzen_evaluate,
    parzen_log_likelihood,
    sample_quality,
    sqrtm_psd,
    squared_distances,
    unit_pixels,
)

__all__ = [
    "COVERAGE_SHARE",
    "PARZEN_SIGMAS",
    "class_coverage",
    "classifier_score",
    "frechet_distance",
    "frechet_distance_of",
    "gaussian_stats",
    "logsumexp",
    "mean_pairwise_distance",
    "nearest_neighbours",
    "parzen_evaluate",
    "parzen_log_likelihood",
    "sample_quality",
    "sqrtm_psd",
    "squared_distances",
    "unit_pixels",
]
