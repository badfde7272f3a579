/**
 * SVG figures (src/plot): every figure is well-formed XML (checked by the small parser below, which
 * rejects unbalanced or misnested tags, unquoted or duplicate attributes, raw < or & and unknown
 * entities), self-contained (no external reference, script or foreign content) and deterministic;
 * marks and ticks are counted against the input and against d3-scale's own tick choice; NaN, p = 0
 * and thinning are tested for what they draw and what the footnotes say.
 *
 * The QQ band's beta quantiles are compared with scipy.stats.beta.ppf through the committed fixture
 * test/fixtures/plot/qq_band.json (test/fixtures/plot/make_qq_band.py): 1e-11 relative, plus scipy's
 * own error estimate |dx| (scipy 1.17's ppf is off by up to 1.6e-6 at the largest shapes).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { scaleLinear } from 'd3-scale';
import { ArgumentValueError, ShapeError, Rng } from '../src/index.js';
import * as plot from '../src/plot/index.js';

const FIX = JSON.parse(readFileSync(new URL('./fixtures/plot/qq_band.json', import.meta.url), 'utf8'));

// ---------------------------------------------------------------------------------------------
// A minimal XML parser: enough of XML 1.0 for what the figures write (a declaration, elements,
// attributes, text, the five predefined entities and numeric references). Throws on anything else.

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

const ENTITY = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

function decode(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '<') throw new Error(`raw < in ${where}`);
    if (c !== '&') {
      out += c;
      continue;
    }
    const m = ENTITY.exec(raw.slice(i));
    if (!m) throw new Error(`bad entity in ${where}: ${raw.slice(i, i + 12)}`);
    const e = m[1];
    out += e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    i += m[0].length - 1;
  }
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(out)) throw new Error(`control character in ${where}`);
  return out;
}

function parseXml(src: string): Node {
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(src);
  if (!decl) throw new Error('missing XML declaration');
  i = decl[0].length;
  const root: Node = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: Node[] = [root];
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const t = decode(src.slice(i, textEnd), 'text');
      if (stack.length === 1 && t.trim() !== '') throw new Error('text outside the root element');
      stack[stack.length - 1].text += t;
    }
    if (lt < 0) break;
    i = lt + 1;
    if (src[i] === '/') {
      const m = NAME.exec(src.slice(i + 1));
      if (!m) throw new Error(`bad end tag at ${i}`);
      const top = stack.pop()!;
      if (top.name !== m[0]) throw new Error(`</${m[0]}> closes <${top.name}>`);
      i += 1 + m[0].length;
      while (src[i] === ' ') i++;
      if (src[i] !== '>') throw new Error(`bad end tag </${m[0]}`);
      i++;
      continue;
    }
    const m = NAME.exec(src.slice(i));
    if (!m) throw new Error(`bad start tag at ${i}: ${src.slice(i - 1, i + 20)}`);
    const node: Node = { name: m[0], attrs: {}, children: [], text: '' };
    i += m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i))![0].length;
      i += ws;
      if (src.startsWith('/>', i)) {
        i += 2;
        stack[stack.length - 1].children.push(node);
        break;
      }
      if (src[i] === '>') {
        i++;
        stack[stack.length - 1].children.push(node);
        stack.push(node);
        break;
      }
      if (ws === 0) throw new Error(`attributes of <${node.name}> not separated`);
      const a = NAME.exec(src.slice(i));
      if (!a) throw new Error(`bad attribute in <${node.name}>`);
      i += a[0].length;
      const q = src[i + 1];
      if (src[i] !== '=' || (q !== '"' && q !== "'")) throw new Error(`unquoted attribute ${a[0]} in <${node.name}>`);
      const end = src.indexOf(q, i + 2);
      if (end < 0) throw new Error(`unterminated attribute ${a[0]}`);
      if (a[0] in node.attrs) throw new Error(`duplicate attribute ${a[0]} in <${node.name}>`);
      node.attrs[a[0]] = decode(src.slice(i + 2, end), `attribute ${a[0]}`);
      i = end + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> not closed`);
  if (root.children.length !== 1) throw new Error(`${root.children.length} root elements`);
  return root.children[0];
}

function all(node: Node, pred: (n: Node) => boolean, out: Node[] = []): Node[] {
  if (pred(node)) out.push(node);
  for (const c of node.children) all(c, pred, out);
  return out;
}
const byClass = (root: Node, cls: string) => all(root, (n) => n.attrs.class === cls);
const textOf = (n: Node): string => n.text + n.children.map(textOf).join('');
/** Dots in a dot path: one "h0" per point. */
const dotCount = (n: Node | undefined) => (n ? (n.attrs.d.match(/h0/g) ?? []).length : 0);
/** Subpaths (one per "M"). */
const moveCount = (n: Node | undefined) => (n ? (n.attrs.d.match(/M/g) ?? []).length : 0);

/** Parses and checks what every figure must be: an SVG root with size and viewBox, a title, nothing external. */
function checkSvg(svg: string): Node {
  const root = parseXml(svg);
  assert.is(root.name, 'svg');
  assert.is(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  assert.match(root.attrs.viewBox, /^0 0 \d+(\.\d)? \d+(\.\d)?$/);
  assert.ok(Number(root.attrs.width) > 0 && Number(root.attrs.height) > 0);
  assert.ok(root.children.some((c) => c.name === 'title' && c.text.length > 0), 'a <title>');
  const banned = all(root, (n) => ['script', 'image', 'foreignObject', 'use', 'a', 'style'].includes(n.name) || Object.keys(n.attrs).some((k) => k.includes('href') || k.startsWith('on')));
  assert.is(banned.length, 0, `external or active content: ${banned.map((n) => n.name).join(', ')}`);
  assert.not.match(svg, /url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  for (const n of all(root, (n) => n.name === 'path')) assert.not.match(n.attrs.d ?? '', /NaN|Infinity|undefined/, 'no NaN in a path');
  for (const n of all(root, () => true)) for (const v of Object.values(n.attrs)) assert.not.match(v, /^(NaN|undefined)$/);
  return root;
}

function volcanoData(n: number, seed: number) {
  const rng = new Rng(seed);
  const deltaPsi = new Float64Array(n);
  const pValues = new Float64Array(n);
  const padj = new Float64Array(n);
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    deltaPsi[i] = 0.05 * rng.normal();
    pValues[i] = rng.uniform();
    padj[i] = Math.min(1, pValues[i] * 100);
    labels.push(`G${i}`);
    if (i % 50 === 0) {
      deltaPsi[i] = 0.3 + 0.4 * rng.uniform();
      pValues[i] = 10 ** (-4 - 6 * rng.uniform());
      padj[i] = pValues[i] * 100;
    }
  }
  return { deltaPsi, pValues, padj, labels };
}

// ---------------------------------------------------------------------------------------------
// Text and structure

test('escapeXml replaces the five markup characters and characters XML cannot hold', () => {
  assert.is(plot.escapeXml(`a<b>&"c"'d'`), 'a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
  assert.is(plot.escapeXml('x\u0001y\u0008z\ud800w'), 'x\ufffdy\ufffdz\ufffdw');
  assert.is(plot.escapeXml('tab\tnew\nline 😀 ψ'), 'tab\tnew\nline 😀 ψ');
  assert.is(plot.escapeXml('&amp;'), '&amp;amp;');
});

test('titles, names and labels with markup characters come out escaped and the document stays well-formed', () => {
  const nasty = `<script>alert("x")</script> & 'q' \u0007`;
  const d = volcanoData(200, 1);
  d.labels[0] = nasty;
  const svg = plot.volcano(d, { sample: nasty, labelTop: 3 });
  const root = checkSvg(svg);
  assert.not.ok(svg.includes('<script'), 'no raw tag');
  assert.ok(textOf(byClass(root, 'title')[0]).includes(`<script>alert("x")</script> & 'q' \ufffd`), 'the title reads back as the text given');
  assert.ok(all(root, (n) => n.name === 'title').some((t) => t.text.startsWith(`<script>`)), 'hover text too');
  checkSvg(plot.aberrantPerSample({ samples: [nasty, 'b&b'], counts: [1, 2] }, { title: nasty, unit: '<events>' }));
  checkSvg(plot.qq([{ name: nasty, pValues: [0.1, 0.5] }, { name: 'b', pValues: [0.2] }]));
  checkSvg(plot.loss([{ name: nasty, values: [3, 2, 1] }], { yLabel: '"nll" & more' }));
});

test('every figure is deterministic: the same input gives the same bytes, whatever was drawn before', () => {
  const d = volcanoData(3000, 2);
  const make = () => [
    plot.volcano(d, { sample: 'S' }),
    plot.qq(d.pValues),
    plot.aberrantPerSample({ samples: ['a', 'b', 'c'], counts: [3, 0, 5] }, { yScale: 'log' }),
    plot.singularValues({ singularValues: [9, 5, 2, 1], threshold: 3 }),
    plot.aucPrSearch({ grid: [2, 4, 8], aucPr: [0.5, 0.7, 0.6] }),
    plot.loss([1, 0.5, 0.25]),
  ];
  const a = make();
  plot.volcano(volcanoData(500, 9), { width: 900 });
  const b = make();
  a.forEach((svg, k) => assert.is(svg, b[k], `figure ${k}`));
});

test('src/plot imports nothing from node: and uses no DOM, and bundles for a neutral platform with its d3 dependencies inlined', async () => {
  const dir = new URL('../src/plot/', import.meta.url);
  for (const f of readdirSync(dir)) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    // Code only: comments may say "SVG document." in prose.
    const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    assert.not.match(code, /from ['"]node:|require\(|\bdocument\.|\bwindow\.|globalThis|process\./, f);
  }
  const esbuild = await import('esbuild');
  const r = await esbuild.build({ entryPoints: [new URL('../src/plot/index.ts', import.meta.url).pathname], bundle: true, platform: 'neutral', format: 'esm', write: false, logLevel: 'silent', mainFields: ['module', 'main'] });
  const js = r.outputFiles[0].text;
  assert.not.match(js, /^import /m, 'no import left in the bundle');
  assert.ok(js.length < 250_000, `bundle ${js.length} bytes`);
  const mod = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
  assert.is(mod.loss([3, 2, 1]), plot.loss([3, 2, 1]), 'the bundle makes the same figure');
});

// ---------------------------------------------------------------------------------------------
// Axes

test('tick labels are d3-scale\'s ticks for the nice domain', () => {
  const values = [5, 4.1, 3.3, 2.9, 2.2, 2, 1.7, 1.1, 0.9, 0.8, 0.75];
  const root = checkSvg(plot.loss(values));
  const x = scaleLinear().domain([1, 11]).nice(8);
  const y = scaleLinear().domain([0.75, 5]).nice(6);
  const xLabels = byClass(root, 'x-ticks')[0].children.map(textOf);
  const yLabels = byClass(root, 'y-ticks')[0].children.map(textOf);
  assert.equal(xLabels, x.ticks(8).filter(Number.isInteger).map(x.tickFormat(8)));
  assert.equal(yLabels, y.ticks(6).map(y.tickFormat(6)));
});

test('a log axis labels powers of ten plainly for small numbers and as 10^k for large ones', () => {
  const small = checkSvg(plot.singularValues({ singularValues: [500, 90, 20, 3, 0.5] }));
  assert.equal(byClass(small, 'y-ticks')[0].children.map(textOf), ['0.1', '1', '10', '100', '1,000']);
  const large = checkSvg(plot.singularValues({ singularValues: [2e6, 1e4, 30, 5] }));
  const labels = byClass(large, 'y-ticks')[0].children;
  assert.equal(labels.map(textOf), ['100', '101', '102', '103', '104', '105', '106', '107'].slice(0, labels.length));
  assert.ok(labels.every((l) => l.children[0]?.name === 'tspan'), 'the exponent is a raised tspan');
});

// ---------------------------------------------------------------------------------------------
// Volcano

test('volcano: calls by padj and the cutoffs are drawn one circle each, the rest as one dot path', () => {
  const d = volcanoData(2000, 3);
  const root = checkSvg(plot.volcano({ deltaPsi: d.deltaPsi, pValues: d.pValues, padj: d.padj }, { thinning: 0 }));
  let calls = 0;
  for (let i = 0; i < 2000; i++) if (d.padj[i] <= 0.1 && Math.abs(d.deltaPsi[i]) >= 0.1) calls++;
  assert.ok(calls >= 30);
  assert.is(all(byClass(root, 'calls')[0], (n) => n.name === 'circle').length, calls);
  assert.is(dotCount(byClass(root, 'others')[0]), 2000 - calls, 'thinning 0 draws every point');
  assert.is(moveCount(byClass(root, 'cutoffs')[0]), 2, 'the two |Δψ| cutoff lines');
  assert.ok(textOf(byClass(root, 'legend')[0]).includes(`aberrant (${calls})`));
});

test('volcano: a mask of calls takes precedence, and N below minTotalCount is no call', () => {
  const d = volcanoData(300, 4);
  const called = Array.from({ length: 300 }, (_, i) => i < 7);
  const root = checkSvg(plot.volcano({ ...d, called }));
  assert.is(all(byClass(root, 'calls')[0], (n) => n.name === 'circle').length, 7);
  const totalCounts = new Float64Array(300).fill(100);
  totalCounts[0] = 2;
  const r2 = checkSvg(plot.volcano({ deltaPsi: d.deltaPsi, pValues: d.pValues, padj: d.padj, totalCounts }));
  const r3 = checkSvg(plot.volcano({ deltaPsi: d.deltaPsi, pValues: d.pValues, padj: d.padj }));
  assert.is(all(byClass(r2, 'calls')[0], (n) => n.name === 'circle').length + 1, all(byClass(r3, 'calls')[0], (n) => n.name === 'circle').length);
});

test('volcano: NaN Δψ or p and p outside [0, 1] are skipped and counted in a footnote', () => {
  const d = volcanoData(100, 5);
  d.deltaPsi[1] = NaN;
  d.pValues[2] = NaN;
  d.pValues[3] = 1.5;
  d.deltaPsi[4] = Infinity;
  const root = checkSvg(plot.volcano(d, { thinning: 0 }));
  assert.ok(textOf(byClass(root, 'footnotes')[0]).includes('4 junctions with a NaN'));
  const calls = all(byClass(root, 'calls')[0], (n) => n.name === 'circle').length;
  assert.is(dotCount(byClass(root, 'others')[0]) + calls, 96);
});

test('volcano: p = 0 is drawn at the cap as a triangle, the cap is 1.1 × the largest finite −log10 p, and both are in the legend', () => {
  const d = volcanoData(500, 6);
  d.pValues[0] = 0; // a call (i % 50 === 0 has large Δψ) with p = 0
  d.padj[0] = 0;
  d.pValues[7] = 0; // not a call (small Δψ, padj from the uniform)
  let m = 0;
  for (let i = 0; i < 500; i++) if (d.pValues[i] > 0) m = Math.max(m, -Math.log10(d.pValues[i]));
  const root = checkSvg(plot.volcano(d));
  const callTriangles = all(byClass(root, 'calls')[0], (n) => n.name === 'path');
  assert.is(callTriangles.length, 1);
  assert.ok(callTriangles[0].children[0].text.includes('drawn at the cap'));
  assert.is(moveCount(byClass(root, 'others-capped')[0]), 1);
  const legend = textOf(byClass(root, 'legend')[0]);
  const cap = Math.max(1.1 * m, m + 1);
  assert.ok(legend.includes(`p = 0 or above the cap, drawn at −log₁₀ p = ${Number(cap.toPrecision(3))} (2)`), legend);
  // An explicit cap also caps finite values above it.
  const r2 = checkSvg(plot.volcano(d, { yCap: 3 }));
  let above = 0;
  for (let i = 0; i < 500; i++) if (!(d.pValues[i] > 1e-3)) above++;
  assert.ok(textOf(byClass(r2, 'legend')[0]).includes(`(${above})`));
});

test('volcano: the top calls by p get labels, at most labelTop, and none overlap', () => {
  const d = volcanoData(2000, 7);
  const root = checkSvg(plot.volcano(d, { labelTop: 5 }));
  const texts = all(byClass(root, 'labels')[0], (n) => n.name === 'text');
  const order = Array.from({ length: 2000 }, (_, i) => i)
    .filter((i) => d.padj[i] <= 0.1 && Math.abs(d.deltaPsi[i]) >= 0.1)
    .sort((a, b) => d.pValues[a] - d.pValues[b]);
  const notes = byClass(root, 'footnotes');
  const omitted = /(\d+) labels? of the top/.exec(notes.length ? textOf(notes[0]) : '');
  assert.is(texts.length + (omitted ? Number(omitted[1]) : 0), 5);
  for (const t of texts) assert.ok(order.slice(0, 5).map((i) => d.labels[i]).includes(t.text), t.text);
  assert.is(byClass(checkSvg(plot.volcano(d, { labelTop: 0 })), 'labels').length, 0);
  assert.is(byClass(checkSvg(plot.volcano({ deltaPsi: d.deltaPsi, pValues: d.pValues, padj: d.padj })), 'labels').length, 0, 'no labels without names');
});

test('volcano: 10⁵ points make a file under 300 kB by thinning on a 1 px grid, and the footnote says how many were drawn', () => {
  const d = volcanoData(100_000, 8);
  const svg = plot.volcano(d);
  const root = checkSvg(svg);
  assert.ok(svg.length < 300_000, `${svg.length} bytes`);
  const drawn = dotCount(byClass(root, 'others')[0]);
  const note = textOf(byClass(root, 'footnotes')[0]);
  const m = /([\d,]+) points not called, each within 1 px of one drawn, thinned out \(([\d,]+) drawn\)/.exec(note);
  assert.ok(m, note);
  assert.is(Number(m![2].replace(/,/g, '')), drawn);
  // Over 2,000 calls are drawn as a dot path too, without hover titles.
  const callMarks = byClass(root, 'calls')[0];
  const calls = callMarks.name === 'path' ? dotCount(callMarks) : callMarks.children.length;
  assert.ok(calls > 2000);
  assert.is(Number(m![1].replace(/,/g, '')) + drawn + calls, 100_000);
  // No two drawn dots share a pixel.
  const pts = byClass(root, 'others')[0].attrs.d.split('M').slice(1).map((s) => s.replace('h0', ''));
  assert.is(new Set(pts).size, pts.length);
});

test('volcano: arrays of different lengths are a ShapeError naming the array', () => {
  try {
    plot.volcano({ deltaPsi: [0.1, 0.2], pValues: [0.5] });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ShapeError);
    assert.is((e as ShapeError).argument, 'pValues');
  }
  assert.throws(() => plot.volcano({ deltaPsi: [0.1], pValues: [0.5], labels: [] }), (e: unknown) => e instanceof ShapeError && e.argument === 'labels');
  assert.throws(() => plot.volcano({ deltaPsi: [0.1], pValues: [0.5] }, { yCap: -1 }), (e: unknown) => e instanceof ArgumentValueError);
});

test('volcano: no points at all still makes a valid, empty figure', () => {
  const root = checkSvg(plot.volcano({ deltaPsi: [], pValues: [] }));
  assert.is(dotCount(byClass(root, 'others')[0]), 0);
});

// ---------------------------------------------------------------------------------------------
// QQ band and QQ plot

test('betaQuantile matches scipy.stats.beta.ppf to 1e-11 relative (plus scipy\'s own error) for n up to 10⁷', () => {
  let worst = 0;
  for (const [p, a, b, want, dx] of FIX.quantiles as number[][]) {
    const got = plot.betaQuantile(p, a, b);
    const err = Math.max(0, Math.abs(got - want) - 2 * Math.abs(dx)) / want;
    worst = Math.max(worst, err);
    if (!(err <= 1e-11)) assert.unreachable(`ppf(${p}, ${a}, ${b}) = ${got}, scipy ${want} (±${dx}): ${err}`);
  }
  assert.ok(worst > 0 || FIX.quantiles.length > 500);
});

test('betaCdf matches scipy.stats.beta.cdf to 1e-9 relative, and inverts betaQuantile', () => {
  for (const [x, a, b, want] of FIX.cdf as number[][]) {
    const got = plot.betaCdf(x, a, b);
    if (!(Math.abs(got - want) <= 1e-9 * want + 1e-300)) assert.unreachable(`cdf(${x}, ${a}, ${b}) = ${got}, scipy ${want}`);
  }
  for (const [a, b] of [[3, 7], [0.4, 2], [200, 30]]) {
    for (const p of [1e-8, 0.1, 0.5, 0.9]) assert.ok(Math.abs(plot.betaCdf(plot.betaQuantile(p, a, b), a, b) - p) <= 1e-12 * Math.max(p, 1e-3));
  }
  assert.ok(Number.isNaN(plot.betaQuantile(1.5, 1, 1)) && Number.isNaN(plot.betaQuantile(0.5, 0, 1)));
  assert.is(plot.betaQuantile(0, 2, 3), 0);
  assert.is(plot.betaQuantile(1, 2, 3), 1);
});

test('qqBand gives Beta(i, n − i + 1) quantiles at R\'s ppoints, with a 3/8 offset up to n = 10', () => {
  const b = plot.qqBand(1000, 0.95);
  assert.is(b.ranks[0], 1);
  assert.is(b.ranks[b.ranks.length - 1], 1000);
  assert.ok(b.ranks.length < 200, 'a few hundred ranks, not n');
  for (let k = 0; k < b.ranks.length; k++) {
    const i = b.ranks[k];
    assert.is(b.expected[k], (i - 0.5) / 1000);
    assert.is(b.lower[k], plot.betaQuantile((1 - 0.95) / 2, i, 1001 - i));
    assert.is(b.upper[k], plot.betaQuantile((1 + 0.95) / 2, i, 1001 - i));
    assert.ok(b.lower[k] < b.expected[k] && b.expected[k] < b.upper[k]);
  }
  assert.is(plot.plottingPosition(1, 10), (1 - 3 / 8) / (10 + 1 - 3 / 4));
  assert.is(plot.plottingPosition(1, 11), 0.5 / 11);
  const n7 = plot.qqBand(1e7);
  assert.ok(n7.ranks.length < 500);
  assert.ok(Math.abs(n7.lower[0] / -Math.expm1(Math.log1p(-0.025) / 1e7) - 1) < 1e-14);
});

test('QQ pooled: NaN and p outside [0, 1] are skipped and counted; the band and the diagonal are drawn; p = 0 is capped', () => {
  const rng = new Rng(10);
  const p = Array.from({ length: 5000 }, () => rng.uniform());
  p[0] = NaN;
  p[1] = -0.1;
  p[2] = 0;
  const root = checkSvg(plot.qq(p));
  assert.ok(textOf(byClass(root, 'footnotes')[0]).includes('2 p-values that are NaN or outside [0, 1] skipped'));
  assert.is(byClass(root, 'band').length, 1);
  assert.is(byClass(root, 'expected').length, 1);
  assert.is(moveCount(byClass(root, 'series-capped')[0]), 1);
  assert.ok(textOf(byClass(root, 'legend')[0]).includes('95% band (n = 4,998)'));
});

test('QQ pooled: 10⁶ p-values are thinned to a few thousand dots along the curve, always keeping the smallest p', () => {
  const rng = new Rng(11);
  const p = new Float64Array(1_000_000);
  for (let i = 0; i < p.length; i++) p[i] = rng.uniform();
  p[123] = 1e-12;
  const svg = plot.qq(p);
  const root = checkSvg(svg);
  const dots = dotCount(byClass(root, 'series')[0]);
  assert.ok(dots > 100 && dots < 5000, `${dots} dots`);
  assert.ok(svg.length < 100_000, `${svg.length} bytes`);
  assert.ok(textOf(byClass(root, 'footnotes')[0]).includes(`${dots.toLocaleString('en-US')} points drawn of 1,000,000`));
  // The top y tick is above 12 (−log10 1e-12), so the smallest p is on the plot.
  const yTicks = byClass(root, 'y-ticks')[0].children.map((c) => Number(textOf(c)));
  assert.ok(Math.max(...yTicks) >= 12);
});

test('QQ per sample: one dot path per sample, coloured and in the legend up to seven, else only the highlighted ones', () => {
  const rng = new Rng(12);
  const mk = (k: number) => Array.from({ length: k }, (_, s) => ({ name: `S${s}`, pValues: Array.from({ length: 300 }, () => rng.uniform()), highlight: s === 2 }));
  const few = checkSvg(plot.qq(mk(3)));
  assert.is(byClass(few, 'series').length, 3);
  assert.equal(byClass(few, 'series').map((n) => n.attrs['data-series']), ['S0', 'S1', 'S2']);
  assert.is(new Set(byClass(few, 'series').map((n) => n.attrs.stroke)).size, 3);
  const many = checkSvg(plot.qq(mk(20)));
  const series = byClass(many, 'series');
  assert.is(series.length, 20);
  assert.is(series[series.length - 1].attrs['data-series'], 'S2', 'the highlighted one is drawn last, on top');
  assert.is(series.filter((s) => s.attrs.stroke !== series[0].attrs.stroke).length, 1);
  assert.ok(textOf(byClass(many, 'legend')[0]).includes('other 19 samples'));
});

// ---------------------------------------------------------------------------------------------
// Aberrant events per sample

test('aberrant events per sample: one bar per sample, sorted ascending with ties in input order, names as tick labels', () => {
  const samples = ['a', 'b', 'c', 'd', 'e'];
  const counts = [5, 0, 12, 5, 1];
  const root = checkSvg(plot.aberrantPerSample({ samples, counts }, { highlight: ['c'] }));
  const bars = [...byClass(root, 'bars')[0].children, ...byClass(root, 'bars-highlighted')[0].children].sort((u, v) => Number(u.attrs.x) - Number(v.attrs.x));
  assert.equal(bars.map((b) => b.children[0].text), ['b: 0', 'e: 1', 'a: 5', 'd: 5', 'c: 12']);
  const heights = bars.map((b) => Number(b.attrs.height));
  for (let k = 1; k < heights.length; k++) assert.ok(heights[k] >= heights[k - 1]);
  assert.equal(byClass(root, 'x-ticks')[0].children.map(textOf), ['b', 'e', 'a', 'd', 'c']);
  assert.is(byClass(root, 'bars-highlighted')[0].children.length, 1);
  assert.ok(textOf(byClass(root, 'legend')[0]).includes('median 5'));
});

test('aberrant events per sample on a log axis: zero counts get no bar but a mark and a footnote; many samples show ranks', () => {
  const root = checkSvg(plot.aberrantPerSample({ samples: ['a', 'b', 'c'], counts: [0, 3, 300] }, { yScale: 'log' }));
  assert.is(byClass(root, 'bars')[0].children.length, 2);
  assert.is(moveCount(byClass(root, 'zeros')[0]), 1);
  assert.ok(textOf(byClass(root, 'footnotes')[0]).includes('1 sample with 0 aberrant events has no bar'));
  const names = Array.from({ length: 300 }, (_, i) => `s${i}`);
  const big = checkSvg(plot.aberrantPerSample({ samples: names, counts: names.map((_, i) => i % 17) }));
  const ticks = byClass(big, 'x-ticks')[0].children.map(textOf);
  assert.ok(ticks.length >= 4 && ticks.length <= 10 && ticks.every((t) => /^\d+$/.test(t)), ticks.join(' '));
  assert.throws(() => plot.aberrantPerSample({ samples: ['a'], counts: [1, 2] }), (e: unknown) => e instanceof ShapeError);
});

// ---------------------------------------------------------------------------------------------
// Encoding dimension and loss

test('singular values: dots above and below the threshold, the threshold and q lines; numerical zeros are left out and counted', () => {
  const s = [400, 200, 90, 40, 20, 12, 9, 7, 5, 1e-6];
  const root = checkSvg(plot.encodingDimension({ method: 'oht', singularValues: s, threshold: 30, rank: 4 }, 4));
  assert.is(dotCount(byClass(root, 'values-above')[0]), 4);
  assert.is(dotCount(byClass(root, 'values-below')[0]), 5);
  assert.is(byClass(root, 'threshold').length, 1);
  assert.is(byClass(root, 'chosen').length, 1);
  assert.ok(textOf(byClass(root, 'footnotes')[0]).includes('1 singular value at or below'));
  assert.throws(() => plot.encodingDimension({ method: 'given' }), (e: unknown) => e instanceof ArgumentValueError);
});

test('AUC-PR per q: a line with a gap at NaN, dots at the fitted q, and the best q ringed by default', () => {
  const root = checkSvg(plot.encodingDimension({ method: 'grid', grid: [2, 5, 10, 20, 40], aucPr: [0.4, 0.7, NaN, 0.65, 0.5] }));
  assert.is(moveCount(byClass(root, 'curve')[0]), 2, 'two runs either side of the gap');
  assert.is(dotCount(byClass(root, 'points')[0]), 4);
  assert.ok(textOf(byClass(root, 'legend')[0]).includes('chosen q = 5 (AUC-PR 0.700)'));
  assert.is(byClass(root, 'chosen-point').length, 1);
  const given = checkSvg(plot.aucPrSearch({ grid: [2, 5, 10], aucPr: [0.4, 0.7, 0.6], q: 10 }));
  assert.ok(textOf(byClass(given, 'legend')[0]).includes('chosen q = 10 (AUC-PR 0.600)'));
});

test('loss: one series per stage on a shared axis, gaps at NaN, and values ≤ 0 left out of a log axis with a footnote', () => {
  const root = checkSvg(plot.loss([{ name: 'rho', values: [3, 2.5] }, { name: 'updateD', values: [2.4, NaN, 2.2, 2.1], start: 3 }]));
  const series = byClass(root, 'series');
  assert.equal(series.map((s) => s.attrs['data-series']), ['rho', 'updateD']);
  assert.is(moveCount(byClass(series[1], 'curve')[0]), 2);
  assert.is(dotCount(byClass(series[1], 'points')[0]), 3);
  assert.ok(textOf(byClass(root, 'footnotes')[0]).includes('1 value that is NaN left as a gap'));
  const log = checkSvg(plot.loss(new Float64Array([10, 1, 0, 0.1]), { yScale: 'log' }));
  assert.ok(textOf(byClass(log, 'footnotes')[0]).includes('or ≤ 0 (log axis)'));
  assert.is(dotCount(byClass(log, 'points')[0]), 3);
  assert.throws(() => plot.loss([1, 2], { yScale: 'sqrt' as 'log' }), (e: unknown) => e instanceof ArgumentValueError);
});

test.run();
