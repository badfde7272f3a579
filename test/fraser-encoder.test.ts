/**
 * updateE by Fisher scoring in the latent space (src/models/fraser/encoder.ts) and the objective's
 * latent-space primitives: ∂nll/∂H against central differences, the information blocks against a
 * direct sum of their formula, x xᵀ against plain loops; the scoring's E consistent with the nll
 * it reports (H = xE recomputed after the step), as low as L-BFGS over E run to a tight tolerance,
 * with x of full row rank (noisy x) and with x exactly centred (one null direction, a constraint);
 * and the fit's fallback to L-BFGS when x xᵀ has many null directions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fraser, init } from '../src/index.js';
import { encoderBasis, fitEncoderScoring } from '../src/models/fraser/encoder.js';
import { FraserObjective } from '../src/models/fraser/objective.js';
import { lbfgs } from '../src/optim/index.js';
import { Rng } from '../src/random.js';
import { getCore } from '../src/wasm/core.js';

const N = 40, J = 150, q = 3;
let sim: ReturnType<typeof fraser.simulate>;

test.before(async () => {
  await init();
  sim = fraser.simulate({ samples: N, junctions: J, latentDim: q, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 31 });
});

/** Centred logit x, and an objective at a PCA-like start (E = D from a fixed random draw, b = means, ρ = 0.05). */
function centredLogit(): { x: Float64Array; means: Float64Array } {
  const x = new Float64Array(N * J), means = new Float64Array(J);
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) x[i * J + j] = Math.log((sim.k[i * J + j] + 0.1) / (sim.n[i * J + j] - sim.k[i * J + j] + 0.1));
  for (let j = 0; j < J; j++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += x[i * J + j];
    means[j] = s / N;
    for (let i = 0; i < N; i++) x[i * J + j] -= means[j];
  }
  return { x, means };
}

function objective(noise: number, scalar = false): FraserObjective {
  const { x, means } = centredLogit();
  const rng = new Rng(5);
  if (noise > 0) for (let c = 0; c < N * J; c++) x[c] += noise * rng.normal();
  const o = new FraserObjective({ k: sim.k, n: sim.n, x, junctions: J, latentDim: q, scalar });
  const E = rng.fillNormal(new Float64Array(J * q)).map((v) => v * 0.05);
  o.setEncoder(E);
  o.setDecoder(E.map((v) => v * 4), means);
  o.setRho(new Float64Array(J).fill(0.05));
  return o;
}

test('∂nll/∂H from latentLoss matches central differences, per coordinate and along random directions', () => {
  const o = objective(0.3);
  try {
    const H = o.getLatent(), g = new Float64Array(N * q);
    o.latentLoss(H, g);
    const f = (Hs: Float64Array) => o.latentLoss(Hs, null);
    const h = 1e-4;
    let gInf = 0;
    for (const v of g) gInf = Math.max(gInf, Math.abs(v));
    // Per coordinate, relative to ‖g‖∞ (the rounding of f, ~1e-13 absolute, over 2h is ~1e-9).
    let worst = 0;
    for (const c of [0, 1, 2, 17, 64, N * q - 1]) {
      const Hp = H.slice(), Hm = H.slice();
      Hp[c] += h;
      Hm[c] -= h;
      const fd = (f(Hp) - f(Hm)) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - g[c]) / gInf);
    }
    const rng = new Rng(9);
    for (let r = 0; r < 4; r++) {
      const d = rng.fillNormal(new Float64Array(N * q));
      let dd = 0;
      for (let c = 0; c < N * q; c++) dd += g[c] * d[c];
      const Hp = H.map((v, c) => v + h * d[c]), Hm = H.map((v, c) => v - h * d[c]);
      const fd = (f(Hp) - f(Hm)) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - dd) / Math.max(Math.abs(dd), 1e-6));
    }
    assert.ok(worst < 1e-6, `worst error ${worst} (relative to ‖g‖∞ = ${gInf} per coordinate, to gᵀd along directions)`);
    assert.throws(() => o.getEncoder(), /stale/);
    o.shiftEncoder(new Float64Array(N * q));
    const E = o.getEncoder();
    o.latentLoss(H, null);
    o.encoderObjective()(E, new Float64Array(J * q)); // sets E again: current, readable
    assert.is(o.getEncoder().length, J * q);
  } finally {
    o.dispose();
  }
});

test('latentLoss and latentFisher: the scalar twin agrees with the SIMD kernels; bad H is rejected by index', () => {
  const v = objective(0.3), sc = objective(0.3, true);
  try {
    const H = v.getLatent(), gv = new Float64Array(N * q), gs = new Float64Array(N * q);
    const fv = v.latentLoss(H, gv), fs = sc.latentLoss(H, gs);
    assert.ok(Math.abs(fv - fs) <= 1e-13 * Math.abs(fv), `nll ${fv} vs scalar ${fs}`);
    let gInf = 0, worst = 0;
    for (let c = 0; c < N * q; c++) gInf = Math.max(gInf, Math.abs(gv[c]));
    for (let c = 0; c < N * q; c++) worst = Math.max(worst, Math.abs(gv[c] - gs[c]));
    assert.ok(worst <= 1e-12 * gInf, `∂H differs from the scalar twin's by ${worst} (‖g‖∞ ${gInf})`);
    const Av = new Float64Array(N * q * q), As = new Float64Array(N * q * q);
    v.latentFisher(Av);
    sc.latentFisher(As);
    for (let c = 0; c < Av.length; c++) assert.ok(Math.abs(Av[c] - As[c]) <= 1e-12 * Math.abs(Av[c]) + 1e-300, `information entry ${c}`);
    const bad = H.slice();
    bad[7] = NaN;
    assert.throws(() => v.latentLoss(bad, null), /H\[7\] must be finite/);
    assert.throws(() => v.latentLoss(H.subarray(1), null), /N×q/);
  } finally {
    v.dispose();
    sc.dispose();
  }
});

test('latentFisher is the direct sum (1/(N·J)) Σ_j w·nμ(1−μ)/(1+(n−1)ρ)·d_j d_jᵀ; sampleGram is x xᵀ', () => {
  const o = objective(0);
  try {
    const w = Float64Array.from({ length: N * J }, (_, c) => 0.4 + ((c * 7919) % 10) / 12);
    o.setWeights(w);
    const A = new Float64Array(N * q * q);
    o.latentFisher(A);
    const H = o.getLatent(), { D, b } = o.getDecoder(), rho = o.getRho();
    let worst = 0;
    for (const i of [0, 7, N - 1]) {
      const ref = new Float64Array(q * q);
      for (let j = 0; j < J; j++) {
        const n = sim.n[i * J + j];
        if (n === 0) continue;
        let y = b[j];
        for (let l = 0; l < q; l++) y += H[i * q + l] * D[j * q + l];
        const mu = 1 / (1 + Math.exp(-y));
        const wt = (w[i * J + j] * n * mu * (1 - mu)) / (1 + (n - 1) * rho[j]) / (N * J);
        for (let l = 0; l < q; l++) for (let m = 0; m < q; m++) ref[l * q + m] += wt * D[j * q + l] * D[j * q + m];
      }
      for (let c = 0; c < q * q; c++) worst = Math.max(worst, Math.abs(A[i * q * q + c] - ref[c]) / Math.abs(ref[c]));
    }
    assert.ok(worst < 1e-12, `information: worst relative difference ${worst}`);
    const K = o.sampleGram();
    const { x } = centredLogit(); // the x objective(0) was built from
    let kw = 0;
    for (const [a, c] of [[0, 0], [3, 11], [N - 1, 5]]) {
      let s = 0;
      for (let j = 0; j < J; j++) s += x[a * J + j] * x[c * J + j];
      kw = Math.max(kw, Math.abs(K[a * N + c] - s) / Math.abs(s));
    }
    assert.ok(kw < 1e-12, `x xᵀ: worst relative difference ${kw}`);
  } finally {
    o.dispose();
  }
});

for (const noise of [0.3, 0]) {
  test(`scoring updateE reaches L-BFGS's optimum over E, and E reproduces its nll (${noise > 0 ? 'noisy x, full row rank' : 'centred x, one null direction'})`, () => {
    const o = objective(noise);
    try {
      const core = getCore();
      const basis = encoderBasis(o, core)!;
      assert.ok(basis, 'a basis');
      assert.is(basis.rank, noise > 0 ? N : N - 1);
      // Full rank: the Cholesky factor; centred x (x xᵀ 1 = 0): the eigendecomposition, with 1/√N as the one constraint.
      assert.is(basis.kind, noise > 0 ? 'cholesky' : 'eigen');
      assert.is(basis.nConstraints, noise > 0 ? 0 : 1);
      if (noise === 0) for (let i = 0; i < N; i++) assert.ok(Math.abs(Math.abs(basis.constraints[i]) - 1 / Math.sqrt(N)) < 1e-8);
      const E0 = o.getEncoder();
      let lbfgsEvals = 0;
      const fn = o.encoderObjective();
      const ref = lbfgs((e, g) => {
        lbfgsEvals++;
        return fn(e, g);
      }, E0.slice(), { maxIterations: 2000, ftol: 1e-15, gtol: 1e-12 });
      o.setEncoder(E0);
      const sc = fitEncoderScoring(o, basis);
      const fE = o.nll(); // H = x E from the moved E
      const E1 = o.getEncoder();
      assert.ok(Math.abs(fE - sc.f) <= 1e-10 * Math.abs(fE), `reported ${sc.f}, nll at the new E ${fE}`);
      // Both stop on a relative change of 2.2e-9 (the reference's factr): scoring as low as L-BFGS
      // under that rule, and within a few ftol of L-BFGS run to 1e-15.
      o.setEncoder(E0);
      const atRule = lbfgs(fn, E0.slice(), { m: 10, maxIterations: 50, ftol: 2.220446049250313e-9, gtol: 1e-6 });
      assert.ok(fE <= atRule.f + 1e-12 * Math.abs(atRule.f), `scoring ${fE} vs L-BFGS under the same stopping rule ${atRule.f}`);
      assert.ok(fE <= ref.f + 1e-8 * Math.abs(ref.f), `scoring ${fE} vs L-BFGS to 1e-15 ${ref.f}`);
      o.setEncoder(E1);
      // The step stays in E₀ + row space of x: with x centred, H's column sums do not move.
      if (noise === 0) {
        const H0 = (() => { o.setEncoder(E0); return o.getLatent(); })();
        const o3 = objective(0);
        o3.setEncoder(E0);
        const sc3 = fitEncoderScoring(o3, basis);
        const H1 = o3.getLatent();
        for (let l = 0; l < q; l++) {
          let s0 = 0, s1 = 0;
          for (let i = 0; i < N; i++) {
            s0 += H0[i * q + l];
            s1 += H1[i * q + l];
          }
          assert.ok(Math.abs(s1 - s0) < 1e-9, `column ${l} of H: sum ${s0} → ${s1}`);
        }
        o3.dispose();
        assert.ok(sc3.iterations > 0);
      }
      console.log(`  ${noise > 0 ? 'noisy x' : 'centred x'}: scoring ${sc.evaluations} evaluations (${sc.iterations} steps, ${sc.reason}), nll ${fE.toFixed(9)}; L-BFGS ${lbfgsEvals} evaluations to 1e-15, ${ref.f.toFixed(9)}; ${atRule.evaluations} under the reference's rule, ${atRule.f.toFixed(9)}`);
      assert.ok(sc.evaluations * 3 < lbfgsEvals);
    } finally {
      o.dispose();
    }
  });
}

test('with little denoising noise, E and the scores of new samples stay those of L-BFGS (the weak direction 1 of x xᵀ is held fixed)', () => {
  const M = 10;
  const s2 = fraser.simulate({ samples: N + M, junctions: J, latentDim: q, confounderSd: 0.8, outlierFrequency: 1e-2, seed: 31 });
  const train = { k: s2.k.slice(0, N * J), n: s2.n.slice(0, N * J), samples: N };
  const fresh = { k: s2.k.slice(N * J), n: s2.n.slice(N * J) };
  for (const noise of [1e-2, 1e-4]) {
    const res = (['scoring', 'lbfgs'] as const).map((encoderOptimizer) => {
      const f = fraser.fit(train, { implementation: 'ae', q, maxRounds: 3, noise, encoderOptimizer });
      const p = f.predict(fresh);
      let eMax = 0, err = 0, tiny = 0;
      for (const v of f.E) eMax = Math.max(eMax, Math.abs(v));
      for (let c = 0; c < p.mu.length; c++) err += Math.abs(p.mu[c] - s2.mu[N * J + c]) / p.mu.length;
      for (const v of p.pValues) if (v < 1e-6) tiny++;
      return { eMax, err, tiny };
    });
    const [sc, lb] = res;
    console.log(`  noise ${noise}: max|E| ${sc.eMax.toFixed(3)} (L-BFGS ${lb.eMax.toFixed(3)}), new samples' mean |μ − μ_true| ${sc.err.toFixed(4)} (${lb.err.toFixed(4)}), p < 1e-6: ${sc.tiny} (${lb.tiny})`);
    assert.ok(sc.eMax < 1.25 * lb.eMax, 'max|E|');
    assert.ok(sc.err < 1.1 * lb.err + 1e-3, 'new-sample μ error');
    assert.ok(Math.abs(sc.tiny - lb.tiny) <= 3, 'new-sample p < 1e-6 counts');
  }
});

test('the ae fit falls back to L-BFGS, with a notice, when x xᵀ has more null directions than the constraints handle', () => {
  const s2 = fraser.simulate({ samples: 80, junctions: 50, latentDim: 2, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 3 });
  const f = fraser.fit({ k: s2.k, n: s2.n, samples: 80 }, { implementation: 'ae', q: 2, maxRounds: 1 });
  assert.ok(f.notices.some((m) => /updateE used L-BFGS/.test(m)), f.notices.join(' | '));
  const g = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { implementation: 'ae', q: 3, maxRounds: 1 });
  assert.ok(!g.notices.some((m) => /updateE used L-BFGS/.test(m)), g.notices.join(' | '));
  assert.throws(() => fraser.fit({ k: sim.k, n: sim.n, samples: N }, { implementation: 'ae', encoderOptimizer: 'adam' as never }), /encoderOptimizer/);
});

test.run();
