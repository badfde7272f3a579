#!/usr/bin/env python3
"""Times the FRASER objective in numpy/scipy for bench/fraser.cases.ts, single-threaded BLAS.

Usage: python3 bench/py/fraser_ref.py DIR N J q → prints one JSON object mapping a case name to
{median, p25, p75, samples} seconds per call. DIR holds the inputs written by the TS side as raw
little-endian arrays: k.bin, n.bin (uint32, N×J), x.bin (N×J), E.bin, D.bin (J×q), b.bin, rho.bin
(J), all float64 except the counts. The maths is the same as src/models/fraser/objective.ts, with
scipy.special.gammaln/digamma vectorised over all cells (lnΓ and ψ differences, no count
differences): this is what a user would write in Python.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import timeit  # noqa: E402  (pins BLAS threads before numpy loads)
import numpy as np  # noqa: E402
from scipy.special import digamma, expit, gammaln, polygamma  # noqa: E402

d, N, J, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])


def load(name, dtype, shape):
    return np.fromfile(os.path.join(d, name + ".bin"), dtype=dtype).reshape(shape)


k = load("k", np.uint32, (N, J)).astype(np.float64)
n = load("n", np.uint32, (N, J)).astype(np.float64)
x = load("x", np.float64, (N, J))
E = load("E", np.float64, (J, q))
D = load("D", np.float64, (J, q))
b = load("b", np.float64, (J,))
rho = load("rho", np.float64, (J,))
a = np.clip((1 - rho) / rho, np.exp(-30), np.exp(30))
m = n - k
live = n > 0


def cells(Y, a, k, m, live, grad=True):
    mu, omu = expit(Y), expit(-Y)
    al, be = mu * a, omu * a
    loss = np.where(live, gammaln(al) + gammaln(be) - gammaln(al + k) - gammaln(be + m), 0.0)
    if not grad:
        return loss, None
    g = np.where(live, a * mu * omu * (digamma(al) - digamma(al + k) - digamma(be) + digamma(be + m)), 0.0)
    return loss, g


def encoder():
    H = x @ E
    Y = H @ D.T + b
    loss, g = cells(Y, a, k, m, live)
    s = 1.0 / (N * J)
    gE = x.T @ ((g * s) @ D)
    return loss.sum() * s, gE


def nll_only():
    Y = x @ E @ D.T + b
    loss, _ = cells(Y, a, k, m, live, grad=False)
    return loss.sum() / (N * J)


H = x @ E


def decoder_all():
    Y = H @ D.T + b
    loss, g = cells(Y, a, k, m, live)
    g /= N
    return loss.sum(0) / N, g.sum(0), g.T @ H


j1 = 1234
kj, mj, lj, Hc = k[:, j1].copy(), m[:, j1].copy(), live[:, j1].copy(), H.copy()


def decoder_one():
    y = Hc @ D[j1] + b[j1]
    loss, g = cells(y, a[j1], kj, mj, lj)
    g /= N
    return loss.sum() / N, g.sum(), Hc.T @ g


t = np.log(rho / (1 - rho))
Yfix = H @ D.T + b
mu_fix, omu_fix = expit(Yfix), expit(-Yfix)
lnC = np.where(live, gammaln(n + 1) - gammaln(k + 1) - gammaln(m + 1), 0.0).sum(0)


def rho_all():
    aa = np.exp(-t)
    al, be = mu_fix * aa, omu_fix * aa
    lp = gammaln(k + al) - gammaln(al) + gammaln(m + be) - gammaln(be) - gammaln(n + aa) + gammaln(aa)
    return -(np.where(live, lp, 0.0).sum(0) + lnC) + 1e-4 * t * t


def rho_newton():
    """f, f' and f'' in t = logit rho (what one Newton step needs), lnC precomputed."""
    aa = np.exp(-t)
    al, be = mu_fix * aa, omu_fix * aa
    lp = gammaln(k + al) - gammaln(al) + gammaln(m + be) - gammaln(be) - gammaln(n + aa) + gammaln(aa)
    fa = mu_fix * (digamma(k + al) - digamma(al)) + omu_fix * (digamma(m + be) - digamma(be)) - (digamma(n + aa) - digamma(aa))
    faa = (mu_fix ** 2 * (polygamma(1, k + al) - polygamma(1, al)) + omu_fix ** 2 * (polygamma(1, m + be) - polygamma(1, be))
           - (polygamma(1, n + aa) - polygamma(1, aa)))
    f = -(np.where(live, lp, 0.0).sum(0) + lnC) + 1e-4 * t * t
    ga = -np.where(live, fa, 0.0).sum(0)
    gaa = -np.where(live, faa, 0.0).sum(0)
    return f, -aa * ga + 2e-4 * t, aa * aa * gaa + aa * ga + 2e-4


out = {
    "encoder": timeit(encoder, budget=3, min_samples=5),
    "nll": timeit(nll_only, budget=2, min_samples=5),
    "decoderAll": timeit(decoder_all, budget=3, min_samples=5),
    "decoderOne": timeit(decoder_one, budget=1),
    "rhoAll": timeit(rho_all, budget=2, min_samples=5),
    "rhoNewton": timeit(rho_newton, budget=3, min_samples=5),
}
print(json.dumps(out))
