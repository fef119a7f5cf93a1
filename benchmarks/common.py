"""Helpers shared by the benchmarks: flag checks, thread limits, timing, machine
info."""

import argparse
import datetime
import os
import platform
import time

import numpy as np

from scratchgan.cli import parsed, path_arg
from scratchgan.kernels.threads import available_cores


def batch_size(text):
    """A batch of 2 to 65,536 images: BatchNorm needs two values per feature,
    and a larger batch would not fit in memory."""
    return parsed(text, int, lambda v: 2 <= v <= 65536, "an integer in [2, 65536]")


def check_threads(parser, counts):
    """Refuse a thread count above the cores this process may run on, worded as
    scratchgan's own train command words it (``scratchgan.cli.set_threads``):
    more threads than cores only time the scheduler."""
    cores = available_cores()
    for n in counts:
        if n > cores:
            parser.error(f"--threads {n}: this machine has {cores} cores")


def output_file(suffix=None):
    """An argparse type for a file written after the benchmark has run: checked
    now, so that a typo in the folder does not throw away minutes of timings."""

    def check(text):
        path = path_arg(text)
        if suffix and not path.lower().endswith(suffix):
            raise argparse.ArgumentTypeError(f"{path}: must end in {suffix}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.exists(folder):
            raise argparse.ArgumentTypeError(f"{path}: folder {folder} does not exist")
        if not os.path.isdir(folder):
            raise argparse.ArgumentTypeError(f"{path}: {folder} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"{path}: cannot write in {folder}")
        if os.path.isdir(path):
            raise argparse.ArgumentTypeError(f"{path}: is a folder, expected a file")
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f"{path}: file is not writable")
        return path

    return check


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
