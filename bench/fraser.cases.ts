/**
 * FRASER objective side by side (src/models/fraser/objective.ts on the three binaries and the
 * scalar twins, a plain-TS implementation of the same maths, and numpy/scipy with gammaln/digamma
 * vectorised and single-threaded BLAS in a Python process on the same inputs):
 *
 * - encoder: nll + ∂E (what updateE's L-BFGS calls), nll alone, at N=500, J=5000, q=20. The
 *   reference (FRASER C++, serial, reference BLAS) takes 0.28 s for the loss and 0.87 s for the
 *   gradient at this size.
 * - decoder: nll + ∂(b_j, d_j) of every junction in one batched call (what updateD's
 *   minimizeBatch calls), and of one junction alone; the reference takes 40 µs + 103 µs per
 *   junction at N=500, q=20.
 * - ρ: the full beta-binomial NLL of every junction at one logit ρ each (one brentBatch step).
 *
 * Counts: n ~ Poisson(depth_j), depth_j log-uniform in [2, 200], 3% zeros; k ~ Binomial(n, ψ_j).
 * The inputs are written to a temporary directory for the Python process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encoderBasis } from '../src/models/fraser/encoder.js';
import { FraserObjective } from '../src/models/fraser/objective.js';
import { Rng } from '../src/random.js';
import { loadCore, type Core } from '../src/wasm/core.js';
import { digammaRef, lgammaRef } from '../test/reference/special.js';
import type { BenchCase } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Plain-TS FRASER nll and gradients written from the maths, with full lnΓ/ψ differences (no count
 * differences), for tests and the "plain TS" rows. All arrays N×J or J×q row-major.
 */
export function fraserPlain(p: {
  k: ArrayLike<number>; n: ArrayLike<number>; x: Float64Array; E: Float64Array; D: Float64Array; b: Float64Array;
  rho: Float64Array; N: number; J: number; q: number; c: number;
}): { nll: number; gradE: Float64Array; gradD: Float64Array; gradB: Float64Array } {
  const { k, n, x, E, D, b, rho, N, J, q, c } = p;
  const H = new Float64Array(N * q);
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) {
    const xv = x[i * J + j];
    for (let l = 0; l < q; l++) H[i * q + l] += xv * E[j * q + l];
  }
  const a = Float64Array.from(rho, (r) => Math.min(Math.max((1 - r) / r, Math.exp(-30)), Math.exp(30)));
  const scale = 1 / (N * J);
  const G = new Float64Array(N * J);
  let nll = 0;
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) {
    const nn = n[i * J + j];
    if (nn === 0) continue;
    const kk = k[i * J + j];
    let y = b[j];
    for (let l = 0; l < q; l++) y += H[i * q + l] * D[j * q + l];
    y = Math.min(Math.max(y, -300), 300);
    const e = Math.exp(-Math.abs(y));
    const mu = y >= 0 ? 1 / (1 + e) : e / (1 + e);
    const omu = y >= 0 ? e / (1 + e) : 1 / (1 + e);
    const al = mu * a[j], be = omu * a[j];
    const kc = kk + c, mc = nn - kk + c;
    nll += scale * (lgammaRef(al) + lgammaRef(be) - lgammaRef(al + kc) - lgammaRef(be + mc));
    G[i * J + j] = scale * a[j] * mu * omu * (digammaRef(al) - digammaRef(al + kc) - digammaRef(be) + digammaRef(be + mc));
  }
  const gradB = new Float64Array(J);
  const gradD = new Float64Array(J * q);
  const GD = new Float64Array(N * q);
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) {
    const g = G[i * J + j];
    gradB[j] += g;
    for (let l = 0; l < q; l++) {
      gradD[j * q + l] += g * H[i * q + l];
      GD[i * q + l] += g * D[j * q + l];
    }
  }
  const gradE = new Float64Array(J * q);
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) {
    const xv = x[i * J + j];
    for (let l = 0; l < q; l++) gradE[j * q + l] += xv * GD[i * q + l];
  }
  return { nll, gradE, gradD, gradB };
}

/** Plain-TS decoder objective of one junction j: F = (1/N)Σ_i ℓ_ij and ∂(b_j, d_j); H given (N×q). */
function decoderPlain(H: Float64Array, kT: Uint32Array, nT: Uint32Array, a: number, N: number, q: number, j: number, theta: Float64Array, g: Float64Array): number {
  let f = 0;
  g.fill(0);
  for (let i = 0; i < N; i++) {
    const nn = nT[j * N + i];
    if (nn === 0) continue;
    const kk = kT[j * N + i];
    let y = theta[0];
    for (let l = 0; l < q; l++) y += H[i * q + l] * theta[1 + l];
    const e = Math.exp(-Math.abs(y));
    const mu = y >= 0 ? 1 / (1 + e) : e / (1 + e);
    const omu = 1 - mu;
    const al = mu * a, be = omu * a;
    f += lgammaRef(al) + lgammaRef(be) - lgammaRef(al + kk) - lgammaRef(be + nn - kk);
    const gy = a * mu * omu * (digammaRef(al) - digammaRef(al + kk) - digammaRef(be) + digammaRef(be + nn - kk));
    g[0] += gy;
    for (let l = 0; l < q; l++) g[1 + l] += gy * H[i * q + l];
  }
  for (let l = 0; l <= q; l++) g[l] /= N;
  return f / N;
}

interface Ext { median: number; p25: number; p75: number; samples: number }

/** The benchmark's counts and parameters (see the header); also used by bench/rho-micro.ts. */
export function simulate(N: number, J: number, q: number, seed: number) {
  const rng = new Rng(seed);
  const k = new Uint32Array(N * J), n = new Uint32Array(N * J), x = new Float64Array(N * J);
  const depth = Float64Array.from({ length: J }, () => 2 * 100 ** rng.uniform());
  const psi = Float64Array.from({ length: J }, () => 1 / (1 + Math.exp(-2 * rng.normal())));
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) {
    const nn = rng.uniform() < 0.03 ? 0 : rng.poisson(depth[j]);
    const kk = rng.binomial(nn, psi[j]);
    n[i * J + j] = nn;
    k[i * J + j] = kk;
    x[i * J + j] = Math.log((kk + 0.1) / (nn - kk + 0.1));
  }
  for (let j = 0; j < J; j++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += x[i * J + j];
    for (let i = 0; i < N; i++) x[i * J + j] -= s / N;
  }
  const E = rng.fillNormal(new Float64Array(J * q)).map((v) => v * 0.02);
  const D = rng.fillNormal(new Float64Array(J * q)).map((v) => v * 0.2);
  const b = Float64Array.from(psi, (p) => Math.log(p / (1 - p)));
  const rho = Float64Array.from({ length: J }, () => 10 ** (-3 + 2 * rng.uniform()));
  return { k, n, x, E, D, b, rho };
}

/** The first Js junctions of the data (N×Js, Js×q). */
function slice(d: ReturnType<typeof simulate>, N: number, J: number, q: number, Js: number) {
  const cut = <T extends Uint32Array | Float64Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(N * Js);
    for (let i = 0; i < N; i++) out.set(a.subarray(i * J, i * J + Js), i * Js);
    return out;
  };
  return { k: cut(d.k), n: cut(d.n), x: cut(d.x), E: d.E.slice(0, Js * q), D: d.D.slice(0, Js * q), b: d.b.slice(0, Js), rho: d.rho.slice(0, Js) };
}

function pythonTimes(dir: string, N: number, J: number, q: number): Record<string, Ext> | undefined {
  try {
    const out = execFileSync('python3', [join(here, 'py', 'fraser_ref.py'), dir, String(N), String(J), String(q)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    return JSON.parse(out) as Record<string, Ext>;
  } catch (err) {
    process.stderr.write(`skipping numpy rows: ${(err as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

export async function cases(): Promise<BenchCase[]> {
  const N = 500, J = 5000, q = 20;
  const data = simulate(N, J, q, 1);
  const dir = mkdtempSync(join(tmpdir(), 'fraser-bench-'));
  let ext: Record<string, Ext> | undefined;
  try {
    for (const [name, arr] of Object.entries(data)) writeFileSync(join(dir, `${name}.bin`), new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    ext = pythonTimes(dir, N, J, q);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const impls: { label: string; core: Core; scalar: boolean }[] = [];
  for (const simd of ['relaxed', 'baseline', 'scalar'] as const) {
    try {
      const core = await loadCore({ simd });
      impls.push({ label: simd === 'baseline' ? 'wasm simd' : `wasm ${simd}`, core, scalar: false });
    } catch {
      process.stderr.write(`wasm ${simd} is not available on this host; its rows are skipped\n`);
    }
  }
  const objs = impls.map(({ label, core, scalar }) => {
    const o = new FraserObjective({ k: data.k, n: data.n, x: data.x, junctions: J, latentDim: q, core, scalar });
    o.setEncoder(data.E);
    o.setDecoder(data.D, data.b);
    o.setRho(data.rho);
    return { label, o };
  });
  const out: BenchCase[] = [];
  const dims = `N=${N}, J=${J}, q=${q}`;

  {
    const group = `FRASER encoder nll + ∂E (${dims})`;
    const g = new Float64Array(J * q);
    for (const { label, o } of objs) {
      const fn = o.encoderObjective();
      const e = data.E;
      out.push({ group, name: label, work: N * J, unit: 'elements', time: 2000, fn: () => fn(e, g) + g[7] });
    }
    if (ext?.encoder) out.push({ group, name: 'numpy/scipy (gammaln, digamma; OpenBLAS 1 thread)', work: N * J, unit: 'elements', external: ext.encoder });
  }
  {
    // updateE's one-off set-up in the ae fit (encoder.ts): x xᵀ and its Cholesky factor when it
    // has full rank (x with the fit's denoising noise), or its eigendecomposition when it is
    // singular (x exactly centred). Seconds per call, so timed here (median of 5), not by
    // tinybench's 64 iterations, and only when the filter names this group.
    const group = `FRASER updateE set-up: x xᵀ and its factorisation (N=${N}, J=${J}; once per ae fit)`;
    const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
    if (impls.length > 0 && (filters.length === 0 || filters.some((f) => group.includes(f)))) {
      const core = impls[0].core;
      for (const [label, noise] of [['Cholesky: x with denoising noise (full rank, the default)', 1], ['eigendecomposition: x centred (one null direction)', 0]] as const) {
        const rng = new Rng(3);
        const x = Float64Array.from(data.x, (v) => v + noise * rng.normal());
        const o = new FraserObjective({ k: data.k, n: data.n, x, junctions: J, latentDim: q, core });
        const t: number[] = [];
        for (let r = 0; r < 5; r++) {
          const t0 = performance.now();
          const basis = encoderBasis(o, core);
          t.push((performance.now() - t0) / 1e3);
          if (basis?.kind !== (noise > 0 ? 'cholesky' : 'eigen')) throw new Error(`${label}: got ${basis?.kind}`);
        }
        o.dispose();
        t.sort((a, b) => a - b);
        out.push({ group, name: `${impls[0].label}, ${label}`, work: 1, unit: 'calls', external: { median: t[2], p25: t[1], p75: t[3], samples: 5 } });
      }
    }
  }
  {
    // tinybench runs at least 64 iterations: the plain-TS rows (~0.1 s per 250 000 cells) use a
    // slice of the junctions; compare their throughput (cells/s) with the rows above.
    const Js = 500;
    const group = `FRASER encoder nll + ∂E, plain TS on a slice (N=${N}, J=${Js}, q=${q}; compare throughput)`;
    const sl = slice(data, N, J, q, Js);
    out.push({
      group, name: 'plain TS', work: N * Js, unit: 'elements', time: 1000,
      fn: () => {
        const r = fraserPlain({ ...sl, N, J: Js, q, c: 0 });
        return r.nll + r.gradE[7];
      },
    });
  }
  {
    const group = `FRASER encoder nll only (${dims})`;
    for (const { label, o } of objs) out.push({ group, name: label, work: N * J, unit: 'elements', time: 1000, fn: () => o.nll() });
    if (ext?.nll) out.push({ group, name: 'numpy/scipy (gammaln)', work: N * J, unit: 'elements', external: ext.nll });
  }
  {
    const group = `FRASER decoder nll + ∂(b_j, d_j), all ${J} junctions in one batched call (N=${N}, q=${q}; per junction = median / ${J})`;
    const dim = q + 1;
    const active = Uint32Array.from({ length: J }, (_, j) => j);
    for (const { label, o } of objs) {
      const fn = o.decoderObjective();
      const X = o.decoderStart();
      const G = new Float64Array(J * dim), F = new Float64Array(J);
      out.push({ group, name: label, work: J, unit: 'calls', time: 2000, fn: () => (fn(X, G, F, active, J), F[3] + G[5]) });
    }
    if (ext?.decoderAll) out.push({ group, name: 'numpy/scipy vectorised over junctions', work: J, unit: 'calls', external: ext.decoderAll });
  }
  {
    const Js = 500;
    const group = `FRASER decoder nll + ∂(b_j, d_j), plain TS junction loop on ${Js} junctions (N=${N}, q=${q}; compare calls/s)`;
    const dim = q + 1;
    const H = new Float64Array(N * q);
    for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) for (let l = 0; l < q; l++) H[i * q + l] += data.x[i * J + j] * data.E[j * q + l];
    const kT = new Uint32Array(N * J), nT = new Uint32Array(N * J);
    for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) {
      kT[j * N + i] = data.k[i * J + j];
      nT[j * N + i] = data.n[i * J + j];
    }
    const theta = new Float64Array(dim), g = new Float64Array(dim);
    const a = Float64Array.from(data.rho, (r) => (1 - r) / r);
    out.push({
      group, name: 'plain TS (junction loop)', work: Js, unit: 'calls', time: 1000,
      fn: () => {
        let s = 0;
        for (let j = 0; j < Js; j++) {
          theta[0] = data.b[j];
          for (let l = 0; l < q; l++) theta[1 + l] = data.D[j * q + l];
          s += decoderPlain(H, kT, nT, a[j], N, q, j, theta, g) + g[1];
        }
        return s;
      },
    });
  }
  {
    const group = `FRASER decoder nll + ∂(b_j, d_j), one junction (N=${N}, q=${q})`;
    const dim = q + 1;
    for (const { label, o } of objs) {
      const fn = o.decoderObjective();
      const X = o.decoderStart();
      const G = new Float64Array(J * dim), F = new Float64Array(J);
      const one = Uint32Array.of(1234);
      out.push({ group, name: `${label} (batched objective, nActive = 1)`, work: 1, unit: 'calls', fn: () => (fn(X, G, F, one, 1), F[1234]) });
    }
    if (ext?.decoderOne) out.push({ group, name: 'numpy/scipy, one junction', work: 1, unit: 'calls', external: ext.decoderOne });
  }
  {
    const group = `FRASER ρ objective (full NLL) of all ${J} junctions, one brentBatch step (N=${N})`;
    const active = Uint32Array.from({ length: J }, (_, j) => j);
    const T = Float64Array.from(data.rho, (r) => Math.log(r / (1 - r)));
    for (const { label, o } of objs) {
      const fn = o.rhoObjective();
      const F = new Float64Array(J);
      fn(T, F, active, J); // computes the lnC sums once, outside the timing
      out.push({ group, name: label, work: J, unit: 'calls', time: 2000, fn: () => (fn(T, F, active, J), F[9]) });
    }
    if (ext?.rhoAll) out.push({ group, name: 'numpy/scipy (gammaln, lnC precomputed)', work: J, unit: 'calls', external: ext.rhoAll });
  }
  {
    const group = `FRASER ρ objective with f′ and f″ (Newton) of all ${J} junctions (N=${N})`;
    const T = Float64Array.from(data.rho, (r) => Math.log(r / (1 - r)));
    for (const { label, o } of objs) {
      const F = new Float64Array(J), D1 = new Float64Array(J), D2 = new Float64Array(J);
      out.push({ group, name: label, work: J, unit: 'calls', time: 2000, fn: () => (o.rhoDerivatives(T, F, D1, D2), D2[9]) });
    }
    if (ext?.rhoNewton) out.push({ group, name: 'numpy/scipy (gammaln, digamma, polygamma; lnC precomputed)', work: J, unit: 'calls', external: ext.rhoNewton });
  }
  return out;
}
