/**
 * latentwasm: latent-variable models for count and continuous data with a WebAssembly SIMD core.
 *
 *   import { init, special, optim, linalg } from 'latentwasm';
 *   await init();                       // loads the best binary this host compiles, once
 *   special.lgamma(new Float64Array([0.5, 10]));
 */
export { init, loadCore, getCore, Core } from './wasm/core.js';
export type { InitOptions, SimdMode, SimdLevel } from './wasm/core.js';
export { Workspace, WasmArray } from './wasm/workspace.js';
export { Heap, WASM32_MAX_BYTES } from './wasm/heap.js';
export * as special from './special.js';
export * as linalg from './linalg/index.js';
export * as optim from './optim/index.js';
export * as fraser from './models/fraser/index.js';
export * as pln from './models/pln/index.js';
export * as nn from './nn/index.js';
export * as stats from './stats/index.js';
export * as io from './io/index.js';
export * as plot from './plot/index.js';
export { betaBinomial, adjust } from './stats/index.js';
export { averagePrecision } from './metrics.js';
export { Rng } from './random.js';
export * from './errors.js';
