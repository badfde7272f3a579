/**
 * Point labels placed without overlaps: each label, in the order given (most important first),
 * takes the first free spot among right/left of its point and then further up or down with a leader
 * line; a label with no free spot in the plot area is left out (and counted). The search is
 * quadratic in the number of labels and obstacles, meant for tens of labels and a few thousand marks.
 */
import { GREY, MUTED, el, num, text, textWidth } from './svg.js';

export interface PointLabel {
  x: number;
  y: number;
  text: string;
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Markup for the labels that fit, and how many did not. `obstacles` are marks a label must not
 * cover (the highlighted points, r px around each).
 */
export function placeLabels(
  labels: PointLabel[],
  area: { left: number; top: number; right: number; bottom: number },
  obstacles: { x: number; y: number }[] = [],
  r = 3,
  fontSize = 11,
): { markup: string; omitted: number } {
  const placed: Box[] = obstacles.map((o) => ({ x0: o.x - r, y0: o.y - r, x1: o.x + r, y1: o.y + r }));
  let out = '';
  let omitted = 0;
  const h = fontSize + 2;
  for (const l of labels) {
    const w = textWidth(l.text, fontSize) + 4;
    let done = false;
    // Vertical offsets of the label's centre from the point: level, then up to 5 rows up or down.
    for (const dy of [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5].map((k) => -k * h)) {
      for (const side of [1, -1]) {
        const x0 = side > 0 ? l.x + 6 : l.x - 6 - w;
        const box: Box = { x0, y0: l.y + dy - h / 2, x1: x0 + w, y1: l.y + dy + h / 2 };
        if (box.x0 < area.left || box.x1 > area.right || box.y0 < area.top || box.y1 > area.bottom) continue;
        if (placed.some((p) => overlaps(p, box))) continue;
        placed.push(box);
        if (dy !== 0) out += el('path', { d: `M${num(l.x + side * 3)} ${num(l.y)}L${num(side > 0 ? box.x0 : box.x1)} ${num(l.y + dy)}`, stroke: GREY, 'stroke-width': 0.8, fill: 'none' });
        out += text(side > 0 ? box.x0 + 2 : box.x1 - 2, l.y + dy + fontSize * 0.35, l.text, { 'font-size': fontSize, 'text-anchor': side > 0 ? 'start' : 'end', fill: MUTED });
        done = true;
        break;
      }
      if (done) break;
    }
    if (!done) omitted++;
  }
  return { markup: out, omitted };
}
