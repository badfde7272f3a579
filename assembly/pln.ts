// Poisson-lognormal variational kernels (src/models/pln): the matrix A of the ELBO fused with the
// ELBO's data term and the residual Y − A that every gradient block is built from.
//
// For every model (full, diagonal, rank q, fixed eigenvectors) the variational ELBO has the data term
//   Σ_ij [Y_ij·L_ij − A_ij] − Σ_ij lnΓ(Y_ij + 1),   A = exp(L + H),
// with L the mean of the latent log-intensity under q (O + XB + MCᵀ, or O + M) and H half its
// variance (½(S∘S)(C∘C)ᵀ, or ½ S∘S); the gradients then need R = Y − A and A itself, through
// matrix products done by the caller with gemm. One pass over the cells gives all three.
// Sources: Chiquet, Mariadassou & Robin (2018, 2021) for the ELBO and its gradients; the seed's
// fixed-eigenvector derivation (A = exp(XB + MΛ^{1/2}Vᵀ + ½(S∘S)(Λ^{1/2}Vᵀ∘Λ^{1/2}Vᵀ))).

import { expS, expV } from "./special";
import { hsum, splat } from "./simd";

// Guard: L + H above 700 would make A overflow to +Inf (e^709.8), and then R = −Inf and NaN in the
// gradient products. Clamping the exponent keeps A ≤ e^700 ≈ 1e304, finite: such a point has an
// ELBO near −1e304, which any line search rejects, and its gradient stays finite. Below, exp
// underflows to 0 gracefully (A = 0, R = Y).
const EXP_MAX: f64 = 700.0;

/**
 * plnCells: over `count` cells (contiguous f64 arrays),
 *   A = exp(min(L + H, 700)),  returns Σ (Y·L − A),
 * and writes R = Y − A to pR and A to pA (either 0 to skip). pR may alias pL and pA may alias pH
 * (each cell is read before it is written). NaN in L or H propagates to the sum (the caller checks).
 */
export function plnCells(count: i32, pY: usize, pL: usize, pH: usize, pR: usize, pA: usize): f64 {
  if (!ASC_FEATURE_SIMD) return cellsS(0, count, pY, pL, pH, pR, pA);
  let acc = splat(0.0);
  const cap = splat(EXP_MAX);
  let i = 0;
  for (; i + 1 < count; i += 2) {
    const o = <usize>i << 3;
    const y = v128.load(pY + o);
    const l = v128.load(pL + o);
    const a = expV(f64x2.min(f64x2.add(l, v128.load(pH + o)), cap));
    acc = f64x2.add(acc, f64x2.sub(f64x2.mul(y, l), a));
    if (pR) v128.store(pR + o, f64x2.sub(y, a));
    if (pA) v128.store(pA + o, a);
  }
  // An odd last cell takes the scalar path (same formula; expS and expV agree to rounding).
  return hsum(acc) + cellsS(i, count, pY, pL, pH, pR, pA);
}

/** Scalar twin of plnCells. */
export function plnCellsScalar(count: i32, pY: usize, pL: usize, pH: usize, pR: usize, pA: usize): f64 {
  return cellsS(0, count, pY, pL, pH, pR, pA);
}

function cellsS(from: i32, count: i32, pY: usize, pL: usize, pH: usize, pR: usize, pA: usize): f64 {
  let acc: f64 = 0;
  for (let i = from; i < count; i++) {
    const o = <usize>i << 3;
    const y = load<f64>(pY + o);
    const l = load<f64>(pL + o);
    const a = expS(min(l + load<f64>(pH + o), EXP_MAX));
    acc += y * l - a;
    if (pR) store<f64>(pR + o, y - a);
    if (pA) store<f64>(pA + o, a);
  }
  return acc;
}

/**
 * plnSquareExp: S² from log S over `count` entries, in place allowed: out = exp(2·x); returns Σ x
 * (the ELBO's Σ log S).
 */
export function plnSquareExp(count: i32, pX: usize, pOut: usize): f64 {
  if (!ASC_FEATURE_SIMD) return squareExpS(0, count, pX, pOut);
  let acc = splat(0.0);
  const two = splat(2.0);
  let i = 0;
  for (; i + 1 < count; i += 2) {
    const o = <usize>i << 3;
    const x = v128.load(pX + o);
    acc = f64x2.add(acc, x);
    v128.store(pOut + o, expV(f64x2.mul(two, x)));
  }
  return hsum(acc) + squareExpS(i, count, pX, pOut);
}

/** Scalar twin of plnSquareExp. */
export function plnSquareExpScalar(count: i32, pX: usize, pOut: usize): f64 {
  return squareExpS(0, count, pX, pOut);
}

function squareExpS(from: i32, count: i32, pX: usize, pOut: usize): f64 {
  let acc: f64 = 0;
  for (let i = from; i < count; i++) {
    const o = <usize>i << 3;
    const x = load<f64>(pX + o);
    acc += x;
    store<f64>(pOut + o, expS(2.0 * x));
  }
  return acc;
}

/**
 * plnFullGradient: the cell loop of the full model's gradient (src/models/pln/objective.ts), over
 * n×p cells with ω = diag(Σ̂⁻¹) (p entries):
 *   ∂(−J)/∂M = (EΣ̂⁻¹) − R,  ∂(−J)/∂log S = A·S² + S²·ω − 1,
 * and the inverse Hessian diagonal the L-BFGS preconditioner uses, 1/(A + ω) for M and
 * 1/max(2A·S² + A·S⁴ + 2S²·ω, 1e-12) for log S. Each output may alias an input of the same cell
 * (every cell is read before it is written).
 */
export function plnFullGradient(n: i32, p: i32, pA: usize, pS2: usize, pES: usize, pR: usize, pOmega: usize, pGM: usize, pGS: usize, pDM: usize, pDS: usize): void {
  fullGradient(true, n, p, pA, pS2, pES, pR, pOmega, pGM, pGS, pDM, pDS);
}

/** Scalar twin of plnFullGradient. */
export function plnFullGradientScalar(n: i32, p: i32, pA: usize, pS2: usize, pES: usize, pR: usize, pOmega: usize, pGM: usize, pGS: usize, pDM: usize, pDS: usize): void {
  fullGradient(false, n, p, pA, pS2, pES, pR, pOmega, pGM, pGS, pDM, pDS);
}

function fullGradient(vec: bool, n: i32, p: i32, pA: usize, pS2: usize, pES: usize, pR: usize, pOmega: usize, pGM: usize, pGS: usize, pDM: usize, pDS: usize): void {
  for (let i = 0; i < n; i++) {
    const row = <usize>i * <usize>p;
    let j = 0;
    if (ASC_FEATURE_SIMD && vec) {
      const one = splat(1.0), two = splat(2.0), floor = splat(1e-12);
      for (; j + 1 < p; j += 2) {
        const o = (row + <usize>j) << 3;
        const a = v128.load(pA + o), v = v128.load(pS2 + o), w = v128.load(pOmega + (<usize>j << 3));
        const av = f64x2.mul(a, v), vw = f64x2.mul(v, w);
        const gm = f64x2.sub(v128.load(pES + o), v128.load(pR + o));
        const gs = f64x2.sub(f64x2.add(av, vw), one);
        // 2·A·S² + A·S⁴ + 2·S²·ω = av·(2 + v) + 2·vw
        let h = f64x2.add(f64x2.mul(av, f64x2.add(two, v)), f64x2.mul(two, vw));
        // max(h, 1e-12), NaN → 1e-12 (as the JS form !(h > 1e-12))
        h = v128.bitselect(h, floor, f64x2.gt(h, floor));
        v128.store(pGM + o, gm);
        v128.store(pGS + o, gs);
        v128.store(pDM + o, f64x2.div(one, f64x2.add(a, w)));
        v128.store(pDS + o, f64x2.div(one, h));
      }
    }
    for (; j < p; j++) {
      const o = (row + <usize>j) << 3;
      const a = load<f64>(pA + o), v = load<f64>(pS2 + o), w = load<f64>(pOmega + (<usize>j << 3));
      const av = a * v, vw = v * w;
      const gm = load<f64>(pES + o) - load<f64>(pR + o);
      const gs = av + vw - 1.0;
      let h = av * (2.0 + v) + 2.0 * vw;
      if (!(h > 1e-12)) h = 1e-12;
      store<f64>(pGM + o, gm);
      store<f64>(pGS + o, gs);
      store<f64>(pDM + o, 1.0 / (a + w));
      store<f64>(pDS + o, 1.0 / h);
    }
  }
}
