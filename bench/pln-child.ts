/**
 * One PLN fit in its own process, for bench/pln.cases.ts.
 *
 *   node --import tsx bench/pln-child.ts simulate <dir> <n> <p> <q>
 *     simulates the seed's design (simulatePln: AR1(0.5) truncated to rank q, intercept 0, seed 1)
 *     and writes meta.json, Y.f64 (n×p) and V.f64 (p×q, the true eigenvectors) — the files
 *     bench/py/pln_torch.py reads — plus Sigma.f64 (the truth);
 *   node --import tsx bench/pln-child.ts fit <dir> <model> [rank]
 *     fits and prints one JSON line: exact ELBO, seconds, iterations, evaluations, why it stopped,
 *     the relative Σ error against the truth and the intercept RMSE.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, pln } from '../src/index.js';
import { simulatePln } from '../src/simulate/pln.js';

const [mode, dir, ...rest] = process.argv.slice(2);
await init();
const f64 = (name: string) => {
  const b = readFileSync(join(dir, name));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
if (mode === 'simulate') {
  const [n, p, q] = rest.map(Number);
  const sim = simulatePln({ n, p, q, seed: 1 });
  writeFileSync(join(dir, 'Y.f64'), sim.Y);
  writeFileSync(join(dir, 'V.f64'), sim.truth.V);
  writeFileSync(join(dir, 'Sigma.f64'), sim.truth.Sigma);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ n, p, d: 1, q }));
} else {
  const [model, rankS] = rest;
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const Y = f64('Y.f64'), Sigma = f64('Sigma.f64');
  const t0 = performance.now();
  const f = pln.fit({ counts: Y, variables: meta.p }, { model: model as pln.PlnModel, rank: rankS ? Number(rankS) : undefined, V: model === 'fixed-v' ? f64('V.f64') : undefined });
  const seconds = (performance.now() - t0) / 1000;
  let e = 0, t = 0, b = 0;
  for (let i = 0; i < Sigma.length; i++) {
    e += (f.Sigma[i] - Sigma[i]) ** 2;
    t += Sigma[i] ** 2;
  }
  for (let j = 0; j < meta.p; j++) b += f.B[j] ** 2;
  console.log(JSON.stringify({ model, n: meta.n, p: meta.p, rank: f.rank, elbo: f.elbo, seconds, iterations: f.iterations, evaluations: f.evaluations, reason: f.reason, sigmaRelErr: Math.sqrt(e / t), interceptRmse: Math.sqrt(b / meta.p) }));
}
