import { ArgumentValueError, ShapeError, requireFloat64Array, requireInteger } from '../errors.js';
import { validateCounts, type Counts } from './betaBinomial.js';

const logit = (x: number) => Math.log(x) - Math.log1p(-x);

/**
 * z-scores of FRASER: the logit residual standardised per junction over samples.
 *
 *   x_ij = logit((k_ij + pc) / (n_ij + 2·pc)),  r_ij = x_ij − logit(μ_ij),
 *   z_ij = (r_ij − mean_i r_ij) / sd_i r_ij     (mean and sd over the samples of junction j)
 *
 * k, n, μ: N×J row-major (rows = samples, columns = junctions); pc = 0.1 (FRASER 2.x). sd uses the
 * n−1 denominator (R's sd). μ is clamped to [1e-15, 1−1e-15] before the logit (as in the p-value
 * kernels). Where a junction has fewer than two finite residuals its z are NaN; where its
 * residuals are all equal (sd = 0) its z are 0 (no sample deviates). A NaN μ gives NaN z for that
 * cell and is left out of the junction's mean and sd.
 */
export function zScores(k: Counts, n: Counts, mu: Float64Array, N: number, J: number, pseudocount = 0.1): Float64Array {
  requireInteger(N, 'N');
  requireInteger(J, 'J');
  requireFloat64Array(mu, 'mu');
  if (!(pseudocount > 0)) throw new ArgumentValueError(`pseudocount must be > 0, got ${pseudocount}`, 'pseudocount');
  for (const [a, name] of [[k, 'k'], [n, 'n'], [mu, 'mu']] as const) {
    if (a.length !== N * J) throw new ShapeError(`${name} has ${a.length} values, an N×J = ${N}×${J} matrix needs ${N * J}`, name);
  }
  validateCounts(k, n);
  const r = new Float64Array(N * J);
  for (let c = 0; c < N * J; c++) {
    const m = Math.min(Math.max(mu[c], 1e-15), 1 - 1e-15);
    r[c] = logit((k[c] + pseudocount) / (n[c] + 2 * pseudocount)) - logit(m);
  }
  const z = new Float64Array(N * J);
  for (let j = 0; j < J; j++) {
    let cnt = 0;
    let mean = 0;
    for (let i = 0; i < N; i++) {
      const v = r[i * J + j];
      if (v === v) {
        cnt++;
        mean += (v - mean) / cnt;
      }
    }
    let ss = 0;
    for (let i = 0; i < N; i++) {
      const v = r[i * J + j];
      if (v === v) ss += (v - mean) * (v - mean);
    }
    const sd = Math.sqrt(ss / (cnt - 1));
    for (let i = 0; i < N; i++) {
      const v = r[i * J + j];
      z[i * J + j] = cnt < 2 || v !== v ? NaN : sd === 0 ? 0 : (v - mean) / sd;
    }
  }
  return z;
}

/**
 * Δψ = k/n − μ per cell (FRASER's deltaPsi: observed minus expected ψ). NaN where n = 0 (no reads,
 * ψ undefined) or μ is NaN; counts are validated as in betaBinomial.
 */
export function deltaPsi(k: Counts, n: Counts, mu: Float64Array): Float64Array {
  requireFloat64Array(mu, 'mu');
  if (n.length !== k.length) throw new ShapeError(`k and n must have the same length, got ${k.length} and ${n.length}`, 'n');
  if (mu.length !== k.length) throw new ShapeError(`mu must have one value per cell (${k.length}), got ${mu.length}`, 'mu');
  validateCounts(k, n);
  const d = new Float64Array(k.length);
  for (let c = 0; c < k.length; c++) d[c] = n[c] === 0 ? NaN : k[c] / n[c] - mu[c];
  return d;
}
