"""Helpers shared by the benchmarks: thread limits, timing, machine info."""

import datetime
import os
import platform
import time

import numpy as np


def set_threads(n):
    """Run scratchgan's kernels and (if installed) torch on ``n`` threads.

    scratchgan limits the BLAS under NumPy to one thread itself and splits its
    products between its own threads (see ``scratchgan.kernels.threads``).
    """
    from scratchgan.kernels.threads import set_num_threads

    set_num_threads(n)
    torch = optional_torch()
    if torch is not None:
        torch.set_num_threads(n)


def optional_torch():
    """The torch module, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info():
    """CPU, core count, library versions, BLAS kernels and the date, as a dict."""
    import numba
    from threadpoolctl import threadpool_info

    torch = optional_torch()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "torch": None if torch is None else torch.__version__,
        "blas": [
            {k: info.get(k) for k in ("internal_api", "architecture", "version")}
            | {"num_threads": info.get("num_threads")}
            for info in threadpool_info()
        ],
        "env": {
            k: os.environ[k]
            for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")
            if k in os.environ
        },
    }


def summarize(times_s):
    """Median, quartiles, min and max of a list of seconds, in milliseconds."""
    ms = np.asarray(times_s) * 1000.0
    q1, med, q3 = np.percentile(ms, [25, 50, 75])
    return {
        "median_ms": float(med),
        "q1_ms": float(q1),
        "q3_ms": float(q3),
        "min_ms": float(ms.min()),
        "max_ms": float(ms.max()),
        "n": int(ms.size),
    }


def time_alternating(fns, repeats, warmup):
    """Run each callable of ``fns`` (a dict name -> fn) in turn, A, B, A, B, ...

    The first ``warmup`` rounds are run and dropped (JIT compilation, allocator
    and BLAS buffers settle there). Alternating spreads any drift in machine load
    evenly over the contenders. Returns name -> list of seconds.
    """
    times = {name: [] for name in fns}
    for i in range(warmup + repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                times[name].append(elapsed)
    return times
