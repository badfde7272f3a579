/**
 * updateE by Fisher scoring in the latent space. nll depends on E only through H = xE, and
 * L-BFGS over E started at E₀ only ever visits E₀ + xᵀC (its gradients xᵀ∂H lie in the row space
 * of x), so the E subproblem is a problem over H within H₀ + range(x). With x of full row rank
 * (J ≥ N and denoising noise, the default) that range is everything; directions u with x xᵀu = 0
 * (x exactly centred: u = 1) are out of reach and enter as linear constraints uᵀ(H − H₀) = 0 per
 * latent column, and so do the weak ones (eigenvalue ≤ 1 % of the mean), which E could reach only
 * by growing by 1/√λ (see WEAK_TOLERANCE).
 *
 * Over H, nll's Hessian is block-diagonal over samples (q×q blocks), and its expectation, the
 * Fisher information A_i = (1/(N·J)) Σ_j I_ij d_j d_jᵀ (FraserObjective.latentFisher), is cheap
 * and positive semi-definite. A scoring step solves A_i δ_i = −(g_i + Σ_a u_a[i]λ_a) for every
 * sample with the multipliers λ of the constraints, and an Armijo backtracking (1e-4, halving up
 * to 30 times) keeps nll decreasing. It stops as the reference's L-BFGS-B does on the relative
 * change of nll (factr = 1e7: 2.2e-9), or when the quadratic model predicts no larger change, or
 * after maxIterations steps (the reference's maxit, 50). E then moves once: E = E₀ + xᵀC with
 * C = K⁺(H − H₀), K = x xᵀ, by its Cholesky factor when K has no weak direction, else by its
 * eigendecomposition (either once per fit, encoderBasis).
 *
 * On the directions left free this reaches the point L-BFGS over E converges to, in a handful of
 * steps where L-BFGS takes tens; the decoder's scoring (decoder.ts) does the same for updateD.
 * `encoderOptimizer: 'lbfgs'` keeps the reference's optimiser.
 */
import { ArgumentValueError } from '../../errors.js';
import { cholesky as choleskyFactor, choleskySolve as choleskySolveMatrix, matrix, NotPositiveDefiniteError, symmetricEigen } from '../../linalg/index.js';
import { relativeChange } from '../../optim/common.js';
import type { Core } from '../../wasm/core.js';
import { cholesky, choleskySolve } from './decoder.js';
import type { FraserObjective } from './objective.js';

/** Most weak directions of x xᵀ held as constraints; beyond this, the fits use L-BFGS. */
export const MAX_NULL_DIRECTIONS = 8;
/**
 * Directions of x xᵀ with eigenvalue ≤ WEAK_TOLERANCE times the mean eigenvalue (trace/N) are held
 * fixed (constraints): moving H by c along one costs |c|/√λ in E, so the exact minimiser over H
 * could inflate E there (and the scores of new samples with it), where L-BFGS over E, whose
 * gradient along it is √λ times smaller, would hardly move. x exactly centred has λ = 0 along 1;
 * centred x plus denoising noise of relative size ν has λ ~ ν² there. Denoising noise of the
 * reference's size (1) and J ≫ N leave none (Marchenko–Pastur: the smallest eigenvalue is then
 * ~(1 − √(N/J))² of the mean).
 */
const WEAK_TOLERANCE = 1e-2;
/** Inverse-iteration steps that look for a weak direction before the Cholesky path is trusted. */
const INVERSE_STEPS = 12;
const ARMIJO = 1e-4;
const MAX_HALVINGS = 30;

export interface EncoderBasis {
  samples: number;
  /**
   * 'cholesky': x xᵀ = LLᵀ, no weak direction found (the usual case with denoising noise);
   * `factor` is L (N×N, lower). 'eigen': x xᵀ = UΣUᵀ; `factor` holds the unit eigenvectors as
   * rows, eigenvalues descending in `values`; the first `rank` are the free directions.
   */
  kind: 'cholesky' | 'eigen';
  factor: Float64Array;
  values?: Float64Array;
  rank: number;
  /** Orthonormal directions u (rows of N) along which H does not move, uᵀ(H − H₀) = 0 per latent column: the weak directions of x xᵀ. */
  constraints: Float64Array;
  nConstraints: number;
}

/**
 * The factorisation of x xᵀ the latent-space updates map back with, and their constraints: the
 * Cholesky factor when inverse iteration with it finds no eigenvalue ≤ WEAK_TOLERANCE·trace/N
 * (N³/3 flops), else the eigendecomposition (~10× more), whose weak directions become
 * constraints; undefined when there are more than MAX_NULL_DIRECTIONS of them.
 */
export function encoderBasis(obj: FraserObjective, core: Core): EncoderBasis | undefined {
  const N = obj.samples;
  const K = matrix(N, N, obj.sampleGram());
  let trace = 0;
  for (let i = 0; i < N; i++) trace += K.data[i * N + i];
  if (!Number.isFinite(trace)) throw new ArgumentValueError('x xᵀ is not finite (x overflows)', 'x');
  if (!(trace > 0)) return undefined; // x = 0: nothing moves H
  const weak = (WEAK_TOLERANCE * trace) / N;
  try {
    const L = choleskyFactor(K, { core });
    // Inverse iteration: 1/‖K⁻¹v‖ (v unit) bounds the smallest eigenvalue from above and falls
    // towards it; a weak direction's share of v grows by λ_bulk/λ_weak a step.
    let v = Float64Array.from({ length: N }, (_, i) => Math.sin(1.7 * i + 0.3));
    let est = Infinity;
    for (let t = 0; t < INVERSE_STEPS && est > weak; t++) {
      let nn = 0;
      for (let i = 0; i < N; i++) nn += v[i] * v[i];
      const inv = 1 / Math.sqrt(nn);
      for (let i = 0; i < N; i++) v[i] *= inv;
      v = choleskySolveMatrix(L, v, { core });
      nn = 0;
      for (let i = 0; i < N; i++) nn += v[i] * v[i];
      est = Math.min(est, 1 / Math.sqrt(nn));
    }
    if (est > weak) return { samples: N, kind: 'cholesky', factor: L.data, rank: N, constraints: new Float64Array(0), nConstraints: 0 };
  } catch (err) {
    if (!(err instanceof NotPositiveDefiniteError)) throw err;
  }
  const eig = symmetricEigen(K, { core });
  const values = eig.values, U = eig.vectors!.data;
  let rank = 0;
  while (rank < N && values[rank] > weak) rank++;
  if (rank === 0 || N - rank > MAX_NULL_DIRECTIONS) return undefined;
  return { samples: N, kind: 'eigen', factor: U, values, rank, constraints: U.slice(rank * N), nConstraints: N - rank };
}

export interface EncoderFitOptions {
  maxIterations?: number;
  ftol?: number;
  signal?: AbortSignal;
}

export interface EncoderFitResult {
  /** nll at the final H (= x E up to rounding). */
  f: number;
  iterations: number;
  evaluations: number;
  reason: 'ftol' | 'predicted' | 'maxIterations' | 'lineSearch' | 'noDescent' | 'aborted';
}

/** One updateE from the stored E (D, b, ρ fixed); moves the stored E (see the file header). */
export function fitEncoderScoring(obj: FraserObjective, basis: EncoderBasis, options: EncoderFitOptions = {}): EncoderFitResult {
  const maxIterations = options.maxIterations ?? 50;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  const N = obj.samples, q = obj.latentDim, q2 = q * q;
  if (basis.samples !== N) throw new ArgumentValueError(`the basis is for ${basis.samples} samples, the objective has ${N}`, 'basis');
  const { factor: U, rank, constraints: Uc, nConstraints: z } = basis;
  const H0 = obj.getLatent();
  let H = H0.slice(), g = new Float64Array(N * q);
  let Ht = new Float64Array(N * q), gt = new Float64Array(N * q);
  const A = new Float64Array(N * q2);
  const Ainv = z > 0 ? new Float64Array(N * q2) : undefined;
  const delta = new Float64Array(N * q), trace = new Float64Array(N);
  const zq = z * q;
  const M = new Float64Array(zq * zq), lam = new Float64Array(zq);
  let f = NaN;
  let evaluations = 0, iterations = 0;
  let reason: EncoderFitResult['reason'] = 'maxIterations';
  try {
    f = obj.latentLoss(H, g);
    evaluations = 1;
    while (iterations < maxIterations) {
      if (options.signal?.aborted) {
        reason = 'aborted';
        break;
      }
      obj.latentFisher(A);
      // δ_i = −A_i⁻¹ g_i per sample: Cholesky with a ridge of 1e-10 of the sample's mean diagonal
      // (as in the decoder's scoring) plus 1e-8 of the mean over samples, so that a sample without
      // reads (A_i = 0, g_i = 0) stays finite where the constraints move it.
      let avg = 0;
      for (let i = 0; i < N; i++) {
        let tr = 0;
        for (let l = 0; l < q; l++) tr += A[i * q2 + l * (q + 1)];
        trace[i] = tr;
        avg += tr;
      }
      avg /= N * q;
      for (let i = 0; i < N; i++) {
        const o = i * q2;
        const ridge = (1e-10 * trace[i]) / q + 1e-8 * avg + 1e-300;
        for (let l = 0; l < q; l++) A[o + l * q + l] += ridge;
        if (!cholesky(A, o, q)) throw new ArgumentValueError(`the latent information of sample ${i} is not positive definite (NaN in the fit?)`, 'H');
        for (let l = 0; l < q; l++) delta[i * q + l] = -g[i * q + l];
        choleskySolve(A, o, q, delta, i * q);
        if (Ainv) {
          for (let m = 0; m < q; m++) {
            for (let l = 0; l < q; l++) Ainv[o + m * q + l] = l === m ? 1 : 0;
            choleskySolve(A, o, q, Ainv, o + m * q); // row m of A⁻¹ (symmetric)
          }
        }
      }
      if (Ainv) {
        // Constraints Σ_i u_b[i] δ_i = 0 for the held directions u_b (b < z): with δ_i = −A_i⁻¹(g_i + Σ_a u_a[i]λ_a),
        // Σ_a (Σ_i u_b[i]u_a[i] A_i⁻¹) λ_a = Σ_i u_b[i] δ_i⁰ (δ⁰ the unconstrained step).
        M.fill(0);
        lam.fill(0);
        for (let i = 0; i < N; i++) {
          const o = i * q2;
          for (let b = 0; b < z; b++) {
            const ub = Uc[b * N + i];
            for (let l = 0; l < q; l++) lam[b * q + l] += ub * delta[i * q + l];
            for (let a = 0; a < z; a++) {
              const w = ub * Uc[a * N + i];
              for (let l = 0; l < q; l++) for (let m = 0; m < q; m++) M[(b * q + l) * zq + a * q + m] += w * Ainv[o + l * q + m];
            }
          }
        }
        for (let r = 0; r < zq; r++) M[r * zq + r] *= 1 + 1e-12;
        if (!cholesky(M, 0, zq)) throw new ArgumentValueError('the constraint system of the latent step is not positive definite', 'H');
        choleskySolve(M, 0, zq, lam, 0);
        for (let i = 0; i < N; i++) {
          const o = i * q2;
          for (let l = 0; l < q; l++) {
            let v = 0;
            for (let a = 0; a < z; a++) {
              const ua = Uc[a * N + i];
              for (let m = 0; m < q; m++) v += ua * Ainv[o + l * q + m] * lam[a * q + m];
            }
            delta[i * q + l] -= v;
          }
        }
      }
      let slope = 0;
      for (let t = 0; t < N * q; t++) slope += g[t] * delta[t];
      if (!(slope < 0)) {
        reason = 'noDescent';
        break;
      }
      // The quadratic model's change at its minimiser is slope/2.
      if (-0.5 * slope <= ftol * Math.max(Math.abs(f), 1)) {
        reason = 'predicted';
        break;
      }
      let step = 1, accepted = false, ft = NaN;
      for (let h = 0; h <= MAX_HALVINGS; h++) {
        for (let t = 0; t < N * q; t++) Ht[t] = H[t] + step * delta[t];
        ft = obj.latentLoss(Ht, gt);
        evaluations++;
        if (ft <= f + ARMIJO * step * slope) {
          accepted = true;
          break;
        }
        step *= 0.5;
      }
      if (!accepted) {
        reason = 'lineSearch';
        break;
      }
      iterations++;
      [H, Ht] = [Ht, H];
      [g, gt] = [gt, g];
      const fPrev = f;
      f = ft;
      if (relativeChange(fPrev, f) <= ftol) {
        reason = 'ftol';
        break;
      }
    }
  } catch (err) {
    obj.shiftEncoder(new Float64Array(N * q)); // E is still E₀: reattach it, H from it
    throw err;
  }
  // E = E₀ + xᵀC with (x xᵀ)C = H − H₀ (C = U_r Σ_r⁻¹ U_rᵀ (H − H₀) when directions are held: they
  // carry no part of H − H₀).
  const dH = new Float64Array(N * q);
  for (let t = 0; t < N * q; t++) dH[t] = H[t] - H0[t];
  let C: Float64Array;
  if (basis.kind === 'cholesky') {
    C = choleskySolveMatrix(matrix(N, N, U), matrix(N, q, dH), { core: obj.core }).data;
  } else {
    const s = basis.values!;
    const P = new Float64Array(rank * q);
    for (let a = 0; a < rank; a++) {
      const ua = a * N;
      for (let i = 0; i < N; i++) {
        const u = U[ua + i];
        if (u === 0) continue;
        for (let l = 0; l < q; l++) P[a * q + l] += u * dH[i * q + l];
      }
      const inv = 1 / s[a];
      for (let l = 0; l < q; l++) P[a * q + l] *= inv;
    }
    C = new Float64Array(N * q);
    for (let a = 0; a < rank; a++) {
      const ua = a * N;
      for (let i = 0; i < N; i++) {
        const u = U[ua + i];
        for (let l = 0; l < q; l++) C[i * q + l] += u * P[a * q + l];
      }
    }
  }
  obj.shiftEncoder(C);
  return { f, iterations, evaluations, reason };
}
