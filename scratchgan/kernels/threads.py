"""The threads every parallel kernel shares, and the matrix product that uses them.

scratchgan runs its work on one small pool of Python threads. A parallel kernel
is a Numba function compiled with ``nogil=True`` (it releases the GIL while it
runs) that works on one piece of the data: a slice of the batch, a range of
channels, a block of rows of a matrix product. ``parallel`` hands one piece to
each thread and waits; the calling thread does the first piece itself.

Why not Numba's ``prange`` and OpenBLAS's own threads: each of those pools keeps
its idle threads spinning for a while after it finishes, and a training step
alternates between the two hundreds of times. On the 2-core benchmark machine
the spinners of one pool took the cores the other needed, and a step took 1.8x
as long as with the same work split this way (729 ms against 404 ms measured
with OpenBLAS told to stop spinning, which only an environment variable set
before NumPy is imported can do). Idle threads here block on a queue instead.

So BLAS itself must run on one thread: ``set_num_threads`` (and the first
parallel call, if nobody called it) limits every BLAS library in the process to
one thread, for the life of the process, through threadpoolctl. Matrix products
that should use every core go through ``matmul`` below, which splits them.

Every piece writes its own cells, and where the pieces fall depends only on the
shapes and the thread count, so a run repeats bit for bit on the same number of
threads. Loop kernels give the same bits on any number of threads; a product
split into smaller BLAS calls may differ in the last bits, because BLAS may sum
a small product in another order than a large one.
"""

import os
import threading

import numpy as np


class Crew:
    """``size`` worker threads, each running one piece of a job at a time.

    A worker sleeps on its own lock until handed a piece; handing one over and
    collecting it costs two lock releases, a fraction of what a general task
    queue (concurrent.futures) costs, which matters at a hundred jobs a step.
    One caller at a time: a call made while a job is running (from another
    thread, or from inside a piece) runs its pieces on the calling thread.
    """

    def __init__(self, size):
        self.size = size
        self.jobs = [None] * size
        self.go = [threading.Lock() for _ in range(size)]
        self.done = [threading.Lock() for _ in range(size)]
        self.busy = threading.Lock()
        for lock in self.go + self.done:
            lock.acquire()
        self.workers = [
            threading.Thread(target=self._work, args=(i,), daemon=True)
            for i in range(size)
        ]
        for worker in self.workers:
            worker.start()

    def _work(self, i):
        while True:
            self.go[i].acquire()
            job = self.jobs[i]
            if job is None:
                return
            fn, a, b = job
            try:
                self.jobs[i] = (fn(a, b), None)
            except BaseException as error:  # handed back to the caller
                self.jobs[i] = (None, error)
            self.done[i].release()

    def run(self, fn, todo):
        """[fn(a, b) for (a, b) in todo], the first on the calling thread and
        the rest (at most ``size``) on the workers, all at once."""
        if len(todo) > self.size + 1 or not self.busy.acquire(blocking=False):
            return [fn(a, b) for a, b in todo]
        try:
            for i, (a, b) in enumerate(todo[1:]):
                self.jobs[i] = (fn, a, b)
                self.go[i].release()
            outcomes = []
            try:
                outcomes.append((fn(*todo[0]), None))
            except BaseException as error:
                outcomes.append((None, error))
            for i in range(len(todo) - 1):
                self.done[i].acquire()
                outcomes.append(self.jobs[i])
        finally:
            self.busy.release()
        for _, error in outcomes:
            if error is not None:
                raise error
        return [result for result, _ in outcomes]

    def shutdown(self):
        with self.busy:
            for i in range(self.size):
                self.jobs[i] = None
                self.go[i].release()
            for worker in self.workers:
                worker.join()


_lock = threading.Lock()
_state = {"threads": None, "pool": None, "blas": None}


def available_cores():
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def set_num_threads(n):
    """Run parallel kernels on ``n`` threads (the caller's included)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"threads must be a positive int, got {n!r}")
    with _lock:
        _limit_blas()
        if _state["threads"] != n:
            old = _state["pool"]
            _state["threads"] = int(n)
            # the caller runs one piece, so the pool needs one thread fewer
            _state["pool"] = Crew(n - 1) if n > 1 else None
            if old is not None:
                old.shutdown()


def get_num_threads():
    """The number of threads parallel kernels use (all cores unless set)."""
    if _state["threads"] is None:
        set_num_threads(available_cores())
    return _state["threads"]


def _limit_blas():
    # kept for the life of the process: a limiter that is garbage-collected
    # does not undo its limit, but keeping it documents that it is meant
    if _state["blas"] is None:
        # SciPy's BLAS (which the tap kernels call, see blas.py) is loaded
        # first, so that the limit reaches it too
        import scipy.linalg.cython_blas  # noqa: F401
        from threadpoolctl import threadpool_limits

        _state["blas"] = threadpool_limits(limits=1, user_api="blas")


def pieces(total, parts, grain=1):
    """Split range(total) into at most ``parts`` contiguous (start, stop) pairs.

    Boundaries fall on multiples of ``grain`` (so a piece never splits a group of
    ``grain`` items, e.g. the rows of one image) and pieces differ by at most one
    grain.
    """
    groups = -(-total // grain)
    parts = max(1, min(parts, groups))
    bounds = [min(total, (groups * i // parts) * grain) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def parallel(fn, total, grain=1, min_items=1):
    """Call ``fn(start, stop)`` once per piece of range(total), on all threads.

    Each piece holds at least ``min_items`` items, so a small job runs on the
    calling thread alone (waking a thread costs tens of microseconds). Returns
    ``fn``'s results in piece order. An exception in any piece is raised here,
    after every piece has finished.
    """
    parts = min(get_num_threads(), max(1, total // max(1, min_items)))
    todo = pieces(total, parts, grain)
    pool = _state["pool"]
    if len(todo) == 1 or pool is None:
        return [fn(a, b) for a, b in todo]
    return pool.run(fn, todo)


# a product smaller than this many multiply-adds per thread is not split
MIN_MACS = 1 << 21


def matmul(a, b, out=None):
    """a @ b for 2-D arrays, written into ``out`` if given, on all threads.

    a: (M, K), b: (K, N) -> (M, N). Splits the rows of ``a`` (or, when N is the
    larger side, the columns of ``b``), each piece one single-threaded BLAS call
    over the whole of K; a small result of a long sum splits K instead.
    """
    M, K = a.shape
    N = b.shape[1]
    if out is None:
        out = np.empty((M, N), dtype=np.result_type(a, b))
    if K == 1:
        # an outer product: BLAS takes ten times longer than a broadcast multiply
        # for the discriminator's last layer (128 x 1 times 1 x 6272)
        return np.multiply(a, b, out=out)
    if M * N * 64 <= K * max(M, N) and K >= MIN_MACS // max(1, M * N):
        # a long sum into a small result (the thin layers' weight gradients,
        # e.g. (25, 25088) @ (25088, 64)): each thread sums a slice of K, and
        # the partial products are added in slice order
        def slice_of_k(i, j):
            return a[:, i:j] @ b[i:j]

        partials = parallel(slice_of_k, K, 64, max(1, MIN_MACS // max(1, M * N)))
        out[...] = partials[0]
        for partial in partials[1:]:
            out += partial
        return out
    macs_per_item = K * min(M, N)
    min_items = -(-MIN_MACS // max(1, macs_per_item))
    if M >= N:

        def rows(i, j):
            np.matmul(a[i:j], b, out=out[i:j])

        parallel(rows, M, 8, min_items)
    else:

        def columns(i, j):
            np.matmul(a, b[:, i:j], out=out[:, i:j])

        parallel(columns, N, 16, min_items)
    return out
