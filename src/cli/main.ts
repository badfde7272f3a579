#!/usr/bin/env node
/**
 * The latentwasm command line. Commands parse arguments, call the library and print; no numerics
 * here. Exit codes: 0 success, 1 bad input, 2 internal error.
 */
import { ArgumentValueError, averagePrecision, betaBinomial, fraser, init, LatentWasmError } from '../index.js';
import { loadCore, type SimdLevel } from '../wasm/core.js';

const VERSION = '0.1.0';

const HELP = `latentwasm ${VERSION}: latent-variable models with a WebAssembly SIMD core

Usage: latentwasm <command> [options]

Commands:
  demo        Simulate a FRASER cohort with injected aberrant splicing, fit it, report the calls.
  info        Show which WebAssembly binaries this host runs and which one init() picks.
  help        Show this help, or a command's help: latentwasm help <command>.

Options:
  --help      Show help for a command.
  --version   Print the version.

Exit codes: 0 success, 1 bad input, 2 internal error.
`;

/** The value after `--name`, or the default; a flag given without a value is an error. */
function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new ArgumentValueError(`--${name} needs a value`, name);
  return v;
}

function intOption(args: string[], name: string, fallback: number): number {
  const v = Number(option(args, name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new ArgumentValueError(`--${name} must be a positive integer`, name);
  return v;
}

const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<void> }> = {
  demo: {
    help: `Usage: latentwasm demo [--samples N] [--junctions J] [--implementation pca|ae|pca-bb-decoder]
                      [--seed S] [--out FILE.tsv]

Simulates a cohort from FRASER's own model (a latent confounder, beta-binomial counts, aberrant
splicing injected in 0.1 % of the cells), fits it (q by optimal hard thresholding), and reports how
well the p-values find the injected events against a fit without confounder correction, and the
calls at padj ≤ 0.1 and |Δψ| ≥ 0.1. Defaults: 200 samples, 2000 junctions, pca, seed 1.
--out writes every call as TSV (written to a temporary file, then renamed).
`,
    async run(args) {
      const N = intOption(args, 'samples', 200);
      const J = intOption(args, 'junctions', 2000);
      const seed = intOption(args, 'seed', 1);
      const implementation = option(args, 'implementation', 'pca') as 'pca';
      const out = option(args, 'out', '');
      const { simd } = await init();
      const log = (m: string) => process.stderr.write(m + '\n');
      log(`latentwasm ${VERSION} (${simd} WebAssembly): simulating ${N} samples × ${J} junctions, seed ${seed}`);
      const t0 = performance.now();
      const sim = fraser.simulate({ samples: N, junctions: J, seed, latentDim: 5, confounderSd: 0.8, outlierFrequency: 1e-3 });
      const t1 = performance.now();
      const f = fraser.fit({ k: sim.k, n: sim.n, samples: N }, {
        implementation, seed,
        onProgress: (p) => log(`  ${p.stage}${p.round ? ` round ${p.round}` : ''}${p.fraction !== undefined ? `: ${(100 * p.fraction).toFixed(0)} % of junctions` : ''}${p.loss !== undefined ? `: loss ${p.loss.toFixed(5)}` : ''}${p.message ? `: ${p.message}` : ''}  (${((performance.now() - t1) / 1000).toFixed(2)} s)`),
      });
      const t2 = performance.now();
      const score = (p: Float64Array) => p.map((v) => -Math.log(Math.max(v, 1e-300)));
      const ap = averagePrecision(score(f.pValues), sim.outliers);
      // Without correction: each junction's pooled ψ as μ, with the fitted ρ.
      const mu0 = new Float64Array(N * J);
      for (let j = 0; j < J; j++) {
        let k = 0, n = 0;
        for (let i = 0; i < N; i++) { k += sim.k[i * J + j]; n += sim.n[i * J + j]; }
        const m = Math.min(Math.max(k / Math.max(n, 1), 1e-6), 1 - 1e-6);
        for (let i = 0; i < N; i++) mu0[i * J + j] = m;
      }
      const ap0 = averagePrecision(score(betaBinomial.pValues(sim.k, sim.n, mu0, f.rho, { junctions: J })), sim.outliers);
      const calls: number[] = [];
      for (let c = 0; c < N * J; c++) if (f.padj[c] <= 0.1 && Math.abs(f.deltaPsi[c]) >= 0.1 && sim.n[c] >= 5) calls.push(c);
      calls.sort((a, b) => f.pValues[a] - f.pValues[b]);
      let tp = 0, injected = 0;
      for (const c of calls) if (sim.outliers[c]) tp++;
      for (const v of sim.outliers) injected += v;
      const lines = [
        '',
        `simulation ${((t1 - t0) / 1000).toFixed(2)} s, fit and statistics ${((t2 - t1) / 1000).toFixed(2)} s (${implementation}, q = ${f.q}, chosen by ${f.qSelection.method}; simulated q = 5)`,
        `injected aberrant events: ${injected}; AUC-PR of the p-values: ${ap.toFixed(3)} (without confounder correction: ${ap0.toFixed(3)})`,
        `calls (padj ≤ 0.1, |Δψ| ≥ 0.1, N ≥ 5): ${calls.length}, of which injected: ${tp} (precision ${calls.length ? (tp / calls.length).toFixed(3) : '—'}, recall ${(tp / Math.max(injected, 1)).toFixed(3)})`,
        '',
        'sample\tjunction\tk\tn\tpsi\tdeltaPsi\tpValue\tpadj\tinjected',
      ];
      const row = (c: number) => [Math.floor(c / J), c % J, sim.k[c], sim.n[c], (sim.k[c] / sim.n[c]).toFixed(3), f.deltaPsi[c].toFixed(3), f.pValues[c].toExponential(2), f.padj[c].toExponential(2), sim.outliers[c] ? 'yes' : 'no'].join('\t');
      for (const c of calls.slice(0, 10)) lines.push(row(c));
      if (calls.length > 10) lines.push(`… ${calls.length - 10} more${out ? '' : ' (--out FILE.tsv writes them all)'}`);
      process.stdout.write(lines.join('\n') + '\n');
      if (out) {
        const { writeFileSync, renameSync } = await import('node:fs');
        const tmp = `${out}.tmp-${process.pid}`;
        writeFileSync(tmp, ['sample\tjunction\tk\tn\tpsi\tdeltaPsi\tpValue\tpadj\tinjected', ...calls.map(row)].join('\n') + '\n');
        renameSync(tmp, out);
        log(`wrote ${calls.length} calls to ${out}`);
      }
    },
  },
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
