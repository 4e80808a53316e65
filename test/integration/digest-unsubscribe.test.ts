import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckLinks } from '../../src/alerts/delivery/ack-links';
import { DigestService } from '../../src/alerts/delivery/digest.service';
import { until } from '../support/wait';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { startSmtp, TestSmtp } from '../support/smtp';
import { TestApp, startTestApp } from '../support/test-app';

/** The digest's one-click unsubscribe (RFC 8058): the link, the header, and what stops. */
describe('stopping the daily digest from its email', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let book: AlertBook;
  let link: string;
  const auth = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
  const digest = () => request(t.http).post('/v1/alerts/digest').set(auth('admin'));

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp({ SMTP_URL: smtp.url, CHURNWATCH_PUBLIC_URL: 'https://churnwatch.example.com' }, ALERT_TEST_CONFIG);
    book = new AlertBook(t);
    await book.add([
      { id: 'globex', manager: 'am2@example.com', p: 0.6 },
      { id: 'initech', manager: 'am3@example.com', p: 0.6 },
    ]);
    // High alerts wait for their second run, then go to the digest.
    await book.run(1);
    await book.run(2);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('carries List-Unsubscribe and List-Unsubscribe-Post headers and a link in both parts', async () => {
    expect((await digest()).body.digests).toEqual([
      { recipient: 'am2@example.com', alerts: 1 },
      { recipient: 'am3@example.com', alerts: 1 },
    ]);
    const mails = await smtp.waitFor(2);
    const mail = mails.find((m) => m.to[0] === 'am2@example.com')!;
    // mailparser reads the List-* headers into one "list" entry (it parses <url> and the one-click flag).
    const list = mail.headers.get('list') as { unsubscribe?: { url?: string }; 'unsubscribe-post'?: { name?: string } };
    const url = list.unsubscribe?.url;
    expect(url).toMatch(/^https:\/\/churnwatch\.example\.com\/unsubscribe\/[A-Za-z0-9_.-]+$/);
    expect(list['unsubscribe-post']?.name).toBe('List-Unsubscribe=One-Click');
    expect(mail.text).toContain(url);
    expect(mail.html).toContain(url);
    link = url!.replace('https://churnwatch.example.com', '');
  });

  it('GET only asks (a mail scanner changes nothing); a one-click POST stops it, and again changes nothing', async () => {
    const page = await request(t.http).get(link);
    expect(page.status).toBe(200);
    expect(page.text).toContain('method="post"');
    expect(page.text).toContain('am2@example.com');
    expect(await t.sql(`SELECT recipient FROM digest_opt_outs`)).toEqual([]);
    for (let i = 0; i < 2; i++) {
      // What a mail client sends for one-click unsubscribe.
      const res = await request(t.http).post(link).type('form').send('List-Unsubscribe=One-Click');
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/digest stopped/i);
    }
    expect(await t.sql(`SELECT recipient FROM digest_opt_outs`)).toEqual([{ recipient: 'am2@example.com' }]);
  });

  it('refuses a tampered link or an acknowledge token passed as one, storing nothing', async () => {
    const tampered = link.slice(0, -2) + (link.endsWith('AA') ? 'BB' : 'AA');
    expect((await request(t.http).post(tampered)).status).toBe(400);
    const [alert] = await t.sql<{ id: string }>(`SELECT id FROM alerts ORDER BY id LIMIT 1`);
    const ackLink = (await t.app.get(AckLinks).url(Number(alert!.id))).replace('https://churnwatch.example.com/ack', '/unsubscribe');
    expect((await request(t.http).post(ackLink)).status).toBe(400);
    expect(await t.sql(`SELECT recipient FROM digest_opt_outs`)).toEqual([{ recipient: 'am2@example.com' }]);
  });

  it('skips the stopped manager in later digests, until a lead turns it back on', async () => {
    // A new customer of each manager at high risk: its alert is due in the next digest.
    await book.add([
      { id: 'hooli', manager: 'am2@example.com', p: 0.6 },
      { id: 'soylent', manager: 'am3@example.com', p: 0.6 },
    ]);
    await book.run(3);
    await book.run(4);
    expect((await digest()).body.digests).toEqual([{ recipient: 'am3@example.com', alerts: 1 }]);
    const listed = await request(t.http).get('/v1/digest-opt-outs').set(auth('lead'));
    expect(listed.body.items).toEqual([{ recipient: 'am2@example.com', optedOutAt: expect.any(String) }]);
    expect((await request(t.http).get('/v1/digest-opt-outs').set(auth('manager'))).status).toBe(403);

    expect((await request(t.http).delete('/v1/digest-opt-outs/am2@example.com').set(auth('lead'))).status).toBe(204);
    expect((await request(t.http).delete('/v1/digest-opt-outs/am2@example.com').set(auth('lead'))).status).toBe(404);
    // The alert that waited goes out in the next digest: the scheduled one, built by a worker from the job its cron enqueues.
    await t.app.get(DigestService).enqueue('2030-01-01');
    await until('the digest job to build the digest', async () => {
      const rows = await t.sql(
        `SELECT 1 FROM alert_deliveries WHERE kind = 'digest' AND idempotency_key = 'digest:am2@example.com:2030-01-01'`,
      );
      return rows.length === 1;
    });
    const [attached] = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM alerts a JOIN alert_deliveries d ON d.id = a.digest_delivery_id WHERE d.idempotency_key = 'digest:am2@example.com:2030-01-01'`,
    );
    expect(attached!.n).toBe(1);
  });
});
