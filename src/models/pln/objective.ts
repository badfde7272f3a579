/**
 * The variational ELBO of the Poisson-lognormal models and its gradients, on buffers in
 * WebAssembly memory. One evaluation: the linear predictor L and half-variance H by gemm, then
 * one pass of assembly/pln.ts over the cells (A = exp(L + H), Σ Y·L − A, R = Y − A), then the
 * gradient blocks by gemm from R and A.
 *
 * Models (n samples, p variables, d covariates, rank q; O offsets; K = Σ lnΓ(Y+1)):
 *   pca      θ = (B d×p, C p×q, M n×q, log S n×q)
 *            L = O + XB + MCᵀ,  H = ½ S²(C∘C)ᵀ
 *            J = Σ[Y∘L − A] − ½Σ(M² + S²) + Σ log S − K + nq/2
 *            ∂B = XᵀR, ∂C = RᵀM − (AᵀS²)∘C, ∂M = RC − M, ∂log S = −(A(C∘C))∘S² − S² + 1
 *   fixed-v  as pca with C = V·diag(√λ), V given (p×q orthonormal), θ = (B, log λ q, M, log S):
 *            ∂√λ_k = Σ_j V_jk ∂C_jk,  ∂log λ_k = ½√λ_k·∂√λ_k   (the seed's ∂J/∂Λ^{1/2})
 *   full     θ = (M n×p, log S n×p); B and Σ profiled in closed form given (M, S):
 *            B̂ = (XᵀX)⁻¹XᵀM, E = M − XB̂, Σ̂ = (EᵀE + diag Σ_i S_i²)/n,
 *            L = O + M, H = ½S²,  J = Σ[Y∘L − A] − (n/2)·log|Σ̂| + Σ log S − K
 *            (the explicit ELBO −(n/2)log|Σ| − ½tr(Σ⁻¹(EᵀE + diag ΣS²)) + Σ log S − K + np/2 + Σ[Y∘L − A]
 *            at Σ = Σ̂: the trace term is −np/2); by the envelope theorem
 *            ∂M = R − EΣ̂⁻¹, ∂log S = −A∘S² − S²∘diag(Σ̂⁻¹) + 1
 *   diag     as full with Σ̂ = diag(EᵀE + Σ_i S_i²)/n
 * With `fixed` parameters (transform of new samples: B, C or Σ given) only (M, log S) are free and
 * the full/diag terms use the given B and Σ instead of the profiles.
 *
 * Evaluations return −J (for minimisers) and write −∂J. Source: Chiquet, Mariadassou & Robin,
 * "Variational inference for probabilistic Poisson PCA" (2018) and "The Poisson-lognormal model
 * as a versatile framework for the joint analysis of species abundances" (2021); the seed.
 */
import { ArgumentValueError } from '../../errors.js';
import { cholesky, choleskySolve, gemmWorkspace, matrix, NotPositiveDefiniteError } from '../../linalg/index.js';
import { Core, getCore } from '../../wasm/core.js';
import type { CoreExports } from '../../wasm/exports.js';
import { WasmArray, Workspace } from '../../wasm/workspace.js';

export type PlnModel = 'full' | 'diag' | 'pca' | 'fixed-v';

type FullGradientKernel = (n: number, p: number, pA: number, pS2: number, pES: number, pR: number, pOmega: number, pGM: number, pGS: number, pDM: number, pDS: number) => void;
type SquareExpKernel = (count: number, pX: number, pOut: number) => number;
type CellsKernel = (count: number, pY: number, pL: number, pH: number, pR: number, pA: number) => number;
interface PlnExports {
  plnCells: CellsKernel;
  plnCellsScalar: CellsKernel;
  plnSquareExp: SquareExpKernel;
  plnSquareExpScalar: SquareExpKernel;
  plnFullGradient: FullGradientKernel;
  plnFullGradientScalar: FullGradientKernel;
}

/** Parameters held fixed in a transform: the fitted model's. */
export interface PlnFixed {
  B: Float64Array;
  /** pca / fixed-v: C (p×q). */
  C?: Float64Array;
  /** full / diag: Σ (p×p; diag uses its diagonal). */
  Sigma?: Float64Array;
}

export interface PlnObjectiveOptions {
  model: PlnModel;
  Y: Float64Array;
  X: Float64Array;
  O: Float64Array | null;
  n: number;
  p: number;
  d: number;
  /** Rank (pca, fixed-v). */
  q?: number;
  /** fixed-v: V (p×q, orthonormal columns). */
  V?: Float64Array;
  /** Transform mode: these parameters are fixed, only (M, log S) are free. */
  fixed?: PlnFixed;
  core?: Core;
  scalar?: boolean;
}

/** Sizes of the blocks of θ, in order. */
export interface PlnLayout {
  B: number;
  C: number;
  logLambda: number;
  M: number;
  logS: number;
  /** Latent width: q (pca, fixed-v) or p (full, diag). */
  latent: number;
  total: number;
}

export class PlnObjective {
  readonly model: PlnModel;
  readonly n: number;
  readonly p: number;
  readonly d: number;
  readonly q: number;
  readonly layout: PlnLayout;
  /** Σ lnΓ(Y+1). */
  readonly logFactorial: number;
  /** Evaluations so far. */
  evaluations = 0;
  private readonly core: Core;
  private readonly ws: Workspace;
  private readonly cells: CellsKernel;
  private readonly squareExp: SquareExpKernel;
  private readonly fullGradient: FullGradientKernel;
  private readonly gemm: CoreExports['gemm'];
  private readonly gemmWork: number;
  private readonly fixed?: PlnFixed;
  private readonly V?: Float64Array;
  private readonly Yw: WasmArray<'f64'>;
  private readonly Xw: WasmArray<'f64'>;
  private readonly Ow: WasmArray<'f64'> | undefined;
  private readonly L: WasmArray<'f64'>;
  private readonly H: WasmArray<'f64'>;
  private readonly Mw: WasmArray<'f64'>;
  private readonly S2: WasmArray<'f64'>;
  private readonly Bw: WasmArray<'f64'>;
  private readonly Cw: WasmArray<'f64'> | undefined;
  private readonly C2: WasmArray<'f64'> | undefined;
  private readonly G1: WasmArray<'f64'>;
  private readonly G2: WasmArray<'f64'>;
  private readonly pq: WasmArray<'f64'> | undefined;
  private readonly P: WasmArray<'f64'> | undefined;
  private readonly pp: WasmArray<'f64'> | undefined;
  private readonly dp: WasmArray<'f64'>;
  private readonly X2: WasmArray<'f64'>;
  private readonly M2: WasmArray<'f64'> | undefined;
  /** Low rank: [X | M] (n×(d+q)), [Bᵀ | C] (p×(d+q)), [X∘X | S² | M∘M] (n×(d+2q)) and the products [X | M]ᵀR ((d+q)×p), [X∘X | S² | M∘M]ᵀA ((d+2q)×p). */
  private readonly XM: WasmArray<'f64'> | undefined;
  private readonly BC: WasmArray<'f64'> | undefined;
  private readonly W: WasmArray<'f64'> | undefined;
  private readonly T1: WasmArray<'f64'> | undefined;
  private readonly T2: WasmArray<'f64'> | undefined;
  private disposed = false;
  /**
   * A diagonal of the Hessian of −J at the last evaluated point (each entry > 0), for
   * `precondition`: the exact diagonal for M and log S given the other blocks' current values
   * (full, diag: A + ω and 2A∘S² + A∘S⁴ + 2ω∘S²; pca: (A(C∘C)) + 1 and 2(A(C∘C))∘S² + 2S², the
   * latter without the A(C∘C∘C∘C)∘S⁴ term), Σ_i X_ia² A_ij for B, (Aᵀ(M∘M) + AᵀS²) for C, and
   * Σ_j (C_jk/2)²·h(C_jk) for log λ — the curvature L-BFGS scales its steps with. (full computes
   * its inverse in the gradient kernel; this array is then filled from it when read.)
   */
  get hessianDiagonal(): Float64Array {
    if (this.hdFromInverse) {
      const h = this.hd, D = this.invDiag!;
      for (let i = 0; i < h.length; i++) h[i] = 1 / D[i];
      this.hdFromInverse = false;
    }
    return this.hd;
  }
  private readonly hd: Float64Array;
  /** hd is stale: the last evaluation (full) wrote only its inverse, invDiag. */
  private hdFromInverse = false;
  private invDiag: Float64Array | undefined;
  /** invDiag is 1/hessianDiagonal of the last evaluation already. */
  private invFresh = false;
  /** full: diag(Σ̂⁻¹) (p) and the second half of the inverse Hessian diagonal (n×p), in the core. */
  private readonly omegaW: WasmArray<'f64'> | undefined;
  private readonly DS: WasmArray<'f64'> | undefined;
  private colS2: Float64Array | undefined;
  private readonly noColumns = new Float64Array(0);
  /** After each evaluation of full/diag: the profiled B (d×p) and Σ (p×p; diag: its diagonal in a p×p matrix). */
  readonly profile: { B: Float64Array; Sigma: Float64Array };

  constructor(o: PlnObjectiveOptions) {
    const { n, p, d } = o;
    this.model = o.model;
    this.n = n;
    this.p = p;
    this.d = d;
    const lowRank = o.model === 'pca' || o.model === 'fixed-v';
    this.q = lowRank ? o.q! : p;
    const q = this.q;
    this.fixed = o.fixed;
    this.V = o.V;
    const free = !o.fixed;
    this.layout = {
      B: lowRank && free ? d * p : 0,
      C: o.model === 'pca' && free ? p * q : 0,
      logLambda: o.model === 'fixed-v' && free ? q : 0,
      M: n * q,
      logS: n * q,
      latent: q,
      total: 0,
    };
    const Lo = this.layout;
    Lo.total = Lo.B + Lo.C + Lo.logLambda + Lo.M + Lo.logS;
    this.core = o.core ?? getCore();
    const e = this.core.exports as unknown as CoreExports & PlnExports;
    const s = o.scalar ? 'Scalar' : '';
    this.cells = e[`plnCells${s}` as 'plnCells'];
    this.squareExp = e[`plnSquareExp${s}` as 'plnSquareExp'];
    this.fullGradient = e[`plnFullGradient${s}` as 'plnFullGradient'];
    this.gemm = e[`gemm${s}` as 'gemm'];
    if (typeof this.cells !== 'function' || typeof this.squareExp !== 'function' || typeof this.fullGradient !== 'function') throw new ArgumentValueError('this WebAssembly core has no PLN kernels (rebuild it)', 'core');
    this.gemmWork = gemmWorkspace(this.core);
    const ws = (this.ws = new Workspace(this.core));
    try {
      this.Yw = ws.f64(n * p, 'Y');
      this.Xw = ws.f64(n * d, 'X');
      this.Ow = o.O ? ws.f64(n * p, 'O') : undefined;
      this.L = ws.f64(n * p, 'L / R');
      this.H = ws.f64(n * p, 'H / A');
      this.Mw = ws.f64(n * q, 'M');
      this.S2 = ws.f64(n * q, 'S²');
      this.Bw = ws.f64(d * p, 'B');
      this.Cw = lowRank ? ws.f64(p * q, 'C') : undefined;
      this.C2 = lowRank ? ws.f64(p * q, 'C∘C') : undefined;
      this.G1 = ws.f64(n * q, 'gradient M');
      this.G2 = ws.f64(n * q, 'gradient S');
      this.pq = lowRank ? ws.f64(p * q, 'gradient C') : undefined;
      this.P = lowRank || o.fixed ? undefined : ws.f64(d * n, '(XᵀX)⁻¹Xᵀ');
      this.pp = lowRank ? undefined : ws.f64(p * p, 'Σ / Σ⁻¹');
      this.dp = ws.f64(d * p, 'gradient B');
      this.X2 = ws.f64(n * d, 'X∘X');
      this.M2 = lowRank ? ws.f64(n * q, 'M∘M') : undefined;
      this.omegaW = o.model === 'full' ? ws.f64(p, 'diag Σ̂⁻¹') : undefined;
      this.DS = o.model === 'full' ? ws.f64(n * p, 'inverse Hessian diagonal, log S') : undefined;
      this.XM = lowRank ? ws.f64(n * (d + q), '[X | M]') : undefined;
      this.BC = lowRank ? ws.f64(p * (d + q), '[Bᵀ | C]') : undefined;
      this.W = lowRank && free ? ws.f64(n * (d + 2 * q), '[X∘X | S² | M∘M]') : undefined;
      this.T1 = lowRank && free ? ws.f64((d + q) * p, '[X | M]ᵀR') : undefined;
      this.T2 = lowRank && free ? ws.f64((d + 2 * q) * p, '[X∘X | S² | M∘M]ᵀA') : undefined;
    } catch (err) {
      ws.dispose();
      throw err;
    }
    this.Yw.set(o.Y);
    this.Xw.set(o.X);
    this.X2.set(o.X.map((v) => v * v));
    if (this.Ow) this.Ow.set(o.O!);
    // Σ lnΓ(Y+1), exactly (not Stirling), with the core's lgamma.
    this.logFactorial = sumLogFactorial(this.core, this.Yw, this.L);
    if (!lowRank && !o.fixed) {
      // (XᵀX)⁻¹Xᵀ once: B̂ = P·M (not needed when B is fixed).
      const X = matrix(n, d, o.X);
      const xtx = new Float64Array(d * d);
      for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) xtx[a * d + b] += o.X[i * d + a] * o.X[i * d + b];
      const Lc = cholesky(matrix(d, d, xtx), { core: this.core });
      const Xt = new Float64Array(d * n);
      for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) Xt[a * n + i] = X.data[i * d + a];
      this.P!.set(choleskySolve(Lc, matrix(d, n, Xt), { core: this.core }).data);
    }
    if (o.fixed) {
      this.Bw.set(o.fixed.B);
      if (lowRank) this.setC(o.fixed.C!);
    }
    this.profile = { B: new Float64Array(d * p), Sigma: new Float64Array(p * p) };
    this.hd = new Float64Array(this.layout.total).fill(1);
  }

  /** 1/(the Hessian diagonal of the last evaluation): the L-BFGS preconditioner's D. */
  inverseHessianDiagonal(): Float64Array {
    const D = (this.invDiag ??= new Float64Array(this.hd.length));
    // full writes D itself in its gradient kernel (invFresh).
    if (!this.invFresh) {
      const h = this.hessianDiagonal;
      for (let i = 0; i < h.length; i++) D[i] = 1 / h[i];
    }
    return D;
  }

  private setC(C: Float64Array): void {
    this.Cw!.set(C);
    const c2 = this.C2!.view();
    for (let i = 0; i < C.length; i++) c2[i] = C[i] * C[i];
  }

  /** C from θ (pca: its block; fixed-v: V·diag(√λ)). */
  private cFrom(theta: Float64Array): Float64Array {
    const { p, q } = this;
    const Lo = this.layout;
    if (this.model === 'pca') return theta.subarray(Lo.B, Lo.B + Lo.C);
    const C = new Float64Array(p * q);
    for (let k = 0; k < q; k++) {
      const s = Math.exp(0.5 * theta[Lo.B + k]);
      for (let j = 0; j < p; j++) C[j * q + k] = this.V![j * q + k] * s;
    }
    return C;
  }

  private mm(tA: number, tB: number, m: number, nn: number, k: number, alpha: number, A: WasmArray<'f64'>, lda: number, Bm: WasmArray<'f64'>, ldb: number, beta: number, C: WasmArray<'f64'>, ldc: number): void {
    this.gemm(tA, tB, m, nn, k, alpha, A.ptr, lda, Bm.ptr, ldb, beta, C.ptr, ldc, this.gemmWork);
  }

  /** −J at θ; writes −∂J/∂θ into `grad` (same layout). Returns +Inf where J is not finite. */
  evaluate(theta: Float64Array, grad: Float64Array): number {
    if (this.disposed) throw new ArgumentValueError('this PlnObjective was disposed', 'objective');
    this.evaluations++;
    this.invFresh = false;
    const { n, p, d, q } = this;
    const Lo = this.layout;
    const lowRank = this.model === 'pca' || this.model === 'fixed-v';
    const off = Lo.B + Lo.C + Lo.logLambda;
    const M = theta.subarray(off, off + Lo.M);
    const logS = theta.subarray(off + Lo.M, off + Lo.M + Lo.logS);
    this.Mw.set(M);
    // S² = exp(2 log S) and Σ log S in one SIMD pass.
    this.S2.set(logS);
    const sumLogS = this.squareExp(logS.length, this.S2.ptr, this.S2.ptr);
    const s2 = this.S2.view();
    let C: Float64Array | undefined;
    const colS2 = lowRank ? this.noColumns : (this.colS2 ??= new Float64Array(p));
    if (lowRank) {
      if (!this.fixed) {
        this.Bw.set(theta.subarray(0, Lo.B));
        C = this.cFrom(theta);
        this.setC(C);
      } else C = this.fixed.C!;
      // L = O + [X | M]·[Bᵀ | C]ᵀ = O + XB + MCᵀ (one pass over L), H = ½ S²(C∘C)ᵀ
      const dq = d + q;
      const xm = this.XM!.view(), bc = this.BC!.view(), X = this.Xw.view(), Bv = this.Bw.view();
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < d; a++) xm[i * dq + a] = X[i * d + a];
        for (let k = 0; k < q; k++) xm[i * dq + d + k] = M[i * q + k];
      }
      for (let j = 0; j < p; j++) {
        for (let a = 0; a < d; a++) bc[j * dq + a] = Bv[a * p + j];
        for (let k = 0; k < q; k++) bc[j * dq + d + k] = C[j * q + k];
      }
      if (this.Ow) this.L.view().set(this.Ow.view());
      this.mm(0, 1, n, p, dq, 1, this.XM!, dq, this.BC!, dq, this.Ow ? 1 : 0, this.L, p);
      this.mm(0, 1, n, p, q, 0.5, this.S2, q, this.C2!, q, 0, this.H, p);
    } else {
      // L = O + M (without offsets the kernel reads M itself), H = ½S², and the column sums of S².
      if (this.Ow) {
        const L = this.L.view(), O = this.Ow.view();
        for (let i = 0; i < L.length; i++) L[i] = O[i] + M[i];
      }
      const H = this.H.view();
      colS2.fill(0);
      for (let i = 0, c = 0; i < n; i++) {
        for (let j = 0; j < p; j++, c++) {
          const v = s2[c];
          H[c] = 0.5 * v;
          colS2[j] += v;
        }
      }
    }
    const pL = lowRank || this.Ow ? this.L.ptr : this.Mw.ptr;
    const data = this.cells(n * p, this.Yw.ptr, pL, this.H.ptr, this.L.ptr, this.H.ptr);
    if (!Number.isFinite(data)) {
      grad.fill(0);
      return Infinity;
    }
    // Now L holds R = Y − A and H holds A.
    let J = data - this.logFactorial + sumLogS;
    const gM = grad.subarray(off, off + Lo.M);
    const gS = grad.subarray(off + Lo.M, off + Lo.M + Lo.logS);
    if (lowRank) {
      let sq = 0;
      for (let i = 0; i < M.length; i++) sq += M[i] * M[i] + s2[i];
      J += -0.5 * sq + 0.5 * n * q;
      // ∂M = RC − M; ∂log S = −(A(C∘C))∘S² − S² + 1
      this.mm(0, 0, n, q, p, 1, this.L, p, this.Cw!, q, 0, this.G1, q);
      this.mm(0, 0, n, q, p, 1, this.H, p, this.C2!, q, 0, this.G2, q);
      const g1 = this.G1.view(), g2 = this.G2.view();
      const hd = this.hessianDiagonal;
      for (let i = 0; i < gM.length; i++) {
        gM[i] = -(g1[i] - M[i]);
        gS[i] = -(-g2[i] * s2[i] - s2[i] + 1);
        hd[off + i] = g2[i] + 1;
        hd[off + Lo.M + i] = Math.max(2 * (g2[i] + 1) * s2[i], 1e-12);
      }
      if (!this.fixed) {
        // [X | M]ᵀR and [X∘X | S² | M∘M]ᵀA: two passes over R and A, the wide matrix as B operand
        // (packed row by row) and the skinny one transposed.
        const dq = d + q, w2 = d + 2 * q;
        const W = this.W!.view(), X2 = this.X2.view();
        for (let i = 0; i < n; i++) {
          for (let a = 0; a < d; a++) W[i * w2 + a] = X2[i * d + a];
          for (let k = 0; k < q; k++) {
            const m = M[i * q + k];
            W[i * w2 + d + k] = s2[i * q + k];
            W[i * w2 + d + q + k] = m * m;
          }
        }
        this.mm(1, 0, dq, p, n, 1, this.XM!, dq, this.L, p, 0, this.T1!, p);
        this.mm(1, 0, w2, p, n, 1, this.W!, w2, this.H, p, 0, this.T2!, p);
        const t1 = this.T1!.view(), t2 = this.T2!.view();
        // ∂B = XᵀR; curvature of B: (X∘X)ᵀA
        for (let i = 0; i < Lo.B; i++) {
          grad[i] = -t1[i];
          hd[i] = Math.max(t2[i], 1e-12);
        }
        // ∂C = RᵀM − (AᵀS²)∘C; curvature of C: Aᵀ(M∘M) + AᵀS²
        const gC = new Float64Array(p * q), hC = new Float64Array(p * q);
        for (let j = 0; j < p; j++) {
          for (let k = 0; k < q; k++) {
            const as2 = t2[(d + k) * p + j];
            gC[j * q + k] = t1[(d + k) * p + j] - as2 * C![j * q + k];
            hC[j * q + k] = Math.max(as2 + t2[(d + q + k) * p + j], 1e-12);
          }
        }
        if (this.model === 'pca') {
          for (let i = 0; i < Lo.C; i++) {
            grad[Lo.B + i] = -gC[i];
            hd[Lo.B + i] = hC[i];
          }
        } else {
          for (let k = 0; k < q; k++) {
            let g = 0, h = 0;
            for (let j = 0; j < p; j++) {
              g += this.V![j * q + k] * gC[j * q + k];
              h += 0.25 * C![j * q + k] ** 2 * hC[j * q + k];
            }
            const sl = Math.exp(0.5 * theta[Lo.B + k]);
            grad[Lo.B + k] = -(0.5 * sl * g);
            hd[Lo.B + k] = Math.max(h, 1e-12);
          }
        }
      }
      return -J;
    }
    // full / diag: B and Σ profiled (or fixed).
    const E = this.G1; // E = M − XB (n×p)
    if (this.fixed) this.Bw.set(this.fixed.B);
    else this.mm(0, 0, d, p, n, 1, this.P!, n, this.Mw, p, 0, this.Bw, p);
    if (d === 1) {
      // One pass instead of a copy and a k = 1 product.
      const e = E.view(), X = this.Xw.view(), Bv = this.Bw.view();
      for (let i = 0, c = 0; i < n; i++) {
        const x = X[i];
        for (let j = 0; j < p; j++, c++) e[c] = M[c] - x * Bv[j];
      }
    } else {
      E.view().set(M);
      this.mm(0, 0, n, p, d, -1, this.Xw, d, this.Bw, p, 1, E, p);
    }
    const ev = E.view();
    const A = this.H.view(), R = this.L.view();
    if (this.model === 'diag') {
      const sig = new Float64Array(p);
      if (this.fixed) for (let j = 0; j < p; j++) sig[j] = this.fixed.Sigma![j * p + j];
      else {
        for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) sig[j] += ev[i * p + j] * ev[i * p + j];
        for (let j = 0; j < p; j++) sig[j] = (sig[j] + colS2[j]) / n;
      }
      let logDet = 0, trace = 0;
      for (let j = 0; j < p; j++) {
        if (!(sig[j] > 0)) {
          grad.fill(0);
          return Infinity;
        }
        logDet += Math.log(sig[j]);
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < p; j++) {
          const c = i * p + j;
          trace += (ev[c] * ev[c] + s2[c]) / sig[j];
          gM[c] = -(R[c] - ev[c] / sig[j]);
          gS[c] = -(-A[c] * s2[c] - s2[c] / sig[j] + 1);
          this.hd[c] = A[c] + 1 / sig[j];
          this.hd[n * p + c] = Math.max(2 * A[c] * s2[c] + A[c] * s2[c] * s2[c] + (2 * s2[c]) / sig[j], 1e-12);
        }
      }
      J += -0.5 * n * logDet - 0.5 * trace + 0.5 * n * p;
      if (!this.fixed) {
        this.profile.B.set(this.Bw.view());
        this.profile.Sigma.fill(0);
        for (let j = 0; j < p; j++) this.profile.Sigma[j * p + j] = sig[j];
      }
      return -J;
    }
    // full
    const Sig = new Float64Array(p * p);
    if (this.fixed) Sig.set(this.fixed.Sigma!);
    else {
      // EᵀE/n is symmetric: the top h rows (all columns) and the bottom-right block, then the
      // bottom-left block mirrored (3/4 of the products of one gemm).
      const h = p >> 1, pp = this.pp!.view();
      this.gemm(1, 0, h, p, n, 1 / n, E.ptr, p, E.ptr, p, 0, this.pp!.ptr, p, this.gemmWork);
      if (p - h > 0) this.gemm(1, 0, p - h, p - h, n, 1 / n, E.ptr + 8 * h, p, E.ptr + 8 * h, p, 0, this.pp!.ptr + 8 * (h * p + h), p, this.gemmWork);
      for (let a = h; a < p; a++) for (let b = 0; b < h; b++) pp[a * p + b] = pp[b * p + a];
      Sig.set(pp);
      for (let j = 0; j < p; j++) Sig[j * p + j] += colS2[j] / n;
    }
    let Lc;
    try {
      Lc = cholesky(matrix(p, p, Sig), { core: this.core });
    } catch (err) {
      // Σ̂ not positive definite: the point is outside the domain. Anything else (out of memory) is an error.
      if (!(err instanceof NotPositiveDefiniteError)) throw err;
      grad.fill(0);
      return Infinity;
    }
    let logDet = 0;
    for (let j = 0; j < p; j++) logDet += 2 * Math.log(Lc.data[j * p + j]);
    const eye = new Float64Array(p * p);
    for (let j = 0; j < p; j++) eye[j * p + j] = 1;
    const inv = choleskySolve(Lc, matrix(p, p, eye), { core: this.core }).data;
    // trace term −½ tr(Σ⁻¹(EᵀE + diag ΣS²)): n·p at the profile; computed when Σ is fixed.
    let trace = n * p;
    if (this.fixed) {
      this.mm(1, 0, p, p, n, 1, E, p, E, p, 0, this.pp!, p);
      const ete = this.pp!.view();
      trace = 0;
      for (let a = 0; a < p; a++) {
        for (let b = 0; b < p; b++) trace += inv[a * p + b] * ete[b * p + a];
        trace += inv[a * p + a] * colS2[a];
      }
    }
    J += -0.5 * n * logDet - 0.5 * trace + 0.5 * n * p;
    // ∂M = R − EΣ⁻¹ (into G2 via gemm), ∂log S = −A∘S² − S²∘diag(Σ⁻¹) + 1
    this.pp!.set(inv);
    this.mm(0, 0, n, p, p, 1, E, p, this.pp!, p, 0, this.G2, p);
    // cholesky and choleskySolve allocate in the core: if memory grew, views taken before them
    // (A, R, S²) are detached, so take them again.
    // The cell loop in the core (assembly/pln.ts plnFullGradient): ∂M into E's buffer (E is no
    // longer needed), ∂log S over R, 1/(A + ω) over EΣ̂⁻¹, the log S half of D into DS.
    const omega = this.omegaW!.view();
    for (let j = 0; j < p; j++) omega[j] = inv[j * p + j];
    this.fullGradient(n, p, this.H.ptr, this.S2.ptr, this.G2.ptr, this.L.ptr, this.omegaW!.ptr, E.ptr, this.L.ptr, this.G2.ptr, this.DS!.ptr);
    const D = (this.invDiag ??= new Float64Array(this.hd.length));
    const np = n * p;
    gM.set(E.view());
    gS.set(this.L.view());
    D.subarray(0, np).set(this.G2.view());
    D.subarray(np).set(this.DS!.view());
    this.invFresh = true;
    this.hdFromInverse = true;
    if (!this.fixed) {
      this.profile.B.set(this.Bw.view());
      this.profile.Sigma.set(Sig);
    }
    return -J;
  }

  /** The current A (n×p) after an evaluation (A = exp(L + H)): the expected counts under q. */
  expected(): Float64Array {
    return Float64Array.from(this.H.view());
  }

  /**
   * The current A (n×p) as a view of WebAssembly memory (no copy): valid until the next
   * evaluation or allocation in the core (memory growth detaches it).
   */
  expectedView(): Float64Array {
    return this.H.view();
  }

  /**
   * Rank-q models: A·W for a p×q matrix W (n×q, a new array) with the A of the last evaluation,
   * without copying A out of WebAssembly memory.
   */
  expectedTimes(W: Float64Array): Float64Array {
    const { n, p, q } = this;
    if (!this.pq || W.length !== p * q) throw new ArgumentValueError(`expectedTimes needs a rank-q model and a p×q matrix (${p}×${q})`, 'W');
    this.pq.set(W);
    this.mm(0, 0, n, q, p, 1, this.H, p, this.pq, q, 0, this.G2, q);
    return Float64Array.from(this.G2.view());
  }

  dispose(): void {
    this.disposed = true;
    this.ws.dispose();
  }
}

function sumLogFactorial(core: Core, Y: WasmArray<'f64'>, tmp: WasmArray<'f64'>): number {
  const t = tmp.view();
  const y = Y.view();
  for (let i = 0; i < y.length; i++) t[i] = y[i] + 1;
  (core.exports as unknown as { lgammaArray: (px: number, py: number, n: number) => void }).lgammaArray(tmp.ptr, tmp.ptr, y.length);
  const v = tmp.view();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}
