/**
 * `latentwasm pln` (fit a Poisson-lognormal model to a count table) and `latentwasm simulate pln`
 * (the seed's design with its truth). Files are written atomically; Node only.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentValueError } from '../errors.js';
import { readNumericTable, type NumericTable } from '../io/numeric.js';
import { writeFileAtomic } from '../io/node.js';
import { fit as plnFit, selectRank, type PlnFit, type PlnModel } from '../models/pln/fit.js';
import { simulatePln } from '../simulate/pln.js';
import { plnStudy, STUDY_COLUMNS, STUDY_METHODS, type StudyRow } from '../models/pln/study.js';
import * as plot from '../plot/index.js';
import { choiceValue, intValue, numberValue, parseOptions, stringValue } from './args.js';
import { Progress } from './progress.js';

export const PLN_HELP = `Usage: latentwasm pln --counts F --out DIR [--model full|diag|pca|fixed-v] [--rank q | --ranks q1,q2,…]
                     [--covariates F] [--offsets none|logsum|F] [--eigvecs F] [--ftol X] [--quiet]

Fits a Poisson-lognormal model by variational inference (L-BFGS, stopping on the relative ELBO
change, 1e-8 by default) and writes its parameters, a summary and plots into DIR.

Inputs (TSV or CSV, plain or gzip; first column the row names, header the column names):
  --counts F       samples × variables counts (non-negative integers)
  --covariates F   samples × d covariates (default: an intercept column); rows matched by name
  --offsets X      none (default), logsum (log of each sample's total count), or a samples × variables file
  --eigvecs F      fixed-v: V, variables × q with orthonormal columns (the seed's external eigenvectors)

Model:
  --model M        full (default; Σ free), diag, pca (Σ = CCᵀ of rank q) or fixed-v (Σ = VΛVᵀ, V given)
  --rank q         pca: the rank; --ranks 2,4,8 fits each and keeps the best BIC
  --ftol X         relative ELBO change that stops the fit (default 1e-8)
  --amortised F    also fit an encoder from log(1+Y) to (M, S): two-step (VGA, regression, refit) or
                   end-to-end (ELBO over encoder and model); saved in encoder.json

Outputs in DIR: B.tsv (d × variables), Sigma.tsv, M.tsv and S.tsv (variational means and sds:
latent positions for pca and fixed-v), C.tsv (pca) or Lambda.tsv (fixed-v), summary.json (exact
ELBO with lnΓ(Y+1), BIC and ICL — larger is better —, iterations, evaluations, why it stopped),
plots/elbo.svg and plots/latent.svg (the first two latent coordinates).

Exit codes: 0 success, 1 bad input, 2 internal error.
`;

function tsv(rowNames: string[], colNames: string[], values: ArrayLike<number>, corner = ''): string[] {
  const cols = colNames.length;
  const out = [[corner, ...colNames].join('\t') + '\n'];
  for (let r = 0; r < rowNames.length; r++) {
    let line = rowNames[r];
    for (let c = 0; c < cols; c++) line += '\t' + String(values[r * cols + c]);
    out.push(line + '\n');
  }
  return out;
}

function chunks(lines: string[]): string[] {
  const out: string[] = [];
  let buf = '';
  for (const l of lines) {
    buf += l;
    if (buf.length > 1 << 16) {
      out.push(buf);
      buf = '';
    }
  }
  if (buf) out.push(buf);
  return out;
}

/** Rows of `t` in the order of `names`; a missing row is an error naming the file. */
function alignRows(t: NumericTable, names: string[], what: string): Float64Array {
  const pos = new Map(t.rows.map((r, i) => [r, i]));
  const m = t.columns.length;
  const out = new Float64Array(names.length * m);
  names.forEach((nm, i) => {
    const r = pos.get(nm);
    if (r === undefined) throw new ArgumentValueError(`${t.file} (${what}) has no row for sample '${nm}' of the counts`, what);
    out.set(t.values.subarray(r * m, (r + 1) * m), i * m);
  });
  return out;
}

export async function plnCommand(args: string[]): Promise<void> {
  if (args[0] === 'study') return studyCommand(args.slice(1));
  const { values: v } = parseOptions(args, {
    counts: { type: 'string' }, covariates: { type: 'string' }, offsets: { type: 'string' }, eigvecs: { type: 'string' }, model: { type: 'string' },
    rank: { type: 'string' }, ranks: { type: 'string' }, ftol: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' },
    amortised: { type: 'string' },
  });
  const amortisedRaw = stringValue(v, 'amortised');
  const amortised = amortisedRaw === undefined ? undefined : choiceValue(v, 'amortised', ['two-step', 'end-to-end'] as const, 'two-step');
  const countsFile = stringValue(v, 'counts');
  if (!countsFile) throw new ArgumentValueError('--counts F is required (samples × variables)', 'counts');
  const out = stringValue(v, 'out');
  if (!out) throw new ArgumentValueError('--out DIR is required', 'out');
  const model = choiceValue(v, 'model', ['full', 'diag', 'pca', 'fixed-v'] as const, 'full') as PlnModel;
  const progress = new Progress({ quiet: v.quiet === true });
  const { init } = await import('../wasm/core.js');
  await init();
  progress.start('reading counts');
  const C = await readNumericTable(countsFile);
  const n = C.rows.length, p = C.columns.length;
  const covariates = stringValue(v, 'covariates');
  let X: Float64Array | undefined, covNames = ['(Intercept)'];
  if (covariates) {
    const t = await readNumericTable(covariates);
    X = alignRows(t, C.rows, 'covariates');
    covNames = t.columns;
  }
  const off = stringValue(v, 'offsets') ?? 'none';
  let offsets: 'none' | 'logLibrary' | Float64Array = 'none';
  if (off === 'logsum') offsets = 'logLibrary';
  else if (off !== 'none') {
    const t = await readNumericTable(off);
    if (t.columns.length !== p) throw new ArgumentValueError(`${t.file} (offsets) has ${t.columns.length} columns, the counts have ${p}`, 'offsets');
    offsets = alignRows(t, C.rows, 'offsets');
  }
  let V: Float64Array | undefined;
  const eig = stringValue(v, 'eigvecs');
  if (model === 'fixed-v') {
    if (!eig) throw new ArgumentValueError('--model fixed-v needs --eigvecs F (variables × q, orthonormal columns)', 'eigvecs');
    const t = await readNumericTable(eig);
    if (t.rows.length !== p) throw new ArgumentValueError(`${t.file} (eigvecs) has ${t.rows.length} rows, the counts have ${p} variables`, 'eigvecs');
    V = t.values;
  }
  progress.done();
  const ftol = numberValue(v, 'ftol', 1e-8, 0, 1);
  const t0 = performance.now();
  const onProgress = (s: { iteration: number; elbo: number }) => {
    progress.start(`fit (${model})`);
    progress.update(undefined, `iteration ${s.iteration}, ELBO ${s.elbo.toFixed(2)}`);
  };
  const data = { counts: C.values, variables: p, covariates: X, offsets };
  let f: PlnFit;
  let rankTable: { rank: number; elbo: number; bic: number; icl: number }[] | undefined;
  const ranks = stringValue(v, 'ranks');
  if (model === 'pca' && ranks) {
    const list = ranks.split(',').map((s) => Number(s));
    if (list.some((q) => !Number.isInteger(q) || q < 1)) throw new ArgumentValueError(`--ranks must be a comma-separated list of positive integers, got '${ranks}'`, 'ranks');
    const r = selectRank(data, list, { ftol, onProgress });
    f = r.bestBic;
    rankTable = r.fits.map((x) => ({ rank: x.rank, elbo: x.elbo, bic: x.bic, icl: x.icl }));
  } else {
    f = plnFit(data, { model, rank: model === 'pca' ? intValue(v, 'rank', 0, 1) || undefined : undefined, V, ftol, onProgress, amortised });
  }
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  for (const m of f.notices) progress.note(`note: ${m}`);
  await mkdir(join(out, 'plots'), { recursive: true });
  const vars = Array.from(f.kept, (j) => C.columns[j]);
  const lat = Array.from({ length: f.rank }, (_, k) => (model === 'full' || model === 'diag' ? vars[k] : `latent${k + 1}`));
  const files: string[] = [];
  const w = async (name: string, lines: string[] | string) => {
    await writeFileAtomic(join(out, name), typeof lines === 'string' ? [lines] : chunks(lines));
    files.push(name);
  };
  await w('B.tsv', tsv(covNames, vars, f.B));
  await w('Sigma.tsv', tsv(vars, vars, f.Sigma));
  await w('M.tsv', tsv(C.rows, lat, f.M));
  await w('S.tsv', tsv(C.rows, lat, f.S));
  if (f.C) await w('C.tsv', tsv(vars, lat, f.C));
  if (f.Lambda) await w('Lambda.tsv', tsv(lat, ['lambda'], f.Lambda));
  if (f.encoder) await w('encoder.json', JSON.stringify(f.encoder) + '\n');
  await w('plots/elbo.svg', plot.loss([{ name: model, values: f.history }], { title: `PLN ${model}: ELBO per iteration`, yLabel: 'ELBO' }));
  if (f.rank >= 2) {
    const q = f.rank;
    await w('plots/latent.svg', plot.scatter({ x: Array.from({ length: n }, (_, i) => f.M[i * q]), y: Array.from({ length: n }, (_, i) => f.M[i * q + 1]) }, { title: `PLN ${model}: latent positions`, xLabel: lat[0], yLabel: lat[1] }));
  }
  const summary = {
    tool: 'latentwasm pln', counts: C.file, n, p, variablesDropped: Array.from(f.dropped, (j) => C.columns[j]), model, rank: f.rank,
    elbo: f.elbo, elboNote: 'exact: Σ lnΓ(Y+1), not Stirling', bic: f.bic, icl: f.icl, criteriaSign: 'larger is better: BIC = ELBO − ½·k·ln n, ICL = BIC − entropy(q)',
    parameters: f.parameters, iterations: f.iterations, evaluations: f.evaluations, converged: f.converged, reason: f.reason, ftol, seconds,
    ranks: rankTable ?? null, amortised: f.amortised ?? null, notices: f.notices, files,
  };
  await w('summary.json', JSON.stringify(summary, null, 1) + '\n');
  process.stdout.write(`${n} samples × ${f.p} variables, ${model}${model === 'pca' || model === 'fixed-v' ? ` rank ${f.rank}` : ''}: ELBO ${f.elbo.toFixed(3)}, BIC ${f.bic.toFixed(3)}, ICL ${f.icl.toFixed(3)}; ${f.iterations} iterations, ${f.evaluations} evaluations, ${f.converged ? 'converged' : 'NOT converged'} (${f.reason}) in ${seconds.toFixed(2)} s\nwrote ${out}/: ${files.join(', ')}\n`);
}

export const SIMULATE_PLN_HELP = `Usage: latentwasm simulate pln --out DIR [--n N] [--p P] [--q Q] [--rho R] [--d D] [--offsets none|logLibrary] [--seed S]

Simulates counts from the seed's design: Σ = AR1(ρ) truncated to its top q eigenpairs, Z ~ N(XB, Σ),
Y ~ Poisson(exp(O + Z)); writes counts.tsv (samples × variables), covariates.tsv, eigvecs.tsv (V,
variables × q), and the truth: B.tsv, Sigma.tsv, Lambda.tsv. Defaults: n 1000, p 50, q 5, ρ 0.5, d 1.
`;

export async function simulatePlnCommand(args: string[]): Promise<void> {
  const { values: v } = parseOptions(args, {
    out: { type: 'string' }, n: { type: 'string' }, p: { type: 'string' }, q: { type: 'string' }, rho: { type: 'string' }, d: { type: 'string' },
    offsets: { type: 'string' }, seed: { type: 'string' }, quiet: { type: 'boolean' },
  });
  const out = stringValue(v, 'out');
  if (!out) throw new ArgumentValueError('--out DIR is required', 'out');
  const { init } = await import('../wasm/core.js');
  await init();
  const p = intValue(v, 'p', 50, 1);
  const sim = simulatePln({
    n: intValue(v, 'n', 1000, 2), p, q: intValue(v, 'q', 5, 1, p), rho: numberValue(v, 'rho', 0.5, -0.999, 0.999), d: intValue(v, 'd', 1, 1),
    seed: intValue(v, 'seed', 1, 0), offsets: choiceValue(v, 'offsets', ['none', 'logLibrary'] as const, 'none'),
  });
  await mkdir(out, { recursive: true });
  const samples = Array.from({ length: sim.n }, (_, i) => `s${i + 1}`);
  const vars = Array.from({ length: sim.p }, (_, j) => `v${j + 1}`);
  const covs = ['(Intercept)', ...Array.from({ length: sim.d - 1 }, (_, a) => `x${a + 1}`)];
  const lat = Array.from({ length: sim.q }, (_, k) => `latent${k + 1}`);
  const files: [string, string[]][] = [
    ['counts.tsv', tsv(samples, vars, sim.Y)],
    ['covariates.tsv', tsv(samples, covs, sim.X)],
    ['eigvecs.tsv', tsv(vars, lat, sim.truth.V)],
    ['B.tsv', tsv(covs, vars, sim.truth.B)],
    ['Sigma.tsv', tsv(vars, vars, sim.truth.Sigma)],
    ['Lambda.tsv', tsv(lat, ['lambda'], sim.truth.Lambda)],
  ];
  if (sim.O) files.push(['offsets.tsv', tsv(samples, vars, sim.O)]);
  for (const [name, lines] of files) await writeFileAtomic(join(out, name), chunks(lines));
  process.stdout.write(`wrote ${files.map(([f]) => join(out, f)).join(', ')}\n`);
}

export const PLN_STUDY_HELP = `Usage: latentwasm pln study --out DIR [--n 1000,5000] [--p 50] [--q 5] [--replicates 3] [--rho 0.5]
                           [--methods full,pca,fixed-v,amortised] [--seed S] [--quiet]

The seed's simulation study of the variational estimator's bias: for each n, p, q and replicate,
simulate from the seed's design (Σ = AR1(ρ) truncated to rank q) and fit it four ways (full VGA,
pca with the true rank, fixed-v with the true V, amortised two-step pca); write every fit's bias
and RMSE of B and Σ and relative Σ error to study.tsv, their means over replicates to
study_summary.tsv, and plots/sigma_error.svg and plots/b_rmse.svg (error against n, per method).
`;

function listValue(v: Record<string, unknown>, name: string, fallback: number[]): number[] {
  const raw = stringValue(v, name);
  if (raw === undefined) return fallback;
  const list = raw.split(',').map(Number);
  if (list.some((x) => !Number.isInteger(x) || x < 1)) throw new ArgumentValueError(`--${name} must be a comma-separated list of positive integers, got '${raw}'`, name);
  return list;
}

async function studyCommand(args: string[]): Promise<void> {
  const { values: v } = parseOptions(args, {
    out: { type: 'string' }, n: { type: 'string' }, p: { type: 'string' }, q: { type: 'string' }, replicates: { type: 'string' },
    rho: { type: 'string' }, methods: { type: 'string' }, seed: { type: 'string' }, quiet: { type: 'boolean' },
  });
  const out = stringValue(v, 'out');
  if (!out) throw new ArgumentValueError('--out DIR is required', 'out');
  const methodsRaw = stringValue(v, 'methods');
  const methods = methodsRaw ? methodsRaw.split(',') : [...STUDY_METHODS];
  for (const m of methods) if (!STUDY_METHODS.includes(m as never)) throw new ArgumentValueError(`--methods: '${m}' is not one of ${STUDY_METHODS.join(', ')}`, 'methods');
  const progress = new Progress({ quiet: v.quiet === true });
  const { init } = await import('../wasm/core.js');
  await init();
  const rows = plnStudy({
    n: listValue(v, 'n', [1000, 5000]), p: listValue(v, 'p', [50]), q: listValue(v, 'q', [5]), replicates: intValue(v, 'replicates', 3, 1),
    rho: numberValue(v, 'rho', 0.5, -0.999, 0.999), seed: intValue(v, 'seed', 1, 0), methods: methods as StudyRow['method'][],
    onProgress: (done, total, r) => {
      progress.start('pln study');
      progress.update(done / total, `n=${r.n} p=${r.p} q=${r.q} #${r.replicate} ${r.method}: Σ error ${r.sigmaRelErr.toFixed(3)}`);
    },
  });
  progress.done();
  await mkdir(join(out, 'plots'), { recursive: true });
  const fmt = (x: unknown) => (typeof x === 'number' ? String(x) : String(x));
  await writeFileAtomic(join(out, 'study.tsv'), [STUDY_COLUMNS.join('\t') + '\n' + rows.map((r) => STUDY_COLUMNS.map((c) => fmt(r[c])).join('\t')).join('\n') + '\n']);
  // Means over replicates.
  const groups = new Map<string, StudyRow[]>();
  for (const r of rows) {
    const k = `${r.n}\t${r.p}\t${r.q}\t${r.method}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const mean = (rs: StudyRow[], c: keyof StudyRow) => rs.reduce((a, r) => a + (r[c] as number), 0) / rs.length;
  const sumCols = ['bBias', 'bRmse', 'sigmaBias', 'sigmaRmse', 'sigmaRelErr', 'seconds'] as const;
  const lines = ['n\tp\tq\tmethod\treplicates\t' + sumCols.join('\t')];
  for (const [k, rs] of groups) lines.push(`${k}\t${rs.length}\t${sumCols.map((c) => mean(rs, c).toPrecision(6)).join('\t')}`);
  await writeFileAtomic(join(out, 'study_summary.tsv'), [lines.join('\n') + '\n']);
  const series = [...groups.entries()].map(([k, rs]) => ({ k: k.split('\t'), rs }));
  for (const [file, col, label] of [['sigma_error.svg', 'sigmaRelErr', 'relative Σ error'], ['b_rmse.svg', 'bRmse', 'RMSE of B']] as const) {
    const svg = plot.scatter(
      { x: series.map((s) => Math.log10(Number(s.k[0]))), y: series.map((s) => mean(s.rs, col)), groups: series.map((s) => `${s.k[3]} (p=${s.k[1]}, q=${s.k[2]})`) },
      { title: `PLN study: ${label} by method`, subtitle: 'mean over replicates; the seed\'s design, AR1(ρ) truncated to rank q', xLabel: 'log10 n', yLabel: label },
    );
    await writeFileAtomic(join(out, 'plots', file), [svg]);
  }
  process.stdout.write(lines.join('\n') + `\nwrote ${join(out, 'study.tsv')}, ${join(out, 'study_summary.tsv')}, ${join(out, 'plots')}/sigma_error.svg, b_rmse.svg\n`);
}
