/**
 * Figures as SVG text: each function takes plain arrays and returns a complete, self-contained SVG
 * document (a string) that any browser opens. Nothing here touches a DOM, a file or the network, so
 * it runs the same in Node, browsers and edge runtimes; the caller writes the string where it wants.
 *
 *   import { plot } from 'latentwasm';
 *   const svg = plot.volcano({ deltaPsi, pValues, padj, labels }, { sample: 'S1' });
 *   await writeFile('volcano-S1.svg', svg);
 */
export { volcano } from './volcano.js';
export type { VolcanoData, VolcanoOptions } from './volcano.js';
export { escapeXml } from './svg.js';
export type { PlotOptions } from './svg.js';
export { betaQuantile, betaCdf, qqBand, plottingPosition } from './beta.js';
export type { QQBand } from './beta.js';
export { qq } from './qq.js';
export type { QQSeries, QQOptions } from './qq.js';
export { aberrantPerSample } from './bars.js';
export type { AberrantPerSampleData, AberrantPerSampleOptions } from './bars.js';
export { singularValues, aucPrSearch, encodingDimension } from './dimension.js';
export type { SingularValuesData, AucPrData, QSelectionLike } from './dimension.js';
export { loss } from './loss.js';
export type { LossSeries, LossOptions } from './loss.js';
export { scatter } from './scatter.js';
export type { ScatterData, ScatterOptions } from './scatter.js';
