/**
 * The README's TypeScript examples run as written (with 'latentwasm' pointing at this checkout),
 * and what they print matches the comments next to them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has TypeScript examples', () => {
  assert.ok(blocks.length >= 1);
});

blocks.forEach((code, i) => {
  test(`README example ${i + 1} runs and prints what its comments say`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'latentwasm-readme-'));
    try {
      const file = join(dir, 'example.mts');
      const src = code.replaceAll("from 'latentwasm'", `from '${join(root, 'src', 'index.ts')}'`);
      writeFileSync(file, src);
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
      assert.is(r.status, 0, r.stderr);
      if (code.includes("console.log(r.x, r.reason)")) {
        const m = /Float64Array\(2\) \[ ([\d.]+), ([\d.]+) \] (\w+)/.exec(r.stdout);
        assert.ok(m, r.stdout);
        assert.ok(Math.abs(Number(m![1]) - 1) < 1e-5 && Math.abs(Number(m![2]) - 1) < 1e-5, r.stdout);
        assert.is(m![3], 'gtol');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test.run();
