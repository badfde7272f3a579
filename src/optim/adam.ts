/**
 * Adam (Kingma & Ba 2015) for full-batch or minibatch objectives, with an explicit state.
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError } from '../errors.js';
import {
  OptimResult,
  ProgressInfo,
  StopReason,
  allFinite,
  callbackOption,
  checkFnAndX0,
  checkOptions,
  integerOption,
  isConvergedReason,
  normInf,
  numberOption,
  relativeChange,
  signalOption,
} from './common.js';

/**
 * Minibatch objective: evaluates the loss of minibatch `batch` (0 ≤ batch < batches) at `x`, writes
 * its gradient into `grad` and returns the loss. The full objective is taken to be the mean of the
 * minibatch losses, so scale each minibatch loss accordingly. A plain `Objective` (x, grad) → f
 * works too (it just ignores `batch`).
 */
export type MinibatchObjective = (x: Float64Array, grad: Float64Array, batch: number) => number;

/**
 * State of an Adam run: current point x, first and second moment estimates m and v, step count t,
 * completed epochs, evaluation count, the previous epoch-mean loss (NaN before the first epoch) and
 * how many consecutive epochs met the ftol rule. Plain numbers and Float64Arrays; use
 * `adamStateToJSON` / `adamStateFromJSON` to serialise.
 */
export interface AdamState {
  n: number;
  x: Float64Array;
  m: Float64Array;
  v: Float64Array;
  t: number;
  epoch: number;
  evaluations: number;
  lastEpochLoss: number;
  streak: number;
}

/** JSON form of AdamState (lastEpochLoss NaN is stored as null). */
export interface AdamStateJSON {
  version: 1;
  n: number;
  x: number[];
  m: number[];
  v: number[];
  t: number;
  epoch: number;
  evaluations: number;
  lastEpochLoss: number | null;
  streak: number;
}

/** Options of `adam`. */
export interface AdamOptions {
  /** Step size α, default 1e-3. */
  learningRate?: number;
  /** Decay of the first moment, default 0.9, in [0, 1). */
  beta1?: number;
  /** Decay of the second moment, default 0.999, in [0, 1). */
  beta2?: number;
  /** Added to √v̂ in the denominator, default 1e-8. */
  epsilon?: number;
  /** Epochs allowed in this call (one epoch = one step per minibatch), default 10000. */
  maxIterations?: number;
  /** Objective evaluations allowed in this call, default Infinity. */
  maxEvaluations?: number;
  /** Number of minibatches per epoch, default 1 (full batch). */
  batches?: number;
  /** Relative change of the epoch-mean loss counted as "no progress", default 1e-10. */
  ftol?: number;
  /** Consecutive epochs with relative change ≤ ftol needed to stop with 'ftol', default 5. */
  patience?: number;
  /** Stop when the max-norm of the epoch-mean gradient ≤ gtol, default 1e-6. */
  gtol?: number;
  signal?: AbortSignal;
  /** Called after every epoch with the epoch-mean loss and gradient max-norm. */
  onProgress?: (info: ProgressInfo) => void;
  /** Resume from this state (typed or JSON form); it is copied, not modified. */
  state?: AdamState | AdamStateJSON;
}

/** Result of `adam`: f and gradNorm are evaluated at the returned x by a final pass over all minibatches. */
export interface AdamResult extends OptimResult {
  state: AdamState;
}

/** Converts an Adam state to a JSON-safe plain object. */
export function adamStateToJSON(state: AdamState): AdamStateJSON {
  return {
    version: 1,
    n: state.n,
    x: Array.from(state.x),
    m: Array.from(state.m),
    v: Array.from(state.v),
    t: state.t,
    epoch: state.epoch,
    evaluations: state.evaluations,
    lastEpochLoss: Number.isFinite(state.lastEpochLoss) ? state.lastEpochLoss : null,
    streak: state.streak,
  };
}

/** Rebuilds (or copies) an Adam state, checking types and lengths; errors name `name.field`. */
export function adamStateFromJSON(obj: AdamStateJSON | AdamState, name = 'state'): AdamState {
  if (obj === null || typeof obj !== 'object') throw new ArgumentTypeError(`${name} must be an object`, name);
  const o = obj as unknown as Record<string, unknown>;
  const int = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ArgumentValueError(`${name}.${k} must be a non-negative integer`, `${name}.${k}`);
    return v;
  };
  const n = int('n');
  if (n < 1) throw new ArgumentValueError(`${name}.n must be ≥ 1`, `${name}.n`);
  const arr = (k: string): Float64Array => {
    const v = o[k];
    if (!(v instanceof Float64Array) && !Array.isArray(v)) throw new ArgumentTypeError(`${name}.${k} must be an array`, `${name}.${k}`);
    if (v.length !== n) throw new ShapeError(`${name}.${k} must have length ${n}, got ${v.length}`, `${name}.${k}`);
    const a = Float64Array.from(v as ArrayLike<number>);
    if (!allFinite(a)) throw new ArgumentValueError(`${name}.${k} must be finite`, `${name}.${k}`);
    return a;
  };
  const last = o.lastEpochLoss;
  return {
    n,
    x: arr('x'),
    m: arr('m'),
    v: arr('v'),
    t: int('t'),
    epoch: int('epoch'),
    evaluations: int('evaluations'),
    lastEpochLoss: typeof last === 'number' ? last : NaN,
    streak: int('streak'),
  };
}

/**
 * Minimises a (minibatch) objective by Adam (Kingma & Ba 2015, Algorithm 1):
 *   m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,  x ← x − α · m̂ / (√v̂ + ε),
 * with bias corrections m̂ = m/(1−β1^t), v̂ = v/(1−β2^t). One step per minibatch; the minibatches are
 * visited in the order 0..batches−1 every epoch (shuffle inside `fn` if wanted).
 *
 * Stopping, checked after each epoch: the epoch-mean gradient (mean of the minibatch gradients seen
 * during the epoch, an approximation to ∇f since x moves within the epoch) has max-norm ≤ gtol →
 * 'gtol'; the epoch-mean loss changed by a relative amount ≤ ftol for `patience` (default 5)
 * consecutive epochs → 'ftol' (patience > 1 because minibatch losses are noisy); budgets; abort.
 * After stopping, one pass over all minibatches at the returned x gives the reported f (mean of
 * minibatch losses) and gradNorm (max-norm of the mean gradient).
 *
 * Non-finite values: at x0 (first step of a fresh run) → ArgumentValueError naming x0. Later, a
 * non-finite loss or gradient undoes the last step and retries with it halved (up to 30 times); if
 * no finite point is found the run stops with 'nonfinite' at the last finite point.
 *
 * @param fn (x, grad, batch) → loss of minibatch `batch`, gradient written into grad
 * @param x0 starting point (copied, not modified; only its length matters when `state` is given)
 */
export function adam(fn: MinibatchObjective, x0: Float64Array, options?: AdamOptions): AdamResult {
  checkFnAndX0(fn, x0);
  checkOptions(options);
  const o = options as Record<string, unknown> | undefined;
  const lr = numberOption(o, 'learningRate', 1e-3, 0, Infinity, true);
  const beta1 = numberOption(o, 'beta1', 0.9, 0, 1);
  const beta2 = numberOption(o, 'beta2', 0.999, 0, 1);
  if (beta1 >= 1) throw new ArgumentValueError('options.beta1 must be < 1', 'options.beta1');
  if (beta2 >= 1) throw new ArgumentValueError('options.beta2 must be < 1', 'options.beta2');
  const epsilon = numberOption(o, 'epsilon', 1e-8, 0, Infinity, true);
  const maxIterations = integerOption(o, 'maxIterations', 10000, 0);
  const maxEvaluations = integerOption(o, 'maxEvaluations', Infinity, 1);
  const batches = integerOption(o, 'batches', 1, 1, 1 << 30);
  const ftol = numberOption(o, 'ftol', 1e-10, 0, Infinity);
  const patience = integerOption(o, 'patience', 5, 1, 1 << 30);
  const gtol = numberOption(o, 'gtol', 1e-6, 0, Infinity);
  const signal = signalOption(o);
  const onProgress = callbackOption<(info: ProgressInfo) => void>(o, 'onProgress');

  const n = x0.length;
  let st: AdamState;
  if (options?.state !== undefined) {
    st = adamStateFromJSON(options.state, 'options.state');
    if (st.n !== n) throw new ShapeError(`options.state.n (${st.n}) must equal x0.length (${n})`, 'options.state');
  } else {
    st = { n, x: x0.slice(), m: new Float64Array(n), v: new Float64Array(n), t: 0, epoch: 0, evaluations: 0, lastEpochLoss: NaN, streak: 0 };
  }
  const x = st.x;
  const mm = st.m;
  const vv = st.v;
  const g = new Float64Array(n);
  const gSum = new Float64Array(n);
  const xPrev = new Float64Array(n);
  const step = new Float64Array(n);
  let haveStep = false; // step holds the last update (x = xPrev − step)
  let evals = 0;
  let epochs = 0;
  let reason: StopReason | undefined;

  /** Evaluates batch b at x, backing off the last step on non-finite output; NaN if unrecoverable. */
  const evaluate = (b: number): number => {
    let f = fn(x, g, b);
    st.evaluations++;
    evals++;
    if (Number.isFinite(f) && allFinite(g)) return f;
    if (st.t === 0 && !haveStep) {
      throw new ArgumentValueError(`the objective is not finite at x0 (batch ${b}, f = ${f})`, 'x0');
    }
    if (!haveStep) return NaN;
    let scale = 1;
    for (let k = 0; k < 30 && evals < maxEvaluations; k++) {
      scale *= 0.5;
      for (let i = 0; i < n; i++) x[i] = xPrev[i] - scale * step[i];
      f = fn(x, g, b);
      st.evaluations++;
      evals++;
      if (Number.isFinite(f) && allFinite(g)) return f;
    }
    x.set(xPrev);
    return NaN;
  };

  let epochLoss = st.lastEpochLoss;
  let gradNorm = NaN;
  outer: while (true) {
    if (signal?.aborted) {
      reason = 'aborted';
      break;
    }
    if (epochs >= maxIterations) {
      reason = 'maxIterations';
      break;
    }
    let fSum = 0;
    gSum.fill(0);
    for (let b = 0; b < batches; b++) {
      if (evals >= maxEvaluations) {
        reason = 'maxEvaluations';
        break outer;
      }
      const f = evaluate(b);
      if (f !== f) {
        reason = 'nonfinite';
        break outer;
      }
      fSum += f;
      st.t++;
      const t = st.t;
      const c1 = 1 / (1 - Math.pow(beta1, t));
      const c2 = 1 / (1 - Math.pow(beta2, t));
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        gSum[i] += gi;
        const mi = beta1 * mm[i] + (1 - beta1) * gi;
        const vi = beta2 * vv[i] + (1 - beta2) * gi * gi;
        mm[i] = mi;
        vv[i] = vi;
        const di = (lr * (mi * c1)) / (Math.sqrt(vi * c2) + epsilon);
        step[i] = di;
        xPrev[i] = x[i];
        x[i] -= di;
      }
      haveStep = true;
    }
    epochs++;
    st.epoch++;
    const meanLoss = fSum / batches;
    gradNorm = normInf(gSum) / batches;
    if (onProgress) onProgress({ iteration: st.epoch, f: meanLoss, gradNorm, evaluations: st.evaluations });
    if (Number.isFinite(epochLoss)) st.streak = relativeChange(epochLoss, meanLoss) <= ftol ? st.streak + 1 : 0;
    epochLoss = meanLoss;
    st.lastEpochLoss = meanLoss;
    if (gradNorm <= gtol) {
      reason = 'gtol';
      break;
    }
    if (st.streak >= patience) {
      reason = 'ftol';
      break;
    }
  }

  // Final pass at the returned x: exact f (mean of minibatch losses) and gradient max-norm.
  let fFinal = 0;
  gSum.fill(0);
  let finite = true;
  for (let b = 0; b < batches; b++) {
    const f = fn(x, g, b);
    st.evaluations++;
    if (!Number.isFinite(f) || !allFinite(g)) {
      finite = false;
      break;
    }
    fFinal += f;
    for (let i = 0; i < n; i++) gSum[i] += g[i];
  }
  if (!finite && haveStep) {
    // The last update landed on a non-finite point: return the point before it.
    x.set(xPrev);
    reason = 'nonfinite';
    fFinal = 0;
    gSum.fill(0);
    for (let b = 0; b < batches; b++) {
      fFinal += fn(x, g, b);
      st.evaluations++;
      for (let i = 0; i < n; i++) gSum[i] += g[i];
    }
  } else if (!finite) {
    throw new ArgumentValueError('the objective is not finite at x0', 'x0');
  }
  fFinal /= batches;
  gradNorm = normInf(gSum) / batches;
  const r: StopReason = reason ?? 'maxIterations';
  return {
    x: x.slice(),
    f: fFinal,
    iterations: st.epoch,
    evaluations: st.evaluations,
    converged: isConvergedReason(r),
    reason: r,
    gradNorm,
    state: st,
  };
}
