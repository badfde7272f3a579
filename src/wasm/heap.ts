import { ArgumentValueError, MemoryError } from '../errors.js';

/** wasm32 linear memory is at most 65536 pages of 64 KiB. */
export const WASM_PAGE = 65536;
export const WASM32_MAX_BYTES = 65536 * WASM_PAGE;
/** Largest single allocation we hand out; engines refuse single typed arrays past this size. */
export const MAX_ALLOCATION_BYTES = 2 ** 31 - 16;
const ALIGN = 16;

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/**
 * The allocator for one instance's linear memory, owned by TypeScript. Kernels never allocate;
 * every buffer they touch comes from here. First fit over a free list kept sorted by address,
 * with neighbours coalesced on free; blocks are 16-byte aligned so f64x2 loads are aligned.
 * Memory grows on demand; when it cannot, a MemoryError says how much was needed.
 */
export class Heap {
  readonly memory: WebAssembly.Memory;
  private readonly base: number;
  /** Free blocks as [start, size] pairs sorted by start. */
  private free: number[] = [];
  /** Allocated block sizes by start address. */
  private readonly used = new Map<number, number>();
  private top: number;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.base = Math.ceil(heapBase / ALIGN) * ALIGN;
    this.top = this.base;
  }

  /** Bytes currently allocated. */
  get allocatedBytes(): number {
    let s = 0;
    for (const v of this.used.values()) s += v;
    return s;
  }

  /** Allocates `bytes` bytes (rounded up to 16) and returns the byte address. */
  alloc(bytes: number, what = 'buffer'): number {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new ArgumentValueError(`${what}: cannot allocate ${bytes} bytes`, what);
    }
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    if (size > MAX_ALLOCATION_BYTES) {
      throw new MemoryError(
        `${what} needs ${formatBytes(size)} in one block, more than the ${formatBytes(MAX_ALLOCATION_BYTES)} ` +
          'a single WebAssembly allocation can hold; process the data in blocks of rows',
        size,
        what,
      );
    }
    for (let i = 0; i < this.free.length; i += 2) {
      const start = this.free[i];
      const avail = this.free[i + 1];
      if (avail >= size) {
        if (avail === size) this.free.splice(i, 2);
        else {
          this.free[i] = start + size;
          this.free[i + 1] = avail - size;
        }
        this.used.set(start, size);
        return start;
      }
    }
    const start = this.top;
    const end = start + size;
    this.ensure(end, what, size);
    this.top = end;
    this.used.set(start, size);
    return start;
  }

  /** Returns a block to the free list. Freeing an address twice, or one never allocated, throws. */
  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new ArgumentValueError(`address ${ptr} is not an allocated block`, 'ptr');
    this.used.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // The block below may now touch the top as well.
      const n = this.free.length;
      if (n > 0 && this.free[n - 2] + this.free[n - 1] === this.top) {
        this.top = this.free[n - 2];
        this.free.length = n - 2;
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i] < ptr) i += 2;
    this.free.splice(i, 0, ptr, size);
    // Coalesce with the next block, then with the previous one.
    if (i + 2 < this.free.length && ptr + size === this.free[i + 2]) {
      this.free[i + 1] += this.free[i + 3];
      this.free.splice(i + 2, 2);
    }
    if (i > 0 && this.free[i - 2] + this.free[i - 1] === ptr) {
      this.free[i - 1] += this.free[i + 1];
      this.free.splice(i, 2);
    }
  }

  private ensure(end: number, what: string, size: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > WASM32_MAX_BYTES) {
      throw new MemoryError(
        `${what} needs ${formatBytes(size)}, bringing WebAssembly memory to ${formatBytes(end)}; ` +
          `wasm32 linear memory stops at ${formatBytes(WASM32_MAX_BYTES)}. ` +
          'Process the data in blocks of rows, or use fewer samples or features per run',
        end,
        what,
      );
    }
    const pages = Math.ceil((end - have) / WASM_PAGE);
    // Grow by at least 1/8 of the current size to avoid many small grows.
    const extra = Math.max(pages, Math.min(Math.ceil(have / WASM_PAGE / 8), WASM32_MAX_BYTES / WASM_PAGE - have / WASM_PAGE - pages));
    try {
      this.memory.grow(Math.max(pages, extra));
    } catch {
      try {
        this.memory.grow(pages);
      } catch (e) {
        throw new MemoryError(
          `${what} needs ${formatBytes(size)}, bringing WebAssembly memory to ${formatBytes(end)}, ` +
            `but the host refused to grow it beyond ${formatBytes(have)} (${(e as Error).message})`,
          end,
          what,
        );
      }
    }
  }
}
