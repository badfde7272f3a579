import { ArgumentTypeError, ArgumentValueError, LatentWasmError, ShapeError, requireInteger } from '../../errors.js';
import { averagePrecision } from '../../metrics.js';
import { brentBatch, lbfgs, minimizeBatch } from '../../optim/index.js';
import { Rng } from '../../random.js';
import { FraserObjective } from './objective.js';
import { gemm, gramSvd, matrix, optimalHardThreshold } from '../../linalg/index.js';
import { adjust, betaBinomial } from '../../stats/index.js';
import type { Core } from '../../wasm/core.js';

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
export function checkCounts(input: CountInput, name = 'data'): { N: number; J: number } {
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
  if (N < 2) throw new ArgumentValueError(`FRASER needs at least 2 samples, got ${N}`, 'samples');
  if (k instanceof Float64Array || n instanceof Float64Array) {
    for (let c = 0; c < k.length; c++) {
      const kv = k[c];
      const nv = n[c];
      if (!(Number.isInteger(kv) && kv >= 0)) throw new ArgumentValueError(`k[${Math.floor(c / J)}, ${c % J}] must be a non-negative integer, got ${kv}`, `k[${Math.floor(c / J)}, ${c % J}]`);
      if (!(Number.isInteger(nv) && nv >= 0)) throw new ArgumentValueError(`n[${Math.floor(c / J)}, ${c % J}] must be a non-negative integer, got ${nv}`, `n[${Math.floor(c / J)}, ${c % J}]`);
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
export function logitTransform(k: Counts, n: Counts, N: number, J: number, kept: Uint32Array, pc: number): { x: Float64Array; means: Float64Array } {
  const Jk = kept.length;
  const x = new Float64Array(N * Jk);
  const means = new Float64Array(Jk);
  for (let i = 0; i < N; i++) {
    for (let jj = 0; jj < Jk; jj++) {
      const c = i * J + kept[jj];
      const p = (k[c] + pc) / (n[c] + 2 * pc);
      const v = Math.log(p / (1 - p));
      x[i * Jk + jj] = v;
      means[jj] += v;
    }
  }
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

/** Progress of a fit: the stage, the round (AE, PCA-BB-Decoder) and the loss after it. */
export interface FraserProgress {
  stage: 'prepare' | 'pca' | 'rho' | 'updateE' | 'updateD' | 'weights' | 'final' | 'statistics' | 'qSearch';
  round?: number;
  loss?: number;
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
  /** AE: L-BFGS iterations per updateE (default 50) and per junction in updateD (default 100), as in the reference. */
  encoderIterations?: number;
  decoderIterations?: number;
  /** Per-sample multiple-testing method (default 'BY'), and donor/acceptor groups (length J) for Holm within groups. */
  fdrMethod?: 'BY' | 'BH';
  groups?: Int32Array;
  /** q search: the grid (default: up to 12 log-spaced values in [2, min(N, J)/3]). */
  qGrid?: number[];
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
  /** Per kept junction: mean and sd of the training logit residuals (the z-score scale). */
  zCenter: Float64Array;
  zScale: Float64Array;
  history: Float64Array;
  qSelection: QSelection;
  notices: string[];
}

interface FraserResults {
  mu: Float64Array;
  pValues: Float64Array;
  padj: Float64Array;
  zScores: Float64Array;
  deltaPsi: Float64Array;
}

const logit = (p: number) => Math.log(p) - Math.log1p(-p);

/**
 * A fitted FRASER model and its statistics for the training samples. Immutable. Matrices are N×J
 * row-major over ALL input junctions; a junction without reads in any sample is left out of the
 * model (listed in `dropped`, with a notice) and its columns of mu, pValues, padj, zScores and
 * deltaPsi are NaN — the one documented source of NaN in the results besides deltaPsi where n = 0
 * (ψ undefined). E and D are J×q, b and rho length J, with zero rows / NaN for dropped junctions.
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
  readonly mu: Float64Array;
  readonly pValues: Float64Array;
  readonly padj: Float64Array;
  readonly zScores: Float64Array;
  readonly deltaPsi: Float64Array;
  /** The loss (mean truncated NLL over cells) after each step of the fit. */
  readonly history: Float64Array;
  readonly qSelection: QSelection;
  readonly dropped: Uint32Array;
  readonly notices: readonly string[];
  private readonly params: FraserParameters;

  constructor(params: FraserParameters, results: FraserResults) {
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
    this.mu = results.mu;
    this.pValues = results.pValues;
    this.padj = results.padj;
    this.zScores = results.zScores;
    this.deltaPsi = results.deltaPsi;
    this.history = params.history;
    this.qSelection = params.qSelection;
    this.dropped = params.dropped;
    this.notices = Object.freeze([...params.notices]);
    Object.freeze(this);
  }

  /**
   * Scores new samples with the fitted model and no refit: x from their counts (same
   * pseudocount), centred with the TRAINING column means, encoded with E, decoded with D and b;
   * p-values with the fitted ρ, padj per new sample, z-scores on the training residual scale.
   * `k`, `n`: M×J row-major over the same junctions as the fit.
   */
  predict(input: { k: Counts; n: Counts }, options: { core?: Core } = {}): FraserPrediction {
    const p = this.params;
    const { N: M } = checkCounts({ ...input, junctions: p.junctions, samples: undefined }, 'input');
    return scoreSamples(p, input.k, input.n, M, options.core);
  }

  /** A plain-JSON form (arrays as number arrays, NaN as null); `fraser.fromJSON` restores it exactly. */
  toJSON(): object {
    const p = this.params;
    return {
      format: 'latentwasm.fraser',
      version: 1,
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
      E: enc(p.E), D: enc(p.D), b: enc(p.b), rho: enc(p.rho), xMeans: enc(p.xMeans),
      zCenter: enc(p.zCenter), zScale: enc(p.zScale), history: enc(p.history),
      qSelection: p.qSelection.method === 'oht' ? { ...p.qSelection, singularValues: enc(p.qSelection.singularValues) } : p.qSelection,
      notices: p.notices,
      results: { mu: enc(this.mu), pValues: enc(this.pValues), padj: enc(this.padj), zScores: enc(this.zScores), deltaPsi: enc(this.deltaPsi) },
    };
  }

  /** Restores a fit from `toJSON()` output (an object or its JSON text). */
  static fromJSON(json: unknown): FraserFit {
    const o = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, any>;
    if (!o || o.format !== 'latentwasm.fraser') throw new ArgumentValueError('not a latentwasm FRASER fit (format field missing or different)', 'json');
    if (o.version !== 1) throw new ArgumentValueError(`unsupported FRASER fit version ${o.version}`, 'json.version');
    const qs = o.qSelection.method === 'oht' ? { ...o.qSelection, singularValues: dec(o.qSelection.singularValues) } : o.qSelection;
    const params: FraserParameters = {
      implementation: o.implementation, samples: o.samples, junctions: o.junctions, q: o.q,
      pseudocount: o.pseudocount, likelihoodPseudocount: o.likelihoodPseudocount, fdrMethod: o.fdrMethod,
      groups: o.groups ? Int32Array.from(o.groups) : undefined,
      kept: Uint32Array.from(o.kept), dropped: Uint32Array.from(o.dropped),
      E: dec(o.E), D: dec(o.D), b: dec(o.b), rho: dec(o.rho), xMeans: dec(o.xMeans),
      zCenter: dec(o.zCenter), zScale: dec(o.zScale), history: dec(o.history), qSelection: qs, notices: o.notices ?? [],
    };
    const r = o.results;
    return new FraserFit(params, { mu: dec(r.mu), pValues: dec(r.pValues), padj: dec(r.padj), zScores: dec(r.zScores), deltaPsi: dec(r.deltaPsi) });
  }
}

function enc(a: Float64Array): (number | null)[] {
  return Array.from(a, (v) => (Number.isFinite(v) ? v : Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity')) as (number | null)[];
}

function dec(a: unknown[]): Float64Array {
  return Float64Array.from(a, (v) => (v === null ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number)));
}

/** The columns `kept` of an M×J matrix, as an M×J' matrix of the same type (the input itself when nothing is dropped). */
function keepColumns<T extends Counts | Float64Array | Int32Array>(a: T, M: number, J: number, kept: Uint32Array): T {
  if (kept.length === J) return a;
  const Jk = kept.length;
  const out = new (a.constructor as { new (n: number): T })(M * Jk);
  for (let i = 0; i < M; i++) for (let jj = 0; jj < Jk; jj++) out[i * Jk + jj] = a[i * J + kept[jj]];
  return out;
}

/** The inverse of keepColumns for results: an M×J matrix with NaN in the dropped columns. */
function expandColumns(a: Float64Array, M: number, J: number, kept: Uint32Array): Float64Array {
  if (kept.length === J) return a;
  const Jk = kept.length;
  const out = new Float64Array(M * J).fill(NaN);
  for (let i = 0; i < M; i++) for (let jj = 0; jj < Jk; jj++) out[i * J + kept[jj]] = a[i * Jk + jj];
  return out;
}

/** Logit residuals r = logit((k+pc)/(n+2pc)) − logit(μ) (μ clamped to [1e-15, 1−1e-15] as in the p-value kernel). */
function logitResiduals(k: Counts, n: Counts, mu: Float64Array, pc: number): Float64Array {
  const r = new Float64Array(mu.length);
  for (let c = 0; c < mu.length; c++) {
    const m = Math.min(Math.max(mu[c], 1e-15), 1 - 1e-15);
    r[c] = logit((k[c] + pc) / (n[c] + 2 * pc)) - logit(m);
  }
  return r;
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

/**
 * The statistics of M samples over the kept junctions given their μ: p-values, per-sample padj,
 * z-scores on the given residual scale, Δψ; then expanded to all J junctions.
 */
function statistics(p: FraserParameters, kK: Counts, nK: Counts, mu: Float64Array, M: number, core?: Core): FraserResults {
  const Jk = p.kept.length;
  const pValues = betaBinomial.pValues(kK, nK, mu, p.rho, { junctions: Jk, core });
  const groups = p.groups ? keepColumns(p.groups, 1, p.junctions, p.kept) : undefined;
  const padj = adjust.perSample(pValues, M, Jk, { method: p.fdrMethod, groups });
  const r = logitResiduals(kK, nK, mu, p.pseudocount);
  const z = new Float64Array(M * Jk);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < Jk; j++) {
      const s = p.zScale[j];
      // A junction whose training residuals are all equal has no scale: no sample deviates (z = 0).
      z[i * Jk + j] = s > 0 ? (r[i * Jk + j] - p.zCenter[j]) / s : 0;
    }
  }
  const dpsi = new Float64Array(M * Jk);
  for (let c = 0; c < dpsi.length; c++) dpsi[c] = nK[c] > 0 ? kK[c] / nK[c] - mu[c] : NaN;
  const J = p.junctions;
  return {
    mu: expandColumns(mu, M, J, p.kept),
    pValues: expandColumns(pValues, M, J, p.kept),
    padj: expandColumns(padj, M, J, p.kept),
    zScores: expandColumns(z, M, J, p.kept),
    deltaPsi: expandColumns(dpsi, M, J, p.kept),
  };
}

/** predict's path: μ of new samples from the fitted E, D, b with the training means, then statistics. */
function scoreSamples(p: FraserParameters, k: Counts, n: Counts, M: number, core?: Core): FraserPrediction {
  const Jk = p.kept.length, q = p.q;
  const kK = keepColumns(k, M, p.junctions, p.kept);
  const nK = keepColumns(n, M, p.junctions, p.kept);
  const { x } = logitTransform(kK, nK, M, Jk, Uint32Array.from({ length: Jk }, (_, j) => j), p.pseudocount);
  centreColumns(x, p.xMeans, M);
  const H = gemm(matrix(M, Jk, x), matrix(Jk, q, p.E), { core });
  const Y = gemm(H, matrix(Jk, q, p.D), { transB: true, core });
  const mu = Y.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < Jk; j++) {
      const y = mu[i * Jk + j] + p.b[j];
      mu[i * Jk + j] = y >= 0 ? 1 / (1 + Math.exp(-y)) : Math.exp(y) / (1 + Math.exp(y));
    }
  }
  return { samples: M, ...statistics(p, kK, nK, mu, M, core) };
}

/** Throws the abort reason as a typed error when the signal fired. */
function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new FitAbortedError('the FRASER fit was aborted', 'signal');
}

/** The fit was cancelled through its AbortSignal; nothing half-fitted is returned. */
export class FitAbortedError extends LatentWasmError {}

const RHO_LO = -30;
const RHO_HI = 30;

/** Fits ρ for every junction by batched Brent over logit ρ ∈ [−30, 30], tolerance 1e-7 (the reference's). */
function fitRho(obj: FraserObjective, signal?: AbortSignal): void {
  const J = obj.junctions;
  const lo = new Float64Array(J).fill(RHO_LO);
  const hi = new Float64Array(J).fill(RHO_HI);
  const r = brentBatch(obj.rhoObjective(), lo, hi, { xtol: 1e-7, signal });
  checkAbort(signal);
  obj.setLogitRho(r.x);
}

/** Fits (b_j, d_j) of every junction by batched L-BFGS (memory 5, as the reference's L-BFGS-B). */
function fitDecoder(obj: FraserObjective, iterations: number, signal?: AbortSignal): void {
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

/**
 * Fits FRASER to counts k, n (N×J, samples × junctions) and computes its statistics.
 *
 * - 'pca' (default): E = D = the top-q principal directions of centred x, b = the column means,
 *   then ρ per junction (batched Brent on the full beta-binomial NLL + 1e-4·logit(ρ)²).
 * - 'ae': PCA initialisation (on a subset of variable junctions when J is large), then rounds of
 *   updateE (L-BFGS over E) → updateD (batched L-BFGS over (b_j, d_j)) → updateRho, until every
 *   junction's mean loss changes by < tolerance or maxRounds; then D and ρ are refitted for all
 *   junctions with E frozen, on the noise-free x.
 * - 'pca-bb-decoder': E from PCA; D and b by beta-binomial fits weighted with Huber weights of the
 *   Pearson residuals, recomputed every round, and ρ; same stopping rule.
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
  const fdrMethod = options.fdrMethod ?? 'BY';
  if (fdrMethod !== 'BY' && fdrMethod !== 'BH') throw new ArgumentValueError(`fdrMethod must be 'BY' or 'BH', got '${String(fdrMethod)}'`, 'fdrMethod');
  if (options.groups !== undefined && (!(options.groups instanceof Int32Array) || options.groups.length !== J)) {
    throw new ShapeError(`groups must be an Int32Array with one group id per junction (${J})`, 'groups');
  }
  const { signal, onProgress, core } = options;
  const progress = (p: FraserProgress) => onProgress?.(p);
  checkAbort(signal);

  const notices: string[] = [];
  const { kept, dropped } = coveredJunctions(data.n, N, J);
  if (dropped.length > 0) {
    const list = Array.from(dropped.subarray(0, 10)).join(', ') + (dropped.length > 10 ? ', …' : '');
    notices.push(`${dropped.length} junction(s) have no reads in any sample and were left out (their results are NaN): ${list}`);
    progress({ stage: 'prepare', message: notices[notices.length - 1] });
  }
  const Jk = kept.length;
  if (Jk < 2) throw new ArgumentValueError(`FRASER needs at least 2 junctions with reads, got ${Jk}`, 'n');
  const kK = keepColumns(data.k, N, J, kept);
  const nK = keepColumns(data.n, N, J, kept);
  const { x, means } = logitTransform(kK, nK, N, Jk, Uint32Array.from({ length: Jk }, (_, j) => j), pc);
  centreColumns(x, means, N);

  let qOpt = options.q ?? 'auto';
  let gridSelection: QSelection | undefined;
  if (qOpt === 'grid') {
    const g = searchQ({ k: kK, n: nK, samples: N }, { ...options, q: undefined, groups: undefined }, N, Jk, seed);
    qOpt = g.q;
    gridSelection = g.selection;
  } else if (qOpt !== 'auto') {
    requireInteger(qOpt, 'q', 1);
    if (qOpt >= Math.min(N, Jk)) throw new ArgumentValueError(`q must be below min(N, J) = ${Math.min(N, Jk)}, got ${qOpt}`, 'q');
  }
  progress({ stage: 'pca', message: `PCA of ${N}×${Jk} logit ratios` });
  const pca = pcaOfCentred(x, N, Jk, qOpt, core);
  const q = pca.q;
  const selection = gridSelection ?? pca.selection;
  checkAbort(signal);

  const history: number[] = [];
  let obj = new FraserObjective({ k: kK, n: nK, x, junctions: Jk, latentDim: q, likelihoodPseudocount: c, core });
  try {
    obj.setEncoder(pca.V);
    obj.setDecoder(pca.V, means);
    progress({ stage: 'rho' });
    fitRho(obj, signal);
    history.push(obj.nll());
    progress({ stage: 'rho', loss: history[history.length - 1] });

    if (implementation === 'ae') {
      obj = fitAutoencoder(obj, { kK, nK, x, means, N, Jk, q, c, pc, seed, maxRounds, tolerance, options, history, core, progress, signal, notices });
    } else if (implementation === 'pca-bb-decoder') {
      let before = obj.junctionLoss();
      for (let round = 1; round <= maxRounds; round++) {
        checkAbort(signal);
        obj.setWeights(huberWeights(kK, nK, obj.predictMean(), obj.getRho(), N, Jk));
        progress({ stage: 'weights', round });
        fitDecoder(obj, options.decoderIterations ?? 100, signal);
        fitRho(obj, signal);
        const after = obj.junctionLoss();
        obj.setWeights(null);
        history.push(obj.nll());
        progress({ stage: 'updateD', round, loss: history[history.length - 1] });
        const change = maxAbsDiff(after, before);
        before = after;
        if (change < tolerance) break;
      }
      obj.setWeights(null);
    }

    progress({ stage: 'statistics' });
    const mu = obj.predictMean();
    const E = obj.getEncoder();
    const { D, b } = obj.getDecoder();
    const rho = obj.getRho();
    const resid = columnMeanSd(logitResiduals(kK, nK, mu, pc), N, Jk);
    const params: FraserParameters = {
      implementation, samples: N, junctions: J, q, pseudocount: pc, likelihoodPseudocount: c, fdrMethod,
      groups: options.groups ? Int32Array.from(options.groups) : undefined, kept, dropped,
      E, D, b, rho, xMeans: means, zCenter: resid.mean, zScale: resid.sd,
      history: Float64Array.from(history), qSelection: selection, notices,
    };
    return new FraserFit(params, statistics(params, kK, nK, mu, N, core));
  } finally {
    obj.dispose();
  }
}

interface AeContext {
  kK: Counts;
  nK: Counts;
  x: Float64Array;
  means: Float64Array;
  N: number;
  Jk: number;
  q: number;
  c: number;
  pc: number;
  seed: number;
  maxRounds: number;
  tolerance: number;
  options: FraserFitOptions;
  history: number[];
  core?: Core;
  progress: (p: FraserProgress) => void;
  signal?: AbortSignal;
  notices: string[];
}

/** Column j of an N×J matrix for the listed junctions: the N×|idx| submatrix. */
function columns(a: Float64Array, N: number, J: number, idx: Uint32Array): Float64Array {
  return keepColumns(a, N, J, idx);
}

/**
 * The AE schedule on an objective already initialised by PCA (E = D = V, b = means, ρ fitted).
 * Returns the objective holding the final parameters over all junctions (it may be a new one;
 * the one passed in is then disposed).
 */
function fitAutoencoder(obj: FraserObjective, ctx: AeContext): FraserObjective {
  const { kK, nK, x, N, Jk, q, c, seed, maxRounds, tolerance, options, history, core, progress, signal } = ctx;
  const rng = new Rng(seed);
  const subsetSize = requireInteger(options.subsetSize ?? 15000, 'subsetSize', 1);
  const noise = options.noise ?? 1;
  if (!(noise >= 0 && Number.isFinite(noise))) throw new ArgumentValueError(`noise must be ≥ 0, got ${noise}`, 'noise');
  const encIter = requireInteger(options.encoderIterations ?? 50, 'encoderIterations', 1);
  const decIter = requireInteger(options.decoderIterations ?? 100, 'decoderIterations', 1);

  // Training junctions: all of them, or (reference) the 2·subsetSize most variable, then a random subsetSize of those.
  let subset: Uint32Array | undefined;
  if (Jk > subsetSize) {
    const variance = new Float64Array(Jk);
    for (let i = 0; i < N; i++) for (let j = 0; j < Jk; j++) variance[j] += x[i * Jk + j] ** 2;
    const byVar = Uint32Array.from({ length: Jk }, (_, j) => j).sort((a, b) => variance[b] - variance[a]);
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
  const Js = subset ? subset.length : Jk;
  const xs = subset ? columns(x, N, Jk, subset) : x;
  let train = obj;
  if (subset) {
    train = new FraserObjective({ k: keepColumns(kK, N, Jk, subset), n: keepColumns(nK, N, Jk, subset), x: xs, junctions: Js, latentDim: q, likelihoodPseudocount: c, core });
    const E = obj.getEncoder();
    const { D, b } = obj.getDecoder();
    const rho = obj.getRho();
    const pick = (a: Float64Array, w: number) => {
      const out = new Float64Array(Js * w);
      subset!.forEach((j, r) => out.set(a.subarray(j * w, j * w + w), r * w));
      return out;
    };
    train.setEncoder(pick(E, q));
    train.setDecoder(pick(D, q), pick(b, 1));
    train.setRho(pick(rho, 1));
  }
  try {
    if (noise > 0) {
      // Denoising: x + α·sd_j·ε with ε drawn once per fit (the reference's noiseAlpha).
      const sd = columnMeanSd(xs, N, Js).sd;
      const xn = Float64Array.from(xs);
      for (let i = 0; i < N; i++) for (let j = 0; j < Js; j++) xn[i * Js + j] += noise * sd[j] * rng.normal();
      train.setX(xn);
    }
    let before = train.junctionLoss();
    for (let round = 1; round <= maxRounds; round++) {
      checkAbort(signal);
      const r = lbfgs(train.encoderObjective(), train.getEncoder(), { maxIterations: encIter, signal });
      checkAbort(signal);
      train.setEncoder(r.x);
      history.push(r.f);
      progress({ stage: 'updateE', round, loss: r.f });
      fitDecoder(train, decIter, signal);
      history.push(train.nll());
      progress({ stage: 'updateD', round, loss: history[history.length - 1] });
      fitRho(train, signal);
      const after = train.junctionLoss();
      history.push(train.nll());
      progress({ stage: 'rho', round, loss: history[history.length - 1] });
      const change = maxAbsDiff(after, before);
      before = after;
      if (change < tolerance) break;
    }
    // Final: D and ρ for all junctions with E frozen, on the noise-free x.
    progress({ stage: 'final' });
    if (subset) {
      const Es = train.getEncoder();
      const E = new Float64Array(Jk * q);
      subset.forEach((j, r) => E.set(Es.subarray(r * q, r * q + q), j * q));
      obj.setEncoder(E);
    } else {
      obj = train;
      obj.setX(x);
    }
    fitDecoder(obj, decIter, signal);
    fitRho(obj, signal);
    history.push(obj.nll());
    progress({ stage: 'final', loss: history[history.length - 1] });
    return obj;
  } finally {
    if (train !== obj) train.dispose();
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
function searchQ(data: { k: Counts; n: Counts; samples: number }, options: FraserFitOptions, N: number, J: number, seed: number): { q: number; selection: QSelection } {
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
  const grid = options.qGrid ?? logGrid(2, Math.max(2, Math.floor(Math.min(N, J) / 3)), 12);
  const auc: number[] = [];
  let best = grid[0];
  let bestAuc = -Infinity;
  const kept: number[] = [];
  for (let c = 0; c < N * J; c++) if (n[c] > 0) kept.push(c);
  for (const q of grid) {
    checkAbort(options.signal);
    if (q >= Math.min(N, J)) {
      auc.push(NaN);
      continue;
    }
    const f = fit({ k, n, samples: N }, { ...options, q, onProgress: undefined });
    const scores = Float64Array.from(kept, (c) => -Math.log(Math.max(f.pValues[c], 1e-300)));
    const a = averagePrecision(scores, Uint8Array.from(kept, (c) => labels[c]));
    auc.push(a);
    options.onProgress?.({ stage: 'qSearch', message: `q = ${q}: AUC-PR ${a.toFixed(4)}` });
    if (a > bestAuc) {
      bestAuc = a;
      best = q;
    }
  }
  return { q: best, selection: { method: 'grid', grid, aucPr: auc } };
}
