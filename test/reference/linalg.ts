/**
 * Plain-TS references for the linear-algebra kernels, written from the definitions: the
 * benchmark's "plain TS" rows and a cross-check in the tests.
 */

/** C = A·B for row-major A (m×k) and B (k×n), i-p-j loop order (unit stride in the inner loop). */
export function gemmRef(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array): Float64Array {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      const bo = p * n;
      const co = i * n;
      for (let j = 0; j < n; j++) c[co + j] += x * b[bo + j];
    }
  }
  return c;
}

/** y = A·x for row-major A (m×n). */
export function gemvRef(m: number, n: number, a: Float64Array, x: Float64Array, y: Float64Array): Float64Array {
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** In-place lower Cholesky factor of a row-major SPD matrix (Cholesky–Crout); returns false if not SPD. */
export function choleskyRef(n: number, a: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= a[i * n + p] * a[j * n + p];
      if (i === j) {
        if (!(s > 0)) return false;
        a[i * n + i] = Math.sqrt(s);
      } else {
        a[i * n + j] = s / a[j * n + j];
      }
    }
    for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  }
  return true;
}
