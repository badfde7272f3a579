/**
 * The encoding-dimension search: the singular values of the centred data with the optimal hard
 * threshold (Gavish & Donoho 2014) that FRASER 2 uses to pick q, or the AUC-PR of recovering
 * injected outliers for each q of a grid (FRASER's hyper-parameter search), with the chosen q marked.
 */
import { format } from 'd3-format';
import { ArgumentValueError } from '../errors.js';
import { frame, type Frame, type LegendItem } from './frame.js';
import { dotPath, plural, requireArrayLike, requireLength } from './marks.js';
import { GREY, INK, PALETTE, el, num, text, type PlotOptions } from './svg.js';
import { line } from 'd3-shape';

export interface SingularValuesData {
  /** Singular values, largest first (their order is kept; index 1 is the first). */
  singularValues: ArrayLike<number>;
  /** The hard threshold τ; values above it are kept. */
  threshold?: number;
  /** The chosen q (marked); default: how many values exceed the threshold. */
  q?: number;
}

export interface AucPrData {
  /** The q values tried. */
  grid: ArrayLike<number>;
  /** AUC-PR at each q, in [0, 1]; NaN (or a value outside [0, 1]) for a q that could not be fitted: a gap. */
  aucPr: ArrayLike<number>;
  /** The chosen q (marked); default: the q with the largest AUC-PR (the first, on ties). */
  q?: number;
}

const KEPT = PALETTE[0];
const CHOSEN = PALETTE[1];
const g3 = format('.3~g');

/** A dashed vertical (x) or horizontal (y) rule across the plot area. */
const rule = (f: Frame, at: { x: number } | { y: number }, colour: string, cls: string) =>
  el('path', { class: cls, d: 'x' in at ? `M${num(at.x)} ${num(f.top)}V${num(f.bottom)}` : `M${num(f.left)} ${num(at.y)}H${num(f.right)}`, stroke: colour, 'stroke-width': 1.2, 'stroke-dasharray': '5 3', fill: 'none' });

/**
 * Singular values on a log axis against their index, the threshold as a horizontal line, the values
 * above it in colour and the chosen q as a vertical line. Values below 10⁻⁶ of the largest are left
 * out and counted in a footnote: centring makes the last one zero, and singular values taken as
 * square roots of a Gram matrix's eigenvalues (linalg.gramSvd) are only good to about √ε ≈ 1.5e-8
 * of the largest, so such a value is noise (1e-6 was seen) that would stretch the axis by decades.
 */
export function singularValues(data: SingularValuesData, options: PlotOptions = {}): string {
  const s = requireArrayLike(data?.singularValues, 'singularValues') as ArrayLike<number>;
  const m = s.length;
  let largest = 0;
  for (let i = 0; i < m; i++) if (s[i] > largest) largest = s[i];
  const floor = largest * 1e-6;
  const shown: number[] = [];
  for (let i = 0; i < m; i++) if (s[i] > floor) shown.push(i);
  const tau = data.threshold;
  if (tau !== undefined && !(tau >= 0)) throw new ArgumentValueError(`threshold must be ≥ 0, got ${tau}`, 'threshold');
  const above = tau === undefined ? 0 : shown.filter((i) => s[i] > tau).length;
  const q = data.q ?? (tau !== undefined ? above : undefined);
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of shown) {
    lo = Math.min(lo, s[i]);
    hi = Math.max(hi, s[i]);
  }
  if (tau !== undefined && tau > 0) {
    lo = Math.min(lo, tau);
    hi = Math.max(hi, tau);
  }
  const legend: LegendItem[] = [];
  if (tau !== undefined) {
    legend.push({ label: `above the threshold (${above})`, color: KEPT }, { label: 'below', color: GREY });
    legend.push({ label: `threshold τ = ${g3(tau)}`, color: INK, shape: 'dashed' });
  }
  if (q !== undefined) legend.push({ label: `chosen q = ${q}`, color: CHOSEN, shape: 'dashed' });
  const footnotes = m > shown.length ? [`${plural(m - shown.length, 'singular value')} at or below 10⁻⁶ of the largest (numerically zero) not shown.`] : [];
  const f = frame({
    ...options,
    title: options.title ?? 'Encoding dimension: singular values',
    subtitle: options.subtitle ?? `${plural(m, 'singular value')} of the centred data${tau !== undefined ? '; optimal hard threshold (Gavish & Donoho 2014)' : ''}`,
    x: { label: 'index', domain: [0.5, Math.max(m, 1) + 0.5], integer: true, nice: false },
    y: { label: 'singular value', scale: 'log', domain: shown.length ? [lo, hi] : [1, 10] },
    legend,
    footnotes,
  });
  const marks: string[] = [];
  // q between its index and the next: the values left of the line are the ones kept.
  if (q !== undefined && q >= 0 && q <= m) marks.push(rule(f, { x: f.x(q + 0.5) }, CHOSEN, 'chosen'), text(f.x(q + 0.5) + 4, f.top + 12, `q = ${q}`, { fill: CHOSEN, 'font-size': 12 }));
  if (tau !== undefined && tau > 0) marks.push(rule(f, { y: f.y(tau) }, INK, 'threshold'));
  const keptIdx = shown.filter((i) => tau !== undefined && s[i] > tau);
  const restIdx = shown.filter((i) => !(tau !== undefined && s[i] > tau));
  const r = m > 200 ? 1.8 : 3;
  marks.push(dotPath(restIdx.map((i) => f.x(i + 1)), restIdx.map((i) => f.y(s[i])), tau === undefined ? KEPT : GREY, r, { class: 'values-below' }));
  marks.push(dotPath(keptIdx.map((i) => f.x(i + 1)), keptIdx.map((i) => f.y(s[i])), KEPT, r, { class: 'values-above' }));
  return f.render(marks.filter(Boolean).join('\n'));
}

/**
 * AUC-PR against q: a line through the grid points (gaps at NaN), the chosen q as a vertical line
 * and a ring. The x axis is logarithmic when the grid spans a factor of 10 or more.
 */
export function aucPrSearch(data: AucPrData, options: PlotOptions = {}): string {
  const grid = requireArrayLike(data?.grid, 'grid') as ArrayLike<number>;
  const auc = requireArrayLike(data.aucPr, 'aucPr') as ArrayLike<number>;
  requireLength(auc, grid.length, 'aucPr', 'grid');
  const pts: number[] = [];
  for (let i = 0; i < grid.length; i++) if (grid[i] > 0 && Number.isFinite(grid[i])) pts.push(i);
  pts.sort((a, b) => grid[a] - grid[b] || a - b);
  const valid = (i: number) => auc[i] >= 0 && auc[i] <= 1;
  let best = -1;
  for (const i of pts) if (valid(i) && (best < 0 || auc[i] > auc[best])) best = i;
  const q = data.q ?? (best >= 0 ? grid[best] : undefined);
  const qs = pts.map((i) => grid[i]);
  const qLo = qs.length ? qs[0] : 1;
  const qHi = qs.length ? qs[qs.length - 1] : 10;
  const logX = qHi / qLo >= 10;
  const fin = pts.filter(valid).map((i) => auc[i]);
  const yLo = fin.length ? Math.min(...fin) : 0;
  const yHi = fin.length ? Math.max(...fin) : 1;
  const pad = Math.max((yHi - yLo) * 0.1, 0.02);
  const qi = q === undefined ? undefined : pts.find((i) => grid[i] === q);
  const qAuc = qi !== undefined && valid(qi) ? auc[qi] : NaN;
  const legend: LegendItem[] = [{ label: 'AUC-PR', color: KEPT, shape: 'line' }];
  if (q !== undefined) legend.push({ label: `chosen q = ${q}${Number.isFinite(qAuc) ? ` (AUC-PR ${format('.3f')(qAuc)})` : ''}`, color: CHOSEN, shape: 'dashed' });
  const skipped = pts.length - fin.length;
  const footnotes = skipped ? [`${plural(skipped, 'grid point')} without an AUC-PR (not fitted) left as a gap.`] : [];
  const f = frame({
    ...options,
    title: options.title ?? 'Encoding dimension: AUC-PR per q',
    subtitle: options.subtitle ?? `recovery of injected outliers over ${plural(qs.length, 'value')} of q`,
    x: { label: 'q (encoding dimension)', scale: logX ? 'log' : 'linear', domain: logX ? [qLo / 1.15, qHi * 1.15] : [qLo - 0.5, qHi + 0.5], integer: true, nice: false },
    y: { label: 'AUC-PR', domain: [Math.max(0, yLo - pad), Math.min(1, yHi + pad)] },
    legend,
    footnotes,
  });
  const path = line<number>()
    .defined(valid)
    .x((i) => f.x(grid[i]))
    .y((i) => f.y(auc[i]))
    .digits(1);
  const marks: string[] = [];
  if (q !== undefined && q >= f.xDomain[0] && q <= f.xDomain[1]) marks.push(rule(f, { x: f.x(q) }, CHOSEN, 'chosen'));
  marks.push(el('path', { class: 'curve', d: path(pts) ?? '', stroke: KEPT, 'stroke-width': 2, fill: 'none' }));
  const finPts = pts.filter(valid);
  marks.push(dotPath(finPts.map((i) => f.x(grid[i])), finPts.map((i) => f.y(auc[i])), KEPT, 3.2, { class: 'points' }));
  if (Number.isFinite(qAuc)) marks.push(el('circle', { class: 'chosen-point', cx: f.x(q!), cy: f.y(qAuc), r: 7, fill: 'none', stroke: CHOSEN, 'stroke-width': 2 }));
  return f.render(marks.filter(Boolean).join('\n'));
}

/** The `qSelection` of a FRASER fit (structurally): optimal hard thresholding or a grid search. */
export type QSelectionLike =
  | { method: 'oht'; singularValues: ArrayLike<number>; threshold: number; rank?: number }
  | { method: 'grid'; grid: ArrayLike<number>; aucPr: ArrayLike<number> }
  | { method: string };

/**
 * The figure for however q was chosen: `singularValues` for 'oht', `aucPrSearch` for 'grid'.
 * `q` is the q the fit used (pass `fit.q`: with OHT it can differ from the count above the
 * threshold, by the fallback to 2 or the cap below min(N, J)). Throws ArgumentValueError for a q
 * that was given (method 'given'): there was no search to show.
 */
export function encodingDimension(selection: QSelectionLike, q?: number, options: PlotOptions = {}): string {
  if (selection?.method === 'oht') {
    const s = selection as Extract<QSelectionLike, { method: 'oht' }>;
    return singularValues({ singularValues: s.singularValues, threshold: s.threshold, q: q ?? s.rank }, options);
  }
  if (selection?.method === 'grid') {
    const s = selection as Extract<QSelectionLike, { method: 'grid' }>;
    return aucPrSearch({ grid: s.grid, aucPr: s.aucPr, q }, options);
  }
  throw new ArgumentValueError(`q was not searched (qSelection.method is '${String(selection?.method)}'): nothing to plot`, 'selection');
}
