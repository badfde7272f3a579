// npm run build: the three WebAssembly binaries from one AssemblyScript source, then the
// TypeScript bundle (dist/index.js, dist/cli.js) and its type declarations.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const only = process.argv.includes('--wasm-only');

mkdirSync(join(root, 'build'), { recursive: true });
for (const target of ['simd', 'relaxed', 'scalar']) {
  // AS112 warns that v128 values cannot cross to JS; only the internal helpers take v128, the
  // exports in assembly/index.ts take pointers and numbers.
  run(bin('asc'), ['--config', 'asconfig.json', '--target', target, '--disableWarning', '112']);
}
if (!only) {
  const entries = ['index=src/index.ts'];
  if (existsSync(join(root, 'src/cli/main.ts'))) entries.push('cli=src/cli/main.ts');
  run(bin('esbuild'), [
    ...entries,
    '--bundle',
    '--splitting',
    '--format=esm',
    '--platform=neutral',
    '--target=es2022',
    '--outdir=dist',
    '--external:node:*',
    '--main-fields=module,main',
    '--log-level=warning',
  ]);
  run(bin('tsc'), ['-p', 'tsconfig.json', '--emitDeclarationOnly']);
}
