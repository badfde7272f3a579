/**
 * A scatter plot of points in two dimensions (e.g. latent positions), optionally coloured by group,
 * thinned on a 1 px grid per group (see marks.ts) so that 10⁵ points stay a small file.
 */
import { ShapeError } from '../errors.js';
import { frame, type LegendItem } from './frame.js';
import { dotPath, plural, requireArrayLike, snap, thinOnGrid } from './marks.js';
import { el, PALETTE, type PlotOptions } from './svg.js';

export interface ScatterData {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** A group label per point (coloured and listed in the legend; at most 8 colours, then repeated). */
  groups?: ArrayLike<string>;
}

export interface ScatterOptions extends PlotOptions {
  xLabel?: string;
  yLabel?: string;
}

export function scatter(data: ScatterData, options: ScatterOptions = {}): string {
  const x = requireArrayLike(data?.x, 'x') as ArrayLike<number>;
  const y = requireArrayLike(data.y, 'y') as ArrayLike<number>;
  if (y.length !== x.length) throw new ShapeError(`y has ${y.length} values, x has ${x.length}`, 'y');
  if (data.groups && data.groups.length !== x.length) throw new ShapeError(`groups has ${data.groups.length} labels, x has ${x.length} values`, 'groups');
  let xLo = Infinity, xHi = -Infinity, yLo = Infinity, yHi = -Infinity, skipped = 0;
  const ok: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      skipped++;
      continue;
    }
    ok.push(i);
    xLo = Math.min(xLo, x[i]);
    xHi = Math.max(xHi, x[i]);
    yLo = Math.min(yLo, y[i]);
    yHi = Math.max(yHi, y[i]);
  }
  const names: string[] = [];
  const groupOf = new Map<string, number>();
  if (data.groups) for (const i of ok) if (!groupOf.has(data.groups[i])) groupOf.set(data.groups[i], names.push(data.groups[i]) - 1);
  const legend: LegendItem[] = names.map((g, k) => ({ label: g, color: PALETTE[k % PALETTE.length] }));
  const f = frame({
    ...options,
    title: options.title ?? 'Scatter plot',
    subtitle: options.subtitle ?? plural(ok.length, 'point'),
    x: { label: options.xLabel ?? 'x', domain: Number.isFinite(xLo) ? [xLo, xHi > xLo ? xHi : xLo + 1] : [0, 1] },
    y: { label: options.yLabel ?? 'y', domain: Number.isFinite(yLo) ? [yLo, yHi > yLo ? yHi : yLo + 1] : [0, 1] },
    legend,
    footnotes: skipped ? [`${plural(skipped, 'point')} with a non-finite coordinate left out.`] : [],
    lateNotes: 1,
  });
  const layers = Math.max(1, names.length);
  let drawn = 0;
  const marks: string[] = [];
  for (let k = 0; k < layers; k++) {
    const idx = data.groups ? ok.filter((i) => groupOf.get(data.groups![i]) === k) : ok;
    const px = idx.map((i) => f.x(x[i])), py = idx.map((i) => f.y(y[i]));
    const keep = thinOnGrid(px, py, 1);
    drawn += keep.length;
    marks.push(el('g', { class: 'series', 'data-series': names[k] ?? 'points' }, dotPath(keep.map((t) => snap(px[t], 1)), keep.map((t) => snap(py[t], 1)), PALETTE[k % PALETTE.length], 2.2, { opacity: 0.75 })));
  }
  const late = drawn < ok.length ? [`${plural(ok.length - drawn, 'point')} within 1 px of one drawn, thinned out (${drawn} drawn).`] : [];
  return f.render(marks.join('\n'), late);
}
