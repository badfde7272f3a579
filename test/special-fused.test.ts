/**
 * The fused count differences (lgammaDigammaDiffArray: Δlnγ(a,k) and Δψ(a,k) of the same pairs
 * in one pass, the kernel under the FRASER cells) against mpmath through the committed fixtures
 * (test/fixtures/gen_special.py, count_differences.json) and against the separate lgammaDiff and
 * digammaDiff kernels, in every binary and its scalar twin.
 *
 * Bounds: those of the separate functions (1e-13 relative, or 1e-15 absolute below 1e-2), and
 * bit-identical values to them, except Δψ on lanes with 0 < a < 1e-300 in the SIMD kernel, which
 * the fused kernel takes from the scalar form (4 ulp).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { init, loadCore, special, type Core } from '../src/index.js';

type Fused = (pa: number, pk: number, plg: number, pdg: number, n: number) => void;
interface FusedExports { lgammaDigammaDiffArray: Fused; lgammaDigammaDiffArrayScalar: Fused }

const COUNT = JSON.parse(readFileSync(new URL('./fixtures/count_differences.json', import.meta.url), 'utf8'));
const num = (v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : (v as number));
const arr = (a: unknown[]) => Float64Array.from(a, num);

function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2.2250738585072014e-308) return 5e-324;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}

let cores: Record<string, Core>;

test.before(async () => {
  await init();
  cores = { simd: await loadCore({ simd: 'baseline' }), scalar: await loadCore({ simd: 'scalar' }) };
  try {
    cores.relaxed = await loadCore({ simd: 'relaxed' });
  } catch {
    // Node without --experimental-wasm-relaxed-simd: the relaxed binary is tested by npm test.
  }
});

/** The fused kernel on (a, k) in `core`: [Δlnγ, Δψ]. */
function fused(core: Core, a: Float64Array, k: Float64Array, scalar: boolean): [Float64Array, Float64Array] {
  const n = a.length;
  const h = core.heap;
  const pa = h.alloc(n * 8), pk = h.alloc(n * 8), pl = h.alloc(n * 8), pd = h.alloc(n * 8);
  core.f64.set(a, pa >>> 3);
  core.f64.set(k, pk >>> 3);
  const ex = core.exports as unknown as FusedExports;
  (scalar ? ex.lgammaDigammaDiffArrayScalar : ex.lgammaDigammaDiffArray)(pa, pk, pl, pd, n);
  const lg = core.f64.slice(pl >>> 3, (pl >>> 3) + n);
  const dg = core.f64.slice(pd >>> 3, (pd >>> 3) + n);
  for (const p of [pa, pk, pl, pd]) h.release(p);
  return [lg, dg];
}

/** Inputs covering every regime: k = 0, small k, k around 24/25, large k; tiny, moderate and huge a. */
function regimes(): [Float64Array, Float64Array] {
  const as: number[] = [];
  const ks: number[] = [];
  const aVals = [1e-300, 3e-200, 1e-12, 1e-6, 0.001, 0.3, 0.5, 1, 1.5, 2, 3.7, 9.5, 9.999999, 10, 10.5, 24, 99.5, 1e3, 12345.678, 1e5, 1e9, 1e12, 1.0000001e12, 3e14, 1e300];
  const kVals = [0, 1, 2, 3, 5, 10, 11, 20, 22, 23, 24, 25, 26, 31, 50, 99, 1000, 1e5, 1e7];
  for (const a of aVals) for (const k of kVals) {
    as.push(a);
    ks.push(k);
  }
  // Both lane orders of mixed pairs: product path next to asymptotic path, k = 0 next to k > 0.
  let s = 321;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 4000; i++) {
    as.push(Math.exp(Math.log(1e-8) + rnd() * Math.log(1e16)));
    const r = rnd();
    ks.push(r < 0.1 ? 0 : r < 0.6 ? Math.floor(rnd() * 26) : Math.floor(rnd() * (rnd() < 0.5 ? 60 : 5000)));
  }
  return [Float64Array.from(as), Float64Array.from(ks)];
}

test('the fused count differences match mpmath to 1e-13 relative (1e-15 absolute below 1e-2), in every binary and its scalar twin', () => {
  const a = arr(COUNT.lgammaDiff.a);
  const k = arr(COUNT.lgammaDiff.k);
  assert.equal(arr(COUNT.digammaDiff.a), a);
  assert.equal(arr(COUNT.digammaDiff.k), k);
  const want = { lg: arr(COUNT.lgammaDiff.mp), dg: arr(COUNT.digammaDiff.mp) };
  for (const [name, core] of Object.entries(cores)) {
    for (const scalar of [false, true]) {
      const [lg, dg] = fused(core, a, k, scalar);
      for (const [which, got] of [['lg', lg], ['dg', dg]] as const) {
        const w = want[which];
        for (let i = 0; i < a.length; i++) {
          const e = w[i];
          if (!Number.isFinite(e)) {
            assert.ok(Object.is(got[i], e), `${name}${scalar ? ' scalar' : ''} ${which}(${a[i]}, ${k[i]}) = ${got[i]}, want ${e}`);
            continue;
          }
          const err = Math.abs(e) < 1e-2 ? Math.abs(got[i] - e) / 1e-2 : Math.abs(got[i] - e) / Math.abs(e);
          assert.ok(err <= 1e-13, `${name}${scalar ? ' scalar' : ''} ${which}(${a[i]}, ${k[i]}) = ${got[i]}, want ${e} (error ${err})`);
        }
      }
    }
  }
});

test('the fused count differences are bit-identical to lgammaDiff and digammaDiff in every regime, binary and scalar twin', () => {
  const [ra, rk] = regimes();
  const fa = arr(COUNT.lgammaDiff.a);
  const fk = arr(COUNT.lgammaDiff.k);
  const a = Float64Array.from([...fa, ...ra]);
  const k = Float64Array.from([...fk, ...rk]);
  for (const [name, core] of Object.entries(cores)) {
    for (const scalar of [false, true]) {
      const [lg, dg] = fused(core, a, k, scalar);
      const lg2 = special.lgammaDiff(a, k, { core, scalar });
      const dg2 = special.digammaDiff(a, k, { core, scalar });
      for (let i = 0; i < a.length; i++) {
        const at = `${name}${scalar ? ' scalar' : ''} at a=${a[i]}, k=${k[i]}`;
        assert.ok(Object.is(lg[i], lg2[i]), `Δlnγ ${at}: ${lg[i]} vs ${lg2[i]}`);
        if (a[i] < 1e-300 && !scalar && name !== 'scalar') {
          assert.ok(Math.abs(dg[i] - dg2[i]) <= 4 * ulp(dg2[i]), `Δψ ${at}: ${dg[i]} vs ${dg2[i]}`);
        } else {
          assert.ok(Object.is(dg[i], dg2[i]), `Δψ ${at}: ${dg[i]} vs ${dg2[i]}`);
        }
      }
    }
  }
});

test('unusual lanes (a ≤ 0, NaN, ±Inf, k < 0, k NaN or Inf, a below 1e-300) give the separate functions\' values without touching their neighbour', () => {
  const odd: [number, number][] = [
    [NaN, 1], [1, NaN], [-1, 1], [0, 1], [-0, 3], [0, 0], [2, 0], [Infinity, 3], [Infinity, 0], [2, Infinity],
    [Infinity, Infinity], [-Infinity, 2], [2, -1], [5e-324, 1], [1e-310, 3], [1e-301, 30], [1e-320, 0],
  ];
  const normal: [number, number][] = [[2.5, 3], [0.7, 40], [1e6, 25]];
  const as: number[] = [];
  const ks: number[] = [];
  // Every odd pair in lane 0 and in lane 1 next to each normal pair, and next to itself.
  for (const o of odd) {
    for (const nrm of normal) {
      as.push(o[0], nrm[0], nrm[0], o[0]);
      ks.push(o[1], nrm[1], nrm[1], o[1]);
    }
    as.push(o[0], o[0]);
    ks.push(o[1], o[1]);
  }
  const a = Float64Array.from(as);
  const k = Float64Array.from(ks);
  for (const [name, core] of Object.entries(cores)) {
    const [lgS, dgS] = fused(core, a, k, true);
    const [lg, dg] = fused(core, a, k, false);
    const lg2 = special.lgammaDiff(a, k, { core, scalar: true });
    const dg2 = special.digammaDiff(a, k, { core, scalar: true });
    for (let i = 0; i < a.length; i++) {
      const at = `${name} at a=${a[i]}, k=${k[i]}`;
      assert.ok(Object.is(lgS[i], lg2[i]) && Object.is(dgS[i], dg2[i]), `scalar twin ${at}: ${lgS[i]}, ${dgS[i]} vs ${lg2[i]}, ${dg2[i]}`);
      // The SIMD kernel sends unusual lanes to the scalar form; normal lanes agree to rounding.
      const close = (x: number, y: number) => Object.is(x, y) || Math.abs(x - y) <= 4 * ulp(y);
      assert.ok(close(lg[i], lg2[i]) && close(dg[i], dg2[i]), `SIMD ${at}: ${lg[i]}, ${dg[i]} vs ${lg2[i]}, ${dg2[i]}`);
    }
    // The normal lanes are the same whichever neighbour they had.
    const [nlg, ndg] = fused(core, Float64Array.from(normal, (p) => p[0]), Float64Array.from(normal, (p) => p[1]), false);
    for (let i = 0; i < a.length; i++) {
      const j = normal.findIndex((p) => p[0] === a[i] && p[1] === k[i]);
      if (j < 0) continue;
      assert.ok(Object.is(lg[i], nlg[j]) && Object.is(dg[i], ndg[j]), `${name}: normal lane (${a[i]}, ${k[i]}) changed with its neighbour`);
    }
  }
  // Spot values: k = 0 gives 0 and 0; a = +Inf gives +Inf and 0; a ≤ 0 or NaN gives NaN.
  const [lg, dg] = fused(cores.simd, Float64Array.from([3, Infinity, 0, NaN]), Float64Array.from([0, 2, 1, 1]), false);
  assert.equal([lg[0], dg[0], lg[1], dg[1]], [0, 0, Infinity, 0]);
  assert.ok(Number.isNaN(lg[2]) && Number.isNaN(dg[2]) && Number.isNaN(lg[3]) && Number.isNaN(dg[3]));
});

test('the FRASER cell kernel (fused and product paths) agrees with its scalar twin: weighted or not, c = 0 or 1, odd rows, a above and below 1e5', () => {
  type Cells = (...args: number[]) => number;
  let s = 99;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const rows = 6, cols = 37;
  for (const [name, core] of Object.entries(cores)) {
    const ex = core.exports as unknown as { fraserCells: Cells; fraserCellsScalar: Cells };
    const h = core.heap;
    const pK = h.alloc(rows * cols * 4), pN = h.alloc(rows * cols * 4), pY = h.alloc(rows * cols * 8);
    const pW = h.alloc(rows * cols * 8), pA = h.alloc(rows * 8), pB = h.alloc(rows * 8);
    const out = () => ({ g: h.alloc(rows * cols * 8), l: h.alloc(rows * 8), r: h.alloc(rows * 8) });
    const o1 = out(), o2 = out();
    const aRow = [0.05, 3, 40, 900, 2e5, 1e13];
    for (let r = 0; r < rows; r++) {
      core.f64[(pA >>> 3) + r] = aRow[r];
      core.f64[(pB >>> 3) + r] = 4 * rnd() - 2;
      const depth = [3, 12, 30, 200, 20, 60][r];
      for (let i = 0; i < cols; i++) {
        const nn = rnd() < 0.1 ? 0 : Math.floor(rnd() * 2 * depth);
        core.u32[(pN >>> 2) + r * cols + i] = nn;
        core.u32[(pK >>> 2) + r * cols + i] = Math.floor(rnd() * (nn + 1));
        core.f64[(pY >>> 3) + r * cols + i] = 6 * rnd() - 3;
        core.f64[(pW >>> 3) + r * cols + i] = rnd();
      }
    }
    for (const c of [0, 1]) {
      for (const w of [0, pW]) {
        for (const n of [cols, cols - 1]) {
          const args = (o: { g: number; l: number; r: number }) => [rows, n, 0, pY, cols, pK, pN, cols, pA, pB, c, w, cols, 0.01, o.g, cols, o.l, o.r];
          const t1 = ex.fraserCells(...args(o1));
          const t2 = ex.fraserCellsScalar(...args(o2));
          const at = `${name}, c=${c}, ${w ? 'weighted' : 'unweighted'}, ${n} columns`;
          assert.ok(Math.abs(t1 - t2) <= 1e-13 * Math.abs(t2), `${at}: total ${t1} vs ${t2}`);
          for (let r = 0; r < rows; r++) {
            const l1 = core.f64[(o1.l >>> 3) + r], l2 = core.f64[(o2.l >>> 3) + r];
            assert.ok(Math.abs(l1 - l2) <= 1e-13 * Math.abs(l2), `${at}: row ${r} loss ${l1} vs ${l2}`);
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
