import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArgumentValueError, MemoryError, Workspace, WASM32_MAX_BYTES, loadCore } from '../src/index.js';

test('a workspace allocates zeroed, 16-byte-aligned buffers and frees them all on dispose', async () => {
  const core = await loadCore({ simd: 'baseline' });
  const before = core.heap.allocatedBytes;
  const ws = new Workspace(core);
  const a = ws.f64(1001, 'a');
  const b = ws.u32(7, 'b');
  const c = ws.i32(3, 'c');
  for (const x of [a, b, c]) assert.is(x.ptr % 16, 0);
  assert.ok(a.view().every((v) => v === 0));
  a.set([1, 2, 3], 10);
  assert.equal(Array.from(a.view().subarray(10, 13)), [1, 2, 3]);
  assert.ok(ws.bytes >= 1001 * 8 + 7 * 4 + 3 * 4);
  ws.dispose();
  ws.dispose();
  assert.is(core.heap.allocatedBytes, before);
  assert.throws(() => ws.f64(1), /workspace was disposed/);
});

test('views are re-derived after memory grows, and data survives the growth', async () => {
  const core = await loadCore({ simd: 'baseline' });
  const ws = new Workspace(core);
  const a = ws.from([1.5, 2.5, 3.5], 'a');
  const oldView = a.view();
  const oldBuffer = core.memory.buffer;
  ws.f64(8 * 1024 * 1024, 'big'); // 64 MiB forces growth
  assert.ok(core.memory.buffer !== oldBuffer, 'memory grew');
  assert.is(oldView.length, 0, 'the old view is detached');
  assert.equal(Array.from(a.view()), [1.5, 2.5, 3.5]);
  assert.is(core.f64[a.ptr >>> 3], 1.5);
  ws.dispose();
});

test('freed blocks are reused and neighbours coalesce', async () => {
  const core = await loadCore({ simd: 'scalar' });
  const h = core.heap;
  const p1 = h.alloc(1000);
  const p2 = h.alloc(1000);
  const p3 = h.alloc(1000);
  const guard = h.alloc(16);
  h.release(p1);
  h.release(p2);
  const p4 = h.alloc(2000); // fits only in the coalesced p1+p2 block
  assert.is(p4, p1);
  h.release(p4);
  h.release(p3);
  h.release(guard);
  assert.throws(() => h.release(p3), /not an allocated block/);
});

test('a request beyond wasm32 memory throws MemoryError saying how much it needed', async () => {
  const core = await loadCore({ simd: 'baseline' });
  const ws = new Workspace(core);
  try {
    ws.f64(300_000_000, 'counts'); // 2.4 GB in one block
    assert.unreachable();
  } catch (e) {
    assert.instance(e, MemoryError);
    assert.is((e as MemoryError).argument, 'counts');
    assert.ok((e as MemoryError).requiredBytes >= 2.4e9);
    assert.match((e as Error).message, /counts needs 2\.24 GiB in one block/);
  }
  try {
    for (let i = 0; i < 4; i++) ws.f64(200_000_000, `block ${i}`); // 4 × 1.6 GB
    assert.unreachable();
  } catch (e) {
    assert.instance(e, MemoryError);
    assert.ok((e as MemoryError).requiredBytes > WASM32_MAX_BYTES || /refused to grow/.test((e as Error).message), (e as Error).message);
    assert.match((e as Error).message, /block \d needs 1\.49 GiB/);
  }
  ws.dispose();
});

test('bad sizes are rejected with errors naming the buffer', async () => {
  const core = await loadCore({ simd: 'scalar' });
  const ws = new Workspace(core);
  assert.throws(() => ws.f64(-1, 'weights'), (e: unknown) => (e as ArgumentValueError).argument === 'weights');
  assert.throws(() => ws.f64(1.5, 'weights'), /weights must be an integer/);
  assert.throws(() => ws.f64(2, 'w').set([1, 2, 3]), /w: 3 values at offset 0 do not fit in 2/);
  ws.dispose();
});

test('init options are validated', async () => {
  try {
    await loadCore({ simd: 'avx' as never });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ArgumentValueError);
    assert.is((e as ArgumentValueError).argument, 'simd');
  }
  try {
    await loadCore({ module: 42 as never });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ArgumentValueError);
    assert.is((e as ArgumentValueError).argument, 'module');
  }
});

test.run();
