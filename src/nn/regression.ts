/**
 * Least-squares regression of targets on inputs with an Mlp, by minibatch Adam: the "two-step
 * smoothing" of the amortised PLN fit regresses the variational parameters (M, S) on log1p(Y).
 *
 * Loss (weighted mean squared error over rows i and output columns j):
 *   F = Σᵢ wᵢ Σⱼ cⱼ (f(xᵢ)ⱼ − tᵢⱼ)² / (Σᵢ wᵢ · Σⱼ cⱼ)
 * with row weights w (default 1) and column weights c (default 1). Minibatch b of B contributes
 * L_b = B · (its share of the numerator) / (Σw · Σc), so the mean of the L_b over an epoch is
 * exactly F at a fixed point, and the reported final loss is F at the returned parameters.
 */
import { ArgumentValueError, ShapeError, requireFloat64Array, requireInteger } from '../errors.js';
import { adam } from '../optim/adam.js';
import { callbackOption, checkOptions, integerOption, numberOption, signalOption, type ProgressInfo, type StopReason } from '../optim/common.js';
import { Rng } from '../random.js';
import { Mlp } from './mlp.js';

/** Options of `fitRegression`. */
export interface FitRegressionOptions {
  /** Epochs allowed (one epoch = one Adam step per minibatch), default 200. */
  epochs?: number;
  /** Rows per minibatch, default 64 (the last minibatch of an epoch may be smaller). */
  batchSize?: number;
  /** Adam's step size, default 1e-3. */
  learningRate?: number;
  /** Seed of the row shuffling (a new permutation every epoch), default 1. */
  seed?: number;
  /** Row weights wᵢ ≥ 0 (n), not all zero; default all 1. */
  weights?: Float64Array;
  /** Output-column weights cⱼ ≥ 0 (outputDim), not all zero; default all 1. */
  columnWeights?: Float64Array;
  /** Adam's stopping rule on the relative change of the epoch loss (see optim.adam), default 1e-10. */
  ftol?: number;
  /** Consecutive epochs within ftol needed to stop, default 5. */
  patience?: number;
  /** Stop when the max-norm of the epoch-mean gradient is ≤ gtol, default 1e-6 (Adam's). */
  gtol?: number;
  signal?: AbortSignal;
  /** Called after every epoch with the epoch's mean minibatch loss. */
  onProgress?: (info: ProgressInfo) => void;
}

/** Result of `fitRegression`; the Mlp's parameters are set to the fitted ones. */
export interface FitRegressionResult {
  /** Epoch-mean minibatch loss, one entry per epoch (the parameters move within an epoch). */
  history: Float64Array;
  /** F at the returned parameters (a full pass over the data). */
  loss: number;
  epochs: number;
  evaluations: number;
  converged: boolean;
  reason: StopReason;
  /** Max-norm of ∇F at the returned parameters. */
  gradNorm: number;
}

function requireWeights(w: unknown, length: number, name: string): Float64Array {
  const a = requireFloat64Array(w, name);
  if (a.length !== length) throw new ShapeError(`${name} has ${a.length} values, ${length} are needed`, name);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(a[i] >= 0) || a[i] === Infinity) throw new ArgumentValueError(`${name}[${i}] must be finite and ≥ 0, got ${a[i]}`, `${name}[${i}]`);
    s += a[i];
  }
  if (!(s > 0)) throw new ArgumentValueError(`${name} must not be all zero`, name);
  return a;
}

function requireFinite(a: Float64Array, name: string): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new ArgumentValueError(`${name}[${i}] is not finite`, `${name}[${i}]`);
}

/**
 * Fits `mlp` to targets T (n×outputDim) from inputs X (n×inputDim), both row-major, by minimising
 * the weighted MSE above with Adam (src/optim/adam.ts) over shuffled minibatches, starting from the
 * Mlp's current parameters. Returns the loss history; leaves the fitted parameters in the Mlp.
 * Stops after `epochs`, on Adam's ftol/gtol rules, or on `signal`. No allocation per step.
 */
export function fitRegression(mlp: Mlp, X: Float64Array, T: Float64Array, options: FitRegressionOptions = {}): FitRegressionResult {
  if (!(mlp instanceof Mlp)) throw new ArgumentValueError('mlp must be an Mlp', 'mlp');
  checkOptions(options);
  const o = options as Record<string, unknown>;
  const p = mlp.inputDim;
  const m = mlp.outputDim;
  requireFloat64Array(X, 'X');
  requireFloat64Array(T, 'T');
  if (X.length === 0 || X.length % p !== 0) throw new ShapeError(`X has ${X.length} values, not a positive multiple of inputDim = ${p}`, 'X');
  const n = X.length / p;
  if (T.length !== n * m) throw new ShapeError(`T has ${T.length} values, ${n}×${m} (rows of X × outputDim) are needed`, 'T');
  requireFinite(X, 'X');
  requireFinite(T, 'T');
  const epochs = integerOption(o, 'epochs', 200, 0);
  const batchSize = Math.min(n, integerOption(o, 'batchSize', 64, 1));
  const learningRate = numberOption(o, 'learningRate', 1e-3, 0, Infinity, true);
  const seed = requireInteger(options.seed ?? 1, 'options.seed', 0, 2 ** 32 - 1);
  const w = options.weights === undefined ? undefined : requireWeights(options.weights, n, 'options.weights');
  const c = options.columnWeights === undefined ? new Float64Array(m).fill(1) : requireWeights(options.columnWeights, m, 'options.columnWeights');
  const ftol = numberOption(o, 'ftol', 1e-10, 0, Infinity);
  const patience = integerOption(o, 'patience', 5, 1);
  const gtol = numberOption(o, 'gtol', 1e-6, 0, Infinity);
  const signal = signalOption(o);
  const onProgress = callbackOption<(info: ProgressInfo) => void>(o, 'onProgress');

  const batches = Math.ceil(n / batchSize);
  let wSum = n;
  if (w) {
    wSum = 0;
    for (let i = 0; i < n; i++) wSum += w[i];
  }
  let cSum = 0;
  for (let j = 0; j < m; j++) cSum += c[j];
  const scale = batches / (wSum * cSum);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new Rng(seed);
  mlp.reserve(batchSize);
  const core = mlp.core;
  const inPtr = mlp.inputBuffer.ptr;
  const dPtr = mlp.dOutputBuffer.ptr;
  const xOff = inPtr >>> 3;
  const yOff = mlp.outputBuffer.ptr >>> 3;
  const dOff = dPtr >>> 3;

  const objective = (x: Float64Array, g: Float64Array, b: number): number => {
    if (b === 0) {
      // Fisher–Yates: a fresh permutation of the rows every epoch.
      for (let i = n - 1; i > 0; i--) {
        const k = Math.floor(rng.uniform() * (i + 1));
        const t = perm[i];
        perm[i] = perm[k];
        perm[k] = t;
      }
    }
    mlp.params.set(x);
    const r0 = b * batchSize;
    const nb = Math.min(batchSize, n - r0);
    const f64 = core.f64;
    for (let k = 0; k < nb; k++) {
      const src = perm[r0 + k] * p;
      const dst = xOff + k * p;
      for (let j = 0; j < p; j++) f64[dst + j] = X[src + j];
    }
    mlp.forwardAt(inPtr, p, nb);
    let loss = 0;
    for (let k = 0; k < nb; k++) {
      const i = perm[r0 + k];
      const wi = w ? w[i] : 1;
      const t = i * m;
      const y = yOff + k * m;
      const d = dOff + k * m;
      for (let j = 0; j < m; j++) {
        const r = f64[y + j] - T[t + j];
        const wr = wi * c[j] * r;
        loss += wr * r;
        f64[d + j] = 2 * scale * wr;
      }
    }
    mlp.zeroGrad();
    mlp.backwardAt(dPtr, m);
    g.set(mlp.grad);
    return scale * loss;
  };

  const history: number[] = [];
  const r = adam(objective, mlp.getParams(), {
    learningRate,
    maxIterations: epochs,
    batches,
    ftol,
    patience,
    gtol,
    signal,
    onProgress: (info) => {
      history.push(info.f);
      onProgress?.(info);
    },
  });
  mlp.setParams(r.x);
  return {
    history: Float64Array.from(history),
    loss: r.f,
    epochs: r.iterations,
    evaluations: r.evaluations,
    converged: r.converged,
    reason: r.reason,
    gradNorm: r.gradNorm,
  };
}
