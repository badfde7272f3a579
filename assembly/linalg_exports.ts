// Linear-algebra exports (assembly/linalg.ts). symmetricEigen is scalar code in every build, so
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
