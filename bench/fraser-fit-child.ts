/**
 * One end-to-end FRASER fit in its own process, for bench/fraser-fit.cases.ts.
 *
 *   node --import tsx bench/fraser-fit-child.ts simulate <dir> <N> <J>
 *     simulates a cohort from the model (fraser.simulate: a 5-dimensional latent confounder,
 *     beta-binomial counts, outliers injected in 0.1 % of the cells, seed 7) and writes k and n
 *     (u32, N×J) and the outlier labels (u8) to <dir>;
 *   node --import tsx bench/fraser-fit-child.ts fit <dir> <implementation> <q|auto> [maxRounds] [scoring|lbfgs]
 *     reads them, fits, and prints one JSON line: the wall time of the fit and of every stage
 *     (from onProgress), the peak resident memory of the process (inputs included), and the AUC-PR
 *     of the p-values against the injected outliers, so that a fast but wrong fit cannot pass; the
 *     last argument picks the ae fit's encoderOptimizer (default: the fit's).
 *
 * The simulation runs in its own process so that its truth arrays do not count in the fit's peak.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { averagePrecision, fraser, init } from '../src/index.js';

const [mode, dir, ...rest] = process.argv.slice(2);
await init();
if (mode === 'simulate') {
  const [N, J] = rest.map(Number);
  const sim = fraser.simulate({ samples: N, junctions: J, seed: 7, latentDim: 5, confounderSd: 0.8, outlierFrequency: 1e-3 });
  writeFileSync(join(dir, 'k.u32'), sim.k);
  writeFileSync(join(dir, 'n.u32'), sim.n);
  writeFileSync(join(dir, 'outliers.u8'), sim.outliers);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ N, J }));
} else {
  const [implementation, qs, roundsS, encoderOptimizer] = rest;
  const { N } = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const u32 = (f: string) => { const b = readFileSync(join(dir, f)); return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
  const k = u32('k.u32'), n = u32('n.u32');
  const outliers = new Uint8Array(readFileSync(join(dir, 'outliers.u8')));
  const t1 = performance.now();
  const stages: { stage: string; round?: number; at: number }[] = [];
  const f = fraser.fit({ k, n, samples: N }, {
    implementation: implementation as 'pca', q: qs === 'auto' ? 'auto' : Number(qs), maxRounds: roundsS ? Number(roundsS) : undefined,
    encoderOptimizer: encoderOptimizer as 'scoring' | 'lbfgs' | undefined,
    onProgress: (p) => { if (p.fraction === undefined || p.fraction === 1) stages.push({ stage: p.stage, round: p.round, at: (performance.now() - t1) / 1e3 }); },
  });
  const fitSeconds = (performance.now() - t1) / 1e3;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  // The kernel's high-water mark of the resident set, read the same moment (Linux only).
  const hwm = /VmHWM:\s+(\d+) kB/.exec(existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '');
  const peakHwm = hwm ? Number(hwm[1]) * 1024 : undefined;
  const ap = averagePrecision(f.pValues.map((v) => -Math.log(Math.max(v, 1e-300))), outliers);
  console.log(JSON.stringify({ implementation, encoderOptimizer, N, J: k.length / N, q: f.q, fit: fitSeconds, stages, aucPr: ap, peakRss, peakHwm }));
}
