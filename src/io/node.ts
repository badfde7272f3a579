/**
 * The Node-only half of src/io: files, directories, node:zlib and atomic writes. Nothing else in
 * src/io imports this module statically; they load it with `await import('./node.js')` when they
 * run under Node, so the bundle (esbuild --platform=neutral, node:* external) stays usable in
 * browsers.
 */
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip, createGzip } from 'node:zlib';
import { InputFileError } from './errors.js';

function fsMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'no such file or directory';
  if (err?.code === 'EACCES') return 'permission denied';
  if (err?.code === 'EISDIR') return 'is a directory, not a file';
  return err?.message ?? String(e);
}

/** The chunks of a file; open and read errors become InputFileError naming it. */
export async function* fileChunks(path: string | URL, file: string): AsyncGenerator<Uint8Array> {
  const p = typeof path === 'string' ? path : fileURLToPath(path);
  const stream = createReadStream(p, { highWaterMark: 1 << 16 });
  try {
    for await (const c of stream) yield c as Uint8Array;
  } catch (e) {
    throw new InputFileError(`cannot read: ${fsMessage(e)}`, { file });
  } finally {
    stream.destroy();
  }
}

/**
 * Decompresses gzip (one or more concatenated members) with node:zlib as it streams. An error
 * reading the source is rethrown as it is; a zlib error becomes InputFileError.
 */
export async function* gunzipChunks(chunks: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip();
  let sourceError: unknown;
  async function* tap(): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks;
    } catch (e) {
      sourceError = e;
      throw e;
    }
  }
  const done = pipeline(Readable.from(tap(), { objectMode: false }), gunzip).catch(() => undefined);
  try {
    for await (const c of gunzip) yield c as Uint8Array;
  } catch (e) {
    await done;
    if (sourceError !== undefined) throw sourceError;
    throw new InputFileError(`gzip data is corrupt or truncated (${(e as Error).message})`, { file });
  } finally {
    gunzip.destroy();
  }
  await done;
  if (sourceError !== undefined) throw sourceError;
}

/** The names of the entries in a directory (InputFileError naming it when it cannot be listed). */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (e) {
    throw new InputFileError(`cannot list the directory: ${fsMessage(e)}`, { file: dir });
  }
}

export function joinPath(dir: string, name: string): string {
  return join(dir, name);
}

/**
 * Writes text chunks to `path` atomically: into a temporary file in the same directory, then a
 * rename over `path`, so that a reader never sees a half-written file and a crash leaves the old
 * file (or none) and at most a stray `.<name>.tmp-*`, which is removed on error. A path ending in
 * `.gz` is gzip-compressed.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const out = createWriteStream(tmp);
  try {
    const source = Readable.from(chunks, { objectMode: false });
    if (path.endsWith('.gz')) await pipeline(source, createGzip(), out);
    else await pipeline(source, out);
    // Flush to disk before the rename, so that after a crash `path` is the old or the new file.
    const h = await fsp.open(tmp, 'r+');
    try {
      await h.datasync();
    } finally {
      await h.close();
    }
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
