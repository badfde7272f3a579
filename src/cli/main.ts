#!/usr/bin/env node
/**
 * The latentwasm command line. Commands parse arguments, call the library and print; no numerics
 * here. Exit codes: 0 success, 1 bad input, 2 internal error.
 */
import { init, LatentWasmError } from '../index.js';
import { loadCore, type SimdLevel } from '../wasm/core.js';

const VERSION = '0.1.0';

const HELP = `latentwasm ${VERSION}: latent-variable models with a WebAssembly SIMD core

Usage: latentwasm <command> [options]

Commands:
  info        Show which WebAssembly binaries this host runs and which one init() picks.
  help        Show this help, or a command's help: latentwasm help <command>.

Options:
  --help      Show help for a command.
  --version   Print the version.

Exit codes: 0 success, 1 bad input, 2 internal error.
`;

const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<void> }> = {
  info: {
    help: `Usage: latentwasm info [--simd auto|baseline|relaxed|scalar]

Loads the WebAssembly core and reports the binary in use and which binaries this host compiles.
Node 20 compiles relaxed SIMD only with --experimental-wasm-relaxed-simd, so 'auto' picks the
baseline SIMD binary there; browsers pick relaxed SIMD.
`,
    async run(args) {
      const i = args.indexOf('--simd');
      const simd = (i >= 0 ? args[i + 1] : 'auto') as 'auto';
      const { simd: level } = await init({ simd });
      const available: string[] = [];
      for (const l of ['relaxed', 'baseline', 'scalar'] as SimdLevel[]) {
        try {
          await loadCore({ simd: l });
          available.push(l);
        } catch {
          /* not compiled by this host */
        }
      }
      process.stdout.write(`latentwasm ${VERSION}\nbinary in use: ${level}\nhost compiles: ${available.join(', ')}\n`);
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const sub = rest[0] && COMMANDS[rest[0]];
    process.stdout.write(sub ? sub.help : HELP);
    return 0;
  }
  if (cmd === '--version' || cmd === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`latentwasm: unknown command '${cmd}'\n\n${HELP}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  await command.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof LatentWasmError) {
      process.stderr.write(`latentwasm: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`latentwasm: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(2);
  },
);
