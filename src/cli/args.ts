import { parseArgs } from 'node:util';
import { ArgumentValueError } from '../errors.js';

/** Option specs as node:util parseArgs takes them (strings and booleans only). */
export type OptionSpecs = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/**
 * Parses a command's arguments strictly: an unknown option, a missing value or a stray
 * positional argument is an ArgumentValueError naming it (exit code 1).
 */
export function parseOptions(args: string[], specs: OptionSpecs, positionals = 0): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  // parseArgs would read `--out --quiet` as out = '--quiet'; a value that looks like an option is refused instead.
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--') || a.includes('=')) continue;
    const spec = specs[a.slice(2)];
    if (spec?.type === 'string') {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw new ArgumentValueError(`${a} needs a value`, a.slice(2));
      i++;
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: specs, strict: true, allowPositionals: positionals > 0 });
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) throw new ArgumentValueError(`unknown option ${unknown[1]} (see --help)`, unknown[1]);
    const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(msg);
    if (missing) throw new ArgumentValueError(`${missing[1]} needs a value`, missing[1]);
    const stray = /Unexpected argument '([^']+)'/.exec(msg);
    if (stray) throw new ArgumentValueError(`unexpected argument '${stray[1]}' (see --help)`, stray[1]);
    throw new ArgumentValueError(msg, 'arguments');
  }
  if (parsed.positionals.length > positionals) {
    throw new ArgumentValueError(`unexpected argument '${parsed.positionals[positionals]}' (see --help)`, parsed.positionals[positionals]);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** An integer option in [min, max], or the fallback when absent. */
export function intValue(values: Record<string, unknown>, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ArgumentValueError(`--${name} must be ${min === 1 && max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer in [${min}, ${max}]`}, got '${String(raw)}'`, name);
  }
  return v;
}

/** A number option in [min, max], or the fallback when absent. */
export function numberValue(values: Record<string, unknown>, name: string, fallback: number, min = -Infinity, max = Infinity): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v) || v < min || v > max) throw new ArgumentValueError(`--${name} must be a number in [${min}, ${max}], got '${String(raw)}'`, name);
  return v;
}

/** One of the allowed words, or the fallback when absent. */
export function choiceValue<T extends string>(values: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new ArgumentValueError(`--${name} must be one of ${allowed.join(', ')}, got '${String(raw)}'`, name);
  return raw as T;
}

/** A string option, or undefined. */
export function stringValue(values: Record<string, unknown>, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}
