/**
 * npm run bench:alerts: 10,000 alert emails delivered from the Postgres outbox through the
 * BullMQ alerts queue to a local SMTP server (smtp-server on 127.0.0.1), by one worker
 * process of the built service with pooled SMTP connections. Prints messages/s and the
 * end-to-end time (worker start to the last email recorded sent). Target: >= 300 msgs/s.
 *
 * Options: --alerts N (default 10000), --keep (leave the database), --admin-url URL.
 */
import { join } from 'node:path';
import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import Redis from 'ioredis';
import { Client } from 'pg';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../src/config/app-config';
import { deleteQueueKeys } from '../src/jobs/job-queue.service';
import { createMigrated, dropDatabase } from './support/bench-db';
import { fmt, round, Service, sleep, spawnService } from './support/proc';

const DB_NAME = 'churnwatch_bench_alerts';
const TARGET = 300;
const say = (line: string) => process.stdout.write(`${line}\n`);

function parseArgs(argv: string[]): { alerts: number; keep: boolean; adminUrl: string } {
  const opts = { alerts: 10_000, keep: false, adminUrl: process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--alerts') opts.alerts = Number(argv[++i]);
    else if (argv[i] === '--keep') opts.keep = true;
    else if (argv[i] === '--admin-url') opts.adminUrl = argv[++i] as string;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!Number.isInteger(opts.alerts) || opts.alerts < 1) throw new Error('--alerts must be a positive integer');
  return opts;
}

/** Customers, one succeeded run and N open critical alerts with their pending outbox rows, written set-based. */
async function loadAlerts(url: string, n: number): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO customers (external_id, name, segment, monthly_revenue, currency, signup_at, account_manager_email, account_manager_name)
       SELECT 'bench-' || g, 'Bench Customer ' || g, 'smb', 100 + g % 900, 'USD', now() - interval '2 years',
              'am' || (g % 200) || '@example.com', 'Manager ' || (g % 200)
         FROM generate_series(1, $1) g`,
      [n],
    );
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of, started_at, finished_at)
       VALUES ('succeeded', '{"kind":"all"}', false, 'bench', now(), now(), now()) RETURNING id`,
    );
    const drivers = JSON.stringify([
      { key: 'days_since_activity', text: 'no activity for 41 days', contribution: 1.2 },
      { key: 'complaints_open', text: '2 high-severity complaints open for 12 days', contribution: 0.8 },
    ]);
    const actions = JSON.stringify([
      { key: 'service_recovery_call', text: 'Call about the open complaints and agree a fix with a date', cost: 150, expectedSaving: 2100 },
      { key: 'plan_review', text: 'Book a plan review: right-size their plan to how they use it', cost: 100, expectedSaving: 900 },
    ]);
    await db.query(
      `INSERT INTO alerts (customer_id, run_id, last_run_id, tier, current_tier, status, probability, previous_probability,
                           latest_probability, value_at_risk, currency, drivers, changes, actions, recipient, immediate_at)
       SELECT c.id, $1, $1, 'critical', 'critical', 'open', 0.82, 0.61, 0.82, 0.82 * 12 * c.monthly_revenue, 'USD', $2, '[]', $3,
              c.account_manager_email, now()
         FROM customers c`,
      [rows[0]!.id, drivers, actions],
    );
    await db.query(
      `INSERT INTO alert_deliveries (kind, alert_id, recipient, cc, idempotency_key, message_id)
       SELECT 'immediate', a.id, a.recipient, '{support-lead@example.com}', 'alert:' || a.id || ':immediate',
              '<alert-' || a.id || '-immediate.' || gen_random_uuid() || '@example.com>'
         FROM alerts a`,
    );
    await db.query('VACUUM ANALYZE');
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const root = join(__dirname, '..', '..');
  const config = loadConfig(process.env, { rootDir: root });
  const entry = join(__dirname, '..', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: build first (npm run bench:alerts builds)`);
  const prefix = `cwbench-alerts-${process.pid}-${Date.now()}`;
  say(
    `churnwatch alert delivery bench: ${fmt(opts.alerts)} emails, 1 worker process (concurrency ${config.delivery.concurrency}, ` +
      `${config.email.maxConnections} pooled SMTP connections), ${cpus().length} CPUs, node ${process.version}`,
  );

  // The SMTP server counts what it accepted: that is "delivered".
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        received++;
        lastAt = performance.now();
        firstAt ||= lastAt;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const smtpPort = (smtp as unknown as { server: { address(): { port: number } } }).server.address().port;

  let worker: Service | null = null;
  try {
    await dropDatabase(opts.adminUrl, DB_NAME).catch(() => undefined);
    const url = await createMigrated(opts.adminUrl, DB_NAME);
    const loadStarted = performance.now();
    await loadAlerts(url, opts.alerts);
    say(
      `outbox: ${fmt(opts.alerts)} open critical alerts with pending emails, written in ${fmt((performance.now() - loadStarted) / 1000, 1)} s`,
    );

    const started = performance.now();
    worker = spawnService('worker', entry, root, {
      DATABASE_URL: url,
      CHURNWATCH_QUEUE_PREFIX: prefix,
      CHURNWATCH_MIGRATE: 'false',
      CHURNWATCH_PROCESS: 'worker',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      LOG_LEVEL: 'warn',
    });
    const db = new Client({ connectionString: url });
    await db.connect();
    let sent = 0;
    let failed = 0;
    try {
      while (sent + failed < opts.alerts) {
        if (!worker.running) throw new Error(`worker exited\n${worker.output()}`);
        if (performance.now() - started > 600_000) throw new Error(`only ${sent} of ${opts.alerts} sent after 10 minutes`);
        await sleep(100);
        const { rows } = await db.query<{ sent: number; failed: number }>(
          `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM alert_deliveries`,
        );
        sent = rows[0]!.sent;
        failed = rows[0]!.failed;
      }
    } finally {
      await db.end();
    }
    const endToEnd = (performance.now() - started) / 1000;
    const sending = (lastAt - firstAt) / 1000;
    const rate = received / sending;
    say(`\n  emails accepted by the SMTP server: ${fmt(received)} (${fmt(sent)} recorded sent, ${fmt(failed)} failed)`);
    say(`  first to last email:                ${fmt(sending, 2)} s  → ${fmt(rate)} messages/s`);
    say(`  end to end (worker start → all recorded sent): ${fmt(endToEnd, 2)} s  → ${fmt(opts.alerts / endToEnd)} messages/s`);
    say(`  duplicates at the SMTP server:      ${fmt(received - sent)}`);
    say(`  target >= ${TARGET} messages/s: ${rate >= TARGET ? 'MET' : 'MISSED'}`);
    say(
      JSON.stringify({
        emails: opts.alerts,
        received,
        sent,
        failed,
        sendingSeconds: round(sending, 2),
        messagesPerSecond: Math.round(rate),
        endToEndSeconds: round(endToEnd, 2),
        targetMet: rate >= TARGET,
      }),
    );
  } finally {
    await worker?.stop();
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
    await deleteQueueKeys(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    if (!opts.keep) await dropDatabase(opts.adminUrl, DB_NAME).catch((e: Error) => say(`could not drop ${DB_NAME}: ${e.message}`));
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
