/**
 * The benchmark contract. Each bench/*.cases.ts module exports `cases(): Promise<BenchCase[]>`;
 * bench/run.ts runs them all with tinybench, side by side within each group, and writes
 * bench/out/results.jsonl plus a markdown table. A case returns a checksum folded from its output
 * so that the work cannot be optimised away; the runner accumulates it.
 */
export interface BenchCase {
  /** Cases in one group are compared with each other; the first is the baseline of the ratios. */
  group: string;
  /** Implementation name, e.g. 'wasm simd', 'wasm scalar', 'plain TS', 'numpy'. */
  name: string;
  /** Work per call in `unit`s (elements, or flops for gemm), for throughput. */
  work: number;
  unit: 'elements' | 'flop';
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

/** A deterministic uniform generator (mulberry32) for benchmark inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
