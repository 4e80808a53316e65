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

/**
 * The paths of one recursion, flat (as shap's C++): each level's path is a segment of these
 * arrays right after its parent's, so explaining a customer allocates nothing per node.
 */
interface Paths {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
}

function pathsFor(depth: number): Paths {
  const size = ((depth + 3) * (depth + 4)) / 2;
  return { feature: new Int32Array(size), zero: new Float64Array(size), one: new Float64Array(size), weight: new Float64Array(size) };
}

function extendPath(p: Paths, at: number, depth: number, zero: number, one: number, feature: number): void {
  const w = p.weight;
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zero;
  p.one[at + depth] = one;
  w[at + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    w[at + i + 1] += (one * (w[at + i] as number) * (i + 1)) / (depth + 1);
    w[at + i] = (zero * (w[at + i] as number) * (depth - i)) / (depth + 1);
  }
}

function unwindPath(p: Paths, at: number, depth: number, index: number): void {
  const one = p.one[at + index] as number;
  const zero = p.zero[at + index] as number;
  const w = p.weight;
  let next = w[at + depth] as number;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = w[at + i] as number;
      w[at + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - ((w[at + i] as number) * zero * (depth - i)) / (depth + 1);
    } else {
      w[at + i] = ((w[at + i] as number) * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1] as number;
    p.zero[at + i] = p.zero[at + i + 1] as number;
    p.one[at + i] = p.one[at + i + 1] as number;
  }
}

/** Σ of the path weights had element `index` been unwound (without unwinding it). */
function unwoundSum(p: Paths, at: number, depth: number, index: number): number {
  const one = p.one[at + index] as number;
  const zero = p.zero[at + index] as number;
  const w = p.weight;
  let next = w[at + depth] as number;
  let total = 0;
  if (one !== 0) {
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = next / ((i + 1) * one);
      total += tmp;
      next = (w[at + i] as number) - tmp * zero * (depth - i);
    }
  } else {
    for (let i = depth - 1; i >= 0; i--) total += (w[at + i] as number) / (zero * (depth - i));
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

/** Node `node` with the parent's path at `parentAt` (depth elements): extend it, then recurse or pay out. */
function recurse(
  tree: GbmTree,
  row: ArrayLike<number>,
  phi: Float64Array,
  p: Paths,
  node: number,
  parentAt: number,
  depth: number,
  zero: number,
  one: number,
  feature: number,
): void {
  const at = parentAt + depth + 1;
  p.feature.copyWithin(at, parentAt, parentAt + depth);
  p.zero.copyWithin(at, parentAt, parentAt + depth);
  p.one.copyWithin(at, parentAt, parentAt + depth);
  p.weight.copyWithin(at, parentAt, parentAt + depth);
  extendPath(p, at, depth, zero, one, feature);
  const split = tree.feature[node] as number;
  if (split < 0) {
    const value = tree.value[node] as number;
    for (let i = 1; i <= depth; i++) {
      const j = p.feature[at + i] as number;
      phi[j] += unwoundSum(p, at, depth, i) * ((p.one[at + i] as number) - (p.zero[at + i] as number)) * value;
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
  while (k <= d && p.feature[at + k] !== split) k++;
  if (k <= d) {
    incomingZero = p.zero[at + k] as number;
    incomingOne = p.one[at + k] as number;
    unwindPath(p, at, d, k);
    d--;
  }
  recurse(tree, row, phi, p, hot, at, d + 1, ((tree.cover[hot] as number) / cover) * incomingZero, incomingOne, split);
  recurse(tree, row, phi, p, cold, at, d + 1, ((tree.cover[cold] as number) / cover) * incomingZero, 0, split);
}

function treeDepth(tree: GbmTree, node = 0): number {
  if ((tree.feature[node] as number) < 0) return 0;
  return 1 + Math.max(treeDepth(tree, tree.left[node] as number), treeDepth(tree, tree.right[node] as number));
}

/** Each spec's path buffers, sized for its deepest tree (specs never change once stored). */
const BUFFERS = new WeakMap<GbmModelSpec, Paths>();

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
  let paths = BUFFERS.get(spec);
  if (!paths) {
    paths = pathsFor(spec.trees.reduce((m, tree) => Math.max(m, treeDepth(tree)), 0));
    BUFFERS.set(spec, paths);
  }
  for (const tree of spec.trees) {
    if ((tree.feature[0] as number) < 0) continue; // a single leaf: part of the base value
    recurse(tree, row, phi, paths, 0, 0, 0, 1, 1, -1);
  }
  // no −0 in the sentences that print these
  for (let j = 0; j < phi.length; j++) if (phi[j] === 0) phi[j] = 0;
  return phi;
}
