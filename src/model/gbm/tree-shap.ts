/**
 * Exact per-feature contributions of a tree ensemble's log-odds: path-dependent TreeSHAP
 * (Lundberg, Erion & Lee 2018, "Consistent Individualized Feature Attribution for Tree
 * Ensembles", Algorithm 2; the same recursion as shap's tree_shap.h). For each tree, the
 * value of a coalition S of features is the tree's expected output when the features in S
 * take the customer's values and the others are averaged over the training rows that
 * reached each split (node cover); the contributions are that game's Shapley values, found
 * in O(leaves · depth²) instead of over all 2^p coalitions. They add up exactly:
 * baseValue + Σ contributions = the log-odds the model scores.
 */
import type { GbmModelSpec, GbmTree } from './gbm-model';

interface PathElement {
  feature: number;
  zero: number;
  one: number;
  weight: number;
}

function extendPath(path: PathElement[], depth: number, zero: number, one: number, feature: number): void {
  path[depth] = { feature, zero, one, weight: depth === 0 ? 1 : 0 };
  for (let i = depth - 1; i >= 0; i--) {
    const pi = path[i] as PathElement;
    (path[i + 1] as PathElement).weight += (one * pi.weight * (i + 1)) / (depth + 1);
    pi.weight = (zero * pi.weight * (depth - i)) / (depth + 1);
  }
}

function unwindPath(path: PathElement[], depth: number, index: number): void {
  const { one, zero } = path[index] as PathElement;
  let next = (path[depth] as PathElement).weight;
  for (let i = depth - 1; i >= 0; i--) {
    const pi = path[i] as PathElement;
    if (one !== 0) {
      const tmp = pi.weight;
      pi.weight = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (pi.weight * zero * (depth - i)) / (depth + 1);
    } else {
      pi.weight = (pi.weight * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    const a = path[i] as PathElement;
    const b = path[i + 1] as PathElement;
    a.feature = b.feature;
    a.zero = b.zero;
    a.one = b.one;
  }
}

/** Σ of the path weights had element `index` been unwound (without unwinding it). */
function unwoundSum(path: PathElement[], depth: number, index: number): number {
  const { one, zero } = path[index] as PathElement;
  let next = (path[depth] as PathElement).weight;
  let total = 0;
  if (one !== 0) {
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = next / ((i + 1) * one);
      total += tmp;
      next = (path[i] as PathElement).weight - tmp * zero * (depth - i);
    }
  } else {
    for (let i = depth - 1; i >= 0; i--) total += (path[i] as PathElement).weight / (zero * (depth - i));
  }
  return total * (depth + 1);
}

/** The child a row takes at an internal node (as leafOf). */
function hotChild(tree: GbmTree, node: number, x: number): number {
  const t = tree.threshold[node] as number;
  if (x <= t) return tree.left[node] as number;
  if (x > t) return tree.right[node] as number;
  return (tree.missingLeft[node] ? tree.left[node] : tree.right[node]) as number;
}

function recurse(
  tree: GbmTree,
  row: ArrayLike<number>,
  phi: Float64Array,
  node: number,
  parentPath: PathElement[],
  depth: number,
  zero: number,
  one: number,
  feature: number,
): void {
  const path = parentPath.slice(0, depth).map((e) => ({ ...e }));
  extendPath(path, depth, zero, one, feature);
  const split = tree.feature[node] as number;
  if (split < 0) {
    const value = tree.value[node] as number;
    for (let i = 1; i <= depth; i++) {
      const el = path[i] as PathElement;
      phi[el.feature] += unwoundSum(path, depth, i) * (el.one - el.zero) * value;
    }
    return;
  }
  const hot = hotChild(tree, node, row[split] as number);
  const cold = hot === tree.left[node] ? (tree.right[node] as number) : (tree.left[node] as number);
  const cover = tree.cover[node] as number;
  let incomingZero = 1;
  let incomingOne = 1;
  let d = depth;
  // a feature split on higher up the path: undo that split, and redo it here
  let k = 1;
  while (k <= d && (path[k] as PathElement).feature !== split) k++;
  if (k <= d) {
    incomingZero = (path[k] as PathElement).zero;
    incomingOne = (path[k] as PathElement).one;
    unwindPath(path, d, k);
    d--;
  }
  recurse(tree, row, phi, hot, path, d + 1, ((tree.cover[hot] as number) / cover) * incomingZero, incomingOne, split);
  recurse(tree, row, phi, cold, path, d + 1, ((tree.cover[cold] as number) / cover) * incomingZero, 0, split);
}

/** A tree's expected output over its training rows (leaves weighted by cover). */
export function treeExpectation(tree: GbmTree, node = 0): number {
  const j = tree.feature[node] as number;
  if (j < 0) return tree.value[node] as number;
  const l = tree.left[node] as number;
  const r = tree.right[node] as number;
  const c = tree.cover[node] as number;
  return ((tree.cover[l] as number) * treeExpectation(tree, l) + (tree.cover[r] as number) * treeExpectation(tree, r)) / c;
}

/** The model's expected log-odds: the value contributions are measured from. */
export function shapBaseValue(spec: GbmModelSpec): number {
  let base = spec.baseScore;
  for (const tree of spec.trees) base += treeExpectation(tree);
  return base;
}

/** Contributions of one row (values in spec.features order) to its log-odds, in spec.features order. */
export function treeShap(spec: GbmModelSpec, row: ArrayLike<number>): Float64Array {
  const phi = new Float64Array(spec.features.length);
  for (const tree of spec.trees) {
    if ((tree.feature[0] as number) < 0) continue; // a single leaf: part of the base value
    recurse(tree, row, phi, 0, [], 0, 1, 1, -1);
  }
  // no −0 in the sentences that print these
  for (let j = 0; j < phi.length; j++) if (phi[j] === 0) phi[j] = 0;
  return phi;
}
