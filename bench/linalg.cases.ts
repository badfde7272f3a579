/**
 * Linear algebra side by side: the WebAssembly binaries (relaxed SIMD with FMA when the host
 * compiles it, baseline SIMD, scalar), a plain-TS loop, numpy.linalg with single-threaded
 * OpenBLAS/LAPACK in a Python process, and for gemm tfjs-backend-wasm (XNNPACK, float32 only:
 * half the bytes and twice the lanes of our f64, so its row is a ceiling rather than a peer).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore, type Core } from '../src/wasm/core.js';
import { gemmWorkspace, matrix, truncatedSvd } from '../src/linalg/index.js';
import { Rng } from '../src/random.js';
import { choleskyRef, gemmRef, gemvRef } from '../test/reference/linalg.js';
import type { BenchCase } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
type Ext = Record<string, { median: number; p25: number; p75: number; samples: number }>;

function numpyTimes(): Ext | undefined {
  try {
    return JSON.parse(execFileSync('python3', [join(here, 'py', 'linalg_ref.py')], { encoding: 'utf8' })) as Ext;
  } catch (err) {
    process.stderr.write(`skipping numpy rows: ${(err as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

async function tfjsGemm(n: number): Promise<BenchCase | undefined> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
    await tf.setBackend('wasm');
    await tf.ready();
    const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
    const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
    return {
      group: '', name: 'tfjs-backend-wasm f32', work: 2 * n ** 3, unit: 'flop', time: 3000,
      fn: () => {
        const c = tf.matMul(a, b);
        const v = (c.dataSync() as Float32Array)[7];
        c.dispose();
        return v;
      },
    };
  } catch (err) {
    process.stderr.write(`skipping the tfjs-backend-wasm row: ${(err as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

export async function cases(): Promise<BenchCase[]> {
  const cores: { label: string; core: Core }[] = [];
  for (const simd of ['relaxed', 'baseline', 'scalar'] as const) {
    try {
      cores.push({ label: simd === 'baseline' ? 'wasm simd' : `wasm ${simd}`, core: await loadCore({ simd }) });
    } catch {
      process.stderr.write(`wasm ${simd} is not available on this host; its rows are skipped\n`);
    }
  }
  const ext = numpyTimes();
  const rng = new Rng(1);
  const out: BenchCase[] = [];
  const put = (core: Core, data: Float64Array) => {
    const p = core.heap.alloc(data.length * 8, 'bench');
    core.f64.set(data, p >>> 3);
    return p;
  };

  for (const n of [1024, 256]) {
    const group = `gemm f64 ${n}×${n}×${n} (C = A·B)`;
    const a = rng.fillNormal(new Float64Array(n * n));
    const b = rng.fillNormal(new Float64Array(n * n));
    for (const { label, core } of cores) {
      const pa = put(core, a), pb = put(core, b), pc = put(core, new Float64Array(n * n));
      const w = gemmWorkspace(core);
      // The scalar binary at 1024³ takes ~0.5 s a call: a shorter budget keeps the run short.
      out.push({
        group, name: label, work: 2 * n ** 3, unit: 'flop', time: n >= 1024 ? 3000 : 1000,
        fn: () => (core.exports.gemm(0, 0, n, n, n, 1, pa, n, pb, n, 0, pc, n, w), core.f64[(pc >>> 3) + 77]),
      });
    }
    if (n === 256) {
      const c = new Float64Array(n * n);
      out.push({ group, name: 'plain TS', work: 2 * n ** 3, unit: 'flop', fn: () => gemmRef(n, n, n, a, b, c)[77] });
    }
    const key = `gemm${n}`;
    if (ext?.[key]) out.push({ group, name: 'numpy @ (OpenBLAS, 1 thread)', work: 2 * n ** 3, unit: 'flop', external: ext[key] });
    if (n === 1024) {
      const tf = await tfjsGemm(n);
      if (tf) out.push({ ...tf, group });
    }
  }

  {
    const n = 1024;
    const group = `gemv f64 ${n}×${n}`;
    const a = rng.fillNormal(new Float64Array(n * n));
    const x = rng.fillNormal(new Float64Array(n));
    for (const { label, core } of cores) {
      const pa = put(core, a), px = put(core, x), py = put(core, new Float64Array(n));
      out.push({ group, name: label, work: 2 * n * n, unit: 'flop', fn: () => (core.exports.gemv(0, n, n, 1, pa, n, px, 0, py), core.f64[(py >>> 3) + 5]) });
    }
    const y = new Float64Array(n);
    out.push({ group, name: 'plain TS', work: 2 * n * n, unit: 'flop', fn: () => gemvRef(n, n, a, x, y)[5] });
    if (ext?.gemv1024) out.push({ group, name: 'numpy @', work: 2 * n * n, unit: 'flop', external: ext.gemv1024 });
  }

  {
    const n = 512;
    const group = `cholesky f64 ${n}×${n} (with an n² copy per call)`;
    const s = rng.fillNormal(new Float64Array(n * n));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let v = i === j ? n : 0;
      for (let p = 0; p < n; p++) v += s[i * n + p] * s[j * n + p];
      a[i * n + j] = v;
    }
    const flop = n ** 3 / 3;
    for (const { label, core } of cores) {
      const src = put(core, a), dst = put(core, a);
      out.push({
        group, name: label, work: flop, unit: 'flop',
        fn: () => {
          core.f64.copyWithin(dst >>> 3, src >>> 3, (src >>> 3) + n * n);
          return core.exports.cholesky(n, dst, n) + core.f64[(dst >>> 3) + n * n - 1];
        },
      });
    }
    const work = new Float64Array(n * n);
    out.push({ group, name: 'plain TS', work: flop, unit: 'flop', fn: () => (work.set(a), choleskyRef(n, work), work[n * n - 1]) });
    if (ext?.cholesky512) out.push({ group, name: 'numpy.linalg.cholesky', work: flop, unit: 'flop', external: ext.cholesky512 });
  }

  {
    const n = 400;
    const s = rng.fillNormal(new Float64Array(n * n));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (s[i * n + j] + s[j * n + i]) / 2;
    for (const vectors of [0, 1]) {
      const group = `symmetric eigen ${n}×${n}, ${vectors ? 'values and vectors' : 'values only'}`;
      for (const { label, core } of cores.slice(0, 1)) {
        const src = put(core, a), dst = put(core, a), d = put(core, new Float64Array(n)), e = put(core, new Float64Array(2 * n));
        out.push({
          group, name: `${label} symmetricEigen`, work: 1, unit: 'calls', time: 2000,
          fn: () => {
            core.f64.copyWithin(dst >>> 3, src >>> 3, (src >>> 3) + n * n);
            return core.exports.symmetricEigen(n, dst, n, d, e, vectors) + core.f64[d >>> 3];
          },
        });
      }
      const key = vectors ? 'eigh400' : 'eigvalsh400';
      if (ext?.[key]) out.push({ group, name: vectors ? 'numpy.linalg.eigh' : 'numpy.linalg.eigvalsh', work: 1, unit: 'calls', external: ext[key] });
    }
  }

  {
    const m = 200, n = 20000, q = 10;
    const group = `top-${q} SVD of a ${m}×${n} matrix`;
    const a = matrix(m, n, rng.fillNormal(new Float64Array(m * n)));
    const core = cores[0]?.core;
    if (core) {
      out.push({ group, name: `${cores[0].label} truncatedSvd (randomised, 7 power iterations)`, work: 1, unit: 'calls', time: 3000, fn: () => truncatedSvd(a, q, { core }).s[0] });
    }
    if (ext?.svd200x20000) out.push({ group, name: 'numpy.linalg.svd (full, thin)', work: 1, unit: 'calls', external: ext.svd200x20000 });
  }
  return out;
}
