/**
 * The external-counts exchange format (as FRASER's mergeExternalData and DROP read it): five
 * comma-separated (usually gzip) tables, each `seqnames,start,end,width,strand,<samples>`:
 *
 *   k_j       split reads per junction              (junctions)
 *   n_psi5    psi5 totals per junction              (junctions, same rows as k_j)
 *   n_psi3    psi3 totals per junction              (junctions, same rows as k_j)
 *   k_theta   non-split reads per splice site       (sites)
 *   n_theta   theta totals per splice site          (sites, same rows as k_theta)
 *
 * plus an optional sample annotation (comma-separated, a `sampleID` column). In a directory the
 * files are found by name: `<table>_counts.tsv.gz`, as the reference writes them (the content is
 * comma-separated despite the extension), or any of `<table>[_counts].{tsv,csv,txt}[.gz]`; the
 * annotation as `annotation.{tsv,csv,txt}[.gz]`. The delimiter is detected from each header.
 *
 * The tables must share their samples (any order), n_psi5/n_psi3 must list k_j's junctions and
 * n_theta k_theta's sites (any order; they are put in k_j's / k_theta's order), and every count
 * must not exceed its total (k_j ≤ n_psi5, k_j ≤ n_psi3, k_theta ≤ n_theta).
 */
import { InputFileError, SampleMismatchError } from './errors.js';
import type { DelimitedReadOptions } from './delimited.js';
import { alignSamples, checkCountsNotAbove, matchFeatures, selectColumns, type GenomicFeatures } from './features.js';
import { matchSampleTable, readSampleTable, type SampleTable } from './annotation.js';
import { isNode, type ByteSource } from './source.js';
import { readRangedCounts, type CountTable } from './tables.js';

export const EXTERNAL_TABLES = ['k_j', 'k_theta', 'n_psi5', 'n_psi3', 'n_theta'] as const;
export type ExternalTableName = (typeof EXTERNAL_TABLES)[number];

/** The five tables (and optionally the annotation) as sources, for runtimes without a file system. */
export type ExternalCountSources = Record<ExternalTableName, ByteSource> & { annotation?: ByteSource };

export interface ExternalCounts {
  samples: string[];
  junctions: GenomicFeatures;
  sites: GenomicFeatures;
  /** samples × junctions, row-major. */
  kJ: Uint32Array;
  nPsi5: Uint32Array;
  nPsi3: Uint32Array;
  /** samples × sites, row-major. */
  kTheta: Uint32Array;
  nTheta: Uint32Array;
  /** The name each table was read under. */
  files: Record<ExternalTableName, string>;
  annotation: SampleTable | null;
  /** For each sample its annotation row (-1 when the annotation lacks it). */
  annotationRow: Int32Array | null;
}

export interface ExternalReadOptions {
  /**
   * The samples to keep, in this order (the reference's `sampleIDs`); by default all of k_j's.
   * A sample missing from a table is a SampleMismatchError.
   */
  samples?: readonly string[];
  /** Per-table reader options (delimiter, names). */
  tables?: Partial<Record<ExternalTableName | 'annotation', DelimitedReadOptions>>;
}

const FILE_PATTERN = /^(k_j|k_theta|n_psi5|n_psi3|n_theta)(_counts)?\.(tsv|csv|txt)(\.gz)?$/;
const ANNOTATION_PATTERN = /^annotation\.(tsv|csv|txt)(\.gz)?$/;

/** The files of an external-counts directory (Node only). */
export async function findExternalCountFiles(dir: string): Promise<Record<ExternalTableName, string> & { annotation?: string }> {
  const node = await import('./node.js');
  const entries = (await node.listDirectory(dir)).sort();
  const found: Partial<Record<ExternalTableName | 'annotation', string>> = {};
  for (const name of entries) {
    const m = FILE_PATTERN.exec(name);
    const key = m ? (m[1] as ExternalTableName) : ANNOTATION_PATTERN.test(name) ? 'annotation' : undefined;
    if (key === undefined) continue;
    if (found[key] !== undefined) throw new InputFileError(`holds two files for the ${key} table: ${found[key]} and ${name}`, { file: dir });
    found[key] = name;
  }
  const missing = EXTERNAL_TABLES.filter((t) => found[t] === undefined);
  if (missing.length > 0) {
    throw new InputFileError(`lacks the ${missing.join(', ')} table${missing.length === 1 ? '' : 's'} (expected e.g. ${missing[0]}_counts.tsv.gz)`, { file: dir });
  }
  const out = {} as Record<ExternalTableName, string> & { annotation?: string };
  for (const [k, v] of Object.entries(found)) (out as Record<string, string>)[k] = node.joinPath(dir, v);
  return out;
}

/**
 * Reads external counts from a directory (Node) or from five sources. See the file header for
 * the checks; errors name the file, line and column.
 */
export async function readExternalCounts(source: string | ExternalCountSources, options: ExternalReadOptions = {}): Promise<ExternalCounts> {
  let sources: ExternalCountSources;
  if (typeof source === 'string') {
    if (!isNode()) throw new InputFileError('reading a directory needs Node; pass the five tables as sources', { file: source });
    sources = await findExternalCountFiles(source);
  } else {
    sources = source;
    const missing = EXTERNAL_TABLES.filter((t) => sources[t] === undefined);
    if (missing.length > 0) throw new InputFileError(`lacks the ${missing.join(', ')} table${missing.length === 1 ? '' : 's'}`, { file: '<external counts>' });
  }
  const opts = (t: ExternalTableName | 'annotation'): DelimitedReadOptions => options.tables?.[t] ?? {};
  const [kj, kt, n5, n3, nt] = await Promise.all(EXTERNAL_TABLES.map((t) => readRangedCounts(sources[t], opts(t), `the ${t} table`)));
  const annotation = sources.annotation !== undefined ? await readSampleTable(sources.annotation, opts('annotation')) : null;

  const samples = options.samples ? [...options.samples] : kj.samples;
  if (options.samples) {
    const seen = new Set<string>();
    for (const s of samples) {
      if (seen.has(s)) throw new SampleMismatchError(`sample '${s}' is asked for twice`, { file: kj.file });
      seen.add(s);
    }
  }
  const junctions = kj.features;
  const sites = kt.features;
  const take = (t: CountTable, ref: CountTable): { counts: Uint32Array; index: Int32Array } => {
    const index = matchFeatures(t.features.ids, t.lines, ref.features.ids, t.file, ref.file, ref.lines);
    const counts = subsetSamples(t, samples, options.samples ? undefined : kj.file);
    const F = t.features.ids.length;
    return { counts: isIdentity(index) ? counts : selectColumns(counts, samples.length, F, index), index };
  };
  const tkj = take(kj, kj);
  const t5 = take(n5, kj);
  const t3 = take(n3, kj);
  const tkt = take(kt, kt);
  const tnt = take(nt, kt);
  checkCountsNotAbove(tkj.counts, t5.counts, samples, kj, n5, t5.index, 6);
  checkCountsNotAbove(tkj.counts, t3.counts, samples, kj, n3, t3.index, 6);
  checkCountsNotAbove(tkt.counts, tnt.counts, samples, kt, nt, tnt.index, 6);
  return {
    samples,
    junctions,
    sites,
    kJ: tkj.counts,
    nPsi5: t5.counts,
    nPsi3: t3.counts,
    kTheta: tkt.counts,
    nTheta: tnt.counts,
    files: { k_j: kj.file, k_theta: kt.file, n_psi5: n5.file, n_psi3: n3.file, n_theta: nt.file },
    annotation,
    annotationRow: annotation ? matchSampleTable(annotation, samples, { allowMissing: true }) : null,
  };
}

function isIdentity(index: Int32Array): boolean {
  for (let i = 0; i < index.length; i++) if (index[i] !== i) return false;
  return true;
}

/** The table's counts for `samples` (in that order); with `sameAs`, the sets must be equal. */
function subsetSamples(t: CountTable, samples: readonly string[], sameAs?: string): Uint32Array {
  const F = t.features.ids.length;
  if (sameAs !== undefined) return alignSamples(t.counts, t.samples, samples, F, t.file, sameAs);
  const pos = new Map<string, number>();
  t.samples.forEach((s, i) => pos.set(s, i));
  const missing = samples.filter((s) => !pos.has(s));
  if (missing.length > 0) throw new SampleMismatchError(`has no column for sample${missing.length === 1 ? '' : 's'} ${missing.map((s) => `'${s}'`).join(', ')}`, { file: t.file, line: 1 });
  const out = new Uint32Array(samples.length * F);
  samples.forEach((s, i) => {
    const r = pos.get(s)!;
    out.set(t.counts.subarray(r * F, (r + 1) * F), i * F);
  });
  return out;
}
