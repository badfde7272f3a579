/**
 * The per-junction decoder fit (updateD) by Fisher scoring: every junction's (b_j, d_j), q+1
 * numbers, minimises its own mean truncated loss F_j given H and ρ_j (FraserObjective's decoder
 * objective). The reference runs L-BFGS-B per junction (up to 100 iterations, tens in practice).
 * A scoring step solves A_j δ = −∇F_j with A_j the expected information of the beta-binomial in
 * the logit of its mean (FraserObjective.decoderFisher: positive semi-definite, cheap, and close
 * to the Hessian near the optimum), so it converges in a handful of steps. All junctions advance
 * together in batched evaluations.
 *
 * Safeguards, per junction: a ridge of 1e-10·trace(A)/dim (plus a tiny absolute floor) keeps
 * the Cholesky factorisation defined when A is singular (a junction with reads in fewer than q+1
 * samples); a step is accepted only if it decreases F_j (Armijo, 1e-4), else it is halved, up to
 * 30 times; a junction stops when its gradient's max-norm ≤ gtol, when F_j changes (or the
 * scoring model predicts it to change) by ≤ ftol relative (the reference's L-BFGS-B default factr = 1e7, i.e. 2.2e-9), when its line search
 * fails, or at maxIterations. F_j decreases monotonically, so the result is never worse than the
 * start.
 */
import type { FraserObjective } from './objective.js';

export interface DecoderFitOptions {
  maxIterations?: number;
  ftol?: number;
  gtol?: number;
  /** Entries of the information-matrix scratch (default 2^20 = 8 MiB); the steps do not depend on it. */
  chunkEntries?: number;
  signal?: AbortSignal;
}

export interface DecoderFitResult {
  /** J×(q+1) rows [b_j, d_j]. */
  x: Float64Array;
  /** F_j at x. */
  f: Float64Array;
  /** Batched evaluations, and junction evaluations (the sum of the batch sizes). */
  evaluations: number;
  junctionEvaluations: number;
  /** Junctions stopped by maxIterations. */
  unconverged: number;
}

const ARMIJO = 1e-4;
const MAX_HALVINGS = 30;
const CHUNK_ENTRIES = 1 << 20;

/**
 * In-place Cholesky of the dim×dim SPD matrix at a[o..] (lower triangle); false if not positive
 * definite. Plain TS on purpose: dim = q+1 ≤ ~50 and one factorisation per junction per step, where
 * linalg.cholesky's WebAssembly workspace and copies per call would cost more than the O(dim³/6)
 * flops, and the loop must not allocate.
 */
export function cholesky(a: Float64Array, o: number, dim: number): boolean {
  for (let j = 0; j < dim; j++) {
    let d = a[o + j * dim + j];
    for (let k = 0; k < j; k++) d -= a[o + j * dim + k] ** 2;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[o + j * dim + j] = l;
    for (let i = j + 1; i < dim; i++) {
      let s = a[o + i * dim + j];
      for (let k = 0; k < j; k++) s -= a[o + i * dim + k] * a[o + j * dim + k];
      a[o + i * dim + j] = s / l;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b in place in x (b copied in by the caller), L at a[o..]. */
export function choleskySolve(a: Float64Array, o: number, dim: number, x: Float64Array, xo: number): void {
  for (let i = 0; i < dim; i++) {
    let s = x[xo + i];
    for (let k = 0; k < i; k++) s -= a[o + i * dim + k] * x[xo + k];
    x[xo + i] = s / a[o + i * dim + i];
  }
  for (let i = dim - 1; i >= 0; i--) {
    let s = x[xo + i];
    for (let k = i + 1; k < dim; k++) s -= a[o + k * dim + i] * x[xo + k];
    x[xo + i] = s / a[o + i * dim + i];
  }
}

/** Fits the decoder rows of every junction of `obj` from its stored D and b; returns them (set them with setDecoderFromBatch). */
export function fitDecoderScoring(obj: FraserObjective, options: DecoderFitOptions = {}): DecoderFitResult {
  const maxIterations = options.maxIterations ?? 100;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  const gtol = options.gtol ?? 1e-8;
  const J = obj.junctions, dim = obj.latentDim + 1, d2 = dim * dim;
  const fn = obj.decoderObjective();
  const X = obj.decoderStart();
  const G = new Float64Array(J * dim), F = new Float64Array(J);
  const XT = new Float64Array(J * dim), GT = new Float64Array(J * dim), FT = new Float64Array(J);
  // Information matrices for a chunk of junctions at a time (each is needed only to compute its
  // junction's step), so memory stays at CHUNK·(q+1)² however many junctions there are.
  const chunk = Math.max(1, Math.min(J, Math.floor((options.chunkEntries ?? CHUNK_ENTRIES) / d2)));
  const A = new Float64Array(chunk * d2);
  const list = new Uint32Array(chunk);
  const step = new Float64Array(J * dim);
  const slope = new Float64Array(J); // ∇F·δ of the current step
  const halvings = new Uint8Array(J);
  const iterations = new Uint32Array(J);
  const active = Uint32Array.from({ length: J }, (_, j) => j);
  const needStep = new Uint32Array(J);
  const trial = new Uint32Array(J);
  let nActive = J;
  fn(X, G, F, active, J);
  let evaluations = 1, junctionEvaluations = J, unconverged = 0;
  const pending = new Uint8Array(J); // 1: the junction is backtracking along its stored step
  while (nActive > 0 && !options.signal?.aborted) {
    // Junctions that need a new scoring direction: not backtracking, not converged on the gradient.
    let nNeed = 0, nKeep = 0;
    for (let r = 0; r < nActive; r++) {
      const p = active[r];
      if (!pending[p]) {
        let gmax = 0;
        for (let l = 0; l < dim; l++) gmax = Math.max(gmax, Math.abs(G[p * dim + l]));
        if (!(gmax > gtol)) continue; // converged (a NaN gradient also stops here, moving nothing)
        if (iterations[p] >= maxIterations) {
          unconverged++;
          continue;
        }
        needStep[nNeed++] = p;
      }
      active[nKeep++] = p;
    }
    nActive = nKeep;
    // Scoring steps for the junctions that need one, a chunk of information matrices at a time.
    for (let c0 = 0; c0 < nNeed; c0 += chunk) {
      const nc = Math.min(chunk, nNeed - c0);
      for (let r = 0; r < nc; r++) list[r] = needStep[c0 + r];
      obj.decoderFisher(X, A, list, nc);
      for (let r = 0; r < nc; r++) {
        const p = list[r];
        const o = p * dim, a0 = r * d2;
        halvings[p] = 0;
        slope[p] = 0; // 0 marks "no step": the junction leaves below
        let tr = 0;
        for (let l = 0; l < dim; l++) tr += A[a0 + l * dim + l];
        const ridge = (1e-10 * tr) / dim + 1e-300;
        for (let l = 0; l < dim; l++) A[a0 + l * dim + l] += ridge;
        if (!cholesky(A, a0, dim)) continue; // not positive definite even with the ridge: leave the junction
        for (let l = 0; l < dim; l++) step[o + l] = -G[o + l];
        choleskySolve(A, a0, dim, step, o);
        let s = 0;
        for (let l = 0; l < dim; l++) s += G[o + l] * step[o + l];
        if (!(s < 0)) continue; // no descent direction left at this precision
        // The scoring model predicts a decrease of −½∇F·δ; below ftol the step is not worth an evaluation.
        if (-0.5 * s <= ftol * Math.max(Math.abs(F[p]), 1)) continue;
        slope[p] = s;
        iterations[p]++;
      }
    }
    let nTrial = 0;
    for (let r = 0; r < nActive; r++) {
      const p = active[r];
      const o = p * dim;
      if (!pending[p] && slope[p] === 0) continue; // converged or no usable step
      for (let l = 0; l < dim; l++) XT[o + l] = X[o + l] + step[o + l];
      trial[nTrial++] = p;
    }
    if (nTrial === 0) break;
    fn(XT, GT, FT, trial, nTrial);
    evaluations++;
    junctionEvaluations += nTrial;
    let next = 0;
    for (let r = 0; r < nTrial; r++) {
      const p = trial[r];
      const o = p * dim;
      if (FT[p] <= F[p] + ARMIJO * slope[p]) {
        const small = Math.abs(F[p] - FT[p]) <= ftol * Math.max(Math.abs(F[p]), Math.abs(FT[p]), 1);
        for (let l = 0; l < dim; l++) {
          X[o + l] = XT[o + l];
          G[o + l] = GT[o + l];
        }
        F[p] = FT[p];
        pending[p] = 0;
        if (small) continue; // converged on the relative change of F
      } else {
        if (++halvings[p] > MAX_HALVINGS) {
          pending[p] = 0;
          continue; // line search failed: keep the best point
        }
        for (let l = 0; l < dim; l++) step[o + l] *= 0.5;
        slope[p] *= 0.5;
        pending[p] = 1;
      }
      active[next++] = p;
    }
    nActive = next;
  }
  return { x: X, f: F, evaluations, junctionEvaluations, unconverged };
}
