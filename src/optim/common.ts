/**
 * Shared types and small helpers of the optimisers: the objective and result contracts, stopping
 * reasons, vector kernels (dot, max-norm) and option validation that throws the typed errors of
 * `../errors.ts` with `argument` set to the offending option (for example `options.m`).
 */
import { ArgumentTypeError, ArgumentValueError, requireFloat64Array, requireFunction } from '../errors.js';

/**
 * Smooth objective: evaluates f at `x`, writes ∂f/∂x into `grad` (same length as `x`, owned by the
 * optimiser, overwrite every entry) and returns f(x). It must not keep or modify `x`.
 */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/**
 * Why an optimiser stopped.
 * - 'ftol': relative change of f between accepted iterates ≤ ftol (converged)
 * - 'gtol': max-norm of the gradient ≤ gtol (converged)
 * - 'xtol': step (or bracket) smaller than the x tolerance (converged)
 * - 'maxIterations' / 'maxEvaluations': budget spent (not converged)
 * - 'lineSearchFailed': no step along a descent direction decreased f, even after resetting the
 *   quasi-Newton memory (usually f or its gradient is inaccurate near the current point)
 * - 'aborted': `signal.aborted` was seen
 * - 'nonfinite': the objective returned NaN/±Inf and no finite point could be found by
 *   backtracking; the last finite accepted point is returned
 */
export type StopReason = 'ftol' | 'gtol' | 'xtol' | 'maxIterations' | 'maxEvaluations' | 'lineSearchFailed' | 'aborted' | 'nonfinite';

/** Result of a single-problem optimiser. `x` is a fresh array owned by the caller. */
export interface OptimResult {
  /** Best accepted point (last accepted iterate). */
  x: Float64Array;
  /** f(x). Always finite. */
  f: number;
  /** Iterations done in total (including those of a resumed state). */
  iterations: number;
  /** Objective evaluations in total (including those of a resumed state). */
  evaluations: number;
  /** True when the reason is 'ftol', 'gtol' or 'xtol'. */
  converged: boolean;
  reason: StopReason;
  /** Max-norm of the gradient at `x`. */
  gradNorm: number;
}

/** What `onProgress` receives once per iteration (a fresh object each call). */
export interface ProgressInfo {
  iteration: number;
  f: number;
  gradNorm: number;
  evaluations: number;
}

/** Machine epsilon of float64. */
export const EPS = 2.220446049250313e-16;

/** True for the reasons that mean convergence. */
export function isConvergedReason(reason: StopReason): boolean {
  return reason === 'ftol' || reason === 'gtol' || reason === 'xtol';
}

/** Σ a[i]·b[i] over the first n entries (plain loop, no allocation). */
export function dot(a: Float64Array, b: Float64Array, n: number = a.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/** max_i |a[i]| over the first n entries; NaN if any entry is NaN. */
export function normInf(a: Float64Array, n: number = a.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(a[i]);
    if (v > s || v !== v) s = v;
    if (s !== s) return NaN;
  }
  return s;
}

/** True when every one of the first n entries is finite. */
export function allFinite(a: Float64Array, n: number = a.length): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Relative change |a − b| / max(|a|, |b|, 1), the ftol measure (scipy factr-like semantics). */
export function relativeChange(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1);
}

/** Validates the objective and the starting point shared by every entry point; x0 is not copied here. */
export function checkFnAndX0(fn: unknown, x0: unknown, fnName = 'fn', x0Name = 'x0'): Float64Array {
  requireFunction(fn, fnName);
  const x = requireFloat64Array(x0, x0Name);
  if (x.length === 0) throw new ArgumentValueError(`${x0Name} must not be empty`, x0Name);
  return x;
}

/** Validates that `options` is undefined or a plain object. */
export function checkOptions(options: unknown, name = 'options'): void {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new ArgumentTypeError(`${name} must be an object, got ${options === null ? 'null' : typeof options}`, name);
  }
}

/**
 * Reads a numeric option: `undefined` gives `def`; otherwise it must be a number (ArgumentTypeError)
 * within [lo, hi] (or (lo, hi] when `openLo`) and not NaN (ArgumentValueError). `argument` is
 * `options.<key>`.
 */
export function numberOption(opts: Record<string, unknown> | undefined, key: string, def: number, lo: number, hi: number, openLo = false): number {
  const v = opts?.[key];
  if (v === undefined) return def;
  const name = `options.${key}`;
  if (typeof v !== 'number') throw new ArgumentTypeError(`${name} must be a number, got ${typeof v}`, name);
  if (v !== v || v > hi || (openLo ? v <= lo : v < lo)) {
    throw new ArgumentValueError(`${name} must be in ${openLo ? '(' : '['}${lo}, ${hi}], got ${v}`, name);
  }
  return v;
}

/**
 * Reads an integer option (Infinity allowed when `hi` is Infinity, to mean "no limit"):
 * `undefined` gives `def`; non-integers throw ArgumentTypeError, out-of-range ArgumentValueError.
 */
export function integerOption(opts: Record<string, unknown> | undefined, key: string, def: number, lo: number, hi = Infinity): number {
  const v = opts?.[key];
  if (v === undefined) return def;
  const name = `options.${key}`;
  if (typeof v !== 'number' || (!Number.isInteger(v) && !(v === Infinity && hi === Infinity))) {
    throw new ArgumentTypeError(`${name} must be an integer, got ${String(v)}`, name);
  }
  if (v < lo || v > hi) throw new ArgumentValueError(`${name} must be in [${lo}, ${hi}], got ${v}`, name);
  return v;
}

/** Reads the optional `signal` (an AbortSignal-like object with a boolean `aborted`). */
export function signalOption(opts: Record<string, unknown> | undefined): AbortSignal | undefined {
  const s = opts?.signal;
  if (s === undefined) return undefined;
  if (s === null || typeof s !== 'object' || typeof (s as { aborted?: unknown }).aborted !== 'boolean') {
    throw new ArgumentTypeError('options.signal must be an AbortSignal', 'options.signal');
  }
  return s as AbortSignal;
}

/** Reads an optional callback option. */
export function callbackOption<T extends Function>(opts: Record<string, unknown> | undefined, key: string): T | undefined {
  const v = opts?.[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'function') throw new ArgumentTypeError(`options.${key} must be a function, got ${typeof v}`, `options.${key}`);
  return v as T;
}
