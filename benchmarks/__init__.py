"""Benchmarks for scratchgan (not part of the installed package)."""
