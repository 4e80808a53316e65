import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/model/evaluation';
import { sigmoid } from '../../src/model/logistic-model';
import { gbmLogit, type GbmModelSpec, type GbmTree } from '../../src/model/gbm/gbm-model';
import { fitGbm } from '../../src/model/gbm/gbm-train';
import { shapBaseValue, treeShap } from '../../src/model/gbm/tree-shap';

function simulate(n: number, p: number, seed: number, risk: (row: Float64Array) => number) {
  const random = mulberry32(seed);
  const x = new Float64Array(n * p);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * p, (i + 1) * p);
    for (let j = 0; j < p; j++) row[j] = random() < 0.03 ? NaN : Math.floor(random() * 20);
    y[i] = random() < risk(row) ? 1 : 0;
  }
  return { x, y, n };
}

/**
 * The game TreeSHAP solves, by brute force: a coalition S's value is each tree's output with
 * the features in S fixed at the row's values and the rest averaged over the training rows
 * at each split (cover-weighted); Shapley values by enumerating every coalition.
 */
function bruteForceShapley(spec: GbmModelSpec, row: number[]): number[] {
  const p = spec.features.length;
  const expected = (tree: GbmTree, node: number, inS: (j: number) => boolean): number => {
    const j = tree.feature[node] as number;
    if (j < 0) return tree.value[node] as number;
    const l = tree.left[node] as number;
    const r = tree.right[node] as number;
    if (inS(j)) {
      const x = row[j] as number;
      const t = tree.threshold[node] as number;
      const next = x <= t ? l : x > t ? r : tree.missingLeft[node] ? l : r;
      return expected(tree, next, inS);
    }
    return (
      ((tree.cover[l] as number) * expected(tree, l, inS) + (tree.cover[r] as number) * expected(tree, r, inS)) /
      (tree.cover[node] as number)
    );
  };
  const value = (mask: number) => spec.trees.reduce((s, tree) => s + expected(tree, 0, (j) => (mask & (1 << j)) !== 0), spec.baseScore);
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  const phi = new Array<number>(p).fill(0);
  for (let i = 0; i < p; i++) {
    for (let mask = 0; mask < 1 << p; mask++) {
      if (mask & (1 << i)) continue;
      let size = 0;
      for (let j = 0; j < p; j++) if (mask & (1 << j)) size++;
      const weight = (factorial(size) * factorial(p - size - 1)) / factorial(p);
      phi[i] += weight * (value(mask | (1 << i)) - value(mask));
    }
  }
  return phi;
}

describe('TreeSHAP', () => {
  // depth 5 on 4 features: paths that split on the same feature twice (the unwind step)
  const risk = (r: Float64Array) =>
    sigmoid(0.2 * (r[0] as number) - 2 + ((r[1] as number) > 10 && (r[2] as number) < 5 ? 2 : 0) - 0.05 * (r[3] as number));
  const data = simulate(3000, 4, 7, risk);
  const spec = fitGbm(data, {
    features: ['a', 'b', 'c', 'd'].map((key) => ({ key, monotone: 0 })),
    params: { maxDepth: 5, maxTrees: 40, minSamplesLeaf: 5 },
  });

  it('adds up to the log-odds: base value + contributions on every row', () => {
    const base = shapBaseValue(spec);
    for (let i = 0; i < 500; i++) {
      const row = data.x.subarray(i * 4, i * 4 + 4);
      const phi = treeShap(spec, row);
      expect(Math.abs(base + phi.reduce((s, v) => s + v, 0) - gbmLogit(spec, row))).toBeLessThan(1e-9);
    }
  });

  it('equals the Shapley values of the path-dependent game computed over all coalitions', () => {
    const repeats = spec.trees.some((tree) => {
      const seen = (node: number, path: number[]): boolean => {
        const j = tree.feature[node] as number;
        if (j < 0) return false;
        return path.includes(j) || seen(tree.left[node] as number, [...path, j]) || seen(tree.right[node] as number, [...path, j]);
      };
      return seen(0, []);
    });
    expect(repeats).toBe(true); // the case the unwinding is for is exercised
    for (const row of [
      [3, 12, 1, 0],
      [19, 0, 19, 19],
      [NaN, 15, 4, 7],
      [10, NaN, NaN, 2],
      ...Array.from({ length: 20 }, (_, i) => [...data.x.subarray(i * 4, i * 4 + 4)]),
    ]) {
      const fast = treeShap(spec, row);
      bruteForceShapley(spec, row).forEach((v, j) => expect(Math.abs((fast[j] as number) - v)).toBeLessThan(1e-9));
    }
  });

  it('gives nothing to a feature no tree splits on', () => {
    const random = mulberry32(3);
    const n = 500;
    const x = Float64Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? k % 10 : 7));
    const y = Uint8Array.from({ length: n }, (_, i) => (random() < ((2 * i) % 10) / 10 ? 1 : 0));
    const constant = fitGbm({ x, y, n }, { features: ['v', 'constant'].map((key) => ({ key, monotone: 0 })), params: { maxTrees: 10 } });
    expect(treeShap(constant, [4, 7])[1]).toBe(0);
  });
});
