/**
 * `npm run bench:slow-clients`: page reads beside slow uploads (issue 18 item 2). Loads a
 * small synthetic book, scores it once with a worker of the built service, stops the
 * worker, then against ONE api process measures one reader in a closed loop (customer
 * page, at-risk first page, /health/ready in turn) for --seconds, first alone and then
 * while --uploads NDJSON uploads trickle their bodies (--bytes-per-second each) for the
 * same time, plus one more upload sent at once. Prints p50/p95/max per read and what
 * the uploads were answered. A measurement: it exits 0 whatever the figures.
 *
 *   node dist/bench/slow-clients.bench.js [--customers N] [--uploads K] [--bytes-per-second B]
 *        [--seconds S] [--keep]
 *
 * Env: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL.
 */
import { request as httpRequest } from 'node:http';
import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { dropDatabase } from './support/bench-db';
import { clearRedis, prepareBook, repoRoot, startApiAndWorker } from './support/bench-services';
import { fmt, round, Service, sleep } from './support/proc';
import { api, ApiTarget, waitForSnapshot } from './support/scoring-run';
import { BOOK_VERSION } from './support/synthetic-book';

const DB_NAME = 'churnwatch_bench_slow_clients';
const ADMIN_KEY = 'bench-slow-admin-key-0123456789ab';
const PIECE_EVERY_MS = 100;

interface Options {
  customers: number;
  uploads: number;
  bytesPerSecond: number;
  seconds: number;
  keep: boolean;
  adminUrl: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    customers: 20_000,
    uploads: 12,
    bytesPerSecond: 50,
    seconds: 10,
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
    else if (flag === '--uploads') o.uploads = Math.trunc(num());
    else if (flag === '--bytes-per-second') o.bytesPerSecond = num();
    else if (flag === '--seconds') o.seconds = num();
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(
        'usage: node dist/bench/slow-clients.bench.js [--customers N] [--uploads K] [--bytes-per-second B] [--seconds S] [--keep]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${flag}`);
  }
  return o;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface ReadFigures {
  name: string;
  count: number;
  p50: number;
  p95: number;
  max: number;
  non200: number;
}

/** One reader, closed loop: each read in turn until `seconds` are up. */
async function readLoop(target: ApiTarget, paths: Array<[string, () => string]>, seconds: number): Promise<ReadFigures[]> {
  const samples = new Map<string, { ms: number[]; non200: number }>(paths.map(([name]) => [name, { ms: [], non200: 0 }]));
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    for (const [name, path] of paths) {
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${target.port}${path()}`, { headers: { authorization: `Bearer ${target.key}` } });
      await res.arrayBuffer();
      const s = samples.get(name)!;
      s.ms.push(performance.now() - started);
      if (res.status !== 200) s.non200++;
    }
  }
  return [...samples].map(([name, s]) => {
    const sorted = [...s.ms].sort((a, b) => a - b);
    return {
      name,
      count: sorted.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      max: sorted.at(-1) ?? NaN,
      non200: s.non200,
    };
  });
}

/** An NDJSON upload of `body` sent `piece` bytes every PIECE_EVERY_MS; resolves with the status (and the time it took). */
function trickle(target: ApiTarget, body: string, piece: number): Promise<{ status: number; seconds: number; code?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let answered = false;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        path: '/v1/customers',
        method: 'POST',
        headers: { authorization: `Bearer ${target.key}`, 'content-type': 'application/x-ndjson' },
      },
      (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          req.destroy();
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { code?: string }).code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, seconds: (performance.now() - started) / 1000, code });
        });
      },
    );
    req.on('error', () => !answered && resolve({ status: 0, seconds: (performance.now() - started) / 1000, code: 'connection error' }));
    void (async () => {
      for (let at = 0; at < body.length; at += piece) {
        if (answered) return;
        req.write(body.slice(at, at + piece));
        if (at + piece < body.length) await sleep(PIECE_EVERY_MS);
      }
      req.end();
    })();
  });
}

/** Customer rows enough for `bytes` of NDJSON. */
function uploadBody(prefix: string, bytes: number): string {
  let body = '';
  for (let i = 0; body.length < bytes; i++) {
    body +=
      JSON.stringify({
        externalId: `${prefix}-${i}`,
        name: `Slow client ${prefix} ${i}`,
        segment: 'smb',
        monthlyRevenue: '99.00',
        signupAt: '2025-01-01T00:00:00Z',
        accountManager: { email: 'slow-bench@example.com' },
      }) + '\n';
  }
  return body;
}

function print(label: string, figures: ReadFigures[]): void {
  say(label);
  for (const f of figures) {
    say(
      `  ${f.name.padEnd(16)} n ${String(f.count).padStart(5)}  p50 ${fmt(f.p50, 1).padStart(7)}  p95 ${fmt(f.p95, 1).padStart(7)}  max ${fmt(f.max, 1).padStart(7)} ms  non-200 ${f.non200}`,
    );
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const config = loadConfig(process.env, { rootDir: root });
  const entry = join(__dirname, '..', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: build first (npm run bench:slow-clients builds)`);
  const prefix = `cwbench-slow-${process.pid}-${Date.now()}`;
  say(
    `churnwatch slow-clients bench: ${fmt(opts.customers)} customers, ${opts.uploads} slow uploads at ${opts.bytesPerSecond} B/s each, ` +
      `${opts.seconds} s per phase, ingest.maxConcurrent ${config.ingest.maxConcurrent}, database.poolSize ${config.database.poolSize}, ${cpus().length} CPUs, node ${process.version}`,
  );
  const services: Service[] = [];
  process.once('exit', () => services.forEach((s) => s.running && s.child.kill('SIGKILL')));
  try {
    const book = await prepareBook(
      {
        adminUrl: opts.adminUrl,
        dbName: DB_NAME,
        version: BOOK_VERSION,
        customers: opts.customers,
        signalsPerCustomer: 10,
        keep: opts.keep,
        resetScores: false,
      },
      say,
    );
    const env = {
      DATABASE_URL: book.url,
      CHURNWATCH_QUEUE_PREFIX: prefix,
      CHURNWATCH_MIGRATE: 'false',
      CHURNWATCH_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      CHURNWATCH_RATE_LIMIT: '1000000000',
    };
    const { api: apiProc, worker, port } = await startApiAndWorker({ root, entry, redisUrl: config.redis.url, env });
    services.push(apiProc, worker);
    const target = { port, key: ADMIN_KEY };
    const current = (await api<{ snapshot: { runId: number } | null }>(target, 'GET', '/v1/at-risk?limit=1')).snapshot;
    if (!current) {
      let run = await api<{ id: number; status: string; error?: string }>(target, 'POST', '/v1/scoring-runs', {});
      while (run.status !== 'succeeded') {
        if (run.status === 'failed') throw new Error(`run ${run.id} failed: ${run.error}`);
        await sleep(500);
        run = await api(target, 'GET', `/v1/scoring-runs/${run.id}`);
      }
      await waitForSnapshot(target, book.url, run.id);
      say(`scored run ${run.id}`);
    }
    await worker.stop(); // reads and uploads on a quiet machine

    const db = new Client({ connectionString: book.url });
    await db.connect();
    const ids = (await db.query<{ external_id: string }>(`SELECT external_id FROM customers ORDER BY random() LIMIT 2000`)).rows.map(
      (r) => r.external_id,
    );
    let next = 0;
    const paths: Array<[string, () => string]> = [
      ['customer page', () => `/v1/customers/${encodeURIComponent(ids[next++ % ids.length] as string)}`],
      ['at-risk page', () => '/v1/at-risk?limit=50'],
      ['readiness', () => '/health/ready'],
    ];
    await readLoop(target, paths, 2); // warm-up
    const alone = await readLoop(target, paths, opts.seconds);
    print('reads alone', alone);

    const piece = Math.max(1, Math.round((opts.bytesPerSecond * PIECE_EVERY_MS) / 1000));
    const bytes = Math.round(opts.bytesPerSecond * opts.seconds);
    const uploads = Array.from({ length: opts.uploads }, (_, i) => trickle(target, uploadBody(`${prefix}-${i}`, bytes), piece));
    await sleep(500); // the slow uploads are admitted
    // Not awaited before the reads: on a saturated pool it waits as long as the uploads.
    const extraAnswer = trickle(target, uploadBody(`${prefix}-extra`, 200), 1 << 20);
    const beside = await readLoop(target, paths, opts.seconds);
    const extra = await extraAnswer;
    print(`reads beside ${opts.uploads} slow uploads`, beside);
    const answers = await Promise.all(uploads);
    const byStatus = new Map<string, number>();
    for (const a of answers)
      byStatus.set(`${a.status}${a.code ? ` ${a.code}` : ''}`, (byStatus.get(`${a.status}${a.code ? ` ${a.code}` : ''}`) ?? 0) + 1);
    say(
      `slow uploads answered: ${[...byStatus].map(([k, n]) => `${n} x ${k}`).join(', ')} (slowest ${fmt(Math.max(...answers.map((a) => a.seconds)), 1)} s)`,
    );
    say(
      `one more upload sent at once while they trickled: ${extra.status}${extra.code ? ` ${extra.code}` : ''} in ${fmt(extra.seconds * 1000, 1)} ms`,
    );
    const stored = Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM customers WHERE external_id LIKE $1`, [`${prefix}-%`])).rows[0]?.n ?? 0,
    );
    say(`customers stored by the uploads: ${fmt(stored)}`);
    await db.end();
    const json = (f: ReadFigures[]) =>
      f.map((r) => ({ name: r.name, count: r.count, p50: round(r.p50, 1), p95: round(r.p95, 1), max: round(r.max, 1), non200: r.non200 }));
    say(
      JSON.stringify({
        uploads: opts.uploads,
        bytesPerSecond: opts.bytesPerSecond,
        seconds: opts.seconds,
        alone: json(alone),
        beside: json(beside),
        uploadAnswers: Object.fromEntries(byStatus),
        extra: extra.status,
      }),
    );
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await clearRedis(config.redis.url, prefix).catch(() => undefined);
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
