/**
 * The raw export list of the WebAssembly core (assembly/index.ts), typed by hand. Pointers and
 * sizes are numbers (wasm32 addresses in bytes); every kernel returns void unless stated.
 * Each kernel `name` has a twin `nameScalar` that runs the scalar loop even in a SIMD build.
 */
type Unary = (px: number, py: number, n: number) => void;
type Binary = (pa: number, pk: number, py: number, n: number) => void;

export interface SpecialExports {
  expArray: Unary; expArrayScalar: Unary;
  logArray: Unary; logArrayScalar: Unary;
  log1pArray: Unary; log1pArrayScalar: Unary;
  sigmoidArray: Unary; sigmoidArrayScalar: Unary;
  logitArray: Unary; logitArrayScalar: Unary;
  log1pexpArray: Unary; log1pexpArrayScalar: Unary;
  lgammaArray: Unary; lgammaArrayScalar: Unary;
  digammaArray: Unary; digammaArrayScalar: Unary;
  trigammaArray: Unary; trigammaArrayScalar: Unary;
  lgammaDiffArray: Binary; lgammaDiffArrayScalar: Binary;
  digammaDiffArray: Binary; digammaDiffArrayScalar: Binary;
  lgammaDigammaArray: (px: number, plg: number, pdg: number, n: number) => void;
  lgammaDigammaArrayScalar: (px: number, plg: number, pdg: number, n: number) => void;
}

export interface CoreExports extends SpecialExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  simdLevel(): number;
  // Linear algebra kernels are declared in src/linalg/exports.ts and merged in CoreExports there.
  [name: string]: unknown;
}
