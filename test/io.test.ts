/**
 * src/io: the reference's junction and site tables, external counts, plain K/N matrices, sample
 * tables and junction → gene annotations, read from plain and gzip files, bytes, chunk streams
 * and web streams; the atomic writers; and every kind of bad input, whose typed error names the
 * file, line and column. The hand-written fixtures are in test/fixtures/io (see its README); the
 * real example data in ../shared/data/fraser-example is read when present.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as io from '../src/io/index.js';
import { gunzipWeb } from '../src/io/source.js';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/io/${name}`, import.meta.url));
const enc = (s: string) => new TextEncoder().encode(s);
const real = fileURLToPath(new URL('../../shared/data/fraser-example/', import.meta.url));
const hasReal = existsSync(join(real, 'raw_junction_counts.tsv.gz'));

/** Expects `fn` to reject with an error of class `cls` whose message is exactly `message`. */
async function rejects(fn: () => Promise<unknown>, cls: Function, message: string | RegExp): Promise<io.InputFormatError> {
  try {
    await fn();
  } catch (e) {
    assert.instance(e, cls, `expected ${cls.name}, got ${(e as Error).name}: ${(e as Error).message}`);
    if (typeof message === 'string') assert.is((e as Error).message, message);
    else assert.match((e as Error).message, message);
    return e as io.InputFormatError;
  }
  assert.unreachable(`expected ${cls.name}: ${message}`);
  throw new Error('unreachable');
}

const JUNCTIONS_K = [
  [10, 5, 3, 4, 6, 7, 0],
  [0, 0, 2, 0, 0, 0, 0],
];

test('the junction table gives samples, coordinates, site ids and counts as samples × junctions', async () => {
  const t = await io.readJunctionTable(fx('junctions.tsv'));
  assert.equal(t.samples, ['s1', 's2']);
  assert.equal(t.features.ids, ['chr1:100-200:+', 'chr1:100-300:+', 'chr1:150-300:+', 'chr1:100-200:-', 'chr1:120-200:-', 'chr2:10-50:*', 'chr2:10-80:*']);
  assert.equal(Array.from(t.features.start), [100, 100, 150, 100, 120, 10, 10]);
  assert.equal(Array.from(t.features.width), [101, 201, 151, 101, 81, 41, 71]);
  assert.equal(t.features.strand, ['+', '+', '+', '-', '-', '*', '*']);
  assert.equal(t.startID, ['1', '1', '2', '5', '6', '8', '8']);
  assert.equal(t.endID, ['3', '4', '4', '7', '7', '9', '10']);
  assert.instance(t.counts, Uint32Array);
  assert.equal(Array.from(t.counts), JUNCTIONS_K.flat());
  assert.equal(Array.from(t.lines), [2, 3, 4, 5, 6, 7, 8]);
});

test('gzip is detected by its magic bytes, from a path, bytes, one-byte chunks, a web stream and a Blob, all alike', async () => {
  const plain = await io.readJunctionTable(fx('junctions.tsv'));
  const gz = readFileSync(fx('junctions.tsv.gz'));
  const oneByte = async function* () {
    for (const b of gz) yield new Uint8Array([b]);
  };
  const web = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < gz.length; i += 7) c.enqueue(new Uint8Array(gz.subarray(i, i + 7)));
      c.close();
    },
  });
  const sources: io.ByteSource[] = [fx('junctions.tsv.gz'), new Uint8Array(gz), oneByte(), web, new Blob([gz]), new URL(`file://${fx('junctions.tsv.gz')}`)];
  for (const s of sources) {
    const t = await io.readJunctionTable(s);
    assert.equal(t.features.ids, plain.features.ids);
    assert.equal(Array.from(t.counts), Array.from(plain.counts));
    assert.equal(t.startID, plain.startID);
  }
});

test('DecompressionStream (the path used where there is no Node) inflates the same bytes', async () => {
  const gz = readFileSync(fx('junctions.tsv.gz'));
  const chunks = async function* () {
    yield new Uint8Array(gz.subarray(0, 5));
    yield new Uint8Array(gz.subarray(5));
  };
  const parts: Uint8Array[] = [];
  for await (const c of gunzipWeb(chunks(), 'x.gz')) parts.push(c);
  assert.is(Buffer.concat(parts).toString('utf8'), readFileSync(fx('junctions.tsv'), 'utf8'));
  const bad = async function* () {
    yield new Uint8Array(gz.subarray(0, 30));
  };
  await rejects(async () => {
    for await (const _ of gunzipWeb(bad(), 'x.gz'));
  }, io.InputFileError, /^x\.gz: gzip data is corrupt or truncated/);
});

test('lines are streamed in batches across chunk boundaries, with CRLF, a BOM and no final newline', async () => {
  const text = '\ufeffa\tb\r\nccc\r\n\r\nd';
  const bytes = enc(text);
  const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
  const lines: string[] = [];
  for await (const batch of io.lineBatches(chunks)) lines.push(...batch);
  assert.equal(lines, ['a\tb', 'ccc', '', 'd']);
});

test('the site table gives ids and types; readSpliceCounts puts its samples in the junctions’ order', async () => {
  const s = await io.readSiteTable(fx('sites.tsv'));
  assert.equal(s.samples, ['s2', 's1']);
  assert.equal(s.spliceSiteID, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  assert.equal(s.type.slice(0, 5), ['Donor', 'Donor', 'Acceptor', 'Acceptor', 'Acceptor']);
  assert.equal(s.features.ids[4], 'chr1:99-100:-');
  const both = await io.readSpliceCounts(fx('junctions.tsv.gz'), fx('sites.tsv'));
  assert.equal(both.samples, ['s1', 's2']);
  assert.equal(both.sites.samples, ['s1', 's2']);
  assert.equal(Array.from(both.sites.counts), [2, 1, 3, 0, 5, 0, 1, 4, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
});

test('a junction table without startID/endID is read with null site ids', async () => {
  const t = await io.readJunctionTable(fx('junctions-noids.tsv'));
  assert.is(t.startID, null);
  assert.is(t.endID, null);
  assert.equal(Array.from(t.counts), JUNCTIONS_K.flat());
});

test('external counts: files found by name pattern, tables aligned by rows and sample columns, annotation matched', async () => {
  const e = await io.readExternalCounts(fx('external'));
  assert.equal(e.samples, ['s1', 's2']);
  assert.is(e.junctions.ids.length, 7);
  assert.is(e.sites.ids.length, 10);
  assert.equal(Array.from(e.kJ), JUNCTIONS_K.flat());
  // n_psi3 is stored with reversed rows and swapped sample columns.
  assert.equal(Array.from(e.nPsi3), [10, 8, 8, 4, 6, 7, 0, 0, 2, 2, 0, 0, 0, 0]);
  assert.equal(Array.from(e.nPsi5), [15, 15, 3, 10, 10, 7, 7, 0, 0, 2, 0, 0, 0, 0]);
  assert.equal(Array.from(e.nTheta.subarray(0, 10)), [17, 4, 13, 8, 9, 6, 11, 11, 7, 2]);
  assert.match(e.files.n_psi3, /n_psi3\.csv\.gz$/);
  assert.equal(e.annotation!.ids, ['s1', 's3']);
  assert.equal(Array.from(e.annotationRow!), [0, -1]);
  const only = await io.readExternalCounts(fx('external'), { samples: ['s2'] });
  assert.equal(only.samples, ['s2']);
  assert.equal(Array.from(only.kJ), JUNCTIONS_K[1]);
  const dir = fx('external');
  const fromSources = await io.readExternalCounts({
    k_j: readFileSync(join(dir, 'k_j_counts.tsv.gz')),
    k_theta: join(dir, 'k_theta_counts.tsv'),
    n_psi5: join(dir, 'n_psi5_counts.csv'),
    n_psi3: join(dir, 'n_psi3.csv.gz'),
    n_theta: join(dir, 'n_theta_counts.txt'),
  });
  assert.equal(Array.from(fromSources.nPsi3), Array.from(e.nPsi3));
  assert.is(fromSources.annotation, null);
});

test('plain K and N matrices: an R row-name header, N reordered to K by id and sample, coordinates from ids', async () => {
  const m = await io.readCountMatrices(fx('k.tsv'), fx('n.tsv'));
  assert.equal(m.samples, ['s1', 's2']);
  assert.ok(m.hasCoordinates);
  assert.equal(m.features.ids[3], 'chr1:100-200:-');
  assert.equal([m.features.seqnames[3], m.features.start[3], m.features.end[3], m.features.strand[3]], ['chr1', 100, 200, '-']);
  assert.equal(Array.from(m.k), JUNCTIONS_K.flat());
  assert.equal(Array.from(m.n), [15, 15, 3, 10, 10, 7, 7, 0, 0, 2, 0, 0, 0, 0]);
  const c = await io.readCountMatrix(fx('k-custom.csv'));
  assert.equal(c.features.ids, ['custom-id-1', 'custom,id-2']);
  assert.not.ok(c.hasCoordinates);
  assert.is(c.features.start[0], 0);
  assert.is(c.idColumn, 'id');
  assert.equal(Array.from(c.counts), [4, 3, 1, 2]);
});

test('sample table: the sampleID column, rows by name, and a lacking sample is a SampleMismatchError unless allowed', async () => {
  const t = await io.readSampleTable(fx('samples.tsv'));
  assert.is(t.idColumn, 'sampleID');
  assert.equal(t.ids, ['s2', 's1']);
  assert.is(t.rows[1].sex, 'female');
  assert.equal(Array.from(io.matchSampleTable(t, ['s1', 's2'])), [1, 0]);
  assert.equal(Array.from(io.matchSampleTable(t, ['s1', 's9'], { allowMissing: true })), [1, -1]);
  assert.throws(() => io.matchSampleTable(t, ['s1', 's9'], { countsFile: 'k.tsv' }), (e: Error) => e instanceof io.SampleMismatchError && e.message === `${fx('samples.tsv')}: lacks sample 's9' of k.tsv`);
});

test('junction → gene annotation by coordinates: strand-compatible rows, genes split on ; and merged', async () => {
  const a = await io.readJunctionAnnotation(fx('genes.tsv'));
  assert.is(a.key, 'coordinates');
  assert.is(a.geneColumn, 'hgncSymbol');
  const t = await io.readJunctionTable(fx('junctions.tsv'));
  const g = io.annotateFeatures(a, t.features);
  // + junction: the + row; − junction: the − row; * rows match either strand; a * junction matches a + row.
  assert.equal(g.genes, [['GENEA'], ['GENEA', 'GENED'], [], ['GENEB', 'GENEC'], [], ['GENEE'], []]);
  assert.is(g.matched, 4);
  assert.is(g.unmatched, 3);
});

test('junction → gene annotation by id: exact ids, and chr:start-end ids matched by coordinates', async () => {
  const a = await io.readJunctionAnnotation(fx('genes-by-id.tsv'));
  assert.is(a.key, 'id');
  assert.is(a.idColumn, 'junctionID');
  const t = await io.readJunctionTable(fx('junctions.tsv'));
  assert.equal(io.annotateFeatures(a, t.features).genes.slice(0, 4), [['GENEA'], [], ['GENEF'], []]);
  const c = await io.readCountMatrix(fx('k-custom.csv'));
  assert.equal(io.annotateFeatures(a, c.features).genes, [['GENEX'], []]);
});

test('the writers write the reference tables atomically (no temporary file left), plain or gzip, and read back equal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-io-'));
  try {
    const { junctions: j, sites: s } = await io.readSpliceCounts(fx('junctions.tsv'), fx('sites.tsv'));
    await io.writeJunctionTable(join(dir, 'j.tsv'), { ...j, startID: j.startID!, endID: j.endID! });
    await io.writeSiteTable(join(dir, 's.tsv.gz'), s);
    assert.equal(readdirSync(dir).sort(), ['j.tsv', 's.tsv.gz']);
    assert.is(readFileSync(join(dir, 'j.tsv'), 'utf8'), readFileSync(fx('junctions.tsv'), 'utf8'));
    assert.is(readFileSync(join(dir, 's.tsv.gz'))[0], 0x1f);
    const s2 = await io.readSiteTable(join(dir, 's.tsv.gz'));
    assert.equal(s2.samples, ['s1', 's2']);
    assert.equal(Array.from(s2.counts), Array.from(s.counts));
    assert.equal(s2.type, s.type);
    // A failing write leaves the previous file and no temporary one.
    await rejects(() => io.writeJunctionTable(join(dir, 'no-such-dir', 'j.tsv'), { ...j, startID: j.startID!, endID: j.endID! }), Error, /ENOENT/);
    await assert.throws(() => io.formatJunctionTable({ ...j, startID: j.startID!, endID: j.endID!, counts: new Uint32Array(3) }).next(), /counts has 3 entries, not samples × features = 2 × 7/);
    assert.equal(readdirSync(dir).sort(), ['j.tsv', 's.tsv.gz']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deriveSpliceSites numbers the sites of a junction set, donor on the start side except on −', () => {
  const d = io.deriveSpliceSites({ seqnames: ['chr1', 'chr1', 'chr1'], start: [100, 100, 150], end: [200, 300, 200], strand: ['+', '+', '-'] });
  assert.equal(d.features.ids, ['chr1:99-100:+', 'chr1:149-150:-', 'chr1:200-201:+', 'chr1:300-301:+', 'chr1:200-201:-']);
  assert.equal(d.type, ['Donor', 'Acceptor', 'Acceptor', 'Acceptor', 'Donor']);
  assert.equal(d.startID, [1, 1, 2]);
  assert.equal(d.endID, [3, 4, 5]);
});

// ---- bad input: every error names the file, the line and the column -------------------------

const JH = 'seqnames\tstart\tend\twidth\tstrand\ts1\ts2\tstartID\tendID\n';
const SH = 'seqnames\tstart\tend\twidth\tstrand\tspliceSiteID\ttype\ts1\ts2\n';
const jt = (text: string, name = 'j.tsv') => io.readJunctionTable(enc(text), { name });
const st = (text: string, name = 's.tsv') => io.readSiteTable(enc(text), { name });

test('a wrong header is a HeaderError naming the column', async () => {
  await rejects(() => jt('seqnames\tstart\tend\tstrand\ts1\n'), io.HeaderError, "j.tsv, line 1, column 4 (strand): a junction table needs column 'width' here (expected 'seqnames', 'start', 'end', 'width', 'strand' from column 1), found 'strand'");
  await rejects(() => st('seqnames\tstart\tend\twidth\tstrand\ttype\ts1\n'), io.HeaderError, "s.tsv, line 1, column 6 (type): a splice-site table needs column 'spliceSiteID' here (expected 'seqnames', 'start', 'end', 'width', 'strand', 'spliceSiteID', 'type' from column 1), found 'type'");
  await rejects(() => jt('seqnames\tstart\tend\twidth\tstrand\ts1\tstartID\n'), io.HeaderError, "j.tsv, line 1, column 7 (startID): has 'startID' but not 'endID'; give both or neither");
  await rejects(() => jt('seqnames\tstart\tend\twidth\tstrand\tstartID\tendID\n'), io.HeaderError, 'j.tsv, line 1: has no sample columns');
  await rejects(() => jt(''), io.HeaderError, 'j.tsv: is empty: no header line');
  await rejects(() => io.readCountMatrix(enc('\nid\ts1\n'), { name: 'k.tsv' }), io.HeaderError, 'k.tsv, line 1: the first line must be the header, found an empty line');
});

test('a ragged row is a RaggedRowError naming the first missing or extra column', async () => {
  await rejects(() => jt(JH + 'chr1\t10\t20\t11\t+\t1\t2\t1\t2\nchr1\t10\t30\t21\t+\t1\t2\t1\n'), io.RaggedRowError, 'j.tsv, line 3, column 9 (endID): has 8 fields, the header has 9');
  await rejects(() => jt(JH + 'chr1\t10\t20\t11\t+\t1\t2\t1\t2\t7\n'), io.RaggedRowError, "j.tsv, line 2, column 10: has more fields than the header's 9");
});

test('counts that are negative, fractional, not numbers, empty or too large are CountValueErrors at their cell', async () => {
  const row = (v: string) => JH + `chr1\t10\t20\t11\t+\t1\t${v}\t1\t2\n`;
  await rejects(() => jt(row('-1')), io.CountValueError, "j.tsv, line 2, column 7 (s2): count '-1' is negative");
  await rejects(() => jt(row('2.5')), io.CountValueError, "j.tsv, line 2, column 7 (s2): count '2.5' is not an integer");
  await rejects(() => jt(row('NA')), io.CountValueError, "j.tsv, line 2, column 7 (s2): count 'NA' is not a number");
  await rejects(() => jt(row('')), io.CountValueError, 'j.tsv, line 2, column 7 (s2): empty field where a count is expected');
  await rejects(() => jt(row('4294967296')), io.CountValueError, "j.tsv, line 2, column 7 (s2): count '4294967296' exceeds 4294967295, the largest count supported");
  // Integral values in R's other notations are counts.
  const t = await jt(row('1e+05') + 'chr1\t10\t30\t21\t+\t3.0\t4294967295\t1\t2\n');
  assert.equal(Array.from(t.counts), [1, 3, 100000, 4294967295]);
});

test('an unknown splice-site type, strand, coordinate or width is a FieldValueError at its cell', async () => {
  await rejects(() => st(SH + 'chr1\t9\t10\t2\t+\t1\tBranchpoint\t0\t0\n'), io.FieldValueError, "s.tsv, line 2, column 7 (type): unknown splice-site type 'Branchpoint' (expected Donor or Acceptor)");
  await rejects(() => jt(JH + 'chr1\t10\t20\t11\tplus\t1\t2\t1\t2\n'), io.FieldValueError, "j.tsv, line 2, column 5 (strand): strand 'plus' is not one of +, -, *");
  await rejects(() => jt(JH + 'chr1\t10\t20\t10\t+\t1\t2\t1\t2\n'), io.FieldValueError, 'j.tsv, line 2, column 4 (width): width 10 is not end − start + 1 = 11');
  await rejects(() => jt(JH + 'chr1\tx\t20\t11\t+\t1\t2\t1\t2\n'), io.FieldValueError, "j.tsv, line 2, column 2 (start): 'x' is not a genomic position (an integer ≥ 1)");
  await rejects(() => jt(JH + 'chr1\t30\t20\t11\t+\t1\t2\t1\t2\n'), io.FieldValueError, 'j.tsv, line 2, column 3 (end): end 20 is before start 30');
  await rejects(() => io.readCountMatrix(enc('id,s1\n"a,1\n'), { name: 'k.csv' }), io.FieldValueError, 'k.csv, line 2, column 1: unterminated quoted field (a quoted field cannot span lines)');
});

test('duplicated sample names and duplicated features are DuplicateNameErrors', async () => {
  await rejects(() => jt('seqnames\tstart\tend\twidth\tstrand\ts1\ts2\ts1\tstartID\tendID\n'), io.DuplicateNameError, "j.tsv, line 1, column 8 (s1): sample 's1' appears twice in the header (columns 6 and 8)");
  await rejects(() => jt(JH + 'chr1\t10\t20\t11\t+\t1\t2\t1\t2\n\nchr1\t10\t20\t11\t+\t1\t2\t1\t2\n'), io.DuplicateNameError, "j.tsv, line 4: junction 'chr1:10-20:+' already appears on line 2");
  await rejects(() => st(SH + 'chr1\t9\t10\t2\t+\t1\tDonor\t0\t0\nchr1\t19\t20\t2\t+\t1\tDonor\t0\t0\n'), io.DuplicateNameError, "s.tsv, line 3, column 6: spliceSiteID '1' already appears on line 2");
  await rejects(() => io.readSampleTable(enc('sampleID\nA\nA\n'), { name: 'samples.tsv' }), io.DuplicateNameError, "samples.tsv, line 3, column 1 (sampleID): sample 'A' already appears on line 2");
});

test('mismatched samples between tables are SampleMismatchErrors naming both files and the samples', async () => {
  const j = enc(JH + 'chr1\t10\t20\t11\t+\t1\t2\t1\t2\n');
  const s = enc('seqnames\tstart\tend\twidth\tstrand\tspliceSiteID\ttype\ts1\ts3\nchr1\t9\t10\t2\t+\t1\tDonor\t0\t0\n');
  await rejects(() => io.readSpliceCounts(j, s, { junctions: { name: 'j.tsv' }, sites: { name: 's.tsv' } }), io.SampleMismatchError, "s.tsv, line 1: lacks sample 's2' of j.tsv and has sample 's3' that j.tsv lacks");
  await rejects(() => io.readCountMatrices(enc('id\ts1\ts2\na\t1\t1\n'), enc('id\ts2\na\t1\n'), { k: { name: 'k.tsv' }, n: { name: 'n.tsv' } }), io.SampleMismatchError, "n.tsv, line 1: lacks sample 's1' of k.tsv");
  await rejects(() => io.readExternalCounts(fx('external'), { samples: ['s1', 's9'] }), io.SampleMismatchError, new RegExp(`k_j_counts\\.tsv\\.gz, line 1: has no column for sample 's9'$`));
});

test('K above N is a CountValueError at the N cell; a feature missing from N is a FeatureMismatchError', async () => {
  await rejects(() => io.readCountMatrices(enc('id\ts1\ts2\na\t1\t5\nb\t0\t0\n'), enc('id\ts2\ts1\nb\t0\t0\na\t4\t1\n'), { k: { name: 'k.tsv' }, n: { name: 'n.tsv' } }), io.CountValueError, "n.tsv, line 3, column 2 (s2): total 4 is below the count 5 in k.tsv (line 2) for sample 's2', feature 'a'");
  await rejects(() => io.readCountMatrices(enc('id\ts1\na\t1\nb\t1\n'), enc('id\ts1\na\t1\n'), { k: { name: 'k.tsv' }, n: { name: 'n.tsv' } }), io.FeatureMismatchError, "n.tsv: lacks 1 feature of k.tsv, first 'b' (line 3 there)");
  await rejects(() => io.readCountMatrices(enc('id\ts1\na\t1\n'), enc('id\ts1\na\t1\nc\t1\n'), { k: { name: 'k.tsv' }, n: { name: 'n.tsv' } }), io.FeatureMismatchError, "n.tsv, line 3: has 1 feature(s) that k.tsv lacks, first 'c'");
  const dir = mkdtempSync(join(tmpdir(), 'latentwasm-ext-'));
  try {
    for (const f of readdirSync(fx('external'))) writeFileSync(join(dir, f), readFileSync(join(fx('external'), f)));
    const n5 = readFileSync(join(dir, 'n_psi5_counts.csv'), 'utf8').replace('chr1,100,300,201,+,15,0', 'chr1,100,300,201,+,4,0');
    writeFileSync(join(dir, 'n_psi5_counts.csv'), n5);
    await rejects(() => io.readExternalCounts(dir), io.CountValueError, new RegExp(`n_psi5_counts\\.csv, line 3, column 6 \\(s1\\): total 4 is below the count 5 in .*k_j_counts\\.tsv\\.gz \\(line 3\\) for sample 's1', feature 'chr1:100-300:\\+'$`));
    rmSync(join(dir, 'n_theta_counts.txt'));
    await rejects(() => io.readExternalCounts(dir), io.InputFileError, `${dir}: lacks the n_theta table (expected e.g. n_theta_counts.tsv.gz)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing file and corrupt gzip are InputFileErrors naming the file', async () => {
  await rejects(() => io.readJunctionTable('/no/such/file.tsv'), io.InputFileError, '/no/such/file.tsv: cannot read: no such file or directory');
  const gz = gzipSync(enc(JH + 'chr1\t10\t20\t11\t+\t1\t2\t1\t2\n'));
  await rejects(() => io.readJunctionTable(gz.subarray(0, gz.length - 12), { name: 'cut.tsv.gz' }), io.InputFileError, /^cut\.tsv\.gz: gzip data is corrupt or truncated/);
  const flipped = Uint8Array.from(gz);
  flipped[12] ^= 0xff;
  await rejects(() => io.readJunctionTable(flipped, { name: 'bad.tsv.gz' }), io.InputFileError, /^bad\.tsv\.gz: gzip data is corrupt or truncated/);
});

test('a parse error inside gzip data stops the read with the error; a failing source’s own error is rethrown', async () => {
  const rows = Array.from({ length: 20000 }, (_, j) => `chr1\t${10 + j}\t${20 + j}\t11\t+\t1\t${j === 2 ? 'x' : 2}\t1\t2\n`).join('');
  const gz = gzipSync(enc(JH + rows));
  await rejects(() => io.readJunctionTable(gz, { name: 'big.tsv.gz' }), io.CountValueError, "big.tsv.gz, line 4, column 7 (s2): count 'x' is not a number");
  const failing = async function* () {
    yield new Uint8Array(gz.subarray(0, 100));
    throw new RangeError('disk on fire');
  };
  await rejects(() => io.readJunctionTable(failing(), { name: 'f.tsv.gz' }), RangeError, 'disk on fire');
  await rejects(async () => {
    for await (const _ of gunzipWeb(failing(), 'f.tsv.gz'));
  }, RangeError, 'disk on fire');
});

test('concatenated gzip members (as bgzip writes) are read whole under Node', async () => {
  const a = gzipSync(enc(JH + 'chr1\t10\t20\t11\t+\t1\t2\t1\t2\n'));
  const b = gzipSync(enc('chr1\t10\t30\t21\t+\t3\t4\t1\t3\n'));
  const t = await io.readJunctionTable(Buffer.concat([a, b]));
  assert.equal(Array.from(t.counts), [1, 3, 2, 4]);
});

// ---- the real example data ----------------------------------------------------------------

const REAL_SKIP = `../shared/data/fraser-example is absent (${real}); the real-data tests are skipped`;
const realTest = hasReal ? test : test.skip;
if (!hasReal) console.log(REAL_SKIP);

realTest('the real junction and site tables read whole: 123 junctions, 165 sites, 12 samples, every cell equal to the raw text', async () => {
  const { samples, junctions, sites } = await io.readSpliceCounts(join(real, 'raw_junction_counts.tsv.gz'), join(real, 'raw_site_counts.tsv.gz'));
  assert.is(samples.length, 12);
  assert.is(junctions.features.ids.length, 123);
  assert.is(sites.features.ids.length, 165);
  for (const [file, t, first] of [['raw_junction_counts.tsv.gz', junctions, 5], ['raw_site_counts.tsv.gz', sites, 7]] as const) {
    const rows = gunzipSync(readFileSync(join(real, file))).toString('utf8').trim().split('\n').map((l) => l.split('\t'));
    const F = rows.length - 1;
    assert.equal(rows[0].slice(first, first + 12), samples);
    for (let j = 0; j < F; j++) for (let i = 0; i < 12; i++) assert.is(t.counts[i * F + j], Number(rows[j + 1][first + i]));
  }
  const st = await io.readSampleTable(join(real, 'samples.tsv'));
  assert.equal(Array.from(io.matchSampleTable(st, samples)), Array.from({ length: 12 }, (_, i) => i));
});

realTest('the real external counts read whole, with their annotation (which lacks one of the six samples)', async () => {
  const e = await io.readExternalCounts(join(real, 'external-counts'));
  assert.equal(e.samples, ['35834', '57415', '61695', '61982', '65937', '66623']);
  assert.is(e.junctions.ids.length, 69);
  assert.is(e.sites.ids.length, 76);
  assert.equal(Array.from(e.annotationRow!), [0, 1, 2, 3, 4, -1]);
  const rows = gunzipSync(readFileSync(join(real, 'external-counts', 'n_theta_counts.tsv.gz'))).toString('utf8').trim().split('\n').map((l) => l.split(','));
  for (let j = 0; j < 76; j++) for (let i = 0; i < 6; i++) assert.is(e.nTheta[i * 76 + j], Number(rows[j + 1][5 + i]));
  const annotated = await io.readExternalCounts(join(real, 'external-counts'), { samples: e.annotation!.ids });
  assert.is(annotated.samples.length, 5);
  assert.equal(Array.from(annotated.kJ.subarray(0, 69)), Array.from(e.kJ.subarray(0, 69)));
});

test.run();
