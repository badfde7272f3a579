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

type Gemm = (
  transA: number, transB: number, m: number, n: number, k: number, alpha: number,
  pA: number, lda: number, pB: number, ldb: number, beta: number, pC: number, ldc: number, pWork: number,
) => void;
type Gemv = (trans: number, m: number, n: number, alpha: number, pA: number, lda: number, px: number, beta: number, py: number) => void;
type Trsm = (trans: number, n: number, nrhs: number, pL: number, ldl: number, pB: number, ldb: number) => void;
type CholSolve = (n: number, nrhs: number, pL: number, ldl: number, pB: number, ldb: number) => void;

/** assembly/linalg.ts: row-major, leading dimensions in elements, transposes as 0/1. */
export interface LinalgExports {
  gemm: Gemm; gemmScalar: Gemm;
  gemmWorkspaceBytes(): number;
  gemv: Gemv; gemvScalar: Gemv;
  dot(px: number, py: number, n: number): number; dotScalar(px: number, py: number, n: number): number;
  axpy(alpha: number, px: number, py: number, n: number): void; axpyScalar(alpha: number, px: number, py: number, n: number): void;
  scal(alpha: number, px: number, n: number): void; scalScalar(alpha: number, px: number, n: number): void;
  /** 0, or i+1 when the leading minor of order i+1 is not positive definite. */
  cholesky(n: number, pA: number, lda: number): number; choleskyScalar(n: number, pA: number, lda: number): number;
  trsmLower: Trsm; trsmLowerScalar: Trsm;
  choleskySolve: CholSolve; choleskySolveScalar: CholSolve;
  /** 0, or j+1 when eigenvalue j did not converge. */
  /** pe: 2n f64 (off-diagonal, then scratch). */
  symmetricEigen(n: number, pA: number, lda: number, pd: number, pe: number, vectors: number): number;
}

export interface CoreExports extends SpecialExports, LinalgExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  simdLevel(): number;
}
