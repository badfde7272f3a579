import { ArgumentTypeError, ArgumentValueError, requireInteger } from '../errors.js';
import { matrix, symmetricEigen } from '../linalg/index.js';
import { Rng } from '../random.js';
import type { Core } from '../wasm/core.js';

/** Options of `simulatePln`: the design of the seed's simulation study (notes 4/23/2023, §3.1.1). */
export interface PlnSimulationOptions {
  /** Samples, at least 2. */
  n: number;
  /** Features (counts per sample), at least 1. */
  p: number;
  /** Rank of Σ: the top q eigenpairs of AR1(ρ) are kept, 1 ≤ q ≤ p (q = p keeps all of AR1(ρ)). */
  q: number;
  /** AR(1) correlation, Σ_jk = ρ^|j−k|, in (−1, 1); default 0.5 (the seed's). */
  rho?: number;
  /** Columns of X, intercept first, then d − 1 standard normal covariates; default 1. */
  d?: number;
  /** Seed of the generator (an integer in [0, 2³² − 1]); default 1. */
  seed?: number;
  /**
   * 'none' (O = 0, the seed's design; default) or 'logLibrary': O_ij = log L_i with per-sample
   * library factors L_i log-normal, log L_i ~ N(−σ²/2, σ²) with σ = librarySd, so E[L_i] = 1 and
   * the mean count is that of the 'none' design.
   */
  offsets?: 'none' | 'logLibrary';
  /** σ of log L_i when offsets = 'logLibrary'; default 0.5. */
  librarySd?: number;
  /** The WebAssembly core for the eigendecomposition (default: the one `init()` loaded). */
  core?: Core;
}

/** The true parameters and latent variables behind a `simulatePln` data set; all row-major. */
export interface PlnTruth {
  /** Regression coefficients, d×p: row 0 (intercept) is 0, rows 1… are N(0, 0.3²). */
  B: Float64Array;
  /** The covariance of Z_i, Σ_q = V diag(Λ) Vᵀ, p×p. */
  Sigma: Float64Array;
  /** The top q orthonormal eigenvectors of AR1(ρ) as columns, p×q; each column's first non-negligible entry is positive. */
  V: Float64Array;
  /** The top q eigenvalues of AR1(ρ), descending, length q. */
  Lambda: Float64Array;
  /** The latent Gaussian layer Z = XB + W diag(Λ)^{1/2} Vᵀ, n×p. */
  Z: Float64Array;
  /** Standard normal latent scores, n×q. */
  W: Float64Array;
}

/** A simulated PLN data set: counts, covariates, offsets and the truth. */
export interface PlnSimulation {
  n: number;
  p: number;
  q: number;
  d: number;
  /** Counts, n×p, integer-valued: Y_ij ~ Poisson(exp(O_ij + Z_ij)). */
  Y: Float64Array;
  /** Covariates, n×d, column 0 all ones. */
  X: Float64Array;
  /** Offsets, n×p (constant along each row), or null when offsets = 'none'. */
  O: Float64Array | null;
  truth: PlnTruth;
}

/** Standard deviation of the non-intercept rows of B. */
const COVARIATE_EFFECT_SD = 0.3;

/**
 * Simulates the multivariate Poisson-lognormal model with a low-rank AR(1) covariance, the seed's
 * design (notes 4/23/2023 §3.1.1; 2.4 scenario 2):
 *
 *   Σ = AR1(ρ), Σ_jk = ρ^|j−k|;  Σ = U diag(μ) Uᵀ (eigenvalues descending);
 *   V = U[:, 1:q], Λ = μ[1:q], Σ_q = V diag(Λ) Vᵀ;
 *   X = [1, x_2 … x_d], x_k ~ N(0, I_n);  B[0, ·] = 0, B[k, ·] ~ N(0, 0.3²) for k ≥ 1;
 *   W ~ N(0, I_q) per row;  Z = XB + W diag(Λ)^{1/2} Vᵀ  (so Z_i ~ N(X_i B, Σ_q));
 *   Y_ij ~ Poisson(exp(O_ij + Z_ij)).
 *
 * At ρ = 0.5, p = 50, q = 5 the mean count is about 1.2 with about 37% zeros, the reference
 * packages' benchmark design. Eigenvectors are sign-normalised (first entry above 1e-6·max|v|
 * positive) so that the truth does not depend on the eigensolver's sign choice. Draw order: B's
 * covariate rows, X's covariates, W, the library factors, then Y row by row; the same seed gives
 * the same data. Needs the WebAssembly core (`await init()`) for the eigendecomposition.
 */
export function simulatePln(options: PlnSimulationOptions): PlnSimulation {
  if (typeof options !== 'object' || options === null) throw new ArgumentTypeError('simulatePln needs an options object { n, p, q, … }', 'options');
  const n = requireInteger(options.n, 'n', 2);
  const p = requireInteger(options.p, 'p', 1);
  const q = requireInteger(options.q, 'q', 1);
  if (q > p) throw new ArgumentValueError(`q must be at most p = ${p}, got ${q}`, 'q');
  const d = requireInteger(options.d ?? 1, 'd', 1);
  const rho = options.rho ?? 0.5;
  if (typeof rho !== 'number' || !(rho > -1 && rho < 1)) throw new ArgumentValueError(`rho must be in (−1, 1), got ${String(rho)}`, 'rho');
  const offsets = options.offsets ?? 'none';
  if (offsets !== 'none' && offsets !== 'logLibrary') throw new ArgumentValueError(`offsets must be 'none' or 'logLibrary', got ${String(offsets)}`, 'offsets');
  const librarySd = options.librarySd ?? 0.5;
  if (typeof librarySd !== 'number' || !(librarySd >= 0 && Number.isFinite(librarySd))) {
    throw new ArgumentValueError(`librarySd must be a finite number ≥ 0, got ${String(librarySd)}`, 'librarySd');
  }
  if (n * p > 2 ** 31) throw new ArgumentValueError(`n·p = ${n * p} is too large for one simulated matrix`, 'n');
  const rng = new Rng(options.seed ?? 1);

  // AR(1) correlation matrix and its top q eigenpairs.
  const ar1 = matrix(p, p);
  for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) ar1.data[j * p + k] = Math.pow(rho, Math.abs(j - k));
  const eig = symmetricEigen(ar1, { vectors: true, core: options.core });
  const U = eig.vectors!.data; // row r = eigenvector r
  const V = new Float64Array(p * q);
  const Lambda = new Float64Array(q);
  for (let r = 0; r < q; r++) {
    Lambda[r] = eig.values[r];
    const row = U.subarray(r * p, r * p + p);
    let big = 0;
    for (let j = 0; j < p; j++) big = Math.max(big, Math.abs(row[j]));
    let sign = 1;
    for (let j = 0; j < p; j++) {
      if (Math.abs(row[j]) > 1e-6 * big) {
        sign = row[j] < 0 ? -1 : 1;
        break;
      }
    }
    for (let j = 0; j < p; j++) V[j * q + r] = sign * row[j];
  }
  const Sigma = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let r = 0; r < q; r++) s += V[j * q + r] * Lambda[r] * V[k * q + r];
      Sigma[j * p + k] = s;
      Sigma[k * p + j] = s;
    }
  }
  // C = V diag(Λ)^{1/2} (p×q): Z_i = X_i B + C W_i.
  const C = new Float64Array(p * q);
  for (let j = 0; j < p; j++) for (let r = 0; r < q; r++) C[j * q + r] = V[j * q + r] * Math.sqrt(Math.max(Lambda[r], 0));

  const B = new Float64Array(d * p);
  for (let i = p; i < d * p; i++) B[i] = COVARIATE_EFFECT_SD * rng.normal();
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    X[i * d] = 1;
    for (let k = 1; k < d; k++) X[i * d + k] = rng.normal();
  }
  const W = rng.fillNormal(new Float64Array(n * q));
  let O: Float64Array | null = null;
  let logLib: Float64Array | null = null;
  if (offsets === 'logLibrary') {
    logLib = new Float64Array(n);
    for (let i = 0; i < n; i++) logLib[i] = -0.5 * librarySd * librarySd + librarySd * rng.normal();
    O = new Float64Array(n * p);
    for (let i = 0; i < n; i++) O.fill(logLib[i], i * p, i * p + p);
  }

  const Z = new Float64Array(n * p);
  const Y = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let z = 0;
      for (let k = 0; k < d; k++) z += X[i * d + k] * B[k * p + j];
      for (let r = 0; r < q; r++) z += W[i * q + r] * C[j * q + r];
      Z[i * p + j] = z;
    }
    const o = logLib === null ? 0 : logLib[i];
    for (let j = 0; j < p; j++) Y[i * p + j] = rng.poisson(Math.exp(o + Z[i * p + j]));
  }
  return { n, p, q, d, Y, X, O, truth: { B, Sigma, V, Lambda, Z, W } };
}
