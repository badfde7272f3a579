/**
 * The per-junction ρ fit (src/models/fraser/rho.ts): safeguarded Newton on logit ρ must reach a
 * loss at least as low as the reference's Brent (tolerance 1e-7) on every junction, including
 * the regimes where the optimum sits on the bound (binomial data: ρ → 0), where counts are all 0
 * or all n, and from starts far from the optimum; and it must do so in far fewer evaluations.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fraser, init } from '../src/index.js';
import { FraserObjective } from '../src/models/fraser/objective.js';
import { fitLogitRho } from '../src/models/fraser/rho.js';
import { brentBatch } from '../src/optim/index.js';
import { Rng } from '../src/random.js';
import { loadCore } from '../src/wasm/core.js';

test.before(async () => {
  await init();
});

/** An objective whose μ comes from a PCA fit of the counts (its ρ reset to ½). */
function objectiveFor(k: Uint32Array, n: Uint32Array, N: number, J: number): FraserObjective {
  const f = fraser.fit({ k, n, samples: N }, { q: 2 });
  const obj = new FraserObjective({ k, n, latent: f.latent, junctions: J, latentDim: f.q });
  obj.setDecoder(f.D, f.b);
  return obj;
}

function compare(obj: FraserObjective, t0: Float64Array, label: string): { newtonEvals: number; brentEvals: number } {
  const J = obj.junctions;
  const nw = fitLogitRho(obj, t0);
  let brentEvals = 0;
  const fn = obj.rhoObjective();
  const br = brentBatch((U, FU, active, nActive) => {
    brentEvals += nActive;
    fn(U, FU, active, nActive);
  }, new Float64Array(J).fill(-30), new Float64Array(J).fill(30), { xtol: 1e-7 });
  const fb = new Float64Array(J);
  obj.rhoDerivatives(br.x, fb);
  const fn2 = new Float64Array(J), fnc = new Float64Array(J);
  obj.rhoDerivatives(nw.t, fn2);
  obj.rhoDerivatives(nw.t, fnc, undefined, undefined, undefined, undefined, false); // without Σ lnC, as fitLogitRho's f
  assert.is(nw.unconverged, 0, `${label}: junctions left unconverged`);
  for (let j = 0; j < J; j++) {
    assert.ok(Number.isFinite(nw.t[j]) && nw.t[j] >= -30 && nw.t[j] <= 30, `${label}: t[${j}] = ${nw.t[j]}`);
    assert.ok(Math.abs(fnc[j] - nw.f[j]) <= 1e-12 * Math.max(1, Math.abs(fn2[j])), `${label}: returned f[${j}] = ${nw.f[j]} is not f at the returned t (${fnc[j]})`);
    const tol = 1e-9 * Math.max(1, Math.abs(fb[j]));
    assert.ok(fn2[j] <= fb[j] + tol, `${label}: junction ${j}: Newton f = ${fn2[j]} (t = ${nw.t[j]}) above Brent's ${fb[j]} (t = ${br.x[j]})`);
  }
  return { newtonEvals: nw.junctionEvaluations, brentEvals };
}

test('Newton on logit ρ reaches Brent’s optimum or better on every junction of simulated data, in far fewer evaluations', () => {
  const N = 60, J = 300;
  const sim = fraser.simulate({ samples: N, junctions: J, latentDim: 3, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 11 });
  const obj = objectiveFor(sim.k, sim.n, N, J);
  try {
    for (const [label, start] of [['t0 = 0', 0], ['t0 = −25', -25], ['t0 = 25', 25]] as const) {
      const e = compare(obj, new Float64Array(J).fill(start), label);
      console.log(`  ${label}: Newton ${e.newtonEvals} junction evaluations, Brent ${e.brentEvals}`);
      if (start === 0) assert.ok(e.newtonEvals * 2 < e.brentEvals, `Newton ${e.newtonEvals} vs Brent ${e.brentEvals} evaluations`);
    }
  } finally {
    obj.dispose();
  }
});

test('Newton on logit ρ at the edges: binomial data (optimum on the bound), all k = 0, all k = n, n = 0 cells, heavy overdispersion', () => {
  const N = 40, J = 5;
  const rng = new Rng(3);
  const k = new Uint32Array(N * J), n = new Uint32Array(N * J);
  for (let i = 0; i < N; i++) {
    const depth = [50, 30, 30, 40, 60];
    for (let j = 0; j < J; j++) {
      const c = i * J + j;
      n[c] = i % 7 === 0 && j === 3 ? 0 : rng.poisson(depth[j]);
      if (j === 0) k[c] = rng.binomial(n[c], 0.3); // binomial: ρ → 0
      else if (j === 1) k[c] = 0;
      else if (j === 2) k[c] = n[c];
      else if (j === 3) k[c] = rng.binomial(n[c], 0.5);
      else k[c] = rng.binomial(n[c], rng.beta(0.2, 0.2)); // ρ = 1/(1+0.4) ≈ 0.71
    }
  }
  const obj = objectiveFor(k, n, N, J);
  try {
    compare(obj, new Float64Array(J), 'edges from 0');
    compare(obj, Float64Array.from([-30, 30, -30, 30, -30]), 'edges from the bounds');
  } finally {
    obj.dispose();
  }
});


test('the ρ fit’s final points are within the reference’s tolerance (1e-7 in logit ρ) of the optimum: |f′/f″| there', () => {
  // Brent cannot serve as the reference here: where f is flat (f″ ~ 1e-3) its values differ by less
  // than their rounding over ~1e-5 in t, so its tight-tolerance answer is the one that is off.
  const N = 80, J = 400;
  const sim = fraser.simulate({ samples: N, junctions: J, latentDim: 3, confounderSd: 0.8, outlierFrequency: 1e-3, seed: 5 });
  const obj = objectiveFor(sim.k, sim.n, N, J);
  try {
    const nw = fitLogitRho(obj, new Float64Array(J).fill(-2));
    const F = new Float64Array(J), G = new Float64Array(J), H = new Float64Array(J);
    obj.rhoDerivatives(nw.t, F, G, H);
    let worst = 0, interior = 0;
    for (let j = 0; j < J; j++) {
      if (Math.abs(nw.t[j]) > 29.9) continue; // at a bound: covered by the test above
      interior++;
      assert.ok(H[j] > 0, `junction ${j}: f″ = ${H[j]} at t = ${nw.t[j]}`);
      worst = Math.max(worst, Math.abs(G[j] / H[j]));
    }
    console.log(`  ${interior} interior optima: max |f′/f″| = ${worst.toExponential(2)}; ${(nw.junctionEvaluations / J).toFixed(2)} evaluations per junction`);
    assert.ok(interior > J / 2, `only ${interior} interior optima`);
    assert.ok(worst < 1e-7, `max |f′/f″| = ${worst}`);
  } finally {
    obj.dispose();
  }
});

test('the truncated loss from the ρ passes matches junctionLoss at the fitted t, with its t-derivatives by finite differences (SIMD and scalar kernels, c = 0, 1 and 0.5)', async () => {
  const N = 60, J = 120;
  const sim = fraser.simulate({ samples: N, junctions: J, latentDim: 3, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 3 });
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 2 });
  for (const simd of ['baseline', 'scalar'] as const) {
    const core = await loadCore({ simd });
    for (const c of [0, 1, 0.5]) {
      const obj = new FraserObjective({ k: sim.k, n: sim.n, latent: f.latent, junctions: J, latentDim: f.q, likelihoodPseudocount: c, core });
      try {
        obj.setDecoder(f.D, f.b);
        const r = fitLogitRho(obj, new Float64Array(J).fill(-3), { withLoss: true });
        obj.setLogitRho(r.t);
        const jl = obj.junctionLoss();
        for (let j = 0; j < J; j++) {
          const want = jl[j] * N;
          assert.ok(Math.abs((r.loss as Float64Array)[j] - want) <= 1e-10 * Math.max(1, Math.abs(want)), `${simd}, c = ${c}, junction ${j}: loss ${(r.loss as Float64Array)[j]} vs ${want}`);
        }
        // Derivatives of the loss in t by central differences, at a point off the optimum.
        const T = Float64Array.from(r.t, (v, j) => Math.max(-29, Math.min(29, v + 0.3 * Math.sin(j))));
        const F = new Float64Array(J), L = new Float64Array(3 * J), Lp = new Float64Array(3 * J), Lm = new Float64Array(3 * J);
        obj.rhoDerivatives(T, F, undefined, undefined, undefined, undefined, false, L);
        const h = 1e-4;
        obj.rhoDerivatives(T.map((v) => v + h), F, undefined, undefined, undefined, undefined, false, Lp);
        obj.rhoDerivatives(T.map((v) => v - h), F, undefined, undefined, undefined, undefined, false, Lm);
        for (let j = 0; j < J; j++) {
          // c = 0.5 differences full lnΓ/ψ/ψ′ values, which cancel at large a: moderate t only (as in fraser-objective.test.ts).
          if (c !== Math.floor(c) && Math.abs(T[j]) > 5) continue;
          const d1 = (Lp[3 * j] - Lm[3 * j]) / (2 * h), d2 = (Lp[3 * j + 1] - Lm[3 * j + 1]) / (2 * h);
          assert.ok(Math.abs(d1 - L[3 * j + 1]) <= 1e-6 * Math.max(1, Math.abs(L[3 * j + 1])), `${simd}, c = ${c}, junction ${j}: ∂L ${L[3 * j + 1]} vs ${d1}`);
          assert.ok(Math.abs(d2 - L[3 * j + 2]) <= 1e-6 * Math.max(1, Math.abs(L[3 * j + 2])), `${simd}, c = ${c}, junction ${j}: ∂²L ${L[3 * j + 2]} vs ${d2}`);
        }
      } finally {
        obj.dispose();
      }
    }
  }
});

test('the ρ objective with μ cached (cacheMean) equals the one that recomputes μ, and the cache follows setDecoder (SIMD and scalar)', async () => {
  const N = 50, J = 90;
  const sim = fraser.simulate({ samples: N, junctions: J, latentDim: 3, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 4 });
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 2 });
  const rng = new Rng(9);
  for (const simd of ['baseline', 'scalar'] as const) {
    const core = await loadCore({ simd });
    const make = (cacheMean: boolean) => new FraserObjective({ k: sim.k, n: sim.n, latent: f.latent, junctions: J, latentDim: f.q, core, cacheMean, blockCells: 7 * N });
    const plain = make(false), cached = make(true);
    try {
      for (const shift of [0, 0.7]) {
        const b = f.b.map((v) => v + shift);
        plain.setDecoder(f.D, b);
        cached.setDecoder(f.D, b);
        const T = Float64Array.from({ length: J }, () => -6 + 8 * rng.uniform());
        const active = Uint32Array.from({ length: J }, (_, j) => j).filter((j) => j % 3 !== 1);
        const out = (o: FraserObjective) => {
          const F = new Float64Array(J), G = new Float64Array(J), H = new Float64Array(J);
          o.rhoDerivatives(T, F, G, H, active, active.length);
          return [F, G, H];
        };
        const [a, c] = [out(plain), out(cached)];
        for (const j of active) {
          for (let m = 0; m < 3; m++) {
            assert.ok(Math.abs(a[m][j] - c[m][j]) <= 1e-12 * Math.max(1, Math.abs(a[m][j])), `${simd}, b + ${shift}, junction ${j}, derivative ${m}: ${c[m][j]} (cached) vs ${a[m][j]}`);
          }
        }
      }
    } finally {
      plain.dispose();
      cached.dispose();
    }
  }
});

test('momentRho and logitResidualStats match plain loops over μ from predictMean (SIMD and scalar kernels)', () => {
  const N = 40, J = 70, pc = 0.1;
  const sim = fraser.simulate({ samples: N, junctions: J, latentDim: 3, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 6 });
  const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 2 });
  // Junction 0 with n ≤ 1 everywhere: no information on ρ, the start is 0.01.
  const k = Uint32Array.from(sim.k), n = Uint32Array.from(sim.n);
  for (let i = 0; i < N; i++) { n[i * J] = i % 2; k[i * J] = 0; }
  for (const scalar of [false, true]) {
    const obj = new FraserObjective({ k, n, latent: f.latent, junctions: J, latentDim: f.q, blockCells: 9 * N, scalar });
    try {
      obj.setDecoder(f.D, f.b);
      const mu = obj.predictMean();
      const rho = obj.momentRho(), st = obj.logitResidualStats(pc);
      for (let j = 0; j < J; j++) {
        let num = 0, den = 0;
        const r: number[] = [];
        for (let i = 0; i < N; i++) {
          const c = i * J + j, m = mu[c], v = m * (1 - m), d = k[c] - n[c] * m;
          num += d * d - n[c] * v;
          den += n[c] * (n[c] - 1) * v;
          const mc = Math.min(Math.max(m, 1e-15), 1 - 1e-15);
          r.push(Math.log((k[c] + pc) / (n[c] - k[c] + pc)) - Math.log(mc / (1 - mc)));
        }
        const want = den > 0 ? Math.min(Math.max(num / den, 1e-6), 0.9) : 0.01;
        assert.ok(Math.abs(rho[j] - want) <= 1e-9 * want, `junction ${j}: moment ρ ${rho[j]} vs ${want}`);
        const mean = r.reduce((a, b) => a + b, 0) / N;
        const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (N - 1));
        assert.ok(Math.abs(st.mean[j] - mean) <= 1e-10 * Math.max(1, Math.abs(mean)), `junction ${j}: residual mean ${st.mean[j]} vs ${mean}`);
        assert.ok(Math.abs(st.sd[j] - sd) <= 1e-10 * Math.max(1, sd), `junction ${j}: residual sd ${st.sd[j]} vs ${sd}`);
      }
      assert.is(rho[0], 0.01);
    } finally {
      obj.dispose();
    }
  }
});

test('counts are always checked on the public paths: FraserObjective (whatever its options) and fit (Float64 counts ≥ 2^32 too)', () => {
  const N = 4, J = 3;
  const n = new Float64Array(N * J).fill(10), k = new Float64Array(N * J).fill(3);
  k[5] = 11; // k > n at sample 1, junction 2
  const opts = { k, n, latent: new Float64Array(N), junctions: J, latentDim: 1, cacheMean: true, countsValidated: true } as ConstructorParameters<typeof FraserObjective>[0];
  assert.throws(() => new FraserObjective(opts), (e: Error) => e.name === 'ArgumentValueError' && /k\[5\]|k\[1, 2\]|sample 1, junction 2/.test(e.message));
  k[5] = 3;
  const big = Float64Array.from(n);
  big[7] = 2 ** 32; // sample 2, junction 1
  assert.throws(() => fraser.fit({ k, n: big, samples: N }), (e: Error) => e.name === 'ArgumentValueError' && /n\[2, 1\]/.test(e.message));
});

test.run();
