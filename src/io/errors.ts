/**
 * Typed errors for bad input files. Every one is an `InputFormatError` (a `LatentWasmError`, so the
 * CLI exits with code 1 on it) that names the file and, where there is one, the 1-based line and
 * column (with the column's header name) in its message and in its fields; `detail` is the message
 * without the location. The subclasses say what kind of problem it was.
 *
 *   raw_junction_counts.tsv.gz, line 7, column 8 (sample3): count '-1' is negative
 */
import { LatentWasmError } from '../errors.js';

/** Where in an input a problem is: the file's name, and the 1-based line and column when known. */
export interface InputLocation {
  file: string;
  line?: number;
  column?: number;
  /** The header's name of that column. */
  columnName?: string;
}

function describe(where: InputLocation): string {
  let s = where.file;
  if (where.line !== undefined) s += `, line ${where.line}`;
  if (where.column !== undefined) s += `, column ${where.column}${where.columnName !== undefined && where.columnName !== '' ? ` (${where.columnName})` : ''}`;
  return s;
}

/** A problem with the content of an input file. `argument` is the file's name. */
export class InputFormatError extends LatentWasmError {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly columnName?: string;
  /** The message without its location prefix. */
  readonly detail: string;
  constructor(detail: string, where: InputLocation) {
    super(`${describe(where)}: ${detail}`, where.file);
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.columnName = where.columnName;
    this.detail = detail;
  }
}

/** The header lacks a required column, has one in the wrong place, or the file is empty. */
export class HeaderError extends InputFormatError {}

/** A data row has more or fewer fields than the header. */
export class RaggedRowError extends InputFormatError {}

/** A count is not a non-negative integer below 2³², or exceeds its total (k > n). */
export class CountValueError extends InputFormatError {}

/** A non-count field has a value outside its domain: an unknown splice-site type or strand, a bad coordinate. */
export class FieldValueError extends InputFormatError {}

/** A sample name (or a feature) appears twice. */
export class DuplicateNameError extends InputFormatError {}

/** Two tables that must describe the same samples do not. */
export class SampleMismatchError extends InputFormatError {}

/** Two tables that must describe the same features (junctions or sites) do not. */
export class FeatureMismatchError extends InputFormatError {}

/** A file cannot be opened or decompressed, or a required file of a set is missing. */
export class InputFileError extends InputFormatError {}
