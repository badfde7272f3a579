#!/usr/bin/env node
/**
 * The latentwasm command line. Commands parse arguments, call the library and print; no numerics
 * here. Exit codes: 0 success, 1 bad input, 2 internal error.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentValueError, averagePrecision, betaBinomial, init, LatentWasmError } from '../index.js';
import { loadCore, type SimdLevel } from '../wasm/core.js';
import { writeJunctionTable, writeSiteTable } from '../io/tables.js';
import { writeFileAtomic } from '../io/node.js';
import { simulateSpliceTables } from '../simulate/fraserTables.js';
import type { ResultRow } from '../models/fraser/results.js';
import { choiceValue, intValue, numberValue, parseOptions, stringValue, type OptionSpecs } from './args.js';
import { featureId, runFraser, runPredict, SPLICE_METRICS, type CountSource } from './fraserRun.js';
import { Progress } from './progress.js';
import { PLN_HELP, PLN_STUDY_HELP, plnCommand, SIMULATE_PLN_HELP, simulatePlnCommand } from './pln.js';

const VERSION = '0.1.0';

const HELP = `latentwasm ${VERSION}: latent-variable models with a WebAssembly SIMD core

Usage: latentwasm <command> [options]

Commands:
  fraser      Detect aberrant splicing in junction / splice-site count tables (FRASER); 'fraser predict'
              scores new samples with a saved model.
  pln         Fit a Poisson-lognormal model (full, diag, pca, fixed-v) to a count table.
  simulate    Simulate data with known truth: latentwasm simulate fraser … | simulate pln …
  demo        The FRASER workflow on a built-in simulated cohort, checked against the truth.
  info        Show which WebAssembly binaries this host runs and which one init() picks.
  help        Show this help, or a command's help: latentwasm help <command>.

Options:
  --help      Show help for a command.
  --version   Print the version.

Exit codes: 0 success, 1 bad input, 2 internal error.
`;

const FRASER_HELP = `Usage:
  latentwasm fraser --junctions F [--sites F] --out DIR [options]
  latentwasm fraser --external-counts DIR --out DIR [options]
  latentwasm fraser --k F --n F --out DIR [options]
  latentwasm fraser predict --model DIR (--junctions F [--sites F] | --external-counts DIR | --k F --n F) --out DIR

Detects aberrant splicing with FRASER: reads split (junction) and non-split (splice-site) read
counts, computes the splice metric, filters junctions, fits the beta-binomial model, and writes
the results table, the saved model, plots and a summary into DIR.

Inputs (plain or gzip):
  --junctions F         the reference's junction table: seqnames start end width strand <samples> startID endID
  --sites F             the reference's splice-site table: seqnames start end width strand spliceSiteID type <samples>
  --external-counts DIR k_j, k_theta, n_psi5, n_psi3, n_theta count tables (comma-separated, gzip)
  --k F --n F           plain K and N matrices, features × samples, with an id column (no metric applied)
  --annotation F        junction → gene table (a gene column; several genes separated by ';')
  --samples F           sample table: only its samples are used, in its order

Model:
  --metric M            jaccard (default), psi5, psi3 or theta
  --implementation I    pca (default, FRASER 2), ae (the autoencoder) or pca-bb-decoder
  --q N|auto|grid       latent dimension; auto (default): optimal hard thresholding; grid: the reference's search
  --seed N              seed of every random choice (default 1)

Filters (the reference's defaults):
  --min-expression N    keep a junction if max k ≥ N in one sample (default 20)
  --quantile-min N      … and the 75 % quantile of N ≥ this (default 10)
  --min-delta-psi X     … and max |Δψ| ≥ X (default 0: off)

Calls:
  --padj X              padjust ≤ X (default 0.1)
  --delta-psi X         |Δψ| ≥ X (default 0.1)
  --min-coverage N      N ≥ this (default 5)
  --all                 also write every tested (junction, sample) pair to results_all.tsv.gz
  --volcanoes N         volcano plots for the N samples with the most calls (default 6)
  --quiet               no progress or notes on stderr

Outputs in DIR: results.tsv/.json (calls), results_gene.tsv/.json (with --annotation),
aberrant_per_sample.tsv, filter.tsv (every feature, passed and why not), model/ (for predict),
plots/*.svg (volcano per sample, QQ, aberrant events per sample, encoding dimension, loss),
summary.json.

Exit codes: 0 success, 1 bad input, 2 internal error.
`;

const FRASER_OPTIONS: OptionSpecs = {
  junctions: { type: 'string' }, sites: { type: 'string' }, 'external-counts': { type: 'string' }, k: { type: 'string' }, n: { type: 'string' },
  annotation: { type: 'string' }, samples: { type: 'string' }, out: { type: 'string' }, metric: { type: 'string' },
  implementation: { type: 'string' }, q: { type: 'string' }, seed: { type: 'string' }, 'min-expression': { type: 'string' },
  'quantile-min': { type: 'string' }, 'min-delta-psi': { type: 'string' }, padj: { type: 'string' }, 'delta-psi': { type: 'string' },
  'min-coverage': { type: 'string' }, all: { type: 'boolean' }, volcanoes: { type: 'string' }, quiet: { type: 'boolean' }, model: { type: 'string' },
};

function countSource(v: Record<string, unknown>): CountSource {
  const j = stringValue(v, 'junctions'), e = stringValue(v, 'external-counts'), k = stringValue(v, 'k'), n = stringValue(v, 'n');
  const given = [j && '--junctions', e && '--external-counts', (k || n) && '--k/--n'].filter(Boolean);
  if (given.length !== 1) throw new ArgumentValueError(given.length ? `give one input, not ${given.join(' and ')}` : 'no input: give --junctions (and --sites), --external-counts, or --k and --n (see --help)', 'junctions');
  if (j) return { kind: 'tables', junctions: j, sites: stringValue(v, 'sites') };
  if (e) return { kind: 'external', dir: e };
  if (!k || !n) throw new ArgumentValueError('plain matrices need both --k and --n', k ? 'n' : 'k');
  return { kind: 'matrices', k, n };
}

function cutoffs(v: Record<string, unknown>) {
  return { padjCutoff: numberValue(v, 'padj', 0.1, 0, 1), deltaPsiCutoff: numberValue(v, 'delta-psi', 0.1, 0, 1), minCoverage: numberValue(v, 'min-coverage', 5, 0) };
}

function requireOut(v: Record<string, unknown>): string {
  const out = stringValue(v, 'out');
  if (!out) throw new ArgumentValueError('--out DIR is required (the output directory)', 'out');
  return out;
}

/** The first calls as aligned text. */
function callsTable(calls: ResultRow[], max: number): string {
  const head = ['sampleID', 'seqnames', 'start', 'end', 'strand', 'hgncSymbol', 'type', 'pValue', 'padjust', 'psi', 'deltaPsi', 'k', 'n'];
  const rows = calls.slice(0, max).map((r) => [r.sampleID, r.seqnames, String(r.start), String(r.end), r.strand, r.hgncSymbol || '.', r.type, r.pValue.toExponential(2), r.padjust.toExponential(2), r.psiValue.toFixed(3), r.deltaPsi.toFixed(3), String(r.counts), String(r.totalCounts)]);
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (r: string[]) => r.map((x, c) => x.padEnd(w[c])).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n') + '\n';
}

async function fraserCommand(args: string[]): Promise<void> {
  const predict = args[0] === 'predict';
  const { values: v } = parseOptions(predict ? args.slice(1) : args, FRASER_OPTIONS);
  const progress = new Progress({ quiet: v.quiet === true });
  const out = requireOut(v);
  const source = countSource(v);
  const extra = { annotation: stringValue(v, 'annotation'), sampleTable: stringValue(v, 'samples') };
  const common = { out, cutoffs: cutoffs(v), all: v.all === true, volcanoes: intValue(v, 'volcanoes', 6, 0) };
  await init();
  if (predict) {
    const modelDir = stringValue(v, 'model');
    if (!modelDir) throw new ArgumentValueError('fraser predict needs --model DIR (a model/ directory written by latentwasm fraser)', 'model');
    const r = await runPredict(modelDir, source, extra, common, progress);
    process.stdout.write(`scored ${r.prediction.samples} samples with the saved model: ${r.calls.length} calls\n` + (r.calls.length ? callsTable(r.calls, 10) : '') + `wrote ${r.files.length} files to ${out}/\n`);
    return;
  }
  const qRaw = stringValue(v, 'q') ?? 'auto';
  const q = qRaw === 'auto' || qRaw === 'grid' ? qRaw : intValue(v, 'q', 0, 1);
  const r = await runFraser(source, choiceValue(v, 'metric', SPLICE_METRICS, 'jaccard'), extra, {
    ...common, implementation: choiceValue(v, 'implementation', ['pca', 'ae', 'pca-bb-decoder'] as const, 'pca'), q, seed: intValue(v, 'seed', 1, 0),
    filters: { minExpressionInOneSample: numberValue(v, 'min-expression', 20, 0), quantileMinExpression: numberValue(v, 'quantile-min', 10, 0), minDeltaPsi: numberValue(v, 'min-delta-psi', 0, 0, 1) },
  }, progress);
  process.stdout.write(
    `${r.input.samples.length} samples × ${r.filter.kept} ${r.input.metric} features (of ${r.filter.features}); q = ${r.fit.q} (${r.fit.qSelection.method}); ` +
      `read ${r.seconds.read.toFixed(2)} s, fit ${r.seconds.fit.toFixed(2)} s, write ${r.seconds.write.toFixed(2)} s\n` +
      `aberrant events (padj ≤ ${common.cutoffs.padjCutoff}, |Δψ| ≥ ${common.cutoffs.deltaPsiCutoff}, N ≥ ${common.cutoffs.minCoverage}): ${r.calls.length} in ${new Set(r.calls.map((c) => c.sampleID)).size} samples\n` +
      (r.calls.length ? callsTable(r.calls, 10) : '') +
      `wrote ${out}/: ${r.files.filter((f) => !f.startsWith('plots/')).join(', ')}, and ${r.files.filter((f) => f.startsWith('plots/')).length} plots in plots/\n`,
  );
}

const SIMULATE_HELP = `${SIMULATE_PLN_HELP}
Usage: latentwasm simulate fraser --out DIR [--junctions J] [--samples N] [--q Q]
                                   [--outlier-freq F] [--seed S] [--quiet]

Simulates split and non-split read counts from FRASER's model (a q-dimensional latent confounder,
beta-binomial counts, junctions in alternative-donor and alternative-acceptor events) with
aberrant splicing injected in a fraction F of the (sample, event) cells, and writes into DIR:
  junctions.tsv.gz   the reference's junction table
  sites.tsv.gz       the reference's splice-site table
  truth.tsv          the injected events: junction coordinates, sampleID, event, psi, deltaPsi
Defaults: 2000 junctions, 100 samples, q 3, F 0.001, seed 1.
`;

async function simulateCommand(args: string[]): Promise<void> {
  if (args[0] === 'pln') return simulatePlnCommand(args.slice(1));
  if (args[0] !== 'fraser') throw new ArgumentValueError(`simulate needs a model: latentwasm simulate fraser … or simulate pln … (got ${args[0] === undefined ? 'nothing' : `'${args[0]}'`})`, 'model');
  const { values: v } = parseOptions(args.slice(1), {
    out: { type: 'string' }, junctions: { type: 'string' }, samples: { type: 'string' }, q: { type: 'string' },
    'outlier-freq': { type: 'string' }, seed: { type: 'string' }, quiet: { type: 'boolean' },
  });
  const out = requireOut(v);
  const progress = new Progress({ quiet: v.quiet === true });
  const sim = simulateSpliceTables({
    junctions: intValue(v, 'junctions', 2000, 2), samples: intValue(v, 'samples', 100, 2), latentDim: intValue(v, 'q', 3, 0),
    outlierFrequency: numberValue(v, 'outlier-freq', 1e-3, 0, 1), seed: intValue(v, 'seed', 1, 0),
  });
  const files = await writeSimulation(out, sim);
  progress.note(`simulated ${sim.samples.length} samples × ${sim.junctions.features.seqnames.length} junctions, ${sim.sites.spliceSiteID.length} splice sites, ${sim.truth.length / 2} aberrant events`);
  process.stdout.write(`wrote ${files.map((f) => join(out, f)).join(', ')}\n`);
}

/** Writes a simulation's tables and truth into `out` (atomically, file by file). */
async function writeSimulation(out: string, sim: ReturnType<typeof simulateSpliceTables>): Promise<string[]> {
  await mkdir(out, { recursive: true });
  await writeJunctionTable(join(out, 'junctions.tsv.gz'), sim.junctions);
  await writeSiteTable(join(out, 'sites.tsv.gz'), sim.sites);
  const f = sim.junctions.features;
  const lines = ['seqnames\tstart\tend\tstrand\tsampleID\tevent\tpsi\tdeltaPsi\n'];
  for (const t of sim.truth) lines.push(`${f.seqnames[t.junction]}\t${f.start[t.junction]}\t${f.end[t.junction]}\t${f.strand[t.junction]}\t${sim.samples[t.sample]}\t${t.event}\t${t.psi.toFixed(4)}\t${t.deltaPsi.toFixed(4)}\n`);
  await writeFileAtomic(join(out, 'truth.tsv'), [lines.join('')]);
  return ['junctions.tsv.gz', 'sites.tsv.gz', 'truth.tsv'];
}

const DEMO_HELP = `Usage: latentwasm demo [--out DIR] [--samples N] [--junctions J] [--implementation pca|ae|pca-bb-decoder]
                      [--seed S] [--quiet]

The whole FRASER workflow on a built-in simulated cohort, in a few seconds: simulates split and
non-split read tables with aberrant splicing injected (latentwasm simulate fraser), runs
latentwasm fraser on them (jaccard metric, filters, fit, results, plots, saved model), and checks
the calls against the injected truth: AUC-PR of the p-values against a fit without confounder
correction, and the precision and recall of the calls. Prints the top calls and where the files
are. Defaults: DIR latentwasm-demo, 200 samples, 2000 junctions, pca, seed 1.
`;

async function demoCommand(args: string[]): Promise<void> {
  const { values: v } = parseOptions(args, {
    out: { type: 'string' }, samples: { type: 'string' }, junctions: { type: 'string' }, implementation: { type: 'string' },
    seed: { type: 'string' }, quiet: { type: 'boolean' },
  });
  const out = stringValue(v, 'out') ?? 'latentwasm-demo';
  const N = intValue(v, 'samples', 200, 2);
  const J = intValue(v, 'junctions', 2000, 2);
  const seed = intValue(v, 'seed', 1, 0);
  const implementation = choiceValue(v, 'implementation', ['pca', 'ae', 'pca-bb-decoder'] as const, 'pca');
  const progress = new Progress({ quiet: v.quiet === true });
  const { simd } = await init();
  progress.note(`latentwasm ${VERSION} (${simd} WebAssembly): simulating ${N} samples × ${J} junctions with aberrant splicing (seed ${seed})`);
  const t0 = performance.now();
  const sim = simulateSpliceTables({ samples: N, junctions: J, latentDim: 5, outlierFrequency: 2e-3, seed });
  const input = join(out, 'input');
  await writeSimulation(input, sim);
  const t1 = performance.now();
  const r = await runFraser({ kind: 'tables', junctions: join(input, 'junctions.tsv.gz'), sites: join(input, 'sites.tsv.gz') }, 'jaccard', {}, {
    out, implementation, q: 'auto', seed, filters: {}, cutoffs: {}, all: false, volcanoes: 4,
  }, progress);
  const t2 = performance.now();
  // Against the truth: every (kept junction, sample) cell, labelled 1 when injected.
  const M = r.input.samples.length, F = r.input.features.ids.length;
  const col = new Map<string, number>();
  r.input.features.ids.forEach((id, j) => col.set(id, j));
  const labels = new Uint8Array(M * F);
  const fsim = sim.junctions.features;
  for (const t of sim.truth) {
    const j = col.get(featureId(fsim.seqnames[t.junction], fsim.start[t.junction], fsim.end[t.junction], fsim.strand[t.junction]));
    if (j !== undefined) labels[t.sample * F + j] = 1;
  }
  const score = (p: Float64Array) => p.map((x) => -Math.log(Math.max(x, 1e-300)));
  const ap = averagePrecision(score(r.fit.pValues), labels);
  const mu0 = new Float64Array(M * F);
  for (let j = 0; j < F; j++) {
    let k = 0, n = 0;
    for (let i = 0; i < M; i++) { k += r.input.k[i * F + j]; n += r.input.n[i * F + j]; }
    const m = Math.min(Math.max(k / Math.max(n, 1), 1e-6), 1 - 1e-6);
    for (let i = 0; i < M; i++) mu0[i * F + j] = m;
  }
  const ap0 = averagePrecision(score(betaBinomial.pValues(r.input.k, r.input.n, mu0, r.fit.rho, { junctions: F })), labels);
  let tp = 0, injected = 0;
  for (const c of r.calls) if (labels[r.input.samples.indexOf(c.sampleID) * F + col.get(featureId(c.seqnames, c.start, c.end, c.strand))!]) tp++;
  for (const x of labels) injected += x;
  process.stdout.write([
    '',
    `simulation ${((t1 - t0) / 1000).toFixed(2)} s; latentwasm fraser ${((t2 - t1) / 1000).toFixed(2)} s (read ${r.seconds.read.toFixed(2)}, fit ${r.seconds.fit.toFixed(2)}, write ${r.seconds.write.toFixed(2)}); ${implementation}, q = ${r.fit.q} by ${r.fit.qSelection.method} (simulated 5)`,
    `${r.filter.summary}`,
    `injected aberrant junction × sample cells among the kept junctions: ${injected}; AUC-PR of the p-values: ${ap.toFixed(3)} (without confounder correction: ${ap0.toFixed(3)})`,
    `calls (padj ≤ 0.1, |Δψ| ≥ 0.1, N ≥ 5): ${r.calls.length}, of which injected: ${tp} (precision ${r.calls.length ? (tp / r.calls.length).toFixed(3) : '—'}, recall ${(tp / Math.max(injected, 1)).toFixed(3)})`,
    '',
    callsTable(r.calls, 10) + (r.calls.length > 10 ? `… ${r.calls.length - 10} more in ${join(out, 'results.tsv')}\n` : ''),
    `files: ${out}/ — input/ (the simulated tables and truth.tsv), results.tsv, results.json, aberrant_per_sample.tsv, filter.tsv, model/, summary.json`,
    `plots: ${r.files.filter((f) => f.startsWith('plots/')).map((f) => join(out, f)).join(', ')}`,
    '',
  ].join('\n'));
}

const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<void> }> = {
  fraser: { help: FRASER_HELP, run: fraserCommand },
  simulate: { help: SIMULATE_HELP, run: simulateCommand },
  pln: { help: `${PLN_HELP}\n${PLN_STUDY_HELP}`, run: plnCommand },
  demo: { help: DEMO_HELP, run: demoCommand },
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
