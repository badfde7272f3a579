/**
 * Development micro-benchmark of the ρ objective kernel alone (f; f, f′; f, f′, f″) on the data of
 * bench/fraser.cases.ts, with a checksum so that two builds can be compared for equal results:
 *   node --import tsx bench/rho-micro.ts [reps]   (MIN=1: min instead of median; CACHE=1: μ cached, as the fits run it)
 */
import { FraserObjective } from '../src/models/fraser/objective.js';
import { simulate } from './fraser.cases.js';
import { loadCore } from '../src/wasm/core.js';

const N = 500, J = 5000, q = 20;
const { k, n, x, E, D, b, rho } = simulate(N, J, q, 1);
const reps = Number(process.argv[2] ?? 7);
const core = await loadCore({ simd: (process.env.SIMD as 'baseline') ?? 'baseline' });
const o = new FraserObjective({ k, n, x, junctions: J, latentDim: q, core, cacheMean: process.env.CACHE === '1' });
o.setEncoder(E);
o.setDecoder(D, b);
o.setRho(rho);
const T = Float64Array.from(rho, (r) => Math.log(r / (1 - r)));
const F = new Float64Array(J), D1 = new Float64Array(J), D2 = new Float64Array(J);
const med = (fn: () => void) => {
  fn();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) { const t0 = performance.now(); fn(); ts.push(performance.now() - t0); }
  return process.env.MIN ? Math.min(...ts) : ts.sort((a, b) => a - b)[ts.length >> 1];
};
const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
const f0 = med(() => o.rhoDerivatives(T, F));
const sF = sum(F);
const f1 = med(() => o.rhoDerivatives(T, F, D1));
const f2 = med(() => o.rhoDerivatives(T, F, D1, D2));
console.log(JSON.stringify({ fMs: +f0.toFixed(1), f1Ms: +f1.toFixed(1), f2Ms: +f2.toFixed(1), nsPerCell: +(f2 * 1e6 / (N * J)).toFixed(1), sumF: sF, sumD1: sum(D1), sumD2: sum(D2) }));
