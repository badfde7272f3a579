/**
 * fraserCells (SIMD, heads bucketed by length per chunk of 256 columns) against its scalar twin
 * fraserCellsScalar on rows longer than a chunk, with every head length 0..48 and tails, and the
 * edge cells: k = 0, k = n, n = 0, saturated μ, a at e^±30, counts ~1e6.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Core } from '../src/index.js';
import { loadCores } from './cores.js';

let cores: Record<string, Core>;

test.before(async () => {
  cores = await loadCores();
});

type Cells = (...args: number[]) => number;

test('fraserCells agrees with fraserCellsScalar over several chunks: head lengths 0..48, tails, edge cells; c = 0 or 1, weighted or not, odd rows', () => {
  let s = 7;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const rows = 8, cols = 601;
  const aRow = [Math.exp(-30), 0.3, 20, 450, 3000, 9e4, 5e6, Math.exp(30)];
  for (const [name, core] of Object.entries(cores)) {
    const ex = core.exports as unknown as { fraserCells: Cells; fraserCellsScalar: Cells };
    const h = core.heap;
    const pK = h.alloc(rows * cols * 4), pN = h.alloc(rows * cols * 4), pY = h.alloc(rows * cols * 8);
    const pW = h.alloc(rows * cols * 8), pA = h.alloc(rows * 8), pB = h.alloc(rows * 8);
    const out = () => ({ g: h.alloc(rows * cols * 8), l: h.alloc(rows * 8), r: h.alloc(rows * 8) });
    const o1 = out(), o2 = out();
    for (let r = 0; r < rows; r++) {
      core.f64[(pA >>> 3) + r] = aRow[r];
      core.f64[(pB >>> 3) + r] = 2 * rnd() - 1;
      for (let i = 0; i < cols; i++) {
        const u = rnd();
        let nn: number, kk: number;
        if (i % 53 === 0) nn = 0; // empty cells, some in pairs
        else if (i % 97 === 1) nn = 1_000_000 + Math.floor(rnd() * 1000); // big counts
        else if (u < 0.6) nn = Math.floor(rnd() * 50); // heads of every length
        else nn = Math.floor(rnd() * 400);
        const v = rnd();
        kk = v < 0.2 ? 0 : v < 0.4 ? nn : Math.floor(rnd() * (nn + 1)); // k = 0, k = n, between
        if (i % 53 === 1) kk = 0;
        core.u32[(pN >>> 2) + r * cols + i] = nn;
        core.u32[(pK >>> 2) + r * cols + i] = kk;
        // Mostly moderate y; some saturated (beyond the ±300 clamp) and large.
        const w = rnd();
        core.f64[(pY >>> 3) + r * cols + i] = w < 0.05 ? 400 : w < 0.1 ? -400 : w < 0.15 ? (rnd() < 0.5 ? -40 : 40) : 8 * rnd() - 4;
        core.f64[(pW >>> 3) + r * cols + i] = rnd();
      }
    }
    for (const c of [0, 1]) {
      for (const w of [0, pW]) {
        for (const n of [cols, cols - 1, 300]) {
          const args = (o: { g: number; l: number; r: number }) => [rows, n, 0, pY, cols, pK, pN, cols, pA, pB, c, w, cols, 0.01, o.g, cols, o.l, o.r];
          const t1 = ex.fraserCells(...args(o1));
          const t2 = ex.fraserCellsScalar(...args(o2));
          const at = `${name}, c=${c}, ${w ? 'weighted' : 'unweighted'}, ${n} columns`;
          assert.ok(Math.abs(t1 - t2) <= 1e-13 * Math.abs(t2), `${at}: total ${t1} vs ${t2}`);
          for (let r = 0; r < rows; r++) {
            const l1 = core.f64[(o1.l >>> 3) + r], l2 = core.f64[(o2.l >>> 3) + r];
            assert.ok(Math.abs(l1 - l2) <= 1e-13 * Math.abs(l2), `${at}: row ${r} loss ${l1} vs ${l2}`);
            const r1 = core.f64[(o1.r >>> 3) + r], r2 = core.f64[(o2.r >>> 3) + r];
            assert.ok(Number.isFinite(r1) && Math.abs(r1 - r2) <= 1e-12 * Math.abs(r2) + 1e-14, `${at}: row ${r} Σ G ${r1} vs ${r2}`);
            for (let i = 0; i < n; i++) {
              const g1 = core.f64[(o1.g >>> 3) + r * cols + i], g2 = core.f64[(o2.g >>> 3) + r * cols + i];
              assert.ok(Math.abs(g1 - g2) <= 1e-12 * Math.abs(g2) + 1e-300, `${at}: G[${r},${i}] ${g1} vs ${g2}`);
            }
          }
        }
      }
    }
    for (const p of [pK, pN, pY, pW, pA, pB, o1.g, o1.l, o1.r, o2.g, o2.l, o2.r]) h.release(p);
  }
});

test.run();
