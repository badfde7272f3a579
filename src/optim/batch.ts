/**
 * Batched optimisers for many small independent problems (for example one 1–3 parameter fit per
 * junction): every problem advances by one objective evaluation per batched call, so the caller
 * evaluates all active problems at once (one SIMD kernel over all of them). All buffers are
 * allocated once up front; finished problems drop out of the active index list.
 */
import { ArgumentValueError, ShapeError, requireFloat64Array, requireFunction, requireInteger } from '../errors.js';
import { EPS, StopReason, callbackOption, checkOptions, integerOption, numberOption, relativeChange, signalOption } from './common.js';
import { GOLDEN, BrentOptions, brentStep, readBrentOptions } from './brent.js';

/**
 * Vectorised objective. For each of the first `nActive` entries p of `active` (problem indices),
 * evaluate problem p at X[p·dim .. p·dim+dim), write its gradient into G at the same offsets and its
 * value into F[p]. Rows of problems not in the list must be ignored (they hold stale values).
 */
export type BatchObjective = (X: Float64Array, G: Float64Array, F: Float64Array, active: Uint32Array, nActive: number) => void;

/** Per-problem stop codes of the batched optimisers (Uint8Array entries). */
export const BatchReason = {
  running: 0,
  ftol: 1,
  gtol: 2,
  xtol: 3,
  maxIterations: 4,
  maxEvaluations: 5,
  lineSearchFailed: 6,
  aborted: 7,
  nonfinite: 8,
} as const;
/** One of the BatchReason values. */
export type BatchReasonCode = (typeof BatchReason)[keyof typeof BatchReason];

const REASON_NAMES: readonly (StopReason | 'running')[] = ['running', 'ftol', 'gtol', 'xtol', 'maxIterations', 'maxEvaluations', 'lineSearchFailed', 'aborted', 'nonfinite'];

/** The StopReason string of a BatchReason code ('running' for 0). */
export function batchReasonName(code: number): StopReason | 'running' {
  const r = REASON_NAMES[code];
  if (r === undefined) throw new ArgumentValueError(`unknown batch reason code ${code}`, 'code');
  return r;
}

/** Options of `minimizeBatch`. */
export interface BatchOptions {
  /** History pairs per problem, default 5. */
  m?: number;
  /** Iterations (accepted steps) per problem, default 1000. */
  maxIterations?: number;
  /** Batched calls of the objective in total, default Infinity. */
  maxEvaluations?: number;
  /** Per problem: stop when |f_k − f_{k+1}| / max(|f_k|, |f_{k+1}|, 1) ≤ ftol, default 1e-10. */
  ftol?: number;
  /** Per problem: stop when the gradient's max-norm ≤ gtol, default 1e-6. */
  gtol?: number;
  /** Armijo constant, default 1e-4. */
  c1?: number;
  /** Backtracking steps allowed per line search, default 40. */
  maxBacktracks?: number;
  signal?: AbortSignal;
  /** Called after every batched call. */
  onProgress?: (info: { evaluations: number; nActive: number }) => void;
}

/** Result of `minimizeBatch`; arrays are indexed by problem (x row-major count×dim). */
export interface BatchResult {
  x: Float64Array;
  f: Float64Array;
  /** Max-norm of each problem's gradient at its x. */
  gradNorm: Float64Array;
  iterations: Uint32Array;
  /** Number of batched calls of the objective. */
  evaluations: number;
  converged: Uint8Array;
  /** BatchReason codes. */
  reason: Uint8Array;
}

/**
 * Minimises `count` independent functions of `dim` variables each by a vectorised L-BFGS (Nocedal &
 * Wright 2006, Alg. 7.4/7.5) with a backtracking Armijo line search (N&W Alg. 3.1) whose step
 * reductions use the minimiser of the quadratic through f(0), f'(0) and f(α), kept in [0.1α, 0.5α]
 * (N&W §3.5). Every problem is a small state machine: after each batched call it either accepts its
 * trial point (updates its memory, tests convergence, computes its next direction and trial point)
 * or backtracks. First trial step is 1/‖g‖₂ with an empty memory, 1 otherwise. Pairs with
 * s·y ≤ ε‖y‖² are skipped (with an Armijo-only search the curvature condition is not guaranteed).
 * A failed search clears the memory and retries with steepest descent once before stopping the
 * problem ('lineSearchFailed', or 'nonfinite' when NaN/Inf caused it; the last accepted point is
 * kept). Non-finite trial values count as Armijo failures (step ×0.25).
 *
 * Memory: per-problem history in one count×m×dim Float64Array each for s and y, plus O(count·dim)
 * work arrays, all allocated before the first call; nothing is allocated per problem or iteration.
 *
 * @param fn vectorised objective (see BatchObjective); X/G/F passed to it are the optimiser's trial buffers
 * @param x0 count×dim starting points, row-major (copied)
 * @throws ArgumentValueError naming x0 if any problem's value or gradient is not finite at its start
 */
export function minimizeBatch(fn: BatchObjective, x0: Float64Array, count: number, dim: number, options?: BatchOptions): BatchResult {
  requireFunction(fn, 'fn');
  requireFloat64Array(x0, 'x0');
  requireInteger(count, 'count', 1);
  requireInteger(dim, 'dim', 1);
  if (x0.length !== count * dim) throw new ShapeError(`x0 must have length count·dim = ${count * dim}, got ${x0.length}`, 'x0');
  checkOptions(options);
  const o = options as Record<string, unknown> | undefined;
  const m = integerOption(o, 'm', 5, 1, 1000);
  const maxIterations = integerOption(o, 'maxIterations', 1000, 0);
  const maxEvaluations = integerOption(o, 'maxEvaluations', Infinity, 1);
  const ftol = numberOption(o, 'ftol', 1e-10, 0, Infinity);
  const gtol = numberOption(o, 'gtol', 1e-6, 0, Infinity);
  const c1 = numberOption(o, 'c1', 1e-4, 0, 0.5, true);
  const maxBacktracks = integerOption(o, 'maxBacktracks', 40, 1);
  const signal = signalOption(o);
  const onProgress = callbackOption<(info: { evaluations: number; nActive: number }) => void>(o, 'onProgress');

  const N = count * dim;
  const X = x0.slice();
  const G = new Float64Array(N);
  const F = new Float64Array(count);
  const XT = new Float64Array(N);
  const GT = new Float64Array(N);
  const FT = new Float64Array(count);
  const D = new Float64Array(N);
  const S = new Float64Array(count * m * dim);
  const Y = new Float64Array(count * m * dim);
  const RHO = new Float64Array(count * m);
  const head = new Uint32Array(count);
  const hcount = new Uint32Array(count);
  const alpha = new Float64Array(count);
  const dphi0 = new Float64Array(count);
  const backtracks = new Uint32Array(count);
  const flags = new Uint8Array(count); // bit 0: just reset, bit 1: saw non-finite in this search
  const iterations = new Uint32Array(count);
  const reason = new Uint8Array(count);
  const gradNorm = new Float64Array(count);
  const active = new Uint32Array(count);
  const aBuf = new Float64Array(m);
  for (let p = 0; p < count; p++) active[p] = p;
  let nActive = count;

  const gNormInf = (p: number): number => {
    let s = 0;
    const off = p * dim;
    for (let i = 0; i < dim; i++) {
      const v = Math.abs(G[off + i]);
      if (v > s) s = v;
    }
    return s;
  };

  /** Two-loop recursion for problem p, then the first trial point. */
  const startSearch = (p: number): void => {
    const off = p * dim;
    const hOff = p * m;
    const cnt = hcount[p];
    for (let i = 0; i < dim; i++) D[off + i] = G[off + i];
    if (cnt > 0) {
      let j = head[p];
      for (let k = 0; k < cnt; k++) {
        j = j === 0 ? m - 1 : j - 1;
        const so = (hOff + j) * dim;
        let a = 0;
        for (let i = 0; i < dim; i++) a += S[so + i] * D[off + i];
        a *= RHO[hOff + j];
        aBuf[j] = a;
        for (let i = 0; i < dim; i++) D[off + i] -= a * Y[so + i];
      }
      const newest = head[p] === 0 ? m - 1 : head[p] - 1;
      const no = (hOff + newest) * dim;
      let yy = 0;
      for (let i = 0; i < dim; i++) yy += Y[no + i] * Y[no + i];
      const gamma = 1 / (RHO[hOff + newest] * yy);
      for (let i = 0; i < dim; i++) D[off + i] *= gamma;
      for (let k = 0; k < cnt; k++) {
        const so = (hOff + j) * dim;
        let b = 0;
        for (let i = 0; i < dim; i++) b += Y[so + i] * D[off + i];
        const c = aBuf[j] - b * RHO[hOff + j];
        for (let i = 0; i < dim; i++) D[off + i] += c * S[so + i];
        j = j === m - 1 ? 0 : j + 1;
      }
    }
    let gd = 0;
    for (let i = 0; i < dim; i++) {
      D[off + i] = -D[off + i];
      gd += G[off + i] * D[off + i];
    }
    if (!(gd < 0) || !Number.isFinite(gd)) {
      hcount[p] = 0;
      head[p] = 0;
      gd = 0;
      for (let i = 0; i < dim; i++) {
        D[off + i] = -G[off + i];
        gd -= G[off + i] * G[off + i];
      }
    }
    dphi0[p] = gd;
    const a0 = hcount[p] === 0 ? 1 / Math.sqrt(-gd) : 1;
    alpha[p] = a0;
    backtracks[p] = 0;
    flags[p] &= ~2;
    for (let i = 0; i < dim; i++) XT[off + i] = X[off + i] + a0 * D[off + i];
  };

  // Start: evaluate every problem at x0.
  fn(X, G, F, active, nActive);
  let evaluations = 1;
  for (let p = 0; p < count; p++) {
    let ok = Number.isFinite(F[p]);
    for (let i = 0; ok && i < dim; i++) ok = Number.isFinite(G[p * dim + i]);
    if (!ok) throw new ArgumentValueError(`the objective is not finite at x0 for problem ${p} (f = ${F[p]})`, 'x0');
    gradNorm[p] = gNormInf(p);
    if (gradNorm[p] <= gtol) reason[p] = BatchReason.gtol;
    else if (maxIterations === 0) reason[p] = BatchReason.maxIterations;
    else startSearch(p);
  }

  for (;;) {
    // Compact the active list.
    let k2 = 0;
    for (let k = 0; k < nActive; k++) if (reason[active[k]] === BatchReason.running) active[k2++] = active[k];
    nActive = k2;
    if (nActive === 0) break;
    if (signal?.aborted || evaluations >= maxEvaluations) {
      const code = signal?.aborted ? BatchReason.aborted : BatchReason.maxEvaluations;
      for (let k = 0; k < nActive; k++) reason[active[k]] = code;
      break;
    }
    fn(XT, GT, FT, active, nActive);
    evaluations++;
    for (let k = 0; k < nActive; k++) {
      const p = active[k];
      const off = p * dim;
      const ft = FT[p];
      const a = alpha[p];
      let finite = Number.isFinite(ft);
      for (let i = 0; finite && i < dim; i++) finite = Number.isFinite(GT[off + i]);
      if (finite && ft <= F[p] + c1 * a * dphi0[p]) {
        // Accept: curvature pair (if s·y > ε‖y‖²), move, test convergence, next search.
        let sy = 0;
        let yy = 0;
        let stepInf = 0;
        let xInf = 0;
        for (let i = 0; i < dim; i++) {
          const si = XT[off + i] - X[off + i];
          const yi = GT[off + i] - G[off + i];
          sy += si * yi;
          yy += yi * yi;
          if (Math.abs(si) > stepInf) stepInf = Math.abs(si);
          if (Math.abs(XT[off + i]) > xInf) xInf = Math.abs(XT[off + i]);
        }
        if (sy > EPS * yy && yy > 0) {
          const h = head[p];
          const so = (p * m + h) * dim;
          for (let i = 0; i < dim; i++) {
            S[so + i] = XT[off + i] - X[off + i];
            Y[so + i] = GT[off + i] - G[off + i];
          }
          RHO[p * m + h] = 1 / sy;
          head[p] = h === m - 1 ? 0 : h + 1;
          if (hcount[p] < m) hcount[p]++;
        }
        const fPrev = F[p];
        for (let i = 0; i < dim; i++) {
          X[off + i] = XT[off + i];
          G[off + i] = GT[off + i];
        }
        F[p] = ft;
        iterations[p]++;
        flags[p] = 0;
        const gn = gNormInf(p);
        gradNorm[p] = gn;
        if (gn <= gtol) reason[p] = BatchReason.gtol;
        else if (relativeChange(fPrev, ft) <= ftol) reason[p] = BatchReason.ftol;
        else if (stepInf === 0) reason[p] = BatchReason.xtol;
        else if (iterations[p] >= maxIterations) reason[p] = BatchReason.maxIterations;
        else startSearch(p);
      } else {
        // Backtrack.
        let an: number;
        if (!finite) {
          flags[p] |= 2;
          an = 0.25 * a;
        } else {
          const den = 2 * (ft - F[p] - dphi0[p] * a);
          an = den > 0 ? (-dphi0[p] * a * a) / den : 0.5 * a;
          if (!(an >= 0.1 * a)) an = 0.1 * a;
          else if (an > 0.5 * a) an = 0.5 * a;
        }
        backtracks[p]++;
        let dInf = 0;
        let xInf = 0;
        for (let i = 0; i < dim; i++) {
          if (Math.abs(D[off + i]) > dInf) dInf = Math.abs(D[off + i]);
          if (Math.abs(X[off + i]) > xInf) xInf = Math.abs(X[off + i]);
        }
        if (backtracks[p] > maxBacktracks || an * dInf <= EPS * (1 + xInf)) {
          if (hcount[p] > 0 && (flags[p] & 1) === 0) {
            hcount[p] = 0;
            head[p] = 0;
            flags[p] = 1;
            startSearch(p);
          } else {
            reason[p] = flags[p] & 2 ? BatchReason.nonfinite : BatchReason.lineSearchFailed;
          }
        } else {
          alpha[p] = an;
          for (let i = 0; i < dim; i++) XT[off + i] = X[off + i] + an * D[off + i];
        }
      }
    }
    if (onProgress) onProgress({ evaluations, nActive });
  }

  const converged = new Uint8Array(count);
  for (let p = 0; p < count; p++) {
    const r = reason[p];
    converged[p] = r === BatchReason.ftol || r === BatchReason.gtol || r === BatchReason.xtol ? 1 : 0;
  }
  return { x: X, f: F, gradNorm, iterations, evaluations, converged, reason };
}

/**
 * Vectorised scalar objective for brentBatch: for the first nActive entries p of `active`, write
 * f_p(U[p]) into FU[p].
 */
export type BatchScalarObjective = (U: Float64Array, FU: Float64Array, active: Uint32Array, nActive: number) => void;

/** Result of `brentBatch`, indexed by problem. */
export interface BrentBatchResult {
  x: Float64Array;
  f: Float64Array;
  iterations: Uint32Array;
  /** Number of batched calls. */
  evaluations: number;
  converged: Uint8Array;
  /** BatchReason codes: xtol, maxIterations, nonfinite or aborted. */
  reason: Uint8Array;
}

/**
 * Runs `count` independent Brent minimisations (Brent 1973, ch. 5; the same rules as `brent`: golden
 * section with safeguarded parabolic steps, tol = xtol·|x| + atol, non-finite values as +Inf and a
 * probe for a finite start) on brackets [lo[p], hi[p]], advancing every unfinished problem by one
 * evaluation per batched call of `f`. All state lives in preallocated per-problem arrays.
 *
 * @throws ShapeError if lo and hi differ in length; ArgumentValueError naming lo/hi (and the index)
 * if a bound is not finite or lo[p] ≥ hi[p].
 */
export function brentBatch(f: BatchScalarObjective, lo: Float64Array, hi: Float64Array, options?: BrentOptions & { signal?: AbortSignal }): BrentBatchResult {
  requireFunction(f, 'f');
  requireFloat64Array(lo, 'lo');
  requireFloat64Array(hi, 'hi');
  if (lo.length !== hi.length) throw new ShapeError(`lo and hi must have the same length, got ${lo.length} and ${hi.length}`, 'hi');
  const count = lo.length;
  if (count === 0) throw new ArgumentValueError('lo must not be empty', 'lo');
  for (let p = 0; p < count; p++) {
    if (!Number.isFinite(lo[p])) throw new ArgumentValueError(`lo[${p}] must be finite, got ${lo[p]}`, 'lo');
    if (!Number.isFinite(hi[p])) throw new ArgumentValueError(`hi[${p}] must be finite, got ${hi[p]}`, 'hi');
    if (!(lo[p] < hi[p])) throw new ArgumentValueError(`lo[${p}] must be less than hi[${p}], got ${lo[p]} and ${hi[p]}`, 'lo');
  }
  const { xtol, atol, maxIterations } = readBrentOptions(options);
  if (options !== undefined && options.signal !== undefined) signalOption(options as Record<string, unknown>);
  const signal = options?.signal;

  const A = lo.slice();
  const B = hi.slice();
  const Xb = new Float64Array(count);
  const W = new Float64Array(count);
  const V = new Float64Array(count);
  const FX = new Float64Array(count);
  const FW = new Float64Array(count);
  const FV = new Float64Array(count);
  const Dd = new Float64Array(count);
  const E = new Float64Array(count);
  const U = new Float64Array(count);
  const FU = new Float64Array(count);
  const probe = new Uint32Array(count); // 0..64 while looking for a finite start, 0xffffffff after
  const iterations = new Uint32Array(count);
  const reason = new Uint8Array(count);
  const active = new Uint32Array(count);
  const DONE_PROBING = 0xffffffff;
  for (let p = 0; p < count; p++) {
    active[p] = p;
    U[p] = A[p] + GOLDEN * (B[p] - A[p]);
  }
  let nActive = count;

  const step = new Float64Array(2);
  /** Next trial point of problem p, or marks it finished. */
  const next = (p: number): void => {
    const a = A[p];
    const b = B[p];
    const x = Xb[p];
    const tol1 = xtol * Math.abs(x) + atol;
    if (Math.abs(x - 0.5 * (a + b)) <= 2 * tol1 - 0.5 * (b - a)) {
      reason[p] = BatchReason.xtol;
      return;
    }
    if (iterations[p] >= maxIterations) {
      reason[p] = BatchReason.maxIterations;
      return;
    }
    iterations[p]++;
    U[p] = brentStep(a, b, x, W[p], V[p], FX[p], FW[p], FV[p], Dd[p], E[p], tol1, step);
    Dd[p] = step[0];
    E[p] = step[1];
  };

  let evaluations = 0;
  for (;;) {
    let k2 = 0;
    for (let k = 0; k < nActive; k++) if (reason[active[k]] === BatchReason.running) active[k2++] = active[k];
    nActive = k2;
    if (nActive === 0) break;
    if (signal?.aborted) {
      for (let k = 0; k < nActive; k++) reason[active[k]] = BatchReason.aborted;
      break;
    }
    f(U, FU, active, nActive);
    evaluations++;
    for (let k = 0; k < nActive; k++) {
      const p = active[k];
      const u = U[p];
      const fu = Number.isFinite(FU[p]) ? FU[p] : Infinity;
      if (probe[p] !== DONE_PROBING) {
        if (fu < Infinity || probe[p] === 0) {
          Xb[p] = W[p] = V[p] = u;
          FX[p] = FW[p] = FV[p] = fu;
        }
        if (fu < Infinity) {
          probe[p] = DONE_PROBING;
          next(p);
        } else if (probe[p] >= 64) {
          reason[p] = BatchReason.nonfinite;
          FX[p] = Infinity;
        } else {
          const t = (++probe[p] * (1 - GOLDEN)) % 1;
          U[p] = A[p] + t * (B[p] - A[p]);
        }
        continue;
      }
      const x = Xb[p];
      if (fu <= FX[p]) {
        if (u >= x) A[p] = x;
        else B[p] = x;
        V[p] = W[p];
        FV[p] = FW[p];
        W[p] = x;
        FW[p] = FX[p];
        Xb[p] = u;
        FX[p] = fu;
      } else {
        if (u < x) A[p] = u;
        else B[p] = u;
        if (fu <= FW[p] || W[p] === x) {
          V[p] = W[p];
          FV[p] = FW[p];
          W[p] = u;
          FW[p] = fu;
        } else if (fu <= FV[p] || V[p] === x || V[p] === W[p]) {
          V[p] = u;
          FV[p] = fu;
        }
      }
      next(p);
    }
  }
  const converged = new Uint8Array(count);
  for (let p = 0; p < count; p++) converged[p] = reason[p] === BatchReason.xtol ? 1 : 0;
  return { x: Xb, f: FX, iterations, evaluations, converged, reason };
}
