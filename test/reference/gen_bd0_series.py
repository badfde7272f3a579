#!/usr/bin/env python3
"""Coefficients of the polynomial that assembly/bbstats.ts (BD0_POLY) uses for Loader's deviance
series: phi(w) = sum_{j>=0} w^j/(2j+3) = (atanh(v)/v - 1)/w at w = v^2, fitted on w in [0, W] by
Chebyshev interpolation in mpmath at 40 digits (mpmath.chebyfit), so that
bd0(x, M) = (x-M)*v + 2x*v^3*phi(v^2), v = (x-M)/(x+M), holds for |v| < sqrt(W) without the
series' tail. Prints the coefficients (highest degree first) and the fit's absolute error
(phi >= 1/3, so that is also the relative error bound before rounding).

Run:  python3 test/reference/gen_bd0_series.py
"""
import mpmath as mp

mp.mp.dps = 40
W = mp.mpf("0.25")
DEGREE = 13


def phi(w):
    if w == 0:
        return mp.mpf(1) / 3
    v = mp.sqrt(w)
    return (mp.atanh(v) / v - 1) / w


poly, err = mp.chebyfit(phi, [0, W], DEGREE + 1, error=True)
print("// error of the fit on [0, %s]: %s" % (mp.nstr(W, 3), mp.nstr(err, 3)))
print(", ".join(repr(float(c)) for c in poly))
