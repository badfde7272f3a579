/**
 * SVG text building blocks: XML escaping, coordinates with a fixed number of decimals, elements,
 * the document wrapper, the palette and an estimate of text width.
 *
 * Everything here is string work with no DOM and no host API, so a figure is made the same way in
 * Node, a browser or an edge runtime, and the same input gives the same bytes.
 */

/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'] as const;
export const GREY = '#9a9a9a';
export const INK = '#222222';
export const MUTED = '#555555';
export const GRID = '#e6e6e6';
export const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

// XML 1.0 allows tab, LF, CR and U+0020 upwards except the surrogate block and U+FFFE/U+FFFF.
// Lone surrogates (unpaired halves of a UTF-16 pair) cannot be encoded either.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for element content and double- or single-quoted attribute values: & < > " ' become
 * entities, and characters XML 1.0 cannot hold (control characters, lone surrogates) become U+FFFD.
 */
export function escapeXml(text: string): string {
  return String(text)
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate with at most `digits` decimals and no trailing zeros; −0 prints as 0. */
export function num(v: number, digits = 1): string {
  const f = 10 ** digits;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? '0' : String(r);
}

type AttrValue = string | number | undefined | null | false;

/** Attributes in the order given; undefined, null and false are left out; numbers get one decimal. */
export function attrs(a: Record<string, AttrValue>): string {
  let s = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined || v === null || v === false) continue;
    s += ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`;
  }
  return s;
}

/** An element; `children` is markup already built (not escaped here), omitted for an empty element. */
export function el(name: string, a: Record<string, AttrValue>, children?: string): string {
  return children === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children}</${name}>`;
}

/** A text element whose content is escaped. */
export function text(x: number, y: number, content: string, a: Record<string, AttrValue> = {}): string {
  return el('text', { x, y, ...a }, escapeXml(content));
}

/**
 * Approximate rendered width of `s` in pixels at `fontSize`: there is no font metrics engine
 * without a DOM, so layout (margins, legends, label boxes) uses an average advance per character
 * of a sans-serif face, wider for capitals and digits' neighbours and narrower for thin glyphs.
 */
export function textWidth(s: string, fontSize: number): number {
  let w = 0;
  for (const ch of s) {
    if ('il.,:;!|\'’ijtf()[]'.includes(ch)) w += 0.3;
    else if (ch >= 'A' && ch <= 'Z') w += 0.68;
    else if ('mwMW—'.includes(ch)) w += 0.85;
    else w += 0.56;
  }
  return w * fontSize;
}

/** Options every figure takes. */
export interface PlotOptions {
  /** Title at the top; each figure has a default. */
  title?: string;
  /** A second line under the title (smaller, grey). */
  subtitle?: string;
  /** Width of the viewBox and of the file's nominal size, in px. */
  width?: number;
  /** Height of the viewBox and of the file's nominal size, in px. */
  height?: number;
  /** CSS font-family list; the default is the platform's UI sans-serif. */
  fontFamily?: string;
}

/**
 * The whole document: XML declaration, a root `<svg>` with viewBox and nominal size, a `<title>`
 * for accessibility and tab names, a white background, then `body`.
 */
export function svgDocument(width: number, height: number, title: string, body: string, fontFamily = FONT_FAMILY): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({ width, height, viewBox: `0 0 ${num(width)} ${num(height)}`, 'font-family': fontFamily, 'font-size': 12, fill: INK })}>\n` +
    `<title>${escapeXml(title)}</title>\n` +
    el('rect', { width, height, fill: '#ffffff' }) +
    '\n' +
    body +
    '</svg>\n'
  );
}
