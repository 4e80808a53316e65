/**
 * A sampling profiler of the service's database sessions: every 200 ms, what each
 * `churnwatch` backend of the bench database is doing (pg_stat_activity), summed into
 * seconds per activity. Without touching the service, it splits a scoring run into the
 * chunks' scoring statements (features, scores and their writes in one), the alert
 * rules' statements, bookkeeping, and Node work inside the write transaction ("idle in
 * transaction": the backend waits for the next statement while the worker computes).
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { sleep } from './proc';

const INTERVAL_MS = 200;

/** Statement kinds of a scoring chunk, by a fragment of their text. */
const KINDS: Array<[RegExp, string]> = [
  [/^\/\* churnwatch: score chunk \*\//, 'score chunk (features, scores, upsert, history)'],
  [/WITH pop AS/, 'feature SQL'],
  [/scoring_chunks|chunks_done|status = 'succeeded'|FROM scoring_runs/, 'run/chunk bookkeeping'],
  [/^\s*(BEGIN|COMMIT|START TRANSACTION)/i, 'begin/commit'],
];

function kindOf(query: string): string {
  for (const [re, kind] of KINDS) if (re.test(query)) return kind;
  return `other: ${query.replace(/\s+/g, ' ').trim().slice(0, 50)}`;
}

export class PgActivitySampler {
  /** seconds by activity, e.g. "active: feature SQL [cpu]" or "idle in transaction after: read current scores" */
  readonly seconds = new Map<string, number>();
  samples = 0;
  private running = false;
  private loop?: Promise<void>;
  private readonly db: Client;

  constructor(url: string) {
    this.db = new Client({ connectionString: url, application_name: 'churnwatch-bench-sampler' });
  }

  async start(): Promise<void> {
    await this.db.connect();
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let last = performance.now();
    while (this.running) {
      const { rows } = await this.db.query<{ state: string | null; wait: string | null; query: string }>(
        `SELECT state, wait_event_type || ':' || wait_event AS wait, left(query, 300) AS query FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'churnwatch' AND backend_type = 'client backend'`,
      );
      const now = performance.now();
      const dt = (now - last) / 1000;
      last = now;
      this.samples++;
      for (const r of rows) {
        const kind = kindOf(r.query);
        let key: string | null = null;
        // A backend sending rows waits on ClientWrite while the worker is slow to read them.
        if (r.state === 'active') key = `active: ${kind} [${r.wait ?? 'cpu'}]`;
        else if (r.state === 'idle in transaction') key = `idle in transaction after: ${kind}`;
        if (key) this.seconds.set(key, (this.seconds.get(key) ?? 0) + dt);
      }
      await sleep(INTERVAL_MS);
    }
  }

  /** Backends of the service (api and worker) on the bench database, for their CPU seconds. */
  async servicePids(): Promise<number[]> {
    const { rows } = await this.db.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'churnwatch'`,
    );
    return rows.map((r) => r.pid);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => undefined);
    await this.db.end().catch(() => undefined);
  }

  /** Activities, largest first. */
  entries(): Array<[string, number]> {
    return [...this.seconds.entries()].sort((a, b) => b[1] - a[1]);
  }
}
