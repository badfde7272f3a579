/**
 * Statistics for count models: beta-binomial log-pmf and exact two-sided p-values (WebAssembly),
 * multiple-testing adjustments (R's p.adjust BH/BY/holm and FRASER's per-sample and gene-level
 * rules), z-scores and Δψ.
 *
 *   import { stats } from 'latentwasm';
 *   const p = stats.betaBinomial.pValues(k, n, mu, rho, { junctions: J });
 *   const padj = stats.adjust.perSample(p, N, J, { method: 'BY' });
 */
export * as betaBinomial from './betaBinomial.js';
export type { BetaBinomialOptions, Counts } from './betaBinomial.js';
export * as adjust from './adjust.js';
export type { GeneLevelResult, PerSampleOptions, Method } from './adjust.js';
export { zScores, deltaPsi } from './scores.js';
