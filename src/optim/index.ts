/**
 * Optimisers in pure TypeScript: L-BFGS with a strong-Wolfe line search, Adam (full batch or
 * minibatches), Brent's bounded scalar minimiser, and batched drivers that advance thousands of
 * small independent problems together (one vectorised objective call per step).
 *
 *   import { minimize } from './optim/index.js';
 *   const r = minimize((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, new Float64Array([0]));
 *   r.x[0]; // 3, r.reason === 'gtol'
 */
import { ArgumentTypeError, ArgumentValueError } from '../errors.js';
import { checkFnAndX0, checkOptions } from './common.js';
import { adam, AdamOptions, AdamResult, MinibatchObjective } from './adam.js';
import { lbfgs, LbfgsOptions, LbfgsResult } from './lbfgs.js';

export type { Objective, StopReason, OptimResult, ProgressInfo } from './common.js';
export { lbfgs, lbfgsStateToJSON, lbfgsStateFromJSON } from './lbfgs.js';
export type { LbfgsOptions, LbfgsResult, LbfgsState, LbfgsStateJSON } from './lbfgs.js';
export { adam, adamStateToJSON, adamStateFromJSON } from './adam.js';
export type { AdamOptions, AdamResult, AdamState, AdamStateJSON, MinibatchObjective } from './adam.js';
export { brent } from './brent.js';
export type { BrentOptions, BrentResult } from './brent.js';
export { minimizeBatch, brentBatch, BatchReason, batchReasonName } from './batch.js';
export type { BatchObjective, BatchOptions, BatchResult, BatchReasonCode, BatchScalarObjective, BrentBatchResult } from './batch.js';
export { StrongWolfeLineSearch } from './linesearch.js';

/** Options of `minimize`: the method plus that method's options. */
export type MinimizeOptions = ({ method?: 'lbfgs' } & LbfgsOptions) | ({ method: 'adam' } & AdamOptions);

/**
 * Minimises a smooth objective with the chosen method (default 'lbfgs'; 'adam' for noisy or
 * minibatch objectives). Validates `fn` (a function), `x0` (a non-empty Float64Array) and the
 * options (typed errors whose `argument` names the offender, e.g. 'x0', 'options.method',
 * 'options.m'), copies x0 (the caller's array is never modified) and dispatches to `lbfgs` or
 * `adam`; see those for the algorithms, stopping rules and the returned `state`.
 */
export function minimize(fn: MinibatchObjective, x0: Float64Array, options?: { method: 'adam' } & AdamOptions): AdamResult;
export function minimize(fn: (x: Float64Array, grad: Float64Array) => number, x0: Float64Array, options?: { method?: 'lbfgs' } & LbfgsOptions): LbfgsResult;
export function minimize(fn: MinibatchObjective, x0: Float64Array, options?: MinimizeOptions): LbfgsResult | AdamResult {
  checkFnAndX0(fn, x0);
  checkOptions(options);
  const method = options?.method ?? 'lbfgs';
  if (typeof method !== 'string') throw new ArgumentTypeError(`options.method must be a string, got ${typeof method}`, 'options.method');
  const x = x0.slice();
  if (method === 'lbfgs') {
    const { method: _m, ...rest } = (options ?? {}) as { method?: string } & LbfgsOptions;
    return lbfgs(fn as (x: Float64Array, g: Float64Array) => number, x, rest);
  }
  if (method === 'adam') {
    const { method: _m, ...rest } = options as { method: string } & AdamOptions;
    return adam(fn, x, rest);
  }
  throw new ArgumentValueError(`options.method must be 'lbfgs' or 'adam', got '${method}'`, 'options.method');
}
