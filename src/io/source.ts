/**
 * Byte sources and line streaming, with no static import of any `node:` module, so that browsers
 * and other runtimes can use the parsers.
 *
 * A `ByteSource` is one of:
 *   - a file path (string) or a `file:` URL — Node only (read through `./node.js`, imported on demand);
 *   - an `http(s):` URL — fetched;
 *   - a `Uint8Array` or `ArrayBuffer` holding the file;
 *   - a `Blob` / `File` (its `stream()` is read);
 *   - a web `ReadableStream<Uint8Array>` (a `Response.body`, say);
 *   - any `AsyncIterable<Uint8Array>` or `Iterable<Uint8Array>` of chunks (a Node stream is one).
 *
 * gzip is recognised by its magic bytes (1f 8b), never by the file name, and decompressed as it
 * streams: through `node:zlib` under Node (which also reads concatenated members, as bgzip writes),
 * through `DecompressionStream('gzip')` elsewhere (browsers stop at the first member).
 */
import { ArgumentTypeError } from '../errors.js';
import { InputFileError } from './errors.js';

export type ByteSource =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** Options every reader takes. */
export interface ReadOptions {
  /** The name errors give for this input; defaults to the path, the URL, the File's name or '<input>'. */
  name?: string;
  /** Cancels reading between chunks. */
  signal?: AbortSignal;
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** The name errors use for `source`. */
export function sourceName(source: ByteSource, name?: string): string {
  if (name !== undefined) return name;
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.protocol === 'file:' ? decodeURIComponent(source.pathname) : source.href;
  const n = (source as { name?: unknown }).name;
  return typeof n === 'string' && n !== '' ? n : '<input>';
}

async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.length > 0) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The raw (possibly compressed) chunks of a source. */
async function* rawChunks(source: ByteSource, file: string): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string' || (source instanceof URL && source.protocol === 'file:')) {
    if (!isNode()) throw new ArgumentTypeError(`${file}: a file path needs Node; in a browser pass a File, Blob, ReadableStream or bytes`, 'source');
    const node = await import('./node.js');
    yield* node.fileChunks(source, file);
    return;
  }
  if (source instanceof URL) {
    const res = await fetch(source);
    if (!res.ok || !res.body) throw new InputFileError(`cannot fetch: HTTP ${res.status}`, { file });
    yield* readStream(res.body);
    return;
  }
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (source instanceof ArrayBuffer) {
    yield new Uint8Array(source);
    return;
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    yield* readStream(source.stream() as ReadableStream<Uint8Array>);
    return;
  }
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    yield* readStream(source);
    return;
  }
  if (source !== null && typeof source === 'object') {
    if (Symbol.asyncIterator in source) {
      for await (const c of source as AsyncIterable<Uint8Array>) yield toBytes(c, file);
      return;
    }
    if (Symbol.iterator in source) {
      for (const c of source as Iterable<Uint8Array>) yield toBytes(c, file);
      return;
    }
  }
  throw new ArgumentTypeError(`${file}: unsupported input source (${source === null ? 'null' : typeof source}); pass a path, URL, Uint8Array, Blob, ReadableStream or an iterable of Uint8Array chunks`, 'source');
}

function toBytes(c: unknown, file: string): Uint8Array {
  if (c instanceof Uint8Array) return c;
  if (c instanceof ArrayBuffer) return new Uint8Array(c);
  if (typeof c === 'string') return new TextEncoder().encode(c);
  throw new ArgumentTypeError(`${file}: chunks must be Uint8Array, got ${c === null ? 'null' : typeof c}`, 'source');
}

/** Decompresses a gzip stream with DecompressionStream (no Node needed); byteChunks uses it where there is no Node. */
export async function* gunzipWeb(chunks: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') throw new InputFileError('is gzip-compressed, but this runtime has neither node:zlib nor DecompressionStream', { file });
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  // The pump runs beside the reader. An error reading the source is rethrown as it is; an error
  // of the decompressor (from write, close or read) means corrupt or truncated gzip.
  let sourceError: unknown;
  const pump = (async () => {
    const it = chunks[Symbol.asyncIterator]();
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (e) {
        sourceError = e;
        await writer.abort(e).catch(() => undefined);
        return;
      }
      if (r.done) break;
      await writer.write(r.value as Uint8Array<ArrayBuffer>);
    }
    await writer.close();
  })();
  pump.catch(() => undefined);
  let finished = false;
  try {
    yield* readStream(ds.readable as ReadableStream<Uint8Array>);
    await pump;
    finished = true;
  } catch (e) {
    await pump.catch(() => undefined);
    finished = true;
    if (sourceError !== undefined) throw sourceError;
    throw new InputFileError(`gzip data is corrupt or truncated (${(e as Error).message})`, { file });
  } finally {
    // The consumer stopped early (a parse error): cancel, which also fails the pump's pending write.
    if (!finished) await ds.readable.cancel().catch(() => undefined);
  }
}

/**
 * The decompressed bytes of `source`, chunk by chunk: gzip is detected by its first two bytes.
 * Read errors name the file (`InputFileError`).
 */
export async function* byteChunks(source: ByteSource, options: ReadOptions = {}): AsyncGenerator<Uint8Array> {
  const file = sourceName(source, options.name);
  const raw = rawChunks(source, file);
  try {
    // Peek until two bytes are in hand (a first chunk of one byte is legal).
    const head: Uint8Array[] = [];
    let headBytes = 0;
    let ended = false;
    while (headBytes < 2) {
      const r = await raw.next();
      if (r.done) {
        ended = true;
        break;
      }
      head.push(r.value);
      headBytes += r.value.length;
    }
    const first = head.length === 0 ? new Uint8Array(0) : head.length === 1 ? head[0] : concat(head, headBytes);
    async function* replay(): AsyncGenerator<Uint8Array> {
      if (first.length > 0) yield first;
      if (ended) return;
      for (;;) {
        options.signal?.throwIfAborted();
        const r = await raw.next();
        if (r.done) return;
        yield r.value;
      }
    }
    const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    if (!gzip) {
      yield* replay();
      return;
    }
    if (isNode()) {
      const node = await import('./node.js');
      yield* node.gunzipChunks(replay(), file);
    } else {
      yield* gunzipWeb(replay(), file);
    }
  } finally {
    // Closes the file (or stream) when the reader stops early, on a parse error say.
    await raw.return(undefined);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The lines of `source` (decompressed, UTF-8 decoded), in batches: one array per decoded chunk,
 * without their line ends ('\n' or '\r\n'); a byte-order mark at the start is dropped. The file is
 * never held as one string: a partial line is carried from one chunk to the next.
 */
export async function* lineBatches(source: ByteSource, options: ReadOptions = {}): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let first = true;
  for await (const chunk of byteChunks(source, options)) {
    let text = carry + decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      carry = text;
      continue;
    }
    carry = text.slice(last + 1);
    const lines = text.slice(0, last).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    yield lines;
  }
  carry += decoder.decode();
  if (first && carry.charCodeAt(0) === 0xfeff) carry = carry.slice(1);
  if (carry.length > 0 && carry.charCodeAt(carry.length - 1) === 13) carry = carry.slice(0, -1);
  if (carry.length > 0) yield [carry];
}
