import { ArgumentTypeError, ArgumentValueError, LatentWasmError, ShapeError, requireFloat64Array, requireInteger } from '../errors.js';
import { Rng } from '../random.js';
import { Core, getCore } from '../wasm/core.js';
import type { LinalgExports } from '../wasm/exports.js';
import { Workspace } from '../wasm/workspace.js';

/**
 * Dense linear algebra over row-major f64 matrices: convenience wrappers around the kernels of
 * assembly/linalg.ts. Each call copies its inputs into WebAssembly memory, runs the kernel and
 * copies the result out; models call the kernels on their own workspace buffers instead.
 *
 * A `Matrix` is `{ rows, cols, data }` with `data[i * cols + j]` the (i, j) element.
 */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Options every wrapper takes: which core (default: the one `init()` loaded) and whether to force the scalar twins. */
export interface LinalgOptions {
  core?: Core;
  scalar?: boolean;
}

/** A rows×cols matrix over `data` (not copied), or over new zeros. */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  requireInteger(rows, 'rows');
  requireInteger(cols, 'cols');
  if (data === undefined) return { rows, cols, data: new Float64Array(rows * cols) };
  requireFloat64Array(data, 'data');
  if (data.length !== rows * cols) throw new ShapeError(`data has ${data.length} elements, a ${rows}×${cols} matrix needs ${rows * cols}`, 'data');
  return { rows, cols, data };
}

function requireMatrix(a: unknown, name: string): Matrix {
  if (typeof a !== 'object' || a === null || !('data' in a) || !('rows' in a) || !('cols' in a)) {
    throw new ArgumentTypeError(`${name} must be a matrix {rows, cols, data: Float64Array}`, name);
  }
  const m = a as Matrix;
  requireFloat64Array(m.data, `${name}.data`);
  requireInteger(m.rows, `${name}.rows`);
  requireInteger(m.cols, `${name}.cols`);
  if (m.data.length !== m.rows * m.cols) {
    throw new ShapeError(`${name} is ${m.rows}×${m.cols} but its data has ${m.data.length} elements`, name);
  }
  return m;
}

function kernels(opts: LinalgOptions) {
  const core = opts.core ?? getCore();
  const e = core.exports;
  const s = opts.scalar ? 'Scalar' : '';
  const pick = <K extends keyof LinalgExports>(name: K): LinalgExports[K] => (e as unknown as Record<string, LinalgExports[K]>)[name + s];
  return {
    core,
    gemm: pick('gemm'),
    gemv: pick('gemv'),
    dot: pick('dot'),
    axpy: pick('axpy'),
    scal: pick('scal'),
    cholesky: pick('cholesky'),
    choleskySolve: pick('choleskySolve'),
    trsmLower: pick('trsmLower'),
  };
}

const gemmScratch = new WeakMap<Core, number>();

/**
 * The gemm workspace of a core (gemmWorkspaceBytes(), about 2.3 MB), allocated on first use and
 * kept for the life of the core, so that repeated products never allocate.
 */
export function gemmWorkspace(core: Core = getCore()): number {
  let p = gemmScratch.get(core);
  if (p === undefined) {
    p = core.heap.alloc(core.exports.gemmWorkspaceBytes(), 'gemm workspace');
    gemmScratch.set(core, p);
  }
  return p;
}

export interface GemmOptions extends LinalgOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** Accumulate into this matrix (C ← α·op(A)·op(B) + β·C); a new zero matrix by default. */
  c?: Matrix;
}

/**
 * C = α·op(A)·op(B) + β·C. op(X) is X or Xᵀ by `transA`/`transB`. Returns C (the `c` option,
 * updated in place, or a new matrix).
 */
export function gemm(a: Matrix, b: Matrix, opts: GemmOptions = {}): Matrix {
  requireMatrix(a, 'a');
  requireMatrix(b, 'b');
  const { transA = false, transB = false, alpha = 1, beta = 0 } = opts;
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) throw new ShapeError(`inner dimensions differ: op(a) is ${m}×${k}, op(b) is ${kb}×${n}`, 'b');
  const c = opts.c === undefined ? matrix(m, n) : requireMatrix(opts.c, 'c');
  if (c.rows !== m || c.cols !== n) throw new ShapeError(`c is ${c.rows}×${c.cols}, the product is ${m}×${n}`, 'c');
  const K = kernels(opts);
  const ws = new Workspace(K.core);
  try {
    const pa = ws.from(a.data, 'a');
    const pb = ws.from(b.data, 'b');
    const pc = ws.from(c.data, 'c');
    K.gemm(+transA, +transB, m, n, k, alpha, pa.ptr, a.cols, pb.ptr, b.cols, beta, pc.ptr, n, gemmWorkspace(K.core));
    c.data.set(pc.view());
  } finally {
    ws.dispose();
  }
  return c;
}

/** y = α·op(A)·x + β·y; returns y (the `y` option updated in place, or a new array). */
export function gemv(a: Matrix, x: Float64Array, opts: LinalgOptions & { trans?: boolean; alpha?: number; beta?: number; y?: Float64Array } = {}): Float64Array {
  requireMatrix(a, 'a');
  requireFloat64Array(x, 'x');
  const { trans = false, alpha = 1, beta = 0 } = opts;
  const nx = trans ? a.rows : a.cols;
  const ny = trans ? a.cols : a.rows;
  if (x.length !== nx) throw new ShapeError(`x has ${x.length} elements, op(a) has ${nx} columns`, 'x');
  const y = opts.y === undefined ? new Float64Array(ny) : requireFloat64Array(opts.y, 'y');
  if (y.length !== ny) throw new ShapeError(`y has ${y.length} elements, op(a) has ${ny} rows`, 'y');
  const K = kernels(opts);
  const ws = new Workspace(K.core);
  try {
    const pa = ws.from(a.data, 'a');
    const px = ws.from(x, 'x');
    const py = ws.from(y, 'y');
    K.gemv(+trans, a.rows, a.cols, alpha, pa.ptr, a.cols, px.ptr, beta, py.ptr);
    y.set(py.view());
  } finally {
    ws.dispose();
  }
  return y;
}

function sameLength(x: Float64Array, y: Float64Array): void {
  requireFloat64Array(x, 'x');
  requireFloat64Array(y, 'y');
  if (x.length !== y.length) throw new ShapeError(`x and y must have the same length, got ${x.length} and ${y.length}`, 'y');
}

/** Σ x[i]·y[i]. */
export function dot(x: Float64Array, y: Float64Array, opts: LinalgOptions = {}): number {
  sameLength(x, y);
  const K = kernels(opts);
  const ws = new Workspace(K.core);
  try {
    return K.dot(ws.from(x, 'x').ptr, ws.from(y, 'y').ptr, x.length);
  } finally {
    ws.dispose();
  }
}

/** y ← y + α·x, in place; returns y. */
export function axpy(alpha: number, x: Float64Array, y: Float64Array, opts: LinalgOptions = {}): Float64Array {
  sameLength(x, y);
  const K = kernels(opts);
  const ws = new Workspace(K.core);
  try {
    const py = ws.from(y, 'y');
    K.axpy(alpha, ws.from(x, 'x').ptr, py.ptr, x.length);
    y.set(py.view());
  } finally {
    ws.dispose();
  }
  return y;
}

/** x ← α·x, in place; returns x. */
export function scal(alpha: number, x: Float64Array, opts: LinalgOptions = {}): Float64Array {
  requireFloat64Array(x, 'x');
  const K = kernels(opts);
  const ws = new Workspace(K.core);
  try {
    const px = ws.from(x, 'x');
    K.scal(alpha, px.ptr, x.length);
    x.set(px.view());
  } finally {
    ws.dispose();
  }
  return x;
}

/** Thrown when a matrix that must be positive definite is not; `index` is the 0-based row where it showed. */
export class NotPositiveDefiniteError extends LatentWasmError {
  readonly index: number;
  constructor(name: string, index: number) {
    super(`${name} is not positive definite: the leading minor of order ${index + 1} is not positive (or holds NaN)`, name);
    this.index = index;
  }
}

function requireSquare(a: Matrix, name: string): void {
  requireMatrix(a, name);
  if (a.rows !== a.cols) throw new ShapeError(`${name} must be square, got ${a.rows}×${a.cols}`, name);
}

/**
 * The lower-triangular Cholesky factor L of a symmetric positive-definite matrix (A = L·Lᵀ). Only
 * A's lower triangle is read. Throws NotPositiveDefiniteError naming the failing row.
 */
export function cholesky(a: Matrix, opts: LinalgOptions = {}): Matrix {
  requireSquare(a, 'a');
  const K = kernels(opts);
  const ws = new Workspace(K.core);
  try {
    const pa = ws.from(a.data, 'a');
    const info = K.cholesky(a.rows, pa.ptr, a.cols);
    if (info !== 0) throw new NotPositiveDefiniteError('a', info - 1);
    return matrix(a.rows, a.cols, Float64Array.from(pa.view()));
  } finally {
    ws.dispose();
  }
}

/** Solves A·X = B given L = cholesky(A). B is a matrix (n×nrhs) or a vector (n); returns a new X of the same shape. */
export function choleskySolve<T extends Matrix | Float64Array>(l: Matrix, b: T, opts: LinalgOptions = {}): T {
  requireSquare(l, 'l');
  const vec = b instanceof Float64Array;
  const bm = vec ? matrix((b as Float64Array).length, 1, b as Float64Array) : requireMatrix(b, 'b');
  if (bm.rows !== l.rows) throw new ShapeError(`b has ${bm.rows} rows, l is ${l.rows}×${l.rows}`, 'b');
  const K = kernels(opts);
  const ws = new Workspace(K.core);
  try {
    const pl = ws.from(l.data, 'l');
    const pb = ws.from(bm.data, 'b');
    K.choleskySolve(l.rows, bm.cols, pl.ptr, l.cols, pb.ptr, bm.cols);
    const out = Float64Array.from(pb.view());
    return (vec ? out : matrix(bm.rows, bm.cols, out)) as T;
  } finally {
    ws.dispose();
  }
}

export interface SymmetricEigen {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /** Row j is the unit eigenvector of values[j] (present when vectors were asked for). */
  vectors?: Matrix;
}

function eigenInPlace(core: Core, n: number, pa: number, pd: number, pe: number, vectors: boolean, name: string): void {
  const info = core.exports.symmetricEigen(n, pa, n, pd, pe, +vectors);
  if (info !== 0) throw new ArgumentValueError(`${name}: the QL iteration did not converge for eigenvalue ${info - 1} (NaN or Inf in the matrix?)`, name);
}

function sortDescending(values: Float64Array): Uint32Array {
  const order = Uint32Array.from(values.keys());
  order.sort((i, j) => values[j] - values[i]);
  return order;
}

/**
 * Eigenvalues (descending) and optionally eigenvectors of a symmetric matrix; only the lower
 * triangle is read. Householder tridiagonalisation and implicit QL (the symmetricEigen kernel).
 */
export function symmetricEigen(a: Matrix, opts: LinalgOptions & { vectors?: boolean } = {}): SymmetricEigen {
  requireSquare(a, 'a');
  const vectors = opts.vectors ?? true;
  const core = opts.core ?? getCore();
  const n = a.rows;
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new ArgumentValueError(`a has a non-finite value at row ${Math.floor(i / n)}, column ${i % n}`, 'a');
  }
  const ws = new Workspace(core);
  try {
    const pa = ws.from(a.data, 'a');
    const pd = ws.f64(n, 'eigenvalues');
    const pe = ws.f64(2 * n, 'off-diagonal and scratch');
    eigenInPlace(core, n, pa.ptr, pd.ptr, pe.ptr, vectors, 'a');
    const d = pd.view();
    const order = sortDescending(d);
    const values = Float64Array.from(order, (i) => d[i]);
    if (!vectors) return { values };
    const z = pa.view();
    const vec = matrix(n, n);
    for (let r = 0; r < n; r++) vec.data.set(z.subarray(order[r] * n, order[r] * n + n), r * n);
    return { values, vectors: vec };
  } finally {
    ws.dispose();
  }
}

/**
 * All min(m, n) singular values of A (descending), as the square roots of the eigenvalues of the
 * smaller Gram matrix (A·Aᵀ or Aᵀ·A, one gemm). Squaring halves the relative precision of small
 * values: a singular value below ~1e-8·σ₁ carries an absolute error of order 1e-8·σ₁. That is
 * ample for rank selection (optimal hard thresholding uses the median singular value).
 */
export function singularValues(a: Matrix, opts: LinalgOptions = {}): Float64Array {
  requireMatrix(a, 'a');
  const K = kernels(opts);
  const wide = a.rows <= a.cols;
  const r = Math.min(a.rows, a.cols);
  const ws = new Workspace(K.core);
  try {
    const pa = ws.from(a.data, 'a');
    const pg = ws.f64(r * r, 'gram');
    if (wide) K.gemm(0, 1, r, r, a.cols, 1, pa.ptr, a.cols, pa.ptr, a.cols, 0, pg.ptr, r, gemmWorkspace(K.core));
    else K.gemm(1, 0, r, r, a.rows, 1, pa.ptr, a.cols, pa.ptr, a.cols, 0, pg.ptr, r, gemmWorkspace(K.core));
    checkFinite(pg.view(), 'a');
    const pd = ws.f64(r, 'eigenvalues');
    const pe = ws.f64(2 * r, 'off-diagonal and scratch');
    eigenInPlace(K.core, r, pg.ptr, pd.ptr, pe.ptr, false, 'a');
    const d = Float64Array.from(pd.view());
    d.sort().reverse();
    // Rounding can leave tiny negative eigenvalues of a positive semi-definite Gram matrix.
    return d.map((v) => Math.sqrt(Math.max(v, 0)));
  } finally {
    ws.dispose();
  }
}

function checkFinite(v: Float64Array, name: string): void {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new ArgumentValueError(`${name} holds NaN or Inf (or values so large that their products overflow)`, name);
}

export interface TruncatedSvdOptions extends LinalgOptions {
  /** Extra random directions beyond q (default 10, as in Halko et al. and scikit-learn). */
  oversample?: number;
  /** Power (subspace) iterations; default 7 when q < 0.1·min(m, n), else 4 (scikit-learn's 'auto'). */
  powerIterations?: number;
  /** Seed of the random test matrix (default 1). */
  seed?: number;
}

export interface TruncatedSvd {
  /** m×q, column j the left singular vector of s[j]. */
  u: Matrix;
  /** q singular values, descending. */
  s: Float64Array;
  /** q×n, row j the right singular vector of s[j]. */
  vt: Matrix;
}

/**
 * The top q singular triplets of A (m×n) by the randomised range finder with subspace iteration
 * (Halko, Martinsson & Tropp 2011, Algorithms 4.4 and 5.1). All products are gemm calls; the l =
 * q + oversample basis vectors are kept as rows and re-orthonormalised after each product by
 * modified Gram–Schmidt applied twice. The small l×l problem is solved by symmetricEigen.
 * Cost: about 2(2·iterations + 2)·m·n·l flops, memory m·n + 2(m + n)·l doubles.
 */
export function truncatedSvd(a: Matrix, q: number, opts: TruncatedSvdOptions = {}): TruncatedSvd {
  requireMatrix(a, 'a');
  const minDim = Math.min(a.rows, a.cols);
  requireInteger(q, 'q', 1, Math.max(1, minDim));
  if (minDim === 0) throw new ShapeError(`a is ${a.rows}×${a.cols}; it has no singular values`, 'a');
  const oversample = requireInteger(opts.oversample ?? 10, 'oversample');
  const iterations = requireInteger(opts.powerIterations ?? (q < 0.1 * minDim ? 7 : 4), 'powerIterations', 0, 100);
  const rng = new Rng(opts.seed ?? 1);
  checkFinite(a.data, 'a');
  const K = kernels(opts);
  const core = K.core;
  // Work on the wide orientation (m ≤ n): the basis lives in the smaller space.
  const wide = a.rows <= a.cols;
  const m = minDim;
  const n = Math.max(a.rows, a.cols);
  const l = Math.min(q + oversample, m);
  const ws = new Workspace(core);
  try {
    const pa = ws.from(a.data, 'a');
    // A_w = A (wide) or Aᵀ (tall): products with A_w and A_wᵀ pick their transpose flags here.
    const tA = wide ? 0 : 1;
    const ld = a.cols;
    const work = gemmWorkspace(core);
    // Y (l×m, rows) = Ω·A_wᵀ with Ω l×n Gaussian.
    const omega = ws.from(rng.fillNormal(new Float64Array(l * n)), 'omega');
    const y = ws.f64(l * m, 'range basis');
    const z = ws.f64(l * n, 'row basis');
    const prodRight = (src: number, dst: number) => K.gemm(0, 1 - tA, l, m, n, 1, src, n, pa.ptr, ld, 0, dst, m, work); // dst = src·A_wᵀ
    const prodLeft = (src: number, dst: number) => K.gemm(0, tA, l, n, m, 1, src, m, pa.ptr, ld, 0, dst, n, work); // dst = src·A_w
    prodRight(omega.ptr, y.ptr);
    orthonormalizeRows(K, y.ptr, l, m, rng, core);
    for (let it = 0; it < iterations; it++) {
      prodLeft(y.ptr, z.ptr);
      orthonormalizeRows(K, z.ptr, l, n, rng, core);
      prodRight(z.ptr, y.ptr);
      orthonormalizeRows(K, y.ptr, l, m, rng, core);
    }
    // B = Qᵀ·A_w (l×n) with Q's columns the rows of y; G = B·Bᵀ = W·Λ·Wᵀ.
    prodLeft(y.ptr, z.ptr);
    const g = ws.f64(l * l, 'gram');
    K.gemm(0, 1, l, l, n, 1, z.ptr, n, z.ptr, n, 0, g.ptr, l, work);
    const d = ws.f64(l, 'eigenvalues');
    const e = ws.f64(2 * l, 'off-diagonal and scratch');
    eigenInPlace(core, l, g.ptr, d.ptr, e.ptr, true, 'a');
    const order = sortDescending(d.view());
    const left = ws.f64(l * m, 'left vectors'); // W·Y: row j is a left singular vector of A_w
    const right = ws.f64(l * n, 'right vectors'); // W·B: row j is σ_j times a right singular vector
    K.gemm(0, 0, l, m, l, 1, g.ptr, l, y.ptr, m, 0, left.ptr, m, work);
    K.gemm(0, 0, l, n, l, 1, g.ptr, l, z.ptr, n, 0, right.ptr, n, work);
    const dv = d.view();
    const s = new Float64Array(q);
    const uw = matrix(q, m); // rows: left vectors of A_w
    const vw = matrix(q, n); // rows: right vectors of A_w
    const lv = left.view();
    const rv = right.view();
    for (let j = 0; j < q; j++) {
      const src = order[j];
      const sigma = Math.sqrt(Math.max(dv[src], 0));
      s[j] = sigma;
      uw.data.set(lv.subarray(src * m, src * m + m), j * m);
      const inv = sigma > 0 ? 1 / sigma : 0;
      for (let c = 0; c < n; c++) vw.data[j * n + c] = rv[src * n + c] * inv;
    }
    // A = U·S·Vᵀ; for the tall case A_w = Aᵀ, so the roles of the two sides swap.
    const uRows = wide ? uw : vw;
    const vRows = wide ? vw : uw;
    return { u: transpose(uRows), s, vt: vRows };
  } finally {
    ws.dispose();
  }
}

function transpose(a: Matrix): Matrix {
  const t = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  return t;
}

/**
 * Makes the `rows` rows (each of length len, contiguous at p) orthonormal by modified Gram–Schmidt,
 * twice ("twice is enough", Giraud et al. 2005). A row that vanishes against the previous ones
 * (rank deficiency) is replaced by a fresh random direction and orthogonalised in turn.
 */
function orthonormalizeRows(K: ReturnType<typeof kernels>, p: number, rows: number, len: number, rng: Rng, core: Core): void {
  const row = (i: number) => p + i * len * 8;
  for (let i = 0; i < rows; i++) {
    for (let attempt = 0; ; attempt++) {
      const before = Math.sqrt(K.dot(row(i), row(i), len));
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) K.axpy(-K.dot(row(j), row(i), len), row(j), row(i), len);
      }
      const after = Math.sqrt(K.dot(row(i), row(i), len));
      // Below 1e-10 of its length the row is mostly rounding noise: it adds no new direction.
      if (after > 1e-10 * before && after > 0) {
        K.scal(1 / after, row(i), len);
        break;
      }
      if (attempt >= 3) {
        core.f64.fill(0, row(i) / 8, row(i) / 8 + len);
        break;
      }
      const v = core.f64;
      for (let c = 0; c < len; c++) v[row(i) / 8 + c] = rng.normal();
    }
  }
}

/**
 * Median of the Marchenko–Pastur distribution with aspect ratio β ∈ (0, 1] and unit variance:
 * the density √((b−t)(t−a)) / (2πβt) on [a, b] = [(1−√β)², (1+√β)²]. The CDF is integrated in
 * θ with t = a + (b−a)(1−cos θ)/2, which removes the square-root end points (midpoint rule,
 * 2000 nodes, error far below the 1e-6 the threshold needs), and the median found by bisection.
 */
export function marchenkoPasturMedian(beta: number): number {
  if (!(beta > 0 && beta <= 1)) throw new ArgumentValueError(`beta must be in (0, 1], got ${beta}`, 'beta');
  const a = (1 - Math.sqrt(beta)) ** 2;
  const b = (1 + Math.sqrt(beta)) ** 2;
  const h = (b - a) / 2;
  const cdfAt = (theta: number) => {
    const nodes = 2000;
    const dt = theta / nodes;
    let s = 0;
    for (let i = 0; i < nodes; i++) {
      const th = (i + 0.5) * dt;
      const t = a + h * (1 - Math.cos(th));
      const sn = Math.sin(th);
      s += (h * h * sn * sn) / (2 * Math.PI * beta * t);
    }
    return s * dt;
  };
  let lo = 0;
  let hi = Math.PI;
  for (let it = 0; it < 60; it++) {
    const mid = 0.5 * (lo + hi);
    if (cdfAt(mid) < 0.5) lo = mid;
    else hi = mid;
  }
  return a + h * (1 - Math.cos(0.5 * (lo + hi)));
}

/**
 * ω(β) of Gavish & Donoho (2014, eq. 4 and §III.D) for unknown noise: the optimal hard threshold
 * for singular values is ω(β)·median(σ), with β = min(m,n)/max(m,n) and
 * ω(β) = λ*(β)/√μ_β, λ*(β) = √(2(β+1) + 8β/((β+1) + √(β²+14β+1))), μ_β the Marchenko–Pastur median.
 * ω(1) ≈ 2.858.
 */
export function optimalHardThresholdCoefficient(beta: number): number {
  if (!(beta > 0 && beta <= 1)) throw new ArgumentValueError(`beta must be in (0, 1], got ${beta}`, 'beta');
  const lambda = Math.sqrt(2 * (beta + 1) + (8 * beta) / (beta + 1 + Math.sqrt(beta * beta + 14 * beta + 1)));
  return lambda / Math.sqrt(marchenkoPasturMedian(beta));
}

/**
 * Optimal hard thresholding rank (Gavish & Donoho 2014) of an m×n matrix from its singular values
 * (all min(m, n) of them, any order): the number of σ above ω(β)·median(σ). Returns
 * { rank, threshold, coefficient }.
 */
export function optimalHardThreshold(sv: Float64Array, rows: number, cols: number): { rank: number; threshold: number; coefficient: number } {
  requireFloat64Array(sv, 'singularValues');
  requireInteger(rows, 'rows', 1);
  requireInteger(cols, 'cols', 1);
  if (sv.length !== Math.min(rows, cols)) throw new ShapeError(`expected ${Math.min(rows, cols)} singular values for a ${rows}×${cols} matrix, got ${sv.length}`, 'singularValues');
  const sorted = Float64Array.from(sv).sort();
  const m = sorted.length;
  const median = m % 2 ? sorted[(m - 1) / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
  const coefficient = optimalHardThresholdCoefficient(Math.min(rows, cols) / Math.max(rows, cols));
  const threshold = coefficient * median;
  let rank = 0;
  for (const s of sv) if (s > threshold) rank++;
  return { rank, threshold, coefficient };
}

export interface GramSvd {
  /** All min(m, n) singular values, descending. */
  s: Float64Array;
  /** m×q left singular vectors (columns). */
  u: Matrix;
  /** q×n right singular vectors (rows). */
  vt: Matrix;
}

/**
 * All singular values and the top-q singular vectors of A (m×n) through the eigendecomposition of
 * the smaller Gram matrix (A·Aᵀ when m ≤ n): one syrk-sized gemm, one symmetric eigenproblem of
 * order min(m, n), one gemm for the other side's vectors. Exact (no randomisation) and the
 * cheapest route for FRASER's samples × junctions matrices (m ≤ 1000, n up to 10⁵), where it gives
 * both the spectrum for optimal hard thresholding and the principal directions from one copy of A.
 * Squaring costs precision only for singular values below ~1e-8·σ₁ (see singularValues); a
 * direction whose σ is 0 comes back as zeros. q may be a function of the singular values (for
 * example an optimal-hard-threshold rule), called once before any vector is formed.
 */
export function gramSvd(a: Matrix, q: number | ((s: Float64Array) => number), opts: LinalgOptions = {}): GramSvd {
  requireMatrix(a, 'a');
  const r = Math.min(a.rows, a.cols);
  if (typeof q === 'number') requireInteger(q, 'q', 0, r);
  checkFinite(a.data, 'a');
  const K = kernels(opts);
  const wide = a.rows <= a.cols;
  const other = Math.max(a.rows, a.cols);
  const ws = new Workspace(K.core);
  try {
    const pa = ws.from(a.data, 'a');
    const pg = ws.f64(r * r, 'gram');
    const work = gemmWorkspace(K.core);
    if (wide) K.gemm(0, 1, r, r, a.cols, 1, pa.ptr, a.cols, pa.ptr, a.cols, 0, pg.ptr, r, work);
    else K.gemm(1, 0, r, r, a.rows, 1, pa.ptr, a.cols, pa.ptr, a.cols, 0, pg.ptr, r, work);
    checkFinite(pg.view(), 'a');
    const pd = ws.f64(r, 'eigenvalues');
    const pe = ws.f64(2 * r, 'off-diagonal and scratch');
    eigenInPlace(K.core, r, pg.ptr, pd.ptr, pe.ptr, q !== 0, 'a');
    const d = pd.view();
    const order = sortDescending(d);
    const s = Float64Array.from(order, (i) => Math.sqrt(Math.max(d[i], 0)));
    // q may be chosen from the spectrum (optimal hard thresholding) before any vector is formed.
    if (typeof q === 'function') q = requireInteger(q(s), 'q', 0, r);
    // W (q×r): the top-q eigenvectors as rows, each scaled by 1/σ so that W·A_w has unit rows.
    const pw = ws.f64(Math.max(1, q * r), 'top eigenvectors');
    const z = K.core.f64;
    for (let l = 0; l < q; l++) {
      const inv = s[l] > 0 ? 1 / s[l] : 0;
      for (let c = 0; c < r; c++) z[(pw.ptr >>> 3) + l * r + c] = z[(pg.ptr >>> 3) + order[l] * r + c] * inv;
    }
    const po = ws.f64(Math.max(1, q * other), 'other side');
    // wide: Vᵀ = W·A (q×n); tall: Uᵀ = W·Aᵀ (q×m).
    K.gemm(0, wide ? 0 : 1, q, other, r, 1, pw.ptr, r, pa.ptr, a.cols, 0, po.ptr, other, work);
    const small = matrix(r, q); // eigenvectors (unscaled) as columns
    const f = K.core.f64;
    for (let l = 0; l < q; l++) for (let c = 0; c < r; c++) small.data[c * q + l] = f[(pg.ptr >>> 3) + order[l] * r + c];
    const big = matrix(q, other, Float64Array.from(po.view().subarray(0, q * other)));
    return wide ? { s, u: small, vt: big } : { s, u: transpose(big), vt: transpose(small) };
  } finally {
    ws.dispose();
  }
}
