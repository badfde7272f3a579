import { requireFloat64Array, ShapeError } from './errors.js';
import { Core, getCore } from './wasm/core.js';
import type { SpecialExports } from './wasm/exports.js';

/**
 * Elementwise special functions over Float64Arrays: convenience wrappers that copy the input into
 * WebAssembly memory in blocks, run the kernel and copy the result out into a new Float64Array.
 * Models call the kernels on their own workspace buffers instead (no copies).
 *
 * Domain and edge cases follow IEEE: NaN in gives NaN out; lgamma(0) = +Inf, digamma(0) = −Inf,
 * lgamma/digamma/trigamma of negative x are NaN (the kernels are for x > 0).
 */

const BLOCK = 1 << 15;
const scratch = new WeakMap<Core, { x: number; k: number; y: number; z: number }>();

function buffers(core: Core) {
  let s = scratch.get(core);
  if (!s) {
    const h = core.heap;
    s = { x: h.alloc(BLOCK * 8, 'scratch'), k: h.alloc(BLOCK * 8, 'scratch'), y: h.alloc(BLOCK * 8, 'scratch'), z: h.alloc(BLOCK * 8, 'scratch') };
    scratch.set(core, s);
  }
  return s;
}

type UnaryName = 'exp' | 'log' | 'log1p' | 'sigmoid' | 'logit' | 'log1pexp' | 'lgamma' | 'digamma' | 'trigamma';

/** Options for every wrapper: which core to use (default: the one `init()` loaded) and whether to force the scalar twin. */
export interface KernelOptions {
  core?: Core;
  scalar?: boolean;
}

/** Options of the elementwise wrappers: `out` receives the result (same length as x; may be x itself, for in place). */
export interface UnaryOptions extends KernelOptions {
  out?: Float64Array;
}

function unary(name: UnaryName, x: Float64Array, opts: UnaryOptions = {}): Float64Array {
  requireFloat64Array(x, 'x');
  const core = opts.core ?? getCore();
  const kernel = core.exports[`${name}Array${opts.scalar ? 'Scalar' : ''}` as keyof SpecialExports] as (a: number, b: number, n: number) => void;
  const s = buffers(core);
  let out: Float64Array;
  if (opts.out === undefined) out = new Float64Array(x.length);
  else {
    out = requireFloat64Array(opts.out, 'out');
    if (out.length !== x.length) throw new ShapeError(`out must have the length of x (${x.length}), got ${out.length}`, 'out');
  }
  for (let off = 0; off < x.length; off += BLOCK) {
    const n = Math.min(BLOCK, x.length - off);
    core.f64.set(x.subarray(off, off + n), s.x >>> 3);
    kernel(s.x, s.y, n);
    out.set(core.f64.subarray(s.y >>> 3, (s.y >>> 3) + n), off);
  }
  return out;
}

function binary(name: 'lgammaDiff' | 'digammaDiff', a: Float64Array, k: Float64Array, opts: KernelOptions = {}): Float64Array {
  requireFloat64Array(a, 'a');
  requireFloat64Array(k, 'k');
  if (a.length !== k.length) throw new ShapeError(`a and k must have the same length, got ${a.length} and ${k.length}`, 'k');
  const core = opts.core ?? getCore();
  const kernel = core.exports[`${name}Array${opts.scalar ? 'Scalar' : ''}`];
  const s = buffers(core);
  const out = new Float64Array(a.length);
  for (let off = 0; off < a.length; off += BLOCK) {
    const n = Math.min(BLOCK, a.length - off);
    const m = core.f64;
    m.set(a.subarray(off, off + n), s.x >>> 3);
    m.set(k.subarray(off, off + n), s.k >>> 3);
    kernel(s.x, s.k, s.y, n);
    out.set(core.f64.subarray(s.y >>> 3, (s.y >>> 3) + n), off);
  }
  return out;
}

/** ln Γ(x), x > 0. */
export const lgamma = (x: Float64Array, opts?: UnaryOptions) => unary('lgamma', x, opts);
/** ψ(x) = d/dx ln Γ(x), x > 0. */
export const digamma = (x: Float64Array, opts?: UnaryOptions) => unary('digamma', x, opts);
/** ψ'(x), x > 0. */
export const trigamma = (x: Float64Array, opts?: UnaryOptions) => unary('trigamma', x, opts);
/** e^x. */
export const exp = (x: Float64Array, opts?: UnaryOptions) => unary('exp', x, opts);
/** ln x. */
export const log = (x: Float64Array, opts?: UnaryOptions) => unary('log', x, opts);
/** ln(1+x). */
export const log1p = (x: Float64Array, opts?: UnaryOptions) => unary('log1p', x, opts);
/** 1/(1+e^−x). */
export const sigmoid = (x: Float64Array, opts?: UnaryOptions) => unary('sigmoid', x, opts);
/** ln(p/(1−p)), p in [0, 1]. */
export const logit = (x: Float64Array, opts?: UnaryOptions) => unary('logit', x, opts);
/** ln(1+e^x) (softplus). */
export const log1pexp = (x: Float64Array, opts?: UnaryOptions) => unary('log1pexp', x, opts);
/** lnΓ(a+k) − lnΓ(a) for real a > 0 and integer k ≥ 0 (k given as f64). */
export const lgammaDiff = (a: Float64Array, k: Float64Array, opts?: KernelOptions) => binary('lgammaDiff', a, k, opts);
/** ψ(a+k) − ψ(a) for real a > 0 and integer k ≥ 0. */
export const digammaDiff = (a: Float64Array, k: Float64Array, opts?: KernelOptions) => binary('digammaDiff', a, k, opts);
