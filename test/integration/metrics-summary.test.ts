import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { ChampionChallengerRepository } from '../../src/reporting/metrics/champion-challenger.repository';
import { Book, writeBook, WrittenBook } from '../support/metrics-book';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The period of every assertion: [2026-01-01, 2026-04-01). Customers (all USD but mI):
 *
 *   id  manager  signup      churned     monthly    in the period
 *   mA  am1      2025-06-01  -           100.0000   at start, at end
 *   mB  am1      2025-03-01  2026-02-15  250.5000   at start, churned (annual 3006.0000)
 *   mC  am1      2026-01-01  -            80.0000   new (signup exactly at from), at end
 *   mH  am1      2026-04-05  -            10.0000   nothing: signs up after to
 *   mJ  am1      2025-02-01  2025-11-30   20.0000   nothing: gone before from
 *   mD  am2      2025-01-10  2025-12-20  300.0000   nothing: gone before from
 *   mE  am2      2025-09-01  -          1000.1234   at start, at end
 *   mF  am2      2026-01-15  2026-03-10   40.0000   new, churned (annual 480.0000)
 *   mG  am2      2025-11-01  2026-04-01   60.0000   at start, at end (churned exactly at to: not in the period)
 *   mI  am2      2025-05-01  -            50.2500   EUR; at start, at end
 *   mK  am2      2025-01-01  2025-10-01   10.0000   nothing: gone before from
 *
 * Whole book: atStart A B E G I = 5, new C F = 2, churned B F = 2 (of them at start: B),
 * atEnd A C E G I = 5 (= 5 + 2 − 2); churn rate 1/5 = 0.2; retention (5 − 2)/5 = 0.6.
 * am1: atStart A B = 2, new C, churned B, atEnd A C = 2; churn 1/2; retention (2 − 1)/2.
 * am2: atStart E G I = 3, new F, churned F (not at start), atEnd E G I = 3; churn 0; retention 2/3.
 */
const PERIOD = 'from=2026-01-01&to=2026-04-01';

const BOOK: Book = {
  customers: [
    { id: 'mA', manager: 'am1@example.com', signupAt: '2025-06-01T00:00:00Z', monthlyRevenue: '100.0000' },
    {
      id: 'mB',
      manager: 'am1@example.com',
      signupAt: '2025-03-01T00:00:00Z',
      churnedAt: '2026-02-15T00:00:00Z',
      monthlyRevenue: '250.5000',
    },
    { id: 'mC', manager: 'am1@example.com', signupAt: '2026-01-01T00:00:00Z', monthlyRevenue: '80.0000' },
    { id: 'mH', manager: 'am1@example.com', signupAt: '2026-04-05T00:00:00Z', monthlyRevenue: '10.0000' },
    {
      id: 'mJ',
      manager: 'am1@example.com',
      signupAt: '2025-02-01T00:00:00Z',
      churnedAt: '2025-11-30T00:00:00Z',
      monthlyRevenue: '20.0000',
    },
    {
      id: 'mD',
      manager: 'am2@example.com',
      signupAt: '2025-01-10T00:00:00Z',
      churnedAt: '2025-12-20T00:00:00Z',
      monthlyRevenue: '300.0000',
    },
    { id: 'mE', manager: 'am2@example.com', signupAt: '2025-09-01T00:00:00Z', monthlyRevenue: '1000.1234' },
    {
      id: 'mF',
      manager: 'am2@example.com',
      signupAt: '2026-01-15T00:00:00Z',
      churnedAt: '2026-03-10T00:00:00Z',
      monthlyRevenue: '40.0000',
    },
    {
      id: 'mG',
      manager: 'am2@example.com',
      signupAt: '2025-11-01T00:00:00Z',
      churnedAt: '2026-04-01T00:00:00Z',
      monthlyRevenue: '60.0000',
    },
    { id: 'mI', manager: 'am2@example.com', signupAt: '2025-05-01T00:00:00Z', monthlyRevenue: '50.2500', currency: 'EUR' },
    {
      id: 'mK',
      manager: 'am2@example.com',
      signupAt: '2025-01-01T00:00:00Z',
      churnedAt: '2025-10-01T00:00:00Z',
      monthlyRevenue: '10.0000',
    },
  ],
  models: [
    {
      source: 'config',
      status: 'ready',
      role: null,
      metrics: null,
      createdAt: '2025-08-01T00:00:00Z',
      activatedAt: '2025-08-01T00:00:00Z',
    },
    {
      source: 'trained',
      status: 'ready',
      role: 'active',
      createdAt: '2025-09-01T00:00:00Z',
      activatedAt: '2025-09-02T00:00:00Z',
      metrics: { rows: 1000, positives: 50, auc: 0.81, prAuc: 0.4, brier: 0.05, precisionAt10: 0.3, liftAt10: 6, calibration: [] },
    },
    {
      source: 'trained',
      status: 'ready',
      role: 'challenger',
      createdAt: '2025-10-01T00:00:00Z',
      activatedAt: null,
      metrics: { rows: 1000, positives: 50, auc: 0.83, prAuc: 0.42, brier: 0.048, precisionAt10: 0.32, liftAt10: 6.4, calibration: [] },
    },
    { source: 'trained', status: 'failed', role: null, metrics: null, createdAt: '2026-02-01T00:00:00Z', activatedAt: null },
  ],
  runs: [
    // An older run with a challenger: not the newest, so not compared.
    {
      status: 'succeeded',
      scope: { kind: 'all' },
      asOf: '2025-09-15T00:00:00Z',
      model: 0,
      challenger: 2,
      customersScored: 1,
      distribution: null,
      drift: null,
      freshness: null,
      stale: [],
      finishedAt: '2025-09-15T00:05:00Z',
      history: { mA: [0.875, 0.875] },
    },
    // The run compared: champion model 1, challenger model 2, as of 2025-10-15; its horizon
    // (90 days) ends 2026-01-13. Probabilities are dyadic so means are exact in SQL and here.
    {
      status: 'succeeded',
      scope: { kind: 'all' },
      asOf: '2025-10-15T00:00:00Z',
      model: 1,
      challenger: 2,
      customersScored: 7,
      distribution: { bins: 20, counts: [], count: 7, mean: 0.41, tiers: { critical: 1, high: 1, watch: 3, none: 2 } },
      drift: null,
      freshness: { activity: '2025-10-14T00:00:00.000Z', complaints: null, spend: '2025-10-01T00:00:00.000Z' },
      stale: ['complaints'],
      finishedAt: '2025-10-15T00:05:00Z',
      history: {
        mA: [0.25, 0.125], // active: not churned
        mB: [0.625, 0.375], // churned 2026-02-15, after the horizon: not churned
        mD: [0.5, 0.875], // churned 2025-12-20, within the horizon: churned
        mE: [0.375, 0.25], // active
        mI: [0.125, 0.375], // active
        mJ: [0.75, 0.75], // churned 2025-11-30: churned
        mK: [0.25, 0.5], // churned 2025-10-01, before asOf (recorded late): unknown, left out
      },
    },
    {
      status: 'succeeded',
      scope: { kind: 'segment', segment: 'smb' },
      asOf: '2026-03-20T00:00:00Z',
      model: 1,
      challenger: null,
      customersScored: 5,
      distribution: { bins: 20, counts: [], count: 5, mean: 0.6, tiers: { critical: 3, high: 2, watch: 2, none: 0 } },
      drift: 0.05,
      freshness: { activity: '2026-03-19T00:00:00.000Z', complaints: '2026-03-01T00:00:00.000Z', spend: '2026-03-10T00:00:00.000Z' },
      stale: [],
      finishedAt: '2026-03-20T00:04:00Z',
      history: {},
    },
    // A failed run with a challenger: partial, so never the one compared.
    {
      status: 'failed',
      scope: { kind: 'customers', customerIds: ['mA'] },
      asOf: '2026-03-21T00:00:00Z',
      model: 1,
      challenger: 2,
      customersScored: 0,
      distribution: null,
      drift: null,
      freshness: null,
      stale: [],
      finishedAt: '2026-03-21T00:01:00Z',
      history: { mA: [0.5, 0.5] },
    },
  ],
  // Current scores (of run 2). mB and mG are churned and mD has no score: only active customers count.
  scores: [
    { customer: 'mA', tier: 'critical', probability: 0.8, valueAtRisk: '960.0000' },
    { customer: 'mB', tier: 'critical', probability: 0.9, valueAtRisk: '2705.4000' },
    { customer: 'mC', tier: 'high', probability: 0.6, valueAtRisk: '576.0000' },
    { customer: 'mE', tier: 'critical', probability: 0.75, valueAtRisk: '9001.1106' },
    { customer: 'mG', tier: 'watch', probability: 0.35, valueAtRisk: '252.0000' },
    { customer: 'mH', tier: 'watch', probability: 0.35, valueAtRisk: '42.0000' },
    { customer: 'mI', tier: 'high', probability: 0.5, valueAtRisk: '301.5000' },
  ],
  scoresRun: 2,
  alerts: [
    // 1: raised exactly at from (in the period); retained in the period, mA still active: saved 1200.0000
    {
      customer: 'mA',
      tier: 'critical',
      raisedAt: '2026-01-01T00:00:00Z',
      status: 'closed',
      outcome: { outcome: 'retained', action: 'executive_call', at: '2026-02-01T00:00:00Z' },
      actions: ['executive_call', 'plan_review'],
    },
    // 2
    {
      customer: 'mB',
      tier: 'critical',
      raisedAt: '2026-01-20T00:00:00Z',
      status: 'closed',
      outcome: { outcome: 'churned', action: 'service_recovery_call', at: '2026-02-15T00:00:00Z' },
      actions: ['service_recovery_call', 'executive_call'],
    },
    // 3
    {
      customer: 'mE',
      tier: 'critical',
      raisedAt: '2026-02-01T00:00:00Z',
      status: 'closed',
      outcome: { outcome: 'false_alarm', action: 'plan_review', at: '2026-02-10T00:00:00Z' },
      actions: ['plan_review'],
    },
    // 4
    { customer: 'mG', tier: 'watch', raisedAt: '2026-03-01T00:00:00Z', status: 'open', actions: ['personal_checkin'] },
    // 5: raised and retained before the period: not in raisedInPeriod, not saved
    {
      customer: 'mI',
      tier: 'high',
      raisedAt: '2025-11-01T00:00:00Z',
      status: 'closed',
      outcome: { outcome: 'retained', action: 'plan_review', at: '2025-12-01T00:00:00Z' },
      actions: ['plan_review'],
    },
    // 6: retained in the period but churned later: not saved
    {
      customer: 'mF',
      tier: 'high',
      raisedAt: '2026-02-01T00:00:00Z',
      status: 'closed',
      outcome: { outcome: 'retained', action: 'personal_checkin', at: '2026-02-20T00:00:00Z' },
      actions: ['personal_checkin', 'complaint_followup'],
    },
    // 7
    { customer: 'mC', tier: 'high', raisedAt: '2026-03-15T00:00:00Z', status: 'acknowledged', actions: [] },
    // 8: raised exactly at to: not in the period
    { customer: 'mH', tier: 'watch', raisedAt: '2026-04-01T00:00:00Z', status: 'open', actions: ['personal_checkin'] },
  ],
};

/** A counts object; lift = precision ÷ churn rate (null when either is null or the rate is 0). */
function counts(alerts: number, retained: number, churned: number, falseAlarm: number, churnRate: number) {
  const withOutcome = retained + churned + falseAlarm;
  const precision = withOutcome ? (retained + churned) / withOutcome : null;
  return {
    alerts,
    withOutcome,
    retained,
    churned,
    falseAlarm,
    precision,
    lift: precision !== null && churnRate > 0 ? precision / churnRate : null,
  };
}

describe('GET /v1/metrics/summary on a hand-checked book', () => {
  let t: TestApp;
  let w: WrittenBook;
  let am2Key: string;
  const get = (key: string, query = PERIOD) => request(t.http).get(`/v1/metrics/summary?${query}`).set('Authorization', `Bearer ${key}`);

  beforeAll(async () => {
    t = await startTestApp();
    w = await writeBook(t, BOOK);
    am2Key = (await t.app.get(ApiKeysService).create({ role: 'manager', name: 'am2', email: 'am2@example.com' })).key;
  });
  afterAll(() => t?.close());

  it('the whole book (lead): period, customers, revenue', async () => {
    const res = await get(t.keys.lead);
    expect(res.status).toBe(200);
    expect(res.body.period).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
    expect(res.body.customers).toEqual({
      atStart: 5,
      new: 2,
      churned: 2,
      churnedOfStart: 1,
      atEnd: 5,
      churnRate: 1 / 5,
      retentionRate: 4 / 5,
    });
    // Active customers by current tier (mB and mG churned, so left out); book currencies EUR and USD.
    // critical: mA 960.0000 + mE 9001.1106 at risk; annual 1200.0000 + 12001.4808
    // high: mC (USD) 576.0000 / 960.0000, mI (EUR) 301.5000 / 603.0000; watch: mH 42.0000 / 120.0000
    expect(res.body.revenue).toEqual({
      atRisk: {
        byTier: {
          critical: { customers: 2, valueAtRisk: { EUR: '0.0000', USD: '9961.1106' }, annualRevenue: { EUR: '0.0000', USD: '13201.4808' } },
          high: { customers: 2, valueAtRisk: { EUR: '301.5000', USD: '576.0000' }, annualRevenue: { EUR: '603.0000', USD: '960.0000' } },
          watch: { customers: 1, valueAtRisk: { EUR: '0.0000', USD: '42.0000' }, annualRevenue: { EUR: '0.0000', USD: '120.0000' } },
        },
        total: { customers: 5, valueAtRisk: { EUR: '301.5000', USD: '10579.1106' }, annualRevenue: { EUR: '603.0000', USD: '14281.4808' } },
      },
      // mB 12 × 250.5 = 3006 + mF 12 × 40 = 480
      churnCost: { EUR: '0.0000', USD: '3486.0000' },
      // only mA (alert 1): 12 × 100
      saved: { EUR: '0.0000', USD: '1200.0000' },
    });
  });

  it('alerts: all-time breakdown kept, lift against the period churn rate 0.2, and the period slice', async () => {
    const { alerts } = (await get(t.keys.lead)).body;
    const rate = 0.2;
    // all eight alerts: critical 1 2 3 (retained, churned, false alarm), high 5 6 7 (retained, retained, none), watch 4 8
    expect(alerts.overall).toEqual(counts(8, 3, 1, 1, rate)); // precision 4/5, lift 4
    expect(alerts.overall.lift).toBeCloseTo(4, 12);
    expect(alerts.byTier).toEqual({ critical: counts(3, 1, 1, 1, rate), high: counts(3, 2, 0, 0, rate), watch: counts(2, 0, 0, 0, rate) });
    // by the recorded action: alerts 1 | 2 | 3 and 5 | 6
    expect(alerts.byAction).toEqual({
      executive_call: counts(1, 1, 0, 0, rate),
      service_recovery_call: counts(1, 0, 1, 0, rate),
      plan_review: counts(2, 1, 0, 1, rate),
      personal_checkin: counts(1, 1, 0, 0, rate),
    });
    expect(alerts.open).toBe(2); // 4, 8
    expect(alerts.acknowledged).toBe(1); // 7
    // by suggested action: executive_call 1 2; plan_review 1 3 5; service_recovery_call 2; personal_checkin 4 6 8; complaint_followup 6
    expect(alerts.byPlaybookAction).toEqual({
      executive_call: counts(2, 1, 1, 0, rate),
      plan_review: counts(3, 2, 0, 1, rate),
      service_recovery_call: counts(1, 0, 1, 0, rate),
      personal_checkin: counts(3, 1, 0, 0, rate),
      complaint_followup: counts(1, 1, 0, 0, rate),
    });
    // raised in [from, to): 1 2 3 4 6 7 (5 is before, 8 exactly at to)
    expect(alerts.raisedInPeriod).toEqual({
      overall: counts(6, 2, 1, 1, rate), // precision 3/4, lift 3.75
      byTier: { critical: counts(3, 1, 1, 1, rate), high: counts(2, 1, 0, 0, rate), watch: counts(1, 0, 0, 0, rate) },
      byAction: {
        executive_call: counts(1, 1, 0, 0, rate),
        service_recovery_call: counts(1, 0, 1, 0, rate),
        plan_review: counts(1, 0, 0, 1, rate), // precision 0, lift 0
        personal_checkin: counts(1, 1, 0, 0, rate),
      },
      byPlaybookAction: {
        executive_call: counts(2, 1, 1, 0, rate),
        plan_review: counts(2, 1, 0, 1, rate),
        service_recovery_call: counts(1, 0, 1, 0, rate),
        personal_checkin: counts(2, 1, 0, 0, rate),
        complaint_followup: counts(1, 1, 0, 0, rate),
      },
    });
    expect(alerts.raisedInPeriod.overall.lift).toBeCloseTo(3.75, 12);
    expect(alerts.raisedInPeriod.byAction.plan_review.lift).toBe(0);
  });

  it('model versions and history, newest first', async () => {
    const { model } = (await get(t.keys.lead)).body;
    const [config, active, challenger, failed] = w.modelIds;
    const M = BOOK.models;
    expect(model.active).toEqual({
      version: active,
      source: 'trained',
      metrics: M[1]?.metrics,
      activatedAt: '2025-09-02T00:00:00.000Z',
      createdAt: '2025-09-01T00:00:00.000Z',
    });
    expect(model.challenger).toEqual({
      version: challenger,
      source: 'trained',
      metrics: M[2]?.metrics,
      activatedAt: null,
      createdAt: '2025-10-01T00:00:00.000Z',
    });
    const none = { auc: null, prAuc: null, brier: null, precisionAt10: null, liftAt10: null };
    expect(model.history).toEqual([
      {
        version: failed,
        source: 'trained',
        status: 'failed',
        createdAt: '2026-02-01T00:00:00.000Z',
        activatedAt: null,
        active: false,
        challenger: false,
        ...none,
      },
      {
        version: challenger,
        source: 'trained',
        status: 'ready',
        createdAt: '2025-10-01T00:00:00.000Z',
        activatedAt: null,
        active: false,
        challenger: true,
        auc: 0.83,
        prAuc: 0.42,
        brier: 0.048,
        precisionAt10: 0.32,
        liftAt10: 6.4,
      },
      {
        version: active,
        source: 'trained',
        status: 'ready',
        createdAt: '2025-09-01T00:00:00.000Z',
        activatedAt: '2025-09-02T00:00:00.000Z',
        active: true,
        challenger: false,
        auc: 0.81,
        prAuc: 0.4,
        brier: 0.05,
        precisionAt10: 0.3,
        liftAt10: 6,
      },
      {
        version: config,
        source: 'config',
        status: 'ready',
        createdAt: '2025-08-01T00:00:00.000Z',
        activatedAt: '2025-08-01T00:00:00.000Z',
        active: false,
        challenger: false,
        ...none,
      },
    ]);
  });

  it('champion vs challenger on the newest succeeded run with a challenger', async () => {
    const { championChallenger } = (await get(t.keys.lead)).body;
    // Run 1 (not run 0: older; not run 3: failed). Seven customers scored by both; the lowest tier threshold is 0.3.
    // champion ≥ 0.3: mB mD mE mJ (4); challenger ≥ 0.3: mB mD mI mJ mK (5); agree: mA mB mD mJ (4).
    // Known outcomes: mA mB mE mI not churned, mD mJ churned (mK left out).
    // Champion AUC: mJ 0.75 beats all four; mD 0.5 beats 0.25, 0.375, 0.125 but not mB 0.625: 7/8. Challenger: 8/8.
    expect(championChallenger).toEqual({
      runId: w.runIds[1],
      asOf: '2025-10-15T00:00:00.000Z',
      customers: 7,
      sampleEvery: 1,
      champion: { version: w.modelIds[1], meanProbability: 2.875 / 7, inTier: 4 / 7 },
      challenger: { version: w.modelIds[2], meanProbability: 3.25 / 7, inTier: 5 / 7 },
      tierAgreement: 4 / 7,
      outcomes: { customers: 6, churned: 2, horizonDays: 90, championAuc: 0.875, challengerAuc: 1 },
    });
  });

  it('champion vs challenger on a large book reads a fixed 1-in-k sample of customer ids', async () => {
    const repo = t.app.get(ChampionChallengerRepository);
    const query = {
      runId: w.runIds[1] as number,
      managerEmail: null,
      threshold: 0.3,
      asOf: new Date('2025-10-15T00:00:00Z'),
      horizonEnd: new Date('2026-01-13T00:00:00Z'),
      now: new Date(),
    };
    // [customer, champion, challenger, label] of the seven compared customers (labels as worked out above; mK's unknown)
    const labels: Record<string, number | null> = { mA: 0, mB: 0, mD: 1, mE: 0, mI: 0, mJ: 1, mK: null };
    const history = BOOK.runs[1]!.history as Record<string, [number, number]>;
    const compared = Object.entries(history).map(
      ([c, [champion, challenger]]) => [c, champion, challenger, labels[c] as number | null] as const,
    );
    expect(compared).toHaveLength(7);
    const ids = new Map(
      (await t.sql<{ external_id: string; id: string }>(`SELECT external_id, id FROM customers`)).map((r) => [r.external_id, Number(r.id)]),
    );
    const even = compared.filter(([c]) => (ids.get(c) as number) % 2 === 0);
    expect(even.length).toBeGreaterThan(0);
    expect(even.length).toBeLessThan(compared.length);
    const totals = await repo.inSnapshot((db) => repo.totals(query, db, 2));
    const { pairs: p, ...counts } = totals;
    const sum = (k: 1 | 2) => even.reduce((s, r) => s + r[k], 0);
    expect(counts).toEqual({
      customers: even.length,
      championSum: sum(1),
      challengerSum: sum(2),
      championInTier: even.filter((r) => r[1] >= 0.3).length,
      challengerInTier: even.filter((r) => r[2] >= 0.3).length,
      agreeing: even.filter((r) => r[1] >= 0.3 === r[2] >= 0.3).length,
      labelled: even.filter((r) => r[3] !== null).length,
      churned: even.filter((r) => r[3] === 1).length,
      every: 2,
    });
    const read = [...p.labels].map((label, i) => [p.champion[i], p.challenger[i], label]);
    expect(read.sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(
      even
        .filter((r) => r[3] !== null)
        .map((r) => [r[1], r[2], r[3]])
        .sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
  });

  it('runs: the last ten, any status, newest first', async () => {
    const { runs } = (await get(t.keys.lead)).body;
    const [r0, r1, r2, r3] = w.runIds;
    expect(runs).toEqual([
      {
        id: r3,
        status: 'failed',
        scope: { kind: 'customers' },
        asOf: '2026-03-21T00:00:00.000Z',
        finishedAt: '2026-03-21T00:01:00.000Z',
        customersScored: 0,
        drift: null,
        stale: [],
        freshness: null,
        meanProbability: null,
        tiers: null,
      },
      {
        id: r2,
        status: 'succeeded',
        scope: { kind: 'segment', segment: 'smb' },
        asOf: '2026-03-20T00:00:00.000Z',
        finishedAt: '2026-03-20T00:04:00.000Z',
        customersScored: 5,
        drift: 0.05,
        stale: [],
        freshness: BOOK.runs[2]?.freshness,
        meanProbability: 0.6,
        tiers: { critical: 3, high: 2, watch: 2, none: 0 },
      },
      {
        id: r1,
        status: 'succeeded',
        scope: { kind: 'all' },
        asOf: '2025-10-15T00:00:00.000Z',
        finishedAt: '2025-10-15T00:05:00.000Z',
        customersScored: 7,
        drift: null,
        stale: ['complaints'],
        freshness: BOOK.runs[1]?.freshness,
        meanProbability: 0.41,
        tiers: { critical: 1, high: 1, watch: 3, none: 2 },
      },
      {
        id: r0,
        status: 'succeeded',
        scope: { kind: 'all' },
        asOf: '2025-09-15T00:00:00.000Z',
        finishedAt: '2025-09-15T00:05:00.000Z',
        customersScored: 1,
        drift: null,
        stale: [],
        freshness: null,
        meanProbability: null,
        tiers: null,
      },
    ]);
  });

  it('a manager key sees only its own customers; model and runs stay the same', async () => {
    const lead = (await get(t.keys.lead)).body;
    const res = await get(t.keys.manager); // am1: mA mB mC mH mJ
    expect(res.status).toBe(200);
    const mine = res.body;
    expect(mine.customers).toEqual({ atStart: 2, new: 1, churned: 1, churnedOfStart: 1, atEnd: 2, churnRate: 1 / 2, retentionRate: 1 / 2 });
    // am1's customers are all USD: no EUR keys. critical mA, high mC, watch mH.
    expect(mine.revenue).toEqual({
      atRisk: {
        byTier: {
          critical: { customers: 1, valueAtRisk: { USD: '960.0000' }, annualRevenue: { USD: '1200.0000' } },
          high: { customers: 1, valueAtRisk: { USD: '576.0000' }, annualRevenue: { USD: '960.0000' } },
          watch: { customers: 1, valueAtRisk: { USD: '42.0000' }, annualRevenue: { USD: '120.0000' } },
        },
        total: { customers: 3, valueAtRisk: { USD: '1578.0000' }, annualRevenue: { USD: '2280.0000' } },
      },
      churnCost: { USD: '3006.0000' },
      saved: { USD: '1200.0000' },
    });
    // am1's alerts: 1 2 (critical), 7 (high), 8 (watch); lift against am1's churn rate 0.5
    const rate = 0.5;
    expect(mine.alerts).toEqual({
      overall: counts(4, 1, 1, 0, rate),
      byTier: { critical: counts(2, 1, 1, 0, rate), high: counts(1, 0, 0, 0, rate), watch: counts(1, 0, 0, 0, rate) },
      byAction: { executive_call: counts(1, 1, 0, 0, rate), service_recovery_call: counts(1, 0, 1, 0, rate) },
      byPlaybookAction: {
        executive_call: counts(2, 1, 1, 0, rate),
        plan_review: counts(1, 1, 0, 0, rate),
        service_recovery_call: counts(1, 0, 1, 0, rate),
        personal_checkin: counts(1, 0, 0, 0, rate),
      },
      open: 1,
      acknowledged: 1,
      raisedInPeriod: {
        overall: counts(3, 1, 1, 0, rate),
        byTier: { critical: counts(2, 1, 1, 0, rate), high: counts(1, 0, 0, 0, rate) },
        byAction: { executive_call: counts(1, 1, 0, 0, rate), service_recovery_call: counts(1, 0, 1, 0, rate) },
        byPlaybookAction: {
          executive_call: counts(2, 1, 1, 0, rate),
          plan_review: counts(1, 1, 0, 0, rate),
          service_recovery_call: counts(1, 0, 1, 0, rate),
        },
      },
    });
    expect(mine.alerts.overall.lift).toBe(2);
    // run 1's customers of am1: mA mB mJ; all on the same side of 0.3; mJ (churned) above both others by both models
    expect(mine.championChallenger).toEqual({
      runId: w.runIds[1],
      asOf: '2025-10-15T00:00:00.000Z',
      customers: 3,
      sampleEvery: 1,
      champion: { version: w.modelIds[1], meanProbability: 1.625 / 3, inTier: 2 / 3 },
      challenger: { version: w.modelIds[2], meanProbability: 1.25 / 3, inTier: 2 / 3 },
      tierAgreement: 1,
      outcomes: { customers: 3, churned: 1, horizonDays: 90, championAuc: 1, challengerAuc: 1 },
    });
    expect(mine.model).toEqual(lead.model);
    expect(mine.runs).toEqual(lead.runs);
  });

  it('a manager whose book lost nobody it started with has churn rate 0 and no lift', async () => {
    const res = await get(am2Key); // am2: mD mE mF mG mI mK
    expect(res.status).toBe(200);
    expect(res.body.customers).toEqual({ atStart: 3, new: 1, churned: 1, churnedOfStart: 0, atEnd: 3, churnRate: 0, retentionRate: 1 });
    // alerts 3 (false alarm), 4 (none), 5 and 6 (retained): precision 2/3, lift null
    expect(res.body.alerts.overall).toEqual(counts(4, 2, 0, 1, 0));
    expect(res.body.alerts.overall.lift).toBeNull();
    expect(res.body.revenue.churnCost).toEqual({ EUR: '0.0000', USD: '480.0000' });
    expect(res.body.revenue.saved).toEqual({ EUR: '0.0000', USD: '0.0000' });
  });

  it('no period: the last reporting.metrics.defaultPeriodDays days up to now; offsets and bare dates are instants', async () => {
    const before = Date.now();
    const res = await request(t.http).get('/v1/metrics/summary').set('Authorization', `Bearer ${t.keys.lead}`);
    const after = Date.now();
    expect(res.status).toBe(200);
    const to = Date.parse(res.body.period.to);
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThanOrEqual(after);
    expect(to - Date.parse(res.body.period.from)).toBe(t.config.reporting.metrics.defaultPeriodDays * 86_400_000);

    // 02:00 at +02:00 is UTC midnight; an unencoded "+" (a space once decoded) reads the same
    for (const from of ['2026-01-01T02:00:00%2B02:00', '2026-01-01T02:00:00+02:00', '2026-01-01']) {
      const same = await get(t.keys.lead, `from=${from}&to=2026-04-01T00:00:00Z`);
      expect(same.status).toBe(200);
      expect(same.body.period.from).toBe('2026-01-01T00:00:00.000Z');
      expect(same.body.customers.atStart).toBe(5);
    }
    // only to: from is 90 days earlier
    const onlyTo = await get(t.keys.lead, 'to=2026-04-01');
    expect(onlyTo.body.period).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
  });

  it('the period is validated: a bad date names the field, from must be before to', async () => {
    const bad = await get(t.keys.lead, 'from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'from' }] });
    const unreal = await get(t.keys.lead, 'from=2026-01-01&to=2026-02-30');
    expect(unreal.status).toBe(400);
    expect(unreal.body.errors).toEqual([{ field: 'to', message: 'is not a real calendar date' }]);
    const noOffset = await get(t.keys.lead, 'from=2026-01-01T10:00:00');
    expect(noOffset.status).toBe(400);
    expect(noOffset.body.errors[0].field).toBe('from');
    for (const query of ['from=2026-04-01&to=2026-01-01', 'from=2026-01-01&to=2026-01-01', 'from=2999-01-01']) {
      const res = await get(t.keys.lead, query);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('from');
    }
    const unknown = await get(t.keys.lead, 'since=2026-01-01');
    expect(unknown.status).toBe(400);
  });

  it('the OpenAPI document says how the figures are computed', async () => {
    const op = (await request(t.http).get('/docs/openapi.json')).body.paths['/v1/metrics/summary'].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['from', 'to']);
    const answer = op.responses['200'].content['application/json'].schema.properties;
    expect(answer.customers.properties.retentionRate.description).toContain('(atStart − churnedOfStart) ÷ atStart');
    expect(answer.revenue.properties.saved.description).toContain('retained');
    expect(answer.alerts.properties.overall.properties.lift.description).toContain('precision ÷ customers.churnRate');
  });

  it('roles: admin, lead and manager read it; others are refused', async () => {
    expect((await get(t.keys.admin)).status).toBe(200);
    expect((await get(t.keys.scheduler)).status).toBe(403);
    expect((await get(t.keys.ingest)).status).toBe(403);
    expect((await request(t.http).get('/v1/metrics/summary')).status).toBe(401);
  });
});
