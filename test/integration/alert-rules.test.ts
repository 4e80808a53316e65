import { readdirSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { runScoring } from '../support/scoring';
import { startSmtp, TestSmtp } from '../support/smtp';
import { TestApp, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';
import { activityRow } from '../support/factories';
import { driverGroups } from '../../src/playbooks/driver-groups';
import { allocateBudget, rankActions, SuggestedAction } from '../../src/playbooks/playbook';
import { ValueBands, valueSegmentOf } from '../../src/playbooks/value-segments';
import type { Json } from '../support/json';

/** A customer as POST /v1/customers takes it, read back from the database. */
async function customerRowOf(t: TestApp, externalId: string): Promise<Record<string, unknown>> {
  const [c] = await t.sql<Json>(`SELECT * FROM customers WHERE external_id = $1`, [externalId]);
  return {
    externalId,
    name: c!.name,
    segment: c!.segment,
    monthlyRevenue: c!.monthly_revenue,
    signupAt: c!.signup_at.toISOString(),
    accountManager: { email: c!.account_manager_email, name: c!.account_manager_name },
  };
}

interface AlertRow {
  id: string;
  external_id: string;
  tier: string;
  current_tier: string | null;
  status: string;
  held_reason: string | null;
  needs_digest: boolean;
}

const alertsOf = (t: TestApp, customer: string) =>
  t.sql<AlertRow>(
    `SELECT a.id, c.external_id, a.tier, a.current_tier, a.status, a.held_reason, a.needs_digest
       FROM alerts a JOIN customers c ON c.id = a.customer_id WHERE c.external_id = $1 ORDER BY a.id`,
    [customer],
  );
const eventsOf = async (t: TestApp, alertId: string) =>
  (await t.sql<{ kind: string }>(`SELECT kind FROM alert_events WHERE alert_id = $1 ORDER BY id`, [alertId])).map((e) => e.kind);
const immediateCount = async (t: TestApp, customer: string) =>
  (
    await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id JOIN customers c ON c.id = a.customer_id
        WHERE d.kind = 'immediate' AND c.external_id = $1`,
      [customer],
    )
  )[0]!.n;
const tierOf = async (t: TestApp, customer: string) =>
  (
    await t.sql<{ tier: string | null }>(
      `SELECT s.tier FROM customer_scores s JOIN customers c ON c.id = s.customer_id WHERE c.external_id = $1`,
      [customer],
    )
  )[0]!.tier;

describe('alert rules against alert fatigue', () => {
  let t: TestApp;
  let book: AlertBook;

  beforeAll(async () => {
    // no SMTP_URL: emails are .eml files in the outbox folder (the test app's own)
    t = await startTestApp({}, ALERT_TEST_CONFIG);
    book = new AlertBook(t);
    await book.add([
      { id: 'hover', manager: 'am1@example.com', p: 0.72 },
      { id: 'climber', manager: 'am2@example.com', p: 0.55 },
      { id: 'quiet', manager: 'am2@example.com', p: 0.05 },
    ]);
  });
  afterAll(() => t?.close());

  it('critical is raised at once; high waits for its second run and goes to the digest', async () => {
    const run = await book.run(1);
    expect(run.alertsRaised).toBe(1);
    expect(await alertsOf(t, 'hover')).toMatchObject([{ tier: 'critical', status: 'open', needs_digest: false }]);
    expect(await immediateCount(t, 'hover')).toBe(1);
    expect(await alertsOf(t, 'climber')).toEqual([]); // high needs 2 runs (config/default.yaml)

    await book.setRisk({ hover: 0.69 }); // below 0.70, within the 0.03 hysteresis margin
    const second = await book.run(2);
    expect(second.alertsRaised).toBe(1);
    expect(await alertsOf(t, 'climber')).toMatchObject([{ tier: 'high', needs_digest: true }]);
    expect(await immediateCount(t, 'climber')).toBe(0);
  });

  it('hysteresis keeps a customer hovering at a threshold in its tier: no flapping, no repeat', async () => {
    expect(await tierOf(t, 'hover')).toBe('critical');
    await book.setRisk({ hover: 0.71 });
    await book.run(3);
    const [alert] = await alertsOf(t, 'hover');
    expect(alert).toMatchObject({ tier: 'critical', current_tier: 'critical', status: 'open' });
    expect(await eventsOf(t, alert!.id)).toEqual(['raised']);
    expect(await immediateCount(t, 'hover')).toBe(1);
  });

  it('a higher tier escalates the open alert instead of adding one, and emails at once', async () => {
    await book.setRisk({ climber: 0.9, hover: 0.66 }); // hover falls below 0.70 − 0.03
    const run = await book.run(4);
    expect(run.alertsRaised).toBe(1);
    const climber = await alertsOf(t, 'climber');
    expect(climber).toHaveLength(1);
    expect(climber[0]).toMatchObject({ tier: 'critical', current_tier: 'critical' });
    expect(await eventsOf(t, climber[0]!.id)).toEqual(['raised', 'escalated']);
    expect(await immediateCount(t, 'climber')).toBe(1);
    // the escalated alert says what changed since the previous score: revenue, 55 % → 90 %
    const [{ changes }] = await t.sql<{ changes: Array<{ key: string; text: string; probabilityEffect: number }> }>(
      `SELECT changes FROM alerts WHERE id = $1`,
      [climber[0]!.id],
    );
    expect(changes[0]).toMatchObject({ key: 'monthly_revenue', probabilityEffect: 0.35 });
    expect(changes[0]!.text).toMatch(/raised the risk by 35 points since the previous score/);
  });

  it('falling back and recovering are recorded on the alert, never emailed; recovery closes it', async () => {
    const [hover] = await alertsOf(t, 'hover');
    expect(hover).toMatchObject({ tier: 'critical', current_tier: 'high', status: 'open' });
    await book.setRisk({ hover: 0.1 });
    await book.run(5);
    const [closed] = await alertsOf(t, 'hover');
    expect(closed).toMatchObject({ status: 'closed', current_tier: null });
    expect(await eventsOf(t, closed!.id)).toEqual(['raised', 'deescalated', 'recovered']);
    expect(await immediateCount(t, 'hover')).toBe(1);
  });

  it('the cooldown stops a second alert for the same tier until it has passed', async () => {
    await book.setRisk({ hover: 0.8 });
    await book.run(6); // 5 days after the critical alert of day 1: inside the 7-day cooldown
    expect(await alertsOf(t, 'hover')).toHaveLength(1);
    await book.run(9); // 8 days after
    const alerts = await alertsOf(t, 'hover');
    expect(alerts).toHaveLength(2);
    expect(alerts[1]).toMatchObject({ tier: 'critical', status: 'open' });
    expect(await immediateCount(t, 'hover')).toBe(2);
  });

  it('emails without SMTP_URL land as .eml files in the outbox folder', async () => {
    const emlFiles = () => readdirSync(t.config.email.outboxDir).filter((f) => f.endsWith('.eml'));
    await until('3 .eml files', async () => emlFiles().length >= 3);
    const files = emlFiles();
    expect(files).toHaveLength(3); // hover twice, climber once
    const sent = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM alert_deliveries WHERE status = 'sent'`);
    expect(sent[0]!.n).toBe(3);
  });

  it('preview answers tiers and would-be alerts for candidate thresholds, raising nothing', async () => {
    const before = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM alerts`);
    const res = await request(t.http)
      .post('/v1/thresholds/preview')
      .set('Authorization', `Bearer ${t.keys.lead}`)
      .send({
        tiers: [
          { name: 'critical', minProbability: 0.95 },
          { name: 'high', minProbability: 0.6 },
          { name: 'watch', minProbability: 0.01 },
        ],
        rules: { high: { confirmRuns: 1, cooldownDays: 0 }, watch: { confirmRuns: 1, cooldownDays: 0 } },
      });
    expect(res.status).toBe(200);
    // hover 0.8 and climber 0.9 are "high" under these thresholds, quiet 0.05 "watch"
    expect(res.body.customers).toBe(3);
    expect(res.body.tiers).toEqual({ critical: 0, high: 2, watch: 1, none: 0 });
    // both high customers already have a critical alert open: only quiet would be alerted
    expect(res.body.alerts.byTier).toEqual({ high: 0, watch: 1 });
    expect(res.body.alerts.sample).toMatchObject([{ customerId: 'quiet', tier: 'watch', kind: 'raise' }]);
    expect((await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM alerts`))[0]!.n).toBe(before[0]!.n);

    const bad = await request(t.http)
      .post('/v1/thresholds/preview')
      .set('Authorization', `Bearer ${t.keys.lead}`)
      .send({
        tiers: [
          { name: 'critical', minProbability: 0.5 },
          { name: 'high', minProbability: 0.7 },
        ],
      });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/decreasing/);
    expect((await request(t.http).post('/v1/thresholds/preview').set('Authorization', `Bearer ${t.keys.manager}`).send({})).status).toBe(
      403,
    );
  });
});

describe('daily caps, the retention budget and stale runs', () => {
  let t: TestApp;
  let book: AlertBook;

  beforeAll(async () => {
    t = await startTestApp(
      {},
      {
        ...ALERT_TEST_CONFIG,
        alerts: { ...ALERT_TEST_CONFIG.alerts, perRecipientDailyCap: 1 },
        playbooks: { budget: { period: 'month', amount: 450 } },
        scoring: { staleAfterHours: { activity: 24, complaints: 1e7, spend: 1e7 } },
      },
    );
    book = new AlertBook(t);
    await book.add([
      { id: 'big', manager: 'am3@example.com', p: 0.9 },
      { id: 'mid', manager: 'am3@example.com', p: 0.85 },
      { id: 'small', manager: 'am3@example.com', p: 0.8 },
      { id: 'other', manager: 'am4@example.com', p: 0.75 },
    ]);
  });
  afterAll(() => t?.close());

  it('a run on stale signals records its alerts as held and sends nothing', async () => {
    const run = await book.run(1); // the newest activity is weeks older than this run
    expect(run.stale).toEqual(['activity']);
    const held = await t.sql<AlertRow>(`SELECT held_reason, needs_digest FROM alerts`);
    expect(held).toHaveLength(4);
    for (const a of held) expect(a).toMatchObject({ held_reason: 'stale signals: activity', needs_digest: false });
    expect(await t.sql(`SELECT 1 FROM alert_deliveries`)).toEqual([]);
    const view = await request(t.http).get('/v1/alerts').set('Authorization', `Bearer ${t.keys.lead}`);
    expect(view.body.items[0]).toMatchObject({ held: true, heldReason: 'stale signals: activity' });
  });

  it('a fresh run releases held alerts; a manager over the daily cap gets the rest in the digest', async () => {
    const res = await request(t.http)
      .post('/v1/signals/activity')
      .set('Authorization', `Bearer ${t.keys.admin}`)
      .send([activityRow('other', { occurredAt: new Date(Date.now() - 60_000).toISOString() })]);
    expect(res.status).toBe(200);
    const run = await runScoring(t); // as of now: fresh
    expect(run.stale).toEqual([]);
    const alerts = await t.sql<{ external_id: string; held_reason: string | null; needs_digest: boolean; immediate: boolean }>(
      `SELECT c.external_id, a.held_reason, a.needs_digest, a.immediate_at IS NOT NULL AS immediate
         FROM alerts a JOIN customers c ON c.id = a.customer_id ORDER BY c.external_id`,
    );
    expect(alerts.every((a) => a.held_reason === null)).toBe(true);
    // am3 may get one immediate email a day: the largest value at risk (big); mid and small overflow
    expect(alerts.map((a) => [a.external_id, a.immediate, a.needs_digest])).toEqual([
      ['big', true, false],
      ['mid', false, true],
      ['other', true, false],
      ['small', false, true],
    ]);
    const overflow = await t.sql(`SELECT 1 FROM alert_events WHERE kind = 'overflow'`);
    expect(overflow).toHaveLength(2);
    const released = await t.sql(`SELECT 1 FROM alert_events WHERE kind = 'released'`);
    expect(released).toHaveLength(4);
  });

  it('the digest goes to the account manager the customer has now', async () => {
    // mid's book moved to another manager after its alert was raised
    const moved = await request(t.http)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${t.keys.admin}`)
      .send([{ ...(await customerRowOf(t, 'mid')), accountManager: { email: 'am9@example.com', name: 'New Manager' } }]);
    expect(moved.status).toBe(200);
    const res = await request(t.http).post('/v1/alerts/digest').set('Authorization', `Bearer ${t.keys.admin}`);
    expect(res.body.digests).toEqual([
      { recipient: 'am3@example.com', alerts: 1 },
      { recipient: 'am9@example.com', alerts: 1 },
    ]);
  });

  it('the retention budget limits costly actions, highest expected saving first', async () => {
    const rows = await t.sql<{
      external_id: string;
      probability: number;
      monthly_revenue: string;
      tier: string;
      drivers: Array<{ key: string }>;
      actions: SuggestedAction[];
      value_bands: ValueBands;
    }>(
      `SELECT c.external_id, a.probability, c.monthly_revenue, a.tier, a.drivers, a.actions, r.value_bands
         FROM alerts a JOIN customers c ON c.id = a.customer_id JOIN scoring_runs r ON r.id = a.run_id ORDER BY a.id`,
    );
    const playbooks = t.config.playbooks;
    const ranked = rows.map((r) => ({
      id: r.external_id,
      ranked: rankActions(
        {
          probability: r.probability,
          value: 12 * Number(r.monthly_revenue),
          tier: r.tier,
          valueSegment: valueSegmentOf(Number(r.monthly_revenue), r.value_bands),
          driverGroups: driverGroups(r.drivers),
        },
        playbooks.actions,
      ),
    }));
    // what the playbook would suggest with money to spare costs more than the 450 budget
    const unlimited = allocateBudget(ranked, Infinity, playbooks.actionsPerAlert);
    expect(unlimited.spent).toBeGreaterThan(450);
    // what was stored is the budgeted choice: highest expected saving first while it fits
    const budgeted = allocateBudget(ranked, 450, playbooks.actionsPerAlert);
    expect(Object.fromEntries(rows.map((r) => [r.external_id, r.actions]))).toEqual(Object.fromEntries(budgeted.actions));
    expect(budgeted.spent).toBeLessThanOrEqual(450);
    const [budget] = await t.sql<{ spent: string; amount: string }>(`SELECT spent, amount FROM retention_budget`);
    expect(Number(budget!.spent)).toBeCloseTo(budgeted.spent, 2);
    expect(Number(budget!.amount)).toBe(450);
  });
});

describe('escalation of unacknowledged critical alerts', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let book: AlertBook;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp(
      { SMTP_URL: smtp.url },
      {
        ...ALERT_TEST_CONFIG,
        alerts: {
          escalation: [
            { afterMinutes: 0.04, to: 'supportLead' },
            { afterMinutes: 0.08, to: 'cs-director@example.com' },
          ],
        },
      },
    );
    book = new AlertBook(t);
    await book.add([
      { id: 'ignored', manager: 'am1@example.com', p: 0.9 },
      { id: 'handled', manager: 'am2@example.com', p: 0.9 },
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('goes to the support lead, then to the further address; an acknowledged alert stops its chain', async () => {
    await book.run(1);
    const [handled] = await alertsOf(t, 'handled');
    const ack = await request(t.http).post(`/v1/alerts/${handled!.id}/acknowledge`).set('Authorization', `Bearer ${t.keys.lead}`);
    expect(ack.status).toBe(200);
    const mails = await smtp.waitFor(4, 30_000);
    await sleep(1000); // nothing more is coming
    expect(smtp.received).toHaveLength(4);
    const byRecipient = mails
      .map((m) => `${m.to.join(',')}: ${/ESCALATION \d|CRITICAL/.exec(m.subject)?.[0]} ${/Customer \w+/.exec(m.subject)?.[0]}`)
      .sort();
    expect(byRecipient).toEqual([
      'am1@example.com: CRITICAL Customer ignored',
      'am2@example.com: CRITICAL Customer handled',
      'cs-director@example.com: ESCALATION 2 Customer ignored',
      'support-lead@example.com: ESCALATION 1 Customer ignored',
    ]);
    const escalation = mails.find((m) => m.to[0] === 'support-lead@example.com')!;
    expect(escalation.text).toMatch(/not acknowledged/i);
  });
});
