import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { startSmtp, TestSmtp } from '../support/smtp';
import { TestApp, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';
import type { Json } from '../support/json';

const SUPPORT_LEAD = 'support-lead@example.com';
const MANAGERS = ['am1@example.com', 'am2@example.com', 'am3@example.com', 'am4@example.com', 'am5@example.com', 'am6@example.com'];

/**
 * The alert-storm guard with its default settings (more than 10 % of the scored customers
 * and at least 50 alerts): a run whose customers mostly cross into critical, as a first
 * run on a real book under a model made for another book does, spread over several chunks
 * (test chunks are 50 customers) and six managers.
 */
describe('alert-storm guard', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let book: AlertBook;

  beforeAll(async () => {
    smtp = await startSmtp();
    // A generous daily cap: every immediate alert has its outbox row, whatever the day's count.
    t = await startTestApp(
      { SMTP_URL: smtp.url },
      { ...ALERT_TEST_CONFIG, alerts: { ...ALERT_TEST_CONFIG.alerts, perRecipientDailyCap: 1000 } },
    );
    book = new AlertBook(t);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const as = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
  const alertMails = () => smtp.received.filter((m) => !m.subject.startsWith('Alert storm'));
  const stormMails = () => smtp.received.filter((m) => m.subject.startsWith('Alert storm'));
  const metric = async (name: string) => {
    const res = await request(t.http).get('/metrics');
    const line = (res.text as string).split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  const customers = (from: number, to: number, p: number) =>
    Array.from({ length: to - from }, (_, i) => ({ id: `c${from + i}`, p, manager: MANAGERS[(from + i) % MANAGERS.length] }));

  let stormRun: Json;

  it('an ordinary run emails its alerts as before', async () => {
    await book.add(customers(0, 1, 0.9));
    const run = await book.run(1);
    expect(run).toMatchObject({ status: 'succeeded', alertsRaised: 1, storm: null });
    await smtp.waitFor(1);
    expect(alertMails().map((m) => m.to)).toEqual([['am1@example.com']]);
  });

  it('a run raising alerts for most of the book holds them as a storm: recorded, nothing emailed, one email to the admin address', async () => {
    // 99 more customers, 59 of them critical: 59 alerts for 100 customers scored, in 2 chunks.
    await book.add([...customers(1, 60, 0.9), ...customers(60, 100, 0.05)]);
    stormRun = await book.run(2);
    expect(stormRun).toMatchObject({ status: 'succeeded', customersScored: 100, alertsRaised: 59 });
    expect(stormRun.storm).toMatchObject({ status: 'held', alerts: 59, resolvedAt: null });
    expect(stormRun.storm.reason).toMatch(/59 alerts for 100 customers scored/);

    const [notice] = await until('the storm email', async () => (stormMails().length > 0 ? stormMails() : null));
    expect(notice?.to).toEqual([SUPPORT_LEAD]);
    expect(notice?.subject).toContain(`run ${stormRun.id} raised 59 alerts`);
    expect(notice?.text).toContain(`/v1/scoring-runs/${stormRun.id}/release-storm`);
    await sleep(1500); // the dispatcher runs every 100 ms: anything due would have gone
    expect(alertMails()).toHaveLength(1);
    expect(stormMails()).toHaveLength(1);

    // Recorded and visible, held; their emails wait in the outbox; the digest passes them by.
    const alerts = await request(t.http).get('/v1/alerts?status=open&limit=500').set(as('lead'));
    const storm = alerts.body.items.filter((a: { runId: number }) => a.runId === stormRun.id);
    expect(storm).toHaveLength(59);
    for (const a of storm)
      expect(a).toMatchObject({ held: true, heldReason: expect.stringContaining(`alert storm of run ${stormRun.id}`) });
    const outbox = await t.sql<{ status: string; n: number }>(
      `SELECT d.status, count(*)::int AS n FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE a.run_id = $1 GROUP BY 1`,
      [stormRun.id],
    );
    expect(outbox).toEqual([{ status: 'held', n: 59 }]);
    // A lead finds the waiting emails by their delivery status.
    const waiting = await request(t.http).get('/v1/alerts?delivery=held&limit=500').set(as('lead'));
    expect(waiting.status).toBe(200);
    expect(waiting.body.items.map((a: { id: number }) => a.id).sort()).toEqual(storm.map((a: { id: number }) => a.id).sort());
    const digest = await request(t.http).post('/v1/alerts/digest').set(as('admin'));
    expect(digest.body.digests).toEqual([]);

    // Admins are told: the banner's field and /metrics.
    const storms = await request(t.http).get('/v1/scoring-runs/storms').set(as('lead'));
    expect(storms.status).toBe(200);
    expect(storms.body.map((r: { id: number }) => r.id)).toEqual([stormRun.id]);
    expect(await metric('churnwatch_alert_storm_held_runs')).toBe(1);
    expect(await metric('churnwatch_alert_storm_held_alerts')).toBe(59);
    expect(await metric('churnwatch_alert_storms_total')).toBe(1);
  });

  it('a later run leaves a held storm held (it neither releases nor emails its alerts)', async () => {
    const run = await book.run(3);
    expect(run).toMatchObject({ status: 'succeeded', alertsRaised: 0, storm: null });
    await sleep(800);
    expect(alertMails()).toHaveLength(1);
    const held = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE held_for_run_id = $1 AND status = 'open'`, [
      stormRun.id,
    ]);
    expect(held[0]?.n).toBe(59);
  });

  it('only an admin releases it; release sends every alert exactly once', async () => {
    const denied = await request(t.http).post(`/v1/scoring-runs/${stormRun.id}/release-storm`).set(as('scheduler'));
    expect(denied.status).toBe(403);
    const released = await request(t.http).post(`/v1/scoring-runs/${stormRun.id}/release-storm`).set(as('admin'));
    expect(released.status).toBe(200);
    expect(released.body.storm).toMatchObject({ status: 'released', alerts: 59, resolvedBy: expect.stringContaining('admin') });

    await smtp.waitFor(1 + 1 + 59, 30_000);
    const again = await request(t.http).post(`/v1/scoring-runs/${stormRun.id}/release-storm`).set(as('admin'));
    expect(again.status).toBe(409);
    await sleep(1000);
    const sent = alertMails();
    expect(sent).toHaveLength(60);
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(60);
    // each storm customer's manager got one email about that customer (cc the support lead)
    expect(sent.filter((m) => m.cc.includes(SUPPORT_LEAD))).toHaveLength(60);
    expect(stormMails()).toHaveLength(1);
    const alerts = await request(t.http).get('/v1/alerts?status=open&limit=500').set(as('lead'));
    expect(alerts.body.items.filter((a: { held: boolean }) => a.held)).toEqual([]);
    expect(await metric('churnwatch_alert_storm_held_runs')).toBe(0);
    const storms = await request(t.http).get('/v1/scoring-runs/storms').set(as('lead'));
    expect(storms.body).toEqual([]);
  });

  it('a dismissed storm closes its alerts unsent', async () => {
    // The 40 customers below every tier cross into critical, and 20 new ones are critical: 60 alerts for 120 customers.
    await book.add(customers(100, 120, 0.9));
    await book.setRisk(Object.fromEntries(customers(60, 100, 0.9).map((c) => [c.id, 0.9])));
    const before = smtp.received.length;
    const run = await book.run(4);
    expect(run).toMatchObject({ status: 'succeeded', customersScored: 120, alertsRaised: 60 });
    expect(run.storm).toMatchObject({ status: 'held', alerts: 60 });
    await until('the second storm email', async () => stormMails().length === 2 || null);

    const dismissed = await request(t.http).post(`/v1/scoring-runs/${run.id}/dismiss-storm`).set(as('admin'));
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.storm).toMatchObject({ status: 'dismissed' });
    await sleep(1500);
    expect(smtp.received.length).toBe(before + 1);
    const alerts = await t.sql<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM alerts WHERE run_id = $1 GROUP BY 1`,
      [run.id],
    );
    expect(alerts).toEqual([{ status: 'closed', n: 60 }]);
    const outbox = await t.sql<{ status: string; n: number }>(
      `SELECT d.status, count(*)::int AS n FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE a.run_id = $1 GROUP BY 1`,
      [run.id],
    );
    expect(outbox).toEqual([{ status: 'cancelled', n: 60 }]);
    const again = await request(t.http).post(`/v1/scoring-runs/${run.id}/release-storm`).set(as('admin'));
    expect(again.status).toBe(409);
  });
});
