/**
 * Typed errors. Every error thrown by latentwasm is a `LatentWasmError`; its subclasses say which
 * kind of problem it was and `argument` names the offending argument (or file, or index) so that a
 * caller can report it without parsing the message.
 */
export class LatentWasmError extends Error {
  /** Name of the argument, file or index the error is about, when there is one. */
  readonly argument?: string;
  constructor(message: string, argument?: string) {
    super(message);
    this.name = new.target.name;
    this.argument = argument;
  }
}

/** An argument has the wrong type (for example a plain array where a Float64Array is required). */
export class ArgumentTypeError extends LatentWasmError {}

/** An argument has the right type but an invalid value: a negative size, a bound out of order. */
export class ArgumentValueError extends LatentWasmError {}

/** Two or more arguments have sizes that do not agree. */
export class ShapeError extends LatentWasmError {}

/** A request needs more WebAssembly linear memory than wasm32 can provide or the host granted. */
export class MemoryError extends LatentWasmError {
  /** Bytes the request needed in total. */
  readonly requiredBytes: number;
  constructor(message: string, requiredBytes: number, argument?: string) {
    super(message, argument);
    this.requiredBytes = requiredBytes;
  }
}

/** The WebAssembly core is not loaded yet (call `await init()`), or failed to load. */
export class NotInitializedError extends LatentWasmError {}

/** Throws ArgumentTypeError unless `value` is a Float64Array. */
export function requireFloat64Array(value: unknown, name: string): Float64Array {
  if (!(value instanceof Float64Array)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'Array' : typeof value === 'object' ? (value as object).constructor?.name ?? 'object' : typeof value;
    throw new ArgumentTypeError(`${name} must be a Float64Array, got ${got}`, name);
  }
  return value;
}

/** Throws ArgumentValueError unless `value` is an integer in [min, max]. */
export function requireInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ArgumentTypeError(`${name} must be an integer, got ${String(value)}`, name);
  }
  if (value < min || value > max) {
    throw new ArgumentValueError(`${name} must be in [${min}, ${max}], got ${value}`, name);
  }
  return value;
}

/** Throws ArgumentTypeError unless `value` is a function. */
export function requireFunction(value: unknown, name: string): Function {
  if (typeof value !== 'function') throw new ArgumentTypeError(`${name} must be a function, got ${typeof value}`, name);
  return value as Function;
}
