// The fits' logit kernels (assembly/fraserrows.ts): fraserLogitColumns (the first pass: x, column
// means, centring, Σ x_c²) gives bit for bit what logitTransform and centreColumns give in JS, on
// every binary and the scalar twin; FraserObjective.logitProjection (x_cᵀ W from the stored counts)
// matches plain loops; an objective over source columns equals one over copied columns.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, type Core } from '../src/index.js';
import { centreColumns, logitTransform } from '../src/models/fraser/fit.js';
import { FraserObjective, SOURCE_COLUMNS } from '../src/models/fraser/objective.js';
import { Workspace } from '../src/wasm/workspace.js';
import { loadCores } from './cores.js';

let cores: Record<string, Core>;
test.before(async () => {
  cores = await loadCores();
});

/** N×J counts with zeros, k = n, n = 0 and large depths. */
function counts(N: number, J: number, seed: number): { k: Uint32Array; n: Uint32Array } {
  const rng = new Rng(seed);
  const k = new Uint32Array(N * J), n = new Uint32Array(N * J);
  for (let c = 0; c < N * J; c++) {
    const u = rng.uniform();
    n[c] = u < 0.1 ? 0 : u < 0.2 ? 1e6 + Math.floor(rng.uniform() * 1e6) : Math.floor(rng.uniform() * 200);
    const v = rng.uniform();
    k[c] = v < 0.2 ? 0 : v < 0.3 ? n[c] : Math.floor(rng.uniform() * (n[c] + 1));
  }
  return { k, n };
}

test('fraserLogitColumns gives logitTransform + centreColumns bit for bit (x, means, Σ x_c²), odd sizes, every binary and the scalar twin', () => {
  for (const [N, J] of [[7, 5], [12, 33], [1, 3]]) {
    const { k, n } = counts(N, J, N * 100 + J);
    const all = Uint32Array.from({ length: J }, (_, j) => j);
    for (const [name, core] of Object.entries(cores)) {
      for (const scalar of [false, true]) {
        const ref = logitTransform(k, n, N, J, all, 0.1, scalar ? cores.scalar : core);
        centreColumns(ref.x, ref.means, N);
        const ex = core.exports as unknown as Record<string, (...a: number[]) => void>;
        const ws = new Workspace(core);
        try {
          const kb = ws.u32(N * J, 'k'), nb = ws.u32(N * J, 'n'), x = ws.f64(N * J, 'x'), m = ws.f64(J, 'm'), s = ws.f64(J, 's');
          kb.set(k);
          nb.set(n);
          ex[scalar ? 'fraserLogitColumnsScalar' : 'fraserLogitColumns'](N, J, kb.ptr, nb.ptr, 0.1, x.ptr, m.ptr, s.ptr);
          const xv = x.view(), mv = m.view(), sv = s.view();
          for (let c = 0; c < N * J; c++) assert.ok(Object.is(xv[c], ref.x[c]), `${name}${scalar ? ' scalar' : ''} ${N}×${J}: x[${c}] ${xv[c]} vs ${ref.x[c]}`);
          for (let j = 0; j < J; j++) {
            assert.ok(Object.is(mv[j], ref.means[j]), `${name} mean ${j}: ${mv[j]} vs ${ref.means[j]}`);
            let ss = 0;
            for (let i = 0; i < N; i++) ss += ref.x[i * J + j] ** 2;
            assert.ok(Object.is(sv[j], ss), `${name} Σx² ${j}: ${sv[j]} vs ${ss}`);
          }
        } finally {
          ws.dispose();
        }
      }
    }
  }
});

test('logitProjection over source columns is x_cᵀ W of those columns (plain loops, 1e-12), and the objective equals one built on copied columns', () => {
  const N = 23, J = 41, q = 3, pc = 0.1;
  const { k, n } = counts(N, J, 5);
  const cols = Uint32Array.from([0, 1, 2, 7, 8, 20, 21, 22, 23, 40]);
  const w = cols.length;
  const rng = new Rng(9);
  const W = Float64Array.from({ length: N * q }, () => rng.normal());
  const H = Float64Array.from({ length: N * q }, () => rng.normal());
  const means = Float64Array.from({ length: w }, () => rng.normal());
  const kc = new Uint32Array(N * w), nc = new Uint32Array(N * w);
  for (let i = 0; i < N; i++) for (let jj = 0; jj < w; jj++) { kc[i * w + jj] = k[i * J + cols[jj]]; nc[i * w + jj] = n[i * J + cols[jj]]; }
  for (const [name, core] of Object.entries(cores)) {
    for (const scalar of [false, true]) {
      // blockCells 4·N: the projection runs over several row blocks, the last one short.
      const obj = new FraserObjective({ k, n, latent: H, junctions: J, latentDim: q, core, scalar, blockCells: 4 * N, [SOURCE_COLUMNS]: cols });
      const ref = new FraserObjective({ k: kc, n: nc, latent: H, junctions: w, latentDim: q, core, scalar, blockCells: 4 * N });
      try {
        assert.is(obj.junctions, w);
        const P = obj.logitProjection(W, means, pc);
        for (let jj = 0; jj < w; jj++) {
          for (let l = 0; l < q; l++) {
            let s = 0, mag = 0;
            for (let i = 0; i < N; i++) {
              const kk = kc[i * w + jj], x = Math.log((kk + pc) / (nc[i * w + jj] - kk + pc)) - means[jj];
              s += x * W[i * q + l];
              mag += Math.abs(x * W[i * q + l]);
            }
            assert.ok(Math.abs(P[jj * q + l] - s) <= 1e-12 * mag, `${name}${scalar ? ' scalar' : ''}: P[${jj}, ${l}] ${P[jj * q + l]} vs ${s}`);
          }
        }
        const D = Float64Array.from({ length: w * q }, () => 0.3 * rng.normal());
        for (const o of [obj, ref]) {
          o.setDecoder(D, means);
          o.setRho(Float64Array.from({ length: w }, (_, j) => 0.01 + 0.02 * j));
        }
        assert.equal(Array.from(obj.junctionLoss()), Array.from(ref.junctionLoss()));
        assert.equal(Array.from(obj.predictMean()), Array.from(ref.predictMean()));
      } finally {
        obj.dispose();
        ref.dispose();
      }
    }
  }
});

test('counts cross the copy-in chunk boundaries intact (N = 3, J = 800 000: three chunks)', () => {
  const N = 3, J = 800_000, q = 1;
  const rng = new Rng(3);
  const k = new Uint32Array(N * J), n = new Uint32Array(N * J);
  for (let c = 0; c < N * J; c++) { n[c] = 1 + (c % 97); k[c] = Math.floor(rng.uniform() * (n[c] + 1)); }
  const H = Float64Array.of(0.1, -0.2, 0.3);
  const big = new FraserObjective({ k, n, latent: H, junctions: J, latentDim: q, blockCells: 1 << 16 });
  try {
    big.setDecoder(new Float64Array(J).fill(0.5), new Float64Array(J).fill(-0.3));
    const loss = big.junctionLoss();
    // Junctions around the chunk edges (⌊2^20/3⌋ = 349 525 columns per chunk) against small objectives.
    for (const j0 of [0, 349_523, 699_049, J - 4]) {
      const w = 4, ks = new Uint32Array(N * w), ns = new Uint32Array(N * w);
      for (let i = 0; i < N; i++) for (let jj = 0; jj < w; jj++) { ks[i * w + jj] = k[i * J + j0 + jj]; ns[i * w + jj] = n[i * J + j0 + jj]; }
      const small = new FraserObjective({ k: ks, n: ns, latent: H, junctions: w, latentDim: q });
      try {
        small.setDecoder(new Float64Array(w).fill(0.5), new Float64Array(w).fill(-0.3));
        assert.equal(Array.from(small.junctionLoss()), Array.from(loss.subarray(j0, j0 + w)), `junctions ${j0}…`);
      } finally {
        small.dispose();
      }
    }
  } finally {
    big.dispose();
  }
});

test('source columns out of range, empty, or with x are refused', () => {
  const { k, n } = counts(4, 6, 1);
  const H = new Float64Array(4 * 2);
  assert.throws(() => new FraserObjective({ k, n, latent: H, junctions: 6, latentDim: 2, [SOURCE_COLUMNS]: Uint32Array.of(1, 6) }), /source columns/);
  assert.throws(() => new FraserObjective({ k, n, latent: H, junctions: 6, latentDim: 2, [SOURCE_COLUMNS]: new Uint32Array(0) }), /source columns/);
  assert.throws(() => new FraserObjective({ k, n, x: new Float64Array(24), junctions: 6, latentDim: 2, [SOURCE_COLUMNS]: Uint32Array.of(1) }), /source columns/);
});

test.run();
