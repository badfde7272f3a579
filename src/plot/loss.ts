/**
 * The loss per iteration of a fit: one line per series (for example one per stage of the fit),
 * on a linear or log y axis.
 */
import { line } from 'd3-shape';
import { ArgumentValueError } from '../errors.js';
import { frame, type LegendItem } from './frame.js';
import { dotPath, plural, requireArrayLike } from './marks.js';
import { PALETTE, el, type PlotOptions } from './svg.js';

export interface LossSeries {
  /** The series' name, for the legend (e.g. "rho", "updateD"). */
  name: string;
  /** The loss after each iteration; NaN leaves a gap. */
  values: ArrayLike<number>;
  /**
   * Iteration number of the first value (default 1), so that stages can follow one another on a
   * shared axis: the values sit at start, start + 1, ….
   */
  start?: number;
}

export interface LossOptions extends PlotOptions {
  /** 'linear' (default) or 'log'; on a log axis values ≤ 0 are gaps (counted in a footnote). */
  yScale?: 'linear' | 'log';
  /** y-axis title (default "loss"). */
  yLabel?: string;
  /** x-axis title (default "iteration"). */
  xLabel?: string;
}

/**
 * The loss curve(s) as an SVG document: `history` is one array (e.g. `fit.history`) or a list of
 * named series. Lines are d3-shape paths with gaps at NaN; each iteration also gets a dot when a
 * series has at most 60.
 */
export function loss(history: ArrayLike<number> | LossSeries[], options: LossOptions = {}): string {
  const list: LossSeries[] = Array.isArray(history) && history.length > 0 && typeof history[0] === 'object' && history[0] !== null ? (history as LossSeries[]) : [{ name: 'loss', values: requireArrayLike(history, 'history') as ArrayLike<number> }];
  const log = (options.yScale ?? 'linear') === 'log';
  if (options.yScale !== undefined && options.yScale !== 'linear' && options.yScale !== 'log') throw new ArgumentValueError(`yScale must be 'linear' or 'log', got ${String(options.yScale)}`, 'yScale');
  let xLo = Infinity;
  let xHi = -Infinity;
  let yLo = Infinity;
  let yHi = -Infinity;
  let gaps = 0;
  const ok = (v: number) => Number.isFinite(v) && (!log || v > 0);
  list.forEach((s, k) => {
    const v = requireArrayLike(s?.values, `history[${k}].values`) as ArrayLike<number>;
    const start = s.start ?? 1;
    if (!Number.isFinite(start)) throw new ArgumentValueError(`history[${k}].start must be finite, got ${start}`, `history[${k}].start`);
    for (let i = 0; i < v.length; i++) {
      if (!ok(v[i])) {
        gaps++;
        continue;
      }
      xLo = Math.min(xLo, start + i);
      xHi = Math.max(xHi, start + i);
      yLo = Math.min(yLo, v[i]);
      yHi = Math.max(yHi, v[i]);
    }
  });
  const legend: LegendItem[] = list.length > 1 ? list.map((s, k) => ({ label: String(s.name), color: PALETTE[k % PALETTE.length], shape: 'line' as const })) : [];
  const footnotes = gaps ? [`${plural(gaps, 'value')} that ${gaps === 1 ? 'is' : 'are'} NaN${log ? ' or ≤ 0 (log axis)' : ''} left as ${gaps === 1 ? 'a gap' : 'gaps'}.`] : [];
  const total = list.reduce((a, s) => a + s.values.length, 0);
  const f = frame({
    ...options,
    title: options.title ?? 'Loss per iteration',
    subtitle: options.subtitle ?? `${plural(total, 'iteration')}${list.length > 1 ? ` in ${list.length} series` : ''}`,
    x: { label: options.xLabel ?? 'iteration', domain: Number.isFinite(xLo) ? [xLo, Math.max(xHi, xLo + 1)] : [1, 2], integer: true },
    // On a log axis d3's nice() would widen the domain to whole decades; 5% of the range in log
    // space on each side keeps the curve's detail.
    y: log
      ? { label: options.yLabel ?? 'loss', scale: 'log', nice: false, domain: Number.isFinite(yLo) ? [yLo / (yHi / yLo) ** 0.05, yHi * (yHi / yLo) ** 0.05] : [1, 10] }
      : { label: options.yLabel ?? 'loss', domain: Number.isFinite(yLo) ? [yLo, yHi] : [0, 1] },
    legend,
    footnotes,
  });
  const marks = list.map((s, k) => {
    const v = s.values;
    const start = s.start ?? 1;
    const colour = PALETTE[k % PALETTE.length];
    const idx = Array.from({ length: v.length }, (_, i) => i);
    const path = line<number>()
      .defined((i) => ok(v[i]))
      .x((i) => f.x(start + i))
      .y((i) => f.y(v[i]))
      .digits(1);
    let out = el('path', { class: 'curve', d: path(idx) ?? '', stroke: colour, 'stroke-width': 2, 'stroke-linejoin': 'round', fill: 'none' });
    if (v.length <= 60) {
      const pts = idx.filter((i) => ok(v[i]));
      out += dotPath(pts.map((i) => f.x(start + i)), pts.map((i) => f.y(v[i])), colour, 2.8, { class: 'points' });
    }
    return el('g', { class: 'series', 'data-series': String(s.name) }, out);
  });
  return f.render(marks.join('\n'));
}
