/**
 * Dense layers (assembly/nn.ts, src/nn): the element-wise kernels against their definitions and
 * their scalar twins; the Mlp against PyTorch autograd through a committed fixture
 * (test/fixtures/nn/make_nn_fixtures.py) and against a plain-TS MLP (test/fixtures/nn/reference.ts);
 * finite-difference checks of every gradient; init, determinism, JSON, memory and typed errors;
 * fitRegression on a known smooth function.
 *
 * Bounds:
 * - identity and ReLU elements are exact; softplus and sigmoid within 4 ulp of the definition in
 *   JS Math (both sides round), their derivatives within 6 ulp. SIMD vs scalar twin: identity
 *   and ReLU bit for bit; softplus and sigmoid values within 4 ulp and derivatives within 6
 *   (measured on 4e5 draws: 2.6 and 3.9; the vector and scalar exp/log1p of special.ts differ by
 *   an ulp or two); column sums bit for bit.
 * - Mlp vs torch and vs plain TS: 1e-13 of the array's largest magnitude (measured 3e-15; gemm
 *   blocks and fuses the sums, so elements are not compared bit for bit).
 * - central differences (h = 1e-6·max(1, |θ|)): 1e-8 relative to max(1, |g|), per coordinate and
 *   along directions (measured 9e-10 and 1e-9); ReLU pre-activations are kept at least 1e-3 away
 *   from the kink.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ArgumentTypeError, ArgumentValueError, ShapeError, Rng, Workspace, type Core } from '../src/index.js';
import { ACTIVATION_CODES, Mlp, fitRegression, type Activation, type MlpOptions, type NnExports } from '../src/nn/index.js';
import { actRef, dActRef, mlpBackwardRef, mlpForwardRef } from './fixtures/nn/reference.js';
import { loadCores } from './cores.js';

const FIX = JSON.parse(readFileSync(new URL('./fixtures/nn/nn.json', import.meta.url), 'utf8'));
const ACTS: Activation[] = ['identity', 'relu', 'softplus', 'sigmoid'];
const ULP = 2.220446049250313e-16;

let cores: Record<string, Core>;
test.before(async () => {
  cores = await loadCores();
});

const nn = (core: Core) => core.exports as unknown as NnExports;

/** Pre-activations covering both tails, zero, the softplus switch near 36.8 and overflow range. */
function zValues(rng: Rng, n: number): Float64Array {
  const special = [0, -0, 1e-300, -1e-300, 36.8, 36.9, -36.9, 40, -40, 700, -700, 745, -745, 800, -800, 1e-8, -1e-8, 20, -20];
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = i < special.length ? special[i] : rng.normal() * (i % 3 === 0 ? 30 : 3);
  return z;
}

function ulpDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / (Math.max(Math.abs(a), Math.abs(b)) * ULP);
}

function put(ws: Workspace, data: Float64Array, name: string): number {
  return ws.from(data, name).ptr;
}

test('the bias + activation kernel writes Z + 1bᵀ and φ(Z) for every activation, on every binary and the scalar twin, at odd widths and leading dimensions', () => {
  const rng = new Rng(1);
  for (const [rows, cols, ld] of [[1, 1, 1], [3, 7, 9], [5, 16, 16], [4, 19, 23]]) {
    const z0 = zValues(rng, rows * ld);
    const b = rng.fillNormal(new Float64Array(cols));
    for (const act of ACTS) {
      for (const [name, core] of Object.entries(cores)) {
        for (const scalar of [false, true]) {
          const ws = new Workspace(core);
          try {
            const pB = put(ws, b, 'b');
            const Z = ws.from(z0, 'Z');
            const A = ws.f64(rows * ld, 'A');
            const k = scalar ? nn(core).nnBiasActivationScalar : nn(core).nnBiasActivation;
            assert.is(k(ACTIVATION_CODES[act], rows, cols, pB, Z.ptr, ld, A.ptr, ld), 0);
            const z = Z.view();
            const a = A.view();
            for (let i = 0; i < rows; i++) {
              for (let j = 0; j < ld; j++) {
                const t = i * ld + j;
                if (j >= cols) {
                  // Columns past the block are left alone.
                  assert.is(Object.is(z[t], z0[t]), true);
                  assert.is(a[t], 0);
                  continue;
                }
                assert.is(z[t], z0[t] + b[j]);
                const want = actRef(act, z[t]);
                const err = ulpDiff(a[t], want);
                if (act === 'identity' || act === 'relu') assert.is(a[t], want, `${name} ${act} (${i},${j})`);
                else if (!(err <= 4 || Math.abs(a[t] - want) < 1e-300)) assert.unreachable(`${name}${scalar ? ' scalar' : ''} ${act}(${z[t]}) = ${a[t]}, want ${want} (${err} ulp)`);
              }
            }
          } finally {
            ws.dispose();
          }
        }
      }
    }
  }
});

test('the activation backward kernel writes dA ∘ φ′(Z) and adds the column sums to db, in place or not, with or without db', () => {
  const rng = new Rng(2);
  for (const [rows, cols, ld] of [[1, 1, 1], [6, 9, 9], [7, 17, 20]]) {
    const z = zValues(rng, rows * ld);
    const dA = rng.fillNormal(new Float64Array(rows * ld));
    const db0 = rng.fillNormal(new Float64Array(cols));
    for (const act of ACTS) {
      for (const [name, core] of Object.entries(cores)) {
        for (const scalar of [false, true]) {
          for (const inPlace of [false, true]) {
            const ws = new Workspace(core);
            try {
              const pZ = put(ws, z, 'Z');
              const DA = ws.from(dA, 'dA');
              const DZ = inPlace ? DA : ws.f64(rows * ld, 'dZ');
              const DB = ws.from(db0, 'db');
              const k = scalar ? nn(core).nnActivationBackwardScalar : nn(core).nnActivationBackward;
              assert.is(k(ACTIVATION_CODES[act], rows, cols, pZ, ld, DA.ptr, ld, DZ.ptr, ld, inPlace ? 0 : DB.ptr), 0);
              const dz = DZ.view();
              const db = DB.view();
              for (let j = 0; j < cols; j++) {
                let s = 0;
                for (let i = 0; i < rows; i++) {
                  const t = i * ld + j;
                  const want = dA[t] * dActRef(act, z[t]);
                  s += dz[t];
                  const err = ulpDiff(dz[t], want);
                  if (act === 'identity' || act === 'relu') assert.is(dz[t], want);
                  else if (!(err <= 6 || Math.abs(dz[t] - want) < 1e-300)) assert.unreachable(`${name}${scalar ? ' scalar' : ''} ${act}' at z = ${z[t]}: ${dz[t]} vs ${want} (${err} ulp)`);
                }
                // Rows are added in order in both twins, so the sum is exactly this loop's.
                assert.is(db[j], inPlace ? db0[j] : db0[j] + s, `${name} ${act} db[${j}]`);
              }
            } finally {
              ws.dispose();
            }
          }
        }
      }
    }
  }
});

test('SIMD kernels agree with their scalar twins: identity and ReLU bit for bit, softplus and sigmoid within 4 ulp (derivatives 6), column sums bit for bit', () => {
  const rng = new Rng(3);
  const rows = 13;
  const cols = 37;
  const z0 = zValues(rng, rows * cols);
  const dA = rng.fillNormal(new Float64Array(rows * cols));
  const b = rng.fillNormal(new Float64Array(cols));
  for (const [name, core] of Object.entries(cores)) {
    const ws = new Workspace(core);
    try {
      const pB = put(ws, b, 'b');
      for (const act of ACTS) {
        const out: Float64Array[][] = [];
        for (const scalar of [false, true]) {
          const Z = ws.from(z0, 'Z');
          const A = ws.f64(rows * cols, 'A');
          const DZ = ws.f64(rows * cols, 'dZ');
          const DB = ws.f64(cols, 'db');
          const e = nn(core);
          (scalar ? e.nnBiasActivationScalar : e.nnBiasActivation)(ACTIVATION_CODES[act], rows, cols, pB, Z.ptr, cols, A.ptr, cols);
          (scalar ? e.nnActivationBackwardScalar : e.nnActivationBackward)(ACTIVATION_CODES[act], rows, cols, Z.ptr, cols, put(ws, dA, 'dA'), cols, DZ.ptr, cols, DB.ptr);
          out.push([A.view().slice(), DZ.view().slice(), DB.view().slice()]);
        }
        const [v, s] = out;
        for (let t = 0; t < rows * cols; t++) {
          if (act === 'identity' || act === 'relu') {
            assert.is(v[0][t], s[0][t]);
            assert.is(v[1][t], s[1][t]);
          } else {
            assert.ok(ulpDiff(v[0][t], s[0][t]) <= 4 || Math.abs(v[0][t] - s[0][t]) < 1e-300, `${name} ${act} A[${t}]`);
            assert.ok(ulpDiff(v[1][t], s[1][t]) <= 6 || Math.abs(v[1][t] - s[1][t]) < 1e-300, `${name} ${act} dZ[${t}]`);
          }
        }
        if (act === 'identity' || act === 'relu') for (let j = 0; j < cols; j++) assert.is(v[2][j], s[2][j]);
      }
      // Column sums of identical inputs: bit for bit, whatever the strip a column falls in.
      const X = rng.fillNormal(new Float64Array(rows * cols));
      const pX = put(ws, X, 'X');
      const o1 = ws.f64(cols, 'sums');
      const o2 = ws.f64(cols, 'sums');
      nn(core).nnColumnSums(rows, cols, pX, cols, o1.ptr);
      nn(core).nnColumnSumsScalar(rows, cols, pX, cols, o2.ptr);
      for (let j = 0; j < cols; j++) assert.is(o1.view()[j], o2.view()[j], `${name} column ${j}`);
    } finally {
      ws.dispose();
    }
  }
});

test('column sums add every row of a block to the accumulators, and a column does not depend on the width of the block around it', () => {
  const rng = new Rng(4);
  const rows = 9;
  const ld = 21;
  const X = rng.fillNormal(new Float64Array(rows * ld));
  for (const core of Object.values(cores)) {
    const ws = new Workspace(core);
    try {
      const pX = put(ws, X, 'X');
      const full = ws.from(new Float64Array(ld).fill(1), 'sums');
      nn(core).nnColumnSums(rows, ld, pX, ld, full.ptr);
      for (let j = 0; j < ld; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += X[i * ld + j];
        assert.is(full.view()[j], 1 + s);
      }
      for (const [j0, w] of [[3, 1], [1, 2], [5, 9], [0, 17]]) {
        const part = ws.from(new Float64Array(w).fill(1), 'part');
        nn(core).nnColumnSums(rows, w, pX + 8 * j0, ld, part.ptr);
        for (let j = 0; j < w; j++) assert.is(part.view()[j], full.view()[j0 + j]);
      }
      // Zero rows or columns leave the accumulators alone.
      nn(core).nnColumnSums(0, ld, pX, ld, full.ptr);
      assert.is(full.view()[0], 1 + X.filter((_, t) => t % ld === 0).reduce((a, v) => a + v, 0));
    } finally {
      ws.dispose();
    }
  }
});

test('an unknown activation code returns −1 and writes nothing', () => {
  const core = cores.baseline;
  const ws = new Workspace(core);
  try {
    const Z = ws.from(Float64Array.of(1, -2), 'Z');
    const A = ws.f64(2, 'A');
    const b = ws.from(Float64Array.of(5, 5), 'b');
    for (const code of [-1, 4, 99]) {
      for (const k of [nn(core).nnBiasActivation, nn(core).nnBiasActivationScalar]) assert.is(k(code, 1, 2, b.ptr, Z.ptr, 2, A.ptr, 2), -1);
      for (const k of [nn(core).nnActivationBackward, nn(core).nnActivationBackwardScalar]) assert.is(k(code, 1, 2, Z.ptr, 2, A.ptr, 2, A.ptr, 2, b.ptr), -1);
    }
    assert.equal(Array.from(Z.view()), [1, -2]);
    assert.equal(Array.from(A.view()), [0, 0]);
    assert.equal(Array.from(b.view()), [5, 5]);
  } finally {
    ws.dispose();
  }
});

// ---- the Mlp ---------------------------------------------------------------------------------

function fromCase(c: typeof FIX.cases[number], core: Core, scalar: boolean, batchRows?: number): Mlp {
  const mlp = new Mlp({ inputDim: c.inputDim, hidden: c.hidden, hiddenActivation: c.hiddenActivation, heads: c.heads, core, scalar, batchRows });
  mlp.setParams(Float64Array.from(c.params));
  return mlp;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Elements agree to `tol` relative to the array's largest magnitude. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): number {
  assert.is(got.length, want.length, `${what}: length`);
  const scale = Math.max(maxAbs(want), 1e-300);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / scale;
    worst = Math.max(worst, e);
    if (!(e <= tol)) assert.unreachable(`${what}[${i}]: ${got[i]} vs ${want[i]} (${e.toExponential(2)} of the scale ${scale.toExponential(2)})`);
  }
  return worst;
}

test('Mlp forward output, parameter gradient and input gradient agree with PyTorch autograd, on every binary and the scalar twins, with one block or several', () => {
  let worst = 0;
  for (const c of FIX.cases) {
    for (const [name, core] of Object.entries(cores)) {
      for (const scalar of [false, true]) {
        const mlp = fromCase(c, core, scalar);
        try {
          const what = `${c.name} on ${name}${scalar ? ' scalar' : ''}`;
          const X = Float64Array.from(c.X);
          const out = mlp.forward(X, c.rows);
          worst = Math.max(worst, close(out, c.out, 1e-13, `${what}: output`));
          mlp.zeroGrad();
          const dX = new Float64Array(X.length);
          mlp.backward(Float64Array.from(c.dOut), dX);
          worst = Math.max(worst, close(mlp.grad, c.grad, 1e-13, `${what}: grad`));
          worst = Math.max(worst, close(dX, c.dX, 1e-13, `${what}: dX`));
        } finally {
          mlp.dispose();
        }
      }
    }
    // Blocks of 4 rows through predict give the same output as one block.
    const small = fromCase(c, cores.baseline, false, 4);
    try {
      close(small.predict(Float64Array.from(c.X)), c.out, 1e-12, `${c.name}: predict in blocks of 4`);
    } finally {
      small.dispose();
    }
  }
  console.log(`  Mlp vs torch: worst error ${worst.toExponential(2)} of the array scale`);
});

const SPECS: MlpOptions[] = [];
for (const hiddenActivation of ACTS) {
  SPECS.push({
    inputDim: 3,
    hidden: [4, 3],
    hiddenActivation,
    heads: ACTS.map((a, i) => ({ name: `h${i}`, size: 1 + (i % 2), activation: a })),
  });
}
SPECS.push({ inputDim: 2, heads: [{ name: 'y', size: 3, activation: 'softplus' }] });

test('Mlp forward and backward agree with a plain-TS MLP on random inputs for every hidden and head activation', () => {
  const rng = new Rng(5);
  for (const spec of SPECS) {
    for (const rows of [1, 7, 33]) {
      for (const [name, core] of Object.entries(cores)) {
        const mlp = new Mlp({ ...spec, core, seed: 3 + rows });
        try {
          // Biases off zero so that every unit is exercised.
          const params = mlp.getParams();
          for (let i = 0; i < params.length; i++) params[i] += 0.3 * rng.normal();
          mlp.setParams(params);
          const X = rng.fillNormal(new Float64Array(rows * spec.inputDim));
          const dOut = rng.fillNormal(new Float64Array(rows * mlp.outputDim));
          const out = mlp.forward(X);
          const dX = new Float64Array(X.length);
          mlp.zeroGrad();
          mlp.backward(dOut, dX);
          const ref = mlpForwardRef(mlp, params, X, rows);
          const back = mlpBackwardRef(mlp, params, X, rows, ref, dOut);
          const what = `${spec.hiddenActivation} hidden, ${rows} rows, ${name}`;
          close(out, ref.A[ref.A.length - 1], 1e-13, `${what}: output`);
          close(mlp.grad, back.grad, 1e-13, `${what}: grad`);
          close(dX, back.dX, 1e-13, `${what}: dX`);
        } finally {
          mlp.dispose();
        }
      }
    }
  }
});

/** Σ dOut ∘ f(params, X): the scalar whose gradient backward computes. */
function probe(mlp: Mlp, X: Float64Array, dOut: Float64Array): number {
  const out = mlp.forward(X);
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * dOut[i];
  return s;
}

/** Smallest |Z| over the hidden ReLU layers (and ReLU head columns) of a forward pass. */
function kinkMargin(mlp: Mlp, params: Float64Array, X: Float64Array, rows: number): number {
  const ref = mlpForwardRef(mlp, params, X, rows);
  let m = Infinity;
  const L = mlp.layers.length;
  for (let l = 0; l < L; l++) {
    const fo = mlp.layers[l].fanOut;
    for (let t = 0; t < ref.Z[l].length; t++) {
      const j = t % fo;
      const relu = l < L - 1 ? mlp.hiddenActivation === 'relu' : mlp.heads.some((h) => h.activation === 'relu' && j >= h.offset && j < h.offset + h.size);
      if (relu) m = Math.min(m, Math.abs(ref.Z[l][t]));
    }
  }
  return m;
}

test('every parameter and input gradient matches a central difference, coordinate by coordinate, for every activation (tiny sizes)', () => {
  let worst = 0;
  let checked = 0;
  for (const spec of SPECS) {
    for (const [name, core] of Object.entries(cores)) {
      const rows = 3;
      const mlp = new Mlp({ ...spec, core, seed: 11 });
      try {
        // Redraw until no ReLU pre-activation is within 1e-3 of the kink, where φ′ jumps.
        const rng = new Rng(17);
        let params: Float64Array, X: Float64Array;
        do {
          params = mlp.getParams();
          for (let i = 0; i < params.length; i++) params[i] += 0.3 * rng.normal();
          X = rng.fillNormal(new Float64Array(rows * spec.inputDim));
        } while (kinkMargin(mlp, params, X, rows) < 1e-3);
        mlp.setParams(params);
        const dOut = rng.fillNormal(new Float64Array(rows * mlp.outputDim));
        probe(mlp, X, dOut);
        mlp.zeroGrad();
        const dX = new Float64Array(X.length);
        mlp.backward(dOut, dX);
        const grad = mlp.grad.slice();
        const fd = (v: Float64Array, k: number, set: () => void): number => {
          const t0 = v[k];
          const h = 1e-6 * Math.max(1, Math.abs(t0));
          v[k] = t0 + h;
          set();
          const fp = probe(mlp, X, dOut);
          v[k] = t0 - h;
          set();
          const fm = probe(mlp, X, dOut);
          v[k] = t0;
          set();
          return (fp - fm) / (2 * h);
        };
        for (let k = 0; k < params.length; k++) {
          const d = fd(params, k, () => mlp.setParams(params));
          const e = Math.abs(d - grad[k]) / Math.max(1, Math.abs(grad[k]));
          worst = Math.max(worst, e);
          checked++;
          if (!(e <= 1e-8)) assert.unreachable(`${spec.hiddenActivation} ${name}: ∂/∂θ[${k}] = ${grad[k]}, central difference ${d}`);
        }
        for (let k = 0; k < X.length; k++) {
          const d = fd(X, k, () => {});
          const e = Math.abs(d - dX[k]) / Math.max(1, Math.abs(dX[k]));
          worst = Math.max(worst, e);
          checked++;
          if (!(e <= 1e-8)) assert.unreachable(`${spec.hiddenActivation} ${name}: ∂/∂X[${k}] = ${dX[k]}, central difference ${d}`);
        }
      } finally {
        mlp.dispose();
      }
    }
  }
  console.log(`  per-coordinate differences: ${checked} checked, worst ${worst.toExponential(2)}`);
});

test('gradients match central differences along random directions, at moderate sizes and with saturated softplus and sigmoid units', () => {
  let worst = 0;
  const cases: { spec: MlpOptions; wScale: number }[] = [
    { spec: { inputDim: 20, hidden: [16, 9], heads: [{ name: 'M', size: 5, activation: 'identity' }, { name: 'S', size: 5, activation: 'softplus' }] }, wScale: 1 },
    { spec: { inputDim: 6, hidden: [8], hiddenActivation: 'sigmoid', heads: [{ name: 'S', size: 3, activation: 'softplus' }, { name: 'p', size: 3, activation: 'sigmoid' }] }, wScale: 8 },
    { spec: { inputDim: 6, hidden: [7], hiddenActivation: 'softplus', heads: [{ name: 'y', size: 4, activation: 'identity' }] }, wScale: 8 },
  ];
  const rng = new Rng(23);
  for (const { spec, wScale } of cases) {
    const rows = 17;
    const mlp = new Mlp({ ...spec, seed: 2 });
    try {
      let params: Float64Array, X: Float64Array;
      do {
        params = mlp.getParams().map((v) => v * wScale + 0.2 * rng.normal());
        X = rng.fillNormal(new Float64Array(rows * spec.inputDim));
      } while (kinkMargin(mlp, params, X, rows) < 1e-3);
      mlp.setParams(params);
      const dOut = rng.fillNormal(new Float64Array(rows * mlp.outputDim));
      probe(mlp, X, dOut);
      mlp.zeroGrad();
      const dX = new Float64Array(X.length);
      mlp.backward(dOut, dX);
      const grad = mlp.grad.slice();
      for (let r = 0; r < 5; r++) {
        const u = rng.fillNormal(new Float64Array(params.length));
        const v = rng.fillNormal(new Float64Array(X.length));
        let want = 0;
        for (let i = 0; i < u.length; i++) want += u[i] * grad[i];
        for (let i = 0; i < v.length; i++) want += v[i] * dX[i];
        const h = 1e-6;
        const at = (s: number) => {
          mlp.setParams(params.map((p, i) => p + s * u[i]));
          return probe(mlp, X.map((x, i) => x + s * v[i]), dOut);
        };
        const d = (at(h) - at(-h)) / (2 * h);
        const e = Math.abs(d - want) / Math.max(1, Math.abs(want));
        worst = Math.max(worst, e);
        assert.ok(e <= 1e-8, `${spec.hiddenActivation ?? 'relu'} ×${wScale}: directional derivative ${want} vs central difference ${d}`);
      }
    } finally {
      mlp.dispose();
    }
  }
  console.log(`  directional differences: worst ${worst.toExponential(2)}`);
});

test('backward adds to grad until zeroGrad, and vjp writes the same gradient as a fresh backward', () => {
  const c = FIX.cases[0];
  const mlp = fromCase(c, cores.baseline, false);
  try {
    const X = Float64Array.from(c.X);
    const dOut = Float64Array.from(c.dOut);
    mlp.forward(X);
    mlp.zeroGrad();
    mlp.backward(dOut);
    const once = mlp.grad.slice();
    mlp.backward(dOut);
    for (let i = 0; i < once.length; i++) assert.is(mlp.grad[i], 2 * once[i]);
    const g = new Float64Array(mlp.paramCount).fill(NaN);
    const dX = new Float64Array(X.length);
    mlp.apply(Float64Array.from(c.params), X);
    mlp.vjp(dOut, g, dX);
    assert.equal(Array.from(g), Array.from(once));
    close(dX, c.dX, 1e-12, 'vjp dX');
  } finally {
    mlp.dispose();
  }
});

test('forwardAt and backwardAt on caller memory with leading dimensions wider than the data give the same results as forward and backward', () => {
  const c = FIX.cases[2];
  for (const core of Object.values(cores)) {
    const mlp = fromCase(c, core, false);
    const ws = new Workspace(core);
    try {
      const p = c.inputDim;
      const m = mlp.outputDim;
      const ldx = p + 3;
      const ldo = m + 2;
      const Xp = new Float64Array(c.rows * ldx).fill(NaN);
      const Dp = new Float64Array(c.rows * ldo).fill(NaN);
      for (let i = 0; i < c.rows; i++) {
        for (let j = 0; j < p; j++) Xp[i * ldx + j] = c.X[i * p + j];
        for (let j = 0; j < m; j++) Dp[i * ldo + j] = c.dOut[i * m + j];
      }
      const pX = put(ws, Xp, 'X');
      const pD = put(ws, Dp, 'dOut');
      const dX = ws.from(new Float64Array(c.rows * ldx).fill(7), 'dX');
      mlp.forwardAt(pX, ldx, c.rows);
      close(mlp.outputBuffer.view().subarray(0, c.rows * m), c.out, 1e-12, 'forwardAt output');
      mlp.zeroGrad();
      mlp.backwardAt(pD, ldo, dX.ptr, ldx);
      close(mlp.grad, c.grad, 1e-12, 'backwardAt grad');
      const got = dX.view();
      for (let i = 0; i < c.rows; i++) {
        for (let j = 0; j < ldx; j++) {
          if (j < p) assert.ok(Math.abs(got[i * ldx + j] - c.dX[i * p + j]) <= 1e-12 * maxAbs(c.dX));
          else assert.is(got[i * ldx + j], 7, 'padding of dX is left alone');
        }
      }
    } finally {
      ws.dispose();
      mlp.dispose();
    }
  }
});

test('outputs do not depend on the block of rows: predict in blocks of 1, 5 and 64 rows and forward on all rows agree bit for bit', () => {
  const rng = new Rng(29);
  const spec = SPECS[0];
  const X = rng.fillNormal(new Float64Array(150 * spec.inputDim));
  const outs: Float64Array[] = [];
  for (const batchRows of [1, 5, 64]) {
    const mlp = new Mlp({ ...spec, batchRows, seed: 9 });
    try {
      outs.push(mlp.predict(X));
      assert.is(mlp.batchRows, batchRows);
      if (batchRows === 64) {
        outs.push(mlp.forward(X));
        assert.is(mlp.batchRows, 150, 'forward grows the buffers');
      }
    } finally {
      mlp.dispose();
    }
  }
  for (const o of outs.slice(1)) assert.equal(Array.from(o), Array.from(outs[0]));
});

test('initial weights: the same seed gives the same bits, another seed differs; He scale before ReLU, Glorot scale elsewhere, zero or given biases', () => {
  const spec: MlpOptions = {
    inputDim: 200, hidden: [300], heads: [{ name: 'M', size: 100, activation: 'identity' }, { name: 'S', size: 100, activation: 'softplus', bias: -1.5 }],
  };
  const a = new Mlp({ ...spec, seed: 42 });
  const b = new Mlp({ ...spec, seed: 42 });
  const c = new Mlp({ ...spec, seed: 43 });
  try {
    assert.equal(Array.from(a.params), Array.from(b.params));
    assert.not.equal(Array.from(a.params.subarray(0, 10)), Array.from(c.params.subarray(0, 10)));
    const sd = (l: number) => {
      const { fanIn, fanOut, weights } = a.layers[l];
      let s = 0;
      for (let i = 0; i < fanIn * fanOut; i++) s += a.params[weights + i] ** 2;
      return Math.sqrt(s / (fanIn * fanOut));
    };
    assert.ok(Math.abs(sd(0) / Math.sqrt(2 / 200) - 1) < 0.01, `He: ${sd(0)}`);
    assert.ok(Math.abs(sd(1) / Math.sqrt(2 / 500) - 1) < 0.01, `Glorot: ${sd(1)}`);
    const L0 = a.layers[0];
    const L1 = a.layers[1];
    assert.ok(a.params.subarray(L0.bias, L0.bias + 300).every((v) => v === 0));
    assert.ok(a.params.subarray(L1.bias, L1.bias + 100).every((v) => v === 0));
    assert.ok(a.params.subarray(L1.bias + 100, L1.bias + 200).every((v) => v === -1.5));
    assert.is(a.paramCount, 200 * 300 + 300 + 300 * 200 + 200);
    assert.equal(a.head('S'), { name: 'S', size: 100, activation: 'softplus', offset: 100 });
  } finally {
    a.dispose();
    b.dispose();
    c.dispose();
  }
});

test('toJSON and fromJSON round-trip the architecture and every parameter bit for bit, through JSON text', () => {
  const c = FIX.cases[2];
  const a = fromCase(c, cores.baseline, false);
  try {
    const text = JSON.stringify(a);
    const b = Mlp.fromJSON(JSON.parse(text), { core: cores.baseline });
    try {
      assert.equal(b.toJSON(), a.toJSON());
      assert.equal(b.hidden, a.hidden);
      assert.is(b.hiddenActivation, 'softplus');
      const X = Float64Array.from(c.X);
      assert.equal(Array.from(b.forward(X)), Array.from(a.forward(X)));
    } finally {
      b.dispose();
    }
  } finally {
    a.dispose();
  }
});

test('fitRegression learns a smooth two-head function (M identity, S softplus) from noise-free samples', () => {
  const rng = new Rng(31);
  const n = 2000;
  const p = 3;
  const q = 2;
  const X = new Float64Array(n * p);
  const T = new Float64Array(n * 2 * q);
  const f = (x: Float64Array, i: number, out: Float64Array, o: number) => {
    const [a, b, c] = [x[i * p], x[i * p + 1], x[i * p + 2]];
    out[o] = Math.sin(2 * a) + b * c;
    out[o + 1] = a - 0.5 * b * b;
    out[o + 2] = Math.exp(0.5 * c - 1);
    out[o + 3] = 0.2 + 0.3 * a * a;
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) X[i * p + j] = 2 * rng.uniform() - 1;
    f(X, i, T, i * 2 * q);
  }
  let variance = 0;
  const mean = new Float64Array(2 * q);
  for (let i = 0; i < n; i++) for (let j = 0; j < 2 * q; j++) mean[j] += T[i * 2 * q + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < 2 * q; j++) variance += (T[i * 2 * q + j] - mean[j]) ** 2 / (n * 2 * q);
  const mlp = new Mlp({
    inputDim: p, hidden: [32, 32], seed: 1,
    heads: [{ name: 'M', size: q, activation: 'identity' }, { name: 'S', size: q, activation: 'softplus' }],
  });
  try {
    let calls = 0;
    const t0 = performance.now();
    const r = fitRegression(mlp, X, T, { epochs: 150, batchSize: 64, learningRate: 1e-2, seed: 7, onProgress: () => calls++ });
    const ms = performance.now() - t0;
    assert.is(r.history.length, r.epochs);
    assert.is(calls, r.epochs);
    // The reported loss is the MSE of the returned parameters, recomputed here from predict.
    const out = mlp.predict(X);
    let mse = 0;
    for (let t = 0; t < T.length; t++) mse += (out[t] - T[t]) ** 2 / T.length;
    assert.ok(Math.abs(mse - r.loss) <= 1e-12 * mse, `loss ${r.loss} vs recomputed ${mse}`);
    assert.ok(r.history[r.history.length - 1] < r.history[0] / 50, 'the loss falls by 50×');
    assert.ok(mse < 1e-3 * variance, `MSE ${mse} vs target variance ${variance}`);
    // Away from the training points too.
    const Xt = new Float64Array(200 * p).map(() => 2 * rng.uniform() - 1);
    const Tt = new Float64Array(200 * 2 * q);
    for (let i = 0; i < 200; i++) f(Xt, i, Tt, i * 2 * q);
    const ot = mlp.predict(Xt);
    let mseTest = 0;
    for (let t = 0; t < Tt.length; t++) mseTest += (ot[t] - Tt[t]) ** 2 / Tt.length;
    assert.ok(mseTest < 2e-3 * variance, `test MSE ${mseTest}`);
    console.log(`  fitRegression: ${r.epochs} epochs (${r.reason}) in ${ms.toFixed(0)} ms; loss ${r.history[0].toExponential(2)} → ${r.loss.toExponential(2)} (target variance ${variance.toExponential(2)}), held-out MSE ${mseTest.toExponential(2)}`);
  } finally {
    mlp.dispose();
  }
});

test('fitRegression is deterministic under a seed, and row weights of zero silence corrupted rows', () => {
  const rng = new Rng(37);
  const n = 300;
  const X = new Float64Array(n * 2).map(() => rng.normal());
  const T = new Float64Array(n);
  for (let i = 0; i < n; i++) T[i] = Math.tanh(X[2 * i]) + 0.5 * X[2 * i + 1];
  const spec: MlpOptions = { inputDim: 2, hidden: [8], heads: [{ name: 'y', size: 1, activation: 'identity' }], seed: 4 };
  const runs = [0, 1].map(() => {
    const m = new Mlp(spec);
    try {
      const r = fitRegression(m, X, T, { epochs: 20, batchSize: 32, learningRate: 1e-2, seed: 5 });
      return { r, params: m.getParams() };
    } finally {
      m.dispose();
    }
  });
  assert.equal(Array.from(runs[0].params), Array.from(runs[1].params));
  assert.equal(Array.from(runs[0].r.history), Array.from(runs[1].r.history));
  // A different shuffling seed takes a different path.
  const m3 = new Mlp(spec);
  try {
    fitRegression(m3, X, T, { epochs: 20, batchSize: 32, learningRate: 1e-2, seed: 6 });
    assert.not.equal(Array.from(m3.getParams()), Array.from(runs[0].params));
  } finally {
    m3.dispose();
  }
  // Corrupt a third of the targets and give those rows weight 0.
  const Tc = T.slice();
  const w = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i += 3) {
    Tc[i] = 1e3;
    w[i] = 0;
  }
  const m4 = new Mlp(spec);
  try {
    const r = fitRegression(m4, X, Tc, { epochs: 60, batchSize: 32, learningRate: 1e-2, weights: w });
    const out = m4.predict(X);
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      num += w[i] * (out[i] - Tc[i]) ** 2;
      den += w[i];
    }
    assert.ok(Math.abs(r.loss - num / den) <= 1e-12 * r.loss, 'the loss is the weighted MSE');
    assert.ok(num / den < 0.02, `weighted MSE ${num / den}`);
  } finally {
    m4.dispose();
  }
});

test('fitRegression stops when the signal is aborted and reports the reason', () => {
  const mlp = new Mlp({ inputDim: 1, heads: [{ name: 'y', size: 1, activation: 'identity' }] });
  try {
    const ac = new AbortController();
    const X = Float64Array.of(0, 1, 2, 3);
    const r = fitRegression(mlp, X, Float64Array.of(1, 3, 5, 7), {
      epochs: 1000, batchSize: 2, signal: ac.signal, onProgress: (info) => info.iteration === 3 && ac.abort(),
    });
    assert.is(r.reason, 'aborted');
    assert.is(r.epochs, 3);
    assert.is(r.converged, false);
  } finally {
    mlp.dispose();
  }
});

test('the Mlp frees its WebAssembly memory on dispose, and any later use is a typed error', () => {
  const core = cores.baseline;
  const before = core.heap.allocatedBytes;
  const mlp = new Mlp({ inputDim: 10, hidden: [20], heads: [{ name: 'y', size: 3, activation: 'identity' }], core, batchRows: 50 });
  assert.ok(core.heap.allocatedBytes > before);
  mlp.forward(new Float64Array(10 * 80));
  mlp.dispose();
  mlp.dispose();
  assert.is(core.heap.allocatedBytes, before);
  assert.throws(() => mlp.params, (e: unknown) => e instanceof ArgumentValueError);
  assert.throws(() => mlp.forward(new Float64Array(10)), (e: unknown) => e instanceof ArgumentValueError);
});

test('bad shapes and options give typed errors that name the argument', () => {
  const heads = [{ name: 'y', size: 2, activation: 'identity' as const }];
  const expect = (fn: () => unknown, type: Function, argument: string) => {
    try {
      fn();
    } catch (e) {
      assert.instance(e, type, `${argument}: ${(e as Error).message}`);
      assert.is((e as { argument?: string }).argument, argument, (e as Error).message);
      return;
    }
    assert.unreachable(`no error for ${argument}`);
  };
  expect(() => new Mlp({ inputDim: 0, heads }), ArgumentValueError, 'inputDim');
  expect(() => new Mlp({ inputDim: 2.5, heads }), ArgumentTypeError, 'inputDim');
  expect(() => new Mlp({ inputDim: 2, hidden: [3, 0], heads }), ArgumentValueError, 'hidden[1]');
  expect(() => new Mlp({ inputDim: 2, heads: [] }), ArgumentValueError, 'heads');
  expect(() => new Mlp({ inputDim: 2, heads: [...heads, ...heads] }), ArgumentValueError, 'heads[1].name');
  expect(() => new Mlp({ inputDim: 2, heads: [{ name: 'y', size: 2, activation: 'tanh' as Activation }] }), ArgumentValueError, 'heads[0].activation');
  expect(() => new Mlp({ inputDim: 2, hiddenActivation: 'elu' as Activation, heads }), ArgumentValueError, 'hiddenActivation');
  expect(() => new Mlp({ inputDim: 2, heads, seed: -1 }), ArgumentValueError, 'seed');
  const mlp = new Mlp({ inputDim: 2, hidden: [3], heads, batchRows: 4 });
  try {
    expect(() => mlp.backward(new Float64Array(2)), ArgumentValueError, 'mlp');
    expect(() => mlp.forward(new Float64Array(5)), ShapeError, 'X');
    expect(() => mlp.forward([1, 2] as unknown as Float64Array), ArgumentTypeError, 'X');
    expect(() => mlp.forward(new Float64Array(4), 3), ShapeError, 'X');
    expect(() => mlp.forward(new Float64Array(4), 2, new Float64Array(3)), ShapeError, 'out');
    mlp.forward(new Float64Array(4));
    expect(() => mlp.backward(new Float64Array(3)), ShapeError, 'dOut');
    expect(() => mlp.backward(new Float64Array(4), new Float64Array(3)), ShapeError, 'dX');
    expect(() => mlp.forwardAt(mlp.inputBuffer.ptr, 2, 5), ShapeError, 'rows');
    expect(() => mlp.forwardAt(mlp.inputBuffer.ptr, 1, 2), ShapeError, 'ldx');
    expect(() => mlp.backwardAt(mlp.dOutputBuffer.ptr, 1), ShapeError, 'lddo');
    expect(() => mlp.setParams(new Float64Array(3)), ShapeError, 'params');
    expect(() => mlp.vjp(new Float64Array(4), new Float64Array(3)), ShapeError, 'gradParams');
    expect(() => mlp.head('S'), ArgumentValueError, 'name');
    const json = mlp.toJSON();
    expect(() => Mlp.fromJSON({ ...json, kind: 'Vae' as 'Mlp' }), ArgumentValueError, 'json.kind');
    expect(() => Mlp.fromJSON({ ...json, version: 2 as 1 }), ArgumentValueError, 'json.version');
    expect(() => Mlp.fromJSON({ ...json, params: json.params.slice(1) }), ShapeError, 'json.params');
    expect(() => Mlp.fromJSON({ ...json, params: json.params.map((v, i) => (i === 4 ? NaN : v)) }), ArgumentValueError, 'json.params[4]');
    const X = new Float64Array(8);
    const T = new Float64Array(8);
    expect(() => fitRegression(mlp, X, new Float64Array(7)), ShapeError, 'T');
    expect(() => fitRegression(mlp, new Float64Array(7), T), ShapeError, 'X');
    expect(() => fitRegression(mlp, X.map((v, i) => (i === 3 ? NaN : v)), T), ArgumentValueError, 'X[3]');
    expect(() => fitRegression(mlp, X, T, { weights: Float64Array.of(1, -1, 1, 1) }), ArgumentValueError, 'options.weights[1]');
    expect(() => fitRegression(mlp, X, T, { weights: new Float64Array(4) }), ArgumentValueError, 'options.weights');
    expect(() => fitRegression(mlp, X, T, { weights: new Float64Array(3) }), ShapeError, 'options.weights');
    expect(() => fitRegression(mlp, X, T, { columnWeights: new Float64Array(3) }), ShapeError, 'options.columnWeights');
    expect(() => fitRegression(mlp, X, T, { batchSize: 0 }), ArgumentValueError, 'options.batchSize');
    expect(() => fitRegression(mlp, X, T, { learningRate: 0 }), ArgumentValueError, 'options.learningRate');
    expect(() => fitRegression(mlp, X, T, { epochs: 1.5 }), ArgumentTypeError, 'options.epochs');
  } finally {
    mlp.dispose();
  }
});

test.run();
