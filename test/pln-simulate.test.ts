/**
 * The PLN simulator (src/simulate/pln.ts): the truncated AR(1) covariance and its eigenpairs, the
 * latent layer's moments, the count design of the reference benchmarks (mean ≈ 1.2, ≈ 37% zeros at
 * ρ = 0.5, p = 50, q = 5), offsets, determinism and typed errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArgumentTypeError, ArgumentValueError, init, loadCore } from '../src/index.js';
import { simulatePln } from '../src/simulate/pln.js';

test.before(async () => {
  await init();
});

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('V has orthonormal columns that are eigenvectors of AR1(ρ) with the descending eigenvalues Λ', () => {
  for (const [p, q, rho] of [[12, 4, 0.5], [30, 30, 0.8], [7, 1, -0.6]] as const) {
    const { truth } = simulatePln({ n: 2, p, q, rho, seed: 3 });
    const { V, Lambda } = truth;
    assert.is(V.length, p * q);
    for (let a = 0; a < q; a++) {
      for (let b = 0; b < q; b++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += V[j * q + a] * V[j * q + b];
        assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12, `VᵀV[${a},${b}] = ${s}`);
      }
    }
    for (let r = 0; r < q; r++) {
      if (r > 0) assert.ok(Lambda[r] <= Lambda[r - 1], 'eigenvalues descending');
      let first = 0;
      while (Math.abs(V[first * q + r]) < 1e-6) first++;
      assert.ok(V[first * q + r] > 0, 'first non-negligible entry of each column is positive');
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let k = 0; k < p; k++) s += Math.pow(rho, Math.abs(j - k)) * V[k * q + r];
        assert.ok(Math.abs(s - Lambda[r] * V[j * q + r]) < 1e-12 * p, `AR1·v = λv at (${j}, ${r})`);
      }
    }
    // AR(1) eigenvalues lie in the range of its spectral density, [(1−|ρ|)/(1+|ρ|), (1+|ρ|)/(1−|ρ|)].
    const hi = (1 + Math.abs(rho)) / (1 - Math.abs(rho));
    assert.ok(Lambda[0] < hi && Lambda[q - 1] > 1 / hi);
  }
});

test('Sigma is V diag(Λ) Vᵀ, and with q = p it is the AR(1) matrix itself', () => {
  const p = 15;
  for (const q of [3, p]) {
    const { truth } = simulatePln({ n: 2, p, q, rho: 0.7, seed: 2 });
    const { V, Lambda, Sigma } = truth;
    for (let j = 0; j < p; j++) {
      for (let k = 0; k < p; k++) {
        let s = 0;
        for (let r = 0; r < q; r++) s += V[j * q + r] * Lambda[r] * V[k * q + r];
        assert.ok(Math.abs(Sigma[j * p + k] - s) < 1e-14, 'reconstruction');
        assert.is(Sigma[j * p + k], Sigma[k * p + j], 'symmetric');
        if (q === p) assert.ok(Math.abs(Sigma[j * p + k] - Math.pow(0.7, Math.abs(j - k))) < 1e-12, 'full rank gives AR1');
      }
    }
    let trace = 0;
    for (let r = 0; r < q; r++) trace += Lambda[r];
    if (q === p) assert.ok(Math.abs(trace - p) < 1e-11, 'the eigenvalues of AR1 sum to p');
  }
});

test('Z is XB + W Λ^{1/2} Vᵀ, X has an intercept column, and B has a zero intercept row and N(0, 0.3²) covariate rows', () => {
  const n = 50, p = 40, q = 3, d = 4;
  const s = simulatePln({ n, p, q, d, seed: 9 });
  const { X, truth } = s;
  const { B, V, Lambda, W, Z } = truth;
  assert.is(X.length, n * d);
  assert.is(B.length, d * p);
  assert.is(W.length, n * q);
  for (let i = 0; i < n; i++) assert.is(X[i * d], 1);
  for (let j = 0; j < p; j++) assert.is(B[j], 0);
  let ss = 0;
  for (let i = p; i < d * p; i++) ss += B[i] * B[i];
  const sd = Math.sqrt(ss / ((d - 1) * p));
  assert.ok(sd > 0.25 && sd < 0.35, `covariate effect sd ${sd}`);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let z = 0;
      for (let k = 0; k < d; k++) z += X[i * d + k] * B[k * p + j];
      for (let r = 0; r < q; r++) z += W[i * q + r] * Math.sqrt(Lambda[r]) * V[j * q + r];
      assert.ok(Math.abs(z - Z[i * p + j]) < 1e-13, 'Z');
    }
  }
});

test('the empirical covariance of Z − XB is close to Σ_q at large n', () => {
  const n = 20000, p = 10, q = 3;
  const { truth } = simulatePln({ n, p, q, d: 2, rho: 0.5, seed: 11 });
  const { Z, Sigma, B } = truth;
  const { X } = simulatePln({ n, p, q, d: 2, rho: 0.5, seed: 11 });
  const R = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) R[i * p + j] = Z[i * p + j] - B[j] - X[i * 2 + 1] * B[p + j];
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += R[i * p + j] / n;
  for (let j = 0; j < p; j++) assert.ok(Math.abs(mean[j]) < 4 * Math.sqrt(Sigma[j * p + j] / n), `mean ${j} = ${mean[j]}`);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += R[i * p + j] * R[i * p + k];
      c /= n;
      // Var of a sample covariance of Gaussians: (Σ_jj Σ_kk + Σ_jk²)/n; five standard errors.
      const se = Math.sqrt((Sigma[j * p + j] * Sigma[k * p + k] + Sigma[j * p + k] ** 2) / n);
      assert.ok(Math.abs(c - Sigma[j * p + k]) < 5 * se, `cov[${j},${k}] = ${c}, Σ_q = ${Sigma[j * p + k]}`);
    }
  }
});

test('the counts are non-negative integers with the reference design: mean ≈ 1.2 and ≈ 37% zeros at ρ = 0.5, p = 50, q = 5', () => {
  const n = 5000, p = 50, q = 5;
  const { Y, truth } = simulatePln({ n, p, q, rho: 0.5, seed: 1 });
  let sum = 0, zeros = 0, sumExp = 0;
  for (let i = 0; i < Y.length; i++) {
    assert.ok(Number.isInteger(Y[i]) && Y[i] >= 0);
    sum += Y[i];
    if (Y[i] === 0) zeros++;
    sumExp += Math.exp(truth.Z[i]);
  }
  const mean = sum / Y.length;
  const zeroFraction = zeros / Y.length;
  // Population values: E exp(Z_ij) = exp(Σ_jj / 2); the simulated figures at seed 1 are ≈ 1.16 and 0.37.
  let expected = 0;
  for (let j = 0; j < p; j++) expected += Math.exp(truth.Sigma[j * p + j] / 2) / p;
  assert.ok(Math.abs(mean - expected) < 0.03, `mean ${mean} vs ${expected}`);
  assert.ok(mean > 1.1 && mean < 1.3, `mean count ${mean}`);
  assert.ok(zeroFraction > 0.34 && zeroFraction < 0.4, `zero fraction ${zeroFraction}`);
  assert.ok(Math.abs(mean - sumExp / Y.length) < 0.02, 'Poisson mean given Z');
});

test('logLibrary offsets are constant along each row, log-normal with E[L] = 1, and enter the Poisson mean', () => {
  const n = 4000, p = 20, q = 2;
  const s = simulatePln({ n, p, q, seed: 5, offsets: 'logLibrary' });
  const O = s.O!;
  assert.ok(O instanceof Float64Array && O.length === n * p);
  let sumL = 0, sumO = 0, sumO2 = 0, lhs = 0, rhs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 1; j < p; j++) assert.is(O[i * p + j], O[i * p]);
    sumL += Math.exp(O[i * p]);
    sumO += O[i * p];
    sumO2 += O[i * p] ** 2;
    for (let j = 0; j < p; j++) {
      lhs += s.Y[i * p + j];
      rhs += Math.exp(O[i * p + j] + s.truth.Z[i * p + j]);
    }
  }
  const mO = sumO / n;
  const sdO = Math.sqrt(sumO2 / n - mO * mO);
  assert.ok(Math.abs(sumL / n - 1) < 0.03, `mean library ${sumL / n}`);
  assert.ok(Math.abs(sdO - 0.5) < 0.03, `sd of log library ${sdO}`);
  assert.ok(Math.abs(lhs / rhs - 1) < 0.02, 'E[Y | Z, O] = exp(O + Z)');
  assert.is(simulatePln({ n: 3, p: 2, q: 1 }).O, null);
  const flat = simulatePln({ n: 30, p: 4, q: 1, offsets: 'logLibrary', librarySd: 0 }).O!;
  assert.ok(flat.every((v) => v === 0), 'librarySd = 0 gives zero offsets');
});

test('the same seed gives the same bits, another seed other data, and the baseline and scalar cores the same counts', async () => {
  const opts = { n: 200, p: 30, q: 4, d: 3, rho: 0.4, seed: 77, offsets: 'logLibrary' as const };
  const a = simulatePln(opts);
  const b = simulatePln(opts);
  for (const k of ['Y', 'X', 'O'] as const) assert.equal(Array.from(a[k]!), Array.from(b[k]!), k);
  for (const k of ['B', 'Sigma', 'V', 'Lambda', 'Z', 'W'] as const) assert.equal(Array.from(a.truth[k]), Array.from(b.truth[k]), k);
  const c = simulatePln({ ...opts, seed: 78 });
  assert.ok(maxAbs(a.Y, c.Y) > 0);
  for (const simd of ['baseline', 'scalar'] as const) {
    const core = await loadCore({ simd });
    const e = simulatePln({ ...opts, core });
    assert.ok(maxAbs(a.truth.V, e.truth.V) < 1e-12, `V on the ${simd} core`);
    assert.equal(Array.from(a.Y), Array.from(e.Y), `Y on the ${simd} core`);
  }
});

test('bad arguments give typed errors', () => {
  const bad: [Record<string, unknown>, Function, string][] = [
    [{ n: 10, p: 5, q: 6 }, ArgumentValueError, 'q'],
    [{ n: 10, p: 5, q: 0 }, ArgumentValueError, 'q'],
    [{ n: 1, p: 5, q: 2 }, ArgumentValueError, 'n'],
    [{ n: 10, p: 0, q: 1 }, ArgumentValueError, 'p'],
    [{ n: 10.5, p: 5, q: 2 }, ArgumentTypeError, 'n'],
    [{ n: 10, p: 5, q: 2, rho: 1 }, ArgumentValueError, 'rho'],
    [{ n: 10, p: 5, q: 2, rho: -1 }, ArgumentValueError, 'rho'],
    [{ n: 10, p: 5, q: 2, rho: NaN }, ArgumentValueError, 'rho'],
    [{ n: 10, p: 5, q: 2, d: 0 }, ArgumentValueError, 'd'],
    [{ n: 10, p: 5, q: 2, seed: -1 }, ArgumentValueError, 'seed'],
    [{ n: 10, p: 5, q: 2, offsets: 'logsum' }, ArgumentValueError, 'offsets'],
    [{ n: 10, p: 5, q: 2, offsets: 'logLibrary', librarySd: -1 }, ArgumentValueError, 'librarySd'],
  ];
  for (const [opts, type, arg] of bad) {
    try {
      simulatePln(opts as never);
      assert.unreachable(`${JSON.stringify(opts)} should throw`);
    } catch (e) {
      assert.instance(e, type, JSON.stringify(opts));
      assert.is((e as { argument?: string }).argument, arg);
    }
  }
  assert.throws(() => simulatePln(undefined as never), (e: unknown) => e instanceof ArgumentTypeError);
});

test.run();
