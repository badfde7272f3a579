import { ArgumentTypeError, ArgumentValueError, LatentWasmError, ShapeError, requireInteger } from '../../errors.js';
import { averagePrecision } from '../../metrics.js';
import { brentBatch, minimizeBatch } from '../../optim/index.js';
import { WasmLbfgs } from '../../optim/lbfgs-wasm.js';
import { encoderBasis, fitEncoderScoring, MAX_NULL_DIRECTIONS, type EncoderBasis } from './encoder.js';
import { Rng } from '../../random.js';
import { COUNTS_CHECKED, FraserObjective, SOURCE_COLUMNS, copyColumnsInto } from './objective.js';
import { fitLogitRho } from './rho.js';
import { fitDecoderScoring } from './decoder.js';
import { gemm, gemmWorkspace, gramSvd, matrix, optimalHardThreshold, symmetricEigen } from '../../linalg/index.js';
import { adjust, betaBinomial } from '../../stats/index.js';
import { Core, getCore } from '../../wasm/core.js';
import type { CoreExports } from '../../wasm/exports.js';
import { Workspace } from '../../wasm/workspace.js';
import { log, sigmoid } from '../../special.js';

/** Counts as the API takes them: N×J row-major (samples × junctions), Uint32Array or Float64Array. */
export type Counts = Uint32Array | Float64Array;

export interface CountInput {
  k: Counts;
  n: Counts;
  /** Number of samples N (or give `junctions`). */
  samples?: number;
  /** Number of junctions J (or give `samples`). */
  junctions?: number;
}

/**
 * Checks FRASER's count input and returns its shape. Every count must be a finite non-negative
 * integer with k ≤ n; errors name the sample and junction (`argument` is e.g. 'k[3, 17]').
 */
export function checkCounts(input: CountInput, name = 'data', minSamples = 2): { N: number; J: number } {
  if (typeof input !== 'object' || input === null) throw new ArgumentTypeError(`${name} must be an object { k, n, samples | junctions }`, name);
  const { k, n } = input;
  for (const [v, nm] of [[k, 'k'], [n, 'n']] as const) {
    if (!(v instanceof Uint32Array || v instanceof Float64Array)) {
      throw new ArgumentTypeError(`${nm} must be a Uint32Array or Float64Array (N×J row-major), got ${v === null ? 'null' : (v as object)?.constructor?.name ?? typeof v}`, nm);
    }
  }
  if (k.length !== n.length) throw new ShapeError(`k and n must have the same length, got ${k.length} and ${n.length}`, 'n');
  let N: number;
  let J: number;
  if (input.samples !== undefined) {
    N = requireInteger(input.samples, 'samples', 1);
    J = k.length / N;
    if (!Number.isInteger(J)) throw new ShapeError(`k has ${k.length} entries, not a multiple of samples = ${N}`, 'samples');
    if (input.junctions !== undefined && input.junctions !== J) throw new ShapeError(`samples × junctions = ${N} × ${input.junctions} ≠ ${k.length} entries`, 'junctions');
  } else if (input.junctions !== undefined) {
    J = requireInteger(input.junctions, 'junctions', 1);
    N = k.length / J;
    if (!Number.isInteger(N)) throw new ShapeError(`k has ${k.length} entries, not a multiple of junctions = ${J}`, 'junctions');
  } else {
    throw new ArgumentValueError(`${name} needs its shape: give samples (N) or junctions (J) next to k and n`, 'samples');
  }
  if (N < minSamples) throw new ArgumentValueError(`FRASER needs at least ${minSamples} sample(s) here, got ${N}`, 'samples');
  if (k instanceof Float64Array || n instanceof Float64Array) {
    for (let c = 0; c < k.length; c++) {
      const kv = k[c];
      const nv = n[c];
      // Below 2^32 as well: the kernels hold counts as u32.
      if (!(Number.isInteger(kv) && kv >= 0 && kv < 4294967296)) throw new ArgumentValueError(`k[${Math.floor(c / J)}, ${c % J}] must be an integer in [0, 2^32), got ${kv}`, `k[${Math.floor(c / J)}, ${c % J}]`);
      if (!(Number.isInteger(nv) && nv >= 0 && nv < 4294967296)) throw new ArgumentValueError(`n[${Math.floor(c / J)}, ${c % J}] must be an integer in [0, 2^32), got ${nv}`, `n[${Math.floor(c / J)}, ${c % J}]`);
    }
  }
  for (let c = 0; c < k.length; c++) {
    if (k[c] > n[c]) throw new ArgumentValueError(`k[${Math.floor(c / J)}, ${c % J}] = ${k[c]} exceeds n = ${n[c]} (sample ${Math.floor(c / J)}, junction ${c % J})`, `k[${Math.floor(c / J)}, ${c % J}]`);
  }
  return { N, J };
}

/** Junctions with at least one read in some sample (n > 0), and the ones left out. */
export function coveredJunctions(n: Counts, N: number, J: number): { kept: Uint32Array; dropped: Uint32Array } {
  const any = new Uint8Array(J);
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) if (n[i * J + j] > 0) any[j] = 1;
  const kept: number[] = [];
  const dropped: number[] = [];
  for (let j = 0; j < J; j++) (any[j] ? kept : dropped).push(j);
  return { kept: Uint32Array.from(kept), dropped: Uint32Array.from(dropped) };
}

/**
 * x = logit((k + pc)/(n + 2pc)) for the kept junctions, N×J' row-major, and its column means.
 * pc = 0.1 is FRASER 2's default (the seed's 1/2 is an option). With n = 0 the cell sits at
 * logit(½) = 0, which is what the pseudocount is for.
 */
export function logitTransform(
  k: Counts, n: Counts, N: number, J: number, kept: Uint32Array, pc: number, core?: Core,
): { x: Float64Array; means: Float64Array } {
  const Jk = kept.length;
  const x = new Float64Array(N * Jk);
  const means = new Float64Array(Jk);
  // logit p = ln((k+pc)/(n−k+pc)): the ratios here, their logarithms in WebAssembly, in place (V8's
  // Math.log costs several times the vector log). pc = 0 gives ±Inf at k = 0 or n.
  for (let i = 0; i < N; i++) {
    const row = i * J, xi = i * Jk;
    for (let jj = 0; jj < Jk; jj++) {
      const c = row + kept[jj];
      const kk = k[c];
      x[xi + jj] = (kk + pc) / (n[c] - kk + pc);
    }
  }
  log(x, { core, out: x });
  for (let i = 0; i < N; i++) for (let jj = 0; jj < Jk; jj++) means[jj] += x[i * Jk + jj];
  for (let jj = 0; jj < Jk; jj++) means[jj] /= N;
  return { x, means };
}

/** Column means removed: x ← x − 1·meansᵀ (N×J row-major). */
export function centreColumns(x: Float64Array, means: Float64Array, N: number): void {
  const J = means.length;
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) x[i * J + j] -= means[j];
}

/** How q was chosen: given by the caller, or optimal hard thresholding on the singular values of centred x. */
export type QSelection =
  | { method: 'given' }
  | { method: 'oht'; singularValues: Float64Array; threshold: number; coefficient: number; rank: number }
  | { method: 'grid'; grid: number[]; aucPr: number[] };

/**
 * PCA of centred x (N×J'), FRASER's `PCA` implementation and the AE's initialisation: all singular
 * values (for optimal hard thresholding) and the top-q right singular vectors as a J'×q matrix V
 * (column l is direction l), from one Gram-matrix eigendecomposition (linalg.gramSvd). With
 * q = 'auto', q is chosen by optimal hard thresholding (Gavish & Donoho 2014) as FRASER 2 does;
 * when the cut keeps no value the reference falls back to q = 2. q is capped below min(N, J').
 */
export function pcaOfCentred(xc: Float64Array, N: number, J: number, q: number | 'auto', core?: Core): { q: number; V: Float64Array; selection: QSelection } {
  const cap = Math.max(1, Math.min(N, J) - 1);
  let selection: QSelection = { method: 'given' };
  const rule = (s: Float64Array) => {
    if (q !== 'auto') return q;
    const oht = optimalHardThreshold(s, N, J);
    selection = { method: 'oht', singularValues: s, threshold: oht.threshold, coefficient: oht.coefficient, rank: oht.rank };
    return Math.min(oht.rank >= 1 ? oht.rank : 2, cap);
  };
  const { vt } = gramSvd(matrix(N, J, xc), rule, { core });
  const qq = vt.rows;
  const V = new Float64Array(J * qq);
  for (let l = 0; l < qq; l++) for (let j = 0; j < J; j++) V[j * qq + l] = vt.data[l * J + j];
  return { q: qq, V, selection };
}

// ---------------------------------------------------------------------------------------------
// The fit

export type FraserImplementation = 'pca' | 'ae' | 'pca-bb-decoder';

/** Progress of a fit: the stage, the round (AE, PCA-BB-Decoder), the loss after it, and the share of junctions done in streamed stages. */
export interface FraserProgress {
  stage: 'prepare' | 'pca' | 'rho' | 'updateE' | 'updateD' | 'weights' | 'final' | 'statistics' | 'qSearch';
  round?: number;
  loss?: number;
  /** Streamed stages: junctions done / junctions. */
  fraction?: number;
  message?: string;
}

export interface FraserFitOptions {
  /** 'pca' (FRASER 2's default), 'ae' (the seed's autoencoder) or 'pca-bb-decoder'. */
  implementation?: FraserImplementation;
  /** Latent dimension, or 'auto' (default) for optimal hard thresholding; 'grid' for the reference's outlier-injection search. */
  q?: number | 'auto' | 'grid';
  /** Pseudocount of the input transform x = logit((k+pc)/(n+2pc)); default 0.1 (FRASER 2). */
  pseudocount?: number;
  /** c in the likelihood lnΓ(α+k+c), lnΓ(β+n−k+c); default 0 (the seed's k+1, n+2 variant is 1). */
  likelihoodPseudocount?: number;
  /** Seed of every random choice (AE subset, denoising noise, q-search injections); default 1. */
  seed?: number;
  /** AE and PCA-BB-Decoder: rounds at most (default 15) and the per-junction loss change that stops them (default 1e-5). */
  maxRounds?: number;
  tolerance?: number;
  /** AE: denoising noise α (x + α·sd_j·ε, ε drawn once per fit); default 1, as in the reference; 0 turns it off. */
  noise?: number;
  /** AE: junctions of the training subset when J is larger (default 15 000 of the 30 000 most variable). */
  subsetSize?: number;
  /** AE: the most iterations per updateE (default 50) and per junction in updateD (default 100), as in the reference's L-BFGS; they bound the scoring steps too. */
  encoderIterations?: number;
  decoderIterations?: number;
  /**
   * AE: how updateE moves E: 'scoring' (default; Fisher scoring over the latent H = xE within the
   * row space of x, mapped back to E once per round, see encoder.ts) or 'lbfgs' (the reference's
   * L-BFGS over E). Both minimise the same nll over the same set of E and stop on the same rule.
   */
  encoderOptimizer?: 'scoring' | 'lbfgs';
  /** How (b_j, d_j) are fitted per junction: 'scoring' (default; Fisher scoring) or 'lbfgs' (the reference's). */
  decoderOptimizer?: 'scoring' | 'lbfgs';
  /** How ρ is fitted per junction: 'newton' (default; safeguarded, on logit ρ) or 'brent' (the reference's). Both over logit ρ ∈ [−30, 30] to 1e-7. */
  rhoOptimizer?: 'newton' | 'brent';
  /** Per-sample multiple-testing method (default 'BY'), and donor/acceptor groups (length J) for Holm within groups. */
  fdrMethod?: 'BY' | 'BH';
  groups?: Int32Array;
  /** q search: the grid (default: up to 12 log-spaced values in [2, min(N, J)/3]). */
  qGrid?: number[];
  /**
   * Cells per streamed junction block (default 2^20): the per-junction fits and the statistics
   * walk the junctions in blocks of ⌊blockCells/N⌋, so their working memory does not grow with J.
   */
  blockCells?: number;
  signal?: AbortSignal;
  onProgress?: (p: FraserProgress) => void;
  core?: Core;
}

/** What `predict` returns for new samples (M×J row-major, like the fit's fields). */
export interface FraserPrediction {
  samples: number;
  mu: Float64Array;
  pValues: Float64Array;
  padj: Float64Array;
  zScores: Float64Array;
  deltaPsi: Float64Array;
}

/** The fitted model's parameters: everything `predict` needs, and what toJSON stores besides the results. */
interface FraserParameters {
  implementation: FraserImplementation;
  samples: number;
  junctions: number;
  q: number;
  pseudocount: number;
  likelihoodPseudocount: number;
  fdrMethod: 'BY' | 'BH';
  groups?: Int32Array;
  /** Junctions that entered the model (some reads somewhere); the others are `dropped`. */
  kept: Uint32Array;
  dropped: Uint32Array;
  /** Parameters over the kept junctions: E, D (J'×q), b, ρ (J'), the training column means of x (J'). */
  E: Float64Array;
  D: Float64Array;
  b: Float64Array;
  rho: Float64Array;
  xMeans: Float64Array;
  /** H (N×q): the training samples' latent positions, μ = sigmoid(H Dᵀ + b). */
  latent: Float64Array;
  /** Per kept junction: mean and sd of the training logit residuals (the z-score scale). */
  zCenter: Float64Array;
  zScale: Float64Array;
  history: Float64Array;
  qSelection: QSelection;
  notices: string[];
  blockCells: number;
}

interface FraserResults {
  mu: Float64Array;
  pValues: Float64Array;
  padj: Float64Array;
  zScores: Float64Array;
  deltaPsi: Float64Array;
}

const logit = (p: number) => Math.log(p) - Math.log1p(-p);
const DEFAULT_BLOCK_CELLS = 1 << 20;

/**
 * A fitted FRASER model and its statistics for the training samples. Immutable. Matrices are N×J
 * row-major over ALL input junctions; a junction without reads in any sample is left out of the
 * model (listed in `dropped`, with a notice) and its columns of mu, pValues, padj, zScores and
 * deltaPsi are NaN — the one documented source of NaN in the results besides deltaPsi where n = 0
 * (ψ undefined). E and D are J×q, b and rho length J, with zero rows / NaN for dropped junctions.
 *
 * Memory: pValues and padj are computed by the fit. mu, zScores and deltaPsi (N×J each, 8·N·J
 * bytes) are computed, in junction blocks, the first time they are read, and then kept; until
 * then the fit holds a reference to the input k and n (do not modify them while you use the fit).
 */
export class FraserFit {
  readonly implementation: FraserImplementation;
  readonly samples: number;
  readonly junctions: number;
  readonly q: number;
  readonly E: Float64Array;
  readonly D: Float64Array;
  readonly b: Float64Array;
  readonly rho: Float64Array;
  readonly pValues: Float64Array;
  readonly padj: Float64Array;
  /** H (N×q), the training samples in the latent space. */
  readonly latent: Float64Array;
  /** The loss (mean truncated NLL over cells) after each step of the fit. */
  readonly history: Float64Array;
  readonly qSelection: QSelection;
  readonly dropped: Uint32Array;
  readonly notices: readonly string[];
  private readonly params: FraserParameters;
  private readonly lazy: Partial<FraserResults>;
  private readonly data: { k: Counts; n: Counts; core?: Core } | undefined;

  constructor(params: FraserParameters, results: Pick<FraserResults, 'pValues' | 'padj'> & Partial<FraserResults>, data?: { k: Counts; n: Counts; core?: Core }) {
    this.params = params;
    this.implementation = params.implementation;
    this.samples = params.samples;
    this.junctions = params.junctions;
    this.q = params.q;
    const J = params.junctions, q = params.q;
    this.E = new Float64Array(J * q);
    this.D = new Float64Array(J * q);
    this.b = new Float64Array(J).fill(NaN);
    this.rho = new Float64Array(J).fill(NaN);
    params.kept.forEach((j, jj) => {
      this.E.set(params.E.subarray(jj * q, jj * q + q), j * q);
      this.D.set(params.D.subarray(jj * q, jj * q + q), j * q);
      this.b[j] = params.b[jj];
      this.rho[j] = params.rho[jj];
    });
    this.pValues = results.pValues;
    this.padj = results.padj;
    this.lazy = { mu: results.mu, zScores: results.zScores, deltaPsi: results.deltaPsi };
    this.data = data;
    this.latent = params.latent;
    this.history = params.history;
    this.qSelection = params.qSelection;
    this.dropped = params.dropped;
    this.notices = Object.freeze([...params.notices]);
    Object.freeze(this);
  }

  private derive(name: 'mu' | 'zScores' | 'deltaPsi'): Float64Array {
    const have = this.lazy[name];
    if (have) return have;
    if (name !== 'mu' && !this.data) throw new ArgumentValueError(`${name} was not stored with this fit`, name);
    const p = this.params;
    const out = new Float64Array(p.samples * p.junctions).fill(NaN);
    scoreBlocks(p, p.latent, this.data?.k, this.data?.n, p.samples, { [name]: out }, this.data?.core);
    this.lazy[name] = out;
    return out;
  }

  /** μ (N×J), the fitted mean ψ of every cell. */
  get mu(): Float64Array {
    return this.derive('mu');
  }
  /** z-scores (N×J) of the logit residuals on each junction's training residual scale. */
  get zScores(): Float64Array {
    return this.derive('zScores');
  }
  /** Δψ = k/n − μ (N×J); NaN where n = 0. */
  get deltaPsi(): Float64Array {
    return this.derive('deltaPsi');
  }

  /**
   * Scores new samples with the fitted model and no refit (see FraserModel.predict).
   * `k`, `n`: M×J row-major over the same junctions as the fit.
   */
  predict(input: { k: Counts; n: Counts }, options: { core?: Core } = {}): FraserPrediction {
    return predictWith(this.params, input, options);
  }

  /** The fitted model without the training results: what scoring new samples needs, and what a saved model holds. */
  get model(): FraserModel {
    return new FraserModel(this.params);
  }

  /** A plain-JSON form (arrays as number arrays, NaN as null); `fraser.fromJSON` restores it exactly. */
  toJSON(): object {
    const p = this.params;
    return {
      format: 'latentwasm.fraser',
      version: 2,
      implementation: p.implementation,
      samples: p.samples,
      junctions: p.junctions,
      q: p.q,
      pseudocount: p.pseudocount,
      likelihoodPseudocount: p.likelihoodPseudocount,
      fdrMethod: p.fdrMethod,
      groups: p.groups ? Array.from(p.groups) : null,
      kept: Array.from(p.kept),
      dropped: Array.from(p.dropped),
      E: enc(p.E), D: enc(p.D), b: enc(p.b), rho: enc(p.rho), xMeans: enc(p.xMeans), latent: enc(p.latent),
      zCenter: enc(p.zCenter), zScale: enc(p.zScale), history: enc(p.history),
      qSelection: p.qSelection.method === 'oht' ? { ...p.qSelection, singularValues: enc(p.qSelection.singularValues) } : p.qSelection,
      notices: p.notices,
      blockCells: p.blockCells,
      results: { mu: enc(this.mu), pValues: enc(this.pValues), padj: enc(this.padj), zScores: enc(this.zScores), deltaPsi: enc(this.deltaPsi) },
    };
  }

  /** Restores a fit from `toJSON()` output (an object or its JSON text). */
  static fromJSON(json: unknown): FraserFit {
    const o = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, any>;
    if (!o || o.format !== 'latentwasm.fraser') throw new ArgumentValueError('not a latentwasm FRASER fit (format field missing or different)', 'json');
    if (o.version !== 2) throw new ArgumentValueError(`unsupported FRASER fit version ${o.version} (this build reads version 2)`, 'json.version');
    const qs = o.qSelection.method === 'oht' ? { ...o.qSelection, singularValues: dec(o.qSelection.singularValues) } : o.qSelection;
    const params: FraserParameters = {
      implementation: o.implementation, samples: o.samples, junctions: o.junctions, q: o.q,
      pseudocount: o.pseudocount, likelihoodPseudocount: o.likelihoodPseudocount, fdrMethod: o.fdrMethod,
      groups: o.groups ? Int32Array.from(o.groups) : undefined,
      kept: Uint32Array.from(o.kept), dropped: Uint32Array.from(o.dropped),
      E: dec(o.E), D: dec(o.D), b: dec(o.b), rho: dec(o.rho), xMeans: dec(o.xMeans), latent: dec(o.latent),
      zCenter: dec(o.zCenter), zScale: dec(o.zScale), history: dec(o.history), qSelection: qs, notices: o.notices ?? [],
      blockCells: o.blockCells ?? DEFAULT_BLOCK_CELLS,
    };
    const r = o.results;
    return new FraserFit(params, { mu: dec(r.mu), pValues: dec(r.pValues), padj: dec(r.padj), zScores: dec(r.zScores), deltaPsi: dec(r.deltaPsi) });
  }
}

function predictWith(p: FraserParameters, input: { k: Counts; n: Counts }, options: { core?: Core }): FraserPrediction {
  const { N: M } = checkCounts({ ...input, junctions: p.junctions, samples: undefined }, 'input', 1);
  const { k, n } = input;
  const H = encodeSamples(p, k, n, M, options.core);
  const size = M * p.junctions;
  const out = {
    mu: new Float64Array(size).fill(NaN), pValues: new Float64Array(size).fill(NaN),
    zScores: new Float64Array(size).fill(NaN), deltaPsi: new Float64Array(size).fill(NaN),
  };
  scoreBlocks(p, H, k, n, M, out, options.core);
  return { samples: M, ...out, padj: adjustPerSample(p, out.pValues, M) };
}

/** Typed arrays of a saved model, by name (see FraserModel.toBinary). */
export type ModelArrays = Record<string, Float64Array | Uint32Array | Int32Array>;

const MODEL_F64 = ['E', 'D', 'b', 'rho', 'xMeans', 'latent', 'zCenter', 'zScale', 'history'] as const;

/**
 * A fitted FRASER model's parameters, without the training results: encode and score new samples
 * with `predict`, save with `toBinary` (JSON metadata plus typed arrays; src/cli writes them as a
 * directory), restore with `FraserModel.fromBinary`. Parameters cover the kept junctions; the
 * model's junction order is the training input's.
 */
export class FraserModel {
  readonly implementation: FraserImplementation;
  /** Training samples. */
  readonly samples: number;
  readonly junctions: number;
  readonly q: number;
  private readonly params: FraserParameters;

  constructor(params: FraserParameters) {
    this.params = params;
    this.implementation = params.implementation;
    this.samples = params.samples;
    this.junctions = params.junctions;
    this.q = params.q;
    Object.freeze(this);
  }

  /**
   * Scores new samples with no refit: x from their counts (same pseudocount), centred with the
   * TRAINING column means, encoded with E, decoded with D and b; p-values with the fitted ρ, padj
   * per new sample, z-scores on the training residual scale. `k`, `n`: M×J row-major over the
   * model's junctions (M ≥ 1).
   */
  predict(input: { k: Counts; n: Counts }, options: { core?: Core } = {}): FraserPrediction {
    return predictWith(this.params, input, options);
  }

  /** Junctions that entered the model, and those left out (no reads in any training sample). */
  get kept(): Uint32Array {
    return this.params.kept.slice();
  }

  /** The singular values and OHT cut, or the grid's AUC-PR per q, that chose q. */
  get qSelection(): QSelection {
    return this.params.qSelection;
  }

  /** Metadata (plain JSON) and arrays: everything `fromBinary` needs. */
  toBinary(): { meta: Record<string, unknown>; arrays: ModelArrays } {
    const p = this.params;
    const arrays: ModelArrays = { kept: p.kept, dropped: p.dropped };
    for (const name of MODEL_F64) arrays[name] = p[name];
    if (p.groups) arrays.groups = p.groups;
    if (p.qSelection.method === 'oht') arrays.singularValues = p.qSelection.singularValues;
    const { singularValues: _s, ...qs } = p.qSelection as QSelection & { singularValues?: Float64Array };
    return {
      meta: {
        format: 'latentwasm.fraser.model', version: 1, implementation: p.implementation, samples: p.samples,
        junctions: p.junctions, q: p.q, pseudocount: p.pseudocount, likelihoodPseudocount: p.likelihoodPseudocount,
        fdrMethod: p.fdrMethod, qSelection: qs, notices: p.notices, blockCells: p.blockCells,
      },
      arrays,
    };
  }

  /** Restores a model from `toBinary()`'s parts; every array's type and length is checked. */
  static fromBinary(meta: Record<string, unknown>, arrays: ModelArrays): FraserModel {
    const m = meta as Record<string, any>;
    if (!m || m.format !== 'latentwasm.fraser.model') throw new ArgumentValueError('not a latentwasm FRASER model (format field missing or different)', 'meta.format');
    if (m.version !== 1) throw new ArgumentValueError(`unsupported FRASER model version ${String(m.version)} (this build reads version 1)`, 'meta.version');
    const N = requireInteger(m.samples, 'meta.samples', 1);
    const J = requireInteger(m.junctions, 'meta.junctions', 1);
    const q = requireInteger(m.q, 'meta.q', 1);
    const get = <T extends Float64Array | Uint32Array | Int32Array>(name: string, type: { new (n: number): T; name: string }, length?: number): T => {
      const a = arrays[name];
      if (!(a instanceof type)) throw new ArgumentValueError(`model array ${name} is missing or not a ${type.name}`, name);
      if (length !== undefined && a.length !== length) throw new ShapeError(`model array ${name} has ${a.length} elements, expected ${length}`, name);
      return a as T;
    };
    const kept = get('kept', Uint32Array);
    const dropped = get('dropped', Uint32Array);
    if (kept.length + dropped.length !== J) throw new ShapeError(`model arrays kept (${kept.length}) and dropped (${dropped.length}) do not add up to J = ${J}`, 'kept');
    for (const j of kept) if (j >= J) throw new ArgumentValueError(`model array kept holds junction ${j} ≥ J = ${J}`, 'kept');
    const Jk = kept.length;
    const qs = m.qSelection?.method === 'oht' ? { ...m.qSelection, singularValues: get('singularValues', Float64Array) } : m.qSelection;
    const params: FraserParameters = {
      implementation: m.implementation, samples: N, junctions: J, q,
      pseudocount: m.pseudocount, likelihoodPseudocount: m.likelihoodPseudocount, fdrMethod: m.fdrMethod,
      groups: arrays.groups ? get('groups', Int32Array, J) : undefined,
      kept, dropped,
      E: get('E', Float64Array, Jk * q), D: get('D', Float64Array, Jk * q), b: get('b', Float64Array, Jk), rho: get('rho', Float64Array, Jk),
      xMeans: get('xMeans', Float64Array, Jk), latent: get('latent', Float64Array, N * q),
      zCenter: get('zCenter', Float64Array, Jk), zScale: get('zScale', Float64Array, Jk), history: get('history', Float64Array),
      qSelection: qs, notices: Array.isArray(m.notices) ? m.notices : [], blockCells: m.blockCells ?? DEFAULT_BLOCK_CELLS,
    };
    return new FraserModel(params);
  }
}

function enc(a: Float64Array): (number | null)[] {
  return Array.from(a, (v) => (Number.isFinite(v) ? v : Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity')) as (number | null)[];
}

function dec(a: unknown[]): Float64Array {
  return Float64Array.from(a, (v) => (v === null ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number)));
}

/** The columns `cols` of an M×J matrix, as an M×|cols| matrix of the same type (the input itself when cols is all of 0..J−1). */
function keepColumns<T extends Counts | Float64Array | Int32Array>(a: T, M: number, J: number, cols: Uint32Array): T {
  if (cols.length === J) return a;
  const Jk = cols.length;
  const out = new (a.constructor as { new (n: number): T })(M * Jk);
  for (let i = 0; i < M; i++) for (let jj = 0; jj < Jk; jj++) out[i * Jk + jj] = a[i * J + cols[jj]];
  return out;
}

/** Writes an M×nb block into the columns `cols` of an M×J matrix. */
function scatterColumns(block: Float64Array, out: Float64Array, M: number, J: number, cols: Uint32Array): void {
  const nb = cols.length;
  for (let i = 0; i < M; i++) for (let jj = 0; jj < nb; jj++) out[i * J + cols[jj]] = block[i * nb + jj];
}

/** The kept junctions in consecutive blocks of about `cells` cells (at least one junction each). */
function junctionBlocks(kept: Uint32Array, M: number, cells: number): { cols: Uint32Array; off: number }[] {
  const B = Math.max(1, Math.floor(cells / M));
  const out: { cols: Uint32Array; off: number }[] = [];
  for (let off = 0; off < kept.length; off += B) out.push({ cols: kept.subarray(off, Math.min(kept.length, off + B)), off });
  return out;
}

/** Logit residuals r = logit((k+pc)/(n+2pc)) − logit(μ) (μ clamped to [1e-15, 1−1e-15] as in the p-value kernel). */
function logitResiduals(k: Counts, n: Counts, mu: Float64Array, pc: number, core?: Core): Float64Array {
  // logit((k+pc)/(n+2pc)) − logit(m) = ln[(k+pc)(1−m) / ((n−k+pc)m)]: one logarithm per cell.
  const r = new Float64Array(mu.length);
  for (let c = 0; c < mu.length; c++) {
    const m = Math.min(Math.max(mu[c], 1e-15), 1 - 1e-15);
    const kk = k[c];
    r[c] = ((kk + pc) * (1 - m)) / ((n[c] - kk + pc) * m);
  }
  return log(r, { core, out: r });
}

/** Per-column mean and sd (n−1) of an M×J matrix; sd 0 where fewer than two rows. */
function columnMeanSd(r: Float64Array, M: number, J: number): { mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(J);
  const sd = new Float64Array(J);
  for (let i = 0; i < M; i++) for (let j = 0; j < J; j++) mean[j] += r[i * J + j];
  for (let j = 0; j < J; j++) mean[j] /= M;
  for (let i = 0; i < M; i++) for (let j = 0; j < J; j++) sd[j] += (r[i * J + j] - mean[j]) ** 2;
  for (let j = 0; j < J; j++) sd[j] = M > 1 ? Math.sqrt(sd[j] / (M - 1)) : 0;
  return { mean, sd };
}

/** μ of a block: sigmoid(H D_bᵀ + b_b), M×nb (H is M×q, D_b nb×q). */
function blockMean(H: Float64Array, M: number, q: number, Db: Float64Array, bb: Float64Array, core?: Core): Float64Array {
  const nb = bb.length;
  const mu = gemm(matrix(M, q, H), matrix(nb, q, Db), { transB: true, core }).data;
  for (let i = 0; i < M; i++) for (let j = 0; j < nb; j++) mu[i * nb + j] += bb[j];
  return sigmoid(mu, { core, out: mu });
}

/**
 * Fills the requested M×J outputs (their kept columns; dropped columns are left as they are) for
 * samples with latent positions H, in junction blocks: μ, p-values with the fitted ρ, z-scores on
 * the training residual scale, Δψ. k and n are needed for all but μ.
 */
function scoreBlocks(
  p: FraserParameters, H: Float64Array, k: Counts | undefined, n: Counts | undefined, M: number,
  out: Partial<Record<'mu' | 'pValues' | 'zScores' | 'deltaPsi', Float64Array>>, core?: Core,
): void {
  const J = p.junctions, q = p.q;
  for (const { cols, off } of junctionBlocks(p.kept, M, p.blockCells)) {
    const nb = cols.length;
    const mu = blockMean(H, M, q, p.D.subarray(off * q, (off + nb) * q), p.b.subarray(off, off + nb), core);
    if (out.mu) scatterColumns(mu, out.mu, M, J, cols);
    if (!out.pValues && !out.zScores && !out.deltaPsi) continue;
    const kb = keepColumns(k!, M, J, cols);
    const nb_ = keepColumns(n!, M, J, cols);
    if (out.pValues) scatterColumns(betaBinomial.pValues(kb, nb_, mu, p.rho.subarray(off, off + nb), { junctions: nb, core }), out.pValues, M, J, cols);
    if (out.zScores) {
      const r = logitResiduals(kb, nb_, mu, p.pseudocount, core);
      for (let i = 0; i < M; i++) {
        for (let jj = 0; jj < nb; jj++) {
          const s = p.zScale[off + jj];
          // A junction whose training residuals are all equal has no scale: no sample deviates (z = 0).
          r[i * nb + jj] = s > 0 ? (r[i * nb + jj] - p.zCenter[off + jj]) / s : 0;
        }
      }
      scatterColumns(r, out.zScores, M, J, cols);
    }
    if (out.deltaPsi) {
      for (let c = 0; c < mu.length; c++) mu[c] = nb_[c] > 0 ? kb[c] / nb_[c] - mu[c] : NaN;
      scatterColumns(mu, out.deltaPsi, M, J, cols);
    }
  }
}

/** Per-sample adjusted p-values over the kept junctions (BY or BH, Holm within groups when given); NaN in dropped columns. */
function adjustPerSample(p: FraserParameters, pValues: Float64Array, M: number): Float64Array {
  const J = p.junctions, Jk = p.kept.length;
  const groups = p.groups ? keepColumns(p.groups, 1, J, p.kept) : undefined;
  if (Jk === J) return adjust.perSample(pValues, M, J, { method: p.fdrMethod, groups }); // nothing dropped: no copies
  const out = new Float64Array(M * J).fill(NaN);
  // Rows in chunks of ≤ 32 samples (about 32·J' values at a time): the group index is built once
  // per chunk, and the memory stays far below a copy of all kept columns.
  const R = Math.min(M, 32);
  const rows = new Float64Array(R * Jk);
  for (let i0 = 0; i0 < M; i0 += R) {
    const nr = Math.min(R, M - i0);
    for (let r = 0; r < nr; r++) for (let jj = 0; jj < Jk; jj++) rows[r * Jk + jj] = pValues[(i0 + r) * J + p.kept[jj]];
    const a = adjust.perSample(rows.subarray(0, nr * Jk), nr, Jk, { method: p.fdrMethod, groups });
    for (let r = 0; r < nr; r++) for (let jj = 0; jj < Jk; jj++) out[(i0 + r) * J + p.kept[jj]] = a[r * Jk + jj];
  }
  return out;
}

/** H = x_c E for M samples (x centred with the training means), accumulated over junction blocks. */
function encodeSamples(p: FraserParameters, k: Counts, n: Counts, M: number, core?: Core): Float64Array {
  const q = p.q;
  const H = matrix(M, q);
  for (const { cols, off } of junctionBlocks(p.kept, M, p.blockCells)) {
    const nb = cols.length;
    const { x } = logitTransform(k, n, M, p.junctions, cols, p.pseudocount, core);
    centreColumns(x, p.xMeans.subarray(off, off + nb), M);
    gemm(matrix(M, nb, x), matrix(nb, q, p.E.subarray(off * q, (off + nb) * q)), { beta: off === 0 ? 0 : 1, c: H, core });
  }
  return H.data;
}

/** Throws the abort reason as a typed error when the signal fired. */
function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new FitAbortedError('the FRASER fit was aborted', 'signal');
}

/** The fit was cancelled through its AbortSignal; nothing half-fitted is returned. */
export class FitAbortedError extends LatentWasmError {}

const RHO_LO = -30;
const RHO_HI = 30;

/**
 * Fits ρ for every junction of `obj` given μ: safeguarded Newton on logit ρ ∈ [−30, 30] from the
 * stored ρ (rho.ts; default), or the reference's batched Brent over the same interval, tolerance
 * 1e-7 on logit ρ. Returns the unweighted junctionLoss at the fitted ρ, (1/N) Σ_i ℓ_ij, even when
 * weights are set: Newton has it from its own kernel passes, Brent takes one loss pass.
 */
function fitRho(obj: FraserObjective, signal?: AbortSignal, method: 'newton' | 'brent' = 'newton'): Float64Array {
  const J = obj.junctions;
  if (method === 'newton') {
    const r = fitLogitRho(obj, obj.getRho().map(logit), { lo: RHO_LO, hi: RHO_HI, xtol: 1e-7, withLoss: true, signal });
    checkAbort(signal);
    obj.setLogitRho(r.t);
    const N = obj.samples;
    return (r.loss as Float64Array).map((v) => v / N);
  }
  const lo = new Float64Array(J).fill(RHO_LO);
  const hi = new Float64Array(J).fill(RHO_HI);
  const r = brentBatch(obj.rhoObjective(), lo, hi, { xtol: 1e-7, signal });
  checkAbort(signal);
  obj.setLogitRho(r.x);
  return obj.junctionLoss(undefined, false);
}

/**
 * Fits (b_j, d_j) of every junction given H and ρ: Fisher scoring (decoder.ts; default), or the
 * reference's per-junction L-BFGS (memory 5, as its L-BFGS-B). At most `iterations` steps each.
 */
function fitDecoder(obj: FraserObjective, iterations: number, signal?: AbortSignal, method: 'scoring' | 'lbfgs' = 'scoring'): void {
  if (method === 'scoring') {
    const r = fitDecoderScoring(obj, { maxIterations: iterations, signal });
    checkAbort(signal);
    obj.setDecoderFromBatch(r.x);
    return;
  }
  const J = obj.junctions, dim = obj.latentDim + 1;
  const r = minimizeBatch(obj.decoderObjective(), obj.decoderStart(), J, dim, { m: 5, maxIterations: iterations, signal });
  checkAbort(signal);
  obj.setDecoderFromBatch(r.x);
}

/** Huber weights w = min(1, c/|r|) on Pearson residuals r = (k/n − μ)/√(μ(1−μ)(1+(n−1)ρ)/n), c = 1.345; n = 0 cells get 1 (they carry no loss). */
function huberWeights(k: Counts, n: Counts, mu: Float64Array, rho: Float64Array, N: number, J: number): Float64Array {
  const w = new Float64Array(N * J);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < J; j++) {
      const c = i * J + j;
      const nn = n[c];
      if (nn === 0) {
        w[c] = 1;
        continue;
      }
      const m = Math.min(Math.max(mu[c], 1e-15), 1 - 1e-15);
      const sd = Math.sqrt((m * (1 - m) * (1 + (nn - 1) * rho[j])) / nn);
      const r = Math.abs((k[c] / nn - m) / sd);
      w[c] = r > 1.345 ? 1.345 / r : 1;
    }
  }
  return w;
}

/** max_j |a_j − b_j| */
function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - b[j]));
  return m;
}

const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);

/**
 * The first pass of every fit, over junction blocks in WebAssembly memory: x = logit((k+pc)/(n+2pc))
 * of the kept junctions (fraserLogitColumns, the same values as logitTransform), its column means,
 * Σ x_c² per junction (with `wantSumSq`, for ae's training subset; else zeros) and the Gram matrix
 * x_c x_cᵀ (N×N).
 * Per block the counts are copied in (runs of consecutive columns at once), and the Gram update
 * takes the row blocks X_a X_bᵀ for a ≤ b only ((m+1)/2m of a full gemm), accumulated by gemm in
 * place; the lower triangle is mirrored from the upper at the end, so G is exactly symmetric.
 */
function logitGram(k: Counts, n: Counts, N: number, J: number, kept: Uint32Array, pc: number, blockCells: number, core?: Core, signal?: AbortSignal, wantSumSq = true) {
  const Jk = kept.length;
  const means = new Float64Array(Jk);
  const sumSq = new Float64Array(Jk);
  const c = core ?? getCore();
  const ex = c.exports as unknown as { fraserLogitColumns: LogitColumnsKernel; gemm: GemmKernel };
  const blocks = junctionBlocks(kept, N, blockCells);
  const B = blocks[0].cols.length;
  const ws = new Workspace(c);
  try {
    const kb = ws.u32(N * B, 'k block'), nb = ws.u32(N * B, 'n block'), x = ws.f64(N * B, 'x block');
    const mb = ws.f64(B, 'block means'), sb = ws.f64(B, 'block sums of squares'), G = ws.f64(N * N, 'Gram');
    const work = gemmWorkspace(c);
    const m = Math.min(GRAM_SPLIT, N);
    const edge = Array.from({ length: m + 1 }, (_, i) => Math.round((i * N) / m));
    for (const { cols, off } of blocks) {
      checkAbort(signal);
      const w = cols.length;
      copyColumnsInto(c.u32, kb.ptr >>> 2, k, N, J, cols);
      copyColumnsInto(c.u32, nb.ptr >>> 2, n, N, J, cols);
      ex.fraserLogitColumns(N, w, kb.ptr, nb.ptr, pc, x.ptr, mb.ptr, wantSumSq ? sb.ptr : 0);
      means.set(c.f64.subarray(mb.ptr >>> 3, (mb.ptr >>> 3) + w), off);
      if (wantSumSq) sumSq.set(c.f64.subarray(sb.ptr >>> 3, (sb.ptr >>> 3) + w), off);
      for (let a = 0; a < m; a++) {
        for (let b = a; b < m; b++) {
          ex.gemm(0, 1, edge[a + 1] - edge[a], edge[b + 1] - edge[b], w, 1, x.ptr + edge[a] * w * 8, w, x.ptr + edge[b] * w * 8, w,
            off === 0 ? 0 : 1, G.ptr + (edge[a] * N + edge[b]) * 8, N, work);
        }
      }
    }
    const gram = matrix(N, N, Float64Array.from(G.view()));
    const g = gram.data;
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) g[j * N + i] = g[i * N + j];
    return { means, sumSq, gram };
  } finally {
    ws.dispose();
  }
}

type LogitColumnsKernel = (rows: number, cols: number, pK: number, pN: number, pc: number, pX: number, pMean: number, pSumSq: number) => void;
type GemmKernel = CoreExports['gemm'];

/** Row blocks of the Gram update (see logitGram). */
const GRAM_SPLIT = 4;

/**
 * PCA from the Gram matrix of centred x: all min(N, J') singular values, q (given, or by optimal
 * hard thresholding: FRASER 2's default, q = 2 when the cut keeps nothing), and H = U_q Σ_q, the
 * samples' principal coordinates (= x_c V_q).
 */
function pcaFromGram(gram: Float64Array, N: number, Jk: number, q: number | 'auto', core?: Core): { q: number; H: Float64Array; selection: QSelection } {
  const eig = symmetricEigen(matrix(N, N, gram), { vectors: true, core });
  const r = Math.min(N, Jk);
  const s = Float64Array.from(eig.values.subarray(0, r), (v) => Math.sqrt(Math.max(v, 0)));
  const cap = Math.max(1, r - 1);
  let selection: QSelection = { method: 'given' };
  let qq: number;
  if (q === 'auto') {
    const oht = optimalHardThreshold(s, N, Jk);
    selection = { method: 'oht', singularValues: s, threshold: oht.threshold, coefficient: oht.coefficient, rank: oht.rank };
    qq = Math.min(oht.rank >= 1 ? oht.rank : 2, cap);
  } else {
    if (!(Number.isInteger(q) && q >= 1 && q <= cap)) throw new ArgumentValueError(`q must be a whole number in [1, ${cap}] (below min(N, J') = ${r}), got ${q}`, 'q');
    qq = q;
  }
  const U = eig.vectors!.data;
  const H = new Float64Array(N * qq);
  for (let i = 0; i < N; i++) for (let l = 0; l < qq; l++) H[i * qq + l] = U[l * N + i] * s[l];
  return { q: qq, H, selection };
}

/**
 * W = H (HᵀH)⁺ (N×q), so that x_cᵀW is the least-squares regression of each junction's centred
 * logits on H: the decoder's start (and, for H = UΣ, exactly the principal directions V).
 * Directions with eigenvalue below 1e-12 of the largest are dropped (pseudo-inverse).
 */
function leastSquaresMap(H: Float64Array, N: number, q: number, core?: Core): Float64Array {
  const Hm = matrix(N, q, H);
  const G = gemm(Hm, Hm, { transA: true, core });
  const eig = symmetricEigen(G, { vectors: true, core });
  const V = eig.vectors!.data;
  const top = Math.max(eig.values[0], 0);
  const inv = matrix(q, q);
  for (let l = 0; l < q; l++) {
    const v = eig.values[l];
    if (!(v > 1e-12 * top)) continue;
    for (let a = 0; a < q; a++) for (let c = 0; c < q; c++) inv.data[a * q + c] += (V[l * q + a] * V[l * q + c]) / v;
  }
  return gemm(Hm, inv, { core }).data;
}

/**
 * Fits FRASER to counts k, n (N×J, samples × junctions) and computes its statistics.
 *
 * - 'pca' (default): E = D = the top-q principal directions of centred x, b = the column means,
 *   then ρ per junction (batched Brent on the full beta-binomial NLL + 1e-4·logit(ρ)²).
 * - 'ae': PCA initialisation on the training junctions (a subset of variable junctions when J is
 *   large), then rounds of updateE (L-BFGS over E) → updateD (batched L-BFGS over (b_j, d_j)) →
 *   updateRho, until every junction's mean loss changes by < tolerance or maxRounds; then D and ρ
 *   are refitted for all junctions with E frozen, on the noise-free x.
 * - 'pca-bb-decoder': E from PCA; D and b by beta-binomial fits weighted with Huber weights of the
 *   Pearson residuals, recomputed every round, and ρ; same stopping rule, per junction block.
 *
 * Memory: the counts are read where they are (Uint32Array is half the bytes of Float64Array);
 * x is never formed for all junctions (PCA goes through the N×N Gram matrix, accumulated over
 * junction blocks), and every per-junction fit and statistic streams through blocks of
 * `blockCells` cells. What grows with J: E, D, b, ρ and the N×J pValues and padj.
 *
 * q: a number, 'auto' (optimal hard thresholding, FRASER 2's default) or 'grid' (the reference's
 * search: inject outliers, fit each q of the grid, keep the best AUC-PR).
 * Deterministic for a given seed. Synchronous (the WebAssembly core must be loaded: `await init()`).
 */
export function fit(data: CountInput, options: FraserFitOptions = {}): FraserFit {
  const implementation = options.implementation ?? 'pca';
  if (!['pca', 'ae', 'pca-bb-decoder'].includes(implementation)) {
    throw new ArgumentValueError(`implementation must be 'pca', 'ae' or 'pca-bb-decoder', got '${String(implementation)}'`, 'implementation');
  }
  const { N, J } = checkCounts(data);
  const pc = options.pseudocount ?? 0.1;
  if (!(pc > 0 && Number.isFinite(pc))) throw new ArgumentValueError(`pseudocount must be a positive number, got ${pc}`, 'pseudocount');
  const c = options.likelihoodPseudocount ?? 0;
  if (!(c >= 0 && Number.isFinite(c))) throw new ArgumentValueError(`likelihoodPseudocount must be ≥ 0, got ${c}`, 'likelihoodPseudocount');
  const seed = requireInteger(options.seed ?? 1, 'seed', 0, 2 ** 32 - 1);
  const maxRounds = requireInteger(options.maxRounds ?? 15, 'maxRounds', 1);
  const tolerance = options.tolerance ?? 1e-5;
  const blockCells = requireInteger(options.blockCells ?? DEFAULT_BLOCK_CELLS, 'blockCells', 1);
  const decIter = requireInteger(options.decoderIterations ?? 100, 'decoderIterations', 1);
  const decMethod = options.decoderOptimizer ?? 'scoring';
  if (decMethod !== 'scoring' && decMethod !== 'lbfgs') throw new ArgumentValueError(`decoderOptimizer must be 'scoring' or 'lbfgs', got '${String(decMethod)}'`, 'decoderOptimizer');
  const encMethod = options.encoderOptimizer ?? 'scoring';
  if (encMethod !== 'scoring' && encMethod !== 'lbfgs') throw new ArgumentValueError(`encoderOptimizer must be 'scoring' or 'lbfgs', got '${String(encMethod)}'`, 'encoderOptimizer');
  const rhoMethod = options.rhoOptimizer ?? 'newton';
  if (rhoMethod !== 'newton' && rhoMethod !== 'brent') throw new ArgumentValueError(`rhoOptimizer must be 'newton' or 'brent', got '${String(rhoMethod)}'`, 'rhoOptimizer');
  const fdrMethod = options.fdrMethod ?? 'BY';
  if (fdrMethod !== 'BY' && fdrMethod !== 'BH') throw new ArgumentValueError(`fdrMethod must be 'BY' or 'BH', got '${String(fdrMethod)}'`, 'fdrMethod');
  if (options.groups !== undefined && (!(options.groups instanceof Int32Array) || options.groups.length !== J)) {
    throw new ShapeError(`groups must be an Int32Array with one group id per junction (${J})`, 'groups');
  }
  const { signal, onProgress, core } = options;
  const progress = (p: FraserProgress) => onProgress?.(p);
  checkAbort(signal);
  const { k, n } = data;

  const notices: string[] = [];
  const { kept, dropped } = coveredJunctions(n, N, J);
  if (dropped.length > 0) {
    const list = Array.from(dropped.subarray(0, 10)).join(', ') + (dropped.length > 10 ? ', …' : '');
    notices.push(`${dropped.length} junction(s) have no reads in any sample and were left out (their results are NaN): ${list}`);
    progress({ stage: 'prepare', message: notices[notices.length - 1] });
  }
  const Jk = kept.length;
  if (Jk < 2) throw new ArgumentValueError(`FRASER needs at least 2 junctions with reads, got ${Jk}`, 'n');

  let qOpt = options.q ?? 'auto';
  let gridSelection: QSelection | undefined;
  if (qOpt === 'grid') {
    const g = searchQ({ k, n, samples: N }, { ...options, q: undefined, groups: undefined }, N, J, Jk, seed);
    qOpt = g.q;
    gridSelection = g.selection;
  } else if (qOpt !== 'auto') {
    requireInteger(qOpt, 'q', 1);
    if (qOpt >= Math.min(N, Jk)) throw new ArgumentValueError(`q must be below min(N, J) = ${Math.min(N, Jk)}, got ${qOpt}`, 'q');
  }
  progress({ stage: 'pca', message: `PCA of ${N}×${Jk} logit ratios` });
  const pass1 = logitGram(k, n, N, J, kept, pc, blockCells, core, signal, implementation === 'ae'); // Σ x_c² ranks ae's training junctions
  const pca = pcaFromGram(pass1.gram.data, N, Jk, qOpt, core);
  const q = pca.q;
  const selection = gridSelection ?? pca.selection;
  progress({ stage: 'pca', message: `q = ${q} (${selection.method === 'given' ? 'given' : selection.method === 'oht' ? 'optimal hard threshold' : 'grid search'})` });
  checkAbort(signal);

  const history: number[] = [];
  let H = pca.H;
  let Eae: Float64Array | undefined;
  if (implementation === 'ae') {
    const r = trainAutoencoder({ k, n, N, J, kept, means: pass1.means, sumSq: pass1.sumSq, q, c, pc, seed, maxRounds, tolerance, decIter, encMethod, options, history, core, progress, signal, notices });
    H = r.H;
    Eae = r.E;
  }

  // Stream the junctions: decoder (ae, pca-bb-decoder) and ρ per junction given H, and the
  // training residual scale of the z-scores.
  const W = leastSquaresMap(H, N, q, core);
  const E = Eae ?? new Float64Array(Jk * q);
  const D = new Float64Array(Jk * q);
  const b = new Float64Array(Jk);
  const rho = new Float64Array(Jk);
  const zCenter = new Float64Array(Jk);
  const zScale = new Float64Array(Jk);
  const rounds = implementation === 'pca-bb-decoder' ? maxRounds : 0;
  const roundLoss = new Float64Array(rounds + 1);
  let roundsRun = 0;
  const stage = implementation === 'ae' ? 'final' : implementation === 'pca' ? 'rho' : 'updateD';
  // p-values are taken block by block from the fitted objective (its counts and μ are at hand).
  const pValues = new Float64Array(N * J);
  if (Jk < J) pValues.fill(NaN); // the dropped junctions' columns; pValuesInto writes every kept one
  for (const { cols, off } of junctionBlocks(kept, N, blockCells)) {
    checkAbort(signal);
    const nb = cols.length;
    const bb = pass1.means.subarray(off, off + nb);
    // Counts checked by checkCounts and copied straight from the input's columns; μ cached for
    // the ρ fit's evaluations (16·N·nb bytes).
    const obj = new FraserObjective({
      k, n, latent: H, junctions: J, latentDim: q, likelihoodPseudocount: c, core, cacheMean: true, [COUNTS_CHECKED]: true, [SOURCE_COLUMNS]: cols,
    });
    try {
      const D0 = obj.logitProjection(W, bb, pc);
      if (!Eae) E.set(D0, off * q); // PCA: x_cᵀ U Σ⁻¹ = V, the principal directions
      obj.setDecoder(D0, bb);
      obj.setRho(obj.momentRho());
      // ae: ρ first (the decoder's loss is nearly flat at the default ρ = ½), then D and b, then ρ again.
      if (implementation === 'ae') {
        fitRho(obj, signal, rhoMethod);
        fitDecoder(obj, decIter, signal, decMethod);
      }
      const fitted = fitRho(obj, signal, rhoMethod);
      let loss = sum(fitted);
      roundLoss[0] += loss;
      if (implementation === 'pca-bb-decoder') {
        let before = fitted;
        let stopped = false;
        const kb = keepColumns(k, N, J, cols);
        const nbs = keepColumns(n, N, J, cols);
        for (let round = 1; round <= rounds; round++) {
          if (!stopped) {
            checkAbort(signal);
            obj.setWeights(huberWeights(kb, nbs, obj.predictMean(), obj.getRho(), N, nb));
            fitDecoder(obj, decIter, signal, decMethod);
            loss = sum(fitRho(obj, signal, rhoMethod));
            const after = obj.junctionLoss(); // weighted, as the decoder's objective
            obj.setWeights(null);
            roundsRun = Math.max(roundsRun, round);
            stopped = maxAbsDiff(after, before) < tolerance;
            before = after;
          }
          roundLoss[round] += loss; // a block that stopped keeps its last loss in later rounds
        }
      }
      const dec = obj.getDecoder();
      D.set(dec.D, off * q);
      b.set(dec.b, off);
      rho.set(obj.getRho(), off);
      const res = obj.logitResidualStats(pc);
      zCenter.set(res.mean, off);
      zScale.set(res.sd, off);
      obj.pValuesInto(pValues, J, cols);
    } finally {
      obj.dispose();
    }
    progress({ stage, fraction: (off + nb) / Jk });
  }
  for (let r = 0; r <= roundsRun; r++) {
    history.push(roundLoss[r] / Jk);
    progress({ stage, round: r || undefined, loss: history[history.length - 1] });
  }

  progress({ stage: 'statistics' });
  const params: FraserParameters = {
    implementation, samples: N, junctions: J, q, pseudocount: pc, likelihoodPseudocount: c, fdrMethod,
    groups: options.groups ? Int32Array.from(options.groups) : undefined, kept, dropped,
    E, D, b, rho, xMeans: pass1.means, latent: H, zCenter, zScale,
    history: Float64Array.from(history), qSelection: selection, notices, blockCells,
  };
  checkAbort(signal);
  const padj = adjustPerSample(params, pValues, N);
  return new FraserFit(params, { pValues, padj }, { k, n, core });
}

interface AeContext {
  k: Counts;
  n: Counts;
  N: number;
  J: number;
  kept: Uint32Array;
  means: Float64Array;
  sumSq: Float64Array;
  q: number;
  c: number;
  pc: number;
  seed: number;
  maxRounds: number;
  tolerance: number;
  decIter: number;
  /** updateE's optimiser, validated by fit. */
  encMethod: 'scoring' | 'lbfgs';
  options: FraserFitOptions;
  history: number[];
  core?: Core;
  progress: (p: FraserProgress) => void;
  signal?: AbortSignal;
  notices: string[];
}

/**
 * The AE schedule on the training junctions (all kept junctions, or, as in the reference, a random
 * `subsetSize` of the 2·subsetSize most variable): PCA initialisation (E = D = V, b = means, ρ
 * fitted), then rounds of updateE → updateD → updateRho on the denoised x. Returns E over all
 * kept junctions (zero rows outside the training subset) and H = x_c E on the noise-free x.
 */
function trainAutoencoder(ctx: AeContext): { E: Float64Array; H: Float64Array } {
  const { k, n, N, J, kept, q, c, pc, seed, maxRounds, tolerance, decIter, options, history, core, progress, signal } = ctx;
  const Jk = kept.length;
  const rng = new Rng(seed);
  const subsetSize = requireInteger(options.subsetSize ?? 15000, 'subsetSize', 1);
  const noise = options.noise ?? 1;
  if (!(noise >= 0 && Number.isFinite(noise))) throw new ArgumentValueError(`noise must be ≥ 0, got ${noise}`, 'noise');
  const encIter = requireInteger(options.encoderIterations ?? 50, 'encoderIterations', 1);

  // Training junctions (positions in `kept`).
  let subset = Uint32Array.from({ length: Jk }, (_, j) => j);
  if (Jk > subsetSize) {
    const byVar = subset.slice().sort((a, b) => ctx.sumSq[b] - ctx.sumSq[a]);
    const pool = byVar.subarray(0, Math.min(Jk, 2 * subsetSize));
    for (let i = pool.length - 1; i > 0; i--) {
      const r = Math.floor(rng.uniform() * (i + 1));
      const t = pool[i];
      pool[i] = pool[r];
      pool[r] = t;
    }
    subset = Uint32Array.from(pool.subarray(0, subsetSize)).sort();
    ctx.notices.push(`the autoencoder was trained on ${subsetSize} of ${Jk} junctions (the most variable, sampled); D and ρ were then fitted for all`);
  }
  const Js = subset.length;
  const cols = Uint32Array.from(subset, (j) => kept[j]);
  const { x, means } = logitTransform(k, n, N, J, cols, pc, core);
  centreColumns(x, means, N);
  if (q >= Math.min(N, Js)) throw new ArgumentValueError(`q = ${q} must be below min(N, training junctions) = ${Math.min(N, Js)}`, 'q');
  const init = pcaOfCentred(x, N, Js, q, core);
  const ks = keepColumns(k, N, J, cols), ns = keepColumns(n, N, J, cols);
  // μ cached for the ρ fits (16·N·Js bytes); counts checked by checkCounts.
  const train = new FraserObjective({ k: ks, n: ns, x, junctions: Js, latentDim: q, likelihoodPseudocount: c, core, cacheMean: true, [COUNTS_CHECKED]: true });
  let encoder: WasmLbfgs | undefined;
  try {
    train.setEncoder(init.V);
    train.setDecoder(init.V, means);
    train.setRho(train.momentRho());
    // The ρ fit's junction losses: nll is their mean (train has no weights).
    let before = fitRho(train, signal, options.rhoOptimizer);
    history.push(sum(before) / Js);
    progress({ stage: 'rho', loss: history[history.length - 1] });
    if (noise > 0) {
      // Denoising: x + α·sd_j·ε with ε drawn once per fit (the reference's noiseAlpha).
      const sd = columnMeanSd(x, N, Js).sd;
      const xn = Float64Array.from(x);
      for (let i = 0; i < N; i++) for (let j = 0; j < Js; j++) xn[i * Js + j] += noise * sd[j] * rng.normal();
      train.setX(xn);
    }
    if (noise > 0) before = train.junctionLoss(); // H from the noisy x
    // updateE by scoring needs a factorisation of x xᵀ (once: x is fixed from here on).
    let basis: EncoderBasis | undefined;
    if (ctx.encMethod === 'scoring') {
      basis = encoderBasis(train, core ?? getCore());
      if (!basis) ctx.notices.push(`updateE used L-BFGS: x xᵀ has more than ${MAX_NULL_DIRECTIONS} null or weak directions (about as many training junctions as samples, or fewer?)`);
    }
    // updateE by L-BFGS: lbfgs's algorithm and defaults (m = 10, gtol = 1e-6) with its vector work
    // in WebAssembly; one engine for all rounds, each round restarted from the current E with an
    // empty memory, as separate lbfgs calls would be.
    if (!basis) encoder = new WasmLbfgs(train.encoderObjective(), Js * q, 10, undefined, { core });
    for (let round = 1; round <= maxRounds; round++) {
      checkAbort(signal);
      // The reference's L-BFGS-B stopping rule (factr = 1e7: relative change of f ≤ 2.2e-9), at most encIter iterations.
      let fE: number;
      if (basis) {
        fE = fitEncoderScoring(train, basis, { maxIterations: encIter, signal }).f;
        checkAbort(signal);
      } else {
        encoder!.start(train.getEncoder());
        encoder!.run({ maxIterations: encIter, ftol: 2.220446049250313e-9, gtol: 1e-6, signal });
        checkAbort(signal);
        train.setEncoder(encoder!.x);
        fE = encoder!.f;
      }
      history.push(fE);
      progress({ stage: 'updateE', round, loss: fE });
      fitDecoder(train, decIter, signal, options.decoderOptimizer);
      history.push(train.nll());
      progress({ stage: 'updateD', round, loss: history[history.length - 1] });
      const after = fitRho(train, signal, options.rhoOptimizer);
      history.push(sum(after) / Js);
      progress({ stage: 'rho', round, loss: history[history.length - 1] });
      const change = maxAbsDiff(after, before);
      before = after;
      if (change < tolerance) break;
    }
    if (noise > 0) train.setX(x);
    const Es = train.getEncoder();
    const E = new Float64Array(Jk * q);
    subset.forEach((j, r) => E.set(Es.subarray(r * q, r * q + q), j * q));
    return { E, H: train.getLatent() };
  } finally {
    encoder?.dispose();
    train.dispose();
  }
}

/** Up to `count` distinct integers spaced evenly in log between lo and hi. */
function logGrid(lo: number, hi: number, count: number): number[] {
  if (hi <= lo) return [lo];
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(Math.round(Math.exp(Math.log(lo) + (i * (Math.log(hi) - Math.log(lo))) / (count - 1))));
  return [...out].sort((a, b) => a - b);
}

/**
 * The reference's q search: inject outliers into a copy of the counts (frequency 1e-2, |Δψ|
 * uniform in [0.2, 0.5] from the junction's mean ψ, k = round(ψ_new·(n+2pc) − pc)), fit each q
 * of the grid with the chosen implementation, and keep the q whose p-values rank the injected
 * cells best (AUC-PR of −log p).
 */
function searchQ(data: { k: Counts; n: Counts; samples: number }, options: FraserFitOptions, N: number, J: number, Jk: number, seed: number): { q: number; selection: QSelection } {
  const rng = new Rng(seed ^ 0x5eed);
  const pc = options.pseudocount ?? 0.1;
  const k = Float64Array.from(data.k);
  const n = data.n;
  const labels = new Uint8Array(N * J);
  const psiMean = new Float64Array(J);
  for (let i = 0; i < N; i++) for (let j = 0; j < J; j++) psiMean[j] += (k[i * J + j] + pc) / (n[i * J + j] + 2 * pc) / N;
  for (let cell = 0; cell < N * J; cell++) {
    if (n[cell] === 0 || rng.uniform() >= 1e-2) continue;
    const m = psiMean[cell % J];
    const d = 0.2 + 0.3 * rng.uniform();
    const up = m + d <= 1 && (m - d < 0 || rng.uniform() < 0.5);
    const psi = up ? m + d : m - d;
    k[cell] = Math.min(n[cell], Math.max(0, Math.round(psi * (n[cell] + 2 * pc) - pc)));
    labels[cell] = 1;
  }
  // Limits use the junctions with reads (J'), which is what each fit of the grid sees.
  const grid = options.qGrid ?? logGrid(2, Math.max(2, Math.floor(Math.min(N, Jk) / 3)), 12);
  const auc: number[] = [];
  let best = NaN;
  let bestAuc = -Infinity;
  const kept: number[] = [];
  for (let c = 0; c < N * J; c++) if (n[c] > 0) kept.push(c);
  for (const q of grid) {
    checkAbort(options.signal);
    if (!(Number.isInteger(q) && q >= 1 && q < Math.min(N, Jk))) {
      auc.push(NaN);
      continue;
    }
    const f = fit({ k, n, samples: N }, { ...options, q, onProgress: undefined });
    const scores = Float64Array.from(kept, (c) => -Math.log(Math.max(f.pValues[c], 1e-300)));
    const a = averagePrecision(scores, Uint8Array.from(kept, (c) => labels[c]));
    auc.push(a);
    options.onProgress?.({ stage: 'qSearch', message: `q = ${q}: AUC-PR ${a.toFixed(4)}` });
    // An AUC-PR is NaN when no cell could be injected (tiny data): such a q is kept only if no
    // other q has a score.
    if (a > bestAuc || Number.isNaN(best)) {
      if (a > bestAuc) bestAuc = a;
      best = q;
    }
  }
  if (Number.isNaN(best)) {
    throw new ArgumentValueError(`no q of the grid [${grid.join(', ')}] is a whole number in [1, min(N, J') − 1 = ${Math.min(N, Jk) - 1}]`, 'qGrid');
  }
  return { q: best, selection: { method: 'grid', grid, aucPr: auc } };
}
