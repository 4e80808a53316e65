import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_TEST_CONFIG, revenueFor } from '../support/alert-book';
import { waitForSnapshot } from '../support/at-risk';
import { activityRow, complaintRow, customerRow, spendRow } from '../support/factories';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import type { Json } from '../support/json';

const DAY = 86_400_000;
/** Day n of the test's timeline: T0 (day 0) is 600 days ago, so every run below is in the past. */
const T0 = Date.now() - 600 * DAY;
const day = (n: number) => new Date(T0 + n * DAY).toISOString();
const month = (iso: string) => iso.slice(0, 7);
const annual = (monthly: string) => (12 * Number(monthly)).toFixed(4);

/**
 * Lifecycle stages of hand-built customers across live runs (the knob model of the alert
 * tests: the probability, and so the tier, is set by monthly revenue):
 * - L signs up on day 0 and walks through every stage: new (run on day 30, tenure 30 < 90),
 *   growing (day 200), mature (day 400, tenure ≥ 365; its one payment, on day 360, is in the
 *   last quarter), declining (day 480: that payment is now in the quarter before, none since:
 *   spend change −100 %), at_risk (day 520: critical), churned (churned on day 540, run day 550).
 * - M, a customer since long before, is on watch at every run: watch is not an at-risk tier,
 *   so it stays mature (and its alert gets the loyalty action).
 * - N signs up on day 500 and is critical at once: at_risk, with new beneath (onboarding).
 * Every customer is mid value (bands), so the stage actions fit by stage alone.
 */
describe('lifecycle stages across scoring runs', () => {
  let t: TestApp;
  const runs: Json[] = [];
  const rows = {
    L: customerRow({ externalId: 'L', signupAt: day(0), monthlyRevenue: revenueFor(0.05) }),
    M: customerRow({
      externalId: 'M',
      signupAt: day(-400),
      monthlyRevenue: revenueFor(0.4),
      accountManager: { email: 'am2@example.com', name: 'Bob Manager' },
    }),
    N: customerRow({ externalId: 'N', signupAt: day(500), monthlyRevenue: revenueFor(0.9) }),
  };

  const get = (path: string, role: 'lead' | 'manager' = 'lead') => request(t.http).get(path).set('Authorization', `Bearer ${t.keys[role]}`);
  const post = async (path: string, body: object) => {
    const res = await request(t.http).post(path).set('Authorization', `Bearer ${t.keys.admin}`).send(body);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const stages = async (runId: number) =>
    Object.fromEntries(
      (
        await t.sql<{ external_id: string; lifecycle_stage: string | null }>(
          `SELECT c.external_id, h.lifecycle_stage FROM score_history h JOIN customers c ON c.id = h.customer_id
            WHERE h.run_id = $1 AND h.role = 'champion' ORDER BY 1`,
          [runId],
        )
      ).map((r) => [r.external_id, r.lifecycle_stage]),
    );
  const current = async () =>
    Object.fromEntries(
      (
        await t.sql<{ external_id: string; lifecycle_stage: string; since: Date }>(
          `SELECT c.external_id, s.lifecycle_stage, s.lifecycle_since AS since FROM customer_scores s JOIN customers c ON c.id = s.customer_id ORDER BY 1`,
        )
      ).map((r) => [r.external_id, { stage: r.lifecycle_stage, since: r.since.toISOString() }]),
    );

  beforeAll(async () => {
    t = await startTestApp({}, { ...ALERT_TEST_CONFIG, playbooks: { valueSegments: { basis: 'bands', high: 1e9, mid: 0 } } });
    await post('/v1/customers', Object.values(rows));
    // Signals of every kind (runs are fresh); L's one payment on day 360.
    await post('/v1/signals/activity', [activityRow('M', { occurredAt: day(-300) })]);
    await post('/v1/signals/complaints', [complaintRow('M', { openedAt: day(-300), status: 'resolved', resolvedAt: day(-299) })]);
    await post('/v1/signals/spend', [spendRow('L', { occurredAt: day(360), kind: 'payment', amount: '500.00' })]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gives each run its stage: new → growing → mature → declining → at_risk, stored with the score', async () => {
    for (const n of [30, 200, 400, 480]) runs.push(await runScoring(t, { asOf: day(n) }));
    await post('/v1/customers', [{ ...rows.L, monthlyRevenue: revenueFor(0.9) }]);
    runs.push(await runScoring(t, { asOf: day(520) }));
    for (const run of runs) expect(run).toMatchObject({ status: 'succeeded', backfill: false });

    expect(await stages(runs[0]!.id)).toEqual({ L: 'new', M: 'mature' });
    expect(await stages(runs[1]!.id)).toEqual({ L: 'growing', M: 'mature' });
    expect(await stages(runs[2]!.id)).toEqual({ L: 'mature', M: 'mature' });
    expect(await stages(runs[3]!.id)).toEqual({ L: 'declining', M: 'mature' });
    expect(await stages(runs[4]!.id)).toEqual({ L: 'at_risk', M: 'mature', N: 'at_risk' });
    // since: the first run that gave the stage (M has been mature from the first run on)
    expect(await current()).toEqual({
      L: { stage: 'at_risk', since: day(520) },
      M: { stage: 'mature', since: day(30) },
      N: { stage: 'at_risk', since: day(520) },
    });
  });

  it('keys playbook actions by stage: onboarding for the new customer at risk, loyalty for the mature one on watch', async () => {
    const actions = async (id: string) => {
      const res = await get(`/v1/customers/${id}`);
      expect(res.status).toBe(200);
      return (res.body.score.actions as Array<{ key: string }>).map((a) => a.key);
    };
    // N: critical, at_risk with new beneath
    expect((await actions('N'))[0]).toBe('onboarding_call');
    // M: its watch alert (raised on the third watch run) is led by the loyalty reward
    expect((await actions('M'))[0]).toBe('loyalty_reward');
    // L (at risk, declining beneath): neither
    const l = await actions('L');
    expect(l.length).toBeGreaterThan(0);
    expect(l).not.toContain('onboarding_call');
    expect(l).not.toContain('loyalty_reward');
    expect(await actions('M')).not.toContain('onboarding_call');
  });

  it('filters the at-risk list and its CSV by stage, validated, for a manager only its own', async () => {
    await waitForSnapshot(t, runs[4]!.id);
    const ids = async (query: string, role: 'lead' | 'manager' = 'lead') => {
      const res = await get(`/v1/at-risk?${query}`, role);
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ customerId: string; stage: string }>).map((i) => `${i.customerId}:${i.stage}`).sort();
    };
    expect(await ids('')).toEqual(['L:at_risk', 'M:mature', 'N:at_risk']);
    expect(await ids('stage=mature')).toEqual(['M:mature']);
    expect(await ids('stage=at_risk')).toEqual(['L:at_risk', 'N:at_risk']);
    expect(await ids('stage=new,mature&tier=watch')).toEqual(['M:mature']);
    expect(await ids('stage=growing')).toEqual([]);
    // M is am2's: the manager key (am1) sees none of the mature ones
    expect(await ids('stage=mature', 'manager')).toEqual([]);
    expect(await ids('stage=at_risk', 'manager')).toEqual(['L:at_risk', 'N:at_risk']);

    const bad = await get('/v1/at-risk?stage=loyal');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("unknown stage 'loyal'");
    expect(bad.body.errors).toEqual([{ field: 'stage', message: 'expected one of new, growing, mature, declining, at_risk, churned' }]);
    expect((await get('/v1/at-risk.csv?stage=loyal')).status).toBe(400);

    const csv = await get('/v1/at-risk.csv?stage=mature');
    expect(csv.status).toBe(200);
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]!.split(',').at(-1)).toBe('stage');
    expect(lines.slice(1).map((l) => [l.split(',')[0], l.split(',').at(-1)])).toEqual([['M', 'mature']]);
    const all = (await get('/v1/at-risk.csv')).text.trimEnd().split('\n');
    expect(
      all
        .slice(1)
        .map((l) => `${l.split(',')[0]}:${l.split(',').at(-1)}`)
        .sort(),
    ).toEqual(['L:at_risk', 'M:mature', 'N:at_risk']);
  });

  it('marks a churned customer churned on the next live run, and the page shows the stage history', async () => {
    await post('/v1/customers', [{ ...rows.L, monthlyRevenue: revenueFor(0.9), churnedAt: day(540) }]);
    runs.push(await runScoring(t, { asOf: day(550) }));
    expect(runs[5]).toMatchObject({ status: 'succeeded', backfill: false });
    expect(await stages(runs[5]!.id)).toEqual({ M: 'mature', N: 'at_risk' });
    expect((await current()).L).toEqual({ stage: 'churned', since: day(550) });

    const page = await get('/v1/customers/L');
    expect(page.status).toBe(200);
    expect(page.body.lifecycle).toEqual({
      stage: 'churned',
      since: day(550),
      history: [
        { stage: 'churned', from: day(550), to: null },
        { stage: 'at_risk', from: day(520), to: day(550) },
        { stage: 'declining', from: day(480), to: day(520) },
        { stage: 'mature', from: day(400), to: day(480) },
        { stage: 'growing', from: day(200), to: day(400) },
        { stage: 'new', from: day(30), to: day(200) },
      ],
    });
    // the existing fields are still there
    expect(page.body.customer.externalId).toBe('L');
    expect(page.body.history).toHaveLength(5);
    const m = await get('/v1/customers/M');
    expect(m.body.lifecycle).toEqual({ stage: 'mature', since: day(30), history: [{ stage: 'mature', from: day(30), to: null }] });
  });

  it('counts customers, revenue and cost by stage, and transitions per month, manager-scoped', async () => {
    // L's and M's own costs in the period count; L's before it and a pooled cost do not.
    await post('/v1/costs', [
      { externalId: 'k1', category: 'retention', amount: '100.00', occurredAt: day(500), customerId: 'L' },
      { externalId: 'k2', category: 'service', amount: '40.00', occurredAt: day(100), customerId: 'L' },
      { externalId: 'k3', category: 'service', amount: '25.50', occurredAt: day(510), customerId: 'M' },
      { externalId: 'k4', category: 'acquisition', amount: '1000.00', occurredAt: day(500), channel: 'search' },
    ]);
    const summary = async (role: 'lead' | 'manager') => {
      const res = await get(`/v1/metrics/summary?from=${day(150)}&to=${new Date().toISOString()}`, role);
      expect(res.status).toBe(200);
      return res.body.lifecycle;
    };
    const zero = { USD: '0.0000' };
    const none = { customers: 0, annualRevenue: zero, cost: zero };
    const lead = await summary('lead');
    expect(lead.byStage).toEqual({
      new: none,
      growing: none,
      declining: none,
      mature: { customers: 1, annualRevenue: { USD: annual(revenueFor(0.4)) }, cost: { USD: '25.5000' } },
      at_risk: { customers: 1, annualRevenue: { USD: annual(revenueFor(0.9)) }, cost: zero },
      churned: { customers: 1, annualRevenue: { USD: annual(revenueFor(0.9)) }, cost: { USD: '100.0000' } },
    });
    // One change of L per run from day 200 on; M never changes, N's arrival is no transition.
    expect(lead.transitions).toEqual([
      { month: month(day(200)), from: 'new', to: 'growing', customers: 1 },
      { month: month(day(400)), from: 'growing', to: 'mature', customers: 1 },
      { month: month(day(480)), from: 'mature', to: 'declining', customers: 1 },
      { month: month(day(520)), from: 'declining', to: 'at_risk', customers: 1 },
      { month: month(day(550)), from: 'at_risk', to: 'churned', customers: 1 },
    ]);
    const manager = await summary('manager');
    expect(manager.byStage.mature).toEqual(none);
    expect(manager.byStage.churned.customers).toBe(1);
    expect(manager.byStage.at_risk.customers).toBe(1);
    expect(manager.transitions).toEqual(lead.transitions);
  });

  it('a backfill run writes stages to history only; transitions ignore it', async () => {
    const before = await current();
    const backfill = await runScoring(t, { asOf: day(100) });
    expect(backfill).toMatchObject({ status: 'succeeded', backfill: true });
    // L is past new by day 100, and critical: the knob model reads today's monthly revenue.
    expect(await stages(backfill.id)).toEqual({ L: 'at_risk', M: 'mature' });
    expect(await current()).toEqual(before);
    // The history reads every run in as-of order, the backfill's too.
    const page = await get('/v1/customers/L');
    expect(page.body.lifecycle.history.slice(-3)).toEqual([
      { stage: 'growing', from: day(200), to: day(400) },
      { stage: 'at_risk', from: day(100), to: day(200) },
      { stage: 'new', from: day(30), to: day(100) },
    ]);
    const res = await get(`/v1/metrics/summary?from=${day(0)}&to=${new Date().toISOString()}`);
    expect(res.body.lifecycle.transitions).toHaveLength(5);
  });
});

/**
 * The declining rule's edges on one run as of now, for customers a year and more old and in
 * no tier (default model features do not matter: stages read the features themselves).
 * Weekly activity in the 12 weeks (w = 0 oldest … 11 newest) and payments by quarter:
 * - falling: 24, 22, …, 2 (2 × (12 − w)): slope −2 a week on a mean of 13 (trend −0.15), and
 *   the last 30 days well below the 30 before: declining.
 * - levelled: 30 in weeks 0–2, 5 in weeks 3–7, 6 in weeks 8–11: the 12-week trend is down
 *   (slope −321.5 / 143 = −2.25 on a mean of 139 / 12: −0.19), but the fall is over: the last
 *   30 days (weeks 8–11: 24) are 0.96 of the 30 before (weeks 3–7: 25), not below 0.9: mature.
 * - spend75: payments 100 then 75 (−25 %, at the threshold): declining.
 * - spend80: payments 100 then 80 (−20 %): mature.
 */
describe('the declining rule', () => {
  let t: TestApp;
  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();

  beforeAll(async () => {
    t = await startTestApp({}, ALERT_TEST_CONFIG);
    const post = async (path: string, body: object) => {
      const res = await request(t.http).post(path).set('Authorization', `Bearer ${t.keys.admin}`).send(body);
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    };
    const ids = ['falling', 'levelled', 'spend75', 'spend80'];
    await post(
      '/v1/customers',
      ids.map((id) => customerRow({ externalId: id, signupAt: at(800), monthlyRevenue: revenueFor(0.05) })),
    );
    // Week w's events 3.5 days into it: (11 − w) weeks and 3.5 days before now.
    const weekly = (id: string, qty: (w: number) => number) =>
      Array.from({ length: 12 }, (_, w) => activityRow(id, { occurredAt: at((11 - w) * 7 + 3.5), quantity: qty(w) }));
    await post('/v1/signals/activity', [
      ...weekly('falling', (w) => 2 * (12 - w)),
      ...weekly('levelled', (w) => (w <= 2 ? 30 : w <= 7 ? 5 : 6)),
      ...weekly('spend75', () => 5),
      ...weekly('spend80', () => 5),
    ]);
    await post('/v1/signals/spend', [
      spendRow('spend75', { occurredAt: at(120), kind: 'payment', amount: '100.00' }),
      spendRow('spend75', { occurredAt: at(30), kind: 'payment', amount: '75.00' }),
      spendRow('spend80', { occurredAt: at(120), kind: 'payment', amount: '100.00' }),
      spendRow('spend80', { occurredAt: at(30), kind: 'payment', amount: '80.00' }),
    ]);
    await post('/v1/signals/complaints', [complaintRow('falling', { openedAt: at(300), status: 'resolved', resolvedAt: at(299) })]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('takes a sustained fall in activity, or spend down by the threshold, as declining', async () => {
    const run = await runScoring(t, { asOf: new Date(now).toISOString() });
    expect(run).toMatchObject({ status: 'succeeded' });
    const rows = await t.sql<{ external_id: string; stage: string }>(
      `SELECT c.external_id, s.lifecycle_stage AS stage FROM customer_scores s JOIN customers c ON c.id = s.customer_id ORDER BY 1`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.external_id, r.stage]))).toEqual({
      falling: 'declining',
      levelled: 'mature',
      spend75: 'declining',
      spend80: 'mature',
    });
  });
});
