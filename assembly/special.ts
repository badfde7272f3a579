// Special functions over f64: exp, log, log1p, sigmoid, logit, log1p(exp), lnΓ, ψ, ψ', and the
// count differences lnΓ(a+k) − lnΓ(a) and ψ(a+k) − ψ(a).
//
// Every function has a scalar form (name ending in S, plain f64) and an f64x2 form (ending in V).
// The V forms are written for the common case and hand any pair that holds an unusual lane (zero,
// negative, subnormal where it matters, infinite, NaN) to the S form lane by lane, so both forms
// agree on every edge case by construction. Array kernels over pointers are at the bottom.
//
// Symbols: x argument; t = x shifted up to the asymptotic range; P the product of the shift;
// a > 0 real and k ≥ 0 integer for the count differences; w = 1/t².
//
// Accuracy (measured by test/special.test.ts against mpmath at 40 digits; bounds written there):
// exp, log, log1p within a few ulp; lnΓ, ψ, ψ' within ~1e-15 relative, including near the zeros
// of lnΓ at 1 and 2 (series about 2) and the root of ψ (series about the root).

import {
  digammaRootSeries, digammaRootSeriesV, digammaStirling, digammaStirlingV, EULER_GAMMA,
  expTaylor, expTaylorV, HALF_LOG_2PI, lgammaSeries2, lgammaSeries2V, lgammaStirling,
  lgammaStirlingV, LN2_HI, LN2_LO, LOG2E, logTail, logTailV, PSI_ROOT_HI, PSI_ROOT_LO,
  trigammaStirling, trigammaStirlingV, ZETA2,
} from "./coefficients";
import { anyTrue, allTrue, fmaV, pair, select, splat } from "./simd";

const DBL_MIN: f64 = 2.2250738585072014e-308;
const TWO54: f64 = 18014398509481984.0;
const SQRT2: f64 = 1.4142135623730951;
// 1.5·2^52: adding it to |v| < 2^51 rounds v to an integer held in the low mantissa bits.
const ROUND_MAGIC: f64 = 6755399441055744.0;
const ROUND_MAGIC_BITS: i64 = 0x4338000000000000;
// Up to this k the count differences use the product/sum over k terms; above it, the asymptotic
// expansions. With a ≤ 1e12 the product of 24 factors stays below 1e289.
const SMALL_K: f64 = 24.0;
const SMALL_K_MAX_A: f64 = 1e12;

// Lanes outside a vector path's domain (zero, negative, subnormal where it matters, Inf, NaN)
// are recomputed by the scalar form; the vector path runs on a safe stand-in value there. So each
// lane's result depends only on its own input, never on its neighbour or its position in an array.

@inline function patch1(r: v128, ok: v128, x: v128, f: (x: f64) => f64): v128 {
  if (i64x2.extract_lane(ok, 0) == 0) r = f64x2.replace_lane(r, 0, f(f64x2.extract_lane(x, 0)));
  if (i64x2.extract_lane(ok, 1) == 0) r = f64x2.replace_lane(r, 1, f(f64x2.extract_lane(x, 1)));
  return r;
}

@inline function patch2(r: v128, ok: v128, a: v128, k: v128, f: (a: f64, k: f64) => f64): v128 {
  if (i64x2.extract_lane(ok, 0) == 0) r = f64x2.replace_lane(r, 0, f(f64x2.extract_lane(a, 0), f64x2.extract_lane(k, 0)));
  if (i64x2.extract_lane(ok, 1) == 0) r = f64x2.replace_lane(r, 1, f(f64x2.extract_lane(a, 1), f64x2.extract_lane(k, 1)));
  return r;
}

// ---------------------------------------------------------------------------------------------
// exp

/** e^x. Reduction x = n·ln2 + r, |r| ≤ ln2/2; degree-13 Taylor; scale by 2^n in two halves. */
export function expS(x: f64): f64 {
  // Guard: outside [-746, 710] e^x is 0 or +Inf in f64; clamping keeps n in integer range and
  // still yields exactly 0 / +Inf. min/max propagate NaN.
  const xc = min(max(x, -746.0), 710.0);
  const kk = xc * LOG2E + ROUND_MAGIC;
  const n = kk - ROUND_MAGIC;
  const r = (xc - n * LN2_HI) - n * LN2_LO;
  const p = expTaylor(r);
  const ni = reinterpret<i64>(kk) - ROUND_MAGIC_BITS;
  // 2^n as 2^n1 · 2^n2 so that both factors are normal for n in [-1077, 1025] (subnormal results
  // are rounded once, in the last multiply).
  const n1 = ni >> 1;
  const n2 = ni - n1;
  return p * reinterpret<f64>((n1 + 1023) << 52) * reinterpret<f64>((n2 + 1023) << 52);
}

@inline export function expV(x: v128): v128 {
  // pmin/pmax are single instructions and still pass NaN through (the comparison is false).
  const xc = f64x2.pmin(f64x2.pmax(x, splat(-746.0)), splat(710.0));
  const kk = fmaV(xc, splat(LOG2E), splat(ROUND_MAGIC));
  const n = f64x2.sub(kk, splat(ROUND_MAGIC));
  const r = fmaV(f64x2.neg(n), splat(LN2_LO), fmaV(f64x2.neg(n), splat(LN2_HI), xc));
  const p = expTaylorV(r);
  // n + 2048 > 0, so floor(n/2) + 1023 = ((n + 2048) >>> 1) − 1 needs only a logical shift (wasm's
  // i64x2.shr_s has no single x64 instruction).
  const nb = i64x2.sub(kk, i64x2.splat(ROUND_MAGIC_BITS - 2048));
  const e1 = i64x2.sub(i64x2.shr_u(nb, 1), i64x2.splat(1));
  const e2 = i64x2.sub(nb, i64x2.add(e1, i64x2.splat(2048 - 1023 - 1023)));
  return f64x2.mul(f64x2.mul(p, i64x2.shl(e1, 52)), i64x2.shl(e2, 52));
}

// ---------------------------------------------------------------------------------------------
// log, log1p

/**
 * ln x. x = 2^e·m with m in [√½, √2); f = m − 1 (exact), s = f/(2+f);
 * ln m = f − (f²/2 − s(f²/2 + R(s²))) with R the atanh tail.
 */
export function logS(x: f64): f64 {
  let e: f64 = 0;
  if (x < DBL_MIN) {
    if (x == 0) return -Infinity;
    if (x < 0) return NaN;
    // Guard: subnormal input, scaled into the normal range so the exponent field is meaningful.
    x *= TWO54;
    e = -54;
  }
  if (!(x < Infinity)) return x; // +Inf or NaN
  const bits = reinterpret<i64>(x);
  e += <f64>((bits >> 52) - 1023);
  let m = reinterpret<f64>((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000);
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const f = m - 1.0;
  const s = f / (2.0 + f);
  const w = s * s;
  const hfsq = 0.5 * f * f;
  const R = w * logTail(w);
  return e * LN2_HI + (f - (hfsq - (s * (hfsq + R) + e * LN2_LO)));
}

@inline export function logV(x: v128): v128 {
  // Unusual lanes (zero, negative, subnormal, Inf, NaN) go to the scalar form.
  const ok = v128.and(f64x2.ge(x, splat(DBL_MIN)), f64x2.lt(x, splat(Infinity)));
  const r = logFastV(select(x, splat(1.0), ok));
  return allTrue(ok) ? r : patch1(r, ok, x, logS);
}

@inline function logFastV(x: v128): v128 {
  return logCoreV(x);
}

/** ln x for lanes known to be positive, normal and finite (no checks: callers guarantee it). */
@inline export function logCoreV(x: v128): v128 {
  const ei = i64x2.sub(i64x2.shr_u(x, 52), i64x2.splat(1023));
  let m = v128.or(v128.and(x, i64x2.splat(0x000FFFFFFFFFFFFF)), i64x2.splat(0x3FF0000000000000));
  const big = f64x2.gt(m, splat(SQRT2));
  m = select(f64x2.mul(m, splat(0.5)), m, big);
  // big is all-ones (−1) where m was halved: subtracting it adds 1 to the exponent.
  const ebits = i64x2.add(i64x2.sub(ei, big), i64x2.splat(ROUND_MAGIC_BITS));
  const e = f64x2.sub(ebits, splat(ROUND_MAGIC));
  const f = f64x2.sub(m, splat(1.0));
  const s = f64x2.div(f, f64x2.add(splat(2.0), f));
  const w = f64x2.mul(s, s);
  const hfsq = f64x2.mul(splat(0.5), f64x2.mul(f, f));
  const R = f64x2.mul(w, logTailV(w));
  const inner = fmaV(s, f64x2.add(hfsq, R), f64x2.mul(e, splat(LN2_LO)));
  return fmaV(e, splat(LN2_HI), f64x2.sub(f, f64x2.sub(hfsq, inner)));
}

/** ln(1+u), accurate for small u: with w = 1+u rounded, ln(1+u) = ln w + (u − (w−1))/w. */
export function log1pS(u: f64): f64 {
  const w = 1.0 + u;
  if (!(w > 0) || w == Infinity) return logS(w); // u ≤ −1 (−Inf or NaN), u = +Inf, or NaN
  return logS(w) + (u - (w - 1.0)) / w;
}

@inline export function log1pV(u: v128): v128 {
  const w = f64x2.add(splat(1.0), u);
  const ok = v128.and(f64x2.gt(w, splat(0.0)), f64x2.lt(w, splat(Infinity)));
  const r = log1pFastV(select(u, splat(0.0), ok));
  return allTrue(ok) ? r : patch1(r, ok, u, log1pS);
}

@inline function log1pFastV(u: v128): v128 {
  return log1pCoreV(u);
}

/** ln(1+u) for lanes with 1+u positive, normal and finite (no checks). */
@inline function log1pCoreV(u: v128): v128 {
  const w = f64x2.add(splat(1.0), u);
  const c = f64x2.div(f64x2.sub(u, f64x2.sub(w, splat(1.0))), w);
  return f64x2.add(logCoreV(w), c);
}

// ---------------------------------------------------------------------------------------------
// sigmoid, logit, log1p(exp)

/** 1/(1+e^−x), computed from e^−|x| so that neither tail loses relative accuracy. */
export function sigmoidS(x: f64): f64 {
  const e = expS(-abs(x));
  return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

@inline export function sigmoidV(x: v128): v128 {
  const e = expV(f64x2.neg(f64x2.abs(x)));
  const inv = f64x2.div(splat(1.0), f64x2.add(splat(1.0), e));
  return select(inv, f64x2.mul(e, inv), f64x2.ge(x, splat(0.0)));
}

/**
 * ln(p/(1−p)). For p ≥ 1/4 it is log1p((2p−1)/(1−p)), where 2p−1 is exact, so it stays accurate
 * around p = 1/2 where the result is near zero; below 1/4, ln(p/(1−p)) directly.
 */
export function logitS(p: f64): f64 {
  if (!(p >= 0 && p <= 1)) return NaN; // outside [0, 1], or NaN
  const q = 1.0 - p;
  return p < 0.25 ? logS(p / q) : log1pS((2.0 * p - 1.0) / q);
}

@inline export function logitV(p: v128): v128 {
  const ok = v128.and(f64x2.gt(p, splat(0.0)), f64x2.lt(p, splat(1.0)));
  const r = logitFastV(select(p, splat(0.5), ok));
  return allTrue(ok) ? r : patch1(r, ok, p, logitS);
}

@inline function logitFastV(p: v128): v128 {
  const q = f64x2.sub(splat(1.0), p);
  const low = f64x2.lt(p, splat(0.25));
  if (allTrue(low)) return logV(f64x2.div(p, q));
  const hi = log1pV(f64x2.div(f64x2.sub(f64x2.add(p, p), splat(1.0)), q));
  if (!anyTrue(low)) return hi;
  return select(logV(f64x2.div(p, q)), hi, low);
}

/** ln(1+e^x) (softplus) = max(x,0) + log1p(e^−|x|); for x > 36.8 the log1p term is below ulp(x). */
export function log1pexpS(x: f64): f64 {
  if (x > 36.8) return x + expS(-x);
  return max(x, 0.0) + log1pS(expS(-abs(x)));
}

@inline export function log1pexpV(x: v128): v128 {
  const r = f64x2.add(f64x2.max(x, splat(0.0)), log1pV(expV(f64x2.neg(f64x2.abs(x)))));
  // x = +Inf: max(x,0) = Inf and log1p(e^-Inf) = 0, so r = Inf already; NaN propagates.
  return r;
}

// ---------------------------------------------------------------------------------------------
// lnΓ

/**
 * lnΓ(x) for x > 0.
 * - 0.5 ≤ x < 3.5: lnΓ(2+z) = z·L(z) (series about 2, |z| ≤ ½), with z = x−2; or z = x−3 and
 *   +ln(x−1); or z = x−1 and −ln x. This keeps full relative accuracy at the zeros x = 1 and
 *   x = 2, and avoids the shifted Stirling form where |lnΓ| < 1.
 * - otherwise: Stirling at t = x (x ≥ 10) or t = x+8 minus ln(x(x+1)…(x+7)).
 * x = 0 gives +Inf; x < 0 gives NaN (outside the domain); +Inf gives +Inf.
 */
export function lgammaS(x: f64): f64 {
  if (!(x >= 0)) return NaN;
  if (x < 3.5 && x >= 0.5) {
    if (x < 1.5) {
      const z = x - 1.0;
      return z * lgammaSeries2(z) - logS(x);
    }
    if (x < 2.5) {
      const z = x - 2.0;
      return z * lgammaSeries2(z);
    }
    const z = x - 3.0;
    return z * lgammaSeries2(z) + logS(x - 1.0);
  }
  if (x == Infinity) return Infinity;
  if (x == 0) return Infinity;
  let t = x;
  let lp: f64 = 0;
  if (x < 10.0) {
    const p = x * (x + 1.0) * (x + 2.0) * (x + 3.0) * (x + 4.0) * (x + 5.0) * (x + 6.0) * (x + 7.0);
    lp = logS(p);
    t = x + 8.0;
  }
  const it = 1.0 / t;
  return (t - 0.5) * logS(t) - t + HALF_LOG_2PI + it * lgammaStirling(it * it) - lp;
}

@inline function lgammaNearV(x: v128): v128 {
  const lt15 = f64x2.lt(x, splat(1.5));
  const lt25 = f64x2.lt(x, splat(2.5));
  // z = x − round(x) in [−½, ½); the recurrence term is −ln x, 0 or +ln(x−1).
  const z = f64x2.sub(x, select(splat(1.0), select(splat(2.0), splat(3.0), lt25), lt15));
  const arg = select(x, select(splat(1.0), f64x2.sub(x, splat(1.0)), lt25), lt15);
  const sign = select(splat(-1.0), splat(1.0), lt15);
  return fmaV(sign, logCoreV(arg), f64x2.mul(z, lgammaSeries2V(z)));
}

/** Lanes where lgamma uses the series about 2: [0.5, 3.5). */
@inline function lgammaNearMask(x: v128): v128 {
  return v128.and(f64x2.ge(x, splat(0.5)), f64x2.lt(x, splat(3.5)));
}

@inline function lgammaFarV(x: v128): v128 {
  const small = f64x2.lt(x, splat(10.0));
  let t = x;
  let lp = splat(0.0);
  if (anyTrue(small)) {
    // Sequential product, the same operations as in the fused lgamma+digamma kernel.
    let p = x;
    let xi = x;
    for (let i = 1; i < 8; i++) {
      xi = f64x2.add(xi, splat(1.0));
      p = f64x2.mul(p, xi);
    }
    lp = select(logCoreV(select(p, splat(1.0), small)), splat(0.0), small);
    t = select(f64x2.add(xi, splat(1.0)), x, small);
  }
  const it = f64x2.div(splat(1.0), t);
  const corr = fmaV(it, lgammaStirlingV(f64x2.mul(it, it)), splat(HALF_LOG_2PI));
  const main = fnmaSub(f64x2.sub(t, splat(0.5)), logCoreV(t), t);
  return f64x2.sub(f64x2.add(main, corr), lp);
}

/** a·b − c */
@inline function fnmaSub(a: v128, b: v128, c: v128): v128 {
  return f64x2.sub(f64x2.mul(a, b), c);
}

export function lgammaV(x: v128): v128 {
  // Unusual lanes: x < 1e-6 (as in ψ, so that the fused lgamma+digamma kernel takes the same path
  // for every lane; it also keeps the shift product normal for the unchecked log), NaN, and
  // x ≥ 1e300 where (t−½)ln t may overflow early.
  const ok = v128.and(f64x2.ge(x, splat(1e-6)), f64x2.lt(x, splat(1e300)));
  const r = lgammaFastV(select(x, splat(2.0), ok));
  return allTrue(ok) ? r : patch1(r, ok, x, lgammaS);
}

@inline function lgammaFastV(x: v128): v128 {
  const near = lgammaNearMask(x);
  if (!anyTrue(near)) return lgammaFarV(x);
  if (allTrue(near)) return lgammaNearV(x);
  return select(lgammaNearV(x), lgammaFarV(x), near);
}

// ---------------------------------------------------------------------------------------------
// ψ (digamma)

/**
 * ψ(x) for x > 0.
 * - x < 1e-6: −1/x − γ + ζ(2)x (the next term, −ζ(3)x², is below 1e-12·ulp).
 * - |x − x0| < ¼ around the root x0 = 1.4616…: the Taylor series about x0, so relative accuracy
 *   holds through the root.
 * - otherwise: asymptotic series at t = x (x ≥ 10) or t = x+8, minus Σ_{i<8} 1/(x+i) (one
 *   division: the sum is accumulated as a fraction).
 * x = 0 gives −Inf; x < 0 gives NaN; +Inf gives +Inf.
 */
export function digammaS(x: f64): f64 {
  if (!(x >= 0)) return NaN;
  if (x < 1e-6) return -1.0 / x - EULER_GAMMA + ZETA2 * x;
  if (x == Infinity) return Infinity;
  const d = (x - PSI_ROOT_HI) - PSI_ROOT_LO;
  if (abs(d) < 0.25) return d * digammaRootSeries(d);
  let t = x;
  let sum: f64 = 0;
  if (x < 10.0) {
    let num: f64 = 0;
    let den: f64 = 1;
    for (let i = 0; i < 8; i++) {
      const xi = x + <f64>i;
      num = num * xi + den;
      den *= xi;
    }
    sum = num / den;
    t = x + 8.0;
  }
  const it = 1.0 / t;
  const w = it * it;
  return logS(t) - 0.5 * it - w * digammaStirling(w) - sum;
}

@inline function digammaFarV(x: v128): v128 {
  const small = f64x2.lt(x, splat(10.0));
  let t = x;
  let sum = splat(0.0);
  if (anyTrue(small)) {
    let num = splat(0.0);
    let den = splat(1.0);
    let xi = x;
    for (let i = 0; i < 8; i++) {
      num = fmaV(num, xi, den);
      den = f64x2.mul(den, xi);
      xi = f64x2.add(xi, splat(1.0));
    }
    sum = select(f64x2.div(num, den), splat(0.0), small);
    t = select(xi, x, small);
  }
  const it = f64x2.div(splat(1.0), t);
  const w = f64x2.mul(it, it);
  const r = fnmaV2(w, digammaStirlingV(w), fnmaV2(splat(0.5), it, logCoreV(t)));
  return f64x2.sub(r, sum);
}

/** c − a·b */
@inline function fnmaV2(a: v128, b: v128, c: v128): v128 {
  return f64x2.sub(c, f64x2.mul(a, b));
}

export function digammaV(x: v128): v128 {
  const ok = v128.and(f64x2.ge(x, splat(1e-6)), f64x2.lt(x, splat(Infinity)));
  const r = digammaFastV(select(x, splat(2.0), ok));
  return allTrue(ok) ? r : patch1(r, ok, x, digammaS);
}

@inline function digammaFastV(x: v128): v128 {
  const d = f64x2.sub(f64x2.sub(x, splat(PSI_ROOT_HI)), splat(PSI_ROOT_LO));
  const root = f64x2.lt(f64x2.abs(d), splat(0.25));
  if (!anyTrue(root)) return digammaFarV(x);
  const r = f64x2.mul(d, digammaRootSeriesV(d));
  if (allTrue(root)) return r;
  return select(r, digammaFarV(x), root);
}

// ---------------------------------------------------------------------------------------------
// ψ' (trigamma)

/**
 * ψ'(x) for x > 0: asymptotic series at t = x (x ≥ 10) or t = x+8 plus Σ_{i<8} 1/(x+i)²; all
 * terms are positive, so there is no cancellation. x < 1e-6: 1/x² + ζ(2) − 2ζ(3)x.
 */
export function trigammaS(x: f64): f64 {
  if (!(x >= 0)) return NaN;
  if (x < 1e-6) return 1.0 / (x * x) + ZETA2 - 2.4041138063191885 * x;
  if (x == Infinity) return 0;
  let t = x;
  let sum: f64 = 0;
  if (x < 10.0) {
    for (let i = 0; i < 8; i++) {
      const xi = x + <f64>i;
      sum += 1.0 / (xi * xi);
    }
    t = x + 8.0;
  }
  const it = 1.0 / t;
  const w = it * it;
  return it + 0.5 * w + it * w * trigammaStirling(w) + sum;
}

export function trigammaV(x: v128): v128 {
  const ok = v128.and(f64x2.ge(x, splat(1e-6)), f64x2.lt(x, splat(Infinity)));
  const r = trigammaFastV(select(x, splat(2.0), ok));
  return allTrue(ok) ? r : patch1(r, ok, x, trigammaS);
}

@inline function trigammaFastV(x: v128): v128 {
  const small = f64x2.lt(x, splat(10.0));
  let t = x;
  let sum = splat(0.0);
  if (anyTrue(small)) {
    let xi = x;
    for (let i = 0; i < 8; i++) {
      sum = f64x2.add(sum, f64x2.div(splat(1.0), f64x2.mul(xi, xi)));
      xi = f64x2.add(xi, splat(1.0));
    }
    sum = select(sum, splat(0.0), small);
    t = select(xi, x, small);
  }
  const it = f64x2.div(splat(1.0), t);
  const w = f64x2.mul(it, it);
  const tail = f64x2.mul(f64x2.mul(it, w), trigammaStirlingV(w));
  return f64x2.add(f64x2.add(fmaV(splat(0.5), w, it), tail), sum);
}

// ---------------------------------------------------------------------------------------------
// Count differences: Δlnγ(a,k) = lnΓ(a+k) − lnΓ(a) and Δψ(a,k) = ψ(a+k) − ψ(a)

// Π_{i<k}(a+i) and Σ_{i<k} 1/(a+i) = num/Π by one recurrence (num ← num·(a+i) + den,
// den ← den·(a+i)); the common step of every count difference below: returns den and leaves num
// in fractionNumS.
let fractionNumS: f64 = 0;

@inline function productFractionS(a: f64, k: f64): f64 {
  let num: f64 = 0;
  let den: f64 = 1;
  for (let i: f64 = 0; i < k; i++) {
    const ai = a + i;
    num = num * ai + den;
    den *= ai;
  }
  fractionNumS = num;
  return den;
}

/**
 * lnΓ(a+k) − lnΓ(a), a > 0, integer k ≥ 0.
 * - k ≤ 24 and a ≤ 1e12: ln Π_{i<k}(a+i), one log.
 * - otherwise, with (a', k') = (a+10, k−10) and the shift's ln Π_{i<10}(a+i) when a < 10:
 *   (a'−½)·log1p(k'/a') + k'(ln(a+k) − 1) + S(a+k) − S(a'), S the Stirling correction. Written
 *   this way nothing cancels when k ≪ a, unlike a difference of two lnΓ values.
 * k = 0 gives 0 for any a > 0; a ≤ 0 or NaN gives NaN; a = +Inf with k > 0 gives +Inf.
 */
export function lgammaDiffS(a: f64, k: f64): f64 {
  if (!(a > 0) || !(k >= 0)) return NaN;
  if (k == 0) return 0;
  if (a == Infinity || k == Infinity) return Infinity;
  if (k <= SMALL_K && a <= SMALL_K_MAX_A) return logS(productFractionS(a, k));
  let shift: f64 = 0;
  let a1 = a;
  let k1 = k;
  if (a < 10.0) {
    shift = logS(productFractionS(a, 10.0));
    a1 = a + 10.0;
    k1 = k - 10.0;
  }
  const n = a + k;
  const ia = 1.0 / a1;
  const inn = 1.0 / n;
  const s = inn * lgammaStirling(inn * inn) - ia * lgammaStirling(ia * ia);
  return (a1 - 0.5) * log1pS(k1 * ia) + k1 * (logS(n) - 1.0) + s + shift;
}

/**
 * ln Π_{i<k}(a+i) over pairs of factors: (a+2j)(a+2j+1) = t² + t with t = a+2j, one multiply-add
 * per pair; lanes past their own k multiply by 1; an odd k adds the factor a+k−1 at the end.
 */
@inline function lgammaDiffProductV(a: v128, k: v128): v128 {
  const kmax = max(f64x2.extract_lane(k, 0), f64x2.extract_lane(k, 1));
  const one = splat(1.0);
  const two = splat(2.0);
  let p = one;
  let t = a;
  // Pair j (t = a+2j) is complete when 2j+1 < k, i.e. t < a+k−1; the values are whole numbers
  // apart, so comparing with a+k−1.5 is safe against rounding in a+2j.
  const lim = f64x2.sub(f64x2.add(a, k), splat(1.5));
  for (let j: f64 = 1; j < kmax; j += 2) {
    p = f64x2.mul(p, select(fmaV(t, t, t), one, f64x2.lt(t, lim)));
    t = f64x2.add(t, two);
  }
  const odd = f64x2.ne(f64x2.floor(f64x2.mul(k, splat(0.5))), f64x2.mul(k, splat(0.5)));
  p = f64x2.mul(p, select(f64x2.add(a, f64x2.sub(k, one)), one, odd));
  return logCoreV(p);
}

@inline function lgammaDiffAsymV(a: v128, k: v128): v128 {
  const sh = f64x2.lt(a, splat(10.0));
  let a1 = a;
  let k1 = k;
  let shift = splat(0.0);
  if (anyTrue(sh)) {
    let p = a;
    let ai = a;
    for (let i = 1; i < 10; i++) {
      ai = f64x2.add(ai, splat(1.0));
      p = f64x2.mul(p, ai);
    }
    shift = select(logCoreV(select(p, splat(1.0), sh)), splat(0.0), sh);
    a1 = select(f64x2.add(a, splat(10.0)), a, sh);
    k1 = select(f64x2.sub(k, splat(10.0)), k, sh);
  }
  const n = f64x2.add(a, k);
  const ia = f64x2.div(splat(1.0), a1);
  const inn = f64x2.div(splat(1.0), n);
  const s = f64x2.sub(
    f64x2.mul(inn, lgammaStirlingV(f64x2.mul(inn, inn))),
    f64x2.mul(ia, lgammaStirlingV(f64x2.mul(ia, ia))),
  );
  const t1 = f64x2.mul(f64x2.sub(a1, splat(0.5)), log1pCoreV(f64x2.mul(k1, ia)));
  const t2 = f64x2.mul(k1, f64x2.sub(logCoreV(n), splat(1.0)));
  return f64x2.add(f64x2.add(t1, t2), f64x2.add(s, shift));
}

export function lgammaDiffV(a: v128, k: v128): v128 {
  // Unusual lanes: a < 1e-300 (keeps the product normal for the unchecked log), a or k infinite
  // or NaN, k < 0.
  const ok = v128.and(
    v128.and(f64x2.ge(a, splat(1e-300)), f64x2.lt(a, splat(Infinity))),
    v128.and(f64x2.ge(k, splat(0.0)), f64x2.lt(k, splat(Infinity))),
  );
  const r = lgammaDiffFastV(select(a, splat(1.0), ok), select(k, splat(0.0), ok));
  return allTrue(ok) ? r : patch2(r, ok, a, k, lgammaDiffS);
}

@inline function lgammaDiffFastV(a: v128, k: v128): v128 {
  const prod = v128.and(f64x2.le(k, splat(SMALL_K)), f64x2.le(a, splat(SMALL_K_MAX_A)));
  if (allTrue(prod)) return lgammaDiffProductV(a, k);
  if (!anyTrue(prod)) return lgammaDiffAsymV(a, k);
  return select(lgammaDiffProductV(a, select(k, splat(0.0), prod)), lgammaDiffAsymV(a, k), prod);
}

/**
 * ψ(a+k) − ψ(a) = Σ_{i<k} 1/(a+i), a > 0, integer k ≥ 0.
 * - k ≤ 24 and a ≤ 1e12: the sum, accumulated as one fraction (one division).
 * - otherwise, shifted as for lgammaDiffS: log1p(k'/a') + k'/(2a'(a+k)) − [T(a+k) − T(a')] plus
 *   the shift's Σ_{i<10} 1/(a+i), where T(t) = Σ B_{2j}/(2j t^{2j}).
 * k = 0 gives 0; a ≤ 0 or NaN gives NaN; a = +Inf gives 0.
 */
export function digammaDiffS(a: f64, k: f64): f64 {
  if (!(a > 0) || !(k >= 0)) return NaN;
  if (k == 0) return 0;
  if (a == Infinity) return 0;
  if (k == Infinity) return Infinity;
  if (k <= SMALL_K && a <= SMALL_K_MAX_A) {
    const den = productFractionS(a, k);
    return fractionNumS / den;
  }
  let shift: f64 = 0;
  let a1 = a;
  let k1 = k;
  if (a < 10.0) {
    const den = productFractionS(a, 10.0);
    shift = fractionNumS / den;
    a1 = a + 10.0;
    k1 = k - 10.0;
  }
  const n = a + k;
  const ia = 1.0 / a1;
  const inn = 1.0 / n;
  const wa = ia * ia;
  const wn = inn * inn;
  const T = wn * digammaStirling(wn) - wa * digammaStirling(wa);
  return log1pS(k1 * ia) + 0.5 * k1 * ia * inn - T + shift;
}

/**
 * Σ_{i<k} 1/(a+i) over pairs: 1/t + 1/(t+1) = (2t+1)/(t² + t), accumulated as one fraction
 * num/den (one division at the end); an odd k adds 1/(a+k−1).
 */
@inline function digammaDiffSumV(a: v128, k: v128): v128 {
  const den = productFractionV(a, k);
  return f64x2.div(v128.load(FRACTION_NUM_V), den);
}

/**
 * The pair loop of digammaDiffSumV: returns den = Π_{i<k}(a+i) (the same product as
 * lgammaDiffProductV's) and leaves num, Σ_{i<k} 1/(a+i) = num/den, at FRACTION_NUM_V.
 */
@inline function productFractionV(a: v128, k: v128): v128 {
  const kmax = max(f64x2.extract_lane(k, 0), f64x2.extract_lane(k, 1));
  const one = splat(1.0);
  const two = splat(2.0);
  let num = splat(0.0);
  let den = one;
  let t = a;
  const lim = f64x2.sub(f64x2.add(a, k), splat(1.5));
  for (let j: f64 = 1; j < kmax; j += 2) {
    const live = f64x2.lt(t, lim);
    const q = select(fmaV(t, t, t), one, live);
    // Lanes past their own k keep num/den unchanged (multiply by 1, add 0).
    num = fmaV(num, q, v128.and(f64x2.mul(den, f64x2.add(t, f64x2.add(t, one))), live));
    den = f64x2.mul(den, q);
    t = f64x2.add(t, two);
  }
  const odd = f64x2.ne(f64x2.floor(f64x2.mul(k, splat(0.5))), f64x2.mul(k, splat(0.5)));
  const last = select(f64x2.add(a, f64x2.sub(k, one)), one, odd);
  v128.store(FRACTION_NUM_V, fmaV(num, last, v128.and(den, odd)));
  return f64x2.mul(den, last);
}

const FRACTION_NUM_V: usize = memory.data(16, 16);

/** The shift of the asymptotic paths: returns Π_{i<10}(a+i), leaves Σ_{i<10} 1/(a+i)·Π at FRACTION_NUM_V. */
@inline function shiftFractionV(a: v128): v128 {
  let num = splat(0.0);
  let den = splat(1.0);
  let ai = a;
  for (let i = 0; i < 10; i++) {
    num = fmaV(num, ai, den);
    den = f64x2.mul(den, ai);
    ai = f64x2.add(ai, splat(1.0));
  }
  v128.store(FRACTION_NUM_V, num);
  return den;
}

@inline function digammaDiffAsymV(a: v128, k: v128): v128 {
  const sh = f64x2.lt(a, splat(10.0));
  let a1 = a;
  let k1 = k;
  let shift = splat(0.0);
  if (anyTrue(sh)) {
    const den = shiftFractionV(a);
    shift = select(f64x2.div(v128.load(FRACTION_NUM_V), den), splat(0.0), sh);
    a1 = select(f64x2.add(a, splat(10.0)), a, sh);
    k1 = select(f64x2.sub(k, splat(10.0)), k, sh);
  }
  const n = f64x2.add(a, k);
  const ia = f64x2.div(splat(1.0), a1);
  const inn = f64x2.div(splat(1.0), n);
  const wa = f64x2.mul(ia, ia);
  const wn = f64x2.mul(inn, inn);
  const T = f64x2.sub(f64x2.mul(wn, digammaStirlingV(wn)), f64x2.mul(wa, digammaStirlingV(wa)));
  const r = log1pCoreV(f64x2.mul(k1, ia));
  const half = f64x2.mul(f64x2.mul(splat(0.5), k1), f64x2.mul(ia, inn));
  return f64x2.add(f64x2.sub(f64x2.add(r, half), T), shift);
}

export function digammaDiffV(a: v128, k: v128): v128 {
  const ok = v128.and(
    v128.and(f64x2.gt(a, splat(0.0)), f64x2.lt(a, splat(Infinity))),
    v128.and(f64x2.ge(k, splat(0.0)), f64x2.lt(k, splat(Infinity))),
  );
  const r = digammaDiffFastV(select(a, splat(1.0), ok), select(k, splat(0.0), ok));
  return allTrue(ok) ? r : patch2(r, ok, a, k, digammaDiffS);
}

@inline function digammaDiffFastV(a: v128, k: v128): v128 {
  const prod = v128.and(f64x2.le(k, splat(SMALL_K)), f64x2.le(a, splat(SMALL_K_MAX_A)));
  if (allTrue(prod)) return digammaDiffSumV(a, k);
  if (!anyTrue(prod)) return digammaDiffAsymV(a, k);
  return select(digammaDiffSumV(a, select(k, splat(0.0), prod)), digammaDiffAsymV(a, k), prod);
}

// ---------------------------------------------------------------------------------------------
// Fused count differences: Δlnγ(a,k) and Δψ(a,k) of the same pair in one pass

// The second result (Δψ) of lgammaDigammaDiffS / lgammaDigammaDiffV; read it with
// lastDigammaDiffS() / lastDigammaDiffV() right after the call. (AssemblyScript has no tuples.
// The f64x2 result lives in 16 bytes of static memory: a v128 global would not compile in the
// scalar build.)
let dgDiffS: f64 = 0;
const DG_DIFF_V: usize = memory.data(16, 16);

@inline export function lastDigammaDiffS(): f64 {
  return dgDiffS;
}

@inline export function lastDigammaDiffV(): v128 {
  return v128.load(DG_DIFF_V);
}

/**
 * Returns Δlnγ(a,k) = lnΓ(a+k) − lnΓ(a) and leaves Δψ(a,k) = ψ(a+k) − ψ(a) for
 * lastDigammaDiffS(); a > 0, integer k ≥ 0. The same operations as lgammaDiffS and digammaDiffS,
 * so both results are bit-identical to theirs; the shared work is done once:
 * - k ≤ 24 and a ≤ 1e12: the product P = Π_{i<k}(a+i) is digammaDiff's denominator, so one loop
 *   gives Δlnγ = ln P and Δψ = num/P.
 * - otherwise: the shift (a < 10: a' = a+10 with its product and fraction from one loop),
 *   1/a', 1/(a+k) and log1p(k'/a') are shared; Δlnγ adds ln(a+k) and the Stirling correction S,
 *   Δψ the series T.
 * Edge cases as in the two separate functions (k = 0: 0 and 0; a = +Inf: +Inf and 0; a ≤ 0 or
 * NaN: NaN and NaN).
 */
export function lgammaDigammaDiffS(a: f64, k: f64): f64 {
  if (!(a > 0) || !(k >= 0)) {
    dgDiffS = NaN;
    return NaN;
  }
  if (k == 0) {
    dgDiffS = 0;
    return 0;
  }
  // Regime a = +Inf: ψ is flat at infinity (Δψ = 0) while lnΓ grows (Δlnγ = +Inf).
  if (a == Infinity) {
    dgDiffS = 0;
    return Infinity;
  }
  if (k == Infinity) {
    dgDiffS = Infinity;
    return Infinity;
  }
  if (k <= SMALL_K && a <= SMALL_K_MAX_A) {
    const den = productFractionS(a, k);
    dgDiffS = fractionNumS / den;
    return logS(den);
  }
  let lshift: f64 = 0;
  let dshift: f64 = 0;
  let a1 = a;
  let k1 = k;
  if (a < 10.0) {
    const den = productFractionS(a, 10.0);
    lshift = logS(den);
    dshift = fractionNumS / den;
    a1 = a + 10.0;
    k1 = k - 10.0;
  }
  const n = a + k;
  const ia = 1.0 / a1;
  const inn = 1.0 / n;
  const wa = ia * ia;
  const wn = inn * inn;
  const l1p = log1pS(k1 * ia);
  const s = inn * lgammaStirling(wn) - ia * lgammaStirling(wa);
  const T = wn * digammaStirling(wn) - wa * digammaStirling(wa);
  dgDiffS = l1p + 0.5 * k1 * ia * inn - T + dshift;
  return (a1 - 0.5) * l1p + k1 * (logS(n) - 1.0) + s + lshift;
}

/**
 * The f64x2 form of lgammaDigammaDiffS: returns Δlnγ, leaves Δψ for lastDigammaDiffV(). Lane by
 * lane bit-identical to lgammaDiffV and digammaDiffV, except that lanes with 0 < a < 1e-300 take
 * both results from the scalar forms (digammaDiffV keeps them on the vector path: same value up
 * to rounding).
 */
export function lgammaDigammaDiffV(a: v128, k: v128): v128 {
  // Unusual lanes as in lgammaDiffV: a < 1e-300 (keeps the product normal for the unchecked
  // log), a or k infinite or NaN, k < 0.
  const ok = v128.and(
    v128.and(f64x2.ge(a, splat(1e-300)), f64x2.lt(a, splat(Infinity))),
    v128.and(f64x2.ge(k, splat(0.0)), f64x2.lt(k, splat(Infinity))),
  );
  let lg = lgammaDigammaDiffFastV(select(a, splat(1.0), ok), select(k, splat(0.0), ok));
  if (!allTrue(ok)) {
    let dg = v128.load(DG_DIFF_V);
    if (i64x2.extract_lane(ok, 0) == 0) {
      lg = f64x2.replace_lane(lg, 0, lgammaDigammaDiffS(f64x2.extract_lane(a, 0), f64x2.extract_lane(k, 0)));
      dg = f64x2.replace_lane(dg, 0, dgDiffS);
    }
    if (i64x2.extract_lane(ok, 1) == 0) {
      lg = f64x2.replace_lane(lg, 1, lgammaDigammaDiffS(f64x2.extract_lane(a, 1), f64x2.extract_lane(k, 1)));
      dg = f64x2.replace_lane(dg, 1, dgDiffS);
    }
    v128.store(DG_DIFF_V, dg);
  }
  return lg;
}

@inline function lgammaDigammaDiffFastV(a: v128, k: v128): v128 {
  const prod = v128.and(f64x2.le(k, splat(SMALL_K)), f64x2.le(a, splat(SMALL_K_MAX_A)));
  if (allTrue(prod)) return lgammaDigammaDiffProductV(a, k);
  if (!anyTrue(prod)) return lgammaDigammaDiffAsymV(a, k);
  const lgP = lgammaDigammaDiffProductV(a, select(k, splat(0.0), prod));
  const dgP = v128.load(DG_DIFF_V);
  const lgA = lgammaDigammaDiffAsymV(a, k);
  v128.store(DG_DIFF_V, select(dgP, v128.load(DG_DIFF_V), prod));
  return select(lgP, lgA, prod);
}

/** digammaDiffSumV's fraction, whose denominator is lgammaDiffProductV's product P. */
@inline function lgammaDigammaDiffProductV(a: v128, k: v128): v128 {
  const den = productFractionV(a, k);
  v128.store(DG_DIFF_V, f64x2.div(v128.load(FRACTION_NUM_V), den));
  return logCoreV(den);
}

@inline function lgammaDigammaDiffAsymV(a: v128, k: v128): v128 {
  const sh = f64x2.lt(a, splat(10.0));
  let a1 = a;
  let k1 = k;
  let lshift = splat(0.0);
  let dshift = splat(0.0);
  if (anyTrue(sh)) {
    const den = shiftFractionV(a);
    lshift = select(logCoreV(select(den, splat(1.0), sh)), splat(0.0), sh);
    dshift = select(f64x2.div(v128.load(FRACTION_NUM_V), den), splat(0.0), sh);
    a1 = select(f64x2.add(a, splat(10.0)), a, sh);
    k1 = select(f64x2.sub(k, splat(10.0)), k, sh);
  }
  const n = f64x2.add(a, k);
  const ia = f64x2.div(splat(1.0), a1);
  const inn = f64x2.div(splat(1.0), n);
  const wa = f64x2.mul(ia, ia);
  const wn = f64x2.mul(inn, inn);
  const l1p = log1pCoreV(f64x2.mul(k1, ia));
  const T = f64x2.sub(f64x2.mul(wn, digammaStirlingV(wn)), f64x2.mul(wa, digammaStirlingV(wa)));
  const half = f64x2.mul(f64x2.mul(splat(0.5), k1), f64x2.mul(ia, inn));
  v128.store(DG_DIFF_V, f64x2.add(f64x2.sub(f64x2.add(l1p, half), T), dshift));
  const s = f64x2.sub(f64x2.mul(inn, lgammaStirlingV(wn)), f64x2.mul(ia, lgammaStirlingV(wa)));
  const t1 = f64x2.mul(f64x2.sub(a1, splat(0.5)), l1p);
  const t2 = f64x2.mul(k1, f64x2.sub(logCoreV(n), splat(1.0)));
  return f64x2.add(f64x2.add(t1, t2), f64x2.add(s, lshift));
}

// ---------------------------------------------------------------------------------------------
// Array kernels (pointer ABI). Each reads n f64 from the input pointer(s) and writes n f64 to the
// output pointer; input and output may be the same buffer. The name without suffix uses f64x2 when
// the build has SIMD and the scalar loop otherwise; the Scalar twin always runs the scalar loop.

export function expArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, expV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(expV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, expS(load<f64>(px + o)));
  }
}

export function expArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, expS(load<f64>(px + o)));
  }
}

export function logArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, logV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(logV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, logS(load<f64>(px + o)));
  }
}

export function logArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, logS(load<f64>(px + o)));
  }
}

export function log1pArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, log1pV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(log1pV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, log1pS(load<f64>(px + o)));
  }
}

export function log1pArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, log1pS(load<f64>(px + o)));
  }
}

export function sigmoidArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, sigmoidV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(sigmoidV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, sigmoidS(load<f64>(px + o)));
  }
}

export function sigmoidArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, sigmoidS(load<f64>(px + o)));
  }
}

export function logitArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, logitV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(logitV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, logitS(load<f64>(px + o)));
  }
}

export function logitArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, logitS(load<f64>(px + o)));
  }
}

export function log1pexpArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, log1pexpV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(log1pexpV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, log1pexpS(load<f64>(px + o)));
  }
}

export function log1pexpArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, log1pexpS(load<f64>(px + o)));
  }
}

export function lgammaArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, lgammaV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(lgammaV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, lgammaS(load<f64>(px + o)));
  }
}

export function lgammaArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, lgammaS(load<f64>(px + o)));
  }
}

export function digammaArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, digammaV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(digammaV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, digammaS(load<f64>(px + o)));
  }
}

export function digammaArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, digammaS(load<f64>(px + o)));
  }
}

export function trigammaArray(px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, trigammaV(v128.load(px + o)));
    }
    if (i < n) {
      // The odd last element goes through the vector path too (lane 0 of a splat), so a value
      // never depends on the length of the array it is in.
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(trigammaV(v128.load64_splat(px + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, trigammaS(load<f64>(px + o)));
  }
}

export function trigammaArrayScalar(px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, trigammaS(load<f64>(px + o)));
  }
}

export function lgammaDiffArray(pa: usize, pk: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, lgammaDiffV(v128.load(pa + o), v128.load(pk + o)));
    }
    if (i < n) {
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(lgammaDiffV(v128.load64_splat(pa + o), v128.load64_splat(pk + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, lgammaDiffS(load<f64>(pa + o), load<f64>(pk + o)));
  }
}

export function lgammaDiffArrayScalar(pa: usize, pk: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, lgammaDiffS(load<f64>(pa + o), load<f64>(pk + o)));
  }
}

export function digammaDiffArray(pa: usize, pk: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, digammaDiffV(v128.load(pa + o), v128.load(pk + o)));
    }
    if (i < n) {
      const o = <usize>i << 3;
      store<f64>(py + o, f64x2.extract_lane(digammaDiffV(v128.load64_splat(pa + o), v128.load64_splat(pk + o)), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, digammaDiffS(load<f64>(pa + o), load<f64>(pk + o)));
  }
}

export function digammaDiffArrayScalar(pa: usize, pk: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, digammaDiffS(load<f64>(pa + o), load<f64>(pk + o)));
  }
}

/**
 * Δlnγ(a_i, k_i) and Δψ(a_i, k_i) of the same n pairs in one pass (lgammaDigammaDiffV), written
 * to plg and pdg. The odd last pair goes through the vector path too (lane 0 of a splat).
 */
export function lgammaDigammaDiffArray(pa: usize, pk: usize, plg: usize, pdg: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(plg + o, lgammaDigammaDiffV(v128.load(pa + o), v128.load(pk + o)));
      v128.store(pdg + o, lastDigammaDiffV());
    }
    if (i < n) {
      const o = <usize>i << 3;
      store<f64>(plg + o, f64x2.extract_lane(lgammaDigammaDiffV(v128.load64_splat(pa + o), v128.load64_splat(pk + o)), 0));
      store<f64>(pdg + o, f64x2.extract_lane(lastDigammaDiffV(), 0));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(plg + o, lgammaDigammaDiffS(load<f64>(pa + o), load<f64>(pk + o)));
    store<f64>(pdg + o, lastDigammaDiffS());
  }
}

export function lgammaDigammaDiffArrayScalar(pa: usize, pk: usize, plg: usize, pdg: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(plg + o, lgammaDigammaDiffS(load<f64>(pa + o), load<f64>(pk + o)));
    store<f64>(pdg + o, lastDigammaDiffS());
  }
}

/**
 * lnΓ(x) and ψ(x) of one pair, stored at plg and pdg. Shares what both need: the shift
 * t = x+8 with P = Π_{i<8}(x+i) (ψ's sum Σ 1/(x+i) is num/P), ln t and 1/t.
 */
@inline function lgammaDigammaStoreV(x: v128, plg: usize, pdg: usize): void {
  const ok = v128.and(f64x2.ge(x, splat(1e-6)), f64x2.lt(x, splat(1e300)));
  const xs = select(x, splat(2.0), ok);
  const small = f64x2.lt(xs, splat(10.0));
  let t = xs;
  let lp = splat(0.0);
  let sum = splat(0.0);
  if (anyTrue(small)) {
    let num = splat(0.0);
    let den = splat(1.0);
    let xi = xs;
    for (let i = 0; i < 8; i++) {
      num = fmaV(num, xi, den);
      den = f64x2.mul(den, xi);
      xi = f64x2.add(xi, splat(1.0));
    }
    lp = select(logCoreV(select(den, splat(1.0), small)), splat(0.0), small);
    sum = select(f64x2.div(num, den), splat(0.0), small);
    t = select(xi, xs, small);
  }
  const lnt = logCoreV(t);
  const it = f64x2.div(splat(1.0), t);
  const w = f64x2.mul(it, it);
  const corr = fmaV(it, lgammaStirlingV(w), splat(HALF_LOG_2PI));
  let lg = f64x2.sub(f64x2.add(fnmaSub(f64x2.sub(t, splat(0.5)), lnt, t), corr), lp);
  let dg = f64x2.sub(fnmaV2(w, digammaStirlingV(w), fnmaV2(splat(0.5), it, lnt)), sum);
  const near = lgammaNearMask(xs);
  if (anyTrue(near)) {
    lg = select(lgammaNearV(xs), lg, near);
    const d = f64x2.sub(f64x2.sub(xs, splat(PSI_ROOT_HI)), splat(PSI_ROOT_LO));
    const root = f64x2.lt(f64x2.abs(d), splat(0.25));
    if (anyTrue(root)) dg = select(f64x2.mul(d, digammaRootSeriesV(d)), dg, root);
  }
  if (!allTrue(ok)) {
    lg = patch1(lg, ok, x, lgammaS);
    dg = patch1(dg, ok, x, digammaS);
  }
  v128.store(plg, lg);
  v128.store(pdg, dg);
}

/** lnΓ and ψ of the same n inputs in one pass (what a likelihood and its gradient need). */
export function lgammaDigammaArray(px: usize, plg: usize, pdg: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      lgammaDigammaStoreV(v128.load(px + o), plg + o, pdg + o);
    }
    if (i < n) {
      const o = <usize>i << 3;
      const lg = memory.data(16);
      const dg = memory.data(16);
      lgammaDigammaStoreV(v128.load64_splat(px + o), lg, dg);
      store<f64>(plg + o, load<f64>(lg));
      store<f64>(pdg + o, load<f64>(dg));
      i++;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    const x = load<f64>(px + o);
    store<f64>(plg + o, lgammaS(x));
    store<f64>(pdg + o, digammaS(x));
  }
}

export function lgammaDigammaArrayScalar(px: usize, plg: usize, pdg: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    const x = load<f64>(px + o);
    store<f64>(plg + o, lgammaS(x));
    store<f64>(pdg + o, digammaS(x));
  }
}
