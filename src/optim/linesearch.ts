/**
 * Strong-Wolfe line search (Nocedal & Wright 2006, Algorithms 3.5 and 3.6), allocation-free after
 * construction. Used by L-BFGS.
 */
import { Objective, EPS, dot } from './common.js';

/** The step satisfies the strong Wolfe conditions; the point is in `xOut`/`gOut`. */
export const LS_OK = 0;
/** No Wolfe step was found. `hasLo` says whether a point with sufficient decrease is in `xLo`/`gLo`. */
export const LS_FAILED = 1;

/**
 * Finds a step α > 0 along a descent direction d from x with
 *   φ(α) ≤ φ(0) + c1·α·φ'(0)   (sufficient decrease) and   |φ'(α)| ≤ c2·|φ'(0)|   (curvature),
 * where φ(α) = f(x + α d). Phase 1 (N&W Alg. 3.5) expands the step by ×2 until the interval
 * [α_prev, α] brackets a Wolfe step; phase 2 (N&W Alg. 3.6, "zoom") shrinks the bracket, choosing
 * trial steps by the minimiser of the cubic interpolating φ and φ' at both ends (N&W eq. 3.59),
 * safeguarded to the middle 80% of the bracket, with bisection as fallback.
 *
 * Non-finite φ(α) or φ'(α) is treated as "too far": that α becomes the upper end of the bracket and
 * the next trial is 10% into the bracket from the good end, so NaN regions are backed out of.
 *
 * Buffers (length n, allocated once): on LS_OK the accepted point and its gradient are in the
 * caller's `xOut`/`gOut`; `xLo`/`gLo`/`fLo`/`alphaLo` always hold the best point found that has
 * sufficient decrease (valid when `hasLo`), which the caller may accept when the search fails.
 */
export class StrongWolfeLineSearch {
  readonly xLo: Float64Array;
  readonly gLo: Float64Array;
  fLo = 0;
  alphaLo = 0;
  hasLo = false;
  /** Accepted step and value on LS_OK. */
  alpha = 0;
  f = 0;
  /** Evaluations used by the last search. */
  evaluations = 0;
  /** The last search hit a non-finite value at least once. */
  sawNonfinite = false;
  /** The last search ran out of its evaluation budget. */
  exhausted = false;

  private fn!: Objective;
  private x!: Float64Array;
  private d!: Float64Array;
  private xOut!: Float64Array;
  private gOut!: Float64Array;
  private dphi = 0;
  private f0 = 0;
  private dphi0 = 0;
  private maxEvals = 0;

  constructor(
    readonly n: number,
    readonly c1 = 1e-4,
    readonly c2 = 0.9,
    readonly alphaMax = 1e20,
  ) {
    this.xLo = new Float64Array(n);
    this.gLo = new Float64Array(n);
  }

  /**
   * Runs one search. `x` (current point, not modified), `f0` = f(x), `d` (direction) and
   * `dphi0` = ∇f(x)·d < 0; `alpha0` > 0 is the first trial; at most `maxEvals` evaluations.
   * Returns LS_OK or LS_FAILED.
   */
  search(fn: Objective, x: Float64Array, f0: number, d: Float64Array, dphi0: number, alpha0: number, maxEvals: number, xOut: Float64Array, gOut: Float64Array): number {
    this.fn = fn;
    this.x = x;
    this.d = d;
    this.xOut = xOut;
    this.gOut = gOut;
    this.f0 = f0;
    this.dphi0 = dphi0;
    this.maxEvals = maxEvals;
    this.evaluations = 0;
    this.hasLo = false;
    this.sawNonfinite = false;
    this.exhausted = false;
    const c1 = this.c1;
    const curv = -this.c2 * dphi0;

    let aPrev = 0;
    let fPrev = f0;
    let dPrev = dphi0;
    let a = Math.min(alpha0, this.alphaMax);
    for (let i = 0; ; i++) {
      if (this.evaluations >= this.maxEvals) {
        this.exhausted = true;
        return LS_FAILED;
      }
      const f = this.phi(a);
      const dp = this.dphi;
      if (!Number.isFinite(f) || !Number.isFinite(dp)) {
        this.sawNonfinite = true;
        return this.zoom(aPrev, fPrev, dPrev, a, NaN, NaN);
      }
      if (f > f0 + c1 * a * dphi0 || (i > 0 && f >= fPrev)) return this.zoom(aPrev, fPrev, dPrev, a, f, dp);
      if (Math.abs(dp) <= curv) {
        this.alpha = a;
        this.f = f;
        return LS_OK;
      }
      this.keepLo(a, f);
      if (dp >= 0) return this.zoom(a, f, dp, aPrev, fPrev, dPrev);
      if (a >= this.alphaMax) return LS_FAILED;
      aPrev = a;
      fPrev = f;
      dPrev = dp;
      a = Math.min(2 * a, this.alphaMax);
    }
  }

  /** φ(α): writes x + α d into xOut, evaluates, sets this.dphi = ∇f·d. */
  private phi(alpha: number): number {
    const { x, d, xOut, gOut } = this;
    const n = this.n;
    for (let i = 0; i < n; i++) xOut[i] = x[i] + alpha * d[i];
    const f = this.fn(xOut, gOut);
    this.evaluations++;
    this.dphi = dot(gOut, d, n);
    return f;
  }

  private keepLo(alpha: number, f: number): void {
    this.xLo.set(this.xOut);
    this.gLo.set(this.gOut);
    this.fLo = f;
    this.alphaLo = alpha;
    this.hasLo = true;
  }

  /** N&W Alg. 3.6. (alo, flo, dlo) has sufficient decrease and the lowest f so far; ahi may be either side. */
  private zoom(alo: number, flo: number, dlo: number, ahi: number, fhi: number, dhi: number): number {
    const f0 = this.f0;
    const dphi0 = this.dphi0;
    const c1 = this.c1;
    const curv = -this.c2 * dphi0;
    for (;;) {
      if (this.evaluations >= this.maxEvals) {
        this.exhausted = true;
        return LS_FAILED;
      }
      const w = ahi - alo;
      if (Math.abs(w) <= 4 * EPS * Math.max(Math.abs(alo), Math.abs(ahi))) return LS_FAILED;
      let aj: number;
      if (!Number.isFinite(fhi)) {
        aj = alo + 0.1 * w;
      } else {
        if (Number.isFinite(dhi)) {
          // Cubic through (alo, flo, dlo) and (ahi, fhi, dhi), N&W eq. 3.59.
          const d1 = dlo + dhi - (3 * (flo - fhi)) / (alo - ahi);
          const disc = d1 * d1 - dlo * dhi;
          if (disc >= 0) {
            const d2 = Math.sign(w) * Math.sqrt(disc);
            aj = ahi - w * ((dhi + d2 - d1) / (dhi - dlo + 2 * d2));
          } else aj = NaN;
        } else aj = NaN;
        if (!Number.isFinite(aj)) {
          // Quadratic through flo, dlo and fhi.
          const den = 2 * (fhi - flo - dlo * w);
          aj = den > 0 ? alo - (dlo * w * w) / den : NaN;
        }
        const lo = Math.min(alo, ahi) + 0.1 * Math.abs(w);
        const hi = Math.max(alo, ahi) - 0.1 * Math.abs(w);
        if (!(aj >= lo && aj <= hi)) aj = alo + 0.5 * w;
      }
      const f = this.phi(aj);
      const dp = this.dphi;
      if (!Number.isFinite(f) || !Number.isFinite(dp)) {
        this.sawNonfinite = true;
        ahi = aj;
        fhi = NaN;
        dhi = NaN;
        continue;
      }
      if (f > f0 + c1 * aj * dphi0 || f >= flo) {
        ahi = aj;
        fhi = f;
        dhi = dp;
      } else {
        if (Math.abs(dp) <= curv) {
          this.alpha = aj;
          this.f = f;
          return LS_OK;
        }
        if (dp * w >= 0) {
          ahi = alo;
          fhi = flo;
          dhi = dlo;
        }
        alo = aj;
        flo = f;
        dlo = dp;
        this.keepLo(aj, f);
      }
    }
  }
}
