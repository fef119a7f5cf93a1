"""How every Numba kernel in scratchgan is compiled: ``@njit(**KERNEL)``.

- nogil: the kernel releases Python's lock while it runs, so the threads of
  ``threads.parallel`` run pieces of it at the same time.
- cache: compiled code is kept under ``__pycache__``; later processes load it
  in well under a second instead of compiling for seconds.
- error_model="numpy": a float division by zero gives inf or nan instead of
  raising. Raising needs a test before every division, and that test stopped
  the compiler from vectorising loops: Adam's update ran at half speed.
"""

KERNEL = {"nogil": True, "cache": True, "error_model": "numpy"}
