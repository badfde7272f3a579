/**
 * Beta-binomial two-sided p-values for a FRASER-sized matrix, N = 500 samples × J = 5000 junctions
 * (2.5M cells): the WebAssembly kernels through the public wrapper (ρ per junction, blocks of 32768
 * cells, copies included), a plain-TS implementation of the same maths, and scipy.stats.betabinom
 * (vectorised cdf/sf, timed in a Python process on a 20 000-cell slice and scaled to 2.5M cells).
 * Inputs: n ~ Poisson(Gamma(shape 2, mean 50)) (negative-binomial, mean 50), μ ~ U(0.05, 0.95) per
 * cell, ρ log-uniform in (0.01, 0.1) per junction, k ~ beta-binomial(n, μ, ρ).
 * A second group has FRASER-like depths and dispersions (see fraserInputs: n up to several hundred,
 * ρ down to 0.001, μ from 0.01 to 0.99, 3% outliers), WebAssembly rows only.
 * A third group times the per-sample multiple-testing adjustment (adjust.perSample, no groups) of
 * 500 samples × 20 000 junctions of p-values shaped like FRASER's (see adjustInputs) by BY and BH,
 * against p.adjust by a comparator sort of every value (adjustPlain; timed on the first 50 samples,
 * throughput per p-value comparable).
 *
 * Set BENCH_BASELINE_WASM to a directory with an earlier build's latentwasm.{relaxed,simd,scalar}.wasm
 * to add its rows to the p-value groups (a before/after comparison in one run).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore, type Core } from '../src/wasm/core.js';
import { pValues } from '../src/stats/betaBinomial.js';
import { adjustPlain, pValuePlain } from '../src/stats/plain.js';
import { perSample } from '../src/stats/adjust.js';
import { Rng } from '../src/random.js';
import { rng, type BenchCase } from './harness.js';

const N = 500;
const J = 5000;
const here = dirname(fileURLToPath(import.meta.url));

export function inputs() {
  const u = rng(42);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  // Marsaglia–Tsang gamma(shape, 1); shape < 1 by the boost u^(1/shape).
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * Math.pow(u(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const poisson = (lam: number) => {
    if (lam > 30) return Math.max(0, Math.round(lam + Math.sqrt(lam) * normal()));
    let L = Math.exp(-lam), k = 0, p = 1;
    do {
      k++;
      p *= u();
    } while (p > L);
    return k - 1;
  };
  const rho = new Float64Array(J);
  for (let j = 0; j < J; j++) rho[j] = Math.exp(Math.log(0.01) + u() * Math.log(10));
  const k = new Uint32Array(N * J), n = new Uint32Array(N * J), mu = new Float64Array(N * J);
  for (let c = 0; c < N * J; c++) {
    const r = rho[c % J];
    n[c] = poisson(gamma(2) * 25);
    mu[c] = 0.05 + 0.9 * u();
    const a = (mu[c] * (1 - r)) / r, b = ((1 - mu[c]) * (1 - r)) / r;
    const ga = gamma(a);
    const p = ga / (ga + gamma(b));
    let kk = 0;
    for (let t = 0; t < n[c]; t++) if (u() < p) kk++;
    k[c] = kk;
  }
  return { k, n, mu, rho };
}

/**
 * FRASER-like depths: per junction a depth D log-uniform in [10, 500], μ₀ with logit uniform in
 * [logit 0.01, logit 0.99] and ρ log-uniform in [0.001, 0.1]; per cell n ~ Poisson(D),
 * μ = sigmoid(logit μ₀ + 0.3·N(0,1)), k ~ beta-binomial(n, μ, ρ), and 3% outliers with
 * k ~ binomial(n, μ ± 0.4) (clamped to [0.001, 0.999]).
 */
export function fraserInputs() {
  const g = new Rng(7);
  const logit = (x: number) => Math.log(x / (1 - x));
  const depth = new Float64Array(J), mu0 = new Float64Array(J), rho = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    depth[j] = Math.exp(Math.log(10) + g.uniform() * Math.log(50));
    mu0[j] = 1 / (1 + Math.exp(-(logit(0.01) + g.uniform() * 2 * logit(0.99))));
    rho[j] = Math.exp(Math.log(0.001) + g.uniform() * Math.log(100));
  }
  const k = new Uint32Array(N * J), n = new Uint32Array(N * J), mu = new Float64Array(N * J);
  for (let c = 0; c < N * J; c++) {
    const j = c % J;
    n[c] = g.poisson(depth[j]);
    mu[c] = 1 / (1 + Math.exp(-(logit(mu0[j]) + 0.3 * g.normal())));
    if (g.uniform() < 0.03) {
      const p = Math.min(0.999, Math.max(0.001, mu[c] + (g.uniform() < 0.5 ? -0.4 : 0.4)));
      k[c] = g.binomial(n[c], p);
    } else {
      const r = rho[j];
      k[c] = g.binomial(n[c], g.beta((mu[c] * (1 - r)) / r, ((1 - mu[c]) * (1 - r)) / r));
    }
  }
  return { k, n, mu, rho };
}

/**
 * p-values like FRASER's per sample: 75% uniform (most cells), 15% exactly 1 (k at the median of a
 * discrete pmf), 8% small (log-uniform in [1e-12, 1e-2]), 2% NaN (no reads); N_ADJ × J_ADJ.
 */
const N_ADJ = 500;
const J_ADJ = 20000;
export function adjustInputs(): Float64Array {
  const g = new Rng(3);
  const p = new Float64Array(N_ADJ * J_ADJ);
  for (let i = 0; i < p.length; i++) {
    const u = g.uniform();
    p[i] = u < 0.75 ? g.uniform() : u < 0.9 ? 1 : u < 0.98 ? Math.exp(Math.log(1e-12) + g.uniform() * Math.log(1e10)) : NaN;
  }
  return p;
}

type Ext = Record<string, { median: number; p25: number; p75: number; samples: number }>;
function scipyTimes(): Ext | undefined {
  try {
    return JSON.parse(execFileSync('python3', [join(here, 'py', 'stats_ref.py'), String(N), String(J), '42', '20000'], { encoding: 'utf8' })) as Ext;
  } catch (err) {
    process.stderr.write(`skipping scipy rows: ${(err as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

export async function cases(): Promise<BenchCase[]> {
  const d = inputs();
  const cells = N * J;
  const group = `beta-binomial p-values: ${N}×${J} cells, n ~ NB(mean 50), ρ per junction in (0.01, 0.1)`;
  const out: BenchCase[] = [];
  const cores: { label: string; core: Core }[] = [];
  for (const simd of ['relaxed', 'baseline', 'scalar'] as const) {
    try {
      cores.push({ label: simd === 'baseline' ? 'wasm simd' : `wasm ${simd}`, core: await loadCore({ simd }) });
    } catch {
      process.stderr.write(`wasm ${simd} is not available on this host; its rows are skipped\n`);
    }
  }
  const baseDir = process.env.BENCH_BASELINE_WASM;
  if (baseDir) {
    for (const [simd, file] of [['relaxed', 'relaxed'], ['simd', 'simd'], ['scalar', 'scalar']]) {
      try {
        const bytes = readFileSync(join(baseDir, `latentwasm.${file}.wasm`));
        cores.push({ label: `baseline ${simd} (${baseDir})`, core: await loadCore({ bytes }) });
      } catch {
        process.stderr.write(`baseline wasm ${simd} could not be loaded from ${baseDir}; its row is skipped\n`);
      }
    }
  }
  for (const { label, core } of cores) {
    out.push({ group, name: label, work: cells, unit: 'elements', time: 3000, fn: () => pValues(d.k, d.n, d.mu, d.rho, { junctions: J, core })[123457] });
    if (label === 'wasm simd') {
      out.push({ group, name: 'wasm simd, scalar twin', work: cells, unit: 'elements', time: 3000, fn: () => pValues(d.k, d.n, d.mu, d.rho, { junctions: J, core, scalar: true })[123457] });
    }
  }
  const p = new Float64Array(cells);
  out.push({
    group, name: 'plain TS', work: cells, unit: 'elements', time: 3000,
    fn: () => {
      for (let c = 0; c < cells; c++) p[c] = pValuePlain(d.k[c], d.n[c], d.mu[c], d.rho[c % J]);
      return p[123457];
    },
  });
  const ext = scipyTimes();
  if (ext?.['betabinom p-values']) out.push({ group, name: 'scipy.stats.betabinom cdf/sf (scaled from 20k cells)', work: cells, unit: 'elements', external: ext['betabinom p-values'] });

  const f = fraserInputs();
  const fgroup = `beta-binomial p-values, FRASER-like: ${N}×${J} cells, n ~ Poisson(depth log-uniform in [10, 500]), ρ in (0.001, 0.1), 3% outliers`;
  for (const { label, core } of cores) {
    out.push({ group: fgroup, name: label, work: cells, unit: 'elements', time: 3000, fn: () => pValues(f.k, f.n, f.mu, f.rho, { junctions: J, core })[123457] });
    if (label === 'wasm simd') {
      out.push({ group: fgroup, name: 'wasm simd, scalar twin', work: cells, unit: 'elements', time: 3000, fn: () => pValues(f.k, f.n, f.mu, f.rho, { junctions: J, core, scalar: true })[123457] });
    }
  }
  const pa = adjustInputs();
  const agroup = `per-sample p.adjust: ${N_ADJ}×${J_ADJ} p-values (75% uniform, 15% = 1, 8% small, 2% NaN)`;
  const PLAIN_ROWS = 50;
  const plainRows = (method: 'BY' | 'BH') => () => {
    let c = 0;
    for (let i = 0; i < PLAIN_ROWS; i++) c += adjustPlain(pa.subarray(i * J_ADJ, (i + 1) * J_ADJ), method)[7];
    return c;
  };
  for (const method of ['BY', 'BH'] as const) {
    out.push({ group: agroup, name: `adjust.perSample ${method}`, work: pa.length, unit: 'elements', time: 3000, fn: () => perSample(pa, N_ADJ, J_ADJ, { method })[7] });
  }
  for (const method of ['BY', 'BH'] as const) {
    out.push({ group: agroup, name: `plain TS ${method} (sort every value; ${PLAIN_ROWS} samples)`, work: PLAIN_ROWS * J_ADJ, unit: 'elements', time: 3000, fn: plainRows(method) });
  }
  return out;
}
