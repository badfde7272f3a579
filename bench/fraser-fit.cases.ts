/**
 * FRASER fits end to end, each in its own process (bench/fraser-fit-child.ts), on cohorts
 * simulated from the model: wall time per stage, peak resident memory, and the AUC-PR of the
 * p-values against the injected outliers. These are single runs of long jobs (tens of seconds),
 * so each row is one measurement, not a median; the per-call kernels behind them are measured
 * side by side with numpy/scipy and plain TS in bench/fraser.cases.ts and bench/stats.cases.ts.
 *
 * - the `pca` path at N = 500, J = 100 000 (PCA through the Gram matrix, ρ per junction, p-values,
 *   per-sample BY): target ≤ 30 s and ≤ 2 GB peak, inputs included;
 * - one `ae` round at N = 500, J = 5000, q = 20 (updateE + updateD + updateRho): target ≤ 5 s;
 *   with updateE by scoring (the default) and by the reference's L-BFGS over E, one after the other;
 *   the reference (FRASER's R/C++ code) takes ~100 s per round at this size
 *   (../shared/design/reference-facts.md).
 *
 * Skipped unless the bench filter names them (`npm run bench -- "FRASER fit"`) or no filter is
 * given; simulating 5·10⁷ cells takes about a minute by itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

interface ChildResult {
  implementation: string;
  N: number;
  J: number;
  q: number;
  fit: number;
  stages: { stage: string; round?: number; at: number }[];
  aucPr: number;
  peakRss: number;
}

function child(args: string[]): ChildResult | undefined {
  const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', join(here, 'fraser-fit-child.ts'), ...args], {
    cwd: root, encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out.trim().split('\n').pop();
  return line ? (JSON.parse(line) as ChildResult) : undefined;
}

function dataset(N: number, J: number): string {
  const dir = join(tmpdir(), `latentwasm-bench-fraser-${N}x${J}`);
  if (!existsSync(join(dir, 'meta.json'))) {
    mkdirSync(dir, { recursive: true });
    child(['simulate', dir, String(N), String(J)]);
  }
  return dir;
}

const once = (seconds: number) => ({ median: seconds, p25: seconds, p75: seconds, samples: 1 });
const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

export async function cases(): Promise<BenchCase[]> {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (filters.length > 0 && !filters.some((f) => 'FRASER fit'.includes(f) || f.includes('FRASER fit'))) return [];
  const out: BenchCase[] = [];

  const big = child(['fit', dataset(500, 100000), 'pca', 'auto']);
  if (big) {
    const group = 'FRASER fit, pca end to end (N=500, J=100000; PCA, ρ, p-values, BY)';
    const last = (s: string) => big.stages.filter((x) => x.stage === s).pop()?.at ?? NaN;
    const pcaEnd = last('pca'), rhoEnd = last('rho'), statsStart = last('statistics');
    out.push({ group, name: `whole fit (q = ${big.q} by OHT; peak RSS ${gb(big.peakRss)}; AUC-PR ${big.aucPr.toFixed(3)})`, work: 1, unit: 'calls', external: once(big.fit) });
    out.push({ group, name: 'PCA (Gram over junction blocks, eigen, q by OHT)', work: 1, unit: 'calls', external: once(pcaEnd) });
    out.push({ group, name: 'ρ per junction (and the z-score scale), streamed', work: 1, unit: 'calls', external: once(rhoEnd - pcaEnd) });
    out.push({ group, name: 'p-values and per-sample BY', work: 1, unit: 'calls', external: once(big.fit - statsStart) });
  }

  // The default (updateE by Fisher scoring over H) and the reference's L-BFGS over E, in one run.
  const group = 'FRASER fit, one ae round (N=500, J=5000, q=20)';
  for (const enc of ['scoring', 'lbfgs'] as const) {
    const ae = child(['fit', dataset(500, 5000), 'ae', '20', '1', enc]);
    if (!ae) continue;
    const t = (stage: string, round?: number) => ae.stages.find((x) => x.stage === stage && x.round === round)?.at ?? NaN;
    const start = ae.stages.find((x) => x.stage === 'rho' && x.round === undefined)?.at ?? NaN;
    const e = t('updateE', 1), d = t('updateD', 1), r = t('rho', 1);
    const how = enc === 'scoring' ? 'updateE by scoring over H (default)' : 'updateE by L-BFGS over E (the reference\'s)';
    out.push({ group, name: `${how}: one round, updateE + updateD + updateRho (AUC-PR after the whole fit ${ae.aucPr.toFixed(3)})`, work: 1, unit: 'calls', external: once(r - start) });
    out.push({ group, name: `${how}: updateE${enc === 'scoring' ? ' (x xᵀ and its factorisation included)' : ', ≤ 50 iterations'}`, work: 1, unit: 'calls', external: once(e - start) });
    out.push({ group, name: `${how}: updateD (Fisher scoring per junction, batched)`, work: 1, unit: 'calls', external: once(d - e) });
    out.push({ group, name: `${how}: updateRho (Newton on logit ρ per junction)`, work: 1, unit: 'calls', external: once(r - d) });
  }
  return out;
}
