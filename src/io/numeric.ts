/**
 * A real-valued table with row names: the header names the columns (its first field, the row-name
 * column's, may be empty or absent as R writes it), each row starts with its name. For the PLN
 * command line: counts (samples × variables), covariates (samples × d), offsets, eigenvectors.
 * Values are parsed as JavaScript numbers; NA, NaN and Inf are refused with the file, line and
 * column unless `allowNonFinite`.
 */
import { DuplicateNameError, FieldValueError } from './errors.js';
import { forEachRow, type DelimitedReadOptions } from './delimited.js';
import type { ByteSource } from './source.js';

export interface NumericTable {
  file: string;
  /** Row names (first column). */
  rows: string[];
  /** Column names (header without the row-name column). */
  columns: string[];
  /** rows × columns, row-major. */
  values: Float64Array;
  /** 1-based line of each row. */
  lines: number[];
}

export async function readNumericTable(source: ByteSource, options: DelimitedReadOptions & { allowNonFinite?: boolean } = {}): Promise<NumericTable> {
  let columns: string[] = [];
  const rows: string[] = [];
  const lines: number[] = [];
  let values = new Float64Array(1 << 12);
  let used = 0;
  const seen = new Map<string, number>();
  let header: string[] = [];
  const read = await forEachRow(
    source,
    options,
    (h) => {
      header = h;
      columns = h.slice(1);
    },
    (r) => {
      const name = r.field(0);
      const prev = seen.get(name);
      if (prev !== undefined) throw new DuplicateNameError(`row '${name}' already appears on line ${prev}`, r.where(0));
      seen.set(name, r.line);
      rows.push(name);
      lines.push(r.line);
      if (used + columns.length > values.length) {
        const grown = new Float64Array(Math.max(values.length * 2, used + columns.length));
        grown.set(values.subarray(0, used));
        values = grown;
      }
      for (let c = 1; c <= columns.length; c++) {
        const t = r.field(c).trim();
        const v = t === '' ? NaN : Number(t);
        if (!Number.isFinite(v) && !(options.allowNonFinite && /^(NA|NaN|-?Inf)$/.test(t))) {
          throw new FieldValueError(`'${t}' is not a finite number`, r.where(c));
        }
        values[used++] = v;
      }
    },
    true,
  );
  void header;
  return { file: read.file, rows, columns, values: values.slice(0, used), lines };
}
