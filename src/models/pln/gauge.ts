/**
 * The rotation step of the `pca` fit. The ELBO of rank-q PLN is unchanged by (M, C) → (MR, CR)
 * for an orthogonal R except through the diagonal variational covariances diag(S_i²): only
 * those terms pin the rotation down, the curvature along the q(q−1)/2 rotation directions is
 * tiny, and L-BFGS spends most of its iterations crawling along them (on the seed's design at
 * n = 10⁴, p = 200, q = 20 the fit after 20 iterations is within 5 % of the optimum after a
 * Procrustes rotation, and the remaining ~200 iterations mostly rotate).
 *
 * Given (B, C, M) and A = exp(L + H) at the current point, row i's precision in the latent
 * space is P_i = I + Cᵀdiag(A_i)C (the Hessian of −J in M_i). To first order in H, the S_i that
 * maximises the ELBO in the basis R is S_ik² = 1/(RᵀP_iR)_kk and the ELBO then depends on R
 * through −½ Σ_i Σ_k log (RᵀP_iR)_kk: maximising it is joint approximate diagonalisation of the
 * P_i by an orthogonal R under the log-diagonal criterion. We minimise that criterion over a
 * subsample of rows with simultaneous Jacobi angles: for each pair (k, l) the criterion along the
 * plane rotation by θ is Σ_i log(m_i² − (u_i cos 2θ + v_i sin 2θ)²) with m = (P_kk + P_ll)/2,
 * u = (P_kk − P_ll)/2, v = P_kl; replacing −log(1 − x²) by x² (x = (u cos 2θ + v sin 2θ)/m)
 * gives the closed-form angle 2θ = ½·atan2(2Σ ũṽ, Σ ũ² − Σ ṽ²) (ũ = u/m, ṽ = v/m). All pairs'
 * angles form an antisymmetric K, R = Cayley(K), and the step is halved while the criterion
 * does not decrease. The caller then sets C ← CR, M ← MR, S from 1/(1 + A(C∘C))
 * (the stationary S given A) and keeps the new point only if its exact ELBO is higher.
 */
import { cholesky, choleskySolve, gemm, matrix } from '../../linalg/index.js';
import type { Core } from '../../wasm/core.js';

export interface GaugeResult {
  /** q×q orthogonal, row-major. */
  R: Float64Array;
  /** Decrease of the subsample criterion ½ Σ log diag(RᵀP_iR) (≥ 0). */
  decrease: number;
  iterations: number;
}

/** Rows of the subsample gaugeRotation uses by default (every ⌊n/500⌋-th row). */
export function gaugeRows(n: number, maxRows = 500): number {
  return Math.floor((n - 1) / Math.max(1, Math.floor(n / maxRows))) + 1;
}

/** Σ_i Σ_k ½ log P_i,kk over `rows` stacked q×q matrices. */
function criterion(P: Float64Array, rows: number, q: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++) for (let k = 0; k < q; k++) s += Math.log(P[i * q * q + k * q + k]);
  return 0.5 * s;
}

/** Cayley transform (I − K/2)⁻¹(I + K/2) of an antisymmetric K: orthogonal. */
function cayley(K: Float64Array, q: number, core?: Core): Float64Array {
  const a = new Float64Array(q * q), b = new Float64Array(q * q);
  for (let i = 0; i < q * q; i++) {
    a[i] = -0.5 * K[i];
    b[i] = 0.5 * K[i];
  }
  for (let k = 0; k < q; k++) {
    a[k * q + k] += 1;
    b[k * q + k] += 1;
  }
  // (I − K/2) is not symmetric; solve through its normal equations (I − K/2)ᵀ(I − K/2) = I − K²/4,
  // which is symmetric positive definite: X = (I − K²/4)⁻¹ (I − K/2)ᵀ (I + K/2).
  const at = matrix(q, q, a);
  const nrm = gemm(at, at, { transA: true, core });
  const rhs = gemm(at, matrix(q, q, b), { transA: true, core });
  return choleskySolve(cholesky(nrm, { core }), rhs, { core }).data;
}

/**
 * Rotation R (q×q) that lowers the mean-field gap ½ Σ_i Σ_k log (RᵀP_iR)_kk over a subsample of
 * at most `maxRows` rows, P_i = I + Cᵀdiag(A_i)C. A is n×p, C p×q (row-major).
 */
export function gaugeRotation(A: Float64Array, C: Float64Array, n: number, p: number, q: number, options: { maxRows?: number; maxIterations?: number; core?: Core } = {}): GaugeResult {
  const core = options.core;
  const stride = Math.max(1, Math.floor(n / (options.maxRows ?? 500)));
  const rows = gaugeRows(n, options.maxRows);
  const As = new Float64Array(rows * p);
  for (let r = 0; r < rows; r++) As.set(A.subarray(r * stride * p, (r * stride + 1) * p), r * p);
  // Khatri–Rao rows (C_j ⊗ C_j): P = A_s·KR + I, stacked q×q blocks.
  const KR = new Float64Array(p * q * q);
  for (let j = 0; j < p; j++) for (let k = 0; k < q; k++) for (let l = 0; l < q; l++) KR[j * q * q + k * q + l] = C[j * q + k] * C[j * q + l];
  let P: Float64Array = gemm(matrix(rows, p, As), matrix(p, q * q, KR), { core }).data;
  for (let r = 0; r < rows; r++) for (let k = 0; k < q; k++) P[r * q * q + k * q + k] += 1;
  let crit = criterion(P, rows, q);
  const crit0 = crit;
  let Rt: Float64Array = new Float64Array(q * q);
  for (let k = 0; k < q; k++) Rt[k * q + k] = 1;
  const sa = new Float64Array(q * q), sb = new Float64Array(q * q), sc = new Float64Array(q * q);
  const Y = new Float64Array(rows * q * q);
  const maxIt = options.maxIterations ?? 20;
  let it = 0;
  for (; it < maxIt; it++) {
    sa.fill(0);
    sb.fill(0);
    sc.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * q * q;
      for (let k = 0; k < q; k++) {
        const dk = P[o + k * q + k];
        for (let l = k + 1; l < q; l++) {
          const dl = P[o + l * q + l];
          const m = 0.5 * (dk + dl);
          const u = (0.5 * (dk - dl)) / m, v = P[o + k * q + l] / m;
          sa[k * q + l] += u * u;
          sb[k * q + l] += u * v;
          sc[k * q + l] += v * v;
        }
      }
    }
    const K = new Float64Array(q * q);
    let maxAngle = 0;
    for (let k = 0; k < q; k++) {
      for (let l = k + 1; l < q; l++) {
        let th = 0.25 * Math.atan2(2 * sb[k * q + l], sa[k * q + l] - sc[k * q + l]);
        // the angle is defined modulo π/2 (a swap of k and l): take it in (−π/4, π/4]
        th = th - (Math.PI / 2) * Math.round(th / (Math.PI / 2));
        K[l * q + k] = th;
        K[k * q + l] = -th;
        maxAngle = Math.max(maxAngle, Math.abs(th));
      }
    }
    if (maxAngle < 1e-3) break;
    let accepted = false;
    for (let damp = 1; damp >= 0.125; damp /= 2) {
      const R = cayley(K.map((x) => x * damp), q, core);
      // RᵀP_iR for all i: Y_i = P_iR (one stacked product), then (Y_i)ᵀR = RᵀP_iR (P_i symmetric).
      const YR = gemm(matrix(rows * q, q, P), matrix(q, q, R), { core }).data;
      for (let r = 0; r < rows; r++) {
        const o = r * q * q;
        for (let k = 0; k < q; k++) for (let l = 0; l < q; l++) Y[o + l * q + k] = YR[o + k * q + l];
      }
      const Pn = gemm(matrix(rows * q, q, Y), matrix(q, q, R), { core }).data;
      const cn = criterion(Pn, rows, q);
      if (cn < crit) {
        P = Pn;
        crit = cn;
        Rt = gemm(matrix(q, q, Rt), matrix(q, q, R), { core }).data;
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
  }
  return { R: Rt, decrease: crit0 - crit, iterations: it };
}
