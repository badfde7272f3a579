// L-BFGS vector work for the PLN fits and FRASER's encoder (src/optim/lbfgs-wasm.ts), where θ has up to ~4·10⁶
// entries and each iteration's sweeps over the stored pairs are the cost: the two-loop recursion
// (Nocedal & Wright 2006, Algorithm 7.4) with H₀ = γ·D, its passes fused as in src/optim/lbfgs.ts
// (each sweep does one update and the next dot product), and the new pair s = α·d, y = g⁺ − g
// with sᵀy, yᵀy, max|s| and max|g⁺| in one pass. f64x2 with two accumulators per dot product.

import { fmaV, fnmaV, hsum, splat } from "./simd";

// Second result of sweep0 (Σ yᵀDy).
let second: f64 = 0;

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline function lv(p: usize, i: i32): v128 {
  return v128.load(p + (<usize>i << 3));
}
@inline function sv(p: usize, i: i32, v: v128): void {
  v128.store(p + (<usize>i << 3), v);
}

/** d = −g; returns sᵀd; second = Σ y²·D (D = 1 when pD = 0). */
function sweep0(vec: bool, n: i32, pG: usize, pS: usize, pY: usize, pD: usize, pd: usize): f64 {
  let i = 0;
  let a: f64 = 0, b: f64 = 0;
  if (ASC_FEATURE_SIMD && vec) {
    let a0 = splat(0), b0 = splat(0);
    for (; i + 1 < n; i += 2) {
      const v = f64x2.neg(lv(pG, i));
      sv(pd, i, v);
      a0 = fmaV(lv(pS, i), v, a0);
      const y = lv(pY, i);
      b0 = fmaV(f64x2.mul(y, y), pD ? lv(pD, i) : splat(1), b0);
    }
    a = hsum(a0);
    b = hsum(b0);
  }
  for (; i < n; i++) {
    const v = -ld(pG, i);
    st(pd, i, v);
    a += ld(pS, i) * v;
    const y = ld(pY, i);
    b += y * y * (pD ? ld(pD, i) : 1.0);
  }
  second = b;
  return a;
}

/** d += c·u; returns wᵀd. */
function axpyDot(vec: bool, n: i32, pd: usize, c: f64, pU: usize, pW: usize): f64 {
  let i = 0;
  let r: f64 = 0;
  if (ASC_FEATURE_SIMD && vec) {
    const cv = splat(c);
    let r0 = splat(0), r1 = splat(0);
    for (; i + 3 < n; i += 4) {
      const v0 = fmaV(cv, lv(pU, i), lv(pd, i));
      const v1 = fmaV(cv, lv(pU, i + 2), lv(pd, i + 2));
      sv(pd, i, v0);
      sv(pd, i + 2, v1);
      r0 = fmaV(lv(pW, i), v0, r0);
      r1 = fmaV(lv(pW, i + 2), v1, r1);
    }
    r = hsum(f64x2.add(r0, r1));
  }
  for (; i < n; i++) {
    const v = ld(pd, i) + c * ld(pU, i);
    st(pd, i, v);
    r += ld(pW, i) * v;
  }
  return r;
}

/** d = (d − a·y)·γD (D = 1 when pD = 0); returns yᵀd. */
function sweepMid(vec: bool, n: i32, pd: usize, a: f64, pY: usize, gamma: f64, pD: usize): f64 {
  let i = 0;
  let r: f64 = 0;
  if (ASC_FEATURE_SIMD && vec) {
    const av = splat(a), gv = splat(gamma);
    let r0 = splat(0);
    for (; i + 1 < n; i += 2) {
      const y = lv(pY, i);
      let v = f64x2.mul(fnmaV(av, y, lv(pd, i)), gv);
      if (pD) v = f64x2.mul(v, lv(pD, i));
      sv(pd, i, v);
      r0 = fmaV(y, v, r0);
    }
    r = hsum(r0);
  }
  for (; i < n; i++) {
    const y = ld(pY, i);
    const v = (ld(pd, i) - a * y) * (pD ? gamma * ld(pD, i) : gamma);
    st(pd, i, v);
    r += y * v;
  }
  return r;
}

// The recursion on the negated vector: with q = −d the two loops keep their form (α and the
// second loop's coefficients change sign), and the last sweep leaves d = −H·g without a negation.
function twoLoop(vec: bool, n: i32, count: i32, pSPtr: usize, pYPtr: usize, pRho: usize, pAlpha: usize, pG: usize, pD: usize, pd: usize): f64 {
  // Pair k (0 = newest): s at load<u32>(pSPtr + 4k), y at load<u32>(pYPtr + 4k), ρ_k = 1/sᵀy.
  const s0 = <usize>load<u32>(pSPtr), y0 = <usize>load<u32>(pYPtr);
  let dotNext = sweep0(vec, n, pG, s0, y0, pD, pd);
  const yDy = second;
  const gamma = yDy > 0 ? 1.0 / (ld(pRho, 0) * yDy) : 1.0;
  for (let k = 0; k < count; k++) {
    const a = ld(pRho, k) * dotNext;
    st(pAlpha, k, a);
    const yk = <usize>load<u32>(pYPtr + (<usize>k << 2));
    if (k + 1 < count) dotNext = axpyDot(vec, n, pd, -a, yk, <usize>load<u32>(pSPtr + (<usize>(k + 1) << 2)));
    else dotNext = sweepMid(vec, n, pd, a, yk, gamma, pD);
  }
  for (let k = count - 1; k >= 0; k--) {
    const c = ld(pAlpha, k) - ld(pRho, k) * dotNext;
    const sk = <usize>load<u32>(pSPtr + (<usize>k << 2));
    // the next yᵀd, or after the newest pair gᵀd
    dotNext = axpyDot(vec, n, pd, c, sk, k > 0 ? <usize>load<u32>(pYPtr + (<usize>(k - 1) << 2)) : pG);
  }
  return dotNext;
}

/**
 * plnLbfgsTwoLoop: d = −H·g by the two-loop recursion over `count` ≥ 1 pairs, H₀ = γ·D with
 * γ = sᵀy/yᵀDy of the newest pair (D = I when pD = 0). pSPtr, pYPtr: u32 arrays of the pairs' byte
 * addresses, newest first; pRho: ρ_k = 1/(s_kᵀy_k) in the same order; pAlpha: count f64 of scratch.
 * Writes d to pd and returns gᵀd.
 */
export function plnLbfgsTwoLoop(n: i32, count: i32, pSPtr: usize, pYPtr: usize, pRho: usize, pAlpha: usize, pG: usize, pD: usize, pd: usize): f64 {
  return twoLoop(true, n, count, pSPtr, pYPtr, pRho, pAlpha, pG, pD, pd);
}

/** Scalar twin of plnLbfgsTwoLoop. */
export function plnLbfgsTwoLoopScalar(n: i32, count: i32, pSPtr: usize, pYPtr: usize, pRho: usize, pAlpha: usize, pG: usize, pD: usize, pd: usize): f64 {
  return twoLoop(false, n, count, pSPtr, pYPtr, pRho, pAlpha, pG, pD, pd);
}

function pairImpl(vec: bool, n: i32, alpha: f64, pd: usize, pGa: usize, pG: usize, pS: usize, pY: usize, pOut: usize): void {
  let i = 0;
  let sy: f64 = 0, yy: f64 = 0, dMax: f64 = 0, gMax: f64 = 0;
  if (ASC_FEATURE_SIMD && vec) {
    const av = splat(alpha);
    let syv = splat(0), yyv = splat(0), dm = splat(0), gm = splat(0);
    for (; i + 1 < n; i += 2) {
      const d = lv(pd, i);
      const s = f64x2.mul(av, d);
      const ga = lv(pGa, i);
      const y = f64x2.sub(ga, lv(pG, i));
      sv(pS, i, s);
      sv(pY, i, y);
      syv = fmaV(s, y, syv);
      yyv = fmaV(y, y, yyv);
      dm = f64x2.max(dm, f64x2.abs(d));
      gm = f64x2.max(gm, f64x2.abs(ga));
    }
    sy = hsum(syv);
    yy = hsum(yyv);
    dMax = max(f64x2.extract_lane(dm, 0), f64x2.extract_lane(dm, 1));
    gMax = max(f64x2.extract_lane(gm, 0), f64x2.extract_lane(gm, 1));
  }
  for (; i < n; i++) {
    const d = ld(pd, i);
    const s = alpha * d;
    const ga = ld(pGa, i);
    const y = ga - ld(pG, i);
    st(pS, i, s);
    st(pY, i, y);
    sy += s * y;
    yy += y * y;
    dMax = max(dMax, abs(d));
    gMax = max(gMax, abs(ga));
  }
  st(pOut, 0, sy);
  st(pOut, 1, yy);
  st(pOut, 2, abs(alpha) * dMax);
  st(pOut, 3, gMax);
}

/**
 * plnLbfgsPair: the new pair after a step of length α along d: s = α·d, y = g⁺ − g, written to
 * pS and pY; pOut receives sᵀy, yᵀy, max|s| and max|g⁺|.
 */
export function plnLbfgsPair(n: i32, alpha: f64, pd: usize, pGa: usize, pG: usize, pS: usize, pY: usize, pOut: usize): void {
  pairImpl(true, n, alpha, pd, pGa, pG, pS, pY, pOut);
}

/** Scalar twin of plnLbfgsPair. */
export function plnLbfgsPairScalar(n: i32, alpha: f64, pd: usize, pGa: usize, pG: usize, pS: usize, pY: usize, pOut: usize): void {
  pairImpl(false, n, alpha, pd, pGa, pG, pS, pY, pOut);
}
