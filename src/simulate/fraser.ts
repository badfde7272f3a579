import { requireInteger, ArgumentValueError } from '../errors.js';
import { Rng } from '../random.js';

/** Options of `simulateFraser`; defaults give a FRASER-like cohort with a strong confounder. */
export interface FraserSimulationOptions {
  /** Samples (N), default 100. */
  samples?: number;
  /** Junctions (J), default 500. */
  junctions?: number;
  /** Latent dimension of the confounder (q), default 3. */
  latentDim?: number;
  /** Standard deviation of the confounder's effect on logit μ per latent direction, default 0.5. */
  confounderSd?: number;
  /** Mean total count per junction is log-uniform in this range, default [20, 300]. */
  meanCounts?: [number, number];
  /** Negative-binomial size (θ) of the total counts, default 10. */
  countDispersion?: number;
  /** logit ρ_j ~ Normal(mean, sd), default mean logit(0.01), sd 0.5. */
  logitRhoMean?: number;
  logitRhoSd?: number;
  /** Fraction of cells replaced by an outlier, default 1e-3. */
  outlierFrequency?: number;
  /** |Δψ| of an outlier is uniform in this range, default [0.2, 0.5] (reference: ≥ 0.2). */
  outlierDeltaPsi?: [number, number];
  seed?: number;
}

/** A simulated cohort: counts (N×J, row-major), the true parameters, and the outlier labels. */
export interface FraserSimulation {
  samples: number;
  junctions: number;
  k: Uint32Array;
  n: Uint32Array;
  /** True μ (N×J) before outlier injection. */
  mu: Float64Array;
  /** True ρ per junction. */
  rho: Float64Array;
  /** Latent factors H (N×q), loadings D (J×q), intercepts b (J): logit μ = H·Dᵀ + b. */
  H: Float64Array;
  D: Float64Array;
  b: Float64Array;
  /** 1 where an outlier was injected (N×J). */
  outliers: Uint8Array;
}

/**
 * Simulates counts from FRASER's own model: logit μ = H·Dᵀ + b with a low-rank latent confounder
 * H (N×q, standard normal) and loadings D (J×q, N(0, confounderSd²)), b_j ~ N(0, 1.5²) (ψ spread
 * over (0.05, 0.95)); total counts n_ij ~ NegBin(mean m_j, θ) with m_j log-uniform; k_ij ~
 * BetaBinomial(n_ij, μ_ij, ρ_j). Outliers, as in the reference's injection: a cell is picked
 * with probability outlierFrequency (and n_ij > 0), ψ_new = μ_ij ± Δ with Δ uniform in
 * outlierDeltaPsi and the sign that keeps ψ_new in [0, 1], and k_ij = round(ψ_new·n_ij).
 * Same seed, same data.
 */
export function simulateFraser(options: FraserSimulationOptions = {}): FraserSimulation {
  const N = requireInteger(options.samples ?? 100, 'samples', 2);
  const J = requireInteger(options.junctions ?? 500, 'junctions', 1);
  const q = requireInteger(options.latentDim ?? 3, 'latentDim', 0);
  const sdD = options.confounderSd ?? 0.5;
  const [m0, m1] = options.meanCounts ?? [20, 300];
  const theta = options.countDispersion ?? 10;
  const lrMean = options.logitRhoMean ?? Math.log(0.01 / 0.99);
  const lrSd = options.logitRhoSd ?? 0.5;
  const freq = options.outlierFrequency ?? 1e-3;
  const [d0, d1] = options.outlierDeltaPsi ?? [0.2, 0.5];
  if (!(m0 > 0 && m1 >= m0)) throw new ArgumentValueError(`meanCounts must satisfy 0 < low ≤ high, got [${m0}, ${m1}]`, 'meanCounts');
  if (!(freq >= 0 && freq <= 1)) throw new ArgumentValueError(`outlierFrequency must be in [0, 1], got ${freq}`, 'outlierFrequency');
  const rng = new Rng(options.seed ?? 1);

  const H = new Float64Array(N * q);
  const D = new Float64Array(J * q);
  const b = new Float64Array(J);
  const rho = new Float64Array(J);
  const meanCount = new Float64Array(J);
  for (let i = 0; i < H.length; i++) H[i] = rng.normal();
  for (let i = 0; i < D.length; i++) D[i] = sdD * rng.normal();
  for (let j = 0; j < J; j++) {
    b[j] = 1.5 * rng.normal();
    rho[j] = 1 / (1 + Math.exp(-(lrMean + lrSd * rng.normal())));
    meanCount[j] = Math.exp(Math.log(m0) + rng.uniform() * Math.log(m1 / m0));
  }
  const mu = new Float64Array(N * J);
  const k = new Uint32Array(N * J);
  const n = new Uint32Array(N * J);
  const outliers = new Uint8Array(N * J);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < J; j++) {
      let y = b[j];
      for (let l = 0; l < q; l++) y += H[i * q + l] * D[j * q + l];
      const m = 1 / (1 + Math.exp(-y));
      const c = i * J + j;
      mu[c] = m;
      const tot = rng.negativeBinomial(meanCount[j], theta);
      const a = (1 - rho[j]) / rho[j];
      const p = rng.beta(m * a, (1 - m) * a);
      n[c] = tot;
      k[c] = rng.binomial(tot, p);
      if (freq > 0 && tot > 0 && rng.uniform() < freq) {
        const delta = d0 + (d1 - d0) * rng.uniform();
        const up = m + delta <= 1 && (m - delta < 0 || rng.uniform() < 0.5);
        const psi = up ? m + delta : m - delta;
        k[c] = Math.min(tot, Math.max(0, Math.round(psi * tot)));
        outliers[c] = 1;
      }
    }
  }
  return { samples: N, junctions: J, k, n, mu, rho, H, D, b, outliers };
}
