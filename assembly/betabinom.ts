// FRASER beta-binomial autoencoder kernels (the model and its fit: src/models/fraser).
//
// Symbols (Brechtmann et al. 2018, FRASER; seed 000): rows are junctions j, columns samples i.
//   y     logit of the mean, y = H·d_j + b_j (b_j may be added here through pB)
//   μ     sigmoid(y); μ and 1−μ are both computed from e^−|y|, so neither loses relative accuracy
//   a     (1−ρ)/ρ = α+β, per junction; ρ = sigmoid(t), so a = e^−t
//   α, β  μ·a and (1−μ)·a
//   k, n  split reads and total reads (u32); m = n − k
//   c     likelihood pseudocount: k+c, m+c (and n+2c in the full pmf)
//   w     per-cell weight (Huber weights of the PCA-BB-Decoder), optional
//   ℓ     truncated loss of a cell: lnΓ(α) + lnΓ(β) − lnΓ(α+k+c) − lnΓ(β+m+c)
//   Δlnγ(x,k) = lnΓ(x+k) − lnΓ(x), Δψ(x,k) = ψ(x+k) − ψ(x) (assembly/special.ts)
//
// Layout: junction-major, J×N row-major (a row is one junction's N samples). Then a_j and b_j are
// one splat per row, a block of junctions is a pointer offset, one junction's cells are contiguous
// for the per-junction decoder and ρ fits, and f64x2 runs along samples. Counts stay u32 (half
// the bytes of f64; f64x2.convert_low_i32x4_u widens two at a time). Every kernel can also walk
// an index list: row r of the packed inputs/outputs (Y, G, t, per-row results) belongs to
// junction idx[r], whose counts, weights, a and b are read at row idx[r]; pIdx = 0 means idx[r] = r.
//
// Guards (each protects a regime named here):
// - y is clamped to [−300, 300]. Beyond it μ or 1−μ < 5e-131: no count table can tell such a μ
//   from the bound, and the bound keeps α, β ≥ 5e-131·a_min > 1e-154, so ψ ≈ −1/α and ψ' ≈ 1/α²
//   stay finite. Within it nothing is clamped: a cell with k > 0 and μ → 0 keeps its true
//   gradient ≈ −1 (ℓ ≈ −ln α grows linearly in −y), which is what pulls a saturated fit back.
// - a is clamped to [e^−30, e^30] ≈ [9.4e-14, 1.1e13], the image of the reference's Brent interval
//   logit ρ ∈ [−30, 30], so every ρ the fit can produce passes unchanged; ρ = 0 (a = ∞, binomial
//   limit) and ρ = 1 (a = 0) become the bounds instead of Inf/NaN.
// - n = 0 cells contribute 0 loss and 0 gradient for every c (no reads, no information), even when
//   c > 0 would otherwise give them −ln α − ln β.
// - k = 0 and k = n need no guard: Δlnγ(x, 0) = Δψ(x, 0) = 0 exactly.
// With integer c (0 or 1 in practice) k+c and m+c are integers and the count differences give
// ℓ = −Δlnγ(α,k+c) − Δlnγ(β,m+c) without cancelling two large lnΓ values; for any other c ≥ 0 the
// kernels use full lnΓ and ψ differences (correct, slower, less accurate when k+c ≪ α).
//
// Cost (fraserCells, integer c): a cell is one e^x and one division for μ, the head products of
// its two sides (counts up to K_row, a product of k factors and its derivative; the products of
// both sides share one division for the gradient and, in unweighted rows, one log per row), and
// for a side with a larger count a shifted Stirling tail, queued and evaluated apart, four at a
// time (see cellsV). Pairs with n = 0 in both lanes skip everything.

import {
  digammaDiffS, digammaDiffV, digammaS, digammaV, expS, expV, lastDigammaDiffS, lgammaDiffS, logV,
  lgammaDiffV, lgammaDigammaDiffS, lgammaS, lgammaV, logCoreV, logS, trigammaS, trigammaV,
} from "./special";
import { digammaStirling, digammaStirlingV, LN2_HI, LN2_LO, lgammaStirling, lgammaStirlingV, trigammaStirling, trigammaStirlingV } from "./coefficients";
import { allTrue, anyTrue, fmaV, fnmaV, hsum, select, splat } from "./simd";

// The fused count differences' array kernels are exported with this file (assembly/index.ts
// re-exports it whole); the beta-binomial cells are their main user.
export { lgammaDigammaDiffArray, lgammaDigammaDiffArrayScalar } from "./special";

const Y_MAX: f64 = 300.0;
const T_MAX: f64 = 30.0;
const A_MIN: f64 = 9.357622968840175e-14; // e^−30
const A_MAX: f64 = 1.0686474581524463e13; // e^30
// cellsV (see the section above it): a side whose count k+c is ≤ K_row is its head alone, a
// product of k+c factors; a larger count takes the tail past a head of CELL_SHIFT factors (x < 10)
// or none. K_row is set by the row's a so that nothing overflows: a head is P ≤ (x+K)^K, the pair
// needs Pα·Pβ ≤ ((a+2K)/2)^(2K) (α + β = a) and the cross products Nβ·Pα ≤ Pα·Pβ·(1/β + K)
// below ~1e300 (for tiny β, Pβ/β = Π_{0<i<k}(β+i) ≤ K!); a tail's shift head is ≤ 20^10.
// - a ≤ 500: K = 48, 548^96 ≈ 1e263.
// - a ≤ 1e5: K = 24, (1e5+48)^48/2^48 ≈ 1e225.
// - larger a (ρ < 1e-5): K = 10, ((1.07e13+20)/2)^20 ≈ 3e254.
// Products of up to 48 factors round like the 24-factor ones of special.ts, ~K/2 ulp.
const CELL_K_WIDE: f64 = 48.0;
const CELL_A_WIDE: f64 = 500.0;
const CELL_K: f64 = 24.0;
const CELL_A: f64 = 1e5;
const CELL_SHIFT: f64 = 10.0;
// Columns per chunk of cellsV, and its α, β and a·μ(1−μ) of a chunk.
const CELL_CHUNK: i32 = 256;
const CELL_AB: usize = memory.data(CELL_CHUNK * 24, 16);
// cellsV's queue of tails, up to two per cell of a chunk and three pads: a1, k1, the G factor and
// the loss factor (f64 arrays at these byte offsets from CELL_Q), and the column (u32).
const CELL_Q_CAP: i32 = 2 * CELL_CHUNK + 4;
const CELL_Q_K1: usize = <usize>CELL_Q_CAP << 3;
const CELL_Q_GF: usize = <usize>CELL_Q_CAP << 4;
const CELL_Q_LF: usize = <usize>CELL_Q_CAP * 24;
const CELL_Q: usize = memory.data(CELL_Q_CAP << 5, 16);
const CELL_Q_COL: usize = memory.data(CELL_Q_CAP << 2, 16);
// cellsV's sides with a head (h ≥ 1), bucketed by floor(h/4) (h ≤ CELL_K_WIDE = 48: 13 buckets).
// Side s of a chunk (α sides 0…CELL_CHUNK−1 by column, then β sides) has its x at CELL_AB + 8s,
// its h at CELL_HB_H + 8s and its bucket code at CELL_HB_B + s (0: no head, else floor(h/4) + 1);
// its P and N go to CELL_PN + 8s. Each bucket's sides are collected by scanning the codes, 16 at
// a time (no per-side counter in memory), into CELL_HB_I (u16 side numbers, padded with side
// 2·CELL_CHUNK: the spare slot, whose x and h are finite and whose P and N nobody reads).
const CELL_HB_H: usize = memory.data((2 * CELL_CHUNK + 2) * 8, 16);
const CELL_HB_B: usize = memory.data(2 * CELL_CHUNK, 16);
const CELL_HB_I: usize = memory.data((2 * CELL_CHUNK + 16) * 2, 16);
// The set bits of each byte value, in ascending order, as u16 (eight per value, padded with 0).
const CELL_HB_LUT: usize = memory.data<u16>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0,
  3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0,
  4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 0, 0, 1, 2, 4, 0, 0, 0, 0, 0, 0, 1, 2, 4, 0, 0, 0, 0,
  3, 4, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 1, 3, 4, 0, 0, 0, 0, 0, 0, 1, 3, 4, 0, 0, 0, 0, 2, 3, 4, 0, 0, 0, 0, 0, 0, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0,
  5, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0, 2, 5, 0, 0, 0, 0, 0, 0, 0, 2, 5, 0, 0, 0, 0, 0, 1, 2, 5, 0, 0, 0, 0, 0, 0, 1, 2, 5, 0, 0, 0, 0,
  3, 5, 0, 0, 0, 0, 0, 0, 0, 3, 5, 0, 0, 0, 0, 0, 1, 3, 5, 0, 0, 0, 0, 0, 0, 1, 3, 5, 0, 0, 0, 0, 2, 3, 5, 0, 0, 0, 0, 0, 0, 2, 3, 5, 0, 0, 0, 0, 1, 2, 3, 5, 0, 0, 0, 0, 0, 1, 2, 3, 5, 0, 0, 0,
  4, 5, 0, 0, 0, 0, 0, 0, 0, 4, 5, 0, 0, 0, 0, 0, 1, 4, 5, 0, 0, 0, 0, 0, 0, 1, 4, 5, 0, 0, 0, 0, 2, 4, 5, 0, 0, 0, 0, 0, 0, 2, 4, 5, 0, 0, 0, 0, 1, 2, 4, 5, 0, 0, 0, 0, 0, 1, 2, 4, 5, 0, 0, 0,
  3, 4, 5, 0, 0, 0, 0, 0, 0, 3, 4, 5, 0, 0, 0, 0, 1, 3, 4, 5, 0, 0, 0, 0, 0, 1, 3, 4, 5, 0, 0, 0, 2, 3, 4, 5, 0, 0, 0, 0, 0, 2, 3, 4, 5, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0,
  6, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 2, 6, 0, 0, 0, 0, 0, 0, 0, 2, 6, 0, 0, 0, 0, 0, 1, 2, 6, 0, 0, 0, 0, 0, 0, 1, 2, 6, 0, 0, 0, 0,
  3, 6, 0, 0, 0, 0, 0, 0, 0, 3, 6, 0, 0, 0, 0, 0, 1, 3, 6, 0, 0, 0, 0, 0, 0, 1, 3, 6, 0, 0, 0, 0, 2, 3, 6, 0, 0, 0, 0, 0, 0, 2, 3, 6, 0, 0, 0, 0, 1, 2, 3, 6, 0, 0, 0, 0, 0, 1, 2, 3, 6, 0, 0, 0,
  4, 6, 0, 0, 0, 0, 0, 0, 0, 4, 6, 0, 0, 0, 0, 0, 1, 4, 6, 0, 0, 0, 0, 0, 0, 1, 4, 6, 0, 0, 0, 0, 2, 4, 6, 0, 0, 0, 0, 0, 0, 2, 4, 6, 0, 0, 0, 0, 1, 2, 4, 6, 0, 0, 0, 0, 0, 1, 2, 4, 6, 0, 0, 0,
  3, 4, 6, 0, 0, 0, 0, 0, 0, 3, 4, 6, 0, 0, 0, 0, 1, 3, 4, 6, 0, 0, 0, 0, 0, 1, 3, 4, 6, 0, 0, 0, 2, 3, 4, 6, 0, 0, 0, 0, 0, 2, 3, 4, 6, 0, 0, 0, 1, 2, 3, 4, 6, 0, 0, 0, 0, 1, 2, 3, 4, 6, 0, 0,
  5, 6, 0, 0, 0, 0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0, 1, 5, 6, 0, 0, 0, 0, 0, 0, 1, 5, 6, 0, 0, 0, 0, 2, 5, 6, 0, 0, 0, 0, 0, 0, 2, 5, 6, 0, 0, 0, 0, 1, 2, 5, 6, 0, 0, 0, 0, 0, 1, 2, 5, 6, 0, 0, 0,
  3, 5, 6, 0, 0, 0, 0, 0, 0, 3, 5, 6, 0, 0, 0, 0, 1, 3, 5, 6, 0, 0, 0, 0, 0, 1, 3, 5, 6, 0, 0, 0, 2, 3, 5, 6, 0, 0, 0, 0, 0, 2, 3, 5, 6, 0, 0, 0, 1, 2, 3, 5, 6, 0, 0, 0, 0, 1, 2, 3, 5, 6, 0, 0,
  4, 5, 6, 0, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 1, 4, 5, 6, 0, 0, 0, 0, 0, 1, 4, 5, 6, 0, 0, 0, 2, 4, 5, 6, 0, 0, 0, 0, 0, 2, 4, 5, 6, 0, 0, 0, 1, 2, 4, 5, 6, 0, 0, 0, 0, 1, 2, 4, 5, 6, 0, 0,
  3, 4, 5, 6, 0, 0, 0, 0, 0, 3, 4, 5, 6, 0, 0, 0, 1, 3, 4, 5, 6, 0, 0, 0, 0, 1, 3, 4, 5, 6, 0, 0, 2, 3, 4, 5, 6, 0, 0, 0, 0, 2, 3, 4, 5, 6, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0,
  7, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 1, 7, 0, 0, 0, 0, 0, 0, 0, 1, 7, 0, 0, 0, 0, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0, 2, 7, 0, 0, 0, 0, 0, 1, 2, 7, 0, 0, 0, 0, 0, 0, 1, 2, 7, 0, 0, 0, 0,
  3, 7, 0, 0, 0, 0, 0, 0, 0, 3, 7, 0, 0, 0, 0, 0, 1, 3, 7, 0, 0, 0, 0, 0, 0, 1, 3, 7, 0, 0, 0, 0, 2, 3, 7, 0, 0, 0, 0, 0, 0, 2, 3, 7, 0, 0, 0, 0, 1, 2, 3, 7, 0, 0, 0, 0, 0, 1, 2, 3, 7, 0, 0, 0,
  4, 7, 0, 0, 0, 0, 0, 0, 0, 4, 7, 0, 0, 0, 0, 0, 1, 4, 7, 0, 0, 0, 0, 0, 0, 1, 4, 7, 0, 0, 0, 0, 2, 4, 7, 0, 0, 0, 0, 0, 0, 2, 4, 7, 0, 0, 0, 0, 1, 2, 4, 7, 0, 0, 0, 0, 0, 1, 2, 4, 7, 0, 0, 0,
  3, 4, 7, 0, 0, 0, 0, 0, 0, 3, 4, 7, 0, 0, 0, 0, 1, 3, 4, 7, 0, 0, 0, 0, 0, 1, 3, 4, 7, 0, 0, 0, 2, 3, 4, 7, 0, 0, 0, 0, 0, 2, 3, 4, 7, 0, 0, 0, 1, 2, 3, 4, 7, 0, 0, 0, 0, 1, 2, 3, 4, 7, 0, 0,
  5, 7, 0, 0, 0, 0, 0, 0, 0, 5, 7, 0, 0, 0, 0, 0, 1, 5, 7, 0, 0, 0, 0, 0, 0, 1, 5, 7, 0, 0, 0, 0, 2, 5, 7, 0, 0, 0, 0, 0, 0, 2, 5, 7, 0, 0, 0, 0, 1, 2, 5, 7, 0, 0, 0, 0, 0, 1, 2, 5, 7, 0, 0, 0,
  3, 5, 7, 0, 0, 0, 0, 0, 0, 3, 5, 7, 0, 0, 0, 0, 1, 3, 5, 7, 0, 0, 0, 0, 0, 1, 3, 5, 7, 0, 0, 0, 2, 3, 5, 7, 0, 0, 0, 0, 0, 2, 3, 5, 7, 0, 0, 0, 1, 2, 3, 5, 7, 0, 0, 0, 0, 1, 2, 3, 5, 7, 0, 0,
  4, 5, 7, 0, 0, 0, 0, 0, 0, 4, 5, 7, 0, 0, 0, 0, 1, 4, 5, 7, 0, 0, 0, 0, 0, 1, 4, 5, 7, 0, 0, 0, 2, 4, 5, 7, 0, 0, 0, 0, 0, 2, 4, 5, 7, 0, 0, 0, 1, 2, 4, 5, 7, 0, 0, 0, 0, 1, 2, 4, 5, 7, 0, 0,
  3, 4, 5, 7, 0, 0, 0, 0, 0, 3, 4, 5, 7, 0, 0, 0, 1, 3, 4, 5, 7, 0, 0, 0, 0, 1, 3, 4, 5, 7, 0, 0, 2, 3, 4, 5, 7, 0, 0, 0, 0, 2, 3, 4, 5, 7, 0, 0, 1, 2, 3, 4, 5, 7, 0, 0, 0, 1, 2, 3, 4, 5, 7, 0,
  6, 7, 0, 0, 0, 0, 0, 0, 0, 6, 7, 0, 0, 0, 0, 0, 1, 6, 7, 0, 0, 0, 0, 0, 0, 1, 6, 7, 0, 0, 0, 0, 2, 6, 7, 0, 0, 0, 0, 0, 0, 2, 6, 7, 0, 0, 0, 0, 1, 2, 6, 7, 0, 0, 0, 0, 0, 1, 2, 6, 7, 0, 0, 0,
  3, 6, 7, 0, 0, 0, 0, 0, 0, 3, 6, 7, 0, 0, 0, 0, 1, 3, 6, 7, 0, 0, 0, 0, 0, 1, 3, 6, 7, 0, 0, 0, 2, 3, 6, 7, 0, 0, 0, 0, 0, 2, 3, 6, 7, 0, 0, 0, 1, 2, 3, 6, 7, 0, 0, 0, 0, 1, 2, 3, 6, 7, 0, 0,
  4, 6, 7, 0, 0, 0, 0, 0, 0, 4, 6, 7, 0, 0, 0, 0, 1, 4, 6, 7, 0, 0, 0, 0, 0, 1, 4, 6, 7, 0, 0, 0, 2, 4, 6, 7, 0, 0, 0, 0, 0, 2, 4, 6, 7, 0, 0, 0, 1, 2, 4, 6, 7, 0, 0, 0, 0, 1, 2, 4, 6, 7, 0, 0,
  3, 4, 6, 7, 0, 0, 0, 0, 0, 3, 4, 6, 7, 0, 0, 0, 1, 3, 4, 6, 7, 0, 0, 0, 0, 1, 3, 4, 6, 7, 0, 0, 2, 3, 4, 6, 7, 0, 0, 0, 0, 2, 3, 4, 6, 7, 0, 0, 1, 2, 3, 4, 6, 7, 0, 0, 0, 1, 2, 3, 4, 6, 7, 0,
  5, 6, 7, 0, 0, 0, 0, 0, 0, 5, 6, 7, 0, 0, 0, 0, 1, 5, 6, 7, 0, 0, 0, 0, 0, 1, 5, 6, 7, 0, 0, 0, 2, 5, 6, 7, 0, 0, 0, 0, 0, 2, 5, 6, 7, 0, 0, 0, 1, 2, 5, 6, 7, 0, 0, 0, 0, 1, 2, 5, 6, 7, 0, 0,
  3, 5, 6, 7, 0, 0, 0, 0, 0, 3, 5, 6, 7, 0, 0, 0, 1, 3, 5, 6, 7, 0, 0, 0, 0, 1, 3, 5, 6, 7, 0, 0, 2, 3, 5, 6, 7, 0, 0, 0, 0, 2, 3, 5, 6, 7, 0, 0, 1, 2, 3, 5, 6, 7, 0, 0, 0, 1, 2, 3, 5, 6, 7, 0,
  4, 5, 6, 7, 0, 0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 1, 4, 5, 6, 7, 0, 0, 0, 0, 1, 4, 5, 6, 7, 0, 0, 2, 4, 5, 6, 7, 0, 0, 0, 0, 2, 4, 5, 6, 7, 0, 0, 1, 2, 4, 5, 6, 7, 0, 0, 0, 1, 2, 4, 5, 6, 7, 0,
  3, 4, 5, 6, 7, 0, 0, 0, 0, 3, 4, 5, 6, 7, 0, 0, 1, 3, 4, 5, 6, 7, 0, 0, 0, 1, 3, 4, 5, 6, 7, 0, 2, 3, 4, 5, 6, 7, 0, 0, 0, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 1, 2, 3, 4, 5, 6, 7,
], 16);
const CELL_PN_N: usize = <usize>(2 * CELL_CHUNK + 2) << 3;
const CELL_PN: usize = memory.data((2 * CELL_CHUNK + 2) * 16, 16);
/** The reference's ridge on logit ρ in the ρ fit: 1e-4·t². */
const RHO_PENALTY: f64 = 1e-4;

@inline function clampA(a: f64): f64 {
  return min(max(a, A_MIN), A_MAX);
}

@inline function rowOf(pIdx: usize, r: i32): usize {
  return pIdx ? <usize>load<u32>(pIdx + (<usize>r << 2)) : <usize>r;
}

// μ and 1−μ from y (already clamped): e = e^−|y|, 1/(1+e) is the larger of the two, e/(1+e) the
// smaller; both keep full relative accuracy in the tails.
@inline function muS(y: f64): f64 {
  const e = expS(-abs(y));
  return y >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

@inline function omuS(y: f64): f64 {
  const e = expS(-abs(y));
  return y >= 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
}

@inline function clampY(y: f64): f64 {
  return min(max(y, -Y_MAX), Y_MAX);
}

@inline function clampYV(y: v128): v128 {
  return f64x2.pmin(f64x2.pmax(y, splat(-Y_MAX)), splat(Y_MAX));
}

// 1 − μ of the last muPairV call.
const OMU_V: usize = memory.data(16, 16);

/** μ = sigmoid(y) of a pair, y clamped to ±300 (see muS); leaves 1 − μ at OMU_V. */
@inline function muPairV(yRaw: v128): v128 {
  const y = clampYV(yRaw);
  const one = splat(1.0);
  const e = expV(f64x2.neg(f64x2.abs(y)));
  const inv = f64x2.div(one, f64x2.add(one, e));
  const em = f64x2.mul(e, inv);
  const pos = f64x2.ge(y, splat(0.0));
  v128.store(OMU_V, select(em, inv, pos));
  return select(inv, em, pos);
}

// ---------------------------------------------------------------------------------------------
// Truncated loss and its gradient in y

/**
 * The fused cell kernel: truncated beta-binomial loss and its gradient in y over a block of
 * `rows` junctions × `cols` samples (junction-major, see the file header).
 *
 *   ℓ_ri = −Δlnγ(α, k+c) − Δlnγ(β, m+c)             (= lnΓ(α)+lnΓ(β)−lnΓ(α+k+c)−lnΓ(β+m+c))
 *   ∂ℓ/∂y = a·μ(1−μ)·[Δψ(β, m+c) − Δψ(α, k+c)]
 *   G[r,i] = scale·w·∂ℓ/∂y,  returns scale·Σ w·ℓ over the block
 *
 * pIdx    u32[rows] junction of each row, or 0 for rows 0..rows−1
 * pY      f64, row r at pY + r·ldy: y without b (b_j is added when pB ≠ 0)
 * pK, pN  u32 counts, junction j's row at p + j·ldk (ldk in elements)
 * pA      f64[J] a_j = (1−ρ_j)/ρ_j (clamped to [e^−30, e^30] here); pB f64[J] or 0
 * c       likelihood pseudocount ≥ 0
 * pW      f64 weights, junction j's row at pW + j·ldw, or 0 for w = 1
 * scale   factor on the loss sum and G (1/(N·J) for the mean over all cells)
 * pG      f64 output, row r at pG + r·ldg; may be pY (in place); 0 for the loss alone
 * pRowLoss, pRowGrad   f64[rows] outputs (or 0): scale·Σ_i w·ℓ and Σ_i G of each row
 */
export function fraserCells(
  rows: i32, cols: i32, pIdx: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pA: usize, pB: usize, c: f64, pW: usize, ldw: i32, scale: f64, pG: usize, ldg: i32,
  pRowLoss: usize, pRowGrad: usize,
): f64 {
  if (ASC_FEATURE_SIMD) {
    return cellsV(rows, cols, pIdx, pY, ldy, pK, pN, ldk, pA, pB, c, pW, ldw, scale, pG, ldg, pRowLoss, pRowGrad);
  }
  return cellsS(rows, cols, pIdx, pY, ldy, pK, pN, ldk, pA, pB, c, pW, ldw, scale, pG, ldg, pRowLoss, pRowGrad);
}

export function fraserCellsScalar(
  rows: i32, cols: i32, pIdx: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pA: usize, pB: usize, c: f64, pW: usize, ldw: i32, scale: f64, pG: usize, ldg: i32,
  pRowLoss: usize, pRowGrad: usize,
): f64 {
  return cellsS(rows, cols, pIdx, pY, ldy, pK, pN, ldk, pA, pB, c, pW, ldw, scale, pG, ldg, pRowLoss, pRowGrad);
}

function cellsS(
  rows: i32, cols: i32, pIdx: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pA: usize, pB: usize, c: f64, pW: usize, ldw: i32, scale: f64, pG: usize, ldg: i32,
  pRowLoss: usize, pRowGrad: usize,
): f64 {
  const intC = floor(c) == c;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const j = rowOf(pIdx, r);
    const a = clampA(load<f64>(pA + (j << 3)));
    const b = pB ? load<f64>(pB + (j << 3)) : 0.0;
    const yRow = pY + ((<usize>r * <usize>ldy) << 3);
    const gRow = pG + ((<usize>r * <usize>ldg) << 3);
    const kRow = pK + ((j * <usize>ldk) << 2);
    const nRow = pN + ((j * <usize>ldk) << 2);
    const wRow: usize = pW ? pW + ((j * <usize>ldw) << 3) : 0;
    let lsum: f64 = 0;
    let gsum: f64 = 0;
    for (let i = 0; i < cols; i++) {
      const y = clampY(load<f64>(yRow + (<usize>i << 3)) + b);
      const kk = <f64>load<u32>(kRow + (<usize>i << 2));
      const nn = <f64>load<u32>(nRow + (<usize>i << 2));
      let loss: f64 = 0;
      let g: f64 = 0;
      if (nn != 0) {
        const mu = muS(y);
        const omu = omuS(y);
        const alpha = mu * a;
        const beta = omu * a;
        const kc = kk + c;
        const mc = nn - kk + c;
        let da: f64, db: f64;
        if (intC) {
          const la = lgammaDigammaDiffS(alpha, kc);
          da = lastDigammaDiffS();
          const lb = lgammaDigammaDiffS(beta, mc);
          db = lastDigammaDiffS();
          loss = -(la + lb);
        } else {
          loss = lgammaS(alpha) - lgammaS(alpha + kc) + lgammaS(beta) - lgammaS(beta + mc);
          da = digammaS(alpha + kc) - digammaS(alpha);
          db = digammaS(beta + mc) - digammaS(beta);
        }
        g = a * mu * omu * (db - da);
        if (wRow) {
          const w = load<f64>(wRow + (<usize>i << 3));
          loss *= w;
          g *= w;
        }
        loss *= scale;
        g *= scale;
      }
      if (pG) store<f64>(gRow + (<usize>i << 3), g); // pG = 0: the loss alone
      lsum += loss;
      gsum += g;
    }
    if (pRowLoss) store<f64>(pRowLoss + (<usize>r << 3), lsum);
    if (pRowGrad) store<f64>(pRowGrad + (<usize>r << 3), gsum);
    total += lsum;
  }
  return total;
}

// Loads two u32 counts (or one, into both lanes, for an odd last column) as f64x2.
@inline function countsV(p: usize, full: bool): v128 {
  return f64x2.convert_low_i32x4_u(full ? v128.load64_zero(p) : v128.load32_splat(p));
}

@inline function f64sV(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load64_splat(p);
}

// Head products of four sides for cellsV: P = Π_{i<h}(x+i) and N = P·Σ_{i<h} 1/(x+i) (so
// Δlnγ(x,h) = ln P, Δψ(x,h) = N/P) of (x1, h1) and (x2, h2), h integers ≥ 0 with
// floor(h/4) = quads in every lane (the sides come bucketed by floor(h/4), see cellsV), as two
// independent chains over quads of factors: t(t+1)(t+2)(t+3) = u(u+2) with u = t(t+3), whose
// derivative in t is (2u+2)(2t+3). The quads run without masks; the h mod 4 factors left of each
// lane follow as a pair (q = t² + t, q′ = 2t+1) and a single factor, masked per lane (multiply by
// 1, add 0). Leaves P1, N1, P2, N2 at CELL_HEAD_V.
const CELL_HEAD_V: usize = memory.data(64, 16);

/** a where mask, else b; mask lanes all ones or all zeros (one blend with relaxed SIMD). */
@inline function blendV(a: v128, b: v128, mask: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i64x2.relaxed_laneselect(a, b, mask);
  } else {
    return v128.bitselect(a, b, mask);
  }
}

@inline function cellHeads2V(x1: v128, h1: v128, x2: v128, h2: v128, quads: i32): void {
  const one = splat(1.0);
  const two = splat(2.0);
  const three = splat(3.0);
  const four = splat(4.0);
  let p1 = one, n1 = splat(0.0), t1 = x1;
  let p2 = one, n2 = splat(0.0), t2 = x2;
  for (let i = 0; i < quads; i++) {
    const u1 = f64x2.mul(t1, f64x2.add(t1, three));
    const u2 = f64x2.mul(t2, f64x2.add(t2, three));
    const v1 = f64x2.add(u1, two);
    const v2 = f64x2.add(u2, two);
    const q1 = f64x2.mul(u1, v1);
    const q2 = f64x2.mul(u2, v2);
    const d1 = f64x2.mul(f64x2.add(u1, v1), fmaV(t1, two, three));
    const d2 = f64x2.mul(f64x2.add(u2, v2), fmaV(t2, two, three));
    n1 = fmaV(n1, q1, f64x2.mul(p1, d1));
    n2 = fmaV(n2, q2, f64x2.mul(p2, d2));
    p1 = f64x2.mul(p1, q1);
    p2 = f64x2.mul(p2, q2);
    t1 = f64x2.add(t1, four);
    t2 = f64x2.add(t2, four);
  }
  // The h mod 4 factors left: a pair from x + h − (h mod 4) where h mod 4 ≥ 2, then x+h−1 where h is odd.
  const quarter = splat(0.25);
  const half = splat(0.5);
  const r1 = f64x2.sub(h1, f64x2.mul(f64x2.floor(f64x2.mul(h1, quarter)), four));
  const r2 = f64x2.sub(h2, f64x2.mul(f64x2.floor(f64x2.mul(h2, quarter)), four));
  const w1 = f64x2.ge(r1, two);
  const w2 = f64x2.ge(r2, two);
  const s1 = f64x2.add(x1, f64x2.sub(h1, r1));
  const s2 = f64x2.add(x2, f64x2.sub(h2, r2));
  const q1 = blendV(fmaV(s1, s1, s1), one, w1);
  const q2 = blendV(fmaV(s2, s2, s2), one, w2);
  n1 = fmaV(n1, q1, v128.and(f64x2.mul(p1, fmaV(s1, two, one)), w1));
  n2 = fmaV(n2, q2, v128.and(f64x2.mul(p2, fmaV(s2, two, one)), w2));
  p1 = f64x2.mul(p1, q1);
  p2 = f64x2.mul(p2, q2);
  const hh1 = f64x2.mul(h1, half);
  const hh2 = f64x2.mul(h2, half);
  const o1 = f64x2.ne(f64x2.floor(hh1), hh1);
  const o2 = f64x2.ne(f64x2.floor(hh2), hh2);
  const e1 = blendV(f64x2.add(x1, f64x2.sub(h1, one)), one, o1);
  const e2 = blendV(f64x2.add(x2, f64x2.sub(h2, one)), one, o2);
  v128.store(CELL_HEAD_V, f64x2.mul(p1, e1));
  v128.store(CELL_HEAD_V, fmaV(n1, e1, v128.and(p1, o1)), 16);
  v128.store(CELL_HEAD_V, f64x2.mul(p2, e2), 32);
  v128.store(CELL_HEAD_V, fmaV(n2, e2, v128.and(p2, o2)), 48);
}

// Δψ of the last cellTailV call.
const CELL_TAIL_V: usize = memory.data(16, 16);

/**
 * The tail of a side past its head (cellsV): from a1 = x+h over k1 = k−h to n = x+k, by the
 * shifted Stirling series as in lgammaDigammaDiffS (log1p(k1/a1) keeps its accuracy for k1 ≪ a1).
 * The same terms as rhoTailV without its ψ′ difference, which the cells do not need (two fewer
 * series per tail):
 * returns Δlnγ(a1, k1) and leaves Δψ(a1, k1) at CELL_TAIL_V. ia = 1/a1, inn = 1/n, logN = ln n.
 * Lanes without a tail pass k1 = 0 and a1 = n = ia = inn = 1, and get exactly 0 for both.
 */
@inline function cellTailV(a1: v128, k1: v128, ia: v128, inn: v128, logN: v128): v128 {
  const one = splat(1.0);
  const half = splat(0.5);
  const wa = f64x2.mul(ia, ia);
  const wn = f64x2.mul(inn, inn);
  // log1p(k1/a1) with one logarithm: 1/(1+u) = a1/n = a1·inn for the rounding correction.
  const u = f64x2.mul(k1, ia);
  const w = f64x2.add(one, u);
  const l1p = fmaV(f64x2.sub(u, f64x2.sub(w, one)), f64x2.mul(a1, inn), logCoreV(w));
  const dT = f64x2.sub(f64x2.mul(wn, digammaStirlingV(wn)), f64x2.mul(wa, digammaStirlingV(wa)));
  v128.store(CELL_TAIL_V, f64x2.sub(fmaV(f64x2.mul(half, k1), f64x2.mul(ia, inn), l1p), dT));
  const S = f64x2.sub(f64x2.mul(inn, lgammaStirlingV(wn)), f64x2.mul(ia, lgammaStirlingV(wa)));
  return f64x2.add(fmaV(f64x2.sub(a1, half), l1p, f64x2.mul(k1, f64x2.sub(logN, one))), S);
}

function cellsV(
  rows: i32, cols: i32, pIdx: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pA: usize, pB: usize, c: f64, pW: usize, ldw: i32, scale: f64, pG: usize, ldg: i32,
  pRowLoss: usize, pRowGrad: usize,
): f64 {
  const intC = floor(c) == c;
  // pG = 0: the loss alone (no Δψ, no division on the head path, nothing stored per cell).
  const wantG = pG != 0;
  const cv = splat(c);
  const zero = splat(0.0);
  const one = splat(1.0);
  const shift = splat(CELL_SHIFT);
  const quarter = splat(0.25);
  const sv = splat(scale);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const j = rowOf(pIdx, r);
    const a = clampA(load<f64>(pA + (j << 3)));
    const av = splat(a);
    const bv = splat(pB ? load<f64>(pB + (j << 3)) : 0.0);
    const kRowMax = splat(a <= CELL_A_WIDE ? CELL_K_WIDE : a <= CELL_A ? CELL_K : CELL_SHIFT);
    const yRow = pY + ((<usize>r * <usize>ldy) << 3);
    const gRow = pG + ((<usize>r * <usize>ldg) << 3);
    const kRow = pK + ((j * <usize>ldk) << 2);
    const nRow = pN + ((j * <usize>ldk) << 2);
    const wRow: usize = pW ? pW + ((j * <usize>ldw) << 3) : 0;
    let lsum = zero;
    let gsum = zero;
    let pacc = one;
    let eacc = i64x2.splat(0);
    // The row goes in chunks of CELL_CHUNK columns, each in loops whose bodies are short and
    // independent from one pair of cells to the next: α, β and a·μ(1−μ) of every cell (an exp and
    // a division); with integer c, the head products of every side, bucketed by length and four
    // at a time (see cellHeads2V); the cells (one division per pair of cells for the heads'
    // Δψ), queueing the sides whose count exceeds K_row (see CELL_K_WIDE); the queued tails,
    // four at a time.
    // The odd last column runs through the same vector code (both lanes hold it; lane 1 is
    // dropped), so a value never depends on the row length.
    for (let c0 = 0; c0 < cols; c0 += CELL_CHUNK) {
      const c1 = min(c0 + CELL_CHUNK, cols);
      for (let i = c0; i < c1; i += 2) {
        const full = i + 1 < cols;
        // Sparse tables: the second loop skips pairs of n = 0 cells, and so does this one.
        const on = nRow + (<usize>i << 2);
        if ((full ? load<u64>(on) : <u64>load<u32>(on)) == 0) continue;
        const s8 = <usize>(i - c0) << 3;
        // μ and 1 − μ as in muS, omuS.
        const y = clampYV(f64x2.add(f64sV(yRow + (<usize>i << 3), full), bv));
        const e = expV(f64x2.neg(f64x2.abs(y)));
        const inv = f64x2.div(one, f64x2.add(one, e));
        const em = f64x2.mul(e, inv);
        const pos = f64x2.ge(y, zero);
        v128.store(CELL_AB + s8, f64x2.mul(select(inv, em, pos), av));
        v128.store(CELL_AB + s8, f64x2.mul(select(em, inv, pos), av), CELL_CHUNK << 3);
        // a·μ(1−μ) = a·e/(1+e)² for G.
        v128.store(CELL_AB + s8, f64x2.mul(f64x2.mul(em, inv), av), CELL_CHUNK << 4);
      }
      if (intC) {
        // The heads: every side with h ≥ 1 goes to the bucket of floor(h/4), then each bucket
        // runs four sides at a time with the same number of quads and no masked quad (cells
        // paired as they come would run all four sides of a pair to the largest h).
        // A short chunk: no codes past its columns.
        if (c1 - c0 < CELL_CHUNK) memory.fill(CELL_HB_B, 0, 2 * CELL_CHUNK);
        for (let i = c0; i < c1; i += 2) {
          const full = i + 1 < cols;
          const o4 = <usize>i << 2;
          const s8 = <usize>(i - c0) << 3;
          const nn = countsV(nRow + o4, full);
          const live = f64x2.ne(nn, zero);
          if (!anyTrue(live)) {
            store<u16>(CELL_HB_B + <usize>(i - c0), 0);
            store<u16>(CELL_HB_B + <usize>(i - c0), 0, CELL_CHUNK);
            continue;
          }
          const counted = full ? live : i64x2.replace_lane(live, 1, 0);
          const kk = countsV(kRow + o4, full);
          const alpha = v128.load(CELL_AB + s8);
          const beta = v128.load(CELL_AB + s8, CELL_CHUNK << 3);
          const kc = f64x2.add(kk, cv);
          const mc = f64x2.add(f64x2.sub(nn, kk), cv);
          // h as in the loop below; 0 (P = 1, N = 0) for cells not counted.
          const ha = v128.and(select(kc, v128.and(shift, f64x2.lt(alpha, shift)), f64x2.le(kc, kRowMax)), counted);
          const hb = v128.and(select(mc, v128.and(shift, f64x2.lt(beta, shift)), f64x2.le(mc, kRowMax)), counted);
          v128.store(CELL_PN + s8, one);
          v128.store(CELL_PN + s8, one, CELL_CHUNK << 3);
          v128.store(CELL_PN + s8, zero, CELL_PN_N);
          v128.store(CELL_PN + s8, zero, CELL_PN_N + (CELL_CHUNK << 3));
          v128.store(CELL_HB_H + s8, ha);
          v128.store(CELL_HB_H + s8, hb, CELL_CHUNK << 3);
          // Bucket codes: floor(h/4) + 1 where h ≥ 1, else 0.
          const ca = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.mul(ha, quarter), v128.and(one, f64x2.ne(ha, zero))));
          const cb = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.mul(hb, quarter), v128.and(one, f64x2.ne(hb, zero))));
          const c16 = i16x8.narrow_i32x4_u(v128.shuffle<i32>(ca, cb, 0, 1, 4, 5), zero);
          const c8 = i8x16.narrow_i16x8_u(c16, c16);
          v128.store16_lane(CELL_HB_B + <usize>(i - c0), c8, 0);
          v128.store16_lane(CELL_HB_B + <usize>(i - c0), c8, 1, CELL_CHUNK);
        }
        // The highest code present.
        let cmax = i8x16.splat(0);
        for (let w = 0; w < 2 * CELL_CHUNK; w += 16) cmax = i8x16.max_u(cmax, v128.load(CELL_HB_B + <usize>w));
        cmax = i8x16.max_u(cmax, v128.shuffle<u8>(cmax, cmax, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
        cmax = i8x16.max_u(cmax, v128.shuffle<u8>(cmax, cmax, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
        cmax = i8x16.max_u(cmax, v128.shuffle<u8>(cmax, cmax, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1));
        cmax = i8x16.max_u(cmax, v128.shuffle<u8>(cmax, cmax, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0));
        const bEnd = <i32>i8x16.extract_lane_u(cmax, 0);
        for (let b = 0; b < bEnd; b++) {
          const code = i8x16.splat(<i8>(b + 1));
          let cnt = 0;
          for (let w = 0; w < 2 * CELL_CHUNK; w += 16) {
            // Without a branch per side: each byte of the mask's set bits from the table.
            const m = i8x16.bitmask(i8x16.eq(v128.load(CELL_HB_B + <usize>w), code));
            const lo = m & 0xFF;
            const hi = m >>> 8;
            v128.store(CELL_HB_I + (<usize>cnt << 1), i16x8.add(v128.load(CELL_HB_LUT + (<usize>lo << 4)), i16x8.splat(<i16>w)));
            cnt += popcnt(lo);
            v128.store(CELL_HB_I + (<usize>cnt << 1), i16x8.add(v128.load(CELL_HB_LUT + (<usize>hi << 4)), i16x8.splat(<i16>(w + 8))));
            cnt += popcnt(hi);
          }
          if (cnt == 0) continue;
          // Pads up to a multiple of four: the spare side.
          store<u16>(CELL_HB_I + (<usize>cnt << 1), <u16>(2 * CELL_CHUNK));
          store<u16>(CELL_HB_I + (<usize>cnt << 1), <u16>(2 * CELL_CHUNK), 2);
          store<u16>(CELL_HB_I + (<usize>cnt << 1), <u16>(2 * CELL_CHUNK), 4);
          for (let q = 0; q < cnt; q += 4) {
            const oi = CELL_HB_I + (<usize>q << 1);
            const s0 = <usize>load<u16>(oi) << 3;
            const s1 = <usize>load<u16>(oi, 2) << 3;
            const s2 = <usize>load<u16>(oi, 4) << 3;
            const s3 = <usize>load<u16>(oi, 6) << 3;
            const x1 = v128.load64_lane(CELL_AB + s1, v128.load64_zero(CELL_AB + s0), 1);
            const h1 = v128.load64_lane(CELL_HB_H + s1, v128.load64_zero(CELL_HB_H + s0), 1);
            const x2 = v128.load64_lane(CELL_AB + s3, v128.load64_zero(CELL_AB + s2), 1);
            const h2 = v128.load64_lane(CELL_HB_H + s3, v128.load64_zero(CELL_HB_H + s2), 1);
            cellHeads2V(x1, h1, x2, h2, b);
            const p1 = v128.load(CELL_HEAD_V);
            const n1 = v128.load(CELL_HEAD_V, 16);
            const p2 = v128.load(CELL_HEAD_V, 32);
            const n2 = v128.load(CELL_HEAD_V, 48);
            v128.store64_lane(CELL_PN + s0, p1, 0);
            v128.store64_lane(CELL_PN + s0, n1, 0, CELL_PN_N);
            v128.store64_lane(CELL_PN + s1, p1, 1);
            v128.store64_lane(CELL_PN + s1, n1, 1, CELL_PN_N);
            v128.store64_lane(CELL_PN + s2, p2, 0);
            v128.store64_lane(CELL_PN + s2, n2, 0, CELL_PN_N);
            v128.store64_lane(CELL_PN + s3, p2, 1);
            v128.store64_lane(CELL_PN + s3, n2, 1, CELL_PN_N);
          }
        }
      }
      let nq = 0;
      for (let i = c0; i < c1; i += 2) {
        const full = i + 1 < cols;
        const o8 = <usize>i << 3;
        const o4 = <usize>i << 2;
        const s8 = <usize>(i - c0) << 3;
        const kk = countsV(kRow + o4, full);
        const nn = countsV(nRow + o4, full);
        const live = f64x2.ne(nn, zero);
        // Sparse tables: a pair of n = 0 cells costs two loads and a store.
        if (!anyTrue(live)) {
          if (!wantG) continue;
          if (full) v128.store(gRow + o8, zero);
          else store<f64>(gRow + o8, 0.0);
          continue;
        }
        // Cells with n = 0 and the duplicate lane of an odd last column.
        const counted = full ? live : i64x2.replace_lane(live, 1, 0);
        const alpha = v128.load(CELL_AB + s8);
        const beta = v128.load(CELL_AB + s8, CELL_CHUNK << 3);
        const kc = f64x2.add(kk, cv);
        const mc = f64x2.add(f64x2.sub(nn, kk), cv);
        // Scale, weight and a·μ(1−μ): G = gf·(Δψβ − Δψα).
        let sw = sv;
        if (wRow) sw = f64x2.mul(sv, f64sV(wRow + o8, full));
        const gf = f64x2.mul(v128.load(CELL_AB + s8, CELL_CHUNK << 4), sw);
        let loss: v128, g: v128;
        if (intC) {
          // Per lane and side: counts ≤ K_row are the head alone (h = k); larger counts a head of
          // the shift (h = 10 where x < 10, else 0), queued with the tail past it.
          const hdA = f64x2.le(kc, kRowMax);
          const hdB = f64x2.le(mc, kRowMax);
          const ha = select(kc, v128.and(shift, f64x2.lt(alpha, shift)), hdA);
          const hb = select(mc, v128.and(shift, f64x2.lt(beta, shift)), hdB);
          const pa = v128.load(CELL_PN + s8);
          const pb = v128.load(CELL_PN + s8, CELL_CHUNK << 3);
          const pab = f64x2.mul(pa, pb);
          // Δψβ − Δψα of the heads = (Nβ·Pα − Nα·Pβ)/(Pα·Pβ): one division per pair of cells.
          g = wantG ? f64x2.mul(gf, f64x2.div(fnmaV(v128.load(CELL_PN + s8, CELL_PN_N), pb, f64x2.mul(v128.load(CELL_PN + s8, CELL_PN_N + (CELL_CHUNK << 3)), pa)), pab)) : zero;
          if (wRow) {
            loss = f64x2.mul(f64x2.neg(logCoreV(pab)), sw);
          } else {
            // Unweighted rows need only Σ ln(Pα·Pβ): the products are multiplied into pacc,
            // kept in [1, 2) by moving its binary exponent into eacc, and logged once per row.
            loss = zero;
            pacc = f64x2.mul(pacc, select(pab, one, counted));
            eacc = i64x2.add(eacc, i64x2.sub(i64x2.shr_u(pacc, 52), i64x2.splat(1023)));
            pacc = v128.or(v128.and(pacc, i64x2.splat(0x000FFFFFFFFFFFFF)), i64x2.splat(0x3FF0000000000000));
          }
          const tla = v128.andnot(counted, hdA);
          const tlb = v128.andnot(counted, hdB);
          if (anyTrue(v128.or(tla, tlb))) {
            // Queue the tails: a1 = x+h, k1 = k−h, the factors of Δlnγ and Δψ in the loss and G,
            // and the column. Every lane is written; the count moves on where a lane has a tail.
            const k1a = f64x2.sub(kc, ha);
            const k1b = f64x2.sub(mc, hb);
            const a1a = f64x2.add(alpha, ha);
            const a1b = f64x2.add(beta, hb);
            const ngf = f64x2.neg(gf);
            nq = queueTail(nq, a1a, k1a, ngf, sw, i, 0, i64x2.extract_lane(tla, 0));
            nq = queueTail(nq, a1a, k1a, ngf, sw, i, 1, i64x2.extract_lane(tla, 1));
            nq = queueTail(nq, a1b, k1b, gf, sw, i, 0, i64x2.extract_lane(tlb, 0));
            nq = queueTail(nq, a1b, k1b, gf, sw, i, 1, i64x2.extract_lane(tlb, 1));
          }
        } else {
          const ak = f64x2.add(alpha, kc);
          const bm = f64x2.add(beta, mc);
          loss = f64x2.mul(f64x2.add(f64x2.sub(lgammaV(alpha), lgammaV(ak)), f64x2.sub(lgammaV(beta), lgammaV(bm))), sw);
          g = f64x2.mul(gf, f64x2.sub(f64x2.sub(digammaV(bm), digammaV(beta)), f64x2.sub(digammaV(ak), digammaV(alpha))));
        }
        loss = v128.and(loss, counted);
        lsum = f64x2.add(lsum, loss);
        if (!wantG) continue;
        g = v128.and(g, live);
        if (full) {
          v128.store(gRow + o8, g);
        } else {
          store<f64>(gRow + o8, f64x2.extract_lane(g, 0));
          g = f64x2.replace_lane(g, 1, 0.0);
        }
        gsum = f64x2.add(gsum, g);
      }
      if (nq == 0) continue;
      // The queued tails, four at a time in two independent halves; the count is padded to a
      // multiple of four with empty tails (k1 = 0, a1 = 1: exactly 0, factors 0) that store nothing.
      for (let q = nq; q < nq + 3; q++) {
        const o = CELL_Q + (<usize>q << 3);
        store<f64>(o, 1.0);
        store<f64>(o, 0.0, CELL_Q_K1);
        store<f64>(o, 0.0, CELL_Q_GF);
        store<f64>(o, 0.0, CELL_Q_LF);
      }
      for (let q = 0; q < nq; q += 4) {
        const o = CELL_Q + (<usize>q << 3);
        const a1 = v128.load(o);
        const a2 = v128.load(o, 16);
        const k1 = v128.load(o, CELL_Q_K1);
        const k2 = v128.load(o, CELL_Q_K1 + 16);
        const n1 = f64x2.add(a1, k1);
        const n2 = f64x2.add(a2, k2);
        // 1/a1 and 1/n from one division.
        const d1 = f64x2.div(one, f64x2.mul(a1, n1));
        const d2 = f64x2.div(one, f64x2.mul(a2, n2));
        const lg1 = cellTailV(a1, k1, f64x2.mul(n1, d1), f64x2.mul(a1, d1), logCoreV(n1));
        const dg1 = v128.load(CELL_TAIL_V);
        const lg2 = cellTailV(a2, k2, f64x2.mul(n2, d2), f64x2.mul(a2, d2), logCoreV(n2));
        lsum = fnmaV(v128.load(o, CELL_Q_LF), lg1, fnmaV(v128.load(o, CELL_Q_LF + 16), lg2, lsum));
        if (!wantG) continue;
        const gt1 = f64x2.mul(v128.load(o, CELL_Q_GF), dg1);
        const gt2 = f64x2.mul(v128.load(o, CELL_Q_GF + 16), v128.load(CELL_TAIL_V));
        gsum = f64x2.add(gsum, f64x2.add(gt1, gt2));
        const oc = CELL_Q_COL + (<usize>q << 2);
        const g0 = gRow + (<usize>load<u32>(oc) << 3);
        store<f64>(g0, load<f64>(g0) + f64x2.extract_lane(gt1, 0));
        if (q + 1 < nq) {
          const g1 = gRow + (<usize>load<u32>(oc, 4) << 3);
          store<f64>(g1, load<f64>(g1) + f64x2.extract_lane(gt1, 1));
        }
        if (q + 2 < nq) {
          const g2 = gRow + (<usize>load<u32>(oc, 8) << 3);
          store<f64>(g2, load<f64>(g2) + f64x2.extract_lane(gt2, 0));
        }
        if (q + 3 < nq) {
          const g3 = gRow + (<usize>load<u32>(oc, 12) << 3);
          store<f64>(g3, load<f64>(g3) + f64x2.extract_lane(gt2, 1));
        }
      }
    }
    // Σ ln(Pα·Pβ) of the unweighted cells: ln pacc + eacc·ln 2 per lane (|eacc| < 1000 per cell
    // fits i32 for any row length that fits memory).
    const e2 = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(eacc, eacc, 0, 2, 0, 2));
    const lp = f64x2.add(fmaV(e2, splat(LN2_HI), logV(pacc)), f64x2.mul(e2, splat(LN2_LO)));
    const ls = hsum(lsum) - scale * hsum(lp);
    if (pRowLoss) store<f64>(pRowLoss + (<usize>r << 3), ls);
    if (pRowGrad) store<f64>(pRowGrad + (<usize>r << 3), hsum(gsum));
    total += ls;
  }
  return total;
}

/** Queues lane `lane` of a side's tail (see cellsV) at slot nq; returns nq + 1 where `use` ≠ 0, else nq. */
@inline function queueTail(nq: i32, a1: v128, k1: v128, gf: v128, lf: v128, col: i32, lane: u8, use: i64): i32 {
  const o = CELL_Q + (<usize>nq << 3);
  if (lane == 0) {
    v128.store64_lane(o, a1, 0);
    v128.store64_lane(o, k1, 0, CELL_Q_K1);
    v128.store64_lane(o, gf, 0, CELL_Q_GF);
    v128.store64_lane(o, lf, 0, CELL_Q_LF);
  } else {
    v128.store64_lane(o, a1, 1);
    v128.store64_lane(o, k1, 1, CELL_Q_K1);
    v128.store64_lane(o, gf, 1, CELL_Q_GF);
    v128.store64_lane(o, lf, 1, CELL_Q_LF);
  }
  store<u32>(CELL_Q_COL + (<usize>nq << 2), col + <i32>lane);
  return nq + <i32>(use != 0);
}

// ---------------------------------------------------------------------------------------------
// Per-junction ρ objective on the logit scale

/**
 * The full beta-binomial NLL of each row's junction as a function of t = logit ρ (μ fixed), with
 * the reference's ridge, and its first two derivatives in t:
 *
 *   f(t) = Σ_i [−Δlnγ(α, k+c) − Δlnγ(β, m+c) + Δlnγ(a, n+2c)] + 1e-4·t²,   a = e^−t
 *   f_a  = Σ_i [−μ·Δψ(α,k+c) − (1−μ)·Δψ(β,m+c) + Δψ(a,n+2c)]
 *   f_aa = Σ_i [μ²(ψ'(α)−ψ'(α+k+c)) + (1−μ)²(ψ'(β)−ψ'(β+m+c)) − (ψ'(a)−ψ'(a+n+2c))]
 *   f'(t) = −a·f_a + 2e-4·t,   f''(t) = a²·f_aa + a·f_a + 2e-4
 *
 * The full log-pmf is lnC(n,k) + lnΓ(k+α) − lnΓ(α) + lnΓ(m+β) − lnΓ(β) − [lnΓ(n+a) − lnΓ(a)];
 * lnC does not depend on ρ and is left out (betabinomLogChooseRows gives its row sums once).
 * Guards: t is clamped to [−30, 30] for the likelihood (the reference's Brent interval; outside it
 * the likelihood part is flat and its derivatives 0), the ridge uses the raw t; y as in
 * fraserCells; n = 0 cells contribute 0. ψ' differences avoid cancellation (tgDiffS), so f'' stays
 * accurate where its terms cancel (a → e^30, the binomial limit, where f'' → 2e-4).
 *
 * pIdx, pY, ldy, pK, pN, ldk, pB, c as in fraserCells (Y row r is junction idx[r]'s y without b).
 * pT f64[rows] t of each row; pF f64[rows] f; pD1, pD2 f64[rows] f', f'' (0 to skip: Brent only
 * needs f, and skipping ψ and ψ' more than halves the cost).
 */
export function fraserRhoObjective(
  rows: i32, cols: i32, pIdx: usize, pT: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pB: usize, c: f64, pF: usize, pD1: usize, pD2: usize, pA: usize, pMu: usize, pOmu: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    rhoV(rows, cols, pIdx, pT, pY, ldy, pK, pN, ldk, pB, c, pF, pD1, pD2, pA, pMu, pOmu);
    return;
  }
  rhoS(rows, cols, pIdx, pT, pY, ldy, pK, pN, ldk, pB, c, pF, pD1, pD2, pA, pMu, pOmu);
}

export function fraserRhoObjectiveScalar(
  rows: i32, cols: i32, pIdx: usize, pT: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pB: usize, c: f64, pF: usize, pD1: usize, pD2: usize, pA: usize, pMu: usize, pOmu: usize,
): void {
  rhoS(rows, cols, pIdx, pT, pY, ldy, pK, pN, ldk, pB, c, pF, pD1, pD2, pA, pMu, pOmu);
}

/**
 * μ and 1 − μ of a block, for the ρ objective's cache: row r of y (pY + r·ldy, without b) and
 * b[j] (pB, junction r) give μ at pMu + r·ldm and 1 − μ at pOmu + r·ldm, exactly as the ρ
 * kernels compute them from y (clamped to ±300, both sides to full relative accuracy).
 */
export function fraserMeanRows(rows: i32, cols: i32, pY: usize, ldy: i32, pB: usize, pMu: usize, pOmu: usize, ldm: i32): void {
  meanRows(rows, cols, pY, ldy, pB, pMu, pOmu, ldm, true);
}

/** fraserMeanRows as the scalar kernels compute μ (the cache of the `Scalar` ρ objective). */
export function fraserMeanRowsScalar(rows: i32, cols: i32, pY: usize, ldy: i32, pB: usize, pMu: usize, pOmu: usize, ldm: i32): void {
  meanRows(rows, cols, pY, ldy, pB, pMu, pOmu, ldm, false);
}

function meanRows(rows: i32, cols: i32, pY: usize, ldy: i32, pB: usize, pMu: usize, pOmu: usize, ldm: i32, simd: bool): void {
  for (let r = 0; r < rows; r++) {
    const b = load<f64>(pB + (<usize>r << 3));
    const yRow = pY + ((<usize>r * <usize>ldy) << 3);
    const o = (<usize>r * <usize>ldm) << 3;
    let i = 0;
    if (ASC_FEATURE_SIMD && simd) {
      const bv = splat(b);
      for (; i + 1 < cols; i += 2) {
        const o8 = <usize>i << 3;
        v128.store(pMu + o + o8, muPairV(f64x2.add(v128.load(yRow + o8), bv)));
        v128.store(pOmu + o + o8, v128.load(OMU_V));
      }
    }
    for (; i < cols; i++) {
      const o8 = <usize>i << 3;
      const y = clampY(load<f64>(yRow + o8) + b);
      store<f64>(pMu + o + o8, muS(y));
      store<f64>(pOmu + o + o8, omuS(y));
    }
  }
}

@inline function lgDiffS(x: f64, k: f64, intC: bool): f64 {
  return intC ? lgammaDiffS(x, k) : lgammaS(x + k) - lgammaS(x);
}

@inline function dgDiffS(x: f64, k: f64, intC: bool): f64 {
  return intC ? digammaDiffS(x, k) : digammaS(x + k) - digammaS(x);
}

// ψ'(x) − ψ'(x+k) for integer k ≥ 0, x > 0, without the cancellation of a plain difference
// (which loses ulp·x/k relative, ~1e-3 at x = 1e13, and f'' multiplies it by a² there):
// - x ≥ 1e4: the asymptotic ψ'(x) ≈ 1/x + 1/(2x²) + 1/(6x³) differenced term by term in closed
//   form; the next term, −1/(30x⁵), changes the difference by < 1e-17 of it.
// - integer k ≤ 24: the sum Σ_{i<k} 1/(x+i)².
// - otherwise the difference of ψ' values: for integer k > 24, ψ'(x) / (ψ'(x) − ψ'(x+k)) <
//   (x+25)/25 ≤ 400, so at most ~2.5 digits are lost; for non-integer k (c not an integer) more
//   when k ≪ x, the documented caveat of that path. The closed form holds for real k.
const TG_BIG_X: f64 = 1e4;
const TG_SMALL_K: f64 = 24.0;

@inline function tgClosed(x: f64, k: f64): f64 {
  const y = x + k;
  const ix = 1.0 / x;
  const iy = 1.0 / y;
  const d1 = k * ix * iy;
  return d1 * (1.0 + 0.5 * (x + y) * ix * iy + (x * x + x * y + y * y) * (ix * ix) * (iy * iy) * (1.0 / 6.0));
}

function tgDiffS(x: f64, k: f64, intK: bool): f64 {
  if (k == 0) return 0.0;
  if (x >= TG_BIG_X) return tgClosed(x, k);
  if (intK && k <= TG_SMALL_K) {
    let s: f64 = 0;
    for (let i: f64 = k - 1; i >= 0; i--) {
      const xi = x + i;
      s += 1.0 / (xi * xi);
    }
    return s;
  }
  return trigammaS(x) - trigammaS(x + k);
}

@inline function finishRho(r: i32, t: f64, clamped: bool, a: f64, f: f64, fa: f64, faa: f64, pF: usize, pD1: usize, pD2: usize): void {
  const o = <usize>r << 3;
  store<f64>(pF + o, f + RHO_PENALTY * t * t);
  if (pD1) store<f64>(pD1 + o, (clamped ? 0.0 : -a * fa) + 2.0 * RHO_PENALTY * t);
  if (pD2) store<f64>(pD2 + o, (clamped ? 0.0 : a * a * faa + a * fa) + 2.0 * RHO_PENALTY);
}

/**
 * The a side of row r at pA + 24r: A = Σ_i Δlnγ(a, n+2c) and its first and second derivatives in
 * t (from ΣΔψ = sa1 and Σ(ψ′(a) − ψ′(a+n+2c)) = sa2), so that the caller has the truncated loss
 * Σ_i ℓ = f − 1e-4·t² − A (and its derivatives) from the same pass.
 */
@inline function finishASide(r: i32, clamped: bool, a: f64, sa: f64, sa1: f64, sa2: f64, pA: usize): void {
  const o = pA + <usize>r * 24;
  store<f64>(o, sa);
  store<f64>(o, clamped ? 0.0 : -a * sa1, 8);
  store<f64>(o, clamped ? 0.0 : a * sa1 - a * a * sa2, 16);
}

function rhoS(
  rows: i32, cols: i32, pIdx: usize, pT: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pB: usize, c: f64, pF: usize, pD1: usize, pD2: usize, pA: usize, pMu: usize, pOmu: usize,
): void {
  const intC = floor(c) == c;
  const want1 = pD1 != 0 || pD2 != 0 || pA != 0;
  const want2 = pD2 != 0 || pA != 0;
  for (let r = 0; r < rows; r++) {
    const j = rowOf(pIdx, r);
    const t = load<f64>(pT + (<usize>r << 3));
    const tc = min(max(t, -T_MAX), T_MAX);
    const a = expS(-tc);
    const b = pB ? load<f64>(pB + (j << 3)) : 0.0;
    const yRow = pY + ((<usize>r * <usize>ldy) << 3);
    const kRow = pK + ((j * <usize>ldk) << 2);
    const nRow = pN + ((j * <usize>ldk) << 2);
    const muRow = pMu + ((j * <usize>ldk) << 3);
    const omuRow = pOmu + ((j * <usize>ldk) << 3);
    let f: f64 = 0;
    let fa: f64 = 0;
    let faa: f64 = 0;
    let sa: f64 = 0;
    let sa1: f64 = 0;
    let sa2: f64 = 0;
    for (let i = 0; i < cols; i++) {
      const nn = <f64>load<u32>(nRow + (<usize>i << 2));
      if (nn == 0) continue;
      const kk = <f64>load<u32>(kRow + (<usize>i << 2));
      let mu: f64, omu: f64;
      if (pMu) {
        mu = load<f64>(muRow + (<usize>i << 3));
        omu = load<f64>(omuRow + (<usize>i << 3));
      } else {
        const y = clampY(load<f64>(yRow + (<usize>i << 3)) + b);
        mu = muS(y);
        omu = omuS(y);
      }
      const alpha = mu * a;
      const beta = omu * a;
      const kc = kk + c;
      const mc = nn - kk + c;
      const nc = nn + 2.0 * c;
      if (want1 && intC) {
        const ln = lgammaDigammaDiffS(a, nc);
        const dn = lastDigammaDiffS();
        const la = lgammaDigammaDiffS(alpha, kc);
        const da = lastDigammaDiffS();
        const lb = lgammaDigammaDiffS(beta, mc);
        const db = lastDigammaDiffS();
        f += ln - la - lb;
        fa += dn - mu * da - omu * db;
        sa += ln;
        sa1 += dn;
      } else {
        const ln = lgDiffS(a, nc, intC);
        f += ln - lgDiffS(alpha, kc, intC) - lgDiffS(beta, mc, intC);
        sa += ln;
        if (want1) {
          const dn = dgDiffS(a, nc, intC);
          fa += dn - mu * dgDiffS(alpha, kc, intC) - omu * dgDiffS(beta, mc, intC);
          sa1 += dn;
        }
      }
      if (want2) {
        const tn = tgDiffS(a, nc, intC);
        faa += mu * mu * tgDiffS(alpha, kc, intC) + omu * omu * tgDiffS(beta, mc, intC) - tn;
        sa2 += tn;
      }
    }
    finishRho(r, t, tc != t, a, f, fa, faa, pF, pD1, pD2);
    if (pA) finishASide(r, tc != t, a, sa, sa1, sa2, pA);
  }
}

@inline function lgDiffV(x: v128, k: v128, intC: bool): v128 {
  return intC ? lgammaDiffV(x, k) : f64x2.sub(lgammaV(f64x2.add(x, k)), lgammaV(x));
}

@inline function dgDiffV(x: v128, k: v128, intC: bool): v128 {
  return intC ? digammaDiffV(x, k) : f64x2.sub(digammaV(f64x2.add(x, k)), digammaV(x));
}

// The f64x2 form of tgDiffS, lane by lane the same cases and the same operations.
function tgDiffV(x: v128, k: v128, intK: bool): v128 {
  const one = splat(1.0);
  const y = f64x2.add(x, k);
  const ix = f64x2.div(one, x);
  const iy = f64x2.div(one, y);
  const d1 = f64x2.mul(f64x2.mul(k, ix), iy);
  const s2 = f64x2.mul(f64x2.mul(f64x2.mul(splat(0.5), f64x2.add(x, y)), ix), iy);
  const q = f64x2.add(f64x2.add(f64x2.mul(x, x), f64x2.mul(x, y)), f64x2.mul(y, y));
  const s3 = f64x2.mul(f64x2.mul(f64x2.mul(q, f64x2.mul(ix, ix)), f64x2.mul(iy, iy)), splat(1.0 / 6.0));
  let r = f64x2.mul(d1, f64x2.add(f64x2.add(one, s2), s3));
  const big = f64x2.ge(x, splat(TG_BIG_X));
  if (!allTrue(big)) {
    const small = intK ? v128.andnot(f64x2.le(k, splat(TG_SMALL_K)), big) : splat(0.0);
    if (anyTrue(small)) {
      // Lanes past their own k (or not in `small`) add 0; the sum runs downwards as in tgDiffS.
      const kk = select(k, splat(0.0), small);
      const kmax = max(f64x2.extract_lane(kk, 0), f64x2.extract_lane(kk, 1));
      let sum = splat(0.0);
      for (let i: f64 = kmax - 1; i >= 0; i--) {
        const xi = f64x2.add(x, splat(i));
        const term = f64x2.div(one, f64x2.mul(xi, xi));
        sum = f64x2.add(sum, v128.and(term, f64x2.lt(splat(i), kk)));
      }
      r = select(sum, r, small);
    }
    const rest = v128.not(v128.or(small, big));
    if (anyTrue(rest)) r = select(f64x2.sub(trigammaV(x), trigammaV(y)), r, rest);
  }
  return v128.and(r, f64x2.ne(k, splat(0.0)));
}

function rhoV(
  rows: i32, cols: i32, pIdx: usize, pT: usize, pY: usize, ldy: i32, pK: usize, pN: usize, ldk: i32,
  pB: usize, c: f64, pF: usize, pD1: usize, pD2: usize, pA: usize, pMu: usize, pOmu: usize,
): void {
  const intC = floor(c) == c;
  const want1 = pD1 != 0 || pD2 != 0 || pA != 0;
  const want2 = pD2 != 0 || pA != 0;
  // Integer c with derivatives: the fused cells (f alone, Brent's case, is cheaper by Δlnγ only).
  const fused = intC && want1;
  const cv = splat(c);
  const c2 = splat(2.0 * c);
  const zero = splat(0.0);
  const one = splat(1.0);
  for (let r = 0; r < rows; r++) {
    const j = rowOf(pIdx, r);
    const t = load<f64>(pT + (<usize>r << 3));
    const tc = min(max(t, -T_MAX), T_MAX);
    const a = expS(-tc);
    const av = splat(a);
    const bv = splat(pB ? load<f64>(pB + (j << 3)) : 0.0);
    const yRow = pY + ((<usize>r * <usize>ldy) << 3);
    const kRow = pK + ((j * <usize>ldk) << 2);
    const nRow = pN + ((j * <usize>ldk) << 2);
    const muRow = pMu + ((j * <usize>ldk) << 3);
    const omuRow = pOmu + ((j * <usize>ldk) << 3);
    if (fused) rhoRowIntV(a);
    let f = zero;
    let fa = zero;
    let faa = zero;
    let sa = zero;
    let sa1 = zero;
    let sa2 = zero;
    for (let i = 0; i < cols; i += 2) {
      const full = i + 1 < cols;
      const o8 = <usize>i << 3;
      const o4 = <usize>i << 2;
      const kk = countsV(kRow + o4, full);
      const nn = countsV(nRow + o4, full);
      let live = f64x2.ne(nn, zero);
      if (!full) live = i64x2.replace_lane(live, 1, 0);
      if (!anyTrue(live)) continue;
      // μ and 1 − μ: from the cache (pMu ≠ 0; lane 1 of a last odd cell is masked by `live`), or from y.
      const mu = pMu ? f64sV(muRow + o8, full) : muPairV(f64x2.add(f64sV(yRow + o8, full), bv));
      const omu = pMu ? f64sV(omuRow + o8, full) : v128.load(OMU_V);
      if (fused) {
        // Every count difference of the three sides at once (f″ costs little more than f and f′).
        f = f64x2.add(f, v128.and(rhoCellIntV(mu, omu, av, kk, nn, c), live));
        fa = f64x2.add(fa, v128.and(v128.load(RHO_CELL_V), live));
        faa = f64x2.add(faa, v128.and(v128.load(RHO_CELL_V, 16), live));
        if (pA) {
          sa = f64x2.add(sa, v128.and(v128.load(RHO_CELL_V, 32), live));
          sa1 = f64x2.add(sa1, v128.and(v128.load(RHO_CELL_V, 48), live));
          sa2 = f64x2.add(sa2, v128.and(v128.load(RHO_CELL_V, 64), live));
        }
        continue;
      }
      // f alone (count differences), or non-integer c (full lnΓ, ψ and ψ′ differences).
      const alpha = f64x2.mul(mu, av);
      const beta = f64x2.mul(omu, av);
      const kc = f64x2.add(kk, cv);
      const mc = f64x2.add(f64x2.sub(nn, kk), cv);
      const nc = f64x2.add(nn, c2);
      const ln = lgDiffV(av, nc, intC);
      const l = f64x2.sub(ln, f64x2.add(lgDiffV(alpha, kc, intC), lgDiffV(beta, mc, intC)));
      f = f64x2.add(f, v128.and(l, live));
      sa = f64x2.add(sa, v128.and(ln, live));
      if (want1) {
        const dn = dgDiffV(av, nc, intC);
        const d = f64x2.sub(dn, f64x2.add(f64x2.mul(mu, dgDiffV(alpha, kc, intC)), f64x2.mul(omu, dgDiffV(beta, mc, intC))));
        fa = f64x2.add(fa, v128.and(d, live));
        sa1 = f64x2.add(sa1, v128.and(dn, live));
      }
      if (want2) {
        const tn = tgDiffV(av, nc, intC);
        const d2 = f64x2.sub(
          f64x2.add(f64x2.mul(f64x2.mul(mu, mu), tgDiffV(alpha, kc, intC)), f64x2.mul(f64x2.mul(omu, omu), tgDiffV(beta, mc, intC))),
          tn,
        );
        faa = f64x2.add(faa, v128.and(d2, live));
        sa2 = f64x2.add(sa2, v128.and(tn, live));
      }
    }
    finishRho(r, t, tc != t, a, hsum(f), hsum(fa), hsum(faa), pF, pD1, pD2);
    if (pA) finishASide(r, tc != t, a, hsum(sa), hsum(sa1), hsum(sa2), pA);
  }
}

// The ρ cells for integer c: every count difference the objective needs (Δlnγ, Δψ and the ψ′
// difference of the three sides α, β and a of a cell) from one pass: per pair of cells one division
// for the three sides (besides μ's), and at most six logarithms (ln Pα·Pβ, and log1p and ln n of
// the tails), instead of separate calls per function and side.
//
// A side (x, k) is split into a head of h factors and an asymptotic tail:
// - head: P = Π_{i<h}(x+i) with its derivatives P′, P″ in x (one recurrence over pairs of factors,
//   q(t) = t² + t, q′ = 2t+1, q″ = 2), so that ln P = Δlnγ(x,h), P′/P = Δψ(x,h) and
//   (P′/P)² − P″/P = Σ_{i<h} 1/(x+i)² = ψ′(x) − ψ′(x+h). The last difference cancels by at most a
//   factor h ≤ 24 (Cauchy–Schwarz: (Σu)² ≤ h·Σu²), a loss of ≤ 1.4 digits, and only f″ uses it;
//   f″ steers Newton's steps and does not move the optimum.
// - tail, from a1 = x+h over k1 = k−h to n = x+k, by the shifted Stirling series as in
//   lgammaDigammaDiffS; the ψ′ difference takes its first three terms differenced in closed form
//   (nothing cancels when k1 ≪ a1, e.g. at the binomial limit a → e^30) and the rest of the series
//   at both ends. Every tail term is exactly 0 when k1 = 0 and a1 = n = 1.
// The regimes: k ≤ 24 and x ≤ 1e4: head only (h = k); otherwise x < 10: h = 10 (the usual shift);
// otherwise h = 0. Then the products stay within [2e-157, 1e205] for every x ≥ 4.7e-144 (μ ≥ 5e-131
// from the y clamp times a ≥ e^−30) and a ≤ e^30, so the α and β sides (and the a side's tail)
// share one division, and ln Pα + ln Pβ is one logarithm.
// The a side is the same per row up to n: its shift and the Stirling terms at a1 are computed once
// per row, in scalar code, and so is a table of its head values for n+2c = 0…24 (a ≤ 1e4), which
// cells with such counts read instead of the tail.
const HEAD_K: f64 = 24.0;
const HEAD_MAX_X: f64 = 1e4;
const SHIFT: f64 = 10.0;

// Head products of two sides: P, P′ and P″ of the first at RHO_HEAD_V (+0, +16, +32), of the second at +48, +64, +80.
const RHO_HEAD_V: usize = memory.data(96, 16);
// Tail of one side: Δψ at +0, ψ′ difference at +16.
const RHO_TAIL_V: usize = memory.data(32, 16);

/**
 * Head products of two sides at once (two independent chains in one loop): (x1, h1) leaves P, P′,
 * P″ at RHO_HEAD_V and returns nothing; (x2, h2) at RHO_HEAD_V + 48. h are integers ≥ 0.
 */
@inline function headProducts2V(x1: v128, h1: v128, x2: v128, h2: v128): void {
  const hmax = max(
    max(f64x2.extract_lane(h1, 0), f64x2.extract_lane(h1, 1)),
    max(f64x2.extract_lane(h2, 0), f64x2.extract_lane(h2, 1)),
  );
  const one = splat(1.0);
  const two = splat(2.0);
  let p1 = one, d1 = splat(0.0), s1 = splat(0.0), t1 = x1;
  let p2 = one, d2 = splat(0.0), s2 = splat(0.0), t2 = x2;
  // Pair (t, t+1) is complete when t < x+h−1; the values are whole numbers apart, so comparing with
  // x+h−1.5 is safe against rounding. Lanes past their own h multiply by 1 and add 0.
  const lim1 = f64x2.sub(f64x2.add(x1, h1), splat(1.5));
  const lim2 = f64x2.sub(f64x2.add(x2, h2), splat(1.5));
  for (let j: f64 = 1; j < hmax; j += 2) {
    const l1 = f64x2.lt(t1, lim1);
    const q1 = select(fmaV(t1, t1, t1), one, l1);
    const r1 = v128.and(f64x2.add(f64x2.add(t1, t1), one), l1);
    s1 = fmaV(s1, q1, fmaV(f64x2.add(d1, d1), r1, v128.and(f64x2.add(p1, p1), l1)));
    d1 = fmaV(d1, q1, f64x2.mul(p1, r1));
    p1 = f64x2.mul(p1, q1);
    t1 = f64x2.add(t1, two);
    const l2 = f64x2.lt(t2, lim2);
    const q2 = select(fmaV(t2, t2, t2), one, l2);
    const r2 = v128.and(f64x2.add(f64x2.add(t2, t2), one), l2);
    s2 = fmaV(s2, q2, fmaV(f64x2.add(d2, d2), r2, v128.and(f64x2.add(p2, p2), l2)));
    d2 = fmaV(d2, q2, f64x2.mul(p2, r2));
    p2 = f64x2.mul(p2, q2);
    t2 = f64x2.add(t2, two);
  }
  // An odd h adds the factor t = x+h−1 (q = t, q′ = 1, q″ = 0).
  const half = splat(0.5);
  const o1 = f64x2.ne(f64x2.floor(f64x2.mul(h1, half)), f64x2.mul(h1, half));
  const u1 = f64x2.add(x1, f64x2.sub(h1, one));
  v128.store(RHO_HEAD_V, select(f64x2.mul(p1, u1), p1, o1));
  v128.store(RHO_HEAD_V, select(fmaV(d1, u1, p1), d1, o1), 16);
  v128.store(RHO_HEAD_V, select(fmaV(s1, u1, f64x2.add(d1, d1)), s1, o1), 32);
  const o2 = f64x2.ne(f64x2.floor(f64x2.mul(h2, half)), f64x2.mul(h2, half));
  const u2 = f64x2.add(x2, f64x2.sub(h2, one));
  v128.store(RHO_HEAD_V, select(f64x2.mul(p2, u2), p2, o2), 48);
  v128.store(RHO_HEAD_V, select(fmaV(d2, u2, p2), d2, o2), 64);
  v128.store(RHO_HEAD_V, select(fmaV(s2, u2, f64x2.add(d2, d2)), s2, o2), 80);
}

/**
 * The tail of a side: returns Δlnγ(a1, k1) and leaves Δψ(a1, k1) and ψ′(a1) − ψ′(n) at RHO_TAIL_V;
 * n = a1 + k1, ia = 1/a1, inn = 1/n, logN = ln n. All 0 when k1 = 0 and a1 = n = ia = inn = 1.
 */
@inline function rhoTailV(a1: v128, k1: v128, ia: v128, inn: v128, logN: v128): v128 {
  // Δlnγ and Δψ as the cells' tail; then the ψ′ difference.
  const lg = cellTailV(a1, k1, ia, inn, logN);
  v128.store(RHO_TAIL_V, v128.load(CELL_TAIL_V));
  const one = splat(1.0);
  const half = splat(0.5);
  const wa = f64x2.mul(ia, ia);
  const wn = f64x2.mul(inn, inn);
  const iai = f64x2.mul(ia, inn);
  const tg3 = f64x2.sub(f64x2.mul(f64x2.mul(ia, wa), trigammaStirlingV(wa)), f64x2.mul(f64x2.mul(inn, wn), trigammaStirlingV(wn)));
  v128.store(RHO_TAIL_V, fmaV(f64x2.mul(k1, iai), fmaV(half, f64x2.add(ia, inn), one), tg3), 16);
  return lg;
}

// Row constants of the a side (see the section header), set by rhoRowIntV for rhoCellIntV:
// a1, 1/a1, the shift h, S(a1) − ln shift, T(a1) + Δψ shift, ψ′ tail at a1 + ψ′ shift (f64x2
// splats), then ln a1 − 1 and the head flag (a ≤ 1e4) as f64.
const RHO_ROW: usize = memory.data(112, 16);
// Δf_a and Δf_aa of the last rhoCellIntV call, then its a side: Δlnγ, Δψ and the ψ′ difference.
const RHO_CELL_V: usize = memory.data(80, 16);

function rhoRowIntV(a: f64): void {
  let lshA: f64 = 0, dshA: f64 = 0, tshA: f64 = 0;
  const hA: f64 = a < SHIFT ? SHIFT : 0.0;
  if (hA > 0) {
    let p: f64 = 1;
    for (let i = 0; i < 10; i++) {
      const xi = a + <f64>i;
      p *= xi;
      const u = 1.0 / xi;
      dshA += u;
      tshA += u * u;
    }
    lshA = logS(p);
  }
  const a1A = a + hA;
  const iaA = 1.0 / a1A;
  const waA = iaA * iaA;
  v128.store(RHO_ROW, splat(a1A));
  v128.store(RHO_ROW, splat(iaA), 16);
  v128.store(RHO_ROW, splat(hA), 32);
  v128.store(RHO_ROW, splat(iaA * lgammaStirling(waA) - lshA), 48);
  v128.store(RHO_ROW, splat(waA * digammaStirling(waA) + dshA), 64);
  v128.store(RHO_ROW, splat(iaA * waA * trigammaStirling(waA) + tshA), 80);
  store<f64>(RHO_ROW, logS(a1A) - 1.0, 96);
  store<f64>(RHO_ROW, a <= HEAD_MAX_X ? 1.0 : 0.0, 104);
  if (a <= HEAD_MAX_X) {
    // The a side's head values for every n+2c ≤ 24, looked up per cell: ln Π_{i<n}(a+i) (the
    // product ≤ 1e96 here, logged at each n), Σ_{i<n} 1/(a+i) and Σ_{i<n} 1/(a+i)².
    let p: f64 = 1, d: f64 = 0, t: f64 = 0;
    store<f64>(RHO_A_HEAD, 0.0);
    store<f64>(RHO_A_HEAD + 200, 0.0);
    store<f64>(RHO_A_HEAD + 400, 0.0);
    for (let i = 0; i < <i32>HEAD_K; i++) {
      const xi = a + <f64>i;
      p *= xi;
      const u = 1.0 / xi;
      d += u;
      t += u * u;
      const o = RHO_A_HEAD + (<usize>(i + 1) << 3);
      store<f64>(o, logS(p));
      store<f64>(o, d, 200);
      store<f64>(o, t, 400);
    }
  }
}

// The a side's head table of rhoRowIntV: 25 values each of ln P, Δψ and the ψ′ difference.
const RHO_A_HEAD: usize = memory.data(600, 16);

/** Two lanes of the a side's head table at byte offset `off` (0, 200, 400), lanes where `use`. */
@inline function aHeadV(kn: v128, use: v128, off: usize): v128 {
  const i0 = <usize>(i64x2.extract_lane(use, 0) != 0 ? <i32>f64x2.extract_lane(kn, 0) : 0);
  const i1 = <usize>(i64x2.extract_lane(use, 1) != 0 ? <i32>f64x2.extract_lane(kn, 1) : 0);
  return f64x2.replace_lane(v128.load64_splat(RHO_A_HEAD + off + (i0 << 3)), 1, load<f64>(RHO_A_HEAD + off + (i1 << 3)));
}

/**
 * One pair of cells of the ρ objective for integer c (row constants from rhoRowIntV): returns the
 * pair's f = Δlnγ(a, n+2c) − Δlnγ(α, k+c) − Δlnγ(β, m+c) and leaves f_a and f_aa at RHO_CELL_V.
 */
@inline function rhoCellIntV(mu: v128, omu: v128, av: v128, kk: v128, nn: v128, c: f64): v128 {
  const zero = splat(0.0);
  const one = splat(1.0);
  const half = splat(0.5);
  const headK = splat(HEAD_K);
  const headX = splat(HEAD_MAX_X);
  const shift = splat(SHIFT);
  const cv = splat(c);
  const xa = f64x2.mul(mu, av);
  const xb = f64x2.mul(omu, av);
  const ka = f64x2.add(kk, cv);
  const kb = f64x2.add(f64x2.sub(nn, kk), cv);
  const kn = f64x2.add(nn, splat(2.0 * c));
  // Heads: the whole side (k ≤ 24, x ≤ 1e4), the shift (x < 10) or nothing.
  const ha = select(ka, select(shift, zero, f64x2.lt(xa, shift)), v128.and(f64x2.le(ka, headK), f64x2.le(xa, headX)));
  const hb = select(kb, select(shift, zero, f64x2.lt(xb, shift)), v128.and(f64x2.le(kb, headK), f64x2.le(xb, headX)));
  headProducts2V(xa, ha, xb, hb);
  const pa = v128.load(RHO_HEAD_V), pa1 = v128.load(RHO_HEAD_V, 16), pa2 = v128.load(RHO_HEAD_V, 32);
  const pb = v128.load(RHO_HEAD_V, 48), pb1 = v128.load(RHO_HEAD_V, 64), pb2 = v128.load(RHO_HEAD_V, 80);
  // Tails (a1 = n = 1 where there is none).
  const k1a = f64x2.sub(ka, ha);
  const k1b = f64x2.sub(kb, hb);
  const tla = f64x2.ne(k1a, zero);
  const tlb = f64x2.ne(k1b, zero);
  const a1a = select(f64x2.add(xa, ha), one, tla);
  const na = select(f64x2.add(xa, ka), one, tla);
  const a1b = select(f64x2.add(xb, hb), one, tlb);
  const nb = select(f64x2.add(xb, kb), one, tlb);
  const ra = f64x2.mul(a1a, na);
  const rb = f64x2.mul(a1b, nb);
  // The a side: head path for n+2c ≤ 24 (a ≤ 1e4), else the tail past the row's shift.
  const hdA = load<f64>(RHO_ROW, 104) != 0 ? f64x2.le(kn, headK) : zero;
  const k1A = f64x2.sub(kn, v128.load(RHO_ROW, 32));
  const nA = select(one, f64x2.add(av, kn), hdA);
  // One division for α, β and the a side's tail.
  const ua = f64x2.mul(pa, ra);
  const ub = f64x2.mul(pb, rb);
  const uab = f64x2.mul(ua, ub);
  const R = f64x2.div(one, f64x2.mul(uab, nA));
  const iuaR = f64x2.mul(f64x2.mul(ub, nA), R);
  const iubR = f64x2.mul(f64x2.mul(ua, nA), R);
  const innA = f64x2.mul(uab, R);
  const ipa = f64x2.mul(ra, iuaR);
  const ira = f64x2.mul(pa, iuaR);
  const ipb = f64x2.mul(rb, iubR);
  const irb = f64x2.mul(pb, iubR);
  // Heads: Δlnγ(α, k+c) + Δlnγ(β, m+c) starts from ln Pα + ln Pβ as one logarithm.
  let lnAB = logCoreV(f64x2.mul(pa, pb));
  const qa = f64x2.mul(pa1, ipa);
  let dgA = qa;
  let tgA = fnmaV(pa2, ipa, f64x2.mul(qa, qa));
  const qb = f64x2.mul(pb1, ipb);
  let dgB = qb;
  let tgB = fnmaV(pb2, ipb, f64x2.mul(qb, qb));
  // Tails, where a lane has one (counts above 24, or x above 1e4).
  if (anyTrue(tla)) {
    lnAB = f64x2.add(lnAB, rhoTailV(a1a, k1a, f64x2.mul(na, ira), f64x2.mul(a1a, ira), logCoreV(na)));
    dgA = f64x2.add(dgA, v128.load(RHO_TAIL_V));
    tgA = f64x2.add(tgA, v128.load(RHO_TAIL_V, 16));
  }
  if (anyTrue(tlb)) {
    lnAB = f64x2.add(lnAB, rhoTailV(a1b, k1b, f64x2.mul(nb, irb), f64x2.mul(a1b, irb), logCoreV(nb)));
    dgB = f64x2.add(dgB, v128.load(RHO_TAIL_V));
    tgB = f64x2.add(tgB, v128.load(RHO_TAIL_V, 16));
  }
  // The a side's tail.
  const a1Av = v128.load(RHO_ROW);
  const iaAv = v128.load(RHO_ROW, 16);
  const wnA = f64x2.mul(innA, innA);
  const uA = f64x2.mul(k1A, iaAv);
  const wA = f64x2.add(one, uA);
  const l1pA = fmaV(f64x2.sub(uA, f64x2.sub(wA, one)), f64x2.mul(a1Av, innA), logCoreV(wA));
  const iaiA = f64x2.mul(iaAv, innA);
  let lgN = f64x2.add(
    fmaV(f64x2.sub(a1Av, half), l1pA, f64x2.mul(k1A, f64x2.add(v128.load64_splat(RHO_ROW + 96), l1pA))),
    f64x2.sub(f64x2.mul(innA, lgammaStirlingV(wnA)), v128.load(RHO_ROW, 48)),
  );
  let dgN = f64x2.sub(fmaV(f64x2.mul(half, k1A), iaiA, l1pA), f64x2.sub(f64x2.mul(wnA, digammaStirlingV(wnA)), v128.load(RHO_ROW, 64)));
  let tgN = fnmaV(f64x2.mul(innA, wnA), trigammaStirlingV(wnA), fmaV(f64x2.mul(k1A, iaiA), fmaV(half, f64x2.add(iaAv, innA), one), v128.load(RHO_ROW, 80)));
  if (anyTrue(hdA)) {
    // Cells with n+2c ≤ 24: the row's table.
    lgN = select(aHeadV(kn, hdA, 0), lgN, hdA);
    dgN = select(aHeadV(kn, hdA, 200), dgN, hdA);
    tgN = select(aHeadV(kn, hdA, 400), tgN, hdA);
  }
  v128.store(RHO_CELL_V, f64x2.sub(dgN, fmaV(mu, dgA, f64x2.mul(omu, dgB))));
  v128.store(RHO_CELL_V, f64x2.sub(fmaV(f64x2.mul(mu, mu), tgA, f64x2.mul(f64x2.mul(omu, omu), tgB)), tgN), 16);
  v128.store(RHO_CELL_V, lgN, 32);
  v128.store(RHO_CELL_V, dgN, 48);
  v128.store(RHO_CELL_V, tgN, 64);
  return f64x2.sub(lgN, lnAB);
}


// ---------------------------------------------------------------------------------------------
// ln C(n, k) row sums

/**
 * Σ_i lnC(n+2c, k+c) of each row (the ρ-free part of the full log-pmf, computed once per fit):
 * lnC = Δlnγ(k+c+1, m+c) − Δlnγ(1, m+c) for integer c, lnΓ(n+2c+1) − lnΓ(k+c+1) − lnΓ(m+c+1)
 * otherwise; n = 0
 * cells give 0. pIdx, pK, pN, ldk, c as in fraserCells; pOut f64[rows].
 */
export function betabinomLogChooseRows(rows: i32, cols: i32, pIdx: usize, pK: usize, pN: usize, ldk: i32, c: f64, pOut: usize): void {
  if (ASC_FEATURE_SIMD) {
    logChooseV(rows, cols, pIdx, pK, pN, ldk, c, pOut);
    return;
  }
  logChooseS(rows, cols, pIdx, pK, pN, ldk, c, pOut);
}

export function betabinomLogChooseRowsScalar(rows: i32, cols: i32, pIdx: usize, pK: usize, pN: usize, ldk: i32, c: f64, pOut: usize): void {
  logChooseS(rows, cols, pIdx, pK, pN, ldk, c, pOut);
}

function logChooseS(rows: i32, cols: i32, pIdx: usize, pK: usize, pN: usize, ldk: i32, c: f64, pOut: usize): void {
  const intC = floor(c) == c;
  for (let r = 0; r < rows; r++) {
    const j = rowOf(pIdx, r);
    const kRow = pK + ((j * <usize>ldk) << 2);
    const nRow = pN + ((j * <usize>ldk) << 2);
    let s: f64 = 0;
    for (let i = 0; i < cols; i++) {
      const nn = <f64>load<u32>(nRow + (<usize>i << 2));
      if (nn == 0) continue;
      const kk = <f64>load<u32>(kRow + (<usize>i << 2));
      const mc = nn - kk + c;
      s += intC ? lgammaDiffS(kk + c + 1.0, mc) - lgammaDiffS(1.0, mc) : lgammaS(nn + 2.0 * c + 1.0) - lgammaS(kk + c + 1.0) - lgammaS(mc + 1.0);
    }
    store<f64>(pOut + (<usize>r << 3), s);
  }
}

function logChooseV(rows: i32, cols: i32, pIdx: usize, pK: usize, pN: usize, ldk: i32, c: f64, pOut: usize): void {
  const intC = floor(c) == c;
  const c1 = splat(c + 1.0);
  const cv = splat(c);
  const zero = splat(0.0);
  const one = splat(1.0);
  for (let r = 0; r < rows; r++) {
    const j = rowOf(pIdx, r);
    const kRow = pK + ((j * <usize>ldk) << 2);
    const nRow = pN + ((j * <usize>ldk) << 2);
    let s = zero;
    for (let i = 0; i < cols; i += 2) {
      const full = i + 1 < cols;
      const o4 = <usize>i << 2;
      const kk = countsV(kRow + o4, full);
      const nn = countsV(nRow + o4, full);
      let live = f64x2.ne(nn, zero);
      if (!full) live = i64x2.replace_lane(live, 1, 0);
      const mc = f64x2.add(f64x2.sub(nn, kk), cv);
      const k1 = f64x2.add(kk, c1);
      const l = intC
        ? f64x2.sub(lgammaDiffV(k1, mc), lgammaDiffV(one, mc))
        : f64x2.sub(lgammaV(f64x2.add(k1, mc)), f64x2.add(lgammaV(k1), lgammaV(f64x2.add(mc, one))));
      s = f64x2.add(s, v128.and(l, live));
    }
    store<f64>(pOut + (<usize>r << 3), hsum(s));
  }
}
