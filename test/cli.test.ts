/**
 * The command line end to end (src/cli/main.ts run through tsx, as `node dist/cli.js` runs its
 * bundle): the demo simulates, fits, prints its recovery figures and writes its calls atomically;
 * bad options exit with 1 and name the option; help and unknown commands behave.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });

test('demo: simulates count tables, runs the FRASER workflow, finds the injected events far better than without correction, writes every output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-cli-'));
  try {
    const out = join(dir, 'demo');
    const r = cli('demo', '--samples', '60', '--junctions', '400', '--seed', '3', '--out', out);
    assert.is(r.status, 0, r.stderr);
    const m = /AUC-PR of the p-values: ([\d.]+) \(without confounder correction: ([\d.]+)\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [ap, ap0] = [Number(m![1]), Number(m![2])];
    assert.ok(ap > ap0 + 0.3, `AUC-PR ${ap} vs ${ap0}`);
    const calls = /calls \(padj ≤ 0\.1, \|Δψ\| ≥ 0\.1, N ≥ 5\): (\d+)/.exec(r.stdout);
    assert.ok(calls, r.stdout);
    const lines = readFileSync(join(out, 'results.tsv'), 'utf8').trim().split('\n');
    assert.is(lines[0], 'seqnames\tstart\tend\twidth\tstrand\tsampleID\thgncSymbol\ttype\tpValue\tpadjust\tpsiValue\tdeltaPsi\tcounts\ttotalCounts\tmeanCounts\tmeanTotalCounts');
    assert.is(lines.length - 1, Number(calls![1]));
    for (const f of ['results.json', 'aberrant_per_sample.tsv', 'filter.tsv', 'summary.json', 'model/model.json', 'plots/qq.svg', 'plots/aberrant_per_sample.svg', 'input/junctions.tsv.gz', 'input/sites.tsv.gz', 'input/truth.tsv']) {
      assert.ok(existsSync(join(out, f)), `${f} written`);
    }
    assert.ok(readdirSync(join(out, 'plots')).some((f) => f.startsWith('volcano_')), 'a volcano plot');
    assert.ok(!readdirSync(out).some((f) => f.includes('.tmp-')), 'no temporary file is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simulate fraser → fraser → fraser predict: reference-format tables in, results and a saved model out, the model scores new samples without refitting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-cli-'));
  try {
    const sim = cli('simulate', 'fraser', '--junctions', '300', '--samples', '40', '--q', '2', '--outlier-freq', '0.01', '--seed', '4', '--out', join(dir, 'sim'));
    assert.is(sim.status, 0, sim.stderr);
    const truth = readFileSync(join(dir, 'sim', 'truth.tsv'), 'utf8').trim().split('\n');
    assert.is(truth[0], 'seqnames\tstart\tend\tstrand\tsampleID\tevent\tpsi\tdeltaPsi');
    assert.ok(truth.length > 10, `${truth.length - 1} injected cells`);
    const fit = cli('fraser', '--junctions', join(dir, 'sim', 'junctions.tsv.gz'), '--sites', join(dir, 'sim', 'sites.tsv.gz'), '--metric', 'psi5', '--q', '2', '--out', join(dir, 'fit'), '--all', '--quiet');
    assert.is(fit.status, 0, fit.stderr);
    assert.is(fit.stderr, '', 'nothing on stderr with --quiet');
    assert.match(fit.stdout, /40 samples × \d+ psi5 features/);
    const summary = JSON.parse(readFileSync(join(dir, 'fit', 'summary.json'), 'utf8'));
    assert.is(summary.metric, 'psi5');
    assert.is(summary.q, 2);
    const all = gunzipSync(readFileSync(join(dir, 'fit', 'results_all.tsv.gz'))).toString('utf8').trim().split('\n');
    assert.is(all.length - 1, 40 * summary.filter.kept, 'one row per tested pair');
    // Calls overlap the truth.
    const key = (f: string[]) => `${f[0]}:${f[1]}-${f[2]}:${f[3]}|${f[4]}`;
    const injected = new Set(truth.slice(1).map((l) => key(l.split('\t'))));
    const calls = readFileSync(join(dir, 'fit', 'results.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const hits = calls.filter((f) => injected.has(key([f[0], f[1], f[2], f[4], f[5]]))).length;
    assert.ok(calls.length > 0 && hits / calls.length > 0.5, `${hits} of ${calls.length} calls injected`);
    // Predict on the same tables with the saved model: the same junctions, scored without a refit.
    const pr = cli('fraser', 'predict', '--model', join(dir, 'fit', 'model'), '--junctions', join(dir, 'sim', 'junctions.tsv.gz'), '--sites', join(dir, 'sim', 'sites.tsv.gz'), '--out', join(dir, 'pred'), '--quiet');
    assert.is(pr.status, 0, pr.stderr);
    assert.match(pr.stdout, /scored 40 samples with the saved model/);
    assert.ok(existsSync(join(dir, 'pred', 'results.tsv')));
    // A model directory that is not one.
    const bad = cli('fraser', 'predict', '--model', join(dir, 'sim'), '--junctions', join(dir, 'sim', 'junctions.tsv.gz'), '--out', join(dir, 'pred2'));
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /model\.json is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fraser: bad input exits with 1 and names the file, line or option', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-cli-'));
  try {
    const noInput = cli('fraser', '--out', join(dir, 'o'));
    assert.is(noInput.status, 1);
    assert.match(noInput.stderr, /no input/);
    const bad = join(dir, 'j.tsv');
    writeFileSync(bad, 'seqnames\tstart\tend\twidth\tstrand\tS1\tS2\tstartID\tendID\nchr1\t10\t20\t11\t+\t5\tx\t1\t2\n');
    const r = cli('fraser', '--junctions', bad, '--metric', 'psi5', '--out', join(dir, 'o'));
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /j\.tsv.*line 2/);
    const noSites = cli('fraser', '--junctions', bad, '--out', join(dir, 'o'));
    assert.is(noSites.status, 1);
    assert.match(noSites.stderr, /needs the splice-site counts: give --sites/);
    const unknown = cli('fraser', '--junctons', bad);
    assert.is(unknown.status, 1);
    assert.match(unknown.stderr, /unknown option --junctons/);
    const metric = cli('fraser', '--junctions', bad, '--metric', 'psi7', '--out', join(dir, 'o'));
    assert.is(metric.status, 1);
    assert.match(metric.stderr, /--metric must be one of jaccard, psi5, psi3, theta/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const example = join(root, '..', 'shared', 'data', 'fraser-example');

test('fraser on the real example data (../shared/data/fraser-example): both input formats finish and write every output', () => {
  if (!existsSync(join(example, 'raw_junction_counts.tsv.gz'))) {
    console.log('  skipped: ../shared/data/fraser-example is absent');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-cli-'));
  try {
    for (const [name, args] of [
      ['tables', ['--junctions', join(example, 'raw_junction_counts.tsv.gz'), '--sites', join(example, 'raw_site_counts.tsv.gz')]],
      ['external', ['--external-counts', join(example, 'external-counts')]],
    ] as const) {
      const out = join(dir, name);
      const r = cli('fraser', ...args, '--out', out, '--quiet');
      assert.is(r.status, 0, r.stderr);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      assert.ok(summary.filter.kept > 5 && summary.samples >= 6, JSON.stringify(summary.filter));
      for (const f of summary.files as string[]) assert.ok(existsSync(join(out, f)), `${name}: ${f}`);
      const flags = readFileSync(join(out, 'filter.tsv'), 'utf8').trim().split('\n');
      assert.is(flags.length - 1, summary.features, 'a filter row per input feature');
      console.log(`  ${name}: ${summary.samples} samples, ${summary.filter.kept} of ${summary.features} features kept, q = ${summary.q}, ${summary.calls} calls`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simulate pln → pln: the seed\'s design in, parameters, summary and plots out; BIC over --ranks picks the simulated rank; bad input exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-cli-'));
  try {
    const sim = cli('simulate', 'pln', '--n', '400', '--p', '15', '--q', '3', '--seed', '2', '--out', join(dir, 'sim'));
    assert.is(sim.status, 0, sim.stderr);
    const fit = cli('pln', '--counts', join(dir, 'sim', 'counts.tsv'), '--model', 'pca', '--ranks', '1,3,6', '--out', join(dir, 'fit'), '--quiet');
    assert.is(fit.status, 0, fit.stderr);
    const summary = JSON.parse(readFileSync(join(dir, 'fit', 'summary.json'), 'utf8'));
    assert.is(summary.rank, 3, JSON.stringify(summary.ranks));
    assert.ok(summary.converged && Number.isFinite(summary.elbo));
    for (const f of ['B.tsv', 'Sigma.tsv', 'M.tsv', 'S.tsv', 'C.tsv', 'plots/elbo.svg', 'plots/latent.svg']) assert.ok(existsSync(join(dir, 'fit', f)), f);
    const fv = cli('pln', '--counts', join(dir, 'sim', 'counts.tsv'), '--model', 'fixed-v', '--eigvecs', join(dir, 'sim', 'eigvecs.tsv'), '--out', join(dir, 'fv'), '--quiet');
    assert.is(fv.status, 0, fv.stderr);
    assert.ok(existsSync(join(dir, 'fv', 'Lambda.tsv')));
    const st = cli('pln', 'study', '--n', '300', '--p', '10', '--q', '2', '--replicates', '1', '--methods', 'full,pca,fixed-v', '--out', join(dir, 'study'), '--quiet');
    assert.is(st.status, 0, st.stderr);
    const rows = readFileSync(join(dir, 'study', 'study.tsv'), 'utf8').trim().split('\n');
    assert.is(rows.length, 1 + 3, 'a row per method');
    assert.ok(existsSync(join(dir, 'study', 'plots', 'sigma_error.svg')));
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'id\ta\tb\ns1\t1\t2\ns2\t3\tx\n');
    const r = cli('pln', '--counts', bad, '--out', join(dir, 'o'));
    assert.is(r.status, 1);
    assert.match(r.stderr, /bad\.tsv.*line 3/);
    const neg = join(dir, 'neg.tsv');
    writeFileSync(neg, 'id\ta\tb\ns1\t1\t2\ns2\t3\t-1\n');
    const r2 = cli('pln', '--counts', neg, '--out', join(dir, 'o'));
    assert.is(r2.status, 1);
    assert.match(r2.stderr, /counts\[3\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options exit with 1 and name the option; help and unknown commands', () => {
  const bad = cli('demo', '--samples', 'many');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /--samples must be an integer in \[2, /);
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
