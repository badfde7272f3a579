import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArgumentTypeError, ArgumentValueError, ShapeError } from '../src/errors.js';
import {
  BatchReason,
  adam,
  adamStateToJSON,
  batchReasonName,
  brent,
  brentBatch,
  lbfgs,
  lbfgsStateFromJSON,
  lbfgsStateToJSON,
  minimize,
  minimizeBatch,
} from '../src/optim/index.js';
import type { ProgressInfo } from '../src/optim/index.js';
import { Rng } from '../src/random.js';

// ---------- helpers ----------

/** Seeded uniform and normal generators over one stream. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  const u = () => r.uniform();
  streams.set(u, r);
  return u;
}
const streams = new WeakMap<() => number, Rng>();
function normal(u: () => number): () => number {
  const r = streams.get(u)!;
  return () => r.normal();
}

/** Chained Rosenbrock Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)². */
function rosen(x: Float64Array, g: Float64Array): number {
  const n = x.length;
  let f = 0;
  g.fill(0);
  for (let i = 0; i < n - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * x[i] * a - 2 * b;
    g[i + 1] += 200 * a;
  }
  return f;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function throwsTyped(fn: () => unknown, cls: Function, argument: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, cls, `expected ${cls.name}, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.is((e as { argument?: string }).argument, argument);
    assert.ok((e as Error).message.includes(argument.replace(/^options\./, '')), `message names ${argument}: ${(e as Error).message}`);
    return;
  }
  assert.unreachable(`expected ${cls.name} about ${argument}`);
}

/** Logistic-regression data: 500×5 design (intercept + 4 normal covariates), Bernoulli responses. */
function logisticData() {
  const n = 500;
  const p = 5;
  const u = rng(12345);
  const z = normal(u);
  const X = new Float64Array(n * p);
  const y = new Float64Array(n);
  const beta = [-0.5, 1, -1.5, 0.5, 0.25];
  for (let i = 0; i < n; i++) {
    X[i * p] = 1;
    for (let j = 1; j < p; j++) X[i * p + j] = z();
    let eta = 0;
    for (let j = 0; j < p; j++) eta += X[i * p + j] * beta[j];
    y[i] = u() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  }
  /** Mean negative log-likelihood of rows [r0, r1) and its gradient. */
  const nll = (b: Float64Array, g: Float64Array, r0 = 0, r1 = n): number => {
    g.fill(0);
    let f = 0;
    for (let i = r0; i < r1; i++) {
      let eta = 0;
      for (let j = 0; j < p; j++) eta += X[i * p + j] * b[j];
      // log(1 + e^eta) − y·eta, stable for either sign of eta
      f += (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - y[i] * eta;
      const r = 1 / (1 + Math.exp(-eta)) - y[i];
      for (let j = 0; j < p; j++) g[j] += r * X[i * p + j];
    }
    const k = r1 - r0;
    for (let j = 0; j < p; j++) g[j] /= k;
    return f / k;
  };
  /** Newton's method with Gaussian elimination on the 5×5 Hessian. */
  const newton = (): Float64Array => {
    const b = new Float64Array(p);
    const g = new Float64Array(p);
    for (let it = 0; it < 50; it++) {
      nll(b, g);
      const H = new Float64Array(p * p);
      for (let i = 0; i < n; i++) {
        let eta = 0;
        for (let j = 0; j < p; j++) eta += X[i * p + j] * b[j];
        const mu = 1 / (1 + Math.exp(-eta));
        const w = (mu * (1 - mu)) / n;
        for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) H[j * p + k] += w * X[i * p + j] * X[i * p + k];
      }
      const step = solve(H, g, p);
      let sz = 0;
      for (let j = 0; j < p; j++) {
        b[j] -= step[j];
        sz = Math.max(sz, Math.abs(step[j]));
      }
      if (sz < 1e-14) break;
    }
    return b;
  };
  return { n, p, nll, newton };
}

/** Solves A x = r (A n×n row-major) by Gaussian elimination with partial pivoting. */
function solve(A0: Float64Array, r0: Float64Array, n: number): Float64Array {
  const A = A0.slice();
  const r = r0.slice();
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(A[i * n + c]) > Math.abs(A[piv * n + c])) piv = i;
    for (let k = 0; k < n; k++) [A[c * n + k], A[piv * n + k]] = [A[piv * n + k], A[c * n + k]];
    [r[c], r[piv]] = [r[piv], r[c]];
    for (let i = c + 1; i < n; i++) {
      const f = A[i * n + c] / A[c * n + c];
      for (let k = c; k < n; k++) A[i * n + k] -= f * A[c * n + k];
      r[i] -= f * r[c];
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = r[i];
    for (let k = i + 1; k < n; k++) s -= A[i * n + k] * x[k];
    x[i] = s / A[i * n + i];
  }
  return x;
}

// ---------- L-BFGS ----------

test('lbfgs with a diagonal preconditioner reaches the minimum of a badly scaled function in far fewer iterations than plain L-BFGS', () => {
  // f = ½ Σ h_i (x_i − 1)² + ¼ε Σ (x_i x_{i+1})², h_i spanning 1e-3 … 1e3: the scalar γ of plain L-BFGS cannot fit both ends.
  const n = 200;
  const h = Float64Array.from({ length: n }, (_, i) => 10 ** (-3 + (6 * i) / (n - 1)));
  const fn = (x: Float64Array, g: Float64Array) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      f += 0.5 * h[i] * (x[i] - 1) ** 2;
      g[i] = h[i] * (x[i] - 1);
    }
    for (let i = 0; i + 1 < n; i++) {
      const t = x[i] * x[i + 1];
      f += 0.25e-3 * t * t;
      g[i] += 0.5e-3 * t * x[i + 1];
      g[i + 1] += 0.5e-3 * t * x[i];
    }
    return f;
  };
  const invH = h.map((v) => 1 / v);
  const plain = lbfgs(fn, new Float64Array(n), { gtol: 1e-9, ftol: 0, maxIterations: 5000 });
  const pre = lbfgs(fn, new Float64Array(n), { gtol: 1e-9, ftol: 0, maxIterations: 5000, preconditioner: () => invH });
  assert.ok(pre.converged, pre.reason);
  assert.ok(pre.gradNorm <= 1e-9);
  if (plain.converged) {
    let diff = 0;
    for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(plain.x[i] - pre.x[i]));
    assert.ok(diff < 1e-5, `minima differ by ${diff}`);
  }
  console.log(`  preconditioned: ${pre.iterations} iterations; plain: ${plain.iterations} (${plain.reason})`);
  assert.ok(pre.iterations * 3 < plain.iterations, `preconditioned ${pre.iterations} vs plain ${plain.iterations} iterations`);
});

test('lbfgs minimises the 2-d Rosenbrock function from (-1.2, 1) to (1, 1)', () => {
  const x0 = new Float64Array([-1.2, 1]);
  const r = lbfgs(rosen, x0, { gtol: 1e-9, ftol: 0 });
  assert.ok(r.converged, r.reason);
  assert.is(r.reason, 'gtol');
  assert.ok(maxAbsDiff(r.x, [1, 1]) < 1e-8, `x = ${r.x}`);
  assert.ok(r.f < 1e-16);
  assert.ok(r.gradNorm <= 1e-9);
  assert.ok(r.evaluations < 100, `evaluations ${r.evaluations}`);
  assert.equal(Array.from(x0), [-1.2, 1], 'x0 is not modified');
});

test('lbfgs with default options stops on a data-based rule near the Rosenbrock minimum', () => {
  const r = lbfgs(rosen, new Float64Array([-1.2, 1]));
  assert.ok(r.converged);
  assert.ok(r.reason === 'gtol' || r.reason === 'ftol', r.reason);
  assert.ok(maxAbsDiff(r.x, [1, 1]) < 1e-4);
});

test('lbfgs minimises the 100-d Rosenbrock function to all ones within 1e-5', () => {
  const x0 = new Float64Array(100).map((_, i) => (i % 2 === 0 ? -1.2 : 1));
  const r = lbfgs(rosen, x0, { gtol: 1e-8, ftol: 0, maxIterations: 5000 });
  assert.ok(r.converged, r.reason);
  assert.ok(maxAbsDiff(r.x, new Float64Array(100).fill(1)) < 1e-5, `max error ${maxAbsDiff(r.x, new Float64Array(100).fill(1))}`);
});

test('lbfgs solves a 50-d quadratic with condition number 1e6 to the exact solution', () => {
  const n = 50;
  const u = rng(7);
  const z = normal(u);
  // A = Q diag(λ) Q with Q = I − 2 v vᵀ / vᵀv (a dense orthogonal Householder matrix), λ log-spaced 1..1e6.
  const v = new Float64Array(n).map(() => z());
  const vv = v.reduce((s, t) => s + t * t, 0);
  const lam = new Float64Array(n).map((_, i) => Math.pow(1e6, i / (n - 1)));
  const Q = (a: Float64Array, out: Float64Array) => {
    let va = 0;
    for (let i = 0; i < n; i++) va += v[i] * a[i];
    for (let i = 0; i < n; i++) out[i] = a[i] - (2 * va * v[i]) / vv;
  };
  const xStar = new Float64Array(n).map(() => z());
  const t1 = new Float64Array(n);
  const t2 = new Float64Array(n);
  const Amul = (x: Float64Array, out: Float64Array) => {
    Q(x, t1);
    for (let i = 0; i < n; i++) t1[i] *= lam[i];
    Q(t1, out);
  };
  // f = ½ (x − x*)ᵀ A (x − x*), written around x* so that f itself is not lost to cancellation
  // (the form ½ xᵀAx − bᵀx has |f*| ~ 1e5 and its rounding hides the last digits of x).
  const fn = (x: Float64Array, g: Float64Array) => {
    for (let i = 0; i < n; i++) t2[i] = x[i] - xStar[i];
    Amul(t2, g);
    let f = 0;
    for (let i = 0; i < n; i++) f += 0.5 * t2[i] * g[i];
    return f;
  };
  const r = lbfgs(fn, new Float64Array(n), { gtol: 1e-9, ftol: 0, maxIterations: 20000 });
  assert.ok(r.converged, r.reason);
  assert.is(r.reason, 'gtol');
  assert.ok(maxAbsDiff(r.x, xStar) < 1e-7, `max error ${maxAbsDiff(r.x, xStar)}`);
});

test('lbfgs fits a logistic regression to the Newton-method solution with a small gradient', () => {
  const { nll, newton } = logisticData();
  const bN = newton();
  const r = lbfgs(nll, new Float64Array(5), { gtol: 1e-10, ftol: 0 });
  assert.ok(r.converged, r.reason);
  assert.ok(r.gradNorm <= 1e-10);
  assert.ok(maxAbsDiff(r.x, bN) < 1e-8, `max difference from Newton ${maxAbsDiff(r.x, bN)}`);
});

test('a resumed lbfgs run through JSON reaches bit-identically the same x as an uninterrupted run', () => {
  const x0 = new Float64Array(10).map((_, i) => (i % 2 === 0 ? -1.2 : 1));
  const full = lbfgs(rosen, x0, { gtol: 1e-9, ftol: 0 });
  const part = lbfgs(rosen, x0, { gtol: 1e-9, ftol: 0, maxIterations: 5 });
  assert.is(part.reason, 'maxIterations');
  assert.is(part.iterations, 5);
  assert.not.ok(part.converged);
  const json = JSON.parse(JSON.stringify(lbfgsStateToJSON(part.state)));
  const resumed = lbfgs(rosen, x0, { gtol: 1e-9, ftol: 0, state: json });
  assert.is(resumed.reason, full.reason);
  assert.is(resumed.iterations, full.iterations);
  assert.is(resumed.evaluations, full.evaluations);
  assert.equal(Array.from(resumed.x), Array.from(full.x));
  assert.is(resumed.f, full.f);
  // The typed state round-trips too and is copied, not modified, on resume.
  const st = lbfgsStateFromJSON(json);
  const before = Array.from(st.x);
  lbfgs(rosen, x0, { state: st, maxIterations: 2 });
  assert.equal(Array.from(st.x), before);
});

test('lbfgs stops with reason aborted when the signal is aborted', () => {
  const ac = new AbortController();
  const seen: number[] = [];
  const r = lbfgs(rosen, new Float64Array([-1.2, 1]), {
    signal: ac.signal,
    onProgress: (info) => {
      seen.push(info.iteration);
      if (info.iteration === 3) ac.abort();
    },
  });
  assert.is(r.reason, 'aborted');
  assert.not.ok(r.converged);
  assert.is(r.iterations, 3);
  assert.ok(Number.isFinite(r.f));
  const pre = new AbortController();
  pre.abort();
  assert.is(lbfgs(rosen, new Float64Array([-1.2, 1]), { signal: pre.signal }).iterations, 0);
});

test('onProgress is called once per iteration with iteration, f, gradNorm and evaluations', () => {
  const infos: ProgressInfo[] = [];
  const r = lbfgs(rosen, new Float64Array([-1.2, 1]), { onProgress: (i) => infos.push(i) });
  assert.is(infos.length, r.iterations);
  infos.forEach((info, k) => assert.is(info.iteration, k + 1));
  assert.is(infos[infos.length - 1].f, r.f);
  assert.is(infos[infos.length - 1].evaluations, r.evaluations);
  assert.ok(infos.every((i) => Number.isFinite(i.gradNorm)));
  assert.ok(infos[infos.length - 1].f < infos[0].f);
});

test('lbfgs backs out of a region where the objective is NaN and still converges', () => {
  // f = Σ (x_i − log x_i): log of a negative number is NaN; the secant step from x0 = 100 overshoots into it.
  let nanCalls = 0;
  const fn = (x: Float64Array, g: Float64Array) => {
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      f += x[i] - Math.log(x[i]);
      g[i] = 1 - 1 / x[i];
    }
    if (f !== f) nanCalls++;
    return f;
  };
  const r = lbfgs(fn, new Float64Array([100, 120, 80]), { gtol: 1e-9 });
  assert.ok(nanCalls > 0, 'the NaN region was visited');
  assert.ok(r.converged, r.reason);
  assert.ok(maxAbsDiff(r.x, [1, 1, 1]) < 1e-6);
  assert.ok(Number.isFinite(r.f) && Number.isFinite(r.gradNorm));
});

test('lbfgs stops with reason nonfinite at the last finite point when no finite step exists', () => {
  const fn = (x: Float64Array, g: Float64Array) => {
    g[0] = 1;
    return x[0] === 2 ? 1 : NaN;
  };
  const r = lbfgs(fn, new Float64Array([2]));
  assert.is(r.reason, 'nonfinite');
  assert.not.ok(r.converged);
  assert.equal(Array.from(r.x), [2]);
  assert.is(r.f, 1);
});

test('lbfgs rejects bad input with typed errors naming the argument', () => {
  const x0 = new Float64Array([1, 2]);
  throwsTyped(() => lbfgs('rosen' as never, x0), ArgumentTypeError, 'fn');
  throwsTyped(() => lbfgs(rosen, [1, 2] as never), ArgumentTypeError, 'x0');
  throwsTyped(() => lbfgs(rosen, new Float64Array(0)), ArgumentValueError, 'x0');
  throwsTyped(() => lbfgs(rosen, x0, { m: -1 }), ArgumentValueError, 'options.m');
  throwsTyped(() => lbfgs(rosen, x0, { m: 2.5 }), ArgumentTypeError, 'options.m');
  throwsTyped(() => lbfgs(rosen, x0, { gtol: -1 }), ArgumentValueError, 'options.gtol');
  throwsTyped(() => lbfgs(rosen, x0, { ftol: NaN }), ArgumentValueError, 'options.ftol');
  throwsTyped(() => lbfgs(() => NaN, x0), ArgumentValueError, 'x0');
  throwsTyped(
    () =>
      lbfgs((_x, g) => {
        g[0] = NaN;
        return 0;
      }, x0),
    ArgumentValueError,
    'x0',
  );
  const part = lbfgs(rosen, x0, { maxIterations: 1 });
  throwsTyped(() => lbfgs(rosen, new Float64Array(3), { state: part.state }), ShapeError, 'options.state');
});

// ---------- Adam ----------

test('adam with learning rate 1e-2 minimises the 2-d Rosenbrock function to near (1, 1)', () => {
  const r = adam(rosen, new Float64Array([-1.2, 1]), { learningRate: 1e-2, maxIterations: 20000 });
  assert.ok(maxAbsDiff(r.x, [1, 1]) < 1e-2, `x = ${r.x}`);
  assert.ok(r.f < 1e-4);
  assert.ok(Number.isFinite(r.gradNorm));
  assert.ok(r.converged, r.reason);
});

test('adam with minibatches fits the logistic regression close to the Newton solution', () => {
  const { nll, newton } = logisticData();
  const bN = newton();
  const batches = 5;
  const rows = 100;
  let epochs = 0;
  const r = adam((x, g, batch) => nll(x, g, batch * rows, (batch + 1) * rows), new Float64Array(5), {
    learningRate: 1e-2,
    batches,
    maxIterations: 3000,
    onProgress: () => epochs++,
  });
  assert.is(epochs, r.iterations);
  assert.ok(r.evaluations >= r.iterations * batches);
  assert.ok(maxAbsDiff(r.x, bN) < 0.02, `max difference from Newton ${maxAbsDiff(r.x, bN)}`);
  const g = new Float64Array(5);
  assert.ok(Math.abs(r.f - nll(r.x, g)) < 1e-12, 'f is the mean minibatch loss at x');
});

test('adam backs off a step that lands where the objective is NaN', () => {
  let nanCalls = 0;
  const fn = (x: Float64Array, g: Float64Array) => {
    g[0] = 1 - 1 / x[0];
    const f = x[0] - Math.log(x[0]);
    if (f !== f) nanCalls++;
    return f;
  };
  const r = adam(fn, new Float64Array([1.5]), { learningRate: 2, maxIterations: 200 });
  assert.ok(nanCalls > 0, 'the NaN region was visited');
  assert.ok(Number.isFinite(r.f) && Number.isFinite(r.x[0]) && r.x[0] > 0);
});

test('adam rejects bad input and stops on abort', () => {
  const x0 = new Float64Array([1, 2]);
  throwsTyped(() => adam(null as never, x0), ArgumentTypeError, 'fn');
  throwsTyped(() => adam(rosen, new Float64Array(0)), ArgumentValueError, 'x0');
  throwsTyped(() => adam(() => NaN, x0), ArgumentValueError, 'x0');
  throwsTyped(() => adam(rosen, [1, 2] as never), ArgumentTypeError, 'x0');
  throwsTyped(() => adam(rosen, x0, { learningRate: -1 }), ArgumentValueError, 'options.learningRate');
  throwsTyped(() => adam(rosen, x0, { beta1: 1 }), ArgumentValueError, 'options.beta1');
  throwsTyped(() => adam(rosen, x0, { batches: 0 }), ArgumentValueError, 'options.batches');
  const ac = new AbortController();
  const r = adam(rosen, x0, { signal: ac.signal, onProgress: (i) => i.iteration === 10 && ac.abort() });
  assert.is(r.reason, 'aborted');
  assert.is(r.iterations, 10);
});

test('a resumed adam run through JSON reaches bit-identically the same x as an uninterrupted run', () => {
  const full = adam(rosen, new Float64Array([-1.2, 1]), { learningRate: 1e-2, maxIterations: 40 });
  const part = adam(rosen, new Float64Array([-1.2, 1]), { learningRate: 1e-2, maxIterations: 15 });
  const json = JSON.parse(JSON.stringify(adamStateToJSON(part.state)));
  const resumed = adam(rosen, new Float64Array(2), { learningRate: 1e-2, maxIterations: 25, state: json });
  assert.is(resumed.iterations, 40);
  assert.equal(Array.from(resumed.x), Array.from(full.x));
  assert.is(resumed.f, full.f);
});

// ---------- minimize ----------

test('minimize validates its input, copies x0 and dispatches to lbfgs or adam', () => {
  const x0 = new Float64Array([-1.2, 1]);
  const a = minimize(rosen, x0);
  const b = minimize(rosen, x0, { method: 'lbfgs' });
  assert.equal(Array.from(a.x), Array.from(b.x));
  assert.equal(Array.from(x0), [-1.2, 1]);
  const c = minimize(rosen, x0, { method: 'adam', learningRate: 1e-2, maxIterations: 100 });
  assert.is(c.iterations, 100);
  assert.equal(Array.from(x0), [-1.2, 1]);
  throwsTyped(() => minimize(rosen, x0, { method: 'newton' } as never), ArgumentValueError, 'options.method');
  throwsTyped(() => minimize(42 as never, x0), ArgumentTypeError, 'fn');
  throwsTyped(() => minimize(rosen, new Float32Array(2) as never), ArgumentTypeError, 'x0');
  throwsTyped(() => minimize(rosen, new Float64Array(0)), ArgumentValueError, 'x0');
  throwsTyped(() => minimize(rosen, x0, { m: -3 }), ArgumentValueError, 'options.m');
  throwsTyped(() => minimize(() => NaN, x0), ArgumentValueError, 'x0');
});

// ---------- Brent ----------

test('brent finds the minima of known functions on brackets', () => {
  const q = brent((x) => (x - 2) ** 2, 0, 5);
  assert.ok(q.converged);
  assert.is(q.reason, 'xtol');
  assert.ok(Math.abs(q.x - 2) < 1e-7);
  const c = brent(Math.cos, 3, 4);
  assert.ok(Math.abs(c.x - Math.PI) < 1e-7, `x = ${c.x}`);
  assert.ok(Math.abs(c.f + 1) < 1e-14);
  const e = brent((x) => x, 1, 3);
  assert.ok(e.x >= 1 && e.x - 1 < 1e-6, `boundary minimum at ${e.x}`);
  const k = brent((x) => Math.abs(x - 0.3), 0, 1);
  assert.ok(Math.abs(k.x - 0.3) < 1e-7, `kink at ${k.x}`);
  assert.ok(q.evaluations === q.iterations + 1);
});

test('brent stays away from NaN regions and reports nonfinite when f is never finite', () => {
  const r = brent((x) => (x > 2 ? NaN : (x - 1.5) ** 2), 0, 10);
  assert.ok(r.converged);
  assert.ok(Math.abs(r.x - 1.5) < 1e-7);
  const bad = brent(() => NaN, 0, 1);
  assert.is(bad.reason, 'nonfinite');
  assert.not.ok(bad.converged);
  assert.ok(!Number.isNaN(bad.f));
  const capped = brent(Math.cos, 3, 4, { maxIterations: 2 });
  assert.is(capped.reason, 'maxIterations');
  assert.is(capped.iterations, 2);
});

test('brent rejects bad brackets and non-function f with typed errors', () => {
  throwsTyped(() => brent((x) => x, 3, 1), ArgumentValueError, 'lo');
  throwsTyped(() => brent((x) => x, 1, 1), ArgumentValueError, 'lo');
  throwsTyped(() => brent((x) => x, 0, NaN), ArgumentValueError, 'hi');
  throwsTyped(() => brent((x) => x, -Infinity, 0), ArgumentValueError, 'lo');
  throwsTyped(() => brent('f' as never, 0, 1), ArgumentTypeError, 'f');
  throwsTyped(() => brent((x) => x, 0, 1, { xtol: -1 }), ArgumentValueError, 'options.xtol');
});

// ---------- batched drivers ----------

test('minimizeBatch solves 2000 independent 2-d problems like per-problem lbfgs', () => {
  const count = 2000;
  const dim = 2;
  const u = rng(99);
  const A = new Float64Array(count).map(() => 0.5 + u());
  const Bc = new Float64Array(count).map(() => 5 + 95 * u());
  // Even problems: scaled Rosenbrock (a − x)² + B (y − x²)², minimum (a, a²). Odd: quadratic with minimum (a, −a).
  const one = (p: number, x: number, y: number, g: Float64Array, go: number): number => {
    const a = A[p];
    if (p % 2 === 0) {
      const r = y - x * x;
      g[go] = -2 * (a - x) - 4 * Bc[p] * x * r;
      g[go + 1] = 2 * Bc[p] * r;
      return (a - x) ** 2 + Bc[p] * r * r;
    }
    g[go] = 2 * (x - a);
    g[go + 1] = 2 * Bc[p] * (y + a);
    return (x - a) ** 2 + Bc[p] * (y + a) ** 2;
  };
  let calls = 0;
  const fn = (X: Float64Array, G: Float64Array, F: Float64Array, active: Uint32Array, nActive: number) => {
    calls++;
    for (let k = 0; k < nActive; k++) {
      const p = active[k];
      F[p] = one(p, X[2 * p], X[2 * p + 1], G, 2 * p);
    }
  };
  const x0 = new Float64Array(count * dim).map((_, i) => (i % 2 === 0 ? -1.2 : 1));
  const progress: number[] = [];
  const r = minimizeBatch(fn, x0, count, dim, { gtol: 1e-9, ftol: 0, onProgress: (i) => progress.push(i.nActive) });
  assert.is(r.evaluations, calls);
  assert.is(progress.length, calls - 1);
  for (let k = 1; k < progress.length; k++) assert.ok(progress[k] <= progress[k - 1], 'active set only shrinks');
  assert.equal(Array.from(x0.subarray(0, 2)), [-1.2, 1], 'x0 is not modified');
  let worstBatch = 0;
  let worstSingle = 0;
  let worstVs = 0;
  for (let p = 0; p < count; p++) {
    assert.is(r.converged[p], 1, `problem ${p}: ${batchReasonName(r.reason[p])}`);
    const target = p % 2 === 0 ? [A[p], A[p] * A[p]] : [A[p], -A[p]];
    worstBatch = Math.max(worstBatch, maxAbsDiff(r.x.subarray(2 * p, 2 * p + 2), target));
    if (p % 20 === 0) {
      const s = lbfgs((x, g) => one(p, x[0], x[1], g, 0), new Float64Array([-1.2, 1]), { gtol: 1e-9, ftol: 0 });
      worstSingle = Math.max(worstSingle, maxAbsDiff(s.x, target));
      worstVs = Math.max(worstVs, maxAbsDiff(s.x, r.x.subarray(2 * p, 2 * p + 2)));
    }
  }
  assert.ok(worstBatch < 1e-6, `batched error ${worstBatch}`);
  assert.ok(worstSingle < 1e-6, `single error ${worstSingle}`);
  assert.ok(worstVs < 2e-6, `batched vs single ${worstVs}`);
  assert.ok(calls < 500, `batched calls ${calls}`);
});

test('minimizeBatch reports reason codes per problem: aborted, maxIterations, and nonfinite without NaN results', () => {
  const fn = (X: Float64Array, G: Float64Array, F: Float64Array, active: Uint32Array, nActive: number) => {
    for (let k = 0; k < nActive; k++) {
      const p = active[k];
      const x = X[p];
      // Problem 0: (x − 3)²; problem 1: finite only at its start.
      if (p === 0) {
        G[p] = 2 * (x - 3);
        F[p] = (x - 3) ** 2 + Math.sin(5 * x);
        G[p] += 5 * Math.cos(5 * x);
      } else {
        G[p] = 1;
        F[p] = x === 0 ? 0 : NaN;
      }
    }
  };
  const r = minimizeBatch(fn, new Float64Array([0, 0]), 2, 1, { maxIterations: 2, gtol: 0, ftol: 0 });
  assert.is(r.reason[0], BatchReason.maxIterations);
  assert.is(r.iterations[0], 2);
  assert.is(r.reason[1], BatchReason.nonfinite);
  assert.is(batchReasonName(r.reason[1]), 'nonfinite');
  assert.is(r.x[1], 0);
  assert.ok(Array.from(r.f).every(Number.isFinite));
  const ac = new AbortController();
  ac.abort();
  const a = minimizeBatch(fn, new Float64Array([0, 0]), 2, 1, { signal: ac.signal });
  assert.equal(Array.from(a.reason), [BatchReason.aborted, BatchReason.aborted]);
  assert.equal(Array.from(a.converged), [0, 0]);
});

test('minimizeBatch rejects bad input with typed errors naming the argument', () => {
  const fn = (X: Float64Array, G: Float64Array, F: Float64Array, active: Uint32Array, n: number) => {
    for (let k = 0; k < n; k++) {
      const p = active[k];
      G[p] = 2 * X[p];
      F[p] = X[p] === 7 ? NaN : X[p] * X[p];
    }
  };
  throwsTyped(() => minimizeBatch(fn, new Float64Array(3), 2, 2), ShapeError, 'x0');
  throwsTyped(() => minimizeBatch(fn, [1, 2] as never, 2, 1), ArgumentTypeError, 'x0');
  throwsTyped(() => minimizeBatch(undefined as never, new Float64Array(2), 2, 1), ArgumentTypeError, 'fn');
  throwsTyped(() => minimizeBatch(fn, new Float64Array(2), 2, 1, { m: -1 }), ArgumentValueError, 'options.m');
  throwsTyped(() => minimizeBatch(fn, new Float64Array([1, 7]), 2, 1), ArgumentValueError, 'x0');
  throwsTyped(() => minimizeBatch(fn, new Float64Array(0), 0, 1), ArgumentValueError, 'count');
});

test('brentBatch gives bit-identically the results of brent on each problem', () => {
  const count = 1000;
  const u = rng(5);
  const c = new Float64Array(count).map(() => 4 * u() - 2);
  const lo = new Float64Array(count).map((_, p) => c[p] - 1 - u());
  const hi = new Float64Array(count).map((_, p) => (p % 10 === 0 ? c[p] - 0.5 : c[p] + 1 + 2 * u()));
  const f1 = (p: number, x: number) => (x - c[p]) ** 2 + 0.1 * Math.sin(3 * x) + (p % 7 === 0 && x > c[p] + 0.5 ? NaN : 0);
  const r = brentBatch(
    (U, FU, active, n) => {
      for (let k = 0; k < n; k++) FU[active[k]] = f1(active[k], U[active[k]]);
    },
    lo,
    hi,
  );
  for (let p = 0; p < count; p++) {
    const s = brent((x) => f1(p, x), lo[p], hi[p]);
    assert.is(r.x[p], s.x, `problem ${p}`);
    assert.is(r.f[p], s.f);
    assert.is(r.iterations[p], s.iterations);
    assert.is(r.converged[p], 1);
  }
  throwsTyped(() => brentBatch(() => {}, new Float64Array([0, 2]), new Float64Array([1, 1])), ArgumentValueError, 'lo');
  throwsTyped(() => brentBatch(() => {}, new Float64Array([0]), new Float64Array([1, 1])), ShapeError, 'hi');
  throwsTyped(() => brentBatch(() => {}, new Float64Array(0), new Float64Array(0)), ArgumentValueError, 'lo');
  throwsTyped(() => brentBatch(() => {}, new Float64Array([0]), new Float64Array([NaN])), ArgumentValueError, 'hi');
});

test.run();
