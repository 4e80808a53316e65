/**
 * `npm run bench:api`: the read side under load. 1,000,000 scored customers (the scoring
 * bench's synthetic book, scored once by a worker of the built service); then, with the
 * worker stopped, ONE api process (or --api-processes N, the clients shared out among them
 * as a load balancer would) answers 20 concurrent clients (autocannon) on the at-risk
 * list (first page and deep pages through cursors, with and without filters) and the
 * customer page, each for a fixed time, and the whole list is exported as CSV. Prints
 * p50/p95/p99 latency, requests/s and CSV rows/s. A measurement: it exits 0 when a target
 * is missed.
 *
 *   node dist/bench/api.bench.js [--customers N] [--signals-per-customer S] [--seconds S]
 *        [--connections C] [--api-processes N] [--keep]
 *
 * --keep reuses the database (and its scores, when an earlier run of this bench scored it).
 * Env: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { dropDatabase, writeLabel } from './support/bench-db';
import { clearRedis, prepareBook, repoRoot, startApi, startApiAndWorker } from './support/bench-services';
import { load, LoadResult } from './support/http-load';
import { fmt, round, Service, sleep } from './support/proc';
import { api, ApiTarget, waitForSnapshot } from './support/scoring-run';
import { BOOK_VERSION } from './support/synthetic-book';

const DB_NAME = 'churnwatch_bench_api';
const ADMIN_KEY = 'bench-api-admin-key-0123456789abc';
const TARGET_P95_MS = 50;
const TARGET_CSV_ROWS = 100_000;
const WARMUP_SECONDS = 2;

interface Options {
  customers: number;
  signalsPerCustomer: number;
  seconds: number;
  connections: number;
  apiProcesses: number;
  keep: boolean;
  adminUrl: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    customers: 1_000_000,
    signalsPerCustomer: 25,
    seconds: 10,
    connections: 20,
    apiProcesses: 1,
    keep: false,
    adminUrl: process.env.BENCH_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const num = () => {
      const raw = argv[++i];
      const n = Number(String(raw).replace(/_/g, ''));
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number (got ${raw})`);
      return n;
    };
    if (flag === '--customers') o.customers = Math.trunc(num());
    else if (flag === '--signals-per-customer') o.signalsPerCustomer = num();
    else if (flag === '--seconds') o.seconds = num();
    else if (flag === '--connections') o.connections = Math.trunc(num());
    else if (flag === '--api-processes') o.apiProcesses = Math.trunc(num());
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(
        'usage: node dist/bench/api.bench.js [--customers N] [--signals-per-customer S] [--seconds S] [--connections C] [--api-processes N] [--keep]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${flag}`);
  }
  return o;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query(text, params)).rows as T[];
  } finally {
    await db.end();
  }
}

/** A full run through the API, waited for; then its at-risk snapshot. */
async function score(target: ApiTarget, url: string): Promise<number> {
  const started = performance.now();
  let run = await api<{ id: number; status: string; error?: string; customersScored: number }>(target, 'POST', '/v1/scoring-runs', {});
  while (run.status !== 'succeeded') {
    if (run.status === 'failed') throw new Error(`run ${run.id} failed: ${run.error}`);
    await sleep(500);
    run = await api(target, 'GET', `/v1/scoring-runs/${run.id}`);
  }
  say(`scored ${fmt(run.customersScored)} customers in run ${run.id} (${fmt((performance.now() - started) / 1000, 1)} s)`);
  const snapshot = await waitForSnapshot(target, url, run.id);
  say(`at-risk snapshot: ${fmt(snapshot.customers)} customers (build ${fmt(snapshot.buildSeconds, 1)} s)`);
  return run.id;
}

/** Cursors at many depths of a list, walked with big pages: deep pages are then one request each. */
async function cursorsOf(target: ApiTarget, query: string, maxRows: number): Promise<string[]> {
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let rows = 0; rows < maxRows; rows += 500) {
    const page: { nextCursor: string | null } = await api(
      target,
      'GET',
      `/v1/at-risk?${query}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (!page.nextCursor) break;
    cursors.push((cursor = page.nextCursor));
  }
  return cursors;
}

/** The whole list (or a filtered one) as CSV, one client: rows and rows/s. */
async function exportCsv(target: ApiTarget, query: string): Promise<{ rows: number; seconds: number; mb: number }> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${target.port}/v1/at-risk.csv?${query}`, {
    headers: { authorization: `Bearer ${target.key}` },
  });
  if (res.status !== 200 || !res.body) throw new Error(`CSV: HTTP ${res.status}`);
  let newlines = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    bytes += buf.length;
    for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) newlines++;
  }
  return { rows: newlines - 1, seconds: (performance.now() - started) / 1000, mb: bytes / 1024 / 1024 };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const config = loadConfig(process.env, { rootDir: root });
  const entry = join(__dirname, '..', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: build first (npm run bench:api builds)`);
  const prefix = `cwbench-api-${process.pid}-${Date.now()}`;
  say(
    `churnwatch API bench: ${fmt(opts.customers)} customers, ${opts.connections} concurrent clients, ${opts.apiProcesses} api process(es), ` +
      `${opts.seconds} s per scenario, ${cpus().length} CPUs, node ${process.version}`,
  );
  const services: Service[] = [];
  const cleanup = async () => {
    await Promise.all(services.map((s) => s.stop()));
    await clearRedis(config.redis.url, prefix).catch(() => undefined);
    if (!opts.keep) await dropDatabase(opts.adminUrl, DB_NAME).catch((e: Error) => say(`could not drop ${DB_NAME}: ${e.message}`));
  };
  process.once('exit', () => services.forEach((s) => s.running && s.child.kill('SIGKILL')));
  try {
    const book = await prepareBook(
      {
        adminUrl: opts.adminUrl,
        dbName: DB_NAME,
        version: BOOK_VERSION,
        customers: opts.customers,
        signalsPerCustomer: opts.signalsPerCustomer,
        keep: opts.keep,
        resetScores: false,
      },
      say,
    );
    // The rate limiter stays in the path (one Redis round trip per request) with a limit no client reaches.
    const env = {
      DATABASE_URL: book.url,
      CHURNWATCH_QUEUE_PREFIX: prefix,
      CHURNWATCH_MIGRATE: 'false',
      CHURNWATCH_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      CHURNWATCH_RATE_LIMIT: '1000000000',
    };
    const serviceOptions = { root, entry, redisUrl: config.redis.url, env };
    const { api: apiProc, worker, port } = await startApiAndWorker(serviceOptions);
    services.push(apiProc, worker);
    const target = { port, key: ADMIN_KEY };
    const snapshot = (await api<{ snapshot: { runId: number; customers: number } | null }>(target, 'GET', '/v1/at-risk?limit=1')).snapshot;
    if (snapshot && book.label.scoredRunId === snapshot.runId)
      say(`reusing the scores of run ${snapshot.runId} (${fmt(snapshot.customers)} at risk)`);
    else await writeLabel(opts.adminUrl, DB_NAME, { ...book.label, scoredRunId: await score(target, book.url) });
    // Reads on a quiet machine: the worker (outbox sweeps, snapshot checks) stops.
    await worker.stop();
    const ports = [port];
    for (let i = 1; i < opts.apiProcesses; i++) {
      const more = await startApi(serviceOptions, `api-${i + 1}`);
      services.push(more.api);
      ports.push(more.port);
    }
    const baseUrls = ports.map((p) => `http://127.0.0.1:${p}`);

    const customers = (
      await sql<{ external_id: string }>(
        book.url,
        `SELECT c.external_id FROM customer_scores s JOIN customers c ON c.id = s.customer_id ORDER BY random() LIMIT 5000`,
      )
    ).map((r) => r.external_id);
    const managers = (
      await sql<{ m: string }>(book.url, `SELECT DISTINCT account_manager_email AS m FROM customers ORDER BY 1 LIMIT 2000`)
    ).map((r) => r.m);
    const deep = await cursorsOf(target, 'sort=risk', 150_000);
    const deepFiltered = await cursorsOf(target, 'tier=critical&sort=valueAtRisk', 100_000);
    say(`deep cursors: ${deep.length} (every 500 rows down to ${fmt(deep.length * 500)}), filtered ${deepFiltered.length}`);
    const scenarios: Array<[string, string[]]> = [
      ['at-risk first page', ['/v1/at-risk?limit=50']],
      [
        'at-risk first page, filtered (tier/segment/driver/sort mixes)',
        [
          '/v1/at-risk?limit=50&tier=critical&sort=valueAtRisk',
          '/v1/at-risk?limit=50&tier=high&segment=enterprise',
          '/v1/at-risk?limit=50&driver=complaints&sort=change',
          '/v1/at-risk?limit=50&tier=watch,high&segment=smb&driver=activity',
        ],
      ],
      ['at-risk first page, by manager', managers.map((m) => `/v1/at-risk?limit=50&manager=${encodeURIComponent(m)}`)],
      ['at-risk deep page (cursor)', deep.map((c) => `/v1/at-risk?limit=50&sort=risk&cursor=${c}`)],
      ['at-risk deep page, filtered (cursor)', deepFiltered.map((c) => `/v1/at-risk?limit=50&tier=critical&sort=valueAtRisk&cursor=${c}`)],
      ['customer page', customers.map((id) => `/v1/customers/${encodeURIComponent(id)}`)],
    ];
    const results: LoadResult[] = [];
    for (const [name, paths] of scenarios) {
      await load({ name, baseUrls, key: ADMIN_KEY, paths, connections: opts.connections, seconds: WARMUP_SECONDS });
      const r = await load({ name, baseUrls, key: ADMIN_KEY, paths, connections: opts.connections, seconds: opts.seconds });
      results.push(r);
      say(
        `  ${name.padEnd(62)} p50 ${fmt(r.p50, 1).padStart(6)}  p95 ${fmt(r.p95, 1).padStart(6)}  p99 ${fmt(r.p99, 1).padStart(6)} ms  ${fmt(r.perSecond).padStart(6)} req/s  errors ${r.errors + r.non2xx}`,
      );
    }
    // Each export three times, the median kept: one export is a few seconds, long enough
    // for a neighbour on the machine to skew it.
    const median = async (query: string) => {
      const tries = [await exportCsv(target, query), await exportCsv(target, query), await exportCsv(target, query)];
      tries.sort((a, b) => a.seconds - b.seconds);
      return { ...(tries[1] as Awaited<ReturnType<typeof exportCsv>>), all: tries.map((t) => t.seconds) };
    };
    const csv = await median('sort=risk');
    const csvFiltered = await median('tier=critical&sort=valueAtRisk');
    const csvRate = csv.rows / csv.seconds;
    const times = (all: number[]) => all.map((s) => fmt(s, 2)).join(' / ');
    say(
      `  CSV export, whole list: ${fmt(csv.rows)} rows, ${fmt(csv.mb, 1)} MB, median ${fmt(csv.seconds, 2)} s (${times(csv.all)}) = ${fmt(csvRate)} rows/s`,
    );
    say(
      `  CSV export, tier=critical by value at risk: ${fmt(csvFiltered.rows)} rows, median ${fmt(csvFiltered.seconds, 2)} s (${times(csvFiltered.all)}) = ${fmt(csvFiltered.rows / csvFiltered.seconds)} rows/s`,
    );

    const atRisk = results.filter((r) => r.name.startsWith('at-risk'));
    const worstList = Math.max(...atRisk.map((r) => r.p95));
    const customer = results.find((r) => r.name === 'customer page') as LoadResult;
    say('\ntargets');
    say(
      `  at-risk page p95 <= ${TARGET_P95_MS} ms:   ${worstList <= TARGET_P95_MS ? 'MET' : 'MISSED'} (worst scenario ${fmt(worstList, 1)} ms)`,
    );
    say(`  customer page p95 <= ${TARGET_P95_MS} ms:  ${customer.p95 <= TARGET_P95_MS ? 'MET' : 'MISSED'} (${fmt(customer.p95, 1)} ms)`);
    say(`  CSV >= ${fmt(TARGET_CSV_ROWS)} rows/s:      ${csvRate >= TARGET_CSV_ROWS ? 'MET' : 'MISSED'} (${fmt(csvRate)} rows/s)`);
    say(
      JSON.stringify({
        customers: opts.customers,
        connections: opts.connections,
        apiProcesses: opts.apiProcesses,
        scenarios: results.map((r) => ({
          name: r.name,
          p50: round(r.p50, 2),
          p95: round(r.p95, 2),
          p99: round(r.p99, 2),
          perSecond: Math.round(r.perSecond),
          errors: r.errors + r.non2xx,
        })),
        csv: { rows: csv.rows, seconds: round(csv.seconds, 2), rowsPerSecond: Math.round(csvRate) },
        targetsMet: worstList <= TARGET_P95_MS && customer.p95 <= TARGET_P95_MS && csvRate >= TARGET_CSV_ROWS,
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
