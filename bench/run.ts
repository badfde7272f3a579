/**
 * npm run bench [-- filter…]: runs every bench/*.cases.ts side by side within each group with
 * tinybench, prints a table of medians and ratios, and writes bench/out/results.jsonl and
 * bench/out/results.md. `--write` also regenerates bench/RESULTS.md (tables + bench/notes.md).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import type { BenchCase } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const write = args.includes('--write');
const filters = args.filter((a) => !a.startsWith('--'));

interface Row {
  group: string;
  name: string;
  unit: BenchCase['unit'];
  work: number;
  median: number; // seconds per call
  p25: number;
  p75: number;
  samples: number;
  checksum?: number;
}

function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function measure(c: BenchCase): Promise<Row> {
  const base = { group: c.group, name: c.name, unit: c.unit, work: c.work };
  if (c.external) return { ...base, ...c.external };
  let checksum = 0;
  const fn = c.fn!;
  const bench = new Bench({ time: c.time ?? 500, warmupTime: 150, retainSamples: true });
  bench.add(c.name, () => {
    checksum += fn();
  });
  await bench.run();
  const r = bench.tasks[0].result as unknown as { latency: { p50: number; samples?: ArrayLike<number>; samplesCount: number } };
  const s = r.latency.samples ?? [r.latency.p50];
  return {
    ...base,
    median: r.latency.p50 / 1e3,
    p25: quantile(s, 0.25) / 1e3,
    p75: quantile(s, 0.75) / 1e3,
    samples: r.latency.samplesCount,
    checksum,
  };
}

function throughput(r: Row): string {
  const per = r.work / r.median;
  if (r.unit === 'flop') return `${(per / 1e9).toFixed(2)} GFLOP/s`;
  if (r.unit === 'calls') return `${per.toFixed(per < 10 ? 2 : 1)} calls/s`;
  return `${(per / 1e6).toFixed(1)} M el/s`;
}

function fmtTime(s: number): string {
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(2)} ms`;
  return `${s.toFixed(2)} s`;
}

const files = readdirSync(here).filter((f) => f.endsWith('.cases.ts')).sort();
const rows: Row[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { cases: () => Promise<BenchCase[]> };
  const cases = (await mod.cases()).filter((c) => filters.length === 0 || filters.some((q) => `${c.group} ${c.name}`.includes(q)));
  for (const c of cases) {
    const r = await measure(c);
    rows.push(r);
    process.stderr.write(`${r.group} | ${r.name}: ${fmtTime(r.median)} (${throughput(r)})\n`);
  }
}

const groups = [...new Set(rows.map((r) => r.group))];
const lines: string[] = [];
for (const g of groups) {
  const rs = rows.filter((r) => r.group === g);
  const base = rs[0];
  lines.push(`### ${g}`, '', '| implementation | median per call | p25–p75 | throughput | speed vs first row |', '|---|---|---|---|---|');
  for (const r of rs) {
    lines.push(`| ${r.name} | ${fmtTime(r.median)} | ${fmtTime(r.p25)}–${fmtTime(r.p75)} | ${throughput(r)} | ×${(base.median / r.median).toFixed(2)} |`);
  }
  lines.push('');
}
const table = lines.join('\n');
console.log(table);

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = [
  `Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, single-threaded. ` +
    `Date: ${new Date().toISOString().slice(0, 10)}.`,
  `Command: \`npm run bench${args.length ? ' -- ' + args.join(' ') : ''}\`. Medians of tinybench samples (external ` +
    'rows: medians of repeated calls timed inside that process, same inputs and sizes).',
  '',
].join('\n');
mkdirSync(join(here, 'out'), { recursive: true });
writeFileSync(join(here, 'out', 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
writeFileSync(join(here, 'out', 'results.md'), header + '\n' + table);
if (write) {
  const notes = existsSync(join(here, 'notes.md')) ? readFileSync(join(here, 'notes.md'), 'utf8') : '';
  let commit = '';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: here }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  const doc = `# Benchmark results\n\n${header}Commit: ${commit}.\n\n${notes}\n## Tables\n\n${table}`;
  const tmp = join(here, 'RESULTS.md.tmp');
  writeFileSync(tmp, doc);
  renameSync(tmp, join(here, 'RESULTS.md'));
}
