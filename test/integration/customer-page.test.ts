import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { activityRow, complaintRow, spendRow } from '../support/factories';
import { TestApp, startTestApp } from '../support/test-app';
import type { Json } from '../support/json';

const DAY = 86_400_000;
/** Monday 00:00 UTC of the week holding t (ISO). */
const weekOf = (t: number): string => {
  const d = new Date(t);
  const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - ((d.getUTCDay() + 6) % 7) * DAY;
  return new Date(monday).toISOString();
};

describe('customer page: score, history, weekly signals, complaints and alerts', () => {
  let t: TestApp;
  let book: AlertBook;
  const auth = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
  const page = (id: string, role: keyof TestApp['keys'] = 'lead') => request(t.http).get(`/v1/customers/${id}`).set(auth(role));
  const post = async (path: string, body: object, role: keyof TestApp['keys'] = 'admin') => {
    const res = await request(t.http).post(path).set(auth(role)).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  // Signals at known instants: two in this week (unless it began less than a minute ago, they
  // are in one bucket), one three weeks back, a complaint two weeks back, money one week back.
  const now = Date.now();
  const at = {
    recent: now - 60_000,
    earlier: now - 120_000,
    weeksAgo3: now - 21 * DAY,
    weeksAgo2: now - 14 * DAY,
    weeksAgo1: now - 7 * DAY,
    old: now - 400 * DAY,
  };

  beforeAll(async () => {
    t = await startTestApp({}, ALERT_TEST_CONFIG);
    book = new AlertBook(t);
    // The book's first customer carries its one signal of each kind; p1 gets the test's own.
    await book.add([
      { id: 'anchor', p: 0.1 },
      { id: 'p1', p: 0.9 },
      { id: 'p2', p: 0.9, manager: 'am2@example.com' },
      { id: 'quiet', p: 0.1 },
    ]);
    const iso = (ms: number) => new Date(ms).toISOString();
    await post('/v1/signals/activity', [
      activityRow('p1', { occurredAt: iso(at.recent), quantity: 5 }),
      activityRow('p1', { occurredAt: iso(at.earlier), quantity: 1 }),
      activityRow('p1', { occurredAt: iso(at.weeksAgo3), quantity: 2 }),
      activityRow('p1', { occurredAt: iso(at.old), quantity: 9 }), // before the 26 weeks shown
    ]);
    await post('/v1/signals/complaints', [
      complaintRow('p1', { externalId: 'cmp-open', openedAt: iso(at.weeksAgo2), severity: 'high', status: 'open', category: 'billing' }),
      complaintRow('p1', {
        externalId: 'cmp-done',
        openedAt: iso(at.weeksAgo2 + 3_600_000),
        severity: 'critical',
        status: 'resolved',
        resolvedAt: iso(at.weeksAgo1),
        satisfaction: 4,
      }),
    ]);
    await post('/v1/signals/spend', [
      spendRow('p1', { occurredAt: iso(at.weeksAgo1), amount: '120.5', kind: 'payment' }),
      spendRow('p1', { occurredAt: iso(at.weeksAgo1 + 60_000), amount: '20', kind: 'refund' }),
      spendRow('p1', { occurredAt: iso(at.weeksAgo1 + 120_000), amount: '140.5', kind: 'invoice' }),
    ]);
  });
  afterAll(() => t?.close());

  it('answers 26 weeks of activity, complaints and money, oldest first, ending with this week', async () => {
    const res = await page('p1');
    expect(res.status).toBe(200);
    const weeks: Array<Json> = res.body.signals.weeks;
    expect(weeks).toHaveLength(26);
    expect(weeks[25]!.weekStart).toBe(weekOf(now));
    expect(weeks[0]!.weekStart).toBe(new Date(Date.parse(weekOf(now)) - 25 * 7 * DAY).toISOString());
    const week = (ms: number) => weeks.find((w) => w.weekStart === weekOf(ms))!;
    const activityTotal = weeks.reduce((s, w) => s + w.activity, 0);
    expect(activityTotal).toBe(8); // 5 + 1 + 2; the 400-day-old event is outside the window
    expect(week(at.recent).activity + (weekOf(at.earlier) === weekOf(at.recent) ? 0 : week(at.earlier).activity)).toBe(6);
    expect(week(at.weeksAgo3).activity).toBe(2);
    expect(week(at.weeksAgo2)).toMatchObject({ complaints: 2, complaintsWeighted: 3 + 5 });
    expect(week(at.weeksAgo1)).toMatchObject({ payments: '120.5000', refunds: '20.0000' });
    const empty = weeks.filter((w) => w.activity === 0 && w.complaints === 0 && w.payments === '0.0000');
    expect(empty.length).toBeGreaterThanOrEqual(26 - 5);
    expect(empty[0]).toMatchObject({ complaintsWeighted: 0, refunds: '0.0000' });
    expect(res.body.signals.lastActivityAt).toBe(new Date(at.recent).toISOString());
    expect(res.body.signals.lastPaymentAt).toBe(new Date(at.weeksAgo1).toISOString());
    expect(res.body.signals.complaints.map((c: { externalId: string }) => c.externalId).slice(0, 2)).toEqual(['cmp-done', 'cmp-open']);
    expect(res.body.signals.complaints[0]).toMatchObject({
      severity: 'critical',
      status: 'resolved',
      satisfaction: 4,
      resolvedAt: new Date(at.weeksAgo1).toISOString(),
    });
  });

  it('shows the score with its history, and the alerts with what was done about them', async () => {
    const first = await book.run(100);
    await book.setRisk({ p1: 0.95 });
    const second = await book.run(110);
    const res = await page('p1');
    expect(res.body.score).toMatchObject({
      runId: second.id,
      tier: 'critical',
      probability: expect.closeTo(0.95, 6),
      previousProbability: expect.closeTo(0.9, 6),
    });
    expect(res.body.history.map((h: { runId: number }) => h.runId)).toEqual([second.id, first.id]);
    const [alert] = res.body.alerts;
    expect(res.body.alerts).toHaveLength(1);
    expect(alert).toMatchObject({ tier: 'critical', status: 'open', outcome: null, acknowledgedAt: null });
    expect(alert.actions.length).toBeGreaterThan(0);
    expect(res.body.score.actions).toEqual(alert.actions);

    await post(`/v1/alerts/${alert.id}/acknowledge`, {}, 'manager');
    await post(`/v1/alerts/${alert.id}/outcome`, { outcome: 'retained', action: alert.actions[0].key, note: 'called them' }, 'manager');
    const after = await page('p1', 'manager');
    expect(after.body.alerts[0]).toMatchObject({
      id: alert.id,
      status: 'closed',
      acknowledgedBy: 'am1@example.com',
      outcome: { outcome: 'retained', action: alert.actions[0].key, note: 'called them', by: 'am1@example.com' },
    });
    expect(after.body.score.actions).toEqual([]); // no open alert any more
  });

  it('gives a customer without signals or scores empty weeks, no score and no alerts', async () => {
    const [{ id }] = await t.sql<{ id: string }>(`SELECT id FROM customers WHERE external_id = 'quiet'`);
    await t.sql(`DELETE FROM customer_scores WHERE customer_id = $1`, [id]);
    await t.sql(`DELETE FROM score_history WHERE customer_id = $1`, [id]);
    const res = await page('quiet');
    expect(res.body).toMatchObject({
      score: null,
      history: [],
      alerts: [],
      signals: { complaints: [], lastActivityAt: null, lastPaymentAt: null },
    });
    expect(
      res.body.signals.weeks.every((w: Record<string, unknown>) => w.activity === 0 && w.complaints === 0 && w.payments === '0.0000'),
    ).toBe(true);
  });

  it('is another manager’s customer: 404 for a manager key, whatever the route', async () => {
    expect((await page('p2', 'manager')).status).toBe(404);
    expect((await page('p2', 'lead')).status).toBe(200);
    expect((await page('nobody', 'lead')).status).toBe(404);
  });
});
