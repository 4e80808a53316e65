/**
 * One measured scoring run through the HTTP API: POST /v1/scoring-runs, poll GET until it
 * has succeeded (the wall time), while sampling the worker's RSS, everyone's CPU and what
 * the service's database sessions are doing; then printing it.
 */
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { runFacts } from './bench-db';
import { PgActivitySampler } from './pg-activity';
import { cpuDelta, cpuSnapshot, fmt, RssSampler, Service, sleep } from './proc';

const POLL_MS = 100;
const RUN_TIMEOUT_MS = 30 * 60_000;

const say = (line = '') => process.stdout.write(`${line}\n`);

export interface ApiTarget {
  port: number;
  key: string;
}

export async function api<T>(target: ApiTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${target.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 1000)}`);
  return JSON.parse(text) as T;
}

interface RunView {
  id: number;
  status: string;
  customersScored: number;
  alertsRaised: number;
  chunks: { total: number | null; done: number };
  stale: string[];
  error?: string;
}

export interface RunResult {
  id: number;
  label: string;
  customers: number;
  alertsRaised: number;
  /** Alert emails recorded sent while the run ran (the outbox works beside scoring). */
  emailsSent: number;
  chunks: number;
  wallSeconds: number;
  dbSeconds: number;
  /** created → first chunk started: the plan job and the queue's pick-up */
  planSeconds: number;
  workerHwmMb: number;
  workerPeakRssMb: number;
  apiHwmMb: number;
  cpu: Record<string, number>;
  activity: Array<[string, number]>;
  stale: string[];
  asOf: Date;
  /** 1-minute load average when the run was posted: other users' work skews the figures */
  loadBefore: number;
}

/** One run: POST, poll until succeeded (wall), with RSS, CPU and pg_stat_activity sampled meanwhile. */
export async function measureRun(
  target: ApiTarget,
  url: string,
  worker: Service,
  apiProc: Service,
  label: string,
  body: Record<string, unknown>,
): Promise<RunResult> {
  const rss = new RssSampler(worker.pid);
  const apiRss = new RssSampler(apiProc.pid);
  const pg = new PgActivitySampler(url);
  await pg.start();
  rss.start();
  apiRss.start();
  const loadBefore = loadavg()[0];
  const cpuBefore = cpuSnapshot({ worker: worker.pid, api: apiProc.pid });
  const sentBefore = await emailsSent(url);
  const started = performance.now();
  let run = await api<RunView>(target, 'POST', '/v1/scoring-runs', body);
  const poll = (async () => {
    while (run.status !== 'succeeded') {
      if (run.status === 'failed') throw new Error(`run ${run.id} failed: ${run.error}`);
      if (performance.now() - started > RUN_TIMEOUT_MS)
        throw new Error(`run ${run.id} still ${run.status} after ${RUN_TIMEOUT_MS / 60_000} min`);
      await sleep(POLL_MS);
      run = await api<RunView>(target, 'GET', `/v1/scoring-runs/${run.id}`);
    }
  })();
  await Promise.race([poll, worker.died(), apiProc.died()]);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSnapshot({ worker: worker.pid, api: apiProc.pid });
  rss.stop();
  apiRss.stop();
  const cpu = cpuDelta(cpuBefore, cpuAfter, await pg.servicePids());
  await pg.stop();
  const facts = await runFacts(url, run.id);
  const sentAfter = await emailsSent(url);
  return {
    id: run.id,
    label,
    customers: run.customersScored,
    alertsRaised: run.alertsRaised,
    emailsSent: sentAfter - sentBefore,
    chunks: facts.chunks,
    wallSeconds,
    dbSeconds: facts.dbSeconds,
    planSeconds: facts.planSeconds,
    workerHwmMb: rss.hwmKb / 1024,
    workerPeakRssMb: rss.peakRssKb / 1024,
    apiHwmMb: apiRss.hwmKb / 1024,
    cpu,
    activity: pg.entries(),
    stale: run.stale,
    asOf: facts.asOf,
    loadBefore,
  };
}

export function printRun(r: RunResult): void {
  const c = r.cpu;
  say(`\nrun ${r.id} (${r.label}): ${fmt(r.customers)} customers in ${r.chunks} chunks`);
  say(
    `  wall (POST → succeeded)      ${fmt(r.wallSeconds, 2)} s   (created → finished in the database: ${fmt(r.dbSeconds, 2)} s, of which planning ${fmt(r.planSeconds, 2)} s)`,
  );
  say(`  customers/s                  ${fmt(r.customers / r.wallSeconds)}`);
  say(
    `  alerts raised or escalated   ${fmt(r.alertsRaised)} (in the chunks' transactions); alert emails sent meanwhile ${fmt(r.emailsSent)}`,
  );
  say(
    `  worker peak RSS              VmHWM ${fmt(r.workerHwmMb, 1)} MB, sampled VmRSS max ${fmt(r.workerPeakRssMb, 1)} MB   (api VmHWM ${fmt(r.apiHwmMb, 1)} MB)`,
  );
  say(
    `  cpu s                        worker ${fmt(c.worker, 1)}, service's postgres backends ${fmt(c.postgresOurs, 1)} (all postgres ${fmt(c.postgres, 1)}), ` +
      `api ${fmt(c.api, 1)}, bench ${fmt(c.bench, 1)}, other ${fmt(c.other, 1)}, idle ${fmt(c.idle, 1)}`,
  );
  // "other": processes that are not ours or did not live through the run (parallel query workers, other users' jobs).
  say(
    `  load average before the run  ${fmt(r.loadBefore, 2)}; other cpu is work outside the bench's processes, all postgres includes other databases'`,
  );
  say(`  service's database sessions (pg_stat_activity every 200 ms, session-seconds; "idle in transaction" = Node code,`);
  say(`  or a Node event loop busy with the other chunk, between two statements of a chunk's write transaction):`);
  for (const [what, s] of r.activity) if (s >= 0.05) say(`    ${fmt(s, 1).padStart(7)}  ${what}`);
  if (r.stale.length) say(`  stale signal kinds: ${r.stale.join(', ')}`);
}

async function emailsSent(url: string): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alert_deliveries WHERE status = 'sent'`);
    return rows[0]?.n ?? 0;
  } finally {
    await db.end();
  }
}

/** Waits until the at-risk list reads a snapshot that includes the run; how long that took and how long its build took. */
export async function waitForSnapshot(
  target: ApiTarget,
  url: string,
  runId: number,
): Promise<{ customers: number; seconds: number; buildSeconds: number }> {
  const started = performance.now();
  for (;;) {
    const page = await api<{ snapshot: { id: number; runId: number; customers: number } | null }>(target, 'GET', '/v1/at-risk?limit=1');
    if (page.snapshot && page.snapshot.runId >= runId) {
      const seconds = (performance.now() - started) / 1000;
      const db = new Client({ connectionString: url });
      await db.connect();
      try {
        const { rows } = await db.query<{ build_ms: number }>(`SELECT build_ms FROM at_risk_snapshots WHERE id = $1`, [page.snapshot.id]);
        return { customers: page.snapshot.customers, seconds, buildSeconds: (rows[0]?.build_ms ?? NaN) / 1000 };
      } finally {
        await db.end();
      }
    }
    if (performance.now() - started > RUN_TIMEOUT_MS)
      throw new Error(`no at-risk snapshot of run ${runId} after ${RUN_TIMEOUT_MS / 60_000} min`);
    await sleep(POLL_MS);
  }
}

/**
 * Waits until the outbox has no email due and unsent: a worker sends a run's emails right
 * after the run (scoring first), and a raw SQL timing or the next run should not share the
 * machine with them. Returns how many were sent meanwhile and how long it took.
 */
export async function waitForOutboxDrained(url: string): Promise<{ sent: number; seconds: number }> {
  const started = performance.now();
  const before = await emailsSent(url);
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    for (;;) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alert_deliveries WHERE status IN ('pending', 'queued', 'sending') AND due_at <= now()`,
      );
      if (rows[0]?.n === 0) break;
      if (performance.now() - started > RUN_TIMEOUT_MS)
        throw new Error(`${rows[0]?.n} emails still unsent after ${RUN_TIMEOUT_MS / 60_000} min`);
      await sleep(POLL_MS);
    }
  } finally {
    await db.end();
  }
  return { sent: (await emailsSent(url)) - before, seconds: (performance.now() - started) / 1000 };
}

/** Waits until the worker has vacuumed customer_scores after run `runId` (scoring.vacuumAfterFullRun); seconds after the run. */
export async function waitForVacuum(url: string, runId: number): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  const started = performance.now();
  try {
    for (;;) {
      const { rows } = await db.query<{ after: number | null }>(
        `SELECT date_part('epoch', s.last_vacuum - r.finished_at) AS after
           FROM pg_stat_user_tables s, scoring_runs r WHERE s.relname = 'customer_scores' AND r.id = $1 AND s.last_vacuum >= r.finished_at`,
        [runId],
      );
      if (rows[0]) return rows[0].after ?? 0;
      if (performance.now() - started > RUN_TIMEOUT_MS)
        throw new Error(`customer_scores not vacuumed after run ${runId} in ${RUN_TIMEOUT_MS / 60_000} min`);
      await sleep(POLL_MS);
      await db.query('SELECT pg_stat_clear_snapshot()');
    }
  } finally {
    await db.end();
  }
}
