/**
 * Amortised variational inference for the PLN models (the seed's §4 "two-step smoothing", and its
 * VAE form): an MLP encoder maps log(1+Yᵢ) to the variational (Mᵢ, Sᵢ) — ReLU hidden layers (two of
 * 30 units by default, as in the seed), an identity head for M and a softplus head for S — so that
 * a fitted model encodes new samples in one forward pass.
 *
 * - 'two-step': fit (M, S) by VGA (pln.fit), regress them on log(1+Y) with the MLP (weighted MSE,
 *   Adam), then refit the model parameters with the encoder's M̂, Ŝ plugged in: B and C (or log λ)
 *   by L-BFGS for pca and fixed-v, B̂ and Σ̂ in closed form for full and diag.
 * - 'end-to-end': maximise the ELBO over the encoder's weights and the model parameters jointly
 *   (L-BFGS, full batch), the gradient in (M, S) back-propagated through the encoder; starts from
 *   the two-step solution.
 */
import { ArgumentValueError } from '../../errors.js';
import { Mlp, type MlpJSON } from '../../nn/mlp.js';
import { fitRegression } from '../../nn/regression.js';
import { lbfgs } from '../../optim/index.js';
import type { StopReason } from '../../optim/common.js';
import type { Core } from '../../wasm/core.js';
import { PlnObjective, type PlnModel } from './objective.js';

export interface AmortisedOptions {
  form: 'two-step' | 'end-to-end';
  /** Hidden layer widths (default [30, 30]). */
  hidden?: number[];
  /** Two-step regression: epochs (default 300), minibatch rows (default 256), Adam step (default 3e-3). */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** End-to-end: L-BFGS iterations allowed (default 2000) and the relative ELBO change that stops it (default 1e-8). */
  maxIterations?: number;
  ftol?: number;
  seed?: number;
  core?: Core;
}

export interface AmortisedResult {
  encoder: Mlp;
  /** Model parameters θ_global after the refit (B, C | log λ; empty for full/diag). */
  globals: Float64Array;
  M: Float64Array;
  S: Float64Array;
  elbo: number;
  /** Regression loss (two-step) and the end-to-end fit's iterations and stopping reason. */
  regressionLoss: number;
  iterations: number;
  converged: boolean;
  reason: StopReason | 'closed form';
}

/** log(1 + Y), the encoder's input. */
export function encoderInput(Y: Float64Array): Float64Array {
  return Y.map((v) => Math.log1p(v));
}

/** Splits the encoder's output rows [M | S] into M and log S (n×q each). */
function splitOutput(out: Float64Array, n: number, q: number, M: Float64Array, logS: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < q; k++) {
      M[i * q + k] = out[i * 2 * q + k];
      logS[i * q + k] = Math.log(Math.max(out[i * 2 * q + q + k], 1e-300));
    }
  }
}

/**
 * Fits the encoder given a VGA solution (theta0 = [globals, M, log S] of `obj`'s layout), and
 * refits the globals, or runs the end-to-end fit.
 */
export function fitAmortised(obj: PlnObjective, Y: Float64Array, theta0: Float64Array, opts: AmortisedOptions): AmortisedResult {
  if (opts.form !== 'two-step' && opts.form !== 'end-to-end') throw new ArgumentValueError(`amortised must be 'two-step' or 'end-to-end', got ${String(opts.form)}`, 'amortised');
  const { n, p } = obj;
  const q = obj.layout.latent;
  const G = obj.layout.B + obj.layout.C + obj.layout.logLambda;
  const X = encoderInput(Y);
  const M0 = theta0.subarray(G, G + n * q);
  const logS0 = theta0.subarray(G + n * q);
  // Initial S head bias: softplus⁻¹ of the mean VGA S.
  let meanS = 0;
  for (let i = 0; i < logS0.length; i++) meanS += Math.exp(logS0[i]);
  meanS /= logS0.length;
  const encoder = new Mlp({
    inputDim: p, hidden: opts.hidden ?? [30, 30], seed: opts.seed ?? 1, core: opts.core,
    heads: [{ name: 'M', size: q, activation: 'identity' }, { name: 'S', size: q, activation: 'softplus', bias: Math.log(Math.expm1(meanS)) }],
  });
  try {
    // 1. Regress [M | S] on log(1+Y).
    const T = new Float64Array(n * 2 * q);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < q; k++) {
        T[i * 2 * q + k] = M0[i * q + k];
        T[i * 2 * q + q + k] = Math.exp(logS0[i * q + k]);
      }
    }
    const reg = fitRegression(encoder, X, T, { epochs: opts.epochs ?? 300, batchSize: opts.batchSize ?? 256, learningRate: opts.learningRate ?? 3e-3, seed: opts.seed ?? 1 });
    const theta = theta0.slice();
    const out = encoder.predict(X, n);
    splitOutput(out, n, q, theta.subarray(G, G + n * q), theta.subarray(G + n * q));
    const grad = new Float64Array(theta.length);
    // 2. Refit the globals with M̂, Ŝ plugged in (full/diag: the profile is already the closed form).
    let iterations = 0;
    let converged = true;
    let reason: StopReason | 'closed form' = 'closed form';
    if (G > 0) {
      const locals = theta.subarray(G);
      const r = lbfgs((g, gg) => {
        theta.set(g, 0);
        const f = obj.evaluate(theta, grad);
        gg.set(grad.subarray(0, G));
        return f;
      }, theta.slice(0, G), { ftol: opts.ftol ?? 1e-8, maxIterations: 5000, m: 5 });
      theta.set(r.x, 0);
      theta.set(locals, G);
      iterations = r.iterations;
      converged = r.converged;
      reason = r.reason;
    }
    let f = obj.evaluate(theta, grad);
    if (opts.form === 'two-step') {
      const M = theta.slice(G, G + n * q), S = theta.slice(G + n * q).map(Math.exp);
      return { encoder, globals: theta.slice(0, G), M, S, elbo: -f, regressionLoss: reg.loss, iterations, converged, reason };
    }
    // 3. End to end: x = [globals, encoder params]; J(globals, M(φ), S(φ)).
    const x0 = new Float64Array(G + encoder.paramCount);
    x0.set(theta.subarray(0, G), 0);
    x0.set(encoder.getParams(), G);
    const r = lbfgs(endToEndObjective(obj, encoder, X, theta), x0, { ftol: opts.ftol ?? 1e-8, maxIterations: opts.maxIterations ?? 2000, m: 5 });
    theta.set(r.x.subarray(0, G), 0);
    encoder.setParams(r.x.subarray(G));
    splitOutput(encoder.predict(X, n), n, q, theta.subarray(G, G + n * q), theta.subarray(G + n * q));
    f = obj.evaluate(theta, grad);
    const M = theta.slice(G, G + n * q), S = theta.slice(G + n * q).map(Math.exp);
    return { encoder, globals: theta.slice(0, G), M, S, elbo: -f, regressionLoss: reg.loss, iterations: r.iterations, converged: r.converged, reason: r.reason };
  } catch (e) {
    encoder.dispose();
    throw e;
  }
}

/**
 * The end-to-end objective over x = [θ_global, φ]: −J(θ_global, M(φ), S(φ)) and its gradient, the
 * (M, log S) part of ∂J back-propagated through the encoder (∂/∂S = ∂/∂log S ÷ S). `theta` is
 * scratch of obj's layout.
 */
export function endToEndObjective(obj: PlnObjective, encoder: Mlp, X: Float64Array, theta: Float64Array = new Float64Array(obj.layout.total)): (x: Float64Array, gx: Float64Array) => number {
  const { n } = obj;
  const q = obj.layout.latent;
  const G = obj.layout.B + obj.layout.C + obj.layout.logLambda;
  const grad = new Float64Array(obj.layout.total);
  const dOut = new Float64Array(n * 2 * q);
  const gPhi = new Float64Array(encoder.paramCount);
  return (x, gx) => {
    theta.set(x.subarray(0, G), 0);
    const o = encoder.apply(x.subarray(G), X, n);
    splitOutput(o, n, q, theta.subarray(G, G + n * q), theta.subarray(G + n * q));
    const val = obj.evaluate(theta, grad);
    if (!Number.isFinite(val)) {
      gx.fill(0);
      return Infinity;
    }
    gx.set(grad.subarray(0, G), 0);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < q; k++) {
        dOut[i * 2 * q + k] = grad[G + i * q + k];
        dOut[i * 2 * q + q + k] = grad[G + n * q + i * q + k] / o[i * 2 * q + q + k];
      }
    }
    encoder.vjp(dOut, gPhi);
    gx.set(gPhi, G);
    return val;
  };
}

/** One forward pass of a fitted encoder: M and S (n×q each) for counts n×p. */
export function encode(encoder: Mlp, Y: Float64Array, n: number, q: number): { M: Float64Array; S: Float64Array } {
  const out = encoder.predict(encoderInput(Y), n);
  const M = new Float64Array(n * q), S = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < q; k++) {
      M[i * q + k] = out[i * 2 * q + k];
      S[i * q + k] = out[i * 2 * q + q + k];
    }
  }
  return { M, S };
}

export type { MlpJSON, PlnModel };
