/**
 * QQ plot of p-values: observed against expected −log10 p, with the pointwise confidence band of
 * uniform order statistics; for one pooled set of p-values or one series per sample.
 */
import { area } from 'd3-shape';
import { format } from 'd3-format';
import { ArgumentValueError } from '../errors.js';
import { plottingPosition, qqBand } from './beta.js';
import { frame, layoutTwice, type LegendItem } from './frame.js';
import { count, dotPath, plural, requireArrayLike, trianglePath, yCap } from './marks.js';
import { GREY, MUTED, PALETTE, el, num, type PlotOptions } from './svg.js';

export interface QQSeries {
  /** The series' name (a sample ID), for the legend. */
  name: string;
  pValues: ArrayLike<number>;
  /** With many series, only highlighted ones get a colour and a legend entry. */
  highlight?: boolean;
}

export interface QQOptions extends PlotOptions {
  /** Confidence level of the band (default 0.95); 0 draws no band. */
  level?: number;
  /** Top of the y axis in −log10 p; p = 0 and points above it are drawn at the cap as triangles (default as in `volcano`). */
  yCap?: number;
  /** Minimum distance in px between consecutive drawn points of a series (default 1, or 2 with more than 10 series). */
  thinning?: number;
}

/** At most this many series get their own colour and legend entry. */
const MAX_COLOURED = PALETTE.length - 1;
const f3 = format('.3~g');

interface Prepared {
  name: string;
  highlight: boolean;
  sorted: Float64Array;
  skipped: number;
}

function prepare(s: QQSeries, index: number): Prepared {
  const p = requireArrayLike(s?.pValues, `series[${index}].pValues`) as ArrayLike<number>;
  const keep: number[] = [];
  let skipped = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v >= 0 && v <= 1) keep.push(v);
    else skipped++;
  }
  return { name: String(s.name ?? `series ${index + 1}`), highlight: Boolean(s.highlight), sorted: Float64Array.from(keep).sort(), skipped };
}

/**
 * The QQ plot as an SVG document. `series` is one array of p-values (pooled) or one `QQSeries` per
 * sample.
 *
 * Expected −log10 p of rank i among n is −log10 of R's ppoints (FRASER's plotQQ); the band is the
 * `level` interval of Beta(i, n − i + 1) (see `qqBand`), drawn for the largest n among the series.
 * NaN and values outside [0, 1] are skipped and counted in a footnote. Each series is drawn as one
 * dot path, a point kept only when it is at least `thinning` px from the last kept one (the points
 * of a sorted series lie on a monotone curve, so this drops only overdrawn dots), which bounds a
 * series to a few thousand dots whatever n is (10⁶ p-values make a file of a few tens of kB).
 */
export function qq(series: ArrayLike<number> | QQSeries[], options: QQOptions = {}): string {
  const list: QQSeries[] = Array.isArray(series) && series.length > 0 && typeof series[0] === 'object' && series[0] !== null ? (series as QQSeries[]) : [{ name: 'all p-values', pValues: requireArrayLike(series, 'series') as ArrayLike<number> }];
  const prepared = list.map(prepare);
  const level = options.level ?? 0.95;
  if (!(level >= 0 && level < 1)) throw new ArgumentValueError(`level must be in [0, 1), got ${level}`, 'level');
  const nMax = Math.max(0, ...prepared.map((s) => s.sorted.length));
  const skipped = prepared.reduce((a, s) => a + s.skipped, 0);

  let maxFinite = -Infinity;
  let hasZero = false;
  for (const s of prepared) {
    if (s.sorted.length === 0) continue;
    let k = 0;
    while (k < s.sorted.length && s.sorted[k] === 0) k++;
    if (k > 0) hasZero = true;
    if (k < s.sorted.length) maxFinite = Math.max(maxFinite, -Math.log10(s.sorted[k]));
  }
  const cap = yCap(options.yCap, hasZero, maxFinite);

  const band = nMax > 0 && level > 0 ? qqBand(nMax, level) : undefined;
  const xMax = nMax > 0 ? -Math.log10(plottingPosition(1, nMax)) : 1;
  let yMax = Math.max(xMax, Number.isFinite(maxFinite) ? maxFinite : 0);
  if (band) yMax = Math.max(yMax, -Math.log10(band.lower[0]));
  let nCapped = 0;
  for (const s of prepared) for (let i = 0; i < s.sorted.length && -Math.log10(s.sorted[i]) > (cap ?? Infinity); i++) nCapped++;
  if (cap !== undefined) yMax = nCapped ? cap : Math.min(yMax, cap);

  // Colours: one series blue; up to MAX_COLOURED series each a colour; more, grey with the
  // highlighted ones coloured.
  const coloured = prepared.length <= MAX_COLOURED ? prepared.map((_, i) => i) : prepared.flatMap((s, i) => (s.highlight ? [i] : [])).slice(0, MAX_COLOURED);
  const colour = (i: number) => {
    const k = coloured.indexOf(i);
    return k < 0 ? GREY : PALETTE[k];
  };
  const legend: LegendItem[] = coloured.map((i) => ({ label: prepared.length === 1 ? `${prepared[i].name} (${count(prepared[i].sorted.length)})` : prepared[i].name, color: colour(i) }));
  if (prepared.length > coloured.length) legend.push({ label: `${coloured.length ? 'other ' : ''}${plural(prepared.length - coloured.length, 'sample')}`, color: GREY });
  if (band) legend.push({ label: `${f3(level * 100)}% band (n = ${count(nMax)})`, color: GREY, shape: 'band' });
  legend.push({ label: 'expected', color: MUTED, shape: 'dashed' });
  if (nCapped) legend.push({ label: `${hasZero ? 'p = 0 or ' : ''}above the cap (${count(nCapped)})`, color: MUTED, shape: 'triangle' });

  const footnotes: string[] = [];
  if (skipped) footnotes.push(`${plural(skipped, 'p-value')} that ${skipped === 1 ? 'is' : 'are'} NaN or outside [0, 1] skipped.`);
  const sizes = new Set(prepared.map((s) => s.sorted.length));
  if (band && sizes.size > 1) footnotes.push(`The series have between ${count(Math.min(...sizes))} and ${count(nMax)} p-values; the band is for ${count(nMax)}.`);
  const thinning = options.thinning ?? (prepared.length > 10 ? 2 : 1);

  return layoutTwice((late) => {
    const f = frame({
      ...options,
      title: options.title ?? 'QQ plot of p-values',
      subtitle: options.subtitle ?? (prepared.length === 1 ? `${plural(nMax, 'p-value')}` : `${plural(prepared.length, 'sample')}, up to ${plural(nMax, 'p-value')} each`),
      x: { label: 'expected −log₁₀ p', domain: [0, xMax * 1.02] },
      y: { label: 'observed −log₁₀ p', domain: [0, yMax * 1.03] },
      legend,
      footnotes,
      lateNotes: late,
    });
    const marks: string[] = [];
    if (band) {
      const idx = Array.from(band.ranks, (_, k) => k);
      const shape = area<number>()
        .x((k) => f.x(-Math.log10(band.expected[k])))
        .y0((k) => f.y(Math.min(-Math.log10(band.upper[k]), f.yDomain[1])))
        .y1((k) => f.y(Math.min(-Math.log10(band.lower[k]), f.yDomain[1])))
        .digits(1);
      marks.push(el('path', { class: 'band', d: shape(idx) ?? '', fill: GREY, 'fill-opacity': 0.25, stroke: 'none' }));
    }
    const diag = Math.min(f.xDomain[1], f.yDomain[1]);
    marks.push(el('path', { class: 'expected', d: `M${num(f.x(0))} ${num(f.y(0))}L${num(f.x(diag))} ${num(f.y(diag))}`, stroke: MUTED, 'stroke-width': 1, 'stroke-dasharray': '4 3', fill: 'none' }));
    if (nCapped) marks.push(el('path', { class: 'cap', d: `M${num(f.left)} ${num(f.y(cap!))}H${num(f.right)}`, stroke: GREY, 'stroke-width': 1, 'stroke-dasharray': '2 3', fill: 'none' }));

    let drawn = 0;
    let total = 0;
    // Grey series first, coloured ones on top in legend order.
    const order = [...prepared.keys()].filter((i) => !coloured.includes(i)).concat(coloured);
    for (const si of order) {
      const s = prepared[si];
      const n = s.sorted.length;
      const xs: number[] = [];
      const ys: number[] = [];
      const tx: number[] = [];
      const ty: number[] = [];
      let lx = -Infinity;
      let ly = -Infinity;
      // From the largest p (the bulk) to the smallest, so the most significant point is always kept.
      for (let i = n - 1; i >= 0; i--) {
        const obs = -Math.log10(s.sorted[i]) + 0;
        const px = f.x(-Math.log10(plottingPosition(i + 1, n)));
        const isCapped = cap !== undefined && obs > cap;
        const py = f.y(isCapped ? cap! : obs);
        if (isCapped) {
          tx.push(px);
          ty.push(py);
          continue;
        }
        if (i > 0 && Math.abs(px - lx) < thinning && Math.abs(py - ly) < thinning) continue;
        xs.push(px);
        ys.push(py);
        lx = px;
        ly = py;
      }
      drawn += xs.length + tx.length;
      total += n;
      marks.push(dotPath(xs, ys, colour(si), 1.8, { class: 'series', 'data-series': s.name }));
      marks.push(trianglePath(tx, ty, colour(si), { class: 'series-capped', 'data-series': s.name }));
    }
    const notes: string[] = [];
    if (drawn < total) notes.push(`${plural(drawn, 'point')} drawn of ${count(total)}: consecutive points closer than ${thinning} px are drawn once.`);
    return { frame: f, marks: marks.filter(Boolean).join('\n'), notes };
  });
}
