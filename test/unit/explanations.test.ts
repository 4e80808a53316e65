import { describe, expect, it } from 'vitest';
import { FEATURE_KEYS, FeatureKey } from '../../src/features/feature-catalog';
import { explainScore, topDrivers, whatChanged } from '../../src/model/explanations';
import { predict, sigmoid, type LogisticModelSpec } from '../../src/model/logistic-model';
import { describeDriver } from '../../src/features/feature-sentences';
import { mulberry32 } from '../../src/model/evaluation';
import { gbmLogit } from '../../src/model/gbm/gbm-model';
import { fitGbm } from '../../src/model/gbm/gbm-train';
import { treeShap } from '../../src/model/gbm/tree-shap';

const SPEC: LogisticModelSpec = {
  intercept: -2,
  features: [
    { key: 'activity_ratio', mean: 1, std: 0.3, weight: -0.8 },
    { key: 'complaints_open', mean: 0.2, std: 0.5, weight: 0.6 },
    { key: 'spend_change_90d', mean: 0, std: 0.3, weight: -0.5 },
    { key: 'tenure_days', mean: 700, std: 400, weight: -0.3 },
  ],
};

/** A customer at every model mean, with the given raw features changed. */
function customer(over: Partial<Record<FeatureKey, number>>): Record<FeatureKey, number> {
  const base = Object.fromEntries(FEATURE_KEYS.map((k) => [k, 0])) as Record<FeatureKey, number>;
  Object.assign(base, {
    activity_ratio: 1,
    activity_30d: 100,
    activity_prev_30d: 100,
    complaints_open: 0.2,
    spend_change_90d: 0,
    tenure_days: 700,
  });
  return Object.assign(base, over);
}

function score(features: Record<FeatureKey, number>) {
  const contributions = new Float64Array(SPEC.features.length);
  const probability = predict(
    SPEC,
    SPEC.features.map((f) => features[f.key as FeatureKey]),
    contributions,
  );
  return { probability, contributions };
}

describe('explanations', () => {
  it('names the planted driver first, with its numbers in the sentence', () => {
    const planted = customer({ complaints_open: 3, oldest_open_complaint_days: 12 });
    const { contributions } = score(planted);
    const drivers = topDrivers(SPEC, contributions, planted, 3);
    expect(drivers[0]).toMatchObject({ key: 'complaints_open' });
    expect(drivers[0]!.text).toMatch(/3/);
    expect(drivers[0]!.text).toMatch(/12 days/);
    expect(drivers.every((d) => d.contribution > 0)).toBe(true);
  });

  it('an activity drop is named as such with the percentage', () => {
    const dropped = customer({ activity_ratio: 0.36, activity_30d: 36, activity_prev_30d: 100 });
    const drivers = topDrivers(SPEC, score(dropped).contributions, dropped, 3);
    expect(drivers[0]!.key).toBe('activity_ratio');
    expect(drivers[0]!.text).toMatch(/activity down 64 %/);
  });

  it('a customer with nothing above the means has no drivers', () => {
    const calm = customer({ tenure_days: 1500, complaints_open: 0 });
    expect(topDrivers(SPEC, score(calm).contributions, calm, 3)).toEqual([]);
  });

  it('what changed: the feature that moved the probability most, with its effect in points', () => {
    const before = customer({});
    const after = customer({ activity_ratio: 0.4, activity_30d: 40, activity_prev_30d: 100, tenure_days: 730 });
    const prev = score(before);
    const now = score(after);
    const changes = whatChanged(SPEC, now.contributions, now.probability, { spec: SPEC, contributions: prev.contributions }, after, 3);
    expect(changes[0]!.key).toBe('activity_ratio');
    expect(changes[0]!.probabilityEffect).toBeGreaterThan(0);
    expect(changes[0]!.text).toMatch(/raised the risk by \d+ points/);
    // the effects explain the whole move when one feature changed alone
    const single = whatChanged(
      SPEC,
      now.contributions,
      now.probability,
      { spec: SPEC, contributions: score(customer({ tenure_days: 730 })).contributions },
      after,
      3,
    );
    expect(single).toHaveLength(1);
    expect(single[0]!.probabilityEffect).toBeCloseTo(now.probability - score(customer({ tenure_days: 730 })).probability, 4);
    expect(whatChanged(SPEC, now.contributions, now.probability, null, after, 3)).toEqual([]);
  });
});

describe('explanations of boosted trees', () => {
  // open complaints raise the risk, a high activity ratio lowers it
  const keys = ['activity_ratio', 'complaints_open', 'spend_change_90d', 'tenure_days'] as const;
  const random = mulberry32(9);
  const n = 3000;
  const x = new Float64Array(n * 4);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = [random() * 3, Math.floor(random() * 4), random() * 2 - 1, random() * 2000];
    x.set(row, i * 4);
    y[i] = random() < sigmoid(-2 + 0.9 * (row[1] as number) - 0.8 * (row[0] as number)) ? 1 : 0;
  }
  const trees = fitGbm({ x, y, n }, { features: keys.map((key) => ({ key, monotone: 0 })), params: { maxTrees: 50 } });

  it('names the largest positive TreeSHAP values in the catalogue’s sentences, and what changed since a logistic score', () => {
    const now = customer({ complaints_open: 3, activity_ratio: 0.2, activity_30d: 20 });
    const row = keys.map((k) => now[k]);
    const probability = sigmoid(gbmLogit(trees, row));
    const before = customer({ complaints_open: 0, activity_ratio: 1 });
    const { drivers, changes } = explainScore(
      { spec: trees, features: now, probability },
      { spec: SPEC, features: before },
      { drivers: 3, changes: 3 },
    );
    const phi = treeShap(trees, row);
    const positive = keys.map((key, j) => ({ key, value: phi[j] as number })).filter((c) => c.value > 0);
    positive.sort((a, b) => b.value - a.value);
    expect(drivers.map((d) => d.key)).toEqual(positive.slice(0, 3).map((c) => c.key));
    expect(drivers[0]?.key).toBe('complaints_open');
    expect(drivers[0]?.text).toBe(describeDriver('complaints_open', now));
    drivers.forEach((d) => expect(d.contribution).toBeCloseTo(phi[keys.indexOf(d.key as (typeof keys)[number])] as number, 4));
    // the change compares this TreeSHAP value with the logistic contribution of the score before
    const complaints = changes.find((c) => c.key === 'complaints_open');
    expect(complaints?.contributionAfter).toBeCloseTo(phi[1] as number, 4);
    expect(complaints?.contributionBefore).toBeCloseTo(0.6 * ((0 - 0.2) / 0.5), 4);
    expect(complaints?.text).toMatch(/^Open complaints raised the risk by \d+ points since the previous score/);
  });
});
