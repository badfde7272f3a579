/**
 * FRASER's results table and saved models: the rows carry the reference's columns and values,
 * the cutoffs select exactly the cells that pass them, gene-level p-values follow Holm → min → BY
 * (checked against an independent computation with adjust.holm/adjust.by), and a model saved to
 * files and loaded back scores new samples exactly as the fit does; damaged files give errors
 * naming the file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adjust, fraser, init, ArgumentValueError, ShapeError } from '../src/index.js';

const N = 40;
const J = 200;
let sim: ReturnType<typeof fraser.simulate>;
let fit: ReturnType<typeof fraser.fit>;

test.before(async () => {
  await init();
  sim = fraser.simulate({ samples: N, junctions: J, latentDim: 2, confounderSd: 0.8, outlierFrequency: 1e-2, seed: 5 });
  fit = fraser.fit({ k: sim.k, n: sim.n, samples: N }, { implementation: 'pca', q: 2 });
});

function input(genes?: string[][]): fraser.ResultsInput {
  return {
    sampleIds: Array.from({ length: N }, (_, i) => `S${i + 1}`),
    features: {
      seqnames: Array.from({ length: J }, () => 'chr1'),
      start: Float64Array.from({ length: J }, (_, j) => 1000 + 100 * j),
      end: Float64Array.from({ length: J }, (_, j) => 1050 + 100 * j),
      strand: Array.from({ length: J }, (_, j) => (j % 2 ? '-' : '+')),
    },
    type: 'jaccard',
    k: sim.k, n: sim.n, pValues: fit.pValues, padj: fit.padj, deltaPsi: fit.deltaPsi,
    genes,
  };
}

test('every row carries the reference columns and values; --all has N×J rows', () => {
  const rows = [...fraser.allResults(input())];
  assert.is(rows.length, N * J);
  const r = rows[3 * J + 17];
  assert.equal([r.sampleID, r.seqnames, r.start, r.end, r.width, r.strand, r.type], ['S4', 'chr1', 2700, 2750, 51, '-', 'jaccard']);
  const c = 3 * J + 17;
  assert.is(r.counts, sim.k[c]);
  assert.is(r.totalCounts, sim.n[c]);
  assert.is(r.pValue, fit.pValues[c]);
  assert.is(r.padjust, fit.padj[c]);
  assert.is(r.deltaPsi, fit.deltaPsi[c]);
  assert.ok(Math.abs(r.psiValue - sim.k[c] / sim.n[c]) < 1e-15);
  let mk = 0, mn = 0;
  for (let i = 0; i < N; i++) {
    mk += sim.k[i * J + 17];
    mn += sim.n[i * J + 17];
  }
  assert.ok(Math.abs(r.meanCounts - mk / N) < 1e-12 && Math.abs(r.meanTotalCounts - mn / N) < 1e-12);
  const line = fraser.tsvLine(r).trimEnd().split('\t');
  assert.is(line.length, fraser.RESULT_COLUMNS.length);
  assert.is(fraser.tsvHeader().trimEnd().split('\t')[9], 'padjust');
});

test('calls are exactly the cells with padj ≤ cutoff, |Δψ| ≥ cutoff and n ≥ minCoverage, sorted by sample then p', () => {
  for (const opts of [{}, { padjCutoff: 0.5, deltaPsiCutoff: 0.05, minCoverage: 20 }]) {
    const calls = fraser.aberrantResults(input(), opts);
    const pc = (opts as { padjCutoff?: number }).padjCutoff ?? 0.1;
    const dc = (opts as { deltaPsiCutoff?: number }).deltaPsiCutoff ?? 0.1;
    const nc = (opts as { minCoverage?: number }).minCoverage ?? 5;
    let expected = 0;
    for (let c = 0; c < N * J; c++) if (fit.padj[c] <= pc && Math.abs(fit.deltaPsi[c]) >= dc && sim.n[c] >= nc) expected++;
    assert.is(calls.length, expected);
    assert.ok(expected > 0, 'some calls');
    for (let r = 1; r < calls.length; r++) {
      const a = calls[r - 1], b = calls[r];
      const ia = Number(a.sampleID.slice(1)), ib = Number(b.sampleID.slice(1));
      assert.ok(ia < ib || (ia === ib && a.pValue <= b.pValue), `order at ${r}`);
    }
    const per = fraser.aberrantPerSample(input(), opts);
    assert.is(per.reduce((s, x) => s + x.events, 0), expected);
  }
  assert.throws(() => fraser.aberrantResults(input(), { padjCutoff: -1 }), (e: unknown) => e instanceof ArgumentValueError && /padjCutoff/.test((e as Error).message));
  assert.throws(() => fraser.aberrantResults({ ...input(), padj: new Float64Array(3) }), (e: unknown) => e instanceof ShapeError && /padj/.test((e as Error).message));
});

test('gene level: Holm within a gene, minimum, BY across genes, per sample; a feature in two genes counts in both', () => {
  // 200 features in 40 genes of 5; feature 7 also belongs to gene G2 (two genes).
  const genes = Array.from({ length: J }, (_, j) => [`G${Math.floor(j / 5)}`]);
  genes[7] = ['G1', 'G2'];
  const rows = fraser.geneResults(input(genes), { all: true });
  for (const i of [0, 13]) {
    // Independent computation.
    const members = new Map<string, number[]>();
    genes.forEach((gs, j) => gs.forEach((g) => members.set(g, [...(members.get(g) ?? []), j])));
    const names = [...members.keys()];
    const gp = Float64Array.from(names, (g) => {
      const ps = Float64Array.from(members.get(g)!, (j) => fit.pValues[i * J + j]);
      return Math.min(...adjust.holm(ps));
    });
    const gadj = adjust.by(gp);
    const mine = rows.filter((r) => r.sampleID === `S${i + 1}`);
    assert.is(mine.length, names.length);
    for (const r of mine) {
      const g = names.indexOf(r.hgncSymbol);
      assert.ok(Math.abs(r.pValueGene! - gp[g]) <= 1e-15 * Math.max(1e-300, gp[g]) + 1e-300, `${r.hgncSymbol} p`);
      assert.ok(Math.abs(r.padjustGene! - gadj[g]) <= 1e-12 * gadj[g] + 1e-300, `${r.hgncSymbol} padj ${r.padjustGene} vs ${gadj[g]}`);
      const ps = members.get(r.hgncSymbol)!.map((j) => fit.pValues[i * J + j]);
      assert.is(r.pValue, Math.min(...ps));
    }
  }
  const calls = fraser.geneResults(input(genes));
  assert.ok(calls.every((r) => r.aberrant && r.padjustGene! <= 0.1));
  assert.ok(calls.length <= rows.length);
  assert.throws(() => fraser.geneResults(input()), /annotation/);
});

test('a model saved to files and loaded back scores new samples exactly as the fit; damaged files name the file', () => {
  const files = fraser.modelToFiles(fit.model, { metric: 'jaccard' });
  assert.ok(files.has('model.json') && files.has('arrays/E.f64') && files.has('arrays/kept.u32'));
  const { model, extra } = fraser.modelFromFiles((name) => files.get(name));
  assert.equal(extra, { metric: 'jaccard' });
  assert.is(model.q, fit.q);
  const M = 3;
  const k = sim.k.slice(0, M * J), n = sim.n.slice(0, M * J);
  const a = fit.predict({ k, n });
  const b = model.predict({ k, n });
  assert.equal(Array.from(b.pValues), Array.from(a.pValues));
  assert.equal(Array.from(b.padj), Array.from(a.padj));
  assert.equal(Array.from(b.mu), Array.from(a.mu));
  // Damage: a truncated array, a missing array, bad JSON.
  const cut = new Map(files);
  cut.set('arrays/rho.f64', files.get('arrays/rho.f64')!.subarray(8));
  assert.throws(() => fraser.modelFromFiles((x) => cut.get(x)), (e: unknown) => e instanceof ShapeError && /arrays\/rho\.f64/.test((e as Error).message));
  const gone = new Map(files);
  gone.delete('arrays/D.f64');
  assert.throws(() => fraser.modelFromFiles((x) => gone.get(x)), /arrays\/D\.f64 is missing/);
  const bad = new Map(files);
  bad.set('model.json', new TextEncoder().encode('{'));
  assert.throws(() => fraser.modelFromFiles((x) => bad.get(x)), /model\.json is not valid JSON/);
  assert.throws(() => fraser.modelFromFiles(() => undefined), /model\.json is missing/);
});

test.run();
