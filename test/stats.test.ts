/**
 * Beta-binomial log-pmf and p-values against mpmath (test/fixtures/gen_stats.py), SIMD against the
 * scalar twins and a plain-TS implementation, properties (the pmf sums to one, p in [0, 1]),
 * edges; p.adjust against R's definitions; FRASER's group and gene rules on hand-checked examples;
 * z-scores and Δψ; typed errors.
 *
 * Bounds measured on the fixtures and written here:
 *   ln f      |error| ≤ 2e-12·max(1, |ln f|) + 4e-16·n   (the n term: μ, ρ → α, β rounding; the
 *             worst point, k = n = 832436 at μ = 1 − 4.6e-10, is 4e-11)
 *   p-value   relative 1e-12 + 4e-16·n (the same conditioning term) for p down to 1e-300; p below
 *             the smallest normal double is 0
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ArgumentTypeError, ArgumentValueError, ShapeError, init, loadCore, type Core } from '../src/index.js';
import { adjust, betaBinomial, deltaPsi, zScores } from '../src/stats/index.js';
import { adjustPlain, logPmfPlain, pValuePlain } from '../src/stats/plain.js';

const F = JSON.parse(readFileSync(new URL('./fixtures/stats.json', import.meta.url), 'utf8'));
const CF = JSON.parse(readFileSync(new URL('./fixtures/stats_closed_form.json', import.meta.url), 'utf8')).cells as Record<string, unknown>[];
const num = (v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : (v as number));
const arr = (a: unknown[]) => Float64Array.from(a, num);
const f64 = (...v: number[]) => Float64Array.from(v);

let cores: { simd: Core; scalar: Core; relaxed?: Core };

test.before(async () => {
  await init();
  cores = { simd: await loadCore({ simd: 'baseline' }), scalar: await loadCore({ simd: 'scalar' }) };
  try {
    cores.relaxed = await loadCore({ simd: 'relaxed' });
  } catch {
    /* relaxed SIMD not compiled by this host */
  }
});

const L = F.logpmf;
const P = F.pvalues as Record<string, unknown>[];

test('log-pmf matches mpmath within 2e-12·max(1,|ln f|) + 4e-16·n in every binary and scalar twin', () => {
  const k = arr(L.k), n = arr(L.n), mu = arr(L.mu), rho = arr(L.rho), want = arr(L.mp);
  for (const [name, core] of Object.entries(cores)) {
    if (!core) continue;
    for (const scalar of [false, true]) {
      const got = betaBinomial.logPmf(k, n, mu, rho, { core, scalar });
      for (let i = 0; i < want.length; i++) {
        const tol = 2e-12 * Math.max(1, Math.abs(want[i])) + 4e-16 * n[i];
        assert.ok(Math.abs(got[i] - want[i]) <= tol, `${name}${scalar ? ' scalar' : ''}: k=${k[i]} n=${n[i]} mu=${mu[i]} rho=${rho[i]}: got ${got[i]}, want ${want[i]}`);
      }
    }
  }
});

test('p-values match mpmath tail sums to 1e-12 + 4e-16·n relative, down to 1e-300, in every binary and scalar twin', () => {
  const k = arr(P.map((r) => r.k)), n = arr(P.map((r) => r.n)), mu = arr(P.map((r) => r.mu)), rho = arr(P.map((r) => r.rho));
  const want = arr(P.map((r) => r.p));
  let smallest = 1;
  for (const [name, core] of Object.entries(cores)) {
    if (!core) continue;
    for (const scalar of [false, true]) {
      const got = betaBinomial.pValues(k, n, mu, rho, { core, scalar });
      for (let i = 0; i < want.length; i++) {
        if (want[i] > 0) smallest = Math.min(smallest, want[i]);
        const err = want[i] < 2.2250738585072014e-308 ? (got[i] < 2.3e-308 ? 0 : Infinity) : Math.abs(got[i] - want[i]) / want[i];
        assert.ok(err <= 1e-12 + 4e-16 * n[i], `${name}${scalar ? ' scalar' : ''}: k=${k[i]} n=${n[i]} mu=${mu[i]} rho=${rho[i]}: got ${got[i]}, want ${want[i]}`);
      }
    }
  }
  assert.ok(smallest < 1e-250, `fixtures reach p = ${smallest}`);
});

test('closed form (n < 1024): ln f and p match mpmath (gen_stats_closed_form.py) in every binary and scalar twin', () => {
  const col = (f: string) => arr(CF.map((r) => r[f]));
  const k = col('k'), n = col('n'), mu = col('mu'), rho = col('rho'), wantL = col('logpmf'), wantP = col('p');
  for (const [name, core] of Object.entries(cores)) {
    if (!core) continue;
    for (const scalar of [false, true]) {
      const lf = betaBinomial.logPmf(k, n, mu, rho, { core, scalar });
      const p = betaBinomial.pValues(k, n, mu, rho, { core, scalar });
      for (let i = 0; i < k.length; i++) {
        const where = `${name}${scalar ? ' scalar' : ''}: k=${k[i]} n=${n[i]} mu=${mu[i]} rho=${rho[i]}`;
        assert.ok(Math.abs(lf[i] - wantL[i]) <= 2e-12 * Math.max(1, Math.abs(wantL[i])) + 4e-16 * n[i], `${where}: ln f ${lf[i]}, want ${wantL[i]}`);
        const err = wantP[i] < 2.2250738585072014e-308 ? (p[i] < 2.3e-308 ? 0 : Infinity) : Math.abs(p[i] - wantP[i]) / wantP[i];
        assert.ok(err <= 1e-12 + 4e-16 * n[i], `${where}: p ${p[i]}, want ${wantP[i]}`);
      }
    }
  }
  // The cells reach the closed form's special cases.
  const s = (i: number) => (1 - rho[i]) / rho[i];
  assert.ok(k.some((v, i) => v === 0) && k.some((v, i) => v === n[i]));
  assert.ok(k.some((_, i) => mu[i] * s(i) < 8) && k.some((_, i) => (1 - mu[i]) * s(i) < 8) && k.some((_, i) => Math.min(mu[i], 1 - mu[i]) * s(i) > 1e4));
});

test('p-values match scipy.stats.betabinom to 1e-10 relative where scipy agrees with mpmath to 1e-11', () => {
  let compared = 0;
  for (const rows of [CF, P]) {
    const usable = rows.filter((r) => r.scipy_cdf !== undefined && num(r.n) > 0);
    const col = (f: string) => arr(usable.map((r) => r[f]));
    const k = col('k'), n = col('n'), mu = col('mu'), rho = col('rho');
    const scdf = col('scipy_cdf'), ssf = col('scipy_sf_ge'), cdf = col('cdf'), sf = col('sf_ge');
    const p = betaBinomial.pValues(k, n, mu, rho);
    for (let i = 0; i < k.length; i++) {
      const sp = Math.min(1, 2 * Math.min(scdf[i], ssf[i]));
      if (!(Math.abs(scdf[i] - cdf[i]) <= 1e-11 * cdf[i] && Math.abs(ssf[i] - sf[i]) <= 1e-11 * sf[i]) || !(sp > 1e-300)) continue;
      compared++;
      assert.ok(Math.abs(p[i] - sp) <= 1e-10 * sp, `k=${k[i]} n=${n[i]} mu=${mu[i]} rho=${rho[i]}: ${p[i]} vs scipy ${sp}`);
    }
  }
  assert.ok(compared > 300, `${compared} cells compared`);
});

test('the fixtures cover n up to 1e6, k = 0, k = n, μ near 0 and 1 and ρ from 1e-8 to 0.99', () => {
  const n = arr(L.n), k = arr(L.k), mu = arr(L.mu), rho = arr(L.rho);
  assert.ok(Math.max(...n) >= 1e6);
  assert.ok(k.some((v, i) => v === 0 && n[i] > 0) && k.some((v, i) => v === n[i] && n[i] > 0));
  assert.ok(Math.min(...mu) <= 1e-9 && Math.max(...mu) >= 1 - 1e-9);
  assert.ok(Math.min(...rho) <= 1e-8 && Math.max(...rho) >= 0.98);
});

test('the pmf sums to one over k = 0..n for several (n, μ, ρ)', () => {
  for (const [n, mu, rho] of [[1, 0.3, 0.1], [10, 0.5, 0.5], [50, 0.05, 0.99], [200, 0.9, 1e-8], [1000, 0.3, 0.01], [5000, 1e-6, 0.2], [20000, 0.5, 1e-4]]) {
    const k = new Float64Array(n + 1).map((_, i) => i);
    const nn = new Float64Array(n + 1).fill(n);
    for (const scalar of [false, true]) {
      const lf = betaBinomial.logPmf(k, nn, new Float64Array(n + 1).fill(mu), new Float64Array(n + 1).fill(rho), { scalar });
      let s = 0;
      for (const v of lf) s += Math.exp(v);
      assert.ok(Math.abs(s - 1) < 1e-12, `n=${n} mu=${mu} rho=${rho}: sum ${s}`);
    }
  }
});

test('the SIMD kernels agree with their scalar twins to 1e-13 on random cells', () => {
  const N = 4001;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const k = new Float64Array(N), n = new Float64Array(N), mu = new Float64Array(N), rho = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    n[i] = Math.floor(Math.exp(rnd() * Math.log(3e5)));
    k[i] = Math.floor(rnd() * (n[i] + 1));
    mu[i] = rnd();
    rho[i] = Math.exp(Math.log(1e-9) + rnd() * Math.log(1e9));
  }
  for (const fn of ['logPmf', 'pValues'] as const) {
    const a = betaBinomial[fn](k, n, mu, rho);
    const b = betaBinomial[fn](k, n, mu, rho, { scalar: true });
    for (let i = 0; i < N; i++) {
      const tol = fn === 'logPmf' ? 1e-13 * Math.max(1, Math.abs(b[i])) : 1e-12 * b[i];
      assert.ok(Math.abs(a[i] - b[i]) <= tol, `${fn} at ${i}: ${a[i]} vs ${b[i]}`);
    }
  }
});

test('the kernels agree with a plain-TS implementation of the same maths on moderate cells', () => {
  const N = 2000;
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const k = new Float64Array(N), n = new Float64Array(N), mu = new Float64Array(N), rho = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    n[i] = Math.floor(rnd() * 300);
    k[i] = Math.floor(rnd() * (n[i] + 1));
    mu[i] = 0.02 + 0.96 * rnd();
    rho[i] = 0.001 + 0.5 * rnd();
  }
  const lf = betaBinomial.logPmf(k, n, mu, rho);
  const p = betaBinomial.pValues(k, n, mu, rho);
  for (let i = 0; i < N; i++) {
    assert.ok(Math.abs(lf[i] - logPmfPlain(k[i], n[i], mu[i], rho[i])) <= 1e-10 * Math.max(1, Math.abs(lf[i])), `log-pmf at ${i}`);
    const q = pValuePlain(k[i], n[i], mu[i], rho[i]);
    assert.ok(Math.abs(p[i] - q) <= 1e-9 * q, `p at ${i}: ${p[i]} vs ${q}`);
  }
});

/**
 * Every term of both tails by the single-step ratio recurrence (no early stop, no switch to the
 * other side), relative to f(k): [Σ_{j≤k} f(j)/f(k), Σ_{j≥k} f(j)/f(k)], with α, β formed as
 * the kernel forms them.
 */
function fullTailsRel(k: number, n: number, mu: number, rho: number): [number, number] {
  const s = (1 - rho) / rho, a = mu * s, b = (1 - mu) * s;
  let lo = 1, t = 1;
  for (let j = k; j > 0; j--) lo += (t *= (j * (n - j + b)) / ((n - j + 1) * (j - 1 + a)));
  let up = 1;
  t = 1;
  for (let j = k; j < n; j++) up += (t *= ((n - j) * (j + a)) / ((j + 1) * (n - j - 1 + b)));
  return [lo, up];
}

test('p-values equal the sum of every pmf term (blocked recurrence, early stop and side switch are exact) on long, U- and J-shaped tails, p near 1 and tiny p', () => {
  // (k, n, μ, ρ); n > 200 so that ln f comes from the accurate form in every binary.
  const U = [0.3, 0.5], Jab = [0.2, 30]; // U-shaped (α, β < 1) and J-shaped (α < 1 < β) pmfs
  const muU = U[0] / (U[0] + U[1]), rhoU = 1 / (1 + U[0] + U[1]);
  const muJ = Jab[0] / (Jab[0] + Jab[1]), rhoJ = 1 / (1 + Jab[0] + Jab[1]);
  const cells: number[][] = [
    [500000, 1000000, 0.5, 1e-6], [505000, 1000000, 0.5, 1e-6], [494000, 1000000, 0.5, 1e-6],
    [300000, 1000000, 0.3, 1e-3], [360000, 1000000, 0.3, 1e-3], [240000, 1000000, 0.3, 1e-3],
    [0, 1000, muU, rhoU], [1, 1000, muU, rhoU], [3, 1000, muU, rhoU], [375, 1000, muU, rhoU], [900, 1000, muU, rhoU], [999, 1000, muU, rhoU], [1000, 1000, muU, rhoU],
    [0, 500, muJ, rhoJ], [1, 500, muJ, rhoJ], [5, 500, muJ, rhoJ], [50, 500, muJ, rhoJ], [250, 500, muJ, rhoJ], [499, 500, muJ, rhoJ],
    [1000, 2000, 0.5, 1e-4], [1001, 2000, 0.5, 1e-4], [999, 2000, 0.5, 0.05], [250, 1001, 0.25, 0.01],
    [400, 2000, 0.5, 1e-4], [300, 2000, 0.5, 1e-4], [1700, 2000, 0.5, 1e-4], [260, 2000, 0.5, 1e-4],
    [3, 300, 0.2, 0.002], [297, 300, 0.8, 0.002], [150, 300, 0.01, 0.1], [2, 250, 0.99, 0.05],
    // α or β ≪ 1 with the mass at 0 or n reached through the ratio at j = 1 (j − 1 + α must not lose α).
    [150, 300, 0.2, 1 - 1e-9], [5, 300, 0.2, 1 - 1e-9], [295, 300, 0.8, 1 - 1e-9], [2, 5000, 0.001, 0.5], [4998, 5000, 0.999, 0.5],
    // n < 1024 (closed form, tails two cells at a time): k's side longer and heavy (the other side
    // is summed first), longer and light (direct, past its cap), a predicted heavy side that is
    // light (skewed pmf: redone on the direct side), and mixed pairs of these.
    [85, 100, 0.9, 0.01], [88, 100, 0.9, 0.01], [60, 100, 0.9, 0.01], [70, 100, 0.9, 0.01], [850, 1000, 0.9, 0.001],
    [700, 1000, 0.95, 0.5], [720, 1000, 0.95, 0.5], [750, 1000, 0.95, 0.5], [280, 1000, 0.05, 0.5], [300, 400, 0.9, 0.2],
    [15, 100, 0.1, 0.01], [12, 100, 0.1, 0.01], [40, 100, 0.1, 0.01], [1, 1023, 0.5, 0.999], [1022, 1023, 0.5, 0.999],
  ];
  const col = (j: number) => Float64Array.from(cells, (c) => c[j]);
  const [k, n, mu, rho] = [col(0), col(1), col(2), col(3)];
  const tails = cells.map((c) => fullTailsRel(c[0], c[1], c[2], c[3]));
  for (const [name, core] of Object.entries(cores)) {
    if (!core) continue;
    for (const scalar of [false, true]) {
      const lf = betaBinomial.logPmf(k, n, mu, rho, { core, scalar });
      const p = betaBinomial.pValues(k, n, mu, rho, { core, scalar });
      for (let i = 0; i < cells.length; i++) {
        const [lo, up] = tails[i];
        const want = Math.min(1, 2 * Math.exp(lf[i] + Math.log(Math.min(lo, up))));
        const err = Math.abs(p[i] - want) / want;
        // Where the kernel sums the heavier side and takes p by complement (k's side of the mean
        // holds most of the mass: J-shaped pmfs), the error of ln f itself (≲ 1e-14·|ln f| here)
        // is amplified by heavier/lighter; elsewhere the measured worst is 4.9e-13 (both sides
        // summed in plain doubles over up to 1e6 terms).
        const [kk, nn, m, r] = cells[i];
        const sc = (1 - r) / r, a = m * sc, b = (1 - m) * sc;
        const onLower = kk * (a + b) <= nn * a; // the kernel's side: k's side of the mean
        const [dir, oth] = onLower ? [lo, up] : [up, lo];
        const amp = dir >= oth ? dir / oth : 10; // 10: a switch to the other side (SWITCH_MASS)
        const tol = 2e-12 + amp * 2e-14 * Math.max(1, Math.abs(lf[i]));
        assert.ok(err <= tol, `${name}${scalar ? ' scalar' : ''}: cell ${cells[i]}: got ${p[i]}, want ${want} (rel ${err})`);
      }
    }
  }
  // The cells reach p near 1, p below 1e-200 (the log-space path) and long heavy tails.
  const p = betaBinomial.pValues(k, n, mu, rho);
  assert.ok(p.some((v) => v > 0.99) && p.some((v) => v > 0 && v < 1e-200), `${Array.from(p)}`);
});

test('p below the smallest double underflows to 0, and p = 1 at the median', () => {
  const p = betaBinomial.pValues(f64(100, 1900, 1000, 500000), f64(2000, 2000, 2000, 1000000), f64(0.5, 0.5, 0.5, 0.5), f64(1e-4, 1e-4, 1e-4, 1e-6));
  assert.equal(Array.from(p), [0, 0, 1, 1]);
});

test('p-values are in [0, 1] and never NaN for valid inputs, including the edges of μ and ρ', () => {
  const cells: number[][] = [];
  for (const n of [0, 1, 2, 5, 100, 5000])
    for (const k of [0, 1, Math.floor(n / 2), n - 1, n])
      for (const mu of [0, 1e-300, 1e-15, 1e-6, 0.5, 1 - 1e-12, 1])
        for (const rho of [0, 1e-300, 1e-15, 1e-8, 0.3, 0.99, 1]) if (k >= 0 && k <= n) cells.push([k, n, mu, rho]);
  const col = (j: number) => Float64Array.from(cells, (c) => c[j]);
  for (const scalar of [false, true]) {
    const p = betaBinomial.pValues(col(0), col(1), col(2), col(3), { scalar });
    const lf = betaBinomial.logPmf(col(0), col(1), col(2), col(3), { scalar });
    p.forEach((v, i) => assert.ok(v >= 0 && v <= 1, `p=${v} at ${cells[i]}`));
    lf.forEach((v, i) => assert.ok(v <= 1e-15 && !Number.isNaN(v), `ln f=${v} at ${cells[i]}`));
  }
});

test('n = 0 gives p = 1 and ln f = 0; k = 0 and k = n give the closed forms', () => {
  const p = betaBinomial.pValues(f64(0), f64(0), f64(0.3), f64(0.1));
  assert.is(p[0], 1);
  assert.is(betaBinomial.logPmf(f64(0), f64(0), f64(0.3), f64(0.1))[0], 0);
  // f(0) = B(α, n+β)/B(α, β) = Π_{i<n} (β+i)/(α+β+i);  α = β = 1 (ρ = 1/3, μ = ½) gives 1/(n+1).
  const lf = betaBinomial.logPmf(f64(0, 7), f64(7, 7), f64(0.5, 0.5), f64(1 / 3, 1 / 3));
  assert.ok(Math.abs(lf[0] + Math.log(8)) < 1e-14 && Math.abs(lf[1] + Math.log(8)) < 1e-14);
  // uniform on 0..n: F(k) = (k+1)/(n+1): p(k=1, n=7) = 2·2/8 = 0.5
  const pu = betaBinomial.pValues(f64(1, 0, 7), f64(7, 7, 7), f64(0.5, 0.5, 0.5), f64(1 / 3, 1 / 3, 1 / 3));
  assert.ok(Math.abs(pu[0] - 0.5) < 1e-14 && Math.abs(pu[1] - 0.25) < 1e-14 && Math.abs(pu[2] - 0.25) < 1e-14);
});

test('NaN μ or ρ gives NaN for that cell only', () => {
  const p = betaBinomial.pValues(f64(1, 1, 1), f64(3, 3, 3), f64(NaN, 0.5, 0.5), f64(0.1, NaN, 0.1));
  assert.ok(Number.isNaN(p[0]) && Number.isNaN(p[1]) && p[2] > 0 && p[2] <= 1);
});

test('ρ given per junction is broadcast over the rows of an N×J layout', () => {
  const N = 3, J = 4;
  const k = Uint32Array.from({ length: N * J }, (_, i) => i % 5);
  const n = Uint32Array.from({ length: N * J }, () => 9);
  const mu = Float64Array.from({ length: N * J }, (_, i) => 0.1 + 0.05 * i);
  const rhoJ = f64(0.01, 0.1, 0.3, 1e-6);
  const full = Float64Array.from({ length: N * J }, (_, i) => rhoJ[i % J]);
  assert.equal(betaBinomial.pValues(k, n, mu, rhoJ, { junctions: J }), betaBinomial.pValues(k, n, mu, full));
  assert.equal(betaBinomial.logPmf(k, n, mu, rhoJ, { junctions: J }), betaBinomial.logPmf(k, n, mu, full));
});

test('results do not depend on the block size (more than 32768 cells)', () => {
  const N = 70001;
  const k = new Float64Array(N), n = new Float64Array(N), mu = new Float64Array(N).fill(0.3), rho = new Float64Array(N).fill(0.05);
  for (let i = 0; i < N; i++) {
    n[i] = 10 + (i % 37);
    k[i] = i % (n[i] + 1);
  }
  const all = betaBinomial.pValues(k, n, mu, rho);
  const tail = betaBinomial.pValues(k.subarray(50000), n.subarray(50000), mu.subarray(50000), rho.subarray(50000));
  assert.equal(all.subarray(50000), tail);
});

test('bad counts give typed errors naming the index', () => {
  const ok = f64(0.5, 0.5);
  const cases: [Float64Array, Float64Array, string][] = [
    [f64(1, 4), f64(3, 3), 'k[1]'],
    [f64(1, -1), f64(3, 3), 'k[1]'],
    [f64(1.5, 1), f64(3, 3), 'k[0]'],
    [f64(1, NaN), f64(3, 3), 'k[1]'],
    [f64(1, 1), f64(3, NaN), 'n[1]'],
    [f64(1, 1), f64(3, 2.5), 'n[1]'],
  ];
  for (const [k, n, where] of cases) {
    try {
      betaBinomial.pValues(k, n, ok, ok);
      assert.unreachable(`${where} should throw`);
    } catch (e) {
      assert.instance(e, ArgumentValueError);
      assert.is((e as ArgumentValueError).argument, where);
    }
  }
  assert.throws(() => betaBinomial.logPmf(f64(1), f64(3, 3), ok, ok), (e: unknown) => e instanceof ShapeError && (e as ShapeError).argument === 'n');
  assert.throws(() => betaBinomial.logPmf(f64(1, 1), f64(3, 3), ok, f64(0.1)), (e: unknown) => e instanceof ShapeError && (e as ShapeError).argument === 'rho');
  assert.throws(() => betaBinomial.logPmf(f64(1, 1), f64(3, 3), ok, f64(0.1, 0.2, 0.3), { junctions: 3 }), (e: unknown) => e instanceof ShapeError);
  assert.throws(() => betaBinomial.logPmf([1, 1] as never, f64(3, 3), ok, ok), (e: unknown) => e instanceof ArgumentTypeError && (e as ArgumentTypeError).argument === 'k');
});

// ---------------------------------------------------------------------------------------------
// Adjustments

test('BH, BY and Holm equal R p.adjust (NaN ignored, ties as R) on every fixture vector', () => {
  for (const row of F.adjust) {
    const p = arr(row.p);
    for (const [m, fn] of [['BH', adjust.bh], ['BY', adjust.by], ['holm', adjust.holm]] as const) {
      const got = fn(p);
      const want = arr(row[m]);
      for (let i = 0; i < p.length; i++) {
        if (Number.isNaN(want[i])) assert.ok(Number.isNaN(got[i]), `${m}[${i}] should be NaN`);
        else assert.ok(Math.abs(got[i] - want[i]) <= 1e-15 * want[i] + 1e-300, `${m}[${i}]: ${got[i]} vs ${want[i]}`);
      }
    }
  }
});

test('BH, BY and Holm equal a sort of every value bit for bit: ties, NaN, 0, 1, subnormals, values at the cut', () => {
  let seed = 99;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  // m below, at and above the size where the cut is used (64), and FRASER's size.
  for (const m of [1, 2, 5, 63, 64, 65, 200, 1000, 20000]) {
    for (let rep = 0; rep < (m > 1000 ? 3 : 12); rep++) {
      const p = new Float64Array(m);
      let qBY = 0;
      for (let j = m; j >= 1; j--) qBY += 1 / j;
      const shape = rep % 6;
      for (let i = 0; i < m; i++) {
        const u = rnd();
        if (shape === 0) p[i] = rnd(); // uniform: the BH cut is near 1
        else if (shape === 1) p[i] = Math.floor(rnd() * 7) / 6; // heavy ties, including 0 and 1
        else if (shape === 2) p[i] = u < 0.1 ? NaN : u < 0.3 ? 1 : u < 0.5 ? Math.exp(-700 * rnd()) : u < 0.52 ? 5e-324 * Math.floor(1 + 10 * rnd()) : rnd();
        else if (shape === 3) p[i] = Math.min(1, (1 / qBY) * (1 + (Math.floor(rnd() * 5) - 2) * 1e-12)); // ties around 1/q, the BY cut
        else if (shape === 4) p[i] = u < 0.5 ? 2 ** -(1 + Math.floor(rnd() * 40)) * (1 + Math.floor(rnd() * 4) / 4) : rnd() * 1e-4; // bucket edges
        else p[i] = u < 0.02 ? NaN : u < 0.5 ? Math.min(1, (Math.floor(rnd() * 50) + 1) / m) : rnd(); // j/m: the BH and Holm lines
      }
      for (const [name, fn] of [['BH', adjust.bh], ['BY', adjust.by], ['holm', adjust.holm]] as const) {
        const got = fn(p);
        const want = adjustPlain(p, name);
        for (let i = 0; i < m; i++) {
          assert.ok(Object.is(got[i], want[i]), `${name} m=${m} shape ${shape} at ${i} (p=${p[i]}): ${got[i]} vs ${want[i]}`);
        }
      }
      // The same through perSample (rows of a matrix), BY and BH.
      const rows = new Float64Array(2 * m);
      rows.set(p, 0);
      rows.set(p.slice().reverse(), m);
      for (const method of ['BY', 'BH'] as const) {
        const got = adjust.perSample(rows, 2, m, { method });
        const want = adjustPlain(p, method);
        for (let i = 0; i < m; i++) assert.ok(Object.is(got[i], want[i]) && Object.is(got[2 * m - 1 - i], want[i]), `perSample ${method} m=${m} at ${i}`);
      }
    }
  }
});

test('Holm, BH and BY on a hand-checked vector', () => {
  const p = f64(0.01, 0.04, 0.03, NaN, 0.5);
  // m = 4 (NaN not counted). Sorted 0.01, 0.03, 0.04, 0.5.
  assert.equal(Array.from(adjust.holm(p)), [0.04, 0.09, 0.09, NaN, 0.5]);
  const bh = adjust.bh(p); // 4·0.01/1 = 0.04; 0.03·4/2 = 0.06; 0.04·4/3 = 0.0533 → cummin: 0.0533, 0.0533; 0.5
  [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, NaN, 0.5].forEach((v, i) => (Number.isNaN(v) ? assert.ok(Number.isNaN(bh[i])) : assert.ok(Math.abs(bh[i] - v) < 1e-15)));
  const q = 1 + 1 / 2 + 1 / 3 + 1 / 4;
  const by = adjust.by(p);
  [0.04 * q, 0.04 * 4 / 3 * q, 0.04 * 4 / 3 * q, NaN, Math.min(1, 0.5 * q)].forEach((v, i) => (Number.isNaN(v) ? assert.ok(Number.isNaN(by[i])) : assert.ok(Math.abs(by[i] - v) < 1e-15)));
});

test('per-sample adjustment without groups is BY of each row', () => {
  const p = f64(0.01, 0.2, 0.03, 0.5, 0.001, 0.9);
  const out = adjust.perSample(p, 2, 3);
  assert.equal(out.subarray(0, 3), adjust.by(p.subarray(0, 3)));
  assert.equal(out.subarray(3, 6), adjust.by(p.subarray(3, 6)));
});

test('per-sample adjustment with groups applies Holm within a group, the minimum, then BY across groups', () => {
  // One sample, 5 junctions in groups A = {0, 1, 2}, B = {3}, C = {4}.
  const p = f64(0.02, 0.01, 0.5, 0.04, 0.3);
  const groups = Int32Array.from([7, 7, 7, 2, 9]);
  // Holm in A: sorted 0.01, 0.02, 0.5 → 0.03, 0.04, 0.5; min 0.03. B: 0.04. C: 0.3.
  // BY over (0.04 [B], 0.03 [A], 0.3 [C]), q = 11/6: sorted 0.03, 0.04, 0.3 → 3·0.03/1, 3·0.04/2, 3·0.3/3 → cummin from the top: 0.06, 0.06, 0.3 → ×q.
  const q = 11 / 6;
  const out = adjust.perSample(p, 1, 5, { method: 'BY', groups });
  const want = [0.06 * q, 0.06 * q, 0.06 * q, 0.06 * q, 0.3 * q];
  want.forEach((v, j) => assert.ok(Math.abs(out[j] - v) < 1e-15, `junction ${j}: ${out[j]} vs ${v}`));
  const outBH = adjust.perSample(p, 1, 5, { method: 'BH', groups });
  [0.06, 0.06, 0.06, 0.06, 0.3].forEach((v, j) => assert.ok(Math.abs(outBH[j] - v) < 1e-15));
});

test('gene-level p is the minimum Holm-adjusted p of the gene, then BY across genes per sample', () => {
  // Two samples, 5 junctions; genes: 10 = {0, 1}, 4 = {2}, none = {3}, 10 again = {4}.
  const p = f64(0.01, 0.2, 0.04, 0.0001, 0.03, 0.6, NaN, 0.5, 0.001, NaN);
  const genes = Int32Array.from([10, 10, 4, -1, 10]);
  const r = adjust.geneLevel(p, 2, 5, genes);
  assert.equal(Array.from(r.genes), [4, 10]);
  // Sample 0: gene 4: 0.04; gene 10: Holm(0.01, 0.2, 0.03) → 0.03, 0.2, 0.06 → min 0.03. BY m = 2, q = 1.5.
  //   sorted 0.03 [10], 0.04 [4]: 2·0.03/1 = 0.06, 2·0.04/2 = 0.04 → cummin from top: 0.04, 0.04 → ×1.5 = 0.06.
  assert.equal(Array.from(r.p.subarray(0, 2)), [0.04, 0.03]);
  [0.06, 0.06].forEach((v, g) => assert.ok(Math.abs(r.padj[g] - v) < 1e-15));
  // Sample 1: gene 4: 0.5; gene 10: p = (0.6, NaN, NaN) → Holm of one value → 0.6. BY m = 2.
  assert.equal(Array.from(r.p.subarray(2, 4)), [0.5, 0.6]);
  [Math.min(1, 0.6 * 1.5), Math.min(1, 0.6 * 1.5)].forEach((v, g) => assert.ok(Math.abs(r.padj[2 + g] - v) < 1e-15));
});

test('adjustments reject p outside [0, 1], a bad shape and a bad method with typed errors', () => {
  assert.throws(() => adjust.bh(f64(0.1, 1.5)), (e: unknown) => e instanceof ArgumentValueError && (e as ArgumentValueError).argument === 'p[1]');
  assert.throws(() => adjust.perSample(f64(0.1, 0.2, 0.3), 2, 2), (e: unknown) => e instanceof ShapeError);
  assert.throws(() => adjust.perSample(f64(0.1, 0.2), 1, 2, { method: 'holm' as never }), (e: unknown) => e instanceof ArgumentValueError && (e as ArgumentValueError).argument === 'method');
  assert.throws(() => adjust.perSample(f64(0.1, 0.2), 1, 2, { groups: Int32Array.from([0]) }), (e: unknown) => e instanceof ShapeError && (e as ShapeError).argument === 'groups');
  assert.throws(() => adjust.geneLevel(f64(0.1, 0.2), 1, 2, Int32Array.from([0, -2])), (e: unknown) => e instanceof ArgumentValueError && (e as ArgumentValueError).argument === 'genes[1]');
});

// ---------------------------------------------------------------------------------------------
// z-scores and Δψ

test('z-scores standardise the logit residual per junction over samples', () => {
  const N = 4, J = 2;
  const k = f64(1, 5, 2, 9, 3, 0, 4, 7);
  const n = f64(10, 10, 10, 10, 10, 10, 10, 10);
  const mu = f64(0.2, 0.5, 0.2, 0.5, 0.2, 0.5, 0.2, 0.5);
  const z = zScores(k, n, mu, N, J);
  const lg = (x: number) => Math.log(x / (1 - x));
  for (let j = 0; j < J; j++) {
    const r = [0, 1, 2, 3].map((i) => lg((k[i * J + j] + 0.1) / (n[i * J + j] + 0.2)) - lg(mu[i * J + j]));
    const m = r.reduce((a, b) => a + b) / N;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (N - 1));
    r.forEach((v, i) => assert.ok(Math.abs(z[i * J + j] - (v - m) / sd) < 1e-13));
  }
});

test('Δψ is k/n − μ and NaN where n = 0', () => {
  const d = deltaPsi(f64(1, 0, 3), f64(4, 0, 3), f64(0.5, 0.5, 0.25));
  assert.is(d[0], -0.25);
  assert.ok(Number.isNaN(d[1]));
  assert.is(d[2], 0.75);
});

test.run();
