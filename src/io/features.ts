/**
 * Genomic features (junctions, splice sites) as parallel arrays, and the helpers every table
 * reader shares: strands, feature ids, sample alignment and the samples × features layout.
 *
 * Coordinates are 1-based and closed, as in the reference's tables (GRanges): width = end − start + 1.
 */
import { CountValueError, FeatureMismatchError, FieldValueError, SampleMismatchError, type InputLocation } from './errors.js';
import type { RowFields } from './delimited.js';

export type Strand = '+' | '-' | '*';

/** F features as parallel arrays. */
export interface GenomicFeatures {
  /** `seqnames:start-end:strand` for tables with coordinates; the id column for plain matrices. */
  ids: string[];
  seqnames: string[];
  /** 1-based first position (0 when unknown: plain matrices whose ids are not coordinates). */
  start: Uint32Array;
  /** 1-based last position, inclusive. */
  end: Uint32Array;
  width: Uint32Array;
  strand: Strand[];
}

/** The id a feature with coordinates gets: `chr3:119187954-119188666:+`. */
export function featureId(seqnames: string, start: number, end: number, strand: string): string {
  return `${seqnames}:${start}-${end}:${strand}`;
}

const ID_PATTERN = /^(.+):(\d+)-(\d+)(?::([+\-*.]))?$/;

/** Parses `chr:start-end` or `chr:start-end:strand` (strand '*' when absent), or null. */
export function parseFeatureId(id: string): { seqnames: string; start: number; end: number; strand: Strand } | null {
  const m = ID_PATTERN.exec(id);
  if (!m) return null;
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (start < 1 || end < start || end > 0xffffffff) return null;
  return { seqnames: m[1], start, end, strand: m[4] === undefined || m[4] === '.' ? '*' : (m[4] as Strand) };
}

/** Strand from a table field: '+', '-', '*' ('.' is read as '*'). */
export function parseStrand(r: RowFields, c: number): Strand {
  const s = r.field(c);
  if (s === '+' || s === '-' || s === '*') return s;
  if (s === '.') return '*';
  throw new FieldValueError(`strand '${s}' is not one of +, -, *`, r.where(c));
}

/** Growing GenomicFeatures, one row at a time. */
export class FeatureBuilder {
  ids: string[] = [];
  seqnames: string[] = [];
  start: number[] = [];
  end: number[] = [];
  strand: Strand[] = [];

  /** Reads `seqnames start end width strand` from columns at..at+4 of a row and checks them. */
  addRow(r: RowFields, at = 0): string {
    const seqnames = r.field(at);
    if (seqnames === '') throw new FieldValueError('empty seqnames', r.where(at));
    const start = r.position(at + 1);
    const end = r.position(at + 2);
    if (end < start) throw new FieldValueError(`end ${end} is before start ${start}`, r.where(at + 2));
    const width = r.position(at + 3);
    if (width !== end - start + 1) throw new FieldValueError(`width ${width} is not end − start + 1 = ${end - start + 1}`, r.where(at + 3));
    const strand = parseStrand(r, at + 4);
    return this.add(seqnames, start, end, strand);
  }

  add(seqnames: string, start: number, end: number, strand: Strand, id = featureId(seqnames, start, end, strand)): string {
    this.ids.push(id);
    this.seqnames.push(seqnames);
    this.start.push(start);
    this.end.push(end);
    this.strand.push(strand);
    return id;
  }

  build(): GenomicFeatures {
    const start = Uint32Array.from(this.start);
    const end = Uint32Array.from(this.end);
    const width = new Uint32Array(start.length);
    for (let j = 0; j < width.length; j++) width[j] = start[j] === 0 ? 0 : end[j] - start[j] + 1;
    return { ids: this.ids, seqnames: this.seqnames, start, end, width, strand: this.strand };
  }
}

/** The features at `index`, in that order. */
export function selectFeatures(f: GenomicFeatures, index: ArrayLike<number>): GenomicFeatures {
  const n = index.length;
  const pick = <T>(a: T[]): T[] => Array.from({ length: n }, (_, i) => a[index[i]]);
  const pickU = (a: Uint32Array): Uint32Array => {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = a[index[i]];
    return out;
  };
  return { ids: pick(f.ids), seqnames: pick(f.seqnames), start: pickU(f.start), end: pickU(f.end), width: pickU(f.width), strand: pick(f.strand) };
}

/**
 * Columns `index` (features) of an N × F samples-major matrix, as an N × index.length matrix.
 */
export function selectColumns(counts: Uint32Array, N: number, F: number, index: ArrayLike<number>): Uint32Array {
  const G = index.length;
  const out = new Uint32Array(N * G);
  for (let i = 0; i < N; i++) {
    const row = i * F;
    const o = i * G;
    for (let g = 0; g < G; g++) out[o + g] = counts[row + index[g]];
  }
  return out;
}

/**
 * Reorders the rows (samples) of an N × F matrix from the order `have` to the order `want`, or
 * throws SampleMismatchError (naming both files) when the two lists are not the same set.
 */
export function alignSamples(counts: Uint32Array, have: readonly string[], want: readonly string[], F: number, file: string, wantFile: string): Uint32Array {
  const same = have.length === want.length && have.every((s, i) => s === want[i]);
  if (same) return counts;
  const pos = new Map<string, number>();
  have.forEach((s, i) => pos.set(s, i));
  const missing = want.filter((s) => !pos.has(s));
  const wantSet = new Set(want);
  const extra = have.filter((s) => !wantSet.has(s));
  if (missing.length > 0 || extra.length > 0) throw sampleMismatch(file, wantFile, missing, extra);
  const out = new Uint32Array(want.length * F);
  want.forEach((s, i) => out.set(counts.subarray(pos.get(s)! * F, (pos.get(s)! + 1) * F), i * F));
  return out;
}

export function sampleMismatch(file: string, otherFile: string, missing: readonly string[], extra: readonly string[], where: Partial<InputLocation> = { line: 1 }): SampleMismatchError {
  const list = (a: readonly string[]) => a.slice(0, 10).map((s) => `'${s}'`).join(', ') + (a.length > 10 ? ` and ${a.length - 10} more` : '');
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`lacks sample${missing.length === 1 ? '' : 's'} ${list(missing)} of ${otherFile}`);
  if (extra.length > 0) parts.push(`has sample${extra.length === 1 ? '' : 's'} ${list(extra)} that ${otherFile} lacks`);
  return new SampleMismatchError(parts.join(' and '), { file, ...where });
}

/**
 * For each of `want` (ids), its index in `have`; FeatureMismatchError (naming the first feature
 * that differs and its line) unless the two are the same set.
 */
export function matchFeatures(have: readonly string[], haveLines: ArrayLike<number>, want: readonly string[], file: string, wantFile: string, wantLines?: ArrayLike<number>): Int32Array {
  const pos = new Map<string, number>();
  have.forEach((id, j) => pos.set(id, j));
  const index = new Int32Array(want.length);
  let missing = 0;
  let firstMissing = -1;
  want.forEach((id, g) => {
    const j = pos.get(id);
    if (j === undefined) {
      if (missing++ === 0) firstMissing = g;
      index[g] = -1;
    } else index[g] = j;
  });
  if (missing > 0) {
    const at = wantLines ? ` (line ${wantLines[firstMissing]} there)` : '';
    throw new FeatureMismatchError(`lacks ${missing} feature${missing === 1 ? '' : 's'} of ${wantFile}, first '${want[firstMissing]}'${at}`, { file });
  }
  if (have.length !== want.length) {
    const wanted = new Set(want);
    const j = have.findIndex((id) => !wanted.has(id));
    throw new FeatureMismatchError(`has ${have.length - want.length} feature(s) that ${wantFile} lacks, first '${have[j]}'`, { file, line: haveLines[j] });
  }
  return index;
}

/** A table's name, lines, samples and feature ids: what an error about one of its cells needs. */
export interface TableOrigin {
  file: string;
  samples: readonly string[];
  lines: ArrayLike<number>;
  features: { ids: readonly string[] };
}

/**
 * Throws CountValueError at the total's line and column where k > n. k and n are samples × F in
 * `samples` order and k's feature order; total feature j sits on row nIndex[j] of `nTable`, whose
 * first sample column is `firstSampleColumn` (1-based).
 */
export function checkCountsNotAbove(k: Uint32Array, n: Uint32Array, samples: readonly string[], kTable: TableOrigin, nTable: TableOrigin, nIndex: ArrayLike<number>, firstSampleColumn: number): void {
  const F = nIndex.length;
  for (let c = 0; c < k.length; c++) {
    if (k[c] <= n[c]) continue;
    const i = Math.floor(c / F);
    const j = c % F;
    throw new CountValueError(`total ${n[c]} is below the count ${k[c]} in ${kTable.file} (line ${kTable.lines[j]}) for sample '${samples[i]}', feature '${kTable.features.ids[j]}'`, {
      file: nTable.file,
      line: nTable.lines[nIndex[j]],
      column: firstSampleColumn + nTable.samples.indexOf(samples[i]),
      columnName: samples[i],
    });
  }
}
