/**
 * Beta-distribution quantiles for the QQ plot's confidence band, in plain TypeScript (a figure must
 * not need the WebAssembly core).
 *
 * The i-th smallest of n independent Uniform(0, 1) p-values is Beta(i, n − i + 1) distributed, so
 * the (1 ± level)/2 quantiles of that beta give a pointwise band around the expected p-value of rank
 * i (as FRASER's plotQQ does with R's qbeta).
 *
 * Symbols: I_x(a, b) the regularised incomplete beta function (the Beta(a, b) CDF), B(a, b) the
 * beta function, ω(x) = lnΓ(x) − [(x − ½) ln x − x + ½ ln 2π] Stirling's remainder.
 *
 * - I_x(a, b): the continued fraction of A&S 26.5.8, evaluated by the modified Lentz method, for
 *   x < (a + 1)/(a + b + 2), where it converges quickly; otherwise 1 − I_{1−x}(b, a).
 * - ln B(a, b): with both arguments ≥ 10, Stirling's formula rearranged so that no two large terms
 *   cancel, ln B = ½ ln 2π − ½ ln b + (a − ½) ln(a/(a+b)) + b ln(1 − a/(a+b)) + ω(a) + ω(b) − ω(a+b)
 *   (a ≤ b); with a < 10 ≤ b, lnΓ(a) plus the same rearrangement for lnΓ(b) − lnΓ(a + b). A direct
 *   lnΓ(a) + lnΓ(b) − lnΓ(a + b) at n = 10⁷ would lose ~10⁻⁸ to cancellation.
 * - The quantile: closed forms for a = 1 or b = 1 (x = 1 − (1 − p)^{1/b}, x = p^{1/a}); otherwise
 *   Halley's method on the smaller tail's residual (I_x − p below the median, (1 − p) − (1 − I_x)
 *   above), kept inside a bracket that every evaluation narrows, from A&S 26.5.22 (a, b ≥ 1) or the
 *   power-law tails (a or b < 1) as the start.
 *
 * Accuracy, against scipy.stats.beta.ppf on the committed fixture (test/fixtures/plot/make_qq_band.py,
 * n up to 10⁷, allowing scipy's own error, which reaches 1.6e-6 at a = 1000, b ≈ 10⁷): within 1e-11
 * relative; the worst, 4e-12, is where one shape is ~10⁶ and the other 2 (the continued fraction near
 * its switch point, evaluated with Lentz's recurrences, loses a few digits), most are within 1e-14.
 * Far more than a figure needs; 10–40 µs a quantile.
 */
import { lgammaPlain } from '../stats/plain.js';

const HALF_LOG_2PI = 0.9189385332046728;
const EPS = 1e-15;
const TINY = 1e-300;

/** ω(x) = lnΓ(x) − [(x − ½) ln x − x + ½ ln 2π] for x ≥ 10, by Stirling's series to x⁻¹³ (error < 1e-17 at 10). */
function stirlingRemainder(x: number): number {
  const w = 1 / (x * x);
  return (1 / x) * (1 / 12 - w * (1 / 360 - w * (1 / 1260 - w * (1 / 1680 - w * (1 / 1188 - w * (691 / 360360 - w / 156))))));
}

/** ln B(a, b) for a, b > 0, without the cancellation of large lnΓ terms. */
export function logBeta(a: number, b: number): number {
  if (a > b) [a, b] = [b, a];
  if (b < 10) return lgammaPlain(a) + lgammaPlain(b) - lgammaPlain(a + b);
  const s = a + b;
  const r = a / s;
  // lnΓ(b) − lnΓ(a + b) = −a ln(a+b) + (b − ½) ln(1 − a/(a+b)) + a + ω(b) − ω(a + b)
  if (a < 10) return lgammaPlain(a) - a * Math.log(s) + (b - 0.5) * Math.log1p(-r) + a + stirlingRemainder(b) - stirlingRemainder(s);
  return HALF_LOG_2PI - 0.5 * Math.log(b) + (a - 0.5) * Math.log(r) + b * Math.log1p(-r) + stirlingRemainder(a) + stirlingRemainder(b) - stirlingRemainder(s);
}

/**
 * The continued fraction of I_x(a, b) times a/(prefactor); converges fast for x < (a+1)/(a+b+2).
 * y = 1 − x, given separately because it is exact where the caller swapped the tails.
 */
function continuedFraction(x: number, y: number, a: number, b: number): number {
  const maxIter = 1000 + 20 * Math.ceil(Math.sqrt(Math.max(a, b)));
  let c = 1;
  // 1 − (a+b)x/(a+1), written as (1 − b + (a+b)y)/(a+1) when x is near 1, where the first form
  // cancels (at a = 10⁶, x = 1 − 5.6e-6 it lost 2e-11 relative).
  let d = x <= 0.5 ? 1 - ((a + b) * x) / (a + 1) : (1 - b + (a + b) * y) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIter; m++) {
    const m2 = 2 * m;
    let t = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + t * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + t / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    t = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + t * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + t / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPS) break;
  }
  return h;
}

/**
 * Both tails, [I_x(a, b), 1 − I_x(a, b)], each to full relative precision where it is the one the
 * continued fraction computes and to full absolute precision otherwise; 0 < x < 1.
 */
function tails(x: number, a: number, b: number, lbeta: number): [number, number] {
  // The prefactor x^a (1−x)^b / B is the same for both tails; it is formed from x, never from a
  // rounded 1 − x (which at x = 1e-7 would cost 1e-9 relative through b ln(1 − x) with b = 1e7).
  const prefactor = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - lbeta);
  if (x < (a + 1) / (a + b + 2)) {
    const lower = (prefactor * continuedFraction(x, 1 - x, a, b)) / a;
    return [lower, 1 - lower];
  }
  const upper = (prefactor * continuedFraction(1 - x, x, b, a)) / b;
  return [1 - upper, upper];
}

/**
 * The regularised incomplete beta function I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b), a, b > 0.
 * Returns NaN for NaN input or a, b ≤ 0; 0 for x ≤ 0 and 1 for x ≥ 1.
 */
export function betaCdf(x: number, a: number, b: number): number {
  if (Number.isNaN(x) || !(a > 0) || !(b > 0)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return tails(x, a, b, logBeta(a, b))[0];
}

/** Upper-tail standard normal quantile z with Q(z) = p, p ≤ ½ (A&S 26.2.23, |error| < 4.5e-4): a start only. */
function normalUpper(p: number): number {
  const t = Math.sqrt(-2 * Math.log(p));
  return t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
}

/** A starting point for the p-quantile of Beta(a, b), p ≤ ½. */
function initialGuess(p: number, a: number, b: number): number {
  if (a >= 1 && b >= 1) {
    // A&S 26.5.22 with y the upper normal quantile of p (the lower beta tail).
    const y = normalUpper(p);
    const lambda = (y * y - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (y * Math.sqrt(h + lambda)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (lambda + 5 / 6 - 2 / (3 * h));
    return a / (a + b * Math.exp(2 * w));
  }
  // Near 0 the CDF behaves as x^a/(a B) and near 1 as 1 − (1−x)^b/(b B); split the mass between them.
  const t = Math.exp(a * Math.log(a / (a + b))) / a;
  const u = Math.exp(b * Math.log(b / (a + b))) / b;
  const w = t + u;
  return p < t / w ? Math.pow(a * w * p, 1 / a) : 1 - Math.pow(b * w * (1 - p), 1 / b);
}

/**
 * The p-quantile of Beta(a, b): x with I_x(a, b) = p. p in [0, 1], a, b > 0; NaN otherwise.
 * Compare scipy.stats.beta.ppf(p, a, b) and R's qbeta(p, a, b).
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1) || !(a > 0) || !(b > 0)) return NaN;
  if (p === 0 || p === 1) return p;
  if (a === 1) return -Math.expm1(Math.log1p(-p) / b);
  if (b === 1) return Math.exp(Math.log(p) / a);
  // Above the median the residual is taken in the upper tail, whose target 1 − p is exact
  // (Sterbenz) and which the continued fraction gives to full relative precision there.
  const upper = p > 0.5;
  const target = upper ? 1 - p : p;
  const lbeta = logBeta(a, b);
  let lo = 0;
  let hi = 1;
  let x = initialGuess(target, upper ? b : a, upper ? a : b);
  if (upper) x = 1 - x;
  if (!(x > 0 && x < 1)) x = 0.5;
  for (let it = 0; it < 200; it++) {
    const [lower, up] = tails(x, a, b, lbeta);
    const f = upper ? target - up : lower - target;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    // Halley: f' = x^{a−1}(1−x)^{b−1}/B and f''/f' = (a−1)/x − (b−1)/(1−x). Far from the root the
    // second-order factor can shrink or blow up the step; Newton's step is used unless the factor
    // is within [½, 2].
    const fp = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lbeta);
    const newton = f / fp;
    const factor = 1 - 0.5 * newton * ((a - 1) / x - (b - 1) / (1 - x));
    const step = factor >= 0.5 && factor <= 2 ? newton / factor : newton;
    if (Math.abs(step) <= 4 * Number.EPSILON * x) return x - step;
    let next = x - step;
    // Out of the bracket (or NaN where f' underflowed): bisect, geometrically while lo > 0 so
    // that a quantile of 1e-12 is reached in a few dozen halvings of the exponent, not thousands.
    if (!(next > lo && next < hi)) next = lo > 0 ? Math.sqrt(lo * hi) : hi / 2;
    if (hi - lo <= 4 * Number.EPSILON * hi) return next;
    x = next;
  }
  return x;
}

/**
 * Plotting positions of R's ppoints(n): (i − c)/(n + 1 − 2c) for i = 1..n, c = 3/8 for n ≤ 10 and ½
 * otherwise; the expected value of the i-th smallest of n uniform p-values, as FRASER's QQ plot uses.
 */
export function plottingPosition(i: number, n: number): number {
  const c = n <= 10 ? 3 / 8 : 0.5;
  return (i - c) / (n + 1 - 2 * c);
}

/** The pointwise confidence band for the order statistics of n uniform p-values at the given ranks. */
export interface QQBand {
  /** The ranks (1 = the smallest p-value). */
  ranks: Float64Array;
  /** Expected p-value of each rank (`plottingPosition`). */
  expected: Float64Array;
  /** The (1 − level)/2 quantile of Beta(i, n − i + 1): the band's small-p edge. */
  lower: Float64Array;
  /** The (1 + level)/2 quantile: the band's large-p edge. */
  upper: Float64Array;
}

/**
 * The `level` band for ranks `ranks` (default: every rank up to 20, then ranks growing by 4% so that
 * the band has a few hundred points for any n). n ≥ 1, 0 < level < 1.
 */
export function qqBand(n: number, level = 0.95, ranks?: ArrayLike<number>): QQBand {
  const r = ranks ? Float64Array.from(ranks) : bandRanks(n);
  const m = r.length;
  const out: QQBand = { ranks: r, expected: new Float64Array(m), lower: new Float64Array(m), upper: new Float64Array(m) };
  const lo = (1 - level) / 2;
  const hi = (1 + level) / 2;
  for (let k = 0; k < m; k++) {
    const i = r[k];
    out.expected[k] = plottingPosition(i, n);
    out.lower[k] = betaQuantile(lo, i, n - i + 1);
    out.upper[k] = betaQuantile(hi, i, n - i + 1);
  }
  return out;
}

/** Ranks 1..20, then growing geometrically by 4%, and n: uniform steps in −log10 of the expected p. */
export function bandRanks(n: number): Float64Array {
  const out: number[] = [];
  for (let i = 1; i <= n; i = i < 20 ? i + 1 : Math.max(i + 1, Math.round(i * 1.04))) out.push(i);
  if (out[out.length - 1] !== n && n >= 1) out.push(n);
  return Float64Array.from(out);
}
