// Beta-binomial statistics kernels: log-pmf and exact two-sided p-values (see src/stats).
//
// Symbols: k successes out of n trials (integers held as f64); μ mean proportion, ρ intra-class
// correlation; α = μ(1−ρ)/ρ, β = (1−μ)(1−ρ)/ρ (so α+β = 1/ρ − 1); f(k) = P(X = k);
// F(k) = P(X ≤ k); p̂ = (α+k)/(α+β+n), q̂ = (β+n−k)/(α+β+n) = 1 − p̂.
//
// The log-pmf is written so that no term is much larger than the result (the straightforward
//   ln C(n,k) + [lnΓ(α+k) − lnΓ(α)] + [lnΓ(β+n−k) − lnΓ(β)] − [lnΓ(α+β+n) − lnΓ(α+β)]
// adds terms of size n·ln(α+β+n) that cancel to O(ln n): at n = 1e6, ρ = 1e-8 that loses 1e-8 in
// ln f, i.e. 1e-8 relative in every p-value). With lnΓ(a+m) − lnΓ(a) = m·ln(a+m) + D(a, m):
//   ln f = [ln C(n,k) + k ln p̂ + (n−k) ln q̂] + D(α, k) + D(β, n−k) − D(α+β, n),
// the bracket is a binomial log-pmf at p̂, evaluated with Loader's saddle-point form (stirlerr,
// bd0; as R's dbinom), and each D is evaluated in whichever of D or D + m is small (D ≈ −m²/2a
// when m ≪ a, D + m ≈ (a−½)ln(m/a) when m ≫ a), the integer m's being added back exactly.
// Measured against mpmath (test/stats.test.ts): |error of ln f| ≤ 2e-12·max(1, |ln f|) over
// n ≤ 1e6, ρ in [1e-12, 0.99], μ in [1e-10, 1−1e-10].
//
// Sources: the FRASER p-value p = 2·min(0.5, F(k), 1 − F(k) + f(k)) (Mertes et al. 2021,
// Nat Commun 12:529, Methods); C. Loader (2000), "Fast and accurate computation of binomial
// probabilities" for stirlerr/bd0.

import { HALF_LOG_2PI, lgammaStirling } from "./coefficients";
import { expS, lgammaDiffS, lgammaDiffV, lgammaS, log1pS, logS } from "./special";
import { allTrue, select, splat } from "./simd";

const LOG_2PI: f64 = 1.8378770664093453;
// μ and ρ are clamped to [EDGE, 1−EDGE]: at μ = 0 or 1 (or ρ = 1) α or β is 0 and lnΓ(0) is
// infinite; at ρ = 0 α+β is infinite. 1e-15 keeps α, β > 0 and finite and is below any value a
// fit produces (FRASER bounds logit ρ to [−30, 30], ρ ≥ 9e-14), so the clamp only turns an exact
// boundary into the nearest representable-in-practice distribution (the limit, to 1e-15).
const EDGE: f64 = 1e-15;
// A tail sum stops when the bound on what is left is below REL_STOP of the sum: below half an ulp.
const REL_STOP: f64 = 1e-17;
// The running tail sum is rescaled by 1e-200 when it exceeds 1e200 (terms are kept relative to
// f(k), which may be as small as e^−745 while f(0) is near 1: the ratio overflows without this;
// 1e200 leaves room for one block of four steps, see lowerTailRel).
const BIG: f64 = 1e200;
const LOG_BIG: f64 = 460.51701859880916;
// Where a direct tail has taken as many steps as the other side has terms (or 2, 4, … times as
// many) and already holds this much probability, the other side is summed instead and this tail
// follows by complement, which then amplifies the other side's relative error at most 1/0.1 = 10
// times. That caps the cost near 2·min(k, n−k) whenever the long side is heavy.
const SWITCH_MASS: f64 = 0.1;
const LOG_SWITCH_MASS: f64 = -2.302585092994046;
// The SIMD log-pmf uses plain count differences where they lose at most ~1e-12 absolute:
// n ≤ SIMPLE_N and α+β ≤ SIMPLE_AB bound the cancelling terms by ~4·n·ln(α+β+n) < 2e4.
const SIMPLE_N: f64 = 200.0;
const SIMPLE_AB: f64 = 1e6;

/** Stirling correction S(t) = lnΓ(t) − (t−½)ln t + t − ½ln2π, for t ≥ 10. */
@inline function stirlingS(t: f64): f64 {
  const it = 1.0 / t;
  return it * lgammaStirling(it * it);
}

/** Loader's stirlerr(m) = ln m! − (m+½)ln m + m − ½ln 2π for integer m ≥ 1 (absolute error ~1e-15). */
function stirlerr(m: f64): f64 {
  if (m >= 10.0) return stirlingS(m);
  return lgammaS(m + 1.0) - (m + 0.5) * logS(m) + m - HALF_LOG_2PI;
}

/**
 * Loader's deviance term bd0(x, np) = x·ln(x/np) + np − x ≥ 0, by its series in v = (x−np)/(x+np)
 * when |x − np| < 0.1(x + np) (where the direct form cancels).
 */
function bd0(x: f64, np: f64): f64 {
  const d = x - np;
  if (abs(d) < 0.1 * (x + np)) {
    let v = d / (x + np);
    let s = d * v;
    let ej = 2.0 * x * v;
    v = v * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / <f64>(2 * j + 1);
      if (s1 == s) return s1;
      s = s1;
    }
    return s;
  }
  return x * logS(x / np) + np - x;
}

/** ln(1+x) − x for x ≥ 0, with relative accuracy for small x (atanh series in r = x/(2+x)). */
function log1pmx(x: f64): f64 {
  if (x > 0.5) return log1pS(x) - x;
  const r = x / (2.0 + x);
  const w = r * r;
  // ln(1+x) = 2·atanh(r) = 2(r + r³/3 + r⁵/5 + …) and 2r − x = −x·r; w ≤ 0.04, 13 terms < 1e-18.
  let s: f64 = 1.0 / 27.0;
  s = s * w + 1.0 / 25.0;
  s = s * w + 1.0 / 23.0;
  s = s * w + 1.0 / 21.0;
  s = s * w + 1.0 / 19.0;
  s = s * w + 1.0 / 17.0;
  s = s * w + 1.0 / 15.0;
  s = s * w + 1.0 / 13.0;
  s = s * w + 1.0 / 11.0;
  s = s * w + 1.0 / 9.0;
  s = s * w + 1.0 / 7.0;
  s = s * w + 1.0 / 5.0;
  s = s * w + 1.0 / 3.0;
  return 2.0 * r * w * s - x * r;
}

/** ln[C(n,k) p^k q^(n−k)] with p + q = 1 both given (Loader's form; accurate in absolute terms). */
function binomLogPmfS(k: f64, n: f64, p: f64, q: f64): f64 {
  if (k == 0) return n * (p < 0.5 ? log1pS(-p) : logS(q));
  if (k == n) return n * (q < 0.5 ? log1pS(-q) : logS(p));
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, n * p) - bd0(n - k, n * q);
  const lf = LOG_2PI + logS(k) + log1pS(-k / n);
  return lc - 0.5 * lf;
}

/**
 * D(a, m) = lnΓ(a+m) − lnΓ(a) − m·ln(a+m), plus m when m > a (then D + m is the small one).
 * The caller adds back −m for each such term.
 */
function dTerm(a: f64, m: f64): f64 {
  if (m == 0) return 0;
  const plus = m > a;
  if (a >= 10.0) {
    const x = m / a;
    const s = stirlingS(a + m) - stirlingS(a);
    // D + m = (a−½)·ln(1+x) + ΔS;  D = a·(ln(1+x) − x) − ½·ln(1+x) + ΔS
    if (plus) return (a - 0.5) * log1pS(x) + s;
    return a * log1pmx(x) - 0.5 * log1pS(x) + s;
  }
  if (a + m >= 10.0) {
    // D + m = (a−½)·ln(a+m) − a + ½ln2π + S(a+m) − lnΓ(a): terms of size ln(a+m) and lnΓ(a).
    const dm = (a - 0.5) * logS(a + m) - a + HALF_LOG_2PI + stirlingS(a + m) - lgammaS(a);
    return plus ? dm : dm - m;
  }
  // a + m < 10: every term is small.
  const d = lgammaDiffS(a, m) - m * logS(a + m);
  return plus ? d + m : d;
}

/** ln f(k | n, α = a, β = b) for 0 ≤ k ≤ n integers and a, b > 0 (accurate form, see header). */
export function betaBinomLogPmfAB(k: f64, n: f64, a: f64, b: f64): f64 {
  const ab = a + b;
  const tot = ab + n;
  const m2 = n - k;
  let r = binomLogPmfS(k, n, (a + k) / tot, (b + m2) / tot);
  r += dTerm(a, k) + dTerm(b, m2) - dTerm(ab, n);
  let back: f64 = 0;
  if (k > a) back += k;
  if (m2 > b) back += m2;
  if (n > ab) back -= n;
  return r - back;
}

/** The plain form from count differences; used by the SIMD kernel where it is as accurate. */
@inline function simpleLogPmfS(k: f64, n: f64, a: f64, b: f64): f64 {
  const m = min(k, n - k);
  const lc = lgammaDiffS(n - m + 1.0, m) - lgammaDiffS(1.0, m);
  return lc + lgammaDiffS(a, k) + lgammaDiffS(b, n - k) - lgammaDiffS(a + b, n);
}

/** True when (k, n, μ, ρ) are in the domain: 0 ≤ k ≤ n, μ and ρ not NaN. */
@inline function valid(k: f64, n: f64, mu: f64, rho: f64): bool {
  return k >= 0 && k <= n && mu == mu && rho == rho;
}

@inline function clamp01(x: f64): f64 {
  return min(max(x, EDGE), 1.0 - EDGE);
}

/** ln f for one cell from (k, n, μ, ρ), scalar; NaN outside the domain. */
export function betaBinomLogPmfS(k: f64, n: f64, mu: f64, rho: f64): f64 {
  if (!valid(k, n, mu, rho)) return NaN;
  const m = clamp01(mu);
  const r = clamp01(rho);
  const s = (1.0 - r) / r;
  return betaBinomLogPmfAB(k, n, m * s, (1.0 - m) * s);
}

/**
 * betaBinomLogPmfArray: out[i] = ln f(k[i] | n[i], μ[i], ρ[i]).
 *
 *   ln f = ln C(n,k) + ln B(k+α, n−k+β) − ln B(α, β),  α = μ(1−ρ)/ρ, β = (1−μ)(1−ρ)/ρ.
 *
 * pk, pn, pmu, prho, pout: `count` f64 each (k, n whole numbers; pout may alias an input).
 * μ, ρ are clamped to [1e-15, 1−1e-15] (see EDGE). NaN in any input, k < 0 or k > n gives NaN
 * (the TS wrapper rejects those before calling). Non-integer k, n are not checked here.
 * The SIMD path uses the count-difference form (lgammaDiffV) on pairs with n ≤ 200 and
 * α+β ≤ 1e6, where it agrees with the accurate form to ~1e-12 absolute; other lanes take the
 * accurate scalar form. Absolute error of ln f ≤ 2e-12·max(1, |ln f|) (see the file header).
 */
export function betaBinomLogPmfArray(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < count; i += 2) {
      const o = <usize>i << 3;
      v128.store(pout + o, logPmfPairV(v128.load(pk + o), v128.load(pn + o), v128.load(pmu + o), v128.load(prho + o)));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 3;
    store<f64>(pout + o, betaBinomLogPmfS(load<f64>(pk + o), load<f64>(pn + o), load<f64>(pmu + o), load<f64>(prho + o)));
  }
}

/** Scalar twin of betaBinomLogPmfArray (same lane rule: plain form where it is safe). */
export function betaBinomLogPmfArrayScalar(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 3;
    store<f64>(pout + o, logPmfHybridS(load<f64>(pk + o), load<f64>(pn + o), load<f64>(pmu + o), load<f64>(prho + o)));
  }
}

/** The scalar twin of one SIMD lane: plain form when n ≤ SIMPLE_N and α+β ≤ SIMPLE_AB. */
function logPmfHybridS(k: f64, n: f64, mu: f64, rho: f64): f64 {
  if (!valid(k, n, mu, rho)) return NaN;
  const m = clamp01(mu);
  const r = clamp01(rho);
  const s = (1.0 - r) / r;
  const a = m * s;
  const b = (1.0 - m) * s;
  if (n <= SIMPLE_N && a + b <= SIMPLE_AB) return simpleLogPmfS(k, n, a, b);
  return betaBinomLogPmfAB(k, n, a, b);
}

function logPmfPairV(k: v128, n: v128, mu: v128, rho: v128): v128 {
  const one = splat(1.0);
  const m = f64x2.min(f64x2.max(mu, splat(EDGE)), splat(1.0 - EDGE));
  const r = f64x2.min(f64x2.max(rho, splat(EDGE)), splat(1.0 - EDGE));
  const s = f64x2.div(f64x2.sub(one, r), r);
  const a = f64x2.mul(m, s);
  const b = f64x2.mul(f64x2.sub(one, m), s);
  const ab = f64x2.add(a, b);
  const nk = f64x2.sub(n, k);
  // Lanes for the plain form: valid inputs (this also excludes NaN), n ≤ 200, α+β ≤ 1e6.
  const ok = v128.and(
    v128.and(f64x2.ge(k, splat(0.0)), f64x2.ge(nk, splat(0.0))),
    v128.and(
      v128.and(f64x2.le(n, splat(SIMPLE_N)), f64x2.le(ab, splat(SIMPLE_AB))),
      v128.and(f64x2.eq(mu, mu), f64x2.eq(rho, rho)),
    ),
  );
  if (!allTrue(ok)) {
    const l0 = logPmfHybridS(f64x2.extract_lane(k, 0), f64x2.extract_lane(n, 0), f64x2.extract_lane(mu, 0), f64x2.extract_lane(rho, 0));
    const l1 = logPmfHybridS(f64x2.extract_lane(k, 1), f64x2.extract_lane(n, 1), f64x2.extract_lane(mu, 1), f64x2.extract_lane(rho, 1));
    return f64x2.replace_lane(f64x2.splat(l0), 1, l1);
  }
  const mm = f64x2.min(k, nk);
  const lc = f64x2.sub(lgammaDiffV(f64x2.add(f64x2.sub(n, mm), one), mm), lgammaDiffV(one, mm));
  const t = f64x2.add(lgammaDiffV(a, k), lgammaDiffV(b, nk));
  return f64x2.sub(f64x2.add(lc, t), lgammaDiffV(ab, n));
}

// ---------------------------------------------------------------------------------------------
// Tails and p-values

// Where ln f(k) ≥ LIN_LOG_F (f(k) ≥ e^−450 ≈ 4e-196), every relative tail sum is ≤ 1/f(k) <
// BIG/1e4, so no rescaling happens and the tail is combined with f(k) by one product f·s instead of
// exp(ln f + ln s) (saves an exp and a log per cell). Below it (tiny p) the log form is used.
const LIN_LOG_F: f64 = -450.0;

// Set by lowerTailRel: the natural log of the factor its result was scaled down by (0 unless the
// sum passed BIG).
let tailLogScale: f64 = 0;

/**
 * Σ_{j=0..k} f(j)/f(k), scaled down by e^tailLogScale: the lower tail relative to f(k), by the
 * ratio recurrence
 *   f(j−1)/f(j) = r_j = u_j / d_j,  u_j = j(n−j+β),  d_j = (n−j+1)(j−1+α),
 * summed from k down. Steps are taken in blocks of four with one division per block: with
 * D = d₁d₂d₃d₄ (the block's j, j−1, j−2, j−3), the block adds t·H/D and leaves t·U/D, where
 *   U = u₁u₂u₃u₄,  H = u₁(d₂d₃d₄ + u₂(d₃d₄ + u₃(d₄ + u₄)))   (= D·(r₁ + r₁r₂ + r₁r₂r₃ + r₁r₂r₃r₄)),
 * so the loop-carried work is one multiply (t) and one add (s) per block; the last j < 4 steps
 * are single steps. Products of four u or d stay finite and nonzero: u, d ≤ (n+1)(n+α+β) < 1e33
 * for n < 2^53 and α+β ≤ 1e15 (EDGE), d ≥ 1 except d at j = 1 (≥ α ≥ 1e-30). A block multiplies
 * s by at most 1 + r₁ + … + r₁r₂r₃r₄ < 1e92, as r ≤ 2·max(1, β) ≤ 2e15 for j ≥ 2 and
 * r ≤ (1+β)/α ≤ 1e45 at j = 1.
 * Stops when the rest is provably below REL_STOP of the sum (tested before each block and step):
 * for α ≥ 1 every later ratio is ≤ R = j/(j−1+α)·max(1, (n−j+β)/(n−j+1)), so the rest is
 * ≤ t·R/(1−R). (For α < 1 the pmf may rise again towards 0 and the sum runs to j = 0.)
 * With cap > 0: once cap steps are taken (and again at 2·cap, 4·cap, …; checked after each
 * block, so up to 3 steps late), if the tail already holds ≥ SWITCH_MASS (f = f(k), lf = ln f(k)),
 * returns +Inf to tell the caller to sum the other side instead.
 */
function lowerTailRel(k: f64, n: f64, a: f64, b: f64, f: f64, lf: f64, cap: f64): f64 {
  let s: f64 = 1;
  let t: f64 = 1;
  let scale: f64 = 0;
  let j = k;
  let steps: f64 = 0;
  const canStop = a >= 1.0;
  tailLogScale = 0;
  while (j > 0) {
    if (canStop && t < REL_STOP * s && stopHere(j, n, a, b, t, s)) break;
    // n − j, j − 1 and their offsets are exact integers; β and α are added last, so that
    // n − j + β and j − 1 + α keep their relative accuracy when β or α is far below n or 1.
    const nj = n - j;
    if (j >= 4.0) {
      const u1 = j * (nj + b);
      const d1 = (nj + 1.0) * (j - 1.0 + a);
      const u2 = (j - 1.0) * (nj + 1.0 + b);
      const d2 = (nj + 2.0) * (j - 2.0 + a);
      const u3 = (j - 2.0) * (nj + 2.0 + b);
      const d3 = (nj + 3.0) * (j - 3.0 + a);
      const u4 = (j - 3.0) * (nj + 3.0 + b);
      const d4 = (nj + 4.0) * (j - 4.0 + a);
      const d34 = d3 * d4;
      const h = u1 * (d2 * d34 + u2 * (d34 + u3 * (d4 + u4)));
      const c = 1.0 / (d1 * d2 * d34);
      s += t * (h * c);
      t *= (u1 * u2) * (u3 * u4) * c;
      j -= 4.0;
      steps += 4.0;
    } else {
      t *= (j * (nj + b)) / ((nj + 1.0) * (j - 1.0 + a));
      s += t;
      j -= 1.0;
      steps += 1.0;
    }
    // Regime: f(k) < 1e-200·(sum), far tails of huge n; rescaling keeps s and t finite (a block
    // multiplies s by at most ~1e92, see above, so 1e200 leaves headroom).
    if (s > BIG) {
      s *= 1.0 / BIG;
      t *= 1.0 / BIG;
      scale += LOG_BIG;
    }
    if (cap > 0 && steps >= cap) {
      // A tail that has already converged is finished, not switched (a block may pass the cap
      // up to 3 steps after the single-step recurrence would have stopped).
      if (canStop && t < REL_STOP * s && stopHere(j, n, a, b, t, s)) break;
      if (heavy(s, scale, f, lf)) return Infinity;
      cap *= 2.0;
    }
  }
  return finishTail(s, scale);
}

/** The early-stopping bound (rare branch; α ≥ 1 and t < REL_STOP·s already hold). */
function stopHere(j: f64, n: f64, a: f64, b: f64, t: f64, s: f64): bool {
  const nj = n - j;
  const q = j / (j - 1.0 + a);
  const R = b > 1.0 ? q * ((nj + b) / (nj + 1.0)) : q;
  return R < 1.0 && t * R < REL_STOP * s * (1.0 - R);
}

/** True when the tail so far, f(k)·s·e^scale, holds ≥ SWITCH_MASS. */
@inline function heavy(s: f64, scale: f64, f: f64, lf: f64): bool {
  if (scale == 0 && lf >= LIN_LOG_F) return f * s >= SWITCH_MASS;
  return lf + logS(s) + scale >= LOG_SWITCH_MASS;
}

@inline function finishTail(s: f64, scale: f64): f64 {
  tailLogScale = scale;
  return s;
}

/** f(k)·s·e^tailLogScale, the tail from its relative sum (linear when that is exact, see LIN_LOG_F). */
@inline function tailMass(s: f64, f: f64, lf: f64): f64 {
  if (tailLogScale == 0 && lf >= LIN_LOG_F) return f * s;
  return expS(lf + logS(s) + tailLogScale);
}

/**
 * Two-sided p from ln f(k): p = 2·min(0.5, F(k), 1 − F(k) + f(k)).
 * The tail on k's side of the mean (F(k) when k ≤ nμ, else P(X ≥ k) = 1 − F(k) + f(k)) is summed
 * directly, the other by complement (floored at f(k), which it is ≥ in exact arithmetic). When the
 * direct tail is long and heavy (see SWITCH_MASS), the other side is summed and the direct one
 * follows by complement instead.
 * Cost: usually a few standard deviations' worth of ratio steps (a tail stops once its rest is
 * below 1e-17 of its sum); at most about 2·min(k, n−k) when the direct side is long and heavy
 * (≥ 0.1); a long light direct side (< 0.1 of the mass, decaying slowly: U- or J-shaped pmf) is
 * summed to its end, up to max(k, n−k) steps.
 */
function pValueFromLogPmf(k: f64, n: f64, a: f64, b: f64, lf: f64): f64 {
  if (n == 0) return 1.0;
  const lower = k * (a + b) <= n * a;
  // The upper tail of (k, α, β) is the lower tail of (n−k, β, α).
  const kk = lower ? k : n - k;
  const aa = lower ? a : b;
  const bb = lower ? b : a;
  const f = expS(lf);
  let direct: f64;
  let other: f64;
  const sr = lowerTailRel(kk, n, aa, bb, f, lf, min(n - kk, kk) + 1.0);
  if (sr == Infinity) {
    other = tailMass(lowerTailRel(n - kk, n, bb, aa, f, lf, 0), f, lf);
    direct = max(1.0 - other + f, f);
  } else {
    direct = tailMass(sr, f, lf);
    other = max(1.0 - direct + f, f);
  }
  return min(1.0, 2.0 * min(direct, other));
}

/** Two-sided p for one cell, from (k, n, μ, ρ), with ln f from the accurate scalar form. */
export function betaBinomPValueS(k: f64, n: f64, mu: f64, rho: f64): f64 {
  if (!valid(k, n, mu, rho)) return NaN;
  if (n == 0) return 1.0;
  const m = clamp01(mu);
  const r = clamp01(rho);
  const s = (1.0 - r) / r;
  const a = m * s;
  const b = (1.0 - m) * s;
  return pValueFromLogPmf(k, n, a, b, betaBinomLogPmfAB(k, n, a, b));
}

/**
 * betaBinomPValueArray: out[i] = 2·min(0.5, F(k), 1 − F(k) + f(k)) for the beta-binomial
 * (n[i], μ[i], ρ[i]) at k[i]; exact for any n (no cap on n, unlike the reference's 5e5).
 *
 * pk, pn, pmu, prho, pout: `count` f64 each; pout may alias an input only if it is not read
 * after the first pass (it holds ln f first, then p). n = 0 gives p = 1. μ, ρ clamped to
 * [1e-15, 1−1e-15]. NaN in, k < 0 or k > n gives NaN. p may underflow to 0 below ~1e-308.
 * First pass: ln f(k) for all cells (SIMD, as betaBinomLogPmfArray); second pass: the tail sums
 * (scalar, variable length per cell; the ratio recurrence in blocks of four steps with one division
 * per block, and f(k)·Σ formed by one product unless f(k) < e^−450). Relative error of p ≈ the absolute
 * error of ln f plus steps·ε, or ε/p where p follows by complement from a tail > 0.5.
 */
export function betaBinomPValueArray(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  betaBinomLogPmfArray(pk, pn, pmu, prho, pout, count);
  tailsPass(pk, pn, pmu, prho, pout, count);
}

/** Scalar twin of betaBinomPValueArray. */
export function betaBinomPValueArrayScalar(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  betaBinomLogPmfArrayScalar(pk, pn, pmu, prho, pout, count);
  tailsPass(pk, pn, pmu, prho, pout, count);
}

function tailsPass(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 3;
    const lf = load<f64>(pout + o);
    if (lf != lf) continue;
    const n = load<f64>(pn + o);
    if (n == 0) {
      store<f64>(pout + o, 1.0);
      continue;
    }
    const m = clamp01(load<f64>(pmu + o));
    const r = clamp01(load<f64>(prho + o));
    const s = (1.0 - r) / r;
    store<f64>(pout + o, pValueFromLogPmf(load<f64>(pk + o), n, m * s, (1.0 - m) * s, lf));
  }
}
