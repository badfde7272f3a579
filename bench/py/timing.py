"""Shared timing helper for the Python reference rows: single-threaded BLAS, medians and quartiles.

Import this module before numpy: it pins the BLAS/OpenMP thread pools to one thread so that the
comparison with the single-threaded WebAssembly kernels is like for like.
"""
import os
import time

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"


def timeit(fn, budget=0.5, min_samples=10):
    """Seconds per call of fn: {median, p25, p75, samples} after one warm-up call."""
    fn()
    ts = []
    t_end = time.perf_counter() + budget
    while time.perf_counter() < t_end or len(ts) < min_samples:
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()

    def q(f):
        return ts[min(len(ts) - 1, int(f * len(ts)))]

    return {"median": q(0.5), "p25": q(0.25), "p75": q(0.75), "samples": len(ts)}
