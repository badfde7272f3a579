/**
 * The seed's simulation study of the variational estimator's bias: for each (n, p, q) of a grid
 * and each replicate, simulate from the seed's design (simulatePln: Σ = AR1(ρ) truncated to rank q)
 * and fit four ways — full VGA, `pca` with the true rank, `fixed-v` with the true V, and the
 * amortised (two-step) `pca` — then measure each fit's error against the truth:
 *   B: bias (mean of B̂ − B over entries) and RMSE; Σ: bias (mean of Σ̂ − Σ), RMSE, and the relative
 *   Frobenius error ‖Σ̂ − Σ‖/‖Σ‖.
 */
import { ArgumentValueError } from '../../errors.js';
import type { Core } from '../../wasm/core.js';
import { simulatePln } from '../../simulate/pln.js';
import { fit } from './fit.js';

export type StudyMethod = 'full' | 'pca' | 'fixed-v' | 'amortised';
export const STUDY_METHODS: readonly StudyMethod[] = ['full', 'pca', 'fixed-v', 'amortised'];

export interface StudyOptions {
  n: number[];
  p: number[];
  q: number[];
  replicates?: number;
  rho?: number;
  d?: number;
  seed?: number;
  methods?: readonly StudyMethod[];
  onProgress?: (done: number, total: number, row: StudyRow) => void;
  core?: Core;
}

export interface StudyRow {
  n: number;
  p: number;
  q: number;
  replicate: number;
  method: StudyMethod;
  elbo: number;
  iterations: number;
  converged: boolean;
  seconds: number;
  bBias: number;
  bRmse: number;
  sigmaBias: number;
  sigmaRmse: number;
  sigmaRelErr: number;
}

function errors(est: Float64Array, truth: Float64Array): { bias: number; rmse: number; rel: number } {
  let s = 0, s2 = 0, t2 = 0;
  for (let i = 0; i < truth.length; i++) {
    const e = est[i] - truth[i];
    s += e;
    s2 += e * e;
    t2 += truth[i] * truth[i];
  }
  return { bias: s / truth.length, rmse: Math.sqrt(s2 / truth.length), rel: Math.sqrt(s2 / t2) };
}

export function plnStudy(o: StudyOptions): StudyRow[] {
  const reps = o.replicates ?? 1;
  const methods = o.methods ?? STUDY_METHODS;
  for (const [name, list] of [['n', o.n], ['p', o.p], ['q', o.q]] as const) {
    if (!Array.isArray(list) || list.length === 0 || list.some((v) => !Number.isInteger(v) || v < 1)) throw new ArgumentValueError(`${name} must be a non-empty list of positive integers`, name);
  }
  const total = o.n.length * o.p.length * o.q.filter((q) => q > 0).length * reps * methods.length;
  const rows: StudyRow[] = [];
  let seedBase = o.seed ?? 1;
  for (const p of o.p) {
    for (const q of o.q) {
      if (q >= p) continue;
      for (const n of o.n) {
        for (let r = 0; r < reps; r++) {
          const sim = simulatePln({ n, p, q, rho: o.rho ?? 0.5, d: o.d ?? 1, seed: seedBase++, core: o.core });
          const data = { counts: sim.Y, variables: p, covariates: sim.X };
          for (const method of methods) {
            const t0 = performance.now();
            const f =
              method === 'full' ? fit(data, { model: 'full', core: o.core })
              : method === 'pca' ? fit(data, { model: 'pca', rank: q, core: o.core })
              : method === 'fixed-v' ? fit(data, { model: 'fixed-v', V: sim.truth.V, core: o.core })
              : fit(data, { model: 'pca', rank: q, amortised: 'two-step', core: o.core });
            const seconds = (performance.now() - t0) / 1000;
            // Dropped all-zero columns: compare on the kept ones.
            const keep = f.kept;
            const Bt = new Float64Array(f.d * keep.length), St = new Float64Array(keep.length * keep.length);
            for (let a = 0; a < f.d; a++) for (let jj = 0; jj < keep.length; jj++) Bt[a * keep.length + jj] = sim.truth.B[a * p + keep[jj]];
            for (let a = 0; a < keep.length; a++) for (let b = 0; b < keep.length; b++) St[a * keep.length + b] = sim.truth.Sigma[keep[a] * p + keep[b]];
            const eb = errors(f.B, Bt), es = errors(f.Sigma, St);
            const row: StudyRow = {
              n, p, q, replicate: r + 1, method, elbo: f.elbo, iterations: f.iterations, converged: f.converged, seconds,
              bBias: eb.bias, bRmse: eb.rmse, sigmaBias: es.bias, sigmaRmse: es.rmse, sigmaRelErr: es.rel,
            };
            rows.push(row);
            o.onProgress?.(rows.length, total, row);
          }
        }
      }
    }
  }
  return rows;
}

export const STUDY_COLUMNS: readonly (keyof StudyRow)[] = ['n', 'p', 'q', 'replicate', 'method', 'elbo', 'iterations', 'converged', 'seconds', 'bBias', 'bRmse', 'sigmaBias', 'sigmaRmse', 'sigmaRelErr'];
