/**
 * `npm run bench:ingest`: loads N customers and ~K signal rows per customer through the
 * streamed NDJSON endpoints of a freshly started server into a fresh local database,
 * and prints rows/s and the server's peak RSS. A measurement, not a test: it exits 0
 * when the targets are missed and non-zero only when something fails.
 *
 *   node dist/bench/ingest.bench.js [--customers N] [--signals-per-customer K]
 *        [--mode concurrent|sequential] [--keep]
 *
 * Env: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL,
 * BENCH_SERVER_NODE_ARGS (extra node flags for the server, e.g. --cpu-prof).
 */
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { fmt, freePort, processCpu, RssSampler, Service as Server, sleep, spawnService, TICK } from './support/proc';
import { databaseSizeMb } from './support/bench-db';

const DB_NAME = 'churnwatch_bench';
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const CHUNK_CHARS = 64 * 1024;
const TARGET_ROWS_PER_SECOND = 150_000;
const TARGET_RSS_MB = 400;
const READY_TIMEOUT_MS = 60_000;

type Kind = 'customers' | 'activity' | 'complaints' | 'spend';
const PATHS: Record<Kind, string> = {
  customers: '/v1/customers',
  activity: '/v1/signals/activity',
  complaints: '/v1/signals/complaints',
  spend: '/v1/signals/spend',
};

/**
 * sequential: customers, activity, complaints, spend, one request at a time.
 * concurrent (default): customers, then two lanes at once, each with about half the
 * work: most of activity then complaints | spend then the rest of activity. Each request is Node-bound while it streams (parse, validate, COPY into
 * the stage) and then Postgres-bound while it merges (INSERT ... SELECT with index
 * upkeep), so two lanes overlap one request's merge with the other's upload. Measured
 * on the 2-core box (signal rows/s, concurrent vs sequential): 200k customers 55.5k vs
 * 50.7k and 54.7k; 300k customers 60.2k vs 51.7k. Re-measure with --mode.
 */
type Mode = 'concurrent' | 'sequential';
/** Share of the activity rows sent in the first lane (see runSignals). */
const ACTIVITY_SPLIT = 0.68;

interface Options {
  customers: number;
  signalsPerCustomer: number;
  mode: Mode;
  keep: boolean;
  adminUrl: string;
}

interface KindResult {
  kind: Kind;
  rows: number;
  seconds: number;
  uploadSeconds: number;
  accepted: number;
  duplicates: number;
  cpu: CpuSplit;
}

// ---------------------------------------------------------------- flags

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    customers: 1_000_000,
    signalsPerCustomer: 10.5,
    mode: 'concurrent',
    keep: false,
    adminUrl: process.env.BENCH_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--customers':
        opts.customers = positive(flag, value(), true);
        break;
      case '--signals-per-customer':
        opts.signalsPerCustomer = positive(flag, value(), false);
        break;
      case '--mode': {
        const v = value();
        if (v !== 'concurrent' && v !== 'sequential') throw new Error('--mode must be concurrent or sequential');
        opts.mode = v;
        break;
      }
      case '--keep':
        opts.keep = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          'usage: node dist/bench/ingest.bench.js [--customers N] [--signals-per-customer K] [--mode concurrent|sequential] [--keep]\n',
        );
        return process.exit(0);
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return opts;
}

function positive(flag: string, raw: string, integer: boolean): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${flag} must be a positive ${integer ? 'integer' : 'number'} (got ${raw})`);
  }
  return n;
}

/** activity 70 %, spend 25 %, complaints the rest (5 %). */
function plan(opts: Options): Record<Kind, number> {
  const total = Math.round(opts.customers * opts.signalsPerCustomer);
  const activity = Math.round(total * 0.7);
  const spend = Math.round(total * 0.25);
  return { customers: opts.customers, activity, spend, complaints: Math.max(0, total - activity - spend) };
}

// ---------------------------------------------------------------- row generation
// Deterministic counters and template strings only: the generator shares 2 cores with
// the server and Postgres, so every row must cost well under a microsecond.

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const DAY_COUNT = 730;
/** Dates of the last two years, ending yesterday (UTC): every timestamp is in the past. */
const DAYS: string[] = (() => {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  return Array.from({ length: DAY_COUNT }, (_, i) => new Date(today - (i + 1) * 86_400_000).toISOString().slice(0, 10));
})();
const ACTIVITY_TYPES = ['login', 'report_view', 'export', 'api_call', 'dashboard_view', 'seat_added', 'integration_sync'];
const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const SPEND_KINDS = ['invoice', 'payment', 'payment', 'refund'];
const SEGMENTS = ['smb', 'mid_market', 'enterprise'];
const PLANS = ['starter', 'pro', 'business'];

/** Time of day from a counter; hourBase shifts it (complaints resolve 12 h after opening). */
function time(i: number, hourBase: number, hours: number): string {
  const t = i % (hours * 3600);
  return `${PAD2[hourBase + ((t / 3600) | 0)]}:${PAD2[((t / 60) | 0) % 60]}:${PAD2[t % 60]}Z`;
}

function day(i: number): string {
  return DAYS[((i / 7) | 0) % DAY_COUNT];
}

type RowFn = (i: number) => string;

function rowGenerator(kind: Kind, customers: number): RowFn {
  switch (kind) {
    case 'customers':
      return (i) =>
        `{"externalId":"cust-${i}","name":"Customer ${i}","monthlyRevenue":"${(i % 5000) + 50}.${PAD2[i % 60]}",` +
        `"signupAt":"${DAYS[DAY_COUNT - 1 - (i % 365)]}T${time(i, 0, 24)}","accountManager":{"email":"am${i % 50}@example.com"},` +
        `"segment":"${SEGMENTS[i % 3]}","plan":"${PLANS[i % 3]}"}\n`;
    case 'activity':
      return (i) =>
        `{"externalId":"act-${i}","customerId":"cust-${i % customers}","type":"${ACTIVITY_TYPES[i % 7]}",` +
        `"occurredAt":"${day(i)}T${time(i, 0, 24)}","quantity":${(i % 5) + 1}}\n`;
    case 'spend':
      return (i) =>
        `{"externalId":"spd-${i}","customerId":"cust-${i % customers}","occurredAt":"${day(i)}T${time(i, 0, 24)}",` +
        `"amount":"${(i % 997) + 1}.${PAD2[i % 60]}","kind":"${SPEND_KINDS[i & 3]}"}\n`;
    case 'complaints':
      return (i) => {
        const d = day(i);
        const head =
          `{"externalId":"cmp-${i}","customerId":"cust-${i % customers}","openedAt":"${d}T${time(i, 0, 12)}",` +
          `"severity":"${SEVERITIES[i & 3]}"`;
        if (i % 3 === 0) return `${head},"status":"open"}\n`;
        return `${head},"status":"resolved","resolvedAt":"${d}T${time(i, 12, 12)}","satisfaction":${(i % 5) + 1}}\n`;
      };
  }
}

/** NDJSON in ~64 KB strings, produced lazily: memory stays flat whatever the row count. */
function* ndjsonChunks(from: number, count: number, row: RowFn): Generator<string> {
  let buf = '';
  for (let i = from; i < from + count; i++) {
    buf += row(i);
    if (buf.length >= CHUNK_CHARS) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

// ---------------------------------------------------------------- HTTP

interface Answer {
  status: number;
  body: string;
}

/** Uploads in flight, aborted on Ctrl-C so the server rolls back and stops promptly. */
const inflight = new Set<http.ClientRequest>();

/**
 * One streamed POST. Respects backpressure (write() false → wait for 'drain'); stops
 * writing if the server answers early (a 400 after the first bad rows).
 */
async function postNdjson(port: number, path: string, chunks: Iterable<string>): Promise<{ answer: Answer; uploadMs: number }> {
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${ADMIN_KEY}` },
  });
  inflight.add(req);
  req.once('close', () => inflight.delete(req));
  const early = new AbortController();
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('response', (res) => {
      early.abort();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s.length + body.length < 1_000_000 ? s : ''));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  answer.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
  const started = performance.now();
  let uploadMs = 0;
  try {
    for (const chunk of chunks) {
      if (early.signal.aborted) break;
      if (!req.write(chunk)) await once(req, 'drain', { signal: early.signal });
    }
    req.end();
    uploadMs = performance.now() - started;
  } catch (err) {
    // Writing failed or the answer came first: the answer, if any, says more.
    if (!early.signal.aborted) {
      const late = await Promise.race([answer.catch(() => undefined), sleep(2000).then(() => undefined)]);
      if (!late) throw err;
    }
    req.end();
    uploadMs = performance.now() - started;
  }
  return { answer: await answer, uploadMs };
}

async function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

// ---------------------------------------------------------------- server process

function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'default.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`repository root not found above ${__dirname}`);
  }
}

function startServer(root: string, databaseUrl: string, port: number): Server {
  const main = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} not found: run npx nest build first`);
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const env = { DATABASE_URL: databaseUrl, PORT: String(port), CHURNWATCH_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'warn' };
  return spawnService('server', main, root, env, nodeArgs);
}

async function waitReady(server: Server, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!server.running)
      throw new Error(`server exited during start-up (code ${server.exitCode}, signal ${server.exitSignal})\n${server.output()}`);
    const status = await getStatus(port, '/health/ready').catch(() => 0);
    if (status === 200) return;
    await sleep(200);
  }
  throw new Error(`server not ready after ${READY_TIMEOUT_MS / 1000} s\n${server.output()}`);
}

// ---------------------------------------------------------------- measurements

/** Where the CPU seconds of a phase went: this process, the server, Postgres, anything else, idle. */
interface CpuSplit {
  client: number;
  server: number;
  postgres: number;
  other: number;
  idle: number;
  iowait: number;
}

type CpuSnapshot = Omit<CpuSplit, 'other'> & { busy: number };

function cpuSnapshot(serverPid: number): CpuSnapshot {
  const usage = process.cpuUsage();
  let postgres = 0;
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    const p = processCpu(entry);
    if (p?.comm === 'postgres') postgres += p.seconds;
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] / TICK;
  const iowait = cpu[4] / TICK;
  const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) / TICK - idle - iowait;
  return { client: (usage.user + usage.system) / 1e6, server: processCpu(serverPid)?.seconds ?? 0, postgres, busy, idle, iowait };
}

function cpuSince(before: CpuSnapshot, serverPid: number): CpuSplit {
  const now = cpuSnapshot(serverPid);
  const split = {
    client: now.client - before.client,
    server: now.server - before.server,
    postgres: Math.max(0, now.postgres - before.postgres),
    idle: now.idle - before.idle,
    iowait: now.iowait - before.iowait,
  };
  return { ...split, other: Math.max(0, now.busy - before.busy - split.client - split.server - split.postgres) };
}

function cpuLine(c: CpuSplit): string {
  return `cpu s: server ${fmt(c.server, 1)}, postgres ${fmt(c.postgres, 1)}, bench client ${fmt(c.client, 1)}, other ${fmt(c.other, 1)}, idle ${fmt(c.idle, 1)}, iowait ${fmt(c.iowait, 1)}`;
}

// ---------------------------------------------------------------- the run

/** Posts rows [from, from + rows) of a kind as one NDJSON request. */
async function loadKind(port: number, serverPid: number, kind: Kind, rows: number, customers: number, from = 0): Promise<KindResult> {
  const cpuBefore = cpuSnapshot(serverPid);
  const started = performance.now();
  const { answer, uploadMs } = await postNdjson(port, PATHS[kind], ndjsonChunks(from, rows, rowGenerator(kind, customers)));
  const seconds = (performance.now() - started) / 1000;
  if (answer.status !== 200) throw new Error(`${kind}: HTTP ${answer.status}: ${answer.body.slice(0, 2000)}`);
  const body = JSON.parse(answer.body) as { accepted?: number; duplicates?: number };
  const accepted = Number(body.accepted);
  const duplicates = Number(body.duplicates);
  if (accepted !== rows || duplicates !== 0) {
    throw new Error(`${kind}: sent ${rows} new rows but the server accepted ${accepted} with ${duplicates} duplicates: ${answer.body}`);
  }
  const result = { kind, rows, seconds, uploadSeconds: uploadMs / 1000, accepted, duplicates, cpu: cpuSince(cpuBefore, serverPid) };
  printKind(result);
  return result;
}

function printKind(r: KindResult): void {
  process.stdout.write(
    `${r.kind.padEnd(10)} ${fmt(r.rows).padStart(11)} rows  ${fmt(r.seconds, 1).padStart(7)} s  ${fmt(r.rows / r.seconds).padStart(9)} rows/s` +
      `  accepted ${fmt(r.accepted)} duplicates ${fmt(r.duplicates)}\n` +
      `           upload ${fmt(r.uploadSeconds, 1)} s, answer after upload ${fmt(r.seconds - r.uploadSeconds, 1)} s; ${cpuLine(r.cpu)}\n`,
  );
}

async function recreateDatabase(adminUrl: string): Promise<string> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

async function dropDatabase(adminUrl: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function runSignals(port: number, pid: number, counts: Record<Kind, number>, opts: Options): Promise<KindResult[]> {
  const load = (kind: Kind) => loadKind(port, pid, kind, counts[kind], opts.customers);
  if (opts.mode === 'sequential') {
    const results: KindResult[] = [];
    for (const kind of ['activity', 'complaints', 'spend'] as const) results.push(await load(kind));
    return results;
  }
  // Two lanes of about equal work (by the per-kind rates measured side by side): the first
  // part of activity then complaints, and spend then the rest of activity.
  const split = Math.round(counts.activity * ACTIVITY_SPLIT);
  const lanes = await Promise.all([
    (async () => [await loadKind(port, pid, 'activity', split, opts.customers), await load('complaints')])(),
    (async () => [await load('spend'), await loadKind(port, pid, 'activity', counts.activity - split, opts.customers, split)])(),
  ]);
  return lanes.flat();
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const counts = plan(opts);
  const signalRows = counts.activity + counts.spend + counts.complaints;
  const root = repoRoot();
  process.stdout.write(
    `churnwatch ingest bench: ${fmt(opts.customers)} customers, ${fmt(signalRows)} signal rows ` +
      `(activity ${fmt(counts.activity)}, spend ${fmt(counts.spend)}, complaints ${fmt(counts.complaints)}), ` +
      `NDJSON, mode ${opts.mode}, ${cpus().length} CPUs, node ${process.version}\n` +
      (opts.mode === 'concurrent'
        ? 'two lanes at once, activity (68 %) then complaints | spend then activity (32 %): their seconds and cpu overlap\n'
        : ''),
  );

  let server: Server | undefined;
  let sampler: RssSampler | undefined;
  let databaseCreated = false;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      sampler?.stop();
      for (const req of inflight) req.destroy();
      await server?.stop();
      if (databaseCreated && !opts.keep)
        await dropDatabase(opts.adminUrl).catch((e: Error) => process.stderr.write(`could not drop ${DB_NAME}: ${e.message}\n`));
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the server\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => {
    if (server?.running) server.child.kill('SIGKILL');
  });

  try {
    const databaseUrl = await recreateDatabase(opts.adminUrl);
    databaseCreated = true;
    const port = await freePort();
    server = startServer(root, databaseUrl, port);
    const startedAt = performance.now();
    await waitReady(server, port);
    process.stdout.write(`server pid ${server.pid} ready on port ${port} after ${fmt((performance.now() - startedAt) / 1000, 1)} s\n\n`);

    sampler = new RssSampler(server.pid);
    sampler.start();
    const live = server;
    const died = new Promise<never>((_, reject) =>
      live.child.once('exit', (code, signal) =>
        reject(new Error(`server exited during the run (code ${code}, signal ${signal})\n${live.output()}`)),
      ),
    );
    died.catch(() => undefined);

    const customers = await Promise.race([loadKind(port, server.pid, 'customers', counts.customers, opts.customers), died]);
    const signalsStarted = performance.now();
    const signalCpu = cpuSnapshot(server.pid);
    const signals = await Promise.race([runSignals(port, server.pid, counts, opts), died]);
    const signalSeconds = (performance.now() - signalsStarted) / 1000;
    const signalCpuSplit = cpuSince(signalCpu, server.pid);
    sampler.stop();
    const peakRssMb = Math.max(sampler.peakRssKb, sampler.hwmKb) / 1024;
    const sizeMb = await databaseSizeMb(databaseUrl).catch(() => NaN);

    const allRows = customers.rows + signalRows;
    const allSeconds = customers.seconds + signalSeconds;
    const signalRate = signalRows / signalSeconds;
    const rateOk = signalRate >= TARGET_ROWS_PER_SECOND;
    const rssOk = peakRssMb <= TARGET_RSS_MB;
    process.stdout.write(
      [
        '',
        `signal rows:            ${fmt(signals.reduce((n, r) => n + r.rows, 0))}`,
        `signal seconds:         ${fmt(signalSeconds, 1)}`,
        `signal rows/s:          ${fmt(signalRate)}`,
        `signal phase ${cpuLine(signalCpuSplit)}`,
        `all rows/s (customers): ${fmt(allRows / allSeconds)}  (${fmt(allRows)} rows in ${fmt(allSeconds, 1)} s)`,
        `server peak RSS:        ${fmt(peakRssMb, 1)} MB`,
        `database size:          ${fmt(sizeMb)} MB`,
        `target >= ${fmt(TARGET_ROWS_PER_SECOND)} signal rows/s: ${rateOk ? 'MET' : 'MISSED'}`,
        `target peak RSS <= ${TARGET_RSS_MB} MB:         ${rssOk ? 'MET' : 'MISSED'}`,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      JSON.stringify({
        rows: signalRows,
        seconds: round(signalSeconds, 2),
        rowsPerSecond: Math.round(signalRate),
        peakRssMb: round(peakRssMb, 1),
        customers: customers.rows,
        allRows,
        allSeconds: round(allSeconds, 2),
        allRowsPerSecond: Math.round(allRows / allSeconds),
        mode: opts.mode,
        targetsMet: rateOk && rssOk,
      }) + '\n',
    );
  } finally {
    await cleanup();
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.message}\n`);
    process.exit(1);
  },
);
