// The three binaries every kernel test runs on (not a test file: uvu runs *.test.ts only).
import { init, loadCore, type Core } from '../src/index.js';

/** init(), then the baseline SIMD, scalar and (where this Node compiles it) relaxed SIMD cores. */
export async function loadCores(): Promise<Record<string, Core>> {
  await init();
  const cores: Record<string, Core> = { baseline: await loadCore({ simd: 'baseline' }), scalar: await loadCore({ simd: 'scalar' }) };
  try {
    cores.relaxed = await loadCore({ simd: 'relaxed' });
  } catch {
    // A host without relaxed SIMD: the other two binaries still run.
  }
  return cores;
}
