import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckLinks } from '../../src/alerts/delivery/ack-links';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { startSmtp, TestSmtp } from '../support/smtp';
import { TestApp, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';

describe('alert emails through the outbox, the queue and a real SMTP server', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let book: AlertBook;
  const auth = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
  let criticalAlertId: number;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp(
      { SMTP_URL: smtp.url, CHURNWATCH_PUBLIC_URL: 'https://churnwatch.example.com' },
      {
        ...ALERT_TEST_CONFIG,
        alerts: {
          ...ALERT_TEST_CONFIG.alerts,
          rules: {
            critical: { confirmRuns: 1, confirmDays: null, cooldownDays: 7 },
            high: { confirmRuns: 1, confirmDays: null, cooldownDays: 14 },
            watch: { confirmRuns: 1, confirmDays: null, cooldownDays: 30 },
          },
        },
      },
    );
    book = new AlertBook(t);
    await book.add([
      { id: 'acme', manager: 'am1@example.com', p: 0.85 },
      { id: 'globex', manager: 'am2@example.com', p: 0.6 },
      { id: 'initech', manager: 'am2@example.com', p: 0.4 },
      { id: 'umbrella', manager: 'am2@example.com', p: 0.62 },
      { id: 'calm', manager: 'am1@example.com', p: 0.05 },
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('a critical alert reaches its account manager at once, cc the support lead, with drivers and actions in both parts', async () => {
    const run = await book.run(1);
    expect(run.status).toBe('succeeded');
    expect(run.alertsRaised).toBe(4); // acme critical; globex, umbrella high; initech watch
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toEqual(['am1@example.com']);
    expect(mail!.cc).toEqual(['support-lead@example.com']);
    expect(mail!.subject).toMatch(/CRITICAL/);
    expect(mail!.subject).toContain('Customer acme');
    // Machine-sent (RFC 3834): no out-of-office replies come back to it.
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');
    for (const part of [mail!.text, mail!.html]) {
      expect(part).toContain('85 %'); // probability
      expect(part).toMatch(/monthly revenue \d/i); // the driver, as a sentence
      expect(part).toMatch(/executive sponsor|plan review/i); // a ranked action
      expect(part).toContain('https://churnwatch.example.com/ack/');
    }
    const [delivery] = await t.sql<{ message_id: string; status: string; alert_id: string }>(
      `SELECT message_id, status, alert_id FROM alert_deliveries WHERE kind = 'immediate'`,
    );
    await until('delivery recorded', async () => (await t.sql(`SELECT 1 FROM alert_deliveries WHERE status = 'sent'`)).length > 0);
    expect(mail!.messageId).toBe(delivery!.message_id);
    criticalAlertId = Number(delivery!.alert_id);
    // only the critical one went out at once; the others wait for the digest
    await sleep(300);
    expect(smtp.received).toHaveLength(1);
  });

  it('the alert stores probability, value at risk, drivers, changes and ranked actions', async () => {
    const res = await request(t.http).get(`/v1/alerts/${criticalAlertId}`).set(auth('lead'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ customerId: 'acme', tier: 'critical', status: 'open', held: false });
    expect(res.body.probability).toBeCloseTo(0.85, 6);
    // value at risk = probability × 12 × monthly revenue
    const revenue = (5 + Math.log(0.85 / 0.15)) / 0.01;
    expect(Number(res.body.valueAtRisk)).toBeCloseTo(0.85 * 12 * revenue, 2);
    expect(res.body.drivers[0]).toMatchObject({ key: 'monthly_revenue' });
    expect(res.body.actions.length).toBeGreaterThan(0);
    const savings = res.body.actions.map((a: { expectedSaving: number }) => a.expectedSaving);
    expect(savings).toEqual([...savings].sort((a, b) => b - a));
    expect(res.body.deliveries[0]).toMatchObject({ kind: 'immediate', status: 'sent', attempts: 1, recipient: 'am1@example.com' });
    expect(res.body.events.map((e: { kind: string }) => e.kind)).toEqual(['raised']);
    // the customer page shows the open alert's ranked actions with its score
    const page = await request(t.http).get('/v1/customers/acme').set(auth('lead'));
    expect(page.body.score.actions).toEqual(res.body.actions);
  });

  it('the daily digest gives each manager one email with their other alerts, largest value at risk first', async () => {
    const res = await request(t.http).post('/v1/alerts/digest').set(auth('admin'));
    expect(res.status).toBe(200);
    expect(res.body.digests).toEqual([{ recipient: 'am2@example.com', alerts: 3 }]);
    const mails = await smtp.waitFor(2);
    const digest = mails[1]!;
    expect(digest.to).toEqual(['am2@example.com']);
    expect(digest.subject).toMatch(/digest/i);
    expect(digest.headers.get('auto-submitted')).toBe('auto-generated');
    // umbrella (p 0.62, larger revenue) before globex (0.6) before initech (0.4)
    const order = ['umbrella', 'globex', 'initech'].map((id) => digest.text.indexOf(`Customer ${id}`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(digest.html).toContain('Customer initech');
    // building it again sends nothing new: every alert is in a digest already
    const again = await request(t.http).post('/v1/alerts/digest').set(auth('admin'));
    expect(again.body.digests).toEqual([]);
  });

  it('the acknowledge link: GET only shows a confirmation page, POST acknowledges once', async () => {
    const link = /https:\/\/churnwatch\.example\.com(\/ack\/[A-Za-z0-9_.-]+)/.exec(smtp.received[0]!.text)![1]!;
    const page = await request(t.http).get(link);
    expect(page.status).toBe(200);
    expect(page.text).toContain('method="post"');
    expect(page.text).not.toMatch(/<script/i);
    // a prefetching mail scanner changed nothing
    expect((await request(t.http).get(`/v1/alerts/${criticalAlertId}`).set(auth('lead'))).body.status).toBe('open');

    const first = await request(t.http).post(link);
    expect(first.status).toBe(200);
    expect(first.text).toMatch(/acknowledged/i);
    const alert = (await request(t.http).get(`/v1/alerts/${criticalAlertId}`).set(auth('lead'))).body;
    expect(alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'email link' });
    expect(alert.events.map((e: { kind: string }) => e.kind)).toEqual(['raised', 'acknowledged']);

    const second = await request(t.http).post(link);
    expect(second.status).toBe(409);
    expect(second.text).toMatch(/already acknowledged/i);

    // Closed by its outcome afterwards: the link still answers its page (not a JSON error), both ways.
    const outcome = await request(t.http).post(`/v1/alerts/${criticalAlertId}/outcome`).set(auth('lead')).send({ outcome: 'retained' });
    expect(outcome.status).toBe(200);
    for (const late of [await request(t.http).get(link), await request(t.http).post(link)]) {
      expect(late.status).toBe(409);
      expect(late.headers['content-type']).toMatch(/^text\/html/);
      expect(late.text).toMatch(/already acknowledged/i);
    }
  });

  it('a tampered or expired link is refused', async () => {
    const links = t.app.get(AckLinks);
    const good = (await links.url(criticalAlertId)).replace('https://churnwatch.example.com', '');
    const tampered = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    const refused = await request(t.http).post(tampered);
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/not valid/i);
    const [other] = await t.sql<{ id: string }>(`SELECT id FROM alerts WHERE id <> $1 ORDER BY id LIMIT 1`, [criticalAlertId]);
    const expired = (await links.url(Number(other!.id), new Date(Date.now() - 1000 * 3_600_000))).replace(
      'https://churnwatch.example.com',
      '',
    );
    const late = await request(t.http).post(expired);
    expect(late.status).toBe(410);
    expect(late.text).toMatch(/expired/i);
    const [row] = await t.sql<{ status: string }>(`SELECT status FROM alerts WHERE id = $1`, [other!.id]);
    expect(row!.status).toBe('open');
  });

  it('a manager lists only their own alerts; a lead lists all and filters', async () => {
    const mine = await request(t.http).get('/v1/alerts').set(auth('manager'));
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((a: { customerId: string }) => a.customerId)).toEqual(['acme']);
    const other = (
      await t.sql<{ id: string }>(`SELECT a.id FROM alerts a JOIN customers c ON c.id = a.customer_id WHERE c.external_id = 'globex'`)
    )[0]!;
    expect((await request(t.http).get(`/v1/alerts/${other.id}`).set(auth('manager'))).status).toBe(404);
    expect((await request(t.http).post(`/v1/alerts/${other.id}/acknowledge`).set(auth('manager'))).status).toBe(404);

    const all = await request(t.http).get('/v1/alerts?limit=2').set(auth('lead'));
    expect(all.body.items).toHaveLength(2);
    const rest = await request(t.http).get(`/v1/alerts?limit=2&cursor=${all.body.nextCursor}`).set(auth('lead'));
    const ids = [...all.body.items, ...rest.body.items].map((a: { id: number }) => a.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a)); // newest first, no overlap
    expect(new Set(ids).size).toBe(4);
    expect(rest.body.nextCursor).toBeNull();
    const high = await request(t.http).get('/v1/alerts?tier=high&manager=am2@example.com').set(auth('lead'));
    expect(high.body.items.map((a: { customerId: string }) => a.customerId).sort()).toEqual(['globex', 'umbrella']);
    expect((await request(t.http).get('/v1/alerts?status=bogus').set(auth('lead'))).status).toBe(400);
  });

  it('an outcome with the action taken closes the alert', async () => {
    const res = await request(t.http)
      .post(`/v1/alerts/${criticalAlertId}/outcome`)
      .set(auth('manager'))
      .send({ outcome: 'retained', action: 'executive_call', note: 'renewed for 2 years' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'closed', outcome: { outcome: 'retained', action: 'executive_call', by: 'am1@example.com' } });
    const bad = await request(t.http).post(`/v1/alerts/${criticalAlertId}/outcome`).set(auth('lead')).send({ outcome: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('outcome');
  });
});
