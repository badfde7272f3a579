/**
 * The FRASER beta-binomial autoencoder objective (Brechtmann et al. 2018; Scheller et al. 2023):
 * the truncated negative log-likelihood of counts under μ = sigmoid(x_c E Dᵀ + 1bᵀ) and per-
 * junction dispersion ρ, its gradients in E, D and b, the per-junction decoder objective in
 * (b_j, d_j), and the per-junction ρ objective (full beta-binomial NLL on the logit scale).
 *
 * Symbols and shapes (public API, row-major):
 *   k, n   N×J counts (samples × junctions): split reads and total reads, 0 ≤ k ≤ n < 2^32
 *   x      N×J encoder input, used as given (the caller centres it: x_c)
 *   E, D   J×q encoder and decoder; b length J; ρ length J, a_j = (1−ρ_j)/ρ_j
 *   H = x E (N×q),  Y = H Dᵀ + 1bᵀ (N×J),  μ = sigmoid(Y),  α = μa,  β = (1−μ)a
 *   ℓ_ij = lnΓ(α) + lnΓ(β) − lnΓ(α+k+c) − lnΓ(β+n−k+c),  nll = (1/(N·J)) Σ_ij ℓ_ij
 *   G_ij = ∂nll/∂y_ij,  ∂b = Σ_i G_ij,  ∂D = Gᵀ H,  ∂E = xᵀ (G D)
 *
 * Internal layout: junction-major (J×N) copies of k, n (u32) and x (f64) live in WebAssembly
 * memory, so that a junction or a block of junctions is a pointer offset (see
 * assembly/betabinom.ts). Products go through the core's gemm.
 *
 * Memory of a FraserObjective: 16·N·J bytes that stay O(N·J) (k and n as u32, x as f64, all
 * junction-major; plus 8·N·J for weights once `setWeights` is called, and 16·N·J for μ and 1 − μ
 * with `cacheMean`), O((N+J)·q) for E, D, H,
 * GD and the gradients, and O(B·N) for the block of Y/G the cell kernel works on, with
 * B = blockCells/N junctions (default 2^16 cells, 512 KiB): Y and G are never held for all J;
 * N·q more for Hᵀ once the decoder objective is called with fewer than 8 junctions; and, only
 * while the constructor copies the counts in, a 4 MiB chunk (STAGE_CELLS u32).
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError, requireFloat64Array, requireInteger } from '../../errors.js';
import { gemmWorkspace } from '../../linalg/index.js';
import type { BatchObjective, BatchScalarObjective } from '../../optim/batch.js';
import { Core, getCore } from '../../wasm/core.js';
import type { CoreExports } from '../../wasm/exports.js';
import { WasmArray, Workspace } from '../../wasm/workspace.js';

type CellsKernel = (
  rows: number, cols: number, pIdx: number, pY: number, ldy: number, pK: number, pN: number, ldk: number,
  pA: number, pB: number, c: number, pW: number, ldw: number, scale: number, pG: number, ldg: number,
  pRowLoss: number, pRowGrad: number,
) => number;
type RhoKernel = (
  rows: number, cols: number, pIdx: number, pT: number, pY: number, ldy: number, pK: number, pN: number, ldk: number,
  pB: number, c: number, pF: number, pD1: number, pD2: number, pA: number, pMu: number, pOmu: number,
) => void;
type MomentRowsKernel = (rows: number, cols: number, pK: number, pN: number, pMu: number, pOmu: number, ld: number, pOut: number) => void;
type ResidualRowsKernel = (rows: number, cols: number, pK: number, pN: number, pMu: number, ld: number, pc: number, pMean: number, pSd: number, pScratch: number) => void;
type LogitRowsKernel = (rows: number, cols: number, pK: number, pN: number, ld: number, pc: number, pMean: number, pOut: number, ldo: number) => void;
type MeanRowsKernel = (rows: number, cols: number, pY: number, ldy: number, pB: number, pMu: number, pOmu: number, ldm: number) => void;
type LogChooseKernel = (rows: number, cols: number, pIdx: number, pK: number, pN: number, ldk: number, c: number, pOut: number) => void;
type PValueRowsKernel = (
  rows: number, cols: number, pY: number, ldy: number, pK: number, pN: number, ldk: number, pB: number, pRho: number, pOut: number, ldo: number,
  pMu: number, pOmu: number,
) => void;

/** assembly/betabinom.ts (FRASER kernels): junction-major blocks, counts as u32, pointer 0 = absent. */
export interface FraserExports {
  /** Truncated loss sum (times scale) of a block; writes G = scale·w·∂ℓ/∂y. */
  fraserCells: CellsKernel; fraserCellsScalar: CellsKernel;
  /** Full beta-binomial NLL per junction in t = logit ρ (without lnC), with f' and f'' (and the a side's Δlnγ sum with its derivatives when pA ≠ 0). */
  fraserRhoObjective: RhoKernel; fraserRhoObjectiveScalar: RhoKernel;
  /** μ and 1 − μ of junction-major rows as the ρ kernels compute them (their cache). */
  fraserMeanRows: MeanRowsKernel; fraserMeanRowsScalar: MeanRowsKernel;
  /** Moment ρ starts and logit-residual mean/sd of junction-major rows (assembly/fraserrows.ts). */
  fraserMomentRows: MomentRowsKernel; fraserMomentRowsScalar: MomentRowsKernel;
  fraserResidualRows: ResidualRowsKernel; fraserResidualRowsScalar: ResidualRowsKernel;
  /** Centred logit of the counts' ratios, junction-major rows (assembly/fraserrows.ts). */
  fraserLogitRows: LogitRowsKernel; fraserLogitRowsScalar: LogitRowsKernel;
  /** u32 transpose (rows, cols, pSrc, pDst). */
  fraserTransposeCounts: (rows: number, cols: number, pSrc: number, pDst: number) => void;
  /** Σ_i lnC(n+2c, k+c) per junction. */
  betabinomLogChooseRows: LogChooseKernel; betabinomLogChooseRowsScalar: LogChooseKernel;
  /** Two-sided beta-binomial p-values of junction-major rows, μ = sigmoid(Y + b) or read from pMu (assembly/bbstats.ts). */
  fraserPValueRows: PValueRowsKernel; fraserPValueRowsScalar: PValueRowsKernel;
}

/** Counts as the API takes them: a Float64Array of whole numbers or a Uint32Array. */
export type CountArray = Float64Array | Uint32Array;

/** Below this many junctions per call, Y rows and ∂d rows go through gemv instead of gemm. */
const SMALL_BATCH = 8;
/** Cells per chunk of the counts' copy into WebAssembly memory (4 MiB of u32). */
const STAGE_CELLS = 1 << 20;
/** Largest count a u32 holds. */
const MAX_COUNT = 0xffffffff;
/** Ridge on logit ρ in the ρ objective (the reference's 1e-4·logit(ρ)²). */
export const RHO_PENALTY = 1e-4;
/** Bounds of logit ρ in the reference's Brent fit; the kernels clamp a = e^−t to this image. */
export const LOGIT_RHO_BOUND = 30;

function requireCounts(v: unknown, name: string): CountArray {
  if (!(v instanceof Float64Array) && !(v instanceof Uint32Array)) {
    const got = v === null ? 'null' : Array.isArray(v) ? 'Array' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v;
    throw new ArgumentTypeError(`${name} must be a Float64Array or Uint32Array of counts, got ${got}`, name);
  }
  return v;
}

/**
 * Checks N×J counts: whole numbers in [0, 2^32), k ≤ n. Errors name the flat index, e.g.
 * argument 'k[7]', and give (sample, junction) in the message.
 */
export function validateCounts(k: CountArray, n: CountArray, J: number): void {
  const where = (i: number) => `sample ${Math.floor(i / J)}, junction ${i % J}`;
  for (const [arr, name] of [[k, 'k'], [n, 'n']] as const) {
    if (arr instanceof Uint32Array) continue;
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (!(v >= 0 && v <= MAX_COUNT && Math.floor(v) === v)) {
        throw new ArgumentValueError(`${name}[${i}] (${where(i)}) must be a whole number in [0, 2^32), got ${v}`, `${name}[${i}]`);
      }
    }
  }
  for (let i = 0; i < k.length; i++) {
    if (k[i] > n[i]) throw new ArgumentValueError(`k[${i}] (${where(i)}) = ${k[i]} exceeds n[${i}] = ${n[i]}`, `k[${i}]`);
  }
}

function requireFinite(v: Float64Array, name: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new ArgumentValueError(`${name}[${i}] must be finite, got ${v[i]}`, `${name}[${i}]`);
  }
}

function requireLength(v: Float64Array, len: number, name: string, what: string): void {
  requireFloat64Array(v, name);
  if (v.length !== len) throw new ShapeError(`${name} has ${v.length} elements, ${what} needs ${len}`, name);
}

/** a_j = (1−ρ_j)/ρ_j into `out`; ρ must be in [0, 1] (the kernels clamp a to [e^−30, e^30]). */
function rhoToA(rho: Float64Array, out: Float64Array, offset: number): void {
  for (let j = 0; j < rho.length; j++) {
    const r = rho[j];
    if (!(r >= 0 && r <= 1)) throw new ArgumentValueError(`rho[${j}] must be in [0, 1], got ${r}`, `rho[${j}]`);
    out[offset + j] = r === 0 ? Infinity : (1 - r) / r;
  }
}

/** Options of FraserObjective. */
export interface FraserObjectiveOptions {
  /** N×J split-read counts. */
  k: CountArray;
  /** N×J total counts. */
  n: CountArray;
  /**
   * N×J encoder input, used as given (centre it first). Optional when `latent` is given: then H is
   * fixed and only the per-junction decoder and ρ objectives (and nll, μ) are available.
   */
  x?: Float64Array;
  /** H (N×q) given directly instead of x·E: the fits that hold the encoder fixed and stream junction blocks. */
  latent?: Float64Array;
  /** J, the number of junctions (N = k.length / J). */
  junctions: number;
  /** q, the latent dimension. */
  latentDim: number;
  /** c ≥ 0 in lnΓ(α+k+c) and lnΓ(β+n−k+c); default 0 (the reference's default). */
  likelihoodPseudocount?: number;
  /** Core to run on (default: the one `init()` loaded). */
  core?: Core;
  /** Force the scalar twins of every kernel (tests, benchmarks). */
  scalar?: boolean;
  /** Cells per block of Y/G (default 2^16); the block holds max(1, ⌊blockCells/N⌋) junctions. */
  blockCells?: number;
  /**
   * Keep μ and 1 − μ of every cell (16·N·J bytes more) for the ρ objective while E, D, b and x
   * are unchanged, so that its evaluations skip Y = H Dᵀ and the sigmoid: for the fits that take
   * several ρ evaluations per junction at fixed μ. Default false.
   */
  cacheMean?: boolean;
  /**
   * The counts were checked already (k ≤ n, whole, < 2^32), so the constructor skips that pass.
   * Keyed by a symbol that only the fits import (src/models/fraser/index.ts does not export it),
   * so that callers of the public API always get their counts checked.
   */
  [COUNTS_CHECKED]?: boolean;
  /**
   * k and n are N×`junctions` matrices and the objective covers only these columns of them (its J
   * is their number; they are copied straight into its junction-major buffers). Not with `x`.
   * For the fits' junction blocks; keyed by a symbol like COUNTS_CHECKED.
   */
  [SOURCE_COLUMNS]?: Uint32Array;
}

/** See FraserObjectiveOptions[COUNTS_CHECKED]: for fit.ts, whose checkCounts has run. */
export const COUNTS_CHECKED: unique symbol = Symbol('counts checked');
/** See FraserObjectiveOptions[SOURCE_COLUMNS]. */
export const SOURCE_COLUMNS: unique symbol = Symbol('source columns');

/** nll and all three gradients, row-major like the inputs. */
export interface FraserGradients {
  nll: number;
  /** J×q */
  gradE: Float64Array;
  /** J×q */
  gradD: Float64Array;
  /** J */
  gradB: Float64Array;
}

/**
 * The objective of one FRASER fit, with every buffer allocated once in WebAssembly memory
 * (`dispose()` frees them). Methods set the parameter blocks and evaluate:
 *
 * - `evaluate()`: nll and ∂E, ∂D, ∂b at the stored E, D, b, ρ (nllAndGradient's maths).
 * - `encoderObjective()`: `(e, g) => nll` over E (J×q flat) for `lbfgs`; D, b, ρ fixed.
 * - `decoderObjective()`: a BatchObjective over J problems of dim q+1 (row [b_j, d_j]) for
 *   `minimizeBatch`; problem j's value is the weighted mean truncated loss of junction j over
 *   samples, F_j = (1/N) Σ_i w_ij ℓ_ij, so Σ_j F_j / J = nll (unweighted) and its gradient is J
 *   times nll's (∂b_j, ∂d_j). E (hence H) and ρ fixed.
 * - `rhoObjective()`: a BatchScalarObjective over J problems in t_j = logit ρ_j for `brentBatch`:
 *   the full beta-binomial NLL of junction j (Σ over samples, lnC included) + 1e-4·t². E, D, b fixed.
 *   `rhoDerivatives` gives f, f', f'' for Newton steps.
 *
 * None of the optimisation callbacks allocate. H = xE is recomputed lazily when E changed.
 * Huber weights (`setWeights`) apply to every truncated-loss evaluation; the ρ objective is
 * unweighted, as in the reference.
 */
export class FraserObjective {
  readonly samples: number;
  readonly junctions: number;
  readonly latentDim: number;
  readonly likelihoodPseudocount: number;
  /** Junctions per block of the cell kernel. */
  readonly blockRows: number;
  readonly core: Core;
  private readonly ws: Workspace;
  private readonly cells: CellsKernel;
  private readonly pValueRows: PValueRowsKernel;
  private readonly rhoKernel: RhoKernel;
  private readonly logChoose: LogChooseKernel;
  private readonly gemm: CoreExports['gemm'];
  private readonly gemv: CoreExports['gemv'];
  private readonly gemmWork: number;
  private readonly kT: WasmArray<'u32'>;
  private readonly nT: WasmArray<'u32'>;
  private readonly xT: WasmArray<'f64'> | undefined;
  private readonly E: WasmArray<'f64'>;
  private readonly D: WasmArray<'f64'>;
  private readonly b: WasmArray<'f64'>;
  private readonly a: WasmArray<'f64'>;
  private readonly H: WasmArray<'f64'>;
  private readonly M: WasmArray<'f64'>;
  private readonly gE: WasmArray<'f64'>;
  private readonly gD: WasmArray<'f64'>;
  private readonly gB: WasmArray<'f64'>;
  private readonly blk: WasmArray<'f64'>;
  private readonly rowLoss: WasmArray<'f64'>;
  private readonly rowGrad: WasmArray<'f64'>;
  private readonly rowD2: WasmArray<'f64'>;
  private readonly rowA: WasmArray<'f64'>;
  private readonly idx: WasmArray<'u32'>;
  private readonly dAct: WasmArray<'f64'>;
  private readonly gAct: WasmArray<'f64'>;
  private readonly bTrial: WasmArray<'f64'>;
  private readonly tBuf: WasmArray<'f64'>;
  private w: WasmArray<'f64'> | undefined;
  private fisherWork: { Ht: WasmArray<'f64'>; K: WasmArray<'f64'>; Xd: WasmArray<'f64'>; W: WasmArray<'f64'>; A: WasmArray<'f64'>; h: number } | undefined;
  /** Hᵀ (q×N), made on demand for the decoder objective's small batches; current when htVersion = hVersion. */
  private Ht: WasmArray<'f64'> | undefined;
  private htVersion = -2;
  private lnC: Float64Array | undefined;
  private eVersion = 0;
  private hVersion = -1;
  private dVersion = 0;
  private readonly meanRows: MeanRowsKernel;
  private readonly momentRows: MomentRowsKernel;
  private readonly residualRows: ResidualRowsKernel;
  private readonly logitRows: LogitRowsKernel;
  private projWork: { W: WasmArray<'f64'>; m: WasmArray<'f64'>; P: WasmArray<'f64'> } | undefined;
  private readonly cacheMean: boolean;
  private muCache: { mu: WasmArray<'f64'>; omu: WasmArray<'f64'>; e: number; d: number } | undefined;
  private latentWork: { S: WasmArray<'f64'>; W: WasmArray<'f64'>; A: WasmArray<'f64'> } | undefined;
  /** H was set by latentLoss: the stored E is stale until shiftEncoder. */
  private detached = false;
  private disposed = false;

  constructor(options: FraserObjectiveOptions) {
    if (typeof options !== 'object' || options === null) throw new ArgumentTypeError('options must be an object', 'options');
    const k = requireCounts(options.k, 'k');
    const n = requireCounts(options.n, 'n');
    const latent = options.latent === undefined ? undefined : requireFloat64Array(options.latent, 'latent');
    const x = options.x === undefined && latent ? undefined : requireFloat64Array(options.x, 'x');
    const q = requireInteger(options.latentDim, 'latentDim', 1);
    const c = options.likelihoodPseudocount ?? 0;
    if (typeof c !== 'number' || !(c >= 0) || !Number.isFinite(c)) {
      throw new ArgumentValueError(`likelihoodPseudocount must be a finite number ≥ 0, got ${String(c)}`, 'likelihoodPseudocount');
    }
    if (n.length !== k.length) throw new ShapeError(`n has ${n.length} elements, k has ${k.length}`, 'n');
    if (x && x.length !== k.length) throw new ShapeError(`x has ${x.length} elements, k has ${k.length}`, 'x');
    const Jsrc = requireInteger(options.junctions, 'junctions', 1);
    if (k.length % Jsrc !== 0 || k.length === 0) throw new ShapeError(`k has ${k.length} elements, not a positive multiple of J = ${Jsrc}`, 'k');
    const N = k.length / Jsrc;
    if (options[COUNTS_CHECKED] !== true) validateCounts(k, n, Jsrc);
    const cols = options[SOURCE_COLUMNS];
    if (cols && (x || cols.length === 0 || cols.some((j) => j >= Jsrc))) throw new ArgumentValueError('source columns must be non-empty, within the counts and without x', 'columns');
    const J = cols ? cols.length : Jsrc;
    if (x) requireFinite(x, 'x');
    if (latent) {
      requireLength(latent, N * q, 'latent', `N×q = ${N}×${q}`);
      requireFinite(latent, 'latent');
    }
    const blockCells = requireInteger(options.blockCells ?? 1 << 16, 'blockCells', 1);
    this.samples = N;
    this.junctions = J;
    this.latentDim = q;
    this.likelihoodPseudocount = c;
    this.blockRows = Math.max(1, Math.min(J, Math.floor(blockCells / N)));
    this.core = options.core ?? getCore();
    const e = this.core.exports as unknown as CoreExports & FraserExports;
    const s = options.scalar ? 'Scalar' : '';
    this.cells = e[`fraserCells${s}` as 'fraserCells'];
    this.rhoKernel = e[`fraserRhoObjective${s}` as 'fraserRhoObjective'];
    this.meanRows = e[`fraserMeanRows${s}` as 'fraserMeanRows'];
    this.momentRows = e[`fraserMomentRows${s}` as 'fraserMomentRows'];
    this.residualRows = e[`fraserResidualRows${s}` as 'fraserResidualRows'];
    this.logitRows = e[`fraserLogitRows${s}` as 'fraserLogitRows'];
    this.cacheMean = options.cacheMean === true;
    this.logChoose = e[`betabinomLogChooseRows${s}` as 'betabinomLogChooseRows'];
    this.pValueRows = e[`fraserPValueRows${s}` as 'fraserPValueRows'];
    this.gemm = e[`gemm${s}` as 'gemm'];
    this.gemv = e[`gemv${s}` as 'gemv'];
    if (typeof this.cells !== 'function') throw new ArgumentValueError('this WebAssembly core has no FRASER kernels (rebuild it)', 'core');
    this.gemmWork = gemmWorkspace(this.core);
    const B = this.blockRows;
    const ws = (this.ws = new Workspace(this.core));
    try {
      this.kT = ws.u32(J * N, 'k (junction-major)');
      this.nT = ws.u32(J * N, 'n (junction-major)');
      this.xT = x ? ws.f64(J * N, 'x (junction-major)') : undefined;
      this.E = ws.f64(J * q, 'E');
      this.D = ws.f64(J * q, 'D');
      this.b = ws.f64(J, 'b');
      this.a = ws.f64(J, 'a');
      this.H = ws.f64(N * q, 'H');
      this.M = ws.f64(N * q, 'GD');
      this.gE = ws.f64(J * q, 'gradE');
      this.gD = ws.f64(J * q, 'gradD');
      this.gB = ws.f64(J, 'gradB');
      this.blk = ws.f64(B * N, 'Y/G block');
      this.rowLoss = ws.f64(B, 'row loss');
      this.rowGrad = ws.f64(B, 'row gradient');
      this.rowD2 = ws.f64(B, 'row second derivative');
      this.rowA = ws.f64(3 * B, 'row a side');
      this.idx = ws.u32(B, 'active junctions');
      this.dAct = ws.f64(B * q, 'active d');
      this.gAct = ws.f64(B * q, 'active gradient');
      this.bTrial = ws.f64(J, 'trial b');
      this.tBuf = ws.f64(B, 'logit rho');
    } catch (err) {
      ws.dispose();
      throw err;
    }
    // Counts: chunks of columns copied into WebAssembly memory by runs, then transposed there.
    const all = cols ?? Uint32Array.from({ length: J }, (_, j) => j);
    const C = Math.min(J, Math.max(1, Math.floor(STAGE_CELLS / N)));
    const stage = this.core.heap.alloc(N * C * 4, 'counts (sample-major chunk)');
    try {
      for (let c0 = 0; c0 < J; c0 += C) {
        const part = all.subarray(c0, Math.min(J, c0 + C));
        for (const [src, dst] of [[k, this.kT], [n, this.nT]] as const) {
          copyColumnsInto(this.core.u32, stage >>> 2, src, N, Jsrc, part);
          e.fraserTransposeCounts(N, part.length, stage, dst.ptr + c0 * N * 4);
        }
      }
    } finally {
      this.core.heap.release(stage);
    }
    if (x) transposeInto(this.core.f64, this.xT!.ptr >>> 3, x, N, J);
    this.a.view().fill(1); // ρ = 1/2 until setRho
    if (latent) {
      this.H.set(latent);
      this.hVersion = this.eVersion;
    }
  }

  private check(): void {
    if (this.disposed) throw new ArgumentValueError('this FraserObjective was disposed', 'objective');
  }

  /** The encoder side (x, E, ∂E) exists only when the objective was built from x. */
  private needX(what: string): WasmArray<'f64'> {
    if (!this.xT) throw new ArgumentValueError(`${what} needs x: this objective was built with a fixed latent H`, 'x');
    return this.xT;
  }

  /** Replaces x (N×J, used as given), e.g. with a denoising copy x + noise. */
  setX(x: Float64Array): void {
    this.check();
    const xT = this.needX('setX');
    this.attached('setX');
    requireLength(x, this.samples * this.junctions, 'x', `N×J = ${this.samples}×${this.junctions}`);
    requireFinite(x, 'x');
    transposeInto(this.core.f64, xT.ptr >>> 3, x, this.samples, this.junctions);
    this.eVersion++;
  }

  /** Sets E (J×q). */
  setEncoder(E: Float64Array): void {
    this.check();
    this.needX('setEncoder');
    requireLength(E, this.junctions * this.latentDim, 'E', `J×q = ${this.junctions}×${this.latentDim}`);
    requireFinite(E, 'E');
    this.E.set(E);
    this.detached = false;
    this.eVersion++;
  }

  /** Sets D (J×q) and b (J). */
  setDecoder(D: Float64Array, b: Float64Array): void {
    this.check();
    requireLength(D, this.junctions * this.latentDim, 'D', `J×q = ${this.junctions}×${this.latentDim}`);
    requireLength(b, this.junctions, 'b', `J = ${this.junctions}`);
    requireFinite(D, 'D');
    requireFinite(b, 'b');
    this.D.set(D);
    this.b.set(b);
    this.dVersion++;
  }

  /** Sets ρ (J), each in [0, 1]. */
  setRho(rho: Float64Array): void {
    this.check();
    requireLength(rho, this.junctions, 'rho', `J = ${this.junctions}`);
    rhoToA(rho, this.core.f64, this.a.ptr >>> 3);
  }

  /** Sets ρ from t = logit ρ (J). */
  setLogitRho(t: Float64Array): void {
    this.check();
    requireLength(t, this.junctions, 'logitRho', `J = ${this.junctions}`);
    const f = this.core.f64;
    const o = this.a.ptr >>> 3;
    for (let j = 0; j < t.length; j++) {
      if (Number.isNaN(t[j])) throw new ArgumentValueError(`logitRho[${j}] is NaN`, `logitRho[${j}]`);
      f[o + j] = Math.exp(-t[j]);
    }
  }

  /** Sets per-cell weights w (N×J, finite, ≥ 0), or removes them with null. */
  setWeights(w: Float64Array | null): void {
    this.check();
    if (w === null) {
      this.w = undefined;
      return;
    }
    requireLength(w, this.samples * this.junctions, 'weights', `N×J = ${this.samples}×${this.junctions}`);
    for (let i = 0; i < w.length; i++) {
      if (!(w[i] >= 0 && w[i] < Infinity)) throw new ArgumentValueError(`weights[${i}] must be finite and ≥ 0, got ${w[i]}`, `weights[${i}]`);
    }
    if (!this.w) this.w = this.ws.f64(this.samples * this.junctions, 'weights (junction-major)');
    transposeInto(this.core.f64, this.w.ptr >>> 3, w, this.samples, this.junctions);
  }

  /** Copies of the stored parameters. */
  getEncoder(): Float64Array {
    this.attached('getEncoder');
    return this.E.view().slice();
  }
  getDecoder(): { D: Float64Array; b: Float64Array } {
    return { D: this.D.view().slice(), b: this.b.view().slice() };
  }
  /** ρ_j = 1/(1+a_j) as stored (before the kernels' clamp). */
  getRho(): Float64Array {
    const a = this.a.view();
    const r = new Float64Array(a.length);
    for (let j = 0; j < a.length; j++) r[j] = 1 / (1 + a[j]);
    return r;
  }

  /** H (N×q) as the objective uses it: x E, or the fixed latent it was built with. */
  getLatent(): Float64Array {
    this.check();
    this.ensureH();
    return this.H.view().slice();
  }

  /** H = x E, recomputed only when x or E changed since the last time (never with a fixed latent). */
  private ensureH(): void {
    if (this.hVersion === this.eVersion) return;
    const N = this.samples, J = this.junctions, q = this.latentDim;
    this.gemm(1, 0, N, q, J, 1, this.needX('H = xE').ptr, N, this.E.ptr, q, 0, this.H.ptr, q, this.gemmWork);
    this.hVersion = this.eVersion;
  }

  /** Hᵀ (q×N, allocated by decoderObjective) from the current H, recomputed only when H changed. */
  private ensureHt(): WasmArray<'f64'> {
    this.ensureH();
    const N = this.samples, q = this.latentDim;
    if (!this.Ht) this.Ht = this.ws.f64(q * N, 'H transposed');
    if (this.htVersion !== this.hVersion) {
      const f = this.core.f64;
      const oH = this.H.ptr >>> 3, oT = this.Ht.ptr >>> 3;
      for (let i = 0; i < N; i++) for (let l = 0; l < q; l++) f[oT + l * N + i] = f[oH + i * q + l];
      this.htVersion = this.hVersion;
    }
    return this.Ht;
  }

  /**
   * Y rows (nb×N, ld N) = Dact (nb×q) Hᵀ. Below SMALL_BATCH rows, one gemv per row: gemm would
   * pack all of H (N×q) for each call, which dominates a single junction's evaluation.
   */
  private rowsY(nb: number, pD: number, pY: number): void {
    const N = this.samples, q = this.latentDim;
    if (nb < SMALL_BATCH) {
      for (let r = 0; r < nb; r++) this.gemv(0, N, q, 1, this.H.ptr, q, pD + r * q * 8, 0, pY + r * N * 8);
    } else {
      this.gemm(0, 1, nb, N, q, 1, pD, q, this.H.ptr, q, 0, pY, N, this.gemmWork);
    }
  }

  /** out (nb×q) = G rows (nb×N) H, by gemv per row below SMALL_BATCH rows. */
  private rowsGradD(nb: number, pG: number, pOut: number): void {
    const N = this.samples, q = this.latentDim;
    if (nb < SMALL_BATCH) {
      for (let r = 0; r < nb; r++) this.gemv(1, N, q, 1, this.H.ptr, q, pG + r * N * 8, 0, pOut + r * q * 8);
    } else {
      this.gemm(0, 0, nb, q, N, 1, pG, N, this.H.ptr, q, 0, pOut, q, this.gemmWork);
    }
  }

  /**
   * One pass over all junctions in blocks: loss, G, ∂b, optionally ∂D, and M = G D; then ∂E = xᵀM
   * when asked. Returns nll.
   */
  private pass(wantE: boolean, wantD: boolean, wantGradE = true): number {
    this.ensureH();
    const N = this.samples, J = this.junctions, q = this.latentDim, B = this.blockRows;
    const scale = 1 / (N * J);
    const w = this.w ? this.w.ptr : 0;
    let loss = 0;
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      const dBlk = this.D.ptr + j0 * q * 8;
      // Y block (nb×N) = D[j0:j0+nb] Hᵀ; the kernel adds b and overwrites Y with G.
      this.gemm(0, 1, nb, N, q, 1, dBlk, q, this.H.ptr, q, 0, this.blk.ptr, N, this.gemmWork);
      loss += this.cells(
        nb, N, 0, this.blk.ptr, N, this.kT.ptr + j0 * N * 4, this.nT.ptr + j0 * N * 4, N,
        this.a.ptr + j0 * 8, this.b.ptr + j0 * 8, this.likelihoodPseudocount, w ? w + j0 * N * 8 : 0, N,
        scale, this.blk.ptr, N, 0, this.gB.ptr + j0 * 8,
      );
      if (wantD) this.gemm(0, 0, nb, q, N, 1, this.blk.ptr, N, this.H.ptr, q, 0, this.gD.ptr + j0 * q * 8, q, this.gemmWork);
      if (wantE) this.gemm(1, 0, N, q, nb, 1, this.blk.ptr, N, dBlk, q, j0 === 0 ? 0 : 1, this.M.ptr, q, this.gemmWork);
    }
    if (wantE && wantGradE) this.gemm(0, 0, J, q, N, 1, this.needX('∂E').ptr, N, this.M.ptr, q, 0, this.gE.ptr, q, this.gemmWork);
    return loss;
  }

  /** nll at the stored parameters. */
  nll(): number {
    this.check();
    return this.pass(false, false);
  }

  /** nll and its gradients at the stored parameters (fresh arrays unless `out` is given). */
  evaluate(out?: Partial<Omit<FraserGradients, 'nll'>>): FraserGradients {
    this.check();
    this.needX('evaluate (∂E)');
    const nll = this.pass(true, true);
    const J = this.junctions, q = this.latentDim;
    const gradE = out?.gradE ?? new Float64Array(J * q);
    const gradD = out?.gradD ?? new Float64Array(J * q);
    const gradB = out?.gradB ?? new Float64Array(J);
    requireLength(gradE, J * q, 'gradE', 'J×q');
    requireLength(gradD, J * q, 'gradD', 'J×q');
    requireLength(gradB, J, 'gradB', 'J');
    gradE.set(this.gE.view());
    gradD.set(this.gD.view());
    gradB.set(this.gB.view());
    return { nll, gradE, gradD, gradB };
  }

  /**
   * `(e, g) => nll` over E (J×q row-major) with D, b, ρ fixed, for `lbfgs`. Each call writes e into
   * the stored E (set the optimiser's result with `setEncoder` afterwards), and g = ∂nll/∂E.
   */
  encoderObjective(): (e: Float64Array, g: Float64Array) => number {
    this.check();
    this.needX('encoderObjective');
    const JQ = this.junctions * this.latentDim;
    return (e: Float64Array, g: Float64Array): number => {
      if (e.length !== JQ || g.length !== JQ) throw new ShapeError(`E and its gradient need ${JQ} elements`, 'e');
      this.E.set(e);
      this.detached = false;
      this.eVersion++;
      const f = this.pass(true, false);
      g.set(this.gE.view());
      return f;
    };
  }

  // ---- updateE in the latent space (src/models/fraser/encoder.ts) -------------------------------
  // nll depends on E only through H = xE, and every E that L-BFGS visits from E₀ is E₀ + xᵀC for
  // some C (N×q): its gradients xᵀ(∂nll/∂H) lie in the row space of x. So the E step can be taken in
  // H (N×q instead of J×q), where the information matrix is block-diagonal over samples, and mapped
  // back once: E = E₀ + xᵀC with (x xᵀ)C = H − H₀.

  private attached(what: string): void {
    if (this.detached) throw new ArgumentValueError(`${what}: the latent was set by latentLoss and E is stale until shiftEncoder`, 'objective');
  }

  /** K = x xᵀ (N×N, row-major) of the stored x. */
  sampleGram(): Float64Array {
    this.check();
    const xT = this.needX('sampleGram');
    const N = this.samples;
    const K = this.core.heap.alloc(N * N * 8, 'sample Gram matrix');
    try {
      this.gemm(1, 0, N, N, this.junctions, 1, xT.ptr, N, xT.ptr, N, 0, K, N, this.gemmWork);
      return this.core.f64.slice(K >>> 3, (K >>> 3) + N * N);
    } finally {
      this.core.heap.release(K);
    }
  }

  /**
   * nll at latent H (N×q) with D, b, ρ (and weights) fixed; with gH, also ∂nll/∂H into it. H
   * replaces the stored latent: until shiftEncoder, the stored E is stale (getEncoder throws).
   */
  latentLoss(H: Float64Array, gH: Float64Array | null): number {
    this.check();
    this.needX('latentLoss');
    const N = this.samples, q = this.latentDim;
    requireLength(H, N * q, 'H', `N×q = ${N}×${q}`);
    requireFinite(H, 'H');
    if (gH) requireLength(gH, N * q, 'gH', `N×q = ${N}×${q}`);
    this.H.set(H);
    this.detached = true;
    this.eVersion++;
    this.hVersion = this.eVersion;
    const f = this.pass(gH !== null, false, false);
    if (gH) gH.set(this.M.view());
    return f;
  }

  /**
   * The expected (Fisher) information of nll about each sample's latent row h_i at the stored H:
   * A_i = (1/(N·J)) Σ_j w_ij·I_ij·d_j d_jᵀ with I_ij = n_ij μ_ij(1−μ_ij)/(1 + (n_ij − 1)ρ_j), as in
   * decoderFisher (nll's Hessian in H is block-diagonal over samples; this is its expectation,
   * positive semi-definite). Writes A_i (q×q, full) at A[i·q²]. By blocks of junctions: y rows,
   * then the weights times the upper triangles of d_j d_jᵀ (one gemm per block).
   */
  latentFisher(A: Float64Array): void {
    this.check();
    this.ensureH();
    const N = this.samples, J = this.junctions, q = this.latentDim, B = this.blockRows, ns = (q * (q + 1)) / 2;
    requireLength(A, N * q * q, 'A', `N·q² = ${N * q * q}`);
    if (!this.latentWork) {
      this.latentWork = {
        S: this.ws.f64(B * ns, 'decoder outer products'), W: this.ws.f64(B * N, 'Fisher weights'),
        A: this.ws.f64(N * ns, 'latent information'),
      };
    }
    const lw = this.latentWork;
    const scale = 1 / (N * J);
    const ob = this.b.ptr >>> 3;
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      this.rowsY(nb, this.D.ptr + j0 * q * 8, lw.W.ptr);
      const f64 = this.core.f64;
      const oY = lw.W.ptr >>> 3, oS = lw.S.ptr >>> 3, oD = (this.D.ptr >>> 3) + j0 * q;
      for (let r = 0; r < nb; r++) {
        this.fisherWeights(oY + r * N, j0 + r, f64[ob + j0 + r], scale);
        let c = oS + r * ns;
        const d = oD + r * q;
        for (let l = 0; l < q; l++) for (let m = l; m < q; m++) f64[c++] = f64[d + l] * f64[d + m];
      }
      // A (N × ns) += weightsᵀ (N×nb) · outer products (nb×ns).
      this.gemm(1, 0, N, ns, nb, 1, lw.W.ptr, N, lw.S.ptr, ns, j0 === 0 ? 0 : 1, lw.A.ptr, ns, this.gemmWork);
    }
    const f64 = this.core.f64, oA = lw.A.ptr >>> 3;
    for (let i = 0; i < N; i++) {
      let c = oA + i * ns;
      const a0 = i * q * q;
      for (let l = 0; l < q; l++) {
        for (let m = l; m < q; m++) {
          const v = f64[c++];
          A[a0 + l * q + m] = v;
          A[a0 + m * q + l] = v;
        }
      }
    }
  }

  /** E += xᵀC (C N×q), which ends a latent-space update: H is recomputed from E from here on. */
  shiftEncoder(C: Float64Array): void {
    this.check();
    const xT = this.needX('shiftEncoder');
    const N = this.samples, q = this.latentDim;
    requireLength(C, N * q, 'C', `N×q = ${N}×${q}`);
    requireFinite(C, 'C');
    const p = this.core.heap.alloc(N * q * 8, 'encoder shift');
    try {
      this.core.f64.set(C, p >>> 3);
      this.gemm(0, 0, this.junctions, q, N, 1, xT.ptr, N, p, q, 1, this.E.ptr, q, this.gemmWork);
    } finally {
      this.core.heap.release(p);
    }
    this.detached = false;
    this.eVersion++;
  }

  /** Start points for the decoder fit: J×(q+1) rows [b_j, d_j] from the stored b and D. */
  decoderStart(out?: Float64Array): Float64Array {
    this.check();
    const J = this.junctions, q = this.latentDim, dim = q + 1;
    const X = out ?? new Float64Array(J * dim);
    requireLength(X, J * dim, 'out', 'J×(q+1)');
    const D = this.D.view(), b = this.b.view();
    for (let j = 0; j < J; j++) {
      X[j * dim] = b[j];
      for (let l = 0; l < q; l++) X[j * dim + 1 + l] = D[j * q + l];
    }
    return X;
  }

  /** Stores the decoder rows [b_j, d_j] of X (J×(q+1)), e.g. minimizeBatch's result x. */
  setDecoderFromBatch(X: Float64Array): void {
    this.check();
    const J = this.junctions, q = this.latentDim, dim = q + 1;
    requireLength(X, J * dim, 'X', 'J×(q+1)');
    requireFinite(X, 'X');
    const f = this.core.f64;
    const oD = this.D.ptr >>> 3, oB = this.b.ptr >>> 3;
    for (let j = 0; j < J; j++) {
      f[oB + j] = X[j * dim];
      for (let l = 0; l < q; l++) f[oD + j * q + l] = X[j * dim + 1 + l];
    }
    this.dVersion++;
  }

  /**
   * The batched per-junction decoder objective for `minimizeBatch(fn, decoderStart(), J, q+1)`:
   * F[j] = (1/N) Σ_i w_ij ℓ_ij at y_·j = H·d_j + b_j (X row j = [b_j, d_j]), G row j its gradient.
   * H is taken from the stored E (recomputed if E changed). The stored D and b are not touched.
   */
  decoderObjective(): BatchObjective {
    this.check();
    const N = this.samples, q = this.latentDim, dim = q + 1, B = this.blockRows;
    const scale = 1 / N;
    if (!this.Ht) this.Ht = this.ws.f64(q * N, 'H transposed'); // allocated here, not per call
    return (X, G, F, active, nActive) => {
      this.ensureH();
      const w = this.w ? this.w.ptr : 0;
      for (let r0 = 0; r0 < nActive; r0 += B) {
        const nb = Math.min(B, nActive - r0);
        const f64 = this.core.f64, u32 = this.core.u32;
        const oIdx = this.idx.ptr >>> 2, oD = this.dAct.ptr >>> 3, oB = this.bTrial.ptr >>> 3;
        for (let r = 0; r < nb; r++) {
          const p = active[r0 + r];
          u32[oIdx + r] = p;
          f64[oB + p] = X[p * dim];
          for (let l = 0; l < q; l++) f64[oD + r * q + l] = X[p * dim + 1 + l];
        }
        // Below SMALL_BATCH rows, gemv on Hᵀ (q×N): y = Σ_l d_l·Hᵀ[l,:] runs along N without
        // horizontal sums, and ∂d = Hᵀ·g is q long dot products (each about 1.5× faster than
        // gemv on H, N×q with q = 20).
        const Ht = nb < SMALL_BATCH ? this.ensureHt().ptr : 0;
        if (Ht) {
          for (let r = 0; r < nb; r++) this.gemv(1, q, N, 1, Ht, N, this.dAct.ptr + r * q * 8, 0, this.blk.ptr + r * N * 8);
        } else {
          this.rowsY(nb, this.dAct.ptr, this.blk.ptr);
        }
        this.cells(
          nb, N, this.idx.ptr, this.blk.ptr, N, this.kT.ptr, this.nT.ptr, N, this.a.ptr, this.bTrial.ptr,
          this.likelihoodPseudocount, w, N, scale, this.blk.ptr, N, this.rowLoss.ptr, this.rowGrad.ptr,
        );
        if (Ht) {
          for (let r = 0; r < nb; r++) this.gemv(0, q, N, 1, Ht, N, this.blk.ptr + r * N * 8, 0, this.gAct.ptr + r * q * 8);
        } else {
          this.rowsGradD(nb, this.blk.ptr, this.gAct.ptr);
        }
        const oL = this.rowLoss.ptr >>> 3, oG = this.rowGrad.ptr >>> 3, oA = this.gAct.ptr >>> 3;
        for (let r = 0; r < nb; r++) {
          const p = active[r0 + r];
          F[p] = f64[oL + r];
          G[p * dim] = f64[oG + r];
          for (let l = 0; l < q; l++) G[p * dim + 1 + l] = f64[oA + r * q + l];
        }
      }
    };
  }

  /**
   * In place over junction j's y row (N values from f64 index oy, y + shift = the logit of μ): the
   * weights scale·w·I of the information matrices, I = n μ(1−μ)/(1 + (n−1)ρ_j), 0 where n = 0.
   */
  private fisherWeights(oy: number, j: number, shift: number, scale: number): void {
    const N = this.samples, f64 = this.core.f64, u32 = this.core.u32;
    const aj = Math.min(Math.max(f64[(this.a.ptr >>> 3) + j], 9.357622968840175e-14), 1.0686474581524463e13);
    const rho = 1 / (1 + aj);
    const on = (this.nT.ptr >>> 2) + j * N, ow = this.w ? (this.w.ptr >>> 3) + j * N : -1;
    for (let i = 0; i < N; i++) {
      const n = u32[on + i];
      const y = Math.min(Math.max(f64[oy + i] + shift, -300), 300);
      const e = Math.exp(-Math.abs(y));
      const v = e / ((1 + e) * (1 + e)); // μ(1−μ), accurate in both tails
      let wgt = n > 0 ? (scale * n * v) / (1 + (n - 1) * rho) : 0;
      if (ow >= 0) wgt *= f64[ow + i];
      f64[oy + i] = wgt;
    }
  }

  /**
   * The expected (Fisher) information of the decoder objective of each listed junction at X (rows
   * [b_j, d_j]), for scoring steps: A_j = (1/N) Σ_i w_ij·I_ij·h̃_i h̃_iᵀ with h̃_i = [1, H_i] and
   * I_ij = n_ij μ_ij(1−μ_ij) / (1 + (n_ij − 1)ρ_j), the beta-binomial information about the logit
   * of the mean (its variance function is nμ(1−μ)(1 + (n−1)ρ)). Positive semi-definite by
   * construction, unlike the exact Hessian, whose ψ-difference term can make it indefinite.
   * Writes the matrix of the r-th listed junction (dim×dim, dim = q+1, row-major, full) at
   * A[r·dim²], so A needs nActive·dim² entries. n = 0 cells contribute nothing.
   * By two gemms per chunk of junctions: their y rows = [b_j, d_j]·h̃ᵀ, then the weights w·I times
   * K (N × dim(dim+1)/2), K_i = the upper triangle of h̃_i h̃_iᵀ, which depends on H alone.
   */
  decoderFisher(X: Float64Array, A: Float64Array, active: Uint32Array, nActive: number): void {
    this.check();
    this.ensureH();
    const N = this.samples, q = this.latentDim, dim = q + 1, d2 = dim * dim, ns = (dim * (dim + 1)) / 2;
    requireLength(X, this.junctions * dim, 'X', 'J×(q+1)');
    if (!(A instanceof Float64Array) || A.length < nActive * d2) throw new ShapeError(`A needs at least nActive·(q+1)² = ${nActive * d2} entries`, 'A');
    const C = this.blockRows;
    if (!this.fisherWork) {
      this.fisherWork = {
        Ht: this.ws.f64(N * dim, 'design [1, H]'), K: this.ws.f64(N * ns, 'design products'),
        Xd: this.ws.f64(C * dim, 'decoder rows'), W: this.ws.f64(C * N, 'Fisher weights'), A: this.ws.f64(C * ns, 'Fisher blocks'), h: -1,
      };
    }
    const fw = this.fisherWork;
    let f64 = this.core.f64;
    if (fw.h !== this.hVersion) {
      // h̃_i = [1, H_i] and K_i = (h̃_a h̃_b)_{a≤b}, row i of each; rebuilt when H changes.
      const oH = this.H.ptr >>> 3, oT = fw.Ht.ptr >>> 3, oK = fw.K.ptr >>> 3;
      for (let i = 0; i < N; i++) {
        const t = oT + i * dim;
        f64[t] = 1;
        for (let l = 0; l < q; l++) f64[t + 1 + l] = f64[oH + i * q + l];
        let c = oK + i * ns;
        for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) f64[c++] = f64[t + a] * f64[t + b];
      }
      fw.h = this.hVersion;
    }
    const scale = 1 / N;
    for (let r0 = 0; r0 < nActive; r0 += C) {
      const nc = Math.min(C, nActive - r0);
      f64 = this.core.f64;
      const oX = fw.Xd.ptr >>> 3;
      for (let r = 0; r < nc; r++) for (let l = 0; l < dim; l++) f64[oX + r * dim + l] = X[active[r0 + r] * dim + l];
      // y rows (nc×N) = Xd h̃ᵀ, then in place the weights scale·n·μ(1−μ)/(1 + (n−1)ρ)·w.
      this.gemm(0, 1, nc, N, dim, 1, fw.Xd.ptr, dim, fw.Ht.ptr, dim, 0, fw.W.ptr, N, this.gemmWork);
      f64 = this.core.f64;
      const oY = fw.W.ptr >>> 3;
      for (let r = 0; r < nc; r++) this.fisherWeights(oY + r * N, active[r0 + r], 0, scale);
      // The upper triangles of A (nc × ns) = weights (nc×N) K (N×ns); unpacked to full matrices.
      this.gemm(0, 0, nc, ns, N, 1, fw.W.ptr, N, fw.K.ptr, ns, 0, fw.A.ptr, ns, this.gemmWork);
      f64 = this.core.f64;
      const oA = fw.A.ptr >>> 3;
      for (let r = 0; r < nc; r++) {
        const a0 = (r0 + r) * d2;
        let c = oA + r * ns;
        for (let a = 0; a < dim; a++) {
          for (let b = a; b < dim; b++) {
            const v = f64[c++];
            A[a0 + a * dim + b] = v;
            A[a0 + b * dim + a] = v;
          }
        }
      }
    }
  }

  /** Σ_i lnC(n_ij + 2c, k_ij + c) per junction, computed once. */
  private logChooseSums(): Float64Array {
    if (this.lnC) return this.lnC;
    const J = this.junctions, N = this.samples, B = this.blockRows;
    const out = new Float64Array(J);
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      this.logChoose(nb, N, 0, this.kT.ptr + j0 * N * 4, this.nT.ptr + j0 * N * 4, N, this.likelihoodPseudocount, this.rowLoss.ptr);
      out.set(this.rowLoss.view().subarray(0, nb), j0);
    }
    return (this.lnC = out);
  }

  /**
   * f_j(t) for the first nActive problems of `active` (junction indices): the full beta-binomial
   * NLL of junction j at ρ = sigmoid(T[j]) (μ from the stored E, D, b), summed over samples, plus
   * 1e-4·T[j]². Writes F[j], and f'(t), f''(t) into D1[j], D2[j] when those are given.
   * With `withLogChoose` false, F leaves out Σ_i lnC(n, k), which does not depend on ρ (Newton's
   * steps do not need it, and its one-off pass costs about a fifth of a ρ fit).
   * With `L` (length 3J) the same pass also gives the truncated loss Σ_i ℓ_ij of the junction at
   * T[j] (unweighted) and its first and second derivatives in t, at L[3j], L[3j+1], L[3j+2].
   */
  rhoDerivatives(
    T: Float64Array, F: Float64Array, D1?: Float64Array, D2?: Float64Array, active?: Uint32Array, nActive?: number,
    withLogChoose = true, L?: Float64Array,
  ): void {
    this.check();
    const J = this.junctions;
    for (const [v, name] of [[T, 'T'], [F, 'F'], [D1, 'D1'], [D2, 'D2']] as const) {
      if (v !== undefined) requireLength(v, J, name, `J = ${J}`);
    }
    if (L !== undefined) requireLength(L, 3 * J, 'L', `3J = ${3 * J}`);
    this.rhoEval(T, F, D1, D2, active, nActive ?? (active ? active.length : J), withLogChoose, L);
  }

  private rhoEval(
    T: Float64Array, F: Float64Array, D1: Float64Array | undefined, D2: Float64Array | undefined, active: Uint32Array | undefined, nActive: number,
    withLogChoose = true, L?: Float64Array,
  ): void {
    this.ensureH();
    const N = this.samples, q = this.latentDim, B = this.blockRows;
    const lnC = withLogChoose ? this.logChooseSums() : undefined;
    const cache = this.cacheMean ? this.meanCache() : undefined;
    for (let r0 = 0; r0 < nActive; r0 += B) {
      const nb = Math.min(B, nActive - r0);
      const f64 = this.core.f64, u32 = this.core.u32;
      const oIdx = this.idx.ptr >>> 2, oD = this.dAct.ptr >>> 3, oT = this.tBuf.ptr >>> 3, oDs = this.D.ptr >>> 3;
      for (let r = 0; r < nb; r++) {
        const p = active ? active[r0 + r] : r0 + r;
        u32[oIdx + r] = p;
        f64[oT + r] = T[p];
        if (!cache) for (let l = 0; l < q; l++) f64[oD + r * q + l] = f64[oDs + p * q + l];
      }
      if (!cache) this.rowsY(nb, this.dAct.ptr, this.blk.ptr);
      this.rhoKernel(
        nb, N, this.idx.ptr, this.tBuf.ptr, this.blk.ptr, N, this.kT.ptr, this.nT.ptr, N, this.b.ptr,
        this.likelihoodPseudocount, this.rowLoss.ptr, D1 || D2 || L ? this.rowGrad.ptr : 0, D2 || L ? this.rowD2.ptr : 0, L ? this.rowA.ptr : 0,
        cache ? cache.mu.ptr : 0, cache ? cache.omu.ptr : 0,
      );
      const oL = this.rowLoss.ptr >>> 3, oG = this.rowGrad.ptr >>> 3, oH = this.rowD2.ptr >>> 3, oA = this.rowA.ptr >>> 3;
      for (let r = 0; r < nb; r++) {
        const p = active ? active[r0 + r] : r0 + r;
        F[p] = lnC ? f64[oL + r] - lnC[p] : f64[oL + r];
        if (D1) D1[p] = f64[oG + r];
        if (D2) D2[p] = f64[oH + r];
        if (L) {
          // Σ_i ℓ = f − ridge − A, where f (without lnC) = Σ_i [Δlnγ(a, n) − Δlnγ(α, k) − Δlnγ(β, m)] + ridge.
          const t = T[p], o = oA + 3 * r;
          L[3 * p] = f64[oL + r] - RHO_PENALTY * t * t - f64[o];
          L[3 * p + 1] = f64[oG + r] - 2 * RHO_PENALTY * t - f64[o + 1];
          L[3 * p + 2] = f64[oH + r] - 2 * RHO_PENALTY - f64[o + 2];
        }
      }
    }
  }

  /** μ and 1 − μ of every cell (junction-major) at the stored E, D, b, x: computed when they changed. */
  private meanCache(): { mu: WasmArray<'f64'>; omu: WasmArray<'f64'> } {
    const N = this.samples, J = this.junctions, q = this.latentDim, B = this.blockRows;
    if (!this.muCache) this.muCache = { mu: this.ws.f64(J * N, 'μ cache'), omu: this.ws.f64(J * N, '1 − μ cache'), e: -1, d: -1 };
    const m = this.muCache;
    if (m.e === this.eVersion && m.d === this.dVersion) return m;
    this.ensureH();
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      this.rowsY(nb, this.D.ptr + j0 * q * 8, this.blk.ptr);
      this.meanRows(nb, N, this.blk.ptr, N, this.b.ptr + j0 * 8, m.mu.ptr + j0 * N * 8, m.omu.ptr + j0 * N * 8, N);
    }
    m.e = this.eVersion;
    m.d = this.dVersion;
    return m;
  }

  /**
   * A method-of-moments ρ per junction at the stored μ (the ρ fit's start): Var(k) =
   * nμ(1−μ)(1 + (n−1)ρ) gives ρ̂ = Σ_i [(k − nμ)² − nμ(1−μ)] / Σ_i n(n−1)μ(1−μ), clamped to
   * [1e-6, 0.9]; a junction whose samples all have n ≤ 1 carries no information on ρ and gets 0.01.
   * Uses (and fills) the μ cache.
   */
  momentRho(): Float64Array {
    this.check();
    const N = this.samples, J = this.junctions, B = this.blockRows;
    const m = this.meanCache();
    const out = new Float64Array(J);
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      this.momentRows(nb, N, this.kT.ptr + j0 * N * 4, this.nT.ptr + j0 * N * 4, m.mu.ptr + j0 * N * 8, m.omu.ptr + j0 * N * 8, N, this.rowLoss.ptr);
      out.set(this.core.f64.subarray(this.rowLoss.ptr >>> 3, (this.rowLoss.ptr >>> 3) + nb), j0);
    }
    return out;
  }

  /**
   * Per junction, the mean and sd (n−1) over samples of the logit residual
   * logit((k+pc)/(n+2pc)) − logit(μ) = ln[(k+pc)(1−μ) / ((n−k+pc)μ)], μ clamped to [1e-15, 1−1e-15]
   * (the z-scores' centre and scale). Uses (and fills) the μ cache.
   */
  logitResidualStats(pc: number): { mean: Float64Array; sd: Float64Array } {
    this.check();
    const N = this.samples, J = this.junctions, B = this.blockRows;
    const m = this.meanCache();
    const mean = new Float64Array(J), sd = new Float64Array(J);
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      this.residualRows(nb, N, this.kT.ptr + j0 * N * 4, this.nT.ptr + j0 * N * 4, m.mu.ptr + j0 * N * 8, N, pc, this.rowLoss.ptr, this.rowGrad.ptr, this.blk.ptr);
      const f64 = this.core.f64;
      mean.set(f64.subarray(this.rowLoss.ptr >>> 3, (this.rowLoss.ptr >>> 3) + nb), j0);
      sd.set(f64.subarray(this.rowGrad.ptr >>> 3, (this.rowGrad.ptr >>> 3) + nb), j0);
    }
    return { mean, sd };
  }

  /**
   * P = x_cᵀ W (J×q) with x_c = logit((k+pc)/(n+2pc)) − means (per junction) computed from the
   * stored counts, W N×q: with W = U_q Σ_q⁻¹ of the centred x's SVD, P is V_q, the principal
   * directions (the pca fit's E and D, and every fit's decoder start). x_c is never held whole:
   * it goes through the Y/G block, blockCells at a time.
   */
  logitProjection(W: Float64Array, means: Float64Array, pc: number): Float64Array {
    this.check();
    const N = this.samples, J = this.junctions, q = this.latentDim, B = this.blockRows;
    requireLength(W, N * q, 'W', 'N×q');
    requireLength(means, J, 'means', 'J');
    if (!(pc > 0)) throw new ArgumentValueError(`pc must be positive, got ${pc}`, 'pc');
    const scratch = (this.projWork ??= { W: this.ws.f64(N * q, 'projection W'), m: this.ws.f64(J, 'projection means'), P: this.ws.f64(J * q, 'projection') });
    scratch.W.set(W);
    scratch.m.set(means);
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      this.logitRows(nb, N, this.kT.ptr + j0 * N * 4, this.nT.ptr + j0 * N * 4, N, pc, scratch.m.ptr + j0 * 8, this.blk.ptr, N);
      this.gemm(0, 0, nb, q, N, 1, this.blk.ptr, N, scratch.W.ptr, q, 0, scratch.P.ptr + j0 * q * 8, q, this.gemmWork);
    }
    return Float64Array.from(scratch.P.view());
  }

  /**
   * The batched ρ objective for `brentBatch(fn, lo, hi)` over t_j = logit ρ_j (the reference
   * brackets [−30, 30], tolerance 1e-7); set the result with `setLogitRho(result.x)`.
   */
  rhoObjective(): BatchScalarObjective {
    this.check();
    return (U, FU, active, nActive) => this.rhoEval(U, FU, undefined, undefined, active, nActive);
  }

  /**
   * Per-junction mean truncated loss (1/N) Σ_i w_ij ℓ_ij at the stored parameters (the decoder
   * objective's F); the reference's AE loop stops when every junction's change is < 1e-5.
   * With `weighted` false, w = 1 even when weights are set.
   */
  junctionLoss(out?: Float64Array, weighted = true): Float64Array {
    this.check();
    const J = this.junctions, N = this.samples, q = this.latentDim, B = this.blockRows;
    const res = out ?? new Float64Array(J);
    requireLength(res, J, 'out', `J = ${J}`);
    this.ensureH();
    const w = this.w && weighted ? this.w.ptr : 0;
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      // The stored D rows j0… and b; the cell kernel without its gradient (pG = 0).
      this.rowsY(nb, this.D.ptr + j0 * q * 8, this.blk.ptr);
      this.cells(
        nb, N, 0, this.blk.ptr, N, this.kT.ptr + j0 * N * 4, this.nT.ptr + j0 * N * 4, N, this.a.ptr + j0 * 8, this.b.ptr + j0 * 8,
        this.likelihoodPseudocount, w ? w + j0 * N * 8 : 0, N, 1 / N, 0, N, this.rowLoss.ptr, 0,
      );
      res.set(this.core.f64.subarray(this.rowLoss.ptr >>> 3, (this.rowLoss.ptr >>> 3) + nb), j0);
    }
    return res;
  }


  /** μ = sigmoid(x E Dᵀ + 1bᵀ), N×J row-major, at the stored parameters. */
  predictMean(out?: Float64Array): Float64Array {
    this.check();
    this.ensureH();
    const N = this.samples, J = this.junctions, q = this.latentDim, B = this.blockRows;
    const mu = out ?? new Float64Array(N * J);
    requireLength(mu, N * J, 'out', `N×J = ${N}×${J}`);
    const sig = (this.core.exports as unknown as CoreExports).sigmoidArray;
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      this.gemm(0, 1, nb, N, q, 1, this.D.ptr + j0 * q * 8, q, this.H.ptr, q, 0, this.blk.ptr, N, this.gemmWork);
      const f64 = this.core.f64;
      const o = this.blk.ptr >>> 3, ob = this.b.ptr >>> 3;
      for (let r = 0; r < nb; r++) for (let i = 0; i < N; i++) f64[o + r * N + i] += f64[ob + j0 + r];
      sig(this.blk.ptr, this.blk.ptr, nb * N);
      for (let r = 0; r < nb; r++) for (let i = 0; i < N; i++) mu[i * J + j0 + r] = f64[o + r * N + i];
    }
    return mu;
  }

  /**
   * Two-sided p-values at the stored E, D, b and ρ (μ = sigmoid(H D_jᵀ + b_j)), written into a
   * sample-major matrix: p of junction j, sample i goes to out[i·ld + cols[j]]. The same p as
   * betaBinomial.pValues on those cells, without building μ, k and n as cell arrays.
   */
  pValuesInto(out: Float64Array, ld: number, cols: Uint32Array): void {
    this.check();
    this.ensureH();
    const N = this.samples, J = this.junctions, q = this.latentDim, B = this.blockRows;
    if (cols.length !== J) throw new ShapeError(`cols has ${cols.length} elements, J = ${J} needs ${J}`, 'cols');
    requireFloat64Array(out, 'out');
    // With cacheMean, μ comes from the cache; else from Y + b. 1 − μ is formed from μ in both, as
    // betaBinomial.pValues does, so that the fit's p-values are those of betaBinomial.pValues at
    // the fit's μ and ρ.
    const m = this.cacheMean ? this.meanCache() : undefined;
    for (let j0 = 0; j0 < J; j0 += B) {
      const nb = Math.min(B, J - j0);
      if (!m) this.rowsY(nb, this.D.ptr + j0 * q * 8, this.blk.ptr);
      let f64 = this.core.f64;
      const oA = this.a.ptr >>> 3, oR = this.tBuf.ptr >>> 3;
      for (let r = 0; r < nb; r++) f64[oR + r] = 1 / (1 + f64[oA + j0 + r]); // ρ as getRho gives it
      // In place from Y: each pair of y is read before its p is written.
      this.pValueRows(
        nb, N, this.blk.ptr, N, this.kT.ptr + j0 * N * 4, this.nT.ptr + j0 * N * 4, N, this.b.ptr + j0 * 8, this.tBuf.ptr, this.blk.ptr, N,
        m ? m.mu.ptr + j0 * N * 8 : 0, 0,
      );
      f64 = this.core.f64;
      const oP = this.blk.ptr >>> 3;
      for (let r = 0; r < nb; r++) {
        const col = cols[j0 + r];
        for (let i = 0; i < N; i++) out[i * ld + col] = f64[oP + r * N + i];
      }
    }
  }

  /** Bytes of WebAssembly memory this objective holds. */
  get bytes(): number {
    return this.ws.bytes;
  }

  /** Frees every buffer. Safe to call twice. */
  dispose(): void {
    this.disposed = true;
    this.ws.dispose();
  }
}

/**
 * The columns `cols` of an M×J count matrix into dst (u32, M×|cols| row-major from element `at`):
 * runs of consecutive columns are copied whole (TypedArray.set), so without dropped junctions a
 * row of a block is one copy.
 */
export function copyColumnsInto(dst: Uint32Array, at: number, src: CountArray, M: number, J: number, cols: Uint32Array): void {
  const w = cols.length;
  const runs: number[] = []; // [source column, destination column, length]
  for (let a = 0; a < w; ) {
    let b = a + 1;
    while (b < w && cols[b] === cols[b - 1] + 1) b++;
    runs.push(cols[a], a, b - a);
    a = b;
  }
  if (runs.length / 3 > w / 8) {
    for (let i = 0; i < M; i++) for (let jj = 0; jj < w; jj++) dst[at + i * w + jj] = src[i * J + cols[jj]];
    return;
  }
  for (let i = 0; i < M; i++) {
    const s = i * J, d = at + i * w;
    for (let r = 0; r < runs.length; r += 3) dst.set(src.subarray(s + runs[r], s + runs[r] + runs[r + 2]), d + runs[r + 1]);
  }
}

/** dst[off + j·N + i] = src[i·J + j] (N×J → J×N), in tiles so both sides stay in cache. */
function transposeInto(dst: Float64Array, off: number, src: Float64Array, N: number, J: number): void {
  const T = 32;
  for (let i0 = 0; i0 < N; i0 += T) {
    const i1 = Math.min(N, i0 + T);
    for (let j0 = 0; j0 < J; j0 += T) {
      const j1 = Math.min(J, j0 + T);
      for (let j = j0; j < j1; j++) {
        const d = off + j * N;
        for (let i = i0; i < i1; i++) dst[d + i] = src[i * J + j];
      }
    }
  }
}

/** Inputs of nllAndGradient (all row-major; N, J, q are read from the lengths). */
export interface NllAndGradientInput {
  /** N×J split reads. */
  k: CountArray;
  /** N×J total reads. */
  n: CountArray;
  /** N×J encoder input, used as given (centre it first). */
  x: Float64Array;
  /** J×q */
  E: Float64Array;
  /** J×q */
  D: Float64Array;
  /** J */
  b: Float64Array;
  /** J, each in [0, 1] */
  rho: Float64Array;
  /** c ≥ 0, default 0. */
  likelihoodPseudocount?: number;
  core?: Core;
  scalar?: boolean;
  blockCells?: number;
}

/**
 * The FRASER truncated NLL (mean over N·J cells) and its gradients in E, D and b: see the file
 * header for the formulas. J = b.length, q = E.length / J, N = k.length / J; a ShapeError names
 * the argument whose length disagrees, an ArgumentValueError names the index of a bad count
 * ('k[7]': negative, non-integer, NaN, ≥ 2^32, or k > n) or a bad ρ/x/E/D/b entry.
 * Allocates a FraserObjective for the call; fits should keep one instead.
 */
export function nllAndGradient(input: NllAndGradientInput): FraserGradients {
  if (typeof input !== 'object' || input === null) throw new ArgumentTypeError('input must be an object', 'input');
  const { k, n, x, E, D, b, rho } = input;
  requireFloat64Array(b, 'b');
  const J = b.length;
  if (J === 0) throw new ShapeError('b is empty: there must be at least one junction', 'b');
  requireFloat64Array(E, 'E');
  const q = E.length / J;
  if (!Number.isInteger(q) || q < 1) throw new ShapeError(`E has ${E.length} elements, not a positive multiple of J = ${J}`, 'E');
  requireCounts(k, 'k');
  const N = k.length / J;
  if (!Number.isInteger(N) || N < 1) throw new ShapeError(`k has ${k.length} elements, not a positive multiple of J = ${J}`, 'k');
  requireCounts(n, 'n');
  if (n.length !== N * J) throw new ShapeError(`n has ${n.length} elements, k has ${N * J}`, 'n');
  requireLength(x, N * J, 'x', `N×J = ${N}×${J}`);
  requireLength(D, J * q, 'D', `J×q = ${J}×${q}`);
  requireLength(rho, J, 'rho', `J = ${J}`);
  const obj = new FraserObjective({
    k, n, x, latentDim: q, junctions: J, likelihoodPseudocount: input.likelihoodPseudocount,
    core: input.core, scalar: input.scalar, blockCells: input.blockCells,
  });
  try {
    obj.setEncoder(E);
    obj.setDecoder(D, b);
    obj.setRho(rho);
    return obj.evaluate();
  } finally {
    obj.dispose();
  }
}
