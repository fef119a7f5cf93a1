"""The shared thread pool: how work is split, that it really runs on several
threads, that errors come back, and the split matrix product."""

import threading

import numpy as np
import pytest

from scratchgan.kernels import threads
from tests.conftest import kernel_threads


@pytest.mark.parametrize(
    "total, parts, grain",
    [(10, 3, 1), (128, 2, 1), (7, 4, 2), (5, 8, 1), (100, 2, 64), (1, 2, 1)],
)
def test_pieces_cover_the_range_once_on_grain_boundaries(total, parts, grain):
    got = threads.pieces(total, parts, grain)

    covered = [i for a, b in got for i in range(a, b)]
    assert covered == list(range(total))
    assert len(got) <= parts
    assert all(a % grain == 0 for a, _ in got)


def test_pieces_of_nothing_is_empty():
    assert threads.pieces(0, 2) == []


def test_parallel_runs_pieces_on_different_threads():
    seen = []

    def record(a, b):
        seen.append((a, b, threading.get_ident()))
        return b - a

    with kernel_threads(2):
        sizes = threads.parallel(record, 100)

    assert sizes == [50, 50]
    assert len({ident for _, _, ident in seen}) == 2


def test_parallel_keeps_small_jobs_on_the_calling_thread():
    seen = []
    with kernel_threads(2):
        threads.parallel(lambda a, b: seen.append(threading.get_ident()), 10, 1, 64)

    assert seen == [threading.get_ident()]


def test_parallel_raises_an_error_from_any_piece():
    def fail_on_second(a, b):
        if a > 0:
            raise ValueError("second piece")

    with kernel_threads(2), pytest.raises(ValueError, match="second piece"):
        threads.parallel(fail_on_second, 10)


@pytest.mark.parametrize(
    "shape",
    [(300, 40, 20), (20, 40, 300), (50, 1, 70), (20, 5000, 30)],
    ids=["rows", "cols", "outer", "long-k"],
)
def test_matmul_matches_numpy_on_any_split(shape):
    M, K, N = shape
    rng = np.random.default_rng(7)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)

    with kernel_threads(1):
        one = threads.matmul(a, b)
    with kernel_threads(2, split_small=True):
        two = threads.matmul(a, b, out=np.empty((M, N), np.float32))

    # float32 sums of K products of unit normals, in another order: rounding
    # grows like sqrt(K)
    atol = 1e-5 * np.sqrt(K)
    np.testing.assert_allclose(one, a @ b, rtol=1e-5, atol=atol)
    np.testing.assert_allclose(two, a @ b, rtol=1e-5, atol=atol)


def test_set_num_threads_rejects_nonsense():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            threads.set_num_threads(bad)
