/**
 * A multilayer perceptron over the WebAssembly core: dense layers with a ReLU (or other) hidden
 * activation and one or more output heads, its forward pass, its backward pass (gradients of the
 * parameters and of the input), and a flat parameter vector for optimisers.
 *
 * Symbols and shapes (row-major, f64):
 *   X        r×p input block (r rows, p = inputDim)
 *   W_l, b_l fanIn_l×fanOut_l weights and fanOut_l biases of layer l = 1…L; fanIn_1 = p
 *   Z_l      r×fanOut_l pre-activation A_{l−1}·W_l + 1b_lᵀ, with A_0 = X
 *   A_l      φ(Z_l): the hidden activation for l < L; for the output layer L, each head's own
 *            activation on its own range of columns; the output is A_L (r×outputDim)
 *   dOut     r×outputDim, ∂loss/∂A_L
 *   backward dZ_L = dOut ∘ φ'(Z_L);  ∂W_l += A_{l−1}ᵀ·dZ_l;  ∂b_l += Σᵢ dZ_l[i,:];
 *            dZ_{l−1} = (dZ_l·W_lᵀ) ∘ φ'(Z_{l−1});  ∂X = dZ_1·W_1ᵀ
 *
 * Heads. The output layer is one dense layer whose columns are split into contiguous heads, each
 * with its own activation: for the amortised PLN encoder, log1p(Y) (n×p) ↦ [M | S] with heads
 * { M: q, identity } and { S: q, softplus }. Since each head's columns have their own weights and
 * biases, this is the same model as separate heads on the last hidden layer, run as one product.
 *
 * Parameter layout (the `params` and `grad` vectors, and `toJSON`): for l = 1…L, W_l as fanIn×fanOut
 * row-major (so Z = A·W needs no transpose), then b_l. `layers` gives each block's offset.
 *
 * Memory. Parameters and gradients live in WebAssembly memory for the life of the Mlp; the
 * activations of a block of up to `batchRows` rows (grown on demand by `reserve`) live in a second
 * workspace. `dispose()` frees both. The products go through the core's gemm, the element-wise
 * work through assembly/nn.ts.
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError, requireFloat64Array, requireInteger } from '../errors.js';
import { gemmWorkspace } from '../linalg/index.js';
import { Rng } from '../random.js';
import { Core, getCore } from '../wasm/core.js';
import type { CoreExports } from '../wasm/exports.js';
import { WasmArray, Workspace } from '../wasm/workspace.js';
import { ACTIVATION_CODES, type Activation, type NnExports, requireActivation } from './kernels.js';

/** One output head: `size` consecutive output columns with their own activation. */
export interface MlpHead {
  name: string;
  size: number;
  activation: Activation;
  /** Initial bias of this head's units, default 0 (e.g. softplus⁻¹ of a typical variance). */
  bias?: number;
}

/** Options of `new Mlp`. */
export interface MlpOptions {
  /** Input width p. */
  inputDim: number;
  /** Widths of the hidden layers in order; [] (the default) makes the Mlp one dense layer. */
  hidden?: readonly number[];
  /** Activation of every hidden layer, default 'relu'. */
  hiddenActivation?: Activation;
  /** Output heads, in column order; at least one. */
  heads: readonly MlpHead[];
  /** Seed of the initial weights, default 1. */
  seed?: number;
  /** Rows of the activation buffers allocated up front (grown on demand), default 256. */
  batchRows?: number;
  /** Core to run on, default the one `init()` loaded. */
  core?: Core;
  /** Use the scalar twins of every kernel (gemm included), default false. */
  scalar?: boolean;
}

/** Where a layer's parameters are in the flat vector, and its sizes. */
export interface MlpLayer {
  fanIn: number;
  fanOut: number;
  /** Offset of W (fanIn×fanOut, row-major) in `params`. */
  weights: number;
  /** Offset of b (fanOut) in `params`. */
  bias: number;
}

/** A head with the first output column it occupies. */
export interface MlpHeadLayout {
  readonly name: string;
  readonly size: number;
  readonly activation: Activation;
  readonly offset: number;
}

/** The JSON form of an Mlp (`toJSON` / `Mlp.fromJSON`). */
export interface MlpJSON {
  version: 1;
  kind: 'Mlp';
  inputDim: number;
  hidden: number[];
  hiddenActivation: Activation;
  heads: { name: string; size: number; activation: Activation }[];
  /** The flat parameter vector (layout above), as JSON numbers (they round-trip exactly). */
  params: number[];
}

type Gemm = CoreExports['gemm'];
const DEFAULT_BATCH_ROWS = 256;

/**
 * A dense network inputDim → hidden… → Σ head sizes, with its parameters, gradient and activation
 * buffers in WebAssembly memory (see the file header for the maths and the layout).
 *
 * Three levels of use: `forward(X)` / `backward(dOut)` on JS arrays; `apply(params, X)` /
 * `vjp(dOut, gradParams)` for an optimiser that owns the parameter vector; and `forwardAt` /
 * `backwardAt` on pointers, for kernels that consume the output in place (read `outputBuffer`) and
 * write dOut straight into `dOutputBuffer`. Single-threaded and not re-entrant: one forward pass
 * is remembered for the next backward pass. Results are deterministic for a given binary; the
 * relaxed-SIMD binary fuses multiply-adds, so it agrees with the others to rounding only.
 */
export class Mlp {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly hidden: readonly number[];
  readonly hiddenActivation: Activation;
  readonly heads: readonly MlpHeadLayout[];
  readonly layers: readonly MlpLayer[];
  /** Length of `params` and `grad`. */
  readonly paramCount: number;
  readonly core: Core;
  readonly scalar: boolean;

  private readonly gemm: Gemm;
  private readonly fwd: NnExports['nnBiasActivation'];
  private readonly bwd: NnExports['nnActivationBackward'];
  private readonly gemmWork: number;
  private readonly hiddenCode: number;
  private readonly headCodes: number[];
  private readonly maxWidth: number;
  private readonly pws: Workspace;
  private readonly P: WasmArray<'f64'>;
  private readonly G: WasmArray<'f64'>;
  private bws: Workspace | undefined;
  private cap = 0;
  private Z: WasmArray<'f64'>[] = [];
  private A: WasmArray<'f64'>[] = [];
  private inBuf!: WasmArray<'f64'>;
  private dInBuf!: WasmArray<'f64'>;
  private dOutBuf!: WasmArray<'f64'>;
  private ping!: WasmArray<'f64'>;
  private pong!: WasmArray<'f64'>;
  /** Rows of the last forward pass (−1: none to differentiate), and where its input was. */
  private fwdRows = -1;
  private fwdX = 0;
  private fwdLdx = 0;
  private viewBuffer: ArrayBuffer | undefined;
  private pView!: Float64Array;
  private gView!: Float64Array;
  private disposed = false;

  constructor(options: MlpOptions) {
    if (typeof options !== 'object' || options === null) throw new ArgumentTypeError('options must be an object', 'options');
    const p = requireInteger(options.inputDim, 'inputDim', 1);
    const hiddenIn = options.hidden ?? [];
    if (!Array.isArray(hiddenIn)) throw new ArgumentTypeError('hidden must be an array of layer widths', 'hidden');
    const hidden = hiddenIn.map((w, i) => requireInteger(w, `hidden[${i}]`, 1));
    const hiddenActivation = requireActivation(options.hiddenActivation ?? 'relu', 'hiddenActivation');
    if (!Array.isArray(options.heads) || options.heads.length === 0) {
      throw new ArgumentValueError('heads must be a non-empty array of { name, size, activation }', 'heads');
    }
    const names = new Set<string>();
    let width = 0;
    const heads: MlpHeadLayout[] = [];
    const headBias: number[] = [];
    options.heads.forEach((h, i) => {
      if (typeof h !== 'object' || h === null) throw new ArgumentTypeError(`heads[${i}] must be an object`, `heads[${i}]`);
      if (typeof h.name !== 'string' || h.name === '') throw new ArgumentTypeError(`heads[${i}].name must be a non-empty string`, `heads[${i}].name`);
      if (names.has(h.name)) throw new ArgumentValueError(`heads[${i}].name '${h.name}' is used twice`, `heads[${i}].name`);
      names.add(h.name);
      const size = requireInteger(h.size, `heads[${i}].size`, 1);
      const activation = requireActivation(h.activation, `heads[${i}].activation`);
      const bias = h.bias ?? 0;
      if (typeof bias !== 'number' || !Number.isFinite(bias)) throw new ArgumentValueError(`heads[${i}].bias must be a finite number`, `heads[${i}].bias`);
      heads.push(Object.freeze({ name: h.name, size, activation, offset: width }));
      headBias.push(bias);
      width += size;
    });
    const seed = requireInteger(options.seed ?? 1, 'seed', 0, 2 ** 32 - 1);
    const batchRows = requireInteger(options.batchRows ?? DEFAULT_BATCH_ROWS, 'batchRows', 1);

    this.inputDim = p;
    this.outputDim = width;
    this.hidden = Object.freeze(hidden);
    this.hiddenActivation = hiddenActivation;
    this.heads = Object.freeze(heads);
    const sizes = [p, ...hidden, width];
    const layers: MlpLayer[] = [];
    let off = 0;
    for (let l = 1; l < sizes.length; l++) {
      const fanIn = sizes[l - 1];
      const fanOut = sizes[l];
      layers.push(Object.freeze({ fanIn, fanOut, weights: off, bias: off + fanIn * fanOut }));
      off += fanIn * fanOut + fanOut;
    }
    this.layers = Object.freeze(layers);
    this.paramCount = off;
    this.maxWidth = Math.max(width, ...hidden);
    this.hiddenCode = ACTIVATION_CODES[hiddenActivation];
    this.headCodes = heads.map((h) => ACTIVATION_CODES[h.activation]);

    this.core = options.core ?? getCore();
    this.scalar = options.scalar === true;
    const e = this.core.exports as unknown as CoreExports & NnExports;
    const s = this.scalar ? 'Scalar' : '';
    this.gemm = e[`gemm${s}` as 'gemm'];
    this.fwd = e[`nnBiasActivation${s}` as 'nnBiasActivation'];
    this.bwd = e[`nnActivationBackward${s}` as 'nnActivationBackward'];
    if (typeof this.fwd !== 'function') throw new ArgumentValueError('this WebAssembly core has no dense-layer kernels (rebuild it)', 'core');
    this.gemmWork = gemmWorkspace(this.core);
    this.pws = new Workspace(this.core);
    try {
      this.P = this.pws.f64(this.paramCount, 'Mlp parameters');
      this.G = this.pws.f64(this.paramCount, 'Mlp gradient');
      this.reserve(batchRows);
    } catch (err) {
      this.dispose();
      throw err;
    }
    this.initialise(seed, headBias);
  }

  /**
   * He-normal weights (sd √(2/fanIn)) for layers followed by ReLU, Glorot-normal (sd
   * √(2/(fanIn+fanOut))) for the others (He 2015; Glorot & Bengio 2010); zero biases, or each
   * head's `bias`. Drawn in parameter order from one seeded stream.
   */
  private initialise(seed: number, headBias: number[]): void {
    const rng = new Rng(seed);
    const x = this.params;
    const L = this.layers.length;
    for (let l = 0; l < L; l++) {
      const { fanIn, fanOut, weights, bias } = this.layers[l];
      const relu = l < L - 1 ? this.hiddenActivation === 'relu' : this.heads.every((h) => h.activation === 'relu');
      const sd = relu ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
      for (let i = 0; i < fanIn * fanOut; i++) x[weights + i] = sd * rng.normal();
      x.fill(0, bias, bias + fanOut);
    }
    const out = this.layers[L - 1];
    this.heads.forEach((h, i) => x.fill(headBias[i], out.bias + h.offset, out.bias + h.offset + h.size));
  }

  private check(): void {
    if (this.disposed) throw new ArgumentValueError('this Mlp was disposed', 'mlp');
  }

  private refreshViews(): void {
    const b = this.core.memory.buffer as ArrayBuffer;
    if (b !== this.viewBuffer) {
      this.viewBuffer = b;
      this.pView = new Float64Array(b, this.P.ptr, this.paramCount);
      this.gView = new Float64Array(b, this.G.ptr, this.paramCount);
    }
  }

  /**
   * The parameters, as a live view of WebAssembly memory (write into it to change them). The view
   * is renewed when memory grows; read this property again after any call that may allocate.
   */
  get params(): Float64Array {
    this.check();
    this.refreshViews();
    return this.pView;
  }

  /** The accumulated gradient, same layout as `params` and the same caveat about views. */
  get grad(): Float64Array {
    this.check();
    this.refreshViews();
    return this.gView;
  }

  /** Byte address of the parameters in the core's memory (stable for the life of the Mlp). */
  get paramsPtr(): number {
    this.check();
    return this.P.ptr;
  }

  /** Byte address of the gradient in the core's memory (stable for the life of the Mlp). */
  get gradPtr(): number {
    this.check();
    return this.G.ptr;
  }

  /** Rows the activation buffers hold now. */
  get batchRows(): number {
    return this.cap;
  }

  /** A head's layout by name; ArgumentValueError if there is none. */
  head(name: string): MlpHeadLayout {
    const h = this.heads.find((x) => x.name === name);
    if (!h) throw new ArgumentValueError(`no head named '${name}' (heads: ${this.heads.map((x) => x.name).join(', ')})`, 'name');
    return h;
  }

  /** Copies `x` (length paramCount) into the parameters. */
  setParams(x: Float64Array): void {
    requireFloat64Array(x, 'params');
    if (x.length !== this.paramCount) throw new ShapeError(`params has ${x.length} values, this Mlp has ${this.paramCount}`, 'params');
    this.params.set(x);
  }

  /** A copy of the parameters. */
  getParams(): Float64Array {
    return this.params.slice();
  }

  /** Sets the accumulated gradient to zero. */
  zeroGrad(): void {
    this.grad.fill(0);
  }

  /**
   * Makes the activation buffers hold at least `rows` rows. Reallocating them moves the buffers
   * (`inputBuffer`, `outputBuffer`, …) and forgets the last forward pass; call it before a loop,
   * never inside one.
   */
  reserve(rows: number): void {
    this.check();
    requireInteger(rows, 'rows', 0);
    if (rows <= this.cap) return;
    this.bws?.dispose();
    this.bws = undefined;
    this.cap = 0;
    this.fwdRows = -1;
    const ws = new Workspace(this.core);
    try {
      this.Z = this.layers.map((L, l) => ws.f64(rows * L.fanOut, `Mlp Z${l + 1}`));
      this.A = this.layers.map((L, l) => ws.f64(rows * L.fanOut, `Mlp A${l + 1}`));
      this.inBuf = ws.f64(rows * this.inputDim, 'Mlp input');
      this.dInBuf = ws.f64(rows * this.inputDim, 'Mlp input gradient');
      this.dOutBuf = ws.f64(rows * this.outputDim, 'Mlp output gradient');
      this.ping = ws.f64(rows * this.maxWidth, 'Mlp dZ');
      this.pong = ws.f64(rows * this.maxWidth, 'Mlp dZ');
    } catch (err) {
      ws.dispose();
      throw err;
    }
    this.bws = ws;
    this.cap = rows;
  }

  /** batchRows×inputDim buffer that `forward` copies X into; write there and call `forwardAt(inputBuffer.ptr, inputDim, rows)` to skip the copy. */
  get inputBuffer(): WasmArray<'f64'> {
    this.check();
    return this.inBuf;
  }

  /** batchRows×outputDim: the output A_L of the last forward pass (leading dimension outputDim). */
  get outputBuffer(): WasmArray<'f64'> {
    this.check();
    return this.A[this.A.length - 1];
  }

  /** batchRows×outputDim buffer that `backward` copies dOut into. */
  get dOutputBuffer(): WasmArray<'f64'> {
    this.check();
    return this.dOutBuf;
  }

  /** batchRows×inputDim buffer where `backward` writes ∂X when asked. */
  get dInputBuffer(): WasmArray<'f64'> {
    this.check();
    return this.dInBuf;
  }

  /**
   * Forward pass on `rows` rows of X already in this core's memory at byte address pX with leading
   * dimension ldx (≥ inputDim). The output is left in `outputBuffer` (leading dimension
   * outputDim). X must stay unchanged until the `backwardAt` that differentiates this pass.
   * rows ≤ batchRows (call `reserve` first). No allocation.
   */
  forwardAt(pX: number, ldx: number, rows: number): void {
    this.check();
    if (rows > this.cap || !(rows >= 0) || !Number.isInteger(rows)) {
      throw new ShapeError(`rows must be an integer in [0, ${this.cap}] (call reserve(rows) first), got ${rows}`, 'rows');
    }
    if (!(ldx >= this.inputDim)) throw new ShapeError(`ldx must be ≥ inputDim = ${this.inputDim}, got ${ldx}`, 'ldx');
    const P = this.P.ptr;
    const L = this.layers.length;
    let prev = pX;
    let ldPrev = ldx;
    for (let l = 0; l < L; l++) {
      const { fanIn, fanOut, weights, bias } = this.layers[l];
      const z = this.Z[l].ptr;
      const a = this.A[l].ptr;
      this.gemm(0, 0, rows, fanOut, fanIn, 1, prev, ldPrev, P + 8 * weights, fanOut, 0, z, fanOut, this.gemmWork);
      if (l < L - 1) {
        this.fwd(this.hiddenCode, rows, fanOut, P + 8 * bias, z, fanOut, a, fanOut);
      } else {
        for (let h = 0; h < this.heads.length; h++) {
          const { offset, size } = this.heads[h];
          this.fwd(this.headCodes[h], rows, size, P + 8 * (bias + offset), z + 8 * offset, fanOut, a + 8 * offset, fanOut);
        }
      }
      prev = a;
      ldPrev = fanOut;
    }
    this.fwdRows = rows;
    this.fwdX = pX;
    this.fwdLdx = ldx;
  }

  /**
   * Backward pass for the last `forwardAt`/`forward`: with dOut (rows×outputDim, leading dimension
   * lddo ≥ outputDim) at byte address pDOut, ADDS the parameter gradient to `grad` (call `zeroGrad`
   * first for a fresh one) and, when pDX ≠ 0, WRITES ∂X (rows×inputDim, leading dimension lddx)
   * there. pDX must not overlap X, dOut or the Mlp's buffers other than `dInputBuffer`. No
   * allocation.
   */
  backwardAt(pDOut: number, lddo: number, pDX = 0, lddx = this.inputDim): void {
    this.check();
    const rows = this.fwdRows;
    if (rows < 0) throw new ArgumentValueError('backward needs a forward pass first (reserve() forgets it)', 'mlp');
    if (!(lddo >= this.outputDim)) throw new ShapeError(`lddo must be ≥ outputDim = ${this.outputDim}, got ${lddo}`, 'lddo');
    if (pDX && !(lddx >= this.inputDim)) throw new ShapeError(`lddx must be ≥ inputDim = ${this.inputDim}, got ${lddx}`, 'lddx');
    const P = this.P.ptr;
    const G = this.G.ptr;
    const L = this.layers.length;
    let cur = this.ping.ptr;
    let next = this.pong.ptr;
    const out = this.layers[L - 1];
    const zOut = this.Z[L - 1].ptr;
    for (let h = 0; h < this.heads.length; h++) {
      const { offset, size } = this.heads[h];
      this.bwd(this.headCodes[h], rows, size, zOut + 8 * offset, out.fanOut, pDOut + 8 * offset, lddo, cur + 8 * offset, out.fanOut, G + 8 * (out.bias + offset));
    }
    for (let l = L - 1; l >= 0; l--) {
      const { fanIn, fanOut, weights } = this.layers[l];
      const prevA = l > 0 ? this.A[l - 1].ptr : this.fwdX;
      const ldPrev = l > 0 ? fanIn : this.fwdLdx;
      // ∂W_l += A_{l−1}ᵀ·dZ_l
      this.gemm(1, 0, fanIn, fanOut, rows, 1, prevA, ldPrev, cur, fanOut, 1, G + 8 * weights, fanOut, this.gemmWork);
      if (l > 0) {
        // dZ_{l−1} = (dZ_l·W_lᵀ) ∘ φ'(Z_{l−1}), with ∂b_{l−1} in the same pass.
        this.gemm(0, 1, rows, fanIn, fanOut, 1, cur, fanOut, P + 8 * weights, fanOut, 0, next, fanIn, this.gemmWork);
        this.bwd(this.hiddenCode, rows, fanIn, this.Z[l - 1].ptr, fanIn, next, fanIn, next, fanIn, G + 8 * this.layers[l - 1].bias);
        const t = cur;
        cur = next;
        next = t;
      } else if (pDX) {
        this.gemm(0, 1, rows, fanIn, fanOut, 1, cur, fanOut, P + 8 * weights, fanOut, 0, pDX, lddx, this.gemmWork);
      }
    }
  }

  private rowsOf(X: Float64Array, rows: number | undefined, name: string): number {
    requireFloat64Array(X, name);
    const p = this.inputDim;
    if (X.length % p !== 0) throw new ShapeError(`${name} has ${X.length} values, not a multiple of inputDim = ${p}`, name);
    if (rows === undefined) return X.length / p;
    requireInteger(rows, 'rows', 0);
    if (rows * p > X.length) throw new ShapeError(`${name} has ${X.length / p} rows, ${rows} were asked for`, name);
    return rows;
  }

  /**
   * Forward pass on the first `rows` rows of X (rows×inputDim row-major; default all of X). Grows
   * the buffers when rows > batchRows. Returns the output (rows×outputDim) in `out` when given
   * (its length must be at least rows·outputDim), or in a new array. `backward` differentiates it.
   */
  forward(X: Float64Array, rows?: number, out?: Float64Array): Float64Array {
    this.check();
    const r = this.rowsOf(X, rows, 'X');
    const o = this.outArray(out, r * this.outputDim, 'out');
    this.reserve(r);
    const f64 = this.core.f64;
    const n = r * this.inputDim;
    f64.set(n === X.length ? X : X.subarray(0, n), this.inBuf.ptr >>> 3);
    this.forwardAt(this.inBuf.ptr, this.inputDim, r);
    const y = this.A[this.A.length - 1].ptr >>> 3;
    o.set(this.core.f64.subarray(y, y + r * this.outputDim));
    return o;
  }

  private outArray(out: Float64Array | undefined, n: number, name: string): Float64Array {
    if (out === undefined) return new Float64Array(n);
    requireFloat64Array(out, name);
    if (out.length < n) throw new ShapeError(`${name} has ${out.length} values, ${n} are needed`, name);
    return n === out.length ? out : out.subarray(0, n);
  }

  /**
   * Backward pass for the last `forward`: dOut is rows×outputDim (rows of that pass). ADDS the
   * parameter gradient to `grad`; writes ∂X (rows×inputDim) into dX when given.
   */
  backward(dOut: Float64Array, dX?: Float64Array): void {
    this.check();
    const rows = this.fwdRows;
    if (rows < 0) throw new ArgumentValueError('backward needs a forward pass first (reserve() forgets it)', 'mlp');
    requireFloat64Array(dOut, 'dOut');
    const m = rows * this.outputDim;
    if (dOut.length !== m) throw new ShapeError(`dOut has ${dOut.length} values, the last forward pass gave ${rows}×${this.outputDim}`, 'dOut');
    const dx = dX === undefined ? undefined : requireFloat64Array(dX, 'dX');
    if (dx && dx.length !== rows * this.inputDim) throw new ShapeError(`dX has ${dx.length} values, X was ${rows}×${this.inputDim}`, 'dX');
    this.core.f64.set(dOut, this.dOutBuf.ptr >>> 3);
    this.backwardAt(this.dOutBuf.ptr, this.outputDim, dx ? this.dInBuf.ptr : 0, this.inputDim);
    if (dx) {
      const d = this.dInBuf.ptr >>> 3;
      dx.set(this.core.f64.subarray(d, d + dx.length));
    }
  }

  /**
   * The Mlp as a function of its parameters: outputs = f(params, X), for an optimiser that owns
   * the parameter vector (e.g. jointly with a model's own parameters). Sets the parameters, runs
   * `forward`, and returns the output (in `out` when given).
   */
  apply(params: Float64Array, X: Float64Array, rows?: number, out?: Float64Array): Float64Array {
    this.setParams(params);
    return this.forward(X, rows, out);
  }

  /**
   * The vector–Jacobian product of the last `apply`/`forward`: given dOutputs (rows×outputDim),
   * WRITES ∂/∂params into gradParams (length paramCount; not accumulated) and ∂/∂X into dX when
   * given. Leaves `grad` holding the same values.
   */
  vjp(dOutputs: Float64Array, gradParams: Float64Array, dX?: Float64Array): void {
    requireFloat64Array(gradParams, 'gradParams');
    if (gradParams.length !== this.paramCount) throw new ShapeError(`gradParams has ${gradParams.length} values, this Mlp has ${this.paramCount}`, 'gradParams');
    this.zeroGrad();
    this.backward(dOutputs, dX);
    gradParams.set(this.grad);
  }

  /**
   * Outputs for all rows of X (rows×inputDim), in blocks of batchRows rows so that memory does not
   * grow with the number of rows. Forgets the last forward pass.
   */
  predict(X: Float64Array, rows?: number, out?: Float64Array): Float64Array {
    this.check();
    const r = this.rowsOf(X, rows, 'X');
    const m = this.outputDim;
    const p = this.inputDim;
    const o = this.outArray(out, r * m, 'out');
    const B = this.cap;
    for (let r0 = 0; r0 < r; r0 += B) {
      const nb = Math.min(B, r - r0);
      this.core.f64.set(X.subarray(r0 * p, (r0 + nb) * p), this.inBuf.ptr >>> 3);
      this.forwardAt(this.inBuf.ptr, p, nb);
      const y = this.A[this.A.length - 1].ptr >>> 3;
      o.set(this.core.f64.subarray(y, y + nb * m), r0 * m);
    }
    this.fwdRows = -1;
    return o;
  }

  /** The architecture and parameters as JSON; `Mlp.fromJSON` restores it bit for bit. */
  toJSON(): MlpJSON {
    this.check();
    return {
      version: 1,
      kind: 'Mlp',
      inputDim: this.inputDim,
      hidden: [...this.hidden],
      hiddenActivation: this.hiddenActivation,
      heads: this.heads.map((h) => ({ name: h.name, size: h.size, activation: h.activation })),
      params: Array.from(this.params),
    };
  }

  /** Rebuilds an Mlp from `toJSON` output (or its parsed JSON text), checking every field. */
  static fromJSON(json: MlpJSON, options: { core?: Core; scalar?: boolean; batchRows?: number } = {}): Mlp {
    if (typeof json !== 'object' || json === null) throw new ArgumentTypeError('json must be an object', 'json');
    if (json.kind !== 'Mlp') throw new ArgumentValueError(`json.kind must be 'Mlp', got ${String(json.kind)}`, 'json.kind');
    if (json.version !== 1) throw new ArgumentValueError(`json.version ${String(json.version)} is not supported (1 is)`, 'json.version');
    if (!Array.isArray(json.params)) throw new ArgumentTypeError('json.params must be an array of numbers', 'json.params');
    const mlp = new Mlp({
      inputDim: json.inputDim,
      hidden: json.hidden,
      hiddenActivation: json.hiddenActivation,
      heads: json.heads,
      core: options.core,
      scalar: options.scalar,
      batchRows: options.batchRows,
    });
    try {
      if (json.params.length !== mlp.paramCount) {
        throw new ShapeError(`json.params has ${json.params.length} values, the architecture needs ${mlp.paramCount}`, 'json.params');
      }
      const x = mlp.params;
      for (let i = 0; i < x.length; i++) {
        const v = json.params[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentValueError(`json.params[${i}] must be a finite number`, `json.params[${i}]`);
        x[i] = v;
      }
    } catch (err) {
      mlp.dispose();
      throw err;
    }
    return mlp;
  }

  /** Frees the WebAssembly memory of this Mlp. Safe to call twice; any later use throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.bws?.dispose();
    this.bws = undefined;
    this.pws?.dispose();
    this.viewBuffer = undefined;
  }
}
