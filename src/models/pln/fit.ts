/**
 * Fitting the Poisson-lognormal models by variational Gaussian approximation (VGA): L-BFGS on the
 * free blocks of θ (objective.ts; the engine is lbfgs-wasm.ts, its vectors in WebAssembly memory),
 * from a start whose log S is at its stationary value, with — for `pca` — a rotation step of
 * (M, C) after every GAUGE_SEGMENT iterations (gauge.ts); stopping on the relative ELBO change
 * (1e-8 by default) or the gradient norm — never on a fixed iteration count.
 *
 *   Y_i | Z_i ~ Poisson(exp(O_i + Z_i)),  Z_i ~ N(X_iB, Σ)
 *   full: Σ free;  diag: Σ diagonal;  pca: Σ = CCᵀ, C p×q;  fixed-v: Σ = VΛVᵀ with V given.
 *
 * The ELBO reported is exact: Σ lnΓ(Y+1) with the core's lgamma, not Stirling. BIC and ICL follow
 * PLNmodels' sign convention (larger is better): BIC = ELBO − ½·k·ln n with k the number of model
 * parameters (full: pd + p(p+1)/2; diag: pd + p; pca: pd + pq − q(q−1)/2; fixed-v: pd + q), and
 * ICL = BIC − H(q), H(q) = Σ_ij [½ln(2πe) + ln S_ij] the entropy of the variational posterior.
 */
import { ArgumentTypeError, ArgumentValueError, LatentWasmError, ShapeError, requireInteger } from '../../errors.js';
import { gramSvd, matrix } from '../../linalg/index.js';
import { lbfgs } from '../../optim/index.js';
import { isConvergedReason } from '../../optim/common.js';
import { WasmLbfgs, type WasmLbfgsRunOptions } from '../../optim/lbfgs-wasm.js';
import { gaugeRotation, gaugeRows } from './gauge.js';
import type { OptimResult, StopReason } from '../../optim/common.js';
import type { Core } from '../../wasm/core.js';
import { PlnObjective, type PlnFixed, type PlnModel } from './objective.js';
import { encode, fitAmortised, type AmortisedOptions } from './amortised.js';
import { Mlp, type MlpJSON } from '../../nn/mlp.js';

export type { PlnModel } from './objective.js';

export interface PlnData {
  /** n×p counts, row-major (non-negative integers). */
  counts: Float64Array | Uint32Array;
  /** n×d covariates, row-major; default an intercept column. */
  covariates?: Float64Array;
  /** 'none' (default), 'logLibrary' (log of each sample's total count), or an n×p matrix. */
  offsets?: 'none' | 'logLibrary' | Float64Array;
  /** Samples (n); needed when counts is empty-shaped ambiguous: default counts.length / p. */
  samples?: number;
  /** Variables (p). */
  variables: number;
}

export interface PlnFitOptions {
  model?: PlnModel;
  /** pca, fixed-v: the rank q (fixed-v: default V's columns). */
  rank?: number;
  /** fixed-v: V (p×q, orthonormal columns), row-major. */
  V?: Float64Array;
  /** Relative ELBO change that stops the fit (default 1e-8), and the gradient max-norm (default 1e-6). */
  ftol?: number;
  gtol?: number;
  /** Iterations allowed (default 20 000): a safety net, not the stopping rule. */
  maxIterations?: number;
  /** L-BFGS memory (default 3: with the diagonal preconditioner more pairs did not cut iterations on the seed's design, and each pair costs two passes over θ per iteration). */
  memory?: number;
  /**
   * Amortised inference: an MLP encoder from log(1+Y) to (M, S), 'two-step' (VGA, regression,
   * refit) or 'end-to-end' (ELBO over encoder and model jointly); or its options (amortised.ts).
   */
  amortised?: 'two-step' | 'end-to-end' | AmortisedOptions;
  /** Scale L-BFGS steps by the Hessian diagonal of each block (default true; false: the scalar sᵀy/yᵀy). */
  precondition?: boolean;
  /**
   * pca: between L-BFGS segments, rotate (M, C) to the basis the diagonal S prefers (gauge.ts) —
   * the slow directions of L-BFGS on this model (default true).
   */
  gauge?: boolean;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: { iteration: number; elbo: number; gradNorm: number; evaluations: number }) => void;
  core?: Core;
}

export class PlnInputError extends ArgumentValueError {}
export class PlnFitError extends LatentWasmError {}

/** Validated data over the kept (not all-zero) columns. */
interface Prepared {
  n: number;
  p: number;
  d: number;
  Y: Float64Array;
  X: Float64Array;
  O: Float64Array | null;
  kept: Uint32Array;
  dropped: Uint32Array;
  offsets: 'none' | 'logLibrary' | 'matrix';
}

/**
 * Validated data. With `columns` (transform of new samples) the fit's kept/dropped columns are
 * used instead of this data's all-zero ones, and a single sample is allowed.
 */
function prepare(data: PlnData, columns?: { kept: Uint32Array; dropped: Uint32Array }): Prepared {
  if (typeof data !== 'object' || data === null) throw new ArgumentTypeError('data must be an object { counts, variables, covariates?, offsets? }', 'data');
  const Y0 = data.counts;
  if (!(Y0 instanceof Float64Array || Y0 instanceof Uint32Array)) throw new ArgumentTypeError('counts must be a Float64Array or Uint32Array (n×p, row-major)', 'counts');
  const p0 = requireInteger(data.variables, 'variables', 1);
  if (Y0.length % p0 !== 0 || Y0.length === 0) throw new ShapeError(`counts has ${Y0.length} entries, not a positive multiple of p = ${p0}`, 'counts');
  const n = Y0.length / p0;
  if (data.samples !== undefined && data.samples !== n) throw new ShapeError(`counts has ${n} rows of p = ${p0}, samples says ${data.samples}`, 'samples');
  if (n < (columns ? 1 : 2)) throw new PlnInputError(columns ? 'at least 1 sample is needed' : 'at least 2 samples are needed', 'counts');
  for (let c = 0; c < Y0.length; c++) {
    const v = Y0[c];
    if (!(v >= 0) || !Number.isFinite(v) || Math.floor(v) !== v) {
      throw new PlnInputError(`counts[${c}] (sample ${Math.floor(c / p0)}, variable ${c % p0}) = ${v} is not a non-negative integer`, `counts[${c}]`);
    }
  }
  let kept: Uint32Array, dropped: Uint32Array;
  if (columns) {
    if (columns.kept.length + columns.dropped.length !== p0) throw new ShapeError(`counts have ${p0} columns, the fit's input had ${columns.kept.length + columns.dropped.length}`, 'counts');
    ({ kept, dropped } = columns);
  } else {
    const colSum = new Float64Array(p0);
    for (let c = 0; c < Y0.length; c++) colSum[c % p0] += Y0[c];
    const keptL: number[] = [], droppedL: number[] = [];
    for (let j = 0; j < p0; j++) (colSum[j] > 0 ? keptL : droppedL).push(j);
    if (keptL.length === 0) throw new PlnInputError('every variable is zero in every sample', 'counts');
    kept = Uint32Array.from(keptL);
    dropped = Uint32Array.from(droppedL);
  }
  const p = kept.length;
  const Y = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let jj = 0; jj < p; jj++) Y[i * p + jj] = Y0[i * p0 + kept[jj]];
  let X: Float64Array, d: number;
  if (data.covariates === undefined) {
    X = new Float64Array(n).fill(1);
    d = 1;
  } else {
    if (!(data.covariates instanceof Float64Array)) throw new ArgumentTypeError('covariates must be a Float64Array (n×d, row-major)', 'covariates');
    if (data.covariates.length % n !== 0 || data.covariates.length === 0) throw new ShapeError(`covariates has ${data.covariates.length} entries, not a positive multiple of n = ${n}`, 'covariates');
    X = data.covariates;
    d = X.length / n;
    for (let c = 0; c < X.length; c++) if (!Number.isFinite(X[c])) throw new PlnInputError(`covariates[${c}] (sample ${Math.floor(c / d)}, column ${c % d}) = ${X[c]} is not finite`, `covariates[${c}]`);
    // B is estimated only in a fit; new samples (transform) need no full-rank X.
    if (!columns) {
      if (d >= n) throw new PlnInputError(`covariates have d = ${d} columns for n = ${n} samples: XᵀX is singular`, 'covariates');
      checkFullRank(X, n, d);
    }
  }
  let O: Float64Array | null = null;
  let offsets: Prepared['offsets'] = 'none';
  const off = data.offsets ?? 'none';
  if (off === 'logLibrary') {
    offsets = 'logLibrary';
    O = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < p0; j++) t += Y0[i * p0 + j];
      if (t === 0) throw new PlnInputError(`sample ${i} has no counts: its log library size is −∞ (use offsets 'none' or drop it)`, `counts[${i * p0}]`);
      O.fill(Math.log(t), i * p, (i + 1) * p);
    }
  } else if (off instanceof Float64Array) {
    offsets = 'matrix';
    if (off.length !== n * p0) throw new ShapeError(`offsets has ${off.length} entries, expected n×p = ${n}×${p0}`, 'offsets');
    O = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      for (let jj = 0; jj < p; jj++) {
        const v = off[i * p0 + kept[jj]];
        if (!Number.isFinite(v)) throw new PlnInputError(`offsets[${i * p0 + kept[jj]}] = ${v} is not finite`, `offsets[${i * p0 + kept[jj]}]`);
        O[i * p + jj] = v;
      }
    }
  } else if (off !== 'none') {
    throw new ArgumentValueError(`offsets must be 'none', 'logLibrary' or a Float64Array, got ${String(off)}`, 'offsets');
  }
  return { n, p, d, Y, X, O, kept, dropped, offsets };
}

/** Rank check of X by the Cholesky of XᵀX with a relative pivot floor. */
function checkFullRank(X: Float64Array, n: number, d: number): void {
  const G = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) G[a * d + b] += X[i * d + a] * X[i * d + b];
  let scale = 0;
  for (let a = 0; a < d; a++) scale = Math.max(scale, G[a * d + a]);
  for (let k = 0; k < d; k++) {
    let v = G[k * d + k];
    for (let m = 0; m < k; m++) v -= G[k * d + m] * G[k * d + m];
    if (!(v > 1e-10 * scale)) throw new PlnInputError(`covariates are rank-deficient: column ${k} is (nearly) a linear combination of the columns before it`, 'covariates');
    const l = Math.sqrt(v);
    G[k * d + k] = l;
    for (let r = k + 1; r < d; r++) {
      let w = G[r * d + k];
      for (let m = 0; m < k; m++) w -= G[r * d + m] * G[k * d + m];
      G[r * d + k] = w / l;
    }
  }
}

function checkV(V: unknown, p: number, q: number | undefined): { V: Float64Array; q: number } {
  if (!(V instanceof Float64Array)) throw new ArgumentTypeError("model 'fixed-v' needs V: a Float64Array p×q with orthonormal columns", 'V');
  if (V.length % p !== 0 || V.length === 0) throw new ShapeError(`V has ${V.length} entries, not a positive multiple of p = ${p}`, 'V');
  const qq = V.length / p;
  if (q !== undefined && q !== qq) throw new ShapeError(`V has ${qq} columns, rank says ${q}`, 'V');
  for (let a = 0; a < qq; a++) {
    for (let b = a; b < qq; b++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += V[j * qq + a] * V[j * qq + b];
      const want = a === b ? 1 : 0;
      if (!(Math.abs(s - want) <= 1e-8)) throw new PlnInputError(`V's columns are not orthonormal: V[:,${a}]·V[:,${b}] = ${s} (expected ${want})`, 'V');
    }
  }
  return { V, q: qq };
}

/** Starting point: Z₀ = log(1+Y) − O, B₀ by least squares, the residual's PCA for C and M. */
function initialTheta(obj: PlnObjective, pr: Prepared, V?: Float64Array): Float64Array {
  const { n, p, d } = pr;
  const q = obj.q;
  const Lo = obj.layout;
  const theta = new Float64Array(Lo.total);
  const Z = new Float64Array(n * p);
  for (let c = 0; c < n * p; c++) Z[c] = Math.log1p(pr.Y[c]) - (pr.O ? pr.O[c] : 0);
  const B = leastSquares(pr.X, Z, n, d, p);
  const E = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let v = Z[i * p + j];
      for (let a = 0; a < d; a++) v -= pr.X[i * d + a] * B[a * p + j];
      E[i * p + j] = v;
    }
  }
  const logS0 = Math.log(0.1);
  const off = Lo.B + Lo.C + Lo.logLambda;
  if (obj.model === 'full' || obj.model === 'diag') {
    theta.set(Z.subarray(0, Lo.M), off);
  } else {
    theta.set(B, 0);
    if (obj.model === 'pca') {
      const svd = gramSvd(matrix(n, p, E), q);
      // C = V_q·s/√n, M = U_q·√n (unit-variance scores).
      const sq = Math.sqrt(n);
      for (let j = 0; j < p; j++) for (let k = 0; k < q; k++) theta[Lo.B + j * q + k] = svd.vt.data[k * p + j] * (svd.s[k] / sq);
      for (let i = 0; i < n; i++) for (let k = 0; k < q; k++) theta[off + i * q + k] = svd.u.data[i * q + k] * sq;
    } else {
      // λ_k = variance of E·v_k; M = E V / √λ.
      const proj = new Float64Array(n * q);
      for (let i = 0; i < n; i++) for (let k = 0; k < q; k++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += E[i * p + j] * V![j * q + k];
        proj[i * q + k] = s;
      }
      for (let k = 0; k < q; k++) {
        let v = 0;
        for (let i = 0; i < n; i++) v += proj[i * q + k] ** 2;
        const lam = Math.max(v / n, 1e-4);
        theta[Lo.B + k] = Math.log(lam);
        for (let i = 0; i < n; i++) theta[off + i * q + k] = proj[i * q + k] / Math.sqrt(lam);
      }
    }
  }
  theta.fill(logS0, off + Lo.M, off + Lo.M + Lo.logS);
  return theta;
}

/** (XᵀX)⁻¹XᵀZ for small d, by normal equations with Cholesky (X is full rank, checked). */
function leastSquares(X: Float64Array, Z: Float64Array, n: number, d: number, p: number): Float64Array {
  const G = new Float64Array(d * d), R = new Float64Array(d * p);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const xa = X[i * d + a];
      for (let b = 0; b < d; b++) G[a * d + b] += xa * X[i * d + b];
      for (let j = 0; j < p; j++) R[a * p + j] += xa * Z[i * p + j];
    }
  }
  // Cholesky G = LLᵀ, then two triangular solves per column.
  const Lm = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    let v = G[k * d + k];
    for (let m = 0; m < k; m++) v -= Lm[k * d + m] ** 2;
    Lm[k * d + k] = Math.sqrt(v);
    for (let r = k + 1; r < d; r++) {
      let w = G[r * d + k];
      for (let m = 0; m < k; m++) w -= Lm[r * d + m] * Lm[k * d + m];
      Lm[r * d + k] = w / Lm[k * d + k];
    }
  }
  const B = new Float64Array(d * p);
  const y = new Float64Array(d);
  for (let j = 0; j < p; j++) {
    for (let a = 0; a < d; a++) {
      let v = R[a * p + j];
      for (let m = 0; m < a; m++) v -= Lm[a * d + m] * y[m];
      y[a] = v / Lm[a * d + a];
    }
    for (let a = d - 1; a >= 0; a--) {
      let v = y[a];
      for (let m = a + 1; m < d; m++) v -= Lm[m * d + a] * B[m * p + j];
      B[a * p + j] = v / Lm[a * d + a];
    }
  }
  return B;
}

/** A fitted PLN model. Matrices are row-major Float64Arrays over the kept variables. */
export class PlnFit {
  readonly model!: PlnModel;
  readonly n!: number;
  /** Variables in the model (all-zero columns of the input are dropped: see `dropped`). */
  readonly p!: number;
  readonly d!: number;
  /** Rank q (pca, fixed-v), p otherwise. */
  readonly rank!: number;
  /** Input column of each model variable, and the all-zero input columns left out. */
  readonly kept!: Uint32Array;
  readonly dropped!: Uint32Array;
  readonly B!: Float64Array;
  readonly Sigma!: Float64Array;
  /** fixed-v: the diagonal of Λ (q). */
  readonly Lambda!: Float64Array | undefined;
  /** pca: C (p×q), Σ = CCᵀ. */
  readonly C!: Float64Array | undefined;
  /** Variational means and standard deviations: n×q (pca, fixed-v: latent positions W) or n×p (full, diag: Z). */
  readonly M!: Float64Array;
  readonly S!: Float64Array;
  readonly elbo!: number;
  readonly bic!: number;
  readonly icl!: number;
  readonly parameters!: number;
  readonly iterations!: number;
  readonly evaluations!: number;
  readonly converged!: boolean;
  readonly reason!: StopReason;
  /** The ELBO after each iteration. */
  readonly history!: Float64Array;
  readonly offsets!: 'none' | 'logLibrary' | 'matrix';
  readonly notices!: readonly string[];
  /** fixed-v: V. */
  readonly V!: Float64Array | undefined;
  /** Amortised fits: the encoder (its JSON) and how it was fitted; M and S are its outputs. */
  readonly encoder!: MlpJSON | undefined;
  readonly amortised!: { form: 'two-step' | 'end-to-end'; regressionLoss: number; iterations: number; converged: boolean; reason: string } | undefined;

  constructor(f: Omit<PlnFit, 'transform' | 'toJSON' | 'latentMean' | 'encode'>) {
    Object.assign(this, f);
    Object.freeze(this);
  }

  /**
   * E_q[Z] − O: the latent means on the log scale without offsets, n×p: XB + MCᵀ (pca, fixed-v) or
   * M (full, diag); for new samples use `transform`.
   */
  latentMean(covariates?: Float64Array): Float64Array {
    const { n, p, d } = this;
    if (this.model === 'full' || this.model === 'diag') return this.M.slice();
    const X = covariates ?? new Float64Array(n).fill(1);
    const q = this.rank, C = this.model === 'pca' ? this.C! : vLambdaHalf(this.V!, this.Lambda!, p, q);
    const out = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        let v = 0;
        for (let a = 0; a < d; a++) v += X[i * d + a] * this.B[a * p + j];
        for (let k = 0; k < q; k++) v += this.M[i * q + k] * C[j * q + k];
        out[i * p + j] = v;
      }
    }
    return out;
  }

  /**
   * Amortised fits: M and S of new samples (counts n'×(input p)) in one forward pass of the
   * encoder, no optimisation.
   */
  encode(counts: Float64Array | Uint32Array, options: { core?: Core } = {}): { M: Float64Array; S: Float64Array } {
    if (!this.encoder) throw new ArgumentValueError('this fit is not amortised (fit with amortised: "two-step" or "end-to-end")', 'encoder');
    const pIn = this.kept.length + this.dropped.length;
    if (counts.length % pIn !== 0) throw new ShapeError(`counts must have ${pIn} columns (the fit's input)`, 'counts');
    const m = counts.length / pIn;
    const Y = new Float64Array(m * this.p);
    for (let i = 0; i < m; i++) for (let jj = 0; jj < this.p; jj++) Y[i * this.p + jj] = counts[i * pIn + this.kept[jj]];
    const mlp = Mlp.fromJSON(this.encoder, { core: options.core });
    try {
      return encode(mlp, Y, m, this.rank);
    } finally {
      mlp.dispose();
    }
  }

  /**
   * Variational fit of new samples with the model's parameters fixed (B, and C or Σ): returns their
   * M and S and their ELBO. `counts` n'×(input p) with the fit's columns; covariates and offsets as in fit.
   */
  transform(data: Omit<PlnData, 'variables'>, options: { core?: Core; ftol?: number; maxIterations?: number } = {}): { M: Float64Array; S: Float64Array; elbo: number; iterations: number; converged: boolean } {
    const pIn = this.kept.length + this.dropped.length;
    const counts = data.counts;
    if (!counts || counts.length % pIn !== 0) throw new ShapeError(`counts must have ${pIn} columns (the fit's input)`, 'counts');
    const pr = prepare({ ...data, variables: pIn }, { kept: this.kept, dropped: this.dropped });
    if (pr.d !== this.d) throw new ShapeError(`covariates have ${pr.d} columns, the fit has ${this.d}`, 'covariates');
    const fixed: PlnFixed = { B: this.B };
    const lowRank = this.model === 'pca' || this.model === 'fixed-v';
    if (lowRank) fixed.C = this.model === 'pca' ? this.C! : vLambdaHalf(this.V!, this.Lambda!, this.p, this.rank);
    else fixed.Sigma = this.Sigma;
    const obj = new PlnObjective({ model: this.model, Y: pr.Y, X: pr.X, O: pr.O, n: pr.n, p: pr.p, d: pr.d, q: this.rank, V: this.V, fixed, core: options.core });
    try {
      const x0 = new Float64Array(obj.layout.total);
      const q = obj.q;
      // Start: M = 0 (pca, fixed-v) or log(1+Y) − O (full, diag); S = 0.1.
      if (!lowRank) for (let c = 0; c < pr.n * pr.p; c++) x0[c] = Math.log1p(pr.Y[c]) - (pr.O ? pr.O[c] : 0);
      x0.fill(Math.log(0.1), pr.n * q);
      const r = lbfgs((x, g) => obj.evaluate(x, g), x0, { ftol: options.ftol ?? 1e-8, maxIterations: options.maxIterations ?? 20000, preconditioner: () => obj.inverseHessianDiagonal() });
      const M = r.x.slice(0, pr.n * q);
      const S = r.x.slice(pr.n * q).map(Math.exp);
      return { M, S, elbo: -r.f, iterations: r.iterations, converged: r.converged };
    } finally {
      obj.dispose();
    }
  }

  toJSON(): object {
    const enc = (a: Float64Array | Uint32Array | undefined) => (a ? Array.from(a) : null);
    return {
      format: 'latentwasm.pln', version: 1, model: this.model, n: this.n, p: this.p, d: this.d, rank: this.rank,
      kept: enc(this.kept), dropped: enc(this.dropped), B: enc(this.B), Sigma: enc(this.Sigma), Lambda: enc(this.Lambda), C: enc(this.C),
      V: enc(this.V), M: enc(this.M), S: enc(this.S), elbo: this.elbo, bic: this.bic, icl: this.icl, parameters: this.parameters,
      iterations: this.iterations, evaluations: this.evaluations, converged: this.converged, reason: this.reason,
      history: enc(this.history), offsets: this.offsets, notices: this.notices, encoder: this.encoder ?? null, amortised: this.amortised ?? null,
    };
  }

  static fromJSON(json: unknown): PlnFit {
    const o = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, any>;
    if (!o || o.format !== 'latentwasm.pln') throw new ArgumentValueError('not a latentwasm PLN fit (format field missing or different)', 'json');
    if (o.version !== 1) throw new ArgumentValueError(`unsupported PLN fit version ${o.version}`, 'json.version');
    const f = (a: number[] | null) => (a ? Float64Array.from(a) : undefined);
    return new PlnFit({
      model: o.model, n: o.n, p: o.p, d: o.d, rank: o.rank, kept: Uint32Array.from(o.kept), dropped: Uint32Array.from(o.dropped),
      B: f(o.B)!, Sigma: f(o.Sigma)!, Lambda: f(o.Lambda), C: f(o.C), V: f(o.V), M: f(o.M)!, S: f(o.S)!, elbo: o.elbo, bic: o.bic, icl: o.icl,
      parameters: o.parameters, iterations: o.iterations, evaluations: o.evaluations, converged: o.converged, reason: o.reason,
      history: f(o.history)!, offsets: o.offsets, notices: o.notices ?? [], encoder: o.encoder ?? undefined, amortised: o.amortised ?? undefined,
    });
  }
}

function vLambdaHalf(V: Float64Array, lambda: Float64Array, p: number, q: number): Float64Array {
  const C = new Float64Array(p * q);
  for (let j = 0; j < p; j++) for (let k = 0; k < q; k++) C[j * q + k] = V[j * q + k] * Math.sqrt(lambda[k]);
  return C;
}

/** Fits a PLN model (see the file header). */
export function fit(data: PlnData, options: PlnFitOptions = {}): PlnFit {
  const model = options.model ?? 'full';
  if (!['full', 'diag', 'pca', 'fixed-v'].includes(model)) throw new ArgumentValueError(`model must be 'full', 'diag', 'pca' or 'fixed-v', got ${String(model)}`, 'model');
  const pr = prepare(data);
  const { n, p, d } = pr;
  const notices: string[] = [];
  if (pr.dropped.length > 0) {
    notices.push(`${pr.dropped.length} variable${pr.dropped.length === 1 ? ' is' : 's are'} zero in every sample and left out: ${Array.from(pr.dropped.subarray(0, 20)).join(', ')}${pr.dropped.length > 20 ? ', …' : ''}`);
  }
  let q = p;
  let V: Float64Array | undefined;
  if (model === 'pca') {
    q = requireInteger(options.rank, 'rank', 1);
    if (q >= p) throw new PlnInputError(`rank ${q} must be below p = ${p} for 'pca' (use 'full')`, 'rank');
    if (q >= n) throw new PlnInputError(`rank ${q} must be below n = ${n}`, 'rank');
  } else if (model === 'fixed-v') {
    if (options.V === undefined) throw new ArgumentTypeError("model 'fixed-v' needs V: a Float64Array p×q with orthonormal columns", 'V');
    const pIn = pr.kept.length + pr.dropped.length;
    const v = checkV(options.V, pIn, options.rank);
    q = v.q;
    if (q > p) throw new PlnInputError(`V has rank ${q} > p = ${p} (after dropping all-zero columns)`, 'V');
    // Rows of V for the kept variables (re-orthonormalised only if rows were dropped: then Σ = VΛVᵀ on the kept ones).
    V = new Float64Array(p * q);
    for (let jj = 0; jj < p; jj++) for (let k = 0; k < q; k++) V[jj * q + k] = v.V[pr.kept[jj] * q + k];
    if (pr.dropped.length > 0) notices.push('V restricted to the kept variables (rows of dropped variables removed); its columns are no longer exactly orthonormal');
  } else if (model === 'full' && p >= n) {
    notices.push(`p = ${p} ≥ n = ${n}: the profiled Σ̂ is supported by the variational variances only`);
  }
  const obj = new PlnObjective({ model, Y: pr.Y, X: pr.X, O: pr.O, n, p, d, q, V, core: options.core });
  try {
    const x0 = initialTheta(obj, pr, V);
    const history: number[] = [];
    const r = minimise(obj, x0, model === 'pca' && options.gauge !== false, {
      ftol: options.ftol ?? 1e-8, gtol: options.gtol ?? 1e-6, maxIterations: options.maxIterations ?? 20000, m: options.memory ?? 3,
      signal: options.signal,
      preconditioner: options.precondition === false ? undefined : () => obj.inverseHessianDiagonal(),
      onProgress: (info) => {
        history.push(-info.f);
        options.onProgress?.({ iteration: info.iteration, elbo: -info.f, gradNorm: info.gradNorm, evaluations: info.evaluations });
      },
    }, options.core);
    if (r.reason === 'nonfinite') throw new PlnFitError('the ELBO became non-finite at every point tried from the start (check the offsets and covariates scale)');
    const Lo = obj.layout;
    const off = Lo.B + Lo.C + Lo.logLambda;
    let xFinal = r.x;
    let encoder: MlpJSON | undefined;
    let amortised: PlnFit['amortised'];
    if (options.amortised) {
      const ao: AmortisedOptions = typeof options.amortised === 'string' ? { form: options.amortised } : options.amortised;
      const a = fitAmortised(obj, pr.Y, r.x, { seed: options.seed, core: options.core, ...ao });
      try {
        encoder = a.encoder.toJSON();
      } finally {
        a.encoder.dispose();
      }
      xFinal = new Float64Array(r.x.length);
      xFinal.set(a.globals, 0);
      xFinal.set(a.M, off);
      xFinal.set(a.S.map(Math.log), off + Lo.M);
      amortised = { form: ao.form, regressionLoss: a.regressionLoss, iterations: a.iterations, converged: a.converged, reason: a.reason };
    }
    // Final evaluation at the optimum, for the profiles (full, diag) and a consistent state —
    // unless the optimiser's last evaluation was there already.
    const f = xFinal === r.x && r.lastEvaluated ? r.f : obj.evaluate(xFinal, new Float64Array(obj.layout.total));
    const M = xFinal.slice(off, off + Lo.M);
    const logS = xFinal.subarray(off + Lo.M);
    const S = new Float64Array(logS.length);
    for (let i = 0; i < S.length; i++) S[i] = Math.exp(logS[i]);
    let B: Float64Array, Sigma: Float64Array, C: Float64Array | undefined, Lambda: Float64Array | undefined;
    if (model === 'full' || model === 'diag') {
      B = obj.profile.B.slice();
      Sigma = obj.profile.Sigma.slice();
    } else {
      B = xFinal.slice(0, Lo.B);
      if (model === 'pca') {
        C = xFinal.slice(Lo.B, Lo.B + Lo.C);
        Sigma = new Float64Array(p * p);
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
          let s = 0;
          for (let k = 0; k < q; k++) s += C[a * q + k] * C[b * q + k];
          Sigma[a * p + b] = s;
        }
      } else {
        Lambda = xFinal.slice(Lo.B, Lo.B + q).map(Math.exp);
        Sigma = new Float64Array(p * p);
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
          let s = 0;
          for (let k = 0; k < q; k++) s += V![a * q + k] * Lambda[k] * V![b * q + k];
          Sigma[a * p + b] = s;
        }
      }
    }
    const elbo = -f;
    const k = model === 'full' ? p * d + (p * (p + 1)) / 2 : model === 'diag' ? p * d + p : model === 'pca' ? p * d + p * q - (q * (q - 1)) / 2 : p * d + q;
    let entropy = 0;
    for (let i = 0; i < logS.length; i++) entropy += 0.5 * Math.log(2 * Math.PI * Math.E) + logS[i];
    const bic = elbo - 0.5 * k * Math.log(n);
    return new PlnFit({
      model, n, p, d, rank: q, kept: pr.kept, dropped: pr.dropped, B, Sigma, Lambda, C, V, M, S, elbo, bic, icl: bic - entropy, parameters: k,
      iterations: r.iterations, evaluations: r.evaluations, converged: r.converged, reason: r.reason, history: Float64Array.from(history),
      offsets: pr.offsets, notices, encoder, amortised,
    });
  } finally {
    obj.dispose();
  }
}

/**
 * L-BFGS iterations between rotation steps (gauge.ts) when `gauge` is on: on the seed's design
 * (n = 10⁴, p = 200, q = 20) 10 took the fewest iterations of 5, 8, 10, 12, 15, 20, 30.
 */
const GAUGE_SEGMENT = 10;

/** What `minimise` returns. */
interface MinimiseResult extends OptimResult {
  /** The objective's last evaluation was at x (its state, e.g. the full/diag profiles, is x's). */
  lastEvaluated: boolean;
}

/**
 * L-BFGS (lbfgs-wasm.ts) on the objective; with `gauge` (pca), in segments of GAUGE_SEGMENT
 * iterations with a rotation step after each, kept only when it raises the ELBO by more than ftol
 * relatively. The first rotation that does not help ends the rotations and L-BFGS carries on with
 * its memory. The run stops only on L-BFGS's own tests (ftol, gtol, xtol — after a rotation step
 * was tried at that point), on the total iteration budget, or on failure: the cap of a segment is
 * not a stopping rule of the fit.
 */
function minimise(
  obj: PlnObjective, x0: Float64Array, gauge: boolean,
  opts: { ftol: number; gtol: number; maxIterations: number; m: number; signal?: AbortSignal; preconditioner?: () => Float64Array; onProgress?: WasmLbfgsRunOptions['onProgress'] },
  core?: Core,
): MinimiseResult {
  // The array the objective was last evaluated at. The optimiser's current point is the last
  // one evaluated when it is that same array: WasmLbfgs swaps the line search's accepted array in
  // (or copies into its own after a start or a fallback step, which makes them differ), and
  // nothing writes to it between that evaluation and the next.
  const track: { last?: Float64Array } = {};
  const fn = (x: Float64Array, g: Float64Array) => {
    track.last = x;
    return obj.evaluate(x, g);
  };
  const opt = new WasmLbfgs(fn, x0.length, opts.m, opts.preconditioner, { core });
  try {
    return minimiseWith(opt, obj, x0, gauge, opts, fn, track, core);
  } finally {
    opt.dispose();
  }
}

function minimiseWith(
  opt: WasmLbfgs, obj: PlnObjective, x0: Float64Array, gauge: boolean,
  opts: { ftol: number; gtol: number; maxIterations: number; signal?: AbortSignal; onProgress?: WasmLbfgsRunOptions['onProgress'] },
  fn: (x: Float64Array, g: Float64Array) => number, track: { last?: Float64Array }, core?: Core,
): MinimiseResult {
  {
    // log S starts at its stationary value given the start's A and the other blocks:
    // ∂J/∂log S = 0 ⇔ S² = 1/h with h the M block of the Hessian diagonal (pca, fixed-v:
    // 1 + (A(C∘C)); full: A + diag(Σ̂⁻¹); diag: A + 1/σ̂²). One evaluation; on the seed's design it
    // halves the pca iterations (41 → 23) and leaves full's at 23.
    const g0 = new Float64Array(x0.length);
    obj.evaluate(x0, g0);
    const Lo = obj.layout, off = Lo.B + Lo.C + Lo.logLambda, hd = obj.hessianDiagonal;
    x0 = x0.slice();
    for (let t = 0; t < Lo.M; t++) x0[off + Lo.M + t] = -0.5 * Math.log(hd[off + t]);
  }
  opt.start(x0);
  opt.evaluations++;
  const result = (reason: StopReason): MinimiseResult => ({
    x: opt.x.slice(), f: opt.f, iterations: opt.iteration, evaluations: opt.evaluations, converged: isConvergedReason(reason), reason, gradNorm: opt.gradNorm, lastEvaluated: track.last === opt.x,
  });
  const run = { ftol: opts.ftol, gtol: opts.gtol, signal: opts.signal, onProgress: opts.onProgress };
  if (!gauge) return result(opt.run({ ...run, maxIterations: opts.maxIterations }));
  const { n, p, q } = obj;
  const Lo = obj.layout;
  const off = Lo.B + Lo.C;
  for (;;) {
    const left = opts.maxIterations - opt.iteration;
    const reason = opt.run({ ...run, maxIterations: Math.min(GAUGE_SEGMENT, left) });
    const segmentCap = reason === 'maxIterations' && opt.iteration < opts.maxIterations;
    if ((!segmentCap && !isConvergedReason(reason)) || opt.iteration >= opts.maxIterations) return result(reason);
    const x = opt.x;
    const same = track.last === x;
    if (!same) {
      fn(x, new Float64Array(x.length));
      opt.evaluations++;
    }
    // (gaugeRotation copies its subsample of A before it allocates anything.)
    const { R, decrease } = gaugeRotation(obj.expectedView(), x.subarray(Lo.B, off), n, p, q, { core });
    let accepted = false;
    // The criterion's decrease, scaled from the subsample to n rows, predicts the ELBO's rise.
    if ((decrease * n) / gaugeRows(n) > opts.ftol * Math.max(Math.abs(opt.f), 1)) {
      const xr = x.slice();
      rotateRows(x.subarray(Lo.B, off), xr.subarray(Lo.B, off), R, p, q);
      rotateRows(x.subarray(off, off + Lo.M), xr.subarray(off, off + Lo.M), R, n, q);
      // S at its stationary value given A and the rotated C: S_ik² = 1/(1 + (A(C∘C))_ik).
      const Cr = xr.subarray(Lo.B, off);
      const c2 = new Float64Array(p * q);
      for (let t = 0; t < p * q; t++) c2[t] = Cr[t] * Cr[t];
      const ac2 = obj.expectedTimes(c2);
      const logS = xr.subarray(off + Lo.M);
      for (let t = 0; t < n * q; t++) logS[t] = -0.5 * Math.log1p(ac2[t]);
      const gr = new Float64Array(x.length);
      const fr = fn(xr, gr);
      opt.evaluations++;
      if (Number.isFinite(fr) && opt.f - fr > opts.ftol * Math.max(Math.abs(opt.f), 1)) {
        // Resume from the rotated point with an empty memory, without evaluating it again.
        accepted = true;
        opt.start(xr, fr, gr);
      }
    }
    if (accepted) continue;
    if (isConvergedReason(reason)) return result(reason);
    // The rotation did not help and the segment had not converged: plain L-BFGS from here, with its memory.
    return result(opt.run({ ...run, maxIterations: opts.maxIterations - opt.iteration }));
  }
}

/** out = x·R for `rows` rows of length q (R q×q row-major). */
function rotateRows(x: Float64Array, out: Float64Array, R: Float64Array, rows: number, q: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * q;
    for (let l = 0; l < q; l++) {
      let s = 0;
      for (let k = 0; k < q; k++) s += x[o + k] * R[k * q + l];
      out[o + l] = s;
    }
  }
}

/** Fits `pca` for each rank and returns all fits with the best by BIC (and by ICL). */
export function selectRank(data: PlnData, ranks: number[], options: Omit<PlnFitOptions, 'model' | 'rank'> = {}): { fits: PlnFit[]; bestBic: PlnFit; bestIcl: PlnFit } {
  if (!Array.isArray(ranks) || ranks.length === 0) throw new ArgumentValueError('ranks must be a non-empty array of integers', 'ranks');
  const fits = ranks.map((q) => fit(data, { ...options, model: 'pca', rank: q }));
  const best = (key: 'bic' | 'icl') => fits.reduce((a, b) => (b[key] > a[key] ? b : a));
  return { fits, bestBic: best('bic'), bestIcl: best('icl') };
}
