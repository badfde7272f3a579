/**
 * The seeded generator: same seed, same stream; and each deviate's sample mean and variance match
 * the distribution's within five standard errors (n = 40 000 draws).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArgumentValueError, Rng } from '../src/index.js';

function moments(draw: () => number, n = 40000) {
  let s = 0, s2 = 0;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = draw();
    s += xs[i];
  }
  const mean = s / n;
  for (let i = 0; i < n; i++) s2 += (xs[i] - mean) ** 2;
  return { mean, variance: s2 / (n - 1), n, xs };
}

function near(name: string, draw: () => number, mean: number, variance: number) {
  const m = moments(draw);
  const se = Math.sqrt(variance / m.n);
  assert.ok(Math.abs(m.mean - mean) <= 5 * se, `${name}: mean ${m.mean} vs ${mean}`);
  // The variance of the sample variance needs the fourth moment; 6% is ≥ 5 s.e. for these shapes.
  assert.ok(Math.abs(m.variance - variance) <= 0.06 * variance, `${name}: variance ${m.variance} vs ${variance}`);
  return m;
}

test('the same seed gives the same stream, and different seeds different streams', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 10 }, () => a.uniform());
  const xb = Array.from({ length: 10 }, () => b.uniform());
  const xc = Array.from({ length: 10 }, () => c.uniform());
  assert.equal(xa, xb);
  assert.not.equal(xa, xc);
  assert.ok(xa.every((x) => x >= 0 && x < 1));
});

test('normal, gamma and beta deviates have the right mean and variance', () => {
  const r = new Rng(1);
  near('normal', () => r.normal(), 0, 1);
  for (const k of [0.3, 1, 4.5, 50]) near(`gamma(${k})`, () => r.gamma(k), k, k);
  for (const [a, b] of [[0.5, 0.5], [2, 5], [30, 0.8]]) {
    near(`beta(${a}, ${b})`, () => r.beta(a, b), a / (a + b), (a * b) / ((a + b) ** 2 * (a + b + 1)));
  }
});

test('Poisson, binomial and negative-binomial deviates are integers with the right mean and variance', () => {
  const r = new Rng(2);
  for (const l of [0.1, 3, 40, 1234]) {
    const m = near(`poisson(${l})`, () => r.poisson(l), l, l);
    assert.ok(m.xs.every(Number.isInteger));
  }
  for (const [n, p] of [[10, 0.3], [200, 0.9], [5000, 0.2], [1, 0.5]]) {
    const m = near(`binomial(${n}, ${p})`, () => r.binomial(n, p), n * p, n * p * (1 - p));
    assert.ok(m.xs.every((x) => Number.isInteger(x) && x >= 0 && x <= n));
  }
  near('negativeBinomial(50, 5)', () => r.negativeBinomial(50, 5), 50, 50 + 2500 / 5);
});

test('a seed that is not a 32-bit unsigned integer is rejected', () => {
  assert.throws(() => new Rng(-1), (e: unknown) => e instanceof ArgumentValueError && (e as ArgumentValueError).argument === 'seed');
});

test.run();
