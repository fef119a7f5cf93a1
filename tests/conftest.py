"""Shared fixtures, tolerances and helpers for the scratchgan test suite.

Every tolerance used by more than one file lives here, with the reason for its
size. Gradient checks run in float64; comparisons with kernels' references and
with PyTorch run in the dtype the code is used in.
"""

import contextlib

import numpy as np
import pytest

from scratchgan.gradcheck import check_layer
from scratchgan.kernels import conv, elementwise, threads

SEED = 1234

# float64 central differences with h = 1e-5: truncation error ~h**2 = 1e-10 and
# rounding ~1e-16 * |loss| / h ~ 1e-10, both far below this
GRAD_RTOL = 1e-6

# a backward off by a constant factor c gives |1 - c| / (1 + c), e.g. 1/3 for 0.5:
# anything above this is a real mismatch, not rounding
BROKEN_GRAD_MIN = 1e-3

# float32 kernels vs the NumPy reference: the same sums of at most C*K*K products
# taken in another order; ~sqrt(n) * 6e-8 relative, atol for entries that cancel
F32_RTOL = 1e-5
F32_ATOL = 1e-6

# float64 kernels vs the NumPy reference: as above with eps 1.1e-16
F64_RTOL = 1e-12
F64_ATOL = 1e-13

# float64 closed forms computed two ways (losses, optimizers, adjoint identity):
# a few roundings of O(1) numbers apart
EXACT_RTOL = 1e-12

# scratchgan vs PyTorch in float32: different algorithms (im2col + BLAS vs oneDNN)
# sum in different orders, and BatchNorm's backward is arranged differently
TORCH_RTOL = 1e-4
TORCH_ATOL = 1e-5

# activations are fed values at least this far from 0, so that a central
# difference never straddles the kink of ReLU / LeakyReLU
KINK_MARGIN = 0.1


@pytest.fixture
def rng():
    """A fresh, seeded Generator for each test."""
    return np.random.default_rng(SEED)


@pytest.fixture
def torch():
    """The torch module, or a clean skip when PyTorch is not installed."""
    return pytest.importorskip("torch")


def away_from_kink(rng, shape, margin=KINK_MARGIN):
    """float64 values with |x| in [margin, margin + 2) and random signs."""
    magnitude = rng.uniform(margin, margin + 2.0, size=shape)
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def randomize_params(layer, rng):
    """Give every parameter non-trivial values: gamma != 1, beta != 0, b != 0."""
    for name, p in layer.params.items():
        if name == "gamma":
            p[...] = rng.uniform(0.5, 1.5, size=p.shape)
        else:
            p[...] = rng.standard_normal(p.shape)


@contextlib.contextmanager
def kernel_threads(count, split_small=False):
    """Run the block with scratchgan's kernels on ``count`` threads, then restore
    the old count. ``split_small`` splits even tiny arrays between the threads
    (normally a piece must hold enough work to be worth a thread)."""
    before = threads.get_num_threads()
    saved = (threads.MIN_MACS, conv.MIN_VALUES, elementwise.MIN_VALUES)
    threads.set_num_threads(count)
    if split_small:
        threads.MIN_MACS = conv.MIN_VALUES = elementwise.MIN_VALUES = 1
    try:
        yield
    finally:
        threads.MIN_MACS, conv.MIN_VALUES, elementwise.MIN_VALUES = saved
        threads.set_num_threads(before)


def assert_gradients_match(layer, x, rng, training=True):
    """Gradient-check ``layer`` (already float64) at ``x``; return the errors.

    Numerical gradients call the conv kernels thousands of times on tiny arrays;
    handing pieces of those to other threads costs more than it saves. Results do
    not depend on the thread count (see tests/kernels), so the check runs on one.
    """
    with kernel_threads(1):
        errors = check_layer(layer, x, training=training, rng=rng)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= GRAD_RTOL, (
        f"{layer!r}: d{worst} relative error {errors[worst]:.3g} > {GRAD_RTOL} "
        f"(all: {errors})"
    )
    return errors
