import { ArgumentValueError, ShapeError } from '../../errors.js';
import { adjust } from '../../stats/index.js';
import type { Counts } from './fit.js';

/**
 * FRASER's results table: one row per (feature, sample) with the reference's columns
 * (FRASER::results): seqnames, start, end, width, strand, sampleID, hgncSymbol, type, pValue,
 * padjust, psiValue, deltaPsi, counts, totalCounts, meanCounts, meanTotalCounts.
 *
 * A cell is called aberrant when padjust ≤ padjCutoff (0.1), |Δψ| ≥ deltaPsiCutoff (0.1) and its
 * total count n ≥ minCoverage (5): the reference's defaults. psiValue is the observed k/n, deltaPsi
 * observed − fitted (both NaN where n = 0). meanCounts and meanTotalCounts are the feature's means
 * of k and n over all samples. Cells whose p-value is NaN (features left out of the model) are
 * never called and are written as NA with `all`.
 */

export interface FeatureCoordinates {
  seqnames: readonly string[];
  start: ArrayLike<number>;
  end: ArrayLike<number>;
  /** Default end − start + 1 (1-based closed intervals). */
  width?: ArrayLike<number>;
  strand: readonly string[];
}

export interface ResultsInput {
  /** Sample ids (N). */
  sampleIds: readonly string[];
  /** Feature coordinates (F). */
  features: FeatureCoordinates;
  /** The metric, written in the `type` column (jaccard, psi5, psi3, theta). */
  type: string;
  /** N×F row-major counts, p-values, adjusted p-values and Δψ (as the fit's fields). */
  k: Counts;
  n: Counts;
  pValues: Float64Array;
  padj: Float64Array;
  deltaPsi: Float64Array;
  /** Genes of each feature (several allowed; empty when unannotated): fills hgncSymbol and enables gene-level results. */
  genes?: readonly (readonly string[])[];
}

export interface ResultsOptions {
  /** padjust ≤ this (default 0.1). */
  padjCutoff?: number;
  /** |Δψ| ≥ this (default 0.1). */
  deltaPsiCutoff?: number;
  /** n ≥ this (default 5). */
  minCoverage?: number;
}

export interface ResultRow {
  seqnames: string;
  start: number;
  end: number;
  width: number;
  strand: string;
  sampleID: string;
  hgncSymbol: string;
  type: string;
  pValue: number;
  padjust: number;
  psiValue: number;
  deltaPsi: number;
  counts: number;
  totalCounts: number;
  meanCounts: number;
  meanTotalCounts: number;
  /** Gene-level rows only: the gene's p-value (Holm over its features, min) and its BY-adjusted value. */
  pValueGene?: number;
  padjustGene?: number;
  /** Whether the row passes the cutoffs. */
  aberrant: boolean;
}

export const RESULT_COLUMNS = [
  'seqnames', 'start', 'end', 'width', 'strand', 'sampleID', 'hgncSymbol', 'type', 'pValue', 'padjust',
  'psiValue', 'deltaPsi', 'counts', 'totalCounts', 'meanCounts', 'meanTotalCounts',
] as const;
export const GENE_RESULT_COLUMNS = [...RESULT_COLUMNS, 'pValueGene', 'padjustGene'] as const;

interface Prepared {
  N: number;
  F: number;
  width: Float64Array;
  meanK: Float64Array;
  meanN: Float64Array;
  cut: Required<ResultsOptions>;
}

function prepare(input: ResultsInput, options: ResultsOptions): Prepared {
  const N = input.sampleIds.length;
  const F = input.features.seqnames.length;
  if (N < 1) throw new ArgumentValueError('sampleIds is empty', 'sampleIds');
  const f = input.features;
  for (const [name, a] of [['start', f.start], ['end', f.end], ['strand', f.strand], ['width', f.width]] as const) {
    if (a !== undefined && a.length !== F) throw new ShapeError(`features.${name} has ${a.length} entries, features.seqnames has ${F}`, `features.${name}`);
  }
  for (const [name, a] of [['k', input.k], ['n', input.n], ['pValues', input.pValues], ['padj', input.padj], ['deltaPsi', input.deltaPsi]] as const) {
    if (a.length !== N * F) throw new ShapeError(`${name} has ${a.length} elements, expected N×F = ${N}×${F}`, name);
  }
  if (input.genes && input.genes.length !== F) throw new ShapeError(`genes has ${input.genes.length} entries, expected F = ${F}`, 'genes');
  const cut = {
    padjCutoff: options.padjCutoff ?? 0.1,
    deltaPsiCutoff: options.deltaPsiCutoff ?? 0.1,
    minCoverage: options.minCoverage ?? 5,
  };
  for (const [name, v] of Object.entries(cut)) {
    if (typeof v !== 'number' || !(v >= 0)) throw new ArgumentValueError(`${name} must be a number ≥ 0, got ${String(v)}`, name);
  }
  const width = new Float64Array(F);
  for (let j = 0; j < F; j++) width[j] = f.width ? f.width[j] : f.end[j] - f.start[j] + 1;
  const meanK = new Float64Array(F), meanN = new Float64Array(F);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < F; j++) {
      meanK[j] += input.k[i * F + j];
      meanN[j] += input.n[i * F + j];
    }
  }
  for (let j = 0; j < F; j++) {
    meanK[j] /= N;
    meanN[j] /= N;
  }
  return { N, F, width, meanK, meanN, cut };
}

function isAberrant(c: Required<ResultsOptions>, padj: number, dpsi: number, n: number): boolean {
  return padj <= c.padjCutoff && Math.abs(dpsi) >= c.deltaPsiCutoff && n >= c.minCoverage;
}

function row(input: ResultsInput, p: Prepared, i: number, j: number): ResultRow {
  const c = i * p.F + j;
  const k = input.k[c], n = input.n[c];
  const f = input.features;
  return {
    seqnames: f.seqnames[j], start: f.start[j], end: f.end[j], width: p.width[j], strand: f.strand[j],
    sampleID: input.sampleIds[i], hgncSymbol: input.genes ? input.genes[j].join(';') : '', type: input.type,
    pValue: input.pValues[c], padjust: input.padj[c], psiValue: n > 0 ? k / n : NaN, deltaPsi: input.deltaPsi[c],
    counts: k, totalCounts: n, meanCounts: p.meanK[j], meanTotalCounts: p.meanN[j],
    aberrant: isAberrant(p.cut, input.padj[c], input.deltaPsi[c], n),
  };
}

/**
 * Every tested (feature, sample) pair, sample by sample in feature order: the `--all` table.
 * A generator, so that 10⁷ rows never exist at once.
 */
export function* allResults(input: ResultsInput, options: ResultsOptions = {}): Generator<ResultRow> {
  const p = prepare(input, options);
  for (let i = 0; i < p.N; i++) for (let j = 0; j < p.F; j++) yield row(input, p, i, j);
}

/** The aberrant calls, sorted by sample (in input order), then p-value. */
export function aberrantResults(input: ResultsInput, options: ResultsOptions = {}): ResultRow[] {
  const p = prepare(input, options);
  const out: ResultRow[] = [];
  for (let i = 0; i < p.N; i++) {
    const rows: ResultRow[] = [];
    for (let j = 0; j < p.F; j++) {
      const c = i * p.F + j;
      if (isAberrant(p.cut, input.padj[c], input.deltaPsi[c], input.n[c])) rows.push(row(input, p, i, j));
    }
    rows.sort((a, b) => a.pValue - b.pValue);
    out.push(...rows);
  }
  return out;
}

/** Aberrant events per sample (feature-level calls), in sample order. */
export function aberrantPerSample(input: ResultsInput, options: ResultsOptions = {}): { sampleID: string; events: number }[] {
  const p = prepare(input, options);
  return input.sampleIds.map((sampleID, i) => {
    let events = 0;
    for (let j = 0; j < p.F; j++) {
      const c = i * p.F + j;
      if (isAberrant(p.cut, input.padj[c], input.deltaPsi[c], input.n[c])) events++;
    }
    return { sampleID, events };
  });
}

/**
 * Gene-level results (FRASER's aggregate = TRUE), when genes are given: per sample, Holm over
 * each gene's features, the minimum, then BY across the genes with a p-value (adjust.geneLevel).
 * A feature in several genes counts in each. One row per (gene, sample): the gene's feature with
 * the smallest p-value in that sample, with pValueGene and padjustGene; aberrant when padjustGene
 * ≤ padjCutoff and that feature passes the |Δψ| and coverage cutoffs. Returns the aberrant rows
 * (all rows with `all`), sorted by sample, then pValueGene.
 */
export function geneResults(input: ResultsInput, options: ResultsOptions & { all?: boolean } = {}): ResultRow[] {
  if (!input.genes) throw new ArgumentValueError('gene-level results need genes (an annotation)', 'genes');
  const p = prepare(input, options);
  // Expand features into (feature, gene) pairs.
  const geneId = new Map<string, number>();
  const names: string[] = [];
  const pairFeature: number[] = [];
  const pairGene: number[] = [];
  input.genes.forEach((gs, j) => {
    for (const g of gs) {
      if (g === '') continue;
      let id = geneId.get(g);
      if (id === undefined) {
        id = names.length;
        geneId.set(g, id);
        names.push(g);
      }
      pairFeature.push(j);
      pairGene.push(id);
    }
  });
  const P = pairFeature.length;
  if (P === 0) return [];
  const pp = new Float64Array(p.N * P);
  for (let i = 0; i < p.N; i++) for (let r = 0; r < P; r++) pp[i * P + r] = input.pValues[i * p.F + pairFeature[r]];
  const gl = adjust.geneLevel(pp, p.N, P, Int32Array.from(pairGene), { method: 'BY' });
  const G = gl.genes.length;
  // Pairs of each gene.
  const pairsOf: number[][] = Array.from({ length: names.length }, () => []);
  for (let r = 0; r < P; r++) pairsOf[pairGene[r]].push(r);
  const out: ResultRow[] = [];
  for (let i = 0; i < p.N; i++) {
    const rows: ResultRow[] = [];
    for (let gi = 0; gi < G; gi++) {
      const g = gl.genes[gi];
      const pg = gl.p[i * G + gi], padjg = gl.padj[i * G + gi];
      if (!(pg === pg)) continue;
      let best = -1, bestP = Infinity;
      for (const r of pairsOf[g]) {
        const v = pp[i * P + r];
        if (v < bestP) {
          bestP = v;
          best = pairFeature[r];
        }
      }
      if (best < 0) continue;
      const base = row(input, p, i, best);
      const aberrant = padjg <= p.cut.padjCutoff && Math.abs(base.deltaPsi) >= p.cut.deltaPsiCutoff && base.totalCounts >= p.cut.minCoverage;
      if (!aberrant && !options.all) continue;
      rows.push({ ...base, hgncSymbol: names[g], pValueGene: pg, padjustGene: padjg, aberrant });
    }
    rows.sort((a, b) => a.pValueGene! - b.pValueGene!);
    out.push(...rows);
  }
  return out;
}

/** A number as the reference writes it: NA for NaN, shortest round-trip form otherwise. */
function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NA' : String(v);
  return String(v).replace(/[\t\n\r]/g, ' ');
}

/** The TSV header line (with a trailing newline). */
export function tsvHeader(columns: readonly string[] = RESULT_COLUMNS): string {
  return columns.join('\t') + '\n';
}

/** One row as a TSV line (with a trailing newline). */
export function tsvLine(r: ResultRow, columns: readonly string[] = RESULT_COLUMNS): string {
  return columns.map((c) => cell((r as unknown as Record<string, unknown>)[c])).join('\t') + '\n';
}

/** Rows as JSON-ready objects (NaN → null; the `aberrant` flag kept). */
export function jsonRows(rows: Iterable<ResultRow>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of rows) {
    const o: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(r)) o[key] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
    out.push(o);
  }
  return out;
}
