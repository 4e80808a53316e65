import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelledSnapshots } from '../../src/model/labelled-snapshots';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { TestApp, startTestApp } from '../support/test-app';

const DAY = 86_400_000;

describe('alert outcomes: the feedback loop', () => {
  let t: TestApp;
  const ids = new Map<string, number>();
  const auth = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
  const outcome = (customer: string, body: Record<string, unknown>, role: keyof TestApp['keys'] = 'lead') =>
    request(t.http)
      .post(`/v1/alerts/${ids.get(customer)}/outcome`)
      .set(auth(role))
      .send(body);

  beforeAll(async () => {
    t = await startTestApp({}, ALERT_TEST_CONFIG);
    const book = new AlertBook(t);
    await book.add([
      { id: 'kept', manager: 'am1@example.com', p: 0.9 },
      { id: 'lost', manager: 'am1@example.com', p: 0.9 },
      { id: 'wrong', manager: 'am2@example.com', p: 0.9 },
      { id: 'early', manager: 'am2@example.com', p: 0.9 },
      { id: 'pending', manager: 'am2@example.com', p: 0.9 },
    ]);
    await book.run(1);
    const rows = await t.sql<{ id: string; external_id: string }>(
      `SELECT a.id, c.external_id FROM alerts a JOIN customers c ON c.id = a.customer_id`,
    );
    for (const r of rows) ids.set(r.external_id, Number(r.id));
  });
  afterAll(() => t?.close());

  it('outcomes give alert precision by tier and by action, scoped to a manager', async () => {
    expect((await outcome('kept', { outcome: 'retained', action: 'executive_call' })).status).toBe(200);
    expect((await outcome('lost', { outcome: 'churned', action: 'executive_call' })).status).toBe(200);
    expect((await outcome('wrong', { outcome: 'false_alarm', action: 'plan_review' })).status).toBe(200);
    expect((await outcome('early', { outcome: 'churned' })).status).toBe(200);

    const all = await request(t.http).get('/v1/metrics/summary').set(auth('lead'));
    expect(all.status).toBe(200);
    // 3 of 4 alerts with an outcome were about customers really at risk
    expect(all.body.alerts.overall).toMatchObject({ alerts: 5, withOutcome: 4, retained: 1, churned: 2, falseAlarm: 1, precision: 0.75 });
    expect(all.body.alerts.byTier.critical.precision).toBe(0.75);
    expect(all.body.alerts.byAction.executive_call).toMatchObject({ withOutcome: 2, precision: 1 });
    expect(all.body.alerts.byAction.plan_review).toMatchObject({ withOutcome: 1, precision: 0 });
    expect(all.body.alerts.open).toBe(1);
    // Closed by its outcome: acknowledging it now is a conflict (it was acknowledged by the outcome).
    const late = await request(t.http)
      .post(`/v1/alerts/${ids.get('kept')}/acknowledge`)
      .set(auth('lead'));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'conflict' });
    // Prometheus says the same: one alert still open, none acknowledged.
    const metrics = (await request(t.http).get('/metrics')).text;
    expect(metrics).toMatch(/^churnwatch_alerts\{state="open"\} 1$/m);
    expect(metrics).toMatch(/^churnwatch_alerts\{state="acknowledged"\} 0$/m);

    const mine = await request(t.http).get('/v1/metrics/summary').set(auth('manager'));
    expect(mine.body.alerts.overall).toMatchObject({ alerts: 2, withOutcome: 2, precision: 1 });
  });

  it('a churned outcome is a churn label for training, and leaves later snapshots', async () => {
    const asOf = new Date(Date.now() - 30 * DAY);
    // lost churned 10 days after the snapshot; early 10 days before it
    await t.sql(`UPDATE alerts SET outcome_at = $2 WHERE id = $1`, [ids.get('lost'), new Date(asOf.getTime() + 10 * DAY)]);
    await t.sql(`UPDATE alerts SET outcome_at = $2 WHERE id = $1`, [ids.get('early'), new Date(asOf.getTime() - 10 * DAY)]);
    const snapshot = await t.app.get(LabelledSnapshots).build(asOf, 90);
    // five customers; early is gone before the snapshot; lost is its only churner
    expect(snapshot.rows).toBe(4);
    expect(snapshot.positives).toBe(1);
    // outside the horizon it is not a positive
    const short = await t.app.get(LabelledSnapshots).build(asOf, 5);
    expect(short.positives).toBe(0);
  });
});
