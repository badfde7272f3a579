/**
 * Brent's bounded one-dimensional minimiser (Brent 1973, "Algorithms for Minimization without
 * Derivatives", ch. 5): golden-section search accelerated by successive parabolic interpolation.
 */
import { ArgumentTypeError, ArgumentValueError, requireFunction } from '../errors.js';
import { StopReason, checkOptions, integerOption, numberOption } from './common.js';

/** Options of `brent`. */
export interface BrentOptions {
  /** Relative x tolerance, default 1e-8. The tolerance at x is tol = xtol·|x| + atol. */
  xtol?: number;
  /** Absolute x tolerance, default 1e-12. */
  atol?: number;
  /** Iterations allowed (one evaluation each, plus one to start), default 500. */
  maxIterations?: number;
}

/** Result of `brent`. */
export interface BrentResult {
  x: number;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  /** 'xtol' (bracket small enough), 'maxIterations', or 'nonfinite' (f was never finite). */
  reason: StopReason;
}

/** (3 − √5)/2, the golden-section fraction. */
export const GOLDEN = 0.5 * (3 - Math.sqrt(5));

/** Validates and reads brent's numeric arguments; shared with brentBatch. */
export function readBrentOptions(options: BrentOptions | undefined) {
  checkOptions(options);
  const o = options as Record<string, unknown> | undefined;
  return {
    xtol: numberOption(o, 'xtol', 1e-8, 0, 1),
    atol: numberOption(o, 'atol', 1e-12, 0, Infinity),
    maxIterations: integerOption(o, 'maxIterations', 500, 1),
  };
}

/**
 * One step of Brent's method: the parabola through (x, fx), (w, fw), (v, fv) when its minimum
 * falls inside [a, b] and the step is less than half the step before last (e), a golden-section
 * step into the larger part of the bracket otherwise. Writes the new d (this step) and e (the
 * previous step) to out[0], out[1] and returns the trial point, at least tol1 away from x.
 * Shared by `brent` and `brentBatch`, so both take bit-identical steps.
 */
export function brentStep(a: number, b: number, x: number, w: number, v: number, fx: number, fw: number, fv: number, d: number, e: number, tol1: number, out: Float64Array): number {
  const xm = 0.5 * (a + b);
  const tol2 = 2 * tol1;
  let golden = true;
  if (Math.abs(e) > tol1 && fx < Infinity && fw < Infinity && fv < Infinity) {
    const r = (x - w) * (fx - fv);
    let q = (x - v) * (fx - fw);
    let p = (x - v) * q - (x - w) * r;
    q = 2 * (q - r);
    if (q > 0) p = -p;
    else q = -q;
    if (Math.abs(p) < Math.abs(0.5 * q * e) && p > q * (a - x) && p < q * (b - x)) {
      e = d;
      d = p / q;
      const u = x + d;
      if (u - a < tol2 || b - u < tol2) d = xm >= x ? tol1 : -tol1;
      golden = false;
    }
  }
  if (golden) {
    e = x >= xm ? a - x : b - x;
    d = GOLDEN * e;
  }
  out[0] = d;
  out[1] = e;
  return Math.abs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1);
}

/**
 * Minimises f on [lo, hi] by Brent's method. Keeps the bracket [a, b] and three points: x (best),
 * w (second best), v (previous w). Each iteration tries the minimiser of the parabola through
 * (x, w, v); it is accepted when it falls inside [a, b], not too close to the ends, and moves less
 * than half the step before last (so the steps shrink at least geometrically); otherwise a golden-
 * section step into the larger part of the bracket is taken. Never evaluates closer than tol to a
 * previous point or to the ends. Stops when |x − (a+b)/2| ≤ 2·tol − (b − a)/2, tol = xtol·|x| + atol,
 * i.e. when the bracket around x has width ≤ 4·tol.
 *
 * Converges to a local minimum (the global one for unimodal f); with a minimum at an end, x ends
 * within about tol of it (ends themselves are never evaluated). Non-finite f(x) is treated as +Inf
 * (parabolic steps are skipped while any of f(x), f(w), f(v) is not finite); if f is not finite at
 * the first (golden-section) point, up to 64 points of the sequence lo + frac(k·0.618…)(hi − lo)
 * are probed for a finite start; if none is found the result has reason 'nonfinite', f = Infinity.
 *
 * @throws ArgumentTypeError if f is not a function or lo/hi are not numbers; ArgumentValueError if
 * lo/hi are not finite or lo ≥ hi.
 */
export function brent(f: (x: number) => number, lo: number, hi: number, options?: BrentOptions): BrentResult {
  requireFunction(f, 'f');
  checkBounds(lo, hi);
  const { xtol, atol, maxIterations } = readBrentOptions(options);
  let a = lo;
  let b = hi;
  let x = a + GOLDEN * (b - a);
  let w = x;
  let v = x;
  let fx = finiteOrInf(f(x));
  let fw = fx;
  let fv = fx;
  let d = 0; // last step
  let e = 0; // step before last
  let evaluations = 1;
  // A non-finite start says nothing about where the minimum is: probe a low-discrepancy sequence
  // (fractional parts of k·0.618…) for a finite point and start Brent's iteration from there.
  for (let k = 1; fx === Infinity && k <= 64; k++) {
    const t = (k * (1 - GOLDEN)) % 1;
    const u = a + t * (b - a);
    const fu = finiteOrInf(f(u));
    evaluations++;
    if (fu < Infinity) {
      x = w = v = u;
      fx = fw = fv = fu;
    }
  }
  if (fx === Infinity) return { x, f: Infinity, iterations: 0, evaluations, converged: false, reason: 'nonfinite' };
  let iterations = 0;
  let reason: StopReason = 'maxIterations';
  const step = new Float64Array(2);
  for (;;) {
    const tol1 = xtol * Math.abs(x) + atol;
    if (Math.abs(x - 0.5 * (a + b)) <= 2 * tol1 - 0.5 * (b - a)) {
      reason = 'xtol';
      break;
    }
    if (iterations >= maxIterations) break;
    iterations++;
    const u = brentStep(a, b, x, w, v, fx, fw, fv, d, e, tol1, step);
    d = step[0];
    e = step[1];
    const fu = finiteOrInf(f(u));
    evaluations++;
    if (fu <= fx) {
      if (u >= x) a = x;
      else b = x;
      v = w;
      fv = fw;
      w = x;
      fw = fx;
      x = u;
      fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u;
        fv = fu;
      }
    }
  }
  return { x, f: fx, iterations, evaluations, converged: reason === 'xtol', reason };
}

/** Non-finite values (NaN, ±Inf) count as +Inf so that the search moves away from them. */
function finiteOrInf(v: number): number {
  return Number.isFinite(v) ? v : Infinity;
}

/** Checks a scalar bracket: numbers, finite, lo < hi. */
function checkBounds(lo: unknown, hi: unknown): void {
  if (typeof lo !== 'number') throw new ArgumentTypeError(`lo must be a number, got ${typeof lo}`, 'lo');
  if (typeof hi !== 'number') throw new ArgumentTypeError(`hi must be a number, got ${typeof hi}`, 'hi');
  if (!Number.isFinite(lo)) throw new ArgumentValueError(`lo must be finite, got ${lo}`, 'lo');
  if (!Number.isFinite(hi)) throw new ArgumentValueError(`hi must be finite, got ${hi}`, 'hi');
  if (!(lo < hi)) throw new ArgumentValueError(`lo must be less than hi, got lo = ${lo}, hi = ${hi}`, 'lo');
}
