import { describe, expect, it } from 'vitest';
import { evaluate, mulberry32 } from '../../src/model/evaluation';
import { fitLogistic, toSpec } from '../../src/model/irls';
import { predictBatch, sigmoid } from '../../src/model/logistic-model';
import { gbmLogit, gbmPredict, gbmPredictBatch, type GbmFeature } from '../../src/model/gbm/gbm-model';
import { binEdges, binOf, fitGbm } from '../../src/model/gbm/gbm-train';

const free = (...keys: string[]): GbmFeature[] => keys.map((key) => ({ key, monotone: 0 }));

/** n rows of p uniform(0, 1) columns and labels drawn from P(y = 1) = risk(row). */
function simulate(n: number, p: number, seed: number, risk: (row: Float64Array) => number) {
  const random = mulberry32(seed);
  const x = new Float64Array(n * p);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * p, (i + 1) * p);
    for (let j = 0; j < p; j++) row[j] = random();
    y[i] = random() < risk(row) ? 1 : 0;
  }
  return { x, y, n };
}

describe('binning', () => {
  it('keeps every distinct value as a bin edge when there are few, and quantiles when there are many', () => {
    const few = Float64Array.from([3, 1, 2, 2, 1, 3, NaN]);
    expect([...binEdges(few, 7, 1, 0, 255)]).toEqual([1, 2]);
    expect([
      binOf(binEdges(few, 7, 1, 0, 255), 2),
      binOf(binEdges(few, 7, 1, 0, 255), 2.5),
      binOf(binEdges(few, 7, 1, 0, 255), NaN),
    ]).toEqual([1, 2, 255]);
    const many = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const edges = binEdges(many, 10_000, 1, 0, 16);
    expect(edges.length).toBe(15);
    // each bin holds a sixteenth of the rows
    expect(edges[0]).toBe(624);
    expect(edges[14]).toBe(9374);
  });
});

describe('fitGbm', () => {
  it('finds the split where the labels change', () => {
    // y = 1 exactly when x0 > 3 (x0 = 0..9); x1 is noise
    const n = 1000;
    const random = mulberry32(5);
    const x = new Float64Array(n * 2);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = i % 10;
      x[2 * i + 1] = random();
      y[i] = i % 10 > 3 ? 1 : 0;
    }
    const spec = fitGbm({ x, y, n }, { features: free('x0', 'x1'), params: { maxDepth: 1, maxTrees: 1, learningRate: 1 } });
    const [tree] = spec.trees;
    expect(tree?.feature[0]).toBe(0);
    expect(tree?.threshold[0]).toBe(3); // x ≤ 3 left, x > 3 right: an edge is a value seen in training
    expect(tree?.value[tree.left[0] as number]).toBeLessThan(0);
    expect(tree?.value[tree.right[0] as number]).toBeGreaterThan(0);
    expect(tree?.cover).toEqual([1000, 400, 600]);
    expect(gbmPredict(spec, [5, 0.5])).toBeGreaterThan(gbmPredict(spec, [2, 0.5]));
  });

  it('recovers a planted interaction the logistic model cannot see', () => {
    // churn when exactly one of two signals is high (an XOR): no single column says anything
    const risk = (r: Float64Array) => ((r[0] as number) > 0.5 !== (r[1] as number) > 0.5 ? 0.9 : 0.1);
    const train = simulate(5000, 3, 1, risk);
    const test = simulate(5000, 3, 2, risk);
    const spec = fitGbm(train, { features: free('a', 'b', 'c'), params: { maxDepth: 3 } });
    const gbmAuc = evaluate(gbmPredictBatch(spec, test.x, test.n), test.y).auc;
    const logistic = toSpec(fitLogistic(train.x, train.y, train.n, 3), ['a', 'b', 'c']);
    const logisticAuc = evaluate(predictBatch(logistic, test.x, test.n).probabilities, test.y).auc;
    expect(gbmAuc).toBeGreaterThan(0.85);
    expect(Math.abs(logisticAuc - 0.5)).toBeLessThan(0.05);
  });

  it('keeps a monotone feature monotone on a grid, whatever the other features', () => {
    // risk is U-shaped in x0 (high at both ends) and rises with x1
    const risk = (r: Float64Array) => sigmoid(6 * ((r[0] as number) - 0.5) ** 2 * 4 - 3 + 2 * (r[1] as number));
    const data = simulate(6000, 2, 3, risk);
    const grid = Array.from({ length: 101 }, (_, i) => i / 100);
    const others = [0, 0.1, 0.33, 0.5, 0.77, 1];
    const falls = (features: GbmFeature[], direction: 1 | -1) => {
      const spec = fitGbm(data, { features, params: { maxDepth: 4, maxTrees: 100, minSamplesLeaf: 10 } });
      let worst = 0; // the largest step against `direction` (0: none)
      for (const x1 of others) {
        for (let k = 1; k < grid.length; k++) {
          const step = direction * (gbmLogit(spec, [grid[k] as number, x1]) - gbmLogit(spec, [grid[k - 1] as number, x1]));
          worst = Math.min(worst, step);
        }
      }
      return worst;
    };
    // unconstrained, the trees follow the U: the risk falls somewhere along x0
    expect(falls(free('x0', 'x1'), 1)).toBeLessThan(-0.1);
    expect(falls(free('x0', 'x1'), -1)).toBeLessThan(-0.1);
    // constrained either way, it never moves against the constraint
    expect(
      falls(
        [
          { key: 'x0', monotone: 1 },
          { key: 'x1', monotone: 0 },
        ],
        1,
      ),
    ).toBeGreaterThanOrEqual(0);
    expect(
      falls(
        [
          { key: 'x0', monotone: -1 },
          { key: 'x1', monotone: 0 },
        ],
        -1,
      ),
    ).toBeGreaterThanOrEqual(0);
  });

  it('stops early when the validation loss stops improving and keeps the best round', () => {
    const signal = (r: Float64Array) => sigmoid(4 * (r[0] as number) - 2);
    const train = simulate(2000, 4, 11, signal);
    const validation = simulate(2000, 4, 12, signal);
    const params = { maxTrees: 500, learningRate: 0.3, earlyStoppingRounds: 10 };
    const spec = fitGbm(train, { features: free('a', 'b', 'c', 'd'), params, validation });
    const losses = spec.validationLoss ?? [];
    expect(losses.length).toBeLessThan(500);
    expect(spec.trees.length).toBe(spec.bestIteration);
    // exactly earlyStoppingRounds rounds after the best one, none of them better
    expect(losses.length).toBe(spec.bestIteration + 10);
    const best = losses[spec.bestIteration - 1] as number;
    expect(Math.min(...losses)).toBe(best);
    // on pure noise the first trees already overfit: (almost) nothing is kept
    const noise = fitGbm(
      simulate(2000, 4, 13, () => 0.3),
      {
        features: free('a', 'b', 'c', 'd'),
        params,
        validation: simulate(2000, 4, 14, () => 0.3),
      },
    );
    expect(noise.trees.length).toBeLessThan(5);
    // without a validation slice every round is kept
    expect(fitGbm(train, { features: free('a', 'b', 'c', 'd'), params: { maxTrees: 30 } }).trees.length).toBe(30);
  });

  it('shrinks leaf weights by the L2 penalty: −G / (H + λ) times the learning rate', () => {
    // two groups of 100 rows: x = 0 with 20 % churn, x = 1 with 60 %
    const n = 200;
    const x = Float64Array.from({ length: n }, (_, i) => (i < 100 ? 0 : 1));
    const y = Uint8Array.from({ length: n }, (_, i) => (i < 100 ? (i < 20 ? 1 : 0) : i < 160 ? 1 : 0));
    const leaves = (l2: number) => {
      const spec = fitGbm({ x, y, n }, { features: free('x'), params: { maxDepth: 1, maxTrees: 1, learningRate: 0.5, l2 } });
      const tree = spec.trees[0];
      return [tree?.value[tree.left[0] as number] as number, tree?.value[tree.right[0] as number] as number];
    };
    // by hand: the base rate is 0.4, so every row starts at p = 0.4, g = p − y, h = p(1 − p) = 0.24
    const hand = (positives: number, l2: number) => (0.5 * -(100 * 0.4 - positives)) / (100 * 0.24 + l2);
    for (const l2 of [0, 1, 10, 100]) {
      const [left, right] = leaves(l2);
      expect(left).toBeCloseTo(hand(20, l2), 12);
      expect(right).toBeCloseTo(hand(60, l2), 12);
    }
    const [l0, r0] = leaves(0);
    const [l100, r100] = leaves(100);
    expect(Math.abs(l100 as number)).toBeLessThan(Math.abs(l0 as number) / 4);
    expect(Math.abs(r100 as number)).toBeLessThan(Math.abs(r0 as number) / 4);
  });

  it('sends missing values the way that fits them, and scores them the same way', () => {
    // x missing for a fifth of the rows, all of which churned
    const n = 1000;
    const x = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : i % 7));
    const y = Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 || i % 7 === 6 ? 1 : 0));
    const spec = fitGbm({ x, y, n }, { features: free('x'), params: { maxDepth: 2, maxTrees: 20, learningRate: 0.3 } });
    expect(gbmPredict(spec, [NaN])).toBeGreaterThan(0.9);
    expect(gbmPredict(spec, [2])).toBeLessThan(0.1);
  });

  it('is deterministic: the same data give the same trees to the last bit', () => {
    const risk = (r: Float64Array) => sigmoid(3 * (r[0] as number) - 2 * (r[1] as number) * (r[2] as number));
    const train = simulate(3000, 3, 21, risk);
    const validation = simulate(1000, 3, 22, risk);
    const fit = () => JSON.stringify(fitGbm(train, { features: free('a', 'b', 'c'), validation }));
    expect(fit()).toBe(fit());
  });
});

describe('fitGbm on infinite values', () => {
  it('orders ±Infinity below and above every edge, never as a threshold', () => {
    const n = 400;
    const x = Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? -Infinity : i % 4 === 1 ? Infinity : i % 4));
    const y = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 1 || i % 4 === 3 ? 1 : 0));
    const spec = fitGbm({ x, y, n }, { features: free('x'), params: { maxTrees: 5, minSamplesLeaf: 10, learningRate: 0.5 } });
    for (const tree of spec.trees) for (const t of tree.threshold) expect(Number.isFinite(t)).toBe(true);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(gbmPredict(spec, [Infinity])).toBeGreaterThan(gbmPredict(spec, [-Infinity]));
  });
});
