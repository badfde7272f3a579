/**
 * FRASER's splice metrics and filters (src/models/fraser/metrics.ts, filters.ts): a toy cohort
 * worked out by hand (test/fixtures/io: junctions on +, − and *, sharing donors and acceptors
 * within and across strands), the external-counts route to the same numbers, Δψ from medians with
 * NaN, the type-7 quantile against R's values, the filters' flags and reasons, and — when
 * ../shared/data/fraser-example is present — every metric on the real data against values
 * computed here straight from the raw rows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as io from '../src/io/index.js';
import { deltaFromMedian, externalMetric, jaccard, medianInPlace, linkJunctionsToSites, psi3, psi5, selectMetricFeatures, spliceMetric, spliceSiteGroups, theta, type SpliceMetricCounts } from '../src/models/fraser/metrics.js';
import { EmptyFilterResultError, FILTER_DELTA_PSI, FILTER_MAX_COUNT, FILTER_QUANTILE, filterJunctions, passedIndex, quantileType7 } from '../src/models/fraser/filters.js';
import { ArgumentValueError } from '../src/errors.js';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/io/${name}`, import.meta.url));
const real = fileURLToPath(new URL('../../shared/data/fraser-example/', import.meta.url));
const hasReal = existsSync(join(real, 'raw_junction_counts.tsv.gz'));

/** Rows of the toy cohort's expected matrices: [s1 values, s2 values], junctions J1..J7 or sites S1..S10. */
const K = [
  [10, 5, 3, 4, 6, 7, 0],
  [0, 0, 2, 0, 0, 0, 0],
];
// Donor groups: + {J1, J2} (start 100), {J3}; − {J4, J5} (end 200 is the donor on −); * {J6, J7} (start 10).
const N_PSI5 = [
  [15, 15, 3, 10, 10, 7, 7],
  [0, 0, 2, 0, 0, 0, 0],
];
// Acceptor groups: + {J1} (end 200; the − junctions ending at 200 are another class), {J2, J3} (end 300);
// − {J4} (start 100), {J5} (start 120); * {J6}, {J7}.
const N_PSI3 = [
  [10, 8, 8, 4, 6, 7, 0],
  [0, 2, 2, 0, 0, 0, 0],
];
// n5 + n3 − k + non-split at the start-side site + at the end-side site, e.g. J1 in s1: 15 + 10 − 10 + 2 + 3.
const N_JACCARD = [
  [20, 20, 9, 16, 11, 11, 13],
  [0, 3, 3, 0, 0, 0, 0],
];
// Non-split reads plus the split reads of every junction with an end at the site, e.g. S1 in s1: 2 + 10 + 5.
const K_THETA = [
  [2, 1, 3, 0, 5, 0, 1, 4, 0, 2],
  [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
];
const N_THETA = [
  [17, 4, 13, 8, 9, 6, 11, 11, 7, 2],
  [0, 2, 0, 3, 0, 0, 0, 0, 0, 0],
];

function checkMetric(m: SpliceMetricCounts, k: number[][], n: number[][]): void {
  assert.is(m.samples, 2);
  assert.is(m.features, k[0].length);
  assert.equal(Array.from(m.k), k.flat());
  assert.equal(Array.from(m.n), n.flat());
  const psi = k.flat().map((v, c) => (n.flat()[c] > 0 ? v / n.flat()[c] : NaN));
  assert.equal(Array.from(m.psi), psi);
}

test('psi5 and psi3 group junctions by donor and acceptor within their strand class (+ and * together, − apart)', async () => {
  const j = await io.readJunctionTable(fx('junctions.tsv'));
  checkMetric(psi5(j), K, N_PSI5);
  checkMetric(psi3(j), K, N_PSI3);
  const g = spliceSiteGroups(j.features);
  assert.equal(Array.from(g.donor), [0, 0, 1, 2, 2, 3, 3]);
  assert.equal(Array.from(g.acceptor), [0, 1, 1, 2, 3, 4, 5]);
});

test('jaccard and theta from the junction and site tables equal the hand-worked totals', async () => {
  const { junctions, sites } = await io.readSpliceCounts(fx('junctions.tsv'), fx('sites.tsv'));
  const jac = jaccard(junctions, sites);
  checkMetric(jac, K, N_JACCARD);
  assert.is(jac.unlinked, 0);
  checkMetric(theta(junctions, sites), K_THETA, N_THETA);
  checkMetric(spliceMetric('jaccard', junctions, sites), K, N_JACCARD);
  assert.is(spliceMetric('psi5', junctions).metric, 'psi5');
});

test('without site ids, junction ends are linked to sites by coordinates preferring the same strand, to the same totals', async () => {
  const junctions = await io.readJunctionTable(fx('junctions-noids.tsv'));
  const sites = await io.readSiteTable(fx('sites.tsv'));
  const s = { ...sites, samples: ['s1', 's2'], counts: io.alignSamples(sites.counts, sites.samples, ['s1', 's2'], 10, sites.file, 'j') };
  const link = linkJunctionsToSites(junctions, s);
  assert.is(link.by, 'coordinates');
  // J1 (+) starts at the + site chr1:99-100 (index 0), J4 (−) at the − site with the same coordinates (index 4).
  assert.equal(Array.from(link.startSite), [0, 0, 1, 4, 5, 7, 7]);
  assert.equal(Array.from(link.endSite), [2, 3, 3, 6, 6, 8, 9]);
  checkMetric(jaccard(junctions, s), K, N_JACCARD);
  checkMetric(theta(junctions, s), K_THETA, N_THETA);
});

test('a junction end with no site counts no non-split reads and is reported as unlinked', async () => {
  const { junctions, sites } = await io.readSpliceCounts(fx('junctions.tsv'), fx('sites.tsv'));
  const endID = [...junctions.endID!];
  endID[0] = 'NA';
  endID[6] = '99';
  const m = jaccard({ ...junctions, endID }, sites);
  assert.is(m.unlinked, 2);
  assert.is(m.n[0], N_JACCARD[0][0] - 3);
  assert.is(m.n[6], N_JACCARD[0][6] - 2);
});

test('external counts give the same four metrics (jaccard linked by coordinates)', async () => {
  const e = await io.readExternalCounts(fx('external'));
  checkMetric(externalMetric('psi5', e), K, N_PSI5);
  checkMetric(externalMetric('psi3', e), K, N_PSI3);
  checkMetric(externalMetric('jaccard', e), K, N_JACCARD);
  checkMetric(externalMetric('theta', e), K_THETA, N_THETA);
});

test('ψ is NaN where n = 0, and Δψ is taken from the median over samples skipping NaN', () => {
  // 4 samples × 3 features: an even count of values, an odd one after NaN, all NaN.
  const psi = Float64Array.from([0.1, NaN, NaN, 0.5, 0.2, NaN, 0.9, 0.8, NaN, 0.3, 0.6, NaN]);
  const { median, deltaPsi } = deltaFromMedian(psi, 4, 3);
  assert.equal(Array.from(median), [(0.3 + 0.5) / 2, 0.6, NaN]);
  const close = (a: number, b: number) => (Number.isNaN(b) ? Number.isNaN(a) : Math.abs(a - b) < 1e-15);
  const want = [0.1 - 0.4, NaN, NaN, 0.5 - 0.4, 0.2 - 0.6, NaN, 0.9 - 0.4, 0.8 - 0.6, NaN, 0.3 - 0.4, 0.6 - 0.6, NaN];
  want.forEach((w, c) => assert.ok(close(deltaPsi[c], w), `deltaPsi[${c}] = ${deltaPsi[c]}, want ${w}`));
});

test('the metrics reject site counts over other samples and jaccard without sites', async () => {
  const { junctions, sites } = await io.readSpliceCounts(fx('junctions.tsv'), fx('sites.tsv'));
  assert.throws(() => jaccard(junctions, { ...sites, samples: ['s1', 'sX'] }), (e: Error) => e instanceof io.SampleMismatchError && /lacks 's2' and has 'sX' besides/.test(e.message));
  assert.throws(() => spliceMetric('theta', junctions), (e: Error) => e instanceof ArgumentValueError && e.message === 'the theta metric needs the splice-site (non-split read) counts');
  assert.throws(() => spliceMetric('psi7' as 'psi5', junctions), /metric must be one of jaccard, psi5, psi3, theta/);
});

test('selectMetricFeatures keeps the chosen junctions in every matrix', async () => {
  const m = psi5(await io.readJunctionTable(fx('junctions.tsv')));
  const s = selectMetricFeatures(m, [2, 0]);
  assert.is(s.features, 2);
  assert.equal(Array.from(s.k), [3, 10, 2, 0]);
  assert.equal(Array.from(s.n), [3, 15, 2, 0]);
  assert.equal(Array.from(s.median), [m.median[2], m.median[0]]);
});

// ---- filters --------------------------------------------------------------------------------

test('the quantile is R’s type 7 (matrixStats::rowQuantiles’ default)', () => {
  // R: quantile(c(0, 10, 10, 30), 0.75) = 15; quantile(c(5, 1, 4, 2, 3), 0.75) = 4;
  // quantile(c(3, 1, 2), 0.75) = 2.5; quantile(7, 0.75) = 7.
  assert.is(quantileType7(Float64Array.from([30, 0, 10, 10]), 4, 0.75), 15);
  assert.is(quantileType7(Float64Array.from([5, 1, 4, 2, 3]), 5, 0.75), 4);
  assert.is(quantileType7(Float64Array.from([3, 1, 2]), 3, 0.75), 2.5);
  assert.is(quantileType7(Float64Array.from([7]), 1, 0.75), 7);
});

test('the quantile and the median by selection equal those from a full sort, on random data with ties', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 400; trial++) {
    const m = 1 + Math.floor(rand() * 40);
    const values = Array.from({ length: m }, () => Math.floor(rand() * (trial % 2 ? 5 : 1000)));
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1]) {
      const h = (m - 1) * p;
      const lo = Math.floor(h);
      const want = sorted[lo] + (h - lo) * (sorted[Math.min(lo + 1, m - 1)] - sorted[lo]);
      assert.ok(Math.abs(quantileType7(Float64Array.from(values), m, p) - want) < 1e-9, `m = ${m}, p = ${p}`);
    }
    const med = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    assert.is(medianInPlace(Float64Array.from(values), m), med);
  }
});

test('the default filters keep a junction with max k ≥ 20 and the 75% quantile of N ≥ 10, and say why others went', () => {
  // 4 samples × 4 junctions (columns): passes (N 20, 10, 10, 10 → 10 + 0.25·10); max k 19;
  // the quantile of N 8.75 (N 20, 5, 5, 0 → 5 + 0.25·15); both fail.
  const k = Uint32Array.from([20, 19, 20, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const n = Uint32Array.from([20, 30, 20, 5, 10, 30, 5, 5, 10, 30, 5, 5, 10, 30, 0, 5]);
  const f = filterJunctions({ k, n, samples: 4 });
  assert.equal(Array.from(f.passed), [1, 0, 0, 0]);
  assert.equal(Array.from(f.reasons), [0, FILTER_MAX_COUNT, FILTER_QUANTILE, FILTER_MAX_COUNT | FILTER_QUANTILE]);
  assert.equal(Array.from(f.maxCount), [20, 19, 20, 1]);
  assert.equal(Array.from(f.quantileValue), [12.5, 30, 8.75, 5]);
  assert.equal(f.droppedBy, { maxCount: 2, quantile: 2, deltaPsi: 0 });
  assert.is(f.kept, 1);
  assert.is(f.dropped, 3);
  assert.is(f.summary, 'kept 1 of 4 features; dropped 3 (a feature may fail several: max k < 20: 2, 75% quantile of N < 10: 2)');
  assert.equal(Array.from(passedIndex(f)), [0]);
});

test('minDeltaPsi drops junctions whose ψ varies less, around the mean (the reference) or the median', () => {
  // One junction, ψ = 0.5, 0.5, 0.5, 0.9 (n = 20): mean 0.6 → max |Δ| 0.3; median 0.5 → 0.4. A second with ψ all NaN.
  const k = Uint32Array.from([10, 0, 10, 0, 10, 0, 18, 0]);
  const n = Uint32Array.from([20, 0, 20, 0, 20, 0, 20, 0]);
  const opts = { minExpressionInOneSample: 0, quantileMinExpression: 0 };
  const mean = filterJunctions({ k, n, samples: 4 }, { ...opts, minDeltaPsi: 0.35 });
  assert.ok(Math.abs(mean.maxDeltaPsi[0] - 0.3) < 1e-12);
  assert.is(mean.maxDeltaPsi[1], 0);
  assert.equal(Array.from(mean.passed), [0, 0]);
  assert.equal(Array.from(mean.reasons), [FILTER_DELTA_PSI, FILTER_DELTA_PSI]);
  assert.match(mean.summary, /max \|Δψ\| < 0\.35: 2\)$/);
  const median = filterJunctions({ k, n, samples: 4 }, { ...opts, minDeltaPsi: 0.35, variabilityCentre: 'median' });
  assert.ok(Math.abs(median.maxDeltaPsi[0] - 0.4) < 1e-12);
  assert.equal(Array.from(median.passed), [1, 0]);
  // With the default minDeltaPsi = 0 a junction without reads still passes the variability filter.
  assert.equal(Array.from(filterJunctions({ k, n, samples: 4 }, opts).passed), [1, 1]);
});

test('throwIfEmpty names the filter that removed every junction; bad options are ArgumentValueErrors', () => {
  const k = Uint32Array.from([3, 1, 2, 0]);
  const n = Uint32Array.from([30, 30, 30, 30]);
  try {
    filterJunctions({ k, n, samples: 2 }, { throwIfEmpty: true });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, EmptyFilterResultError);
    assert.is((e as Error).message, 'no feature passed the filters: every feature has max k < 20 (minExpressionInOneSample). kept 0 of 2 features; dropped 2 (a feature may fail several: max k < 20: 2, 75% quantile of N < 10: 0)');
    assert.is((e as EmptyFilterResultError).result.kept, 0);
  }
  assert.throws(() => filterJunctions({ k, n, samples: 2 }, { quantile: 1.5 }), (e: Error) => e instanceof ArgumentValueError && e.message === 'quantile must be a number in [0, 1], got 1.5');
  assert.throws(() => filterJunctions({ k, n, samples: 3 }), /k has 4 entries, not a multiple of samples = 3/);
});

// ---- the real example data ----------------------------------------------------------------

const realTest = hasReal ? test : test.skip;
if (!hasReal) console.log(`../shared/data/fraser-example is absent (${real}); the real-data metric tests are skipped`);

function rawRows(file: string, sep = '\t'): string[][] {
  return gunzipSync(readFileSync(join(real, file))).toString('utf8').trim().split('\n').map((l) => l.split(sep));
}

realTest('on the real data every metric equals the value computed here from the raw rows, for every junction and site', async () => {
  const { samples, junctions, sites } = await io.readSpliceCounts(join(real, 'raw_junction_counts.tsv.gz'), join(real, 'raw_site_counts.tsv.gz'));
  const N = samples.length;
  const jr = rawRows('raw_junction_counts.tsv.gz').slice(1);
  const sr = rawRows('raw_site_counts.tsv.gz').slice(1);
  const J = jr.length;
  const S = sr.length;
  const kj = (r: string[], i: number) => Number(r[5 + i]);
  const ks = (r: string[], i: number) => Number(r[7 + i]);
  const siteById = new Map(sr.map((r) => [r[5], r]));
  const minus = (r: string[]) => r[4] === '-';
  const m = { psi5: psi5(junctions), psi3: psi3(junctions), jaccard: jaccard(junctions, sites), theta: theta(junctions, sites) };
  assert.is(m.jaccard.unlinked, 0);
  for (let j = 0; j < J; j++) {
    const r = jr[j];
    const donor = (x: string[]) => (minus(x) ? x[2] : x[1]);
    const acceptor = (x: string[]) => (minus(x) ? x[1] : x[2]);
    const same5 = jr.filter((x) => x[0] === r[0] && minus(x) === minus(r) && donor(x) === donor(r));
    const same3 = jr.filter((x) => x[0] === r[0] && minus(x) === minus(r) && acceptor(x) === acceptor(r));
    for (let i = 0; i < N; i++) {
      const k = kj(r, i);
      const n5 = same5.reduce((s, x) => s + kj(x, i), 0);
      const n3 = same3.reduce((s, x) => s + kj(x, i), 0);
      const nj = n5 + n3 - k + ks(siteById.get(r[17])!, i) + ks(siteById.get(r[18])!, i);
      const c = i * J + j;
      assert.is(m.psi5.n[c], n5, `psi5 n, junction ${j}, sample ${i}`);
      assert.is(m.psi3.n[c], n3, `psi3 n, junction ${j}, sample ${i}`);
      assert.is(m.jaccard.n[c], nj, `jaccard n, junction ${j}, sample ${i}`);
      assert.is(m.jaccard.k[c], k);
      assert.ok(Object.is(m.jaccard.psi[c], nj > 0 ? k / nj : NaN));
    }
  }
  for (let s = 0; s < S; s++) {
    const r = sr[s];
    const touching = jr.filter((x) => x[17] === r[5] || x[18] === r[5]);
    for (let i = 0; i < N; i++) {
      const n = ks(r, i) + touching.reduce((a, x) => a + kj(x, i), 0);
      assert.is(m.theta.n[i * S + s], n, `theta n, site ${s}, sample ${i}`);
      assert.is(m.theta.k[i * S + s], ks(r, i));
    }
  }
  // A few junctions spelled out: the first row (chr19:7126380-7690902, only sample2 has a read).
  assert.is(m.jaccard.k[1 * J + 0], 1);
  for (const metric of Object.values(m)) for (let c = 0; c < metric.k.length; c++) assert.ok(metric.k[c] <= metric.n[c]);
  const f = filterJunctions({ k: m.jaccard.k, n: m.jaccard.n, samples: N, psi: m.jaccard.psi });
  assert.ok(f.kept > 0 && f.kept < J, f.summary);
  for (let j = 0; j < J; j++) {
    const ks20 = jr[j].slice(5, 17).some((v) => Number(v) >= 20);
    if (!ks20) assert.is(f.passed[j], 0);
  }
  console.log(`  real data: ${f.summary}`);
});

realTest('on the real external counts psi5/psi3/theta are the given totals and jaccard adds the linked sites’ non-split reads', async () => {
  const e = await io.readExternalCounts(join(real, 'external-counts'));
  const N = e.samples.length;
  const rows = (name: string) => rawRows(`external-counts/${name}_counts.tsv.gz`, ',').slice(1);
  const [kj, n5, n3, kt, nt] = ['k_j', 'n_psi5', 'n_psi3', 'k_theta', 'n_theta'].map(rows);
  const siteAt = new Map(kt.map((r) => [`${r[0]}:${r[1]}-${r[2]}`, r]));
  const J = kj.length;
  const jac = externalMetric('jaccard', e);
  let linked = 0;
  for (let j = 0; j < J; j++) {
    const r = kj[j];
    const a = siteAt.get(`${r[0]}:${Number(r[1]) - 1}-${r[1]}`);
    const b = siteAt.get(`${r[0]}:${r[2]}-${Number(r[2]) + 1}`);
    linked += (a ? 1 : 0) + (b ? 1 : 0);
    for (let i = 0; i < N; i++) {
      const want = Number(n5[j][5 + i]) + Number(n3[j][5 + i]) - Number(r[5 + i]) + (a ? Number(a[5 + i]) : 0) + (b ? Number(b[5 + i]) : 0);
      assert.is(jac.n[i * J + j], want, `jaccard n, junction ${j}, sample ${i}`);
    }
  }
  assert.is(jac.unlinked, 2 * J - linked);
  const p5 = externalMetric('psi5', e);
  assert.is(p5.n[2 * J + 1], Number(n5[1][7]));
  const th = externalMetric('theta', e);
  assert.is(th.n[5 * kt.length + 3], Number(nt[3][10]));
});

test.run();
