// Small f64x2 helpers shared by every kernel file.
//
// fmaV is the one place where the baseline and relaxed-SIMD builds differ: with
// ASC_FEATURE_RELAXED_SIMD it is f64x2.relaxed_madd (a fused multiply-add on hosts with FMA, so
// results may differ from the baseline build in the last bit), otherwise a separate mul and add.

@inline export function fmaV(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f64x2.relaxed_madd(a, b, c);
  } else {
    return f64x2.add(f64x2.mul(a, b), c);
  }
}

/** c − a·b. */
@inline export function fnmaV(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f64x2.relaxed_nmadd(a, b, c);
  } else {
    return f64x2.sub(c, f64x2.mul(a, b));
  }
}

@inline export function splat(x: f64): v128 {
  return f64x2.splat(x);
}

/** Lanes of `a` where `mask` is set, lanes of `b` elsewhere. */
@inline export function select(a: v128, b: v128, mask: v128): v128 {
  return v128.bitselect(a, b, mask);
}

/** True when every 64-bit lane of the mask is set. */
@inline export function allTrue(mask: v128): bool {
  return i64x2.all_true(mask);
}

/** True when some lane of the mask is set. */
@inline export function anyTrue(mask: v128): bool {
  return v128.any_true(mask);
}

/** Horizontal sum of the two lanes. */
@inline export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** The pair (a, b) as an f64x2. */
@inline export function pair(a: f64, b: f64): v128 {
  return f64x2.replace_lane(f64x2.splat(a), 1, b);
}
