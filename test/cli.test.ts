/**
 * The command line end to end (src/cli/main.ts run through tsx, as `node dist/cli.js` runs its
 * bundle): the demo simulates, fits, prints its recovery figures and writes its calls atomically;
 * bad options exit with 1 and name the option; help and unknown commands behave.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });

test('demo: simulates, fits, reports AUC-PR far above the uncorrected fit, and writes every call to --out atomically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-cli-'));
  try {
    const out = join(dir, 'calls.tsv');
    const r = cli('demo', '--samples', '60', '--junctions', '400', '--seed', '3', '--out', out);
    assert.is(r.status, 0, r.stderr);
    const m = /AUC-PR of the p-values: ([\d.]+) \(without confounder correction: ([\d.]+)\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [ap, ap0] = [Number(m![1]), Number(m![2])];
    assert.ok(ap > ap0 + 0.3, `AUC-PR ${ap} vs ${ap0}`);
    const calls = /calls \(padj ≤ 0\.1, \|Δψ\| ≥ 0\.1, N ≥ 5\): (\d+)/.exec(r.stdout);
    assert.ok(calls, r.stdout);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.is(lines[0], 'sample\tjunction\tk\tn\tpsi\tdeltaPsi\tpValue\tpadj\tinjected');
    assert.is(lines.length - 1, Number(calls![1]));
    assert.equal(readdirSync(dir), ['calls.tsv'], 'no temporary file is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options exit with 1 and name the option; help and unknown commands', () => {
  const bad = cli('demo', '--samples', 'many');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /--samples must be a positive integer/);
  const missing = cli('demo', '--out');
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /--out needs a value/);
  const help = cli('demo', '--help');
  assert.is(help.status, 0);
  assert.match(help.stdout, /Usage: latentwasm demo/);
  const unknown = cli('frobnicate');
  assert.is(unknown.status, 1);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.ok(!existsSync(join(root, 'undefined')));
});

test.run();
