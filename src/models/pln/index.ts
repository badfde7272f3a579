/**
 * Poisson-lognormal models by variational inference (Chiquet, Mariadassou & Robin 2018, 2021; the
 * seed's fixed-eigenvector model): full, diagonal, rank-q (PLN-PCA) and fixed-V covariance.
 *
 *   import { init, pln } from 'latentwasm';
 *   await init();
 *   const fit = pln.fit({ counts: Y, variables: p }, { model: 'pca', rank: 5 });
 *   fit.elbo; fit.B; fit.Sigma; fit.M;          // exact ELBO, d×p, p×p, n×q
 */
export { fit, selectRank, PlnFit, PlnInputError, PlnFitError } from './fit.js';
export type { PlnData, PlnFitOptions, PlnModel } from './fit.js';
export { PlnObjective } from './objective.js';
export type { PlnObjectiveOptions, PlnFixed, PlnLayout } from './objective.js';
export { plnStudy as study, STUDY_METHODS, STUDY_COLUMNS } from './study.js';
export type { StudyOptions, StudyRow, StudyMethod } from './study.js';
export { simulatePln as simulate } from '../../simulate/pln.js';
export type { PlnSimulation, PlnSimulationOptions, PlnTruth } from '../../simulate/pln.js';
