#!/usr/bin/env python3
"""Times scipy.stats.betabinom two-sided p-values for bench/stats.cases.ts, single-threaded.

Usage: python3 bench/py/stats_ref.py N J SEED [SUB]  → prints one JSON object
{"betabinom p-values": {median, p25, p75, samples}} in seconds per call for N×J cells.
Inputs follow the distributions of the WebAssembly case: n ~ Poisson(Gamma(shape 2, mean 50))
(negative-binomial, mean 50), mu ~ U(0.05, 0.95) per cell, rho log-uniform in (0.01, 0.1) per
junction, k ~ beta-binomial(n, mu, rho). p = min(1, 2·min(cdf(k), sf(k−1))) with scipy's
vectorised betabinom.cdf / betabinom.sf. scipy is slow here, so with SUB < N·J it is timed on the
first SUB cells and scaled to N·J (linear in cells; the scaling is written in the output).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import timeit  # noqa: E402  (pins BLAS threads before numpy loads)
import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import stats  # noqa: E402

N, J, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sub = int(sys.argv[4]) if len(sys.argv) > 4 else N * J
rng = np.random.default_rng(seed)
n = rng.poisson(rng.gamma(2.0, 25.0, size=(N, J))).astype(float)
mu = rng.uniform(0.05, 0.95, size=(N, J))
rho = np.exp(rng.uniform(np.log(0.01), np.log(0.1), size=J))[None, :] * np.ones((N, 1))
a = mu * (1 - rho) / rho
b = (1 - mu) * (1 - rho) / rho
k = rng.binomial(n.astype(np.int64), rng.beta(a, b)).astype(float)
k, n, a, b = (x.ravel()[:sub] for x in (k, n, a, b))


def pvals():
    d = stats.betabinom(n, a, b)
    return np.minimum(1.0, 2.0 * np.minimum(d.cdf(k), d.sf(k - 1)))


t = timeit(pvals, budget=0.5, min_samples=3)
scale = (N * J) / sub
out = {
    "betabinom p-values": {key: (v * scale if key != "samples" else v) for key, v in t.items()},
    "_scaled_from_cells": sub,
    "_versions": {"numpy": np.__version__, "scipy": scipy.__version__, "python": sys.version.split()[0]},
}
print(json.dumps(out))
