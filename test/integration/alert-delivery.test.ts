import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutboxDispatcher } from '../../src/alerts/delivery/outbox-dispatcher';
import { QueueName } from '../../src/jobs/job-catalogue';
import { JobQueue } from '../../src/jobs/job-queue.service';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { freePort } from '../support/net';
import { startSmtp, TestSmtp } from '../support/smtp';
import { TestApp, startPeer, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';
import { WorkerProcesses } from '../support/workers';

const countBy = <T>(items: T[], key: (x: T) => string) => {
  const out = new Map<string, number>();
  for (const x of items) out.set(key(x), (out.get(key(x)) ?? 0) + 1);
  return out;
};

describe('email delivery when parts fail', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let book: AlertBook;
  let day = 0;
  const peers: INestApplication[] = [];
  const logFile = join(mkdtempSync(join(tmpdir(), 'cw-delivery-log-')), 'service.log');
  const config = {
    ...ALERT_TEST_CONFIG,
    alerts: { ...ALERT_TEST_CONFIG.alerts, perRecipientDailyCap: 1000 },
    logging: { level: 'warn', file: logFile },
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp({ SMTP_URL: smtp.url }, config);
    book = new AlertBook(t);
  });
  afterAll(async () => {
    for (const p of peers) await p.close();
    await t?.close();
    await smtp?.close();
  });

  const critical = async (ids: string[], manager = 'am1@example.com') => {
    await book.add(ids.map((id) => ({ id, manager, p: 0.9 })));
    const run = await book.run(++day);
    expect(run.alertsRaised).toBe(ids.length);
  };
  const deliveryOf = async (customer: string) =>
    (
      await t.sql<{ status: string; attempts: number; last_error: string | null; message_id: string }>(
        `SELECT d.status, d.attempts, d.last_error, d.message_id FROM alert_deliveries d
           JOIN alerts a ON a.id = d.alert_id JOIN customers c ON c.id = a.customer_id WHERE c.external_id = $1`,
        [customer],
      )
    )[0]!;

  it('an SMTP server refusing mail gets retries with backoff, then the email is failed and visible in the API', async () => {
    smtp.onMessage = (mail) => {
      if (mail.to.includes('refuse@example.com')) throw new Error('mailbox unavailable');
    };
    await critical(['refused'], 'refuse@example.com');
    await until('failed', async () => (await deliveryOf('refused')).status === 'failed');
    const d = await deliveryOf('refused');
    expect(d.attempts).toBe(3); // config/test.yaml delivery.attempts
    expect(d.last_error).toMatch(/mailbox unavailable/);
    const listed = await request(t.http).get('/v1/alerts?delivery=failed').set('Authorization', `Bearer ${t.keys.lead}`);
    expect(listed.body.items.map((a: { customerId: string }) => a.customerId)).toEqual(['refused']);
    expect(listed.body.items[0].deliveries[0]).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastError: expect.stringMatching(/mailbox/),
    });
    await sleep(500); // the dispatcher does not pick a failed email up again
    expect((await deliveryOf('refused')).attempts).toBe(3);
    smtp.onMessage = null;
  });

  it("recipients the SMTP server refuses: the server's answer stays with the email, and no address reaches the logs", async () => {
    const refused: string[] = [];
    // Every recipient of the email (the manager and whoever is copied) is unknown to the server.
    smtp.refuseRecipient = (address) => {
      refused.push(address);
      return `5.1.1 <${address}>: Recipient address rejected: User unknown`;
    };
    try {
      await critical(['unknown-mailbox'], 'gone@example.com');
      await until('failed', async () => (await deliveryOf('unknown-mailbox')).status === 'failed');
    } finally {
      smtp.refuseRecipient = null;
    }
    expect(refused).toContain('gone@example.com');
    expect((await deliveryOf('unknown-mailbox')).last_error).toMatch(/all recipients were rejected: 550 5\.1\.1 <[^>]+@example\.com>/);
    const log = readFileSync(logFile, 'utf8');
    // The retries and the final failure were logged, with the server's words but not the addresses.
    expect(log).toMatch(/giving up: .*Recipient address rejected/);
    expect(log).toContain('<[email]>');
    for (const address of new Set(refused)) expect(log).not.toContain(address);
  });

  it('a recipient refused while the others take the email: sent once, and the refused address is shown with it', async () => {
    smtp.refuseRecipient = (address) =>
      address === 'moved@example.com' ? `5.1.1 <${address}>: Recipient address rejected: User unknown` : null;
    const before = smtp.received.length;
    try {
      await critical(['half-delivered'], 'moved@example.com');
      await until('sent', async () => (await deliveryOf('half-delivered')).status === 'sent');
    } finally {
      smtp.refuseRecipient = null;
    }
    const [mail] = await smtp.waitFor(before + 1).then((all) => all.slice(before));
    expect(mail!.cc).toContain('support-lead@example.com');
    const d = await deliveryOf('half-delivered');
    expect(d).toMatchObject({ status: 'sent', attempts: 1, last_error: 'sent, but the mail server refused moved@example.com' });
    const listed = await request(t.http).get('/v1/alerts?customerId=half-delivered').set('Authorization', `Bearer ${t.keys.lead}`);
    expect(listed.status).toBe(200);
    const item = listed.body.items.find((a: { customerId: string }) => a.customerId === 'half-delivered');
    expect(item.deliveries[0]).toMatchObject({ status: 'sent', lastError: 'sent, but the mail server refused moved@example.com' });
  });

  it('with the queue stopped, alerts wait and all go out once it is back', async () => {
    const queue = t.app.get(JobQueue).queue(QueueName.Alerts);
    await queue.pause();
    const before = smtp.received.length;
    await critical(['p1', 'p2', 'p3', 'p4', 'p5']);
    await sleep(500);
    expect(smtp.received.length).toBe(before);
    const waiting = await t.sql<{ status: string }>(
      `SELECT d.status FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id JOIN customers c ON c.id = a.customer_id
        WHERE c.external_id LIKE 'p_'`,
    );
    expect(waiting.map((w) => w.status)).toEqual(['queued', 'queued', 'queued', 'queued', 'queued']);
    await queue.resume();
    await smtp.waitFor(before + 5);
    await sleep(300);
    expect(smtp.received.length).toBe(before + 5);
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) expect((await deliveryOf(id)).status).toBe('sent');
  });

  it('two dispatchers and a worker restarted mid-way send every alert exactly once', async () => {
    const queue = t.app.get(JobQueue).queue(QueueName.Alerts);
    await queue.pause();
    const before = smtp.received.length;
    const ids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    await critical(ids);
    const peer = await startPeer(t, { SMTP_URL: smtp.url }, config);
    peers.push(peer);
    // both processes' timers run too; these passes race them on purpose
    await Promise.all([
      t.app.get(OutboxDispatcher).dispatch(),
      peer.get(OutboxDispatcher).dispatch(),
      peer.get(OutboxDispatcher).dispatch(),
    ]);
    await queue.resume();
    await smtp.waitFor(before + 10);
    await peer.close(); // drains its in-flight sends and stops
    peers.push(await startPeer(t, { SMTP_URL: smtp.url }, config));
    await smtp.waitFor(before + 40);
    await sleep(1000);
    const mails = smtp.received.slice(before);
    expect(mails).toHaveLength(40);
    expect([...countBy(mails, (m) => m.messageId).values()].every((n) => n === 1)).toBe(true);
    const stored = await t.sql<{ status: string; n: number }>(
      `SELECT d.status, count(*)::int AS n FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
         JOIN customers c ON c.id = a.customer_id WHERE c.external_id LIKE 'many-%' GROUP BY d.status`,
    );
    expect(stored).toEqual([{ status: 'sent', n: 40 }]);
  });
});

describe('a mail server that is down', () => {
  let t: TestApp;
  let smtp: TestSmtp | null = null;

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('keeps emails waiting in the outbox without using up attempts, and sends them once it is back', async () => {
    const port = await freePort(); // nothing listens there yet
    t = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}` }, ALERT_TEST_CONFIG);
    const book = new AlertBook(t);
    await book.add([{ id: 'waiting', manager: 'am1@example.com', p: 0.9 }]);
    await book.run(1);
    await until('a failed try', async () => (await t.sql(`SELECT 1 FROM alert_deliveries WHERE last_error IS NOT NULL`)).length > 0);
    await sleep(2000); // several retry rounds (outageRetrySeconds 0.5 in config/test.yaml)
    const [down] = await t.sql<{ status: string; attempts: number; last_error: string }>(
      `SELECT status, attempts, last_error FROM alert_deliveries`,
    );
    expect(down!.status).not.toBe('failed');
    expect(down!.attempts).toBeLessThanOrEqual(1); // 1 only while a try is in flight
    expect(down!.last_error).toMatch(/mail server unavailable/);

    smtp = await startSmtp(port);
    await smtp.waitFor(1);
    await until('recorded', async () => (await t.sql<{ status: string }>(`SELECT status FROM alert_deliveries`))[0]!.status === 'sent');
    const [up] = await t.sql<{ attempts: number; last_error: string | null }>(`SELECT attempts, last_error FROM alert_deliveries`);
    expect(up).toEqual({ attempts: 1, last_error: null });
    expect(smtp.received).toHaveLength(1);
  });
});

describe('a worker killed between the SMTP send and recording it', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const workers = new WorkerProcesses(
    () => t,
    () => ({ SMTP_URL: smtp.url }),
  );
  const startWorker = () => workers.start();

  beforeAll(async () => {
    smtp = await startSmtp();
    // API only: the spawned worker processes dispatch and send.
    t = await startTestApp({ CHURNWATCH_PROCESS: 'api' });
  });
  afterEach(() => workers.stopAll());
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('re-sends the email once, with the same Message-ID, and records it sent', async () => {
    // An alert and its outbox row, as a scoring run would have written them.
    const [customer] = await t.sql<{ id: string }>(
      `INSERT INTO customers (external_id, name, monthly_revenue, currency, signup_at, account_manager_email)
       VALUES ('crash', 'Crash Test Ltd', 900, 'USD', now() - interval '1 year', 'am1@example.com') RETURNING id`,
    );
    const [run] = await t.sql<{ id: string }>(
      `INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of) VALUES ('succeeded', '{"kind":"all"}', false, 'test', now()) RETURNING id`,
    );
    const [alert] = await t.sql<{ id: string }>(
      `INSERT INTO alerts (customer_id, run_id, last_run_id, tier, current_tier, status, probability, latest_probability, value_at_risk,
                           currency, drivers, changes, actions, recipient, immediate_at)
       VALUES ($1, $2, $2, 'critical', 'critical', 'open', 0.9, 0.9, 9720, 'USD', '[]', '[]', '[]', 'am1@example.com', now()) RETURNING id`,
      [customer!.id, run!.id],
    );
    await t.sql(
      `INSERT INTO alert_deliveries (kind, alert_id, recipient, idempotency_key, message_id)
       VALUES ('immediate', $1::bigint, 'am1@example.com', 'alert:' || $1::text || ':immediate', '<crash-test@example.com>')`,
      [alert!.id],
    );

    // When the first copy arrives, lock the outbox before the server says OK: the worker
    // gets its 250, then blocks recording it, and is killed there.
    const locker = new Client({ connectionString: t.db.url });
    await locker.connect();
    let first: ChildProcess | null = null;
    smtp.onMessage = async () => {
      if (smtp.received.length > 0) return;
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE alert_deliveries IN ACCESS EXCLUSIVE MODE');
    };
    first = startWorker();
    await smtp.waitFor(1, 30_000);
    await sleep(300); // the worker is now waiting on the lock to record the send
    first.kill('SIGKILL');
    await once(first, 'exit');
    // Postgres would still run the dead client's queued UPDATE once the lock is free (it
    // only notices the closed socket afterwards); end its sessions as a crash would have.
    await locker.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    await locker.query('ROLLBACK');
    await locker.end();
    const [mid] = await t.sql<{ status: string }>(`SELECT status FROM alert_deliveries`);
    expect(mid!.status).toBe('sending'); // never recorded

    startWorker(); // the restarted worker; the dead one's lease runs out (2 s in test config)
    await smtp.waitFor(2, 30_000);
    await until('recorded', async () => (await t.sql<{ status: string }>(`SELECT status FROM alert_deliveries`))[0]!.status === 'sent');
    await sleep(1000);
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[0]!.messageId).toBe('<crash-test@example.com>');
    expect(smtp.received[1]!.messageId).toBe('<crash-test@example.com>');
    const [row] = await t.sql<{ attempts: number }>(`SELECT attempts FROM alert_deliveries`);
    expect(row!.attempts).toBe(2);
  });
});
