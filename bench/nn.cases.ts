/**
 * Dense layers side by side: the Mlp of src/nn on each WebAssembly binary (relaxed SIMD with FMA
 * when the host compiles it, baseline SIMD, and the scalar twins), the plain-TS MLP of
 * test/fixtures/nn/reference.ts, and PyTorch CPU (float64, one thread) in a Python process. The
 * shape is the amortised PLN encoder of issue 5 at p = 200, q = 20: log1p(Y) → 128 ReLU units →
 * M (20, identity) and S (20, softplus).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore, type Core } from '../src/wasm/core.js';
import { Workspace } from '../src/wasm/workspace.js';
import { Mlp, type MlpOptions } from '../src/nn/index.js';
import type { NnExports } from '../src/nn/kernels.js';
import { Rng } from '../src/random.js';
import { mlpBackwardRef, mlpForwardRef } from '../test/fixtures/nn/reference.js';
import type { BenchCase } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
type Ext = Record<string, { median: number; p25: number; p75: number; samples: number }>;

const P = 200;
const HIDDEN = 128;
const Q = 20;
const BATCH = 256;
const N_ENCODE = 10000;

// The same network and sizes in PyTorch (float64, one intra-op thread), timed by bench/py/timing.py.
const TORCH = `
import json, os, sys
sys.path.insert(0, ${JSON.stringify(join(here, 'py'))})
from timing import timeit
import torch
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
P, H, Q, B, N = ${P}, ${HIDDEN}, ${Q}, ${BATCH}, ${N_ENCODE}
g = torch.Generator().manual_seed(1)
W1 = (torch.randn(P, H, generator=g) * (2 / P) ** 0.5).requires_grad_()
b1 = torch.zeros(H, requires_grad=True)
W2 = (torch.randn(H, 2 * Q, generator=g) * (2 / (H + 2 * Q)) ** 0.5).requires_grad_()
b2 = torch.zeros(2 * Q, requires_grad=True)
X = torch.randn(B, P, generator=g)
D = torch.randn(B, 2 * Q, generator=g)
XN = torch.randn(N, P, generator=g)

def net(x):
    z = torch.relu(x @ W1 + b1) @ W2 + b2
    return torch.cat([z[:, :Q], torch.nn.functional.softplus(z[:, Q:])], dim=1)

def step():
    for p in (W1, b1, W2, b2):
        p.grad = None
    (net(X) * D).sum().backward()

def encode():
    with torch.no_grad():
        return net(XN)

print(json.dumps({"step": timeit(step), "encode": timeit(encode, budget=1)}))
`;

function torchTimes(): Ext | undefined {
  try {
    return JSON.parse(execFileSync('python3', ['-c', TORCH], { encoding: 'utf8' })) as Ext;
  } catch (err) {
    process.stderr.write(`skipping the torch rows: ${(err as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

export async function cases(): Promise<BenchCase[]> {
  const cores: { label: string; core: Core; scalar: boolean }[] = [];
  for (const simd of ['relaxed', 'baseline'] as const) {
    try {
      cores.push({ label: simd === 'baseline' ? 'wasm simd' : `wasm ${simd}`, core: await loadCore({ simd }), scalar: false });
    } catch {
      process.stderr.write(`wasm ${simd} is not available on this host; its rows are skipped\n`);
    }
  }
  if (cores.length > 0) cores.push({ label: 'wasm scalar twins', core: cores[cores.length - 1].core, scalar: true });
  const ext = torchTimes();
  const rng = new Rng(1);
  const spec: MlpOptions = {
    inputDim: P,
    hidden: [HIDDEN],
    heads: [{ name: 'M', size: Q, activation: 'identity' }, { name: 'S', size: Q, activation: 'softplus' }],
  };
  const X = rng.fillNormal(new Float64Array(BATCH * P));
  const D = rng.fillNormal(new Float64Array(BATCH * 2 * Q));
  const XN = rng.fillNormal(new Float64Array(N_ENCODE * P));
  const macs = P * HIDDEN + HIDDEN * 2 * Q;
  const out: BenchCase[] = [];

  {
    // Forward 2·B·macs, ∂W 2·B·macs, ∂A of the hidden layer 2·B·HIDDEN·2Q (no ∂X, as in the encoder).
    const group = `Mlp forward + backward, ${BATCH} rows, ${P}→${HIDDEN} ReLU→${Q} identity + ${Q} softplus`;
    const work = 4 * BATCH * macs + 2 * BATCH * HIDDEN * 2 * Q;
    for (const { label, core, scalar } of cores) {
      const mlp = new Mlp({ ...spec, core, scalar, batchRows: BATCH });
      const ws = new Workspace(core);
      const pX = ws.from(X, 'X').ptr;
      const pD = ws.from(D, 'dOut').ptr;
      out.push({
        group, name: label, work, unit: 'flop',
        fn: () => {
          mlp.forwardAt(pX, P, BATCH);
          mlp.zeroGrad();
          mlp.backwardAt(pD, 2 * Q);
          return core.f64[(mlp.gradPtr >>> 3) + 5];
        },
      });
    }
    const ref = new Mlp({ ...spec, core: cores[0].core });
    const params = ref.getParams();
    ref.dispose();
    out.push({
      group, name: 'plain TS', work, unit: 'flop',
      fn: () => {
        const f = mlpForwardRef(spec as never, params, X, BATCH);
        return mlpBackwardRef(spec as never, params, X, BATCH, f, D).grad[5];
      },
    });
    if (ext?.step) out.push({ group, name: 'PyTorch CPU f64, 1 thread', work, unit: 'flop', external: ext.step });
  }

  {
    const group = `Mlp predict (encode), ${N_ENCODE} rows, same network`;
    const work = 2 * N_ENCODE * macs;
    for (const { label, core, scalar } of cores) {
      const mlp = new Mlp({ ...spec, core, scalar, batchRows: 1024 });
      const o = new Float64Array(N_ENCODE * 2 * Q);
      out.push({ group, name: `${label} (blocks of 1024 rows)`, work, unit: 'flop', time: 1000, fn: () => mlp.predict(XN, N_ENCODE, o)[7] });
    }
    if (ext?.encode) out.push({ group, name: 'PyTorch CPU f64, 1 thread (no_grad)', work, unit: 'flop', external: ext.encode });
  }

  {
    const rows = BATCH;
    const cols = HIDDEN;
    const group = `nn kernels, ${rows}×${cols} block: bias + softplus forward, then softplus backward with ∂b`;
    const z = rng.fillNormal(new Float64Array(rows * cols)).map((v) => 4 * v);
    // Zero biases keep Z the same from call to call (the kernel adds b to Z in place).
    const b = new Float64Array(cols);
    for (const { label, core, scalar } of cores) {
      const e = core.exports as unknown as NnExports;
      const fwd = scalar ? e.nnBiasActivationScalar : e.nnBiasActivation;
      const bwd = scalar ? e.nnActivationBackwardScalar : e.nnActivationBackward;
      const ws = new Workspace(core);
      const pZ = ws.from(z, 'Z').ptr;
      const pB = ws.from(b, 'b').ptr;
      const pA = ws.f64(rows * cols, 'A').ptr;
      const pD = ws.f64(rows * cols, 'dZ').ptr;
      const pDb = ws.f64(cols, 'db').ptr;
      out.push({
        group, name: label, work: rows * cols, unit: 'elements',
        fn: () => {
          fwd(2, rows, cols, pB, pZ, cols, pA, cols);
          bwd(2, rows, cols, pZ, cols, pA, cols, pD, cols, pDb);
          return core.f64[(pD >>> 3) + 3];
        },
      });
    }
  }
  return out;
}
