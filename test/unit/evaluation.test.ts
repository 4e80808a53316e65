import { describe, expect, it } from 'vitest';
import { evaluate, isWorse, mulberry32, shuffledLabels, stratifiedSplit } from '../../src/model/evaluation';

describe('evaluate', () => {
  // Worked by hand. Descending: 0.9 (churner), 0.8 tie (one churner, one not), 0.3, 0.2 (not).
  const probabilities = [0.8, 0.2, 0.9, 0.3, 0.8];
  const labels = [1, 0, 1, 0, 0];

  it('matches a hand-worked example with a tie', () => {
    const m = evaluate(probabilities, labels);
    expect(m.rows).toBe(5);
    expect(m.positives).toBe(2);
    // Pairs (churner, non-churner): 0.9 beats all 3; 0.8 ties one (½) and beats 2 → 5.5 / 6.
    expect(m.auc).toBeCloseTo(5.5 / 6, 12);
    // Thresholds 0.9: precision 1, recall ½; 0.8: precision ⅔, recall 1 → ½·1 + ½·⅔.
    expect(m.prAuc).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(m.brier).toBeCloseTo((0.04 + 0.04 + 0.01 + 0.09 + 0.64) / 5, 12);
    // Top ⌈0.5⌉ = 1 row: the 0.9 churner. Base rate 2/5 → lift 2.5.
    expect(m.precisionAt10).toBe(1);
    expect(m.liftAt10).toBeCloseTo(2.5, 12);
  });

  it('bins calibration into ten equal-width bins, empty bins null', () => {
    const { calibration } = evaluate(probabilities, labels);
    expect(calibration).toHaveLength(10);
    expect(calibration[0]).toEqual({ bin: 0, lower: 0, upper: 0.1, count: 0, meanPredicted: null, observedRate: null });
    expect(calibration[2]).toMatchObject({ count: 1, meanPredicted: 0.2, observedRate: 0 });
    expect(calibration[3]).toMatchObject({ count: 1, meanPredicted: 0.3, observedRate: 0 });
    expect(calibration[8]).toMatchObject({ count: 2, observedRate: 0.5 });
    expect(calibration[8].meanPredicted).toBeCloseTo(0.8, 12);
    expect(calibration[9]).toMatchObject({ lower: 0.9, upper: 1, count: 1, meanPredicted: 0.9, observedRate: 1 });
    // A probability of exactly 1 belongs to the last bin, which is closed.
    expect(evaluate([1, 0], [1, 0]).calibration[9].count).toBe(1);
  });

  it('shares a tied group across the top-10 % cut pro rata', () => {
    // 20 rows → top 2: one 0.9 non-churner, then 1 of the three tied 0.7 rows (2 of which churn) → ⅔ expected.
    const p = [0.9, 0.7, 0.7, 0.7, ...Array<number>(16).fill(0.1)];
    const y = [0, 1, 1, 0, 1, ...Array<number>(15).fill(0)];
    const m = evaluate(p, y);
    expect(m.precisionAt10).toBeCloseTo(1 / 3, 12);
    expect(m.liftAt10).toBeCloseTo(1 / 3 / (3 / 20), 12);
    // The answer does not depend on the order of the tied rows.
    const reordered = evaluate([0.9, 0.7, 0.7, 0.7, ...p.slice(4)], [0, 0, 1, 1, ...y.slice(4)]);
    expect(reordered.precisionAt10).toBe(m.precisionAt10);
    expect(reordered.auc).toBe(m.auc);
  });

  it('gives AUC 1 for a perfect ranking and 0 for the reverse; all-tied is 0.5', () => {
    const y = [0, 0, 0, 1, 1];
    const perfect = evaluate([0.1, 0.2, 0.3, 0.8, 0.9], y);
    expect(perfect.auc).toBe(1);
    expect(perfect.prAuc).toBe(1);
    expect(evaluate([0.9, 0.8, 0.7, 0.2, 0.1], y).auc).toBe(0);
    const tied = evaluate([0.5, 0.5, 0.5, 0.5, 0.5], y);
    expect(tied.auc).toBe(0.5);
    expect(tied.prAuc).toBeCloseTo(0.4, 12); // one threshold: precision = base rate
  });

  it('scores near 0.5 when the labels are shuffled away from the probabilities', () => {
    const random = mulberry32(11);
    const n = 100_000;
    const p = Float64Array.from({ length: n }, () => random());
    const y = Uint8Array.from(p, (v) => (random() < v ? 1 : 0));
    expect(evaluate(p, y).auc).toBeGreaterThan(0.8);
    const shuffled = evaluate(p, shuffledLabels(y, 5));
    expect(Math.abs(shuffled.auc - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(shuffled.liftAt10 - 1)).toBeLessThan(0.05);
  });

  it('refuses one-class labels, mismatched lengths and probabilities outside [0, 1]', () => {
    expect(() => evaluate([0.2, 0.4], [0, 0])).toThrow(/all one class/);
    expect(() => evaluate([0.2], [0, 1])).toThrow(/1 probabilities for 2 labels/);
    expect(() => evaluate([0.2, NaN], [0, 1])).toThrow(/probability 1 is NaN/);
  });
});

describe('stratifiedSplit', () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? 1 : 0)); // 143 churners

  it('keeps the churn rate on both sides and covers every row once', () => {
    const { train, test } = stratifiedSplit(labels, 0.3, 1);
    expect(train.length + test.length).toBe(1000);
    expect(new Set([...train, ...test]).size).toBe(1000);
    expect(test.length).toBe(300);
    const rate = (rows: Uint32Array) => rows.reduce((s, i) => s + labels[i], 0) / rows.length;
    expect(Math.abs(rate(test) - 0.143)).toBeLessThan(0.002);
    expect(Math.abs(rate(train) - 0.143)).toBeLessThan(0.002);
    expect(Array.from(test)).toEqual([...test].sort((a, b) => a - b));
  });

  it('is deterministic by seed', () => {
    expect(stratifiedSplit(labels, 0.3, 1)).toEqual(stratifiedSplit(labels, 0.3, 1));
    expect(stratifiedSplit(labels, 0.3, 2).test).not.toEqual(stratifiedSplit(labels, 0.3, 1).test);
  });

  it('puts at least one of each class on each side, and refuses a fraction outside (0, 1)', () => {
    const { train, test } = stratifiedSplit([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], 0.1, 3);
    expect(test.filter((i) => i < 2)).toHaveLength(1);
    expect(train.filter((i) => i < 2)).toHaveLength(1);
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow(/between 0 and 1/);
  });
});

describe('shuffledLabels', () => {
  it('permutes the labels deterministically', () => {
    const y = Uint8Array.from({ length: 500 }, (_, i) => (i < 100 ? 1 : 0));
    const a = shuffledLabels(y, 4);
    expect(a.reduce((s, v) => s + v, 0)).toBe(100);
    expect(a).toEqual(shuffledLabels(y, 4));
    expect(a).not.toEqual(y);
  });
});

describe('isWorse', () => {
  const active = { auc: 0.8, brier: 0.1 };
  it('decides on AUC beyond its tolerance, then on Brier', () => {
    expect(isWorse({ auc: 0.79, brier: 0.05 }, active)).toBe(true);
    expect(isWorse({ auc: 0.81, brier: 0.2 }, active)).toBe(false);
    expect(isWorse({ auc: 0.798, brier: 0.1005 }, active)).toBe(false); // both within noise
    expect(isWorse({ auc: 0.798, brier: 0.105 }, active)).toBe(true);
    expect(isWorse({ auc: 0.8, brier: 0.1 }, active)).toBe(false);
  });
});
