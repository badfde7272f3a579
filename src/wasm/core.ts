import { ArgumentValueError, LatentWasmError, NotInitializedError } from '../errors.js';
import type { CoreExports } from './exports.js';
import { Heap } from './heap.js';

/** Which binary to run: relaxed SIMD (FMA), baseline SIMD, or scalar. 'auto' picks the best the host compiles. */
export type SimdMode = 'auto' | 'baseline' | 'relaxed' | 'scalar';
export type SimdLevel = 'scalar' | 'baseline' | 'relaxed';

export interface InitOptions {
  /**
   * An already compiled module, for hosts that refuse to compile from bytes (some edge runtimes).
   * Either one module (its level is read from its own `simdLevel` export) or one per level.
   */
  module?: WebAssembly.Module | Partial<Record<SimdLevel, WebAssembly.Module>>;
  /** Raw bytes of a binary, when the caller fetched them itself. */
  bytes?: BufferSource;
  /** Binary to use; default 'auto'. */
  simd?: SimdMode;
}

const FILES: Record<SimdLevel, string> = {
  relaxed: 'latentwasm.relaxed.wasm',
  baseline: 'latentwasm.simd.wasm',
  scalar: 'latentwasm.scalar.wasm',
};
const LEVELS: SimdLevel[] = ['scalar', 'baseline', 'relaxed'];

/**
 * One instantiated WebAssembly core: its exports, its memory and the heap that owns that memory.
 * Typed-array views are derived from the current `memory.buffer` on each access to `f64`/`u32`/
 * `i32`, so they are never stale after the memory grows; hot loops read `f64` once per kernel call.
 */
export class Core {
  readonly exports: CoreExports;
  readonly memory: WebAssembly.Memory;
  readonly heap: Heap;
  readonly level: SimdLevel;
  private buffer: ArrayBuffer | undefined;
  private f64View!: Float64Array;
  private u32View!: Uint32Array;
  private i32View!: Int32Array;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as CoreExports;
    this.memory = this.exports.memory;
    this.level = LEVELS[this.exports.simdLevel()];
    this.heap = new Heap(this.memory, this.exports.heapBase());
  }

  private refresh(): void {
    const b = this.memory.buffer as ArrayBuffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.f64View = new Float64Array(b);
      this.u32View = new Uint32Array(b);
      this.i32View = new Int32Array(b);
    }
  }

  /** The whole memory as f64; index = byte address / 8. */
  get f64(): Float64Array {
    this.refresh();
    return this.f64View;
  }

  get u32(): Uint32Array {
    this.refresh();
    return this.u32View;
  }

  get i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }
}

let defaultCore: Core | undefined;
let defaultKey: string | undefined;
let pending: Promise<Core> | undefined;

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function readBinary(file: string): Promise<Uint8Array> {
  // The bundle lives in dist/, the sources in src/wasm/: the binaries are in build/ beside both.
  const candidates = [new URL(`../build/${file}`, import.meta.url), new URL(`../../build/${file}`, import.meta.url)];
  const errors: string[] = [];
  for (const url of candidates) {
    try {
      if (isNode() && url.protocol === 'file:') {
        const fs = await import('node:fs/promises');
        return new Uint8Array(await fs.readFile(url));
      }
      const res = await fetch(url);
      if (res.ok) return new Uint8Array(await res.arrayBuffer());
      errors.push(`${url.href}: HTTP ${res.status}`);
    } catch (e) {
      errors.push(`${url.href}: ${(e as Error).message}`);
    }
  }
  throw new LatentWasmError(
    `could not load the WebAssembly core ${file} (run \`npm run build\` first, or pass { module } to init): ${errors.join('; ')}`,
  );
}

/** Whether the host compiles relaxed SIMD (Node 20 does not without a flag; current browsers do). */
function hostHasRelaxedSimd(bytes: Uint8Array): boolean {
  try {
    return WebAssembly.validate(bytes as BufferSource);
  } catch {
    return false;
  }
}

function hostHasSimd(): boolean {
  // A module with one function returning a v128 constant.
  const probe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
  ]);
  return WebAssembly.validate(probe);
}

async function instantiate(module: WebAssembly.Module): Promise<Core> {
  const instance = await WebAssembly.instantiate(module, {});
  return new Core(instance);
}

/**
 * Loads a new, independent core. Most callers want `init()`, which loads the default core once;
 * this is for tests and benchmarks that compare binaries side by side.
 */
export async function loadCore(options: InitOptions = {}): Promise<Core> {
  const mode = options.simd ?? 'auto';
  if (!['auto', 'baseline', 'relaxed', 'scalar'].includes(mode)) {
    throw new ArgumentValueError(`simd must be 'auto', 'baseline', 'relaxed' or 'scalar', got ${String(mode)}`, 'simd');
  }
  const { module } = options;
  if (module !== undefined) {
    if (module instanceof WebAssembly.Module) return instantiate(module);
    if (typeof module !== 'object' || module === null) {
      throw new ArgumentValueError('module must be a WebAssembly.Module or an object of modules by level', 'module');
    }
    const order: SimdLevel[] = mode === 'auto' ? ['relaxed', 'baseline', 'scalar'] : [mode];
    for (const level of order) {
      const m = module[level];
      if (m instanceof WebAssembly.Module) {
        try {
          return await instantiate(m);
        } catch (e) {
          if (mode !== 'auto') throw e;
        }
      }
    }
    throw new ArgumentValueError(`module holds no usable WebAssembly.Module for simd '${mode}'`, 'module');
  }
  if (options.bytes !== undefined) {
    return instantiate(await WebAssembly.compile(options.bytes));
  }
  let level: SimdLevel;
  let bytes: Uint8Array;
  if (mode === 'auto') {
    const relaxed = await readBinary(FILES.relaxed);
    if (hostHasRelaxedSimd(relaxed)) {
      level = 'relaxed';
      bytes = relaxed;
    } else {
      level = hostHasSimd() ? 'baseline' : 'scalar';
      bytes = await readBinary(FILES[level]);
    }
  } else {
    level = mode;
    bytes = await readBinary(FILES[level]);
  }
  try {
    return instantiate(await WebAssembly.compile(bytes as BufferSource));
  } catch (e) {
    throw new LatentWasmError(`the host could not compile the ${level} WebAssembly core: ${(e as Error).message}`);
  }
}

/**
 * Loads the WebAssembly core once and makes it the default for the whole library. Calling it
 * again returns the loaded core, unless a different `simd` or `module` is given, in which case the
 * default is replaced (objects made with the old core keep using it).
 */
export async function init(options: InitOptions = {}): Promise<{ simd: SimdLevel }> {
  const key = options.module || options.bytes ? undefined : (options.simd ?? 'auto');
  if (defaultCore && key !== undefined && (key === defaultKey || (key === 'auto' && defaultKey !== undefined))) {
    return { simd: defaultCore.level };
  }
  if (pending && key === defaultKey) return { simd: (await pending).level };
  defaultKey = key;
  pending = loadCore(options);
  try {
    defaultCore = await pending;
  } finally {
    pending = undefined;
  }
  return { simd: defaultCore.level };
}

/** The default core; throws NotInitializedError before `await init()`. */
export function getCore(): Core {
  if (!defaultCore) throw new NotInitializedError('the WebAssembly core is not loaded: call `await init()` first');
  return defaultCore;
}
