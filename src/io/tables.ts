/**
 * The reference's (FRASER's) count tables, tab-separated, one row a feature:
 *
 *   junctions: seqnames start end width strand <sample columns> startID endID
 *   sites:     seqnames start end width strand spliceSiteID type <sample columns>
 *
 * `startID`/`endID` are the `spliceSiteID`s of the junction's start-side and end-side sites (a site
 * is the 2-bp range across the exon–intron boundary: [start − 1, start] and [end, end + 1]); `type`
 * is Donor or Acceptor. A junction table without startID/endID is accepted: its ends are then
 * linked to sites by those coordinates (see metrics.ts). 'NA' or an empty ID means no site.
 * Counts come back samples × features (row-major), the model's layout.
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError } from '../errors.js';
import { DuplicateNameError, FieldValueError, HeaderError } from './errors.js';
import { expectColumns, readCountRows, transpose, type DelimitedReadOptions, type RawCountTable } from './delimited.js';
import { alignSamples, FeatureBuilder, type GenomicFeatures } from './features.js';
import { isNode, type ByteSource } from './source.js';

export const COORDINATE_COLUMNS = ['seqnames', 'start', 'end', 'width', 'strand'] as const;

export type SpliceSiteType = 'Donor' | 'Acceptor';

/** A table of counts per (sample, feature). */
export interface CountTable {
  /** The name errors give for the file it was read from. */
  file: string;
  samples: string[];
  features: GenomicFeatures;
  /** samples × features, row-major: counts[i * F + j] is sample i, feature j. */
  counts: Uint32Array;
  /** The 1-based line of each feature in the file. */
  lines: Uint32Array;
}

/** Split-read counts per junction. */
export interface JunctionTable extends CountTable {
  /** spliceSiteID of each junction's start-side site ('' for none); null when the file has no such column. */
  startID: string[] | null;
  /** spliceSiteID of each junction's end-side site ('' for none); null when the file has no such column. */
  endID: string[] | null;
}

/** Non-split-read counts per splice site. */
export interface SiteTable extends CountTable {
  spliceSiteID: string[];
  type: SpliceSiteType[];
}

function siteId(s: string): string {
  return s === 'NA' ? '' : s;
}

/** Feature-major raw counts to the samples-major CountTable fields. */
function finish(raw: RawCountTable, features: GenomicFeatures): CountTable {
  return { file: raw.file, samples: raw.samples, features, counts: transpose(raw.countsByRow, raw.rows, raw.samples.length), lines: raw.lines };
}

/** Throws DuplicateNameError when `key` was seen on an earlier line. */
function unique(seen: Map<string, number>, key: string, line: number, file: string, what: string, column?: number): void {
  const prev = seen.get(key);
  if (prev !== undefined) throw new DuplicateNameError(`${what} '${key}' already appears on line ${prev}`, { file, line, column });
  seen.set(key, line);
}

/**
 * Reads a table `seqnames start end width strand <samples>` (comma- or tab-separated), as the
 * external-counts tables are. Columns named in `skip` (anywhere after strand) are not samples.
 */
export async function readRangedCounts(source: ByteSource, options: DelimitedReadOptions = {}, what = 'a count table'): Promise<CountTable> {
  const fb = new FeatureBuilder();
  const seen = new Map<string, number>();
  const raw = await readCountRows(source, options, (header, file) => {
    expectColumns(header, COORDINATE_COLUMNS, 0, file, what);
    return {
      sampleColumns: header.map((_, c) => c).slice(5),
      row: (r) => unique(seen, fb.addRow(r), r.line, file, 'feature'),
    };
  });
  return finish(raw, fb.build());
}

/** Reads the reference's junction table (see the file header). */
export async function readJunctionTable(source: ByteSource, options: DelimitedReadOptions = {}): Promise<JunctionTable> {
  const fb = new FeatureBuilder();
  const seen = new Map<string, number>();
  let startID: string[] | null = null;
  let endID: string[] | null = null;
  const raw = await readCountRows(source, options, (header, file) => {
    expectColumns(header, COORDINATE_COLUMNS, 0, file, 'a junction table');
    const s = header.indexOf('startID');
    const e = header.indexOf('endID');
    if ((s < 0) !== (e < 0)) {
      const has = s < 0 ? 'endID' : 'startID';
      throw new HeaderError(`has '${has}' but not '${has === 'endID' ? 'startID' : 'endID'}'; give both or neither`, { file, line: 1, column: (s < 0 ? e : s) + 1, columnName: has });
    }
    if (s >= 0 && (s < 5 || e < 5)) throw new HeaderError('startID and endID must come after the strand column', { file, line: 1, column: Math.min(s, e) + 1 });
    if (s >= 0) {
      startID = [];
      endID = [];
    }
    return {
      sampleColumns: header.map((_, c) => c).filter((c) => c >= 5 && c !== s && c !== e),
      row: (r) => {
        unique(seen, fb.addRow(r), r.line, file, 'junction');
        if (startID) {
          startID.push(siteId(r.field(s)));
          endID!.push(siteId(r.field(e)));
        }
      },
    };
  });
  return { ...finish(raw, fb.build()), startID, endID };
}

/** Reads the reference's splice-site table (see the file header). */
export async function readSiteTable(source: ByteSource, options: DelimitedReadOptions = {}): Promise<SiteTable> {
  const fb = new FeatureBuilder();
  const seen = new Map<string, number>();
  const ids: string[] = [];
  const types: SpliceSiteType[] = [];
  const raw = await readCountRows(source, options, (header, file) => {
    expectColumns(header, [...COORDINATE_COLUMNS, 'spliceSiteID', 'type'], 0, file, 'a splice-site table');
    return {
      sampleColumns: header.map((_, c) => c).slice(7),
      row: (r) => {
        fb.addRow(r);
        const id = r.field(5);
        if (id === '' || id === 'NA') throw new FieldValueError('missing spliceSiteID', r.where(5));
        unique(seen, id, r.line, file, 'spliceSiteID', 6);
        ids.push(id);
        const t = r.field(6);
        if (t !== 'Donor' && t !== 'Acceptor') throw new FieldValueError(`unknown splice-site type '${t}' (expected Donor or Acceptor)`, r.where(6));
        types.push(t);
      },
    };
  });
  return { ...finish(raw, fb.build()), spliceSiteID: ids, type: types };
}

/** A junction table and a site table over the same samples (the sites' rows reordered to match). */
export interface SpliceCounts {
  samples: string[];
  junctions: JunctionTable;
  sites: SiteTable;
}

/**
 * Reads the junction and the site table. Both must list the same samples (in any order; the
 * sites' are put in the junctions' order), else SampleMismatchError names the samples that differ.
 */
export async function readSpliceCounts(junctions: ByteSource, sites: ByteSource, options: { junctions?: DelimitedReadOptions; sites?: DelimitedReadOptions } = {}): Promise<SpliceCounts> {
  const [j, s] = await Promise.all([readJunctionTable(junctions, options.junctions), readSiteTable(sites, options.sites)]);
  const counts = alignSamples(s.counts, s.samples, j.samples, s.features.ids.length, s.file, j.file);
  return { samples: j.samples, junctions: j, sites: { ...s, samples: j.samples, counts } };
}

// ---- writers -------------------------------------------------------------------------------

/** What the junction-table writer needs: features, site links and samples × junctions counts. */
export interface JunctionTableData {
  samples: readonly string[];
  features: Pick<GenomicFeatures, 'seqnames' | 'start' | 'end' | 'strand'>;
  startID: ArrayLike<string | number>;
  endID: ArrayLike<string | number>;
  /** samples × junctions, row-major; integers. */
  counts: Uint32Array | Float64Array;
}

/** What the site-table writer needs. */
export interface SiteTableData {
  samples: readonly string[];
  features: Pick<GenomicFeatures, 'seqnames' | 'start' | 'end' | 'strand'>;
  spliceSiteID: ArrayLike<string | number>;
  type: readonly SpliceSiteType[];
  /** samples × sites, row-major; integers. */
  counts: Uint32Array | Float64Array;
}

function checkWritable(samples: readonly string[], F: number, counts: Uint32Array | Float64Array, cols: Record<string, ArrayLike<unknown>>): void {
  const N = samples.length;
  if (!(counts instanceof Uint32Array || counts instanceof Float64Array)) throw new ArgumentTypeError('counts must be a Uint32Array or Float64Array (samples × features)', 'counts');
  if (counts.length !== N * F) throw new ShapeError(`counts has ${counts.length} entries, not samples × features = ${N} × ${F}`, 'counts');
  for (const [k, v] of Object.entries(cols)) if (v.length !== F) throw new ShapeError(`${k} has ${v.length} entries, not ${F} (one per feature)`, k);
  const seen = new Set<string>();
  for (const s of samples) {
    if (/[\t\n\r]/.test(s) || s === '') throw new ArgumentValueError(`sample name ${JSON.stringify(s)} cannot be written to a TSV header`, 'samples');
    if (seen.has(s)) throw new ArgumentValueError(`sample name '${s}' appears twice`, 'samples');
    seen.add(s);
  }
  if (counts instanceof Float64Array) {
    for (let c = 0; c < counts.length; c++) {
      const v = counts[c];
      if (!(Number.isInteger(v) && v >= 0)) throw new ArgumentValueError(`counts[${c}] = ${v} is not a non-negative integer`, 'counts');
    }
  }
}

/**
 * The lines of a table, in chunks of about 64 KiB: the header, then per feature `lead(j)`, the
 * counts of every sample, and `tail(j)`.
 */
function* tableChunks(header: string[], F: number, N: number, counts: ArrayLike<number>, lead: (j: number) => string, tail: (j: number) => string): Generator<string> {
  let buf = header.join('\t') + '\n';
  const parts = new Array<string | number>(N);
  for (let j = 0; j < F; j++) {
    for (let i = 0; i < N; i++) parts[i] = counts[i * F + j];
    const t = tail(j);
    buf += lead(j) + '\t' + parts.join('\t') + (t === '' ? '' : '\t' + t) + '\n';
    if (buf.length >= 1 << 16) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

function coordinates(f: JunctionTableData['features'], j: number): string {
  return `${f.seqnames[j]}\t${f.start[j]}\t${f.end[j]}\t${f.end[j] - f.start[j] + 1}\t${f.strand[j]}`;
}

/** The junction table as text chunks (no Node needed). */
export function formatJunctionTable(data: JunctionTableData): Generator<string> {
  const F = data.features.seqnames.length;
  checkWritable(data.samples, F, data.counts, { ...data.features, startID: data.startID, endID: data.endID });
  return tableChunks([...COORDINATE_COLUMNS, ...data.samples, 'startID', 'endID'], F, data.samples.length, data.counts, (j) => coordinates(data.features, j), (j) => `${data.startID[j]}\t${data.endID[j]}`);
}

/** The site table as text chunks (no Node needed). */
export function formatSiteTable(data: SiteTableData): Generator<string> {
  const F = data.features.seqnames.length;
  checkWritable(data.samples, F, data.counts, { ...data.features, spliceSiteID: data.spliceSiteID, type: data.type });
  return tableChunks([...COORDINATE_COLUMNS, 'spliceSiteID', 'type', ...data.samples], F, data.samples.length, data.counts, (j) => `${coordinates(data.features, j)}\t${data.spliceSiteID[j]}\t${data.type[j]}`, () => '');
}

async function nodeWriter(): Promise<typeof import('./node.js')> {
  if (!isNode()) throw new ArgumentTypeError('writing files needs Node; elsewhere use formatJunctionTable / formatSiteTable', 'path');
  return import('./node.js');
}

/**
 * Writes the junction table to `path` atomically (a temporary file in the same directory, then a
 * rename); gzip-compressed when the path ends in `.gz`. Node only.
 */
export async function writeJunctionTable(path: string, data: JunctionTableData): Promise<void> {
  const chunks = formatJunctionTable(data);
  await (await nodeWriter()).writeFileAtomic(path, chunks);
}

/** Writes the site table to `path` atomically, like writeJunctionTable. Node only. */
export async function writeSiteTable(path: string, data: SiteTableData): Promise<void> {
  const chunks = formatSiteTable(data);
  await (await nodeWriter()).writeFileAtomic(path, chunks);
}

/** Splice sites derived from junctions: what a simulator needs to write a consistent site table. */
export interface DerivedSites {
  /** The distinct sites, in order of first appearance. */
  features: GenomicFeatures;
  spliceSiteID: number[];
  type: SpliceSiteType[];
  /** Each junction's start-side and end-side site id. */
  startID: number[];
  endID: number[];
}

/**
 * The splice sites of a set of junctions, as the reference defines them: the start side of a
 * junction is the site [start − 1, start], the end side [end, end + 1], on the junction's strand;
 * the start side is the Donor on '+' and '*', the Acceptor on '−'. Sites are numbered 1, 2, … in
 * order of first appearance (all start sides, then all end sides, as the reference numbers them).
 */
export function deriveSpliceSites(junctions: Pick<GenomicFeatures, 'seqnames' | 'start' | 'end' | 'strand'>): DerivedSites {
  const J = junctions.seqnames.length;
  const fb = new FeatureBuilder();
  const index = new Map<string, number>();
  const type: SpliceSiteType[] = [];
  const startID = new Array<number>(J);
  const endID = new Array<number>(J);
  const site = (j: number, a: number, startSide: boolean): number => {
    const strand = junctions.strand[j];
    const key = `${junctions.seqnames[j]}:${a}-${a + 1}:${strand}`;
    let id = index.get(key);
    if (id === undefined) {
      fb.add(junctions.seqnames[j], a, a + 1, strand, key);
      id = index.size + 1;
      index.set(key, id);
      type.push(startSide === (strand !== '-') ? 'Donor' : 'Acceptor');
    }
    return id;
  };
  for (let j = 0; j < J; j++) startID[j] = site(j, junctions.start[j] - 1, true);
  for (let j = 0; j < J; j++) endID[j] = site(j, junctions.end[j], false);
  return { features: fb.build(), spliceSiteID: Array.from({ length: index.size }, (_, i) => i + 1), type, startID, endID };
}
