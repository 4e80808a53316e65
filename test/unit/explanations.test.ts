import { describe, expect, it } from 'vitest';
import { FEATURE_KEYS, FeatureKey } from '../../src/features/feature-catalog';
import { topDrivers, whatChanged } from '../../src/model/explanations';
import { predict, type LogisticModelSpec } from '../../src/model/logistic-model';

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
