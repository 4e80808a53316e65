import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app-config';
import type { PlaybookAction } from '../../src/config/alerting-config.schema';
import { FEATURE_KEYS } from '../../src/features/feature-catalog';
import { driverGroupOf, driverGroups } from '../../src/playbooks/driver-groups';
import { allocateBudget, budgetPeriodStart, rankActions, type ActionContext, type SuggestedAction } from '../../src/playbooks/playbook';
import { bandsFromRow, fixedBands, valueBandsSql, valueSegmentOf } from '../../src/playbooks/value-segments';

function action(over: Partial<PlaybookAction> & { key: string }): PlaybookAction {
  return {
    text: over.key,
    drivers: ['any'],
    valueSegments: ['high', 'mid', 'low'],
    tiers: ['critical', 'high', 'watch'],
    cost: 0,
    uplift: 0.1,
    ...over,
  };
}

function suggested(key: string, cost: number, expectedSaving: number): SuggestedAction {
  return { key, text: key, cost, expectedSaving };
}

const CTX: ActionContext = { probability: 0.8, value: 12000, tier: 'critical', valueSegment: 'high', driverGroups: ['complaints'] };

describe('rankActions', () => {
  it('ranks by expected saving, matching a hand calculation', () => {
    const ranked = rankActions(CTX, [
      // 0.8 × 12000 × 0.30 − 400 = 2880 − 400 = 2480
      action({ key: 'call', cost: 400, uplift: 0.3 }),
      // 0.8 × 12000 × 0.35 − 150 = 3360 − 150 = 3210
      action({ key: 'recovery', cost: 150, uplift: 0.35 }),
      // 0.8 × 12000 × 0.03 − 0 = 288
      action({ key: 'survey', cost: 0, uplift: 0.03 }),
      // 0.8 × 12000 × 0.123456 − 0.005 = 1185.1776 − 0.005 = 1185.1726 → 1185.17; cost 0.005 → 0.01 (cents)
      action({ key: 'odd', cost: 0.005, uplift: 0.123456 }),
    ]);
    expect(ranked).toEqual([
      { key: 'recovery', text: 'recovery', cost: 150, expectedSaving: 3210 },
      { key: 'call', text: 'call', cost: 400, expectedSaving: 2480 },
      { key: 'odd', text: 'odd', cost: 0.01, expectedSaving: 1185.17 },
      { key: 'survey', text: 'survey', cost: 0, expectedSaving: 288 },
    ]);
  });

  it('breaks saving ties by cost, then key', () => {
    // a: 0.8 × 12000 × 0.1 − 0 = 960; b: 0.8 × 12000 × 0.11 − 96 = 1056 − 96 = 960
    const ranked = rankActions(CTX, [
      action({ key: 'z', uplift: 0.1 }),
      action({ key: 'b', uplift: 0.11, cost: 96 }),
      action({ key: 'a', uplift: 0.1 }),
    ]);
    expect(ranked.map((a) => [a.key, a.expectedSaving])).toEqual([
      ['a', 960],
      ['z', 960],
      ['b', 960],
    ]);
  });

  it('keeps only actions for the tier, the value segment and a driver (or any)', () => {
    const ranked = rankActions(CTX, [
      action({ key: 'other_tier', tiers: ['high', 'watch'] }),
      action({ key: 'other_segment', valueSegments: ['mid', 'low'] }),
      action({ key: 'other_driver', drivers: ['activity', 'spend'] }),
      action({ key: 'complaints_driver', drivers: ['spend', 'complaints'] }),
      action({ key: 'any_driver', drivers: ['any'] }),
    ]);
    expect(ranked.map((a) => a.key).sort()).toEqual(['any_driver', 'complaints_driver']);
  });

  it('drops actions expected to cost more than they save (and ones saving nothing)', () => {
    const ranked = rankActions(CTX, [
      // 0.8 × 12000 × 0.01 − 100 = 96 − 100 = −4
      action({ key: 'loss', cost: 100, uplift: 0.01 }),
      // 0.8 × 12000 × 0.01 − 96 = 0
      action({ key: 'even', cost: 96, uplift: 0.01 }),
      // uplift 0, free: saves 0
      action({ key: 'useless', cost: 0, uplift: 0 }),
      // 0.8 × 12000 × 0.01 − 95 = 1
      action({ key: 'gain', cost: 95, uplift: 0.01 }),
    ]);
    expect(ranked.map((a) => [a.key, a.expectedSaving])).toEqual([['gain', 1]]);
  });
});

describe('allocateBudget', () => {
  it('spends a budget that fits one costly action on the best one across customers', () => {
    const { actions, spent } = allocateBudget(
      [
        { id: 'a', ranked: [suggested('call', 400, 2000)] },
        { id: 'b', ranked: [suggested('call', 400, 2480)] },
      ],
      500,
      3,
    );
    expect(actions.get('a')).toEqual([]);
    expect(actions.get('b')!.map((x) => x.key)).toEqual(['call']);
    expect(spent).toBe(400);
  });

  it('gives equal savings to the earlier candidate', () => {
    const { actions } = allocateBudget(
      [
        { id: 1, ranked: [suggested('call', 400, 2000)] },
        { id: 2, ranked: [suggested('call', 400, 2000)] },
      ],
      400,
      3,
    );
    expect(actions.get(1)).toHaveLength(1);
    expect(actions.get(2)).toEqual([]);
  });

  it('skips an action that does not fit and still takes a cheaper one', () => {
    const { actions, spent } = allocateBudget(
      [
        { id: 'a', ranked: [suggested('offer', 500, 3000), suggested('review', 100, 800)] },
        { id: 'b', ranked: [suggested('training', 300, 900)] },
      ],
      350,
      3,
    );
    // 3000 (500 > 350: skipped) → 900 (300 fits, 50 left) → 800 (100 > 50: skipped)
    expect(actions.get('a')).toEqual([]);
    expect(actions.get('b')!.map((x) => x.key)).toEqual(['training']);
    expect(spent).toBe(300);

    const more = allocateBudget([{ id: 'a', ranked: [suggested('offer', 500, 3000), suggested('review', 100, 800)] }], 350, 3);
    expect(more.actions.get('a')!.map((x) => x.key)).toEqual(['review']);
    expect(more.spent).toBe(100);
  });

  it('always keeps free actions, even with no budget left', () => {
    const { actions, spent } = allocateBudget(
      [{ id: 'a', ranked: [suggested('call', 400, 2480), suggested('survey', 0, 288), suggested('email', 0, 50)] }],
      0,
      3,
    );
    expect(actions.get('a')!.map((x) => x.key)).toEqual(['survey', 'email']);
    expect(spent).toBe(0);
  });

  it('keeps at most perAlert actions per customer, spending nothing on the ones left out', () => {
    const { actions, spent } = allocateBudget(
      [
        { id: 'a', ranked: [suggested('s1', 0, 900), suggested('s2', 0, 800), suggested('call', 400, 700)] },
        { id: 'b', ranked: [suggested('call', 400, 600), suggested('review', 100, 500), suggested('s3', 0, 10)] },
      ],
      10_000,
      2,
    );
    expect(actions.get('a')!.map((x) => x.key)).toEqual(['s1', 's2']);
    expect(actions.get('b')!.map((x) => x.key)).toEqual(['call', 'review']);
    expect(spent).toBe(500);
  });

  it('returns each customer best saving first, across interleaved picks', () => {
    const { actions } = allocateBudget(
      [
        { id: 'a', ranked: [suggested('x', 10, 100), suggested('y', 10, 50)] },
        { id: 'b', ranked: [suggested('z', 10, 75)] },
      ],
      1000,
      3,
    );
    expect(actions.get('a')!.map((x) => x.expectedSaving)).toEqual([100, 50]);
    expect([...actions.keys()]).toEqual(['a', 'b']);
  });

  it('rejects duplicate candidate ids', () => {
    expect(() =>
      allocateBudget(
        [
          { id: 1, ranked: [] },
          { id: 1, ranked: [] },
        ],
        0,
        1,
      ),
    ).toThrow(/duplicate/);
  });
});

describe('value segments', () => {
  const bands = { high: 5000, mid: 500 };

  it('cut-offs are inclusive', () => {
    expect(valueSegmentOf(5000, bands)).toBe('high');
    expect(valueSegmentOf(4999.99, bands)).toBe('mid');
    expect(valueSegmentOf(500, bands)).toBe('mid');
    expect(valueSegmentOf(499.99, bands)).toBe('low');
    expect(valueSegmentOf(0, bands)).toBe('low');
  });

  it('percentile basis needs a query over active customers; bands basis does not', () => {
    const q = valueBandsSql({ basis: 'percentile', high: 0.8, mid: 0.4 })!;
    expect(q.sql).toMatch(/percentile_cont\(\$1::float8\) WITHIN GROUP \(ORDER BY monthly_revenue::float8\) AS high/);
    expect(q.sql).toMatch(/percentile_cont\(\$2::float8\) WITHIN GROUP \(ORDER BY monthly_revenue::float8\) AS mid/);
    expect(q.sql).toMatch(/status = 'active'/);
    expect(q.params).toEqual([0.8, 0.4]);
    expect(valueBandsSql({ basis: 'bands', high: 5000, mid: 500 })).toBeNull();
    expect(fixedBands({ basis: 'bands', high: 5000, mid: 500 })).toEqual(bands);
    expect(() => fixedBands({ basis: 'percentile', high: 0.8, mid: 0.4 })).toThrow(/bands/);
  });

  it('reads a percentile row, and none from an empty book', () => {
    expect(bandsFromRow({ high: '5000.5', mid: 500 })).toEqual({ high: 5000.5, mid: 500 });
    expect(bandsFromRow({ high: null, mid: null })).toBeNull();
    expect(bandsFromRow(undefined)).toBeNull();
  });
});

describe('budgetPeriodStart', () => {
  it('starts months and quarters on their first UTC day', () => {
    expect(budgetPeriodStart(new Date('2025-05-31T23:59:59.999Z'), 'month')).toBe('2025-05-01');
    expect(budgetPeriodStart(new Date('2025-05-31T23:59:59.999Z'), 'quarter')).toBe('2025-04-01');
    expect(budgetPeriodStart(new Date('2025-01-01T00:00:00Z'), 'quarter')).toBe('2025-01-01');
    expect(budgetPeriodStart(new Date('2025-03-31T12:00:00Z'), 'quarter')).toBe('2025-01-01');
    expect(budgetPeriodStart(new Date('2025-12-31T23:00:00Z'), 'quarter')).toBe('2025-10-01');
    expect(budgetPeriodStart(new Date('2025-12-31T23:00:00Z'), 'month')).toBe('2025-12-01');
    // Already June in UTC+2 (the local start of June), still May in UTC.
    expect(budgetPeriodStart(new Date('2025-06-01T01:00:00+02:00'), 'month')).toBe('2025-05-01');
  });
});

describe('driver groups', () => {
  /** The rule written out independently of the module; a key matching no rule is a test failure. */
  function expectedGroup(key: string): string {
    if (/^activity_/.test(key) || key === 'days_since_activity') return 'activity';
    if (/^complaints_/.test(key) || ['oldest_open_complaint_days', 'days_since_complaint', 'mean_satisfaction'].includes(key))
      return 'complaints';
    if (/^spend_/.test(key) || ['days_since_payment', 'refund_share_180d'].includes(key)) return 'spend';
    if (/^monthly_revenue/.test(key) || ['tenure_days', 'days_to_renewal'].includes(key)) return 'account';
    // Survey answers are dissatisfaction, answered as complaints are.
    if (/^(nps|csat)_/.test(key) || key === 'days_since_survey') return 'complaints';
    throw new Error(`feature ${key} has no intended driver group`);
  }

  it.each([...FEATURE_KEYS])('%s', (key) => {
    expect(driverGroupOf(key)).toBe(expectedGroup(key));
  });

  it('unknown keys are account drivers', () => {
    expect(driverGroupOf('renamed_feature')).toBe('account');
    expect(driverGroupOf('constructor')).toBe('account');
  });

  it('lists distinct groups in driver order', () => {
    const keys = ['complaints_open', 'activity_ratio', 'mean_satisfaction', 'spend_90d', 'activity_30d'];
    expect(driverGroups(keys.map((key) => ({ key })))).toEqual(['complaints', 'activity', 'spend']);
    expect(driverGroups([])).toEqual([]);
  });
});

describe('default playbooks', () => {
  const { playbooks } = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const PERSONAL = ['executive_call', 'service_recovery_call', 'onsite_training', 'plan_review', 'tailored_offer'];

  it('a high-value critical customer with complaints gets a call first', () => {
    const ranked = rankActions(
      { probability: 0.8, value: 12 * 10_000, tier: 'critical', valueSegment: 'high', driverGroups: ['complaints'] },
      playbooks.actions,
    );
    // service_recovery_call: 0.8 × 120000 × 0.35 − 150 = 33450; executive_call: 0.8 × 120000 × 0.3 − 400 = 28400
    expect(ranked.map((a) => [a.key, a.expectedSaving])).toEqual([
      ['service_recovery_call', 33450],
      ['executive_call', 28400],
    ]);
    expect(ranked[0]!.text).toMatch(/^Call/);
  });

  it('a low-value critical customer with complaints gets only automated or cheap actions', () => {
    const ranked = rankActions(
      { probability: 0.8, value: 12 * 100, tier: 'critical', valueSegment: 'low', driverGroups: ['complaints'] },
      playbooks.actions,
    );
    // complaint_followup: 0.8 × 1200 × 0.15 − 15 = 129; self_service_survey: 0.8 × 1200 × 0.03 = 28.8
    expect(ranked.map((a) => [a.key, a.expectedSaving])).toEqual([
      ['complaint_followup', 129],
      ['self_service_survey', 28.8],
    ]);
    expect(ranked.every((a) => a.cost <= 20 && !PERSONAL.includes(a.key))).toBe(true);
  });
});
