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
import { logCoreV, logS } from "./special";
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

export function fraserResidualRows(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, ld: i32, pc: f64, pMean: usize, pSd: usize): void {
  residualRows(rows, cols, pK, pN, pMu, ld, pc, pMean, pSd, true);
}

export function fraserResidualRowsScalar(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, ld: i32, pc: f64, pMean: usize, pSd: usize): void {
  residualRows(rows, cols, pK, pN, pMu, ld, pc, pMean, pSd, false);
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

function residualRows(rows: i32, cols: i32, pK: usize, pN: usize, pMu: usize, ld: i32, pc: f64, pMean: usize, pSd: usize, simd: bool): void {
  for (let r = 0; r < rows; r++) {
    const o4 = (<usize>r * <usize>ld) << 2;
    const o8 = (<usize>r * <usize>ld) << 3;
    // Two passes (mean, then squared deviations), the residuals recomputed rather than stored.
    let s1: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD && simd) {
      const pcv = splat(pc);
      let sv = splat(0.0);
      for (; i + 1 < cols; i += 2) {
        sv = f64x2.add(sv, residualV(u32PairV(pK + o4 + (<usize>i << 2)), u32PairV(pN + o4 + (<usize>i << 2)), v128.load(pMu + o8 + (<usize>i << 3)), pcv));
      }
      s1 = hsum(sv);
    }
    for (; i < cols; i++) {
      s1 += residualS(<f64>load<u32>(pK + o4 + (<usize>i << 2)), <f64>load<u32>(pN + o4 + (<usize>i << 2)), load<f64>(pMu + o8 + (<usize>i << 3)), pc);
    }
    const mean = s1 / <f64>cols;
    let s2: f64 = 0;
    i = 0;
    if (ASC_FEATURE_SIMD && simd) {
      const pcv = splat(pc);
      const mv = splat(mean);
      let sv = splat(0.0);
      for (; i + 1 < cols; i += 2) {
        const d = f64x2.sub(residualV(u32PairV(pK + o4 + (<usize>i << 2)), u32PairV(pN + o4 + (<usize>i << 2)), v128.load(pMu + o8 + (<usize>i << 3)), pcv), mv);
        sv = f64x2.add(sv, f64x2.mul(d, d));
      }
      s2 = hsum(sv);
    }
    for (; i < cols; i++) {
      const d = residualS(<f64>load<u32>(pK + o4 + (<usize>i << 2)), <f64>load<u32>(pN + o4 + (<usize>i << 2)), load<f64>(pMu + o8 + (<usize>i << 3)), pc) - mean;
      s2 += d * d;
    }
    store<f64>(pMean + (<usize>r << 3), mean);
    store<f64>(pSd + (<usize>r << 3), cols > 1 ? sqrt(s2 / <f64>(cols - 1)) : 0.0);
  }
}
