/**
 * L-BFGS for the fits with large parameter vectors — PLN's θ (4·10⁵ to 4·10⁶ entries), FRASER's
 * encoder E (J×q, 10⁵ at J = 5000, q = 20) — where the vector work of an iteration (the two-loop
 * recursion over the stored pairs, forming the new pair, copying the accepted point) costs as much
 * as an evaluation, or a good part of one, when done in JS. The algorithm is that of
 * src/optim/lbfgs.ts with a preconditioner — H₀ = γD, γ = sᵀy/yᵀDy of the newest pair, pairs kept
 * when sᵀy > ε‖y‖², the strong-Wolfe line search of src/optim/linesearch.ts, first trial step 1
 * (1/‖g‖ with an empty memory and no preconditioner), the same ftol/gtol/xtol tests — with:
 *
 * - the pairs, the current gradient, D and d in WebAssembly memory; the two-loop recursion and the
 *   new pair (s = α·d, y = g⁺ − g, sᵀy, yᵀy, max|s|, max|g⁺|) are SIMD kernels (assembly/lbfgs.ts);
 * - s = α·d instead of x⁺ − x (equal up to rounding: the line search forms x⁺ = x + α·d);
 * - the accepted point and gradient swapped in, not copied.
 *
 * The same iterates as lbfgs.ts up to rounding. No serialisable state: the fits' private engine,
 * resumed with `start` (new point, empty memory) and `run` (continue).
 */
import { EPS, relativeChange, type Objective, type StopReason } from './common.js';
import { LS_OK, StrongWolfeLineSearch } from './linesearch.js';
import { getCore, type Core } from '../wasm/core.js';
import { Workspace, type WasmArray } from '../wasm/workspace.js';

type TwoLoopKernel = (n: number, count: number, pSPtr: number, pYPtr: number, pRho: number, pAlpha: number, pG: number, pD: number, pd: number) => number;
type PairKernel = (n: number, alpha: number, pd: number, pGa: number, pG: number, pS: number, pY: number, pOut: number) => void;

export interface WasmLbfgsRunOptions {
  maxIterations: number;
  ftol: number;
  gtol: number;
  /** Step max-norm test (default 0: only a zero step); needs max|x|, one more pass when > 0. */
  xtol?: number;
  signal?: AbortSignal;
  onProgress?: (info: { iteration: number; f: number; gradNorm: number; evaluations: number }) => void;
}

export class WasmLbfgs {
  readonly n: number;
  readonly m: number;
  /** Current point, value, gradient (after `start`). */
  x: Float64Array;
  f = NaN;
  g: Float64Array;
  gradNorm = Infinity;
  /** Totals over every run. */
  iteration = 0;
  evaluations = 0;
  private readonly ws: Workspace;
  private readonly twoLoop: TwoLoopKernel;
  private readonly pair: PairKernel;
  /** m + 1 slots of s and y: the pairs and a spare the next pair is written to. */
  private readonly sW: WasmArray<'f64'>[];
  private readonly yW: WasmArray<'f64'>[];
  private readonly rho: Float64Array;
  /** Slots of the kept pairs, oldest first; the spare slot. */
  private order: number[] = [];
  private spare: number;
  private gW: WasmArray<'f64'>;
  private gaW: WasmArray<'f64'>;
  private readonly dW: WasmArray<'f64'>;
  private readonly DW: WasmArray<'f64'>;
  private readonly ptrs: WasmArray<'u32'>;
  private readonly small: WasmArray<'f64'>;
  private readonly d: Float64Array;
  private xNew: Float64Array;
  private gNew: Float64Array;
  private readonly ls: StrongWolfeLineSearch;
  private justReset = false;

  constructor(
    private readonly fn: Objective,
    n: number,
    m: number,
    private readonly preconditioner?: () => Float64Array,
    options: { core?: Core; scalar?: boolean } = {},
  ) {
    this.n = n;
    this.m = m;
    const core = options.core ?? getCore();
    const e = core.exports as unknown as Record<string, unknown>;
    const s = options.scalar ? 'Scalar' : '';
    this.twoLoop = e[`plnLbfgsTwoLoop${s}`] as TwoLoopKernel;
    this.pair = e[`plnLbfgsPair${s}`] as PairKernel;
    if (typeof this.twoLoop !== 'function' || typeof this.pair !== 'function') throw new RangeError('this WebAssembly core has no PLN L-BFGS kernels (rebuild it)');
    this.ws = new Workspace(core);
    try {
      this.sW = Array.from({ length: m + 1 }, (_, k) => this.ws.f64(n, `s ${k}`));
      this.yW = Array.from({ length: m + 1 }, (_, k) => this.ws.f64(n, `y ${k}`));
      this.gW = this.ws.f64(n, 'g');
      this.gaW = this.ws.f64(n, 'g⁺');
      this.dW = this.ws.f64(n, 'd');
      this.DW = this.ws.f64(preconditioner ? n : 1, 'D');
      this.ptrs = this.ws.u32(2 * m + 2, 'pair addresses');
      this.small = this.ws.f64(2 * m + 8, 'ρ, α, out');
    } catch (err) {
      this.ws.dispose();
      throw err;
    }
    this.rho = new Float64Array(m + 1);
    this.spare = m;
    this.x = new Float64Array(n);
    this.g = new Float64Array(n);
    this.d = new Float64Array(n);
    this.xNew = new Float64Array(n);
    this.gNew = new Float64Array(n);
    this.ls = new StrongWolfeLineSearch(n);
  }

  dispose(): void {
    this.ws.dispose();
  }

  /** Sets the point (copied) with an empty memory; evaluates it unless f and g are given. */
  start(x: Float64Array, f?: number, g?: Float64Array): void {
    this.x.set(x);
    if (f === undefined || g === undefined) {
      this.f = this.fn(this.x, this.g);
      this.evaluations++;
    } else {
      this.f = f;
      this.g.set(g);
    }
    if (!Number.isFinite(this.f)) throw new RangeError(`the objective is not finite at the starting point (f = ${this.f})`);
    this.gW.set(this.g);
    let gn = 0;
    for (let i = 0; i < this.n; i++) gn = Math.max(gn, Math.abs(this.g[i]));
    this.gradNorm = gn;
    this.resetMemory();
  }

  resetMemory(): void {
    this.order = [];
    this.spare = this.m;
  }

  /** d = −H·g into this.d and dW; returns gᵀd. */
  private direction(D: Float64Array | undefined): number {
    const { n, order, g, d } = this;
    const c = order.length;
    if (c === 0) {
      let dphi = 0;
      for (let i = 0; i < n; i++) {
        const v = D ? -D[i] * g[i] : -g[i];
        d[i] = v;
        dphi += g[i] * v;
      }
      this.dW.set(d);
      return dphi;
    }
    const ptrs = this.ptrs.view(), small = this.small.view();
    for (let k = 0; k < c; k++) {
      const slot = order[c - 1 - k]; // newest first
      ptrs[k] = this.sW[slot].ptr;
      ptrs[this.m + 1 + k] = this.yW[slot].ptr;
      small[k] = this.rho[slot];
    }
    const base = this.small.ptr;
    const dphi = this.twoLoop(n, c, this.ptrs.ptr, this.ptrs.ptr + 4 * (this.m + 1), base, base + 8 * (this.m + 1), this.gW.ptr, D ? this.DW.ptr : 0, this.dW.ptr);
    d.set(this.dW.view());
    return dphi;
  }

  /** Iterates until a test stops it; returns why. */
  run(o: WasmLbfgsRunOptions): StopReason {
    const { n, m } = this;
    const xtol = o.xtol ?? 0;
    let iters = 0;
    if (this.gradNorm <= o.gtol) return 'gtol';
    for (;;) {
      if (o.signal?.aborted) return 'aborted';
      if (iters >= o.maxIterations) return 'maxIterations';
      const D = this.preconditioner?.();
      if (D) this.DW.set(D);
      let dphi0 = this.direction(D);
      if (!(dphi0 < 0) || !Number.isFinite(dphi0)) {
        this.resetMemory();
        dphi0 = 0;
        for (let i = 0; i < n; i++) {
          this.d[i] = -this.g[i];
          dphi0 -= this.g[i] * this.g[i];
        }
        this.dW.set(this.d);
      }
      const alpha0 = this.order.length === 0 && !(this.preconditioner && !this.justReset) ? 1 / Math.sqrt(-dphi0) : 1;
      const ls = this.ls;
      const status = ls.search(this.fn, this.x, this.f, this.d, dphi0, alpha0, 30, this.xNew, this.gNew);
      this.evaluations += ls.evaluations;
      let xa: Float64Array, ga: Float64Array, fa: number, alpha: number;
      if (status === LS_OK) {
        xa = this.xNew;
        ga = this.gNew;
        fa = ls.f;
        alpha = ls.alpha;
      } else if (ls.hasLo) {
        xa = ls.xLo;
        ga = ls.gLo;
        fa = ls.fLo;
        alpha = ls.alphaLo;
      } else {
        if (this.order.length > 0 && !this.justReset) {
          this.resetMemory();
          this.justReset = true;
          continue;
        }
        return ls.sawNonfinite ? 'nonfinite' : 'lineSearchFailed';
      }
      this.justReset = false;
      // The new pair into the spare slot, with sᵀy, yᵀy, max|s|, max|g⁺|.
      this.gaW.set(ga);
      const sp = this.spare;
      const out = this.small.ptr + 8 * (2 * m + 2);
      this.pair(n, alpha, this.dW.ptr, this.gaW.ptr, this.gW.ptr, this.sW[sp].ptr, this.yW[sp].ptr, out);
      const small = this.small.view();
      const o0 = 2 * m + 2;
      const sy = small[o0], yy = small[o0 + 1], stepInf = small[o0 + 2], gInf = small[o0 + 3];
      if (sy > EPS * yy && yy > 0) {
        this.rho[sp] = 1 / sy;
        if (this.order.length === m) {
          this.spare = this.order[0];
          this.order = [...this.order.slice(1), sp];
        } else {
          this.order = [...this.order, sp];
          const used = new Set(this.order);
          let f = 0;
          while (used.has(f)) f++;
          this.spare = f;
        }
      }
      [this.gW, this.gaW] = [this.gaW, this.gW];
      const fPrev = this.f;
      if (xa === this.xNew) {
        this.xNew = this.x;
        this.gNew = this.g;
        this.x = xa;
        this.g = ga;
      } else {
        this.x.set(xa);
        this.g.set(ga);
      }
      this.f = fa;
      this.iteration++;
      iters++;
      this.gradNorm = gInf;
      o.onProgress?.({ iteration: this.iteration, f: this.f, gradNorm: gInf, evaluations: this.evaluations });
      if (gInf <= o.gtol) return 'gtol';
      if (relativeChange(fPrev, this.f) <= o.ftol) return 'ftol';
      if (xtol > 0 ? stepInf <= xtol * (1 + maxAbs(this.x)) : stepInf === 0) return 'xtol';
    }
  }
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}
