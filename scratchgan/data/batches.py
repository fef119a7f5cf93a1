"""Shuffled minibatch indices, driven by an explicit random generator."""

import numpy as np

from scratchgan.errors import DataError


def iterate_minibatches(n, batch_size, rng, drop_last=True):
    """Yield the index batches of one epoch over `n` items, in a fresh random order.

    Use as `for idx in iterate_minibatches(len(x), 64, rng): step(x[idx])`.

    Parameters
    ----------
    n : int
        Number of items.
    batch_size : int
    rng : np.random.Generator
        The only source of randomness, so a seeded run repeats exactly.
    drop_last : bool
        True (the default): skip the last n % batch_size items, so every batch has
        exactly `batch_size` rows. BatchNorm's batch statistics get noisy on a tiny
        last batch, and fixed shapes keep timings even. The skipped items differ
        each epoch, so none is left out for good. False: the last batch is short.

    Yields
    ------
    idx : int64 array of shape (batch_size,), or shorter for the last batch
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a np.random.Generator, got {type(rng).__name__} "
            "(use np.random.default_rng(seed))"
        )
    if batch_size < 1:
        raise DataError(f"batch_size={batch_size}: must be at least 1")
    if drop_last and n < batch_size:
        raise DataError(
            f"batch_size={batch_size} is larger than the {n:,} images, "
            "so no full batch fits (drop_last=True)"
        )

    # one permutation per epoch; slicing it keeps each batch distinct
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]
