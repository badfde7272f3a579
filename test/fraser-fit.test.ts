/**
 * FRASER fits end to end on data simulated from the model itself (src/simulate/fraser.ts): the
 * injected outliers are found far better than without confounder correction, the fitted μ and ρ
 * recover the simulated ones, fits are deterministic, round-trip through JSON, score new samples
 * without refitting, and reject bad input with typed errors naming the index.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentTypeError, ArgumentValueError, ShapeError, averagePrecision, betaBinomial, fraser, init } from '../src/index.js';

const N = 60;
const J = 300;
let sim: ReturnType<typeof fraser.simulate>;

test.before(async () => {
  await init();
  sim = fraser.simulate({ samples: N, junctions: J, latentDim: 3, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 11 });
});

const score = (p: Float64Array) => p.map((v) => -Math.log(Math.max(v, 1e-300)));

/** AUC-PR of a fit that ignores the confounder: μ_ij = the junction's pooled ψ, ρ as fitted. */
function uncorrectedAucPr(rho: Float64Array): number {
  const mu = new Float64Array(N * J);
  for (let j = 0; j < J; j++) {
    let k = 0, n = 0;
    for (let i = 0; i < N; i++) {
      k += sim.k[i * J + j];
      n += sim.n[i * J + j];
    }
    for (let i = 0; i < N; i++) mu[i * J + j] = Math.min(Math.max(k / n, 1e-6), 1 - 1e-6);
  }
  const p = betaBinomial.pValues(sim.k, sim.n, mu, rho, { junctions: J });
  return averagePrecision(score(p), sim.outliers);
}

for (const implementation of ['pca', 'ae', 'pca-bb-decoder'] as const) {
  test(`${implementation}: ρ by Newton (the loss history from its own passes) agrees with ρ by Brent (a separate loss pass)`, () => {
    const opts = { implementation, maxRounds: 2, q: 3 };
    const nw = fraser.fit({ k: sim.k, n: sim.n, samples: N }, opts);
    const br = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { ...opts, rhoOptimizer: 'brent' });
    assert.is(nw.history.length, br.history.length);
    for (let s = 0; s < nw.history.length; s++) {
      // Both fit each ρ to 1e-7 in logit ρ; the loss moves by far less than 1e-6 relative for that.
      assert.ok(Math.abs(nw.history[s] - br.history[s]) <= 1e-6 * Math.abs(br.history[s]), `${implementation}: history[${s}] ${nw.history[s]} (Newton) vs ${br.history[s]} (Brent)`);
    }
    const logit = (r: number) => Math.log(r / (1 - r));
    let worst = 0;
    for (let j = 0; j < nw.rho.length; j++) if (Math.abs(logit(br.rho[j])) < 29) worst = Math.max(worst, Math.abs(logit(nw.rho[j]) - logit(br.rho[j])));
    assert.ok(worst < 1e-3, `${implementation}: max |Δ logit ρ| = ${worst}`);
  });
}

for (const implementation of ['pca', 'ae', 'pca-bb-decoder'] as const) {
  test(`the ${implementation} fit finds injected outliers far better than no confounder correction`, () => {
    const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { implementation, maxRounds: 3 });
    const ap = averagePrecision(score(f.pValues), sim.outliers);
    const base = uncorrectedAucPr(f.rho);
    console.log(`  ${implementation}: AUC-PR ${ap.toFixed(3)} vs ${base.toFixed(3)} without confounder correction (q = ${f.q}, N = ${N}, J = ${J})`);
    assert.ok(ap > 0.6 && ap > base + 0.3, `${implementation}: AUC-PR ${ap.toFixed(3)} vs ${base.toFixed(3)} uncorrected (q = ${f.q})`);
    for (const a of [f.mu, f.pValues, f.padj, f.zScores]) assert.ok(a.every(Number.isFinite));
    assert.ok(f.pValues.every((p) => p >= 0 && p <= 1) && f.padj.every((p, c) => p >= f.pValues[c] - 1e-15 && p <= 1));
    assert.ok(f.history.length >= 1 && f.history.every(Number.isFinite));
  });
}

test('optimal hard thresholding picks the simulated latent dimension, and the pca fit recovers μ and ρ', () => {
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N });
  assert.is(f.qSelection.method, 'oht');
  assert.is(f.q, 3, `q = ${f.q}`);
  let err = 0;
  for (let c = 0; c < N * J; c++) err += Math.abs(f.mu[c] - sim.mu[c]);
  err /= N * J;
  console.log(`  pca: q = ${f.q} by OHT (simulated 3), mean |μ̂ − μ| = ${err.toFixed(4)}`);
  assert.ok(err < 0.03, `mean |μ̂ − μ| = ${err.toFixed(4)}`);
  // logit ρ: the simulated spread is sd 0.5 around logit(0.01); the fit must track it.
  const lt = (r: number) => Math.log(r / (1 - r));
  const d = Array.from(f.rho, (r, j) => lt(r) - lt(sim.rho[j])).sort((a, b) => a - b);
  const median = d[Math.floor(J / 2)];
  assert.ok(Math.abs(median) < 0.3, `median logit-ρ error ${median.toFixed(3)}`);
});

test('the same seed gives bit-identical fits, including the AE with denoising noise', () => {
  const a = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { implementation: 'ae', maxRounds: 2, q: 3, seed: 5 });
  const b = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { implementation: 'ae', maxRounds: 2, q: 3, seed: 5 });
  assert.equal(Array.from(a.pValues), Array.from(b.pValues));
  assert.equal(Array.from(a.E), Array.from(b.E));
});

test('a fit survives toJSON and fromJSON exactly, and predict scores new samples without refitting', () => {
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 3 });
  const g = fraser.fromJSON(JSON.stringify(f));
  for (const key of ['mu', 'pValues', 'padj', 'zScores', 'deltaPsi', 'E', 'D', 'b', 'rho', 'history'] as const) {
    assert.equal(Array.from(g[key]), Array.from(f[key]), key);
  }
  assert.is(g.q, f.q);
  // The training samples scored as new ones: the same μ and p-values (another code path: JS gemm wrappers).
  const p = g.predict({ k: sim.k, n: sim.n });
  assert.is(p.samples, N);
  for (let c = 0; c < N * J; c++) {
    assert.ok(Math.abs(p.mu[c] - f.mu[c]) <= 1e-12, `μ at ${c}`);
    assert.ok(Math.abs(p.pValues[c] - f.pValues[c]) <= 1e-9 * Math.max(f.pValues[c], 1e-300) + 1e-300, `p at ${c}`);
  }
  // Five new samples from the same model.
  const fresh = fraser.simulate({ samples: 5, junctions: J, latentDim: 3, confounderSd: 0.8, seed: 99 });
  const q = f.predict({ k: fresh.k, n: fresh.n });
  assert.is(q.pValues.length, 5 * J);
  assert.ok(q.pValues.every((v) => v >= 0 && v <= 1));
});

test('results do not depend on the junction block size of the stream (pca, ae, pca-bb-decoder; blocks of 7 junctions)', () => {
  for (const implementation of ['pca', 'ae', 'pca-bb-decoder'] as const) {
    const opts = { implementation, q: 3, maxRounds: 2, seed: 2 };
    const a = fraser.fit({ k: sim.k, n: sim.n, samples: N }, opts);
    const b = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { ...opts, blockCells: 7 * N });
    // The two runs differ only in rounding (the Gram matrix is summed in another order), which
    // moves each per-junction optimum within its tolerance (1e-7 on logit ρ); log p of an extreme
    // cell is ~100× as sensitive to logit ρ. Where a junction's likelihood is nearly flat in ρ (near
    // the binomial limit only the 1e-4·t² ridge curves it) rounding noise in f′ moves the optimum
    // by up to ~1e-5 in logit ρ, hence the looser bound there.
    let worstP = 0, worstRho = 0;
    for (let c = 0; c < N * J; c++) worstP = Math.max(worstP, Math.abs(Math.log(a.pValues[c]) - Math.log(b.pValues[c])) / Math.max(1, -Math.log(a.pValues[c])));
    const lt = (r: number) => Math.log(r / (1 - r));
    for (let j = 0; j < J; j++) worstRho = Math.max(worstRho, Math.abs(lt(a.rho[j]) - lt(b.rho[j])));
    assert.ok(worstP < 1e-5 && worstRho < 1e-4, `${implementation}: largest differences ${worstP.toExponential(2)} (log p, relative to max(1, −log p)), ${worstRho.toExponential(2)} (logit ρ)`);
    assert.ok(Math.abs(a.history[a.history.length - 1] - b.history[b.history.length - 1]) < 1e-6 * Math.abs(a.history[0]), `${implementation}: final loss ${a.history[a.history.length - 1]} vs ${b.history[b.history.length - 1]}`);
  }
});

test('mu, zScores and deltaPsi, computed on first read, match the model: μ = sigmoid(H Dᵀ + b), Δψ = k/n − μ', () => {
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 3 });
  const q = f.q;
  for (const c of [0, 17, 4321, N * J - 1]) {
    const i = Math.floor(c / J), j = c % J;
    let y = f.b[j];
    for (let l = 0; l < q; l++) y += f.latent[i * q + l] * f.D[j * q + l];
    assert.ok(Math.abs(f.mu[c] - 1 / (1 + Math.exp(-y))) < 1e-13, `μ at ${c}`);
    assert.ok(Math.abs(f.deltaPsi[c] - (sim.k[c] / sim.n[c] - f.mu[c])) < 1e-15, `Δψ at ${c}`);
  }
  assert.ok(f.zScores.every(Number.isFinite));
  assert.is(f.mu, f.mu, 'computed once, then kept');
});

test('the reference q search (q = "grid") fits each q of the grid and keeps the best AUC-PR on injected outliers', () => {
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 'grid', qGrid: [1, 2, 3, 5, 8, 12] });
  const sel = f.qSelection;
  assert.is(sel.method, 'grid');
  if (sel.method !== 'grid') return;
  assert.equal(sel.grid, [1, 2, 3, 5, 8, 12]);
  assert.is(sel.aucPr.length, 6);
  const best = sel.grid[sel.aucPr.indexOf(Math.max(...sel.aucPr))];
  console.log(`  grid search: AUC-PR ${sel.aucPr.map((a, i) => `q=${sel.grid[i]}: ${a.toFixed(3)}`).join(', ')}; chose q = ${f.q} (simulated 3)`);
  assert.is(f.q, best);
  assert.ok(f.q >= 2 && f.q <= 5, `q = ${f.q} for a simulated q of 3`);
});

test('a fit made on an explicit core (no init) computes mu, zScores, deltaPsi and toJSON on that core', () => {
  // In a fresh process where init() was never called, only the given core exists.
  const script = `import { fraser, loadCore } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).pathname)};
const core = await loadCore({ simd: 'scalar' });
const sim = fraser.simulate({ samples: 20, junctions: 60, latentDim: 2, seed: 4 });
const f = fraser.fit({ k: sim.k, n: sim.n, samples: 20 }, { q: 2, core });
const ok = f.mu.every(Number.isFinite) && f.zScores.every(Number.isFinite) && JSON.stringify(f).length > 0;
process.stdout.write(ok ? 'ok' : 'bad');`;
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-core-'));
  try {
    writeFileSync(join(dir, 'x.mts'), script);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'x.mts')], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    assert.is(r.stdout, 'ok', r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the q grid is limited by the junctions with reads, and a grid with no usable q is a typed error naming qGrid', () => {
  const n = 30, j = 30;
  const k = new Uint32Array(n * j), nn = new Uint32Array(n * j);
  for (let i = 0; i < n; i++) for (let c = 0; c < 6; c++) {
    nn[i * j + c] = 20 + ((i * 7 + c * 3) % 11);
    k[i * j + c] = Math.floor(nn[i * j + c] * (0.2 + 0.1 * c)) + ((i + c) % 3);
  }
  const f = fraser.fit({ k, n: nn, samples: n }, { q: 'grid' });
  assert.ok(f.q >= 1 && f.q < 6, `q = ${f.q} with 6 junctions kept`);
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 'grid', qGrid: [N + 10] }), (e: unknown) => e instanceof ArgumentValueError && e.argument === 'qGrid');
});

test('a junction without reads in any sample is left out with a notice and NaN results', () => {
  const k = Uint32Array.from(sim.k);
  const n = Uint32Array.from(sim.n);
  for (let i = 0; i < N; i++) k[i * J + 7] = n[i * J + 7] = 0;
  const f = fraser.fit({ k, n, samples: N }, { q: 3 });
  assert.equal(Array.from(f.dropped), [7]);
  assert.match(f.notices[0], /1 junction\(s\) have no reads/);
  assert.ok(Number.isNaN(f.pValues[7]) && Number.isNaN(f.rho[7]));
  assert.ok(Number.isFinite(f.pValues[8]));
});

test('an aborted fit throws instead of returning a half-fitted model', () => {
  const ctl = new AbortController();
  ctl.abort();
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n, samples: N }, { signal: ctl.signal }), /aborted/);
});

test('bad input to fraser.fit gives typed errors that name the offending index', () => {
  const is = (cls: Function, arg: string | RegExp) => (e: unknown) => e instanceof cls && (typeof arg === 'string' ? (e as { argument?: string }).argument === arg : arg.test(String((e as { argument?: string }).argument)));
  const k = Uint32Array.from(sim.k);
  k[2 * J + 5] = sim.n[2 * J + 5] + 1;
  assert.throws(() => fraser.fit({ k, n: sim.n, samples: N }), is(ArgumentValueError, 'k[2, 5]'));
  const kf = Float64Array.from(sim.k);
  kf[3] = 1.5;
  assert.throws(() => fraser.fit({ k: kf, n: sim.n, samples: N }), is(ArgumentValueError, 'k[0, 3]'));
  kf[3] = NaN;
  assert.throws(() => fraser.fit({ k: kf, n: sim.n, samples: N }), is(ArgumentValueError, 'k[0, 3]'));
  kf[3] = -1;
  assert.throws(() => fraser.fit({ k: kf, n: sim.n, samples: N }), is(ArgumentValueError, 'k[0, 3]'));
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n.subarray(1), samples: N }), is(ShapeError, 'n'));
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n, samples: 7 }), is(ShapeError, 'samples'));
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n }), is(ArgumentValueError, 'samples'));
  assert.throws(() => fraser.fit({ k: sim.k.subarray(0, J), n: sim.n.subarray(0, J), samples: 1 }), is(ArgumentValueError, 'samples'));
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: N }), is(ArgumentValueError, 'q'));
  assert.throws(() => fraser.fit({ k: [1] as unknown as Uint32Array, n: sim.n, samples: N }), is(ArgumentTypeError, 'k'));
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n, samples: N }, { implementation: 'vae' as never }), is(ArgumentValueError, 'implementation'));
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 2 });
  assert.throws(() => f.predict({ k: sim.k.subarray(0, 2 * J - 1), n: sim.n.subarray(0, 2 * J - 1) }), is(ShapeError, 'junctions'));
  assert.throws(() => fraser.fromJSON({ format: 'other' }), is(ArgumentValueError, 'json'));
});

test.run();
