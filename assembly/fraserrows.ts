// Per-junction summaries of a FRASER fit's cells, over junction-major rows of the ρ objective's
// μ cache (μ and 1 − μ as the ρ kernels compute them) and the counts (u32):
// - fraserMomentRows: the method-of-moments ρ start, Var(k) = nμ(1−μ)(1 + (n−1)ρ):
//   ρ̂ = Σ_i [(k − nμ)² − nμ(1−μ)] / Σ_i n(n−1)μ(1−μ), clamped to [1e-6, 0.9]; a row whose cells all
//   have n ≤ 1 carries no information on ρ and gets 0.01.
// - fraserResidualRows: mean and sd (n−1) of the logit residuals
//   logit((k+pc)/(n+2pc)) − logit(μ) = ln[(k+pc)(1−μ) / ((n−k+pc)μ)], μ clamped to [1e-15, 1−1e-15]
//   (the z-scores' centre and scale).
// Row r reads k, n at pK, pN + r·ld (u32) and μ, 1 − μ at pMu, pOmu + r·ld (f64). Scalar twins
// (…Scalar) sum in the same order as the scalar build.
// And the encoder input x = logit((k+pc)/(n+2pc)) = ln((k+pc)/(n−k+pc)) of the PCA, from counts in
// WebAssembly memory, in either layout:
// - fraserLogitColumns: a sample-major block (rows samples, cols junctions): x, its column means,
//   x centred in place, and the column sums of squares (for ranking junctions by variance);
// - fraserLogitRows: junction-major rows, each centred by a given mean (the fits' block loop).
// Every element is the ratio in f64 and then ln as logArray computes it (the vector log where the
// build has SIMD), and every sum runs over samples in ascending order, so both give bit for bit
// what src/models/fraser/fit.ts's logitTransform and centreColumns give in JS.
import { logCoreV, logS, logV } from "./special";
import { hsum, splat } from "./simd";

export function fraserMomentRows(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, pOmu: usize, ld: i32, pOut: usize): void {
  momentRows(rows, cols, pK, pN, pMu, pOmu, ld, pOut, true);
}

export function fraserMomentRowsScalar(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, pOmu: usize, ld: i32, pOut: usize): void {
  momentRows(rows, cols, pK, pN, pMu, pOmu, ld, pOut, false);
}

@inline function u32PairV(p: usize): v128 {
  return f64x2.convert_low_i32x4_u(v128.load64_zero(p));
}

function momentRows(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, pOmu: usize, ld: i32, pOut: usize, simd: bool): void {
  for (let r = 0; r < rows; r++) {
    const o4 = (<usize>r * <usize>ld) << 2;
    const o8 = (<usize>r * <usize>ld) << 3;
    let num: f64 = 0, den: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD && simd) {
      let nv = splat(0.0), dv = splat(0.0);
      const one = splat(1.0);
      for (; i + 1 < cols; i += 2) {
        const kk = u32PairV(pK + o4 + (<usize>i << 2));
        const nn = u32PairV(pN + o4 + (<usize>i << 2));
        const mu = v128.load(pMu + o8 + (<usize>i << 3));
        const v = f64x2.mul(mu, v128.load(pOmu + o8 + (<usize>i << 3)));
        const d = f64x2.sub(kk, f64x2.mul(nn, mu));
        nv = f64x2.add(nv, f64x2.sub(f64x2.mul(d, d), f64x2.mul(nn, v)));
        dv = f64x2.add(dv, f64x2.mul(f64x2.mul(nn, f64x2.sub(nn, one)), v));
      }
      num = hsum(nv);
      den = hsum(dv);
    }
    for (; i < cols; i++) {
      const kk = <f64>load<u32>(pK + o4 + (<usize>i << 2));
      const nn = <f64>load<u32>(pN + o4 + (<usize>i << 2));
      const mu = load<f64>(pMu + o8 + (<usize>i << 3));
      const v = mu * load<f64>(pOmu + o8 + (<usize>i << 3));
      const d = kk - nn * mu;
      num += d * d - nn * v;
      den += nn * (nn - 1) * v;
    }
    store<f64>(pOut + (<usize>r << 3), den > 0 ? min(max(num / den, 1e-6), 0.9) : 0.01);
  }
}

export function fraserResidualRows(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, ld: i32, pc: f64, pMean: usize, pSd: usize, pScratch: usize): void {
  residualRows(rows, cols, pK, pN, pMu, ld, pc, pMean, pSd, pScratch, true);
}

export function fraserResidualRowsScalar(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, ld: i32, pc: f64, pMean: usize, pSd: usize, pScratch: usize): void {
  residualRows(rows, cols, pK, pN, pMu, ld, pc, pMean, pSd, pScratch, false);
}

@inline function residualS(k: f64, n: f64, mu: f64, pc: f64): f64 {
  const m = min(max(mu, 1e-15), 1 - 1e-15);
  return logS(((k + pc) * (1 - m)) / ((n - k + pc) * m));
}

@inline function residualV(k: v128, n: v128, mu: v128, pc: v128): v128 {
  const one = splat(1.0);
  const m = f64x2.pmin(f64x2.pmax(mu, splat(1e-15)), splat(1 - 1e-15)); // μ is never NaN here
  return logCoreV(f64x2.div(f64x2.mul(f64x2.add(k, pc), f64x2.sub(one, m)), f64x2.mul(f64x2.add(f64x2.sub(n, k), pc), m)));
}

// Two passes per row (mean, then squared deviations) over the residuals, computed once into
// pScratch (cols f64).
function residualRows(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, ld: i32, pc: f64, pMean: usize, pSd: usize, pScratch: usize, simd: bool): void {
  for (let r = 0; r < rows; r++) {
    const o4 = (<usize>r * <usize>ld) << 2;
    const o8 = (<usize>r * <usize>ld) << 3;
    let s1: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD && simd) {
      const pcv = splat(pc);
      let sv = splat(0.0);
      for (; i + 1 < cols; i += 2) {
        const v = residualV(u32PairV(pK + o4 + (<usize>i << 2)), u32PairV(pN + o4 + (<usize>i << 2)), v128.load(pMu + o8 + (<usize>i << 3)), pcv);
        v128.store(pScratch + (<usize>i << 3), v);
        sv = f64x2.add(sv, v);
      }
      s1 = hsum(sv);
    }
    for (; i < cols; i++) {
      const v = residualS(<f64>load<u32>(pK + o4 + (<usize>i << 2)), <f64>load<u32>(pN + o4 + (<usize>i << 2)), load<f64>(pMu + o8 + (<usize>i << 3)), pc);
      store<f64>(pScratch + (<usize>i << 3), v);
      s1 += v;
    }
    const mean = s1 / <f64>cols;
    let s2: f64 = 0;
    i = 0;
    if (ASC_FEATURE_SIMD && simd) {
      const mv = splat(mean);
      let sv = splat(0.0);
      for (; i + 1 < cols; i += 2) {
        const d = f64x2.sub(v128.load(pScratch + (<usize>i << 3)), mv);
        sv = f64x2.add(sv, f64x2.mul(d, d));
      }
      s2 = hsum(sv);
    }
    for (; i < cols; i++) {
      const d = load<f64>(pScratch + (<usize>i << 3)) - mean;
      s2 += d * d;
    }
    store<f64>(pMean + (<usize>r << 3), mean);
    store<f64>(pSd + (<usize>r << 3), cols > 1 ? sqrt(s2 / <f64>(cols - 1)) : 0.0);
  }
}

export function fraserLogitColumns(rows: i32, cols: i32, pK: usize, pN: usize, pc: f64, pX: usize, pMean: usize, pSumSq: usize): void {
  logitColumns(rows, cols, pK, pN, pc, pX, pMean, pSumSq, true);
}

export function fraserLogitColumnsScalar(rows: i32, cols: i32, pK: usize, pN: usize, pc: f64, pX: usize, pMean: usize, pSumSq: usize): void {
  logitColumns(rows, cols, pK, pN, pc, pX, pMean, pSumSq, false);
}

// ln of the ratio of a pair of cells (lanes must hold positive finite ratios or go through logV's patch).
@inline function logitRatioV(pK: usize, pN: usize, pcv: v128): v128 {
  const k = u32PairV(pK);
  return logV(f64x2.div(f64x2.add(k, pcv), f64x2.add(f64x2.sub(u32PairV(pN), k), pcv)));
}

@inline function logitRatioS(pK: usize, pN: usize, pc: f64): f64 {
  const k = <f64>load<u32>(pK);
  return logS((k + pc) / (<f64>load<u32>(pN) - k + pc));
}

// One element through the vector log (lane 0 of a splat), as logArray treats an odd last element.
@inline function logitRatioOneV(pK: usize, pN: usize, pc: f64): f64 {
  const k = <f64>load<u32>(pK);
  return f64x2.extract_lane(logV(f64x2.splat((k + pc) / (<f64>load<u32>(pN) - k + pc))), 0);
}

// x[i, j] for a sample-major block (rows × cols, contiguous), then means, centring and Σ x_c².
// pSumSq = 0 skips the sums of squares.
function logitColumns(rows: i32, cols: i32, pK: usize, pN: usize, pc: f64, pX: usize, pMean: usize, pSumSq: usize, simd: bool): void {
  const total = rows * cols;
  let i = 0;
  if (ASC_FEATURE_SIMD && simd) {
    const pcv = splat(pc);
    for (; i + 1 < total; i += 2) v128.store(pX + (<usize>i << 3), logitRatioV(pK + (<usize>i << 2), pN + (<usize>i << 2), pcv));
    if (i < total) {
      store<f64>(pX + (<usize>i << 3), logitRatioOneV(pK + (<usize>i << 2), pN + (<usize>i << 2), pc));
      i++;
    }
  }
  for (; i < total; i++) store<f64>(pX + (<usize>i << 3), logitRatioS(pK + (<usize>i << 2), pN + (<usize>i << 2), pc));
  // Column means: rows added in order (elementwise, so lanes do not change the order of a sum).
  memory.fill(pMean, 0, <usize>cols << 3);
  for (let r = 0; r < rows; r++) addRow(pMean, pX + ((<usize>r * <usize>cols) << 3), cols, false, simd);
  const inv = <f64>rows;
  for (let j = 0; j < cols; j++) store<f64>(pMean + (<usize>j << 3), load<f64>(pMean + (<usize>j << 3)) / inv);
  for (let r = 0; r < rows; r++) subRow(pX + ((<usize>r * <usize>cols) << 3), pMean, cols, simd);
  if (pSumSq) {
    memory.fill(pSumSq, 0, <usize>cols << 3);
    for (let r = 0; r < rows; r++) addRow(pSumSq, pX + ((<usize>r * <usize>cols) << 3), cols, true, simd);
  }
}

// acc[j] += x[j] (or x[j]²), j < cols.
@inline function addRow(pAcc: usize, pX: usize, cols: i32, square: bool, simd: bool): void {
  let j = 0;
  if (ASC_FEATURE_SIMD && simd) {
    for (; j + 1 < cols; j += 2) {
      const o = <usize>j << 3;
      const x = v128.load(pX + o);
      v128.store(pAcc + o, f64x2.add(v128.load(pAcc + o), square ? f64x2.mul(x, x) : x));
    }
  }
  for (; j < cols; j++) {
    const o = <usize>j << 3;
    const x = load<f64>(pX + o);
    store<f64>(pAcc + o, load<f64>(pAcc + o) + (square ? x * x : x));
  }
}

// x[j] −= m[j], j < cols.
@inline function subRow(pX: usize, pM: usize, cols: i32, simd: bool): void {
  let j = 0;
  if (ASC_FEATURE_SIMD && simd) {
    for (; j + 1 < cols; j += 2) {
      const o = <usize>j << 3;
      v128.store(pX + o, f64x2.sub(v128.load(pX + o), v128.load(pM + o)));
    }
  }
  for (; j < cols; j++) {
    const o = <usize>j << 3;
    store<f64>(pX + o, load<f64>(pX + o) - load<f64>(pM + o));
  }
}

export function fraserLogitRows(rows: i32, cols: i32, pK: usize, pN: usize, ld: i32, pc: f64, pMean: usize, pOut: usize, ldo: i32): void {
  logitRows(rows, cols, pK, pN, ld, pc, pMean, pOut, ldo, true);
}

export function fraserLogitRowsScalar(rows: i32, cols: i32, pK: usize, pN: usize, ld: i32, pc: f64, pMean: usize, pOut: usize, ldo: i32): void {
  logitRows(rows, cols, pK, pN, ld, pc, pMean, pOut, ldo, false);
}

// Row r: out[r, i] = ln((k+pc)/(n−k+pc)) − mean[r] (pMean = 0: not centred).
function logitRows(rows: i32, cols: i32, pK: usize, pN: usize, ld: i32, pc: f64, pMean: usize, pOut: usize, ldo: i32, simd: bool): void {
  for (let r = 0; r < rows; r++) {
    const o4 = (<usize>r * <usize>ld) << 2;
    const oo = pOut + ((<usize>r * <usize>ldo) << 3);
    const m = pMean ? load<f64>(pMean + (<usize>r << 3)) : 0.0;
    let i = 0;
    if (ASC_FEATURE_SIMD && simd) {
      const pcv = splat(pc);
      const mv = splat(m);
      for (; i + 1 < cols; i += 2) {
        v128.store(oo + (<usize>i << 3), f64x2.sub(logitRatioV(pK + o4 + (<usize>i << 2), pN + o4 + (<usize>i << 2), pcv), mv));
      }
      if (i < cols) {
        store<f64>(oo + (<usize>i << 3), logitRatioOneV(pK + o4 + (<usize>i << 2), pN + o4 + (<usize>i << 2), pc) - m);
        i++;
      }
    }
    for (; i < cols; i++) store<f64>(oo + (<usize>i << 3), logitRatioS(pK + o4 + (<usize>i << 2), pN + o4 + (<usize>i << 2), pc) - m);
  }
}

/**
 * dst (cols × rows, u32) = srcᵀ, src rows × cols row-major: the fits' counts, sample-major as
 * given, into the objective's junction-major layout. Tiles of 16×16 keep both sides in cache.
 */
export function fraserTransposeCounts(rows: i32, cols: i32, pSrc: usize, pDst: usize): void {
  const T = 16;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = min(rows, i0 + T);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = min(cols, j0 + T);
      for (let j = j0; j < j1; j++) {
        const d = pDst + ((<usize>j * <usize>rows) << 2);
        for (let i = i0; i < i1; i++) store<u32>(d + (<usize>i << 2), load<u32>(pSrc + ((<usize>i * <usize>cols + <usize>j) << 2)));
      }
    }
  }
}
