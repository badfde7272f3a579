/**
 * The benchmark contract. Each bench/*.cases.ts module exports `cases(): Promise<BenchCase[]>`;
 * bench/run.ts runs them all with tinybench, side by side within each group, and writes
 * bench/out/results.jsonl plus a markdown table. A case returns a checksum folded from its output
 * so that the work cannot be optimised away; the runner accumulates it.
 */
import { Rng } from '../src/random.js';

export interface BenchCase {
  /** Cases in one group are compared with each other; the first is the baseline of the ratios. */
  group: string;
  /** Implementation name, e.g. 'wasm simd', 'wasm scalar', 'plain TS', 'numpy'. */
  name: string;
  /** Work per call in `unit`s (elements, flops for gemm, or 1 call), for throughput. */
  work: number;
  unit: 'elements' | 'flop' | 'calls';
  /** One call of the real code path; returns a checksum of its output. */
  fn?: () => number;
  /**
   * For external implementations measured in another process (numpy/scipy, torch): the median
   * seconds per call measured there, with its spread, in the same run.
   */
  external?: { median: number; p25: number; p75: number; samples: number };
  /** Minimum time to spend on this case, ms (default 500). */
  time?: number;
}

/** A deterministic uniform generator for benchmark inputs (the library's own seeded Rng). */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.uniform();
}
