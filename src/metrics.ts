import { ShapeError, requireFloat64Array } from './errors.js';

/**
 * Area under the precision–recall curve as average precision: Σ over distinct score thresholds
 * (descending) of (recall_t − recall_{t−1})·precision_t, with tied scores entering together
 * (scikit-learn's average_precision_score). `scores`: higher means more likely positive (for
 * p-values pass −log p or 1 − p); `labels`: 1 for positives. NaN scores rank last. Returns NaN
 * when there is no positive.
 */
export function averagePrecision(scores: Float64Array, labels: ArrayLike<number>): number {
  requireFloat64Array(scores, 'scores');
  if (labels.length !== scores.length) throw new ShapeError(`labels has ${labels.length} entries, scores ${scores.length}`, 'labels');
  const order = Uint32Array.from(scores.keys());
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  order.sort((a, b) => key(b) - key(a));
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) positives++;
  if (positives === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let lastRecall = 0;
  for (let r = 0; r < order.length; ) {
    const s = key(order[r]);
    while (r < order.length && key(order[r]) === s) {
      if (labels[order[r]]) tp++;
      seen++;
      r++;
    }
    const recall = tp / positives;
    ap += (recall - lastRecall) * (tp / seen);
    lastRecall = recall;
  }
  return ap;
}
