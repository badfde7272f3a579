/**
 * FRASER objective (src/models/fraser/objective.ts, assembly/betabinom.ts): values and gradients
 * against PyTorch autograd through committed fixtures (test/fixtures/gen_fraser.py), central
 * finite differences of every gradient (random directions and per coordinate, at the edges: k = 0,
 * k = n, n = 0, ρ = 1e-6 and 1 − 1e-6, |Y| ≈ 40, c = 0, 1 and 0.5), the ρ objective's first and
 * second derivatives, SIMD against scalar twins and binaries, a plain-TS implementation, the
 * decoder and ρ batch objectives against nllAndGradient, and the typed errors.
 *
 * Bounds (measured, with margin). Against mpmath (40 digits, problems with N·J ≤ 200): 1e-14
 * relative to the largest entry for integer c, also for the ρ objective's f (f', f'' 1e-13; ψ'
 * differences without cancellation); 1e-10 for c = 0.5, where the kernels difference full lnΓ/ψ/ψ'
 * values and lose digits at a = 1e6. Against torch: 1e-12 on the random problems, 1e-10 on the edge
 * problems and 1e-7 for the ρ derivatives, because torch's own float64 lnΓ/ψ differences cancel
 * at large a (mpmath confirms our values there). Finite differences (step 1e-5 · max(1, |θ|)) to
 * 1e-6 of the gradient's scale, 1e-5 for c = 0.5.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ArgumentTypeError, ArgumentValueError, ShapeError, betaBinomial, Rng, optim, type Core } from '../src/index.js';
import { FraserObjective, nllAndGradient, type NllAndGradientInput } from '../src/models/fraser/objective.js';
import { fraserPlain } from '../bench/fraser.cases.js';
import { loadCores } from './cores.js';

interface RhoRow { t: number[]; f: number[]; d1: number[]; d2: number[] }
interface Reference { nll: number; gradE: number[]; gradD: number[]; gradB: number[]; junctionLoss: number[]; rhoObjective: RhoRow[] }
interface Problem extends Reference {
  name: string; N: number; J: number; q: number; c: number;
  k: number[]; n: number[]; x: number[]; E: number[]; D: number[]; b: number[]; rho: number[];
  /** mpmath at 40 digits (small problems only). */
  mp?: Reference | null;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/fraser.json', import.meta.url), 'utf8')) as { problems: Problem[] };
const f64 = (a: number[]) => Float64Array.from(a);

let cores: Record<string, Core>;
test.before(async () => {
  cores = await loadCores();
});

function inputOf(p: Problem): NllAndGradientInput {
  return { k: f64(p.k), n: f64(p.n), x: f64(p.x), E: f64(p.E), D: f64(p.D), b: f64(p.b), rho: f64(p.rho), likelihoodPseudocount: p.c };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Largest |got − want| relative to max(|want|∞, floor). */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-300): number {
  const s = Math.max(maxAbs(want), floor);
  let e = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e / s;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, floor?: number): void {
  const e = relErr(got, want, floor);
  if (!(e <= tol)) assert.unreachable(`${what}: relative error ${e.toExponential(2)} > ${tol}`);
}

test('nllAndGradient matches mpmath at 40 digits and torch autograd on every fixture problem (edges, c = 0, 1, 0.5; random), on every binary and scalar twin', () => {
  for (const p of FIX.problems) {
    const refs: [string, Reference, number][] = [['torch', p, p.name.startsWith('edges') ? 1e-10 : 1e-12]];
    if (p.mp) refs.push(['mpmath', p.mp, Number.isInteger(p.c) ? 1e-14 : 1e-10]);
    for (const [name, core] of Object.entries(cores)) {
      for (const scalar of [false, true]) {
        const r = nllAndGradient({ ...inputOf(p), core, scalar });
        for (const [src, ref, tol] of refs) {
          const what = `${p.name} ${name}${scalar ? ' scalar' : ''} vs ${src}`;
          close([r.nll], [ref.nll], tol, `${what} nll`);
          close(r.gradE, ref.gradE, tol, `${what} gradE`);
          close(r.gradD, ref.gradD, tol, `${what} gradD`);
          close(r.gradB, ref.gradB, tol, `${what} gradB`);
        }
      }
    }
  }
});

function objectiveOf(p: Problem, opts: { core?: Core; scalar?: boolean; blockCells?: number; cacheMean?: boolean } = {}): FraserObjective {
  const o = new FraserObjective({ k: f64(p.k), n: f64(p.n), x: f64(p.x), junctions: p.J, latentDim: p.q, likelihoodPseudocount: p.c, ...opts });
  o.setEncoder(f64(p.E));
  o.setDecoder(f64(p.D), f64(p.b));
  o.setRho(f64(p.rho));
  return o;
}

test('the ρ objective and its first and second derivatives in logit ρ match mpmath and torch, including ρ = 1e-6 and 1 − 1e-6', () => {
  for (const p of FIX.problems) {
    const intC = Number.isInteger(p.c);
    for (const [name, core] of Object.entries(cores)) {
      for (const scalar of [false, true]) {
        const o = objectiveOf(p, { core, scalar });
        try {
          p.rhoObjective.forEach((row, ri) => {
            const J = p.J;
            const F = new Float64Array(J), D1 = new Float64Array(J), D2 = new Float64Array(J);
            o.rhoDerivatives(f64(row.t), F, D1, D2);
            const what = `${p.name} ${name}${scalar ? ' scalar' : ''} t=${row.t[0].toFixed(2)}…`;
            close(F, row.f, intC ? 1e-11 : 1e-10, `${what} f vs torch`);
            close(D1, row.d1, 1e-7, `${what} f' vs torch`, 1);
            close(D2, row.d2, 1e-7, `${what} f'' vs torch`, 1);
            const m = p.mp?.rhoObjective[ri];
            if (m) {
              const tol = intC ? 1e-14 : 1e-10;
              close(F, m.f, tol, `${what} f vs mpmath`);
              close(D1, m.d1, intC ? 1e-13 : 1e-9, `${what} f' vs mpmath`, 1);
              close(D2, m.d2, intC ? 1e-13 : 1e-9, `${what} f'' vs mpmath`, 1);
            }
            // Value only (what brentBatch uses; count differences without the fused ψ′ terms) agrees.
            const F2 = new Float64Array(J);
            o.rhoObjective()(f64(row.t), F2, Uint32Array.from({ length: J }, (_, j) => j), J);
            close(F2, F, 1e-14, `${what} f alone vs f with f′, f″`);
          });
        } finally {
          o.dispose();
        }
      }
    }
  }
});

test('per-junction truncated losses match mpmath and torch, and their mean over junctions is nll', () => {
  for (const p of FIX.problems) {
    const o = objectiveOf(p);
    try {
      const L = o.junctionLoss();
      close(L, p.junctionLoss, p.name.startsWith('edges') ? 1e-10 : 1e-12, `${p.name} junction loss vs torch`);
      if (p.mp) close(L, p.mp.junctionLoss, Number.isInteger(p.c) ? 1e-14 : 1e-10, `${p.name} junction loss vs mpmath`);
      const mean = L.reduce((s, v) => s + v, 0) / p.J;
      close([mean], [o.nll()], Number.isInteger(p.c) ? 1e-13 : 1e-11, `${p.name} mean junction loss vs nll`);
    } finally {
      o.dispose();
    }
  }
});

/** nll as a function of the flat parameter vector θ = [E, D, b]. */
function nllAt(p: Problem, theta: Float64Array, core?: Core): number {
  const JQ = p.J * p.q;
  return nllAndGradient({ ...inputOf(p), E: theta.slice(0, JQ), D: theta.slice(JQ, 2 * JQ), b: theta.slice(2 * JQ), core }).nll;
}

test('gradE, gradD and gradB agree with central finite differences per coordinate and along random directions at the edges (k = 0, k = n, n = 0, ρ near 0 and 1, |Y| ≈ 40; c = 0, 1, 0.5)', () => {
  const rng = new Rng(11);
  for (const p of FIX.problems.slice(0, 4)) {
    const r = nllAndGradient(inputOf(p));
    const theta = f64([...p.E, ...p.D, ...p.b]);
    const grad = f64([...r.gradE, ...r.gradD, ...r.gradB]);
    const scale = maxAbs(grad);
    const h = 1e-5;
    // c = 0.5 differences full lnΓ values (~1e-9 absolute at a = 1e6): the quotient is noisier.
    const tol = Number.isInteger(p.c) ? 1e-6 : 1e-5;
    const perCoordinate = p.N * p.J <= 40;
    if (perCoordinate) {
      for (let i = 0; i < theta.length; i++) {
        const tp = theta.slice(), tm = theta.slice();
        const hi = h * Math.max(1, Math.abs(theta[i]));
        tp[i] += hi;
        tm[i] -= hi;
        const fd = (nllAt(p, tp) - nllAt(p, tm)) / (2 * hi);
        if (!(Math.abs(fd - grad[i]) <= tol * scale)) assert.unreachable(`${p.name}: coordinate ${i}: fd ${fd} vs ${grad[i]}`);
      }
    }
    for (let rep = 0; rep < 4; rep++) {
      const dir = rng.fillNormal(new Float64Array(theta.length));
      const tp = theta.slice(), tm = theta.slice();
      for (let i = 0; i < theta.length; i++) {
        tp[i] += h * dir[i];
        tm[i] -= h * dir[i];
      }
      const fd = (nllAt(p, tp) - nllAt(p, tm)) / (2 * h);
      let an = 0;
      for (let i = 0; i < theta.length; i++) an += grad[i] * dir[i];
      const s = scale * Math.sqrt(theta.length);
      if (!(Math.abs(fd - an) <= tol * s)) assert.unreachable(`${p.name}: direction ${rep}: fd ${fd} vs ${an}`);
    }
  }
});

test('the ρ objective’s f′ and f″ agree with central finite differences of f and f′ across logit ρ ∈ [−29, 29] (c = 0, 1) and [−5, 4] (c = 0.5)', () => {
  for (const p of FIX.problems.slice(0, 4)) {
    const o = objectiveOf(p);
    try {
      const J = p.J;
      // With c = 0.5 lnΓ values are differenced (ulp(lnΓ(e^29)) ≈ 0.02): only moderate t there.
      const ts = Number.isInteger(p.c) ? [-29, -13.8, -5, -1, 0.3, 4, 13.8, 29] : [-5, -1, 0.3, 4];
      for (const t0 of ts) {
        const h = 1e-4;
        const at = (t: number) => {
          const F = new Float64Array(J), D1 = new Float64Array(J), D2 = new Float64Array(J);
          o.rhoDerivatives(new Float64Array(J).fill(t), F, D1, D2);
          return { F, D1, D2 };
        };
        const c = at(t0), hi = at(t0 + h), lo = at(t0 - h);
        for (let j = 0; j < J; j++) {
          const fd1 = (hi.F[j] - lo.F[j]) / (2 * h);
          const fd2 = (hi.D1[j] - lo.D1[j]) / (2 * h);
          const s1 = Math.max(1e-3, Math.abs(c.D1[j]), 1e-9 * Math.abs(c.F[j]) / h);
          if (!(Math.abs(fd1 - c.D1[j]) <= 1e-5 * s1)) assert.unreachable(`${p.name} t=${t0} junction ${j}: f' ${c.D1[j]} vs fd ${fd1}`);
          const s2 = Math.max(1e-3, Math.abs(c.D2[j]));
          if (!(Math.abs(fd2 - c.D2[j]) <= 1e-5 * s2)) assert.unreachable(`${p.name} t=${t0} junction ${j}: f'' ${c.D2[j]} vs fd ${fd2}`);
        }
      }
    } finally {
      o.dispose();
    }
  }
});

function randomProblem(rng: Rng, N: number, J: number, q: number, c: number, ySpread = 1): Problem {
  const n: number[] = [], k: number[] = [], x: number[] = [];
  const mu = Array.from({ length: J }, () => rng.uniform());
  const depth = Array.from({ length: J }, () => 1 + 60 * rng.uniform() ** 2);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < J; j++) {
      const nn = rng.uniform() < 0.05 ? 0 : rng.poisson(depth[j]);
      const kk = rng.binomial(nn, mu[j]);
      n.push(nn);
      k.push(kk);
      x.push(Math.log((kk + 0.1) / (nn - kk + 0.1)));
    }
  }
  const rnd = (m: number, s: number) => Array.from({ length: m }, () => s * rng.normal());
  return {
    name: `random ${N}×${J}, q = ${q}, c = ${c}`, N, J, q, c, k, n, x, E: rnd(J * q, 0.2), D: rnd(J * q, 0.2 * ySpread),
    b: rnd(J, ySpread), rho: Array.from({ length: J }, () => 10 ** (-4 + 3.5 * rng.uniform())),
    nll: 0, gradE: [], gradD: [], gradB: [], junctionLoss: [], rhoObjective: [],
  };
}

test('SIMD kernels agree with their scalar twins and across binaries on random problems with odd sizes, to 1e-13', () => {
  const rng = new Rng(5);
  for (const [N, J, q, c] of [[37, 23, 3, 0], [51, 8, 5, 1], [9, 31, 2, 0.5]]) {
    const p = randomProblem(rng, N, J, q, c, 3);
    const ref = nllAndGradient({ ...inputOf(p), core: cores.scalar });
    for (const [name, core] of Object.entries(cores)) {
      for (const scalar of [false, true]) {
        const r = nllAndGradient({ ...inputOf(p), core, scalar });
        const what = `${p.name} ${name}${scalar ? ' scalar' : ''}`;
        close([r.nll], [ref.nll], 1e-13, `${what} nll`);
        close(r.gradE, ref.gradE, 1e-13, `${what} gradE`);
        close(r.gradD, ref.gradD, 1e-13, `${what} gradD`);
        close(r.gradB, ref.gradB, 1e-13, `${what} gradB`);
        const o = objectiveOf(p, { core, scalar });
        const os = objectiveOf(p, { core: cores.scalar });
        try {
          const t = Float64Array.from({ length: J }, () => -8 + 12 * rng.uniform());
          const A = [new Float64Array(J), new Float64Array(J), new Float64Array(J)];
          const B = [new Float64Array(J), new Float64Array(J), new Float64Array(J)];
          o.rhoDerivatives(t, A[0], A[1], A[2]);
          os.rhoDerivatives(t, B[0], B[1], B[2]);
          close(A[0], B[0], 1e-13, `${what} rho f`);
          close(A[1], B[1], 1e-12, `${what} rho f'`, 1);
          close(A[2], B[2], 1e-10, `${what} rho f''`, 1);
        } finally {
          o.dispose();
          os.dispose();
        }
      }
    }
  }
});

test('ρ objective at the edges of its fused SIMD cells (saturated μ, counts 0 to 5000 around the head/tail switch at 24, logit ρ from −30 to 30) agrees per junction with the scalar twin', () => {
  // y = b (E = D = 0): μ from 1e-130 to 1 − 1e-130; heads (k ≤ 24) and tails (k > 24, α < 10 shifted).
  const bs = [-300, -40, -12, -3, 0, 0.5, 2, 8, 40, 300, -1, 5];
  const ns = [0, 1, 2, 3, 23, 24, 25, 26, 48, 60, 500, 5000, 7];
  const N = ns.length, J = bs.length;
  const rng = new Rng(11);
  const k: number[] = [], n: number[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < J; j++) {
      const nn = ns[(i + j) % N];
      const kk = j % 3 === 0 ? 0 : j % 3 === 1 ? nn : Math.floor(rng.uniform() * (nn + 1));
      n.push(nn);
      k.push(kk);
    }
  }
  for (const c of [0, 1]) {
    const p = {
      name: 'edges', N, J, q: 1, c, k, n, x: new Array(N * J).fill(0), E: new Array(J).fill(0), D: new Array(J).fill(0), b: bs,
      rho: new Array(J).fill(0.1), nll: 0, gradE: [], gradD: [], gradB: [], junctionLoss: [], rhoObjective: [],
    } as Problem;
    const os = objectiveOf(p, { core: cores.scalar });
    try {
      for (const [name, core] of Object.entries(cores)) {
        if (name === 'scalar') continue;
        const o = objectiveOf(p, { core });
        try {
          for (const t0 of [-30, -25, -13.8, -5, -0.7, 0, 2.3, 9, 20, 30]) {
            const t = new Float64Array(J).fill(t0);
            const A = [new Float64Array(J), new Float64Array(J), new Float64Array(J)];
            const B = [new Float64Array(J), new Float64Array(J), new Float64Array(J)];
            o.rhoDerivatives(t, A[0], A[1], A[2]);
            os.rhoDerivatives(t, B[0], B[1], B[2]);
            for (let j = 0; j < J; j++) {
              const what = `${name} c=${c} t=${t0} junction ${j} (b = ${bs[j]})`;
              // f, f′ = −a·f_a + 2e-4·t and f″ = a²·f_aa + a·f_a + 2e-4 sum terms of both signs, each
              // at most ~n_i (times ln n_i for f) in size: with μ saturated, or toward the binomial
              // limit (a → e^30), they cancel to the ridge's share, so rounding is measured
              // against Σ_i n_i.
              let reads = 0;
              for (let i = 0; i < N; i++) reads += n[i * J + j];
              for (const [d, tol] of [[0, 1e-13], [1, 1e-12], [2, 1e-11]] as const) {
                const a = A[d][j], b = B[d][j];
                assert.ok(Number.isFinite(a), `${what}: derivative ${d} is ${a}`);
                const scale = Math.max(Math.abs(b), reads);
                assert.ok(Math.abs(a - b) <= tol * scale, `${what}: derivative ${d} ${a} vs scalar ${b}`);
              }
            }
          }
        } finally {
          o.dispose();
        }
      }
    } finally {
      os.dispose();
    }
  }
});

test('the wasm objective matches a plain-TS implementation of the same maths on random inputs', () => {
  const rng = new Rng(9);
  for (const [N, J, q, c] of [[13, 7, 2, 0], [20, 11, 3, 1], [6, 5, 4, 0.25]]) {
    const p = randomProblem(rng, N, J, q, c, 2);
    const r = nllAndGradient(inputOf(p));
    const s = fraserPlain({ k: f64(p.k), n: f64(p.n), x: f64(p.x), E: f64(p.E), D: f64(p.D), b: f64(p.b), rho: f64(p.rho), N, J, q, c });
    close([r.nll], [s.nll], 1e-11, `${p.name} nll`);
    close(r.gradE, s.gradE, 1e-10, `${p.name} gradE`);
    close(r.gradD, s.gradD, 1e-10, `${p.name} gradD`);
    close(r.gradB, s.gradB, 1e-10, `${p.name} gradB`);
  }
});

test('results do not depend on the block size of the cell kernel', () => {
  const rng = new Rng(3);
  const p = randomProblem(rng, 19, 27, 3, 0);
  const ref = nllAndGradient(inputOf(p));
  for (const blockCells of [1, 19 * 2, 19 * 5 + 3, 1 << 20]) {
    const r = nllAndGradient({ ...inputOf(p), blockCells });
    close([r.nll], [ref.nll], 1e-14, `blockCells ${blockCells} nll`);
    close(r.gradE, ref.gradE, 1e-13, `blockCells ${blockCells} gradE`);
    close(r.gradD, ref.gradD, 1e-14, `blockCells ${blockCells} gradD`);
    close(r.gradB, ref.gradB, 1e-14, `blockCells ${blockCells} gradB`);
  }
});

test('the batched decoder objective of junction j is nllAndGradient restricted to j: F_j = (1/N)Σ_i ℓ_ij and its gradient is J·(∂b_j, ∂d_j), for any active subset', () => {
  const rng = new Rng(4);
  for (const blockCells of [1 << 16, 40]) {
    const p = randomProblem(rng, 23, 17, 3, 1, 2);
    const { N, J, q } = p;
    const dim = q + 1;
    const ref = nllAndGradient(inputOf(p));
    const o = objectiveOf(p, { blockCells });
    try {
      const X = o.decoderStart();
      const G = new Float64Array(J * dim).fill(NaN);
      const F = new Float64Array(J).fill(NaN);
      const active = Uint32Array.from([16, 3, 0, 9, 4, 11, 12, 1, 7]);
      o.decoderObjective()(X, G, F, active, active.length);
      for (const j of active) {
        close([G[j * dim]], [J * ref.gradB[j]], 1e-12, `junction ${j} ∂b`, 1e-3);
        close(G.subarray(j * dim + 1, (j + 1) * dim), ref.gradD.subarray(j * q, (j + 1) * q).map((v) => J * v), 1e-12, `junction ${j} ∂d`, 1e-3);
      }
      // Inactive rows are untouched.
      assert.ok(Number.isNaN(F[2]) && Number.isNaN(G[2 * dim]));
      const all = Uint32Array.from({ length: J }, (_, j) => j);
      o.decoderObjective()(X, G, F, all, J);
      close([F.reduce((s, v) => s + v, 0) / J], [ref.nll], 1e-13, 'mean of F');
      // Per-cell check of F_j by finite differences in b_j.
      const j = 5, h = 1e-6;
      const Xp = X.slice(), Xm = X.slice();
      Xp[j * dim] += h;
      Xm[j * dim] -= h;
      const Fp = new Float64Array(J), Fm = new Float64Array(J);
      o.decoderObjective()(Xp, new Float64Array(J * dim), Fp, Uint32Array.of(j), 1);
      o.decoderObjective()(Xm, new Float64Array(J * dim), Fm, Uint32Array.of(j), 1);
      close([(Fp[j] - Fm[j]) / (2 * h)], [G[j * dim]], 1e-6, 'decoder ∂b by finite differences', 1e-3);
      assert.is(N, 23);
    } finally {
      o.dispose();
    }
  }
});

test('Huber weights scale each cell’s loss and gradient in the decoder objective', () => {
  const rng = new Rng(8);
  const p = randomProblem(rng, 15, 6, 2, 0, 1);
  const { N, J, q } = p;
  const o = objectiveOf(p);
  try {
    const X = o.decoderStart();
    const all = Uint32Array.from({ length: J }, (_, j) => j);
    const F1 = new Float64Array(J), G1 = new Float64Array(J * (q + 1));
    o.decoderObjective()(X, G1, F1, all, J);
    o.setWeights(new Float64Array(N * J).fill(0.5));
    const F2 = new Float64Array(J), G2 = new Float64Array(J * (q + 1));
    o.decoderObjective()(X, G2, F2, all, J);
    close(F2, F1.map((v) => v / 2), 1e-15, 'half weights halve F');
    close(G2, G1.map((v) => v / 2), 1e-15, 'half weights halve G');
    // A zero weight on one cell equals dropping that cell (n = 0 there).
    const w = new Float64Array(N * J).fill(1);
    w[3 * J + 2] = 0;
    o.setWeights(w);
    const F3 = new Float64Array(J);
    o.decoderObjective()(X, new Float64Array(J * (q + 1)), F3, all, J);
    const p2 = { ...p, k: p.k.slice(), n: p.n.slice() };
    p2.k[3 * J + 2] = 0;
    p2.n[3 * J + 2] = 0;
    const o2 = objectiveOf(p2);
    const F4 = new Float64Array(J);
    o2.decoderObjective()(X, new Float64Array(J * (q + 1)), F4, all, J);
    o2.dispose();
    close(F3, F4, 1e-15, 'zero weight drops the cell');
  } finally {
    o.dispose();
  }
});

test('no NaN or Inf reaches the sums at ρ = 0, ρ = 1, |Y| = 1000, k = 0, k = n and n = 0', () => {
  const N = 4, J = 4, q = 1;
  const k = f64([0, 5, 0, 3, 7, 7, 0, 0, 1, 0, 0, 9, 2, 2, 0, 1]);
  const n = f64([0, 5, 4, 9, 7, 7, 0, 2, 3, 0, 1, 9, 2, 8, 0, 1]);
  const x = f64([1, -1, 0.5, 2, -3, 1, 0, 0, 0.2, 0.1, -0.4, 3, 2, -1, 0, 0]);
  for (const c of [0, 1, 0.5]) {
    for (const [rho0, rho1] of [[0, 1], [1, 0], [1e-300, 1 - 1e-16]]) {
      const r = nllAndGradient({ k, n, x, E: f64([500, -500, 300, 0]), D: f64([1, -1, 1, 2]), b: f64([-1000, 1000, 0, 10]), rho: f64([rho0, rho1, rho0, rho1]), likelihoodPseudocount: c });
      for (const v of [r.nll, ...r.gradE, ...r.gradD, ...r.gradB]) if (!Number.isFinite(v)) assert.unreachable(`c=${c} ρ=${rho0},${rho1}: ${v}`);
    }
  }
});

test('junctionLoss (the loss-only cell pass) equals the decoder objective’s F at the stored parameters, with and without Huber-like weights, on every binary and scalar twin', () => {
  const rng = new Rng(21);
  for (const [N, J, q, c] of [[37, 23, 3, 0], [50, 9, 4, 1], [8, 13, 2, 0.5]]) {
    const p = randomProblem(rng, N, J, q, c, 3);
    const w = Float64Array.from({ length: N * J }, () => 0.2 + rng.uniform());
    for (const [name, core] of Object.entries(cores)) {
      for (const scalar of [false, true]) {
        const o = objectiveOf(p, { core, scalar });
        try {
          for (const weights of [null, w]) {
            o.setWeights(weights);
            const L = o.junctionLoss();
            const X = o.decoderStart();
            const G = new Float64Array(X.length), F = new Float64Array(J);
            o.decoderObjective()(X, G, F, Uint32Array.from({ length: J }, (_, j) => j), J);
            close(L, F, 1e-14, `${p.name} ${name}${scalar ? ' scalar' : ''}${weights ? ' weighted' : ''}`);
          }
        } finally {
          o.dispose();
        }
      }
    }
  }
});

test('pValuesInto (p-values from the junction-major blocks, μ from Y or from the μ cache) equals betaBinomial.pValues at the objective’s μ, scattered to the given columns, on every binary and scalar twin', () => {
  const rng = new Rng(23);
  for (const [N, J, q, c] of [[37, 23, 3, 0], [50, 9, 4, 1]]) {
    const p = randomProblem(rng, N, J, q, c, 3);
    const cols = Uint32Array.from({ length: J }, (_, j) => 2 * j + 1); // into a wider N×(2J+1) matrix
    const ld = 2 * J + 1;
    for (const [name, core] of Object.entries(cores)) {
      for (const [scalar, cacheMean] of [[false, false], [true, false], [false, true], [true, true]]) {
        const o = objectiveOf(p, { core, scalar, blockCells: 4 * N, cacheMean });
        try {
          const out = new Float64Array(N * ld).fill(-1);
          o.pValuesInto(out, ld, cols);
          const want = betaBinomial.pValues(f64(p.k), f64(p.n), o.predictMean(), o.getRho(), { junctions: J, core, scalar });
          for (let i = 0; i < N; i++) {
            for (let j = 0; j < ld; j++) {
              const got = out[i * ld + j];
              if (j % 2 === 0) assert.is(got, -1, 'columns not listed stay untouched');
              else {
                const w = want[i * J + (j - 1) / 2];
                assert.ok(Math.abs(got - w) <= 1e-12 * w + 1e-300, `${name}${scalar ? ' scalar' : ''}${cacheMean ? ' cached μ' : ''} N=${N} sample ${i} junction ${(j - 1) / 2}: ${got} vs ${w}`);
              }
            }
          }
        } finally {
          o.dispose();
        }
      }
    }
  }
});

test('n = 0 cells contribute no loss and no gradient, also with a pseudocount', () => {
  const rng = new Rng(12);
  const p = randomProblem(rng, 6, 3, 2, 1);
  const base = nllAndGradient(inputOf(p));
  // Turning a cell into n = 0 changes nll by exactly that cell's loss; its x is left alone.
  const p2 = { ...p, k: p.k.slice(), n: p.n.slice() };
  p2.k[4] = 0;
  p2.n[4] = 0;
  const r2 = nllAndGradient(inputOf(p2));
  const o = objectiveOf(p2);
  const L = o.junctionLoss();
  o.dispose();
  close([L.reduce((s, v) => s + v, 0) / p.J], [r2.nll], 1e-13, 'nll equals the mean of junction losses');
  assert.ok(base.nll !== r2.nll);
  // With every cell at n = 0, everything is 0.
  const zero = nllAndGradient({ ...inputOf(p), k: new Float64Array(18), n: new Float64Array(18) });
  assert.is(zero.nll, 0);
  assert.is(maxAbs(zero.gradE) + maxAbs(zero.gradD) + maxAbs(zero.gradB), 0);
});

test('counts may be given as Uint32Array with the same results', () => {
  const p = FIX.problems[3];
  const a = nllAndGradient(inputOf(p));
  const b = nllAndGradient({ ...inputOf(p), k: Uint32Array.from(p.k), n: Uint32Array.from(p.n) });
  assert.is(a.nll, b.nll);
  assert.equal(Array.from(a.gradE), Array.from(b.gradE));
});

test('bad inputs give typed errors whose argument names the offending index or array', () => {
  const p = FIX.problems[3];
  const base = inputOf(p);
  const expect = (mod: Partial<NllAndGradientInput>, type: Function, argument: string) => {
    try {
      nllAndGradient({ ...base, ...mod } as NllAndGradientInput);
    } catch (e) {
      assert.instance(e, type, `${argument}: ${(e as Error).message}`);
      assert.is((e as { argument?: string }).argument, argument);
      return;
    }
    assert.unreachable(`no error for ${argument}`);
  };
  const kBad = base.k.slice() as Float64Array;
  kBad[10] = base.n[10] + 1;
  expect({ k: kBad }, ArgumentValueError, 'k[10]');
  const kNeg = base.k.slice() as Float64Array;
  kNeg[3] = -1;
  expect({ k: kNeg }, ArgumentValueError, 'k[3]');
  const nFrac = base.n.slice() as Float64Array;
  nFrac[7] = 2.5;
  expect({ n: nFrac }, ArgumentValueError, 'n[7]');
  const nNaN = base.n.slice() as Float64Array;
  nNaN[0] = NaN;
  expect({ n: nNaN }, ArgumentValueError, 'n[0]');
  const nBig = base.n.slice() as Float64Array;
  nBig[1] = 2 ** 32;
  expect({ n: nBig }, ArgumentValueError, 'n[1]');
  expect({ k: [1, 2] as unknown as Float64Array }, ArgumentTypeError, 'k');
  expect({ E: base.E.subarray(1) }, ShapeError, 'E');
  expect({ D: base.D.subarray(1) }, ShapeError, 'D');
  expect({ x: base.x.subarray(1) }, ShapeError, 'x');
  expect({ k: base.k.subarray(1) }, ShapeError, 'k');
  expect({ n: base.n.subarray(p.J) }, ShapeError, 'n');
  expect({ rho: base.rho.subarray(1) }, ShapeError, 'rho');
  expect({ b: new Float64Array(0) }, ShapeError, 'b');
  const rhoBad = base.rho.slice();
  rhoBad[2] = 1.5;
  expect({ rho: rhoBad }, ArgumentValueError, 'rho[2]');
  const xBad = base.x.slice();
  xBad[5] = Infinity;
  expect({ x: xBad }, ArgumentValueError, 'x[5]');
  const eBad = base.E.slice();
  eBad[1] = NaN;
  expect({ E: eBad }, ArgumentValueError, 'E[1]');
  expect({ likelihoodPseudocount: -1 }, ArgumentValueError, 'likelihoodPseudocount');
});

test('brentBatch on the ρ objective recovers the dispersion of simulated beta-binomial counts', () => {
  const rng = new Rng(21);
  const N = 3000, J = 6, q = 1;
  const rhoTrue = [0.01, 0.03, 0.05, 0.1, 0.2, 0.4];
  const muTrue = [0.1, 0.5, 0.8, 0.3, 0.6, 0.95];
  const k = new Float64Array(N * J), n = new Float64Array(N * J);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < J; j++) {
      const a = (1 - rhoTrue[j]) / rhoTrue[j];
      const nn = 5 + rng.poisson(40);
      n[i * J + j] = nn;
      k[i * J + j] = rng.binomial(nn, rng.beta(muTrue[j] * a, (1 - muTrue[j]) * a));
    }
  }
  const o = new FraserObjective({ k, n, x: new Float64Array(N * J), junctions: J, latentDim: q });
  try {
    o.setEncoder(new Float64Array(J * q));
    o.setDecoder(new Float64Array(J * q), Float64Array.from(muTrue, (m) => Math.log(m / (1 - m))));
    const r = optim.brentBatch(o.rhoObjective(), new Float64Array(J).fill(-30), new Float64Array(J).fill(30), { xtol: 1e-7 });
    for (let j = 0; j < J; j++) {
      const est = 1 / (1 + Math.exp(-r.x[j]));
      if (!(Math.abs(Math.log(est / rhoTrue[j])) < 0.25)) assert.unreachable(`junction ${j}: ρ ${est} vs ${rhoTrue[j]}`);
      // The minimum has f' ≈ 0.
      const F = new Float64Array(J), D1 = new Float64Array(J), D2 = new Float64Array(J);
      o.rhoDerivatives(r.x, F, D1, D2);
      assert.ok(Math.abs(D1[j]) < 1e-3 * Math.max(1, D2[j]), `f'(t*) = ${D1[j]}`);
      assert.ok(D2[j] > 0);
    }
  } finally {
    o.dispose();
  }
});

test('minimizeBatch on the decoder objective and lbfgs on the encoder objective decrease nll without allocating per call', () => {
  const rng = new Rng(17);
  const p = randomProblem(rng, 60, 12, 2, 0, 1);
  const o = objectiveOf(p);
  try {
    const before = o.nll();
    const r = optim.minimizeBatch(o.decoderObjective(), o.decoderStart(), p.J, p.q + 1, { maxIterations: 100, gtol: 1e-9 });
    o.setDecoderFromBatch(r.x);
    const mid = o.nll();
    assert.ok(mid < before, `decoder fit: ${mid} vs ${before}`);
    assert.ok(r.converged.every((c) => c === 1), 'every junction converged');
    const bytes = o.bytes;
    const e = optim.lbfgs(o.encoderObjective(), o.getEncoder(), { maxIterations: 30 });
    o.setEncoder(e.x);
    assert.ok(o.nll() < mid);
    assert.is(o.bytes, bytes);
  } finally {
    o.dispose();
  }
});

test.run();
