/**
 * Poisson-lognormal fits side by side with an independent PyTorch implementation of the same ELBO
 * (bench/py/pln_torch.py, float64, one thread) on the seed's design at n = 10⁴, p = 200, q = 20
 * (AR1(0.5) truncated to rank 20): ours (L-BFGS with the Hessian-diagonal preconditioner, stopping
 * on a relative ELBO change of 1e-8) against torch's Rprop at lr 0.01 for 400 iterations (the
 * reference packages' choice) and torch's L-BFGS run to its own tolerance. Each row is one fit in
 * its own process (a single measurement, not a median); the row name carries the exact ELBO, the
 * iterations and, for ours, the relative Σ error and the intercept RMSE against the truth.
 * Targets: `pca` converged in ≤ 5 s with an ELBO ≥ the best torch run; `full` converged in ≤ 10 s.
 * Also the recovery check of issue 5 at n = 10⁴, p = 100, q = 10 (pca: relative Σ error ≤ 0.12,
 * intercept RMSE ≤ 0.02). Skipped unless the filter names "PLN fit" or there is no filter; torch
 * rows need `python3 -c "import torch"` and are skipped with a message otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

function child(args: string[]): Record<string, any> | undefined {
  const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', join(here, 'pln-child.ts'), ...args], {
    cwd: root, encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out.trim().split('\n').pop();
  return line ? JSON.parse(line) : undefined;
}

function torch(dir: string, model: string, rank?: number): Record<string, any>[] {
  const args = [join(here, 'py', 'pln_torch.py'), 'fit', dir, '--model', model, ...(rank ? ['--rank', String(rank)] : [])];
  const r = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
  if (r.status !== 0) {
    console.error(`torch rows skipped: ${(r.stderr || '').trim().split('\n').pop()}`);
    return [];
  }
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

function dataset(n: number, p: number, q: number): string {
  const dir = join(tmpdir(), `latentwasm-bench-pln-${n}x${p}x${q}`);
  if (!existsSync(join(dir, 'meta.json'))) {
    mkdirSync(dir, { recursive: true });
    child(['simulate', dir, String(n), String(p), String(q)]);
  }
  return dir;
}

const once = (seconds: number) => ({ median: seconds, p25: seconds, p75: seconds, samples: 1 });

export async function cases(): Promise<BenchCase[]> {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (filters.length > 0 && !filters.some((f) => 'PLN fit'.includes(f) || f.includes('PLN fit'))) return [];
  const out: BenchCase[] = [];
  const hasTorch = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  const dir = dataset(10000, 200, 20);
  for (const [model, rank] of [['pca', 20], ['full', undefined]] as const) {
    const group = `PLN fit, ${model} (n=10000, p=200${rank ? `, q=${rank}` : ''}; the seed's design)`;
    const ours = child(['fit', dir, model, ...(rank ? [String(rank)] : [])]);
    if (ours) {
      out.push({
        group, work: 1, unit: 'calls', external: once(ours.seconds),
        name: `latentwasm L-BFGS (preconditioned): ELBO ${ours.elbo.toFixed(1)}, ${ours.iterations} iterations (${ours.reason}); Σ error ${ours.sigmaRelErr.toFixed(3)}, intercept RMSE ${ours.interceptRmse.toFixed(3)}`,
      });
    }
    if (hasTorch) {
      for (const t of torch(dir, model, rank)) {
        out.push({ group, work: 1, unit: 'calls', external: once(t.seconds ?? t.total_seconds ?? NaN), name: `torch ${t.optim ?? t.optimizer ?? '?'}: ELBO ${Number(t.elbo).toFixed(1)}, ${t.iterations} iterations${t.reason ? ` (${t.reason})` : ''}` });
      }
    } else console.error('torch rows skipped: python3 cannot import torch (pip install torch)');
  }
  const rec = child(['fit', dataset(10000, 100, 10), 'pca', '10']);
  if (rec) {
    out.push({
      group: 'PLN fit, recovery with pca (n=10000, p=100, q=10): relative Σ error ≤ 0.12, intercept RMSE ≤ 0.02', work: 1, unit: 'calls', external: once(rec.seconds),
      name: `latentwasm: Σ error ${rec.sigmaRelErr.toFixed(3)}, intercept RMSE ${rec.interceptRmse.toFixed(3)}, ELBO ${rec.elbo.toFixed(1)}, ${rec.iterations} iterations (${rec.reason})`,
    });
  }
  return out;
}
