/**
 * `npm run bench:failures`: what isolating customers whose scoring fails costs a run
 * (issue 18 item 1). A book of N customers (default 100,000, ~25 signal rows each) is
 * scored by one worker: a first run, a clean nightly run (the baseline), then nightly runs
 * with 1 and with 10 poisoned customers in one chunk (revenues that overflow value at risk,
 * as ingestion took them before its limits). Prints each run's wall time, its slowest
 * chunk and the customers it skipped. A measurement, not a test: it exits non-zero only
 * when a run fails.
 *
 *   node dist/bench/failures.bench.js [--customers N] [--keep]
 *
 * Env: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { dropDatabase } from './support/bench-db';
import { clearRedis, prepareBook, repoRoot, startApiAndWorker } from './support/bench-services';
import { fmt, round, Service } from './support/proc';
import { api, measureRun, RunResult } from './support/scoring-run';
import { BOOK_VERSION } from './support/synthetic-book';

const DB_NAME = 'churnwatch_bench_failures';
const ADMIN_KEY = 'bench-failures-admin-key-0123456789';
const POISON_REVENUE = '99999999999999.9999';

const say = (line = '') => process.stdout.write(`${line}\n`);

function parseArgs(argv: string[]): { customers: number; keep: boolean; adminUrl: string } {
  const opts = { customers: 100_000, keep: false, adminUrl: process.env.BENCH_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--customers') {
      const n = Number((argv[++i] ?? '').replace(/_/g, ''));
      if (!Number.isInteger(n) || n <= 0) throw new Error('--customers must be a positive integer');
      opts.customers = n;
    } else if (argv[i] === '--keep') opts.keep = true;
    else throw new Error(`unknown argument ${argv[i]} (usage: [--customers N] [--keep])`);
  }
  return opts;
}

async function sql<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query(text, values)).rows as T[];
  } finally {
    await db.end();
  }
}

/** The run's slowest chunk, in seconds (its job's start to its commit). */
async function slowestChunk(url: string, runId: number): Promise<number> {
  const [r] = await sql<{ s: number }>(
    url,
    `SELECT max(extract(epoch FROM finished_at - started_at))::float8 AS s FROM scoring_chunks WHERE run_id = $1`,
    [runId],
  );
  return r?.s ?? 0;
}

/**
 * Poisons the k riskiest customers of chunk 0's id range (probability high enough that
 * p × 12 × POISON_REVENUE overflows numeric(18,4)); returns their ids and old revenues.
 */
async function poison(url: string, runId: number, k: number): Promise<Array<{ id: string; revenue: string }>> {
  return sql(
    url,
    `WITH c AS (SELECT from_id, to_id FROM scoring_chunks WHERE run_id = $1 AND chunk_no = 0),
          picked AS (SELECT s.customer_id FROM customer_scores s, c WHERE s.customer_id BETWEEN c.from_id AND c.to_id AND s.probability > 0.2
                      ORDER BY s.probability DESC, s.customer_id LIMIT $2),
          old AS (SELECT id, monthly_revenue FROM customers WHERE id IN (SELECT customer_id FROM picked))
     UPDATE customers u SET monthly_revenue = $3 FROM old WHERE u.id = old.id RETURNING old.id::text, old.monthly_revenue::text AS revenue`,
    [runId, k, POISON_REVENUE],
  );
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const config = loadConfig(process.env, { rootDir: root });
  const entry = join(__dirname, '..', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: build first (npm run bench:failures builds)`);
  const prefix = `cwbench-failures-${process.pid}-${Date.now()}`;
  const outboxDir = mkdtempSync(join(tmpdir(), 'cwbench-outbox-'));
  say(
    `churnwatch failure-isolation bench: ${fmt(opts.customers)} customers, chunkSize ${fmt(config.scoring.chunkSize)}, ${cpus().length} CPUs, node ${process.version}`,
  );
  const services: Service[] = [];
  const cleanup = async () => {
    await Promise.all(services.map((s) => s.stop()));
    await clearRedis(config.redis.url, prefix).catch(() => undefined);
    rmSync(outboxDir, { recursive: true, force: true });
    if (!opts.keep) await dropDatabase(opts.adminUrl, DB_NAME).catch((e: Error) => say(`could not drop ${DB_NAME}: ${e.message}`));
  };
  process.once('exit', () => services.forEach((s) => s.running && s.child.kill('SIGKILL')));
  try {
    const db = await prepareBook(
      {
        adminUrl: opts.adminUrl,
        dbName: DB_NAME,
        version: BOOK_VERSION,
        customers: opts.customers,
        signalsPerCustomer: 25,
        keep: opts.keep,
        resetScores: true,
      },
      say,
    );
    const env = {
      DATABASE_URL: db.url,
      CHURNWATCH_QUEUE_PREFIX: prefix,
      CHURNWATCH_MIGRATE: 'false',
      CHURNWATCH_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      CHURNWATCH_OUTBOX_DIR: outboxDir,
    };
    const { api: apiProc, worker, port } = await startApiAndWorker({ root, entry, redisUrl: config.redis.url, env, workerArgs: [] });
    services.push(apiProc, worker);
    const target = { port, key: ADMIN_KEY };
    const rows: Array<{ label: string; run: RunResult; slowest: number; failed: number }> = [];
    const measure = async (label: string, body: Record<string, unknown>) => {
      const run = await measureRun(target, db.url, worker, apiProc, label, body);
      const view = await api<{ failedCustomers: { count: number } }>(target, 'GET', `/v1/scoring-runs/${run.id}`);
      const row = { label, run, slowest: await slowestChunk(db.url, run.id), failed: view.failedCustomers.count };
      say(
        `run ${run.id} ${label}: wall ${fmt(run.wallSeconds, 2)} s, slowest chunk ${fmt(row.slowest, 2)} s, ${fmt(run.customers)} scored, ${row.failed} skipped (load ${fmt(run.loadBefore, 2)})`,
      );
      rows.push(row);
      return run;
    };
    const first = await measure('first run, as of 24 h ago', { asOf: new Date(Date.now() - 86_400_000).toISOString() });
    await measure('nightly, clean (baseline)', {});
    for (const k of [1, 10]) {
      const poisoned = await poison(db.url, first.id, k);
      await measure(`nightly, ${poisoned.length} poisoned in chunk 0`, {});
      for (const p of poisoned) await sql(db.url, `UPDATE customers SET monthly_revenue = $2 WHERE id = $1`, [p.id, p.revenue]);
    }
    const base = rows[1]!;
    say('\nsummary (against the clean nightly run)');
    for (const r of rows.slice(1)) {
      say(
        `  ${r.label.padEnd(34)} wall ${fmt(r.run.wallSeconds, 2).padStart(7)} s (${fmt(r.run.wallSeconds / base.run.wallSeconds, 2)}×), ` +
          `slowest chunk ${fmt(r.slowest, 2).padStart(6)} s (${fmt(r.slowest / base.slowest, 2)}×), skipped ${r.failed}`,
      );
    }
    say(
      JSON.stringify({
        customers: opts.customers,
        runs: rows.map((r) => ({
          label: r.label,
          wallSeconds: round(r.run.wallSeconds, 2),
          slowestChunkSeconds: round(r.slowest, 2),
          scored: r.run.customers,
          skipped: r.failed,
        })),
      }),
    );
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
