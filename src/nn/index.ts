/**
 * Dense neural-network layers on the WebAssembly core: the `Mlp` (ReLU hidden layers, output heads
 * with their own activations, forward and backward passes, a flat parameter vector) and
 * `fitRegression` (weighted least squares by minibatch Adam). The amortised PLN encoder and the
 * VAEs are built from these.
 *
 *   const enc = new Mlp({ inputDim: p, hidden: [128], heads: [
 *     { name: 'M', size: q, activation: 'identity' }, { name: 'S', size: q, activation: 'softplus' }] });
 *   fitRegression(enc, log1pY, MS, { epochs: 100 });
 *   const out = enc.predict(log1pYnew);   // n×2q: M in columns 0…q−1, S in q…2q−1
 *   enc.dispose();
 */
export { Mlp } from './mlp.js';
export type { MlpHead, MlpHeadLayout, MlpJSON, MlpLayer, MlpOptions } from './mlp.js';
export { fitRegression } from './regression.js';
export type { FitRegressionOptions, FitRegressionResult } from './regression.js';
export { ACTIVATION_CODES } from './kernels.js';
export type { Activation, NnExports } from './kernels.js';
