// Linear-algebra exports (assembly/linalg.ts). symmetricEigen computes the same in every build
// (its one SIMD loop, the QL rotations of Q's rows, does the scalar loop's arithmetic exactly), so
// it has no separate twin.
export {
  gemm, gemmScalar, gemmWorkspaceBytes,
  gemv, gemvScalar,
  dot, dotScalar,
  axpy, axpyScalar,
  scal, scalScalar,
  cholesky, choleskyScalar,
  trsmLower, trsmLowerScalar,
  choleskySolve, choleskySolveScalar,
  symmetricEigen,
} from "./linalg";
