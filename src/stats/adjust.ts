import { ArgumentTypeError, ArgumentValueError, ShapeError, requireFloat64Array, requireInteger } from '../errors.js';

/**
 * Multiple-testing adjustments, equal to R's `p.adjust` for methods "BH", "BY" and "holm", plus
 * FRASER's per-sample and gene-level rules.
 *
 * NaN entries are ignored: they stay NaN in the output and are not counted in the number of tests
 * m (R: `p.adjust(p[!is.na(p)], method)` put back in place; note that R's default
 * `p.adjust(p, method)` would count NA entries in m). With m non-NaN p-values sorted ascending,
 * p(1) ≤ … ≤ p(m):
 *   holm: padj(i) = min(1, max_{j ≤ i} (m − j + 1)·p(j))
 *   BH:   padj(i) = min(1, min_{j ≥ i} m/j · p(j))
 *   BY:   BH times q = Σ_{j=1..m} 1/j
 * Ties are handled as R does (the cumulative max/min makes tied p-values share one value).
 * Sources: Holm (1979); Benjamini & Hochberg (1995); Benjamini & Yekutieli (2001); R stats::p.adjust.
 */

export type Method = 'BH' | 'BY' | 'holm';

function checkP(p: unknown, name = 'p'): Float64Array {
  const a = requireFloat64Array(p, name);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < 0 || v > 1) throw new ArgumentValueError(`${name}[${i}] must be a p-value in [0, 1] or NaN, got ${v}`, `${name}[${i}]`);
  }
  return a;
}

function checkMethod(method: unknown, allowed: readonly string[]): Method {
  if (typeof method !== 'string' || !allowed.includes(method)) {
    throw new ArgumentValueError(`method must be one of ${allowed.join(', ')}, got ${String(method)}`, 'method');
  }
  return method as Method;
}

// The cut below which values are sorted (see adjustStrided) is chosen on a histogram of the values
// by their binary exponent and two leading mantissa bits: bucket b ≥ 1 holds [2^e·(1 + r/4),
// 2^e·(1 + (r+1)/4)) for e = −BUCKET_OCTAVES … 0 (r = 0..3); bucket 0 holds everything below
// 2^−BUCKET_OCTAVES, the last bucket [1, 2) holds 1.
const BUCKET_OCTAVES = 60;
const BUCKETS = 4 * (BUCKET_OCTAVES + 1) + 1;
// The cut leaves out values whose adjusted value is ≥ 1 with this relative margin, so that rounding
// in the products (≈ 1e-16) cannot bring one of them below 1.
const CUT_MARGIN = 1e-9;
// Up to this many values the plain sort is used (the histogram would cost more than it saves).
const SMALL = 64;

const hist = new Float64Array(BUCKETS);
// Index of the high 32-bit word of a double in a Uint32Array view (1 on little-endian hosts).
const HI_WORD = new Uint32Array(new Float64Array([1]).buffer)[1] === 0x3ff00000 ? 1 : 0;

/** Lower edge of bucket b (0 for bucket 0). */
function bucketLow(b: number): number {
  if (b === 0) return 0;
  const e = Math.floor((b - 1) / 4) - BUCKET_OCTAVES;
  return 2 ** e * (1 + ((b - 1) % 4) / 4);
}

/** Bucket of a value in [0, 1] (see bucketLow) from the high word of its double. */
function bucketOf(hi: number): number {
  const e = (hi >>> 20) - 1023;
  if (e < -BUCKET_OCTAVES) return 0;
  return 1 + 4 * (e + BUCKET_OCTAVES) + ((hi >>> 18) & 3);
}

/**
 * The smallest x such that every value ≥ x has adjusted value 1, from the histogram of the cnt
 * values (2 when none is found: nothing is left out).
 * BH/BY (factor q·cnt/j at rank j, 1-based): a value p(j) ≥ x has adjusted value 1 when every
 * p(i) ≥ x has q·cnt·p(i)/i ≥ 1. With x the lower edge of bucket b, the values in buckets ≥ b'
 * (≥ b) have ranks i ≤ (number of values below the upper edge of b') and are ≥ the lower edge of
 * b', so it suffices that count(< upper(b')) ≤ q·cnt·lower(b') for every b' ≥ b: scanned from the
 * top bucket down, stopping at the first bucket that fails.
 * Holm (factor cnt − j + 1 at rank j, running maximum from the bottom): every value ≥ x has
 * adjusted value 1 when the smallest of them, at rank count(< x) + 1, already has
 * (cnt − count(< x))·x ≥ 1: the lowest bucket edge where that holds.
 */
function cutFromHistogram(cnt: number, method: Method, q: number): number {
  if (method === 'holm') {
    let below = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const x = bucketLow(b);
      if ((cnt - below) * x >= 1 + CUT_MARGIN) return x;
      below += hist[b];
    }
    return 2;
  }
  let above = 0;
  let cut = 2;
  for (let b = BUCKETS - 1; b >= 1; b--) {
    // count(< upper(b)) = cnt − (values in buckets above b).
    if (cnt - above > q * cnt * bucketLow(b) * (1 - CUT_MARGIN)) break;
    cut = bucketLow(b);
    above += hist[b];
  }
  return cut;
}

/**
 * Adjusts `m` values of `src` starting at `off` with stride `stride` into `dst` (same positions),
 * ignoring NaN. Scratch arrays are module-level and reused (grown as needed).
 *
 * Only the values that can have an adjusted value below 1 are sorted: every p ≥ x for a cut x
 * (cutFromHistogram) gets exactly 1, and the ranks of the values below x among all values are their
 * ranks among themselves, so the adjusted values below x are the same expressions as with a full
 * sort (bit for bit: the same q·cnt/j·p(j) or (cnt − j + 1)·p(j) at the same rank j, and a running
 * minimum or maximum that the values ≥ x, all ≥ 1 after rounding by the margin, cannot change after
 * the clamp to 1). For BY, q·p(j) ≤ padj(j) puts the cut at ≤ 1/q ≈ 0.1 (m = 20000) whatever the
 * data; for Holm near 1/cnt; for BH it depends on the data (with p-values close to uniform it is
 * near 1, and then everything is sorted as before).
 */
function adjustStrided(src: Float64Array, dst: Float64Array, off: number, m: number, stride: number, method: Method): void {
  // One pass: the count of non-NaN values (NaN gives NaN) and, for more than SMALL values, the
  // histogram for the cut.
  let cnt = 0;
  const useCut = m > SMALL;
  if (useCut) {
    hist.fill(0);
    const bits = new Uint32Array(src.buffer, src.byteOffset, 2 * src.length);
    for (let i = 0; i < m; i++) {
      const at = off + i * stride;
      const v = src[at];
      if (v === v) {
        cnt++;
        hist[bucketOf(bits[2 * at + HI_WORD])]++;
      } else dst[at] = NaN;
    }
  } else {
    for (let i = 0; i < m; i++) {
      const v = src[off + i * stride];
      if (v === v) cnt++;
      else dst[off + i * stride] = NaN;
    }
  }
  if (cnt === 0) return;
  let q = 1;
  if (method === 'BY') {
    q = 0;
    for (let j = cnt; j >= 1; j--) q += 1 / j;
  }
  const cut = useCut ? cutFromHistogram(cnt, method, q) : 2;
  // The values below the cut and their positions; the others are 1.
  if (scratchPos.length < m) {
    scratchPos = new Uint32Array(m);
    scratchVal = new Float64Array(2 * m);
  }
  const pos = scratchPos;
  let c = 0;
  for (let i = 0; i < m; i++) {
    const at = off + i * stride;
    const v = src[at];
    if (v < cut) {
      scratchVal[c] = v;
      pos[c++] = at;
    } else if (v === v) dst[at] = 1;
  }
  if (c === 0) return;
  // Sorted natively (no comparator: a typed-array sort is numeric and several times faster than
  // sorting an index array through a closure) into `keys`, adjusted into `adj`, and each value's
  // result read at its rank, found by binary search in `keys`. Tied p-values have equal adjusted
  // values under both step-up (BH, BY: running minimum from the top) and step-down (Holm: running
  // maximum from the bottom), so any rank within a tie will do.
  const vals = scratchVal.subarray(0, c);
  const keys = scratchVal.subarray(m, m + c);
  keys.set(vals);
  keys.sort();
  const adj = adjustSorted(keys, cnt, method, q);
  for (let r = 0; r < c; r++) {
    const v = vals[r];
    let lo = 0, hi = c - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    dst[pos[r]] = adj[lo];
  }
}

let scratchPos = new Uint32Array(0);
let scratchVal = new Float64Array(0);
let scratchAdj = new Float64Array(0);

/**
 * The adjusted values of the c smallest of cnt p-values, given sorted ascending in `keys`
 * (R's formulas and order of operations; see the module header), in a reused array.
 */
function adjustSorted(keys: Float64Array, cnt: number, method: Method, q: number): Float64Array {
  const c = keys.length;
  if (scratchAdj.length < c) scratchAdj = new Float64Array(Math.max(c, 2 * scratchAdj.length));
  const adj = scratchAdj;
  if (method === 'holm') {
    let run = 0;
    for (let j = 0; j < c; j++) {
      const v = (cnt - j) * keys[j];
      if (v > run) run = v;
      adj[j] = run < 1 ? run : 1;
    }
  } else {
    let run = Infinity;
    for (let j = c - 1; j >= 0; j--) {
      const v = ((q * cnt) / (j + 1)) * keys[j];
      if (v < run) run = v;
      adj[j] = run < 1 ? run : 1;
    }
  }
  return adj;
}

function adjustOne(p: Float64Array, method: Method): Float64Array {
  const out = new Float64Array(p.length);
  adjustStrided(p, out, 0, p.length, 1, method);
  return out;
}

/** Benjamini–Yekutieli FDR adjustment (R: p.adjust(p, "BY")), NaN ignored. */
export function by(p: Float64Array): Float64Array {
  return adjustOne(checkP(p), 'BY');
}

/** Benjamini–Hochberg FDR adjustment (R: p.adjust(p, "BH")), NaN ignored. */
export function bh(p: Float64Array): Float64Array {
  return adjustOne(checkP(p), 'BH');
}

/** Holm's family-wise adjustment (R: p.adjust(p, "holm")), NaN ignored. */
export function holm(p: Float64Array): Float64Array {
  return adjustOne(checkP(p), 'holm');
}

function checkShape(p: Float64Array, N: number, J: number): void {
  requireInteger(N, 'N');
  requireInteger(J, 'J');
  if (p.length !== N * J) throw new ShapeError(`p has ${p.length} values, an N×J = ${N}×${J} matrix needs ${N * J}`, 'p');
}

function checkGroups(g: unknown, J: number, name: string, allowNone: boolean): Int32Array {
  if (!(g instanceof Int32Array)) throw new ArgumentTypeError(`${name} must be an Int32Array`, name);
  if (g.length !== J) throw new ShapeError(`${name} must have one id per junction (${J}), got ${g.length}`, name);
  for (let j = 0; j < J; j++) {
    if (g[j] < (allowNone ? -1 : 0)) throw new ArgumentValueError(`${name}[${j}] must be ≥ ${allowNone ? -1 : 0}, got ${g[j]}`, `${name}[${j}]`);
  }
  return g;
}

/** Sorted distinct ids ≥ 0 and, per junction, the position of its id in that list (−1: none). */
function indexGroups(g: Int32Array): { ids: Int32Array; of: Int32Array } {
  const ids = Int32Array.from(new Set(Array.from(g).filter((v) => v >= 0))).sort();
  const pos = new Map<number, number>();
  ids.forEach((v, i) => pos.set(v, i));
  const of = new Int32Array(g.length);
  for (let j = 0; j < g.length; j++) of[j] = g[j] >= 0 ? pos.get(g[j])! : -1;
  return { ids, of };
}

/**
 * Per group: min over its members of Holm-adjusted p (NaN ignored; NaN if no member has a p) for
 * one row. members[g] lists the junction indices of group g.
 */
function groupMinHolm(row: Float64Array, members: Uint32Array[], out: Float64Array, tmp: Float64Array, tmpOut: Float64Array): void {
  for (let g = 0; g < members.length; g++) {
    const mem = members[g];
    if (mem.length === 1) {
      out[g] = row[mem[0]];
      continue;
    }
    for (let t = 0; t < mem.length; t++) tmp[t] = row[mem[t]];
    adjustStrided(tmp, tmpOut, 0, mem.length, 1, 'holm');
    let best = NaN;
    for (let t = 0; t < mem.length; t++) {
      const v = tmpOut[t];
      if (v === v && !(v >= best)) best = v;
    }
    out[g] = best;
  }
}

function membersOf(of: Int32Array, G: number): Uint32Array[] {
  const counts = new Uint32Array(G);
  for (let j = 0; j < of.length; j++) if (of[j] >= 0) counts[of[j]]++;
  const members = Array.from(counts, (c) => new Uint32Array(c));
  counts.fill(0);
  for (let j = 0; j < of.length; j++) if (of[j] >= 0) members[of[j]][counts[of[j]]++] = j;
  return members;
}

export interface PerSampleOptions {
  /** FDR method across sites within a sample (FRASER: 'BY'). */
  method?: 'BY' | 'BH';
  /**
   * Donor/acceptor group id per junction (length J, ids ≥ 0). When given, FRASER's rule applies:
   * Holm within each group, the group's minimum, then the FDR method across groups; every
   * junction gets its group's adjusted value. Without groups every junction is its own group
   * (FRASER 2's jaccard metric), i.e. plain per-sample FDR.
   */
  groups?: Int32Array;
}

/**
 * Per-sample adjustment of an N×J row-major matrix of p-values (rows = samples): FRASER's
 * site-level padj. With groups: for sample i and group g, s_ig = min_{j∈g} holm_g(p_i·)_j, then
 * padj_i· = method(s_i·) across the groups that have a p-value, and padj_ij = that value of j's
 * group. NaN p are ignored throughout (a group with no p gives NaN).
 * Source: FRASER 2 (calculatePadjValues: p.adjust "holm" by site, min, then p.adjust by method).
 */
export function perSample(p: Float64Array, N: number, J: number, opts: PerSampleOptions = {}): Float64Array {
  checkP(p);
  checkShape(p, N, J);
  const method = checkMethod(opts.method ?? 'BY', ['BY', 'BH']);
  const out = new Float64Array(N * J);
  if (opts.groups === undefined) {
    for (let i = 0; i < N; i++) adjustStrided(p, out, i * J, J, 1, method);
    return out;
  }
  const g = checkGroups(opts.groups, J, 'groups', false);
  const { ids, of } = indexGroups(g);
  const G = ids.length;
  const members = membersOf(of, G);
  const maxSize = members.reduce((m, a) => Math.max(m, a.length), 1);
  const tmp = new Float64Array(maxSize);
  const tmpOut = new Float64Array(maxSize);
  const s = new Float64Array(G);
  const sAdj = new Float64Array(G);
  for (let i = 0; i < N; i++) {
    groupMinHolm(p.subarray(i * J, (i + 1) * J), members, s, tmp, tmpOut);
    adjustStrided(s, sAdj, 0, G, 1, method);
    for (let j = 0; j < J; j++) out[i * J + j] = sAdj[of[j]];
  }
  return out;
}

export interface GeneLevelResult {
  /** The distinct gene ids (≥ 0) in ascending order; column g of p and padj is genes[g]. */
  genes: Int32Array;
  /** N×G row-major: per sample, the minimum over the gene's sites of their Holm-adjusted p. */
  p: Float64Array;
  /** N×G row-major: `p` adjusted per sample across genes by the method (FRASER: BY). */
  padj: Float64Array;
}

/**
 * Gene-level p-values (FRASER's getPvalsPerGene): per sample, Holm over each gene's sites, the
 * minimum, then BY (or BH) across genes. Junctions with gene id −1 are left out. NaN p ignored;
 * a gene with no p in a sample gets NaN there and is not counted in that sample's m.
 */
export function geneLevel(p: Float64Array, N: number, J: number, genes: Int32Array, opts: { method?: 'BY' | 'BH' } = {}): GeneLevelResult {
  checkP(p);
  checkShape(p, N, J);
  const method = checkMethod(opts.method ?? 'BY', ['BY', 'BH']);
  const g = checkGroups(genes, J, 'genes', true);
  const { ids, of } = indexGroups(g);
  const G = ids.length;
  const members = membersOf(of, G);
  const maxSize = members.reduce((m, a) => Math.max(m, a.length), 1);
  const tmp = new Float64Array(maxSize);
  const tmpOut = new Float64Array(maxSize);
  const gp = new Float64Array(N * G);
  const gadj = new Float64Array(N * G);
  for (let i = 0; i < N; i++) {
    const s = gp.subarray(i * G, (i + 1) * G);
    groupMinHolm(p.subarray(i * J, (i + 1) * J), members, s, tmp, tmpOut);
    adjustStrided(s, gadj.subarray(i * G, (i + 1) * G), 0, G, 1, method);
  }
  return { genes: ids, p: gp, padj: gadj };
}
