/**
 * The f64x2 p-value path where a lane's first choice of tail is overturned (assembly/bbstats.ts,
 * pValuePair): a predicted heavy other side that turns out light, or k's own side heavy at its cap.
 * Such lanes get a second f64x2 tail (or, heavy at the cap again, pValueOneS); their p must agree
 * with the scalar twin, which takes the same decisions one cell at a time. The cells are skewed and
 * U-shaped beta-binomials (large ρ, μ far from ½) with k on the long side of the mean, where those
 * decisions are common, mixed with ordinary cells in the other lane of each pair.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, loadCore, type Core } from '../src/index.js';
import { betaBinomial } from '../src/stats/index.js';

let cores: { label: string; core: Core }[] = [];

test.before(async () => {
  await init();
  cores = [{ label: 'simd', core: await loadCore({ simd: 'baseline' }) }];
  try {
    cores.push({ label: 'relaxed', core: await loadCore({ simd: 'relaxed' }) });
  } catch {
    /* relaxed SIMD not compiled by this host */
  }
});

function cells(N: number, seed: number) {
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const k = new Float64Array(N), n = new Float64Array(N), mu = new Float64Array(N), rho = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    n[i] = 2 + Math.floor(rnd() * 1000);
    if (i % 4 === 0) {
      // Skewed or U-shaped: μ near 0 or 1, ρ in [0.05, 0.9]; k between n/2 and the mean (the long
      // side of the mean, near enough to it to be heavy or to be predicted heavy).
      const m = rnd() < 0.5 ? 0.55 + 0.44 * rnd() : 0.01 + 0.44 * rnd();
      mu[i] = m;
      rho[i] = Math.exp(Math.log(0.05) + rnd() * Math.log(18));
      const lo = Math.min(n[i] / 2, n[i] * m), hi = Math.max(n[i] / 2, n[i] * m);
      k[i] = Math.min(n[i], Math.max(0, Math.round(lo + rnd() * (hi - lo))));
    } else if (i % 4 === 2) {
      // Left-skewed (μ in [0.8, 0.99], ρ in [0.01, 0.3]; or mirrored), k 1.5 to 2 standard deviations
      // below the mean on the long side: not predicted heavy, yet often heavy at the cap.
      const m = 0.8 + 0.19 * rnd();
      const r = Math.exp(Math.log(0.01) + rnd() * Math.log(30));
      const sd = Math.sqrt(n[i] * m * (1 - m) * (1 + (n[i] - 1) * r));
      const kk = Math.min(n[i] * m, Math.max(n[i] / 2, Math.round(n[i] * m - (1.5 + 0.5 * rnd()) * sd)));
      const flip = rnd() < 0.5;
      mu[i] = flip ? 1 - m : m;
      rho[i] = r;
      k[i] = Math.round(flip ? n[i] - kk : kk);
    } else {
      mu[i] = 0.05 + 0.9 * rnd();
      rho[i] = Math.exp(Math.log(0.001) + rnd() * Math.log(100));
      k[i] = Math.round(n[i] * (0.2 + 0.6 * rnd()));
    }
  }
  return { k, n, mu, rho };
}

test('p on overturned lanes (second f64x2 tail or scalar redo) agrees with the scalar twin to 1e-12', () => {
  const { k, n, mu, rho } = cells(20000, 5);
  const want = betaBinomial.pValues(k, n, mu, rho, { scalar: true });
  for (const { label, core } of cores) {
    const got = betaBinomial.pValues(k, n, mu, rho, { core });
    for (let i = 0; i < k.length; i++) {
      const err = Math.abs(got[i] - want[i]) / Math.max(want[i], 1e-300);
      assert.ok(err <= 1e-12, `${label}: k=${k[i]} n=${n[i]} mu=${mu[i]} rho=${rho[i]}: got ${got[i]}, want ${want[i]} (rel ${err})`);
    }
  }
});

test.run();
