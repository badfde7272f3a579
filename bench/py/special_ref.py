#!/usr/bin/env python3
"""Times scipy/numpy special functions per element for bench/special.cases.ts, single-threaded.

Usage: python3 bench/py/special_ref.py N SEED  → prints one JSON object mapping a function name to
{median, p25, p75, samples} seconds per call over N elements. Inputs follow the same distributions
as the WebAssembly cases (log-uniform in (1e-3, 1e3); counts k uniform in 0..20).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import timeit  # noqa: E402  (pins BLAS threads before numpy loads)
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.special as sp  # noqa: E402

n = int(sys.argv[1])
rng = np.random.default_rng(int(sys.argv[2]))
x = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), n))
k = np.floor(rng.uniform(0, 21, n))
u = rng.uniform(-30, 30, n)
p = rng.uniform(1e-6, 1 - 1e-6, n)
e = rng.uniform(-700, 700, n)


out = {
    "lgamma": timeit(lambda: sp.gammaln(x)),
    "digamma": timeit(lambda: sp.digamma(x)),
    "trigamma": timeit(lambda: sp.polygamma(1, x)),
    "lgamma+digamma": timeit(lambda: (sp.gammaln(x), sp.digamma(x))),
    "lgammaDiff": timeit(lambda: sp.gammaln(x + k) - sp.gammaln(x)),
    "digammaDiff": timeit(lambda: sp.digamma(x + k) - sp.digamma(x)),
    "exp": timeit(lambda: np.exp(e)),
    "log": timeit(lambda: np.log(x)),
    "log1p": timeit(lambda: np.log1p(x)),
    "sigmoid": timeit(lambda: sp.expit(u)),
    "logit": timeit(lambda: sp.logit(p)),
    "log1pexp": timeit(lambda: np.logaddexp(0, u)),
    "_versions": {"numpy": np.__version__, "scipy": scipy.__version__, "python": sys.version.split()[0]},
}
print(json.dumps(out))
