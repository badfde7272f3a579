/**
 * Marks shared by the figures, and the input checks they share.
 *
 * Many points cost little: a set of same-coloured dots is one `<path>` of zero-length segments
 * ("M x yh0") stroked with round caps, which every SVG renderer draws as discs (SVG 1.1 §11.4 on
 * zero-length subpaths), about 10 bytes a point instead of ~40 for a `<circle>`. Dense regions are
 * thinned on a pixel grid: of the points that fall in one grid cell only the first (in input order)
 * is kept, which at a cell no larger than the dot's radius changes no pixel's colour in a one-colour
 * layer. Both are deterministic.
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError } from '../errors.js';
import { format } from 'd3-format';
import { el, num } from './svg.js';

/** One path of dots of radius r at (xs[i], ys[i]). */
export function dotPath(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, r: number, extra: Record<string, string | number> = {}): string {
  if (xs.length === 0) return '';
  let d = '';
  for (let i = 0; i < xs.length; i++) d += `M${num(xs[i])} ${num(ys[i])}h0`;
  return el('path', { ...extra, d, stroke: color, 'stroke-width': 2 * r, 'stroke-linecap': 'round', fill: 'none' });
}

/** One path of upward triangles (markers for values beyond an axis cap) centred at (xs[i], ys[i]). */
export function trianglePath(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, extra: Record<string, string | number> = {}, size = 4.5): string {
  if (xs.length === 0) return '';
  let d = '';
  const h = size * 1.7;
  for (let i = 0; i < xs.length; i++) d += `M${num(xs[i])} ${num(ys[i] - h / 2)}l${num(size)} ${num(h)}h${num(-2 * size)}z`;
  return el('path', { ...extra, d, fill: color });
}

/**
 * Indices of the points to draw after thinning on a grid of `cell` px: the first point (in the
 * order of `order`, or input order) of each cell, a cell being the points that `snap` sends to one
 * grid node. `cell` ≤ 0 keeps every point.
 */
export function thinOnGrid(px: ArrayLike<number>, py: ArrayLike<number>, cell: number, order?: ArrayLike<number>): number[] {
  const m = order ? order.length : px.length;
  const keep: number[] = [];
  if (!(cell > 0)) {
    for (let k = 0; k < m; k++) keep.push(order ? order[k] : k);
    return keep;
  }
  const seen = new Set<number>();
  for (let k = 0; k < m; k++) {
    const i = order ? order[k] : k;
    // Cells are keyed as one number; the plot is at most a few thousand cells wide.
    const key = Math.round(px[i] / cell) * 1_000_003 + Math.round(py[i] / cell);
    if (seen.has(key)) continue;
    seen.add(key);
    keep.push(i);
  }
  return keep;
}

/** A coordinate moved to the nearest node of a grid of `cell` px (unchanged for `cell` ≤ 0). */
export const snap = (v: number, cell: number) => (cell > 0 ? Math.round(v / cell) * cell : v);

/**
 * The top of a −log10 p axis: `given` (checked), or, when some p is 0 (−log10 p = ∞), max(1.1 m,
 * m + 1) with m the largest finite −log10 p (10 when there is none), so that the capped points sit
 * clearly above the rest; undefined when nothing needs a cap.
 */
export function yCap(given: number | undefined, hasZero: boolean, maxFinite: number): number | undefined {
  if (given !== undefined) {
    if (!(given > 0 && Number.isFinite(given))) throw new ArgumentValueError(`yCap must be a positive finite number, got ${given}`, 'yCap');
    return given;
  }
  if (!hasZero) return undefined;
  return Number.isFinite(maxFinite) ? Math.max(1.1 * maxFinite, maxFinite + 1) : 10;
}

/** Throws unless `v` is array-like (a typed array or an array). */
export function requireArrayLike(v: unknown, name: string): ArrayLike<any> {
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<unknown>).length !== 'number') {
    throw new ArgumentTypeError(`${name} must be an array or a typed array, got ${v === null ? 'null' : typeof v}`, name);
  }
  return v as ArrayLike<any>;
}

/** Throws ShapeError unless `v` has length n. */
export function requireLength(v: ArrayLike<unknown>, n: number, name: string, of: string): void {
  if (v.length !== n) throw new ShapeError(`${name} has ${v.length} entries but ${of} has ${n}`, name);
}

/** Integers with thousands separators (d3-format, en-US, no Intl needed). */
export const count = format(',d');

/** "1 point" / "3,000 points". */
export const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;
