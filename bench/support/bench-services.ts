/**
 * What the scoring and API benchmarks share: a loaded book database (fresh, or kept from
 * an earlier run with --keep), the built service's api and worker processes, and their
 * clean-up. Lifted from bench/score.bench.ts so the two do not repeat it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { QueueName } from '../../src/jobs/job-catalogue';
import { deleteQueueKeys } from '../../src/jobs/job-queue.service';
import { BookLabel, createMigrated, databaseUrl, readLabel, SCHEMA, writeLabel } from './bench-db';
import { fmt, freePort, Service, sleep, spawnService } from './proc';
import { loadBook, resetScoring } from './synthetic-book';

const READY_TIMEOUT_MS = 60_000;

export function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'default.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`repository root not found above ${__dirname}`);
  }
}

export interface BookRequest {
  adminUrl: string;
  dbName: string;
  /** Bumped whenever the synthetic book changes shape, so --keep reloads instead of reusing. */
  version: number;
  customers: number;
  signalsPerCustomer: number;
  keep: boolean;
  /** Empty the scoring tables of a reused database (a scoring bench starts from no scores). */
  resetScores: boolean;
}

export interface PreparedBook {
  url: string;
  counts: Record<string, number>;
  loadSeconds: number | null;
  label: BookLabel;
}

/** A loaded database: fresh, or with --keep the existing one when it holds the same book. */
export async function prepareBook(o: BookRequest, say: (line: string) => void): Promise<PreparedBook> {
  const label = o.keep ? await readLabel(o.adminUrl, o.dbName) : null;
  if (
    label &&
    label.version === o.version &&
    label.schema === SCHEMA &&
    label.customers === o.customers &&
    label.signalsPerCustomer === o.signalsPerCustomer
  ) {
    say(`reusing ${o.dbName} (loaded ${label.loadedAt})${o.resetScores ? '; scoring tables emptied' : ''}`);
    const ageHours = (Date.now() - Date.parse(label.loadedAt)) / 3_600_000;
    if (ageHours > 24)
      say(`warning: the book is ${fmt(ageHours)} h old: recent windows are empty and the run is stale; reload without --keep`);
    const url = databaseUrl(o.adminUrl, o.dbName);
    if (o.resetScores) await resetScoring(url);
    return { url, counts: label.counts, loadSeconds: null, label };
  }
  const started = performance.now();
  say(`loading ${fmt(o.customers)} customers into a fresh ${o.dbName} (set-based SQL)`);
  const url = await createMigrated(o.adminUrl, o.dbName);
  const now = new Date();
  const counts = { ...(await loadBook(url, { customers: o.customers, signalsPerCustomer: o.signalsPerCustomer, now }, say)) };
  const loadSeconds = (performance.now() - started) / 1000;
  const fresh: BookLabel = {
    version: o.version,
    customers: o.customers,
    signalsPerCustomer: o.signalsPerCustomer,
    loadedAt: now.toISOString(),
    counts,
    schema: SCHEMA,
  };
  await writeLabel(o.adminUrl, o.dbName, fresh);
  return { url, counts, loadSeconds, label: fresh };
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  services: Service[],
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const s of services) if (!s.running) throw new Error(`${s.name} exited during start-up\n${s.output()}`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s\n${services.map((s) => s.output()).join('\n')}`);
}

export async function clearRedis(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await deleteQueueKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export interface ServiceOptions {
  root: string;
  /** dist/src/main.js of the build the bench came with. */
  entry: string;
  redisUrl: string;
  env: Record<string, string>;
  workerArgs?: string[];
  workerLog?: string;
}

/** One more api process of the built service on a port of its own, ready. */
export async function startApi(o: ServiceOptions, name = 'api'): Promise<{ api: Service; port: number }> {
  const port = await freePort();
  const api = spawnService(name, o.entry, o.root, { ...o.env, CHURNWATCH_PROCESS: 'api', PORT: String(port), LOG_LEVEL: 'warn' });
  try {
    await waitUntil(name, async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200, [api]);
  } catch (err) {
    await api.stop();
    throw err;
  }
  return { api, port };
}

/** One api and one worker process of the built service, both ready (the worker once its BullMQ worker has registered). */
export async function startApiAndWorker(o: ServiceOptions): Promise<{ api: Service; worker: Service; port: number }> {
  const worker = spawnService(
    'worker',
    o.entry,
    o.root,
    { ...o.env, CHURNWATCH_PROCESS: 'worker', LOG_LEVEL: 'info' },
    o.workerArgs ?? [],
    o.workerLog,
  );
  let api: Service | undefined;
  let port = 0;
  try {
    ({ api, port } = await startApi(o));
    const services = [api, worker];
    const connection = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(QueueName.Scoring, { connection, prefix: o.env.CHURNWATCH_QUEUE_PREFIX });
    try {
      await waitUntil('worker', async () => (await queue.getWorkers()).length > 0, services);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  } catch (err) {
    await Promise.all([worker, api].map((s) => s?.stop()));
    throw err;
  }
  return { api: api as Service, worker, port };
}
