// Dense-layer kernels over blocks of rows: bias + activation forward, activation backward fused
// with the bias gradient, and column sums. A layer's matrix products (X·W, Xᵀ·dZ, dZ·Wᵀ) go
// through gemm (assembly/linalg.ts), called from TypeScript (src/nn/mlp.ts); these kernels do the
// element-wise work around them.
//
// Symbols, for one layer on a block of r rows and c units (all matrices row-major f64 with a
// leading dimension in elements, so a block of rows or a range of columns is a pointer offset):
//   Z    r×c pre-activation (ldz): X·W on entry to the forward kernel, X·W + 1bᵀ on exit
//   b    c biases (contiguous)
//   A    r×c activation φ(Z) (lda)
//   dA   r×c ∂L/∂A (ldda);  dZ = dA ∘ φ'(Z) (lddz);  db ← db + Σᵢ dZ[i,:]
//   φ    activation code: 0 identity z; 1 ReLU max(z, 0); 2 softplus ln(1 + eᶻ);
//        3 sigmoid 1/(1 + e⁻ᶻ)
//   φ'   1;  [z > 0];  σ(z) = 1/(1 + e⁻ᶻ);  σ(z)(1 − σ(z)) = e^−|z| / (1 + e^−|z|)²
//
// Numerics: softplus is max(z, 0) + log1p(e^−|z|) (assembly/special.ts), which neither overflows
// for large z nor loses relative accuracy for very negative z (where it is e^z). Both derivatives
// are formed from e = e^−|z| ≤ 1, so they keep full relative accuracy in both tails (σ'(z) from
// σ(1 − σ) would round to 0 once σ rounds to 1, near z = 37). ReLU's derivative at z = 0 is taken
// as 0 (as in PyTorch); a NaN z also passes no gradient through ReLU.
//
// Each kernel has a `…Scalar` twin that runs without v128 even in a SIMD build. Element values of
// the two agree to the last few bits (identity and ReLU: exactly; softplus and sigmoid: the vector
// and scalar forms of exp/log1p in special.ts); the column sums add rows in the same order in both
// (per column, i = 0, 1, …), so the sums are bit-identical given identical elements. An odd last
// column goes through the vector path too (lane 0 of a splat), so a value never depends on its
// column position or on the block's width.

import { log1pexpS, log1pexpV, expS, expV, sigmoidS, sigmoidV } from "./special";
import { splat } from "./simd";

const IDENTITY: i32 = 0;
const RELU: i32 = 1;
const SOFTPLUS: i32 = 2;
const SIGMOID: i32 = 3;

@inline function rowPtr(p: usize, i: i32, ld: i32): usize {
  return p + ((<usize>i * <usize>ld) << 3);
}

// ---- element-wise activation and its backward step ----------------------------------------

@inline function actV(act: i32, z: v128): v128 {
  if (act == RELU) return f64x2.max(z, splat(0.0)); // max propagates NaN, like the scalar max
  if (act == SOFTPLUS) return log1pexpV(z);
  if (act == SIGMOID) return sigmoidV(z);
  return z;
}

@inline function actS(act: i32, z: f64): f64 {
  if (act == RELU) return max(z, 0.0);
  if (act == SOFTPLUS) return log1pexpS(z);
  if (act == SIGMOID) return sigmoidS(z);
  return z;
}

/** dA ∘ φ'(z), lane-wise. */
@inline function dzV(act: i32, z: v128, da: v128): v128 {
  if (act == RELU) return v128.and(da, f64x2.gt(z, splat(0.0)));
  if (act == SOFTPLUS || act == SIGMOID) {
    const e = expV(f64x2.neg(f64x2.abs(z)));
    const inv = f64x2.div(splat(1.0), f64x2.add(splat(1.0), e));
    if (act == SOFTPLUS) {
      // σ(z) = 1/(1+e) for z ≥ 0 and e/(1+e) below.
      return f64x2.mul(da, v128.bitselect(inv, f64x2.mul(e, inv), f64x2.ge(z, splat(0.0))));
    }
    return f64x2.mul(da, f64x2.mul(f64x2.mul(e, inv), inv));
  }
  return da;
}

@inline function dzS(act: i32, z: f64, da: f64): f64 {
  if (act == RELU) return z > 0.0 ? da : 0.0;
  if (act == SOFTPLUS || act == SIGMOID) {
    const e = expS(-abs(z));
    const inv = 1.0 / (1.0 + e);
    if (act == SOFTPLUS) return da * (z >= 0.0 ? inv : e * inv);
    return da * ((e * inv) * inv);
  }
  return da;
}

// ---- forward -------------------------------------------------------------------------------

@inline function forwardV(act: i32, rows: i32, cols: i32, pB: usize, pZ: usize, ldz: i32, pA: usize, lda: i32): void {
  for (let i = 0; i < rows; i++) {
    const zr = rowPtr(pZ, i, ldz);
    const ar = rowPtr(pA, i, lda);
    let j = 0;
    for (; j + 3 < cols; j += 4) {
      const o = <usize>j << 3;
      const z0 = f64x2.add(v128.load(zr + o), v128.load(pB + o));
      const z1 = f64x2.add(v128.load(zr + o, 16), v128.load(pB + o, 16));
      v128.store(zr + o, z0);
      v128.store(zr + o, z1, 16);
      v128.store(ar + o, actV(act, z0));
      v128.store(ar + o, actV(act, z1), 16);
    }
    for (; j + 1 < cols; j += 2) {
      const o = <usize>j << 3;
      const z = f64x2.add(v128.load(zr + o), v128.load(pB + o));
      v128.store(zr + o, z);
      v128.store(ar + o, actV(act, z));
    }
    if (j < cols) {
      const o = <usize>j << 3;
      const z = load<f64>(zr + o) + load<f64>(pB + o);
      store<f64>(zr + o, z);
      store<f64>(ar + o, f64x2.extract_lane(actV(act, f64x2.splat(z)), 0));
    }
  }
}

@inline function forwardS(act: i32, rows: i32, cols: i32, pB: usize, pZ: usize, ldz: i32, pA: usize, lda: i32): void {
  for (let i = 0; i < rows; i++) {
    const zr = rowPtr(pZ, i, ldz);
    const ar = rowPtr(pA, i, lda);
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 3;
      const z = load<f64>(zr + o) + load<f64>(pB + o);
      store<f64>(zr + o, z);
      store<f64>(ar + o, actS(act, z));
    }
  }
}

function forwardImpl(vector: bool, act: i32, rows: i32, cols: i32, pB: usize, pZ: usize, ldz: i32, pA: usize, lda: i32): i32 {
  if (act < IDENTITY || act > SIGMOID) return -1;
  if (rows <= 0 || cols <= 0) return 0;
  // One instantiation per activation, so the activation test is not inside the element loop.
  if (ASC_FEATURE_SIMD && vector) {
    if (act == RELU) forwardV(RELU, rows, cols, pB, pZ, ldz, pA, lda);
    else if (act == SOFTPLUS) forwardV(SOFTPLUS, rows, cols, pB, pZ, ldz, pA, lda);
    else if (act == SIGMOID) forwardV(SIGMOID, rows, cols, pB, pZ, ldz, pA, lda);
    else forwardV(IDENTITY, rows, cols, pB, pZ, ldz, pA, lda);
  } else {
    if (act == RELU) forwardS(RELU, rows, cols, pB, pZ, ldz, pA, lda);
    else if (act == SOFTPLUS) forwardS(SOFTPLUS, rows, cols, pB, pZ, ldz, pA, lda);
    else if (act == SIGMOID) forwardS(SIGMOID, rows, cols, pB, pZ, ldz, pA, lda);
    else forwardS(IDENTITY, rows, cols, pB, pZ, ldz, pA, lda);
  }
  return 0;
}

/**
 * Bias and activation of one layer on a block of rows: Z ← Z + 1bᵀ, then A ← φ(Z).
 *
 * act: 0 identity, 1 ReLU, 2 softplus, 3 sigmoid. rows × cols: the block. pB: cols biases
 * (required). pZ (ldz): on entry the product X·W (from gemm), on exit the pre-activation X·W + 1bᵀ
 * that the backward kernel reads. pA (lda): receives φ(Z); pA = pZ with lda = ldz is allowed
 * (inference only: the pre-activation is then overwritten). Any other overlap is not.
 * Returns 0, or −1 for an unknown activation code (nothing is written).
 */
export function nnBiasActivation(act: i32, rows: i32, cols: i32, pB: usize, pZ: usize, ldz: i32, pA: usize, lda: i32): i32 {
  return forwardImpl(true, act, rows, cols, pB, pZ, ldz, pA, lda);
}

export function nnBiasActivationScalar(act: i32, rows: i32, cols: i32, pB: usize, pZ: usize, ldz: i32, pA: usize, lda: i32): i32 {
  return forwardImpl(false, act, rows, cols, pB, pZ, ldz, pA, lda);
}

// ---- backward and column sums --------------------------------------------------------------
//
// Columns are visited in strips of 8 (one 64-byte cache line of each row), rows in order inside
// a strip, so each strip's column sums stay in registers and each line of Z, dA and dZ is read
// once. `write` = false gives the plain column sums of dA (no dZ written).

@inline function backwardV(
  act: i32, write: bool, rows: i32, cols: i32, pZ: usize, ldz: i32, pDA: usize, ldda: i32,
  pDZ: usize, lddz: i32, pDb: usize,
): void {
  let j = 0;
  for (; j + 7 < cols; j += 8) {
    const o = <usize>j << 3;
    let s0 = splat(0.0), s1 = splat(0.0), s2 = splat(0.0), s3 = splat(0.0);
    for (let i = 0; i < rows; i++) {
      const da = rowPtr(pDA, i, ldda) + o;
      let d0 = v128.load(da), d1 = v128.load(da, 16), d2 = v128.load(da, 32), d3 = v128.load(da, 48);
      if (write) {
        const z = rowPtr(pZ, i, ldz) + o;
        const dz = rowPtr(pDZ, i, lddz) + o;
        d0 = dzV(act, v128.load(z), d0);
        d1 = dzV(act, v128.load(z, 16), d1);
        d2 = dzV(act, v128.load(z, 32), d2);
        d3 = dzV(act, v128.load(z, 48), d3);
        v128.store(dz, d0);
        v128.store(dz, d1, 16);
        v128.store(dz, d2, 32);
        v128.store(dz, d3, 48);
      }
      s0 = f64x2.add(s0, d0);
      s1 = f64x2.add(s1, d1);
      s2 = f64x2.add(s2, d2);
      s3 = f64x2.add(s3, d3);
    }
    if (pDb) {
      const db = pDb + o;
      v128.store(db, f64x2.add(v128.load(db), s0));
      v128.store(db, f64x2.add(v128.load(db, 16), s1), 16);
      v128.store(db, f64x2.add(v128.load(db, 32), s2), 32);
      v128.store(db, f64x2.add(v128.load(db, 48), s3), 48);
    }
  }
  for (; j + 1 < cols; j += 2) {
    const o = <usize>j << 3;
    let s = splat(0.0);
    for (let i = 0; i < rows; i++) {
      let d = v128.load(rowPtr(pDA, i, ldda) + o);
      if (write) {
        d = dzV(act, v128.load(rowPtr(pZ, i, ldz) + o), d);
        v128.store(rowPtr(pDZ, i, lddz) + o, d);
      }
      s = f64x2.add(s, d);
    }
    if (pDb) v128.store(pDb + o, f64x2.add(v128.load(pDb + o), s));
  }
  if (j < cols) {
    const o = <usize>j << 3;
    let s = 0.0;
    for (let i = 0; i < rows; i++) {
      let d = load<f64>(rowPtr(pDA, i, ldda) + o);
      if (write) {
        d = f64x2.extract_lane(dzV(act, f64x2.splat(load<f64>(rowPtr(pZ, i, ldz) + o)), f64x2.splat(d)), 0);
        store<f64>(rowPtr(pDZ, i, lddz) + o, d);
      }
      s += d;
    }
    if (pDb) store<f64>(pDb + o, load<f64>(pDb + o) + s);
  }
}

@inline function backwardS(
  act: i32, write: bool, rows: i32, cols: i32, pZ: usize, ldz: i32, pDA: usize, ldda: i32,
  pDZ: usize, lddz: i32, pDb: usize,
): void {
  let j = 0;
  for (; j + 3 < cols; j += 4) {
    const o = <usize>j << 3;
    let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (let i = 0; i < rows; i++) {
      const da = rowPtr(pDA, i, ldda) + o;
      let d0 = load<f64>(da), d1 = load<f64>(da, 8), d2 = load<f64>(da, 16), d3 = load<f64>(da, 24);
      if (write) {
        const z = rowPtr(pZ, i, ldz) + o;
        const dz = rowPtr(pDZ, i, lddz) + o;
        d0 = dzS(act, load<f64>(z), d0);
        d1 = dzS(act, load<f64>(z, 8), d1);
        d2 = dzS(act, load<f64>(z, 16), d2);
        d3 = dzS(act, load<f64>(z, 24), d3);
        store<f64>(dz, d0);
        store<f64>(dz, d1, 8);
        store<f64>(dz, d2, 16);
        store<f64>(dz, d3, 24);
      }
      s0 += d0;
      s1 += d1;
      s2 += d2;
      s3 += d3;
    }
    if (pDb) {
      const db = pDb + o;
      store<f64>(db, load<f64>(db) + s0);
      store<f64>(db, load<f64>(db, 8) + s1, 8);
      store<f64>(db, load<f64>(db, 16) + s2, 16);
      store<f64>(db, load<f64>(db, 24) + s3, 24);
    }
  }
  for (; j < cols; j++) {
    const o = <usize>j << 3;
    let s = 0.0;
    for (let i = 0; i < rows; i++) {
      let d = load<f64>(rowPtr(pDA, i, ldda) + o);
      if (write) {
        d = dzS(act, load<f64>(rowPtr(pZ, i, ldz) + o), d);
        store<f64>(rowPtr(pDZ, i, lddz) + o, d);
      }
      s += d;
    }
    if (pDb) store<f64>(pDb + o, load<f64>(pDb + o) + s);
  }
}

function backwardImpl(
  vector: bool, act: i32, rows: i32, cols: i32, pZ: usize, ldz: i32, pDA: usize, ldda: i32,
  pDZ: usize, lddz: i32, pDb: usize,
): i32 {
  if (act < IDENTITY || act > SIGMOID) return -1;
  if (rows <= 0 || cols <= 0) return 0;
  if (ASC_FEATURE_SIMD && vector) {
    if (act == RELU) backwardV(RELU, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
    else if (act == SOFTPLUS) backwardV(SOFTPLUS, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
    else if (act == SIGMOID) backwardV(SIGMOID, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
    else backwardV(IDENTITY, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
  } else {
    if (act == RELU) backwardS(RELU, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
    else if (act == SOFTPLUS) backwardS(SOFTPLUS, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
    else if (act == SIGMOID) backwardS(SIGMOID, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
    else backwardS(IDENTITY, true, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
  }
  return 0;
}

/**
 * Backward step through the activation of one layer on a block of rows, fused with the bias
 * gradient: dZ ← dA ∘ φ'(Z), and db ← db + Σᵢ dZ[i,:] when pDb ≠ 0.
 *
 * act: as in nnBiasActivation. pZ (ldz): the pre-activation the forward kernel left. pDA (ldda):
 * ∂L/∂A. pDZ (lddz): receives dZ; pDZ = pDA with lddz = ldda (in place) is allowed. pDb: cols
 * accumulators (added to, not overwritten), or 0 to skip. Returns 0, or −1 for an unknown code.
 */
export function nnActivationBackward(
  act: i32, rows: i32, cols: i32, pZ: usize, ldz: i32, pDA: usize, ldda: i32, pDZ: usize, lddz: i32, pDb: usize,
): i32 {
  return backwardImpl(true, act, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
}

export function nnActivationBackwardScalar(
  act: i32, rows: i32, cols: i32, pZ: usize, ldz: i32, pDA: usize, ldda: i32, pDZ: usize, lddz: i32, pDb: usize,
): i32 {
  return backwardImpl(false, act, rows, cols, pZ, ldz, pDA, ldda, pDZ, lddz, pDb);
}

/**
 * Column sums of a block: out[j] ← out[j] + Σᵢ X[i,j] for a rows×cols block X (ldx), out holding
 * cols accumulators (added to). The bias gradient of a layer whose dZ is already formed.
 */
export function nnColumnSums(rows: i32, cols: i32, pX: usize, ldx: i32, pOut: usize): void {
  if (rows <= 0 || cols <= 0) return;
  if (ASC_FEATURE_SIMD) backwardV(IDENTITY, false, rows, cols, 0, 0, pX, ldx, 0, 0, pOut);
  else backwardS(IDENTITY, false, rows, cols, 0, 0, pX, ldx, 0, 0, pOut);
}

export function nnColumnSumsScalar(rows: i32, cols: i32, pX: usize, ldx: i32, pOut: usize): void {
  if (rows <= 0 || cols <= 0) return;
  backwardS(IDENTITY, false, rows, cols, 0, 0, pX, ldx, 0, 0, pOut);
}
