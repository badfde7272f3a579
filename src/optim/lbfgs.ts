/**
 * Limited-memory BFGS (Nocedal & Wright 2006, Algorithm 7.4 two-loop recursion and Algorithm 7.5)
 * with a strong-Wolfe line search, an explicit serialisable state and resumable runs.
 */
import { ArgumentTypeError, ArgumentValueError, ShapeError } from '../errors.js';
import {
  EPS,
  Objective,
  OptimResult,
  ProgressInfo,
  StopReason,
  allFinite,
  callbackOption,
  checkFnAndX0,
  checkOptions,
  dot,
  integerOption,
  isConvergedReason,
  normInf,
  numberOption,
  relativeChange,
  signalOption,
} from './common.js';
import { LS_OK, StrongWolfeLineSearch } from './linesearch.js';

/**
 * Complete state of an L-BFGS run: everything the next iteration needs, so a run can be stopped,
 * serialised (`lbfgsStateToJSON`) and resumed bit-identically (`options.state`).
 *
 * - `x`, `f`, `g`: last accepted point, its value and gradient (kept, never re-evaluated)
 * - `s`, `y`: ring buffers of the last `count` ≤ m pairs s_k = x_{k+1} − x_k, y_k = g_{k+1} − g_k,
 *   pair j in entries [j·n, (j+1)·n); `rho[j]` = 1/(s_j·y_j); `head` is the slot the next pair goes
 *   to, so the newest pair is in slot (head − 1) mod m
 * - `iteration`, `evaluations`: totals over the whole run including resumed parts
 */
export interface LbfgsState {
  n: number;
  m: number;
  x: Float64Array;
  f: number;
  g: Float64Array;
  s: Float64Array;
  y: Float64Array;
  rho: Float64Array;
  head: number;
  count: number;
  iteration: number;
  evaluations: number;
}

/** JSON form of LbfgsState (typed arrays as number[]). */
export interface LbfgsStateJSON {
  version: 1;
  n: number;
  m: number;
  x: number[];
  f: number;
  g: number[];
  s: number[];
  y: number[];
  rho: number[];
  head: number;
  count: number;
  iteration: number;
  evaluations: number;
}

/** Options of `lbfgs`. */
export interface LbfgsOptions {
  /** History length (pairs kept), default 10, in [1, 1000]. */
  m?: number;
  /** Iterations allowed in this call (a resumed run counts from where it resumes), default 1000. */
  maxIterations?: number;
  /** Objective evaluations allowed in this call, default Infinity. */
  maxEvaluations?: number;
  /**
   * Stop when |f_k − f_{k+1}| / max(|f_k|, |f_{k+1}|, 1) ≤ ftol (like scipy's factr·eps), default 1e-10.
   * With ftol = 0 the run still stops when f stops changing at all. Caveat: when |f*| is large the
   * rounding of f (≈ |f*|·1e-16) hides progress in x; write f around a reference value if possible.
   */
  ftol?: number;
  /** Stop when max_i |g_i| ≤ gtol (like scipy's pgtol, which defaults to 1e-5), default 1e-6. */
  gtol?: number;
  /** Stop when the step's max-norm ≤ xtol·(1 + max-norm of x), default 0 (only a zero step). */
  xtol?: number;
  /** Sufficient-decrease constant of the Wolfe conditions, default 1e-4. */
  c1?: number;
  /** Curvature constant of the Wolfe conditions, default 0.9. */
  c2?: number;
  /** Evaluations allowed per line search, default 30. */
  maxLineSearch?: number;
  /** Checked once per iteration; when aborted the run stops with reason 'aborted'. */
  signal?: AbortSignal;
  /** Called after every iteration. */
  onProgress?: (info: ProgressInfo) => void;
  /** Resume from this state (typed or JSON form); it is copied, not modified. Overrides x0's values. */
  state?: LbfgsState | LbfgsStateJSON;
  /**
   * A diagonal preconditioner: returns D (length n, positive entries), read during the recursion
   * of each iteration. H₀ = γ·D in place of γ·I, with γ = sᵀy / yᵀDy from the newest pair
   * (Nocedal & Wright 2006, §7.2, eq. 7.20 and the remark on scaling; Gilbert & Lemaréchal 1989 for
   * diagonal scalings); D is typically 1/(a diagonal of the Hessian at the current point, which the
   * objective can keep from its last evaluation). With it the first trial step is 1 also when the
   * memory is empty (then H₀ = D).
   */
  preconditioner?: () => Float64Array;
}

/** Result of `lbfgs`: the common result plus the final state (owned by the caller). */
export interface LbfgsResult extends OptimResult {
  state: LbfgsState;
}

/**
 * Converts a state to a plain object with number[] arrays, suitable for JSON.stringify.
 * Round-trips every finite double exactly (JSON prints the shortest exact decimal); the one loss is
 * the sign of zero (−0 becomes 0), which cannot change the iterates except through 1/0.
 */
export function lbfgsStateToJSON(state: LbfgsState): LbfgsStateJSON {
  return {
    version: 1,
    n: state.n,
    m: state.m,
    x: Array.from(state.x),
    f: state.f,
    g: Array.from(state.g),
    s: Array.from(state.s),
    y: Array.from(state.y),
    rho: Array.from(state.rho),
    head: state.head,
    count: state.count,
    iteration: state.iteration,
    evaluations: state.evaluations,
  };
}

/**
 * Rebuilds a typed LbfgsState from its JSON form (or copies a typed one), checking every field's
 * type and length; throws ArgumentTypeError / ShapeError / ArgumentValueError naming `name.field`.
 */
export function lbfgsStateFromJSON(obj: LbfgsStateJSON | LbfgsState, name = 'state'): LbfgsState {
  if (obj === null || typeof obj !== 'object') throw new ArgumentTypeError(`${name} must be an object`, name);
  const o = obj as unknown as Record<string, unknown>;
  const int = (k: string, lo: number, hi = Number.MAX_SAFE_INTEGER): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ArgumentTypeError(`${name}.${k} must be an integer`, `${name}.${k}`);
    if (v < lo || v > hi) throw new ArgumentValueError(`${name}.${k} must be in [${lo}, ${hi}], got ${v}`, `${name}.${k}`);
    return v;
  };
  const n = int('n', 1);
  const m = int('m', 1);
  const arr = (k: string, len: number): Float64Array => {
    const v = o[k];
    if (!(v instanceof Float64Array) && !Array.isArray(v)) throw new ArgumentTypeError(`${name}.${k} must be an array`, `${name}.${k}`);
    if (v.length !== len) throw new ShapeError(`${name}.${k} must have length ${len}, got ${v.length}`, `${name}.${k}`);
    const a = Float64Array.from(v as ArrayLike<number>);
    if (!allFinite(a)) throw new ArgumentValueError(`${name}.${k} must be finite`, `${name}.${k}`);
    return a;
  };
  const f = o.f;
  if (typeof f !== 'number' || !Number.isFinite(f)) throw new ArgumentValueError(`${name}.f must be a finite number`, `${name}.f`);
  return {
    n,
    m,
    x: arr('x', n),
    f,
    g: arr('g', n),
    s: arr('s', m * n),
    y: arr('y', m * n),
    rho: arr('rho', m),
    head: int('head', 0, m - 1),
    count: int('count', 0, m),
    iteration: int('iteration', 0),
    evaluations: int('evaluations', 0),
  };
}

/** Reads and range-checks the options of lbfgs. */
function readOptions(options: LbfgsOptions | undefined) {
  checkOptions(options);
  const o = options as Record<string, unknown> | undefined;
  return {
    m: integerOption(o, 'm', 10, 1, 1000),
    maxIterations: integerOption(o, 'maxIterations', 1000, 0),
    maxEvaluations: integerOption(o, 'maxEvaluations', Infinity, 1),
    ftol: numberOption(o, 'ftol', 1e-10, 0, Infinity),
    gtol: numberOption(o, 'gtol', 1e-6, 0, Infinity),
    xtol: numberOption(o, 'xtol', 0, 0, Infinity),
    c1: numberOption(o, 'c1', 1e-4, 0, 0.5, true),
    c2: numberOption(o, 'c2', 0.9, 0, 1, true),
    maxLineSearch: integerOption(o, 'maxLineSearch', 30, 1),
    signal: signalOption(o),
    onProgress: callbackOption<(info: ProgressInfo) => void>(o, 'onProgress'),
  };
}

/**
 * d = −H·g by the two-loop recursion (N&W Alg. 7.4) with H₀ = γ·D (D the preconditioner's
 * diagonal, or I): γ = sᵀy / yᵀDy of the newest pair. The passes are fused so that each of the
 * 2·count + 1 sweeps over the vectors does one update and the next dot product (each sweep both
 * reads and writes d once): the recursion's cost is memory traffic.
 */
function twoLoop(st: LbfgsState, d: Float64Array, alpha: Float64Array, D?: Float64Array): void {
  const { n, m, s, y, rho, g, count } = st;
  if (count === 0) {
    if (D) for (let i = 0; i < n; i++) d[i] = -D[i] * g[i];
    else for (let i = 0; i < n; i++) d[i] = -g[i];
    return;
  }
  // Slots from the newest back.
  const slots: number[] = [];
  let j = st.head;
  for (let k = 0; k < count; k++) {
    j = j === 0 ? m - 1 : j - 1;
    slots.push(j);
  }
  const newest = slots[0];
  const oy = newest * n;
  // Sweep 0: d = g, the first dot sᵀd and the scaling's yᵀDy.
  let dotNext = 0, yDy = 0;
  {
    const os = slots[0] * n;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      d[i] = gi;
      dotNext += s[os + i] * gi;
      const yi = y[oy + i];
      yDy += D ? yi * yi * D[i] : yi * yi;
    }
  }
  const gamma = yDy > 0 ? 1 / (rho[newest] * yDy) : 1;
  // First loop, newest to oldest: d −= a_k y_k, with the next sᵀd (or, after the oldest, the
  // scaling d ← γD·d and the second loop's first yᵀd) in the same sweep.
  for (let k = 0; k < count; k++) {
    const jk = slots[k];
    const a = rho[jk] * dotNext;
    alpha[jk] = a;
    const oyk = jk * n;
    dotNext = 0;
    if (k + 1 < count) {
      const os = slots[k + 1] * n;
      for (let i = 0; i < n; i++) {
        const v = d[i] - a * y[oyk + i];
        d[i] = v;
        dotNext += s[os + i] * v;
      }
    } else {
      // slots[k] is the oldest: the second loop starts with it.
      for (let i = 0; i < n; i++) {
        const v = (d[i] - a * y[oyk + i]) * (D ? gamma * D[i] : gamma);
        d[i] = v;
        dotNext += y[oyk + i] * v;
      }
    }
  }
  // Second loop, oldest to newest: d += (α_k − ρ_k yᵀd) s_k, with the next yᵀd in the same sweep;
  // the last sweep also negates d.
  for (let k = count - 1; k >= 0; k--) {
    const jk = slots[k];
    const c = alpha[jk] - rho[jk] * dotNext;
    const os = jk * n;
    dotNext = 0;
    if (k > 0) {
      const oyn = slots[k - 1] * n;
      for (let i = 0; i < n; i++) {
        const v = d[i] + c * s[os + i];
        d[i] = v;
        dotNext += y[oyn + i] * v;
      }
    } else {
      for (let i = 0; i < n; i++) d[i] = -(d[i] + c * s[os + i]);
    }
  }
}

/**
 * Minimises a smooth f: R^n → R by L-BFGS (Nocedal & Wright 2006, Alg. 7.4 and 7.5; Liu & Nocedal
 * 1989) with a strong-Wolfe line search (N&W Alg. 3.5–3.6, c1 = 1e-4, c2 = 0.9). The first trial
 * step is 1/‖g‖₂ when the memory is empty (first iteration or after a reset), 1 otherwise.
 *
 * Each iteration: d = −H g (two-loop recursion); line search along d; the accepted point's value
 * and gradient become the new (f, g) without re-evaluation; the pair (s, y) is stored unless
 * s·y ≤ ε·‖y‖² (ε = machine epsilon), which keeps H positive definite. If d is not a descent
 * direction or the line search finds no decrease, the memory is cleared and steepest descent is
 * tried once before stopping with 'lineSearchFailed' (or 'nonfinite' if NaN/Inf caused it). When
 * the search fails but found a point with sufficient decrease, that point is accepted.
 *
 * Stops on gtol (max-norm of g), ftol (relative change of f), xtol (step size), budgets, or abort;
 * `reason` says which. `fn` writes the gradient in place; it must return a finite value at x0
 * (otherwise ArgumentValueError naming x0). Non-finite values during the search are treated as
 * "step too long". x0 is copied; all work buffers are allocated once before the loop.
 *
 * @param fn objective (x, grad) → f
 * @param x0 starting point, length n ≥ 1 (not modified; ignored apart from its length when `state` is given)
 */
export function lbfgs(fn: Objective, x0: Float64Array, options?: LbfgsOptions): LbfgsResult {
  checkFnAndX0(fn, x0);
  const opt = readOptions(options);
  const n = x0.length;
  let st: LbfgsState;
  if (options?.state !== undefined) {
    st = lbfgsStateFromJSON(options.state, 'options.state');
    if (st.n !== n) throw new ShapeError(`options.state.n (${st.n}) must equal x0.length (${n})`, 'options.state');
    if (options.m !== undefined && options.m !== st.m) throw new ShapeError(`options.m (${options.m}) differs from options.state.m (${st.m})`, 'options.m');
  } else {
    const m = opt.m;
    st = {
      n,
      m,
      x: x0.slice(),
      f: 0,
      g: new Float64Array(n),
      s: new Float64Array(m * n),
      y: new Float64Array(m * n),
      rho: new Float64Array(m),
      head: 0,
      count: 0,
      iteration: 0,
      evaluations: 0,
    };
    st.f = fn(st.x, st.g);
    st.evaluations = 1;
    if (!Number.isFinite(st.f) || !allFinite(st.g)) {
      throw new ArgumentValueError(`the objective is not finite at x0 (f = ${st.f}${Number.isFinite(st.f) ? ', gradient has a non-finite entry' : ''})`, 'x0');
    }
  }
  const m = st.m;
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const alphaBuf = new Float64Array(m);
  const ls = new StrongWolfeLineSearch(n, opt.c1, opt.c2);
  const { signal, onProgress } = opt;

  let gradNorm = normInf(st.g);
  let reason: StopReason | undefined = gradNorm <= opt.gtol ? 'gtol' : undefined;
  let iters = 0;
  let evals = 0;
  let justReset = false;
  while (reason === undefined) {
    if (signal?.aborted) {
      reason = 'aborted';
      break;
    }
    if (iters >= opt.maxIterations) {
      reason = 'maxIterations';
      break;
    }
    if (evals >= opt.maxEvaluations) {
      reason = 'maxEvaluations';
      break;
    }
    twoLoop(st, d, alphaBuf, options?.preconditioner?.());
    let dphi0 = dot(st.g, d, n);
    if (!(dphi0 < 0) || !Number.isFinite(dphi0)) {
      st.count = 0;
      st.head = 0;
      for (let i = 0; i < n; i++) d[i] = -st.g[i];
      dphi0 = -dot(st.g, st.g, n);
    }
    // First trial step: 1/‖g‖₂ with an empty memory (d = −g then), 1 otherwise.
    const alpha0 = st.count === 0 && !(options?.preconditioner && !justReset) ? 1 / Math.sqrt(-dphi0) : 1;
    const status = ls.search(fn, st.x, st.f, d, dphi0, alpha0, Math.min(opt.maxLineSearch, opt.maxEvaluations - evals), xNew, gNew);
    evals += ls.evaluations;
    st.evaluations += ls.evaluations;
    let xa: Float64Array;
    let ga: Float64Array;
    let fa: number;
    if (status === LS_OK) {
      xa = xNew;
      ga = gNew;
      fa = ls.f;
    } else if (ls.hasLo) {
      xa = ls.xLo;
      ga = ls.gLo;
      fa = ls.fLo;
    } else {
      if (ls.exhausted && evals >= opt.maxEvaluations) {
        reason = 'maxEvaluations';
        break;
      }
      if (st.count > 0 && !justReset) {
        st.count = 0;
        st.head = 0;
        justReset = true;
        continue;
      }
      reason = ls.sawNonfinite ? 'nonfinite' : 'lineSearchFailed';
      break;
    }
    justReset = false;
    // Curvature pair, stored only when s·y > ε‖y‖².
    let sy = 0;
    let yy = 0;
    let stepInf = 0;
    const x = st.x;
    const g = st.g;
    for (let i = 0; i < n; i++) {
      const si = xa[i] - x[i];
      const yi = ga[i] - g[i];
      sy += si * yi;
      yy += yi * yi;
      const a = Math.abs(si);
      if (a > stepInf) stepInf = a;
    }
    if (sy > EPS * yy && yy > 0) {
      const off = st.head * n;
      const { s, y } = st;
      for (let i = 0; i < n; i++) {
        s[off + i] = xa[i] - x[i];
        y[off + i] = ga[i] - g[i];
      }
      st.rho[st.head] = 1 / sy;
      st.head = st.head === m - 1 ? 0 : st.head + 1;
      if (st.count < m) st.count++;
    }
    const fPrev = st.f;
    x.set(xa);
    g.set(ga);
    st.f = fa;
    st.iteration++;
    iters++;
    gradNorm = normInf(g);
    if (onProgress) onProgress({ iteration: st.iteration, f: st.f, gradNorm, evaluations: st.evaluations });
    if (gradNorm <= opt.gtol) reason = 'gtol';
    else if (relativeChange(fPrev, st.f) <= opt.ftol) reason = 'ftol';
    else if (stepInf <= opt.xtol * (1 + normInf(x))) reason = 'xtol';
  }
  return {
    x: st.x.slice(),
    f: st.f,
    iterations: st.iteration,
    evaluations: st.evaluations,
    converged: isConvergedReason(reason),
    reason,
    gradNorm,
    state: st,
  };
}
