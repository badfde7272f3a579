/**
 * Plain count matrices, features × samples, TSV or CSV: the first column holds the feature id,
 * every other column is a sample. A header one field short of the rows (R's write.table with row
 * names) is accepted. Ids must be distinct; ids of the form `chr:start-end[:strand]` also give
 * the features' coordinates (all ids must parse, else coordinates stay unknown: start = 0).
 *
 * K and N are read as a pair: the same samples and the same ids (N's are put in K's order), and
 * k ≤ n in every cell.
 */
import { DuplicateNameError, FieldValueError } from './errors.js';
import { readCountRows, transpose, type DelimitedReadOptions } from './delimited.js';
import { alignSamples, checkCountsNotAbove, FeatureBuilder, matchFeatures, parseFeatureId, selectColumns, type GenomicFeatures } from './features.js';
import type { ByteSource } from './source.js';
import type { CountTable } from './tables.js';

/** One matrix as read: the id column's name besides the CountTable fields. */
export interface CountMatrix extends CountTable {
  idColumn: string;
  /** Whether every id parsed as coordinates (features.start etc. are then filled). */
  hasCoordinates: boolean;
}

/** Reads one features × samples matrix (see the file header). */
export async function readCountMatrix(source: ByteSource, options: DelimitedReadOptions = {}): Promise<CountMatrix> {
  const ids: string[] = [];
  const seen = new Map<string, number>();
  const raw = await readCountRows(
    source,
    options,
    (header, file) => ({
      sampleColumns: header.map((_, c) => c).slice(1),
      row: (r) => {
        const id = r.field(0);
        if (id === '') throw new FieldValueError('missing feature id', r.where(0));
        const prev = seen.get(id);
        if (prev !== undefined) throw new DuplicateNameError(`feature '${id}' already appears on line ${prev}`, { file, line: r.line, column: 1, columnName: header[0] });
        seen.set(id, r.line);
        ids.push(id);
      },
    }),
    true,
  );
  const parsed = ids.map(parseFeatureId);
  const hasCoordinates = ids.length > 0 && parsed.every((p) => p !== null);
  const fb = new FeatureBuilder();
  ids.forEach((id, j) => {
    const p = parsed[j];
    if (hasCoordinates && p) fb.add(p.seqnames, p.start, p.end, p.strand, id);
    else fb.add('', 0, 0, '*', id);
  });
  const features: GenomicFeatures = fb.build();
  return {
    file: raw.file,
    samples: raw.samples,
    features,
    counts: transpose(raw.countsByRow, raw.rows, raw.samples.length),
    lines: raw.lines,
    idColumn: raw.header[0],
    hasCoordinates,
  };
}

/** K and N matrices over the same samples and features, samples × features. */
export interface CountMatrices {
  files: { k: string; n: string };
  samples: string[];
  features: GenomicFeatures;
  hasCoordinates: boolean;
  /** samples × features, row-major. */
  k: Uint32Array;
  n: Uint32Array;
}

/** Reads a K and an N matrix (see the file header). */
export async function readCountMatrices(k: ByteSource, n: ByteSource, options: { k?: DelimitedReadOptions; n?: DelimitedReadOptions } = {}): Promise<CountMatrices> {
  const [K, Nm] = await Promise.all([readCountMatrix(k, options.k), readCountMatrix(n, options.n)]);
  const F = K.features.ids.length;
  const index = matchFeatures(Nm.features.ids, Nm.lines, K.features.ids, Nm.file, K.file, K.lines);
  let nCounts = alignSamples(Nm.counts, Nm.samples, K.samples, F, Nm.file, K.file);
  if (index.some((v, j) => v !== j)) nCounts = selectColumns(nCounts, K.samples.length, F, index);
  checkCountsNotAbove(K.counts, nCounts, K.samples, K, Nm, index, 2);
  return { files: { k: K.file, n: Nm.file }, samples: K.samples, features: K.features, hasCoordinates: K.hasCoordinates, k: K.counts, n: nCounts };
}
