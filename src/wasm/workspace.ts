import { ArgumentValueError, requireInteger } from '../errors.js';
import { Core, getCore } from './core.js';

export type ElementKind = 'f64' | 'u32' | 'i32';
const BYTES: Record<ElementKind, number> = { f64: 8, u32: 4, i32: 4 };

/** A typed buffer in linear memory: a byte address and a length, with a view derived on demand. */
export class WasmArray<K extends ElementKind = ElementKind> {
  constructor(
    readonly core: Core,
    readonly ptr: number,
    readonly length: number,
    readonly kind: K,
    readonly name: string,
  ) {}

  /**
   * A typed-array view of this buffer over the memory as it is now. Do not keep it across a call
   * that may grow memory (any allocation): growth detaches the old buffer.
   */
  view(): K extends 'f64' ? Float64Array : K extends 'u32' ? Uint32Array : Int32Array {
    const b = this.core.memory.buffer;
    const v =
      this.kind === 'f64'
        ? new Float64Array(b, this.ptr, this.length)
        : this.kind === 'u32'
          ? new Uint32Array(b, this.ptr, this.length)
          : new Int32Array(b, this.ptr, this.length);
    return v as never;
  }

  /** Copies `src` into this buffer (at element `offset`). */
  set(src: ArrayLike<number>, offset = 0): void {
    if (offset + src.length > this.length) {
      throw new ArgumentValueError(`${this.name}: ${src.length} values at offset ${offset} do not fit in ${this.length}`, this.name);
    }
    this.view().set(src, offset);
  }
}

/**
 * The buffers of one fit, allocated in linear memory once before the optimisation loop and freed
 * together by `dispose()`. Kernels get the buffers' `ptr`s; TS reads results through `view()`.
 */
export class Workspace {
  readonly core: Core;
  private readonly arrays: WasmArray[] = [];
  private disposed = false;

  constructor(core: Core = getCore()) {
    this.core = core;
  }

  private alloc<K extends ElementKind>(kind: K, length: number, name: string): WasmArray<K> {
    if (this.disposed) throw new ArgumentValueError('workspace was disposed', 'workspace');
    requireInteger(length, name);
    const ptr = this.core.heap.alloc(length * BYTES[kind], name);
    const a = new WasmArray(this.core, ptr, length, kind, name);
    this.arrays.push(a);
    // Fresh memory may hold old data from freed blocks.
    a.view().fill(0);
    return a;
  }

  f64(length: number, name = 'f64 buffer'): WasmArray<'f64'> {
    return this.alloc('f64', length, name);
  }

  u32(length: number, name = 'u32 buffer'): WasmArray<'u32'> {
    return this.alloc('u32', length, name);
  }

  i32(length: number, name = 'i32 buffer'): WasmArray<'i32'> {
    return this.alloc('i32', length, name);
  }

  /** Allocates an f64 buffer holding a copy of `src`. */
  from(src: ArrayLike<number>, name = 'f64 buffer'): WasmArray<'f64'> {
    const a = this.f64(src.length, name);
    a.set(src);
    return a;
  }

  /** Total bytes held by this workspace. */
  get bytes(): number {
    return this.arrays.reduce((s, a) => s + a.length * BYTES[a.kind], 0);
  }

  /** Frees every buffer of this workspace. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const a of this.arrays) this.core.heap.release(a.ptr);
    this.arrays.length = 0;
  }
}
