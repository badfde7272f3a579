// The export list of the WebAssembly core: pointer ABI only (pointers, sizes, leading dimensions
// and scalars). Every kernel has a Scalar twin. TypeScript owns all memory: the region from
// heapBase() upwards is managed by src/wasm/workspace.ts, and no kernel allocates.

export { digammaArray,
  digammaArrayScalar,
  digammaDiffArray,
  digammaDiffArrayScalar,
  expArray,
  expArrayScalar,
  lgammaArray,
  lgammaArrayScalar,
  lgammaDiffArray,
  lgammaDiffArrayScalar,
  lgammaDigammaArray,
  lgammaDigammaArrayScalar,
  log1pArray,
  log1pArrayScalar,
  log1pexpArray,
  log1pexpArrayScalar,
  logArray,
  logArrayScalar,
  logitArray,
  logitArrayScalar,
  sigmoidArray,
  sigmoidArrayScalar,
  trigammaArray,
  trigammaArrayScalar } from "./special";
export * from "./linalg_exports";
export * from "./bbstats";
export * from "./betabinom";
export * from "./fraserrows";
export * from "./nn";
export * from "./pln";
export * from "./lbfgs";

/** First free byte of linear memory after static data; TypeScript allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 when this binary was compiled with SIMD, 2 with relaxed SIMD, 0 for the scalar build. */
export function simdLevel(): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) return 2;
  if (ASC_FEATURE_SIMD) return 1;
  return 0;
}
