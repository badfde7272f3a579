// Dense linear algebra on row-major f64 matrices, pointer ABI.
//
// Symbols: op(A) is A or Aᵀ as the transpose flag says; m, n, k are the sizes of C = op(A)·op(B)
// (m×k times k×n); lda, ldb, ldc are leading dimensions in elements (the distance between the
// starts of consecutive rows). Every pointer is a byte address in linear memory owned by the
// caller (TypeScript); no kernel allocates, so gemm takes a workspace pointer of
// gemmWorkspaceBytes() bytes, 16-byte aligned.
//
// gemm follows the Goto/van de Geijn layering (Goto & van de Geijn 2008, "Anatomy of
// high-performance matrix multiplication"): B is packed in KC×NC panels, A in MC×KC blocks, both
// in the order the micro-kernel reads them, and an MR×NR micro-kernel keeps its block of C in
// registers for the whole KC loop. Packing also absorbs the transposes, so one micro-kernel
// serves all four cases. Each kernel has a `…Scalar` twin that runs without v128 even in a SIMD
// build, for tests and as the fallback.

import { fmaV, hsum, splat } from "./simd";

// MR×NR = 4×4: eight f64x2 accumulators, two B vectors and one broadcast A value fit in the 15
// xmm registers V8 hands out on x64 without spills (6×4 needs all 15 and spills in practice).
const MR: i32 = 6;
const NR: i32 = 4;
// KC·NR·8 = 8 KiB of packed B and KC·MR·8 = 8 KiB of packed A stay in a 32 KiB L1 together;
// MC·KC·8 = 192 KiB of packed A stays in L2; KC·NC·8 = 2 MiB of packed B in L3.
const MC: i32 = 96;
const KC: i32 = 256;
const NC: i32 = 1024;

/** Bytes of workspace gemm needs: a packed B panel, a packed A block and an edge tile. */
export function gemmWorkspaceBytes(): i32 {
  return (KC * NC + MC * KC + MR * NR) * 8;
}

@inline function at(p: usize, i: i32, j: i32, ld: i32): usize {
  return p + ((<usize>i * <usize>ld + <usize>j) << 3);
}

/** C ← βC (β = 0 writes zeros, so NaNs already in C do not survive, as in BLAS). */
function scaleC(m: i32, n: i32, beta: f64, pC: usize, ldc: i32): void {
  if (beta == 1.0) return;
  for (let i = 0; i < m; i++) {
    const row = at(pC, i, 0, ldc);
    if (beta == 0.0) {
      memory.fill(row, 0, <usize>n << 3);
    } else {
      for (let j = 0; j < n; j++) store<f64>(row + (<usize>j << 3), beta * load<f64>(row + (<usize>j << 3)));
    }
  }
}

/** Packs op(A)[i0:i0+mc, p0:p0+kc] as strips of MR rows, k-major, zero-padded to a multiple of MR. */
function packA(transA: i32, pA: usize, lda: i32, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  for (let s = 0; s < mc; s += MR) {
    const rows = min(MR, mc - s);
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let v = 0.0;
        if (r < rows) {
          v = transA ? load<f64>(at(pA, p0 + p, i0 + s + r, lda)) : load<f64>(at(pA, i0 + s + r, p0 + p, lda));
        }
        store<f64>(dst, v);
        dst += 8;
      }
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] as strips of NR columns, k-major, zero-padded to a multiple of NR. */
function packB(transB: i32, pB: usize, ldb: i32, p0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
  for (let s = 0; s < nc; s += NR) {
    const cols = min(NR, nc - s);
    if (!transB && cols == NR) {
      for (let p = 0; p < kc; p++) {
        const src = at(pB, p0 + p, j0 + s, ldb);
        store<f64>(dst, load<f64>(src));
        store<f64>(dst + 8, load<f64>(src + 8));
        store<f64>(dst + 16, load<f64>(src + 16));
        store<f64>(dst + 24, load<f64>(src + 24));
        dst += 32;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let c = 0; c < NR; c++) {
        let v = 0.0;
        if (c < cols) {
          v = transB ? load<f64>(at(pB, j0 + s + c, p0 + p, ldb)) : load<f64>(at(pB, p0 + p, j0 + s + c, ldb));
        }
        store<f64>(dst, v);
        dst += 8;
      }
    }
  }
}

/** tile (MR×NR, row-major, contiguous) → C[0:rows, 0:cols] += α·tile. */
function addTile(tile: usize, rows: i32, cols: i32, alpha: f64, pC: usize, ldc: i32): void {
  for (let r = 0; r < rows; r++) {
    const c = at(pC, r, 0, ldc);
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 3;
      store<f64>(c + o, load<f64>(c + o) + alpha * load<f64>(tile + ((<usize>(r * NR + j)) << 3)));
    }
  }
}

// The SIMD micro-kernel: C[0:4, 0:4] (+)= α · Ap(4×kc) · Bp(kc×4). With `full` it adds straight
// into C; otherwise it writes the tile to `tile` for addTile to clip.
function microV(kc: i32, ap: usize, bp: usize, alpha: f64, pC: usize, ldc: i32, full: bool, tile: usize): void {
  let c00 = splat(0), c01 = splat(0);
  let c10 = splat(0), c11 = splat(0);
  let c20 = splat(0), c21 = splat(0);
  let c30 = splat(0), c31 = splat(0);
  let c40 = splat(0), c41 = splat(0);
  let c50 = splat(0), c51 = splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load64_splat(ap);
    c00 = fmaV(a, b0, c00);
    c01 = fmaV(a, b1, c01);
    a = v128.load64_splat(ap, 8);
    c10 = fmaV(a, b0, c10);
    c11 = fmaV(a, b1, c11);
    a = v128.load64_splat(ap, 16);
    c20 = fmaV(a, b0, c20);
    c21 = fmaV(a, b1, c21);
    a = v128.load64_splat(ap, 24);
    c30 = fmaV(a, b0, c30);
    c31 = fmaV(a, b1, c31);
    a = v128.load64_splat(ap, 32);
    c40 = fmaV(a, b0, c40);
    c41 = fmaV(a, b1, c41);
    a = v128.load64_splat(ap, 40);
    c50 = fmaV(a, b0, c50);
    c51 = fmaV(a, b1, c51);
    ap += 48;
    bp += 32;
  }
  const al = splat(alpha);
  if (full) {
    const ld = <usize>ldc << 3;
    let c = pC;
    v128.store(c, fmaV(al, c00, v128.load(c)));
    v128.store(c, fmaV(al, c01, v128.load(c, 16)), 16);
    c += ld;
    v128.store(c, fmaV(al, c10, v128.load(c)));
    v128.store(c, fmaV(al, c11, v128.load(c, 16)), 16);
    c += ld;
    v128.store(c, fmaV(al, c20, v128.load(c)));
    v128.store(c, fmaV(al, c21, v128.load(c, 16)), 16);
    c += ld;
    v128.store(c, fmaV(al, c30, v128.load(c)));
    v128.store(c, fmaV(al, c31, v128.load(c, 16)), 16);
    c += ld;
    v128.store(c, fmaV(al, c40, v128.load(c)));
    v128.store(c, fmaV(al, c41, v128.load(c, 16)), 16);
    c += ld;
    v128.store(c, fmaV(al, c50, v128.load(c)));
    v128.store(c, fmaV(al, c51, v128.load(c, 16)), 16);
  } else {
    v128.store(tile, c00);
    v128.store(tile, c01, 16);
    v128.store(tile, c10, 32);
    v128.store(tile, c11, 48);
    v128.store(tile, c20, 64);
    v128.store(tile, c21, 80);
    v128.store(tile, c30, 96);
    v128.store(tile, c31, 112);
    v128.store(tile, c40, 128);
    v128.store(tile, c41, 144);
    v128.store(tile, c50, 160);
    v128.store(tile, c51, 176);
  }
}

// The scalar micro-kernel: the same contract, as two passes of three rows × four columns so the
// twelve f64 accumulators of a pass stay in registers.
function microS(kc: i32, ap: usize, bp: usize, alpha: f64, pC: usize, ldc: i32, full: bool, tile: usize): void {
  let ld: usize = NR << 3;
  let c = tile;
  if (full) {
    c = pC;
    ld = <usize>ldc << 3;
  } else {
    alpha = 1.0;
    memory.fill(tile, 0, <usize>(MR * NR) << 3);
  }
  for (let half = 0; half < 2; half++) {
    let a0p = ap + (<usize>half * 24);
    let b = bp;
    let c00 = 0.0, c01 = 0.0, c02 = 0.0, c03 = 0.0;
    let c10 = 0.0, c11 = 0.0, c12 = 0.0, c13 = 0.0;
    let c20 = 0.0, c21 = 0.0, c22 = 0.0, c23 = 0.0;
    for (let p = 0; p < kc; p++) {
      const b0 = load<f64>(b), b1 = load<f64>(b, 8), b2 = load<f64>(b, 16), b3 = load<f64>(b, 24);
      let a = load<f64>(a0p);
      c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
      a = load<f64>(a0p, 8);
      c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
      a = load<f64>(a0p, 16);
      c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
      a0p += <usize>(MR << 3);
      b += 32;
    }
    store<f64>(c, load<f64>(c) + alpha * c00);
    store<f64>(c, load<f64>(c, 8) + alpha * c01, 8);
    store<f64>(c, load<f64>(c, 16) + alpha * c02, 16);
    store<f64>(c, load<f64>(c, 24) + alpha * c03, 24);
    c += ld;
    store<f64>(c, load<f64>(c) + alpha * c10);
    store<f64>(c, load<f64>(c, 8) + alpha * c11, 8);
    store<f64>(c, load<f64>(c, 16) + alpha * c12, 16);
    store<f64>(c, load<f64>(c, 24) + alpha * c13, 24);
    c += ld;
    store<f64>(c, load<f64>(c) + alpha * c20);
    store<f64>(c, load<f64>(c, 8) + alpha * c21, 8);
    store<f64>(c, load<f64>(c, 16) + alpha * c22, 16);
    store<f64>(c, load<f64>(c, 24) + alpha * c23, 24);
    c += ld;
  }
}

function gemmImpl(
  vector: bool, transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  pA: usize, lda: i32, pB: usize, ldb: i32, beta: f64, pC: usize, ldc: i32, pWork: usize,
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, pC, ldc);
  if (k <= 0 || alpha == 0.0) return;
  const bPack = pWork;
  const aPack = pWork + (<usize>(KC * NC) << 3);
  const tile = aPack + (<usize>(MC * KC) << 3);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, pB, ldb, pc, jc, kc, nc, bPack);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(transA, pA, lda, ic, pc, mc, kc, aPack);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = bPack + (<usize>(jr * kc) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const ap = aPack + (<usize>(ir * kc) << 3);
            const c = at(pC, ic + ir, jc + jr, ldc);
            const full = rows == MR && cols == NR;
            if (ASC_FEATURE_SIMD && vector) microV(kc, ap, bp, alpha, c, ldc, full, tile);
            else microS(kc, ap, bp, alpha, c, ldc, full, tile);
            if (!full) addTile(tile, rows, cols, alpha, c, ldc);
          }
        }
      }
    }
  }
}

/**
 * C ← α·op(A)·op(B) + β·C, row-major. op(A) is m×k (A is m×k, or k×m when transA ≠ 0), op(B)
 * is k×n. pWork: gemmWorkspaceBytes() bytes of scratch. C must not overlap A, B or the workspace.
 * Accumulation order differs from a naive loop (blocks of KC), so results agree with it to a
 * few ulp of Σ|a||b|, not bit for bit; the relaxed build fuses multiply-adds.
 */
export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  pA: usize, lda: i32, pB: usize, ldb: i32, beta: f64, pC: usize, ldc: i32, pWork: usize,
): void {
  gemmImpl(true, transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, pWork);
}

export function gemmScalar(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  pA: usize, lda: i32, pB: usize, ldb: i32, beta: f64, pC: usize, ldc: i32, pWork: usize,
): void {
  gemmImpl(false, transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, pWork);
}

// ---- level 1 -------------------------------------------------------------------------------

@inline function dotV(px: usize, py: usize, n: i32): f64 {
  let i = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    let a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
    for (; i + 7 < n; i += 8) {
      const o = <usize>i << 3;
      a0 = fmaV(v128.load(px + o), v128.load(py + o), a0);
      a1 = fmaV(v128.load(px + o, 16), v128.load(py + o, 16), a1);
      a2 = fmaV(v128.load(px + o, 32), v128.load(py + o, 32), a2);
      a3 = fmaV(v128.load(px + o, 48), v128.load(py + o, 48), a3);
    }
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      a0 = fmaV(v128.load(px + o), v128.load(py + o), a0);
    }
    s = hsum(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)));
  }
  for (; i < n; i++) s += load<f64>(px + (<usize>i << 3)) * load<f64>(py + (<usize>i << 3));
  return s;
}

function dotS(px: usize, py: usize, n: i32): f64 {
  let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o = <usize>i << 3;
    s0 += load<f64>(px + o) * load<f64>(py + o);
    s1 += load<f64>(px + o, 8) * load<f64>(py + o, 8);
    s2 += load<f64>(px + o, 16) * load<f64>(py + o, 16);
    s3 += load<f64>(px + o, 24) * load<f64>(py + o, 24);
  }
  let s = (s0 + s1) + (s2 + s3);
  for (; i < n; i++) s += load<f64>(px + (<usize>i << 3)) * load<f64>(py + (<usize>i << 3));
  return s;
}

/** Σᵢ x[i]·y[i] over n contiguous elements. */
export function dot(px: usize, py: usize, n: i32): f64 {
  return dotV(px, py, n);
}

export function dotScalar(px: usize, py: usize, n: i32): f64 {
  return dotS(px, py, n);
}

@inline function axpyV(alpha: f64, px: usize, py: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const a = splat(alpha);
    for (; i + 3 < n; i += 4) {
      const o = <usize>i << 3;
      v128.store(py + o, fmaV(a, v128.load(px + o), v128.load(py + o)));
      v128.store(py + o, fmaV(a, v128.load(px + o, 16), v128.load(py + o, 16)), 16);
    }
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(py + o, fmaV(a, v128.load(px + o), v128.load(py + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, load<f64>(py + o) + alpha * load<f64>(px + o));
  }
}

/** y ← y + a₀A₀ + a₁A₁ + a₂A₂ + a₃A₃ (aᵣ = α·x[r], Aᵣ row r from pA, ld lda), as axpyV row by row. */
@inline function axpy4V(alpha: f64, px: usize, pA: usize, lda: i32, py: usize, n: i32): void {
  const s0 = alpha * load<f64>(px), s1 = alpha * load<f64>(px, 8), s2 = alpha * load<f64>(px, 16), s3 = alpha * load<f64>(px, 24);
  const r1 = pA + (<usize>lda << 3), r2 = r1 + (<usize>lda << 3), r3 = r2 + (<usize>lda << 3);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const a0 = splat(s0), a1 = splat(s1), a2 = splat(s2), a3 = splat(s3);
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      let y = fmaV(a0, v128.load(pA + o), v128.load(py + o));
      y = fmaV(a1, v128.load(r1 + o), y);
      y = fmaV(a2, v128.load(r2 + o), y);
      v128.store(py + o, fmaV(a3, v128.load(r3 + o), y));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    let y = load<f64>(py + o) + s0 * load<f64>(pA + o);
    y = y + s1 * load<f64>(r1 + o);
    y = y + s2 * load<f64>(r2 + o);
    store<f64>(py + o, y + s3 * load<f64>(r3 + o));
  }
}

function axpyS(alpha: f64, px: usize, py: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(py + o, load<f64>(py + o) + alpha * load<f64>(px + o));
  }
}

/** y ← y + α·x over n contiguous elements. */
export function axpy(alpha: f64, px: usize, py: usize, n: i32): void {
  axpyV(alpha, px, py, n);
}

export function axpyScalar(alpha: f64, px: usize, py: usize, n: i32): void {
  axpyS(alpha, px, py, n);
}

/** x ← α·x over n contiguous elements. */
export function scal(alpha: f64, px: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const a = splat(alpha);
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(px + o, f64x2.mul(a, v128.load(px + o)));
    }
  }
  for (; i < n; i++) store<f64>(px + (<usize>i << 3), alpha * load<f64>(px + (<usize>i << 3)));
}

export function scalScalar(alpha: f64, px: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(px + (<usize>i << 3), alpha * load<f64>(px + (<usize>i << 3)));
}

// ---- level 2 -------------------------------------------------------------------------------

function gemvImpl(vector: bool, trans: i32, m: i32, n: i32, alpha: f64, pA: usize, lda: i32, px: usize, beta: f64, py: usize): void {
  if (!trans) {
    // y[i] ← α·(A[i,:]·x) + β·y[i], i < m.
    for (let i = 0; i < m; i++) {
      const d = ASC_FEATURE_SIMD && vector ? dotV(at(pA, i, 0, lda), px, n) : dotS(at(pA, i, 0, lda), px, n);
      const o = <usize>i << 3;
      store<f64>(py + o, beta == 0.0 ? alpha * d : alpha * d + beta * load<f64>(py + o));
    }
  } else {
    // y ← β·y + Σᵢ (α·x[i])·A[i,:], y of length n.
    if (beta == 0.0) memory.fill(py, 0, <usize>n << 3);
    else if (beta != 1.0) {
      if (ASC_FEATURE_SIMD && vector) scal(beta, py, n);
      else scalScalar(beta, py, n);
    }
    let i = 0;
    if (ASC_FEATURE_SIMD && vector) {
      // Four rows per sweep over y (one load and store of y instead of four); per element the
      // same operations in the same order as four axpyV calls, so the same bits.
      for (; i + 3 < m; i += 4) axpy4V(alpha, px + (<usize>i << 3), at(pA, i, 0, lda), lda, py, n);
    }
    for (; i < m; i++) {
      const a = alpha * load<f64>(px + (<usize>i << 3));
      if (ASC_FEATURE_SIMD && vector) axpyV(a, at(pA, i, 0, lda), py, n);
      else axpyS(a, at(pA, i, 0, lda), py, n);
    }
  }
}

/**
 * y ← α·op(A)·x + β·y with A m×n row-major (leading dimension lda). trans = 0: x has n
 * elements and y has m; trans ≠ 0: x has m and y has n. β = 0 ignores the old y.
 */
export function gemv(trans: i32, m: i32, n: i32, alpha: f64, pA: usize, lda: i32, px: usize, beta: f64, py: usize): void {
  gemvImpl(true, trans, m, n, alpha, pA, lda, px, beta, py);
}

export function gemvScalar(trans: i32, m: i32, n: i32, alpha: f64, pA: usize, lda: i32, px: usize, beta: f64, py: usize): void {
  gemvImpl(false, trans, m, n, alpha, pA, lda, px, beta, py);
}

// ---- Cholesky ------------------------------------------------------------------------------

function choleskyImpl(vector: bool, n: i32, pA: usize, lda: i32): i32 {
  // Row-oriented Cholesky–Crout: L[i][j] = (A[i][j] − L[i,0:j]·L[j,0:j]) / L[j][j]. Both rows
  // are contiguous in row-major storage, so the inner products run at dot speed.
  for (let i = 0; i < n; i++) {
    const ri = at(pA, i, 0, lda);
    for (let j = 0; j <= i; j++) {
      const rj = at(pA, j, 0, lda);
      const d = ASC_FEATURE_SIMD && vector ? dotV(ri, rj, j) : dotS(ri, rj, j);
      const s = load<f64>(ri + (<usize>j << 3)) - d;
      if (i == j) {
        // Not positive definite (or NaN in A): report the 1-based row where it showed.
        if (!(s > 0.0) || !isFinite(s)) return i + 1;
        store<f64>(ri + (<usize>j << 3), Math.sqrt(s));
      } else {
        store<f64>(ri + (<usize>j << 3), s / load<f64>(rj + (<usize>j << 3)));
      }
    }
    if (i + 1 < n) memory.fill(ri + (<usize>(i + 1) << 3), 0, <usize>(n - i - 1) << 3);
  }
  return 0;
}

/**
 * In-place Cholesky factorisation A = L·Lᵀ of a symmetric positive-definite n×n matrix
 * (row-major, leading dimension lda). Reads the lower triangle only; writes L there and zeros the
 * strict upper triangle. Returns 0, or i+1 when the leading (i+1)×(i+1) minor is not positive
 * definite (A is then partly overwritten).
 */
export function cholesky(n: i32, pA: usize, lda: i32): i32 {
  return choleskyImpl(true, n, pA, lda);
}

export function choleskyScalar(n: i32, pA: usize, lda: i32): i32 {
  return choleskyImpl(false, n, pA, lda);
}

function trsmImpl(vector: bool, trans: i32, n: i32, nrhs: i32, pL: usize, ldl: i32, pB: usize, ldb: i32): void {
  if (!trans) {
    // L·X = B, forward: X[i,:] = (B[i,:] − Σ_{p<i} L[i][p]·X[p,:]) / L[i][i].
    for (let i = 0; i < n; i++) {
      const bi = at(pB, i, 0, ldb);
      for (let p = 0; p < i; p++) {
        const l = -load<f64>(at(pL, i, p, ldl));
        if (ASC_FEATURE_SIMD && vector) axpyV(l, at(pB, p, 0, ldb), bi, nrhs);
        else axpyS(l, at(pB, p, 0, ldb), bi, nrhs);
      }
      const inv = 1.0 / load<f64>(at(pL, i, i, ldl));
      if (ASC_FEATURE_SIMD && vector) scal(inv, bi, nrhs);
      else scalScalar(inv, bi, nrhs);
    }
  } else {
    // Lᵀ·X = B, backward: X[i,:] = (B[i,:] − Σ_{p>i} L[p][i]·X[p,:]) / L[i][i].
    for (let i = n - 1; i >= 0; i--) {
      const bi = at(pB, i, 0, ldb);
      for (let p = i + 1; p < n; p++) {
        const l = -load<f64>(at(pL, p, i, ldl));
        if (ASC_FEATURE_SIMD && vector) axpyV(l, at(pB, p, 0, ldb), bi, nrhs);
        else axpyS(l, at(pB, p, 0, ldb), bi, nrhs);
      }
      const inv = 1.0 / load<f64>(at(pL, i, i, ldl));
      if (ASC_FEATURE_SIMD && vector) scal(inv, bi, nrhs);
      else scalScalar(inv, bi, nrhs);
    }
  }
}

/**
 * Triangular solve with a lower-triangular n×n L (row-major, ldl) and n×nrhs right-hand sides B
 * (row-major, ldb), in place: trans = 0 solves L·X = B, trans ≠ 0 solves Lᵀ·X = B.
 */
export function trsmLower(trans: i32, n: i32, nrhs: i32, pL: usize, ldl: i32, pB: usize, ldb: i32): void {
  trsmImpl(true, trans, n, nrhs, pL, ldl, pB, ldb);
}

export function trsmLowerScalar(trans: i32, n: i32, nrhs: i32, pL: usize, ldl: i32, pB: usize, ldb: i32): void {
  trsmImpl(false, trans, n, nrhs, pL, ldl, pB, ldb);
}

/** Solves A·X = B in place given A's Cholesky factor L (from cholesky): L·Y = B, then Lᵀ·X = Y. */
export function choleskySolve(n: i32, nrhs: i32, pL: usize, ldl: i32, pB: usize, ldb: i32): void {
  trsmImpl(true, 0, n, nrhs, pL, ldl, pB, ldb);
  trsmImpl(true, 1, n, nrhs, pL, ldl, pB, ldb);
}

export function choleskySolveScalar(n: i32, nrhs: i32, pL: usize, ldl: i32, pB: usize, ldb: i32): void {
  trsmImpl(false, 0, n, nrhs, pL, ldl, pB, ldb);
  trsmImpl(false, 1, n, nrhs, pL, ldl, pB, ldb);
}

// ---- symmetric eigendecomposition ----------------------------------------------------------

@inline function ld64(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st64(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

/** y[0..m) += w·x[0..m), elementwise (SIMD pairs where built with SIMD: the same arithmetic). */
@inline function axpyRow(m: i32, w: f64, px: usize, py: usize): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const wv = f64x2.splat(w);
    for (; k + 1 < m; k += 2) {
      const o = <usize>k << 3;
      v128.store(py + o, f64x2.add(v128.load(py + o), f64x2.mul(wv, v128.load(px + o))));
    }
  }
  for (; k < m; k++) st64(py, k, ld64(py, k) + w * ld64(px, k));
}

/**
 * Householder reduction of the symmetric n×n matrix A (row-major, lda; lower triangle read) to
 * tridiagonal form Qᵀ·A·Q = T (Golub & Van Loan 2013, §8.3.1, in the row-by-row arrangement of
 * EISPACK tred2, with every inner loop along rows). Writes T's diagonal to d and its sub-diagonal
 * to e[1..n−1] (e[0] = 0); e[n..2n−1] is scratch. With vectors ≠ 0 A is overwritten by Q;
 * otherwise A is left scrambled.
 */
function tridiagonalize(n: i32, pA: usize, lda: i32, pd: usize, pe: usize, vectors: i32): void {
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const ri = at(pA, i, 0, lda);
    let h = 0.0;
    if (l > 0) {
      let scale = 0.0;
      for (let k = 0; k <= l; k++) scale += Math.abs(ld64(ri, k));
      if (scale == 0.0) {
        st64(pe, i, ld64(ri, l));
      } else {
        // Scaling by Σ|a| keeps h = ‖row‖² from overflowing or underflowing.
        for (let k = 0; k <= l; k++) {
          const v = ld64(ri, k) / scale;
          st64(ri, k, v);
          h += v * v;
        }
        let f = ld64(ri, l);
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        st64(pe, i, scale * g);
        h -= f * g;
        st64(ri, l, f - g);
        // p = A u / h over the leading (l+1)×(l+1) block, A held in its lower triangle, by rows:
        // row j adds Σ_{k≤j} A[j][k] u_k to p_j and, by symmetry, A[j][k] u_j to p_k for k < j
        // (tred2 reads A[k][j] down columns here, one cache line per element at large n).
        f = 0.0;
        for (let j = 0; j <= l; j++) st64(pe, j, 0.0);
        for (let j = 0; j <= l; j++) {
          const rj = at(pA, j, 0, lda);
          const uj = ld64(ri, j);
          if (vectors) store<f64>(at(pA, j, i, lda), uj / h);
          g = ld64(rj, j) * uj;
          for (let k = 0; k < j; k++) g += ld64(rj, k) * ld64(ri, k);
          axpyRow(j, uj, rj, pe);
          st64(pe, j, ld64(pe, j) + g);
        }
        for (let j = 0; j <= l; j++) {
          const ej = ld64(pe, j) / h;
          st64(pe, j, ej);
          f += ej * ld64(ri, j);
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          const rj = at(pA, j, 0, lda);
          f = ld64(ri, j);
          g = ld64(pe, j) - hh * f;
          st64(pe, j, g);
          let k = 0;
          if (ASC_FEATURE_SIMD) {
            const fv = f64x2.splat(f), gv = f64x2.splat(g);
            for (; k + 1 <= j; k += 2) {
              const o = <usize>k << 3;
              v128.store(rj + o, f64x2.sub(v128.load(rj + o), f64x2.add(f64x2.mul(fv, v128.load(pe + o)), f64x2.mul(gv, v128.load(ri + o)))));
            }
          }
          for (; k <= j; k++) st64(rj, k, ld64(rj, k) - (f * ld64(pe, k) + g * ld64(ri, k)));
        }
      }
    } else {
      st64(pe, i, ld64(ri, l));
    }
    st64(pd, i, h);
  }
  st64(pd, 0, 0.0);
  st64(pe, 0, 0.0);
  for (let i = 0; i < n; i++) {
    const ri = at(pA, i, 0, lda);
    if (vectors) {
      const l = i - 1;
      if (ld64(pd, i) != 0.0) {
        // g = u_iᵀ Q[0..l][0..l] as a combination of rows (into the scratch half of e), then
        // Q[k][0..l] −= Q[k][i]·g row by row: the same products as tred2's column loops.
        const pg = pe + (<usize>n << 3);
        for (let j = 0; j <= l; j++) st64(pg, j, 0.0);
        for (let k = 0; k <= l; k++) axpyRow(l + 1, ld64(ri, k), at(pA, k, 0, lda), pg);
        for (let k = 0; k <= l; k++) axpyRow(l + 1, -load<f64>(at(pA, k, i, lda)), pg, at(pA, k, 0, lda));
      }
      st64(pd, i, ld64(ri, i));
      st64(ri, i, 1.0);
      for (let j = 0; j <= l; j++) {
        st64(ri, j, 0.0);
        store<f64>(at(pA, j, i, lda), 0.0);
      }
    } else {
      st64(pd, i, ld64(ri, i));
    }
  }
}

/**
 * Eigenvalues (and optionally eigenvectors) of the symmetric n×n matrix A (row-major, lda; the
 * lower triangle is read). d (n) receives the eigenvalues, unsorted; e (2n) is scratch. With
 * vectors ≠ 0, A is overwritten so that ROW j holds the unit eigenvector of d[j]; otherwise A is
 * destroyed. Householder tridiagonalisation, then the implicit QL algorithm with Wilkinson-type
 * shifts (Golub & Van Loan 2013, §8.3; EISPACK tql2). Returns 0, or j+1 when eigenvalue j did
 * not converge in 60 iterations.
 */
export function symmetricEigen(n: i32, pA: usize, lda: i32, pd: usize, pe: usize, vectors: i32): i32 {
  if (n <= 0) return 0;
  tridiagonalize(n, pA, lda, pd, pe, vectors);
  if (vectors) {
    // Q's columns are the basis; transpose so that the rotations below act on contiguous rows.
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const p = at(pA, i, j, lda), q = at(pA, j, i, lda);
        const t = load<f64>(p);
        store<f64>(p, load<f64>(q));
        store<f64>(q, t);
      }
    }
  }
  for (let i = 1; i < n; i++) st64(pe, i - 1, ld64(pe, i));
  st64(pe, n - 1, 0.0);
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m = l;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(ld64(pd, m)) + Math.abs(ld64(pd, m + 1));
        // Negligible off-diagonal element relative to its neighbours: T splits here.
        if (Math.abs(ld64(pe, m)) <= f64.EPSILON * dd) break;
      }
      if (m != l) {
        if (iter++ == 60) return l + 1;
        let g = (ld64(pd, l + 1) - ld64(pd, l)) / (2.0 * ld64(pe, l));
        let r = Math.hypot(g, 1.0);
        g = ld64(pd, m) - ld64(pd, l) + ld64(pe, l) / (g + (g >= 0 ? r : -r));
        let s = 1.0, c = 1.0, p = 0.0;
        let i = m - 1;
        let underflow = false;
        for (; i >= l; i--) {
          let f = s * ld64(pe, i);
          const b = c * ld64(pe, i);
          r = Math.hypot(f, g);
          st64(pe, i + 1, r);
          if (r == 0.0) {
            st64(pd, i + 1, ld64(pd, i + 1) - p);
            st64(pe, m, 0.0);
            underflow = true;
            break;
          }
          s = f / r;
          c = g / r;
          g = ld64(pd, i + 1) - p;
          r = (ld64(pd, i) - g) * s + 2.0 * c * b;
          p = s * r;
          st64(pd, i + 1, g + p);
          g = c * r - b;
          if (vectors) {
            const zi = at(pA, i, 0, lda), zj = at(pA, i + 1, 0, lda);
            let k = 0;
            if (ASC_FEATURE_SIMD) {
              // Two columns at a time; the same products and sums as the scalar loop (no FMA).
              const sv = f64x2.splat(s), cv = f64x2.splat(c);
              for (; k + 1 < n; k += 2) {
                const o = <usize>k << 3;
                const fv = v128.load(zj + o), zv = v128.load(zi + o);
                v128.store(zj + o, f64x2.add(f64x2.mul(sv, zv), f64x2.mul(cv, fv)));
                v128.store(zi + o, f64x2.sub(f64x2.mul(cv, zv), f64x2.mul(sv, fv)));
              }
            }
            for (; k < n; k++) {
              f = ld64(zj, k);
              const zk = ld64(zi, k);
              st64(zj, k, s * zk + c * f);
              st64(zi, k, c * zk - s * f);
            }
          }
        }
        if (underflow) continue;
        st64(pd, l, ld64(pd, l) - p);
        st64(pe, l, g);
        st64(pe, m, 0.0);
      }
    } while (m != l);
  }
  return 0;
}
