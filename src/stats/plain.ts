/**
 * Plain-TypeScript beta-binomial log-pmf and p-value, written directly from the maths for tests and
 * benchmarks (not exported from the package): lnΓ by Stirling's series after shifting x to ≥ 10,
 * the log-pmf as the sum of nine lnΓ values (so it loses ~ε·n·ln(α+β+n) absolute to cancellation;
 * fine for moderate n and α+β), and the same tail recurrence as the kernel without the cap rule;
 * and p.adjust (BH, BY, Holm) by a sort of all values (adjustPlain).
 */
const HALF_LOG_2PI = 0.9189385332046728;

export function lgammaPlain(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift -= Math.log(x);
    x += 1;
  }
  const w = 1 / (x * x);
  const s = (1 / x) * (1 / 12 - w * (1 / 360 - w * (1 / 1260 - w * (1 / 1680 - w * (1 / 1188)))));
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + s + shift;
}

export function logPmfPlain(k: number, n: number, mu: number, rho: number): number {
  const m = Math.min(Math.max(mu, 1e-15), 1 - 1e-15);
  const r = Math.min(Math.max(rho, 1e-15), 1 - 1e-15);
  const a = (m * (1 - r)) / r;
  const b = ((1 - m) * (1 - r)) / r;
  const g = lgammaPlain;
  return g(n + 1) - g(k + 1) - g(n - k + 1) + g(a + k) + g(b + n - k) - g(a + b + n) - g(a) - g(b) + g(a + b);
}

export function pValuePlain(k: number, n: number, mu: number, rho: number): number {
  if (n === 0) return 1;
  const m = Math.min(Math.max(mu, 1e-15), 1 - 1e-15);
  const r = Math.min(Math.max(rho, 1e-15), 1 - 1e-15);
  const a0 = (m * (1 - r)) / r;
  const b0 = ((1 - m) * (1 - r)) / r;
  const lf = logPmfPlain(k, n, mu, rho);
  const lower = k * (a0 + b0) <= n * a0;
  const kk = lower ? k : n - k;
  const a = lower ? a0 : b0;
  const b = lower ? b0 : a0;
  let s = 1;
  let t = 1;
  for (let j = kk; j > 0; j--) {
    t *= (j * (n - j + b)) / ((n - j + 1) * (j - 1 + a));
    s += t;
    if (a >= 1 && t < 1e-17 * s && j < kk) break;
  }
  const f = Math.exp(lf);
  const direct = Math.exp(lf + Math.log(s));
  const other = Math.max(1 - direct + f, f);
  return Math.min(1, 2 * Math.min(direct, other));
}

/**
 * R's p.adjust for "BH", "BY" and "holm" with NaN left out of m, by a sort of every value: the
 * reference for src/stats/adjust.ts (which sorts only the values below a cut) in tests and
 * benchmarks. Same formulas and order of operations: holm (m − j + 1)·p(j) with a running maximum
 * from the bottom; BH/BY q·m/j·p(j) with a running minimum from the top; clamped to 1.
 */
export function adjustPlain(p: Float64Array, method: 'BH' | 'BY' | 'holm'): Float64Array {
  const out = new Float64Array(p.length).fill(NaN);
  const order: number[] = [];
  for (let i = 0; i < p.length; i++) if (p[i] === p[i]) order.push(i);
  order.sort((x, y) => p[x] - p[y]);
  const m = order.length;
  if (method === 'holm') {
    let run = 0;
    for (let j = 0; j < m; j++) {
      const v = (m - j) * p[order[j]];
      if (v > run) run = v;
      out[order[j]] = run < 1 ? run : 1;
    }
    return out;
  }
  let q = 1;
  if (method === 'BY') {
    q = 0;
    for (let j = m; j >= 1; j--) q += 1 / j;
  }
  let run = Infinity;
  for (let j = m - 1; j >= 0; j--) {
    const v = ((q * m) / (j + 1)) * p[order[j]];
    if (v < run) run = v;
    out[order[j]] = run < 1 ? run : 1;
  }
  return out;
}
