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
