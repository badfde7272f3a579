/**
 * Delimited text (TSV or CSV) read row by row from a `ByteSource`, with counts parsed straight from
 * the line into a growing `Uint32Array` (no per-field strings for counts). The delimiter is the
 * tab when the header line holds one, else the comma, unless given. Fields may be double-quoted
 * (as R's write.table and data.table::fwrite write them), with "" for a quote inside; a quoted
 * field cannot span lines. Blank lines are skipped (and still counted in line numbers).
 */
import { ArgumentValueError } from '../errors.js';
import { CountValueError, DuplicateNameError, FieldValueError, HeaderError, RaggedRowError, type InputLocation } from './errors.js';
import { lineBatches, sourceName, type ByteSource, type ReadOptions } from './source.js';

/** Options of the delimited-table readers. */
export interface DelimitedReadOptions extends ReadOptions {
  /** Field separator; by default the tab if the header line has one, else the comma. */
  delimiter?: '\t' | ',';
}

/** Largest count a Uint32Array holds. */
export const MAX_COUNT = 0xffffffff;

/** Field boundaries of one line, reused from row to row. */
export class RowFields {
  text = '';
  count = 0;
  line = 0;
  starts: Int32Array;
  ends: Int32Array;
  constructor(
    readonly file: string,
    readonly header: readonly string[],
    readonly delimiter: string,
  ) {
    this.starts = new Int32Array(header.length + 1);
    this.ends = new Int32Array(header.length + 1);
  }

  /** Splits `line`; returns the number of fields (it stops counting at header.length + 1). */
  split(line: string, lineNumber: number): number {
    this.line = lineNumber;
    if (line.indexOf('"') >= 0) return this.splitQuoted(line);
    this.text = line;
    const d = this.delimiter.charCodeAt(0);
    const cap = this.starts.length;
    let n = 0;
    let a = 0;
    for (let i = 0; i <= line.length; i++) {
      if (i === line.length || line.charCodeAt(i) === d) {
        if (n === cap) return cap;
        this.starts[n] = a;
        this.ends[n] = i;
        n++;
        a = i + 1;
      }
    }
    return (this.count = n);
  }

  private splitQuoted(line: string): number {
    const fields = splitQuotedLine(line, this.delimiter, { file: this.file, line: this.line });
    // Joined with NUL (which text tables never contain), so that the offsets index one string.
    this.text = fields.join('\0');
    const n = Math.min(fields.length, this.starts.length);
    let a = 0;
    for (let c = 0; c < n; c++) {
      this.starts[c] = a;
      this.ends[c] = a + fields[c].length;
      a += fields[c].length + 1;
    }
    return (this.count = fields.length > this.starts.length ? this.starts.length : fields.length);
  }

  /** Field `c` (0-based) as a string, surrounding white space removed. */
  field(c: number): string {
    return this.text.slice(this.starts[c], this.ends[c]).trim();
  }

  /** Where field `c` is, for an error. */
  where(c: number): InputLocation {
    return { file: this.file, line: this.line, column: c + 1, columnName: this.header[c] };
  }

  /** Field `c` as a positive integer coordinate (1-based genomic position), or a FieldValueError. */
  position(c: number, min = 1): number {
    const v = parseCount(this.text, this.starts[c], this.ends[c]);
    if (v < min) throw new FieldValueError(`'${this.text.slice(this.starts[c], this.ends[c])}' is not a genomic position (an integer ≥ ${min})`, this.where(c));
    return v;
  }
}

/** Splits a line with double-quoted fields. */
export function splitQuotedLine(line: string, delimiter: string, where: InputLocation): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    let field = '';
    while (i < n && line[i] === ' ') i++;
    if (i < n && line[i] === '"') {
      const open = i;
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          throw new FieldValueError('unterminated quoted field (a quoted field cannot span lines)', { ...where, column: out.length + 1 });
        }
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (i < n && line[i] === ' ') i++;
      if (i < n && line[i] !== delimiter) {
        throw new FieldValueError(`text after the closing quote of a field opened at character ${open + 1}`, { ...where, column: out.length + 1 });
      }
    } else {
      const e = line.indexOf(delimiter, i);
      const end = e < 0 ? n : e;
      field = line.slice(i, end);
      i = end;
    }
    out.push(field);
    if (i >= n) break;
    i++; // the delimiter
    if (i === n) {
      out.push('');
      break;
    }
  }
  return out;
}

/**
 * A count in text[a, b): a non-negative integer below 2³². Digits only is the fast path; a decimal
 * or exponent form with an integral value ('12.0', '1e+05', as R may write large numbers) is
 * accepted too. Returns the value, or a negative code: -1 empty, -2 not a number, -3 negative,
 * -4 not an integer, -5 too large.
 */
export function parseCount(text: string, a: number, b: number): number {
  while (a < b && text.charCodeAt(a) === 32) a++;
  while (b > a && text.charCodeAt(b - 1) === 32) b--;
  if (a === b) return -1;
  if (b - a <= 9) {
    let v = 0;
    let i = a;
    for (; i < b; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === b) return v;
  }
  const s = text.slice(a, b);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return -2;
  const v = Number(s);
  if (v < 0) return -3;
  if (!Number.isInteger(v)) return -4;
  if (v > MAX_COUNT) return -5;
  return v === 0 ? 0 : v; // -0 → 0
}

export function countProblem(code: number, raw: string): string {
  const shown = raw.length > 40 ? raw.slice(0, 40) + '…' : raw;
  switch (code) {
    case -1:
      return 'empty field where a count is expected';
    case -2:
      return `count '${shown}' is not a number`;
    case -3:
      return `count '${shown}' is negative`;
    case -4:
      return `count '${shown}' is not an integer`;
    default:
      return `count '${shown}' exceeds ${MAX_COUNT}, the largest count supported`;
  }
}

/** A Uint32Array that grows by doubling. */
export class GrowableUint32 {
  data: Uint32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Uint32Array(Math.max(capacity, 16));
  }
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint32Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1);
    this.data[this.length++] = v;
  }
  /** The filled part (a view while it fits, so copy before growing again). */
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Rows × cols (row-major) to cols × rows. Tables are read feature by feature (one line a
 * feature) and the model wants samples × features.
 */
export function transpose(a: Uint32Array, rows: number, cols: number): Uint32Array {
  const out = new Uint32Array(rows * cols);
  const B = 64;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(r0 + B, rows);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(c0 + B, cols);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = a[base + c];
      }
    }
  }
  return out;
}

/** What a format's header says about its columns. */
export interface TableLayout {
  /** Header indices of the count (sample) columns, in the order the samples will be stored. */
  sampleColumns: number[];
  /** Called for each data row after its counts are parsed, for the other fields. */
  row?: (r: RowFields) => void;
}

/** A count table as read: counts are feature-major (rows × samples) until the caller transposes. */
export interface RawCountTable {
  file: string;
  header: string[];
  delimiter: string;
  samples: string[];
  rows: number;
  /** rows × samples, row-major (one file row after another). */
  countsByRow: Uint32Array;
  /** The 1-based line number of each data row. */
  lines: Uint32Array;
}

/** Splits a header line into trimmed names. */
export function splitHeader(line: string, delimiter: string, file: string): string[] {
  const fields = line.indexOf('"') >= 0 ? splitQuotedLine(line, delimiter, { file, line: 1 }) : line.split(delimiter);
  return fields.map((f) => f.trim());
}

/** Throws HeaderError unless header[at + i] equals each of `names` (case-sensitive). */
export function expectColumns(header: readonly string[], names: readonly string[], at: number, file: string, what: string): void {
  for (let i = 0; i < names.length; i++) {
    const got = header[at + i];
    if (got !== names[i]) {
      const found = header.indexOf(names[i]);
      const tail = got === undefined ? 'the header ends there' : `found '${got}'`;
      throw new HeaderError(
        `${what} needs column '${names[i]}' here (expected ${names.map((n) => `'${n}'`).join(', ')} from column ${at + 1}), ${tail}${found >= 0 ? `; '${names[i]}' is column ${found + 1}` : ''}`,
        { file, line: 1, column: at + i + 1, columnName: got },
      );
    }
  }
}

/**
 * Reads a delimited table row by row: the header (its delimiter detected unless given) goes to
 * `onHeader`, each non-blank data row, split and checked to have as many fields as the header, to
 * `onRow`. Throws HeaderError for an empty file, RaggedRowError naming the line and column.
 * With `rowNames`, a header one field shorter than the first data row gets an empty first name
 * (R's row-name convention); `onHeader` then runs just before the first row.
 */
export async function forEachRow(
  source: ByteSource,
  options: DelimitedReadOptions,
  onHeader: (header: string[], file: string, delimiter: string) => void,
  onRow: (r: RowFields) => void,
  rowNames = false,
): Promise<{ file: string; header: string[]; delimiter: string; rows: number }> {
  const file = sourceName(source, options.name);
  if (options.delimiter !== undefined && options.delimiter !== '\t' && options.delimiter !== ',') {
    throw new ArgumentValueError(`delimiter must be '\\t' or ',', got ${JSON.stringify(options.delimiter)}`, 'delimiter');
  }
  let header: string[] | undefined;
  let delimiter = options.delimiter ?? '\t';
  let fields: RowFields | undefined;
  let rows = 0;
  let lineNumber = 0;
  for await (const batch of lineBatches(source, options)) {
    for (const line of batch) {
      lineNumber++;
      if (header === undefined) {
        if (line.trim() === '') throw new HeaderError('the first line must be the header, found an empty line', { file, line: lineNumber });
        if (options.delimiter === undefined) delimiter = line.indexOf('\t') >= 0 ? '\t' : ',';
        header = splitHeader(line, delimiter, file);
        fields = new RowFields(file, header, delimiter);
        if (!rowNames) onHeader(header, file, delimiter);
        continue;
      }
      if (line.trim() === '') continue;
      let n = fields!.split(line, lineNumber);
      if (rowNames && rows === 0) {
        // R's write.table(row.names = TRUE) leaves the row-name column out of the header.
        if (n === header.length + 1) {
          header = ['', ...header];
          fields = new RowFields(file, header, delimiter);
          n = fields.split(line, lineNumber);
        }
        onHeader(header, file, delimiter);
      }
      if (n !== header.length) {
        const more = n > header.length;
        throw new RaggedRowError(
          more ? `has more fields than the header's ${header.length}` : `has ${n} field${n === 1 ? '' : 's'}, the header has ${header.length}`,
          { file, line: lineNumber, column: more ? header.length + 1 : n + 1, columnName: more ? undefined : header[n] },
        );
      }
      rows++;
      onRow(fields!);
    }
  }
  if (header === undefined) throw new HeaderError('is empty: no header line', { file });
  if (rowNames && rows === 0) onHeader(header, file, delimiter);
  return { file, header, delimiter, rows };
}

/**
 * Reads a delimited count table: the header goes to `setup`, which says which columns hold counts
 * and handles the other fields of each row. Sample names must be non-empty and distinct.
 */
export async function readCountRows(
  source: ByteSource,
  options: DelimitedReadOptions,
  setup: (header: string[], file: string, delimiter: string) => TableLayout,
  rowNames = false,
): Promise<RawCountTable> {
  let layout: TableLayout | undefined;
  let sampleCols = new Int32Array(0);
  const counts = new GrowableUint32(1 << 16);
  const lines = new GrowableUint32(1024);
  const read = await forEachRow(
    source,
    options,
    (header, file, delimiter) => {
      layout = setup(header, file, delimiter);
      checkSampleNames(header, layout.sampleColumns, file);
      sampleCols = Int32Array.from(layout.sampleColumns);
    },
    (f) => {
      const N = sampleCols.length;
      counts.reserve(N);
      const data = counts.data;
      let o = counts.length;
      const text = f.text;
      for (let s = 0; s < N; s++) {
        const c = sampleCols[s];
        const v = parseCount(text, f.starts[c], f.ends[c]);
        if (v < 0) throw new CountValueError(countProblem(v, text.slice(f.starts[c], f.ends[c])), f.where(c));
        data[o++] = v;
      }
      counts.length = o;
      lines.push(f.line);
      layout!.row?.(f);
    },
    rowNames,
  );
  return {
    file: read.file,
    header: read.header,
    delimiter: read.delimiter,
    samples: layout!.sampleColumns.map((c) => read.header[c]),
    rows: read.rows,
    countsByRow: counts.data.subarray(0, counts.length),
    lines: lines.data.slice(0, lines.length),
  };
}

function checkSampleNames(header: readonly string[], cols: readonly number[], file: string): void {
  if (cols.length === 0) throw new HeaderError('has no sample columns', { file, line: 1 });
  const seen = new Map<string, number>();
  for (const c of cols) {
    const name = header[c];
    if (name === '') throw new HeaderError('a sample column has an empty name', { file, line: 1, column: c + 1 });
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new DuplicateNameError(`sample '${name}' appears twice in the header (columns ${prev + 1} and ${c + 1})`, { file, line: 1, column: c + 1, columnName: name });
    }
    seen.set(name, c);
  }
}
