/**
 * Plain-TypeScript reference implementations of the special-function kernels, written from the
 * textbook formulas independently of assembly/special.ts (different algorithms where possible),
 * for tests on random inputs and as the "plain TS" row of the benchmarks. Not part of the product.
 *
 * - lgamma: Lanczos approximation (g = 7, 9 terms; Numerical Recipes 3rd ed. §6.1 form) with the
 *   reflection-free recurrence lnΓ(x) = lnΓ(x+1) − ln x below 0.5. ~1e-15 absolute.
 * - digamma/trigamma: recurrence up to x ≥ 20, then the asymptotic series (Abramowitz & Stegun
 *   6.3.18, 6.4.12).
 * - count differences: the defining sums Σ ln(a+i) and Σ 1/(a+i) over k terms.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function lgammaRef(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return Infinity;
  if (x === Infinity) return Infinity;
  if (x < 0.5) return lgammaRef(x + 1) - Math.log(x);
  const xm = x - 1;
  let a = LANCZOS[0];
  const t = xm + LANCZOS_G + 0.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

export function digammaRef(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  let r = 0;
  while (x < 20) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))));
}

export function trigammaRef(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return Infinity;
  if (x === Infinity) return 0;
  let r = 0;
  while (x < 20) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  const s = 1 + 1 / (2 * x) + f * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30))));
  return r + s / x;
}

export function lgammaDiffRef(a: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log(a + i);
  return s;
}

export function digammaDiffRef(a: number, k: number): number {
  let s = 0;
  for (let i = k - 1; i >= 0; i--) s += 1 / (a + i);
  return s;
}

export const sigmoidRef = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
export const logitRef = (p: number) => Math.log(p) - Math.log1p(-p);
export const log1pexpRef = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
