/**
 * The FRASER workflow behind `latentwasm fraser`, `fraser predict` and `demo`: read counts, compute
 * the splice metric, filter, fit (or load a model), write the results table, the saved model, the
 * plots and a summary into an output directory. Every file is written atomically (a temporary
 * file, then a rename). Node only (src/cli).
 */
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArgumentValueError } from '../errors.js';
import {
  annotateFeatures, readCountMatrices, readExternalCounts, readJunctionAnnotation, readJunctionTable, readSampleTable, readSiteTable,
  matchSampleTable, featureId, alignSamples, type GenomicFeatures,
} from '../io/index.js';
import { InputFileError } from '../io/errors.js';
import { writeFileAtomic } from '../io/node.js';
import { selectFeatures, selectColumns } from '../io/features.js';
import { externalMetric, selectMetricFeatures, spliceMetric, spliceSiteGroups, SPLICE_METRICS, type SpliceMetric, type SpliceMetricCounts } from '../models/fraser/metrics.js';
import { filterJunctions, passedIndex, type FilterOptions, type FilterResult } from '../models/fraser/filters.js';
import { fit as fraserFit, FraserModel, type FraserFit, type FraserImplementation, type FraserPrediction } from '../models/fraser/fit.js';
import { modelFromFiles, modelToFiles } from '../models/fraser/persist.js';
import {
  aberrantPerSample, aberrantResults, allResults, geneResults, jsonRows, tsvHeader, tsvLine, GENE_RESULT_COLUMNS, RESULT_COLUMNS,
  type ResultRow, type ResultsInput, type ResultsOptions,
} from '../models/fraser/results.js';
import * as plot from '../plot/index.js';
import type { Progress } from './progress.js';

/** Where the counts come from. */
export type CountSource =
  | { kind: 'tables'; junctions: string; sites?: string }
  | { kind: 'external'; dir: string }
  | { kind: 'matrices'; k: string; n: string };

/** A metric's counts over named samples and features, ready to filter and fit. */
export interface MetricInput {
  samples: string[];
  features: GenomicFeatures;
  metric: SpliceMetric | 'counts';
  k: Uint32Array;
  n: Uint32Array;
  genes?: string[][];
  files: string[];
}

/** Reads the counts and computes the metric (plain matrices are used as given). */
export async function readMetricInput(source: CountSource, metric: SpliceMetric, extra: { annotation?: string; sampleTable?: string }, progress: Progress): Promise<MetricInput> {
  progress.start('reading counts');
  let input: MetricInput;
  if (source.kind === 'tables') {
    const needSites = metric === 'jaccard' || metric === 'theta';
    if (needSites && !source.sites) throw new ArgumentValueError(`the ${metric} metric needs the splice-site counts: give --sites (or --metric psi5 or psi3)`, 'sites');
    const j = await readJunctionTable(source.junctions);
    const s = source.sites ? await readSiteTable(source.sites) : undefined;
    const sites = s ? { features: s.features, spliceSiteID: s.spliceSiteID, counts: alignSamples(s.counts, s.samples, j.samples, s.features.ids.length, s.file, j.file), samples: j.samples, file: s.file } : undefined;
    const m = spliceMetric(metric, { features: j.features, startID: j.startID, endID: j.endID, counts: j.counts, samples: j.samples, file: j.file }, sites);
    input = { samples: j.samples, features: metric === 'theta' ? s!.features : j.features, metric, k: m.k, n: m.n, files: [j.file, ...(s ? [s.file] : [])] };
    if (m.unlinked > 0) progress.note(`note: ${m.unlinked} junction ends have no splice site in ${s?.file}; their non-split reads count as 0`);
  } else if (source.kind === 'external') {
    const e = await readExternalCounts(source.dir);
    const m = externalMetric(metric, e);
    input = { samples: e.samples, features: metric === 'theta' ? e.sites : e.junctions, metric, k: m.k, n: m.n, files: Object.values(e.files) };
  } else {
    const m = await readCountMatrices(source.k, source.n);
    input = { samples: m.samples, features: m.features, metric: 'counts', k: m.k, n: m.n, files: [m.files.k, m.files.n] };
  }
  if (extra.sampleTable) {
    const table = await readSampleTable(extra.sampleTable);
    const keep = table.ids.filter((id) => input.samples.includes(id));
    if (keep.length < 2) throw new ArgumentValueError(`the sample table ${table.file} names ${keep.length} of the counts' samples; at least 2 are needed`, 'samples');
    matchSampleTable(table, keep, { countsFile: input.files[0] });
    const F = input.features.ids.length;
    input = { ...input, samples: keep, k: alignSamples(input.k, input.samples, keep, F, input.files[0], table.file), n: alignSamples(input.n, input.samples, keep, F, input.files[0], table.file) };
  }
  if (extra.annotation) {
    const ann = await readJunctionAnnotation(extra.annotation);
    const g = annotateFeatures(ann, input.features);
    input.genes = g.genes;
    progress.note(`annotation: ${g.matched} of ${input.features.ids.length} features matched a gene row of ${ann.file}`);
  }
  progress.done();
  return input;
}

/** The input restricted to the features at `index`. */
function selectInput(input: MetricInput, index: ArrayLike<number>): MetricInput {
  const N = input.samples.length, F = input.features.ids.length;
  return {
    ...input,
    features: selectFeatures(input.features, index),
    k: selectColumns(input.k, N, F, index),
    n: selectColumns(input.n, N, F, index),
    genes: input.genes ? Array.from(index, (j) => input.genes![j]) : undefined,
  };
}

export interface FraserRunOptions {
  out: string;
  implementation: FraserImplementation;
  q: number | 'auto' | 'grid';
  seed: number;
  filters: FilterOptions;
  cutoffs: ResultsOptions;
  all: boolean;
  /** Volcano plots for at most this many samples (those with the most calls). */
  volcanoes: number;
}

export interface FraserRunResult {
  fit: FraserFit;
  input: MetricInput;
  filter: FilterResult;
  calls: ResultRow[];
  files: string[];
  seconds: { read: number; fit: number; write: number };
}

async function writeText(path: string, text: string | Iterable<string>): Promise<void> {
  await writeFileAtomic(path, typeof text === 'string' ? [text] : text);
}

/** Text chunks of ~64 KiB from lines. */
function* chunked(lines: Iterable<string>): Generator<string> {
  let buf = '';
  for (const l of lines) {
    buf += l;
    if (buf.length >= 1 << 16) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** Writes a saved model directory atomically: a temporary directory, then a rename (the old one is replaced). */
async function writeModelDir(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  const tmp = join(dirname(dir), `.model.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'arrays'), { recursive: true });
  const { writeFile } = await import('node:fs/promises');
  for (const [name, bytes] of files) await writeFile(join(tmp, name), bytes);
  const old = `${dir}.old-${process.pid}`;
  const exists = await stat(dir).then(() => true, () => false);
  if (exists) await rename(dir, old);
  await rename(tmp, dir);
  if (exists) await rm(old, { recursive: true, force: true });
}

/** Reads a saved model directory. */
export async function readModelDir(dir: string): Promise<{ model: FraserModel; extra: Record<string, unknown> }> {
  const files = new Map<string, Uint8Array>();
  try {
    const meta = await readFile(join(dir, 'model.json'));
    files.set('model.json', meta);
    const index = JSON.parse(new TextDecoder().decode(meta)) as { arrays?: { file: string }[] };
    for (const a of index.arrays ?? []) {
      const bytes = await readFile(join(dir, a.file)).catch(() => undefined);
      if (bytes) files.set(a.file, bytes);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new InputFileError(`no saved model here (model.json is missing)`, { file: dir });
    if (e instanceof SyntaxError) throw new InputFileError(`model.json is not valid JSON: ${e.message}`, { file: join(dir, 'model.json') });
    throw e;
  }
  return modelFromFiles((name) => files.get(name));
}

function resultsInput(input: MetricInput, r: { pValues: Float64Array; padj: Float64Array; deltaPsi: Float64Array }): ResultsInput {
  return {
    sampleIds: input.samples, features: input.features, type: input.metric, k: input.k, n: input.n,
    pValues: r.pValues, padj: r.padj, deltaPsi: r.deltaPsi, genes: input.genes,
  };
}

/** Results tables and plots for scored samples; returns the calls and the files written. */
async function writeResults(out: string, input: MetricInput, scored: { pValues: Float64Array; padj: Float64Array; deltaPsi: Float64Array }, opts: Pick<FraserRunOptions, 'cutoffs' | 'all' | 'volcanoes'>, progress: Progress): Promise<{ calls: ResultRow[]; files: string[] }> {
  const files: string[] = [];
  const w = async (name: string, text: string | Iterable<string>) => {
    await writeText(join(out, name), text);
    files.push(name);
  };
  const ri = resultsInput(input, scored);
  progress.start('writing results');
  const calls = aberrantResults(ri, opts.cutoffs);
  await w('results.tsv', chunked([tsvHeader(), ...calls.map((r) => tsvLine(r))]));
  await w('results.json', JSON.stringify(jsonRows(calls)) + '\n');
  if (input.genes) {
    const genes = geneResults(ri, opts.cutoffs);
    await w('results_gene.tsv', chunked([tsvHeader(GENE_RESULT_COLUMNS), ...genes.map((r) => tsvLine(r, GENE_RESULT_COLUMNS))]));
    await w('results_gene.json', JSON.stringify(jsonRows(genes)) + '\n');
  }
  const per = aberrantPerSample(ri, opts.cutoffs);
  await w('aberrant_per_sample.tsv', ['sampleID\taberrantEvents\n', ...per.map((p) => `${p.sampleID}\t${p.events}\n`)].join(''));
  if (opts.all) {
    const gen = allResults(ri, opts.cutoffs);
    await w('results_all.tsv.gz', chunked((function* () {
      yield tsvHeader();
      for (const r of gen) yield tsvLine(r);
    })()));
  }
  progress.start('plotting');
  await mkdir(join(out, 'plots'), { recursive: true });
  const N = input.samples.length, F = input.features.ids.length;
  await w('plots/aberrant_per_sample.svg', plot.aberrantPerSample({ samples: per.map((p) => p.sampleID), counts: per.map((p) => p.events) }, { title: `Aberrant ${input.metric} events per sample` }));
  await w('plots/qq.svg', plot.qq(scored.pValues, { title: `QQ plot of the ${input.metric} p-values (all samples)` }));
  const order = per.map((p, i) => ({ i, e: p.events })).sort((a, b) => b.e - a.e || a.i - b.i).slice(0, Math.min(opts.volcanoes, N));
  for (const { i } of order) {
    const sl = (a: ArrayLike<number>) => Float64Array.from({ length: F }, (_, j) => a[i * F + j]);
    const svg = plot.volcano(
      { deltaPsi: sl(scored.deltaPsi), pValues: sl(scored.pValues), padj: sl(scored.padj), totalCounts: sl(input.n), labels: input.genes ? input.genes.map((g, j) => (g.length ? g.join(';') : input.features.ids[j])) : input.features.ids },
      { sample: input.samples[i], padjCutoff: opts.cutoffs.padjCutoff, deltaPsiCutoff: opts.cutoffs.deltaPsiCutoff, minTotalCount: opts.cutoffs.minCoverage, xLabel: `Δψ (${input.metric})` },
    );
    await w(`plots/volcano_${safeName(input.samples[i])}.svg`, svg);
  }
  progress.done();
  return { calls, files };
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** `latentwasm fraser`: read, filter, fit, write. */
export async function runFraser(source: CountSource, metric: SpliceMetric, extra: { annotation?: string; sampleTable?: string }, opts: FraserRunOptions, progress: Progress): Promise<FraserRunResult> {
  const t0 = performance.now();
  await mkdir(opts.out, { recursive: true });
  const raw = await readMetricInput(source, metric, extra, progress);
  const N = raw.samples.length;
  const filter = filterJunctions({ k: raw.k, n: raw.n, samples: N }, { ...opts.filters, throwIfEmpty: true });
  progress.note(`filter: ${filter.summary}`);
  const input = selectInput(raw, passedIndex(filter));
  const t1 = performance.now();
  // psi5 and psi3: Holm within each donor (acceptor) group before the per-sample FDR, as the reference.
  let groups: Int32Array | undefined;
  if (input.metric === 'psi5' || input.metric === 'psi3') {
    const g = spliceSiteGroups(input.features);
    groups = input.metric === 'psi5' ? g.donor : g.acceptor;
  }
  const fit = fraserFit({ k: input.k, n: input.n, samples: N }, {
    implementation: opts.implementation, q: opts.q, seed: opts.seed, groups,
    onProgress: (p) => {
      progress.start(`fit (${opts.implementation}): ${p.stage}${p.round ? ` round ${p.round}` : ''}`);
      progress.update(p.fraction, p.loss !== undefined ? `loss ${p.loss.toFixed(5)}` : '');
    },
  });
  progress.done();
  for (const m of fit.notices) progress.note(`note: ${m}`);
  const t2 = performance.now();
  const files: string[] = [];
  const { calls, files: rf } = await writeResults(opts.out, input, { pValues: fit.pValues, padj: fit.padj, deltaPsi: fit.deltaPsi }, opts, progress);
  files.push(...rf);
  // Filter flags for every input feature.
  const fl = function* () {
    yield 'featureID\tseqnames\tstart\tend\tstrand\tpassed\tmaxCount\tquantileN\tmaxDeltaPsi\tdroppedBy\n';
    for (let j = 0; j < raw.features.ids.length; j++) {
      const why = [filter.reasons[j] & 1 ? 'maxCount' : '', filter.reasons[j] & 2 ? 'quantile' : '', filter.reasons[j] & 4 ? 'deltaPsi' : ''].filter(Boolean).join(',');
      const f = raw.features;
      yield `${f.ids[j]}\t${f.seqnames[j]}\t${f.start[j]}\t${f.end[j]}\t${f.strand[j]}\t${filter.passed[j] ? 'TRUE' : 'FALSE'}\t${filter.maxCount[j]}\t${filter.quantileValue[j]}\t${Number.isNaN(filter.maxDeltaPsi[j]) ? 'NA' : filter.maxDeltaPsi[j]}\t${why}\n`;
    }
  };
  await writeText(join(opts.out, 'filter.tsv'), chunked(fl()));
  files.push('filter.tsv');
  // Model, with what predict needs to read new data the same way.
  await writeModelDir(join(opts.out, 'model'), modelToFiles(fit.model, {
    metric: raw.metric, featureIds: input.features.ids, samples: input.samples, genes: input.genes ?? null,
  }));
  files.push('model/');
  // The q search and the loss.
  const qs = fit.qSelection;
  if (qs.method !== 'given') {
    await writeText(join(opts.out, 'plots', 'encoding_dimension.svg'), plot.encodingDimension(qs, fit.q));
    files.push('plots/encoding_dimension.svg');
  }
  if (fit.history.length > 1) {
    await writeText(join(opts.out, 'plots', 'loss.svg'), plot.loss([{ name: opts.implementation, values: fit.history }], { title: `FRASER ${opts.implementation}: loss per step` }));
    files.push('plots/loss.svg');
  }
  const t3 = performance.now();
  const seconds = { read: (t1 - t0) / 1000, fit: (t2 - t1) / 1000, write: (t3 - t2) / 1000 };
  const summary = {
    tool: 'latentwasm fraser', input: raw.files, metric: raw.metric, samples: N, features: raw.features.ids.length,
    filter: { kept: filter.kept, dropped: filter.dropped, droppedBy: filter.droppedBy, options: filter.options, summary: filter.summary },
    implementation: opts.implementation, q: fit.q, qSelection: qs.method, seed: opts.seed, cutoffs: { padjCutoff: 0.1, deltaPsiCutoff: 0.1, minCoverage: 5, ...opts.cutoffs },
    calls: calls.length, samplesWithCalls: new Set(calls.map((c) => c.sampleID)).size, notices: fit.notices, seconds, files,
  };
  await writeText(join(opts.out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  files.push('summary.json');
  return { fit, input, filter, calls, files, seconds };
}

/** `latentwasm fraser predict`: score new samples with a saved model, no refit. */
export async function runPredict(modelDir: string, source: CountSource, extra: { annotation?: string; sampleTable?: string }, opts: Pick<FraserRunOptions, 'out' | 'cutoffs' | 'all' | 'volcanoes'>, progress: Progress): Promise<{ prediction: FraserPrediction; calls: ResultRow[]; files: string[]; missing: number }> {
  await mkdir(opts.out, { recursive: true });
  const { model, extra: saved } = await readModelDir(modelDir);
  const metric = saved.metric as SpliceMetric | 'counts';
  const ids = saved.featureIds as string[] | undefined;
  if (!Array.isArray(ids) || ids.length !== model.junctions) throw new InputFileError('model.json lacks the feature ids (featureIds) that predict matches new data by', { file: join(modelDir, 'model.json') });
  const input = await readMetricInput(source, metric === 'counts' ? 'jaccard' : metric, extra, progress);
  if (metric === 'counts' && input.metric !== 'counts') throw new ArgumentValueError('this model was fitted on plain K and N matrices: give --k and --n', 'k');
  // The new data's features in the model's order; a model feature the data lacks is an error.
  const pos = new Map<string, number>();
  input.features.ids.forEach((id, j) => pos.set(id, j));
  const index = ids.map((id) => pos.get(id) ?? -1);
  const missing = index.filter((v) => v < 0).length;
  if (missing > 0) {
    const shown = ids.filter((_, j) => index[j] < 0).slice(0, 5).join(', ');
    throw new ArgumentValueError(`the new counts lack ${missing} of the model's ${ids.length} features (e.g. ${shown}); the model can only score the features it was fitted on`, 'junctions');
  }
  const sel = selectInput(input, index);
  if (saved.genes && !sel.genes) sel.genes = saved.genes as string[][];
  progress.start('scoring with the saved model');
  const prediction = model.predict({ k: sel.k, n: sel.n });
  progress.done();
  const { calls, files } = await writeResults(opts.out, sel, prediction, opts, progress);
  await writeText(join(opts.out, 'summary.json'), JSON.stringify({ tool: 'latentwasm fraser predict', model: modelDir, input: input.files, metric, samples: sel.samples.length, features: ids.length, calls: calls.length, files }, null, 1) + '\n');
  files.push('summary.json');
  return { prediction, calls, files, missing };
}

export { SPLICE_METRICS, featureId, RESULT_COLUMNS };
