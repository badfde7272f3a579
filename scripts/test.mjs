// npm test: builds the WebAssembly core if it is missing, runs every uvu suite (test/**/*.test.ts)
// in one Node process with tsx, and ends with the line CI reads: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasm = ['simd', 'relaxed', 'scalar'].map((t) => join(root, 'build', `latentwasm.${t}.wasm`));
if (!wasm.every(existsSync)) {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--wasm-only'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const pattern = process.argv[2] ? `${process.argv[2]}.*\\.test\\.ts$` : '\\.test\\.ts$';
// Relaxed SIMD is enabled so that its binary is tested too; a test checks in a child process
// without the flag that Node 20 falls back to baseline SIMD.
const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', join(root, 'node_modules', 'uvu', 'bin.js'), 'test', pattern], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 256 * 1024 * 1024,
  env: { ...process.env, NO_COLOR: '1' },
});
process.stdout.write(r.stdout ?? '');
const num = (label) => Number((r.stdout ?? '').match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? NaN);
const total = num('Total');
const passed = num('Passed');
// uvu's Total counts the tests that ran (test.skip only counts in Skipped), so failures are
// Total − Passed; skipped tests are reported by uvu above this line.
let failed = total - passed;
if (!Number.isFinite(total) || !Number.isFinite(passed)) {
  // uvu did not reach its summary (a suite crashed at import time): count that as a failure.
  console.log(`${Number.isFinite(passed) ? passed : 0} passed, 1 failed`);
  process.exit(1);
}
if (r.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
