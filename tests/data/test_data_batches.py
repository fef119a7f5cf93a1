"""Shuffled minibatch indices: coverage, drop_last policy, determinism."""

import numpy as np
import pytest

from scratchgan.data import iterate_minibatches
from scratchgan.errors import DataError


def test_drop_last_gives_full_distinct_batches():
    batches = list(iterate_minibatches(10, 3, np.random.default_rng(0)))

    assert [len(b) for b in batches] == [3, 3, 3]
    seen = np.concatenate(batches)
    assert len(np.unique(seen)) == 9 and seen.max() < 10


def test_keep_last_covers_every_index_once():
    batches = list(iterate_minibatches(10, 3, np.random.default_rng(0), False))

    assert [len(b) for b in batches] == [3, 3, 3, 1]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))


def test_same_seed_same_batches_new_epoch_new_order():
    def epoch(rng):
        return np.concatenate(list(iterate_minibatches(50, 10, rng)))

    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    first_a, first_b = epoch(rng_a), epoch(rng_b)

    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, epoch(rng_a))


def test_exact_multiple_has_no_short_batch():
    batches = list(iterate_minibatches(8, 4, np.random.default_rng(0), False))
    assert [len(b) for b in batches] == [4, 4]


def test_batch_larger_than_data_with_drop_last():
    with pytest.raises(DataError, match="batch_size=64"):
        list(iterate_minibatches(10, 64, np.random.default_rng(0)))


def test_needs_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        list(iterate_minibatches(10, 2, np.random.RandomState(0)))
