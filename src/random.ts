import { requireInteger } from './errors.js';

/**
 * A small seeded generator for simulations, initialisations and random projections: xoshiro128**
 * (Blackman & Vigna 2018) on four 32-bit words seeded through splitmix32, doubles with 53 random
 * bits, normals by the Marsaglia polar method. The same seed gives the same stream on every host.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = NaN;

  constructor(seed = 1) {
    requireInteger(seed, 'seed', 0, 2 ** 32 - 1);
    let x = seed >>> 0;
    const next = () => {
      // splitmix32: spreads a small seed over the whole state.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0; this.s1 >>>= 0; this.s2 >>>= 0; this.s3 >>>= 0;
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal deviate. */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  /** Gamma(shape, 1) deviate: Marsaglia & Tsang (2000); shape < 1 by the u^(1/shape) boost. */
  gamma(shape: number): number {
    if (!(shape > 0)) return NaN;
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) deviate as G_a / (G_a + G_b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x + y > 0 ? x / (x + y) : this.uniform() < a / (a + b) ? 1 : 0;
  }

  /**
   * Poisson(λ) deviate by inversion (sequential search from 0), exact; O(λ) work. λ above 500
   * is split into pieces of at most 500 whose counts are summed, so e^−λ never underflows.
   */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) return NaN;
    let total = 0;
    while (lambda > 500) {
      total += this.poisson(500);
      lambda -= 500;
    }
    let k = 0;
    let p = Math.exp(-lambda);
    let f = p;
    const u = this.uniform();
    while (u > f && p > 0) {
      k++;
      p *= lambda / k;
      f += p;
    }
    return total + k;
  }

  /** Binomial(n, p) deviate by inversion from the smaller tail, exact; O(n·min(p, 1−p)) work. */
  binomial(n: number, p: number): number {
    if (n === 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    // Split large n·p the same way as poisson so that (1−p)^n never underflows.
    if (n * p > 400) {
      const half = Math.floor(n / 2);
      return this.binomial(half, p) + this.binomial(n - half, p);
    }
    const q = 1 - p;
    const r = p / q;
    let pk = Math.pow(q, n);
    let f = pk;
    let k = 0;
    const u = this.uniform();
    while (u > f && k < n) {
      pk *= (r * (n - k)) / (k + 1);
      k++;
      f += pk;
    }
    return k;
  }

  /** Negative binomial with the given mean and size (dispersion θ: variance = mean + mean²/θ), as gamma–Poisson. */
  negativeBinomial(mean: number, size: number): number {
    return this.poisson(this.gamma(size) * (mean / size));
  }

  /** Fills `out` with standard normals and returns it. */
  fillNormal(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
