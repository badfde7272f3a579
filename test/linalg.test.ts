/**
 * Linear algebra: gemm/gemv/dot/axpy/scal against naive loops at odd sizes and every transpose,
 * on every binary (relaxed, baseline SIMD, scalar) and the scalar twins; Cholesky, eigen and SVD
 * against numpy.linalg through committed fixtures (test/fixtures/gen_linalg.py).
 *
 * Bounds: products agree with the naive loop to 1e-13·Σ|a||b| per element (blocked summation
 * and fused multiply-adds reorder the rounding). Cholesky factors and solves to 1e-12 relative
 * (condition numbers up to 1e6 are in the fixtures, so solves get 1e-9). Eigenvalues to 1e-12·‖A‖,
 * eigenvectors to 1e-9 in |u·v|; truncated-SVD singular values to 1e-9 relative, vectors to 1e-6.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ArgumentTypeError, ArgumentValueError, ShapeError, linalg, Rng, type Core } from '../src/index.js';
import { loadCores } from './cores.js';

const FIX = JSON.parse(readFileSync(new URL('./fixtures/linalg.json', import.meta.url), 'utf8'));
const { matrix } = linalg;

let cores: Record<string, Core>;
test.before(async () => {
  cores = await loadCores();
});

function randomMatrix(rng: Rng, rows: number, cols: number): linalg.Matrix {
  return matrix(rows, cols, rng.fillNormal(new Float64Array(rows * cols)));
}

function naiveProduct(a: linalg.Matrix, b: linalg.Matrix, tA: boolean, tB: boolean, alpha: number, beta: number, c0: Float64Array) {
  const m = tA ? a.cols : a.rows;
  const k = tA ? a.rows : a.cols;
  const n = tB ? b.rows : b.cols;
  const out = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const x = tA ? a.data[p * a.cols + i] : a.data[i * a.cols + p];
        const y = tB ? b.data[j * b.cols + p] : b.data[p * b.cols + j];
        s += x * y;
        abs += Math.abs(x * y);
      }
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c0[i * n + j]);
      scale[i * n + j] = Math.abs(alpha) * abs + Math.abs(beta * c0[i * n + j]) + 1e-300;
    }
  }
  return { out, scale };
}

test('gemm matches a naive triple loop at odd sizes, for every transpose, alpha and beta, on every binary and the scalar twin', () => {
  const rng = new Rng(7);
  // Sizes straddle the micro-tile (6×4) and the blocking (MC = 96, KC = 256) edges.
  const sizes = [[1, 1, 1], [3, 5, 2], [7, 9, 13], [6, 4, 257], [97, 33, 300], [13, 1029, 5], [101, 7, 1]];
  for (const [m, n, k] of sizes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const a = tA ? randomMatrix(rng, k, m) : randomMatrix(rng, m, k);
        const b = tB ? randomMatrix(rng, n, k) : randomMatrix(rng, k, n);
        const c0 = rng.fillNormal(new Float64Array(m * n));
        for (const [alpha, beta] of [[1, 0], [-0.5, 2]]) {
          const want = naiveProduct(a, b, tA, tB, alpha, beta, c0);
          for (const [name, core] of Object.entries(cores)) {
            for (const scalar of [false, true]) {
              const c = matrix(m, n, Float64Array.from(c0));
              linalg.gemm(a, b, { transA: tA, transB: tB, alpha, beta, c, core, scalar });
              for (let i = 0; i < m * n; i++) {
                const err = Math.abs(c.data[i] - want.out[i]) / want.scale[i];
                if (!(err <= 1e-13)) assert.unreachable(`${name}${scalar ? ' scalar' : ''} gemm ${m}×${n}×${k} tA=${tA} tB=${tB} α=${alpha} β=${beta}: element ${i} off by ${err}`);
              }
            }
          }
        }
      }
    }
  }
});

test('gemm with beta = 0 overwrites NaN already in C, and NaN in A propagates to its rows only', () => {
  const rng = new Rng(3);
  const a = randomMatrix(rng, 5, 4);
  const b = randomMatrix(rng, 4, 3);
  const c = matrix(5, 3, new Float64Array(15).fill(NaN));
  linalg.gemm(a, b, { c });
  assert.ok(c.data.every(Number.isFinite));
  a.data[2 * 4 + 1] = NaN;
  const d = linalg.gemm(a, b);
  for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) assert.is(Number.isNaN(d.data[i * 3 + j]), i === 2);
});

test('transposed gemv (rows four at a time) gives the bits of one axpy per row, on every binary', () => {
  const rng = new Rng(12);
  for (const [m, n] of [[7, 9], [4, 1], [9, 500], [3, 6]]) {
    const a = randomMatrix(rng, m, n);
    const x = rng.fillNormal(new Float64Array(m));
    const y0 = rng.fillNormal(new Float64Array(n));
    for (const core of Object.values(cores)) {
      const y = linalg.gemv(a, x, { trans: true, alpha: 1.5, beta: 1, y: Float64Array.from(y0), core });
      const z = Float64Array.from(y0);
      for (let i = 0; i < m; i++) linalg.axpy(1.5 * x[i], a.data.subarray(i * n, i * n + n), z, { core });
      for (let j = 0; j < n; j++) assert.is(y[j], z[j], `${m}×${n} at ${j}`);
    }
  }
});

test('gemv, dot, axpy and scal match plain loops on every binary and the scalar twins', () => {
  const rng = new Rng(11);
  for (const [m, n] of [[1, 1], [5, 7], [33, 17], [4, 1001]]) {
    const a = randomMatrix(rng, m, n);
    for (const trans of [false, true]) {
      const x = rng.fillNormal(new Float64Array(trans ? m : n));
      const y0 = rng.fillNormal(new Float64Array(trans ? n : m));
      const want = new Float64Array(y0.length);
      for (let i = 0; i < y0.length; i++) {
        let s = 0;
        for (let j = 0; j < x.length; j++) s += (trans ? a.data[j * n + i] : a.data[i * n + j]) * x[j];
        want[i] = 1.5 * s - 0.25 * y0[i];
      }
      for (const core of Object.values(cores)) {
        for (const scalar of [false, true]) {
          const y = linalg.gemv(a, x, { trans, alpha: 1.5, beta: -0.25, y: Float64Array.from(y0), core, scalar });
          for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - want[i]) <= 1e-12 * (1 + Math.abs(want[i])), `gemv ${m}×${n} trans=${trans} at ${i}`);
        }
      }
    }
    const x = rng.fillNormal(new Float64Array(n));
    const y = rng.fillNormal(new Float64Array(n));
    let d = 0;
    for (let i = 0; i < n; i++) d += x[i] * y[i];
    for (const core of Object.values(cores)) {
      for (const scalar of [false, true]) {
        assert.ok(Math.abs(linalg.dot(x, y, { core, scalar }) - d) <= 1e-13 * n);
        const z = linalg.axpy(-2, x, Float64Array.from(y), { core, scalar });
        const s = linalg.scal(3, Float64Array.from(x), { core, scalar });
        for (let i = 0; i < n; i++) {
          // A fused multiply-add (relaxed build) rounds once instead of twice: within an ulp.
          assert.ok(Math.abs(z[i] - (y[i] - 2 * x[i])) <= 4.5e-16 * (Math.abs(y[i]) + 2 * Math.abs(x[i])));
          assert.is(s[i], 3 * x[i]);
        }
      }
    }
  }
});

test('cholesky and its solve agree with numpy.linalg on well and badly conditioned matrices', () => {
  for (const c of FIX.cholesky) {
    const a = matrix(c.n, c.n, Float64Array.from(c.a));
    for (const core of Object.values(cores)) {
      for (const scalar of [false, true]) {
        const l = linalg.cholesky(a, { core, scalar });
        for (let i = 0; i < c.n * c.n; i++) assert.ok(Math.abs(l.data[i] - c.l[i]) <= 1e-12 * Math.sqrt(Math.abs(c.a[Math.floor(i / c.n) * (c.n + 1)])) + 1e-14, `L[${i}] n=${c.n}`);
        const x = linalg.choleskySolve(l, matrix(c.n, 3, Float64Array.from(c.b)), { core, scalar });
        const xmax = Math.max(...c.x.map(Math.abs));
        for (let i = 0; i < c.n * 3; i++) assert.ok(Math.abs(x.data[i] - c.x[i]) <= 1e-9 * xmax, `X[${i}] n=${c.n}: ${x.data[i]} vs ${c.x[i]}`);
      }
    }
  }
  const v = linalg.choleskySolve(linalg.cholesky(matrix(2, 2, Float64Array.of(4, 0, 2, 5))), Float64Array.of(2, 3));
  assert.ok(v instanceof Float64Array);
  assert.ok(Math.abs(4 * v[0] + 2 * v[1] - 2) < 1e-14 && Math.abs(2 * v[0] + 5 * v[1] - 3) < 1e-14);
});

test('cholesky of a matrix that is not positive definite names the row where it failed', () => {
  const a = matrix(3, 3, Float64Array.of(4, 0, 0, 2, 1, 0, 1, 3, 1));
  try {
    linalg.cholesky(a);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, linalg.NotPositiveDefiniteError);
    assert.is((e as linalg.NotPositiveDefiniteError).index, 1);
    assert.match((e as Error).message, /leading minor of order 2/);
  }
  assert.throws(() => linalg.cholesky(matrix(2, 2, Float64Array.of(NaN, 0, 0, 1))), (e: unknown) => e instanceof linalg.NotPositiveDefiniteError);
});

test('symmetricEigen agrees with numpy.linalg.eigh, including repeated eigenvalues', () => {
  for (const c of FIX.eigen) {
    const a = matrix(c.n, c.n, Float64Array.from(c.a));
    let norm = 0;
    for (const v of c.a) norm = Math.max(norm, Math.abs(v));
    const { values, vectors } = linalg.symmetricEigen(a);
    for (let j = 0; j < c.n; j++) assert.ok(Math.abs(values[j] - c.values[j]) <= 1e-12 * c.n * norm, `eigenvalue ${j} of ${c.n}: ${values[j]} vs ${c.values[j]}`);
    // Residual ‖A·v − λ·v‖ checks every vector, even inside a repeated eigenvalue's subspace.
    for (let j = 0; j < c.n; j++) {
      let r = 0;
      for (let i = 0; i < c.n; i++) {
        let s = 0;
        for (let p = 0; p < c.n; p++) s += c.a[i * c.n + p] * vectors!.data[j * c.n + p];
        r = Math.max(r, Math.abs(s - values[j] * vectors!.data[j * c.n + i]));
      }
      assert.ok(r <= 1e-12 * c.n * norm, `residual of eigenvector ${j} of ${c.n}: ${r}`);
    }
    if (c.vectors) {
      for (let j = 0; j < c.n; j++) {
        let d = 0;
        for (let i = 0; i < c.n; i++) d += vectors!.data[j * c.n + i] * c.vectors[j * c.n + i];
        assert.ok(Math.abs(Math.abs(d) - 1) <= 1e-9, `|u·v| for eigenvector ${j} of ${c.n}: ${d}`);
      }
    }
    const only = linalg.symmetricEigen(a, { vectors: false });
    assert.ok(only.vectors === undefined);
    for (let j = 0; j < c.n; j++) assert.ok(Math.abs(only.values[j] - values[j]) <= 1e-12 * c.n * norm);
  }
});

test('truncatedSvd recovers the top singular triplets numpy finds, for wide, tall and square matrices', () => {
  for (const c of FIX.svd) {
    const a = matrix(c.m, c.n, Float64Array.from(c.a));
    const { u, s, vt } = linalg.truncatedSvd(a, c.q, { seed: 5 });
    assert.is(u.rows, c.m);
    assert.is(u.cols, c.q);
    assert.is(vt.rows, c.q);
    assert.is(vt.cols, c.n);
    for (let j = 0; j < c.q; j++) {
      assert.ok(Math.abs(s[j] - c.s[j]) <= 1e-9 * c.s[0], `σ${j} of ${c.m}×${c.n}: ${s[j]} vs ${c.s[j]}`);
      let du = 0;
      for (let i = 0; i < c.m; i++) du += u.data[i * c.q + j] * c.u[i * c.q + j];
      let dv = 0;
      for (let i = 0; i < c.n; i++) dv += vt.data[j * c.n + i] * c.vt[j * c.n + i];
      assert.ok(Math.abs(Math.abs(du) - 1) <= 1e-6 && Math.abs(Math.abs(dv) - 1) <= 1e-6, `vectors ${j} of ${c.m}×${c.n}: ${du}, ${dv}`);
      // The signs pair up: u_j σ_j v_jᵀ is the same rank-one term as numpy's.
      assert.ok(du * dv > 0);
    }
    const g = linalg.gramSvd(a, c.q);
    for (let j = 0; j < c.q; j++) {
      let du = 0;
      for (let i = 0; i < c.m; i++) du += g.u.data[i * c.q + j] * c.u[i * c.q + j];
      let dv = 0;
      for (let i = 0; i < c.n; i++) dv += g.vt.data[j * c.n + i] * c.vt[j * c.n + i];
      assert.ok(Math.abs(Math.abs(du) - 1) <= 1e-9 && Math.abs(Math.abs(dv) - 1) <= 1e-9 && du * dv > 0, `gramSvd vectors ${j} of ${c.m}×${c.n}: ${du}, ${dv}`);
    }
    for (let j = 0; j < g.s.length; j++) assert.ok(Math.abs(g.s[j] - c.s[j]) <= 1e-9 * c.s[0], `gramSvd σ${j}`);
    const all = linalg.singularValues(a);
    assert.is(all.length, Math.min(c.m, c.n));
    for (let j = 0; j < all.length; j++) assert.ok(Math.abs(all[j] - c.s[j]) <= 1e-9 * c.s[0], `singular value ${j} of ${c.m}×${c.n}: ${all[j]} vs ${c.s[j]}`);
  }
});

test('truncatedSvd of a rank-deficient matrix returns zero singular values, not NaN', () => {
  const rng = new Rng(2);
  const x = rng.fillNormal(new Float64Array(20));
  const y = rng.fillNormal(new Float64Array(8));
  const a = matrix(20, 8);
  for (let i = 0; i < 20; i++) for (let j = 0; j < 8; j++) a.data[i * 8 + j] = x[i] * y[j];
  const { u, s, vt } = linalg.truncatedSvd(a, 3);
  assert.ok(Math.abs(s[0] - Math.hypot(...x) * Math.hypot(...y)) <= 1e-10 * s[0]);
  assert.ok(s[1] <= 1e-7 * s[0] && s[2] <= 1e-7 * s[0]);
  assert.ok(u.data.every(Number.isFinite) && vt.data.every(Number.isFinite));
});

test('the Marchenko–Pastur median and the Gavish–Donoho coefficient agree with scipy quadrature to 1e-7', () => {
  for (const c of FIX.oht) {
    assert.ok(Math.abs(linalg.marchenkoPasturMedian(c.beta) - c.median) <= 1e-7 * c.median, `median at β=${c.beta}`);
    assert.ok(Math.abs(linalg.optimalHardThresholdCoefficient(c.beta) - c.omega) <= 1e-7 * c.omega, `ω at β=${c.beta}`);
  }
});

test('optimal hard thresholding finds the rank of a low-rank signal in white noise', () => {
  const rng = new Rng(9);
  const m = 120, n = 400, r = 5;
  const u = randomMatrix(rng, m, r), v = randomMatrix(rng, r, n);
  const a = linalg.gemm(u, v, { alpha: 0.6 });
  for (let i = 0; i < a.data.length; i++) a.data[i] += rng.normal();
  const sv = linalg.singularValues(a);
  const oht = linalg.optimalHardThreshold(sv, m, n);
  assert.is(oht.rank, r, `threshold ${oht.threshold}, σ = ${Array.from(sv.slice(0, 8), (x) => x.toFixed(1)).join(', ')}`);
});

test('every linalg entry point rejects bad input with a typed error naming the argument', () => {
  const a = matrix(2, 3);
  const is = (cls: Function, arg: string) => (e: unknown) => e instanceof cls && (e as { argument?: string }).argument === arg;
  assert.throws(() => linalg.gemm(a, a), is(ShapeError, 'b'));
  assert.throws(() => linalg.gemm(a, a, { transB: true, c: matrix(3, 3) }), is(ShapeError, 'c'));
  assert.throws(() => linalg.gemm([1, 2] as unknown as linalg.Matrix, a), is(ArgumentTypeError, 'a'));
  assert.throws(() => linalg.gemm({ rows: 2, cols: 2, data: new Float64Array(3) }, a), is(ShapeError, 'a'));
  assert.throws(() => linalg.gemv(a, new Float64Array(2)), is(ShapeError, 'x'));
  assert.throws(() => linalg.dot(new Float64Array(2), new Float64Array(3)), is(ShapeError, 'y'));
  assert.throws(() => linalg.dot([1] as unknown as Float64Array, new Float64Array(1)), is(ArgumentTypeError, 'x'));
  assert.throws(() => linalg.cholesky(a), is(ShapeError, 'a'));
  assert.throws(() => linalg.choleskySolve(matrix(2, 2, Float64Array.of(1, 0, 0, 1)), new Float64Array(3)), is(ShapeError, 'b'));
  assert.throws(() => linalg.symmetricEigen(matrix(2, 2, Float64Array.of(1, NaN, NaN, 1))), is(ArgumentValueError, 'a'));
  assert.throws(() => linalg.truncatedSvd(a, 0), is(ArgumentValueError, 'q'));
  assert.throws(() => linalg.truncatedSvd(a, 3), is(ArgumentValueError, 'q'));
  assert.throws(() => linalg.truncatedSvd(matrix(2, 2, Float64Array.of(1, Infinity, 0, 1)), 1), is(ArgumentValueError, 'a'));
  assert.throws(() => linalg.matrix(-1, 2), is(ArgumentValueError, 'rows'));
  assert.throws(() => linalg.matrix(2, 2, new Float64Array(3)), is(ShapeError, 'data'));
  assert.throws(() => linalg.optimalHardThreshold(new Float64Array(3), 2, 5), is(ShapeError, 'singularValues'));
  assert.throws(() => linalg.marchenkoPasturMedian(1.5), is(ArgumentValueError, 'beta'));
});

test('symmetricEigen gives bit-identical values and vectors in the scalar, SIMD and relaxed builds (its SIMD loops are elementwise)', () => {
  const n = 201;
  const rng = new Rng(17);
  const s = rng.fillNormal(new Float64Array(n * n));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (s[i * n + j] + s[j * n + i]) / 2;
  const ref = linalg.symmetricEigen(matrix(n, n, a.slice()), { core: cores.scalar });
  for (const [label, core] of Object.entries(cores)) {
    const e = linalg.symmetricEigen(matrix(n, n, a.slice()), { core });
    assert.ok(e.values.every((v, i) => Object.is(v, ref.values[i])), `${label}: eigenvalues differ from the scalar build's`);
    assert.ok(e.vectors!.data.every((v, i) => Object.is(v, ref.vectors!.data[i])), `${label}: eigenvectors differ from the scalar build's`);
  }
});

test.run();
