/**
 * Aberrant events per sample: one bar a sample, samples sorted by their count, on a linear or log
 * y axis, with the median marked.
 */
import { max as maxOf, median } from 'd3-array';
import { format } from 'd3-format';
import { ArgumentValueError } from '../errors.js';
import { frame, type LegendItem } from './frame.js';
import { count, plural, requireArrayLike, requireLength } from './marks.js';
import { MUTED, PALETTE, el, escapeXml, num, type PlotOptions } from './svg.js';

export interface AberrantPerSampleData {
  /** Sample IDs. */
  samples: ArrayLike<string>;
  /** Aberrant events (junctions or genes) per sample: counts ≥ 0. */
  counts: ArrayLike<number>;
}

export interface AberrantPerSampleOptions extends PlotOptions {
  /** 'linear' (default) or 'log'. On a log axis the bars start at 0.5 and a sample with 0 events has no bar. */
  yScale?: 'linear' | 'log';
  /** Samples to colour differently (for example the ones under study). */
  highlight?: ArrayLike<string>;
  /** Sample names under the bars (default: when there are at most 60 samples); otherwise ranks. */
  showNames?: boolean;
  /** What is counted, for the y-axis title (default "aberrant events"). */
  unit?: string;
  /** Sort by count, ascending (default true; ties keep the input order). */
  sort?: boolean;
}

/**
 * The bar chart as an SVG document. NaN or negative counts are skipped (footnote). Each bar has a
 * hover title with the sample and its count. Throws ShapeError when the arrays differ in length.
 */
export function aberrantPerSample(data: AberrantPerSampleData, options: AberrantPerSampleOptions = {}): string {
  const names = requireArrayLike(data?.samples, 'samples') as ArrayLike<string>;
  const counts = requireArrayLike(data.counts, 'counts') as ArrayLike<number>;
  requireLength(counts, names.length, 'counts', 'samples');
  const log = (options.yScale ?? 'linear') === 'log';
  if (options.yScale !== undefined && options.yScale !== 'linear' && options.yScale !== 'log') throw new ArgumentValueError(`yScale must be 'linear' or 'log', got ${String(options.yScale)}`, 'yScale');
  const unit = options.unit ?? 'aberrant events';

  const idx: number[] = [];
  let skipped = 0;
  for (let i = 0; i < names.length; i++) {
    if (counts[i] >= 0) idx.push(i);
    else skipped++;
  }
  if (options.sort !== false) idx.sort((a, b) => counts[a] - counts[b] || a - b);
  const highlight = new Set(options.highlight ? Array.from(options.highlight, String) : []);
  const values = idx.map((i) => counts[i]);
  const max = maxOf(values) ?? 0;
  const med = values.length ? median(values)! : NaN;
  const zeros = values.filter((v) => v === 0).length;
  const showNames = options.showNames ?? idx.length <= 60;
  const base = log ? 0.5 : 0;
  const yTop = log ? 10 ** Math.ceil(Math.log10(Math.max(max, 1) * 1.05)) : Math.max(max * 1.05, 1);

  const barColour = PALETTE[0];
  const hiColour = PALETTE[1];
  const legend: LegendItem[] = [];
  if (highlight.size) legend.push({ label: 'highlighted', color: hiColour, shape: 'bar' }, { label: 'other samples', color: barColour, shape: 'bar' });
  if (Number.isFinite(med)) legend.push({ label: `median ${format('~g')(med)}`, color: MUTED, shape: 'dashed' });

  const footnotes: string[] = [];
  if (skipped) footnotes.push(`${plural(skipped, 'sample')} with a NaN or negative count skipped.`);
  if (log && zeros) footnotes.push(`${plural(zeros, 'sample')} with 0 ${unit} ${zeros === 1 ? 'has' : 'have'} no bar on the log axis (marked on it).`);
  const total = values.reduce((a, v) => a + v, 0);

  const f = frame({
    ...options,
    title: options.title ?? `${unit[0].toUpperCase()}${unit.slice(1)} per sample`,
    subtitle: options.subtitle ?? `${plural(idx.length, 'sample')}, ${count(total)} ${unit} in all`,
    x: { label: options.sort === false ? 'sample' : `sample (sorted by ${unit})`, scale: 'band', categories: idx.map((i) => String(names[i])), showCategories: showNames },
    y: log ? { label: unit, scale: 'log', domain: [base, yTop], nice: false, integer: true } : { label: unit, domain: [0, yTop], integer: true },
    legend,
    footnotes,
  });
  let bars = '';
  let hi = '';
  let zeroMarks = '';
  const w = f.bandwidth;
  idx.forEach((i, k) => {
    const v = counts[i];
    const x = f.x(k);
    const title = `<title>${escapeXml(`${names[i]}: ${count(v)}`)}</title>`;
    if (v === 0 && log) {
      zeroMarks += `M${num(x + w / 2)} ${num(f.bottom - 3)}v3`;
      return;
    }
    const y = f.y(Math.max(v, base));
    const bar = el('rect', { x, y, width: Math.max(w, 0.5), height: f.bottom - y }, title);
    if (highlight.has(String(names[i]))) hi += bar;
    else bars += bar;
  });
  // Bars a pixel or two wide abut; anti-aliasing their shared edges would stripe them.
  const crisp = w < 3 ? 'crispEdges' : undefined;
  const marks = [el('g', { class: 'bars', fill: barColour, 'shape-rendering': crisp }, bars), hi ? el('g', { class: 'bars-highlighted', fill: hiColour, 'shape-rendering': crisp }, hi) : ''];
  if (zeroMarks) marks.push(el('path', { class: 'zeros', d: zeroMarks, stroke: MUTED, 'stroke-width': 1.5, fill: 'none' }));
  if (Number.isFinite(med) && (!log || med > base)) marks.push(el('path', { class: 'median', d: `M${num(f.left)} ${num(f.y(Math.max(med, base)))}H${num(f.right)}`, stroke: MUTED, 'stroke-width': 1, 'stroke-dasharray': '4 3', fill: 'none' }));
  return f.render(marks.filter(Boolean).join('\n'));
}
