/**
 * fraserPValueRows with μ given (pMu, and 1 − μ at pOmu) instead of Y and b (assembly/bbstats.ts):
 * with μ as fraserMeanRows computes it from the same Y and b, p must be the same, bit for bit, as
 * on the Y path (pOmu = 0, or pOmu holding exactly 1 − μ); with fraserMeanRows's own 1 − μ (more
 * accurate near μ = 1) the f64x2 kernel must agree with its scalar twin. Every binary, both kernels,
 * odd column counts (the scalar last cell), n from 0 to past the closed form's 1024, NaN y.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, loadCore, type Core } from '../src/index.js';

type Rows = (
  rows: number, cols: number, pY: number, ldy: number, pK: number, pN: number, ldk: number, pB: number, pRho: number, pOut: number, ldo: number,
  pMu: number, pOmu: number,
) => void;
type Mean = (rows: number, cols: number, pY: number, ldy: number, pB: number, pMu: number, pOmu: number, ldm: number) => void;
interface Exports {
  fraserPValueRows: Rows; fraserPValueRowsScalar: Rows;
  fraserMeanRows: Mean; fraserMeanRowsScalar: Mean;
}

let cores: { label: string; core: Core }[] = [];

test.before(async () => {
  await init();
  cores = [
    { label: 'simd', core: await loadCore({ simd: 'baseline' }) },
    { label: 'scalar', core: await loadCore({ simd: 'scalar' }) },
  ];
  try {
    cores.push({ label: 'relaxed', core: await loadCore({ simd: 'relaxed' }) });
  } catch {
    /* relaxed SIMD not compiled by this host */
  }
});

const R = 11, C = 37, LDY = 39, LDK = 41, LDO = 43;

function inputs(seed: number) {
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const y = new Float64Array(R * LDY), b = new Float64Array(R), rho = new Float64Array(R);
  const k = new Uint32Array(R * LDK), n = new Uint32Array(R * LDK);
  for (let r = 0; r < R; r++) {
    b[r] = 4 * (rnd() - 0.5);
    // ρ from 1e-6 to 0.6; μ from about 1e-9 to 1 − 1e-9 (rows 0 and 1 far in the tails).
    rho[r] = Math.exp(Math.log(1e-6) + rnd() * Math.log(6e5));
    const spread = r < 2 ? 0 : 6;
    const centre = r === 0 ? -20 : r === 1 ? 20 : 0;
    for (let c = 0; c < C; c++) {
      y[r * LDY + c] = centre + spread * (rnd() - 0.5) * 2;
      const nn = c % 9 === 0 ? 0 : c % 7 === 0 ? 1024 + Math.floor(rnd() * 3000) : Math.floor(rnd() * 400);
      n[r * LDK + c] = nn;
      k[r * LDK + c] = Math.min(nn, Math.floor(rnd() * (nn + 1)));
    }
  }
  y[3 * LDY + 5] = NaN;
  return { y, b, rho, k, n };
}

function run(core: Core, scalar: boolean, seed: number) {
  const ex = core.exports as unknown as Exports;
  const rowsK = scalar ? ex.fraserPValueRowsScalar : ex.fraserPValueRows;
  const meanK = scalar ? ex.fraserMeanRowsScalar : ex.fraserMeanRows;
  const d = inputs(seed);
  const h = core.heap;
  const pY = h.alloc(R * LDY * 8), pB = h.alloc(R * 8), pRho = h.alloc(R * 8);
  const pK = h.alloc(R * LDK * 4), pN = h.alloc(R * LDK * 4);
  const pMu = h.alloc(R * LDK * 8), pOmu = h.alloc(R * LDK * 8), pExact = h.alloc(R * LDK * 8), pOut = h.alloc(R * LDO * 8);
  core.f64.set(d.y, pY >>> 3);
  core.f64.set(d.b, pB >>> 3);
  core.f64.set(d.rho, pRho >>> 3);
  core.u32.set(d.k, pK >>> 2);
  core.u32.set(d.n, pN >>> 2);
  meanK(R, C, pY, LDY, pB, pMu, pOmu, LDK);
  const mu = core.f64.slice(pMu >>> 3, (pMu >>> 3) + R * LDK);
  core.f64.set(mu.map((m) => 1 - m), pExact >>> 3);
  const out = (): Float64Array => {
    const o = new Float64Array(R * C);
    for (let r = 0; r < R; r++) o.set(core.f64.subarray((pOut >>> 3) + r * LDO, (pOut >>> 3) + r * LDO + C), r * C);
    core.f64.fill(-1, pOut >>> 3, (pOut >>> 3) + R * LDO);
    return o;
  };
  rowsK(R, C, pY, LDY, pK, pN, LDK, pB, pRho, pOut, LDO, 0, 0);
  const fromY = out();
  rowsK(R, C, 0, 0, pK, pN, LDK, 0, pRho, pOut, LDO, pMu, 0);
  const fromMu = out();
  rowsK(R, C, 0, 0, pK, pN, LDK, 0, pRho, pOut, LDO, pMu, pExact);
  const fromExact = out();
  rowsK(R, C, 0, 0, pK, pN, LDK, 0, pRho, pOut, LDO, pMu, pOmu);
  const fromOmu = out();
  // In place over μ (ldo = ldk): each pair is read before its p is written.
  rowsK(R, C, 0, 0, pK, pN, LDK, 0, pRho, pMu, LDK, pMu, pOmu);
  const inPlace = new Float64Array(R * C);
  for (let r = 0; r < R; r++) inPlace.set(core.f64.subarray((pMu >>> 3) + r * LDK, (pMu >>> 3) + r * LDK + C), r * C);
  for (const p of [pY, pB, pRho, pK, pN, pMu, pOmu, pExact, pOut]) h.release(p);
  return { fromY, fromMu, fromExact, fromOmu, inPlace, mu };
}

test('pMu path gives the same p as the Y path (μ from fraserMeanRows; 1 − μ absent or exactly 1 − μ)', () => {
  for (const { label, core } of cores) {
    for (const scalar of [false, true]) {
      for (const seed of [1, 2, 3]) {
        const { fromY, fromMu, fromExact } = run(core, scalar, seed);
        let finite = 0;
        for (let i = 0; i < fromY.length; i++) {
          const where = `${label}${scalar ? ' Scalar' : ''} seed ${seed} cell ${i}`;
          assert.ok(Object.is(fromMu[i], fromY[i]), `${where}: pMu ${fromMu[i]} vs pY ${fromY[i]}`);
          assert.ok(Object.is(fromExact[i], fromY[i]), `${where}: pMu+pOmu ${fromExact[i]} vs pY ${fromY[i]}`);
          if (fromY[i] >= 0 && fromY[i] <= 1) finite++;
        }
        assert.is(finite, fromY.length - 1, 'every p but the NaN cell is in [0, 1]');
        assert.ok(Number.isNaN(fromY[3 * C + 5]));
      }
    }
  }
});

test('pOmu path (1 − μ from fraserMeanRows): f64x2 kernel agrees with the scalar twin, in place too', () => {
  for (const { label, core } of cores) {
    for (const seed of [4, 5]) {
      const v = run(core, false, seed);
      const s = run(core, true, seed);
      for (let i = 0; i < v.fromOmu.length; i++) {
        const where = `${label} seed ${seed} cell ${i}`;
        assert.ok(Object.is(v.inPlace[i], v.fromOmu[i]), `${where}: in place ${v.inPlace[i]} vs ${v.fromOmu[i]}`);
        if (Number.isNaN(s.fromOmu[i])) {
          assert.ok(Number.isNaN(v.fromOmu[i]), where);
          continue;
        }
        const rel = Math.abs(v.fromOmu[i] - s.fromOmu[i]) / Math.max(s.fromOmu[i], 1e-300);
        assert.ok(rel <= 1e-12, `${where}: ${v.fromOmu[i]} vs scalar ${s.fromOmu[i]}`);
        // Where μ is moderate, 1 − μ from either source is as accurate, so p agrees with the Y path.
        const m = v.mu[Math.floor(i / C) * LDK + (i % C)];
        if (m > 0.01 && m < 0.99) {
          const rel2 = Math.abs(v.fromOmu[i] - v.fromY[i]) / Math.max(v.fromY[i], 1e-300);
          assert.ok(rel2 <= 1e-9, `${where}: pOmu ${v.fromOmu[i]} vs pY ${v.fromY[i]} (μ ${m})`);
        }
      }
    }
  }
});

test.run();
