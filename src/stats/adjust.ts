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

/**
 * Adjusts `m` values of `src` starting at `off` with stride `stride` into `dst` (same positions),
 * ignoring NaN. `idx` and `buf` are scratch of length ≥ m.
 */
function adjustStrided(src: Float64Array, dst: Float64Array, off: number, m: number, stride: number, method: Method, idx: Uint32Array, buf: Float64Array): void {
  let cnt = 0;
  for (let i = 0; i < m; i++) {
    const v = src[off + i * stride];
    if (v === v) buf[cnt++] = v;
    else dst[off + i * stride] = NaN;
  }
  if (cnt === 0) return;
  // Sort the values natively (no comparator: a typed-array sort is numeric and several times
  // faster than sorting an index array through a closure), find each value's rank by binary
  // search, adjust the sorted values in place, and read each result back through its rank. Tied
  // p-values have equal adjusted values under both step-up (BH, BY: running minimum from the top)
  // and step-down (Holm: running maximum from the bottom), so any rank within a tie will do.
  const sorted = buf.subarray(0, cnt);
  sorted.sort();
  let r = 0;
  for (let i = 0; i < m; i++) {
    const v = src[off + i * stride];
    if (v !== v) continue;
    let lo = 0, hi = cnt - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    idx[r++] = lo;
  }
  if (method === 'holm') {
    let run = 0;
    for (let j = 0; j < cnt; j++) {
      const v = (cnt - j) * sorted[j];
      if (v > run) run = v;
      sorted[j] = run < 1 ? run : 1;
    }
  } else {
    let q = 1;
    if (method === 'BY') {
      q = 0;
      for (let j = cnt; j >= 1; j--) q += 1 / j;
    }
    let run = Infinity;
    for (let j = cnt - 1; j >= 0; j--) {
      const v = ((q * cnt) / (j + 1)) * sorted[j];
      if (v < run) run = v;
      sorted[j] = run < 1 ? run : 1;
    }
  }
  r = 0;
  for (let i = 0; i < m; i++) {
    if (src[off + i * stride] === src[off + i * stride]) dst[off + i * stride] = sorted[idx[r++]];
  }
}

function adjustOne(p: Float64Array, method: Method): Float64Array {
  const out = new Float64Array(p.length);
  adjustStrided(p, out, 0, p.length, 1, method, new Uint32Array(p.length), new Float64Array(p.length));
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
function groupMinHolm(row: Float64Array, members: Uint32Array[], out: Float64Array, tmp: Float64Array, tmpOut: Float64Array, idx: Uint32Array, buf: Float64Array): void {
  for (let g = 0; g < members.length; g++) {
    const mem = members[g];
    if (mem.length === 1) {
      out[g] = row[mem[0]];
      continue;
    }
    for (let t = 0; t < mem.length; t++) tmp[t] = row[mem[t]];
    adjustStrided(tmp, tmpOut, 0, mem.length, 1, 'holm', idx, buf);
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
    const idx = new Uint32Array(J);
    const buf = new Float64Array(J);
    for (let i = 0; i < N; i++) adjustStrided(p, out, i * J, J, 1, method, idx, buf);
    return out;
  }
  const g = checkGroups(opts.groups, J, 'groups', false);
  const { ids, of } = indexGroups(g);
  const G = ids.length;
  const members = membersOf(of, G);
  const maxSize = members.reduce((m, a) => Math.max(m, a.length), 1);
  const tmp = new Float64Array(maxSize);
  const tmpOut = new Float64Array(maxSize);
  const idx = new Uint32Array(Math.max(maxSize, G));
  const buf = new Float64Array(Math.max(maxSize, G));
  const s = new Float64Array(G);
  const sAdj = new Float64Array(G);
  for (let i = 0; i < N; i++) {
    groupMinHolm(p.subarray(i * J, (i + 1) * J), members, s, tmp, tmpOut, idx, buf);
    adjustStrided(s, sAdj, 0, G, 1, method, idx, buf);
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
  const idx = new Uint32Array(Math.max(maxSize, G));
  const buf = new Float64Array(Math.max(maxSize, G));
  const gp = new Float64Array(N * G);
  const gadj = new Float64Array(N * G);
  for (let i = 0; i < N; i++) {
    const s = gp.subarray(i * G, (i + 1) * G);
    groupMinHolm(p.subarray(i * J, (i + 1) * J), members, s, tmp, tmpOut, idx, buf);
    adjustStrided(s, gadj.subarray(i * G, (i + 1) * G), 0, G, 1, method, idx, buf);
  }
  return { genes: ids, p: gp, padj: gadj };
}
