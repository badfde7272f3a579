/**
 * Special functions against mpmath (40 digits) through committed fixtures
 * (test/fixtures/gen_special.py), the SIMD kernels against their scalar twins and the other
 * binaries, and a plain-TS implementation of the same maths.
 *
 * Error bounds, measured on the fixtures and written down here (relative unless stated):
 *   lgamma     1e-14 everywhere on (1e-300, 1e300), including x = 1 ± d and 2 ± d down to
 *              d = 1e-15 (the series about 2 keeps relative accuracy at both zeros)
 *   digamma    1e-14, including the root x0 = 1.4616… (series about the root)
 *   trigamma   4e-15
 *   exp, log   2 ulp;  log1p 2 ulp;  sigmoid, log1pexp 4 ulp;  logit 4 ulp
 *   lgammaDiff, digammaDiff   1e-13 relative, or 1e-15 absolute where |value| < 1e-2
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ArgumentTypeError, ShapeError, init, loadCore, special, type Core } from '../src/index.js';
import * as ref from './reference/special.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const SPECIAL = fixture('special.json');
const COUNT = fixture('count_differences.json');
const ELEM = fixture('elementary.json');

const num = (v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : (v as number));
const arr = (a: unknown[]) => Float64Array.from(a, num);

function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2.2250738585072014e-308) return 5e-324;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}

/** Largest error of `got` against `want`; infinities must match exactly. */
function worst(got: Float64Array, want: Float64Array, kind: 'rel' | 'ulp' | 'mixed', x?: Float64Array) {
  let w = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const e = want[i];
    let err: number;
    if (!Number.isFinite(e)) err = Object.is(g, e) ? 0 : Infinity;
    else if (kind === 'ulp') err = Math.abs(g - e) / ulp(e);
    else if (kind === 'mixed') err = Math.abs(e) < 1e-2 ? Math.abs(g - e) / 1e-2 : Math.abs(g - e) / Math.abs(e);
    else err = e === 0 ? Math.abs(g) : Math.abs(g - e) / Math.abs(e);
    if (!(err <= w)) {
      w = err;
      at = i;
    }
  }
  return { err: w, at, x: x && at >= 0 ? x[at] : undefined, got: got[at], want: want[at] };
}

let cores: { simd: Core; scalar: Core; relaxed?: Core };

test.before(async () => {
  await init();
  cores = { simd: await loadCore({ simd: 'baseline' }), scalar: await loadCore({ simd: 'scalar' }) };
  try {
    cores.relaxed = await loadCore({ simd: 'relaxed' });
  } catch {
    console.log('  (relaxed SIMD is not compiled by this host; run node with --experimental-wasm-relaxed-simd to test it)');
  }
});

const gammaBounds = { lgamma: 1e-14, digamma: 1e-14, trigamma: 4e-15 } as const;
for (const fn of ['lgamma', 'digamma', 'trigamma'] as const) {
  test(`${fn} matches mpmath to ${gammaBounds[fn]} relative on every fixture point, in every binary and its scalar twin`, () => {
    const x = arr(SPECIAL[fn].x);
    const want = arr(SPECIAL[fn].mp);
    for (const [name, core] of Object.entries(cores)) {
      if (!core) continue;
      for (const scalar of [false, true]) {
        const r = worst(special[fn](x, { core, scalar }), want, 'rel', x);
        assert.ok(r.err <= gammaBounds[fn], `${name}${scalar ? ' scalar twin' : ''}: error ${r.err} at x=${r.x} (got ${r.got}, want ${r.want})`);
      }
    }
  });
}

test('lgamma keeps its relative accuracy next to its zeros at 1 and 2', () => {
  const xs: number[] = [];
  for (let e = -15; e <= -1; e++) for (const c of [1, 2]) for (const s of [-1, 1]) xs.push(c + s * 10 ** e);
  const x = Float64Array.from(xs);
  const y = special.lgamma(x);
  const want = ref.lgammaRef;
  // Near the zeros lnΓ(1+d) ≈ −γd and lnΓ(2+d) ≈ (1−γ)d: check the leading-order behaviour.
  for (let i = 0; i < x.length; i++) {
    const d = x[i] < 1.5 ? x[i] - 1 : x[i] - 2;
    if (Math.abs(d) > 1e-6) continue;
    const slope = x[i] < 1.5 ? -0.5772156649015329 : 0.4227843350984671;
    assert.ok(Math.abs(y[i] / (slope * d) - 1) < 1e-5, `x=${x[i]}: ${y[i]}`);
  }
  void want;
});

const elemBounds: Record<string, number> = { exp: 2, log: 2, log1p: 2, sigmoid: 4, logit: 4, log1pexp: 4 };
for (const fn of Object.keys(elemBounds)) {
  test(`${fn} is within ${elemBounds[fn]} ulp of mpmath in every binary and its scalar twin`, () => {
    const x = arr(ELEM[fn].x);
    const want = arr(ELEM[fn].mp);
    for (const [name, core] of Object.entries(cores)) {
      if (!core) continue;
      for (const scalar of [false, true]) {
        const f = special[fn as 'exp'];
        const r = worst(f(x, { core, scalar }), want, 'ulp', x);
        assert.ok(r.err <= elemBounds[fn], `${name}${scalar ? ' scalar twin' : ''}: ${r.err} ulp at x=${r.x} (got ${r.got}, want ${r.want})`);
      }
    }
  });
}

for (const fn of ['lgammaDiff', 'digammaDiff'] as const) {
  test(`${fn} matches the high-precision difference to 1e-13 relative (1e-15 absolute below 1e-2)`, () => {
    const a = arr(COUNT[fn].a);
    const k = arr(COUNT[fn].k);
    const want = arr(COUNT[fn].mp);
    for (const [name, core] of Object.entries(cores)) {
      if (!core) continue;
      for (const scalar of [false, true]) {
        const got = special[fn](a, k, { core, scalar });
        const r = worst(got, want, 'mixed');
        const i = r.at;
        assert.ok(r.err <= 1e-13, `${name}${scalar ? ' scalar twin' : ''}: error ${r.err} at a=${a[i]}, k=${k[i]} (got ${r.got}, want ${r.want})`);
      }
    }
  });
}

test('the count differences agree with the plain-TS sums over k terms on random inputs', () => {
  let s = 12345;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const n = 5000;
  const a = new Float64Array(n);
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = Math.exp(Math.log(1e-4) + rnd() * Math.log(1e10));
    k[i] = Math.floor(rnd() * (rnd() < 0.5 ? 30 : 300));
  }
  const lg = special.lgammaDiff(a, k);
  const dg = special.digammaDiff(a, k);
  for (let i = 0; i < n; i++) {
    const l = ref.lgammaDiffRef(a[i], k[i]);
    const d = ref.digammaDiffRef(a[i], k[i]);
    // The plain sums carry k rounding errors of their own, hence 1e-12.
    assert.ok(Math.abs(lg[i] - l) <= 1e-12 * Math.max(1, Math.abs(l)), `lgammaDiff(${a[i]}, ${k[i]}) = ${lg[i]} vs ${l}`);
    assert.ok(Math.abs(dg[i] - d) <= 1e-12 * Math.abs(d) + 1e-300, `digammaDiff(${a[i]}, ${k[i]}) = ${dg[i]} vs ${d}`);
  }
});

test('lgamma, digamma and trigamma agree with the plain-TS reference on random inputs', () => {
  let s = 99;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const x = Float64Array.from({ length: 4000 }, () => Math.exp(Math.log(1e-6) + rnd() * Math.log(1e12)));
  const lg = special.lgamma(x);
  const dg = special.digamma(x);
  const tg = special.trigamma(x);
  for (let i = 0; i < x.length; i++) {
    // Lanczos in plain TS is good to ~1e-15 absolute plus a few ulp of the log terms.
    assert.ok(Math.abs(lg[i] - ref.lgammaRef(x[i])) <= 1e-13 * Math.max(1, Math.abs(lg[i])), `lgamma(${x[i]})`);
    assert.ok(Math.abs(dg[i] - ref.digammaRef(x[i])) <= 1e-13 * Math.max(1, Math.abs(dg[i])), `digamma(${x[i]})`);
    assert.ok(Math.abs(tg[i] - ref.trigammaRef(x[i])) <= 1e-13 * tg[i], `trigamma(${x[i]})`);
  }
});

test('the fused lgamma+digamma kernel gives bit-identical values to the two separate kernels', () => {
  const core = cores.simd;
  const x = arr(SPECIAL.lgamma.x);
  const n = x.length;
  const px = core.heap.alloc(n * 8);
  const pl = core.heap.alloc(n * 8);
  const pd = core.heap.alloc(n * 8);
  core.f64.set(x, px >>> 3);
  core.exports.lgammaDigammaArray(px, pl, pd, n);
  const lg = core.f64.slice(pl >>> 3, (pl >>> 3) + n);
  const dg = core.f64.slice(pd >>> 3, (pd >>> 3) + n);
  const lg2 = special.lgamma(x, { core });
  const dg2 = special.digamma(x, { core });
  for (let i = 0; i < n; i++) {
    assert.ok(Object.is(lg[i], lg2[i]), `lgamma at ${x[i]}: ${lg[i]} vs ${lg2[i]}`);
    assert.ok(Object.is(dg[i], dg2[i]), `digamma at ${x[i]}: ${dg[i]} vs ${dg2[i]}`);
  }
  for (const p of [px, pl, pd]) core.heap.release(p);
});

test('non-finite and out-of-domain inputs propagate as IEEE values and the SIMD and scalar paths agree', () => {
  const x = Float64Array.from([NaN, Infinity, -Infinity, 0, -0, -1, 5e-324, 1e-310, 1e308, -1e-300]);
  const expect: Record<string, (number | null)[]> = {
    lgamma: [NaN, Infinity, NaN, Infinity, Infinity, NaN, null, null, Infinity, NaN],
    digamma: [NaN, Infinity, NaN, -Infinity, -Infinity, NaN, -Infinity, -Infinity, null, NaN],
    trigamma: [NaN, 0, NaN, Infinity, Infinity, NaN, Infinity, Infinity, null, NaN],
    exp: [NaN, Infinity, 0, 1, 1, Math.exp(-1), 1, 1, Infinity, 1],
    log: [NaN, Infinity, NaN, -Infinity, -Infinity, NaN, Math.log(5e-324), Math.log(1e-310), Math.log(1e308), NaN],
    sigmoid: [NaN, 1, 0, 0.5, 0.5, null, 0.5, 0.5, 1, 0.5],
    log1pexp: [NaN, Infinity, 0, Math.LN2, Math.LN2, null, Math.LN2, Math.LN2, 1e308, Math.LN2],
  };
  for (const [fn, want] of Object.entries(expect)) {
    const f = special[fn as 'exp'];
    for (const scalar of [false, true]) {
      const y = f(x, { scalar });
      for (let i = 0; i < x.length; i++) {
        if (want[i] === null) {
          assert.ok(Number.isFinite(y[i]), `${fn}(${x[i]}) should be finite, got ${y[i]}`);
          continue;
        }
        const w = want[i] as number;
        const ok = Number.isNaN(w) ? Number.isNaN(y[i]) : Math.abs(y[i] - w) <= 2 * ulp(w) || y[i] === w;
        assert.ok(ok, `${fn}(${x[i]})${scalar ? ' scalar' : ''} = ${y[i]}, want ${w}`);
      }
      const simd = f(x);
      const sc = f(x, { scalar: true });
      for (let i = 0; i < x.length; i++) assert.ok(Object.is(simd[i], sc[i]) || Math.abs(simd[i] - sc[i]) <= 4 * ulp(sc[i]), `${fn}(${x[i]}): simd ${simd[i]} vs scalar ${sc[i]}`);
    }
  }
  const lg = special.lgammaDiff(Float64Array.from([NaN, 1, -1, 0, 2, Infinity]), Float64Array.from([1, NaN, 1, 1, 0, 3]));
  assert.ok(Number.isNaN(lg[0]) && Number.isNaN(lg[1]) && Number.isNaN(lg[2]) && Number.isNaN(lg[3]));
  assert.is(lg[4], 0);
  assert.is(lg[5], Infinity);
});

test('results do not depend on the block size of the wrappers or on array length parity', () => {
  const n = 70001; // over two blocks of 32768, odd
  let s = 7;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const x = Float64Array.from({ length: n }, () => 0.01 + 100 * rnd());
  const whole = special.lgamma(x);
  for (const [lo, hi] of [[0, 1], [0, 3], [32767, 32770], [n - 5, n]]) {
    const part = special.lgamma(x.slice(lo, hi));
    for (let i = lo; i < hi; i++) assert.is(part[i - lo], whole[i], `index ${i}`);
  }
});

test('unary wrappers write into `out`, also in place over several blocks, with the same values; a wrong out is a typed error', () => {
  const n = 70001;
  const x = Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 97) * 0.37);
  for (const fn of ['log', 'sigmoid', 'lgamma'] as const) {
    const want = special[fn](x);
    const into = new Float64Array(n);
    assert.is(special[fn](x, { out: into }), into);
    assert.equal(into, want, `${fn} into out`);
    const inPlace = x.slice();
    special[fn](inPlace, { out: inPlace });
    assert.equal(inPlace, want, `${fn} in place`);
  }
  assert.throws(() => special.log(x, { out: new Float64Array(3) }), (e: unknown) => e instanceof ShapeError && (e as ShapeError).argument === 'out');
  assert.throws(() => special.log(x, { out: [] as unknown as Float64Array }), (e: unknown) => e instanceof ArgumentTypeError && (e as ArgumentTypeError).argument === 'out');
});

test('every wrapper rejects a non-Float64Array and mismatched lengths with typed errors naming the argument', () => {
  for (const fn of ['lgamma', 'digamma', 'trigamma', 'exp', 'log', 'log1p', 'sigmoid', 'logit', 'log1pexp'] as const) {
    const f = special[fn] as (x: unknown) => Float64Array;
    for (const bad of [[1, 2], new Float32Array(2), null, 3, 'x']) {
      try {
        f(bad);
        assert.unreachable(`${fn} accepted ${String(bad)}`);
      } catch (e) {
        assert.instance(e, ArgumentTypeError);
        assert.is((e as ArgumentTypeError).argument, 'x');
        assert.match((e as Error).message, /x must be a Float64Array/);
      }
    }
  }
  assert.throws(() => special.lgammaDiff(new Float64Array(3), new Float64Array(2)), (e: unknown) => e instanceof ShapeError && (e as ShapeError).argument === 'k');
  assert.throws(() => special.digammaDiff([1] as unknown as Float64Array, new Float64Array(1)), (e: unknown) => e instanceof ArgumentTypeError && (e as ArgumentTypeError).argument === 'a');
  assert.equal(special.lgamma(new Float64Array(0)), new Float64Array(0));
});

test('calling a kernel before init() throws NotInitializedError', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
    import('./src/index.ts').then((m) => {
      try { m.special.lgamma(new Float64Array(1)); console.log('no error'); }
      catch (e) { console.log(e.name + ': ' + e.message); }
    });`], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
  assert.match(r.stdout, /NotInitializedError: the WebAssembly core is not loaded/);
});

test('init() on Node 20 without flags picks the baseline SIMD binary and accepts a precompiled module', async () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
    import('./src/index.ts').then(async (m) => { console.log((await m.init()).simd); });`], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
  const major = Number(process.versions.node.split('.')[0]);
  if (major === 20) assert.is(r.stdout.trim(), 'baseline');
  else assert.ok(['baseline', 'relaxed'].includes(r.stdout.trim()), r.stdout + r.stderr);
  const bytes = readFileSync(new URL('../build/latentwasm.scalar.wasm', import.meta.url));
  const module = await WebAssembly.compile(bytes);
  const core = await loadCore({ module });
  assert.is(core.level, 'scalar');
  const y = special.lgamma(Float64Array.from([10]), { core });
  assert.ok(Math.abs(y[0] - Math.log(362880)) < 1e-13);
});

test.run();
