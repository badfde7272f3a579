/**
 * The frame every figure shares: title and subtitle, a legend row, the plot area with grid lines,
 * two axes with ticks and labels, and footnotes, laid out from the text they hold.
 *
 * Scales, tick positions and tick labels come from d3-scale (linear, log and band scales, whose
 * `ticks` and `tickFormat` choose round numbers and a precision that tells them apart) and
 * d3-format; this file only positions the resulting strings.
 */
import { scaleBand, scaleLinear, scaleLog, type ScaleBand, type ScaleLinear, type ScaleLogarithmic } from 'd3-scale';
import { format } from 'd3-format';
import { ticks } from 'd3-array';
import { ArgumentValueError } from '../errors.js';
import { FONT_FAMILY, GREY, GRID, INK, MUTED, el, num, svgDocument, text, textWidth, type PlotOptions } from './svg.js';

/** One axis. */
export interface AxisSpec {
  /** Axis title (plain text; escaped). */
  label: string;
  /** 'linear' (default), 'log' (base 10; the domain must be positive), or 'band' (categories). */
  scale?: 'linear' | 'log' | 'band';
  /** [min, max] of the data to show; for 'band', ignored. */
  domain?: [number, number];
  /** Extend the domain to round tick values (default true). */
  nice?: boolean;
  /** About how many ticks (d3's `ticks(count)`); defaults 8 on x, 6 on y. */
  ticks?: number;
  /** A d3-format specifier for tick labels (default: d3's choice for the tick spacing). */
  format?: string;
  /** Keep only integer ticks (for counts and ranks). */
  integer?: boolean;
  /** Band scale: the category names, in order (names may repeat; `Frame.x` takes the position). */
  categories?: string[];
  /** Band scale: the names (rotated) as tick labels (default true); otherwise ranks 1..n on round numbers. */
  showCategories?: boolean;
}

/** A legend entry: a swatch and its label. */
export interface LegendItem {
  label: string;
  color: string;
  /** 'dot' (default), 'triangle', 'line', 'dashed', 'band' (a filled rectangle) or 'bar'. */
  shape?: 'dot' | 'triangle' | 'line' | 'dashed' | 'band' | 'bar';
}

export interface FrameSpec extends PlotOptions {
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  legend?: LegendItem[];
  /** Lines of small grey text under the x axis (counts of skipped points, caps, …). */
  footnotes?: string[];
  /** Room for this many more footnote lines, given to `render` once the marks are made. */
  lateNotes?: number;
  /** Extra room right of the plot area, px (for labels placed outside). */
  extraRight?: number;
}

type Continuous = ScaleLinear<number, number> | ScaleLogarithmic<number, number>;

/** Positions in px for data values, and the function that makes the document around the marks. */
export interface Frame {
  /** x position of a value (for 'band' axes, of a position 0..n−1: the left edge of its band). */
  x(v: number | string): number;
  y(v: number): number;
  /** Band width of the x axis when it is a band scale, else 0. */
  bandwidth: number;
  /** The plot area: left, top, right, bottom edges in px. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** The data domains after `nice` (for 'band', [0, 0]). */
  xDomain: [number, number];
  yDomain: [number, number];
  /**
   * The complete SVG document: the grid, `marks`, then the axes; the footnotes of the spec and then
   * `lateNotes` (at most as many as the spec made room for; see `layoutTwice`).
   */
  render(marks: string, lateNotes?: string[]): string;
}

const TITLE_SIZE = 16;
const SUBTITLE_SIZE = 12;
const TICK_SIZE = 11;
const LABEL_SIZE = 13;
const LEGEND_SIZE = 12;
const NOTE_SIZE = 11;
const TICK_LENGTH = 5;

interface Tick {
  value: number | string;
  label: string;
  major: boolean;
}

function checkDomain(d: [number, number] | undefined, kind: string, name: string): [number, number] {
  // No data (or only NaN) gives a placeholder axis rather than an error: an empty figure still opens.
  let [lo, hi] = d ?? [NaN, NaN];
  if (Number.isNaN(lo) || Number.isNaN(hi)) [lo, hi] = kind === 'log' ? [1, 10] : [0, 1];
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new ArgumentValueError(`${name} domain must be finite, got [${lo}, ${hi}]`, name);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (kind === 'log') {
    if (!(lo > 0)) throw new ArgumentValueError(`${name} is a log axis and needs a positive domain, got [${lo}, ${hi}]`, name);
    if (lo === hi) [lo, hi] = [lo / 3, hi * 3];
  } else if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  return [lo, hi];
}

const superscriptDigits = (k: number) => String(k).replace('-', '−');

function makeContinuous(spec: AxisSpec, range: [number, number], name: string, defaultTicks: number) {
  const kind = spec.scale ?? 'linear';
  const domain = checkDomain(spec.domain, kind, name);
  const count = spec.ticks ?? defaultTicks;
  const scale: Continuous = kind === 'log' ? scaleLog().domain(domain).range(range) : scaleLinear().domain(domain).range(range);
  if (spec.nice !== false) scale.nice(count);
  const d = scale.domain() as [number, number];
  let values = scale.ticks(count);
  if (spec.integer) values = values.filter((v) => Number.isInteger(v));
  let ticks: Tick[];
  if (kind === 'log') {
    const plain = format(spec.format ?? ',~g');
    // d3's log tickFormat returns "" for the ticks it leaves unlabelled (between powers of ten on
    // long axes); those become minor ticks. The labelled ones are written here, all as 10^k when
    // any of them is 10⁴ or more or 10⁻⁴ or less (plain numbers would grow long), else plainly.
    const shown = scale.tickFormat(count);
    const exponent = (v: number) => Math.round(Math.log10(v));
    const powers = spec.format === undefined && values.some((v) => shown(v) !== '' && Math.abs(exponent(v)) >= 4);
    const label = (v: number) => {
      const k = exponent(v);
      return powers && Math.abs(v / 10 ** k - 1) < 1e-9 ? `10^${k}` : plain(v);
    };
    ticks = values.map((v) => {
      const s = shown(v) === '' ? '' : label(v);
      return { value: v, label: s, major: s !== '' };
    });
  } else {
    const label = scale.tickFormat(count, spec.format);
    ticks = values.map((v) => ({ value: v, label: label(v), major: true }));
  }
  return { scale, domain: d, ticks };
}

/** Tick label markup: "10^k" becomes 10 with a raised exponent. */
function tickText(x: number, y: number, label: string, a: Record<string, string | number>): string {
  const m = /^10\^(-?\d+)$/.exec(label);
  if (!m) return text(x, y, label, a);
  return el('text', { x, y, ...a }, `10${el('tspan', { dy: -5, 'font-size': 8 }, superscriptDigits(Number(m[1])))}`);
}

const labelWidth = (label: string, size: number) => {
  const m = /^10\^(-?\d+)$/.exec(label);
  return m ? textWidth('10', size) + textWidth(superscriptDigits(Number(m[1])), 8) : textWidth(label, size);
};

/** Wraps legend items into rows that fit `maxWidth`; returns each item's offset. */
function layoutLegend(items: LegendItem[], maxWidth: number): { x: number; row: number }[] {
  const out: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const it of items) {
    const w = 22 + textWidth(it.label, LEGEND_SIZE) + 18;
    if (x > 0 && x + w > maxWidth) {
      row++;
      x = 0;
    }
    out.push({ x, row });
    x += w;
  }
  return out;
}

function swatch(it: LegendItem, x: number, y: number): string {
  const c = it.color;
  switch (it.shape ?? 'dot') {
    case 'triangle':
      return el('path', { d: `M${num(x + 8)} ${num(y - 5)}l4.5 8h-9z`, fill: c });
    case 'line':
      return el('path', { d: `M${num(x)} ${num(y)}h16`, stroke: c, 'stroke-width': 2, fill: 'none' });
    case 'dashed':
      return el('path', { d: `M${num(x)} ${num(y)}h16`, stroke: c, 'stroke-width': 1.5, 'stroke-dasharray': '4 3', fill: 'none' });
    case 'band':
      return el('rect', { x, y: y - 6, width: 16, height: 12, fill: c, 'fill-opacity': 0.25 });
    case 'bar':
      return el('rect', { x: x + 2, y: y - 6, width: 12, height: 12, fill: c });
    default:
      return el('circle', { cx: x + 8, cy: y, r: 4, fill: c });
  }
}

/**
 * Makes a figure whose footnotes depend on its marks (how many points thinning dropped, which labels
 * found no room): `build(late)` lays the frame out with room for `late` footnotes made after it and
 * returns the frame, its marks and those notes. It is called again when their count differs from
 * the room it had (at most three calls), so the plot area and the notes never overlap.
 */
export function layoutTwice(build: (late: number) => { frame: Frame; marks: string; notes: string[] }): string {
  let late = 0;
  let r = build(late);
  for (let pass = 0; pass < 2 && r.notes.length !== late; pass++) {
    late = r.notes.length;
    r = build(late);
  }
  return r.frame.render(r.marks, r.notes);
}

/**
 * Lays out a figure and returns its scales and a `render(marks)` that builds the document.
 * Throws ArgumentValueError for a log axis whose domain is not positive, or a non-finite domain.
 */
export function frame(spec: FrameSpec): Frame {
  const width = spec.width ?? 720;
  const height = spec.height ?? 480;
  if (!(width >= 200 && height >= 150)) throw new ArgumentValueError(`width and height must be at least 200 × 150, got ${width} × ${height}`, 'width');
  const legend = spec.legend ?? [];
  const known = spec.footnotes ?? [];
  const noteLines = known.length + (spec.lateNotes ?? 0);

  // Vertical layout, top down: title, subtitle, legend rows, plot, x ticks, x label, footnotes.
  let top = 14 + TITLE_SIZE;
  const titleY = top;
  let subtitleY = 0;
  if (spec.subtitle) {
    top += 6 + SUBTITLE_SIZE;
    subtitleY = top;
  }
  const legendLayout = layoutLegend(legend, width - 80);
  const legendRows = legend.length ? legendLayout[legendLayout.length - 1].row + 1 : 0;
  const legendY = top + 8 + LEGEND_SIZE / 2 + 2;
  top += legendRows * 20 + (legendRows ? 6 : 0) + 14;

  // Band categories are drawn rotated: their length sets the bottom margin.
  const band = spec.x.scale === 'band';
  const categories = spec.x.categories ?? [];
  const showCategories = band && spec.x.showCategories !== false;
  // Names run at −45° while the bands leave room for a line of text between neighbours, else
  // upright (−90°) and, when the bands are narrower than a line, smaller (down to 7 px); names
  // longer than 24 characters are shortened with an ellipsis.
  const step = (width - 110) / Math.max(1, categories.length);
  const catSize = step >= 1.9 * TICK_SIZE ? TICK_SIZE : Math.min(TICK_SIZE, Math.max(7, step * 0.95));
  const catAngle = step >= 1.9 * TICK_SIZE ? -45 : -90;
  const catLabels = categories.map((c) => (c.length > 24 ? `${c.slice(0, 23)}…` : c));
  const catWidth = showCategories ? Math.max(0, ...catLabels.map((c) => textWidth(c, catSize))) : 0;
  const catHeight = showCategories ? (catAngle === -45 ? catWidth * 0.72 + catSize : catWidth + 4) : 0;
  const bottomRoom = TICK_LENGTH + 4 + (showCategories ? catHeight : TICK_SIZE + 2) + 10 + LABEL_SIZE + (noteLines ? 8 + noteLines * (NOTE_SIZE + 4) : 0) + 10;
  const bottom = height - bottomRoom;

  // y first (its tick labels set the left margin), then x across the remaining width.
  const y = makeContinuous(spec.y, [bottom, top], 'y', 6);
  const yLabelRoom = Math.max(0, ...y.ticks.filter((t) => t.major).map((t) => labelWidth(t.label, TICK_SIZE)));
  const left = 12 + LABEL_SIZE + 10 + yLabelRoom + TICK_LENGTH + 4;
  const right = width - 22 - (spec.extraRight ?? 0);
  if (!(bottom - top >= 40 && right - left >= 60)) throw new ArgumentValueError(`the figure is too small for its text (${width} × ${height})`, 'height');

  let xs: (v: number | string) => number;
  let bandwidth = 0;
  let xDomain: [number, number] = [0, 0];
  let xTicks: Tick[];
  if (band) {
    // Keys are the positions 0..n−1 (names may repeat); without names the ticks are ranks 1..n.
    const b: ScaleBand<string> = scaleBand<string>().domain(categories.map((_, i) => String(i))).range([left, right]).paddingInner(step >= 4 ? 0.15 : 0).paddingOuter(0.1);
    bandwidth = b.bandwidth();
    xs = (v) => b(String(v)) ?? NaN;
    xTicks = showCategories
      ? catLabels.map((c, i) => ({ value: i, label: c, major: true }))
      : ticks(1, categories.length, spec.x.ticks ?? 8)
          .filter((r) => Number.isInteger(r))
          .map((r) => ({ value: r - 1, label: format(spec.x.format ?? ',d')(r), major: true }));
  } else {
    const x = makeContinuous(spec.x, [left, right], 'x', 8);
    xs = (v) => x.scale(v as number);
    xDomain = x.domain;
    xTicks = x.ticks;
  }

  const parts: string[] = [];
  // Grid lines at the major ticks.
  let grid = '';
  for (const t of y.ticks) if (t.major) grid += `M${num(left)} ${num(y.scale(t.value as number))}H${num(right)}`;
  if (!band) for (const t of xTicks) if (t.major) grid += `M${num(xs(t.value))} ${num(top)}V${num(bottom)}`;
  if (grid) parts.push(el('path', { class: 'grid', d: grid, stroke: GRID, 'stroke-width': 1, fill: 'none' }));

  const render = (marks: string, lateNotes: string[] = []): string => {
    const notes = [...known, ...lateNotes];
    const out: string[] = [...parts, marks];
    // Axes: lines, ticks, tick labels.
    let tickPath = `M${num(left)} ${num(top)}V${num(bottom)}H${num(right)}`;
    const yLabels: string[] = [];
    const xLabels: string[] = [];
    for (const t of y.ticks) {
      const py = y.scale(t.value as number);
      tickPath += `M${num(left - (t.major ? TICK_LENGTH : 3))} ${num(py)}H${num(left)}`;
      if (t.major) yLabels.push(tickText(left - TICK_LENGTH - 3, py + 4, t.label, { 'text-anchor': 'end', 'font-size': TICK_SIZE }));
    }
    for (const t of xTicks) {
      const px = band ? xs(t.value) + bandwidth / 2 : xs(t.value);
      tickPath += `M${num(px)} ${num(bottom)}v${t.major ? TICK_LENGTH : 3}`;
      if (!t.major) continue;
      if (showCategories) {
        const ty = bottom + TICK_LENGTH + 4;
        const tx = catAngle === -45 ? px + 3 : px + catSize * 0.35;
        xLabels.push(text(tx, ty, t.label, { 'text-anchor': 'end', 'font-size': num(catSize), transform: `rotate(${catAngle} ${num(tx)} ${num(ty)})` }));
      } else {
        xLabels.push(tickText(px, bottom + TICK_LENGTH + 4 + TICK_SIZE, t.label, { 'text-anchor': 'middle', 'font-size': TICK_SIZE }));
      }
    }
    out.push(el('path', { d: tickPath, stroke: INK, 'stroke-width': 1, fill: 'none' }));
    out.push(el('g', { class: 'y-ticks', fill: MUTED }, yLabels.join('')));
    out.push(el('g', { class: 'x-ticks', fill: MUTED }, xLabels.join('')));

    // Axis titles.
    const xLabelY = bottom + TICK_LENGTH + 4 + (showCategories ? catHeight : TICK_SIZE + 2) + 8 + LABEL_SIZE;
    out.push(text((left + right) / 2, xLabelY, spec.x.label, { 'text-anchor': 'middle', 'font-size': LABEL_SIZE }));
    const yLabelX = 12 + LABEL_SIZE;
    out.push(text(yLabelX, (top + bottom) / 2, spec.y.label, { 'text-anchor': 'middle', 'font-size': LABEL_SIZE, transform: `rotate(-90 ${num(yLabelX)} ${num((top + bottom) / 2)})` }));

    // Title, subtitle, legend, footnotes.
    out.push(text(left, titleY, spec.title, { class: 'title', 'font-size': TITLE_SIZE, 'font-weight': 'bold' }));
    if (spec.subtitle) out.push(text(left, subtitleY, spec.subtitle, { 'font-size': SUBTITLE_SIZE, fill: MUTED }));
    if (legend.length) {
      let lg = '';
      legend.forEach((it, i) => {
        const { x, row } = legendLayout[i];
        const ly = legendY + row * 20;
        lg += swatch(it, left + x, ly) + text(left + x + 22, ly + 4, it.label, { 'font-size': LEGEND_SIZE });
      });
      out.push(el('g', { class: 'legend' }, lg));
    }
    if (notes.length) {
      const lines = notes.map((note, i) => text(left, xLabelY + 8 + (i + 1) * (NOTE_SIZE + 4), note));
      out.push(el('g', { class: 'footnotes', 'font-size': NOTE_SIZE, fill: GREY }, lines.join('')));
    }
    return svgDocument(width, height, spec.title, out.join('\n') + '\n', spec.fontFamily ?? FONT_FAMILY);
  };

  return {
    x: xs,
    y: (v) => y.scale(v),
    bandwidth,
    left,
    top,
    right,
    bottom,
    xDomain,
    yDomain: y.domain,
    render,
  };
}
