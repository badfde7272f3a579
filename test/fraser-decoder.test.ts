/**
 * The decoder fit by Fisher scoring (src/models/fraser/decoder.ts) against batched L-BFGS run to a
 * tight tolerance: every junction's loss must come out as low (to 1e-7 relative, the scoring's own
 * ftol being 2.2e-9), with and without Huber weights, in far fewer junction evaluations; and the
 * information matrix must be the Gauss–Newton form it claims, checked against a direct sum.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fraser, init } from '../src/index.js';
import { fitDecoderScoring } from '../src/models/fraser/decoder.js';
import { FraserObjective } from '../src/models/fraser/objective.js';
import { minimizeBatch } from '../src/optim/index.js';

const N = 60, J = 300;
let sim: ReturnType<typeof fraser.simulate>;
let base: ReturnType<typeof fraser.fit>;

test.before(async () => {
  await init();
  sim = fraser.simulate({ samples: N, junctions: J, latentDim: 3, confounderSd: 0.8, outlierFrequency: 5e-3, seed: 21 });
  base = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { q: 3 });
});

function objective(): FraserObjective {
  const o = new FraserObjective({ k: sim.k, n: sim.n, latent: base.latent, junctions: J, latentDim: base.q });
  o.setDecoder(base.D, base.b);
  o.setRho(base.rho);
  return o;
}

for (const weighted of [false, true]) {
  test(`scoring reaches L-BFGS's optimum on every junction${weighted ? ' with Huber-like weights' : ''}, in fewer evaluations`, () => {
    const o = objective();
    try {
      if (weighted) o.setWeights(Float64Array.from({ length: N * J }, (_, c) => 0.3 + ((c * 7919) % 10) / 14));
      const dim = base.q + 1;
      let lbfgsEvals = 0;
      const fn = o.decoderObjective();
      const ref = minimizeBatch((X, G, F, active, nActive) => {
        lbfgsEvals += nActive;
        fn(X, G, F, active, nActive);
      }, o.decoderStart(), J, dim, { m: 5, maxIterations: 1000, ftol: 1e-14, gtol: 1e-10 });
      const sc = fitDecoderScoring(o);
      assert.is(sc.unconverged, 0);
      const G = new Float64Array(J * dim), F = new Float64Array(J);
      fn(sc.x, G, F, Uint32Array.from({ length: J }, (_, j) => j), J);
      for (let j = 0; j < J; j++) {
        // Equal up to rounding: Y = H Dᵀ of a junction can round differently with its position in
        // the batch (the relaxed-SIMD gemm fuses multiply-adds in full tiles, not at the edges).
        assert.ok(Math.abs(F[j] - sc.f[j]) <= 1e-14 * Math.abs(F[j]), `returned f[${j}] = ${sc.f[j]} is not F at the returned x, ${F[j]}`);
        assert.ok(F[j] <= ref.f[j] + 1e-7 * Math.abs(ref.f[j]), `junction ${j}: scoring ${F[j]} vs L-BFGS ${ref.f[j]}`);
      }
      console.log(`  ${weighted ? 'weighted' : 'unweighted'}: scoring ${sc.junctionEvaluations} junction evaluations (${sc.evaluations} batched), L-BFGS ${lbfgsEvals}`);
      assert.ok(sc.junctionEvaluations * 2 < lbfgsEvals);
    } finally {
      o.dispose();
    }
  });
}

test('scoring results do not depend on how many information matrices are held at once', () => {
  const o = objective();
  try {
    const dim = base.q + 1;
    const a = fitDecoderScoring(o);
    const b = fitDecoderScoring(o, { chunkEntries: 7 * dim * dim });
    assert.equal(Array.from(b.x), Array.from(a.x));
  } finally {
    o.dispose();
  }
});

test('decoderFisher is (1/N) Σ_i w n μ(1−μ)/(1+(n−1)ρ) h̃ h̃ᵀ, by a direct sum', () => {
  const o = objective();
  try {
    const q = base.q, dim = q + 1;
    const X = o.decoderStart();
    const js = Uint32Array.of(0, 5, 299);
    const A = new Float64Array(js.length * dim * dim);
    o.decoderFisher(X, A, js, js.length);
    for (const [r, j] of Array.from(js).entries()) {
      const want = new Float64Array(dim * dim);
      for (let i = 0; i < N; i++) {
        const n = sim.n[i * J + j];
        if (n === 0) continue;
        const h = [1, ...Array.from(base.latent.subarray(i * q, i * q + q))];
        let y = 0;
        for (let l = 0; l < dim; l++) y += h[l] * X[j * dim + l];
        const mu = 1 / (1 + Math.exp(-y));
        const w = (n * mu * (1 - mu)) / (1 + (n - 1) * base.rho[j]) / N;
        for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) want[a * dim + b] += w * h[a] * h[b];
      }
      for (let c = 0; c < dim * dim; c++) {
        assert.ok(Math.abs(A[r * dim * dim + c] - want[c]) <= 1e-11 * Math.abs(want[0]), `junction ${j}, entry ${c}: ${A[r * dim * dim + c]} vs ${want[c]}`);
      }
    }
  } finally {
    o.dispose();
  }
});

test.run();
