/**
 * Special-function kernels side by side: the WebAssembly binaries (relaxed SIMD when the host
 * compiles it, baseline SIMD, scalar), a plain-TS implementation of the same maths, and
 * scipy/numpy timed in a Python process on inputs of the same distribution and size.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore, type Core } from '../src/wasm/core.js';
import * as ref from '../test/reference/special.js';
import { rng, type BenchCase } from './harness.js';

const N = 1 << 16;
const here = dirname(fileURLToPath(import.meta.url));

function inputs() {
  const r = rng(42);
  const x = new Float64Array(N);
  const k = new Float64Array(N);
  const u = new Float64Array(N);
  const p = new Float64Array(N);
  const e = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    x[i] = Math.exp(Math.log(1e-3) + r() * Math.log(1e6));
    k[i] = Math.floor(r() * 21);
    u[i] = -30 + 60 * r();
    p[i] = 1e-6 + (1 - 2e-6) * r();
    e[i] = -700 + 1400 * r();
  }
  return { x, k, u, p, e };
}

type Ext = Record<string, { median: number; p25: number; p75: number; samples: number }>;
function scipyTimes(): Ext | undefined {
  try {
    const out = execFileSync('python3', [join(here, 'py', 'special_ref.py'), String(N), '42'], { encoding: 'utf8' });
    return JSON.parse(out) as Ext;
  } catch (err) {
    process.stderr.write(`skipping scipy rows: ${(err as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

export async function cases(): Promise<BenchCase[]> {
  const data = inputs();
  const cores: { label: string; core: Core }[] = [];
  for (const simd of ['relaxed', 'baseline', 'scalar'] as const) {
    try {
      const core = await loadCore({ simd });
      cores.push({ label: simd === 'baseline' ? 'wasm simd' : `wasm ${simd}`, core });
    } catch {
      process.stderr.write(`wasm ${simd} is not available on this host; its rows are skipped\n`);
    }
  }
  const ext = scipyTimes();
  const out: BenchCase[] = [];

  // Each core gets its own copies of the inputs and output buffers.
  const bufs = new Map<Core, Record<string, number>>();
  for (const { core } of cores) {
    const h = core.heap;
    const b: Record<string, number> = {};
    for (const [name, arr] of Object.entries(data)) {
      b[name] = h.alloc(N * 8, name);
      core.f64.set(arr, b[name] >>> 3);
    }
    b.y = h.alloc(N * 8, 'y');
    b.z = h.alloc(N * 8, 'z');
    bufs.set(core, b);
  }
  const probe = (core: Core, ptr: number) => core.f64[(ptr >>> 3) + 12345] + core.f64[(ptr >>> 3) + N - 1];

  const unary: [string, keyof typeof data, (v: number) => number, string][] = [
    ['lgamma', 'x', ref.lgammaRef, 'scipy.special.gammaln'],
    ['digamma', 'x', ref.digammaRef, 'scipy.special.digamma'],
    ['trigamma', 'x', ref.trigammaRef, 'scipy.special.polygamma(1, ·)'],
    ['exp', 'e', Math.exp, 'numpy.exp'],
    ['log', 'x', Math.log, 'numpy.log'],
    ['log1p', 'x', Math.log1p, 'numpy.log1p'],
    ['sigmoid', 'u', ref.sigmoidRef, 'scipy.special.expit'],
    ['logit', 'p', ref.logitRef, 'scipy.special.logit'],
    ['log1pexp', 'u', ref.log1pexpRef, 'numpy.logaddexp(0, ·)'],
  ];
  const dist: Record<string, string> = { x: 'log-uniform 1e-3..1e3', e: 'uniform −700..700', u: 'uniform −30..30', p: 'uniform 1e-6..1−1e-6' };
  for (const [fn, input, plain, pyName] of unary) {
    const group = `${fn}: ${N} f64, ${dist[input]}`;
    for (const { label, core } of cores) {
      const b = bufs.get(core)!;
      const kern = core.exports[`${fn}Array` as 'lgammaArray'];
      out.push({ group, name: label, work: N, unit: 'elements', fn: () => (kern(b[input], b.y, N), probe(core, b.y)) });
    }
    const xs = data[input];
    const ys = new Float64Array(N);
    out.push({
      group, name: 'plain TS', work: N, unit: 'elements',
      fn: () => {
        for (let i = 0; i < N; i++) ys[i] = plain(xs[i]);
        return ys[12345];
      },
    });
    if (ext?.[fn]) out.push({ group, name: pyName, work: N, unit: 'elements', external: ext[fn] });
  }

  {
    const group = `lgamma+digamma: ${N} f64, log-uniform 1e-3..1e3`;
    for (const { label, core } of cores) {
      const b = bufs.get(core)!;
      const E = core.exports;
      out.push({ group, name: `${label} fused`, work: N, unit: 'elements', fn: () => (E.lgammaDigammaArray(b.x, b.y, b.z, N), probe(core, b.z)) });
      out.push({
        group, name: `${label} two kernels`, work: N, unit: 'elements',
        fn: () => (E.lgammaArray(b.x, b.y, N), E.digammaArray(b.x, b.z, N), probe(core, b.z)),
      });
    }
    if (ext?.['lgamma+digamma']) out.push({ group, name: 'scipy gammaln + digamma', work: N, unit: 'elements', external: ext['lgamma+digamma'] });
  }

  for (const [fn, twoCalls, plain, pyName] of [
    ['lgammaDiff', 'lgamma', ref.lgammaDiffRef, 'scipy gammaln(a+k) − gammaln(a)'],
    ['digammaDiff', 'digamma', ref.digammaDiffRef, 'scipy digamma(a+k) − digamma(a)'],
  ] as const) {
    const group = `${fn}: ${N} pairs, a log-uniform 1e-3..1e3, k uniform 0..20`;
    for (const { label, core } of cores) {
      const b = bufs.get(core)!;
      const E = core.exports;
      const kern = E[`${fn}Array`];
      out.push({ group, name: `${label} ${fn}`, work: N, unit: 'elements', fn: () => (kern(b.x, b.k, b.y, N), probe(core, b.y)) });
    }
    // Two full calls, as a caller without the difference kernel would do: f(a+k) − f(a).
    for (const { label, core } of cores) {
      const b = bufs.get(core)!;
      const E = core.exports;
      const one = E[`${twoCalls}Array`];
      const f = core.f64;
      const ak = core.heap.alloc(N * 8, 'a+k');
      const g = core.f64;
      for (let i = 0; i < N; i++) g[(ak >>> 3) + i] = data.x[i] + data.k[i];
      out.push({
        group, name: `${label} two ${twoCalls} calls`, work: N, unit: 'elements',
        fn: () => {
          one(ak, b.y, N);
          one(b.x, b.z, N);
          const m = core.f64;
          const y0 = b.y >>> 3;
          const z0 = b.z >>> 3;
          for (let i = 0; i < N; i++) m[y0 + i] -= m[z0 + i];
          return m[y0 + 12345];
        },
      });
      void f;
    }
    const ys = new Float64Array(N);
    out.push({
      group, name: 'plain TS (sum over k terms)', work: N, unit: 'elements',
      fn: () => {
        for (let i = 0; i < N; i++) ys[i] = plain(data.x[i], data.k[i]);
        return ys[12345];
      },
    });
    if (ext?.[fn]) out.push({ group, name: pyName, work: N, unit: 'elements', external: ext[fn] });
  }

  {
    // The fused count differences (what the FRASER cells call) against the two separate kernels.
    // Its array kernel is exported with assembly/betabinom.ts, so it is not in SpecialExports.
    type Fused = (pa: number, pk: number, plg: number, pdg: number, n: number) => void;
    const group = `lgammaDiff+digammaDiff: ${N} pairs, a log-uniform 1e-3..1e3, k uniform 0..20`;
    for (const { label, core } of cores) {
      const b = bufs.get(core)!;
      const E = core.exports;
      const fused = (E as unknown as { lgammaDigammaDiffArray: Fused }).lgammaDigammaDiffArray;
      out.push({ group, name: `${label} fused`, work: N, unit: 'elements', fn: () => (fused(b.x, b.k, b.y, b.z, N), probe(core, b.z)) });
      out.push({
        group, name: `${label} lgammaDiff + digammaDiff`, work: N, unit: 'elements',
        fn: () => (E.lgammaDiffArray(b.x, b.k, b.y, N), E.digammaDiffArray(b.x, b.k, b.z, N), probe(core, b.z)),
      });
    }
  }
  return out;
}
