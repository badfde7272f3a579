/**
 * FRASER's splice metrics: per feature and sample a count k and a total n, ψ = k/n, and Δψ from
 * the feature's median across samples. From split reads per junction (K_j, N×J) and non-split
 * reads per splice site (K_s, N×S), as FRASER 2 computes them (calculatePSIValues):
 *
 *   psi5     k = K_j,  n = Σ K_j over the junctions sharing the donor (the junction included)
 *   psi3     k = K_j,  n = Σ K_j over the junctions sharing the acceptor
 *   jaccard  k = K_j,  n = n_psi5 + n_psi3 − K_j + K_s(start-side site) + K_s(end-side site)
 *            (the intron Jaccard index, FRASER 2's default)
 *   theta    per splice site: k = K_s,  n = K_s + Σ K_j over the junctions with an end at the site
 *
 * Donor and acceptor are strand-aware: the donor is the `start` side on '+' and '*' (unstranded),
 * the `end` side on '−'. Junctions are grouped within their strand class ({'+', '*'} or {'−'})
 * and seqnames, as the reference does (data.table `by = "seqnames,start"` within each class).
 *
 * A junction's sites are its table's startID/endID (matched to the sites' spliceSiteID) when both
 * tables have them, else by coordinates: the start-side site is [start − 1, start], the end-side
 * [end, end + 1], same seqnames, strand equal or either '*'. A junction end without a site counts
 * as zero non-split reads (as in the reference), and `unlinked` reports how many there were.
 *
 * NaN policy: ψ = NaN where n = 0 (no reads at all; the reference writes 1 there for psi5, psi3
 * and theta and keeps NaN for jaccard). Medians skip NaN (R's rowMedians(na.rm = TRUE)); Δψ is NaN
 * where ψ is, and the median is NaN for a feature with no reads in any sample.
 *
 * Shapes: every matrix is samples × features, row-major (counts[i * F + j]), the model's layout;
 * a result `{ k, n, samples }` is a valid `fraser.fit` input.
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError } from '../../errors.js';
import { SampleMismatchError } from '../../io/errors.js';
import type { GenomicFeatures, Strand } from '../../io/features.js';

export type SpliceMetric = 'jaccard' | 'psi5' | 'psi3' | 'theta';
export const SPLICE_METRICS: readonly SpliceMetric[] = ['jaccard', 'psi5', 'psi3', 'theta'];

type Counts = Uint32Array | Float64Array;
type Coordinates = Pick<GenomicFeatures, 'seqnames' | 'start' | 'end'> & { strand: readonly (Strand | string)[] };

/** Reads per (sample, feature) with the features' coordinates. */
export interface FeatureReads {
  features: Coordinates;
  /** samples × features, row-major. */
  counts: Counts;
  /** Sample names (junctions' and sites' must agree), or the number of samples. */
  samples: readonly string[] | number;
  /** The file they came from, for error messages. */
  file?: string;
}

/** Split reads per junction (a JunctionTable is one). */
export interface SplitReads extends FeatureReads {
  /** Site ids of each junction's start and end side ('' or null entries: none). */
  startID?: readonly (string | number)[] | null;
  endID?: readonly (string | number)[] | null;
}

/** Non-split reads per splice site (a SiteTable is one). */
export interface NonSplitReads extends FeatureReads {
  spliceSiteID?: readonly (string | number)[] | null;
}

/**
 * A metric's counts per (sample, feature), samples × features row-major. `k` is the input's count
 * array itself when that is a Uint32Array (not a copy); every other array is new.
 */
export interface SpliceMetricCounts {
  metric: SpliceMetric;
  /** N. */
  samples: number;
  /** F: junctions for jaccard, psi5 and psi3; splice sites for theta. */
  features: number;
  k: Uint32Array;
  n: Uint32Array;
  /** k / n; NaN where n = 0. */
  psi: Float64Array;
  /** ψ − the feature's median ψ over samples (NaN skipped). */
  deltaPsi: Float64Array;
  /** Each feature's median ψ over samples (NaN skipped; NaN if every ψ is). */
  median: Float64Array;
  /** Junction ends without a splice site (jaccard, theta; their non-split reads count as 0); 0 for psi5, psi3. */
  unlinked: number;
}

/** Sites of each junction's two ends (-1 for none). */
export interface JunctionSites {
  startSite: Int32Array;
  endSite: Int32Array;
  /** Junction ends without a site. */
  unlinked: number;
  by: 'ids' | 'coordinates';
}

function sampleCount(counts: Counts, F: number, samples: readonly string[] | number, what: string): number {
  if (!(counts instanceof Uint32Array || counts instanceof Float64Array)) {
    throw new ArgumentTypeError(`${what}.counts must be a Uint32Array or Float64Array (samples × features)`, `${what}.counts`);
  }
  const N = typeof samples === 'number' ? samples : samples.length;
  if (!Number.isInteger(N) || N < 1) throw new ArgumentValueError(`${what} needs at least one sample`, `${what}.samples`);
  if (counts.length !== N * F) throw new ShapeError(`${what}.counts has ${counts.length} entries, not samples × features = ${N} × ${F}`, `${what}.counts`);
  if (counts instanceof Float64Array) {
    for (let c = 0; c < counts.length; c++) {
      const v = counts[c];
      if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new ArgumentValueError(`${what}.counts[${c}] = ${v} is not a count (a non-negative integer)`, `${what}.counts`);
    }
  }
  return N;
}

function checkSameSamples(j: SplitReads, s: NonSplitReads): number {
  const J = j.features.seqnames.length;
  const S = s.features.seqnames.length;
  const N = sampleCount(j.counts, J, j.samples, 'junctions');
  const Ns = sampleCount(s.counts, S, s.samples, 'sites');
  if (typeof j.samples !== 'number' && typeof s.samples !== 'number') {
    if (!j.samples.every((x, i) => x === (s.samples as readonly string[])[i]) || j.samples.length !== s.samples.length) {
      const js = new Set(j.samples);
      const ss = new Set(s.samples);
      const missing = j.samples.filter((x) => !ss.has(x));
      const extra = s.samples.filter((x) => !js.has(x));
      const detail = missing.length + extra.length === 0 ? 'lists the same samples in another order (io.readSpliceCounts aligns them)' : `${missing.length ? `lacks ${missing.map((x) => `'${x}'`).join(', ')}` : ''}${missing.length && extra.length ? ' and ' : ''}${extra.length ? `has ${extra.map((x) => `'${x}'`).join(', ')} besides` : ''}`;
      throw new SampleMismatchError(`the site counts' samples differ from the junction counts' (${j.file ?? 'junctions'}): ${detail}`, { file: s.file ?? 'sites' });
    }
  }
  if (N !== Ns) throw new ShapeError(`junction counts have ${N} samples, site counts ${Ns}`, 'sites.samples');
  return N;
}

/** Donor side on '+' and '*': start; on '−': end. */
function isMinus(strand: string): boolean {
  return strand === '-';
}

/**
 * Group index per junction for the donor (psi5) and the acceptor (psi3) side: junctions with the
 * same group share that splice site (same seqnames, same strand class, same position).
 */
export function spliceSiteGroups(features: Coordinates): { donor: Int32Array; acceptor: Int32Array; donorGroups: number; acceptorGroups: number } {
  const J = features.seqnames.length;
  const donor = new Int32Array(J);
  const acceptor = new Int32Array(J);
  const d = new Map<string, number>();
  const a = new Map<string, number>();
  for (let j = 0; j < J; j++) {
    const minus = isMinus(features.strand[j]);
    const cls = minus ? '-' : '+';
    const donorPos = minus ? features.end[j] : features.start[j];
    const accPos = minus ? features.start[j] : features.end[j];
    const dk = `${cls}\t${features.seqnames[j]}\t${minus ? 'e' : 's'}${donorPos}`;
    const ak = `${cls}\t${features.seqnames[j]}\t${minus ? 's' : 'e'}${accPos}`;
    let g = d.get(dk);
    if (g === undefined) d.set(dk, (g = d.size));
    donor[j] = g;
    g = a.get(ak);
    if (g === undefined) a.set(ak, (g = a.size));
    acceptor[j] = g;
  }
  return { donor, acceptor, donorGroups: d.size, acceptorGroups: a.size };
}

function idString(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return s === 'NA' ? '' : s;
}

/** Links each junction's two ends to splice sites (see the file header for the rules). */
export function linkJunctionsToSites(junctions: Pick<SplitReads, 'features' | 'startID' | 'endID'>, sites: Pick<NonSplitReads, 'features' | 'spliceSiteID'>): JunctionSites {
  const J = junctions.features.seqnames.length;
  const S = sites.features.seqnames.length;
  const startSite = new Int32Array(J).fill(-1);
  const endSite = new Int32Array(J).fill(-1);
  let unlinked = 0;
  const byIds = !!junctions.startID && !!junctions.endID && !!sites.spliceSiteID;
  if (byIds) {
    const pos = new Map<string, number>();
    for (let s = 0; s < S; s++) pos.set(idString(sites.spliceSiteID![s]), s);
    for (let j = 0; j < J; j++) {
      const a = idString(junctions.startID![j]);
      const b = idString(junctions.endID![j]);
      startSite[j] = a === '' ? -1 : pos.get(a) ?? -1;
      endSite[j] = b === '' ? -1 : pos.get(b) ?? -1;
    }
  } else {
    const sf = sites.features;
    const locus = new Map<string, number[]>();
    for (let s = 0; s < S; s++) {
      const key = `${sf.seqnames[s]}:${sf.start[s]}-${sf.end[s]}`;
      const list = locus.get(key);
      if (list) list.push(s);
      else locus.set(key, [s]);
    }
    const find = (seqnames: string, a: number, strand: string): number => {
      const list = locus.get(`${seqnames}:${a}-${a + 1}`);
      if (!list) return -1;
      let loose = -1;
      for (const s of list) {
        const t = sf.strand[s];
        if (t === strand) return s;
        if (loose < 0 && (t === '*' || strand === '*')) loose = s;
      }
      return loose;
    };
    const f = junctions.features;
    for (let j = 0; j < J; j++) {
      startSite[j] = find(f.seqnames[j], f.start[j] - 1, f.strand[j]);
      endSite[j] = find(f.seqnames[j], f.end[j], f.strand[j]);
    }
  }
  for (let j = 0; j < J; j++) unlinked += (startSite[j] < 0 ? 1 : 0) + (endSite[j] < 0 ? 1 : 0);
  return { startSite, endSite, unlinked, by: byIds ? 'ids' : 'coordinates' };
}

const MAX_TOTAL = 0xffffffff;

function toU32(total: Float64Array, what: string): Uint32Array {
  const out = new Uint32Array(total.length);
  for (let c = 0; c < total.length; c++) {
    // Guards the Uint32 layout the model reads: a sum of many large counts could pass 2³² − 1.
    if (total[c] > MAX_TOTAL) throw new ArgumentValueError(`a ${what} total (${total[c]}) exceeds ${MAX_TOTAL}, the largest count supported`, what);
    out[c] = total[c];
  }
  return out;
}

function asU32(counts: Counts): Uint32Array {
  return counts instanceof Uint32Array ? counts : Uint32Array.from(counts);
}

/** n_psi5 or n_psi3 (samples × junctions) from the group index of each junction. */
function groupTotals(K: Counts, N: number, J: number, group: Int32Array, G: number): Float64Array {
  const sums = new Float64Array(G);
  const out = new Float64Array(N * J);
  for (let i = 0; i < N; i++) {
    sums.fill(0);
    const row = i * J;
    for (let j = 0; j < J; j++) sums[group[j]] += K[row + j];
    for (let j = 0; j < J; j++) out[row + j] = sums[group[j]];
  }
  return out;
}

/** ψ = k/n (NaN where n = 0). */
export function psiValues(k: ArrayLike<number>, n: ArrayLike<number>): Float64Array {
  const psi = new Float64Array(k.length);
  for (let c = 0; c < psi.length; c++) psi[c] = n[c] > 0 ? k[c] / n[c] : NaN;
  return psi;
}

/**
 * Rearranges the first m values of `x` (no NaN) so that x[r] is the r-th smallest (0-based),
 * with nothing larger before it and nothing smaller after it, and returns it: Hoare's
 * quickselect with a median-of-three pivot, O(m) on average (a sort per feature costs ~10× more
 * at a few hundred samples).
 */
export function selectInPlace(x: Float64Array, m: number, r: number): number {
  let lo = 0;
  let hi = m - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three into x[mid].
    if (x[mid] < x[lo]) swap(x, mid, lo);
    if (x[hi] < x[lo]) swap(x, hi, lo);
    if (x[hi] < x[mid]) swap(x, hi, mid);
    const pivot = x[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (x[i] < pivot) i++;
      while (x[j] > pivot) j--;
      if (i <= j) {
        swap(x, i, j);
        i++;
        j--;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else break;
  }
  return x[r];
}

function swap(x: Float64Array, a: number, b: number): void {
  const t = x[a];
  x[a] = x[b];
  x[b] = t;
}

/** The smallest of x[from..m). */
export function minFrom(x: Float64Array, from: number, m: number): number {
  let v = x[from];
  for (let i = from + 1; i < m; i++) if (x[i] < v) v = x[i];
  return v;
}

/** The median of the first m values of `x` (which this reorders); NaN when m = 0. */
export function medianInPlace(x: Float64Array, m: number): number {
  if (m === 0) return NaN;
  const h = (m - 1) >> 1;
  const a = selectInPlace(x, m, h);
  return m % 2 === 1 ? a : (a + minFrom(x, h + 1, m)) / 2;
}

/** Columns a block holds: 64 columns × a few hundred samples of f64 stay in L2. */
export const COLUMN_BLOCK = 64;

/**
 * Copies columns j0 … j0 + w − 1 (w = min(COLUMN_BLOCK, F − j0), returned) of the N × F row-major
 * matrix `a` into `out` as contiguous columns: out[b * N + i] = a[i * F + j0 + b]. Per-feature
 * statistics read a column at stride F, a cache miss per value at large F; reading rows of a block
 * and transposing it in cache avoids that.
 */
export function gatherColumns(a: ArrayLike<number>, N: number, F: number, j0: number, out: Float64Array): number {
  const w = Math.min(COLUMN_BLOCK, F - j0);
  for (let i = 0; i < N; i++) {
    const row = i * F + j0;
    for (let b = 0; b < w; b++) out[b * N + i] = a[row + b];
  }
  return w;
}

/**
 * Δψ = ψ − the feature's median over samples, skipping NaN (R's median: the mean of the two
 * middle values for an even count). ψ is samples × features.
 */
export function deltaFromMedian(psi: Float64Array, samples: number, features: number): { deltaPsi: Float64Array; median: Float64Array } {
  const N = samples;
  const F = features;
  if (psi.length !== N * F) throw new ShapeError(`psi has ${psi.length} entries, not ${N} × ${F}`, 'psi');
  const median = new Float64Array(F);
  const deltaPsi = new Float64Array(N * F);
  const block = new Float64Array(N * COLUMN_BLOCK);
  for (let j0 = 0; j0 < F; j0 += COLUMN_BLOCK) {
    const w = gatherColumns(psi, N, F, j0, block);
    for (let b = 0; b < w; b++) {
      const col = block.subarray(b * N, (b + 1) * N);
      let m = 0;
      for (let i = 0; i < N; i++) {
        const v = col[i];
        if (v === v) col[m++] = v;
      }
      median[j0 + b] = medianInPlace(col, m);
    }
    for (let i = 0; i < N; i++) {
      const row = i * F + j0;
      for (let b = 0; b < w; b++) deltaPsi[row + b] = psi[row + b] - median[j0 + b];
    }
  }
  return { deltaPsi, median };
}

function finish(metric: SpliceMetric, N: number, F: number, k: Uint32Array, n: Uint32Array, unlinked: number): SpliceMetricCounts {
  const psi = psiValues(k, n);
  const { deltaPsi, median } = deltaFromMedian(psi, N, F);
  return { metric, samples: N, features: F, k, n, psi, deltaPsi, median, unlinked };
}

/** psi5: k = split reads, n = split reads of every junction sharing the donor. */
export function psi5(junctions: SplitReads): SpliceMetricCounts {
  return psiSide(junctions, 'psi5');
}

/** psi3: k = split reads, n = split reads of every junction sharing the acceptor. */
export function psi3(junctions: SplitReads): SpliceMetricCounts {
  return psiSide(junctions, 'psi3');
}

function psiSide(junctions: SplitReads, metric: 'psi5' | 'psi3'): SpliceMetricCounts {
  const J = junctions.features.seqnames.length;
  const N = sampleCount(junctions.counts, J, junctions.samples, 'junctions');
  const g = spliceSiteGroups(junctions.features);
  const n = metric === 'psi5' ? groupTotals(junctions.counts, N, J, g.donor, g.donorGroups) : groupTotals(junctions.counts, N, J, g.acceptor, g.acceptorGroups);
  return finish(metric, N, J, asU32(junctions.counts), toU32(n, metric), 0);
}

/** The intron Jaccard index: k = split reads, n = the union of reads at both splice sites. */
export function jaccard(junctions: SplitReads, sites: NonSplitReads): SpliceMetricCounts {
  const J = junctions.features.seqnames.length;
  const S = sites.features.seqnames.length;
  const N = checkSameSamples(junctions, sites);
  const g = spliceSiteGroups(junctions.features);
  const K = junctions.counts;
  const n5 = groupTotals(K, N, J, g.donor, g.donorGroups);
  const n3 = groupTotals(K, N, J, g.acceptor, g.acceptorGroups);
  const link = linkJunctionsToSites(junctions, sites);
  const n = jaccardTotals(n5, n3, K, sites.counts, link, N, J, S);
  return finish('jaccard', N, J, asU32(K), n, link.unlinked);
}

/** n_jaccard = n_psi5 + n_psi3 − k + non-split reads at both linked sites (samples × junctions). */
function jaccardTotals(n5: ArrayLike<number>, n3: ArrayLike<number>, K: ArrayLike<number>, Ks: ArrayLike<number>, link: JunctionSites, N: number, J: number, S: number): Uint32Array {
  const n = new Float64Array(N * J);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < J; j++) {
      const c = i * J + j;
      const a = link.startSite[j];
      const b = link.endSite[j];
      n[c] = n5[c] + n3[c] - K[c] + (a >= 0 ? Ks[i * S + a] : 0) + (b >= 0 ? Ks[i * S + b] : 0);
    }
  }
  return toU32(n, 'jaccard');
}

/** Splicing efficiency per site: k = non-split reads, n = non-split + split reads at the site. */
export function theta(junctions: SplitReads, sites: NonSplitReads): SpliceMetricCounts {
  const J = junctions.features.seqnames.length;
  const S = sites.features.seqnames.length;
  const N = checkSameSamples(junctions, sites);
  const link = linkJunctionsToSites(junctions, sites);
  const K = junctions.counts;
  const Ks = sites.counts;
  const n = new Float64Array(N * S);
  for (let c = 0; c < n.length; c++) n[c] = Ks[c];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < J; j++) {
      const v = K[i * J + j];
      if (link.startSite[j] >= 0) n[i * S + link.startSite[j]] += v;
      if (link.endSite[j] >= 0) n[i * S + link.endSite[j]] += v;
    }
  }
  return finish('theta', N, S, asU32(Ks), toU32(n, 'theta'), link.unlinked);
}

/** One of the four metrics; jaccard and theta need the site counts. */
export function spliceMetric(metric: SpliceMetric, junctions: SplitReads, sites?: NonSplitReads): SpliceMetricCounts {
  switch (metric) {
    case 'psi5':
      return psi5(junctions);
    case 'psi3':
      return psi3(junctions);
    case 'jaccard':
    case 'theta':
      if (!sites) throw new ArgumentValueError(`the ${metric} metric needs the splice-site (non-split read) counts`, 'sites');
      return metric === 'jaccard' ? jaccard(junctions, sites) : theta(junctions, sites);
    default:
      throw new ArgumentValueError(`metric must be one of ${SPLICE_METRICS.join(', ')}, got ${JSON.stringify(metric)}`, 'metric');
  }
}

/** What the external-counts format gives (an io ExternalCounts is one). */
export interface ExternalTotals {
  samples: readonly string[];
  junctions: Coordinates;
  sites: Coordinates;
  kJ: Uint32Array;
  nPsi5: Uint32Array;
  nPsi3: Uint32Array;
  kTheta: Uint32Array;
  nTheta: Uint32Array;
}

/**
 * A metric from external counts, whose psi5, psi3 and theta totals are given. jaccard's total is
 * n_psi5 + n_psi3 − k_j + k_theta at the junction's two sites, linked by coordinates (the format
 * has no site ids).
 */
export function externalMetric(metric: SpliceMetric, ext: ExternalTotals): SpliceMetricCounts {
  const N = ext.samples.length;
  const J = ext.junctions.seqnames.length;
  const S = ext.sites.seqnames.length;
  switch (metric) {
    case 'psi5':
      return finish(metric, N, J, ext.kJ, ext.nPsi5, 0);
    case 'psi3':
      return finish(metric, N, J, ext.kJ, ext.nPsi3, 0);
    case 'theta':
      return finish(metric, N, S, ext.kTheta, ext.nTheta, 0);
    case 'jaccard': {
      const link = linkJunctionsToSites({ features: ext.junctions }, { features: ext.sites });
      return finish(metric, N, J, ext.kJ, jaccardTotals(ext.nPsi5, ext.nPsi3, ext.kJ, ext.kTheta, link, N, J, S), link.unlinked);
    }
    default:
      throw new ArgumentValueError(`metric must be one of ${SPLICE_METRICS.join(', ')}, got ${JSON.stringify(metric)}`, 'metric');
  }
}

/** The metric restricted to the features at `index` (e.g. those a filter kept), Δψ kept as computed. */
export function selectMetricFeatures(m: SpliceMetricCounts, index: ArrayLike<number>): SpliceMetricCounts {
  const N = m.samples;
  const F = m.features;
  const G = index.length;
  const k = new Uint32Array(N * G);
  const n = new Uint32Array(N * G);
  const psi = new Float64Array(N * G);
  const deltaPsi = new Float64Array(N * G);
  const median = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const j = index[g];
    if (!(j >= 0 && j < F)) throw new ArgumentValueError(`index[${g}] = ${j} is not a feature index in [0, ${F})`, 'index');
    median[g] = m.median[j];
  }
  for (let i = 0; i < N; i++) {
    for (let g = 0; g < G; g++) {
      const src = i * F + index[g];
      const dst = i * G + g;
      k[dst] = m.k[src];
      n[dst] = m.n[src];
      psi[dst] = m.psi[src];
      deltaPsi[dst] = m.deltaPsi[src];
    }
  }
  return { ...m, features: G, k, n, psi, deltaPsi, median };
}
