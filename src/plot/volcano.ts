/**
 * Volcano plot of one sample: the change in splicing (Δψ, x) against the evidence (−log10 p, y), with
 * the aberrant calls highlighted and the most significant ones labelled.
 */
import { format } from 'd3-format';
import { frame, layoutTwice, type LegendItem } from './frame.js';
import { placeLabels } from './labels.js';
import { count, dotPath, plural, requireArrayLike, requireLength, snap, thinOnGrid, trianglePath, yCap } from './marks.js';
import { GREY, MUTED, PALETTE, el, escapeXml, num, type PlotOptions } from './svg.js';

export interface VolcanoData {
  /** Δψ per junction (observed minus expected, or minus the row median). */
  deltaPsi: ArrayLike<number>;
  /** Nominal p-value per junction, in [0, 1]. */
  pValues: ArrayLike<number>;
  /** Which junctions are calls (true or non-zero). Takes precedence over `padj` and the cutoffs. */
  called?: ArrayLike<boolean | number>;
  /** Adjusted p-values; with no `called`, a call is padj ≤ padjCutoff and |Δψ| ≥ deltaPsiCutoff. */
  padj?: ArrayLike<number>;
  /** N per junction; with `padj`, a call also needs N ≥ minTotalCount. */
  totalCounts?: ArrayLike<number>;
  /** A name per junction (gene or coordinates), used for the labels and the hover text. */
  labels?: ArrayLike<string>;
}

export interface VolcanoOptions extends PlotOptions {
  /** The sample's name, for the default title. */
  sample?: string;
  /** x-axis title (default "Δψ"); e.g. "Δ Intron Jaccard index". */
  xLabel?: string;
  /** Defaults of the reference: padj ≤ 0.1, |Δψ| ≥ 0.1, N ≥ 5. */
  padjCutoff?: number;
  deltaPsiCutoff?: number;
  minTotalCount?: number;
  /** How many of the most significant calls get a text label (needs `labels`; default 10). */
  labelTop?: number;
  /**
   * The top of the y axis in −log10 p. A p-value of 0 (underflow) or one with −log10 p above the cap
   * is drawn at the cap as a triangle and counted in the legend. Default: when there is such a point,
   * max(1.1 m, m + 1) with m the largest finite −log10 p of the others (10 when there is none);
   * otherwise no cap.
   */
  yCap?: number;
  /** Thinning grid for the points that are not calls, px (default 1; 0 draws every point). Calls are never thinned. */
  thinning?: number;
}

const CALL = PALETTE[1];
const MAX_HOVER = 2000;
const fP = format('.2~e');
const fD = format('+.3~f');

/**
 * The volcano plot as an SVG document.
 *
 * Points with a NaN or infinite Δψ, or a p-value that is NaN or outside [0, 1], are skipped and
 * counted in a footnote. Points that are not calls are drawn as one dot path, thinned on a 1 px grid
 * (a dense cloud of 10⁵ points becomes a few thousand dots, keeping the file to a few hundred kB at
 * most, with no visible difference); calls are drawn one `<circle>` each with a hover title (up to
 * 2,000; beyond that as a dot path too). Throws ShapeError for arrays of different lengths.
 */
export function volcano(data: VolcanoData, options: VolcanoOptions = {}): string {
  const dpsi = requireArrayLike(data?.deltaPsi, 'deltaPsi') as ArrayLike<number>;
  const p = requireArrayLike(data.pValues, 'pValues') as ArrayLike<number>;
  const n = dpsi.length;
  requireLength(p, n, 'pValues', 'deltaPsi');
  for (const key of ['called', 'padj', 'totalCounts', 'labels'] as const) {
    if (data[key] !== undefined) requireLength(requireArrayLike(data[key], key), n, key, 'deltaPsi');
  }
  const padjCutoff = options.padjCutoff ?? 0.1;
  const dpsiCutoff = options.deltaPsiCutoff ?? 0.1;
  const minN = options.minTotalCount ?? 5;
  const byCutoffs = data.called === undefined && data.padj !== undefined;
  const isCall = (i: number): boolean => {
    if (data.called !== undefined) return Boolean(data.called[i]);
    if (data.padj === undefined) return false;
    return data.padj[i] <= padjCutoff && Math.abs(dpsi[i]) >= dpsiCutoff && (data.totalCounts === undefined || data.totalCounts[i] >= minN);
  };

  // −log10 p per valid point; Infinity for p = 0.
  const y = new Float64Array(n);
  const valid: number[] = [];
  let skipped = 0;
  let maxFinite = -Infinity;
  let maxAbsX = 0;
  for (let i = 0; i < n; i++) {
    const d = dpsi[i];
    const pi = p[i];
    if (!Number.isFinite(d) || !(pi >= 0 && pi <= 1)) {
      skipped++;
      continue;
    }
    valid.push(i);
    y[i] = pi === 0 ? Infinity : -Math.log10(pi) + 0; // + 0 turns −0 (p = 1) into 0
    if (pi > 0 && y[i] > maxFinite) maxFinite = y[i];
    if (Math.abs(d) > maxAbsX) maxAbsX = Math.abs(d);
  }
  const hasZero = valid.some((i) => y[i] === Infinity);
  const cap = yCap(options.yCap, hasZero, maxFinite);
  const capped = (i: number) => cap !== undefined && y[i] > cap;
  const yPlot = (i: number) => (capped(i) ? cap! : y[i]);

  const calls = valid.filter(isCall);
  const others = valid.filter((i) => !isCall(i));
  const nCapped = valid.filter(capped).length;
  const drawCutoffLines = byCutoffs || options.deltaPsiCutoff !== undefined;

  const xMax = Math.max(maxAbsX, drawCutoffLines ? dpsiCutoff * 1.5 : 0, 0.05);
  let yTop = cap !== undefined && nCapped > 0 ? cap : 0;
  for (const i of valid) if (y[i] > yTop && !capped(i)) yTop = y[i];
  if (!(yTop > 0)) yTop = 1;

  const legend: LegendItem[] = [
    { label: `aberrant (${count(calls.length)})`, color: CALL },
    { label: `not aberrant (${count(others.length)})`, color: GREY },
  ];
  if (nCapped) legend.push({ label: `${hasZero ? 'p = 0 or ' : ''}above the cap, drawn at −log₁₀ p = ${format('.3~g')(cap!)} (${count(nCapped)})`, color: MUTED, shape: 'triangle' });
  if (drawCutoffLines) legend.push({ label: `|Δψ| = ${format('~g')(dpsiCutoff)}`, color: MUTED, shape: 'dashed' });

  const footnotes: string[] = [];
  if (skipped) footnotes.push(`${plural(skipped, 'junction')} with a NaN Δψ or p-value (or p outside [0, 1]) skipped.`);

  const subtitleParts = [`${plural(valid.length, 'junction')}`];
  if (byCutoffs) subtitleParts.push(`calls: padj ≤ ${format('~g')(padjCutoff)}, |Δψ| ≥ ${format('~g')(dpsiCutoff)}${data.totalCounts !== undefined ? `, N ≥ ${format('~g')(minN)}` : ''}`);

  return layoutTwice((late) => {
    const f = frame({
      ...options,
      title: options.title ?? (options.sample !== undefined ? `Volcano plot: ${options.sample}` : 'Volcano plot'),
      subtitle: options.subtitle ?? subtitleParts.join(' · '),
      x: { label: options.xLabel ?? 'Δψ', domain: [-xMax, xMax] },
      y: { label: '−log₁₀ p', domain: [0, yTop * 1.03] },
      legend,
      footnotes,
      lateNotes: late,
    });
    const notes: string[] = [];

    const marks: string[] = [];
    if (drawCutoffLines) {
      let d = '';
      for (const v of [-dpsiCutoff, dpsiCutoff]) if (v >= f.xDomain[0] && v <= f.xDomain[1]) d += `M${num(f.x(v))} ${num(f.top)}V${num(f.bottom)}`;
      marks.push(el('path', { class: 'cutoffs', d, stroke: MUTED, 'stroke-width': 1, 'stroke-dasharray': '4 3', fill: 'none' }));
    }
    if (nCapped) {
      marks.push(el('path', { class: 'cap', d: `M${num(f.left)} ${num(f.y(cap!))}H${num(f.right)}`, stroke: GREY, 'stroke-width': 1, 'stroke-dasharray': '2 3', fill: 'none' }));
    }

    // Not called: thinned, and each kept point drawn at its grid node (at most half a cell away; the
    // dot is 3.6 px wide), so that the path's numbers are short and no two dots coincide.
    const px = new Float64Array(n);
    const py = new Float64Array(n);
    for (const i of valid) {
      px[i] = f.x(dpsi[i]);
      py[i] = f.y(yPlot(i));
    }
    const thinning = options.thinning ?? 1;
    const plainOthers = others.filter((i) => !capped(i));
    const kept = thinOnGrid(px, py, thinning, plainOthers);
    const rx = kept.map((i) => snap(px[i], thinning));
    const ry = kept.map((i) => snap(py[i], thinning));
    marks.push(dotPath(rx, ry, GREY, 1.8, { class: 'others', 'stroke-opacity': 0.8 }));
    const cappedOthers = others.filter(capped);
    marks.push(trianglePath(cappedOthers.map((i) => px[i]), cappedOthers.map((i) => py[i]), GREY, { class: 'others-capped' }));
    if (kept.length < plainOthers.length) {
      notes.push(`${plural(plainOthers.length - kept.length, 'point')} not called, each within ${format('~g')(thinning)} px of one drawn, thinned out (${count(kept.length)} drawn).`);
    }

    // Calls, with hover titles.
    const label = (i: number) => (data.labels !== undefined ? String(data.labels[i]) : `#${i + 1}`);
    const hover = (i: number) => `${label(i)}: Δψ ${fD(dpsi[i])}, p ${fP(p[i])}${data.padj !== undefined ? `, padj ${fP(data.padj[i])}` : ''}`;
    const plainCalls = calls.filter((i) => !capped(i));
    const cappedCalls = calls.filter(capped);
    if (calls.length <= MAX_HOVER) {
      let g = '';
      for (const i of plainCalls) g += el('circle', { cx: px[i], cy: py[i], r: 3 }, `<title>${escapeXml(hover(i))}</title>`);
      for (const i of cappedCalls) {
        g += el('path', { d: `M${num(px[i])} ${num(py[i] - 3.8)}l4.5 7.7h-9z` }, `<title>${escapeXml(hover(i))} (drawn at the cap)</title>`);
      }
      marks.push(el('g', { class: 'calls', fill: CALL, stroke: '#ffffff', 'stroke-width': 0.5 }, g));
    } else {
      marks.push(dotPath(plainCalls.map((i) => px[i]), plainCalls.map((i) => py[i]), CALL, 2.6, { class: 'calls' }));
      marks.push(trianglePath(cappedCalls.map((i) => px[i]), cappedCalls.map((i) => py[i]), CALL, { class: 'calls-capped' }));
    }

    // Labels for the most significant calls: smallest p, then largest |Δψ|, then input order.
    const top = options.labelTop ?? 10;
    if (data.labels !== undefined && top > 0 && calls.length) {
      const order = [...calls].sort((a, b) => p[a] - p[b] || Math.abs(dpsi[b]) - Math.abs(dpsi[a]) || a - b).slice(0, top);
      const { markup, omitted } = placeLabels(order.map((i) => ({ x: px[i], y: py[i], text: label(i) })), f, calls.slice(0, MAX_HOVER).map((i) => ({ x: px[i], y: py[i] })), 3.5);
      marks.push(el('g', { class: 'labels' }, markup));
      if (omitted) notes.push(`${plural(omitted, 'label')} of the top ${top} calls left out for lack of room.`);
    }
    return { frame: f, marks: marks.filter(Boolean).join('\n'), notes };
  });
}
