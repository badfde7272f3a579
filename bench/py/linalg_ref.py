#!/usr/bin/env python3
"""Times numpy.linalg for bench/linalg.cases.ts, single-threaded BLAS/LAPACK.

Usage: python3 bench/py/linalg_ref.py → prints one JSON object mapping a case name to
{median, p25, p75, samples} seconds per call. Sizes match the WebAssembly cases.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import timeit  # noqa: E402  (pins BLAS threads before numpy loads)
import numpy as np  # noqa: E402

rng = np.random.default_rng(1)


def spd(n):
    s = rng.standard_normal((n, n))
    return s @ s.T + n * np.eye(n)


a1024, b1024 = rng.standard_normal((1024, 1024)), rng.standard_normal((1024, 1024))
a256, b256 = rng.standard_normal((256, 256)), rng.standard_normal((256, 256))
g = rng.standard_normal((1024, 1024))
x = rng.standard_normal(1024)
s512 = spd(512)
sym = rng.standard_normal((400, 400))
sym = (sym + sym.T) / 2
wide = rng.standard_normal((200, 20000))

out = {
    "gemm1024": timeit(lambda: a1024 @ b1024, budget=3),
    "gemm256": timeit(lambda: a256 @ b256),
    "gemv1024": timeit(lambda: g @ x),
    "cholesky512": timeit(lambda: np.linalg.cholesky(s512)),
    "eigvalsh400": timeit(lambda: np.linalg.eigvalsh(sym), budget=1),
    "eigh400": timeit(lambda: np.linalg.eigh(sym), budget=1),
    "svd200x20000": timeit(lambda: np.linalg.svd(wide, full_matrices=False), budget=2, min_samples=3),
}
print(json.dumps(out))
