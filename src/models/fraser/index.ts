/**
 * FRASER: aberrant-splicing detection with a beta-binomial autoencoder (Mertes et al. 2019,
 * Nat. Commun.; FRASER 2, Scheller et al. 2023; the seed's derivation).
 *
 *   import { init, fraser } from 'latentwasm';
 *   await init();
 *   const sim = fraser.simulate({ samples: 60, junctions: 400, seed: 1 });
 *   const fit = fraser.fit({ k: sim.k, n: sim.n, samples: 60 }, { implementation: 'pca' });
 *   fit.padj;                       // N×J per-sample BY-adjusted p-values
 */
import { FraserFit } from './fit.js';

export { fit, FraserFit, FraserModel, FitAbortedError, checkCounts } from './fit.js';
export type { ModelArrays, FraserFitOptions, FraserImplementation, FraserPrediction, FraserProgress, QSelection, CountInput, Counts } from './fit.js';
export { nllAndGradient, FraserObjective } from './objective.js';
export type { NllAndGradientInput, FraserGradients, FraserObjectiveOptions } from './objective.js';
export { modelToFiles, modelFromFiles } from './persist.js';
export { allResults, aberrantResults, aberrantPerSample, geneResults, tsvHeader, tsvLine, jsonRows, RESULT_COLUMNS, GENE_RESULT_COLUMNS } from './results.js';
export type { FeatureCoordinates, ResultsInput, ResultsOptions, ResultRow } from './results.js';
export { spliceMetric, externalMetric, psi5, psi3, jaccard, theta, deltaFromMedian, selectMetricFeatures, spliceSiteGroups, linkJunctionsToSites, psiValues, SPLICE_METRICS } from './metrics.js';
export type { SpliceMetric, SpliceMetricCounts, SplitReads, NonSplitReads, ExternalTotals, JunctionSites } from './metrics.js';
export { filterJunctions, passedIndex, quantileType7, EmptyFilterResultError, FILTER_MAX_COUNT, FILTER_QUANTILE, FILTER_DELTA_PSI } from './filters.js';
export type { FilterOptions, FilterResult, FilterInput } from './filters.js';
export { simulateSpliceTables } from '../../simulate/fraserTables.js';
export type { SpliceTableSimulation, SpliceTableSimulationOptions, SpliceTableTruthRow } from '../../simulate/fraserTables.js';
export { simulateFraser as simulate } from '../../simulate/fraser.js';
export type { FraserSimulation, FraserSimulationOptions } from '../../simulate/fraser.js';

/** Restores a fit from `fit.toJSON()` (an object or its JSON text). */
export function fromJSON(json: unknown): FraserFit {
  return FraserFit.fromJSON(json);
}
