/**
 * Input and output of count tables, streamed (never a whole file as one string), gzip detected by
 * its magic bytes. Readers take a path (Node) or any byte source (bytes, Blob, ReadableStream, an
 * iterable of chunks) and return counts as Uint32Array, samples × features row-major, the models'
 * layout. Bad input throws an InputFormatError subclass naming the file, line and column.
 *
 *   import { io } from 'latentwasm';
 *   const { samples, junctions, sites } = await io.readSpliceCounts('junctions.tsv.gz', 'sites.tsv.gz');
 */
export * from './errors.js';
export { lineBatches, byteChunks, type ByteSource, type ReadOptions } from './source.js';
export { parseCount, type DelimitedReadOptions } from './delimited.js';
export { featureId, parseFeatureId, alignSamples, selectFeatures, type GenomicFeatures, type Strand } from './features.js';
export {
  readJunctionTable,
  readSiteTable,
  readSpliceCounts,
  readRangedCounts,
  formatJunctionTable,
  formatSiteTable,
  writeJunctionTable,
  writeSiteTable,
  deriveSpliceSites,
  type CountTable,
  type JunctionTable,
  type SiteTable,
  type SpliceCounts,
  type SpliceSiteType,
  type JunctionTableData,
  type SiteTableData,
  type DerivedSites,
} from './tables.js';
export { readExternalCounts, findExternalCountFiles, EXTERNAL_TABLES, type ExternalCounts, type ExternalCountSources, type ExternalReadOptions, type ExternalTableName } from './external.js';
export { readCountMatrix, readCountMatrices, type CountMatrix, type CountMatrices } from './matrices.js';
export { readSampleTable, matchSampleTable, readJunctionAnnotation, annotateFeatures, type SampleTable, type JunctionAnnotation, type FeatureGenes } from './annotation.js';
