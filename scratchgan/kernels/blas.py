"""BLAS's matrix product, callable from Numba code on blocks of flat arrays.

NumPy's ``matmul`` wants whole arrays; the tap kernels (``taps.py``) multiply
hundreds of blocks that start part-way into an array and whose rows are spaced
further apart than they are long, and add the product into what is already
there. BLAS's gemm does all of that in one call, given an offset and a leading
dimension for each operand and beta = 1.

The routines come from SciPy's ``cython_blas`` (the BLAS that SciPy ships). Numba
calls them by a symbol name registered here with LLVM, not by an address, so the
compiled kernels can be cached on disk like any other.
"""

import llvmlite.binding as llvm
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (loads the library the symbols live in)
from numba import njit, types
from numba.extending import get_cython_function_address

from .jit import KERNEL

for _name in ("sgemm", "dgemm"):
    llvm.add_symbol(
        f"scratchgan_{_name}",
        get_cython_function_address("scipy.linalg.cython_blas", _name),
    )

# Fortran gemm: every argument by pointer (transa, transb, m, n, k, alpha, a,
# lda, b, ldb, beta, c, ldc)
_GEMM_SIG = types.void(*([types.voidptr] * 13))
_sgemm = types.ExternalFunction("scratchgan_sgemm", _GEMM_SIG)
_dgemm = types.ExternalFunction("scratchgan_dgemm", _GEMM_SIG)

_N, _T = ord("N"), ord("T")


@njit(**KERNEL)
def gemm(trans_a, trans_b, M, N, K, A, a_off, lda, B, b_off, ldb, beta, C, c_off, ldc):
    """C = op(A) @ op(B) + beta * C on row-major blocks of flat arrays.

    A, B, C: 1-D float32 or float64 arrays, all of one dtype. A block starts at
    its offset and its rows lie ``lda`` (``ldb``, ``ldc``) values apart. op(A) is
    (M, K): the block itself, or with ``trans_a`` the transpose of the (K, M)
    block stored there; op(B) is (K, N) likewise; C's block is (M, N).
    """
    # BLAS reads column-major, where a row-major block is its own transpose. So
    # it is asked for C^T = op(B)^T @ op(A)^T: the same numbers, operands swapped.
    ints = np.empty(6, np.int32)
    ints[0] = N
    ints[1] = M
    ints[2] = K
    ints[3] = ldb
    ints[4] = lda
    ints[5] = ldc
    flags = np.empty(2, np.uint8)
    flags[0] = _T if trans_b else _N
    flags[1] = _T if trans_a else _N
    scalars = np.empty(2, C.dtype)
    scalars[0] = 1
    scalars[1] = beta
    fa, fb = flags[0:].ctypes, flags[1:].ctypes
    m, n, k = ints[0:].ctypes, ints[1:].ctypes, ints[2:].ctypes
    ldb_, lda_, ldc_ = ints[3:].ctypes, ints[4:].ctypes, ints[5:].ctypes
    one, b = scalars[0:].ctypes, scalars[1:].ctypes
    a_, b_, c_ = A[a_off:].ctypes, B[b_off:].ctypes, C[c_off:].ctypes
    if C.itemsize == 4:
        _sgemm(fa, fb, m, n, k, one, b_, ldb_, a_, lda_, b, c_, ldc_)
    else:
        _dgemm(fa, fb, m, n, k, one, b_, ldb_, a_, lda_, b, c_, ldc_)
