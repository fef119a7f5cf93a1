"""Pieces the command-line entry points share: argument checks and error exits."""

import argparse
import logging
import sys

from .errors import ScratchganError, escape_newlines


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line on stderr and exits with 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def parsed(text, kind, ok, requirement):
    """``kind(text)`` if that parses and satisfies ``ok``; else a flag error."""
    noun = "an integer" if kind is int else "a number"
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"must be {requirement}, got {text!r}")
    return value


def positive_int(text):
    return parsed(text, int, lambda v: v > 0, "a positive integer")


def non_negative_int(text):
    return parsed(text, int, lambda v: v >= 0, ">= 0")


def positive_float(text):
    # NaN fails every comparison, so it is refused here too
    return parsed(text, float, lambda v: 0 < v < float("inf"), "a positive number")


def unit_interval(text):
    """A float in [0, 1)."""
    return parsed(text, float, lambda v: 0 <= v < 1, "in [0, 1)")


# the most images a command generates at once: 78 MB of uint8 digits, and
# more adds nothing to a metric's precision; a larger count is surely a typo
MAX_SAMPLES = 100_000


def sample_count(text):
    """A number of images, from 1 to MAX_SAMPLES."""
    return parsed(
        text,
        int,
        lambda v: 0 < v <= MAX_SAMPLES,
        f"a positive integer up to {MAX_SAMPLES:,}",
    )


def path_arg(text):
    """A file or folder name; an empty one is refused rather than read as
    "not given"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    return text


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
    """Print ``error`` as one line on stderr and return ``status`` (a line break
    inside it, which a path may hold, is written as \\n)."""
    sys.stderr.write(f"{prog}: error: {escape_newlines(str(error))}\n")
    return status


def set_threads(n):
    """Run scratchgan's kernels and matrix products on ``n`` threads."""
    from .kernels.threads import available_cores, set_num_threads

    cores = available_cores()
    if n > cores:
        raise ScratchganError(f"--threads {n}: this machine has {cores} cores")
    set_num_threads(n)
