"""Pieces the command-line entry points share: argument checks and error exits."""

import argparse
import logging
import sys

from .errors import ScratchganError


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line on stderr and exits with 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def unit_interval(text):
    """A float in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text!r}")
    return value


def digit_list(text):
    """'0,3,7' -> (0, 3, 7)."""
    try:
        digits = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected digits separated by commas, got {text!r}"
        ) from None
    if not digits or any(not 0 <= d <= 9 for d in digits):
        raise argparse.ArgumentTypeError(f"expected digits 0-9, got {text!r}")
    return digits


class StdoutHandler(logging.StreamHandler):
    """A log handler that writes to whatever ``sys.stdout`` is when a message
    comes, so a replaced stdout (a test's capture, a pipe) is always honoured."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def setup_logging():
    """Send the package's INFO messages (data source, counts) to stdout."""
    logger = logging.getLogger("scratchgan")
    if not any(isinstance(h, StdoutHandler) for h in logger.handlers):
        handler = StdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def fail(prog, error, status=2):
    """Print ``error`` as one line on stderr and return ``status``."""
    sys.stderr.write(f"{prog}: error: {error}\n")
    return status


def set_threads(n):
    """Use ``n`` threads in Numba's kernels and in BLAS; returns the BLAS limiter
    (keep it alive for the limit to hold)."""
    import numba
    from threadpoolctl import threadpool_limits

    if n > numba.config.NUMBA_NUM_THREADS:
        raise ScratchganError(
            f"--threads {n}: more than the {numba.config.NUMBA_NUM_THREADS} "
            "threads Numba has"
        )
    numba.set_num_threads(n)
    return threadpool_limits(n)
