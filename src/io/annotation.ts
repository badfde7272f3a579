/**
 * Optional side tables: a sample table (one row a sample) and a junction → gene annotation.
 *
 * Sample table: TSV or CSV with a header. The sample id column is `idColumn` if given, else the
 * first of sampleID, sample_id, RNA_ID, sample (case-insensitive), else the first column. Ids must
 * be distinct. Other columns are kept as strings.
 *
 * Junction annotation: TSV or CSV with a gene column (`geneColumn`, else the first of hgncSymbol,
 * hgnc_symbol, gene, genes, geneSymbol, gene_symbol, geneName, gene_name, symbol, geneID, gene_id;
 * case-insensitive); several genes in one field are separated by ';'. Rows are matched to features
 *   - by coordinates when the header has seqnames, start and end (strand optional): same
 *     seqnames, start and end, and compatible strands — equal, or either one '*' (or absent);
 *   - otherwise by an id column (`idColumn`, else the first of junctionID, junction_id, junction,
 *     featureID, feature_id, id; else the first column that is not the gene column): an id equal
 *     to the feature's id matches; an id of the form `chr:start-end` or `chr:start-end:strand`
 *     is also matched by coordinates as above, so the ids this library gives junctions
 *     (`chr3:119187954-119188666:+`) and unstranded ones both work.
 * A feature matched by several rows gets the union of their genes, in order of appearance.
 */
import { DuplicateNameError, FieldValueError, HeaderError, SampleMismatchError } from './errors.js';
import { forEachRow, type DelimitedReadOptions } from './delimited.js';
import { parseFeatureId, parseStrand, type GenomicFeatures, type Strand } from './features.js';
import type { ByteSource } from './source.js';

export interface SampleTable {
  file: string;
  /** The header name of the sample id column. */
  idColumn: string;
  columns: string[];
  /** Sample ids, one a row, in file order. */
  ids: string[];
  /** Each row's fields by column name. */
  rows: Record<string, string>[];
}

const SAMPLE_ID_COLUMNS = ['sampleid', 'sample_id', 'rna_id', 'sample'];
const GENE_COLUMNS = ['hgncsymbol', 'hgnc_symbol', 'gene', 'genes', 'genesymbol', 'gene_symbol', 'genename', 'gene_name', 'symbol', 'geneid', 'gene_id'];
const JUNCTION_ID_COLUMNS = ['junctionid', 'junction_id', 'junction', 'featureid', 'feature_id', 'id'];

function findColumn(header: readonly string[], wanted: string | undefined, candidates: readonly string[], file: string, what: string): number {
  if (wanted !== undefined) {
    const c = header.indexOf(wanted);
    if (c < 0) throw new HeaderError(`has no column '${wanted}' (the ${what} column asked for)`, { file, line: 1 });
    return c;
  }
  const lower = header.map((h) => h.toLowerCase());
  for (const name of candidates) {
    const c = lower.indexOf(name);
    if (c >= 0) return c;
  }
  return -1;
}

/** Reads a sample table (see the file header). */
export async function readSampleTable(source: ByteSource, options: DelimitedReadOptions & { idColumn?: string } = {}): Promise<SampleTable> {
  let idCol = 0;
  let header: string[] = [];
  const ids: string[] = [];
  const rows: Record<string, string>[] = [];
  const seen = new Map<string, number>();
  const read = await forEachRow(
    source,
    options,
    (h, file) => {
      header = h;
      const c = findColumn(h, options.idColumn, SAMPLE_ID_COLUMNS, file, 'sample id');
      idCol = c < 0 ? 0 : c;
    },
    (r) => {
      const id = r.field(idCol);
      if (id === '' || id === 'NA') throw new FieldValueError('missing sample id', r.where(idCol));
      const prev = seen.get(id);
      if (prev !== undefined) throw new DuplicateNameError(`sample '${id}' already appears on line ${prev}`, r.where(idCol));
      seen.set(id, r.line);
      ids.push(id);
      const row: Record<string, string> = {};
      for (let c = 0; c < header.length; c++) row[header[c]] = r.field(c);
      rows.push(row);
    },
  );
  return { file: read.file, idColumn: header[idCol], columns: header, ids, rows };
}

/**
 * The row of `table` for each of `samples` (-1 where there is none). Unless `allowMissing`,
 * a sample the table lacks is a SampleMismatchError naming them; rows for other samples are ignored.
 */
export function matchSampleTable(table: SampleTable, samples: readonly string[], options: { allowMissing?: boolean; countsFile?: string } = {}): Int32Array {
  const pos = new Map<string, number>();
  table.ids.forEach((id, r) => pos.set(id, r));
  const index = Int32Array.from(samples, (s) => pos.get(s) ?? -1);
  if (!options.allowMissing) {
    const missing = samples.filter((_, i) => index[i] < 0);
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).map((s) => `'${s}'`).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : '');
      throw new SampleMismatchError(`lacks sample${missing.length === 1 ? '' : 's'} ${shown} of ${options.countsFile ?? 'the counts'}`, { file: table.file });
    }
  }
  return index;
}

/** A junction → gene annotation, ready to match features (see the file header). */
export interface JunctionAnnotation {
  file: string;
  /** How rows are matched: by coordinate columns, or by an id column. */
  key: 'coordinates' | 'id';
  geneColumn: string;
  /** The id column's name when key is 'id'. */
  idColumn?: string;
  rows: number;
  /** Gene lists by exact id (key 'id'). */
  byId: Map<string, string[]>;
  /** Gene lists by `seqnames:start-end`, each with its strand. */
  byLocus: Map<string, { strand: Strand; genes: string[] }[]>;
}

function splitGenes(s: string): string[] {
  const out: string[] = [];
  for (const g of s.split(';')) {
    const t = g.trim();
    if (t !== '' && t !== 'NA' && !out.includes(t)) out.push(t);
  }
  return out;
}

function addGenes(list: string[], genes: readonly string[]): void {
  for (const g of genes) if (!list.includes(g)) list.push(g);
}

/** Reads a junction → gene annotation (see the file header). */
export async function readJunctionAnnotation(source: ByteSource, options: DelimitedReadOptions & { geneColumn?: string; idColumn?: string } = {}): Promise<JunctionAnnotation> {
  let geneCol = -1;
  let idCol = -1;
  let coord: number[] | null = null;
  let strandCol = -1;
  let header: string[] = [];
  const byId = new Map<string, string[]>();
  const byLocus = new Map<string, { strand: Strand; genes: string[] }[]>();
  const addLocus = (locus: string, strand: Strand, genes: string[]) => {
    const list = byLocus.get(locus);
    if (!list) byLocus.set(locus, [{ strand, genes: [...genes] }]);
    else {
      const same = list.find((e) => e.strand === strand);
      if (same) addGenes(same.genes, genes);
      else list.push({ strand, genes: [...genes] });
    }
  };
  const read = await forEachRow(
    source,
    options,
    (h, file) => {
      header = h;
      geneCol = findColumn(h, options.geneColumn, GENE_COLUMNS, file, 'gene');
      if (geneCol < 0) throw new HeaderError(`has no gene column (name it one of hgncSymbol, gene, gene_name, … or pass geneColumn)`, { file, line: 1 });
      const [s, a, e] = ['seqnames', 'start', 'end'].map((n) => h.indexOf(n));
      if (options.idColumn === undefined && s >= 0 && a >= 0 && e >= 0) {
        coord = [s, a, e];
        strandCol = h.indexOf('strand');
        return;
      }
      idCol = findColumn(h, options.idColumn, JUNCTION_ID_COLUMNS, file, 'junction id');
      if (idCol < 0) idCol = geneCol === 0 ? 1 : 0;
      if (idCol >= h.length) throw new HeaderError('needs a junction id column or seqnames, start and end next to the gene column', { file, line: 1 });
    },
    (r) => {
      const genes = splitGenes(r.field(geneCol));
      if (coord) {
        const [s, a, e] = coord;
        const seqnames = r.field(s);
        const start = r.position(a);
        const end = r.position(e);
        if (end < start) throw new FieldValueError(`end ${end} is before start ${start}`, r.where(e));
        addLocus(`${seqnames}:${start}-${end}`, strandCol >= 0 ? parseStrand(r, strandCol) : '*', genes);
        return;
      }
      const id = r.field(idCol);
      if (id === '') throw new FieldValueError('missing junction id', r.where(idCol));
      const list = byId.get(id);
      if (list) addGenes(list, genes);
      else byId.set(id, [...genes]);
      const p = parseFeatureId(id);
      if (p) addLocus(`${p.seqnames}:${p.start}-${p.end}`, p.strand, genes);
    },
  );
  return {
    file: read.file,
    key: coord ? 'coordinates' : 'id',
    geneColumn: header[geneCol],
    idColumn: coord ? undefined : header[idCol],
    rows: read.rows,
    byId,
    byLocus,
  };
}

/** Genes per feature, and how many features matched a row. */
export interface FeatureGenes {
  /** One list a feature (empty when none matched). */
  genes: string[][];
  matched: number;
  unmatched: number;
}

/** Matches features to the annotation's rows (see the file header for the rules). */
export function annotateFeatures(annotation: JunctionAnnotation, features: GenomicFeatures): FeatureGenes {
  const F = features.ids.length;
  const genes: string[][] = new Array(F);
  let matched = 0;
  for (let j = 0; j < F; j++) {
    const list: string[] = [];
    let hit = false;
    const exact = annotation.byId.get(features.ids[j]);
    if (exact) {
      hit = true;
      addGenes(list, exact);
    }
    if (features.start[j] > 0) {
      const entries = annotation.byLocus.get(`${features.seqnames[j]}:${features.start[j]}-${features.end[j]}`);
      if (entries) {
        const s = features.strand[j];
        for (const e of entries) {
          if (e.strand === s || e.strand === '*' || s === '*') {
            hit = true;
            addGenes(list, e.genes);
          }
        }
      }
    }
    genes[j] = list;
    if (hit) matched++;
  }
  return { genes, matched, unmatched: F - matched };
}
