import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource, pgPool } from '../../src/database/data-source';
import { FEATURE_KEYS, type FeatureKey } from '../../src/features/feature-catalog';
import { FeatureBatch, FeatureScope, FeaturesRepository, featureRow } from '../../src/features/features.repository';
import { FeaturesModule } from '../../src/features/features.module';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { SimpleLinearRegression } from 'ml-regression';

const DAY = 86_400_000;
const T = new Date('2025-06-30T12:00:00Z');
/** T minus `days` (fractional allowed; negative = after T). */
const at = (days: number) => new Date(T.getTime() - days * DAY).toISOString();

let db: TestDatabase;
let ds: DataSource;
let repo: FeaturesRepository;
let seq = 0;

interface CustomerSpec {
  signupDays?: number;
  segment?: string;
  revenue?: string;
  renewal?: string | null;
  churnedDays?: number | null;
}

async function customer(spec: CustomerSpec = {}): Promise<number> {
  const n = ++seq;
  const churned = spec.churnedDays == null ? null : at(spec.churnedDays);
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO customers (external_id, name, segment, monthly_revenue, currency, signup_at, renewal_at,
       account_manager_email, status, churned_at)
     VALUES ($1, $2, $3, $4, 'USD', $5, $6, 'am@example.com', $7, $8) RETURNING id`,
    [
      `c-${n}`,
      `Customer ${n}`,
      spec.segment ?? 'smb',
      spec.revenue ?? '100',
      at(spec.signupDays ?? 400),
      spec.renewal ?? null,
      churned ? 'churned' : 'active',
      churned,
    ],
  );
  return Number(rows[0].id);
}
const activity = (id: number, days: number, quantity: number) =>
  ds.query(`INSERT INTO activity_events (external_id, customer_id, type, occurred_at, quantity) VALUES ($1, $2, 'login', $3, $4)`, [
    `a-${++seq}`,
    id,
    at(days),
    quantity,
  ]);
const spend = (id: number, days: number, amount: number, kind: 'invoice' | 'payment' | 'refund') =>
  ds.query(`INSERT INTO spend_events (external_id, customer_id, occurred_at, amount, kind, currency) VALUES ($1, $2, $3, $4, $5, 'USD')`, [
    `s-${++seq}`,
    id,
    at(days),
    amount,
    kind,
  ]);
const complaint = (id: number, days: number, severity: string, resolvedDays: number | null = null, satisfaction: number | null = null) =>
  ds.query(
    `INSERT INTO complaints (external_id, customer_id, opened_at, severity, status, resolved_at, satisfaction) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      `k-${++seq}`,
      id,
      at(days),
      severity,
      resolvedDays === null ? 'open' : 'resolved',
      resolvedDays === null ? null : at(resolvedDays),
      satisfaction,
    ],
  );
const survey = (id: number, days: number, kind: 'nps' | 'csat', score: number) =>
  ds.query(`INSERT INTO survey_responses (external_id, customer_id, kind, score, responded_at) VALUES ($1, $2, $3, $4, $5)`, [
    `v-${++seq}`,
    id,
    kind,
    score,
    at(days),
  ]);

const ids: Record<string, number> = {};
let batch: FeatureBatch;
const features = (name: string): Record<FeatureKey, number> => {
  const i = batch.ids.indexOf(ids[name]);
  expect(i, `${name} is in the batch`).toBeGreaterThanOrEqual(0);
  return featureRow(batch, i);
};
const computeIds = async (scope: FeatureScope) => (await repo.compute(T, scope)).ids;

beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource(db.url, 2);
  await ds.initialize();
  repo = new FeaturesRepository(ds);

  ids.act = await customer({ renewal: at(-14) });
  await activity(ids.act, 0, 5); // exactly T: in the last 30 days
  await activity(ids.act, 10, 3);
  await activity(ids.act, 30, 7); // exactly T−30d: previous window
  await activity(ids.act, 45, 2);
  await activity(ids.act, 60, 11); // exactly T−60d: in neither window, but in the 12 weeks
  await activity(ids.act, 84, 13); // exactly T−84d: outside the 12 weeks
  await activity(ids.act, 200, 1);
  await activity(ids.act, -1 / 86_400, 100); // a second after T: ignored

  ids.cmp = await customer({ segment: 'enterprise' });
  await complaint(ids.cmp, 100, 'critical', 95, 1); // outside 90 days, rated
  await complaint(ids.cmp, 90, 'high'); // exactly T−90d: not in the window, open for 90 days
  await complaint(ids.cmp, 20, 'medium', -2, 5); // resolved after T: open at T, rating not yet known
  await complaint(ids.cmp, 5, 'low', 1, 4);
  await complaint(ids.cmp, 2, 'high');
  await complaint(ids.cmp, -1, 'critical'); // after T: ignored
  await activity(ids.cmp, 100, 4); // only activity 100 days ago
  await spend(ids.cmp, 250, 80, 'payment'); // only payment 250 days ago

  ids.spend = await customer({ renewal: at(-400) });
  await spend(ids.spend, 3, 100, 'payment');
  await spend(ids.spend, 30, 30, 'payment');
  await spend(ids.spend, 90, 50, 'payment'); // exactly T−90d: previous quarter
  await spend(ids.spend, 150, 200, 'payment');
  await spend(ids.spend, 180, 999, 'payment'); // exactly T−180d: in neither quarter
  await spend(ids.spend, 10, 500, 'invoice'); // invoices are not spend
  await spend(ids.spend, 100, 33, 'refund');
  await spend(ids.spend, 180, 7, 'refund'); // exactly T−180d: outside the refund window
  await spend(ids.spend, -1 / 24, 1000, 'payment'); // an hour after T: ignored

  ids.caps = await customer({ renewal: at(10) });
  await activity(ids.caps, 1, 40);
  await activity(ids.caps, 40, 2);
  await spend(ids.caps, 10, 500, 'payment');
  await spend(ids.caps, 100, 100, 'payment');
  await spend(ids.caps, 20, 1000, 'refund');
  await complaint(ids.caps, 500, 'low');
  ids.grows = await customer();
  await activity(ids.grows, 5, 9); // nothing in the previous 30 days
  await spend(ids.grows, 5, 10, 'payment');

  ids.empty = await customer({ signupDays: 100, revenue: '0' });
  ids.emptyOld = await customer({ signupDays: 1000, segment: 'enterprise' });
  ids.signupAtT = await customer({ signupDays: 0 });
  ids.notYet = await customer({ signupDays: -1 });
  ids.churned = await customer({ churnedDays: 1 });
  ids.churnedAtT = await customer({ churnedDays: 0 });
  ids.churnsLater = await customer({ churnedDays: -10 });

  // Surveys, by hand: what each one's features are at T (and 15 days before) is worked out in its test.
  ids.nps = await customer();
  await survey(ids.nps, 400, 'nps', 10); // over a year before T: not read
  await survey(ids.nps, 200, 'nps', 9);
  await survey(ids.nps, 20, 'nps', 3); // the latest at T: fell from 9 to 3
  await survey(ids.nps, -1, 'nps', 10); // after T: ignored
  await survey(ids.nps, 100, 'csat', 5); // outside the 90 days
  await survey(ids.nps, 90, 'csat', 1); // exactly T−90d: outside the 90 days, inside them 25 days earlier
  await survey(ids.nps, 30, 'csat', 2);
  await survey(ids.nps, 10, 'csat', 2);
  await survey(ids.nps, 5, 'csat', 3);
  ids.npsTie = await customer();
  await survey(ids.npsTie, 10, 'nps', 8);
  await survey(ids.npsTie, 10, 'nps', 5); // the same instant: the lower one counts as the newer
  ids.csatOnly = await customer();
  await survey(ids.csatOnly, 1, 'csat', 4);
  ids.surveyedLongAgo = await customer();
  await survey(ids.surveyedLongAgo, 365, 'nps', 0); // exactly T−365d: outside the year
  await survey(ids.surveyedLongAgo, 500, 'csat', 1);

  // Irregular history over more than 12 weeks, for the slope against ml-regression.
  ids.slope = await customer();
  let x = 7;
  const rand = () => (x = (x * 48271) % 2147483647) / 2147483647;
  for (let k = 0; k < 120; k++) {
    const days = rand() * 100 - 5;
    await activity(ids.slope, days, Math.floor(rand() * 20));
    await spend(ids.slope, days * 0.9, Math.round(rand() * 10000) / 100, k % 3 === 0 ? 'refund' : 'payment');
  }
  await activity(ids.slope, 35, 6); // exactly on week boundaries: T−35d is week 6 (w = 6)
  await activity(ids.slope, 7, 4); // T−7d is week 10

  batch = await repo.compute(T, {});
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('FeaturesRepository.compute', () => {
  it('returns ids ascending, one row of FEATURE_KEYS per customer, churn dates for labels', () => {
    expect(batch.ids).toEqual([...batch.ids].sort((a, b) => a - b));
    expect(batch.values.length).toBe(batch.ids.length * FEATURE_KEYS.length);
    expect(batch.churnedAtMs.length).toBe(batch.ids.length);
    expect(batch.values.every(Number.isFinite)).toBe(true);
    expect(batch.churnedAtMs[batch.ids.indexOf(ids.churnsLater)]).toBe(Date.parse(at(-10)));
    expect(batch.churnedAtMs[batch.ids.indexOf(ids.act)]).toBeNaN();
  });

  it('includes customers signed up and not churned at T only', () => {
    for (const name of ['signupAtT', 'churnsLater', 'empty']) expect(batch.ids).toContain(ids[name]);
    for (const name of ['notYet', 'churned', 'churnedAtT']) expect(batch.ids).not.toContain(ids[name]);
    expect(features('signupAtT').tenure_days).toBe(0);
  });

  it('puts activity at the window edges where they belong and ignores activity after T', () => {
    const f = features('act');
    expect(f.activity_30d).toBe(8); // 5 at T + 3
    expect(f.activity_prev_30d).toBe(9); // 7 at T−30d + 2
    expect(f.activity_ratio).toBeCloseTo(8 / 9, 12);
    expect(f.activity_30d_log).toBeCloseTo(Math.log(9), 12);
    expect(f.days_since_activity).toBe(0);
    // weeks back 0, 1, 4, 6, 8 → w = 11, 10, 7, 5, 3: Σ (w − 5.5)·q = 27.5 + 13.5 + 10.5 − 1 − 27.5
    expect(f.activity_slope_12w).toBeCloseTo(23 / 143, 12);
    expect(f.activity_trend_12w).toBeCloseTo((23 / 143) * (12 / 28), 12);
    expect(f.days_to_renewal).toBeCloseTo(14, 9);
    expect(f.tenure_days).toBe(400);
  });

  it('counts complaints point in time: weights, open at T, satisfaction resolved by T', () => {
    const f = features('cmp');
    expect(f.complaints_weighted_90d).toBe(2 + 1 + 3); // medium, low, high; T−90d and T+1d left out
    expect(f.complaints_open).toBe(3); // T−90d, the one resolved after T, T−2d
    expect(f.oldest_open_complaint_days).toBe(90);
    expect(f.days_since_complaint).toBe(2);
    expect(f.mean_satisfaction).toBe(2.5); // (1 + 4) / 2: the rating given after T does not count
    // the newest activity and payment lie before the aggregated windows (84 and 180 days)
    expect(f.days_since_activity).toBe(100);
    expect(f.days_since_payment).toBe(250);
    expect(f.activity_ratio).toBe(1);
    expect(f.spend_change_90d).toBe(0);
  });

  it('sums payments by quarter, refunds over 180 days, and ignores invoices and spend after T', () => {
    const f = features('spend');
    expect(f.spend_90d).toBe(130);
    expect(f.spend_prev_90d).toBe(250);
    expect(f.spend_change_90d).toBeCloseTo(-120 / 250, 12);
    expect(f.days_since_payment).toBe(3);
    expect(f.refund_share_180d).toBeCloseTo(33 / 380, 12);
    expect(f.spend_slope_12w).toBeCloseTo((5.5 * 100 + 1.5 * 30) / 143, 9);
    expect(f.spend_trend_12w).toBeCloseTo(((5.5 * 100 + 1.5 * 30) / 143) * (12 / 130), 9);
    // renewal 400 days after T: the anniversary a calendar year earlier is the next one at T
    expect(f.days_to_renewal).toBeCloseTo((Date.UTC(2025, 7, 4, 12) - T.getTime()) / DAY, 9); // 2025-08-04, 35 days
  });

  it('caps ratios, changes, shares and ages at their documented limits', () => {
    const f = features('caps');
    expect(f.activity_ratio).toBe(3); // 40 / 2
    expect(f.spend_change_90d).toBe(1); // 500 / 100 − 1 = 4
    expect(f.refund_share_180d).toBe(1); // 1000 refunded of 600 paid
    expect(f.oldest_open_complaint_days).toBe(365);
    expect(f.days_since_complaint).toBe(365);
    // renewal 10 days before T, not updated: the next anniversary is 355 days away
    expect(f.days_to_renewal).toBeCloseTo((Date.UTC(2026, 5, 20, 12) - T.getTime()) / DAY, 9);
    const g = features('grows');
    expect(g.activity_ratio).toBe(3);
    expect(g.spend_change_90d).toBe(1);
  });

  it('gives a customer without any signal the documented missing values', () => {
    const expected: Record<FeatureKey, number> = {
      activity_30d: 0,
      activity_prev_30d: 0,
      activity_ratio: 1,
      activity_30d_log: 0,
      days_since_activity: 100,
      activity_slope_12w: 0,
      activity_trend_12w: 0,
      complaints_weighted_90d: 0,
      complaints_open: 0,
      oldest_open_complaint_days: 0,
      days_since_complaint: 365,
      mean_satisfaction: 3,
      spend_90d: 0,
      spend_prev_90d: 0,
      spend_change_90d: 0,
      days_since_payment: 100,
      refund_share_180d: 0,
      spend_slope_12w: 0,
      spend_trend_12w: 0,
      tenure_days: 100,
      days_to_renewal: 365,
      monthly_revenue: 0,
      monthly_revenue_log: 0,
      nps_latest: 7.5,
      nps_change: 0,
      nps_detractor: 0,
      csat_mean_90d: 3,
      days_since_survey: 365,
      nps_responses_365d: 0,
      csat_responses_90d: 0,
    };
    expect(features('empty')).toEqual(expected);
    expect(features('emptyOld')).toMatchObject({ days_since_activity: 365, days_since_payment: 365, tenure_days: 1000 });
    expect(features('act').monthly_revenue_log).toBeCloseTo(Math.log(101), 12);
  });

  it('reads survey responses point in time: latest NPS, its change, detractor, CSAT over 90 days, days since', async () => {
    expect(features('nps')).toMatchObject({
      nps_latest: 3,
      nps_change: -6, // 3 − 9: the 400-day-old 10 and the 10 after T are not read
      nps_detractor: 1,
      csat_mean_90d: 7 / 3, // (2 + 2 + 3) / 3: the one at exactly T−90d is out
      csat_responses_90d: 3,
      nps_responses_365d: 2,
      days_since_survey: 5,
    });
    expect(features('npsTie')).toMatchObject({ nps_latest: 5, nps_change: -3, nps_detractor: 1, nps_responses_365d: 2 });
    // Only a CSAT response: the NPS features keep their neutral values.
    expect(features('csatOnly')).toMatchObject({
      nps_latest: 7.5,
      nps_change: 0,
      nps_detractor: 0,
      nps_responses_365d: 0,
      csat_mean_90d: 4,
      csat_responses_90d: 1,
      days_since_survey: 1,
    });
    // Responses older than a year count as none.
    expect(features('surveyedLongAgo')).toMatchObject({
      nps_latest: 7.5,
      nps_change: 0,
      nps_detractor: 0,
      csat_mean_90d: 3,
      days_since_survey: 365,
      nps_responses_365d: 0,
      csat_responses_90d: 0,
    });
    // 25 days before T the 3 had not been given: the 9 was the latest (and only) NPS in the
    // year, and the CSAT window (T−115d, T−25d] holds the 5, the 1 and the 2.
    const earlier = await repo.compute(new Date(T.getTime() - 25 * DAY), { customerIds: [ids.nps] });
    expect(featureRow(earlier, 0)).toMatchObject({
      nps_latest: 9,
      nps_change: 0,
      nps_detractor: 0,
      nps_responses_365d: 1,
      csat_mean_90d: 8 / 3,
      csat_responses_90d: 3,
      days_since_survey: 5,
    });
  });

  it('computes the 12-week slopes equal to a least-squares fit of the zero-filled weekly series', async () => {
    const weekly = async (sql: string) => {
      const rows: { t: Date; v: number }[] = await ds.query(sql, [ids.slope]);
      const y = new Array<number>(12).fill(0);
      for (const r of rows) {
        const back = T.getTime() - r.t.getTime();
        if (back >= 0 && back < 84 * DAY) y[11 - Math.floor(back / (7 * DAY))] += r.v;
      }
      return y;
    };
    const fit = (y: number[]) =>
      new SimpleLinearRegression(
        y.map((_, w) => w),
        y,
      ).slope;
    const act = await weekly(`SELECT occurred_at AS t, quantity AS v FROM activity_events WHERE customer_id = $1`);
    const pay = await weekly(`SELECT occurred_at AS t, amount::float8 AS v FROM spend_events WHERE customer_id = $1 AND kind = 'payment'`);
    expect(act.filter((v) => v === 0).length).toBeLessThan(12);
    const f = features('slope');
    expect(f.activity_slope_12w).toBeCloseTo(fit(act), 9);
    expect(f.spend_slope_12w).toBeCloseTo(fit(pay), 9);
    const sum = (y: number[]) => y.reduce((a, b) => a + b, 0);
    expect(f.activity_trend_12w).toBeCloseTo(fit(act) / (sum(act) / 12), 9);
  });

  it('gives the same values whatever the scope', async () => {
    const one = await repo.compute(T, { customerIds: [ids.spend] });
    expect(one.ids).toEqual([ids.spend]);
    expect(featureRow(one, 0)).toEqual(features('spend'));
  });

  it('filters by id range, id list and segment, together', async () => {
    const all = batch.ids;
    expect(await computeIds({ fromId: ids.cmp, toId: ids.caps })).toEqual([ids.cmp, ids.spend, ids.caps]);
    expect(await computeIds({ fromId: ids.slope })).toEqual([ids.slope]);
    expect(await computeIds({ toId: ids.act })).toEqual([ids.act]);
    expect(await computeIds({ customerIds: [ids.caps, ids.act, ids.churned, 999_999] })).toEqual([ids.act, ids.caps]);
    expect(await computeIds({ customerIds: [] })).toEqual([]);
    expect(await computeIds({ segment: 'enterprise' })).toEqual([ids.cmp, ids.emptyOld]);
    expect(await computeIds({ segment: 'enterprise', toId: ids.spend })).toEqual([ids.cmp]);
    expect(await computeIds({ segment: 'enterprise', customerIds: [ids.act, ids.emptyOld] })).toEqual([ids.emptyOld]);
    expect(await computeIds({ segment: null, customerIds: null })).toEqual(all);
    const cmp = await repo.compute(T, { segment: 'enterprise' });
    expect(featureRow(cmp, 0)).toEqual(features('cmp'));
  });

  it('is available from FeaturesModule', async () => {
    @Global()
    @Module({ providers: [{ provide: DataSource, useValue: ds }], exports: [DataSource] })
    class FakeDatabaseModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FakeDatabaseModule, FeaturesModule] }).compile();
    expect((await moduleRef.get(FeaturesRepository).compute(T, { customerIds: [ids.act] })).ids).toEqual([ids.act]);
    await moduleRef.close();
  });

  it('bounds every signal scan of an id-range chunk by its (customer_id, time) index', async () => {
    const { text, values } = repo.featureSql(T, { fromId: 1, toId: 50_000 });
    const client = await pgPool(ds).connect();
    try {
      // the test tables are tiny, so make the planner show whether it *can* use the index range
      await client.query('BEGIN; SET LOCAL enable_seqscan = off');
      const plan = (await client.query(`EXPLAIN ${text}`, values)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      await client.query('ROLLBACK');
      for (const index of [
        'ix_activity_customer_time',
        'ix_complaints_customer_time',
        'ix_spend_customer_time',
        'ix_surveys_customer_time',
      ]) {
        expect(plan).toMatch(
          new RegExp(`${index}[^]*?Index Cond: \\(\\(customer_id >= '1'::bigint\\) AND \\(customer_id <= '50000'::bigint\\)`),
        );
      }
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      client.release();
    }
  });

  it('answers the statement featureSql shows, with parameters', () => {
    const { text, values } = repo.featureSql(T, { fromId: 1, toId: 10, segment: 'smb' });
    expect(values).toEqual([T.toISOString(), 1, 10, 'smb']);
    expect(text).toContain('customer_id >= $2::bigint');
    expect(() => repo.featureSql(new Date(NaN), {})).toThrow(/invalid/);
  });
});
