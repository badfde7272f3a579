import { ArgumentValueError, ShapeError } from '../../errors.js';
import { FraserModel, type ModelArrays } from './fit.js';

/**
 * A saved FRASER model as a set of files: `model.json` (metadata, the index of the arrays, and
 * any caller's extra JSON, e.g. the junction coordinates and the metric) plus one raw
 * little-endian binary file per array under `arrays/`. Pure functions over bytes, so that browsers
 * and edge runtimes can use them; src/cli writes and reads them as a directory.
 */

const DTYPES = { f64: Float64Array, u32: Uint32Array, i32: Int32Array } as const;
type Dtype = keyof typeof DTYPES;

function dtypeOf(a: Float64Array | Uint32Array | Int32Array): Dtype {
  return a instanceof Float64Array ? 'f64' : a instanceof Uint32Array ? 'u32' : 'i32';
}

function requireLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new ArgumentValueError('saved models are little-endian; this platform is big-endian', 'platform');
  }
}

/** The files of a saved model: name → bytes (`model.json` and `arrays/<name>.<dtype>`). */
export function modelToFiles(model: FraserModel, extra: Record<string, unknown> = {}): Map<string, Uint8Array> {
  requireLittleEndian();
  const { meta, arrays } = model.toBinary();
  const files = new Map<string, Uint8Array>();
  const index: { name: string; dtype: Dtype; length: number; file: string }[] = [];
  for (const [name, a] of Object.entries(arrays)) {
    const dtype = dtypeOf(a);
    const file = `arrays/${name}.${dtype}`;
    index.push({ name, dtype, length: a.length, file });
    files.set(file, new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
  }
  files.set('model.json', new TextEncoder().encode(JSON.stringify({ ...meta, arrays: index, extra }, null, 1) + '\n'));
  return files;
}

/**
 * Restores a model from its files (`read(name)` returns a file's bytes, or undefined when it is
 * missing). Returns the model and the extra JSON saved with it. Each array's presence, dtype and
 * length are checked against the index and the model's shape; errors name the file.
 */
export function modelFromFiles(read: (name: string) => Uint8Array | undefined): { model: FraserModel; extra: Record<string, unknown> } {
  requireLittleEndian();
  const text = read('model.json');
  if (!text) throw new ArgumentValueError('model.json is missing: not a saved latentwasm FRASER model', 'model.json');
  let meta: Record<string, any>;
  try {
    meta = JSON.parse(new TextDecoder().decode(text));
  } catch (e) {
    throw new ArgumentValueError(`model.json is not valid JSON: ${(e as Error).message}`, 'model.json');
  }
  if (!Array.isArray(meta.arrays)) throw new ArgumentValueError('model.json has no array index (field "arrays")', 'model.json');
  const arrays: ModelArrays = {};
  for (const entry of meta.arrays as { name: string; dtype: string; length: number; file: string }[]) {
    const T = DTYPES[entry.dtype as Dtype];
    if (!T || typeof entry.name !== 'string' || typeof entry.file !== 'string' || !Number.isInteger(entry.length)) {
      throw new ArgumentValueError(`model.json: bad array entry ${JSON.stringify(entry)}`, 'model.json');
    }
    const bytes = read(entry.file);
    if (!bytes) throw new ArgumentValueError(`${entry.file} is missing (listed in model.json)`, entry.file);
    if (bytes.byteLength !== entry.length * T.BYTES_PER_ELEMENT) {
      throw new ShapeError(`${entry.file} has ${bytes.byteLength} bytes, model.json says ${entry.length} ${entry.dtype} values (${entry.length * T.BYTES_PER_ELEMENT} bytes)`, entry.file);
    }
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    arrays[entry.name] = new T(copy.buffer);
  }
  const { arrays: _a, extra, ...rest } = meta;
  return { model: FraserModel.fromBinary(rest, arrays), extra: (extra ?? {}) as Record<string, unknown> };
}
