/**
 * A fitted gradient-boosted trees model as plain data (what the models table's jsonb spec
 * holds), and scoring with it in Node. The SQL form (gbm-sql.ts) walks the same trees with the
 * same comparisons and adds the same leaf values in the same order, so both agree.
 */
import { sigmoid } from '../logistic-model';

/** Direction a feature may move the risk: +1 never lowers it, −1 never raises it, 0 either way. */
export type MonotoneDirection = -1 | 0 | 1;

export interface GbmFeature {
  key: string;
  monotone: MonotoneDirection;
}

/**
 * One tree, node arrays indexed by node id (0 is the root). An internal node sends a value
 * x of feature `feature[i]` left when x ≤ threshold[i], right when x > threshold[i], and a
 * missing value (NULL or NaN) to `missingLeft[i] ? left : right`. A leaf has feature −1 and
 * its output in value[i]. cover[i] is the number of training rows that reached the node
 * (TreeSHAP weighs the two sides of a split by it).
 */
export interface GbmTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  missingLeft: boolean[];
  value: number[];
  cover: number[];
}

export interface GbmParams {
  learningRate: number;
  maxTrees: number;
  maxDepth: number;
  maxBins: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  l2: number;
  minSplitGain: number;
  earlyStoppingRounds: number;
}

export interface GbmModelSpec {
  kind: 'gbm';
  /** Log-odds every tree's output is added to (the training base rate). */
  baseScore: number;
  /** The columns trees split on (node feature j is features[j]), with their monotone constraints. */
  features: GbmFeature[];
  trees: GbmTree[];
  params: GbmParams;
  /** Trees kept: the boosting round with the best validation loss (early stopping). */
  bestIteration: number;
  /** Validation log-loss per round, for the model's report. */
  validationLoss?: number[];
}

/** The leaf a row reaches in one tree (row values in spec.features order). */
export function leafOf(tree: GbmTree, row: ArrayLike<number>, offset = 0): number {
  let node = 0;
  for (;;) {
    const j = tree.feature[node] as number;
    if (j < 0) return node;
    const x = row[offset + j] as number;
    const t = tree.threshold[node] as number;
    if (x <= t) node = tree.left[node] as number;
    else if (x > t) node = tree.right[node] as number;
    else node = (tree.missingLeft[node] ? tree.left[node] : tree.right[node]) as number;
  }
}

/** Log-odds of one row: baseScore + each tree's leaf value, added in tree order. */
export function gbmLogit(spec: GbmModelSpec, row: ArrayLike<number>, offset = 0): number {
  let eta = spec.baseScore;
  for (const tree of spec.trees) eta += tree.value[leafOf(tree, row, offset)] as number;
  return eta;
}

export function gbmPredict(spec: GbmModelSpec, row: ArrayLike<number>): number {
  if (row.length < spec.features.length) throw new RangeError(`row has ${row.length} values, the model needs ${spec.features.length}`);
  return sigmoid(gbmLogit(spec, row));
}

/** Probabilities of row-major n × p rows in spec.features order. */
export function gbmPredictBatch(spec: GbmModelSpec, values: Float64Array, n: number): Float64Array {
  const p = spec.features.length;
  if (values.length < n * p) throw new RangeError(`values holds ${values.length} numbers, ${n} rows × ${p} features need ${n * p}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sigmoid(gbmLogit(spec, values, i * p));
  return out;
}
