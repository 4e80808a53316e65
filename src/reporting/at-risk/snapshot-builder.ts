import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { pgPool } from '../../database/data-source';
import { copyChunks, copyLine } from '../../database/copy-writer';
import { Explanation, ScoreExplainer } from '../../model/score-explainer';
import { RunFinalizer } from '../../scoring/run-finalizer';
import { AtRiskSnapshots, FINISHED_RUNS, partitionName } from './at-risk-snapshots.repository';

/** Session advisory lock key: one snapshot builder at a time across every process. */
const BUILD_LOCK = 0x63770001;

export type BuildOutcome = 'built' | 'up-to-date' | 'busy' | 'locked';

/** Scores read and written per round trip while a snapshot is built. */
const SNAPSHOT_BATCH = 10_000;
const ENTRY_COLUMNS = [
  'snapshot_id',
  'customer_id',
  'tier',
  'segment',
  'probability',
  'previous_probability',
  'change_key',
  'value_at_risk',
  'driver_keys',
  'drivers',
  'drivers_text',
  'run_id',
  'model_id',
  'scored_at',
  'lifecycle_stage',
];

/**
 * Finished runs that wrote current scores: a backfill (a run as of an earlier time) writes
 * history only, so it neither makes a snapshot due nor holds one back while it writes, and
 * no snapshot is labelled with its old asOf.
 */
const LIVE_FINISHED_RUNS = `(${FINISHED_RUNS} AND NOT backfill)`;

/** When another process was building, this process looks again after this long. */
const LOCKED_RETRY_MS = 5_000;

/**
 * Builds the at-risk list's snapshots. After a run finishes, and on a timer in every worker
 * process (so a crash or a lost notification is caught up), it checks whether a run has
 * finished since the newest snapshot; if so, and no run is half-written, it copies the
 * at-risk customers' current scores into a new partition of at_risk_entries in one
 * repeatable-read transaction, so the snapshot is exactly the scores of finished runs.
 * Then it drops the snapshots beyond reporting.atRisk.keepSnapshots.
 */
@Injectable()
export class SnapshotBuilder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AtRisk');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<BuildOutcome> | null = null;
  private again = false;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly snapshots: AtRiskSnapshots,
    private readonly finalizer: RunFinalizer,
    private readonly explainer: ScoreExplainer,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.process.role === 'api') return;
    this.finalizer.onRunFinished(() => this.refresh());
    this.timer = setInterval(() => void this.refresh(), this.config.reporting.atRisk.checkIntervalSeconds * 1000);
    this.timer.unref();
    void this.refresh();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * Builds a snapshot if one is due; a call while a build runs in this process makes it
   * check again once done (the run that just finished may not be in the build under way).
   * Never throws: failures are logged and the timer tries again.
   */
  refresh(): Promise<BuildOutcome> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let outcome: BuildOutcome;
      do {
        this.again = false;
        outcome = await this.buildIfDue().catch((err: Error) => {
          this.logger.warn(`At-risk snapshot not built, will retry: ${err.message}`);
          return 'busy' as const;
        });
      } while (this.again);
      // Another process holds the lock: its build may have begun before the run that called
      // this committed, so look again shortly rather than at the next tick of the timer.
      if (outcome === 'locked' && this.timer) setTimeout(() => void this.refresh(), LOCKED_RETRY_MS).unref();
      return outcome;
    })().finally(() => (this.running = null));
    return this.running;
  }

  /** One attempt: the lock, the check and the build, then pruning old snapshots. */
  async buildIfDue(): Promise<BuildOutcome> {
    const client = await pgPool(this.dataSource).connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1) AS locked`, [BUILD_LOCK]);
      if (!rows[0]?.locked) return 'locked';
      try {
        const outcome = await this.buildLocked(client);
        if (outcome === 'built') {
          this.snapshots.forget();
          await this.prune();
          this.snapshots.forget();
        }
        return outcome;
      } finally {
        await client.query(`SELECT pg_advisory_unlock($1)`, [BUILD_LOCK]);
      }
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // A client that failed mid-transaction is discarded rather than reused.
      client.release(broken);
    }
  }

  private async buildLocked(client: PoolClient): Promise<BuildOutcome> {
    const started = Date.now();
    // Repeatable read: the check that no run is half-written and the copy of the scores see
    // the same moment, so a chunk committing meanwhile is in neither or both.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      const due = await this.dueRun(client);
      if (due === 'up-to-date' || due === 'busy') {
        await client.query('ROLLBACK');
        return due;
      }
      // JIT compilation costs more than it saves on this one-pass copy.
      await client.query(`SET LOCAL jit = off`);
      const id = await this.snapshots.insert(client, due);
      const table = partitionName(id);
      await this.copyScores(client, id, table);
      // Attaching builds the partition's indexes from the parent's definitions.
      await client.query(`ALTER TABLE at_risk_entries ATTACH PARTITION ${table} FOR VALUES IN (${id})`);
      await client.query(`ANALYZE ${table}`);
      const counts = await this.snapshots.complete(client, id, Date.now() - started);
      await client.query('COMMIT');
      this.logger.log(`At-risk snapshot ${id} ready: ${counts} customers after run ${due.runId} (${Date.now() - started} ms)`);
      return 'built';
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * The at-risk customers' current scores into a new table for the snapshot, with their
   * drivers worked out from the stored features (keys for the driver filter, the json for
   * pages, the sentences joined for CSV). Read through a cursor in batches and written
   * with COPY, in the builder's repeatable-read transaction, so memory stays bounded
   * however many customers are at risk.
   */
  private async copyScores(client: PoolClient, id: number, table: string): Promise<void> {
    await client.query(`CREATE TABLE ${table} (LIKE at_risk_entries)`);
    await client.query(`
      DECLARE at_risk_scores NO SCROLL CURSOR FOR
      SELECT s.customer_id::text, s.tier, c.segment, s.probability, s.previous_probability,
             COALESCE(s.probability - s.previous_probability, -2)::float8 AS change_key, s.value_at_risk::text,
             s.run_id::text, s.model_id::float8, s.scored_at::text, s.features, s.lifecycle_stage
        FROM customer_scores s JOIN customers c ON c.id = s.customer_id
       WHERE s.tier IS NOT NULL AND c.status = 'active'`);
    const snapshot = String(id);
    for (;;) {
      const { rows } = await client.query<unknown[]>({ text: `FETCH ${SNAPSHOT_BATCH} FROM at_risk_scores`, rowMode: 'array' });
      if (rows.length === 0) break;
      // Drivers only: the list shows no "what changed", so no previous features are read.
      const explained = await this.explainer.explain(
        rows.map((r) => ({
          modelId: r[8] as number,
          runId: Number(r[7]),
          probability: r[3] as number,
          features: r[10] as Buffer | null,
          previousModelId: null,
          previousRunId: null,
          previousFeatures: null,
        })),
      );
      let text = '';
      rows.forEach((r, i) => {
        const drivers = (explained[i] as Explanation).drivers;
        const texts = drivers.map((d) => d.text).join(' | ');
        text += copyLine([
          snapshot,
          r[0] as string,
          r[1] as string,
          r[2] as string | null,
          String(r[3]),
          r[4] === null ? null : String(r[4]),
          String(r[5]),
          r[6] as string,
          JSON.stringify(drivers.map((d) => d.key)),
          JSON.stringify(drivers),
          texts === '' ? null : texts,
          r[7] as string,
          String(r[8]),
          r[9] as string,
          r[11] as string | null,
        ]);
      });
      await copyChunks(client, table, ENTRY_COLUMNS, [Buffer.from(text)]);
    }
    await client.query('CLOSE at_risk_scores');
  }

  /** The run a new snapshot would follow, or why none is due now. */
  private async dueRun(client: PoolClient): Promise<{ runId: number; asOf: Date; finishedRuns: number } | 'up-to-date' | 'busy'> {
    // A run is half-written while it has committed chunks and is still moving (a chunk
    // started or finished lately); one stuck for reporting.atRisk.stalledRunMinutes (its
    // jobs lost, say) no longer holds the list back: its written chunks are current scores.
    const { rows } = await client.query<{
      finished: number;
      newest: number | null;
      half_written: boolean;
      stalled: string | null;
      run_id: string | null;
      as_of: Date | null;
    }>(
      `WITH writing AS (
         SELECT r.id, GREATEST(r.started_at, (SELECT max(GREATEST(c.started_at, c.finished_at)) FROM scoring_chunks c WHERE c.run_id = r.id)) AS moved
           FROM scoring_runs r WHERE r.status = 'running' AND r.chunks_done > 0 AND NOT r.backfill)
       SELECT (SELECT count(*)::int FROM scoring_runs WHERE ${LIVE_FINISHED_RUNS}) AS finished,
              (SELECT finished_runs FROM at_risk_snapshots ORDER BY id DESC LIMIT 1) AS newest,
              EXISTS (SELECT 1 FROM writing WHERE moved > now() - make_interval(mins => $1)) AS half_written,
              (SELECT string_agg(id::text, ', ') FROM writing WHERE moved <= now() - make_interval(mins => $1)) AS stalled,
              last.id AS run_id, last.as_of
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT id, as_of FROM scoring_runs WHERE ${LIVE_FINISHED_RUNS} ORDER BY finished_at DESC, id DESC LIMIT 1) last ON true`,
      [this.config.reporting.atRisk.stalledRunMinutes],
    );
    const r = rows[0]!;
    if (r.run_id === null || r.finished <= (r.newest ?? 0)) return 'up-to-date';
    // The run that is writing will call again when it finishes.
    if (r.half_written) return 'busy';
    if (r.stalled)
      this.logger.warn(`Run(s) ${r.stalled} stopped moving with chunks written; the at-risk snapshot goes ahead without waiting for them`);
    return { runId: Number(r.run_id), asOf: r.as_of as Date, finishedRuns: r.finished };
  }

  /**
   * Drops snapshots beyond the newest keepSnapshots: marked dropped first (a cursor into
   * one then answers 410), detached from the parent concurrently (without locking readers
   * of the other snapshots out), then the table dropped, which waits for a page or export
   * still reading it. Each step is repeatable after a crash.
   */
  async prune(): Promise<void> {
    for (const id of await this.snapshots.markDropped(this.config.reporting.atRisk.keepSnapshots)) {
      const table = partitionName(id);
      if (await this.snapshots.isAttached(id)) {
        await this.detach(table);
      }
      await this.dataSource.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }

  private async detach(table: string): Promise<void> {
    try {
      await this.dataSource.query(`ALTER TABLE at_risk_entries DETACH PARTITION ${table} CONCURRENTLY`);
    } catch (err) {
      // An interrupted concurrent detach leaves the partition "pending"; finish it.
      if (!/pending/i.test((err as Error).message)) throw err;
      await this.dataSource.query(`ALTER TABLE at_risk_entries DETACH PARTITION ${table} FINALIZE`);
    }
  }
}
