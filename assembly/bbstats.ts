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
// For 1 ≤ n < 1024 (the array kernels' fast path, f64x2 for pairs of cells) the same quantities are
// regrouped into one closed form of Stirling corrections and four deviances, cheaper and as accurate
// (see "The log-pmf kernels" below); the tails of such pairs are summed two cells at a time.
//
// Sources: the FRASER p-value p = 2·min(0.5, F(k), 1 − F(k) + f(k)) (Mertes et al. 2021,
// Nat Commun 12:529, Methods); C. Loader (2000), "Fast and accurate computation of binomial
// probabilities" for stirlerr/bd0.

import { HALF_LOG_2PI, lgammaStirling, lgammaStirlingV } from "./coefficients";
import { expS, expV, lgammaDiffS, lgammaS, log1pS, logS, logV, sigmoidS, sigmoidV } from "./special";
import { allTrue, anyTrue, fmaV, select, splat } from "./simd";

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
// Where k's side is the longer one and k is within 1.5 standard deviations of the mean, the other
// side is summed first (see sumOtherFirst): on the benchmarks' cells that picks the cheaper side
// (blocks of four steps per cell 3.8 instead of 5.1 with the cap rule alone, n ~ NB(mean 50)) and is
// wrong (the complement is < SWITCH_MASS, so the direct side is summed after all) for 0.3–0.5% of
// cells.
const PREDICT_Z2: f64 = 2.25;

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

// ---------------------------------------------------------------------------------------------
// The log-pmf kernels: one closed form in Stirling corrections and deviances, for n < S_TABLE_N
//
// With lnΓ(x) = (x−½)ln x − x + ½ln2π + S(x) at every argument (for an integer m, S(m) is Loader's
// stirlerr, ln m! = (m+½)ln m − m + ½ln2π + S(m)) and c = k − n·p̂, the nine lnΓ terms of ln f regroup
// exactly as
//   ln f = ½·ln[ n·αβT / (2πk(n−k)·(α+β)(α+k)(β+n−k)) ]
//          + S(n) − S(k) − S(n−k) + S(α+k) + S(β+n−k) − S(T) − S(α) − S(β) + S(α+β)
//          − bd0(k, np̂) − bd0(n−k, nq̂) − bd0(α, (α+β)p̂) − bd0(β, (α+β)q̂),
// T = α+β+n, with Loader's deviance bd0(x, M) = x·ln(x/M) + M − x ≥ 0, where x − M = ±c in every
// term. The deviances are summed without cancellation (all ≥ 0, of the size of ln f); the other
// terms are O(ln n). At k = 0 (likewise k = n) the binomial factor is 1: the 2πk(n−k)/n and
// S(n) − S(k) − S(n−k) terms are dropped (S(0) := 0) and bd0(0, M) = M.
// S(x) for non-integer x is the Stirling series (7 terms: truncation < 1e-15 for x ≥ 8); where α or
// β < 8 the form is applied to α+8 (β+8) instead and the exact ratio of the shifted rising
// factorials, e.g. Π_{i<8}(α+i)/Π_{i<8}(α+k+i) and Π_{i<8}(T+i)/Π_{i<8}(α+β+i), enters the log.
// For integer m < S_TABLE_N, S(m) comes from a table (built once).
// Measured against the accurate form and mpmath (test/stats.test.ts): within 2e-12·max(1, |ln f|).

const SHIFT: f64 = 8.0;
const TWO_PI: f64 = 6.283185307179586;
// S(m) for m = 0..7 (S(0) := 0, see above), from mpmath at 40 digits; S(m ≥ 8) by the series.
const S_SMALL: usize = memory.data<f64>([0.0, 0.08106146679532726, 0.0413406959554093, 0.02767792568499834,
  0.020790672103765093, 0.016644691189821193, 0.013876128823070748, 0.01189670994589177]);
// The table of S(m), m < S_TABLE_N; also the fast path's bound on n.
const S_TABLE_N: i32 = 1024;
const S_TABLE: usize = memory.data(S_TABLE_N << 3, 16);
let sTableReady = false;

// φ(w) = Σ_{j≥0} w^j/(2j+3), w = v², in bd0 = (x−M)·v + 2x·v³·φ(v²), v = (x−M)/(x+M): Chebyshev fit
// of degree 13 on w ∈ [0, ¼] (|v| < ½; error 7e-18 against φ ≥ 1/3), coefficients from
// test/reference/gen_bd0_series.py, highest degree first. For |v| ≥ ½ the log form is used, where
// x·ln(x/M) and M − x cancel by less than a factor 3.
const BD0_W: f64 = 0.25;
const BD0_POLY: usize = memory.data<f64>([0.21098097885975797, -0.14450491183414468, 0.13557903913692299,
  0.012292448728540531, 0.05441915418234587, 0.05160769881147162, 0.05893099692590042, 0.06665886352701884,
  0.07692345940270638, 0.09090907881509189, 0.11111111133938968, 0.14285714285490106, 0.20000000000000864,
  0.3333333333333333]);

/** S(m) for an integer m ≥ 0 (S(0) := 0). */
function stirlingIntS(m: f64): f64 {
  if (m < SHIFT) return load<f64>(S_SMALL + (<usize>(<i32>m) << 3));
  return stirlingS(m);
}

function buildSTable(): void {
  for (let m = 0; m < S_TABLE_N; m++) store<f64>(S_TABLE + (<usize>m << 3), stirlingIntS(<f64>m));
  sTableReady = true;
}

/** bd0(x, M) given dx = x − M (the series) and M (the log form). x = 0 gives M. */
function bd0FastS(x: f64, m: f64, dx: f64): f64 {
  if (x == 0) return m;
  const v = dx / (x + m);
  const w = v * v;
  if (w < BD0_W) {
    let p = load<f64>(BD0_POLY);
    for (let j = 1; j < 14; j++) p = p * w + load<f64>(BD0_POLY + (<usize>j << 3));
    return dx * v + 2.0 * x * v * w * p;
  }
  return x * logS(x / m) - dx;
}

/** Π_{i<8}(x+i), scalar. */
@inline function rising8S(x: f64): f64 {
  return (x * (x + 1.0)) * ((x + 2.0) * (x + 3.0)) * ((x + 4.0) * (x + 5.0)) * ((x + 6.0) * (x + 7.0));
}

/**
 * ln f by the closed form above, scalar twin of logPmfFastV: 1 ≤ n < S_TABLE_N, 0 ≤ k ≤ n,
 * 0 < α, β ≤ 1e15.
 */
function logPmfFastS(k: f64, n: f64, a: f64, b: f64): f64 {
  const nk = n - k;
  // Ratios of 8-factor products (each in [5e-27, 1e121] for 1e-30 ≤ α, β, α+β ≤ 1e15, n < 1024).
  // rs is a ratio of Γ values: Γ(α+8)Γ(α+k)/(Γ(α)Γ(α+k+8)) ∈ [4e-51, 1] (likewise for β) times
  // Γ(T+s)Γ(α+β)/(Γ(T)Γ(α+β+s)) ∈ [1, 2e51] (s = 8 or 16): finite and normal.
  let rs: f64 = 1;
  const sa = a < SHIFT;
  const sb = b < SHIFT;
  if (sa || sb) {
    const ab0 = a + b;
    const t0 = ab0 + n;
    rs = rising8S(t0) / rising8S(ab0);
    if (sa && sb) rs *= rising8S(t0 + SHIFT) / rising8S(ab0 + SHIFT);
    if (sa) {
      rs *= rising8S(a) / rising8S(a + k);
      a += SHIFT;
    }
    if (sb) {
      rs *= rising8S(b) / rising8S(b + nk);
      b += SHIFT;
    }
  }
  const ab = a + b;
  const T = ab + n;
  const iT = 1.0 / T;
  const ak = a + k;
  const bk = b + nk;
  const c = (k * ab - n * a) * iT;
  let dev = bd0FastS(k, n * ak * iT, c) + bd0FastS(nk, n * bk * iT, -c);
  dev += bd0FastS(a, ak * ab * iT, -c) + bd0FastS(b, bk * ab * iT, c);
  let g: f64 = 1;
  let st: f64 = stirlingS(ak) + stirlingS(bk) - stirlingS(T) - stirlingS(a) - stirlingS(b) + stirlingS(ab);
  if (k > 0 && nk > 0) {
    g = n / (TWO_PI * k * nk);
    st += stirlingIntS(n) - stirlingIntS(k) - stirlingIntS(nk);
  }
  return logS(rs * sqrt((g * (a * b) * T) / (ab * ak * bk))) + st - dev;
}

/** φ(w) (BD0_POLY) by Estrin's scheme: 13 multiply-adds in a dependency chain of 5. */
@inline function bd0PolyV(w: v128): v128 {
  const w2 = f64x2.mul(w, w);
  const w4 = f64x2.mul(w2, w2);
  const e0 = fmaV(bd0Coef(1), w, bd0Coef(0));
  const e1 = fmaV(bd0Coef(3), w, bd0Coef(2));
  const e2 = fmaV(bd0Coef(5), w, bd0Coef(4));
  const e3 = fmaV(bd0Coef(7), w, bd0Coef(6));
  const e4 = fmaV(bd0Coef(9), w, bd0Coef(8));
  const e5 = fmaV(bd0Coef(11), w, bd0Coef(10));
  const e6 = fmaV(bd0Coef(13), w, bd0Coef(12));
  const g0 = fmaV(fmaV(e3, w2, e2), w4, fmaV(e1, w2, e0));
  const g1 = fmaV(e6, w4, fmaV(e5, w2, e4));
  return fmaV(g1, f64x2.mul(w4, w4), g0);
}

/** The coefficient of w^i in φ (BD0_POLY lists them from w^13 down), splatted. */
@inline function bd0Coef(i: i32): v128 {
  return v128.load64_splat(BD0_POLY + (<usize>(13 - i) << 3));
}

/** Π_{i<8}(x+i) as four pair products (t² + t, t = x, x+2, x+4, x+6). */
@inline function rising8V(x: v128): v128 {
  const two = splat(2.0);
  let t = x;
  let p = fmaV(t, t, t);
  t = f64x2.add(t, two);
  p = f64x2.mul(p, fmaV(t, t, t));
  t = f64x2.add(t, two);
  p = f64x2.mul(p, fmaV(t, t, t));
  t = f64x2.add(t, two);
  return f64x2.mul(p, fmaV(t, t, t));
}

/**
 * bd0(x, M) from dx = x − M, M and 1/(x + M) (f64x2): the φ series in v = dx/(x+M) where |v| < ½;
 * the log of x/M (formed by a division only when some lane needs it); M at x = 0 (k = 0 or k = n;
 * with mayBeZero false, x > 0 is known: α, β).
 */
@inline function bd0V(x: v128, dx: v128, m: v128, isum: v128, mayBeZero: bool): v128 {
  const v = f64x2.mul(dx, isum);
  const w = f64x2.mul(v, v);
  const p = bd0PolyV(w);
  let r = fmaV(f64x2.mul(f64x2.add(x, x), f64x2.mul(v, w)), p, f64x2.mul(dx, v));
  if (!mayBeZero) {
    const far = f64x2.ge(w, splat(BD0_W));
    if (anyTrue(far)) r = select(f64x2.sub(f64x2.mul(x, logV(f64x2.div(x, m))), dx), r, far);
    return r;
  }
  const zero = f64x2.eq(x, splat(0.0));
  const far = v128.andnot(f64x2.ge(w, splat(BD0_W)), zero);
  if (anyTrue(far)) {
    const ratio = f64x2.div(select(splat(1.0), x, zero), select(splat(1.0), m, zero));
    r = select(f64x2.sub(f64x2.mul(x, logV(ratio)), dx), r, far);
  }
  return select(m, r, zero);
}

@inline function stirlingV(ix: v128): v128 {
  return f64x2.mul(ix, lgammaStirlingV(f64x2.mul(ix, ix)));
}

/** S(m) of two integers m < S_TABLE_N given as i32 lanes 0 and 1. */
@inline function sTableV(i: v128): v128 {
  const i0 = <usize>i32x4.extract_lane(i, 0);
  const i1 = <usize>i32x4.extract_lane(i, 1);
  return f64x2.replace_lane(v128.load64_splat(S_TABLE + (i0 << 3)), 1, load<f64>(S_TABLE + (i1 << 3)));
}

/**
 * ln f (or f itself, with `linear`) for a pair whose lanes all have 1 ≤ n < S_TABLE_N, 0 ≤ k ≤ n,
 * 0 < α, β ≤ 1e15 (the form above). As in logPmfFastS, the shift is applied lane by lane (a lane
 * that does not need a factor of rs gets 1 for it), which keeps every product below bounds that
 * let rs share one division with the reciprocals for S.
 * With `linear`, f = G·e^E is returned for ln f = ln G + E (G = rs·√(gNum/gDen), E the Stirling
 * and deviance terms): one exp instead of a log and an exp (the p-value path needs f, not ln f).
 */
function logPmfFastV(k: v128, n: v128, a: v128, b: v128, linear: bool): v128 {
  const one = splat(1.0);
  const e8 = splat(SHIFT);
  const nk = f64x2.sub(n, k);
  // rs = rsN/rsD, the ratio of shifted rising factorials of logPmfFastS, per lane. Bounds (α, β ≥
  // 1e-30, α+β ≤ 1e15, n < 1024): a lane with one shift has rsN < 3e129, rsD < 2e144 (one
  // 8-factor product of T or α+β < 1e120 times one of α or α+k < 2e24); a lane with both has
  // α+β < 16 and T < 1040, rsN < 2e67, rsD < 2e71; every lane rsN > 1e-41, rsD > 1e-72.
  let rsN = one;
  let rsD = one;
  const sa = f64x2.lt(a, e8);
  const sb = f64x2.lt(b, e8);
  const s1s = v128.or(sa, sb);
  if (anyTrue(s1s)) {
    const ab0 = f64x2.add(a, b);
    const t0 = f64x2.add(ab0, n);
    rsN = select(rising8V(t0), one, s1s);
    rsD = select(rising8V(ab0), one, s1s);
    const s2s = v128.and(sa, sb);
    if (anyTrue(s2s)) {
      rsN = f64x2.mul(rsN, select(rising8V(f64x2.add(t0, e8)), one, s2s));
      rsD = f64x2.mul(rsD, select(rising8V(f64x2.add(ab0, e8)), one, s2s));
    }
    // Both sides without a branch each (which side needs the shift varies from pair to pair).
    rsN = f64x2.mul(rsN, f64x2.mul(select(rising8V(a), one, sa), select(rising8V(b), one, sb)));
    rsD = f64x2.mul(rsD, f64x2.mul(select(rising8V(f64x2.add(a, k)), one, sa), select(rising8V(f64x2.add(b, nk)), one, sb)));
    a = select(f64x2.add(a, e8), a, sa);
    b = select(f64x2.add(b, e8), b, sb);
  }
  const ab = f64x2.add(a, b);
  const T = f64x2.add(ab, n);
  const ak = f64x2.add(a, k);
  const bk = f64x2.add(b, nk);
  const p2 = f64x2.mul(ak, bk);
  const q1 = f64x2.mul(a, b);
  // The six reciprocals for S and 1/rsD by one division: X = T·αₖβₖ, Y = αβ(α+β) are in [512, 1e45]
  // (α, β ≥ 8 after the shift), so X·Y·rsD is in [1e-66, 1e235]; 1/X, 1/Y, 1/rsD from the others.
  const x = f64x2.mul(T, p2);
  const y = f64x2.mul(q1, ab);
  const xy = f64x2.mul(x, y);
  const rr = f64x2.div(one, f64x2.mul(xy, rsD));
  const r1 = f64x2.mul(rr, f64x2.mul(y, rsD));
  const iT = f64x2.mul(r1, p2);
  const tr = f64x2.mul(r1, T);
  const r2 = f64x2.mul(rr, f64x2.mul(x, rsD));
  const abr = f64x2.mul(r2, ab);
  const rs = f64x2.mul(rsN, f64x2.mul(rr, xy));
  let st = f64x2.sub(f64x2.add(stirlingV(f64x2.mul(tr, bk)), stirlingV(f64x2.mul(tr, ak))), stirlingV(iT));
  st = f64x2.add(st, f64x2.sub(stirlingV(f64x2.mul(r2, q1)), f64x2.add(stirlingV(f64x2.mul(abr, b)), stirlingV(f64x2.mul(abr, a)))));
  // Binomial factor, dropped at k = 0 and k = n (S(0) = 0 in the table, so only g needs the mask).
  const inner = v128.and(f64x2.gt(k, splat(0.0)), f64x2.gt(nk, splat(0.0)));
  const ki = i32x4.trunc_sat_f64x2_s_zero(k);
  const ni = i32x4.trunc_sat_f64x2_s_zero(n);
  st = f64x2.add(st, f64x2.sub(sTableV(ni), f64x2.add(sTableV(ki), sTableV(i32x4.sub(ni, ki)))));
  const gNum = f64x2.mul(f64x2.mul(q1, T), select(n, one, inner));
  const gDen = f64x2.mul(f64x2.mul(ab, p2), select(f64x2.mul(splat(TWO_PI), f64x2.mul(k, nk)), one, inner));
  const g = f64x2.mul(rs, f64x2.sqrt(f64x2.div(gNum, gDen)));
  const c = f64x2.mul(f64x2.sub(f64x2.mul(k, ab), f64x2.mul(n, a)), iT);
  const nc = f64x2.neg(c);
  const m1 = f64x2.mul(f64x2.mul(n, ak), iT);
  const m2 = f64x2.mul(f64x2.mul(n, bk), iT);
  const m3 = f64x2.mul(f64x2.mul(ak, ab), iT);
  const m4 = f64x2.mul(f64x2.mul(bk, ab), iT);
  // The four 1/(x + M) by one division (each sum > 0 and < 1e19: the product is finite and normal).
  const s1 = f64x2.add(k, m1);
  const s2 = f64x2.add(nk, m2);
  const s3 = f64x2.add(a, m3);
  const s4 = f64x2.add(b, m4);
  const s12 = f64x2.mul(s1, s2);
  const s34 = f64x2.mul(s3, s4);
  const r4 = f64x2.div(one, f64x2.mul(s12, s34));
  const r12 = f64x2.mul(r4, s34);
  const r34 = f64x2.mul(r4, s12);
  let dev = bd0V(k, c, m1, f64x2.mul(r12, s2), true);
  dev = f64x2.add(dev, bd0V(nk, nc, m2, f64x2.mul(r12, s1), true));
  dev = f64x2.add(dev, bd0V(a, nc, m3, f64x2.mul(r34, s4), false));
  dev = f64x2.add(dev, bd0V(b, c, m4, f64x2.mul(r34, s3), false));
  const e = f64x2.sub(st, dev);
  return linear ? f64x2.mul(g, expV(e)) : f64x2.add(logV(g), e);
}

/** True when (k, n, μ, ρ) are in the domain: 0 ≤ k ≤ n, μ and ρ not NaN. */
@inline function valid(k: f64, n: f64, mu: f64, rho: f64): bool {
  return k >= 0 && k <= n && mu == mu && rho == rho;
}

@inline function clamp01(x: f64): f64 {
  return min(max(x, EDGE), 1.0 - EDGE);
}

/** ln f for one cell from (k, n, μ, ρ) by the accurate form; NaN outside the domain. */
export function betaBinomLogPmfS(k: f64, n: f64, mu: f64, rho: f64): f64 {
  if (!valid(k, n, mu, rho)) return NaN;
  const m = clamp01(mu);
  const r = clamp01(rho);
  const s = (1.0 - r) / r;
  return betaBinomLogPmfAB(k, n, m * s, (1.0 - m) * s);
}

/** One cell as the array kernels compute it: the closed form for 1 ≤ n < S_TABLE_N, else the accurate form. */
function logPmfCellS(k: f64, n: f64, mu: f64, rho: f64): f64 {
  if (!valid(k, n, mu, rho)) return NaN;
  if (n == 0) return 0;
  const m = clamp01(mu);
  const r = clamp01(rho);
  const s = (1.0 - r) / r;
  if (n < <f64>S_TABLE_N) return logPmfFastS(k, n, m * s, (1.0 - m) * s);
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
 * Pairs of cells with 1 ≤ n < 1024 take the closed form above in f64x2 (logPmfFastV); other cells
 * (n = 0, n ≥ 1024, invalid) are computed one by one (logPmfCellS: the accurate form of the file
 * header for n ≥ 1024). Absolute error of ln f ≤ 2e-12·max(1, |ln f|) (see the file header).
 */
export function betaBinomLogPmfArray(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  if (!sTableReady) buildSTable();
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < count; i += 2) {
      const o = <usize>i << 3;
      v128.store(pout + o, logPmfPairV(v128.load(pk + o), v128.load(pn + o), v128.load(pmu + o), v128.load(prho + o)));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 3;
    store<f64>(pout + o, logPmfCellS(load<f64>(pk + o), load<f64>(pn + o), load<f64>(pmu + o), load<f64>(prho + o)));
  }
}

/** Scalar twin of betaBinomLogPmfArray (the same rule per cell, in scalar arithmetic). */
export function betaBinomLogPmfArrayScalar(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 3;
    store<f64>(pout + o, logPmfCellS(load<f64>(pk + o), load<f64>(pn + o), load<f64>(pmu + o), load<f64>(prho + o)));
  }
}

/** Lanes for the closed form: valid inputs (the comparisons are false for NaN), 1 ≤ n < 1024. */
@inline function fastLanes(k: v128, n: v128, mu: v128, rho: v128): v128 {
  const one = splat(1.0);
  return v128.and(
    v128.and(f64x2.ge(k, splat(0.0)), f64x2.ge(f64x2.sub(n, k), splat(0.0))),
    v128.and(
      v128.and(f64x2.ge(n, one), f64x2.lt(n, splat(<f64>S_TABLE_N))),
      v128.and(f64x2.eq(mu, mu), f64x2.eq(rho, rho)),
    ),
  );
}

function logPmfPairV(k: v128, n: v128, mu: v128, rho: v128): v128 {
  const one = splat(1.0);
  if (!allTrue(fastLanes(k, n, mu, rho))) {
    const l0 = logPmfCellS(f64x2.extract_lane(k, 0), f64x2.extract_lane(n, 0), f64x2.extract_lane(mu, 0), f64x2.extract_lane(rho, 0));
    const l1 = logPmfCellS(f64x2.extract_lane(k, 1), f64x2.extract_lane(n, 1), f64x2.extract_lane(mu, 1), f64x2.extract_lane(rho, 1));
    return f64x2.replace_lane(f64x2.splat(l0), 1, l1);
  }
  // pmin/pmax (one instruction each) are enough: NaN lanes were sent to the scalar path above.
  const m = f64x2.pmin(f64x2.pmax(mu, splat(EDGE)), splat(1.0 - EDGE));
  const r = f64x2.pmin(f64x2.pmax(rho, splat(EDGE)), splat(1.0 - EDGE));
  const s = f64x2.div(f64x2.sub(one, r), r);
  return logPmfFastV(k, n, f64x2.mul(m, s), f64x2.mul(f64x2.sub(one, m), s), false);
}

// ---------------------------------------------------------------------------------------------
// Tails and p-values

// Where ln f(k) ≥ LIN_LOG_F (f(k) ≥ e^−450 ≈ 4e-196), every relative tail sum is ≤ 1/f(k) <
// BIG/1e4, so no rescaling happens and the tail is combined with f(k) by one product f·s instead of
// exp(ln f + ln s) (saves an exp and a log per cell). Below it (tiny p) the log form is used.
const LIN_LOG_F: f64 = -450.0;
// The same bound on f(k) itself (just above e^−450 = 3.694e-196), for the f64x2 path, which forms f
// without its log.
const MIN_LIN_F: f64 = 3.7e-196;

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
 * True where k's own side (the lower tail of the mirrored (kk, α', β') below its mean) is predicted
 * to be both longer than the other side (kk > n − kk) and heavy: kk within PREDICT_Z standard
 * deviations of the mean, where that side holds about ≥ 0.1 of the mass (a prediction only: the
 * caller checks the mass it implies and falls back to the direct side if it is < SWITCH_MASS).
 * m = α'/(α'+β'); the beta-binomial variance is n·m(1−m)·(α'+β'+n)/(α'+β'+1).
 */
@inline function sumOtherFirst(kk: f64, n: f64, a: f64, b: f64): bool {
  if (kk <= n - kk) return false;
  const ab = a + b;
  const m = a / ab;
  const d = n * m - kk;
  return d * d < PREDICT_Z2 * (n * m * (1.0 - m) * ((ab + n) / (ab + 1.0)));
}

/**
 * Two-sided p from ln f(k): p = 2·min(0.5, F(k), 1 − F(k) + f(k)).
 * The tail on k's side of the mean (F(k) when k ≤ nμ, else P(X ≥ k) = 1 − F(k) + f(k)) is summed
 * directly, the other by complement (floored at f(k), which it is ≥ in exact arithmetic). Where the
 * direct tail is long and heavy the other side is summed and the direct one follows by complement
 * instead: predicted up front (sumOtherFirst; the direct side is summed after all if the
 * complement comes out < SWITCH_MASS), or found on the way (see SWITCH_MASS).
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
  if (sumOtherFirst(kk, n, aa, bb)) {
    other = tailMass(lowerTailRel(n - kk, n, bb, aa, f, lf, 0), f, lf);
    direct = max(1.0 - other + f, f);
    if (direct >= SWITCH_MASS) return min(1.0, 2.0 * min(direct, other));
  }
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
 * pk, pn, pmu, prho, pout: `count` f64 each (pout may alias an input: each cell is read before
 * its p is written). n = 0 gives p = 1. μ, ρ clamped to [1e-15, 1−1e-15]. NaN in, k < 0 or
 * k > n gives NaN. p may underflow to 0 below ~1e-308.
 * Pairs of cells, formed by their expected tail length within chunks of PAIR_CHUNK cells (see
 * pairedCells; a cell left over pairs with itself): where both cells are in the closed form's domain (1 ≤ n < 1024) and
 * f(k) ≥ e^−450, f(k) (logPmfFastV, as G·e^E without a log) and the tail (lowerTailRelV: the ratio
 * recurrence for both cells at once, eight steps per division) in f64x2, f(k)·Σ formed by one
 * product; other cells one
 * by one (pValueOneS: the accurate ln f for n ≥ 1024, log-space tails with rescaling for tiny f(k)).
 * Relative error of p ≈ the absolute error of ln f plus steps·ε, or ε/p where p follows by
 * complement from a tail > 0.5.
 */
export function betaBinomPValueArray(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  if (!sTableReady) buildSTable();
  if (ASC_FEATURE_SIMD) {
    for (let c0 = 0; c0 < count; c0 += PAIR_CHUNK) {
      const o = <usize>c0 << 3;
      pairedCells(min(PAIR_CHUNK, count - c0), pk + o, pn + o, pmu + o, pmu + o, prho + o, 8, pout + o);
    }
    return;
  }
  for (let i = 0; i < count; i++) pValueCellS(pk, pn, pmu, prho, pout, <usize>i << 3);
}

/** Scalar twin of betaBinomPValueArray (the same rule per cell, in scalar arithmetic). */
export function betaBinomPValueArrayScalar(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, count: i32): void {
  if (!sTableReady) buildSTable();
  for (let i = 0; i < count; i++) pValueCellS(pk, pn, pmu, prho, pout, <usize>i << 3);
}

/** p for the cell at byte offset o (see pValueOneS). */
function pValueCellS(pk: usize, pn: usize, pmu: usize, prho: usize, pout: usize, o: usize): void {
  store<f64>(pout + o, pValueOneS(load<f64>(pk + o), load<f64>(pn + o), load<f64>(pmu + o), load<f64>(prho + o)));
}

/** p for one cell: ln f as logPmfCellS, then pValueFromLogPmf; NaN outside the domain, 1 at n = 0. */
function pValueOneS(k: f64, n: f64, mu: f64, rho: f64): f64 {
  return pValueOneMS(k, n, mu, 0, rho, false);
}

/**
 * pValueOneS with 1 − μ given (omu, clamped as μ; NaN gives NaN) where useOmu, else 1 − μ formed
 * from the clamped μ (exactly as pValueOneS).
 */
function pValueOneMS(k: f64, n: f64, mu: f64, omu: f64, rho: f64, useOmu: bool): f64 {
  if (!valid(k, n, mu, rho) || (useOmu && omu != omu)) return NaN;
  if (n == 0) return 1.0;
  const m = clamp01(mu);
  const om = useOmu ? clamp01(omu) : 1.0 - m;
  const r = clamp01(rho);
  const s = (1.0 - r) / r;
  const a = m * s;
  const b = om * s;
  // ln f as logPmfCellS: the closed form for n < S_TABLE_N, else the accurate form.
  const lf = n < <f64>S_TABLE_N ? logPmfFastS(k, n, a, b) : betaBinomLogPmfAB(k, n, a, b);
  return pValueFromLogPmf(k, n, a, b, lf);
}

/** Lane 1 of v where hi, else lane 0. */
@inline function laneOf(v: v128, hi: bool): f64 {
  return hi ? f64x2.extract_lane(v, 1) : f64x2.extract_lane(v, 0);
}

/** p of lane 1 (hi) or 0 by pValueOneMS. */
@inline function pValueLaneS(k: v128, n: v128, mu: v128, omu: v128, rho: v128, useOmu: bool, hi: bool): f64 {
  return pValueOneMS(laneOf(k, hi), laneOf(n, hi), laneOf(mu, hi), laneOf(omu, hi), laneOf(rho, hi), useOmu);
}

/** Both lanes by pValueOneMS (inputs read before the output is written: pout may alias an input). */
@inline function pValuePairS(k: v128, n: v128, mu: v128, omu: v128, rho: v128, useOmu: bool): v128 {
  const p0 = pValueLaneS(k, n, mu, omu, rho, useOmu, false);
  const p1 = pValueLaneS(k, n, mu, omu, rho, useOmu, true);
  return f64x2.replace_lane(f64x2.splat(p0), 1, p1);
}

/**
 * p of a pair of cells (lanes). Where both lanes are in the closed form's domain (logPmfPairV's
 * rule) and f(k) ≥ e^−450 (LIN_LOG_F), f(k) and the tail are computed in f64x2 (logPmfFastV, then
 * the tail by lowerTailRelV on the side chosen as in pValueFromLogPmf); a lane whose choice of side
 * is overturned (a predicted heavy side that is not, or a direct side heavy at its cap) is redone
 * by pValueOneMS, and so are both lanes of any other pair. With useOmu, 1 − μ is taken from omu
 * (clamped as μ) instead of being formed from μ.
 */
@inline function pValuePair(k: v128, n: v128, mu: v128, omu: v128, rho: v128, useOmu: bool): v128 {
  const one = splat(1.0);
  let ok = fastLanes(k, n, mu, rho);
  if (useOmu) ok = v128.and(ok, f64x2.eq(omu, omu));
  if (!allTrue(ok)) return pValuePairS(k, n, mu, omu, rho, useOmu);
  // pmin/pmax (one instruction each) clamp as clamp01: NaN lanes were excluded above.
  const m = f64x2.pmin(f64x2.pmax(mu, splat(EDGE)), splat(1.0 - EDGE));
  const om = useOmu ? f64x2.pmin(f64x2.pmax(omu, splat(EDGE)), splat(1.0 - EDGE)) : f64x2.sub(one, m);
  const r = f64x2.pmin(f64x2.pmax(rho, splat(EDGE)), splat(1.0 - EDGE));
  const sc = f64x2.div(f64x2.sub(one, r), r);
  const a = f64x2.mul(m, sc);
  const b = f64x2.mul(om, sc);
  const f = logPmfFastV(k, n, a, b, true);
  // Regime: f(k) < e^−450 (tiny p) needs the rescaled, log-space sums of the scalar path.
  if (!allTrue(f64x2.ge(f, splat(MIN_LIN_F)))) return pValuePairS(k, n, mu, omu, rho, useOmu);
  const ab = f64x2.add(a, b);
  const lower = f64x2.le(f64x2.mul(k, ab), f64x2.mul(n, a));
  const kk = select(k, f64x2.sub(n, k), lower);
  const aa = select(a, b, lower);
  const bb = select(b, a, lower);
  const nkk = f64x2.sub(n, kk);
  // sumOtherFirst per lane, multiplied out: (n·α' − kk·(α+β))²·(α+β+1) < Z²·n·α'β'·(α+β+n).
  const dm = f64x2.sub(f64x2.mul(n, aa), f64x2.mul(kk, ab));
  const other = v128.and(
    f64x2.gt(kk, nkk),
    f64x2.lt(
      f64x2.mul(f64x2.mul(dm, dm), f64x2.add(ab, one)),
      f64x2.mul(f64x2.mul(splat(PREDICT_Z2), n), f64x2.mul(f64x2.mul(aa, bb), f64x2.add(ab, n))),
    ),
  );
  const capK = f64x2.add(f64x2.pmin(nkk, kk), one);
  const sr = lowerTailRelV(select(nkk, kk, other), n, select(bb, aa, other), select(aa, bb, other), f, select(splat(Infinity), capK, other));
  const heavyAtCap = v128.load(TAIL_REDO);
  let tail = f64x2.mul(f, sr);
  let comp = f64x2.pmax(f64x2.add(f64x2.sub(one, tail), f), f);
  let direct = select(comp, tail, other);
  let oth = select(tail, comp, other);
  const light = v128.and(other, f64x2.lt(direct, splat(SWITCH_MASS)));
  let redo = v128.or(heavyAtCap, light);
  if (anyTrue(redo)) {
    // Regime: a lane's first side was the wrong one (as in pValueFromLogPmf): a predicted heavy
    // other side that is light (k's own side is summed now, with its cap), or k's side heavy at its
    // cap (the other side is summed now). One more f64x2 tail for those lanes (an empty one, j0 = 0,
    // for the others); a lane heavy at its cap again is redone by pValueOneS.
    const j1 = select(select(kk, nkk, light), splat(0.0), redo);
    const sr1 = lowerTailRelV(j1, n, select(aa, bb, light), select(bb, aa, light), f, select(capK, splat(Infinity), light));
    tail = f64x2.mul(f, sr1);
    comp = f64x2.pmax(f64x2.add(f64x2.sub(one, tail), f), f);
    direct = select(select(tail, comp, light), direct, redo);
    oth = select(select(comp, tail, light), oth, redo);
    redo = v128.load(TAIL_REDO);
  }
  let p = f64x2.pmin(one, f64x2.mul(splat(2.0), f64x2.pmin(direct, oth)));
  if (anyTrue(redo)) p = redoLanes(p, redo, k, n, mu, omu, rho, useOmu);
  return p;
}

/** p with the lanes set in `redo` replaced by pValueOneMS (the others are not recomputed). */
function redoLanes(p: v128, redo: v128, k: v128, n: v128, mu: v128, omu: v128, rho: v128, useOmu: bool): v128 {
  if (i64x2.extract_lane(redo, 0) != 0) p = f64x2.replace_lane(p, 0, pValueLaneS(k, n, mu, omu, rho, useOmu, false));
  if (i64x2.extract_lane(redo, 1) != 0) p = f64x2.replace_lane(p, 1, pValueLaneS(k, n, mu, omu, rho, useOmu, true));
  return p;
}

/**
 * p-values of the FRASER fit straight from its junction-major blocks (src/models/fraser/objective.ts),
 * without building μ, k and n as cell arrays: row r (a junction) has y = Y[r,·] + b[r] (Y at
 * pY + r·ldy, f64), μ = sigmoid(y), k and n u32 at pK/pN + r·ldk, and ρ[r] at pRho; p goes to
 * pOut + r·ldo. The same p as betaBinomPValueArray on those cells (to rounding: cells paired by
 * pairedCells in f64x2 where the build has SIMD; the scalar build by pValueOneS).
 * With pMu ≠ 0, μ is read from there instead (f64, row r at pMu + r·ldk·8, like k) and pY, pB are
 * not read; with pOmu ≠ 0 too, 1 − μ is read from pOmu (same layout; more accurate than 1 − μ where
 * μ is near 1) and used for β, else it is formed as 1 − μ. p may overwrite μ or 1 − μ in place
 * when pOut and ldo match (each pair of cells is read before its p is written).
 */
export function fraserPValueRows(
  rows: i32, cols: i32, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32, pB: usize, pRho: usize, pOut: usize, ldo: i32,
  pMu: usize, pOmu: usize,
): void {
  pValueRowsAny(rows, cols, pY, ldy, pK, pN, ldk, pB, pRho, pOut, ldo, pMu, pOmu, true);
}

/** Scalar twin of fraserPValueRows. */
export function fraserPValueRowsScalar(
  rows: i32, cols: i32, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32, pB: usize, pRho: usize, pOut: usize, ldo: i32,
  pMu: usize, pOmu: usize,
): void {
  pValueRowsAny(rows, cols, pY, ldy, pK, pN, ldk, pB, pRho, pOut, ldo, pMu, pOmu, false);
}

/** The rows loop in one of three modes (μ from Y and b; μ given; μ and 1 − μ given). */
function pValueRowsAny(
  rows: i32, cols: i32, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32, pB: usize, pRho: usize, pOut: usize, ldo: i32,
  pMu: usize, pOmu: usize, vector: bool,
): void {
  if (!sTableReady) buildSTable();
  const mode = pMu == 0 ? MU_FROM_Y : pOmu == 0 ? MU_GIVEN : MU_OMU_GIVEN;
  pValueRows(rows, cols, pY, ldy, pK, pN, ldk, pB, pRho, pOut, ldo, pMu, pOmu, mode, vector);
}

const MU_FROM_Y: i32 = 0;
const MU_GIVEN: i32 = 1;
const MU_OMU_GIVEN: i32 = 2;

// Pairing of cells for the f64x2 kernels. The two lanes of a pair sum their tails in lock step
// until both have stopped, so a pair costs the longer of its two tails. The array and rows kernels
// therefore take their cells in chunks of PAIR_CHUNK, give each cell a key (tailKeyV: a rough
// count of its first tail's blocks, in PAIR_BUCKETS buckets), pair cells with equal keys as they
// come (the leftovers of the chunk in key order), and compute each pair by pValuePair with its
// lanes gathered from wherever the two cells are. Each cell's p is written to its own slot after
// its inputs are read, so p may still overwrite an input in place.
const PAIR_CHUNK: i32 = 128;
const PAIR_BUCKETS: i32 = 32;
const KEY_S: usize = memory.data(PAIR_CHUNK * 4 + 16, 16);
const PEND_S: usize = memory.data(PAIR_BUCKETS * 4, 16);
const PAIRS_S: usize = memory.data(PAIR_CHUNK * 8 + 16, 16);
// A chunk of a row as f64 cells (pValueRowsPaired): k, n, μ, and ρ.
const K_S: usize = memory.data(PAIR_CHUNK * 8, 16);
const N_S: usize = memory.data(PAIR_CHUNK * 8, 16);
const MU_S: usize = memory.data(PAIR_CHUNK * 8, 16);
const RHO_S: usize = memory.data(16, 16);

/**
 * The pairing key of two cells (i32 lanes 0 and 1): min(j0, 1 + 8.5·sd)/8, capped at
 * PAIR_BUCKETS − 1, where j0 is the start of the first tail as pValuePair chooses it and sd the
 * beta-binomial standard deviation, sd² = nμ(1−μ)(1 + (n−1)ρ): about how many blocks of eight
 * steps the first tail takes. Only an ordering: any value is safe (NaN gives 0).
 */
@inline function tailKeyV(k: v128, n: v128, mu: v128, rho: v128): v128 {
  const one = splat(1.0);
  const nm = f64x2.mul(n, mu);
  const lower = f64x2.le(k, nm);
  const nk = f64x2.sub(n, k);
  const kk = select(k, nk, lower);
  const mean = select(nm, f64x2.sub(n, nm), lower);
  const v = f64x2.mul(f64x2.mul(nm, f64x2.sub(one, mu)), fmaV(f64x2.sub(n, one), rho, one));
  const dm = f64x2.sub(mean, kk);
  const nkk = f64x2.sub(n, kk);
  const other = v128.and(f64x2.gt(kk, nkk), f64x2.lt(f64x2.mul(dm, dm), f64x2.mul(splat(PREDICT_Z2), v)));
  const j0 = select(nkk, kk, other);
  const steps = f64x2.pmin(j0, fmaV(splat(8.5), f64x2.sqrt(v), one));
  const key = i32x4.trunc_sat_f64x2_s_zero(f64x2.mul(steps, splat(0.125)));
  return i32x4.min_s(i32x4.max_s(key, i32x4.splat(0)), i32x4.splat(PAIR_BUCKETS - 1));
}

/**
 * p for `cnt` ≤ PAIR_CHUNK cells (f64 k, n, μ at pk, pn, pmu; 1 − μ at pomu; ρ at prho, step
 * rhoStep bytes, 0 for one ρ), p to pout; pairs formed by key (see above), each by pValuePair.
 */
function pairedCells(cnt: i32, pk: usize, pn: usize, pmu: usize, pomu: usize, prho: usize, rhoStep: usize, pout: usize): void {
  pairedCellsAny(cnt, pk, pn, pmu, pomu, prho, rhoStep, pout, false);
}

/** pairedCells with 1 − μ read from pomu (pValuePair's useOmu). */
function pairedCellsOmu(cnt: i32, pk: usize, pn: usize, pmu: usize, pomu: usize, prho: usize, rhoStep: usize, pout: usize): void {
  pairedCellsAny(cnt, pk, pn, pmu, pomu, prho, rhoStep, pout, true);
}

@inline function pairedCellsAny(
  cnt: i32, pk: usize, pn: usize, pmu: usize, pomu: usize, prho: usize, rhoStep: usize, pout: usize, useOmu: bool,
): void {
  // Keys (the last cell of an odd chunk as a pair with itself).
  for (let i = 0; i < cnt; i += 2) {
    const o = <usize>i << 3;
    let key: v128;
    if (i + 1 < cnt) {
      const rho = rhoStep ? v128.load(prho + o) : v128.load64_splat(prho);
      key = tailKeyV(v128.load(pk + o), v128.load(pn + o), v128.load(pmu + o), rho);
    } else {
      const rho = v128.load64_splat(prho + (rhoStep ? o : 0));
      key = tailKeyV(v128.load64_splat(pk + o), v128.load64_splat(pn + o), v128.load64_splat(pmu + o), rho);
    }
    v128.store64_lane(KEY_S + (<usize>i << 2), key, 0);
  }
  // Pairs: equal keys as they come; then the leftovers in key order; an odd one with itself.
  for (let b = 0; b < PAIR_BUCKETS; b++) store<i32>(PEND_S + (<usize>b << 2), -1);
  let np = 0;
  for (let i = 0; i < cnt; i++) {
    const pb = PEND_S + (<usize>load<i32>(KEY_S + (<usize>i << 2)) << 2);
    const j = load<i32>(pb);
    if (j >= 0) {
      store<i32>(PAIRS_S + (<usize>np << 3), j);
      store<i32>(PAIRS_S + (<usize>np << 3), i, 4);
      np++;
      store<i32>(pb, -1);
    } else {
      store<i32>(pb, i);
    }
  }
  let prev = -1;
  for (let b = 0; b < PAIR_BUCKETS; b++) {
    const j = load<i32>(PEND_S + (<usize>b << 2));
    if (j < 0) continue;
    if (prev < 0) {
      prev = j;
    } else {
      store<i32>(PAIRS_S + (<usize>np << 3), prev);
      store<i32>(PAIRS_S + (<usize>np << 3), j, 4);
      np++;
      prev = -1;
    }
  }
  if (prev >= 0) {
    store<i32>(PAIRS_S + (<usize>np << 3), prev);
    store<i32>(PAIRS_S + (<usize>np << 3), prev, 4);
    np++;
  }
  // Each pair: lanes gathered, p scattered (lane 1 first: a cell paired with itself gets lane 0).
  for (let q = 0; q < np; q++) {
    const o0 = <usize>load<i32>(PAIRS_S + (<usize>q << 3)) << 3;
    const o1 = <usize>load<i32>(PAIRS_S + (<usize>q << 3), 4) << 3;
    const k = f64x2.replace_lane(v128.load64_splat(pk + o0), 1, load<f64>(pk + o1));
    const n = f64x2.replace_lane(v128.load64_splat(pn + o0), 1, load<f64>(pn + o1));
    const mu = f64x2.replace_lane(v128.load64_splat(pmu + o0), 1, load<f64>(pmu + o1));
    const omu = useOmu ? f64x2.replace_lane(v128.load64_splat(pomu + o0), 1, load<f64>(pomu + o1)) : mu;
    const rho = rhoStep ? f64x2.replace_lane(v128.load64_splat(prho + o0), 1, load<f64>(prho + o1)) : v128.load64_splat(prho);
    const p = pValuePair(k, n, mu, omu, rho, useOmu);
    v128.store64_lane(pout + o1, p, 1);
    v128.store64_lane(pout + o0, p, 0);
  }
}

/**
 * The rows kernel. With `vector` (and SIMD): each row in chunks of PAIR_CHUNK cells, k and n
 * converted to f64 and μ (MU_FROM_Y: sigmoid(y + b), pairs of cells in f64x2, an odd last cell of
 * the row in scalar, as fraserMeanRows) stored per chunk, then pairedCells; else each cell by
 * pValueOneMS.
 */
function pValueRows(
  rows: i32, cols: i32, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32, pB: usize, pRho: usize, pOut: usize, ldo: i32,
  pMu: usize, pOmu: usize, mode: i32, vector: bool,
): void {
  const useOmu = mode == MU_OMU_GIVEN;
  for (let r = 0; r < rows; r++) {
    const b = mode == MU_FROM_Y ? load<f64>(pB + (<usize>r << 3)) : 0.0;
    const rho = load<f64>(pRho + (<usize>r << 3));
    store<f64>(RHO_S, rho);
    const yRow = pY + ((<usize>r * <usize>ldy) << 3);
    const kRow = pK + ((<usize>r * <usize>ldk) << 2);
    const nRow = pN + ((<usize>r * <usize>ldk) << 2);
    const mRow = pMu + ((<usize>r * <usize>ldk) << 3);
    const omRow = pOmu + ((<usize>r * <usize>ldk) << 3);
    const oRow = pOut + ((<usize>r * <usize>ldo) << 3);
    if (!(ASC_FEATURE_SIMD && vector)) {
      for (let i = 0; i < cols; i++) {
        const k = <f64>load<u32>(kRow + (<usize>i << 2));
        const n = <f64>load<u32>(nRow + (<usize>i << 2));
        const mu = mode == MU_FROM_Y ? sigmoidS(load<f64>(yRow + (<usize>i << 3)) + b) : load<f64>(mRow + (<usize>i << 3));
        const omu = useOmu ? load<f64>(omRow + (<usize>i << 3)) : 0.0;
        store<f64>(oRow + (<usize>i << 3), pValueOneMS(k, n, mu, omu, rho, useOmu));
      }
      continue;
    }
    const bv = splat(b);
    for (let c0 = 0; c0 < cols; c0 += PAIR_CHUNK) {
      const cnt = min(PAIR_CHUNK, cols - c0);
      let i = 0;
      for (; i + 1 < cnt; i += 2) {
        const c = c0 + i;
        v128.store(K_S + (<usize>i << 3), f64x2.convert_low_i32x4_u(v128.load64_zero(kRow + (<usize>c << 2))));
        v128.store(N_S + (<usize>i << 3), f64x2.convert_low_i32x4_u(v128.load64_zero(nRow + (<usize>c << 2))));
        if (mode == MU_FROM_Y) v128.store(MU_S + (<usize>i << 3), sigmoidV(f64x2.add(v128.load(yRow + (<usize>c << 3)), bv)));
      }
      if (i < cnt) {
        const c = c0 + i;
        store<f64>(K_S + (<usize>i << 3), <f64>load<u32>(kRow + (<usize>c << 2)));
        store<f64>(N_S + (<usize>i << 3), <f64>load<u32>(nRow + (<usize>c << 2)));
        if (mode == MU_FROM_Y) store<f64>(MU_S + (<usize>i << 3), sigmoidS(load<f64>(yRow + (<usize>c << 3)) + b));
      }
      const o = <usize>c0 << 3;
      if (mode == MU_FROM_Y) pairedCells(cnt, K_S, N_S, MU_S, MU_S, RHO_S, 0, oRow + o);
      else if (mode == MU_GIVEN) pairedCells(cnt, K_S, N_S, mRow + o, mRow + o, RHO_S, 0, oRow + o);
      else pairedCellsOmu(cnt, K_S, N_S, mRow + o, omRow + o, RHO_S, 0, oRow + o);
    }
  }
}

// 0 … 8 as f64, for smallIntV.
const SMALL_INTS: usize = memory.data<f64>([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);

/** splat(i) for i = 0 … 8, loaded (one instruction) rather than built as a constant. */
@inline function smallIntV(i: f64): v128 {
  return v128.load64_splat(SMALL_INTS + (<usize>(<i32>i) << 3));
}

/** The factor u of step i of a block from j: (j − i + 1)·((n − j + i − 1) + β). */
@inline function tailU(j: v128, nj: v128, b: v128, i: f64): v128 {
  const c = smallIntV(i - 1.0);
  return f64x2.mul(f64x2.sub(j, c), f64x2.add(f64x2.add(nj, c), b));
}

/**
 * The factor d of step i of a block from j: (n − j + i)·((j − i) + α), with (j − i) + α raised to α
 * where j − i < 0 (past the end of the tail: the step's u is 0 or its term is already 0).
 */
@inline function tailD(n: v128, j: v128, nj: v128, a: v128, i: f64, guard: bool): v128 {
  const c = smallIntV(i);
  const x = f64x2.add(f64x2.sub(j, c), a);
  return f64x2.mul(f64x2.add(nj, c), guard ? f64x2.pmax(x, a) : x);
}

/**
 * One block of eight steps from j (see lowerTailRelV): returns H/D and leaves U/D at TAIL_UC.
 * guard: raise (j − i) + α to α (needed only where some lane has j < 8).
 */
@inline function tailBlockV(j: v128, n: v128, a: v128, b: v128, guard: bool): v128 {
  const nj = f64x2.sub(n, j);
  const u1 = f64x2.mul(j, f64x2.add(nj, b));
  const d1 = tailD(n, j, nj, a, 1.0, guard);
  const u2 = tailU(j, nj, b, 2.0);
  const d2 = tailD(n, j, nj, a, 2.0, guard);
  const u3 = tailU(j, nj, b, 3.0);
  const d3 = tailD(n, j, nj, a, 3.0, guard);
  const u4 = tailU(j, nj, b, 4.0);
  const d4 = tailD(n, j, nj, a, 4.0, guard);
  const u5 = tailU(j, nj, b, 5.0);
  const d5 = tailD(n, j, nj, a, 5.0, guard);
  const u6 = tailU(j, nj, b, 6.0);
  const d6 = tailD(n, j, nj, a, 6.0, guard);
  const u7 = tailU(j, nj, b, 7.0);
  const d7 = tailD(n, j, nj, a, 7.0, guard);
  const u8 = tailU(j, nj, b, 8.0);
  const d8 = tailD(n, j, nj, a, 8.0, guard);
  const p7 = f64x2.mul(d7, d8);
  const p6 = f64x2.mul(d6, p7);
  const p5 = f64x2.mul(d5, p6);
  const p4 = f64x2.mul(d4, p5);
  const p3 = f64x2.mul(d3, p4);
  const p2 = f64x2.mul(d2, p3);
  let h = fmaV(u7, f64x2.add(d8, u8), p7);
  h = fmaV(u6, h, p6);
  h = fmaV(u5, h, p5);
  h = fmaV(u4, h, p4);
  h = fmaV(u3, h, p3);
  h = f64x2.mul(u1, fmaV(u2, h, p2));
  const c = f64x2.div(splat(1.0), f64x2.mul(d1, p2));
  const uu = f64x2.mul(f64x2.mul(f64x2.mul(u1, u2), f64x2.mul(u3, u4)), f64x2.mul(f64x2.mul(u5, u6), f64x2.mul(u7, u8)));
  v128.store(TAIL_UC, f64x2.mul(uu, c));
  return f64x2.mul(h, c);
}

// U/D of the last tailBlockV.
const TAIL_UC: usize = memory.data(16, 16);

// Lanes of lowerTailRelV that reached their cap while heavy (all-ones), stored here.
const TAIL_REDO: usize = memory.data(16, 16);

/**
 * lowerTailRel for two cells at once (f64x2 lanes, no rescaling: only for f(k) ≥ e^−450, see
 * LIN_LOG_F), in blocks of eight steps with one division; lanes run in lock step until
 * both have stopped (t = 0 marks a stopped lane; past j = 0 the zero factor u makes t 0, and
 * pmax(j − i + α, α) keeps the unused factors d of a last partial block positive: the guarded
 * block of tailBlockV, taken only where some lane has j < 8).
 * cap: per lane, as in lowerTailRel (+Inf for none); a lane whose tail is ≥ SWITCH_MASS at its cap
 * stops there and is flagged in TAIL_REDO.
 */
function lowerTailRelV(j0: v128, n: v128, a: v128, b: v128, f: v128, cap: v128): v128 {
  const zero = splat(0.0);
  const one = splat(1.0);
  const stopAllowed = f64x2.ge(a, one);
  const b1 = f64x2.pmax(b, one);
  let s = one;
  let t = one;
  let j = j0;
  let steps: f64 = 0;
  let redo = f64x2.ne(zero, zero);
  t = select(zero, t, f64x2.le(j, zero));
  while (anyTrue(f64x2.ne(t, zero))) {
    // Eight steps, j … j−7, with one division: with d_i, u_i the factors of step i, P_i = d_i…d_8,
    // the block adds t·H/D and leaves t·U/D, D = d_1P_2, U = u_1…u_8,
    //   H = u_1(P_2 + u_2(P_3 + … + u_7(P_8 + u_8))) (= D·(r_1 + r_1r_2 + … + r_1…r_8)).
    // n − j, j − i and their offsets are exact integers; α and β are added last (see lowerTailRel).
    // Bounds (n < 1024, α+β ≤ 1e15): d_i < 1e18, so D < 1e144; D ≥ α^8 ≥ 1e-240 (pmax).
    // Past j = 8 no factor needs the guard (j − i + α > 0 for i ≤ 8).
    let hc: v128;
    if (allTrue(f64x2.ge(j, splat(8.0)))) hc = tailBlockV(j, n, a, b, false);
    else hc = tailBlockV(j, n, a, b, true);
    const uc = v128.load(TAIL_UC);
    s = fmaV(t, hc, s);
    t = f64x2.mul(t, uc);
    j = f64x2.sub(j, splat(8.0));
    steps += 8.0;
    // Stop where the rest is provably below REL_STOP of the sum (stopHere without divisions:
    // R = Rn/Rd) or the lane has passed j = 0.
    const nj4 = f64x2.sub(n, j);
    const rn = f64x2.mul(j, f64x2.add(nj4, b1));
    const rd = f64x2.mul(f64x2.add(f64x2.sub(j, one), a), f64x2.add(nj4, one));
    const conv = v128.and(
      v128.and(stopAllowed, f64x2.lt(rn, rd)),
      f64x2.lt(f64x2.mul(t, rn), f64x2.mul(f64x2.mul(splat(REL_STOP), s), f64x2.sub(rd, rn))),
    );
    t = select(zero, t, v128.or(conv, f64x2.le(j, zero)));
    const atCap = v128.and(f64x2.ge(splat(steps), cap), f64x2.ne(t, zero));
    if (anyTrue(atCap)) {
      const heavyLane = v128.and(atCap, f64x2.ge(f64x2.mul(f, s), splat(SWITCH_MASS)));
      redo = v128.or(redo, heavyLane);
      t = select(zero, t, heavyLane);
      cap = select(f64x2.add(cap, cap), cap, atCap);
    }
  }
  v128.store(TAIL_REDO, redo);
  return s;
}
