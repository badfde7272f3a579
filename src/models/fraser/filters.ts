/**
 * FRASER 2's junction filters (filterExpressionAndVariability with its defaults):
 *
 *   expression   max over samples of k ≥ minExpressionInOneSample (20)
 *                and the `quantile` (0.75) quantile over samples of n ≥ quantileMinExpression (10)
 *   variability  max over samples of |ψ − centre| ≥ minDeltaPsi (0: off)
 *
 * k is the junction's split reads and n its total under the chosen metric (the reference filters
 * on K_j and the jaccard N). The quantile is R's default, type 7 (matrixStats::rowQuantiles, which
 * the reference calls): with the n values sorted x₀ ≤ … ≤ x_{N−1} and h = (N − 1)·p, it is
 * x_⌊h⌋ + (h − ⌊h⌋)·(x_⌊h⌋+1 − x_⌊h⌋). The variability centre is the mean ψ over samples, skipping
 * NaN, as the reference computes maxDJaccard (rowMeans2(na.rm = TRUE)); 'median' uses the median
 * the metrics' Δψ is taken from. A feature whose ψ is NaN in every sample has max |Δψ| = 0 (the
 * reference's pmax(…, 0, na.rm = TRUE)).
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError } from '../../errors.js';
import { COLUMN_BLOCK, gatherColumns, medianInPlace, minFrom, selectInPlace } from './metrics.js';

export interface FilterOptions {
  /** Minimum of the largest k over samples. Default 20. */
  minExpressionInOneSample?: number;
  /** Which quantile of n over samples is compared with quantileMinExpression. Default 0.75. */
  quantile?: number;
  /** Minimum of that quantile of n. Default 10. */
  quantileMinExpression?: number;
  /** Minimum of the largest |ψ − centre| over samples. Default 0 (no variability filter). */
  minDeltaPsi?: number;
  /** The centre of the variability filter. Default 'mean', as the reference. */
  variabilityCentre?: 'mean' | 'median';
  /** Throw EmptyFilterResultError, saying which filter removed everything, when nothing passes. Default false. */
  throwIfEmpty?: boolean;
}

export interface FilterInput {
  /** samples × features, row-major. */
  k: Uint32Array | Float64Array;
  /** samples × features, row-major. */
  n: Uint32Array | Float64Array;
  /** N. */
  samples: number;
  /** k/n if already computed (NaN where n = 0); computed otherwise. */
  psi?: Float64Array;
}

/** Bits of FilterResult.reasons. */
export const FILTER_MAX_COUNT = 1;
export const FILTER_QUANTILE = 2;
export const FILTER_DELTA_PSI = 4;

export interface FilterResult {
  /** 1 where the feature passed every filter. */
  passed: Uint8Array;
  passedExpression: Uint8Array;
  passedVariability: Uint8Array;
  /** Why each feature was dropped: FILTER_MAX_COUNT | FILTER_QUANTILE | FILTER_DELTA_PSI bits (0: kept). */
  reasons: Uint8Array;
  /** Per feature: the largest k, the quantile of n, the largest |ψ − centre|. */
  maxCount: Float64Array;
  quantileValue: Float64Array;
  maxDeltaPsi: Float64Array;
  features: number;
  kept: number;
  dropped: number;
  /** Features failing each criterion (a feature may fail several). */
  droppedBy: { maxCount: number; quantile: number; deltaPsi: number };
  options: Required<Omit<FilterOptions, 'throwIfEmpty'>>;
  /** One line: how many were kept and why the others were dropped. */
  summary: string;
}

/** No feature passed the filters; the message says which filter removed them. */
export class EmptyFilterResultError extends ArgumentValueError {
  readonly result: FilterResult;
  constructor(result: FilterResult) {
    const o = result.options;
    const all: string[] = [];
    if (result.droppedBy.maxCount === result.features) all.push(`every feature has max k < ${o.minExpressionInOneSample} (minExpressionInOneSample)`);
    if (result.droppedBy.quantile === result.features) all.push(`every feature has the ${+(100 * o.quantile).toFixed(6)}% quantile of N < ${o.quantileMinExpression} (quantileMinExpression)`);
    if (result.droppedBy.deltaPsi === result.features) all.push(`every feature has max |Δψ| < ${o.minDeltaPsi} (minDeltaPsi)`);
    const why = result.features === 0 ? 'there were no features to filter' : all.length > 0 ? all.join('; ') : 'no single filter removed all of them, together they did';
    super(`no feature passed the filters: ${why}. ${result.summary}`, 'filters');
    this.result = result;
  }
}

/** R's type-7 quantile of the first m values of `x` (no NaN; this reorders them). */
export function quantileType7(x: Float64Array, m: number, p: number): number {
  if (m === 0) return NaN;
  const h = (m - 1) * p;
  const lo = Math.floor(h);
  const a = selectInPlace(x, m, lo);
  return lo + 1 < m && h > lo ? a + (h - lo) * (minFrom(x, lo + 1, m) - a) : a;
}

function numberOption(v: number | undefined, fallback: number, name: string, min: number, max = Infinity): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= min && v <= max)) throw new ArgumentValueError(`${name} must be a number in [${min}, ${max}], got ${String(v)}`, name);
  return v;
}

function describe(r: Omit<FilterResult, 'summary'>): string {
  const o = r.options;
  const q = `${+(100 * o.quantile).toFixed(6)}% quantile of N`;
  const parts = [`max k < ${o.minExpressionInOneSample}: ${r.droppedBy.maxCount}`, `${q} < ${o.quantileMinExpression}: ${r.droppedBy.quantile}`];
  if (o.minDeltaPsi > 0) parts.push(`max |Δψ| < ${o.minDeltaPsi}: ${r.droppedBy.deltaPsi}`);
  return `kept ${r.kept} of ${r.features} features; dropped ${r.dropped} (a feature may fail several: ${parts.join(', ')})`;
}

/** Applies the filters (see the file header). */
export function filterJunctions(input: FilterInput, options: FilterOptions = {}): FilterResult {
  const { k, n } = input;
  for (const [v, name] of [[k, 'k'], [n, 'n']] as const) {
    if (!(v instanceof Uint32Array || v instanceof Float64Array)) throw new ArgumentTypeError(`${name} must be a Uint32Array or Float64Array (samples × features)`, name);
  }
  const N = input.samples;
  if (!Number.isInteger(N) || N < 1) throw new ArgumentValueError(`samples must be a positive integer, got ${String(N)}`, 'samples');
  if (k.length !== n.length) throw new ShapeError(`k and n must have the same length, got ${k.length} and ${n.length}`, 'n');
  const F = k.length / N;
  if (!Number.isInteger(F)) throw new ShapeError(`k has ${k.length} entries, not a multiple of samples = ${N}`, 'samples');
  if (input.psi !== undefined && input.psi.length !== k.length) throw new ShapeError(`psi has ${input.psi.length} entries, k ${k.length}`, 'psi');
  const opts = {
    minExpressionInOneSample: numberOption(options.minExpressionInOneSample, 20, 'minExpressionInOneSample', 0),
    quantile: numberOption(options.quantile, 0.75, 'quantile', 0, 1),
    quantileMinExpression: numberOption(options.quantileMinExpression, 10, 'quantileMinExpression', 0),
    minDeltaPsi: numberOption(options.minDeltaPsi, 0, 'minDeltaPsi', 0),
    variabilityCentre: options.variabilityCentre ?? 'mean',
  };
  if (opts.variabilityCentre !== 'mean' && opts.variabilityCentre !== 'median') {
    throw new ArgumentValueError(`variabilityCentre must be 'mean' or 'median', got ${JSON.stringify(opts.variabilityCentre)}`, 'variabilityCentre');
  }
  const passed = new Uint8Array(F);
  const passedExpression = new Uint8Array(F);
  const passedVariability = new Uint8Array(F);
  const reasons = new Uint8Array(F);
  const maxCount = new Float64Array(F);
  const quantileValue = new Float64Array(F);
  const maxDeltaPsi = new Float64Array(F);
  const col = new Float64Array(N);
  const psiCol = new Float64Array(N);
  const droppedBy = { maxCount: 0, quantile: 0, deltaPsi: 0 };
  let kept = 0;
  const kb = new Float64Array(N * COLUMN_BLOCK);
  const nb = new Float64Array(N * COLUMN_BLOCK);
  const psi = input.psi;
  const pb = psi ? new Float64Array(N * COLUMN_BLOCK) : undefined;
  for (let j0 = 0; j0 < F; j0 += COLUMN_BLOCK) {
    const w = gatherColumns(k, N, F, j0, kb);
    gatherColumns(n, N, F, j0, nb);
    if (psi && pb) gatherColumns(psi, N, F, j0, pb);
    for (let b = 0; b < w; b++) {
      const j = j0 + b;
      const o = b * N;
      let mk = 0;
      let m = 0;
      for (let i = 0; i < N; i++) {
        const kv = kb[o + i];
        const nv = nb[o + i];
        if (kv > mk) mk = kv;
        col[i] = nv;
        const p = pb ? pb[o + i] : nv > 0 ? kv / nv : NaN;
        if (p === p) psiCol[m++] = p;
      }
      maxCount[j] = mk;
      quantileValue[j] = quantileType7(col, N, opts.quantile);
      let d = 0;
      if (m > 0) {
        let centre: number;
        if (opts.variabilityCentre === 'mean') {
          let s = 0;
          for (let i = 0; i < m; i++) s += psiCol[i];
          centre = s / m;
        } else {
          centre = medianInPlace(psiCol, m);
        }
        for (let i = 0; i < m; i++) d = Math.max(d, Math.abs(psiCol[i] - centre));
      }
      maxDeltaPsi[j] = d;
      let why = 0;
      if (!(mk >= opts.minExpressionInOneSample)) why |= FILTER_MAX_COUNT;
      if (!(quantileValue[j] >= opts.quantileMinExpression)) why |= FILTER_QUANTILE;
      if (!(d >= opts.minDeltaPsi)) why |= FILTER_DELTA_PSI;
      reasons[j] = why;
      passedExpression[j] = why & (FILTER_MAX_COUNT | FILTER_QUANTILE) ? 0 : 1;
      passedVariability[j] = why & FILTER_DELTA_PSI ? 0 : 1;
      passed[j] = why === 0 ? 1 : 0;
      if (why & FILTER_MAX_COUNT) droppedBy.maxCount++;
      if (why & FILTER_QUANTILE) droppedBy.quantile++;
      if (why & FILTER_DELTA_PSI) droppedBy.deltaPsi++;
      if (why === 0) kept++;
    }
  }
  const partial = { passed, passedExpression, passedVariability, reasons, maxCount, quantileValue, maxDeltaPsi, features: F, kept, dropped: F - kept, droppedBy, options: opts };
  const result: FilterResult = { ...partial, summary: describe(partial) };
  if (options.throwIfEmpty && kept === 0) throw new EmptyFilterResultError(result);
  return result;
}

/** Indices of the features that passed, ascending. */
export function passedIndex(result: Pick<FilterResult, 'passed'>): Uint32Array {
  let m = 0;
  for (const v of result.passed) m += v;
  const out = new Uint32Array(m);
  let o = 0;
  result.passed.forEach((v, j) => {
    if (v) out[o++] = j;
  });
  return out;
}
